/* dv-tape.c — backpropagation through time: the tape written by dv-run.c,
 * walked backwards.  Each entry's backward accumulates into the gradients of
 * its inputs (NULL = not wanted: input frames, detached history, inference)
 * and of its parameters.  Because history rings hold the very values later
 * steps read, gradients flow through delays, recurrence, skip and feedback
 * connections and the solver's own state without any bookkeeping here.
 * Derivations: doc/engine.md. */
#include "dv-run-private.h"

#include <math.h>

static gsize
n_of (const DvRun *run, const DvTapeEntry *e)
{
  return (gsize) e->C * run->N * e->H * e->W;
}

static void
tstep_backward (DvRun *run, const DvTapeEntry *e)
{
  gsize n = n_of (run, e);
  const float *dy = e->out.grad;
  float dt = e->tstep.dt, tau = e->tstep.tau->data[0];
  double a = (double) dt / tau;
  double dadtau = -(double) dt / ((double) tau * tau);
  double da = 0.0; /* d loss / d alpha */
  float *du = e->a.grad, *dh = e->b.grad;
  const float *u = e->a.data, *h = e->b.data;
  const DvSolverClass *custom = e->tstep.custom;
  DvParam *ptau = e->tstep.tau;
  if (custom)
    {
      double dtau = custom->backward (du, dh, dy, u, h, n, dt, tau, custom->user_data);
      if (ptau->grad)
        ptau->grad[0] += (float) dtau;
      return;
    }
  if (h == NULL || e->tstep.solver == DV_SOLVER_EULER)
    da = dv_euler_backward (du, dh, dy, u, h, dt / tau, n);
  else
    {
      /* RK4 with the drive held constant: y = u + (h − u)·P(a),
       * P(a) = 1 − a + a²/2 − a³/6 + a⁴/24 (SPEC §3) — the exact Jacobian. */
      double P = 1 - a + a * a / 2 - a * a * a / 6 + a * a * a * a / 24;
      double dyda_factor = 1 - a + a * a / 2 - a * a * a / 6; /* dy/da = (u − h)·this */
      for (gsize i = 0; i < n; i++)
        {
          if (du)
            du[i] += (float) ((1 - P) * dy[i]);
          if (dh)
            dh[i] += (float) (P * dy[i]);
          da += (double) dy[i] * (u[i] - h[i]) * dyda_factor;
        }
    }
  if (ptau->grad)
    ptau->grad[0] += (float) (da * dadtau);
}

static void
self_backward (DvRun *run, const DvTapeEntry *e)
{
  gsize n = n_of (run, e);
  const float *dy = e->out.grad, *x = e->a.data;
  DvParam *pw = e->self.w, *pb = e->self.b;
  float w = pw->data[0];
  double dw = 0, db = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (e->a.grad)
        e->a.grad[i] += w * dy[i];
      dw += (double) dy[i] * x[i];
      db += dy[i];
    }
  if (pw->grad)
    pw->grad[0] += (float) dw;
  if (pb && pb->grad)
    pb->grad[0] += (float) db;
}

static void
entry_backward (DvRun *run, const DvTapeEntry *e)
{
  int N = run->N;
  gsize n = n_of (run, e);
  const float *dy = e->out.grad;
  if (dy == NULL)
    return;
  switch (e->kind)
    {
    case DV_T_CONV:
      {
        const DvConvMod *c = e->conv.mod;
        float *dw = c->w->grad, *db = c->b ? c->b->grad : NULL;
        if (e->a.grad || dw || db)
          dv_conv2d_backward (e->a.grad, dw, db, dy, e->a.data, c->w->data, N, e->H, e->W, &c->cfg,
                              &run->scratch);
        break;
      }
    case DV_T_CONVT:
      {
        /* out = Wᵀ ⋆ a: da += conv(dout), dW += (a as the conv's output gradient) ⋆ dout */
        const DvConvMod *c = e->convt.mod;
        int Ho = e->convt.Ho, Wo = e->convt.Wo;
        if (e->a.grad)
          dv_conv2d_forward_acc (e->a.grad, dy, c->w->data, NULL, N, Ho, Wo, &c->cfg, &run->scratch);
        if (c->w->grad)
          dv_conv2d_backward (NULL, c->w->grad, NULL, e->a.data, dy, c->w->data, N, Ho, Wo, &c->cfg,
                              &run->scratch);
        break;
      }
    case DV_T_RELU:
      if (e->a.grad)
        dv_relu_backward (e->a.grad, dy, e->a.data, n);
      break;
    case DV_T_SUPRALIN:
      if (e->a.grad)
        dv_supralin_backward (e->a.grad, dy, e->a.data, n, e->supralin.n, e->supralin.k);
      break;
    case DV_T_MULINT:
      dv_mulint_backward (e->a.grad, e->b.grad, dy, e->a.data, e->b.data, n);
      break;
    case DV_T_ADD2:
      if (e->a.grad)
        dv_add_acc (e->a.grad, dy, n);
      if (e->b.grad)
        dv_add_acc (e->b.grad, dy, n);
      break;
    case DV_T_ADD_ACC:
      if (e->a.grad)
        dv_add_acc (e->a.grad, dy, n);
      break;
    case DV_T_RESIZE:
      if (e->a.grad)
        dv_resize_nearest_backward (e->a.grad, dy, e->C * N, e->H, e->W, e->resize.Ho, e->resize.Wo);
      break;
    case DV_T_SELF:
      self_backward (run, e);
      break;
    case DV_T_TSTEP:
      tstep_backward (run, e);
      break;
    case DV_T_MAXPOOL:
      if (e->a.grad)
        dv_maxpool_backward (e->a.grad, dy, e->pool.argmax, e->C * N, e->H, e->W, e->pool.kernel,
                             e->pool.stride, e->pool.pad);
      break;
    case DV_T_AVGPOOL:
      if (e->a.grad)
        dv_avgpool_backward (e->a.grad, dy, e->C * N, e->H, e->W, e->pool.kernel, e->pool.stride,
                             e->pool.pad);
      break;
    case DV_T_BN:
      dv_batchnorm_backward (e->a.grad, e->bn.mod->gamma->grad, e->bn.mod->beta->grad, dy, e->a.data,
                             e->bn.mean, e->bn.invstd, e->bn.mod->gamma->data, e->C, N, e->H * e->W,
                             e->bn.train);
      break;
    case DV_T_GN:
      dv_groupnorm_backward (e->a.grad, e->gn.mod->gamma->grad, e->gn.mod->beta->grad, dy, e->a.data,
                             e->gn.mean, e->gn.invstd, e->gn.mod->gamma->data, e->C, N, e->H * e->W,
                             e->gn.mod->G);
      break;
    case DV_T_GAP:
      if (e->a.grad)
        dv_gap_backward (e->a.grad, dy, e->C, N, e->H * e->W);
      break;
    case DV_T_LINEAR:
      {
        DvModel *m = run->model;
        dv_linear_backward (e->a.grad, m->cls_w->grad, m->cls_b->grad, dy, e->a.data, m->cls_w->data, N,
                            e->linear.in, e->linear.out);
        break;
      }
    case DV_T_SPBIAS:
      {
        int C = e->C, HW = e->H * e->W;
        DvParam *bias = e->spbias.bias;
        for (int c = 0; c < C; c++)
          for (int b = 0; b < N; b++)
            {
              const float *d = dy + ((gsize) c * N + b) * HW;
              if (bias->grad)
                for (int i = 0; i < HW; i++)
                  bias->grad[c * HW + i] += d[i];
              if (e->a.grad)
                for (int i = 0; i < HW; i++)
                  e->a.grad[((gsize) c * N + b) * HW + i] += d[i];
            }
        break;
      }
    case DV_T_CUSTOM:
      {
        DvOpCall *call = e->custom.call;
        call->in_backward = TRUE;
        if (call->klass->backward)
          call->klass->backward (call, dy, e->a.data, e->out.data, e->a.grad);
        break;
      }
    case DV_T_GATHER:
      if (e->a.grad)
        for (int i = 0; i < e->gather.n; i++)
          for (int b = 0; b < N; b++)
            e->a.grad[e->gather.src[i] + b * e->gather.hw_in] += dy[e->gather.dst[i] + b * e->gather.hw_out];
      break;
    }
}

void
dv_tape_backward_range (DvRun *run, guint begin, guint end)
{
  for (guint i = end; i-- > begin;)
    entry_backward (run, &g_array_index (run->tape, DvTapeEntry, i));
}
