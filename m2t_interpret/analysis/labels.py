"""Which words are motion words, and picking words by stem.

With ground truth the label is the corpus's own (``gt_motion``); without it, the supervision
lexicon's rule decides (β* = 1 motion, β* = 0 not; other words stay unlabelled).
"""

from __future__ import annotations

import difflib
from typing import Sequence

import numpy as np
import pandas as pd

from ..data.lexicon import word_targets
from ..data.stemming import stem
from ..errors import M2TError

#: The paper's example non-motion words (its Fig. 2a), plus this corpus's connectors.
DEFAULT_NON_MOTION = ("a", "the", "an", "like", "his", "then", "and")

# Porter stems already known (e.g. a capture's vocabulary stems, stored with the capture):
# importing nltk's stemmer costs most of a second, which a cached analysis need not pay.
_STEMS: dict[str, str] = {}


_KNOWN_STEMS: set[str] = set()


def remember_stems(words: Sequence[str], stems: Sequence[str]) -> None:
    """Record known word → Porter stem pairs (see :func:`stem_of`)."""
    _STEMS.update(zip(words, stems))
    _KNOWN_STEMS.update(stems)


def stem_of(word: str) -> str:
    """The Porter stem of ``word`` (lowercased), from the known pairs or nltk.

    A word that is itself a known stem (``walk``, the stem of ``walks``) is its own stem, as
    Porter stems are fixed points of the stemmer for the words of these vocabularies.
    """
    w = str(word).lower()
    s = _STEMS.get(w)
    if s is None:
        s = _STEMS[w] = w if w in _KNOWN_STEMS else stem(w)
    return s


def lexicon_label(word: str) -> float:
    """1.0 motion, 0.0 non-motion, NaN unknown — from the supervision lexicon's β* target."""
    beta_star = word_targets(word)[0]
    return float(beta_star) if beta_star >= 0 else float("nan")


def motion_labels(table: pd.DataFrame) -> pd.Series:
    """Per row: True motion word, False non-motion word, NaN unknown (special tokens: NaN).

    Uses ``gt_motion`` where the ground truth knows the word, else the lexicon.
    """
    special = table["is_special"].to_numpy(dtype=bool)
    gt = (pd.to_numeric(table["gt_motion"], errors="coerce") if "gt_motion" in table
          else pd.Series(np.nan, index=table.index))
    need = gt.isna().to_numpy() & ~special  # the lexicon decides only what the ground truth does not
    lex = {w: lexicon_label(w) for w in table.loc[need, "word"].unique()}
    labels = gt.copy()
    labels[need] = table.loc[need, "word"].map(lex).astype(float)
    labels[special] = np.nan
    return labels.map({1.0: True, 0.0: False})


def closest_words(word: str, candidates: Sequence[str], n: int = 5) -> list[str]:
    """The ``n`` candidates spelt most like ``word`` (difflib's similarity ratio; ties: the closer
    length, then alphabetical) — never an empty answer while there are candidates."""
    w = str(word).strip().lower()

    def rank(c: str) -> tuple[float, int, str]:
        return -difflib.SequenceMatcher(None, w, c).ratio(), abs(len(c) - len(w)), c

    return sorted(set(candidates), key=rank)[:n]


def select_stems(table: pd.DataFrame, words: Sequence[str]) -> list[str]:
    """Stems of ``words`` that occur in the table; a word that never occurs raises M2TError
    naming the words that do and are spelt most like it."""
    stems_present = set(table["stem"]) if "stem" in table else {stem_of(w) for w in table["word"]}
    present_words = set(table.loc[~table["is_special"], "word"])
    out = []
    for w in words:
        s = stem_of(str(w).strip())
        if s not in stems_present:
            close = closest_words(w, present_words)
            hint = f"closest words that do: {', '.join(close)}" if close else "the captions have no words"
            raise M2TError(f"the word {w!r} never occurs in these captions; {hint}")
        if s not in out:
            out.append(s)
    return out


def stem_words(table: pd.DataFrame) -> dict[str, str]:
    """Each stem of the table's words → the word as people read it: its most frequent form in these
    rows (``rais`` → ``raises``; ties: the alphabetically first form). Special tokens are left out."""
    rows = table.loc[~table["is_special"].astype(bool)] if "is_special" in table else table
    stems = rows["stem"] if "stem" in rows else rows["word"].map(stem_of)
    counts = pd.DataFrame({"stem": stems.astype(str), "word": rows["word"].astype(str)}).value_counts()
    ranked = counts.rename("n").reset_index().sort_values(["stem", "n", "word"], ascending=[True, False, True])
    return dict(ranked.drop_duplicates("stem")[["stem", "word"]].itertuples(index=False, name=None))


def rows_of_stems(table: pd.DataFrame, stems: Sequence[str]) -> pd.DataFrame:
    """Rows whose Porter stem is one of ``stems`` (a ``stem`` column is added when missing)."""
    if "stem" not in table:
        table = table.assign(stem=[stem_of(w) for w in table["word"]])
    return table[table["stem"].isin(list(stems)) & ~table["is_special"]]


__all__ = ["DEFAULT_NON_MOTION", "stem_of", "remember_stems", "lexicon_label", "motion_labels", "select_stems",
           "rows_of_stems", "closest_words", "stem_words"]
