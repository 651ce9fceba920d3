/* dv-eval.c — see dv-eval.h. */
#include "dv-eval.h"
#include "dv-ops.h"

#include <string.h>

typedef struct {
  const DvModel *model;
  int B, T;
  float **responses;
  gboolean *present;
} Collect;

static void
collect (DvRun *run, const DvFrame *f, gpointer data)
{
  Collect *c = data;
  for (int l = 0; l < f->n_layers; l++)
    {
      if (c->present)
        c->present[l * c->T + f->t] = f->present[l];
      if (c->responses == NULL || c->responses[l] == NULL || f->responses[l] == NULL)
        continue;
      int C, H, W;
      dv_model_layer_shape (c->model, l, &C, &H, &W);
      dv_cnhw_to_sequence (c->responses[l], f->responses[l], c->B, c->T, f->t, C, H * W);
    }
}

gboolean
dv_eval_forward (DvModel *model, const float *x, int B, int T, gboolean bn_train, float *logits,
                 float **responses, gboolean *present, GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (model);
  DvRunOptions opt = { .training = FALSE, .bn_train = bn_train, .record_all = responses != NULL };
  g_autoptr (DvRun) run = dv_run_new (model, B, &opt);
  Collect c = { model, B, T, responses, present };
  for (int l = 0; responses && l < D->n_layers; l++)
    if (responses[l])
      {
        int C, H, W;
        dv_model_layer_shape (model, l, &C, &H, &W);
        memset (responses[l], 0, sizeof (float) * (gsize) B * T * C * H * W);
      }
  dv_run_set_observer (run, collect, &c);
  return dv_run_forward (run, x, T, logits, error);
}

gboolean
dv_eval_loss_grad (DvModel *model, const float *x, const gint64 *labels, int B, int T, gboolean bn_train,
                   double *loss, float *logits, GError **error)
{
  DvRunOptions opt = { .training = TRUE, .bn_train = bn_train };
  return dv_eval_loss_grad_with (model, x, labels, B, T, &opt, loss, logits, error);
}

gboolean
dv_eval_loss_grad_with (DvModel *model, const float *x, const gint64 *labels, int B, int T,
                        const DvRunOptions *options, double *loss, float *logits, GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (model);
  int K = D->n_classes;
  DvRunOptions opt = *options;
  opt.training = TRUE;
  g_autoptr (DvRun) run = dv_run_new (model, B, &opt);
  g_autofree float *lg = g_new (float, (gsize) B * T * K);
  if (!dv_run_forward (run, x, T, lg, error))
    return FALSE;
  g_autofree float *dl = g_new0 (float, (gsize) B * T * K);
  *loss = dv_cross_entropy (dl, lg, (const int64_t *) labels, B * T, K, D->non_label_index, 1.0f, NULL);
  dv_model_zero_grad (model);
  if (!dv_run_backward (run, dl, error))
    return FALSE;
  if (logits)
    memcpy (logits, lg, sizeof (float) * (gsize) B * T * K);
  return TRUE;
}
