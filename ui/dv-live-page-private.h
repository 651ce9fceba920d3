/* dv-live-page-private.h — DvLivePage's instance struct, shared by its files:
 * dv-live-page.c (the object, transport, cursor, input, layout, health),
 * dv-live-page-views.c (what the views show), dv-live-page-stimuli.c (data
 * set, samples, presentation) and dv-live-page-actions.c (actions and keys).
 *
 * What this is for: those four files.  What it is not for: anything else
 * (the window and the application use dv-live-page.h).
 */
#pragma once

#include "dv-live-page.h"

G_BEGIN_DECLS

typedef enum {
  DV_LIVE_SIGNAL_COMPUTE,
  DV_LIVE_SIGNAL_SELECT_SAMPLE,
  DV_LIVE_SIGNAL_SET_PARAMETER,
  DV_LIVE_SIGNAL_SET_PRESENTATION,
  DV_LIVE_SIGNAL_ERROR,
  DV_LIVE_N_SIGNALS
} DvLiveSignal;

extern guint dv_live_page_signals[DV_LIVE_N_SIGNALS];

typedef enum {
  DV_LIVE_PROP_0,
  DV_LIVE_PROP_TITLE,
  DV_LIVE_PROP_PLAYING,
  DV_LIVE_PROP_CURSOR,
  DV_LIVE_PROP_LOOP,
  DV_LIVE_PROP_STATUS,
  DV_LIVE_PROP_SEQUENCE,
  DV_LIVE_PROP_STEPS,
  DV_LIVE_N_PROPS
} DvLiveProp;

extern GParamSpec *dv_live_page_props[DV_LIVE_N_PROPS];

struct _DvLivePage {
  GtkBox parent_instance;

  /* template children */
  GtkButton *play_button;
  GtkScrolledWindow *sidebar;
  GtkDropDown *speed_dropdown;
  GtkAdjustment *scrub_adjustment;
  GtkInscription *time_label;
  GtkSpinButton *sample_spin;
  GtkAdjustment *sample_adjustment;
  GtkDropDown *layer_dropdown, *value_dropdown, *colormap_dropdown, *scope_dropdown;
  GtkStringList *layer_list;
  GtkSwitch *normalise_switch;
  GtkEntry *presentation_entry;
  GtkDropDown *dataset_dropdown, *mode_dropdown, *noise_dropdown;
  GtkStringList *dataset_list;
  GtkGridView *thumbs_view;
  GtkSpinButton *steps_spin, *intro_spin, *duration_spin, *interval_spin, *contrast_spin, *ssnr_spin;
  GtkAdjustment *steps_adjustment, *intro_adjustment, *duration_adjustment,
                *interval_adjustment, *contrast_adjustment, *ssnr_adjustment;
  GtkLabel *steps_ms, *intro_ms, *duration_ms, *interval_ms, *dt_label;
  DvPlotView *stimulus_view, *responses_view, *fmap_view, *readout_view, *probe_view,
             *latency_view;

  DvHistory *history;
  char **layer_names;        /* NULL-terminated copy for the plots */
  char *title;               /* "DynVision Workbench — model" (property) */
  char *status;              /* the status line under the settings (property) */
  char *sequence;            /* what the sequence on show is: model, data set, sample, settings */
  int steps;                 /* its timesteps (property) */

  /* cursor and transport */
  int cursor;
  int pending_cursor;        /* step waited for, -1 */
  int requested_upto;        /* highest step asked of the engine */
  gboolean playing, loop;
  gboolean shown_playing;    /* what the play button shows */
  guint play_source;
  guint updating;            /* > 0 while the code sets widget values */
  guint health_seq;          /* the sequence the NaN check looked at */
  int health_checked;        /* its last step checked (G_MAXINT: reported) */

  /* what the views show */
  int layer;
  int probe_c, probe_y, probe_x;
  gboolean diff;
  DvRange global;            /* whole-sequence range of the shown layer/values */
  int global_layer, global_head;  /* global covers steps 0..global_head of that layer */
  guint64 global_steps_scanned;   /* steps update_global_range has read (a test counts them) */
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
  const char *current_view; /* the view last clicked (Ctrl+E exports it) */
  char *fmap_message;
  char *stimulus_caption;

  /* the stimulus panel (dv-live-page-stimuli.c) */
  GPtrArray *dataset_specs;  /* spec of each data set item; the chooser items follow */
  char *shown_dataset;       /* the data set the panel shows */
  int n_samples;
  GtkStringList *thumb_model;
  GtkSingleSelection *thumb_selection;
  DvLiveThumbnailFunc thumb_func;
  gpointer thumb_data;
  GDestroyNotify thumb_destroy;
  gboolean thumb_followed;   /* the picker has followed a sample of the engine's */
  guint thumb_follow_source; /* the timeout that follows the next once it settles, 0: none */
};

/* dv-live-page.c */
void dv_live_page_emit_error (DvLivePage *self, const char *message);
void dv_live_page_step_by (DvLivePage *self, int delta);

/* dv-live-page-views.c: refill every plot from the history and redraw */
void dv_live_page_update_views (DvLivePage *self);

/* dv-live-page-stimuli.c */
void dv_live_page_init_stimuli (DvLivePage *self);
void dv_live_page_finalize_stimuli (DvLivePage *self);
/* the data set, samples and presentation widgets follow the history */
void dv_live_page_stimuli_changed (DvLivePage *self, gboolean new_sequence);
void dv_live_page_class_init_stimuli (GtkWidgetClass *widget_class);

/* dv-live-page-actions.c */
void dv_live_page_class_init_actions (GtkWidgetClass *widget_class);
void dv_live_page_init_shortcuts (DvLivePage *self);
/* Enter or Escape in a field gives the keys back to the transport; the
 * wheel over a spin button of the sidebar scrolls the sidebar unless the
 * spin button has the focus. */
void dv_live_page_init_field_keys (DvLivePage *self);

G_END_DECLS
