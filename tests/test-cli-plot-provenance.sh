#!/bin/sh
# test-cli-plot-provenance.sh — the CLI's figures record what produced them (issue 14, item 5):
# `dynvision test` writes NAME_provenance.json (the checkpoint and the SHA-256 of its bytes, the
# model class, data set, seed, presentation, engine version); `dynvision plot responses` on its
# CSV carries that into FIG.json with the CSV's own SHA-256, names "÷ max" columns
# <layer>_normalised, and the summary's normalised column is <layer>_summed_response_normalised;
# `dynvision plot weights` records the checkpoint it drew.  Hashes are checked against sha256sum.
# usage: test-cli-plot-provenance.sh DYNVISION CHECKPOINT VERSION WORKDIR
set -u
cli=$1 ck=$2 version=$3 w=$4
command -v sha256sum > /dev/null || { echo "sha256sum not found: skipped"; exit 77; }
rm -rf "$w"
mkdir -p "$w"
cd "$w" || exit 1
cp "$ck" mine.safetensors
fail=0
check () { # FILE PATTERN WHAT — FILE holds a line matching PATTERN (fixed string)
  if grep -qF -- "$2" "$1"; then echo "ok: $3"; else echo "FAIL: $3: no '$2' in $1"; fail=1; fi
}
sha=$(sha256sum mine.safetensors | cut -d' ' -f1)
abs=$(pwd)/mine.safetensors
"$cli" test -x contrast -c mine.safetensors -n 8 --values 0.5,1 --seed 7 -o t > test.log 2>&1 \
  || { echo "FAIL: dynvision test"; cat test.log; exit 1; }
check test.log "contrast_provenance.json" "dynvision test says it wrote the provenance"
p=t/contrast_provenance.json
check "$p" "\"sha256\": \"$sha\"" "test: the checkpoint's SHA-256"
check "$p" "\"path\": \"$abs\"" "test: the checkpoint's path"
check "$p" "\"model_class\": \"CustomRCNN\"" "test: the model class"
check "$p" "\"dataset\": \"embedded\"" "test: the data set"
check "$p" "\"seed\": 7," "test: the seed"
check "$p" "\"engine_version\": \"$version\"" "test: the engine version"
check "$p" "\"loader\": \"StimulusContrast\"" "test: the presentation"
check t/contrast_summary.csv "V1_summed_response_normalised" "summary: the normalised column is named so"

"$cli" plot responses t/contrast_timecourse.csv --normalise -o r.png > plot.log 2>&1 \
  || { echo "FAIL: dynvision plot responses"; cat plot.log; exit 1; }
csv_sha=$(sha256sum t/contrast_timecourse.csv | cut -d' ' -f1)
check r.json "\"producer\": \"dynvision plot\"" "plot: the producer"
check r.json "\"sha256\": \"$csv_sha\"" "plot: the input CSV's SHA-256"
check r.json "\"sha256\": \"$sha\"" "plot: the checkpoint's SHA-256, from the test's record"
check r.json "\"model_class\": \"CustomRCNN\"" "plot: the model class, from the test's record"
check r.json "\"format\": \"png\"" "plot: the image's format"
check r.json "\"pixel_width\": 1800" "plot: the PNG's pixel width (900 pt at scale 2)"
head -1 r.csv > header
check header "V1_normalised" "plot: ÷ max columns are named <layer>_normalised"

"$cli" plot weights mine.safetensors -o wts.svg > weights.log 2>&1 \
  || { echo "FAIL: dynvision plot weights"; cat weights.log; exit 1; }
check wts.json "\"weights_origin\": \"checkpoint\"" "plot weights: the weights' origin"
check wts.json "\"sha256\": \"$sha\"" "plot weights: the checkpoint's SHA-256"
check wts.json "\"scale\": 1.0" "plot weights: an SVG's scale is 1"
exit $fail
