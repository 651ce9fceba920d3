/* dv-history.h — the recorded frames of one sequence: what the views show.
 *
 * What this is for: for every timestep t of the current sequence, the
 * per-layer mean |activation| and the logits (as DvSeries, ready for the
 * plots), the input frame and every layer's feature maps (batch sample 0),
 * plus what the sequence is (model layers and shapes, classes, schedule,
 * label).  The engine thread fills its own DvHistory under its mutex; the
 * main thread keeps a second one and brings it up to date with
 * dv_history_sync(), so scrubbing back never asks the engine to recompute.
 * What this is not for: widgets (GTK-free, tested without a display) or
 * running the model.
 *
 * Bounds: T is at most DV_HISTORY_MAX_STEPS.  The per-step series (layer
 * means, logits) are kept for every step; the frames (the input and every
 * layer's maps, the bulk of the memory) for the newest frame_capacity steps
 * only: as many as fit in the budget (dv_history_set_budget, default
 * DV_HISTORY_DEFAULT_BUDGET bytes), at least one, at most T.
 *
 * Threads: none; a DvHistory is used by one thread at a time (the engine's
 * one under its mutex).
 */
#pragma once

#include <glib.h>

#include "dv-plot-model.h"
#include "dv-provenance.h"

G_BEGIN_DECLS

#define DV_HISTORY_MAX_STEPS 4096
#define DV_HISTORY_DEFAULT_BUDGET ((gsize) 256 << 20)

typedef struct {
  char *name;
  int C, H, W;
  gsize offset; /* floats from the start of a step's maps */
} DvHistoryLayer;

typedef struct {
  /* identity: a new model or a new sequence bumps seq_id */
  guint seq_id;
  char *model_label;       /* "CustomRCNN (seed 0)" or the checkpoint's file name */

  /* what the sequence is */
  int T;
  double dt;
  int n_layers;
  DvHistoryLayer *layers;
  gsize map_floats;        /* floats of all layers' maps per step */
  int n_classes;
  char **class_names;      /* [n_classes], NULL-terminated */
  int in_c, in_h, in_w;
  float in_mean[3], in_std[3];  /* display: value·std + mean is the [0,1] intensity */
  guint8 *flags;           /* [T] DvPlotStepFlags */
  float *contrast;         /* [T] */
  int label;               /* class of the sample in its data set, -1 unknown */
  char *label_name;        /* the data set's name of that class, or NULL */
  char *readout_note;      /* the stimuli are not of the model's classes (why), or NULL */
  int sample;              /* index in the dataset */
  char *caption;           /* "embedded #12" */
  char *presentation;      /* "StimulusDuration · intro 2 · stimulus 10 · T 20" */
  char *presentation_params; /* every setting, "loader=StimulusDuration n_timesteps=20 …" */
  char *dataset;           /* the data set's spec: "embedded", "fashion-mnist", "folder:DIR" */
  int n_samples;           /* samples in the data set */
  char *fit;               /* how the stimulus was fitted to the model's input, or NULL */
  DvProvenance *provenance; /* what an export records (weights, model, data, sample, presentation,
                             * seed), or NULL; the engine thread bumps provenance_serial when it
                             * changes within a sequence (an edit, a training run) */
  guint provenance_serial;

  /* what has been computed: steps 0..head */
  int head;
  DvSeries *means;         /* n_layers values per step (NaN: the layer had no response yet) */
  DvSeries *logits;        /* n_classes values per step */
  guint8 *present;         /* [T][n_layers] */

  /* frames: slot t % frame_capacity holds step t's input (in_c·in_h·in_w
   * floats) followed by its maps (map_floats), if input_step / maps_step
   * of the slot say t */
  gsize budget;            /* bytes for the frames */
  int frame_capacity;
  gsize frame_floats;
  float *frames;
  int *input_step, *maps_step;  /* [frame_capacity], -1: empty */
} DvHistory;

DvHistory *dv_history_new (void);
void       dv_history_free (DvHistory *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvHistory, dv_history_free)

/* The memory for frames (bytes); takes effect at the next configure. */
void       dv_history_set_budget (DvHistory *h, gsize bytes);
/* Bytes a configured history holds (frames, series and schedule). */
gsize      dv_history_get_memory (const DvHistory *h);

/* Sizes everything for a sequence and clears the data (head = -1).
 * layer_names/shapes have n_layers entries; class_names n_classes (or NULL). */
void       dv_history_configure (DvHistory *h, int T, double dt, int n_layers,
                                 const char *const *layer_names, const int *shapes /* [n][3] */,
                                 int n_classes, const char *const *class_names,
                                 int in_c, int in_h, int in_w);
/* Forgets the computed steps but keeps the sequence. */
void       dv_history_clear (DvHistory *h);

/* Records step t (must be head + 1, or <= head to overwrite from there).
 * input: in_c·in_h·in_w floats or NULL; maps: map_floats floats (all layers,
 * sample 0) or NULL (NULL: not kept for this step); present may be NULL. */
void       dv_history_record (DvHistory *h, int t, const float *means, const float *logits,
                              const float *input, const float *maps, const guint8 *present);

/* Pointers into the stored step t, or NULL when t is not (or no longer) kept. */
gboolean     dv_history_frame_kept (const DvHistory *h, int t);
const float *dv_history_input (const DvHistory *h, int t);
const float *dv_history_layer_maps (const DvHistory *h, int t, int layer);
gboolean     dv_history_layer_present (const DvHistory *h, int t, int layer);

/* Brings dst up to src: everything when the sequence differs, else only the
 * new steps.  Returns TRUE when dst changed; *new_sequence says whether the
 * sequence (or model) itself is new. */
gboolean   dv_history_sync (DvHistory *dst, const DvHistory *src, gboolean *new_sequence);

/* The trace of one unit (layer, c, y, x) over the kept steps 0..head into
 * a fresh series (NaN where the maps are not kept or the layer was absent). */
DvSeries  *dv_history_unit_trace (const DvHistory *h, int layer, int c, int y, int x);

G_END_DECLS
