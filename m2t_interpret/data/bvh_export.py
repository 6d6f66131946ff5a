"""Joint positions (T, J, 3) of the HumanML3D-22 or KIT-21 skeleton → a BVH motion.

Each joint becomes a BVH joint named as in the skeleton (HumanML3D's names are SMPL's, KIT's the
MMM ones), so :func:`~m2t_interpret.data.retarget.import_bvh` recognises the file (``smpl`` /
``kit`` rig) and reads the same positions back.

How the rotations are solved: bone lengths are the first frame's (a clip with constant bone lengths,
as every dataset and synthetic clip has, keeps them exactly); the rest pose stands upright facing
+Z with the subject's left at +X (HumanML3D: the synthetic generator's natural rest pose; KIT: bones
along the axes). Per frame, top-down, a joint with one child gets the smallest rotation (relative to
its parent) that points its bone at the child; a joint with several children (the pelvis, the
chest) the rotation that best fits all of its bones (Kabsch), which is exact when they move
rigidly together; a joint without children keeps its parent's rotation. Channels: the root's
``Xposition Yposition Zposition Zrotation Xrotation Yrotation``, every other joint's
``Zrotation Xrotation Yrotation``, degrees. Where the bones from one joint do not move rigidly
together (more than 0.01 mm off the best fit: e.g. KIT clips, whose shoulders and head move
independently of the upper neck), the children of that joint also get position channels (their
translation from the joint, in its frame), so the file still reproduces every position exactly.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional, Union

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import M2TError
from ..skeletons import Skeleton, get_skeleton, skeleton_for_joints
from .bvh import BvhMotion, write_bvh
from .retarget import UNITS
from .rotations import align_vectors, fit_rotation
from .synthetic.kinematics import OFFSETS as _HML_OFFSETS

_ROOT_CHANNELS = ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
_CHANNELS = ("Zrotation", "Xrotation", "Yrotation")
# KIT rest directions (subject facing +Z, left +X), in the order of the KIT joint names
_KIT_REST = {
    "BT": (0, 1, 0), "BLN": (0, 1, 0), "BUN": (0, 1, 0), "head": (0, 1, 0),
    "LS": (1, 0, 0), "LE": (0, -1, 0), "LW": (0, -1, 0), "RS": (-1, 0, 0), "RE": (0, -1, 0), "RW": (0, -1, 0),
    "LH": (1, -0.35, 0), "LK": (0, -1, 0), "LA": (0, -1, 0), "LM": (0, -0.36, 0.93), "LF": (0, 0, 1),
    "RH": (-1, -0.35, 0), "RK": (0, -1, 0), "RA": (0, -1, 0), "RM": (0, -0.36, 0.93), "RF": (0, 0, 1),
}
#: Length of a leaf joint's End Site, as a fraction of the leaf's own bone.
END_SITE_FRACTION = 0.5
#: A rigid fit worse than this (metres) gives the children of a joint position channels.
RIGID_TOLERANCE_M = 1e-5


def rest_directions(skeleton: Skeleton) -> np.ndarray:
    """Unit rest direction of each joint's bone from its parent (J, 3); row 0 (the root) is zero."""
    if skeleton.name == "humanml3d":
        d = _HML_OFFSETS.copy()
    else:
        d = np.array([(0.0, 0.0, 0.0)] + [_KIT_REST[n] for n in skeleton.joint_names[1:]], dtype=np.float64)
    norm = np.linalg.norm(d, axis=1, keepdims=True)
    return np.divide(d, norm, out=np.zeros_like(d), where=norm > 0)


def _dfs(parents: tuple[int, ...]) -> list[int]:
    """Joint order of the BVH hierarchy: depth first, children in index order."""
    order, stack = [], [0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(sorted((c for c, p in enumerate(parents) if p == j), reverse=True))
    return order


def _global_rotations(joints: np.ndarray, parents: tuple[int, ...], offsets: np.ndarray) -> np.ndarray:
    """World rotation of every joint (T, J, 3, 3) that points its bones at its children."""
    T, J = joints.shape[:2]
    rot = np.empty((T, J, 3, 3))
    for j in range(J):  # parents come before children
        parent = rot[:, parents[j]] if parents[j] >= 0 else np.broadcast_to(np.eye(3), (T, 3, 3))
        kids = [c for c, p in enumerate(parents) if p == j]
        if not kids:
            rot[:, j] = parent
        elif len(kids) == 1:
            bone = joints[:, kids[0]] - joints[:, j]
            target = bone / np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True), 1e-12)
            carried = parent @ (offsets[kids[0]] / np.linalg.norm(offsets[kids[0]]))
            rot[:, j] = align_vectors(carried, target) @ parent
        else:
            rot[:, j] = fit_rotation(offsets[kids], joints[:, kids] - joints[:, j : j + 1])
    return rot


def positions_to_bvh(joints: np.ndarray, skeleton: Union[str, Skeleton, None] = None, fps: Optional[float] = None,
                     units: str = "m", name: str = "motion") -> BvhMotion:
    """A BVH motion whose forward kinematics gives back ``joints`` (T, J, 3) metres (see the module
    docstring). ``skeleton`` defaults to the one with J joints; ``fps`` to its rate; ``units``: the
    file's length unit (``"m"``, ``"cm"``, ``"mm"``, ``"in"``)."""
    arr = np.asarray(joints, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[0] < 1:
        raise M2TError(f"{name} has shape {arr.shape}; expected (frames, joints, 3) positions")
    if not np.isfinite(arr).all():
        raise M2TError(f"{name} has NaN or infinite values; clean it before writing a BVH file")
    sk = skeleton_for_joints(arr.shape[1]) if skeleton is None else get_skeleton(skeleton)
    if arr.shape[1] != sk.n_joints:
        raise M2TError(f"{name} has {arr.shape[1]} joints; the {sk.name} skeleton has {sk.n_joints}")
    if units not in UNITS:
        raise M2TError(f"units must be one of {', '.join(UNITS)}, not {units!r}")
    fps = float(sk.fps if fps is None else fps)
    if not fps > 0:
        raise M2TError(f"fps must be positive, not {fps}")
    parents = sk.parents
    lengths = np.linalg.norm(arr[0, 1:] - arr[0, list(parents[1:])], axis=-1)
    if (lengths < 1e-9).any():
        bad = sk.joint_names[1 + int(np.argmin(lengths))]
        raise M2TError(f"{name}: joint {bad} sits on its parent at the first frame; a BVH bone needs a length")
    dirs = rest_directions(sk)
    offsets = np.concatenate([[np.zeros(3)], dirs[1:] * lengths[:, None]])
    for j in range(sk.n_joints):  # the bones of a branching joint keep their first-frame angles
        kids = [c for c, p in enumerate(parents) if p == j]
        if len(kids) > 1:
            first = arr[0, kids] - arr[0, j]
            offsets[kids] = first @ fit_rotation(offsets[kids], first[None])[0]
    rot = _global_rotations(arr, parents, offsets)
    parent_rot = np.concatenate([np.broadcast_to(np.eye(3), (arr.shape[0], 1, 3, 3)), rot[:, list(parents[1:])]], 1)
    local = np.swapaxes(parent_rot, -1, -2) @ rot
    with warnings.catch_warnings():  # at ±90° about X the Euler angles are not unique: any valid one
        warnings.filterwarnings("ignore", message="Gimbal lock detected")
        euler = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler("ZXY", degrees=True)
    euler = euler.reshape(arr.shape[0], sk.n_joints, 3)
    k = 1.0 / UNITS[units]
    # each joint's translation from its parent, in the parent's frame; kept where it is not the rest offset
    trans = np.einsum("tjba,tjb->tja", parent_rot, arr - arr[:, [max(p, 0) for p in parents]])
    moved = [j for j in range(1, sk.n_joints)
             if np.abs(trans[:, j] - offsets[j]).max() > RIGID_TOLERANCE_M]
    moved = sorted({c for j in moved for c, p in enumerate(parents) if p == parents[j]})
    order = _dfs(parents)
    where = {j: i for i, j in enumerate(order)}
    values = np.concatenate([k * arr[:, 0]] + [np.concatenate([k * trans[:, j], euler[:, j]], 1) if j in moved
                                                else euler[:, j] for j in order], axis=1)
    leaves = [j for j in order if j not in parents]
    return BvhMotion(
        names=tuple(sk.joint_names[j] for j in order),
        parents=tuple(where[parents[j]] if parents[j] >= 0 else -1 for j in order),
        offsets=k * offsets[order],
        channels=tuple(_ROOT_CHANNELS if parents[j] < 0 else _ROOT_CHANNELS if j in moved else _CHANNELS
                       for j in order),
        end_parents=tuple(where[j] for j in leaves),
        end_offsets=k * END_SITE_FRACTION * offsets[leaves].reshape(-1, 3),
        frame_time=1.0 / fps, values=values, source=name)


def write_positions_bvh(joints: np.ndarray, path: Union[str, Path], skeleton: Union[str, Skeleton, None] = None,
                        fps: Optional[float] = None, units: str = "m") -> Path:
    """Write joint positions as a BVH file (see :func:`positions_to_bvh`)."""
    return write_bvh(positions_to_bvh(joints, skeleton, fps, units, name=Path(path).name), path)
