/* dv-wb-window.c — the workbench window: the pages it composes, the banner.
 *
 * What this is for: placing the live view (DvLivePage), the Architecture
 * page (DvArchitecturePage) and the training panel, showing the pages'
 * errors and the owner's notes in one banner, the window's title (the live
 * view's "title"), and the layout a project saves.
 * What this is not for: the pages themselves (dv-live-page*.c,
 * dv-architecture-page*.c), the window's actions and file dialogs
 * (dv-wb-window-actions.c), exports (dv-wb-window-export.c) or running the
 * model (the owner's engine thread).
 */
#include "dv-wb-window-private.h"
#include "dv-wb-window-train.h"
#include "dv-ui.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (DvWbWindow, dv_wb_window, GTK_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_TRAINING_SHOWN, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---- the banner --------------------------------------------------------------------- */

void
dv_wb_window_show_error (DvWbWindow *self, const char *message)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  g_free (self->error);
  self->error = g_strdup (message);
  g_clear_pointer (&self->note, g_free);
  g_free (self->error_sequence);
  g_object_get (self->live_page, "sequence", &self->error_sequence, NULL);
  gtk_widget_remove_css_class (gtk_revealer_get_child (self->banner_revealer), "dv-note");
  gtk_image_set_from_icon_name (self->banner_icon, "dialog-warning-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner_label), NULL);
  gtk_label_set_text (self->banner_label, message);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
  /* a rejected setting leaves the sequence as it was: show that again */
  dv_live_page_sync_presentation (self->live_page);
}

void
dv_wb_window_show_note (DvWbWindow *self, const char *message)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  if (self->error != NULL)
    return; /* the error matters more */
  g_free (self->note);
  self->note = g_strdup (message);
  gtk_widget_add_css_class (gtk_revealer_get_child (self->banner_revealer), "dv-note");
  gtk_image_set_from_icon_name (self->banner_icon, "dialog-information-symbolic");
  /* the first line in the banner, the whole note in its tooltip */
  const char *nl = strchr (message, '\n');
  g_autofree char *first = nl ? g_strndup (message, nl - message) : g_strdup (message);
  gtk_label_set_text (self->banner_label, first);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner_label), nl ? message : NULL);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

const char *
dv_wb_window_get_note (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->note;
}

const char *
dv_wb_window_get_error (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->error;
}

static gboolean
hide_toast (gpointer data)
{
  DvWbWindow *self = data;
  self->toast_source = 0;
  gtk_revealer_set_reveal_child (self->toast_revealer, FALSE);
  return G_SOURCE_REMOVE;
}

void
dv_wb_window_show_toast (DvWbWindow *self, const char *message)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self) && message != NULL);
  gtk_label_set_text (self->toast_label, message);
  gtk_revealer_set_reveal_child (self->toast_revealer, TRUE);
  g_clear_handle_id (&self->toast_source, g_source_remove);
  self->toast_source = g_timeout_add_seconds (4, hide_toast, self);
}

const char *
dv_wb_window_get_toast (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return gtk_revealer_get_reveal_child (self->toast_revealer) ? gtk_label_get_text (self->toast_label)
                                                               : NULL;
}

/* The next request carried out (a new, different sequence on show) clears an
 * error shown while a sequence was on show; one from before the first
 * sequence (a checkpoint on the command line that failed) stays until then. */
static void
on_sequence_changed (DvLivePage *live, GParamSpec *pspec, DvWbWindow *self)
{
  if (self->error == NULL || self->error_sequence == NULL)
    return;
  g_autofree char *now = NULL;
  g_object_get (live, "sequence", &now, NULL);
  if (g_strcmp0 (now, self->error_sequence) == 0)
    return;
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->error_sequence, g_free);
}

/* ---- the pages ---------------------------------------------------------------------- */

static void
on_page_error (GtkWidget *page, const char *message, DvWbWindow *self)
{
  dv_wb_window_show_error (self, message);
}

DvLivePage *
dv_wb_window_get_live_page (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->live_page;
}

DvArchitecturePage *
dv_wb_window_get_architecture_page (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->architecture_page;
}

void
dv_wb_window_show_editor (DvWbWindow *self, gboolean show)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  gtk_stack_set_visible_child_name (self->view_stack, show ? "architecture" : "live");
}

gboolean
dv_wb_window_load_plugin (DvWbWindow *self, const char *path, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  return dv_architecture_page_load_plugin (self->architecture_page, path, error);
}

/* The live view's layout, and whether the training panel shows. */
char **
dv_wb_window_get_layout (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  g_auto (GStrv) live = dv_live_page_get_layout (self->live_page);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_strv_builder_addv (b, (const char **) live);
  g_strv_builder_add (b, gtk_revealer_get_reveal_child (self->train_revealer) ? "training=shown"
                                                                              : "training=hidden");
  return g_strv_builder_end (b);
}

void
dv_wb_window_set_layout (DvWbWindow *self, const char *const *layout)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  for (int i = 0; layout != NULL && layout[i] != NULL; i++)
    if (g_str_has_prefix (layout[i], "training="))
      dv_wb_window_show_training (self, g_str_equal (layout[i], "training=shown"));
  dv_live_page_set_layout (self->live_page, layout);
}

/* ---- closing with unsaved changes ------------------------------------------------- */

char *
dv_wb_window_describe_unsaved (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  GString *s = g_string_new (NULL);
  DvArchEdit *e = dv_architecture_page_get_edit (self->architecture_page);
  if (e != NULL && dv_arch_edit_is_modified (e))
    g_string_append (s, _("The architecture edit is not applied."));
  if (self->trained_unsaved)
    g_string_append_printf (s, "%s%s", s->len ? " " : "",
                            _("A training run finished since the project was last saved (its "
                              "checkpoints stay in its run folder; the curves and the session do not)."));
  return s->len > 0 ? g_string_free (s, FALSE) : (g_string_free (s, TRUE), NULL);
}

static void
on_quit_answer (GtkDialog *dialog, int response, DvWbWindow *self)
{
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      self->quit_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (response == GTK_RESPONSE_APPLY)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.save-project", NULL);
}

/* Closing (the window's close button, Ctrl+Q) with unsaved changes asks first. */
static gboolean
dv_wb_window_close_request (GtkWindow *window)
{
  DvWbWindow *self = DV_WB_WINDOW (window);
  g_autofree char *unsaved = self->quit_confirmed ? NULL : dv_wb_window_describe_unsaved (self);
  if (unsaved == NULL)
    return GTK_WINDOW_CLASS (dv_wb_window_parent_class)->close_request (window);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkWidget *d = gtk_message_dialog_new (window, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                         GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s",
                                         _("Close with unsaved changes?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", unsaved);
  gtk_dialog_add_buttons (GTK_DIALOG (d), _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Save Project…"),
                          GTK_RESPONSE_APPLY, _("Close _Anyway"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (d), GTK_RESPONSE_CANCEL);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect (d, "response", G_CALLBACK (on_quit_answer), self);
  gtk_window_present (GTK_WINDOW (d));
  return TRUE;
}

/* ---- life cycle --------------------------------------------------------------------- */

static void
dv_wb_window_dispose (GObject *object)
{
  g_clear_handle_id (&DV_WB_WINDOW (object)->toast_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), DV_TYPE_WB_WINDOW);
  G_OBJECT_CLASS (dv_wb_window_parent_class)->dispose (object);
}

static void
dv_wb_window_finalize (GObject *object)
{
  DvWbWindow *self = DV_WB_WINDOW (object);
  g_free (self->error);
  g_free (self->note);
  g_free (self->error_sequence);
  g_free (self->project_path);
  G_OBJECT_CLASS (dv_wb_window_parent_class)->finalize (object);
}

static void
dv_wb_window_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  DvWbWindow *self = DV_WB_WINDOW (object);
  if (id == PROP_TRAINING_SHOWN)
    g_value_set_boolean (value, self->training_shown);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
dv_wb_window_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  DvWbWindow *self = DV_WB_WINDOW (object);
  if (id == PROP_TRAINING_SHOWN)
    {
      if (self->training_shown != g_value_get_boolean (value))
        {
          self->training_shown = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
dv_wb_window_class_init (DvWbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->get_property = dv_wb_window_get_property;
  object_class->set_property = dv_wb_window_set_property;
  object_class->dispose = dv_wb_window_dispose;
  object_class->finalize = dv_wb_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = dv_wb_window_close_request;
  /* whether the training panel shows (win.show-training, Ctrl+T) */
  props[PROP_TRAINING_SHOWN] = g_param_spec_boolean ("training-shown", NULL, NULL, FALSE,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                                     | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  g_type_ensure (DV_TYPE_PLOT_VIEW);
  g_type_ensure (DV_TYPE_LIVE_PAGE);
  g_type_ensure (DV_TYPE_ARCHITECTURE_PAGE);
  g_type_ensure (DV_TYPE_TRAINING_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynvision/Workbench/dv-wb-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, DvWbWindow, name)
  CHILD (banner_revealer);
  CHILD (banner_label);
  CHILD (banner_icon);
  CHILD (toast_revealer);
  CHILD (toast_label);
  CHILD (view_stack);
  CHILD (live_page);
  CHILD (architecture_page);
  CHILD (train_revealer);
  CHILD (training_panel);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_page_error);
  gtk_widget_class_bind_template_callback (widget_class, on_sequence_changed);
  dv_wb_window_class_init_actions (widget_class);
  dv_wb_window_class_init_train (widget_class);

  GType type = G_TYPE_FROM_CLASS (klass);
  g_signal_new ("open-checkpoint", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("open-dataset", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("export-dynvision", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
}

static void
dv_wb_window_init (DvWbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dv_wb_window_init_actions (self);
  /* start with the transport focused, not the sample field, so the keys work */
  dv_live_page_focus_transport (self->live_page);
}

DvWbWindow *
dv_wb_window_new (GtkApplication *app)
{
  return g_object_new (DV_TYPE_WB_WINDOW, "application", app, NULL);
}
