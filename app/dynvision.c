/* dynvision.c — the headless command-line tool: one binary, one subcommand
 * per job (run, grad, describe, init, bench, data, …).  No GTK. */
#include "dv-cli.h"
#include "dv-cli-data.h"
#include "dv-plugin.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "dv-config.h"

typedef struct {
  const char *name;
  int (*main) (int argc, char **argv);
  const char *help;
} Command;

static const Command commands[] = {
  { "run", dv_cli_run, N_("run a checkpoint over an input sequence, write logits and layer responses") },
  { "grad", dv_cli_grad, N_("loss and BPTT gradients of every parameter on a labelled sequence") },
  { "describe", dv_cli_describe, N_("print a preset's model description (JSON)") },
  { "init", dv_cli_init, N_("write an initialised checkpoint of a preset") },
  { "train", dv_cli_train, N_("train a model on a dataset (progress, checkpoints, metrics CSV)") },
  { "test", dv_cli_test, N_("run a DynVision test experiment (contrast, duration, noise, …) on a checkpoint") },
  { "plot", dv_cli_plot, N_("draw a figure (responses, accuracy, latency, training, weights) to PNG/SVG/PDF") },
  { "bench", dv_cli_bench, N_("time inference and a training step of a preset (the tutorial model by default)") },
  { "convert", dv_cli_convert, N_("write a checkpoint (.safetensors, .pt, .pth, .ckpt) as .safetensors or .pt") },
  { "data", dv_cli_data_main, N_("show or describe a dataset and its temporal presentation") },
  { "export-dynvision", dv_cli_export_dynvision, N_("write model.py + weights.pt that build and load the model in DynVision") },
};

static void
usage (void)
{
  g_printerr (_("usage: dynvision COMMAND [options]\n\ncommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_printerr ("  %-9s %s\n", commands[i].name, _(commands[i].help));
  g_printerr (_("\n`dynvision COMMAND --help` tells more.  `--plugin PATH.so` loads a model "
                "plugin.  `dynvision --version` prints the version.\n"));
}

/* `--plugin PATH` (anywhere, repeatable) loads a model plugin first. */
static gboolean
load_plugins (int *argc, char **argv)
{
  int out = 1;
  for (int i = 1; i < *argc; i++)
    {
      const char *path = NULL;
      if (strcmp (argv[i], "--plugin") == 0 && i + 1 < *argc)
        path = argv[++i];
      else if (g_str_has_prefix (argv[i], "--plugin="))
        path = argv[i] + strlen ("--plugin=");
      if (path == NULL)
        {
          argv[out++] = argv[i];
          continue;
        }
      GError *error = NULL;
      const DvPluginInfo *info = dv_plugin_load (path, &error);
      if (info == NULL)
        {
          g_printerr ("dynvision: %s\n", error->message);
          g_error_free (error);
          return FALSE;
        }
    }
  *argc = out;
  argv[out] = NULL;
  return TRUE;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (DV_GETTEXT_PACKAGE, DV_LOCALEDIR);
  bind_textdomain_codeset (DV_GETTEXT_PACKAGE, "UTF-8");
  textdomain (DV_GETTEXT_PACKAGE);
  if (argc == 2 && strcmp (argv[1], "--version") == 0)
    {
      g_print ("dynvision %s\n", DV_VERSION);
      return 0;
    }
  if (!load_plugins (&argc, argv))
    return 1;
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage ();
      return argc < 2 ? 2 : 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("dynvision %s", commands[i].name);
        g_set_prgname (prgname); /* copies it */
        return commands[i].main (argc - 1, argv + 1);
      }
  g_printerr (_("dynvision: unknown command '%s'\n\n"), argv[1]);
  usage ();
  return 2;
}
