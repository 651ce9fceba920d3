/* adaptive_rcnn.c — a recurrent model whose recurrence strength is learnt
 * per channel: a custom operation "gated_self" adds σ(g_c) · h_c(t−1), the
 * layer's own previous state, to its drive.  It reads the layer's history
 * through dv_op_call_history() and sends gradient back into it, so BPTT
 * runs through the custom recurrence like through a built-in one; the
 * example verifies that with dv_check_gradients() and then trains a few
 * steps, printing the learnt gates.
 */
#include "dynvision.h"

#include <math.h>
#include <stdio.h>

static float
sigmoid (float v)
{
  return 1.0f / (1.0f + expf (-v));
}

static void
gated_self_declare (DvOpDeclare *decl, const DvLayerDesc *layer, gpointer user_data)
{
  gint64 shape[1] = { layer->out_channels };
  dv_op_declare_param (decl, "g", 1, shape, 0.0f, 0.5f); /* σ(0) = 0.5 */
}

/* x: the layer's drive; y = x + σ(g_c)·h(t−1) (just x before any state exists) */
static gboolean
gated_self_forward (DvOpCall *call, const float *x, float *y)
{
  int C, N, H, W;
  dv_op_call_shape (call, &C, &N, &H, &W);
  const float *h = dv_op_call_history (call, dv_op_call_layer (call), 1, NULL);
  if (x == NULL && h == NULL)
    return FALSE;
  const float *g = dv_op_call_param (call, "g");
  gsize plane = (gsize) N * H * W;
  for (int c = 0; c < C; c++)
    for (gsize i = 0; i < plane; i++)
      y[c * plane + i] = (x ? x[c * plane + i] : 0.0f) + (h ? sigmoid (g[c]) * h[c * plane + i] : 0.0f);
  return TRUE;
}

static void
gated_self_backward (DvOpCall *call, const float *dy, const float *x, const float *y, float *dx)
{
  int C, N, H, W;
  dv_op_call_shape (call, &C, &N, &H, &W);
  float *dh = NULL;
  const float *h = dv_op_call_history (call, dv_op_call_layer (call), 1, &dh);
  const float *g = dv_op_call_param (call, "g");
  float *dg = dv_op_call_param_grad (call, "g");
  gsize plane = (gsize) N * H * W;
  for (int c = 0; c < C; c++)
    {
      float s = sigmoid (g[c]);
      double acc = 0;
      for (gsize i = 0; i < plane; i++)
        {
          if (dx && x)
            dx[c * plane + i] += dy[c * plane + i];
          if (h)
            {
              if (dh)
                dh[c * plane + i] += s * dy[c * plane + i];
              acc += (double) dy[c * plane + i] * h[c * plane + i];
            }
        }
      if (dg)
        dg[c] += (float) (acc * s * (1 - s));
    }
}

int
main (void)
{
  g_autoptr (GError) error = NULL;
  DvOpClass op = { .name = "gated_self", .declare = gated_self_declare, .forward = gated_self_forward,
                   .backward = gated_self_backward };
  if (!dv_op_register (&op, &error))
    {
      fprintf (stderr, "adaptive_rcnn: %s\n", error->message);
      return 1;
    }
  /* DyRCNNx2 without its built-in recurrence, the learnt one in its place */
  const char *kv[] = { "input_dims=[6,3,16,16]", "n_classes=4", "rctype=none", "tau=5", "tff=2", "trc=2", NULL };
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kv, 6, &error);
  g_autoptr (DvModelDesc) d = kwargs ? dv_preset_build ("DyRCNNx2", kwargs, &error) : NULL;
  if (d == NULL)
    {
      fprintf (stderr, "adaptive_rcnn: %s\n", error->message);
      return 1;
    }
  g_ptr_array_insert (d->operations, 1, g_strdup ("gated_self")); /* right after "layer" */
  g_autoptr (DvModel) m = dv_model_desc_validate (d, &error) ? dv_model_new (d, &error) : NULL;
  if (m == NULL)
    {
      fprintf (stderr, "adaptive_rcnn: %s\n", error->message);
      return 1;
    }
  dv_model_init_params (m, 2);
  DvParam *cls = dv_model_lookup (m, "classifier.2.weight");
  for (gint64 i = 0; i < cls->numel; i++)
    cls->data[i] *= 50; /* a readout large enough to learn from quickly */

  int B = 4, T = 6;
  gsize xn = (gsize) B * T * 3 * 16 * 16;
  g_autofree float *x = g_new (float, xn);
  g_autofree gint64 *labels = g_new (gint64, B * T);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      {
        labels[b * T + t] = t < 2 ? -1 : b; /* score only once the stimulus has had time */
        for (int i = 0; i < 3 * 256; i++)
          x[((gsize) b * T + t) * 768 + i] = t < 3 ? sinf (0.05f * i * (b + 1)) : 0.0f; /* stimulus, then blank */
      }

  DvGradCheckReport r = { 0 };
  gboolean ok = dv_check_gradients (m, x, labels, B, T, 3, 3e-2, &r);
  printf ("adaptive_rcnn: gradient check %s (%d entries, worst relative error %.1e at %s)\n", ok ? "passed" : "FAILED",
          r.checked, r.worst_rel, r.worst_param);
  g_free (r.worst_param);
  if (!ok)
    return 1;

  DvOptimConfig oc = { .kind = DV_OPTIM_ADAM, .lr = 0.02 };
  g_autoptr (DvOptim) opt = dv_optim_new (m, &oc);
  double first = 0, loss = 0;
  for (int step = 0; step < 30; step++)
    {
      if (!dv_eval_loss_grad (m, x, labels, B, T, FALSE, &loss, NULL, &error))
        return 1;
      if (step == 0)
        first = loss;
      dv_optim_step (opt);
    }
  const float *g1 = dv_model_lookup (m, "gated_self_layer1.g")->data;
  printf ("adaptive_rcnn: loss %.3f -> %.3f after 30 Adam steps; recurrence gates of layer1:", first, loss);
  for (int c = 0; c < 6; c++)
    printf (" %.2f", sigmoid (g1[c]));
  printf (" …\n");
  return loss < first ? 0 : 1;
}
