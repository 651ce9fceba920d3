/* dv-trainer.c — the training loop; see dv-trainer.h.  Derivations and the
 * checkpoint/resume contract are in doc/training.md. */
#include "dv-trainer.h"

#include "dv-checkpoint.h"
#include "dv-ops.h"
#include "dv-tempfile.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char dv_metrics_csv_header[] =
  "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,loss/CrossEntropyLoss,"
  "loss/ActivityLoss,val_guess_confidence,val_first_label_confidence,step\n";

void
dv_train_config_init (DvTrainConfig *c)
{
  memset (c, 0, sizeof *c);
  c->epochs = 10;
  c->optim = (DvOptimConfig) { .kind = DV_OPTIM_ADAM, .lr = 2e-4, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                               .weight_decay = 5e-4 };
  c->lr_scaling = TRUE;
  c->group_factors = TRUE;
  c->schedule = DV_SCHEDULE_COSINE;
  c->step_size = 30;
  c->gamma = 0.1;
  c->clip = 1.0;
  c->accumulate = 1;
  c->val_every = 1;
  c->save_top_k = 2;
  c->bn_train = TRUE;
  dv_activity_config_init (&c->activity);
}

void
dv_train_config_clear (DvTrainConfig *c)
{
  g_clear_pointer (&c->out_dir, g_free);
  dv_activity_config_clear (&c->activity);
}

double
dv_lr_scale_factor (int batch, int accumulate)
{
  double e = (double) batch * MAX (accumulate, 1);
  return e <= 128 ? e / 64.0 : sqrt (e / 64.0);
}

double
dv_schedule_lr (const DvTrainConfig *c, double base, int epoch)
{
  switch (c->schedule)
    {
    case DV_SCHEDULE_COSINE:
      {
        int tmax = c->t_max > 0 ? c->t_max : MAX (c->epochs, 1);
        return base * (1 + cos (G_PI * epoch / tmax)) / 2;
      }
    case DV_SCHEDULE_STEP:
      return base * pow (c->gamma, epoch / MAX (c->step_size, 1));
    case DV_SCHEDULE_CONSTANT:
    default:
      return base;
    }
}

typedef struct {
  char *path;
  double score;
} Best;

/* A training run of one batch size, with its activity-loss observer. */
typedef struct {
  DvRun *run;
  DvActivityLoss *activity;
} Slot;

typedef struct {
  double loss, ce, activity;
  int correct, valid, batches;
} EpochSums;

struct _DvTrainer {
  DvModel *model;
  DvLoader *train, *val;
  DvTrainConfig cfg;
  DvOptim *optim;
  double base_lr;
  int epoch;           /* completed */
  GHashTable *slots;   /* batch size -> Slot* */
  float *logits, *dlogits;
  gsize l_cap;
  GArray *best;        /* Best, sorted best first */
  GString *csv;
  DvTrainProgressFunc progress;
  DvEpochFunc on_epoch;
  gpointer user_data;
  gboolean (*cancel) (gpointer);
  gpointer cancel_data;
  double t_start;
  gint64 samples_done;
  /* an epoch a cancel interrupted: the next run_epoch continues it at batch `part_batches`
   * (the loader, the accumulated gradients and these sums are left as they were) */
  gboolean part;
  int part_batches;
  EpochSums part_sums;
  double part_seconds;
};

static void
slot_free (gpointer p)
{
  Slot *s = p;
  dv_activity_loss_free (s->activity);
  dv_run_free (s->run);
  g_free (s);
}

DvTrainer *
dv_trainer_new (DvModel *model, DvLoader *train, DvLoader *val, const DvTrainConfig *config, GError **error)
{
  int n = train ? dv_loader_get_n_samples (train) : 0, nb = train ? MAX (dv_loader_get_n_batches (train), 1) : 1;
  int batch = config->batch_size > 0 ? config->batch_size : MAX (1, (n + nb - 1) / nb);
  /* a batch whose activations cannot fit is refused before the first step allocates them */
  if (!dv_model_desc_check_size (dv_model_get_desc (model), batch, error))
    {
      g_prefix_error (error, "batch size %d: ", batch);
      return NULL;
    }
  DvTrainer *t = g_new0 (DvTrainer, 1);
  t->model = model;
  t->train = train;
  t->val = val;
  t->cfg = *config;
  t->cfg.out_dir = g_strdup (config->out_dir);
  dv_activity_config_copy (&t->cfg.activity, &config->activity);
  t->base_lr = config->optim.lr * (config->lr_scaling ? dv_lr_scale_factor (batch, config->accumulate) : 1.0);
  DvOptimConfig oc = config->optim;
  oc.lr = t->base_lr;
  t->optim = dv_optim_new (model, &oc);
  if (config->group_factors)
    {
      dv_optim_add_lr_factor (t->optim, "recurrence", 0.2);
      dv_optim_add_lr_factor (t->optim, "feedback", 0.5);
    }
  t->slots = g_hash_table_new_full (NULL, NULL, NULL, slot_free);
  t->best = g_array_new (FALSE, FALSE, sizeof (Best));
  t->csv = g_string_new (dv_metrics_csv_header);
  if (t->cfg.out_dir && g_mkdir_with_parents (t->cfg.out_dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create folder %s: %s",
                   t->cfg.out_dir, g_strerror (errno));
      dv_trainer_free (t);
      return NULL;
    }
  dv_model_zero_grad (model);
  return t;
}

void
dv_trainer_free (DvTrainer *t)
{
  if (t == NULL)
    return;
  dv_optim_free (t->optim);
  g_hash_table_unref (t->slots);
  for (guint i = 0; i < t->best->len; i++)
    g_free (g_array_index (t->best, Best, i).path);
  g_array_unref (t->best);
  g_string_free (t->csv, TRUE);
  g_free (t->logits);
  g_free (t->dlogits);
  dv_train_config_clear (&t->cfg);
  g_free (t);
}

void
dv_trainer_set_progress (DvTrainer *t, DvTrainProgressFunc func, DvEpochFunc epoch_func, gpointer user_data)
{
  t->progress = func;
  t->on_epoch = epoch_func;
  t->user_data = user_data;
}

void
dv_trainer_set_cancel (DvTrainer *t, gboolean (*cancel) (gpointer), gpointer user_data)
{
  t->cancel = cancel;
  t->cancel_data = user_data;
}

int
dv_trainer_get_epoch (const DvTrainer *t)
{
  return t->epoch;
}

static Slot *
slot_for (DvTrainer *t, int B, GError **error)
{
  Slot *s = g_hash_table_lookup (t->slots, GINT_TO_POINTER (B));
  if (s == NULL)
    {
      DvRunOptions o = { .training = TRUE, .bn_train = t->cfg.bn_train };
      s = g_new0 (Slot, 1);
      s->run = dv_run_new (t->model, B, &o);
      dv_run_set_check_finite (s->run, TRUE);
      if (t->cfg.activity.weight > 0)
        {
          s->activity = dv_activity_loss_new (s->run, &t->cfg.activity, error);
          if (s->activity == NULL)
            {
              slot_free (s);
              return NULL;
            }
          /* backpropagated like the cross-entropy: weight · loss, averaged over accumulated batches */
          dv_activity_loss_set_backward_scale (s->activity, t->cfg.activity.weight / MAX (t->cfg.accumulate, 1));
        }
      g_hash_table_insert (t->slots, GINT_TO_POINTER (B), s);
    }
  return s;
}

static void
ensure (float **buf, gsize *cap, gsize n)
{
  if (*cap < n)
    {
      g_free (*buf);
      *buf = g_new (float, n);
      *cap = n;
    }
}

/* Counts correct argmax predictions over the valid labels. */
static void
count_correct (const float *logits, const gint64 *labels, int rows, int K, int *correct, int *valid)
{
  for (int r = 0; r < rows; r++)
    if (labels[r] >= 0)
      {
        (*valid)++;
        *correct += dv_metrics_argmax (logits + (gsize) r * K, K) == labels[r];
      }
}

/* The first parameter whose gradient (grad = TRUE) or value is not finite, or NULL. */
static const char *
first_non_finite (DvModel *m, gboolean grad)
{
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      const float *v = grad ? p->grad : (p->type == DV_PARAM_F32 ? p->data : NULL);
      for (gint64 k = 0; v && k < p->numel; k++)
        if (!isfinite (v[k]))
          return p->name;
    }
  return NULL;
}

/* Forward, cross-entropy over all timesteps (+ weight · activity), BPTT: gradients accumulate
 * into the parameters'; x [B,T,C,H,W], labels [B,T]. */
/* The engine reads a batch's frame t straight from its sequence (the image
 * variants plus the schedule), never a [B,T,C,H,W] copy of it. */
static void
sequence_frame (int t, float *dst, gpointer seq)
{
  dv_sequence_frame (seq, t, dst);
}

/* Forward over x [B,T,C,H,W], or over seq's frames when seq is given. */
static gboolean
run_forward (DvRun *run, const float *x, DvSequence *seq, int T, float *logits, GError **error)
{
  if (seq != NULL)
    return dv_run_forward_frames (run, sequence_frame, seq, T, logits, error);
  return dv_run_forward (run, x, T, logits, error);
}

static gboolean
forward_backward (DvTrainer *t, const float *x, DvSequence *seq, const gint64 *labels, int B, int T,
                  int batch_index, EpochSums *sums, GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (t->model);
  int K = D->n_classes;
  gsize ln = (gsize) B * T * K;
  if (t->l_cap < ln)
    {
      g_free (t->logits);
      g_free (t->dlogits);
      t->logits = g_new (float, ln);
      t->dlogits = g_new (float, ln);
      t->l_cap = ln;
    }
  memset (t->dlogits, 0, sizeof (float) * ln);
  Slot *s = slot_for (t, B, error);
  if (s == NULL)
    return FALSE;
  if (s->activity)
    dv_activity_loss_reset (s->activity);
  if (!run_forward (s->run, x, seq, T, t->logits, error))
    {
      g_prefix_error (error, "training stopped in epoch %d, batch %d: ", t->epoch + 1, batch_index + 1);
      return FALSE;
    }
  int nv = 0;
  double ce = dv_cross_entropy (t->dlogits, t->logits, (const int64_t *) labels, B * T, K,
                                D->non_label_index, 1.0f / MAX (t->cfg.accumulate, 1), &nv);
  double act = s->activity ? dv_activity_loss_value (s->activity) : 0.0;
  double loss = ce + t->cfg.activity.weight * act;
  if (!isfinite (loss))
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                   "training stopped in epoch %d, batch %d: the loss became %g; lower the learning rate or "
                   "raise tau relative to dt", t->epoch + 1, batch_index + 1, loss);
      return FALSE;
    }
  dv_run_backward (s->run, t->dlogits, NULL);
  const char *bad = first_non_finite (t->model, TRUE);
  if (bad)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                   "training stopped in epoch %d, batch %d: the gradient of %s became NaN or infinite; lower "
                   "the learning rate or enable gradient clipping", t->epoch + 1, batch_index + 1, bad);
      return FALSE;
    }
  sums->loss += loss;
  sums->ce += ce;
  sums->activity += act;
  sums->batches++;
  count_correct (t->logits, labels, B * T, K, &sums->correct, &sums->valid);
  return TRUE;
}

static char *
out_path (const DvTrainer *t, const char *name)
{
  return g_build_filename (t->cfg.out_dir, name, NULL);
}

static double
score_of (const DvTrainer *t, const DvEpochMetrics *m)
{
  return t->cfg.monitor_max ? m->val_accuracy : -m->val_loss;
}

static gboolean
save_checkpoint (DvTrainer *t, const char *path, const DvEpochMetrics *m, GError **error)
{
  g_autoptr (GHashTable) extra = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (extra, "train.epoch", g_strdup_printf ("%d", t->epoch));
  g_hash_table_insert (extra, "train.step", g_strdup_printf ("%" G_GINT64_FORMAT, dv_optim_get_step (t->optim)));
  g_hash_table_insert (extra, "train.base_lr", g_strdup_printf ("%.17g", t->base_lr));
  g_hash_table_insert (extra, "train.score", g_strdup_printf ("%.17g", score_of (t, m)));
  g_hash_table_insert (extra, "train.metrics",
                       g_strdup_printf ("{\"train_loss\": %.9g, \"train_accuracy\": %.9g, \"val_loss\": %.9g, "
                                        "\"val_accuracy\": %.9g}", m->train_loss, m->train_accuracy,
                                        isnan (m->val_loss) ? -1.0 : m->val_loss,
                                        isnan (m->val_accuracy) ? -1.0 : m->val_accuracy));
  g_autoptr (DvSafetensorsWriter) w = dv_checkpoint_writer (t->model, extra);
  for (int which = 0; which < 2; which++)
    {
      gint64 n = 0;
      float *s = dv_optim_state (t->optim, which, &n);
      if (s)
        dv_safetensors_writer_add (w, which == 0 ? "optimizer.m" : "optimizer.v", DV_DTYPE_F32, 1, &n, s);
    }
  return dv_safetensors_writer_save (w, path, error);
}

/* After a resume: metrics.csv rows up to the resumed epoch, and the best-k list from the
 * best-epoch*.safetensors files of earlier epochs. */
static void
restore_history (DvTrainer *t)
{
  if (t->cfg.out_dir == NULL)
    return;
  g_autofree char *csv_path = out_path (t, "metrics.csv");
  g_autofree char *text = NULL;
  if (g_file_get_contents (csv_path, &text, NULL, NULL))
    {
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      g_string_assign (t->csv, dv_metrics_csv_header);
      for (int i = 1; lines[0] && lines[i]; i++)
        if (lines[i][0] && atoi (lines[i]) <= t->epoch)
          g_string_append_printf (t->csv, "%s\n", lines[i]);
    }
  g_autoptr (GDir) dir = g_dir_open (t->cfg.out_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)))
    {
      if (!g_str_has_prefix (name, "best-epoch") || !g_str_has_suffix (name, ".safetensors"))
        continue;
      if (atoi (name + strlen ("best-epoch")) > t->epoch)
        continue;
      g_autofree char *path = out_path (t, name);
      g_autoptr (DvSafetensors) st = dv_safetensors_load (path, NULL);
      const char *sc = st ? dv_safetensors_metadata (st, "train.score") : NULL;
      if (sc == NULL)
        continue;
      Best b = { g_steal_pointer (&path), g_ascii_strtod (sc, NULL) };
      guint pos = 0;
      while (pos < t->best->len && g_array_index (t->best, Best, pos).score >= b.score)
        pos++;
      g_array_insert_val (t->best, pos, b);
    }
}

gboolean
dv_trainer_resume (DvTrainer *t, const char *checkpoint, GError **error)
{
  g_autoptr (DvSafetensors) st = dv_safetensors_load (checkpoint, error);
  if (st == NULL)
    return FALSE;
  t->part = FALSE; /* an interrupted epoch is not continued into another run's weights */
  const char *ep = dv_safetensors_metadata (st, "train.epoch");
  const char *sp = dv_safetensors_metadata (st, "train.step");
  if (ep == NULL)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                   "%s was not written by a training run (no train.epoch); use it as the starting model "
                   "instead of resuming", checkpoint);
      return FALSE;
    }
  if (!dv_model_load_state (t->model, st, checkpoint, NULL, error))
    return FALSE;
  /* what a save killed mid-way left in the run's folder (dv-tempfile.h) */
  g_autofree char *dir = g_path_get_dirname (checkpoint);
  dv_temp_remove_stale (dir, DV_TEMP_INFIX_SAFETENSORS);
  dv_temp_remove_stale (dir, DV_TEMP_INFIX_METRICS);
  t->epoch = atoi (ep);
  dv_optim_set_step (t->optim, sp ? g_ascii_strtoll (sp, NULL, 10) : 0);
  for (int which = 0; which < 2; which++)
    {
      gint64 n = 0;
      float *s = dv_optim_state (t->optim, which, &n);
      const DvStTensor *ts = dv_safetensors_lookup (st, which == 0 ? "optimizer.m" : "optimizer.v");
      if (s && ts && ts->numel == n)
        {
          g_autofree float *v = dv_st_tensor_to_f32 (ts);
          memcpy (s, v, sizeof (float) * n);
        }
      else if (s)
        memset (s, 0, sizeof (float) * n);
    }
  restore_history (t);
  return TRUE;
}

void
dv_eval_result_clear (DvEvalResult *r)
{
  g_clear_pointer (&r->per_step, dv_metric_totals_free);
}

gboolean
dv_evaluate_full (DvModel *model, DvLoader *loader, int max_batches, DvEvalResult *out, GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (model);
  int K = D->n_classes, T = dv_loader_get_timesteps (loader);
  memset (out, 0, sizeof *out);
  out->per_step = dv_metric_totals_new (T);
  DvRun *run = NULL;
  int run_b = 0, nb = 0;
  double lsum = 0;
  float *lg = NULL;
  gsize lcap = 0;
  DvStepRecord *rec = NULL;
  gboolean ok = TRUE;
  int n = dv_loader_get_n_batches (loader);
  if (max_batches > 0)
    n = MIN (n, max_batches);
  for (int b = 0; b < n && ok; b++)
    {
      g_autoptr (DvSequence) seq = dv_loader_get_batch (loader, 0, b);
      if (seq == NULL)
        break;
      ensure (&lg, &lcap, (gsize) seq->B * seq->T * K);
      if (run == NULL || run_b != seq->B)
        {
          g_clear_pointer (&run, dv_run_free);
          DvRunOptions o = { 0 };
          run = dv_run_new (model, seq->B, &o);
          run_b = seq->B;
        }
      ok = run_forward (run, NULL, seq, seq->T, lg, error);
      if (!ok)
        break;
      int nv = 0;
      double l = dv_cross_entropy (NULL, lg, (const int64_t *) seq->labels, seq->B * seq->T, K,
                                   D->non_label_index, 1.0f, &nv);
      if (nv > 0)
        lsum += l, nb++;
      rec = g_renew (DvStepRecord, rec, (gsize) seq->B * seq->T);
      dv_metrics_records (lg, seq->labels, seq->B, seq->T, K, rec);
      dv_metric_totals_add (out->per_step, rec, seq->B, seq->T);
    }
  g_clear_pointer (&run, dv_run_free);
  g_free (lg);
  g_free (rec);
  out->loss = nb ? lsum / nb : NAN;
  out->accuracy = dv_metric_totals_labelled_accuracy (out->per_step, -1);
  out->guess_confidence = dv_metric_totals_guess_confidence (out->per_step, -1);
  out->first_label_confidence = dv_metric_totals_first_label_confidence (out->per_step, -1);
  return ok;
}

gboolean
dv_evaluate (DvModel *model, DvLoader *loader, double *loss, double *accuracy, double *acc_t, int *T_out,
             GError **error)
{
  DvEvalResult r;
  gboolean ok = dv_evaluate_full (model, loader, 0, &r, error);
  *loss = r.loss;
  *accuracy = r.accuracy;
  int T = r.per_step->T;
  if (acc_t)
    for (int t = 0; t < T; t++)
      acc_t[t] = dv_metric_totals_labelled_accuracy (r.per_step, t);
  if (T_out)
    *T_out = T;
  dv_eval_result_clear (&r);
  return ok;
}

static void
write_metrics (DvTrainer *t)
{
  if (t->cfg.out_dir == NULL)
    return;
  g_autofree char *p = out_path (t, "metrics.csv");
  dv_file_replace_contents (p, t->csv->str, t->csv->len, NULL); /* atomic: temp file + rename */
}

static gboolean
keep_best (DvTrainer *t, const DvEpochMetrics *m, GError **error)
{
  double score = score_of (t, m);
  if (isnan (score) || t->cfg.save_top_k <= 0)
    return TRUE;
  guint pos = 0;
  while (pos < t->best->len && g_array_index (t->best, Best, pos).score >= score)
    pos++;
  if ((int) pos >= t->cfg.save_top_k)
    return TRUE;
  g_autofree char *name = g_strdup_printf ("best-epoch%03d.safetensors", t->epoch);
  Best b = { out_path (t, name), score };
  if (!save_checkpoint (t, b.path, m, error))
    {
      g_free (b.path);
      return FALSE;
    }
  g_array_insert_val (t->best, pos, b);
  while ((int) t->best->len > t->cfg.save_top_k)
    {
      Best *last = &g_array_index (t->best, Best, t->best->len - 1);
      g_unlink (last->path);
      g_free (last->path);
      g_array_set_size (t->best, t->best->len - 1);
    }
  return TRUE;
}

static void
csv_number (GString *s, double v)
{
  if (isnan (v))
    g_string_append (s, "nan");
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
    }
}

static void
append_row (DvTrainer *t, const DvEpochMetrics *m)
{
  g_string_append_printf (t->csv, "%d,", m->epoch);
  double v[] = { m->lr, m->train_loss, m->train_accuracy, m->val_loss, m->val_accuracy, m->seconds,
                 m->train_ce_loss, m->train_activity_loss, m->val_guess_confidence,
                 m->val_first_label_confidence };
  for (guint i = 0; i < G_N_ELEMENTS (v); i++)
    {
      csv_number (t->csv, v[i]);
      g_string_append_c (t->csv, ',');
    }
  g_string_append_printf (t->csv, "%" G_GINT64_FORMAT "\n", m->step);
}

static gboolean
optimiser_step (DvTrainer *t, int batch_index, GError **error)
{
  if (t->cfg.clip > 0)
    dv_optim_clip_grad_norm (t->optim, t->cfg.clip);
  dv_optim_step (t->optim);
  dv_model_zero_grad (t->model);
  const char *bad = first_non_finite (t->model, FALSE);
  if (bad)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                   "training stopped in epoch %d, batch %d: parameter %s became NaN or infinite after an "
                   "optimiser step; lower the learning rate", t->epoch + 1, batch_index + 1, bad);
      return FALSE;
    }
  return TRUE;
}

gboolean
dv_trainer_step (DvTrainer *t, const float *x, const gint64 *labels, int B, int T, double *loss,
                 GError **error)
{
  g_return_val_if_fail (t->cfg.accumulate <= 1, FALSE);
  dv_optim_set_lr (t->optim, dv_schedule_lr (&t->cfg, t->base_lr, t->epoch));
  EpochSums sums = { 0 };
  if (!forward_backward (t, x, NULL, labels, B, T, 0, &sums, error) || !optimiser_step (t, 0, error))
    return FALSE;
  if (loss)
    *loss = sums.loss;
  return TRUE;
}

gboolean
dv_trainer_run_epoch (DvTrainer *t, GError **error)
{
  g_return_val_if_fail (t->train != NULL, FALSE);
  double lr = dv_schedule_lr (&t->cfg, t->base_lr, t->epoch);
  dv_optim_set_lr (t->optim, lr);
  double t0 = g_get_monotonic_time () / 1e6;
  if (t->t_start == 0)
    t->t_start = t0;
  int nb = dv_loader_get_n_batches (t->train);
  EpochSums sums = { 0 };
  int acc = MAX (t->cfg.accumulate, 1), batches = 0;
  if (t->part)
    {
      /* continue the epoch a cancel interrupted, as if it never stopped */
      sums = t->part_sums;
      batches = t->part_batches;
      t0 -= t->part_seconds;
      t->part = FALSE;
    }
  else
    {
      dv_loader_restart (t->train, t->epoch);
      dv_model_zero_grad (t->model);
    }
  DvSequence *seq;
  while ((seq = dv_loader_next (t->train)) != NULL)
    {
      gboolean ok = forward_backward (t, NULL, seq, seq->labels, seq->B, seq->T, batches, &sums, error);
      t->samples_done += seq->B;
      dv_sequence_free (seq);
      if (!ok)
        {
          dv_loader_restart (t->train, t->epoch);
          return FALSE;
        }
      batches++;
      if ((batches % acc == 0 || batches == nb) && !optimiser_step (t, batches - 1, error))
        {
          dv_loader_restart (t->train, t->epoch);
          return FALSE;
        }
      if (t->progress)
        {
          double now = g_get_monotonic_time () / 1e6;
          double rate = t->samples_done / MAX (now - t->t_start, 1e-9);
          int left_batches = (nb - batches) + nb * (t->cfg.epochs - t->epoch - 1);
          double per_batch = (now - t0) / batches;
          DvTrainProgress p = { t->epoch + 1, batches, nb, dv_optim_get_step (t->optim), sums.loss / batches,
                                sums.valid ? (double) sums.correct / sums.valid : 0, rate,
                                left_batches * per_batch, lr };
          t->progress (&p, t->user_data);
        }
      if (t->cancel && t->cancel (t->cancel_data) && batches < nb)
        {
          t->part = TRUE;
          t->part_batches = batches;
          t->part_sums = sums;
          t->part_seconds = g_get_monotonic_time () / 1e6 - t0;
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CANCELLED,
                       "training stopped by the user in epoch %d after batch %d of %d", t->epoch + 1,
                       batches, nb);
          return FALSE;
        }
    }
  t->epoch++;
  gboolean act_on = t->cfg.activity.weight > 0;
  DvEpochMetrics m = { t->epoch, lr, batches ? sums.loss / batches : NAN,
                       sums.valid ? (double) sums.correct / sums.valid : NAN, NAN, NAN, 0,
                       batches ? sums.ce / batches : NAN, act_on && batches ? sums.activity / batches : NAN,
                       NAN, NAN, dv_optim_get_step (t->optim) };
  if (t->val && t->cfg.val_every > 0 && (t->epoch % t->cfg.val_every == 0 || t->epoch == t->cfg.epochs))
    {
      DvEvalResult r;
      gboolean ok = dv_evaluate_full (t->model, t->val, 0, &r, error);
      m.val_loss = r.loss;
      m.val_accuracy = r.accuracy;
      m.val_guess_confidence = r.guess_confidence;
      m.val_first_label_confidence = r.first_label_confidence;
      dv_eval_result_clear (&r);
      if (!ok)
        return FALSE;
    }
  m.seconds = g_get_monotonic_time () / 1e6 - t0;
  append_row (t, &m);
  write_metrics (t);
  if (t->cfg.out_dir)
    {
      g_autofree char *last = out_path (t, "last.safetensors");
      if (!save_checkpoint (t, last, &m, error))
        return FALSE;
      if (t->cfg.save_every > 0 && t->epoch % t->cfg.save_every == 0)
        {
          g_autofree char *name = g_strdup_printf ("epoch%03d.safetensors", t->epoch);
          g_autofree char *p = out_path (t, name);
          if (!save_checkpoint (t, p, &m, error))
            return FALSE;
        }
      if (!keep_best (t, &m, error))
        return FALSE;
    }
  if (t->on_epoch)
    t->on_epoch (&m, t->user_data);
  return TRUE;
}

gboolean
dv_trainer_run (DvTrainer *t, GError **error)
{
  while (t->epoch < t->cfg.epochs)
    if (!dv_trainer_run_epoch (t, error))
      return FALSE;
  return TRUE;
}

gboolean
dv_train_presentation (DvPresentation *p, DvModel *model, const char *const *overrides,
                       GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (model);
  dv_presentation_init (p, DV_LOADER_STANDARD);
  if (overrides != NULL && !dv_presentation_parse (p, overrides, error))
    return FALSE;
  if (dv_presentation_get_data_timesteps (p) == 1)
    {
      p->model_timesteps = D->n_timesteps;
      g_strlcpy (p->data_presentation_pattern, D->pattern ? D->pattern : "1", DV_PATTERN_MAX);
      p->shuffle_presentation_pattern = D->shuffle_pattern;
      p->loss_reaction_time = D->loss_reaction_time;
    }
  p->dt = D->dt;
  p->n_residual_timesteps = dv_model_residual_timesteps (model);
  /* a dt=, pattern= … the model overrode is refused, not dropped */
  return dv_presentation_validate (p, error)
         && dv_presentation_check_applied (p, overrides, "the model (its description or keyword arguments)", error);
}
