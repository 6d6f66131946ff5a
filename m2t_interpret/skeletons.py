"""Skeleton definitions: joints, kinematic tree, frame rate and the six body parts.

The six parts are defined once, here, by name (:data:`PARTS`). Two orders exist:

* **part order** — :data:`PARTS`: root, torso, left_arm, right_arm, left_leg, right_leg. Every
  table names its part-valued columns by part (``attn_left_arm``, ``active_left_arm``), and every
  figure and positional array outside the model uses this order.
* **checkpoint order** — :attr:`Skeleton.part_names`: the column order of every 6-wide tensor of
  the authors' released weights (and so of the model's α). Left and right are swapped between
  the two skeletons (HumanML3D: right arm before left arm; KIT: left before right).
  :meth:`Skeleton.to_part_order` converts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import M2TError

#: The six body parts, in part order (the order of every table, figure and analysis array).
PARTS: tuple[str, ...] = ("root", "torso", "left_arm", "right_arm", "left_leg", "right_leg")
#: Labels for people (figures, pages, printed text), keyed by part: the part's name in words. Tables
#: keep the names of :data:`PARTS` (``left_arm``), as the data do.
PART_LABELS: dict[str, str] = {p: p.replace("_", " ") for p in PARTS}
#: Figure labels in part order.
DISPLAY_PARTS: tuple[str, ...] = tuple(PART_LABELS[p] for p in PARTS)
#: Parts that have a left/right side (the "lateral" parts).
LATERAL_PARTS: tuple[str, ...] = ("left_arm", "right_arm", "left_leg", "right_leg")
N_PARTS = 6
#: One colour per body part, the same in every figure, animation and page (Okabe–Ito, colour-blind
#: safe): arms blue, legs orange, the left side dark and the right side light.
PART_COLORS: dict[str, str] = {
    "root": "#009E73",       # bluish green
    "torso": "#CC79A7",      # reddish purple
    "left_arm": "#0072B2",   # blue
    "right_arm": "#56B4E9",  # sky blue
    "left_leg": "#D55E00",   # vermillion
    "right_leg": "#E69F00",  # orange
}


def part_label(part: str) -> str:
    """How a person reads a part: ``left_arm`` → ``left arm``; an unknown name is shown as given."""
    return PART_LABELS.get(str(part), str(part))


def mirror_part(part: str) -> str:
    """The part on the other side (left_arm ↔ right_arm); root and torso map to themselves."""
    if part.startswith("left_"):
        return "right_" + part[5:]
    if part.startswith("right_"):
        return "left_" + part[6:]
    return part


def part_columns(prefix: str) -> list[str]:
    """Column names ``f"{prefix}{part}"`` in part order, e.g. ``attn_root … attn_right_leg``."""
    return [f"{prefix}{p}" for p in PARTS]


@dataclass(frozen=True)
class Skeleton:
    """A skeleton and its partition into the six body parts of the captioner.

    ``parts[k]`` lists the joint indices of part ``k`` in checkpoint column order; the encoder
    reads each part's joints in exactly that order (x, y, z per joint).
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    chains: tuple[tuple[int, ...], ...]
    fps: float
    parts: tuple[tuple[int, ...], ...]
    part_names: tuple[str, ...]  # checkpoint order: the part of each 6-wide tensor column
    min_frames: int
    max_frames: int  # exclusive
    downsample: int = 2
    bone_lengths: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    @property
    def part_sizes(self) -> tuple[int, ...]:
        return tuple(len(p) for p in self.parts)

    @property
    def part_order(self) -> tuple[int, ...]:
        """Checkpoint column of each part in :data:`PARTS` order (HumanML3D: 0, 1, 3, 2, 5, 4)."""
        return tuple(self.part_names.index(p) for p in PARTS)

    @property
    def display_order(self) -> tuple[int, ...]:
        """Alias of :attr:`part_order` (checkpoint columns in figure order)."""
        return self.part_order

    @property
    def display_names(self) -> tuple[str, ...]:
        """Figure label of each checkpoint column (e.g. column 2 of HumanML3D is "right arm")."""
        return tuple(PART_LABELS[p] for p in self.part_names)

    def to_part_order(self, array, axis: int = -1):
        """Reorder a checkpoint-order axis of length 6 (e.g. α's last axis) into :data:`PARTS` order."""
        # numpy only for arrays: the skeletons themselves are read by --help
        import numpy as np

        return np.take(np.asarray(array), self.part_order, axis=axis)

    def joint_index(self, name: str) -> int:
        return self.joint_names.index(name)


HUMANML3D_JOINTS = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
)

# Distance of each joint to its parent, metres, measured on HumanML3D clip 012314.
HUMANML3D_BONE_LENGTHS = {
    "left_hip": 0.1031, "right_hip": 0.1099, "spine1": 0.1316, "left_knee": 0.3936,
    "right_knee": 0.3902, "spine2": 0.1432, "left_ankle": 0.4324, "right_ankle": 0.4256,
    "spine3": 0.0574, "left_foot": 0.1434, "right_foot": 0.1494, "neck": 0.2194,
    "left_collar": 0.1375, "right_collar": 0.1434, "head": 0.1030, "left_shoulder": 0.1316,
    "right_shoulder": 0.1230, "left_elbow": 0.2568, "right_elbow": 0.2631, "left_wrist": 0.2660,
    "right_wrist": 0.2699,
}

HUMANML3D = Skeleton(
    name="humanml3d",
    joint_names=HUMANML3D_JOINTS,
    parents=(-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19),
    chains=((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15), (9, 14, 17, 19, 21),
            (9, 13, 16, 18, 20)),
    fps=20.0,
    # The pelvis appears again in the torso, as in the released weights (18 torso inputs).
    parts=((0,), (0, 3, 6, 9, 12, 15), (14, 17, 19, 21), (13, 16, 18, 20), (2, 5, 8, 11),
           (1, 4, 7, 10)),
    part_names=("root", "torso", "right_arm", "left_arm", "right_leg", "left_leg"),
    min_frames=40,
    max_frames=200,
    bone_lengths=HUMANML3D_BONE_LENGTHS,
)

KIT_JOINTS = (
    "BP", "BT", "BLN", "BUN", "head", "LS", "LE", "LW", "RS", "RE", "RW", "LH", "LK", "LA", "LM",
    "LF", "RH", "RK", "RA", "RM", "RF",
)

KIT = Skeleton(
    name="kit",
    joint_names=KIT_JOINTS,
    parents=(-1, 0, 1, 2, 3, 3, 5, 6, 3, 8, 9, 0, 11, 12, 13, 14, 0, 16, 17, 18, 19),
    chains=((0, 11, 12, 13, 14, 15), (0, 16, 17, 18, 19, 20), (0, 1, 2, 3, 4), (3, 5, 6, 7),
            (3, 8, 9, 10)),
    fps=12.5,
    parts=((0,), (1, 2, 3, 4), (5, 6, 7), (8, 9, 10), (11, 12, 13, 14, 15),
           (16, 17, 18, 19, 20)),
    part_names=("root", "torso", "left_arm", "right_arm", "left_leg", "right_leg"),
    min_frames=24,
    max_frames=200,
)

SKELETONS: dict[str, Skeleton] = {"humanml3d": HUMANML3D, "kit": KIT}


def joint_part_indices(skeleton: str | Skeleton) -> tuple[int, ...]:
    """The body part of each joint, ``(J,)`` indices into :data:`PARTS`: the first part, in PARTS
    order, whose encoder reads the joint (so the pelvis, read by the HumanML3D root and torso, is
    the root's). Raises M2TError for a skeleton whose parts leave a joint out."""
    sk = get_skeleton(skeleton)
    out: list[int | None] = [None] * sk.n_joints
    for k, name in enumerate(PARTS):
        for j in sk.parts[sk.part_names.index(name)]:
            if out[j] is None:
                out[j] = k
    if None in out:
        raise M2TError(f"skeleton {sk.name}: joint {out.index(None)} belongs to none of the six parts")
    return tuple(out)


def joint_parts(skeleton: str | Skeleton) -> tuple[str, ...]:
    """The body part of each joint, ``(J,)`` names from :data:`PARTS` (see :func:`joint_part_indices`)."""
    return tuple(PARTS[k] for k in joint_part_indices(skeleton))


def get_skeleton(name_or_skeleton: str | Skeleton) -> Skeleton:
    """Look a skeleton up by name (``"humanml3d"``/``"t2m"``/``"kit"``)."""
    if isinstance(name_or_skeleton, Skeleton):
        return name_or_skeleton
    key = str(name_or_skeleton).lower().replace("-", "").replace("_", "")
    aliases = {"humanml3d": "humanml3d", "humanml3d22": "humanml3d", "t2m": "humanml3d",
               "kit": "kit", "kitml": "kit", "kit21": "kit"}
    if key not in aliases:
        raise M2TError(f"unknown skeleton {name_or_skeleton!r}; use one of: humanml3d, kit")
    return SKELETONS[aliases[key]]


def skeleton_for_joints(n_joints: int) -> Skeleton:
    """The skeleton with ``n_joints`` joints (22 → HumanML3D, 21 → KIT)."""
    for sk in SKELETONS.values():
        if sk.n_joints == n_joints:
            return sk
    raise M2TError(
        f"motion has {n_joints} joints; expected 22 (HumanML3D) or 21 (KIT-ML) joints per frame"
    )
