/* dv-custom.c — the registries of user operations and solvers, the
 * parameter declarations and call accessors they use, and the finite-
 * difference gradient check offered to their authors (see dv-custom.h). */
#include "dv-custom.h"
#include "dv-eval.h"
#include "dv-rng.h"
#include "dv-run-private.h"

#include <math.h>
#include <string.h>

static GMutex registry_lock;
static GHashTable *op_registry;     /* name -> DvOpClass* (owned) */
static GHashTable *solver_registry; /* name -> DvSolverClass* (owned) */

static gboolean
valid_name (const char *name, GError **error)
{
  DvOp builtin;
  if (name == NULL || !g_ascii_isalpha (name[0]))
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "a custom operation or solver needs a name starting with a letter");
      return FALSE;
    }
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      {
        g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                     "'%s': names may contain letters, digits and '_' only", name);
        return FALSE;
      }
  if (dv_op_from_name (name, &builtin) || g_ascii_strcasecmp (name, "euler") == 0
      || g_ascii_strcasecmp (name, "rk4") == 0)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "'%s' is a built-in name; choose another", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
dv_op_register (const DvOpClass *klass, GError **error)
{
  g_return_val_if_fail (klass != NULL && klass->forward != NULL, FALSE);
  if (!valid_name (klass->name, error))
    return FALSE;
  g_mutex_lock (&registry_lock);
  if (op_registry == NULL)
    op_registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gboolean taken = g_hash_table_contains (op_registry, klass->name);
  if (!taken)
    {
      DvOpClass *copy = g_memdup2 (klass, sizeof *klass);
      copy->name = g_strdup (klass->name);
      g_hash_table_insert (op_registry, (char *) copy->name, copy);
    }
  g_mutex_unlock (&registry_lock);
  if (taken)
    g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "an operation named '%s' is already registered",
                 klass->name);
  return !taken;
}

const DvOpClass *
dv_op_lookup (const char *name)
{
  g_mutex_lock (&registry_lock);
  const DvOpClass *k = op_registry ? g_hash_table_lookup (op_registry, name) : NULL;
  g_mutex_unlock (&registry_lock);
  return k;
}

gboolean
dv_solver_register (const DvSolverClass *klass, GError **error)
{
  g_return_val_if_fail (klass != NULL && klass->step != NULL && klass->backward != NULL, FALSE);
  if (!valid_name (klass->name, error))
    return FALSE;
  g_mutex_lock (&registry_lock);
  if (solver_registry == NULL)
    solver_registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gboolean taken = g_hash_table_contains (solver_registry, klass->name);
  if (!taken)
    {
      DvSolverClass *copy = g_memdup2 (klass, sizeof *klass);
      copy->name = g_strdup (klass->name);
      g_hash_table_insert (solver_registry, (char *) copy->name, copy);
    }
  g_mutex_unlock (&registry_lock);
  if (taken)
    g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "a solver named '%s' is already registered",
                 klass->name);
  return !taken;
}

const DvSolverClass *
dv_solver_lookup (const char *name)
{
  if (name == NULL)
    return NULL;
  g_mutex_lock (&registry_lock);
  const DvSolverClass *k = solver_registry ? g_hash_table_lookup (solver_registry, name) : NULL;
  g_mutex_unlock (&registry_lock);
  return k;
}

/* ---- declarations (model build) ---------------------------------------- */

struct _DvOpDeclare {
  DvModel *model;
  const char *prefix; /* "<op>_<layer>" */
};

void
dv_op_declare_param (DvOpDeclare *decl, const char *name, int ndim, const gint64 *shape, float init_value,
                     float init_range)
{
  g_return_if_fail (decl != NULL && name != NULL && ndim >= 0 && ndim <= 4);
  g_autofree char *full = g_strdup_printf ("%s.%s", decl->prefix, name);
  if (dv_model_lookup (decl->model, full))
    return; /* the same op twice in the op list shares its parameters */
  DvParam *p = dv_model_add_param (decl->model, full, DV_PARAM_F32, ndim, shape, TRUE, FALSE);
  DvCustomInit ci = { p, init_value, init_range };
  g_array_append_val (decl->model->custom_inits, ci);
}

void
dv_model_declare_custom_params (DvModel *m)
{
  const DvModelDesc *D = m->desc;
  for (guint k = 0; k < D->op_classes->len; k++)
    {
      const DvOpClass *klass = g_ptr_array_index (D->op_classes, k);
      if (klass == NULL || klass->declare == NULL)
        continue;
      for (int i = 0; i < D->n_layers; i++)
        {
          g_autofree char *prefix = g_strdup_printf ("%s_%s", klass->name, D->layers[i].name);
          DvOpDeclare decl = { m, prefix };
          klass->declare (&decl, &D->layers[i], klass->user_data);
        }
    }
}

void
dv_model_init_custom_params (DvModel *m, DvRng *rng)
{
  for (guint k = 0; k < m->custom_inits->len; k++)
    {
      const DvCustomInit *ci = &g_array_index (m->custom_inits, DvCustomInit, k);
      for (gint64 i = 0; i < ci->p->numel; i++)
        ci->p->data[i] = ci->value + (rng && ci->range > 0
                                      ? (float) ((2 * dv_rng_uniform (rng) - 1) * ci->range) : 0.0f);
    }
}

/* ---- calls (forward and backward) -------------------------------------- */

gpointer
dv_op_call_user_data (DvOpCall *call)
{
  return call->klass->user_data;
}

int
dv_op_call_layer (DvOpCall *call)
{
  return call->layer;
}

int
dv_op_call_timestep (DvOpCall *call)
{
  return call->t;
}

void
dv_op_call_shape (DvOpCall *call, int *C, int *N, int *H, int *W)
{
  if (C)
    *C = call->C;
  if (N)
    *N = call->run->N;
  if (H)
    *H = call->H;
  if (W)
    *W = call->W;
}

static DvParam *
call_param (DvOpCall *call, const char *name)
{
  g_autofree char *full = g_strdup_printf ("%s_%s.%s", call->klass->name,
                                           call->run->model->desc->layers[call->layer].name, name);
  DvParam *p = dv_model_lookup (call->run->model, full);
  if (p == NULL)
    g_critical ("custom op %s: no parameter '%s' was declared", call->klass->name, full);
  return p;
}

float *
dv_op_call_param (DvOpCall *call, const char *name)
{
  DvParam *p = call_param (call, name);
  return p ? p->data : NULL;
}

float *
dv_op_call_param_grad (DvOpCall *call, const char *name)
{
  DvParam *p = call_param (call, name);
  return p ? p->grad : NULL;
}

float *
dv_op_call_save (DvOpCall *call, gsize n)
{
  call->saved = dv_arena_alloc (call->run->arena, MAX (n, 1));
  return call->saved;
}

float *
dv_op_call_saved (DvOpCall *call)
{
  return call->saved;
}

/* ---- gradient check ------------------------------------------------------ */

static double
mean_ce (DvModel *m, const float *x, const gint64 *labels, int B, int T)
{
  int K = dv_model_get_desc (m)->n_classes;
  g_autofree float *lg = g_new (float, (gsize) B * T * K);
  if (!dv_eval_forward (m, x, B, T, FALSE, lg, NULL, NULL, NULL))
    return NAN;
  double sum = 0;
  int valid = 0;
  for (int r = 0; r < B * T; r++)
    {
      if (labels[r] < 0)
        continue;
      double mx = -INFINITY, se = 0;
      for (int k = 0; k < K; k++)
        mx = MAX (mx, lg[r * K + k]);
      for (int k = 0; k < K; k++)
        se += exp ((double) lg[r * K + k] - mx);
      sum += -((double) lg[r * K + labels[r]] - mx - log (se));
      valid++;
    }
  return valid ? sum / valid : 0;
}

static double
fd (DvModel *m, DvParam *p, gint64 k, float h0, const float *x, const gint64 *labels, int B, int T)
{
  float orig = p->data[k], h = h0 * MAX (1.0f, fabsf (orig));
  p->data[k] = orig + h;
  double lp = mean_ce (m, x, labels, B, T);
  p->data[k] = orig - h;
  double lm = mean_ce (m, x, labels, B, T);
  p->data[k] = orig;
  return (lp - lm) / ((double) (orig + h) - (double) (orig - h));
}

gboolean
dv_check_gradients (DvModel *model, const float *x, const gint64 *labels, int B, int T, int per_tensor,
                    double tol, DvGradCheckReport *report)
{
  DvGradCheckReport r = { 0 };
  double loss;
  if (!dv_eval_loss_grad (model, x, labels, B, T, FALSE, &loss, NULL, NULL))
    return FALSE;
  DvRng rng;
  dv_rng_init (&rng, 1234);
  for (guint i = 0; i < dv_model_n_params (model); i++)
    {
      DvParam *p = dv_model_param (model, i);
      if (!p->trainable || p->grad == NULL)
        continue;
      for (int j = 0; j < MIN (per_tensor, p->numel); j++)
        {
          gint64 k = p->numel <= per_tensor ? j : (gint64) dv_rng_below (&rng, p->numel);
          double n1 = fd (model, p, k, 1e-3f, x, labels, B, T), n2 = fd (model, p, k, 5e-4f, x, labels, B, T);
          double n3 = fd (model, p, k, 2.5e-4f, x, labels, B, T);
          /* Not smooth here (a ReLU or pool switching within ±h): the three step sizes must
           * agree to half the tolerance for the difference to be a reference at all. */
          if (fabs (n1 - n2) > 0.5 * tol * MAX (MAX (fabs (n1), fabs (n2)), 1e-2)
              || fabs (n3 - n2) > 0.5 * tol * MAX (MAX (fabs (n3), fabs (n2)), 1e-2))
            continue;
          double rel = fabs (n2 - p->grad[k]) / MAX (MAX (fabs (n2), fabs (p->grad[k])), 1e-2);
          r.checked++;
          if (rel > tol)
            r.failed++;
          if (rel > r.worst_rel)
            {
              r.worst_rel = rel;
              g_free (r.worst_param);
              r.worst_param = g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", p->name, k);
            }
        }
    }
  if (report)
    *report = r;
  else
    g_free (r.worst_param);
  return r.failed == 0 && r.checked > 0;
}
