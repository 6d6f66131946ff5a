"""Attribution against the synthetic ground truth, scored exactly as attention is: the token table's
attention columns are replaced by a method's explanation and the same scorers run on it.

Parts: ``attn_<part>`` become the method's magnitude shares |a_p| / Σ|a| (pointing: the largest
lies among the parts the action moves; correctness: the share on them). Time: μ becomes the
centre of mass of |frame attribution| and the interval the frames holding its central 76 % (the
share of a Gaussian inside its half-maximum width), so μ-in-segment, tIoU and R@1 compare like
with like. For ``attention`` the table is the capture's own, so its rows equal ``compare``'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..attribution.table import ATTENTION, RESOLUTION
from ..skeletons import part_columns
from .agreement import mass_interval
from .scores import interpretability_scores
from .statistics import magnitude_shares

#: The rows of :func:`~m2t_interpret.analysis.scores.interpretability_scores` that are ground-truth
#: scores of an explanation (the gate and alignment rows are not).
PART_SCORES = ("pointing, one-part (lateral) words", "pointing, several-part words", "pointing, whole-body words",
               "pointing, all motion words", "attention correctness, all motion words")
TIME_SCORES = ("μ in segment, all", "mean tIoU", "R@1 IoU≥0.5", "onset error (s, lower is better)")


def explanation_table(table: pd.DataFrame, result, method: str) -> pd.DataFrame:
    """The token table with its attention columns replaced by ``method``'s explanation."""
    if method == ATTENTION:
        return table
    out = table.copy()
    clip_of = {cid: i for i, cid in enumerate(result.clip_ids)}
    n = out["clip_id"].map(clip_of).to_numpy()
    s = out["step"].to_numpy()
    if "parts" in RESOLUTION.get(method, ()):
        shares = magnitude_shares(result.parts(method)[n, s])
        for j, col in enumerate(part_columns("attn_")):
            out[col] = shares[:, j]
    if "frames" in RESOLUTION.get(method, ()):
        com, start, end = mass_interval(result.frames(method)[n, s], result.lengths[n])
        out["mu"] = com
        out["mu_s"] = result.model_frame_to_seconds(com)
        out["onset_s"] = result.model_frame_to_seconds(start)
        out["offset_s"] = result.model_frame_to_seconds(end)
        out["sigma"] = (end - start) / 2 / np.sqrt(2 * np.log(2))
    return out


def truth_scores(table: pd.DataFrame, result, methods=None) -> pd.DataFrame:
    """``score, method, value, chance, best_constant, n`` per explanation method: part pointing
    by category, attention-style correctness and temporal localisation."""
    rows = []
    for m in methods or result.methods:
        scores = interpretability_scores(explanation_table(table, result, m), result.downsample, result.fps)
        res = RESOLUTION.get(m, ("parts", "frames"))
        keep = (PART_SCORES if "parts" in res else ()) + (TIME_SCORES if "frames" in res else ())
        sub = scores[scores["score"].isin(keep)].copy()
        sub.insert(1, "method", m)
        rows.append(sub)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return out


def truth_wide(scores: pd.DataFrame) -> pd.DataFrame:
    """:func:`truth_scores` with one column per method (chance and best constant of the attention
    rows kept; the temporal chance uses the model's σ, so it is the attention's)."""
    if scores.empty:
        return scores
    wide = scores.pivot_table(index="score", columns="method", values="value", sort=False)
    levels = scores.drop_duplicates("score").set_index("score")[["chance", "best_constant", "n"]]
    out = wide.join(levels)
    out.columns.name = None
    return out.reset_index()


__all__ = ["PART_SCORES", "TIME_SCORES", "explanation_table", "truth_scores", "truth_wide"]
