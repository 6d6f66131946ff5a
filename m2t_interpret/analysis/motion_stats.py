"""Statistics of a motion on the HumanML3D skeleton: body size and proportions, speeds, turning,
joint angles, secondary motion, foot sliding — the features on which the synthetic corpus is
compared with real motion capture (``maintenance/realism_report.py``, docs/data.md "Realism").

Input: joint positions ``(T, 22, 3)`` in metres, Y up, the floor at y = 0 (the conventions of the
synthetic corpus and of :func:`~m2t_interpret.data.retarget.import_bvh`), at ``fps`` frames per
second. :func:`motion_stats` returns, for every feature of :data:`FEATURES`, the samples the clip
contributes: one value for a per-clip feature (none when it is undefined for the clip), one per
frame (or per foot and frame) for a per-frame feature, so pooling clips pools frames.

Definitions (each stated once, here; body height, bone lengths, part motion, horizontal speed, heading
and turning rate are measured by the functions of :mod:`m2t_interpret.data.motion_range`, which the
warnings about clips outside a model's training corpus use too):

* **body height** — a bone-chain estimate, the same whatever the pose: the leg (hip→knee→ankle,
  mean of both sides) plus the trunk and neck (pelvis→spine1→spine2→spine3→neck→head), each bone's
  median length over the clip. It is the head joint's height when standing straight, less the
  ankle's height above the floor; not the stature (no head top, no heel).
* **bone ratios** — thigh (hip–knee), shin (knee–ankle), upper arm (shoulder–elbow), forearm
  (elbow–wrist), mean of both sides, and spine (pelvis→…→neck path), over the body height.
* **part speeds** — :func:`~.kinematic.part_motion` (root: the pelvis's
  own speed; other parts: their joints relative to the pelvis; smoothed over 0.25 s).
* **root horizontal speed** — the pelvis's speed in the floor plane, smoothed the same way.
* **turning rate** — |d heading / dt|, deg/s, the heading being HumanML3D's facing rule (across
  the hips and shoulders), smoothed the same way; frames where the hips and shoulders are near
  vertical (heading undefined) are left out.
* **pelvis height** — the pelvis's height over the body height.
* **knee / elbow flexion** — 180° minus the hip–knee–ankle (shoulder–elbow–wrist) angle, both
  sides pooled: 0° straight.
* **trunk lean** — the angle of pelvis→neck from the vertical.
* **wrist height** — (wrist − pelvis) height over the body height, both sides pooled.
* **locomotion frames** — root horizontal speed above :data:`LOCOMOTION_MS` while upright
  (pelvis height ratio above :data:`UPRIGHT_RATIO`). **Arm swing**: per clip with at least
  :data:`MIN_LOCOMOTION_S` of locomotion, the wrist's fore–aft excursion relative to the pelvis
  along the heading (5th to 95th percentile), mean of both wrists, metres.
* **legs moving** — frames whose mean leg motion (relative to the pelvis) exceeds
  :data:`LEGS_MOVING_MS`. There: the mean arm motion and the torso motion, and the share of those
  frames whose mean arm motion exceeds :data:`ARMS_MOVING_MS` (secondary motion).
* **foot slide** — per foot and frame, the horizontal speed (central differences, unsmoothed) of
  the ball of the foot while in contact: its height below :data:`CONTACT_HEIGHT_M` and its
  horizontal speed below :data:`CONTACT_SPEED_MS` (a swinging foot that skims the floor is not in
  contact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.motion_range import (SMOOTH_S, bone_lengths, chain_height, chain_length, heading, horizontal_speed,
                                 part_motion, smooth, turning_rate, window_frames)
from ..errors import M2TError
from ..skeletons import HUMANML3D, PARTS

FPS = HUMANML3D.fps
LOCOMOTION_MS = 0.5
UPRIGHT_RATIO = 0.4
MIN_LOCOMOTION_S = 0.5
LEGS_MOVING_MS = 0.3
ARMS_MOVING_MS = 0.15
CONTACT_HEIGHT_M = 0.05
CONTACT_SPEED_MS = 1.0

_J = HUMANML3D.joint_index
_LEG_CHAIN = {s: (_J(f"{s}_hip"), _J(f"{s}_knee"), _J(f"{s}_ankle")) for s in ("left", "right")}
_ARM_CHAIN = {s: (_J(f"{s}_shoulder"), _J(f"{s}_elbow"), _J(f"{s}_wrist")) for s in ("left", "right")}
_PELVIS_TO_NECK = ("pelvis", "spine1", "spine2", "spine3", "neck")
_PELVIS, _NECK = _J("pelvis"), _J("neck")
_BALLS = (_J("left_foot"), _J("right_foot"))
_WRISTS = (_J("left_wrist"), _J("right_wrist"))
_ARMS = [PARTS.index("left_arm"), PARTS.index("right_arm")]
_LEGS = [PARTS.index("left_leg"), PARTS.index("right_leg")]


@dataclass(frozen=True)
class Feature:
    """One compared feature: its name, unit, level (``clip``: one value per clip; ``frame``: one per
    frame), what it is, and the smallest spread that normalises its distances (see
    :func:`scale`)."""

    name: str
    unit: str
    level: str
    description: str
    floor: float


def _features(table: str) -> tuple[Feature, ...]:
    """Features from a table, one a line: name, unit, level, then the description (to the end)."""
    # the floor is the resolution below which a difference of this unit means nothing
    floors = {"m": 0.02, "ratio": 0.01, "m/s": 0.05, "deg/s": 5.0, "deg": 2.0, "share": 1.0}
    rows = (line.split(maxsplit=3) for line in table.strip().splitlines())
    return tuple(Feature(name, unit, level, description, floors[unit]) for name, unit, level, description in rows)


FEATURES: tuple[Feature, ...] = (
    *_features("""
        body_height      m      clip  bone-chain height, ankle to head joint
        thigh_ratio      ratio  clip  hip–knee / body height
        shin_ratio       ratio  clip  knee–ankle / body height
        upper_arm_ratio  ratio  clip  shoulder–elbow / body height
        forearm_ratio    ratio  clip  elbow–wrist / body height
        spine_ratio      ratio  clip  pelvis→neck path / body height
    """),
    *_features("\n".join(f"speed_{p} m/s frame {p.replace('_', ' ')} part motion"
                         + (" (absolute)" if p == "root" else " (relative to the pelvis)") for p in PARTS)),
    *_features("""
        root_horizontal_speed    m/s    frame  pelvis speed in the floor plane
        turning_rate             deg/s  frame  |heading change| per second
        pelvis_height            ratio  frame  pelvis height / body height
        knee_flexion             deg    frame  180° − hip–knee–ankle angle, both knees
        elbow_flexion            deg    frame  180° − shoulder–elbow–wrist angle, both elbows
        trunk_lean               deg    frame  pelvis→neck from the vertical
        wrist_height             ratio  frame  (wrist − pelvis) height / body height, both wrists
        arm_swing                m      clip   wrist fore–aft excursion during locomotion
        arm_speed_legs_moving    m/s    frame  mean arm motion while the legs move
        torso_speed_legs_moving  m/s    frame  torso motion while the legs move
        arms_move_with_legs      share  frame  share of legs-moving frames with arm motion
        foot_slide               m/s    frame  ball-of-foot horizontal speed in contact
    """),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


def scale(feature: Feature, real: np.ndarray) -> float:
    """What a feature's distances are divided by: the interquartile range of its real samples, or
    the feature's floor when that is larger (a share: 1, so its distance is the difference of
    shares)."""
    r = np.asarray(real, dtype=np.float64)
    iqr = float(np.subtract(*np.percentile(r, [75, 25]))) if r.size else 0.0
    return max(iqr, feature.floor)


def body_height(joints: np.ndarray) -> float:
    """The bone-chain body height of a clip, metres (see the module docstring)."""
    return chain_height(_checked(joints), "humanml3d")


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between vectors (…, 3), degrees."""
    cos = np.sum(a * b, -1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _flexion(j: np.ndarray, chains: dict[str, tuple[int, int, int]]) -> np.ndarray:
    return np.concatenate([180.0 - _angle(j[:, a] - j[:, m], j[:, b] - j[:, m]) for a, m, b in chains.values()])


def arm_swing(joints: np.ndarray, locomotion: np.ndarray, fps: float = FPS) -> float | None:
    """The wrists' fore–aft excursion relative to the pelvis along the heading during ``locomotion``
    frames (5th–95th percentile, mean of both wrists), metres; None below MIN_LOCOMOTION_S of them."""
    j = _checked(joints)
    yaw, ok = heading(j)
    keep = np.asarray(locomotion, bool) & ok
    if keep.sum() < MIN_LOCOMOTION_S * fps:
        return None
    fwd = np.stack([np.sin(yaw), np.cos(yaw)], -1)[keep]  # (n, 2): x, z
    rel = (j[keep][:, _WRISTS] - j[keep][:, None, _PELVIS])[..., [0, 2]]  # (n, 2 wrists, 2)
    along = np.einsum("nwk,nk->nw", rel, fwd)
    return float(np.mean(np.subtract(*np.percentile(along, [95, 5], axis=0))))


def foot_slide(joints: np.ndarray, fps: float = FPS) -> np.ndarray:
    """Horizontal speeds (m/s) of the balls of the feet in the frames each is in contact (pooled)."""
    balls = _checked(joints)[:, _BALLS]  # (T, 2, 3)
    speed = horizontal_speed(balls, fps)
    contact = (balls[..., 1] < CONTACT_HEIGHT_M) & (speed < CONTACT_SPEED_MS)
    return speed[contact]


def _checked(joints: np.ndarray) -> np.ndarray:
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (HUMANML3D.n_joints, 3) or len(j) < 2:
        raise M2TError(f"joints of shape {tuple(j.shape)}; expected (T ≥ 2, 22, 3) on the HumanML3D skeleton")
    return j


def motion_stats(joints: np.ndarray, fps: float = FPS) -> dict[str, np.ndarray]:
    """Every feature of :data:`FEATURES` → the samples this clip contributes (float64 arrays)."""
    j = _checked(joints)
    height = body_height(j)
    bones = bone_lengths(j, "humanml3d")
    out: dict[str, np.ndarray] = {f"{k}_ratio": np.array([bones[k] / height])
                                  for k in ("thigh", "shin", "upper_arm", "forearm")}
    out["body_height"] = np.array([height])
    out["spine_ratio"] = np.array([chain_length(j, "humanml3d", _PELVIS_TO_NECK) / height])
    motion = part_motion(j, "humanml3d", fps)
    for k, p in enumerate(PARTS):
        out[f"speed_{p}"] = motion[:, k]
    root_h = smooth(horizontal_speed(j[:, _PELVIS], fps), window_frames(SMOOTH_S, fps) | 1)
    out["root_horizontal_speed"] = root_h
    turn = turning_rate(j, fps)
    out["turning_rate"] = turn[np.isfinite(turn)]
    pelvis = j[:, _PELVIS, 1] / height
    out["pelvis_height"] = pelvis
    out["knee_flexion"] = _flexion(j, _LEG_CHAIN)
    out["elbow_flexion"] = _flexion(j, _ARM_CHAIN)
    out["trunk_lean"] = _angle(j[:, _NECK] - j[:, _PELVIS], np.array([0.0, 1.0, 0.0]))
    out["wrist_height"] = ((j[:, _WRISTS, 1] - j[:, None, _PELVIS, 1]) / height).ravel(order="F")
    swing = arm_swing(j, (root_h > LOCOMOTION_MS) & (pelvis > UPRIGHT_RATIO), fps)
    out["arm_swing"] = np.array([] if swing is None else [swing])
    legs = motion[:, _LEGS].mean(1) > LEGS_MOVING_MS
    arms = motion[legs][:, _ARMS].mean(1)
    out["arm_speed_legs_moving"] = arms
    out["torso_speed_legs_moving"] = motion[legs, PARTS.index("torso")]
    out["arms_move_with_legs"] = (arms > ARMS_MOVING_MS).astype(np.float64)
    out["foot_slide"] = foot_slide(j, fps)
    return {name: np.asarray(out[name], dtype=np.float64) for name in FEATURE_NAMES}


__all__ = ["FEATURES", "FEATURE_NAMES", "Feature", "motion_stats", "body_height", "heading", "turning_rate",
           "arm_swing", "foot_slide", "scale", "LOCOMOTION_MS", "UPRIGHT_RATIO", "MIN_LOCOMOTION_S",
           "LEGS_MOVING_MS", "ARMS_MOVING_MS", "CONTACT_HEIGHT_M", "CONTACT_SPEED_MS"]
