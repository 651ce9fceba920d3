/* dv-wb-window-editor-private.h — the inside of the Architecture page, shared
 * by dv-wb-window-editor.c (the fields, refreshing them from the edit, edits,
 * buttons and actions) and dv-wb-window-editor-page.c (building the widgets).
 *
 * What this is for: those two files only.  What it is not for: anything
 * else; the window and the application use dv-wb-window-editor.h.
 */
#pragma once

#include "dv-wb-window-editor.h"
#include "dv-wb-window-private.h"

#include "dv-plot-arch.h"

G_BEGIN_DECLS

typedef enum { DV_WB_SCOPE_MODEL, DV_WB_SCOPE_AREA, DV_WB_SCOPE_CONN } DvWbScope;

typedef struct {
  DvWbScope scope;
  const char *key, *label, *tip;
  const char *const *options;  /* drop-down, or NULL */
  gboolean boolean;            /* a switch */
  GtkWidget *widget;
  GtkLabel *message;
  GtkWidget *row_label;
} DvWbField;

/* How many fields field_defs in dv-wb-window-editor.c has (asserted there). */
#define DV_WB_N_FIELDS 26

typedef struct _DvWbEditor {
  DvArchEdit *edit;
  DvWbField fields[DV_WB_N_FIELDS];
  int area, conn;               /* selected area / connection */
  GtkDropDown *area_pick, *conn_pick, *preset_pick, *kind_pick, *src_pick, *tgt_pick;
  GtkStringList *area_names, *conn_names, *preset_names, *area_names2, *area_names3;
  GtkButton *apply_button;
  GtkSpinButton *seed_spin;     /* the seed of a full reset */
  GtkWidget *undo_button, *redo_button;
  guint seen_serial;            /* the edit's serial the page shows */
  GtkLabel *state_label, *report_label, *warnings_label;
  GtkWidget *area_box, *conn_box;
  DvPlotView *diagram;
  DvArchPlot plot;
  DvArchArea *plot_areas;
  DvArchConn *plot_conns;
  char **plot_strings;          /* owned strings the plot points into */
  char *report;
  guint updating;
} DvWbEditor;

/* The handlers the page's widgets are connected to (dv-wb-window-editor.c). */
void dv_wb_editor_on_entry_activate (GtkEntry *entry, DvWbWindow *win);
void dv_wb_editor_on_entry_leave (GtkEventControllerFocus *ctl, DvWbWindow *win);
void dv_wb_editor_on_drop_changed (GtkDropDown *drop, GParamSpec *pspec, DvWbWindow *win);
void dv_wb_editor_on_switch_changed (GtkSwitch *sw, GParamSpec *pspec, DvWbWindow *win);
void dv_wb_editor_on_pick_changed (GtkDropDown *drop, GParamSpec *pspec, DvWbWindow *win);
void dv_wb_editor_on_diagram_pointer (DvPlotView *view, double x, double y, DvWbWindow *win);
void dv_wb_editor_on_add_area (GtkButton *button, DvWbWindow *win);
void dv_wb_editor_on_area_button (GtkButton *button, DvWbWindow *win);
void dv_wb_editor_on_add_conn (GtkButton *button, DvWbWindow *win);
void dv_wb_editor_on_remove_conn (GtkButton *button, DvWbWindow *win);
void dv_wb_editor_on_load_preset (GtkButton *button, DvWbWindow *win);

/* Builds the form and the diagram into the template's editor_page
 * (dv-wb-window-editor-page.c); win->editor's fields and lists exist. */
void dv_wb_editor_build_page (DvWbWindow *win, GtkBox *page);

G_END_DECLS
