"""One synthetic clip: a sequence of 1–3 actions, forward kinematics, root from the feet.

Each clip has its own performer (:func:`.kinematics.random_body`: size and proportions) and
posture and secondary motion (:mod:`.style`).

Root translation: the pelvis height puts the lowest contact point on the floor (the ball of a
foot, the heel — ankle minus its rest height —, a kneeling knee, a hand, or the pelvis, back or
head of a body on the floor), plus the flight height of a jump. Horizontally the pelvis moves so
that the current stance contact (the lowest one) stays put: the root velocity is minus that
contact's velocity relative to the pelvis (scaled for jog flight phases and damped while
turning), plus any travel an action adds along the heading (a forward jump's flight). Nothing
goes below the floor.

Part speed (the definition used by the ground truth and the tests): for every joint, the
per-frame displacement × fps of its position **relative to the pelvis** (joint − pelvis) for
the torso, arm and leg parts, and of the **absolute** pelvis position for the root part; a
part's speed is the mean over its joints (the torso uses joints 3, 6, 9, 12, 15: the pelvis,
which the captioner also feeds to its torso branch, counts for the root only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import M2TError
from ...skeletons import HUMANML3D
from .kinematics import FPS, KNEE_RADIUS, N_JOINTS, Body, forward_kinematics, mirror_joints, random_body
from .language import Caption, build_captions, mirror_caption, template_key
from .actions import ACTIONS, mirror_action
from .primitives import Segment
from .style import idle_motion, posture, random_style

MIN_FRAMES = 16  # short excerpts of a repeating action (0.8–2 s, as one cycle of a capture)
MAX_FRAMES = 196  # inclusive: HumanML3D keeps clips with 40 <= T < 200
#: Share of random clips that are a short excerpt (16–39 frames) of one repeating action, with no
#: rest before or after: motion capture often comes as one cycle of a walk, a run or a dance.
EXCERPT_SHARE = 0.12
#: Actions that repeat, so that any stretch of them is the action (those the catalogue holds).
CYCLIC = ("walk_forward", "walk_backward", "jog", "run", "crawl", "dance")

#: Checkpoint-order part names and the ground-truth column names.
PART_NAMES = HUMANML3D.part_names
ACTIVE_COLUMNS = tuple(f"active_{p}" for p in PART_NAMES)
#: Joints of each part for the part-speed definition (torso without the pelvis).
SPEED_PARTS: tuple[tuple[int, ...], ...] = ((0,), (3, 6, 9, 12, 15)) + tuple(HUMANML3D.parts[2:])

_MIRROR_PARTS = (0, 1, 3, 2, 5, 4)  # checkpoint columns after a left/right mirror


@dataclass
class ActionInstance:
    """One action of a clip: frames [start_frame, end_frame) and the parts it moves."""

    action: str
    start_frame: int
    end_frame: int
    active: tuple[int, ...]  # 6 flags, checkpoint order
    params: dict = field(default_factory=dict)

    @property
    def start_s(self) -> float:
        return self.start_frame / FPS

    @property
    def end_s(self) -> float:
        return self.end_frame / FPS


@dataclass
class SyntheticClip:
    """A generated clip: joints (T, 22, 3) float32, captions and the action segments."""

    joints: np.ndarray
    captions: list[Caption]
    actions: list[ActionInstance]

    @property
    def n_frames(self) -> int:
        return int(self.joints.shape[0])

    def mirrored(self) -> "SyntheticClip":
        """The left/right mirror (HumanML3D ``M`` clip), exact in float32."""
        acts = [ActionInstance(mirror_action(a.action), a.start_frame, a.end_frame,
                               tuple(a.active[k] for k in _MIRROR_PARTS), dict(a.params))
                for a in self.actions]
        for a in acts:
            if "side" in a.params:
                a.params["side"] = {"left": "right", "right": "left"}[a.params["side"]]
            for key in ("turn_deg", "heading_drift_deg"):
                if key in a.params:
                    a.params[key] = -a.params[key]
        return SyntheticClip(mirror_joints(self.joints), [mirror_caption(c) for c in self.captions],
                             acts)


def part_speeds(joints: np.ndarray, fps: float = FPS) -> np.ndarray:
    """Per-frame speed of each of the six parts (T-1, 6), m/s (see the module docstring)."""
    j = np.asarray(joints, dtype=np.float64)
    rel = j - j[:, :1]
    rel[:, 0] = j[:, 0]
    v = np.linalg.norm(np.diff(rel, axis=0), axis=-1) * fps  # (T-1, 22)
    return np.stack([v[:, list(p)].mean(axis=1) for p in SPEED_PARTS], axis=1)


def _smooth_noise(rng: np.random.Generator, T: int, amp_deg: float) -> np.ndarray:
    t = np.arange(T)[:, None, None] / FPS
    out = np.zeros((T, N_JOINTS, 3))
    for _ in range(2):
        f = rng.uniform(0.15, 0.7, size=(1, N_JOINTS, 3))
        ph = rng.uniform(0, 2 * np.pi, size=(1, N_JOINTS, 3))
        a = rng.uniform(0.5, 1.0, size=(1, N_JOINTS, 3)) * amp_deg * np.pi / 180
        out += a * np.sin(2 * np.pi * f * t + ph)
    return out


def _plan(rng: np.random.Generator, actions: list[str] | None
          ) -> tuple[list[str], list[Segment], list[int], int]:
    """Pick actions and make their segments within the frame budget; returns gaps and tail."""
    names = list(ACTIONS)
    lead = int(rng.integers(2, 8))
    tail = int(rng.integers(2, 8))
    budget = MAX_FRAMES - lead - tail
    chosen: list[str] = []
    segs: list[Segment] = []
    gaps: list[int] = [lead]
    n = len(actions) if actions is not None else int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
    for i in range(n):
        left = budget - sum(s.n_frames for s in segs) - sum(gaps[1:])
        need_after = 34 * (n - i - 1)
        for _ in range(30):
            if actions is not None:
                name = actions[i]
            else:
                name = names[int(rng.integers(len(names)))]
                if chosen and name == chosen[-1]:
                    continue
                if ACTIONS[name].final_only and i < n - 1:
                    continue
                if ACTIONS[name].first_only and i > 0:
                    continue
            seg = ACTIONS[name].make(rng, max(left - need_after, 30))
            if actions is not None or (seg.n_frames >= 30 and seg.n_frames <= left - need_after
                                       and not (name == "walk_circle" and seg.n_frames < 70)):
                break
        else:
            break
        chosen.append(name)
        segs.append(seg)
        if i < n - 1:
            gaps.append(int(rng.integers(1, 6)))
        if chosen and ACTIONS[chosen[-1]].final_only:
            break
    gaps = gaps[: len(segs)]
    return chosen, segs, gaps, tail


def _excerpt(rng: np.random.Generator) -> tuple[list[str], list[Segment], list[int], int]:
    """One repeating action cut to 16–39 frames from its middle (past its start-up ramp)."""
    cyclic = [a for a in CYCLIC if a in ACTIONS]
    name = cyclic[int(rng.integers(len(cyclic)))]
    n = int(rng.integers(MIN_FRAMES, 40))
    while True:
        seg = ACTIONS[name].make(rng, MAX_FRAMES)
        # the steady stretch: past an 8-frame ramp at each end, or what the action says (a crawl
        # gets down onto all fours first and back up at the end)
        lo, hi = seg.params.get("steady", (8, seg.n_frames - 8))
        if hi - lo >= n:  # else too short to leave its ramps out: draw it again
            break
    a = int(rng.integers(lo, hi - n + 1))
    cut = slice(a, a + n)
    adv = None if seg.advance is None else seg.advance[cut]
    params = dict(seg.params, excerpt=True)
    if "heading_drift_deg" in params:  # the excerpt's own bend decides whether it is a turn
        params["heading_drift_deg"] = round(float(np.degrees(seg.dyaw[a + n - 1] - seg.dyaw[a])), 1)
    part = Segment(seg.rot[cut], seg.dyaw[cut] - seg.dyaw[a], seg.lift[cut], seg.stride_gain, params, adv,
                   seg.also_active)
    return [name], [part], [0], 0


def _held(pose: np.ndarray, n: int, yaw: float) -> tuple[np.ndarray, ...]:
    """``n`` frames holding ``pose`` (22, 3) at heading ``yaw``: rot, yaw, lift, gain, advance."""
    return np.broadcast_to(pose, (n, N_JOINTS, 3)), np.full(n, yaw), np.zeros(n), np.ones(n), np.zeros(n)


def generate_clip(rng_or_seed: np.random.Generator | int | np.random.SeedSequence = 0,
                  actions: list[str] | None = None, n_captions: int = 3) -> SyntheticClip:
    """Generate one clip.

    ``rng_or_seed``: a numpy Generator, an int seed or a SeedSequence. ``actions``: force a
    sequence of action names (see :func:`action_catalogue`); by default 1–3 random actions.
    """
    if isinstance(rng_or_seed, np.random.Generator):
        rng = rng_or_seed
    else:
        rng = np.random.default_rng(rng_or_seed)
    if actions is not None:
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown or not 1 <= len(actions) <= 3:
            raise M2TError(f"actions must be 1–3 names from the catalogue; unknown: {unknown}")
    if actions is None and rng.random() < EXCERPT_SHARE:
        chosen, segs, gaps, tail = _excerpt(rng)
    else:
        chosen, segs, gaps, tail = _plan(rng, actions)
    # --- concatenate, with rest frames before each action and after the last one
    body = random_body(rng)
    pieces: list[tuple[np.ndarray, ...]] = []  # per stretch of frames: rot, yaw, lift, gain, advance
    insts: list[ActionInstance] = []
    frame, yaw0 = 0, 0.0
    # a clip opening with an action that starts from its own posture (lying) holds it before; an
    # excerpt starts in its action's stride
    own_start = ACTIONS[chosen[0]].first_only or segs[0].params.get("excerpt", False)
    last_pose = segs[0].rot[0].copy() if own_start else np.zeros((N_JOINTS, 3))
    for name, seg, gap in zip(chosen, segs, gaps):
        pieces.append(_held(last_pose, gap, yaw0))
        frame += gap
        rot = seg.rot.copy()
        # blend from the previous pose into the action over a few frames
        nb = min(5, seg.n_frames)
        w = (1.0 - np.linspace(0.0, 1.0, nb + 1)[1:])[:, None, None]
        rot[:nb] += w * (last_pose - rot[0])
        pieces.append((rot, yaw0 + seg.dyaw, seg.lift, np.full(seg.n_frames, seg.stride_gain),
                       np.zeros(seg.n_frames) if seg.advance is None else seg.advance))
        active = ACTIONS[name].active
        if seg.also_active is not None:
            active = tuple(a | b for a, b in zip(active, seg.also_active))
        insts.append(ActionInstance(name, frame, frame + seg.n_frames, active, seg.params))
        frame += seg.n_frames
        yaw0 = float(yaw0 + seg.dyaw[-1])
        last_pose = rot[-1]
    tail = max(tail, MIN_FRAMES - frame)
    tail = max(0, min(tail, MAX_FRAMES - frame))
    pieces.append(_held(last_pose, tail, yaw0))
    rot, yaw, lift, gain, advance = (np.concatenate(track) for track in zip(*pieces))
    T = rot.shape[0]
    noise = _smooth_noise(rng, T, 0.4)
    noise[:, 0] *= 0.5  # the pelvis tilts even less
    style = random_style(rng)
    rot = rot + noise + posture(style) + idle_motion(rng, T, style)
    yaw = yaw - yaw[0]
    joints = _place(forward_kinematics(rot, yaw, body.offsets), lift, gain, advance, yaw, body)
    keys = [template_key(a.action, a.params) for a in insts]
    captions = build_captions(keys, rng, n=n_captions)
    return SyntheticClip(joints.astype(np.float32), captions, insts)


#: Contact points of the floor model: joint, and how far below the joint the floor touches
#: (metres at the reference size). Feet: the ball of the foot (its joint) and the heel (the ankle
#: minus its rest height); knees, hands, elbows, and the pelvis, upper back and head of a body lying
#: or rolling on the floor.
_CONTACTS = ((10, 0.0), (11, 0.0), (7, None), (8, None), (4, KNEE_RADIUS), (5, KNEE_RADIUS),
             (20, 0.04), (21, 0.04), (18, 0.05), (19, 0.05), (0, 0.10), (9, 0.10), (15, 0.10))


def _place(rel: np.ndarray, lift: np.ndarray, gain: np.ndarray, advance: np.ndarray, yaw: np.ndarray,
           body: Body) -> np.ndarray:
    """Add the root trajectory to pelvis-relative joints (see the module docstring)."""
    ankle_h = body.ankle_rest_height
    joints = [j for j, _ in _CONTACTS]
    below = np.array([ankle_h if r is None else r * body.scale for _, r in _CONTACTS])
    contact = rel[:, joints, 1] - below  # (T, K) height of each contact point relative to the pelvis
    need = -contact.min(axis=1)  # pelvis height that puts the lowest contact on the floor
    # soften heel-strike dips: smooth the height, letting contacts sink at most 1.5 cm
    kernel = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    padded = np.pad(need, 2, mode="edge")
    smooth = np.convolve(padded, kernel, mode="valid")
    root_y = np.maximum(smooth, need - 0.015) + lift
    stance = np.argmin(contact, axis=1)
    xz = rel[:, joints][..., [0, 2]].copy()  # (T, K, 2)
    # a foot plants at the middle of heel and ball, as before the floor model took other contacts
    for ball, heel in ((0, 2), (1, 3)):
        mid = 0.5 * (xz[:, ball] + xz[:, heel])
        xz[:, ball] = mid
        xz[:, heel] = mid
    idx = np.arange(rel.shape[0] - 1)
    step = xz[idx + 1, stance[:-1]] - xz[idx, stance[:-1]]
    heading = np.stack([np.sin(yaw[:-1]), np.cos(yaw[:-1])], axis=1)
    vel = -step * gain[:-1, None] + advance[:-1, None] * heading
    root_xz = np.concatenate([np.zeros((1, 2)), np.cumsum(vel, axis=0)])
    out = rel.copy()
    out[..., 0] += root_xz[:, None, 0]
    out[..., 1] += root_y[:, None]
    out[..., 2] += root_xz[:, None, 1]
    return out
