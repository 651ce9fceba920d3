/* dv-trainer.c — the training loop; see dv-trainer.h.  Derivations and the
 * checkpoint/resume contract are in doc/training.md. */
#include "dv-trainer.h"

#include "dv-bn-calibrate.h"
#include "dv-checkpoint.h"
#include "dv-json-writer.h"
#include "dv-number.h"
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
  c->recurrence_scale = 1.0;
  c->divergence_factor = 1000;
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

/* A training run of one batch size, with its activity-loss observer and the divergence watch. */
typedef struct {
  DvRun *run;
  DvActivityLoss *activity;
  DvTrainer *trainer;
  gboolean eval;       /* a validation run: compares with the training history, adds nothing */
} Slot;

/* The running history a quantity is watched against (doc/training.md, "Divergence"): an
 * exponential mean over batches (weight 0.1 for the newest) and the first value seen, so a
 * quantity that shrank during training is still compared with its starting magnitude. */
typedef struct {
  double mean, first;
  gboolean seen;
} History;

static double
history_ref (const History *h)
{
  return MAX (h->mean, h->first);
}

static void
history_add (History *h, double v)
{
  if (!isfinite (v) || v <= 0)
    return;
  if (!h->seen)
    h->mean = h->first = v, h->seen = TRUE;
  else
    h->mean = 0.9 * h->mean + 0.1 * v;
}

/* TRUE when v exceeds factor × the history (factor 0: never). */
static gboolean
history_blew_up (const History *h, double v, double factor)
{
  return factor > 0 && h->seen && isfinite (v) && v > factor * history_ref (h);
}

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
  double part_stopped_at;     /* when the cut came (monotonic s): the pause is not training time */
  /* the divergence watch */
  History loss_hist, grad_hist;
  History *act_hist;   /* [n_layers] per-batch maximum over timesteps of mean |activity| */
  double *act_batch;   /* [n_layers] this batch's maximum so far */
  GError *trip;        /* what the observer found (stops the forward pass through the cancel hook) */
  char *last_good;     /* a checkpoint this run wrote, or NULL */
  int last_good_epoch;
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
  if (!dv_model_desc_check_size_bptt (dv_model_get_desc (model), batch, config->bptt_checkpoint, error))
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
  /* the model learns the training set's classes: checkpoints carry their names */
  DvDataset *ds = train ? dv_loader_get_dataset (train) : NULL;
  if (ds != NULL && dv_dataset_get_n_classes (ds) == dv_model_get_desc (model)->n_classes)
    {
      int K = dv_dataset_get_n_classes (ds);
      g_autofree const char **names = g_new0 (const char *, K + 1);
      for (int k = 0; k < K; k++)
        names[k] = dv_dataset_get_class_name (ds, k);
      dv_model_set_class_names (model, names);
    }
  if (config->group_factors)
    {
      dv_optim_add_lr_factor (t->optim, "recurrence", 0.2);
      dv_optim_add_lr_factor (t->optim, "feedback", 0.5);
    }
  t->slots = g_hash_table_new_full (NULL, NULL, NULL, slot_free);
  t->best = g_array_new (FALSE, FALSE, sizeof (Best));
  t->csv = g_string_new (dv_metrics_csv_header);
  int L = dv_model_get_desc (model)->n_layers;
  t->act_hist = g_new0 (History, MAX (L, 1));
  t->act_batch = g_new0 (double, MAX (L, 1));
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
  g_free (t->act_hist);
  g_free (t->act_batch);
  g_clear_error (&t->trip);
  g_free (t->last_good);
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

static gboolean
all_finite_f32 (const float *v, gint64 n)
{
  for (gint64 k = 0; k < n; k++)
    if (!isfinite (v[k]))
      return FALSE;
  return TRUE;
}

/* After each timestep: every layer's mean |activity| against its history, and (training) the
 * buffers the forward pass updates (BatchNorm running statistics).  The first blow-up is kept
 * in t->trip; the cancel hook then stops the pass at this timestep. */
static void
watch_observe (DvRun *run, const DvFrame *f, gpointer data)
{
  Slot *s = data;
  DvTrainer *t = s->trainer;
  if (s->activity)
    dv_activity_loss_observe (run, f, s->activity);
  if (t->trip != NULL || f->t < 0)
    return;
  const DvModelDesc *D = dv_model_get_desc (t->model);
  double factor = t->cfg.divergence_factor;
  for (int l = 0; l < f->n_layers; l++)
    {
      if (f->responses[l] == NULL)
        continue;
      int C, H, W;
      dv_model_layer_shape (t->model, l, &C, &H, &W);
      gsize n = (gsize) C * H * W * f->batch;
      double sum = 0;
      for (gsize i = 0; i < n; i++)
        sum += fabsf (f->responses[l][i]);
      double v = n ? sum / n : 0;
      if (history_blew_up (&t->act_hist[l], v, factor))
        {
          g_set_error (&t->trip, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                       "%sthe activity of layer %s blew up at timestep %d (%.4g ms): mean |x| %.3g is %.3g× "
                       "its running history %.3g (divergence factor %g); lower the learning rate or enable "
                       "gradient clipping", s->eval ? "in validation, " : "", D->layers[l].name, f->t,
                       f->t * D->dt, v, v / history_ref (&t->act_hist[l]), history_ref (&t->act_hist[l]),
                       factor);
          return;
        }
      if (!s->eval)
        t->act_batch[l] = MAX (t->act_batch[l], v);
    }
  if (s->eval)
    return;
  for (guint i = 0; i < dv_model_n_params (t->model); i++)
    {
      DvParam *p = dv_model_param (t->model, i);
      if (p->is_buffer && p->type == DV_PARAM_F32 && !all_finite_f32 (p->data, p->numel))
        {
          g_set_error (&t->trip, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                       "the buffer %s (running statistics, not a learnt parameter) became NaN or infinite "
                       "in the forward pass at timestep %d (%.4g ms); lower the learning rate or enable "
                       "gradient clipping", p->name, f->t, f->t * D->dt);
          return;
        }
    }
}

static gboolean
watch_cancel (gpointer data)
{
  Slot *s = data;
  return (s->trainer)->trip != NULL;
}

/* The run's error, or what the watch found when it stopped the run. */
static void
take_trip (DvTrainer *t, GError **error)
{
  if (t->trip == NULL)
    return;
  g_clear_error (error);
  g_propagate_error (error, g_steal_pointer (&t->trip));
}

static void
watch_run (Slot *s)
{
  const DvModelDesc *D = dv_model_get_desc (dv_run_get_model (s->run));
  for (int l = 0; l < D->n_layers; l++)
    dv_run_observe_layer (s->run, l, TRUE);
  dv_run_set_observer (s->run, watch_observe, s);
  dv_run_set_cancel (s->run, watch_cancel, s);
}

static Slot *
slot_for (DvTrainer *t, int B, GError **error)
{
  Slot *s = g_hash_table_lookup (t->slots, GINT_TO_POINTER (B));
  if (s == NULL)
    {
      DvRunOptions o = { .training = TRUE, .bn_train = t->cfg.bn_train, .bptt_checkpoint = t->cfg.bptt_checkpoint };
      s = g_new0 (Slot, 1);
      s->trainer = t;
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
      watch_run (s); /* after the activity loss: its observer is chained */
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

/* The first parameter or buffer whose gradient (grad = TRUE) or value is not finite, or NULL. */
static const DvParam *
first_non_finite (DvModel *m, gboolean grad)
{
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      const float *v = grad ? p->grad : (p->type == DV_PARAM_F32 ? p->data : NULL);
      if (v && !all_finite_f32 (v, p->numel))
        return p;
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

/* Labels are class indices below K, or the ignore index. */
static gboolean
check_labels (const gint64 *labels, int rows, int K, gint64 ignore, GError **error)
{
  for (int r = 0; r < rows; r++)
    if (labels[r] != ignore && (labels[r] < 0 || labels[r] >= K))
      {
        g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                     "label %" G_GINT64_FORMAT " (row %d) is not a class of the model: it has %d classes "
                     "(labels 0..%d, %" G_GINT64_FORMAT " = no label); build the model with n_classes above the largest label",
                     labels[r], r, K, K - 1, ignore);
        return FALSE;
      }
  return TRUE;
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
  if (!check_labels (labels, B * T, K, D->non_label_index, error))
    return FALSE;
  Slot *s = slot_for (t, B, error);
  if (s == NULL)
    return FALSE;
  if (s->activity)
    dv_activity_loss_reset (s->activity);
  for (int l = 0; l < D->n_layers; l++)
    t->act_batch[l] = 0;
  g_clear_error (&t->trip);
  if (!run_forward (s->run, x, seq, T, t->logits, error))
    {
      take_trip (t, error);
      g_prefix_error (error, "training stopped in epoch %d, batch %d: ", t->epoch + 1, batch_index + 1);
      return FALSE;
    }
  int nv = 0;
  double ce = dv_cross_entropy (t->dlogits, t->logits, (const int64_t *) labels, B * T, K,
                                D->non_label_index, 1.0f / MAX (t->cfg.accumulate, 1), &nv);
  double act = s->activity ? dv_activity_loss_value (s->activity) : 0.0;
  double loss = ce + t->cfg.activity.weight * act;
  if (!isfinite (loss) || history_blew_up (&t->loss_hist, loss, t->cfg.divergence_factor))
    {
      /* where the readout is largest: the timestep the loss comes from */
      int t_max = 0;
      double big = 0;
      for (gsize i = 0; i < ln; i++)
        if (!(fabsf (t->logits[i]) <= big))
          big = fabsf (t->logits[i]), t_max = (int) (i / K % T);
      if (!isfinite (loss))
        g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                     "training stopped in epoch %d, batch %d: the loss became %g (the classifier output "
                     "peaks at timestep %d, |logit| %.3g); lower the learning rate or raise tau relative to "
                     "dt", t->epoch + 1, batch_index + 1, loss, t_max, big);
      else
        g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                     "training stopped in epoch %d, batch %d: the loss blew up to %.3g, %.3g× its running "
                     "history %.3g (divergence factor %g); the classifier output peaks at timestep %d "
                     "(|logit| %.3g); lower the learning rate or enable gradient clipping", t->epoch + 1,
                     batch_index + 1, loss, loss / history_ref (&t->loss_hist), history_ref (&t->loss_hist),
                     t->cfg.divergence_factor, t_max, big);
      return FALSE;
    }
  dv_run_backward (s->run, t->dlogits, NULL);
  const DvParam *bad = first_non_finite (t->model, TRUE);
  if (bad)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                   "training stopped in epoch %d, batch %d: the gradient of parameter %s became NaN or "
                   "infinite in backpropagation through time (its forward pass over %d timesteps was "
                   "finite); lower the learning rate or enable gradient clipping", t->epoch + 1,
                   batch_index + 1, bad->name, T);
      return FALSE;
    }
  /* a good batch joins the history */
  history_add (&t->loss_hist, loss);
  for (int l = 0; l < D->n_layers; l++)
    history_add (&t->act_hist[l], t->act_batch[l]);
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
  /* numbers in C locale (the workbench runs in the user's), read back with g_ascii_strtod */
  char num[DV_NUMBER_BUF_SIZE];
  g_hash_table_insert (extra, "train.base_lr", g_strdup (dv_number_format (num, t->base_lr, 0)));
  g_hash_table_insert (extra, "train.score", g_strdup (dv_number_format (num, score_of (t, m), 0)));
  DvJsonWriter *mj = dv_json_writer_new (FALSE);
  dv_json_writer_begin_object (mj, NULL);
  dv_json_writer_double (mj, "train_loss", m->train_loss);
  dv_json_writer_double (mj, "train_accuracy", m->train_accuracy);
  dv_json_writer_double (mj, "val_loss", isnan (m->val_loss) ? -1.0 : m->val_loss);
  dv_json_writer_double (mj, "val_accuracy", isnan (m->val_accuracy) ? -1.0 : m->val_accuracy);
  g_hash_table_insert (extra, "train.metrics", dv_json_writer_free_to_string (mj));
  if (t->cfg.recurrence_scale != 1.0)
    g_hash_table_insert (extra, "train.recurrence_scale", g_strdup (dv_number_format (num, t->cfg.recurrence_scale, 0)));
  g_hash_table_insert (extra, "train.bn_mode", g_strdup (t->cfg.bn_train ? "batch" : "running"));
  if (t->cfg.bn_calibrate > 0)
    g_hash_table_insert (extra, "train.bn_calibration",
                         g_strdup_printf ("running statistics re-estimated on the stimulus steps of %d training "
                                          "batches (cumulative mean), %s", t->cfg.bn_calibrate,
                                          t->cfg.bn_train ? "after every epoch" : "before training"));
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
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (checkpoint, error); /* any format (dv-checkpoint.h) */
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

/* dv_evaluate_full; with a trainer, its validation: NaN/Inf and activity against the training
 * history (watch_observe) stop it with the layer and timestep. */
static gboolean
evaluate (DvModel *model, DvLoader *loader, int max_batches, DvEvalResult *out, DvTrainer *watch,
          GError **error)
{
  Slot eval_slot = { .trainer = watch, .eval = TRUE };
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
          if (watch != NULL)
            {
              eval_slot.run = run;
              dv_run_set_check_finite (run, TRUE);
              watch_run (&eval_slot);
            }
        }
      if (watch != NULL)
        g_clear_error (&watch->trip);
      ok = check_labels (seq->labels, seq->B * seq->T, K, D->non_label_index, error)
           && run_forward (run, NULL, seq, seq->T, lg, error);
      if (!ok)
        {
          if (watch != NULL)
            take_trip (watch, error);
          break;
        }
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
dv_evaluate_full (DvModel *model, DvLoader *loader, int max_batches, DvEvalResult *out, GError **error)
{
  return evaluate (model, loader, max_batches, out, NULL, error);
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

/* The global gradient norm (before clipping) and the trainable parameter with the largest share. */
static double
grad_norm (DvModel *m, const char **largest)
{
  double total = 0, big = -1;
  *largest = NULL;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (!p->trainable || p->grad == NULL)
        continue;
      double ss = 0;
      for (gint64 k = 0; k < p->numel; k++)
        ss += (double) p->grad[k] * p->grad[k];
      total += ss;
      if (ss > big)
        big = ss, *largest = p->name;
    }
  return sqrt (total);
}

static gboolean
optimiser_step (DvTrainer *t, int batch_index, GError **error)
{
  if (t->cfg.divergence_factor > 0)
    {
      const char *largest = NULL;
      double norm = grad_norm (t->model, &largest);
      if (history_blew_up (&t->grad_hist, norm, t->cfg.divergence_factor))
        {
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                       "training stopped in epoch %d, batch %d: the gradient norm blew up to %.3g, %.3g× its "
                       "running history %.3g (divergence factor %g), largest in parameter %s (summed over all "
                       "timesteps); lower the learning rate or enable gradient clipping", t->epoch + 1,
                       batch_index + 1, norm, norm / history_ref (&t->grad_hist), history_ref (&t->grad_hist),
                       t->cfg.divergence_factor, largest ? largest : "?");
          dv_model_zero_grad (t->model);
          return FALSE;
        }
      history_add (&t->grad_hist, norm);
    }
  if (t->cfg.clip > 0)
    dv_optim_clip_grad_norm (t->optim, t->cfg.clip);
  dv_optim_step (t->optim);
  dv_model_zero_grad (t->model);
  const DvParam *bad = first_non_finite (t->model, FALSE);
  if (bad)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                   "training stopped in epoch %d, batch %d: %s %s became NaN or infinite after an optimiser "
                   "step (its gradient was finite); lower the learning rate", t->epoch + 1, batch_index + 1,
                   bad->is_buffer ? "buffer" : "parameter", bad->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean fail (DvTrainer *t, GError **error);

gboolean
dv_trainer_step (DvTrainer *t, const float *x, const gint64 *labels, int B, int T, double *loss,
                 GError **error)
{
  g_return_val_if_fail (t->cfg.accumulate <= 1, FALSE);
  dv_optim_set_lr (t->optim, dv_schedule_lr (&t->cfg, t->base_lr, t->epoch));
  EpochSums sums = { 0 };
  if (!forward_backward (t, x, NULL, labels, B, T, 0, &sums, error) || !optimiser_step (t, 0, error))
    return fail (t, error);
  if (loss)
    *loss = sums.loss;
  return TRUE;
}

/* A divergence message ends with the checkpoint the run can go back to. */
static gboolean
fail (DvTrainer *t, GError **error)
{
  if (error == NULL || *error == NULL || !g_error_matches (*error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED))
    return FALSE;
  GError *e = *error;
  char *msg;
  if (t->last_good != NULL)
    msg = g_strdup_printf ("%s. The last good checkpoint is %s (after epoch %d); nothing was saved past "
                           "it", e->message, t->last_good, t->last_good_epoch);
  else
    msg = g_strdup_printf ("%s. No checkpoint was written (no output folder)", e->message);
  g_free (e->message);
  e->message = msg;
  return FALSE;
}

/* Before the first epoch of this trainer: the weights as they are, so a run that diverges in
 * its first epoch still has a good checkpoint to name. */
static gboolean
ensure_last_good (DvTrainer *t, GError **error)
{
  if (t->cfg.out_dir == NULL || t->last_good != NULL)
    return TRUE;
  DvEpochMetrics m = { t->epoch, NAN, NAN, NAN, NAN, NAN, 0, NAN, NAN, NAN, NAN, dv_optim_get_step (t->optim) };
  g_autofree char *path = out_path (t, "last.safetensors");
  if (!save_checkpoint (t, path, &m, error))
    return FALSE;
  t->last_good = g_steal_pointer (&path);
  t->last_good_epoch = t->epoch;
  return TRUE;
}

static gboolean
run_epoch (DvTrainer *t, GError **error);

/* The recipe's damping of an expansive initial recurrence (doc/training.md, "Why the tutorial
 * model learned poorly"). */
static void
scale_recurrence (DvModel *m, double s)
{
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (p->type != DV_PARAM_F32 || p->data == NULL || strstr (p->name, ".recurrence.") == NULL
          || !g_str_has_suffix (p->name, "weight"))
        continue;
      for (gint64 k = 0; k < p->numel; k++)
        p->data[k] = (float) (p->data[k] * s);
    }
}

gboolean
dv_trainer_run_epoch (DvTrainer *t, GError **error)
{
  g_return_val_if_fail (t->train != NULL, FALSE);
  if (!t->part && !ensure_last_good (t, error))
    return FALSE;
  return run_epoch (t, error) || fail (t, error);
}

static gboolean
run_epoch (DvTrainer *t, GError **error)
{
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
      /* the pause counts neither in the rate nor in the ETA */
      if (t->part_stopped_at > 0)
        t->t_start += g_get_monotonic_time () / 1e6 - t->part_stopped_at;
      t->part = FALSE;
    }
  else
    {
      if (t->epoch == 0 && t->cfg.recurrence_scale != 1.0)
        scale_recurrence (t->model, t->cfg.recurrence_scale);
      /* bn-mode running: the fixed statistics are those of the initial weights' stimulus steps */
      if (t->epoch == 0 && !t->cfg.bn_train && t->cfg.bn_calibrate > 0
          && !dv_bn_calibrate (t->model, t->train, 0, t->cfg.bn_calibrate, NULL, error))
        return FALSE;
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
          t->part_stopped_at = g_get_monotonic_time () / 1e6;
          t->part_seconds = t->part_stopped_at - t0;
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CANCELLED,
                       "training stopped by the user in epoch %d after batch %d of %d", t->epoch + 1,
                       batches, nb);
          return FALSE;
        }
    }
  /* bn-mode batch: the running statistics of this epoch's weights on stimulus steps only */
  if (t->cfg.bn_train && t->cfg.bn_calibrate > 0
      && !dv_bn_calibrate (t->model, t->train, t->epoch, t->cfg.bn_calibrate, NULL, error))
    return FALSE;
  t->epoch++;
  gboolean act_on = t->cfg.activity.weight > 0;
  DvEpochMetrics m = { t->epoch, lr, batches ? sums.loss / batches : NAN,
                       sums.valid ? (double) sums.correct / sums.valid : NAN, NAN, NAN, 0,
                       batches ? sums.ce / batches : NAN, act_on && batches ? sums.activity / batches : NAN,
                       NAN, NAN, dv_optim_get_step (t->optim) };
  if (t->val && t->cfg.val_every > 0 && (t->epoch % t->cfg.val_every == 0 || t->epoch == t->cfg.epochs))
    {
      DvEvalResult r;
      gboolean ok = evaluate (t->model, t->val, 0, &r, t->cfg.divergence_factor > 0 ? t : NULL, error);
      m.val_loss = r.loss;
      m.val_accuracy = r.accuracy;
      m.val_guess_confidence = r.guess_confidence;
      m.val_first_label_confidence = r.first_label_confidence;
      dv_eval_result_clear (&r);
      if (ok && (isinf (m.val_loss) || history_blew_up (&t->loss_hist, m.val_loss, t->cfg.divergence_factor)))
        {
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                       "the validation loss blew up to %.3g, %.3g× the running history of the training loss "
                       "%.3g (divergence factor %g); lower the learning rate or enable gradient clipping",
                       m.val_loss, m.val_loss / history_ref (&t->loss_hist), history_ref (&t->loss_hist),
                       t->cfg.divergence_factor);
          ok = FALSE;
        }
      if (!ok)
        {
          g_prefix_error (error, "training stopped in epoch %d, validation: ", t->epoch);
          t->epoch--; /* the epoch's weights are not kept as a finished epoch */
          return FALSE;
        }
    }
  m.seconds = g_get_monotonic_time () / 1e6 - t0;
  append_row (t, &m);
  write_metrics (t);
  if (t->cfg.out_dir)
    {
      g_autofree char *last = out_path (t, "last.safetensors");
      if (!save_checkpoint (t, last, &m, error))
        return FALSE;
      g_free (t->last_good);
      t->last_good = g_steal_pointer (&last);
      t->last_good_epoch = t->epoch;
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

gboolean
dv_model_check_data (const DvModelDesc *D, const DvDataset *ds, const char *name, GError **error)
{
  if (name == NULL)
    name = dv_dataset_get_name (ds);
  int K = dv_dataset_get_n_classes (ds), C = dv_dataset_get_channels (ds);
  int H = dv_dataset_get_height (ds), W = dv_dataset_get_width (ds);
  if (D->n_classes != K)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "model has %d classes, data set '%s' has %d: add n_classes=%d", D->n_classes, name, K, K);
      return FALSE;
    }
  gboolean convertible = (C == 1 || C == 3) && (D->in_channels == 1 || D->in_channels == 3);
  if (D->in_h != H || D->in_w != W || (D->in_channels != C && !convertible))
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "model takes %d×%d×%d input (channels×height×width), data set '%s' has %d×%d×%d images%s: "
                   "add input_dims=[%d,%d,%d,%d]", D->in_channels, D->in_h, D->in_w, name, C, H, W,
                   D->in_channels != C && !convertible ? " (only 1 and 3 channels convert into each other)" : "",
                   D->n_timesteps, convertible ? D->in_channels : C, H, W);
      return FALSE;
    }
  return TRUE;
}

static char *
names_summary (int K, const char *const *names)
{
  GString *s = g_string_new (NULL);
  for (int k = 0; k < MIN (K, 3); k++)
    g_string_append_printf (s, "%s%s", k ? ", " : "", names[k]);
  if (K > 3)
    g_string_append (s, ", …");
  return g_string_free (s, FALSE);
}

char **
dv_readout_class_names (const DvModel *m, const DvDataset *ds, const char *name, char **note)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  const char *const *own = dv_model_get_class_names (m);
  int K = D->n_classes, KD = dv_dataset_get_n_classes (ds);
  if (name == NULL)
    name = dv_dataset_get_name (ds);
  g_autofree const char **theirs = g_new0 (const char *, KD + 1);
  for (int k = 0; k < KD; k++)
    theirs[k] = dv_dataset_get_class_name (ds, k);
  gboolean foreign = K != KD;
  for (int k = 0; own != NULL && !foreign && k < K; k++)
    foreign = g_strcmp0 (own[k], theirs[k]) != 0;
  char **names = g_new0 (char *, K + 1);
  for (int k = 0; k < K; k++)
    names[k] = g_strdup (own != NULL ? own[k] : K == KD ? theirs[k] : NULL);
  /* NULL entries end a strv early: name them here */
  for (int k = 0; k < K; k++)
    if (names[k] == NULL)
      names[k] = g_strdup_printf ("class %d", k);
  if (note != NULL)
    {
      *note = NULL;
      if (foreign && own != NULL)
        {
          g_autofree char *a = names_summary (K, own), *b = names_summary (KD, theirs);
          *note = g_strdup_printf ("foreign stimuli: the model was trained on %d classes (%s), data set "
                                   "'%s' has %d (%s); its labels are not the model's", K, a, name, KD, b);
        }
      else if (foreign)
        *note = g_strdup_printf ("foreign stimuli: the model has %d classes, data set '%s' has %d; its "
                                 "labels are not the model's", K, name, KD);
    }
  return names;
}
