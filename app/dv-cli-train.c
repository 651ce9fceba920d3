/* dv-cli-train.c — `dynvision train`: a model preset (or description, or
 * checkpoint) trained on a dataset with a temporal presentation, with a live
 * progress line on a terminal, plain lines otherwise, checkpoints and a
 * metrics CSV in --out, and a final test evaluation. */
#include "dv-cli.h"

#include "dv-checkpoint.h"
#include "dv-dataset.h"
#include "dv-ops.h"
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

int
dv_cli_train (int argc, char **argv)
{
  g_autofree char *data = NULL, *out = NULL, *resume = NULL, *opt_name = NULL, *sched = NULL;
  g_autofree char *act_mode = NULL, *act_layers = NULL, *monitor = NULL, *model_spec = NULL;
  g_auto (GStrv) pres = NULL;
  int epochs = 5, batch = 32, threads = 0, accumulate = 1, val_every = 1, save_every = 0, t_max = 0;
  int step_size = 30, top_k = 2, train_samples = 0;
  g_autofree char *lr_text = NULL, *wd_text = NULL;
  double lr = 0, wd = -1, clip = 1.0, val_frac = 0.1, momentum = 0.9, gamma = 0.1;
  double act_weight = 0, act_ord = 1, diverge = 1000;
  gint64 seed = 0;
  gboolean no_scaling = FALSE, no_augment = FALSE, no_groups = FALSE, nesterov = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_STRING, &data, "Dataset: embedded, fashion-mnist, mnist, idx:PREFIX, cifar10:DIR, folder:DIR", "NAME" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "Epochs (5)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Batch size (32)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_STRING, &lr_text, "Base learning rate (DynVision: 2e-4, scaled by batch size)", "LR" },
    { "weight-decay", 0, 0, G_OPTION_ARG_STRING, &wd_text, "Weight decay (5e-4)", "WD" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &opt_name, "adam (default), adamw, sgd", "NAME" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &momentum, "SGD momentum (0.9)", "M" },
    { "nesterov", 0, 0, G_OPTION_ARG_NONE, &nesterov, "SGD with Nesterov momentum", NULL },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &sched, "cosine (default), step, constant", "NAME" },
    { "t-max", 0, 0, G_OPTION_ARG_INT, &t_max, "Cosine period in epochs (default: --epochs)", "N" },
    { "step-size", 0, 0, G_OPTION_ARG_INT, &step_size, "Step schedule: epochs per step (30)", "N" },
    { "gamma", 0, 0, G_OPTION_ARG_DOUBLE, &gamma, "Step schedule: factor per step (0.1)", "G" },
    { "clip", 0, 0, G_OPTION_ARG_DOUBLE, &clip, "Gradient clipping global norm (1.0; 0 = off)", "X" },
    { "divergence-factor", 0, 0, G_OPTION_ARG_DOUBLE, &diverge,
      "Stop when the loss, gradient norm or a layer's activity exceeds F times its running history "
      "(1000; 0 = off)", "F" },
    { "accumulate", 0, 0, G_OPTION_ARG_INT, &accumulate, "Gradient accumulation batches (1)", "N" },
    { "no-lr-scaling", 0, 0, G_OPTION_ARG_NONE, &no_scaling, "Do not scale the learning rate by batch size", NULL },
    { "no-group-factors", 0, 0, G_OPTION_ARG_NONE, &no_groups, "Same learning rate for recurrence and feedback", NULL },
    { "no-augment", 0, 0, G_OPTION_ARG_NONE, &no_augment, "No train-time augmentation", NULL },
    { "activity-weight", 0, 0, G_OPTION_ARG_DOUBLE, &act_weight,
      "Activity loss weight (0 = off; added to the loss and backpropagated)", "W" },
    { "activity-ord", 0, 0, G_OPTION_ARG_DOUBLE, &act_ord, "Activity loss norm order p (1)", "P" },
    { "activity-mode", 0, 0, G_OPTION_ARG_STRING, &act_mode, "absolute (default) or signed", "MODE" },
    { "activity-layers", 0, 0, G_OPTION_ARG_STRING, &act_layers, "Layers of the activity loss (default all)",
      "L1,L2" },
    { "train-samples", 0, 0, G_OPTION_ARG_INT, &train_samples, "Use only the first N training samples", "N" },
    { "val-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &val_frac, "Validation fraction of the train split (0.1)", "F" },
    { "val-every", 0, 0, G_OPTION_ARG_INT, &val_every, "Validate every N epochs (1)", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &save_every, "Keep a checkpoint every N epochs (0)", "N" },
    { "save-top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Best checkpoints kept (2)", "K" },
    { "monitor", 0, 0, G_OPTION_ARG_STRING, &monitor, "val_loss (default, min) or val_accuracy (max)", "KEY" },
    { "presentation", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &pres, "Presentation key=value (loader=duration intro=2 …)", "K=V" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Folder for checkpoints and metrics.csv", "DIR" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, "Continue from a checkpoint of this run", "CKPT" },
    DV_CLI_MODEL_ENTRY (&model_spec),
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed (0)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "N" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("PRESET|MODEL.json|CKPT [key=value …] — train a model (CKPT: .safetensors, .pt, .pth, .ckpt)");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  gboolean parsed = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!parsed)
    return dv_cli_fail (error);
  if (data == NULL) /* GOption does not free a default it replaces: set it after parsing */
    data = g_strdup ("embedded");
  /* every option used as typed or refused (0 means "off" or "default" only where the help says so) */
  const DvCliRange ranges[] = {
    DV_CLI_INT ("epochs", &epochs, 1, 100000),
    DV_CLI_INT ("batch", &batch, 1, 65536),
    DV_CLI_DOUBLE ("momentum", &momentum, 0, 1, DV_VALUE_MAX_OPEN),
    DV_CLI_INT ("t-max", &t_max, 0, 1000000),
    DV_CLI_INT ("step-size", &step_size, 1, 1000000),
    DV_CLI_DOUBLE ("gamma", &gamma, 0, 1e6, DV_VALUE_MIN_OPEN),
    DV_CLI_DOUBLE ("clip", &clip, 0, 1e12, 0),
    DV_CLI_INT ("accumulate", &accumulate, 1, 100000),
    DV_CLI_DOUBLE ("activity-weight", &act_weight, 0, 1e12, 0),
    DV_CLI_DOUBLE ("activity-ord", &act_ord, 0, 1e3, DV_VALUE_MIN_OPEN),
    DV_CLI_INT ("train-samples", &train_samples, 0, G_MAXINT),
    DV_CLI_DOUBLE ("val-fraction", &val_frac, 0, 1, DV_VALUE_MAX_OPEN),
    DV_CLI_INT ("val-every", &val_every, 1, 100000),
    DV_CLI_INT ("save-every", &save_every, 0, 100000),
    DV_CLI_INT ("save-top-k", &top_k, 0, 100000),
    DV_CLI_INT64 ("seed", &seed, 0, G_MAXINT64),
    DV_CLI_INT ("threads", &threads, 0, 1024),
  };
  int bad = dv_cli_check_ranges ("train", ranges, G_N_ELEMENTS (ranges));
  if (bad == 0)
    bad = dv_cli_parse_double ("train", "lr", lr_text, 0, 10, DV_VALUE_MIN_OPEN, &lr);
  if (bad == 0)
    bad = dv_cli_parse_double ("train", "weight-decay", wd_text, 0, 1e3, 0, &wd);
  if (bad != 0)
    return bad;
  if (sched && g_ascii_strcasecmp (sched, "step") != 0 && g_ascii_strcasecmp (sched, "constant") != 0
      && g_ascii_strcasecmp (sched, "cosine") != 0)
    {
      g_printerr ("dynvision train: --schedule=%s: use cosine, step or constant\n", sched);
      return 2;
    }
  if (argc < 2)
    {
      g_printerr ("dynvision train: name a preset (e.g. CustomRCNN), a MODEL.json or a checkpoint\n");
      return 2;
    }
  if (!(diverge == 0 || (diverge > 1 && isfinite (diverge))))
    {
      g_printerr ("dynvision train: --divergence-factor %g: give 0 (off) or a finite factor above 1 "
                  "(default 1000)\n", diverge);
      return 2;
    }
  dv_set_num_threads (threads);
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
    dv_model_init_params (m, (guint64) seed);
  const DvModelDesc *D = dv_model_get_desc (m);

  g_autoptr (DvDataset) ds = dv_dataset_open (data, DV_SPLIT_TRAIN, &error);
  if (ds == NULL)
    return dv_cli_fail (error);
  if (!dv_model_check_data (D, ds, data, &error))
    return dv_cli_fail (error);
  DvPresentation pr;
  if (!dv_train_presentation (&pr, m, (const char *const *) pres, &error))
    return dv_cli_fail (error);

  int *tr_idx = NULL, *va_idx = NULL, n_tr = 0, n_va = 0;
  dv_split_indices (dv_dataset_get_n (ds), 1.0 - val_frac, (guint64) seed, &tr_idx, &n_tr, &va_idx, &n_va);
  if (train_samples > 0 && train_samples < n_tr)
    {
      n_va = MIN (n_va, MAX (train_samples / 9, 1));
      n_tr = train_samples;
    }
  DvLoaderConfig tc, vc;
  dv_loader_config_init_train (&tc);
  tc.batch_size = batch;
  tc.augment = !no_augment;
  tc.seed = (guint64) seed;
  tc.channels = D->in_channels;
  dv_loader_config_init (&vc);
  vc.batch_size = batch;
  vc.order = DV_ORDER_SEQUENTIAL;
  vc.channels = D->in_channels;
  vc.prefetch = 0;
  g_autoptr (DvLoader) train = dv_loader_new (ds, tr_idx, n_tr, &tc, &pr, &error);
  g_autoptr (DvLoader) val = train && n_va > 0 ? dv_loader_new (ds, va_idx, n_va, &vc, &pr, &error) : NULL;
  g_free (tr_idx);
  g_free (va_idx);
  if (train == NULL || error)
    return dv_cli_fail (error);

  DvTrainConfig cfg;
  dv_train_config_init (&cfg);
  cfg.epochs = epochs;
  if (lr > 0)
    cfg.optim.lr = lr;
  if (wd >= 0)
    cfg.optim.weight_decay = wd;
  if (opt_name && g_ascii_strcasecmp (opt_name, "sgd") == 0)
    cfg.optim.kind = DV_OPTIM_SGD, cfg.optim.momentum = momentum, cfg.optim.nesterov = nesterov;
  else if (opt_name && g_ascii_strcasecmp (opt_name, "adamw") == 0)
    cfg.optim.kind = DV_OPTIM_ADAMW;
  else if (opt_name && g_ascii_strcasecmp (opt_name, "adam") != 0)
    {
      g_printerr ("dynvision train: unknown optimizer '%s'; use adam, adamw or sgd\n", opt_name);
      return 2;
    }
  if (sched && g_ascii_strcasecmp (sched, "step") == 0)
    cfg.schedule = DV_SCHEDULE_STEP;
  else if (sched && g_ascii_strcasecmp (sched, "constant") == 0)
    cfg.schedule = DV_SCHEDULE_CONSTANT;
  cfg.batch_size = batch;
  cfg.t_max = t_max;
  cfg.step_size = step_size;
  cfg.gamma = gamma;
  cfg.save_top_k = top_k;
  if (monitor && g_ascii_strcasecmp (monitor, "val_accuracy") == 0)
    cfg.monitor_max = TRUE;
  else if (monitor && g_ascii_strcasecmp (monitor, "val_loss") != 0)
    {
      g_printerr ("dynvision train: --monitor takes val_loss or val_accuracy\n");
      return 2;
    }
  cfg.activity.weight = act_weight;
  cfg.activity.ord = act_ord;
  if (act_mode && g_ascii_strcasecmp (act_mode, "signed") == 0)
    cfg.activity.mode = DV_ACTIVITY_SIGNED;
  else if (act_mode && g_ascii_strcasecmp (act_mode, "absolute") != 0)
    {
      g_printerr ("dynvision train: --activity-mode takes absolute or signed\n");
      return 2;
    }
  if (act_layers)
    cfg.activity.layers = g_strsplit (act_layers, ",", -1);
  if (act_weight > 0)
    fprintf (stderr, "note: the activity loss is logged and added to the reported loss, but the engine does not "
             "backpropagate it yet (doc/training.md)\n");
  cfg.lr_scaling = !no_scaling;
  cfg.group_factors = !no_groups;
  cfg.clip = clip;
  cfg.divergence_factor = diverge;
  cfg.accumulate = accumulate;
  cfg.val_every = val_every;
  cfg.save_every = save_every;
  cfg.out_dir = g_strdup (out);
  g_autoptr (DvTrainer) tr = dv_trainer_new (m, train, val, &cfg, &error);
  dv_train_config_clear (&cfg);
  if (tr == NULL)
    return dv_cli_fail (error);
  if (resume && !dv_trainer_resume (tr, resume, &error))
    return dv_cli_fail (error);
  Progress prog = { isatty (2), epochs, 0 };
  dv_trainer_set_progress (tr, on_progress, on_epoch, &prog);
  g_autofree char *ps = dv_presentation_to_string (&pr);
  fprintf (stderr, "training %s (%" G_GINT64_FORMAT " values) on %s: %d train / %d validation samples, %s\n",
           D->model_class, dv_model_n_values (m), data, dv_loader_get_n_samples (train),
           val ? dv_loader_get_n_samples (val) : 0, ps);
  double t0 = g_get_monotonic_time () / 1e6;
  if (!dv_trainer_run (tr, &error))
    return dv_cli_fail (error);
  double train_s = g_get_monotonic_time () / 1e6 - t0;
  fprintf (stderr, "trained in %.1f s\n", train_s);

  /* the test split, DynVision's test order */
  g_autoptr (GError) terr = NULL;
  g_autoptr (DvDataset) test = dv_dataset_open (data, DV_SPLIT_TEST, &terr);
  if (test)
    {
      DvLoaderConfig xc;
      dv_loader_config_init_test (&xc);
      xc.batch_size = batch;
      xc.drop_last = FALSE;
      xc.channels = D->in_channels;
      xc.prefetch = 0;
      g_autoptr (DvLoader) tl = dv_loader_new (test, NULL, 0, &xc, &pr, &terr);
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
