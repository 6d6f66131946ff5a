"""β̂ densities per word stem (the paper's Fig. 2a and 3): Gaussian KDE, Scott bandwidth, on [0, 1].

Words are grouped by Porter stem (walks, walking → walk); every table names each group by its word
as people read it (its most frequent form in the captions, ``word``) and keeps the stem beside it."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .labels import rows_of_stems, stem_words


def beta_density(table: pd.DataFrame, stems: Sequence[str], points: int = 201) -> pd.DataFrame:
    """Kernel density of β̂ for each stem → columns ``word, stem, beta, density`` (``points`` per stem;
    ``word``: the stem's most frequent form).

    The grid is ``points`` even steps on [0, 1] plus ``points`` steps over the data's range ± 4
    bandwidths, so a density concentrated near 0 or 1 (as β̂ often is) is drawn at its true
    height rather than missed between grid points. A stem whose β̂ values are all equal (or that
    has one token) has no density; it is left out here and still counted by :func:`beta_summary`.
    """
    from scipy.stats import gaussian_kde  # scipy.stats takes ~0.6 s to import: only when needed

    words = stem_words(rows_of_stems(table, stems))
    frames = []
    for s in stems:
        values = rows_of_stems(table, [s])["beta"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) < 2 or np.ptp(values) < 1e-9:
            continue
        kde = gaussian_kde(values, bw_method="scott")
        bw = float(np.sqrt(kde.covariance[0, 0]))
        lo, hi = max(values.min() - 4 * bw, 0.0), min(values.max() + 4 * bw, 1.0)
        grid = np.unique(np.concatenate([np.linspace(0.0, 1.0, points), np.linspace(lo, hi, points)]))
        density = kde(grid)
        frames.append(pd.DataFrame({"word": words.get(s, s), "stem": s, "beta": grid, "density": density}))
    if not frames:
        return pd.DataFrame({"word": pd.Series(dtype=object), "stem": pd.Series(dtype=object),
                             "beta": pd.Series(dtype=float), "density": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def beta_summary(table: pd.DataFrame, stems: Sequence[str]) -> pd.DataFrame:
    """Per stem: its word (most frequent form), the stem, the words seen, count, mean, median,
    quartiles, min and max of β̂."""
    words = stem_words(rows_of_stems(table, stems))
    rows = []
    for s in stems:
        sub = rows_of_stems(table, [s])
        b = sub["beta"].to_numpy(dtype=float)
        q1, med, q3 = np.percentile(b, [25, 50, 75]) if len(b) else (np.nan,) * 3
        rows.append({"word": words.get(s, s), "stem": s, "words": ", ".join(sorted(set(sub["word"]))), "count": len(b),
                     "mean": b.mean() if len(b) else np.nan, "median": med, "q1": q1, "q3": q3,
                     "min": b.min() if len(b) else np.nan, "max": b.max() if len(b) else np.nan})
    return pd.DataFrame(rows)


__all__ = ["beta_density", "beta_summary"]
