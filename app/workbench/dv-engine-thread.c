/* dv-engine-thread.c — the worker that runs the model for the workbench.
 *
 * What this is for: the command loop, building sequences from the data set
 * and the presentation, stepping the DvRun with an observer that copies the
 * frame, and handing frames to the main thread through a mutex-protected
 * DvHistory plus at most one pending idle callback (see the header).
 * What this is not for: widgets; the main thread's copy of the history.
 */
#include "dv-value.h"
#include "dv-engine-thread-private.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "dv-checkpoint.h"
#include "dv-plot-model.h"
#include "dv-trainer.h"

static void
cmd_free (Cmd *c)
{
  g_free (c->key);
  g_free (c->model_spec);
  g_strfreev (c->assignments);
  if (c->dataset != NULL)
    dv_dataset_unref (c->dataset);
  if (c->call_destroy != NULL)
    c->call_destroy (c->call_data);
  g_free (c);
}

/* Takes c; interrupt: the command supersedes the step being computed. */
static void
push_cmd (DvEngineThread *self, Cmd *c, gboolean interrupt)
{
  if (interrupt)
    g_atomic_int_set (&self->interrupt, 1);
  dv_async_queue_push (self->queue, c);
}

static void
push (DvEngineThread *self, CmdKind kind, int arg, const char *key, gboolean interrupt)
{
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = kind;
  c->arg = arg;
  c->key = g_strdup (key);
  push_cmd (self, c, interrupt);
}

/* ---- talking to the main thread ------------------------------------------------------ */

/* dv_main_context_post's callback, wrapped so that TSan sees the hand-off. */
typedef struct {
  GSourceFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Post;

static gboolean
post_dispatch (gpointer data)
{
  Post *p = data;
  dv_source_dispatched ();
  return p->func (p->data);
}

static void
post_free (gpointer data)
{
  Post *p = data;
  if (p->destroy != NULL)
    p->destroy (p->data);
  g_free (p);
}

void
dv_main_context_post (GMainContext *context, int priority, GSourceFunc func, gpointer data,
                      GDestroyNotify destroy)
{
  g_return_if_fail (func != NULL);
  Post *p = g_new (Post, 1);
  *p = (Post) { func, data, destroy };
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, priority);
  g_source_set_callback (source, post_dispatch, p, post_free);
  g_source_set_static_name (source, "dv-main-context-post");
  dv_source_attach (source, context ? context : g_main_context_default ());
  g_source_unref (source);
}

static gboolean
idle_cb (gpointer data)
{
  DvEngineThread *self = data;
  dv_source_dispatched ();
  g_assert (g_thread_self () == self->ui_thread);
  dv_mutex_lock (&self->lock);
  g_clear_pointer (&self->idle, g_source_unref);
  self->notified = TRUE;
  dv_mutex_unlock (&self->lock);
  self->notify (self->notify_data);
  return G_SOURCE_REMOVE;
}

/* Under lock: one pending callback at most, and none between a callback and
 * the sync that takes its news in (a fast model would otherwise wake the main
 * thread after every step while it waits for its next frame to sync). */
static void
schedule_locked (DvEngineThread *self)
{
  if (self->idle != NULL || self->notified)
    return;
  self->idle = g_idle_source_new ();
  /* below GDK's redraw (G_PRIORITY_HIGH_IDLE + 20): when the main thread
   * takes longer over the news than the engine over a step, a callback is
   * always pending, and at a higher priority it would starve the frames */
  g_source_set_priority (self->idle, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->idle, idle_cb, self, NULL);
  dv_source_attach (self->idle, self->context);
}

void
dv_engine_thread_report (DvEngineThread *self, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  dv_mutex_lock (&self->lock);
  g_ptr_array_add (self->errors, msg);
  schedule_locked (self);
  dv_mutex_unlock (&self->lock);
}

void
dv_engine_thread_note (DvEngineThread *self, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  dv_mutex_lock (&self->lock);
  g_ptr_array_add (self->notes, msg);
  schedule_locked (self);
  dv_mutex_unlock (&self->lock);
}

char **
dv_engine_thread_take_notes (DvEngineThread *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  char **notes = NULL;
  dv_mutex_lock (&self->lock);
  if (self->notes->len > 0)
    {
      g_ptr_array_add (self->notes, NULL);
      notes = (char **) g_ptr_array_steal (self->notes, NULL);
    }
  dv_mutex_unlock (&self->lock);
  return notes;
}

/* ---- the model's side ------------------------------------------------------------------ */

static void
observer (DvRun *run, const DvFrame *frame, gpointer user_data)
{
  DvEngineThread *self = user_data;
  if (frame->t < 0)
    return; /* idle warm-up steps are not part of the sequence */
  const DvHistory *h = self->history; /* layout only: written by this thread */
  for (int l = 0; l < frame->n_layers && l < h->n_layers; l++)
    {
      const DvHistoryLayer *L = &h->layers[l];
      gsize n = (gsize) L->C * L->H * L->W;
      float *dst = self->maps + L->offset;
      self->present[l] = frame->present[l] && frame->responses[l] != NULL;
      if (!self->present[l])
        {
          memset (dst, 0, n * sizeof (float));
          self->means[l] = NAN;
          continue;
        }
      /* batch 1: the engine's CNHW layout is CHW */
      dv_frame_copy_response (dv_run_get_model (run), frame, l, dst);
      double sum = 0;
      for (gsize i = 0; i < n; i++)
        sum += fabsf (dst[i]);
      self->means[l] = (float) (sum / n);
    }
}

static gboolean
cancel_cb (gpointer user_data)
{
  DvEngineThread *self = user_data;
  return g_atomic_int_get (&self->interrupt) != 0;
}

static void
free_run (DvEngineThread *self)
{
  g_clear_pointer (&self->run, dv_run_free);
  g_clear_pointer (&self->frame, g_free);
  g_clear_pointer (&self->logits, g_free);
  g_clear_pointer (&self->means, g_free);
  g_clear_pointer (&self->maps, g_free);
  g_clear_pointer (&self->present, g_free);
}

static gboolean
make_run (DvEngineThread *self)
{
  free_run (self);
  const DvModelDesc *D = dv_model_get_desc (self->model);
  DvRunOptions opt = { .record_all = TRUE };
  self->run = dv_run_new (self->model, 1, &opt);
  if (self->run == NULL)
    return FALSE;
  dv_run_set_observer (self->run, observer, self);
  dv_run_set_cancel (self->run, cancel_cb, self);
  gsize maps = 0;
  for (int l = 0; l < D->n_layers; l++)
    {
      int C, H, W;
      dv_model_layer_shape (self->model, l, &C, &H, &W);
      maps += (gsize) C * H * W;
    }
  self->frame = g_new0 (float, (gsize) D->in_channels * D->in_h * D->in_w);
  self->logits = g_new0 (float, D->n_classes);
  self->means = g_new0 (float, MAX (D->n_layers, 1));
  self->maps = g_new0 (float, MAX (maps, 1));
  self->present = g_new0 (guint8, MAX (D->n_layers, 1));
  return TRUE;
}

static char *
presentation_summary (const DvPresentation *p, int T)
{
  GString *s = g_string_new (dv_loader_kind_to_string (p->loader));
  if (p->intro_duration > 0)
    g_string_append_printf (s, " · intro %d", p->intro_duration);
  if (p->stimulus_duration >= 0)
    g_string_append_printf (s, " · stimulus %d", p->stimulus_duration);
  if (p->loader == DV_LOADER_INTERVAL)
    g_string_append_printf (s, " · interval %d", p->interval_duration);
  if (p->loader == DV_LOADER_CONTRAST)
    g_string_append_printf (s, " · contrast %g", p->stimulus_contrast);
  if (p->loader == DV_LOADER_NOISE)
    g_string_append_printf (s, " · %s noise, ssnr %g", dv_noise_type_to_string (p->noise.type),
                            p->noise.ssnr);
  g_string_append_printf (s, " · T %d steps", T);
  return g_string_free (s, FALSE);
}

/* Sample i of the data set as the model's input [C,H,W]: grey repeated to
 * RGB (or RGB averaged to grey) by the data set, then centred: a smaller
 * image sits on a blank of 0 (the mean colour, like DynVision's blank
 * frames), a larger one is centre-cropped.  Returns how it was fitted, or
 * NULL when the sizes agree. */
static char *
model_input (DvDataset *ds, int i, int C, int H, int W, float *out)
{
  int h = dv_dataset_get_height (ds), w = dv_dataset_get_width (ds);
  if (h == H && w == W)
    {
      dv_dataset_get_image (ds, i, C, out);
      return NULL;
    }
  g_autofree float *img = g_new (float, (gsize) C * h * w);
  dv_dataset_get_image (ds, i, C, img);
  memset (out, 0, (gsize) C * H * W * sizeof (float));
  int dy = (H - h) / 2, dx = (W - w) / 2; /* where the image's (0, 0) lands */
  for (int c = 0; c < C; c++)
    for (int y = MAX (0, dy); y < MIN (H, h + dy); y++)
      for (int x = MAX (0, dx); x < MIN (W, w + dx); x++)
        out[((gsize) c * H + y) * W + x] = img[((gsize) c * h + y - dy) * w + x - dx];
  if (h <= H && w <= W)
    return g_strdup_printf ("%d×%d stimuli centred on a %d×%d blank", h, w, H, W);
  return g_strdup_printf ("%d×%d stimuli centre-cropped to %d×%d", h, w, H, W);
}

/* A new sequence for self->sample: build it, reset the run and describe it
 * in the shared history. */
static void
new_sequence (DvEngineThread *self)
{
  const DvModelDesc *D = dv_model_get_desc (self->model);
  DvDataset *ds = self->dataset;
  int n = dv_dataset_get_n (ds);
  self->sample = ((self->sample % n) + n) % n;
  self->target = -1;
  self->head = -1;
  g_clear_pointer (&self->seq, dv_sequence_free);

  int C = D->in_channels, H = D->in_h, W = D->in_w;
  g_autofree float *img = g_new (float, (gsize) C * H * W);
  g_autofree char *fit = model_input (ds, self->sample, C, H, W, img);
  int cls = dv_dataset_get_label (ds, self->sample);
  DvPresentation p = self->presentation;
  p.dt = D->dt;
  /* as DynVision's test and evaluation present it (SPEC 1.7): the steps the input needs to
   * reach the readout are appended as blank frames, and the labels shifted by as many, so
   * the readout is judged where the loss would judge it */
  p.n_residual_timesteps = dv_model_residual_timesteps (self->model);
  g_autoptr (GError) error = NULL;
  self->seq = dv_presentation_build (&p, img, &cls, 1, C, H, W, (guint64) self->sample, &error);
  if (self->seq == NULL)
    {
      dv_engine_thread_report (self, "Cannot present the stimulus: %s", error->message);
      return;
    }
  if (self->seq->T > DV_HISTORY_MAX_STEPS)
    {
      dv_engine_thread_report (self, "The presentation has %d timesteps; the workbench shows at "
                               "most %d.", self->seq->T, DV_HISTORY_MAX_STEPS);
      g_clear_pointer (&self->seq, dv_sequence_free);
      return;
    }
  dv_run_reset (self->run);

  int L = D->n_layers;
  const char *names[MAX (L, 1)];
  int shapes[3 * MAX (L, 1)];
  for (int l = 0; l < L; l++)
    {
      names[l] = D->layers[l].name;
      dv_model_layer_shape (self->model, l, &shapes[3 * l], &shapes[3 * l + 1], &shapes[3 * l + 2]);
    }
  /* the readout names the MODEL's classes; stimuli of other classes are marked foreign */
  char *note = NULL;
  g_auto (GStrv) classes = dv_readout_class_names (self->model, ds, self->dataset_spec, &note);
  float mean[3], std[3];
  dv_dataset_get_stats (ds, mean, std);
  int ds_c = dv_dataset_get_channels (ds);

  dv_mutex_lock (&self->lock);
  DvHistory *h = self->history;
  dv_history_configure (h, self->seq->T, D->dt, L, names, shapes, D->n_classes,
                        (const char *const *) classes, C, H, W);
  for (int c = 0; c < MIN (C, 3); c++)
    {
      /* grey data sets feed every model channel the same normalised value */
      h->in_mean[c] = mean[c < ds_c ? c : 0];
      h->in_std[c] = std[c < ds_c ? c : 0];
    }
  for (int t = 0; t < self->seq->T; t++)
    {
      const DvScheduleEntry *e = &self->seq->schedule[t];
      guint8 f = 0;
      if (e->kind == DV_FRAME_STIMULUS)
        f |= DV_PLOT_STEP_STIMULUS;
      if (e->ssnr < 1)
        f |= DV_PLOT_STEP_NOISE;
      if (self->seq->labels[t] >= 0)
        f |= DV_PLOT_STEP_LABELLED;
      h->flags[t] = f;
      h->contrast[t] = e->contrast;
    }
  h->label = cls;
  g_free (h->label_name);
  h->label_name = cls >= 0 && cls < dv_dataset_get_n_classes (ds) ? g_strdup (dv_dataset_get_class_name (ds, cls))
                                                                   : NULL;
  g_free (h->readout_note);
  h->readout_note = note;
  h->sample = self->sample;
  h->n_samples = n;
  g_free (h->caption);
  h->caption = g_strdup_printf ("%s #%d", dv_dataset_get_name (ds), self->sample);
  g_free (h->model_label);
  h->model_label = g_strdup (self->model_label);
  g_free (h->presentation);
  h->presentation = presentation_summary (&p, self->seq->T);
  g_free (h->presentation_params);
  h->presentation_params = dv_presentation_to_string (&p);
  g_free (h->dataset);
  h->dataset = g_strdup (self->dataset_spec);
  g_free (h->fit);
  h->fit = g_steal_pointer (&fit);
  dv_provenance_free (h->provenance);
  h->provenance = dv_provenance_copy (self->provenance);
  g_free (h->provenance->model_class);
  h->provenance->model_class = g_strdup (D->model_class);
  g_free (h->provenance->dataset);
  h->provenance->dataset = g_strdup (self->dataset_spec);
  h->provenance->sample = self->sample;
  h->provenance->has_seed = TRUE;
  h->provenance->seed = (guint64) self->sample;   /* the seed dv_presentation_build got */
  g_free (h->provenance->presentation);
  h->provenance->presentation = g_strdup (h->presentation_params);
  schedule_locked (self);
  dv_mutex_unlock (&self->lock);
  if (self->autoadvance)
    self->target = self->seq->T - 1;
}

static void
do_step (DvEngineThread *self)
{
  int t = self->head + 1;
  if (self->seq == NULL || t >= self->seq->T)
    {
      self->target = self->head;
      return;
    }
  dv_sequence_frame (self->seq, t, self->frame);
  g_autoptr (GError) error = NULL;
  /* a cancelled step has completed (the engine polls between timesteps):
   * keep it, the command that cancelled it is next in the queue */
  if (!dv_run_step (self->run, self->frame, self->logits, &error)
      && !g_error_matches (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CANCELLED))
    {
      dv_engine_thread_report (self, "Timestep %d failed: %s", t, error->message);
      self->target = self->head;
      return;
    }
  self->head = t;
  dv_mutex_lock (&self->lock);
  self->steps_computed++;
  dv_history_record (self->history, t, self->means, self->logits, self->frame, self->maps,
                     self->present);
  schedule_locked (self);
  dv_mutex_unlock (&self->lock);
  if (self->autoadvance && t == self->seq->T - 1)
    {
      self->sample++;
      new_sequence (self);
    }
}

/* "seed=N" re-initialises a preset's weights; the rest are presentation
 * settings, applied together with dv_presentation_parse (a loader= entry
 * first, resetting the others to that loader's DynVision defaults) and
 * validated once. */
static void
set_params (DvEngineThread *self, char **assignments)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rest = g_ptr_array_new ();
  const char *seed = NULL;
  for (int i = 0; assignments[i] != NULL; i++)
    if (g_str_has_prefix (assignments[i], "seed="))
      seed = assignments[i] + strlen ("seed=");
    else
      g_ptr_array_add (rest, assignments[i]);
  g_ptr_array_add (rest, NULL);

  DvPresentation p = self->presentation, used;
  if (dv_presentation_parse (&p, (const char *const *) rest->pdata, &error))
    {
      used = p;
      used.dt = dv_model_get_desc (self->model)->dt; /* as new_sequence() presents it */
    }
  if (error != NULL || !dv_presentation_validate (&p, &error)
      || !dv_presentation_check_applied (&used, (const char *const *) rest->pdata,
                                         "the model (Architecture editor)", &error))
    {
      g_autofree char *what = g_strjoinv (" ", (char **) rest->pdata);
      dv_engine_thread_report (self, "Cannot set %s: %s", what, error->message);
      return;
    }
  if (seed != NULL && !self->preset)
    {
      dv_engine_thread_report (self, "“seed” re-initialises a preset's weights; this model came "
                               "from a checkpoint.");
      return;
    }
  gint64 seed_value = 0;
  if (seed != NULL && !dv_value_parse_int ("seed", seed, 0, G_MAXINT64, &seed_value, &error))
    {
      dv_engine_thread_report (self, "Cannot set %s", error->message);
      return;
    }
  if (seed != NULL)
    {
      guint64 value = (guint64) seed_value;
      dv_model_init_params (self->model, value);
      const char *paren = strrchr (self->model_label, '(');
      g_autofree char *base = paren ? g_strndup (self->model_label, paren - self->model_label)
                                    : g_strdup (self->model_label);
      g_free (self->model_label);
      self->model_label = g_strdup_printf ("%s(fresh weights, seed %" G_GUINT64_FORMAT ")", base, value);
      dv_provenance_set_fresh (self->provenance, value);
    }
  self->presentation = p;
  new_sequence (self);
}

static void
set_dataset (DvEngineThread *self, DvDataset *dataset, const char *spec)
{
  if (dv_dataset_get_n (dataset) == 0)
    {
      dv_engine_thread_report (self, "The data set “%s” has no samples.", spec);
      return;
    }
  g_clear_pointer (&self->dataset, dv_dataset_unref);
  self->dataset = dv_dataset_ref (dataset);
  g_free (self->dataset_spec);
  self->dataset_spec = g_strdup (spec);
  self->sample = 0;
  new_sequence (self);
}

static void
load_checkpoint (DvEngineThread *self, const char *path, const char *model_spec)
{
  g_autoptr (GError) error = NULL;
  DvLoadReport rep = { 0 };
  g_autofree char *label = NULL;
  gboolean fresh = FALSE;
  g_autofree char *how = NULL;
  DvModel *model = dv_workbench_load_model_as (path, model_spec, &rep, &label, &fresh, &how, &error);
  if (model == NULL)
    {
      dv_engine_thread_report (self, "Cannot open the %s: %s",
                               g_str_has_suffix (path, ".json") ? "model description" : "checkpoint",
                               error->message);
      dv_load_report_clear (&rep);
      return;
    }
  g_autofree char *names = dv_load_report_describe (&rep, 8);
  if (how != NULL)
    dv_engine_thread_note (self, "%s%s%s", how, names ? "\n" : "", names ? names : "");
  else if (names != NULL)
    {
      g_autofree char *base = g_path_get_basename (path);
      dv_engine_thread_note (self, "%s: %s", base, names);
    }
  dv_load_report_clear (&rep);
  dv_engine_thread_replace_model_with (self, model, label, fresh,
                                       dv_workbench_weights_provenance (path, fresh, FALSE));
}

static void
release_model (DvEngineThread *self)
{
  DvEngineCall release = self->model_release;
  self->model_release = NULL;
  if (release != NULL)
    release (self, self->model_release_data);
}

void
dv_engine_thread_replace_model (DvEngineThread *self, DvModel *model, const char *label,
                                gboolean preset)
{
  dv_engine_thread_replace_model_with (self, model, label, preset, NULL);
}

void
dv_engine_thread_replace_model_with (DvEngineThread *self, DvModel *model, const char *label,
                                     gboolean preset, DvProvenance *provenance)
{
  if (provenance == NULL)
    {
      provenance = dv_provenance_new ("dynvision-workbench");
      g_autofree char *what = g_strdup_printf ("replaced by %s", label);
      dv_provenance_set_weights_changed (provenance, what);
    }
  dv_provenance_free (self->provenance);
  self->provenance = provenance;
  release_model (self);
  free_run (self);
  dv_model_free (self->model);
  self->model = model;
  self->preset = preset;
  g_free (self->model_label);
  self->model_label = g_strdup (label);
  make_run (self);
  new_sequence (self);
}

void
dv_engine_thread_weights_changed (DvEngineThread *self, const char *what)
{
  dv_provenance_set_weights_changed (self->provenance, what);
  dv_mutex_lock (&self->lock);
  if (self->history->provenance != NULL)
    {
      dv_provenance_set_weights_changed (self->history->provenance, what);
      self->history->provenance_serial++;
    }
  dv_mutex_unlock (&self->lock);
}

void
dv_engine_thread_restart_sequence (DvEngineThread *self)
{
  new_sequence (self);
}

void
dv_engine_thread_compute_now (DvEngineThread *self, int upto)
{
  if (self->seq == NULL)
    return;
  self->target = MIN (upto, self->seq->T - 1);
  while (self->seq != NULL && self->head < self->target)
    do_step (self);
}

static gpointer
thread_main (gpointer data)
{
  DvEngineThread *self = data;
  dv_mutex_lock (&self->lock);
  self->has_cpu_clock = pthread_getcpuclockid (pthread_self (), &self->cpu_clock) == 0;
  dv_mutex_unlock (&self->lock);
  new_sequence (self);
  for (;;)
    {
      gboolean busy = self->seq != NULL && self->target > self->head;
      Cmd *c = busy ? dv_async_queue_try_pop (self->queue) : dv_async_queue_pop (self->queue);
      if (c == NULL)
        {
          do_step (self);
          continue;
        }
      g_atomic_int_set (&self->interrupt, 0);
      CmdKind kind = c->kind;
      switch (kind)
        {
        case CMD_COMPUTE:
          /* running flat out, nothing stops short of the end */
          if (!self->autoadvance)
            self->target = c->arg < 0 ? self->head : c->arg;
          break;
        case CMD_STEP:
          self->target = MAX (self->target, self->head + 1);
          break;
        case CMD_SELECT:
          self->sample = c->arg;
          new_sequence (self);
          break;
        case CMD_SET_PARAMS:
          set_params (self, c->assignments);
          break;
        case CMD_SET_DATASET:
          set_dataset (self, c->dataset, c->key);
          break;
        case CMD_LOAD:
          load_checkpoint (self, c->key, c->model_spec);
          break;
        case CMD_AUTOADVANCE:
          self->autoadvance = c->arg != 0;
          if (self->autoadvance && self->seq != NULL)
            self->target = self->seq->T - 1;
          break;
        case CMD_CALL:
          c->call (self, c->call_data);
          break;
        case CMD_STOP:
          break;
        }
      cmd_free (c);
      if (kind == CMD_STOP)
        break;
    }
  return NULL;
}

/* ---- public ------------------------------------------------------------------------ */

DvEngineThread *
dv_engine_thread_new (DvEngineSetup *setup, GMainContext *context, DvEngineNotify notify,
                      gpointer user_data)
{
  g_return_val_if_fail (setup != NULL && setup->model != NULL && setup->dataset != NULL, NULL);
  g_return_val_if_fail (notify != NULL, NULL);
  DvEngineThread *self = g_new0 (DvEngineThread, 1);
  self->queue = g_async_queue_new_full ((GDestroyNotify) cmd_free);
  self->model = setup->model;
  self->model_label = setup->model_label;
  self->provenance = setup->provenance ? setup->provenance : dv_provenance_new ("dynvision-workbench");
  setup->provenance = NULL;
  self->preset = setup->preset;
  self->dataset = dv_dataset_ref (setup->dataset);
  self->dataset_spec = g_strdup (setup->dataset_spec ? setup->dataset_spec
                                                     : dv_dataset_get_name (setup->dataset));
  self->presentation = setup->presentation;
  self->sample = setup->sample;
  self->target = -1;
  self->head = -1;
  setup->model = NULL;
  setup->model_label = NULL;
  g_mutex_init (&self->lock);
  self->history = dv_history_new ();
  if (setup->history_budget > 0)
    dv_history_set_budget (self->history, setup->history_budget);
  self->errors = g_ptr_array_new_with_free_func (g_free);
  self->notes = g_ptr_array_new_with_free_func (g_free);
  self->context = g_main_context_ref (context ? context : g_main_context_default ());
  self->ui_thread = g_thread_self ();
  self->notify = notify;
  self->notify_data = user_data;
  make_run (self);
  self->thread = g_thread_new ("dv-engine", thread_main, self);
  return self;
}

void
dv_engine_thread_free (DvEngineThread *self)
{
  if (self == NULL)
    return;
  push (self, CMD_STOP, 0, NULL, TRUE);
  g_thread_join (self->thread);
  dv_mutex_lock (&self->lock);
  if (self->idle != NULL)
    {
      g_source_destroy (self->idle);
      g_clear_pointer (&self->idle, g_source_unref);
    }
  dv_mutex_unlock (&self->lock);
  Cmd *left;
  while ((left = dv_async_queue_try_pop (self->queue)) != NULL)
    cmd_free (left); /* queued after the stop: their data still needs freeing */
  g_async_queue_unref (self->queue);
  release_model (self); /* the thread has ended: nothing else uses the model */
  free_run (self);
  dv_model_free (self->model);
  dv_sequence_free (self->seq);
  dv_dataset_unref (self->dataset);
  g_free (self->dataset_spec);
  dv_history_free (self->history);
  g_ptr_array_unref (self->errors);
  g_ptr_array_unref (self->notes);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self->model_label);
  dv_provenance_free (self->provenance);
  g_free (self);
}

void
dv_engine_thread_compute (DvEngineThread *self, int upto)
{
  g_return_if_fail (self != NULL);
  push (self, CMD_COMPUTE, upto, NULL, FALSE);
}

void
dv_engine_thread_step (DvEngineThread *self)
{
  g_return_if_fail (self != NULL);
  push (self, CMD_STEP, 0, NULL, FALSE);
}

void
dv_engine_thread_select_sample (DvEngineThread *self, int sample)
{
  g_return_if_fail (self != NULL);
  push (self, CMD_SELECT, sample, NULL, TRUE);
}

void
dv_engine_thread_set_param (DvEngineThread *self, const char *key, const char *value)
{
  g_return_if_fail (self != NULL && key != NULL && value != NULL);
  g_autofree char *a = g_strdup_printf ("%s=%s", key, value);
  const char *const assignments[] = { a, NULL };
  dv_engine_thread_set_params (self, assignments);
}

void
dv_engine_thread_set_params (DvEngineThread *self, const char *const *assignments)
{
  g_return_if_fail (self != NULL && assignments != NULL);
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = CMD_SET_PARAMS;
  c->assignments = g_strdupv ((char **) assignments);
  push_cmd (self, c, TRUE);
}

void
dv_engine_thread_set_dataset (DvEngineThread *self, DvDataset *dataset, const char *spec)
{
  g_return_if_fail (self != NULL && dataset != NULL && spec != NULL);
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = CMD_SET_DATASET;
  c->dataset = dv_dataset_ref (dataset);
  c->key = g_strdup (spec);
  push_cmd (self, c, TRUE);
}

void
dv_engine_thread_load_checkpoint (DvEngineThread *self, const char *path)
{
  g_return_if_fail (self != NULL && path != NULL);
  push (self, CMD_LOAD, 0, path, TRUE);
}

void
dv_engine_thread_load_checkpoint_as (DvEngineThread *self, const char *path, const char *model_spec)
{
  g_return_if_fail (self != NULL && path != NULL);
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = CMD_LOAD;
  c->key = g_strdup (path);
  c->model_spec = g_strdup (model_spec);
  push_cmd (self, c, TRUE);
}

void
dv_engine_thread_call (DvEngineThread *self, DvEngineCall func, gpointer data,
                       GDestroyNotify destroy, gboolean interrupt)
{
  g_return_if_fail (self != NULL && func != NULL);
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = CMD_CALL;
  c->call = func;
  c->call_data = data;
  c->call_destroy = destroy;
  push_cmd (self, c, interrupt);
}

void
dv_engine_thread_set_autoadvance (DvEngineThread *self, gboolean autoadvance)
{
  g_return_if_fail (self != NULL);
  push (self, CMD_AUTOADVANCE, autoadvance, NULL, FALSE);
}

guint64
dv_engine_thread_get_steps_computed (DvEngineThread *self)
{
  g_return_val_if_fail (self != NULL, 0);
  dv_mutex_lock (&self->lock);
  guint64 n = self->steps_computed;
  dv_mutex_unlock (&self->lock);
  return n;
}

double
dv_engine_thread_get_cpu_seconds (DvEngineThread *self)
{
  g_return_val_if_fail (self != NULL, -1);
  struct timespec ts;
  dv_mutex_lock (&self->lock);
  gboolean ok = self->has_cpu_clock && clock_gettime (self->cpu_clock, &ts) == 0;
  dv_mutex_unlock (&self->lock);
  return ok ? ts.tv_sec + ts.tv_nsec * 1e-9 : -1;
}

gboolean
dv_engine_thread_sync (DvEngineThread *self, DvHistory *dst, gboolean *new_sequence_out,
                       char ***errors)
{
  g_return_val_if_fail (self != NULL && dst != NULL, FALSE);
  dv_mutex_lock (&self->lock);
  gboolean changed = dv_history_sync (dst, self->history, new_sequence_out);
  self->notified = FALSE;
  if (errors != NULL)
    *errors = NULL;
  if (errors != NULL && self->errors->len > 0)
    {
      g_ptr_array_add (self->errors, NULL);
      *errors = (char **) g_ptr_array_steal (self->errors, NULL);
    }
  else
    g_ptr_array_set_size (self->errors, 0);
  dv_mutex_unlock (&self->lock);
  return changed;
}
