/* dv-kernels.h — private seams between the engine's numeric kernels.
 *
 * What this is for: the pieces dv-gemm.c, dv-sgemm.c, dv-winograd.c and
 * dv-conv.c share but nobody outside the kernels should call — the engine's
 * own AVX-512 matrix product and transpose, the small worker pool the
 * kernels split their loops over, and the Winograd convolution.
 * What it is not for: the public kernel interface (dv-ops.h) or anything a
 * run, a model or an app sees.
 */
#pragma once

#include "dv-ops.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* The engine's own SGEMM (dv-sgemm.c).  Row-major, as dv_gemm.             */

/* TRUE when this CPU (and OS) runs the AVX-512 kernels, and the environment
 * variable DV_KERNELS_GENERIC is unset or "0" (set, the engine takes the
 * paths a CPU without AVX-512 takes — for tests; read once per process). */
gboolean dv_sgemm_available (void);

/* Micro-tile: DV_SGEMM_MR rows of A by DV_SGEMM_NR columns of B. */
#define DV_SGEMM_MR 8
#define DV_SGEMM_NR 32

/* C[M, j0…j1) = alpha · A[M,K] · B[K, j0…j1) + beta · C (no transposes; the
 * column range lets threads split one product).  beta == 0 overwrites.
 * Needs dv_sgemm_available (). */
void dv_sgemm_nn_cols (int M, int j0, int j1, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc);
void dv_sgemm_nn (int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);
/* The whole product, dv_gemm's arguments; a transposed operand is first
 * transposed into per-thread scratch. */
void dv_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
               float alpha, const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc);

/* dst[j][i] = src[i][j] for i < rows, j < cols (rows ldd / lds floats apart). */
void dv_transpose (float *dst, size_t ldd, const float *src, size_t lds, int rows, int cols);

/* ------------------------------------------------------------------------ */
/* Worker pool (dv-gemm.c).  dv_set_num_threads sizes it.                   */

typedef void (*DvParallelFunc) (int task, int worker, gpointer data);

/* Threads the kernels may use (≥ 1). */
int  dv_parallel_threads (void);
/* Runs func (task, worker, data) for task = 0 … n_tasks−1 on up to
 * dv_parallel_threads () threads (the caller is worker 0; workers are
 * numbered below dv_parallel_threads (), so per-worker buffers sized by it
 * are safe); returns when all are done.  Tasks must be independent; which
 * worker runs which task is not fixed.  Nested calls (from inside a task)
 * run serially on the calling worker. */
void dv_parallel_for (int n_tasks, DvParallelFunc func, gpointer data);

/* ------------------------------------------------------------------------ */
/* Winograd F(2×2, 3×3) convolution (dv-winograd.c): dense (groups 1), 3×3, */
/* stride 1, zero padding 1, CNHW.  Same contracts as dv_conv2d_forward(_acc)*/
/* and dv_conv2d_backward (the bias gradient excepted: the caller sums it).  */

gboolean dv_winograd_applies (const DvConvConfig *cfg);
void dv_winograd_forward (float *out, const float *inp, const float *w, const float *b,
                          int N, int H, int W, const DvConvConfig *cfg, gboolean acc,
                          DvScratch *scratch);
void dv_winograd_backward (float *dinp, float *dw, const float *dout, const float *inp,
                           const float *w, int N, int H, int W, const DvConvConfig *cfg,
                           DvScratch *scratch);

G_END_DECLS
