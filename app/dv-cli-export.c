/* dv-cli-export.c — `dynvision export-dynvision CKPT -o DIR`: hand a model to
 * DynVision (DIR/model.py + DIR/weights.pt, see engine/dv-export-dynvision.h). */
#include "dv-cli.h"

#include "dv-checkpoint.h"
#include "dv-export-dynvision.h"

int
dv_cli_export_dynvision (int argc, char **argv)
{
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Folder to write model.py and weights.pt into", "DIR" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("CKPT -o DIR — write DIR/model.py and DIR/weights.pt for DynVision");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  gboolean ok = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!ok)
    return dv_cli_fail (error);
  if (argc != 2 || output == NULL)
    {
      g_printerr ("dynvision export-dynvision: usage: dynvision export-dynvision CKPT.safetensors -o DIR\n");
      return 2;
    }
  DvLoadReport rep = { 0 };
  g_autoptr (DvModel) m = dv_checkpoint_load (argv[1], &rep, &error);
  dv_load_report_clear (&rep);
  if (m == NULL)
    return dv_cli_fail (error);
  if (!dv_export_dynvision (m, output, &error))
    return dv_cli_fail (error);
  g_printerr ("wrote %s/model.py and %s/weights.pt\n", output, output);
  return 0;
}
