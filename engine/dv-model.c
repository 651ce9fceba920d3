/* dv-model.c — building a DvModel from a description: modules, parameters
 * under their PyTorch state_dict names (aliases included), the arenas, and
 * DynVision's / the tutorial's initialisation.  Running is in dv-run.c. */
#include "dv-model-private.h"
#include "dv-rng.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (dv-model-error-quark, dv_model_error)

static void
param_free (gpointer data)
{
  DvParam *p = data;
  g_free (p->name);
  g_ptr_array_unref (p->aliases);
  g_free (p);
}

DvParam *
dv_model_add_param (DvModel *m, const char *name, DvParamType type, int ndim,
                    const gint64 *shape, gboolean trainable, gboolean is_buffer)
{
  if (g_hash_table_lookup (m->by_name, name) != NULL)
    {
      /* a description whose module names collide in a way validation does
       * not see (one module name a dotted prefix of another): dv_model_new
       * refuses it before anything dereferences the missing parameter */
      g_return_val_if_fail (m->building, NULL);
      if (m->duplicate == NULL)
        m->duplicate = g_strdup (name);
      return NULL;
    }
  DvParam *p = g_new0 (DvParam, 1);
  p->name = g_strdup (name);
  p->aliases = g_ptr_array_new_with_free_func (g_free);
  p->type = type;
  p->ndim = ndim;
  p->numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      p->shape[i] = shape[i];
      p->numel *= shape[i];
    }
  p->trainable = trainable && type == DV_PARAM_F32;
  p->is_buffer = is_buffer;
  g_ptr_array_add (m->params, p);
  g_hash_table_insert (m->by_name, p->name, p);
  return p;
}

void
dv_param_add_alias (DvModel *m, DvParam *p, const char *alias)
{
  if (g_hash_table_lookup (m->by_name, alias))
    return;
  char *a = g_strdup (alias);
  g_ptr_array_add (p->aliases, a);
  g_hash_table_insert (m->by_name, a, p);
}

static DvParam *
add_f32 (DvModel *m, gboolean trainable, const char *prefix, const char *suffix, int ndim, ...)
{
  gint64 shape[4] = { 0 };
  va_list ap;
  va_start (ap, ndim);
  for (int i = 0; i < ndim; i++)
    shape[i] = va_arg (ap, int);
  va_end (ap);
  g_autofree char *name = g_strconcat (prefix, suffix, NULL);
  return dv_model_add_param (m, name, DV_PARAM_F32, ndim, shape, trainable, FALSE);
}

static void
wn_free (gpointer p)
{
  DvWeightNorm *wn = p;
  g_free (wn->w->data);
  g_free (wn->w->grad);
  param_free (wn->w);
  g_free (wn);
}

/* A weight of shape [cout, …] registered as PyTorch's weight_norm
 * parametrisation: <prefix>.parametrizations.weight.original0 (g, [cout,1,…])
 * and .original1 (v).  Returns the hidden derived weight. */
static DvWeightNorm *
make_weight_norm (DvModel *m, const char *prefix, int ndim, const gint64 *shape)
{
  DvWeightNorm *wn = g_new0 (DvWeightNorm, 1);
  gint64 gshape[4] = { shape[0], 1, 1, 1 };
  g_autofree char *gn = g_strconcat (prefix, ".parametrizations.weight.original0", NULL);
  g_autofree char *vn = g_strconcat (prefix, ".parametrizations.weight.original1", NULL);
  wn->g = dv_model_add_param (m, gn, DV_PARAM_F32, ndim, gshape, TRUE, FALSE);
  wn->v = dv_model_add_param (m, vn, DV_PARAM_F32, ndim, shape, TRUE, FALSE);
  wn->w = g_new0 (DvParam, 1);
  wn->w->name = g_strconcat (prefix, ".weight", NULL);
  wn->w->aliases = g_ptr_array_new_with_free_func (g_free);
  wn->w->ndim = ndim;
  wn->w->numel = 1;
  for (int i = 0; i < ndim; i++)
    wn->w->shape[i] = shape[i], wn->w->numel *= shape[i];
  wn->cout = shape[0];
  wn->fan = wn->w->numel / shape[0];
  g_ptr_array_add (m->wns, wn);
  return wn;
}

static void
make_conv_full (DvModel *m, DvConvMod *c, const char *prefix, int cin, int cout, int k, int stride,
                int pad, int groups, gboolean bias, DvPadMode mode, gboolean weight_norm)
{
  c->cfg = (DvConvConfig) { .cin = cin, .cout = cout, .kh = k, .kw = k, .stride = stride,
                            .pad = pad, .groups = groups, .pad_mode = mode };
  if (weight_norm)
    {
      gint64 shape[4] = { cout, cin / groups, k, k };
      c->wn = make_weight_norm (m, prefix, 4, shape);
      c->w = c->wn->w;
    }
  else
    c->w = add_f32 (m, TRUE, prefix, ".weight", 4, cout, cin / groups, k, k);
  c->b = bias ? add_f32 (m, TRUE, prefix, ".bias", 1, cout) : NULL;
}

static void
make_conv (DvModel *m, DvConvMod *c, const char *prefix, int cin, int cout, int k, int stride,
           int pad, int groups, gboolean bias, DvPadMode mode)
{
  make_conv_full (m, c, prefix, cin, cout, k, stride, pad, groups, bias, mode, FALSE);
}

static void
make_bn (DvModel *m, DvBnMod *bn, const char *prefix, int C)
{
  bn->C = C;
  bn->gamma = add_f32 (m, TRUE, prefix, ".weight", 1, C);
  bn->beta = add_f32 (m, TRUE, prefix, ".bias", 1, C);
  g_autofree char *rm = g_strconcat (prefix, ".running_mean", NULL);
  g_autofree char *rv = g_strconcat (prefix, ".running_var", NULL);
  g_autofree char *nb = g_strconcat (prefix, ".num_batches_tracked", NULL);
  gint64 shape[1] = { C };
  bn->rmean = dv_model_add_param (m, rm, DV_PARAM_F32, 1, shape, FALSE, TRUE);
  bn->rvar = dv_model_add_param (m, rv, DV_PARAM_F32, 1, shape, FALSE, TRUE);
  bn->nbt = dv_model_add_param (m, nb, DV_PARAM_I64, 0, shape, FALSE, TRUE);
}

static void
make_gn (DvModel *m, DvGnMod *gn, const char *prefix, int C, int G)
{
  gn->C = C;
  gn->G = G;
  gn->gamma = add_f32 (m, TRUE, prefix, ".weight", 1, C);
  gn->beta = add_f32 (m, TRUE, prefix, ".bias", 1, C);
}

static int
local_kernel (int side)
{
  int kp = side / 4;
  if (kp % 2 == 0)
    kp += 1;
  return MAX (3, kp);
}

static void
make_local (DvModel *m, DvRecMod *r, const char *prefix, gboolean bias, gboolean wn)
{
  gint64 n = (gint64) r->C * r->H * r->W;
  g_autofree char *pm = g_strconcat (prefix, ".flat_plane_mapping", NULL);
  g_autofree char *lm = g_strconcat (prefix, ".flat_layer_mapping", NULL);
  r->plane_map = dv_model_add_param (m, pm, DV_PARAM_I64, 1, &n, FALSE, TRUE);
  r->layer_map = dv_model_add_param (m, lm, DV_PARAM_I64, 1, &n, FALSE, TRUE);
  int kp = local_kernel (r->side);
  g_autofree char *cp = g_strconcat (prefix, ".conv", NULL);
  /* LocalLateralConnection's plane conv has bias=recurrence_bias (DynVision) */
  make_conv_full (m, &r->conv, cp, 1, 1, kp, 1, kp / 2, 1, bias, DV_PAD_REFLECT, wn);
}

static void
make_rec (DvModel *m, DvLayer *L, const char *module)
{
  const DvLayerDesc *l = L->desc;
  gboolean wn = l->weight_norm;
  DvRecMod *r = &L->rec;
  r->type = l->rec_type;
  r->C = l->out_channels;
  r->H = l->state_h;
  r->W = l->state_w;
  switch (l->rec_target)
    {
    case DV_TARGET_OUTPUT: r->out_c = l->out_channels; r->th = l->out_h; r->tw = l->out_w; break;
    case DV_TARGET_MIDDLE: r->out_c = l->mid_channels; r->th = l->mid_h; r->tw = l->mid_w; break;
    case DV_TARGET_INPUT: r->out_c = l->in_channels; r->th = l->in_h; r->tw = l->in_w; break;
    }
  int k = l->rec_kernel;
  g_autofree char *p = g_strconcat (module, ".recurrence", NULL);
  g_autofree char *pc = g_strconcat (p, ".conv", NULL);
  g_autofree char *pd = g_strconcat (p, ".depthwise_conv", NULL);
  g_autofree char *pp = g_strconcat (p, ".pointwise_conv", NULL);
  switch (r->type)
    {
    case DV_REC_NONE:
      break;
    case DV_REC_SELF:
      /* DynVision's fixed_self_weight only sets the start value: nn.Parameter(tensor(requires_grad=False))
       * is still trainable */
      r->self_w = add_f32 (m, TRUE, p, ".weight", 1, 1);
      /* ...but its bias is nn.Parameter(zeros(1), requires_grad=fixed_weight is None) */
      r->self_b = l->rec_bias ? add_f32 (m, !l->rec_fixed, p, ".bias", 1, 1) : NULL;
      break;
    case DV_REC_FULL:
      make_conv_full (m, &r->conv, pc, r->C, r->out_c, k, 1, k / 2, 1, l->rec_bias, DV_PAD_ZEROS, wn);
      break;
    /* DynVision's RConv2d parametrises the first of recurrence.conv,
     * .depthwise_conv, .pointwise_conv, .weight that exists: the depthwise
     * conv of the separable types, the plane conv of local, nothing of
     * localdepthwise (its parts are local_conv and patchy_conv). */
    case DV_REC_DEPTHPOINTWISE:
      make_conv_full (m, &r->first, pd, r->C, r->C, k, 1, k / 2, r->C, l->rec_bias, DV_PAD_ZEROS, wn);
      make_conv (m, &r->second, pp, r->C, r->out_c, 1, 1, 0, 1, l->rec_bias, DV_PAD_ZEROS);
      break;
    case DV_REC_POINTDEPTHWISE:
      make_conv (m, &r->first, pp, r->C, r->out_c, 1, 1, 0, 1, l->rec_bias, DV_PAD_ZEROS);
      make_conv_full (m, &r->second, pd, r->out_c, r->out_c, k, 1, k / 2, r->out_c, l->rec_bias, DV_PAD_ZEROS,
                      wn);
      break;
    case DV_REC_LOCAL:
      r->side = (int) floor (sqrt ((double) r->C) + 0.5);
      make_local (m, r, p, l->rec_bias, wn);
      break;
    case DV_REC_LOCALDEPTHWISE:
      {
        r->side = (int) floor (sqrt ((double) r->C) + 0.5);
        g_autofree char *lp = g_strconcat (p, ".local_conv", NULL);
        g_autofree char *pt = g_strconcat (p, ".patchy_conv", NULL);
        make_local (m, r, lp, l->rec_bias, FALSE);
        make_conv (m, &r->second, pt, r->C, r->C, k, 1, k / 2, r->C, l->rec_bias, DV_PAD_ZEROS);
      }
      break;
    }
}

/* The topographic index maps of SPEC §2.5. */
static void
fill_local_maps (DvRecMod *r)
{
  int n = r->side, H = r->H, W = r->W, PW = n * W;
  gint64 *to_plane = r->plane_map->idata, *to_layer = r->layer_map->idata;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          {
            int ii = (y & 1) ? n - 1 - i : i;
            int jj = (x & 1) ? n - 1 - j : j;
            int c = ii * n + jj;
            gint64 plane = (gint64) (y * n + i) * PW + (x * n + j);
            gint64 layer = (gint64) c * H * W + y * W + x;
            to_plane[plane] = layer;
            to_layer[layer] = plane;
          }
}

static char *
join_name (const char *a, const char *b)
{
  return g_strconcat (a, b, NULL);
}

static void
build_layer (DvModel *m, int i)
{
  const DvModelDesc *d = m->desc;
  const DvLayerDesc *l = &d->layers[i];
  DvLayer *L = &m->layers[i];
  L->desc = l;
  L->d_ff = (int) (l->t_feedforward / d->dt);
  L->d_rc = (int) (l->t_recurrence / d->dt);
  int cin = l->in_channels;
  if (l->conv_name)
    {
      L->has_preconv = TRUE;
      int pc_in = i == 0 ? d->in_channels : d->layers[i - 1].out_channels;
      make_conv (m, &L->preconv, l->conv_name, pc_in, l->conv_out, l->conv_kernel, l->conv_stride,
                 l->conv_padding, 1, l->conv_bias, DV_PAD_ZEROS);
    }
  const char *mod = l->module_name;
  g_autofree char *pconv = join_name (mod, ".conv");
  g_autofree char *pconv2 = join_name (mod, ".conv2");
  g_autofree char *pmid = join_name (mod, ".mid_modules");
  if (l->mid_channels > 0)
    {
      L->two_stage = TRUE;
      if (l->mid_groupnorm > 0)
        {
          L->has_midnorm = TRUE;
          make_gn (m, &L->midnorm, pmid, l->mid_channels, l->mid_groupnorm);
        }
      make_conv_full (m, &L->conv, pconv, cin, l->mid_channels, l->kernel, l->stride, l->padding, 1, l->bias,
                      DV_PAD_ZEROS, l->weight_norm);
      make_conv_full (m, &L->conv2, pconv2, l->mid_channels, l->out_channels, l->kernel2, l->stride2,
                      l->padding2, 1, l->bias2, DV_PAD_ZEROS, l->weight_norm);
    }
  else
    make_conv_full (m, &L->conv, pconv, cin, l->out_channels, l->kernel, l->stride, l->padding, 1, l->bias,
                    DV_PAD_ZEROS, l->weight_norm);
  if (l->rec_type != DV_REC_NONE && (!d->feedforward_only || d->ffonly_keeps_recurrence))
    {
      L->has_rec = TRUE;
      make_rec (m, L, mod);
    }
  if (l->spatial_bias)
    {
      g_autofree char *bn = g_strdup_printf ("addbias_%s", l->name);
      L->spbias = add_f32 (m, TRUE, bn, ".bias", 3, l->out_channels, l->out_h, l->out_w);
    }
  if (l->tstep_name)
    {
      L->has_tstep = TRUE;
      g_autofree char *tn = join_name (l->tstep_name, ".tau");
      DvParam *root = l->tau_name ? g_hash_table_lookup (m->by_name, l->tau_name) : NULL;
      if (root)
        {
          L->tau = root;
          dv_param_add_alias (m, root, tn);
        }
      else
        L->tau = dv_model_add_param (m, tn, DV_PARAM_F32, 0, NULL, d->train_tau, FALSE);
    }
  if (l->norm_kind == DV_NORM_BATCH)
    {
      L->has_bn = TRUE;
      make_bn (m, &L->bn, l->norm_name, l->out_channels);
    }
  else if (l->norm_kind == DV_NORM_GROUP)
    {
      L->has_gn = TRUE;
      make_gn (m, &L->gn, l->norm_name, l->out_channels, l->norm_groups);
    }
  L->op_layer_pos = -1;
  for (guint k = 0; k < d->ops->len; k++)
    if (g_array_index (d->ops, DvOp, k) == DV_OP_LAYER && L->op_layer_pos < 0)
      L->op_layer_pos = k;
}

/* DynVision registers a connection's source layer inside it, so its
 * parameters appear again under "<conn>.source.…". */
static void
add_source_aliases (DvModel *m, const char *conn, const char *smod)
{
  gsize n = strlen (smod);
  for (guint k = 0; k < m->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (m->params, k);
      if (strncmp (p->name, smod, n) == 0 && p->name[n] == '.')
        {
          g_autofree char *alias = g_strconcat (conn, ".source", p->name + n, NULL);
          dv_param_add_alias (m, p, alias);
        }
    }
}

static void
build_conn (DvModel *m, int i)
{
  const DvModelDesc *d = m->desc;
  const DvConnDesc *c = &d->conns[i];
  DvConn *C = &m->conns[i];
  C->desc = c;
  C->src = dv_model_desc_layer_index (d, c->source);
  C->dst = dv_model_desc_layer_index (d, c->target);
  dv_model_desc_slot_shape (d, C->dst, c->op, &C->tc, &C->th, &C->tw);
  int cs = d->layers[C->src].out_channels;
  if (c->form == DV_CONN_FORM_CONVT_BN)
    {
      /* PyTorch's ConvTranspose2d weight is [in = source, out = target, k, k]:
       * exactly the weight of the forward conv target -> source it transposes. */
      g_autofree char *p0 = g_strconcat (c->name, ".0", NULL);
      g_autofree char *p1 = g_strconcat (c->name, ".1", NULL);
      C->has_conv = TRUE;
      C->transposed = TRUE;
      make_conv (m, &C->conv, p0, C->tc, cs, c->kernel, c->stride, 0, 1, FALSE, DV_PAD_ZEROS);
      C->has_bn = TRUE;
      make_bn (m, &C->bn, p1, C->tc);
    }
  else if (c->form == DV_CONN_FORM_CONV_BN)
    {
      g_autofree char *p0 = g_strconcat (c->name, ".0", NULL);
      g_autofree char *p1 = g_strconcat (c->name, ".1", NULL);
      C->has_conv = TRUE;
      make_conv (m, &C->conv, p0, cs, C->tc, 1, c->stride, 0, 1, FALSE, DV_PAD_ZEROS);
      C->has_bn = TRUE;
      make_bn (m, &C->bn, p1, C->tc);
    }
  else if (c->form == DV_CONN_FORM_CONV)
    {
      if (c->source_alias)
        add_source_aliases (m, c->name, d->layers[C->src].module_name);
      if (c->kernel > 0)
        {
          g_autofree char *pc = g_strconcat (c->name, ".conv", NULL);
          C->has_conv = TRUE;
          make_conv_full (m, &C->conv, pc, cs, C->tc, c->kernel, c->stride, c->kernel / 2, 1, c->conv_bias,
                          DV_PAD_ZEROS, c->weight_norm);
        }
    }
  else
    {
      if (c->source_alias)
        add_source_aliases (m, c->name, d->layers[C->src].module_name);
      /* auto_adapt: DynVision creates the 1×1 conv in its warm-up forward,
       * which under feedforward_only skips addskip/addfeedback: never built */
      if (cs != C->tc && !d->feedforward_only)
        {
          g_autofree char *pc = g_strconcat (c->name, ".conv", NULL);
          C->has_conv = TRUE;
          make_conv (m, &C->conv, pc, cs, C->tc, 1, 1, 0, 1, TRUE, DV_PAD_ZEROS);
        }
    }
}

DvModel *
dv_model_new (const DvModelDesc *desc, GError **error)
{
  g_autoptr (DvModelDesc) d = dv_model_desc_copy (desc);
  if (!dv_model_desc_validate (d, error))
    return NULL;
  DvModel *m = g_new0 (DvModel, 1);
  m->desc = g_steal_pointer (&d);
  d = NULL;
  const DvModelDesc *D = m->desc;
  m->params = g_ptr_array_new_with_free_func (param_free);
  m->wns = g_ptr_array_new_with_free_func (wn_free);
  m->custom_inits = g_array_new (FALSE, FALSE, sizeof (DvCustomInit));
  m->cls_skip = D->classifier_skip ? dv_model_desc_layer_index (D, D->classifier_skip) : -1;
  m->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  m->layers = g_new0 (DvLayer, D->n_layers);
  m->conns = g_new0 (DvConn, MAX (D->n_conns, 1));
  m->building = TRUE;

  for (int i = 0; i < D->n_layers; i++)
    if (D->layers[i].tau_name && D->layers[i].tstep_name)
      dv_model_add_param (m, D->layers[i].tau_name, DV_PARAM_F32, 0, NULL, D->train_tau, FALSE);
  m->n_res = dv_model_add_param (m, "n_residual_timesteps", DV_PARAM_I32, 0, NULL, FALSE, TRUE);
  double supralin = 1.0;
  for (int i = 0; i < D->n_layers; i++)
    if (D->layers[i].supralinearity != 1.0)
      supralin = D->layers[i].supralinearity;
  if (supralin != 1.0)
    {
      /* one shared module, n and k non-trainable Parameters (SPEC §2.8) */
      m->supralin_n = dv_model_add_param (m, "supralin.n", DV_PARAM_F32, 0, NULL, FALSE, FALSE);
      m->supralin_k = dv_model_add_param (m, "supralin.k", DV_PARAM_F32, 0, NULL, FALSE, FALSE);
    }
  for (int i = 0; i < D->n_layers; i++)
    build_layer (m, i);
  dv_model_declare_custom_params (m);
  const DvLayerDesc *last = &D->layers[D->n_layers - 1];
  if (D->classifier_wn)
    {
      gint64 shape[2] = { D->n_classes, last->out_channels };
      m->cls_wn = make_weight_norm (m, D->classifier_name, 2, shape);
      m->cls_w = m->cls_wn->w;
    }
  else
    m->cls_w = add_f32 (m, TRUE, D->classifier_name, ".weight", 2, D->n_classes, last->out_channels);
  m->cls_b = add_f32 (m, TRUE, D->classifier_name, ".bias", 1, D->n_classes);
  for (int i = 0; i < D->n_conns; i++)
    build_conn (m, i);
  if (m->cls_skip >= 0)
    add_source_aliases (m, "classifier.0", D->layers[m->cls_skip].module_name);
  m->building = FALSE;
  if (m->duplicate)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "two parameters of the model would be named '%s'; rename the module, tstep, norm, connection "
                   "or classifier whose name makes it (module names must be unique, and one must not be "
                   "another's submodule)", m->duplicate);
      dv_model_free (m);
      return NULL;
    }

  for (guint k = 0; k < m->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (m->params, k);
      if (p->type == DV_PARAM_F32)
        {
          m->n_values += p->numel;
          if (p->trainable)
            m->n_grads += p->numel;
        }
      else
        m->n_ivalues += p->numel;
    }
  m->arena = g_new0 (float, MAX (m->n_values, 1));
  m->grad_arena = g_new0 (float, MAX (m->n_grads, 1));
  m->iarena = g_new0 (gint64, MAX (m->n_ivalues, 1));
  for (guint k = 0; k < m->wns->len; k++)
    {
      DvWeightNorm *wn = g_ptr_array_index (m->wns, k);
      wn->w->data = g_new0 (float, wn->w->numel);
      wn->w->grad = g_new0 (float, wn->w->numel);
    }
  gint64 off = 0, goff = 0, ioff = 0;
  for (guint k = 0; k < m->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (m->params, k);
      if (p->type == DV_PARAM_F32)
        {
          p->data = m->arena + off;
          off += p->numel;
          if (p->trainable)
            {
              p->grad = m->grad_arena + goff;
              goff += p->numel;
            }
        }
      else
        {
          p->idata = m->iarena + ioff;
          ioff += p->numel;
        }
    }
  if (m->supralin_n)
    {
      for (int i = 0; i < D->n_layers; i++)
        if (D->layers[i].supralinearity != 1.0)
          m->supralin_n->data[0] = (float) D->layers[i].supralinearity;
      m->supralin_k->data[0] = 0.8f;
    }
  for (int i = 0; i < D->n_layers; i++)
    {
      DvLayer *L = &m->layers[i];
      if (L->has_tstep)
        L->tau->data[0] = (float) L->desc->tau;
      if (L->has_bn)
        for (int c = 0; c < L->bn.C; c++)
          L->bn.rvar->data[c] = 1.0f, L->bn.gamma->data[c] = 1.0f;
      if (L->has_rec && (L->rec.type == DV_REC_LOCAL || L->rec.type == DV_REC_LOCALDEPTHWISE))
        fill_local_maps (&L->rec);
    }
  for (int i = 0; i < D->n_conns; i++)
    if (m->conns[i].has_bn)
      for (int c = 0; c < m->conns[i].bn.C; c++)
        m->conns[i].bn.rvar->data[c] = 1.0f, m->conns[i].bn.gamma->data[c] = 1.0f;
  dv_model_init_custom_params (m, NULL);
  return m;
}

void
dv_model_free (DvModel *m)
{
  if (m == NULL)
    return;
  dv_model_desc_free (m->desc);
  g_hash_table_unref (m->by_name);
  g_ptr_array_unref (m->params);
  g_ptr_array_unref (m->wns);
  g_array_unref (m->custom_inits);
  g_free (m->arena);
  g_free (m->grad_arena);
  g_free (m->iarena);
  g_free (m->layers);
  g_free (m->conns);
  g_free (m->duplicate);
  g_strfreev (m->class_names);
  g_free (m);
}

const char *const *
dv_model_get_class_names (const DvModel *m)
{
  return (const char *const *) m->class_names;
}

void
dv_model_set_class_names (DvModel *m, const char *const *names)
{
  g_return_if_fail (names == NULL || g_strv_length ((char **) names) == (guint) m->desc->n_classes);
  char **copy = g_strdupv ((char **) names);
  g_strfreev (m->class_names);
  m->class_names = copy;
}

const DvModelDesc *
dv_model_get_desc (const DvModel *m)
{
  return m->desc;
}

guint
dv_model_n_params (const DvModel *m)
{
  return m->params->len;
}

DvParam *
dv_model_param (DvModel *m, guint i)
{
  g_return_val_if_fail (i < m->params->len, NULL);
  return g_ptr_array_index (m->params, i);
}

DvParam *
dv_model_lookup (DvModel *m, const char *name)
{
  return g_hash_table_lookup (m->by_name, name);
}

gint64
dv_model_n_values (const DvModel *m)
{
  return m->n_values;
}

void
dv_model_zero_grad (DvModel *m)
{
  memset (m->grad_arena, 0, sizeof (float) * MAX (m->n_grads, 1));
  for (guint k = 0; k < m->wns->len; k++)
    {
      DvWeightNorm *wn = g_ptr_array_index (m->wns, k);
      memset (wn->w->grad, 0, sizeof (float) * wn->w->numel);
    }
}

void
dv_model_sync_weights (DvModel *m)
{
  for (guint k = 0; k < m->wns->len; k++)
    {
      DvWeightNorm *wn = g_ptr_array_index (m->wns, k);
      dv_weightnorm_forward (wn->w->data, wn->g->data, wn->v->data, wn->cout, wn->fan);
    }
}

void
dv_model_fold_weight_grads (DvModel *m)
{
  for (guint k = 0; k < m->wns->len; k++)
    {
      DvWeightNorm *wn = g_ptr_array_index (m->wns, k);
      dv_weightnorm_backward (wn->g->grad, wn->v->grad, wn->w->grad, wn->g->data, wn->v->data, wn->cout,
                              wn->fan);
      memset (wn->w->grad, 0, sizeof (float) * wn->w->numel);
    }
}

void
dv_model_layer_shape (const DvModel *m, int layer, int *C, int *H, int *W)
{
  const DvLayerDesc *l = &m->desc->layers[layer];
  *C = l->out_channels;
  *H = l->rec_h;
  *W = l->rec_w;
}

/* ------------------------------------------------------------------------ */
/* Initialisation                                                           */

static void
fill_normal (DvRng *r, DvParam *p, double std)
{
  for (gint64 i = 0; p && i < p->numel; i++)
    p->data[i] = (float) (dv_rng_normal_box_muller (r) * std);
}

static void
fill_trunc_normal (DvRng *r, DvParam *p, double std, double lo, double hi)
{
  for (gint64 i = 0; p && i < p->numel; i++)
    {
      double v;
      do
        v = dv_rng_normal_box_muller (r) * std;
      while (v < lo || v > hi);
      p->data[i] = (float) v;
    }
}

static void
fill_uniform (DvRng *r, DvParam *p, double a)
{
  for (gint64 i = 0; p && i < p->numel; i++)
    p->data[i] = (float) ((2.0 * dv_rng_uniform (r) - 1.0) * a);
}

static void
fill_const (DvParam *p, float v)
{
  for (gint64 i = 0; p && i < p->numel; i++)
    p->data[i] = v;
}

static int
fan_in (const DvConvMod *c)
{
  return c->cfg.cin / c->cfg.groups * c->cfg.kh * c->cfg.kw;
}

/* PyTorch's default Conv2d init: kaiming_uniform(a=√5) and U(±1/√fan_in) bias. */
static void
init_conv_default (DvRng *r, DvConvMod *c)
{
  double bound = 1.0 / sqrt ((double) fan_in (c));
  fill_uniform (r, c->w, bound);
  fill_uniform (r, c->b, bound);
}

static void
init_ff_conv (DvRng *r, DvConvMod *c, gboolean tutorial)
{
  int fan = tutorial ? c->cfg.cout / c->cfg.groups * c->cfg.kh * c->cfg.kw : fan_in (c);
  fill_normal (r, c->w, sqrt (2.0 / fan));
  fill_const (c->b, 0.0f);
}

static void
init_rec (DvRng *r, DvRecMod *rec, double mwi, gboolean tutorial)
{
  switch (rec->type)
    {
    case DV_REC_NONE:
      break;
    case DV_REC_SELF:
      fill_uniform (r, rec->self_w, mwi);
      fill_const (rec->self_b, 0.0f);
      break;
    case DV_REC_FULL:
      if (tutorial)
        init_ff_conv (r, &rec->conv, TRUE);
      else
        fill_uniform (r, rec->conv.w, mwi), fill_const (rec->conv.b, 0.0f);
      break;
    case DV_REC_DEPTHPOINTWISE:
    case DV_REC_POINTDEPTHWISE:
      for (int k = 0; k < 2; k++)
        {
          DvConvMod *c = k == 0 ? &rec->first : &rec->second;
          if (tutorial)
            init_ff_conv (r, c, TRUE);
          else
            fill_uniform (r, c->w, mwi), fill_const (c->b, 0.0f);
        }
      break;
    case DV_REC_LOCAL:
      fill_uniform (r, rec->conv.w, mwi);
      fill_uniform (r, rec->conv.b, 1.0 / rec->conv.cfg.kh); /* PyTorch default bias, SPEC §2.4 */
      break;
    case DV_REC_LOCALDEPTHWISE:
      init_conv_default (r, &rec->conv); /* the local part keeps PyTorch defaults */
      fill_uniform (r, rec->second.w, mwi);
      fill_uniform (r, rec->second.b, 1.0 / sqrt ((double) fan_in (&rec->second)));
      break;
    }
}

static void
init_bn (DvBnMod *bn)
{
  fill_const (bn->gamma, 1.0f);
  fill_const (bn->beta, 0.0f);
  fill_const (bn->rmean, 0.0f);
  fill_const (bn->rvar, 1.0f);
  bn->nbt->idata[0] = 0;
}

void
dv_model_init_params (DvModel *m, guint64 seed)
{
  DvRng rng;
  dv_rng_init (&rng, seed);
  const DvModelDesc *D = m->desc;
  gboolean tutorial = g_strcmp0 (D->init_scheme, "tutorial") == 0;
  /* CorNetRT and CordsNet without pretrained weights keep PyTorch's defaults */
  gboolean pytorch = g_strcmp0 (D->init_scheme, "pytorch") == 0;
  for (int i = 0; i < D->n_layers; i++)
    {
      DvLayer *L = &m->layers[i];
      if (pytorch)
        {
          if (L->has_preconv)
            init_conv_default (&rng, &L->preconv);
          init_conv_default (&rng, &L->conv);
          if (L->two_stage)
            init_conv_default (&rng, &L->conv2);
        }
      else
        {
          if (L->has_preconv)
            init_ff_conv (&rng, &L->preconv, tutorial);
          init_ff_conv (&rng, &L->conv, tutorial);
          if (L->two_stage)
            init_ff_conv (&rng, &L->conv2, tutorial);
        }
      if (L->has_midnorm)
        fill_const (L->midnorm.gamma, 1.0f), fill_const (L->midnorm.beta, 0.0f);
      if (L->has_rec && pytorch && L->rec.type != DV_REC_SELF)
        {
          DvConvMod *mods[] = { &L->rec.conv, &L->rec.first, &L->rec.second };
          for (int k = 0; k < 3; k++)
            if (mods[k]->w)
              init_conv_default (&rng, mods[k]);
        }
      else if (L->has_rec)
        init_rec (&rng, &L->rec, D->max_weight_init, tutorial);
      if (L->has_rec && L->desc->rec_fixed && L->rec.self_w)
        L->rec.self_w->data[0] = (float) L->desc->rec_fixed_weight;
      if (L->has_tstep)
        L->tau->data[0] = (float) L->desc->tau;
      if (L->has_bn)
        init_bn (&L->bn);
      if (L->has_gn)
        fill_const (L->gn.gamma, 1.0f), fill_const (L->gn.beta, 0.0f);
    }
  if (pytorch)
    {
      double bound = 1.0 / sqrt ((double) m->cls_w->shape[1]);
      fill_uniform (&rng, m->cls_w, bound);
      fill_uniform (&rng, m->cls_b, bound);
    }
  else
    {
      if (tutorial)
        fill_normal (&rng, m->cls_w, 0.01);
      else
        fill_trunc_normal (&rng, m->cls_w, 0.004, -2.0, 2.0);
      fill_const (m->cls_b, 0.0f);
    }
  for (int i = 0; i < D->n_conns; i++)
    {
      DvConn *C = &m->conns[i];
      if (C->has_conv)
        {
          if (tutorial)
            init_ff_conv (&rng, &C->conv, TRUE);
          else
            {
              double std = MIN (0.001, 1.0 / sqrt ((double) C->conv.cfg.cin * C->conv.cfg.cout));
              fill_trunc_normal (&rng, C->conv.w, std, -2.0, 2.0);
              fill_const (C->conv.b, 0.0f);
            }
        }
      if (C->has_bn)
        init_bn (&C->bn);
    }
  for (int i = 0; i < D->n_layers; i++)
    fill_const (m->layers[i].spbias, 0.0f);
  dv_model_init_custom_params (m, &rng);
  /* weight_norm applied to an initialised weight: v = w, g = ‖w‖ per output */
  for (guint k = 0; k < m->wns->len; k++)
    {
      DvWeightNorm *wn = g_ptr_array_index (m->wns, k);
      memcpy (wn->v->data, wn->w->data, sizeof (float) * wn->w->numel);
      for (int o = 0; o < wn->cout; o++)
        {
          double ss = 0;
          for (int j = 0; j < wn->fan; j++)
            ss += (double) wn->v->data[(gsize) o * wn->fan + j] * wn->v->data[(gsize) o * wn->fan + j];
          wn->g->data[o] = (float) sqrt (ss);
        }
    }
}
