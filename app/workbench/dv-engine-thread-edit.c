/* dv-engine-thread-edit.c — the architecture editor's commands on the
 * engine thread (see dv-engine-thread-edit.h): applying an edited
 * description (dv_model_apply_desc: soft in place, or a rebuild keeping
 * the learnt values the edit did not redefine, or a preset built with fresh
 * weights), soft and full resets. */
#include "dv-engine-thread-edit.h"

#include <glib/gi18n-lib.h>
#include "dv-engine-thread-private.h"

typedef enum { JOB_APPLY, JOB_APPLY_FRESH, JOB_SOFT_RESET, JOB_FULL_RESET, JOB_DESCRIBE } JobKind;

typedef struct {
  JobKind kind;
  DvModelDesc *desc;        /* JOB_APPLY, JOB_APPLY_FRESH */
  guint64 seed;             /* JOB_APPLY_FRESH, JOB_FULL_RESET */
  DvEditDone done;
  gpointer user_data;
  GDestroyNotify destroy;
  GMainContext *context;
  GThread *ui_thread;       /* the thread that queued the job: `done` runs there */
  DvEditResult result;
} Job;

static void
job_free (Job *job)
{
  dv_model_desc_free (job->desc);
  g_free (job->result.message);
  dv_transfer_report_clear (&job->result.report);
  dv_model_desc_free (job->result.desc);
  if (job->destroy)
    job->destroy (job->user_data);
  if (job->context)
    g_main_context_unref (job->context);
  g_free (job);
}

static gboolean
deliver (gpointer data)
{
  Job *job = data;
  g_assert (g_thread_self () == job->ui_thread);
  if (job->done)
    job->done (&job->result, job->user_data);
  return G_SOURCE_REMOVE;
}

/* Engine thread: hands the job back to the main context, always through its
 * loop (g_main_context_invoke would run `done` right here, on the engine
 * thread, whenever the main thread is not iterating the context). */
static void
answer (DvEngineThread *self, Job *job)
{
  job->result.desc = dv_model_desc_copy (dv_model_get_desc (self->model));
  dv_main_context_post (job->context, G_PRIORITY_DEFAULT, deliver, job, (GDestroyNotify) job_free);
}

static void
set_label (DvEngineThread *self, const char *what)
{
  const char *cls = dv_model_get_desc (self->model)->model_class;
  g_free (self->model_label);
  self->model_label = g_strdup_printf ("%s (%s)", cls, what);
}

static void
apply (DvEngineThread *self, Job *job)
{
  DvEditResult *r = &job->result;
  g_autoptr (GError) error = NULL;
  double dt = dv_model_get_desc (self->model)->dt;
  gboolean rebuilt = FALSE;
  DvModel *model = dv_model_apply_desc (self->model, job->desc, 0, &rebuilt, &r->report, &error);
  if (model == NULL)
    {
      r->message = g_strdup_printf ("%s, nothing changed: %s",
                                    dv_model_desc_needs_rebuild (dv_model_get_desc (self->model), job->desc)
                                    ? "The model could not be built" : "The change was not applied",
                                    error->message);
      return;
    }
  r->ok = TRUE;
  r->rebuilt = rebuilt;
  guint changed = dv_transfer_report_count (&r->report, DV_TRANSFER_CHANGED, FALSE)
                  + dv_transfer_report_count (&r->report, DV_TRANSFER_CHANGED, TRUE);
  if (!rebuilt)
    {
      gboolean new_dt = dv_model_get_desc (self->model)->dt != dt;
      r->message = g_strdup_printf (_("Applied without a rebuild (soft change): every weight kept, "
                                    "%u tensor%s set from the description%s."), changed, changed == 1 ? "" : "s",
                                    new_dt ? "; the new dt starts the sequence again"
                                           : "; the sequence goes on with the new values");
      dv_engine_thread_weights_changed (self, "edited in the Architecture page (applied without a rebuild)");
      if (new_dt)
        dv_engine_thread_restart_sequence (self);
      return;
    }
  r->message = g_strdup_printf (_("Rebuilt the model: %u parameters kept, %u re-initialised, %u changed by "
                                "the edit, %u dropped."),
                                dv_transfer_report_count (&r->report, DV_TRANSFER_KEPT, FALSE),
                                dv_transfer_report_count (&r->report, DV_TRANSFER_REINITIALISED, FALSE),
                                dv_transfer_report_count (&r->report, DV_TRANSFER_CHANGED, FALSE),
                                dv_transfer_report_count (&r->report, DV_TRANSFER_DROPPED, FALSE));
  const char *cls = dv_model_get_desc (model)->model_class;
  g_autofree char *label = g_strdup_printf ("%s (edited)", cls);
  DvProvenance *prov = dv_provenance_copy (self->provenance);
  dv_provenance_set_weights_changed (prov, "edited in the Architecture page (the model rebuilt; its "
                                     "parameters kept where their shapes allowed)");
  dv_engine_thread_replace_model_with (self, model, label, self->preset, prov);
}

/* A preset (Use Preset) built anew: every weight from the seed, none of the running model's. */
static void
apply_fresh (DvEngineThread *self, Job *job)
{
  DvEditResult *r = &job->result;
  g_autoptr (GError) error = NULL;
  DvModel *model = dv_model_new (job->desc, &error);
  if (model == NULL)
    {
      r->message = g_strdup_printf (_("The model could not be built, nothing changed: %s"), error->message);
      return;
    }
  dv_model_init_params (model, job->seed);
  r->ok = TRUE;
  r->rebuilt = TRUE;
  const char *cls = dv_model_get_desc (model)->model_class;
  r->message = g_strdup_printf (_("Built %s with fresh weights, seed %" G_GUINT64_FORMAT ": none of "
                                "the previous model's weights were kept (tick “Keep matching "
                                "weights” before Apply to keep those whose name and shape match)."),
                                cls, job->seed);
  g_autofree char *label = g_strdup_printf ("%s (fresh weights, seed %" G_GUINT64_FORMAT ")", cls,
                                            job->seed);
  DvProvenance *prov = dv_provenance_new ("dynvision-workbench");
  dv_provenance_set_fresh (prov, job->seed);
  dv_engine_thread_replace_model_with (self, model, label, TRUE, prov);
}

/* What the engine thread owns: the job until it is handed back. */
typedef struct {
  Job *job;
} Slot;

static void
run_job (DvEngineThread *self, gpointer data)
{
  Slot *slot = data;
  Job *job = g_steal_pointer (&slot->job);
  switch (job->kind)
    {
    case JOB_APPLY:
      apply (self, job);
      break;
    case JOB_APPLY_FRESH:
      apply_fresh (self, job);
      break;
    case JOB_SOFT_RESET:
      job->result.ok = TRUE;
      job->result.message = g_strdup (_("Soft reset: the state was cleared and the stimulus starts "
                                      "again; every weight kept."));
      dv_engine_thread_restart_sequence (self);
      break;
    case JOB_FULL_RESET:
      job->result.ok = TRUE;
      job->result.message = g_strdup_printf ("Full reset: every weight was re-initialised "
                                             "(seed %" G_GUINT64_FORMAT ") and the stimulus "
                                             "starts again.", job->seed);
      dv_model_init_params (self->model, job->seed);
      dv_provenance_set_fresh (self->provenance, job->seed);
      {
        g_autofree char *label = g_strdup_printf ("fresh weights, seed %" G_GUINT64_FORMAT,
                                                  job->seed);
        set_label (self, label);
      }
      dv_engine_thread_restart_sequence (self);
      break;
    case JOB_DESCRIBE:
      job->result.ok = TRUE;
      break;
    }
  /* the job now belongs to the main context */
  answer (self, job);
}

/* dv_engine_thread_call's destroy: frees the job only when the thread
 * stopped before it ran (run_job hands it to the main context otherwise). */
static void
slot_free (gpointer data)
{
  Slot *slot = data;
  if (slot->job != NULL)
    job_free (slot->job);
  g_free (slot);
}

static void
queue (DvEngineThread *self, JobKind kind, const DvModelDesc *desc, guint64 seed, DvEditDone done,
       gpointer user_data, GDestroyNotify destroy)
{
  Job *job = g_new0 (Job, 1);
  job->kind = kind;
  job->desc = desc ? dv_model_desc_copy (desc) : NULL;
  job->seed = seed;
  job->done = done;
  job->user_data = user_data;
  job->destroy = destroy;
  job->context = g_main_context_ref (self->context);
  job->ui_thread = g_thread_self ();
  Slot *slot = g_new0 (Slot, 1);
  slot->job = job;
  dv_engine_thread_call (self, run_job, slot, slot_free, kind != JOB_DESCRIBE);
}

void
dv_engine_thread_apply_desc (DvEngineThread *self, const DvModelDesc *desc, DvEditDone done,
                             gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (self != NULL && desc != NULL);
  queue (self, JOB_APPLY, desc, 0, done, user_data, destroy);
}

void
dv_engine_thread_apply_desc_fresh (DvEngineThread *self, const DvModelDesc *desc, guint64 seed,
                                   DvEditDone done, gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (self != NULL && desc != NULL);
  queue (self, JOB_APPLY_FRESH, desc, seed, done, user_data, destroy);
}

void
dv_engine_thread_reset_model (DvEngineThread *self, gboolean full, guint64 seed, DvEditDone done,
                              gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (self != NULL);
  queue (self, full ? JOB_FULL_RESET : JOB_SOFT_RESET, NULL, seed, done, user_data, destroy);
}

void
dv_engine_thread_describe (DvEngineThread *self, DvEditDone done, gpointer user_data,
                           GDestroyNotify destroy)
{
  g_return_if_fail (self != NULL);
  queue (self, JOB_DESCRIBE, NULL, 0, done, user_data, destroy);
}
