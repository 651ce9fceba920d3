/* ops-harness.h — the op-test harness shared by test-ops.c and test-ops-norm.c.
 *
 * What this is for: one TestOp describing any kernel of engine/dv-ops.h (inputs,
 * gradients, shapes, config), its forward and backward, a central finite-difference
 * check of the backward (gradcheck), PyTorch reference sums (pat_buf / wsum, see
 * test-ops.c's header comment) and buffer comparisons.  Test code only.
 */
#pragma once

#include "dv-ops.h"

#include <math.h>
#include <string.h>

extern GRand *rng; /* seeded by each test program's main */

typedef enum {
  OP_CONV, OP_RELU, OP_SUPRALIN, OP_MULINT, OP_RESIZE, OP_MAXPOOL, OP_AVGPOOL,
  OP_GAP, OP_LINEAR, OP_BN, OP_GN, OP_WN,
} OpKind;

enum { MAX_IN = 3, OUT = MAX_IN };

typedef struct {
  OpKind kind;
  int n_in;
  float *in[MAX_IN], *grad[MAX_IN], *out, *dout;
  int shape[MAX_IN + 1][3]; /* N, C, HW of each input; [OUT] is the output */
  DvConvConfig cfg;
  int N, C, H, W, Ho, Wo, k, stride, pad, G;
  gboolean train;
  float *mean, *invstd, *rmean, *rvar;
  int32_t *argmax;
  DvScratch scratch;
  double h, tol;
} TestOp;

#define LEN(o, i) ((size_t) (o)->shape[i][0] * (o)->shape[i][1] * (o)->shape[i][2])
#define IN(o, i) ((o)->n_in > (i) ? (o)->in[i] : NULL)
#define GRAD(o, i) ((o)->n_in > (i) ? (o)->grad[i] : NULL)

float *rand_buf (size_t n, double lo, double hi);
float *pat_buf (const int *shape, double a, double b, double amp);
double wsum (const float *t, const int *shape);
void assert_close (double got, double want, double rtol);
void expect_at (const float *got, int n, const int *idx, const float *want);
void assert_bufs_close (const float *a, const float *b, size_t n, double rtol);
void op_forward (TestOp *o);
void op_backward (TestOp *o);
void op_alloc (TestOp *o);
void op_free (TestOp *o);
void op_pattern (TestOp *o, int k, double a, double b, double amp);
void op_check_pytorch (TestOp *o, const double *want, double rtol);
double op_loss (TestOp *o);
void gradcheck (TestOp *o);
void op_planes (TestOp *o, OpKind kind, int planes, int H, int W, int Ho, int Wo);
void op_pool (TestOp *o, OpKind kind, int planes, int H, int W, int k, int s, int p);
void op_norm (TestOp *o, OpKind kind, int N, int C, int HW, int G, gboolean affine);
