/* test-export-dynvision.c — the text of model.py (engine/dv-export-dynvision.c)
 * without Python: the preset case names DynVision's own class, its kwargs and
 * its workflow identifier; an edited model becomes a DyRCNN subclass with the
 * edited areas and connections; what DynVision cannot express is refused by
 * name and nothing is written.  tests/test-export-dynvision.sh runs the
 * result in DynVision itself. */
#include "dv-custom.h"
#include "dv-export-dynvision.h"

#include <glib/gstdio.h>
#include <string.h>

static DvModel *
build (DvModelDesc *d)
{
  g_autoptr (GError) error = NULL;
  DvModel *m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 1);
  return m;
}

static DvModelDesc *
preset (const char *cls, const char *const *kv, int n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) k = dv_kwargs_parse (kv, n, &error);
  g_assert_no_error (error);
  DvModelDesc *d = dv_preset_build (cls, k, &error);
  g_assert_no_error (error);
  return d;
}

static void
assert_has (const char *text, const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("model.py lacks «%s»:\n%s", needle, text);
}

static void
test_preset (void)
{
  const char *kv[] = { "input_dims=[4,3,32,32]", "n_classes=10", "tau=9", "rctype=self" };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv, 4);
  g_autoptr (DvModel) m = build (d);
  g_autoptr (GError) error = NULL;
  g_autofree char *py = dv_export_dynvision_model_py (m, &error);
  g_assert_no_error (error);
  assert_has (py, "from dynvision.models.dyrcnn import DyRCNNx4\n");
  assert_has (py, "MODEL_CLASS = DyRCNNx4\n");
  assert_has (py, "MODEL_ARGS = \"DyRCNNx4:tau=9+rctype=self\"\n");
  assert_has (py, "    \"recurrence_type\": \"self\",\n");
  assert_has (py, "    \"input_dims\": [4, 3, 32, 32],\n");
  assert_has (py, "def build_model(");
  assert_has (py, "train_model.py --config_path CONFIG --model_name DyRCNNx4");
  assert_has (py, "--recurrence_type self");
  g_assert_null (strstr (py, "class ExportedModel"));

  /* the engine's feedback="additive" is DynVision's "add" (its str_to_bool reads "additive" as off) */
  const char *kv8[] = { "input_dims=[4,3,32,32]", "n_classes=10", "feedback=add", "tfb=4" };
  g_autoptr (DvModelDesc) d8 = preset ("DyRCNNx8", kv8, 4);
  g_autoptr (DvModel) m8 = build (d8);
  g_autofree char *py8 = dv_export_dynvision_model_py (m8, &error);
  g_assert_no_error (error);
  assert_has (py8, "    \"feedback\": \"add\",\n");
  assert_has (py8, "MODEL_ARGS = \"DyRCNNx8:feedback=add+tfb=4\"\n");
}

/* V2's recurrence and V4's tau edited, a feedback IT → V2 added: no preset's kwargs say that */
static void
test_edited (void)
{
  const char *kv[] = { "input_dims=[4,3,32,32]", "n_classes=10" };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv, 2);
  d->layers[1].rec_type = DV_REC_SELF;
  d->layers[2].tau = 9;
  DvConnDesc *c = dv_model_desc_add_conn (d, DV_CONN_FEEDBACK, "addfeedback_V2", "IT", "V2");
  c->op = DV_OP_ADDFEEDBACK;
  c->t_ms = 4;
  c->integration = DV_INTEGRATE_MULTIPLICATIVE;
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_model_desc_validate (d, &error));
  g_autoptr (DvModel) m = build (d);
  g_autofree char *py = dv_export_dynvision_model_py (m, &error);
  g_assert_no_error (error);
  assert_has (py, "class ExportedModel(DyRCNN):");
  assert_has (py, "MODEL_CLASS = ExportedModel\n");
  assert_has (py, "MODEL_ARGS = None\n");
  assert_has (py, "self.layer_operations = [\"layer\", \"addext\", \"addskip\", \"addfeedback\", \"tstep\"");
  assert_has (py, "            recurrence_type=\"self\",\n");
  assert_has (py, "self.tau_V4 = nn.Parameter(torch.tensor(9.0), requires_grad=self.train_tau)");
  assert_has (py, "self.addfeedback_V2 = Feedback(source=self.IT, auto_adapt=True, delay_index=2, "
                  "integration_strategy=\"multiplicative\")");
  assert_has (py, "self.addskip_V4 = Skip(source=self.V1, auto_adapt=True, delay_index=1");
  assert_has (py, "    \"feedback\": True,\n");
}

static gboolean
double_forward (DvOpCall *call, const float *x, float *y)
{
  (void) call;
  (void) x;
  (void) y;
  return FALSE;
}

static void
assert_refused (DvModelDesc *d, const char *needle)
{
  g_autoptr (DvModel) m = build (d);
  g_autoptr (GError) error = NULL;
  g_autofree char *py = dv_export_dynvision_model_py (m, &error);
  g_assert_null (py);
  g_assert_nonnull (error);
  if (strstr (error->message, needle) == NULL)
    g_error ("refusal «%s» does not name «%s»", error->message, needle);
  g_clear_error (&error);
  /* and the folder is not created */
  g_autofree char *dir = g_build_filename (g_get_tmp_dir (), "dv-export-refused-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (dir));
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_assert_false (dv_export_dynvision (m, out, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

static void
test_refused (void)
{
  DvOpClass op = { .name = "halve", .forward = double_forward };
  g_assert_true (dv_op_register (&op, NULL));
  const char *kv[] = { "input_dims=[4,3,32,32]", "n_classes=10" };
  g_autoptr (GError) error = NULL;

  g_autoptr (DvModelDesc) a = preset ("DyRCNNx4", kv, 2);
  g_ptr_array_insert (a->operations, 6, g_strdup ("halve"));
  g_assert_true (dv_model_desc_validate (a, &error));
  assert_refused (a, "'halve'");

  /* the tutorial's model: a separate pre-convolution and BatchNorm skips */
  g_autoptr (DvModelDesc) b = preset ("CustomRCNN", kv, 2);
  assert_refused (b, "pre-convolution");

  /* a solver step DynVision's dispatch would not find */
  g_autoptr (DvModelDesc) c = preset ("DyRCNNx4", kv, 2);
  g_free (c->layers[2].tstep_name);
  c->layers[2].tstep_name = g_strdup ("V4_tstep");
  g_assert_true (dv_model_desc_validate (c, &error));
  assert_refused (c, "'tstep_V4'");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/export-dynvision/preset-class-with-kwargs", test_preset);
  g_test_add_func ("/export-dynvision/edited-model-subclass", test_edited);
  g_test_add_func ("/export-dynvision/refused-by-name", test_refused);
  return g_test_run ();
}
