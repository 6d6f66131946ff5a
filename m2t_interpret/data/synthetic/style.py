"""A performer's posture and the motion of the parts an action does not name.

Real people do not stand at a mannequin's rest pose, and the parts an action leaves alone do
not stay still: knees are soft, the trunk leans, the head looks around, the weight shifts from
foot to foot, arms drift. Each clip draws a :class:`Style`; :func:`posture` is added to every
frame and :func:`idle_motion` is the slow motion of a person standing (both additive local
rotations, (22, 3) and (T, 22, 3)). The motion that goes with an action — arm swing and trunk
counter-rotation of a gait, the arms' counter-balance of a kick or a jump — belongs to the
action's own primitive (:mod:`.primitives`), since it follows the action's timing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kinematics import FPS, N_JOINTS
from .primitives import D, HEAD, NECK, PELVIS, SPINE1, SPINE2, SPINE3, ankle, elbow, hip, knee, shoulder


@dataclass(frozen=True)
class Style:
    """How one performer stands and moves (angles in degrees, frequencies in Hz)."""

    knee_soft: float  # standing knee flexion
    trunk_lean: float  # forward lean of the spine chain
    head_pitch: float  # head up (−) or down (+)
    arm_out: float  # shoulder abduction of hanging arms
    elbow_bend: float  # elbow flexion of hanging arms
    sway_deg: float  # amplitude of the weight shift
    sway_hz: float
    head_deg: float  # amplitude of the head's looking around

    def params(self) -> dict:
        return {k: round(float(v), 2) for k, v in self.__dict__.items()}


def random_style(rng: np.random.Generator) -> Style:
    return Style(
        knee_soft=rng.uniform(0.0, 16.0), trunk_lean=rng.uniform(-2.0, 12.0),
        head_pitch=rng.uniform(-6.0, 10.0), arm_out=rng.uniform(2.0, 10.0),
        elbow_bend=rng.uniform(3.0, 25.0), sway_deg=rng.uniform(0.5, 3.0),
        sway_hz=rng.uniform(0.15, 0.4), head_deg=rng.uniform(2.0, 9.0),
    )


def posture(style: Style) -> np.ndarray:
    """The performer's standing posture as an offset from the rest pose (22, 3) local rotations."""
    p = np.zeros((N_JOINTS, 3))
    k = style.knee_soft
    for s in (1, -1):
        # soft knees with the feet flat: thigh forward by k/2, shin back by k, ankle back by k/2
        p[hip(s), 0] = -0.5 * k * D
        p[knee(s), 0] = k * D
        p[ankle(s), 0] = -0.5 * k * D
        # the arms hang a little out, elbows bent, and keep hanging when the trunk leans
        p[shoulder(s)] = (-style.trunk_lean * D, 0.0, s * style.arm_out * D)
        p[elbow(s), 0] = -style.elbow_bend * D
    for j, w in ((SPINE1, 0.4), (SPINE2, 0.35), (SPINE3, 0.25)):
        p[j, 0] = w * style.trunk_lean * D
    p[NECK, 0] = -0.6 * style.trunk_lean * D  # the gaze stays roughly level
    p[HEAD, 0] = style.head_pitch * D
    return p


def idle_motion(rng: np.random.Generator, T: int, style: Style) -> np.ndarray:
    """Weight shift, trunk sway and head motion of a standing person, (T, 22, 3)."""
    t = np.arange(T) / FPS
    out = np.zeros((T, N_JOINTS, 3))
    shift = style.sway_deg * D * np.sin(2 * np.pi * style.sway_hz * t + rng.uniform(0, 2 * np.pi))
    # weight over one foot: the pelvis tilts, the legs ab/adduct to keep the feet in place, the
    # trunk leans back over the pelvis
    out[:, PELVIS, 2] = shift
    for s in (1, -1):
        out[:, hip(s), 2] = -shift
    out[:, SPINE2, 2] = -0.7 * shift
    # the head looks around: two slow random components in yaw and pitch
    for axis in (1, 0):
        for _ in range(2):
            f = rng.uniform(0.1, 0.5)
            out[:, HEAD, axis] += 0.5 * style.head_deg * D * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    # arms drift a little
    for s in (1, -1):
        f = rng.uniform(0.1, 0.4)
        out[:, shoulder(s), 0] += rng.uniform(1.0, 3.0) * D * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return out
