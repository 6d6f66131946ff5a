"""Temporal localisation: does the Gaussian window of a motion word sit on the action's segment?

Per motion word placed on an action: μ (seconds), the interval μ ± σ·√(2 ln 2) (where Γ ≥ 1/2),
and the true segment [start, end) in seconds of the original clip. Scores: μ inside the segment,
temporal IoU of interval and segment, R@1 at IoU ≥ 0.3 / 0.5 / 0.7 (one interval per word, so
R@1 is the share of words whose IoU reaches the threshold) and the onset error |interval start −
segment start| in seconds. Reported for clips with one action and with several.

Chance: a window centred on the clip with the model's mean σ. Best constant: the one fixed
window (centre and width as fractions of the clip) with the highest mean IoU over the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..result import HALF_WIDTH

THRESHOLDS = (0.3, 0.5, 0.7)


def _seconds(frame, downsample: int, fps: float):
    return (np.asarray(frame, dtype=float) * downsample + downsample - 1) / fps


def interval_iou(a0, a1, b0, b1) -> np.ndarray:
    """IoU of intervals [a0, a1] and [b0, b1] (arrays, seconds)."""
    a0, a1, b0, b1 = (np.asarray(v, dtype=float) for v in (a0, a1, b0, b1))
    inter = np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0, None)
    union = (a1 - a0) + (b1 - b0) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def temporal_predictions(table: pd.DataFrame) -> pd.DataFrame:
    """One row per motion word placed on an action: predicted μ/interval, true segment, and the
    per-word scores ``mu_in_segment``, ``tiou``, ``onset_error_s``."""
    if "gt_aligned" not in table or not table["gt_aligned"].any():
        return pd.DataFrame(columns=["clip_id", "step", "word", "mu_s", "onset_s", "offset_s", "gt_start_s",
                                     "gt_end_s", "n_actions", "mu_in_segment", "tiou", "onset_error_s"])
    rows = table[table["gt_aligned"].astype(bool)].copy()
    rows["mu_in_segment"] = ((rows["mu_s"] >= rows["gt_start_s"]) & (rows["mu_s"] < rows["gt_end_s"])).astype(float)
    rows["tiou"] = interval_iou(rows["onset_s"], rows["offset_s"], rows["gt_start_s"], rows["gt_end_s"])
    rows["onset_error_s"] = (rows["onset_s"] - rows["gt_start_s"]).abs()
    keep = ["clip_id", "step", "word", "stem", "category", "action", "n_actions", "frames", "mu", "sigma", "mu_s",
            "onset_s", "offset_s", "gt_start_s", "gt_end_s", "mu_in_segment", "tiou", "onset_error_s"]
    return rows[[c for c in keep if c in rows]].reset_index(drop=True)


def _scores(mu_s, on, off, start, end) -> dict:
    iou = interval_iou(on, off, start, end)
    out = {"n": len(iou), "mu_in_segment": float(np.mean((mu_s >= start) & (mu_s < end))) if len(iou) else np.nan,
           "mean_tiou": float(iou.mean()) if len(iou) else np.nan}
    for t in THRESHOLDS:
        out[f"R@1 IoU≥{t}"] = float((iou >= t).mean()) if len(iou) else np.nan
    out["onset_error_s"] = float(np.abs(on - start).mean()) if len(iou) else np.nan
    return out


def _fixed_window(pred: pd.DataFrame, centre: float, half: np.ndarray, downsample: int, fps: float):
    last = pred["frames"].to_numpy(dtype=float) - 1
    mu = centre * last
    on, off = np.clip(mu - half, 0, last), np.clip(mu + half, 0, last)
    return _seconds(mu, downsample, fps), _seconds(on, downsample, fps), _seconds(off, downsample, fps)


def temporal_scores(pred: pd.DataFrame, downsample: int = 2, fps: float = 20.0) -> pd.DataFrame:
    """Scores per clip group (all, one action, several actions) for the model, chance and the
    best constant window; ``answer`` says which."""
    if pred.empty:
        return pd.DataFrame(columns=["clips", "answer", "n", "mu_in_segment", "mean_tiou",
                                     *[f"R@1 IoU≥{t}" for t in THRESHOLDS], "onset_error_s"])
    start, end = pred["gt_start_s"].to_numpy(float), pred["gt_end_s"].to_numpy(float)
    last = pred["frames"].to_numpy(dtype=float) - 1
    answers = {"model": (pred["mu_s"].to_numpy(float), pred["onset_s"].to_numpy(float),
                         pred["offset_s"].to_numpy(float))}
    mean_half = float(pred["sigma"].mean()) * HALF_WIDTH
    answers["chance: centred window, model's mean σ"] = _fixed_window(pred, 0.5, np.full(len(pred), mean_half),
                                                                      downsample, fps)
    best, best_iou = None, -1.0
    for centre in np.linspace(0.05, 0.95, 19):
        for width in np.linspace(0.05, 1.0, 20):
            cand = _fixed_window(pred, centre, width * last / 2, downsample, fps)
            iou = interval_iou(cand[1], cand[2], start, end).mean()
            if iou > best_iou + 1e-12:
                best, best_iou, label = cand, iou, f"best constant: centre {centre:.2f}, width {width:.2f} of the clip"
    answers[label] = best
    groups = {"all": np.ones(len(pred), bool), "one action": pred["n_actions"].to_numpy() == 1,
              "several actions": pred["n_actions"].to_numpy() > 1}
    rows = []
    for gname, mask in groups.items():
        if not mask.any():
            continue
        for aname, (mu_s, on, off) in answers.items():
            rows.append({"clips": gname, "answer": aname,
                         **_scores(mu_s[mask], on[mask], off[mask], start[mask], end[mask])})
    return pd.DataFrame(rows)


def window_curves(capture, clip: int | str, labels: pd.Series | None = None) -> pd.DataFrame:
    """Γ over the valid frames of one clip, per token → columns ``step, word, beta, motion,
    frame, time_s, window, mu_s, onset_s, offset_s`` (``motion`` from ``labels`` when given)."""
    n = capture.clip_index(clip)
    capture.require_captured()
    t = int(capture.lengths[n])
    frames = np.arange(t)
    time_s = capture.model_frame_to_seconds(frames)
    start, end = capture.intervals()
    rows = []
    for s in np.nonzero(capture.step_mask[n])[0]:
        rows.append(pd.DataFrame({
            "step": s, "word": capture.word(int(capture.word_ids()[n, s])), "beta": float(capture.beta[n, s]),
            "frame": frames, "time_s": time_s, "window": capture.window[n, s, :t],
            "mu_s": float(capture.model_frame_to_seconds(capture.mu[n, s])),
            "onset_s": float(capture.model_frame_to_seconds(start[n, s])),
            "offset_s": float(capture.model_frame_to_seconds(end[n, s]))}))
    out = pd.concat(rows, ignore_index=True)
    if labels is not None:
        out["motion"] = out["step"].map(labels).fillna(False).astype(bool)
    return out


def true_segments(gt: pd.DataFrame | None, clip_id: str) -> pd.DataFrame:
    """The actions of one clip (from the ground truth): ``action_idx, action, start_s, end_s``."""
    cols = ["action_idx", "action", "start_s", "end_s"]
    if gt is None:
        return pd.DataFrame(columns=cols)
    g = gt[(gt["clip_id"] == clip_id) & gt["is_motion"]]
    return g.drop_duplicates("action_idx")[cols].sort_values("action_idx").reset_index(drop=True)


def table_segments(table: pd.DataFrame, clip_id: str) -> pd.DataFrame:
    """The true segments of one clip read from a token table with a truth attached (annotated or
    kinematic): ``action_idx, action, start_s, end_s`` of the words placed on a truth, one row each."""
    cols = ["action_idx", "action", "start_s", "end_s"]
    if "gt_aligned" not in table:
        return pd.DataFrame(columns=cols)
    rows = table[(table["clip_id"] == clip_id) & table["gt_aligned"].astype(bool)]
    out = rows.rename(columns={"gt_start_s": "start_s", "gt_end_s": "end_s"}).drop_duplicates("action_idx")[cols]
    return out.sort_values("action_idx").reset_index(drop=True)


__all__ = ["THRESHOLDS", "interval_iou", "temporal_predictions", "temporal_scores", "window_curves",
           "true_segments", "table_segments"]
