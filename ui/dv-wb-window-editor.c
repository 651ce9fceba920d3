/* dv-wb-window-editor.c — the Architecture page (see dv-wb-window-editor.h):
 * the fields, refreshing them from the edit, edits, buttons and actions.  The
 * page's widgets are built in dv-wb-window-editor-page.c.
 *
 * What this is for: turning a DvArchEdit into fields and back: one widget
 * per path (an entry, a drop-down or a switch) with a message label under
 * it; every change goes through dv_arch_edit_set, a refused one keeps the
 * typed text and shows the reason under the field.  After any change the
 * whole page (fields, area and connection pickers, diagram, buttons) is
 * refreshed from the edit.
 * What this is not for: validation (engine/dv-arch-edit.c) or applying the
 * edit (the owner's engine thread).
 */
#include "dv-wb-window-editor-private.h"
#include "dv-ui.h"

#include "dv-model-edit.h"
#include "dv-plugin.h"

#include <string.h>

static const char *const solver_opts[] = { "euler", "rk4", NULL };
static const char *const rec_opts[] = { "none", "self", "full", "depthpointwise", "pointdepthwise",
                                        "local", "localdepthwise", NULL };
static const char *const target_opts[] = { "output", "middle", "input", NULL };
static const char *const pool_opts[] = { "none", "max", "avg", NULL };
static const char *const integ_opts[] = { "additive", "multiplicative", NULL };

static const DvWbField field_defs[] = {
  { DV_WB_SCOPE_MODEL, "dt", "dt (ms)", "Integration step of every area" },
  { DV_WB_SCOPE_MODEL, "tau", "tau (ms)", "Time constant of every area (sets each area's tau)" },
  { DV_WB_SCOPE_MODEL, "t_feedforward", "t_feedforward (ms)", "Feedforward delay of every area" },
  { DV_WB_SCOPE_MODEL, "t_recurrence", "t_recurrence (ms)", "Recurrence delay of every area" },
  { DV_WB_SCOPE_MODEL, "t_skip", "t_skip (ms)", "Delay of every skip connection" },
  { DV_WB_SCOPE_MODEL, "t_feedback", "t_feedback (ms)", "Delay of every feedback connection" },
  { DV_WB_SCOPE_MODEL, "dynamics_solver", "Solver", "Euler or RK4 integration of the leaky dynamics", solver_opts },
  { DV_WB_SCOPE_MODEL, "idle_timesteps", "Idle timesteps", "Steps run before each sequence, not shown" },
  { DV_WB_SCOPE_MODEL, "feedforward_only", "Feedforward only", "Switch off skip and feedback connections", NULL, TRUE },
  { DV_WB_SCOPE_AREA, "name", "Name", "The area's name (module names follow it)" },
  { DV_WB_SCOPE_AREA, "channels", "Channels", "Output channels (the next area's input)" },
  { DV_WB_SCOPE_AREA, "kernel", "Kernel", "Feedforward convolution kernel (its pre-convolution when it has one)" },
  { DV_WB_SCOPE_AREA, "stride", "Stride", "Feedforward convolution stride" },
  { DV_WB_SCOPE_AREA, "pool", "Pooling", "Pooling after the area", pool_opts },
  { DV_WB_SCOPE_AREA, "pool_kernel", "Pool kernel", "Pooling kernel" },
  { DV_WB_SCOPE_AREA, "pool_stride", "Pool stride", "Pooling stride" },
  { DV_WB_SCOPE_AREA, "recurrence_type", "Recurrence", "Lateral recurrence of the area", rec_opts },
  { DV_WB_SCOPE_AREA, "recurrence_target", "Recurrence target", "Where the recurrence is added", target_opts },
  { DV_WB_SCOPE_AREA, "recurrence_kernel", "Recurrence kernel", "Kernel of the recurrent convolution" },
  { DV_WB_SCOPE_AREA, "tau", "tau (ms)", "This area's time constant" },
  { DV_WB_SCOPE_AREA, "t_feedforward", "t_feedforward (ms)", "This area's feedforward delay" },
  { DV_WB_SCOPE_AREA, "t_recurrence", "t_recurrence (ms)", "This area's recurrence delay" },
  { DV_WB_SCOPE_CONN, "delay", "Delay (ms)", "The connection's delay" },
  { DV_WB_SCOPE_CONN, "integration", "Integration", "x + h (additive) or x·(1 + tanh h) (multiplicative)", integ_opts },
  { DV_WB_SCOPE_CONN, "source", "Source", "Area it reads" },
  { DV_WB_SCOPE_CONN, "target", "Target", "Area it adds into" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (field_defs) == DV_WB_N_FIELDS);

static DvWbEditor *
editor (DvWbWindow *win)
{
  return win->editor;
}

/* ---- paths -------------------------------------------------------------------------- */

static char *
field_path (DvWbEditor *ed, const DvWbField *f)
{
  const DvModelDesc *d = dv_arch_edit_get_desc (ed->edit);
  if (f->scope == DV_WB_SCOPE_MODEL)
    return g_strdup (f->key);
  if (f->scope == DV_WB_SCOPE_AREA)
    return ed->area < d->n_layers ? g_strdup_printf ("%s.%s", d->layers[ed->area].name, f->key) : NULL;
  if (ed->conn >= d->n_conns)
    return NULL;
  g_autofree char *prefix = dv_arch_edit_conn_path (d, ed->conn);
  return g_strdup_printf ("%s.%s", prefix, f->key);
}

static DvWbField *
field_for_path (DvWbEditor *ed, const char *path)
{
  if (ed->edit == NULL)
    return NULL;
  for (guint i = 0; i < DV_WB_N_FIELDS; i++)
    {
      g_autofree char *p = field_path (ed, &ed->fields[i]);
      if (p != NULL && g_strcmp0 (p, path) == 0)
        return &ed->fields[i];
    }
  return NULL;
}

/* ---- refresh ------------------------------------------------------------------------ */

static void
set_list (GtkStringList *list, const char *const *items)
{
  gtk_string_list_splice (list, 0, g_list_model_get_n_items (G_LIST_MODEL (list)), items);
}

static int
option_index (const char *const *options, const char *value)
{
  for (int i = 0; options[i]; i++)
    if (g_strcmp0 (options[i], value) == 0)
      return i;
  return -1;
}

static void
fill_diagram (DvWbEditor *ed)
{
  const DvModelDesc *d = dv_arch_edit_get_desc (ed->edit);
  g_strfreev (ed->plot_strings);
  g_free (ed->plot_areas);
  g_free (ed->plot_conns);
  ed->plot_areas = g_new0 (DvArchArea, MAX (d->n_layers, 1));
  ed->plot_conns = g_new0 (DvArchConn, MAX (d->n_conns, 1));
  GPtrArray *strings = g_ptr_array_new ();
  for (int i = 0; i < d->n_layers; i++)
    {
      const DvLayerDesc *l = &d->layers[i];
      GString *detail = g_string_new (NULL);
      g_string_append_printf (detail, "k%d s%d", l->conv_name ? l->conv_kernel : l->kernel,
                              l->conv_name ? l->conv_stride : l->stride);
      if (l->pool_kind != DV_POOL_NONE)
        g_string_append_printf (detail, " · %s pool", l->pool_kind == DV_POOL_MAX ? "max" : "avg");
      char *s = g_string_free (detail, FALSE);
      g_ptr_array_add (strings, s);
      ed->plot_areas[i] = (DvArchArea) {
        .name = l->name, .C = l->out_channels, .H = l->state_h, .W = l->state_w,
        .recurrence = dv_rec_type_name (l->rec_type), .t_recurrence = l->t_recurrence,
        .t_feedforward = l->t_feedforward, .tau = l->tstep_name ? l->tau : 0, .detail = s,
      };
    }
  for (int k = 0; k < d->n_conns; k++)
    {
      const DvConnDesc *c = &d->conns[k];
      ed->plot_conns[k] = (DvArchConn) {
        .feedback = c->kind == DV_CONN_FEEDBACK,
        .source = dv_model_desc_layer_index (d, c->source),
        .target = dv_model_desc_layer_index (d, c->target),
        .delay_ms = c->t_ms, .multiplicative = c->integration == DV_INTEGRATE_MULTIPLICATIVE,
      };
    }
  char *in = g_strdup_printf ("%d×%d×%d", d->in_channels, d->in_h, d->in_w);
  char *out = g_strdup_printf ("%d classes", d->n_classes);
  char *title = g_strdup_printf ("%s%s", d->model_class,
                                 dv_arch_edit_is_modified (ed->edit) ? " — edited, not applied" : "");
  g_ptr_array_add (strings, in);
  g_ptr_array_add (strings, out);
  g_ptr_array_add (strings, title);
  g_ptr_array_add (strings, NULL);
  ed->plot_strings = (char **) g_ptr_array_free (strings, FALSE);
  ed->plot.areas = ed->plot_areas;
  ed->plot.n_areas = d->n_layers;
  ed->plot.conns = ed->plot_conns;
  ed->plot.n_conns = d->n_conns;
  ed->plot.input_label = in;
  ed->plot.readout_label = out;
  ed->plot.title = title;
  gtk_widget_queue_draw (GTK_WIDGET (ed->diagram));
}

static void
refresh (DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (ed->edit);
  ed->updating++;
  ed->area = CLAMP (ed->area, 0, MAX (d->n_layers - 1, 0));
  ed->conn = CLAMP (ed->conn, 0, MAX (d->n_conns - 1, 0));
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (int i = 0; i < d->n_layers; i++)
    g_ptr_array_add (names, d->layers[i].name);
  g_ptr_array_add (names, NULL);
  set_list (ed->area_names, (const char *const *) names->pdata);
  set_list (ed->area_names2, (const char *const *) names->pdata);
  set_list (ed->area_names3, (const char *const *) names->pdata);
  gtk_drop_down_set_selected (ed->area_pick, ed->area);
  gtk_drop_down_set_selected (ed->src_pick, 0);
  gtk_drop_down_set_selected (ed->tgt_pick, MAX (d->n_layers - 1, 0));
  g_autoptr (GPtrArray) conns = g_ptr_array_new_with_free_func (g_free);
  for (int k = 0; k < d->n_conns; k++)
    g_ptr_array_add (conns, g_strdup_printf ("%s %s → %s",
                                             d->conns[k].kind == DV_CONN_SKIP ? "skip" : "feedback",
                                             d->conns[k].source, d->conns[k].target));
  g_ptr_array_add (conns, NULL);
  set_list (ed->conn_names, (const char *const *) conns->pdata);
  gtk_drop_down_set_selected (ed->conn_pick, ed->conn);
  gtk_widget_set_sensitive (ed->conn_box, d->n_conns > 0);

  for (guint i = 0; i < DV_WB_N_FIELDS; i++)
    {
      DvWbField *f = &ed->fields[i];
      g_autofree char *path = field_path (ed, f);
      g_autofree char *value = path ? dv_arch_edit_get (ed->edit, path, NULL) : NULL;
      gtk_widget_set_sensitive (f->widget, value != NULL);
      if (f->options)
        gtk_drop_down_set_selected (GTK_DROP_DOWN (f->widget),
                                    MAX (option_index (f->options, value), 0));
      else if (f->boolean)
        gtk_switch_set_active (GTK_SWITCH (f->widget), g_strcmp0 (value, "true") == 0);
      else
        gtk_editable_set_text (GTK_EDITABLE (f->widget), value ? value : "");
      gtk_widget_remove_css_class (f->widget, "error");
      gtk_label_set_text (f->message, "");
      gtk_widget_set_visible (GTK_WIDGET (f->message), FALSE);
    }

  gboolean modified = dv_arch_edit_is_modified (ed->edit);
  gboolean rebuild = modified && dv_arch_edit_needs_rebuild (ed->edit);
  gtk_button_set_label (ed->apply_button, !modified ? "Applied" : rebuild ? "Apply (rebuild)"
                                                                  : "Apply (soft change)");
  /* the actions stay enabled (code may edit the DvArchEdit directly); the
   * buttons show what would happen */
  gtk_widget_set_sensitive (GTK_WIDGET (ed->apply_button), modified);
  gtk_widget_set_sensitive (ed->undo_button, dv_arch_edit_can_undo (ed->edit));
  gtk_widget_set_sensitive (ed->redo_button, dv_arch_edit_can_redo (ed->edit));
  ed->seen_serial = dv_arch_edit_get_serial (ed->edit);
  g_autofree char *state = !modified ? g_strdup ("The engine runs this model.")
    : g_strdup_printf ("Edited, not applied yet: %s.",
                       rebuild ? "applying rebuilds the model and keeps every weight that still fits"
                               : "a soft change, applied between timesteps with every weight kept");
  gtk_label_set_text (ed->state_label, state);
  g_autoptr (GPtrArray) warnings = dv_model_desc_warnings (d);
  g_ptr_array_add (warnings, NULL);
  g_autofree char *w = g_strjoinv ("\n", (char **) warnings->pdata);
  gtk_label_set_text (ed->warnings_label, w);
  gtk_widget_set_visible (GTK_WIDGET (ed->warnings_label), *w != '\0');
  fill_diagram (ed);
  ed->updating--;
}

/* ---- edits ------------------------------------------------------------------------- */

static void
show_field_error (DvWbField *f, const char *message)
{
  gtk_widget_add_css_class (f->widget, "error");
  gtk_label_set_text (f->message, message);
  gtk_widget_set_visible (GTK_WIDGET (f->message), TRUE);
}

gboolean
dv_wb_window_edit_set (DvWbWindow *win, const char *path, const char *value, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), FALSE);
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "no model to edit yet");
      return FALSE;
    }
  DvWbField *f = field_for_path (ed, path);
  g_autoptr (GError) local = NULL;
  if (!dv_arch_edit_set (ed->edit, path, value, &local))
    {
      if (f != NULL)
        {
          /* the field keeps what was refused (typed, or set by --edit), marked, until fixed */
          if (GTK_IS_EDITABLE (f->widget)
              && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (f->widget)), value) != 0)
            {
              gboolean was = ed->updating;
              ed->updating = TRUE;
              gtk_editable_set_text (GTK_EDITABLE (f->widget), value);
              ed->updating = was;
            }
          show_field_error (f, local->message);
        }
      else
        dv_wb_window_show_error (win, local->message);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  refresh (win);
  return TRUE;
}

const char *
dv_wb_window_edit_message (DvWbWindow *win, const char *path)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), NULL);
  DvWbField *f = field_for_path (editor (win), path);
  return f ? gtk_label_get_text (f->message) : "";
}

const char *
dv_wb_window_edit_preset (DvWbWindow *win)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), NULL);
  GtkStringObject *item = gtk_drop_down_get_selected_item (editor (win)->preset_pick);
  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

const char *
dv_wb_window_edit_field_text (DvWbWindow *win, const char *path)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), NULL);
  DvWbField *f = field_for_path (editor (win), path);
  return f != NULL && GTK_IS_EDITABLE (f->widget) ? gtk_editable_get_text (GTK_EDITABLE (f->widget)) : NULL;
}

static void
commit_field (DvWbWindow *win, DvWbField *f, const char *value)
{
  DvWbEditor *ed = editor (win);
  if (ed->updating || ed->edit == NULL)
    return;
  g_autofree char *path = field_path (ed, f);
  g_autofree char *now = path ? dv_arch_edit_get (ed->edit, path, NULL) : NULL;
  if (path == NULL || g_strcmp0 (now, value) == 0)
    return;
  dv_wb_window_edit_set (win, path, value, NULL);
}

void
dv_wb_editor_on_entry_activate (GtkEntry *entry, DvWbWindow *win)
{
  DvWbField *f = g_object_get_data (G_OBJECT (entry), "dv-field");
  commit_field (win, f, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

void
dv_wb_editor_on_entry_leave (GtkEventControllerFocus *ctl, DvWbWindow *win)
{
  GtkWidget *entry = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (ctl));
  DvWbField *f = g_object_get_data (G_OBJECT (entry), "dv-field");
  commit_field (win, f, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

void
dv_wb_editor_on_drop_changed (GtkDropDown *drop, GParamSpec *pspec, DvWbWindow *win)
{
  DvWbField *f = g_object_get_data (G_OBJECT (drop), "dv-field");
  guint i = gtk_drop_down_get_selected (drop);
  if (f->options[0] != NULL && i < g_strv_length ((char **) f->options))
    commit_field (win, f, f->options[i]);
}

void
dv_wb_editor_on_switch_changed (GtkSwitch *sw, GParamSpec *pspec, DvWbWindow *win)
{
  DvWbField *f = g_object_get_data (G_OBJECT (sw), "dv-field");
  commit_field (win, f, gtk_switch_get_active (sw) ? "true" : "false");
}

void
dv_wb_editor_on_pick_changed (GtkDropDown *drop, GParamSpec *pspec, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->updating || ed->edit == NULL)
    return;
  guint i = gtk_drop_down_get_selected (drop);
  if (i == GTK_INVALID_LIST_POSITION)
    return;
  if (drop == ed->area_pick)
    {
      ed->area = i;
      ed->plot.selected = (DvArchHit) { DV_ARCH_HIT_AREA, (int) i };
    }
  else
    {
      ed->conn = i;
      ed->plot.selected = (DvArchHit) { DV_ARCH_HIT_CONN, (int) i };
    }
  refresh (win);
}

void
dv_wb_editor_on_diagram_pointer (DvPlotView *view, double x, double y, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  DvArchHit hit = dv_arch_plot_hit (&ed->plot, gtk_widget_get_width (GTK_WIDGET (view)),
                                    gtk_widget_get_height (GTK_WIDGET (view)), x, y);
  ed->plot.selected = hit;
  if (hit.kind == DV_ARCH_HIT_AREA || hit.kind == DV_ARCH_HIT_RECURRENCE)
    ed->area = hit.index;
  else if (hit.kind == DV_ARCH_HIT_CONN)
    ed->conn = hit.index;
  refresh (win);
  GtkWidget *focus = hit.kind == DV_ARCH_HIT_RECURRENCE ? ed->fields[16].widget
                     : hit.kind == DV_ARCH_HIT_AREA ? ed->fields[10].widget
                     : hit.kind == DV_ARCH_HIT_CONN ? ed->fields[22].widget : NULL;
  if (focus != NULL)
    gtk_widget_grab_focus (focus);
}

/* ---- buttons and actions ---------------------------------------------------------- */

static void
report_error (DvWbWindow *win, GError *error)
{
  dv_wb_window_show_error (win, error->message);
  g_error_free (error);
}

void
dv_wb_editor_on_add_area (GtkButton *button, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  GError *error = NULL;
  if (!dv_arch_edit_add_area (ed->edit, ed->area + 1, NULL, &error))
    return report_error (win, error);
  ed->area++;
  refresh (win);
}

void
dv_wb_editor_on_area_button (GtkButton *button, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (ed->edit);
  const char *what = g_object_get_data (G_OBJECT (button), "dv-what");
  g_autofree char *name = g_strdup (d->layers[ed->area].name);
  GError *error = NULL;
  int delta = g_str_equal (what, "up") ? -1 : g_str_equal (what, "down") ? 1 : 0;
  gboolean ok = delta != 0 ? dv_arch_edit_move_area (ed->edit, name, delta, &error)
                           : dv_arch_edit_remove_area (ed->edit, name, &error);
  if (!ok)
    return report_error (win, error);
  ed->area += delta;
  refresh (win);
}

void
dv_wb_editor_on_add_conn (GtkButton *button, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (ed->edit);
  guint s = gtk_drop_down_get_selected (ed->src_pick), t = gtk_drop_down_get_selected (ed->tgt_pick);
  if (s >= (guint) d->n_layers || t >= (guint) d->n_layers)
    return;
  DvConnKind kind = gtk_drop_down_get_selected (ed->kind_pick) == 0 ? DV_CONN_SKIP : DV_CONN_FEEDBACK;
  GError *error = NULL;
  if (!dv_arch_edit_add_conn (ed->edit, kind, d->layers[s].name, d->layers[t].name, &error))
    return report_error (win, error);
  ed->conn = dv_arch_edit_get_desc (ed->edit)->n_conns - 1;
  refresh (win);
}

void
dv_wb_editor_on_remove_conn (GtkButton *button, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (ed->edit);
  if (ed->conn >= d->n_conns)
    return;
  const DvConnDesc *c = &d->conns[ed->conn];
  g_autofree char *src = g_strdup (c->source), *tgt = g_strdup (c->target);
  GError *error = NULL;
  if (!dv_arch_edit_remove_conn (ed->edit, c->kind, src, tgt, &error))
    return report_error (win, error);
  refresh (win);
}

void
dv_wb_editor_on_load_preset (GtkButton *button, DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  GtkStringObject *item = gtk_drop_down_get_selected_item (ed->preset_pick);
  GError *error = NULL;
  if (item == NULL)
    return;
  if (!dv_arch_edit_load_preset (ed->edit, gtk_string_object_get_string (item), &error))
    return report_error (win, error);
  ed->area = ed->conn = 0;
  refresh (win);
}

/* The preset list shows the running model's class when it is one of them. */
static void
select_preset (DvWbEditor *ed, const char *model_class)
{
  GListModel *names = G_LIST_MODEL (ed->preset_names);
  for (guint i = 0; model_class != NULL && i < g_list_model_get_n_items (names); i++)
    if (g_strcmp0 (gtk_string_list_get_string (ed->preset_names, i), model_class) == 0)
      {
        gtk_drop_down_set_selected (ed->preset_pick, i);
        return;
      }
}

static void
refresh_presets (DvWbEditor *ed)
{
  g_auto (GStrv) names = dv_arch_edit_preset_names ();
  set_list (ed->preset_names, (const char *const *) names);
}

gboolean
dv_wb_window_load_plugin (DvWbWindow *win, const char *path, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win) && path != NULL, FALSE);
  DvWbEditor *ed = editor (win);
  GError *local = NULL;
  const DvPluginInfo *info = dv_plugin_load (path, &local);
  if (info == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("Cannot load the model plugin: %s", local->message);
      dv_wb_window_show_error (win, msg);
      g_propagate_error (error, local);
      return FALSE;
    }
  refresh_presets (ed);
  g_free (ed->report);
  ed->report = g_strdup_printf ("Loaded plugin “%s” %s (%s): its models are in the preset list.",
                                info->name, info->version ? info->version : "",
                                info->description ? info->description : path);
  gtk_label_set_text (ed->report_label, ed->report);
  return TRUE;
}

static void
on_plugin_response (GtkNativeDialog *dialog, int response, DvWbWindow *win)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        dv_wb_window_load_plugin (win, path, NULL);
    }
  g_object_unref (dialog);
}

static void
action_load_plugin (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *win = DV_WB_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new ("Load Model Plugin", GTK_WINDOW (win),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, "_Load",
                                                              "_Cancel");
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, "Shared modules (*.so)");
  gtk_file_filter_add_pattern (filter, "*.so");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_plugin_response), win);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static guint signal_apply, signal_reset;

static void
action_apply (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *win = DV_WB_WINDOW (widget);
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    return;
  refresh (win);
  if (!dv_arch_edit_is_modified (ed->edit))
    return;
  gtk_label_set_text (ed->report_label, "Applying…");
  g_signal_emit (win, signal_apply, 0, dv_arch_edit_get_desc (ed->edit));
}

static void
action_reset (GtkWidget *widget, const char *name, GVariant *param)
{
  g_signal_emit (widget, signal_reset, 0, g_str_equal (name, "win.full-reset"));
}

static void
action_undo (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *win = DV_WB_WINDOW (widget);
  if (editor (win)->edit == NULL)
    return;
  if (g_str_equal (name, "win.undo-architecture"))
    dv_arch_edit_undo (editor (win)->edit);
  else
    dv_arch_edit_redo (editor (win)->edit);
  refresh (win);
}

static void
action_show_editor (GtkWidget *widget, const char *name, GVariant *param)
{
  dv_wb_window_show_editor (DV_WB_WINDOW (widget), g_variant_get_boolean (param));
}

/* ---- public ------------------------------------------------------------------------ */

static gboolean
same_desc (const DvModelDesc *a, const DvModelDesc *b)
{
  g_autoptr (DvJson) ja = dv_model_desc_to_json (a);
  g_autoptr (DvJson) jb = dv_model_desc_to_json (b);
  g_autofree char *sa = dv_json_to_string (ja, FALSE), *sb = dv_json_to_string (jb, FALSE);
  return g_strcmp0 (sa, sb) == 0;
}

DvArchEdit *
dv_wb_window_get_arch_edit (DvWbWindow *win)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), NULL);
  return editor (win)->edit;
}

void
dv_wb_window_set_model_desc (DvWbWindow *win, const DvModelDesc *desc, gboolean follow)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (win) && desc != NULL);
  DvWbEditor *ed = editor (win);
  if (ed->edit == NULL)
    ed->edit = dv_arch_edit_new (desc);
  else if (follow && same_desc (dv_arch_edit_get_applied (ed->edit), desc))
    return; /* the model the editor applied itself: keep the edit and its history */
  else
    dv_arch_edit_set_applied (ed->edit, desc, follow);
  select_preset (ed, desc->model_class);
  refresh (win);
}

void
dv_wb_window_architecture_applied (DvWbWindow *win, gboolean ok, const char *message,
                                   const DvTransferReport *transfer, const DvModelDesc *desc)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (win));
  DvWbEditor *ed = editor (win);
  GString *s = g_string_new (message);
  if (transfer != NULL)
    {
      g_autofree char *text = dv_transfer_report_to_text (transfer, 40);
      g_string_append_printf (s, "\n%s", text);
    }
  g_free (ed->report);
  ed->report = g_string_free (s, FALSE);
  gtk_label_set_text (ed->report_label, ed->report);
  if (!ok)
    dv_wb_window_show_error (win, message);
  if (desc != NULL && ed->edit != NULL)
    {
      dv_arch_edit_set_applied (ed->edit, desc, FALSE);
      refresh (win);
    }
}

const char *
dv_wb_window_edit_report (DvWbWindow *win)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), NULL);
  return editor (win)->report ? editor (win)->report : "";
}

guint64
dv_wb_window_get_reset_seed (DvWbWindow *win)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), 0);
  return (guint64) gtk_spin_button_get_value_as_int (editor (win)->seed_spin);
}

void
dv_wb_window_set_reset_seed (DvWbWindow *win, guint64 seed)
{
  g_return_if_fail (DV_IS_WB_WINDOW (win));
  gtk_spin_button_set_value (editor (win)->seed_spin, (double) MIN (seed, G_MAXINT32));
}

DvPlotView *
dv_wb_window_get_arch_view (DvWbWindow *win)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (win), NULL);
  return editor (win) != NULL ? editor (win)->diagram : NULL;
}

void
dv_wb_window_show_editor (DvWbWindow *win, gboolean show)
{
  g_return_if_fail (DV_IS_WB_WINDOW (win));
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (win), DV_TYPE_WB_WINDOW,
                                                              "view_stack"));
  gtk_stack_set_visible_child_name (stack, show ? "architecture" : "live");
}

void
dv_wb_window_class_init_editor (GtkWidgetClass *klass)
{
  gtk_widget_class_bind_template_child_full (klass, "view_stack", FALSE, 0);
  gtk_widget_class_bind_template_child_full (klass, "editor_page", FALSE, 0);
  gtk_widget_class_install_action (klass, "win.apply-architecture", NULL, action_apply);
  gtk_widget_class_install_action (klass, "win.soft-reset", NULL, action_reset);
  gtk_widget_class_install_action (klass, "win.full-reset", NULL, action_reset);
  gtk_widget_class_install_action (klass, "win.undo-architecture", NULL, action_undo);
  gtk_widget_class_install_action (klass, "win.redo-architecture", NULL, action_undo);
  gtk_widget_class_install_action (klass, "win.load-plugin", NULL, action_load_plugin);
  gtk_widget_class_install_action (klass, "win.show-editor", "b", action_show_editor);
  gtk_widget_class_add_binding_action (klass, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo-architecture", NULL);
  gtk_widget_class_add_binding_action (klass, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.redo-architecture", NULL);
  signal_apply = g_signal_new ("apply-architecture", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signal_reset = g_signal_new ("reset-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

/* While the page shows, it follows edits made on the DvArchEdit directly. */
static gboolean
follow_edit (GtkWidget *page, GdkFrameClock *clock, gpointer data)
{
  DvWbWindow *win = data;
  DvWbEditor *ed = editor (win);
  if (ed->edit != NULL && dv_arch_edit_get_serial (ed->edit) != ed->seen_serial)
    refresh (win);
  return G_SOURCE_CONTINUE;
}

void
dv_wb_window_init_editor (DvWbWindow *win)
{
  DvWbEditor *ed = g_new0 (DvWbEditor, 1);
  win->editor = ed;
  memcpy (ed->fields, field_defs, sizeof field_defs);
  ed->area_names = gtk_string_list_new (NULL);
  ed->area_names2 = gtk_string_list_new (NULL);
  ed->area_names3 = gtk_string_list_new (NULL);
  ed->conn_names = gtk_string_list_new (NULL);
  ed->preset_names = gtk_string_list_new (NULL);
  dv_arch_plot_init (&ed->plot);
  refresh_presets (ed);
  GObject *page = gtk_widget_get_template_child (GTK_WIDGET (win), DV_TYPE_WB_WINDOW, "editor_page");
  dv_wb_editor_build_page (win, GTK_BOX (page));
  gtk_widget_add_tick_callback (GTK_WIDGET (page), follow_edit, win, NULL);
}

void
dv_wb_window_finalize_editor (DvWbWindow *win)
{
  DvWbEditor *ed = editor (win);
  if (ed == NULL)
    return;
  dv_arch_edit_free (ed->edit);
  g_object_unref (ed->area_names);
  g_object_unref (ed->area_names2);
  g_object_unref (ed->area_names3);
  g_object_unref (ed->conn_names);
  g_object_unref (ed->preset_names);
  g_strfreev (ed->plot_strings);
  g_free (ed->plot_areas);
  g_free (ed->plot_conns);
  g_free (ed->report);
  g_free (ed);
  win->editor = NULL;
}
