/* dv-export-dynvision.h — hand a model to DynVision (the PyTorch toolbox).
 *
 * What this is for: `dynvision export-dynvision` and the workbench's
 * "Export for DynVision…".  An export is a folder with
 *   weights.pt  the model's state_dict under DynVision's own names (the
 *               canonical names and every alias a DynVision module tree has,
 *               e.g. addskip_V4.source.*, tstep_V1.tau), written by
 *               dv_torch_save; and
 *   model.py    MODEL_CLASS, MODEL_KWARGS, MODEL_ARGS and build_model():
 *               the preset's own DynVision class when the model is exactly
 *               that class with keyword arguments (dv_checkpoint_exact_kwargs),
 *               otherwise a generated DyRCNN subclass built from DynVision's
 *               components whose _define_architecture reproduces every area
 *               (operation order, recurrence type and target, tau, delays,
 *               pools, norms) and connection of the description.
 * What it is not for: reading DynVision models (see dv-torch.h) or running
 * Python.  What DynVision cannot express — an engine-only operation (the
 * tutorial's pre-convolution, CorNetRT's skipzeros, CordsNet's spatial bias),
 * a plugin operation or solver, weight norm, the tutorial's BatchNorm
 * connections, module names DynVision's dispatch would not find — is refused
 * with an error naming it (DV_DESC_ERROR_UNKNOWN / _INVALID).
 */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

/* The text of model.py for `model`, or NULL with an error naming what
 * DynVision cannot express.  g_free. */
char    *dv_export_dynvision_model_py (DvModel *model, GError **error);

/* Writes DIR/model.py and DIR/weights.pt (creating DIR).  Nothing is written
 * when the model is refused; model.py is written before weights.pt. */
gboolean dv_export_dynvision (DvModel *model, const char *dir, GError **error);

G_END_DECLS
