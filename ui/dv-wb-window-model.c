/* dv-wb-window-model.c — "Which model is this checkpoint?": asked when a
 * checkpoint says nothing about its model (dv_checkpoint_identify refused).
 * GTK 4.8 (Debian 12) has no GtkAlertDialog: a modal GtkWindow with a
 * GtkDropDown of the presets whose parameter names match the file's, best
 * first, and an entry for keyword arguments. */
#include "dv-wb-window-private.h"

#include <glib/gi18n-lib.h>

typedef struct {
  DvWbWindow *self;
  char *path;
  GtkDropDown *presets;
  GtkEntry *kwargs;
  DvWbAskModelFunc done;
  gpointer data;
} Ask;

static void
ask_free (gpointer p)
{
  Ask *a = p;
  g_free (a->path);
  g_free (a);
}

static void
on_open (GtkButton *button, GtkWindow *win)
{
  Ask *a = g_object_get_data (G_OBJECT (win), "dv-ask");
  GtkStringObject *item = gtk_drop_down_get_selected_item (a->presets);
  if (item != NULL)
    {
      const char *kw = gtk_editable_get_text (GTK_EDITABLE (a->kwargs));
      g_autofree char *spec = g_strdup_printf ("%s%s%s", gtk_string_object_get_string (item), *kw ? " " : "", kw);
      a->done (a->self, a->path, spec, a->data);
    }
  gtk_window_destroy (win);
}

static void
on_cancel (GtkButton *button, GtkWindow *win)
{
  gtk_window_destroy (win);
}

GtkWindow *
dv_wb_window_ask_model (DvWbWindow *self, const char *path, const char *message, const char *const *presets,
                        const char *kwargs, DvWbAskModelFunc done, gpointer data)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self) && path != NULL && done != NULL, NULL);
  GtkWindow *win = GTK_WINDOW (gtk_window_new ());
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("Which model is “%s”?"), base);
  gtk_window_set_title (win, title);
  gtk_window_set_transient_for (win, GTK_WINDOW (self));
  gtk_window_set_modal (win, TRUE);
  gtk_window_set_destroy_with_parent (win, TRUE);
  gtk_window_set_default_size (win, 560, -1);
  gtk_widget_set_name (GTK_WIDGET (win), "ask-model");

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);
  gtk_widget_set_margin_top (box, 14);
  gtk_widget_set_margin_bottom (box, 14);
  gtk_widget_set_margin_start (box, 14);
  gtk_widget_set_margin_end (box, 14);
  GtkWidget *msg = gtk_label_new (message);
  gtk_label_set_wrap (GTK_LABEL (msg), TRUE);
  gtk_label_set_xalign (GTK_LABEL (msg), 0);
  gtk_label_set_selectable (GTK_LABEL (msg), TRUE);
  gtk_box_append (GTK_BOX (box), msg);

  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_("Model")), 0, 0, 1, 1);
  GtkDropDown *dd = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (presets));
  gtk_widget_set_name (GTK_WIDGET (dd), "ask-model-preset");
  gtk_widget_set_hexpand (GTK_WIDGET (dd), TRUE);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (dd), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_("Arguments")), 0, 1, 1, 1);
  GtkEntry *entry = GTK_ENTRY (gtk_entry_new ());
  gtk_widget_set_name (GTK_WIDGET (entry), "ask-model-kwargs");
  gtk_entry_set_placeholder_text (entry, "key=value … (n_classes=10 input_dims=[1,3,32,32])");
  if (kwargs)
    gtk_editable_set_text (GTK_EDITABLE (entry), kwargs);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (entry), 1, 1, 1, 1);
  gtk_box_append (GTK_BOX (box), grid);

  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  GtkWidget *cancel = gtk_button_new_with_label (_("Cancel"));
  gtk_widget_set_name (cancel, "ask-model-cancel");
  GtkWidget *open = gtk_button_new_with_label (_("Open"));
  gtk_widget_set_name (open, "ask-model-open");
  gtk_widget_add_css_class (open, "suggested-action");
  gtk_box_append (GTK_BOX (buttons), cancel);
  gtk_box_append (GTK_BOX (buttons), open);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (win, box);
  gtk_window_set_default_widget (win, open);

  Ask *a = g_new0 (Ask, 1);
  a->self = self;
  a->path = g_strdup (path);
  a->presets = dd;
  a->kwargs = entry;
  a->done = done;
  a->data = data;
  g_object_set_data_full (G_OBJECT (win), "dv-ask", a, ask_free);
  g_signal_connect (open, "clicked", G_CALLBACK (on_open), win);
  g_signal_connect (cancel, "clicked", G_CALLBACK (on_cancel), win);
  gtk_widget_set_sensitive (open, presets != NULL && presets[0] != NULL);
  gtk_window_present (win);
  return win;
}
