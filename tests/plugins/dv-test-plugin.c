/* A plugin used by tests/test-plugin.c: it brings a model preset
 * ("TinyGated": DyRCNNx2 with a per-channel gate after the nonlinearity) and
 * the gate operation it uses. */
#include "dynvision.h"

#include <math.h>

static void
gate_declare (DvOpDeclare *decl, const DvLayerDesc *layer, gpointer user_data)
{
  gint64 shape[1] = { layer->out_channels };
  dv_op_declare_param (decl, "w", 1, shape, 1.0f, 0.0f);
}

static gboolean
gate_forward (DvOpCall *call, const float *x, float *y)
{
  if (x == NULL)
    return FALSE;
  int C, N, H, W;
  dv_op_call_shape (call, &C, &N, &H, &W);
  const float *w = dv_op_call_param (call, "w");
  gsize plane = (gsize) N * H * W;
  for (int c = 0; c < C; c++)
    for (gsize i = 0; i < plane; i++)
      y[c * plane + i] = x[c * plane + i] * w[c];
  return TRUE;
}

static void
gate_backward (DvOpCall *call, const float *dy, const float *x, const float *y, float *dx)
{
  int C, N, H, W;
  dv_op_call_shape (call, &C, &N, &H, &W);
  const float *w = dv_op_call_param (call, "w");
  float *dw = dv_op_call_param_grad (call, "w");
  gsize plane = (gsize) N * H * W;
  for (int c = 0; c < C; c++)
    for (gsize i = 0; i < plane; i++)
      {
        if (dx)
          dx[c * plane + i] += dy[c * plane + i] * w[c];
        if (dw)
          dw[c] += dy[c * plane + i] * x[c * plane + i];
      }
}

static DvModelDesc *
build_tiny_gated (const DvJson *kwargs, GError **error)
{
  DvModelDesc *d = dv_preset_build ("DyRCNNx2", kwargs, error);
  if (d == NULL)
    return NULL;
  g_ptr_array_insert (d->operations, 6, g_strdup ("plugin_gate"));
  if (!dv_model_desc_validate (d, error))
    {
      dv_model_desc_free (d);
      return NULL;
    }
  return d;
}

static gboolean
init (GError **error)
{
  DvOpClass gate = { .name = "plugin_gate", .declare = gate_declare, .forward = gate_forward,
                     .backward = gate_backward };
  return dv_op_register (&gate, error) && dv_preset_register ("TinyGated", build_tiny_gated, error);
}

static const DvPluginInfo info = { DV_API_VERSION, "test-plugin", "1.0", "a gated DyRCNNx2 for tests", init };

G_MODULE_EXPORT const DvPluginInfo *
dv_plugin_info (void)
{
  return &info;
}
