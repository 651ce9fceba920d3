#!/usr/bin/env bash
# Runs the test suite under sanitizers, in a build dir of its own.
#
#   scripts/sanitize.sh asan [TEST…]   ASan + UBSan + LSan (build-asan), every test
#   scripts/sanitize.sh tsan [TEST…]   ThreadSanitizer (build-tsan), the workbench
#                                      tests (the engine thread) and the plugin/train
#                                      tests that start threads
#
# TEST… (meson test names, e.g. `gradcheck workbench-edit`) narrows the run.
# DV_ASAN_EXTRA adds ASan options (e.g. fast_unwind_on_malloc=0 for full leak stacks).
# GUI tests run under xvfb-run when there is no display.  Every sanitizer
# writes its reports to build-*/sanitizer-logs/ instead of stderr, so a
# report is caught even in a child process whose exit status a test expects
# to be non-zero (the CLI tests); the script prints them and exits 1 when
# there is any, or when a test failed.  Suppressions (third-party libraries
# only, each justified) are in scripts/sanitizers/.  doc/sanitizers.md says more.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kind=${1:-}
shift || true
case "$kind" in
  asan)
    dir=build-asan
    setup=(-Db_sanitize=address,undefined -Db_lundef=false
           "-Dc_args=-fno-omit-frame-pointer -fno-sanitize-recover=undefined")
    default_tests=()              # all of them
    timeout_mult=4 ;;
  tsan)
    dir=build-tsan
    # -O1: TSan's shadow checks on every access are slow enough at -O2 already;
    # engine/dv-winograd-private.h drops target_clones under __SANITIZE_THREAD__
    # (its ifunc resolver would run before TSan is initialised).
    setup=(-Db_sanitize=thread -Db_lundef=false -Doptimization=1
           "-Dc_args=-fno-omit-frame-pointer")
    default_tests=(workbench workbench-edit workbench-train project plugin arch-edit)
    timeout_mult=6 ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [TEST…]" >&2
    exit 2 ;;
esac

bash scripts/deps.sh test || exit 1
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" --buildtype=debugoptimized "${setup[@]}" || exit 1
fi
meson compile -C "$dir" || exit 1

logs="$root/$dir/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
supp="$root/scripts/sanitizers"
common="halt_on_error=1:print_suppressions=0:log_path=$logs/report"
case "$kind" in
  asan)
    export ASAN_OPTIONS="$common:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1${DV_ASAN_EXTRA:+:$DV_ASAN_EXTRA}"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="$common:print_stacktrace=1:suppressions=$supp/ubsan.supp" ;;
  tsan)
    export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$supp/tsan.supp" ;;
esac
# GLib's slice allocator and GTK's accessibility bus only hide or add noise.
# GDK_DEBUG=gl-disable: the tests draw with cairo; without it GDK still probes
# EGL/GLX, and Mesa's driver, unloaded before exit, leaks in an unnamed module.
export G_SLICE=always-malloc G_DEBUG=gc-friendly GTK_A11Y=none NO_AT_BRIDGE=1 GDK_DEBUG=gl-disable

tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=("${default_tests[@]}")
run=(meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier "$timeout_mult"
     "${tests[@]}")
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  run=(xvfb-run -a -s "-screen 0 1600x1000x24" "${run[@]}")
fi
"${run[@]}"
status=$?

reports=("$logs"/report.*)
if [ -e "${reports[0]}" ]; then
  echo "== $kind: ${#reports[@]} sanitizer report(s):" >&2
  for r in "${reports[@]}"; do
    echo "---- $r" >&2
    cat "$r" >&2
  done
  status=1
fi
if [ $status -eq 0 ]; then
  echo "$kind: the suite is clean"
else
  echo "$kind: FAILED (see above; logs in $dir/meson-logs/testlog.txt and $logs)" >&2
fi
exit $status
