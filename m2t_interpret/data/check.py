"""``m2t-interpret data check DIR``: is a HumanML3D-layout dataset complete and consistent?

:func:`check_dataset` returns a :class:`DatasetCheck` with

* counts per split (ids, missing motion/text files, loaded samples and captions, too short/long,
  unreadable, malformed caption lines) — loading follows :func:`~.dataset.load_split`;
* skeleton, fps, units (metres, or millimetres converted) and clip lengths;
* split coverage: files on disk that no split lists, motions without captions and vice versa;
* M-pair consistency: for ids ``X`` and ``MX`` both on disk, ``MX`` should equal ``X`` mirrored
  (x negated, left/right joints swapped) within a tolerance (metres);
* which side is left, derived from geometry at frame 0: the facing direction comes from the feet
  (ankle → toe, which does not depend on joint names), the subject's left is ``up × facing``
  (Y up), and the check reports whether the joint *named* left hip (``left_hip`` / ``LH``) and left
  shoulder lie on that side. The facing direction implied by the names (``(L − R) × up`` over
  hips and shoulders) is reported too; both agree when the names are right.

The dataset is *unusable* (``usable=False``, CLI exit code 2) when it has no split file to check,
no sample could be loaded, a checked split file is missing, a split that lists ids loads none of them
(e.g. all their files are missing), or the train or val split lists no ids.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd

from ..errors import M2TError
from ..skeletons import Skeleton, get_skeleton, skeleton_for_joints
from .dataset import (MOTION_DIR, TEXT_DIR, LoadReport, list_ids, load_motion, load_split,
                      read_split_ids)

__all__ = ["mirror_permutation", "mirror_motion", "LeftSide", "detect_left_side", "SplitCheck",
           "MirrorCheck", "DatasetCheck", "check_dataset", "check_to_json", "is_check_json"]

DEFAULT_SPLITS = ("train", "val", "test")

# side-detection joints per skeleton: (left hip, right hip, left shoulder, right shoulder,
# left ankle, right ankle, left toes, right toes)
_SIDE_JOINTS = {
    "humanml3d": ("left_hip", "right_hip", "left_shoulder", "right_shoulder", "left_ankle",
                  "right_ankle", ("left_foot",), ("right_foot",)),
    "kit": ("LH", "RH", "LS", "RS", "LA", "RA", ("LM", "LF"), ("RM", "RF")),
}


# ------------------------------------------------------------------------------------------------
# mirroring
# ------------------------------------------------------------------------------------------------


def _side_swap_name(name: str) -> Optional[str]:
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(a):
            return b + name[len(a):]
    if len(name) >= 2 and name[0] in "LR" and name[1].isupper():
        return ("R" if name[0] == "L" else "L") + name[1:]
    return None


def mirror_permutation(skeleton: Union[str, Skeleton]) -> np.ndarray:
    """``perm[j]`` = the joint that takes joint ``j``'s place in the mirror (left ↔ right)."""
    sk = get_skeleton(skeleton)
    names = list(sk.joint_names)
    perm = np.arange(len(names))
    for j, n in enumerate(names):
        other = _side_swap_name(n)
        if other is not None and other in names:
            perm[j] = names.index(other)
    return perm


def mirror_motion(motion: np.ndarray, skeleton: Union[str, Skeleton]) -> np.ndarray:
    """HumanML3D's mirror: x negated and left/right joints swapped."""
    m = np.array(motion, dtype=np.float32, copy=True)
    m[..., 0] *= -1.0
    return m[:, mirror_permutation(skeleton)]


# ------------------------------------------------------------------------------------------------
# which side is left
# ------------------------------------------------------------------------------------------------

_AXES = ("X", "Y", "Z")


def _axis_name(v: np.ndarray) -> str:
    k = int(np.argmax(np.abs(v)))
    return ("+" if v[k] >= 0 else "-") + _AXES[k]


@dataclass
class LeftSide:
    """Geometry of one frame: which way the subject faces and where its left is."""

    clip_id: str
    frame: int
    facing: list[float]  # unit vector from the feet (ankle → toes), horizontal
    facing_axis: str  # e.g. "+Z"
    left_axis: str  # world axis of the subject's left, e.g. "+X"
    named_left_hip: str
    named_left_is_left: bool  # the joint named left hip (and shoulder) lies on the subject's left
    facing_from_names: list[float]  # (L − R) × up over hips and shoulders
    agreement: float  # cos angle between the two facing estimates (1 = names right)

    @property
    def message(self) -> str:
        side = "left" if self.named_left_is_left else "RIGHT"
        return (f"clip {self.clip_id} frame {self.frame}: subject faces {self.facing_axis}, its "
                f"left is {self.left_axis}; joint {self.named_left_hip!r} is on the subject's "
                f"{side}" + ("" if self.named_left_is_left else
                             " (joint names swap left and right)"))


def detect_left_side(motion: np.ndarray, skeleton: Union[str, Skeleton], frame: int = 0,
                     clip_id: str = "") -> LeftSide:
    """Derive the subject's left side from geometry at ``frame`` (Y up; see module docstring)."""
    sk = get_skeleton(skeleton)
    lh, rh, ls, rs, la, ra, lt, rt = _SIDE_JOINTS[sk.name]
    ix = sk.joint_index
    f = np.asarray(motion[frame], dtype=np.float64)
    up = np.array([0.0, 1.0, 0.0])

    def horiz(v: np.ndarray) -> np.ndarray:
        v = np.array(v, dtype=np.float64)
        v[1] = 0.0
        n = np.linalg.norm(v)
        return v / n if n > 1e-9 else v

    toes_l = np.mean([f[ix(j)] for j in lt], axis=0)
    toes_r = np.mean([f[ix(j)] for j in rt], axis=0)
    facing = horiz((toes_l - f[ix(la)]) + (toes_r - f[ix(ra)]))
    across = horiz((f[ix(lh)] - f[ix(rh)]) + (f[ix(ls)] - f[ix(rs)]))  # named left − right
    left_dir = np.cross(up, facing)
    named_facing = horiz(np.cross(across, up))
    return LeftSide(
        clip_id=clip_id, frame=frame, facing=[round(float(x), 4) for x in facing],
        facing_axis=_axis_name(facing), left_axis=_axis_name(left_dir), named_left_hip=lh,
        named_left_is_left=bool(np.dot(across, left_dir) > 0),
        facing_from_names=[round(float(x), 4) for x in named_facing],
        agreement=round(float(np.dot(facing, named_facing)), 4),
    )


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------


@dataclass
class SplitCheck:
    name: str
    n_ids: int
    n_missing_motion: int  # over the whole split file
    n_missing_text: int
    n_checked: int = 0  # ids loaded (fewer with --limit)
    n_samples: int = 0
    n_subclips: int = 0
    n_captions: int = 0
    n_too_short: int = 0
    n_too_long: int = 0
    n_unreadable: int = 0
    n_no_captions: int = 0
    n_malformed_lines: int = 0
    error: Optional[str] = None
    report: Optional[LoadReport] = field(default=None, repr=False)


@dataclass
class MirrorCheck:
    n_pairs_on_disk: int = 0
    n_checked: int = 0
    n_consistent: int = 0
    max_error: float = 0.0  # metres
    tolerance: float = 0.01
    inconsistent: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)


@dataclass
class DatasetCheck:
    root: str
    splits: dict[str, SplitCheck] = field(default_factory=dict)
    skeleton: Optional[str] = None
    n_joints: Optional[int] = None
    fps: Optional[float] = None
    units: dict[str, int] = field(default_factory=dict)
    frames_min: Optional[int] = None
    frames_median: Optional[float] = None
    frames_max: Optional[int] = None
    n_motion_files: int = 0
    n_text_files: int = 0
    motion_not_in_splits: list[str] = field(default_factory=list)
    text_not_in_splits: list[str] = field(default_factory=list)
    motion_without_text: list[str] = field(default_factory=list)
    text_without_motion: list[str] = field(default_factory=list)
    parse_errors: list[tuple[str, int, str]] = field(default_factory=list)
    mirror: MirrorCheck = field(default_factory=MirrorCheck)
    left_side: Optional[LeftSide] = None
    left_side_votes: tuple[int, int] = (0, 0)  # (clips with names right, clips checked)
    problems: list[str] = field(default_factory=list)
    usable: bool = False

    @property
    def units_text(self) -> str:
        if not self.units:
            return "?"
        if set(self.units) == {"m"}:
            return "metres"
        if set(self.units) == {"mm"}:
            return "millimetres (converted to metres)"
        return "mixed: " + ", ".join(f"{k} {v}" for k, v in sorted(self.units.items()))

    def to_frame(self):
        """One row per split (pandas DataFrame)."""
        rows = []
        for s in self.splits.values():
            d = asdict(s)
            d.pop("report", None)
            rows.append(d)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        splits = {}
        for k, s in self.splits.items():
            d = {kk: vv for kk, vv in asdict(s).items() if kk != "report"}
            if s.report is not None:
                d["report"] = s.report.to_dict()
            splits[k] = d
        out = {k: v for k, v in asdict(self).items() if k not in ("splits", "left_side")}
        out["splits"] = splits
        out["units_text"] = self.units_text
        out["left_side"] = None if self.left_side is None else {
            **asdict(self.left_side), "message": self.left_side.message}
        return out

    def format_text(self, max_list: int = 8) -> str:
        def ids(xs: Sequence) -> str:
            xs = list(xs)
            s = ", ".join(str(x) for x in xs[:max_list])
            return s + (f", … (+{len(xs) - max_list})" if len(xs) > max_list else "")

        lines = [f"dataset {self.root}"]
        lines.append(f"  skeleton {self.skeleton or '?'} ({self.n_joints or '?'} joints), fps "
                     f"{self.fps or '?'}, units {self.units_text}")
        if self.frames_min is not None:
            lines.append(f"  frames per sample: min {self.frames_min}, median "
                         f"{self.frames_median:g}, max {self.frames_max}")
        lines.append(f"  files: {self.n_motion_files} motions in {MOTION_DIR}/, "
                     f"{self.n_text_files} captions in {TEXT_DIR}/")
        cols = [("split", "name"), ("ids", "n_ids"), ("no motion", "n_missing_motion"),
                ("no text", "n_missing_text"), ("checked", "n_checked"),
                ("samples", "n_samples"), ("sub-clips", "n_subclips"),
                ("captions", "n_captions"), ("short", "n_too_short"), ("long", "n_too_long"),
                ("unreadable", "n_unreadable"), ("bad lines", "n_malformed_lines")]
        table = [[h for h, _ in cols]] + [[str(getattr(s, a)) for _, a in cols]
                                          for s in self.splits.values()]
        widths = [max(len(r[i]) for r in table) for i in range(len(cols))]
        lines.append("")
        for r in table:
            lines.append("  " + "  ".join(c.rjust(w) if i else c.ljust(w)
                                          for i, (c, w) in enumerate(zip(r, widths))))
        lines.append("")
        for s in self.splits.values():
            if s.error:
                lines.append(f"  {s.name}: {s.error}")
            if s.report is not None:
                r = s.report
                if r.missing_motion:
                    lines.append(f"  {s.name}: missing motion: {ids(r.missing_motion)}")
                if r.missing_text:
                    lines.append(f"  {s.name}: missing text: {ids(r.missing_text)}")
                if r.unreadable:
                    lines.append(f"  {s.name}: unreadable: " + ids(
                        f"{k} ({v})" for k, v in r.unreadable.items()))
        if self.motion_not_in_splits or self.text_not_in_splits:
            lines.append(f"  files in no checked split: {len(self.motion_not_in_splits)} motions "
                         f"({ids(self.motion_not_in_splits)}), {len(self.text_not_in_splits)} "
                         f"captions")
        if self.motion_without_text:
            lines.append(f"  motions without a caption file: {len(self.motion_without_text)} "
                         f"({ids(self.motion_without_text)})")
        if self.text_without_motion:
            lines.append(f"  caption files without a motion: {len(self.text_without_motion)} "
                         f"({ids(self.text_without_motion)})")
        if self.parse_errors:
            lines.append(f"  malformed caption lines: {len(self.parse_errors)}")
            for i, n, why in self.parse_errors[:max_list]:
                lines.append(f"    {TEXT_DIR}/{i}.txt line {n}: {why}")
        m = self.mirror
        if m.n_pairs_on_disk:
            lines.append(f"  mirror pairs (X, MX): {m.n_pairs_on_disk} on disk, {m.n_checked} "
                         f"checked, {m.n_consistent} consistent (max error {m.max_error:.4g} m, "
                         f"tolerance {m.tolerance:g} m)")
            for i, why in m.inconsistent[:max_list]:
                lines.append(f"    {i}: {why}")
        else:
            lines.append("  mirror pairs (X, MX): none on disk")
        if self.left_side is not None:
            good, n = self.left_side_votes
            lines.append(f"  left side: {self.left_side.message}")
            lines.append(f"    names agree with geometry in {good} of {n} clips checked")
        for p in self.problems:
            lines.append(f"  problem: {p}")
        lines.append(f"  usable: {'yes' if self.usable else 'NO'}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# the check
# ------------------------------------------------------------------------------------------------


def check_dataset(root: Union[str, os.PathLike], splits: Optional[Sequence[str]] = None, *,
                  limit: Optional[int] = None, skeleton: Optional[Union[str, Skeleton]] = None,
                  mirror_pairs: int = 50, tolerance: float = 0.01, side_clips: int = 20,
                  progress: bool = False) -> DatasetCheck:
    """Check a HumanML3D-layout dataset (see the module docstring).

    ``splits``: split names to check (default: whichever of train/val/test exist);
    ``limit``: load at most this many ids per split; ``mirror_pairs``: how many X/MX pairs to
    compare; ``tolerance``: metres; ``side_clips``: clips used for the left-side vote.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise M2TError(f"{root} is a file, not a dataset folder (new_joints/, texts/, train.txt …)")
    if not root.is_dir():
        raise M2TError(f"dataset folder {root} does not exist")
    if not (isinstance(tolerance, (int, float)) and np.isfinite(tolerance) and tolerance >= 0):
        raise M2TError(f"--tolerance must be a distance in metres ≥ 0, got {tolerance}")
    if mirror_pairs < 0 or (limit is not None and limit < 0):
        raise M2TError("--mirror-pairs and --limit must be ≥ 0")
    res = DatasetCheck(root=str(root))
    res.mirror.tolerance = tolerance
    motion_ids = list_ids(root, MOTION_DIR, ".npy")
    text_ids = list_ids(root, TEXT_DIR, ".txt")
    res.n_motion_files, res.n_text_files = len(motion_ids), len(text_ids)
    if not (root / MOTION_DIR).is_dir():
        res.problems.append(f"no {MOTION_DIR}/ folder")
    if not (root / TEXT_DIR).is_dir():
        res.problems.append(f"no {TEXT_DIR}/ folder")
    res.motion_without_text = sorted(motion_ids - text_ids)
    res.text_without_motion = sorted(text_ids - motion_ids)

    if splits:
        names = list(dict.fromkeys(splits))
    else:
        names = [s for s in DEFAULT_SPLITS if (root / f"{s}.txt").is_file()]
        if not names:
            res.problems.append("no split files (train.txt, val.txt, test.txt)")
    union: set[str] = set()
    sk = get_skeleton(skeleton) if skeleton is not None else None
    lengths: list[int] = []
    units: dict[str, int] = {}
    side_candidates: list[tuple[str, np.ndarray]] = []
    for name in names:
        try:
            ids = read_split_ids(root, name)
        except M2TError as exc:
            res.splits[name] = SplitCheck(name, 0, 0, 0, error=str(exc))
            res.problems.append(str(exc))
            continue
        uniq = set(ids)
        union |= uniq
        sc = SplitCheck(name, len(uniq), len(uniq - motion_ids), len(uniq - text_ids))
        res.splits[name] = sc
        if not (root / MOTION_DIR).is_dir():
            continue
        try:
            ds = load_split(root, name, sk, progress=progress, limit=limit)
        except M2TError as exc:
            sc.error = str(exc)
            res.problems.append(f"{name}: {exc}")
            continue
        r = ds.report
        sc.report = r
        sc.n_checked, sc.n_samples, sc.n_subclips = r.n_checked, r.n_samples, r.n_subclip_samples
        sc.n_captions, sc.n_too_short, sc.n_too_long = r.n_captions, len(r.too_short), len(r.too_long)
        sc.n_unreadable, sc.n_no_captions = len(r.unreadable), len(r.no_captions)
        sc.n_malformed_lines = len(r.malformed_lines)
        res.parse_errors.extend(r.malformed_lines)
        for k, v in r.units.items():
            units[k] = units.get(k, 0) + v
        if ds.skeleton is not None and sk is None:
            sk = ds.skeleton
        for s in ds.samples:
            lengths.append(s.n_frames)
            if (not s.is_subclip and not s.mirrored and len(side_candidates) < side_clips):
                side_candidates.append((s.id, s.motion))
    if not side_candidates:
        # No sample loaded (e.g. no caption files): still read a few motions for skeleton,
        # units and the left side, which do not depend on captions.
        for mid in sorted(motion_ids)[:side_clips]:
            try:
                motion, unit = load_motion(root / MOTION_DIR / f"{mid}.npy", sk)
            except M2TError:
                continue
            sk = sk or skeleton_for_joints(motion.shape[1])
            units[unit] = units.get(unit, 0) + 1
            if not mid.startswith("M"):
                side_candidates.append((mid, motion))
    res.units = units
    res.motion_not_in_splits = sorted(motion_ids - union) if names else []
    res.text_not_in_splits = sorted(text_ids - union) if names else []
    if sk is not None:
        res.skeleton, res.n_joints, res.fps = sk.name, sk.n_joints, sk.fps
    if lengths:
        res.frames_min, res.frames_max = int(min(lengths)), int(max(lengths))
        res.frames_median = float(np.median(lengths))

    # left side from geometry
    if sk is not None and side_candidates:
        sides = [detect_left_side(m, sk, 0, i) for i, m in side_candidates]
        res.left_side = sides[0]
        res.left_side_votes = (sum(s.named_left_is_left for s in sides), len(sides))
        if res.left_side_votes[0] * 2 < len(sides):
            res.problems.append("joint names put left on the subject's right in most clips "
                                "(left/right naming is swapped)")

    # mirror pairs
    if sk is not None:
        _check_mirrors(res, root, motion_ids, union, sk, mirror_pairs, tolerance)

    n_samples = sum(s.n_samples for s in res.splits.values())
    if names and n_samples == 0:
        first = next((sc for sc in res.splits.values() if sc.report is not None and sc.report.n_ids), None)
        res.problems.append("no sample could be loaded" + (f" ({first.name} split: {first.report.loss_summary()})"
                                                           if first is not None else ""))
    empty_splits = []
    if names and n_samples:
        for sc in res.splits.values():
            if sc.error is not None:
                continue
            if sc.n_ids == 0:
                if sc.name in ("train", "val"):  # training needs both; an empty test split is only noted
                    empty_splits.append(f"the {sc.name} split lists no ids")
            elif sc.n_samples == 0 and limit is None:
                empty_splits.append(f"the {sc.name} split has no usable sample: "
                                    + (sc.report.loss_summary() if sc.report is not None else "nothing loaded"))
    res.problems.extend(empty_splits)
    res.usable = (bool(names) and n_samples > 0 and all(s.error is None for s in res.splits.values())
                  and not empty_splits)
    return res


def _check_mirrors(res: DatasetCheck, root: Path, motion_ids: set[str], union: set[str],
                   sk: Skeleton, max_pairs: int, tol: float) -> None:
    pairs = sorted(i for i in motion_ids if not i.startswith("M") and "M" + i in motion_ids)
    res.mirror.n_pairs_on_disk = len(pairs)
    in_splits = [i for i in pairs if i in union or "M" + i in union]
    rest = [i for i in pairs if i not in set(in_splits)]
    worst = 0.0
    for i in (in_splits + rest)[:max(0, max_pairs)]:
        mi = "M" + i
        try:
            a, _ = load_motion(root / MOTION_DIR / f"{i}.npy", sk)
            b, _ = load_motion(root / MOTION_DIR / f"{mi}.npy", sk)
        except M2TError as exc:
            res.mirror.n_checked += 1
            res.mirror.inconsistent.append((mi, f"unreadable: {exc}"))
            continue
        res.mirror.n_checked += 1
        if a.shape != b.shape:
            res.mirror.inconsistent.append((mi, f"shape {b.shape} differs from {i} {a.shape}"))
            continue
        err = float(np.max(np.abs(mirror_motion(a, sk) - b))) if a.size else 0.0
        worst = max(worst, err)
        if err <= tol:
            res.mirror.n_consistent += 1
        else:
            plain = a.copy()
            plain[..., 0] *= -1
            err_plain = float(np.max(np.abs(plain - b)))
            hint = " (matches x negation without the left/right swap)" if err_plain <= tol else ""
            res.mirror.inconsistent.append((mi, f"max error {err:.4g} m vs mirrored {i}{hint}"))
    res.mirror.max_error = worst


def is_check_json(path: Union[str, os.PathLike]) -> bool:
    """True when ``path`` is a JSON file written by ``data check --json`` (safe to replace)."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(value, dict) and {"root", "splits", "usable", "mirror"} <= set(value)


def check_to_json(result: DatasetCheck) -> str:
    return json.dumps(result.to_dict(), indent=2, default=str)
