# bench/pair.sh — sourced by bench/vs-pytorch.sh and bench/matrix.sh: the build check and
# one engine-then-PyTorch pair of runs at the same shape and thread count, the unit both
# scripts alternate.  Not for running by itself; the scripts own the loops and the summaries.
#
# After `bench_init`: $build is the build directory (BUILD, default build; configured as a
# release build if it has no dynvision).  `bench_pair THREADS TORCH_SCRIPT` runs
#   OPENBLAS_NUM_THREADS=THREADS $build/app/dynvision bench --threads THREADS "${bench_engine_args[@]}"
#   /usr/bin/time -f %M /usr/bin/python3 TORCH_SCRIPT --threads THREADS "${bench_torch_args[@]}"
# and sets pair_engine and pair_torch (their JSON lines) and pair_torch_rss_kb (PyTorch's
# peak RSS from /usr/bin/time; the engine reports its own in its JSON line).

bench_init () {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  build=${BUILD:-build}
  [ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time) for PyTorch's peak RSS" >&2; exit 1; }
  [ -x "$build/app/dynvision" ] || { meson setup "$build" --buildtype=release > /dev/null && meson compile -C "$build" > /dev/null; }
  bench_engine_args=()
  bench_torch_args=()
}

bench_pair () {
  local threads=$1 script=$2 tmp
  tmp=$(mktemp -d)
  if ! OPENBLAS_NUM_THREADS=$threads "$build/app/dynvision" bench --threads "$threads" "${bench_engine_args[@]}" > "$tmp/e"; then
    rm -rf "$tmp"
    echo "dynvision bench --threads $threads ${bench_engine_args[*]} failed" >&2
    exit 1
  fi
  if ! /usr/bin/time -o "$tmp/rss" -f '%M' /usr/bin/python3 "$script" --threads "$threads" "${bench_torch_args[@]}" > "$tmp/t"; then
    rm -rf "$tmp"
    echo "$script --threads $threads ${bench_torch_args[*]} failed" >&2
    exit 1
  fi
  pair_engine=$(cat "$tmp/e")
  pair_torch=$(cat "$tmp/t")
  pair_torch_rss_kb=$(tail -1 "$tmp/rss")
  rm -rf "$tmp"
}
