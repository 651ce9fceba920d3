/* fuzz-desc.c — libFuzzer target for model descriptions: engine/dv-desc-json.c
 * (JSON → DvModelDesc), dv-desc.c (validation) and dv-model.c (building).
 *
 * The input is description JSON, as `dynvision run/init` read it from a file
 * or from a checkpoint's "dynvision.description" metadata.  A description
 * that validates is built into a model and its weights initialised; the
 * description is also printed and read back, and must validate again.
 * Sizes are bounded only by what the engine itself refuses: a description
 * that asks for more memory than libFuzzer's -malloc_limit_mb is reported as
 * a crash, because the engine should have refused it with a message.
 */
#include "fuzz-common.h"
#include "dv-desc.h"
#include "dv-json.h"
#include "dv-model.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) j = dv_json_parse ((const char *) data, (gssize) size, &error);
  if (j == NULL)
    {
      fuzz_refused (error);
      return 0;
    }
  g_autoptr (DvModelDesc) desc = dv_model_desc_from_json (j, &error);
  if (desc == NULL || !dv_model_desc_validate (desc, &error))
    {
      fuzz_refused (error);
      return 0;
    }
  g_autoptr (DvJson) printed = dv_model_desc_to_json (desc);
  g_autoptr (DvModelDesc) again = dv_model_desc_from_json (printed, &error);
  if (again == NULL || !dv_model_desc_validate (again, &error))
    g_error ("a valid description, printed and read back, is refused: %s", error->message);

  g_autoptr (DvModel) model = dv_model_new (desc, &error);
  if (model == NULL)
    {
      fuzz_refused (error);
      return 0;
    }
  dv_model_init_params (model, 1);
  return 0;
}
