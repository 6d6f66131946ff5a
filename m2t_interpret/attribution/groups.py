"""Body-part groups of the model's input features: which of the six parts each joint (and each of
its x, y, z features) belongs to, for the part-level attribution methods.

The HumanML3D pelvis (joint 0) feeds both the root and the torso encoders (the released weights
read it twice); it belongs to the **root** group, which would otherwise be empty, so removing the
root removes the pelvis from the torso's input as well.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import M2TError
from ..skeletons import PARTS, Skeleton, joint_part_indices


def part_joint_groups(skeleton: Skeleton) -> np.ndarray:
    """(J,) the group of each joint, indices into :data:`PARTS`: its part as the encoders read it
    (:func:`~m2t_interpret.skeletons.joint_part_indices`; the pelvis is the root's)."""
    return np.asarray(joint_part_indices(skeleton), dtype=np.int64)


def joint_groups_from_mapping(mapping: Mapping[str, Sequence], skeleton: Skeleton) -> np.ndarray:
    """A user's part → joints mapping (joint indices or names) → (J,) group per joint; M2TError
    unless every joint lies in exactly one of the six parts."""
    unknown = sorted(set(mapping) - set(PARTS))
    if unknown:
        raise M2TError(f"feature mask names unknown part(s) {', '.join(unknown)}; parts are {', '.join(PARTS)}")
    group = np.full(skeleton.n_joints, -1, dtype=np.int64)
    for k, part in enumerate(PARTS):
        for j in mapping.get(part, ()):
            try:
                idx = skeleton.joint_index(j) if isinstance(j, str) else int(j)
            except (ValueError, TypeError):
                raise M2TError(f"feature mask: {j!r} is not a joint of the {skeleton.name} skeleton") from None
            if not 0 <= idx < skeleton.n_joints:
                raise M2TError(f"feature mask: joint {idx} does not exist (the {skeleton.name} skeleton has "
                               f"{skeleton.n_joints} joints)")
            if group[idx] >= 0:
                raise M2TError(f"feature mask puts joint {skeleton.joint_names[idx]} in both {PARTS[group[idx]]} "
                               f"and {part}; give each joint one part")
            group[idx] = k
    missing = [skeleton.joint_names[j] for j in np.nonzero(group < 0)[0]]
    if missing:
        raise M2TError(f"feature mask does not cover every joint: {', '.join(missing)} in no part; part "
                       "perturbations need each of the "
                       f"{skeleton.n_joints} joints in one part")
    return group


def read_feature_mask(path: str | os.PathLike, skeleton: Skeleton) -> np.ndarray:
    """A feature-mask JSON file ``{"root": [0], "torso": [3, 6, …], …}`` → (J,) group per joint."""
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise M2TError(f"feature mask file not found: {path}") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise M2TError(f"cannot read the feature mask {path}: {exc}") from None
    if not isinstance(mapping, dict):
        raise M2TError(f"feature mask {path} must be a JSON object mapping part names to joint lists")
    return joint_groups_from_mapping(mapping, skeleton)


def feature_groups(joint_groups: np.ndarray) -> np.ndarray:
    """(J,) joint groups → (J·3,) group of each input feature (x, y, z of each joint)."""
    return np.repeat(np.asarray(joint_groups, dtype=np.int64), 3)


__all__ = ["part_joint_groups", "joint_groups_from_mapping", "read_feature_mask", "feature_groups"]
