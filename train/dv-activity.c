/* dv-activity.c — the activity loss; see dv-activity.h. */
#include "dv-activity.h"

#include <math.h>
#include <string.h>

void
dv_activity_config_init (DvActivityConfig *c)
{
  memset (c, 0, sizeof *c);
  c->ord = 1.0;
  c->mode = DV_ACTIVITY_ABSOLUTE;
}

void
dv_activity_config_clear (DvActivityConfig *c)
{
  g_clear_pointer (&c->layers, g_strfreev);
}

void
dv_activity_config_copy (DvActivityConfig *dst, const DvActivityConfig *src)
{
  *dst = *src;
  dst->layers = g_strdupv (src->layers);
}

void
dv_activity_measure (const float *x, int C, int B, int HW, DvActivityMode mode, double ord, double *a)
{
  double n = (double) C * HW;
  for (int b = 0; b < B; b++)
    {
      double s = 0;
      for (int c = 0; c < C; c++)
        {
          const float *p = x + ((gsize) c * B + b) * HW;
          for (int i = 0; i < HW; i++)
            {
              if (mode == DV_ACTIVITY_SIGNED)
                s += p[i];
              else if (ord == 1.0)
                s += fabs (p[i]);
              else if (ord == 2.0)
                s += (double) p[i] * p[i];
              else
                s += pow (fabs (p[i]), ord);
            }
        }
      if (mode == DV_ACTIVITY_SIGNED)
        a[b] = fabs (s / n);
      else
        a[b] = pow (s, 1.0 / ord) / pow (n, 1.0 / ord);
    }
}

static double
sgn (double v)
{
  return (v > 0) - (v < 0);
}

void
dv_activity_backward (float *dx, const float *x, int C, int B, int HW, DvActivityMode mode, double ord,
                      const double *scale)
{
  double n = (double) C * HW;
  g_autofree double *a = g_new (double, B);
  dv_activity_measure (x, C, B, HW, mode, ord, a);
  for (int b = 0; b < B; b++)
    {
      double coef;
      if (mode == DV_ACTIVITY_SIGNED)
        {
          double s = 0;
          for (int c = 0; c < C; c++)
            for (int i = 0; i < HW; i++)
              s += x[((gsize) c * B + b) * HW + i];
          coef = scale[b] * sgn (s) / n;
        }
      else
        {
          /* d/dx ‖x‖_p = |x|^{p-1} sgn(x) / ‖x‖_p^{p-1};  ‖x‖_p = a · n^{1/p} */
          double norm = a[b] * pow (n, 1.0 / ord);
          if (norm == 0 && ord != 1.0)
            continue;
          coef = scale[b] / pow (n, 1.0 / ord) / (ord == 1.0 ? 1.0 : pow (norm, ord - 1));
        }
      for (int c = 0; c < C; c++)
        {
          float *d = dx + ((gsize) c * B + b) * HW;
          const float *p = x + ((gsize) c * B + b) * HW;
          for (int i = 0; i < HW; i++)
            {
              double g;
              if (mode == DV_ACTIVITY_SIGNED)
                g = coef;
              else if (ord == 1.0)
                g = coef * sgn (p[i]);
              else
                g = coef * pow (fabs (p[i]), ord - 1) * sgn (p[i]);
              d[i] += (float) g;
            }
        }
    }
}

struct _DvActivityLoss {
  DvModel *model;
  DvActivityConfig cfg;
  gboolean *monitored;   /* per layer */
  int n_monitored;
  int *calls;            /* per layer: steps with a response */
  double *sum_b;         /* per sample: Σ_layers Σ_t a_b */
  double *a;
  double *scale_b;       /* per sample, for the backward pass */
  int batch;
  double backward_scale;
};

DvActivityLoss *
dv_activity_loss_new (DvRun *run, const DvActivityConfig *config, GError **error)
{
  DvModel *m = dv_run_get_model (run);
  const DvModelDesc *D = dv_model_get_desc (m);
  g_autofree gboolean *mon = g_new0 (gboolean, D->n_layers);
  int n = 0;
  if (config->layers == NULL || config->layers[0] == NULL)
    {
      for (int l = 0; l < D->n_layers; l++)
        mon[l] = TRUE;
      n = D->n_layers;
    }
  else
    for (char **s = config->layers; *s; s++)
      {
        int l = dv_model_desc_layer_index (D, *s);
        if (l < 0)
          {
            GString *known = g_string_new (NULL);
            for (int k = 0; k < D->n_layers; k++)
              g_string_append_printf (known, "%s%s", k ? ", " : "", D->layers[k].name);
            g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN,
                         "activity loss: the model has no layer '%s' (layers: %s)", *s, known->str);
            g_string_free (known, TRUE);
            return NULL;
          }
        if (!mon[l])
          n++;
        mon[l] = TRUE;
      }
  DvActivityLoss *al = g_new0 (DvActivityLoss, 1);
  al->model = m;
  dv_activity_config_copy (&al->cfg, config);
  al->monitored = g_steal_pointer (&mon);
  al->n_monitored = n;
  al->calls = g_new0 (int, D->n_layers);
  for (int l = 0; l < D->n_layers; l++)
    if (al->monitored[l])
      dv_run_observe_layer (run, l, TRUE);
  al->backward_scale = config->weight;
  dv_run_set_observer (run, dv_activity_loss_observe, al);
  dv_run_set_response_grad (run, dv_activity_loss_response_grad, al);
  return al;
}

void
dv_activity_loss_free (DvActivityLoss *al)
{
  if (al == NULL)
    return;
  dv_activity_config_clear (&al->cfg);
  g_free (al->monitored);
  g_free (al->calls);
  g_free (al->sum_b);
  g_free (al->a);
  g_free (al->scale_b);
  g_free (al);
}

void
dv_activity_loss_reset (DvActivityLoss *al)
{
  memset (al->calls, 0, sizeof (int) * dv_model_get_desc (al->model)->n_layers);
  if (al->sum_b)
    memset (al->sum_b, 0, sizeof (double) * al->batch);
}

void
dv_activity_loss_observe (DvRun *run, const DvFrame *f, gpointer user_data)
{
  DvActivityLoss *al = user_data;
  if (al->batch != f->batch)
    {
      g_free (al->sum_b);
      g_free (al->a);
      g_free (al->scale_b);
      al->batch = f->batch;
      al->sum_b = g_new0 (double, f->batch);
      al->a = g_new0 (double, f->batch);
      al->scale_b = g_new0 (double, f->batch);
    }
  for (int l = 0; l < f->n_layers; l++)
    {
      if (!al->monitored[l] || f->responses[l] == NULL)
        continue;
      int C, H, W;
      dv_model_layer_shape (al->model, l, &C, &H, &W);
      dv_activity_measure (f->responses[l], C, f->batch, H * W, al->cfg.mode, al->cfg.ord, al->a);
      for (int b = 0; b < f->batch; b++)
        al->sum_b[b] += al->a[b];
      al->calls[l]++;
    }
}

static int
t_max (const DvActivityLoss *al)
{
  int tmax = 0, nl = dv_model_get_desc (al->model)->n_layers;
  for (int l = 0; l < nl; l++)
    tmax = MAX (tmax, al->calls[l]);
  return tmax;
}

void
dv_activity_loss_set_backward_scale (DvActivityLoss *al, double scale)
{
  al->backward_scale = scale;
}

void
dv_activity_loss_response_grad (DvRun *run, int t, int layer, const float *response, float *grad,
                                gpointer user_data)
{
  DvActivityLoss *al = user_data;
  int tmax = t_max (al);
  if (!al->monitored[layer] || al->backward_scale == 0 || tmax == 0 || al->batch == 0)
    return;
  int C, H, W;
  dv_model_layer_shape (al->model, layer, &C, &H, &W);
  for (int b = 0; b < al->batch; b++)
    al->scale_b[b] = al->backward_scale / ((double) al->batch * al->n_monitored * tmax);
  dv_activity_backward (grad, response, C, al->batch, H * W, al->cfg.mode, al->cfg.ord, al->scale_b);
}

double
dv_activity_loss_value (const DvActivityLoss *al)
{
  int tmax = t_max (al);
  if (tmax == 0 || al->n_monitored == 0 || al->batch == 0)
    return 0.0;
  double s = 0;
  for (int b = 0; b < al->batch; b++)
    s += al->sum_b[b] / ((double) al->n_monitored * tmax);
  return s / al->batch;
}
