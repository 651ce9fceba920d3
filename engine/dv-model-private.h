/* dv-model-private.h — the inside of DvModel and DvRun, shared by
 * dv-model.c (building, parameters, initialisation), dv-run.c (forward and
 * BPTT) and dv-checkpoint.c.  Not installed; nothing outside engine/ includes it. */
#pragma once

#include "dv-model.h"
#include "dv-ops.h"
#include "dv-rng.h"

/* A weight-norm parametrised weight (PyTorch dim 0): the state_dict holds
 * g = original0 and v = original1; w = g·v/‖v‖ is a hidden derived tensor,
 * recomputed at the start of every run, whose gradient is folded back into
 * g and v after BPTT. */
typedef struct {
  DvParam *g, *v, *w;
  int cout, fan;
} DvWeightNorm;

typedef struct {
  DvConvConfig cfg;
  DvParam *w, *b; /* b may be NULL; w may be a weight-norm's derived tensor */
  DvWeightNorm *wn;
} DvConvMod;

typedef struct {
  DvParam *gamma, *beta, *rmean, *rvar, *nbt;
  int C;
} DvBnMod;

typedef struct {
  DvParam *gamma, *beta;
  int C, G;
} DvGnMod;

typedef struct {
  DvRecType type;
  int C;             /* channels of the state it reads */
  int out_c;         /* channels of the target it adds to */
  int H, W;          /* state size */
  int th, tw;        /* target size (resized if different) */
  DvConvMod conv;    /* full; local: the 1→1 plane conv (reflect) */
  DvConvMod first, second; /* depthpointwise / pointdepthwise: in application order; localdepthwise: second = patchy */
  DvParam *self_w, *self_b;
  DvParam *plane_map, *layer_map; /* int64 buffers (state_dict) */
  int side;          /* sqrt(C) for local */
} DvRecMod;

typedef struct {
  const DvLayerDesc *desc;
  gboolean has_preconv;
  DvConvMod preconv;
  DvConvMod conv, conv2;
  gboolean two_stage;
  gboolean has_midnorm;
  DvGnMod midnorm;
  gboolean has_rec;
  DvRecMod rec;
  gboolean has_tstep;
  DvParam *tau;
  gboolean has_bn, has_gn;
  DvBnMod bn;
  DvGnMod gn;
  DvParam *spbias;      /* CordsNet's SpatialBias [C,H,W] or NULL */
  int d_ff, d_rc;
  int op_layer_pos;
} DvLayer;

typedef struct {
  const DvConnDesc *desc;
  int src, dst;
  gboolean has_conv;
  gboolean transposed;  /* CONVT_BN: conv holds the equivalent forward conv (cin = target channels) */
  DvConvMod conv;
  gboolean has_bn;
  DvBnMod bn;
  int tc, th, tw;    /* target slot shape */
} DvConn;

struct _DvModel {
  DvModelDesc *desc;
  GPtrArray *params;      /* DvParam*, state_dict order */
  GHashTable *by_name;    /* name and aliases -> DvParam* */
  float *arena, *grad_arena;
  gint64 *iarena;
  gint64 n_values, n_grads, n_ivalues;
  DvLayer *layers;
  DvConn *conns;
  DvParam *cls_w, *cls_b;
  DvWeightNorm *cls_wn;
  int cls_skip;           /* layer added to the readout's input, −1 = none */
  GPtrArray *wns;         /* DvWeightNorm*, owned */
  GArray *custom_inits;   /* DvCustomInit: initial values of custom ops' parameters */
  DvParam *n_res;
  DvParam *supralin_n, *supralin_k; /* DynVision's shared SupraLinearity module, if any */
  gboolean building;      /* dv_model_new is declaring parameters */
  char *duplicate;        /* the first name declared twice while building */
  char **class_names;     /* [n_classes] the model was trained on, NULL-terminated, or NULL */
};

typedef struct {
  DvParam *p;
  float value, range;
} DvCustomInit;

/* Registers a parameter before the arenas exist (dv-model.c). */
DvParam *dv_model_add_param (DvModel *model, const char *name, DvParamType type, int ndim,
                             const gint64 *shape, gboolean trainable, gboolean is_buffer);
void     dv_param_add_alias (DvModel *model, DvParam *p, const char *alias);
/* Custom operations' parameters (dv-custom.c). */
void     dv_model_declare_custom_params (DvModel *model);
void     dv_model_init_custom_params (DvModel *model, DvRng *rng);
/* Weight norm: derived weights from (g, v) before a run; (dg, dv) from dw after BPTT. */
void     dv_model_sync_weights (DvModel *model);
void     dv_model_fold_weight_grads (DvModel *model);
