#!/bin/bash
# Commands behind the "Is attention an explanation?" section of docs/interpretability.md.
set -e
export M2T_INTERPRET_CACHE=/tmp/cache16 PYTHONPATH=/work/wt16 OMP_NUM_THREADS=2
for m in synthetic-guided synthetic-unguided; do
  out=figures/attribution/$m
  python -m m2t_interpret.cli attribute --model $m --method ablation --clips 100 --out $out --format csv,md,png --no-progress > $out.attribute-ablation.txt 2>&1
  python -m m2t_interpret.cli faithfulness --model $m --method ablation --clips 100 --out $out --format csv,md,png --no-progress > $out.faithfulness-ablation.txt 2>&1
  python -m m2t_interpret.cli sanity --model $m --method saliency --clips 20 --out $out --format csv,md,png --no-progress > $out.sanity.txt 2>&1
done
for m in synthetic-guided synthetic-unguided; do
  out=figures/attribution/$m-ig
  python -m m2t_interpret.cli attribute --model $m --method ig --clips 100 --out $out --format csv,md,png --no-progress > $out.attribute-ig.txt 2>&1
done
