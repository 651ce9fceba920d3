/* dv-augment.h — train-time augmentation, DynVision's torchvision presets in C.
 *
 * For: random rotation (±rotation_deg, nearest, fill 0), random translation (up to
 * translate·size px, rounded, fill 0), horizontal flip (p = 0.5) and colour jitter (brightness,
 * contrast, saturation factors in [1−x, 1+x], applied in random order, clamped to [0,1]) on one
 * image of [0,1] intensities, before normalisation.  Off at test time (the loader decides).
 * Not for: resizing or cropping (readers resize), or anything that changes the image size.
 * Deviation: rotation, translation and flip are one nearest-neighbour resampling instead of
 * torchvision's successive ones (no double rounding).
 */
#pragma once

#include "dv-dataset.h"
#include "dv-rng.h"

G_BEGIN_DECLS

typedef struct
{
  double rotation_deg;    /* RandomRotation(10) */
  double translate;       /* RandomAffine(0, translate=(0.1, 0.1)) */
  gboolean hflip;         /* RandomHorizontalFlip() */
  double brightness;      /* ColorJitter(0.2, 0.2, 0.2) */
  double contrast;
  double saturation;
} DvAugmentConfig;

void dv_augment_config_from_preset (DvAugmentConfig *config, DvAugmentPreset preset);
/* img: C×H×W intensities in [0,1], changed in place; scratch: C×H×W floats. */
void dv_augment_apply (const DvAugmentConfig *config, DvRng *rng,
                       float *img, int C, int H, int W, float *scratch);

G_END_DECLS
