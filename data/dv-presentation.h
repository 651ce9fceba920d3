/* dv-presentation.h — temporal presentation of stimuli: DynVision's Stimulus* data loaders
 * (SPEC §4.2), noise over time (§4.3) and the model-side pattern, reaction-time mask and
 * residual extension (§1.7–1.8), with DynVision's parameter names and aliases.
 *
 * For: turning a batch of normalised images into a DvSequence whose schedule says, for every
 * timestep, whether the frame is blank or a stimulus, which presentation it is, its contrast
 * and noise level.  Configs come from "key=value" strings (dv_presentation_parse).
 * Not for: reading datasets, batching, prefetching (dv-loader.h).
 *
 * Loaders and their timelines (I intro blank, S stimulus, G gap, O outro blank):
 *   standard    (n_timesteps 1)          S×T
 *   repetition  (n_timesteps 20)         S×T
 *   duration    (T 30, stim 20, intro 1) I×intro S×stim O×rest
 *   interval    (T 30, stim 2, intro 0, interval 2)  I S×stim G×interval S×stim O
 *   contrast    (T 15, stim 10, intro 2, contrast 1) like duration, S = contrast·image
 *   noise       (T 20, stim T−intro, intro 0, uniform, ssnr 0.5, dynamic, void)  like
 *               duration with noise on S frames
 * Model side, only when the loader yields one frame and model_timesteps > 1: repeat over
 * model_timesteps, stretch the (per-batch shuffled) pattern, blank its zeros, mask labels for
 * R = max(1, ceil(lossrt/dt)) steps after every onset.  Then n_residual_timesteps blank
 * frames are appended and labels shifted right.
 */
#pragma once

#include <glib.h>
#include "dv-noise.h"
#include "dv-sequence.h"

G_BEGIN_DECLS

typedef enum
{
  DV_LOADER_STANDARD,
  DV_LOADER_REPETITION,
  DV_LOADER_DURATION,
  DV_LOADER_INTERVAL,
  DV_LOADER_CONTRAST,
  DV_LOADER_NOISE,
} DvLoaderKind;

typedef enum
{
  DV_TEMPORAL_DYNAMIC,    /* independent noise on every stimulus frame */
  DV_TEMPORAL_STATIC,     /* one noise draw, shown on every stimulus frame */
} DvTemporalMode;

#define DV_PATTERN_MAX 128

typedef struct
{
  DvLoaderKind loader;        /* key loader / dataloader */
  int n_timesteps;            /* aliases dsteps, tsteps, data_timesteps, repeat */
  int stimulus_duration;      /* stim; −1 = None (noise loader: n_timesteps − intro) */
  int intro_duration;         /* intro */
  int interval_duration;      /* interval */
  double stimulus_contrast;   /* contrast */
  DvNoiseParams noise;        /* noise_type (noisetype), ssnr (noiselevel), spatially_correlated
                                 (spatialcorr), correlation_kernel_size, salt_vs_pepper,
                                 use_image_spectrum, spectral_exponent */
  gboolean noise_void;        /* noisevoid: blank periods get (zero-power) noise too */
  DvTemporalMode temporal_mode;   /* tempmode: dynamic | static */
  gboolean has_noise_seed;    /* noise_seed (noiseseed): freeze the noise across batches */
  guint64 noise_seed;
  int non_label_index;        /* voidid, −1 */
  float non_input_value;      /* voidinput, 0 */

  /* model side (SPEC §1.7–1.8) */
  int model_timesteps;        /* the model's n_timesteps; 0 = none (no expansion) */
  char data_presentation_pattern[DV_PATTERN_MAX];   /* pattern, "1" */
  gboolean shuffle_presentation_pattern;           /* shufflepattern, FALSE */
  double loss_reaction_time;  /* lossrt, ms, 0 */
  double dt;                  /* ms, 2 */
  int n_residual_timesteps;   /* residual, 0 (the engine knows the value) */
} DvPresentation;

void        dv_presentation_init (DvPresentation *p, DvLoaderKind loader);
gboolean    dv_loader_kind_from_string (const char *name, DvLoaderKind *kind);
const char *dv_loader_kind_to_string (DvLoaderKind kind);   /* "StimulusDuration", … */

/* Set one parameter by DynVision name or alias (case-insensitive, '-' = '_'). */
gboolean    dv_presentation_set (DvPresentation *p, const char *key, const char *value,
                                 GError **error);
/* Apply "key=value" strings (NULL-terminated).  A loader=/dataloader= entry is applied first
 * and resets every other field to that loader's defaults. */
gboolean    dv_presentation_parse (DvPresentation *p, const char *const *assignments,
                                   GError **error);
gboolean    dv_presentation_validate (const DvPresentation *p, GError **error);
/* After the caller replaced what the model decides (dt, model_timesteps, the pattern, …):
 * each of `assignments` either still holds in `p` or is refused, naming the key, the value
 * typed, the value used and `owner` ("the model"), so no setting is dropped silently. */
gboolean    dv_presentation_check_applied (const DvPresentation *p, const char *const *assignments,
                                           const char *owner, GError **error);
/* "loader=StimulusDuration n_timesteps=30 …": every field, parseable again. */
char       *dv_presentation_to_string (const DvPresentation *p);

int         dv_presentation_get_data_timesteps (const DvPresentation *p);  /* loader's T */
int         dv_presentation_get_timesteps (const DvPresentation *p);       /* final T */

/* The schedule alone (dv_presentation_get_timesteps entries); `seed` matters only for a
 * shuffled pattern and equals the one given to dv_presentation_build for the same batch. */
gboolean    dv_presentation_schedule (const DvPresentation *p, guint64 seed,
                                      DvScheduleEntry *out, GError **error);

/* images: B×C×H×W normalised; classes: B.  `seed` drives pattern shuffling and noise. */
DvSequence *dv_presentation_build (const DvPresentation *p, const float *images,
                                   const int *classes, int B, int C, int H, int W,
                                   guint64 seed, GError **error);

/* Pattern helpers (SPEC §1.8).  Text: digits "1011" or a list "[1, 0, 1, 1]". */
gboolean    dv_pattern_parse (const char *text, guint8 *base, int *length, GError **error);
void        dv_pattern_stretch (const guint8 *base, int length, int T, guint8 *out);
void        dv_pattern_reaction_mask (const guint8 *pattern, int T, double loss_reaction_time,
                                      double dt, guint8 *mask);

G_END_DECLS
