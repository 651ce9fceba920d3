/* dv-cli-engine.c — the engine's subcommands of `dynvision`: run, grad,
 * describe, init and bench.  Each parses its own options, talks to the
 * engine through its public headers, reports errors on stderr with what to
 * do, and returns an exit status. */
#include "dv-cli.h"
#include "dv-value.h"

#include "dv-checkpoint.h"
#include "dv-loader.h"
#include "dv-eval.h"
#include "dv-ops.h"
#include "dv-optim.h"
#include "dv-trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int
dv_cli_fail (GError *error)
{
  g_printerr ("dynvision: %s\n", error ? error->message : "failed");
  g_clear_error (&error);
  return 1;
}

static gboolean
parse (GOptionContext *ctx, int *argc, char ***argv, GError **error)
{
  gboolean ok = g_option_context_parse (ctx, argc, argv, error);
  g_option_context_free (ctx);
  return ok;
}

/* Loads x [B,T,C,H,W] (and labels [B,T] if wanted) and checks it fits: sizes
 * in range and within memory, values finite, labels valid classes. */
static float *
load_input (const char *path, const DvModelDesc *D, int *B, int *T, gint64 **labels, GError **error)
{
  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, error);
  if (st == NULL)
    return NULL;
  const DvStTensor *x = dv_safetensors_lookup (st, "x");
  if (x == NULL || x->ndim != 5)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "%s: needs a tensor 'x' of shape [B,T,C,H,W] (found %s)", path,
                   x ? "one of another rank" : "none");
      return NULL;
    }
  if (x->shape[2] != D->in_channels || x->shape[3] != D->in_h || x->shape[4] != D->in_w)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "%s: frames are %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                   " but the model takes %d×%d×%d (C×H×W); resize the input or build the model with "
                   "input_dims=[T,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]",
                   path, x->shape[2], x->shape[3], x->shape[4], D->in_channels, D->in_h, D->in_w,
                   x->shape[2], x->shape[3], x->shape[4]);
      return NULL;
    }
  if (x->shape[0] < 1 || x->shape[0] > G_MAXINT || x->shape[1] < 1 || x->shape[1] > DV_DESC_MAX_STEPS)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "%s: tensor 'x' has B = %" G_GINT64_FORMAT " samples and T = %" G_GINT64_FORMAT
                   " timesteps; B must be in [1, %d] and T in [1, %d]", path, x->shape[0], x->shape[1], G_MAXINT,
                   DV_DESC_MAX_STEPS);
      return NULL;
    }
  *B = (int) x->shape[0];
  *T = (int) x->shape[1];
  /* the run's own buffers (its activations; logits and every layer's
   * responses for all B×T frames) must fit before any is allocated */
  if (!dv_model_desc_check_size (D, *B, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  double out = (double) D->n_classes;
  for (int l = 0; l < D->n_layers; l++)
    out += (double) D->layers[l].out_channels * D->layers[l].rec_h * D->layers[l].rec_w;
  out *= 4.0 * *B * *T;
  if (out > dv_memory_limit_bytes ())
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "%s: the logits and layer responses of %d×%d frames ask for %.3g GB but this machine has "
                   "%.3g GB of memory; run fewer samples or timesteps at a time", path, *B, *T, out / 1e9,
                   dv_memory_limit_bytes () / 1e9);
      return NULL;
    }
  if (labels)
    {
      const DvStTensor *l = dv_safetensors_lookup (st, "labels");
      if (l == NULL || l->numel != (gint64) *B * *T)
        {
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                       "%s: needs a tensor 'labels' of shape [B,T] = [%d,%d] (−1 = no label)", path, *B, *T);
          return NULL;
        }
      g_autofree gint64 *y = dv_st_tensor_to_i64 (l);
      for (gint64 i = 0; i < l->numel; i++)
        if (y[i] != D->non_label_index && (y[i] < 0 || y[i] >= D->n_classes))
          {
            g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                         "%s: labels[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] is %" G_GINT64_FORMAT
                         "; a label is a class in [0, %d) or %" G_GINT64_FORMAT " (no label)", path, i / *T,
                         i % *T, y[i], D->n_classes, D->non_label_index);
            return NULL;
          }
      *labels = g_steal_pointer (&y);
    }
  g_autofree float *v = dv_st_tensor_to_f32 (x);
  if (!dv_tensor_check_finite (path, "x", v, x->ndim, x->shape, error))
    {
      if (labels)
        g_clear_pointer (labels, g_free);
      return NULL;
    }
  return g_steal_pointer (&v);
}

/* What `run` and `grad` share: options, the checkpoint and the input. */
typedef struct {
  char *ckpt, *model_spec, *input, *output;
  gboolean train_bn;
  int threads, bptt_checkpoint;
  DvModel *model;
  float *x;
  gint64 *labels;
  int B, T;
} Job;

static void job_clear (Job *j);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Job, job_clear)

static void
job_clear (Job *j)
{
  g_free (j->ckpt);
  g_free (j->model_spec);
  g_free (j->input);
  g_free (j->output);
  g_clear_pointer (&j->model, dv_model_free);
  g_free (j->x);
  g_free (j->labels);
}

/* Returns 0 when the job is ready, else the exit status. */
static int
job_open (Job *j, const char *name, const char *summary, const char *input_help, const char *output_help,
          gboolean want_labels, int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &j->ckpt, "Model checkpoint (.safetensors, .pt, .pth, .ckpt)", "M" },
    DV_CLI_MODEL_ENTRY (&j->model_spec),
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &j->input, input_help, "X" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &j->output, output_help, "Y" },
    { "train-mode", 0, 0, G_OPTION_ARG_NONE, &j->train_bn, "BatchNorm uses batch statistics", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &j->threads, "BLAS threads", "N" },
    { "bptt-checkpoint", 0, want_labels ? 0 : G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &j->bptt_checkpoint,
      "Activation recomputation: keep the state every K timesteps, recompute the rest in backward (0: off)", "K" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new (summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  if (!parse (ctx, &argc, &argv, &error))
    return dv_cli_fail (error);
  const DvCliRange ranges[] = { DV_CLI_INT ("threads", &j->threads, 0, 1024),
                                DV_CLI_INT ("bptt-checkpoint", &j->bptt_checkpoint, 0, 1000000) };
  if (dv_cli_check_ranges (name, ranges, G_N_ELEMENTS (ranges)) != 0)
    return 2;
  if (!j->ckpt || !j->input || !j->output)
    {
      g_printerr ("dynvision %s: --checkpoint, --input and --output are required\n", name);
      return 2;
    }
  dv_set_num_threads (j->threads);
  int status = 0;
  j->model = dv_cli_load_checkpoint (name, j->ckpt, j->model_spec, argv + 1, argc - 1, &status);
  if (j->model == NULL)
    return status;
  j->x = load_input (j->input, dv_model_get_desc (j->model), &j->B, &j->T, want_labels ? &j->labels : NULL,
                     &error);
  return j->x ? 0 : dv_cli_fail (error);
}

int
dv_cli_run (int argc, char **argv)
{
  g_auto (Job) job = { 0 };
  int status = job_open (&job, "run", "— run a model over an input sequence", "Input: tensor x [B,T,C,H,W]",
                         "Output: logits and layer responses", FALSE, argc, argv);
  if (status != 0)
    return status;
  GError *error = NULL;
  DvModel *m = job.model;
  const DvModelDesc *D = dv_model_get_desc (m);
  int B = job.B, T = job.T;
  float *x = job.x;
  gboolean train_bn = job.train_bn;
  const char *output = job.output;
  int K = D->n_classes;
  g_autofree float *logits = g_new (float, (gsize) B * T * K);
  float **resp = g_new0 (float *, D->n_layers);
  g_autofree gboolean *present = g_new0 (gboolean, (gsize) D->n_layers * T);
  for (int l = 0; l < D->n_layers; l++)
    {
      int C, H, W;
      dv_model_layer_shape (m, l, &C, &H, &W);
      resp[l] = g_new0 (float, (gsize) B * T * C * H * W);
    }
  gboolean ok = dv_eval_forward (m, x, B, T, train_bn, logits, resp, present, &error);
  if (ok)
    {
      g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
      gint64 ls[3] = { B, T, K };
      dv_safetensors_writer_add (w, "logits", DV_DTYPE_F32, 3, ls, logits);
      g_autoptr (DvJson) none = dv_json_new_object ();
      for (int l = 0; l < D->n_layers; l++)
        {
          int C, H, W;
          dv_model_layer_shape (m, l, &C, &H, &W);
          gint64 s[5] = { B, T, C, H, W };
          dv_safetensors_writer_add (w, D->layers[l].name, DV_DTYPE_F32, 5, s, resp[l]);
          DvJson *arr = dv_json_new_array ();
          for (int t = 0; t < T; t++)
            if (!present[l * T + t])
              dv_json_array_append (arr, dv_json_new_int (t));
          dv_json_object_set (none, D->layers[l].name, arr);
        }
      g_autofree char *ns = dv_json_to_string (none, FALSE);
      dv_safetensors_writer_set_metadata (w, "dynvision.none_timesteps", ns);
      dv_safetensors_writer_set_metadata (w, "layout",
                                          "logits: [B,T,n_classes]; <layer>: [B,T,C,H,W] (zero where the "
                                          "layer had no tensor)");
      ok = dv_safetensors_writer_save (w, output, &error);
      if (ok)
        {
          /* say what was written, as init and train do */
          GString *what = g_string_new (NULL);
          for (int l = 0; l < D->n_layers; l++)
            {
              int C, H, W;
              dv_model_layer_shape (m, l, &C, &H, &W);
              g_string_append_printf (what, ", %s [%d,%d,%d,%d,%d]", D->layers[l].name, B, T, C, H, W);
            }
          g_printerr ("wrote %s (%s: logits [%d,%d,%d]%s)\n", output, D->model_class, B, T, K, what->str);
          g_string_free (what, TRUE);
        }
    }
  for (int l = 0; l < D->n_layers; l++)
    g_free (resp[l]);
  g_free (resp);
  return ok ? 0 : dv_cli_fail (error);
}

int
dv_cli_grad (int argc, char **argv)
{
  g_auto (Job) job = { 0 };
  int status = job_open (&job, "grad", "— loss and BPTT gradients of a model on a labelled sequence",
                         "Input: x [B,T,C,H,W] and labels [B,T]", "Output: loss and parameter gradients", TRUE,
                         argc, argv);
  if (status != 0)
    return status;
  GError *error = NULL;
  DvModel *m = job.model;
  int B = job.B, T = job.T;
  const float *x = job.x;
  const gint64 *labels = job.labels;
  gboolean train_bn = job.train_bn;
  const char *output = job.output;
  double loss;
  DvRunOptions opt = { .training = TRUE, .bn_train = train_bn, .bptt_checkpoint = job.bptt_checkpoint };
  if (!dv_eval_loss_grad_with (m, x, labels, B, T, &opt, &loss, NULL, &error))
    return dv_cli_fail (error);
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  float l32 = (float) loss;
  dv_safetensors_writer_add (w, "loss", DV_DTYPE_F32, 0, NULL, &l32);
  for (guint k = 0; k < dv_model_n_params (m); k++)
    {
      DvParam *p = dv_model_param (m, k);
      if (p->grad == NULL)
        continue;
      dv_safetensors_writer_add (w, p->name, DV_DTYPE_F32, p->ndim, p->shape, p->grad);
      for (guint a = 0; a < p->aliases->len; a++)
        dv_safetensors_writer_add (w, g_ptr_array_index (p->aliases, a), DV_DTYPE_F32, p->ndim, p->shape, p->grad);
    }
  dv_safetensors_writer_set_metadata (w, "note", "d loss / d param, keys as in the state_dict (aliases included)");
  if (!dv_safetensors_writer_save (w, output, &error))
    return dv_cli_fail (error);
  g_printerr ("wrote %s (loss %.6g and the gradients of %u tensors)\n", output, loss, dv_model_n_params (m));
  return 0;
}

static DvModelDesc *
preset_from_args (const char *preset, int argc, char **argv, GError **error)
{
  g_autoptr (DvJson) kwargs = dv_kwargs_parse ((const char *const *) argv, argc, error);
  if (kwargs == NULL)
    return NULL;
  if (g_str_has_suffix (preset, ".json"))
    {
      g_autofree char *text = NULL;
      if (!g_file_get_contents (preset, &text, NULL, error))
        return NULL;
      g_autoptr (DvJson) j = dv_json_parse (text, -1, error);
      if (j == NULL)
        {
          g_prefix_error (error, "%s: ", preset);
          return NULL;
        }
      return dv_model_desc_from_json (j, error);
    }
  return dv_preset_build (preset, kwargs, error);
}

int
dv_cli_describe (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("PRESET|MODEL.json [key=value …] — print a model description");
  GError *error = NULL;
  if (!parse (ctx, &argc, &argv, &error))
    return dv_cli_fail (error);
  if (argc < 2)
    {
      g_printerr ("dynvision describe: name a preset:");
      for (const char *const *n = dv_preset_names (); *n; n++)
        g_printerr (" %s", *n);
      g_printerr ("\n");
      return 2;
    }
  g_autoptr (DvModelDesc) d = preset_from_args (argv[1], argc - 2, argv + 2, &error);
  if (d == NULL)
    return dv_cli_fail (error);
  g_autoptr (DvJson) j = dv_model_desc_to_json (d);
  g_autofree char *s = dv_json_to_string (j, TRUE);
  g_print ("%s\n", s);
  return 0;
}

int
dv_cli_init (int argc, char **argv)
{
  g_autofree char *output = NULL;
  gint64 seed = 0;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Checkpoint to write", "M" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("PRESET|MODEL.json [key=value …] — write an initialised checkpoint");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  if (!parse (ctx, &argc, &argv, &error))
    return dv_cli_fail (error);
  const DvCliRange ranges[] = { DV_CLI_INT64 ("seed", &seed, 0, G_MAXINT64) };
  if (dv_cli_check_ranges ("init", ranges, 1) != 0)
    return 2;
  if (argc < 2 || output == NULL)
    {
      g_printerr ("dynvision init: usage: dynvision init PRESET [key=value …] --seed N -o M.safetensors\n");
      return 2;
    }
  g_autoptr (DvModelDesc) d = preset_from_args (argv[1], argc - 2, argv + 2, &error);
  if (d == NULL)
    return dv_cli_fail (error);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  if (m == NULL)
    return dv_cli_fail (error);
  dv_model_init_params (m, (guint64) seed);
  dv_model_residual_timesteps (m);
  if (!dv_checkpoint_save (m, output, NULL, &error))
    return dv_cli_fail (error);
  g_printerr ("wrote %s (%s, %" G_GINT64_FORMAT " values)\n", output, d->model_class, dv_model_n_values (m));
  return 0;
}

/* ------------------------------------------------------------------------ */

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static double
peak_rss_mb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

/* One training step as dynvision train takes it (dv_trainer_step: forward, cross-entropy over
 * all timesteps, BPTT, NaN/Inf checks, optimiser step), configured like the PyTorch baseline
 * (bench/torch_customrcnn.py): SGD lr 0.01, momentum 0.9, no weight decay, no clipping. */
static DvTrainer *
bench_trainer (DvModel *m, int batch, int bptt_checkpoint, GError **error)
{
  DvTrainConfig c;
  dv_train_config_init (&c);
  c.epochs = 1;
  c.bptt_checkpoint = bptt_checkpoint;
  c.optim = (DvOptimConfig) { .kind = DV_OPTIM_SGD, .lr = 0.01, .momentum = 0.9 };
  c.lr_scaling = FALSE;
  c.group_factors = FALSE;
  c.schedule = DV_SCHEDULE_CONSTANT;
  c.clip = 0;
  c.val_every = 0;
  c.batch_size = batch;
  DvTrainer *t = dv_trainer_new (m, NULL, NULL, &c, error);
  dv_train_config_clear (&c);
  return t;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The model `dynvision bench` times: the tutorial's CustomRCNN as
 * bench/torch_customrcnn.py computes it (dt 2, tau 10, one-step delays, full
 * recurrence, skips, 10 classes), or another preset with its own defaults
 * (DyRCNNx4 as bench/torch_dyrcnnx4.py); words key=value after the options
 * override either.  Input dimensions come from --steps and --size only. */
static DvModelDesc *
bench_desc (const char *model, int steps, int size, int argc, char **argv, GError **error)
{
  static const char *const tutorial[] = { "dt=2.0", "tau=10.0", "t_feedforward=2.0", "t_recurrence=2.0",
                                          "t_skip=0.0", "recurrence_type=full", "use_skip_connections=true",
                                          "n_classes=10" };
  g_autoptr (GPtrArray) kw = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (kw, g_strdup_printf ("input_dims=[%d,3,%d,%d]", steps, size, size));
  if (g_strcmp0 (model, "CustomRCNN") == 0)
    for (gsize i = 0; i < G_N_ELEMENTS (tutorial); i++)
      g_ptr_array_add (kw, g_strdup (tutorial[i]));
  for (int i = 0; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "input_dims=") || g_str_has_prefix (argv[i], "n_timesteps="))
        {
          g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                       "bench: '%s': the input's size and length are --size and --steps", argv[i]);
          return NULL;
        }
      g_ptr_array_add (kw, g_strdup (argv[i]));
    }
  g_autoptr (DvJson) kwargs = dv_kwargs_parse ((const char *const *) kw->pdata, (int) kw->len, error);
  if (kwargs == NULL)
    return NULL;
  return dv_preset_build (model, kwargs, error);
}

int
dv_cli_bench (int argc, char **argv)
{
  int threads = 1, batch = 32, steps = 20, size = 32, reps = 3, bptt_checkpoint = 0;
  g_autofree char *data = NULL, *model = NULL;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_STRING, &model,
      "The preset to time (default CustomRCNN, the tutorial model); key=value words follow the options", "PRESET" },
    { "data", 0, 0, G_OPTION_ARG_STRING, &data,
      "Also train on batches from this dataset (loader + prefetch thread) and compare", "NAME" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads (BLAS)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size", "B" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Timesteps", "T" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Image size", "S" },
    { "reps", 0, 0, G_OPTION_ARG_INT, &reps, "Timed repetitions", "R" },
    { "bptt-checkpoint", 0, 0, G_OPTION_ARG_INT, &bptt_checkpoint,
      "Train with activation recomputation every K timesteps (0: keep every step)", "K" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("[key=value …] — time a preset (as bench/torch_customrcnn.py, "
                                              "bench/torch_dyrcnnx4.py)");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  if (!parse (ctx, &argc, &argv, &error))
    return dv_cli_fail (error);
  const DvCliRange ranges[] = {
    DV_CLI_INT ("threads", &threads, 0, 1024), DV_CLI_INT ("batch", &batch, 1, 65536),
    DV_CLI_INT ("steps", &steps, 1, 100000), DV_CLI_INT ("size", &size, 8, 4096),
    DV_CLI_INT ("reps", &reps, 1, 100000), DV_CLI_INT ("bptt-checkpoint", &bptt_checkpoint, 0, 1000000),
  };
  if (dv_cli_check_ranges ("bench", ranges, G_N_ELEMENTS (ranges)) != 0)
    return 2;
  dv_set_num_threads (threads);
  g_autoptr (DvDataset) ds = NULL;
  if (data)
    {
      ds = dv_dataset_open (data, DV_SPLIT_TRAIN, &error);
      if (ds == NULL)
        return dv_cli_fail (error);
      size = dv_dataset_get_height (ds); /* the model takes the dataset's images */
    }
  g_autoptr (DvModelDesc) d = bench_desc (model ? model : "CustomRCNN", steps, size, argc - 1, argv + 1, &error);
  if (d == NULL)
    return dv_cli_fail (error);
  if (d->in_channels != 3)
    {
      g_printerr ("dynvision bench: the input is 3 channels; this model takes %d\n", d->in_channels);
      return 2;
    }
  const int K = d->n_classes;
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  if (m == NULL)
    return dv_cli_fail (error);
  dv_model_init_params (m, 0);
  gsize xn = (gsize) batch * steps * 3 * size * size;
  g_autofree float *x = g_new (float, xn);
  GRand *r = g_rand_new_with_seed (0);
  for (gsize i = 0; i < xn; i++)
    x[i] = (float) g_rand_double_range (r, -1, 1);
  g_autofree gint64 *labels = g_new (gint64, (gsize) batch * steps);
  for (int b = 0; b < batch; b++)
    {
      gint64 y = g_rand_int_range (r, 0, K);
      for (int t = 0; t < steps; t++)
        labels[b * steps + t] = y;
    }
  g_rand_free (r);
  g_autofree float *logits = g_new (float, (gsize) batch * steps * K);

  DvRunOptions iopt = { .training = FALSE };
  g_autoptr (DvRun) irun = dv_run_new (m, batch, &iopt);
  dv_run_forward (irun, x, steps, logits, NULL);
  double t0 = now_s ();
  for (int i = 0; i < reps; i++)
    dv_run_forward (irun, x, steps, logits, NULL);
  double inf = (now_s () - t0) / reps;

  g_autoptr (DvTrainer) trainer = bench_trainer (m, batch, bptt_checkpoint, &error);
  if (trainer == NULL)
    return dv_cli_fail (error);

  /* With --data, each repetition times one step on the pre-built tensor and
   * one on a fresh batch from the data pipeline (augmentation, presentation,
   * prefetch thread), alternately, and the medians are compared: a machine
   * that gets busier half-way slows both alike. */
  g_autoptr (DvLoader) loader = NULL;
  if (ds)
    {
      DvPresentation pres;
      dv_presentation_init (&pres, DV_LOADER_REPETITION);
      pres.n_timesteps = steps;
      DvLoaderConfig lc;
      dv_loader_config_init_train (&lc);
      lc.batch_size = batch;
      lc.channels = 3;
      lc.drop_last = TRUE;
      loader = dv_loader_new (ds, NULL, 0, &lc, &pres, &error);
      if (loader == NULL)
        return dv_cli_fail (error);
    }
  g_autofree double *ttr = g_new0 (double, reps + 1), *ttd = g_new0 (double, reps + 1);
  g_autofree float *xd = ds ? g_new (float, xn) : NULL;
  g_autofree gint64 *ld = ds ? g_new (gint64, (gsize) batch * steps) : NULL;
  for (int i = 0; i <= reps; i++) /* repetition 0 warms up */
    {
      double s = now_s ();
      if (!dv_trainer_step (trainer, x, labels, batch, steps, NULL, &error))
        return dv_cli_fail (error);
      ttr[i] = now_s () - s;
      if (ds)
        {
          s = now_s ();
          DvSequence *seq = dv_loader_next (loader);
          if (seq == NULL) /* end of an epoch */
            seq = dv_loader_next (loader);
          dv_sequence_materialize (seq, xd);
          for (int k = 0; k < batch * steps; k++)
            ld[k] = seq->labels[k] >= 0 ? seq->labels[k] % K : -1;
          dv_sequence_free (seq);
          if (!dv_trainer_step (trainer, xd, ld, batch, steps, NULL, &error))
            return dv_cli_fail (error);
          ttd[i] = now_s () - s;
        }
    }
  double tr = median (ttr + 1, reps), trd = ds ? median (ttd + 1, reps) : 0;

  g_print ("{\"impl\": \"dynvision-c\", \"model\": \"%s\", \"n_classes\": %d, \"threads\": %d, "
           "\"batch\": %d, \"T\": %d, \"size\": %d, "
           "\"infer_s\": %.4f, \"train_step_s\": %.4f, \"infer_samples_per_s\": %.2f, "
           "\"train_samples_per_s\": %.2f, \"peak_rss_mb\": %.1f, \"bptt_checkpoint\": %d",
           d->model_class, K, threads, batch, steps, size, inf, tr, batch / inf, batch / tr, peak_rss_mb (),
           bptt_checkpoint);
  if (ds)
    g_print (", \"data\": \"%s\", \"train_samples_per_s_with_data\": %.2f, \"data_overhead\": %.4f",
             data, batch / trd, trd / tr - 1.0);
  g_print ("}\n");
  return 0;
}
