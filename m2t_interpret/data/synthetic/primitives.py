"""Action primitives: each makes a short track of local joint rotations (plus yaw and lift).

A primitive returns a :class:`Segment` whose rotations start and end at the rest pose (except
``sit_down`` and ``kneel``, which end in their final posture and therefore only close a clip).
Parts that an action leaves still stay at the rest pose; the clip adds a tiny smooth noise to
every joint. Root translation is not made here: the clip derives it from the feet (see
:mod:`.clip`).

Sign conventions of the local rotation vectors (rest frames equal the world frame, subject
facing +Z, left = +X); ``s`` is +1 for the left side and -1 for the right side:

* hip flexion (thigh forward): x = -angle; knee flexion (shin back): x = +angle;
  ankle plantar flexion (toes down): x = +angle.
* shoulder flexion (arm raised in front): x = -angle; abduction (arm out to the side):
  z = s·angle; horizontal adduction (arm towards the midline): y = -s·angle.
* elbow flexion: x = -angle (arm hanging); spine flexion (bend forward): x = +angle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .kinematics import FPS, N_JOINTS

D = np.pi / 180.0

PELVIS, L_HIP, R_HIP, SPINE1, L_KNEE, R_KNEE, SPINE2, L_ANKLE, R_ANKLE, SPINE3 = range(10)
L_FOOT, R_FOOT, NECK, L_COLLAR, R_COLLAR, HEAD, L_SHOULDER, R_SHOULDER = range(10, 18)
L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = range(18, 22)


def _sided(name: str, left: int, right: int) -> Callable[[int], int]:
    """The function ``name(s: int) -> int``: the joint's index on side ``s`` (+1 left, else right)."""

    def joint(s: int) -> int:
        return left if s > 0 else right

    joint.__name__ = joint.__qualname__ = name
    joint.__doc__ = f"The {name} joint's index on side ``s`` (+1 left, otherwise right)."
    return joint


hip, knee, ankle = _sided("hip", L_HIP, R_HIP), _sided("knee", L_KNEE, R_KNEE), _sided("ankle", L_ANKLE, R_ANKLE)
shoulder, elbow, wrist = (_sided("shoulder", L_SHOULDER, R_SHOULDER), _sided("elbow", L_ELBOW, R_ELBOW),
                          _sided("wrist", L_WRIST, R_WRIST))


@dataclass
class Segment:
    """The motion of one action: per-frame local rotations, yaw change and extra height."""

    rot: np.ndarray  # (T, 22, 3) local rotation vectors
    dyaw: np.ndarray  # (T,) yaw relative to the segment start, radians (+ turns left)
    lift: np.ndarray  # (T,) extra pelvis height above foot contact (jumps), metres
    stride_gain: float = 1.0  # scales the foot-locked root velocity (flight phases of a jog)
    params: dict = field(default_factory=dict)
    # (T,) extra travel along the heading, metres per frame (flight of a forward jump), or None
    advance: np.ndarray | None = None
    # parts this instance moves beside its action's (six 0/1 flags, checkpoint order), or None: a
    # punch that steps forward first also moves the root and legs
    also_active: tuple[int, ...] | None = None

    @property
    def n_frames(self) -> int:
        return int(self.rot.shape[0])


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (x * (6.0 * x - 15.0) + 10.0)  # zero 1st and 2nd derivatives at ends


def envelope(T: int, ramp: int) -> np.ndarray:
    """0 → 1 → 0 over T frames with smooth ramps of ``ramp`` frames (exactly 0 at both ends)."""
    i = np.arange(T, dtype=np.float64)
    ramp = max(1, min(ramp, (T - 1) // 2))
    return smoothstep(i / ramp) * smoothstep((T - 1 - i) / ramp)


def keyframes(T: int, times: list[float], poses: list[np.ndarray]) -> np.ndarray:
    """Smoothstep interpolation of (22, 3) rotation poses at frame ``times`` → (T, 22, 3)."""
    i = np.arange(T, dtype=np.float64)
    out = np.empty((T, N_JOINTS, 3))
    out[:] = poses[0]
    for (t0, p0), (t1, p1) in zip(zip(times[:-1], poses[:-1]), zip(times[1:], poses[1:])):
        m = (i >= t0) & (i <= t1)
        w = smoothstep((i[m] - t0) / max(t1 - t0, 1e-9))[:, None, None]
        out[m] = p0 + w * (p1 - p0)
    out[i > times[-1]] = poses[-1]
    return out


def zero_pose() -> np.ndarray:
    return np.zeros((N_JOINTS, 3))


def leg_pose(p: np.ndarray, s: int, hip_flex: float, knee_flex: float, ankle_plantar: float,
             abduct: float = 0.0) -> np.ndarray:
    p[hip(s)] = (-hip_flex * D, 0.0, s * abduct * D)
    p[knee(s)] = (knee_flex * D, 0.0, 0.0)
    p[ankle(s)] = (ankle_plantar * D, 0.0, 0.0)
    return p


def arm_pose(p: np.ndarray, s: int, flex: float = 0.0, abduct: float = 0.0, adduct_h: float = 0.0,
             elbow_flex: float = 0.0, elbow_up: float = 0.0) -> np.ndarray:
    p[shoulder(s)] = (-flex * D, -s * adduct_h * D, s * abduct * D)
    p[elbow(s)] = (-elbow_flex * D, 0.0, s * elbow_up * D)
    return p


def duration_frames(rng: np.random.Generator, lo_s: float, hi_s: float, max_frames: int) -> int:
    return int(min(max_frames, round(rng.uniform(lo_s, hi_s) * FPS)))


def _vm(phase: np.ndarray, centre: float, kappa: float) -> np.ndarray:
    """Periodic bump in [0, 1] peaking at ``centre`` (phase in cycles)."""
    return np.exp(kappa * (np.cos(2 * np.pi * (phase - centre)) - 1.0))


def _blank(T: int) -> Segment:
    return Segment(np.zeros((T, N_JOINTS, 3)), np.zeros(T), np.zeros(T))


# --------------------------------------------------------------------------------------------
# locomotion
# --------------------------------------------------------------------------------------------


def gait(T: int, rng: np.random.Generator, *, cadence: float, hip_amp: float, hip_mean: float,
          knee_swing: float, knee_stance: float, arm_swing: float, elbow_bend: float,
          direction: float = 1.0, ramp: int = 8, twist: float = 0.0,
          phase0: float | None = None) -> tuple[np.ndarray, dict]:
    """Cyclic leg and arm rotations; left heel strike at phase 0, right half a cycle later.

    The cadence drifts ±5 % within the clip; the pelvis turns with the swinging leg by ``twist``
    degrees and the upper trunk turns against it (counter-rotation), the pelvis dropping a little
    on the swing side. ``phase0``: the phase (cycles) at the first frame, random if None (0.25:
    the left foot flat under the body, the right about to swing).
    """
    t = np.arange(T) / FPS
    drift = 1.0 + 0.05 * np.sin(2 * np.pi * t / rng.uniform(1.5, 3.5) + rng.uniform(0, 2 * np.pi))
    start = rng.uniform(0, 1)  # drawn even with phase0, so the draws after it stay in sequence
    phase = direction * np.cumsum(cadence / 120.0 * drift) / FPS + (start if phase0 is None else phase0)
    env = envelope(T, ramp)[:, None]
    rot = np.zeros((T, N_JOINTS, 3))
    for s, off in ((1, 0.0), (-1, 0.5)):
        ph = phase + off
        hip_f = hip_mean + hip_amp * np.cos(2 * np.pi * ph)
        knee_f = knee_swing * _vm(ph, 0.72, 6.0) + knee_stance * _vm(ph, 0.12, 10.0)
        ankle_p = 14.0 * _vm(ph, 0.58, 14.0) - 8.0 * _vm(ph, 0.85, 8.0)
        rot[:, hip(s), 0] = -hip_f * D
        rot[:, knee(s), 0] = knee_f * D
        rot[:, ankle(s), 0] = ankle_p * D
        # arm of side s swings with the opposite leg: back when the same-side leg is forward
        rot[:, shoulder(s), 0] = arm_swing * D * np.cos(2 * np.pi * ph)
        rot[:, shoulder(s), 2] = s * 4.0 * D
        bend = elbow_bend + 0.3 * arm_swing * (1 - np.cos(2 * np.pi * (ph + 0.5)))
        rot[:, elbow(s), 0] = -bend * D
    swing = np.cos(2 * np.pi * phase)  # +1 when the left leg is forward
    rot[:, PELVIS, 1] = -twist * D * swing
    rot[:, PELVIS, 2] = 0.3 * twist * D * np.sin(2 * np.pi * phase)
    rot[:, SPINE3, 1] = 1.6 * twist * D * swing
    rot[:, NECK, 1] = -0.4 * twist * D * swing  # the head keeps looking ahead
    rot *= env[:, :, None]
    return rot, {"cadence": round(cadence, 2), "hip_amp": round(hip_amp, 2),
                 "knee_swing": round(knee_swing, 2), "arm_swing": round(arm_swing, 2),
                 "twist": round(twist, 1)}


def walk(rng: np.random.Generator, max_frames: int, direction: float = 1.0,
         circle: bool = False) -> Segment:
    if circle:
        T = duration_frames(rng, 4.0, 6.5, max_frames)
    else:
        T = duration_frames(rng, 2.0, 4.5, max_frames)
    cadence = rng.uniform(96, 124) if direction > 0 else rng.uniform(85, 105)
    rot, params = gait(
        T, rng, cadence=cadence, hip_amp=rng.uniform(20, 28) if direction > 0 else 16.0,
        hip_mean=rng.uniform(6, 11), knee_swing=rng.uniform(52, 66), knee_stance=rng.uniform(8, 20),
        arm_swing=rng.uniform(10, 30), elbow_bend=rng.uniform(8, 25), direction=direction,
        twist=rng.uniform(2, 8),
    )
    # pelvis rotation and heel-toe roll lengthen a real step beyond the leg swing alone
    seg = Segment(rot, np.zeros(T), np.zeros(T), stride_gain=1.18, params=params)
    if circle:
        turn = rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.0) * 2 * np.pi
        seg.dyaw = turn * smoothstep(np.linspace(-0.15, 1.15, T))
        seg.params["turn_deg"] = round(float(turn / D), 1)
    else:
        # most walks hold their heading within a few degrees; some curve by 25–75°, and those are
        # captioned as turning (:func:`.language.template_key`): a real walk that bends by 30° is
        # a turn, so a "straight" walk never drifts by more than 15°
        if direction < 0 or rng.random() < 0.7:
            drift = float(np.clip(rng.normal(0, 5.0), -15.0, 15.0)) * D
        else:
            drift = float(rng.choice([-1.0, 1.0]) * rng.uniform(25, 75)) * D
        seg.dyaw = drift * smoothstep(np.linspace(0, 1, T))
        seg.params["heading_drift_deg"] = round(float(drift / D), 1)
    seg.params["direction"] = "forward" if direction > 0 else "backward"
    return seg


def _bouncing_gait(rng: np.random.Generator, max_frames: int, seconds: tuple[float, float],
                   cadence: tuple[float, float], bounce_m: float, ramp: int,
                   **ranges: tuple[float, float]) -> tuple[np.ndarray, dict, np.ndarray]:
    """A jog's or a run's gait and pelvis bounce (metres, one hop a step); each of ``ranges`` is a
    :func:`gait` argument drawn uniformly, in the order given (the generator's draws stay in
    sequence)."""
    T = duration_frames(rng, *seconds, max_frames)
    steps = rng.uniform(*cadence)
    rot, params = gait(T, rng, cadence=steps, ramp=ramp, **{k: rng.uniform(*r) for k, r in ranges.items()})
    t = np.arange(T) / FPS
    bounce = bounce_m * np.abs(np.sin(np.pi * steps / 60.0 * t)) * envelope(T, ramp)
    return rot, params, bounce


def jog(rng: np.random.Generator, max_frames: int) -> Segment:
    rot, params, bounce = _bouncing_gait(
        rng, max_frames, (2.0, 4.0), (145, 170), 0.04, 6, hip_amp=(26, 34), hip_mean=(12, 18),
        knee_swing=(85, 100), knee_stance=(18, 28), arm_swing=(18, 34), elbow_bend=(65, 90), twist=(4, 10))
    # flight phases: the body travels further than the stance foot's sweep
    return Segment(rot, np.zeros(len(rot)), bounce, stride_gain=1.45, params=params)


def run(rng: np.random.Generator, max_frames: int) -> Segment:
    """Running: faster and longer strides than a jog, a forward-leaning trunk, high heels."""
    rot, params, bounce = _bouncing_gait(
        rng, max_frames, (1.5, 3.5), (165, 195), 0.07, 5, hip_amp=(34, 44), hip_mean=(16, 24),
        knee_swing=(100, 125), knee_stance=(25, 35), arm_swing=(30, 48), elbow_bend=(75, 95), twist=(6, 12))
    lean = rng.uniform(6, 16)
    env = envelope(len(rot), 5)
    for j, w in ((SPINE1, 0.4), (SPINE2, 0.35), (SPINE3, 0.25)):
        rot[:, j, 0] += w * lean * D * env
    params["lean_deg"] = round(lean, 1)
    return Segment(rot, np.zeros(len(rot)), bounce, stride_gain=rng.uniform(1.5, 1.9), params=params)


def turn(rng: np.random.Generator, max_frames: int, angle_deg: float) -> Segment:
    """Turning: in place with small steps, or (90° turns, half the time) walking round a corner."""
    walking = abs(angle_deg) <= 120 and rng.random() < 0.5
    if walking:
        T = duration_frames(rng, 1.5, 3.0, max_frames)
        rot, params = gait(T, rng, cadence=rng.uniform(96, 120), hip_amp=rng.uniform(18, 26),
                            hip_mean=rng.uniform(6, 11), knee_swing=rng.uniform(52, 64),
                            knee_stance=rng.uniform(8, 18), arm_swing=rng.uniform(10, 26),
                            elbow_bend=rng.uniform(8, 22), twist=rng.uniform(2, 8))
        angle_deg *= rng.uniform(0.7, 1.2)
        gain = 1.18
    else:
        T = duration_frames(rng, 1.4, 2.4, max_frames) if abs(angle_deg) > 120 else duration_frames(rng, 1.1, 1.8, max_frames)
        # small stepping in place while the body rotates; the arms only drift
        rot, params = gait(T, rng, cadence=rng.uniform(95, 115), hip_amp=9.0, hip_mean=12.0,
                            knee_swing=rng.uniform(35, 45), knee_stance=5.0, arm_swing=rng.uniform(0, 6),
                            elbow_bend=rng.uniform(0, 12), ramp=5)
        gain = 0.5
    yaw = angle_deg * D * smoothstep(np.linspace(-0.1, 1.1, T))
    params["turn_deg"] = round(float(angle_deg), 1)
    params["walking"] = walking
    return Segment(rot, yaw, np.zeros(T), stride_gain=gain, params=params)


# --------------------------------------------------------------------------------------------
# whole-body actions
# --------------------------------------------------------------------------------------------


def crouch_pose(h: float, k: float) -> np.ndarray:
    """Both legs flexed with the feet flat (ankle = hip − knee keeps the foot level)."""
    p = zero_pose()
    for s in (1, -1):
        leg_pose(p, s, h, k, h - k)
    return p


def jump(rng: np.random.Generator, max_frames: int, forward: bool = False, hop: int = 0) -> Segment:
    """1–3 jumps: crouch with the arms swung back, take-off with the arms swung up, flight, landing.

    ``forward``: each jump travels 0.4–1.1 m along the heading; ``hop``: +1/−1 hops on the left/
    right leg, the other leg held bent off the floor.
    """
    reps = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
    flight = rng.uniform(0.32, 0.42) if not hop else rng.uniform(0.2, 0.3)
    # the take-off crouch ranges from shallow to deep (real standing jumps drop the pelvis by up to
    # a third of its height)
    crouch_h, crouch_k = (rng.uniform(35, 65), rng.uniform(65, 105)) if not hop else (25.0, 40.0)
    cycle = int(round((0.35 + flight + 0.35) * FPS)) if not hop else int(round((0.2 + flight + 0.2) * FPS))
    T = min(max_frames, 6 + reps * cycle + 6)
    reps = max(1, min(reps, (T - 12) // cycle))
    T = 6 + reps * cycle + 6
    swing = rng.uniform(30, 80) if not hop else rng.uniform(10, 35)  # arms up at take-off
    back = rng.uniform(10, 30) if not hop else rng.uniform(5, 15)

    def pose(h: float, k: float, arms: float, ankle_ext: float | None = None) -> np.ndarray:
        p = crouch_pose(h, k) if ankle_ext is None else zero_pose()
        if ankle_ext is not None:
            for s in (1, -1):
                leg_pose(p, s, 0.0, 0.0, ankle_ext)
        if hop:
            leg_pose(p, -hop, 35.0, 80.0, 20.0)  # the free leg held bent behind
        for s in (1, -1):
            arm_pose(p, s, flex=arms, elbow_flex=20.0 + 0.2 * abs(arms))
        return p

    rest = pose(0.0, 0.0, 0.0) if hop else zero_pose()
    times, poses = [0.0], [rest]
    lift = np.zeros(T)
    advance = np.zeros(T)
    f_fl = flight * FPS
    distance = rng.uniform(0.4, 1.1) if forward else 0.0
    for r in range(reps):
        t0 = 6 + r * cycle
        prep = (0.2 if not hop else 0.12) * FPS
        t_crouch, t_take = t0 + prep, t0 + prep + 0.15 * FPS
        t_land = t_take + f_fl
        times += [t_crouch, t_take, t_land, t_land + prep, t0 + cycle]
        poses += [pose(crouch_h, crouch_k, -back), pose(0, 0, swing, ankle_ext=25.0), pose(10, 12, 0.5 * swing),
                  pose(crouch_h * 0.8, crouch_k * 0.8, 0.0), rest]
        i = np.arange(T)
        m = (i > t_take) & (i < t_land)
        tt = (i[m] - t_take) / FPS
        lift[m] = 0.5 * 9.81 * tt * (flight - tt)
        advance[m] = distance / max(m.sum(), 1)
    times.append(float(T - 1))
    poses.append(rest)
    rot = keyframes(T, times, poses)
    params = {"reps": reps, "flight_s": round(flight, 3), "height_m": round(9.81 * flight**2 / 8, 3)}
    if forward:
        params["distance_m"] = round(distance, 2)
    if hop:
        params["side"] = "left" if hop > 0 else "right"
    return Segment(rot, np.zeros(T), lift, stride_gain=0.0, params=params, advance=advance)


def squat(rng: np.random.Generator, max_frames: int) -> Segment:
    reps = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
    down_s = rng.uniform(0.6, 0.9)
    cycle = int(round((2 * down_s + rng.uniform(0.1, 0.4)) * FPS))
    reps = max(1, min(reps, (max_frames - 8) // cycle))
    T = 4 + reps * cycle + 4
    h, k = rng.uniform(85, 100), rng.uniform(100, 115)
    times, poses = [0.0, 4.0], [zero_pose(), zero_pose()]
    for r in range(reps):
        t0 = 4 + r * cycle
        times += [t0 + down_s * FPS, t0 + cycle - down_s * FPS, t0 + cycle]
        poses += [crouch_pose(h, k), crouch_pose(h, k), zero_pose()]
    times.append(float(T - 1))
    poses.append(zero_pose())
    return Segment(keyframes(T, times, poses), np.zeros(T), np.zeros(T),
                   params={"reps": reps, "hip_deg": round(h, 1), "knee_deg": round(k, 1)})


def sit_down(rng: np.random.Generator, max_frames: int) -> Segment:
    T = duration_frames(rng, 2.0, 3.2, max_frames)
    down = rng.uniform(1.0, 1.5) * FPS
    h, k = rng.uniform(85, 95), rng.uniform(85, 95)
    seated = crouch_pose(h, k)
    rot = keyframes(T, [0.0, 2.0, 2.0 + down], [zero_pose(), zero_pose(), seated])
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"hip_deg": round(h, 1), "knee_deg": round(k, 1), "final": True})


def kneel(rng: np.random.Generator, max_frames: int) -> Segment:
    T = duration_frames(rng, 2.2, 3.4, max_frames)
    half = crouch_pose(55, 85)
    kneeling = zero_pose()
    for s in (1, -1):
        leg_pose(kneeling, s, 2.0, 92.0, 65.0)
    t1, t2 = 2.0 + rng.uniform(0.5, 0.7) * FPS, 2.0 + rng.uniform(1.2, 1.6) * FPS
    rot = keyframes(T, [0.0, 2.0, t1, t2], [zero_pose(), zero_pose(), half, kneeling])
    return Segment(rot, np.zeros(T), np.zeros(T), params={"final": True})


def _spine_bend(angle: float, arms_hang: bool = True) -> np.ndarray:
    p = zero_pose()
    for j, w in ((SPINE1, 0.4), (SPINE2, 0.35), (SPINE3, 0.25)):
        p[j, 0] = w * angle * D
    p[NECK, 0] = -0.25 * angle * D  # keep the head looking roughly ahead/down
    if arms_hang:
        for s in (1, -1):
            p[shoulder(s), 0] = -0.85 * angle * D  # arms keep hanging towards the floor
    return p


def _torso_bend(rng: np.random.Generator, max_frames: int, seconds: tuple[float, float],
                angle_deg: tuple[float, float], down_s: tuple[float, float],
                hold_s: tuple[float, float]) -> Segment:
    """Bend the spine forward, hold, come back up (bend_forward and bow differ in their ranges)."""
    T = duration_frames(rng, *seconds, max_frames)
    angle = rng.uniform(*angle_deg)
    down, hold = rng.uniform(*down_s) * FPS, rng.uniform(*hold_s) * FPS
    p = _spine_bend(angle)
    rot = keyframes(T, [0.0, 2.0, 2.0 + down, 2.0 + down + hold, T - 3.0],
                    [zero_pose(), zero_pose(), p, p, zero_pose()])
    return Segment(rot, np.zeros(T), np.zeros(T), params={"angle_deg": round(angle, 1)})


def bend_forward(rng: np.random.Generator, max_frames: int) -> Segment:
    return _torso_bend(rng, max_frames, (2.2, 3.5), (65, 90), (0.7, 1.0), (0.3, 0.8))


def bow(rng: np.random.Generator, max_frames: int) -> Segment:
    return _torso_bend(rng, max_frames, (1.6, 2.4), (30, 42), (0.45, 0.6), (0.2, 0.4))


def stand_still(rng: np.random.Generator, max_frames: int) -> Segment:
    T = duration_frames(rng, 1.5, 3.0, max_frames)
    return _blank(T)


# --------------------------------------------------------------------------------------------
# arm and leg actions
# --------------------------------------------------------------------------------------------


def wave(rng: np.random.Generator, max_frames: int, s: int) -> Segment:
    T = duration_frames(rng, 2.0, 3.5, max_frames)
    freq, amp = rng.uniform(1.6, 2.4), rng.uniform(20, 30)
    up, abd = rng.uniform(0.35, 0.5) * FPS, rng.uniform(75, 95)
    raised = arm_pose(zero_pose(), s, flex=rng.uniform(10, 25), abduct=abd, elbow_up=95 - abd + 80)
    rot = keyframes(T, [0.0, 1.0, 1.0 + up, T - 2.0 - up, T - 2.0],
                    [zero_pose(), zero_pose(), raised, raised, zero_pose()])
    t = np.arange(T) / FPS
    osc = amp * D * np.sin(2 * np.pi * freq * t) * envelope(T, int(up) + 2)
    rot[:, elbow(s), 2] += s * osc
    return Segment(rot, np.zeros(T), np.zeros(T),
                   params={"side": "left" if s > 0 else "right", "freq_hz": round(freq, 2),
                           "amp_deg": round(amp, 1)})


def raise_arms(rng: np.random.Generator, max_frames: int, sides: tuple[int, ...]) -> Segment:
    T = duration_frames(rng, 1.8, 3.0, max_frames)
    up_t, hold = rng.uniform(0.5, 0.8) * FPS, rng.uniform(0.3, 0.8) * FPS
    flex = rng.uniform(150, 170)
    up = zero_pose()
    for s in sides:
        arm_pose(up, s, flex=flex, abduct=rng.uniform(5, 15), elbow_flex=rng.uniform(0, 10))
    t1 = 1.0 + up_t
    rot = keyframes(T, [0.0, 1.0, t1, min(t1 + hold, T - 2.0 - up_t), T - 2.0],
                    [zero_pose(), zero_pose(), up, up, zero_pose()])
    return Segment(rot, np.zeros(T), np.zeros(T), params={"flex_deg": round(flex, 1)})


def throw(rng: np.random.Generator, max_frames: int, s: int) -> Segment:
    T = duration_frames(rng, 2.0, 2.8, max_frames)
    wind = arm_pose(zero_pose(), s, flex=-25, abduct=rng.uniform(85, 100),
                    elbow_up=rng.uniform(80, 100))
    release = arm_pose(zero_pose(), s, flex=rng.uniform(100, 120), abduct=15, elbow_flex=10)
    follow = arm_pose(zero_pose(), s, flex=rng.uniform(45, 60), adduct_h=30, elbow_flex=25)
    t_w = 1.0 + rng.uniform(0.5, 0.7) * FPS
    t_r = t_w + rng.uniform(0.15, 0.2) * FPS
    t_f = t_r + 0.25 * FPS
    rot = keyframes(T, [0.0, 1.0, t_w, t_w + 2, t_r, t_f, T - 2.0],
                    [zero_pose(), zero_pose(), wind, wind, release, follow, zero_pose()])
    return Segment(rot, np.zeros(T), np.zeros(T), params={"side": "left" if s > 0 else "right"})


def punch(rng: np.random.Generator, max_frames: int) -> Segment:
    T = duration_frames(rng, 2.0, 3.5, max_frames)
    guard = zero_pose()
    for s in (1, -1):
        arm_pose(guard, s, flex=45, adduct_h=10, elbow_flex=115)
    rate = rng.uniform(1.2, 1.7)  # punches per second per arm
    t_in = 0.35 * FPS
    rot = keyframes(T, [0.0, 1.0, 1.0 + t_in, T - 2.0 - t_in, T - 2.0],
                    [zero_pose(), zero_pose(), guard, guard, zero_pose()])
    t = np.arange(T) / FPS
    env = envelope(T, int(t_in) + 4)
    first = int(rng.choice([1, -1]))
    for s in (1, -1):
        off = 0.0 if s == first else 0.5
        ext = np.clip(np.sin(2 * np.pi * (rate * t + off)), 0, None) ** 2 * env
        rot[:, shoulder(s), 0] += -40 * D * ext
        rot[:, shoulder(s), 1] += -s * 8 * D * ext
        rot[:, elbow(s), 0] += 105 * D * ext
    return Segment(rot, np.zeros(T), np.zeros(T), params={"rate_hz": round(rate, 2)})


def clap(rng: np.random.Generator, max_frames: int) -> Segment:
    T = duration_frames(rng, 2.0, 3.2, max_frames)
    open_ = zero_pose()
    for s in (1, -1):
        arm_pose(open_, s, flex=50, adduct_h=5, elbow_flex=50)
    rate = rng.uniform(1.8, 2.6)
    t_in = 0.4 * FPS
    rot = keyframes(T, [0.0, 1.0, 1.0 + t_in, T - 2.0 - t_in, T - 2.0],
                    [zero_pose(), zero_pose(), open_, open_, zero_pose()])
    t = np.arange(T) / FPS
    close = 0.5 * (1 - np.cos(2 * np.pi * rate * t)) * envelope(T, int(t_in) + 3)
    for s in (1, -1):
        rot[:, shoulder(s), 1] += -s * 32 * D * close
        rot[:, elbow(s), 1] += -s * 20 * D * close
    return Segment(rot, np.zeros(T), np.zeros(T), params={"rate_hz": round(rate, 2)})


def kick(rng: np.random.Generator, max_frames: int, s: int) -> Segment:
    T = duration_frames(rng, 1.6, 2.4, max_frames)
    chamber = leg_pose(zero_pose(), s, rng.uniform(55, 70), rng.uniform(80, 95), -5)
    extend = leg_pose(zero_pose(), s, rng.uniform(65, 85), 5, 25)
    # the arms counter-balance the kick: the opposite arm forward, the same arm back, the trunk
    # leaning back a little
    balance = rng.uniform(10, 35)
    for p, w in ((chamber, 0.5), (extend, 1.0)):
        arm_pose(p, -s, flex=w * balance, elbow_flex=15 + w * 20)
        arm_pose(p, s, flex=-0.6 * w * balance, abduct=w * 10, elbow_flex=10)
        p[SPINE2, 0] = -w * rng.uniform(3, 10) * D
    t_c = 1.0 + rng.uniform(0.35, 0.5) * FPS
    t_e = t_c + rng.uniform(0.15, 0.22) * FPS
    t_b = t_e + 0.25 * FPS
    rot = keyframes(T, [0.0, 1.0, t_c, t_e, t_b, T - 2.0],
                    [zero_pose(), zero_pose(), chamber, extend, chamber, zero_pose()])
    return Segment(rot, np.zeros(T), np.zeros(T), params={"side": "left" if s > 0 else "right"})
