/* dv-wb-application.c — the application object and its command line.
 *
 * What this is for: parsing the options, opening one workbench window per
 * invocation, the app.about / app.quit actions, and the unattended modes
 * --screenshot FILE.png and --export-all DIR, which run N timesteps, put the
 * cursor on the last of them, wait for the frame that draws it, render, and
 * quit; and --measure (dv-measure.c); --version; the settings (dv-wb-settings.c)
 * an interactive window starts from (history memory, last data set) and keeps.
 * What this is not for: anything the window or the session already does.
 */
#include "dv-wb-application.h"
#include "dv-accels.h"

#include <glib/gi18n-lib.h>

#include "dv-config.h"
#include "dv-wb-data-resources.h"
#include "dv-wb-settings.h"

#include "dv-measure.h"
#include "dv-plugin.h"
#include "dv-ui.h"
#include "dv-wb-window-train.h"
#include "dv-workbench.h"
#include "dv-engine-thread-train.h"

struct _DvWbApplication {
  GtkApplication parent_instance;
  int status;
  GSettings *settings;   /* NULL: no schema, nothing remembered */
};

G_DEFINE_FINAL_TYPE (DvWbApplication, dv_wb_application, GTK_TYPE_APPLICATION)

/* An unattended run: wait until `steps` are shown, then render and quit. */
typedef struct {
  DvWbApplication *app;
  DvWbWindow *window;
  char *screenshot;
  char *export_dir;
  int steps;
  int train_rows;     /* --train: wait for this many heatmap rows (epochs + 1); 0: none */
  gint64 started;
} Unattended;

static void
unattended_finish (Unattended *u, const char *error)
{
  if (error != NULL)
    {
      g_printerr (_("dynvision-workbench: %s\n"), error);
      u->app->status = 1;
    }
  gtk_window_destroy (GTK_WINDOW (u->window));
  g_free (u->screenshot);
  g_free (u->export_dir);
  g_free (u);
}

/* The frame that shows the cursor at the last step has been drawn. */
static void
unattended_rendered (GObject *source, GAsyncResult *result, gpointer data)
{
  Unattended *u = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = dv_ui_render_widget_finish (GTK_WIDGET (source), result,
                                                               &error);
  if (texture == NULL)
    {
      unattended_finish (u, error->message);
      return;
    }
  if (u->screenshot != NULL && !gdk_texture_save_to_png (texture, u->screenshot))
    {
      g_autofree char *msg = g_strdup_printf ("%s: cannot write the PNG", u->screenshot);
      unattended_finish (u, msg);
      return;
    }
  if (u->export_dir != NULL && !dv_wb_window_export_all (u->window, u->export_dir, &error))
    {
      unattended_finish (u, error->message);
      return;
    }
  if (u->screenshot != NULL)
    g_printerr (_("wrote %s\n"), u->screenshot);
  if (u->export_dir != NULL)
    {
      /* say what was written: each view as PNG (scale 2), SVG and PDF, with its CSV and JSON */
      int n = 0;
      for (int i = 0; dv_wb_view_names[i] != NULL; i++)
        n++;
      g_printerr (_("wrote %d views into %s: "), n, u->export_dir);
      for (int i = 0; dv_wb_view_names[i] != NULL; i++)
        g_printerr ("%s%s.{png,svg,pdf,csv,json}", i ? ", " : "", dv_wb_view_names[i]);
      g_printerr ("\n");
    }
  unattended_finish (u, NULL);
}

static gboolean
unattended_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Unattended *u = data;
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (u->window));
  const char *banner = dv_wb_window_get_error (u->window);
  if (banner != NULL)
    {
      g_autofree char *msg = g_strdup_printf ("the workbench reported: %s", banner);
      unattended_finish (u, msg);
      return G_SOURCE_REMOVE;
    }
  if (u->train_rows > 0 && dv_training_panel_get_rows (dv_wb_window_get_training_panel (u->window)) < u->train_rows)
    {
      DvWbTrainState st = dv_training_panel_get_state (dv_wb_window_get_training_panel (u->window));
      if (st == DV_WB_TRAIN_FAILED || st == DV_WB_TRAIN_STOPPED)
        {
          unattended_finish (u, "training did not run to the epochs asked for");
          return G_SOURCE_REMOVE;
        }
      if (g_get_monotonic_time () - u->started > 1800 * G_USEC_PER_SEC)
        {
          unattended_finish (u, "timed out waiting for the training epochs");
          return G_SOURCE_REMOVE;
        }
      return G_SOURCE_CONTINUE;
    }
  if (u->train_rows <= 0 && g_get_monotonic_time () - u->started > 120 * G_USEC_PER_SEC)
    {
      unattended_finish (u, "timed out waiting for the timesteps");
      return G_SOURCE_REMOVE;
    }
  int want = MIN (u->steps, h->T) - 1;
  if (h->T == 0 || h->head < want || dv_live_page_get_cursor (dv_wb_window_get_live_page (u->window)) != want)
    {
      if (h->T > 0)
        dv_live_page_seek (dv_wb_window_get_live_page (u->window), want);
      return G_SOURCE_CONTINUE;
    }
  dv_ui_render_widget_async (GTK_WIDGET (u->window), unattended_rendered, u);
  return G_SOURCE_REMOVE;
}

static void
measure_done (const DvMeasureResult *result, const char *error, gpointer user_data)
{
  DvWbApplication *self = user_data;
  if (error != NULL)
    {
      g_printerr (_("dynvision-workbench: --measure: %s\n"), error);
      self->status = 1;
      return;
    }
  const DvMeasureResult *r = result;
  g_print ("dynvision-workbench --measure: engine flat out, %g s per phase, headless and with "
           "the window alternating twice\n", r->seconds);
  g_print ("  headless     %8.1f steps/s  (%.1f, %.1f); %.1f steps per engine CPU second\n",
           r->headless_steps_per_s, r->headless_each[0], r->headless_each[1],
           r->headless_cpu_steps_per_s);
  g_print ("  with window  %8.1f steps/s  (%.1f, %.1f) = %.1f %% of headless (bar: 90 %%); "
           "%.1f per engine CPU second = %.1f %%\n", r->ui_steps_per_s, r->ui_each[0],
           r->ui_each[1], 100 * r->ratio, r->ui_cpu_steps_per_s, 100 * r->cpu_ratio);
  g_print ("  main thread  %.0f %% of a core while the window follows the engine\n",
           100 * r->main_thread_share);
  g_print ("  main loop    %d frames: longest %.1f ms (bar: 50 ms), 99th percentile %.1f ms, "
           "median %.1f ms\n", r->n_frames, r->frame_max_ms, r->frame_p99_ms,
           r->frame_median_ms);
  g_print ("               most main-thread CPU between two frames %.1f ms; longest "
           "engine-news batch %.1f ms\n", r->frame_cpu_max_ms, r->news_max_ms);
  g_print ("  news         %" G_GUINT64_FORMAT " engine callbacks taken in by %" G_GUINT64_FORMAT
           " history syncs (at most one a frame)\n", r->n_news, r->n_syncs);
}

/* --view, --edit PATH=VALUE and --apply: the architecture editor as if used
 * by hand (a refused value shows its message on the field).  FALSE, with the
 * message, when an edit is refused: the command then exits non-zero and
 * nothing is applied — unless `refused` is given (a --screenshot of the
 * editor without --apply, to show the refusal): then the messages are
 * appended to it and the refused values stay on their fields, as typed. */
static gboolean
edit_architecture (DvWbWindow *window, const char *view, const char *const *edits, gboolean apply,
                   GString *refused, GError **error)
{
  if (view != NULL)
    dv_wb_window_show_editor (window, g_str_equal (view, "architecture"));
  for (int i = 0; edits != NULL && edits[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (edits[i], "=", 2);
      if (kv[0] == NULL || kv[1] == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--edit %s: write PATH=VALUE, e.g. V1.tau=20"), edits[i]);
          return FALSE;
        }
      GError *local = NULL;
      if (!dv_architecture_page_set_field (dv_wb_window_get_architecture_page (window), kv[0], kv[1], &local))
        {
          g_prefix_error (&local, _("--edit %s: "), edits[i]);
          if (refused == NULL || apply)
            {
              g_propagate_error (error, local);
              return FALSE;
            }
          g_string_append_printf (refused, "%s\n", local->message);
          g_error_free (local);
        }
    }
  if (apply)
    gtk_widget_activate_action (GTK_WIDGET (dv_wb_window_get_architecture_page (window)), "arch.apply", NULL);
  return TRUE;
}

static int
dv_wb_application_command_line (GApplication *gapp, GApplicationCommandLine *cmdline)
{
  DvWbApplication *self = DV_WB_APPLICATION (gapp);
  GVariantDict *opts = g_application_command_line_get_options_dict (cmdline);
  const char *screenshot = NULL, *export_dir = NULL, *dataset = NULL, *model_spec = NULL;
  const char **files = NULL, **presentation = NULL, **train = NULL;
  int train_wait = 0;
  gint64 seed = 0;
  int steps = -1, sample = 0, history_mb = 0;
  double measure = -1;
  g_variant_dict_lookup (opts, "screenshot", "^&ay", &screenshot);
  g_variant_dict_lookup (opts, "export-all", "^&ay", &export_dir);
  g_variant_dict_lookup (opts, "dataset", "&s", &dataset);
  g_variant_dict_lookup (opts, "model", "&s", &model_spec);
  g_variant_dict_lookup (opts, "steps", "i", &steps);
  g_variant_dict_lookup (opts, "sample", "i", &sample);
  gboolean seed_given = g_variant_dict_lookup (opts, "seed", "x", &seed);
  gboolean fresh = FALSE;
  g_variant_dict_lookup (opts, "fresh", "b", &fresh);
  gboolean history_given = g_variant_dict_lookup (opts, "history-mb", "i", &history_mb);
  g_variant_dict_lookup (opts, "measure", "d", &measure);
  g_variant_dict_lookup (opts, G_OPTION_REMAINING, "^a&ay", &files);
  g_variant_dict_lookup (opts, "presentation", "^a&s", &presentation);
  g_variant_dict_lookup (opts, "train", "^a&s", &train);
  g_variant_dict_lookup (opts, "train-wait", "i", &train_wait);
  const char *view = NULL;
  const char **edits = NULL;
  gboolean apply = FALSE;
  g_variant_dict_lookup (opts, "view", "&s", &view);
  g_variant_dict_lookup (opts, "edit", "^a&s", &edits);
  g_variant_dict_lookup (opts, "apply", "b", &apply);
  const char **plugins = NULL;
  g_variant_dict_lookup (opts, "plugin", "^a&ay", &plugins);
  for (int i = 0; plugins != NULL && plugins[i] != NULL; i++)
    {
      /* before any model is built: a checkpoint or project may need the plugin's presets */
      g_autoptr (GFile) pf = g_application_command_line_create_file_for_arg (cmdline, plugins[i]);
      g_autofree char *ppath = g_file_get_path (pf);
      g_autoptr (GError) perr = NULL;
      if (dv_plugin_load (ppath, &perr) == NULL)
        {
          g_application_command_line_printerr (cmdline, _("dynvision-workbench: --plugin: %s\n"),
                                               perr->message);
          g_free (plugins);
          g_free (files);
          g_free (presentation);
          g_free (train);
          g_free (edits);
          return 2;
        }
    }
  g_free (plugins);

  g_autofree char *checkpoint = NULL;
  if (files != NULL && files[0] != NULL)
    {
      g_autoptr (GFile) f = g_application_command_line_create_file_for_arg (cmdline, files[0]);
      checkpoint = g_file_get_path (f);
    }
  if (history_mb < 0 || history_mb > 1 << 20)
    {
      g_application_command_line_printerr (cmdline, _("dynvision-workbench: --history-mb must be "
                                           "between 0 (the default, %d) and %d\n"),
                                           (int) (DV_WORKBENCH_DEFAULT_HISTORY_BYTES >> 20),
                                           1 << 20);
      g_free (files);
      g_free (presentation);
      return 2;
    }
  if (train != NULL)
    {
      /* the same parser as the panel's Start, before a window exists */
      DvTrainSettings check;
      dv_train_settings_init_defaults (&check);
      g_autoptr (GError) terr = NULL;
      gboolean ok = dv_train_settings_parse (&check, train, &terr);
      dv_train_settings_clear (&check);
      if (!ok)
        {
          g_application_command_line_printerr (cmdline, _("dynvision-workbench: --train: %s\n"), terr->message);
          g_free (files);
          g_free (presentation);
          g_free (train);
          g_free (edits);
          return 2;
        }
    }
  gboolean unattended = screenshot != NULL || export_dir != NULL;
  /* An unattended run (--screenshot, --export-all, --measure) depends on its
   * command line alone; an interactive one starts where the last one left. */
  gboolean remember = self->settings != NULL && !unattended && measure < 0;
  g_autofree char *last_dataset = NULL;
  if (remember && !history_given)
    history_mb = g_settings_get_int (self->settings, "history-mb");
  if (remember && dataset == NULL)
    {
      last_dataset = g_settings_get_string (self->settings, "last-dataset");
      if (last_dataset[0] != '\0')
        dataset = last_dataset;
    }
  if (remember && checkpoint != NULL)
    dv_wb_settings_add_recent (self->settings, g_str_has_suffix (checkpoint, ".dvproj.json")
                               ? "recent-projects" : "recent-checkpoints", checkpoint);
  /* a project opens as from the menu, once the window is up: not as a checkpoint */
  const char *project = checkpoint != NULL && g_str_has_suffix (checkpoint, ".dvproj.json") ? checkpoint : NULL;
  DvWorkbenchOptions o = {
    .checkpoint = project != NULL ? NULL : checkpoint,
    .model_spec = model_spec,
    .dataset = dataset,
    .history_bytes = (gsize) history_mb << 20,
    .sample = sample,
    .seed = (guint64) seed,
    .trained_default = !fresh && !seed_given,
    .presentation = presentation,
    .autoplay = !unattended && steps < 0,
  };
  if (measure >= 0)
    {
      dv_measure_start (GTK_APPLICATION (self), &o, measure, measure_done, self);
      g_free (files);
      g_free (presentation);
      return 0;
    }
  g_autoptr (GError) error = NULL;
  DvWorkbench *wb = dv_workbench_new (GTK_APPLICATION (self), &o, &error);
  g_free (files);
  g_free (presentation);
  if (wb == NULL)
    g_free (train);
  if (wb == NULL)
    {
      g_application_command_line_printerr (cmdline, _("dynvision-workbench: %s\n"), error->message);
      return 1;
    }
  DvWbWindow *window = dv_workbench_get_window (wb);
  if (remember)
    dv_wb_settings_attach (self->settings, window, TRUE);
  gtk_window_present (GTK_WINDOW (window));
  if (project != NULL)
    dv_wb_window_open_project (window, project);
  g_autoptr (GString) refused = g_string_new (NULL);
  gboolean edited = edit_architecture (window, view, edits, apply, screenshot ? refused : NULL, &error);
  g_free (edits);
  if (refused->len > 0)
    g_application_command_line_printerr (cmdline, _("dynvision-workbench: refused, left on its field for the "
                                                     "screenshot: %s"), refused->str);
  if (edited && train != NULL && dv_training_panel_set_settings (dv_wb_window_get_training_panel (window), train, &error))
    gtk_widget_activate_action (GTK_WIDGET (dv_wb_window_get_training_panel (window)), "train.start", NULL);
  if (error != NULL)
    {
      /* a refused command-line value: say so and exit non-zero, running nothing */
      g_application_command_line_printerr (cmdline, _("dynvision-workbench: %s\n"), error->message);
      gtk_window_destroy (GTK_WINDOW (window));
      g_free (train);
      return 2;
    }
  if (steps > 0)
    dv_live_page_seek (dv_wb_window_get_live_page (window), steps - 1);
  if (unattended)
    {
      Unattended *u = g_new0 (Unattended, 1);
      u->app = self;
      u->window = window;
      u->screenshot = g_strdup (screenshot);
      u->export_dir = g_strdup (export_dir);
      u->steps = steps > 0 ? steps : G_MAXINT;
      u->train_rows = train != NULL ? 1 + MAX (train_wait, 1) : 0;
      u->started = g_get_monotonic_time ();
      if (steps <= 0)
        dv_live_page_seek (dv_wb_window_get_live_page (window), G_MAXINT);
      gtk_widget_add_tick_callback (GTK_WIDGET (window), unattended_tick, u, NULL);
    }
  g_free (train);
  return 0;
}

static void
action_about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  const char *authors[] = { _("The DynVision Workbench developers"), NULL };
  /* the icon comes from the GResource (dv_wb_data), found installed or not */
  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("DynVision Workbench"),
                         "logo-icon-name", "org.dynvision.Workbench",
                         "version", DV_VERSION,
                         "comments", _("Watch every layer of a recurrent convolutional network "
                                       "respond to a stimulus, timestep by timestep."),
                         "license-type", GTK_LICENSE_MIT_X11,
                         "authors", authors,
                         NULL);
}

static void
action_quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  GList *windows = gtk_application_get_windows (app);
  while (windows != NULL)
    {
      GtkWindow *w = windows->data;
      windows = windows->next;
      /* close, not destroy: a window with unsaved changes asks first */
      gtk_window_close (w);
    }
}

/* --version: answered before any display is opened. */
static int
dv_wb_application_handle_local_options (GApplication *gapp, GVariantDict *opts)
{
  if (g_variant_dict_contains (opts, "version"))
    {
      g_print ("dynvision-workbench %s\n", DV_VERSION);
      return 0;
    }
  return -1;
}

static void
dv_wb_application_dispose (GObject *object)
{
  g_clear_object (&DV_WB_APPLICATION (object)->settings);
  G_OBJECT_CLASS (dv_wb_application_parent_class)->dispose (object);
}

static void
dv_wb_application_startup (GApplication *gapp)
{
  DvWbApplication *self = DV_WB_APPLICATION (gapp);
  /* the icons, before GtkApplication adds its resource path to the icon theme */
  dv_wb_data_register_resource ();
  /* GtkApplication's startup finds gtk/help-overlay.ui in the resources */
  dv_ui_register_resources ();
  G_APPLICATION_CLASS (dv_wb_application_parent_class)->startup (gapp);
  self->settings = dv_wb_settings_new ();
  if (self->settings == NULL)
    g_message (_("The settings schema %s is not installed: the window's size, recent files "
                 "and last data set are not remembered."), DV_WB_SETTINGS_SCHEMA);
  dv_ui_init ();
  static const GActionEntry entries[] = {
    { .name = "about", .activate = action_about },
    { .name = "quit", .activate = action_quit },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (gapp), entries, G_N_ELEMENTS (entries), gapp);
  dv_accels_install (GTK_APPLICATION (gapp));
  gtk_window_set_default_icon_name ("org.dynvision.Workbench");
}

static void
dv_wb_application_class_init (DvWbApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = dv_wb_application_dispose;
  app_class->handle_local_options = dv_wb_application_handle_local_options;
  app_class->command_line = dv_wb_application_command_line;
  app_class->startup = dv_wb_application_startup;
}

static void
dv_wb_application_init (DvWbApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and quit"), NULL },
    { "sample", 0, 0, G_OPTION_ARG_INT, NULL, N_("First stimulus (index in the data set)"), "N" },
    { "fresh", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Start with the CustomRCNN preset's fresh (untrained) weights instead of the trained CustomRCNN"), NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, NULL, N_("Weight seed of the fresh preset (0; implies --fresh)"), "SEED" },
    { "model", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The checkpoint's model where it does not say: \"PRESET key=value …\", DESC.json or a checkpoint of ours"), "SPEC" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Stimulus set: embedded, mnist, cifar10, folder:DIR, … (embedded)"), "SPEC" },
    { "presentation", 'p', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("Presentation setting, e.g. stimulus_duration=6 (repeatable)"), "KEY=VALUE" },
    { "steps", 0, 0, G_OPTION_ARG_INT, NULL, N_("Run this many timesteps and stop there"), "N" },
    { "history-mb", 0, 0, G_OPTION_ARG_INT, NULL,
      N_("Memory for recorded frames (input and feature maps), in MB, both copies together "
      "(512); older frames are dropped beyond it"), "MB" },
    { "measure", 0, 0, G_OPTION_ARG_DOUBLE, NULL,
      N_("Measure the engine's steps/s headless and with the window, and the longest "
      "main-loop frame, SECONDS per phase (4 phases); print them and quit"), "SECONDS" },
    { "train", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("Start training with this setting (repeatable; the names, defaults and ranges of "
      "`dynvision train --help`: epochs=5 batch=32 lr=2e-4 train-samples=0 …)"), "KEY=VALUE" },
    { "train-wait", 0, 0, G_OPTION_ARG_INT, NULL,
      N_("With --train and --screenshot: render once this many epochs are done (1)"), "N" },
    { "view", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Open on this page: live (default) or architecture"),
      "PAGE" },
    { "edit", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("Edit the architecture as typed in the editor, e.g. --edit V1.tau=20"), "PATH=VALUE" },
    { "apply", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Apply the --edit changes to the running model"), NULL },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL,
      N_("Load a model plugin first (repeatable); its models join the presets"), "PATH.so" },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Render the window to a PNG after --steps timesteps, then quit"), "FILE.png" },
    { "export-all", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Export every view (PNG, SVG, PDF, CSV, JSON) after --steps timesteps, then quit"), "DIR" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL, NULL },
    { NULL },
  };
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[CHECKPOINT (.safetensors, .pt, .pth, .ckpt) | MODEL.json | PROJECT.dvproj.json]"));
  g_application_set_option_context_summary (G_APPLICATION (self), _(
    "Watch every layer of a recurrent CNN respond to a stimulus, timestep by timestep.\n"
    "Without a checkpoint: the tutorial's CustomRCNN trained on the embedded stimuli "
    "(--fresh: the same model with fresh weights)."));
}

DvWbApplication *
dv_wb_application_new (void)
{
  return g_object_new (DV_TYPE_WB_APPLICATION,
                       "application-id", "org.dynvision.Workbench",
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE,
                       NULL);
}

int
dv_wb_application_get_status (DvWbApplication *self)
{
  g_return_val_if_fail (DV_IS_WB_APPLICATION (self), 1);
  return self->status;
}
