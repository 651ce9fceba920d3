/* dv-checkpoint.h — self-describing safetensors checkpoints.
 *
 * A checkpoint is a plain safetensors file whose tensor names are the
 * PyTorch state_dict keys (aliases included, SPEC §7), so PyTorch reads it
 * with safetensors.torch.load_file and DynVision's load_state_dict accepts
 * it.  Its __metadata__ carries, regenerated from the model's description
 * at every save:
 *   dynvision.model        the class name ("DyRCNNx4") — only when that class
 *                          with dynvision.config builds exactly this model;
 *                          otherwise "custom" (DV_CHECKPOINT_CUSTOM_MODEL)
 *   dynvision.config       the constructor keyword arguments (JSON) that build
 *                          it (an edit of model-wide values such as tau or dt
 *                          shows up here); for a custom model an object with
 *                          "custom_description": true, "derived_from",
 *                          "derived_from_config", "differs_in" (the
 *                          description fields that differ from that preset)
 *   dynvision.derived_from a custom model's preset class (if any)
 *   dynvision.layer_operations, dynvision.aliases (alias -> canonical)
 *   dynvision.description  this engine's full model description (JSON): the
 *                          model itself; loading builds from it first
 *   dynvision.class_names  the classes the model was trained on (a JSON list of
 *                          n_classes names), when known (dv_model_get_class_names)
 * Saving is atomic (temporary file + rename).
 */
#pragma once

#include "dv-model.h"
#include "dv-safetensors.h"

G_BEGIN_DECLS

/* dynvision.model of a model that no DynVision class builds from keyword arguments. */
#define DV_CHECKPOINT_CUSTOM_MODEL "custom"

/* What a state load did not match, by name. */
typedef struct {
  GPtrArray *missing;    /* model keys absent from the file (kept as they were) */
  GPtrArray *unexpected; /* file keys the model does not have (ignored) */
} DvLoadReport;

void dv_load_report_clear (DvLoadReport *r);

/* The description a checkpoint's metadata describes (from
 * dynvision.description, else the preset dynvision.model built from
 * dynvision.config). */
DvModelDesc *dv_checkpoint_read_desc (const DvSafetensors *st, const char *path, GError **error);

/* The first NaN or ±Inf among the n = Π shape values of a float tensor is an
 * error naming `path`, the tensor and the element's index in its shape. */
gboolean dv_tensor_check_finite (const char *path, const char *name, const float *values, int ndim,
                                 const gint64 *shape, GError **error);

/* Copies tensors by name (or alias) into the model.  A shape or type that
 * does not fit is an error naming the tensor and both shapes, and so is a
 * float tensor holding NaN or ±Inf (dv_tensor_check_finite); missing and
 * unexpected keys go to `report` (may be NULL). */
gboolean dv_model_load_state (DvModel *model, const DvSafetensors *st, const char *path,
                              DvLoadReport *report, GError **error);

/* Builds the model described by the file and loads its weights. */
DvModel *dv_checkpoint_load (const char *path, DvLoadReport *report, GError **error);

/* Writes every parameter and buffer under its state_dict names (and
 * aliases), plus the metadata above and `extra` (key -> value, may be NULL). */
gboolean dv_checkpoint_save (DvModel *model, const char *path, GHashTable *extra, GError **error);

/* The constructor keyword arguments with which desc->model_class builds
 * exactly this description (what dynvision.config holds for a preset
 * model), or NULL when no preset's kwargs express it (a "custom" model). */
DvJson *dv_checkpoint_exact_kwargs (const DvModelDesc *desc);

/* The writer behind dv_checkpoint_save, for callers adding tensors of their
 * own (optimiser moments) before saving. */
DvSafetensorsWriter *dv_checkpoint_writer (DvModel *model, GHashTable *extra);

G_END_DECLS
