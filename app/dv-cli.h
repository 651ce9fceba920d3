/* dv-cli.h — the subcommands of the `dynvision` command-line tool. */
#pragma once

#include <glib.h>
#include "dv-model.h"

int dv_cli_fail (GError *error);
int dv_cli_run (int argc, char **argv);
int dv_cli_grad (int argc, char **argv);
int dv_cli_describe (int argc, char **argv);
int dv_cli_init (int argc, char **argv);
int dv_cli_bench (int argc, char **argv);
int dv_cli_train (int argc, char **argv);
int dv_cli_test (int argc, char **argv);
int dv_cli_plot (int argc, char **argv);
int dv_cli_export_dynvision (int argc, char **argv);

/* An option's accepted range, checked after g_option_context_parse (which
 * already refuses "3x" but takes "nan", "-1" or "1e9" for any number):
 * exactly one of i / i64 / d is set. */
typedef struct {
  const char *option; /* long name, without "--" */
  int *i;
  gint64 *i64;
  double *d;
  double min, max;
  int flags; /* DvValueFlags */
} DvCliRange;
#define DV_CLI_INT(name, ptr, lo, hi) { name, ptr, NULL, NULL, lo, hi, 0 }
#define DV_CLI_INT64(name, ptr, lo, hi) { name, NULL, ptr, NULL, lo, hi, 0 }
#define DV_CLI_DOUBLE(name, ptr, lo, hi, fl) { name, NULL, NULL, ptr, lo, hi, fl }
/* 0 when every value is in range; else prints "dynvision CMD: --opt=V: give …" and returns 2. */
int dv_cli_check_ranges (const char *command, const DvCliRange *ranges, int n);
/* An optional number given as text (NULL: keep *out); 0 or 2 as above. */
int dv_cli_parse_double (const char *command, const char *option, const char *text, double min, double max,
                         int flags, double *out);

/* The --model option of every command that takes a checkpoint. */
#define DV_CLI_MODEL_HELP "The model, where the checkpoint does not say: PRESET, DESC.json or a checkpoint of ours (the model exported from), then key=value words " \
                          "(also after the options)"
#define DV_CLI_MODEL_ENTRY(ptr) { "model", 0, 0, G_OPTION_ARG_STRING, ptr, DV_CLI_MODEL_HELP, "PRESET|DESC.json|CKPT" }
/* TRUE for "key=value" with an identifier key. */
gboolean dv_cli_is_kwarg (const char *word);
/* A checkpoint of any format with its model identified (from the file, its
 * path or --model SPEC plus the key=value `words`); how it was identified
 * goes to stderr unless the file's own metadata said it, and so do missing
 * and unexpected tensors.  NULL with *status 1 (failure, message printed)
 * or 2 (usage). */
DvModel *dv_cli_load_checkpoint (const char *command, const char *path, const char *model_spec, char **words,
                                 int n_words, int *status);
int dv_cli_convert (int argc, char **argv);
