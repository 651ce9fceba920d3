/* dv-model-edit.h — editing a model without losing work.
 *
 * Rebuild: build the new description into a new DvModel, then
 * dv_model_transfer_weights() copies every tensor whose name and shape still
 * fit and reports which were kept and which stay freshly initialised.
 * Soft change: dt, tau, solver and delays change on a live model between
 * timesteps when the history length stays the same (dv_model_soft_update);
 * anything else needs a rebuild (dv_model_desc_needs_rebuild says which).
 * Health: dv_model_desc_warnings() flags settings that run but are unwise
 * (dt ≥ tau, delays the history never serves, recurrence left inactive). */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray *kept;          /* names copied from the old model */
  GPtrArray *reinitialised; /* names without a fitting counterpart */
} DvTransferReport;

void     dv_transfer_report_clear (DvTransferReport *report);
void     dv_model_transfer_weights (DvModel *dst, DvModel *src, DvTransferReport *report);
gboolean dv_model_desc_needs_rebuild (const DvModelDesc *current, const DvModelDesc *wanted);
gboolean dv_model_soft_update (DvModel *model, const DvModelDesc *wanted, GError **error);
/* One human-readable sentence per problem (possibly none). */
GPtrArray *dv_model_desc_warnings (const DvModelDesc *desc);

G_END_DECLS
