#!/usr/bin/env bash
# Profiles the engine's steady state (after a warm-up run) with perf:
#   bench/profile.sh [build-dir] [cputime options, e.g. --only train --reps 3]
# Builds bench/cputime.c against <build-dir>/engine/libdvengine.a (default
# build), records with `perf record` switched on after the warm-up, and
# prints the top symbols.  The data stays in /tmp/dv-profile.data.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
bin=$(mktemp /tmp/dv-cputime.XXXXXX)
cc -O2 -o "$bin" bench/cputime.c -Iengine $(pkg-config --cflags glib-2.0 gio-2.0) \
  "$build/engine/libdvengine.a" $(pkg-config --libs glib-2.0 gio-2.0 gmodule-2.0) -lopenblas -lm
fifo=$(mktemp -u /tmp/dv-perf-ctl.XXXXXX)
mkfifo "$fifo"
PERF_CTL_FIFO=$fifo perf record -q -D -1 --control "fifo:$fifo" -o /tmp/dv-profile.data "$bin" "$@"
perf report -i /tmp/dv-profile.data --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep '%' | head -40
rm -f "$fifo" "$bin"
