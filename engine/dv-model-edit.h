/* dv-model-edit.h — editing a model without losing work, and without
 * keeping what the edit changed.
 *
 * Apply: dv_model_apply_desc() makes a model compute what a new description
 * says — in place when only soft fields differ (dt, tau, solver, delays
 * within the history capacity; dv_model_soft_update), else by building the
 * description into a new DvModel and carrying the old model's learnt values
 * over (dv_model_transfer_weights).  Either way everything the description
 * determines follows the description: tau tensors (unless tau is trained and
 * the edit left it alone), dt-derived delays and n_residual_timesteps, the
 * local-recurrence index maps, supralinearity constants, and the form of
 * every module.  A learnt tensor is kept only when its state_dict name, its
 * shape and the definition of the module it belongs to (a convolution's
 * channels, kernel and groups; a recurrence's type, target and kernel; a
 * connection's kind, form, source, target and slot; a norm's kind) are all
 * unchanged; otherwise it is re-initialised.
 *
 * The report (DvTransferReport) has one item per tensor of the new model,
 * plus one per tensor of the old model that no longer exists, each with a
 * fate — kept, re-initialised, changed by the edit, dropped — whether it is
 * a buffer (running statistics, counters, index maps) rather than a
 * parameter, and a short reason ("new", "shape [64,64,5,5] → [64,1,5,5]",
 * "10 → 20", "recurrence full → depthpointwise").
 *
 * Health: dv_model_desc_warnings() flags settings that run but are unwise
 * (dt ≥ tau, delays the history never serves, recurrence left inactive). */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

typedef enum {
  DV_TRANSFER_KEPT,          /* carried over from the old model (learnt, or set by an unchanged description) */
  DV_TRANSFER_REINITIALISED, /* learnt, but new, reshaped or redefined by the edit: freshly initialised */
  DV_TRANSFER_CHANGED,       /* set by the description, and the edit changed its value (tau 10 → 20) */
  DV_TRANSFER_DROPPED,       /* in the old model only */
  DV_TRANSFER_N_FATES
} DvTransferFate;

typedef struct {
  char *name;        /* state_dict key */
  DvTransferFate fate;
  gboolean buffer;   /* a buffer (DvParam.is_buffer), not a parameter */
  char *why;         /* NULL for plainly kept tensors */
} DvTransferItem;

typedef struct {
  GPtrArray *items;  /* DvTransferItem*: one per tensor of the new model, then the dropped ones */
} DvTransferReport;

void     dv_transfer_report_clear (DvTransferReport *report);
/* How many items have that fate, counting parameters (buffers FALSE) or buffers. */
guint    dv_transfer_report_count (const DvTransferReport *report, DvTransferFate fate, gboolean buffers);
/* The item for a name (NULL if none). */
const DvTransferItem *dv_transfer_report_find (const DvTransferReport *report, const char *name);
/* The report as text: one summary line, then one line per fate that is not
 * empty (parameters, then buffers; kept ones listed up to `max_kept`).  g_free. */
char    *dv_transfer_report_to_text (const DvTransferReport *report, guint max_kept);
const char *dv_transfer_fate_name (DvTransferFate fate);

/* Copies into `dst` (built and initialised from the new description) the
 * learnt values of `src` that the edit did not redefine, sets what the
 * description determines, and reports every tensor's fate (report may be NULL). */
void     dv_model_transfer_weights (DvModel *dst, DvModel *src, DvTransferReport *report);
gboolean dv_model_desc_needs_rebuild (const DvModelDesc *current, const DvModelDesc *wanted);
/* Soft change in place; refused (nothing changes) when it needs a rebuild. */
gboolean dv_model_soft_update (DvModel *model, const DvModelDesc *wanted, GError **error);

/* Makes `model` compute `wanted`: a soft change in place (returns `model`,
 * *rebuilt FALSE), or a rebuild (returns a new model initialised from `seed`
 * with the transferred weights, *rebuilt TRUE; the caller frees the old one).
 * NULL with an error when `wanted` does not build; `model` is then unchanged.
 * report (may be NULL) says what happened to every tensor. */
DvModel *dv_model_apply_desc (DvModel *model, const DvModelDesc *wanted, guint64 seed, gboolean *rebuilt,
                              DvTransferReport *report, GError **error);

/* One human-readable sentence per problem (possibly none). */
GPtrArray *dv_model_desc_warnings (const DvModelDesc *desc);

G_END_DECLS
