/* dv-winograd.c — 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3).
 *
 * What this is for: the dense 3×3, stride 1, zero-pad 1 convolutions that
 * carry almost all of a recurrent CNN's arithmetic, forward and both
 * gradients, with 4/9 of im2col's multiplications.  Each 2×2 block of output
 * ("tile") is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the 4×4 input patch d, so the
 * channel sums become 16 independent products, one per transform point q:
 *   M_q[Cout, P] = U_q[Cout, Cin] · V_q[Cin, P]      (P: tiles × samples)
 * Backward uses the adjoints of the same three steps,
 *   dM = A·dY·Aᵀ,  dV_q = U_qᵀ·dM_q  →  dX += B·dV·Bᵀ (patches overlap),
 *   dU_q = dM_q·V_qᵀ  →  dW += Gᵀ·dU·G,
 * i.e. the exact gradient of what the forward computed.
 *
 * Why F(2×2) and not F(4×4, 3×3), which saves 4× instead of 2.25×: F(4×4)
 * rounds ~30× more than a direct sum (5e-6 of the output's scale at 64
 * channels, against 2e-7 here and 1.6e-7 for a direct float sum), and BPTT
 * through ReLU and GroupNorm turns that into gradients that miss the golden
 * cases (tests/data/golden-extra/train_cornetrt fails at 1e-2).
 *
 * Layout: the 16 vector lanes are 16 samples of the batch.  The CNHW input
 * is transposed to Xt[Cin][H+2…][W+2…][Nv] (zero border, batch innermost,
 * padded to Nv, a multiple of 16), so every patch row is one vector load.
 * The work is cut into chunks of a few tiles of one group of 16 samples, so
 * a chunk's V and M (columns (t−t0)·16 + lane) stay in L2 between the input
 * transform, the 16 products and the output transform; outputs come back
 * through Yt[Cout][2·th][2·tw][Nv] and a transpose.  Forward chunks are
 * independent tasks for the kernel threads; backward, the chunks of one
 * sample group run in order (their input-gradient patches overlap) and the
 * groups in parallel, each worker summing its own share of dU.
 * The transformed weights U (and Uᵀ) are cached per weight tensor (see
 * "Transformed weights, cached"): a recurrent run applies the same kernels
 * at every step.
 * Transforms are written once with GCC vector types and cloned for AVX-512
 * and plain x86-64; the products go to the engine's AVX-512 GEMM
 * (dv-sgemm.c) or, on other CPUs, dv_gemm (OpenBLAS) one after the other.
 * tests/test-winograd.c checks everything against a direct convolution.
 * What it is not for: other kernel sizes, strides, groups, reflect padding
 * (dv-conv.c's im2col does those), or choosing when to use it
 * (dv_winograd_applies and dv-conv.c do).
 */
#include "dv-winograd-private.h"

typedef struct {
  int N, H, W, Cin, Cout;
  int th, tw, T;   /* tiles down, across, in all (per sample) */
  int Nv, P;       /* batch padded to lanes; columns of V and M = T·Nv */
  int Hp, Wp;      /* Xt plane: TM·th+2 × TM·tw+2 */
  int Ht, Wt;      /* Yt plane: TM·th × TM·tw */
} Geo;

gboolean
dv_winograd_applies (const DvConvConfig *cfg)
{
  return cfg->kh == 3 && cfg->kw == 3 && cfg->stride == 1 && cfg->pad == 1
         && cfg->groups == 1 && cfg->pad_mode == DV_PAD_ZEROS;
}

static Geo
geo_make (int N, int H, int W, const DvConvConfig *cfg)
{
  Geo g;
  g.N = N, g.H = H, g.W = W, g.Cin = cfg->cin, g.Cout = cfg->cout;
  g.th = (H + TM - 1) / TM, g.tw = (W + TM - 1) / TM, g.T = g.th * g.tw;
  g.Nv = (N + LANES - 1) / LANES * LANES;
  g.P = g.T * g.Nv;
  g.Hp = TM * g.th + 2, g.Wp = TM * g.tw + 2;
  g.Ht = TM * g.th, g.Wt = TM * g.tw;
  return g;
}

/* ------------------------------------------------------------------------ */
/* Between CNHW and the batch-innermost planes (per channel)                 */

/* Xt_c [Hp][Wp][Nv] = channel c of inp [N][H][W], with a zero border, zero
 * lanes ≥ N and zero rows/columns past the last tile.  tmp: H·W·Nv floats. */
static void
xt_pack (float *restrict Xt, const float *restrict inp, float *restrict tmp, const Geo *g)
{
  const int HW = g->H * g->W, Nv = g->Nv, Wp = g->Wp;
  const size_t row = (size_t) Wp * Nv, px = (size_t) Nv * sizeof (float);

  dv_transpose (tmp, (size_t) Nv, inp, (size_t) HW, g->N, HW); /* tmp [HW][Nv] */
  memset (Xt, 0, row * sizeof (float));
  for (int y = 0; y < g->H; y++)
    {
      float *dst = Xt + (size_t) (y + 1) * row;
      const float *src = tmp + (size_t) y * g->W * Nv;
      memset (dst, 0, px);
      if (g->N == Nv)
        memcpy (dst + Nv, src, (size_t) g->W * px);
      else
        for (int x = 0; x < g->W; x++)
          {
            memcpy (dst + (size_t) (x + 1) * Nv, src + (size_t) x * Nv, (size_t) g->N * sizeof (float));
            memset (dst + (size_t) (x + 1) * Nv + g->N, 0, (size_t) (Nv - g->N) * sizeof (float));
          }
      memset (dst + (size_t) (g->W + 1) * Nv, 0, (size_t) (Wp - g->W - 1) * px);
    }
  memset (Xt + (size_t) (g->H + 1) * row, 0, (size_t) (g->Hp - g->H - 1) * row * sizeof (float));
}

/* dYt_c [Ht][Wt][Nv] = channel c of dout, zero past the edges and lanes ≥ N. */
static void
yt_pack (float *restrict Yt, const float *restrict dout, float *restrict tmp, const Geo *g)
{
  const int HW = g->H * g->W, Nv = g->Nv;

  if (g->N == Nv && g->H == g->Ht && g->W == g->Wt)
    {
      dv_transpose (Yt, (size_t) Nv, dout, (size_t) HW, g->N, HW);
      return;
    }
  memset (Yt, 0, (size_t) g->Ht * g->Wt * Nv * sizeof (float));
  dv_transpose (tmp, (size_t) Nv, dout, (size_t) HW, g->N, HW);
  for (int y = 0; y < g->H; y++)
    for (int x = 0; x < g->W; x++)
      memcpy (Yt + ((size_t) y * g->Wt + x) * Nv, tmp + ((size_t) y * g->W + x) * Nv,
              (size_t) g->N * sizeof (float));
}

/* out_c [N][H][W] (+)= the part of Yt_c [rows][cols][Nv] that starts at
 * (y0, x0).  tmp: Nv·rows·cols floats. */
static void
yt_unpack (float *restrict out, const float *restrict Yt, int rows, int cols, int y0, int x0,
           gboolean acc, float *restrict tmp, const Geo *g)
{
  const int HW = g->H * g->W, RC = rows * cols;

  if (!acc && rows == g->H && cols == g->W)
    {
      dv_transpose (out, (size_t) HW, Yt, (size_t) g->Nv, HW, g->N);
      return;
    }
  dv_transpose (tmp, (size_t) RC, Yt, (size_t) g->Nv, RC, g->N); /* tmp [N][rows·cols] */
  for (int n = 0; n < g->N; n++)
    for (int y = 0; y < g->H; y++)
      {
        float *restrict o = out + (size_t) n * HW + (size_t) y * g->W;
        const float *restrict s = tmp + (size_t) n * RC + (size_t) (y + y0) * cols + x0;
        if (acc)
          for (int x = 0; x < g->W; x++)
            o[x] += s[x];
        else
          memcpy (o, s, (size_t) g->W * sizeof (float));
      }
}

/* ------------------------------------------------------------------------ */
/* Tile transforms of one chunk: tiles t0 … t1−1 of the 16 samples of lane   */
/* group lg.  Chunk buffers are [NQ][channels][cc], column (t−t0)·16 + lane. */

/* Vc = Bᵀ d B over all input channels. */
DV_CLONES static void
input_transform (float *restrict Vc, const float *restrict Xt, int t0, int t1, int lg, int cc,
                 const Geo *g)
{
  const size_t plane = (size_t) g->Hp * g->Wp * g->Nv, qstride = (size_t) g->Cin * cc;
  const int Nv = g->Nv, Wp = g->Wp;

  for (int c = 0; c < g->Cin; c++)
    for (int t = t0; t < t1; t++)
      {
        const int ty = t / g->tw, tx = t % g->tw;
        const float *base = Xt + c * plane + ((size_t) (TM * ty) * Wp + TM * tx) * Nv + lg * LANES;
        float *vb = Vc + (size_t) c * cc + (t - t0) * LANES;
        v16 d[NQ], e[NQ];
        for (int i = 0; i < TA; i++)
          for (int j = 0; j < TA; j++)
            d[i * TA + j] = VLD (base + ((size_t) i * Wp + j) * Nv);
        for (int j = 0; j < TA; j++)
          bt (e + j, TA, d + j, TA); /* columns */
        for (int i = 0; i < TA; i++)
          bt (d + i * TA, 1, e + i * TA, 1); /* rows */
        for (int q = 0; q < NQ; q++)
          VST (vb + q * qstride) = d[q];
      }
}

/* Yt = Aᵀ M A + bias over all output channels. */
DV_CLONES static void
output_transform (float *restrict Yt, const float *restrict Mc, const float *restrict bias, int t0,
                  int t1, int lg, int cc, const Geo *g)
{
  const size_t plane = (size_t) g->Ht * g->Wt * g->Nv, qstride = (size_t) g->Cout * cc;
  const int Nv = g->Nv, Wt = g->Wt;

  for (int co = 0; co < g->Cout; co++)
    for (int t = t0; t < t1; t++)
      {
        const int ty = t / g->tw, tx = t % g->tw;
        const float *mb = Mc + (size_t) co * cc + (t - t0) * LANES;
        float *base = Yt + co * plane + ((size_t) (TM * ty) * Wt + TM * tx) * Nv + lg * LANES;
        const float b = bias ? bias[co] : 0.0f;
        v16 m[NQ], r[TM * TA], y[TM * TM];
        for (int q = 0; q < NQ; q++)
          m[q] = VLD (mb + q * qstride);
        for (int j = 0; j < TA; j++)
          at (r + j, TA, m + j, TA); /* columns: r [TM][TA] */
        for (int i = 0; i < TM; i++)
          at (y + i * TM, 1, r + i * TA, 1); /* rows: y [TM][TM] */
        for (int i = 0; i < TM; i++)
          for (int j = 0; j < TM; j++)
            VST (base + ((size_t) i * Wt + j) * Nv) = y[i * TM + j] + b;
      }
}

/* dMc = A dY Aᵀ over all output channels. */
DV_CLONES static void
output_transform_adjoint (float *restrict dMc, const float *restrict dYt, int t0, int t1, int lg,
                          int cc, const Geo *g)
{
  const size_t plane = (size_t) g->Ht * g->Wt * g->Nv, qstride = (size_t) g->Cout * cc;
  const int Nv = g->Nv, Wt = g->Wt;

  for (int co = 0; co < g->Cout; co++)
    for (int t = t0; t < t1; t++)
      {
        const int ty = t / g->tw, tx = t % g->tw;
        const float *base = dYt + co * plane + ((size_t) (TM * ty) * Wt + TM * tx) * Nv + lg * LANES;
        float *mb = dMc + (size_t) co * cc + (t - t0) * LANES;
        v16 y[TM * TM], r[TA * TM], m[NQ];
        for (int i = 0; i < TM; i++)
          for (int j = 0; j < TM; j++)
            y[i * TM + j] = VLD (base + ((size_t) i * Wt + j) * Nv);
        for (int j = 0; j < TM; j++)
          aa (r + j, TM, y + j, TM); /* columns: r [TA][TM] */
        for (int i = 0; i < TA; i++)
          aa (m + i * TA, 1, r + i * TM, 1); /* rows: m [TA][TA] */
        for (int q = 0; q < NQ; q++)
          VST (mb + q * qstride) = m[q];
      }
}

/* dXt += B dV Bᵀ over all input channels (neighbouring patches overlap). */
DV_CLONES static void
input_transform_adjoint (float *restrict dXt, const float *restrict dVc, int t0, int t1, int lg,
                         int cc, const Geo *g)
{
  const size_t plane = (size_t) g->Hp * g->Wp * g->Nv, qstride = (size_t) g->Cin * cc;
  const int Nv = g->Nv, Wp = g->Wp;

  for (int c = 0; c < g->Cin; c++)
    for (int t = t0; t < t1; t++)
      {
        const int ty = t / g->tw, tx = t % g->tw;
        float *base = dXt + c * plane + ((size_t) (TM * ty) * Wp + TM * tx) * Nv + lg * LANES;
        const float *vb = dVc + (size_t) c * cc + (t - t0) * LANES;
        v16 e[NQ], d[NQ];
        for (int q = 0; q < NQ; q++)
          e[q] = VLD (vb + q * qstride);
        for (int j = 0; j < TA; j++)
          bb (d + j, TA, e + j, TA);
        for (int i = 0; i < TA; i++)
          bb (e + i * TA, 1, d + i * TA, 1);
        for (int i = 0; i < TA; i++)
          for (int j = 0; j < TA; j++)
            VST (base + ((size_t) i * Wp + j) * Nv) += e[i * TA + j];
      }
}

/* ------------------------------------------------------------------------ */
/* Jobs                                                                      */

typedef struct {
  float *Vc, *Mc, *dVc;  /* chunk buffers */
  float *dU;             /* this worker's share of the weight gradient */
  gboolean dU_used;
  float *tmp;            /* transposes */
} Worker;

typedef struct {
  const Geo *g;
  const float *inp, *b, *dout;
  float *out, *dinp;
  gboolean acc;
  const DvWinogradWeights *we;
  float *Xt, *Yt, *dXt;
  Worker *workers;
  int tpc, cc, n_chunks; /* tiles per chunk, columns per chunk, chunks per lane group */
  gboolean own;          /* the engine's GEMM (else dv_gemm, one call at a time) */
  gboolean want_dw;
  size_t n_xt;           /* floats of Xt, and of each worker's dXt */
  int n_dxt;             /* dXt copies: one per worker that may run chunks */
} Job;

static void
gemm_nn (const Job *j, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
         float beta, float *C, int ldc)
{
  if (j->own)
    dv_sgemm_nn (M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
  else
    dv_gemm (FALSE, FALSE, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

static void
chunk_range (const Job *j, int chunk, int *t0, int *t1)
{
  *t0 = chunk * j->tpc;
  *t1 = MIN (j->g->T, *t0 + j->tpc);
}

/* One chunk forward: V, the NQ products, the output transform. */
static void
task_forward (int task, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  Worker *w = &j->workers[worker];
  const int lg = task / j->n_chunks, cc = j->cc;
  int t0, t1;

  chunk_range (j, task % j->n_chunks, &t0, &t1);
  const int ncols = (t1 - t0) * LANES;
  input_transform (w->Vc, j->Xt, t0, t1, lg, cc, g);
  for (int q = 0; q < NQ; q++)
    gemm_nn (j, g->Cout, ncols, g->Cin, j->we->U + (size_t) q * g->Cout * g->Cin, g->Cin,
             w->Vc + (size_t) q * g->Cin * cc, cc, 0.0f, w->Mc + (size_t) q * g->Cout * cc, cc);
  output_transform (j->Yt, w->Mc, j->b, t0, t1, lg, cc, g);
}

/* One chunk backward.  Neighbouring chunks' input-gradient patches overlap,
 * so each part (task_backward_part) adds into its own dXt (summed in part
 * order when unpacking), and into its own share of dU; `worker` here is the
 * part. */
static void
task_backward (int task, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  Worker *w = &j->workers[worker];
  const int lg = task / j->n_chunks, cc = j->cc, Ci = g->Cin, Co = g->Cout;
  const size_t nu = (size_t) Co * Ci;
  int t0, t1;

  chunk_range (j, task % j->n_chunks, &t0, &t1);
  const int ncols = (t1 - t0) * LANES;
  float *dMc = w->Mc;

  output_transform_adjoint (dMc, j->Yt, t0, t1, lg, cc, g);
  if (j->want_dw)
    {
      input_transform (w->Vc, j->Xt, t0, t1, lg, cc, g);
      for (int q = 0; q < NQ; q++)
        dv_gemm (FALSE, TRUE, Co, Ci, ncols, 1.0f, dMc + (size_t) q * Co * cc, cc,
                 w->Vc + (size_t) q * Ci * cc, cc, w->dU_used ? 1.0f : 0.0f, w->dU + q * nu, Ci);
      w->dU_used = TRUE;
    }
  if (j->dinp)
    {
      for (int q = 0; q < NQ; q++)
        {
          const float *dM_q = dMc + (size_t) q * Co * cc;
          float *dV_q = w->dVc + (size_t) q * Ci * cc;
          if (j->own)
            dv_sgemm_nn (Ci, ncols, Co, 1.0f, j->we->Ut + q * nu, Co, dM_q, cc, 0.0f, dV_q, cc);
          else
            dv_gemm (TRUE, FALSE, Ci, ncols, Co, 1.0f, j->we->U + q * nu, Ci, dM_q, cc, 0.0f, dV_q, cc);
        }
      input_transform_adjoint (j->dXt + worker * j->n_xt, w->dVc, t0, t1, lg, cc, g);
    }
}

/* Backward in fixed parts: part p takes chunks p, p + parts, … in order, with workers[p]'s
 * buffers and shares, so the sums never depend on which thread ran which chunk. */
typedef struct {
  const Job *j;
  int n, parts;
} PartJob;

static void
task_backward_part (int part, int worker, gpointer data)
{
  const PartJob *pj = data;
  for (int t = part; t < pj->n; t += pj->parts)
    task_backward (t, part, (gpointer) pj->j);
}

static void
task_pack_input (int c, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  xt_pack (j->Xt + (size_t) c * g->Hp * g->Wp * g->Nv, j->inp + (size_t) c * g->N * g->H * g->W,
           j->workers[worker].tmp, g);
}

static void
task_unpack_output (int c, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  yt_unpack (j->out + (size_t) c * g->N * g->H * g->W, j->Yt + (size_t) c * g->Ht * g->Wt * g->Nv,
             g->Ht, g->Wt, 0, 0, j->acc, j->workers[worker].tmp, g);
}

static void
task_pack_dout (int c, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  yt_pack (j->Yt + (size_t) c * g->Ht * g->Wt * g->Nv, j->dout + (size_t) c * g->N * g->H * g->W,
           j->workers[worker].tmp, g);
}

/* task = worker · Cin + c */
static void
task_zero_dxt (int task, int worker, gpointer data)
{
  Job *j = data;
  const size_t plane = (size_t) j->g->Hp * j->g->Wp * j->g->Nv;
  memset (j->dXt + (size_t) task * plane, 0, plane * sizeof (float));
}

DV_CLONES static void
add_planes (float *restrict acc, const float *restrict x, size_t n)
{
  for (size_t i = 0; i < n; i += LANES)
    VST (acc + i) += VLD (x + i);
}

static void
task_unpack_dinp (int c, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  const size_t plane = (size_t) g->Hp * g->Wp * g->Nv;
  float *dXt = j->dXt + c * plane;

  for (int k = 1; k < j->n_dxt; k++)
    add_planes (dXt, dXt + k * j->n_xt, plane);
  yt_unpack (j->dinp + (size_t) c * g->N * g->H * g->W, dXt, g->Hp, g->Wp, 1, 1, TRUE,
             j->workers[worker].tmp, g);
}

typedef struct {
  const Job *j;
  float *dw;
  float *dU;        /* the summed weight gradient (a worker's buffer) */
  const float *add; /* another worker's share, being added */
} DwJob;

#define DU_BLOCKS 16

static void
task_sum_du (int t, int worker, gpointer data)
{
  DwJob *d = data;
  const size_t n = (size_t) NQ * d->j->g->Cout * d->j->g->Cin;
  const size_t per = (n / DU_BLOCKS + LANES - 1) / LANES * LANES;
  const size_t i0 = MIN (n, (size_t) t * per), i1 = MIN (n, i0 + per);
  for (size_t i = i0; i < i1; i++)
    d->dU[i] += d->add[i];
}

static void
task_dw (int co, int worker, gpointer data)
{
  DwJob *d = data;
  dv_winograd_weights_adjoint (d->dw, d->dU, co, d->j->g->Cin, d->j->g->Cout);
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */

#define CHUNK_COLUMNS 64 /* V and M of a chunk stay in L2 next to the kernel */

/* Carves n floats (rounded up to 64 bytes) off *p. */
static float *
carve (float **p, size_t n)
{
  float *r = *p;
  *p += (n + 15) & ~(size_t) 15;
  return r;
}

/* Lays out the job's buffers in scratch. */
static void
job_setup (Job *j, Worker *workers, const Geo *g, gboolean backward, DvScratch *scratch)
{
  const int threads = dv_parallel_threads ();
  j->g = g;
  j->workers = workers;
  j->own = dv_sgemm_available () && dv_gemm_get_backend () == DV_GEMM_BLAS;
  j->tpc = j->own ? MAX (1, CHUNK_COLUMNS / LANES) : g->T;
  j->tpc = MIN (j->tpc, g->T);
  j->cc = j->tpc * LANES;
  j->n_chunks = (g->T + j->tpc - 1) / j->tpc;

  const size_t n_xt = (size_t) g->Cin * g->Hp * g->Wp * g->Nv;
  const size_t n_yt = (size_t) g->Cout * g->Ht * g->Wt * g->Nv;
  const size_t n_vc = (size_t) NQ * g->Cin * j->cc, n_mc = (size_t) NQ * g->Cout * j->cc;
  const size_t n_du = (size_t) NQ * g->Cout * g->Cin;
  const size_t n_tmp = MAX ((size_t) g->H * g->W, (size_t) g->Hp * g->Wp) * g->Nv;
  j->n_xt = n_xt;
  j->n_dxt = backward ? (j->own ? threads : 1) : 0;
  size_t total = n_xt + n_yt + j->n_dxt * n_xt + threads * (n_vc + n_mc + n_tmp);
  if (backward)
    total += threads * (n_vc + n_du);
  float *p = dv_scratch_get (scratch, total + 16 * (4 + 6 * threads));

  j->Xt = carve (&p, n_xt);
  j->Yt = carve (&p, n_yt);
  j->dXt = backward ? carve (&p, j->n_dxt * n_xt) : NULL;
  for (int w = 0; w < threads; w++)
    {
      workers[w].Vc = carve (&p, n_vc);
      workers[w].Mc = carve (&p, n_mc);
      workers[w].tmp = carve (&p, n_tmp);
      workers[w].dVc = backward ? carve (&p, n_vc) : NULL;
      workers[w].dU = backward ? carve (&p, n_du) : NULL;
      workers[w].dU_used = FALSE;
    }
}

/* Runs func over n tasks: on the kernel threads with the engine's GEMM,
 * else in order (OpenBLAS threads by itself and must not be entered from
 * several threads). */
static void
job_run (const Job *j, int n, DvParallelFunc func)
{
  if (j->own)
    dv_parallel_for (n, func, (gpointer) j);
  else
    for (int t = 0; t < n; t++)
      func (t, 0, (gpointer) j);
}

void
dv_winograd_forward (float *out, const float *inp, const float *w, const float *b,
                     int N, int H, int W, const DvConvConfig *cfg, gboolean acc,
                     DvScratch *scratch)
{
  g_return_if_fail (dv_winograd_applies (cfg));

  const Geo g = geo_make (N, H, W, cfg);
  Worker *workers = g_newa (Worker, dv_parallel_threads ());
  Job j = { .inp = inp, .b = b, .out = out, .acc = acc };

  job_setup (&j, workers, &g, FALSE, scratch);
  DvWinogradWeights *we = dv_winograd_weights_get (w, g.Cin, g.Cout);
  j.we = we;
  dv_parallel_for (g.Cin, task_pack_input, &j);
  job_run (&j, (g.Nv / LANES) * j.n_chunks, task_forward);
  dv_parallel_for (g.Cout, task_unpack_output, &j);
  dv_winograd_weights_unref (we);
}

void
dv_winograd_backward (float *dinp, float *dw, const float *dout, const float *inp,
                      const float *w, int N, int H, int W, const DvConvConfig *cfg,
                      DvScratch *scratch)
{
  g_return_if_fail (dv_winograd_applies (cfg));
  if (!dinp && !dw)
    return;

  const Geo g = geo_make (N, H, W, cfg);
  const int threads = dv_parallel_threads ();
  Worker *workers = g_newa (Worker, threads);
  Job j = { .inp = inp, .dout = dout, .dinp = dinp, .want_dw = dw != NULL };

  job_setup (&j, workers, &g, TRUE, scratch);
  DvWinogradWeights *we = dv_winograd_weights_get (w, g.Cin, g.Cout);
  j.we = we;
  dv_parallel_for (g.Cout, task_pack_dout, &j);
  if (dw)
    dv_parallel_for (g.Cin, task_pack_input, &j);
  if (dinp)
    dv_parallel_for (j.n_dxt * g.Cin, task_zero_dxt, &j);
  PartJob pj = { &j, (g.Nv / LANES) * j.n_chunks, j.own ? threads : 1 };
  if (j.own)
    dv_parallel_for (pj.parts, task_backward_part, &pj);
  else
    task_backward_part (0, 0, &pj); /* OpenBLAS threads by itself: one part, in order */
  if (dinp)
    dv_parallel_for (g.Cin, task_unpack_dinp, &j);
  if (dw)
    {
      /* sum the workers' shares, then dw += Gᵀ dU G */
      DwJob d = { &j, dw, NULL, NULL };
      for (int k = 0; k < threads; k++)
        if (workers[k].dU_used)
          {
            if (d.dU == NULL)
              d.dU = workers[k].dU;
            else
              {
                d.add = workers[k].dU;
                dv_parallel_for (DU_BLOCKS, task_sum_du, &d);
              }
          }
      if (d.dU)
        dv_parallel_for (g.Cout, task_dw, &d);
    }
  dv_winograd_weights_unref (we);
}
