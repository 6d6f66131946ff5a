"""Scores used to choose the shipped models' training recipe (the ablation table of docs/pretrained.md).

    python maintenance/tuning_scores.py RUN_DIR/model.pt [MODEL …] [--seed 7] [--clips N]

Tuning uses a held-out synthetic corpus of its own (seed 7), so the seed the shipped models are
reported on (seed 2, docs/interpretability.md) is never used to choose anything. Prints, per model:
part pointing (one-part, several-part, all motion words), attention correctness, μ in segment on
clips with several actions, R@1 at IoU ≥ 0.5 and 0.7, mean tIoU, onset error and gate AUROC (forced decoding on the
references), and greedy BLEU@4 and CIDEr. The one-part pointing on clips with several actions is
also split by whether the word's window centre μ lies inside its action's segment: a miss with μ
outside is an error of *when* (the time-weighted α reads another action's frames), one with μ inside
an error of *where*.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from m2t_interpret import analysis as A
from m2t_interpret import reports

ROWS = ["pointing, one-part (lateral) words", "pointing, several-part words", "pointing, all motion words",
        "attention correctness, all motion words", "μ in segment, several actions", "R@1 IoU≥0.5", "R@1 IoU≥0.7", "mean tIoU",
        "onset error (s, lower is better)", *A.WINDOW_SPLIT_ROWS.values(),
        "gate AUROC, motion vs non-motion (ground truth)", "BLEU@4", "CIDEr"]


def scores(model: str, seed: int, clips: int | None) -> tuple[pd.Series, pd.DataFrame]:
    """One model's scores, and the chance level, best constant answer and count beside each (they
    depend on the clips and the reference captions only, except the window ones, which use the
    model's σ, and the split by μ, which uses its windows)."""
    forced = reports.open_analysis(model, data="synthetic", seed=seed, decode="forced", clips=clips, progress=False)
    table = pd.concat([A.interpretability_scores(forced.table), A.pointing_by_window(forced.table)]).set_index("score")
    s = table["value"].copy()
    greedy = reports.open_analysis(forced.model, data="synthetic", seed=seed, decode="greedy", clips=clips,
                                   progress=False)
    c = A.caption_metrics(greedy.capture)
    s["BLEU@4"], s["CIDEr"] = c["bleu4"], c["cider"]
    return s, table[["chance", "best_constant", "n"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="shipped names or checkpoint paths")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--clips", type=int, default=None)
    args = ap.parse_args()
    results = {(Path(m).parent.name if m.endswith(".pt") else m): scores(m, args.seed, args.clips)
               for m in args.models}
    table = pd.DataFrame({name: s for name, (s, _) in results.items()})
    first = next(iter(results))
    table = table.join(results[first][1].add_suffix(f" ({first})"))
    with pd.option_context("display.width", 250):
        print(table.loc[[r for r in ROWS if r in table.index]].round(3).to_string())


if __name__ == "__main__":
    main()
