/* dv-embedded.h — the embedded default stimulus set: 10 classes of 32×32 RGB images generated
 * deterministically from a seed, so nothing needs to be downloaded.
 *
 * For: the default dataset everywhere (spec "embedded").  Classes: gratings at 0°, 45°, 90° and
 * 135° in a round aperture, disc, square, triangle, plus-cross, ring, x-cross; each image varies
 * in position, scale, small rotation, grating period and phase, foreground and background
 * colour and background pixel noise.  Image i has class i % 10; train and test splits draw from
 * different streams.  Images are rendered on demand (nothing is stored), thread-safely.
 * Not for: benchmarks of natural-image performance.
 */
#pragma once

#include "dv-dataset.h"

G_BEGIN_DECLS

#define DV_EMBEDDED_DEFAULT_SEED 42
#define DV_EMBEDDED_N_CLASSES    10
#define DV_EMBEDDED_SIZE         32
#define DV_EMBEDDED_N_TRAIN      10000
#define DV_EMBEDDED_N_TEST       2000

/* n = 0 gives DV_EMBEDDED_N_TRAIN or DV_EMBEDDED_N_TEST. */
DvDataset *dv_embedded_new (guint64 seed, DvSplit split, int n);
/* The bytes of one image (3×32×32 planar) and its class (return value). */
int        dv_embedded_render (guint64 seed, DvSplit split, int i, guint8 *out);

G_END_DECLS
