/* dv-arch-edit.c — field-by-field editing of a model description with
 * validation and undo (see dv-arch-edit.h): the edit object, committing,
 * areas, connections, presets and undo/redo.  The fields themselves (values,
 * paths, get and set) are in dv-arch-edit-fields.c.
 *
 * Every edit works on a copy: change the copy, re-derive what depends on it
 * (the next area's input channels, paddings that followed a kernel), run
 * dv_model_desc_validate, and only when that passes push the old
 * description on the undo stack and keep the copy.  What this is not for:
 * the engine's own checks (validation does those) or widgets.
 */
#include "dv-arch-edit-private.h"

#include "dv-model-edit.h"

#include <string.h>

typedef struct {
  DvModelDesc *desc;
  char *label;
} Step;

static void
step_free (Step *s)
{
  dv_model_desc_free (s->desc);
  g_free (s->label);
  g_free (s);
}

static Step *
step_new (const DvModelDesc *desc, const char *label)
{
  Step *s = g_new0 (Step, 1);
  s->desc = dv_model_desc_copy (desc);
  s->label = g_strdup (label);
  return s;
}

DvArchEdit *
dv_arch_edit_new (const DvModelDesc *applied)
{
  g_return_val_if_fail (applied != NULL, NULL);
  DvArchEdit *e = g_new0 (DvArchEdit, 1);
  e->desc = dv_model_desc_copy (applied);
  e->applied = dv_model_desc_copy (applied);
  dv_model_desc_validate (e->desc, NULL);
  dv_model_desc_validate (e->applied, NULL);
  e->undo = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  e->redo = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  return e;
}

void
dv_arch_edit_free (DvArchEdit *e)
{
  if (e == NULL)
    return;
  dv_model_desc_free (e->desc);
  dv_model_desc_free (e->applied);
  g_ptr_array_unref (e->undo);
  g_ptr_array_unref (e->redo);
  g_free (e);
}

const DvModelDesc *
dv_arch_edit_get_desc (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  return e->desc;
}

const DvModelDesc *
dv_arch_edit_get_applied (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  return e->applied;
}

void
dv_arch_edit_set_applied (DvArchEdit *e, const DvModelDesc *desc, gboolean follow)
{
  g_return_if_fail (e != NULL && desc != NULL);
  dv_model_desc_free (e->applied);
  e->applied = dv_model_desc_copy (desc);
  dv_model_desc_validate (e->applied, NULL);
  if (follow)
    {
      dv_model_desc_free (e->desc);
      e->desc = dv_model_desc_copy (e->applied);
      g_ptr_array_set_size (e->undo, 0);
      g_ptr_array_set_size (e->redo, 0);
    }
  e->serial++;
}

static char *
desc_string (const DvModelDesc *d)
{
  g_autoptr (DvJson) j = dv_model_desc_to_json (d);
  return dv_json_to_string (j, FALSE);
}

gboolean
dv_arch_edit_is_modified (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, FALSE);
  g_autofree char *a = desc_string (e->desc), *b = desc_string (e->applied);
  return strcmp (a, b) != 0;
}

gboolean
dv_arch_edit_needs_rebuild (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, FALSE);
  return dv_model_desc_needs_rebuild (e->applied, e->desc);
}

guint
dv_arch_edit_get_serial (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, 0);
  return e->serial;
}

/* ---- committing ----------------------------------------------------------------------- */

/* Input channels follow the previous area (through a pre-convolution, which
 * sets them itself). */
static void
relink (DvModelDesc *d)
{
  for (int i = 0; i < d->n_layers; i++)
    {
      DvLayerDesc *l = &d->layers[i];
      int c = i == 0 ? d->in_channels : d->layers[i - 1].out_channels;
      l->in_channels = l->conv_name ? l->conv_out : c;
    }
}

/* Validates `next`; on success it becomes the edit and the old one goes on
 * the undo stack; on failure `next` is dropped and error gets `what` as
 * prefix.  Takes `next`. */
gboolean
dv_arch_edit_commit (DvArchEdit *e, DvModelDesc *next, const char *what, GError **error)
{
  relink (next);
  GError *local = NULL;
  if (!dv_model_desc_validate (next, &local))
    {
      g_set_error (error, local->domain, local->code, "%s is refused: %s", what, local->message);
      g_error_free (local);
      dv_model_desc_free (next);
      return FALSE;
    }
  g_ptr_array_add (e->undo, step_new (e->desc, what));
  g_ptr_array_set_size (e->redo, 0);
  dv_model_desc_free (e->desc);
  e->desc = next;
  e->serial++;
  return TRUE;
}


/* ---- areas ----------------------------------------------------------------------------- */

static char *
new_area_name (const DvModelDesc *d, const char *like)
{
  gsize len = strlen (like);
  while (len > 0 && g_ascii_isdigit (like[len - 1]))
    len--;
  g_autofree char *prefix = g_strndup (like, len > 0 ? len : strlen (like));
  for (int n = 1;; n++)
    {
      char *name = g_strdup_printf ("%s%d", prefix, n);
      if (dv_model_desc_layer_index (d, name) < 0)
        return name;
      g_free (name);
    }
}

static void
copy_layer (DvLayerDesc *dst, const DvLayerDesc *src)
{
  *dst = *src;
  dst->name = g_strdup (src->name);
  dst->conv_name = g_strdup (src->conv_name);
  dst->module_name = g_strdup (src->module_name);
  dst->tstep_name = g_strdup (src->tstep_name);
  dst->tau_name = g_strdup (src->tau_name);
  dst->norm_name = g_strdup (src->norm_name);
}

static void
clear_layer (DvLayerDesc *l)
{
  g_free (l->name);
  g_free (l->conv_name);
  g_free (l->module_name);
  g_free (l->tstep_name);
  g_free (l->tau_name);
  g_free (l->norm_name);
}

gboolean
dv_arch_edit_add_area (DvArchEdit *e, int position, char **name_out, GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  const DvModelDesc *d = e->desc;
  if (position < 0 || position > d->n_layers)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "a new area goes at a position from 0 to %d, not %d",
            d->n_layers, position);
  DvModelDesc *next = dv_model_desc_copy (d);
  /* shaped like the area before it (or the first one): same channels, so
   * the areas after it still receive what they expect; no stride or
   * pooling, so the maps keep their size */
  int like = MAX (position - 1, 0);
  g_autofree char *name = new_area_name (d, d->layers[like].name);
  next->layers = g_renew (DvLayerDesc, next->layers, next->n_layers + 1);
  memmove (&next->layers[position + 1], &next->layers[position],
           sizeof (DvLayerDesc) * (next->n_layers - position));
  next->n_layers++;
  DvLayerDesc *l = &next->layers[position];
  copy_layer (l, &d->layers[like]);
  dv_arch_edit_rename_modules (l, name);
  if (position == 0 && l->conv_name == NULL)
    {
      /* a new first area takes the input's channels and passes on what the old first one received */
      l->out_channels = d->layers[0].in_channels;
    }
  else if (l->conv_name == NULL)
    l->out_channels = l->in_channels = d->layers[like].out_channels;
  if (l->conv_name)
    {
      l->conv_out = l->out_channels = position == 0 ? d->layers[0].in_channels
                                                    : d->layers[like].out_channels;
      l->conv_stride = 1;
    }
  l->stride = 1;
  l->pool_kind = DV_POOL_NONE;
  g_autofree char *what = g_strdup_printf ("add area %s", name);
  if (!dv_arch_edit_commit (e, next, what, error))
    return FALSE;
  if (name_out)
    *name_out = g_steal_pointer (&name);
  return TRUE;
}

static int
area_or_refuse (const DvModelDesc *d, const char *area, GError **error)
{
  int i = dv_model_desc_layer_index (d, area);
  if (i < 0)
    dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "the model has no area named “%s”", area ? area : "");
  return i;
}

gboolean
dv_arch_edit_remove_area (DvArchEdit *e, const char *area, GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  int i = area_or_refuse (e->desc, area, error);
  if (i < 0)
    return FALSE;
  if (e->desc->n_layers == 1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s is the only area; a model needs at least one "
            "(add another before removing this one)", area);
  DvModelDesc *next = dv_model_desc_copy (e->desc);
  int kept = 0;
  for (int k = 0; k < next->n_conns; k++)
    {
      DvConnDesc *c = &next->conns[k];
      if (g_strcmp0 (c->source, area) == 0 || g_strcmp0 (c->target, area) == 0)
        {
          g_free (c->name);
          g_free (c->source);
          g_free (c->target);
          continue;
        }
      next->conns[kept++] = *c;
    }
  next->n_conns = kept;
  if (g_strcmp0 (next->classifier_skip, area) == 0)
    g_clear_pointer (&next->classifier_skip, g_free);
  clear_layer (&next->layers[i]);
  memmove (&next->layers[i], &next->layers[i + 1], sizeof (DvLayerDesc) * (next->n_layers - i - 1));
  next->n_layers--;
  g_autofree char *what = g_strdup_printf ("remove area %s", area);
  return dv_arch_edit_commit (e, next, what, error);
}

gboolean
dv_arch_edit_move_area (DvArchEdit *e, const char *area, int delta, GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  int i = area_or_refuse (e->desc, area, error);
  if (i < 0)
    return FALSE;
  int j = i + delta;
  if (j < 0 || j >= e->desc->n_layers)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s is already the %s area", area,
            delta < 0 ? "first" : "last");
  DvModelDesc *next = dv_model_desc_copy (e->desc);
  DvLayerDesc moved = next->layers[i];
  if (j > i)
    memmove (&next->layers[i], &next->layers[i + 1], sizeof (DvLayerDesc) * (j - i));
  else
    memmove (&next->layers[j + 1], &next->layers[j], sizeof (DvLayerDesc) * (i - j));
  next->layers[j] = moved;
  g_autofree char *what = g_strdup_printf ("move area %s to position %d", area, j + 1);
  return dv_arch_edit_commit (e, next, what, error);
}

/* ---- connections ------------------------------------------------------------------------ */

gboolean
dv_arch_edit_add_conn (DvArchEdit *e, DvConnKind kind, const char *source, const char *target,
                       GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  const char *k = kind == DV_CONN_SKIP ? "skip" : "feedback";
  if (area_or_refuse (e->desc, source, error) < 0 || area_or_refuse (e->desc, target, error) < 0)
    return FALSE;
  if (dv_arch_edit_find_conn (e->desc, kind, source, target) >= 0)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "there already is a %s connection from %s to %s", k,
            source, target);
  DvModelDesc *next = dv_model_desc_copy (e->desc);
  g_autofree char *name = NULL;
  for (int n = 0; name == NULL; n++)
    {
      name = n == 0 ? g_strdup_printf ("add%s_%s", k, target)
             : g_strdup_printf ("add%s_%s_%s%.0d", k, source, target, n - 1);
      for (int c = 0; name != NULL && c < next->n_conns; c++)
        if (g_strcmp0 (next->conns[c].name, name) == 0)
          g_clear_pointer (&name, g_free);
    }
  dv_model_desc_add_conn (next, kind, name, source, target);
  /* the connection needs its op slot in the per-layer operations */
  const char *slot = kind == DV_CONN_SKIP ? "addskip" : "addfeedback";
  gboolean has = FALSE;
  guint after = 0;
  for (guint i = 0; i < next->operations->len; i++)
    {
      const char *op = g_ptr_array_index (next->operations, i);
      has |= g_str_equal (op, slot);
      if (g_str_equal (op, "layer") || g_str_equal (op, "recurrent") || g_str_equal (op, "addskip"))
        after = i + 1;
    }
  if (!has)
    g_ptr_array_insert (next->operations, after, g_strdup (slot));
  if (kind == DV_CONN_SKIP)
    next->skip = TRUE;
  else
    next->feedback = TRUE;
  g_autofree char *what = g_strdup_printf ("add %s %s->%s", k, source, target);
  return dv_arch_edit_commit (e, next, what, error);
}

gboolean
dv_arch_edit_remove_conn (DvArchEdit *e, DvConnKind kind, const char *source, const char *target,
                          GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  const char *k = kind == DV_CONN_SKIP ? "skip" : "feedback";
  int i = dv_arch_edit_find_conn (e->desc, kind, source, target);
  if (i < 0)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "the model has no %s connection from %s to %s", k,
            source ? source : "", target ? target : "");
  DvModelDesc *next = dv_model_desc_copy (e->desc);
  g_free (next->conns[i].name);
  g_free (next->conns[i].source);
  g_free (next->conns[i].target);
  memmove (&next->conns[i], &next->conns[i + 1], sizeof (DvConnDesc) * (next->n_conns - i - 1));
  next->n_conns--;
  g_autofree char *what = g_strdup_printf ("remove %s %s->%s", k, source, target);
  return dv_arch_edit_commit (e, next, what, error);
}

/* ---- presets ----------------------------------------------------------------------------- */

char **
dv_arch_edit_preset_names (void)
{
  return g_strdupv ((char **) dv_preset_names ());
}

gboolean
dv_arch_edit_load_preset (DvArchEdit *e, const char *name, GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  const DvModelDesc *d = e->desc;
  g_autoptr (DvJson) kwargs = dv_json_new_object ();
  DvJson *dims = dv_json_new_array ();
  int v[4] = { d->n_timesteps, d->in_channels, d->in_h, d->in_w };
  for (int i = 0; i < 4; i++)
    dv_json_array_append (dims, dv_json_new_int (v[i]));
  dv_json_object_set (kwargs, "input_dims", dims);
  dv_json_object_set (kwargs, "n_classes", dv_json_new_int (d->n_classes));
  GError *local = NULL;
  DvModelDesc *next = name ? dv_preset_build (name, kwargs, &local) : NULL;
  if (next == NULL)
    {
      if (local == NULL)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "no preset name given");
      g_propagate_prefixed_error (error, local, "preset %s: ", name);
      return FALSE;
    }
  g_autofree char *what = g_strdup_printf ("preset %s", name);
  return dv_arch_edit_commit (e, next, what, error);
}

/* ---- undo ----------------------------------------------------------------------------- */

gboolean
dv_arch_edit_can_undo (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, FALSE);
  return e->undo->len > 0;
}

gboolean
dv_arch_edit_can_redo (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, FALSE);
  return e->redo->len > 0;
}

const char *
dv_arch_edit_undo_label (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  return e->undo->len ? ((Step *) g_ptr_array_index (e->undo, e->undo->len - 1))->label : NULL;
}

const char *
dv_arch_edit_redo_label (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  return e->redo->len ? ((Step *) g_ptr_array_index (e->redo, e->redo->len - 1))->label : NULL;
}

/* Moves the newest step of `from` to the edit and the edit to `to`. */
static gboolean
swap_step (DvArchEdit *e, GPtrArray *from, GPtrArray *to)
{
  if (from->len == 0)
    return FALSE;
  Step *s = g_ptr_array_steal_index (from, from->len - 1);
  DvModelDesc *old = e->desc;
  e->desc = s->desc;
  s->desc = old;
  g_ptr_array_add (to, s);
  e->serial++;
  return TRUE;
}

gboolean
dv_arch_edit_undo (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, FALSE);
  return swap_step (e, e->undo, e->redo);
}

gboolean
dv_arch_edit_redo (DvArchEdit *e)
{
  g_return_val_if_fail (e != NULL, FALSE);
  return swap_step (e, e->redo, e->undo);
}
