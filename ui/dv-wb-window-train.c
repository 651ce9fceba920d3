/* dv-wb-window-train.c — the window's side of training: the panel under the
 * pages, and the checkpoint and project actions (see dv-wb-window-train.h).
 *
 * What this is for: the win.export-checkpoint, win.save-project(-as),
 * win.open-project and win.show-training actions, installed in the window's
 * class_init, their file choosers, and the panel's requests the window
 * answers (reveal, a divergence to show in the live view, reverting).
 * What this is not for: the panel (dv-training-panel.c), training or saving
 * anything (the owner does, on its engine thread, when the signals ask).
 */
#include "dv-wb-window-private.h"
#include "dv-wb-window-train.h"

#include <glib/gi18n-lib.h>

DvTrainingPanel *
dv_wb_window_get_training_panel (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->training_panel;
}

void
dv_wb_window_show_training (DvWbWindow *self, gboolean show)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  gtk_revealer_set_reveal_child (self->train_revealer, show);
}

/* ---- the panel's requests (connected in the window's template) ----------------------- */

static void
on_panel_reveal (DvTrainingPanel *panel, DvWbWindow *self)
{
  dv_wb_window_show_training (self, TRUE);
}

/* A run diverged: the live view goes to where it appeared. */
static void
on_panel_diverged (DvTrainingPanel *panel, const char *layer, int step, DvWbWindow *self)
{
  DvLivePage *live = self->live_page;
  DvHistory *h = dv_live_page_get_history (live);
  dv_live_page_set_playing (live, FALSE);
  for (int l = 0; l < h->n_layers; l++)
    if (g_str_equal (h->layers[l].name, layer))
      dv_live_page_select_layer (live, l);
  if (step >= 0)
    dv_live_page_seek (live, step);
}

/* A finished run is something a project would keep: closing asks until it is saved. */
static void
on_panel_state (DvTrainingPanel *panel, GParamSpec *pspec, DvWbWindow *self)
{
  DvWbTrainState st = dv_training_panel_get_state (panel);
  if (st == DV_WB_TRAIN_DONE || st == DV_WB_TRAIN_STOPPED)
    self->trained_unsaved = TRUE;
}

static void
on_panel_open_checkpoint (DvTrainingPanel *panel, const char *path, DvWbWindow *self)
{
  g_signal_emit_by_name (self, "open-checkpoint", path);
}

/* ---- a folder to train on ------------------------------------------------------------ */

static void
on_training_folder (GtkNativeDialog *dialog, int response, DvWbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *dir = file != NULL ? g_file_get_path (file) : NULL;
      if (dir != NULL)
        {
          g_autofree char *spec = dv_wb_window_folder_spec (dir);
          dv_training_panel_use_dataset (self->training_panel, spec);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
action_open_training_folder (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileChooserNative *d = gtk_file_chooser_native_new (
    _("Train on a Folder (one sub-folder of images per class, or CIFAR batches)"), GTK_WINDOW (widget),
    GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, NULL, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (d), TRUE);
  g_signal_connect (d, "response", G_CALLBACK (on_training_folder), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

/* ---- files ---------------------------------------------------------------------------- */

typedef enum { CHOOSE_EXPORT_CKPT, CHOOSE_SAVE_PROJECT, CHOOSE_OPEN_PROJECT } Choose;

static void
on_file_chosen (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DvWbWindow *self = g_object_get_data (G_OBJECT (dialog), "window");
  Choose kind = GPOINTER_TO_INT (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      if (path == NULL)
        dv_wb_window_refuse_nonlocal (self);
      else if (kind == CHOOSE_EXPORT_CKPT)
        dv_wb_window_export_checkpoint (self, path);
      else if (kind == CHOOSE_SAVE_PROJECT)
        dv_wb_window_save_project (self, path);
      else
        dv_wb_window_open_project (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose_file (DvWbWindow *self, Choose kind)
{
  static const char *const titles[] = { N_("Export Checkpoint"), N_("Save Project"), N_("Open Project") };
  GtkFileChooserNative *d = gtk_file_chooser_native_new (
    _(titles[kind]), GTK_WINDOW (self),
    kind == CHOOSE_OPEN_PROJECT ? GTK_FILE_CHOOSER_ACTION_OPEN : GTK_FILE_CHOOSER_ACTION_SAVE, NULL, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (d), TRUE);
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, kind == CHOOSE_EXPORT_CKPT ? _("Checkpoints (*.safetensors)")
                                                               : _("Workbench projects (*.dvproj.json)"));
  gtk_file_filter_add_pattern (filter, kind == CHOOSE_EXPORT_CKPT ? "*.safetensors" : "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (d), filter);
  g_object_unref (filter);
  if (kind == CHOOSE_EXPORT_CKPT)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "model.safetensors");
  else if (kind == CHOOSE_SAVE_PROJECT)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "session.dvproj.json");
  g_object_set_data (G_OBJECT (d), "window", self);
  g_signal_connect (d, "response", G_CALLBACK (on_file_chosen), GINT_TO_POINTER (kind));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
action_export_checkpoint (GtkWidget *user_data, const char *name, GVariant *param)
{
  choose_file (DV_WB_WINDOW (user_data), CHOOSE_EXPORT_CKPT);
}

static void
action_save_project (GtkWidget *user_data, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (user_data);
  if (self->project_path != NULL)
    dv_wb_window_save_project (self, self->project_path);
  else
    choose_file (self, CHOOSE_SAVE_PROJECT);
}

static void
action_save_project_as (GtkWidget *user_data, const char *name, GVariant *param)
{
  choose_file (DV_WB_WINDOW (user_data), CHOOSE_SAVE_PROJECT);
}

static void
action_open_project (GtkWidget *user_data, const char *name, GVariant *param)
{
  choose_file (DV_WB_WINDOW (user_data), CHOOSE_OPEN_PROJECT);
}


void
dv_wb_window_export_checkpoint (DvWbWindow *self, const char *path)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && path != NULL);
  g_signal_emit_by_name (self, "export-checkpoint", path);
}

void
dv_wb_window_save_project (DvWbWindow *self, const char *path)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && path != NULL);
  if (g_strcmp0 (self->project_path, path) != 0)
    {
      g_free (self->project_path);
      self->project_path = g_strdup (path);
    }
  self->trained_unsaved = FALSE;
  g_signal_emit_by_name (self, "save-project", path);
}

void
dv_wb_window_open_project (DvWbWindow *self, const char *path)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && path != NULL);
  g_free (self->project_path);
  self->project_path = g_strdup (path);
  self->trained_unsaved = FALSE;
  /* what the banner said was about the session this project replaces */
  gtk_widget_activate_action (GTK_WIDGET (self), "win.dismiss-banner", NULL);
  g_signal_emit_by_name (self, "open-project", path);
}

void
dv_wb_window_class_init_train (GtkWidgetClass *widget_class)
{
  g_type_ensure (DV_TYPE_TRAINING_PANEL);
  gtk_widget_class_bind_template_callback (widget_class, on_panel_reveal);
  gtk_widget_class_bind_template_callback (widget_class, on_panel_diverged);
  gtk_widget_class_bind_template_callback (widget_class, on_panel_open_checkpoint);
  gtk_widget_class_bind_template_callback (widget_class, on_panel_state);
  gtk_widget_class_install_action (widget_class, "win.export-checkpoint", NULL, action_export_checkpoint);
  gtk_widget_class_install_action (widget_class, "win.save-project", NULL, action_save_project);
  gtk_widget_class_install_action (widget_class, "win.save-project-as", NULL, action_save_project_as);
  gtk_widget_class_install_action (widget_class, "win.open-project", NULL, action_open_project);
  gtk_widget_class_install_action (widget_class, "win.open-training-folder", NULL, action_open_training_folder);
  /* a stateful toggle of the revealer's reveal-child, through the window's property */
  gtk_widget_class_install_property_action (widget_class, "win.show-training", "training-shown");
  GType type = G_TYPE_FROM_CLASS (widget_class);
  g_signal_new ("export-checkpoint", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("save-project", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("open-project", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
}
