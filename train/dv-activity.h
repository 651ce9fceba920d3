/* dv-activity.h — DynVision's activity (energy) loss on chosen layers (SPEC §5.1).
 *
 * What this is for: the per-sample activity of a layer's response at one timestep,
 *   absolute:  a_b = ‖x_b‖_p / N^{1/p}   (p = ord, N = units per sample)
 *   signed:    a_b = |mean(x_b)|
 * its gradient d a_b / d x, and an accumulator that follows a run through the observer hook:
 *   loss = mean_b Σ_layers Σ_t a_b / (n_layers · T_max),  T_max = most steps any monitored
 *   layer had a response (idle steps are not observed).
 * The accumulator also backpropagates: it registers the run's response-gradient hook
 * (dv_run_set_response_grad), so dv_run_backward adds scale · d loss / d response at every
 * observed (layer, timestep) of the last forward pass, scale = the configured weight unless
 * dv_activity_loss_set_backward_scale says otherwise (the trainer divides by the number of
 * accumulated batches, as it does the cross-entropy's).
 * What it is not for: choosing layers by module attributes (DynVision's `_activity_monitor`);
 * the caller names them.
 */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

typedef enum { DV_ACTIVITY_ABSOLUTE, DV_ACTIVITY_SIGNED } DvActivityMode;

typedef struct {
  double weight;          /* 0 = off (DynVision's workflow value is 2e-4 when on) */
  double ord;             /* p of the norm, 1 */
  DvActivityMode mode;
  char **layers;          /* layer names; NULL = every layer */
} DvActivityConfig;

void     dv_activity_config_init (DvActivityConfig *c);
void     dv_activity_config_clear (DvActivityConfig *c);
void     dv_activity_config_copy (DvActivityConfig *dst, const DvActivityConfig *src);

/* x in CNHW [C][B][HW] -> a [B]. */
void     dv_activity_measure (const float *x, int C, int B, int HW, DvActivityMode mode, double ord, double *a);
/* ACCUMULATES scale[b] · d a_b / d x into dx (CNHW). */
void     dv_activity_backward (float *dx, const float *x, int C, int B, int HW, DvActivityMode mode, double ord,
                               const double *scale);

typedef struct _DvActivityLoss DvActivityLoss;

/* Watches `run` (sets its observer and its response-gradient hook, and observes the chosen
 * layers).  Unknown layer names are an error naming the layers there are. */
DvActivityLoss *dv_activity_loss_new (DvRun *run, const DvActivityConfig *config, GError **error);
void            dv_activity_loss_free (DvActivityLoss *loss);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvActivityLoss, dv_activity_loss_free)

/* Forget the sums: call before each forward pass. */
void            dv_activity_loss_reset (DvActivityLoss *loss);
/* The loss of the last forward pass (unweighted). */
double          dv_activity_loss_value (const DvActivityLoss *loss);
/* The observer itself, for callers that chain observers (user_data = the DvActivityLoss). */
void            dv_activity_loss_observe (DvRun *run, const DvFrame *frame, gpointer user_data);
/* What dv_run_backward receives: scale · d loss / d response (0 = measured and logged only). */
void            dv_activity_loss_set_backward_scale (DvActivityLoss *loss, double scale);
/* The response-gradient hook itself (user_data = the DvActivityLoss): ADDS
 * scale[b] = scale / (B · n_layers · T_max) times d a_b / d response into grad. */
void            dv_activity_loss_response_grad (DvRun *run, int t, int layer, const float *response,
                                                float *grad, gpointer user_data);

G_END_DECLS
