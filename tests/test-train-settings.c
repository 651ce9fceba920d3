/* test-train-settings.c — the one table of training settings (train/dv-train-settings.h).
 *
 * What this is for: the defaults against DynVision's values as SPEC §5.3 documents them (and
 * a default that is not DynVision's says so and is not), the trainer configuration the
 * defaults stand for, every key's refusals (out of range, wrong type, not a choice, unknown
 * key, aliases) leaving the settings unchanged, the text forms reading back, `dynvision train`
 * refusing the same values with the same message (the built CLI, $DV_CLI) and listing every
 * setting in --help, and doc/training.md's table being the table's own ($DV_SOURCE_ROOT;
 * `DV_WRITE_DOC=1` rewrites it).
 * What this is not for: the panel in the window (test-workbench-train.c checks its initial
 * values and its refusals against this table).
 */
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "dv-train-settings.h"
#include "dv-trainer.h"

/* SPEC-dynvision-semantics.md §5.3 (and §5.1 for the activity loss: no shipped
 * configuration weights it, ord 1). */
static const struct { const char *name, *value; } spec[] = {
  { "epochs", "300" }, { "batch", "192" }, { "lr", "2e-4" }, { "weight-decay", "5e-4" },
  { "optimizer", "adam" }, { "schedule", "cosine" }, { "t-max", "500" }, { "clip", "1.0" },
  { "accumulate", "4" }, { "lr-scaling", "true" }, { "group-factors", "true" },
  { "augment", "true" }, { "bn-mode", "batch" } /* Lightning trains in train mode */,
  { "activity-weight", "0" }, { "activity-ord", "1" },
  { "activity-mode", "absolute" }, { "val-every", "10" }, { "save-every", "50" },
  { "save-top-k", "2" }, { "monitor", "val_loss" }, { "seed", "0" },
};

/* The value text of `text` for setting `info` as the settings print it. */
static char *
canonical (const DvTrainSettingInfo *info, const char *text)
{
  g_auto (DvTrainSettings) s = { 0 };
  dv_train_settings_init_defaults (&s);
  g_autoptr (GError) error = NULL;
  if (!dv_train_settings_set (&s, info->name, text, &error))
    g_error ("%s: %s", info->name, error->message);
  return dv_train_settings_get (&s, info);
}

static void
test_defaults (void)
{
  guint n;
  const DvTrainSettingInfo *t = dv_train_settings_table (&n);
  g_assert_cmpuint (n, >=, 25);
  for (guint i = 0; i < G_N_ELEMENTS (spec); i++)
    {
      const DvTrainSettingInfo *info = dv_train_settings_lookup (spec[i].name);
      g_assert_nonnull (info);
      g_assert_nonnull (info->dynvision);
      g_autofree char *ours = canonical (info, info->default_text);
      g_autofree char *theirs = canonical (info, spec[i].value);
      g_autofree char *claimed = canonical (info, info->dynvision);
      if (!g_str_equal (claimed, theirs))
        g_error ("%s: the table says DynVision's value is %s, the spec %s", info->name, claimed, theirs);
      /* the default is DynVision's, or the entry says why not (and then it is not) */
      if (info->differs == NULL && !g_str_equal (ours, theirs))
        g_error ("%s: default %s, DynVision's %s, and no reason given", info->name, ours, theirs);
      if (info->differs != NULL && g_str_equal (ours, theirs))
        g_error ("%s: said to differ from DynVision's %s but does not", info->name, theirs);
    }
  /* every claim about DynVision is one of the spec's values above */
  for (guint i = 0; i < n; i++)
    if (t[i].dynvision != NULL)
      {
        gboolean found = FALSE;
        for (guint k = 0; k < G_N_ELEMENTS (spec); k++)
          found |= g_str_equal (spec[k].name, t[i].name);
        if (!found)
          g_error ("%s claims DynVision's value %s, which this test does not know", t[i].name,
                   t[i].dynvision);
      }
  /* the case: the learning rate is DynVision's 2e-4 */
  g_auto (DvTrainSettings) s = { 0 };
  dv_train_settings_init_defaults (&s);
  g_assert_cmpfloat (s.lr, ==, 2e-4);
  g_assert_cmpstr (s.data, ==, "embedded");
  g_assert_true (dv_train_settings_validate (&s, NULL));
  /* the defaults stand for the trainer's own defaults where the trainer has one */
  DvTrainConfig c, d;
  dv_train_settings_to_config (&s, &c);
  dv_train_config_init (&d);
  g_assert_cmpint (c.optim.kind, ==, d.optim.kind);
  g_assert_cmpfloat (c.optim.lr, ==, d.optim.lr);
  g_assert_cmpfloat (c.optim.weight_decay, ==, d.optim.weight_decay);
  g_assert_cmpint (c.lr_scaling, ==, d.lr_scaling);
  g_assert_cmpint (c.group_factors, ==, d.group_factors);
  g_assert_cmpint (c.schedule, ==, d.schedule);
  g_assert_cmpint (c.step_size, ==, d.step_size);
  g_assert_cmpfloat (c.gamma, ==, d.gamma);
  g_assert_cmpfloat (c.clip, ==, d.clip);
  g_assert_cmpint (c.accumulate, ==, d.accumulate);
  g_assert_cmpint (c.val_every, ==, d.val_every);
  g_assert_cmpint (c.save_top_k, ==, d.save_top_k);
  g_assert_cmpfloat (c.divergence_factor, ==, d.divergence_factor);
  g_assert_cmpfloat (c.activity.ord, ==, d.activity.ord);
  g_assert_null (c.activity.layers);
  g_assert_cmpint (c.epochs, ==, 5);
  g_assert_cmpint (c.batch_size, ==, 32);
  dv_train_config_clear (&c);
  dv_train_config_clear (&d);
  g_autofree char *desc = dv_train_settings_describe (&s);
  g_assert_cmpstr (desc, ==, "defaults");
}

/* A value of each setting that its check refuses, and a part of the message. */
typedef struct { const char *key, *value, *needle; } Bad;

static const Bad bad[] = {
  { "epochs", "0", "epochs=0: give a whole number from 1 to 100000" },
  { "epochs", "x", "epochs=x: not a whole number" },
  { "epochs", "1.5", "epochs=1.5: not a whole number" },
  { "batch", "70000", "batch=70000: give a whole number from 1 to 65536" },
  { "lr", "0", "lr=0: give a number > 0" },
  { "lr", "abc", "lr=abc: not a number" },
  { "lr", "nan", "lr=nan: give a number" },
  { "lr", "1e-3x", "lr=1e-3x" },
  { "weight-decay", "-1", "weight-decay=-1: give a number from 0 to 1000" },
  { "optimizer", "rmsprop", "optimizer=rmsprop: use one of sgd, adam or adamw" },
  { "momentum", "1", "momentum=1: give a number ≥ 0 and < 1" },
  { "schedule", "linear", "schedule=linear: use one of cosine, step or constant" },
  { "t-max", "-1", "t-max=-1: give a whole number from 0" },
  { "step-size", "0", "step-size=0: give a whole number from 1" },
  { "gamma", "0", "gamma=0: give a number > 0" },
  { "clip", "-0.5", "clip=-0.5: give a number from 0" },
  { "divergence-factor", "0.5", "divergence-factor=0.5: give 0 (off) or a finite factor above 1" },
  { "divergence-factor", "-1", "divergence-factor=-1: give a number from 0" },
  { "accumulate", "0", "accumulate=0: give a whole number from 1" },
  { "activity-weight", "inf", "activity-weight=inf" },
  { "activity-ord", "0", "activity-ord=0: give a number > 0" },
  { "activity-mode", "relative", "activity-mode=relative: use one of absolute or signed" },
  { "train-samples", "-5", "train-samples=-5: give a whole number from 0" },
  { "val-fraction", "1", "val-fraction=1: give a number ≥ 0 and < 1" },
  { "val-every", "0", "val-every=0: give a whole number from 1" },
  { "save-every", "-1", "save-every=-1: give a whole number from 0" },
  { "save-top-k", "x", "save-top-k=x: not a whole number" },
  { "monitor", "val_acc", "monitor=val_acc: use one of val_loss or val_accuracy" },
  { "seed", "-3", "seed=-3: give a whole number ≥ 0" },
  { "threads", "2000", "threads=2000: give a whole number from 0 to 1024" },
  { "bptt-checkpoint", "-1", "bptt-checkpoint=-1: give a whole number from 0 to 1000000" },
  { "data", "", "data=: name a data set" },
  { "nesterov", "maybe", "nesterov=maybe" },
  { "augment", "2", "augment=2" },
  { "lr-scaling", "sometimes", "lr-scaling=sometimes" },
  { "group-factors", "", "group-factors=" },
  { "bn-mode", "eval", "bn-mode=eval: use one of batch or running" },
  { "bn-calibrate", "-1", "bn-calibrate=-1: give a whole number from 0" },
  { "recurrence-scale", "-0.5", "recurrence-scale=-0.5: give a number from 0" },
};

static void
test_refusals (void)
{
  g_auto (DvTrainSettings) s = { 0 };
  dv_train_settings_init_defaults (&s);
  const char *start[] = { "epochs=9", "optimizer=sgd", NULL };
  g_assert_true (dv_train_settings_parse (&s, start, NULL));
  g_auto (GStrv) before = dv_train_settings_to_strv (&s);
  guint n;
  const DvTrainSettingInfo *t = dv_train_settings_table (&n);
  for (guint k = 0; k < n; k++) /* every setting has a refusal below, except free text */
    {
      gboolean covered = t[k].type == DV_TRAIN_SETTING_STRING && t[k].offset != G_STRUCT_OFFSET (DvTrainSettings, data);
      for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
        covered |= g_str_equal (bad[i].key, t[k].name);
      if (!covered)
        g_error ("no refused value of %s is tested", t[k].name);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (dv_train_settings_set (&s, bad[i].key, bad[i].value, &error));
      g_assert_error (error, DV_VALUE_ERROR, error->code);
      if (!g_str_has_prefix (error->message, bad[i].needle))
        g_error ("%s=%s: “%s” does not start “%s”", bad[i].key, bad[i].value, error->message, bad[i].needle);
      /* the same through key=value, all or nothing */
      g_autofree char *kv = g_strdup_printf ("%s=%s", bad[i].key, bad[i].value);
      const char *list[] = { "epochs=3", kv, NULL };
      g_autoptr (GError) e2 = NULL;
      g_assert_false (dv_train_settings_parse (&s, list, &e2));
      g_assert_cmpstr (e2->message, ==, error->message);
      g_auto (GStrv) after = dv_train_settings_to_strv (&s);
      g_assert_true (g_strv_equal ((const char *const *) before, (const char *const *) after));
    }
  /* unknown keys, and "key=value" itself */
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_train_settings_set (&s, "colour", "red", &error));
  g_assert_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_UNKNOWN);
  g_assert_true (g_str_has_prefix (error->message, "“colour” is not a training setting; the settings are data, "));
  for (guint k = 0; k < n; k++)
    g_assert_nonnull (strstr (error->message, t[k].name));
  g_clear_error (&error);
  const char *no_eq[] = { "epochs", NULL };
  g_assert_false (dv_train_settings_parse (&s, no_eq, &error));
  g_assert_nonnull (strstr (error->message, "epochs"));
  g_clear_error (&error);
  /* a value set in C is checked by validate with set's message */
  g_auto (DvTrainSettings) c = { 0 };
  dv_train_settings_copy (&c, &s);
  c.epochs = 0;
  g_assert_false (dv_train_settings_validate (&c, &error));
  g_assert_cmpstr (error->message, ==, "epochs=0: give a whole number from 1 to 100000");
  g_clear_error (&error);
  c.epochs = 1;
  c.divergence_factor = 0.5;
  g_assert_false (dv_train_settings_validate (&c, &error));
  g_assert_true (g_str_has_prefix (error->message, "divergence-factor=0.5: give 0 (off)"));
}

static void
test_names_and_text (void)
{
  g_auto (DvTrainSettings) s = { 0 };
  dv_train_settings_init_defaults (&s);
  /* the older names of project files and of the panel, '_' for '-' */
  const char *old[] = { "batch-size=8", "batch_size=16", "train_samples=64", "dataset=fashion-mnist",
                        "val_fraction=0.25",
                        "divergence_factor=50", "augment=no", "seed=7", "threads=1", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_train_settings_parse (&s, old, &error));
  g_assert_cmpint (s.batch, ==, 16);
  g_assert_cmpint (s.train_samples, ==, 64);
  g_assert_cmpstr (s.data, ==, "fashion-mnist");
  g_assert_cmpfloat (s.val_fraction, ==, 0.25);
  g_assert_cmpfloat (s.divergence_factor, ==, 50);
  g_assert_false (s.augment);
  g_assert_cmpint (s.seed, ==, 7);
  g_assert_cmpint (dv_train_settings_threads (&s), ==, 1);
  /* every value away from its default, printed, read back the same */
  const char *all[] = { "lr=0.0123", "weight-decay=0", "optimizer=adamw", "momentum=0.5", "nesterov=true",
                        "schedule=step", "t-max=7", "step-size=3", "gamma=0.5", "clip=0", "accumulate=2",
                        "lr-scaling=false", "group-factors=off", "activity-weight=1e-4", "activity-ord=2",
                        "activity-mode=signed", "activity-layers=V1,V2", "val-every=2", "save-every=5",
                        "save-top-k=1", "monitor=val_accuracy", "epochs=11", NULL };
  g_assert_true (dv_train_settings_parse (&s, all, &error));
  g_auto (GStrv) kv = dv_train_settings_to_strv (&s);
  g_auto (DvTrainSettings) t = { 0 };
  dv_train_settings_init_defaults (&t);
  g_assert_true (dv_train_settings_parse (&t, (const char *const *) kv, &error));
  g_auto (GStrv) kv2 = dv_train_settings_to_strv (&t);
  g_assert_true (g_strv_equal ((const char *const *) kv, (const char *const *) kv2));
  g_assert_true (g_strv_contains ((const char *const *) kv, "lr=0.0123"));
  g_assert_true (g_strv_contains ((const char *const *) kv, "activity-layers=V1,V2"));
  g_autofree char *desc = dv_train_settings_describe (&s);
  g_assert_nonnull (strstr (desc, "epochs=11"));
  g_assert_nonnull (strstr (desc, "batch=16"));
  g_assert_nonnull (strstr (desc, "data=fashion-mnist"));
  g_assert_null (strstr (desc, "schedule=cosine")); /* only what differs from the defaults */
  DvTrainConfig c;
  dv_train_settings_to_config (&s, &c);
  g_assert_cmpint (c.optim.kind, ==, DV_OPTIM_ADAMW);
  g_assert_cmpfloat (c.optim.momentum, !=, 0.5); /* momentum is SGD's */
  g_assert_cmpint (c.schedule, ==, DV_SCHEDULE_STEP);
  g_assert_true (c.monitor_max);
  g_assert_false (c.lr_scaling);
  g_assert_cmpint (c.activity.mode, ==, DV_ACTIVITY_SIGNED);
  g_assert_cmpstr (c.activity.layers[1], ==, "V2");
  g_assert_cmpint (c.batch_size, ==, 16);
  dv_train_config_clear (&c);
}

/* `dynvision train` refuses what the settings refuse, with their message. */
static void
test_cli (void)
{
  const char *cli = g_getenv ("DV_CLI");
  if (cli == NULL)
    {
      g_test_skip ("DV_CLI is not set");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const DvTrainSettingInfo *info = dv_train_settings_lookup (bad[i].key);
      if (info->type == DV_TRAIN_SETTING_BOOL)
        continue; /* a flag takes no value */
      g_auto (DvTrainSettings) s = { 0 };
      dv_train_settings_init_defaults (&s);
      g_autoptr (GError) error = NULL;
      g_assert_false (dv_train_settings_set (&s, info->name, bad[i].value, &error));
      g_autofree char *opt = g_strdup_printf ("--%s=%s", info->name, bad[i].value);
      const char *argv[] = { cli, "train", "CustomRCNN", opt, NULL };
      g_autofree char *out = NULL, *err = NULL;
      int status = 0;
      g_autoptr (GError) spawn_error = NULL;
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                                   &spawn_error));
      g_autofree char *expected = g_strdup_printf ("dynvision train: %s\n", error->message);
      if (g_strcmp0 (err, expected) != 0)
        g_error ("%s: the CLI said “%s”, the settings “%s”", opt, err, error->message);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
    }
  /* --help lists every setting with the table's help */
  const char *argv[] = { cli, "train", "--help", NULL };
  g_autofree char *out = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, NULL, NULL));
  guint n;
  const DvTrainSettingInfo *t = dv_train_settings_table (&n);
  for (guint k = 0; k < n; k++)
    {
      g_autofree char *help = dv_train_settings_help (&t[k]);
      g_autofree char *flag = t[k].type == DV_TRAIN_SETTING_BOOL && g_str_equal (t[k].default_text, "true")
                              ? g_strdup_printf ("--no-%s ", t[k].name) : g_strdup_printf ("--%s", t[k].name);
      if (strstr (out, flag) == NULL || strstr (out, help) == NULL)
        g_error ("--help lacks %s or “%s”", flag, help);
    }
}

#define DOC_BEGIN "<!-- training settings: generated from train/dv-train-settings.c, checked by tests/test-train-settings.c -->\n"
#define DOC_END "<!-- end of training settings -->"

static void
test_doc (void)
{
  const char *root = g_getenv ("DV_SOURCE_ROOT");
  if (root == NULL)
    {
      g_test_skip ("DV_SOURCE_ROOT is not set");
      return;
    }
  g_autofree char *path = g_build_filename (root, "doc", "training.md", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  char *a = strstr (text, DOC_BEGIN), *b = a ? strstr (a, DOC_END) : NULL;
  if (a == NULL || b == NULL)
    g_error ("%s has no generated table between “%s” and “%s”", path, DOC_BEGIN, DOC_END);
  a += strlen (DOC_BEGIN);
  g_autofree char *table = dv_train_settings_markdown ();
  g_autofree char *found = g_strndup (a, b - a);
  if (g_strcmp0 (found, table) == 0)
    return;
  if (g_getenv ("DV_WRITE_DOC") != NULL)
    {
      g_autofree char *head = g_strndup (text, a - text);
      g_autofree char *fresh = g_strconcat (head, table, b, NULL);
      g_assert_true (g_file_set_contents (path, fresh, -1, NULL));
      g_test_message ("rewrote the table in %s", path);
      return;
    }
  g_error ("the table in %s is not the settings' (run this test with DV_WRITE_DOC=1):\n%s", path, table);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-settings/defaults", test_defaults);
  g_test_add_func ("/train-settings/refusals", test_refusals);
  g_test_add_func ("/train-settings/names-and-text", test_names_and_text);
  g_test_add_func ("/train-settings/cli-same-messages", test_cli);
  g_test_add_func ("/train-settings/doc", test_doc);
  return g_test_run ();
}
