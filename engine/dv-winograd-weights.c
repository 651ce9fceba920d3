/* dv-winograd-weights.c — the weight side of the Winograd convolution:
 * U = G g Gᵀ for every 3×3 kernel (and Uᵀ for the input gradient), its
 * adjoint dW += Gᵀ dU G, and a cache of U per weight tensor.
 *
 * What this is for: dv-winograd.c's transformed weights, made once per
 * weight tensor and value instead of at every call — a recurrent run applies
 * the same kernels at every timestep, forward and backward.  Vectorised over
 * 16 input channels; the 9 taps of 16 kernels are gathered (AVX-512) or
 * copied lane by lane.
 * What it is not for: the tile transforms and products (dv-winograd.c).
 */
#include "dv-winograd-private.h"

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
DV_CLONES void
dv_winograd_weights_adjoint (float *restrict dw, const float *restrict dU, int co, int Cin, int Cout)
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
/* old address are always recomputed.  Entries are reference-counted and    */
/* never change while anyone but the cache holds them (a stale entry only   */
/* the cache holds is remade in place); the least recently used go when the */
/* cache passes its budget.  An entry larger than the budget is made for    */
/* its caller alone.  For the tutorial model the cache holds 35 MB.         */

#define WCACHE_BUDGET ((size_t) 32 << 20) /* floats (128 MB) */

static GMutex wcache_lock;
static GPtrArray *wcache;
static size_t wcache_floats;
static guint64 wcache_clock;

void
dv_winograd_weights_unref (DvWinogradWeights *e)
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
  DvWinogradWeights *e;
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
  DvWinogradWeights *e = data;
  const size_t n = (size_t) e->cout * e->cin;
  dv_transpose (e->Ut + q * n, (size_t) e->cout, e->U + q * n, (size_t) e->cin, e->cout, e->cin);
}

/* A new entry for w, or (recycle != NULL, same shape, nobody else holding
 * it) that entry remade in place: after an optimiser step every entry goes
 * stale at once, and fresh blocks would be fresh pages, page faults. */
static DvWinogradWeights *
wentry_make (const float *w, int cin, int cout, DvWinogradWeights *recycle)
{
  const size_t nw = (size_t) cout * cin * 9, nu = (size_t) NQ * cout * cin;
  DvWinogradWeights *e = recycle;

  if (e == NULL)
    {
      e = g_new0 (DvWinogradWeights, 1);
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
DvWinogradWeights *
dv_winograd_weights_get (const float *w, int cin, int cout)
{
  const size_t nw = (size_t) cout * cin * 9;
  DvWinogradWeights *e = NULL;

  g_mutex_lock (&wcache_lock);
  if (wcache == NULL)
    wcache = g_ptr_array_new ();
  guint i;
  for (i = 0; i < wcache->len; i++)
    {
      DvWinogradWeights *c = g_ptr_array_index (wcache, i);
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
  DvWinogradWeights *recycle = NULL;
  if (e) /* stale */
    {
      g_ptr_array_remove_index_fast (wcache, i);
      wcache_floats -= e->n_floats;
      if (g_atomic_int_get (&e->ref) == 1)
        recycle = e; /* ours alone now */
      else
        dv_winograd_weights_unref (e);
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
            if (((DvWinogradWeights *) g_ptr_array_index (wcache, k))->last_use
                < ((DvWinogradWeights *) g_ptr_array_index (wcache, lru))->last_use)
              lru = k;
          DvWinogradWeights *old = g_ptr_array_index (wcache, lru);
          g_ptr_array_remove_index_fast (wcache, lru);
          wcache_floats -= old->n_floats;
          dv_winograd_weights_unref (old);
        }
      g_atomic_int_inc (&e->ref);
      e->last_use = ++wcache_clock;
      g_ptr_array_add (wcache, e);
      wcache_floats += e->n_floats;
    }
  g_mutex_unlock (&wcache_lock);
  return e;
}

