/* dv-wb-window-private.h — DvWbWindow's instance struct, shared by its files.
 *
 * What this is for: dv-wb-window.c (transport, cursor, input),
 * dv-wb-window-views.c (the views' data) and dv-wb-window-export.c (export
 * and file dialogs) all see the struct.
 * What this is not for: anything outside the window.
 */
#pragma once

#include "dv-plot-view.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

struct _DvWbWindow {
  GtkApplicationWindow parent_instance;

  /* template children */
  GtkButton *play_button;
  GtkToggleButton *loop_button;
  GtkDropDown *speed_dropdown;
  GtkScale *scrubber;
  GtkAdjustment *scrub_adjustment;
  GtkLabel *time_label;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkSpinButton *sample_spin;
  GtkAdjustment *sample_adjustment;
  GtkDropDown *layer_dropdown, *value_dropdown, *colormap_dropdown, *scope_dropdown;
  GtkStringList *layer_list;
  GtkSwitch *normalise_switch;
  GtkEntry *presentation_entry;
  GtkLabel *status_label;
  DvPlotView *stimulus_view, *responses_view, *fmap_view, *readout_view, *probe_view,
             *latency_view;

  DvHistory *history;
  char **layer_names;        /* NULL-terminated copy for the plots */
  char *error;               /* the banner's text, NULL when hidden */

  /* cursor and transport */
  int cursor;
  int pending_cursor;        /* step waited for, -1 */
  int requested_upto;        /* highest step asked of the engine */
  gboolean playing, loop;
  guint play_source;
  guint updating;            /* > 0 while the code sets widget values */

  /* what the views show */
  int layer;
  int probe_c, probe_y, probe_x;
  gboolean diff;
  DvRange global;            /* whole-sequence range of the shown layer/values */
  int global_layer, global_head;
  guint global_seq;
  gboolean global_diff;
  float *diff_maps;
  gsize diff_len;
  DvSeries *probe_series;
  char *probe_name;
  DvRgb probe_color;

  DvResponsesPlot responses, probe;
  DvFmapPlot fmap;
  DvReadoutPlot readout;
  DvLatencyPlot latency;
  DvStimulusPlot stimulus;
  char *fmap_message;
  char *stimulus_caption;
};

/* dv-wb-window-views.c: refill every plot from the history and redraw */
void        dv_wb_window_update_views (DvWbWindow *self);

/* dv-wb-window-export.c */
void        dv_wb_window_install_export_actions (DvWbWindow *self);
DvPlotView *dv_wb_window_view_by_name (DvWbWindow *self, const char *name);

G_END_DECLS
