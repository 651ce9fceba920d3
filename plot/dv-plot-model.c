/* dv-plot-model.c — ranges, series rings, schedule bands, latency, ticks.
 *
 * What this is for: the arithmetic behind the plots, kept apart from Cairo
 * so the tests can check it exactly.
 * What this is not for: drawing (dv-plot-*.c) or file output (dv-plot-export.c).
 */
#include "dv-plot-model.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- ranges --------------------------------------------------------------- */

void
dv_range_init (DvRange *r)
{
  g_return_if_fail (r != NULL);
  r->min = INFINITY;
  r->max = -INFINITY;
}

gboolean
dv_range_is_empty (const DvRange *r)
{
  return !(r->min <= r->max);
}

void
dv_range_include_value (DvRange *r, float v)
{
  if (!isfinite (v))
    return;
  if (v < r->min)
    r->min = v;
  if (v > r->max)
    r->max = v;
}

void
dv_range_include (DvRange *r, const float *values, gsize n)
{
  g_return_if_fail (r != NULL);
  g_return_if_fail (n == 0 || values != NULL);
  float lo = r->min, hi = r->max;
  for (gsize i = 0; i < n; i++)
    {
      float v = values[i];
      if (!isfinite (v))
        continue;
      if (v < lo)
        lo = v;
      if (v > hi)
        hi = v;
    }
  r->min = lo;
  r->max = hi;
}

void
dv_range_make_symmetric (DvRange *r)
{
  if (dv_range_is_empty (r))
    return;
  float m = MAX (fabsf (r->min), fabsf (r->max));
  r->min = -m;
  r->max = m;
}

float
dv_range_normalise (const DvRange *r, float v)
{
  if (dv_range_is_empty (r) || isnan (v))
    return NAN;
  if (r->max == r->min)
    return 0.5f;
  return (v - r->min) / (r->max - r->min);
}

const char *
dv_scale_scope_name (DvScaleScope scope)
{
  static const char *const names[DV_SCALE_N] = { "per-channel", "per-layer", "global" };
  g_return_val_if_fail (scope < DV_SCALE_N, NULL);
  return names[scope];
}

const char *
dv_scale_scope_label (DvScaleScope scope)
{
  static const char *const labels[DV_SCALE_N] = { N_("per channel"), N_("per layer"), N_("whole sequence") };
  g_return_val_if_fail (scope < DV_SCALE_N, NULL);
  return g_dgettext (GETTEXT_PACKAGE, labels[scope]);
}

void
dv_fmap_ranges (const float *maps, int C, int H, int W, DvScaleScope scope,
                const DvRange *global, gboolean symmetric, DvRange *ranges)
{
  g_return_if_fail (maps != NULL && ranges != NULL);
  g_return_if_fail (scope != DV_SCALE_GLOBAL || global != NULL);
  gsize hw = (gsize) H * W;

  switch (scope)
    {
    case DV_SCALE_PER_CHANNEL:
      {
        /* a constant channel has no range of its own: it is shown where its value
         * sits in the layer's range, not in the colour of mid-scale */
        DvRange all;
        dv_range_init (&all);
        dv_range_include (&all, maps, hw * C);
        for (int c = 0; c < C; c++)
          {
            dv_range_init (&ranges[c]);
            dv_range_include (&ranges[c], maps + c * hw, hw);
            if (!dv_range_is_empty (&ranges[c]) && ranges[c].max == ranges[c].min)
              ranges[c] = all;
          }
      }
      break;
    case DV_SCALE_PER_LAYER:
      {
        DvRange all;
        dv_range_init (&all);
        dv_range_include (&all, maps, hw * C);
        for (int c = 0; c < C; c++)
          ranges[c] = all;
      }
      break;
    case DV_SCALE_GLOBAL:
    default:
      for (int c = 0; c < C; c++)
        ranges[c] = *global;
      break;
    }
  if (symmetric)
    for (int c = 0; c < C; c++)
      dv_range_make_symmetric (&ranges[c]);
}

void
dv_fmap_normalise (const float *channel, gsize n, const DvRange *range, float *dst)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = dv_range_normalise (range, channel[i]);
}

/* ---- series ----------------------------------------------------------------- */

struct _DvSeries {
  guint n_values, capacity;
  guint head, len;   /* oldest row at head; rows wrap around */
  int *times;        /* [capacity] */
  float *values;     /* [capacity][n_values] */
};

DvSeries *
dv_series_new (guint n_values, guint capacity)
{
  g_return_val_if_fail (capacity > 0, NULL);
  DvSeries *s = g_new0 (DvSeries, 1);
  s->n_values = n_values;
  s->capacity = capacity;
  s->times = g_new0 (int, capacity);
  s->values = g_new0 (float, (gsize) capacity * MAX (n_values, 1));
  return s;
}

void
dv_series_free (DvSeries *s)
{
  if (s == NULL)
    return;
  g_free (s->times);
  g_free (s->values);
  g_free (s);
}

void
dv_series_clear (DvSeries *s)
{
  g_return_if_fail (s != NULL);
  s->head = 0;
  s->len = 0;
}

static guint
slot (const DvSeries *s, guint i)
{
  return (s->head + i) % s->capacity;
}

void
dv_series_push (DvSeries *s, int t, const float *values)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (s->n_values == 0 || values != NULL);
  while (s->len > 0 && s->times[slot (s, s->len - 1)] >= t)
    s->len--;
  if (s->len == s->capacity)
    {
      s->head = (s->head + 1) % s->capacity;
      s->len--;
    }
  guint k = slot (s, s->len);
  s->times[k] = t;
  if (s->n_values > 0)
    memcpy (s->values + (gsize) k * s->n_values, values, s->n_values * sizeof (float));
  s->len++;
}

guint
dv_series_length (const DvSeries *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->len;
}

guint
dv_series_capacity (const DvSeries *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->capacity;
}

guint
dv_series_n_values (const DvSeries *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->n_values;
}

int
dv_series_time (const DvSeries *s, guint i)
{
  g_return_val_if_fail (s != NULL && i < s->len, -1);
  return s->times[slot (s, i)];
}

const float *
dv_series_row (const DvSeries *s, guint i)
{
  g_return_val_if_fail (s != NULL && i < s->len, NULL);
  return s->values + (gsize) slot (s, i) * s->n_values;
}

int
dv_series_find (const DvSeries *s, int t)
{
  g_return_val_if_fail (s != NULL, -1);
  /* Times increase along the ring: binary search. */
  guint lo = 0, hi = s->len;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      int tm = s->times[slot (s, mid)];
      if (tm == t)
        return (int) mid;
      if (tm < t)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

void
dv_series_range (const DvSeries *s, int k, DvRange *out)
{
  g_return_if_fail (s != NULL && out != NULL);
  dv_range_init (out);
  for (guint i = 0; i < s->len; i++)
    {
      const float *row = dv_series_row (s, i);
      if (k < 0)
        dv_range_include (out, row, s->n_values);
      else if ((guint) k < s->n_values)
        dv_range_include_value (out, row[k]);
    }
}

void
dv_series_column (const DvSeries *s, guint k, float *dst)
{
  g_return_if_fail (s != NULL && k < s->n_values && dst != NULL);
  for (guint i = 0; i < s->len; i++)
    dst[i] = dv_series_row (s, i)[k];
}

/* ---- schedule -> bands ---------------------------------------------------------- */

GArray *
dv_schedule_bands (const guint8 *flags, const float *contrast, int n)
{
  GArray *bands = g_array_new (FALSE, FALSE, sizeof (DvBand));
  g_return_val_if_fail (n == 0 || flags != NULL, bands);
  int t = 0;
  while (t < n)
    {
      if (!(flags[t] & DV_PLOT_STEP_STIMULUS))
        {
          t++;
          continue;
        }
      DvBand b = { .start = t };
      double sum = 0;
      while (t < n && (flags[t] & DV_PLOT_STEP_STIMULUS))
        {
          sum += contrast != NULL ? contrast[t] : 1.0;
          t++;
        }
      b.end = t;
      b.contrast = (float) (sum / (b.end - b.start));
      g_array_append_val (bands, b);
    }
  return bands;
}

int
dv_schedule_first_onset (const guint8 *flags, int n)
{
  for (int t = 0; t < n; t++)
    if (flags[t] & DV_PLOT_STEP_STIMULUS)
      return t;
  return -1;
}

/* ---- latency ------------------------------------------------------------------- */

void
dv_latency_compute (const float *trace, int n, float threshold, DvLatency *out)
{
  g_return_if_fail (out != NULL);
  out->onset = -1;
  out->peak = -1;
  out->peak_height = NAN;
  out->min = NAN;
  out->max = NAN;
  out->rising = FALSE;
  if (n <= 0 || trace == NULL)
    return;

  DvRange r;
  dv_range_init (&r);
  dv_range_include (&r, trace, n);
  if (dv_range_is_empty (&r))
    return;
  out->min = r.min;
  out->max = r.max;
  out->peak_height = r.max;
  for (int t = 0; t < n; t++)
    if (trace[t] == r.max)
      {
        out->peak = t;
        break;
      }
  if (r.max == r.min)
    return; /* flat: numpy would divide by zero; no onset */
  out->rising = n >= 2 && out->peak == n - 1;
  for (int t = 0; t < n; t++)
    {
      if (!isfinite (trace[t]))
        continue;
      float v = (trace[t] - r.min) / (r.max - r.min);
      if (v > threshold)
        {
          out->onset = t;
          break;
        }
    }
}

/* ---- axes ------------------------------------------------------------------------ */

int
dv_axis_ticks (double lo, double hi, int max_ticks, double *ticks, double *step_out)
{
  g_return_val_if_fail (ticks != NULL && max_ticks >= 2, 0);
  if (!(hi > lo) || !isfinite (lo) || !isfinite (hi))
    {
      ticks[0] = isfinite (lo) ? lo : 0;
      if (step_out)
        *step_out = 1;
      return 1;
    }
  static const double mult[] = { 1, 2, 2.5, 5, 10 };
  double raw = (hi - lo) / (max_ticks - 1);
  double mag = pow (10, floor (log10 (raw)));
  double step = mag * 10;
  for (guint i = 0; i < G_N_ELEMENTS (mult); i++)
    if (mag * mult[i] >= raw * (1 - 1e-9))
      {
        step = mag * mult[i];
        break;
      }
  int n = 0;
  double first = ceil (lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9 && n < max_ticks + 1; v += step)
    {
      double tv = fabs (v) < step * 1e-9 ? 0.0 : v;
      ticks[n++] = tv;
    }
  if (step_out)
    *step_out = step;
  return n;
}

void
dv_axis_format (double v, double step, char *buf, gsize len)
{
  double a = fabs (v);
  if (v != 0 && (a >= 1e5 || a < 1e-3))
    {
      g_snprintf (buf, len, "%.2g", v);
      return;
    }
  int decimals = 0;
  if (step > 0 && step < 1)
    decimals = (int) ceil (-log10 (step) - 1e-9);
  /* 2.5 × 10^k steps need one more digit than 1 and 2 steps do. */
  if (step > 0 && step < 10 && fabs (step / pow (10, floor (log10 (step))) - 2.5) < 1e-6)
    decimals++;
  decimals = CLAMP (decimals, 0, 6);
  char tmp[G_ASCII_DTOSTR_BUF_SIZE];
  char fmt[8];
  g_snprintf (fmt, sizeof fmt, "%%.%df", decimals);
  g_ascii_formatd (tmp, sizeof tmp, fmt, v);
  g_strlcpy (buf, tmp, len);
}
