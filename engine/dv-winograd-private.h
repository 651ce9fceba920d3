/* dv-winograd-private.h — what dv-winograd.c and dv-winograd-weights.c
 * share: the F(2×2,3×3) geometry, the 16-lane vector type, the 1-D
 * transforms and their adjoints, and the cache of transformed weights.
 * Not for anything outside those two files.
 */
#pragma once

#include "dv-kernels.h"

#include <string.h>

/* Output tile TM×TM, input patch TA×TA, NQ = TA² transform points. */
#define TM 2
#define TA (TM + 2)
#define NQ (TA * TA)
#define LANES 16

typedef float v16 __attribute__ ((vector_size (64)));
typedef float v16u __attribute__ ((vector_size (64), aligned (4), may_alias));
#define VLD(p) (*(const v16 *) (p))
#define VST(p) (*(v16 *) (p))
#define VLDU(p) (*(const v16u *) (p))
#define VSTU(p) (*(v16u *) (p))

/* No clones under gcc's ThreadSanitizer: the ifunc resolver that picks a clone
 * runs during relocation, before TSan is initialised, and the program dies
 * before main (scripts/sanitize.sh tsan). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define DV_CLONES __attribute__ ((target_clones ("avx512f", "default")))
#else
#define DV_CLONES
#endif
#define DV_INLINE static inline __attribute__ ((always_inline))

/* ------------------------------------------------------------------------ */
/* The 1-D transforms and their adjoints, on TA (or TM, or 3) vectors x[0],  */
/* x[s], x[2s], …                                                            */

/* F(2,3) with the points 0, ±1, ∞ (Lavin & Gray 2016). */

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


/* ------------------------------------------------------------------------ */
/* Transformed weights (dv-winograd-weights.c)                               */

/* U = G g Gᵀ of a weight tensor g [cout][cin][3][3], and its transpose. */
typedef struct {
  gint ref;
  const float *w_addr;
  int cin, cout;
  size_t n_floats;
  guint64 last_use;
  float *w_copy; /* [cout][cin][9] */
  float *U;      /* [NQ][cout][cin] */
  float *Ut;     /* [NQ][cin][cout] */
} DvWinogradWeights;

/* The transformed weights of w (cached; see dv-winograd-weights.c); give
 * them back with dv_winograd_weights_unref. */
DvWinogradWeights *dv_winograd_weights_get (const float *w, int cin, int cout);
void dv_winograd_weights_unref (DvWinogradWeights *e);

/* dw[co][·] += Gᵀ dU G for the kernels of output channel co (dU [NQ][cout][cin]). */
void dv_winograd_weights_adjoint (float *dw, const float *dU, int co, int cin, int cout);
