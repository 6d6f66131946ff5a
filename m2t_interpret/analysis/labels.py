"""Which words are motion words, and picking words by stem.

With ground truth the label is the corpus's own (``gt_motion``); without it, the supervision
lexicon's rule decides (β* = 1 motion, β* = 0 not; other words stay unlabelled).
"""

from __future__ import annotations

import difflib
from typing import Sequence

import numpy as np
import pandas as pd

from ..data.supervision import stem, word_targets
from ..errors import M2TError

#: The paper's example non-motion words (its Fig. 2a), plus this corpus's connectors.
DEFAULT_NON_MOTION = ("a", "the", "an", "like", "his", "then", "and")


def lexicon_label(word: str) -> float:
    """1.0 motion, 0.0 non-motion, NaN unknown — from the supervision lexicon's β* target."""
    beta_star = word_targets(word)[0]
    return float(beta_star) if beta_star >= 0 else float("nan")


def motion_labels(table: pd.DataFrame) -> pd.Series:
    """Per row: True motion word, False non-motion word, NaN unknown (special tokens: NaN).

    Uses ``gt_motion`` where the ground truth knows the word, else the lexicon.
    """
    lex = {w: lexicon_label(w) for w in table["word"].unique()}
    labels = table["word"].map(lex).astype(float)
    if "gt_motion" in table:
        gt = pd.to_numeric(table["gt_motion"], errors="coerce")
        labels = gt.where(gt.notna(), labels)
    labels[table["is_special"].to_numpy()] = np.nan
    return labels.map({1.0: True, 0.0: False})


def select_stems(table: pd.DataFrame, words: Sequence[str]) -> list[str]:
    """Stems of ``words`` that occur in the table; a word that never occurs raises M2TError
    naming the closest words that do."""
    stems_present = set(table["stem"]) if "stem" in table else {stem(w) for w in table["word"]}
    present_words = sorted(set(table.loc[~table["is_special"], "word"]))
    out = []
    for w in words:
        s = stem(str(w).strip().lower())
        if s not in stems_present:
            close = difflib.get_close_matches(str(w).lower(), present_words, n=5, cutoff=0.5)
            hint = (f"closest words that do: {', '.join(close)}" if close else
                    f"words that do include: {', '.join(present_words[:8])}")
            raise M2TError(f"the word {w!r} never occurs in these captions; {hint}")
        if s not in out:
            out.append(s)
    return out


def rows_of_stems(table: pd.DataFrame, stems: Sequence[str]) -> pd.DataFrame:
    """Rows whose Porter stem is one of ``stems`` (a ``stem`` column is added when missing)."""
    if "stem" not in table:
        table = table.assign(stem=[stem(w) for w in table["word"]])
    return table[table["stem"].isin(list(stems)) & ~table["is_special"]]


__all__ = ["DEFAULT_NON_MOTION", "lexicon_label", "motion_labels", "select_stems", "rows_of_stems"]
