/* dv-rng.c — xoshiro256** + splitmix64, uniform/normal/Poisson draws, Fisher–Yates.
 *
 * For: every seeded random decision of engine/ and data/ (see dv-rng.h).  Not for: cryptography.
 * Normals use a ziggurat (or Box–Muller where the engine's weight init asks for it); Poisson uses Knuth's product method below lambda 10 and Hörmann's PTRS above (the same
 * algorithm numpy uses), so it is exact in distribution at every lambda.
 */
#include "dv-rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* A well-mixed 64-bit value from two, used to derive independent stream seeds. */
guint64
dv_rng_mix (guint64 a, guint64 b)
{
  guint64 x = a ^ rotl (b, 23) ^ 0x6a09e667f3bcc909ull;
  guint64 y = splitmix64 (&x);
  x ^= b;
  return y ^ splitmix64 (&x);
}

void
dv_rng_init (DvRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->have_spare = FALSE;
  rng->spare = 0.0;
}

guint64
dv_rng_next (DvRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
dv_rng_uniform (DvRng *rng)
{
  return (double) (dv_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
dv_rng_range (DvRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * dv_rng_uniform (rng);
}

/* Lemire's multiply-shift with rejection on the top 32 bits (n <= 2^32, every bounded draw of
 * the data library, so its shuffles are what they were); above, rejection of the last partial
 * block of 2^64 mod n values. */
guint64
dv_rng_below (DvRng *rng, guint64 n)
{
  g_return_val_if_fail (n > 0, 0);
  if (n > G_MAXUINT32 + (guint64) 1)
    {
      guint64 threshold = (-n) % n, x;
      do
        x = dv_rng_next (rng);
      while (x < threshold);
      return x % n;
    }
  if (n == G_MAXUINT32 + (guint64) 1)
    return dv_rng_next (rng) >> 32;
  guint32 n32 = (guint32) n;
  guint64 m = (dv_rng_next (rng) >> 32) * n;
  guint32 low = (guint32) m;
  if (low < n32)
    {
      guint32 threshold = (guint32) (-n32) % n32;
      while (low < threshold)
        {
          m = (dv_rng_next (rng) >> 32) * n;
          low = (guint32) m;
        }
    }
  return m >> 32;
}

/* Marsaglia & Tsang's ziggurat (128 layers), with the layer index and the value taken from
 * different bits of one 64-bit draw (Doornik's fix of the original's correlation). */
static guint32 zig_k[128];
static double zig_w[128], zig_f[128];

static gpointer
zig_setup (gpointer unused)
{
  const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
  double dn = 3.442619855899, tn = dn;
  double q = vn / exp (-0.5 * dn * dn);
  zig_k[0] = (guint32) ((dn / q) * m1);
  zig_k[1] = 0;
  zig_w[0] = q / m1;
  zig_w[127] = dn / m1;
  zig_f[0] = 1.0;
  zig_f[127] = exp (-0.5 * dn * dn);
  for (int i = 126; i >= 1; i--)
    {
      dn = sqrt (-2.0 * log (vn / dn + exp (-0.5 * dn * dn)));
      zig_k[i + 1] = (guint32) ((dn / tn) * m1);
      tn = dn;
      zig_f[i] = exp (-0.5 * dn * dn);
      zig_w[i] = dn / m1;
    }
  return NULL;
}

double
dv_rng_normal (DvRng *rng)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, zig_setup, NULL);
  for (;;)
    {
      guint64 u = dv_rng_next (rng);
      gint32 hz = (gint32) (u >> 32);
      int iz = (int) (u & 127);
      gint64 ahz = hz < 0 ? -(gint64) hz : hz;
      double x = hz * zig_w[iz];
      if (ahz < zig_k[iz])
        return x;
      if (iz == 0)
        {
          const double r = 3.442619855899;
          double xx, yy;
          do
            {
              xx = -log (1.0 - dv_rng_uniform (rng)) / r;
              yy = -log (1.0 - dv_rng_uniform (rng));
            }
          while (yy + yy < xx * xx);
          return hz > 0 ? r + xx : -r - xx;
        }
      if (zig_f[iz] + dv_rng_uniform (rng) * (zig_f[iz - 1] - zig_f[iz]) < exp (-0.5 * x * x))
        return x;
    }
}

/* Box–Muller: two normals from two uniforms; the second is returned by the next call. */
double
dv_rng_normal_box_muller (DvRng *rng)
{
  if (rng->have_spare)
    {
      rng->have_spare = FALSE;
      return rng->spare;
    }
  double u, v;
  do
    u = dv_rng_uniform (rng);
  while (u <= 1e-300);
  v = dv_rng_uniform (rng);
  double mag = sqrt (-2.0 * log (u));
  rng->spare = mag * sin (2.0 * G_PI * v);
  rng->have_spare = TRUE;
  return mag * cos (2.0 * G_PI * v);
}

guint32
dv_rng_poisson (DvRng *rng, double lambda)
{
  if (!(lambda > 0.0))
    return 0;
  if (lambda < 10.0)
    {
      double limit = exp (-lambda), prod = dv_rng_uniform (rng);
      guint32 k = 0;
      while (prod > limit)
        {
          k++;
          prod *= dv_rng_uniform (rng);
        }
      return k;
    }

  double slam = sqrt (lambda), loglam = log (lambda);
  double b = 0.931 + 2.53 * slam;
  double a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;)
    {
      double u = dv_rng_uniform (rng) - 0.5;
      double v = dv_rng_uniform (rng);
      double us = 0.5 - fabs (u);
      double k = floor ((2.0 * a / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr)
        return (guint32) k;
      if (k < 0.0 || (us < 0.013 && v > us))
        continue;
      if (log (v) + log (invalpha) - log (a / (us * us) + b)
          <= -lambda + k * loglam - lgamma (k + 1.0))
        return (guint32) k;
    }
}

void
dv_rng_shuffle (DvRng *rng, int *items, int n)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) dv_rng_below (rng, (guint32) i + 1);
      int tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
}
