"""Does attention agree with attribution? Per word, the model's own attention (method
``"attention"`` of an :class:`~m2t_interpret.attribution.result.AttributionResult`) against
each attribution method.

Per word and method: **Spearman** ρ between the six part attributions and the time-weighted part
attention; **top-1** agreement (the same part ranks first; attribution ranked by magnitude);
**Jensen–Shannon distance** (base 2, in [0, 1]) between the attribution's magnitude shares and the
attention shares; the attribution's **temporal centre of mass** (of |frame attribution|) against
μ, in seconds; and the **overlap** (tIoU) of its interval — the frames holding the central 76 % of
its mass, the share a Gaussian holds within its half-maximum width — with Γ's μ ± σ·√(2 ln 2).
Over words: Spearman between β̂ and the total attribution mass.

Each statistic is reported per word category with a bootstrap 95 % interval and its **chance**
level: the same statistic when each word's attribution is paired with the attention of another
word of the same group drawn at random (the agreement two unrelated explanations have).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import spearmanr

from ..attribution.table import ATTENTION, RESOLUTION
from ..result import HALF_WIDTH
from .statistics import GROUPS, bootstrap_interval, magnitude_shares, rowwise_spearman, word_group_masks
from .temporal import interval_iou

#: Which resolution each statistic needs.
PART_STATS = ("spearman", "top1", "js_distance")
FRAME_STATS = ("com_error_s", "interval_tiou")
#: Share of a Gaussian's mass within its half-maximum width (μ ± σ·√(2 ln 2)).
CENTRAL_MASS = 0.7610


def _resolution(result, method: str) -> tuple[str, ...]:
    return RESOLUTION.get(method, ("parts", "frames"))


def part_agreement(attr: np.ndarray, attn: np.ndarray) -> dict[str, np.ndarray]:
    """(M, 6) attributions and (M, 6) attention → per-word Spearman, top-1 and JS distance."""
    top = np.abs(attr).argmax(1) == attn.argmax(1)
    pairs = zip(magnitude_shares(attr), magnitude_shares(attn))
    js = np.array([jensenshannon(p, q, base=2) for p, q in pairs]) if len(attr) else np.zeros(0)
    return {"spearman": rowwise_spearman(attr, attn), "top1": top.astype(float), "js_distance": js}


def mass_interval(frames: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M, T) frame attributions → centre of mass of |a| and the central-mass interval, model frames."""
    a = np.abs(frames) * (np.arange(frames.shape[1])[None, :] < lengths[:, None])
    total = a.sum(1)
    t = np.arange(frames.shape[1])
    com = np.divide((a * t).sum(1), total, out=(lengths - 1) / 2.0, where=total > 0)
    cdf = np.divide(np.cumsum(a, 1), total[:, None], out=np.zeros_like(a), where=total[:, None] > 0)
    lo_q, hi_q = (1 - CENTRAL_MASS) / 2, 1 - (1 - CENTRAL_MASS) / 2
    start = (cdf < lo_q).sum(1).astype(float)
    end = np.minimum((cdf < hi_q).sum(1), lengths - 1).astype(float)
    return com, start, end


def word_agreement(result, table: pd.DataFrame) -> pd.DataFrame:
    """One row per (word, attribution method): the per-word statistics, with the word's
    ``group`` labels (``motion``, ``category``), β̂ and total attribution ``mass``.

    ``table`` is the forced capture's token table (ground truth attached); special tokens are left out."""
    words = result.words_table()
    key = table.set_index(["clip_id", "step"])
    cols = [c for c in ("beta", "mu", "sigma", "motion", "category", "frames", "is_special") if c in key]
    words = words.drop(columns=[c for c in ("is_special",) if c in cols]).join(
        key[cols], on=["clip_id", "step"])
    words = words[~words["is_special"].astype(bool)].reset_index(drop=True)
    n, s = words["clip"].to_numpy(), words["step"].to_numpy()
    attn_parts = result.parts(ATTENTION)[n, s]
    lengths = result.lengths[n]
    rows = []
    for m in result.methods:
        if m == ATTENTION:
            continue
        res = _resolution(result, m)
        out = words[["clip_id", "step", "word", "motion", "category", "beta", "mu", "sigma"]].copy()
        out.insert(3, "method", m)
        parts = result.parts(m)[n, s]
        out["mass"] = np.abs(parts).sum(1)
        if "parts" in res:
            for k, v in part_agreement(parts, attn_parts).items():
                out[k] = v
        if "frames" in res:
            com, start, end = mass_interval(result.frames(m)[n, s], lengths)
            mu, sigma = words["mu"].to_numpy(float), words["sigma"].to_numpy(float)
            last = lengths - 1
            g0, g1 = np.clip(mu - HALF_WIDTH * sigma, 0, last), np.clip(mu + HALF_WIDTH * sigma, 0, last)
            out["com_error_s"] = np.abs(com - mu) * result.downsample / result.fps
            out["interval_tiou"] = interval_iou(start, end, g0, g1)
        rows.append(out)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def agreement_summary(words: pd.DataFrame, result, seed: int = 0, shuffles: int = 20) -> pd.DataFrame:
    """``method, group, statistic, value, ci_low, ci_high, chance, n`` from :func:`word_agreement`.

    Chance pairs each word's attribution with the attention of a random other word of the group
    (mean over ``shuffles`` draws); for β̂ vs mass the chance correlation is 0."""
    rng = np.random.default_rng(seed)
    clip_of = {cid: i for i, cid in enumerate(result.clip_ids)}
    rows = []
    for m, sub in words.groupby("method", sort=False):
        sub = sub.reset_index(drop=True)
        n = sub["clip_id"].map(clip_of).to_numpy()
        s = sub["step"].to_numpy()
        attr_parts, attn_parts = result.parts(m)[n, s], result.parts(ATTENTION)[n, s]
        res = _resolution(result, m)
        for g, mask in word_group_masks(sub).items():
            if mask.sum() < 2:
                continue
            for stat in (PART_STATS if "parts" in res else ()) + (FRAME_STATS if "frames" in res else ()):
                v = sub.loc[mask, stat].to_numpy(float)
                lo, hi = bootstrap_interval(v, rng)
                chance = np.nan
                if stat in PART_STATS:
                    sel = np.nonzero(mask)[0]
                    draws = [np.nanmean(part_agreement(attr_parts[sel], attn_parts[rng.permutation(sel)])[stat])
                             for _ in range(shuffles)]
                    chance = float(np.mean(draws))
                else:
                    chance = _frame_chance(sub, result, n, s, np.nonzero(mask)[0], stat, rng, shuffles)
                rows.append({"method": m, "group": g, "statistic": stat, "value": float(np.nanmean(v)),
                             "ci_low": lo, "ci_high": hi, "chance": chance, "n": int(mask.sum())})
            b, mass = sub.loc[mask, "beta"].to_numpy(float), sub.loc[mask, "mass"].to_numpy(float)
            if np.isfinite(b).sum() > 2:
                rho = spearmanr(b, mass).statistic
                idx = rng.integers(0, len(b), (200, len(b)))
                boots = [spearmanr(b[i], mass[i]).statistic for i in idx]
                rows.append({"method": m, "group": g, "statistic": "beta_vs_mass_spearman", "value": float(rho),
                             "ci_low": float(np.nanpercentile(boots, 2.5)),
                             "ci_high": float(np.nanpercentile(boots, 97.5)), "chance": 0.0, "n": int(mask.sum())})
    return pd.DataFrame(rows, columns=["method", "group", "statistic", "value", "ci_low", "ci_high", "chance", "n"])


def _frame_chance(sub, result, n, s, sel, stat, rng, shuffles) -> float:
    """A frame statistic when each word's attribution is set against another word's window (its μ
    and σ as fractions of that word's clip, placed on this clip)."""
    lengths = result.lengths[n[sel]].astype(float)
    frames = result.frames(sub["method"].iloc[0])[n[sel], s[sel]]
    com, start, end = mass_interval(frames, result.lengths[n[sel]])
    mu = sub["mu"].to_numpy(float)[sel] / np.maximum(lengths - 1, 1)
    sigma = sub["sigma"].to_numpy(float)[sel] / np.maximum(lengths - 1, 1)
    vals = []
    for _ in range(shuffles):
        p = rng.permutation(len(sel))
        m_, s_ = mu[p] * (lengths - 1), sigma[p] * (lengths - 1)
        if stat == "com_error_s":
            vals.append(np.mean(np.abs(com - m_)) * result.downsample / result.fps)
        else:
            g0, g1 = np.clip(m_ - HALF_WIDTH * s_, 0, lengths - 1), np.clip(m_ + HALF_WIDTH * s_, 0, lengths - 1)
            vals.append(np.mean(interval_iou(start, end, g0, g1)))
    return float(np.mean(vals))


__all__ = ["GROUPS", "PART_STATS", "FRAME_STATS", "part_agreement", "mass_interval", "word_agreement",
           "agreement_summary"]
