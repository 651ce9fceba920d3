/* dv-gemm.c — the one matrix-product seam of the engine, scratch memory,
 * and the kernels' worker pool.
 *
 * What this is for: dv_gemm (row-major C = alpha·op(A)·op(B) + beta·C) with
 * interchangeable backends — the engine's own AVX-512 kernels (dv-sgemm.c)
 * or OpenBLAS's cblas_sgemm, and a plain triple loop the tests use as the
 * reference — the thread count, the growable DvScratch buffer every kernel
 * borrows temporaries from, and dv_parallel_for, the few persistent threads
 * the kernels split independent loops over.
 * What it is not for: deciding which products to form (the ops do that).
 */
#include "dv-kernels.h"

#include <cblas.h>
#include <string.h>
/* One step of a spin-wait.  (Not sched_yield: a yielding spinner stays on
 * its core beside the thread it waits for, instead of moving to an idle one.) */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause ()
#else
#define CPU_RELAX() ((void) 0)
#endif

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
  g_return_if_fail (backend == DV_GEMM_BLAS || backend == DV_GEMM_NAIVE
                    || backend == DV_GEMM_OPENBLAS);
  g_atomic_int_set (&gemm_backend, (int) backend);
}

DvGemmBackend
dv_gemm_get_backend (void)
{
  return (DvGemmBackend) g_atomic_int_get (&gemm_backend);
}

/* ------------------------------------------------------------------------ */
/* Worker pool                                                               */

/* A job is published by filling in func/data/n_tasks and then bumping
 * `generation` (a full barrier).  Helpers spin on it for a while (jobs come
 * every few tens of microseconds while a run computes) and only then sleep
 * on `wake`, counting themselves in `sleepers`, so the caller makes a
 * system call only to wake a sleeper.  Tasks are taken from the atomic
 * counter `next`; each helper counts itself out in `finished`, which the
 * caller spins on, and signals `done` only when the caller went to sleep
 * (`caller_waiting`).  Every flag is set before the value it guards is read
 * on the other side, under `lock` for the sleeping paths, so no wake-up is
 * lost. */
typedef struct {
  GMutex lock;
  GCond wake, done;
  GThread **threads;
  int n_helpers;           /* pool threads besides the caller */
  gint generation;         /* atomic */
  gint sleepers;           /* atomic: helpers blocked on wake */
  gint caller_waiting;     /* atomic: the caller is blocked on done */
  DvParallelFunc func;
  gpointer data;
  int n_tasks;
  gint next;               /* atomic */
  gint finished;           /* atomic: helpers done with the current job */
  gint quit;               /* atomic */
} DvPool;

#define POOL_SPIN 8000 /* pauses, ~160 µs on Zen 5 */

static DvPool pool;
static int pool_threads = 1;   /* wanted size, caller included */
static GMutex pool_config_lock;
static __thread gboolean in_parallel;

static void
pool_run_tasks (int worker)
{
  int t;
  while ((t = g_atomic_int_add (&pool.next, 1)) < pool.n_tasks)
    pool.func (t, worker, pool.data);
}

static gpointer
pool_helper (gpointer p)
{
  const int worker = GPOINTER_TO_INT (p);
  gint seen = 0;

  in_parallel = TRUE;
  /* A new thread starts on its creator's core; one that only ever spins is
   * never woken, so the scheduler never moves it to an idle core.  Block
   * once: the wake-up places it. */
  g_usleep (50);
  for (;;)
    {
      for (int i = 0; i < POOL_SPIN && g_atomic_int_get (&pool.generation) == seen
                      && !g_atomic_int_get (&pool.quit); i++)
        CPU_RELAX ();
      if (g_atomic_int_get (&pool.generation) == seen && !g_atomic_int_get (&pool.quit))
        {
          g_mutex_lock (&pool.lock);
          g_atomic_int_inc (&pool.sleepers);
          while (g_atomic_int_get (&pool.generation) == seen && !g_atomic_int_get (&pool.quit))
            g_cond_wait (&pool.wake, &pool.lock);
          g_atomic_int_add (&pool.sleepers, -1);
          g_mutex_unlock (&pool.lock);
        }
      if (g_atomic_int_get (&pool.quit))
        break;
      seen = g_atomic_int_get (&pool.generation);
      pool_run_tasks (worker);
      g_atomic_int_inc (&pool.finished);
      if (g_atomic_int_get (&pool.caller_waiting))
        {
          g_mutex_lock (&pool.lock);
          g_cond_signal (&pool.done);
          g_mutex_unlock (&pool.lock);
        }
    }
  return NULL;
}

static void
pool_stop (void)
{
  if (pool.threads == NULL)
    return;
  g_mutex_lock (&pool.lock);
  g_atomic_int_set (&pool.quit, 1);
  g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.lock);
  for (int i = 0; i < pool.n_helpers; i++)
    g_thread_join (pool.threads[i]);
  g_free (pool.threads);
  pool.threads = NULL;
  pool.n_helpers = 0;
  g_atomic_int_set (&pool.quit, 0);
}

static void
pool_start (int n_helpers)
{
  pool.n_helpers = n_helpers;
  pool.threads = g_new0 (GThread *, n_helpers);
  for (int i = 0; i < n_helpers; i++)
    pool.threads[i] = g_thread_new ("dv-kernel", pool_helper, GINT_TO_POINTER (i + 1));
}

int
dv_parallel_threads (void)
{
  return g_atomic_int_get (&pool_threads);
}

void
dv_parallel_for (int n_tasks, DvParallelFunc func, gpointer data)
{
  g_return_if_fail (func != NULL);

  if (n_tasks <= 0)
    return;
  if (n_tasks == 1 || in_parallel || dv_parallel_threads () <= 1)
    {
      for (int t = 0; t < n_tasks; t++)
        func (t, 0, data);
      return;
    }

  g_mutex_lock (&pool_config_lock); /* one job at a time, process-wide */
  if (pool.n_helpers != dv_parallel_threads () - 1)
    {
      pool_stop ();
      pool_start (dv_parallel_threads () - 1);
    }
  in_parallel = TRUE;
  pool.func = func;
  pool.data = data;
  pool.n_tasks = n_tasks;
  g_atomic_int_set (&pool.next, 0);
  g_atomic_int_set (&pool.finished, 0);
  g_atomic_int_inc (&pool.generation);
  if (g_atomic_int_get (&pool.sleepers) > 0)
    {
      g_mutex_lock (&pool.lock);
      g_cond_broadcast (&pool.wake);
      g_mutex_unlock (&pool.lock);
    }

  pool_run_tasks (0);

  for (int i = 0; i < POOL_SPIN && g_atomic_int_get (&pool.finished) < pool.n_helpers; i++)
    CPU_RELAX ();
  if (g_atomic_int_get (&pool.finished) < pool.n_helpers)
    {
      g_mutex_lock (&pool.lock);
      g_atomic_int_set (&pool.caller_waiting, 1);
      while (g_atomic_int_get (&pool.finished) < pool.n_helpers)
        g_cond_wait (&pool.done, &pool.lock);
      g_atomic_int_set (&pool.caller_waiting, 0);
      g_mutex_unlock (&pool.lock);
    }
  in_parallel = FALSE;
  g_mutex_unlock (&pool_config_lock);
}

int
dv_get_num_threads (void)
{
  return dv_parallel_threads ();
}

void
dv_set_num_threads (int n)
{
  if (n <= 0)
    return;
  openblas_set_num_threads (n);
  g_atomic_int_set (&pool_threads, n);
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

  DvGemmBackend backend = dv_gemm_get_backend ();
  if (backend == DV_GEMM_NAIVE)
    gemm_naive (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else if (backend == DV_GEMM_BLAS && dv_sgemm_available ())
    dv_sgemm (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    cblas_sgemm (CblasRowMajor,
                 trans_a ? CblasTrans : CblasNoTrans,
                 trans_b ? CblasTrans : CblasNoTrans,
                 M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
