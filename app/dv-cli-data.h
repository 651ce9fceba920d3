/* dv-cli-data.h — the `dynvision data` sub-command (show a sample's timeline, print info).
 *
 * For: the command-line tool's main, which passes its arguments from "data" on.
 * Not for: library use; everything it does is available from data/dv-data.h.
 */
#pragma once

/* argv[0] = "data", argv[1] = "show" | "info", then options.  Returns the exit status
 * (0 ok, 1 failure, 2 usage error); messages go to stdout/stderr. */
int dv_cli_data_main (int argc, char **argv);
