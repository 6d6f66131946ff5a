"""Raw joint positions (T, J, 3) → captioner input, as the authors' released model expects it.

Steps: per-axis normalisation with global statistics, downsampling keeping frames 1, 3, 5, …,
root-relative joints (joint 0 keeps its absolute normalised position), zero-padding, batch-first.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Mapping, Sequence, Union

import numpy as np
import torch

from ..errors import M2TError
from ..skeletons import Skeleton
from .bvh_import import import_clip
from .dataset import MAX_EXTENT_M, body_extent, check_motion_values, read_npy

#: A clip for the captioner: joint positions (T, J, 3), or the path of a ``.npy`` or ``.bvh`` file.
MotionLike = Union[np.ndarray, str, os.PathLike]

#: Fewest raw frames a clip may have: the Gaussian window needs at least two model frames.
MIN_RAW_FRAMES = 8


def as_stats(stats: Mapping[str, Sequence[float]] | None) -> dict[str, list[float]] | None:
    """Validate ``{"mean": [x, y, z], "std": [x, y, z]}`` and return plain lists."""
    if stats is None:
        return None
    try:
        mean = [float(v) for v in stats["mean"]]
        std = [float(v) for v in stats["std"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise M2TError(
            'normalisation statistics must look like {"mean": [x, y, z], "std": [x, y, z]}'
        ) from exc
    if len(mean) != 3 or len(std) != 3:
        raise M2TError("normalisation statistics need 3 values (x, y, z) for mean and for std")
    if not all(np.isfinite(mean + std)) or min(std) <= 0:
        raise M2TError("normalisation statistics must be finite with positive std")
    return {"mean": mean, "std": std}


def axis_stats(motions: Sequence[np.ndarray]) -> dict[str, list[float]]:
    """Per-axis mean and population std over every joint of every frame of ``motions``."""
    if len(motions) == 0:
        raise M2TError("cannot compute normalisation statistics from an empty list of motions")
    flat = np.concatenate([np.asarray(m, dtype=np.float64).reshape(-1, 3) for m in motions])
    return {"mean": flat.mean(0).tolist(), "std": flat.std(0).tolist()}


def validate_motion(motion: np.ndarray, skeleton: Skeleton, name: str = "motion") -> np.ndarray:
    """Check one raw clip (T, J, 3) and return it as float64; raise M2TError if unusable."""
    arr = np.asarray(motion)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise M2TError(
            f"{name} has shape {tuple(arr.shape)}; expected (frames, {skeleton.n_joints}, 3) joint "
            "positions (a HumanML3D/KIT new_joints array)"
        )
    if arr.shape[1] != skeleton.n_joints:
        raise M2TError(
            f"{name} has {arr.shape[1]} joints but the model's {skeleton.name} skeleton has "
            f"{skeleton.n_joints}; use a model trained on that skeleton"
        )
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype.kind == "b":
        raise M2TError(f"{name} is not numeric (dtype {arr.dtype})")
    if arr.dtype.kind == "c":
        raise M2TError(f"{name} holds complex numbers; joint positions must be real")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr).all(axis=(1, 2))).ravel()
        raise M2TError(f"{name} has NaN or infinite values (first bad frame {int(bad[0])}); clean it first")
    extent = body_extent(arr)
    if extent > MAX_EXTENT_M:
        hint = ("; it looks like millimetres: divide by 1000" if extent <= 1000 * MAX_EXTENT_M
                else "; expected joint positions in metres")
        raise M2TError(f"{name} is absurdly scaled: the body spans {extent:.3g} m{hint}")
    if arr.shape[0] < MIN_RAW_FRAMES:
        raise M2TError(
            f"{name} has {arr.shape[0]} frames; at least {MIN_RAW_FRAMES} are needed "
            f"({MIN_RAW_FRAMES / skeleton.fps:.2f} s at {skeleton.fps:g} fps)"
        )
    return arr


def read_motion_file(path, skeleton: Skeleton, name: str | None = None,
                     warn=None) -> np.ndarray:
    """Read a motion file for captioning → validated (T, J, 3) float64 metres.

    A ``.bvh`` recording is imported to the skeleton (:func:`~m2t_interpret.data.bvh_import.import_clip`:
    its rig recognised from the joint names, resampled to the skeleton's rate, the dataset's
    conventions applied); anything else is read as a ``.npy`` joint-position array. The file's
    problems are errors naming it (see :func:`~m2t_interpret.data.dataset.read_npy`); integer
    arrays and millimetre-scale clips are converted, each with a warning passed to ``warn``
    (default: :func:`warnings.warn`) that names the file."""
    subject = name if name is not None else str(path)
    if Path(path).suffix.lower() == ".bvh":
        joints, _ = import_clip(path, skeleton)
        return validate_motion(joints, skeleton, name=subject)
    arr = read_npy(path, name=subject)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[1] != skeleton.n_joints:
        return validate_motion(arr, skeleton, name=subject)  # the shape error, worded for the model
    arr, units, notes = check_motion_values(arr, subject, units="auto", integers="convert")
    if units == "mm":
        notes.append(f"{'it' if notes else subject} looks like millimetres (median body extent "
                     f"{body_extent(arr) * 1000:.0f}); converted to metres")
    if notes:  # one warning per file
        note = "; ".join(notes)
        if warn is None:
            warnings.warn(note, stacklevel=2)
        else:
            warn(note)
    return validate_motion(arr, skeleton, name=subject)


def preprocess_motions(
    motions: Sequence[MotionLike] | MotionLike,
    skeleton: Skeleton,
    stats: Mapping[str, Sequence[float]],
    downsample: int = 2,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Turn raw clips into a padded batch.

    Args:
        motions: list of N raw clips, each (T_n, J, 3) joint positions in metres or the path of a
            ``.npy`` or ``.bvh`` file (read with :func:`read_motion_file`); one clip alone is a batch of one.
        skeleton: the skeleton the model was trained on.
        stats: per-axis ``{"mean": (3,), "std": (3,)}``.
        downsample: keep frames ``downsample-1, 2·downsample-1, …`` (1, 3, 5, … for 2).

    Returns:
        ``x`` float32 (N, T, J·3), zero-padded to the longest clip, and ``lengths`` int64 (N,).
    """
    if isinstance(motions, (str, os.PathLike)) or (isinstance(motions, np.ndarray) and motions.ndim == 3):
        motions = [motions]
    if len(motions) == 0:
        raise M2TError("empty batch: give at least one motion clip")
    st = as_stats(stats)
    if st is None:
        raise M2TError(
            "this model carries no normalisation statistics; pass stats={'mean': [...], 'std': [...]} "
            "(or --stats STATS.json) computed on its training data"
        )
    mean = np.asarray(st["mean"], dtype=np.float64)
    std = np.asarray(st["std"], dtype=np.float64)
    clips = []
    for arr in read_motions(motions, skeleton):
        p = (arr - mean) / std
        p = p[downsample - 1 :: downsample].copy()
        p[:, 1:] -= p[:, :1]
        clips.append(torch.from_numpy(p.reshape(p.shape[0], -1)).float())
    return pad_frames(clips)


def read_motions(motions: Sequence[MotionLike] | MotionLike, skeleton: Skeleton) -> list[np.ndarray]:
    """Raw clips (arrays, or ``.npy``/``.bvh`` paths read with :func:`read_motion_file`; one clip
    alone is a list of one) → validated (T, J, 3) float64 arrays in metres."""
    if isinstance(motions, (str, os.PathLike)) or (isinstance(motions, np.ndarray) and motions.ndim == 3):
        motions = [motions]
    return [read_motion_file(m, skeleton, name=str(m)) if isinstance(m, (str, os.PathLike))
            else validate_motion(m, skeleton, name=f"motion {n}") for n, m in enumerate(motions)]


def pad_frames(clips: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips (T_n, F) → zero-padded batch (N, max T_n, F) float32 and lengths (N,) int64."""
    lengths = torch.tensor([c.shape[0] for c in clips], dtype=torch.int64)
    x = torch.zeros(len(clips), int(lengths.max()), clips[0].shape[1], dtype=torch.float32)
    for n, c in enumerate(clips):
        x[n, : c.shape[0]] = c
    return x, lengths
