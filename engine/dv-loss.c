/* dv-loss.c — softmax cross-entropy with an ignore index.
 *
 * What this is for: PyTorch's CrossEntropyLoss(reduction='mean',
 * ignore_index=…) on logits [M,K] and labels [M], the loss as a double and,
 * on request, its gradient accumulated into dlogits.  What it is not for:
 * flattening [B,T,K] outputs or choosing which timesteps count (the caller
 * marks those with the ignore label), or DynVision's activity loss.
 *
 * Valid rows are those whose label is not the ignore index (SPEC §loss).  A
 * label outside [0, K) that is not the ignore index is a programmer error:
 * PyTorch asserts; here the row counts as valid and contributes nothing.
 */
#include "dv-ops.h"

#include <math.h>

double
dv_cross_entropy (float *dlogits, const float *logits, const int64_t *labels,
                  int M, int K, int64_t ignore_index, float scale, int *n_valid)
{
  g_return_val_if_fail (M >= 0 && K > 0, 0.0);
  g_return_val_if_fail (M == 0 || (logits != NULL && labels != NULL), 0.0);

  int valid = 0;
  for (int i = 0; i < M; i++)
    if (labels[i] != ignore_index)
      valid++;
  if (n_valid)
    *n_valid = valid;
  if (valid == 0)
    return 0.0;

  const double inv_valid = 1.0 / valid;
  double total = 0.0;

  for (int i = 0; i < M; i++)
    {
      const int64_t y = labels[i];
      if (y == ignore_index)
        continue;
      g_warn_if_fail (y >= 0 && y < K);
      if (y < 0 || y >= K)
        continue;

      const float *z = logits + (size_t) i * K;
      double zmax = z[0];
      for (int j = 1; j < K; j++)
        if (z[j] > zmax)
          zmax = z[j];
      double sum = 0.0;
      for (int j = 0; j < K; j++)
        sum += exp ((double) z[j] - zmax);
      const double lse = zmax + log (sum);
      total += lse - z[y];

      if (dlogits)
        {
          float *dz = dlogits + (size_t) i * K;
          const double s = scale * inv_valid;
          for (int j = 0; j < K; j++)
            {
              const double p = exp ((double) z[j] - lse);
              dz[j] += (float) (s * (p - (j == y ? 1.0 : 0.0)));
            }
        }
    }
  return total * inv_valid;
}
