/* dv-optim.h — optimisers over a model's trainable parameters.
 *
 * SGD (momentum, Nesterov), Adam with L2 weight decay added to the gradient
 * (DynVision's default, torch.optim.Adam semantics) and AdamW (decoupled),
 * per-parameter learning-rate factors, global-norm gradient clipping.  The
 * moments live in one arena, in the model's parameter order, so they can be
 * checkpointed.  What this is not for: schedules (the caller sets lr). */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

typedef enum { DV_OPTIM_SGD, DV_OPTIM_ADAM, DV_OPTIM_ADAMW } DvOptimKind;

typedef struct {
  DvOptimKind kind;
  double lr;
  double momentum;      /* SGD */
  gboolean nesterov;    /* SGD */
  double beta1, beta2, eps; /* Adam(W) */
  double weight_decay;
} DvOptimConfig;

typedef struct _DvOptim DvOptim;

DvOptim *dv_optim_new (DvModel *model, const DvOptimConfig *config);
void     dv_optim_free (DvOptim *opt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvOptim, dv_optim_free)

void     dv_optim_set_lr (DvOptim *opt, double lr);
/* Learning-rate factor for parameters whose name contains `needle`
 * (first match wins, in the order added), e.g. ("recurrence", 0.2). */
void     dv_optim_add_lr_factor (DvOptim *opt, const char *needle, double factor);
/* Scales all gradients so their global L2 norm is at most max_norm; returns the norm before. */
double   dv_optim_clip_grad_norm (DvOptim *opt, double max_norm);
void     dv_optim_step (DvOptim *opt);
gint64   dv_optim_get_step (const DvOptim *opt);

/* Moments for checkpointing: n floats each (NULL if the kind has none). */
float   *dv_optim_state (DvOptim *opt, int which, gint64 *n); /* which: 0 = m/momentum, 1 = v */
void     dv_optim_set_step (DvOptim *opt, gint64 step);

G_END_DECLS
