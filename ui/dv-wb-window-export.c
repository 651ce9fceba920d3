/* dv-wb-window-export.c — exporting views and choosing files from the window.
 *
 * What this is for: the win.export-view, win.export-all, win.export-dynvision,
 * win.open-checkpoint and win.open-folder actions and the data set menu's folder items (native
 * file choosers), and the export
 * functions the tests and --screenshot use.  Every view is written by the
 * plot/ export helpers: the image, a CSV of exactly the plotted data and a
 * JSON of the parameters, each through a temporary file and a rename.
 * What this is not for: rendering (plot/) or loading checkpoints (the owner).
 */
#include "dv-wb-window-private.h"

#include <string.h>

const char *const dv_wb_view_names[] = {
  "responses", "feature-maps", "readout", "probe", "latency", "stimulus", "architecture", NULL,
};

DvPlotView *
dv_wb_window_view_by_name (DvWbWindow *self, const char *name)
{
  DvPlotView *views[] = { self->responses_view, self->fmap_view, self->readout_view,
                          self->probe_view, self->latency_view, self->stimulus_view,
                          dv_architecture_page_get_diagram (self->architecture_page) };
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    if (views[i] != NULL && g_strcmp0 (dv_plot_view_get_name (views[i]), name) == 0)
      return views[i];
  return NULL;
}

gboolean
dv_wb_window_export_view (DvWbWindow *self, const char *name, const char *path, double scale,
                          GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  DvPlotView *view = dv_wb_window_view_by_name (self, name);
  if (view == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no view named “%s”", name);
      return FALSE;
    }
  return dv_plot_view_export (view, path, scale, error);
}

gboolean
dv_wb_window_export_all (DvWbWindow *self, const char *dir, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  static const char *const exts[] = { "png", "svg", "pdf" };
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot create the folder", dir);
      return FALSE;
    }
  for (int i = 0; dv_wb_view_names[i] != NULL; i++)
    for (guint k = 0; k < G_N_ELEMENTS (exts); k++)
      {
        g_autofree char *file = g_strdup_printf ("%s.%s", dv_wb_view_names[i], exts[k]);
        g_autofree char *path = g_build_filename (dir, file, NULL);
        if (!dv_wb_window_export_view (self, dv_wb_view_names[i], path, k == 0 ? 2 : 1, error))
          return FALSE;
      }
  return TRUE;
}

/* ---- file choosers ------------------------------------------------------------------ */

typedef struct {
  DvWbWindow *self;
  char *view;   /* export-view: which view; NULL for the others */
  DvWbChooser kind;
} ChooserData;

static void
on_chooser_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  ChooserData *d = user_data;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      g_autoptr (GError) error = NULL;
      if (path == NULL)
        dv_wb_window_show_error (d->self, "Only local files can be used.");
      else if (d->kind == DV_WB_CHOOSE_EXPORT_VIEW)
        {
          if (!dv_wb_window_export_view (d->self, d->view, path, 2, &error))
            dv_wb_window_show_error (d->self, error->message);
        }
      else if (d->kind == DV_WB_CHOOSE_EXPORT_ALL)
        {
          if (!dv_wb_window_export_all (d->self, path, &error))
            dv_wb_window_show_error (d->self, error->message);
        }
      else if (d->kind == DV_WB_CHOOSE_EXPORT_DYNVISION)
        dv_wb_window_export_dynvision (d->self, path);
      else if (d->kind == DV_WB_CHOOSE_CIFAR_FOLDER)
        {
          g_autofree char *spec = NULL;
          g_autofree char *t10 = g_build_filename (path, "test_batch.bin", NULL);
          g_autofree char *t100 = g_build_filename (path, "test.bin", NULL);
          if (g_file_test (t10, G_FILE_TEST_EXISTS))
            spec = g_strdup_printf ("cifar10:%s", path);
          else if (g_file_test (t100, G_FILE_TEST_EXISTS))
            spec = g_strdup_printf ("cifar100:%s", path);
          if (spec != NULL)
            g_signal_emit_by_name (d->self, "open-dataset", spec);
          else
            dv_wb_window_show_error (d->self, "That folder has no CIFAR test batch "
                                              "(test_batch.bin for CIFAR-10, test.bin for "
                                              "CIFAR-100).");
        }
      else if (d->kind == DV_WB_CHOOSE_CHECKPOINT)
        g_signal_emit_by_name (d->self, "open-checkpoint", path);
      else
        dv_wb_window_open_file (d->self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_free (d->view);
  g_free (d);
}

void
dv_wb_window_run_chooser (DvWbWindow *self, DvWbChooser kind, const char *view)
{
  static const char *const titles[] = { "Export View", "Export All Views to a Folder",
                                        "Open a Checkpoint or a Model Description",
                                        "Open a Stimulus Folder (one sub-folder per class)",
                                        "Open a Folder of CIFAR Batches",
                                        "Export for DynVision (a new folder for model.py and weights.pt)" };
  static const GtkFileChooserAction actions[] = { GTK_FILE_CHOOSER_ACTION_SAVE,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  GTK_FILE_CHOOSER_ACTION_OPEN,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  GTK_FILE_CHOOSER_ACTION_SAVE };
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (titles[kind], GTK_WINDOW (self),
                                                              actions[kind], NULL, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  if (kind == DV_WB_CHOOSE_EXPORT_VIEW)
    {
      g_autofree char *name = g_strdup_printf ("%s.png", view);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
      static const char *const patterns[][2] = { { "PNG image", "*.png" }, { "SVG drawing", "*.svg" },
                                                 { "PDF document", "*.pdf" } };
      for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
        {
          GtkFileFilter *filter = gtk_file_filter_new ();
          gtk_file_filter_set_name (filter, patterns[i][0]);
          gtk_file_filter_add_pattern (filter, patterns[i][1]);
          gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
          g_object_unref (filter);
        }
    }
  else if (kind == DV_WB_CHOOSE_EXPORT_DYNVISION)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "dynvision-export");
  else if (kind == DV_WB_CHOOSE_CHECKPOINT)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, "Checkpoints and model descriptions (*.safetensors, *.pt, *.pth, *.ckpt, "
                                        "*.json)");
      static const char *const patterns[] = { "*.safetensors", "*.pt", "*.pth", "*.ckpt" };
      for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
        gtk_file_filter_add_pattern (filter, patterns[i]);
      gtk_file_filter_add_pattern (filter, "*.json");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
      g_object_unref (filter);
    }
  ChooserData *d = g_new0 (ChooserData, 1);
  d->self = self;
  d->view = g_strdup (view);
  d->kind = kind;
  g_signal_connect (dialog, "response", G_CALLBACK (on_chooser_response), d);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_export_view (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  const char *view = g_variant_get_string (param, NULL);
  if (dv_wb_window_view_by_name (user_data, view) != NULL)
    dv_wb_window_run_chooser (user_data, DV_WB_CHOOSE_EXPORT_VIEW, view);
}

static void
action_export_all (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  dv_wb_window_run_chooser (user_data, DV_WB_CHOOSE_EXPORT_ALL, NULL);
}

static void
action_export_dynvision (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  dv_wb_window_run_chooser (user_data, DV_WB_CHOOSE_EXPORT_DYNVISION, NULL);
}

void
dv_wb_window_export_dynvision (DvWbWindow *self, const char *dir)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && dir != NULL);
  g_signal_emit_by_name (self, "export-dynvision", dir);
}

static void
action_open_checkpoint (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  dv_wb_window_run_chooser (user_data, DV_WB_CHOOSE_CHECKPOINT, NULL);
}

static void
action_open_folder (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  dv_wb_window_run_chooser (user_data, DV_WB_CHOOSE_IMAGE_FOLDER, NULL);
}

void
dv_wb_window_install_export_actions (DvWbWindow *self)
{
  static const GActionEntry entries[] = {
    { .name = "export-view", .activate = action_export_view, .parameter_type = "s" },
    { .name = "export-all", .activate = action_export_all },
    { .name = "export-dynvision", .activate = action_export_dynvision },
    { .name = "open-checkpoint", .activate = action_open_checkpoint },
    { .name = "open-folder", .activate = action_open_folder },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
}
