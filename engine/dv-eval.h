/* dv-eval.h — whole-sequence conveniences over DvRun: a forward pass that
 * collects every layer's responses as [B,T,C,H,W], and a loss+BPTT pass.
 * Used by the command-line tool, the tests and the benchmark. */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

/* x [B,T,C,H,W] -> logits [B,T,K]; responses[l] (if non-NULL, each
 * [B,T,C,H,W] of layer l, zero where the layer had no tensor) and
 * present[l*T + t] (if non-NULL). */
gboolean dv_eval_forward (DvModel *model, const float *x, int B, int T, gboolean bn_train,
                          float *logits, float **responses, gboolean *present, GError **error);

/* Mean cross-entropy over all B·T outputs (labels [B,T], ignore index from
 * the model, −1 by default), then BPTT; parameter gradients are ZEROED
 * first and then hold d loss / d param.  Returns FALSE on error. */
gboolean dv_eval_loss_grad (DvModel *model, const float *x, const gint64 *labels, int B, int T,
                            gboolean bn_train, double *loss, float *logits, GError **error);
/* The same with the run's options (training is implied): bn_train, bptt_checkpoint. */
gboolean dv_eval_loss_grad_with (DvModel *model, const float *x, const gint64 *labels, int B, int T,
                                 const DvRunOptions *options, double *loss, float *logits, GError **error);

G_END_DECLS
