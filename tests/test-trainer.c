/* test-trainer.c — the training loop: resume that continues bit-identically, from an epoch
 * boundary and after the process was killed mid-epoch; a NaN that stops training and keeps
 * the last good checkpoint; a seeded convergence bound; one step from tensors that equals an
 * epoch over that one batch; and the activity loss, which must lower the activity it measures
 * when it is trained with. */
#include "dv-activity.h"
#include "dv-bn-calibrate.h"
#include "dv-checkpoint.h"
#include "dv-csv.h"
#include "dv-data.h"
#include "dv-ops.h"
#include "dv-trainer.h"
#include "train-fixtures.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void
test_resume_identical (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 96);
  g_autofree int *tr = first_indices (64), *va = g_new (int, 32);
  for (int i = 0; i < 32; i++)
    va[i] = 64 + i;
  g_autofree char *d1 = temp_dir (), *d2 = temp_dir ();

  /* two epochs straight */
  g_autoptr (DvModel) a = tiny_model (3, 11);
  {
    g_autoptr (DvLoader) lt = make_loader (ds, tr, 64, a, TRUE, 16), lv = make_loader (ds, va, 32, a, FALSE, 16);
    DvTrainConfig c;
    train_config (&c, d1, 2);
    g_autoptr (DvTrainer) t = dv_trainer_new (a, lt, lv, &c, &error);
    dv_train_config_clear (&c);
    g_assert_true (dv_trainer_run (t, &error));
    g_assert_no_error (error);
  }
  /* one epoch, then a fresh model and trainer resume from last.safetensors for the second */
  {
    g_autoptr (DvModel) b = tiny_model (3, 11);
    g_autoptr (DvLoader) lt = make_loader (ds, tr, 64, b, TRUE, 16), lv = make_loader (ds, va, 32, b, FALSE, 16);
    DvTrainConfig c;
    train_config (&c, d2, 2);
    g_autoptr (DvTrainer) t = dv_trainer_new (b, lt, lv, &c, &error);
    dv_train_config_clear (&c);
    g_assert_true (dv_trainer_run_epoch (t, &error));
    g_assert_cmpint (dv_trainer_get_epoch (t), ==, 1);
    g_assert_false (params_equal (a, b));
  }
  g_autoptr (DvModel) r = tiny_model (3, 999);   /* other weights: they must come from the file */
  {
    g_autoptr (DvLoader) lt = make_loader (ds, tr, 64, r, TRUE, 16), lv = make_loader (ds, va, 32, r, FALSE, 16);
    DvTrainConfig c;
    train_config (&c, d2, 2);
    g_autoptr (DvTrainer) t = dv_trainer_new (r, lt, lv, &c, &error);
    dv_train_config_clear (&c);
    g_autofree char *last = g_build_filename (d2, "last.safetensors", NULL);
    g_assert_true (dv_trainer_resume (t, last, &error));
    g_assert_no_error (error);
    /* the optimiser moments are in the file, and opening it as a model does not call them
     * unexpected (dynvision run warned about them) */
    g_autoptr (DvSafetensors) st = dv_safetensors_load (last, &error);
    g_assert_nonnull (dv_safetensors_lookup (st, "optimizer.m"));
    DvLoadReport rep = { 0 };
    g_autoptr (DvModel) opened = dv_checkpoint_load (last, &rep, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rep.unexpected->len, ==, 0);
    dv_load_report_clear (&rep);
    g_assert_cmpint (dv_trainer_get_epoch (t), ==, 1);
    g_assert_true (dv_trainer_run (t, &error));
    g_assert_cmpint (dv_trainer_get_epoch (t), ==, 2);
  }
  g_assert_true (params_equal (a, r));
  /* metrics.csv kept the first epoch's row and added the second */
  g_autofree char *mp = g_build_filename (d2, "metrics.csv", NULL);
  g_autoptr (DvCsv) csv = dv_csv_load (mp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_csv_n_rows (csv), ==, 2);
  g_assert_cmpstr (dv_csv_get (csv, 0, dv_csv_column (csv, "epoch")), ==, "1");
  g_assert_cmpstr (dv_csv_get (csv, 1, dv_csv_column (csv, "epoch")), ==, "2");
  g_assert_cmpint (dv_csv_column (csv, "loss/CrossEntropyLoss"), >=, 0);
  remove_dir (d1);
  remove_dir (d2);
}

static void
test_nan_detection (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 64);
  g_autofree int *tr = first_indices (64);
  g_autofree char *dir = temp_dir ();
  g_autofree char *last = g_build_filename (dir, "last.safetensors", NULL);
  g_autoptr (DvModel) m = tiny_model (4, 5);
  g_autoptr (DvLoader) lt = make_loader (ds, tr, 64, m, TRUE, 16);
  {
    DvTrainConfig c;
    train_config (&c, dir, 3);
    g_autoptr (DvTrainer) t = dv_trainer_new (m, lt, NULL, &c, &error);
    dv_train_config_clear (&c);
    g_assert_true (dv_trainer_run_epoch (t, &error));
  }
  g_autoptr (DvModel) good = dv_checkpoint_load (last, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (params_equal (m, good));

  /* the same run with an absurd learning rate and no clipping: after one Adam step every
   * weight is about ±lr, and the first layers overflow float at the next forward pass */
  DvTrainConfig c;
  train_config (&c, dir, 3);
  c.optim.lr = 1e20;
  c.clip = 0;
  g_autoptr (DvTrainer) t = dv_trainer_new (m, lt, NULL, &c, &error);
  dv_train_config_clear (&c);
  g_assert_true (dv_trainer_resume (t, last, &error));
  g_assert_false (dv_trainer_run (t, &error));
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED);
  g_test_message ("divergence: %s", error->message);
  g_assert_nonnull (strstr (error->message, "epoch 2"));
  g_assert_true (strstr (error->message, "layer1") || strstr (error->message, "layer2") ||
                 strstr (error->message, "classifier"));
  g_assert_nonnull (strstr (error->message, "timestep"));
  /* the last good checkpoint is still the one of epoch 1 */
  g_autoptr (DvModel) after = dv_checkpoint_load (last, NULL, NULL);
  g_assert_nonnull (after);
  g_assert_true (params_equal (good, after));
  remove_dir (dir);
}

/* A learning rate far too large, no clipping: the run stops while everything is still finite,
 * naming the quantity that blew up (and, for activity, the layer and timestep); the message's
 * "last good checkpoint" exists although the run diverged in its first epoch, and holds the
 * weights from before the run.  The same run with the watch off (factor 0) trains on. */
static void
test_divergence_caught_finite (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 96);
  g_autofree int *tr = first_indices (64), *va = g_new (int, 32);
  for (int i = 0; i < 32; i++)
    va[i] = 64 + i;
  g_autofree char *dir = temp_dir ();
  g_autofree char *last = g_build_filename (dir, "last.safetensors", NULL);
  g_autoptr (DvModel) m = tiny_model (4, 5);
  g_autoptr (DvModel) before = tiny_model (4, 5);
  g_autoptr (DvLoader) lt = make_loader (ds, tr, 64, m, TRUE, 8), lv = make_loader (ds, va, 32, m, FALSE, 16);
  DvTrainConfig c;
  train_config (&c, dir, 3);
  c.optim.lr = 30;
  c.optim.weight_decay = 0;
  c.clip = 0;
  g_autoptr (DvTrainer) t = dv_trainer_new (m, lt, lv, &c, &error);
  dv_train_config_clear (&c);
  g_assert_false (dv_trainer_run (t, &error));
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED);
  g_test_message ("divergence: %s", error->message);
  g_assert_nonnull (strstr (error->message, "blew up"));
  g_assert_true (strstr (error->message, "the loss") || strstr (error->message, "gradient norm") ||
                 strstr (error->message, "activity of layer"));
  g_assert_nonnull (strstr (error->message, "timestep") );
  g_assert_cmpint (dv_trainer_get_epoch (t), ==, 0);
  g_assert_nonnull (strstr (error->message, last));
  g_clear_error (&error);
  g_autoptr (DvModel) good = dv_checkpoint_load (last, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (params_equal (before, good));

  /* the watch off: the same weights train on past the blow-up (finite, so nothing stops them) */
  g_autoptr (DvModel) m2 = tiny_model (4, 5);
  g_autoptr (DvLoader) lt2 = make_loader (ds, tr, 64, m2, TRUE, 8), lv2 = make_loader (ds, va, 32, m2, FALSE, 16);
  train_config (&c, dir, 1);
  c.optim.lr = 30;
  c.optim.weight_decay = 0;
  c.clip = 0;
  c.divergence_factor = 0;
  g_autoptr (DvTrainer) t2 = dv_trainer_new (m2, lt2, lv2, &c, &error);
  dv_train_config_clear (&c);
  gboolean ok = dv_trainer_run (t2, &error);
  g_test_message ("without the watch: %s", ok ? "trained on" : error->message);
  g_assert_true (ok || strstr (error->message, "blew up") == NULL);
  remove_dir (dir);
}

/* A running statistic that overflows in the forward pass is named as a buffer, not as a
 * parameter, with the timestep where it did (the forward pass itself stays finite). */
static void
test_buffer_named_with_timestep (void)
{
  g_autoptr (GError) error = NULL;
  const char *args[] = { "input_dims=[4,3,32,32]", "n_classes=10" };
  g_autoptr (DvJson) kw = dv_kwargs_parse (args, 2, &error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx2", kw, &error);
  g_assert_no_error (error);
  d->layers[0].out_channels = d->layers[1].in_channels = 4;
  d->layers[1].out_channels = 8;
  d->layers[1].norm_kind = DV_NORM_BATCH;
  d->layers[1].norm_name = g_strdup ("layer2_norm");
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 5);
  DvParam *rv = NULL;
  for (guint i = 0; i < dv_model_n_params (m) && rv == NULL; i++)
    if (g_str_has_suffix (dv_model_param (m, i)->name, ".running_var"))
      rv = dv_model_param (m, i);
  g_assert_nonnull (rv);
  /* an input of finite but huge values: the batch variance of layer2 (~1e50) overflows float
   * while the normalised activity stays finite */
  const int B = 4, T = 4;
  gsize n = (gsize) B * T * 3 * 32 * 32;
  g_autofree float *x = g_new (float, n);
  g_autofree gint64 *labels = g_new (gint64, B * T);
  guint32 r = 1;
  for (gsize i = 0; i < n; i++)
    {
      r = r * 1664525u + 1013904223u;
      x[i] = (r >> 8) / 16777216.0f * 2e25f - 1e25f;
    }
  for (int i = 0; i < B * T; i++)
    labels[i] = i % 10;
  DvTrainConfig c;
  train_config (&c, NULL, 1);
  c.batch_size = B;
  g_autoptr (DvTrainer) t = dv_trainer_new (m, NULL, NULL, &c, &error);
  dv_train_config_clear (&c);
  g_assert_false (dv_trainer_step (t, x, labels, B, T, NULL, &error));
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED);
  g_test_message ("%s", error->message);
  g_autofree char *what = g_strdup_printf ("the buffer %s (running statistics, not a learnt parameter)", rv->name);
  g_assert_nonnull (strstr (error->message, what));
  g_assert_nonnull (strstr (error->message, "at timestep 0"));
  g_assert_null (strstr (error->message, "parameter %s"));
}

/* A DyRCNNx2 with 16 and 32 channels on four classes of the embedded set (0° and 90°
 * gratings, disc, x-cross; random colours, positions and sizes): 800 training samples,
 * batch 16, Adam 1e-2, 8 epochs = 400 steps.  Seeds 1–5 reach 0.85–0.90 on 160 test samples;
 * the bound is 0.75 (chance is 0.25). */
static void
test_convergence (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) tr_ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 2000);
  g_autoptr (DvDataset) te_ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TEST, 400);
  static const int classes[] = { 0, 2, 4, 9 };
  GArray *tr = g_array_new (FALSE, FALSE, sizeof (int)), *te = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < 2000; i++)
    for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
      if (dv_dataset_get_label (tr_ds, i) == classes[k])
        g_array_append_val (tr, i);
  for (int i = 0; i < 400; i++)
    for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
      if (dv_dataset_get_label (te_ds, i) == classes[k])
        g_array_append_val (te, i);
  g_autoptr (DvModel) m = sized_model (3, 16, 32, 1);
  g_autoptr (DvLoader) lt = make_loader (tr_ds, (int *) tr->data, (int) tr->len, m, FALSE, 16);
  g_autoptr (DvLoader) lv = make_loader (te_ds, (int *) te->data, (int) te->len, m, FALSE, 16);
  DvEvalResult r;
  g_assert_true (dv_evaluate_full (m, lv, 0, &r, &error));
  double before = r.accuracy;
  dv_eval_result_clear (&r);
  DvTrainConfig c;
  dv_train_config_init (&c);
  c.epochs = 8;
  c.optim.lr = 1e-2;
  c.lr_scaling = FALSE;
  c.schedule = DV_SCHEDULE_CONSTANT;
  g_autoptr (DvTrainer) t = dv_trainer_new (m, lt, NULL, &c, &error);
  dv_train_config_clear (&c);
  g_assert_true (dv_trainer_run (t, &error));
  g_assert_no_error (error);
  g_assert_true (dv_evaluate_full (m, lv, 0, &r, &error));
  int steps = 8 * dv_loader_get_n_batches (lt);
  g_test_message ("4-class accuracy %.3f before, %.3f after %d steps (loss %.3f)", before, r.accuracy, steps, r.loss);
  g_assert_cmpint (steps, ==, 400);
  g_assert_cmpfloat (before, <, 0.45);
  g_assert_cmpfloat (r.accuracy, >=, 0.75);
  dv_eval_result_clear (&r);
  g_array_unref (tr);
  g_array_unref (te);
}

/* ---- killed mid-epoch ---------------------------------------------------------------- */

/* The run both halves share: tiny model (seed 11), 64 training and 32 validation samples,
 * batch 16 (4 batches an epoch), 3 epochs, checkpoints in dir. */
static DvTrainer *
kill_run_trainer (DvModel *m, DvDataset *ds, DvLoader **lt, DvLoader **lv, const char *dir, GError **error)
{
  g_autofree int *tr = first_indices (64), *va = g_new (int, 32);
  for (int i = 0; i < 32; i++)
    va[i] = 64 + i;
  *lt = make_loader (ds, tr, 64, m, TRUE, 16);
  *lv = make_loader (ds, va, 32, m, FALSE, 16);
  DvTrainConfig c;
  train_config (&c, dir, 3);
  DvTrainer *t = dv_trainer_new (m, *lt, *lv, &c, error);
  dv_train_config_clear (&c);
  return t;
}

/* The child's checkpoint folder, named by the parent's process id. */
static char *
kill_dir (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("dv-test-kill-%d", (int) parent);
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

static void
die_in_epoch_2 (const DvTrainProgress *p, gpointer user_data)
{
  if (p->epoch == 2 && p->batch == 2)
    {
      g_printerr ("killed in epoch %d, batch %d of %d\n", p->epoch, p->batch, p->n_batches);
      raise (SIGKILL); /* as `kill -9`: no cleanup, no flush, nothing written after this */
    }
}

/* Trains in a child process that is killed after the second optimiser step of epoch 2 (of 3);
 * a fresh process with other initial weights resumes from last.safetensors, repeats epoch 2
 * from its start and finishes: the weights equal those of an uninterrupted run, bit for bit. */
static void
test_resume_after_kill (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 96);
  if (g_test_subprocess ())
    {
      g_autoptr (DvModel) m = tiny_model (3, 11);
      DvLoader *lt, *lv;
      g_autofree char *dir = kill_dir (getppid ());
      DvTrainer *t = kill_run_trainer (m, ds, &lt, &lv, dir, &error);
      g_assert_no_error (error);
      dv_trainer_set_progress (t, die_in_epoch_2, NULL, NULL);
      dv_trainer_run (t, &error);
      g_assert_not_reached ();
    }
  g_autofree char *d1 = temp_dir (), *d2 = kill_dir (getpid ());
  g_assert_cmpint (g_mkdir_with_parents (d2, 0700), ==, 0);
  g_autoptr (DvModel) a = tiny_model (3, 11);
  {
    g_autoptr (DvLoader) lt = NULL, lv = NULL;
    g_autoptr (DvTrainer) t = kill_run_trainer (a, ds, &lt, &lv, d1, &error);
    g_assert_true (dv_trainer_run (t, &error));
    g_assert_no_error (error);
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*killed in epoch 2, batch 2 of 4*");

  g_autofree char *last = g_build_filename (d2, "last.safetensors", NULL);
  g_autoptr (DvModel) r = tiny_model (3, 999);   /* other weights: they must come from the file */
  {
    g_autoptr (DvLoader) lt = NULL, lv = NULL;
    g_autoptr (DvTrainer) t = kill_run_trainer (r, ds, &lt, &lv, d2, &error);
    g_assert_true (dv_trainer_resume (t, last, &error));
    g_assert_no_error (error);
    g_assert_cmpint (dv_trainer_get_epoch (t), ==, 1);
    g_assert_false (params_equal (a, r));
    g_assert_true (dv_trainer_run (t, &error));
    g_assert_no_error (error);
    g_assert_cmpint (dv_trainer_get_epoch (t), ==, 3);
  }
  g_assert_true (params_equal (a, r));
  g_autoptr (DvModel) from_file = dv_checkpoint_load (last, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (params_equal (a, from_file));
  g_autofree char *mp = g_build_filename (d2, "metrics.csv", NULL);
  g_autoptr (DvCsv) csv = dv_csv_load (mp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_csv_n_rows (csv), ==, 3);
  g_assert_cmpstr (dv_csv_get (csv, 2, dv_csv_column (csv, "epoch")), ==, "3");
  remove_dir (d1);
  remove_dir (d2);
}

/* ---- one step from tensors ------------------------------------------------------------ */

/* dv_trainer_step on a batch's tensors (a trainer without a loader) changes the weights exactly
 * as an epoch over a loader holding only that batch. */
typedef struct {
  int polls, stop_at;
} PauseAt;

/* TRUE once, at the stop_at-th poll (after that many batches). */
static gboolean
pause_at (gpointer data)
{
  PauseAt *p = data;
  return ++p->polls == p->stop_at;
}

/* A pause: an epoch cancelled after batch 2 and run again continues at batch 3 and ends
 * with the same weights, bit for bit, as the same epoch uninterrupted (with gradient
 * accumulation over 2 batches, so a pause may fall between two halves of a step). */
static void
test_pause_continues (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 96);
  g_autofree int *tr = first_indices (96);
  DvModel *m[2] = { tiny_model (3, 5), tiny_model (3, 5) };
  for (int k = 0; k < 2; k++)
    {
      g_autoptr (DvLoader) lt = make_loader (ds, tr, 96, m[k], TRUE, 16);
      DvTrainConfig c;
      train_config (&c, NULL, 2);
      c.accumulate = 2;
      g_autoptr (DvTrainer) t = dv_trainer_new (m[k], lt, NULL, &c, &error);
      dv_train_config_clear (&c);
      g_assert_no_error (error);
      PauseAt p = { 0, 3 };
      if (k == 1)
        dv_trainer_set_cancel (t, pause_at, &p);
      if (k == 1)
        {
          g_assert_false (dv_trainer_run_epoch (t, &error)); /* paused after batch 3 of 6 */
          g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CANCELLED);
          g_assert_nonnull (strstr (error->message, "after batch 3 of 6"));
          g_clear_error (&error);
          g_assert_cmpint (dv_trainer_get_epoch (t), ==, 0);
        }
      g_assert_true (dv_trainer_run_epoch (t, &error)); /* the rest of epoch 1 */
      g_assert_true (dv_trainer_run_epoch (t, &error)); /* epoch 2 */
      g_assert_no_error (error);
      g_assert_cmpint (dv_trainer_get_epoch (t), ==, 2);
    }
  g_assert_true (params_equal (m[0], m[1]));
  dv_model_free (m[0]);
  dv_model_free (m[1]);
}

static void
test_step_equals_epoch (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 16);
  g_autofree int *tr = first_indices (16);
  g_autoptr (DvModel) a = tiny_model (3, 21), b = tiny_model (3, 21);
  g_autoptr (DvLoader) la = make_loader (ds, tr, 16, a, FALSE, 16);
  DvTrainConfig c;
  train_config (&c, NULL, 1);
  c.batch_size = 16;
  c.activity.weight = 0.5;
  g_autoptr (DvTrainer) ta = dv_trainer_new (a, la, NULL, &c, &error);
  g_autoptr (DvTrainer) tb = dv_trainer_new (b, NULL, NULL, &c, &error);
  dv_train_config_clear (&c);
  g_assert_no_error (error);
  g_assert_true (dv_trainer_run_epoch (ta, &error));
  g_assert_no_error (error);

  dv_loader_restart (la, 0);
  DvSequence *seq = dv_loader_next (la);
  g_assert_nonnull (seq);
  g_autofree float *x = g_new (float, (gsize) seq->B * seq->T * seq->C * seq->H * seq->W);
  dv_sequence_materialize (seq, x);
  double loss = 0;
  g_assert_false (params_equal (a, b));
  g_assert_true (dv_trainer_step (tb, x, seq->labels, seq->B, seq->T, &loss, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (loss, >, 0);
  g_assert_cmpint (dv_trainer_get_epoch (tb), ==, 0);
  g_assert_true (params_equal (a, b));
  dv_sequence_free (seq);
}

/* ---- two threads -------------------------------------------------------------------------- */

/* Training on the kernels' two threads twice gives the same weights: no sum may depend on which
 * thread ran which block (the im2col convolution of layer 1 and the Winograd ones of layer 2,
 * batch 16, both split their weight gradients over the workers). */
static void
test_two_threads_deterministic (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 64);
  g_autofree int *tr = first_indices (64);
  DvModel *m[2];
  dv_set_num_threads (2);
  for (int i = 0; i < 2; i++)
    {
      m[i] = sized_model (3, 16, 32, 8);
      g_autoptr (DvLoader) lt = make_loader (ds, tr, 64, m[i], TRUE, 16);
      DvTrainConfig c;
      train_config (&c, NULL, 2);
      g_autoptr (DvTrainer) t = dv_trainer_new (m[i], lt, NULL, &c, &error);
      dv_train_config_clear (&c);
      g_assert_true (dv_trainer_run (t, &error));
      g_assert_no_error (error);
    }
  dv_set_num_threads (1);
  g_assert_true (params_equal (m[0], m[1]));
  dv_model_free (m[0]);
  dv_model_free (m[1]);
}

/* ---- the activity loss, trained with ---------------------------------------------------- */

/* Mean activity loss (absolute, p = 1, every layer) over a loader's batches, in eval mode. */
static double
mean_activity (DvModel *m, DvLoader *l)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  DvActivityConfig ac;
  dv_activity_config_init (&ac);
  double sum = 0;
  int n = 0;
  dv_loader_restart (l, 0);
  DvSequence *seq;
  while ((seq = dv_loader_next (l)) != NULL)
    {
      DvRunOptions o = { 0 };
      g_autoptr (DvRun) run = dv_run_new (m, seq->B, &o);
      g_autoptr (DvActivityLoss) al = dv_activity_loss_new (run, &ac, NULL);
      g_autofree float *x = g_new (float, (gsize) seq->B * seq->T * seq->C * seq->H * seq->W);
      g_autofree float *lg = g_new (float, (gsize) seq->B * seq->T * D->n_classes);
      dv_sequence_materialize (seq, x);
      dv_activity_loss_reset (al);
      g_assert_true (dv_run_forward (run, x, seq->T, lg, NULL));
      sum += dv_activity_loss_value (al);
      n++;
      dv_sequence_free (seq);
    }
  dv_activity_config_clear (&ac);
  return sum / n;
}

static void
record_activity (const DvEpochMetrics *m, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, m->train_activity_loss);
}

/* The same seeded run with and without weight · activity (absolute, p = 1, every layer):
 * with it, the activity measured afterwards on held-out samples must be well below. */
static void
test_activity_lowers_activity (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 128);
  g_autofree int *tr = first_indices (96), *va = g_new (int, 32);
  for (int i = 0; i < 32; i++)
    va[i] = 96 + i;
  const double weights[] = { 0.0, 10.0 };
  double act[2], acc[2];
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (DvModel) m = tiny_model (3, 5);
      g_autoptr (DvLoader) lt = make_loader (ds, tr, 96, m, TRUE, 16), lv = make_loader (ds, va, 32, m, FALSE, 16);
      double before = mean_activity (m, lv);
      DvTrainConfig c;
      train_config (&c, NULL, 8);
      c.optim.lr = 1e-2;
      c.activity.weight = weights[i];
      g_autoptr (GArray) logged = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr (DvTrainer) t = dv_trainer_new (m, lt, lv, &c, &error);
      dv_train_config_clear (&c);
      dv_trainer_set_progress (t, NULL, record_activity, logged);
      g_assert_true (dv_trainer_run (t, &error));
      g_assert_no_error (error);
      act[i] = mean_activity (m, lv);
      DvEvalResult r;
      g_assert_true (dv_evaluate_full (m, lv, 0, &r, &error));
      acc[i] = r.accuracy;
      dv_eval_result_clear (&r);
      g_test_message ("activity weight %g: activity %.4g before, %.4g after; val accuracy %.3f; logged %.4g -> %.4g",
                      weights[i], before, act[i], acc[i], g_array_index (logged, double, 0),
                      g_array_index (logged, double, logged->len - 1));
      if (weights[i] == 0)
        g_assert_true (isnan (g_array_index (logged, double, 0)));
      else
        g_assert_cmpfloat (g_array_index (logged, double, logged->len - 1), <, g_array_index (logged, double, 0));
    }
  g_assert_cmpfloat (act[1], <, 0.5 * act[0]);
}


/* dv_bn_calibrate: V1's BatchNorm statistics become the mean, over the steps that show a
 * stimulus, of the batch statistics of what V1_norm normalises there: V1's pooled, delayed
 * response (in CustomRCNN V1 comes before every BatchNorm, so a recorded run sees it exactly);
 * the blank residual steps are left out, and num_batches_tracked is kept. */
typedef struct {
  const DvSequence *seq;
  int C, B, H, W;
  gboolean stimulus_only;
  double *mean, *var;
  int n;
} V1Stats;

static void
v1_observe (DvRun *run, const DvFrame *f, gpointer data)
{
  V1Stats *s = data;
  /* V1_norm at step t normalises V1's response of step t − 1 (V1's delay of one step) */
  if (f->t < 0 || f->responses[0] == NULL
      || (s->stimulus_only && (f->t + 1 >= s->seq->T || s->seq->schedule[f->t + 1].phase != DV_PHASE_STIMULUS)))
    return;
  int Ho = (s->H + 2 - 3) / 2 + 1, Wo = (s->W + 2 - 3) / 2 + 1; /* max pool 3, stride 2, pad 1 */
  gsize m = (gsize) s->B * Ho * Wo;
  for (int c = 0; c < s->C; c++)
    {
      double sum = 0, sum2 = 0;
      for (int b = 0; b < s->B; b++)
        for (int yo = 0; yo < Ho; yo++)
          for (int xo = 0; xo < Wo; xo++)
            {
              float v = -INFINITY;
              for (int y = 2 * yo - 1; y <= 2 * yo + 1; y++)
                for (int x = 2 * xo - 1; x <= 2 * xo + 1; x++)
                  if (y >= 0 && y < s->H && x >= 0 && x < s->W)
                    v = MAX (v, f->responses[0][(((gsize) c * s->B + b) * s->H + y) * s->W + x]);
              sum += v;
              sum2 += (double) v * v;
            }
      double mean = sum / m;
      s->mean[c] += mean;
      s->var[c] += (sum2 - m * mean * mean) / (m - 1);
    }
  s->n++;
}

static void
test_bn_calibrate (void)
{
  g_autoptr (GError) error = NULL;
  const char *args[] = { "input_dims=[4,3,32,32]", "n_classes=10", "dt=2", "tau=10", "t_feedforward=2",
                         "t_recurrence=2" };
  g_autoptr (DvJson) kw = dv_kwargs_parse (args, G_N_ELEMENTS (args), &error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("CustomRCNN", kw, &error);
  g_assert_no_error (error);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 3);
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 16);
  g_autofree int *idx = first_indices (8);
  g_autoptr (DvLoader) ld = make_loader (ds, idx, 8, m, FALSE, 4);
  g_autoptr (DvSequence) seq = dv_loader_get_batch (ld, 0, 0);
  g_assert_cmpint (seq->n_residual, >, 0);

  /* the reference: V1's responses of that batch, pooled, per step */
  int C = 64, H = 16, W = 16;
  V1Stats ref[2];
  for (int k = 0; k < 2; k++)
    {
      ref[k] = (V1Stats) { seq, C, seq->B, H, W, k == 0, g_new0 (double, C), g_new0 (double, C), 0 };
      DvRunOptions o = { .bn_train = TRUE };
      g_autoptr (DvRun) run = dv_run_new (m, seq->B, &o);
      dv_run_observe_layer (run, 0, TRUE);
      dv_run_set_observer (run, v1_observe, &ref[k]);
      g_autofree float *x = g_new (float, dv_sequence_frame_size (seq) * seq->T);
      g_autofree float *lg = g_new (float, (gsize) seq->B * seq->T * 10);
      dv_sequence_materialize (seq, x);
      g_assert_true (dv_run_forward (run, x, seq->T, lg, &error));
    }
  g_assert_cmpint (ref[0].n, ==, seq->T - seq->n_residual - 1);
  g_assert_cmpint (ref[1].n, >, ref[0].n);

  DvParam *mean = dv_model_lookup (m, "V1_norm.running_mean"), *var = dv_model_lookup (m, "V1_norm.running_var");
  DvParam *count = dv_model_lookup (m, "V1_norm.num_batches_tracked");
  count->idata[0] = 5;
  int used = 0;
  g_assert_true (dv_bn_calibrate (m, ld, 0, 1, &used, &error));
  g_assert_no_error (error);
  g_assert_cmpint (used, >, 0);
  g_assert_cmpint (count->idata[0], ==, 5);
  double worst = 0, apart = 0;
  for (int c = 0; c < C; c++)
    {
      double rm = ref[0].mean[c] / ref[0].n, rv = ref[0].var[c] / ref[0].n;
      worst = MAX (worst, fabs (mean->data[c] - rm) / (fabs (rm) + 1e-3));
      worst = MAX (worst, fabs (var->data[c] - rv) / (rv + 1e-3));
      double am = ref[1].mean[c] / ref[1].n;
      apart = MAX (apart, fabs (am - rm) / (fabs (rm) + 1e-3));
    }
  g_assert_cmpfloat (worst, <, 1e-3);
  g_assert_cmpfloat (apart, >, 1e-2); /* counting the residual steps would have shown */
  for (int k = 0; k < 2; k++)
    g_free (ref[k].mean), g_free (ref[k].var);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dv_set_num_threads (1);
  g_test_add_func ("/train/trainer/resume-bit-identical", test_resume_identical);
  g_test_add_func ("/train/trainer/resume-after-kill-mid-epoch", test_resume_after_kill);
  g_test_add_func ("/train/trainer/nan-stops-and-keeps-checkpoint", test_nan_detection);
  g_test_add_func ("/train/trainer/divergence-caught-while-finite", test_divergence_caught_finite);
  g_test_add_func ("/train/trainer/buffer-named-with-timestep", test_buffer_named_with_timestep);
  g_test_add_func ("/train/trainer/converges", test_convergence);
  g_test_add_func ("/train/trainer/step-equals-epoch", test_step_equals_epoch);
  g_test_add_func ("/train/trainer/pause-continues-bit-identical", test_pause_continues);
  g_test_add_func ("/train/trainer/two-threads-deterministic", test_two_threads_deterministic);
  g_test_add_func ("/train/trainer/activity-loss-lowers-activity", test_activity_lowers_activity);
  g_test_add_func ("/train/trainer/bn-calibrate-stimulus-steps", test_bn_calibrate);
  return g_test_run ();
}
