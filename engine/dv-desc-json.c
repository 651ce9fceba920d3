/* dv-desc-json.c — the JSON form of a model description, and key=value
 * parsing of constructor keyword arguments.  The JSON keys are DynVision's
 * parameter names, so a description reads like the Python constructor. */
#include "dv-desc.h"

#include <string.h>

static const char *const target_names[] = { "output", "middle", "input" };
static const char *const pool_names[] = { "none", "max", "avg" };
static const char *const norm_names[] = { "none", "batch", "group" };
static const char *const form_names[] = { "adapt", "conv_bn", "convt_bn", "conv" };
static const char *const integ_names[] = { "additive", "multiplicative" };

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

static char *
dup_str (const DvJson *o, const char *key, const char *dflt)
{
  const DvJson *v = dv_json_object_get (o, key);
  if (v && dv_json_type (v) == DV_JSON_NULL)
    return NULL;
  return g_strdup (dv_json_get_string (o, key, dflt));
}

static gboolean
layer_from_json (DvModelDesc *d, const DvJson *j, GError **error)
{
  const char *name = dv_json_get_string (j, "name", NULL);
  if (name == NULL)
    return bad (error, "layers[].name", "a string");
  DvLayerDesc *l = dv_model_desc_add_layer (d, name);
  const DvJson *conv = dv_json_object_get (j, "conv");
  if (conv && dv_json_type (conv) == DV_JSON_OBJECT)
    {
      l->conv_name = g_strdup (dv_json_get_string (conv, "name", "conv"));
      l->conv_out = dv_json_get_int (conv, "out_channels", 0);
      l->conv_kernel = dv_json_get_int (conv, "kernel_size", 3);
      l->conv_stride = dv_json_get_int (conv, "stride", 1);
      l->conv_padding = dv_json_get_int (conv, "padding", -1);
      l->conv_bias = dv_json_get_bool (conv, "bias", TRUE);
    }
  g_free (l->module_name);
  l->module_name = g_strdup (dv_json_get_string (j, "module", name));
  l->in_channels = dv_json_get_int (j, "in_channels", l->in_channels);
  l->out_channels = dv_json_get_int (j, "out_channels", l->out_channels);
  l->kernel = dv_json_get_int (j, "kernel_size", 3);
  l->stride = dv_json_get_int (j, "stride", 1);
  l->padding = dv_json_get_int (j, "padding", -1);
  l->bias = dv_json_get_bool (j, "bias", TRUE);
  l->mid_channels = dv_json_get_int (j, "mid_channels", 0);
  l->kernel2 = dv_json_get_int (j, "kernel_size2", 3);
  l->stride2 = dv_json_get_int (j, "stride2", 1);
  l->padding2 = dv_json_get_int (j, "padding2", -1);
  l->bias2 = dv_json_get_bool (j, "bias2", TRUE);
  l->mid_groupnorm = dv_json_get_int (j, "mid_groupnorm", 0);
  const char *rt = dv_json_get_string (j, "recurrence_type", "none");
  if (!dv_rec_type_from_name (rt, &l->rec_type))
    return bad (error, "recurrence_type",
                "one of none, self, full, depthpointwise, pointdepthwise, local, localdepthwise");
  int e = l->rec_target;
  if (!get_enum (j, "recurrence_target", target_names, 3, &e, error))
    return FALSE;
  l->rec_target = e;
  l->rec_kernel = dv_json_get_int (j, "recurrence_kernel_size", 0);
  l->rec_bias = dv_json_get_bool (j, "recurrence_bias", TRUE);
  const DvJson *fw = dv_json_object_get (j, "fixed_self_weight");
  if (fw && dv_json_type (fw) == DV_JSON_NUMBER)
    l->rec_fixed = TRUE, l->rec_fixed_weight = dv_json_number (fw);
  l->t_feedforward = dv_json_get_number (j, "t_feedforward", d->t_feedforward);
  l->t_recurrence = dv_json_get_number (j, "t_recurrence", d->t_recurrence);
  g_free (l->tstep_name);
  l->tstep_name = dup_str (j, "tstep", l->tstep_name);
  l->tau_name = dup_str (j, "tau_param", NULL);
  l->tau = dv_json_get_number (j, "tau", d->tau);
  const char *nl = dv_json_get_string (j, "nonlin", "relu");
  l->nonlin = g_ascii_strcasecmp (nl, "identity") == 0 ? DV_NONLIN_IDENTITY : DV_NONLIN_RELU;
  l->supralinearity = dv_json_get_number (j, "supralinearity", 1.0);
  l->weight_norm = dv_json_get_bool (j, "weight_norm", FALSE);
  l->spatial_bias = dv_json_get_bool (j, "spatial_bias", FALSE);
  const DvJson *p = dv_json_object_get (j, "pool");
  if (p && dv_json_type (p) == DV_JSON_OBJECT)
    {
      e = DV_POOL_MAX;
      if (!get_enum (p, "kind", pool_names, 3, &e, error))
        return FALSE;
      l->pool_kind = e;
      l->pool.kernel = dv_json_get_int (p, "kernel_size", 3);
      l->pool.stride = dv_json_get_int (p, "stride", 2);
      l->pool.padding = dv_json_get_int (p, "padding", -1);
    }
  const DvJson *nm = dv_json_object_get (j, "norm");
  if (nm && dv_json_type (nm) == DV_JSON_OBJECT)
    {
      e = DV_NORM_BATCH;
      if (!get_enum (nm, "kind", norm_names, 3, &e, error))
        return FALSE;
      l->norm_kind = e;
      l->norm_name = g_strdup (dv_json_get_string (nm, "name", NULL));
      if (l->norm_name == NULL)
        l->norm_name = g_strdup_printf ("norm_%s", name);
      l->norm_groups = dv_json_get_int (nm, "groups", 0);
    }
  return TRUE;
}

DvModelDesc *
dv_model_desc_from_json (const DvJson *j, GError **error)
{
  if (j == NULL || dv_json_type (j) != DV_JSON_OBJECT)
    {
      bad (error, "the description", "a JSON object");
      return NULL;
    }
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  g_free (d->model_class);
  d->model_class = g_strdup (dv_json_get_string (j, "model", "Custom"));
  const DvJson *cfg = dv_json_object_get (j, "config");
  if (cfg && dv_json_type (cfg) == DV_JSON_OBJECT)
    {
      dv_json_free (d->config);
      d->config = dv_json_copy (cfg);
    }
  d->n_classes = dv_json_get_int (j, "n_classes", d->n_classes);
  const DvJson *dims = dv_json_object_get (j, "input_dims");
  if (dims)
    {
      if (dv_json_type (dims) != DV_JSON_ARRAY || dv_json_length (dims) != 4)
        {
          bad (error, "input_dims", "a list [T, C, H, W]");
          return NULL;
        }
      d->n_timesteps = dv_json_int (dv_json_array_get (dims, 0));
      d->in_channels = dv_json_int (dv_json_array_get (dims, 1));
      d->in_h = dv_json_int (dv_json_array_get (dims, 2));
      d->in_w = dv_json_int (dv_json_array_get (dims, 3));
    }
  d->dt = dv_json_get_number (j, "dt", d->dt);
  d->tau = dv_json_get_number (j, "tau", d->tau);
  d->t_feedforward = dv_json_get_number (j, "t_feedforward", d->t_feedforward);
  d->t_recurrence = dv_json_get_number (j, "t_recurrence", d->t_recurrence);
  d->t_feedback = dv_json_get_number (j, "t_feedback", d->t_feedback);
  d->t_skip = dv_json_get_number (j, "t_skip", d->t_skip);
  d->skip = dv_json_get_bool (j, "skip", d->skip);
  d->feedback = dv_json_get_bool (j, "feedback", d->feedback);
  const char *solver = dv_json_get_string (j, "dynamics_solver", "euler");
  if (!dv_solver_from_name (solver, &d->solver, &d->solver_name))
    {
      bad (error, "dynamics_solver", "'euler', 'rk4' or the name of a registered solver");
      return NULL;
    }
  d->idle_timesteps = dv_json_get_int (j, "idle_timesteps", 0);
  d->loss_reaction_time = dv_json_get_number (j, "loss_reaction_time", 0);
  d->feedforward_only = dv_json_get_bool (j, "feedforward_only", FALSE);
  d->tbptt = dv_json_get_int (j, "truncated_bptt_timesteps", 0);
  d->train_tau = dv_json_get_bool (j, "train_tau", FALSE);
  d->non_input_value = dv_json_get_number (j, "non_input_value", 0.0);
  d->non_label_index = dv_json_get_int (j, "non_label_index", -1);
  g_free (d->pattern);
  d->pattern = g_strdup (dv_json_get_string (j, "data_presentation_pattern", "1"));
  d->shuffle_pattern = dv_json_get_bool (j, "shuffle_presentation_pattern", FALSE);
  g_free (d->classifier_name);
  d->classifier_name = g_strdup (dv_json_get_string (j, "classifier_name", "classifier.2"));
  d->classifier_skip = g_strdup (dv_json_get_string (j, "classifier_skip", NULL));
  d->classifier_wn = dv_json_get_bool (j, "classifier_weight_norm", FALSE);
  g_free (d->init_scheme);
  d->init_scheme = g_strdup (dv_json_get_string (j, "init", "dynvision"));
  d->max_weight_init = dv_json_get_number (j, "max_weight_init", 0.001);

  const DvJson *ops = dv_json_object_get (j, "layer_operations");
  if (ops == NULL || dv_json_type (ops) != DV_JSON_ARRAY)
    {
      bad (error, "layer_operations", "a list of operation names");
      return NULL;
    }
  for (guint i = 0; i < dv_json_length (ops); i++)
    {
      const DvJson *s = dv_json_array_get (ops, i);
      if (dv_json_type (s) != DV_JSON_STRING)
        {
          bad (error, "layer_operations", "a list of strings");
          return NULL;
        }
      g_ptr_array_add (d->operations, g_strdup (dv_json_string (s)));
    }
  const DvJson *layers = dv_json_object_get (j, "layers");
  if (layers == NULL || dv_json_type (layers) != DV_JSON_ARRAY)
    {
      bad (error, "layers", "a list of layer objects");
      return NULL;
    }
  for (guint i = 0; i < dv_json_length (layers); i++)
    if (!layer_from_json (d, dv_json_array_get (layers, i), error))
      return NULL;
  const DvJson *conns = dv_json_object_get (j, "connections");
  for (guint i = 0; conns && i < dv_json_length (conns); i++)
    {
      const DvJson *c = dv_json_array_get (conns, i);
      const char *kind = dv_json_get_string (c, "kind", "skip");
      const char *src = dv_json_get_string (c, "source", NULL), *dst = dv_json_get_string (c, "target", NULL);
      if (src == NULL || dst == NULL)
        {
          bad (error, "connections[].source/target", "layer names");
          return NULL;
        }
      DvConnKind k = g_ascii_strcasecmp (kind, "feedback") == 0 ? DV_CONN_FEEDBACK : DV_CONN_SKIP;
      g_autofree char *dflt = g_strdup_printf ("%s_%s", k == DV_CONN_SKIP ? "addskip" : "addfeedback", dst);
      DvConnDesc *cd = dv_model_desc_add_conn (d, k, dv_json_get_string (c, "name", dflt), src, dst);
      const char *op = dv_json_get_string (c, "op", dv_op_name (cd->op));
      if (!dv_op_from_name (op, &cd->op))
        {
          bad (error, "connections[].op", "addskip, addext or addfeedback");
          return NULL;
        }
      int e = cd->form;
      if (!get_enum (c, "form", form_names, 4, &e, error))
        return NULL;
      cd->form = e;
      cd->stride = dv_json_get_int (c, "stride", 1);
      cd->kernel = dv_json_get_int (c, "kernel_size", cd->form == DV_CONN_FORM_CONV ? 0 : cd->stride);
      cd->conv_bias = dv_json_get_bool (c, "bias", FALSE);
      cd->weight_norm = dv_json_get_bool (c, "weight_norm", FALSE);
      cd->t_ms = dv_json_get_number (c, "t_ms", cd->t_ms);
      e = cd->integration;
      if (!get_enum (c, "integration", integ_names, 2, &e, error))
        return NULL;
      cd->integration = e;
      cd->source_alias = dv_json_get_bool (c, "source_alias", TRUE);
    }
  if (!dv_model_desc_validate (d, error))
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
