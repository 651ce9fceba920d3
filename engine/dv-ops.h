/* dv-ops.h — the numeric kernels of the engine, forward above backward.
 *
 * What this is for: every tensor operation the temporal model needs, as plain
 * functions over float arrays.  What it is not for: deciding *when* an op runs
 * (dv-run.c does that), or owning memory (callers pass buffers; the one
 * exception is the Winograd path's cache of transformed weights, see
 * engine/dv-winograd-weights.c).
 *
 * Threads.  A kernel may split its work over a small pool of worker threads
 * (dv_set_num_threads); it returns only when all of it is done, so callers
 * see plain synchronous functions.  Call the kernels from one thread at a
 * time per run; two threads calling them take turns on the pool.  With more
 * than one thread, sums of per-worker partial results (weight gradients)
 * may differ in the last bits from run to run; at one thread every result
 * is reproducible.
 *
 * Layout.  Activations inside the engine are channel-major: a tensor of C
 * channels for a batch of N samples of H×W pixels is stored as [C][N][H][W]
 * ("CNHW").  A convolution is then one GEMM over the whole batch:
 *   out[Cout, N·Ho·Wo] = W[Cout, Cin·k·k] · cols[Cin·k·k, N·Ho·Wo]
 * with no transposition afterwards.  Only the boundaries (input sequences and
 * recorded responses, which are [B,T,C,H,W]) convert, see dv_cnhw_*.
 *
 * Conventions (llm.c style): outputs first, then saved caches, then inputs,
 * then weights, then dimensions.  Every backward ACCUMULATES (+=) into the
 * gradient buffers it is given; a NULL gradient pointer means "not needed"
 * and that part of the work is skipped.  Zeroing is the caller's job.
 * Forward functions overwrite their output unless their name says _acc
 * (accumulate: out += op(in)).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Scratch memory: a growable buffer reused across calls (im2col columns,    */
/* temporaries).  Never shrinks; dv_scratch_get invalidates earlier pointers. */
typedef struct {
  float *data;
  size_t capacity; /* in floats */
} DvScratch;

float *dv_scratch_get (DvScratch *s, size_t n_floats);
void   dv_scratch_clear (DvScratch *s);

/* ------------------------------------------------------------------------ */
/* GEMM seam: every matrix product of the engine goes through here.
 * Row-major C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C.           */
typedef enum {
  DV_GEMM_BLAS,     /* the fast path — the default: the engine's own AVX-512
                     * kernels (and Winograd convolutions) where the CPU has
                     * AVX-512, cblas_sgemm (OpenBLAS) elsewhere */
  DV_GEMM_NAIVE,    /* plain triple loop, the reference the tests compare to;
                     * convolutions then take the plain im2col path too */
  DV_GEMM_OPENBLAS, /* always cblas_sgemm (for comparisons) */
} DvGemmBackend;

void dv_gemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
              float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc);
void          dv_gemm_set_backend (DvGemmBackend backend);
DvGemmBackend dv_gemm_get_backend (void);
/* Number of threads the kernels (the engine's own and OpenBLAS) may use
 * (0 = leave as is).  Call it between runs, not while one is computing. */
void dv_set_num_threads (int n);
/* The number set last (1 until then). */
int  dv_get_num_threads (void);

/* ------------------------------------------------------------------------ */
/* 2-D convolution (cross-correlation), PyTorch semantics.                   */
typedef enum {
  DV_PAD_ZEROS,
  DV_PAD_REFLECT, /* PyTorch 'reflect' (mirror without repeating the edge) */
} DvPadMode;

typedef struct {
  int cin, cout;
  int kh, kw;
  int stride;   /* same in y and x */
  int pad;      /* same on all sides */
  int groups;   /* 1 = dense, cin = cout = groups: depthwise */
  DvPadMode pad_mode;
} DvConvConfig;

/* Errors of dv_*_config_validate. */
#define DV_OPS_ERROR (dv_ops_error_quark ())
typedef enum {
  DV_OPS_ERROR_INVALID_CONFIG,
} DvOpsError;
GQuark dv_ops_error_quark (void);

/* Output spatial size of a conv/pool: (in + 2·pad − k) / stride + 1
 * (0 when the kernel does not fit). */
int  dv_conv_out_size (int in, int k, int stride, int pad);
gboolean dv_conv_config_validate (const DvConvConfig *cfg, GError **error);

/* out [cout,N,Ho,Wo] (+)= conv(inp [cin,N,H,W], w [cout, cin/groups, kh, kw]) + b [cout] (b may be NULL). */
void dv_conv2d_forward (float *out, const float *inp, const float *w, const float *b,
                        int N, int H, int W, const DvConvConfig *cfg, DvScratch *scratch);
void dv_conv2d_forward_acc (float *out, const float *inp, const float *w, const float *b,
                            int N, int H, int W, const DvConvConfig *cfg, DvScratch *scratch);
/* dinp, dw, db may each be NULL.  dout [cout,N,Ho,Wo]. */
void dv_conv2d_backward (float *dinp, float *dw, float *db,
                         const float *dout, const float *inp, const float *w,
                         int N, int H, int W, const DvConvConfig *cfg, DvScratch *scratch);


/* ------------------------------------------------------------------------ */
/* Elementwise.  n = number of elements.                                     */
void dv_relu_forward (float *out, const float *inp, size_t n);
void dv_relu_backward (float *dinp, const float *dout, const float *inp, size_t n);

/* DynVision Supralinearity: clamp to ±1e6, then k·sign(x)·max(|x|,1e-6)^p. */
void dv_supralin_forward (float *out, const float *inp, size_t n, float p, float k);
void dv_supralin_backward (float *dinp, const float *dout, const float *inp, size_t n, float p, float k);

/* Multiplicative integration: out = x · (1 + tanh(h)). */
void dv_mulint_forward (float *out, const float *x, const float *h, size_t n);
void dv_mulint_backward (float *dx, float *dh, const float *dout, const float *x, const float *h, size_t n);

/* Sums and the Euler step of the leaky integrator, as the run's own loops
 * compute them (same float operations, so the same bits), but vectorised
 * and split over the kernel threads.                                        */
/* out = a + b */
void dv_add_forward (float *out, const float *a, const float *b, size_t n);
/* out += a (also the backward of out = a + b and of out += a, per input) */
void dv_add_acc (float *out, const float *a, size_t n);
/* out = 0 */
void dv_zero (float *out, size_t n);
/* y = h + alpha·(u − h), or y = alpha·u when h is NULL. */
void dv_euler_forward (float *y, const float *u, const float *h, float alpha, size_t n);
/* du += alpha·dy and dh += (1 − alpha)·dy (each may be NULL; dh is ignored
 * without h); returns d(loss)/d(alpha) = Σ dy·(u − h), or Σ dy·u without h,
 * summed in double. */
double dv_euler_backward (float *du, float *dh, const float *dy, const float *u, const float *h,
                          float alpha, size_t n);

/* ------------------------------------------------------------------------ */
/* Nearest resize of `planes` independent H×W planes to Ho×Wo, PyTorch's     */
/* rule src = floor(dst · in / out) (computed as in PyTorch, float scale).   */
void dv_resize_nearest_forward (float *out, const float *inp, int planes, int H, int W, int Ho, int Wo);
void dv_resize_nearest_forward_acc (float *out, const float *inp, int planes, int H, int W, int Ho, int Wo);
void dv_resize_nearest_backward (float *dinp, const float *dout, int planes, int H, int W, int Ho, int Wo);

/* ------------------------------------------------------------------------ */
/* Pooling over `planes` independent planes.                                 */
/* Max pool pads with −inf; argmax [planes,Ho,Wo] (flat index into the input  */
/* plane) is saved for backward.  Avg pool counts padding (count_include_pad). */
void dv_maxpool_forward (float *out, int32_t *argmax, const float *inp,
                         int planes, int H, int W, int k, int stride, int pad);
void dv_maxpool_backward (float *dinp, const float *dout, const int32_t *argmax,
                          int planes, int H, int W, int k, int stride, int pad);
void dv_avgpool_forward (float *out, const float *inp, int planes, int H, int W, int k, int stride, int pad);
void dv_avgpool_backward (float *dinp, const float *dout, int planes, int H, int W, int k, int stride, int pad);

/* Global average pool: inp [C,N,H,W] -> out [N,C] (note: sample-major, ready for linear). */
void dv_gap_forward (float *out, const float *inp, int C, int N, int HW);
void dv_gap_backward (float *dinp, const float *dout, int C, int N, int HW);

/* ------------------------------------------------------------------------ */
/* Linear: out [N,K] = inp [N,Cin] · w[K,Cin]^T + b[K] (b may be NULL).      */
void dv_linear_forward (float *out, const float *inp, const float *w, const float *b, int N, int Cin, int K);
void dv_linear_backward (float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, int N, int Cin, int K);

/* ------------------------------------------------------------------------ */
/* Batch norm over [C,N,H,W] (statistics per channel over N,H,W), eps given. */
/* train = TRUE: batch statistics (biased variance for normalising);        */
/*   saves mean[C], invstd[C]; if running_mean/var are non-NULL they are      */
/*   updated with momentum (r = (1−m)·r + m·stat) using the UNBIASED variance.*/
/* train = FALSE: uses running_mean/var; mean/invstd are still filled.       */
void dv_batchnorm_forward (float *out, float *mean, float *invstd,
                           const float *inp, const float *gamma, const float *beta,
                           float *running_mean, float *running_var,
                           int C, int N, int HW, float eps, float momentum, gboolean train);
void dv_batchnorm_backward (float *dinp, float *dgamma, float *dbeta,
                            const float *dout, const float *inp, const float *mean, const float *invstd,
                            const float *gamma, int C, int N, int HW, gboolean train);

/* Group norm over [C,N,H,W]: per sample, G groups of C/G channels.          */
/* mean/invstd are [N,G].  gamma/beta [C] may be NULL (affine off).          */
void dv_groupnorm_forward (float *out, float *mean, float *invstd, const float *inp,
                           const float *gamma, const float *beta, int C, int N, int HW, int G, float eps);
void dv_groupnorm_backward (float *dinp, float *dgamma, float *dbeta, const float *dout,
                            const float *inp, const float *mean, const float *invstd,
                            const float *gamma, int C, int N, int HW, int G);

/* Weight norm (PyTorch dim=0): w = g · v / ‖v‖, norm per output channel     */
/* over the remaining `fan` elements.  g [cout], v [cout, fan].              */
void dv_weightnorm_forward (float *w, const float *g, const float *v, int cout, int fan);
void dv_weightnorm_backward (float *dg, float *dv, const float *dw, const float *g, const float *v, int cout, int fan);

/* ------------------------------------------------------------------------ */
/* Softmax cross-entropy with ignore index, mean over the valid rows.        */
/* logits [M,K], labels [M].  Returns the loss (0 if no valid row) and, if   */
/* dlogits is non-NULL, ACCUMULATES scale·d(loss)/d(logits) into it.        */
/* n_valid (optional out) receives the number of valid rows.                 */
double dv_cross_entropy (float *dlogits, const float *logits, const int64_t *labels,
                         int M, int K, int64_t ignore_index, float scale, int *n_valid);

/* ------------------------------------------------------------------------ */
/* Layout conversion at the engine's boundary.                               */
/* x [B,T,C,H,W] frame t  ->  out [C,B,H,W]                                  */
void dv_cnhw_from_sequence (float *out, const float *x, int B, int T, int t, int C, int HW);
/* inp [C,B,H,W] -> y [B,T,C,H,W] at frame t                                  */
void dv_cnhw_to_sequence (float *y, const float *inp, int B, int T, int t, int C, int HW);

G_END_DECLS
