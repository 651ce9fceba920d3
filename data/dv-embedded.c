/* dv-embedded.c — renderer of the embedded stimulus set (see dv-embedded.h for the classes).
 *
 * For: drawing one 32×32 image from (seed, split, index) with anti-aliased signed-distance
 * shapes.  Not for: storage; images are rendered again whenever they are read.
 * The normalisation statistics below were measured over the default train split with
 * dv_dataset_measure_stats (the test suite checks they still match the renderer).
 */
#include "dv-embedded.h"
#include "dv-dataset-private.h"
#include "dv-rng.h"

#include <math.h>

#define S DV_EMBEDDED_SIZE

static const char *const class_names[DV_EMBEDDED_N_CLASSES + 1] = {
  "grating-0", "grating-45", "grating-90", "grating-135", "disc",
  "square", "triangle", "cross", "ring", "x-cross", NULL
};

static const float embedded_mean[3] = { 0.4965f, 0.4951f, 0.5033f };
static const float embedded_std[3] = { 0.2809f, 0.2798f, 0.2824f };

typedef struct
{
  int cls;
  double cx, cy, scale, rot;          /* centre (px), size factor, rotation (rad) */
  double period, phase, aperture;     /* gratings */
  double cos_r, sin_r;                /* of the drawing rotation (stripe angle for gratings) */
} Shape;

static inline double
clamp01 (double v)
{
  return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

static inline double
box_sdf (double x, double y, double hx, double hy)
{
  double dx = fabs (x) - hx, dy = fabs (y) - hy;
  double ox = MAX (dx, 0.0), oy = MAX (dy, 0.0);
  return sqrt (ox * ox + oy * oy) + MIN (MAX (dx, dy), 0.0);
}

/* Signed distance (px, negative inside) of the shape at a point in shape-local coordinates
 * (x right, y up, origin at the centre, rotation already removed). */
static double
shape_sdf (const Shape *sh, double x, double y)
{
  double s = sh->scale;
  switch (sh->cls)
    {
    case 4: /* disc */
      return sqrt (x * x + y * y) - 8.0 * s;
    case 5: /* square */
      return box_sdf (x, y, 7.0 * s, 7.0 * s);
    case 6: /* upward triangle, circumradius 11 s: max over the three edge half-planes,
             * outward normals at −90°, 30° and 150° */
      {
        double h = 11.0 * s * 0.5, c30 = 0.86602540378443865;
        double d = MAX (-y - h, c30 * x + 0.5 * y - h);
        return MAX (d, -c30 * x + 0.5 * y - h);
      }
    case 7: /* plus-cross */
    case 9: /* x-cross: the same, turned by 45° in shape_coverage */
      {
        double L = 9.5 * s, w = MAX (2.0 * s, 1.6);
        return MIN (box_sdf (x, y, L, w), box_sdf (x, y, w, L));
      }
    case 8: /* ring */
      return fabs (sqrt (x * x + y * y) - 8.5 * s) - MAX (1.8 * s, 1.4);
    default:
      return 1e9;
    }
}

/* Foreground weight in [0,1] at pixel centre (px, py). */
static double
shape_coverage (const Shape *sh, double px, double py)
{
  double dx = px - sh->cx, dy = sh->cy - py;         /* y up */
  if (sh->cls < 4)
    {
      double ap = clamp01 (0.5 - (sqrt (dx * dx + dy * dy) - sh->aperture));
      if (ap <= 0.0)
        return 0.0;
      double u = -dx * sh->sin_r + dy * sh->cos_r;   /* along the stripes' normal */
      return ap * (0.5 + 0.5 * sin (2.0 * G_PI * u / sh->period + sh->phase));
    }
  double x = sh->cos_r * dx + sh->sin_r * dy, y = -sh->sin_r * dx + sh->cos_r * dy;
  return clamp01 (0.5 - shape_sdf (sh, x, y));
}

int
dv_embedded_render (guint64 seed, DvSplit split, int i, guint8 *out)
{
  DvRng rng;
  dv_rng_init (&rng, dv_rng_mix (dv_rng_mix (seed, (guint64) split + 1), (guint64) i));

  Shape sh = { 0 };
  sh.cls = i % DV_EMBEDDED_N_CLASSES;
  sh.cx = S / 2.0 + dv_rng_range (&rng, -5.0, 5.0);
  sh.cy = S / 2.0 + dv_rng_range (&rng, -5.0, 5.0);
  sh.scale = dv_rng_range (&rng, 0.85, 1.2);
  sh.rot = dv_rng_range (&rng, -1.0, 1.0) * (sh.cls < 4 ? 6.0 : 10.0) * G_PI / 180.0;
  sh.period = dv_rng_range (&rng, 4.5, 7.5);
  sh.phase = dv_rng_range (&rng, 0.0, 2.0 * G_PI);
  sh.aperture = dv_rng_range (&rng, 9.0, 14.0);
  double draw_angle = sh.rot + (sh.cls < 4 ? sh.cls * G_PI / 4.0 : sh.cls == 9 ? G_PI / 4.0 : 0.0);
  sh.cos_r = cos (draw_angle);
  sh.sin_r = sin (draw_angle);

  double bg[3], fg[3], dist2;
  for (int c = 0; c < 3; c++)
    bg[c] = dv_rng_uniform (&rng);
  do
    {
      dist2 = 0.0;
      for (int c = 0; c < 3; c++)
        {
          fg[c] = dv_rng_uniform (&rng);
          dist2 += (fg[c] - bg[c]) * (fg[c] - bg[c]);
        }
    }
  while (dist2 < 0.5 * 0.5);
  double noise = dv_rng_range (&rng, 0.0, 0.05);

  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      {
        double a = shape_coverage (&sh, x + 0.5, y + 0.5);
        for (int c = 0; c < 3; c++)
          {
            /* uniform pixel noise with unit variance */
            double z = (dv_rng_uniform (&rng) - 0.5) * 3.4641016151377544;
            double v = bg[c] + (fg[c] - bg[c]) * a + noise * z;
            out[c * S * S + y * S + x] = (guint8) lround (clamp01 (v) * 255.0);
          }
      }
  return sh.cls;
}

static void
embedded_generate (const DvDataset *ds, int i, guint8 *out)
{
  dv_embedded_render (ds->gen_seed, (DvSplit) ds->gen_split, i, out);
}

DvDataset *
dv_embedded_new (guint64 seed, DvSplit split, int n)
{
  if (n <= 0)
    n = split == DV_SPLIT_TEST ? DV_EMBEDDED_N_TEST : DV_EMBEDDED_N_TRAIN;
  g_autofree char *source = g_strdup_printf ("generated, seed %" G_GUINT64_FORMAT ", %s split",
                                             seed, split == DV_SPLIT_TEST ? "test" : "train");
  DvDataset *ds = dv_dataset_new_internal ("embedded", source, n, 3, S, S,
                                           DV_EMBEDDED_N_CLASSES, FALSE);
  ds->generate = embedded_generate;
  ds->gen_seed = seed;
  ds->gen_split = split;
  ds->preset = DV_AUGMENT_PRESET_EMBEDDED;
  for (int k = 0; k < n; k++)
    ds->labels[k] = k % DV_EMBEDDED_N_CLASSES;
  dv_dataset_set_class_names (ds, class_names);
  for (int c = 0; c < 3; c++)
    {
      ds->mean[c] = embedded_mean[c];
      ds->std[c] = embedded_std[c];
    }
  return ds;
}
