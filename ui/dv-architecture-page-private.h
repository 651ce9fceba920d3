/* dv-architecture-page-private.h — DvArchitecturePage's instance struct,
 * shared by dv-architecture-page.c (the object: properties, refresh, the
 * diagram, public calls), dv-architecture-page-fields.c (the field rows and
 * edits) and dv-architecture-page-actions.c (its actions and shortcuts).
 *
 * What this is for: those three files.  What it is not for: anything else
 * (the window and the application use dv-architecture-page.h).
 */
#pragma once

#include "dv-architecture-page.h"
#include "dv-plot-arch.h"

G_BEGIN_DECLS

typedef enum { DV_ARCH_SCOPE_MODEL, DV_ARCH_SCOPE_AREA, DV_ARCH_SCOPE_CONN } DvArchScope;

typedef struct {
  DvArchScope scope;
  const char *key, *label, *tip;
  const char *const *options;  /* drop-down, or NULL */
  gboolean boolean;            /* a switch */
  GtkWidget *widget;
  GtkLabel *message;
  /* while a refused value stays on the field: the path it was refused for and
   * the value that runs beneath it; a refresh keeps the field as typed until
   * either changes (another area picked, undo, a preset) */
  char *refused_path, *refused_over;
} DvArchField;

/* How many fields dv_arch_field_defs has (asserted there). */
#define DV_ARCH_N_FIELDS 27

typedef enum {
  DV_ARCH_PROP_0,
  DV_ARCH_PROP_EDIT,
  DV_ARCH_PROP_MODIFIED,
  DV_ARCH_PROP_CAN_UNDO,
  DV_ARCH_PROP_CAN_REDO,
  DV_ARCH_PROP_APPLY_LABEL,
  DV_ARCH_PROP_STATE,
  DV_ARCH_PROP_REPORT,
  DV_ARCH_PROP_WARNINGS,
  DV_ARCH_PROP_PRESET,
  DV_ARCH_PROP_RESET_SEED,
  DV_ARCH_PROP_SEQUENCE_STEPS,
  DV_ARCH_PROP_KEEP_WEIGHTS,
  DV_ARCH_N_PROPS
} DvArchProp;

extern GParamSpec *dv_architecture_page_props[DV_ARCH_N_PROPS];

struct _DvArchitecturePage {
  GtkBox parent_instance;

  /* template children */
  GtkDropDown *preset_pick, *area_pick, *conn_pick, *kind_pick, *src_pick, *tgt_pick;
  GtkStringList *preset_names, *area_names, *conn_names;
  GtkGrid *model_grid, *area_grid, *conn_grid;
  GtkWidget *conn_box;
  DvPlotView *diagram;

  DvArchEdit *edit;
  DvArchField fields[DV_ARCH_N_FIELDS];
  int area, conn;               /* selected area / connection */
  guint seen_serial;            /* the edit's serial the page shows */
  guint updating;               /* > 0 while the page sets its widgets */

  /* property values */
  gboolean modified, can_undo, can_redo;
  char *apply_label, *state, *report, *warnings;
  guint reset_seed;
  int sequence_steps;          /* the live view's sequence length, 0: unknown */
  gboolean keep_weights;       /* Apply of a preset keeps the weights that match */
  int preset_steps;            /* Use Preset steps in the edit since the model last changed:
                                * > 0, Apply builds a preset (fresh weights unless keep_weights) */

  DvArchPlot plot;
  DvArchArea *plot_areas;
  DvArchConn *plot_conns;
  char **plot_strings;          /* owned strings the plot points into */
};

/* dv-architecture-page.c */
/* Everything shown (fields, pickers, diagram, properties) from the edit. */
void dv_architecture_page_refresh (DvArchitecturePage *self);
void dv_architecture_page_emit_error (DvArchitecturePage *self, const char *message);
void dv_architecture_page_set_report (DvArchitecturePage *self, const char *report);
/* The report after Use Preset: what Apply will do with the weights. */
void dv_architecture_page_report_preset (DvArchitecturePage *self);
extern guint dv_architecture_page_signal_apply, dv_architecture_page_signal_reset;

/* dv-architecture-page-fields.c */
void         dv_architecture_page_build_fields (DvArchitecturePage *self);
/* The fields show the edit's values for the selected area and connection. */
void         dv_architecture_page_refresh_fields (DvArchitecturePage *self);
DvArchField *dv_architecture_page_field_for_path (DvArchitecturePage *self, const char *path);
/* The field to focus for a click on the diagram (or NULL). */
GtkWidget   *dv_architecture_page_field_widget (DvArchitecturePage *self, const char *key,
                                                DvArchScope scope);

/* dv-architecture-page-actions.c */
void dv_architecture_page_class_init_actions (GtkWidgetClass *widget_class);
void dv_architecture_page_init_shortcuts (DvArchitecturePage *self);

G_END_DECLS
