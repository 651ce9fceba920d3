/* bench/cputime.c — the engine side of bench/vs-pytorch-cputime.sh: the
 * tutorial model of `dynvision bench`, timed in CPU seconds of the whole
 * process (not wall time), so that a machine shared with other jobs still
 * gives comparable numbers.  Prints one JSON line like `dynvision bench`,
 * with "cpu" in the impl name.  Built by the script against a build
 * directory's libdvengine.a; not part of the meson build.
 *
 *   cputime [--threads N] [--batch B] [--steps T] [--size S] [--reps R] [--only infer|train]
 *
 * With PERF_CTL_FIFO set to the control fifo of `perf record --control
 * fifo:… -D -1`, the profile is switched on after the warm-up run, so it
 * shows the steady state only (no first-touch page faults).
 */
#include "dv-desc.h"
#include "dv-model.h"
#include "dv-ops.h"
#include "dv-optim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

static void
perf_enable (void)
{
  const char *fifo = g_getenv ("PERF_CTL_FIFO");
  if (fifo == NULL)
    return;
  FILE *f = fopen (fifo, "w");
  if (f)
    {
      fputs ("enable\n", f);
      fclose (f);
    }
}

static double
cpu_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main (int argc, char **argv)
{
  int threads = 1, batch = 32, steps = 20, size = 32, reps = 3;
  const char *only = "";
  for (int i = 1; i + 1 < argc; i += 2)
    {
      int v = atoi (argv[i + 1]);
      if (!strcmp (argv[i], "--threads")) threads = v;
      else if (!strcmp (argv[i], "--batch")) batch = v;
      else if (!strcmp (argv[i], "--steps")) steps = v;
      else if (!strcmp (argv[i], "--size")) size = v;
      else if (!strcmp (argv[i], "--reps")) reps = v;
      else if (!strcmp (argv[i], "--only")) only = argv[i + 1];
    }
  dv_set_num_threads (threads);
  GError *error = NULL;
  char *dims = g_strdup_printf ("input_dims=[%d,3,%d,%d]", steps, size, size);
  const char *kw[] = { dims, "dt=2.0", "tau=10.0", "t_feedforward=2.0", "t_recurrence=2.0", "t_skip=0.0",
                       "recurrence_type=full", "use_skip_connections=true", "n_classes=10" };
  DvJson *kwargs = dv_kwargs_parse (kw, G_N_ELEMENTS (kw), &error);
  DvModelDesc *d = dv_preset_build ("CustomRCNN", kwargs, &error);
  DvModel *m = d ? dv_model_new (d, &error) : NULL;
  if (m == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  dv_model_init_params (m, 0);
  gsize xn = (gsize) batch * steps * 3 * size * size;
  float *x = g_new (float, xn);
  GRand *r = g_rand_new_with_seed (0);
  for (gsize i = 0; i < xn; i++)
    x[i] = (float) g_rand_double_range (r, -1, 1);
  gint64 *labels = g_new (gint64, (gsize) batch * steps);
  for (int b = 0; b < batch; b++)
    {
      gint64 y = g_rand_int_range (r, 0, 10);
      for (int t = 0; t < steps; t++)
        labels[b * steps + t] = y;
    }
  int K = 10;
  float *logits = g_new (float, (gsize) batch * steps * K), *dl = g_new (float, (gsize) batch * steps * K);
  double inf = 0, tr = 0;

  if (strcmp (only, "train") != 0)
    {
      DvRunOptions iopt = { .training = FALSE };
      DvRun *irun = dv_run_new (m, batch, &iopt);
      dv_run_forward (irun, x, steps, logits, NULL);
      perf_enable ();
      double t0 = cpu_s ();
      for (int i = 0; i < reps; i++)
        dv_run_forward (irun, x, steps, logits, NULL);
      inf = (cpu_s () - t0) / reps;
      dv_run_free (irun);
    }
  if (strcmp (only, "infer") != 0)
    {
      DvOptimConfig oc = { .kind = DV_OPTIM_SGD, .lr = 0.01, .momentum = 0.9 };
      DvOptim *opt = dv_optim_new (m, &oc);
      DvRunOptions topt = { .training = TRUE, .bn_train = TRUE };
      DvRun *trun = dv_run_new (m, batch, &topt);
      for (int i = 0; i <= reps; i++)
        {
          double s = cpu_s ();
          dv_model_zero_grad (m);
          dv_run_forward (trun, x, steps, logits, NULL);
          memset (dl, 0, sizeof (float) * batch * steps * K);
          dv_cross_entropy (dl, logits, (const int64_t *) labels, batch * steps, K, -1, 1.0f, NULL);
          dv_run_backward (trun, dl, NULL);
          dv_optim_step (opt);
          if (i > 0)
            tr += cpu_s () - s;
          else
            perf_enable ();
        }
      tr /= reps;
      dv_run_free (trun);
      dv_optim_free (opt);
    }
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  printf ("{\"impl\": \"dynvision-c-cpu\", \"threads\": %d, \"batch\": %d, \"T\": %d, \"size\": %d, "
          "\"infer_cpu_s\": %.4f, \"train_cpu_s\": %.4f, \"peak_rss_mb\": %.1f}\n",
          threads, batch, steps, size, inf, tr, ru.ru_maxrss / 1024.0);
  return 0;
}
