/* dv-norm.c — normalisation layers over CNHW activations, forward above backward.
 *
 * What this is for: BatchNorm2d (training with batch statistics and a
 * running-stat update, evaluation with running statistics), GroupNorm, and
 * the weight-norm reparametrisation w = g·v/‖v‖ (PyTorch dim 0), with
 * PyTorch's float32 semantics.  Statistics are accumulated in double.
 * What it is not for: deciding train vs eval (the caller passes it), or
 * layer norm / instance norm, which no DynVision model uses.
 *
 * In CNHW a channel's N·H·W values are contiguous, so batch-norm statistics
 * are one linear scan per channel (channels are split over the kernel
 * threads); a group-norm group of sample n is Cg runs of HW values, N·HW
 * apart.
 */
#include "dv-kernels.h"

#include <math.h>

/* ------------------------------------------------------------------------ */
/* Reductions in double over float runs, with four independent chains (a    */
/* single chain is bound by the adder's latency).                            */

static double
sum_of (const float *x, size_t n)
{
  double s[4] = { 0 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; l++)
      s[l] += x[i + l];
  for (; i < n; i++)
    s[0] += x[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Σ (x − mu)² */
static double
sqdev_of (const float *x, size_t n, double mu)
{
  double s[4] = { 0 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; l++)
      s[l] += (x[i + l] - mu) * (x[i + l] - mu);
  for (; i < n; i++)
    s[0] += (x[i] - mu) * (x[i] - mu);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Σ x·y */
static double
dot_of (const float *x, const float *y, size_t n)
{
  double s[4] = { 0 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; l++)
      s[l] += (double) x[i + l] * y[i + l];
  for (; i < n; i++)
    s[0] += (double) x[i] * y[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Σ y·(x − mu): the centred dot product (x̂ without its scale), so that a
 * channel whose |mean| dwarfs its spread does not cancel Σxy against mu·Σy. */
static double
dot_centred_of (const float *x, const float *y, size_t n, double mu)
{
  double s[4] = { 0 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; l++)
      s[l] += ((double) x[i + l] - mu) * y[i + l];
  for (; i < n; i++)
    s[0] += ((double) x[i] - mu) * y[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* ------------------------------------------------------------------------ */
/* Batch norm                                                                */

typedef struct {
  float *out, *mean, *invstd, *running_mean, *running_var;
  float *dinp, *dgamma, *dbeta;
  const float *inp, *gamma, *beta, *dout, *cmean, *cinvstd;
  size_t M;
  float eps, momentum;
  gboolean train;
} BnJob;

static void
bn_forward_channel (int c, int worker, gpointer data)
{
  const BnJob *j = data;
  const size_t M = j->M;
  const float *x = j->inp + (size_t) c * M;
  float *y = j->out + (size_t) c * M;

  if (j->train)
    {
      const double mu = sum_of (x, M) / (double) M;
      const double sq = sqdev_of (x, M, mu);
      const double var = sq / (double) M;

      j->mean[c] = (float) mu;
      j->invstd[c] = (float) (1.0 / sqrt (var + (double) j->eps));
      if (j->running_mean)
        j->running_mean[c] = (1.0f - j->momentum) * j->running_mean[c] + j->momentum * (float) mu;
      if (j->running_var)
        {
          /* PyTorch refuses to train on one value per channel; we fall
           * back to the biased variance rather than divide by zero. */
          const double unbiased = M > 1 ? sq / (double) (M - 1) : var;
          j->running_var[c] = (1.0f - j->momentum) * j->running_var[c] + j->momentum * (float) unbiased;
        }
    }
  else
    {
      j->mean[c] = j->running_mean[c];
      j->invstd[c] = (float) (1.0 / sqrt ((double) j->running_var[c] + (double) j->eps));
    }

  /* y = x·a + b with a = γ·invstd, b = β − mean·a. */
  const float a = (j->gamma ? j->gamma[c] : 1.0f) * j->invstd[c];
  const float b = (j->beta ? j->beta[c] : 0.0f) - j->mean[c] * a;
  for (size_t i = 0; i < M; i++)
    y[i] = x[i] * a + b;
}

void
dv_batchnorm_forward (float *out, float *mean, float *invstd,
                      const float *inp, const float *gamma, const float *beta,
                      float *running_mean, float *running_var,
                      int C, int N, int HW, float eps, float momentum, gboolean train)
{
  g_return_if_fail (out != NULL && mean != NULL && invstd != NULL && inp != NULL);
  g_return_if_fail (C > 0 && N > 0 && HW > 0);
  g_return_if_fail (train || (running_mean != NULL && running_var != NULL));

  const BnJob j = { .out = out, .mean = mean, .invstd = invstd, .running_mean = running_mean,
                    .running_var = running_var, .inp = inp, .gamma = gamma, .beta = beta,
                    .M = (size_t) N * HW, .eps = eps, .momentum = momentum, .train = train };
  dv_parallel_for (C, bn_forward_channel, (gpointer) &j);
}

static void
bn_backward_channel (int c, int worker, gpointer data)
{
  const BnJob *j = data;
  const size_t M = j->M;
  const float *x = j->inp + (size_t) c * M;
  const float *dy = j->dout + (size_t) c * M;
  const double mu = j->cmean[c], is = j->cinvstd[c];
  const double sum_dy = sum_of (dy, M);
  const double sum_dy_xhat = dot_centred_of (x, dy, M, mu) * is;
  if (j->dgamma)
    j->dgamma[c] += (float) sum_dy_xhat;
  if (j->dbeta)
    j->dbeta[c] += (float) sum_dy;
  if (!j->dinp)
    return;

  const double a = (j->gamma ? j->gamma[c] : 1.0) * is;
  float *dx = j->dinp + (size_t) c * M;
  if (j->train)
    {
      /* dx = a·(dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − mean)·invstd, centred
       * per element as PyTorch does.  Folding it into a·dy − k1·x + k0 lets
       * k1·x and k0 cancel each other when |mean| ≫ std. */
      const double mdy = sum_dy / (double) M, k = is * sum_dy_xhat / (double) M;
      for (size_t i = 0; i < M; i++)
        dx[i] += (float) (a * ((double) dy[i] - mdy - ((double) x[i] - mu) * k));
    }
  else
    {
      const float fa = (float) a;
      for (size_t i = 0; i < M; i++)
        dx[i] += fa * dy[i];
    }
}

void
dv_batchnorm_backward (float *dinp, float *dgamma, float *dbeta,
                       const float *dout, const float *inp, const float *mean,
                       const float *invstd, const float *gamma,
                       int C, int N, int HW, gboolean train)
{
  g_return_if_fail (dout != NULL && inp != NULL && mean != NULL && invstd != NULL);
  g_return_if_fail (C > 0 && N > 0 && HW > 0);

  const BnJob j = { .dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout, .inp = inp,
                    .cmean = mean, .cinvstd = invstd, .gamma = gamma, .M = (size_t) N * HW,
                    .train = train };
  dv_parallel_for (C, bn_backward_channel, (gpointer) &j);
}

/* ------------------------------------------------------------------------ */
/* Group norm                                                                */

void
dv_groupnorm_forward (float *out, float *mean, float *invstd, const float *inp,
                      const float *gamma, const float *beta, int C, int N, int HW,
                      int G, float eps)
{
  g_return_if_fail (out != NULL && mean != NULL && invstd != NULL && inp != NULL);
  g_return_if_fail (C > 0 && N > 0 && HW > 0 && G > 0 && C % G == 0);

  const int Cg = C / G;
  const double M = (double) Cg * HW;

  for (int n = 0; n < N; n++)
    for (int g = 0; g < G; g++)
      {
        double sum = 0.0, sq = 0.0;

        for (int c = g * Cg; c < (g + 1) * Cg; c++)
          sum += sum_of (inp + ((size_t) c * N + n) * HW, HW);
        const double mu = sum / M;
        for (int c = g * Cg; c < (g + 1) * Cg; c++)
          sq += sqdev_of (inp + ((size_t) c * N + n) * HW, HW, mu);
        const float fmu = (float) mu;
        const float fis = (float) (1.0 / sqrt (sq / M + (double) eps));
        mean[n * G + g] = fmu;
        invstd[n * G + g] = fis;

        for (int c = g * Cg; c < (g + 1) * Cg; c++)
          {
            const float a = (gamma ? gamma[c] : 1.0f) * fis;
            const float b = (beta ? beta[c] : 0.0f) - fmu * a;
            const float *x = inp + ((size_t) c * N + n) * HW;
            float *y = out + ((size_t) c * N + n) * HW;
            for (int i = 0; i < HW; i++)
              y[i] = x[i] * a + b;
          }
      }
}

/* Per (n, g), with s_c = Σ dy·x and d_c = Σ dy over channel c's HW values:
 *   dx = γ_c·rstd·dy + k2·x + k3,
 *   k2 = (Σ_c γ_c d_c · μ − Σ_c γ_c s_c) · rstd³ / M,  k3 = −k2·μ − Σ_c γ_c d_c · rstd / M,
 *   dγ_c += (s_c − d_c·μ)·rstd,  dβ_c += d_c. */
void
dv_groupnorm_backward (float *dinp, float *dgamma, float *dbeta, const float *dout,
                       const float *inp, const float *mean, const float *invstd,
                       const float *gamma, int C, int N, int HW, int G)
{
  g_return_if_fail (dout != NULL && inp != NULL && mean != NULL && invstd != NULL);
  g_return_if_fail (C > 0 && N > 0 && HW > 0 && G > 0 && C % G == 0);

  const int Cg = C / G;
  const double M = (double) Cg * HW;

  for (int n = 0; n < N; n++)
    for (int g = 0; g < G; g++)
      {
        const double mu = mean[n * G + g], rs = invstd[n * G + g];
        double ds = 0.0, db = 0.0;

        for (int c = g * Cg; c < (g + 1) * Cg; c++)
          {
            const float *x = inp + ((size_t) c * N + n) * HW;
            const float *dy = dout + ((size_t) c * N + n) * HW;
            const double s_c = dot_of (dy, x, HW), d_c = sum_of (dy, HW);
            const double gc = gamma ? gamma[c] : 1.0;
            ds += gc * s_c;
            db += gc * d_c;
            if (dgamma)
              dgamma[c] += (float) ((s_c - d_c * mu) * rs);
            if (dbeta)
              dbeta[c] += (float) d_c;
          }
        if (!dinp)
          continue;

        const double k2 = (db * mu - ds) * rs * rs * rs / M;
        const double k3 = -k2 * mu - db * rs / M;
        const float fk2 = (float) k2, fk3 = (float) k3;
        for (int c = g * Cg; c < (g + 1) * Cg; c++)
          {
            const float a = (float) ((gamma ? gamma[c] : 1.0) * rs);
            const float *x = inp + ((size_t) c * N + n) * HW;
            const float *dy = dout + ((size_t) c * N + n) * HW;
            float *dx = dinp + ((size_t) c * N + n) * HW;
            for (int i = 0; i < HW; i++)
              dx[i] += a * dy[i] + fk2 * x[i] + fk3;
          }
      }
}

/* ------------------------------------------------------------------------ */
/* Weight norm (dim 0): w[o,:] = v[o,:] · (g[o] / ‖v[o,:]‖), no epsilon, as   */
/* torch._weight_norm.                                                       */

static double
row_norm (const float *v, int fan)
{
  return sqrt (dot_of (v, v, fan));
}

void
dv_weightnorm_forward (float *w, const float *g, const float *v, int cout, int fan)
{
  g_return_if_fail (w != NULL && g != NULL && v != NULL && cout > 0 && fan > 0);

  for (int o = 0; o < cout; o++)
    {
      const float *vo = v + (size_t) o * fan;
      float *wo = w + (size_t) o * fan;
      const float s = (float) (g[o] / row_norm (vo, fan));
      for (int i = 0; i < fan; i++)
        wo[i] = vo[i] * s;
    }
}

/* dg += (dw·v)/‖v‖;  dv += (g/‖v‖)·(dw − v·(dw·v)/‖v‖²). */
void
dv_weightnorm_backward (float *dg, float *dv, const float *dw, const float *g,
                        const float *v, int cout, int fan)
{
  g_return_if_fail (dw != NULL && g != NULL && v != NULL && cout > 0 && fan > 0);

  for (int o = 0; o < cout; o++)
    {
      const float *vo = v + (size_t) o * fan;
      const float *dwo = dw + (size_t) o * fan;
      const double norm = row_norm (vo, fan);
      const double dot = dot_of (dwo, vo, fan);
      if (dg)
        dg[o] += (float) (dot / norm);
      if (dv)
        {
          const float s = (float) (g[o] / norm);
          const float t = (float) (dot / (norm * norm));
          float *dvo = dv + (size_t) o * fan;
          for (int i = 0; i < fan; i++)
            dvo[i] += s * (dwo[i] - vo[i] * t);
        }
    }
}
