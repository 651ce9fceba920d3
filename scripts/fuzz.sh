#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (doc/fuzzing.md), in build-fuzz/:
# clang, -Dfuzz=true, ASan + UBSan.
#
#   scripts/fuzz.sh build            set up build-fuzz (if needed) and build the targets
#   scripts/fuzz.sh replay [SECS]    build, run every input of tests/fuzz/corpus/TARGET/
#                                    once, then fuzz each target for SECS seconds (20;
#                                    0 = replay only).  Exit 1 if any input crashes.
#   scripts/fuzz.sh long [RUNS]      fuzz every target for RUNS executions (10^6), one after
#                                    the other, summary in build-fuzz/long-summary.txt
#                                    (the folder target in build-fuzz-ubsan: doc/fuzzing.md)
#   scripts/fuzz.sh run TARGET [libFuzzer options…]
#                                    fuzz one target, new inputs kept in build-fuzz/corpus/
#
# Targets: safetensors torch json desc idx cifar folder project.  Crashes are written to
# build-fuzz/artifacts/.  Needs clang (scripts/deps.sh fuzz installs it).
set -uo pipefail
cd "$(dirname "$0")/.."
targets=(safetensors torch json desc idx cifar folder project)
# Longest input each target is fuzzed with (a CIFAR record alone is 3073 bytes).
declare -A max_len=([safetensors]=4096 [torch]=8192 [json]=4096 [desc]=8192 [idx]=4096 [cifar]=16384
                    [folder]=8192 [project]=8192)
# More libFuzzer options per target.  gdk-pixbuf's BMP loader asks realloc for the
# header's 32-bit buffer size (up to 4 GB) and handles a refusal; that is not a
# crash, so the folder target allows single allocations up to 4.4 GB (RSS stays
# capped at 2 GB).
declare -A extra=([folder]="-malloc_limit_mb=4400")
# Targets whose brief fuzzing is known to crash in code a pending change fixes: a crash
# there is printed but does not fail the replay (the corpus replay still must pass).
# Empty: every target must run clean.
pending=()
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OPENBLAS_NUM_THREADS=1

build () {
  bash scripts/deps.sh fuzz || return 1
  if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dfuzz=true \
      -Db_sanitize=address,undefined -Db_lundef=false -Dworkbench=disabled || return 1
  fi
  meson compile -C build-fuzz "${targets[@]/#/fuzz-}" >build-fuzz/fuzz-compile.log 2>&1 \
    || { cat build-fuzz/fuzz-compile.log; return 1; }
  mkdir -p build-fuzz/artifacts
}

replay () {
  local secs=${1:-20} failed=() t
  for t in "${targets[@]}"; do
    local exe=build-fuzz/tests/fuzz/fuzz-$t corpus=tests/fuzz/corpus/$t
    local n
    n=$(find "$corpus" -type f | wc -l)
    if ! find "$corpus" -type f -print0 | sort -z \
         | xargs -0 "$exe" -artifact_prefix=build-fuzz/artifacts/$t- >build-fuzz/replay-$t.log 2>&1
    then
      echo "fuzz $t: an input of $corpus crashes (build-fuzz/replay-$t.log):" >&2
      grep -m 3 -E "ERROR|runtime error|Running:|CRITICAL|ERROR:" build-fuzz/replay-$t.log >&2
      failed+=("$t")
      continue
    fi
    if [ "$secs" -gt 0 ]; then
      local work=build-fuzz/corpus/$t
      mkdir -p "$work"
      # shellcheck disable=SC2086
      if ! nice -n 10 "$exe" "$work" "$corpus" -max_total_time="$secs" -max_len="${max_len[$t]}" \
             -timeout=10 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/$t- \
             ${extra[$t]:-} >build-fuzz/fuzz-$t.log 2>&1
      then
        if [[ " ${pending[*]} " == *" $t "* ]]; then
          echo "fuzz $t: a crash in ${secs} s of fuzzing, KNOWN and pending its fixes" \
               "(scripts/fuzz.sh: pending; build-fuzz/fuzz-$t.log):"
          grep -m 2 -E "ERROR|runtime error|CRITICAL|Test unit written" build-fuzz/fuzz-$t.log
          continue
        fi
        echo "fuzz $t: a crash in ${secs} s of fuzzing (build-fuzz/fuzz-$t.log):" >&2
        grep -m 3 -E "ERROR|runtime error|CRITICAL|Test unit written" build-fuzz/fuzz-$t.log >&2
        failed+=("$t")
        continue
      fi
      local runs
      runs=$(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' build-fuzz/fuzz-$t.log | grep -o '[0-9]*$')
      echo "fuzz $t: $n corpus inputs replayed, ${runs:-?} inputs fuzzed in ${secs} s, no crash"
    else
      echo "fuzz $t: $n corpus inputs replayed, no crash"
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes in ${failed[*]}" >&2
    return 1
  fi
}

# The folder target spends its time in gdk-pixbuf's decoders, which allocate what a header
# asks for (hundreds of MB) before any check of ours can run; ASan poisons each such
# allocation, 20 executions/s.  Its long run uses a UBSan-only build (600/s); its replay
# and brief fuzzing above stay under ASan.
long () {
  local runs=${1:-1000000} t exe extra start
  if [ ! -f build-fuzz-ubsan/build.ninja ]; then
    CC=clang meson setup build-fuzz-ubsan --buildtype=debugoptimized -Dfuzz=true \
      -Db_sanitize=undefined -Db_lundef=false -Dworkbench=disabled >/dev/null || return 1
  fi
  meson compile -C build-fuzz-ubsan fuzz-folder >/dev/null || return 1
  rm -f build-fuzz/long-summary.txt
  for t in "${targets[@]}"; do
    exe=build-fuzz/tests/fuzz/fuzz-$t
    [ "$t" = folder ] && exe=build-fuzz-ubsan/tests/fuzz/fuzz-$t
    mkdir -p build-fuzz/long-corpus/"$t"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$exe" build-fuzz/long-corpus/"$t" tests/fuzz/corpus/"$t" -runs="$runs" -max_len="${max_len[$t]}" \
      -timeout=10 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/long-"$t"- ${extra[$t]:-} \
      >build-fuzz/long-"$t".log 2>&1
    echo "$t: exit $? in $(( $(date +%s) - start )) s," \
         "$(grep -o 'number_of_executed_units: [0-9]*' build-fuzz/long-"$t".log)" | tee -a build-fuzz/long-summary.txt
  done
  ! grep -qv ': exit 0 ' build-fuzz/long-summary.txt
}

case "${1:-replay}" in
  build) build ;;
  replay) build && replay "${2:-20}" ;;
  long) build && long "${2:-1000000}" ;;
  run)
    t=${2:?usage: scripts/fuzz.sh run TARGET [libFuzzer options…]}
    shift 2
    build || exit 1
    mkdir -p build-fuzz/corpus/"$t"
    exec build-fuzz/tests/fuzz/fuzz-"$t" build-fuzz/corpus/"$t" tests/fuzz/corpus/"$t" \
      -max_len="${max_len[$t]}" -artifact_prefix=build-fuzz/artifacts/"$t"- ${extra[$t]:-} "$@" ;;
  *) sed -n "2,17p" "$0" >&2; exit 2 ;;
esac
