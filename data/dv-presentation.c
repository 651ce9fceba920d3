/* dv-presentation.c — DvPresentation: defaults, key=value parsing with DynVision's aliases,
 * validation, the per-timestep schedule and building a DvSequence from a batch of images.
 *
 * For: the semantics of SPEC §4.2–4.4 and §1.7–1.8 (see dv-presentation.h).
 * Not for: the noise formulas (dv-noise.c) or where images come from (dv-loader.c).
 */
#include "dv-presentation.h"
#include "dv-value.h"
#include "dv-dataset.h"

#include <math.h>
#include <string.h>

static const char *const loader_names[] = {
  "Standard", "StimulusRepetition", "StimulusDuration",
  "StimulusInterval", "StimulusContrast", "StimulusNoise"
};

void
dv_presentation_init (DvPresentation *p, DvLoaderKind loader)
{
  memset (p, 0, sizeof *p);
  p->loader = loader;
  p->stimulus_duration = 0;
  p->stimulus_contrast = 1.0;
  dv_noise_params_init (&p->noise);
  p->noise_void = TRUE;
  p->temporal_mode = DV_TEMPORAL_DYNAMIC;
  p->non_label_index = -1;
  p->non_input_value = 0.0f;
  g_strlcpy (p->data_presentation_pattern, "1", DV_PATTERN_MAX);
  p->dt = 2.0;
  switch (loader)
    {
    case DV_LOADER_STANDARD:
      p->n_timesteps = 1;
      break;
    case DV_LOADER_REPETITION:
      p->n_timesteps = 20;
      break;
    case DV_LOADER_DURATION:
      p->n_timesteps = 30;
      p->stimulus_duration = 20;
      p->intro_duration = 1;
      break;
    case DV_LOADER_INTERVAL:
      p->n_timesteps = 30;
      p->stimulus_duration = 2;
      p->interval_duration = 2;
      break;
    case DV_LOADER_CONTRAST:
      p->n_timesteps = 15;
      p->stimulus_duration = 10;
      p->intro_duration = 2;
      break;
    case DV_LOADER_NOISE:
      p->n_timesteps = 20;
      p->stimulus_duration = -1;
      break;
    }
}

gboolean
dv_loader_kind_from_string (const char *name, DvLoaderKind *kind)
{
  g_autofree char *key = g_ascii_strdown (name, -1);
  if (g_str_has_suffix (key, "dataloader"))
    key[strlen (key) - strlen ("dataloader")] = '\0';
  const char *k = g_str_has_prefix (key, "stimulus") ? key + strlen ("stimulus") : key;
  static const char *const short_names[] = { "standard", "repetition", "duration",
                                             "interval", "contrast", "noise" };
  for (gsize i = 0; i < G_N_ELEMENTS (short_names); i++)
    if (g_str_equal (k, short_names[i]))
      {
        *kind = (DvLoaderKind) i;
        return TRUE;
      }
  if (g_str_equal (k, "repeat"))
    {
      *kind = DV_LOADER_REPETITION;
      return TRUE;
    }
  return FALSE;
}

const char *
dv_loader_kind_to_string (DvLoaderKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (loader_names), NULL);
  return loader_names[kind];
}

/* ---- key=value parsing ---- */

typedef enum
{
  K_LOADER, K_T, K_STIM, K_INTRO, K_INTERVAL, K_CONTRAST, K_NOISETYPE, K_SSNR, K_SPATIALCORR,
  K_KSIZE, K_SVP, K_IMGSPEC, K_SPECEXP, K_NOISEVOID, K_TEMPMODE, K_NOISESEED, K_VOIDID,
  K_VOIDINPUT, K_MODEL_T, K_PATTERN, K_SHUFFLE, K_LOSSRT, K_DT, K_RESIDUAL,
} Key;

static const struct
{
  const char *name;
  Key key;
} key_table[] = {
  { "loader", K_LOADER }, { "dataloader", K_LOADER },
  { "n_timesteps", K_T }, { "dsteps", K_T }, { "tsteps", K_T }, { "data_timesteps", K_T },
  { "repeat", K_T },
  { "stimulus_duration", K_STIM }, { "stim", K_STIM },
  { "intro_duration", K_INTRO }, { "intro", K_INTRO },
  { "interval_duration", K_INTERVAL }, { "interval", K_INTERVAL },
  { "stimulus_contrast", K_CONTRAST }, { "contrast", K_CONTRAST },
  { "noise_type", K_NOISETYPE }, { "noisetype", K_NOISETYPE },
  { "ssnr", K_SSNR }, { "noiselevel", K_SSNR },
  { "spatially_correlated", K_SPATIALCORR }, { "spatialcorr", K_SPATIALCORR },
  { "correlation_kernel_size", K_KSIZE },
  { "salt_vs_pepper", K_SVP },
  { "use_image_spectrum", K_IMGSPEC },
  { "spectral_exponent", K_SPECEXP },
  { "noise_void", K_NOISEVOID }, { "noisevoid", K_NOISEVOID },
  { "temporal_mode", K_TEMPMODE }, { "tempmode", K_TEMPMODE },
  { "noise_seed", K_NOISESEED }, { "noiseseed", K_NOISESEED },
  { "non_label_index", K_VOIDID }, { "voidid", K_VOIDID },
  { "non_input_value", K_VOIDINPUT }, { "voidinput", K_VOIDINPUT },
  { "model_timesteps", K_MODEL_T },
  { "data_presentation_pattern", K_PATTERN }, { "pattern", K_PATTERN },
  { "shuffle_presentation_pattern", K_SHUFFLE }, { "shufflepattern", K_SHUFFLE },
  { "loss_reaction_time", K_LOSSRT }, { "lossrt", K_LOSSRT },
  { "dt", K_DT },
  { "n_residual_timesteps", K_RESIDUAL }, { "residual", K_RESIDUAL },
};

/* Values go through base/dv-value.h (the whole text, no NaN/inf, the range
 * named); the message is kept, the domain is this module's. */
static gboolean
refused (GError **error, GError *local)
{
  g_set_error_literal (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID, local->message);
  g_error_free (local);
  return FALSE;
}

static gboolean
parse_int (const char *key, const char *v, int lo, int *out, GError **error)
{
  GError *local = NULL;
  gint64 x;
  if (!dv_value_parse_int (key, v, lo, G_MAXINT, &x, &local))
    return refused (error, local);
  *out = (int) x;
  return TRUE;
}

static gboolean
parse_range (const char *key, const char *v, double lo, double hi, DvValueFlags flags, double *out,
             GError **error)
{
  GError *local = NULL;
  if (!dv_value_parse_double (key, v, lo, hi, flags, out, &local))
    return refused (error, local);
  return TRUE;
}

static gboolean
parse_double (const char *key, const char *v, double *out, GError **error)
{
  return parse_range (key, v, -INFINITY, INFINITY, 0, out, error);
}

static gboolean
parse_bool (const char *key, const char *v, gboolean *out, GError **error)
{
  GError *local = NULL;
  if (!dv_value_parse_bool (key, v, out, &local))
    return refused (error, local);
  return TRUE;
}

static gboolean
is_none (const char *v)
{
  return g_ascii_strcasecmp (v, "none") == 0 || g_ascii_strcasecmp (v, "null") == 0;
}

gboolean
dv_presentation_set (DvPresentation *p, const char *key, const char *value, GError **error)
{
  g_return_val_if_fail (p && key && value, FALSE);
  g_autofree char *k = g_ascii_strdown (key, -1);
  g_strdelimit (k, "-", '_');
  const char *v = value;
  gsize i;
  for (i = 0; i < G_N_ELEMENTS (key_table); i++)
    if (g_str_equal (k, key_table[i].name))
      break;
  if (i == G_N_ELEMENTS (key_table))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "unknown presentation parameter '%s'", key);
      return FALSE;
    }

  double d;
  switch (key_table[i].key)
    {
    case K_LOADER:
      if (!dv_loader_kind_from_string (v, &p->loader))
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                       "unknown loader '%s' (standard, repetition, duration, interval, "
                       "contrast, noise)", v);
          return FALSE;
        }
      return TRUE;
    case K_T:
      return parse_int (key, v, 1, &p->n_timesteps, error);
    case K_STIM:
      if (is_none (v))
        return (p->stimulus_duration = -1, TRUE);
      return parse_int (key, v, 0, &p->stimulus_duration, error);
    case K_INTRO:
      return parse_int (key, v, 0, &p->intro_duration, error);
    case K_INTERVAL:
      return parse_int (key, v, 0, &p->interval_duration, error);
    case K_CONTRAST:
      return parse_range (key, v, 0, 1e6, 0, &p->stimulus_contrast, error);
    case K_NOISETYPE:
      if (!dv_noise_type_from_string (v, &p->noise.type))
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                       "unknown noise type '%s' (uniform, gaussian, saltpepper, poisson, "
                       "phasescrambled)", v);
          return FALSE;
        }
      return TRUE;
    case K_SSNR:
      return parse_range (key, v, 0, 1, 0, &p->noise.ssnr, error);
    case K_SPATIALCORR:
      return parse_bool (key, v, &p->noise.spatially_correlated, error);
    case K_KSIZE:
      return parse_int (key, v, 1, &p->noise.correlation_kernel_size, error);
    case K_SVP:
      return parse_range (key, v, 0, 1, 0, &p->noise.salt_vs_pepper, error);
    case K_IMGSPEC:
      return parse_bool (key, v, &p->noise.use_image_spectrum, error);
    case K_SPECEXP:
      return parse_double (key, v, &p->noise.spectral_exponent, error);
    case K_NOISEVOID:
      return parse_bool (key, v, &p->noise_void, error);
    case K_TEMPMODE:
      if (g_ascii_strcasecmp (v, "dynamic") == 0)
        p->temporal_mode = DV_TEMPORAL_DYNAMIC;
      else if (g_ascii_strcasecmp (v, "static") == 0)
        p->temporal_mode = DV_TEMPORAL_STATIC;
      else
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                       "temporal_mode '%s' not supported (dynamic or static; DynVision's "
                       "'correlated' is not implemented there either)", v);
          return FALSE;
        }
      return TRUE;
    case K_NOISESEED:
      if (is_none (v) || g_ascii_strcasecmp (v, "indexed") == 0)
        return (p->has_noise_seed = FALSE, TRUE);
      gint64 seed;
      if (!dv_value_parse_int (key, v, 0, G_MAXINT64, &seed, NULL))
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                       "noise_seed needs an unsigned integer or none, got '%s'", v);
          return FALSE;
        }
      p->noise_seed = (guint64) seed;
      p->has_noise_seed = TRUE;
      return TRUE;
    case K_VOIDID:
      {
        gint64 x;
        GError *local = NULL;
        if (!dv_value_parse_int (key, v, G_MININT, G_MAXINT, &x, &local))
          return refused (error, local);
        p->non_label_index = (int) x;
        return TRUE;
      }
    case K_VOIDINPUT:
      if (!parse_double (key, v, &d, error))
        return FALSE;
      p->non_input_value = (float) d;
      return TRUE;
    case K_MODEL_T:
      return parse_int (key, v, 0, &p->model_timesteps, error);
    case K_PATTERN:
      {
        guint8 base[DV_PATTERN_MAX];
        int len;
        if (!dv_pattern_parse (v, base, &len, error))
          return FALSE;
        g_strlcpy (p->data_presentation_pattern, v, DV_PATTERN_MAX);
        return TRUE;
      }
    case K_SHUFFLE:
      return parse_bool (key, v, &p->shuffle_presentation_pattern, error);
    case K_LOSSRT:
      return parse_range (key, v, 0, 1e6, 0, &p->loss_reaction_time, error);
    case K_DT:
      return parse_range (key, v, 0, 1e6, DV_VALUE_MIN_OPEN, &p->dt, error);
    case K_RESIDUAL:
      return parse_int (key, v, 0, &p->n_residual_timesteps, error);
    }
  return FALSE;
}

gboolean
dv_presentation_check_applied (const DvPresentation *p, const char *const *assignments, const char *owner,
                               GError **error)
{
  g_return_val_if_fail (p != NULL, FALSE);
  for (int i = 0; assignments != NULL && assignments[i] != NULL; i++)
    {
      const char *eq = strchr (assignments[i], '=');
      if (eq == NULL)
        continue;
      g_autofree char *key = g_strstrip (g_strndup (assignments[i], eq - assignments[i]));
      g_autofree char *val = g_strstrip (g_strdup (eq + 1));
      if (g_ascii_strcasecmp (key, "loader") == 0 || g_ascii_strcasecmp (key, "dataloader") == 0)
        continue;
      DvPresentation q = *p;
      if (!dv_presentation_set (&q, key, val, NULL) || memcmp (&q, p, sizeof q) == 0)
        continue;
      /* the value in use, by the canonical name (the first of its aliases) */
      g_autofree char *k = g_ascii_strdown (key, -1);
      g_strdelimit (k, "-", '_');
      const char *canon = k;
      for (gsize a = 0; a < G_N_ELEMENTS (key_table); a++)
        if (g_str_equal (k, key_table[a].name))
          {
            for (gsize b = 0; b < G_N_ELEMENTS (key_table); b++)
              if (key_table[b].key == key_table[a].key)
                {
                  canon = key_table[b].name;
                  break;
                }
            break;
          }
      g_autofree char *all = dv_presentation_to_string (p);
      g_autofree char *needle = g_strdup_printf ("%s=", canon);
      const char *at = strstr (all, needle);
      g_autofree char *used = at ? g_strndup (at + strlen (needle), strcspn (at + strlen (needle), " ")) : NULL;
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "%s=%s is not used: %s decides %s (%s=%s); set it there instead", key, val, owner, canon,
                   canon, used ? used : "?");
      return FALSE;
    }
  return TRUE;
}

gboolean
dv_presentation_parse (DvPresentation *p, const char *const *assignments, GError **error)
{
  if (!assignments)
    return TRUE;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; assignments[i]; i++)
      {
        const char *eq = strchr (assignments[i], '=');
        if (!eq)
          {
            g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                         "presentation setting '%s' is not key=value", assignments[i]);
            return FALSE;
          }
        g_autofree char *key = g_strstrip (g_strndup (assignments[i], eq - assignments[i]));
        g_autofree char *val = g_strstrip (g_strdup (eq + 1));
        gboolean is_loader = g_ascii_strcasecmp (key, "loader") == 0
                             || g_ascii_strcasecmp (key, "dataloader") == 0;
        if (is_loader != (pass == 0))
          continue;
        if (!dv_presentation_set (p, key, val, error))
          return FALSE;
        if (is_loader)
          dv_presentation_init (p, p->loader);
      }
  return TRUE;
}

static int
stim_frames (const DvPresentation *p)
{
  if (p->loader == DV_LOADER_STANDARD || p->loader == DV_LOADER_REPETITION)
    return p->n_timesteps;
  if (p->loader == DV_LOADER_NOISE && p->stimulus_duration < 0)
    return p->n_timesteps - p->intro_duration;
  return p->stimulus_duration;
}

gboolean
dv_presentation_validate (const DvPresentation *p, GError **error)
{
  if (p->n_timesteps < 1)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "n_timesteps must be at least 1 (got %d)", p->n_timesteps);
      return FALSE;
    }
  if (p->intro_duration < 0 || p->interval_duration < 0
      || (p->stimulus_duration < 0 && p->loader != DV_LOADER_NOISE))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "durations must not be negative (stim %d, intro %d, interval %d)",
                   p->stimulus_duration, p->intro_duration, p->interval_duration);
      return FALSE;
    }
  int stim = stim_frames (p);
  int used = 0;
  switch (p->loader)
    {
    case DV_LOADER_DURATION:
    case DV_LOADER_CONTRAST:
    case DV_LOADER_NOISE:
      used = p->intro_duration + stim;
      break;
    case DV_LOADER_INTERVAL:
      used = p->intro_duration + 2 * stim + p->interval_duration;
      break;
    default:
      break;
    }
  if (used > p->n_timesteps || stim < 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "%s: not enough timesteps for the stimulus presentation (n_timesteps=%d, "
                   "stimulus_duration=%d%s, intro_duration=%d, interval_duration=%d)",
                   dv_loader_kind_to_string (p->loader), p->n_timesteps, stim,
                   p->loader == DV_LOADER_INTERVAL ? " x2" : "", p->intro_duration,
                   p->interval_duration);
      return FALSE;
    }
  if (!(p->noise.ssnr >= 0.0 && p->noise.ssnr <= 1.0))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "ssnr must be between 0 and 1 (got %g)", p->noise.ssnr);
      return FALSE;
    }
  if (!(p->noise.salt_vs_pepper >= 0.0 && p->noise.salt_vs_pepper <= 1.0))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "salt_vs_pepper must be between 0 and 1 (got %g)", p->noise.salt_vs_pepper);
      return FALSE;
    }
  if (p->loss_reaction_time > 0 && !(p->dt > 0))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "loss_reaction_time needs dt > 0 (got dt=%g)", p->dt);
      return FALSE;
    }
  guint8 base[DV_PATTERN_MAX];
  int len;
  if (!dv_pattern_parse (p->data_presentation_pattern, base, &len, error))
    return FALSE;
  if (p->model_timesteps < 0 || p->n_residual_timesteps < 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "model_timesteps and n_residual_timesteps must not be negative");
      return FALSE;
    }
  return TRUE;
}

char *
dv_presentation_to_string (const DvPresentation *p)
{
  char c[G_ASCII_DTOSTR_BUF_SIZE], s[G_ASCII_DTOSTR_BUF_SIZE], l[G_ASCII_DTOSTR_BUF_SIZE];
  char d[G_ASCII_DTOSTR_BUF_SIZE], v[G_ASCII_DTOSTR_BUF_SIZE], e[G_ASCII_DTOSTR_BUF_SIZE];
  char sp[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *seed = p->has_noise_seed
    ? g_strdup_printf ("%" G_GUINT64_FORMAT, p->noise_seed) : g_strdup ("none");
  g_autofree char *stim = p->stimulus_duration < 0
    ? g_strdup ("none") : g_strdup_printf ("%d", p->stimulus_duration);
  return g_strdup_printf (
    "loader=%s n_timesteps=%d stimulus_duration=%s intro_duration=%d interval_duration=%d "
    "stimulus_contrast=%s noise_type=%s ssnr=%s spatially_correlated=%s "
    "correlation_kernel_size=%d salt_vs_pepper=%s use_image_spectrum=%s spectral_exponent=%s "
    "noise_void=%s temporal_mode=%s noise_seed=%s non_label_index=%d non_input_value=%s "
    "model_timesteps=%d data_presentation_pattern=%s shuffle_presentation_pattern=%s "
    "loss_reaction_time=%s dt=%s n_residual_timesteps=%d",
    dv_loader_kind_to_string (p->loader), p->n_timesteps, stim, p->intro_duration,
    p->interval_duration, g_ascii_dtostr (c, sizeof c, p->stimulus_contrast),
    dv_noise_type_to_string (p->noise.type), g_ascii_dtostr (s, sizeof s, p->noise.ssnr),
    p->noise.spatially_correlated ? "true" : "false", p->noise.correlation_kernel_size,
    g_ascii_dtostr (sp, sizeof sp, p->noise.salt_vs_pepper),
    p->noise.use_image_spectrum ? "true" : "false",
    g_ascii_dtostr (e, sizeof e, p->noise.spectral_exponent),
    p->noise_void ? "true" : "false",
    p->temporal_mode == DV_TEMPORAL_STATIC ? "static" : "dynamic", seed, p->non_label_index,
    g_ascii_dtostr (v, sizeof v, p->non_input_value), p->model_timesteps,
    p->data_presentation_pattern, p->shuffle_presentation_pattern ? "true" : "false",
    g_ascii_dtostr (l, sizeof l, p->loss_reaction_time), g_ascii_dtostr (d, sizeof d, p->dt),
    p->n_residual_timesteps);
}

/* ---- pattern (SPEC §1.8) ---- */

gboolean
dv_pattern_parse (const char *text, guint8 *base, int *length, GError **error)
{
  int n = 0;
  for (const char *c = text; *c; c++)
    {
      if (*c == '0' || *c == '1')
        {
          if (n == DV_PATTERN_MAX)
            {
              g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                           "presentation pattern '%s' longer than %d entries", text,
                           DV_PATTERN_MAX);
              return FALSE;
            }
          base[n++] = (guint8) (*c - '0');
        }
      else if (!strchr ("[](), \t", *c))
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                       "presentation pattern '%s': only 0 and 1 entries are allowed", text);
          return FALSE;
        }
    }
  if (n == 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "data_presentation_pattern must not be empty");
      return FALSE;
    }
  *length = n;
  return TRUE;
}

void
dv_pattern_stretch (const guint8 *base, int length, int T, guint8 *out)
{
  for (int t = 0; t < T; t++)
    out[t] = length == 1 ? base[0] : base[MIN (length - 1, (int) ((gint64) t * length / T))];
}

void
dv_pattern_reaction_mask (const guint8 *pattern, int T, double loss_reaction_time, double dt,
                          guint8 *mask)
{
  memset (mask, 0, T);
  if (loss_reaction_time <= 0)
    return;
  int R = MAX (1, (int) ceil (loss_reaction_time / dt));
  for (int t = 0; t < T; t++)
    if (pattern[t] && (t == 0 || !pattern[t - 1]))
      for (int k = t; k < MIN (T, t + R); k++)
        mask[k] = 1;
}

/* ---- schedule and build ---- */

int
dv_presentation_get_data_timesteps (const DvPresentation *p)
{
  return p->n_timesteps;
}

int
dv_presentation_get_timesteps (const DvPresentation *p)
{
  int T = p->n_timesteps == 1 && p->model_timesteps > 1 ? p->model_timesteps : p->n_timesteps;
  return T + p->n_residual_timesteps;
}

static gboolean
noise_active (const DvPresentation *p)
{
  return p->loader == DV_LOADER_NOISE && !dv_noise_is_off (p->noise.ssnr);
}

static int
n_variants (const DvPresentation *p)
{
  if (noise_active (p) && p->temporal_mode == DV_TEMPORAL_DYNAMIC)
    return MAX (1, stim_frames (p));
  return 1;
}

static void
set_blank (DvScheduleEntry *e, DvPhase phase)
{
  *e = (DvScheduleEntry) { .kind = DV_FRAME_BLANK, .phase = phase, .contrast = 0.0f,
                           .ssnr = 1.0f, .variant = -1 };
}

static void
set_stim (const DvPresentation *p, DvScheduleEntry *e, int presentation, int variant)
{
  *e = (DvScheduleEntry) {
    .kind = DV_FRAME_STIMULUS, .phase = DV_PHASE_STIMULUS, .presentation = presentation,
    .contrast = p->loader == DV_LOADER_CONTRAST ? (float) p->stimulus_contrast : 1.0f,
    .ssnr = p->loader == DV_LOADER_NOISE ? (float) p->noise.ssnr : 1.0f,
    .variant = variant,
  };
}

gboolean
dv_presentation_schedule (const DvPresentation *p, guint64 seed, DvScheduleEntry *out,
                          GError **error)
{
  if (!dv_presentation_validate (p, error))
    return FALSE;
  int Td = p->n_timesteps, stim = stim_frames (p), t = 0, k = 0;
  gboolean per_frame = n_variants (p) > 1;
  g_autofree DvScheduleEntry *base = g_new0 (DvScheduleEntry, Td);

  if (p->loader == DV_LOADER_STANDARD || p->loader == DV_LOADER_REPETITION)
    for (; t < Td; t++)
      set_stim (p, &base[t], 1, 0);
  else
    {
      for (; t < p->intro_duration; t++)
        set_blank (&base[t], DV_PHASE_INTRO);
      for (int s = 0; s < stim; s++, t++, k++)
        set_stim (p, &base[t], 1, per_frame ? k : 0);
      if (p->loader == DV_LOADER_INTERVAL)
        {
          for (int g = 0; g < p->interval_duration; g++, t++)
            set_blank (&base[t], DV_PHASE_INTERVAL);
          for (int s = 0; s < stim; s++, t++)
            set_stim (p, &base[t], 2, 0);
        }
      for (; t < Td; t++)
        set_blank (&base[t], DV_PHASE_OUTRO);
    }

  int T = dv_presentation_get_timesteps (p) - p->n_residual_timesteps;
  if (Td == 1 && p->model_timesteps > 1)
    {
      guint8 pb[DV_PATTERN_MAX];
      int len;
      dv_pattern_parse (p->data_presentation_pattern, pb, &len, NULL);
      if (p->shuffle_presentation_pattern && len > 1)
        {
          DvRng rng;
          int perm[DV_PATTERN_MAX];
          guint8 shuffled[DV_PATTERN_MAX];
          dv_rng_init (&rng, dv_rng_mix (seed, 0x7061747465726eull));
          for (int i = 0; i < len; i++)
            perm[i] = i;
          dv_rng_shuffle (&rng, perm, len);
          for (int i = 0; i < len; i++)
            shuffled[i] = pb[perm[i]];
          memcpy (pb, shuffled, len);
        }
      g_autofree guint8 *pat = g_new (guint8, T);
      g_autofree guint8 *mask = g_new (guint8, T);
      dv_pattern_stretch (pb, len, T, pat);
      dv_pattern_reaction_mask (pat, T, p->loss_reaction_time, p->dt, mask);
      int presentation = 0;
      for (int i = 0; i < T; i++)
        {
          if (pat[i] && (i == 0 || !pat[i - 1]))
            presentation++;
          if (!pat[i])
            set_blank (&out[i], DV_PHASE_PATTERN_OFF);
          else
            {
              out[i] = base[0];
              if (out[i].kind == DV_FRAME_STIMULUS)
                out[i].presentation = presentation;
            }
          out[i].label_masked = mask[i] && out[i].kind == DV_FRAME_STIMULUS;
        }
    }
  else
    memcpy (out, base, sizeof (DvScheduleEntry) * Td);

  for (int r = 0; r < p->n_residual_timesteps; r++)
    set_blank (&out[T + r], DV_PHASE_RESIDUAL);
  return TRUE;
}

DvSequence *
dv_presentation_build (const DvPresentation *p, const float *images, const int *classes,
                       int B, int C, int H, int W, guint64 seed, GError **error)
{
  g_return_val_if_fail (p && images && classes && B > 0 && C > 0 && H > 0 && W > 0, NULL);
  if (!dv_presentation_validate (p, error))
    return NULL;
  int T = dv_presentation_get_timesteps (p), nres = p->n_residual_timesteps;
  int nv = n_variants (p);
  DvSequence *seq = dv_sequence_new (B, T, C, H, W, nv);
  seq->blank_value = p->non_input_value;
  seq->n_residual = nres;
  memcpy (seq->classes, classes, sizeof (int) * B);
  dv_presentation_schedule (p, seed, seq->schedule, NULL);

  gsize fsz = dv_sequence_frame_size (seq);
  if (noise_active (p))
    {
      guint64 stream = dv_rng_mix (p->has_noise_seed ? p->noise_seed : seed, 0x6e6f697365ull);
      double var = dv_noise_variance (images, fsz);
      for (int v = 0; v < nv; v++)
        {
          DvRng rng;
          dv_rng_init (&rng, dv_rng_mix (stream, (guint64) v));
          dv_noise_apply_with_variance (&p->noise, &rng, images, seq->variants + v * fsz,
                                        B, C, H, W, var);
        }
    }
  else
    {
      float contrast = p->loader == DV_LOADER_CONTRAST ? (float) p->stimulus_contrast : 1.0f;
      for (gsize i = 0; i < fsz; i++)
        seq->variants[i] = images[i] * contrast;
    }

  /* labels: class on scored stimulus frames, shifted right by the residual steps */
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      {
        int src = t - nres;
        const DvScheduleEntry *e = src >= 0 ? &seq->schedule[src] : NULL;
        gboolean scored = e && e->kind == DV_FRAME_STIMULUS && !e->label_masked;
        seq->labels[(gsize) b * T + t] = scored ? classes[b] : p->non_label_index;
      }
  return seq;
}
