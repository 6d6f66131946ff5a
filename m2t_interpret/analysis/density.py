"""β̂ densities per word stem (the paper's Fig. 2a and 3): Gaussian KDE, Scott bandwidth, on [0, 1]
(computed here: :func:`gaussian_kde_1d` equals scipy's ``gaussian_kde`` in one dimension).

Words are grouped by Porter stem (walks, walking → walk); every table names each group by its word
as people read it (its most frequent form in the captions, ``word``) and keeps the stem beside it."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .labels import rows_of_stems, stem_words


def scott_bandwidth(values: np.ndarray) -> float:
    """Scott's rule for a 1-D Gaussian kernel: the sample standard deviation (ddof 1) × n^(-1/5)."""
    return float(np.std(values, ddof=1) * len(values) ** (-1 / 5))


def gaussian_kde_1d(values: np.ndarray, grid: np.ndarray, bandwidth: float, block: int = 4096) -> np.ndarray:
    """The Gaussian kernel density of ``values`` (n,) at ``grid`` (m,): the mean of N(x; v, bandwidth²)
    over the values — scipy's ``gaussian_kde`` in one dimension, whose ``scipy.stats`` import alone
    (about 0.6 s) would be a quarter of a cached ``density`` run. Values are summed in blocks."""
    grid = np.asarray(grid, dtype=float)
    total = np.zeros(len(grid))
    for start in range(0, len(values), block):
        z = (grid[:, None] - values[None, start:start + block]) / bandwidth
        total += np.exp(-0.5 * z * z).sum(axis=1)
    return total / (len(values) * bandwidth * np.sqrt(2 * np.pi))


def beta_density(table: pd.DataFrame, stems: Sequence[str], points: int = 201) -> pd.DataFrame:
    """Kernel density of β̂ for each stem → columns ``word, stem, beta, density`` (``points`` per stem;
    ``word``: the stem's most frequent form).

    The grid is ``points`` even steps on [0, 1] plus ``points`` steps over the data's range ± 4
    bandwidths, so a density concentrated near 0 or 1 (as β̂ often is) is drawn at its true
    height rather than missed between grid points. A stem whose β̂ values are all equal (or that
    has one token) has no density; it is left out here and still counted by :func:`beta_summary`.
    """
    words = stem_words(rows_of_stems(table, stems))
    frames = []
    for s in stems:
        values = rows_of_stems(table, [s])["beta"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not _spread(values):
            continue
        bw = scott_bandwidth(values)
        lo, hi = max(values.min() - 4 * bw, 0.0), min(values.max() + 4 * bw, 1.0)
        grid = np.unique(np.concatenate([np.linspace(0.0, 1.0, points), np.linspace(lo, hi, points)]))
        density = gaussian_kde_1d(values, grid, bw)
        frames.append(pd.DataFrame({"word": words.get(s, s), "stem": s, "beta": grid, "density": density}))
    if not frames:
        return pd.DataFrame({"word": pd.Series(dtype=object), "stem": pd.Series(dtype=object),
                             "beta": pd.Series(dtype=float), "density": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def _spread(values: np.ndarray) -> bool:
    """Whether ``values`` have a density: two or more finite values, not all equal."""
    values = values[np.isfinite(values)]
    return len(values) >= 2 and np.ptp(values) >= 1e-9


def beta_summary(table: pd.DataFrame, stems: Sequence[str]) -> pd.DataFrame:
    """Per stem: its word (most frequent form), the stem, the words seen, count, mean, median,
    quartiles, min and max of β̂, and the bandwidth of its kernel density (NaN: no density)."""
    words = stem_words(rows_of_stems(table, stems))
    rows = []
    for s in stems:
        sub = rows_of_stems(table, [s])
        b = sub["beta"].to_numpy(dtype=float)
        q1, med, q3 = np.percentile(b, [25, 50, 75]) if len(b) else (np.nan,) * 3
        finite = b[np.isfinite(b)]
        rows.append({"word": words.get(s, s), "stem": s, "words": ", ".join(sorted(set(sub["word"]))), "count": len(b),
                     "mean": b.mean() if len(b) else np.nan, "median": med, "q1": q1, "q3": q3,
                     "min": b.min() if len(b) else np.nan, "max": b.max() if len(b) else np.nan,
                     "bandwidth": scott_bandwidth(finite) if _spread(finite) else np.nan})
    return pd.DataFrame(rows)


__all__ = ["beta_density", "beta_summary"]
