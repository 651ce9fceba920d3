/* dv-workbench.c — wiring one window to one engine thread (see dv-workbench.h).
 *
 * What this is for: the default model and stimuli, and the two directions
 * of traffic: window signals -> engine commands, engine news -> window.
 * What this is not for: drawing or stepping the model.
 */
#include "dv-workbench.h"

#include "dv-checkpoint.h"
#include "dv-data.h"
#include "dv-desc.h"
#include "dv-engine-thread.h"
#include "dv-ui.h"

struct _DvWorkbench {
  DvWbWindow *window;
  DvEngineThread *engine;
};

const char *const dv_workbench_default_presentation[] = {
  "loader=StimulusDuration", "n_timesteps=20", "intro_duration=2", "stimulus_duration=10", NULL,
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
  *label = g_strdup_printf ("CustomRCNN (preset, seed %" G_GUINT64_FORMAT ", untrained)", seed);
  return model;
}

static void
update_status (DvWorkbench *wb)
{
  DvHistory *h = dv_wb_window_get_history (wb->window);
  if (h->T == 0)
    return;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "%s\n", h->model_label ? h->model_label : "");
  for (int l = 0; l < h->n_layers; l++)
    g_string_append_printf (s, "%s %d×%d×%d%s", h->layers[l].name, h->layers[l].C,
                            h->layers[l].H, h->layers[l].W, l + 1 < h->n_layers ? " · " : "\n");
  if (h->presentation != NULL)
    g_string_append_printf (s, "%s\n", h->presentation);
  g_string_append_printf (s, "%d timesteps of %g ms · computed %d / %d", h->T, h->dt,
                          h->head + 1, h->T);
  dv_wb_window_set_status (wb->window, s->str);
  g_string_free (s, TRUE);
}

static void
on_engine_news (gpointer user_data)
{
  DvWorkbench *wb = user_data;
  DvHistory *h = dv_wb_window_get_history (wb->window);
  gboolean fresh = FALSE;
  g_auto (GStrv) errors = NULL;
  gboolean changed = dv_engine_thread_sync (wb->engine, h, &fresh, &errors);
  for (int i = 0; errors != NULL && errors[i] != NULL; i++)
    dv_wb_window_show_error (wb->window, errors[i]);
  if (changed)
    {
      dv_wb_window_history_changed (wb->window, fresh);
      update_status (wb);
    }
}

static void
on_compute (DvWbWindow *window, int upto, DvWorkbench *wb)
{
  dv_engine_thread_compute (wb->engine, upto);
}

static void
on_select_sample (DvWbWindow *window, int sample, DvWorkbench *wb)
{
  dv_engine_thread_select_sample (wb->engine, sample);
}

static void
on_set_parameter (DvWbWindow *window, const char *key, const char *value, DvWorkbench *wb)
{
  dv_engine_thread_set_param (wb->engine, key, value);
}

static void
on_open_checkpoint (DvWbWindow *window, const char *path, DvWorkbench *wb)
{
  dv_engine_thread_load_checkpoint (wb->engine, path);
}

static void
on_window_destroy (GtkWidget *widget, DvWorkbench *wb)
{
  /* the session lives as long as its window: stop the engine before the
   * window goes away so no callback reaches it */
  g_signal_handlers_disconnect_by_data (wb->window, wb);
  g_clear_pointer (&wb->engine, dv_engine_thread_free);
  g_free (wb);
}

DvWorkbench *
dv_workbench_new (GtkApplication *app, const DvWorkbenchOptions *options, GError **error)
{
  DvWorkbenchOptions defaults = { 0 };
  const DvWorkbenchOptions *o = options ? options : &defaults;
  dv_ui_init ();
  DvWbWindow *window = dv_wb_window_new (app);
  GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);

  DvEngineSetup setup = { .sample = o->sample };
  if (o->checkpoint != NULL)
    {
      g_autoptr (GError) local = NULL;
      DvLoadReport rep = { 0 };
      setup.model = dv_checkpoint_load (o->checkpoint, &rep, &local);
      dv_load_report_clear (&rep);
      if (setup.model == NULL)
        g_ptr_array_add (problems, g_strdup_printf ("Cannot open the checkpoint (showing the "
                                                    "untrained preset instead): %s",
                                                    local->message));
      else
        {
          g_autofree char *base = g_path_get_basename (o->checkpoint);
          setup.model_label = g_strdup_printf ("%s (%s)",
                                               dv_model_get_desc (setup.model)->model_class, base);
        }
    }
  if (setup.model == NULL)
    {
      setup.model = build_preset (o->seed, &setup.model_label, error);
      if (setup.model == NULL)
        {
          gtk_window_destroy (GTK_WINDOW (window));
          g_ptr_array_unref (problems);
          return NULL;
        }
      setup.preset = TRUE;
    }

  g_autoptr (GError) local = NULL;
  const char *spec = o->dataset ? o->dataset : "embedded";
  setup.dataset = dv_dataset_open (spec, DV_SPLIT_TEST, &local);
  if (setup.dataset == NULL)
    {
      g_ptr_array_add (problems, g_strdup_printf ("Cannot open the data set “%s” (showing the "
                                                  "embedded stimuli instead): %s", spec,
                                                  local->message));
      setup.dataset = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TEST, 0);
    }

  dv_presentation_init (&setup.presentation, DV_LOADER_DURATION);
  g_clear_error (&local);
  if (!dv_presentation_parse (&setup.presentation, dv_workbench_default_presentation, &local))
    g_ptr_array_add (problems, g_strdup (local->message));
  g_clear_error (&local);
  if (o->presentation != NULL)
    {
      DvPresentation p = setup.presentation;
      if (dv_presentation_parse (&p, o->presentation, &local)
          && dv_presentation_validate (&p, &local))
        setup.presentation = p;
      else
        g_ptr_array_add (problems, g_strdup_printf ("Presentation settings ignored: %s",
                                                    local->message));
    }

  DvWorkbench *wb = g_new0 (DvWorkbench, 1);
  wb->window = window;
  wb->engine = dv_engine_thread_new (&setup, NULL, on_engine_news, wb);
  dv_dataset_unref (setup.dataset);
  dv_wb_window_set_n_samples (window, dv_engine_thread_n_samples (wb->engine));
  g_signal_connect (window, "compute", G_CALLBACK (on_compute), wb);
  g_signal_connect (window, "select-sample", G_CALLBACK (on_select_sample), wb);
  g_signal_connect (window, "open-checkpoint", G_CALLBACK (on_open_checkpoint), wb);
  g_signal_connect (window, "set-parameter", G_CALLBACK (on_set_parameter), wb);
  g_signal_connect (window, "destroy", G_CALLBACK (on_window_destroy), wb);
  for (guint i = 0; i < problems->len; i++)
    dv_wb_window_show_error (window, g_ptr_array_index (problems, i));
  g_ptr_array_unref (problems);
  if (o->autoplay)
    dv_wb_window_set_playing (window, TRUE);
  return wb;
}

DvWbWindow *
dv_workbench_get_window (DvWorkbench *wb)
{
  g_return_val_if_fail (wb != NULL, NULL);
  return wb->window;
}
