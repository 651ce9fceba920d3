/* dv-run.c — running a model forward in time, DynVision's way.
 *
 * What this is for: the per-timestep layer loop of SPEC §1.5 (layer_operations
 * dispatch), the history rings of §1.6 with explicit NONE presence, delays,
 * recurrence, skip and feedback connections, the Euler/RK4 step of §3 with
 * its own-state fallback, idle steps and truncated BPTT; every op that
 * carries a gradient is written to the tape that dv-tape.c walks backwards.
 * What it is not for: the kernels (dv-ops.h) or losses and optimisers.
 *
 * Memory: values live in chunked arenas.  Training keeps one arena for the
 * whole sequence (BPTT needs every step).  Inference cycles through
 * capacity+2 arenas, one per timestep, so nothing is allocated per step once
 * the chunks exist and history older than the rings can reach is reused.
 * Gradients cycle the same way in training: a value of step k gets gradient
 * only from ops of steps k … k+capacity (the rings reach no further), so
 * capacity+2 gradient arenas, one per step, suffice if backward walks the
 * tape step by step and zeroes a step's arena once that step is done — it
 * then serves step k−(capacity+2).  Gradients take (capacity+2)/T of the
 * memory they would take with one arena (T: the sequence's steps).
 */
#include "dv-run-private.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */

typedef struct {
  DvVal v;
  int C, H, W;
} Cur;

/* Recomputation's first pass gives what would have a gradient this mark; nothing
 * reads or writes through it (there is no tape), it only says "not detached". */
static float shadow_grad[16];

static DvVal
val_new (DvRun *run, gsize n)
{
  DvVal v;
  v.data = dv_arena_alloc (run->arena, n);
  v.grad = NULL;
  if (run->taping)
    v.grad = dv_arena_alloc (run->grad_arena, n); /* zeroed step by step in backward */
  else if (run->shadow)
    v.grad = shadow_grad;
  return v;
}

static DvTapeEntry *
tape_push (DvRun *run, DvTapeKind kind, DvVal out, DvVal a, DvVal b)
{
  if (!run->taping)
    return NULL;
  DvTapeEntry e = { 0 };
  e.kind = kind;
  e.out = out;
  e.a = a;
  e.b = b;
  g_array_append_val (run->tape, e);
  return &g_array_index (run->tape, DvTapeEntry, run->tape->len - 1);
}

static gsize
numel (const DvRun *run, int C, int H, int W)
{
  return (gsize) C * run->N * H * W;
}

/* ---- rings ------------------------------------------------------------- */

static void
ring_push (DvRing *r, DvVal v, gsize n)
{
  if (r->cap == 0)
    return;
  r->items[r->next] = v;
  r->n[r->next] = v.data ? n : 0;
  r->next = (r->next + 1) % r->cap;
  r->count = MIN (r->count + 1, r->cap);
}

/* DynVision's get_hidden_state(k): k = 0 means 1; NONE when fewer stored. */
static DvVal
ring_get (const DvRing *r, int k)
{
  if (k < 1)
    k = 1;
  if (r->cap == 0 || k > r->count)
    return DV_VAL_NONE;
  return r->items[(r->next - k + r->cap) % r->cap];
}

/* ---- ops with tape ------------------------------------------------------ */

static Cur
op_conv (DvRun *run, const DvConvMod *c, Cur x)
{
  int Ho = dv_conv_out_size (x.H, c->cfg.kh, c->cfg.stride, c->cfg.pad);
  int Wo = dv_conv_out_size (x.W, c->cfg.kw, c->cfg.stride, c->cfg.pad);
  Cur y = { val_new (run, numel (run, c->cfg.cout, Ho, Wo)), c->cfg.cout, Ho, Wo };
  dv_conv2d_forward (y.v.data, x.v.data, c->w->data, c->b ? c->b->data : NULL, run->N, x.H, x.W,
                     &c->cfg, &run->scratch);
  DvTapeEntry *e = tape_push (run, DV_T_CONV, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->conv.mod = c, e->C = x.C, e->H = x.H, e->W = x.W;
  return y;
}

/* ConvTranspose2d as the data gradient of the conv it transposes. */
static Cur
op_convt (DvRun *run, const DvConvMod *c, Cur x, int Ho, int Wo)
{
  Cur y = { val_new (run, numel (run, c->cfg.cin, Ho, Wo)), c->cfg.cin, Ho, Wo };
  memset (y.v.data, 0, sizeof (float) * numel (run, y.C, Ho, Wo));
  dv_conv2d_backward (y.v.data, NULL, NULL, x.v.data, NULL, c->w->data, run->N, Ho, Wo, &c->cfg,
                      &run->scratch);
  DvTapeEntry *e = tape_push (run, DV_T_CONVT, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->convt.mod = c, e->C = x.C, e->H = x.H, e->W = x.W, e->convt.Ho = Ho, e->convt.Wo = Wo;
  return y;
}

static Cur
op_relu (DvRun *run, Cur x)
{
  gsize n = numel (run, x.C, x.H, x.W);
  Cur y = x;
  y.v = val_new (run, n);
  dv_relu_forward (y.v.data, x.v.data, n);
  DvTapeEntry *e = tape_push (run, DV_T_RELU, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->C = x.C, e->H = x.H, e->W = x.W;
  return y;
}

/* DynVision's shared SupraLinearity: k·sign(x)·max(|x|,1e-6)^n, with n and k
 * the module's (checkpointed) values. */
static Cur
op_supralin (DvRun *run, Cur x, float p)
{
  const DvModel *m = run->model;
  float k = m->supralin_k ? m->supralin_k->data[0] : 0.8f;
  if (m->supralin_n)
    p = m->supralin_n->data[0];
  gsize n = numel (run, x.C, x.H, x.W);
  Cur y = x;
  y.v = val_new (run, n);
  dv_supralin_forward (y.v.data, x.v.data, n, p, k);
  DvTapeEntry *e = tape_push (run, DV_T_SUPRALIN, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->C = x.C, e->H = x.H, e->W = x.W, e->supralin.n = p, e->supralin.k = k;
  return y;
}

static Cur
op_add (DvRun *run, Cur a, Cur b)
{
  gsize n = numel (run, a.C, a.H, a.W);
  Cur y = a;
  y.v = val_new (run, n);
  dv_add_forward (y.v.data, a.v.data, b.v.data, n);
  DvTapeEntry *e = tape_push (run, DV_T_ADD2, y.v, a.v, b.v);
  if (e)
    e->C = a.C, e->H = a.H, e->W = a.W;
  return y;
}

static Cur
op_mulint (DvRun *run, Cur a, Cur b)
{
  gsize n = numel (run, a.C, a.H, a.W);
  Cur y = a;
  y.v = val_new (run, n);
  dv_mulint_forward (y.v.data, a.v.data, b.v.data, n);
  DvTapeEntry *e = tape_push (run, DV_T_MULINT, y.v, a.v, b.v);
  if (e)
    e->C = a.C, e->H = a.H, e->W = a.W;
  return y;
}

/* dst += a (dst freshly made by the caller, same shape). */
static void
op_add_acc (DvRun *run, Cur dst, Cur a)
{
  gsize n = numel (run, a.C, a.H, a.W);
  dv_add_acc (dst.v.data, a.v.data, n);
  DvTapeEntry *e = tape_push (run, DV_T_ADD_ACC, dst.v, a.v, DV_VAL_NONE);
  if (e)
    e->C = a.C, e->H = a.H, e->W = a.W;
}

static Cur
op_resize (DvRun *run, Cur x, int Ho, int Wo)
{
  if (x.H == Ho && x.W == Wo)
    return x;
  Cur y = { val_new (run, numel (run, x.C, Ho, Wo)), x.C, Ho, Wo };
  dv_resize_nearest_forward (y.v.data, x.v.data, x.C * run->N, x.H, x.W, Ho, Wo);
  DvTapeEntry *e = tape_push (run, DV_T_RESIZE, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->C = x.C, e->H = x.H, e->W = x.W, e->resize.Ho = Ho, e->resize.Wo = Wo;
  return y;
}

static Cur
op_pool (DvRun *run, const DvLayerDesc *l, Cur x)
{
  const DvPoolDesc *p = &l->pool;
  int Ho = dv_conv_out_size (x.H, p->kernel, p->stride, p->padding);
  int Wo = dv_conv_out_size (x.W, p->kernel, p->stride, p->padding);
  Cur y = { val_new (run, numel (run, x.C, Ho, Wo)), x.C, Ho, Wo };
  int planes = x.C * run->N;
  DvTapeEntry *e;
  if (l->pool_kind == DV_POOL_MAX)
    {
      int32_t *argmax = (int32_t *) dv_arena_alloc (run->arena, (gsize) planes * Ho * Wo);
      dv_maxpool_forward (y.v.data, argmax, x.v.data, planes, x.H, x.W, p->kernel, p->stride, p->padding);
      e = tape_push (run, DV_T_MAXPOOL, y.v, x.v, DV_VAL_NONE);
      if (e)
        e->pool.argmax = argmax;
    }
  else
    {
      dv_avgpool_forward (y.v.data, x.v.data, planes, x.H, x.W, p->kernel, p->stride, p->padding);
      e = tape_push (run, DV_T_AVGPOOL, y.v, x.v, DV_VAL_NONE);
    }
  if (e)
    e->C = x.C, e->H = x.H, e->W = x.W, e->pool.kernel = p->kernel, e->pool.stride = p->stride,
    e->pool.pad = p->padding;
  return y;
}

static Cur
op_bn (DvRun *run, const DvBnMod *bn, Cur x)
{
  Cur y = x;
  y.v = val_new (run, numel (run, x.C, x.H, x.W));
  float *mean = dv_arena_alloc (run->arena, x.C), *invstd = dv_arena_alloc (run->arena, x.C);
  gboolean train = run->opt.bn_train;
  dv_batchnorm_forward (y.v.data, mean, invstd, x.v.data, bn->gamma->data, bn->beta->data,
                        bn->rmean->data, bn->rvar->data, x.C, run->N, x.H * x.W, 1e-5f, 0.1f, train);
  if (train)
    bn->nbt->idata[0] += 1;
  DvTapeEntry *e = tape_push (run, DV_T_BN, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->bn.mod = bn, e->C = x.C, e->H = x.H, e->W = x.W, e->bn.mean = mean, e->bn.invstd = invstd,
    e->bn.train = train;
  return y;
}

static Cur
op_gn (DvRun *run, const DvGnMod *gn, Cur x)
{
  Cur y = x;
  y.v = val_new (run, numel (run, x.C, x.H, x.W));
  float *mean = dv_arena_alloc (run->arena, (gsize) run->N * gn->G);
  float *invstd = dv_arena_alloc (run->arena, (gsize) run->N * gn->G);
  dv_groupnorm_forward (y.v.data, mean, invstd, x.v.data, gn->gamma->data, gn->beta->data, x.C, run->N,
                        x.H * x.W, gn->G, 1e-5f);
  DvTapeEntry *e = tape_push (run, DV_T_GN, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->gn.mod = gn, e->C = x.C, e->H = x.H, e->W = x.W, e->gn.mean = mean, e->gn.invstd = invstd;
  return y;
}

static Cur
op_gather (DvRun *run, Cur x, const DvLocalMaps *maps, int C, int H, int W)
{
  Cur y = { val_new (run, numel (run, C, H, W)), C, H, W };
  int N = run->N, hi = x.H * x.W, ho = H * W;
  for (int i = 0; i < maps->n; i++)
    for (int n = 0; n < N; n++)
      y.v.data[maps->dst[i] + n * ho] = x.v.data[maps->src[i] + n * hi];
  DvTapeEntry *e = tape_push (run, DV_T_GATHER, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->gather.src = maps->src, e->gather.dst = maps->dst, e->gather.n = maps->n, e->gather.hw_in = hi,
    e->gather.hw_out = ho;
  return y;
}

/* ---- recurrence, layer, connections, solver ------------------------------ */

static Cur
rec_forward (DvRun *run, int li, Cur h)
{
  const DvLayer *L = &run->model->layers[li];
  const DvRecMod *r = &L->rec;
  Cur y;
  switch (r->type)
    {
    case DV_REC_SELF:
      {
        y = h;
        y.v = val_new (run, numel (run, h.C, h.H, h.W));
        float w = r->self_w->data[0];
        /* DynVision applies the bias only while it is non-zero (`if self.bias:`) */
        gboolean use_b = r->self_b && r->self_b->data[0] != 0.0f;
        float b = use_b ? r->self_b->data[0] : 0.0f;
        gsize n = numel (run, h.C, h.H, h.W);
        for (gsize i = 0; i < n; i++)
          y.v.data[i] = use_b ? h.v.data[i] * w + b : h.v.data[i] * w;
        DvTapeEntry *e = tape_push (run, DV_T_SELF, y.v, h.v, DV_VAL_NONE);
        if (e)
          e->self.w = r->self_w, e->self.b = use_b ? r->self_b : NULL, e->C = h.C, e->H = h.H, e->W = h.W;
        break;
      }
    case DV_REC_FULL:
      y = op_conv (run, &r->conv, h);
      break;
    case DV_REC_DEPTHPOINTWISE:
    case DV_REC_POINTDEPTHWISE:
      y = op_conv (run, &r->second, op_conv (run, &r->first, h));
      break;
    case DV_REC_LOCAL:
    case DV_REC_LOCALDEPTHWISE:
      {
        int side = r->side;
        Cur plane = op_gather (run, h, &run->to_plane[li], 1, side * h.H, side * h.W);
        plane = op_conv (run, &r->conv, plane);
        y = op_gather (run, plane, &run->to_layer[li], h.C, h.H, h.W);
        if (r->type == DV_REC_LOCALDEPTHWISE)
          y = op_conv (run, &r->second, y);
        break;
      }
    case DV_REC_NONE:
    default:
      g_assert_not_reached ();
    }
  return op_resize (run, y, r->th, r->tw);
}

/* target += rec, or rec alone when target is NONE. */
static Cur
integrate_rec (DvRun *run, Cur target, Cur rec, gboolean target_is_fresh)
{
  if (target.v.data == NULL)
    return rec;
  if (target_is_fresh)
    {
      op_add_acc (run, target, rec);
      return target;
    }
  return op_add (run, target, rec);
}

/* RecurrentConnectedConv2d (SPEC §2.2–2.3). */
static Cur
layer_forward (DvRun *run, int li, Cur x)
{
  const DvLayer *L = &run->model->layers[li];
  const DvLayerDesc *l = L->desc;
  Cur h = { DV_VAL_NONE, l->out_channels, l->state_h, l->state_w };
  if (L->has_rec && !run->opt.feedforward_only)
    h.v = ring_get (&run->rings[li], L->d_rc);
  Cur rec = { DV_VAL_NONE, 0, 0, 0 };
  if (h.v.data)
    rec = rec_forward (run, li, h);

  if (l->rec_target == DV_TARGET_INPUT && rec.v.data)
    x = integrate_rec (run, x, rec, FALSE);
  if (x.v.data == NULL)
    {
      /* No feedforward input: the recurrence alone drives the layer (RConv2d
       * forward_recurrence returns Rec(h)); for a middle target the second
       * stage still runs on it. */
      if (l->rec_target == DV_TARGET_MIDDLE && rec.v.data && L->two_stage)
        return op_conv (run, &L->conv2, rec);
      return l->rec_target == DV_TARGET_OUTPUT ? rec : (Cur) { DV_VAL_NONE, 0, 0, 0 };
    }
  Cur y = op_conv (run, &L->conv, x);
  if (L->two_stage)
    {
      if (L->has_midnorm)
        y = op_gn (run, &L->midnorm, y);
      y = op_relu (run, y);
      if (l->rec_target == DV_TARGET_MIDDLE && rec.v.data)
        y = integrate_rec (run, y, rec, FALSE);
      y = op_conv (run, &L->conv2, y);
    }
  if (l->rec_target == DV_TARGET_OUTPUT && rec.v.data)
    y = integrate_rec (run, y, rec, TRUE);
  return y;
}

static Cur
conn_forward (DvRun *run, const DvConn *c, Cur x)
{
  const DvLayerDesc *src = &run->model->desc->layers[c->src];
  Cur h = { ring_get (&run->rings[c->src], c->desc->delay_index), src->out_channels, src->state_h, src->state_w };
  if (h.v.data == NULL)
    return x;
  if (c->transposed)
    h = op_convt (run, &c->conv, h, (h.H - 1) * c->desc->stride + c->desc->kernel,
                  (h.W - 1) * c->desc->stride + c->desc->kernel);
  else if (c->has_conv)
    h = op_conv (run, &c->conv, h);
  if (c->has_bn)
    h = op_bn (run, &c->bn, h);
  h = op_resize (run, h, c->th, c->tw);
  if (x.v.data == NULL)
    return h;
  if (c->desc->integration == DV_INTEGRATE_MULTIPLICATIVE)
    return op_mulint (run, x, h);
  return op_add (run, x, h);
}

static Cur
tstep_forward (DvRun *run, int li, Cur u)
{
  const DvLayer *L = &run->model->layers[li];
  const DvModelDesc *D = run->model->desc;
  DvVal h = ring_get (&run->rings[li], 1);
  gboolean own = h.data == NULL;
  if (own)
    h = run->own[li];
  gsize n = numel (run, u.C, u.H, u.W);
  Cur y = u;
  y.v = val_new (run, n);
  float dt = (float) D->dt, tau = L->tau->data[0];
  float alpha = dt / tau;
  const DvSolverClass *custom = D->solver == DV_SOLVER_CUSTOM ? dv_solver_lookup (D->solver_name) : NULL;
  if (custom)
    custom->step (y.v.data, u.v.data, h.data, n, dt, tau, custom->user_data);
  else if (h.data == NULL || D->solver == DV_SOLVER_EULER)
    dv_euler_forward (y.v.data, u.v.data, h.data, alpha, n);
  else
    for (gsize i = 0; i < n; i++)
      {
        float x = u.v.data[i], s = h.data[i];
        float k1 = (x - s) / tau;
        float k2 = (x - (s + dt * k1 / 2)) / tau;
        float k3 = (x - (s + dt * k2 / 2)) / tau;
        float k4 = (x - (s + dt * k3)) / tau;
        y.v.data[i] = s + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6;
      }
  DvTapeEntry *e = tape_push (run, DV_T_TSTEP, y.v, u.v, h);
  if (e)
    e->tstep.tau = L->tau, e->tstep.dt = dt, e->tstep.solver = D->solver, e->tstep.custom = custom,
    e->C = u.C, e->H = u.H, e->W = u.W;
  if (own)
    {
      run->own_n[li] = n;
      if (run->taping)
        run->own[li] = y.v;
      else
        {
          /* untaped arenas are reused after capacity+2 steps: keep a copy */
          memcpy (run->own_buf[li], y.v.data, n * sizeof (float));
          run->own[li] = (DvVal) { run->own_buf[li], run->shadow ? shadow_grad : NULL };
        }
    }
  return y;
}

/* A registered user operation (dv-custom.h): same shape in and out. */
static Cur
op_custom (DvRun *run, int li, guint pos, Cur x)
{
  const DvModelDesc *D = run->model->desc;
  const DvOpClass *klass = g_ptr_array_index (D->op_classes, pos);
  const DvLayerDesc *l = &D->layers[li];
  Cur y = x;
  if (x.v.data == NULL)
    {
      /* no tensor: the op sees the shape the slot has in this layer */
      gboolean before = pos < (guint) run->model->layers[li].op_layer_pos;
      y.C = before ? l->in_channels : l->out_channels;
      y.H = before ? l->in_h : l->out_h;
      y.W = before ? l->in_w : l->out_w;
    }
  DvOpCall *call = (DvOpCall *) dv_arena_alloc (run->arena, sizeof (DvOpCall) / sizeof (float) + 2);
  memset (call, 0, sizeof *call);
  call->run = run;
  call->klass = klass;
  call->layer = li;
  call->t = run->t;
  call->C = y.C;
  call->H = y.H;
  call->W = y.W;
  y.v = val_new (run, numel (run, y.C, y.H, y.W));
  if (!klass->forward (call, x.v.data, y.v.data))
    return (Cur) { DV_VAL_NONE, y.C, y.H, y.W };
  DvTapeEntry *e = tape_push (run, DV_T_CUSTOM, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->custom.call = call, e->C = y.C, e->H = y.H, e->W = y.W;
  return y;
}

const float *
dv_op_call_history (DvOpCall *call, int layer, int k, float **grad)
{
  g_return_val_if_fail (layer >= 0 && layer < call->run->model->desc->n_layers, NULL);
  if (k < 1)
    k = 1;
  for (int i = 0; i < call->n_hist; i++)
    if (call->hist[i].layer == layer && call->hist[i].k == k)
      {
        if (grad)
          *grad = call->hist[i].v.grad;
        return call->hist[i].v.data;
      }
  if (call->in_backward)
    {
      g_critical ("custom op %s: backward read history (layer %d, k %d) its forward did not read",
                  call->klass->name, layer, k);
      if (grad)
        *grad = NULL;
      return NULL;
    }
  DvVal v = ring_get (&call->run->rings[layer], k);
  if (call->n_hist < DV_OP_CALL_MAX_HISTORY)
    {
      call->hist[call->n_hist].layer = layer;
      call->hist[call->n_hist].k = k;
      call->hist[call->n_hist].v = v;
      call->n_hist++;
    }
  if (grad)
    *grad = v.grad;
  return v.data;
}

/* CordsNet's SpatialBias: x + b[c,y,x]; without input, the bias alone
 * (DynVision returns it expanded to batch 1, so the layer becomes present). */
static Cur
op_spbias (DvRun *run, int li, Cur x)
{
  const DvLayer *L = &run->model->layers[li];
  const DvLayerDesc *l = L->desc;
  int C = l->out_channels, HW = l->out_h * l->out_w, N = run->N;
  Cur y = { val_new (run, numel (run, C, l->out_h, l->out_w)), C, l->out_h, l->out_w };
  const float *b = L->spbias->data;
  for (int c = 0; c < C; c++)
    for (int n = 0; n < N; n++)
      {
        float *o = y.v.data + ((gsize) c * N + n) * HW;
        const float *xi = x.v.data ? x.v.data + ((gsize) c * N + n) * HW : NULL;
        for (int i = 0; i < HW; i++)
          o[i] = (xi ? xi[i] : 0.0f) + b[c * HW + i];
      }
  DvTapeEntry *e = tape_push (run, DV_T_SPBIAS, y.v, x.v, DV_VAL_NONE);
  if (e)
    e->spbias.bias = L->spbias, e->C = C, e->H = l->out_h, e->W = l->out_w;
  return y;
}

/* CorNetRT's zerofilter: when what this layer passes on is absent or all
 * zeros, the next layer's history is filled with zero states (of its
 * recurrence target's shape) and nothing is passed on. */
static Cur
op_skipzeros (DvRun *run, int li, Cur x)
{
  const DvModelDesc *D = run->model->desc;
  if (li + 1 >= D->n_layers)
    return x;
  gboolean zero = x.v.data == NULL;
  if (!zero)
    {
      gsize n = numel (run, x.C, x.H, x.W);
      zero = TRUE;
      for (gsize i = 0; i < n && zero; i++)
        zero = x.v.data[i] == 0.0f;
    }
  if (!zero)
    return x;
  const DvLayerDesc *nl = &D->layers[li + 1];
  int C = nl->out_channels, H = nl->out_h, W = nl->out_w;
  if (nl->rec_target == DV_TARGET_MIDDLE)
    C = nl->mid_channels, H = nl->mid_h, W = nl->mid_w;
  else if (nl->rec_target == DV_TARGET_INPUT)
    C = nl->in_channels, H = nl->in_h, W = nl->in_w;
  DvRing *r = &run->rings[li + 1];
  for (int k = 0; k < r->cap; k++)
    {
      DvVal z = { dv_arena_alloc (run->arena, numel (run, C, H, W)), NULL };
      memset (z.data, 0, sizeof (float) * numel (run, C, H, W));
      ring_push (r, z, numel (run, C, H, W));
    }
  return (Cur) { DV_VAL_NONE, x.C, x.H, x.W };
}

static gboolean
op_skipped_on_none (DvOp op)
{
  return op == DV_OP_NONLIN || op == DV_OP_SUPRALIN || op == DV_OP_POOL || op == DV_OP_NORM || op == DV_OP_CONV;
}

static Cur
layer_step (DvRun *run, int li, Cur x)
{
  DvModel *m = run->model;
  const DvModelDesc *D = m->desc;
  const DvLayer *L = &m->layers[li];
  const DvLayerDesc *l = L->desc;
  gboolean ffonly = D->feedforward_only || run->opt.feedforward_only;
  /* DynVision's _forward(feedforward_only=True) skips its non_feedforward_operations
   * (addskip, addfeedback) and nothing else; the probe is exactly that. */
  gboolean no_conns = ffonly || run->opt.residual_probe;
  for (guint k = 0; k < D->ops->len; k++)
    {
      DvOp op = g_array_index (D->ops, DvOp, k);
      if (no_conns && (op == DV_OP_ADDSKIP || op == DV_OP_ADDFEEDBACK))
        continue;
      if (ffonly && op == DV_OP_ADDEXT)
        continue;
      if (x.v.data == NULL && op_skipped_on_none (op))
        continue;
      switch (op)
        {
        case DV_OP_CONV:
          if (L->has_preconv)
            x = op_conv (run, &L->preconv, x);
          break;
        case DV_OP_LAYER:
          x = layer_forward (run, li, x);
          break;
        case DV_OP_ADDSKIP:
        case DV_OP_ADDEXT:
        case DV_OP_ADDFEEDBACK:
          for (int c = 0; c < D->n_conns; c++)
            if (m->conns[c].dst == li && D->conns[c].op == op)
              x = conn_forward (run, &m->conns[c], x);
          break;
        case DV_OP_TSTEP:
          if (L->has_tstep && x.v.data)
            x = tstep_forward (run, li, x);
          break;
        case DV_OP_NONLIN:
          if (l->nonlin == DV_NONLIN_RELU)
            x = op_relu (run, x);
          break;
        case DV_OP_SUPRALIN:
          if (l->supralinearity != 1.0)
            x = op_supralin (run, x, (float) l->supralinearity);
          break;
        case DV_OP_RECORD:
          run->recorded[li] = x.v;
          break;
        case DV_OP_DELAY:
          {
            DvVal out = L->d_ff > 0 ? ring_get (&run->rings[li], L->d_ff) : x.v;
            ring_push (&run->rings[li], x.v, numel (run, x.C, x.H, x.W));
            x.v = out;
            if (L->d_ff > 0)
              x.C = l->out_channels, x.H = l->state_h, x.W = l->state_w;
            break;
          }
        case DV_OP_POOL:
          if (l->pool_kind != DV_POOL_NONE)
            x = op_pool (run, l, x);
          break;
        case DV_OP_NORM:
          if (L->has_bn)
            x = op_bn (run, &L->bn, x);
          else if (L->has_gn)
            x = op_gn (run, &L->gn, x);
          break;
        case DV_OP_SKIPZEROS:
          x = op_skipzeros (run, li, x);
          break;
        case DV_OP_ADDBIAS:
          if (L->spbias)
            x = op_spbias (run, li, x);
          break;
        case DV_OP_CUSTOM:
          x = op_custom (run, li, k, x);
          break;
        case DV_OP_N_OPS:
        default:
          break;
        }
    }
  return x;
}

/* ------------------------------------------------------------------------ */

/* ---- activation recomputation (DvCheckpoint, dv-run-private.h) --------- */

void
dv_checkpoint_free (gpointer p)
{
  DvCheckpoint *c = p;
  if (c == NULL)
    return;
  for (int i = 0; i < c->n_vals; i++)
    {
      g_free (c->data[i]);
      if (c->bgrad)
        g_free (c->bgrad[i]);
    }
  g_free (c->data);
  g_free (c->n);
  g_free (c->has_grad);
  g_free (c->bgrad);
  g_free (c->count);
  g_free (c->next);
  g_free (c->item);
  g_free (c);
}

/* A layer's state slots: ring slots 0 … cap−1, then the solver's own state (slot cap). */
static DvVal *
state_slot (DvRun *run, int li, int k, gsize **n)
{
  DvRing *r = &run->rings[li];
  if (k < r->cap)
    {
      *n = &r->n[k];
      return &r->items[k];
    }
  *n = &run->own_n[li];
  return &run->own[li];
}

static void
checkpoint_take (DvRun *run)
{
  const int L = run->model->desc->n_layers, S = run->model->desc->n_hidden_states + 1;
  DvCheckpoint *c = g_new0 (DvCheckpoint, 1);
  c->t = run->t;
  c->steps = run->steps;
  c->last_present = run->last_present;
  c->count = g_new (int, L);
  c->next = g_new (int, L);
  c->item = g_new (int, (gsize) L * S);
  c->data = g_new0 (float *, (gsize) L * S);
  c->n = g_new0 (gsize, (gsize) L * S);
  c->has_grad = g_new0 (gboolean, (gsize) L * S);
  g_autofree const float **src = g_new0 (const float *, (gsize) L * S);
  for (int li = 0; li < L; li++)
    {
      c->count[li] = run->rings[li].count;
      c->next[li] = run->rings[li].next;
      for (int k = 0; k < S; k++)
        {
          gsize *np;
          const DvVal *v = state_slot (run, li, k, &np);
          int idx = li * S + k;
          c->item[idx] = -1;
          if (v->data == NULL || (k < run->rings[li].cap && k >= run->rings[li].count))
            continue; /* NONE, or a slot not filled since the reset */
          gboolean g = v->grad != NULL;
          int j = 0;
          while (j < c->n_vals && !(src[j] == v->data && c->has_grad[j] == g))
            j++;
          if (j == c->n_vals)
            {
              src[j] = v->data;
              c->data[j] = g_memdup2 (v->data, *np * sizeof (float));
              c->n[j] = *np;
              c->has_grad[j] = g;
              c->n_vals++;
            }
          c->item[idx] = j;
        }
    }
  g_ptr_array_add (run->ckpts, c);
}

/* The state as it was at the checkpoint, each value with gradient given a zeroed buffer. */
static void
checkpoint_restore (DvRun *run, DvCheckpoint *c)
{
  const int L = run->model->desc->n_layers, S = run->model->desc->n_hidden_states + 1;
  c->bgrad = g_new0 (float *, c->n_vals);
  for (int j = 0; j < c->n_vals; j++)
    if (c->has_grad[j])
      c->bgrad[j] = g_new0 (float, c->n[j]);
  for (int li = 0; li < L; li++)
    {
      run->rings[li].count = c->count[li];
      run->rings[li].next = c->next[li];
      for (int k = 0; k < S; k++)
        {
          gsize *np;
          DvVal *v = state_slot (run, li, k, &np);
          int j = c->item[li * S + k];
          *v = j < 0 ? DV_VAL_NONE : (DvVal) { c->data[j], c->bgrad[j] };
          *np = j < 0 ? 0 : c->n[j];
        }
    }
  run->t = c->t;
  run->steps = c->steps;
  run->last_present = c->last_present;
}

/* After recomputing a segment, its final state is checkpoint c's: what the later segments'
 * backward sent into c's values is added to the recomputed tensors' gradients. */
static void
checkpoint_seed (DvRun *run, const DvCheckpoint *c)
{
  const int L = run->model->desc->n_layers, S = run->model->desc->n_hidden_states + 1;
  g_autofree gboolean *done = g_new0 (gboolean, MAX (c->n_vals, 1));
  for (int li = 0; li < L; li++)
    {
      g_warn_if_fail (run->rings[li].count == c->count[li] && run->rings[li].next == c->next[li]);
      for (int k = 0; k < S; k++)
        {
          int j = c->item[li * S + k];
          if (j < 0 || !c->has_grad[j] || done[j])
            continue;
          gsize *np;
          DvVal *v = state_slot (run, li, k, &np);
          if (v->data == NULL || v->grad == NULL || *np != c->n[j])
            {
              g_critical ("recomputation: layer %d's state slot %d differs from its checkpoint", li, k);
              continue;
            }
          for (gsize i = 0; i < c->n[j]; i++)
            v->grad[i] += c->bgrad[j][i];
          done[j] = TRUE;
        }
    }
}

/* BatchNorm's running statistics and counters: the recomputed forward must not count twice. */
typedef struct {
  GArray *f;
  GArray *i;
} BnStats;

static void
bn_mod_stats (const DvBnMod *b, BnStats *st, gsize *fo, gsize *io, gboolean save)
{
  gsize C = (gsize) b->rmean->numel;
  if (save)
    {
      g_array_append_vals (st->f, b->rmean->data, C);
      g_array_append_vals (st->f, b->rvar->data, C);
      g_array_append_val (st->i, b->nbt->idata[0]);
      return;
    }
  memcpy (b->rmean->data, &g_array_index (st->f, float, *fo), C * sizeof (float));
  memcpy (b->rvar->data, &g_array_index (st->f, float, *fo + C), C * sizeof (float));
  b->nbt->idata[0] = g_array_index (st->i, gint64, *io);
  *fo += 2 * C;
  *io += 1;
}

static void
bn_stats (DvModel *m, BnStats *st, gboolean save)
{
  gsize fo = 0, io = 0;
  for (int i = 0; i < m->desc->n_layers; i++)
    if (m->layers[i].has_bn)
      bn_mod_stats (&m->layers[i].bn, st, &fo, &io, save);
  for (int c = 0; c < m->desc->n_conns; c++)
    if (m->conns[c].has_bn)
      bn_mod_stats (&m->conns[c].bn, st, &fo, &io, save);
}

/* The tape and what indexes it: nothing is taped. */
static void
tape_clear (DvRun *run)
{
  g_array_set_size (run->tape, 0);
  g_array_set_size (run->logit_vals, 0);
  g_array_set_size (run->rec_vals, 0);
  g_array_set_size (run->step_begin, 0);
}

/* No sequence: empty rings and solver states, no tape, checkpoints or frames. */
static void
sequence_clear (DvRun *run)
{
  for (int i = 0; i < run->model->desc->n_layers; i++)
    {
      run->rings[i].count = run->rings[i].next = 0;
      run->own[i] = DV_VAL_NONE;
    }
  tape_clear (run);
  g_ptr_array_set_size (run->ckpts, 0);
  g_ptr_array_set_size (run->frames, 0);
  run->shadow = run->recomputing = FALSE;
}

void
dv_run_detach (DvRun *run)
{
  for (int i = 0; i < run->model->desc->n_layers; i++)
    for (int k = 0; k < run->rings[i].cap; k++)
      run->rings[i].items[k].grad = NULL;
}

static gboolean
step_internal (DvRun *run, const float *frame, float *logits_out, gboolean idle, GError **error);

void
dv_run_reset (DvRun *run)
{
  const DvModelDesc *D = run->model->desc;
  for (int i = 0; i < run->n_arenas; i++)
    dv_arena_reset_consolidate (&run->arenas[i]);
  run->arena = &run->arenas[0];
  for (int i = 0; i < run->n_grad_arenas; i++)
    dv_arena_reset_consolidate (&run->grad_arenas[i]);
  run->grad_arena = &run->grad_arenas[0];
  sequence_clear (run);
  dv_model_sync_weights (run->model);
  run->t = 0;
  run->steps = 0;
  dv_run_build_local_maps (run);
  if (D->idle_timesteps > 0 && !run->opt.residual_probe)
    {
      gsize fn = (gsize) run->N * D->in_channels * D->in_h * D->in_w;
      float *blank = g_new (float, fn);
      for (gsize i = 0; i < fn; i++)
        blank[i] = (float) D->non_input_value;
      for (int i = 0; i < D->idle_timesteps; i++)
        step_internal (run, blank, NULL, TRUE, NULL);
      g_free (blank);
      dv_run_detach (run);
    }
}

static gboolean
all_finite (const float *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (p[i]))
      return FALSE;
  return TRUE;
}

static gboolean
step_internal (DvRun *run, const float *frame, float *logits_out, gboolean idle, GError **error)
{
  DvModel *m = run->model;
  const DvModelDesc *D = m->desc;
  int N = run->N, K = D->n_classes;
  const int ck = run->opt.bptt_checkpoint;
  if (!run->opt.training || (ck && !run->recomputing))
    {
      run->arena = &run->arenas[run->steps % run->n_arenas];
      dv_arena_reset (run->arena);
    }
  /* with recomputation, the first pass of a real step is untaped; its state every ck steps and
   * its frame are kept for the backward, which tapes the steps again (run->recomputing) */
  run->shadow = ck && !run->recomputing && !idle;
  if (run->shadow)
    {
      if (run->t % ck == 0)
        checkpoint_take (run);
      g_ptr_array_add (run->frames, g_memdup2 (frame, sizeof (float) * N * D->in_channels * D->in_h * D->in_w));
    }
  run->steps++;
  gboolean taping = run->opt.training && !idle && (!ck || run->recomputing);
  run->taping = taping;
  if (taping)
    {
      /* taped step k (= logit_vals->len) keeps its gradients in arena k mod n */
      guint k = run->logit_vals->len, begin = run->tape->len;
      run->grad_arena = &run->grad_arenas[k % run->n_grad_arenas];
      if (k >= (guint) run->n_grad_arenas)
        dv_arena_reset (run->grad_arena); /* step k−n's entries still point here: keep the chunks */
      g_array_append_val (run->step_begin, begin);
    }

  Cur x = { DV_VAL_NONE, D->in_channels, D->in_h, D->in_w };
  x.v.data = dv_arena_alloc (run->arena, numel (run, x.C, x.H, x.W));
  dv_cnhw_from_sequence (x.v.data, frame, N, 1, 0, x.C, x.H * x.W);
  for (int i = 0; i < D->n_layers; i++)
    run->recorded[i] = DV_VAL_NONE;
  for (int i = 0; i < D->n_layers; i++)
    x = layer_step (run, i, x);

  if (x.v.data && m->cls_skip >= 0)
    {
      /* CordsNet's classifier.0: Skip(layer7, delay_index 0) adds its state of this step */
      const DvLayerDesc *sl = &D->layers[m->cls_skip];
      Cur h = { ring_get (&run->rings[m->cls_skip], 1), sl->out_channels, sl->state_h, sl->state_w };
      if (h.v.data)
        x = op_add (run, x, h);
    }
  DvVal lv = DV_VAL_NONE;
  if (x.v.data)
    {
      Cur g = { val_new (run, (gsize) N * x.C), x.C, 1, 1 };
      dv_gap_forward (g.v.data, x.v.data, x.C, N, x.H * x.W);
      DvTapeEntry *e = tape_push (run, DV_T_GAP, g.v, x.v, DV_VAL_NONE);
      if (e)
        e->C = x.C, e->H = x.H, e->W = x.W;
      lv = val_new (run, (gsize) N * K);
      dv_linear_forward (lv.data, g.v.data, m->cls_w->data, m->cls_b->data, N, x.C, K);
      e = tape_push (run, DV_T_LINEAR, lv, g.v, DV_VAL_NONE);
      if (e)
        e->linear.in = x.C, e->linear.out = K;
    }
  if (taping)
    {
      g_array_append_val (run->logit_vals, lv);
      g_array_append_vals (run->rec_vals, run->recorded, D->n_layers);
    }
  run->last_present = lv.data != NULL;
  if (logits_out)
    {
      if (lv.data)
        memcpy (logits_out, lv.data, sizeof (float) * N * K);
      else
        memset (logits_out, 0, sizeof (float) * N * K);
    }
  run->taping = FALSE;
  run->shadow = FALSE;
  if (idle)
    return TRUE;

  int t = run->t++;
  if (run->check_finite)
    {
      for (int i = 0; i < D->n_layers; i++)
        {
          const DvLayerDesc *l = &D->layers[i];
          if (run->recorded[i].data &&
              !all_finite (run->recorded[i].data, numel (run, l->out_channels, l->rec_h, l->rec_w)))
            {
              g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                           "the activity of layer %s became NaN or infinite at timestep %d (%.4g ms); "
                           "lower the learning rate, raise tau relative to dt (dt/tau = %.3g) or check the input",
                           l->name, t, t * D->dt, D->dt / D->layers[i].tau);
              return FALSE;
            }
        }
      if (lv.data && !all_finite (lv.data, (gsize) N * K))
        {
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED,
                       "the classifier output became NaN or infinite at timestep %d", t);
          return FALSE;
        }
    }
  if (D->tbptt > 0 && (t + 1) % D->tbptt == 0)
    dv_run_detach (run);
  if (run->observer)
    {
      for (int i = 0; i < D->n_layers; i++)
        {
          run->present[i] = run->recorded[i].data != NULL;
          run->resp_ptrs[i] = run->observe[i] ? run->recorded[i].data : NULL;
        }
      DvFrame f = { .t = t, .batch = N, .n_classes = K, .logits = lv.data, .logits_present = lv.data != NULL,
                    .n_layers = D->n_layers, .responses = run->resp_ptrs, .present = run->present };
      run->observer (run, &f, run->observer_data);
    }
  if (run->cancel && run->cancel (run->cancel_data))
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CANCELLED, "cancelled at timestep %d", t);
      return FALSE;
    }
  return TRUE;
}

gboolean
dv_run_step (DvRun *run, const float *frame, float *logits_out, GError **error)
{
  return step_internal (run, frame, logits_out, FALSE, error);
}

typedef struct {
  const float *x;
  int B, T;
  gsize frame;
} SeqSource;

static void
seq_frame (int t, float *dst, gpointer data)
{
  SeqSource *s = data;
  for (int b = 0; b < s->B; b++)
    memcpy (dst + b * s->frame, s->x + ((gsize) b * s->T + t) * s->frame, s->frame * sizeof (float));
}

gboolean
dv_run_forward_frames (DvRun *run, DvFrameFunc frames, gpointer user_data, int T, float *logits,
                       GError **error)
{
  const DvModelDesc *D = run->model->desc;
  int N = run->N, K = D->n_classes;
  gsize fn = (gsize) N * D->in_channels * D->in_h * D->in_w;
  float *frame = g_new (float, fn);
  float *lt = g_new (float, (gsize) N * K);
  dv_run_reset (run);
  gboolean ok = TRUE;
  for (int t = 0; t < T && ok; t++)
    {
      frames (t, frame, user_data);
      ok = dv_run_step (run, frame, lt, error);
      if (logits)
        for (int b = 0; b < N; b++)
          memcpy (logits + ((gsize) b * T + t) * K, lt + (gsize) b * K, K * sizeof (float));
    }
  g_free (frame);
  g_free (lt);
  return ok;
}

gboolean
dv_run_forward (DvRun *run, const float *x, int T, float *logits, GError **error)
{
  const DvModelDesc *D = run->model->desc;
  SeqSource s = { x, run->N, T, (gsize) D->in_channels * D->in_h * D->in_w };
  return dv_run_forward_frames (run, seq_frame, &s, T, logits, error);
}

/* Walks the taped steps back, last first; they are the real steps t0 … of a sequence of T_all
 * (dlogits' layout).  seed: the checkpoint the taped steps end in (recomputation), or NULL. */
static void
backward_walk (DvRun *run, const float *dlogits, int T_all, int t0, const DvCheckpoint *seed)
{
  const int N = run->N, K = run->model->desc->n_classes, T = run->logit_vals->len;
  const int L = run->model->desc->n_layers, R = run->n_grad_arenas;
  /* the arenas hold steps T−R … T−1 */
  for (int i = 0; i < R; i++)
    dv_arena_zero_used (&run->grad_arenas[i]);
  if (seed)
    checkpoint_seed (run, seed);
  for (int t = T - 1; t >= 0; t--)
    {
      if (t + 1 < T && t + 1 - R >= 0)
        dv_arena_zero_used (&run->grad_arenas[(t + 1) % R]); /* step t+1 is done; now step t+1−R's */
      DvVal lv = g_array_index (run->logit_vals, DvVal, t);
      if (lv.grad != NULL)
        for (int b = 0; b < N; b++)
          for (int k = 0; k < K; k++)
            lv.grad[b * K + k] += dlogits[((gsize) b * T_all + t0 + t) * K + k];
      if (run->response_grad)
        for (int l = 0; l < L; l++)
          {
            DvVal v = g_array_index (run->rec_vals, DvVal, (gsize) t * L + l);
            if (run->observe[l] && v.data && v.grad)
              run->response_grad (run, t0 + t, l, v.data, v.grad, run->response_grad_data);
          }
      guint end = t + 1 < T ? g_array_index (run->step_begin, guint, t + 1) : run->tape->len;
      dv_tape_backward_range (run, g_array_index (run->step_begin, guint, t), end);
    }
}

/* Recomputation's backward: segment by segment from the last, each recomputed taped from its
 * checkpoint (the same kernels on the same values: the same bits), then walked back. */
static void
backward_recompute (DvRun *run, const float *dlogits)
{
  const int T = run->frames->len, K = run->opt.bptt_checkpoint, S = run->ckpts->len;
  /* the first pass's cycling arenas are done with; the first holds a segment now */
  for (int i = 1; i < run->n_arenas; i++)
    dv_arena_release (&run->arenas[i]);
  BnStats bn = { g_array_new (FALSE, FALSE, sizeof (float)), g_array_new (FALSE, FALSE, sizeof (gint64)) };
  bn_stats (run->model, &bn, TRUE);
  DvObserverFunc observer = run->observer;
  DvCancelFunc cancel = run->cancel;
  gboolean check_finite = run->check_finite;
  run->observer = NULL;
  run->cancel = NULL;
  run->check_finite = FALSE;
  for (int s = S - 1; s >= 0; s--)
    {
      DvCheckpoint *c = g_ptr_array_index (run->ckpts, s);
      checkpoint_restore (run, c);
      run->arena = &run->arenas[0];
      dv_arena_reset (run->arena);
      for (int i = 0; i < run->n_grad_arenas; i++)
        dv_arena_reset (&run->grad_arenas[i]);
      tape_clear (run);
      run->recomputing = TRUE;
      for (int t = c->t; t < MIN (c->t + K, T); t++)
        step_internal (run, g_ptr_array_index (run->frames, t), NULL, FALSE, NULL);
      bn_stats (run->model, &bn, FALSE);
      backward_walk (run, dlogits, T, c->t, s + 1 < S ? g_ptr_array_index (run->ckpts, s + 1) : NULL);
      if (s + 1 < S)
        g_ptr_array_remove_index (run->ckpts, s + 1); /* its gradients are where they belong */
    }
  /* the state now points into freed checkpoints: a sequence starts again with a reset
   * (dv_run_forward does) */
  sequence_clear (run);
  run->t = T;
  run->observer = observer;
  run->cancel = cancel;
  run->check_finite = check_finite;
  g_array_unref (bn.f);
  g_array_unref (bn.i);
}

gboolean
dv_run_backward (DvRun *run, const float *dlogits, GError **error)
{
  g_return_val_if_fail (run->opt.training, FALSE);
  if (run->opt.bptt_checkpoint)
    {
      const int K = run->opt.bptt_checkpoint, T = run->frames->len;
      g_return_val_if_fail (run->ckpts->len == (guint) ((T + K - 1) / K), FALSE);
      backward_recompute (run, dlogits);
    }
  else
    {
      const int T = run->logit_vals->len;
      g_return_val_if_fail (run->step_begin->len == (guint) T, FALSE);
      backward_walk (run, dlogits, T, 0, NULL);
    }
  dv_model_fold_weight_grads (run->model);
  return TRUE;
}
