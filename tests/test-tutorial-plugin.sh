#!/usr/bin/env bash
# test-tutorial-plugin.sh — doc/tutorial-custom-model.md, Step 9, as a new user runs it:
# in an empty folder, the tutorial's blocks become my_rcnn.c, the documented cc line builds
# the plugin, and the documented commands train it, run the response experiment, draw the
# figure and refuse the checkpoint without the plugin.  TAP output.
# Environment (examples/custom_models/meson.build): DV_SOURCE_ROOT, DV_CLI, DV_BUILD_ROOT,
# DV_WORKBENCH (unset without GTK).
set -uo pipefail
n=0
fail=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); fail=1; echo "not ok $n - $1"; [ -n "${2:-}" ] && sed 's/^/# /' "$2" | tail -20; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
DV="$DV_SOURCE_ROOT"
doc="$DV/doc/tutorial-custom-model.md"

# a command this test runs as the tutorial prints it (with '$DV' for the clone): fail when the
# document no longer shows it, so the two cannot drift apart
documented () {
  if grep -qF -- "$1" "$doc"; then ok "the tutorial shows: $1"; else not_ok "the tutorial no longer shows: $1"; fi
}

# Steps 1-8 as one program, built with the tutorial's cc line against the build tree's
# uninstalled pkg-config file (the README's command made it)
documented 'export PKG_CONFIG_PATH="$DV/build/meson-uninstalled"'
documented 'cc -O2 -o my_rcnn my_rcnn.c $(pkg-config --cflags --libs dynvision)'
mkdir prog && python3 "$DV/tests/tools/extract-snippets.py" "$doc" prog/my_rcnn.c
if [ -n "${DV_BUILD_ROOT:-}" ] && (cd prog && export PKG_CONFIG_PATH="$DV_BUILD_ROOT/meson-uninstalled" \
     && cc -O2 -o my_rcnn my_rcnn.c $(pkg-config --cflags --libs dynvision)) >prog.log 2>&1; then
  ok "the documented cc line builds Steps 1-8 into ./my_rcnn"
  if (cd prog && ./my_rcnn) >run.log 2>&1 && grep -q "onset at step" run.log \
     && grep -q "gradient check of the custom parts: passed" run.log; then
    ok "./my_rcnn prints the onsets and passes its gradient check"
  else
    not_ok "./my_rcnn prints the onsets and passes its gradient check" run.log
  fi
else
  not_ok "the documented cc line builds Steps 1-8 into ./my_rcnn" prog.log
fi

if python3 "$DV/tests/tools/extract-snippets.py" --plugin "$doc" my_rcnn.c \
   && grep -q dv_plugin_info my_rcnn.c; then
  ok "the tutorial's Steps 1-5 and plugin blocks make my_rcnn.c"
else
  not_ok "the tutorial's Steps 1-5 and plugin blocks make my_rcnn.c"
fi

# the cc line of the tutorial, verbatim but for $DV
documented 'cc -shared -fPIC -O2 -o libmy-rcnn.so my_rcnn.c -I"$DV/engine" $(pkg-config --cflags glib-2.0 gmodule-2.0)'
if cc -shared -fPIC -O2 -o libmy-rcnn.so my_rcnn.c -I"$DV/engine" $(pkg-config --cflags glib-2.0 gmodule-2.0) >cc.log 2>&1; then
  ok "the documented cc line builds libmy-rcnn.so"
else
  not_ok "the documented cc line builds libmy-rcnn.so" cc.log
  echo "1..$n"; exit 1
fi

# the same plugin against the installed API: `meson install` (headers and dynvision.pc only)
# into a scratch prefix, then `pkg-config --cflags dynvision`
if [ -n "${DV_BUILD_ROOT:-}" ] && DESTDIR="$dir/inst" meson install -C "$DV_BUILD_ROOT" --no-rebuild --tags devel \
     --quiet >install.log 2>&1; then
  pc=$(find "$dir/inst" -name dynvision.pc | head -1)
  prefix=$(sed -n 's/^prefix=//p' "$pc")
  mkdir -p pc && sed "s|^prefix=.*|prefix=$dir/inst$prefix|" "$pc" >pc/dynvision.pc
  if cc -shared -fPIC -O2 -o libmy-rcnn-installed.so my_rcnn.c $(PKG_CONFIG_PATH="$dir/pc" pkg-config --cflags dynvision) \
       >cc2.log 2>&1 && "$DV_CLI" --plugin ./libmy-rcnn-installed.so describe MyRCNN >describe.log 2>&1 \
       && grep -q '"model": "MyRCNN"' describe.log; then
    ok "built against the installed headers with pkg-config dynvision, the plugin loads"
  else
    not_ok "built against the installed headers with pkg-config dynvision, the plugin loads" cc2.log
    sed 's/^/# /' describe.log 2>/dev/null | tail -5
  fi
  # the program of Steps 1-8 against the installed libdynvision.a
  if [ -f "$(dirname "$pc")/../libdynvision.a" ] && (cd prog && PKG_CONFIG_PATH="$dir/pc" \
       cc -O2 -o my_rcnn_installed my_rcnn.c $(PKG_CONFIG_PATH="$dir/pc" pkg-config --cflags --libs dynvision) \
       && ./my_rcnn_installed) >prog2.log 2>&1 && grep -q "gradient check of the custom parts: passed" prog2.log; then
    ok "the program links against the installed libdynvision.a with pkg-config --libs dynvision"
  else
    not_ok "the program links against the installed libdynvision.a with pkg-config --libs dynvision" prog2.log
  fi
else
  not_ok "meson install --tags devel into a scratch prefix" install.log
fi

# the preset takes DynVision's aliases, selects the plugin's solver and refuses what it ignores
if "$DV_CLI" --plugin ./libmy-rcnn.so describe MyRCNN solver=myrk4 tff=4 >kw.log 2>&1 \
   && grep -q '"dynamics_solver": "myrk4"' kw.log && grep -q '"t_feedforward": 4.0' kw.log; then
  ok "MyRCNN solver=myrk4 tff=4: the aliases arrive and Step 8's solver is selected"
else
  not_ok "MyRCNN solver=myrk4 tff=4: the aliases arrive and Step 8's solver is selected" kw.log
fi
"$DV_CLI" --plugin ./libmy-rcnn.so describe MyRCNN feedback=true >kw2.log 2>&1
rc=$?
if [ $rc -eq 2 ] || { [ $rc -ne 0 ] && [ $rc -lt 128 ]; } && grep -q "MyRCNN does not use 'feedback'" kw2.log; then
  ok "MyRCNN feedback=true is refused: the preset never reads it"
else
  not_ok "MyRCNN feedback=true is refused: the preset never reads it (exit $rc)" kw2.log
fi
"$DV_CLI" --plugin ./libmy-rcnn.so describe MyRCNN bogus=1 >kw3.log 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "MyRCNN has no parameter 'bogus'" kw3.log; then
  ok "MyRCNN bogus=1 is refused as an unknown parameter"
else
  not_ok "MyRCNN bogus=1 is refused as an unknown parameter (exit $rc)" kw3.log
fi

# the tutorial's train command as printed (continuation lines joined), with fewer samples, one
# epoch and a short test evaluation: the recipe's settings themselves must be accepted as written
train_cmd=$(python3 - "$doc" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read().replace("\\\n", " ")
m = re.search(r"^dynvision --plugin \./libmy-rcnn\.so train MyRCNN .*$", text, re.M)
print(" ".join(m.group(0).split()[1:]) if m else "")
PY
)
if [ -z "$train_cmd" ]; then
  not_ok "the tutorial shows a 'dynvision --plugin ./libmy-rcnn.so train MyRCNN' command"
fi
short=$(echo "$train_cmd" | sed -e 's/--train-samples [0-9]*/--train-samples 96/' -e 's/--epochs [0-9]*/--epochs 1/')
# shellcheck disable=SC2086
if [ -n "$train_cmd" ] && "$DV_CLI" $short --batch 32 --test-samples 32 >train.log 2>&1 \
     && [ -s runs/my/last.safetensors ] && [ -s runs/my/metrics.csv ] && grep -q "bn-mode=running" train.log; then
  ok "dynvision --plugin trains MyRCNN with the tutorial's recipe and saves checkpoints"
else
  not_ok "dynvision --plugin trains MyRCNN with the tutorial's recipe and saves checkpoints ($short)" train.log
fi

if "$DV_CLI" --plugin ./libmy-rcnn.so test --experiment response --checkpoint runs/my/last.safetensors \
     -n 16 -o runs/my/response >test.log 2>&1 && [ -s runs/my/response/response_timecourse.csv ]; then
  ok "the response experiment runs on the plugin model's checkpoint"
else
  not_ok "the response experiment runs on the plugin model's checkpoint" test.log
fi

# every area of MyRCNN appears in the time course
if python3 - runs/my/response/response_timecourse.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
text = " ".join(" ".join(r.values()) for r in rows) + " ".join(rows[0].keys())
sys.exit(0 if rows and all(a in text for a in ("V1", "V2", "V3")) else 1)
PY
then ok "the time course has V1, V2 and V3"; else not_ok "the time course has V1, V2 and V3"; fi

if "$DV_CLI" plot responses runs/my/response/response_timecourse.csv -o responses.svg >plot.log 2>&1 \
   && python3 -c "import sys, xml.dom.minidom as m; m.parse('responses.svg')" && [ -s responses.csv ]; then
  ok "dynvision plot responses draws the SVG (and its CSV)"
else
  not_ok "dynvision plot responses draws the SVG (and its CSV)" plot.log
fi

if "$DV_CLI" plot training runs/my/metrics.csv -o training.svg >plot2.log 2>&1 && [ -s training.svg ]; then
  ok "dynvision plot training draws the curves"
else
  not_ok "dynvision plot training draws the curves" plot2.log
fi

# without the plugin: a clear refusal naming it, no crash
"$DV_CLI" test --experiment response --checkpoint runs/my/last.safetensors -n 16 -o x >noplug.log 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "plugin 'my-rcnn'" noplug.log; then
  ok "without --plugin the checkpoint is refused with the plugin's name"
else
  not_ok "without --plugin the checkpoint is refused with the plugin's name (exit $rc)" noplug.log
fi

# the workbench, as the tutorial opens it (needs a display: CI runs the suite under xvfb-run)
if [ -n "${DV_WORKBENCH:-}" ] && [ -n "${DISPLAY:-}" ]; then
  if "$DV_WORKBENCH" --plugin ./libmy-rcnn.so runs/my/last.safetensors --steps 4 --screenshot wb.png \
       >wb.log 2>&1 && [ -s wb.png ] && ! grep -q "reported" wb.log; then
    ok "dynvision-workbench --plugin opens the plugin model's checkpoint"
  else
    not_ok "dynvision-workbench --plugin opens the plugin model's checkpoint" wb.log
  fi
  "$DV_WORKBENCH" --plugin ./no-such-plugin.so --steps 1 --screenshot none.png >wbbad.log 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -q "no-such-plugin.so" wbbad.log && [ ! -e none.png ]; then
    ok "a plugin that does not load is refused by name (exit 2)"
  else
    not_ok "a plugin that does not load is refused by name (exit $rc)" wbbad.log
  fi
else
  echo "# no display or no workbench: its two checks skipped"
fi

echo "1..$n"
exit $fail
