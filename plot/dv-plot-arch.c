/* dv-plot-arch.c — the architecture diagram (see dv-plot-arch.h).
 *
 * One layout function computes every element's place from the plot size
 * alone, so drawing and hit-testing agree without a cairo_t.  Input, areas
 * and readout sit in one row; feedforward arrows join neighbours; each
 * recurrent area has a loop on its top; feedback arcs run above the row and
 * skip arcs below it, taller the more areas they span.
 */
#include "dv-plot-arch.h"

#include <glib/gi18n-lib.h>
#include "dv-plot-private.h"

#include <math.h>

#define MARGIN 14.0
#define TITLE_H 26.0
#define LEGEND_H 20.0

typedef struct {
  double x, y, w, h;
} Box;

typedef struct {
  double x0, y0, x1, y1, cy; /* cubic with both controls at height cy */
} Arc;

typedef struct {
  Box input, readout;
  Box *areas;  /* [n_areas] */
  Box *loops;  /* [n_areas] hit boxes of the recurrence loops */
  Arc *arcs;   /* [n_conns] */
  double top, bottom;
} Layout;

static gboolean
has_loop (const DvArchArea *a)
{
  return a->recurrence != NULL && g_strcmp0 (a->recurrence, "none") != 0;
}

static void
layout_clear (Layout *L)
{
  g_free (L->areas);
  g_free (L->loops);
  g_free (L->arcs);
}

static void
layout (const DvArchPlot *p, double width, double height, Layout *L)
{
  int n = p->n_areas + 2;
  L->areas = g_new0 (Box, MAX (p->n_areas, 1));
  L->loops = g_new0 (Box, MAX (p->n_areas, 1));
  L->arcs = g_new0 (Arc, MAX (p->n_conns, 1));
  double avail = MAX (width - 2 * MARGIN, 1);
  double bw = MIN (avail / (n + (n - 1) * 0.45), 150);
  double gap = n > 1 ? (avail - n * bw) / (n - 1) : 0;
  gap = MIN (gap, bw * 0.9);
  double x = MARGIN + (avail - (n * bw + (n - 1) * gap)) / 2;
  double inner = MAX (height - TITLE_H - LEGEND_H, 1);
  double bh = CLAMP (inner * 0.28, 10, 92);
  double cy = TITLE_H + inner * 0.52;
  L->top = cy - bh / 2;
  L->bottom = cy + bh / 2;
  double small = bh * 0.6;
  L->input = (Box) { x, cy - small / 2, bw, small };
  for (int i = 0; i < p->n_areas; i++)
    {
      x += bw + gap;
      L->areas[i] = (Box) { x, L->top, bw, bh };
      L->loops[i] = (Box) { x + bw * 0.2, L->top - 30, bw * 0.6, 30 };
    }
  L->readout = (Box) { x + bw + gap, cy - small / 2, bw, small };

  /* arcs: height grows with the span, up to the room above / below */
  double room_above = L->top - TITLE_H - 4, room_below = height - LEGEND_H - L->bottom - 4;
  int max_span = MAX (p->n_areas - 1, 1);
  for (int k = 0; k < p->n_conns; k++)
    {
      const DvArchConn *c = &p->conns[k];
      if (c->source < 0 || c->source >= p->n_areas || c->target < 0 || c->target >= p->n_areas)
        continue;
      const Box *s = &L->areas[c->source], *t = &L->areas[c->target];
      double span = fabs ((double) c->source - c->target) / max_span;
      Arc *a = &L->arcs[k];
      if (c->feedback)
        {
          double h = MIN (room_above, 46 + (room_above - 46) * span);
          a->x0 = s->x + s->w * 0.12;
          a->x1 = t->x + t->w * 0.88;
          a->y0 = a->y1 = L->top;
          a->cy = L->top - h / 0.75;
        }
      else
        {
          double h = MIN (room_below, 26 + (room_below - 26) * span);
          a->x0 = s->x + s->w * 0.8;
          a->x1 = t->x + t->w * 0.2;
          a->y0 = a->y1 = L->bottom;
          a->cy = L->bottom + h / 0.75;
        }
    }
}

static void
arc_point (const Arc *a, double t, double *x, double *y)
{
  double u = 1 - t;
  *x = u * u * u * a->x0 + 3 * u * u * t * a->x0 + 3 * u * t * t * a->x1 + t * t * t * a->x1;
  *y = u * u * u * a->y0 + 3 * u * u * t * a->cy + 3 * u * t * t * a->cy + t * t * t * a->y1;
}

static gboolean
in_box (const Box *b, double x, double y)
{
  return x >= b->x && x <= b->x + b->w && y >= b->y && y <= b->y + b->h;
}

DvArchHit
dv_arch_plot_hit (const DvArchPlot *p, double width, double height, double x, double y)
{
  DvArchHit hit = { DV_ARCH_HIT_NONE, -1 };
  g_return_val_if_fail (p != NULL, hit);
  if (width < 1 || height < 1)
    return hit;
  Layout L;
  layout (p, width, height, &L);
  if (in_box (&L.input, x, y))
    hit = (DvArchHit) { DV_ARCH_HIT_INPUT, -1 };
  else if (in_box (&L.readout, x, y))
    hit = (DvArchHit) { DV_ARCH_HIT_READOUT, -1 };
  for (int i = 0; hit.kind == DV_ARCH_HIT_NONE && i < p->n_areas; i++)
    if (in_box (&L.areas[i], x, y))
      hit = (DvArchHit) { DV_ARCH_HIT_AREA, i };
  for (int i = 0; hit.kind == DV_ARCH_HIT_NONE && i < p->n_areas; i++)
    if (has_loop (&p->areas[i]) && in_box (&L.loops[i], x, y))
      hit = (DvArchHit) { DV_ARCH_HIT_RECURRENCE, i };
  /* connections: the nearest curve within 7 px */
  double best = 7.0;
  DvArchHit conn = { DV_ARCH_HIT_NONE, -1 };
  for (int k = 0; hit.kind == DV_ARCH_HIT_NONE && k < p->n_conns; k++)
    {
      if (L.arcs[k].x0 == 0 && L.arcs[k].x1 == 0)
        continue;
      for (int s = 0; s <= 48; s++)
        {
          double px, py;
          arc_point (&L.arcs[k], s / 48.0, &px, &py);
          double d = hypot (px - x, py - y);
          if (d < best)
            {
              best = d;
              conn = (DvArchHit) { DV_ARCH_HIT_CONN, k };
            }
        }
    }
  if (hit.kind == DV_ARCH_HIT_NONE)
    hit = conn;
  layout_clear (&L);
  return hit;
}

/* ---- drawing -------------------------------------------------------------------------- */

static const DvRgb skip_rgb = { 0.16, 0.52, 0.32 }, feedback_rgb = { 0.78, 0.30, 0.18 };
/* the selection: a violet no area, connection or recurrence loop is drawn in */
static const DvRgb selection_rgb = { 0.45, 0.18, 0.85 };

static void
arrow_head (cairo_t *cr, double x, double y, double angle, double size)
{
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x - size * cos (angle - 0.45), y - size * sin (angle - 0.45));
  cairo_line_to (cr, x - size * cos (angle + 0.45), y - size * sin (angle + 0.45));
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
rounded (cairo_t *cr, const Box *b, double r)
{
  r = MIN (r, MIN (b->w, b->h) / 2);
  cairo_new_sub_path (cr);
  cairo_arc (cr, b->x + b->w - r, b->y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, b->x + b->w - r, b->y + b->h - r, r, 0, G_PI / 2);
  cairo_arc (cr, b->x + r, b->y + b->h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, b->x + r, b->y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
label_box (cairo_t *cr, const DvPlotTheme *th, double x, double y, const char *text, DvRgb color)
{
  double w = dvp_text_width (cr, text, DVP_FONT_TICK - 1, FALSE) + 6;
  dvp_set_rgba (cr, th->background, 0.9);
  cairo_rectangle (cr, x - w / 2, y - 8, w, 16);
  cairo_fill (cr);
  dvp_set_rgb (cr, color);
  dvp_text (cr, x, y, text, DVP_FONT_TICK - 1, FALSE, 0.5, 0.5);
}

static gboolean
selected (const DvArchPlot *p, DvArchHitKind kind, int index)
{
  return p->selected.kind == kind && (index < 0 || p->selected.index == index);
}

static void
draw_box (cairo_t *cr, const DvPlotTheme *th, const Box *b, DvRgb color, gboolean sel,
          const char *const *lines, int n_lines, double font)
{
  rounded (cr, b, 7);
  dvp_set_rgba (cr, color, 0.16);
  cairo_fill_preserve (cr);
  dvp_set_rgb (cr, sel ? selection_rgb : color);
  cairo_set_line_width (cr, sel ? 3.0 : 1.4);
  cairo_stroke (cr);
  double lh = font + 3, y = b->y + b->h / 2 - (n_lines - 1) * lh / 2;
  for (int i = 0; i < n_lines; i++, y += lh)
    {
      if (lines[i] == NULL)
        continue;
      dvp_set_rgb (cr, i == 0 ? th->foreground : th->muted);
      dvp_text_fit (cr, b->x + b->w / 2, y, lines[i], i == 0 ? font + 1 : font - 1, i == 0, 0.5,
                    0.5, b->w - 6);
    }
}

static char *
fmt_ms (double ms)
{
  return g_strdup_printf (_("%g ms"), ms);
}

static void
arch_draw (gconstpointer self, cairo_t *cr, double width, double height)
{
  const DvArchPlot *p = self;
  const DvPlotTheme *th = dvp_theme (p->theme);
  dvp_background (cr, th, width, height);
  if (width < 40 || height < 40)
    return;
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, MARGIN, 6, p->title ? p->title : _("Architecture"), DVP_FONT_TITLE, TRUE, 0, 0);
  if (p->n_areas <= 0)
    {
      DvPlotRect r = { 0, TITLE_H, width, height - TITLE_H };
      dvp_placeholder (cr, th, &r, _("no areas"));
      return;
    }
  Layout L;
  layout (p, width, height, &L);
  double font = L.areas[0].w > 90 ? DVP_FONT_TICK : DVP_FONT_TICK - 2;

  /* feedforward arrows, labelled with the delay of the area they leave */
  dvp_set_rgb (cr, th->foreground);
  cairo_set_line_width (cr, 1.5);
  for (int i = 0; i <= p->n_areas; i++)
    {
      const Box *a = i == 0 ? &L.input : &L.areas[i - 1];
      const Box *b = i == p->n_areas ? &L.readout : &L.areas[i];
      double y = L.top + (L.bottom - L.top) / 2;
      cairo_move_to (cr, a->x + a->w, y);
      cairo_line_to (cr, b->x - 2, y);
      cairo_stroke (cr);
      arrow_head (cr, b->x, y, 0, 7);
      if (i > 0 && i < p->n_areas && b->x - (a->x + a->w) > 24)
        {
          g_autofree char *s = fmt_ms (p->areas[i - 1].t_feedforward);
          dvp_set_rgb (cr, th->muted);
          dvp_text (cr, (a->x + a->w + b->x) / 2, y - 4, s, DVP_FONT_TICK - 2, FALSE, 0.5, 1);
          dvp_set_rgb (cr, th->foreground);
        }
    }

  /* connections */
  for (int k = 0; k < p->n_conns; k++)
    {
      const DvArchConn *c = &p->conns[k];
      const Arc *a = &L.arcs[k];
      if (a->x0 == 0 && a->x1 == 0)
        continue;
      gboolean sel = selected (p, DV_ARCH_HIT_CONN, k);
      DvRgb col = sel ? selection_rgb : c->feedback ? feedback_rgb : skip_rgb;
      dvp_set_rgb (cr, col);
      cairo_set_line_width (cr, sel ? 3.0 : 1.6);
      double dash[] = { 5, 3 };
      cairo_set_dash (cr, dash, c->multiplicative ? 2 : 0, 0);
      cairo_move_to (cr, a->x0, a->y0);
      cairo_curve_to (cr, a->x0, a->cy, a->x1, a->cy, a->x1, a->y1);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      arrow_head (cr, a->x1, a->y1, c->feedback ? G_PI / 2 : -G_PI / 2, 7);
      double lx, ly;
      arc_point (a, 0.5, &lx, &ly);
      g_autofree char *steps = c->delay_steps >= 0
                               ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, " · %d step", " · %d steps",
                                                               c->delay_steps), c->delay_steps)
                               : g_strdup ("");
      g_autofree char *s = g_strdup_printf ("%s %g ms%s%s", c->feedback ? "fb" : "skip", c->delay_ms,
                                            steps, c->multiplicative ? " ×" : "");
      label_box (cr, th, lx, ly, s, col);
    }

  /* recurrence loops */
  for (int i = 0; i < p->n_areas; i++)
    {
      const DvArchArea *ar = &p->areas[i];
      if (!has_loop (ar))
        continue;
      const Box *b = &L.areas[i], *lb = &L.loops[i];
      gboolean sel = selected (p, DV_ARCH_HIT_RECURRENCE, i);
      DvRgb col = sel ? selection_rgb : dv_palette_layer (i);
      dvp_set_rgb (cr, col);
      cairo_set_line_width (cr, sel ? 3.0 : 1.6);
      double x0 = lb->x + lb->w * 0.2, x1 = lb->x + lb->w * 0.8;
      cairo_move_to (cr, x0, b->y);
      cairo_curve_to (cr, lb->x - 4, lb->y, lb->x + lb->w + 4, lb->y, x1, b->y - 2);
      cairo_stroke (cr);
      arrow_head (cr, x1, b->y, G_PI / 2 + 0.3, 6);
      g_autofree char *s = g_strdup_printf ("%s %g ms", ar->recurrence, ar->t_recurrence);
      label_box (cr, th, b->x + b->w / 2, lb->y + 4, s, col);
    }

  /* boxes */
  const char *in_lines[] = { "input", p->input_label };
  draw_box (cr, th, &L.input, th->muted, selected (p, DV_ARCH_HIT_INPUT, -1), in_lines, 2, font);
  const char *out_lines[] = { "readout", p->readout_label };
  draw_box (cr, th, &L.readout, th->muted, selected (p, DV_ARCH_HIT_READOUT, -1), out_lines, 2, font);
  for (int i = 0; i < p->n_areas; i++)
    {
      const DvArchArea *ar = &p->areas[i];
      g_autofree char *shape = g_strdup_printf ("%d×%d×%d", ar->C, ar->H, ar->W);
      g_autofree char *tau = ar->tau > 0 ? g_strdup_printf (_("τ %g ms"), ar->tau) : g_strdup (_("no leak"));
      const char *lines[] = { ar->name, shape, tau, ar->detail };
      draw_box (cr, th, &L.areas[i], dv_palette_layer (i), selected (p, DV_ARCH_HIT_AREA, i), lines,
                ar->detail ? 4 : 3, font);
    }

  /* legend */
  double ly = height - LEGEND_H / 2 - 2, lx = MARGIN;
  const struct { const char *text; DvRgb col; gboolean dashed; } items[] = {
    { "skip", skip_rgb, FALSE }, { "feedback", feedback_rgb, FALSE },
    { "multiplicative", th->muted, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      double dash[] = { 5, 3 };
      cairo_set_dash (cr, dash, items[i].dashed ? 2 : 0, 0);
      dvp_set_rgb (cr, items[i].col);
      cairo_set_line_width (cr, 1.6);
      cairo_move_to (cr, lx, ly);
      cairo_line_to (cr, lx + 22, ly);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      dvp_set_rgb (cr, th->muted);
      dvp_text (cr, lx + 26, ly, items[i].text, DVP_FONT_TICK - 1, FALSE, 0, 0.5);
      lx += 34 + dvp_text_width (cr, items[i].text, DVP_FONT_TICK - 1, FALSE) + 12;
    }
  layout_clear (&L);
}

void
dv_arch_plot_init (DvArchPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvArchPlot) { .selected = { DV_ARCH_HIT_NONE, -1 } };
}

void
dv_arch_plot_draw (const DvArchPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  arch_draw (p, cr, width, height);
}

/* ---- export ----------------------------------------------------------------------------- */

static void
arch_csv (gconstpointer self, GString *out)
{
  const DvArchPlot *p = self;
  g_string_append (out, "element,name,source,target,C,H,W,recurrence,t_recurrence_ms,tau_ms,delay_ms,"
                        "integration\n");
  for (int i = 0; i < p->n_areas; i++)
    {
      const DvArchArea *a = &p->areas[i];
      g_string_append (out, "area,");
      dvp_csv_field (out, a->name);
      g_string_append_printf (out, ",,,%d,%d,%d,", a->C, a->H, a->W);
      dvp_csv_field (out, a->recurrence ? a->recurrence : "none");
      g_string_append_c (out, ',');
      dvp_csv_number (out, a->t_recurrence);
      g_string_append_c (out, ',');
      dvp_csv_number (out, a->tau > 0 ? a->tau : NAN);
      g_string_append_c (out, ',');
      dvp_csv_number (out, a->t_feedforward);
      g_string_append (out, ",\n");
    }
  for (int k = 0; k < p->n_conns; k++)
    {
      const DvArchConn *c = &p->conns[k];
      if (c->source < 0 || c->source >= p->n_areas || c->target < 0 || c->target >= p->n_areas)
        continue;
      g_string_append (out, c->feedback ? "feedback,," : "skip,,");
      dvp_csv_field (out, p->areas[c->source].name);
      g_string_append_c (out, ',');
      dvp_csv_field (out, p->areas[c->target].name);
      g_string_append (out, ",,,,,,,");
      dvp_csv_number (out, c->delay_ms);
      g_string_append_printf (out, ",%s\n", c->multiplicative ? "multiplicative" : "additive");
    }
}

static void
arch_params (gconstpointer self, DvJsonWriter *j)
{
  const DvArchPlot *p = self;
  dv_json_writer_string (j, "title", p->title ? p->title : "Architecture");
  dv_json_writer_int (j, "n_areas", p->n_areas);
  dv_json_writer_int (j, "n_connections", p->n_conns);
  dv_json_writer_begin_array (j, "areas");
  for (int i = 0; i < p->n_areas; i++)
    dv_json_writer_string (j, NULL, p->areas[i].name);
  dv_json_writer_end (j);
}

static const DvPlotClass arch_class = {
  "architecture", arch_draw, arch_csv, arch_params,
};

DvPlot
dv_arch_plot_as_plot (const DvArchPlot *p)
{
  DvPlot plot = { &arch_class, p };
  return plot;
}
