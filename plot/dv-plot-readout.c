/* dv-plot-readout.c — (c) class probabilities over time and at the cursor.
 *
 * What this is for: softmax of the classifier's logits per timestep drawn as
 * lines (the leading classes in colour, the rest faint), with stimulus bands
 * and the cursor, beside a bar chart of every class at the cursor that marks
 * the prediction and the true label.  Also its CSV and parameters.
 * What this is not for: losses or accuracy over a dataset.
 */
#include "dv-plot-private.h"

#include <glib/gi18n-lib.h>

#include <math.h>

void
dv_readout_plot_init (DvReadoutPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvReadoutPlot) { .cursor = -1, .label = -1, .max_lines = 5, .timeline = { .dt = 1 } };
}

int
dv_softmax (const float *logits, int K, float *probs)
{
  g_return_val_if_fail (K > 0, -1);
  int best = 0;
  float m = -INFINITY;
  for (int k = 0; k < K; k++)
    if (logits[k] > m)
      {
        m = logits[k];
        best = k;
      }
  if (!isfinite (m))
    {
      for (int k = 0; k < K; k++)
        probs[k] = NAN;
      return -1;
    }
  double sum = 0;
  for (int k = 0; k < K; k++)
    sum += exp ((double) logits[k] - m);
  for (int k = 0; k < K; k++)
    probs[k] = (float) (exp ((double) logits[k] - m) / sum);
  return best;
}

static void
class_name (const DvReadoutPlot *p, int k, char *buf, gsize len)
{
  if (p->class_names != NULL && p->class_names[k] != NULL)
    g_strlcpy (buf, p->class_names[k], len);
  else
    g_snprintf (buf, len, "%d", k);
}

/* Which classes get coloured lines: the label, then by peak probability. */
static void
leading_classes (const DvReadoutPlot *p, int K, gboolean *lead)
{
  guint len = dv_series_length (p->logits);
  g_autofree float *peak = g_new0 (float, K);
  g_autofree float *probs = g_new (float, K);
  for (guint i = 0; i < len; i++)
    {
      dv_softmax (dv_series_row (p->logits, i), K, probs);
      for (int k = 0; k < K; k++)
        if (probs[k] > peak[k])
          peak[k] = probs[k];
    }
  int n_lead = p->max_lines > 0 ? MIN (p->max_lines, K) : K;
  for (int k = 0; k < K; k++)
    lead[k] = FALSE;
  if (p->label >= 0 && p->label < K)
    {
      lead[p->label] = TRUE;
      n_lead--;
    }
  for (int n = 0; n < n_lead; n++)
    {
      int best = -1;
      for (int k = 0; k < K; k++)
        if (!lead[k] && (best < 0 || peak[k] > peak[best]))
          best = k;
      if (best < 0)
        break;
      lead[best] = TRUE;
    }
}

static void
readout_layout (const DvReadoutPlot *p, cairo_t *cr, double width, double height, DvpFrame *f,
                double *bars_w)
{
  guint len = p->logits != NULL ? dv_series_length (p->logits) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  *bars_w = MIN (MAX (width * 0.34, 170), 280);
  *f = (DvpFrame) { .x0 = 0, .x1 = MAX (p->timeline.n, 1) * dt, .y0 = 0, .y1 = 1 };
  if (len > 0)
    f->x1 = MAX (f->x1, (dv_series_time (p->logits, len - 1) + 1) * dt);
  f->area.x = dvp_y_margin (cr, 0, 1, TRUE);
  f->area.y = 8 + DVP_FONT_TITLE + 22;
  f->area.w = width - f->area.x - *bars_w - 30;
  f->area.h = height - f->area.y - 46;
}

/* The row of the logits the bars show: the cursor's step, or the newest. */
static int
cursor_row (const DvReadoutPlot *p)
{
  guint len = p->logits != NULL ? dv_series_length (p->logits) : 0;
  int ci = p->cursor >= 0 && len > 0 ? dv_series_find (p->logits, p->cursor) : (int) len - 1;
  if (ci < 0 && len > 0 && p->cursor < 0)
    ci = len - 1;
  return ci;
}

char *
dv_readout_plot_headline (const DvReadoutPlot *p, gboolean *wrong)
{
  g_return_val_if_fail (p != NULL, NULL);
  if (wrong != NULL)
    *wrong = FALSE;
  int K = p->logits != NULL ? (int) dv_series_n_values (p->logits) : 0;
  int ci = cursor_row (p);
  if (ci < 0 || K == 0)
    return NULL;
  g_autofree float *probs = g_new0 (float, K);
  int pred = dv_softmax (dv_series_row (p->logits, ci), K, probs);
  if (pred < 0)
    return NULL;
  char name[64];
  class_name (p, pred, name, sizeof name);
  /* a verdict only where the step carries a label (DynVision scores only those):
   * before onset and in blanks the probabilities show without one */
  int t = dv_series_time (p->logits, ci);
  gboolean labelled = p->label >= 0
                      && (p->timeline.flags == NULL
                          || (t >= 0 && t < p->timeline.n
                              && (p->timeline.flags[t] & DV_PLOT_STEP_LABELLED)));
  if (!labelled)
    return g_strdup_printf (p->label >= 0 ? _("leading: %s (p = %.2f) · no label at this step")
                                          : _("predicted: %s (p = %.2f)"), name, probs[pred]);
  if (wrong != NULL)
    *wrong = pred != p->label;
  return g_strdup_printf (pred == p->label ? _("predicted: %s (p = %.2f) — correct")
                                           : _("predicted: %s (p = %.2f) — wrong"), name, probs[pred]);
}

int
dv_readout_plot_step_at (const DvReadoutPlot *p, double width, double height, double x)
{
  g_return_val_if_fail (p != NULL, -1);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (s);
  DvpFrame f;
  double bars_w;
  readout_layout (p, cr, width, height, &f, &bars_w);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  if (f.area.w < 20 || x < f.area.x - 8 || x > f.area.x + f.area.w + 8)
    return -1;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  int t = (int) lround ((x - f.area.x) / f.area.w * (f.x1 - f.x0) / dt);
  return CLAMP (t, 0, MAX ((int) lround (f.x1 / dt) - 1, 0));
}

void
dv_readout_plot_draw (const DvReadoutPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  int K = p->logits != NULL ? (int) dv_series_n_values (p->logits) : 0;
  guint len = p->logits != NULL ? dv_series_length (p->logits) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  char name[64];

  cairo_save (cr);
  dvp_background (cr, th, width, height);

  /* probabilities at the cursor (or at the newest step) */
  int ci = cursor_row (p);
  g_autofree float *probs = g_new0 (float, MAX (K, 1));
  int pred = -1;
  if (ci >= 0 && K > 0)
    pred = dv_softmax (dv_series_row (p->logits, ci), K, probs);

  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, 12, 8, p->title ? p->title : _("Readout"), DVP_FONT_TITLE, TRUE, 0, 0);
  gboolean wrong = FALSE;
  g_autofree char *headline = dv_readout_plot_headline (p, &wrong);
  if (headline != NULL)
    {
      dvp_set_rgb (cr, wrong ? th->select : th->muted);
      dvp_text (cr, width - 12, 8, headline, DVP_FONT_LABEL, FALSE, 1, 0);
    }
  if (p->note != NULL)
    {
      /* the stimuli are not of the model's classes: say so where the prediction is read */
      dvp_set_rgb (cr, th->select);
      dvp_text (cr, 12, 8 + DVP_FONT_TITLE + 4, p->note, DVP_FONT_TICK, FALSE, 0, 0);
    }

  DvpFrame f;
  double bars_w;
  readout_layout (p, cr, width, height, &f, &bars_w);
  if (f.area.w < 20 || f.area.h < 20 || K == 0)
    {
      cairo_restore (cr);
      return;
    }
  dvp_bands (cr, th, &f, &p->timeline, TRUE);
  dvp_axes (cr, th, &f, _("time (ms)"), _("p(class)"));
  if (len == 0)
    dvp_placeholder (cr, th, &f.area, _("no timesteps recorded yet"));

  g_autofree gboolean *lead = g_new (gboolean, K);
  leading_classes (p, K, lead);
  g_autofree float *pr = g_new (float, K);
  cairo_save (cr);
  cairo_rectangle (cr, f.area.x, f.area.y - 3, f.area.w + 3, f.area.h + 6);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < K; k++)
      {
        if (lead[k] != (pass == 1))
          continue;
        /* every class in its own colour; the leading ones drawn on top, heavier */
        dvp_set_rgba (cr, dv_palette_class (k), lead[k] ? 1 : 0.45);
        cairo_set_line_width (cr, k == p->label ? 3 : lead[k] ? 1.8 : 1);
        int prev_t = G_MININT;
        for (guint i = 0; i < len; i++)
          {
            int t = dv_series_time (p->logits, i);
            dv_softmax (dv_series_row (p->logits, i), K, pr);
            if (!isfinite (pr[k]))
              {
                prev_t = G_MININT;
                continue;
              }
            double x = dvp_x (&f, t * dt), y = dvp_y (&f, pr[k]);
            if (prev_t == t - 1)
              cairo_line_to (cr, x, y);
            else
              cairo_move_to (cr, x, y);
            prev_t = t;
          }
        cairo_stroke (cr);
      }
  /* chance level */
  static const double dash[] = { 2, 3 };
  dvp_set_rgb (cr, th->muted);
  cairo_set_line_width (cr, 1);
  cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, f.area.x, round (dvp_y (&f, 1.0 / K)) + 0.5);
  cairo_line_to (cr, f.area.x + f.area.w, round (dvp_y (&f, 1.0 / K)) + 0.5);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  dvp_text (cr, f.area.x + f.area.w - 2, dvp_y (&f, 1.0 / K) - 2, _("chance"), DVP_FONT_TICK - 2,
            FALSE, 1, 1);
  cairo_restore (cr);
  if (p->cursor >= 0)
    dvp_cursor (cr, th, &f, p->cursor * dt);

  /* bars: every class at the cursor */
  double bx = f.area.x + f.area.w + 30, by = f.area.y, bh = f.area.h;
  double row = MIN (bh / K, 22);
  double name_w = 0;
  for (int k = 0; k < K; k++)
    {
      class_name (p, k, name, sizeof name);
      name_w = MAX (name_w, dvp_text_width (cr, name, DVP_FONT_TICK, TRUE));
    }
  name_w = MIN (name_w, bars_w * 0.55);
  double bar_x = bx + name_w + 8, bar_w = bars_w - name_w - 8 - 40;
  dvp_set_rgb (cr, th->muted);
  g_autofree char *at = ci >= 0 ? g_strdup_printf (_("at t = %g ms"),
                                                   dv_series_time (p->logits, ci) * dt)
                                : g_strdup (_("no data"));
  dvp_text (cr, bx, by - 6, at, DVP_FONT_TICK - 1, FALSE, 0, 1);
  for (int k = 0; k < K && bar_w > 10; k++)
    {
      double y = by + k * row;
      class_name (p, k, name, sizeof name);
      dvp_set_rgb (cr, k == p->label ? th->foreground : th->muted);
      dvp_text_fit (cr, bar_x - 6, y + row / 2, name, DVP_FONT_TICK, k == pred || k == p->label,
                    1, 0.5, name_w);
      dvp_set_rgba (cr, th->grid, 1);
      cairo_rectangle (cr, bar_x, y + row * 0.18, bar_w, row * 0.64);
      cairo_fill (cr);
      if (ci >= 0 && isfinite (probs[k]))
        {
          dvp_set_rgb (cr, dv_palette_class (k));
          cairo_rectangle (cr, bar_x, y + row * 0.18, bar_w * probs[k], row * 0.64);
          cairo_fill (cr);
          char buf[16];
          g_snprintf (buf, sizeof buf, "%.2f", probs[k]);
          dvp_set_rgb (cr, th->foreground);
          dvp_text (cr, bar_x + bar_w + 4, y + row / 2, buf, DVP_FONT_TICK - 1, k == pred, 0, 0.5);
        }
      if (k == p->label)
        {
          dvp_set_rgb (cr, th->foreground);
          cairo_set_line_width (cr, 1.5);
          cairo_rectangle (cr, bar_x - 0.5, y + row * 0.18 - 0.5, bar_w + 1, row * 0.64 + 1);
          cairo_stroke (cr);
        }
    }
  if (p->label >= 0 && bar_w > 10)
    {
      dvp_set_rgb (cr, th->muted);
      dvp_text (cr, bx, by + K * row + 6, _("outlined: true label"), DVP_FONT_TICK - 2, FALSE, 0, 0);
    }
  cairo_restore (cr);
}

/* ---- export ---------------------------------------------------------------------- */

static void
readout_draw (gconstpointer self, cairo_t *cr, double w, double h)
{
  dv_readout_plot_draw (self, cr, w, h);
}

static void
readout_csv (gconstpointer self, GString *out)
{
  const DvReadoutPlot *p = self;
  int K = p->logits != NULL ? (int) dv_series_n_values (p->logits) : 0;
  guint len = p->logits != NULL ? dv_series_length (p->logits) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  char name[64];
  g_autofree float *pr = g_new (float, MAX (K, 1));

  g_string_append (out, "t,time_ms,stimulus");
  for (int k = 0; k < K; k++)
    {
      class_name (p, k, name, sizeof name);
      g_autofree char *col = g_strconcat ("p_", name, NULL);
      g_string_append_c (out, ',');
      dvp_csv_field (out, col);
    }
  g_string_append (out, ",predicted,confidence\n");
  for (guint i = 0; i < len; i++)
    {
      int t = dv_series_time (p->logits, i);
      int pred = dv_softmax (dv_series_row (p->logits, i), K, pr);
      g_string_append_printf (out, "%d,", t);
      dvp_csv_number (out, t * dt);
      g_string_append_printf (out, ",%d", dvp_step_flag (&p->timeline, t, DV_PLOT_STEP_STIMULUS));
      for (int k = 0; k < K; k++)
        {
          g_string_append_c (out, ',');
          dvp_csv_number (out, pr[k]);
        }
      g_string_append_printf (out, ",%d,", pred);
      dvp_csv_number (out, pred >= 0 ? pr[pred] : NAN);
      g_string_append_c (out, '\n');
    }
}

static void
readout_params (gconstpointer self, DvJsonWriter *j)
{
  const DvReadoutPlot *p = self;
  int K = p->logits != NULL ? (int) dv_series_n_values (p->logits) : 0;
  char name[64];
  dv_json_writer_string (j, "title", p->title ? p->title : "Readout");
  dv_json_writer_string (j, "y", "softmax(logits) per timestep");
  dv_json_writer_int (j, "cursor_step", p->cursor);
  dv_json_writer_int (j, "label", p->label);
  dv_json_writer_int (j, "max_lines", p->max_lines);
  dv_json_writer_begin_array (j, "classes");
  for (int k = 0; k < K; k++)
    {
      class_name (p, k, name, sizeof name);
      dv_json_writer_string (j, NULL, name);
    }
  dv_json_writer_end (j);
  dvp_json_timeline (j, &p->timeline);
}

static const DvPlotClass readout_class = {
  "readout", readout_draw, readout_csv, readout_params,
};

DvPlot
dv_readout_plot_as_plot (const DvReadoutPlot *p)
{
  DvPlot plot = { &readout_class, p };
  return plot;
}
