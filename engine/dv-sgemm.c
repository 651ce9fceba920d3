/* dv-sgemm.c — the engine's own single-precision matrix product (AVX-512)
 * and a fast 2-D transpose.
 *
 * What this is for: C[M,N] = alpha·op(A)·op(B) + beta·C (row-major) at close
 * to the machine's peak on the shapes the engine makes — convolution GEMMs
 * with a few dozen to a few hundred rows, and the 36 per-point products of
 * the Winograd convolution.  OpenBLAS 0.3.21 drives AVX-512 CPUs it does
 * not know (AMD Zen 5) with its AVX2 kernels, a third of this speed.
 * One micro-kernel, 8 rows × 32 columns (16 zmm accumulators): per k it
 * loads two vectors of a row of B (the columns are the vector lanes) and
 * broadcasts one element of each of 8 rows of A, read in place.  So nothing
 * is packed when neither operand is transposed; a transposed operand is
 * first transposed into per-thread scratch (16×16 blocks in registers).
 * The depth is cut into blocks of KC so a 32-column panel of B stays in L1.
 * What it is not for: CPUs without AVX-512 (dv_sgemm_available () says so;
 * dv_gemm uses OpenBLAS there), or deciding which product to form.
 * Compiled for plain x86-64; only the kernels carry target("avx512f").
 */
#include "dv-kernels.h"

#include <string.h>

#define MR DV_SGEMM_MR
#define NR DV_SGEMM_NR
#define KC 256
#define B_RESIDENT_BYTES (40 << 10)

#if defined(__x86_64__) && defined(__GNUC__)
#define DV_HAVE_X86 1
#include <immintrin.h>
#endif

gboolean
dv_sgemm_available (void)
{
#ifdef DV_HAVE_X86
  static int avail = -1; /* benign race: every thread computes the same */
  if (avail < 0)
    {
      const char *generic = g_getenv ("DV_KERNELS_GENERIC");
      __builtin_cpu_init ();
      avail = __builtin_cpu_supports ("avx512f") && (generic == NULL || g_strcmp0 (generic, "0") == 0);
    }
  return avail == 1;
#else
  return FALSE;
#endif
}

/* ------------------------------------------------------------------------ */
/* Per-thread scratch: kept between calls (a fresh block per call would be   */
/* fresh pages, and page faults, every time).                                */

static void
thread_scratch_free (gpointer p)
{
  dv_scratch_clear (p);
  g_free (p);
}

static GPrivate sgemm_scratch = G_PRIVATE_INIT (thread_scratch_free);

static float *
thread_scratch (size_t n_floats)
{
  DvScratch *s = g_private_get (&sgemm_scratch);
  if (s == NULL)
    {
      s = g_new0 (DvScratch, 1);
      g_private_set (&sgemm_scratch, s);
    }
  return dv_scratch_get (s, n_floats);
}

/* ------------------------------------------------------------------------ */
/* Transpose                                                                 */

static void
transpose_scalar (float *restrict dst, size_t ldd, const float *restrict src, size_t lds,
                  int rows, int cols)
{
  for (int i0 = 0; i0 < rows; i0 += 16)
    for (int j0 = 0; j0 < cols; j0 += 16)
      for (int i = i0; i < MIN (i0 + 16, rows); i++)
        for (int j = j0; j < MIN (j0 + 16, cols); j++)
          dst[(size_t) j * ldd + i] = src[(size_t) i * lds + j];
}

#ifdef DV_HAVE_X86

/* dst[16][ldd] = src[16][lds]ᵀ for one full 16×16 block. */
__attribute__ ((target ("avx512f"))) static inline void
transpose16 (float *restrict dst, size_t ldd, const float *restrict src, size_t lds)
{
  __m512 r[16], t[16];

  for (int i = 0; i < 16; i++)
    r[i] = _mm512_loadu_ps (src + (size_t) i * lds);
  /* interleave pairs of rows, then pairs of pairs, within 128-bit lanes */
  for (int i = 0; i < 16; i += 2)
    {
      t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
    }
  for (int i = 0; i < 16; i += 4)
    {
      r[i] = _mm512_shuffle_ps (t[i], t[i + 2], 0x44);
      r[i + 1] = _mm512_shuffle_ps (t[i], t[i + 2], 0xEE);
      r[i + 2] = _mm512_shuffle_ps (t[i + 1], t[i + 3], 0x44);
      r[i + 3] = _mm512_shuffle_ps (t[i + 1], t[i + 3], 0xEE);
    }
  /* r[4g + q] now holds, in 128-bit lane L, column 4L + q of rows 4g … 4g+3:
   * gather the lanes across groups */
  for (int q = 0; q < 4; q++)
    {
      t[q] = _mm512_shuffle_f32x4 (r[q], r[4 + q], 0x88);      /* lanes 0,2 of g0 | 0,2 of g1 */
      t[4 + q] = _mm512_shuffle_f32x4 (r[q], r[4 + q], 0xDD);  /* lanes 1,3 */
      t[8 + q] = _mm512_shuffle_f32x4 (r[8 + q], r[12 + q], 0x88);
      t[12 + q] = _mm512_shuffle_f32x4 (r[8 + q], r[12 + q], 0xDD);
    }
  for (int q = 0; q < 4; q++)
    {
      /* column 4L+q for L = 0 (from t[q] lanes 0,2 → g0 L0, g1 L0) … */
      r[q] = _mm512_shuffle_f32x4 (t[q], t[8 + q], 0x88);           /* L = 0 */
      r[8 + q] = _mm512_shuffle_f32x4 (t[q], t[8 + q], 0xDD);       /* L = 2 */
      r[4 + q] = _mm512_shuffle_f32x4 (t[4 + q], t[12 + q], 0x88);  /* L = 1 */
      r[12 + q] = _mm512_shuffle_f32x4 (t[4 + q], t[12 + q], 0xDD); /* L = 3 */
    }
  for (int j = 0; j < 16; j++)
    _mm512_storeu_ps (dst + (size_t) j * ldd, r[j]);
}

__attribute__ ((target ("avx512f"))) static void
transpose_avx512 (float *restrict dst, size_t ldd, const float *restrict src, size_t lds,
                  int rows, int cols)
{
  const int rows16 = rows & ~15, cols16 = cols & ~15;

  for (int i0 = 0; i0 < rows16; i0 += 16)
    for (int j0 = 0; j0 < cols16; j0 += 16)
      transpose16 (dst + (size_t) j0 * ldd + i0, ldd, src + (size_t) i0 * lds + j0, lds);
  if (cols16 < cols)
    transpose_scalar (dst + (size_t) cols16 * ldd, ldd, src + cols16, lds, rows, cols - cols16);
  if (rows16 < rows)
    transpose_scalar (dst + rows16, ldd, src + (size_t) rows16 * lds, lds, rows - rows16, cols16);
}

#endif

void
dv_transpose (float *dst, size_t ldd, const float *src, size_t lds, int rows, int cols)
{
#ifdef DV_HAVE_X86
  if (dv_sgemm_available ())
    {
      transpose_avx512 (dst, ldd, src, lds, rows, cols);
      return;
    }
#endif
  transpose_scalar (dst, ldd, src, lds, rows, cols);
}

/* ------------------------------------------------------------------------ */
/* Micro-kernel                                                              */

#ifdef DV_HAVE_X86

/* C[mr, nr] = alpha · A[mr][K] (rows lda apart) · B[K][nr] (rows ldb apart)
 * (+ beta · C).  nr ≤ NR, 1 ≤ mr ≤ MR. */
__attribute__ ((target ("avx512f"))) static void
kernel_8x32 (int K, const float *restrict A, size_t lda, const float *restrict B, size_t ldb,
             float *restrict C, size_t ldc, int mr, int nr, float alpha, float beta)
{
  __m512 c[MR][2];
  const float *a[MR];
  const __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16) ((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xffff : nr > 16 ? (__mmask16) ((1u << (nr - 16)) - 1) : 0;

#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
    {
      c[r][0] = c[r][1] = _mm512_setzero_ps ();
      a[r] = A + (size_t) (r < mr ? r : 0) * lda; /* rows past mr: computed, never stored */
    }

  if (nr == NR)
    for (int k = 0; k < K; k++)
      {
        const __m512 b0 = _mm512_loadu_ps (B + (size_t) k * ldb);
        const __m512 b1 = _mm512_loadu_ps (B + (size_t) k * ldb + 16);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
          {
            const __m512 av = _mm512_set1_ps (a[r][k]);
            c[r][0] = _mm512_fmadd_ps (av, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps (av, b1, c[r][1]);
          }
      }
  else
    for (int k = 0; k < K; k++)
      {
        const __m512 b0 = _mm512_maskz_loadu_ps (m0, B + (size_t) k * ldb);
        const __m512 b1 = _mm512_maskz_loadu_ps (m1, B + (size_t) k * ldb + 16);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
          {
            const __m512 av = _mm512_set1_ps (a[r][k]);
            c[r][0] = _mm512_fmadd_ps (av, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps (av, b1, c[r][1]);
          }
      }

  const __m512 va = _mm512_set1_ps (alpha), vb = _mm512_set1_ps (beta);
  for (int r = 0; r < mr; r++)
    {
      float *cr = C + (size_t) r * ldc;
      __m512 x0 = c[r][0], x1 = c[r][1];
      if (alpha != 1.0f)
        x0 = _mm512_mul_ps (va, x0), x1 = _mm512_mul_ps (va, x1);
      if (beta == 1.0f)
        {
          x0 = _mm512_add_ps (_mm512_maskz_loadu_ps (m0, cr), x0);
          x1 = _mm512_add_ps (_mm512_maskz_loadu_ps (m1, cr + 16), x1);
        }
      else if (beta != 0.0f)
        {
          x0 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (m0, cr), x0);
          x1 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (m1, cr + 16), x1);
        }
      _mm512_mask_storeu_ps (cr, m0, x0);
      _mm512_mask_storeu_ps (cr + 16, m1, x1);
    }
}

#else

static void
kernel_8x32 (int K, const float *restrict A, size_t lda, const float *restrict B, size_t ldb,
             float *restrict C, size_t ldc, int mr, int nr, float alpha, float beta)
{
  g_assert_not_reached ();
}

#endif

/* ------------------------------------------------------------------------ */
/* Products                                                                  */

void
dv_sgemm_nn_cols (int M, int j0, int j1, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
  g_return_if_fail (dv_sgemm_available ());

  for (int k0 = 0; k0 < K; k0 += KC)
    {
      const int kc = MIN (KC, K - k0);
      const float b = k0 == 0 ? beta : 1.0f;

      /* Which operand to keep near the core: a narrow B (all its panels fit
       * in L2) is swept once per 8 rows of A, each of which is then read
       * once; a wide one panel by panel, all of A per panel. */
      if ((size_t) kc * (j1 - j0) * sizeof (float) <= B_RESIDENT_BYTES)
        for (int i = 0; i < M; i += MR)
          for (int j = j0; j < j1; j += NR)
            kernel_8x32 (kc, A + (size_t) i * lda + k0, (size_t) lda, B + (size_t) k0 * ldb + j,
                         (size_t) ldb, C + (size_t) i * ldc + j, (size_t) ldc, MIN (MR, M - i),
                         MIN (NR, j1 - j), alpha, b);
      else
        for (int j = j0; j < j1; j += NR)
          for (int i = 0; i < M; i += MR)
            kernel_8x32 (kc, A + (size_t) i * lda + k0, (size_t) lda, B + (size_t) k0 * ldb + j,
                         (size_t) ldb, C + (size_t) i * ldc + j, (size_t) ldc, MIN (MR, M - i),
                         MIN (NR, j1 - j), alpha, b);
    }
}

void
dv_sgemm_nn (int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc)
{
  dv_sgemm_nn_cols (M, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void
dv_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
          float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc)
{
  g_return_if_fail (dv_sgemm_available ());

  const size_t na = trans_a ? (size_t) M * K : 0, nb = trans_b ? (size_t) K * N : 0;
  float *t = (na + nb) ? thread_scratch (na + nb) : NULL;

  if (trans_a) /* A is [K][lda] */
    {
      dv_transpose (t, (size_t) K, A, (size_t) lda, K, M);
      A = t;
      lda = K;
    }
  if (trans_b) /* B is [N][ldb] */
    {
      dv_transpose (t + na, (size_t) N, B, (size_t) ldb, N, K);
      B = t + na;
      ldb = N;
    }
  dv_sgemm_nn (M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
