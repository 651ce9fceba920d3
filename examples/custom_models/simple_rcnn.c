/* simple_rcnn.c — the tutorial's CustomRCNN ("Building a Custom Model",
 * step 6) written against the engine's C API instead of subclassing
 * BaseModel, checked against the built-in CustomRCNN preset: same module
 * names, same initialisation, same logits.
 *
 *   build/examples/custom_models/simple_rcnn
 */
#include "dynvision.h"

#include <math.h>
#include <stdio.h>

/* Step 1–3: the architecture.  DynVision's constructor arguments become
 * fields of the description; _define_architecture becomes builder calls. */
static DvModelDesc *
custom_rcnn (int n_classes, int T, double dt, double tau, double t_ff, double t_rc, gboolean skip)
{
  DvModelDesc *d = dv_model_desc_new ();
  g_free (d->model_class);
  d->model_class = g_strdup ("CustomRCNN");
  d->n_classes = n_classes;
  d->n_timesteps = T;
  d->in_channels = 3;
  d->in_h = d->in_w = 32;
  d->dt = dt;
  d->tau = tau;
  d->t_feedforward = t_ff;
  d->t_recurrence = t_rc;
  d->t_feedback = t_ff; /* TemporalBase: t_feedback defaults to t_feedforward … */
  d->t_skip = 0.0;      /* … and t_skip to t_feedback; the tutorial's skips read "now" */
  d->skip = skip;
  g_free (d->init_scheme);
  d->init_scheme = g_strdup ("tutorial"); /* kaiming fan_out convs, BN (1, 0), Linear N(0, 0.01) */

  const char *ops_skip[] = { "conv", "nonlin", "addskip", "recurrent", "tstep", "record", "delay", "pool", "norm", NULL };
  const char *ops[] = { "conv", "nonlin", "recurrent", "tstep", "record", "delay", "pool", "norm", NULL };
  dv_model_desc_set_operations (d, skip ? ops_skip : ops);

  const struct { const char *name; int channels, kernel, stride; } areas[] = {
    { "V1", 64, 7, 2 }, { "V2", 128, 3, 1 }, { "V3", 256, 3, 1 },
  };
  for (int i = 0; i < 3; i++)
    {
      DvLayerDesc *l = dv_model_desc_add_layer (d, areas[i].name);
      /* the tutorial's V1_conv: a plain conv before the recurrent layer */
      l->conv_name = g_strdup_printf ("%s_conv", areas[i].name);
      l->conv_out = areas[i].channels;
      l->conv_kernel = areas[i].kernel;
      l->conv_stride = areas[i].stride;
      l->conv_padding = areas[i].kernel / 2;
      /* V1_recurrent: RecurrentConnectedConv2d(C, C, 3) with full recurrence */
      g_free (l->module_name);
      l->module_name = g_strdup_printf ("%s_recurrent", areas[i].name);
      l->in_channels = l->out_channels = areas[i].channels;
      l->kernel = 3;
      l->rec_type = DV_REC_FULL;
      /* V1_tstep: EulerStep(dt, tau) */
      g_free (l->tstep_name);
      l->tstep_name = g_strdup_printf ("%s_tstep", areas[i].name);
      /* V1_pool, V1_norm */
      l->pool_kind = DV_POOL_MAX;
      l->pool = (DvPoolDesc) { 3, 2, 1 };
      l->norm_kind = DV_NORM_BATCH;
      l->norm_name = g_strdup_printf ("%s_norm", areas[i].name);
    }
  if (skip)
    {
      /* Step 3: skip_V1_V3 and skip_V2_V3 = Conv1x1(stride) + BatchNorm, added in V3's addskip */
      DvConnDesc *c = dv_model_desc_add_conn (d, DV_CONN_SKIP, "skip_V1_V3", "V1", "V3");
      c->form = DV_CONN_FORM_CONV_BN;
      c->stride = 4;
      c->source_alias = FALSE;
      c = dv_model_desc_add_conn (d, DV_CONN_SKIP, "skip_V2_V3", "V2", "V3");
      c->form = DV_CONN_FORM_CONV_BN;
      c->stride = 2;
      c->source_alias = FALSE;
    }
  return d;
}

int
main (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d = custom_rcnn (10, 8, 2.0, 10.0, 2.0, 2.0, TRUE);
  if (!dv_model_desc_validate (d, &error))
    {
      fprintf (stderr, "simple_rcnn: %s\n", error->message);
      return 1;
    }
  g_autoptr (DvModel) mine = dv_model_new (d, &error);

  /* the same model from the preset, for comparison */
  const char *kv[] = { "input_dims=[8,3,32,32]", "n_classes=10", "dt=2", "tau=10", "tff=2", "trc=2", "t_skip=0", NULL };
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kv, 7, &error);
  g_autoptr (DvModelDesc) pd = dv_preset_build ("CustomRCNN", kwargs, &error);
  g_autoptr (DvModel) preset = dv_model_new (pd, &error);
  if (mine == NULL || preset == NULL)
    {
      fprintf (stderr, "simple_rcnn: %s\n", error ? error->message : "?");
      return 1;
    }
  dv_model_init_params (mine, 7);
  dv_model_init_params (preset, 7);

  int B = 2, T = 8;
  gsize xn = (gsize) B * T * 3 * 32 * 32;
  g_autofree float *x = g_new (float, xn);
  for (gsize i = 0; i < xn; i++)
    x[i] = sinf (0.01f * i) * cosf (0.003f * i);
  g_autofree float *a = g_new (float, B * T * 10), *b = g_new (float, B * T * 10);
  if (!dv_eval_forward (mine, x, B, T, FALSE, a, NULL, NULL, &error)
      || !dv_eval_forward (preset, x, B, T, FALSE, b, NULL, NULL, &error))
    {
      fprintf (stderr, "simple_rcnn: %s\n", error->message);
      return 1;
    }
  double diff = 0;
  for (int i = 0; i < B * T * 10; i++)
    diff = fmax (diff, fabs (a[i] - b[i]));
  printf ("simple_rcnn: %u tensors, %" G_GINT64_FORMAT " values; logits at the last step of sample 0:",
          dv_model_n_params (mine), dv_model_n_values (mine));
  for (int k = 0; k < 4; k++)
    printf (" %.5f", a[(T - 1) * 10 + k]);
  printf (" …\nsimple_rcnn: max |difference| to the CustomRCNN preset: %g\n", diff);
  return diff == 0 ? 0 : 1;
}
