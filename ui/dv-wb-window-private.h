/* dv-wb-window-private.h — DvWbWindow's instance struct, shared by its files.
 *
 * What this is for: dv-wb-window.c (transport, cursor, input),
 * dv-wb-window-views.c (the views' data), dv-wb-window-stimuli.c (data set,
 * samples, presentation, dropped files) and dv-wb-window-export.c (export
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
  GtkInscription *time_label;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkSpinButton *sample_spin;
  GtkAdjustment *sample_adjustment;
  GtkDropDown *layer_dropdown, *value_dropdown, *colormap_dropdown, *scope_dropdown;
  GtkStringList *layer_list;
  GtkSwitch *normalise_switch;
  GtkEntry *presentation_entry;
  GtkLabel *status_label;
  GtkDropDown *dataset_dropdown, *mode_dropdown, *noise_dropdown;
  GtkStringList *dataset_list;
  GtkGridView *thumbs_view;
  GtkSpinButton *steps_spin, *intro_spin, *duration_spin, *interval_spin, *contrast_spin,
                *ssnr_spin;
  GtkAdjustment *steps_adjustment, *intro_adjustment, *duration_adjustment,
                *interval_adjustment, *contrast_adjustment, *ssnr_adjustment;
  GtkLabel *steps_ms, *intro_ms, *duration_ms, *interval_ms, *dt_label;
  DvPlotView *stimulus_view, *responses_view, *fmap_view, *readout_view, *probe_view,
             *latency_view;
  GtkRevealer *train_revealer;
  GtkBox *train_box;
  struct _DvWbTrainPanel *train; /* dv-wb-window-train.c */

  DvHistory *history;
  char **layer_names;        /* NULL-terminated copy for the plots */
  char *error;               /* the banner's text, NULL when hidden */
  GtkImage *banner_icon;
  char *note;                /* the banner's text when it informs (show_note), or NULL */

  /* cursor and transport */
  int cursor;
  int pending_cursor;        /* step waited for, -1 */
  int requested_upto;        /* highest step asked of the engine */
  gboolean playing, loop;
  gboolean shown_playing;    /* what the play button shows */
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

  /* the stimulus panel (dv-wb-window-stimuli.c) */
  GPtrArray *dataset_specs;  /* spec of each data set item; the chooser items follow */
  char *shown_dataset;       /* the data set the panel shows */
  int n_samples;
  GtkStringList *thumb_model;
  GtkSingleSelection *thumb_selection;
  DvWbThumbnailFunc thumb_func;
  gpointer thumb_data;
  GDestroyNotify thumb_destroy;

  DvArchitecturePage *architecture_page;
  GtkStack *view_stack;
};

/* dv-wb-window-views.c: refill every plot from the history and redraw */
void        dv_wb_window_update_views (DvWbWindow *self);

/* dv-wb-window-stimuli.c */
void        dv_wb_window_init_stimuli (DvWbWindow *self);
void        dv_wb_window_finalize_stimuli (DvWbWindow *self);
/* the data set, samples and presentation widgets follow the history */
void        dv_wb_window_stimuli_changed (DvWbWindow *self, gboolean new_sequence);
/* back to what the history says (after a rejected setting) */
void        dv_wb_window_sync_presentation (DvWbWindow *self);
/* "key=value" settings, applied together (::set-presentation) */
void        dv_wb_window_emit_presentation (DvWbWindow *self, const char *const *assignments);

/* dv-wb-window-train.c: the training panel, checkpoint/project actions, health */
typedef struct _DvWbTrainPanel DvWbTrainPanel;
void        dv_wb_window_class_init_train (GtkWidgetClass *widget_class);
void        dv_wb_window_init_train (DvWbWindow *self);
void        dv_wb_window_finalize_train (DvWbWindow *self);
/* pauses at the first NaN/Inf of the recorded steps and says where */
void        dv_wb_window_check_health (DvWbWindow *self, gboolean new_sequence);

/* dv-wb-window-export.c */
typedef enum {
  DV_WB_CHOOSE_EXPORT_VIEW,
  DV_WB_CHOOSE_EXPORT_ALL,
  DV_WB_CHOOSE_CHECKPOINT,
  DV_WB_CHOOSE_IMAGE_FOLDER,
  DV_WB_CHOOSE_CIFAR_FOLDER,
  DV_WB_CHOOSE_EXPORT_DYNVISION,
} DvWbChooser;

void        dv_wb_window_install_export_actions (DvWbWindow *self);
DvPlotView *dv_wb_window_view_by_name (DvWbWindow *self, const char *name);
void        dv_wb_window_run_chooser (DvWbWindow *self, DvWbChooser kind, const char *view);

G_END_DECLS
