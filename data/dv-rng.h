/* dv-rng.h — the data library's own seeded PRNG (xoshiro256** seeded by splitmix64).
 *
 * For: reproducible shuffles, splits, augmentation and noise that do not depend on the GLib
 * version (GRand's streams are not promised to stay stable) nor on thread scheduling: every
 * batch derives its own stream from (seed, epoch, batch) with dv_rng_mix.
 * Not for: cryptography, or anything in the engine (weights are initialised there).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 s[4];
} DvRng;

guint64 dv_rng_mix (guint64 a, guint64 b);
void    dv_rng_init (DvRng *rng, guint64 seed);
guint64 dv_rng_next (DvRng *rng);
double  dv_rng_uniform (DvRng *rng);                         /* [0, 1), 53 bits */
double  dv_rng_range (DvRng *rng, double lo, double hi);     /* [lo, hi) */
guint32 dv_rng_below (DvRng *rng, guint32 n);                /* [0, n), unbiased */
double  dv_rng_normal (DvRng *rng);                          /* N(0, 1) */
guint32 dv_rng_poisson (DvRng *rng, double lambda);
void    dv_rng_shuffle (DvRng *rng, int *items, int n);      /* Fisher–Yates */

G_END_DECLS
