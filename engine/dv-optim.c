/* dv-optim.c — SGD, Adam and AdamW with torch.optim's exact update order. */
#include "dv-optim.h"
#include "dv-model-private.h"

#include <math.h>
#include <string.h>

typedef struct {
  char *needle;
  double factor;
} LrFactor;

struct _DvOptim {
  DvModel *model;
  DvOptimConfig cfg;
  float *m, *v;        /* moments, over the trainable parameters in order */
  gint64 n;
  gint64 step;
  GArray *factors;     /* LrFactor */
};

DvOptim *
dv_optim_new (DvModel *model, const DvOptimConfig *config)
{
  DvOptim *o = g_new0 (DvOptim, 1);
  o->model = model;
  o->cfg = *config;
  if (o->cfg.kind != DV_OPTIM_SGD)
    {
      if (o->cfg.beta1 == 0 && o->cfg.beta2 == 0)
        o->cfg.beta1 = 0.9, o->cfg.beta2 = 0.999;
      if (o->cfg.eps == 0)
        o->cfg.eps = 1e-8;
    }
  o->n = model->n_grads;
  o->m = g_new0 (float, MAX (o->n, 1));
  if (o->cfg.kind != DV_OPTIM_SGD)
    o->v = g_new0 (float, MAX (o->n, 1));
  o->factors = g_array_new (FALSE, FALSE, sizeof (LrFactor));
  return o;
}

void
dv_optim_free (DvOptim *o)
{
  if (o == NULL)
    return;
  for (guint i = 0; i < o->factors->len; i++)
    g_free (g_array_index (o->factors, LrFactor, i).needle);
  g_array_unref (o->factors);
  g_free (o->m);
  g_free (o->v);
  g_free (o);
}

void
dv_optim_set_lr (DvOptim *o, double lr)
{
  o->cfg.lr = lr;
}

void
dv_optim_add_lr_factor (DvOptim *o, const char *needle, double factor)
{
  LrFactor f = { g_strdup (needle), factor };
  g_array_append_val (o->factors, f);
}

gint64
dv_optim_get_step (const DvOptim *o)
{
  return o->step;
}

void
dv_optim_set_step (DvOptim *o, gint64 step)
{
  o->step = step;
}

float *
dv_optim_state (DvOptim *o, int which, gint64 *n)
{
  *n = o->n;
  return which == 0 ? o->m : o->v;
}

double
dv_optim_clip_grad_norm (DvOptim *o, double max_norm)
{
  double ss = 0;
  const float *g = o->model->grad_arena;
  for (gint64 i = 0; i < o->n; i++)
    ss += (double) g[i] * g[i];
  double norm = sqrt (ss);
  if (norm > max_norm && norm > 0)
    {
      float s = (float) (max_norm / (norm + 1e-6)); /* torch.nn.utils.clip_grad_norm_ */
      for (gint64 i = 0; i < o->n; i++)
        o->model->grad_arena[i] *= s;
    }
  return norm;
}

static double
factor_for (const DvOptim *o, const char *name)
{
  for (guint i = 0; i < o->factors->len; i++)
    {
      const LrFactor *f = &g_array_index (o->factors, LrFactor, i);
      if (strstr (name, f->needle))
        return f->factor;
    }
  return 1.0;
}

void
dv_optim_step (DvOptim *o)
{
  o->step++;
  const DvOptimConfig *c = &o->cfg;
  double bc1 = 1 - pow (c->beta1, (double) o->step), bc2 = 1 - pow (c->beta2, (double) o->step);
  gint64 off = 0;
  for (guint k = 0; k < o->model->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (o->model->params, k);
      if (!p->trainable)
        continue;
      float *w = p->data, *g = p->grad, *m = o->m + off, *v = o->v ? o->v + off : NULL;
      off += p->numel;
      float lr = (float) (c->lr * factor_for (o, p->name));
      float wd = (float) c->weight_decay;
      switch (c->kind)
        {
        case DV_OPTIM_SGD:
          {
            float mom = (float) c->momentum;
            for (gint64 i = 0; i < p->numel; i++)
              {
                float d = g[i] + wd * w[i];
                if (mom != 0)
                  {
                    m[i] = o->step == 1 ? d : mom * m[i] + d;
                    d = c->nesterov ? d + mom * m[i] : m[i];
                  }
                w[i] -= lr * d;
              }
            break;
          }
        case DV_OPTIM_ADAM:
        case DV_OPTIM_ADAMW:
          {
            float b1 = (float) c->beta1, b2 = (float) c->beta2;
            double step_size = c->lr * factor_for (o, p->name) / bc1;
            double sq = sqrt (bc2);
            for (gint64 i = 0; i < p->numel; i++)
              {
                float d = g[i];
                if (c->kind == DV_OPTIM_ADAM)
                  d += wd * w[i];
                else
                  w[i] *= 1.0f - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * d;
                v[i] = b2 * v[i] + (1 - b2) * d * d;
                double denom = sqrt ((double) v[i]) / sq + c->eps;
                w[i] -= (float) (step_size * m[i] / denom);
              }
            break;
          }
        }
    }
}
