"""Per-part maximum-attention histograms (the paper's Fig. 2b and 4).

For each occurrence of a word at step t, m_k = max over valid frames of α_{t,i,k}·Γ_{t,i}
(the token table's ``peak_<part>`` columns); six histograms, one per part, 25 bins on [0, 1].
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..skeletons import PARTS, part_columns
from .labels import rows_of_stems, stem_words
from .parts import part_predictions, part_scores


def max_attention_histogram(table: pd.DataFrame, stems: Sequence[str], bins: int = 25) -> pd.DataFrame:
    """Counts per (stem, part, bin) → columns ``word, stem, part, bin_left, bin_right, count, total``
    (``word``: the stem's most frequent form; ``total``: the stem's number of occurrences, the
    paper's "Total # words")."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    words = stem_words(rows_of_stems(table, stems))
    frames = []
    for s in stems:
        sub = rows_of_stems(table, [s])
        for part in PARTS:
            counts, _ = np.histogram(np.clip(sub[f"peak_{part}"].to_numpy(dtype=float), 0, 1), bins=edges)
            frames.append(pd.DataFrame({"word": words.get(s, s), "stem": s, "part": part, "bin_left": edges[:-1],
                                        "bin_right": edges[1:], "count": counts, "total": len(sub)}))
    return pd.concat(frames, ignore_index=True)


def max_attention_summary(table: pd.DataFrame, stems: Sequence[str]) -> pd.DataFrame:
    """Per stem (and its word) and part: mean and median of m_k, and how often the part has the largest m_k."""
    words = stem_words(rows_of_stems(table, stems))
    rows = []
    for s in stems:
        sub = rows_of_stems(table, [s])
        peaks = sub[[f"peak_{p}" for p in PARTS]].to_numpy(dtype=float)
        top = peaks.argmax(1) if len(sub) else np.array([], dtype=int)
        for k, part in enumerate(PARTS):
            rows.append({"word": words.get(s, s), "stem": s, "part": part, "total": len(sub),
                         "mean_max_attention": peaks[:, k].mean() if len(sub) else np.nan,
                         "median_max_attention": np.median(peaks[:, k]) if len(sub) else np.nan,
                         "share_largest": float((top == k).mean()) if len(sub) else np.nan})
    return pd.DataFrame(rows)


def max_attention_truth(table: pd.DataFrame, stems: Sequence[str]) -> pd.DataFrame:
    """Per stem: how often the part with the largest m_k lies among the word's true parts (the
    token table's truth, annotated or kinematic), beside chance and the best constant part —
    body-part pointing scored on the histograms' maxima instead of the time-weighted attention.
    Empty without a truth."""
    sub = rows_of_stems(table, stems)
    peaks = sub.assign(**dict(zip(part_columns("attn_"), sub[part_columns("peak_")].to_numpy(dtype=float).T)))
    scores = part_scores(part_predictions(peaks))
    cols = ["name", "stem", "n", "pointing", "chance", "best_constant", "best_constant_part"]
    return scores.loc[scores["group"] == "word", cols].rename(columns={"name": "word"}).reset_index(drop=True)


__all__ = ["max_attention_histogram", "max_attention_summary", "max_attention_truth"]
