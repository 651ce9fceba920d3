/* dv-colormap.c — colour map tables, interpolation and palettes.
 *
 * What this is for: the few fixed colour tables every view shares.
 * What this is not for: anything that draws.
 *
 * The viridis table samples matplotlib's viridis at 0, 0.1, …, 1; the
 * diverging table is ColorBrewer's 11-class RdBu, reversed so low values are
 * blue.  Values between samples are interpolated linearly in sRGB.
 */
#include "dv-colormap.h"

#include <math.h>
#include <string.h>

static const double viridis[11][3] = {
  { 0.267004, 0.004874, 0.329415 },
  { 0.282623, 0.140926, 0.457517 },
  { 0.253935, 0.265254, 0.529983 },
  { 0.206756, 0.371758, 0.553117 },
  { 0.163625, 0.471133, 0.558148 },
  { 0.127568, 0.566949, 0.550556 },
  { 0.134692, 0.658636, 0.517649 },
  { 0.266941, 0.748751, 0.440573 },
  { 0.477504, 0.821444, 0.318195 },
  { 0.741388, 0.873449, 0.149561 },
  { 0.993248, 0.906157, 0.143936 },
};

static const guint32 rdbu_r[11] = {
  0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
  0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f,
};

/* Okabe & Ito (2008), without black (the axes) and yellow (unreadable on white). */
static const guint32 layer_palette[8] = {
  0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7, 0xe69f00, 0x56b4e9, 0x7f7f7f, 0x8c564b,
};

/* matplotlib's tab10 with its grey replaced by indigo: grey is what the
 * views use for "muted", and no class should look like none */
static const guint32 class_palette[10] = {
  0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
  0x8c564b, 0xe377c2, 0x393b79, 0xbcbd22, 0x17becf,
};

static const char *const colormap_names[DV_COLORMAP_N] = { "viridis", "diverging", "gray" };

static DvRgb
rgb_from_hex (guint32 hex)
{
  DvRgb c = { ((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0 };
  return c;
}

static DvRgb
lerp_table3 (const double (*table)[3], int n, double v)
{
  double x = v * (n - 1);
  int i = (int) floor (x);
  if (i >= n - 1)
    i = n - 2;
  double f = x - i;
  DvRgb c = {
    table[i][0] + f * (table[i + 1][0] - table[i][0]),
    table[i][1] + f * (table[i + 1][1] - table[i][1]),
    table[i][2] + f * (table[i + 1][2] - table[i][2]),
  };
  return c;
}

static DvRgb
lerp_hex (const guint32 *table, int n, double v)
{
  double x = v * (n - 1);
  int i = (int) floor (x);
  if (i >= n - 1)
    i = n - 2;
  double f = x - i;
  DvRgb a = rgb_from_hex (table[i]), b = rgb_from_hex (table[i + 1]);
  DvRgb c = { a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b) };
  return c;
}

DvRgb
dv_colormap_eval (DvColormap map, double v)
{
  if (isnan (v))
    {
      DvRgb grey = { 0.5, 0.5, 0.5 };
      return grey;
    }
  v = CLAMP (v, 0.0, 1.0);
  switch (map)
    {
    case DV_COLORMAP_DIVERGING:
      return lerp_hex (rdbu_r, G_N_ELEMENTS (rdbu_r), v);
    case DV_COLORMAP_GRAY:
      {
        DvRgb c = { v, v, v };
        return c;
      }
    case DV_COLORMAP_VIRIDIS:
    default:
      return lerp_table3 (viridis, G_N_ELEMENTS (viridis), v);
    }
}

const char *
dv_colormap_name (DvColormap map)
{
  g_return_val_if_fail (map < DV_COLORMAP_N, NULL);
  return colormap_names[map];
}

gboolean
dv_colormap_from_name (const char *name, DvColormap *map)
{
  g_return_val_if_fail (name != NULL && map != NULL, FALSE);
  for (int i = 0; i < DV_COLORMAP_N; i++)
    if (g_ascii_strcasecmp (name, colormap_names[i]) == 0)
      {
        *map = (DvColormap) i;
        return TRUE;
      }
  return FALSE;
}

/* 256-entry lookups, built once for all maps: large grids are filled a row
 * at a time and must stay cheap to redraw at every frame. */
static const guint32 *
argb32_lut (DvColormap map)
{
  static guint32 luts[DV_COLORMAP_N][256];
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      for (int m = 0; m < DV_COLORMAP_N; m++)
        for (int i = 0; i < 256; i++)
          {
            DvRgb c = dv_colormap_eval ((DvColormap) m, i / 255.0);
            luts[m][i] = 0xff000000u
                         | ((guint32) lround (c.r * 255) << 16)
                         | ((guint32) lround (c.g * 255) << 8)
                         | (guint32) lround (c.b * 255);
          }
      g_once_init_leave (&done, 1);
    }
  return luts[map < DV_COLORMAP_N ? map : DV_COLORMAP_VIRIDIS];
}

void
dv_colormap_fill_argb32 (DvColormap map, const float *norm, int n, guint32 *dst)
{
  const guint32 *lut = argb32_lut (map);
  for (int i = 0; i < n; i++)
    {
      float v = norm[i];
      if (isnan (v))
        {
          dst[i] = 0xff808080u;
          continue;
        }
      int k = (int) lroundf (CLAMP (v, 0.0f, 1.0f) * 255.0f);
      dst[i] = lut[k];
    }
}

DvRgb
dv_palette_layer (int i)
{
  if (i < 0)
    i = 0;
  return rgb_from_hex (layer_palette[i % G_N_ELEMENTS (layer_palette)]);
}

DvRgb
dv_palette_class (int k)
{
  if (k < 0)
    k = 0;
  if (k < (int) G_N_ELEMENTS (class_palette))
    return rgb_from_hex (class_palette[k]);
  /* beyond ten: hues a golden angle apart, in four lightness bands taken in
   * turn (the near-returns of the golden angle, 13, 21, 34, 55, 89 classes
   * apart, then fall in other bands), so no two of a hundred classes match */
  double h = fmod (0.61803398875 * k, 1.0) * 6, l = (double[]) { 0.42, 0.58, 0.30, 0.68 }[k % 4];
  double c = (1 - fabs (2 * l - 1)) * 0.75, x = c * (1 - fabs (fmod (h, 2) - 1)), m = l - c / 2;
  double r = 0, g = 0, b = 0;
  switch ((int) h)
    {
    case 0: r = c, g = x; break;
    case 1: r = x, g = c; break;
    case 2: g = c, b = x; break;
    case 3: g = x, b = c; break;
    case 4: r = x, b = c; break;
    default: r = c, b = x; break;
    }
  return (DvRgb) { r + m, g + m, b + m };
}

static double
srgb_to_linear (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

double
dv_rgb_luminance (DvRgb c)
{
  return 0.2126 * srgb_to_linear (c.r) + 0.7152 * srgb_to_linear (c.g)
         + 0.0722 * srgb_to_linear (c.b);
}
