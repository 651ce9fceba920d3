/* dv-sequence.c — storage and frame materialisation of a DvSequence (see dv-sequence.h).
 *
 * For: allocation, frame access, whole-tensor materialisation.  Not for: deciding the
 * timeline (dv-presentation.c).
 */
#include "dv-sequence.h"

#include <string.h>

DvSequence *
dv_sequence_new (int B, int T, int C, int H, int W, int n_variants)
{
  g_return_val_if_fail (B > 0 && T > 0 && C > 0 && H > 0 && W > 0 && n_variants >= 0, NULL);
  DvSequence *seq = g_new0 (DvSequence, 1);
  seq->B = B;
  seq->T = T;
  seq->C = C;
  seq->H = H;
  seq->W = W;
  seq->n_variants = n_variants;
  seq->variants = n_variants ? g_new0 (float, (gsize) n_variants * B * C * H * W) : NULL;
  seq->labels = g_new0 (gint64, (gsize) B * T);
  seq->schedule = g_new0 (DvScheduleEntry, T);
  seq->classes = g_new0 (int, B);
  seq->indices = g_new (int, B);
  for (int b = 0; b < B; b++)
    seq->indices[b] = -1;
  seq->epoch = seq->batch = -1;
  return seq;
}

void
dv_sequence_free (DvSequence *seq)
{
  if (!seq)
    return;
  g_free (seq->variants);
  g_free (seq->labels);
  g_free (seq->schedule);
  g_free (seq->classes);
  g_free (seq->indices);
  g_free (seq);
}

gsize
dv_sequence_frame_size (const DvSequence *seq)
{
  return (gsize) seq->B * seq->C * seq->H * seq->W;
}

const float *
dv_sequence_frame_data (const DvSequence *seq, int t)
{
  g_return_val_if_fail (t >= 0 && t < seq->T, NULL);
  int v = seq->schedule[t].variant;
  if (seq->schedule[t].kind == DV_FRAME_BLANK || v < 0)
    return NULL;
  return seq->variants + (gsize) v * dv_sequence_frame_size (seq);
}

void
dv_sequence_frame (const DvSequence *seq, int t, float *out)
{
  gsize n = dv_sequence_frame_size (seq);
  const float *src = dv_sequence_frame_data (seq, t);
  if (src)
    memcpy (out, src, n * sizeof (float));
  else
    for (gsize i = 0; i < n; i++)
      out[i] = seq->blank_value;
}

void
dv_sequence_materialize (const DvSequence *seq, float *out)
{
  gsize chw = (gsize) seq->C * seq->H * seq->W;
  for (int t = 0; t < seq->T; t++)
    {
      const float *src = dv_sequence_frame_data (seq, t);
      for (int b = 0; b < seq->B; b++)
        {
          float *dst = out + ((gsize) b * seq->T + t) * chw;
          if (src)
            memcpy (dst, src + b * chw, chw * sizeof (float));
          else
            for (gsize i = 0; i < chw; i++)
              dst[i] = seq->blank_value;
        }
    }
}

gboolean
dv_sequence_frames_equal (const DvSequence *seq, int t1, int t2)
{
  g_return_val_if_fail (t1 >= 0 && t1 < seq->T && t2 >= 0 && t2 < seq->T, FALSE);
  const float *a = dv_sequence_frame_data (seq, t1), *b = dv_sequence_frame_data (seq, t2);
  return a == b;
}

const char *
dv_phase_to_string (DvPhase phase)
{
  static const char *const names[] = { "intro", "stimulus", "interval", "outro",
                                       "pattern-off", "residual" };
  g_return_val_if_fail ((guint) phase < G_N_ELEMENTS (names), NULL);
  return names[phase];
}
