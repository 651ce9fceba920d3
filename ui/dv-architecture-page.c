/* dv-architecture-page.c — DvArchitecturePage (see dv-architecture-page.h):
 * the object, its properties, refreshing what it shows from the edit, the
 * pickers and the diagram, and its public calls.
 *
 * What this is for: the page's state.  The layout is its template
 * (dv-architecture-page.ui), the fields dv-architecture-page-fields.c, the
 * actions dv-architecture-page-actions.c.
 * What this is not for: validation (engine/dv-arch-edit.c) or applying the
 * edit (the owner's engine thread).
 */
#include "dv-architecture-page-private.h"
#include "dv-ui.h"

#include "dv-plugin.h"

#include <glib/gi18n-lib.h>

G_DEFINE_FINAL_TYPE (DvArchitecturePage, dv_architecture_page, GTK_TYPE_BOX)

GParamSpec *dv_architecture_page_props[DV_ARCH_N_PROPS];
guint dv_architecture_page_signal_apply, dv_architecture_page_signal_reset;
static guint signal_error;

/* ---- properties -------------------------------------------------------------------- */

static void
set_bool (DvArchitecturePage *self, gboolean *field, gboolean value, DvArchProp prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), dv_architecture_page_props[prop]);
}

static void
set_string (DvArchitecturePage *self, char **field, const char *value, DvArchProp prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), dv_architecture_page_props[prop]);
}

void
dv_architecture_page_set_report (DvArchitecturePage *self, const char *report)
{
  set_string (self, &self->report, report, DV_ARCH_PROP_REPORT);
}

void
dv_architecture_page_emit_error (DvArchitecturePage *self, const char *message)
{
  g_signal_emit (self, signal_error, 0, message);
}

/* ---- refresh ------------------------------------------------------------------------ */

static void
set_list (GtkStringList *list, const char *const *items)
{
  gtk_string_list_splice (list, 0, g_list_model_get_n_items (G_LIST_MODEL (list)), items);
}

static void
fill_diagram (DvArchitecturePage *self)
{
  const DvModelDesc *d = dv_arch_edit_get_desc (self->edit);
  g_strfreev (self->plot_strings);
  g_free (self->plot_areas);
  g_free (self->plot_conns);
  self->plot_areas = g_new0 (DvArchArea, MAX (d->n_layers, 1));
  self->plot_conns = g_new0 (DvArchConn, MAX (d->n_conns, 1));
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
      self->plot_areas[i] = (DvArchArea) {
        .name = l->name, .C = l->out_channels, .H = l->state_h, .W = l->state_w,
        .recurrence = dv_rec_type_name (l->rec_type), .t_recurrence = l->t_recurrence,
        .t_feedforward = l->t_feedforward, .tau = l->tstep_name ? l->tau : 0, .detail = s,
      };
    }
  for (int k = 0; k < d->n_conns; k++)
    {
      const DvConnDesc *c = &d->conns[k];
      self->plot_conns[k] = (DvArchConn) {
        .feedback = c->kind == DV_CONN_FEEDBACK,
        .source = dv_model_desc_layer_index (d, c->source),
        .target = dv_model_desc_layer_index (d, c->target),
        .delay_ms = c->t_ms, .delay_steps = c->delay_index,
        .multiplicative = c->integration == DV_INTEGRATE_MULTIPLICATIVE,
      };
    }
  char *in = g_strdup_printf ("%d×%d×%d", d->in_channels, d->in_h, d->in_w);
  char *out = g_strdup_printf (_("%d classes"), d->n_classes);
  char *title = g_strdup_printf ("%s%s", d->model_class,
                                 dv_arch_edit_is_modified (self->edit) ? _(" — edited, not applied") : "");
  g_ptr_array_add (strings, in);
  g_ptr_array_add (strings, out);
  g_ptr_array_add (strings, title);
  g_ptr_array_add (strings, NULL);
  self->plot_strings = (char **) g_ptr_array_free (strings, FALSE);
  self->plot.areas = self->plot_areas;
  self->plot.n_areas = d->n_layers;
  self->plot.conns = self->plot_conns;
  self->plot.n_conns = d->n_conns;
  self->plot.input_label = in;
  self->plot.readout_label = out;
  self->plot.title = title;
  gtk_widget_queue_draw (GTK_WIDGET (self->diagram));
}

static void
refresh_pickers (DvArchitecturePage *self, const DvModelDesc *d)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (int i = 0; i < d->n_layers; i++)
    g_ptr_array_add (names, d->layers[i].name);
  g_ptr_array_add (names, NULL);
  set_list (self->area_names, (const char *const *) names->pdata);
  gtk_drop_down_set_selected (self->area_pick, self->area);
  gtk_drop_down_set_selected (self->src_pick, 0);
  gtk_drop_down_set_selected (self->tgt_pick, MAX (d->n_layers - 1, 0));
  g_autoptr (GPtrArray) conns = g_ptr_array_new_with_free_func (g_free);
  for (int k = 0; k < d->n_conns; k++)
    g_ptr_array_add (conns, g_strdup_printf ("%s %s → %s",
                                             d->conns[k].kind == DV_CONN_SKIP ? _("skip") : _("feedback"),
                                             d->conns[k].source, d->conns[k].target));
  g_ptr_array_add (conns, NULL);
  set_list (self->conn_names, (const char *const *) conns->pdata);
  gtk_drop_down_set_selected (self->conn_pick, self->conn);
  gtk_widget_set_sensitive (self->conn_box, d->n_conns > 0);
}

void
dv_architecture_page_refresh (DvArchitecturePage *self)
{
  if (self->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (self->edit);
  g_object_freeze_notify (G_OBJECT (self));
  self->updating++;
  self->area = CLAMP (self->area, 0, MAX (d->n_layers - 1, 0));
  self->conn = CLAMP (self->conn, 0, MAX (d->n_conns - 1, 0));
  refresh_pickers (self, d);
  dv_architecture_page_refresh_fields (self);

  gboolean modified = dv_arch_edit_is_modified (self->edit);
  gboolean rebuild = modified && dv_arch_edit_needs_rebuild (self->edit);
  /* the actions stay enabled (code may edit the DvArchEdit directly); the
   * buttons, bound to these properties, show what would happen */
  set_bool (self, &self->modified, modified, DV_ARCH_PROP_MODIFIED);
  set_bool (self, &self->can_undo, dv_arch_edit_can_undo (self->edit), DV_ARCH_PROP_CAN_UNDO);
  set_bool (self, &self->can_redo, dv_arch_edit_can_redo (self->edit), DV_ARCH_PROP_CAN_REDO);
  set_string (self, &self->apply_label, !modified ? _("Applied") : rebuild ? _("Apply (rebuild)")
                                                                          : _("Apply (soft change)"),
              DV_ARCH_PROP_APPLY_LABEL);
  g_autofree char *state = !modified ? g_strdup (_("The engine runs this model."))
    : g_strdup_printf (_("Edited, not applied yet: %s."),
                       rebuild ? _("applying rebuilds the model and keeps every weight that still fits")
                               : _("a soft change, applied between timesteps with every weight kept"));
  set_string (self, &self->state, state, DV_ARCH_PROP_STATE);
  g_autoptr (GPtrArray) warnings = dv_model_desc_warnings (d);
  /* a delay the sequence on show is too short for: that input never arrives */
  for (int k = 0; self->sequence_steps > 0 && k < d->n_conns; k++)
    if (d->conns[k].delay_index >= self->sequence_steps)
      g_ptr_array_add (warnings,
                       g_strdup_printf (_("%s: its delay of %g ms (%d steps) is as long as the %d-step "
                                          "sequence or longer, so nothing arrives through it"),
                                        d->conns[k].name, d->conns[k].t_ms, d->conns[k].delay_index,
                                        self->sequence_steps));
  for (int i = 0; self->sequence_steps > 0 && i < d->n_layers; i++)
    if (d->dt > 0 && d->layers[i].t_feedforward / d->dt >= self->sequence_steps)
      g_ptr_array_add (warnings,
                       g_strdup_printf (_("%s: its feedforward delay of %g ms is as long as the %d-step "
                                          "sequence or longer, so the areas after it never respond"),
                                        d->layers[i].name, d->layers[i].t_feedforward, self->sequence_steps));
  g_ptr_array_add (warnings, NULL);
  g_autofree char *w = g_strjoinv ("\n", (char **) warnings->pdata);
  set_string (self, &self->warnings, w, DV_ARCH_PROP_WARNINGS);
  self->seen_serial = dv_arch_edit_get_serial (self->edit);
  fill_diagram (self);
  self->updating--;
  g_object_thaw_notify (G_OBJECT (self));
}

/* ---- template callbacks ------------------------------------------------------------ */

static void
on_pick_changed (GtkDropDown *drop, GParamSpec *pspec, DvArchitecturePage *self)
{
  if (self->updating || self->edit == NULL)
    return;
  guint i = gtk_drop_down_get_selected (drop);
  if (i == GTK_INVALID_LIST_POSITION)
    return;
  if (drop == self->area_pick)
    {
      self->area = i;
      self->plot.selected = (DvArchHit) { DV_ARCH_HIT_AREA, (int) i };
    }
  else
    {
      self->conn = i;
      self->plot.selected = (DvArchHit) { DV_ARCH_HIT_CONN, (int) i };
    }
  dv_architecture_page_refresh (self);
}

static void
on_preset_changed (DvArchitecturePage *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), dv_architecture_page_props[DV_ARCH_PROP_PRESET]);
}

static void
on_diagram_pointer (DvPlotView *view, double x, double y, DvArchitecturePage *self)
{
  if (self->edit == NULL)
    return;
  DvArchHit hit = dv_arch_plot_hit (&self->plot, gtk_widget_get_width (GTK_WIDGET (view)),
                                    gtk_widget_get_height (GTK_WIDGET (view)), x, y);
  self->plot.selected = hit;
  if (hit.kind == DV_ARCH_HIT_AREA || hit.kind == DV_ARCH_HIT_RECURRENCE)
    self->area = hit.index;
  else if (hit.kind == DV_ARCH_HIT_CONN)
    self->conn = hit.index;
  dv_architecture_page_refresh (self);
  GtkWidget *focus = hit.kind == DV_ARCH_HIT_RECURRENCE
                       ? dv_architecture_page_field_widget (self, "recurrence_type", DV_ARCH_SCOPE_AREA)
                     : hit.kind == DV_ARCH_HIT_AREA
                       ? dv_architecture_page_field_widget (self, "channels", DV_ARCH_SCOPE_AREA)
                     : hit.kind == DV_ARCH_HIT_CONN
                       ? dv_architecture_page_field_widget (self, "delay", DV_ARCH_SCOPE_CONN)
                       : NULL;
  if (focus != NULL)
    gtk_widget_grab_focus (focus);
}

/* For the template's expressions: a label shows only when it has something to say. */
static gboolean
dv_architecture_page_has_text (gpointer self, const char *text)
{
  return text != NULL && *text != '\0';
}

static void
on_apply_clicked (DvArchitecturePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "arch.apply", NULL);
}

static void
on_undo_clicked (DvArchitecturePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "arch.undo", NULL);
}

static void
on_redo_clicked (DvArchitecturePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "arch.redo", NULL);
}

/* While the page shows, it follows edits made on the DvArchEdit directly. */
static gboolean
follow_edit (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  if (self->edit != NULL && dv_arch_edit_get_serial (self->edit) != self->seen_serial)
    dv_architecture_page_refresh (self);
  return G_SOURCE_CONTINUE;
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

static void
refresh_presets (DvArchitecturePage *self)
{
  g_auto (GStrv) names = dv_arch_edit_preset_names ();
  set_list (self->preset_names, (const char *const *) names);
}

/* The preset list shows the running model's class when it is one of them. */
static void
select_preset (DvArchitecturePage *self, const char *model_class)
{
  GListModel *names = G_LIST_MODEL (self->preset_names);
  for (guint i = 0; model_class != NULL && i < g_list_model_get_n_items (names); i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->preset_names, i), model_class) == 0)
      {
        gtk_drop_down_set_selected (self->preset_pick, i);
        return;
      }
}

DvArchEdit *
dv_architecture_page_get_edit (DvArchitecturePage *self)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), NULL);
  return self->edit;
}

void
dv_architecture_page_set_model_desc (DvArchitecturePage *self, const DvModelDesc *desc, gboolean follow)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_ARCHITECTURE_PAGE (self) && desc != NULL);
  if (self->edit == NULL)
    {
      self->edit = dv_arch_edit_new (desc);
      g_object_notify_by_pspec (G_OBJECT (self), dv_architecture_page_props[DV_ARCH_PROP_EDIT]);
    }
  else if (follow && same_desc (dv_arch_edit_get_applied (self->edit), desc))
    return; /* the model the editor applied itself: keep the edit and its history */
  else
    {
      dv_arch_edit_set_applied (self->edit, desc, follow);
      if (follow)
        {
          self->preset_steps = 0;
          /* a checkpoint or a reset from elsewhere: the last apply's report is history */
          g_autofree char *report = g_strdup_printf (_("The engine now runs %s (opened or replaced "
                                                       "outside this page); the edit starts from it."),
                                                     desc->model_class);
          dv_architecture_page_set_report (self, report);
        }
    }
  select_preset (self, desc->model_class);
  dv_architecture_page_refresh (self);
}

void
dv_architecture_page_applied (DvArchitecturePage *self, gboolean ok, const char *message,
                              const DvTransferReport *transfer, const DvModelDesc *desc)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_ARCHITECTURE_PAGE (self));
  GString *s = g_string_new (message);
  if (transfer != NULL)
    {
      g_autofree char *text = dv_transfer_report_to_text (transfer, 40);
      g_string_append_printf (s, "\n%s", text);
    }
  g_autofree char *report = g_string_free (s, FALSE);
  dv_architecture_page_set_report (self, report);
  if (!ok)
    dv_architecture_page_emit_error (self, message);
  if (ok)
    self->preset_steps = 0; /* the preset is built: later edits keep what fits */
  if (desc != NULL && self->edit != NULL)
    {
      dv_arch_edit_set_applied (self->edit, desc, FALSE);
      dv_architecture_page_refresh (self);
    }
}

const char *
dv_architecture_page_get_field_message (DvArchitecturePage *self, const char *path)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), NULL);
  DvArchField *f = dv_architecture_page_field_for_path (self, path);
  return f ? gtk_label_get_text (f->message) : "";
}

const char *
dv_architecture_page_get_field_text (DvArchitecturePage *self, const char *path)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), NULL);
  DvArchField *f = dv_architecture_page_field_for_path (self, path);
  if (f != NULL && GTK_IS_DROP_DOWN (f->widget))
    {
      guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (f->widget));
      return i < g_strv_length ((char **) f->options) ? f->options[i] : NULL;
    }
  return f != NULL && GTK_IS_EDITABLE (f->widget) ? gtk_editable_get_text (GTK_EDITABLE (f->widget)) : NULL;
}

const char *
dv_architecture_page_get_preset (DvArchitecturePage *self)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), NULL);
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->preset_pick);
  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

const char *
dv_architecture_page_get_report (DvArchitecturePage *self)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), NULL);
  return self->report ? self->report : "";
}

gboolean
dv_architecture_page_load_plugin (DvArchitecturePage *self, const char *path, GError **error)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self) && path != NULL, FALSE);
  GError *local = NULL;
  const DvPluginInfo *info = dv_plugin_load (path, &local);
  if (info == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot load the model plugin: %s"), local->message);
      dv_architecture_page_emit_error (self, msg);
      g_propagate_error (error, local);
      return FALSE;
    }
  refresh_presets (self);
  g_autofree char *report = g_strdup_printf (_("Loaded plugin “%s” %s (%s): its models are in the preset list."),
                                             info->name, info->version ? info->version : "",
                                             info->description ? info->description : path);
  dv_architecture_page_set_report (self, report);
  return TRUE;
}

gboolean
dv_architecture_page_get_fresh_apply (DvArchitecturePage *self, guint *seed)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), FALSE);
  if (seed != NULL)
    *seed = self->reset_seed;
  return self->preset_steps > 0 && !self->keep_weights;
}

void
dv_architecture_page_report_preset (DvArchitecturePage *self)
{
  const char *cls = self->edit != NULL ? dv_arch_edit_get_desc (self->edit)->model_class : "";
  g_autofree char *report = self->keep_weights
    ? g_strdup_printf (_("Preset “%s” is in the edit, not applied yet: Apply builds it and keeps "
                         "the current model's weights whose name and shape match (“Keep matching "
                         "weights” is ticked)."), cls)
    : g_strdup_printf (_("Preset “%s” is in the edit, not applied yet: Apply builds it with fresh "
                         "weights, seed %u (none of the current model's; tick “Keep matching "
                         "weights” to keep those whose name and shape match)."), cls,
                       self->reset_seed);
  dv_architecture_page_set_report (self, report);
}

guint
dv_architecture_page_get_reset_seed (DvArchitecturePage *self)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), 0);
  return self->reset_seed;
}

void
dv_architecture_page_set_reset_seed (DvArchitecturePage *self, guint seed)
{
  g_return_if_fail (DV_IS_ARCHITECTURE_PAGE (self));
  g_object_set (self, "reset-seed", MIN (seed, (guint) G_MAXINT32), NULL);
}

DvPlotView *
dv_architecture_page_get_diagram (DvArchitecturePage *self)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self), NULL);
  return self->diagram;
}

/* ---- GObject ----------------------------------------------------------------------- */

static void
dv_architecture_page_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (object);
  switch ((DvArchProp) id)
    {
    case DV_ARCH_PROP_EDIT: g_value_set_pointer (value, self->edit); break;
    case DV_ARCH_PROP_MODIFIED: g_value_set_boolean (value, self->modified); break;
    case DV_ARCH_PROP_CAN_UNDO: g_value_set_boolean (value, self->can_undo); break;
    case DV_ARCH_PROP_CAN_REDO: g_value_set_boolean (value, self->can_redo); break;
    case DV_ARCH_PROP_APPLY_LABEL: g_value_set_string (value, self->apply_label); break;
    case DV_ARCH_PROP_STATE: g_value_set_string (value, self->state); break;
    case DV_ARCH_PROP_REPORT: g_value_set_string (value, self->report); break;
    case DV_ARCH_PROP_WARNINGS: g_value_set_string (value, self->warnings); break;
    case DV_ARCH_PROP_PRESET: g_value_set_string (value, dv_architecture_page_get_preset (self)); break;
    case DV_ARCH_PROP_RESET_SEED: g_value_set_uint (value, self->reset_seed); break;
    case DV_ARCH_PROP_SEQUENCE_STEPS: g_value_set_int (value, self->sequence_steps); break;
    case DV_ARCH_PROP_KEEP_WEIGHTS: g_value_set_boolean (value, self->keep_weights); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dv_architecture_page_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (object);
  switch ((DvArchProp) id)
    {
    case DV_ARCH_PROP_RESET_SEED:
      if (self->reset_seed != g_value_get_uint (value))
        {
          self->reset_seed = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case DV_ARCH_PROP_SEQUENCE_STEPS:
      if (self->sequence_steps != g_value_get_int (value))
        {
          self->sequence_steps = g_value_get_int (value);
          g_object_notify_by_pspec (object, pspec);
          dv_architecture_page_refresh (self);
        }
      break;
    case DV_ARCH_PROP_KEEP_WEIGHTS:
      if (self->keep_weights != g_value_get_boolean (value))
        {
          self->keep_weights = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
          if (self->preset_steps > 0)
            dv_architecture_page_report_preset (self);
        }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dv_architecture_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), DV_TYPE_ARCHITECTURE_PAGE);
  G_OBJECT_CLASS (dv_architecture_page_parent_class)->dispose (object);
}

static void
dv_architecture_page_finalize (GObject *object)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (object);
  dv_arch_edit_free (self->edit);
  for (guint i = 0; i < DV_ARCH_N_FIELDS; i++)
    {
      g_free (self->fields[i].refused_path);
      g_free (self->fields[i].refused_over);
    }
  g_strfreev (self->plot_strings);
  g_free (self->plot_areas);
  g_free (self->plot_conns);
  g_free (self->apply_label);
  g_free (self->state);
  g_free (self->report);
  g_free (self->warnings);
  G_OBJECT_CLASS (dv_architecture_page_parent_class)->finalize (object);
}

static void
dv_architecture_page_class_init (DvArchitecturePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->get_property = dv_architecture_page_get_property;
  object_class->set_property = dv_architecture_page_set_property;
  object_class->dispose = dv_architecture_page_dispose;
  object_class->finalize = dv_architecture_page_finalize;

  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamSpec **p = dv_architecture_page_props;
  p[DV_ARCH_PROP_EDIT] = g_param_spec_pointer ("edit", NULL, NULL, ro);
  p[DV_ARCH_PROP_MODIFIED] = g_param_spec_boolean ("modified", NULL, NULL, FALSE, ro);
  p[DV_ARCH_PROP_CAN_UNDO] = g_param_spec_boolean ("can-undo", NULL, NULL, FALSE, ro);
  p[DV_ARCH_PROP_CAN_REDO] = g_param_spec_boolean ("can-redo", NULL, NULL, FALSE, ro);
  p[DV_ARCH_PROP_APPLY_LABEL] = g_param_spec_string ("apply-label", NULL, NULL, NULL, ro);
  p[DV_ARCH_PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, ro);
  p[DV_ARCH_PROP_REPORT] = g_param_spec_string ("report", NULL, NULL, NULL, ro);
  p[DV_ARCH_PROP_WARNINGS] = g_param_spec_string ("warnings", NULL, NULL, NULL, ro);
  p[DV_ARCH_PROP_PRESET] = g_param_spec_string ("preset", NULL, NULL, NULL, ro);
  p[DV_ARCH_PROP_RESET_SEED] = g_param_spec_uint ("reset-seed", NULL, NULL, 0, G_MAXINT32, 0,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                                  | G_PARAM_EXPLICIT_NOTIFY);
  p[DV_ARCH_PROP_SEQUENCE_STEPS] = g_param_spec_int ("sequence-steps", NULL, NULL, 0, G_MAXINT, 0,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                                     | G_PARAM_EXPLICIT_NOTIFY);
  p[DV_ARCH_PROP_KEEP_WEIGHTS] = g_param_spec_boolean ("keep-weights", NULL, NULL, FALSE,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                                      | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, DV_ARCH_N_PROPS, p);

  dv_architecture_page_signal_apply =
    g_signal_new ("apply-architecture", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  dv_architecture_page_signal_reset =
    g_signal_new ("reset-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signal_error = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                               NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (DV_TYPE_PLOT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynvision/Workbench/dv-architecture-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, DvArchitecturePage, name)
  CHILD (preset_pick);
  CHILD (area_pick);
  CHILD (conn_pick);
  CHILD (kind_pick);
  CHILD (src_pick);
  CHILD (tgt_pick);
  CHILD (preset_names);
  CHILD (area_names);
  CHILD (conn_names);
  CHILD (model_grid);
  CHILD (area_grid);
  CHILD (conn_grid);
  CHILD (conn_box);
  CHILD (diagram);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_pick_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_preset_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_diagram_pointer);
  gtk_widget_class_bind_template_callback (widget_class, on_apply_clicked);
  gtk_widget_class_bind_template_callback (widget_class, dv_architecture_page_has_text);
  gtk_widget_class_bind_template_callback (widget_class, on_undo_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_redo_clicked);
  dv_architecture_page_class_init_actions (widget_class);
}

static void
dv_architecture_page_init (DvArchitecturePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dv_arch_plot_init (&self->plot);
  dv_plot_view_set_name (self->diagram, "architecture");
  dv_plot_view_set_min_size (self->diagram, 480, 300);
  dv_plot_view_set_plot (self->diagram, dv_arch_plot_as_plot (&self->plot));
  dv_architecture_page_build_fields (self);
  refresh_presets (self);
  gtk_widget_add_tick_callback (GTK_WIDGET (self), follow_edit, NULL, NULL);
  dv_architecture_page_init_shortcuts (self);
}
