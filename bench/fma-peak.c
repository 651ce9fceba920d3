/* bench/fma-peak.c — the ceiling the benchmark matrix (bench/matrix.sh) is
 * measured against: this machine's peak single-precision FMA rate, at 1 and 2
 * threads, for each vector width the CPU has (AVX2+FMA: 8 lanes, AVX-512F:
 * 16 lanes).  Each thread runs CHAINS independent chains acc = acc·a + b,
 * enough to cover the FMA latency on both FMA pipes of current x86 cores, so
 * nothing but the FMA units limits it; one FMA counts as 2 FLOP.  Best of
 * several timed runs, as a peak should be.
 *
 * Not for: measuring the engine (that is `dynvision bench`), memory
 * bandwidth, or anything but x86-64.
 *
 *   fma-peak [--threads 1,2] [--seconds 0.25]
 *
 * Prints one JSON line per ISA and thread count:
 *   {"impl": "fma-peak", "isa": "avx512f", "lanes": 16, "threads": 1, "gflops": 123.4}
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12
#define RUNS 5
#define MAX_THREADS 64

typedef enum { ISA_AVX2, ISA_AVX512 } Isa;

static volatile float coef_a = 0.999999f, coef_b = 1e-6f; /* not constants the compiler can fold */
static volatile float sink;

#define CHAIN_LIST(X) X (0) X (1) X (2) X (3) X (4) X (5) X (6) X (7) X (8) X (9) X (10) X (11)

__attribute__ ((target ("avx2,fma"))) static float
chains_avx2 (int64_t iters)
{
  const __m256 a = _mm256_set1_ps (coef_a), b = _mm256_set1_ps (coef_b);
#define DECL(i) __m256 c##i = _mm256_set1_ps ((float) (i));
#define STEP(i) c##i = _mm256_fmadd_ps (c##i, a, b);
#define SUM(i) s = _mm256_add_ps (s, c##i);
  CHAIN_LIST (DECL)
  for (int64_t n = 0; n < iters; n++)
    {
      CHAIN_LIST (STEP)
    }
  __m256 s = _mm256_setzero_ps ();
  CHAIN_LIST (SUM)
  float out[8];
  _mm256_storeu_ps (out, s);
  return out[0] + out[7];
#undef DECL
#undef STEP
#undef SUM
}

__attribute__ ((target ("avx512f"))) static float
chains_avx512 (int64_t iters)
{
  const __m512 a = _mm512_set1_ps (coef_a), b = _mm512_set1_ps (coef_b);
#define DECL(i) __m512 c##i = _mm512_set1_ps ((float) (i));
#define STEP(i) c##i = _mm512_fmadd_ps (c##i, a, b);
#define SUM(i) s = _mm512_add_ps (s, c##i);
  CHAIN_LIST (DECL)
  for (int64_t n = 0; n < iters; n++)
    {
      CHAIN_LIST (STEP)
    }
  __m512 s = _mm512_setzero_ps ();
  CHAIN_LIST (SUM)
  return _mm512_reduce_add_ps (s);
#undef DECL
#undef STEP
#undef SUM
}

typedef struct {
  Isa isa;
  int64_t iters;
  pthread_barrier_t *start;
} Job;

static float
run_chains (Isa isa, int64_t iters)
{
  return isa == ISA_AVX512 ? chains_avx512 (iters) : chains_avx2 (iters);
}

static void *
worker (void *p)
{
  Job *j = p;
  pthread_barrier_wait (j->start);
  sink = run_chains (j->isa, j->iters);
  return NULL;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Seconds for `threads` threads each running `iters` iterations from a common start. */
static double
timed (Isa isa, int threads, int64_t iters)
{
  pthread_t tid[MAX_THREADS];
  pthread_barrier_t start;
  pthread_barrier_init (&start, NULL, (unsigned) threads);
  Job job = { isa, iters, &start };
  for (int i = 1; i < threads; i++)
    if (pthread_create (&tid[i], NULL, worker, &job) != 0)
      {
        fprintf (stderr, "fma-peak: cannot start thread %d\n", i);
        exit (1);
      }
  pthread_barrier_wait (&start);
  double t0 = now_s ();
  sink = run_chains (isa, iters);
  for (int i = 1; i < threads; i++)
    pthread_join (tid[i], NULL);
  double dt = now_s () - t0;
  pthread_barrier_destroy (&start);
  return dt;
}

int
main (int argc, char **argv)
{
  const char *thread_list = "1,2";
  double seconds = 0.25;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        thread_list = argv[++i];
      else if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
        seconds = atof (argv[++i]);
      else
        {
          fprintf (stderr, "usage: fma-peak [--threads 1,2] [--seconds 0.25]\n");
          return 2;
        }
    }
  if (!(seconds > 0 && seconds < 100))
    {
      fprintf (stderr, "fma-peak: --seconds must be in (0, 100)\n");
      return 2;
    }
  __builtin_cpu_init ();
  const struct { Isa isa; const char *name; int lanes; int have; } isas[] = {
    { ISA_AVX2, "avx2", 8, __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma") },
    { ISA_AVX512, "avx512f", 16, __builtin_cpu_supports ("avx512f") },
  };
  for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++)
    {
      if (!isas[k].have)
        continue;
      /* iterations for about `seconds` on one thread, from a short calibration run */
      int64_t iters = 1 << 20;
      double dt = timed (isas[k].isa, 1, iters);
      iters = (int64_t) (iters * seconds / (dt > 1e-6 ? dt : 1e-6));
      if (iters < 1024)
        iters = 1024;
      for (const char *p = thread_list; *p;)
        {
          char *end;
          long threads = strtol (p, &end, 10);
          if (end == p || threads < 1 || threads > MAX_THREADS)
            {
              fprintf (stderr, "fma-peak: --threads wants a list like 1,2 (each 1–%d)\n", MAX_THREADS);
              return 2;
            }
          double best = 0;
          for (int r = 0; r < RUNS; r++)
            {
              double t = timed (isas[k].isa, (int) threads, iters);
              double gflops = 2.0 * CHAINS * isas[k].lanes * (double) iters * threads / t / 1e9;
              if (gflops > best)
                best = gflops;
            }
          printf ("{\"impl\": \"fma-peak\", \"isa\": \"%s\", \"lanes\": %d, \"threads\": %ld, \"gflops\": %.1f}\n",
                  isas[k].name, isas[k].lanes, threads, best);
          fflush (stdout);
          p = *end == ',' ? end + 1 : end;
        }
    }
  return 0;
}
