/* dv-custom.h — operations and solvers written by the user, taking part in
 * BPTT, checkpoints and observers like built-in ones.
 *
 * A custom operation is a named step in a model's layer_operations (as
 * DynVision's free op slots `addext`, `addbias`, or a method `V3_addskip` of
 * a subclass).  It maps the layer's current value x [C][N][H][W] to a value
 * of the same shape; it may own parameters (state_dict names
 * "<op>_<layer>.<param>", DynVision's {op}_{layer} convention) and read other
 * layers' history.  Its backward accumulates into dx and its parameters'
 * gradients, exactly like the engine's own ops.
 *
 * A custom solver replaces the Euler/RK4 step: y = step(u, h) with its
 * derivative.  Select it with dynamics_solver = "<name>".
 *
 * Registration is global and thread-safe; register before building models
 * that use the names.  dv_check_gradients() compares a model's BPTT against
 * central finite differences — use it on your own ops.
 */
#pragma once

#include "dv-model.h"

G_BEGIN_DECLS

typedef struct _DvOpCall DvOpCall;
typedef struct _DvOpDeclare DvOpDeclare;

typedef struct {
  const char *name;
  /* Declares the parameters one layer's instance owns (may be NULL). */
  void     (*declare) (DvOpDeclare *decl, const DvLayerDesc *layer, gpointer user_data);
  /* x may be NULL (no tensor yet): return FALSE to keep the value absent,
   * or fill y and return TRUE.  y has x's shape (the layer's at this slot). */
  gboolean (*forward) (DvOpCall *call, const float *x, float *y);
  /* dy: gradient of y; accumulate into dx (NULL when not wanted) and into
   * parameter gradients (dv_op_call_param_grad). */
  void     (*backward) (DvOpCall *call, const float *dy, const float *x, const float *y, float *dx);
  gpointer user_data;
} DvOpClass;

gboolean dv_op_register (const DvOpClass *klass, GError **error);
const DvOpClass *dv_op_lookup (const char *name);

/* In declare(): a parameter of the given shape and initial value (or
 * uniform in ±init_range when init_range > 0). */
void dv_op_declare_param (DvOpDeclare *decl, const char *name, int ndim, const gint64 *shape,
                          float init_value, float init_range);

/* In forward()/backward(). */
gpointer     dv_op_call_user_data (DvOpCall *call);
int          dv_op_call_layer (DvOpCall *call);
int          dv_op_call_timestep (DvOpCall *call);
void         dv_op_call_shape (DvOpCall *call, int *C, int *N, int *H, int *W);
float       *dv_op_call_param (DvOpCall *call, const char *name);
float       *dv_op_call_param_grad (DvOpCall *call, const char *name);  /* NULL if not trainable */
/* Scratch kept for this call's backward (forward allocates, backward reads). */
float       *dv_op_call_save (DvOpCall *call, gsize n_floats);
float       *dv_op_call_saved (DvOpCall *call);
/* A layer's stored state k appends ago (k = 1 newest), NULL if none;
 * *grad receives where its gradient accumulates (NULL if detached).  In
 * backward() it returns the very tensors the forward read (up to 8
 * distinct (layer, k) per call). */
const float *dv_op_call_history (DvOpCall *call, int layer, int k, float **grad);

/* ---- solvers ------------------------------------------------------------ */

typedef struct {
  const char *name;
  /* y = step(u, h) over n elements; h == NULL on a first step (no state). */
  void (*step) (float *y, const float *u, const float *h, gsize n, float dt, float tau, gpointer user_data);
  /* accumulate du, dh (either may be NULL) and return d loss / d tau. */
  double (*backward) (float *du, float *dh, const float *dy, const float *u, const float *h, gsize n,
                      float dt, float tau, gpointer user_data);
  gpointer user_data;
} DvSolverClass;

gboolean dv_solver_register (const DvSolverClass *klass, GError **error);
const DvSolverClass *dv_solver_lookup (const char *name);

/* ---- checking -------------------------------------------------------------- */

typedef struct {
  int checked;
  int failed;
  double worst_rel;
  char *worst_param;   /* g_free */
} DvGradCheckReport;

/* Compares the BPTT gradient of the mean cross-entropy of x [B,T,C,H,W]
 * with labels [B,T] against central finite differences for up to
 * per_tensor entries of every trainable parameter, sampled with a fixed
 * seed (FALSE if any is off by more than tol relative).  An entry where the
 * differences at h = 1e-3, 5e-4 and 2.5e-4 disagree by more than tol/2 is
 * not smooth there (a ReLU or pool switching) and is skipped, not counted.
 * The model's parameters are restored. */
gboolean dv_check_gradients (DvModel *model, const float *x, const gint64 *labels, int B, int T,
                             int per_tensor, double tol, DvGradCheckReport *report);

G_END_DECLS
