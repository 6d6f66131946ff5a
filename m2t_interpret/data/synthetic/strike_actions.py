"""Strikes, spins and dancing: one-arm punches (jab, hook, uppercut), side and roundhouse kicks, a
spin kick, a spin in place and dance steps, with their catalogue entries and caption words.

Conventions and helpers are those of :mod:`.primitives` (local rotation vectors, ``s`` = +1 for
the left side and -1 for the right). Two more signs used here, checked with forward kinematics:
a spine rotation about +y turns the chest to the left (the right shoulder comes forward), and a
pelvis rotation about +z tilts the trunk to the subject's right (-X).

Whole-body balance is made by rotations alone; the clip keeps the lowest contact planted:

* a forward weight shift tilts both legs forward at the ankles (hips +x, ankles -x: feet flat), so
  the pelvis moves over the front of the feet;
* a sideways shift tilts both legs sideways at the hips (hips +z moves the pelvis to -X);
* a trunk lean away from a kicking leg is a pelvis roll with the standing hip rotated back by the
  same angle, so the standing leg stays upright.
"""

from __future__ import annotations

import numpy as np

from .kinematics import FPS, N_JOINTS
from .primitives import (
    D, HEAD, NECK, SPINE1, SPINE2, SPINE3, Segment, ankle, crouch_pose, duration_frames, gait, arm_pose, elbow,
    envelope, hip, keyframes, knee, leg_pose, shoulder, smoothstep, zero_pose,
)
from .spec import ActionSpec, pos_table

PELVIS_ROW = 0
_SPINE = ((SPINE1, 0.4), (SPINE2, 0.35), (SPINE3, 0.25))


#: Share of jabs and hooks that step forward first (as boxers and motion-capture performers do).
STEP_SHARE = 0.35


def _side_name(s: int) -> str:
    return "left" if s > 0 else "right"


# --------------------------------------------------------------------------------------------
# pose builders (each adds to a (22, 3) pose and returns it)
# --------------------------------------------------------------------------------------------


def _guard(p: np.ndarray, sides: tuple[int, ...], flex: float, elbow_flex: float) -> np.ndarray:
    """Fists up in front of the chin, elbows down (a boxing guard)."""
    for s in sides:
        arm_pose(p, s, flex=flex, adduct_h=12.0, elbow_flex=elbow_flex)
    return p


def _spine(p: np.ndarray, twist: float = 0.0, flex: float = 0.0, side: float = 0.0) -> np.ndarray:
    """Spread a twist (+ = chest to the left), a forward bend and a side bend (+z) over the spine."""
    for j, w in _SPINE:
        p[j] += (w * flex * D, w * twist * D, w * side * D)
    return p


def _shift(p: np.ndarray, forward: float = 0.0, sideways: float = 0.0) -> np.ndarray:
    """Tilt both legs at the ankles so the pelvis moves over the feet (degrees; sideways + = -X)."""
    for s in (1, -1):
        p[hip(s)] += (forward * D, 0.0, sideways * D)
        p[ankle(s)] += (-forward * D, 0.0, -sideways * D)
    return p


def _lean_over(p: np.ndarray, s_stand: int, lean: float) -> np.ndarray:
    """Tilt the pelvis and trunk over the standing leg ``s_stand`` by ``lean`` degrees.

    A pelvis roll about +z of ``-s_stand·lean`` moves the trunk towards the standing side; the
    standing hip takes the opposite roll so that leg stays upright."""
    p[PELVIS_ROW, 2] += -s_stand * lean * D
    p[hip(s_stand), 2] += s_stand * lean * D
    return p


def _soft_knee(p: np.ndarray, s: int, k: float) -> np.ndarray:
    """Bend knee ``s`` by ``k`` degrees with the foot kept flat under the hip."""
    p[knee(s), 0] += k * D
    p[hip(s), 0] += -0.6 * k * D
    p[ankle(s), 0] += -0.4 * k * D
    return p


def _foot_up(p: np.ndarray, s: int, a: float) -> np.ndarray:
    """Lift foot ``s`` straight up, flat: hip flexion a, knee 2a, ankle -a (thigh and shin tilt
    alike, so the foot does not slide along the floor while it is still the lowest contact)."""
    p[hip(s), 0] += -a * D
    p[knee(s), 0] += 2 * a * D
    p[ankle(s), 0] += -a * D
    return p


def _unweight(s: int) -> np.ndarray:
    """The first move of a kick with leg ``s``: the weight goes over the other leg and the kicking
    foot comes just off the floor (so the standing foot is the one the clip keeps planted)."""
    p = _foot_up(_shift(zero_pose(), sideways=s * 4.0), s, 25.0)
    return _soft_knee(p, -s, 8.0)


def _squeeze(T: int, times: list[float]) -> list[float]:
    """Keyframe times that end in the rest pose at T-2 with at least 0.3 s to get there: a segment
    cut short by the clip's frame budget plays its keyframes faster instead of losing them."""
    last = T - 2.0 - 0.3 * FPS
    k = min(1.0, last / times[-1]) if times[-1] > 0 else 1.0
    return [t * k for t in times] + [T - 2.0]


# --------------------------------------------------------------------------------------------
# punches with one arm
# --------------------------------------------------------------------------------------------

PUNCH_KINDS = ("jab", "hook", "uppercut")


def _strike_pose(rng: np.random.Generator, kind: str, s: int, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(load, hit) poses of arm ``s`` for one punch of ``kind`` on top of the guard ``base``."""
    load, hit = base.copy(), base.copy()
    twist = rng.uniform(18, 30)
    if kind == "jab":
        arm_pose(hit, s, flex=rng.uniform(82, 95), adduct_h=rng.uniform(10, 20),
                 elbow_flex=rng.uniform(0, 10))
        _spine(load, twist=s * 5.0)
        _spine(hit, twist=-s * twist, flex=rng.uniform(3, 8))
        _shift(hit, forward=rng.uniform(2, 4))
    elif kind == "hook":
        arm_pose(load, s, flex=25, abduct=80, adduct_h=rng.uniform(15, 25), elbow_flex=90,
                 elbow_up=30)
        arm_pose(hit, s, flex=rng.uniform(25, 35), abduct=80, adduct_h=rng.uniform(35, 45),
                 elbow_flex=95, elbow_up=40)
        _spine(load, twist=s * rng.uniform(10, 18))
        _spine(hit, twist=-s * (twist + 12), flex=4)
        _shift(load, sideways=s * 1.5)
        _shift(hit, sideways=-s * rng.uniform(1.5, 3))
    else:  # uppercut: dip with the fist low, then drive it up in front of the chin
        arm_pose(load, s, flex=rng.uniform(-5, 5), adduct_h=10, elbow_flex=rng.uniform(75, 90))
        arm_pose(hit, s, flex=rng.uniform(75, 90), adduct_h=rng.uniform(10, 20),
                 elbow_flex=rng.uniform(100, 115))
        dip = rng.uniform(8, 14)
        load += crouch_pose(0.8 * dip, 1.6 * dip)
        _spine(load, twist=s * 10.0, flex=8, side=-s * 5.0)
        _spine(hit, twist=-s * twist, flex=-3)
    return load, hit


def strike(rng: np.random.Generator, max_frames: int, s: int, kind: str) -> Segment:
    """1–3 punches of one ``kind`` with arm ``s`` from a boxing guard; the other arm keeps guard.

    Each punch: a short load (the torso winds the other way), the strike (the torso twists into
    it, the weight shifts), the return to guard."""
    reps = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2])) if kind == "jab" else int(
        rng.choice([1, 2], p=[0.6, 0.4]))
    # some jabs and hooks first step forward with the guard up (STEP_SHARE); the steps are a gait
    cadence = rng.uniform(100, 125)
    # 1–3 whole steps (the feet together at both ends, so the body only moves forward), plus 4
    # frames for the gait's ramps
    n_step = int(round(int(rng.choice([1, 2, 3], p=[0.2, 0.5, 0.3])) * 60.0 / cadence * FPS)) + 4 \
        if kind != "uppercut" and rng.random() < STEP_SHARE else 0
    if max_frames - n_step < 1.8 * FPS:
        n_step = 0
    max_frames -= n_step
    reps = max(1, min(reps, int((max_frames / FPS - 1.2) / 0.6)))  # what the frame budget holds
    base = _guard(zero_pose(), (1, -1), rng.uniform(40, 55), rng.uniform(105, 125))
    base += crouch_pose(rng.uniform(3, 8), rng.uniform(5, 12))  # soft knees of a fighting stance
    up = rng.uniform(0.3, 0.45) * FPS
    if n_step:  # the guard is already up when the steps end
        t = 1.0 + rng.uniform(0.05, 0.2) * FPS
        times, poses = [0.0, 1.0], [base, base]
    else:
        t = 1.0 + up + rng.uniform(0.1, 0.4) * FPS
        times, poses = [0.0, 1.0, 1.0 + up], [zero_pose(), zero_pose(), base]
    for _ in range(reps):
        load, hit = _strike_pose(rng, kind, s, base)
        t_load = rng.uniform(0.12, 0.2) * FPS if kind != "jab" else rng.uniform(0.06, 0.1) * FPS
        t_hit = rng.uniform(0.12, 0.18) * FPS
        t_back = rng.uniform(0.2, 0.3) * FPS
        times += [t + t_load, t + t_load + t_hit, t + t_load + t_hit + 1.0, t + t_load + t_hit + 1.0 + t_back]
        poses += [load, hit, hit, base]
        t = times[-1] + rng.uniform(0.1, 0.3) * FPS
    times += [t + rng.uniform(0.0, 0.2) * FPS]
    poses += [base, zero_pose()]
    T = min(max_frames, int(np.ceil(times[-1] + rng.uniform(0.35, 0.45) * FPS)) + 2)
    times = _squeeze(T, times)
    rot = keyframes(T, times, poses)
    params = {"side": _side_name(s), "kind": kind, "reps": reps}
    if n_step:
        rot = np.concatenate([_guarded_steps(rng, n_step, base, cadence), rot])
        params["steps"] = True
        params["step_s"] = round(n_step / FPS, 2)
    # the stride gain only moves the body while the legs step (the strike's stance barely shifts)
    return Segment(rot, np.zeros(len(rot)), np.zeros(len(rot)), stride_gain=1.18 if n_step else 1.0,
                   params=params, also_active=STEP_PARTS if n_step else None)


#: Parts the steps before a punch move, beside the punching arm (root, left leg, right leg).
STEP_PARTS = (1, 0, 0, 0, 1, 1)


def _guarded_steps(rng: np.random.Generator, n: int, guard: np.ndarray, cadence: float) -> np.ndarray:
    """(n, 22, 3) rotations: walking steps forward while the arms come up into ``guard`` (within
    0.3 s); the legs settle into the guard's stance over the last frames. The gait starts with
    the feet together (phase 0.25), so no foot pushes the body backward while it ramps up."""
    rot, _ = gait(n, rng, cadence=cadence, hip_amp=rng.uniform(18, 26),
                  hip_mean=rng.uniform(6, 11), knee_swing=rng.uniform(52, 64),
                  knee_stance=rng.uniform(8, 18), arm_swing=rng.uniform(0, 4), elbow_bend=0.0,
                  twist=rng.uniform(2, 6), ramp=5, phase0=0.25)
    legs = np.zeros_like(guard)
    for side in (1, -1):
        for j in (hip(side), knee(side), ankle(side)):
            legs[j] = guard[j]
    arms_in = smoothstep(np.clip(np.arange(n) / (0.3 * FPS), 0.0, 1.0))[:, None, None]
    legs_in = smoothstep(np.clip((np.arange(n) - (n - 6)) / 5.0, 0.0, 1.0))[:, None, None]
    return rot + arms_in * (guard - legs) + legs_in * legs


# --------------------------------------------------------------------------------------------
# kicks
# --------------------------------------------------------------------------------------------


def _balance_arms(p: np.ndarray, s_kick: int, rng: np.random.Generator) -> np.ndarray:
    """Arms for balance during a kick: the standing side's arm out, the kicking side's arm low."""
    arm_pose(p, -s_kick, flex=rng.uniform(20, 40), abduct=rng.uniform(40, 60), elbow_flex=60)
    arm_pose(p, s_kick, flex=rng.uniform(20, 35), adduct_h=25, elbow_flex=rng.uniform(70, 100))
    return p


def side_kick(rng: np.random.Generator, max_frames: int, s: int) -> Segment:
    """Leg ``s`` chambers (knee up and across), drives out to the side, rechambers, comes down; the
    trunk leans over the standing leg and the arms balance."""
    T = duration_frames(rng, 1.7, 2.5, max_frames)
    lean = rng.uniform(18, 28)
    chamber = leg_pose(zero_pose(), s, rng.uniform(70, 85), rng.uniform(95, 110), 10,
                       abduct=rng.uniform(10, 20))
    _lean_over(chamber, -s, 0.4 * lean)
    _balance_arms(chamber, s, rng)
    # the leg ends 70–88° from vertical (near hip height): the pelvis roll gives ``lean`` of it
    ext = leg_pose(zero_pose(), s, rng.uniform(0, 12), rng.uniform(0, 8), -10,
                   abduct=rng.uniform(70, 88) - lean)
    ext[hip(s), 1] += -s * 20 * D  # hip turned in: the heel leads, toes point forward
    _lean_over(ext, -s, lean)
    _spine(ext, side=-s * rng.uniform(5, 10))
    _balance_arms(ext, s, rng)
    for p in (chamber, ext):  # the standing knee stays soft
        _soft_knee(p, -s, 12.0)
    t_l = 1.0 + rng.uniform(0.12, 0.18) * FPS
    t_c = t_l + rng.uniform(0.2, 0.3) * FPS
    t_e = t_c + rng.uniform(0.15, 0.22) * FPS
    t_h = t_e + rng.uniform(0.1, 0.25) * FPS
    t_b = t_h + 0.25 * FPS
    rot = keyframes(T, _squeeze(T, [0.0, 1.0, t_l, t_c, t_e, t_h, t_b]),
                    [zero_pose(), zero_pose(), _unweight(s), chamber, ext, ext, chamber, zero_pose()])
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"side": _side_name(s), "lean_deg": round(lean, 1)})


def _roundhouse_poses(rng: np.random.Generator, s: int, lean: float) -> tuple[np.ndarray, np.ndarray]:
    """(chamber, extension) of a roundhouse kick with leg ``s``: the thigh raised to the side, the
    shin folded behind, then snapped straight."""
    abd = rng.uniform(60, 72)
    chamber = leg_pose(zero_pose(), s, rng.uniform(20, 35), rng.uniform(105, 120), 20, abduct=abd)
    ext = leg_pose(zero_pose(), s, rng.uniform(20, 35), rng.uniform(5, 15), 25, abduct=abd + 5)
    for p in (chamber, ext):
        _lean_over(p, -s, lean)
        _spine(p, side=-s * 8.0)
        _balance_arms(p, s, rng)
    return chamber, ext


def roundhouse_kick(rng: np.random.Generator, max_frames: int, s: int) -> Segment:
    """The standing foot pivots (the body turns 50–80° away from the kicking leg), the thigh comes
    up to the side with the knee bent, the shin snaps out, then everything returns."""
    T = duration_frames(rng, 1.8, 2.6, max_frames)
    lean = rng.uniform(15, 25)
    chamber, ext = _roundhouse_poses(rng, s, lean)
    pivot = rng.uniform(50, 80)
    t_l = 1.0 + rng.uniform(0.12, 0.18) * FPS
    t_c = t_l + rng.uniform(0.25, 0.35) * FPS
    t_e = t_c + rng.uniform(0.12, 0.18) * FPS
    t_b = t_e + rng.uniform(0.2, 0.3) * FPS
    t_r = t_b + rng.uniform(0.25, 0.35) * FPS
    times = _squeeze(T, [0.0, 1.0, t_l, t_c, t_e, t_b, t_r])
    rot = keyframes(T, times, [zero_pose(), zero_pose(), _unweight(s), chamber, ext, chamber,
                               _unweight(s), zero_pose()])
    # the pivot turns only while the kicking foot is off the floor
    turned = np.full((N_JOINTS, 3), -s * pivot * D)
    yaw = keyframes(T, [times[k] for k in (0, 2, 3, 5, 6)],
                    [zero_pose(), zero_pose(), turned, turned, zero_pose()])
    return Segment(rot, yaw[:, 0, 0], np.zeros(T),
                   params={"side": _side_name(s), "pivot_deg": round(pivot, 1)})


# --------------------------------------------------------------------------------------------
# spins
# --------------------------------------------------------------------------------------------


def _turn_profile(T: int, start: float, stop: float, angle: float) -> np.ndarray:
    """Yaw that goes smoothly from 0 to ``angle`` radians between frames ``start`` and ``stop``."""
    i = np.arange(T, dtype=np.float64)
    return angle * smoothstep((i - start) / max(stop - start, 1.0))


def spin_kick(rng: np.random.Generator, max_frames: int) -> Segment:
    """A full turn on one foot towards the kicking leg's side while that leg swings out straight
    (a spinning heel kick); the arms tuck in, then open for balance. Either leg."""
    s = int(rng.choice([1, -1]))
    T = duration_frames(rng, 1.5, 2.2, max_frames)
    turn_s = rng.uniform(0.8, 1.1) * FPS
    t0 = rng.uniform(0.2, 0.35) * FPS
    t1 = min(t0 + turn_s, T - 0.3 * FPS)
    lean = rng.uniform(15, 25)
    coil = _guard(crouch_pose(15, 25), (1, -1), 60, 110)
    _foot_up(coil, s, 20.0)
    _shift(coil, sideways=s * 6.0)  # the pelvis over the standing foot: the turn's axis
    ext = leg_pose(zero_pose(), s, rng.uniform(10, 25), rng.uniform(0, 10), 20,
                   abduct=rng.uniform(55, 70))
    _lean_over(ext, -s, lean)
    _shift(ext, sideways=s * 6.0)
    _spine(ext, side=-s * 8.0)
    _balance_arms(ext, s, rng)
    _soft_knee(ext, -s, 15.0)
    span = t1 - t0
    times = [0.0, 1.0, t0, t0 + 0.35 * span, t0 + 0.7 * span, t1, T - 2.0]
    poses = [zero_pose(), zero_pose(), coil, ext, ext, coil, zero_pose()]
    rot = keyframes(T, times, poses)
    yaw = _turn_profile(T, t0, t1, s * 2 * np.pi)
    return Segment(rot, yaw, np.zeros(T),
                   params={"side": _side_name(s), "turn_deg": round(float(s * 360.0), 1)})


def spin(rng: np.random.Generator, max_frames: int) -> Segment:
    """A fast full turn on the spot (0.8–1.6 s): on the ball of one foot with the other knee up and
    the arms in or out, or in quick small steps."""
    sign = float(rng.choice([-1.0, 1.0]))
    turn_s = rng.uniform(0.8, 1.6)
    lead, trail = rng.uniform(0.2, 0.35) * FPS, rng.uniform(0.2, 0.35) * FPS
    T = min(max_frames, int(round(lead + turn_s * FPS + trail)) + 2)
    style = str(rng.choice(["pivot", "steps"]))
    if style == "pivot":
        s = int(rng.choice([1, -1]))  # the raised leg
        up = zero_pose()
        leg_pose(up, s, rng.uniform(45, 70), rng.uniform(85, 110), 20, abduct=rng.uniform(25, 45))
        up[ankle(-s), 0] += rng.uniform(15, 25) * D  # up on the ball of the standing foot
        _shift(up, sideways=s * 6.0)  # the pelvis over the standing foot: the turn's axis
        if rng.random() < 0.5:
            _guard(up, (1, -1), 75, 95)
            for a in (1, -1):
                up[shoulder(a), 1] += -a * 35 * D  # hands together in front of the chest
        else:
            for a in (1, -1):
                arm_pose(up, a, flex=rng.uniform(10, 25), abduct=rng.uniform(60, 80), elbow_flex=20)
        rot = keyframes(T, [0.0, 1.0, lead, T - trail, T - 2.0],
                        [zero_pose(), zero_pose(), up, up, zero_pose()])
        gain = 1.0
    else:
        rot, _ = gait(T, rng, cadence=rng.uniform(160, 190), hip_amp=8.0, hip_mean=12.0,
                       knee_swing=rng.uniform(35, 45), knee_stance=5.0, arm_swing=0.0,
                       elbow_bend=0.0, ramp=4)
        arms = _guard(zero_pose(), (1, -1), 40, 90)
        rot += arms * envelope(T, 5)[:, None, None]
        gain = 0.5
    yaw = _turn_profile(T, lead - 1.0, T - trail, sign * 2 * np.pi)
    return Segment(rot, yaw, np.zeros(T), stride_gain=gain,
                   params={"style": style, "turn_deg": round(float(sign * 360.0), 1),
                           "turn_s": round(turn_s, 2)})


# --------------------------------------------------------------------------------------------
# dance
# --------------------------------------------------------------------------------------------

DANCE_ARMS = ("swing", "raised", "pump")


def _dance_arms(rng: np.random.Generator, style: str, phase: np.ndarray, sway: np.ndarray,
                rot: np.ndarray) -> None:
    """Add the arm motion of one dance ``style`` (phase in beats, sway in [-1, 1])."""
    beat = 2 * np.pi * phase
    for s in (1, -1):
        if style == "swing":  # arms swing forward and back in turn, elbows bent
            amp = rng.uniform(25, 40)
            rot[:, shoulder(s), 0] += -(15 + amp * s * np.sin(beat / 2)) * D
            rot[:, elbow(s), 0] += -rng.uniform(60, 90) * D
        elif style == "raised":  # both arms up, swaying side to side with the hips
            rot[:, shoulder(s), 0] += -rng.uniform(130, 155) * D
            rot[:, shoulder(s), 2] += (s * rng.uniform(10, 25) + 15 * sway) * D
            rot[:, elbow(s), 0] += -rng.uniform(10, 30) * D
        else:  # pump: fists punch up on the beat
            pump = 0.5 - 0.5 * np.cos(beat)
            rot[:, shoulder(s), 0] += -(60 + 60 * pump) * D
            rot[:, shoulder(s), 2] += s * 15 * D
            rot[:, elbow(s), 0] += -(100 - 60 * pump) * D


def dance(rng: np.random.Generator, max_frames: int, around: bool) -> Segment:
    """Rhythmic dancing at 1.5–2.5 steps a second: a knee bounce on every beat, the weight swaying
    from foot to foot while the free foot taps (in front or out to the side), hips and shoulders
    swaying against each other, a head nod and one of three arm styles. ``around``: the dancer
    also turns 120–300° over the segment."""
    T = duration_frames(rng, 2.2, 4.0, max_frames)
    beat_hz = rng.uniform(1.5, 2.5)
    t = np.arange(T) / FPS
    phase = beat_hz * t + rng.uniform(0, 1)
    beat = 2 * np.pi * phase
    env = envelope(T, 6)
    rot = np.zeros((T, N_JOINTS, 3))
    bounce = rng.uniform(8, 18) * (0.5 - 0.5 * np.cos(beat))
    sway = np.sin(beat / 2)  # one side per beat
    shift = rng.uniform(4, 8) * sway
    tap = str(rng.choice(["front", "side"]))
    for s in (1, -1):
        rot[:, hip(s), 0] += -0.5 * bounce * D  # bent knees with flat feet
        rot[:, knee(s), 0] += bounce * D
        rot[:, ankle(s), 0] += -0.5 * bounce * D
        rot[:, hip(s), 2] += shift * D  # weight over one foot (hips +z → pelvis to -X)
        rot[:, ankle(s), 2] += -shift * D
        # the foot without weight taps: the left foot is free while the pelvis is over the right
        free = np.clip(s * sway, 0.0, None) ** 2
        lift = rng.uniform(15, 25) * free
        rot[:, hip(s), 0] += -lift * D
        rot[:, knee(s), 0] += 2 * lift * D
        rot[:, ankle(s), 0] += 0.5 * lift * D
        if tap == "side":
            rot[:, hip(s), 2] += s * 0.8 * lift * D
    for j, w in _SPINE:  # shoulders sway against the hips, a small twist
        rot[:, j, 2] += w * -1.6 * shift * D
        rot[:, j, 1] += w * rng.uniform(8, 15) * np.sin(beat / 2 + 0.5) * D
    rot[:, NECK, 0] += rng.uniform(5, 10) * np.sin(beat) * D
    rot[:, HEAD, 2] += 4 * sway * D
    arms = str(rng.choice(DANCE_ARMS))
    _dance_arms(rng, arms, phase, sway, rot)
    rot *= env[:, None, None]
    params = {"beat_hz": round(beat_hz, 2), "arms": arms, "tap": tap}
    yaw = np.zeros(T)
    if around:
        turn = float(rng.choice([-1.0, 1.0])) * rng.uniform(120, 300)
        yaw = turn * D * smoothstep(np.linspace(-0.1, 1.1, T))
        params["turn_deg"] = round(turn, 1)
    return Segment(rot, yaw, np.zeros(T), stride_gain=0.6, params=params)


# --------------------------------------------------------------------------------------------
# catalogue entries and words
# --------------------------------------------------------------------------------------------

ALL = (1, 1, 1, 1, 1, 1)
LOCO = (1, 0, 1, 1, 1, 1)
RIGHT_ARM, LEFT_ARM = (0, 0, 1, 0, 0, 0), (0, 0, 0, 1, 0, 0)
RIGHT_LEG, LEFT_LEG = (0, 0, 0, 0, 1, 0), (0, 0, 0, 0, 0, 1)


def _pair(name: str, make, active_l: tuple, active_r: tuple, what: str) -> list[ActionSpec]:
    """The left and right action of one strike (mirrors of each other)."""
    return [ActionSpec(f"{name}_left", active_l, lambda r, m: make(r, m, 1), what.format(side="left"),
                       mirror=f"{name}_right"),
            ActionSpec(f"{name}_right", active_r, lambda r, m: make(r, m, -1),
                       what.format(side="right"), mirror=f"{name}_left")]


STRIKE_ACTIONS: list[ActionSpec] = [
    *_pair("jab", lambda r, m, s: strike(r, m, s, "jab"), LEFT_ARM, RIGHT_ARM,
           "guard, then 1–3 straight punches with the {side} fist; the torso twists into each"),
    *_pair("hook", lambda r, m, s: strike(r, m, s, "hook"), LEFT_ARM, RIGHT_ARM,
           "guard, then 1–2 hooks: the {side} elbow up, the fist sweeps across with the torso"),
    *_pair("uppercut", lambda r, m, s: strike(r, m, s, "uppercut"), LEFT_ARM, RIGHT_ARM,
           "guard, then 1–2 uppercuts: a dip, the {side} fist drives up in front of the chin"),
    *_pair("side_kick", side_kick, LEFT_LEG, RIGHT_LEG,
           "the {side} leg chambers and drives out to the side; the trunk leans away"),
    *_pair("roundhouse_kick", roundhouse_kick, LEFT_LEG, RIGHT_LEG,
           "pivot on the standing foot, the {side} thigh comes up sideways and the shin snaps out"),
    ActionSpec("spin_kick", ALL, spin_kick,
               "a full turn on one foot while the other leg swings out straight (either leg)"),
    ActionSpec("spin", LOCO, spin, "a fast 360° turn on the spot in 0.8–1.6 s (either direction)"),
    ActionSpec("dance", ALL, lambda r, m: dance(r, m, False),
               "dancing in place at 1.5–2.5 steps/s: bounce, sway, foot taps, arm moves"),
    ActionSpec("dance_around", ALL, lambda r, m: dance(r, m, True),
               "dancing while turning 120–300° over the segment"),
]

#: Caption templates of these actions (the first word is always the verb).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "jab_left": ("punches with the left hand", "jabs with his left hand", "punches with his left arm"),
    "jab_right": ("punches with the right hand", "jabs with his right hand",
                  "punches with his right arm"),
    "hook_left": ("does a hook with the left hand", "punches a hook with his left hand",
                  "swings a hook with the left arm"),
    "hook_right": ("does a hook with the right hand", "punches a hook with his right hand",
                   "swings a hook with the right arm"),
    "step_jab_left": ("steps forward and punches with the left hand",
                      "steps forward and jabs with his left hand", "punches with his left arm"),
    "step_jab_right": ("steps forward and punches with the right hand",
                       "steps forward and jabs with his right hand", "punches with his right arm"),
    "step_hook_left": ("steps forward and does a hook with the left hand",
                       "steps forward and punches a hook with his left hand",
                       "swings a hook with the left arm"),
    "step_hook_right": ("steps forward and does a hook with the right hand",
                        "steps forward and punches a hook with his right hand",
                        "swings a hook with the right arm"),
    "uppercut_left": ("does an uppercut with the left hand", "punches upward with his left hand",
                      "does an uppercut with his left arm"),
    "uppercut_right": ("does an uppercut with the right hand", "punches upward with his right hand",
                       "does an uppercut with his right arm"),
    "side_kick_left": ("kicks to the side with the left leg", "does a side kick with his left leg",
                       "kicks sideways with the left foot"),
    "side_kick_right": ("kicks to the side with the right leg", "does a side kick with his right leg",
                        "kicks sideways with the right foot"),
    "roundhouse_kick_left": ("does a roundhouse kick with the left leg",
                             "does a roundhouse with his left leg",
                             "kicks a roundhouse with the left foot"),
    "roundhouse_kick_right": ("does a roundhouse kick with the right leg",
                              "does a roundhouse with his right leg",
                              "kicks a roundhouse with the right foot"),
    "spin_kick": ("does a spin kick", "spins and kicks", "does a spinning kick"),
    "spin": ("spins around", "spins in place", "does a spin"),
    "dance": ("dances", "dances in place", "does a dance"),
    "dance_around": ("dances around", "dances and turns around", "dances around in place"),
}

#: Universal POS of the words these templates add.
WORDS: dict[str, str] = pos_table(
    "VERB jabs jabbing swings swinging spins spinning dances dancing", "DET an",
    "NOUN hook uppercut kick roundhouse spin dance side", "ADV upward sideways",
)

#: -ing forms of the new verbs.
GERUND: dict[str, str] = {
    "jabs": "jabbing", "swings": "swinging", "spins": "spinning", "dances": "dancing",
}
