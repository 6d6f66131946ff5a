"""Interpretability analyses: each takes a capture or its token table and returns a tidy DataFrame.

Start from :func:`token_table` (the capture's token table with ground truth attached when the
data is a synthetic corpus), then call any analysis:

- :mod:`.density` — β̂ densities per word (Fig. 2a/3)
- :mod:`.histogram` — per-part maximum-attention histograms (Fig. 2b/4)
- :mod:`.parts` — body-part identification scored against the true parts
- :mod:`.temporal` — onset and segment localisation of the Gaussian window (Fig. 5)
- :mod:`.gate` — motion vs non-motion separation by β̂
- :mod:`.maps` — the spatio-temporal map (Fig. 7) and the fine-grained caption (Fig. 6)
- :mod:`.ablation` — captions with β̂ pinned to 1 (Table 3)
- :mod:`.scores` — every score in one table, and models side by side
- :mod:`.kinematic` — a ground truth read off the joints, for data without annotations
  (``token_table(capture, root, truth="kinematic")``)
"""

from __future__ import annotations

import os

import pandas as pd

from .ablation import caption_metrics, gate_ablation, gate_ablation_scores
from .density import beta_density, beta_summary
from .gate import auroc, best_threshold, gate_errors, gate_separation
from .groundtruth import alignment_summary, attach_ground_truth, load_ground_truth
from .histogram import max_attention_histogram, max_attention_summary, max_attention_truth
from .kinematic import TRUTHS, check_truth, kinematic_token_table
from .labels import DEFAULT_NON_MOTION, motion_labels, remember_stems, select_stems, stem_of
from .maps import attention_map, fine_grained, fine_grained_text
from .parts import part_confusion, part_predictions, part_scores
from .scores import WINDOW_SPLIT_ROWS, compare_table, interpretability_scores, pointing_by_window
from .temporal import (interval_iou, table_segments, temporal_predictions, temporal_scores, true_segments,
                       window_curves)


def token_table(capture, root: str | os.PathLike | None = None, gt: pd.DataFrame | None = None,
                truth: str = "annotated") -> pd.DataFrame:
    """The capture's token table with the ground truth of ``root`` (a synthetic corpus) attached;
    for other data the ground-truth columns are NaN. Adds ``motion`` (True/False/NaN).

    ``truth="kinematic"`` attaches the kinematic truth instead (the same columns, read off the
    joints of the clips in the dataset folder ``root``; see :mod:`.kinematic`): it works on any
    dataset."""
    if check_truth(truth) == "kinematic":
        return kinematic_token_table(capture, root)
    if gt is None:
        gt = load_ground_truth(root)
    if capture.vocab and capture.meta.get("vocab_stems"):
        remember_stems(capture.vocab, capture.meta["vocab_stems"])
    table = attach_ground_truth(capture.to_dataframe(), gt, forced=capture.mode == "forced")
    table["motion"] = motion_labels(table)
    return table


__all__ = [
    "token_table", "attach_ground_truth", "load_ground_truth", "alignment_summary", "motion_labels",
    "select_stems", "stem_of", "DEFAULT_NON_MOTION", "beta_density", "beta_summary", "max_attention_histogram",
    "max_attention_summary", "max_attention_truth", "part_predictions", "part_scores", "part_confusion",
    "temporal_predictions", "temporal_scores", "interval_iou", "window_curves", "true_segments", "table_segments",
    "TRUTHS", "check_truth", "kinematic_token_table", "gate_separation", "gate_errors",
    "auroc", "best_threshold", "attention_map", "fine_grained", "fine_grained_text", "gate_ablation",
    "gate_ablation_scores", "caption_metrics", "interpretability_scores", "compare_table",
    "pointing_by_window", "WINDOW_SPLIT_ROWS",
]
