/* dv-cli-train.c — `dynvision train`: a model preset (or description, or
 * checkpoint) trained on a dataset with a temporal presentation, with a live
 * progress line on a terminal, plain lines otherwise, checkpoints and a
 * metrics CSV in --out, and a final test evaluation.  Its training options
 * are train/dv-train-settings.h's table (the workbench's panel uses the same
 * table), so names, defaults, --help and the checks come from there. */
#include "dv-cli.h"

#include "dv-checkpoint.h"
#include "dv-dataset.h"
#include "dv-ops.h"
#include "dv-train-settings.h"
#include "dv-trainer.h"
#include "dv-value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  gboolean tty;
  int epochs;
  double last_print;
} Progress;

static char *
fmt_time (double s)
{
  if (!isfinite (s) || s < 0)
    return g_strdup ("?");
  int m = (int) (s / 60), sec = (int) s % 60;
  return m > 0 ? g_strdup_printf ("%dm%02ds", m, sec) : g_strdup_printf ("%ds", sec);
}

static void
on_progress (const DvTrainProgress *p, gpointer data)
{
  Progress *pr = data;
  double now = g_get_monotonic_time () / 1e6;
  gboolean last = p->batch == p->n_batches;
  if (!pr->tty && !last && now - pr->last_print < 10)
    return;
  if (pr->tty && !last && now - pr->last_print < 0.2)
    return;
  pr->last_print = now;
  g_autofree char *eta = fmt_time (p->eta_s);
  char line[256];
  g_snprintf (line, sizeof line, "epoch %d/%d  batch %d/%d  loss %.4f  acc %5.1f%%  %.1f samples/s  ETA %s",
              p->epoch, pr->epochs, p->batch, p->n_batches, p->loss, 100 * p->accuracy, p->samples_per_s, eta);
  if (pr->tty)
    fprintf (stderr, "\r\033[K%s", line);
  else
    fprintf (stderr, "%s\n", line);
}

static void
on_epoch (const DvEpochMetrics *m, gpointer data)
{
  Progress *pr = data;
  if (pr->tty)
    fprintf (stderr, "\r\033[K");
  fprintf (stderr, "epoch %d: lr %.3g  train loss %.4f acc %.1f%%  val loss %.4f acc %.1f%%", m->epoch, m->lr,
           m->train_loss, 100 * m->train_accuracy, m->val_loss, 100 * m->val_accuracy);
  if (!isnan (m->train_activity_loss))
    fprintf (stderr, "  (cross-entropy %.4f, activity %.4g)", m->train_ce_loss, m->train_activity_loss);
  fprintf (stderr, "  (%.1f s)\n", m->seconds);
}

static DvModel *
model_from_args (const char *what, int argc, char **argv, GError **error)
{
  g_autoptr (DvModelDesc) d = NULL;
  if (g_str_has_suffix (what, ".json"))
    {
      g_autofree char *text = NULL;
      if (!g_file_get_contents (what, &text, NULL, error))
        return NULL;
      g_autoptr (DvJson) j = dv_json_parse (text, -1, error);
      if (j == NULL)
        return NULL;
      d = dv_model_desc_from_json (j, error);
    }
  else
    {
      g_autoptr (DvJson) kw = dv_kwargs_parse ((const char *const *) argv, argc, error);
      if (kw == NULL)
        return NULL;
      d = dv_preset_build (what, kw, error);
    }
  if (d == NULL)
    return NULL;
  DvModel *m = dv_model_new (d, error);
  return m;
}

/* The training settings' options, built from their table (train/dv-train-settings.h): a
 * setting NAME is --NAME VALUE (a flag --NAME, or --no-NAME when on by default), and every
 * value given goes through dv_train_settings_set, as the workbench's panel does. */
typedef struct {
  GOptionEntry *entries;     /* n settings + the run's own + a terminator */
  char **text;               /* [n] the value typed, or NULL */
  gboolean *flag;            /* [n] a flag given */
  GPtrArray *strings;        /* names and help texts the entries point at */
} SettingOptions;

static void
setting_options_init (SettingOptions *o, const GOptionEntry *own, guint n_own)
{
  guint n;
  const DvTrainSettingInfo *t = dv_train_settings_table (&n);
  o->entries = g_new0 (GOptionEntry, n + n_own + 1);
  o->text = g_new0 (char *, n);
  o->flag = g_new0 (gboolean, n);
  o->strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      GOptionEntry *e = &o->entries[i];
      char *help = dv_train_settings_help (&t[i]);
      if (t[i].type == DV_TRAIN_SETTING_BOOL && g_str_equal (t[i].default_text, "true"))
        {
          char *off = g_strdup_printf ("Turn off: %s", help);
          g_free (help);
          help = off;
        }
      g_ptr_array_add (o->strings, help);
      e->description = help;
      e->short_name = t[i].short_name;
      if (t[i].type == DV_TRAIN_SETTING_BOOL)
        {
          char *name = g_str_equal (t[i].default_text, "true") ? g_strconcat ("no-", t[i].name, NULL)
                                                                : g_strdup (t[i].name);
          g_ptr_array_add (o->strings, name);
          e->long_name = name;
          e->arg = G_OPTION_ARG_NONE;
          e->arg_data = &o->flag[i];
        }
      else
        {
          e->long_name = t[i].name;
          e->arg = G_OPTION_ARG_STRING;
          e->arg_data = &o->text[i];
          e->arg_description = t[i].arg;
        }
    }
  memcpy (o->entries + n, own, n_own * sizeof *own);
}

static void
setting_options_clear (SettingOptions *o)
{
  guint n;
  dv_train_settings_table (&n);
  for (guint i = 0; i < n; i++)
    g_free (o->text[i]);
  g_free (o->text);
  g_free (o->flag);
  g_free (o->entries);
  g_ptr_array_unref (o->strings);
}

/* The options given, in table order, into s; FALSE with the message of the first refused one. */
static gboolean
setting_options_apply (const SettingOptions *o, DvTrainSettings *s, GError **error)
{
  guint n;
  const DvTrainSettingInfo *t = dv_train_settings_table (&n);
  for (guint i = 0; i < n; i++)
    {
      const char *v = o->text[i];
      if (o->flag[i])
        v = g_str_equal (t[i].default_text, "true") ? "false" : "true";
      if (v != NULL && !dv_train_settings_set (s, t[i].name, v, error))
        return FALSE;
    }
  return TRUE;
}

int
dv_cli_train (int argc, char **argv)
{
  g_autofree char *out = NULL, *resume = NULL, *model_spec = NULL, *test_n = NULL;
  g_auto (GStrv) pres = NULL;
  const GOptionEntry own[] = {
    { "presentation", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &pres, "Presentation key=value (loader=duration intro=2 …)", "K=V" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Folder for checkpoints and metrics.csv", "DIR" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, "Continue from a checkpoint of this run", "CKPT" },
    { "test-samples", 0, 0, G_OPTION_ARG_STRING, &test_n, "After training, evaluate the first N samples of the "
      "test split (all: every one, the default; 0: no test evaluation)", "N" },
    DV_CLI_MODEL_ENTRY (&model_spec),
  };
  SettingOptions so;
  setting_options_init (&so, own, G_N_ELEMENTS (own));
  GOptionContext *ctx = g_option_context_new ("PRESET|MODEL.json|CKPT [key=value …] — train a model (CKPT: .safetensors, .pt, .pth, .ckpt)");
  g_option_context_set_description (ctx, "The training settings are those of the workbench's training panel "
                                    "(doc/training.md), with the same defaults and checks.");
  g_option_context_add_main_entries (ctx, so.entries, NULL);
  GError *error = NULL;
  gboolean parsed = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  g_auto (DvTrainSettings) st = { 0 };
  dv_train_settings_init_defaults (&st);
  if (parsed && !setting_options_apply (&so, &st, &error))
    {
      g_printerr ("dynvision train: %s\n", error->message);
      g_clear_error (&error);
      setting_options_clear (&so);
      return 2;
    }
  setting_options_clear (&so);
  if (!parsed)
    return dv_cli_fail (error);
  const DvTrainSettings *S = &st;
  guint64 n_test = G_MAXINT; /* all */
  if (test_n && g_strcmp0 (test_n, "all") != 0
      && !g_ascii_string_to_unsigned (test_n, 10, 0, G_MAXINT, &n_test, NULL))
    {
      g_printerr ("dynvision train: --test-samples %s: give a whole number from 0 to %d, or all\n", test_n,
                  G_MAXINT);
      return 2;
    }
  if (argc < 2)
    {
      g_printerr ("dynvision train: name a preset (e.g. CustomRCNN), a MODEL.json or a checkpoint\n");
      return 2;
    }
  dv_set_num_threads (dv_train_settings_threads (S));
  gboolean from_checkpoint = dv_checkpoint_path_is_supported (argv[1]);
  g_autoptr (DvModel) m = NULL;
  if (from_checkpoint)
    {
      int status = 0;
      m = dv_cli_load_checkpoint ("train", argv[1], model_spec, argv + 2, argc - 2, &status);
      if (m == NULL)
        return status;
    }
  else if (model_spec)
    {
      g_printerr ("dynvision train: --model names the model of a checkpoint; %s is none (.safetensors, .pt, "
                  ".pth, .ckpt) — give the preset or MODEL.json itself\n", argv[1]);
      return 2;
    }
  else if ((m = model_from_args (argv[1], argc - 2, argv + 2, &error)) == NULL)
    return dv_cli_fail (error);
  if (!from_checkpoint)
    dv_model_init_params (m, (guint64) S->seed);
  const DvModelDesc *D = dv_model_get_desc (m);

  g_autoptr (DvDataset) ds = dv_dataset_open (S->data, DV_SPLIT_TRAIN, &error);
  if (ds == NULL)
    return dv_cli_fail (error);
  if (!dv_model_check_data (D, ds, S->data, &error))
    return dv_cli_fail (error);
  DvPresentation pr;
  if (!dv_train_presentation (&pr, m, (const char *const *) pres, &error))
    return dv_cli_fail (error);

  int *tr_idx = NULL, *va_idx = NULL, n_tr = 0, n_va = 0;
  dv_split_indices (dv_dataset_get_n (ds), 1.0 - S->val_fraction, (guint64) S->seed, &tr_idx, &n_tr, &va_idx, &n_va);
  if (S->train_samples > 0 && S->train_samples < n_tr)
    {
      n_va = MIN (n_va, MAX (S->train_samples / 9, 1));
      n_tr = S->train_samples;
    }
  DvLoaderConfig tc, vc;
  dv_loader_config_init_train (&tc);
  tc.batch_size = S->batch;
  tc.augment = S->augment;
  tc.seed = (guint64) S->seed;
  tc.channels = D->in_channels;
  dv_loader_config_init (&vc);
  vc.batch_size = S->batch;
  vc.order = DV_ORDER_SEQUENTIAL;
  vc.channels = D->in_channels;
  vc.prefetch = 0;
  g_autoptr (DvLoader) train = dv_loader_new (ds, tr_idx, n_tr, &tc, &pr, &error);
  g_autoptr (DvLoader) val = train && n_va > 0 ? dv_loader_new (ds, va_idx, n_va, &vc, &pr, &error) : NULL;
  g_free (tr_idx);
  g_free (va_idx);
  if (train == NULL || error)
    return dv_cli_fail (error);

  /* the same configuration the workbench's training job builds from the same settings */
  DvTrainConfig cfg;
  dv_train_settings_to_config (S, &cfg);
  if (S->activity_weight > 0)
    fprintf (stderr, "note: the activity loss is logged and added to the reported loss, but the engine does not "
             "backpropagate it yet (doc/training.md)\n");
  cfg.out_dir = g_strdup (out);
  g_autoptr (DvTrainer) tr = dv_trainer_new (m, train, val, &cfg, &error);
  dv_train_config_clear (&cfg);
  if (tr == NULL)
    return dv_cli_fail (error);
  if (resume && !dv_trainer_resume (tr, resume, &error))
    return dv_cli_fail (error);
  Progress prog = { isatty (2), S->epochs, 0 };
  dv_trainer_set_progress (tr, on_progress, on_epoch, &prog);
  g_autofree char *ps = dv_presentation_to_string (&pr);
  g_autofree char *changed = dv_train_settings_describe (S);
  fprintf (stderr, "training %s (%" G_GINT64_FORMAT " values) on %s: %d train / %d validation samples, %s; "
           "settings: %s\n", D->model_class, dv_model_n_values (m), S->data, dv_loader_get_n_samples (train),
           val ? dv_loader_get_n_samples (val) : 0, ps, changed);
  double t0 = g_get_monotonic_time () / 1e6;
  if (!dv_trainer_run (tr, &error))
    return dv_cli_fail (error);
  double train_s = g_get_monotonic_time () / 1e6 - t0;
  fprintf (stderr, "trained in %.1f s\n", train_s);

  /* the test split, DynVision's test order */
  g_autoptr (GError) terr = NULL;
  g_autoptr (DvDataset) test = n_test > 0 ? dv_dataset_open (S->data, DV_SPLIT_TEST, &terr) : NULL;
  if (n_test == 0)
    fprintf (stderr, "no test evaluation (--test-samples 0)\n");
  if (test)
    {
      /* the first N of the test split, in its order */
      int n = (int) MIN (n_test, (guint64) dv_dataset_get_n (test));
      g_autofree int *idx = g_new (int, MAX (n, 1));
      for (int i = 0; i < n; i++)
        idx[i] = i;
      DvLoaderConfig xc;
      dv_loader_config_init_test (&xc);
      xc.batch_size = S->batch;
      xc.drop_last = FALSE;
      xc.channels = D->in_channels;
      xc.prefetch = 0;
      g_autoptr (DvLoader) tl = n > 0 ? dv_loader_new (test, idx, n, &xc, &pr, &terr) : NULL;
      double loss, acc;
      int T = tl ? dv_loader_get_timesteps (tl) : 0;
      g_autofree double *acc_t = g_new0 (double, MAX (T, 1));
      if (tl && dv_evaluate (m, tl, &loss, &acc, acc_t, &T, &terr))
        {
          int last = T - 1;
          while (last > 0 && isnan (acc_t[last]))
            last--;
          g_autofree char *line = g_strdup_printf ("test: loss %.4f, accuracy %.2f%% over all labelled timesteps, "
                                                   "%.2f%% at the last labelled timestep (t=%d, %.0f ms); "
                                                   "%d samples; training took %.1f s\n", loss, 100 * acc,
                                                   100 * acc_t[last], last, last * D->dt,
                                                   dv_loader_get_n_samples (tl), train_s);
          fputs (line, stderr);
          if (out)
            {
              g_autofree char *path = g_build_filename (out, "test.txt", NULL);
              g_file_set_contents (path, line, -1, NULL);
            }
        }
    }
  if (terr)
    g_printerr ("dynvision train: no test evaluation: %s\n", terr->message);
  return 0;
}
