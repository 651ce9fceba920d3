/* dv-export-dynvision.c — model.py and weights.pt for DynVision (see
 * dv-export-dynvision.h).  Three parts: what DynVision cannot express
 * (refusals, checked before anything is written), the generated Python, and
 * the folder.  The Python text is DynVision's own vocabulary: its classes,
 * its keyword names, its module naming convention ({op}_{layer}). */
#include "dv-export-dynvision.h"
#include "dv-checkpoint.h"
#include "dv-error.h"
#include "dv-plugin.h"
#include "dv-torch.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* ---- refusals ---------------------------------------------------------- */

static gboolean
refuse (GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  dv_error_setv (error, DV_DESC_ERROR, code, "DynVision cannot express this model", fmt, ap);
  va_end (ap);
  return FALSE;
}

static gboolean
is_identifier (const char *s)
{
  if (s == NULL || !(g_ascii_isalpha (*s) || *s == '_'))
    return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum (*s) || *s == '_'))
      return FALSE;
  return TRUE;
}

/* `name` must be "<op>_<layer>", the module DynVision's dispatch looks up. */
static gboolean
check_dispatch_name (const char *what, const char *name, const char *op, const char *layer, GError **error)
{
  g_autofree char *want = g_strdup_printf ("%s_%s", op, layer);
  if (g_strcmp0 (name, want) != 0)
    return refuse (error, DV_DESC_ERROR_INVALID,
                   "%s '%s' of area %s: DynVision runs the '%s' operation of an area only through a module named "
                   "'%s'; rename it to '%s'", what, name, layer, op, want, want);
  return TRUE;
}

static gboolean
check_expressible (const DvModelDesc *D, GError **error)
{
  if (D->solver == DV_SOLVER_CUSTOM)
    return refuse (error, DV_DESC_ERROR_UNKNOWN, "the solver '%s' is a plugin of this engine; DynVision has "
                   "EulerStep and RungeKuttaStep (solver euler or rk4)", D->solver_name ? D->solver_name : "?");
  for (guint k = 0; k < D->ops->len; k++)
    {
      DvOp op = g_array_index (D->ops, DvOp, k);
      const char *name = g_ptr_array_index (D->operations, k);
      if (op == DV_OP_CUSTOM)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "operation '%s' is a custom (plugin) operation of this engine; "
                       "DynVision has no module for it — remove it from the operations", name);
      if (op == DV_OP_CONV)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "operation '%s' (the tutorial's separate pre-convolution) is "
                       "engine-only: DynVision's 'layer' module holds the feedforward convolution", name);
      if (op == DV_OP_SKIPZEROS || op == DV_OP_ADDBIAS)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "operation '%s' is only exported as part of its preset class "
                       "(%s) with keyword arguments; this edited model has it outside that class", name,
                       op == DV_OP_SKIPZEROS ? "CorNetRT" : "CordsNet");
    }
  if (g_strcmp0 (D->classifier_name, "classifier.2") != 0 || D->classifier_wn || D->classifier_skip)
    return refuse (error, DV_DESC_ERROR_INVALID, "the readout '%s'%s%s is not DyRCNN's classifier "
                   "(AdaptiveAvgPool2d, Flatten, Linear as 'classifier.2')", D->classifier_name,
                   D->classifier_wn ? " with weight norm" : "", D->classifier_skip ? " with a skip" : "");
  double supralin = 1.0;
  for (int i = 0; i < D->n_layers; i++)
    {
      const DvLayerDesc *l = &D->layers[i];
      if (!is_identifier (l->name) || g_strcmp0 (l->module_name, l->name) != 0)
        return refuse (error, DV_DESC_ERROR_INVALID, "area '%s' has the module '%s'; DynVision needs an area's "
                       "module named exactly like the area, and a Python identifier", l->name, l->module_name);
      if (l->conv_name)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "area %s has the pre-convolution '%s' (engine-only)", l->name,
                       l->conv_name);
      if (l->weight_norm)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "area %s uses weight-norm convolutions (only CordsNet's own "
                       "class has them)", l->name);
      if (l->spatial_bias)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "area %s has the spatial bias 'addbias_%s' (only CordsNet's "
                       "own class has it)", l->name, l->name);
      if (l->tstep_name && !check_dispatch_name ("the solver step", l->tstep_name, "tstep", l->name, error))
        return FALSE;
      if (l->tau_name && !is_identifier (l->tau_name))
        return refuse (error, DV_DESC_ERROR_INVALID, "area %s's tau parameter '%s' is not a Python identifier",
                       l->name, l->tau_name);
      if (l->norm_kind != DV_NORM_NONE && !check_dispatch_name ("the norm", l->norm_name, "norm", l->name, error))
        return FALSE;
      if (l->supralinearity != 1.0)
        {
          if (supralin != 1.0 && supralin != l->supralinearity)
            return refuse (error, DV_DESC_ERROR_INVALID, "areas differ in supralinearity (%g and %g); DynVision's "
                           "shared 'supralin' module has one exponent", supralin, l->supralinearity);
          supralin = l->supralinearity;
        }
    }
  for (int i = 0; i < D->n_conns; i++)
    {
      const DvConnDesc *c = &D->conns[i];
      if (c->form != DV_CONN_FORM_ADAPT)
        return refuse (error, DV_DESC_ERROR_UNKNOWN, "connection '%s' (%s → %s) is a %s; DynVision's Skip and "
                       "Feedback adapt with a 1×1 convolution and a nearest resize only", c->name, c->source,
                       c->target, c->form == DV_CONN_FORM_CONV ? "fixed CordsNet convolution" : "the tutorial's "
                       "BatchNorm connection");
      if (!c->source_alias)
        return refuse (error, DV_DESC_ERROR_INVALID, "connection '%s' does not list its source's tensors as "
                       "'%s.source.*', which DynVision's Skip and Feedback always have; set source_alias",
                       c->name, c->name);
      if (!check_dispatch_name ("the connection", c->name, dv_op_name (c->op), c->target, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- Python text ------------------------------------------------------- */

static void
py_number (GString *s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (v == (double) (gint64) v && v > -1e15 && v < 1e15)
    g_string_append_printf (s, "%" G_GINT64_FORMAT ".0", (gint64) v);
  else
    g_string_append (s, g_ascii_dtostr (buf, sizeof buf, v));
}

static void
py_string (GString *s, const char *v)
{
  g_string_append_c (s, '"');
  for (const char *p = v; *p; p++)
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if ((guchar) *p < 0x20)
      g_string_append_printf (s, "\\x%02x", (guchar) *p);
    else
      g_string_append_c (s, *p);
  g_string_append_c (s, '"');
}

static void
py_value (GString *s, const DvJson *j)
{
  switch (dv_json_type (j))
    {
    case DV_JSON_NULL: g_string_append (s, "None"); break;
    case DV_JSON_BOOL: g_string_append (s, dv_json_bool (j) ? "True" : "False"); break;
    case DV_JSON_NUMBER:
      if (dv_json_is_int (j))
        g_string_append_printf (s, "%" G_GINT64_FORMAT, dv_json_int (j));
      else
        py_number (s, dv_json_number (j));
      break;
    case DV_JSON_STRING: py_string (s, dv_json_string (j)); break;
    case DV_JSON_ARRAY:
      g_string_append_c (s, '[');
      for (guint i = 0; i < dv_json_length (j); i++)
        {
          if (i)
            g_string_append (s, ", ");
          py_value (s, dv_json_array_get (j, i));
        }
      g_string_append_c (s, ']');
      break;
    case DV_JSON_OBJECT:
      g_string_append_c (s, '{');
      for (guint i = 0; i < dv_json_length (j); i++)
        {
          if (i)
            g_string_append (s, ", ");
          py_string (s, dv_json_object_key (j, i));
          g_string_append (s, ": ");
          py_value (s, dv_json_object_value (j, i));
        }
      g_string_append_c (s, '}');
      break;
    }
}

static void
py_kwargs (GString *s, const DvJson *kwargs)
{
  g_string_append (s, "MODEL_KWARGS = {\n");
  for (guint i = 0; i < dv_json_length (kwargs); i++)
    {
      g_string_append (s, "    ");
      py_string (s, dv_json_object_key (kwargs, i));
      g_string_append (s, ": ");
      py_value (s, dv_json_object_value (kwargs, i));
      g_string_append (s, ",\n");
    }
  g_string_append (s, "}\n\n");
}

/* DynVision's short names: its workflow's model identifiers
 * "{model_name}:{k=v+k=v}_{seed}" allow no '_' inside the arguments. */
static const struct {
  const char *key, *alias;
} arg_aliases[] = {
  { "t_feedforward", "tff" }, { "t_recurrence", "trc" }, { "t_feedback", "tfb" }, { "t_skip", "tsk" },
  { "recurrence_type", "rctype" }, { "recurrence_target", "rctarget" }, { "idle_timesteps", "idle" },
  { "feedforward_only", "ffonly" }, { "dynamics_solver", "solver" }, { "loss_reaction_time", "lossrt" },
  { "data_presentation_pattern", "pattern" }, { "shuffle_presentation_pattern", "shufflepattern" },
  { "train_tau", "taugrad" }, { "supralinearity", "supralin" }, { "max_weight_init", "winit" },
  { "input_adaption_weight", "inadapt" }, { "feedback_mode", "fbmode" },
  { "truncated_bptt_timesteps", "tbptt" }, { "init_with_pretrained", "pretrained" },
};

/* "DyRCNNx4:tau=9+rctype=self", or NULL (with *why) when a value has no
 * form DynVision's identifiers allow (lower-case letters, digits, '.', ','). */
static char *
model_args (const char *cls, const DvJson *kwargs, char **why)
{
  GString *s = g_string_new (cls);
  guint n = 0;
  for (guint i = 0; i < dv_json_length (kwargs); i++)
    {
      const char *key = dv_json_object_key (kwargs, i);
      const DvJson *v = dv_json_object_value (kwargs, i);
      if (strcmp (key, "input_dims") == 0 || strcmp (key, "n_classes") == 0)
        continue; /* DynVision's runtime takes these from the dataset */
      for (guint a = 0; a < G_N_ELEMENTS (arg_aliases); a++)
        if (strcmp (key, arg_aliases[a].key) == 0)
          key = arg_aliases[a].alias;
      g_autoptr (GString) val = g_string_new (NULL);
      if (dv_json_type (v) == DV_JSON_BOOL)
        g_string_append (val, dv_json_bool (v) ? "true" : "false");
      else if (dv_json_type (v) == DV_JSON_NUMBER && dv_json_number (v) >= 0)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_string_append (val, g_ascii_formatd (buf, sizeof buf, "%.10g", dv_json_number (v)));
        }
      else if (dv_json_type (v) == DV_JSON_STRING)
        g_string_append (val, dv_json_string (v));
      gboolean ok = val->len > 0 && strchr (key, '_') == NULL;
      for (const char *p = val->str; ok && *p; p++)
        ok = g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '.' || *p == ',';
      if (!ok)
        {
          *why = g_strdup_printf ("the keyword argument %s has no form DynVision's model identifiers allow", key);
          g_string_free (s, TRUE);
          return NULL;
        }
      g_string_append_printf (s, "%s%s=%s", n++ ? "+" : ":", key, val->str);
    }
  return g_string_free (s, FALSE);
}

static const char *
preset_module (const char *cls)
{
  if (cls == NULL || dv_preset_plugin (cls))
    return NULL;
  if (g_str_has_prefix (cls, "DyRCNNx"))
    return "dynvision.models.dyrcnn";
  if (strcmp (cls, "CorNetRT") == 0)
    return "dynvision.models.cornet_rt";
  if (strcmp (cls, "CordsNet") == 0)
    return "dynvision.models.cordsnet";
  return NULL;
}

static const char *
py_bool (gboolean b)
{
  return b ? "True" : "False";
}

static int
pad_of (int padding, int kernel)
{
  return padding < 0 ? kernel / 2 : padding;
}

static void
emit_layer (GString *s, const DvModelDesc *D, int i, double supralin)
{
  const DvLayerDesc *l = &D->layers[i];
  int cin = i == 0 ? D->in_channels : l->in_channels;
  g_string_append_printf (s, "\n        # area %s: %d×%d → %d×%d, %d → %d channels\n", l->name, l->in_h, l->in_w,
                          l->out_h, l->out_w, cin, l->out_channels);
  g_string_append_printf (s, "        self.%s = RecurrentConnectedConv2d(\n            in_channels=%d,\n"
                          "            out_channels=%d,\n", l->name, cin, l->out_channels);
  if (l->mid_channels > 0)
    {
      g_string_append_printf (s, "            mid_channels=%d,\n            kernel_size=(%d, %d),\n"
                              "            stride=(%d, %d),\n            padding=(%d, %d),\n"
                              "            bias=(%s, %s),\n", l->mid_channels, l->kernel, l->kernel2, l->stride,
                              l->stride2, pad_of (l->padding, l->kernel), pad_of (l->padding2, l->kernel2),
                              py_bool (l->bias), py_bool (l->bias2));
      if (l->mid_groupnorm > 0)
        g_string_append_printf (s, "            mid_modules=nn.GroupNorm(%d, %d),\n", l->mid_groupnorm,
                                l->mid_channels);
    }
  else
    g_string_append_printf (s, "            kernel_size=%d,\n            stride=%d,\n            padding=%d,\n"
                            "            bias=%s,\n", l->kernel, l->stride, pad_of (l->padding, l->kernel),
                            py_bool (l->bias));
  g_string_append_printf (s, "            dim_y=%d,\n            dim_x=%d,\n            dt=self.dt,\n"
                          "            recurrence_type=\"%s\",\n            recurrence_target=\"%s\",\n",
                          l->in_h, l->in_w, dv_rec_type_name (l->rec_type),
                          l->rec_target == DV_TARGET_MIDDLE ? "middle"
                          : l->rec_target == DV_TARGET_INPUT ? "input" : "output");
  if (l->rec_kernel > 0)
    g_string_append_printf (s, "            recurrence_kernel_size=%d,\n", l->rec_kernel);
  g_string_append_printf (s, "            recurrence_bias=%s,\n", py_bool (l->rec_bias));
  if (l->rec_fixed)
    {
      g_string_append (s, "            fixed_self_weight=");
      py_number (s, l->rec_fixed_weight);
      g_string_append (s, ",\n");
    }
  g_string_append (s, "            t_recurrence=");
  py_number (s, l->t_recurrence);
  g_string_append (s, ",\n            t_feedforward=");
  py_number (s, l->t_feedforward);
  g_string_append (s, ",\n            history_length=self.history_length,\n"
                      "            max_weight_init=self.max_weight_init,\n"
                      "            feedforward_only=self.feedforward_only,\n        )\n");
  if (l->tstep_name)
    {
      const char *step = D->solver == DV_SOLVER_RK4 ? "RungeKuttaStep" : "EulerStep";
      if (l->tau_name)
        {
          g_string_append_printf (s, "        self.%s = nn.Parameter(torch.tensor(", l->tau_name);
          py_number (s, l->tau);
          g_string_append_printf (s, "), requires_grad=self.train_tau)\n        self.%s = %s(dt=self.dt, tau=self.%s)\n",
                                  l->tstep_name, step, l->tau_name);
        }
      else
        {
          g_string_append_printf (s, "        self.%s = %s(dt=self.dt, tau=", l->tstep_name, step);
          py_number (s, l->tau);
          g_string_append (s, ")\n");
        }
    }
  if (l->nonlin == DV_NONLIN_IDENTITY)
    g_string_append_printf (s, "        self.nonlin_%s = nn.Identity()\n", l->name);
  if (supralin != 1.0 && l->supralinearity == 1.0)
    g_string_append_printf (s, "        self.supralin_%s = nn.Identity()\n", l->name);
  if (l->pool_kind != DV_POOL_NONE)
    g_string_append_printf (s, "        self.pool_%s = nn.%s(kernel_size=%d, stride=%d, padding=%d)\n", l->name,
                            l->pool_kind == DV_POOL_MAX ? "MaxPool2d" : "AvgPool2d", l->pool.kernel,
                            l->pool.stride, pad_of (l->pool.padding, l->pool.kernel));
  if (l->norm_kind == DV_NORM_BATCH)
    g_string_append_printf (s, "        self.%s = nn.BatchNorm2d(%d)\n", l->norm_name, l->out_channels);
  else if (l->norm_kind == DV_NORM_GROUP)
    g_string_append_printf (s, "        self.%s = nn.GroupNorm(%d, %d)\n", l->norm_name, l->norm_groups,
                            l->out_channels);
}

static void
emit_class (GString *s, const DvModelDesc *D)
{
  double supralin = 1.0;
  for (int i = 0; i < D->n_layers; i++)
    if (D->layers[i].supralinearity != 1.0)
      supralin = D->layers[i].supralinearity;
  g_string_append (s, "class ExportedModel(DyRCNN):\n"
                      "    \"\"\"The engine's model, area by area, from DynVision's own components.\"\"\"\n\n"
                      "    def _define_architecture(self) -> None:\n        self.layer_names = [");
  for (int i = 0; i < D->n_layers; i++)
    g_string_append_printf (s, "%s\"%s\"", i ? ", " : "", D->layers[i].name);
  g_string_append (s, "]\n        self.layer_operations = [");
  for (guint k = 0; k < D->operations->len; k++)
    g_string_append_printf (s, "%s\"%s\"", k ? ", " : "", (char *) g_ptr_array_index (D->operations, k));
  g_string_append (s, "]\n        # ring capacity of every area: int(history_length / dt) states\n"
                      "        self.history_length = ");
  py_number (s, D->history_length);
  g_string_append (s, "\n        self.nonlin = nn.ReLU(inplace=False)\n");
  if (supralin != 1.0)
    {
      g_string_append (s, "        self.supralin = SupraLinearity(n=");
      py_number (s, supralin);
      g_string_append (s, ", requires_grad=False)\n");
    }
  for (int i = 0; i < D->n_layers; i++)
    emit_layer (s, D, i, supralin);
  if (D->n_conns > 0)
    g_string_append (s, "\n        # connections: a 1×1 convolution (when the channels differ, created by the\n"
                        "        # set-up pass) and a nearest resize of the source's stored state\n");
  for (int i = 0; i < D->n_conns; i++)
    {
      const DvConnDesc *c = &D->conns[i];
      g_string_append_printf (s, "        self.%s = %s(source=self.%s, auto_adapt=True, delay_index=%d, "
                              "integration_strategy=\"%s\")  # %g ms\n", c->name,
                              c->kind == DV_CONN_FEEDBACK ? "Feedback" : "Skip", c->source, c->delay_index,
                              c->integration == DV_INTEGRATE_MULTIPLICATIVE ? "multiplicative" : "additive", c->t_ms);
    }
  g_string_append_printf (s, "\n        self.classifier = nn.Sequential(\n            nn.AdaptiveAvgPool2d(1),\n"
                          "            nn.Flatten(),\n            nn.Linear(%d, self.n_classes),\n        )\n\n",
                          D->layers[D->n_layers - 1].out_channels);
  g_string_append (s, "    def reset(self, input_shape=None) -> None:\n"
                      "        for name in self.layer_names:\n"
                      "            getattr(self, name).reset()\n"
                      "            if hasattr(self, \"tstep_\" + name):\n"
                      "                getattr(self, \"tstep_\" + name).reset()\n\n\n"
                      "MODEL_CLASS = ExportedModel\n");
}

/* The model-wide keyword arguments of the generated class. */
static DvJson *
custom_kwargs (const DvModelDesc *D)
{
  DvJson *k = dv_json_new_object ();
  DvJson *dims = dv_json_new_array ();
  dv_json_array_append (dims, dv_json_new_int (D->n_timesteps));
  dv_json_array_append (dims, dv_json_new_int (D->in_channels));
  dv_json_array_append (dims, dv_json_new_int (D->in_h));
  dv_json_array_append (dims, dv_json_new_int (D->in_w));
  dv_json_object_set (k, "input_dims", dims);
  dv_json_object_set (k, "n_classes", dv_json_new_int (D->n_classes));
  dv_json_object_set (k, "dt", dv_json_new_number (D->dt));
  dv_json_object_set (k, "tau", dv_json_new_number (D->tau));
  dv_json_object_set (k, "t_feedforward", dv_json_new_number (D->t_feedforward));
  dv_json_object_set (k, "t_recurrence", dv_json_new_number (D->t_recurrence));
  dv_json_object_set (k, "t_feedback", dv_json_new_number (D->t_feedback));
  dv_json_object_set (k, "t_skip", dv_json_new_number (D->t_skip));
  gboolean any_skip = FALSE, any_fb = FALSE;
  for (int i = 0; i < D->n_conns; i++)
    {
      if (D->conns[i].kind == DV_CONN_FEEDBACK)
        any_fb = TRUE;
      else
        any_skip = TRUE;
    }
  /* DyRCNN's set-up pass (which creates the connections' convolutions) runs when either is on */
  dv_json_object_set (k, "skip", dv_json_new_bool (any_skip || (D->n_conns > 0 && !any_fb)));
  dv_json_object_set (k, "feedback", dv_json_new_bool (any_fb));
  dv_json_object_set (k, "idle_timesteps", dv_json_new_int (D->idle_timesteps));
  dv_json_object_set (k, "feedforward_only", dv_json_new_bool (D->feedforward_only));
  dv_json_object_set (k, "truncated_bptt_timesteps", dv_json_new_int (D->tbptt));
  dv_json_object_set (k, "loss_reaction_time", dv_json_new_number (D->loss_reaction_time));
  dv_json_object_set (k, "data_presentation_pattern", dv_json_new_string (D->pattern ? D->pattern : "1"));
  dv_json_object_set (k, "shuffle_presentation_pattern", dv_json_new_bool (D->shuffle_pattern));
  dv_json_object_set (k, "non_input_value", dv_json_new_number (D->non_input_value));
  dv_json_object_set (k, "non_label_index", dv_json_new_int (D->non_label_index));
  dv_json_object_set (k, "train_tau", dv_json_new_bool (D->train_tau));
  dv_json_object_set (k, "max_weight_init", dv_json_new_number (D->max_weight_init));
  return k;
}

/* The warm-up must be long enough for the longest connection delay to be
 * served, or DynVision never creates that connection's convolution. */
static int
warmup_timesteps (const DvModelDesc *D)
{
  int t = D->n_timesteps;
  for (int i = 0; i < D->n_conns; i++)
    t = MAX (t, D->conns[i].delay_index + D->n_layers + 1);
  return t;
}

static const char usage_text[] =
  "#\n"
  "# Load it (DynVision importable, e.g. PYTHONPATH=<DynVision checkout>):\n"
  "#   import sys, torch; sys.path.insert(0, \"<this folder>\")\n"
  "#   from model import build_model\n"
  "#   model = build_model()            # MODEL_CLASS(**MODEL_KWARGS) + its connection set-up\n"
  "#   model.load_state_dict(torch.load(\"<this folder>/weights.pt\"), strict=True)\n"
  "#   logits = model.eval()(x)         # x: [B, T, C, H, W] -> [B, T, n_classes]\n"
  "#\n";

static const char train_preset_text[] =
  "# Train it with DynVision's runtime, as its snakemake rules init_model/train_model call it\n"
  "# (dynvision/workflow/snake_runtime.smk; CONFIG = the workflow's merged config, defaults in\n"
  "# dynvision/configs/config_defaults.yaml):\n"
  "#   python dynvision/runtime/init_model.py --config_path CONFIG --model_name %s \\\n"
  "#       --dataset_path DATA/interim/NAME/train_all --data_name NAME --seed 0 --output init.pt %s\n"
  "#   python dynvision/runtime/train_model.py --config_path CONFIG --model_name %s \\\n"
  "#       --input_model_state init.pt --output_model_state trained.pt --checkpoint_dir ckpts \\\n"
  "#       --dataset_link DATA/interim/NAME/train_all --dataset_train DATA/interim/NAME/train_all \\\n"
  "#       --dataset_val DATA/interim/NAME/train_all --data_name NAME --data_group all --seed 0 %s\n"
  "# or the whole workflow, whose model identifier is MODEL_ARGS + \"_SEED\":\n"
  "#   snakemake --snakefile dynvision/workflow/Snakefile -j1 models/%s/%s_0/NAME/trained.pt\n"
  "# (train_model.py starts from a fresh initialisation whatever --input_model_state holds — its\n"
  "# load condition is inverted upstream; to continue from weights.pt, load it with build_model()\n"
  "# and train that model object with Lightning yourself.)\n";

static const char train_custom_text[] =
  "# Train it with DynVision's runtime: its scripts build a model by name from\n"
  "# dynvision.models, so register this class there first — copy this file to\n"
  "# dynvision/models/exported_model.py and add to dynvision/models/__init__.py\n"
  "#   from .exported_model import ExportedModel\n"
  "# then run dynvision/runtime/init_model.py and train_model.py with --model_name ExportedModel\n"
  "# and the other options as the workflow's rules init_model/train_model pass them\n"
  "# (dynvision/workflow/snake_runtime.smk), the entries of MODEL_KWARGS as --key value.\n"
  "# The architecture lives in this class, not in MODEL_KWARGS: keyword arguments that would\n"
  "# change an area (recurrence_type, tau per area, ...) have no effect here.  train_model.py\n"
  "# starts from a fresh initialisation (its load condition is inverted upstream); to continue\n"
  "# from weights.pt, load it with build_model() and train that object with Lightning.\n";

static const char back_text[] =
  "#\n"
  "# Bring the trained model back to DynVision Workbench (these read PyTorch files through the\n"
  "# engine's torch reader, engine/dv-torch.h; see doc/interop.md for what your version has):\n"
  "#   dynvision run -c trained.pt -i INPUT.safetensors -o OUT.safetensors   # run it directly\n"
  "#   dynvision convert trained.pt -o trained.safetensors                    # a workbench checkpoint\n"
  "#   (Lightning checkpoints from ckpts/*.ckpt open the same way, also in the workbench.)\n";

static const char setup_text[] =
  "def setup_connections(model):\n"
  "    \"\"\"DynVision's connection set-up (DyRCNN.setup(\"fit\")): one warm-up forward pass\n"
  "    that creates the Skip/Feedback 1x1 convolutions, so that weights.pt loads strictly.\n"
  "    For its duration every area's feedforward delay is lifted (with t_feedforward > 0\n"
  "    and skips, upstream's own warm-up fails on a not-yet-present input) and the\n"
  "    sequence is long enough for the longest connection delay to be served.\"\"\"\n"
  "    layers = [getattr(model, n) for n in getattr(model, \"layer_names\", [])]\n"
  "    saved_tff = [getattr(layer, \"t_feedforward\", None) for layer in layers]\n"
  "    saved_dims = tuple(model.input_dims)\n"
  "    try:\n"
  "        for layer in layers:\n"
  "            if hasattr(layer, \"t_feedforward\"):\n"
  "                layer.t_feedforward = 0\n"
  "        model.input_dims = (max(saved_dims[0], WARMUP_TIMESTEPS),) + saved_dims[1:]\n"
  "        model.setup(\"fit\")\n"
  "    finally:\n"
  "        for layer, tff in zip(layers, saved_tff):\n"
  "            if tff is not None:\n"
  "                layer.t_feedforward = tff\n"
  "        model.input_dims = saved_dims\n"
  "    model.reset()\n"
  "    return model\n\n\n"
  "def build_model(**overrides):\n"
  "    \"\"\"MODEL_CLASS(**MODEL_KWARGS, **overrides), connections set up, ready for\n"
  "    model.load_state_dict(torch.load(\"weights.pt\"), strict=True).\"\"\"\n"
  "    return setup_connections(MODEL_CLASS(**{**MODEL_KWARGS, **overrides}))\n";

/* A command-line word: as is when the shell leaves it alone, else quoted. */
static char *
shell_word (const char *v)
{
  gboolean plain = *v != '\0';
  for (const char *p = v; plain && *p; p++)
    plain = g_ascii_isalnum (*p) || strchr ("._,-/", *p) != NULL;
  return plain ? g_strdup (v) : g_shell_quote (v);
}

char *
dv_export_dynvision_model_py (DvModel *model, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  const DvModelDesc *D = dv_model_get_desc (model);
  g_autoptr (DvJson) exact = dv_checkpoint_exact_kwargs (D);
  const char *module = exact ? preset_module (D->model_class) : NULL;
  if (module == NULL && !check_expressible (D, error))
    return NULL;
  GString *s = g_string_new ("# model.py — written by DynVision Workbench (`dynvision export-dynvision`) for\n"
                             "# DynVision (github.com/rgutzen/DynVision); weights.pt beside it holds the weights.\n");
  g_autoptr (DvJson) kwargs = NULL;
  g_autofree char *args = NULL, *why = NULL;
  if (module)
    {
      /* this engine writes feedback="additive"/"multiplicative" for DynVision's "add"/"mul";
       * DynVision itself reads only the short forms as "on" */
      const DvJson *fb = dv_json_object_get (exact, "feedback");
      if (fb && dv_json_type (fb) == DV_JSON_STRING)
        dv_json_object_set (exact, "feedback", dv_json_new_string (
          g_ascii_strncasecmp (dv_json_string (fb), "mul", 3) == 0 ? "mul" : "add"));
      /* CorNetRT and CordsNet download their published weights unless told not to; the
       * weights are weights.pt (and the engine built this model without them) */
      if ((strcmp (D->model_class, "CorNetRT") == 0 || strcmp (D->model_class, "CordsNet") == 0)
          && dv_json_object_get (exact, "init_with_pretrained") == NULL)
        dv_json_object_set (exact, "init_with_pretrained", dv_json_new_bool (FALSE));
      kwargs = dv_json_copy (exact);
      if (dv_json_object_get (kwargs, "input_dims") == NULL)
        {
          DvJson *dims = dv_json_new_array ();
          dv_json_array_append (dims, dv_json_new_int (D->n_timesteps));
          dv_json_array_append (dims, dv_json_new_int (D->in_channels));
          dv_json_array_append (dims, dv_json_new_int (D->in_h));
          dv_json_array_append (dims, dv_json_new_int (D->in_w));
          dv_json_object_set (kwargs, "input_dims", dims);
        }
      if (dv_json_object_get (kwargs, "n_classes") == NULL)
        dv_json_object_set (kwargs, "n_classes", dv_json_new_int (D->n_classes));
      args = model_args (D->model_class, exact, &why);
      g_string_append_printf (s, "# The model is DynVision's own %s with the keyword arguments below.\n",
                              D->model_class);
    }
  else
    {
      kwargs = custom_kwargs (D);
      g_string_append_printf (s, "# No DynVision class builds this model from keyword arguments (%s%s), so\n"
                              "# ExportedModel below builds it from DynVision's components, area by area.\n",
                              D->model_class ? "it was derived from " : "it has no preset",
                              D->model_class ? D->model_class : "");
      why = g_strdup ("no DynVision class with keyword arguments is this model");
    }
  g_string_append (s, usage_text);
  if (module)
    {
      g_autoptr (GString) cli = g_string_new (NULL);
      for (guint i = 0; i < dv_json_length (exact); i++)
        {
          const char *k = dv_json_object_key (exact, i);
          if (strcmp (k, "input_dims") == 0 || strcmp (k, "n_classes") == 0)
            continue;
          const DvJson *v = dv_json_object_value (exact, i);
          g_autofree char *text = dv_json_type (v) == DV_JSON_STRING ? shell_word (dv_json_string (v))
                                                                     : dv_json_to_string (v, FALSE);
          g_string_append_printf (cli, "%s--%s %s", cli->len ? " " : "", k, text);
        }
      g_string_append_printf (s, train_preset_text, D->model_class, cli->str, D->model_class, cli->str,
                              D->model_class, args ? args : "<see MODEL_ARGS>");
    }
  else
    g_string_append (s, train_custom_text);
  g_string_append (s, back_text);
  g_string_append (s, "\nimport torch\nimport torch.nn as nn\n\n");
  if (module)
    g_string_append_printf (s, "from %s import %s\n\nMODEL_CLASS = %s\n", module, D->model_class, D->model_class);
  else
    g_string_append (s, "from dynvision.model_components import (\n    EulerStep,\n    RungeKuttaStep,\n"
                        "    RecurrentConnectedConv2d,\n    Skip,\n    Feedback,\n    SupraLinearity,\n)\n"
                        "from dynvision.models.dyrcnn import DyRCNN\n\n\n");
  if (!module)
    emit_class (s, D);
  g_string_append (s, "\n# DynVision's workflow identifier (\"Model:k=v+k=v\"), None when no preset expresses the model");
  if (why)
    g_string_append_printf (s, ":\n# %s", why);
  g_string_append (s, "\nMODEL_ARGS = ");
  if (args)
    py_string (s, args);
  else
    g_string_append (s, "None");
  g_string_append (s, "\n\n");
  py_kwargs (s, kwargs);
  g_string_append_printf (s, "WARMUP_TIMESTEPS = %d\n\n\n%s", warmup_timesteps (D), setup_text);
  return g_string_free (s, FALSE);
}

/* ---- the folder -------------------------------------------------------- */

gboolean
dv_export_dynvision (DvModel *model, const char *dir, GError **error)
{
  g_autofree char *py = dv_export_dynvision_model_py (model, error);
  if (py == NULL)
    return FALSE;
  g_autoptr (DvSafetensorsWriter) w = dv_checkpoint_writer (model, NULL);
  g_autoptr (GBytes) bytes = dv_safetensors_writer_to_bytes (w);
  g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (bytes, "weights", error);
  if (st == NULL)
    return FALSE;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "cannot create the folder %s: %s", dir,
                   g_strerror (e));
      return FALSE;
    }
  g_autofree char *py_path = g_build_filename (dir, "model.py", NULL);
  g_autofree char *pt_path = g_build_filename (dir, "weights.pt", NULL);
  if (!g_file_set_contents (py_path, py, -1, error))
    return FALSE;
  return dv_torch_save (st, pt_path, error);
}
