"""Your own motion: a BVH recording → HumanML3D-22 or KIT-21 joint positions the captioner reads.

:func:`import_bvh` reads the file, recognises its rig (or takes a joint map), cuts and resamples
it to the skeleton's frame rate by interpolating joint rotations (slerp) and the root's position,
runs forward kinematics, finds the target joints (placing those the rig lacks by rule), and applies
the dataset's conventions. :func:`split_windows` cuts a long import into clips the captioner
accepts. The rules, all documented in docs/data.md ("Your own motion: BVH import"):

* **units** — from the skeleton's size: the sum of the head–neck, neck–pelvis, pelvis–hip,
  hip–knee and knee–ankle distances is compared with the same sum on the HumanML3D reference
  skeleton (1.58 m); of metres, centimetres, millimetres and inches, the unit that makes it
  closest (on a log scale) wins. A body no unit makes human-sized (within ×2.5) is an error.
* **up axis** — +Y or +Z: the rest pose's when it stands upright (head above the pelvis above the
  ankles, each within 37° of the axis); otherwise the axis along which the head is on average
  higher above the ankles over the clip.
* **missing joints** — the spine joints lie on the rig's own spine: ``spine3`` is the joint where
  the neck and both arms meet (the chest), ``spine1``/``spine2`` the rig's spine joints between the
  pelvis and the chest nearest 40 % / 83 % of that path (HumanML3D's proportions), or points at
  those fractions along the path when there are too few joints; a collar lies halfway along the
  bone that ends at the upper arm; the ball of a foot 0.33 shin lengths from the ankle, pointing
  forward and 21° down in the reference pose, carried by the ankle's rotation; a toe tip (KIT)
  0.35 foot lengths beyond the ball, level in the reference pose, carried by the rotation of the
  joint the ball moves with. The reference pose is the rest pose when it stands upright, otherwise
  the first frame. Every placed point moves rigidly with one joint of the rig.
* **bones** — every output bone gets a constant length, its median over the clip, keeping its
  direction (a no-op for bones the rig holds rigid; :attr:`ImportReport.bone_fix_mm` says how far
  it moved any joint). ``proportions="humanml3d"`` uses the HumanML3D reference lengths instead and
  scales the root's path by the ratio of leg lengths, as HumanML3D did to its own clips.
* **conventions** (both skeletons) — metres, Y up, the lowest joint of the clip on the floor
  (y = 0), the pelvis above the origin at the first frame, facing +Z there (HumanML3D's rule:
  perpendicular to the hips and shoulders), so the subject's left is +X.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Mapping, Optional, Union

import numpy as np

from ..errors import M2TError
from ..skeletons import HUMANML3D_BONE_LENGTHS, HUMANML3D_JOINTS, Skeleton, get_skeleton
from .bvh import (
    END_SUFFIX, BvhMotion, end_site_positions, forward_kinematics_local, local_transforms, read_bvh,
    rest_positions,
)
from .rigs import RigMap, rig_for
from .rotations import resample_linear, resample_quaternions, yaw_rotation
from .synthetic.kinematics import REST_RELATIVE as _HML_REST

#: Metres per file unit.
UNITS: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254}
#: Axis index of each supported up axis.
UP_AXES: dict[str, int] = {"Y": 1, "Z": 2}
#: Target joint → landmark, for the KIT-ML skeleton (the HumanML3D joints are landmarks themselves).
KIT_LANDMARKS: dict[str, str] = {
    "BP": "pelvis", "BT": "spine1", "BLN": "spine3", "BUN": "neck", "head": "head",
    "LS": "left_shoulder", "LE": "left_elbow", "LW": "left_wrist",
    "RS": "right_shoulder", "RE": "right_elbow", "RW": "right_wrist",
    "LH": "left_hip", "LK": "left_knee", "LA": "left_ankle", "LM": "left_foot", "LF": "left_toe_tip",
    "RH": "right_hip", "RK": "right_knee", "RA": "right_ankle", "RM": "right_foot", "RF": "right_toe_tip",
}
#: Joints that define facing (HumanML3D's rule): right hip, left hip, right shoulder, left shoulder.
FACING_JOINTS: dict[str, tuple[str, str, str, str]] = {
    "humanml3d": ("right_hip", "left_hip", "right_shoulder", "left_shoulder"),
    "kit": ("RH", "LH", "RS", "LS"),
}
_SIZE_CHAIN = (("head", "neck"), ("neck", "pelvis"), ("pelvis", "left_hip"), ("left_hip", "left_knee"),
               ("left_knee", "left_ankle"))
# HumanML3D's spine proportions: spine1 and spine2 at these fractions of the pelvis → spine3 path,
# spine3 at SPINE3_OF_NECK of the pelvis → neck path (reference bone lengths).
_L = HUMANML3D_BONE_LENGTHS
SPINE_FRACTIONS = (_L["spine1"] / (_L["spine1"] + _L["spine2"] + _L["spine3"]),
                   (_L["spine1"] + _L["spine2"]) / (_L["spine1"] + _L["spine2"] + _L["spine3"]))
SPINE3_OF_NECK = (_L["spine1"] + _L["spine2"] + _L["spine3"]) / (
    _L["spine1"] + _L["spine2"] + _L["spine3"] + _L["neck"])
COLLAR_FRACTION = 0.5
BALL_OF_SHIN, BALL_DOWN_DEG, TIP_OF_FOOT = 0.33, 21.0, 0.35


def _reference_size() -> float:
    idx = {n: i for i, n in enumerate(HUMANML3D_JOINTS)}
    return float(sum(np.linalg.norm(_HML_REST[idx[a]] - _HML_REST[idx[b]]) for a, b in _SIZE_CHAIN))


#: The size measure (see the module docstring) of the HumanML3D reference skeleton, metres.
REFERENCE_SIZE_M = _reference_size()


@dataclass
class ImportReport:
    """What :func:`import_bvh` found and did. ``rotation``/``scale``/``translation`` map the file's
    coordinates to the output's, ``out = scale · rotation @ p + translation``, before the
    constant-bone-length step (which moved no joint by more than ``bone_fix_mm``)."""

    source: str
    skeleton: str
    rig: str
    rig_description: str
    units: str
    units_how: str  # "detected" or "given"
    up: str  # "Y" or "Z"
    up_how: str  # "rest pose", "motion" or "given"
    fps_in: float
    fps_out: float
    frames_in: int
    frames_out: int
    start_s: float
    end_s: float
    facing_in: str  # the file's direction the body faced at the first output frame, e.g. "+X"
    turn_deg: float  # rotation about +Y applied to face +Z
    head_height_m: float  # head joint above the floor at the first frame
    bone_fix_mm: float
    proportions: str
    sources: dict[str, str] = field(default_factory=dict)  # target joint → where it came from
    placed: tuple[str, ...] = ()  # target joints placed by rule
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3), repr=False)
    scale: float = 1.0
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3), repr=False)

    def lines(self) -> list[str]:
        """A short human summary (a few lines)."""
        out = [f"{self.source}: {self.rig_description} ({self.rig}); units {self.units} ({self.units_how}), "
               f"up +{self.up} ({self.up_how})",
               f"  {self.frames_in} frames at {self.fps_in:.4g} fps → {self.frames_out} frames at "
               f"{self.fps_out:g} fps ({self.start_s:.2f}–{self.end_s:.2f} s), {self.skeleton} skeleton",
               f"  faced {self.facing_in} at the first frame: turned {self.turn_deg:+.1f}° to face +Z; head "
               f"{self.head_height_m:.2f} m above the floor"]
        if self.placed:
            out.append("  placed by rule: " + ", ".join(f"{j} ({self.sources[j].removeprefix('rule: ')})"
                                                        for j in self.placed))
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rotation"] = np.asarray(self.rotation).tolist()
        d["translation"] = np.asarray(self.translation).tolist()
        d["placed"] = list(self.placed)
        return d


@dataclass
class ImportedMotion:
    """Joint positions ``joints`` (T, J, 3) float32 metres in the dataset's conventions, the skeleton
    they follow and the import report."""

    joints: np.ndarray
    skeleton: Skeleton
    report: ImportReport

    @property
    def n_frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def fps(self) -> float:
        return float(self.skeleton.fps)


# ------------------------------------------------------------------------------------------------
# poses and landmarks
# ------------------------------------------------------------------------------------------------


@dataclass
class _Pose:
    """World positions (T, J, 3), rotations (T, J, 3, 3) and End Site positions (T, E, 3)."""

    pos: np.ndarray
    rot: np.ndarray
    ends: np.ndarray


class _Landmarks:
    """Landmark positions of one rig in one pose sequence (file units and axes), placed on demand."""

    def __init__(self, motion: BvhMotion, rig: RigMap, pose: _Pose, ref: _Pose, up: Optional[np.ndarray]):
        self.m, self.rig, self.pose, self.ref, self.up = motion, rig, pose, ref, up
        self.cache: dict[str, np.ndarray] = {}
        self.sources: dict[str, str] = {}
        self.anchor: dict[str, int] = {}  # landmark → the rig joint whose rotation carries it

    # -- direct ----------------------------------------------------------------------------------
    def joint(self, mark: str) -> Optional[int]:
        ref = self.rig.joints.get(mark)
        if ref is None or ref.endswith(END_SUFFIX):
            return None
        return self.m.joint_index(ref)

    def _direct(self, mark: str, pose: _Pose) -> Optional[np.ndarray]:
        ref = self.rig.joints.get(mark)
        if ref is None:
            return None
        if ref.endswith(END_SUFFIX):
            j = self.m.joint_index(ref[: -len(END_SUFFIX)])
            return pose.ends[:, self.m.ends_of(j)[0]]
        return pose.pos[:, self.m.joint_index(ref)]

    def __getitem__(self, mark: str) -> np.ndarray:
        if mark not in self.cache:
            found = self._direct(mark, self.pose)
            if found is not None:
                self.sources[mark] = self.rig.joints[mark]
                ref = self.rig.joints[mark]
                self.anchor[mark] = self.m.joint_index(ref[: -len(END_SUFFIX)] if ref.endswith(END_SUFFIX) else ref)
            else:
                found = self._place(mark)
            self.cache[mark] = found
        return self.cache[mark]

    def in_ref(self, mark: str) -> np.ndarray:
        """A directly mapped landmark in the reference pose (3,)."""
        found = self._direct(mark, self.ref)
        assert found is not None, mark
        return found[0]

    # -- rules -----------------------------------------------------------------------------------
    def _place(self, mark: str) -> np.ndarray:
        if mark.startswith("spine"):
            self._place_spine()
            return self.cache[mark]
        side = mark.split("_")[0]
        if mark.endswith("_collar"):
            return self._place_collar(mark, side)
        if mark.endswith("_foot"):
            return self._place_ball(mark, side)
        if mark.endswith("_toe_tip"):
            return self._place_tip(mark, side)
        raise AssertionError(mark)  # pragma: no cover - required landmarks are always mapped

    def _path(self, top: int) -> list[int]:
        """Rig joints from the pelvis down the tree to ``top`` (inclusive)."""
        pelvis = self.joint("pelvis")
        chain = [top]
        while chain[-1] != pelvis:
            p = self.m.parents[chain[-1]]
            if p < 0:
                raise M2TError(f"{self.m.source}: joint {self.m.names[top]} is not below the pelvis joint "
                               f"{self.m.names[pelvis]} in the hierarchy; the joint map is wrong")
            chain.append(p)
        return chain[::-1]

    def _arc(self, path: list[int]) -> np.ndarray:
        """Cumulative rest-pose length along ``path`` (file units)."""
        seg = np.linalg.norm(np.diff(self.ref.pos[0, path], axis=0), axis=-1)
        return np.concatenate([[0.0], np.cumsum(seg)])

    def _on_path(self, path: list[int], arc: np.ndarray, s: float, mark: str) -> None:
        """Place ``mark`` at arc length ``s`` along ``path``: a point on the bone there, moving with
        the bone's parent joint."""
        k = int(np.clip(np.searchsorted(arc, s, side="right") - 1, 0, len(path) - 2))
        a, b = path[k], path[k + 1]
        f = float(np.clip((s - arc[k]) / max(arc[k + 1] - arc[k], 1e-12), 0.0, 1.0))
        self.cache[mark] = self.pose.pos[:, a] + f * (self.pose.pos[:, b] - self.pose.pos[:, a])
        self.sources[mark] = f"rule: {100 * f:.0f}% along {self.m.names[a]}→{self.m.names[b]}"
        self.anchor[mark] = a

    def _use_joint(self, mark: str, j: int, why: str) -> None:
        self.cache[mark] = self.pose.pos[:, j]
        self.sources[mark] = f"rule: {self.m.names[j]} ({why})"
        self.anchor[mark] = j

    def _place_spine(self) -> None:
        neck = self.joint("neck")
        path = self._path(neck)
        arc = self._arc(path)
        marks = {"spine1": self.joint("spine1"), "spine2": self.joint("spine2"), "spine3": self.joint("spine3")}
        for m, j in marks.items():
            if j is not None:
                self[m]
        chest = marks["spine3"]
        used = {j for j in marks.values() if j is not None}
        if chest is None:
            arms = [self._path(self.joint(s)) for s in ("left_shoulder", "right_shoulder")]
            common = [j for j in path[1:-1] if all(j in a for a in arms) and j not in used]
            if common:
                chest = common[-1]
                self._use_joint("spine3", chest, "where the neck and arms meet")
            else:
                self._on_path(path, arc, SPINE3_OF_NECK * arc[-1], "spine3")
        if chest is not None and chest in path:
            top = path.index(chest)
            path, arc = path[: top + 1], arc[: top + 1]
            targets = [f * arc[-1] for f in SPINE_FRACTIONS]
        else:  # spine3 is a point on a bone (or mapped off the path): fractions of the neck path
            targets = [f * SPINE3_OF_NECK * arc[-1] for f in SPINE_FRACTIONS]
        missing = [i for i, m in enumerate(("spine1", "spine2")) if marks[m] is None]
        used.add(chest)
        free = [k for k in range(1, len(path) - 1) if path[k] not in used]
        chosen: dict[int, int] = {}  # spine index → path position
        if free and missing:
            n = min(len(free), len(missing))
            best = None
            for ks in itertools.combinations(free, n):  # the free joints nearest the targets, in order
                for ms in itertools.combinations(missing, n):
                    cost = sum(abs(arc[k] - targets[i]) for k, i in zip(ks, ms))
                    if best is None or cost < best[0]:
                        best = (cost, dict(zip(ms, ks)))
            chosen = best[1]
        for i in missing:
            mark = ("spine1", "spine2")[i]
            if i in chosen:
                self._use_joint(mark, path[chosen[i]], f"the spine joint nearest {100 * SPINE_FRACTIONS[i]:.0f}% "
                                                       "of the way to the chest")
            else:
                self._on_path(path, arc, targets[i], mark)

    def _place_collar(self, mark: str, side: str) -> np.ndarray:
        arm = self.joint(f"{side}_shoulder")
        parent = self.m.parents[arm]
        f = COLLAR_FRACTION
        self.sources[mark] = f"rule: {100 * f:.0f}% along {self.m.names[parent]}→{self.m.names[arm]}"
        self.anchor[mark] = parent
        return self.pose.pos[:, parent] + f * (self.pose.pos[:, arm] - self.pose.pos[:, parent])

    def _carried(self, start: np.ndarray, anchor: int, offset_ref: np.ndarray) -> np.ndarray:
        """``start`` plus a reference-pose offset carried by the anchor joint's rotation."""
        local = self.ref.rot[0, anchor].T @ offset_ref
        return start + np.einsum("tab,b->ta", self.pose.rot[:, anchor], local)

    def _ref_forward(self) -> np.ndarray:
        """The body's forward direction in the reference pose (unit, perpendicular to up)."""
        across = (self.in_ref("right_hip") - self.in_ref("left_hip")
                  + self.in_ref("right_shoulder") - self.in_ref("left_shoulder"))
        fwd = np.cross(self.up, across)
        return fwd / max(np.linalg.norm(fwd), 1e-12)

    def _ball_offset(self, side: str) -> np.ndarray:
        """The rule's ankle → ball of the foot vector in the reference pose."""
        shin = np.linalg.norm(self.in_ref(f"{side}_knee") - self.in_ref(f"{side}_ankle"))
        a = math.radians(BALL_DOWN_DEG)
        return BALL_OF_SHIN * shin * (math.cos(a) * self._ref_forward() - math.sin(a) * self.up)

    def _place_ball(self, mark: str, side: str) -> np.ndarray:
        ankle = self.joint(f"{side}_ankle")
        self.sources[mark] = f"rule: {BALL_OF_SHIN:g} shin ahead of {self.m.names[ankle]}, {BALL_DOWN_DEG:g}° down"
        self.anchor[mark] = ankle
        return self._carried(self.pose.pos[:, ankle], ankle, self._ball_offset(side))

    def _place_tip(self, mark: str, side: str) -> np.ndarray:
        ball_mark = f"{side}_foot"
        ball = self[ball_mark]
        if self.rig.joints.get(ball_mark) is not None:  # ankle → ball in the reference pose
            foot = self.in_ref(ball_mark) - self.in_ref(f"{side}_ankle")
        else:
            foot = self._ball_offset(side)
        level = foot - np.dot(foot, self.up) * self.up
        if np.linalg.norm(level) < 1e-9 * max(np.linalg.norm(foot), 1e-12):
            level = self._ref_forward()
        offset = TIP_OF_FOOT * np.linalg.norm(foot) * level / np.linalg.norm(level)
        self.sources[mark] = f"rule: {TIP_OF_FOOT:g} foot beyond the ball, level"
        self.anchor[mark] = self.anchor[ball_mark]
        return self._carried(ball, self.anchor[mark], offset)


# ------------------------------------------------------------------------------------------------
# units, up axis, conventions
# ------------------------------------------------------------------------------------------------


def _size(points: Mapping[str, np.ndarray]) -> float:
    return float(sum(np.linalg.norm(points[a] - points[b]) for a, b in _SIZE_CHAIN))


def detect_units(size_in_file_units: float, source: str = "BVH") -> str:
    """The unit (key of :data:`UNITS`) that makes a skeleton of this size human-sized."""
    if not size_in_file_units > 0:
        raise M2TError(f"{source}: the skeleton has no size (its joints coincide); check the OFFSETs")
    ratios = {u: size_in_file_units * k / REFERENCE_SIZE_M for u, k in UNITS.items()}
    unit = min(ratios, key=lambda u: abs(math.log(ratios[u])))
    if not 0.4 <= ratios[unit] <= 2.5:
        raise M2TError(f"{source}: the skeleton measures {size_in_file_units:.4g} file units from head to "
                       f"ankle, which no unit ({', '.join(UNITS)}) makes human-sized; pass units=")
    return unit


def _upright_axis(head_minus_pelvis: np.ndarray, pelvis_minus_ankles: np.ndarray) -> Optional[str]:
    """The up axis a standing pose shows (each vector within 37° of it), else None."""
    for name, ax in UP_AXES.items():
        if all(v[ax] > 0.8 * np.linalg.norm(v) for v in (head_minus_pelvis, pelvis_minus_ankles)):
            return name
    return None


def _axis_matrix(up: str) -> np.ndarray:
    """Rotation taking the file's up axis to +Y (Z-up: x → x, z → y, y → −z)."""
    if up == "Y":
        return np.eye(3)
    return np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def facing_angle(joints: np.ndarray, skeleton: Skeleton, frame: int = 0) -> float:
    """Heading of the body at ``frame`` (radians, about +Y; 0 = facing +Z, π/2 = facing +X), from the
    hips and shoulders (HumanML3D's rule). M2TError when they do not define a direction."""
    r_hip, l_hip, r_sh, l_sh = (skeleton.joint_index(n) for n in FACING_JOINTS[skeleton.name])
    p = joints[frame]
    across = p[r_hip] - p[l_hip] + p[r_sh] - p[l_sh]
    fwd = np.cross([0.0, 1.0, 0.0], across)
    if np.hypot(fwd[0], fwd[2]) < 1e-9:
        raise M2TError("cannot tell which way the body faces at the first frame (hips and shoulders are "
                       "vertically aligned); cut the clip to start at another frame")
    return float(math.atan2(fwd[0], fwd[2]))


def _axis_name(v: np.ndarray) -> str:
    k = int(np.argmax(np.abs(v)))
    return ("+" if v[k] > 0 else "-") + "XYZ"[k]


def face_and_centre(joints: np.ndarray, skeleton: Skeleton) -> tuple[np.ndarray, float, np.ndarray]:
    """The pelvis above the origin at the first frame and the body facing +Z there (heights kept).

    Returns the moved joints, the rotation applied about +Y (degrees) and the translation applied
    before it (3,)."""
    shift = -joints[0, 0] * np.array([1.0, 0.0, 1.0])
    turn = -facing_angle(joints, skeleton)
    out = (joints + shift) @ yaw_rotation(turn).T
    return out, math.degrees(turn), shift


def constant_bones(joints: np.ndarray, parents: tuple[int, ...], lengths: Optional[np.ndarray] = None
                   ) -> np.ndarray:
    """Rebuild a clip so every bone has a constant length (``lengths``, default each bone's median
    over the clip), keeping each bone's direction and the root's path. ``parents[j] < j``."""
    out = joints.copy()
    vec = joints[:, 1:] - joints[:, list(parents[1:])]
    norm = np.linalg.norm(vec, axis=-1)
    if lengths is None:
        lengths = np.concatenate([[0.0], np.median(norm, axis=0)])
    unit = np.divide(vec, norm[..., None], out=np.zeros_like(vec), where=norm[..., None] > 1e-12)
    for j in range(1, len(parents)):
        out[:, j] = out[:, parents[j]] + lengths[j] * unit[:, j - 1]
    return out


# ------------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------------


def _times(motion: BvhMotion, fps: float, start: Optional[float], end: Optional[float]) -> np.ndarray:
    """Output frame times (seconds from the file's first frame) for the cut [start, end]."""
    dur = motion.duration
    t0 = 0.0 if start is None else float(start)
    t1 = dur if end is None else float(end)
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise M2TError("start and end must be finite numbers of seconds")
    if t0 < 0 or t0 > dur + 1e-9:
        raise M2TError(f"start {t0:g} s is outside {motion.source}, which lasts {dur:.3f} s")
    if t1 < t0 or (t1 == t0 and dur > 0) or t1 > dur + 1e-6:
        raise M2TError(f"end {t1:g} s must be after start {t0:g} s and at most {dur:.3f} s, the length of "
                       f"{motion.source}")
    n = int(math.floor((t1 - t0) * fps + 1e-6)) + 1
    return t0 + np.arange(n) / fps


def _needed_joints(motion: BvhMotion, rig: RigMap) -> list[int]:
    """The mapped joints and all their ancestors, in file order (FK needs nothing else)."""
    keep: set[int] = set()
    for ref in rig.joints.values():
        j = motion.joint_index(ref[: -len(END_SUFFIX)] if ref.endswith(END_SUFFIX) else ref)
        while j >= 0 and j not in keep:
            keep.add(j)
            j = motion.parents[j]
    return sorted(keep)


def _sub_motion(motion: BvhMotion, keep: list[int]) -> BvhMotion:
    """``motion`` restricted to the joints ``keep`` (closed under parents), with their End Sites."""
    new = {j: k for k, j in enumerate(keep)}
    starts = motion.channel_start
    cols = [c for j in keep for c in range(starts[j], starts[j] + len(motion.channels[j]))]
    ends = [e for e, p in enumerate(motion.end_parents) if p in new]
    return BvhMotion(
        names=tuple(motion.names[j] for j in keep),
        parents=tuple(new[motion.parents[j]] if motion.parents[j] >= 0 else -1 for j in keep),
        offsets=motion.offsets[keep], channels=tuple(motion.channels[j] for j in keep),
        end_parents=tuple(new[motion.end_parents[e]] for e in ends), end_offsets=motion.end_offsets[ends],
        frame_time=motion.frame_time, values=motion.values[:, cols], source=motion.source)


def _pose_at(motion: BvhMotion, times: np.ndarray) -> _Pose:
    """FK at ``times`` (seconds): local rotations slerped, translations interpolated linearly."""
    quats, trans = local_transforms(motion)
    u = times / motion.frame_time
    pos, rot = forward_kinematics_local(motion.parents, resample_quaternions(quats, u), resample_linear(trans, u))
    return _Pose(pos, rot, end_site_positions(motion, pos, rot))


def _rest_pose(motion: BvhMotion) -> _Pose:
    pos = rest_positions(motion)[None]
    rot = np.broadcast_to(np.eye(3), (1, motion.n_joints, 3, 3))
    return _Pose(pos, rot, end_site_positions(motion, pos, rot))


def _standing_axis(marks: _Landmarks, pose: _Pose) -> Optional[str]:
    """The up axis of ``pose``'s first frame when the body stands upright in it, else None."""
    r = {m: marks._direct(m, pose)[0] for m in ("head", "pelvis", "left_ankle", "right_ankle")}
    return _upright_axis(r["head"] - r["pelvis"], r["pelvis"] - 0.5 * (r["left_ankle"] + r["right_ankle"]))


def _choose_up(marks: _Landmarks, rest_axis: Optional[str], up: str) -> tuple[str, str]:
    if up.upper() in UP_AXES:
        return up.upper(), "given"
    if up != "auto":
        raise M2TError(f"up must be 'auto', 'y' or 'z', not {up!r}")
    if rest_axis is not None:
        return rest_axis, "rest pose"
    rise = (marks["head"] - 0.5 * (marks["left_ankle"] + marks["right_ankle"])).mean(axis=0)
    best = max(UP_AXES, key=lambda a: rise[UP_AXES[a]])
    if rise[UP_AXES[best]] <= 0:
        raise M2TError(f"{marks.m.source}: cannot tell the up axis (the head is not above the feet along Y "
                       "or Z); pass up='y' or up='z'")
    return best, "motion"


def _landmarks(motion: BvhMotion, rig: RigMap, times: np.ndarray, up: str) -> tuple[_Landmarks, str, str]:
    """The rig's landmarks at ``times`` (file units and axes), with the up axis and how it was found."""
    pose, rest = _pose_at(motion, times), _rest_pose(motion)
    marks = _Landmarks(motion, rig, pose, rest, None)
    rest_axis = _standing_axis(marks, rest)
    up_name, up_how = _choose_up(marks, rest_axis, up)
    marks.up = np.eye(3)[UP_AXES[up_name]]
    if rest_axis != up_name:  # the rest pose does not stand upright: the first frame is the reference
        marks.ref = _Pose(pose.pos[:1], pose.rot[:1], pose.ends[:1])
    return marks, up_name, up_how


def _fixed_bones(joints: np.ndarray, sk: Skeleton, proportions: str) -> np.ndarray:
    """Constant bone lengths: the clip's medians, or HumanML3D's reference lengths (root path scaled)."""
    if proportions == "source":
        return constant_bones(joints, sk.parents)
    lengths = np.array([0.0] + [HUMANML3D_BONE_LENGTHS[n] for n in sk.joint_names[1:]])
    return constant_bones(_humanml3d_proportions(joints, sk), sk.parents, lengths)


def _check_options(sk: Skeleton, units: str, proportions: str) -> None:
    if proportions not in ("source", "humanml3d"):
        raise M2TError(f"proportions must be 'source' or 'humanml3d', not {proportions!r}")
    if proportions == "humanml3d" and sk.name != "humanml3d":
        raise M2TError("proportions='humanml3d' needs the humanml3d skeleton (KIT has no reference lengths)")
    if units != "auto" and units not in UNITS:
        raise M2TError(f"units must be 'auto' or one of {', '.join(UNITS)}, not {units!r}")


def import_bvh(source: Union[str, Path, BvhMotion], skeleton: Union[str, Skeleton] = "humanml3d",
               rig_map: Union[None, str, Path, RigMap, Mapping] = None, start: Optional[float] = None,
               end: Optional[float] = None, units: str = "auto", up: str = "auto",
               proportions: str = "source") -> ImportedMotion:
    """Import a BVH recording as joint positions of ``skeleton`` (``"humanml3d"`` or ``"kit"``).

    ``rig_map``: None to recognise the rig from the joint names, a built-in rig name, a TOML joint
    map, a mapping or a :class:`~m2t_interpret.data.rigs.RigMap`. ``start``/``end``: seconds from
    the first frame (default: all). ``units``: ``"auto"`` or one of :data:`UNITS`; ``up``:
    ``"auto"``, ``"y"`` or ``"z"``. ``proportions``: ``"source"`` (the performer's own bone
    lengths) or ``"humanml3d"`` (the HumanML3D reference skeleton's). See the module docstring for
    every rule; bad input raises M2TError with one line.
    """
    sk = get_skeleton(skeleton)
    _check_options(sk, units, proportions)
    full = source if isinstance(source, BvhMotion) else read_bvh(source)
    rig = rig_for(full, rig_map)
    motion = _sub_motion(full, _needed_joints(full, rig))
    times = _times(motion, sk.fps, start, end)
    marks, up_name, up_how = _landmarks(motion, rig, times, up)
    size = _size({m: marks[m][0] for m in ("head", "neck", "pelvis", "left_hip", "left_knee", "left_ankle")})
    unit = detect_units(size, motion.source) if units == "auto" else units
    names = HUMANML3D_JOINTS if sk.name == "humanml3d" else tuple(KIT_LANDMARKS[n] for n in sk.joint_names)
    axes = _axis_matrix(up_name)
    raw = UNITS[unit] * np.stack([marks[m] for m in names], axis=1) @ axes.T
    joints = _fixed_bones(raw, sk, proportions)
    bone_fix = float(np.abs(joints - raw).max()) * 1000
    floor = joints[..., 1].min()
    joints[..., 1] -= floor
    facing = yaw_rotation(facing_angle(joints, sk)) @ np.array([0.0, 0.0, 1.0])
    joints, turn_deg, shift = face_and_centre(joints, sk)
    yaw = yaw_rotation(math.radians(turn_deg))
    report = ImportReport(
        source=motion.source, skeleton=sk.name, rig=rig.name, rig_description=rig.description, units=unit,
        units_how="detected" if units == "auto" else "given", up=up_name, up_how=up_how,
        fps_in=motion.fps, fps_out=sk.fps, frames_in=motion.n_frames, frames_out=len(times),
        start_s=float(times[0]), end_s=float(times[-1]), facing_in=_axis_name(axes.T @ facing),
        turn_deg=turn_deg, head_height_m=float(joints[0, sk.joint_index("head"), 1]), bone_fix_mm=bone_fix,
        proportions=proportions,
        sources={t: marks.sources[m] for t, m in zip(sk.joint_names, names)},
        placed=tuple(t for t, m in zip(sk.joint_names, names) if marks.sources[m].startswith("rule:")),
        rotation=yaw @ axes, scale=UNITS[unit], translation=yaw @ (shift - np.array([0.0, floor, 0.0])))
    return ImportedMotion(joints.astype(np.float32), sk, report)


def _humanml3d_proportions(joints: np.ndarray, sk: Skeleton) -> np.ndarray:
    """Scale the root's path (about its first-frame position, heights about the floor) by the ratio
    of the reference legs (hip–knee–ankle) to the performer's, as HumanML3D did."""
    idx = sk.joint_index
    legs = [("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("right_hip", "right_knee"),
            ("right_knee", "right_ankle")]
    own = sum(float(np.median(np.linalg.norm(joints[:, idx(a)] - joints[:, idx(b)], axis=-1))) for a, b in legs)
    ref = sum(HUMANML3D_BONE_LENGTHS[b] for _, b in legs)
    ratio = ref / own
    base = joints[0, 0] * np.array([1.0, 0.0, 1.0]) + np.array([0.0, joints[..., 1].min(), 0.0])
    out = joints.copy()
    out[:, 0] = base + ratio * (joints[:, 0] - base)
    return out


# ------------------------------------------------------------------------------------------------
# windows
# ------------------------------------------------------------------------------------------------


def window_starts(n_frames: int, skeleton: Skeleton, length: Optional[int] = None,
                  hop: Optional[int] = None) -> list[tuple[int, int]]:
    """Frame ranges ``[a, b)`` covering ``n_frames`` with windows the captioner accepts.

    ``length`` (default the longest accepted, ``max_frames − 1``) must lie in the skeleton's
    [min_frames, max_frames); ``hop`` (default ``length``) is the step between window starts. The
    last window ends at the last frame (overlapping the one before when needed), so every frame is
    in a window and every window has ``length`` frames; a clip shorter than ``length`` but at least
    ``min_frames`` long is one window."""
    lo, hi = skeleton.min_frames, skeleton.max_frames
    length = hi - 1 if length is None else int(length)
    if not lo <= length < hi:
        raise M2TError(f"a window of {length} frames is outside what the {skeleton.name} captioner accepts "
                       f"({lo}–{hi - 1} frames, {lo / skeleton.fps:g}–{(hi - 1) / skeleton.fps:g} s)")
    hop = length if hop is None else int(hop)
    if not 1 <= hop <= length:
        raise M2TError(f"the hop between windows must be 1–{length} frames, not {hop}")
    if n_frames < lo:
        raise M2TError(f"the motion has {n_frames} frames ({n_frames / skeleton.fps:.2f} s at "
                       f"{skeleton.fps:g} fps); the {skeleton.name} captioner needs at least {lo} "
                       f"({lo / skeleton.fps:g} s)")
    if n_frames <= length:
        return [(0, n_frames)]
    starts = list(range(0, n_frames - length + 1, hop))
    if starts[-1] + length < n_frames:
        starts.append(n_frames - length)
    return [(a, a + length) for a in starts]


def split_windows(motion: ImportedMotion, length_s: Optional[float] = None,
                  hop_s: Optional[float] = None) -> list[ImportedMotion]:
    """Cut an import into windows the captioner accepts (see :func:`window_starts`; lengths in
    seconds). Each window is moved so its pelvis is above the origin and it faces +Z at its own
    first frame, as a dataset clip; heights (the floor) stay those of the whole import."""
    sk, fps = motion.skeleton, motion.fps
    length = None if length_s is None else int(round(length_s * fps))
    hop = None if hop_s is None else int(round(hop_s * fps))
    out = []
    r = motion.report
    for a, b in window_starts(motion.n_frames, sk, length, hop):
        joints, turn, shift = face_and_centre(motion.joints[a:b].astype(np.float64), sk)
        yaw = yaw_rotation(math.radians(turn))
        rep = replace(r, frames_out=b - a, start_s=r.start_s + a / fps, end_s=r.start_s + (b - 1) / fps,
                      head_height_m=float(joints[0, sk.joint_index("head"), 1]), turn_deg=r.turn_deg + turn,
                      rotation=yaw @ r.rotation, translation=yaw @ (r.translation + shift),
                      sources=dict(r.sources))
        out.append(ImportedMotion(joints.astype(np.float32), sk, rep))
    return out
