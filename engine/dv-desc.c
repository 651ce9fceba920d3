/* dv-desc.c — model descriptions: defaults, validation with useful errors,
 * and the JSON form.  Presets live in dv-presets.c. */
#include "dv-desc.h"
#include "dv-custom.h"
#include "dv-error.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (dv-desc-error-quark, dv_desc_error)

static const char *const op_names[DV_OP_N_OPS] = {
  [DV_OP_CONV] = "conv",
  [DV_OP_LAYER] = "layer",
  [DV_OP_ADDSKIP] = "addskip",
  [DV_OP_ADDEXT] = "addext",
  [DV_OP_ADDFEEDBACK] = "addfeedback",
  [DV_OP_TSTEP] = "tstep",
  [DV_OP_NONLIN] = "nonlin",
  [DV_OP_SUPRALIN] = "supralin",
  [DV_OP_RECORD] = "record",
  [DV_OP_DELAY] = "delay",
  [DV_OP_POOL] = "pool",
  [DV_OP_NORM] = "norm",
  [DV_OP_SKIPZEROS] = "skipzeros",
  [DV_OP_ADDBIAS] = "addbias",
  [DV_OP_CUSTOM] = "custom",
};

const char *
dv_op_name (DvOp op)
{
  g_return_val_if_fail (op < DV_OP_N_OPS, NULL);
  return op_names[op];
}

gboolean
dv_op_from_name (const char *name, DvOp *op)
{
  if (g_strcmp0 (name, "recurrent") == 0)
    {
      *op = DV_OP_LAYER; /* the tutorial's name for the RConv2d op */
      return TRUE;
    }
  for (int i = 0; i < DV_OP_N_OPS; i++)
    if (i != DV_OP_CUSTOM && g_strcmp0 (name, op_names[i]) == 0)
      {
        *op = i;
        return TRUE;
      }
  return FALSE;
}

static const char *const rec_names[] = {
  "none", "self", "full", "depthpointwise", "pointdepthwise", "local", "localdepthwise",
};

const char *
dv_rec_type_name (DvRecType t)
{
  g_return_val_if_fail (t <= DV_REC_LOCALDEPTHWISE, NULL);
  return rec_names[t];
}

gboolean
dv_rec_type_from_name (const char *name, DvRecType *t)
{
  if (name == NULL)
    {
      *t = DV_REC_NONE;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (rec_names); i++)
    if (g_ascii_strcasecmp (name, rec_names[i]) == 0)
      {
        *t = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
dv_solver_from_name (const char *name, DvSolver *solver, char **custom_name)
{
  if (custom_name)
    *custom_name = NULL;
  if (name == NULL || g_ascii_strcasecmp (name, "euler") == 0)
    *solver = DV_SOLVER_EULER;
  else if (g_ascii_strcasecmp (name, "rk4") == 0)
    *solver = DV_SOLVER_RK4;
  else if (dv_solver_lookup (name))
    {
      *solver = DV_SOLVER_CUSTOM;
      if (custom_name)
        *custom_name = g_strdup (name);
    }
  else
    return FALSE;
  return TRUE;
}

const char *
dv_model_desc_solver_name (const DvModelDesc *d)
{
  switch (d->solver)
    {
    case DV_SOLVER_RK4: return "rk4";
    case DV_SOLVER_CUSTOM: return d->solver_name;
    case DV_SOLVER_EULER:
    default: return "euler";
    }
}

double
dv_round_half_even (double x)
{
  double r = round (x);
  if (fabs (x - trunc (x)) == 0.5)
    r = 2.0 * round (x / 2.0);
  return r;
}

/* ------------------------------------------------------------------------ */

DvModelDesc *
dv_model_desc_new (void)
{
  DvModelDesc *d = g_new0 (DvModelDesc, 1);
  d->model_class = g_strdup ("Custom");
  d->config = dv_json_new_object ();
  d->n_classes = 10;
  d->n_timesteps = 1;
  d->in_channels = 3;
  d->in_h = d->in_w = 32;
  d->dt = 2.0;
  d->tau = 5.0;
  d->t_recurrence = 6.0;
  d->non_label_index = -1;
  d->pattern = g_strdup ("1");
  d->operations = g_ptr_array_new_with_free_func (g_free);
  d->ops = g_array_new (FALSE, FALSE, sizeof (DvOp));
  d->op_classes = g_ptr_array_new ();
  d->classifier_name = g_strdup ("classifier.2");
  d->init_scheme = g_strdup ("dynvision");
  d->max_weight_init = 0.001;
  return d;
}

static void
layer_clear (DvLayerDesc *l)
{
  g_free (l->name);
  g_free (l->conv_name);
  g_free (l->module_name);
  g_free (l->tstep_name);
  g_free (l->tau_name);
  g_free (l->norm_name);
}

static void
conn_clear (DvConnDesc *c)
{
  g_free (c->name);
  g_free (c->source);
  g_free (c->target);
}

void
dv_model_desc_free (DvModelDesc *d)
{
  if (d == NULL)
    return;
  g_free (d->model_class);
  dv_json_free (d->config);
  g_free (d->pattern);
  g_ptr_array_unref (d->operations);
  g_array_unref (d->ops);
  g_ptr_array_unref (d->op_classes);
  g_free (d->solver_name);
  for (int i = 0; i < d->n_layers; i++)
    layer_clear (&d->layers[i]);
  g_free (d->layers);
  for (int i = 0; i < d->n_conns; i++)
    conn_clear (&d->conns[i]);
  g_free (d->conns);
  g_free (d->classifier_name);
  g_free (d->classifier_skip);
  g_free (d->init_scheme);
  g_free (d);
}

DvModelDesc *
dv_model_desc_copy (const DvModelDesc *src)
{
  DvModelDesc *d = g_new0 (DvModelDesc, 1);
  *d = *src;
  d->model_class = g_strdup (src->model_class);
  d->config = dv_json_copy (src->config);
  d->pattern = g_strdup (src->pattern);
  d->operations = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < src->operations->len; i++)
    g_ptr_array_add (d->operations, g_strdup (g_ptr_array_index (src->operations, i)));
  d->ops = g_array_copy (src->ops);
  d->op_classes = g_ptr_array_copy (src->op_classes, NULL, NULL);
  d->solver_name = g_strdup (src->solver_name);
  d->layers = g_new0 (DvLayerDesc, MAX (src->n_layers, 1));
  for (int i = 0; i < src->n_layers; i++)
    {
      DvLayerDesc *l = &d->layers[i];
      *l = src->layers[i];
      l->name = g_strdup (l->name);
      l->conv_name = g_strdup (l->conv_name);
      l->module_name = g_strdup (l->module_name);
      l->tstep_name = g_strdup (l->tstep_name);
      l->tau_name = g_strdup (l->tau_name);
      l->norm_name = g_strdup (l->norm_name);
    }
  d->conns = g_new0 (DvConnDesc, MAX (src->n_conns, 1));
  for (int i = 0; i < src->n_conns; i++)
    {
      DvConnDesc *c = &d->conns[i];
      *c = src->conns[i];
      c->name = g_strdup (c->name);
      c->source = g_strdup (c->source);
      c->target = g_strdup (c->target);
    }
  d->classifier_name = g_strdup (src->classifier_name);
  d->classifier_skip = g_strdup (src->classifier_skip);
  d->init_scheme = g_strdup (src->init_scheme);
  return d;
}

DvLayerDesc *
dv_model_desc_add_layer (DvModelDesc *d, const char *name)
{
  d->layers = g_renew (DvLayerDesc, d->layers, d->n_layers + 1);
  DvLayerDesc *l = &d->layers[d->n_layers++];
  memset (l, 0, sizeof *l);
  l->name = g_strdup (name);
  l->module_name = g_strdup (name);
  l->in_channels = d->n_layers == 1 ? d->in_channels : d->layers[d->n_layers - 2].out_channels;
  l->out_channels = l->in_channels;
  l->kernel = 3;
  l->stride = 1;
  l->padding = -1;
  l->bias = TRUE;
  l->kernel2 = 3;
  l->stride2 = 1;
  l->padding2 = -1;
  l->rec_type = DV_REC_NONE;
  l->rec_target = DV_TARGET_OUTPUT;
  l->rec_bias = TRUE;
  l->t_feedforward = d->t_feedforward;
  l->t_recurrence = d->t_recurrence;
  l->tstep_name = g_strdup_printf ("tstep_%s", name);
  l->tau = d->tau;
  l->nonlin = DV_NONLIN_RELU;
  l->supralinearity = 1.0;
  l->conv_padding = -1;
  l->conv_stride = 1;
  l->conv_kernel = 3;
  l->conv_bias = TRUE;
  l->pool.padding = -1;
  return l;
}

DvConnDesc *
dv_model_desc_add_conn (DvModelDesc *d, DvConnKind kind, const char *name,
                        const char *source, const char *target)
{
  d->conns = g_renew (DvConnDesc, d->conns, d->n_conns + 1);
  DvConnDesc *c = &d->conns[d->n_conns++];
  memset (c, 0, sizeof *c);
  c->kind = kind;
  c->name = g_strdup (name);
  c->source = g_strdup (source);
  c->target = g_strdup (target);
  c->op = kind == DV_CONN_SKIP ? DV_OP_ADDSKIP : DV_OP_ADDFEEDBACK;
  c->form = DV_CONN_FORM_ADAPT;
  c->stride = 1;
  c->kernel = 1;
  c->t_ms = kind == DV_CONN_SKIP ? d->t_skip : d->t_feedback;
  c->integration = DV_INTEGRATE_ADDITIVE;
  c->source_alias = TRUE;
  return c;
}

int
dv_model_desc_layer_index (const DvModelDesc *d, const char *name)
{
  for (int i = 0; i < d->n_layers; i++)
    if (g_strcmp0 (d->layers[i].name, name) == 0)
      return i;
  return -1;
}

void
dv_model_desc_set_operations (DvModelDesc *d, const char *const *ops)
{
  g_ptr_array_set_size (d->operations, 0);
  for (int i = 0; ops[i] != NULL; i++)
    g_ptr_array_add (d->operations, g_strdup (ops[i]));
}

/* ------------------------------------------------------------------------ */
/* Validation                                                               */

/* In 64 bits: a padding or input near 2³¹ must not wrap.  The stride is ≥ 1
 * (checked before every call). */
static gint64
out_size (gint64 in, gint64 k, gint64 s, gint64 p)
{
  g_assert (s >= 1);
  gint64 span = in + 2 * p - k;
  return span < 0 ? 0 : span / s + 1;
}

/* A map of C×H×W values per sample: each side and the product stay far
 * inside int, the type the kernels index with (the memory bound comes on top,
 * see dv_model_desc_check_size). */
static gboolean
check_map (GError **error, const char *layer, const char *what, gint64 C, gint64 H, gint64 W)
{
  if (H <= DV_DESC_MAX_VALUES && W <= DV_DESC_MAX_VALUES && C * H <= DV_DESC_MAX_VALUES
      && C * H * W <= DV_DESC_MAX_VALUES)
    return TRUE;
  return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                       "layer %s: %s would be %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                       " values per sample, asking for %.3g GB; a map holds at most %d values (check channels, input size and padding)",
                       layer, what, C, H, W, 4.0 * C * H * W / 1e9, DV_DESC_MAX_VALUES);
}

static gboolean
finite_ge0 (double x)
{
  return isfinite (x) && x >= 0;
}

static gboolean
is_square (int c)
{
  int r = (int) floor (sqrt ((double) c) + 0.5);
  return r * r == c;
}

static gboolean
validate_layer (DvModelDesc *d, int i, int *C, int *H, int *W, GError **error)
{
  DvLayerDesc *l = &d->layers[i];
  const char *n = l->name;

  if (l->conv_name)
    {
      if (l->conv_kernel < 1 || l->conv_stride < 1 || l->conv_out < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "layer %s: the pre-convolution needs kernel ≥ 1, stride ≥ 1 and ≥ 1 output channel "
                             "(has kernel %d, stride %d, %d channels)", n, l->conv_kernel, l->conv_stride, l->conv_out);
      if (l->conv_padding < 0)
        l->conv_padding = l->conv_kernel / 2;
      gint64 h = out_size (*H, l->conv_kernel, l->conv_stride, l->conv_padding);
      gint64 w = out_size (*W, l->conv_kernel, l->conv_stride, l->conv_padding);
      if (!check_map (error, n, "the pre-convolution's output", l->conv_out, h, w))
        return FALSE;
      if (h < 1 || w < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                             "layer %s: a %d×%d input is too small for the %d×%d pre-convolution with padding %d; "
                             "use a larger input, a smaller kernel or more padding", n, *H, *W,
                             l->conv_kernel, l->conv_kernel, l->conv_padding);
      *C = l->conv_out;
      *H = h;
      *W = w;
    }
  if (l->in_channels != *C)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                         "layer %s expects %d input channels but receives %d from %s; set its in_channels to %d",
                         n, l->in_channels, *C, i == 0 ? (l->conv_name ? "its pre-convolution" : "the input")
                         : d->layers[i - 1].name, *C);
  if (l->conv_padding < -1 || l->padding < -1 || l->padding2 < -1 || l->pool.padding < -1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "layer %s: paddings must be ≥ 0, or -1 for kernel_size / 2 (have %d, %d, %d, pool %d)", n,
                         l->conv_padding, l->padding, l->padding2, l->pool.padding);
  if (l->out_channels < 1 || l->kernel < 1 || l->stride < 1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "layer %s: out_channels, kernel_size and stride must be ≥ 1 (have %d, %d, %d)",
                         n, l->out_channels, l->kernel, l->stride);
  if (l->mid_channels < 0)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "layer %s: mid_channels must be ≥ 0 (0 = one stage; have %d)",
                         n, l->mid_channels);
  if (l->padding < 0)
    l->padding = l->kernel / 2;
  l->in_h = *H;
  l->in_w = *W;
  gint64 mh = out_size (*H, l->kernel, l->stride, l->padding), mw = out_size (*W, l->kernel, l->stride, l->padding);
  if (!check_map (error, n, "the convolution's output", l->mid_channels > 0 ? l->mid_channels : l->out_channels,
                  mh, mw))
    return FALSE;
  l->mid_h = (int) mh;
  l->mid_w = (int) mw;
  if (l->mid_h < 1 || l->mid_w < 1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                         "layer %s: its %d×%d input is too small for a %d×%d convolution with stride %d and padding %d; "
                         "reduce the stride or pooling of earlier layers or use a larger input",
                         n, *H, *W, l->kernel, l->kernel, l->stride, l->padding);
  l->out_h = l->mid_h;
  l->out_w = l->mid_w;
  if (l->mid_channels > 0)
    {
      if (l->kernel2 < 1 || l->stride2 < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "layer %s: the second convolution needs kernel_size2 ≥ 1 and stride2 ≥ 1 (have %d, %d)",
                             n, l->kernel2, l->stride2);
      if (l->mid_groupnorm < 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "layer %s: mid_groupnorm must be ≥ 0 (0 = none; have %d)",
                             n, l->mid_groupnorm);
      if (l->padding2 < 0)
        l->padding2 = l->kernel2 / 2;
      gint64 oh = out_size (l->mid_h, l->kernel2, l->stride2, l->padding2);
      gint64 ow = out_size (l->mid_w, l->kernel2, l->stride2, l->padding2);
      if (!check_map (error, n, "the second convolution's output", l->out_channels, oh, ow))
        return FALSE;
      l->out_h = (int) oh;
      l->out_w = (int) ow;
      if (l->out_h < 1 || l->out_w < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE, "layer %s: the second convolution does not fit a %d×%d map",
                             n, l->mid_h, l->mid_w);
      if (l->mid_groupnorm > 0 && l->mid_channels % l->mid_groupnorm != 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "layer %s: %d middle channels cannot be split into %d GroupNorm groups; "
                             "choose a group count that divides %d", n, l->mid_channels, l->mid_groupnorm, l->mid_channels);
    }
  else if (l->rec_target == DV_TARGET_MIDDLE)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "layer %s: recurrence_target 'middle' needs a two-stage layer (mid_channels > 0); "
                         "use 'output' or 'input'", n);
  l->out_c = l->out_channels;
  if (l->rec_kernel <= 0)
    l->rec_kernel = l->kernel;
  if ((l->rec_type == DV_REC_LOCAL || l->rec_type == DV_REC_LOCALDEPTHWISE) && !is_square (l->out_channels))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "layer %s: local recurrence needs a square number of channels (have %d); "
                         "use e.g. %d or %d channels, or another recurrence type", n, l->out_channels,
                         (int) floor (sqrt (l->out_channels)) * (int) floor (sqrt (l->out_channels)),
                         ((int) floor (sqrt (l->out_channels)) + 1) * ((int) floor (sqrt (l->out_channels)) + 1));
  if (l->tstep_name && !(l->tau > 0 && isfinite (l->tau)))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "layer %s: tau must be a finite number > 0 ms (have %g)", n, l->tau);
  if (!finite_ge0 (l->t_feedforward) || !finite_ge0 (l->t_recurrence))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "layer %s: delays must be finite numbers ≥ 0 ms (have t_feedforward %g, t_recurrence %g)",
                         n, l->t_feedforward, l->t_recurrence);
  if (!isfinite (l->supralinearity) || (l->rec_fixed && !isfinite (l->rec_fixed_weight)))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "layer %s: supralinearity and fixed_self_weight must be finite numbers (have %g, %g)", n,
                         l->supralinearity, l->rec_fixed_weight);

  *C = l->out_channels;
  *H = l->out_h;
  *W = l->out_w;
  if (l->pool_kind != DV_POOL_NONE)
    {
      if (l->pool.kernel < 1 || l->pool.stride < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "layer %s: pooling kernel and stride must be ≥ 1", n);
      if (l->pool.padding < 0)
        l->pool.padding = l->pool.kernel / 2;
      if (2 * l->pool.padding > l->pool.kernel)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "layer %s: pooling padding %d is more than half the kernel %d (PyTorch refuses this); "
                             "use padding ≤ %d", n, l->pool.padding, l->pool.kernel, l->pool.kernel / 2);
      *H = (int) out_size (*H, l->pool.kernel, l->pool.stride, l->pool.padding);
      *W = (int) out_size (*W, l->pool.kernel, l->pool.stride, l->pool.padding);
      if (*H < 1 || *W < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE, "layer %s: pooling leaves no pixels of its %d×%d map",
                             n, l->out_h, l->out_w);
    }
  if (l->norm_kind == DV_NORM_GROUP && (l->norm_groups < 1 || l->out_channels % l->norm_groups != 0))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "layer %s: GroupNorm groups (%d) must divide %d channels",
                         n, l->norm_groups, l->out_channels);
  l->pool_h = *H;
  l->pool_w = *W;
  /* the ring holds (and record sees) the pooled map when pool comes first */
  int pos_pool = -1, pos_delay = -1, pos_record = -1;
  for (guint k = 0; k < d->ops->len; k++)
    {
      DvOp op = g_array_index (d->ops, DvOp, k);
      if (op == DV_OP_POOL && pos_pool < 0)
        pos_pool = k;
      if (op == DV_OP_DELAY && pos_delay < 0)
        pos_delay = k;
      if (op == DV_OP_RECORD && pos_record < 0)
        pos_record = k;
    }
  gboolean pooled = l->pool_kind != DV_POOL_NONE && pos_pool >= 0;
  gboolean state_pooled = pooled && pos_pool < pos_delay;
  gboolean rec_pooled = pooled && pos_pool < pos_record;
  l->state_h = state_pooled ? l->pool_h : l->out_h;
  l->state_w = state_pooled ? l->pool_w : l->out_w;
  l->rec_h = rec_pooled ? l->pool_h : l->out_h;
  l->rec_w = rec_pooled ? l->pool_w : l->out_w;
  return TRUE;
}

void
dv_model_desc_slot_shape (const DvModelDesc *d, int layer, DvOp op, int *C, int *H, int *W)
{
  const DvLayerDesc *l = &d->layers[layer];
  int pos = -1, layer_pos = -1;
  for (guint i = 0; i < d->ops->len; i++)
    {
      DvOp o = g_array_index (d->ops, DvOp, i);
      if (o == op && pos < 0)
        pos = i;
      if (o == DV_OP_LAYER && layer_pos < 0)
        layer_pos = i;
    }
  if (pos >= 0 && layer_pos >= 0 && pos < layer_pos)
    {
      *C = l->in_channels;
      *H = l->in_h;
      *W = l->in_w;
    }
  else
    {
      *C = l->out_channels;
      *H = l->out_h;
      *W = l->out_w;
    }
}

/* Every module name a description gives (its parameters are "<name>.…") must
 * be given once: two modules of one name would register their tensors twice. */
typedef struct {
  char *name, *owner;
} NameUse;

static gboolean
add_name (GArray *uses, const char *name, char *owner, GError **error)
{
  if (name == NULL)
    {
      g_free (owner);
      return TRUE;
    }
  for (guint i = 0; i < uses->len; i++)
    {
      NameUse *u = &g_array_index (uses, NameUse, i);
      if (strcmp (u->name, name) == 0)
        {
          dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                        "two modules are named '%s' (%s and %s); module, tstep, norm, connection and classifier names "
                        "must be unique", name, u->owner, owner);
          g_free (owner);
          return FALSE;
        }
    }
  NameUse u = { g_strdup (name), owner };
  g_array_append_val (uses, u);
  return TRUE;
}

static void
name_use_clear (gpointer p)
{
  g_free (((NameUse *) p)->name);
  g_free (((NameUse *) p)->owner);
}

static gboolean
check_unique_names (const DvModelDesc *d, GError **error)
{
  g_autoptr (GArray) uses = g_array_new (FALSE, FALSE, sizeof (NameUse));
  g_array_set_clear_func (uses, name_use_clear);
  gboolean ok = add_name (uses, d->classifier_name, g_strdup ("the classifier"), error)
                && add_name (uses, "n_residual_timesteps", g_strdup ("the model's residual-timestep buffer"), error)
                && add_name (uses, "supralin", g_strdup ("the shared supralinearity"), error);
  for (int i = 0; ok && i < d->n_layers; i++)
    {
      const DvLayerDesc *l = &d->layers[i];
      g_autofree char *bias = l->spatial_bias ? g_strdup_printf ("addbias_%s", l->name) : NULL;
      ok = add_name (uses, l->module_name, g_strdup_printf ("layer %s's module", l->name), error)
           && add_name (uses, l->conv_name, g_strdup_printf ("layer %s's pre-convolution", l->name), error)
           && add_name (uses, l->tstep_name, g_strdup_printf ("layer %s's tstep", l->name), error)
           && add_name (uses, l->tstep_name ? l->tau_name : NULL, g_strdup_printf ("layer %s's tau_param", l->name),
                        error)
           && add_name (uses, l->norm_kind != DV_NORM_NONE ? l->norm_name : NULL,
                        g_strdup_printf ("layer %s's norm", l->name), error)
           && add_name (uses, bias, g_strdup_printf ("layer %s's spatial bias", l->name), error);
    }
  for (int i = 0; ok && i < d->n_conns; i++)
    ok = add_name (uses, d->conns[i].name, g_strdup_printf ("connection %d", i), error);
  return ok;
}

gboolean
dv_model_desc_validate (DvModelDesc *d, GError **error)
{
  if (!(d->dt > 0) || !isfinite (d->dt))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "dt must be a finite number > 0 ms (have %g)", d->dt);
  /* t_feedback and t_skip are only the connections' defaults: each
   * connection's own t_ms is checked below */
  if (!finite_ge0 (d->t_feedforward) || !finite_ge0 (d->t_recurrence) || !isfinite (d->t_feedback)
      || !isfinite (d->t_skip))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "delays must be finite numbers ≥ 0 ms (have t_feedforward %g, t_recurrence %g, t_feedback %g, "
                         "t_skip %g)", d->t_feedforward, d->t_recurrence, d->t_feedback, d->t_skip);
  if (!isfinite (d->tau) || !isfinite (d->loss_reaction_time) || !isfinite (d->non_input_value)
      || !isfinite (d->max_weight_init))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "tau, loss_reaction_time, non_input_value and max_weight_init must be finite numbers "
                         "(have %g, %g, %g, %g)", d->tau, d->loss_reaction_time, d->non_input_value, d->max_weight_init);
  if (d->n_layers < 1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "the model has no layers; add at least one area");
  if (d->n_classes < 1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "n_classes must be ≥ 1 (have %d)", d->n_classes);
  if (d->in_channels < 1 || d->in_h < 1 || d->in_w < 1 || d->n_timesteps < 1)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "input_dims must be positive (have T=%d C=%d H=%d W=%d)",
                         d->n_timesteps, d->in_channels, d->in_h, d->in_w);
  if (d->n_timesteps > DV_DESC_MAX_STEPS)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "input_dims: T must be ≤ %d timesteps (have %d)",
                         DV_DESC_MAX_STEPS, d->n_timesteps);
  if (d->idle_timesteps < 0 || d->idle_timesteps > DV_DESC_MAX_STEPS)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "idle_timesteps must be in [0, %d] (have %d)", DV_DESC_MAX_STEPS,
                         d->idle_timesteps);
  if (d->tbptt < 0)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "truncated_bptt_timesteps must be ≥ 0 (have %d)", d->tbptt);
  for (int i = 0; i < d->n_layers; i++)
    for (int j = 0; j < i; j++)
      if (g_strcmp0 (d->layers[i].name, d->layers[j].name) == 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "two layers are named %s; layer names must be unique",
                             d->layers[i].name);
  if (!check_unique_names (d, error))
    return FALSE;

  g_array_set_size (d->ops, 0);
  g_ptr_array_set_size (d->op_classes, 0);
  if (d->solver == DV_SOLVER_CUSTOM && dv_solver_lookup (d->solver_name) == NULL)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "dynamics_solver '%s' is not registered; register it with "
                         "dv_solver_register() (or load its plugin) before building the model", d->solver_name);
  for (guint i = 0; i < d->operations->len; i++)
    {
      const char *name = g_ptr_array_index (d->operations, i);
      DvOp op;
      const DvOpClass *klass = NULL;
      if (!dv_op_from_name (name, &op))
        {
          klass = dv_op_lookup (name);
          if (klass == NULL)
            return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN,
                                 "unknown layer operation '%s'; known: conv layer recurrent addskip addext addfeedback "
                                 "tstep nonlin supralin record delay pool norm skipzeros addbias, or a name registered "
                                 "with dv_op_register()", name);
          op = DV_OP_CUSTOM;
        }
      g_ptr_array_add (d->op_classes, (gpointer) klass);
      g_array_append_val (d->ops, op);
    }

  int C = d->in_channels, H = d->in_h, W = d->in_w;
  for (int i = 0; i < d->n_layers; i++)
    if (!validate_layer (d, i, &C, &H, &W, error))
      return FALSE;

  double hist = d->t_feedforward;
  hist = MAX (hist, d->t_recurrence);
  for (int i = 0; i < d->n_layers; i++)
    {
      hist = MAX (hist, d->layers[i].t_feedforward);
      hist = MAX (hist, d->layers[i].t_recurrence);
    }
  for (int i = 0; i < d->n_conns; i++)
    {
      DvConnDesc *c = &d->conns[i];
      int s = dv_model_desc_layer_index (d, c->source);
      int t = dv_model_desc_layer_index (d, c->target);
      if (s < 0 || t < 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "connection %s: no layer named '%s'; layers are named %s…",
                             c->name, s < 0 ? c->source : c->target, d->layers[0].name);
      if (c->kind == DV_CONN_SKIP && s >= t)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "skip connection %s goes from %s to %s, which does not come later; "
                             "a skip must go forward (use a feedback connection to go back)", c->name, c->source, c->target);
      if (c->kind == DV_CONN_FEEDBACK && s <= t)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "feedback connection %s goes from %s to %s, which does not come earlier; "
                             "feedback must go backwards (use a skip connection to go forward)", c->name, c->source, c->target);
      if (!finite_ge0 (c->t_ms))
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "connection %s: t_ms (its delay) must be a finite number ≥ 0 ms "
                             "(have %g)", c->name, c->t_ms);
      if (c->t_ms / d->dt > DV_DESC_MAX_STEPS)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "connection %s: a delay of %g ms is %.3g steps of dt = %g ms; delays reach back at most %d steps",
                             c->name, c->t_ms, c->t_ms / d->dt, d->dt, DV_DESC_MAX_STEPS);
      if ((c->form == DV_CONN_FORM_CONV_BN || c->form == DV_CONN_FORM_CONV) && c->stride < 1)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "connection %s: stride must be ≥ 1 (have %d)", c->name,
                             c->stride);
      if (c->form == DV_CONN_FORM_CONV && c->kernel < 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                             "connection %s: kernel_size must be ≥ 0 (0 = identity; have %d)", c->name, c->kernel);
      if (c->op != DV_OP_ADDSKIP && c->op != DV_OP_ADDEXT && c->op != DV_OP_ADDFEEDBACK)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "connection %s: op slot must be addskip, addext or addfeedback",
                             c->name);
      const DvLayerDesc *src = &d->layers[s];
      int tc, th, tw;
      dv_model_desc_slot_shape (d, t, c->op, &tc, &th, &tw);
      if (c->form == DV_CONN_FORM_CONV_BN)
        {
          int h = (int) out_size (src->state_h, 1, c->stride, 0), w = (int) out_size (src->state_w, 1, c->stride, 0);
          if (h != th || w != tw)
            return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                                 "connection %s: %s's %d×%d state through a 1×1 conv with stride %d gives %d×%d, "
                                 "but %s needs %d×%d there; use stride %d", c->name, c->source, src->state_h, src->state_w,
                                 c->stride, h, w, c->target, th, tw, MAX (1, src->state_h / MAX (th, 1)));
        }
      if (c->form == DV_CONN_FORM_CONV && c->kernel > 0)
        {
          gint64 h = out_size (src->state_h, c->kernel, c->stride, c->kernel / 2);
          gint64 w = out_size (src->state_w, c->kernel, c->stride, c->kernel / 2);
          if (h != th || w != tw)
            return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                                 "connection %s: %s's %d×%d state through a %d×%d conv with stride %d gives %d×%d, "
                                 "but %s needs %d×%d there", c->name, c->source, src->state_h, src->state_w, c->kernel,
                                 c->kernel, c->stride, (int) h, (int) w, c->target, th, tw);
        }
      if (c->form == DV_CONN_FORM_CONVT_BN)
        {
          if (c->kernel < 1 || c->stride < 1)
            return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "connection %s: kernel and stride must be ≥ 1", c->name);
          gint64 h = (gint64) (src->state_h - 1) * c->stride + c->kernel;
          gint64 w = (gint64) (src->state_w - 1) * c->stride + c->kernel;
          if (h != th || w != tw)
            return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                                 "connection %s: %s's %d×%d state through a transposed conv (kernel %d, stride %d) "
                                 "gives %d×%d, but %s needs %d×%d there; use kernel = stride = %d",
                                 c->name, c->source, src->state_h, src->state_w, c->kernel, c->stride, (int) MIN (h, G_MAXINT),
                                 (int) MIN (w, G_MAXINT), c->target,
                                 th, tw, MAX (1, th / MAX (src->state_h, 1)));
        }
      c->has_conv = c->form == DV_CONN_FORM_CONV ? c->kernel > 0
                    : c->form != DV_CONN_FORM_ADAPT || (src->out_channels != tc && !d->feedforward_only);
      if (c->kind == DV_CONN_SKIP)
        {
          c->delay_index = (int) dv_round_half_even (c->t_ms / d->dt) + 1;
          hist = MAX (hist, c->t_ms + d->dt);
        }
      else
        {
          c->delay_index = (int) dv_round_half_even (c->t_ms / d->dt);
          hist = MAX (hist, c->t_ms);
        }
    }
  if (d->classifier_skip)
    {
      int s = dv_model_desc_layer_index (d, d->classifier_skip);
      const DvLayerDesc *last = &d->layers[d->n_layers - 1];
      if (s < 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "classifier_skip: no layer named '%s'", d->classifier_skip);
      if (d->layers[s].out_channels != last->out_channels || d->layers[s].state_h != last->pool_h
          || d->layers[s].state_w != last->pool_w)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE,
                             "classifier_skip: %s's state (%d×%d×%d) does not match %s's output (%d×%d×%d)",
                             d->classifier_skip, d->layers[s].out_channels, d->layers[s].state_h, d->layers[s].state_w,
                             last->name, last->out_channels, last->pool_h, last->pool_w);
    }
  if (d->history_set)
    {
      if (!finite_ge0 (d->history_ms))
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "history_length must be a finite number ≥ 0 ms (have %g)",
                             d->history_ms);
      hist = d->history_ms;
    }
  if (hist / d->dt > DV_DESC_MAX_STEPS)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "the longest delay, %g ms, is %.3g steps of dt = %g ms; delays reach back at most %d steps "
                         "(use a larger dt or shorter delays)", hist, hist / d->dt, d->dt, DV_DESC_MAX_STEPS);
  d->history_length = hist;
  d->n_hidden_states = (int) (hist / d->dt);
  return dv_model_desc_check_size (d, 1, error);
}

/* ------------------------------------------------------------------------ */
/* Size bounds                                                              */

double
dv_memory_limit_bytes (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
  if (pages > 0 && page > 0)
    return (double) pages * (double) page;
  return 16.0 * (1u << 30);
}

/* Counting in doubles: a description's sizes can multiply past 2⁶⁴, and an
 * estimate only has to be right to a small factor. */
typedef struct {
  double params;      /* float values of all parameters and buffers */
  double act;         /* float values one timestep of one sample keeps (maps; not im2col) */
  double state;       /* float values of the layers' states of one sample (a ring slot each) */
  double scratch;     /* the largest im2col matrix of one sample (scratch, reused by every conv) */
  double largest;     /* the largest single tensor (parameter, map or im2col matrix) */
  const char *largest_what;
  const char *largest_layer;
} SizeEst;

static void
est_tensor (SizeEst *e, double n, const char *what, const char *layer)
{
  if (n > e->largest)
    e->largest = n, e->largest_what = what, e->largest_layer = layer;
}

static void
est_param (SizeEst *e, double n, gboolean weight_norm, const char *what, const char *layer)
{
  e->params += weight_norm ? 2 * n : n; /* weight norm: v and the derived weight */
  est_tensor (e, n, what, layer);
}

/* a k×k conv of cin -> cout channels onto an Ho×Wo map (per sample) */
static void
est_conv (SizeEst *e, double cin, double cout, double k, double groups, double Ho, double Wo, gboolean wn,
          const char *what, const char *layer)
{
  est_param (e, cout * (cin / groups) * k * k + cout, wn, what, layer);
  double col = cin / groups * k * k * Ho * Wo;
  e->act += cout * Ho * Wo;
  e->scratch = MAX (e->scratch, col);
  est_tensor (e, col, what, layer);
}

static void
estimate (const DvModelDesc *d, SizeEst *e)
{
  memset (e, 0, sizeof *e);
  e->act = (double) d->in_channels * d->in_h * d->in_w;
  for (int i = 0; i < d->n_layers; i++)
    {
      const DvLayerDesc *l = &d->layers[i];
      const char *n = l->name;
      double out = (double) l->out_channels * l->out_h * l->out_w;
      if (l->conv_name)
        est_conv (e, i == 0 ? d->in_channels : d->layers[i - 1].out_channels, l->conv_out, l->conv_kernel, 1,
                  l->in_h, l->in_w, FALSE, "the pre-convolution", n);
      if (l->mid_channels > 0)
        {
          est_conv (e, l->in_channels, l->mid_channels, l->kernel, 1, l->mid_h, l->mid_w, l->weight_norm,
                    "the convolution", n);
          est_conv (e, l->mid_channels, l->out_channels, l->kernel2, 1, l->out_h, l->out_w, l->weight_norm,
                    "the second convolution", n);
        }
      else
        est_conv (e, l->in_channels, l->out_channels, l->kernel, 1, l->out_h, l->out_w, l->weight_norm,
                  "the convolution", n);
      double C = l->out_channels, k = l->rec_kernel > 0 ? l->rec_kernel : l->kernel;
      double tc = l->rec_target == DV_TARGET_MIDDLE ? l->mid_channels
                  : l->rec_target == DV_TARGET_INPUT ? l->in_channels : l->out_channels;
      double sh = l->state_h, sw = l->state_w;
      switch (d->feedforward_only && !d->ffonly_keeps_recurrence ? DV_REC_NONE : l->rec_type)
        {
        case DV_REC_NONE:
        case DV_REC_SELF:
          break;
        case DV_REC_FULL:
          est_conv (e, C, tc, k, 1, sh, sw, l->weight_norm, "the recurrence", n);
          break;
        case DV_REC_DEPTHPOINTWISE:
          est_conv (e, C, C, k, C, sh, sw, FALSE, "the recurrence", n);
          est_conv (e, C, tc, 1, 1, sh, sw, FALSE, "the recurrence", n);
          break;
        case DV_REC_POINTDEPTHWISE:
          est_conv (e, C, tc, 1, 1, sh, sw, FALSE, "the recurrence", n);
          est_conv (e, tc, tc, k, tc, sh, sw, FALSE, "the recurrence", n);
          break;
        case DV_REC_LOCAL:
        case DV_REC_LOCALDEPTHWISE:
          est_param (e, 4 * C * sh * sw, FALSE, "the local recurrence's maps", n); /* two int64 maps */
          e->act += 4 * C * sh * sw;
          if (l->rec_type == DV_REC_LOCALDEPTHWISE)
            est_conv (e, C, C, k, C, sh, sw, FALSE, "the recurrence", n);
          break;
        }
      if (l->spatial_bias)
        est_param (e, out, FALSE, "the spatial bias", n);
      if (l->norm_kind != DV_NORM_NONE)
        est_param (e, 4 * C, FALSE, "the norm", n);
      e->act += (double) l->in_channels * l->in_h * l->in_w + 6 * out;
      e->state += (double) l->out_channels * MAX (l->out_h * l->out_w, l->state_h * l->state_w);
      est_tensor (e, out, "the layer's map", n);
    }
  const DvLayerDesc *last = &d->layers[d->n_layers - 1];
  est_param (e, (double) d->n_classes * last->out_channels + d->n_classes, d->classifier_wn, "the classifier",
             d->classifier_name);
  e->act += 2.0 * d->n_classes;
  for (int i = 0; i < d->n_conns; i++)
    {
      const DvConnDesc *c = &d->conns[i];
      int s = dv_model_desc_layer_index (d, c->source), t = dv_model_desc_layer_index (d, c->target);
      if (s < 0 || t < 0)
        continue;
      int tc, th, tw;
      dv_model_desc_slot_shape (d, t, c->op, &tc, &th, &tw);
      double k = c->form == DV_CONN_FORM_CONV_BN || c->form == DV_CONN_FORM_ADAPT ? 1 : c->kernel;
      est_conv (e, d->layers[s].out_channels, tc, k, 1, th, tw, c->weight_norm, "a connection", c->name);
    }
}

gboolean
dv_model_desc_check_size (const DvModelDesc *d, gint64 batch, GError **error)
{
  return dv_model_desc_check_size_bptt (d, batch, 0, error);
}

gboolean
dv_model_desc_check_size_bptt (const DvModelDesc *d, gint64 batch, int bptt_checkpoint, GError **error)
{
  g_return_val_if_fail (batch >= 1 && bptt_checkpoint >= 0, FALSE);
  SizeEst e;
  estimate (d, &e);
  /* values and gradients of the parameters; the activations of the steps a run keeps (dv-run.c):
   * the ring plus two in inference; in training every step of the sequence (idle steps
   * included) and the gradients of ring + 2 steps, or with recomputation every K steps the
   * first pass's ring + 2 steps, one segment of K steps, the gradients of ring + 2 steps and
   * a copy of every layer's ring and state per segment; im2col scratch twice (backward) */
  double ring = (double) d->n_hidden_states + 2, T = (double) d->n_timesteps + d->idle_timesteps;
  double steps = MAX (ring, T + ring), ckpt_values = 0;
  if (bptt_checkpoint > 0)
    {
      double K = MIN ((double) bptt_checkpoint, T);
      steps = MAX (ring, K + ring);
      ckpt_values = ceil (T / K) * ((double) d->n_hidden_states + 1) * e.state;
    }
  double pbytes = 4.0 * 2 * e.params;
  double abytes = 4.0 * batch * (e.act * steps + ckpt_values + 2 * e.scratch), total = pbytes + abytes;
  double limit = dv_memory_limit_bytes ();
  const double GB = 1e9;
  if (!(total <= limit))
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "the model asks for %.3g GB (%.3g GB of parameters and their gradients, %.3g GB of activations "
                         "for %" G_GINT64_FORMAT " sample%s over %.0f steps) but this machine has %.3g GB of memory; "
                         "reduce %schannels, classes, input size, kernel sizes or timesteps",
                         total / GB, pbytes / GB, abytes / GB, batch, batch == 1 ? "" : "s", steps, limit / GB,
                         batch == 1 ? "" : "the batch size, ");
  if (e.largest > DV_DESC_MAX_VALUES || batch * e.act > G_MAXINT)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                         "%s %s of %s holds %.3g values%s; a tensor holds at most %d values per sample "
                         "(reduce channels, classes, input size or kernel sizes)",
                         e.largest > DV_DESC_MAX_VALUES ? e.largest_what : "a timestep",
                         e.largest > DV_DESC_MAX_VALUES ? "in" : "of", e.largest > DV_DESC_MAX_VALUES ? e.largest_layer : "the model",
                         e.largest > DV_DESC_MAX_VALUES ? e.largest : batch * e.act,
                         e.largest > DV_DESC_MAX_VALUES ? "" : " for the whole batch", DV_DESC_MAX_VALUES);
  return TRUE;
}
