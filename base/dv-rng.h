/* dv-rng.h — the one seeded PRNG of the project (xoshiro256** seeded by splitmix64).
 *
 * For: everything random that must come out the same for the same seed on every machine and
 * GLib version (GRand's streams are not promised to stay stable): the engine's weight
 * initialisation and gradient-check sampling, the data library's shuffles, splits,
 * augmentation, noise and embedded stimulus set.  Streams do not depend on thread scheduling:
 * every batch derives its own from (seed, epoch, batch) with dv_rng_mix.
 * Not for: cryptography.
 *
 * Draws.  uniform/range take the top 53 bits of one output.  below(n) is exactly uniform on
 * [0, n) (Lemire's multiply-shift with rejection on the top 32 bits for n <= 2^32, rejection
 * of the last partial block above).  Two normal samplers, each kept because seeds are
 * documented to reproduce their streams: dv_rng_normal (ziggurat: data noise) and
 * dv_rng_normal_box_muller (pairs, the second kept for the next call: weight init).
 * A DvRng is plain data: copy it to fork a stream; dv_rng_init resets all of it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 s[4];
  gboolean have_spare; /* dv_rng_normal_box_muller's second value */
  double spare;
} DvRng;

guint64 dv_rng_mix (guint64 a, guint64 b);
void    dv_rng_init (DvRng *rng, guint64 seed);
guint64 dv_rng_next (DvRng *rng);
double  dv_rng_uniform (DvRng *rng);                         /* [0, 1), 53 bits */
double  dv_rng_range (DvRng *rng, double lo, double hi);     /* [lo, hi) */
guint64 dv_rng_below (DvRng *rng, guint64 n);                /* [0, n), unbiased; n > 0 */
double  dv_rng_normal (DvRng *rng);                          /* N(0, 1), ziggurat */
double  dv_rng_normal_box_muller (DvRng *rng);               /* N(0, 1), Box–Muller */
guint32 dv_rng_poisson (DvRng *rng, double lambda);
void    dv_rng_shuffle (DvRng *rng, int *items, int n);      /* Fisher–Yates */

G_END_DECLS
