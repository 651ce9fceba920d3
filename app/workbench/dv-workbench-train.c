/* dv-workbench-train.c — training, checkpoints and projects of one session
 * (see dv-workbench-train.h).
 *
 * What this is for: the run folder, starting/pausing/stopping a
 * DvEngineTrain and passing its news to the window; exporting the model as
 * it is (an engine call: the engine thread owns the model); saving a project
 * (the weights beside it, the description, stimulus, training settings,
 * view layout and what the training panel shows of its last run) and opening
 * one (model, weights, data set, presentation and sample in one engine call,
 * then the layout and the saved run once the new sequence is there).
 * What this is not for: the training loop or widgets.
 */
#include "dv-workbench-train.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include <glib/gstdio.h>

#include "dv-checkpoint.h"
#include "dv-export-dynvision.h"
#include "dv-engine-thread-private.h"
#include "dv-engine-thread-train.h"
#include "dv-project.h"
#include "dv-ui.h"
#include "dv-wb-window-train.h"

struct _DvWorkbenchTrain {
  DvWbWindow *window;
  DvEngineThread *engine;
  DvEngineTrain *job;
  char **pending_layout;       /* applied when the opened project's sequence arrives */
  DvProjectRun *pending_run;   /* shown in the panel then, when the project opened */
  char *pending_path;          /* that project */
  char *restored_said;         /* what the panel says of the run a project restored, and */
  char *restored_message;      /* what that run's own message was (saved again as it was) */
  guint pending_seq;
  guint layout_source;
  gint64 layout_deadline;
};

G_STATIC_ASSERT ((int) DV_WB_TRAIN_FAILED == (int) DV_TRAIN_FAILED);

char *
dv_workbench_runs_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "dynvision", "runs", NULL);
}

static char *
new_run_dir (void)
{
  g_autofree char *base = dv_workbench_runs_dir ();
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  for (int i = 1;; i++)
    {
      g_autofree char *name = i == 1 ? g_strdup (stamp) : g_strdup_printf ("%s-%d", stamp, i);
      char *dir = g_build_filename (base, name, NULL);
      if (!g_file_test (dir, G_FILE_TEST_EXISTS))
        return dir;
      g_free (dir);
    }
}

/* ---- training news -> window ---------------------------------------------------------- */

static void
on_train_news (gpointer user_data)
{
  DvWorkbenchTrain *wt = user_data;
  if (wt->job == NULL)
    return;
  DvTrainNews n;
  dv_engine_train_get_news (wt->job, &n);
  int nd = n.metrics->len;
  g_autofree double *v = g_new0 (double, 4 * (gsize) MAX (nd, 1));
  for (int i = 0; i < nd; i++)
    {
      const DvEpochMetrics *m = &g_array_index (n.metrics, DvEpochMetrics, i);
      v[i] = m->train_loss;
      v[nd + i] = m->val_loss;
      v[2 * nd + i] = m->train_accuracy;
      v[3 * nd + i] = m->val_accuracy;
    }
  DvWbTrainView view = {
    .state = (DvWbTrainState) n.state,
    .message = n.message,
    .run_dir = n.run_dir,
    .best_path = n.best_path,
    .last_path = n.last_path,
    .start_path = n.start_path,
    .warnings = (const char *const *) n.warnings,
    .has_progress = n.has_progress,
    .epoch = n.progress.epoch,
    .epochs = n.epochs,
    .batch = n.progress.batch,
    .n_batches = n.progress.n_batches,
    .loss = n.progress.loss,
    .accuracy = n.progress.accuracy,
    .samples_per_s = n.progress.samples_per_s,
    .eta_s = n.progress.eta_s,
    .n_done = nd,
    .train_loss = v,
    .val_loss = v + nd,
    .train_accuracy = v + 2 * nd,
    .val_accuracy = v + 3 * nd,
    .n_rows = n.dyn_epochs->len,
    .n_layers = n.n_layers,
    .T = n.T,
    .dt = n.dt,
    .dyn_values = (const float *) n.dyn_values->data,
    .dyn_epochs = (const int *) n.dyn_epochs->data,
    .layer_names = (const char *const *) n.layer_names,
    .flags = n.flags,
    .probe_caption = n.probe_caption,
    .nan_layer = n.nan_layer,
    .nan_step = n.nan_step,
  };
  dv_training_panel_update (dv_wb_window_get_training_panel (wt->window), &view);
  dv_train_news_clear (&n);
}

static void
on_train_start (DvTrainingPanel *panel, const char *const *settings, DvWorkbenchTrain *wt)
{
  DvWbWindow *window = wt->window;
  DvTrainSettings s;
  dv_train_settings_init_defaults (&s);
  g_autoptr (GError) error = NULL;
  if (!dv_train_settings_parse (&s, settings, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot train: %s"), error->message);
      dv_wb_window_show_error (window, msg);
      dv_train_settings_clear (&s);
      return;
    }
  g_clear_pointer (&wt->job, dv_engine_train_free);
  g_autofree char *dir = new_run_dir ();
  wt->job = dv_engine_train_start (wt->engine, &s, dir, on_train_news, wt);
  dv_train_settings_clear (&s);
  on_train_news (wt);
}

static void
on_train_control (DvTrainingPanel *panel, const char *what, DvWorkbenchTrain *wt)
{
  if (wt->job == NULL)
    return;
  if (g_str_equal (what, "pause"))
    dv_engine_train_pause (wt->job);
  else if (g_str_equal (what, "resume"))
    dv_engine_train_resume (wt->job);
  else if (g_str_equal (what, "stop"))
    dv_engine_train_stop (wt->job);
}

/* ---- results of engine calls -> window --------------------------------------------------- */

typedef struct {
  GWeakRef window;
  char *status;
} Note;

static gboolean
note_cb (gpointer data)
{
  Note *n = data;
  g_assert (dv_ui_is_ui_thread ());
  g_autoptr (DvWbWindow) w = g_weak_ref_get (&n->window);
  if (w != NULL)
    dv_live_page_set_status (dv_wb_window_get_live_page (w), n->status);
  return G_SOURCE_REMOVE;
}

static void
note_free (gpointer data)
{
  Note *n = data;
  g_weak_ref_clear (&n->window);
  g_free (n->status);
  g_free (n);
}

/* Engine thread: a line for the window's status (not an error). */
static void
post_note (DvWbWindow *window, char *status)
{
  Note *n = g_new0 (Note, 1);
  g_weak_ref_init (&n->window, window);
  n->status = status;
  dv_main_context_post (NULL, G_PRIORITY_DEFAULT_IDLE, note_cb, n, note_free);
}

/* ---- export checkpoint (engine thread) ------------------------------------------------ */

typedef struct {
  DvWbWindow *window;   /* only for post_note's weak reference */
  char *path;
  char *project;        /* save-project: the JSON path; NULL for a plain export */
  char **training, **layout;
  DvProjectRun *run;    /* save-project: the training panel's last run, or NULL */
} SaveData;

static void
save_data_free (gpointer data)
{
  SaveData *d = data;
  g_free (d->path);
  g_free (d->project);
  g_strfreev (d->training);
  g_strfreev (d->layout);
  dv_project_run_free (d->run);
  g_free (d);
}

static void
export_call (DvEngineThread *self, gpointer data)
{
  SaveData *d = data;
  g_autoptr (GError) error = NULL;
  if (!dv_checkpoint_save (self->model, d->path, NULL, &error))
    {
      dv_engine_thread_report (self, "Cannot export the checkpoint %s: %s; choose a folder you can "
                               "write to (nothing was overwritten)", d->path, error->message);
      return;
    }
  if (d->project == NULL)
    {
      post_note (d->window, g_strdup_printf (_("Checkpoint exported to %s (%s); `dynvision run "
                                             "--checkpoint` and PyTorch read it."), d->path,
                                             self->model_label));
      return;
    }
  g_autoptr (DvProject) p = dv_project_new ();
  p->desc = dv_model_desc_copy (dv_model_get_desc (self->model));
  p->weights = g_strdup (d->path);
  const char *seed = strstr (self->model_label, "seed ");
  p->seed = seed ? g_ascii_strtoull (seed + 5, NULL, 10) : 0;
  g_free (p->dataset);
  p->dataset = g_strdup (self->dataset_spec);
  p->sample = self->sample;
  p->presentation = dv_presentation_to_string (&self->presentation);
  p->training = g_strdupv (d->training);
  p->view = g_strdupv (d->layout);
  p->run = g_steal_pointer (&d->run);
  if (!dv_project_save (p, d->project, &error))
    dv_engine_thread_report (self, "%s", error->message);
  else
    post_note (d->window, g_strdup_printf (_("Project saved to %s (weights: %s)."), d->project, d->path));
}

/* ---- export for DynVision (engine thread) --------------------------------------------- */

static void
export_dynvision_call (DvEngineThread *self, gpointer data)
{
  SaveData *d = data;
  g_autoptr (GError) error = NULL;
  if (!dv_export_dynvision (self->model, d->path, &error))
    {
      dv_engine_thread_report (self, "Cannot export %s for DynVision: %s", self->model_label, error->message);
      return;
    }
  post_note (d->window, g_strdup_printf (_("Exported for DynVision to %s: model.py and weights.pt (%s); model.py "
                                         "says how to train it there and bring it back."), d->path,
                                         self->model_label));
}

static void
on_export_dynvision (DvWbWindow *window, const char *dir, DvWorkbenchTrain *wt)
{
  SaveData *d = g_new0 (SaveData, 1);
  d->window = window;
  d->path = g_strdup (dir);
  dv_engine_thread_call (wt->engine, export_dynvision_call, d, save_data_free, FALSE);
}

static void
on_export_checkpoint (DvWbWindow *window, const char *path, DvWorkbenchTrain *wt)
{
  SaveData *d = g_new0 (SaveData, 1);
  d->window = window;
  d->path = g_strdup (path);
  dv_engine_thread_call (wt->engine, export_call, d, save_data_free, FALSE);
}

/* ---- the training panel's run <-> a project's "run" ---------------------------------------- */

static const char *const state_names[] = { "preparing", "running", "paused", "finished",
                                           "stopped", "failed" };
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == DV_WB_TRAIN_IDLE);

static double *
dup_doubles (const double *v, int n)
{
  return n > 0 ? g_memdup2 (v, sizeof (double) * n) : NULL;
}

/* What the panel shows of its last run, or NULL (no run shown). */
static DvProjectRun *
run_from_panel (DvTrainingPanel *panel, DvWorkbenchTrain *wt)
{
  DvWbTrainView v;
  if (!dv_training_panel_get_shown (panel, &v))
    return NULL;
  DvProjectRun *r = dv_project_run_new ();
  r->state = g_strdup (state_names[v.state]);
  /* a run restored from a project is saved with its own words, not "the run saved in …" */
  gboolean restored = wt->restored_said != NULL && g_strcmp0 (v.message, wt->restored_said) == 0;
  r->message = g_strdup (restored ? wt->restored_message : v.message);
  r->folder = g_strdup (v.run_dir);
  r->best = v.best_path ? g_path_get_basename (v.best_path) : NULL;
  r->last = v.last_path ? g_path_get_basename (v.last_path) : NULL;
  r->probe = g_strdup (v.probe_caption);
  r->epochs = v.epochs;
  r->n_epochs = v.n_done;
  r->train_loss = dup_doubles (v.train_loss, v.n_done);
  r->val_loss = dup_doubles (v.val_loss, v.n_done);
  r->train_accuracy = dup_doubles (v.train_accuracy, v.n_done);
  r->val_accuracy = dup_doubles (v.val_accuracy, v.n_done);
  r->n_running = v.n_running;
  r->running_x = dup_doubles (v.running_x, v.n_running);
  r->running_loss = dup_doubles (v.running_loss, v.n_running);
  r->running_accuracy = dup_doubles (v.running_accuracy, v.n_running);
  r->n_rows = v.n_rows;
  r->n_layers = v.n_layers;
  r->T = v.T;
  r->dt = v.dt > 0 ? v.dt : 1;
  r->layers = g_strdupv ((char **) v.layer_names);
  if (r->layers == NULL || (int) g_strv_length (r->layers) != r->n_layers)
    {
      g_strfreev (r->layers);
      r->layers = g_new0 (char *, 1);
      r->n_layers = r->n_rows = 0;
    }
  gsize per_row = (gsize) r->n_layers * r->T;
  r->row_epochs = g_memdup2 (v.dyn_epochs, sizeof (int) * MAX (r->n_rows, 1));
  r->values = g_memdup2 (v.dyn_values, sizeof (float) * MAX (per_row * r->n_rows, 1));
  r->flags = v.flags != NULL && r->T > 0 ? g_memdup2 (v.flags, r->T) : NULL;
  return r;
}

/* The panel shows the run a project saved; its folder is checked, and said to be gone when
 * it is (the curves and the heatmap are the project's copy). */
static void
run_to_panel (DvWorkbenchTrain *wt, const DvProjectRun *r, const char *project)
{
  DvTrainingPanel *panel = dv_wb_window_get_training_panel (wt->window);
  DvWbTrainState state = g_str_equal (r->state, "finished") ? DV_WB_TRAIN_DONE
                         : g_str_equal (r->state, "failed") ? DV_WB_TRAIN_FAILED : DV_WB_TRAIN_STOPPED;
  gboolean folder_ok = r->folder != NULL && g_file_test (r->folder, G_FILE_TEST_IS_DIR);
  g_autofree char *best = folder_ok && r->best ? g_build_filename (r->folder, r->best, NULL) : NULL;
  g_autofree char *last = folder_ok && r->last ? g_build_filename (r->folder, r->last, NULL) : NULL;
  g_autofree char *start = folder_ok ? g_build_filename (r->folder, "start.safetensors", NULL) : NULL;
  if (best != NULL && !g_file_test (best, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&best, g_free);
  if (last != NULL && !g_file_test (last, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&last, g_free);
  if (start != NULL && !g_file_test (start, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&start, g_free);
  g_autofree char *base = g_path_get_basename (project);
  GString *m = g_string_new (NULL);
  g_string_append_printf (m, _("the run saved in %s"), base);
  if (!g_str_equal (r->state, state_names[state == DV_WB_TRAIN_DONE ? 3 : state == DV_WB_TRAIN_FAILED ? 5 : 4]))
    g_string_append_printf (m, _(" (it was %s when saved; it does not go on)"), r->state);
  if (r->message != NULL)
    {
      g_autofree char *said = g_strdup (r->message);
      gsize len = strlen (said);
      while (len > 0 && said[len - 1] == '.') /* the sentences below follow it */
        said[--len] = '\0';
      g_string_append_printf (m, " — %s", said);
    }
  if (r->folder == NULL)
    g_string_append (m, _(". It has no run folder."));
  else if (!folder_ok)
    g_string_append_printf (m, _(". Its run folder %s is gone (moved or deleted): the curves and "
                                 "the heatmap are the project's copy, its checkpoints cannot be "
                                 "opened."), r->folder);
  else if (r->best != NULL && best == NULL)
    g_string_append_printf (m, _(". Its checkpoint %s is no longer in the run folder."), r->best);
  DvWbTrainView v = {
    .state = state,
    .message = m->str,
    .run_dir = r->folder,
    .best_path = best,
    .last_path = last,
    .start_path = start,
    .epochs = r->epochs,
    .n_done = r->n_epochs,
    .train_loss = r->train_loss,
    .val_loss = r->val_loss,
    .train_accuracy = r->train_accuracy,
    .val_accuracy = r->val_accuracy,
    .n_rows = r->n_rows,
    .n_layers = r->n_layers,
    .T = r->T,
    .dt = r->dt,
    .dyn_values = r->values,
    .dyn_epochs = r->row_epochs,
    .layer_names = (const char *const *) r->layers,
    .flags = r->flags,
    .probe_caption = r->probe,
    .n_running = r->n_running,
    .running_x = r->running_x,
    .running_loss = r->running_loss,
    .running_accuracy = r->running_accuracy,
  };
  dv_training_panel_restore (panel, &v);
  g_free (wt->restored_said);
  wt->restored_said = g_string_free (m, FALSE);
  g_free (wt->restored_message);
  wt->restored_message = g_strdup (r->message);
}

/* The weights of NAME.dvproj.json / NAME.json go to NAME.safetensors beside it. */
static void
on_save_project (DvWbWindow *window, const char *path, DvWorkbenchTrain *wt)
{
  g_autofree char *stem = g_str_has_suffix (path, ".dvproj.json")
                          ? g_strndup (path, strlen (path) - strlen (".dvproj.json"))
                          : g_str_has_suffix (path, ".json")
                          ? g_strndup (path, strlen (path) - strlen (".json")) : g_strdup (path);
  SaveData *d = g_new0 (SaveData, 1);
  d->window = window;
  d->path = g_strconcat (stem, ".safetensors", NULL);
  d->project = g_strdup (path);
  d->training = dv_training_panel_get_settings (dv_wb_window_get_training_panel (window));
  d->layout = dv_wb_window_get_layout (window);
  d->run = run_from_panel (dv_wb_window_get_training_panel (window), wt);
  dv_engine_thread_call (wt->engine, export_call, d, save_data_free, FALSE);
}

/* ---- open project ---------------------------------------------------------------------- */

typedef struct {
  DvProject *project;
  char *path;
} OpenData;

static void
open_data_free (gpointer data)
{
  OpenData *d = data;
  dv_project_free (d->project);
  g_free (d->path);
  g_free (d);
}

static void
open_call (DvEngineThread *self, gpointer data)
{
  OpenData *d = data;
  DvProject *p = d->project;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) model = dv_model_new (p->desc, &error);
  if (model == NULL)
    {
      dv_engine_thread_report (self, "Cannot build the model of %s: %s", d->path, error->message);
      return;
    }
  dv_model_init_params (model, p->seed);
  if (p->weights != NULL)
    {
      g_autoptr (DvSafetensors) st = dv_checkpoint_open (p->weights, &error); /* any format */
      if (st == NULL || !dv_model_load_state (model, st, p->weights, NULL, &error))
        {
          dv_engine_thread_report (self, "Cannot open the weights of %s: %s", d->path, error->message);
          return;
        }
    }
  DvPresentation pr = self->presentation;
  if (p->presentation != NULL)
    {
      g_auto (GStrv) kv = g_strsplit (p->presentation, " ", -1);
      if (!dv_presentation_parse (&pr, (const char *const *) kv, &error)
          || !dv_presentation_validate (&pr, &error))
        {
          dv_engine_thread_report (self, "%s: the presentation is ignored: %s", d->path,
                                   error->message);
          pr = self->presentation;
          g_clear_error (&error);
        }
    }
  if (g_strcmp0 (p->dataset, self->dataset_spec) != 0)
    {
      const DvModelDesc *D = dv_model_get_desc (model);
      DvDatasetOptions o = { .height = D->in_h, .width = D->in_w };
      DvDataset *ds = dv_dataset_open_full (p->dataset, DV_SPLIT_TEST, &o, &error);
      if (ds == NULL)
        dv_engine_thread_report (self, "%s: cannot open its data set “%s” (%s); showing “%s”",
                                 d->path, p->dataset, error->message, self->dataset_spec);
      else
        {
          dv_dataset_unref (self->dataset);
          self->dataset = ds;
          g_free (self->dataset_spec);
          self->dataset_spec = g_strdup (p->dataset);
        }
    }
  self->presentation = pr;
  self->sample = p->sample;
  g_autofree char *base = g_path_get_basename (d->path);
  g_autofree char *label = g_strdup_printf ("%s (%s)", dv_model_get_desc (model)->model_class, base);
  /* what the exports name: the project's weights file, or its seed's fresh weights; the
   * project file as an input either way */
  DvProvenance *prov = p->weights ? dv_workbench_weights_provenance (p->weights, FALSE, FALSE)
                                  : dv_provenance_new ("dynvision-workbench");
  if (p->weights == NULL)
    dv_provenance_set_fresh (prov, p->seed);
  dv_provenance_add_input (prov, d->path, NULL);
  dv_engine_thread_replace_model_with (self, g_steal_pointer (&model), label, p->weights == NULL, prov);
}

static gboolean
apply_layout (gpointer user_data)
{
  DvWorkbenchTrain *wt = user_data;
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (wt->window));
  if (h->seq_id == wt->pending_seq && g_get_monotonic_time () < wt->layout_deadline)
    return G_SOURCE_CONTINUE;
  dv_wb_window_set_layout (wt->window, (const char *const *) wt->pending_layout);
  g_clear_pointer (&wt->pending_layout, g_strfreev);
  /* the project's run, once its model runs (not when opening it failed); the run it
   * replaced, stopped with its model, says no more */
  if (wt->pending_run != NULL && h->seq_id != wt->pending_seq)
    {
      g_clear_pointer (&wt->job, dv_engine_train_free);
      run_to_panel (wt, wt->pending_run, wt->pending_path);
    }
  g_clear_pointer (&wt->pending_run, dv_project_run_free);
  g_clear_pointer (&wt->pending_path, g_free);
  wt->layout_source = 0;
  return G_SOURCE_REMOVE;
}

static void
on_open_project (DvWbWindow *window, const char *path, DvWorkbenchTrain *wt)
{
  g_autoptr (GError) error = NULL;
  DvProject *p = dv_project_load (path, &error);
  if (p == NULL)
    {
      dv_wb_window_show_error (window, error->message);
      return;
    }
  if (p->training != NULL && !dv_training_panel_set_settings (dv_wb_window_get_training_panel (window), (const char *const *) p->training, &error))
    {
      g_autofree char *msg = g_strdup_printf ("%s: training settings: %s", path, error->message);
      dv_wb_window_show_error (window, msg);
      g_clear_error (&error);
    }
  g_strfreev (wt->pending_layout);
  wt->pending_layout = g_strdupv (p->view);
  dv_project_run_free (wt->pending_run);
  wt->pending_run = g_steal_pointer (&p->run);
  g_free (wt->pending_path);
  wt->pending_path = g_strdup (path);
  wt->pending_seq = dv_live_page_get_history (dv_wb_window_get_live_page (window))->seq_id;
  wt->layout_deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  if (wt->layout_source == 0)
    wt->layout_source = g_timeout_add (50, apply_layout, wt);
  OpenData *d = g_new0 (OpenData, 1);
  d->project = p;
  d->path = g_strdup (path);
  dv_engine_thread_call (wt->engine, open_call, d, open_data_free, TRUE);
}

/* ---- life cycle ------------------------------------------------------------------------ */

DvWorkbenchTrain *
dv_workbench_train_new (DvWbWindow *window, DvEngineThread *engine)
{
  DvWorkbenchTrain *wt = g_new0 (DvWorkbenchTrain, 1);
  wt->window = window;
  wt->engine = engine;
  g_signal_connect (dv_wb_window_get_training_panel (window), "train-start", G_CALLBACK (on_train_start), wt);
  g_signal_connect (dv_wb_window_get_training_panel (window), "train-control", G_CALLBACK (on_train_control), wt);
  g_signal_connect (window, "export-checkpoint", G_CALLBACK (on_export_checkpoint), wt);
  g_signal_connect (window, "export-dynvision", G_CALLBACK (on_export_dynvision), wt);
  g_signal_connect (window, "save-project", G_CALLBACK (on_save_project), wt);
  g_signal_connect (window, "open-project", G_CALLBACK (on_open_project), wt);
  return wt;
}

void
dv_workbench_train_free (DvWorkbenchTrain *wt)
{
  if (wt == NULL)
    return;
  g_signal_handlers_disconnect_by_data (wt->window, wt);
  g_clear_handle_id (&wt->layout_source, g_source_remove);
  g_strfreev (wt->pending_layout);
  dv_project_run_free (wt->pending_run);
  g_free (wt->pending_path);
  g_free (wt->restored_said);
  g_free (wt->restored_message);
  g_clear_pointer (&wt->job, dv_engine_train_free);
  g_free (wt);
}
