"""Gate separation: does β̂ tell motion words from non-motion words?

Labels come from the ground truth where it knows the word, else from the supervision lexicon
(:func:`~m2t_interpret.analysis.labels.motion_labels`). AUROC is the probability that a random
motion word gets a higher β̂ than a random non-motion word (ties count ½); chance is 0.5.
The best threshold maximises accuracy; the best constant answer labels every word with the
majority class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labels import motion_labels


def auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann–Whitney U / (n₊ n₋))."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(scores).rank(method="average").to_numpy()  # ties share their mean rank
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def best_threshold(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """The threshold τ (predict motion when β̂ ≥ τ) with the highest accuracy, and that accuracy."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    order = np.argsort(scores)
    s, p = scores[order], positive[order]
    # predicting motion for ranks ≥ j: correct = negatives below j + positives from j on
    neg_below = np.concatenate([[0], np.cumsum(~p)])
    pos_from = np.concatenate([np.cumsum(p[::-1])[::-1], [0]])
    correct = neg_below + pos_from
    cut = np.concatenate([[0], np.nonzero(np.diff(s) > 0)[0] + 1, [len(s)]])  # only between distinct values
    j = cut[np.argmax(correct[cut])]
    tau = float(s[j - 1] + s[j]) / 2 if 0 < j < len(s) else (float(s[0]) if j == 0 else float(s[-1]) + 1e-6)
    return tau, float(correct[j] / len(s))


def labelled_tokens(table: pd.DataFrame) -> pd.DataFrame:
    """Tokens with a motion/non-motion label: the table's rows plus a bool ``motion`` column."""
    labels = motion_labels(table)
    keep = labels.notna()
    out = table[keep].copy()
    out["motion"] = labels[keep].astype(bool).to_numpy()
    return out


def gate_separation(table: pd.DataFrame) -> pd.DataFrame:
    """One row: counts, AUROC, best threshold and its accuracy, beside chance and the best constant."""
    lab = labelled_tokens(table)
    b, m = lab["beta"].to_numpy(float), lab["motion"].to_numpy(bool)
    tau, acc = best_threshold(b, m) if len(lab) and m.any() and (~m).any() else (np.nan, np.nan)
    majority = max(m.mean(), 1 - m.mean()) if len(lab) else np.nan
    source = "ground truth" if "gt_motion" in table and table["gt_motion"].notna().any() else "lexicon rules"
    if "gt_source" in table and len(table):  # a truth that took its motion words from somewhere else says so
        source = str(table["gt_source"].iloc[0])
    return pd.DataFrame([{
        "n_motion": int(m.sum()), "n_non_motion": int((~m).sum()), "labels": source,
        "auroc": auroc(b, m), "chance_auroc": 0.5, "best_threshold": tau, "accuracy": acc,
        "best_constant_accuracy": majority,
        "mean_beta_motion": float(b[m].mean()) if m.any() else np.nan,
        "mean_beta_non_motion": float(b[~m].mean()) if (~m).any() else np.nan,
    }])


def gate_errors(table: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Per word: label, count, mean β̂ and the share of its tokens on the wrong side of the
    threshold (default: the best one), worst first — the words the gate gets wrong."""
    lab = labelled_tokens(table)
    if lab.empty:
        return pd.DataFrame(columns=["word", "motion", "count", "mean_beta", "wrong_share"])
    if threshold is None:
        threshold = float(gate_separation(table)["best_threshold"].iloc[0])
    wrong = np.where(lab["motion"], lab["beta"] < threshold, lab["beta"] >= threshold)
    g = lab.assign(wrong=wrong).groupby(["word", "motion"], as_index=False).agg(
        count=("beta", "size"), mean_beta=("beta", "mean"), wrong_share=("wrong", "mean"))
    return g.sort_values(["wrong_share", "count"], ascending=[False, False]).reset_index(drop=True)


__all__ = ["auroc", "best_threshold", "labelled_tokens", "gate_separation", "gate_errors"]
