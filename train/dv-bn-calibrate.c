/* dv-bn-calibrate.c — re-estimating BatchNorm running statistics (see dv-bn-calibrate.h).
 *
 * What this is for: one pass over a few batches, step by step, in train-mode BatchNorm; after
 * each step the batch statistics of every module that ran are recovered from its running
 * statistics (reset to mean 0, variance 1 before the step, so batch = (new − 0.9·old) / 0.1)
 * and summed when the step shows a stimulus.
 * What this is not for: the BatchNorm kernel itself (engine/).
 */
#include "dv-bn-calibrate.h"

#include <string.h>

typedef struct {
  DvParam *mean, *var, *count;
  double *sum_mean, *sum_var;
  float *old_mean, *old_var; /* kept where no step counted, and on an error */
  gint64 n;
} BnStats;

static GArray *
find_bn (DvModel *model)
{
  GArray *bns = g_array_new (FALSE, TRUE, sizeof (BnStats));
  for (guint i = 0; i < dv_model_n_params (model); i++)
    {
      DvParam *p = dv_model_param (model, i);
      if (!g_str_has_suffix (p->name, ".running_mean") || p->data == NULL)
        continue;
      gsize stem = strlen (p->name) - strlen ("running_mean");
      g_autofree char *base = g_strndup (p->name, stem);
      g_autofree char *vn = g_strconcat (base, "running_var", NULL);
      g_autofree char *cn = g_strconcat (base, "num_batches_tracked", NULL);
      DvParam *v = dv_model_lookup (model, vn), *c = dv_model_lookup (model, cn);
      if (v == NULL || v->data == NULL || c == NULL || c->idata == NULL || v->numel != p->numel)
        continue;
      BnStats s = { p, v, c, g_new0 (double, p->numel), g_new0 (double, p->numel),
                     g_memdup2 (p->data, sizeof (float) * p->numel), g_memdup2 (v->data, sizeof (float) * v->numel), 0 };
      g_array_append_val (bns, s);
    }
  return bns;
}

static void
reset_running (GArray *bns)
{
  for (guint i = 0; i < bns->len; i++)
    {
      BnStats *s = &g_array_index (bns, BnStats, i);
      for (gint64 c = 0; c < s->mean->numel; c++)
        s->mean->data[c] = 0.0f, s->var->data[c] = 1.0f;
    }
}

gboolean
dv_bn_calibrate (DvModel *model, DvLoader *loader, int epoch, int max_batches, int *n_used, GError **error)
{
  const float momentum = 0.1f; /* the engine's (and torch's) BatchNorm momentum */
  g_autoptr (GArray) bns = find_bn (model);
  if (n_used)
    *n_used = 0;
  if (bns->len == 0)
    return TRUE;
  gint64 *count0 = g_new (gint64, bns->len);
  for (guint i = 0; i < bns->len; i++)
    count0[i] = g_array_index (bns, BnStats, i).count->idata[0];
  const DvModelDesc *D = dv_model_get_desc (model);
  int n = dv_loader_get_n_batches (loader);
  if (max_batches > 0)
    n = MIN (n, max_batches);
  DvRun *run = NULL;
  int run_b = 0;
  float *frame = NULL, *logits = NULL;
  gboolean ok = TRUE;
  gint64 *before = g_new (gint64, bns->len);
  for (int b = 0; b < n && ok; b++)
    {
      g_autoptr (DvSequence) seq = dv_loader_get_batch (loader, epoch, b);
      if (seq == NULL)
        break;
      if (run == NULL || run_b != seq->B)
        {
          g_clear_pointer (&run, dv_run_free);
          DvRunOptions o = { .bn_train = TRUE };
          run = dv_run_new (model, seq->B, &o);
          run_b = seq->B;
          g_free (frame);
          g_free (logits);
          frame = g_new (float, dv_sequence_frame_size (seq));
          logits = g_new (float, (gsize) seq->B * D->n_classes);
        }
      reset_running (bns);
      dv_run_reset (run);
      for (int t = 0; t < seq->T && ok; t++)
        {
          for (guint i = 0; i < bns->len; i++)
            before[i] = g_array_index (bns, BnStats, i).count->idata[0];
          dv_sequence_frame (seq, t, frame);
          ok = dv_run_step (run, frame, logits, error);
          gboolean stim = seq->schedule[t].phase == DV_PHASE_STIMULUS;
          for (guint i = 0; ok && i < bns->len; i++)
            {
              BnStats *s = &g_array_index (bns, BnStats, i);
              if (stim && s->count->idata[0] != before[i])
                {
                  for (gint64 c = 0; c < s->mean->numel; c++)
                    {
                      s->sum_mean[c] += s->mean->data[c] / momentum;
                      s->sum_var[c] += (s->var->data[c] - (1.0f - momentum)) / momentum;
                    }
                  s->n++;
                }
            }
          reset_running (bns);
        }
    }
  g_clear_pointer (&run, dv_run_free);
  g_free (frame);
  g_free (logits);
  g_free (before);
  int used = 0;
  for (guint i = 0; i < bns->len; i++)
    {
      BnStats *s = &g_array_index (bns, BnStats, i);
      s->count->idata[0] = count0[i];
      for (gint64 c = 0; c < s->mean->numel; c++)
        {
          gboolean keep = !ok || s->n == 0;
          s->mean->data[c] = keep ? s->old_mean[c] : (float) (s->sum_mean[c] / s->n);
          s->var->data[c] = keep ? s->old_var[c] : (float) MAX (s->sum_var[c] / s->n, 0.0);
        }
      used += (int) s->n;
      g_free (s->sum_mean);
      g_free (s->sum_var);
      g_free (s->old_mean);
      g_free (s->old_var);
    }
  g_free (count0);
  if (n_used)
    *n_used = used;
  return ok;
}
