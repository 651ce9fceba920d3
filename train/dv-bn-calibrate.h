/* dv-bn-calibrate.h — re-estimating BatchNorm running statistics on stimulus frames.
 *
 * What this is for: DynVision's BatchNorm keeps ONE pair of running statistics per module,
 * shared by every timestep and updated at each of them with momentum 0.1, so the last steps of
 * each training sequence weigh most — and those include the blank residual steps.  Calibration
 * replaces them by the cumulative mean, over a few batches, of the batch statistics of the
 * steps that show a stimulus (phase DV_PHASE_STIMULUS; steps where a module had no input are
 * not counted), as torch's momentum=None would.  It is a recipe step the trainer runs when the
 * `bn-calibrate` setting asks (doc/training.md, "Why the tutorial model learned poorly");
 * the BatchNorm semantics of the engine are unchanged.
 * What it is not for: training (no gradients, no parameter changes beyond the statistics).
 */
#pragma once

#include "dv-loader.h"
#include "dv-model.h"

G_BEGIN_DECLS

/* The BatchNorm modules' running_mean / running_var of model, re-estimated from the first
 * max_batches batches (epoch `epoch`) of loader in train-mode BatchNorm.  num_batches_tracked
 * is left as it was.  Returns the number of (module, step) statistics averaged through
 * n_used (optional); a model without BatchNorm is left alone (n_used 0). */
gboolean dv_bn_calibrate (DvModel *model, DvLoader *loader, int epoch, int max_batches, int *n_used,
                          GError **error);

G_END_DECLS
