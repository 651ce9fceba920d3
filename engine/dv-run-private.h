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
  DV_T_SUPRALIN,
  DV_T_MULINT,      /* out = a·(1+tanh b) */
  DV_T_ADD2,        /* out = a + b */
  DV_T_ADD_ACC,     /* out += a */
  DV_T_RESIZE,      /* out (+)= nearest(a) */
  DV_T_SELF,        /* out = w·a (+ b) */
  DV_T_TSTEP,       /* out = ode(u = a, h = b) */
  DV_T_MAXPOOL,
  DV_T_AVGPOOL,
  DV_T_BN,
  DV_T_GN,
  DV_T_GAP,
  DV_T_LINEAR,
  DV_T_GATHER,      /* out[dst[q]+n·ho] (+)= a[src[q]+n·hi] */
  DV_T_SPBIAS,      /* out = a + bias[c,h,w] (a may be NONE) */
  DV_T_CUSTOM,      /* out = user op (a); saved = its DvOpCall */
} DvTapeKind;

typedef struct {
  DvTapeKind kind;
  DvVal out, a, b;
  int C, H, W;          /* shape of input a */
  int Ho, Wo;           /* output spatial size */
  const DvConvMod *conv;
  const DvBnMod *bn;
  const DvGnMod *gn;
  DvParam *p1, *p2;     /* self: weight, bias (if applied); tstep: tau */
  float f1, f2;         /* tstep: dt; supralin: p, k; pools: k, stride */
  int i1, i2;           /* pools: pad; tstep: solver; gather: n entries */
  void *saved;          /* maxpool argmax; bn/gn mean */
  float *saved2;        /* bn/gn invstd */
  const int32_t *src_off, *dst_off; /* gather maps */
  const DvSolverClass *solver;      /* tstep with a custom solver */
  int hw_in, hw_out;    /* gather: per-sample plane sizes */
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
  int cap, count, next;
} DvRing;

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
/* The gather maps of every layer with local recurrence (dv-run-setup.c). */
void   dv_run_build_local_maps (DvRun *run);
/* Backward of tape entries [begin, end), last first. */
void   dv_tape_backward_range (DvRun *run, guint begin, guint end);
