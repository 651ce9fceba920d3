/* test-value.c — one meaning for a value (base/dv-value.h, engine/dv-kwargs.c) and its
 * users that need no display: presets' keyword arguments, presets registered at run time
 * (the plugin path), and the presentation's key=value settings.
 *
 * Every refused input is refused with a message naming the key and the value (and the
 * range or the alternatives); every accepted one changes what is computed. */
#include "dynvision.h"
#include "dv-value.h"
#include "dv-presentation.h"

#include <math.h>
#include <string.h>

static void
assert_mentions (const GError *error, const char *a, const char *b)
{
  g_assert_nonnull (error);
  if (strstr (error->message, a) == NULL || (b != NULL && strstr (error->message, b) == NULL))
    g_error ("“%s” does not mention “%s”%s%s", error->message, a, b ? " and " : "", b ? b : "");
}

/* ---- the parsers ------------------------------------------------------------------------ */

static void
test_double (void)
{
  static const struct { const char *text, *says; int code; } bad[] = {
    { "banana", "not a number", DV_VALUE_ERROR_SYNTAX }, { "3x", "not a number", DV_VALUE_ERROR_SYNTAX },
    { "", "not a number", DV_VALUE_ERROR_SYNTAX }, { "1e-3 4", "not a number", DV_VALUE_ERROR_SYNTAX },
    { "nan", "give a number > 0", DV_VALUE_ERROR_RANGE }, { "inf", "give a number > 0", DV_VALUE_ERROR_RANGE },
    { "-1", "> 0 and ≤ 10", DV_VALUE_ERROR_RANGE }, { "0", "> 0", DV_VALUE_ERROR_RANGE },
    { "11", "≤ 10", DV_VALUE_ERROR_RANGE }, { "1e999", "not a number", DV_VALUE_ERROR_SYNTAX },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      double x = 42;
      g_assert_false (dv_value_parse_double ("lr", bad[i].text, 0, 10, DV_VALUE_MIN_OPEN, &x, &error));
      g_assert_error (error, DV_VALUE_ERROR, bad[i].code);
      g_autofree char *kv = g_strdup_printf ("lr=%s", bad[i].text);
      assert_mentions (error, kv, bad[i].says);
      g_assert_cmpfloat (x, ==, 42); /* untouched */
    }
  double x = 0;
  g_assert_true (dv_value_parse_double ("lr", " 1e-3 ", 0, 10, DV_VALUE_MIN_OPEN, &x, NULL));
  g_assert_cmpfloat (x, ==, 1e-3);
  g_assert_true (dv_value_parse_double ("lr", "10", 0, 10, DV_VALUE_MIN_OPEN, &x, NULL));
  g_assert_cmpfloat (x, ==, 10);
  /* infinity only where asked for */
  g_assert_true (dv_value_parse_double ("x", "inf", 0, INFINITY, DV_VALUE_ALLOW_INF, &x, NULL));
  g_assert_true (isinf (x));
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_value_check_double ("--clip", NAN, 0, 1e12, 0, &error));
  assert_mentions (error, "--clip=nan", "from 0 to");
}

static void
test_int (void)
{
  static const char *const bad[] = { "3.0", "1e3", "3x", "banana", "", "-1", "10001", "99999999999999999999" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 x = 7;
      g_assert_false (dv_value_parse_int ("epochs", bad[i], 1, 10000, &x, &error));
      g_autofree char *kv = g_strdup_printf ("epochs=%s", bad[i]);
      assert_mentions (error, kv, "from 1 to 10000");
      g_assert_cmpint (x, ==, 7);
    }
  gint64 x;
  g_assert_true (dv_value_parse_int ("epochs", "12", 1, 10000, &x, NULL));
  g_assert_cmpint (x, ==, 12);
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_value_check_whole ("n_classes", 2.5, 1, 100, &x, &error));
  assert_mentions (error, "n_classes=2.5", "whole number");
}

static void
test_bool_enum (void)
{
  gboolean b = FALSE;
  g_assert_true (dv_value_parse_bool ("augment", "Yes", &b, NULL) && b);
  g_assert_true (dv_value_parse_bool ("augment", "off", &b, NULL) && !b);
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_value_parse_bool ("augment", "maybe", &b, &error));
  assert_mentions (error, "augment=maybe", "true or false");
  g_clear_error (&error);
  static const char *const names[] = { "cosine", "step", "constant", NULL };
  int i = -1;
  g_assert_true (dv_value_parse_enum ("schedule", "STEP", names, &i, NULL));
  g_assert_cmpint (i, ==, 1);
  g_assert_false (dv_value_parse_enum ("schedule", "linear", names, &i, &error));
  assert_mentions (error, "schedule=linear", "one of cosine, step or constant");
}

static void
test_list_duration (void)
{
  g_autofree gint64 *v = NULL;
  int n = 0;
  g_assert_true (dv_value_parse_int_list ("input_dims", "[20, 3, 32, 32]", 2, 4, 1, 1 << 20, &v, &n, NULL));
  g_assert_cmpint (n, ==, 4);
  g_assert_cmpint (v[0], ==, 20);
  g_assert_cmpint (v[3], ==, 32);
  static const char *const bad[] = { "[20,3,x,32]", "[20,3,0,32]", "[1]", "[1,2,3,4,5]", "20;3" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gint64 *w = NULL;
      g_assert_false (dv_value_parse_int_list ("input_dims", bad[i], 2, 4, 1, 1 << 20, &w, &n, &error));
      g_autofree char *kv = g_strdup_printf ("input_dims=%s", bad[i]);
      assert_mentions (error, kv, NULL);
    }
  double ms = 0;
  g_assert_true (dv_value_parse_duration ("tau", "20", 0, 1e6, DV_VALUE_MIN_OPEN, &ms, NULL));
  g_assert_cmpfloat (ms, ==, 20);
  g_assert_true (dv_value_parse_duration ("tau", "20ms", 0, 1e6, DV_VALUE_MIN_OPEN, &ms, NULL));
  g_assert_cmpfloat (ms, ==, 20);
  g_assert_true (dv_value_parse_duration ("tau", "0.5s", 0, 1e6, DV_VALUE_MIN_OPEN, &ms, NULL));
  g_assert_cmpfloat (ms, ==, 500);
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_value_parse_duration ("V1.tau", "-5", 0, 1e6, DV_VALUE_MIN_OPEN, &ms, &error));
  assert_mentions (error, "V1.tau=-5", "> 0");
  g_clear_error (&error);
  g_assert_false (dv_value_parse_duration ("V1.tau", "20 parsecs", 0, 1e6, DV_VALUE_MIN_OPEN, &ms, &error));
  assert_mentions (error, "V1.tau=20 parsecs", "not a number");
}

/* ---- presets' keyword arguments -------------------------------------------------------- */

static DvModelDesc *
build (const char *cls, const char *a, const char *b, GError **error)
{
  const char *kv[] = { "input_dims=[4,3,16,16]", "n_classes=3", a, b };
  int n = 2 + (a != NULL) + (b != NULL);
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kv, n, error);
  if (kwargs == NULL)
    return NULL;
  return dv_preset_build (cls, kwargs, error);
}

static void
test_kwargs_refused (void)
{
  static const struct { const char *a, *b, *key, *says; } bad[] = {
    { "tff=banana", NULL, "tff=banana", "not a number" },
    { "tff=3x", NULL, "tff=3x", "not a number" },
    { "t_recurrence=nan", NULL, "t_recurrence=nan", "give a number" },
    { "trc=inf", NULL, "trc=inf", "give a number" },
    { "tau=0", NULL, "tau=0", "> 0" },
    { "dt=-2", NULL, "dt=-2", "> 0" },
    { "n_classes=0", NULL, "n_classes=0", "from 1 to" },
    { "n_classes=2.5", NULL, "n_classes=2.5", "whole number" },
    { "n_classes=ten", NULL, "n_classes=ten", "whole number" },
    { "idle_timesteps=-1", NULL, "idle_timesteps=-1", "from 0 to" },
    { "idle=2147483647", NULL, "idle=2147483647", "from 0 to 100000" },
    { "tbptt=-3", NULL, "tbptt=-3", "from 0 to" },
    { "input_dims=[20,3,x,32]", NULL, "input_dims=[20,3,x,32]", NULL },
    { "input_dims=[20,3,0,32]", NULL, "input_dims", "from 1 to" },
    { "input_dims=[20,3,32,32,1]", NULL, "input_dims", "(T, C, H, W)" },
    { "input_dims=32", NULL, "input_dims=32", "(T, C, H, W)" },
    { "pattern=1021", NULL, "pattern=1021", "0s and 1s" },
    { "feedback=banana", NULL, "feedback=banana", "true or false" },
    { "bias=maybe", NULL, "bias=maybe", "true or false" },
    { "rctarget=sideways", NULL, "rctarget=sideways", "output, middle or input" },
    { "rctype=sideways", NULL, "sideways", "depthpointwise" },
    { "foo=3", NULL, "'foo'", "DyRCNNx4 has no parameter" },
    { "fixed_self_weight=2", NULL, "fixed_self_weight=2", "does not use" },
    { "skip_connections=false", NULL, "use_skip_connections", "does not use" },
    { "init_with_pretrained=true", NULL, "init_with_pretrained=true", "checkpoint" },
    { "tff=2", "t_feedforward=4", "t_feedforward", "give it once" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DvModelDesc) d = build ("DyRCNNx4", bad[i].a, bad[i].b, &error);
      if (d != NULL)
        g_error ("%s %s was accepted", bad[i].a, bad[i].b ? bad[i].b : "");
      assert_mentions (error, bad[i].key, bad[i].says);
    }
}

static void
test_kwargs_used (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d0 = build ("DyRCNNx4", NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d4 = build ("DyRCNNx4", "tff=4", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (d0->t_feedforward, ==, 0);
  g_assert_cmpfloat (d4->t_feedforward, ==, 4);
  g_assert_cmpfloat (d4->layers[0].t_feedforward, ==, 4);
  /* the described delay is the one that runs: 10 ms, longer than the recurrent delay, needs a
   * longer history ring once validated */
  g_autoptr (DvModelDesc) d10 = build ("DyRCNNx4", "tff=10", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dv_model_desc_validate (d0, &error));
  g_assert_true (dv_model_desc_validate (d10, &error));
  g_assert_cmpint (d10->n_hidden_states, ==, (int) (10 / d10->dt));
  g_assert_cmpint (d10->n_hidden_states, >, d0->n_hidden_states);
  /* the same value given as text means the same */
  g_autoptr (DvModelDesc) ds = build ("DyRCNNx4", "tff=\"4\"", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (ds->t_feedforward, ==, 4);
  g_autoptr (DvModelDesc) dr = build ("DyRCNNx4", "rctype=self", "idle=3", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr->layers[1].rec_type, ==, DV_REC_SELF);
  g_assert_cmpint (dr->idle_timesteps, ==, 3);
  g_assert_cmpint (d0->in_h, ==, 16);
  g_assert_cmpint (d0->n_classes, ==, 3);
  /* CorNetRT does use fixed_self_weight */
  g_autoptr (DvModelDesc) dc = build ("CorNetRT", "fixed_self_weight=0.5", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (dc->layers[0].rec_fixed_weight, ==, 0.5);
}

/* ---- presets registered at run time (what a plugin's init does) ------------------------- */

static char *seen; /* the kwargs the registered preset received, as JSON */

static DvModelDesc *
recording_preset (const DvJson *kwargs, GError **error)
{
  g_free (seen);
  seen = dv_json_to_string (kwargs, FALSE);
  const char *rc = dv_json_get_string (kwargs, "recurrence_type", "full");
  DvModelDesc *d = dv_preset_build ("DyRCNNx2", kwargs, error);
  if (d != NULL)
    g_assert_cmpint (d->layers[0].rec_type, ==, g_str_equal (rc, "self") ? DV_REC_SELF : DV_REC_FULL);
  return d;
}

static void
test_registered_preset (void)
{
  g_assert_true (dv_preset_register ("RecordingPreset", recording_preset, NULL));
  g_autoptr (GError) error = NULL;
  /* DynVision's alias reaches the preset by its canonical name, typed */
  g_autoptr (DvModelDesc) d = build ("RecordingPreset", "rctype=self", "tff=4", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (seen, "\"recurrence_type\":\"self\""));
  g_assert_nonnull (strstr (seen, "\"t_feedforward\":4"));
  g_assert_null (strstr (seen, "rctype"));
  g_assert_cmpint (d->layers[0].rec_type, ==, DV_REC_SELF);
  g_assert_cmpfloat (d->t_feedforward, ==, 4);
  /* unknown keys and bad values are refused before the preset sees them */
  g_clear_pointer (&seen, g_free);
  static const struct { const char *a, *key, *says; } bad[] = {
    { "foo=3", "'foo'", "RecordingPreset has no parameter" },
    { "tff=banana", "tff=banana", "not a number" },
    { "t_recurrence=nan", "t_recurrence=nan", "give a number" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (DvModelDesc) r = build ("RecordingPreset", bad[i].a, NULL, &err);
      g_assert_null (r);
      assert_mentions (err, bad[i].key, bad[i].says);
      g_assert_null (seen);
    }
}

/* ---- the presentation's key=value ------------------------------------------------------ */

static int
masked_steps (const char *const *settings)
{
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_DURATION);
  g_assert_true (dv_presentation_parse (&p, settings, NULL));
  g_assert_true (dv_presentation_validate (&p, NULL));
  int T = dv_presentation_get_timesteps (&p);
  g_autofree DvScheduleEntry *e = g_new0 (DvScheduleEntry, T);
  g_assert_true (dv_presentation_schedule (&p, 0, e, NULL));
  int n = 0;
  for (int t = 0; t < T; t++)
    n += e[t].label_masked;
  return n;
}

static void
test_presentation (void)
{
  /* dt is applied: the loss reaction time of 8 ms masks the labels of 4 steps of 2 ms after
   * the onset, of 8 steps of 1 ms */
  const char *dt2[] = { "loader=standard", "model_timesteps=20", "lossrt=8", "dt=2", NULL };
  const char *dt1[] = { "loader=standard", "model_timesteps=20", "lossrt=8", "dt=1", NULL };
  int m2 = masked_steps (dt2), m1 = masked_steps (dt1);
  g_assert_cmpint (m2, >, 0);
  g_assert_cmpint (m1, ==, 2 * m2);

  static const struct { const char *a, *key, *says; } bad[] = {
    { "dt=0", "dt=0", "> 0" }, { "dt=nan", "dt=nan", "> 0" }, { "ssnr=1.5", "ssnr=1.5", "from 0 to 1" },
    { "stim=3x", "stim=3x", "whole number" }, { "contrast=-1", "contrast=-1", "from 0" },
    { "foo=3", "'foo'", "unknown presentation parameter" }, { "spatialcorr=maybe", "maybe", "true or false" },
    { "noiseseed=-4", "noise_seed", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      DvPresentation p;
      dv_presentation_init (&p, DV_LOADER_DURATION);
      const char *one[] = { bad[i].a, NULL };
      g_autoptr (GError) error = NULL;
      g_assert_false (dv_presentation_parse (&p, one, &error));
      assert_mentions (error, bad[i].key, bad[i].says);
    }

  /* where the model decides a key, a different value is refused, the same one accepted */
  DvPresentation used;
  dv_presentation_init (&used, DV_LOADER_DURATION);
  used.dt = 2;
  const char *same[] = { "dt=2", "intro=1", NULL }, *other[] = { "intro=1", "dt=1", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_presentation_check_applied (&used, same, "the model", &error));
  g_assert_no_error (error);
  g_assert_false (dv_presentation_check_applied (&used, other, "the model", &error));
  assert_mentions (error, "dt=1", "the model decides dt (dt=2)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/value/double", test_double);
  g_test_add_func ("/value/int", test_int);
  g_test_add_func ("/value/bool-enum", test_bool_enum);
  g_test_add_func ("/value/list-duration", test_list_duration);
  g_test_add_func ("/value/kwargs/refused", test_kwargs_refused);
  g_test_add_func ("/value/kwargs/used", test_kwargs_used);
  g_test_add_func ("/value/kwargs/registered-preset", test_registered_preset);
  g_test_add_func ("/value/presentation", test_presentation);
  int status = g_test_run ();
  g_free (seen);
  return status;
}
