/* dv-gemm.c — the one matrix-product seam of the engine, plus scratch memory.
 *
 * What this is for: dv_gemm (row-major C = alpha·op(A)·op(B) + beta·C) with
 * two interchangeable backends — OpenBLAS's cblas_sgemm, and a plain triple
 * loop the tests use as the reference — the OpenBLAS thread count, and the
 * growable DvScratch buffer every kernel borrows temporaries from.
 * What it is not for: deciding which products to form (the ops do that) or
 * spawning threads of its own.
 */
#include "dv-ops.h"

#include <cblas.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Scratch                                                                   */

/* Returns a buffer of at least n_floats floats, 64-byte aligned.  Growing
 * frees the old block (its contents are NOT preserved) and allocates 1.5× the
 * request, so a slowly increasing demand does not reallocate every call. */
float *
dv_scratch_get (DvScratch *s, size_t n_floats)
{
  g_return_val_if_fail (s != NULL, NULL);

  if (n_floats == 0)
    n_floats = 1;
  if (s->capacity < n_floats)
    {
      size_t cap = n_floats + n_floats / 2;

      g_aligned_free (s->data);
      s->data = g_aligned_alloc (cap, sizeof (float), 64);
      s->capacity = cap;
    }
  return s->data;
}

void
dv_scratch_clear (DvScratch *s)
{
  g_return_if_fail (s != NULL);

  g_aligned_free (s->data);
  s->data = NULL;
  s->capacity = 0;
}

/* ------------------------------------------------------------------------ */
/* Backend switch                                                            */

static int gemm_backend = DV_GEMM_BLAS; /* accessed atomically */

void
dv_gemm_set_backend (DvGemmBackend backend)
{
  g_return_if_fail (backend == DV_GEMM_BLAS || backend == DV_GEMM_NAIVE);
  g_atomic_int_set (&gemm_backend, (int) backend);
}

DvGemmBackend
dv_gemm_get_backend (void)
{
  return (DvGemmBackend) g_atomic_int_get (&gemm_backend);
}

void
dv_set_num_threads (int n)
{
  if (n > 0)
    openblas_set_num_threads (n);
}

/* ------------------------------------------------------------------------ */
/* GEMM                                                                      */

/* C[M,N] *= beta, with beta == 0 meaning "overwrite" (NaNs in C vanish), as
 * BLAS does. */
static void
scale_c (float *C, int M, int N, int ldc, float beta)
{
  if (beta == 1.0f)
    return;
  for (int i = 0; i < M; i++)
    {
      float *c = C + (size_t) i * ldc;
      if (beta == 0.0f)
        memset (c, 0, (size_t) N * sizeof (float));
      else
        for (int j = 0; j < N; j++)
          c[j] *= beta;
    }
}

/* The reference: a triple loop accumulating in double.  Slow, obviously
 * right, and used only by tests and by curious users of --gemm=naive. */
static void
gemm_naive (gboolean trans_a, gboolean trans_b, int M, int N, int K,
            float alpha, const float *A, int lda, const float *B, int ldb,
            float beta, float *C, int ldc)
{
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      {
        double acc = 0.0;
        for (int k = 0; k < K; k++)
          {
            float a = trans_a ? A[(size_t) k * lda + i] : A[(size_t) i * lda + k];
            float b = trans_b ? B[(size_t) j * ldb + k] : B[(size_t) k * ldb + j];
            acc += (double) a * (double) b;
          }
        float *c = C + (size_t) i * ldc + j;
        *c = (float) (alpha * acc) + (beta == 0.0f ? 0.0f : beta * *c);
      }
}

void
dv_gemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
         float alpha, const float *A, int lda, const float *B, int ldb,
         float beta, float *C, int ldc)
{
  g_return_if_fail (M >= 0 && N >= 0 && K >= 0);
  g_return_if_fail (ldc >= MAX (1, N));

  if (M == 0 || N == 0)
    return;
  if (K == 0 || alpha == 0.0f)
    {
      scale_c (C, M, N, ldc, beta);
      return;
    }
  g_return_if_fail (A != NULL && B != NULL && C != NULL);
  g_return_if_fail (lda >= MAX (1, trans_a ? M : K));
  g_return_if_fail (ldb >= MAX (1, trans_b ? K : N));

  if (dv_gemm_get_backend () == DV_GEMM_NAIVE)
    gemm_naive (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    cblas_sgemm (CblasRowMajor,
                 trans_a ? CblasTrans : CblasNoTrans,
                 trans_b ? CblasTrans : CblasNoTrans,
                 M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
