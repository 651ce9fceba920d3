/* dv-run-private.h — the inside of a DvRun: values, arenas, history rings
 * and the tape that BPTT walks backwards.  Shared by dv-run.c (forward) and
 * dv-tape.c (backward).  See doc/engine.md for the derivations. */
#pragma once

#include "dv-model-private.h"
#include "dv-custom.h"

/* An activation: CNHW floats in a run arena.  data == NULL means NONE (no
 * tensor, as DynVision's Python None).  grad == NULL means no gradient is
 * wanted (inference, input frames, detached history). */
typedef struct {
  float *data;
  float *grad;
} DvVal;

#define DV_VAL_NONE ((DvVal) { NULL, NULL })

typedef enum {
  DV_T_CONV,        /* out (+)= conv(a) */
  DV_T_CONVT,       /* out = conv_transpose(a) */
  DV_T_RELU,        /* out = relu(a) */
  DV_T_SUPRALIN,    /* out = k·sign(a)·max(|a|,1e-6)^n */
  DV_T_MULINT,      /* out = a·(1+tanh b) */
  DV_T_ADD2,        /* out = a + b */
  DV_T_ADD_ACC,     /* out += a */
  DV_T_RESIZE,      /* out (+)= nearest(a) */
  DV_T_SELF,        /* out = w·a (+ b) */
  DV_T_TSTEP,       /* out = ode(u = a, h = b) */
  DV_T_MAXPOOL,
  DV_T_AVGPOOL,
  DV_T_BN,          /* BatchNorm2d */
  DV_T_GN,          /* GroupNorm */
  DV_T_GAP,         /* out = mean over H, W */
  DV_T_LINEAR,      /* out = classifier(a) */
  DV_T_GATHER,      /* out[dst[q]+n·ho] (+)= a[src[q]+n·hi] */
  DV_T_SPBIAS,      /* out = a + bias[c,h,w] (a may be NONE) */
  DV_T_CUSTOM,      /* out = user op (a) */
} DvTapeKind;

/* One op of the tape: what backward needs, a payload per kind (the member
 * named after the kind; kinds with nothing beyond out, a, b and the shape
 * have none: RELU, MULINT, ADD2, ADD_ACC, GAP). */
typedef struct {
  DvTapeKind kind;
  DvVal out, a, b;
  int C, H, W;          /* shape of input a (SPBIAS, CUSTOM: of the output); unset for GATHER, LINEAR */
  union {
    struct { const DvConvMod *mod; } conv;                   /* CONV */
    struct { const DvConvMod *mod; int Ho, Wo; } convt;      /* CONVT: the conv it transposes; output size */
    struct { float n, k; } supralin;                         /* SUPRALIN: exponent, gain */
    struct { int Ho, Wo; } resize;                           /* RESIZE: output size */
    struct { DvParam *w, *b; } self;                         /* SELF: b NULL when not applied */
    struct {
      DvParam *tau;
      float dt;
      DvSolver solver;
      const DvSolverClass *custom;                           /* DV_SOLVER_CUSTOM's class, else NULL */
    } tstep;                                                 /* TSTEP: a = drive u, b = state h */
    struct { int kernel, stride, pad; const int32_t *argmax; } pool; /* MAXPOOL, AVGPOOL (argmax: max) */
    struct { const DvBnMod *mod; float *mean, *invstd; gboolean train; } bn;  /* BN: per channel */
    struct { const DvGnMod *mod; float *mean, *invstd; } gn;  /* GN: per (sample, group) */
    struct { int in, out; } linear;                          /* LINEAR: features */
    struct { const int32_t *src, *dst; int n, hw_in, hw_out; } gather; /* GATHER: maps, plane sizes */
    struct { DvParam *bias; } spbias;                        /* SPBIAS: [C,H,W] */
    struct { DvOpCall *call; } custom;                       /* CUSTOM */
  };
} DvTapeEntry;

typedef struct {
  GPtrArray *chunks;    /* float blocks */
  GArray *sizes;        /* gsize floats per chunk */
  guint cur;
  gsize used;
  guint hw_cur;         /* high water: the furthest (cur, used) since the last consolidation */
  gsize hw_used;
} DvArena;

typedef struct {
  DvVal *items;
  gsize *n;             /* floats of each item (for checkpoints of the state) */
  int cap, count, next;
} DvRing;

/* Activation recomputation (DvRunOptions.bptt_checkpoint = K): the first,
 * untaped forward keeps the state every K real steps — the history rings
 * and solver states as copies, distinct tensors once — and the input frames;
 * backward recomputes one segment of K steps at a time from its checkpoint,
 * taped, and walks it back.  Gradients that cross into the segment before
 * arrive in the checkpoint's own buffers (bgrad) and are added to the
 * recomputed tensors of that segment before it is walked (dv-run.c). */
typedef struct {
  int t, steps;
  gboolean last_present;
  int *count, *next;    /* per layer */
  int *item;            /* per layer, cap ring slots then the own state: index of the value, −1 = NONE */
  int n_vals;
  float **data;         /* per value: the copy */
  gsize *n;
  gboolean *has_grad;   /* the taped run would give it a gradient */
  float **bgrad;        /* per value with has_grad: its gradient (while its segment is recomputed) */
} DvCheckpoint;

typedef struct {
  int32_t *src, *dst;   /* gather maps into the plane and back */
  int n;
} DvLocalMaps;

struct _DvRun {
  DvModel *model;
  int N;
  DvRunOptions opt;
  gboolean taping;      /* record the tape (training, real steps) */
  gboolean check_finite;

  DvArena *arenas;
  int n_arenas;
  DvArena *arena;       /* current */
  DvArena *grad_arenas; /* training: capacity+2, one per taped step in turn */
  int n_grad_arenas;
  DvArena *grad_arena;  /* current */
  GArray *step_begin;   /* guint per taped step: its first tape entry */
  gboolean shadow;      /* recomputation's first pass: a real training step, untaped */
  gboolean recomputing; /* recomputation's backward: segments taped again */
  GPtrArray *ckpts;     /* DvCheckpoint per K real steps (bptt_checkpoint > 0) */
  GPtrArray *frames;    /* the input frames of the real steps, [B,C,H,W] each */
  gsize *own_n;         /* per layer: floats of own */

  DvRing *rings;        /* per layer */
  DvVal *own;           /* per layer: the solver's own state */
  float **own_buf;      /* per layer: inference copies of own */
  DvLocalMaps *to_plane, *to_layer; /* per layer, local recurrence */

  GArray *tape;         /* DvTapeEntry */
  GArray *logit_vals;   /* DvVal per real timestep (training) */
  GArray *rec_vals;     /* training: DvVal per (real timestep, layer), what `record` saw */
  DvScratch scratch;

  int t;                /* real timesteps done since reset */
  int steps;            /* all steps (idle included) since reset */
  gboolean last_present; /* the classifier had input at the last step */
  int idle_left;

  gboolean *observe;
  DvVal *recorded;      /* per layer, this step */
  const float **resp_ptrs;
  gboolean *present;
  DvObserverFunc observer;
  gpointer observer_data;
  DvCancelFunc cancel;
  gpointer cancel_data;
  DvResponseGradFunc response_grad;
  gpointer response_grad_data;
};

#define DV_OP_CALL_MAX_HISTORY 8

struct _DvOpCall {
  DvRun *run;
  const DvOpClass *klass;
  int layer, t;
  int C, H, W;
  float *saved;
  gboolean in_backward;
  /* the history the forward read, so backward sees the same tensors */
  int n_hist;
  struct { int layer, k; DvVal v; } hist[DV_OP_CALL_MAX_HISTORY];
};

/* Arenas (dv-run-setup.c).  alloc: n floats, 64-byte aligned, valid until
 * the arena is reset.  reset: everything handed out is dead (the chunks
 * stay, so old pointers stay valid memory); reset_consolidate: nothing
 * points into it any more, several chunks become one.  zero_used: zeroes
 * the most any round since the last consolidation used. */
float *dv_arena_alloc (DvArena *a, gsize n);
void   dv_arena_init (DvArena *a);
void   dv_arena_reset (DvArena *a);
void   dv_arena_reset_consolidate (DvArena *a);
void   dv_arena_zero_used (DvArena *a);
void   dv_arena_clear (DvArena *a);
/* Frees the chunks; the arena stays usable. */
void   dv_arena_release (DvArena *a);
/* The gather maps of every layer with local recurrence (dv-run-setup.c). */
void   dv_run_build_local_maps (DvRun *run);
/* Frees a DvCheckpoint (dv-run.c). */
void   dv_checkpoint_free (gpointer ckpt);
/* Backward of tape entries [begin, end), last first. */
void   dv_tape_backward_range (DvRun *run, guint begin, guint end);
