/* dv-metrics.h — DynVision's prediction metrics and response measures (SPEC §5.2, §5.5).
 *
 * What this is for: turning logits [B,T,K] and labels [B,T] into per-(sample, timestep)
 * records (guess, confidences, accuracy, top-k), running totals of those per timestep,
 * per-layer response measures of one timestep (mean and std of |x|, spatial and feature
 * variance), and the summary measures of a response trace (peak time/height/ratio, summed
 * response, adaptation ratio, onset latency).  Plain functions over float arrays, used by the
 * trainer's validation, `dynvision test` and the tests.
 * What it is not for: running models (dv-experiment.h) or files.
 *
 * Definitions (SPEC §5.2/§5.5):
 *   guess             argmax_k z (first maximum on ties; all-zero logits give 0)
 *   first_label       the label at the first t with label >= 0, else label[b,0]
 *   accuracy          [guess == first_label] at every step, NaN when first_label < 0
 *   labelled accuracy mean over steps with label >= 0 of [guess == label] (what training logs)
 *   guess_confidence  softmax(z)[guess];  first_label_confidence softmax(z)[first_label], 0 if invalid
 *   top-k             [first_label in the k largest softmax(z)], NaN when first_label < 0
 *   layer measures    response_avg = mean |x|, response_std = unbiased std of |x| over (c,y,x);
 *                     spatial_variance = mean_c var_(y,x) x; feature_variance = mean_(y,x) var_c x
 *                     (unbiased variances, torch's default; 0 where a dimension has one entry)
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* argmax of K values, first maximum on ties. */
int    dv_metrics_argmax (const float *z, int K);
/* Softmax of K logits in double precision. */
void   dv_metrics_softmax (const float *z, int K, double *p);

typedef struct {
  gint64 label;                  /* label of this step (−1 on blank steps) */
  gint64 first_label;
  int guess;
  double guess_confidence;
  double first_label_confidence;
  double label_confidence;       /* softmax at the step's own label, NaN if none */
  double accuracy;               /* guess == first_label; NaN when first_label < 0 */
  double top3, top5;             /* first_label in the top 3 / 5; NaN when first_label < 0 */
} DvStepRecord;

/* logits [B,T,K], labels [B,T] -> out [B,T]. */
void   dv_metrics_records (const float *logits, const gint64 *labels, int B, int T, int K,
                           DvStepRecord *out);

/* Running means per timestep over many batches. */
typedef struct {
  int T;
  double *n;                 /* rows seen at t */
  double *n_first;           /* rows with a valid first label */
  double *accuracy;          /* sums of the record fields (NaN-free) */
  double *top3, *top5;
  double *guess_confidence, *first_label_confidence;
  double *n_labelled, *labelled_correct; /* label >= 0 at t, and guess == label */
} DvMetricTotals;

DvMetricTotals *dv_metric_totals_new (int T);
void            dv_metric_totals_free (DvMetricTotals *m);
void            dv_metric_totals_add (DvMetricTotals *m, const DvStepRecord *records, int B, int T);
/* Means at step t (NaN when nothing counted). */
double dv_metric_totals_accuracy (const DvMetricTotals *m, int t);
double dv_metric_totals_labelled_accuracy (const DvMetricTotals *m, int t); /* t < 0: over all steps */
double dv_metric_totals_top (const DvMetricTotals *m, int k, int t);
double dv_metric_totals_guess_confidence (const DvMetricTotals *m, int t);   /* t < 0: all */
double dv_metric_totals_first_label_confidence (const DvMetricTotals *m, int t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvMetricTotals, dv_metric_totals_free)

/* ---- layer measures ---------------------------------------------------------- */

typedef struct {
  double response_avg, response_std, spatial_variance, feature_variance;
} DvLayerMeasures;

#define DV_N_LAYER_MEASURES 4
extern const char *const dv_layer_measure_names[DV_N_LAYER_MEASURES]; /* "response_avg", … */
double dv_layer_measures_get (const DvLayerMeasures *m, int i);

/* x in the engine's CNHW layout [C][B][H][W] -> out [B]. */
void   dv_layer_measures_cnhw (const float *x, int C, int B, int H, int W, DvLayerMeasures *out);

/* ---- trace measures ---------------------------------------------------------- */

typedef struct {
  int    peak_step;          /* argmax (first on ties), −1 for an all-NaN trace */
  double peak_height;        /* max */
  double peak_ratio;         /* later/earlier of the two highest positive local maxima at
                                least min_delay steps apart; 0 when there are fewer than two */
  double summed_response;    /* Σ_t (normalise across a sweep with dv_normalise_by_max) */
  double adaptation_ratio;   /* trace at the window's last step / at its first positive step */
  int    onset_step;         /* first step whose min-max normalised value > threshold, −1 if none */
} DvTraceMeasures;

/* trace [n] (NaN entries ignored); the adaptation window is [win0, win1) (the stimulus; pass
 * 0, n for the whole trace). */
void   dv_trace_measures (const double *trace, int n, int win0, int win1, double threshold,
                          int min_delay, DvTraceMeasures *out);
/* x[i] /= max_i x[i] when the max is positive (Groen et al.'s temporal summation). */
void   dv_normalise_by_max (double *x, int n);

G_END_DECLS
