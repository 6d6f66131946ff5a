"""Per-clip views: the spatio-temporal attention map (the paper's Fig. 7) and the fine-grained
caption (its Fig. 6: each motion word with its body part and time interval)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..skeletons import PARTS, part_label
from .groundtruth import true_part_mask
from .labels import motion_labels


def attention_map(capture, clip: int | str, steps=None) -> pd.DataFrame:
    """α_{t,i,k}·Γ_{t,i} over parts × valid frames for the tokens of one clip → long table
    ``step, word, beta, part, frame, time_s, value`` (parts named, in part order)."""
    n = capture.clip_index(clip)
    capture.require_captured()
    t = int(capture.lengths[n])
    steps = np.nonzero(capture.step_mask[n])[0] if steps is None else np.asarray(list(steps), dtype=int)
    order = [capture.part_names.index(p) for p in PARTS]
    frames = np.arange(t)
    time_s = capture.model_frame_to_seconds(frames)
    rows = []
    for s in steps:
        prod = capture.alpha[n, s, :t][:, order] * capture.window[n, s, :t, None]  # (t, 6) part order
        rows.append(pd.DataFrame({
            "step": int(s), "word": capture.word(int(capture.word_ids()[n, s])), "beta": float(capture.beta[n, s]),
            "part": np.repeat(np.asarray(PARTS, dtype=object), t), "frame": np.tile(frames, 6),
            "time_s": np.tile(time_s, 6), "value": prod.T.reshape(-1)}))
    cols = ["step", "word", "beta", "part", "frame", "time_s", "value"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def fine_grained(table: pd.DataFrame, clip_id: str) -> pd.DataFrame:
    """The motion words of one clip with their most attended part and interval:
    ``step, word, part, onset_s, offset_s, beta`` (+ the true action, parts and segment when known)."""
    rows = table[(table["clip_id"] == clip_id)]
    rows = rows[motion_labels(rows).eq(True)]
    out = pd.DataFrame({"step": rows["step"], "word": rows["word"], "part": rows["top_part"],
                        "onset_s": rows["onset_s"], "offset_s": rows["offset_s"], "beta": rows["beta"]})
    if "gt_aligned" in rows and rows["gt_aligned"].any():
        true = true_part_mask(rows)
        out["true_action"] = rows["action"].where(rows["gt_aligned"].astype(bool), "")
        out["true_parts"] = ["+".join(p for p, t in zip(PARTS, r) if t) for r in true]
        out["true_start_s"] = rows["gt_start_s"]
        out["true_end_s"] = rows["gt_end_s"]
    return out.reset_index(drop=True)


def fine_grained_text(fg: pd.DataFrame) -> list[str]:
    """"waves — right arm — 1.2–2.6 s" lines, one per motion word."""
    return [f"{r.word} — {part_label(r.part)} — {r.onset_s:.1f}–{r.offset_s:.1f} s (β̂ {r.beta:.2f})"
            for r in fg.itertuples()]


__all__ = ["attention_map", "fine_grained", "fine_grained_text"]
