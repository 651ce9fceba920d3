/* dv-desc-json.c — the JSON form of a model description, and key=value
 * parsing of constructor keyword arguments.  The JSON keys are DynVision's
 * parameter names, so a description reads like the Python constructor. */
#include "dv-desc.h"

#include <math.h>
#include <string.h>

static const char *const target_names[] = { "output", "middle", "input" };
static const char *const pool_names[] = { "none", "max", "avg" };
static const char *const norm_names[] = { "none", "batch", "group" };
static const char *const form_names[] = { "adapt", "conv_bn", "convt_bn", "conv" };
static const char *const integ_names[] = { "additive", "multiplicative" };
static const char *const nonlin_names[] = { "relu", "identity" };
static const char *const kind_names[] = { "skip", "feedback" };

static int
name_index (const char *const *names, int n, const char *s)
{
  for (int i = 0; i < n; i++)
    if (g_ascii_strcasecmp (names[i], s) == 0)
      return i;
  return -1;
}

static void
set_num (DvJson *o, const char *k, double v)
{
  dv_json_object_set (o, k, dv_json_new_number (v));
}

static void
set_int (DvJson *o, const char *k, gint64 v)
{
  dv_json_object_set (o, k, dv_json_new_int (v));
}

static void
set_bool (DvJson *o, const char *k, gboolean v)
{
  dv_json_object_set (o, k, dv_json_new_bool (v));
}

static void
set_str (DvJson *o, const char *k, const char *v)
{
  dv_json_object_set (o, k, v ? dv_json_new_string (v) : dv_json_new_null ());
}

static DvJson *
layer_to_json (const DvLayerDesc *l)
{
  DvJson *o = dv_json_new_object ();
  set_str (o, "name", l->name);
  if (l->conv_name)
    {
      DvJson *c = dv_json_new_object ();
      set_str (c, "name", l->conv_name);
      set_int (c, "out_channels", l->conv_out);
      set_int (c, "kernel_size", l->conv_kernel);
      set_int (c, "stride", l->conv_stride);
      set_int (c, "padding", l->conv_padding);
      set_bool (c, "bias", l->conv_bias);
      dv_json_object_set (o, "conv", c);
    }
  set_str (o, "module", l->module_name);
  set_int (o, "in_channels", l->in_channels);
  set_int (o, "out_channels", l->out_channels);
  set_int (o, "kernel_size", l->kernel);
  set_int (o, "stride", l->stride);
  set_int (o, "padding", l->padding);
  set_bool (o, "bias", l->bias);
  if (l->mid_channels > 0)
    {
      set_int (o, "mid_channels", l->mid_channels);
      set_int (o, "kernel_size2", l->kernel2);
      set_int (o, "stride2", l->stride2);
      set_int (o, "padding2", l->padding2);
      set_bool (o, "bias2", l->bias2);
      set_int (o, "mid_groupnorm", l->mid_groupnorm);
    }
  set_str (o, "recurrence_type", dv_rec_type_name (l->rec_type));
  set_str (o, "recurrence_target", target_names[l->rec_target]);
  set_int (o, "recurrence_kernel_size", l->rec_kernel);
  set_bool (o, "recurrence_bias", l->rec_bias);
  if (l->rec_fixed)
    set_num (o, "fixed_self_weight", l->rec_fixed_weight);
  set_num (o, "t_feedforward", l->t_feedforward);
  set_num (o, "t_recurrence", l->t_recurrence);
  set_str (o, "tstep", l->tstep_name);
  if (l->tau_name)
    set_str (o, "tau_param", l->tau_name);
  set_num (o, "tau", l->tau);
  set_str (o, "nonlin", l->nonlin == DV_NONLIN_RELU ? "relu" : "identity");
  set_num (o, "supralinearity", l->supralinearity);
  if (l->weight_norm)
    set_bool (o, "weight_norm", TRUE);
  if (l->spatial_bias)
    set_bool (o, "spatial_bias", TRUE);
  if (l->pool_kind != DV_POOL_NONE)
    {
      DvJson *p = dv_json_new_object ();
      set_str (p, "kind", pool_names[l->pool_kind]);
      set_int (p, "kernel_size", l->pool.kernel);
      set_int (p, "stride", l->pool.stride);
      set_int (p, "padding", l->pool.padding);
      dv_json_object_set (o, "pool", p);
    }
  if (l->norm_kind != DV_NORM_NONE)
    {
      DvJson *p = dv_json_new_object ();
      set_str (p, "kind", norm_names[l->norm_kind]);
      set_str (p, "name", l->norm_name);
      if (l->norm_kind == DV_NORM_GROUP)
        set_int (p, "groups", l->norm_groups);
      dv_json_object_set (o, "norm", p);
    }
  return o;
}

DvJson *
dv_model_desc_to_json (const DvModelDesc *d)
{
  DvJson *o = dv_json_new_object ();
  set_str (o, "model", d->model_class);
  dv_json_object_set (o, "config", dv_json_copy (d->config));
  set_int (o, "n_classes", d->n_classes);
  DvJson *dims = dv_json_new_array ();
  dv_json_array_append (dims, dv_json_new_int (d->n_timesteps));
  dv_json_array_append (dims, dv_json_new_int (d->in_channels));
  dv_json_array_append (dims, dv_json_new_int (d->in_h));
  dv_json_array_append (dims, dv_json_new_int (d->in_w));
  dv_json_object_set (o, "input_dims", dims);
  set_num (o, "dt", d->dt);
  set_num (o, "tau", d->tau);
  set_num (o, "t_feedforward", d->t_feedforward);
  set_num (o, "t_recurrence", d->t_recurrence);
  set_num (o, "t_feedback", d->t_feedback);
  set_num (o, "t_skip", d->t_skip);
  set_bool (o, "skip", d->skip);
  set_bool (o, "feedback", d->feedback);
  set_str (o, "dynamics_solver", dv_model_desc_solver_name (d));
  set_int (o, "idle_timesteps", d->idle_timesteps);
  set_num (o, "loss_reaction_time", d->loss_reaction_time);
  set_bool (o, "feedforward_only", d->feedforward_only);
  if (d->ffonly_keeps_recurrence) /* written only where it matters */
    set_bool (o, "feedforward_only_keeps_recurrence", TRUE);
  if (d->history_set)
    set_num (o, "history_length_override", d->history_ms);
  set_int (o, "truncated_bptt_timesteps", d->tbptt);
  set_bool (o, "train_tau", d->train_tau);
  set_num (o, "non_input_value", d->non_input_value);
  set_int (o, "non_label_index", d->non_label_index);
  set_str (o, "data_presentation_pattern", d->pattern);
  set_bool (o, "shuffle_presentation_pattern", d->shuffle_pattern);
  set_str (o, "classifier_name", d->classifier_name);
  if (d->classifier_skip)
    set_str (o, "classifier_skip", d->classifier_skip);
  if (d->classifier_wn)
    set_bool (o, "classifier_weight_norm", TRUE);
  set_str (o, "init", d->init_scheme);
  set_num (o, "max_weight_init", d->max_weight_init);
  DvJson *ops = dv_json_new_array ();
  for (guint i = 0; i < d->operations->len; i++)
    dv_json_array_append (ops, dv_json_new_string (g_ptr_array_index (d->operations, i)));
  dv_json_object_set (o, "layer_operations", ops);
  DvJson *layers = dv_json_new_array ();
  for (int i = 0; i < d->n_layers; i++)
    dv_json_array_append (layers, layer_to_json (&d->layers[i]));
  dv_json_object_set (o, "layers", layers);
  DvJson *conns = dv_json_new_array ();
  for (int i = 0; i < d->n_conns; i++)
    {
      const DvConnDesc *c = &d->conns[i];
      DvJson *j = dv_json_new_object ();
      set_str (j, "kind", c->kind == DV_CONN_SKIP ? "skip" : "feedback");
      set_str (j, "name", c->name);
      set_str (j, "source", c->source);
      set_str (j, "target", c->target);
      set_str (j, "op", dv_op_name (c->op));
      set_str (j, "form", form_names[c->form]);
      if (c->form != DV_CONN_FORM_ADAPT)
        set_int (j, "stride", c->stride);
      if (c->form == DV_CONN_FORM_CONVT_BN || c->form == DV_CONN_FORM_CONV)
        set_int (j, "kernel_size", c->kernel);
      if (c->form == DV_CONN_FORM_CONV)
        {
          set_bool (j, "bias", c->conv_bias);
          set_bool (j, "weight_norm", c->weight_norm);
        }
      set_num (j, "t_ms", c->t_ms);
      set_str (j, "integration", integ_names[c->integration]);
      set_bool (j, "source_alias", c->source_alias);
      dv_json_array_append (conns, j);
    }
  dv_json_object_set (o, "connections", conns);
  return o;
}

/* ------------------------------------------------------------------------ */

static gboolean
bad (GError **error, const char *what, const char *expected)
{
  g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
               "model description: '%s' must be %s", what, expected);
  return FALSE;
}

static gboolean
get_enum (const DvJson *o, const char *key, const char *const *names, int n, int *out, GError **error)
{
  const DvJson *v = dv_json_object_get (o, key);
  if (v == NULL || dv_json_type (v) == DV_JSON_NULL)
    return TRUE;
  int i = dv_json_type (v) == DV_JSON_STRING ? name_index (names, n, dv_json_string (v)) : -1;
  if (i < 0)
    {
      GString *s = g_string_new ("one of");
      for (int k = 0; k < n; k++)
        g_string_append_printf (s, " '%s'", names[k]);
      bad (error, key, s->str);
      g_string_free (s, TRUE);
      return FALSE;
    }
  *out = i;
  return TRUE;
}

/* A member that is present must have the type its key takes, and an integer
 * must fit the engine's int: a description that says "kernel_size": 2.5,
 * "stride": "2" or "out_channels": 4294967297 is refused, not read as the
 * default or wrapped.  Ranges are validation's (dv-desc.c). */
static gboolean
wrong (GError **error, const char *where, const char *key, const DvJson *v, const char *expected)
{
  g_autofree char *s = dv_json_to_string (v, FALSE);
  g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "model description: %s'%s' must be %s (have %s)",
               where, key, expected, s);
  return FALSE;
}

static gboolean
int_value (const DvJson *v, const char *where, const char *key, gint64 lo, gint64 hi, gint64 *out, GError **error)
{
  double d = dv_json_number (v);
  if (v == NULL || dv_json_type (v) != DV_JSON_NUMBER || d != floor (d) || dv_json_int (v) < lo
      || dv_json_int (v) > hi)
    {
      g_autofree char *range = g_strdup_printf ("an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                                                lo, hi);
      return wrong (error, where, key, v, range);
    }
  *out = dv_json_int (v);
  return TRUE;
}

static gboolean
opt_int (const DvJson *o, const char *where, const char *key, int *out, GError **error)
{
  const DvJson *v = dv_json_object_get (o, key);
  gint64 i;
  if (v == NULL)
    return TRUE;
  if (!int_value (v, where, key, G_MININT, G_MAXINT, &i, error))
    return FALSE;
  *out = (int) i;
  return TRUE;
}

static gboolean
opt_num (const DvJson *o, const char *where, const char *key, double *out, GError **error)
{
  const DvJson *v = dv_json_object_get (o, key);
  if (v == NULL)
    return TRUE;
  if (dv_json_type (v) != DV_JSON_NUMBER)
    return wrong (error, where, key, v, "a number");
  *out = dv_json_number (v);
  return TRUE;
}

static gboolean
opt_bool (const DvJson *o, const char *where, const char *key, gboolean *out, GError **error)
{
  const DvJson *v = dv_json_object_get (o, key);
  if (v == NULL)
    return TRUE;
  if (dv_json_type (v) != DV_JSON_BOOL)
    return wrong (error, where, key, v, "true or false");
  *out = dv_json_bool (v);
  return TRUE;
}

/* A string member: absent keeps *out, null clears it (where null means
 * "none", as for tstep), anything else but a string is refused. */
static gboolean
opt_str (const DvJson *o, const char *where, const char *key, gboolean nullable, char **out, GError **error)
{
  const DvJson *v = dv_json_object_get (o, key);
  if (v == NULL)
    return TRUE;
  if (nullable && dv_json_type (v) == DV_JSON_NULL)
    {
      g_clear_pointer (out, g_free);
      return TRUE;
    }
  if (dv_json_type (v) != DV_JSON_STRING)
    return wrong (error, where, key, v, nullable ? "a string or null" : "a string");
  g_free (*out);
  *out = g_strdup (dv_json_string (v));
  return TRUE;
}

#define INT(o, key, field) if (!opt_int (o, where, key, &(field), error)) return FALSE
#define NUM(o, key, field) if (!opt_num (o, where, key, &(field), error)) return FALSE
#define BOOL(o, key, field) if (!opt_bool (o, where, key, &(field), error)) return FALSE
#define STR(o, key, nullable, field) if (!opt_str (o, where, key, nullable, &(field), error)) return FALSE

static gboolean
layer_from_json (DvModelDesc *d, guint index, const DvJson *j, GError **error)
{
  const char *name = dv_json_get_string (j, "name", NULL);
  if (name == NULL)
    return bad (error, "layers[].name", "a string");
  g_autofree char *where = g_strdup_printf ("layers[%u] (%s): ", index, name);
  DvLayerDesc *l = dv_model_desc_add_layer (d, name);
  const DvJson *conv = dv_json_object_get (j, "conv");
  if (conv && dv_json_type (conv) == DV_JSON_OBJECT)
    {
      l->conv_name = g_strdup ("conv");
      STR (conv, "name", FALSE, l->conv_name);
      INT (conv, "out_channels", l->conv_out);
      INT (conv, "kernel_size", l->conv_kernel);
      INT (conv, "stride", l->conv_stride);
      INT (conv, "padding", l->conv_padding);
      BOOL (conv, "bias", l->conv_bias);
    }
  else if (conv && dv_json_type (conv) != DV_JSON_NULL)
    return wrong (error, where, "conv", conv, "an object or null");
  STR (j, "module", FALSE, l->module_name);
  INT (j, "in_channels", l->in_channels);
  INT (j, "out_channels", l->out_channels);
  INT (j, "kernel_size", l->kernel);
  INT (j, "stride", l->stride);
  INT (j, "padding", l->padding);
  BOOL (j, "bias", l->bias);
  INT (j, "mid_channels", l->mid_channels);
  INT (j, "kernel_size2", l->kernel2);
  INT (j, "stride2", l->stride2);
  INT (j, "padding2", l->padding2);
  BOOL (j, "bias2", l->bias2);
  INT (j, "mid_groupnorm", l->mid_groupnorm);
  const char *rt = dv_json_get_string (j, "recurrence_type", "none");
  if (!dv_rec_type_from_name (rt, &l->rec_type))
    return bad (error, "recurrence_type",
                "one of none, self, full, depthpointwise, pointdepthwise, local, localdepthwise");
  int e = l->rec_target;
  if (!get_enum (j, "recurrence_target", target_names, 3, &e, error))
    return FALSE;
  l->rec_target = e;
  INT (j, "recurrence_kernel_size", l->rec_kernel);
  BOOL (j, "recurrence_bias", l->rec_bias);
  const DvJson *fw = dv_json_object_get (j, "fixed_self_weight");
  if (fw && dv_json_type (fw) != DV_JSON_NULL)
    {
      NUM (j, "fixed_self_weight", l->rec_fixed_weight);
      l->rec_fixed = TRUE;
    }
  NUM (j, "t_feedforward", l->t_feedforward);
  NUM (j, "t_recurrence", l->t_recurrence);
  /* absent: the default tstep_<name>; null: no tstep */
  STR (j, "tstep", TRUE, l->tstep_name);
  STR (j, "tau_param", TRUE, l->tau_name);
  NUM (j, "tau", l->tau);
  e = l->nonlin;
  if (!get_enum (j, "nonlin", nonlin_names, 2, &e, error))
    return FALSE;
  l->nonlin = e;
  NUM (j, "supralinearity", l->supralinearity);
  BOOL (j, "weight_norm", l->weight_norm);
  BOOL (j, "spatial_bias", l->spatial_bias);
  const DvJson *p = dv_json_object_get (j, "pool");
  if (p && dv_json_type (p) == DV_JSON_OBJECT)
    {
      e = DV_POOL_MAX;
      if (!get_enum (p, "kind", pool_names, 3, &e, error))
        return FALSE;
      l->pool_kind = e;
      l->pool.kernel = 3;
      l->pool.stride = 2;
      l->pool.padding = -1;
      INT (p, "kernel_size", l->pool.kernel);
      INT (p, "stride", l->pool.stride);
      INT (p, "padding", l->pool.padding);
    }
  else if (p && dv_json_type (p) != DV_JSON_NULL)
    return wrong (error, where, "pool", p, "an object or null");
  const DvJson *nm = dv_json_object_get (j, "norm");
  if (nm && dv_json_type (nm) == DV_JSON_OBJECT)
    {
      e = DV_NORM_BATCH;
      if (!get_enum (nm, "kind", norm_names, 3, &e, error))
        return FALSE;
      l->norm_kind = e;
      l->norm_name = g_strdup_printf ("norm_%s", name);
      STR (nm, "name", FALSE, l->norm_name);
      INT (nm, "groups", l->norm_groups);
    }
  else if (nm && dv_json_type (nm) != DV_JSON_NULL)
    return wrong (error, where, "norm", nm, "an object or null");
  return TRUE;
}

static gboolean
conn_from_json (DvModelDesc *d, guint index, const DvJson *c, GError **error)
{
  g_autofree char *where = g_strdup_printf ("connections[%u]: ", index);
  if (dv_json_type (c) != DV_JSON_OBJECT)
    return wrong (error, "", "connections[]", c, "an object");
  int e = DV_CONN_SKIP;
  if (!get_enum (c, "kind", kind_names, 2, &e, error))
    return FALSE;
  DvConnKind k = e;
  const char *src = dv_json_get_string (c, "source", NULL), *dst = dv_json_get_string (c, "target", NULL);
  if (src == NULL || dst == NULL)
    return bad (error, "connections[].source/target", "layer names");
  g_autofree char *dflt = g_strdup_printf ("%s_%s", k == DV_CONN_SKIP ? "addskip" : "addfeedback", dst);
  DvConnDesc *cd = dv_model_desc_add_conn (d, k, dflt, src, dst);
  STR (c, "name", FALSE, cd->name);
  const char *op = dv_json_get_string (c, "op", dv_op_name (cd->op));
  if (!dv_op_from_name (op, &cd->op))
    return bad (error, "connections[].op", "addskip, addext or addfeedback");
  e = cd->form;
  if (!get_enum (c, "form", form_names, 4, &e, error))
    return FALSE;
  cd->form = e;
  cd->stride = 1;
  INT (c, "stride", cd->stride);
  cd->kernel = cd->form == DV_CONN_FORM_CONV ? 0 : cd->stride;
  INT (c, "kernel_size", cd->kernel);
  cd->conv_bias = FALSE;
  BOOL (c, "bias", cd->conv_bias);
  cd->weight_norm = FALSE;
  BOOL (c, "weight_norm", cd->weight_norm);
  NUM (c, "t_ms", cd->t_ms);
  e = cd->integration;
  if (!get_enum (c, "integration", integ_names, 2, &e, error))
    return FALSE;
  cd->integration = e;
  cd->source_alias = TRUE;
  BOOL (c, "source_alias", cd->source_alias);
  return TRUE;
}

static gboolean
desc_from_json (DvModelDesc *d, const DvJson *j, GError **error)
{
  const char *where = "";
  STR (j, "model", FALSE, d->model_class);
  const DvJson *cfg = dv_json_object_get (j, "config");
  if (cfg && dv_json_type (cfg) == DV_JSON_OBJECT)
    {
      dv_json_free (d->config);
      d->config = dv_json_copy (cfg);
    }
  INT (j, "n_classes", d->n_classes);
  const DvJson *dims = dv_json_object_get (j, "input_dims");
  if (dims)
    {
      if (dv_json_type (dims) != DV_JSON_ARRAY || dv_json_length (dims) != 4)
        return bad (error, "input_dims", "a list [T, C, H, W]");
      int *fields[4] = { &d->n_timesteps, &d->in_channels, &d->in_h, &d->in_w };
      static const char *const keys[4] = { "input_dims[0] (T)", "input_dims[1] (C)", "input_dims[2] (H)",
                                           "input_dims[3] (W)" };
      for (guint i = 0; i < 4; i++)
        {
          gint64 v;
          if (!int_value (dv_json_array_get (dims, i), where, keys[i], G_MININT, G_MAXINT, &v, error))
            return FALSE;
          *fields[i] = (int) v;
        }
    }
  NUM (j, "dt", d->dt);
  NUM (j, "tau", d->tau);
  NUM (j, "t_feedforward", d->t_feedforward);
  NUM (j, "t_recurrence", d->t_recurrence);
  NUM (j, "t_feedback", d->t_feedback);
  NUM (j, "t_skip", d->t_skip);
  BOOL (j, "skip", d->skip);
  BOOL (j, "feedback", d->feedback);
  const char *solver = dv_json_get_string (j, "dynamics_solver", "euler");
  if (!dv_solver_from_name (solver, &d->solver, &d->solver_name))
    return bad (error, "dynamics_solver", "'euler', 'rk4' or the name of a registered solver");
  INT (j, "idle_timesteps", d->idle_timesteps);
  NUM (j, "loss_reaction_time", d->loss_reaction_time);
  BOOL (j, "feedforward_only", d->feedforward_only);
  BOOL (j, "feedforward_only_keeps_recurrence", d->ffonly_keeps_recurrence);
  if (dv_json_object_get (j, "history_length_override"))
    {
      NUM (j, "history_length_override", d->history_ms);
      d->history_set = TRUE;
    }
  INT (j, "truncated_bptt_timesteps", d->tbptt);
  BOOL (j, "train_tau", d->train_tau);
  NUM (j, "non_input_value", d->non_input_value);
  const DvJson *nli = dv_json_object_get (j, "non_label_index");
  if (nli && !int_value (nli, where, "non_label_index", G_MININT64, G_MAXINT64, &d->non_label_index, error))
    return FALSE;
  STR (j, "data_presentation_pattern", FALSE, d->pattern);
  BOOL (j, "shuffle_presentation_pattern", d->shuffle_pattern);
  STR (j, "classifier_name", FALSE, d->classifier_name);
  STR (j, "classifier_skip", TRUE, d->classifier_skip);
  BOOL (j, "classifier_weight_norm", d->classifier_wn);
  STR (j, "init", FALSE, d->init_scheme);
  NUM (j, "max_weight_init", d->max_weight_init);

  const DvJson *ops = dv_json_object_get (j, "layer_operations");
  if (ops == NULL || dv_json_type (ops) != DV_JSON_ARRAY)
    return bad (error, "layer_operations", "a list of operation names");
  for (guint i = 0; i < dv_json_length (ops); i++)
    {
      const DvJson *s = dv_json_array_get (ops, i);
      if (dv_json_type (s) != DV_JSON_STRING)
        return bad (error, "layer_operations", "a list of strings");
      g_ptr_array_add (d->operations, g_strdup (dv_json_string (s)));
    }
  const DvJson *layers = dv_json_object_get (j, "layers");
  if (layers == NULL || dv_json_type (layers) != DV_JSON_ARRAY)
    return bad (error, "layers", "a list of layer objects");
  for (guint i = 0; i < dv_json_length (layers); i++)
    if (!layer_from_json (d, i, dv_json_array_get (layers, i), error))
      return FALSE;
  const DvJson *conns = dv_json_object_get (j, "connections");
  if (conns && dv_json_type (conns) != DV_JSON_ARRAY && dv_json_type (conns) != DV_JSON_NULL)
    return bad (error, "connections", "a list of connection objects");
  for (guint i = 0; conns && i < dv_json_length (conns); i++)
    if (!conn_from_json (d, i, dv_json_array_get (conns, i), error))
      return FALSE;
  return TRUE;
}

#undef INT
#undef NUM
#undef BOOL
#undef STR

DvModelDesc *
dv_model_desc_from_json (const DvJson *j, GError **error)
{
  if (j == NULL || dv_json_type (j) != DV_JSON_OBJECT)
    {
      bad (error, "the description", "a JSON object");
      return NULL;
    }
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  d->non_label_index = -1;
  if (!desc_from_json (d, j, error) || !dv_model_desc_validate (d, error))
    return NULL;
  return g_steal_pointer (&d);
}

/* ------------------------------------------------------------------------ */

DvJson *
dv_kwargs_parse (const char *const *assignments, int n, GError **error)
{
  g_autoptr (DvJson) o = dv_json_new_object ();
  for (int i = 0; i < n; i++)
    {
      const char *a = assignments[i];
      const char *eq = strchr (a, '=');
      if (eq == NULL || eq == a)
        {
          g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                       "'%s' is not of the form key=value (for example tau=10 or rctype=full)", a);
          return NULL;
        }
      g_autofree char *key = g_strndup (a, eq - a);
      const char *val = eq + 1;
      DvJson *v = NULL;
      if (g_ascii_strcasecmp (val, "true") == 0 || g_ascii_strcasecmp (val, "yes") == 0)
        v = dv_json_new_bool (TRUE);
      else if (g_ascii_strcasecmp (val, "false") == 0 || g_ascii_strcasecmp (val, "no") == 0)
        v = dv_json_new_bool (FALSE);
      else if (g_ascii_strcasecmp (val, "none") == 0 || g_ascii_strcasecmp (val, "null") == 0)
        v = dv_json_new_null ();
      else if (val[0] == '[' || val[0] == '{' || val[0] == '"')
        {
          v = dv_json_parse (val, -1, error);
          if (v == NULL)
            {
              g_prefix_error (error, "%s=%s: ", key, val);
              return NULL;
            }
        }
      else
        {
          char *end = NULL;
          gint64 iv = g_ascii_strtoll (val, &end, 10);
          if (*val && end && *end == '\0')
            v = dv_json_new_int (iv);
          else
            {
              double dv = g_ascii_strtod (val, &end);
              if (*val && end && *end == '\0')
                v = dv_json_new_number (dv);
              else
                v = dv_json_new_string (val);
            }
        }
      dv_json_object_set (o, key, v);
    }
  return g_steal_pointer (&o);
}
