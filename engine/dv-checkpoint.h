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

/* Builds the model described by the file (any format, identified as
 * dv_checkpoint_identify without a hint) and loads its weights. */
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


/* ---- any checkpoint file, and which model it belongs to (dv-identify.c) ---- */

/* The checkpoint at `path` whatever its format: a zip archive (torch.save's
 * .pt/.pth, Lightning's .ckpt) through dv_torch_load, else safetensors.  The
 * bytes decide, not the extension. */
DvSafetensors *dv_checkpoint_open (const char *path, GError **error);
/* TRUE for the extensions a checkpoint is accepted under: .safetensors .pt .pth .ckpt */
gboolean       dv_checkpoint_path_is_supported (const char *path);

/* What the user says the model is, where the file does not (`--model SPEC
 * [key=value …]`): a preset name, a description (.json file) or a checkpoint
 * written here (its metadata's description: the checkpoint a model was
 * exported to DynVision from), and keyword arguments (DynVision's names and
 * aliases). */
typedef struct {
  char   *model;   /* preset name, or NULL */
  char   *desc;    /* path of a model description (.json) or of a describing checkpoint, or NULL */
  DvJson *kwargs;  /* never NULL after dv_model_hint_new */
} DvModelHint;

/* SPEC is "PRESET", "DESC.json" or "CKPT" (.safetensors/.pt/.pth/.ckpt), optionally followed (same string, blanks
 * between) by key=value words; `extra` are more key=value words (may be NULL). */
DvModelHint *dv_model_hint_new (const char *spec, const char *const *extra, int n_extra, GError **error);
void         dv_model_hint_free (DvModelHint *hint);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvModelHint, dv_model_hint_free)

/* The model a checkpoint belongs to, identified in this order:
 *  1. our own metadata (dynvision.description / dynvision.model + config);
 *  2. Lightning hyper_parameters ("dynvision.hyper_parameters", JSON): the
 *     keys the class's constructor takes (aliases canonicalised), the class
 *     name from "model_name"/"model_class" if present;
 *  3. DynVision's path convention
 *     models/{Model}/{Model}{:k=v+k=v}_{seed}/{data}/{status}.pt (also
 *     {status}-last-{epoch}-{metric}.ckpt and a checkpoints/ folder): the
 *     class, the keyword arguments (aliases canonicalised), the seed, and the
 *     data set, whose resolution, channels and classes give input_dims and
 *     n_classes;
 *  4. the hint (`--model`): its class where nothing names one, its
 *     description, and its key=value over what 2 and 3 inferred;
 *  5. the state_dict's shapes where they fix a value (n_classes from the
 *     classifier weight, input channels from the first convolution).
 * `how` (may be NULL) receives one line per identified value naming its
 * source.  When nothing names the class the error (DV_MODEL_ERROR_UNIDENTIFIED)
 * names the fix: `--model PRESET n_classes=N` with the presets whose
 * parameter names match the file's tensors, best first. */
DvModelDesc *dv_checkpoint_identify (const DvSafetensors *st, const char *path, const DvModelHint *hint,
                                     GString *how, GError **error);

/* Presets whose state_dict names match the file's tensors, best first (each
 * "NAME" with the share of names matched in `scores`, 0..1, may be NULL);
 * only presets matching at least one name.  g_strfreev. */
char **dv_checkpoint_matching_presets (const DvSafetensors *st, GArray **scores);

/* dv_checkpoint_open + dv_checkpoint_identify + dv_model_new + dv_model_load_state. */
DvModel *dv_checkpoint_load_identified (const char *path, const DvModelHint *hint, DvLoadReport *report,
                                        GString *how, GError **error);

/* "missing: a, b; unexpected: c" of a load (names, at most `limit` each), or NULL when nothing. */
char *dv_load_report_describe (const DvLoadReport *r, guint limit);

G_END_DECLS
