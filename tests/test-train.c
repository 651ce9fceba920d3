/* test-train.c — the training side: optimisers against PyTorch's numbers, schedules,
 * learning-rate scaling, the loss with its ignore index, the activity loss and its gradient,
 * prediction metrics and response measures on hand-made inputs, an experiment run end to
 * end, and the CSV reader.  The training loop itself is tested in test-trainer.c.
 *
 * Reference numbers marked "torch" come from torch 1.13 (foreach=False) with the inputs
 * written next to them. */
#include "dv-activity.h"
#include "dv-checkpoint.h"
#include "dv-csv.h"
#include "dv-data.h"
#include "dv-eval.h"
#include "dv-experiment.h"
#include "dv-metrics.h"
#include "dv-model-edit.h"
#include "dv-ops.h"
#include "dv-optim.h"
#include "dv-trainer.h"
#include "train-fixtures.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- fixtures ------------------------------------------------------------------------ */

/* A one-tensor "model" for the optimiser tests: the tiny model with every gradient zero
 * except that of the parameter returned. */
static DvParam *
first_trainable (DvModel *m, const char *needle)
{
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (p->trainable && (needle == NULL || strstr (p->name, needle)))
        return p;
    }
  g_assert_not_reached ();
  return NULL;
}

/* ---- optimisers ----------------------------------------------------------------------- */

static const float grads[3][3] = { { 0.1f, -0.2f, 0.3f }, { -0.05f, 0.4f, 0.1f }, { 0.2f, 0.2f, -0.3f } };

static void
run_optim (const DvOptimConfig *cfg, const float expect[3])
{
  g_autoptr (DvModel) m = tiny_model (2, 1);
  DvParam *p = first_trainable (m, NULL);
  const float w0[3] = { 0.5f, -1.0f, 2.0f };
  memcpy (p->data, w0, sizeof w0);
  g_autoptr (DvOptim) o = dv_optim_new (m, cfg);
  for (int s = 0; s < 3; s++)
    {
      dv_model_zero_grad (m);
      memcpy (p->grad, grads[s], sizeof grads[s]);
      dv_optim_step (o);
    }
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (p->data[i], expect[i], 2e-6);
  g_assert_cmpint (dv_optim_get_step (o), ==, 3);
}

static void
test_sgd_momentum (void)
{
  /* torch: SGD(lr=0.1, momentum=0.9, weight_decay=0.01), w0 = [0.5, -1, 2], grads above */
  DvOptimConfig c = { .kind = DV_OPTIM_SGD, .lr = 0.1, .momentum = 0.9, .weight_decay = 0.01 };
  run_optim (&c, (const float[]) { 0.45963037f, -1.03623068f, 1.91861355f });
}

static void
test_sgd_nesterov (void)
{
  DvOptimConfig c = { .kind = DV_OPTIM_SGD, .lr = 0.1, .momentum = 0.9, .nesterov = TRUE, .weight_decay = 0.01 };
  run_optim (&c, (const float[]) { 0.437227309f, -1.06964636f, 1.91100466f });
}

static void
test_sgd_plain (void)
{
  DvOptimConfig c = { .kind = DV_OPTIM_SGD, .lr = 0.1 };
  run_optim (&c, (const float[]) { 0.474999994f, -1.03999996f, 1.99000001f });
}

static void
test_adam_l2 (void)
{
  /* torch: Adam(lr=0.01, weight_decay=0.1): L2 added to the gradient */
  DvOptimConfig c = { .kind = DV_OPTIM_ADAM, .lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                      .weight_decay = 0.1 };
  run_optim (&c, (const float[]) { 0.475223541f, -0.99242866f, 1.97424448f });
}

static void
test_adamw (void)
{
  /* torch: AdamW(lr=0.01, weight_decay=0.1): decoupled decay */
  DvOptimConfig c = { .kind = DV_OPTIM_ADAMW, .lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                      .weight_decay = 0.1 };
  run_optim (&c, (const float[]) { 0.479279667f, -0.995872855f, 1.97484028f });
}

static void
test_lr_factor (void)
{
  g_autoptr (DvModel) m = tiny_model (2, 1);
  DvParam *ff = first_trainable (m, "layer1.conv.weight"), *rc = first_trainable (m, "recurrence");
  DvOptimConfig c = { .kind = DV_OPTIM_SGD, .lr = 0.5 };
  g_autoptr (DvOptim) o = dv_optim_new (m, &c);
  dv_optim_add_lr_factor (o, "recurrence", 0.2);
  dv_model_zero_grad (m);
  float a = ff->data[0], b = rc->data[0];
  ff->grad[0] = rc->grad[0] = 1.0f;
  dv_optim_step (o);
  g_assert_cmpfloat_with_epsilon (a - ff->data[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (b - rc->data[0], 0.1, 1e-6);
}

static void
test_clip (void)
{
  g_autoptr (DvModel) m = tiny_model (2, 1);
  DvParam *p = first_trainable (m, NULL);
  DvOptimConfig c = { .kind = DV_OPTIM_SGD, .lr = 0.1 };
  g_autoptr (DvOptim) o = dv_optim_new (m, &c);
  dv_model_zero_grad (m);
  p->grad[0] = 3, p->grad[1] = 4;
  /* torch.nn.utils.clip_grad_norm_([3, 4, 0], 1.0) -> norm 5, grad [0.599999905, 0.799999833, 0] */
  g_assert_cmpfloat_with_epsilon (dv_optim_clip_grad_norm (o, 1.0), 5.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (p->grad[0], 0.599999905f, 1e-7);
  g_assert_cmpfloat_with_epsilon (p->grad[1], 0.799999833f, 1e-7);
  /* below the bound nothing changes */
  g_assert_cmpfloat_with_epsilon (dv_optim_clip_grad_norm (o, 10.0), 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (p->grad[0], 0.599999905f, 1e-7);
}

/* ---- schedules and scaling ---------------------------------------------------------- */

static void
test_schedule_cosine (void)
{
  /* torch CosineAnnealingLR(T_max=10, eta_min=0) from lr 1, epochs 0..11 */
  static const double ref[] = { 1, 0.975528258, 0.904508497, 0.793892626, 0.654508497, 0.5, 0.345491503,
                                0.206107374, 0.0954915028, 0.0244717419, 0, 0.0244717419 };
  DvTrainConfig c;
  dv_train_config_init (&c);
  c.schedule = DV_SCHEDULE_COSINE;
  c.t_max = 10;
  for (guint e = 0; e < G_N_ELEMENTS (ref); e++)
    g_assert_cmpfloat_with_epsilon (dv_schedule_lr (&c, 1.0, (int) e), ref[e], 1e-9);
  /* t_max 0 means the number of epochs */
  c.t_max = 0;
  c.epochs = 4;
  g_assert_cmpfloat_with_epsilon (dv_schedule_lr (&c, 2.0, 2), 1.0, 1e-12);
  dv_train_config_clear (&c);
}

static void
test_schedule_step (void)
{
  /* torch StepLR(step_size=3, gamma=0.5) */
  static const double ref[] = { 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25 };
  DvTrainConfig c;
  dv_train_config_init (&c);
  c.schedule = DV_SCHEDULE_STEP;
  c.step_size = 3;
  c.gamma = 0.5;
  for (guint e = 0; e < G_N_ELEMENTS (ref); e++)
    g_assert_cmpfloat_with_epsilon (dv_schedule_lr (&c, 1.0, (int) e), ref[e], 1e-12);
  c.schedule = DV_SCHEDULE_CONSTANT;
  g_assert_cmpfloat (dv_schedule_lr (&c, 0.3, 50), ==, 0.3);
  dv_train_config_clear (&c);
}

static void
test_lr_scaling (void)
{
  /* SPEC §5.3: E = batch·accumulate; E/64 for E <= 128, else sqrt(E/64) */
  g_assert_cmpfloat_with_epsilon (dv_lr_scale_factor (32, 1), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (dv_lr_scale_factor (64, 2), 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (dv_lr_scale_factor (192, 4), sqrt (12.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (2e-4 * dv_lr_scale_factor (192, 4), 6.928e-4, 1e-7);
  g_assert_cmpfloat_with_epsilon (dv_lr_scale_factor (129, 1), sqrt (129 / 64.0), 1e-12);
}

/* ---- losses ------------------------------------------------------------------------------ */

static void
test_loss_ignore_index (void)
{
  const float z[] = { 1, 2, 0.5f, 0.1f, 0.1f, 3, 2, -1, 0, 0.3f, 0.2f, 0.1f };
  const int64_t y[] = { 1, -1, 0, 2 };
  float dz[12] = { 0 };
  int nv = 0;
  /* torch: cross_entropy(z, y, ignore_index=-1) = 0.61205256; the ignored row has no gradient */
  double l = dv_cross_entropy (dz, z, y, 4, 3, -1, 1.0f, &nv);
  g_assert_cmpint (nv, ==, 3);
  g_assert_cmpfloat_with_epsilon (l, 0.61205256, 1e-6);
  for (int k = 0; k < 3; k++)
    g_assert_cmpfloat (dz[3 + k], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (dz[0], 0.0771, 1e-4);
  g_assert_cmpfloat_with_epsilon (dz[11], -0.2331, 1e-4);
  /* nothing valid: loss 0, no gradient */
  const int64_t none[] = { -1, -1, -1, -1 };
  float dz2[12] = { 0 };
  g_assert_cmpfloat (dv_cross_entropy (dz2, z, none, 4, 3, -1, 1.0f, &nv), ==, 0.0);
  g_assert_cmpint (nv, ==, 0);
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat (dz2[i], ==, 0.0f);
}

static void
test_activity_measure (void)
{
  /* CNHW: C = 2, B = 2, HW = 2 */
  const float x[] = { 1, -2, 0.5f, 0, 3, 0, -1, 4 };
  /* sample 0: {1,-2,3,0}, sample 1: {0.5,0,-1,4} */
  double a[2];
  dv_activity_measure (x, 2, 2, 2, DV_ACTIVITY_ABSOLUTE, 1.0, a);
  g_assert_cmpfloat_with_epsilon (a[0], 6.0 / 4, 1e-12);
  g_assert_cmpfloat_with_epsilon (a[1], 5.5 / 4, 1e-12);
  dv_activity_measure (x, 2, 2, 2, DV_ACTIVITY_ABSOLUTE, 2.0, a);
  g_assert_cmpfloat_with_epsilon (a[0], sqrt (14.0) / 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (a[1], sqrt (17.25) / 2, 1e-12);
  dv_activity_measure (x, 2, 2, 2, DV_ACTIVITY_SIGNED, 1.0, a);
  g_assert_cmpfloat_with_epsilon (a[0], 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (a[1], 0.875, 1e-12);

  /* gradient against central differences, every mode */
  const struct { DvActivityMode mode; double ord; } modes[] = {
    { DV_ACTIVITY_ABSOLUTE, 1.0 }, { DV_ACTIVITY_ABSOLUTE, 2.0 }, { DV_ACTIVITY_ABSOLUTE, 3.0 },
    { DV_ACTIVITY_SIGNED, 1.0 },
  };
  const float xs[] = { 1, -2, 0.5f, 0.3f, 3, 0.2f, -1, 4 };
  const double scale[2] = { 0.7, -1.3 };
  for (guint k = 0; k < G_N_ELEMENTS (modes); k++)
    {
      float dx[8] = { 0 }, xp[8];
      dv_activity_backward (dx, xs, 2, 2, 2, modes[k].mode, modes[k].ord, scale);
      for (int i = 0; i < 8; i++)
        {
          double ap[2], am[2], h = 1e-3;
          memcpy (xp, xs, sizeof xs);
          xp[i] += (float) h;
          dv_activity_measure (xp, 2, 2, 2, modes[k].mode, modes[k].ord, ap);
          xp[i] -= (float) (2 * h);
          dv_activity_measure (xp, 2, 2, 2, modes[k].mode, modes[k].ord, am);
          double num = (scale[0] * (ap[0] - am[0]) + scale[1] * (ap[1] - am[1])) / (2 * h);
          g_assert_cmpfloat_with_epsilon (dx[i], num, 1e-3);
        }
    }
}

typedef struct {
  double sum;   /* Σ_b Σ_l Σ_t a_b */
  int steps;
} ActRef;

/* The activity loss observer gives mean_b Σ_l Σ_t a_b / (L·T) of the responses the run
 * records; compared here with the same sum taken from dv_eval_forward's responses. */
static void
test_activity_observer (void)
{
  g_autoptr (DvModel) m = tiny_model (4, 3);
  const DvModelDesc *D = dv_model_get_desc (m);
  int B = 3, T = 4, C = 3, H = 32, W = 32, L = D->n_layers;
  g_autofree float *x = g_new (float, (gsize) B * T * C * H * W);
  for (gsize i = 0; i < (gsize) B * T * C * H * W; i++)
    x[i] = (float) sin (0.37 * i);
  DvRunOptions o = { .training = TRUE };
  g_autoptr (DvRun) run = dv_run_new (m, B, &o);
  DvActivityConfig ac;
  dv_activity_config_init (&ac);
  ac.weight = 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvActivityLoss) al = dv_activity_loss_new (run, &ac, &error);
  g_assert_no_error (error);
  dv_activity_loss_reset (al);
  g_autofree float *lg = g_new (float, (gsize) B * T * D->n_classes);
  g_assert_true (dv_run_forward (run, x, T, lg, &error));
  double got = dv_activity_loss_value (al);

  float *resp[8] = { 0 };
  g_autofree gboolean *present = g_new0 (gboolean, L * T);
  for (int l = 0; l < L; l++)
    {
      int c, h, w;
      dv_model_layer_shape (m, l, &c, &h, &w);
      resp[l] = g_new0 (float, (gsize) B * T * c * h * w);
    }
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, lg, resp, present, &error));
  double sum = 0;
  int tmax = 0;
  for (int l = 0; l < L; l++)
    {
      int c, h, w, n = 0;
      dv_model_layer_shape (m, l, &c, &h, &w);
      for (int t = 0; t < T; t++)
        {
          if (!present[l * T + t])
            continue;
          n++;
          for (int b = 0; b < B; b++)
            {
              const float *r = resp[l] + ((gsize) b * T + t) * c * h * w;
              double s = 0;
              for (int i = 0; i < c * h * w; i++)
                s += fabs (r[i]);
              sum += s / (c * h * w);
            }
        }
      tmax = MAX (tmax, n);
      g_free (resp[l]);
    }
  g_assert_cmpint (tmax, >, 0);
  g_assert_cmpfloat (got, >, 0);
  g_assert_cmpfloat_with_epsilon (got, sum / ((double) L * tmax) / B, 1e-5 * got);
  dv_activity_config_clear (&ac);

  /* an unknown layer is an error that names the layers there are */
  DvActivityConfig bad;
  dv_activity_config_init (&bad);
  bad.layers = g_strsplit ("V1", ",", -1);
  g_autoptr (DvRun) run2 = dv_run_new (m, 1, &o);
  g_assert_null (dv_activity_loss_new (run2, &bad, &error));
  g_assert_nonnull (strstr (error->message, "layer1"));
  dv_activity_config_clear (&bad);
}

/* ---- metrics and measures ----------------------------------------------------------- */

static void
test_metrics_records (void)
{
  /* B = 2, T = 3, K = 4 */
  const float z[] = {
    0, 0, 0, 0,      1, 3, 3, 0,      0, 1, 2, 5,     /* sample 0: labels -1, 2, 2 */
    2, 1, 0, -1,     0, 0, 9, 0,      1, 1, 1, 1,     /* sample 1: labels -1, -1, -1 */
  };
  const gint64 y[] = { -1, 2, 2, -1, -1, -1 };
  DvStepRecord r[6];
  dv_metrics_records (z, y, 2, 3, 4, r);
  /* all-zero logits: guess 0, confidence 1/4; first label 2 even at the blank step */
  g_assert_cmpint (r[0].guess, ==, 0);
  g_assert_cmpint (r[0].first_label, ==, 2);
  g_assert_cmpfloat_with_epsilon (r[0].guess_confidence, 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (r[0].first_label_confidence, 0.25, 1e-12);
  g_assert_cmpfloat (r[0].accuracy, ==, 0);
  g_assert_true (isnan (r[0].label_confidence));
  /* ties: the first maximum (class 1), so wrong; label 2 is still in the top 3 */
  g_assert_cmpint (r[1].guess, ==, 1);
  g_assert_cmpfloat (r[1].accuracy, ==, 0);
  double e1 = exp (1), e3 = exp (3), s = e1 + 2 * e3 + 1;
  g_assert_cmpfloat_with_epsilon (r[1].guess_confidence, e3 / s, 1e-12);
  g_assert_cmpfloat_with_epsilon (r[1].first_label_confidence, e3 / s, 1e-12);
  g_assert_cmpfloat (r[1].top3, ==, 1);
  /* class 3 wins, label 2 is second: top-3 and top-5 yes */
  g_assert_cmpint (r[2].guess, ==, 3);
  g_assert_cmpfloat (r[2].top3, ==, 1);
  g_assert_cmpfloat (r[2].top5, ==, 1);
  /* no valid label at all: first label = label[b,0] = -1, accuracy and top-k NaN, confidence 0 */
  g_assert_cmpint (r[3].first_label, ==, -1);
  g_assert_true (isnan (r[3].accuracy));
  g_assert_true (isnan (r[3].top3));
  g_assert_cmpfloat (r[3].first_label_confidence, ==, 0);
  g_assert_cmpint (r[4].guess, ==, 2);

  g_autoptr (DvMetricTotals) tot = dv_metric_totals_new (3);
  dv_metric_totals_add (tot, r, 2, 3);
  /* labelled accuracy (SPEC §5.2): over label >= 0 only: steps (0,1), (0,2) -> 0 of 2 */
  g_assert_cmpfloat (dv_metric_totals_labelled_accuracy (tot, -1), ==, 0);
  g_assert_true (isnan (dv_metric_totals_labelled_accuracy (tot, 0)));
  /* the per-step accuracy only counts samples with a first label */
  g_assert_cmpfloat (dv_metric_totals_accuracy (tot, 2), ==, 0);
  g_assert_cmpfloat (dv_metric_totals_top (tot, 3, 1), ==, 1);
  g_assert_cmpfloat_with_epsilon (dv_metric_totals_guess_confidence (tot, 0),
                                  (0.25 + exp (2) / (exp (2) + exp (1) + 1 + exp (-1))) / 2, 1e-12);

  /* a top-3 miss: label 0 is the smallest of 4 */
  const float z2[] = { 0, 1, 2, 3 };
  const gint64 y2[] = { 0 };
  DvStepRecord r2;
  dv_metrics_records (z2, y2, 1, 1, 4, &r2);
  g_assert_cmpfloat (r2.top3, ==, 0);
  g_assert_cmpfloat (r2.top5, ==, 1);
}

static void
test_layer_measures (void)
{
  /* C = 2, B = 1, H = 1, W = 3: channel 0 = {1, -2, 3}, channel 1 = {0, 2, 4} */
  const float x[] = { 1, -2, 3, 0, 2, 4 };
  DvLayerMeasures m;
  dv_layer_measures_cnhw (x, 2, 1, 1, 3, &m);
  /* |x| = {1,2,3,0,2,4}: mean 2, unbiased std sqrt(10/5) */
  g_assert_cmpfloat_with_epsilon (m.response_avg, 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.response_std, sqrt (2.0), 1e-12);
  /* var over (y,x): ch0 {1,-2,3}: mean 2/3, var = (1/9+64/9+49/9)/2 = 19/3; ch1 {0,2,4}: 4 */
  g_assert_cmpfloat_with_epsilon (m.spatial_variance, (19.0 / 3 + 4) / 2, 1e-12);
  /* var over channels per pixel: {1,0} 0.5, {-2,2} 8, {3,4} 0.5 */
  g_assert_cmpfloat_with_epsilon (m.feature_variance, 9.0 / 3, 1e-12);
  g_assert_cmpfloat (dv_layer_measures_get (&m, 0), ==, m.response_avg);
  g_assert_cmpstr (dv_layer_measure_names[3], ==, "feature_variance");
}

static void
test_trace_measures (void)
{
  /*            0  1  2  3  4  5  6  7  8  9 */
  double x[] = { 0, 1, 4, 2, 1, 1, 1, 3, 2, 2 };
  DvTraceMeasures m;
  dv_trace_measures (x, 10, 1, 7, 0.5, 5, &m);
  g_assert_cmpint (m.peak_step, ==, 2);
  g_assert_cmpfloat (m.peak_height, ==, 4);
  /* maxima 4 (t=2) and 3 (t=7), 5 apart: later / earlier */
  g_assert_cmpfloat_with_epsilon (m.peak_ratio, 0.75, 1e-12);
  g_assert_cmpfloat (m.summed_response, ==, 17);
  /* min-max normalised > 0.5 first at t=2 (1/4 at t=1) */
  g_assert_cmpint (m.onset_step, ==, 2);
  /* window [1,7): first positive value 1 (t=1), last 1 (t=6) */
  g_assert_cmpfloat_with_epsilon (m.adaptation_ratio, 1.0, 1e-12);
  /* peaks closer than min_delay: only one counts, ratio 0 */
  dv_trace_measures (x, 10, 0, 10, 0.5, 6, &m);
  g_assert_cmpfloat (m.peak_ratio, ==, 0);
  /* a flat trace has no onset */
  double flat[] = { 1, 1, 1 };
  dv_trace_measures (flat, 3, 0, 3, 0.5, 5, &m);
  g_assert_cmpint (m.onset_step, ==, -1);
  double s[] = { 2, 4, 1 };
  dv_normalise_by_max (s, 3);
  g_assert_cmpfloat (s[0], ==, 0.5);
  g_assert_cmpfloat (s[1], ==, 1.0);
}

/* ---- experiments ------------------------------------------------------------------------ */

static void
test_experiment_contrast (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = tiny_model (3, 4);
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TEST, 40);
  DvExperimentSpec spec;
  g_assert_true (dv_experiment_lookup ("contrast", &spec, &error));
  g_assert_cmpstr (spec.parameter, ==, "contrast");
  g_assert_cmpint (spec.idle, ==, 20);
  g_autofree char *dir = temp_dir ();
  DvExperimentConfig cfg;
  dv_experiment_config_init (&cfg);
  const double values[] = { 0.2, 1.0 };
  cfg.values = values;
  cfg.n_values = 2;
  cfg.samples = 12;
  cfg.batch = 8;
  cfg.out_dir = dir;
  g_assert_true (dv_experiment_run (m, ds, &spec, &cfg, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *data = g_build_filename (dir, "contrast_data.csv", NULL);
  g_autofree char *tc = g_build_filename (dir, "contrast_timecourse.csv", NULL);
  g_autofree char *sum = g_build_filename (dir, "contrast_summary.csv", NULL);
  g_autoptr (DvCsv) cd = dv_csv_load (data, &error), ct = dv_csv_load (tc, &error), cs = dv_csv_load (sum, &error);
  g_assert_no_error (error);
  int T = 30 + dv_model_residual_timesteps (m);
  g_assert_cmpint (dv_csv_n_rows (cd), ==, 2 * 12 * T);
  g_assert_cmpint (dv_csv_n_rows (ct), ==, 2 * T);
  g_assert_cmpint (dv_csv_n_rows (cs), ==, 2);
  g_assert_cmpint (dv_csv_column (cd, "layer2_response_avg"), >=, 0);
  g_assert_cmpint (dv_csv_column (cs, "layer1_latency_ms"), >=, 0);
  /* the stimulus is on for steps 1..20 (intro 1, stim 20) and its contrast is the value */
  int cst = dv_csv_column (ct, "stimulus"), cc = dv_csv_column (ct, "contrast");
  g_assert_cmpfloat (dv_csv_get_number (ct, 0, cst), ==, 0);
  g_assert_cmpfloat (dv_csv_get_number (ct, 1, cst), ==, 1);
  g_assert_cmpfloat (dv_csv_get_number (ct, 21, cst), ==, 0);
  g_assert_cmpfloat_with_epsilon (dv_csv_get_number (ct, 5, cc), 0.2, 1e-6);
  /* a lower contrast drives layer 1 less (the first layer is linear in its input before the ReLU) */
  int cr = dv_csv_column (ct, "layer1_response_avg");
  g_assert_cmpfloat (dv_csv_get_number (ct, 10, cr), <, dv_csv_get_number (ct, T + 10, cr));
  remove_dir (dir);

  /* an unknown name lists the known ones; an ffonly variant exists for every protocol */
  g_assert_false (dv_experiment_lookup ("brightness", &spec, &error));
  g_assert_nonnull (strstr (error->message, "contrast"));
  g_clear_error (&error);
  g_assert_true (dv_experiment_lookup ("uniformnoiseffonly", &spec, &error));
  g_assert_true (spec.ffonly);
  g_assert_cmpstr (spec.parameter, ==, "ssnr");
}

static void
edit_nothing (DvModelDesc *d, gpointer data)
{
}

static DvModel *
preset_model (const char *a, const char *b)
{
  const char *args[] = { a, b };
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) kw = dv_kwargs_parse (args, b ? 2 : 1, &error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx2", kw, &error);
  g_assert_no_error (error);
  DvModel *m = dv_model_new (d, &error);
  g_assert_no_error (error);
  return m;
}

/* The model and the data set agree before anything runs; the refusal names the fix. */
static void
test_model_data_mismatch (void)
{
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 16);
  struct { const char *a, *b, *needle; } bad[] = {
    { "input_dims=[20,3,32,32]", NULL, "model has 1000 classes, data set 'embedded' has 10: add n_classes=10" },
    { "input_dims=[4,3,28,28]", "n_classes=10", "data set 'embedded' has 3×32×32 images: add input_dims=[4,3,32,32]" },
    { "input_dims=[4,2,32,32]", "n_classes=10", "only 1 and 3 channels convert into each other): add input_dims=[4,3,32,32]" },
    { "input_dims=[4,3,32,32]", "n_classes=4", "model has 4 classes, data set 'embedded' has 10: add n_classes=10" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (DvModel) m = preset_model (bad[i].a, bad[i].b);
      g_autoptr (GError) error = NULL;
      g_assert_false (dv_model_check_data (dv_model_get_desc (m), ds, "embedded", &error));
      g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, bad[i].needle));
    }
  /* grey and RGB convert into each other; the preset at the data set's shape fits */
  g_autoptr (DvModel) grey = preset_model ("input_dims=[4,1,32,32]", "n_classes=10");
  g_autoptr (DvModel) rgb = preset_model ("input_dims=[4,3,32,32]", "n_classes=10");
  g_assert_true (dv_model_check_data (dv_model_get_desc (grey), ds, NULL, NULL));
  g_assert_true (dv_model_check_data (dv_model_get_desc (rgb), ds, NULL, NULL));
  /* the experiment (dynvision test) refuses too, before it writes anything */
  g_autoptr (DvModel) wide = preset_model ("input_dims=[4,3,32,32]", "n_classes=12");
  DvExperimentSpec spec;
  g_assert_true (dv_experiment_lookup ("response", &spec, NULL));
  DvExperimentConfig cfg;
  dv_experiment_config_init (&cfg);
  g_autofree char *dir = temp_dir ();
  cfg.out_dir = dir;
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_experiment_run (wide, ds, &spec, &cfg, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "add n_classes=10"));
  remove_dir (dir);
}

/* A label the readout has no unit for is refused, not trained on (or counted) silently. */
static void
test_labels_beyond_classes (void)
{
  g_autoptr (DvModel) m = tiny_model (2, 3);
  DvTrainConfig c;
  dv_train_config_init (&c);
  c.batch_size = 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvTrainer) t = dv_trainer_new (m, NULL, NULL, &c, &error);
  dv_train_config_clear (&c);
  g_autofree float *x = g_new0 (float, 2 * 3 * 32 * 32);
  gint64 labels[] = { 3, 10 };
  g_assert_false (dv_trainer_step (t, x, labels, 1, 2, NULL, &error));
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "label 10"));
  g_assert_nonnull (strstr (error->message, "10 classes"));
  g_clear_error (&error);
  gint64 fine[] = { 3, -1 };
  g_assert_true (dv_trainer_step (t, x, fine, 1, 2, NULL, &error));
  g_assert_no_error (error);
}

/* Training writes the names of the classes it was trained on; loading reads them back, and an
 * edit that keeps the readout keeps them; a malformed list is refused. */
static void
test_class_names_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 32);
  g_autofree int *tr = first_indices (32);
  g_autofree char *dir = temp_dir ();
  g_autoptr (DvModel) m = tiny_model (2, 3);
  g_assert_null (dv_model_get_class_names (m));
  g_autoptr (DvLoader) lt = make_loader (ds, tr, 32, m, TRUE, 16);
  DvTrainConfig c;
  train_config (&c, dir, 1);
  g_autoptr (DvTrainer) t = dv_trainer_new (m, lt, NULL, &c, &error);
  dv_train_config_clear (&c);
  g_assert_true (dv_trainer_run (t, &error));
  g_autofree char *last = g_build_filename (dir, "last.safetensors", NULL);
  g_autoptr (DvSafetensors) st = dv_safetensors_load (last, &error);
  g_assert_no_error (error);
  const char *meta = dv_safetensors_metadata (st, "dynvision.class_names");
  g_assert_nonnull (meta);
  g_autoptr (DvJson) j = dv_json_parse (meta, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_json_length (j), ==, 10);
  for (int k = 0; k < 10; k++)
    g_assert_cmpstr (dv_json_string (dv_json_array_get (j, k)), ==, dv_dataset_get_class_name (ds, k));
  g_autoptr (DvModel) back = dv_checkpoint_load (last, NULL, &error);
  g_assert_no_error (error);
  const char *const *names = dv_model_get_class_names (back);
  g_assert_nonnull (names);
  for (int k = 0; k < 10; k++)
    g_assert_cmpstr (names[k], ==, dv_dataset_get_class_name (ds, k));
  g_assert_null (names[10]);
  /* an export of the loaded model (dv_checkpoint_save) carries them on */
  g_autofree char *exported = g_build_filename (dir, "export.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (back, exported, NULL, &error));
  g_autoptr (DvModel) again = dv_checkpoint_load (exported, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dv_model_get_class_names (again)[4], ==, dv_dataset_get_class_name (ds, 4));
  /* weight transfer into a rebuilt model with the same readout */
  g_autoptr (DvModel) rebuilt = tiny_model (3, 1);
  dv_model_transfer_weights (rebuilt, back, NULL);
  g_assert_cmpstr (dv_model_get_class_names (rebuilt)[9], ==, dv_dataset_get_class_name (ds, 9));
  /* a list of the wrong length is refused with its name */
  g_autoptr (GHashTable) extra = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (extra, "dynvision.class_names", "[\"a\", \"b\"]");
  g_autofree char *badp = g_build_filename (dir, "bad.safetensors", NULL);
  g_autoptr (DvModel) plain = tiny_model (2, 3);
  g_assert_true (dv_checkpoint_save (plain, badp, extra, &error));
  g_autoptr (DvModel) bad = dv_checkpoint_load (badp, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "dynvision.class_names"));
  remove_dir (dir);
}

/* The readout names the model's classes: a model trained on other classes playing the embedded
 * set reads its own names and the stimuli are marked foreign; an untrained model of the data
 * set's shape borrows the data set's names; a model of another class count says so. */
static void
test_readout_uses_model_names (void)
{
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 16);
  g_autoptr (DvModel) m = tiny_model (2, 3);
  char *note = NULL;
  g_auto (GStrv) plain = dv_readout_class_names (m, ds, "embedded", &note);
  g_assert_null (note);
  g_assert_cmpuint (g_strv_length (plain), ==, 10);
  g_assert_cmpstr (plain[3], ==, dv_dataset_get_class_name (ds, 3));
  const char *own[] = { "cat", "dog", "car", "tree", "cup", "boat", "bird", "shoe", "lamp", "key", NULL };
  dv_model_set_class_names (m, own);
  g_auto (GStrv) names = dv_readout_class_names (m, ds, "embedded", &note);
  for (int k = 0; k < 10; k++)
    g_assert_cmpstr (names[k], ==, own[k]);
  g_assert_nonnull (note);
  g_test_message ("%s", note);
  g_assert_nonnull (strstr (note, "foreign stimuli: the model was trained on 10 classes (cat, dog, car, …)"));
  g_assert_nonnull (strstr (note, "data set 'embedded' has 10"));
  g_clear_pointer (&note, g_free);
  /* its own classes again: nothing to say */
  g_autofree const char **same = g_new0 (const char *, 11);
  for (int k = 0; k < 10; k++)
    same[k] = dv_dataset_get_class_name (ds, k);
  dv_model_set_class_names (m, same);
  g_auto (GStrv) again = dv_readout_class_names (m, ds, NULL, &note);
  g_assert_null (note);
  g_autoptr (DvModel) four = preset_model ("input_dims=[2,3,32,32]", "n_classes=4");
  g_auto (GStrv) generic = dv_readout_class_names (four, ds, "embedded", &note);
  g_assert_cmpuint (g_strv_length (generic), ==, 4);
  g_assert_cmpstr (generic[2], ==, "class 2");
  g_assert_nonnull (strstr (note, "the model has 4 classes, data set 'embedded' has 10"));
  g_free (note);
}

static void
test_model_rebuild (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = tiny_model (3, 8);
  g_autoptr (DvModel) r = dv_model_rebuild (m, edit_nothing, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (params_equal (m, r));
}

/* ---- csv --------------------------------------------------------------------------------- */

static void
test_csv (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvCsv) c = dv_csv_parse ("a,b,\"c,d\"\r\n1,nan,\"x \"\"y\"\"\"\n\n2.5,,3\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_csv_n_columns (c), ==, 3);
  g_assert_cmpint (dv_csv_n_rows (c), ==, 2);
  g_assert_cmpint (dv_csv_column (c, "c,d"), ==, 2);
  g_assert_cmpstr (dv_csv_get (c, 0, 2), ==, "x \"y\"");
  g_assert_true (isnan (dv_csv_get_number (c, 0, 1)));
  g_assert_true (isnan (dv_csv_get_number (c, 1, 1)));
  g_assert_cmpfloat (dv_csv_get_number (c, 1, 0), ==, 2.5);
  g_assert_cmpstr (dv_csv_get (c, 1, 7), ==, "");
  g_assert_null (dv_csv_parse ("\n\n", -1, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dv_set_num_threads (1);
  g_test_add_func ("/train/optim/sgd-momentum", test_sgd_momentum);
  g_test_add_func ("/train/optim/sgd-nesterov", test_sgd_nesterov);
  g_test_add_func ("/train/optim/sgd-plain", test_sgd_plain);
  g_test_add_func ("/train/optim/adam-l2", test_adam_l2);
  g_test_add_func ("/train/optim/adamw", test_adamw);
  g_test_add_func ("/train/optim/lr-factor", test_lr_factor);
  g_test_add_func ("/train/optim/clip-global-norm", test_clip);
  g_test_add_func ("/train/schedule/cosine", test_schedule_cosine);
  g_test_add_func ("/train/schedule/step", test_schedule_step);
  g_test_add_func ("/train/schedule/lr-scaling", test_lr_scaling);
  g_test_add_func ("/train/loss/ignore-index", test_loss_ignore_index);
  g_test_add_func ("/train/loss/activity-measure-and-gradient", test_activity_measure);
  g_test_add_func ("/train/loss/activity-observer", test_activity_observer);
  g_test_add_func ("/train/metrics/records", test_metrics_records);
  g_test_add_func ("/train/measures/layer", test_layer_measures);
  g_test_add_func ("/train/measures/trace", test_trace_measures);
  g_test_add_func ("/train/experiment/contrast-csv", test_experiment_contrast);
  g_test_add_func ("/train/experiment/model-rebuild", test_model_rebuild);
  g_test_add_func ("/train/csv/parse", test_csv);
  g_test_add_func ("/train/data/model-data-mismatch", test_model_data_mismatch);
  g_test_add_func ("/train/data/labels-beyond-classes", test_labels_beyond_classes);
  g_test_add_func ("/train/checkpoint/class-names", test_class_names_round_trip);
  g_test_add_func ("/train/data/readout-uses-model-names", test_readout_uses_model_names);
  return g_test_run ();
}
