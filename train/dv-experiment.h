/* dv-experiment.h — DynVision's test experiments (SPEC §4.5) run on a trained model.
 *
 * What this is for: the table of shipped experiment protocols (a temporal presentation, the
 * model's idle timesteps, and a parameter swept over values: a presentation parameter such as
 * contrast or stim, the model's idle steps, or feedforward-only), and running one on a fixed
 * set of test samples, writing
 *   <name>_data.csv        one row per (value, sample, timestep): label, guess, confidences,
 *                          accuracy, top-3/5, and per layer response_avg/std, spatial and
 *                          feature variance (SPEC §5.5)
 *   <name>_timecourse.csv  the same averaged over samples, one row per (value, timestep)
 *   <name>_summary.csv     one row per value: accuracies and confidences, and per layer the
 *                          peak time/height/ratio, summed response (also normalised over the
 *                          sweep), adaptation ratio and onset latency of the mean trace
 * What it is not for: training, or drawing (dv-train-plots.h, `dynvision plot`).
 */
#pragma once

#include "dv-data.h"
#include "dv-model.h"

G_BEGIN_DECLS

typedef enum {
  DV_SWEEP_NONE,          /* one run */
  DV_SWEEP_PRESENTATION,  /* a presentation parameter (contrast, stim, interval, ssnr, …) */
  DV_SWEEP_IDLE,          /* the model's idle_timesteps */
  DV_SWEEP_FFONLY,        /* feedforward only: 0, 1 */
} DvSweepKind;

typedef struct {
  const char *name;
  const char *presentation;  /* "loader=duration n_timesteps=60 intro=1 stim=30" */
  int idle;                  /* the model's idle_timesteps during the test */
  DvSweepKind sweep;
  const char *parameter;     /* the swept key, also the CSV column meaning; "" for none */
  const char *values;        /* comma-separated */
  gboolean ffonly;           /* feedforward-only variant */
  const char *about;
} DvExperimentSpec;

guint                   dv_experiment_n_specs (void);
const DvExperimentSpec *dv_experiment_spec (guint i);
/* By name; "<name>ffonly" gives the feedforward-only variant of any experiment. */
gboolean                dv_experiment_lookup (const char *name, DvExperimentSpec *out, GError **error);

typedef struct {
  int samples;            /* test samples (class-balanced round robin), 0 = 256 */
  int batch;              /* 32 */
  int channels;           /* 0 = the model's input channels */
  guint64 seed;           /* noise and pattern seed, 42 */
  const double *values;   /* override the swept values (n_values of them), or NULL */
  int n_values;
  char **overrides;       /* extra presentation key=value, applied after the protocol's */
  gboolean no_samples_csv;/* skip <name>_data.csv (large) */
  const char *out_dir;
} DvExperimentConfig;

void dv_experiment_config_init (DvExperimentConfig *c);

typedef void (*DvExperimentProgressFunc) (int value_index, int n_values, int batch, int n_batches,
                                          gpointer user_data);

/* Runs the experiment and writes the three CSV files into cfg->out_dir (created). */
gboolean dv_experiment_run (DvModel *model, DvDataset *ds, const DvExperimentSpec *spec,
                            const DvExperimentConfig *cfg, DvExperimentProgressFunc progress,
                            gpointer user_data, GError **error);

/* A new model like `model` but built from a modified copy of its description (for example
 * another idle_timesteps); parameters and buffers are copied by name. */
DvModel *dv_model_rebuild (DvModel *model, void (*edit) (DvModelDesc *desc, gpointer data), gpointer data,
                           GError **error);

G_END_DECLS
