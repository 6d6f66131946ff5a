"""A few named clips of a split, decoded, with the joint positions an animation draws.

Animations and the explorer page show individual clips; decoding the whole split to show three of
them would waste minutes, so only the named ids are loaded and decoded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..data.dataset import load_split, read_split_ids
from ..data.preprocessing import read_motion_file
from ..errors import M2TError
from ..result import CaptureResult
from .dataset import capture_split, parse_decode

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
    #: The model's inputs (N, T, F) and lengths (N,) of clips read from files, which have no dataset to
    #: read them again from (None for a dataset's clips).
    inputs: tuple | None = None


def resolve_clip_ids(root: str | os.PathLike, split: str, clips: Sequence[str] | None, default: int = 1) -> list[str]:
    """Clip ids of ``split`` named by id or index (the first ``default`` clips when none are named).

    Raises M2TError naming the unknown clip and the split's id range."""

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
    clips are converted to metres) and keep their joints for drawing; clips outside the model's
    training corpus are warned about."""

    capture = capture_split(model, root, split, decode, ids=list(clip_ids), progress=progress)
    data = load_split(root, split, skeleton=model.skeleton, progress=False, ids=list(capture.clip_ids))
    by_id = {cid: s.motion for cid, s in zip(data.ids, data)}
    d = int(capture.downsample)
    joints = [model_frame_joints(by_id[c], d, int(capture.lengths[n])) for n, c in enumerate(capture.clip_ids)]
    capture.warn_motion()  # clips outside the model's training corpus: one warning line each
    return ClipCapture(capture, joints, str(root), split)


def capture_motion_files(model: Captioner, paths: Sequence[str | os.PathLike], decode: str = "greedy",
                         warn=None) -> ClipCapture:
    """Decode motion files (``.npy`` joint arrays or ``.bvh`` motion capture, read as ``caption`` reads
    them) and keep their joints for drawing; each clip's id is its file name without the suffix."""

    mode, beam_size = parse_decode(decode)
    if mode == "forced":
        raise M2TError("a motion file has no reference caption to force; use --decode greedy or beamK")
    motions = [read_motion_file(p, model.skeleton, name=str(p), warn=warn) for p in paths]
    capture = model.capture(motions, mode=mode, beam_size=beam_size, clip_ids=[Path(p).stem for p in paths])
    d = int(capture.downsample)
    joints = [model_frame_joints(m, d, int(capture.lengths[n])) for n, m in enumerate(motions)]
    return ClipCapture(capture, joints, "", "", inputs=model.preprocess(motions))


def is_motion_file(name: str) -> bool:
    """Whether a ``--clip`` value names a motion file (a .bvh or .npy that exists) rather than a clip id."""

    return Path(name).suffix.lower() in (".bvh", ".npy") and Path(name).is_file()


__all__ = ["ClipCapture", "capture_clips", "capture_motion_files", "is_motion_file", "model_frame_joints",
           "resolve_clip_ids"]
