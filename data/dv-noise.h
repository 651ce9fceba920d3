/* dv-noise.h — DynVision's stimulus noise models with SNR control (SPEC §4.3).
 *
 * For: adding uniform, gaussian (optionally spatially correlated), salt-and-pepper, poisson
 * or phase-scrambled 1/f noise to one batch of normalised images x[B,C,H,W], with the noise
 * power P_n = var(x)/snr, var being the unbiased variance over the whole batch, and
 * snr = ssnr/(1−ssnr).
 * Not for: temporal bookkeeping (static vs dynamic, void periods): dv-presentation.c calls
 * this once per noisy frame or once per batch.
 *
 * Deviations from DynVision (also in doc/data.md):
 *  - ssnr = 0 gives infinite noise there; here snr is clamped to DV_NOISE_SNR_MIN (noise std
 *    10× the signal std), finite and still far below chance-level visibility.
 *  - synthetic phase-scrambled noise has no DC component: DynVision weights the DC bin by
 *    1e4, which makes >99.99 % of its "1/f" noise power a constant offset per image and
 *    channel.  Spectra get full Hermitian symmetry (DynVision skips row and column 0).
 *  - random streams differ (statistical equivalence only).
 */
#pragma once

#include <glib.h>
#include "dv-rng.h"

G_BEGIN_DECLS

#define DV_NOISE_SNR_MIN 0.01

typedef enum
{
  DV_NOISE_UNIFORM,
  DV_NOISE_GAUSSIAN,
  DV_NOISE_SALTPEPPER,
  DV_NOISE_POISSON,
  DV_NOISE_PHASESCRAMBLED,
} DvNoiseType;

typedef struct
{
  DvNoiseType type;
  double ssnr;                    /* [0, 1]; 1 = no noise */
  gboolean spatially_correlated;  /* gaussian; alias spatialcorr */
  int correlation_kernel_size;    /* gaussian, 7 (made odd) */
  double salt_vs_pepper;          /* saltpepper, 0.5 */
  gboolean use_image_spectrum;    /* phasescrambled, FALSE: synthetic 1/f */
  double spectral_exponent;       /* phasescrambled, −1 (pink) */
} DvNoiseParams;

void        dv_noise_params_init (DvNoiseParams *params);
const char *dv_noise_type_to_string (DvNoiseType type);
gboolean    dv_noise_type_from_string (const char *name, DvNoiseType *type);

/* snr for an ssnr (clamped to >= DV_NOISE_SNR_MIN; G_MAXDOUBLE for ssnr >= 1). */
double      dv_noise_snr_from_ssnr (double ssnr);
/* TRUE when DynVision would skip the noise: |ssnr−1| < 1e-4 or snr > 1000. */
gboolean    dv_noise_is_off (double ssnr);
/* Unbiased variance of n floats (double accumulation). */
double      dv_noise_variance (const float *x, gsize n);

/* out = noisy version of x (both B×C×H×W; out may equal x).  Deterministic given rng. */
void        dv_noise_apply (const DvNoiseParams *params, DvRng *rng,
                            const float *x, float *out, int B, int C, int H, int W);
/* The same with var(x) already known (a batch noised once per frame computes it once). */
void        dv_noise_apply_with_variance (const DvNoiseParams *params, DvRng *rng,
                                          const float *x, float *out, int B, int C, int H,
                                          int W, double signal_variance);

G_END_DECLS
