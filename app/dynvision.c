/* dynvision.c — the headless command-line tool: one binary, one subcommand
 * per job (run, grad, describe, init, bench, data, …).  No GTK. */
#include "dv-cli.h"
#include "dv-cli-data.h"

#include <locale.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*main) (int argc, char **argv);
  const char *help;
} Command;

static const Command commands[] = {
  { "run", dv_cli_run, "run a checkpoint over an input sequence, write logits and layer responses" },
  { "grad", dv_cli_grad, "loss and BPTT gradients of every parameter on a labelled sequence" },
  { "describe", dv_cli_describe, "print a preset's model description (JSON)" },
  { "init", dv_cli_init, "write an initialised checkpoint of a preset" },
  { "train", dv_cli_train, "train a model on a dataset (progress, checkpoints, metrics CSV)" },
  { "bench", dv_cli_bench, "time inference and a training step of the tutorial model" },
  { "data", dv_cli_data_main, "show or describe a dataset and its temporal presentation" },
};

static void
usage (void)
{
  g_printerr ("usage: dynvision COMMAND [options]\n\ncommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_printerr ("  %-9s %s\n", commands[i].name, commands[i].help);
  g_printerr ("\n`dynvision COMMAND --help` tells more.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage ();
      return argc < 2 ? 2 : 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_set_prgname (g_strdup_printf ("dynvision %s", commands[i].name));
        return commands[i].main (argc - 1, argv + 1);
      }
  g_printerr ("dynvision: unknown command '%s'\n\n", argv[1]);
  usage ();
  return 2;
}
