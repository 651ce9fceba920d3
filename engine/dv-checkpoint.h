/* dv-checkpoint.h — self-describing safetensors checkpoints.
 *
 * A checkpoint is a plain safetensors file whose tensor names are the
 * PyTorch state_dict keys (aliases included, SPEC §7), so PyTorch reads it
 * with safetensors.torch.load_file and DynVision's load_state_dict accepts
 * it.  Its __metadata__ carries:
 *   dynvision.model        the class name ("DyRCNNx4")
 *   dynvision.config       the constructor keyword arguments (JSON)
 *   dynvision.layer_operations, dynvision.aliases (alias -> canonical)
 *   dynvision.description  this engine's full model description (JSON), so a
 *                          model edited in the workbench reopens as it was
 *   dynvision.class_names  the classes the model was trained on (a JSON list of
 *                          n_classes names), when known (dv_model_get_class_names)
 * Saving is atomic (temporary file + rename).
 */
#pragma once

#include "dv-model.h"
#include "dv-safetensors.h"

G_BEGIN_DECLS

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

/* Copies tensors by name (or alias) into the model.  A shape or type that
 * does not fit is an error naming the tensor and both shapes; missing and
 * unexpected keys go to `report` (may be NULL). */
gboolean dv_model_load_state (DvModel *model, const DvSafetensors *st, const char *path,
                              DvLoadReport *report, GError **error);

/* Builds the model described by the file and loads its weights. */
DvModel *dv_checkpoint_load (const char *path, DvLoadReport *report, GError **error);

/* Writes every parameter and buffer under its state_dict names (and
 * aliases), plus the metadata above and `extra` (key -> value, may be NULL). */
gboolean dv_checkpoint_save (DvModel *model, const char *path, GHashTable *extra, GError **error);

/* The writer behind dv_checkpoint_save, for callers adding tensors of their
 * own (optimiser moments) before saving. */
DvSafetensorsWriter *dv_checkpoint_writer (DvModel *model, GHashTable *extra);

G_END_DECLS
