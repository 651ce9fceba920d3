/* dv-cli.h — the subcommands of the `dynvision` command-line tool. */
#pragma once

#include <glib.h>

int dv_cli_fail (GError *error);
int dv_cli_run (int argc, char **argv);
int dv_cli_grad (int argc, char **argv);
int dv_cli_describe (int argc, char **argv);
int dv_cli_init (int argc, char **argv);
int dv_cli_bench (int argc, char **argv);
int dv_cli_train (int argc, char **argv);
int dv_cli_test (int argc, char **argv);
int dv_cli_plot (int argc, char **argv);
