#!/usr/bin/env bash
# Builds DynVision Workbench and launches it on the embedded default
# (a preset model and the built-in stimulus set; nothing to download).
# Extra arguments go to the workbench (e.g. a checkpoint to open).
# Uninstalled, it takes the settings schema compiled in build/app/workbench/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
[ -f build/build.ninja ] || meson setup build --buildtype=release
meson compile -C build
exec build/app/workbench/dynvision-workbench "$@"
