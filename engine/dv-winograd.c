/* dv-winograd.c — 3×3 stride-1 convolutions by Winograd's F(4×4, 3×3).
 *
 * What this is for: the dense 3×3, stride 1, zero-pad 1 convolutions that
 * carry almost all of a recurrent CNN's arithmetic, forward and both
 * gradients, with a quarter of im2col's multiplications.  Each 4×4 block of
 * output ("tile") is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the 6×6 input patch d, so
 * the channel sums become 36 independent products, one per transform point
 * q:  M_q[Cout,P] = U_q[Cout,Cin] · V_q[Cin,P]  (P = tiles × batch).
 * Backward uses the adjoints of the same three steps:
 *   dM = A·dY·Aᵀ,  dV_q = U_qᵀ·dM_q  →  dX += B·dV·Bᵀ (overlapping patches),
 *   dU_q = dM_q·V_qᵀ  →  dW += Gᵀ·dU·G,
 * i.e. the exact gradient of what the forward computed.
 *
 * Layout: the 16 vector lanes are 16 samples of the batch.  The CNHW input
 * is first transposed to Xt[Cin][H+2…][W+2…][Nv] (zero border, batch
 * innermost, padded to Nv, a multiple of 16), so every patch row is a plain
 * vector load; tile t of sample n is column p = t·Nv + n of V and M.  Outputs
 * come back through Yt[Cout][4·th][4·tw][Nv] and a transpose.
 * Transforms are written once with GCC vector types and cloned for AVX-512
 * and plain x86-64; the products go to the engine's AVX-512 GEMM
 * (dv-sgemm.c) or, on other CPUs, dv_gemm.  Work is split over the kernel
 * threads by channel (transforms) and by transform point (products).
 *
 * Error: F(4×4,3×3) rounds a little more than a direct sum (relative to the
 * largest output, ~1e-6 at 64–256 channels); tests/test-winograd.c checks it
 * against the direct definition.
 * What it is not for: other kernel sizes, strides, groups, reflect padding
 * (dv-conv.c's im2col handles those), or choosing when to use it
 * (dv_winograd_applies and dv-conv.c do).
 */
#include "dv-kernels.h"

#include <string.h>

/* Output tile TM×TM, input patch TA×TA, NQ = TA² transform points. */
#ifndef DV_WINOGRAD_M
#define DV_WINOGRAD_M 2
#endif
#define TM DV_WINOGRAD_M
#define TA (TM + 2)
#define NQ (TA * TA)
#define LANES 16

typedef float v16 __attribute__ ((vector_size (64)));
typedef float v16u __attribute__ ((vector_size (64), aligned (4), may_alias));
#define VLD(p) (*(const v16 *) (p))
#define VST(p) (*(v16 *) (p))
#define VLDU(p) (*(const v16u *) (p))
#define VSTU(p) (*(v16u *) (p))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DV_CLONES __attribute__ ((target_clones ("avx512f", "default")))
#else
#define DV_CLONES
#endif
#define DV_INLINE static inline __attribute__ ((always_inline))

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
/* The 1-D transforms and their adjoints, on TA (or TM, or 3) vectors x[0],  */
/* x[s], x[2s], …                                                            */

#if TM == 2
/* F(2,3), points 0, ±1, ∞ */

/* Bᵀ: 4 → 4 */
DV_INLINE void
bt (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 d0 = x[0], d1 = x[sx], d2 = x[2 * sx], d3 = x[3 * sx];
  y[0] = d0 - d2;
  y[sy] = d1 + d2;
  y[2 * sy] = d2 - d1;
  y[3 * sy] = d1 - d3;
}

/* B (the adjoint of Bᵀ): 4 → 4 */
DV_INLINE void
bb (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 e0 = x[0], e1 = x[sx], e2 = x[2 * sx], e3 = x[3 * sx];
  y[0] = e0;
  y[sy] = e1 - e2 + e3;
  y[2 * sy] = e1 + e2 - e0;
  y[3 * sy] = -e3;
}

/* Aᵀ: 4 → 2 */
DV_INLINE void
at (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 m0 = x[0], m1 = x[sx], m2 = x[2 * sx], m3 = x[3 * sx];
  y[0] = m0 + m1 + m2;
  y[sy] = m1 - m2 - m3;
}

/* A (the adjoint of Aᵀ): 2 → 4 */
DV_INLINE void
aa (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 g0 = x[0], g1 = x[sx];
  y[0] = g0;
  y[sy] = g0 + g1;
  y[2 * sy] = g0 - g1;
  y[3 * sy] = -g1;
}

/* G: 3 → 4 */
DV_INLINE void
gg (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 g0 = x[0], g1 = x[sx], g2 = x[2 * sx];
  y[0] = g0;
  y[sy] = (g0 + g1 + g2) * 0.5f;
  y[2 * sy] = (g0 - g1 + g2) * 0.5f;
  y[3 * sy] = g2;
}

/* Gᵀ (the adjoint of G): 4 → 3 */
DV_INLINE void
gt (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 u0 = x[0], u1 = x[sx], u2 = x[2 * sx], u3 = x[3 * sx];
  y[0] = u0 + (u1 + u2) * 0.5f;
  y[sy] = (u1 - u2) * 0.5f;
  y[2 * sy] = (u1 + u2) * 0.5f + u3;
}

#elif TM == 4
/* F(4,3), Lavin & Gray's points 0, ±1, ±2, ∞ */


/* Bᵀ: 6 → 6 */
DV_INLINE void
bt (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 d0 = x[0], d1 = x[sx], d2 = x[2 * sx], d3 = x[3 * sx], d4 = x[4 * sx], d5 = x[5 * sx];
  const v16 a = d4 - 4.0f * d2, b = d3 - 4.0f * d1; /* o1 = a + b, o2 = a − b */
  const v16 c = d4 - d2, e = 2.0f * (d3 - d1);       /* o3 = c + e, o4 = c − e */
  y[0] = 4.0f * d0 - 5.0f * d2 + d4;
  y[sy] = a + b;
  y[2 * sy] = a - b;
  y[3 * sy] = c + e;
  y[4 * sy] = c - e;
  y[5 * sy] = 4.0f * d1 - 5.0f * d3 + d5;
}

/* B (the adjoint of Bᵀ): 6 → 6 */
DV_INLINE void
bb (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 e0 = x[0], e1 = x[sx], e2 = x[2 * sx], e3 = x[3 * sx], e4 = x[4 * sx], e5 = x[5 * sx];
  y[0] = 4.0f * e0;
  y[sy] = 4.0f * (e2 - e1) + 2.0f * (e4 - e3) + 4.0f * e5;
  y[2 * sy] = -5.0f * e0 - 4.0f * (e1 + e2) - (e3 + e4);
  y[3 * sy] = (e1 - e2) + 2.0f * (e3 - e4) - 5.0f * e5;
  y[4 * sy] = e0 + e1 + e2 + e3 + e4;
  y[5 * sy] = e5;
}

/* Aᵀ: 6 → 4 */
DV_INLINE void
at (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 m0 = x[0], m1 = x[sx], m2 = x[2 * sx], m3 = x[3 * sx], m4 = x[4 * sx], m5 = x[5 * sx];
  const v16 s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  y[0] = m0 + s12 + s34;
  y[sy] = d12 + 2.0f * d34;
  y[2 * sy] = s12 + 4.0f * s34;
  y[3 * sy] = d12 + 8.0f * d34 + m5;
}

/* A (the adjoint of Aᵀ): 4 → 6 */
DV_INLINE void
aa (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 g0 = x[0], g1 = x[sx], g2 = x[2 * sx], g3 = x[3 * sx];
  const v16 s02 = g0 + g2, s13 = g1 + g3;
  const v16 f02 = g0 + 4.0f * g2, f13 = 2.0f * g1 + 8.0f * g3;
  y[0] = g0;
  y[sy] = s02 + s13;
  y[2 * sy] = s02 - s13;
  y[3 * sy] = f02 + f13;
  y[4 * sy] = f02 - f13;
  y[5 * sy] = g3;
}

/* G: 3 → 6 */
DV_INLINE void
gg (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 g0 = x[0], g1 = x[sx], g2 = x[2 * sx];
  const v16 s = g0 + g2;
  y[0] = g0 * 0.25f;
  y[sy] = (s + g1) * (-1.0f / 6.0f);
  y[2 * sy] = (s - g1) * (-1.0f / 6.0f);
  y[3 * sy] = g0 * (1.0f / 24.0f) + g1 * (1.0f / 12.0f) + g2 * (1.0f / 6.0f);
  y[4 * sy] = g0 * (1.0f / 24.0f) - g1 * (1.0f / 12.0f) + g2 * (1.0f / 6.0f);
  y[5 * sy] = g2;
}

/* Gᵀ (the adjoint of G): 6 → 3 */
DV_INLINE void
gt (v16 *y, int sy, const v16 *x, int sx)
{
  const v16 u0 = x[0], u1 = x[sx], u2 = x[2 * sx], u3 = x[3 * sx], u4 = x[4 * sx], u5 = x[5 * sx];
  y[0] = u0 * 0.25f - (u1 + u2) * (1.0f / 6.0f) + (u3 + u4) * (1.0f / 24.0f);
  y[sy] = (u2 - u1) * (1.0f / 6.0f) + (u3 - u4) * (1.0f / 12.0f);
  y[2 * sy] = (u3 + u4 - u1 - u2) * (1.0f / 6.0f) + u5;
}

#else
#error "DV_WINOGRAD_M must be 2 or 4"
#endif

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
/* Weight transforms (per output channel), vectorised over 16 input channels */

#ifdef __x86_64__
#include <immintrin.h>
/* lanes[tap][l] = wb[l·9 + tap] for 16 lanes: nine gathers. */
__attribute__ ((target ("avx512f"))) static void
gather_taps_avx512 (float *restrict lanes, const float *restrict wb)
{
  const __m512i idx = _mm512_mullo_epi32 (_mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
                                                             3, 2, 1, 0),
                                          _mm512_set1_epi32 (9));
  for (int tap = 0; tap < 9; tap++)
    _mm512_store_ps (lanes + tap * LANES, _mm512_i32gather_ps (idx, wb + tap, 4));
}

/* wb[l·9 + tap] += lanes[tap][l] for all 16 lanes: the 144 floats of wb as
 * nine vectors, each gathered from lanes. */
__attribute__ ((target ("avx512f"))) static void
scatter_add_taps_avx512 (float *restrict wb, const float *restrict lanes)
{
  for (int v = 0; v < 9; v++)
    {
      /* element e of vector v is g = 16v + e: lane g / 9, tap g % 9 */
      const __m512i g = _mm512_add_epi32 (_mm512_set1_epi32 (16 * v),
                                          _mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5,
                                                            4, 3, 2, 1, 0));
      /* g / 9 = (g · 57) >> 9 for 0 ≤ g < 144 */
      const __m512i l = _mm512_srli_epi32 (_mm512_mullo_epi32 (g, _mm512_set1_epi32 (57)), 9);
      const __m512i tap = _mm512_sub_epi32 (g, _mm512_mullo_epi32 (l, _mm512_set1_epi32 (9)));
      const __m512i idx = _mm512_add_epi32 (_mm512_slli_epi32 (tap, 4), l);
      const __m512 add = _mm512_i32gather_ps (idx, lanes, 4);
      _mm512_storeu_ps (wb + 16 * v, _mm512_add_ps (_mm512_loadu_ps (wb + 16 * v), add));
    }
}
#endif

/* lanes[tap][l] = wb[l·9 + tap] for l < nl, 0 beyond. */
static void
gather_taps (float *restrict lanes, const float *restrict wb, int nl)
{
#ifdef __x86_64__
  if (nl == LANES && dv_sgemm_available ())
    {
      gather_taps_avx512 (lanes, wb);
      return;
    }
#endif
  for (int tap = 0; tap < 9; tap++)
    for (int l = 0; l < LANES; l++)
      lanes[tap * LANES + l] = l < nl ? wb[l * 9 + tap] : 0.0f;
}

/* U[q][co][·] = G g Gᵀ for the kernels w[co][·] of output channel co. */
DV_CLONES static void
weight_transform (float *restrict U, const float *restrict w, int co, int Cin, int Cout)
{
  const size_t qstride = (size_t) Cout * Cin;

  for (int ci0 = 0; ci0 < Cin; ci0 += LANES)
    {
      const int nl = MIN (LANES, Cin - ci0);
      float lanes[9 * LANES] __attribute__ ((aligned (64)));
      v16 k[9], r[TA * 3], u[NQ];

      gather_taps (lanes, w + ((size_t) co * Cin + ci0) * 9, nl);
      for (int tap = 0; tap < 9; tap++)
        k[tap] = VLD (lanes + tap * LANES);
      for (int j = 0; j < 3; j++)
        gg (r + j, 3, k + j, 3); /* columns: r [TA][3] */
      for (int i = 0; i < TA; i++)
        gg (u + i * TA, 1, r + i * 3, 1);
      float *ub = U + (size_t) co * Cin + ci0;
      if (nl == LANES)
        for (int q = 0; q < NQ; q++)
          VSTU (ub + q * qstride) = u[q];
      else
        for (int q = 0; q < NQ; q++)
          for (int l = 0; l < nl; l++)
            ub[q * qstride + l] = u[q][l];
    }
}

/* dw[co][·] += Gᵀ dU G for the kernels of output channel co. */
DV_CLONES static void
weight_transform_adjoint (float *restrict dw, const float *restrict dU, int co, int Cin, int Cout)
{
  const size_t qstride = (size_t) Cout * Cin;

  for (int ci0 = 0; ci0 < Cin; ci0 += LANES)
    {
      const int nl = MIN (LANES, Cin - ci0);
      const float *ub = dU + (size_t) co * Cin + ci0;
      float lanes[9 * LANES] __attribute__ ((aligned (64)));
      v16 u[NQ], r[3 * TA], k[9];

      if (nl == LANES)
        for (int q = 0; q < NQ; q++)
          u[q] = VLDU (ub + q * qstride);
      else
        for (int q = 0; q < NQ; q++)
          {
            float t[LANES] = { 0 };
            for (int l = 0; l < nl; l++)
              t[l] = ub[q * qstride + l];
            u[q] = VLDU (t);
          }
      for (int j = 0; j < TA; j++)
        gt (r + j, TA, u + j, TA); /* columns: r [3][TA] */
      for (int i = 0; i < 3; i++)
        gt (k + i * 3, 1, r + i * TA, 1);
      for (int tap = 0; tap < 9; tap++)
        VST (lanes + tap * LANES) = k[tap];
      float *wb = dw + ((size_t) co * Cin + ci0) * 9;
#ifdef __x86_64__
      if (nl == LANES && dv_sgemm_available ())
        {
          scatter_add_taps_avx512 (wb, lanes);
          continue;
        }
#endif
      for (int l = 0; l < nl; l++)
        for (int tap = 0; tap < 9; tap++)
          wb[l * 9 + tap] += lanes[tap * LANES + l];
    }
}

/* ------------------------------------------------------------------------ */
/* Transformed weights, cached                                               */
/*                                                                           */
/* A recurrent run applies the same kernels at every timestep, forward and   */
/* backward, so U (and its transpose, for the input gradient) are kept per   */
/* weight tensor.  An entry is found by the tensor's address and used only   */
/* if the tensor still holds exactly the values it was made from (a copy is  */
/* compared), so changed weights (an optimiser step) or a new tensor at an   */
/* old address are always recomputed.  Entries are immutable and counted;   */
/* the least recently used go when the cache passes its budget.             */

#define WCACHE_BUDGET ((size_t) 48 << 20) /* floats (192 MB) */

typedef struct {
  gint ref;
  const float *w_addr;
  int cin, cout;
  size_t n_floats;
  guint64 last_use;
  float *w_copy; /* [cout][cin][9] */
  float *U;      /* [NQ][cout][cin] */
  float *Ut;     /* [NQ][cin][cout] */
} WEntry;

static GMutex wcache_lock;
static GPtrArray *wcache;
static size_t wcache_floats;
static guint64 wcache_clock;

static void
wentry_unref (WEntry *e)
{
  if (e && g_atomic_int_dec_and_test (&e->ref))
    {
      g_free (e->w_copy);
      g_free (e->U);
      g_free (e->Ut);
      g_free (e);
    }
}

typedef struct {
  const float *w;
  WEntry *e;
} WJob;

static void
task_weights (int co, int worker, gpointer data)
{
  WJob *j = data;
  weight_transform (j->e->U, j->w, co, j->e->cin, j->e->cout);
}

static void
task_transpose_u (int q, int worker, gpointer data)
{
  WEntry *e = data;
  const size_t n = (size_t) e->cout * e->cin;
  dv_transpose (e->Ut + q * n, (size_t) e->cout, e->U + q * n, (size_t) e->cin, e->cout, e->cin);
}

/* A new entry for w, or (recycle != NULL, same shape, nobody else holding
 * it) that entry remade in place: after an optimiser step every entry goes
 * stale at once, and fresh blocks would be fresh pages, page faults. */
static WEntry *
wentry_make (const float *w, int cin, int cout, WEntry *recycle)
{
  const size_t nw = (size_t) cout * cin * 9, nu = (size_t) NQ * cout * cin;
  WEntry *e = recycle;

  if (e == NULL)
    {
      e = g_new0 (WEntry, 1);
      e->ref = 1;
      e->w_addr = w;
      e->cin = cin, e->cout = cout;
      e->n_floats = nw + 2 * nu;
      e->w_copy = g_new (float, nw);
      e->U = g_new (float, nu);
      e->Ut = g_new (float, nu);
    }
  WJob j = { w, e };
  memcpy (e->w_copy, w, nw * sizeof (float));
  dv_parallel_for (cout, task_weights, &j);
  dv_parallel_for (NQ, task_transpose_u, e);
  return e;
}

typedef struct {
  const float *a, *b;
  size_t n;
  gint differ; /* atomic */
} CmpJob;

#define CMP_BLOCK ((size_t) 64 << 10)

static void
cmp_task (int t, int worker, gpointer data)
{
  CmpJob *j = data;
  const size_t i0 = (size_t) t * CMP_BLOCK;
  if (!g_atomic_int_get (&j->differ)
      && memcmp (j->a + i0, j->b + i0, MIN (CMP_BLOCK, j->n - i0) * sizeof (float)) != 0)
    g_atomic_int_set (&j->differ, 1);
}

/* a[0…n) and b[0…n) hold the same bits (split over the kernel threads). */
static gboolean
same_floats (const float *a, const float *b, size_t n)
{
  CmpJob j = { a, b, n, 0 };
  dv_parallel_for ((int) ((n + CMP_BLOCK - 1) / CMP_BLOCK), cmp_task, &j);
  return !j.differ;
}

/* The transformed weights of w [cout][cin][3][3]; release with wentry_unref. */
static WEntry *
wcache_get (const float *w, int cin, int cout)
{
  const size_t nw = (size_t) cout * cin * 9;
  WEntry *e = NULL;

  g_mutex_lock (&wcache_lock);
  if (wcache == NULL)
    wcache = g_ptr_array_new ();
  guint i;
  for (i = 0; i < wcache->len; i++)
    {
      WEntry *c = g_ptr_array_index (wcache, i);
      if (c->w_addr == w && c->cin == cin && c->cout == cout)
        {
          e = c;
          break;
        }
    }
  if (e && same_floats (e->w_copy, w, nw))
    {
      g_atomic_int_inc (&e->ref);
      e->last_use = ++wcache_clock;
      g_mutex_unlock (&wcache_lock);
      return e;
    }
  WEntry *recycle = NULL;
  if (e) /* stale */
    {
      g_ptr_array_remove_index_fast (wcache, i);
      wcache_floats -= e->n_floats;
      if (g_atomic_int_get (&e->ref) == 1)
        recycle = e; /* ours alone now */
      else
        wentry_unref (e);
    }
  g_mutex_unlock (&wcache_lock);

  e = wentry_make (w, cin, cout, recycle);

  g_mutex_lock (&wcache_lock);
  if (e->n_floats <= WCACHE_BUDGET)
    {
      while (wcache->len > 0 && wcache_floats + e->n_floats > WCACHE_BUDGET)
        {
          guint lru = 0;
          for (guint k = 1; k < wcache->len; k++)
            if (((WEntry *) g_ptr_array_index (wcache, k))->last_use
                < ((WEntry *) g_ptr_array_index (wcache, lru))->last_use)
              lru = k;
          WEntry *old = g_ptr_array_index (wcache, lru);
          g_ptr_array_remove_index_fast (wcache, lru);
          wcache_floats -= old->n_floats;
          wentry_unref (old);
        }
      g_atomic_int_inc (&e->ref);
      e->last_use = ++wcache_clock;
      g_ptr_array_add (wcache, e);
      wcache_floats += e->n_floats;
    }
  g_mutex_unlock (&wcache_lock);
  return e;
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
  const WEntry *we;
  float *Xt, *Yt, *dXt;
  Worker *workers;
  int tpc, cc, n_chunks; /* tiles per chunk, columns per chunk, chunks per lane group */
  gboolean own;          /* the engine's GEMM (else dv_gemm, one call at a time) */
  gboolean want_dw;
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

/* All chunks of one lane group backward (the input-gradient patches of
 * neighbouring chunks overlap, so they run in order). */
static void
task_backward (int lg, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  Worker *w = &j->workers[worker];
  const int cc = j->cc, Ci = g->Cin, Co = g->Cout;
  const size_t nu = (size_t) Co * Ci;

  for (int chunk = 0; chunk < j->n_chunks; chunk++)
    {
      int t0, t1;
      chunk_range (j, chunk, &t0, &t1);
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
                dv_gemm (TRUE, FALSE, Ci, ncols, Co, 1.0f, j->we->U + q * nu, Ci, dM_q, cc, 0.0f,
                         dV_q, cc);
            }
          input_transform_adjoint (j->dXt, w->dVc, t0, t1, lg, cc, g);
        }
    }
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

static void
task_zero_dxt (int c, int worker, gpointer data)
{
  Job *j = data;
  const size_t plane = (size_t) j->g->Hp * j->g->Wp * j->g->Nv;
  memset (j->dXt + c * plane, 0, plane * sizeof (float));
}

static void
task_unpack_dinp (int c, int worker, gpointer data)
{
  Job *j = data;
  const Geo *g = j->g;
  yt_unpack (j->dinp + (size_t) c * g->N * g->H * g->W, j->dXt + (size_t) c * g->Hp * g->Wp * g->Nv,
             g->Hp, g->Wp, 1, 1, TRUE, j->workers[worker].tmp, g);
}

typedef struct {
  const Job *j;
  float *dw;
  const float *dU;
} DwJob;

static void
task_dw (int co, int worker, gpointer data)
{
  DwJob *d = data;
  weight_transform_adjoint (d->dw, d->dU, co, d->j->g->Cin, d->j->g->Cout);
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
  size_t total = n_xt + n_yt + threads * (n_vc + n_mc + n_tmp);
  if (backward)
    total += n_xt + threads * (n_vc + n_du);
  float *p = dv_scratch_get (scratch, total + 16 * (4 + 6 * threads));

  j->Xt = carve (&p, n_xt);
  j->Yt = carve (&p, n_yt);
  j->dXt = backward ? carve (&p, n_xt) : NULL;
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
  WEntry *we = wcache_get (w, g.Cin, g.Cout);
  j.we = we;
  dv_parallel_for (g.Cin, task_pack_input, &j);
  job_run (&j, (g.Nv / LANES) * j.n_chunks, task_forward);
  dv_parallel_for (g.Cout, task_unpack_output, &j);
  wentry_unref (we);
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
  WEntry *we = wcache_get (w, g.Cin, g.Cout);
  j.we = we;
  dv_parallel_for (g.Cout, task_pack_dout, &j);
  if (dw)
    dv_parallel_for (g.Cin, task_pack_input, &j);
  if (dinp)
    dv_parallel_for (g.Cin, task_zero_dxt, &j);
  job_run (&j, g.Nv / LANES, task_backward);
  if (dinp)
    dv_parallel_for (g.Cin, task_unpack_dinp, &j);
  if (dw)
    {
      /* sum the workers' shares, then dw += Gᵀ dU G */
      const size_t n_du = (size_t) NQ * g.Cout * g.Cin;
      float *dU = NULL;
      for (int k = 0; k < threads; k++)
        {
          if (!workers[k].dU_used)
            continue;
          if (dU == NULL)
            dU = workers[k].dU;
          else
            for (size_t i = 0; i < n_du; i++)
              dU[i] += workers[k].dU[i];
        }
      DwJob d = { &j, dw, dU };
      if (dU)
        dv_parallel_for (g.Cout, task_dw, &d);
    }
  wentry_unref (we);
}
