/* test-gradcheck.c — backpropagation through time of the whole unrolled
 * model against central finite differences, on tiny models that use every
 * connection kind (skip in both forms, additive and multiplicative
 * feedback), every recurrence type and target, delays of more than one step,
 * both solvers, trainable tau, BatchNorm in train and eval mode, GroupNorm,
 * two-stage layers, supralinearity and pooling, over T = 5 steps.
 * The loss (mean cross-entropy over all B·T outputs) is accumulated in
 * double precision.  The /engine/bptt/activity-* cases add weight · activity
 * loss (train/dv-activity.h, absolute or signed), whose gradient enters through
 * the run's response-gradient hook; the reference recomputes it here from the
 * recorded responses.  /engine/bptt/batchnorm-large-mean checks the
 * train-mode BatchNorm input gradient on channels whose |mean| dwarfs their
 * spread against a double-precision reference (itself checked by central
 * differences in double).  /engine/bptt/recompute/… check activation recomputation
 * (DvRunOptions.bptt_checkpoint): on every variant, on presets with idle steps, CorNetRT's
 * zero filter and truncated BPTT, and with the activity loss, the gradients, the logits and
 * BatchNorm's running statistics are bit-identical to keeping every step, at checkpoint
 * intervals shorter than the delays, between, and longer than the sequence. */
#include "dv-activity.h"
#include "dv-eval.h"
#include "dv-model.h"
#include "dv-ops.h"
#include "dv-rng.h"
#include "dv-desc.h"

#include <math.h>
#include <string.h>

typedef struct {
  const char *name;
  DvRecType rec;
  DvRecTarget target;
  DvSolver solver;
  gboolean two_stage;
  gboolean bn;          /* BatchNorm after pooling */
  gboolean bn_train;
  gboolean gn;
  gboolean feedback_mul;
  gboolean conv_bn_skip;
  double supralin;
  double tff, trc, tsk, tfb;
  gboolean avgpool;
  gboolean convt_feedback; /* the tutorial's ConvTranspose + BN feedback */
  gboolean cords;          /* CordsNet's pieces: weight norm, spatial bias, conv skip, readout skip */
} Variant;

static DvModelDesc *
tiny_desc (const Variant *v)
{
  DvModelDesc *d = dv_model_desc_new ();
  d->n_classes = 3;
  d->n_timesteps = 5;
  d->in_channels = 2;
  d->in_h = d->in_w = 8;
  d->dt = 2.0;
  d->tau = 7.0;
  d->t_feedforward = v->tff;
  d->t_recurrence = v->trc;
  d->t_skip = v->tsk;
  d->t_feedback = v->tfb;
  d->solver = v->solver;
  d->train_tau = TRUE;
  const char *ops[] = { "layer", "addext", "addskip", "addfeedback", "tstep", "nonlin", "supralin",
                        "record", "delay", "pool", "norm", NULL };
  const char *cords_ops[] = { "layer", "addbias", "addext", "addskip", "addfeedback", "tstep", "nonlin",
                              "record", "delay", "pool", "norm", NULL };
  dv_model_desc_set_operations (d, v->cords ? cords_ops : ops);
  const char *names[] = { "A", "B", "C" };
  int chans[] = { 4, v->cords ? 9 : 4, 9 };
  for (int i = 0; i < 3; i++)
    {
      DvLayerDesc *l = dv_model_desc_add_layer (d, names[i]);
      l->out_channels = chans[i];
      l->rec_type = v->rec;
      l->rec_target = (v->target == DV_TARGET_MIDDLE && !(v->two_stage && i == 1)) ? DV_TARGET_OUTPUT : v->target;
      l->supralinearity = v->supralin;
      l->weight_norm = v->cords;
      l->spatial_bias = v->cords;
      if (v->two_stage && i == 1)
        {
          l->mid_channels = 6;
          l->mid_groupnorm = 2;
          l->kernel2 = 3;
        }
      if (i == 0)
        {
          l->pool_kind = v->avgpool ? DV_POOL_AVG : DV_POOL_MAX;
          l->pool = (DvPoolDesc) { 3, 2, 1 };
        }
      if (v->bn && i < 2)
        {
          l->norm_kind = DV_NORM_BATCH;
          l->norm_name = g_strdup_printf ("norm_%s", names[i]);
        }
      if (v->gn && i == 2)
        {
          l->norm_kind = DV_NORM_GROUP;
          l->norm_groups = 3;
          l->norm_name = g_strdup_printf ("norm_%s", names[i]);
        }
    }
  if (v->tsk < 0)
    return d; /* no connections: history capacity can be 0 */
  /* Each connection is set up before the next dv_model_desc_add_conn, which may move d->conns. */
  DvConnDesc *s = dv_model_desc_add_conn (d, DV_CONN_SKIP, "addskip_C", "A", "C");
  if (v->conv_bn_skip)
    {
      s->form = DV_CONN_FORM_CONV_BN;
      s->stride = 2;
      s->op = DV_OP_ADDEXT;
    }
  if (v->cords)
    {
      s->form = DV_CONN_FORM_CONV;
      s->kernel = 1;
      s->stride = 2;
      s->weight_norm = TRUE;
      d->classifier_skip = g_strdup ("B");
      d->classifier_wn = TRUE;
    }
  DvConnDesc *f = dv_model_desc_add_conn (d, DV_CONN_FEEDBACK, "addfeedback_A", "C", "A");
  f->integration = v->feedback_mul ? DV_INTEGRATE_MULTIPLICATIVE : DV_INTEGRATE_ADDITIVE;
  if (v->convt_feedback)
    {
      f->form = DV_CONN_FORM_CONVT_BN;
      f->stride = f->kernel = 2;
    }
  return d;
}

/* An activity term added to the cross-entropy: weight · activity loss on `layers`. */
typedef struct {
  const char *name;
  DvActivityMode mode;
  double ord;
  const char *layers;   /* comma-separated; NULL = every layer */
  gboolean linear;      /* identity nonlinearity: responses of both signs */
  double weight;
} ActivityCase;

static gboolean
monitored (const ActivityCase *ac, const char *layer)
{
  if (ac->layers == NULL)
    return TRUE;
  g_auto (GStrv) names = g_strsplit (ac->layers, ",", -1);
  return g_strv_contains ((const char *const *) names, layer);
}

/* SPEC §5.1 in double precision from [B,T,C,H,W] responses:
 * mean_b Σ_layers Σ_t a_b / (n_layers · T_max). */
static double
activity_of (DvModel *m, const ActivityCase *ac, float *const *resp, const gboolean *present, int B, int T)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  double sum = 0;
  int n_layers = 0, tmax = 0;
  for (int l = 0; l < D->n_layers; l++)
    {
      if (!monitored (ac, D->layers[l].name))
        continue;
      n_layers++;
      int C, H, W, calls = 0;
      dv_model_layer_shape (m, l, &C, &H, &W);
      gsize n = (gsize) C * H * W;
      for (int t = 0; t < T; t++)
        {
          if (!present[l * T + t])
            continue;
          calls++;
          for (int b = 0; b < B; b++)
            {
              const float *v = resp[l] + ((gsize) b * T + t) * n;
              double acc = 0;
              for (gsize i = 0; i < n; i++)
                acc += ac->mode == DV_ACTIVITY_SIGNED ? v[i] : pow (fabs (v[i]), ac->ord);
              sum += ac->mode == DV_ACTIVITY_SIGNED ? fabs (acc / n) : pow (acc / n, 1.0 / ac->ord);
            }
        }
      tmax = MAX (tmax, calls);
    }
  return tmax ? sum / ((double) B * n_layers * tmax) : 0.0;
}

/* Cross-entropy, plus ac->weight · activity when ac is given. */
static double
loss_of (DvModel *m, const float *x, const gint64 *labels, int B, int T, gboolean bn_train,
         const ActivityCase *ac)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  int K = D->n_classes;
  g_autofree float *lg = g_new (float, (gsize) B * T * K);
  float **resp = g_new0 (float *, D->n_layers);
  g_autofree gboolean *present = g_new0 (gboolean, (gsize) D->n_layers * T);
  for (int l = 0; ac && l < D->n_layers; l++)
    {
      int C, H, W;
      dv_model_layer_shape (m, l, &C, &H, &W);
      resp[l] = g_new (float, (gsize) B * T * C * H * W);
    }
  g_assert_true (dv_eval_forward (m, x, B, T, bn_train, lg, ac ? resp : NULL, present, NULL));
  double act = ac ? ac->weight * activity_of (m, ac, resp, present, B, T) : 0.0;
  for (int l = 0; l < D->n_layers; l++)
    g_free (resp[l]);
  g_free (resp);
  double sum = 0;
  int valid = 0;
  for (int r = 0; r < B * T; r++)
    {
      if (labels[r] < 0)
        continue;
      double mx = -INFINITY, se = 0;
      for (int k = 0; k < K; k++)
        mx = MAX (mx, lg[r * K + k]);
      for (int k = 0; k < K; k++)
        se += exp ((double) lg[r * K + k] - mx);
      sum += -(lg[r * K + labels[r]] - mx - log (se));
      valid++;
    }
  return sum / valid + act;
}

/* Running stats change in train mode; restore them so every evaluation of
 * the loss sees the same model. */
static float *
save_buffers (DvModel *m)
{
  gint64 n = 0;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    if (dv_model_param (m, i)->data)
      n += dv_model_param (m, i)->numel;
  float *s = g_new (float, n), *p = s;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *q = dv_model_param (m, i);
      if (q->data)
        memcpy (p, q->data, sizeof (float) * q->numel), p += q->numel;
    }
  return s;
}

static void
restore_buffers (DvModel *m, const float *s)
{
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *q = dv_model_param (m, i);
      if (q->data && q->is_buffer)
        memcpy (q->data, s, sizeof (float) * q->numel);
      if (q->data)
        s += q->numel;
    }
}

/* What one check evaluates: the model, its input and labels, and the loss. */
typedef struct {
  const char *name;
  DvModel *m;
  const float *x;
  const gint64 *labels;
  int B, T;
  gboolean bn_train;
  const ActivityCase *ac;
  const float *saved;
} Problem;

static double
central_difference (const Problem *pr, DvParam *p, gint64 k, float h0)
{
  DvModel *m = pr->m;
  const float *saved = pr->saved;
  float orig = p->data[k];
  float h = h0 * MAX (1.0f, fabsf (orig));
  p->data[k] = orig + h;
  double lp = loss_of (m, pr->x, pr->labels, pr->B, pr->T, pr->bn_train, pr->ac);
  restore_buffers (m, saved);
  p->data[k] = orig - h;
  double lm = loss_of (m, pr->x, pr->labels, pr->B, pr->T, pr->bn_train, pr->ac);
  restore_buffers (m, saved);
  p->data[k] = orig;
  return (lp - lm) / ((double) (orig + h) - (double) (orig - h));
}

/* Compares every trainable tensor's analytic gradient (already in p->grad) with central
 * differences at a handful of entries. */
static void
compare_gradients (const Problem *pr, DvRng *r)
{
  DvModel *m = pr->m;
  int checked = 0, bad = 0, kinks = 0;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (!p->trainable)
        continue;
      /* a handful of entries per tensor */
      int n_try = MIN (p->numel, 4);
      for (int j = 0; j < n_try; j++)
        {
          gint64 k = p->numel <= 4 ? j : (gint64) dv_rng_below (r, p->numel);
          float orig = p->data[k];
          double num1 = central_difference (pr, p, k, 1e-3f);
          double num = central_difference (pr, p, k, 5e-4f);
          double num2 = central_difference (pr, p, k, 2.5e-4f);
          p->data[k] = orig;
          double ana = p->grad[k];
          /* A ReLU or max-pool switching inside ±h makes the step sizes disagree: the
           * loss is not smooth there, so skip that entry.  The differences must agree
           * to half the tolerance below to be a reference at all, at three sizes: a
           * switch within ±3e-4 can leave 1e-3 and 5e-4 close and both off
           * (addskip_C.conv.bias[8] of convt-feedback-bn-train, seed 11). */
          if (fabs (num1 - num) > 0.015 * MAX (MAX (fabs (num1), fabs (num)), 1e-2)
              || fabs (num2 - num) > 0.015 * MAX (MAX (fabs (num2), fabs (num)), 1e-2))
            {
              kinks++;
              continue;
            }
          double err = fabs (num - ana) / MAX (MAX (fabs (num), fabs (ana)), 1e-2);
          checked++;
          if (err > 3e-2)
            {
              bad++;
              g_test_message ("%s: %s[%" G_GINT64_FORMAT "] analytic %.6g numeric %.6g (rel %.2e)", pr->name,
                              p->name, k, ana, num, err);
            }
        }
    }
  g_test_message ("%s: %d gradients checked, %d off, %d skipped at kinks", pr->name, checked, bad, kinks);
  g_assert_cmpint (checked, >, 20);
  g_assert_cmpint (kinks, <, checked / 5);
  g_assert_cmpint (bad, ==, 0);
}

/* Weights of order 0.3 (norm gains near 1) so every connection and recurrence matters. */
static void
perturb_params (DvModel *m, DvRng *r)
{
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (!p->trainable || p->ndim == 0)
        continue;
      if (g_str_has_suffix (p->name, "norm_A.weight") || strstr (p->name, ".1.weight") ||
          g_str_has_suffix (p->name, "norm_B.weight") || g_str_has_suffix (p->name, "norm_C.weight") ||
          strstr (p->name, "mid_modules.weight"))
        for (gint64 k = 0; k < p->numel; k++)
          p->data[k] = 1.0f + 0.2f * (float) (dv_rng_uniform (r) - 0.5);
      else
        for (gint64 k = 0; k < p->numel; k++)
          p->data[k] = 0.6f * (float) (dv_rng_uniform (r) - 0.5);
    }
}

/* Inputs uniform in [−1, 1] for the tiny models (2×8×8), labels in 0..2 with every fourth −1. */
static void
random_batch (DvRng *r, int B, int T, float **x, gint64 **labels)
{
  gsize xn = (gsize) B * T * 2 * 8 * 8;
  *x = g_new (float, xn);
  for (gsize i = 0; i < xn; i++)
    (*x)[i] = (float) (2.0 * dv_rng_uniform (r) - 1.0);
  *labels = g_new (gint64, B * T);
  for (int i = 0; i < B * T; i++)
    (*labels)[i] = i % 4 == 3 ? -1 : (gint64) dv_rng_below (r, 3);
}

static DvParam *
param_with_shape (DvModel *m, const char *name, int ndim, const gint64 *shape)
{
  DvParam *p = dv_model_lookup (m, name);
  if (p == NULL)
    g_error ("the model has no tensor %s", name);
  g_assert_true (p->trainable);
  g_assert_cmpint (p->ndim, ==, ndim);
  for (int i = 0; i < ndim; i++)
    g_assert_cmpint (p->shape[i], ==, shape[i]);
  return p;
}

static double
loss_delta (DvModel *m, DvParam *p, const float *x, const gint64 *labels, int B, int T, const float *saved)
{
  double before = loss_of (m, x, labels, B, T, FALSE, NULL);
  restore_buffers (m, saved);
  g_autofree float *keep = g_memdup2 (p->data, sizeof (float) * p->numel);
  for (gint64 k = 0; k < p->numel; k++)
    p->data[k] = 0;
  double after = loss_of (m, x, labels, B, T, FALSE, NULL);
  memcpy (p->data, keep, sizeof (float) * p->numel);
  restore_buffers (m, saved);
  return fabs (after - before);
}

/* CordsNet's pieces reach the model: the skip A→C is a weight-normed 1×1 conv of
 * stride 2 (not the default adapt form), every layer has a weight-normed conv and a
 * spatial bias, the readout is weight-normed and adds B's pooled response, and
 * each of these tensors changes the loss. */
static void
check_cords_pieces (DvModel *m, const float *x, const gint64 *labels, int B, int T, const float *saved)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  const DvConnDesc *s = &D->conns[0];
  g_assert_cmpstr (s->name, ==, "addskip_C");
  g_assert_cmpint (s->form, ==, DV_CONN_FORM_CONV);
  g_assert_cmpint (s->stride, ==, 2);
  g_assert_true (s->weight_norm);
  g_assert_null (dv_model_lookup (m, "addskip_C.conv.weight"));
  g_assert_null (dv_model_lookup (m, "addskip_C.conv.bias"));
  const gint64 v_shape[] = { 9, 4, 1, 1 }, g_shape[] = { 9, 1, 1, 1 };
  DvParam *sg = param_with_shape (m, "addskip_C.conv.parametrizations.weight.original0", 4, g_shape);
  param_with_shape (m, "addskip_C.conv.parametrizations.weight.original1", 4, v_shape);
  int CA, HA, WA, CC, HC, WC;
  dv_model_layer_shape (m, 0, &CA, &HA, &WA);
  dv_model_layer_shape (m, 2, &CC, &HC, &WC);
  g_test_message ("cords: A %dx%dx%d, C %dx%dx%d", CA, HA, WA, CC, HC, WC);
  for (int l = 0; l < D->n_layers; l++)
    {
      int C, H, W;
      dv_model_layer_shape (m, l, &C, &H, &W);
      g_autofree char *bias = g_strdup_printf ("addbias_%s.bias", D->layers[l].name);
      const gint64 b_shape[] = { C, H, W };
      DvParam *b = param_with_shape (m, bias, 3, b_shape);
      g_assert_cmpfloat (loss_delta (m, b, x, labels, B, T, saved), >, 1e-6);
    }
  g_autofree char *cg = g_strconcat (D->classifier_name, ".parametrizations.weight.original0", NULL);
  g_autofree char *cw = g_strconcat (D->classifier_name, ".weight", NULL);
  g_assert_null (dv_model_lookup (m, cw));
  DvParam *cls_g = dv_model_lookup (m, cg);
  g_assert_nonnull (cls_g);
  g_assert_cmpfloat (loss_delta (m, sg, x, labels, B, T, saved), >, 1e-6);
  g_assert_cmpfloat (loss_delta (m, cls_g, x, labels, B, T, saved), >, 1e-6);

  /* The readout skip: the same weights without it give another loss. */
  g_assert_cmpstr (D->classifier_skip, ==, "B");
  g_autoptr (DvModelDesc) plain = dv_model_desc_copy (D);
  g_clear_pointer (&plain->classifier_skip, g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m2 = dv_model_new (plain, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_model_n_params (m2), ==, dv_model_n_params (m));
  for (guint i = 0; i < dv_model_n_params (m2); i++)
    {
      DvParam *q = dv_model_param (m2, i), *p = dv_model_lookup (m, q->name);
      g_assert_nonnull (p);
      g_assert_cmpint (p->numel, ==, q->numel);
      if (p->data)
        memcpy (q->data, p->data, sizeof (float) * p->numel);
      else if (p->idata)
        memcpy (q->idata, p->idata, sizeof *p->idata * p->numel);
    }
  double with_skip = loss_of (m, x, labels, B, T, FALSE, NULL);
  restore_buffers (m, saved);
  double without = loss_of (m2, x, labels, B, T, FALSE, NULL);
  g_test_message ("cords: loss %.6g with the readout skip, %.6g without", with_skip, without);
  g_assert_cmpfloat (fabs (with_skip - without), >, 1e-4);
}

/* A variant's tiny model, initialised (seed 7) and perturbed, and a batch, from rng seed. */
static DvModel *
tiny_problem (const Variant *v, gboolean linear, guint64 seed, DvRng *r, int B, int T, float **x,
              gint64 **labels)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d = tiny_desc (v);
  for (int l = 0; linear && l < d->n_layers; l++)
    d->layers[l].nonlin = DV_NONLIN_IDENTITY;
  DvModel *m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 7);
  dv_rng_init (r, seed);
  perturb_params (m, r);
  random_batch (r, B, T, x, labels);
  return m;
}

/* The activity loss of a case on a run (reset, ready for a forward). */
static DvActivityLoss *
activity_loss_for (DvRun *run, const ActivityCase *ac)
{
  g_autoptr (GError) error = NULL;
  DvActivityConfig cfg;
  dv_activity_config_init (&cfg);
  cfg.weight = ac->weight;
  cfg.ord = ac->ord;
  cfg.mode = ac->mode;
  cfg.layers = ac->layers ? g_strsplit (ac->layers, ",", -1) : NULL;
  DvActivityLoss *al = dv_activity_loss_new (run, &cfg, &error);
  g_assert_no_error (error);
  dv_activity_config_clear (&cfg);
  dv_activity_loss_reset (al);
  return al;
}

static void
check_variant (gconstpointer data)
{
  const Variant *v = data;
  g_autoptr (GError) error = NULL;
  DvRng r;
  int B = 4, T = 5;
  g_autofree float *x = NULL;
  g_autofree gint64 *labels = NULL;
  g_autoptr (DvModel) m = tiny_problem (v, FALSE, 11, &r, B, T, &x, &labels);

  g_autofree float *saved = save_buffers (m);
  double loss = 0;
  g_assert_true (dv_eval_loss_grad (m, x, labels, B, T, v->bn_train, &loss, NULL, &error));
  g_assert_no_error (error);
  restore_buffers (m, saved);
  double ref = loss_of (m, x, labels, B, T, v->bn_train, NULL);
  restore_buffers (m, saved);
  g_assert_cmpfloat (fabs (ref - loss), <, 1e-4 * MAX (1.0, fabs (ref)));
  if (v->cords)
    check_cords_pieces (m, x, labels, B, T, saved);
  Problem pr = { v->name, m, x, labels, B, T, v->bn_train, NULL, saved };
  compare_gradients (&pr, &r);
}

static const Variant variants[] = {
  { "full-euler-delays", DV_REC_FULL, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 4, 4, 2, 4, FALSE },
  { "full-rk4-mulfeedback", DV_REC_FULL, DV_TARGET_OUTPUT, DV_SOLVER_RK4, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE, 1.0, 2, 4, 0, 2, FALSE },
  { "self-euler-bn-eval", DV_REC_SELF, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, TRUE, FALSE, FALSE, FALSE, TRUE, 1.0, 2, 2, 0, 4, FALSE },
  { "depthpointwise-bn-train", DV_REC_DEPTHPOINTWISE, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, TRUE, TRUE, FALSE, FALSE, TRUE, 1.0, 2, 2, 2, 2, TRUE },
  { "pointdepthwise-supralin-gn", DV_REC_POINTDEPTHWISE, DV_TARGET_OUTPUT, DV_SOLVER_RK4, FALSE, FALSE, FALSE, TRUE, FALSE, FALSE, 1.5, 0, 6, 0, 2, FALSE },
  { "local-euler", DV_REC_LOCAL, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 2, 2, 0, 2, FALSE },
  { "localdepthwise-rk4", DV_REC_LOCALDEPTHWISE, DV_TARGET_OUTPUT, DV_SOLVER_RK4, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE, 1.0, 4, 2, 2, 4, FALSE },
  { "two-stage-middle", DV_REC_FULL, DV_TARGET_MIDDLE, DV_SOLVER_EULER, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 2, 2, 0, 2, FALSE },
  { "input-target", DV_REC_FULL, DV_TARGET_INPUT, DV_SOLVER_EULER, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 2, 4, 0, 2, TRUE },
  { "convt-feedback-bn-train", DV_REC_FULL, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, FALSE, TRUE, FALSE, FALSE, FALSE, 1.0, 2, 2, 0, 2, FALSE, TRUE },
  { "cordsnet-pieces", DV_REC_FULL, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 2, 2, 2, 2, TRUE, FALSE, TRUE },
  /* CordsNet weight-norms the depthwise conv of a separable recurrence */
  { "cordsnet-depthpointwise-wn", DV_REC_DEPTHPOINTWISE, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 2, 2, 2, 2, TRUE, FALSE, TRUE },
  { "no-history-own-state", DV_REC_FULL, DV_TARGET_OUTPUT, DV_SOLVER_EULER, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 1.0, 0, 0, -1, 0, FALSE },
};

/* CE + weight · activity: the trainer's path (DvActivityLoss on a training run, its
 * gradient injected by dv_run_backward) against central differences of the reference. */
static void
check_activity (gconstpointer data)
{
  const ActivityCase *ac = data;
  g_autoptr (GError) error = NULL;
  DvRng r;
  int B = 4, T = 5;
  g_autofree float *x = NULL;
  g_autofree gint64 *labels = NULL;
  g_autoptr (DvModel) m = tiny_problem (&variants[0], ac->linear, 13, &r, B, T, &x, &labels);
  const DvModelDesc *d = dv_model_get_desc (m);
  int K = d->n_classes;
  g_autofree float *saved = save_buffers (m);

  /* the cross-entropy's gradient alone, to show the activity term changes it */
  double ce_only = 0;
  g_assert_true (dv_eval_loss_grad (m, x, labels, B, T, FALSE, &ce_only, NULL, &error));
  GArray *g_ce = g_array_new (FALSE, FALSE, sizeof (float));
  for (guint i = 0; i < dv_model_n_params (m); i++)
    if (dv_model_param (m, i)->trainable)
      g_array_append_vals (g_ce, dv_model_param (m, i)->grad, dv_model_param (m, i)->numel);

  DvRunOptions opt = { .training = TRUE };
  g_autoptr (DvRun) run = dv_run_new (m, B, &opt);
  g_autoptr (DvActivityLoss) al = activity_loss_for (run, ac);
  g_autofree float *lg = g_new (float, (gsize) B * T * K), *dl = g_new0 (float, (gsize) B * T * K);
  g_assert_true (dv_run_forward (run, x, T, lg, &error));
  double ce = dv_cross_entropy (dl, lg, (const int64_t *) labels, B * T, K, d->non_label_index, 1.0f, NULL);
  double act = dv_activity_loss_value (al);
  dv_model_zero_grad (m);
  g_assert_true (dv_run_backward (run, dl, &error));

  double ref = loss_of (m, x, labels, B, T, FALSE, ac);
  g_test_message ("%s: CE %.6g, activity %.6g (weight %g), reference total %.6g", ac->name, ce, act,
                  ac->weight, ref);
  g_assert_cmpfloat (fabs (ce - ce_only), <, 1e-6 * MAX (1.0, ce));
  g_assert_cmpfloat (act, >, 0.01);
  g_assert_cmpfloat (fabs (ce + ac->weight * act - ref), <, 1e-4 * MAX (1.0, fabs (ref)));

  double diff = 0, norm = 0;
  gsize o = 0;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      for (gint64 k = 0; p->trainable && k < p->numel; k++, o++)
        {
          double c = g_array_index (g_ce, float, o);
          diff += (p->grad[k] - c) * (p->grad[k] - c);
          norm += c * c;
        }
    }
  g_array_unref (g_ce);
  g_test_message ("%s: |g_total - g_CE| / |g_CE| = %.3g", ac->name, sqrt (diff / norm));
  g_assert_cmpfloat (sqrt (diff / norm), >, 0.05);

  Problem pr = { ac->name, m, x, labels, B, T, FALSE, ac, saved };
  compare_gradients (&pr, &r);
}

static const ActivityCase activity_cases[] = {
  { "activity-absolute-l1", DV_ACTIVITY_ABSOLUTE, 1.0, "A,C", FALSE, 2.0 },
  { "activity-absolute-l2-linear", DV_ACTIVITY_ABSOLUTE, 2.0, NULL, TRUE, 2.0 },
  { "activity-signed-linear", DV_ACTIVITY_SIGNED, 1.0, "B,C", TRUE, 2.0 },
};

/* The exact train-mode BatchNorm of one channel in double: y = γ·(x − μ)/√(σ²+ε) + β
 * with the batch's μ, σ², and the loss Σ w·y. */
static double
bn_loss_double (const double *x, const float *w, size_t M, double gamma, double beta, double eps)
{
  double mu = 0, var = 0, l = 0;
  for (size_t i = 0; i < M; i++)
    mu += x[i];
  mu /= (double) M;
  for (size_t i = 0; i < M; i++)
    var += (x[i] - mu) * (x[i] - mu);
  var /= (double) M;
  double is = 1.0 / sqrt (var + eps);
  for (size_t i = 0; i < M; i++)
    l += w[i] * (gamma * (x[i] - mu) * is + beta);
  return l;
}

/* Channels with |mean| ≫ std (a ReLU layer's output far from zero, a constant
 * offset in the data): the folded form a·dy − k1·x + k0 cancels two terms of
 * size a·|mean|/std there and loses digits in float; x̂-based it does not. */
static void
check_batchnorm_large_mean (void)
{
  enum { C = 3, N = 4, HW = 25, M = N * HW };
  const double mean[C] = { 0.0, 1000.0, -3000.0 }, sd[C] = { 1.0, 0.01, 0.05 };
  const float eps = 1e-5f;
  DvRng r;
  dv_rng_init (&r, 5);
  float *x = g_new (float, C * M), *dy = g_new (float, C * M), *y = g_new (float, C * M);
  float *dx = g_new0 (float, C * M), gamma[C], beta[C], mu[C], is[C], rm[C] = { 0 }, rv[C] = { 1, 1, 1 };
  float dg[C] = { 0 }, db[C] = { 0 };
  for (int c = 0; c < C; c++)
    {
      gamma[c] = 0.5f + (float) c;
      beta[c] = 0.1f * (float) c;
      for (int i = 0; i < M; i++)
        {
          x[c * M + i] = (float) (mean[c] + sd[c] * 2.0 * (dv_rng_uniform (&r) - 0.5));
          dy[c * M + i] = (float) (2.0 * (dv_rng_uniform (&r) - 0.5));
        }
    }
  dv_batchnorm_forward (y, mu, is, x, gamma, beta, rm, rv, C, N, HW, eps, 0.1f, TRUE);
  dv_batchnorm_backward (dx, dg, db, dy, x, mu, is, gamma, C, N, HW, TRUE);

  double *xd = g_new (double, M);
  for (int c = 0; c < C; c++)
    {
      const float *xc = x + c * M, *dyc = dy + c * M;
      /* reference: dx = a·(dy − mean(dy) − x̂·mean(dy·x̂)), all in double from the float inputs */
      double m = 0, v = 0, sdy = 0, sdyx = 0;
      for (int i = 0; i < M; i++)
        m += xc[i];
      m /= M;
      for (int i = 0; i < M; i++)
        v += (xc[i] - m) * (xc[i] - m);
      v /= M;
      double ist = 1.0 / sqrt (v + eps), a = gamma[c] * ist;
      for (int i = 0; i < M; i++)
        {
          sdy += dyc[i];
          sdyx += dyc[i] * (xc[i] - m) * ist;
        }
      /* PyTorch's backward centres on the forward's saved float mean and invstd
       * (accumulating in double): that rounding, ulp(mean)/(2·sd) relative, is
       * the forward's and shared; the backward must add nothing visible to it. */
      double smu = mu[c], sis = is[c], sa = gamma[c] * sis, ssdyx = 0;
      for (int i = 0; i < M; i++)
        ssdyx += dyc[i] * (xc[i] - smu) * sis;
      double max_err = 0, max_ref = 0, max_exact = 0;
      for (int i = 0; i < M; i++)
        {
          double ref = sa * (dyc[i] - sdy / M - (xc[i] - smu) * sis * ssdyx / M);
          double exact = a * (dyc[i] - sdy / M - (xc[i] - m) * ist * sdyx / M);
          max_err = MAX (max_err, fabs (dx[c * M + i] - ref));
          max_exact = MAX (max_exact, fabs (dx[c * M + i] - exact));
          max_ref = MAX (max_ref, fabs (ref));
        }
      /* the reference against central differences of the double forward */
      for (int i = 0; i < M; i++)
        xd[i] = xc[i];
      for (int i = 0; i < 3; i++)
        {
          int k = i * 37 % M;
          double h = 1e-4 * sd[c], o = xd[k];
          xd[k] = o + h;
          double lp = bn_loss_double (xd, dyc, M, gamma[c], beta[c], eps);
          xd[k] = o - h;
          double lm = bn_loss_double (xd, dyc, M, gamma[c], beta[c], eps);
          xd[k] = o;
          double num = (lp - lm) / (2 * h);
          double ref = a * (dyc[k] - sdy / M - (xc[k] - m) * ist * sdyx / M);
          g_assert_cmpfloat (fabs (num - ref), <, 1e-5 * max_ref);
        }
      g_test_message ("channel mean %g sd %g: max |dx − ref| = %.3g of max |ref| %.3g (rel %.2e; "
                      "to the exact-mean gradient %.2e)", mean[c], sd[c], max_err, max_ref, max_err / max_ref,
                      max_exact / max_ref);
      g_assert_cmpfloat (max_err / max_ref, <, 1e-5);
      g_assert_cmpfloat (max_exact / max_ref, <, 1e-3);
    }
  g_free (xd);
  g_free (x);
  g_free (dy);
  g_free (y);
  g_free (dx);
}

/* ---- activation recomputation ------------------------------------------- */

/* One loss+BPTT pass with recomputation every ck steps (0: none): every gradient, then every
 * buffer the forward touched (BatchNorm's running statistics; counters as floats), then
 * the logits and the loss.  With ac, the activity loss enters through the response hook. */
static GArray *
recompute_pass (DvModel *m, const float *saved, const float *x, const gint64 *labels, int B, int T,
                gboolean bn_train, const ActivityCase *ac, int ck)
{
  g_autoptr (GError) error = NULL;
  const DvModelDesc *D = dv_model_get_desc (m);
  int K = D->n_classes;
  restore_buffers (m, saved);
  for (guint i = 0; i < dv_model_n_params (m); i++)
    if (dv_model_param (m, i)->idata)
      dv_model_param (m, i)->idata[0] = 0;
  DvRunOptions opt = { .training = TRUE, .bn_train = bn_train, .bptt_checkpoint = ck };
  g_autoptr (DvRun) run = dv_run_new (m, B, &opt);
  g_autoptr (DvActivityLoss) al = ac ? activity_loss_for (run, ac) : NULL;
  g_autofree float *lg = g_new (float, (gsize) B * T * K), *dl = g_new0 (float, (gsize) B * T * K);
  g_assert_true (dv_run_forward (run, x, T, lg, &error));
  g_assert_no_error (error);
  float loss = (float) dv_cross_entropy (dl, lg, (const int64_t *) labels, B * T, K, D->non_label_index, 1.0f,
                                         NULL);
  dv_model_zero_grad (m);
  g_assert_true (dv_run_backward (run, dl, &error));
  GArray *out = g_array_new (FALSE, FALSE, sizeof (float));
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (p->grad)
        g_array_append_vals (out, p->grad, p->numel);
    }
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (p->is_buffer && p->data)
        g_array_append_vals (out, p->data, p->numel);
      for (gint64 k = 0; p->idata && k < p->numel; k++)
        {
          float c = (float) p->idata[k];
          g_array_append_val (out, c);
        }
    }
  g_array_append_vals (out, lg, (gsize) B * T * K);
  g_array_append_val (out, loss);
  return out;
}

static void
assert_recompute_identical (const char *name, DvModel *m, const float *x, const gint64 *labels, int B, int T,
                            gboolean bn_train, const ActivityCase *ac)
{
  g_autofree float *saved = save_buffers (m);
  GArray *ref = recompute_pass (m, saved, x, labels, B, T, bn_train, ac, 0);
  gsize n_grad = 0;
  double norm = 0;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    if (dv_model_param (m, i)->grad)
      n_grad += dv_model_param (m, i)->numel;
  for (gsize i = 0; i < n_grad; i++)
    norm += (double) g_array_index (ref, float, i) * g_array_index (ref, float, i);
  g_assert_cmpfloat (norm, >, 0); /* a gradient to compare */
  const int intervals[] = { 1, 2, 3, T - 1, T, T + 2 };
  for (gsize c = 0; c < G_N_ELEMENTS (intervals); c++)
    {
      GArray *got = recompute_pass (m, saved, x, labels, B, T, bn_train, ac, intervals[c]);
      g_assert_cmpuint (got->len, ==, ref->len);
      gsize first = ref->len;
      for (gsize i = 0; i < ref->len && first == ref->len; i++)
        if (memcmp (&g_array_index (got, float, i), &g_array_index (ref, float, i), sizeof (float)) != 0)
          first = i;
      if (first < ref->len)
        g_test_message ("%s, checkpoint every %d: value %" G_GSIZE_FORMAT " of %u (%s) is %.9g, "
                        "keeping every step %.9g", name, intervals[c], first, ref->len,
                        first < n_grad ? "a gradient" : "a buffer, logit or the loss",
                        g_array_index (got, float, first), g_array_index (ref, float, first));
      g_assert_cmpuint (first, ==, ref->len);
      g_array_unref (got);
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " gradients, buffers, logits and the loss bit-identical at "
                  "checkpoint intervals 1, 2, 3, T−1, T, T+2 (T = %d)", name, n_grad, T);
  g_array_unref (ref);
}

static void
check_recompute_variant (gconstpointer data)
{
  const Variant *v = data;
  DvRng r;
  int B = 4, T = 5;
  g_autofree float *x = NULL;
  g_autofree gint64 *labels = NULL;
  g_autoptr (DvModel) m = tiny_problem (v, FALSE, 11, &r, B, T, &x, &labels);
  assert_recompute_identical (v->name, m, x, labels, B, T, v->bn_train, NULL);
}

static void
check_recompute_activity (void)
{
  const ActivityCase *ac = &activity_cases[0];
  DvRng r;
  int B = 4, T = 5;
  g_autofree float *x = NULL;
  g_autofree gint64 *labels = NULL;
  g_autoptr (DvModel) m = tiny_problem (&variants[0], ac->linear, 13, &r, B, T, &x, &labels);
  assert_recompute_identical (ac->name, m, x, labels, B, T, FALSE, ac);
}

typedef struct {
  const char *name, *preset;
  const char *kwargs[6];
  int T;
  gboolean bn_train;
} PresetCase;

static const PresetCase recompute_presets[] = {
  /* delays of two steps, truncated BPTT every 3 steps, feedback */
  { "dyrcnnx4-delays-tbptt", "DyRCNNx4", { "input_dims=[7,3,16,16]", "n_classes=5", "t_feedforward=4",
    "t_recurrence=4", "truncated_bptt_timesteps=3", NULL }, 7, FALSE },
  /* idle steps before the sequence, spatial bias, the readout skip */
  { "cordsnet-idle", "CordsNet", { "input_dims=[6,3,16,16]", "n_classes=4", "idle_timesteps=3", NULL }, 6, FALSE },
  /* the zero filter refills the next layer's history */
  { "cornetrt-zerofilter", "CorNetRT", { "input_dims=[6,3,16,16]", "n_classes=4", NULL }, 6, TRUE },
  { "customrcnn-tutorial", "CustomRCNN", { "input_dims=[9,3,16,16]", "n_classes=10", "dt=2", "t_feedforward=2",
    "t_recurrence=2", "use_skip_connections=true" }, 9, TRUE },
};

static void
check_recompute_preset (gconstpointer data)
{
  const PresetCase *pc = data;
  g_autoptr (GError) error = NULL;
  int nk = 0;
  while (nk < (int) G_N_ELEMENTS (pc->kwargs) && pc->kwargs[nk])
    nk++;
  g_autoptr (DvJson) kw = dv_kwargs_parse ((const char *const *) pc->kwargs, nk, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d = dv_preset_build (pc->preset, kw, &error);
  g_assert_no_error (error);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 3);
  DvRng r;
  dv_rng_init (&r, 17);
  perturb_params (m, &r);
  int B = 2, T = pc->T, K = d->n_classes;
  gsize xn = (gsize) B * T * d->in_channels * d->in_h * d->in_w;
  g_autofree float *x = g_new (float, xn);
  for (gsize i = 0; i < xn; i++)
    x[i] = (float) (2.0 * dv_rng_uniform (&r) - 1.0);
  g_autofree gint64 *labels = g_new (gint64, (gsize) B * T);
  for (int i = 0; i < B * T; i++)
    labels[i] = i % T == 0 ? -1 : (gint64) (dv_rng_uniform (&r) * K) % K;
  assert_recompute_identical (pc->name, m, x, labels, B, T, pc->bn_train, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/bptt/%s", variants[i].name);
      g_test_add_data_func (path, &variants[i], check_variant);
    }
  for (guint i = 0; i < G_N_ELEMENTS (activity_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/bptt/%s", activity_cases[i].name);
      g_test_add_data_func (path, &activity_cases[i], check_activity);
    }
  g_test_add_func ("/engine/bptt/batchnorm-large-mean", check_batchnorm_large_mean);
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/bptt/recompute/%s", variants[i].name);
      g_test_add_data_func (path, &variants[i], check_recompute_variant);
    }
  g_test_add_func ("/engine/bptt/recompute/activity", check_recompute_activity);
  for (guint i = 0; i < G_N_ELEMENTS (recompute_presets); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/bptt/recompute/%s", recompute_presets[i].name);
      g_test_add_data_func (path, &recompute_presets[i], check_recompute_preset);
    }
  return g_test_run ();
}
