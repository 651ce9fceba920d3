/* dv-cli-test.c — `dynvision test`: one of DynVision's test experiments (SPEC §4.5) on a
 * trained checkpoint, writing per-sample, per-timestep and summary CSV files, NAME_provenance.json
 * (what produced them: base/dv-provenance.h, which `dynvision plot` carries into its figures) and
 * printing the summary per swept value.  The experiments themselves live in train/dv-experiment.c. */
#include "dv-cli.h"
#include "dv-value.h"
#include "dv-trainer.h"

#include "dv-checkpoint.h"
#include "dv-csv.h"
#include "dv-data.h"
#include "dv-experiment.h"
#include "dv-json-writer.h"
#include "dv-ops.h"
#include "dv-provenance.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
list_experiments (void)
{
  printf ("%-20s %-10s %-28s %s\n", "experiment", "parameter", "values", "presentation");
  for (guint i = 0; i < dv_experiment_n_specs (); i++)
    {
      const DvExperimentSpec *s = dv_experiment_spec (i);
      printf ("%-20s %-10s %-28s %s idle=%d\n", s->name, s->parameter[0] ? s->parameter : "-",
              s->values[0] ? s->values : "-", s->presentation, s->idle);
    }
  printf ("\nAppend 'ffonly' to a name for the feedforward-only variant (e.g. uniformnoiseffonly).\n");
}

typedef struct {
  gboolean tty;
  double last;
} Progress;

static void
on_progress (int vi, int nv, int b, int nb, gpointer data)
{
  Progress *p = data;
  double now = g_get_monotonic_time () / 1e6;
  if (b != nb && now - p->last < (p->tty ? 0.2 : 10))
    return;
  p->last = now;
  if (p->tty)
    fprintf (stderr, "\r\033[Kvalue %d/%d  batch %d/%d", vi + 1, nv, b, nb);
  else if (b == nb)
    fprintf (stderr, "value %d/%d done\n", vi + 1, nv);
}

/* "0.2,0.5,1": each a finite number (the experiment checks what its parameter takes). */
static double *
parse_values (const char *text, int *n, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autofree double *v = g_new0 (double, g_strv_length (parts) + 1);
  *n = 0;
  for (int i = 0; parts[i]; i++)
    if (*g_strstrip (parts[i]))
      {
        g_autofree char *key = g_strdup_printf ("--values entry %d", *n + 1);
        if (!dv_value_parse_double (key, parts[i], -INFINITY, INFINITY, 0, &v[(*n)++], error))
          return NULL;
      }
  if (*n == 0)
    {
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "--values=%s: give numbers, e.g. 0.2,0.5,1", text);
      return NULL;
    }
  return g_steal_pointer (&v);
}

/* DIR/NAME_provenance.json: the checkpoint and its SHA-256, the model class, the data set, the
 * seed, the protocol's presentation (before the sweep; "parameter" and "values" say what was
 * swept) and the engine version. */
static gboolean
write_provenance (const char *path, const char *checkpoint, const DvModelDesc *D, const char *data,
                  const DvExperimentSpec *spec, const DvExperimentConfig *cfg, int n_samples, GError **error)
{
  g_autoptr (DvProvenance) p = dv_provenance_new ("dynvision test");
  if (!dv_provenance_set_checkpoint (p, checkpoint, FALSE, error))
    return FALSE;
  p->model_class = g_strdup (D->model_class);
  p->dataset = g_strdup (data);
  p->has_seed = TRUE;
  p->seed = cfg->seed;
  DvPresentation pr;
  dv_presentation_init (&pr, DV_LOADER_DURATION);
  g_auto (GStrv) base = g_strsplit (spec->presentation, " ", -1);
  if (dv_presentation_parse (&pr, (const char *const *) base, NULL)
      && (cfg->overrides == NULL || dv_presentation_parse (&pr, (const char *const *) cfg->overrides, NULL)))
    {
      pr.dt = D->dt;
      p->presentation = dv_presentation_to_string (&pr);
    }
  g_autoptr (DvJsonWriter) j = dv_json_writer_new (TRUE);
  dv_json_writer_begin_object (j, NULL);
  dv_json_writer_string (j, "experiment", spec->name);
  dv_json_writer_string (j, "parameter", spec->parameter[0] ? spec->parameter : NULL);
  dv_json_writer_begin_array (j, "values");
  for (int i = 0; i < cfg->n_values; i++)
    dv_json_writer_double (j, NULL, cfg->values[i]);
  dv_json_writer_end (j);
  if (cfg->n_values == 0)
    dv_json_writer_string (j, "protocol_values", spec->values);
  dv_json_writer_int (j, "samples", n_samples);
  dv_json_writer_int (j, "idle_timesteps", spec->idle);
  dv_json_writer_bool (j, "ffonly", spec->ffonly);
  dv_provenance_write_json (p, j, "provenance");
  g_autofree char *text = dv_json_writer_free_to_string (g_steal_pointer (&j));
  g_autofree char *body = g_strconcat (text, "\n", NULL);
  return g_file_set_contents_full (path, body, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
}

static void
print_summary (const char *path, const DvModelDesc *D)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (DvCsv) csv = dv_csv_load (path, &err);
  if (csv == NULL)
    return;
  int cp = dv_csv_column (csv, "parameter"), cv = dv_csv_column (csv, "value");
  int ca = dv_csv_column (csv, "labelled_accuracy"), cf = dv_csv_column (csv, "accuracy_final");
  int cc = dv_csv_column (csv, "guess_confidence");
  const char *last = D->n_layers > 0 ? D->layers[D->n_layers - 1].name : NULL;
  g_autofree char *pk = last ? g_strdup_printf ("%s_peak_time_ms", last) : NULL;
  g_autofree char *lt = last ? g_strdup_printf ("%s_latency_ms", last) : NULL;
  int cpk = pk ? dv_csv_column (csv, pk) : -1, clt = lt ? dv_csv_column (csv, lt) : -1;
  const char *pname = dv_csv_n_rows (csv) > 0 && *dv_csv_get (csv, 0, cp) ? dv_csv_get (csv, 0, cp) : "value";
  printf ("%10s  %9s  %9s  %10s", pname, "accuracy", "final acc", "confidence");
  if (last)
    printf ("  %s peak (ms)  %s latency (ms)", last, last);
  printf ("\n");
  for (int r = 0; r < dv_csv_n_rows (csv); r++)
    {
      printf ("%10s  %8.1f%%  %8.1f%%  %10.3f", dv_csv_get (csv, r, cv), 100 * dv_csv_get_number (csv, r, ca),
              100 * dv_csv_get_number (csv, r, cf), dv_csv_get_number (csv, r, cc));
      if (last)
        printf ("  %*.0f  %*.0f", (int) strlen (last) + 10, dv_csv_get_number (csv, r, cpk),
                (int) strlen (last) + 13, dv_csv_get_number (csv, r, clt));
      printf ("\n");
    }
}

int
dv_cli_test (int argc, char **argv)
{
  g_autofree char *experiment = NULL, *checkpoint = NULL, *data = g_strdup ("embedded"), *out = NULL;
  g_autofree char *values = NULL, *model_spec = NULL;
  g_auto (GStrv) pres = NULL;
  int samples = 256, batch = 32, threads = 0;
  gint64 seed = 42;
  gboolean list = FALSE, ffonly = FALSE, no_samples = FALSE;
  GOptionEntry entries[] = {
    { "experiment", 'x', 0, G_OPTION_ARG_STRING, &experiment, "Experiment (see --list)", "NAME" },
    { "checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &checkpoint, "Trained model (.safetensors, .pt, .pth, .ckpt)", "M" },
    DV_CLI_MODEL_ENTRY (&model_spec),
    { "data", 'd', 0, G_OPTION_ARG_STRING, &data, "Dataset (test split): embedded, fashion-mnist, …", "SPEC" },
    { "samples", 'n', 0, G_OPTION_ARG_INT, &samples, "Test samples, class-balanced (256)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Batch size (32)", "B" },
    { "values", 0, 0, G_OPTION_ARG_STRING, &values, "Override the swept values, e.g. 0.2,0.5,1", "V,…" },
    { "presentation", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &pres, "Extra presentation key=value", "K=V" },
    { "ffonly", 0, 0, G_OPTION_ARG_NONE, &ffonly, "Feedforward only (no recurrence, skip, feedback)", NULL },
    { "no-samples-csv", 0, 0, G_OPTION_ARG_NONE, &no_samples, "Skip the per-sample CSV", NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Noise seed (42)", "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Folder for the CSV files (default test-NAME)", "DIR" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "N" },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the experiments", NULL },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("— run a DynVision test experiment on a trained model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  gboolean parsed = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!parsed)
    return dv_cli_fail (error);
  const DvCliRange ranges[] = {
    DV_CLI_INT ("samples", &samples, 1, G_MAXINT),
    DV_CLI_INT ("batch", &batch, 1, 65536),
    DV_CLI_INT64 ("seed", &seed, 0, G_MAXINT64),
    DV_CLI_INT ("threads", &threads, 0, 1024),
  };
  int bad = dv_cli_check_ranges ("test", ranges, G_N_ELEMENTS (ranges));
  if (bad != 0)
    return bad;
  if (list)
    {
      list_experiments ();
      return 0;
    }
  if (experiment == NULL || checkpoint == NULL)
    {
      g_printerr ("dynvision test: give --experiment NAME and --checkpoint M.safetensors (--list shows the "
                  "experiments)\n");
      return 2;
    }
  DvExperimentSpec spec;
  if (!dv_experiment_lookup (experiment, &spec, &error))
    return dv_cli_fail (error);
  if (ffonly)
    spec.ffonly = TRUE;
  dv_set_num_threads (threads);
  int status = 0;
  g_autoptr (DvModel) m = dv_cli_load_checkpoint ("test", checkpoint, model_spec, argv + 1, argc - 1, &status);
  if (m == NULL)
    return status;
  const DvModelDesc *D = dv_model_get_desc (m);
  g_autoptr (DvDataset) ds = dv_dataset_open (data, DV_SPLIT_TEST, &error);
  if (ds == NULL)
    return dv_cli_fail (error);
  if (!dv_model_check_data (D, ds, data, &error))
    return dv_cli_fail (error);
  DvExperimentConfig cfg;
  dv_experiment_config_init (&cfg);
  cfg.samples = samples;
  cfg.batch = batch;
  cfg.seed = (guint64) seed;
  cfg.overrides = pres;
  cfg.no_samples_csv = no_samples;
  g_autofree double *vals = values ? parse_values (values, &cfg.n_values, &error) : NULL;
  if (values != NULL && vals == NULL)
    {
      g_printerr ("dynvision test: %s\n", error->message);
      g_clear_error (&error);
      return 2;
    }
  cfg.values = vals;
  g_autofree char *ename = g_strdup_printf ("%s%s", spec.name, spec.ffonly && !g_str_has_suffix (spec.name, "ffonly")
                                                                   ? "ffonly" : "");
  g_autofree char *dir = out ? g_strdup (out) : g_strdup_printf ("test-%s", ename);
  cfg.out_dir = dir;
  fprintf (stderr, "experiment %s on %s (%d %s test samples): %s, idle %d%s%s%s\n", ename, checkpoint,
           MIN (samples, dv_dataset_get_n (ds)), data, spec.presentation, spec.idle,
           spec.parameter[0] ? ", sweeping " : "", spec.parameter, spec.ffonly ? ", feedforward only" : "");
  Progress prog = { isatty (2), 0 };
  double t0 = g_get_monotonic_time () / 1e6;
  if (!dv_experiment_run (m, ds, &spec, &cfg, on_progress, &prog, &error))
    {
      if (prog.tty)
        fprintf (stderr, "\n");
      return dv_cli_fail (error);
    }
  if (prog.tty)
    fprintf (stderr, "\r\033[K");
  g_autofree char *pfile = g_strdup_printf ("%s_provenance.json", ename);
  g_autofree char *ppath = g_build_filename (dir, pfile, NULL);
  if (!write_provenance (ppath, checkpoint, D, data, &spec, &cfg, MIN (samples, dv_dataset_get_n (ds)), &error))
    return dv_cli_fail (error);
  fprintf (stderr, "done in %.1f s; wrote %s/%s_{%stimecourse,summary}.csv and %s\n",
           g_get_monotonic_time () / 1e6 - t0, dir, ename, no_samples ? "" : "data,", pfile);
  g_autofree char *file = g_strdup_printf ("%s_summary.csv", ename);
  g_autofree char *sum = g_build_filename (dir, file, NULL);
  print_summary (sum, D);
  return 0;
}
