#!/usr/bin/env bash
# Train the five shipped captioners on the default synthetic corpus (seed 0), two at a time (one CPU
# thread each), and copy each kept model into the package. The default trains 36 epochs (chosen over
# 24 on validation BLEU-4, 0.561 against 0.539, and the real clips' parts, 7/8 against 6/8), and so do
# the four others, so that the models compare at equal training. All but synthetic-guided-paper, which
# stands for the paper's method, give the temporal attention the frame's place in its clip
# (--time-basis 4, docs/temporal.md): on the tuning seed 7 it raised the default's one-part pointing
# from 0.917 to 0.953 and μ in segment from 0.844 to 0.915. Logs go to runs/<name>.log.
#
#     bash maintenance/train_shipped_models.sh [NAME ...]      # default: all five, the default model first
#
# Then: evaluate each (figures/pretrained/<name>), `python maintenance/make_interpretability_figures.py`,
# `python maintenance/model_cards.py` and `python maintenance/real_clip_scores.py --markdown` (see
# figures/MANIFEST.md).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A ARGS=(
  [synthetic-guided]="--config synthetic --lambdas 2 1 --lambda-order 1 --time-basis 4 --epochs 36"
  [synthetic-unguided]="--config synthetic --lambdas 0 0 --time-basis 4 --epochs 36"
  [synthetic-guided-temporal]="--config synthetic --lambdas 2 1 --lambda-order 1 --segments auto --lambda-segment 2 --time-basis 4 --epochs 36"
  [synthetic-adapt]="--config synthetic --lambdas 0 1 --time-basis 4 --epochs 36"
  [synthetic-guided-paper]="--config synthetic-paper --lambdas 2 3 --epochs 36"
)
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(synthetic-guided synthetic-unguided synthetic-guided-temporal synthetic-adapt synthetic-guided-paper)
mkdir -p runs
train_one() {
  local name=$1
  # shellcheck disable=SC2086
  # a run of this script replaces its own earlier run of the model; the model is copied only when
  # its run ends well (a killed run leaves the shipped one)
  rm -rf "runs/$name"
  if m2t-interpret train ${ARGS[$name]} --out "runs/$name" --threads 1 --no-progress > "runs/$name.log" 2>&1; then
    cp "runs/$name/model.pt" "m2t_interpret/pretrained/$name.pt"
    echo "trained $name"
  else
    echo "FAILED $name (runs/$name.log)"
  fi
}
export -f train_one
# the corpus is generated once into the cache (a lock makes the second run wait for the first's)
for name in "${NAMES[@]}"; do
  echo "$name"
done | xargs -P 2 -I{} bash -c "$(declare -p ARGS); train_one {}"
