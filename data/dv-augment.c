/* dv-augment.c — geometric and colour augmentation of one [0,1] image (see dv-augment.h).
 *
 * For: the loader's train path.  Not for: test-time transforms (there are none for 32×32 data).
 */
#include "dv-augment.h"

#include <math.h>
#include <string.h>

void
dv_augment_config_from_preset (DvAugmentConfig *config, DvAugmentPreset preset)
{
  *config = (DvAugmentConfig) {
    .rotation_deg = 10.0,
    .translate = 0.1,
    .hflip = preset == DV_AUGMENT_PRESET_BASE,
    .brightness = preset == DV_AUGMENT_PRESET_MNIST ? 0.0 : 0.2,
    .contrast = preset == DV_AUGMENT_PRESET_MNIST ? 0.0 : 0.2,
    .saturation = preset == DV_AUGMENT_PRESET_MNIST ? 0.0 : 0.2,
  };
}

static inline float
clampf01 (float v)
{
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

static void
geometry (const DvAugmentConfig *cfg, DvRng *rng, float *img, int C, int H, int W,
          float *scratch)
{
  double angle = cfg->rotation_deg > 0 ? dv_rng_range (rng, -cfg->rotation_deg,
                                                       cfg->rotation_deg) * G_PI / 180.0 : 0.0;
  double mx = cfg->translate * W, my = cfg->translate * H;
  double tx = cfg->translate > 0 ? round (dv_rng_range (rng, -mx, mx)) : 0.0;
  double ty = cfg->translate > 0 ? round (dv_rng_range (rng, -my, my)) : 0.0;
  gboolean flip = cfg->hflip && dv_rng_uniform (rng) < 0.5;
  if (angle == 0.0 && tx == 0.0 && ty == 0.0 && !flip)
    return;

  double cx = (W - 1) * 0.5, cy = (H - 1) * 0.5, c = cos (angle), s = sin (angle);
  int hw = H * W;
  memcpy (scratch, img, sizeof (float) * C * hw);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        double u = (flip ? W - 1 - x : x) - tx - cx, v = y - ty - cy;
        /* inverse of a counter-clockwise rotation on screen (y down) */
        int sx = (int) lround (c * u - s * v + cx);
        int sy = (int) lround (s * u + c * v + cy);
        gboolean inside = sx >= 0 && sx < W && sy >= 0 && sy < H;
        for (int ch = 0; ch < C; ch++)
          img[ch * hw + y * W + x] = inside ? scratch[ch * hw + sy * W + sx] : 0.0f;
      }
}

static float
grey_at (const float *img, int C, int hw, int p)
{
  if (C < 3)
    return img[p];
  return 0.299f * img[p] + 0.587f * img[hw + p] + 0.114f * img[2 * hw + p];
}

void
dv_augment_apply (const DvAugmentConfig *cfg, DvRng *rng, float *img, int C, int H, int W,
                  float *scratch)
{
  int hw = H * W;
  geometry (cfg, rng, img, C, H, W, scratch);

  double f[3] = {
    cfg->brightness > 0 ? dv_rng_range (rng, 1 - cfg->brightness, 1 + cfg->brightness) : 1,
    cfg->contrast > 0 ? dv_rng_range (rng, 1 - cfg->contrast, 1 + cfg->contrast) : 1,
    cfg->saturation > 0 ? dv_rng_range (rng, 1 - cfg->saturation, 1 + cfg->saturation) : 1,
  };
  if (f[0] == 1 && f[1] == 1 && f[2] == 1)
    return;
  int order[3] = { 0, 1, 2 };
  dv_rng_shuffle (rng, order, 3);
  for (int k = 0; k < 3; k++)
    {
      float fac = (float) f[order[k]];
      switch (order[k])
        {
        case 0: /* brightness: blend with black */
          for (int p = 0; p < C * hw; p++)
            img[p] = clampf01 (img[p] * fac);
          break;
        case 1: /* contrast: blend with the mean grey level */
          {
            double mean = 0;
            for (int p = 0; p < hw; p++)
              mean += grey_at (img, C, hw, p);
            float m = (float) (mean / hw);
            for (int p = 0; p < C * hw; p++)
              img[p] = clampf01 (fac * img[p] + (1.0f - fac) * m);
          }
          break;
        default: /* saturation: blend with the per-pixel grey; no-op on grey images */
          if (C >= 3)
            for (int p = 0; p < hw; p++)
              {
                float g = grey_at (img, C, hw, p);
                for (int ch = 0; ch < 3; ch++)
                  img[ch * hw + p] = clampf01 (fac * img[ch * hw + p] + (1.0f - fac) * g);
              }
          break;
        }
    }
}
