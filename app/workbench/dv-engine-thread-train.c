/* dv-engine-thread-train.c — the training job on the engine thread (see dv-engine-thread-train.h).
 *
 * What this is for: preparing the data (train split, seeded validation
 * split, loaders with their prefetch thread), a DvTrainer on the engine
 * thread's model, one queued engine call per epoch, the probe re-run after
 * each epoch, and handing the news to the main thread through a mutex and at
 * most one pending idle callback (the pattern the engine thread uses for
 * frames).  Pause and stop are atomic flags the trainer's cancel hook reads
 * between batches.  Also the job's small helpers: its state names, clearing
 * its news, and reading where a divergence message says the NaN appeared.
 * What this is not for: the training loop itself (train/dv-trainer.c), the
 * settings (train/dv-train-settings.c) or widgets.
 */
#include "dv-engine-thread-private.h"
#include "dv-engine-thread-train.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "dv-checkpoint.h"
#include "dv-model-edit.h"
#include "dv-ops.h"
#include "dv-plot-model.h"

struct _DvEngineTrain {
  gint ref;
  DvEngineThread *engine;      /* main thread: for Resume */
  DvTrainSettings settings;
  gint stop, pause;            /* atomic */

  /* engine thread only */
  gboolean prepared;
  DvModel *model;              /* borrowed from the engine while the trainer holds it */
  DvDataset *dataset;
  DvLoader *train, *val;
  DvTrainer *trainer;
  DvRun *probe_run;
  float *probe_x;              /* [1,T,C,H,W] */
  float *probe_row;            /* [n_layers·T] */
  float *probe_scratch;
  float *logits;               /* [T·K] */
  double last_progress;        /* s, to post at most ~10 progress updates per second */

  /* shared, under lock */
  GMutex lock;
  gboolean call_pending;
  DvTrainNews news;
  GSource *idle;
  GMainContext *context;
  DvEngineNotify notify;
  gpointer notify_data;
};

static DvEngineTrain *
job_ref (DvEngineTrain *job)
{
  g_atomic_int_inc (&job->ref);
  return job;
}

static void
release_resources (DvEngineTrain *job)
{
  g_clear_pointer (&job->trainer, dv_trainer_free);
  g_clear_pointer (&job->train, dv_loader_free);
  g_clear_pointer (&job->val, dv_loader_free);
  g_clear_pointer (&job->probe_run, dv_run_free);
  g_clear_pointer (&job->dataset, dv_dataset_unref);
  job->model = NULL;
}

static void
job_unref (gpointer data)
{
  DvEngineTrain *job = data;
  if (!g_atomic_int_dec_and_test (&job->ref))
    return;
  release_resources (job);
  g_free (job->probe_x);
  g_free (job->probe_row);
  g_free (job->probe_scratch);
  g_free (job->logits);
  dv_train_settings_clear (&job->settings);
  dv_train_news_clear (&job->news);
  g_main_context_unref (job->context);
  g_mutex_clear (&job->lock);
  g_free (job);
}

/* ---- news for the main thread --------------------------------------------------------- */

static gboolean
idle_cb (gpointer data)
{
  DvEngineTrain *job = data;
  dv_source_dispatched ();
  dv_mutex_lock (&job->lock);
  g_clear_pointer (&job->idle, g_source_unref);
  DvEngineNotify notify = job->notify;
  gpointer notify_data = job->notify_data;
  dv_mutex_unlock (&job->lock);
  if (notify != NULL)
    notify (notify_data);
  return G_SOURCE_REMOVE;
}

/* Under lock: at most one pending callback. */
static void
schedule_locked (DvEngineTrain *job)
{
  if (job->idle != NULL || job->notify == NULL)
    return;
  job->idle = g_idle_source_new ();
  g_source_set_priority (job->idle, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (job->idle, idle_cb, job_ref (job), job_unref);
  dv_source_attach (job->idle, job->context);
}

static void
set_state (DvEngineTrain *job, DvTrainState state, const char *message)
{
  dv_mutex_lock (&job->lock);
  job->news.state = state;
  g_free (job->news.message);
  job->news.message = g_strdup (message);
  schedule_locked (job);
  dv_mutex_unlock (&job->lock);
}

/* ---- the probe ------------------------------------------------------------------------ */

static void
probe_observer (DvRun *run, const DvFrame *frame, gpointer user_data)
{
  DvEngineTrain *job = user_data;
  int T = job->news.T;
  if (frame->t < 0 || frame->t >= T)
    return;
  for (int l = 0; l < frame->n_layers && l < job->news.n_layers; l++)
    {
      float *dst = &job->probe_row[(gsize) l * T + frame->t];
      if (!frame->present[l] || frame->responses[l] == NULL)
        {
          *dst = NAN;
          continue;
        }
      int C, H, W;
      dv_model_layer_shape (dv_run_get_model (run), l, &C, &H, &W);
      gsize n = (gsize) C * H * W;
      dv_frame_copy_response (dv_run_get_model (run), frame, l, job->probe_scratch);
      double sum = 0;
      for (gsize i = 0; i < n; i++)
        sum += fabsf (job->probe_scratch[i]);
      *dst = (float) (sum / n);
    }
}

/* One row of the heatmap for `epoch`: the probe in eval mode. */
static gboolean
run_probe (DvEngineTrain *job, int epoch, GError **error)
{
  int T = job->news.T, L = job->news.n_layers, K = job->news.n_classes;
  for (gsize i = 0; i < (gsize) L * T; i++)
    job->probe_row[i] = NAN;
  dv_run_reset (job->probe_run);
  if (!dv_run_forward (job->probe_run, job->probe_x, T, job->logits, error))
    return FALSE;
  dv_mutex_lock (&job->lock);
  g_array_append_vals (job->news.dyn_values, job->probe_row, (guint) (L * T));
  g_array_append_val (job->news.dyn_epochs, epoch);
  memcpy (job->news.probe_logits, job->logits, sizeof (float) * T * K);
  schedule_locked (job);
  dv_mutex_unlock (&job->lock);
  return TRUE;
}

/* The live sequence starts again with the weights as they are now and is
 * computed to its end, so the views show the network of this epoch. */
static void
refresh_live (DvEngineThread *self)
{
  dv_engine_thread_restart_sequence (self);
  dv_engine_thread_compute_now (self, G_MAXINT);
}

/* ---- trainer callbacks (engine thread) ------------------------------------------------- */

static void
on_progress (const DvTrainProgress *p, gpointer user_data)
{
  DvEngineTrain *job = user_data;
  double now = g_get_monotonic_time () / 1e6;
  if (p->batch < p->n_batches && now - job->last_progress < 0.1)
    return;
  job->last_progress = now;
  dv_mutex_lock (&job->lock);
  job->news.progress = *p;
  job->news.has_progress = TRUE;
  schedule_locked (job);
  dv_mutex_unlock (&job->lock);
}

static char *
newest_best (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *best = NULL;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "best-epoch") && g_str_has_suffix (name, ".safetensors")
        && (best == NULL || strcmp (name, best) > 0))
      {
        g_free (best);
        best = g_strdup (name);
      }
  char *path = best ? g_build_filename (dir, best, NULL) : NULL;
  g_free (best);
  return path;
}

static void
on_epoch (const DvEpochMetrics *m, gpointer user_data)
{
  DvEngineTrain *job = user_data;
  dv_mutex_lock (&job->lock);
  g_array_append_val (job->news.metrics, *m);
  g_free (job->news.best_path);
  job->news.best_path = newest_best (job->news.run_dir);
  g_free (job->news.last_path);
  job->news.last_path = g_build_filename (job->news.run_dir, "last.safetensors", NULL);
  schedule_locked (job);
  dv_mutex_unlock (&job->lock);
}

static gboolean
cancel_cb (gpointer user_data)
{
  DvEngineTrain *job = user_data;
  return g_atomic_int_get (&job->stop) || g_atomic_int_get (&job->pause);
}

/* ---- preparing (engine thread) -------------------------------------------------------- */

static gboolean
prepare_data (DvEngineTrain *job, DvModel *model, GError **error)
{
  const DvTrainSettings *s = &job->settings;
  const DvModelDesc *D = dv_model_get_desc (model);
  DvDatasetOptions o = { .height = D->in_h, .width = D->in_w };
  job->dataset = dv_dataset_open_full (s->data, DV_SPLIT_TRAIN, &o, error);
  if (job->dataset == NULL)
    return FALSE;
  if (!dv_model_check_data (D, job->dataset, s->data, error))
    return FALSE;
  DvPresentation pr;
  if (!dv_train_presentation (&pr, model, NULL, error))
    return FALSE;
  int *tr = NULL, *va = NULL, n_tr = 0, n_va = 0;
  dv_split_indices (dv_dataset_get_n (job->dataset), 1.0 - s->val_fraction, (guint64) s->seed, &tr, &n_tr,
                    &va, &n_va);
  if (s->train_samples > 0 && s->train_samples < n_tr)
    {
      n_va = MIN (n_va, MAX (s->train_samples / 9, 1));
      n_tr = s->train_samples;
    }
  DvLoaderConfig tc, vc;
  dv_loader_config_init_train (&tc);
  tc.batch_size = s->batch;
  tc.augment = s->augment;
  tc.seed = (guint64) s->seed;
  tc.channels = D->in_channels;
  dv_loader_config_init (&vc);
  vc.batch_size = s->batch;
  vc.order = DV_ORDER_SEQUENTIAL;
  vc.channels = D->in_channels;
  vc.prefetch = 0;
  job->train = dv_loader_new (job->dataset, tr, n_tr, &tc, &pr, error);
  if (job->train != NULL && n_va > 0)
    job->val = dv_loader_new (job->dataset, va, n_va, &vc, &pr, error);
  g_free (tr);
  g_free (va);
  return job->train != NULL && (n_va == 0 || job->val != NULL);
}

static void model_release (DvEngineThread *self, gpointer data);

static gboolean
prepare (DvEngineThread *self, DvEngineTrain *job, GError **error)
{
  DvModel *model = self->model;
  const DvModelDesc *D = dv_model_get_desc (model);
  g_autoptr (GPtrArray) warnings = dv_model_desc_warnings (D);
  dv_mutex_lock (&job->lock);
  if (warnings != NULL && warnings->len > 0)
    {
      g_ptr_array_add (warnings, NULL);
      job->news.warnings = g_strdupv ((char **) warnings->pdata);
      g_ptr_array_set_size (warnings, warnings->len - 1);
    }
  dv_mutex_unlock (&job->lock);
  if (self->seq == NULL)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "there is no stimulus to probe the network with; choose a stimulus first");
      return FALSE;
    }
  /* the model as it is now, before the data set configures it (n_residual_timesteps) and the
   * run trains it, so that the window can go back to it whatever the run does (the trainer's
   * last.safetensors moves on with every epoch) */
  g_autofree char *start = g_build_filename (job->news.run_dir, "start.safetensors", NULL);
  if (g_mkdir_with_parents (job->news.run_dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create the run folder %s: %s",
                   job->news.run_dir, g_strerror (errno));
      return FALSE;
    }
  if (!dv_checkpoint_save (model, start, NULL, error))
    return FALSE;
  dv_mutex_lock (&job->lock);
  job->news.start_path = g_steal_pointer (&start);
  dv_mutex_unlock (&job->lock);
  if (!prepare_data (job, model, error))
    return FALSE;

  /* the same configuration `dynvision train` builds from the same settings */
  DvTrainConfig cfg;
  dv_train_settings_to_config (&job->settings, &cfg);
  cfg.out_dir = g_strdup (job->news.run_dir);
  job->trainer = dv_trainer_new (model, job->train, job->val, &cfg, error);
  dv_train_config_clear (&cfg);
  if (job->trainer == NULL)
    return FALSE;
  dv_trainer_set_progress (job->trainer, on_progress, on_epoch, job);
  dv_trainer_set_cancel (job->trainer, cancel_cb, job);

  /* the probe: the live stimulus at the start, in eval mode */
  const DvSequence *seq = self->seq;
  int T = seq->T, L = D->n_layers, K = D->n_classes;
  gsize max_layer = 1;
  for (int l = 0; l < L; l++)
    {
      int C, H, W;
      dv_model_layer_shape (model, l, &C, &H, &W);
      max_layer = MAX (max_layer, (gsize) C * H * W);
    }
  job->probe_x = g_new (float, (gsize) T * seq->C * seq->H * seq->W);
  dv_sequence_materialize (seq, job->probe_x);
  job->probe_row = g_new (float, (gsize) MAX (L, 1) * T);
  job->probe_scratch = g_new (float, max_layer);
  job->logits = g_new0 (float, (gsize) T * K);
  DvRunOptions opt = { .record_all = TRUE }; /* eval mode; every layer reaches the observer */
  job->probe_run = dv_run_new (model, 1, &opt);
  dv_run_set_observer (job->probe_run, probe_observer, job);
  job->model = model;

  dv_mutex_lock (&job->lock);
  DvTrainNews *n = &job->news;
  n->n_layers = L;
  n->T = T;
  n->dt = D->dt;
  n->n_classes = K;
  n->layer_names = g_new0 (char *, L + 1);
  for (int l = 0; l < L; l++)
    n->layer_names[l] = g_strdup (D->layers[l].name);
  n->flags = g_new0 (guint8, T);
  for (int t = 0; t < T; t++)
    n->flags[t] = (seq->schedule[t].kind == DV_FRAME_STIMULUS ? DV_PLOT_STEP_STIMULUS : 0)
                  | (seq->labels[t] >= 0 ? DV_PLOT_STEP_LABELLED : 0);
  n->probe_caption = g_strdup_printf ("%s #%d", dv_dataset_get_name (self->dataset), self->sample);
  n->probe_logits = g_new0 (float, (gsize) T * K);
  dv_mutex_unlock (&job->lock);

  dv_engine_thread_weights_changed (self, "trained in this workbench session (the training panel's "
                                    "run; not saved unless exported)");
  /* the trainer borrows the model: let go of it before it is replaced */
  self->model_release = model_release;
  self->model_release_data = job_ref (job);
  return run_probe (job, 0, error);
}

/* ---- the epochs (engine thread) -------------------------------------------------------- */

static void
finish (DvEngineThread *self, DvEngineTrain *job, DvTrainState state, const char *message)
{
  if (self->model_release_data == job)
    {
      self->model_release = NULL;
      self->model_release_data = NULL;
      job_unref (job);
    }
  release_resources (job);
  set_state (job, state, message);
}

static void
model_release (DvEngineThread *self, gpointer data)
{
  DvEngineTrain *job = data;
  int done = job->trainer ? dv_trainer_get_epoch (job->trainer) : 0;
  release_resources (job);
  g_autofree char *msg = g_strdup_printf (_("Training stopped: the model was replaced after %d "
                                          "finished epoch%s. The checkpoints stay in %s."), done,
                                          done == 1 ? "" : "s", job->news.run_dir);
  set_state (job, DV_TRAIN_STOPPED, msg);
  job_unref (job);
}

static void train_call (DvEngineThread *self, gpointer data);

static void
queue_next (DvEngineThread *self, DvEngineTrain *job)
{
  dv_mutex_lock (&job->lock);
  job->call_pending = TRUE;
  dv_mutex_unlock (&job->lock);
  dv_engine_thread_call (self, train_call, job_ref (job), job_unref, FALSE);
}

static void
train_call (DvEngineThread *self, gpointer data)
{
  DvEngineTrain *job = data;
  g_autoptr (GError) error = NULL;
  dv_mutex_lock (&job->lock);
  job->call_pending = FALSE;
  DvTrainState state = job->news.state;
  dv_mutex_unlock (&job->lock);
  if (state == DV_TRAIN_DONE || state == DV_TRAIN_STOPPED || state == DV_TRAIN_FAILED)
    return;
  if (!job->prepared)
    {
      job->prepared = TRUE;
      if (!prepare (self, job, &error))
        {
          g_autofree char *msg = g_strdup_printf (_("Cannot train: %s"), error->message);
          finish (self, job, DV_TRAIN_FAILED, msg);
          return;
        }
    }
  if (job->trainer == NULL || job->model != self->model)
    return; /* the model was replaced: model_release said so */
  if (g_atomic_int_get (&job->stop))
    {
      finish (self, job, DV_TRAIN_STOPPED, "Training stopped.");
      return;
    }
  if (g_atomic_int_get (&job->pause))
    {
      set_state (job, DV_TRAIN_PAUSED, "Paused: the live view shows the weights as they are.");
      return;
    }
  set_state (job, DV_TRAIN_RUNNING, NULL);
  /* An epoch uses every core; the live view between epochs (batch 1) one. */
  const int live_threads = dv_get_num_threads ();
  dv_set_num_threads (dv_train_settings_threads (&job->settings));
  gboolean ok = dv_trainer_run_epoch (job->trainer, &error);
  int epoch = dv_trainer_get_epoch (job->trainer);
  if (ok && !run_probe (job, epoch, &error))
    ok = FALSE;
  dv_set_num_threads (live_threads);
  if (!ok && g_error_matches (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CANCELLED))
    {
      refresh_live (self);
      if (g_atomic_int_get (&job->stop))
        {
          g_autofree char *msg = g_strdup_printf (_("Training stopped after %d finished epoch%s."),
                                                  epoch, epoch == 1 ? "" : "s");
          finish (self, job, DV_TRAIN_STOPPED, msg);
        }
      else
        {
          dv_mutex_lock (&job->lock);
          gboolean resumed = !g_atomic_int_get (&job->pause);
          dv_mutex_unlock (&job->lock);
          if (resumed)
            queue_next (self, job);
          else
            set_state (job, DV_TRAIN_PAUSED, "Paused during an epoch: Resume continues at its "
                                             "next batch.");
        }
      return;
    }
  if (!ok)
    {
      char *layer = NULL;
      int t = -1;
      if (dv_train_parse_divergence (error->message, &layer, &t))
        {
          dv_mutex_lock (&job->lock);
          g_free (job->news.nan_layer);
          job->news.nan_layer = layer;
          job->news.nan_step = t;
          dv_mutex_unlock (&job->lock);
        }
      /* the trainer's message names the last good checkpoint (it writes one before epoch 1) */
      g_autofree char *msg = g_strdup_printf (_("Training failed: %s."), error->message);
      refresh_live (self);
      finish (self, job, DV_TRAIN_FAILED, msg);
      return;
    }
  refresh_live (self);
  if (epoch >= job->settings.epochs)
    {
      g_autofree char *msg = g_strdup_printf (_("Training finished: %d epoch%s. Checkpoints in %s."),
                                              epoch, epoch == 1 ? "" : "s", job->news.run_dir);
      finish (self, job, DV_TRAIN_DONE, msg);
    }
  else
    queue_next (self, job);
}

/* ---- helpers ------------------------------------------------------------------------- */

/* The engine says "the activity of layer NAME became NaN or infinite at
 * timestep T (…)" or "the classifier output became NaN or infinite at
 * timestep T" (engine/dv-run.c); the trainer prefixes the epoch and batch. */
gboolean
dv_train_parse_divergence (const char *message, char **layer, int *timestep)
{
  g_return_val_if_fail (layer != NULL && timestep != NULL, FALSE);
  *layer = NULL;
  *timestep = -1;
  if (message == NULL)
    return FALSE;
  /* "the activity of layer NAME became NaN or infinite at timestep T", "… NAME blew up at
   * timestep T", "the classifier output became NaN or infinite at timestep T" */
  static const char *const verbs[] = { " became NaN or infinite at timestep ", " blew up at timestep " };
  const char *at = NULL, *num = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (verbs) && at == NULL; i++)
    if ((at = strstr (message, verbs[i])) != NULL)
      num = at + strlen (verbs[i]);
  if (at == NULL)
    return FALSE;
  char *end = NULL;
  long t = strtol (num, &end, 10);
  if (end == num || t < 0)
    return FALSE;
  const char *of = g_strrstr_len (message, at - message, "the activity of layer ");
  if (of != NULL)
    {
      const char *name = of + strlen ("the activity of layer ");
      *layer = g_strndup (name, at - name);
    }
  else if (g_strrstr_len (message, at - message, "the classifier output") != NULL)
    *layer = g_strdup ("classifier");
  else
    return FALSE;
  *timestep = (int) t;
  return TRUE;
}

const char *
dv_train_state_name (DvTrainState state)
{
  static const char *const names[] = { "preparing", "running", "paused", "done", "stopped",
                                       "failed" };
  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

void
dv_train_news_clear (DvTrainNews *n)
{
  g_clear_pointer (&n->message, g_free);
  g_clear_pointer (&n->run_dir, g_free);
  g_clear_pointer (&n->best_path, g_free);
  g_clear_pointer (&n->last_path, g_free);
  g_clear_pointer (&n->start_path, g_free);
  g_clear_pointer (&n->warnings, g_strfreev);
  g_clear_pointer (&n->metrics, g_array_unref);
  g_clear_pointer (&n->layer_names, g_strfreev);
  g_clear_pointer (&n->flags, g_free);
  g_clear_pointer (&n->probe_caption, g_free);
  g_clear_pointer (&n->dyn_values, g_array_unref);
  g_clear_pointer (&n->dyn_epochs, g_array_unref);
  g_clear_pointer (&n->probe_logits, g_free);
  g_clear_pointer (&n->nan_layer, g_free);
}

/* ---- main thread ------------------------------------------------------------------------ */

DvEngineTrain *
dv_engine_train_start (DvEngineThread *engine, const DvTrainSettings *settings, const char *run_dir,
                       DvEngineNotify notify, gpointer user_data)
{
  g_return_val_if_fail (engine != NULL && settings != NULL && run_dir != NULL, NULL);
  DvEngineTrain *job = g_new0 (DvEngineTrain, 1);
  job->ref = 1;
  job->engine = engine;
  dv_train_settings_copy (&job->settings, settings);
  g_mutex_init (&job->lock);
  job->context = g_main_context_ref_thread_default ();
  job->notify = notify;
  job->notify_data = user_data;
  job->news.state = DV_TRAIN_PREPARING;
  job->news.run_dir = g_strdup (run_dir);
  job->news.epochs = settings->epochs;
  job->news.nan_step = -1;
  job->news.metrics = g_array_new (FALSE, FALSE, sizeof (DvEpochMetrics));
  job->news.dyn_values = g_array_new (FALSE, FALSE, sizeof (float));
  job->news.dyn_epochs = g_array_new (FALSE, FALSE, sizeof (int));
  job->call_pending = TRUE;
  dv_engine_thread_call (engine, train_call, job_ref (job), job_unref, TRUE);
  return job;
}

void
dv_engine_train_pause (DvEngineTrain *job)
{
  g_return_if_fail (job != NULL);
  g_atomic_int_set (&job->pause, 1);
}

void
dv_engine_train_resume (DvEngineTrain *job)
{
  g_return_if_fail (job != NULL);
  dv_mutex_lock (&job->lock);
  g_atomic_int_set (&job->pause, 0);
  gboolean queue = !job->call_pending && job->news.state == DV_TRAIN_PAUSED;
  if (queue)
    {
      job->call_pending = TRUE;
      job->news.state = DV_TRAIN_RUNNING;
    }
  dv_mutex_unlock (&job->lock);
  if (queue)
    dv_engine_thread_call (job->engine, train_call, job_ref (job), job_unref, FALSE);
}

void
dv_engine_train_stop (DvEngineTrain *job)
{
  g_return_if_fail (job != NULL);
  g_atomic_int_set (&job->stop, 1);
  /* a paused run has no call pending: one more call ends it on the engine thread */
  dv_mutex_lock (&job->lock);
  gboolean queue = !job->call_pending && job->news.state == DV_TRAIN_PAUSED;
  if (queue)
    job->call_pending = TRUE;
  dv_mutex_unlock (&job->lock);
  if (queue)
    dv_engine_thread_call (job->engine, train_call, job_ref (job), job_unref, FALSE);
}

static GArray *
array_copy (GArray *a)
{
  GArray *c = g_array_sized_new (FALSE, FALSE, g_array_get_element_size (a), a->len);
  g_array_append_vals (c, a->data, a->len);
  return c;
}

void
dv_engine_train_get_news (DvEngineTrain *job, DvTrainNews *out)
{
  g_return_if_fail (job != NULL && out != NULL);
  dv_mutex_lock (&job->lock);
  const DvTrainNews *n = &job->news;
  *out = *n;
  out->message = g_strdup (n->message);
  out->run_dir = g_strdup (n->run_dir);
  out->best_path = g_strdup (n->best_path);
  out->last_path = g_strdup (n->last_path);
  out->start_path = g_strdup (n->start_path);
  out->warnings = g_strdupv (n->warnings);
  out->metrics = array_copy (n->metrics);
  out->layer_names = g_strdupv (n->layer_names);
  out->flags = n->flags ? g_memdup2 (n->flags, n->T) : NULL;
  out->probe_caption = g_strdup (n->probe_caption);
  out->dyn_values = array_copy (n->dyn_values);
  out->dyn_epochs = array_copy (n->dyn_epochs);
  out->probe_logits = n->probe_logits ? g_memdup2 (n->probe_logits,
                                                   sizeof (float) * n->T * n->n_classes) : NULL;
  out->nan_layer = g_strdup (n->nan_layer);
  dv_mutex_unlock (&job->lock);
}

void
dv_engine_train_free (DvEngineTrain *job)
{
  if (job == NULL)
    return;
  g_atomic_int_set (&job->stop, 1);
  dv_mutex_lock (&job->lock);
  job->notify = NULL;
  if (job->idle != NULL)
    {
      g_source_destroy (job->idle);
      g_clear_pointer (&job->idle, g_source_unref);
    }
  dv_mutex_unlock (&job->lock);
  job_unref (job);
}
