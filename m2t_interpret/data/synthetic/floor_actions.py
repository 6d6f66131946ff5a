"""Floor and acrobatic actions: crawling, getting up from lying, a forward roll, a cartwheel and a
backflip — actions motion-capture collections hold that the standing primitives lack.

Each primitive makes a :class:`.primitives.Segment` as the others do (local rotation vectors,
sign conventions in :mod:`.primitives`). Row 0 of the rotations is the pelvis's orientation under
the heading: pitching it about X lies the body down (+90°: face down, −90°: face up) or turns it
over (a roll or a flip: a full 360°), rotating it about Z turns it like a wheel (a cartwheel). The
clip's floor model puts the lowest contact point (feet, knees, hands, elbows, pelvis, back, head)
on the floor and keeps it planted, so a planted hand, knee or shoulder carries the body along.
Single-axis pelvis turns are wrapped into (−π, π] (the same rotation) so that every segment ends
at exactly the rest pose the next action blends from.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from .kinematics import FPS, OFFSETS, forward_kinematics
from .primitives import (
    D, NECK, PELVIS, SPINE1, SPINE2, SPINE3, Segment, duration_frames, ankle, arm_pose, elbow, hip,
    keyframes, knee, leg_pose, shoulder, smoothstep, zero_pose,
)
from .spec import ActionSpec, pos_table

SIDES = (1, -1)
WHOLE = (1, 1, 1, 1, 1, 1)
_SPINE = ((SPINE1, 0.4), (SPINE2, 0.35), (SPINE3, 0.25))
G = 9.81


# --------------------------------------------------------------------------------------------
# posture helpers
# --------------------------------------------------------------------------------------------


def _body(pitch: float = 0.0, spine: float = 0.0, neck: float = 0.0) -> np.ndarray:
    """A pose with the pelvis pitched forward by ``pitch``° (+ tips the body forward), the spine
    flexed by ``spine``° (spread over its three joints) and the neck flexed by ``neck``°."""
    p = zero_pose()
    p[PELVIS, 0] = pitch * D
    for j, w in _SPINE:
        p[j, 0] = w * spine * D
    p[NECK, 0] = neck * D
    return p


def _legs(p: np.ndarray, hip_flex: float, knee_flex: float, ankle_plantar: float,
          abduct: float = 0.0) -> np.ndarray:
    for s in SIDES:
        leg_pose(p, s, hip_flex, knee_flex, ankle_plantar, abduct)
    return p


def _arms(p: np.ndarray, **kw: float) -> np.ndarray:
    for s in SIDES:
        arm_pose(p, s, **kw)
    return p


def _flat_foot(pitch: float, hip_flex: float, knee_flex: float) -> float:
    """Ankle plantar flexion that keeps the foot level (thigh, shin and pelvis pitch cancel)."""
    return hip_flex - knee_flex - pitch


def _squat(pitch: float, hip_flex: float, knee_flex: float) -> np.ndarray:
    """Crouch on flat feet with the pelvis pitched forward (hip flexion relative to the pelvis)."""
    return _legs(_body(pitch, 0.3 * pitch), hip_flex, knee_flex,
                 _flat_foot(pitch, hip_flex, knee_flex))


def _fours(pitch: float = 76.0) -> np.ndarray:
    """On hands and knees: torso near horizontal, thighs and arms vertical, shins on the floor."""
    spine = 6.0
    p = _body(pitch, spine, -35.0)  # the neck extends: the head looks ahead
    _legs(p, pitch, 92.0, 30.0)  # shins rise ~6° towards the feet: the knees carry the weight
    return _arms(p, flex=pitch + spine, elbow_flex=5.0)


def _side_lunge(p: np.ndarray, s: int, abduct: float, knee_flex: float) -> np.ndarray:
    """Leg of side ``s`` abducted by ``abduct``° and turned out 90° about its own axis, so that
    the knee bends ``knee_flex``° in the frontal plane (the shin comes back under the knee)."""
    p[hip(s)] = (Rotation.from_rotvec([0.0, 0.0, s * abduct * D])
                 * Rotation.from_rotvec([0.0, s * np.pi / 2, 0.0])).as_rotvec()
    p[knee(s)] = (knee_flex * D, 0.0, 0.0)
    p[ankle(s)] = 0.0
    return p


def _wrap_pelvis(rot: np.ndarray) -> np.ndarray:
    """Wrap the single-axis pelvis turn into (−π, π] (the same rotation; ends exactly at rest)."""
    rot[:, PELVIS] = np.where(np.abs(rot[:, PELVIS]) > np.pi,
                              rot[:, PELVIS] - 2 * np.pi * np.sign(rot[:, PELVIS]), rot[:, PELVIS])
    return rot


def _turn_profile(T: int, t0: float, t1: float, total: float) -> np.ndarray:
    """A smooth monotone turn of ``total`` radians between frames t0 and t1 (T,)."""
    return total * smoothstep((np.arange(T) - t0) / max(t1 - t0, 1.0))


def _lowest_depth(rot: np.ndarray) -> np.ndarray:
    """How far the lowest joint lies below the pelvis (T,), reference body, for flight heights."""
    return -forward_kinematics(rot, np.zeros(rot.shape[0]), OFFSETS)[..., 1].min(axis=1)


# --------------------------------------------------------------------------------------------
# crawl
# --------------------------------------------------------------------------------------------

#: Thigh and arm lengths of the reference body (hip → knee, shoulder → wrist), metres.
_THIGH, _ARM = 0.39, 0.52
#: Fraction of a crawl cycle a limb spends on the floor.
_DUTY = 0.6


def _limb_stroke(u: np.ndarray, amp: float, duty: float = _DUTY) -> tuple[np.ndarray, np.ndarray]:
    """Stroke angle (forward +) and swing lift of a limb at cycle phase ``u``: swing forward over
    the first 1 − ``duty`` of the cycle (smooth), stance backward over the rest at constant
    speed. A duty above
    one half overlaps the two diagonal pairs' stances, so the body is always carried."""
    u = np.mod(u, 1.0)
    swing = u < 1.0 - duty
    us = u / (1.0 - duty)
    # the forward stroke runs in the middle 70 % of the swing: the limb is off the floor before
    # it moves forward and has stopped before it touches down
    angle = np.where(swing, -amp + 2 * amp * smoothstep((us - 0.15) / 0.7),
                     amp - 2 * amp * (u - (1.0 - duty)) / duty)
    bump = np.where(swing, np.sin(np.pi * us), 0.0)
    return angle, bump


def crawl(rng: np.random.Generator, max_frames: int) -> Segment:
    """Down onto hands and knees, crawl forward with diagonal limb pairs, back up to standing."""
    down, up = duration_frames(rng, 0.6, 0.8, 40), duration_frames(rng, 0.7, 0.9, 40)
    T = min(max_frames, down + duration_frames(rng, 1.8, 2.2, 60) + up)
    speed = rng.uniform(0.3, 0.6)
    amp = rng.uniform(15.0, 22.0)  # thigh stroke either side of vertical, degrees
    # a limb sweeps 2·L·sin(amp) backward in its stance, which lasts _DUTY of a cycle
    freq = _DUTY * speed / (2 * _THIGH * np.sin(amp * D))
    pitch = rng.uniform(73.0, 77.0)  # the performer's trunk lean (style) adds a few degrees
    fours = _fours(pitch)
    mid = _arms(_legs(_body(35.0, 10.0), 70.0, 95.0, 40.0), flex=70.0, elbow_flex=20.0)
    a, b = down * 0.5, float(down)
    c, d = float(T - up), T - up * 0.45
    rot = keyframes(T, [0.0, a, b, c, d, T - 1.0],
                    [zero_pose(), mid, fours, fours, mid, zero_pose()])
    env = smoothstep((np.arange(T) - b + 4) / 6.0) * smoothstep((c + 2 - np.arange(T)) / 6.0)
    phase = freq * np.arange(T) / FPS + rng.uniform(0, 1)
    arm_amp = np.arcsin(_THIGH * np.sin(amp * D) / _ARM) / D  # hands sweep as far as knees
    roll = np.zeros(T)
    for s, off in ((1, 0.0), (-1, 0.5)):  # left knee with right hand, then the other pair
        ang, bump = _limb_stroke(phase + off, amp)
        rot[:, hip(s), 0] += -ang * D * env
        rot[:, hip(s), 2] += s * 8.0 * D * bump * env
        rot[:, knee(s), 0] += (ang + 20.0 * bump) * D * env
        ang_a, bump_a = _limb_stroke(phase + off, arm_amp)
        rot[:, shoulder(-s), 0] += -ang_a * D * env
        # the hand lifts straight up: the elbow bends and the shoulder extends by half as much
        rot[:, elbow(-s), 0] += -50.0 * D * bump_a * env
        rot[:, shoulder(-s), 0] += 25.0 * D * bump_a * env
        roll += s * bump * env
    # the pelvis rolls to lift the swinging knee's hip; the chest rolls back the other way to
    # lift the swinging hand's shoulder (the diagonal pair swings together)
    r_pel = rng.uniform(4.0, 6.0) * D * roll
    pelvis = Rotation.from_rotvec(rot[:, PELVIS]) * Rotation.from_rotvec(
        np.stack([np.zeros(T), r_pel, np.zeros(T)], 1))
    rot[:, PELVIS] = pelvis.as_rotvec()
    for j, w in _SPINE:
        rot[:, j, 1] += -w * 1.6 * r_pel
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"speed_mps": round(float(speed), 2), "cycle_hz": round(float(freq), 2),
                           "stroke_deg": round(float(amp), 1),
                           # the frames on all fours (an excerpt of the crawl is cut from them)
                           "steady": [int(np.ceil(b)) + 2, int(c)]})


# --------------------------------------------------------------------------------------------
# getting up
# --------------------------------------------------------------------------------------------


def _lying(face_up: bool, rng: np.random.Generator) -> np.ndarray:
    p = _body(-90.0 if face_up else 90.0)
    if face_up:
        _legs(p, rng.uniform(0, 10), rng.uniform(0, 15), 20.0)
        return _arms(p, abduct=rng.uniform(10, 30))
    _legs(p, 0.0, rng.uniform(0, 10), 70.0)  # feet pointed: the insteps on the floor
    # hands beside the shoulders, elbows out: ready to push up
    return _arms(p, flex=rng.uniform(20, 40), abduct=rng.uniform(50, 70), elbow_flex=110.0)


def get_up(rng: np.random.Generator, max_frames: int, face_up: bool) -> Segment:
    """From lying on the back (sit up, draw the feet in, rise) or on the front (push up onto
    hands and knees, sit back onto the feet, rise) to standing."""
    T = duration_frames(rng, 2.4, 3.6, max_frames)
    hold = rng.uniform(0.2, 0.4) * FPS
    crouch = _arms(_squat(35.0, 125.0, 135.0), flex=rng.uniform(60, 90), elbow_flex=20.0)
    if face_up:
        sit = _legs(_body(-35.0, 30.0, 10.0), 65.0, 25.0, 15.0)
        _arms(sit, flex=rng.uniform(40, 70), elbow_flex=15.0)
        tuck = _legs(_body(-5.0, 30.0, 10.0), 110.0, 140.0, 0.0)
        _arms(tuck, flex=80.0, elbow_flex=20.0)
        poses = [_lying(True, rng), _lying(True, rng), sit, tuck, crouch, zero_pose()]
    else:
        fours = _fours(rng.uniform(72.0, 78.0))
        kneel_back = _arms(_legs(_body(60.0, 15.0, -20.0), 130.0, 150.0, 60.0), flex=70.0)
        poses = [_lying(False, rng), _lying(False, rng), fours, kneel_back, crouch, zero_pose()]
    poses[1] = poses[0]
    rest = T - 1.0 - hold
    times = [0.0, hold] + [hold + rest * f for f in (0.28, 0.5, 0.72, 1.0)]
    rot = keyframes(T, times, poses)
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"start": "lying on the back" if face_up else "lying face down",
                           "rise_s": round(float(rest / FPS), 2)})


# --------------------------------------------------------------------------------------------
# forward roll
# --------------------------------------------------------------------------------------------


def roll(rng: np.random.Generator, max_frames: int) -> Segment:
    """Forward roll: squat, hands to the floor, tuck the head, roll over the back, come up into a
    squat and stand. The pelvis pitches forward through 360°."""
    T = duration_frames(rng, 2.4, 3.4, max_frames)
    t_sq = rng.uniform(0.45, 0.6) * FPS
    t_end = T - 1.0 - rng.uniform(0.55, 0.7) * FPS  # back in a squat
    tuck = _legs(_body(0.0, 45.0, 40.0), 125.0, 140.0, 30.0)
    _arms(tuck, flex=70.0, elbow_flex=90.0)
    reach = _arms(_squat(45.0, 120.0, 125.0), flex=rng.uniform(75, 95), elbow_flex=15.0)
    reach[NECK, 0] = 30.0 * D  # chin tucked
    rise = _arms(_squat(25.0, 120.0, 135.0), flex=rng.uniform(70, 90), elbow_flex=20.0)
    span = t_end - t_sq
    times = [0.0, t_sq, t_sq + 0.25 * span, t_sq + 0.8 * span, t_end, T - 1.0]
    rot = keyframes(T, times, [zero_pose(), reach, tuck, tuck, rise, zero_pose()])
    # the pelvis pitch: keyframed to the squat, then a smooth full turn over the back
    pitch = keyframes(T, times, [zero_pose(), reach, tuck, tuck, rise, zero_pose()])[:, PELVIS, 0]
    turn = _turn_profile(T, t_sq, t_end, 2 * np.pi)
    rot[:, PELVIS, 0] = pitch + turn
    _wrap_pelvis(rot)
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"kind": "forward", "roll_s": round(float(span / FPS), 2)})


# --------------------------------------------------------------------------------------------
# cartwheel
# --------------------------------------------------------------------------------------------


def cartwheel(rng: np.random.Generator, max_frames: int) -> Segment:
    """Arms up, then the body turns 360° about the forward axis like a wheel, travelling to its
    side: lead hand, other hand, other foot, lead foot; arms down. ``side`` +1 goes to the left."""
    s = int(rng.choice(SIDES))
    T = duration_frames(rng, 2.2, 3.2, max_frames)
    t_up = rng.uniform(0.35, 0.5) * FPS
    t_wheel = rng.uniform(1.1, 1.5) * FPS
    t0, t1 = t_up + 1.0, t_up + 1.0 + t_wheel
    spread = rng.uniform(30.0, 42.0)
    arms_up = rng.uniform(160, 172)
    star = _arms(_legs(zero_pose(), 0.0, 0.0, 10.0, abduct=spread), abduct=arms_up)
    # the lead foot steps out to the side (lifted on the way) while the arms go up
    ready = _arms(zero_pose(), abduct=arms_up)
    leg_pose(ready, s, 0.0, 0.0, 10.0, abduct=0.6 * spread)
    step = ready.copy()
    leg_pose(step, s, 35.0, 60.0, 10.0, abduct=0.6 * spread)
    # the leg on the floor side folds out at the hip and bends its knee sideways (a side
    # lunge), so a hand lands about a metre from the foot instead of a straight body's length;
    # the upper leg opens wider overhead
    fold, bend = rng.uniform(50.0, 60.0), rng.uniform(70.0, 90.0)
    lead_down, trail_down = star.copy(), star.copy()
    for pose, toward in ((lead_down, s), (trail_down, -s)):
        _side_lunge(pose, toward, spread + fold, bend)
        pose[hip(-toward), 2] = -toward * (spread + 15.0) * D
    span = t1 - t0
    # keys follow the turn: hands land near 120° (0.4 of the wheel), feet near 240° (0.6)
    times = [0.0, 0.5 * t_up, t_up] + [t0 + f * span for f in (0.15, 0.3, 0.42, 0.5, 0.58, 0.75)]
    rot = keyframes(T, times + [t1, T - 1.0 - 0.3 * FPS, T - 1.0],
                    [zero_pose(), step, ready, star, lead_down, lead_down, star, trail_down,
                     trail_down, star, _arms(zero_pose(), abduct=arms_up), zero_pose()])
    # rotation about +Z by a negative angle tips the body towards +X (its left)
    rot[:, PELVIS, 2] = _turn_profile(T, t0 - 3.0, t1 + 3.0, -s * 2 * np.pi)
    _wrap_pelvis(rot)
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"side": "left" if s > 0 else "right",
                           "wheel_s": round(float(t_wheel / FPS), 2)})


# --------------------------------------------------------------------------------------------
# backflip
# --------------------------------------------------------------------------------------------


def backflip(rng: np.random.Generator, max_frames: int) -> Segment:
    """Crouch with the arms back, jump, tuck and turn 360° backward about X in the air, land in
    a crouch and stand. The flight is a parabola (``lift``); the body drifts backward."""
    T = duration_frames(rng, 2.2, 3.0, max_frames)
    flight = rng.uniform(0.55, 0.7)
    t_crouch = rng.uniform(0.45, 0.6) * FPS
    # a frame budget too short for the whole flip plays it faster (a shorter, lower flight): the
    # landing and the 0.35 s back to standing must fit before the last frame
    k = min(1.0, (T - 1.0) / (t_crouch + 0.18 * FPS + flight * FPS + 0.35 * FPS))
    flight, t_crouch = flight * k, t_crouch * k
    t_take = t_crouch + 0.18 * FPS * k
    t_land = t_take + flight * FPS
    crouch = _squat(20.0, 75.0, 95.0)
    _arms(crouch, flex=-40.0, elbow_flex=10.0)
    takeoff = _legs(_body(-10.0), 0.0, 0.0, 25.0)
    _arms(takeoff, flex=rng.uniform(150, 170))
    tuck = _legs(_body(0.0, 25.0, 15.0), 115.0, 125.0, 20.0)
    _arms(tuck, flex=60.0, elbow_flex=70.0)
    land = _arms(_squat(20.0, 70.0, 90.0), flex=rng.uniform(40, 70), elbow_flex=20.0)
    times = [0.0, t_crouch, t_take, t_take + 0.3 * flight * FPS, t_land - 0.25 * flight * FPS,
             t_land + 0.15 * FPS * k, T - 1.0]
    rot = keyframes(T, times, [zero_pose(), crouch, takeoff, tuck, tuck, land, zero_pose()])
    rot[:, PELVIS, 0] += _turn_profile(T, t_take - 2.0, t_land + 1.0, -2 * np.pi)
    _wrap_pelvis(rot)
    # lift: the pelvis follows a ballistic arc from take-off to landing over the lowest joint
    i = np.arange(T, dtype=np.float64)
    depth = _lowest_depth(rot)
    air = (i > t_take) & (i < t_land)
    tau = (i - t_take) / FPS
    base = np.interp(i, [t_take, t_land], [depth[int(t_take)], depth[int(np.ceil(t_land))]])
    lift = np.where(air, np.maximum(0.0, base + 0.5 * G * tau * (flight - tau) - depth), 0.0)
    drift = rng.uniform(0.2, 0.6)  # metres travelled backward in the air
    n_air = max(int(air.sum()), 1)
    gain = np.where(air, 0.0, 1.0)  # no planted contact in the air
    return Segment(rot, np.zeros(T), lift, stride_gain=gain,  # type: ignore[arg-type]
                   advance=np.where(air, -drift / n_air, 0.0),
                   params={"flight_s": round(float(flight), 3),
                           "height_m": round(float(G * flight**2 / 8), 3)})


# --------------------------------------------------------------------------------------------
# catalogue entries (gathered by .actions), captions and words
# --------------------------------------------------------------------------------------------

FLOOR_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("crawl", WHOLE, crawl,
               "down onto hands and knees, crawls forward at 0.3–0.6 m/s with diagonal limb pairs "
               "(pelvis and chest rolling), back up to standing"),
    ActionSpec("get_up_faceup", WHOLE, lambda r, m: get_up(r, m, True),
               "from lying on the back: sits up, draws the feet in, rises to standing",
               first_only=True),
    ActionSpec("get_up_facedown", WHOLE, lambda r, m: get_up(r, m, False),
               "from lying face down: pushes up onto hands and knees, sits back, stands",
               first_only=True),
    ActionSpec("roll", WHOLE, roll,
               "forward roll: squat, hands down, head tucked, the body turns 360° forward over the "
               "back, up into a squat and standing"),
    ActionSpec("cartwheel", WHOLE, cartwheel,
               "arms up, the body turns 360° about the forward axis, hands then feet on the floor, "
               "travelling to its left or right"),
    ActionSpec("backflip", WHOLE, backflip,
               "crouch, jump, tucked 360° backward turn in a 0.55–0.7 s flight, landing crouch"),
)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "crawl": ("crawls forward", "crawls on his hands and knees", "crawls on all fours"),
    # "gets up" only: "stands up" names the legs (a squat's rise), getting up the whole body
    "get_up_faceup": ("gets up from the floor", "gets up off the ground", "gets up from the ground"),
    "get_up_facedown": ("gets up from the floor", "gets up off the floor",
                        "gets up from the ground"),
    "roll": ("rolls forward", "rolls on the floor", "does a forward roll"),
    "cartwheel": ("does a cartwheel", "cartwheels to the side", "does a cartwheel to the side"),
    "backflip": ("does a backflip", "flips backward", "does a back flip"),
}

WORDS: dict[str, str] = pos_table(
    "VERB crawls crawling rolls rolling cartwheels cartwheeling flips flipping",
    "NOUN cartwheel backflip flip roll floor ground side fours", "ADP from off",
)

GERUND: dict[str, str] = {
    "crawls": "crawling", "rolls": "rolling", "cartwheels": "cartwheeling", "flips": "flipping",
}
