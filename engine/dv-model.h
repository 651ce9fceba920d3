/* dv-model.h — a built model, its parameters, and runs over sequences.
 *
 * What this is for: building a DvModel from a validated DvModelDesc (one
 * arena for parameters, one for gradients), running it forward over a
 * [B,T,C,H,W] sequence timestep by timestep, and backpropagating through
 * time.  A DvRun holds the state of one pass over one batch (history rings,
 * solver states, and — when training — everything BPTT needs).
 *
 * Observer and cancel hooks (ggml style, "ask then observe"): before a run
 * the caller says which layers it wants (dv_run_observe_layer); after every
 * timestep the observer callback receives those layers' recorded responses,
 * the logits and the timestep.  Unobserved layers cost nothing extra.  The
 * cancel callback is polled between timesteps.  The engine knows nothing of
 * any UI and never prints.
 *
 * Threads: a model and its runs belong to one thread at a time.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include "dv-desc.h"

G_BEGIN_DECLS

#define DV_MODEL_ERROR (dv_model_error_quark ())
GQuark dv_model_error_quark (void);
typedef enum {
  DV_MODEL_ERROR_CHECKPOINT, /* a checkpoint that does not fit the model */
  DV_MODEL_ERROR_DIVERGED,   /* NaN/Inf appeared */
  DV_MODEL_ERROR_CANCELLED,
  DV_MODEL_ERROR_INPUT,      /* input shape does not fit */
  DV_MODEL_ERROR_UNIDENTIFIED, /* a checkpoint that says nothing about its model (give --model) */
} DvModelError;

typedef enum {
  DV_PARAM_F32,
  DV_PARAM_I64, /* integer buffers: num_batches_tracked, local index maps */
  DV_PARAM_I32, /* n_residual_timesteps */
} DvParamType;

typedef struct {
  char *name;          /* state_dict key */
  GPtrArray *aliases;  /* other state_dict keys for the same tensor */
  DvParamType type;
  int ndim;
  gint64 shape[4];
  gint64 numel;
  float *data;         /* F32: values (in the model's arena) */
  float *grad;         /* F32 and trainable: gradient (in the grad arena), else NULL */
  gint64 *idata;       /* I64/I32 buffers */
  gboolean trainable;  /* receives gradients and optimiser updates */
  gboolean is_buffer;  /* running stats, counters, maps: state but not a parameter */
} DvParam;

typedef struct _DvModel DvModel;
typedef struct _DvRun DvRun;

DvModel *dv_model_new (const DvModelDesc *desc, GError **error);
void     dv_model_free (DvModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvModel, dv_model_free)

const DvModelDesc *dv_model_get_desc (const DvModel *model);
guint    dv_model_n_params (const DvModel *model);
DvParam *dv_model_param (DvModel *model, guint i);              /* state_dict order */
DvParam *dv_model_lookup (DvModel *model, const char *name);    /* by name or alias */
gint64   dv_model_n_values (const DvModel *model);              /* unique F32 values */

/* The names of the classes the model was trained on ([n_classes], NULL-terminated), or NULL
 * when unknown.  Training sets them from its data set; checkpoints carry them as the metadata
 * dynvision.class_names (a JSON list), and the readout shows them.  set: NULL or exactly
 * n_classes names (copied). */
const char *const *dv_model_get_class_names (const DvModel *model);
void     dv_model_set_class_names (DvModel *model, const char *const *names);

/* Initialise every parameter as DynVision (or the tutorial) does, from a seed. */
void     dv_model_init_params (DvModel *model, guint64 seed);
void     dv_model_zero_grad (DvModel *model);
/* Feeds one blank frame per step (feedforward only) and counts the leading
 * steps whose classifier output is absent; stores it in n_residual_timesteps. */
int      dv_model_residual_timesteps (DvModel *model);

/* ---- runs --------------------------------------------------------------- */

typedef struct {
  gboolean training;   /* keep what BPTT needs */
  gboolean bn_train;   /* BatchNorm uses batch statistics and updates running stats */
  gboolean feedforward_only; /* in addition to the model's own setting: no skip, feedback or recurrence */
  gboolean residual_probe;   /* DynVision's residual-timestep probe (SPEC §1.7): no skip or
                              * feedback, recurrence kept, no idle steps */
  gboolean record_all; /* observe every layer */
  int bptt_checkpoint; /* training: activation recomputation — keep the state every K real steps and
                        * recompute the rest in backward (one segment of K steps taped at a time);
                        * gradients are bit-identical to keeping everything (0). doc/performance.md */
} DvRunOptions;

/* What the observer sees after timestep t.  Responses are in the engine's
 * CNHW layout ([C][B][H][W]); use dv_frame_copy_response() for [B,C,H,W]. */
typedef struct {
  int t;               /* 0-based timestep of the real sequence (idle steps: t < 0) */
  int batch;
  int n_classes;
  const float *logits; /* [B,K] of this step */
  gboolean logits_present;
  int n_layers;
  /* per layer (model layer order); NULL where not observed or absent (NONE) */
  const float *const *responses;
  const gboolean *present;
} DvFrame;

typedef void     (*DvObserverFunc) (DvRun *run, const DvFrame *frame, gpointer user_data);
typedef gboolean (*DvCancelFunc)   (gpointer user_data);

/* Frame provider: fills frame t as [B,C,H,W] floats. */
typedef void (*DvFrameFunc) (int t, float *dst, gpointer user_data);

DvRun   *dv_run_new (DvModel *model, int batch, const DvRunOptions *options);
void     dv_run_free (DvRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvRun, dv_run_free)

DvModel *dv_run_get_model (DvRun *run);
void     dv_run_observe_layer (DvRun *run, int layer, gboolean observe);
void     dv_run_set_observer (DvRun *run, DvObserverFunc func, gpointer user_data);
void     dv_run_set_cancel (DvRun *run, DvCancelFunc func, gpointer user_data);

/* Clears all state (rings, solver states, tape): the start of a sequence.
 * Runs the model's idle timesteps (blank input) if it has any. */
void     dv_run_reset (DvRun *run);
/* One timestep: frame is [B,C,H,W]; logits_out [B,K] (zeros where the
 * classifier had no input).  Returns FALSE with an error on NaN/Inf if
 * checking is on, or when cancelled. */
gboolean dv_run_step (DvRun *run, const float *frame, float *logits_out, GError **error);
int      dv_run_get_t (const DvRun *run);

/* Whole sequence: x [B,T,C,H,W] -> logits [B,T,K]. Resets first. */
gboolean dv_run_forward (DvRun *run, const float *x, int T, float *logits, GError **error);
gboolean dv_run_forward_frames (DvRun *run, DvFrameFunc frames, gpointer user_data, int T,
                                float *logits, GError **error);

/* BPTT after a training forward: dlogits [B,T,K] = d loss / d logits.
 * Accumulates into the parameters' grad buffers. */
gboolean dv_run_backward (DvRun *run, const float *dlogits, GError **error);

/* Gradients with respect to recorded responses (an activity loss, a probe's objective).
 * Called by dv_run_backward once per (real timestep t, observed layer with a response) of
 * the last training forward pass, with t descending: when backward reaches step t, before
 * that step's ops are walked (later steps are done; step t's gradients are zeroed and hold
 * what later steps sent back): the callee ADDS d loss / d response into grad.  response and grad are the
 * layer's recorded value and its gradient, CNHW [C][B][H][W] (dv_model_layer_shape);
 * layers are visited in model order for each t.  Detached history is not a concern: the
 * gradient flows back from the response as far as BPTT reaches from that step. */
typedef void (*DvResponseGradFunc) (DvRun *run, int t, int layer, const float *response, float *grad,
                                    gpointer user_data);
void     dv_run_set_response_grad (DvRun *run, DvResponseGradFunc func, gpointer user_data);

/* Stop gradients from flowing into the current ring contents (truncated BPTT). */
void     dv_run_detach (DvRun *run);
/* NaN/Inf check of every activation after each step (off by default). */
void     dv_run_set_check_finite (DvRun *run, gboolean check);

/* Copies layer L's response of a frame into [B,C,H,W]. */
void     dv_frame_copy_response (const DvModel *model, const DvFrame *frame, int layer, float *dst);
/* Layer state shape [C,H,W] (the recorded response). */
void     dv_model_layer_shape (const DvModel *model, int layer, int *C, int *H, int *W);

G_END_DECLS
