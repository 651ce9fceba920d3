/* dv-desc.h — the model description: what a model is, as data.
 *
 * What this is for: the one structure that presets produce, the JSON files and
 * checkpoint metadata carry, the GUI edits and dv_model_new() builds from.
 * Hyper-parameters keep DynVision's names (and accept its aliases when
 * parsed).  Validation lives here and answers with GErrors that name the
 * layer, the shapes and a fix.
 * What this is not for: parameters (weights) or run state — see dv-model.h.
 *
 * Times are in ms; delays in steps are derived with DynVision's rules:
 * layer delays int(t/dt), skip index round(t_skip/dt)+1, feedback index
 * round(t_feedback/dt) (Python round: half to even), ring capacity
 * int(history_length/dt).
 */
#pragma once

#include <glib.h>
#include "dv-json.h"

G_BEGIN_DECLS

#define DV_DESC_ERROR (dv_desc_error_quark ())
GQuark dv_desc_error_quark (void);
typedef enum {
  DV_DESC_ERROR_INVALID, /* a value out of range or of the wrong kind */
  DV_DESC_ERROR_SHAPE,   /* shapes do not fit */
  DV_DESC_ERROR_UNKNOWN, /* unknown preset, op, key or name */
} DvDescError;

typedef enum {
  DV_REC_NONE,
  DV_REC_SELF,
  DV_REC_FULL,
  DV_REC_DEPTHPOINTWISE,
  DV_REC_POINTDEPTHWISE,
  DV_REC_LOCAL,
  DV_REC_LOCALDEPTHWISE,
} DvRecType;

typedef enum { DV_TARGET_OUTPUT, DV_TARGET_MIDDLE, DV_TARGET_INPUT } DvRecTarget;
typedef enum { DV_INTEGRATE_ADDITIVE, DV_INTEGRATE_MULTIPLICATIVE } DvIntegration;
typedef enum { DV_SOLVER_EULER, DV_SOLVER_RK4, DV_SOLVER_CUSTOM } DvSolver;
typedef enum { DV_POOL_NONE, DV_POOL_MAX, DV_POOL_AVG } DvPoolKind;
typedef enum { DV_NORM_NONE, DV_NORM_BATCH, DV_NORM_GROUP } DvNormKind;
typedef enum { DV_NONLIN_RELU, DV_NONLIN_IDENTITY } DvNonlin;
typedef enum { DV_CONN_SKIP, DV_CONN_FEEDBACK } DvConnKind;

/* How a connection transforms the source state before it is added:
 * ADAPT    — DynVision's Skip/Feedback: 1×1 conv with bias (only if the
 *            channel counts differ), then nearest resize to the target size.
 * CONV_BN  — the tutorial's skips: 1×1 conv with stride, no bias, then
 *            BatchNorm (module names "<name>.0" and "<name>.1").
 * CONVT_BN — the tutorial's feedback: ConvTranspose2d (kernel = stride, no
 *            bias) then BatchNorm ("<name>.0", "<name>.1"). */
typedef enum { DV_CONN_FORM_ADAPT, DV_CONN_FORM_CONV_BN, DV_CONN_FORM_CONVT_BN, DV_CONN_FORM_CONV } DvConnForm;
/* CONV     — CordsNet's fixed skips: identity when kernel_size is 0, else a
 *            k×k conv with stride (bias and weight norm as configured). */

/* The per-layer operations, in DynVision's vocabulary. */
typedef enum {
  DV_OP_CONV,        /* optional pre-convolution module (tutorial's V1_conv) */
  DV_OP_LAYER,       /* "layer" / "recurrent": RecurrentConnectedConv2d */
  DV_OP_ADDSKIP,
  DV_OP_ADDEXT,
  DV_OP_ADDFEEDBACK,
  DV_OP_TSTEP,
  DV_OP_NONLIN,
  DV_OP_SUPRALIN,
  DV_OP_RECORD,
  DV_OP_DELAY,
  DV_OP_POOL,
  DV_OP_NORM,
  DV_OP_SKIPZEROS,   /* CorNetRT: absent/all-zero output -> zero state for the next layer */
  DV_OP_ADDBIAS,     /* CordsNet: per-unit spatial bias (also present without input) */
  DV_OP_CUSTOM,      /* a registered user operation (dv-custom.h) */
  DV_OP_N_OPS
} DvOp;

const char *dv_op_name (DvOp op);
gboolean    dv_op_from_name (const char *name, DvOp *op);
const char *dv_rec_type_name (DvRecType t);
gboolean    dv_rec_type_from_name (const char *name, DvRecType *t);

typedef struct {
  int kernel, stride, padding; /* padding < 0: kernel/2 */
} DvPoolDesc;

typedef struct {
  char *name;             /* "V1", "layer1" */

  /* DV_OP_CONV: optional pre-convolution (module name e.g. "V1_conv") */
  char *conv_name;        /* NULL = no pre-convolution */
  int   conv_out, conv_kernel, conv_stride, conv_padding;
  gboolean conv_bias;

  /* DV_OP_LAYER: RecurrentConnectedConv2d (module name e.g. "V1") */
  char *module_name;
  int   in_channels, out_channels, kernel, stride, padding;
  gboolean bias;
  int   mid_channels;     /* 0 = single stage; else conv -> [GroupNorm] -> ReLU -> conv2 */
  int   kernel2, stride2, padding2;
  gboolean bias2;
  int   mid_groupnorm;    /* groups of the GroupNorm between the stages, 0 = none */
  DvRecType   rec_type;
  DvRecTarget rec_target;
  int   rec_kernel;
  gboolean rec_bias;
  gboolean rec_fixed;     /* self recurrence with a fixed, non-trainable weight (CorNetRT) */
  double rec_fixed_weight;
  double t_feedforward, t_recurrence; /* ms, this layer's own values */

  /* DV_OP_TSTEP */
  char *tstep_name;       /* module name holding ".tau", NULL = no tstep */
  char *tau_name;         /* root parameter name ("tau_V1") or NULL */
  double tau;

  DvNonlin nonlin;
  double supralinearity;  /* 1 = off; DynVision's k is 0.8 */

  DvPoolKind pool_kind;
  DvPoolDesc pool;

  gboolean weight_norm;   /* convs weight-norm parametrised (CordsNet) */
  gboolean spatial_bias;  /* DV_OP_ADDBIAS module "addbias_<name>" */

  DvNormKind norm_kind;
  char *norm_name;        /* "V1_norm", "norm_V1" */
  int norm_groups;

  /* derived by dv_model_desc_validate() */
  int in_h, in_w;         /* spatial size of the layer input */
  int mid_h, mid_w;       /* after the first conv */
  int out_h, out_w;       /* layer state (pre-pool) */
  int pool_h, pool_w;     /* after pooling: what the next layer receives */
  int state_h, state_w;   /* what its history ring holds (shape at the delay op) */
  int rec_h, rec_w;       /* what is recorded (shape at the record op) */
  int out_c;              /* == out_channels */
} DvLayerDesc;

typedef struct {
  DvConnKind kind;
  char *name;             /* module name: "addskip_V4", "skip_V1_V3" */
  char *source, *target;  /* layer names */
  DvOp op;                /* the target's op slot it is added in */
  DvConnForm form;
  int stride;             /* CONV_BN, CONVT_BN */
  int kernel;             /* CONVT_BN (default: stride); CONV (0 = identity) */
  gboolean conv_bias;     /* CONV */
  gboolean weight_norm;   /* CONV: weight-norm parametrised */
  double t_ms;            /* delay in ms */
  DvIntegration integration;
  gboolean source_alias;  /* ADAPT: state_dict also lists "<name>.source.*" */
  /* derived */
  int delay_index;        /* argument to the source ring's get() */
  gboolean has_conv;      /* ADAPT: channel counts differ */
} DvConnDesc;

typedef struct {
  char *model_class;      /* "CustomRCNN", "DyRCNNx4", ... */
  DvJson *config;         /* the constructor kwargs, as given (for metadata) */

  int n_classes;
  int n_timesteps, in_channels, in_h, in_w;
  double dt, tau;
  double t_feedforward, t_recurrence, t_feedback, t_skip;
  gboolean skip, feedback;
  DvSolver solver;
  int idle_timesteps;
  double loss_reaction_time;
  gboolean feedforward_only;
  /* feedforward_only leaves the layers' recurrence in place (CordsNet does
   * not pass it to its layers; only the skips are left out) */
  gboolean ffonly_keeps_recurrence;
  int tbptt;
  gboolean train_tau;
  double non_input_value;
  gint64 non_label_index;
  char *pattern;          /* data_presentation_pattern, e.g. "1011" */
  gboolean shuffle_pattern;

  GPtrArray *operations;  /* char*: the per-layer op list, DynVision names */
  GArray *ops;            /* DvOp, parsed from operations */
  GPtrArray *op_classes;  /* per position: the DvOpClass of DV_OP_CUSTOM, else NULL */
  char *solver_name;      /* DV_SOLVER_CUSTOM: the registered solver */

  DvLayerDesc *layers;
  int n_layers;
  DvConnDesc *conns;
  int n_conns;

  char *classifier_name;  /* module prefix of the Linear: "classifier.2" */
  char *classifier_skip;  /* CordsNet: layer whose same-step state is added before the readout */
  gboolean classifier_wn; /* weight-norm parametrised readout */
  char *init_scheme;      /* "dynvision", "tutorial", "pytorch" */
  double max_weight_init;

  /* DynVision's history_length kwarg (DyRCNN, CorNetRT): when set, the ring
   * capacity is int(history_ms/dt) whatever the delays need (a longer delay
   * is then never served, SPEC §1.6) */
  gboolean history_set;
  double history_ms;

  /* derived */
  double history_length;  /* ms */
  int n_hidden_states;    /* ring capacity, int(history_length/dt) */
} DvModelDesc;

DvModelDesc *dv_model_desc_new (void);
void         dv_model_desc_free (DvModelDesc *desc);
DvModelDesc *dv_model_desc_copy (const DvModelDesc *desc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvModelDesc, dv_model_desc_free)

/* Adds a layer / connection with defaults; returns it for filling in. */
DvLayerDesc *dv_model_desc_add_layer (DvModelDesc *desc, const char *name);
DvConnDesc  *dv_model_desc_add_conn (DvModelDesc *desc, DvConnKind kind, const char *name,
                                     const char *source, const char *target);
int          dv_model_desc_layer_index (const DvModelDesc *desc, const char *name);
void         dv_model_desc_set_operations (DvModelDesc *desc, const char *const *ops);

/* Checks every value and derives shapes, delays and ring capacity.  On
 * failure the message names the layer or field, the shapes and a fix. */
gboolean dv_model_desc_validate (DvModelDesc *desc, GError **error);

/* Bounds on what a description may ask for, checked before anything is
 * allocated: timesteps (input T, idle_timesteps) and the steps a delay
 * reaches back (ring capacity) at most DV_DESC_MAX_STEPS; any one tensor
 * (parameter, map or im2col matrix, per sample) at most DV_DESC_MAX_VALUES
 * values; and the estimated memory of a run (parameters and gradients, plus
 * the activations a run keeps: ring capacity + 2 steps in inference, T + idle
 * + ring capacity + 2 steps in training) at most dv_memory_limit_bytes(), the
 * machine's physical memory.  A refusal says how many GB the model asks for. */
#define DV_DESC_MAX_STEPS 100000
#define DV_DESC_MAX_VALUES (1 << 28)
double   dv_memory_limit_bytes (void);
/* The memory bound for a batch of `batch` samples (validation checks 1). */
gboolean dv_model_desc_check_size (const DvModelDesc *desc, gint64 batch, GError **error);
/* The same for training with activation recomputation every bptt_checkpoint steps (0: none). */
gboolean dv_model_desc_check_size_bptt (const DvModelDesc *desc, gint64 batch, int bptt_checkpoint,
                                        GError **error);

/* Channels and size of the value at op slot `op` of layer `layer` (after
 * validation): before the "layer" op it is the layer input, after it the
 * layer state. */
void dv_model_desc_slot_shape (const DvModelDesc *desc, int layer, DvOp op, int *C, int *H, int *W);

/* JSON form (what the GUI edits and `dynvision describe` prints). */
DvJson      *dv_model_desc_to_json (const DvModelDesc *desc);
DvModelDesc *dv_model_desc_from_json (const DvJson *json, GError **error);

/* Presets, each built from DynVision's constructor keyword arguments
 * (a JSON object; aliases such as tff, trc, rctype, solver accepted). */
const char *const *dv_preset_names (void);
DvModelDesc *dv_preset_build (const char *model_class, const DvJson *kwargs, GError **error);
/* Parses "key=value" strings into a kwargs object (numbers, bools, strings, JSON lists). */
DvJson      *dv_kwargs_parse (const char *const *assignments, int n, GError **error);

/* "euler", "rk4" or a registered solver's name. */
gboolean    dv_solver_from_name (const char *name, DvSolver *solver, char **custom_name);
const char *dv_model_desc_solver_name (const DvModelDesc *desc);

/* DynVision's Python round(): half to even. */
double dv_round_half_even (double x);

G_END_DECLS
