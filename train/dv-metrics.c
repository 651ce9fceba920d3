/* dv-metrics.c — prediction metrics and response measures; see dv-metrics.h. */
#include "dv-metrics.h"

#include <math.h>
#include <string.h>

int
dv_metrics_argmax (const float *z, int K)
{
  int best = 0;
  for (int k = 1; k < K; k++)
    if (z[k] > z[best])
      best = k;
  return best;
}

void
dv_metrics_softmax (const float *z, int K, double *p)
{
  double m = z[0], s = 0;
  for (int k = 1; k < K; k++)
    m = MAX (m, (double) z[k]);
  for (int k = 0; k < K; k++)
    s += p[k] = exp ((double) z[k] - m);
  for (int k = 0; k < K; k++)
    p[k] /= s;
}

/* Is class c among the k largest probabilities?  Ties rank by index, as torch.topk on
 * distinct values; equal values count the lower index first. */
static gboolean
in_top_k (const double *p, int K, int c, int k)
{
  int above = 0;
  for (int j = 0; j < K; j++)
    if (p[j] > p[c] || (p[j] == p[c] && j < c))
      above++;
  return above < k;
}

void
dv_metrics_records (const float *logits, const gint64 *labels, int B, int T, int K, DvStepRecord *out)
{
  g_autofree double *p = g_new (double, K);
  for (int b = 0; b < B; b++)
    {
      const gint64 *lb = labels + (gsize) b * T;
      gint64 first = T > 0 ? lb[0] : -1;
      for (int t = 0; t < T; t++)
        if (lb[t] >= 0)
          {
            first = lb[t];
            break;
          }
      gboolean fvalid = first >= 0 && first < K;
      for (int t = 0; t < T; t++)
        {
          const float *z = logits + ((gsize) b * T + t) * K;
          DvStepRecord *r = &out[(gsize) b * T + t];
          dv_metrics_softmax (z, K, p);
          r->label = lb[t];
          r->first_label = first;
          r->guess = dv_metrics_argmax (z, K);
          r->guess_confidence = p[r->guess];
          r->first_label_confidence = fvalid ? p[first] : 0.0;
          r->label_confidence = lb[t] >= 0 && lb[t] < K ? p[lb[t]] : NAN;
          r->accuracy = fvalid ? (double) (r->guess == first) : NAN;
          r->top3 = fvalid ? (double) in_top_k (p, K, (int) first, 3) : NAN;
          r->top5 = fvalid ? (double) in_top_k (p, K, (int) first, 5) : NAN;
        }
    }
}

/* ---- totals ---------------------------------------------------------------------- */

DvMetricTotals *
dv_metric_totals_new (int T)
{
  DvMetricTotals *m = g_new0 (DvMetricTotals, 1);
  m->T = T;
  double **fields[] = { &m->n, &m->n_first, &m->accuracy, &m->top3, &m->top5, &m->guess_confidence,
                        &m->first_label_confidence, &m->n_labelled, &m->labelled_correct };
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    *fields[i] = g_new0 (double, MAX (T, 1));
  return m;
}

void
dv_metric_totals_free (DvMetricTotals *m)
{
  if (m == NULL)
    return;
  g_free (m->n);
  g_free (m->n_first);
  g_free (m->accuracy);
  g_free (m->top3);
  g_free (m->top5);
  g_free (m->guess_confidence);
  g_free (m->first_label_confidence);
  g_free (m->n_labelled);
  g_free (m->labelled_correct);
  g_free (m);
}

void
dv_metric_totals_add (DvMetricTotals *m, const DvStepRecord *records, int B, int T)
{
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T && t < m->T; t++)
      {
        const DvStepRecord *r = &records[(gsize) b * T + t];
        m->n[t] += 1;
        m->guess_confidence[t] += r->guess_confidence;
        m->first_label_confidence[t] += r->first_label_confidence;
        if (!isnan (r->accuracy))
          {
            m->n_first[t] += 1;
            m->accuracy[t] += r->accuracy;
            m->top3[t] += r->top3;
            m->top5[t] += r->top5;
          }
        if (r->label >= 0)
          {
            m->n_labelled[t] += 1;
            m->labelled_correct[t] += r->guess == r->label;
          }
      }
}

static double
ratio_at (const double *num, const double *den, int T, int t)
{
  double a = 0, b = 0;
  for (int i = t < 0 ? 0 : t; i < (t < 0 ? T : t + 1); i++)
    a += num[i], b += den[i];
  return b > 0 ? a / b : NAN;
}

double
dv_metric_totals_accuracy (const DvMetricTotals *m, int t)
{
  return ratio_at (m->accuracy, m->n_first, m->T, t);
}

double
dv_metric_totals_labelled_accuracy (const DvMetricTotals *m, int t)
{
  return ratio_at (m->labelled_correct, m->n_labelled, m->T, t);
}

double
dv_metric_totals_top (const DvMetricTotals *m, int k, int t)
{
  return ratio_at (k == 3 ? m->top3 : m->top5, m->n_first, m->T, t);
}

double
dv_metric_totals_guess_confidence (const DvMetricTotals *m, int t)
{
  return ratio_at (m->guess_confidence, m->n, m->T, t);
}

double
dv_metric_totals_first_label_confidence (const DvMetricTotals *m, int t)
{
  return ratio_at (m->first_label_confidence, m->n, m->T, t);
}

/* ---- layer measures ---------------------------------------------------------------- */

const char *const dv_layer_measure_names[DV_N_LAYER_MEASURES] = {
  "response_avg", "response_std", "spatial_variance", "feature_variance",
};

double
dv_layer_measures_get (const DvLayerMeasures *m, int i)
{
  switch (i)
    {
    case 0: return m->response_avg;
    case 1: return m->response_std;
    case 2: return m->spatial_variance;
    default: return m->feature_variance;
    }
}

void
dv_layer_measures_cnhw (const float *x, int C, int B, int H, int W, DvLayerMeasures *out)
{
  gsize HW = (gsize) H * W;
  g_autofree double *fs = g_new (double, HW), *fss = g_new (double, HW);
  for (int b = 0; b < B; b++)
    {
      double s = 0, ss = 0, spatial = 0;
      memset (fs, 0, sizeof (double) * HW);
      memset (fss, 0, sizeof (double) * HW);
      for (int c = 0; c < C; c++)
        {
          const float *p = x + ((gsize) c * B + b) * HW;
          double cs = 0, css = 0;
          for (gsize i = 0; i < HW; i++)
            {
              double v = p[i], a = fabs (v);
              s += a;
              ss += a * a;
              cs += v;
              css += v * v;
              fs[i] += v;
              fss[i] += v * v;
            }
          if (HW > 1)
            spatial += MAX (0.0, (css - cs * cs / HW) / (HW - 1));
        }
      double n = (double) C * HW;
      DvLayerMeasures *m = &out[b];
      m->response_avg = n > 0 ? s / n : NAN;
      m->response_std = n > 1 ? sqrt (MAX (0.0, (ss - s * s / n) / (n - 1))) : 0.0;
      m->spatial_variance = C > 0 ? spatial / C : NAN;
      double feature = 0;
      if (C > 1)
        for (gsize i = 0; i < HW; i++)
          feature += MAX (0.0, (fss[i] - fs[i] * fs[i] / C) / (C - 1));
      m->feature_variance = HW > 0 ? feature / HW : NAN;
    }
}

/* ---- trace measures ---------------------------------------------------------------- */

void
dv_trace_measures (const double *x, int n, int win0, int win1, double threshold, int min_delay,
                   DvTraceMeasures *out)
{
  out->peak_step = -1;
  out->peak_height = NAN;
  out->peak_ratio = 0;
  out->summed_response = 0;
  out->adaptation_ratio = NAN;
  out->onset_step = -1;
  double lo = INFINITY, hi = -INFINITY;
  for (int t = 0; t < n; t++)
    {
      if (isnan (x[t]))
        continue;
      out->summed_response += x[t];
      if (x[t] > hi)
        hi = x[t], out->peak_step = t;
      lo = MIN (lo, x[t]);
    }
  if (out->peak_step < 0)
    return;
  out->peak_height = hi;
  if (hi > lo)
    for (int t = 0; t < n; t++)
      if (!isnan (x[t]) && (x[t] - lo) / (hi - lo) > threshold)
        {
          out->onset_step = t;
          break;
        }

  /* local maxima: higher than the previous value, not lower than the next (edges compare
   * with their one neighbour), and positive */
  int best1 = -1, best2 = -1;
  for (int t = 0; t < n; t++)
    {
      if (isnan (x[t]) || x[t] <= 0)
        continue;
      gboolean up = t == 0 || isnan (x[t - 1]) || x[t] > x[t - 1];
      gboolean down = t == n - 1 || isnan (x[t + 1]) || x[t] >= x[t + 1];
      if (!up || !down)
        continue;
      if (best1 < 0 || x[t] > x[best1])
        best1 = t;
    }
  if (best1 >= 0)
    for (int t = 0; t < n; t++)
      {
        if (isnan (x[t]) || x[t] <= 0 || ABS (t - best1) < min_delay)
          continue;
        gboolean up = t == 0 || isnan (x[t - 1]) || x[t] > x[t - 1];
        gboolean down = t == n - 1 || isnan (x[t + 1]) || x[t] >= x[t + 1];
        if (up && down && (best2 < 0 || x[t] > x[best2]))
          best2 = t;
      }
  if (best1 >= 0 && best2 >= 0)
    out->peak_ratio = best2 > best1 ? x[best2] / x[best1] : x[best1] / x[best2];

  win0 = CLAMP (win0, 0, n);
  win1 = CLAMP (win1, win0, n);
  int first = -1;
  for (int t = win0; t < win1 && first < 0; t++)
    if (!isnan (x[t]) && x[t] > 0)
      first = t;
  if (first >= 0 && !isnan (x[win1 - 1]))
    out->adaptation_ratio = x[win1 - 1] / x[first];
}

void
dv_normalise_by_max (double *x, int n)
{
  double m = -INFINITY;
  for (int i = 0; i < n; i++)
    if (!isnan (x[i]))
      m = MAX (m, x[i]);
  if (m > 0)
    for (int i = 0; i < n; i++)
      x[i] /= m;
}
