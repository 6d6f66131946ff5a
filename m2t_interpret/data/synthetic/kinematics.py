"""Rest pose, rotations and forward kinematics of the HumanML3D-22 skeleton (numpy, vectorised).

Conventions (HumanML3D): metres, Y up, floor at y = 0, the body faces +Z at frame 0 and the
subject's left is +X (joint 1, the left hip, has x > 0).

Every joint carries a *local* rotation (a rotation vector, axis·angle in radians) expressed in
its parent's frame. At the rest pose every rotation is the identity, so local axes coincide
with the world axes of the rest pose: a rotation about +X flexes in the sagittal plane, about
+Y twists (yaw), about +Z tilts sideways. A joint's rotation moves the bones of its children:
``R_g[j] = R_g[parent] @ R_l[j]`` and ``p[j] = p[parent] + R_g[parent] @ offset[j]``, so bone
lengths are exactly the reference lengths in every frame.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...skeletons import HUMANML3D, HUMANML3D_BONE_LENGTHS

SKELETON = HUMANML3D
N_JOINTS = 22
PARENTS = np.asarray(SKELETON.parents, dtype=np.int64)
JOINT_NAMES = SKELETON.joint_names
FPS = float(SKELETON.fps)

#: Bone length of every joint to its parent (0 for the pelvis), metres.
BONE_LENGTHS = np.array(
    [0.0] + [HUMANML3D_BONE_LENGTHS[name] for name in JOINT_NAMES[1:]], dtype=np.float64
)

#: Left ↔ right joint permutation (index i of a mirrored clip reads joint MIRROR_PERM[i]).
MIRROR_PERM = np.arange(N_JOINTS)
for _i, _name in enumerate(JOINT_NAMES):
    if _name.startswith("left_"):
        _j = JOINT_NAMES.index("right_" + _name[5:])
        MIRROR_PERM[_i], MIRROR_PERM[_j] = _j, _i

# Anatomical bone directions at rest (unnormalised), subject facing +Z, left = +X.
_REST_DIRS = {
    "left_hip": (1.0, -0.35, 0.02),
    "right_hip": (-1.0, -0.35, 0.02),
    "spine1": (0.0, 1.0, -0.12),
    "left_knee": (0.02, -1.0, 0.08),  # thigh slightly forward: knees a little soft
    "right_knee": (-0.02, -1.0, 0.08),
    "spine2": (0.0, 1.0, 0.06),
    "left_ankle": (0.0, -1.0, -0.10),
    "right_ankle": (0.0, -1.0, -0.10),
    "spine3": (0.0, 1.0, 0.10),
    "left_foot": (0.05, -0.36, 0.93),  # ankle → ball of the foot, pointing forward and down
    "right_foot": (-0.05, -0.36, 0.93),
    "neck": (0.0, 1.0, 0.05),
    "left_collar": (0.3, 1.0, -0.08),
    "right_collar": (-0.3, 1.0, -0.08),
    "head": (0.0, 1.0, 0.35),
    "left_shoulder": (1.0, -0.12, -0.05),
    "right_shoulder": (-1.0, -0.12, -0.05),
    "left_elbow": (0.12, -1.0, -0.03),  # upper arm hanging beside the body
    "right_elbow": (-0.12, -1.0, -0.03),
    "left_wrist": (0.04, -1.0, 0.12),  # forearm slightly forward
    "right_wrist": (-0.04, -1.0, 0.12),
}

#: Rest offsets of each joint from its parent (22, 3), exact reference bone lengths.
OFFSETS = np.zeros((N_JOINTS, 3))
for _j, _name in enumerate(JOINT_NAMES[1:], start=1):
    _d = np.asarray(_REST_DIRS[_name], dtype=np.float64)
    OFFSETS[_j] = BONE_LENGTHS[_j] * _d / np.linalg.norm(_d)


def rest_positions(offsets: np.ndarray) -> np.ndarray:
    """(22, 3) rest positions relative to the pelvis of a body with rest ``offsets`` (22, 3)."""
    p = np.zeros((N_JOINTS, 3))
    for j in range(1, N_JOINTS):
        p[j] = p[PARENTS[j]] + offsets[j]
    return p


REST_RELATIVE = rest_positions(OFFSETS)
#: Height of the knee joint centre above the floor when kneeling on it.
KNEE_RADIUS = 0.05
#: Pelvis height of the rest pose standing on the floor.
REST_PELVIS_HEIGHT = float(-REST_RELATIVE[[10, 11], 1].min())


#: Joints of each proportion group a body varies, and the range of its factor: the spine chain
#: (with the pelvis-to-hip offsets as the pelvis's width), thighs, shins and feet, shoulder width
#: (collar to shoulder), upper arms, forearms. The ranges hold the reference (HumanML3D's own proportions) and reach the
#: proportions motion capture gives on this skeleton once a rig's joints are mapped to it (real
#: upper arms measure about 20 % longer against the body, forearms 10 % and shins 7 % shorter:
#: maintenance/realism_report.py).
_PROPORTIONS = (((1, 2, 3, 6, 9, 12, 13, 14, 15), (0.94, 1.06)), ((4, 5), (0.95, 1.10)),
                ((7, 8, 10, 11), (0.88, 1.05)), ((16, 17), (0.90, 1.10)), ((18, 19), (0.92, 1.32)),
                ((20, 21), (0.82, 1.06)))


@dataclass(frozen=True)
class Body:
    """One performer's skeleton: rest offsets (22, 3) in metres and the contact heights it implies."""

    offsets: np.ndarray
    scale: float = 1.0

    @functools.cached_property
    def rest(self) -> np.ndarray:
        """(22, 3) rest positions relative to the pelvis."""
        return rest_positions(self.offsets)

    @property
    def ankle_rest_height(self) -> float:
        """Height of the ankle joints above the floor when standing at rest (heel contact)."""
        r = self.rest
        return float(r[[7, 8], 1].mean() - r[[10, 11], 1].min())

    @property
    def head_height(self) -> float:
        """Height of the head joint above the floor when standing at rest, metres."""
        r = self.rest
        return float(r[15, 1] - r[[10, 11], 1].min())


def reference_body() -> Body:
    """The reference body: HumanML3D's bone lengths (head joint 1.56 m above the floor)."""
    return Body(OFFSETS.copy(), 1.0)


#: Overall size range of :func:`random_body`: head joints 1.34–1.81 m above the floor (people of
#: about 1.45–1.95 m), the real clips' small character included.
BODY_SCALE = (0.86, 1.16)


def random_body(rng: np.random.Generator) -> Body:
    """A performer of random size and proportions: overall scale in :data:`BODY_SCALE`, and each
    proportion group of :data:`_PROPORTIONS` varied against the rest (both sides alike, so a
    mirror is the same body)."""
    scale = float(rng.uniform(*BODY_SCALE))
    factors = np.ones(N_JOINTS)
    for group, (lo, hi) in _PROPORTIONS:
        factors[list(group)] = rng.uniform(lo, hi)
    return Body(OFFSETS * (scale * factors)[:, None], scale)


def rotvec_to_matrix(rv: np.ndarray) -> np.ndarray:
    """Rodrigues' formula, vectorised: (..., 3) rotation vectors → (..., 3, 3) matrices."""
    rv = np.asarray(rv, dtype=np.float64)
    theta = np.sqrt(np.einsum("...i,...i->...", rv, rv))
    small = theta < 1e-12
    safe = np.where(small, 1.0, theta)
    x, y, z = (rv[..., i] / safe for i in range(3))
    s = np.sin(theta)
    c = np.cos(theta)
    C = 1.0 - c
    out = np.empty(rv.shape + (3,))
    out[..., 0, 0] = c + x * x * C
    out[..., 0, 1] = x * y * C - z * s
    out[..., 0, 2] = x * z * C + y * s
    out[..., 1, 0] = y * x * C + z * s
    out[..., 1, 1] = c + y * y * C
    out[..., 1, 2] = y * z * C - x * s
    out[..., 2, 0] = z * x * C - y * s
    out[..., 2, 1] = z * y * C + x * s
    out[..., 2, 2] = c + z * z * C
    return out


def _matmul33(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched 3×3 products (T, 3, 3) @ (T, 3, 3), faster than np.matmul for tiny matrices."""
    return (a[:, :, 0, None] * b[:, None, 0, :] + a[:, :, 1, None] * b[:, None, 1, :]
            + a[:, :, 2, None] * b[:, None, 2, :])


def yaw_matrix(yaw: np.ndarray) -> np.ndarray:
    """Rotation about +Y by ``yaw`` radians (T,) → (T, 3, 3); +yaw turns +Z towards +X (left)."""
    c, s = np.cos(yaw), np.sin(yaw)
    z, o = np.zeros_like(yaw), np.ones_like(yaw)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def _levels() -> list[np.ndarray]:
    depth = np.zeros(N_JOINTS, dtype=np.int64)
    for j in range(1, N_JOINTS):
        depth[j] = depth[PARENTS[j]] + 1
    return [np.flatnonzero(depth == d) for d in range(1, int(depth.max()) + 1)]


_LEVELS = _levels()


def forward_kinematics(rotvecs: np.ndarray, yaw: np.ndarray, offsets: np.ndarray = OFFSETS) -> np.ndarray:
    """Joint positions relative to the pelvis, in world orientation.

    ``rotvecs`` (T, 22, 3) local rotations (row 0: pelvis orientation under the yaw), ``yaw`` (T,),
    ``offsets`` (22, 3) the body's rest offsets (default: the reference body). Returns (T, 22, 3)
    with the pelvis at the origin. Vectorised over frames and over the joints of each tree depth
    (7 numpy steps per clip).
    """
    T = rotvecs.shape[0]
    R_local = rotvec_to_matrix(rotvecs)
    R_g = np.empty((T, N_JOINTS, 3, 3))
    pos = np.zeros((T, N_JOINTS, 3))
    R_g[:, 0] = yaw_matrix(yaw) @ R_local[:, 0]
    for js in _LEVELS:
        ps = PARENTS[js]
        Rp = R_g[:, ps]
        pos[:, js] = pos[:, ps] + np.einsum("tjab,jb->tja", Rp, offsets[js])
        R_g[:, js] = Rp @ R_local[:, js]
    return pos


def mirror_joints(joints: np.ndarray) -> np.ndarray:
    """Left/right mirror of (T, 22, 3) positions: x negated and left/right joints swapped.

    Exact in any float dtype (negation and indexing only), as HumanML3D's ``M`` clips.
    """
    out = joints[:, MIRROR_PERM].copy()
    out[..., 0] = -out[..., 0]
    return out
