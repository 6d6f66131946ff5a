#!/bin/bash
# The commands behind "Is attention an explanation?" in docs/interpretability.md: 100 clips of the
# held-out synthetic test split (seed 2), synthetic-guided vs synthetic-unguided. Each command's
# printed output goes to figures/attribution/<model>.<command>.txt, its tables and figures to
# figures/attribution/<model>/. Run from the repository root.
set -e
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
cli="python -m m2t_interpret.cli"
for m in synthetic-guided synthetic-unguided; do
  out=figures/attribution/$m
  $cli attribute --model $m --method ablation --clips 100 --out $out --format md,png --no-progress > $out.attribute-ablation.txt 2>&1
  $cli faithfulness --model $m --method ablation --clips 100 --out $out --format md,png --no-progress > $out.faithfulness-ablation.txt 2>&1
  $cli sanity --model $m --method saliency --clips 20 --out $out --format md,png --no-progress > $out.sanity.txt 2>&1
  $cli attribute --model $m --method ig --clips 100 --out $out-ig --format md,png --no-progress > $out.attribute-ig.txt 2>&1
done
