/* test-data-presentation.c — tests of temporal presentation (timelines and labels against
 * the SPEC's worked examples), the model-side pattern, reaction mask and residual steps,
 * parameter names and aliases, noise power vs SNR, noise spectra, and augmentation.
 *
 * For: the `data` test executable, whose main is in test-data.c.
 * Not for: dataset readers or loaders (test-data.c).
 */
#include "dv-data.h"

#include <math.h>
#include <string.h>

void dv_test_data_presentation_register (void);

/* ---------------------------------------------------------------- presentation */

/* Two 1×2×2 images (values 1..4 and −1..−4), classes 3 and 7. */
static const float tiny_images[8] = { 1, 2, 3, 4, -1, -2, -3, -4 };
static const int tiny_classes[2] = { 3, 7 };

static DvSequence *
build_tiny (const char *const *kv, guint64 seed)
{
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_STANDARD);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_presentation_parse (&p, kv, &error));
  g_assert_no_error (error);
  DvSequence *seq = dv_presentation_build (&p, tiny_images, tiny_classes, 2, 1, 2, 2, seed,
                                           &error);
  g_assert_no_error (error);
  return seq;
}

/* Labels of sample b as a string of class digits / '-' for −1, e.g. "--33-". */
static char *
label_string (const DvSequence *seq, int b)
{
  GString *s = g_string_new (NULL);
  for (int t = 0; t < seq->T; t++)
    {
      gint64 y = seq->labels[(gsize) b * seq->T + t];
      g_string_append_c (s, y < 0 ? '-' : (char) ('0' + y));
    }
  return g_string_free (s, FALSE);
}

/* Frames as 'S' (stimulus) or '.' (blank). */
static char *
frame_string (const DvSequence *seq)
{
  GString *s = g_string_new (NULL);
  for (int t = 0; t < seq->T; t++)
    g_string_append_c (s, dv_sequence_frame_data (seq, t) ? 'S' : '.');
  return g_string_free (s, FALSE);
}

static void
assert_timeline (const DvSequence *seq, const char *frames, const char *labels0)
{
  g_autofree char *f = frame_string (seq);
  g_autofree char *l = label_string (seq, 0);
  g_assert_cmpstr (f, ==, frames);
  g_assert_cmpstr (l, ==, labels0);
}

static void
test_presentation_duration (void)
{
  /* the tutorial's StimulusDuration: intro 2, stim 10, 20 steps → blank×2 image×10 blank×8 */
  const char *kv[] = { "loader=duration", "intro=2", "stim=10", "dsteps=20", NULL };
  g_autoptr (DvSequence) seq = build_tiny (kv, 1);
  assert_timeline (seq, "..SSSSSSSSSS........", "--3333333333--------");
  g_autofree char *l1 = label_string (seq, 1);
  g_assert_cmpstr (l1, ==, "--7777777777--------");
  g_assert_cmpint (seq->schedule[0].phase, ==, DV_PHASE_INTRO);
  g_assert_cmpint (seq->schedule[2].phase, ==, DV_PHASE_STIMULUS);
  g_assert_cmpint (seq->schedule[2].presentation, ==, 1);
  g_assert_cmpint (seq->schedule[15].phase, ==, DV_PHASE_OUTRO);
  g_assert_cmpfloat (seq->schedule[15].contrast, ==, 0.0f);
  const float *f = dv_sequence_frame_data (seq, 5);
  g_assert_cmpmem (f, sizeof (float) * 8, tiny_images, sizeof tiny_images);

  /* DynVision defaults: T 30, stim 20, intro 1 */
  const char *def[] = { "loader=StimulusDurationDataLoader", NULL };
  g_autoptr (DvSequence) d = build_tiny (def, 1);
  g_assert_cmpint (d->T, ==, 30);
  g_assert_null (dv_sequence_frame_data (d, 0));
  g_assert_nonnull (dv_sequence_frame_data (d, 20));
  g_assert_null (dv_sequence_frame_data (d, 21));

  /* not enough timesteps */
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_DURATION);
  const char *bad[] = { "n_timesteps=5", "stim=5", "intro=1", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_presentation_parse (&p, bad, &error));
  g_assert_false (dv_presentation_validate (&p, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID);
}

static void
test_presentation_interval_contrast (void)
{
  const char *kv[] = { "loader=interval", "tsteps=10", "stim=2", "intro=1", "interval=3", NULL };
  g_autoptr (DvSequence) seq = build_tiny (kv, 1);
  assert_timeline (seq, ".SS...SS..", "-33---33--");
  g_assert_cmpint (seq->schedule[1].presentation, ==, 1);
  g_assert_cmpint (seq->schedule[3].phase, ==, DV_PHASE_INTERVAL);
  g_assert_cmpint (seq->schedule[6].presentation, ==, 2);
  g_assert_cmpint (seq->schedule[8].phase, ==, DV_PHASE_OUTRO);

  const char *c[] = { "loader=contrast", "contrast=0.25", "voidinput=0.5", NULL };
  g_autoptr (DvSequence) cs = build_tiny (c, 1);
  assert_timeline (cs, "..SSSSSSSSSS...", "--3333333333---");
  float frame[8];
  dv_sequence_frame (cs, 4, frame);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (frame[i], ==, 0.25f * tiny_images[i]);
  dv_sequence_frame (cs, 0, frame);
  g_assert_cmpfloat (frame[3], ==, 0.5f);
  g_assert_cmpfloat (cs->schedule[4].contrast, ==, 0.25f);

  const char *st[] = { "loader=standard", NULL };
  g_autoptr (DvSequence) s1 = build_tiny (st, 1);
  assert_timeline (s1, "S", "3");
  const char *rep[] = { "loader=repetition", "repeat=4", NULL };
  g_autoptr (DvSequence) r = build_tiny (rep, 1);
  assert_timeline (r, "SSSS", "3333");
}

static void
test_pattern_stretch (void)
{
  guint8 base[DV_PATTERN_MAX], out[16];
  int len;
  char s[17];
  g_assert_true (dv_pattern_parse ("101", base, &len, NULL));
  dv_pattern_stretch (base, len, 9, out);
  for (int t = 0; t < 9; t++)
    s[t] = (char) ('0' + out[t]);
  s[9] = 0;
  g_assert_cmpstr (s, ==, "111000111");
  g_assert_true (dv_pattern_parse ("[1, 0, 1, 1]", base, &len, NULL));
  g_assert_cmpint (len, ==, 4);
  dv_pattern_stretch (base, len, 10, out);
  for (int t = 0; t < 10; t++)
    s[t] = (char) ('0' + out[t]);
  s[10] = 0;
  g_assert_cmpstr (s, ==, "1110011111");
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_pattern_parse ("12", base, &len, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID);
}

static void
test_pattern_worked_example (void)
{
  /* SPEC §1.8: pattern "1011", T = 10, dt = 2, lossrt = 4 → [-1,-1,y,-1,-1,-1,-1,y,y,y],
   * input frames 3 and 4 blank */
  const char *kv[] = { "loader=standard", "model_timesteps=10", "pattern=1011", "dt=2",
                       "lossrt=4", NULL };
  g_autoptr (DvSequence) seq = build_tiny (kv, 1);
  assert_timeline (seq, "SSS..SSSSS", "--3----333");
  g_assert_true (seq->schedule[0].label_masked);
  g_assert_false (seq->schedule[2].label_masked);
  g_assert_cmpint (seq->schedule[3].phase, ==, DV_PHASE_PATTERN_OFF);
  g_assert_cmpint (seq->schedule[2].presentation, ==, 1);
  g_assert_cmpint (seq->schedule[5].presentation, ==, 2);
  g_assert_true (dv_sequence_frames_equal (seq, 0, 9));

  /* all-ones pattern: the reaction mask still starts at t = 0; "101" T=9 → 111000111 */
  const char *k2[] = { "model_timesteps=9", "pattern=101", NULL };
  g_autoptr (DvSequence) s2 = build_tiny (k2, 1);
  assert_timeline (s2, "SSS...SSS", "333---333");
  const char *k3[] = { "model_timesteps=5", "lossrt=5", "dt=2", NULL };
  g_autoptr (DvSequence) s3 = build_tiny (k3, 1);
  assert_timeline (s3, "SSSSS", "---33");

  /* multi-frame batches pass through unchanged: no pattern, no mask */
  const char *k4[] = { "loader=repetition", "repeat=4", "model_timesteps=8", "pattern=10",
                       "lossrt=4", NULL };
  g_autoptr (DvSequence) s4 = build_tiny (k4, 1);
  assert_timeline (s4, "SSSS", "3333");
}

static void
test_pattern_shuffle (void)
{
  const char *kv[] = { "model_timesteps=8", "pattern=1100", "shufflepattern=true", NULL };
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint64 seed = 0; seed < 40; seed++)
    {
      g_autoptr (DvSequence) seq = build_tiny (kv, seed);
      char *f = frame_string (seq);
      int on = 0;
      for (int t = 0; t < 8; t++)
        on += f[t] == 'S';
      g_assert_cmpint (on, ==, 4);
      /* the same seed gives the same pattern */
      g_autoptr (DvSequence) again = build_tiny (kv, seed);
      g_autofree char *f2 = frame_string (again);
      g_assert_cmpstr (f, ==, f2);
      g_hash_table_add (seen, f);
    }
  g_assert_cmpuint (g_hash_table_size (seen), >=, 3);
  g_hash_table_unref (seen);
}

static void
test_residual (void)
{
  const char *kv[] = { "loader=duration", "n_timesteps=6", "intro=1", "stim=2", "residual=3",
                       NULL };
  g_autoptr (DvSequence) seq = build_tiny (kv, 1);
  /* inputs: I S S O O O + 3 blank; labels shifted right by 3 */
  assert_timeline (seq, ".SS......", "----33---");
  g_assert_cmpint (seq->n_residual, ==, 3);
  g_assert_cmpint (seq->schedule[7].phase, ==, DV_PHASE_RESIDUAL);

  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_STANDARD);
  p.model_timesteps = 10;
  p.n_residual_timesteps = 8;
  g_assert_cmpint (dv_presentation_get_timesteps (&p), ==, 18);
}

static void
test_presentation_parse (void)
{
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_DURATION);
  const char *kv[] = { "intro=3", "dsteps=12", "noisetype=salt_pepper", "noiselevel=0.3",
                       "tempmode=static", "noisevoid=False", "voidid=-5", "voidinput=0.5",
                       "spatialcorr=true", "noiseseed=9", "lossrt=4", "pattern=1011",
                       "shufflepattern=True", "stim=None", "loader=StimulusNoiseDataLoader",
                       "Correlation-Kernel-Size=5", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_presentation_parse (&p, kv, &error));
  g_assert_no_error (error);
  g_assert_cmpint (p.loader, ==, DV_LOADER_NOISE);
  g_assert_cmpint (p.intro_duration, ==, 3);   /* loader= is applied first */
  g_assert_cmpint (p.n_timesteps, ==, 12);
  g_assert_cmpint (p.stimulus_duration, ==, -1);
  g_assert_cmpint (p.noise.type, ==, DV_NOISE_SALTPEPPER);
  g_assert_cmpfloat (p.noise.ssnr, ==, 0.3);
  g_assert_cmpint (p.temporal_mode, ==, DV_TEMPORAL_STATIC);
  g_assert_false (p.noise_void);
  g_assert_cmpint (p.non_label_index, ==, -5);
  g_assert_cmpfloat (p.non_input_value, ==, 0.5f);
  g_assert_true (p.noise.spatially_correlated);
  g_assert_cmpint (p.noise.correlation_kernel_size, ==, 5);
  g_assert_true (p.has_noise_seed);
  g_assert_cmpuint (p.noise_seed, ==, 9);
  g_assert_cmpfloat (p.loss_reaction_time, ==, 4.0);
  g_assert_cmpstr (p.data_presentation_pattern, ==, "1011");
  g_assert_true (p.shuffle_presentation_pattern);
  g_assert_true (dv_presentation_validate (&p, &error));

  /* to_string round trip */
  g_autofree char *s = dv_presentation_to_string (&p);
  g_auto (GStrv) parts = g_strsplit (s, " ", -1);
  DvPresentation q;
  dv_presentation_init (&q, DV_LOADER_STANDARD);
  g_assert_true (dv_presentation_parse (&q, (const char *const *) parts, &error));
  g_autofree char *s2 = dv_presentation_to_string (&q);
  g_assert_cmpstr (s, ==, s2);

  const char *unknown[] = { "stimulus_lenght=3", NULL };
  g_assert_false (dv_presentation_parse (&p, unknown, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "stimulus_lenght"));
  g_clear_error (&error);
  const char *badval[] = { "stim=ten", NULL };
  g_assert_false (dv_presentation_parse (&p, badval, &error));
  g_clear_error (&error);
  const char *badmode[] = { "tempmode=correlated", NULL };
  g_assert_false (dv_presentation_parse (&p, badmode, &error));
  g_clear_error (&error);
  /* out of range is refused where it is typed, naming key, value and range */
  const char *badssnr[] = { "ssnr=1.5", NULL };
  g_assert_false (dv_presentation_parse (&p, badssnr, &error));
  g_assert_nonnull (strstr (error->message, "ssnr=1.5"));
  g_assert_nonnull (strstr (error->message, "from 0 to 1"));
  g_clear_error (&error);
  p.noise.ssnr = 1.5;
  g_assert_false (dv_presentation_validate (&p, &error));
}

/* ---------------------------------------------------------------- noise */

static float *
smooth_images (int B, int C, int H, int W, guint64 seed)
{
  DvRng rng;
  dv_rng_init (&rng, seed);
  float *x = g_new (float, (gsize) B * C * H * W);
  for (int bc = 0; bc < B * C; bc++)
    {
      double fx = dv_rng_range (&rng, 0.1, 0.6), ph = dv_rng_range (&rng, 0, 6);
      for (int p = 0; p < H * W; p++)
        x[(gsize) bc * H * W + p] = (float) (sin (fx * (p % W) + ph) + 0.5 * cos (0.3 * (p / W))
                                             + 0.2 * dv_rng_normal (&rng));
    }
  return x;
}

static double
diff_var (const float *a, const float *b, gsize n, gboolean mean_square)
{
  g_autofree float *d = g_new (float, n);
  double ms = 0;
  for (gsize i = 0; i < n; i++)
    {
      d[i] = a[i] - b[i];
      ms += (double) d[i] * d[i];
    }
  return mean_square ? ms / n : dv_noise_variance (d, n);
}

static void
test_noise_power (void)
{
  const int B = 8, C = 3, H = 16, W = 16;
  gsize n = (gsize) B * C * H * W;
  g_autofree float *x = smooth_images (B, C, H, W, 3);
  g_autofree float *y = g_new (float, n);
  double var = dv_noise_variance (x, n);
  const double ssnrs[] = { 0.2, 0.5, 0.8 };
  struct { DvNoiseType type; gboolean corr; double tol; gboolean ms; double min_ssnr; } cases[] = {
    { DV_NOISE_UNIFORM, FALSE, 0.05, FALSE, 0 },
    { DV_NOISE_GAUSSIAN, FALSE, 0.05, FALSE, 0 },
    { DV_NOISE_GAUSSIAN, TRUE, 1e-3, FALSE, 0 },
    { DV_NOISE_PHASESCRAMBLED, FALSE, 1e-3, FALSE, 0 },
    { DV_NOISE_SALTPEPPER, FALSE, 0.1, TRUE, 0 },
    { DV_NOISE_POISSON, FALSE, 0.1, FALSE, 0.5 },
  };
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    for (gsize s = 0; s < G_N_ELEMENTS (ssnrs); s++)
      {
        if (ssnrs[s] < cases[c].min_ssnr)
          continue;
        DvNoiseParams p;
        dv_noise_params_init (&p);
        p.type = cases[c].type;
        p.spatially_correlated = cases[c].corr;
        p.ssnr = ssnrs[s];
        DvRng rng;
        dv_rng_init (&rng, 11 + s);
        dv_noise_apply (&p, &rng, x, y, B, C, H, W);
        double want = var / (ssnrs[s] / (1 - ssnrs[s]));
        double got = diff_var (y, x, n, cases[c].ms);
        if (fabs (got / want - 1) > cases[c].tol)
          g_error ("%s%s ssnr %.1f: noise power %.4f, wanted %.4f",
                   dv_noise_type_to_string (p.type), p.spatially_correlated ? " (corr)" : "",
                   ssnrs[s], got, want);
      }

  /* ssnr 1: untouched; ssnr 0: clamped (finite), not infinite as in DynVision */
  DvNoiseParams p;
  dv_noise_params_init (&p);
  p.type = DV_NOISE_GAUSSIAN;
  p.ssnr = 1.0;
  DvRng rng;
  dv_rng_init (&rng, 1);
  dv_noise_apply (&p, &rng, x, y, B, C, H, W);
  g_assert_cmpmem (x, n * sizeof (float), y, n * sizeof (float));
  p.ssnr = 0.0;
  dv_noise_apply (&p, &rng, x, y, B, C, H, W);
  for (gsize i = 0; i < n; i++)
    g_assert_true (isfinite (y[i]));
  g_assert_cmpfloat_with_epsilon (diff_var (y, x, n, FALSE) / (var / DV_NOISE_SNR_MIN), 1.0,
                                  0.05);
}

static double
lag1_corr (const float *v, int B, int H, int W)
{
  double sxy = 0, sxx = 0;
  for (int b = 0; b < B; b++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x + 1 < W; x++)
        {
          const float *p = v + (gsize) b * H * W + y * W + x;
          sxy += p[0] * p[1];
          sxx += p[0] * p[0];
        }
  return sxy / sxx;
}

static void
test_noise_spectra (void)
{
  const int B = 4, H = 32;
  gsize n = (gsize) B * H * H;
  g_autofree float *x = smooth_images (B, 1, H, H, 5);
  g_autofree float *y = g_new (float, n);
  g_autofree float *d = g_new (float, n);
  DvNoiseParams p;
  DvRng rng;
  dv_noise_params_init (&p);
  p.ssnr = 0.5;

  p.type = DV_NOISE_GAUSSIAN;
  dv_rng_init (&rng, 2);
  dv_noise_apply (&p, &rng, x, y, B, 1, H, H);
  for (gsize i = 0; i < n; i++)
    d[i] = y[i] - x[i];
  g_assert_cmpfloat (fabs (lag1_corr (d, B, H, H)), <, 0.1);
  p.spatially_correlated = TRUE;
  dv_noise_apply (&p, &rng, x, y, B, 1, H, H);
  for (gsize i = 0; i < n; i++)
    d[i] = y[i] - x[i];
  g_assert_cmpfloat (lag1_corr (d, B, H, H), >, 0.5);

  /* synthetic 1/f: zero mean per image (no DC); the lag-1 autocorrelation of a 1/|f| power
   * spectrum on 32×32 without DC is Σ P cos(2π fx) / Σ P = 0.287; exponent 0 is white */
  {
    const int B16 = 16;
    gsize n16 = (gsize) B16 * H * H;
    g_autofree float *x16 = smooth_images (B16, 1, H, H, 6);
    g_autofree float *y16 = g_new (float, n16);
    g_autofree float *d16 = g_new (float, n16);
    p.type = DV_NOISE_PHASESCRAMBLED;
    dv_noise_apply (&p, &rng, x16, y16, B16, 1, H, H);
    for (gsize i = 0; i < n16; i++)
      d16[i] = y16[i] - x16[i];
    g_assert_cmpfloat_with_epsilon (lag1_corr (d16, B16, H, H), 0.287, 0.05);
    for (int b = 0; b < B16; b++)
      {
        double m = 0;
        for (int i = 0; i < H * H; i++)
          m += d16[b * H * H + i];
        g_assert_cmpfloat (fabs (m / (H * H)), <, 1e-4);
      }
    p.spectral_exponent = 0.0;
    dv_noise_apply (&p, &rng, x16, y16, B16, 1, H, H);
    for (gsize i = 0; i < n16; i++)
      d16[i] = y16[i] - x16[i];
    g_assert_cmpfloat (fabs (lag1_corr (d16, B16, H, H)), <, 0.05);
  }

  /* image spectrum of a vertical-stripe cosine: the noise is that cosine at a random phase,
   * for a power-of-two width (FFT) and for width 28 (DFT) */
  for (int W = 32; W >= 28; W -= 4)
    {
      int period = W / 4;
      g_autofree float *img = g_new (float, (gsize) 2 * H * W);
      g_autofree float *out = g_new (float, (gsize) 2 * H * W);
      for (int i = 0; i < 2 * H * W; i++)
        img[i] = (float) cos (2 * G_PI * (i % W) / period);
      DvNoiseParams q;
      dv_noise_params_init (&q);
      q.type = DV_NOISE_PHASESCRAMBLED;
      q.use_image_spectrum = TRUE;
      q.ssnr = 0.5;
      dv_noise_apply (&q, &rng, img, out, 2, 1, H, W);
      for (int b = 0; b < 2; b++)
        for (int yy = 0; yy < H; yy++)
          for (int xx = 0; xx < W; xx++)
            {
              int i = b * H * W + yy * W + xx;
              float nz = out[i] - img[i];
              float first = out[b * H * W + xx] - img[b * H * W + xx];
              float shifted = out[b * H * W + (xx + period) % W] - img[b * H * W + (xx + period) % W];
              g_assert_cmpfloat_with_epsilon (nz, first, 1e-4);
              g_assert_cmpfloat_with_epsilon (nz, shifted, 1e-4);
            }
    }
}

static void
test_noise_presentation (void)
{
  /* dynamic: independent noise per stimulus frame; void frames stay blank */
  const char *dyn[] = { "loader=noise", "dsteps=6", "intro=1", "stim=3", "noisetype=gaussian",
                        "ssnr=0.5", NULL };
  g_autoptr (DvSequence) d = build_tiny (dyn, 4);
  assert_timeline (d, ".SSS..", "-333--");
  g_assert_cmpint (d->n_variants, ==, 3);
  g_assert_false (dv_sequence_frames_equal (d, 1, 2));
  g_assert_true (memcmp (dv_sequence_frame_data (d, 1), dv_sequence_frame_data (d, 2),
                         8 * sizeof (float)) != 0);
  g_assert_cmpfloat (d->schedule[1].ssnr, ==, 0.5f);
  g_assert_cmpfloat (d->schedule[0].ssnr, ==, 1.0f);

  const char *sta[] = { "loader=noise", "dsteps=6", "intro=1", "stim=3", "tempmode=static",
                        NULL };
  g_autoptr (DvSequence) s = build_tiny (sta, 4);
  g_assert_cmpint (s->n_variants, ==, 1);
  g_assert_true (dv_sequence_frames_equal (s, 1, 3));
  g_assert_true (memcmp (dv_sequence_frame_data (s, 1), tiny_images, sizeof tiny_images) != 0);

  /* stim=None: T − intro */
  const char *none[] = { "loader=noise", "dsteps=5", "intro=2", NULL };
  g_autoptr (DvSequence) nn = build_tiny (none, 4);
  assert_timeline (nn, "..SSS", "--333");

  /* same seed → same noise; other seed → other noise; a noise_seed freezes it */
  g_autoptr (DvSequence) d2 = build_tiny (dyn, 4);
  g_autoptr (DvSequence) d3 = build_tiny (dyn, 5);
  g_assert_cmpmem (d->variants, 24 * sizeof (float), d2->variants, 24 * sizeof (float));
  g_assert_true (memcmp (d->variants, d3->variants, 24 * sizeof (float)) != 0);
  const char *frozen[] = { "loader=noise", "dsteps=6", "intro=1", "stim=3", "noiseseed=77",
                           NULL };
  g_autoptr (DvSequence) f1 = build_tiny (frozen, 4);
  g_autoptr (DvSequence) f2 = build_tiny (frozen, 5);
  g_assert_cmpmem (f1->variants, 24 * sizeof (float), f2->variants, 24 * sizeof (float));

  /* ssnr 1 adds nothing */
  const char *clean[] = { "loader=noise", "dsteps=3", "ssnr=1", NULL };
  g_autoptr (DvSequence) c = build_tiny (clean, 4);
  g_assert_cmpmem (dv_sequence_frame_data (c, 2), sizeof tiny_images, tiny_images,
                   sizeof tiny_images);
}

/* ---------------------------------------------------------------- augmentation */

static void
test_augment (void)
{
  const int C = 3, H = 20, W = 20;
  float img[3 * 20 * 20], orig[3 * 20 * 20], scratch[3 * 20 * 20];
  DvRng rng;
  dv_rng_init (&rng, 5);
  for (int i = 0; i < C * H * W; i++)
    orig[i] = (float) dv_rng_uniform (&rng);

  DvAugmentConfig none = { 0 };
  memcpy (img, orig, sizeof img);
  dv_augment_apply (&none, &rng, img, C, H, W, scratch);
  g_assert_cmpmem (img, sizeof img, orig, sizeof orig);

  /* flip only: either unchanged or mirrored, both seen */
  DvAugmentConfig flip = { .hflip = TRUE };
  int mirrored = 0, kept = 0;
  for (int k = 0; k < 40; k++)
    {
      memcpy (img, orig, sizeof img);
      dv_augment_apply (&flip, &rng, img, C, H, W, scratch);
      gboolean same = memcmp (img, orig, sizeof img) == 0, mir = TRUE;
      for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
          for (int x = 0; x < W; x++)
            mir &= img[c * H * W + y * W + x] == orig[c * H * W + y * W + (W - 1 - x)];
      g_assert_true (same || mir);
      mirrored += mir;
      kept += same;
    }
  g_assert_cmpint (mirrored, >, 0);
  g_assert_cmpint (kept, >, 0);

  /* translate only: an integer shift of at most 0.1·size, zero fill */
  DvAugmentConfig tr = { .translate = 0.1 };
  for (int k = 0; k < 20; k++)
    {
      memcpy (img, orig, sizeof img);
      dv_augment_apply (&tr, &rng, img, C, H, W, scratch);
      gboolean found = FALSE;
      for (int dy = -2; dy <= 2 && !found; dy++)
        for (int dx = -2; dx <= 2 && !found; dx++)
          {
            gboolean ok = TRUE;
            for (int y = 0; y < H && ok; y++)
              for (int x = 0; x < W && ok; x++)
                {
                  int sx = x - dx, sy = y - dy;
                  float want = sx >= 0 && sx < W && sy >= 0 && sy < H ? orig[sy * W + sx] : 0;
                  ok = img[y * W + x] == want;
                }
            found = ok;
          }
      g_assert_true (found);
    }

  /* the base preset keeps values in [0,1] and is deterministic for a given stream */
  DvAugmentConfig base;
  dv_augment_config_from_preset (&base, DV_AUGMENT_PRESET_BASE);
  g_assert_cmpfloat (base.rotation_deg, ==, 10.0);
  g_assert_true (base.hflip);
  float again[3 * 20 * 20];
  DvRng r1, r2;
  dv_rng_init (&r1, 9);
  dv_rng_init (&r2, 9);
  memcpy (img, orig, sizeof img);
  memcpy (again, orig, sizeof again);
  dv_augment_apply (&base, &r1, img, C, H, W, scratch);
  dv_augment_apply (&base, &r2, again, C, H, W, scratch);
  g_assert_cmpmem (img, sizeof img, again, sizeof again);
  for (int i = 0; i < C * H * W; i++)
    g_assert_true (img[i] >= 0.0f && img[i] <= 1.0f);
  DvAugmentConfig emb;
  dv_augment_config_from_preset (&emb, DV_AUGMENT_PRESET_EMBEDDED);
  g_assert_false (emb.hflip);
}

void
dv_test_data_presentation_register (void)
{
  g_test_add_func ("/data/presentation/duration", test_presentation_duration);
  g_test_add_func ("/data/presentation/interval-contrast-standard",
                   test_presentation_interval_contrast);
  g_test_add_func ("/data/presentation/pattern-stretch", test_pattern_stretch);
  g_test_add_func ("/data/presentation/pattern-worked-example", test_pattern_worked_example);
  g_test_add_func ("/data/presentation/pattern-shuffle", test_pattern_shuffle);
  g_test_add_func ("/data/presentation/residual", test_residual);
  g_test_add_func ("/data/presentation/parse-aliases", test_presentation_parse);
  g_test_add_func ("/data/noise/power-matches-ssnr", test_noise_power);
  g_test_add_func ("/data/noise/spectra", test_noise_spectra);
  g_test_add_func ("/data/noise/static-dynamic-void-seed", test_noise_presentation);
  g_test_add_func ("/data/augment/transforms", test_augment);
}
