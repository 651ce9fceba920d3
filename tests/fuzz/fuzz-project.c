/* fuzz-project.c — libFuzzer target for workbench project files
 * (app/workbench/dv-project.c, which is GTK-free).
 *
 * The input is a .dvproj.json file, loaded as File → Open Project… does.  A
 * project that loads is saved again and must load back with the same
 * settings.
 */
#include "fuzz-common.h"
#include "dv-project.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (TRUE);
  return 0;
}

static void
assert_same_strv (char **a, char **b)
{
  g_assert ((a == NULL) == (b == NULL) || (a == NULL && b[0] == NULL)
            || (b == NULL && a[0] == NULL));
  if (a != NULL && b != NULL)
    g_assert (g_strv_equal ((const char *const *) a, (const char *const *) b));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *path = fuzz_write ("in.dvproj.json", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvProject) p = dv_project_load (path, &error);
  if (p == NULL)
    {
      fuzz_refused (error);
      return 0;
    }
  g_autofree char *out = g_build_filename (fuzz_scratch_dir, "out.dvproj.json", NULL);
  if (!dv_project_save (p, out, &error))
    g_error ("a loaded project cannot be saved: %s", error->message);
  g_autoptr (DvProject) q = dv_project_load (out, &error);
  if (q == NULL)
    g_error ("a project saved from a loaded one does not load: %s", error->message);
  g_assert_cmpstr (p->weights, ==, q->weights);
  g_assert_cmpuint (p->seed, ==, q->seed);
  g_assert_cmpstr (p->dataset, ==, q->dataset);
  g_assert_cmpint (p->sample, ==, q->sample);
  g_assert_cmpstr (p->presentation, ==, q->presentation);
  assert_same_strv (p->training, q->training);
  assert_same_strv (p->view, q->view);
  return 0;
}
