"""How often the kinematic ground truth agrees with the synthetic corpus's annotated truth (the table of
docs/interpretability.md, "A kinematic ground truth for any motion").

    python maintenance/kinematic_truth_agreement.py [--seed 2] [--corpus DIR] [--lexicon project] [--actions]

Uses the held-out synthetic corpus of ``--seed`` (generated into the cache once, as ``--data
synthetic`` does) or the corpus folder ``--corpus``. Per annotated action (its verb in the clip's
first caption; "stands still" left out): is the kinematic part among the action's annotated parts —
with the lexicon's candidate parts and with all six (the clip's most-moving part) — beside chance
(|parts| / 6) and the best constant part; and the kinematic span against the annotated segment
(tIoU, onset error in seconds) beside the whole clip as the span. ``--actions`` adds one row per
action type.
"""

from __future__ import annotations

import argparse

import pandas as pd

from m2t_interpret import reports
from m2t_interpret.analysis.kinematic import DEFAULT_LEXICON, agreement_rows, agreement_summary

COLUMNS = {"n": "n", "placed": "placed", "part_hit": "part in annotated (lexicon candidates)",
           "clip_part_hit": "part in annotated (clip's most-moving)", "chance": "chance",
           "best_constant": "best constant", "tiou": "tIoU", "clip_tiou": "tIoU whole clip",
           "onset_error_s": "onset error s", "clip_onset_error_s": "onset error s whole clip"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=reports.HELDOUT_SEED)
    ap.add_argument("--corpus", default=None, help="a synthetic corpus folder (default: the held-out corpus of --seed)")
    ap.add_argument("--lexicon", default=DEFAULT_LEXICON)
    ap.add_argument("--actions", action="store_true", help="one row per action type too")
    args = ap.parse_args()
    root = args.corpus or reports.heldout_corpus(args.seed, progress=False, log=print)
    summary = agreement_summary(agreement_rows(root, lexicon=args.lexicon))
    if not args.actions:
        summary = summary[summary["group"] != "action"]
    table = summary.set_index("name")[list(COLUMNS)].rename(columns=COLUMNS)
    print(f"kinematic truth against the annotated truth of {root} (lexicon {args.lexicon})")
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table.round(3).to_markdown() if _has_tabulate() else table.round(3).to_string())


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
