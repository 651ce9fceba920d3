#!/bin/sh
# train-customrcnn-embedded.sh — makes train/models/customrcnn-embedded.safetensors, the trained
# tutorial CustomRCNN the workbench opens when started without arguments.
#
# What this is for: the one reproducible command behind that file (doc/training.md, "Why the
# tutorial model learned poorly, and the recipe"): the workbench's CustomRCNN (32×32 RGB,
# 10 classes, dt 2, tau 10, delays 2 ms, skips), trained on 2560 embedded samples for 3 epochs,
# each shown after 8 blank steps for 10 steps (so that it is recognised from the state a blank
# screen leaves), with BatchNorm on fixed running statistics calibrated on stimulus steps
# (train = eval), the recurrence weights damped ×0.1 before the first epoch, lr 3e-3, then
# stored as F16 without the optimiser moments.
# What it is not for: the workbench's own preset (fresh weights stay --fresh / Full Reset).
#
# usage: train/models/train-customrcnn-embedded.sh [RUN_DIR]   (from the source tree, after
#        `meson compile -C build`; DV=path/to/dynvision and THREADS=N override; THREADS=2 is
#        what "about ten minutes" assumes)
set -eu
DV=${DV:-build/app/dynvision}
RUN=${1:-runs/customrcnn-embedded}
THREADS=${THREADS:-2}
OUT=${OUT:-train/models/customrcnn-embedded.safetensors}
OPENBLAS_NUM_THREADS=$THREADS "$DV" train CustomRCNN 'input_dims=[10,3,32,32]' n_classes=10 \
    dt=2 tau=10 t_feedforward=2 t_recurrence=2 use_skip_connections=true \
    --data embedded --train-samples 2560 --epochs 3 --lr 3e-3 --no-augment \
    -p loader=StimulusDuration -p n_timesteps=18 -p intro_duration=8 -p stimulus_duration=10 \
    --bn-mode running --bn-calibrate 8 --recurrence-scale 0.1 \
    --seed 0 --threads "$THREADS" -o "$RUN"
"$DV" convert "$RUN/last.safetensors" "$OUT" --f16 --weights-only
