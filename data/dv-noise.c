/* dv-noise.c — the five noise models of DynVision's data/noise.py, on float batches.
 *
 * For: dv_noise_apply (see dv-noise.h for the semantics and deviations).
 * Not for: when noise is applied over time (dv-presentation.c).
 * The 2-D inverse FFT of the phase-scrambled noise is a radix-2 FFT for power-of-two sizes and
 * a direct DFT otherwise; images here are small, so that is fast enough.
 */
#include "dv-noise.h"

#include <math.h>
#include <string.h>

static const char *const noise_names[] = {
  "uniform", "gaussian", "saltpepper", "poisson", "phasescrambled"
};

void
dv_noise_params_init (DvNoiseParams *params)
{
  *params = (DvNoiseParams) {
    .type = DV_NOISE_UNIFORM,
    .ssnr = 0.5,
    .spatially_correlated = FALSE,
    .correlation_kernel_size = 7,
    .salt_vs_pepper = 0.5,
    .use_image_spectrum = FALSE,
    .spectral_exponent = -1.0,
  };
}

const char *
dv_noise_type_to_string (DvNoiseType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (noise_names), NULL);
  return noise_names[type];
}

gboolean
dv_noise_type_from_string (const char *name, DvNoiseType *type)
{
  /* case-insensitive, ignoring '_', '-', '&' and spaces: "salt_pepper" == "saltpepper" */
  GString *s = g_string_new (NULL);
  for (const char *p = name; *p; p++)
    if (!strchr ("_- &", *p))
      g_string_append_c (s, g_ascii_tolower (*p));
  g_autofree char *key = g_string_free (s, FALSE);
  for (gsize k = 0; k < G_N_ELEMENTS (noise_names); k++)
    if (g_str_equal (key, noise_names[k]))
      {
        *type = (DvNoiseType) k;
        return TRUE;
      }
  if (g_str_equal (key, "saltandpepper") || g_str_equal (key, "saltpeppernoise"))
    {
      *type = DV_NOISE_SALTPEPPER;
      return TRUE;
    }
  return FALSE;
}

double
dv_noise_snr_from_ssnr (double ssnr)
{
  if (ssnr >= 1.0)
    return G_MAXDOUBLE;
  double snr = ssnr <= 0.0 ? 0.0 : ssnr / (1.0 - ssnr);
  return MAX (snr, DV_NOISE_SNR_MIN);
}

gboolean
dv_noise_is_off (double ssnr)
{
  return fabs (ssnr - 1.0) < 1e-4 || dv_noise_snr_from_ssnr (ssnr) > 1000.0;
}

double
dv_noise_variance (const float *x, gsize n)
{
  if (n < 2)
    return 0.0;
  double mean = 0.0, ss = 0.0;
  for (gsize i = 0; i < n; i++)
    mean += x[i];
  mean /= (double) n;
  for (gsize i = 0; i < n; i++)
    ss += (x[i] - mean) * (x[i] - mean);
  return ss / (double) (n - 1);
}

/* ---- inverse 2-D FFT (real part is what callers use) ---- */

typedef struct
{
  int n;
  double *c, *s;      /* cos, sin of 2πm/n, m < n */
} Twiddles;

static void
twiddles_init (Twiddles *tw, int n)
{
  tw->n = n;
  tw->c = g_new (double, 2 * n);
  tw->s = tw->c + n;
  for (int m = 0; m < n; m++)
    {
      tw->c[m] = cos (2.0 * G_PI * m / n);
      tw->s[m] = sin (2.0 * G_PI * m / n);
    }
}

/* In-place inverse DFT of length tw->n, unnormalised (the caller divides). */
static void
ifft1 (double *re, double *im, const Twiddles *tw, double *tre, double *tim)
{
  int n = tw->n;
  if ((n & (n - 1)) == 0)
    {
      for (int i = 1, j = 0; i < n; i++)
        {
          int bit = n >> 1;
          for (; j & bit; bit >>= 1)
            j ^= bit;
          j ^= bit;
          if (i < j)
            {
              double t = re[i]; re[i] = re[j]; re[j] = t;
              t = im[i]; im[i] = im[j]; im[j] = t;
            }
        }
      for (int len = 2; len <= n; len <<= 1)
        {
          int step = n / len;
          for (int i = 0; i < n; i += len)
            for (int k = 0; k < len / 2; k++)
              {
                double wr = tw->c[k * step], wi = tw->s[k * step];   /* + sign: inverse */
                int a = i + k, b = i + k + len / 2;
                double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
              }
        }
      return;
    }
  for (int k = 0; k < n; k++)
    {
      double sr = 0, si = 0;
      for (int j = 0, m = 0; j < n; j++, m = (m + k) % n)
        {
          sr += re[j] * tw->c[m] - im[j] * tw->s[m];
          si += re[j] * tw->s[m] + im[j] * tw->c[m];
        }
      tre[k] = sr;
      tim[k] = si;
    }
  memcpy (re, tre, sizeof (double) * n);
  memcpy (im, tim, sizeof (double) * n);
}

/* Inverse 2-D DFT of an H×W spectrum, normalised by 1/(H·W) as numpy/torch ifft2. */
static void
ifft2 (double *re, double *im, const Twiddles *th, const Twiddles *tw, double *work)
{
  int H = th->n, W = tw->n, m = MAX (H, W);
  double *cre = work, *cim = work + m, *tre = cim + m, *tim = tre + m;
  for (int y = 0; y < H; y++)
    ifft1 (re + y * W, im + y * W, tw, tre, tim);
  for (int x = 0; x < W; x++)
    {
      for (int y = 0; y < H; y++)
        {
          cre[y] = re[y * W + x];
          cim[y] = im[y * W + x];
        }
      ifft1 (cre, cim, th, tre, tim);
      for (int y = 0; y < H; y++)
        {
          re[y * W + x] = cre[y] / (H * W);
          im[y * W + x] = cim[y] / (H * W);
        }
    }
}

/* Forward 2-D DFT (unnormalised) through the inverse: F(x) = conj(n · ifft(conj(x))). */
static void
fft2_forward (double *re, double *im, const Twiddles *th, const Twiddles *tw, double *work)
{
  int n = th->n * tw->n;
  for (int i = 0; i < n; i++)
    im[i] = -im[i];
  ifft2 (re, im, th, tw, work);
  for (int i = 0; i < n; i++)
    {
      re[i] *= n;
      im[i] *= -(double) n;
    }
}

static void
make_hermitian (double *re, double *im, int H, int W)
{
  for (int i = 0; i < H; i++)
    for (int j = 0; j < W; j++)
      {
        int si = (H - i) % H, sj = (W - j) % W;
        int a = i * W + j, b = si * W + sj;
        if (a == b)
          im[a] = 0.0;
        else if (a < b)
          {
            re[b] = re[a];
            im[b] = -im[a];
          }
      }
}

static void
phase_scrambled (const DvNoiseParams *p, DvRng *rng, const float *x, float *noise,
                 int B, int C, int H, int W)
{
  int hw = H * W;
  g_autofree double *re = g_new (double, 2 * hw);
  double *im = re + hw;
  g_autofree double *amp = g_new0 (double, hw);
  g_autofree double *work = g_new (double, 4 * MAX (H, W));
  Twiddles th, tw;
  twiddles_init (&th, H);
  twiddles_init (&tw, W);

  if (p->use_image_spectrum)
    {
      for (int bc = 0; bc < B * C; bc++)
        {
          for (int i = 0; i < hw; i++)
            {
              re[i] = x[(gsize) bc * hw + i];
              im[i] = 0.0;
            }
          fft2_forward (re, im, &th, &tw, work);
          for (int i = 0; i < hw; i++)
            amp[i] += hypot (re[i], im[i]) / (B * C);
        }
    }
  else
    for (int y = 0; y < H; y++)
      for (int xx = 0; xx < W; xx++)
        {
          double fy = (y <= (H - 1) / 2 ? y : y - H) / (double) H;
          double fx = (xx <= (W - 1) / 2 ? xx : xx - W) / (double) W;
          double f = sqrt (fx * fx + fy * fy);
          amp[y * W + xx] = f > 0 ? pow (f, p->spectral_exponent / 2.0) : 0.0;  /* no DC */
        }

  for (int bc = 0; bc < B * C; bc++)
    {
      for (int i = 0; i < hw; i++)
        {
          if (p->use_image_spectrum)
            {
              double ph = dv_rng_uniform (rng) * 2.0 * G_PI;
              re[i] = amp[i] * cos (ph);
              im[i] = amp[i] * sin (ph);
            }
          else
            {
              re[i] = dv_rng_normal (rng) * amp[i];
              im[i] = dv_rng_normal (rng) * amp[i];
            }
        }
      make_hermitian (re, im, H, W);
      ifft2 (re, im, &th, &tw, work);
      for (int i = 0; i < hw; i++)
        noise[(gsize) bc * hw + i] = (float) re[i];
    }
  g_free (th.c);
  g_free (tw.c);
}

static void
gaussian_blur (float *noise, int B, int C, int H, int W, int ksize)
{
  if (ksize % 2 == 0)
    ksize++;
  int r = ksize / 2, hw = H * W;
  double sigma = ksize / 6.0, sum = 0.0;
  g_autofree double *k = g_new (double, ksize);
  for (int i = 0; i < ksize; i++)
    sum += k[i] = exp (-0.5 * pow ((i - r) / sigma, 2.0));
  for (int i = 0; i < ksize; i++)
    k[i] /= sum;                     /* the 2-D kernel is the normalised outer product */
  g_autofree float *tmp = g_new (float, hw);
  for (int bc = 0; bc < B * C; bc++)
    {
      float *pl = noise + (gsize) bc * hw;
      for (int y = 0; y < H; y++)    /* rows, zero padding */
        for (int x = 0; x < W; x++)
          {
            double s = 0;
            for (int i = -r; i <= r; i++)
              if (x + i >= 0 && x + i < W)
                s += k[i + r] * pl[y * W + x + i];
            tmp[y * W + x] = (float) s;
          }
      for (int y = 0; y < H; y++)    /* columns */
        for (int x = 0; x < W; x++)
          {
            double s = 0;
            for (int i = -r; i <= r; i++)
              if (y + i >= 0 && y + i < H)
                s += k[i + r] * tmp[(y + i) * W + x];
            pl[y * W + x] = (float) s;
          }
    }
}

/* Scale noise[n] so its unbiased variance is power. */
static void
rescale (float *noise, gsize n, double power)
{
  double v = dv_noise_variance (noise, n);
  float f = v > 1e-8 ? (float) sqrt (power / v) : 0.0f;
  for (gsize i = 0; i < n; i++)
    noise[i] *= f;
}

void
dv_noise_apply (const DvNoiseParams *p, DvRng *rng, const float *x, float *out,
                int B, int C, int H, int W)
{
  dv_noise_apply_with_variance (p, rng, x, out, B, C, H, W,
                                dv_noise_variance (x, (gsize) B * C * H * W));
}

void
dv_noise_apply_with_variance (const DvNoiseParams *p, DvRng *rng, const float *x, float *out,
                              int B, int C, int H, int W, double signal_variance)
{
  gsize n = (gsize) B * C * H * W;
  if (dv_noise_is_off (p->ssnr))
    {
      if (out != x)
        memmove (out, x, n * sizeof (float));
      return;
    }
  double power = signal_variance / dv_noise_snr_from_ssnr (p->ssnr);
  double sd = sqrt (power);

  switch (p->type)
    {
    case DV_NOISE_UNIFORM:
      for (gsize i = 0; i < n; i++)
        out[i] = x[i] + (float) ((dv_rng_uniform (rng) - 0.5) * sd * sqrt (12.0));
      return;

    case DV_NOISE_GAUSSIAN:
      if (!p->spatially_correlated)
        {
          for (gsize i = 0; i < n; i++)
            out[i] = x[i] + (float) (dv_rng_normal (rng) * sd);
          return;
        }
      else
        {
          g_autofree float *noise = g_new (float, n);
          for (gsize i = 0; i < n; i++)
            noise[i] = (float) dv_rng_normal (rng);
          gaussian_blur (noise, B, C, H, W, p->correlation_kernel_size);
          rescale (noise, n, power);
          for (gsize i = 0; i < n; i++)
            out[i] = x[i] + noise[i];
          return;
        }

    case DV_NOISE_SALTPEPPER:
      {
        float lo = x[0], hi = x[0];
        for (gsize i = 1; i < n; i++)
          {
            lo = MIN (lo, x[i]);
            hi = MAX (hi, x[i]);
          }
        double salt = 0, pepper = 0, s = p->salt_vs_pepper;
        for (gsize i = 0; i < n; i++)
          {
            salt += (double) (hi - x[i]) * (hi - x[i]);
            pepper += (double) (lo - x[i]) * (lo - x[i]);
          }
        double per_pixel = (s * salt + (1 - s) * pepper) / (double) n;
        double ratio = power / per_pixel;
        double prob = ratio < 1.0 ? ratio : 1.0;   /* Python's min(1.0, nan) is 1.0 too */
        for (gsize i = 0; i < n; i++)
          {
            gboolean hit = dv_rng_uniform (rng) < prob;
            gboolean is_salt = dv_rng_uniform (rng) < s;
            out[i] = hit ? (is_salt ? hi : lo) : x[i];
          }
        return;
      }

    case DV_NOISE_POISSON:
      {
        float lo = x[0];
        for (gsize i = 1; i < n; i++)
          lo = MIN (lo, x[i]);
        double shift = fabs (lo) + 0.1, scale = MAX (sd, 0.01);
        g_autofree float *noise = g_new (float, n);
        for (gsize i = 0; i < n; i++)
          {
            double lam = MAX (x[i] + shift, 0.1) * scale + 0.1;
            lam = CLAMP (lam, 0.1, 1e6);
            double k = dv_rng_poisson (rng, lam);
            noise[i] = (float) ((k - lam) / sqrt (lam + 1e-8));
          }
        rescale (noise, n, power);
        for (gsize i = 0; i < n; i++)
          out[i] = CLAMP (x[i] + noise[i], -6.0f, 8.0f);
        return;
      }

    case DV_NOISE_PHASESCRAMBLED:
      {
        g_autofree float *noise = g_new (float, n);
        phase_scrambled (p, rng, x, noise, B, C, H, W);
        rescale (noise, n, power);
        for (gsize i = 0; i < n; i++)
          out[i] = x[i] + noise[i];
        return;
      }
    }
}
