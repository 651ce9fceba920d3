/* dv-wb-window-actions.c — every win.* action of the window, installed in
 * its class_init, and the file dialogs and dropped files they lead to.
 *
 *   win.open (Ctrl+O)            a checkpoint, model description or project
 *   win.open-folder              a stimulus folder (one sub-folder per class)
 *   win.open-cifar-folder        a folder of CIFAR batches
 *   win.open-dataset (s)         a data set by spec (the live view's menu)
 *   win.export-view (s), win.export-shown (Ctrl+E: the view clicked last, or the
 *                                diagram), win.export-all (Ctrl+Shift+E)
 *   win.export-dynvision         model.py + weights.pt for DynVision
 *   win.load-plugin              a model plugin (.so) for the Architecture page
 *   win.show-editor (b)          the Architecture page or the live view
 *   win.dismiss-banner
 * The training actions (win.train-*, projects, checkpoints) are the training
 * panel's (dv-wb-window-train.c); the keys are in the one table, ui/dv-accels.c,
 * all listed in gtk/help-overlay.ui.
 * What this is for: what the window's menu items and keys do.  What it is
 * not for: exporting (dv-wb-window-export.c) or loading anything (the owner,
 * through ::open-checkpoint / ::open-dataset).
 */
#include "dv-wb-window-private.h"
#include "dv-wb-window-train.h"
#include "dv-checkpoint.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* cifar10 / cifar100 when dir holds CIFAR binary batches, else NULL. */
static const char *
cifar_kind (const char *dir)
{
  static const struct { const char *file, *kind; } probes[] = {
    { "test_batch.bin", "cifar10" }, { "data_batch_1.bin", "cifar10" },
    { "test.bin", "cifar100" }, { "train.bin", "cifar100" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_autofree char *p = g_build_filename (dir, probes[i].file, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return probes[i].kind;
    }
  return NULL;
}

char *
dv_wb_window_folder_spec (const char *dir)
{
  const char *kind = cifar_kind (dir);
  return g_strdup_printf ("%s:%s", kind ? kind : "folder", dir);
}

void
dv_wb_window_refuse_nonlocal (DvWbWindow *self)
{
  dv_wb_window_show_error (self, _("That file is not on this computer (it is on a network place or in another program). Copy it into a local folder first, then open it from there."));
}

gboolean
dv_wb_window_open_file (DvWbWindow *self, GFile *file)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self) && G_IS_FILE (file), FALSE);
  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    {
      dv_wb_window_refuse_nonlocal (self);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *spec = dv_wb_window_folder_spec (path);
      g_signal_emit_by_name (self, "open-dataset", spec);
      return TRUE;
    }
  if (g_str_has_suffix (path, ".dvproj.json") && g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      dv_wb_window_open_project (self, path);
      return TRUE;
    }
  if ((dv_checkpoint_path_is_supported (path) || g_str_has_suffix (path, ".json"))
      && g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_signal_emit_by_name (self, "open-checkpoint", path);
      return TRUE;
    }
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *msg = g_strdup_printf ("Cannot open “%s”: drop a checkpoint (.safetensors, .pt, .pth, .ckpt), a "
                                          "model description (.json), a project (.dvproj.json), "
                                          "a folder of images (one sub-folder per class) or a "
                                          "folder of CIFAR batches.", base);
  dv_wb_window_show_error (self, msg);
  return FALSE;
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, DvWbWindow *self)
{
  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;
  return dv_wb_window_open_file (self, g_value_get_object (value));
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
        dv_wb_window_refuse_nonlocal (d->self);
      else if (d->kind == DV_WB_CHOOSE_EXPORT_VIEW)
        {
          if (!dv_wb_window_export_view (d->self, d->view, path, 2, &error))
            dv_wb_window_show_error (d->self, error->message);
          else
            {
              g_autofree char *msg = g_strdup_printf (_("Exported %s, with its data (.csv) and settings (.json)"),
                                                      path);
              dv_wb_window_show_toast (d->self, msg);
            }
        }
      else if (d->kind == DV_WB_CHOOSE_EXPORT_ALL)
        {
          if (!dv_wb_window_export_all (d->self, path, &error))
            dv_wb_window_show_error (d->self, error->message);
          else
            {
              g_autofree char *msg = g_strdup_printf (_("Exported every view to %s (PNG, SVG, PDF, CSV, JSON)"),
                                                      path);
              dv_wb_window_show_toast (d->self, msg);
            }
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
            dv_wb_window_show_error (d->self, _("That folder has no CIFAR test batch "
                                                "(test_batch.bin for CIFAR-10, test.bin for "
                                                "CIFAR-100)."));
        }
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
  static const char *const titles[] = { N_("Export View"), N_("Export All Views to a Folder"),
                                        N_("Open a Checkpoint, a Model Description or a Project"),
                                        N_("Open a Stimulus Folder (one sub-folder per class)"),
                                        N_("Open a Folder of CIFAR Batches"),
                                        N_("Export for DynVision (a new folder for model.py and weights.pt)") };
  static const GtkFileChooserAction actions[] = { GTK_FILE_CHOOSER_ACTION_SAVE,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  GTK_FILE_CHOOSER_ACTION_OPEN,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  GTK_FILE_CHOOSER_ACTION_SAVE };
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_(titles[kind]), GTK_WINDOW (self),
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
      gtk_file_filter_set_name (filter, _("Checkpoints, model descriptions and projects (*.safetensors, *.pt, *.pth, *.ckpt, "
                                          "*.json, *.dvproj.json)"));
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
action_export_view (GtkWidget *user_data, const char *name, GVariant *param)
{
  const char *view = g_variant_get_string (param, NULL);
  if (dv_wb_window_view_by_name (DV_WB_WINDOW (user_data), view) != NULL)
    dv_wb_window_run_chooser (DV_WB_WINDOW (user_data), DV_WB_CHOOSE_EXPORT_VIEW, view);
}

static void
action_export_all (GtkWidget *user_data, const char *name, GVariant *param)
{
  dv_wb_window_run_chooser (DV_WB_WINDOW (user_data), DV_WB_CHOOSE_EXPORT_ALL, NULL);
}

static void
action_export_dynvision (GtkWidget *user_data, const char *name, GVariant *param)
{
  dv_wb_window_run_chooser (DV_WB_WINDOW (user_data), DV_WB_CHOOSE_EXPORT_DYNVISION, NULL);
}

void
dv_wb_window_export_dynvision (DvWbWindow *self, const char *dir)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && dir != NULL);
  g_signal_emit_by_name (self, "export-dynvision", dir);
}


static void
action_open_folder (GtkWidget *user_data, const char *name, GVariant *param)
{
  dv_wb_window_run_chooser (DV_WB_WINDOW (user_data), DV_WB_CHOOSE_IMAGE_FOLDER, NULL);
}

static void
action_dismiss (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->note, g_free);
}

static void
action_show_editor (GtkWidget *widget, const char *name, GVariant *param)
{
  dv_wb_window_show_editor (DV_WB_WINDOW (widget), g_variant_get_boolean (param));
}

static void
on_plugin_response (GtkNativeDialog *dialog, int response, DvWbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        dv_wb_window_load_plugin (self, path, NULL);
    }
  g_object_unref (dialog);
}

static void
action_load_plugin (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Load Model Plugin"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Load"),
                                                              _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Shared modules (*.so)"));
  gtk_file_filter_add_pattern (filter, "*.so");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_plugin_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_open (GtkWidget *widget, const char *name, GVariant *param)
{
  dv_wb_window_run_chooser (DV_WB_WINDOW (widget), DV_WB_CHOOSE_CHECKPOINT, NULL);
}

/* Ctrl+E: the diagram on the Architecture page, else the view clicked last. */
static void
action_export_shown (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  gboolean arch = g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "architecture") == 0;
  dv_wb_window_run_chooser (self, DV_WB_CHOOSE_EXPORT_VIEW,
                            arch ? "architecture" : dv_live_page_get_current_view (self->live_page));
}

static void
action_open_cifar_folder (GtkWidget *widget, const char *name, GVariant *param)
{
  dv_wb_window_run_chooser (DV_WB_WINDOW (widget), DV_WB_CHOOSE_CIFAR_FOLDER, NULL);
}

static void
action_open_dataset (GtkWidget *widget, const char *name, GVariant *param)
{
  g_signal_emit_by_name (widget, "open-dataset", g_variant_get_string (param, NULL));
}

void
dv_wb_window_class_init_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.open", NULL, action_open);
  gtk_widget_class_install_action (klass, "win.open-checkpoint", NULL, action_open);
  gtk_widget_class_install_action (klass, "win.open-folder", NULL, action_open_folder);
  gtk_widget_class_install_action (klass, "win.open-cifar-folder", NULL, action_open_cifar_folder);
  gtk_widget_class_install_action (klass, "win.open-dataset", "s", action_open_dataset);
  gtk_widget_class_install_action (klass, "win.export-view", "s", action_export_view);
  gtk_widget_class_install_action (klass, "win.export-all", NULL, action_export_all);
  gtk_widget_class_install_action (klass, "win.export-shown", NULL, action_export_shown);
  gtk_widget_class_install_action (klass, "win.export-dynvision", NULL, action_export_dynvision);
  gtk_widget_class_install_action (klass, "win.load-plugin", NULL, action_load_plugin);
  gtk_widget_class_install_action (klass, "win.show-editor", "b", action_show_editor);
  gtk_widget_class_install_action (klass, "win.dismiss-banner", NULL, action_dismiss);
}

void
dv_wb_window_init_actions (DvWbWindow *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}
