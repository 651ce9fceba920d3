/* dv-rand.h — a small, version-independent PRNG (splitmix64 seeding +
 * xoshiro256**), so that the same seed gives the same weights and batches on
 * every machine and GLib version.  Not for cryptography. */
#pragma once

#include <glib.h>
#include <math.h>
#include <stdint.h>

typedef struct {
  uint64_t s[4];
  gboolean have_spare;
  double spare;
} DvRand;

static inline uint64_t
dv_rand_splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline void
dv_rand_seed (DvRand *r, uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    r->s[i] = dv_rand_splitmix64 (&seed);
  r->have_spare = FALSE;
}

static inline uint64_t
dv_rand_next (DvRand *r)
{
  uint64_t *s = r->s;
  uint64_t x = s[1] * 5;
  uint64_t result = ((x << 7) | (x >> 57)) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}

/* Uniform in [0, 1). */
static inline double
dv_rand_uniform (DvRand *r)
{
  return (double) (dv_rand_next (r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box–Muller). */
static inline double
dv_rand_normal (DvRand *r)
{
  if (r->have_spare)
    {
      r->have_spare = FALSE;
      return r->spare;
    }
  double u, v;
  do
    u = dv_rand_uniform (r);
  while (u <= 1e-300);
  v = dv_rand_uniform (r);
  double mag = sqrt (-2.0 * log (u));
  r->spare = mag * sin (2.0 * G_PI * v);
  r->have_spare = TRUE;
  return mag * cos (2.0 * G_PI * v);
}

/* Integer in [0, n). */
static inline uint64_t
dv_rand_below (DvRand *r, uint64_t n)
{
  return n ? dv_rand_next (r) % n : 0;
}
