#!/usr/bin/env bash
# Regenerate everything that depends on the shipped models, after maintenance/train_shipped_models.sh:
# the caption scores (figures/pretrained), the training logs beside them, the paper figures and the
# comparison (figures/paper, figures/interpretability), the model cards and docs/pretrained.md's
# tables, and the real-clip scores (figures/real_clips). One thread, as the committed files were made.
#
#     bash maintenance/after_training.sh [NAME ...]     # default: the five shipped models
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(synthetic-guided synthetic-guided-paper synthetic-adapt synthetic-unguided synthetic-guided-temporal)
for name in "${NAMES[@]}"; do
  # the training corpus's motion statistics (runs before they were recorded at train time lack them)
  python maintenance/motion_corpus.py "m2t_interpret/pretrained/$name.pt"
  m2t-interpret evaluate --model "$name" --data synthetic --synthetic-seed 1 --split test --no-meteor \
    --out "figures/pretrained/$name" --no-progress
  if [ -f "runs/$name/log.csv" ]; then
    cp "runs/$name/log.csv" "figures/pretrained/$name/training_log.csv"
    cp "runs/$name/curves.png" "figures/pretrained/$name/training_curves.png"
  fi
done
python maintenance/make_interpretability_figures.py
python maintenance/real_clip_scores.py --markdown --csv figures/real_clips/scores.csv --cards figures/real_clips \
  > figures/real_clips/scores.md
python maintenance/model_cards.py
