"""A few named clips of a split, decoded, with the joint positions an animation draws.

Animations and the explorer page show individual clips; decoding the whole split to show three of
them would waste minutes, so only the named ids are loaded and decoded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import M2TError
from ..result import CaptureResult

if TYPE_CHECKING:
    from ..model.captioner import Captioner


@dataclass
class ClipCapture:
    """The capture of some clips and, per clip, its joints at the model's frames.

    ``joints[n]`` is (T_n, J, 3) metres, y up, one row per model frame (the original frames the
    encoder keeps after downsampling), so row i lines up with α/Γ at model frame i.
    """

    capture: CaptureResult
    joints: list[np.ndarray]
    root: str
    split: str


def resolve_clip_ids(root: str | os.PathLike, split: str, clips: Sequence[str] | None, default: int = 1) -> list[str]:
    """Clip ids of ``split`` named by id or index (the first ``default`` clips when none are named).

    Raises M2TError naming the unknown clip and the split's id range."""
    from ..data.dataset import read_split_ids

    ids = list(dict.fromkeys(read_split_ids(root, split)))
    if not ids:
        raise M2TError(f"split {split!r} of {root} lists no clips")
    if not clips:
        return ids[:default]
    out = []
    for c in clips:
        c = str(c).strip()
        if c in ids:
            out.append(c)
        elif c.isdigit() and int(c) < len(ids):
            out.append(ids[int(c)])
        else:
            raise M2TError(f"no clip {c!r} in split {split} of {root} (ids {ids[0]} … {ids[-1]}, or an index "
                           f"0..{len(ids) - 1})")
    return list(dict.fromkeys(out))


def model_frame_joints(motion: np.ndarray, downsample: int, n_frames: int) -> np.ndarray:
    """(T_raw, J, 3) → (n_frames, J, 3): the original frames behind model frames 0..n_frames−1
    (frame d−1, 2d−1, …, the ones the encoder keeps)."""
    kept = np.asarray(motion)[downsample - 1::downsample]
    return np.ascontiguousarray(kept[:n_frames], dtype=np.float32)


def capture_clips(model: Captioner, root: str | os.PathLike, split: str, clip_ids: Sequence[str],
                  decode: str = "greedy", progress: bool = False) -> ClipCapture:
    """Decode only ``clip_ids`` of ``split`` of ``root`` (a HumanML3D-layout folder; millimetre
    clips are converted to metres) and keep their joints for drawing."""
    from ..data.dataset import load_split
    from .dataset import capture_split

    capture = capture_split(model, root, split, decode, ids=list(clip_ids), progress=progress)
    data = load_split(root, split, skeleton=model.skeleton, progress=False, ids=list(capture.clip_ids))
    by_id = {cid: s.motion for cid, s in zip(data.ids, data)}
    d = int(capture.downsample)
    joints = [model_frame_joints(by_id[c], d, int(capture.lengths[n])) for n, c in enumerate(capture.clip_ids)]
    return ClipCapture(capture, joints, str(root), split)


__all__ = ["ClipCapture", "capture_clips", "model_frame_joints", "resolve_clip_ids"]
