/* dv-workbench.c — wiring one window to one engine thread (see dv-workbench.h).
 *
 * What this is for: the default model and stimuli, the data sets on offer
 * (the embedded set at once; named sets found on this computer by a
 * background probe; folders opened on request, each a GTask), the sample
 * thumbnails, and the two directions of traffic: window signals -> engine
 * commands, engine news -> window.
 * What this is not for: drawing or stepping the model.
 */
#include "dv-workbench.h"
#include "dv-wb-window-train.h"

#include <glib/gi18n-lib.h>

#include "dv-checkpoint.h"
#include "dv-config.h"
#include "dv-data.h"
#include "dv-desc.h"
#include "dv-ui.h"
#include "dv-workbench-train.h"
#include "dv-workbench-edit.h"
#include "dv-tsan.h"

struct _DvWorkbench {
  DvWbWindow *window;
  DvEngineThread *engine;
  DvWorkbenchTrain *train;     /* training, checkpoints, projects */
  GHashTable *datasets;        /* spec -> DvDataset, opened so far */
  char *shown_spec;            /* the data set whose thumbnails the window shows: the one
                                  the engine last reported (it may switch by itself: a project) */
  GCancellable *cancellable;   /* cancelled with the window: pending jobs drop their result */
  gint64 max_news_us;
  guint sync_tick;             /* the tick callback that takes in the engine's news, 0: none */
  guint64 n_news, n_syncs;     /* engine callbacks, and the syncs they caused */
  char *ask_path;              /* a command-line checkpoint to ask about once the window is shown */
  guint ask_idle;              /* the source that asks, after the window's first map */
};

const char *const dv_workbench_default_presentation[] = {
  "loader=StimulusDuration", "n_timesteps=20", "intro_duration=2", "stimulus_duration=10", NULL,
};

/* Named data sets offered when this computer has them. */
static const struct {
  const char *spec, *label;
} named_datasets[] = {
  { "fashion-mnist", "Fashion-MNIST" },
  { "mnist", "MNIST" },
  { "cifar10", "CIFAR-10" },
  { "cifar100", "CIFAR-100" },
};

/* The tutorial's CustomRCNN: 32×32 RGB, 10 classes, dt 2, tau 10, delays 2 ms, skip on. */
static DvModel *
build_preset (guint64 seed, char **label, GError **error)
{
  static const char kwargs_json[] =
    "{\"input_dims\": [20, 3, 32, 32], \"n_classes\": 10, \"dt\": 2, \"tau\": 10,"
    " \"t_feedforward\": 2, \"t_recurrence\": 2, \"use_skip_connections\": true}";
  g_autoptr (DvJson) kwargs = dv_json_parse (kwargs_json, -1, error);
  if (kwargs == NULL)
    return NULL;
  g_autoptr (DvModelDesc) desc = dv_preset_build ("CustomRCNN", kwargs, error);
  if (desc == NULL)
    return NULL;
  DvModel *model = dv_model_new (desc, error);
  if (model == NULL)
    return NULL;
  dv_model_init_params (model, seed);
  *label = g_strdup_printf ("CustomRCNN (fresh weights, seed %" G_GUINT64_FORMAT ")", seed);
  return model;
}

#define TRAINED_MODEL_FILE "customrcnn-embedded.safetensors"

char *
dv_workbench_trained_model_path (void)
{
  g_autofree char *src = g_build_filename (DV_SOURCE_MODELS_DIR, TRAINED_MODEL_FILE, NULL);
  g_autofree char *inst = g_build_filename (DV_MODELS_DIR, TRAINED_MODEL_FILE, NULL);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  gboolean in_build = exe != NULL && g_str_has_prefix (exe, DV_BUILD_ROOT G_DIR_SEPARATOR_S);
  if (in_build && g_file_test (src, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&src);
  if (g_file_test (inst, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&inst);
  if (g_file_test (src, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&src);
  return NULL;
}

/* ---- thumbnails ------------------------------------------------------------------------ */

/* Sample i as an RGB texture, scaled up by whole pixels to about 64 px. */
static GdkTexture *
thumbnail (int i, char **tooltip, gpointer user_data)
{
  DvDataset *ds = user_data;
  int C = dv_dataset_get_channels (ds), H = dv_dataset_get_height (ds);
  int W = dv_dataset_get_width (ds);
  if (i < 0 || i >= dv_dataset_get_n (ds) || H <= 0 || W <= 0)
    return NULL;
  g_autofree guint8 *raw = g_new (guint8, (gsize) C * H * W);
  dv_dataset_read_raw (ds, i, raw);
  int f = MAX (1, 64 / MAX (H, W));
  gsize stride = (gsize) W * f * 3;
  guint8 *rgb = g_new (guint8, stride * H * f);
  for (int y = 0; y < H * f; y++)
    for (int x = 0; x < W * f; x++)
      for (int c = 0; c < 3; c++)
        rgb[y * stride + x * 3 + c] = raw[((gsize) (C >= 3 ? c : 0) * H + y / f) * W + x / f];
  g_autoptr (GBytes) bytes = g_bytes_new_take (rgb, stride * H * f);
  int k = dv_dataset_get_label (ds, i);
  const char *name = k >= 0 && k < dv_dataset_get_n_classes (ds)
                     ? dv_dataset_get_class_name (ds, k) : NULL;
  *tooltip = name != NULL ? g_strdup_printf ("#%d · label %d (%s)", i, k, name)
                          : g_strdup_printf ("#%d · label %d", i, k);
  return gdk_memory_texture_new (W * f, H * f, GDK_MEMORY_R8G8B8, bytes, stride);
}

static void
show_samples (DvWorkbench *wb, const char *spec, DvDataset *ds)
{
  g_free (wb->shown_spec);
  wb->shown_spec = g_strdup (spec);
  dv_live_page_set_samples (dv_wb_window_get_live_page (wb->window), dv_dataset_get_n (ds), thumbnail, dv_dataset_ref (ds),
                            (GDestroyNotify) dv_dataset_unref);
}

/* ---- opening data sets (GTask) ---------------------------------------------------- */

typedef struct {
  char *spec;
  int height, width;  /* folders are resized to the model's input */
  gboolean thumbs_only; /* the engine runs it already: only show its thumbnails */
} OpenData;

static void
open_data_free (OpenData *d)
{
  g_free (d->spec);
  g_free (d);
}

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DV_TSAN_ACQUIRE (task);
  OpenData *d = task_data;
  DvDatasetOptions options = { .height = d->height, .width = d->width };
  GError *error = NULL;
  DvDataset *ds = dv_dataset_open_full (d->spec, DV_SPLIT_TEST, &options, &error);
  DV_TSAN_RELEASE (task);
  if (ds == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, ds, (GDestroyNotify) dv_dataset_unref);
}

/* The window is gone: the session with it. */
static gboolean
task_orphaned (GAsyncResult *result)
{
  return g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result)));
}

static void
open_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DV_TSAN_ACQUIRE (result);
  if (task_orphaned (result))
    return;
  DvWorkbench *wb = user_data;
  OpenData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  DvDataset *ds = g_task_propagate_pointer (G_TASK (result), &error);
  if (ds == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot open the data set “%s”: %s"), d->spec,
                                              error->message);
      dv_wb_window_show_error (wb->window, msg);
      return;
    }
  g_hash_table_insert (wb->datasets, g_strdup (d->spec), ds);
  if (!d->thumbs_only)
    dv_engine_thread_set_dataset (wb->engine, ds, d->spec); /* the thumbnails follow its news */
  else if (g_strcmp0 (dv_live_page_get_history (dv_wb_window_get_live_page (wb->window))->dataset, d->spec) == 0)
    show_samples (wb, d->spec, ds);
}

static void
open_dataset (DvWorkbench *wb, const char *spec, gboolean thumbs_only)
{
  DvDataset *ds = g_hash_table_lookup (wb->datasets, spec);
  if (ds != NULL)
    {
      if (thumbs_only)
        show_samples (wb, spec, ds);
      else
        dv_engine_thread_set_dataset (wb->engine, ds, spec);
      return;
    }
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (wb->window));
  OpenData *d = g_new0 (OpenData, 1);
  d->thumbs_only = thumbs_only;
  d->spec = g_strdup (spec);
  d->height = h->in_h > 0 ? h->in_h : 32;
  d->width = h->in_w > 0 ? h->in_w : 32;
  GTask *task = g_task_new (NULL, wb->cancellable, open_done, wb);
  g_task_set_task_data (task, d, (GDestroyNotify) open_data_free);
  dv_task_run_in_thread (task, open_thread);
  g_object_unref (task);
}

static void
on_open_dataset (DvWbWindow *window, const char *spec, DvWorkbench *wb)
{
  open_dataset (wb, spec, FALSE);
}

/* Which named data sets are here: opened once in a thread, offered when found. */
static void
probe_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DV_TSAN_ACQUIRE (task);
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) dv_dataset_unref);
  for (guint i = 0; i < G_N_ELEMENTS (named_datasets); i++)
    {
      DvDataset *ds = g_cancellable_is_cancelled (cancellable) ? NULL
                      : dv_dataset_open (named_datasets[i].spec, DV_SPLIT_TEST, NULL);
      g_ptr_array_add (found, ds);
    }
  DV_TSAN_RELEASE (task);
  g_task_return_pointer (task, found, (GDestroyNotify) g_ptr_array_unref);
}

static void
probe_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DV_TSAN_ACQUIRE (result);
  if (task_orphaned (result))
    return;
  DvWorkbench *wb = user_data;
  g_autoptr (GPtrArray) found = g_task_propagate_pointer (G_TASK (result), NULL);
  for (guint i = 0; found != NULL && i < found->len; i++)
    {
      DvDataset *ds = g_ptr_array_index (found, i);
      if (ds == NULL)
        continue;
      if (!g_hash_table_contains (wb->datasets, named_datasets[i].spec))
        g_hash_table_insert (wb->datasets, g_strdup (named_datasets[i].spec),
                             dv_dataset_ref (ds));
      dv_live_page_add_dataset (dv_wb_window_get_live_page (wb->window), named_datasets[i].spec, named_datasets[i].label);
      /* what is installed can be trained on too */
      dv_training_panel_add_dataset (dv_wb_window_get_training_panel (wb->window), named_datasets[i].spec, NULL);
    }
}

/* ---- engine -> window ---------------------------------------------------------------- */

static void
update_status (DvWorkbench *wb)
{
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (wb->window));
  if (h->T == 0)
    return;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "%s\n", h->model_label ? h->model_label : "");
  for (int l = 0; l < h->n_layers; l++)
    g_string_append_printf (s, "%s %d×%d×%d%s", h->layers[l].name, h->layers[l].C,
                            h->layers[l].H, h->layers[l].W, l + 1 < h->n_layers ? " · " : "\n");
  if (h->presentation != NULL)
    g_string_append_printf (s, "%s\n", h->presentation);
  if (h->fit != NULL)
    g_string_append_printf (s, "%s\n", h->fit);
  g_string_append_printf (s, "%d timesteps of %g ms", h->T, h->dt);
  if (h->frame_capacity < h->T)
    g_string_append_printf (s, "\nframes kept for the last %d steps (history limit)",
                            h->frame_capacity);
  dv_live_page_set_status (dv_wb_window_get_live_page (wb->window), s->str);
  g_string_free (s, TRUE);
}

/* Takes in everything the engine has done since the last time: the new steps
 * (or sequence), its errors and notes; then the live page follows. */
static void
sync_engine (DvWorkbench *wb)
{
  gint64 start = g_get_monotonic_time ();
  wb->n_syncs++;
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (wb->window));
  gboolean fresh = FALSE;
  g_auto (GStrv) errors = NULL;
  gboolean changed = dv_engine_thread_sync (wb->engine, h, &fresh, &errors);
  for (int i = 0; errors != NULL && errors[i] != NULL; i++)
    dv_wb_window_show_error (wb->window, errors[i]);
  g_auto (GStrv) notes = dv_engine_thread_take_notes (wb->engine);
  for (int i = 0; notes != NULL && notes[i] != NULL; i++)
    dv_wb_window_show_note (wb->window, notes[i]);
  if (changed)
    dv_live_page_history_changed (dv_wb_window_get_live_page (wb->window), fresh);
  /* the status only changes with the sequence: a new text each step would
   * re-lay out the window each frame */
  if (changed && fresh)
    {
      /* the sample picker shows the data set the engine runs */
      if (h->dataset != NULL && g_strcmp0 (h->dataset, wb->shown_spec) != 0)
        open_dataset (wb, h->dataset, TRUE);
      update_status (wb);
      dv_workbench_edit_news (wb->window, wb->engine);
    }
  wb->max_news_us = MAX (wb->max_news_us, g_get_monotonic_time () - start);
}

static gboolean
sync_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  DvWorkbench *wb = data;
  wb->sync_tick = 0;
  sync_engine (wb);
  return G_SOURCE_REMOVE;
}

/* The engine's news are taken in once per frame, in the frame's update phase
 * just before layout and paint: a fast model finishes many steps (whole
 * sequences) between two frames, and syncing, refilling the views and
 * following the sample picker for each would be work for pictures nobody
 * sees, and a frame that waits for all of it.  A window that is not mapped
 * has no frames: it takes the news at once. */
static void
on_engine_news (gpointer user_data)
{
  DvWorkbench *wb = user_data;
  wb->n_news++;
  if (wb->sync_tick != 0)
    return;
  if (!gtk_widget_get_mapped (GTK_WIDGET (wb->window)))
    {
      sync_engine (wb);
      return;
    }
  wb->sync_tick = gtk_widget_add_tick_callback (GTK_WIDGET (wb->window), sync_tick, wb, NULL);
}

/* ---- window -> engine ---------------------------------------------------------------- */

static void
on_compute (DvLivePage *live, int upto, DvWorkbench *wb)
{
  dv_engine_thread_compute (wb->engine, upto);
}

static void
on_select_sample (DvLivePage *live, int sample, DvWorkbench *wb)
{
  dv_engine_thread_select_sample (wb->engine, sample);
}

static void
on_set_parameter (DvLivePage *live, const char *key, const char *value, DvWorkbench *wb)
{
  dv_engine_thread_set_param (wb->engine, key, value);
}

static void
on_set_presentation (DvLivePage *live, const char *const *assignments, DvWorkbench *wb)
{
  dv_engine_thread_set_params (wb->engine, assignments);
}

static void
on_model_chosen (DvWbWindow *window, const char *path, const char *model_spec, gpointer data)
{
  DvWorkbench *wb = data;
  if (wb->engine != NULL)
    dv_engine_thread_load_checkpoint_as (wb->engine, path, model_spec);
}

/* A checkpoint that does not say which model it is: ask (dv_wb_window_ask_model),
 * offering the presets whose parameter names match the file's, best first. */
static gboolean
ask_model_if_unidentified (DvWorkbench *wb, const char *path)
{
  if (g_str_has_suffix (path, ".json"))
    return FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (path, NULL);
  if (st == NULL)
    return FALSE; /* the engine thread reports what is wrong with the file */
  g_autoptr (DvModelDesc) d = dv_checkpoint_identify (st, path, NULL, NULL, &error);
  if (d != NULL || !g_error_matches (error, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED))
    return FALSE;
  g_auto (GStrv) matching = dv_checkpoint_matching_presets (st, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (char **n = matching; *n; n++)
    g_ptr_array_add (names, *n);
  for (const char *const *n = dv_preset_names (); *n; n++)
    if (!g_strv_contains ((const char *const *) matching, *n))
      g_ptr_array_add (names, (gpointer) *n);
  g_ptr_array_add (names, NULL);
  dv_wb_window_ask_model (wb->window, path, error->message, (const char *const *) names->pdata, NULL,
                          on_model_chosen, wb);
  return TRUE;
}

/* A checkpoint trained with BatchNorm on fixed running statistics (train.bn_mode=running, as
 * the trained default was) is trained on the same way unless the user picks otherwise: batch
 * statistics would re-estimate them from whole sequences, blank steps included, and undo what
 * made the model work (doc/training.md).  The panel's BatchNorm field shows it. */
static void
follow_checkpoint_bn_mode (DvWbWindow *window, const char *path)
{
  if (path == NULL || g_str_has_suffix (path, ".json"))
    return;
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (path, NULL);
  const char *mode = st ? dv_safetensors_metadata (st, "train.bn_mode") : NULL;
  if (mode == NULL)
    return;
  g_autofree char *kv = g_strdup_printf ("bn-mode=%s", mode);
  const char *const settings[] = { kv, NULL };
  dv_training_panel_set_settings (dv_wb_window_get_training_panel (window), settings, NULL);
}

static void
on_open_checkpoint (DvWbWindow *window, const char *path, DvWorkbench *wb)
{
  follow_checkpoint_bn_mode (window, path);
  if (!ask_model_if_unidentified (wb, path))
    dv_engine_thread_load_checkpoint (wb->engine, path);
}

static void
on_window_destroy (GtkWidget *widget, DvWorkbench *wb)
{
  /* the session lives as long as its window: stop the engine before the
   * window goes away so no callback reaches it */
  g_signal_handlers_disconnect_by_data (wb->window, wb);
  if (wb->sync_tick != 0)
    gtk_widget_remove_tick_callback (widget, wb->sync_tick);
  wb->sync_tick = 0;
  g_cancellable_cancel (wb->cancellable);
  g_clear_object (&wb->cancellable);
  g_clear_pointer (&wb->train, dv_workbench_train_free); /* before the engine it trains on */
  g_clear_pointer (&wb->engine, dv_engine_thread_free);
  g_clear_pointer (&wb->datasets, g_hash_table_unref);
  g_free (wb->shown_spec);
  g_clear_handle_id (&wb->ask_idle, g_source_remove);
  g_free (wb->ask_path);
  g_free (wb);
}

/* Asked once the window is on screen: a modal dialog mapped before (or while) its
 * parent maps ends up under it wherever no window manager stacks transients (Xvfb). */
static gboolean
ask_after_map (gpointer data)
{
  DvWorkbench *wb = data;
  wb->ask_idle = 0;
  g_autofree char *path = g_steal_pointer (&wb->ask_path);
  ask_model_if_unidentified (wb, path);
  return G_SOURCE_REMOVE;
}

static void
on_first_map (GtkWidget *widget, DvWorkbench *wb)
{
  g_signal_handlers_disconnect_by_func (widget, on_first_map, wb);
  wb->ask_idle = g_idle_add (ask_after_map, wb);
}

/* ---- set-up -------------------------------------------------------------------------- */

gboolean
dv_workbench_setup_init (DvEngineSetup *setup, const DvWorkbenchOptions *options,
                         GPtrArray *problems, GError **error)
{
  DvWorkbenchOptions defaults = { 0 };
  const DvWorkbenchOptions *o = options ? options : &defaults;
  gsize history = o->history_bytes > 0 ? o->history_bytes : DV_WORKBENCH_DEFAULT_HISTORY_BYTES;
  *setup = (DvEngineSetup) { .sample = o->sample, .history_budget = history / 2 };
  if (o->checkpoint != NULL)
    {
      g_autoptr (GError) local = NULL;
      DvLoadReport rep = { 0 };
      gboolean fresh = FALSE;
      g_autofree char *how = NULL;
      setup->model = dv_workbench_load_model_as (o->checkpoint, o->model_spec, &rep, &setup->model_label,
                                                 &fresh, &how, &local);
      if (how != NULL)
        setup->note = g_steal_pointer (&how);
      dv_load_report_clear (&rep);
      setup->unidentified = g_error_matches (local, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED);
      if (setup->model == NULL)
        g_ptr_array_add (problems, g_strdup_printf (_("Cannot open the %s (showing the "
                                                    "untrained preset instead): %s"),
                                                    g_str_has_suffix (o->checkpoint, ".json")
                                                    ? "model description" : "checkpoint",
                                                    local->message));
      else
        {
          setup->preset = fresh;
          setup->provenance = dv_workbench_weights_provenance (o->checkpoint, fresh, FALSE);
        }
    }
  else if (o->trained_default)
    {
      /* the start without arguments: the tutorial's model, trained (doc/training.md) */
      g_autofree char *path = dv_workbench_trained_model_path ();
      g_autoptr (GError) local = NULL;
      DvLoadReport rep = { 0 };
      gboolean fresh = FALSE;
      g_autofree char *how = NULL, *label = NULL;
      if (path != NULL)
        setup->model = dv_workbench_load_model_as (path, NULL, &rep, &label, &fresh, &how, &local);
      dv_load_report_clear (&rep);
      if (setup->model != NULL)
        {
          setup->model_label = g_strdup (DV_WORKBENCH_TRAINED_LABEL);
          setup->preset = FALSE;
          setup->provenance = dv_workbench_weights_provenance (path, FALSE, TRUE);
        }
      else
        g_ptr_array_add (problems, path == NULL
                         ? g_strdup_printf (_("The trained CustomRCNN (%s) is not installed: showing "
                                              "fresh weights instead."), TRAINED_MODEL_FILE)
                         : g_strdup_printf (_("Cannot open the trained CustomRCNN (showing fresh "
                                              "weights instead): %s"), local->message));
    }
  if (setup->model == NULL)
    {
      setup->model = build_preset (o->seed, &setup->model_label, error);
      if (setup->model == NULL)
        return FALSE;
      setup->preset = TRUE;
      setup->provenance = dv_provenance_new ("dynvision-workbench");
      dv_provenance_set_fresh (setup->provenance, o->seed);
    }

  g_autoptr (GError) local = NULL;
  const char *spec = o->dataset ? o->dataset : "embedded";
  const DvModelDesc *D = dv_model_get_desc (setup->model);
  DvDatasetOptions ds_options = { .height = D->in_h, .width = D->in_w };
  setup->dataset = dv_dataset_open_full (spec, DV_SPLIT_TEST, &ds_options, &local);
  setup->dataset_spec = spec;
  if (setup->dataset == NULL)
    {
      g_ptr_array_add (problems, g_strdup_printf (_("Cannot open the data set “%s” (showing the "
                                                  "embedded stimuli instead): %s"), spec,
                                                  local->message));
      setup->dataset = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TEST, 0);
      setup->dataset_spec = "embedded";
    }

  dv_presentation_init (&setup->presentation, DV_LOADER_DURATION);
  g_clear_error (&local);
  if (!dv_presentation_parse (&setup->presentation, dv_workbench_default_presentation, &local))
    g_ptr_array_add (problems, g_strdup (local->message));
  g_clear_error (&local);
  if (o->presentation != NULL)
    {
      /* a refused -p is an error (the command exits non-zero), never ignored */
      DvPresentation p = setup->presentation, used;
      if (dv_presentation_parse (&p, o->presentation, &local))
        {
          used = p;
          used.dt = D->dt; /* the engine presents with the model's dt */
        }
      if (local != NULL || !dv_presentation_validate (&p, &local)
          || !dv_presentation_check_applied (&used, o->presentation, "the model", &local))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "--presentation: ");
          dv_workbench_setup_clear (setup);
          return FALSE;
        }
      setup->presentation = p;
    }
  return TRUE;
}

void
dv_workbench_setup_clear (DvEngineSetup *setup)
{
  g_clear_pointer (&setup->model, dv_model_free);
  g_clear_pointer (&setup->model_label, g_free);
  g_clear_pointer (&setup->provenance, dv_provenance_free);
  g_clear_pointer (&setup->dataset, dv_dataset_unref);
  g_clear_pointer (&setup->note, g_free);
}

DvWorkbench *
dv_workbench_new (GtkApplication *app, const DvWorkbenchOptions *options, GError **error)
{
  dv_ui_init ();
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  DvEngineSetup setup;
  if (!dv_workbench_setup_init (&setup, options, problems, error))
    return NULL;
  DvWbWindow *window = dv_wb_window_new (app);
  DvWorkbench *wb = g_new0 (DvWorkbench, 1);
  wb->window = window;
  wb->cancellable = g_cancellable_new ();
  wb->datasets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) dv_dataset_unref);
  g_hash_table_insert (wb->datasets, g_strdup (setup.dataset_spec), dv_dataset_ref (setup.dataset));
  dv_history_set_budget (dv_live_page_get_history (dv_wb_window_get_live_page (window)), setup.history_budget);
  g_autoptr (DvModelDesc) start_desc = dv_model_desc_copy (dv_model_get_desc (setup.model));
  g_autofree char *note = g_steal_pointer (&setup.note);
  gboolean ask = setup.unidentified;
  wb->engine = dv_engine_thread_new (&setup, NULL, on_engine_news, wb);
  dv_workbench_setup_clear (&setup);
  dv_workbench_edit_attach (window, wb->engine, start_desc);
  if (options->checkpoint != NULL)
    follow_checkpoint_bn_mode (window, options->checkpoint);
  else if (options->trained_default)
    {
      g_autofree char *trained = dv_workbench_trained_model_path ();
      follow_checkpoint_bn_mode (window, trained);
    }
  dv_live_page_add_dataset (dv_wb_window_get_live_page (window), "embedded", "Embedded stimuli");
  DvLivePage *live = dv_wb_window_get_live_page (window);
  g_signal_connect (live, "compute", G_CALLBACK (on_compute), wb);
  g_signal_connect (live, "select-sample", G_CALLBACK (on_select_sample), wb);
  g_signal_connect (window, "open-checkpoint", G_CALLBACK (on_open_checkpoint), wb);
  g_signal_connect (window, "open-dataset", G_CALLBACK (on_open_dataset), wb);
  g_signal_connect (live, "set-parameter", G_CALLBACK (on_set_parameter), wb);
  g_signal_connect (live, "set-presentation", G_CALLBACK (on_set_presentation), wb);
  g_signal_connect (window, "destroy", G_CALLBACK (on_window_destroy), wb);
  wb->train = dv_workbench_train_new (window, wb->engine);
  if (note != NULL)
    dv_wb_window_show_note (window, note);
  for (guint i = 0; i < problems->len; i++)
    dv_wb_window_show_error (window, g_ptr_array_index (problems, i));
  /* a checkpoint on the command line that does not say its model: ask (the file is read
   * again only then, for the presets that match it) */
  if (ask && options->model_spec == NULL)
    {
      wb->ask_path = g_strdup (options->checkpoint);
      g_signal_connect_after (window, "map", G_CALLBACK (on_first_map), wb);
    }

  GTask *probe = g_task_new (NULL, wb->cancellable, probe_done, wb);
  g_task_set_priority (probe, G_PRIORITY_LOW);
  dv_task_run_in_thread (probe, probe_thread);
  g_object_unref (probe);

  if (options != NULL && options->autoplay)
    dv_live_page_set_playing (dv_wb_window_get_live_page (window), TRUE);
  return wb;
}

DvWbWindow *
dv_workbench_get_window (DvWorkbench *wb)
{
  g_return_val_if_fail (wb != NULL, NULL);
  return wb->window;
}

DvEngineThread *
dv_workbench_get_engine (DvWorkbench *wb)
{
  g_return_val_if_fail (wb != NULL, NULL);
  return wb->engine;
}

void
dv_workbench_get_news_counts (DvWorkbench *wb, guint64 *n_news, guint64 *n_syncs)
{
  g_return_if_fail (wb != NULL);
  if (n_news != NULL)
    *n_news = wb->n_news;
  if (n_syncs != NULL)
    *n_syncs = wb->n_syncs;
}

gint64
dv_workbench_take_max_news_us (DvWorkbench *wb)
{
  g_return_val_if_fail (wb != NULL, 0);
  gint64 v = wb->max_news_us;
  wb->max_news_us = 0;
  return v;
}
