"""Statistics shared by the attribution analyses (agreement, faithfulness, sanity, ground truth):
row-wise rank correlation, magnitude shares, word groups and bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

#: Word groups of every summary (motion labels and ground-truth categories from the token table).
GROUPS = ("all words", "motion", "non-motion", "one part", "several parts", "whole body")
#: Bootstrap resamples of a 95 % interval.
BOOTSTRAP = 1000


def rowwise_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman ρ between the rows of two (M, K) arrays, (M,); NaN for a row without variation."""
    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    den = np.sqrt((ra ** 2).sum(1) * (rb ** 2).sum(1))
    return np.divide((ra * rb).sum(1), den, out=np.full(len(a), np.nan), where=den > 0)


def magnitude_shares(v: np.ndarray) -> np.ndarray:
    """Each row's |values| as shares of the row's total (uniform for an all-zero row)."""
    v = np.abs(v)
    s = v.sum(1, keepdims=True)
    return np.divide(v, s, out=np.full_like(v, 1 / v.shape[1]), where=s > 0)


def word_group_masks(words: pd.DataFrame) -> dict[str, np.ndarray]:
    """A boolean mask per group of :data:`GROUPS` over the rows of a per-word table (its ``motion``
    and ``category`` columns)."""
    motion = words["motion"]
    masks = {"all words": np.ones(len(words), bool), "motion": motion.eq(True).to_numpy(),
             "non-motion": motion.eq(False).to_numpy()}
    for c in ("one part", "several parts", "whole body"):
        masks[c] = words["category"].eq(c).to_numpy()
    return masks


def bootstrap_interval(values: np.ndarray, rng: np.random.Generator, stat=np.nanmean) -> tuple[float, float]:
    """The bootstrap 95 % interval of ``stat`` over ``values`` (:data:`BOOTSTRAP` resamples); NaNs
    for fewer than two values."""
    if len(values) < 2:
        return np.nan, np.nan
    idx = rng.integers(0, len(values), (BOOTSTRAP, len(values)))
    boots = np.nanmean(values[idx], 1) if stat is np.nanmean else np.array([stat(values[i]) for i in idx])
    return float(np.nanpercentile(boots, 2.5)), float(np.nanpercentile(boots, 97.5))


__all__ = ["BOOTSTRAP", "GROUPS", "bootstrap_interval", "magnitude_shares", "rowwise_spearman", "word_group_masks"]
