/* dynvision.h — the one header for programs built on the DynVision engine.
 *
 * The engine computes exactly what DynVision's PyTorch code computes for
 * recurrent convolutional networks unrolled in time (SPEC: the shared
 * semantics document), in C11 with GLib and OpenBLAS, and never touches a UI.
 *
 * The pieces, in the order a program meets them:
 *
 *   DvModelDesc (dv-desc.h)   what a model is: DynVision's hyper-parameters
 *       (dt, tau, t_feedforward, t_recurrence, t_skip, t_feedback, solver,
 *       idle_timesteps, …), the per-layer operation list, per-layer modules
 *       and the connections.  Build one with dv_preset_build() from
 *       DynVision keyword arguments, from JSON with dv_model_desc_from_json(),
 *       or in code with dv_model_desc_add_layer()/dv_model_desc_add_conn().
 *       dv_model_desc_validate() derives every shape and delay and explains
 *       what does not fit.
 *
 *   DvModel (dv-model.h)      the parameters, named by their PyTorch
 *       state_dict keys.  dv_model_new() copies the description;
 *       dv_model_init_params() initialises as DynVision does.
 *
 *   DvRun (dv-model.h)        one pass over one batch.  Frames go in as
 *       [B,C,H,W] floats one timestep at a time (dv_run_step) or a whole
 *       [B,T,C,H,W] sequence (dv_run_forward); logits come out [B,K] per
 *       step.  An observer sees every step's responses of the layers asked
 *       for, in the engine's channel-major layout [C][B][H][W]; a cancel
 *       callback is polled between steps.  With training = TRUE the run keeps
 *       what backpropagation through time needs and dv_run_backward()
 *       accumulates into every parameter's grad.
 *
 *   Checkpoints (dv-checkpoint.h)  safetensors files with state_dict names
 *       and self-describing metadata, readable by PyTorch.
 *
 *   Optimisers (dv-optim.h), whole-sequence helpers (dv-eval.h), and the
 *   kernels (dv-ops.h) with their backward passes.
 *
 * Ownership: functions named _new/_build/_load return objects the caller
 * frees (g_autoptr works for all of them); getters return borrowed pointers
 * that live as long as their owner.  Errors that a user can cause (files,
 * configurations, shapes, divergence) come back as GError; misuse by the
 * calling program is caught with g_return_if_fail.
 *
 * Threads: a model and its runs belong to one thread at a time; different
 * models may run in different threads.  The kernels use OpenBLAS's threads
 * (dv_set_num_threads).
 */
#pragma once

#include "dv-checkpoint.h"
#include "dv-custom.h"
#include "dv-desc.h"
#include "dv-eval.h"
#include "dv-json.h"
#include "dv-model.h"
#include "dv-model-edit.h"
#include "dv-arch-edit.h"
#include "dv-ops.h"
#include "dv-plugin.h"
#include "dv-optim.h"
#include "dv-safetensors.h"
#include "dv-kwargs.h"
