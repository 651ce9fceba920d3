/* dv-colormap.h — colour maps for heatmaps and the per-layer palette.
 *
 * What this is for: turning a normalised value in [0,1] into a colour
 * (sequential viridis-like, diverging blue–white–red for differences,
 * grey), filling RGB byte buffers for images, and giving every layer of a
 * model one colour that all views share.
 * What this is not for: normalisation (see dv-plot-model.h) or drawing.
 *
 * Colours are straight (not premultiplied) RGB in [0,1].
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DV_COLORMAP_VIRIDIS,   /* sequential, perceptually ordered, dark purple -> yellow */
  DV_COLORMAP_DIVERGING, /* blue (0) - near white (0.5) - red (1); for signed data */
  DV_COLORMAP_GRAY,      /* black -> white */
  DV_COLORMAP_N
} DvColormap;

typedef struct {
  double r, g, b;
} DvRgb;

/* v is clamped to [0,1]; NaN maps to a neutral grey. */
DvRgb       dv_colormap_eval (DvColormap map, double v);
const char *dv_colormap_name (DvColormap map);
gboolean    dv_colormap_from_name (const char *name, DvColormap *map);

/* Writes n pixels as cairo ARGB32 words (0xAARRGGBB, opaque) from values
 * already normalised to [0,1]. */
void        dv_colormap_fill_argb32 (DvColormap map, const float *norm, int n, guint32 *dst);

/* The colour of layer i out of a model's layers (Okabe–Ito based, colour
 * blind safe, repeats after 8). */
DvRgb       dv_palette_layer (int i);
/* The colour of class k in the readout: tab10 (its grey an indigo) for the first
 * ten, then golden-angle hues in three lightness bands; distinct for 100 classes. */
DvRgb       dv_palette_class (int k);

/* Relative luminance (sRGB, 0..1); used by the tests and to pick text colours. */
double      dv_rgb_luminance (DvRgb c);

G_END_DECLS
