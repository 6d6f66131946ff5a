"""Per-frame joint weights for drawing attention on a skeleton: α of the joint's part × Γ.

At model frame i the *current word* is one step s of the caption (the one given, or among the
candidate words the one whose window Γ_s(i) is largest); every joint j gets
w_{i,j} = α_{s,i,part(j)} · Γ_{s,i}, the value the paper's attention map (Fig. 7) shows for its
part at that frame. The word counts as *active* (highlighted in the caption) while Γ_s(i) ≥ ½,
the interval the rest of the toolkit reports as the word's time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import M2TError
from ..skeletons import get_skeleton, joint_part_indices
from .labels import stem_of

#: Γ at or above this marks the current word as active (the toolkit's Γ ≥ ½ interval).
ACTIVE_WINDOW = 0.5


@dataclass
class JointWeights:
    """What an animation of one clip draws, per model frame (T frames, J joints, S candidate words).

    - ``steps`` (S,) decoding steps of the candidate words, ``words`` their words, ``betas`` β̂
    - ``current`` (T,) index into ``steps`` of the current word at each frame
    - ``window`` (T,) Γ of the current word; ``active`` (T,) Γ ≥ ½
    - ``part_weights`` (T, 6) α·Γ of the current word per part, :data:`PARTS` order
    - ``weights`` (T, J) α·Γ of each joint's part; ``joint_part`` (J,) index into :data:`PARTS`
    - ``top_part`` (T,) index into :data:`PARTS` of the current word's most attended part
    """

    clip_id: str
    steps: np.ndarray
    words: list[str]
    betas: np.ndarray
    current: np.ndarray
    window: np.ndarray
    active: np.ndarray
    part_weights: np.ndarray
    weights: np.ndarray
    joint_part: np.ndarray
    top_part: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.weights.shape[0])

    def highlighted_joints(self, frame: int, share: float = 0.5) -> np.ndarray:
        """Joints whose weight at ``frame`` is at least ``share`` of the frame's largest."""
        w = self.weights[frame]
        top = float(w.max())
        return np.nonzero(w >= share * top)[0] if top > 0 else np.zeros(0, dtype=int)


def word_steps(table: pd.DataFrame, clip_id: str, word: str | None = None) -> pd.DataFrame:
    """The candidate rows of one clip's caption: those of ``word`` (any form: its stem), else its
    motion words, else every ordinary word. An absent word raises M2TError listing the caption."""
    rows = table[(table["clip_id"] == clip_id) & ~table["is_special"].astype(bool)]
    if rows.empty:
        raise M2TError(f"no word {word!r} in the caption of clip {clip_id}: the model's caption is empty"
                       if word is not None else f"clip {clip_id} has an empty caption: nothing to draw")
    if word is not None:
        w = str(word).strip().lower()
        hit = rows[(rows["word"].str.lower() == w) | (rows["word"].map(stem_of) == stem_of(w))]
        if hit.empty:
            raise M2TError(f"no word {word!r} in the caption of clip {clip_id}: "
                           f"\"{' '.join(rows['word'])}\" (pick one of its words)")
        return hit.iloc[:1]
    motion = rows[rows["motion"].eq(True)] if "motion" in rows else rows.iloc[:0]
    return motion if len(motion) else rows


def joint_weights(capture, table: pd.DataFrame, clip: int | str, word: str | None = None) -> JointWeights:
    """Joint weights of one clip of ``capture`` (see the module docstring); ``table`` is its token
    table (:func:`~m2t_interpret.analysis.token_table`), which says which words are motion words."""
    n = capture.clip_index(clip)
    capture.require_captured()
    clip_id = capture.clip_ids[n]
    rows = word_steps(table, clip_id, word)
    steps = rows["step"].to_numpy(int)
    t = int(capture.lengths[n])
    sk = get_skeleton(capture.skeleton)
    order = list(sk.part_order)
    alpha = np.asarray(capture.alpha[n][steps][:, :t])[..., order]  # (S, T, 6) part order
    window = np.asarray(capture.window[n][steps][:, :t], dtype=np.float64)  # (S, T)
    current = window.argmax(0)
    frames = np.arange(t)
    win = window[current, frames]
    part_w = alpha[current, frames] * win[:, None]
    jp = np.asarray(joint_part_indices(sk), dtype=int)
    return JointWeights(clip_id, steps, [str(w) for w in rows["word"]], rows["beta"].to_numpy(float), current,
                        win, win >= ACTIVE_WINDOW, part_w, part_w[:, jp], jp, alpha[current, frames].argmax(1))


__all__ = ["ACTIVE_WINDOW", "JointWeights", "joint_weights", "word_steps"]
