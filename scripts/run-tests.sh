#!/usr/bin/env bash
# Builds DynVision Workbench and runs every test (the GUI tests under a
# virtual X display).  The golden cases are read from ../shared/golden/cases
# when that folder exists.  Ends with one line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test || exit 1
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized || exit 1
fi
meson compile -C build || exit 1
export GTK_A11Y=none NO_AT_BRIDGE=1
run=(meson test -C build --print-errorlogs --num-processes 2)
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  run=(xvfb-run -a -s "-screen 0 1600x1000x24" "${run[@]}")
fi
"${run[@]}"
status=$?
python3 - build/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get("stdout") or ""
    oks = len(re.findall(r"^ok \d+", out, re.M))
    bad = len(re.findall(r"^not ok \d+", out, re.M))
    skips = len(re.findall(r"^ok \d+ .*# SKIP", out, re.M))
    if oks + bad == 0:
        oks, bad = (1, 0) if t["result"] in ("OK", "EXPECTEDFAIL") else (0, 0 if t["result"] == "SKIP" else 1)
    if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and bad == 0:
        bad = 1
    passed += oks - skips
    skipped += skips
    failed += bad
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
