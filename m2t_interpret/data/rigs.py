"""Joint-name maps of motion-capture rigs, user maps from TOML, and recognising a file's rig.

A rig map says which joint of a BVH file is which *landmark* of the body. The landmarks are the
22 HumanML3D joints (``pelvis``, ``left_hip``, … ``right_wrist``) plus the tips of the toes
(``left_toe_tip``, ``right_toe_tip``), which KIT-ML's skeleton needs. A map entry names a joint of
the file, or an End Site as ``"<joint>/end"`` (the tip of the joint's end bone).

Built-in rigs (names compared exactly, else case-insensitively):

* ``motionbuilder`` — CMU / MotionBuilder names: ``Hips``, ``LeftUpLeg``, ``LeftLeg``, ``LeftFoot``,
  ``LeftToeBase``, ``Spine``…, ``Neck``, ``Head``, ``LeftShoulder`` (collar), ``LeftArm``,
  ``LeftForeArm``, ``LeftHand``;
* ``mixamo`` — the same names behind a ``mixamorig:`` prefix, three spine joints ``Spine``,
  ``Spine1``, ``Spine2``, toe tips ``LeftToe_End``;
* ``lafan1`` — Ubisoft LAFAN1: ``LeftToe`` for the ball of the foot, ``Spine``, ``Spine1``, ``Spine2``;
* ``smpl`` — SMPL joint names as the HumanML3D skeleton uses them (``pelvis``, ``left_hip``, …,
  ``left_collar``, ``left_shoulder``) or as SMPL-X exporters write them (``Pelvis``, ``L_Hip``, …);
* ``kit`` — the KIT-ML / MMM names (``BP``, ``BT``, ``BLN``, ``BUN``, ``head``, ``LS`` … ``RF``).

Landmarks a rig lacks are placed by rule (see :mod:`m2t_interpret.data.retarget`); only the
:data:`REQUIRED` ones must be in the file.

A user map for any other rig is a small TOML file::

    name = "my studio rig"        # optional; shown in the import report
    [joints]
    pelvis = "root"
    left_hip = "thigh_l"
    left_foot = "foot_l/end"      # an End Site
    # … every landmark in REQUIRED; the others are optional
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Union

from ..errors import M2TError
from ..skeletons import HUMANML3D_JOINTS
from .bvh import END_SUFFIX, BvhMotion, find_joint

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Every landmark a map may name: the HumanML3D joints and the toe tips.
LANDMARKS: tuple[str, ...] = HUMANML3D_JOINTS + ("left_toe_tip", "right_toe_tip")
#: Landmarks every map must find in the file (the rest can be placed by rule).
REQUIRED: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "neck",
    "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)


@dataclass(frozen=True)
class Rig:
    """A rig's joint names: for each landmark, the candidate names in order of preference."""

    name: str
    description: str
    candidates: Mapping[str, tuple[str, ...]]
    prefix: str = ""  # a regular expression stripped from the start of every joint name
    needs_prefix: bool = False  # recognised only when some joint name carries the prefix
    #: landmarks that must resolve to their first candidate for the file to be recognised as this rig
    signature: tuple[str, ...] = ()

    def strip(self, joint: str) -> str:
        return re.sub("^" + self.prefix, "", joint) if self.prefix else joint


@dataclass(frozen=True)
class RigMap:
    """A rig resolved against one file: landmark → the file's joint name (or ``"<joint>/end"``)."""

    name: str
    description: str
    joints: dict[str, str] = field(default_factory=dict)


def _sided(table: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Expand ``{"left_x": ("{L}Name", …)}`` into left and right entries; ``{L}`` becomes the side's
    word in the rig's style (``{L}`` Left/Right, ``{l}`` L/R, ``{s}`` left/right)."""
    out: dict[str, tuple[str, ...]] = {}
    for key, names in table.items():
        if key.startswith("left_"):
            for side, big, short, low in (("left", "Left", "L", "left"), ("right", "Right", "R", "right")):
                out[side + key[4:]] = tuple(n.format(L=big, l=short, s=low) for n in names)
        else:
            out[key] = names
    return out


_MOTIONBUILDER = {
    "pelvis": ("Hips",),
    "left_hip": ("{L}UpLeg",), "left_knee": ("{L}Leg",), "left_ankle": ("{L}Foot",),
    "left_foot": ("{L}ToeBase", "{L}Foot/end"), "left_toe_tip": ("{L}ToeBase/end", "{L}Toe_End"),
    "neck": ("Neck",), "head": ("Head",),
    "left_collar": ("{L}Shoulder",), "left_shoulder": ("{L}Arm",), "left_elbow": ("{L}ForeArm",),
    "left_wrist": ("{L}Hand",),
}
_THREE_SPINES = {"spine1": ("Spine",), "spine2": ("Spine1",), "spine3": ("Spine2",)}

RIGS: dict[str, Rig] = {
    "mixamo": Rig("mixamo", "Mixamo (mixamorig: names)", _sided({
        **_MOTIONBUILDER, **_THREE_SPINES,
        "left_toe_tip": ("{L}Toe_End", "{L}ToeBase/end")}), prefix=r"mixamorig\d*:", needs_prefix=True),
    "lafan1": Rig("lafan1", "Ubisoft LAFAN1 names", _sided({
        **_MOTIONBUILDER, **_THREE_SPINES,
        "left_foot": ("{L}Toe", "{L}Foot/end"), "left_toe_tip": ("{L}Toe/end", "{L}Toe_End")}),
        signature=("left_foot", "right_foot")),
    "smpl": Rig("smpl", "SMPL joint names", _sided({
        name: ((name.replace("left_", "{s}_"), "{l}_" + name[5:].capitalize()) if name.startswith("left_")
               else (name, name.capitalize()))
        for name in HUMANML3D_JOINTS if not name.startswith("right_")
    } | {"left_toe_tip": ("{s}_foot/end", "{l}_Foot/end")}), prefix=r"[mf]_avg_"),
    "kit": Rig("kit", "KIT-ML / MMM names", _sided({
        "pelvis": ("BP",), "spine1": ("BT",), "spine3": ("BLN",), "neck": ("BUN",), "head": ("head",),
        "left_shoulder": ("{l}S",), "left_elbow": ("{l}E",), "left_wrist": ("{l}W",), "left_hip": ("{l}H",),
        "left_knee": ("{l}K",), "left_ankle": ("{l}A",), "left_foot": ("{l}M",),
        "left_toe_tip": ("{l}F", "{l}M/end")})),
    "motionbuilder": Rig("motionbuilder", "CMU / MotionBuilder names", _sided(_MOTIONBUILDER)),
}
# Order of recognition: the more specific rigs first (Mixamo's prefix, LAFAN1's LeftToe), so a file
# that fits several takes the most specific; MotionBuilder's names are a subset of LAFAN1's.
_ORDER = ("mixamo", "smpl", "kit", "lafan1", "motionbuilder")


def _lookup(motion: BvhMotion, rig: Rig, ref: str) -> Optional[str]:
    """The file's name for ``ref`` (a joint, or ``"<joint>/end"``) under the rig's prefix, or None."""
    is_end = ref.endswith(END_SUFFIX)
    base = ref[: -len(END_SUFFIX)] if is_end else ref
    stripped = [rig.strip(n) for n in motion.names]
    j = stripped.index(base) if base in stripped else None
    if j is None:
        low = [k for k, n in enumerate(stripped) if n.casefold() == base.casefold()]
        j = low[0] if len(low) == 1 else None
    if j is None:
        return None
    if is_end:
        return motion.names[j] + END_SUFFIX if motion.ends_of(j) else None
    return motion.names[j]


#: Landmarks a built-in rig maps all together or not at all: a file with fewer spine joints than the
#: rig's names (a "Spine" but no "Spine1") gets its spine placed by rule, not half named.
SPINE = ("spine1", "spine2", "spine3")


def resolve_rig(motion: BvhMotion, rig: Rig) -> RigMap:
    """The rig's names found in ``motion`` (the first candidate present, per landmark)."""
    joints = {}
    for mark, names in rig.candidates.items():
        for ref in names:
            found = _lookup(motion, rig, ref)
            if found is not None:
                joints[mark] = found
                break
    if all(m in rig.candidates for m in SPINE) and not all(m in joints for m in SPINE):
        joints = {m: j for m, j in joints.items() if m not in SPINE}
    return RigMap(rig.name, rig.description, joints)


def _missing_required(rig: Rig, resolved: RigMap) -> list[str]:
    return [m for m in REQUIRED if m not in resolved.joints]


def recognise_rig(motion: BvhMotion) -> RigMap:
    """The built-in rig whose names the file uses. M2TError when no rig fits: a rig that finds most
    but not all of its required joints names the missing ones; otherwise the file needs a user map."""
    best: Optional[tuple[int, Rig, RigMap]] = None
    for key in _ORDER:
        rig = RIGS[key]
        if rig.needs_prefix and not any(re.match(rig.prefix, n) for n in motion.names):
            continue
        resolved = resolve_rig(motion, rig)
        if any(resolved.joints.get(m, END_SUFFIX).endswith(END_SUFFIX)
               or rig.strip(resolved.joints[m]).casefold() != rig.candidates[m][0].casefold()
               for m in rig.signature):
            continue
        missing = _missing_required(rig, resolved)
        if not missing:
            return resolved
        found = len(REQUIRED) - len(missing)
        if best is None or found > best[0]:
            best = (found, rig, resolved)
    if best is not None and best[0] * 3 >= len(REQUIRED) * 2:  # two thirds found: that rig, incomplete
        _, rig, resolved = best
        missing = _missing_required(rig, resolved)
        names = ", ".join(f"{rig.candidates[m][0]} ({m})" for m in missing[:4])
        raise M2TError(f"{motion.source} looks like a {rig.description} rig but its hierarchy has no joint "
                       f"{names}{', …' if len(missing) > 4 else ''}; give a joint map "
                       "(a TOML file, see docs/data.md) that names the file's joint for each")
    shown = ", ".join(motion.names[:8]) + (", …" if motion.n_joints > 8 else "")
    raise M2TError(f"{motion.source}: unknown rig (joints {shown}); its names match none of "
                   f"{', '.join(sorted(RIGS))}: give a joint map (a TOML file naming the file's joint for "
                   "each landmark, see docs/data.md)")


# ------------------------------------------------------------------------------------------------
# user maps
# ------------------------------------------------------------------------------------------------


def read_rig_map(path: Union[str, Path]) -> RigMap:
    """Read a user's joint map (TOML, see the module docstring); M2TError names what is wrong."""
    p = Path(path)
    if p.is_dir():
        raise M2TError(f"joint map {p} is a folder, not a TOML file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise M2TError(f"joint map not found: {p}") from None
    except UnicodeDecodeError:
        raise M2TError(f"joint map {p} is not a text file; write it as TOML (see docs/data.md)") from None
    except OSError as exc:
        raise M2TError(f"cannot read joint map {p}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise M2TError(f"joint map {p} is not valid TOML ({exc}); see docs/data.md for the format") from None
    return rig_map_from_dict(data, str(p))


def rig_map_from_dict(data: Mapping, source: str = "joint map") -> RigMap:
    """A user map from ``{"name": …, "joints": {landmark: joint}}``; M2TError on unknown keys or
    landmarks, non-string names, or a missing required landmark."""
    unknown_keys = sorted(set(data) - {"name", "joints"})
    if unknown_keys:
        raise M2TError(f"{source}: unknown key {unknown_keys[0]!r}; a joint map has `name` and a [joints] table")
    joints = data.get("joints")
    if not isinstance(joints, Mapping) or not joints:
        raise M2TError(f"{source} has no [joints] table; it maps landmarks to the file's joints, e.g. "
                       'pelvis = "Hips" (see docs/data.md)')
    bad = sorted(k for k in joints if k not in LANDMARKS)
    if bad:
        raise M2TError(f"{source}: {bad[0]!r} is not a landmark; use the HumanML3D joint names "
                       f"({', '.join(LANDMARKS[:4])}, …) or left_toe_tip/right_toe_tip")
    for k, v in joints.items():
        if not isinstance(v, str) or not v.strip():
            raise M2TError(f"{source}: {k} must be a joint name in quotes (a string), not {v!r}")
    missing = [m for m in REQUIRED if m not in joints]
    if missing:
        raise M2TError(f"{source} does not name the joint for {', '.join(missing[:4])}"
                       f"{', …' if len(missing) > 4 else ''}; every map needs: {', '.join(REQUIRED)}")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise M2TError(f"{source}: name must be a string, not {name!r}")
    return RigMap(name, f"user map {Path(source).name}", {k: v.strip() for k, v in joints.items()})


def check_rig_map(motion: BvhMotion, rig_map: RigMap) -> RigMap:
    """Every joint ``rig_map`` names exists in ``motion``; returns the map with the file's spelling."""
    out = {}
    for mark, ref in rig_map.joints.items():
        is_end = ref.endswith(END_SUFFIX)
        base = ref[: -len(END_SUFFIX)] if is_end else ref
        j = find_joint(motion, base)
        if j is None:
            shown = ", ".join(motion.names[:8]) + (", …" if motion.n_joints > 8 else "")
            raise M2TError(f"{rig_map.description} names joint {base!r} (for {mark}), which {motion.source} "
                           f"lacks (its joints: {shown}); fix the map")
        if is_end and not motion.ends_of(j):
            raise M2TError(f"{rig_map.description} names the End Site of {base!r} (for {mark}), but that joint "
                           f"has no End Site in {motion.source}; name a joint instead")
        out[mark] = motion.names[j] + (END_SUFFIX if is_end else "")
    return RigMap(rig_map.name, rig_map.description, out)


def rig_for(motion: BvhMotion, rig_map: Union[None, str, Path, RigMap, Mapping] = None) -> RigMap:
    """The map to use for ``motion``: recognised from its names (``rig_map=None``), a built-in rig by
    name (``"mixamo"``), a TOML file, a mapping, or a :class:`RigMap`; checked against the file."""
    if rig_map is None:
        return recognise_rig(motion)
    if isinstance(rig_map, str) and rig_map in RIGS:
        resolved = resolve_rig(motion, RIGS[rig_map])
        missing = _missing_required(RIGS[rig_map], resolved)
        if missing:
            raise M2TError(f"{motion.source} has no joint {RIGS[rig_map].candidates[missing[0]][0]} "
                           f"({missing[0]}), which the {rig_map} map needs; give a joint map (see docs/data.md)")
        return resolved
    if isinstance(rig_map, RigMap):
        return check_rig_map(motion, rig_map)
    if isinstance(rig_map, Mapping):
        return check_rig_map(motion, rig_map_from_dict(rig_map))
    if isinstance(rig_map, str) and not rig_map.lower().endswith(".toml") and not Path(rig_map).exists():
        raise M2TError(f"unknown rig {rig_map!r}: use one of {', '.join(sorted(RIGS))} or a joint map .toml file")
    return check_rig_map(motion, read_rig_map(rig_map))
