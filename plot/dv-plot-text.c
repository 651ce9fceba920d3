/* dv-plot-text.c — every piece of text plot/ draws, through PangoCairo.
 *
 * What this is for: one font ("Sans", resolved by fontconfig, with its
 * fallback for glyphs the first face lacks), sizes in user units of the
 * cairo_t, alignment about an anchor, a maximum width past which a label
 * wraps (up to a number of lines) or is ellipsized by Pango, measuring, and
 * counting the labels that had to be ellipsized (dv_plot_count_cut_labels).
 * Metrics are unhinted and glyph positions unrounded, so a label lays out
 * the same on screen, in a PNG, an SVG and a PDF.
 * What this is not for: where a view puts its labels (dv-plot-<view>.c) or
 * the axes and legends built from them (dv-plot-draw.c).
 *
 * One PangoContext per thread is kept and updated from each cairo_t
 * (pango_cairo_update_context), so a label costs one PangoLayout.
 */
#include "dv-plot-private.h"

#include <math.h>

static void
context_free (gpointer ctx)
{
  g_object_unref (ctx);
}

static GPrivate thread_context = G_PRIVATE_INIT (context_free);

static PangoContext *
context_for (cairo_t *cr)
{
  PangoContext *ctx = g_private_get (&thread_context);
  if (ctx == NULL)
    {
      PangoFontMap *map = pango_cairo_font_map_get_default ();
      ctx = pango_font_map_create_context (map);
      cairo_font_options_t *opt = cairo_font_options_create ();
      /* the layout must not depend on the surface: no hinted advances */
      cairo_font_options_set_hint_metrics (opt, CAIRO_HINT_METRICS_OFF);
      cairo_font_options_set_hint_style (opt, CAIRO_HINT_STYLE_NONE);
      pango_cairo_context_set_font_options (ctx, opt);
      cairo_font_options_destroy (opt);
      pango_context_set_round_glyph_positions (ctx, FALSE);
      g_private_set (&thread_context, ctx);
    }
  pango_cairo_update_context (cr, ctx);
  return ctx;
}

/* ---- counting cut labels ----------------------------------------------------------- */

static const cairo_user_data_key_t cut_key;

static void
note_cut (cairo_t *cr, PangoLayout *layout)
{
  int *count = cairo_get_user_data (cr, &cut_key);
  if (count != NULL && pango_layout_is_ellipsized (layout))
    (*count)++;
}

int
dv_plot_count_cut_labels (DvPlot plot, double width, double height)
{
  g_return_val_if_fail (plot.klass != NULL, -1);
  cairo_rectangle_t extents = { 0, 0, width, height };
  cairo_surface_t *s = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, &extents);
  cairo_t *cr = cairo_create (s);
  int count = 0;
  cairo_set_user_data (cr, &cut_key, &count, NULL);
  dv_plot_draw (plot, cr, width, height);
  cairo_set_user_data (cr, &cut_key, NULL, NULL);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  return count;
}

/* ---- layouts ------------------------------------------------------------------------ */

PangoLayout *
dvp_layout (cairo_t *cr, const char *text, const DvpTextStyle *st)
{
  g_return_val_if_fail (cr != NULL && text != NULL && st != NULL, NULL);
  PangoLayout *layout = pango_layout_new (context_for (cr));
  PangoFontDescription *fd = pango_font_description_new ();
  pango_font_description_set_family_static (fd, DVP_FONT);
  pango_font_description_set_weight (fd, st->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_absolute_size (fd, st->size * PANGO_SCALE);
  pango_layout_set_font_description (layout, fd);
  pango_font_description_free (fd);
  pango_layout_set_text (layout, text, -1);
  if (st->max_w > 0)
    {
      static const PangoEllipsizeMode mode[] = {
        [DVP_CUT_END] = PANGO_ELLIPSIZE_END,
        [DVP_CUT_MIDDLE] = PANGO_ELLIPSIZE_MIDDLE,
        [DVP_CUT_START] = PANGO_ELLIPSIZE_START,
      };
      int lines = MAX (st->max_lines, 1);
      pango_layout_set_width (layout, (int) floor (st->max_w * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
      /* a negative height is a line count: wrap up to it, ellipsize the last */
      pango_layout_set_height (layout, -lines);
      pango_layout_set_ellipsize (layout, mode[st->cut]);
      pango_layout_set_alignment (layout, st->halign >= 0.75   ? PANGO_ALIGN_RIGHT
                                          : st->halign >= 0.25 ? PANGO_ALIGN_CENTER
                                                               : PANGO_ALIGN_LEFT);
    }
  return layout;
}

/* The logical box of the laid-out text, in user units. */
static void
layout_box (PangoLayout *layout, double *x, double *y, double *w, double *h)
{
  PangoRectangle logical;
  pango_layout_get_extents (layout, NULL, &logical);
  *x = (double) logical.x / PANGO_SCALE;
  *y = (double) logical.y / PANGO_SCALE;
  *w = (double) logical.width / PANGO_SCALE;
  *h = (double) logical.height / PANGO_SCALE;
}

void
dvp_text_measure (cairo_t *cr, const char *text, const DvpTextStyle *st, double *width,
                  double *height)
{
  PangoLayout *layout = dvp_layout (cr, text, st);
  double x, y, w, h;
  layout_box (layout, &x, &y, &w, &h);
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
  g_object_unref (layout);
}

double
dvp_text_draw (cairo_t *cr, double x, double y, const char *text, const DvpTextStyle *st)
{
  PangoLayout *layout = dvp_layout (cr, text, st);
  double lx, ly, w, h;
  layout_box (layout, &lx, &ly, &w, &h);
  cairo_move_to (cr, x - st->halign * w - lx, y - st->valign * h - ly);
  pango_cairo_show_layout (cr, layout);
  cairo_new_path (cr);
  note_cut (cr, layout);
  g_object_unref (layout);
  return h;
}

/* ---- the short forms the views use ------------------------------------------------ */

double
dvp_text_width (cairo_t *cr, const char *text, double size, gboolean bold)
{
  double w;
  dvp_text_measure (cr, text, &(DvpTextStyle) { .size = size, .bold = bold }, &w, NULL);
  return w;
}

double
dvp_line_height (cairo_t *cr, double size, gboolean bold)
{
  double h;
  dvp_text_measure (cr, "Ag", &(DvpTextStyle) { .size = size, .bold = bold }, NULL, &h);
  return h;
}

void
dvp_text (cairo_t *cr, double x, double y, const char *text, double size, gboolean bold,
          double halign, double valign)
{
  dvp_text_draw (cr, x, y, text,
                 &(DvpTextStyle) { .size = size, .bold = bold, .halign = halign,
                                   .valign = valign });
}

void
dvp_text_fit (cairo_t *cr, double x, double y, const char *text, double size, gboolean bold,
              double halign, double valign, double max_w)
{
  dvp_text_draw (cr, x, y, text,
                 &(DvpTextStyle) { .size = size, .bold = bold, .halign = halign,
                                   .valign = valign, .max_w = MAX (max_w, 1) });
}

void
dvp_text_rotated (cairo_t *cr, double x, double y, const char *text, double size)
{
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_rotate (cr, -G_PI / 2);
  dvp_text (cr, 0, 0, text, size, FALSE, 0.5, 0.5);
  cairo_restore (cr);
}
