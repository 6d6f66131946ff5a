"""Motion statistics of a clip, and of a training corpus: when a clip lies outside what a model saw.

A captioner learned its training corpus, not motion: a body much smaller than any it saw, or a
run faster than any, is outside what its captions and attention were fitted on. This module
measures every clip the same way, summarises a corpus as the range each statistic took there, and
says which statistics of a clip fall outside (docs/pretrained.md, "When not to trust a caption").

**Per clip** (:func:`clip_statistics`; joints (T, J, 3) in metres, Y up, at the skeleton's frame
rate; HumanML3D-22 and KIT-21):

* ``duration_s`` — frames / fps.
* ``height_m`` — body height from bone lengths, so it is the same for any pose (lying, crawling,
  jumping): :data:`HEIGHT_FACTOR` × (shin + thigh + the spine chain from the pelvis to the head
  joint), each bone its median length over the clip, left and right averaged. The factor turns
  that chain into stature: on the HumanML3D reference body (:data:`~m2t_interpret.skeletons.
  HUMANML3D_BONE_LENGTHS`) the legs (shin + thigh, 0.821 m) are 0.491 of stature, as in the
  anthropometric segment proportions of Drillis and Contini (hip joint at 0.530 of stature, ankle
  at 0.039), which makes that body 1.67 m tall; the factor (1.133) is the ratio of that stature
  to the body's chain, and so stands for the ankle's height above the floor and the top of the
  head above the head joint, in proportion. KIT's factor makes a clip imported to both skeletons
  from one BVH file equally tall (1.133 too: the import puts KIT's spine joints on the same spine).
  On the real humanoid clips (a body 1.61 m from soles to head top) it reads 1.66 m: a chain of
  bone lengths estimates stature to a few per cent. Scaling a clip by k scales its height by k.
* ``thigh_ratio``, ``shin_ratio``, ``upper_arm_ratio``, ``forearm_ratio``, ``spine_ratio`` — each
  bone (median length, left and right averaged; the spine: pelvis to head joint) over the height.
* ``speed_<part>`` and ``speed95_<part>`` — the mean and the 95th percentile over frames of the
  part's motion (:func:`part_motion`: speed of its joints relative to the pelvis, the pelvis's
  own for the root, smoothed over :data:`SMOOTH_S`), m/s, for the six parts.
* ``root_speed`` / ``root_speed95`` — horizontal speed of the pelvis (smoothed alike), mean and
  95th percentile, m/s.
* ``turn_rate`` / ``turn_rate95`` — how fast the body turns about the vertical, °/s
  (:func:`turning_rate`): the change of heading between frames (HumanML3D's facing rule, across
  the hips and shoulders) × fps, its magnitude smoothed alike; mean and 95th percentile over the
  frames that have a heading (a body lying on its side has none); NaN without any.

The realism report (:mod:`m2t_interpret.analysis.motion_stats`) measures with the same functions;
its body height is :func:`chain_height` and its ratios are over it (1.133 times these).

Mirroring a clip swaps its left and right part speeds and leaves every other statistic as it was;
turning it about the vertical or moving it changes none.

**Per corpus** (:func:`summarise_corpus`): for each statistic the 0.5th and 99.5th percentiles over
the corpus's clips (the range the model saw) and the median. A checkpoint stores it
(``metadata["motion_corpus"]``).

**Outside** (:func:`outside`): a clip's statistic lies outside the corpus when it is below
lo − m or above hi + m, with the margin m = :data:`MARGIN_SPAN` × (hi − lo) + :data:`MARGIN_REL`
× max(|lo|, |hi|): a clip just at the edge of the range, or a body up to 3 % taller or smaller
than a corpus of one body size, is not flagged. A statistic that is NaN (a clip too short for speeds) is never
outside.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import M2TError, M2TWarning
from ..skeletons import PARTS, Skeleton, get_skeleton, part_label

#: Centred moving-average window of :func:`part_motion` and the root and turning signals, seconds.
SMOOTH_S = 0.25
#: Percentiles of a corpus statistic that bound the range a model saw.
PERCENTILES = (0.5, 99.5)
#: Margin beyond the range, as a share of its width …
MARGIN_SPAN = 0.25
#: … plus this share of the bound's size (a one-body corpus still tolerates a few per cent).
MARGIN_REL = 0.03
#: A frame has a heading when its hips' and shoulders' horizontal span exceeds this (metres).
MIN_HEADING_SPAN_M = 0.05
#: The format of a corpus summary (:func:`summarise_corpus`).
SUMMARY_FORMAT = "m2t-interpret motion corpus"
SUMMARY_VERSION = 1
#: Where a model's metadata keeps its training corpus's summary.
METADATA_KEY = "motion_corpus"
#: The clip table's column naming the statistics outside the training corpus ("," joined; "" none;
#: None when the model has no corpus summary).
OOD_COLUMN = "ood"
#: At most this many clips outside get a warning line each; more get one summarising line.
MAX_CLIP_LINES = 3
#: A clip's line names at most this many other statistics outside besides the first.
MAX_NAMED = 4


class OutOfDistributionWarning(M2TWarning):
    """A clip lies outside the motion statistics of the model's training corpus: its caption and
    attention may not be trusted (one ``warning:`` line per clip, or one for many)."""


# ---------------------------------------------------------------------------------------------
# part motion (shared with the kinematic ground truth of the analysis layer)
# ---------------------------------------------------------------------------------------------

def window_frames(seconds: float, fps: float) -> int:
    """A window of ``seconds`` in frames at ``fps`` (at least 1)."""
    return max(1, int(round(seconds * fps)))


def smooth(signal: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along axis 0 over ``window`` frames (made odd); at the ends the
    mean of the frames inside the clip, so a constant stays constant."""
    x = np.asarray(signal, dtype=np.float64)
    half = max(int(window), 1) // 2
    if half == 0 or len(x) == 0:
        return x.copy()
    csum = np.concatenate([np.zeros((1,) + x.shape[1:]), np.cumsum(x, axis=0)])
    idx = np.arange(len(x))
    lo, hi = np.clip(idx - half, 0, len(x)), np.clip(idx + half + 1, 0, len(x))
    count = (hi - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    return (csum[hi] - csum[lo]) / count


def part_joint_indices(skeleton: str | Skeleton) -> list[list[int]]:
    """Joint indices of each part in PARTS order; the pelvis (the root's joint) only in the root."""
    sk = get_skeleton(skeleton)
    pelvis = sk.parts[sk.part_names.index("root")][0]
    out = []
    for p in PARTS:
        joints = list(sk.parts[sk.part_names.index(p)])
        out.append(joints if p == "root" else [j for j in joints if j != pelvis] or joints)
    return out


def _checked_joints(joints: np.ndarray, sk: Skeleton, min_frames: int) -> np.ndarray:
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (sk.n_joints, 3):
        raise M2TError(f"joints of shape {tuple(j.shape)}; expected (T, {sk.n_joints}, 3) for the {sk.name} skeleton")
    if len(j) < min_frames:
        raise M2TError(f"a clip of {len(j)} frame(s) has no motion; at least {min_frames} frames are needed")
    if not np.isfinite(j).all():
        raise M2TError("the joints hold NaN or infinite values")
    return j


def _rate(fps: float | None, sk: Skeleton) -> float:
    rate = float(fps if fps is not None else sk.fps)
    if not rate > 0:
        raise M2TError(f"fps must be > 0, got {fps}")
    return rate


def part_motion(joints: np.ndarray, skeleton: str | Skeleton = "humanml3d", fps: float | None = None,
                window_s: float = SMOOTH_S) -> np.ndarray:
    """(T, J, 3) joint positions in metres → (T, 6) smoothed part motion in m/s, part order: per
    frame and part, the mean speed of the part's joints relative to the pelvis (central
    differences × fps), the pelvis's own speed for the root, smoothed by a centred moving average
    of ``window_s`` seconds. ``fps`` defaults to the skeleton's frame rate."""
    sk = get_skeleton(skeleton)
    j = _checked_joints(joints, sk, 2)
    rate = _rate(fps, sk)
    pelvis = sk.parts[sk.part_names.index("root")][0]
    rel = j - j[:, pelvis:pelvis + 1]
    rel[:, pelvis] = j[:, pelvis]
    speed = np.linalg.norm(np.gradient(rel, axis=0), axis=-1) * rate  # (T, J)
    raw = np.stack([speed[:, idx].mean(1) for idx in part_joint_indices(sk)], axis=1)
    return smooth(raw, window_frames(window_s, rate) | 1)


# ---------------------------------------------------------------------------------------------
# the body: which joints make the bones the statistics measure
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BodyMap:
    """Joint names of a skeleton's measured bones: ``(parent, child)`` pairs, left then right."""

    thigh: tuple[tuple[str, str], ...]
    shin: tuple[tuple[str, str], ...]
    upper_arm: tuple[tuple[str, str], ...]
    forearm: tuple[tuple[str, str], ...]
    spine: tuple[str, ...]  # pelvis … head joint, in order
    hips: tuple[str, str]  # left, right
    shoulders: tuple[str, str]  # left, right


BODIES: dict[str, BodyMap] = {
    "humanml3d": BodyMap(
        thigh=(("left_hip", "left_knee"), ("right_hip", "right_knee")),
        shin=(("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
        upper_arm=(("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow")),
        forearm=(("left_elbow", "left_wrist"), ("right_elbow", "right_wrist")),
        spine=("pelvis", "spine1", "spine2", "spine3", "neck", "head"),
        hips=("left_hip", "right_hip"), shoulders=("left_shoulder", "right_shoulder")),
    "kit": BodyMap(
        thigh=(("LH", "LK"), ("RH", "RK")), shin=(("LK", "LA"), ("RK", "RA")),
        upper_arm=(("LS", "LE"), ("RS", "RE")), forearm=(("LE", "LW"), ("RE", "RW")),
        spine=("BP", "BT", "BLN", "BUN", "head"), hips=("LH", "RH"),
        shoulders=("LS", "RS")),
}

#: Stature over (shin + thigh + spine chain) per skeleton (see the module docstring).
HEIGHT_FACTOR: dict[str, float] = {"humanml3d": 1.133, "kit": 1.133}
#: Bones whose length over the height is a statistic, in column order.
RATIO_BONES = ("thigh", "shin", "upper_arm", "forearm", "spine")


def _median_length(j: np.ndarray, sk: Skeleton, a: str, b: str) -> float:
    return float(np.median(np.linalg.norm(j[:, sk.joint_index(b)] - j[:, sk.joint_index(a)], axis=-1)))


def chain_length(joints: np.ndarray, skeleton: str | Skeleton, names: Sequence[str]) -> float:
    """Sum of the median lengths over the clip of the bones joining ``names`` in order, metres."""
    sk = get_skeleton(skeleton)
    j = np.asarray(joints, dtype=np.float64)
    return float(sum(_median_length(j, sk, a, b) for a, b in zip(names, names[1:])))


def bone_lengths(joints: np.ndarray, skeleton: str | Skeleton) -> dict[str, float]:
    """Median length over the clip of the measured bones (left and right averaged), metres."""
    sk = get_skeleton(skeleton)
    body = BODIES[sk.name]
    j = np.asarray(joints, dtype=np.float64)
    out = {name: float(np.mean([_median_length(j, sk, a, b) for a, b in getattr(body, name)]))
           for name in ("thigh", "shin", "upper_arm", "forearm")}
    out["spine"] = chain_length(j, sk, body.spine)
    return out


def chain_height(joints: np.ndarray, skeleton: str | Skeleton = "humanml3d") -> float:
    """The bone chain shin + thigh + spine (pelvis to head joint), median lengths, metres: the head
    joint's height when standing straight, less the ankle's height above the floor. The realism
    report's body height (:mod:`m2t_interpret.analysis.motion_stats`)."""
    sk = get_skeleton(skeleton)
    return _chain(bone_lengths(_checked_joints(joints, sk, 1), sk))


def _chain(bones: Mapping[str, float]) -> float:
    """Shin + thigh + spine of a clip's :func:`bone_lengths`."""
    return bones["shin"] + bones["thigh"] + bones["spine"]


def body_height(joints: np.ndarray, skeleton: str | Skeleton = "humanml3d") -> float:
    """Body height (stature, m) from median bone lengths, the same for any pose:
    :data:`HEIGHT_FACTOR` × :func:`chain_height` (see the module docstring)."""
    sk = get_skeleton(skeleton)
    return HEIGHT_FACTOR[sk.name] * chain_height(joints, sk)


def horizontal_speed(points: np.ndarray, fps: float) -> np.ndarray:
    """(T, …, 3) positions → (T, …) speed in the floor plane (x, z; Y up), central differences × fps."""
    step = np.gradient(np.asarray(points, dtype=np.float64), axis=0)
    return np.hypot(step[..., 0], step[..., 2]) * fps


def heading(joints: np.ndarray, skeleton: str | Skeleton = "humanml3d") -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the heading (radians about +Y, 0 facing +Z) by HumanML3D's facing rule (across the
    hips and shoulders, as :func:`~m2t_interpret.data.retarget.facing_angle`), and whether it is
    defined (their horizontal span above :data:`MIN_HEADING_SPAN_M`: not a body lying on its side)."""
    sk = get_skeleton(skeleton)
    j = _checked_joints(joints, sk, 1)
    body = BODIES[sk.name]
    left_hip, right_hip = (sk.joint_index(n) for n in body.hips)
    left_sh, right_sh = (sk.joint_index(n) for n in body.shoulders)
    across = j[:, right_hip] - j[:, left_hip] + j[:, right_sh] - j[:, left_sh]
    fwd_x, fwd_z = across[:, 2], -across[:, 0]  # up × across
    return np.arctan2(fwd_x, fwd_z), np.hypot(fwd_x, fwd_z) > MIN_HEADING_SPAN_M


def turning_rate(joints: np.ndarray, fps: float | None = None, skeleton: str | Skeleton = "humanml3d") -> np.ndarray:
    """Per frame |d heading / dt|, °/s, smoothed over :data:`SMOOTH_S`; NaN where the heading is
    undefined. ``fps`` defaults to the skeleton's frame rate."""
    sk = get_skeleton(skeleton)
    rate = _rate(fps, sk)
    yaw, ok = heading(joints, sk)
    step = np.angle(np.exp(1j * np.diff(yaw)))  # wrapped to (-π, π]
    turn = np.abs(np.degrees(np.concatenate([step[:1], step]))) * rate if len(step) else np.zeros(len(yaw))
    out = smooth(turn, window_frames(SMOOTH_S, rate) | 1)
    out[~ok] = np.nan
    return out


# ---------------------------------------------------------------------------------------------
# per clip
# ---------------------------------------------------------------------------------------------

def _mean_p95(values: np.ndarray) -> tuple[float, float]:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(np.percentile(v, 95))


def clip_statistics(joints: np.ndarray, skeleton: str | Skeleton = "humanml3d",
                    fps: float | None = None) -> dict[str, float]:
    """The statistics of one clip, by name in :func:`statistic_names` order (see the module
    docstring). Speeds and turning need 2 frames or more; a shorter clip has NaN for them."""
    sk = get_skeleton(skeleton)
    j = _checked_joints(joints, sk, 1)
    rate = _rate(fps, sk)
    bones = bone_lengths(j, sk)  # once: the height is made of the same bones
    height = HEIGHT_FACTOR[sk.name] * _chain(bones)
    out = {"duration_s": len(j) / rate, "height_m": height}
    out.update({f"{b}_ratio": bones[b] / height if height > 0 else math.nan for b in RATIO_BONES})
    if len(j) >= 2:
        motion = part_motion(j, sk, rate)
        pelvis = sk.parts[sk.part_names.index("root")][0]
        root = smooth(horizontal_speed(j[:, pelvis], rate), window_frames(SMOOTH_S, rate) | 1)
        turns = turning_rate(j, rate, sk)
        turns = turns[np.isfinite(turns)]
    else:
        motion, root, turns = np.full((0, len(PARTS)), math.nan), np.zeros(0), np.zeros(0)
    parts = [_mean_p95(motion[:, k]) for k in range(len(PARTS))]
    out.update({f"speed_{p}": m for p, (m, _) in zip(PARTS, parts)})
    out.update({f"speed95_{p}": q for p, (_, q) in zip(PARTS, parts)})
    out["root_speed"], out["root_speed95"] = _mean_p95(root)
    out["turn_rate"], out["turn_rate95"] = _mean_p95(turns)
    return out


def statistic_names() -> tuple[str, ...]:
    """The names of the per-clip statistics, in column order."""
    return (("duration_s", "height_m") + tuple(f"{b}_ratio" for b in RATIO_BONES)
            + tuple(f"speed_{p}" for p in PARTS) + tuple(f"speed95_{p}" for p in PARTS)
            + ("root_speed", "root_speed95", "turn_rate", "turn_rate95"))


def statistic_label(name: str) -> str:
    """A statistic's name in words, e.g. ``body height``, ``left arm speed (95th percentile)``;
    ``speed_root`` (the root part: the pelvis in 3-D) is ``pelvis speed``, ``root_speed`` (its
    horizontal travel) ``root speed``."""
    fixed = {"duration_s": "duration", "height_m": "body height", "root_speed": "root speed",
             "turn_rate": "turning rate"}
    base = name.replace("95", "")
    if base in fixed or base.startswith("speed_"):
        part = base[len("speed_"):] if base.startswith("speed_") else ""
        words = fixed.get(base) or f"{'pelvis' if part == 'root' else part_label(part)} speed"
        return words + (" (95th percentile)" if "95" in name else "")
    if name.endswith("_ratio"):
        return f"{name[:-len('_ratio')].replace('_', ' ')}/height ratio"
    return name


def _fmt(name: str, value: float) -> str:
    if name.endswith("_ratio"):
        return f"{value:.3f}"
    if name.startswith("turn_rate"):
        return f"{value:.0f}"
    return f"{value:.2f}" if name != "duration_s" else f"{value:.1f}"


def statistic_phrase(name: str, value: float, lo: float, hi: float) -> str:
    """What a statistic outside its range says, with both values: ``this body is 1.45 m tall; the
    model was trained on 1.60–1.90 m`` (a range of one value: ``… trained on 1.67 m only``)."""
    v, a, b = _fmt(name, value), _fmt(name, lo), _fmt(name, hi)
    unit = {"height_m": " m", "duration_s": " s"}.get(name, "°/s" if name.startswith("turn_rate") else
                                                     "" if name.endswith("_ratio") else " m/s")
    seen = f"{a}{unit} only" if a == b else f"{a}–{b}{unit}"
    pct = " at the 95th percentile of its frames" if "95" in name else " on average"
    if name == "height_m":
        what = f"this body is {v} m tall"
    elif name == "duration_s":
        what = f"this clip lasts {v} s"
    elif name.endswith("_ratio"):
        what = f"its {statistic_label(name).split('/')[0]} is {v} of its height"
    elif name.startswith("turn_rate"):
        what = f"it turns at {v}°/s{pct}"
    elif name.startswith("root_speed"):
        what = f"it travels at {v} m/s{pct}"
    else:
        what = f"its {statistic_label(name).split(' speed')[0]} moves at {v} m/s{pct}"
    return f"{what}; the model was trained on {seen}"


# ---------------------------------------------------------------------------------------------
# per corpus
# ---------------------------------------------------------------------------------------------

def summarise_corpus(clips: Iterable[Mapping[str, float]], skeleton: str | Skeleton, source: str = "") -> dict:
    """The training-corpus summary of per-clip statistics (:func:`clip_statistics` of each clip):
    per statistic the 0.5th–99.5th percentile range and the median over the clips, as plain data a
    checkpoint stores. ``source`` says what the corpus was."""
    rows = list(clips)
    if not rows:
        raise M2TError("cannot summarise the motion of an empty corpus: no clips")
    sk = get_skeleton(skeleton)
    stats = {}
    for name in statistic_names():
        v = np.asarray([r.get(name, math.nan) for r in rows], dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size:
            lo, hi = np.percentile(v, PERCENTILES)
            stats[name] = {"lo": float(lo), "hi": float(hi), "median": float(np.median(v))}
    return {"format": SUMMARY_FORMAT, "version": SUMMARY_VERSION, "skeleton": sk.name, "fps": float(sk.fps),
            "source": str(source), "n_clips": len(rows), "percentiles": list(PERCENTILES), "statistics": stats}


def corpus_summary(motions: Iterable[np.ndarray], skeleton: str | Skeleton, source: str = "",
                   fps: float | None = None) -> dict:
    """:func:`summarise_corpus` of raw clips (each (T, J, 3) metres at the skeleton's frame rate)."""
    sk = get_skeleton(skeleton)
    return summarise_corpus((clip_statistics(m, sk, fps) for m in motions), sk, source)


def check_summary(summary: object, where: str = "the summary") -> dict:
    """``summary`` when it is a corpus summary this version reads; M2TError naming what is wrong."""
    if not isinstance(summary, Mapping) or summary.get("format") != SUMMARY_FORMAT:
        raise M2TError(f"{where} is not a motion-corpus summary (format {SUMMARY_FORMAT!r})")
    if summary.get("version") != SUMMARY_VERSION:
        raise M2TError(f"{where} has version {summary.get('version')!r}; this version reads {SUMMARY_VERSION}")
    stats = summary.get("statistics")
    if not isinstance(stats, Mapping):
        raise M2TError(f"{where} holds no statistics")
    for name, r in stats.items():
        ok = isinstance(r, Mapping) and all(isinstance(r.get(k), (int, float)) and math.isfinite(r[k])
                                            for k in ("lo", "hi", "median"))
        if not ok or r["lo"] > r["hi"]:
            raise M2TError(f"{where}: statistic {name!r} has no finite range lo ≤ hi")
    return dict(summary)


def model_summary(metadata: Mapping) -> dict | None:
    """The training-corpus summary a model's metadata holds, or None (a checkpoint written before
    summaries existed, or one whose summary is unreadable — that one is warned about once)."""
    value = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    if value is None:
        return None
    try:
        return check_summary(value, "the model's training-corpus motion summary")
    except M2TError as exc:
        warnings.warn(f"{exc}; no clip is checked against the training corpus", OutOfDistributionWarning,
                      stacklevel=2)
        return None


# ---------------------------------------------------------------------------------------------
# outside the corpus
# ---------------------------------------------------------------------------------------------

def margin(lo: float, hi: float) -> float:
    """How far beyond ``[lo, hi]`` a value may lie before it is outside (see the module docstring)."""
    return MARGIN_SPAN * (hi - lo) + MARGIN_REL * max(abs(lo), abs(hi))


@dataclass(frozen=True)
class Outside:
    """One statistic of a clip outside the training corpus's range."""

    name: str
    value: float
    lo: float
    hi: float

    @property
    def severity(self) -> float:
        """Distance beyond the range over the range's scale (orders a clip's statistics)."""
        scale = max(self.hi - self.lo, abs(self.lo), abs(self.hi), 1e-12)
        return max(self.lo - self.value, self.value - self.hi) / scale

    @property
    def phrase(self) -> str:
        return statistic_phrase(self.name, self.value, self.lo, self.hi)


def outside(stats: Mapping[str, float], summary: Mapping | None) -> list[Outside]:
    """The statistics of one clip outside ``summary``'s ranges (beyond the margin), furthest out
    first; none without a summary."""
    if not summary:
        return []
    found = []
    for name, r in summary["statistics"].items():
        v = stats.get(name)
        if v is None or not math.isfinite(v):
            continue
        lo, hi = float(r["lo"]), float(r["hi"])
        m = margin(lo, hi)
        if v < lo - m or v > hi + m:
            found.append(Outside(name, float(v), lo, hi))
    return sorted(found, key=lambda o: -o.severity)


def motion_table(clip_ids: Sequence[str], stats: Sequence[Mapping[str, float]],
                 summary: Mapping | None) -> pd.DataFrame:
    """One row per clip: ``clip_id``, its statistics (:func:`statistic_names`) and :data:`OOD_COLUMN`,
    the statistics outside ``summary`` (None in every row without a summary)."""
    names = statistic_names()
    df = pd.DataFrame({"clip_id": [str(c) for c in clip_ids]})
    for name in names:
        df[name] = np.asarray([r.get(name, math.nan) for r in stats], dtype=np.float64)
    df[OOD_COLUMN] = [",".join(o.name for o in outside(r, summary)) if summary else None for r in stats]
    return with_ood_objects(df)


def with_ood_objects(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its :data:`OOD_COLUMN` as Python objects, None where unknown — as it is made,
    whatever string type a parquet reader (or pandas version) gave it."""
    column = table[OOD_COLUMN].astype(object)
    table[OOD_COLUMN] = column.where(column.notna(), None)
    return table


def table_outside(table: pd.DataFrame, summary: Mapping | None) -> list[list[Outside]]:
    """:func:`outside` of every row of a :func:`motion_table`."""
    names = [n for n in statistic_names() if n in table.columns]
    return [outside(dict(zip(names, row)), summary) for row in table[names].itertuples(index=False)]


def clip_line(clip: str, found: Sequence[Outside]) -> str:
    """The one warning line of a clip outside the corpus: its furthest statistic in words, the
    others named."""
    others = [statistic_label(o.name) for o in found[1:]]
    if len(others) > MAX_NAMED:
        others = others[:MAX_NAMED] + [f"{len(others) - MAX_NAMED} more"]
    more = f" (also outside: {', '.join(others)})" if others else ""
    return f"clip {clip}: {found[0].phrase}{more}"


def summary_line(n_clips: int, outside_by_clip: Mapping[str, Sequence[str]], where: str) -> str:
    """One line for many clips outside the corpus: how many, and how many per statistic."""
    counts: dict[str, int] = {}
    for names in outside_by_clip.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    shown = ", ".join(f"{statistic_label(n)} ({c})" for n, c in sorted(counts.items(), key=lambda kv: -kv[1]))
    return (f"{len(outside_by_clip)} of {n_clips} clips lie outside the model's training corpus: {shown}; "
            f"see {where}")


def warn_outside(clips: Sequence[str], found: Sequence[Sequence[Outside]],
                 where: str = "the ood column of the capture's clip table") -> None:
    """Warn (:class:`OutOfDistributionWarning`) about the clips outside the corpus: one line each
    for up to :data:`MAX_CLIP_LINES` of them, else one summarising line naming ``where`` to look."""
    flagged = [(c, f) for c, f in zip(clips, found) if f]
    if not flagged:
        return
    if len(flagged) <= MAX_CLIP_LINES:
        for c, f in flagged:
            warnings.warn(clip_line(c, f), OutOfDistributionWarning, stacklevel=2)
        return
    line = summary_line(len(clips), {c: [o.name for o in f] for c, f in flagged}, where)
    warnings.warn(line, OutOfDistributionWarning, stacklevel=2)


__all__ = ["SMOOTH_S", "PERCENTILES", "MARGIN_SPAN", "MARGIN_REL", "METADATA_KEY", "OOD_COLUMN",
           "OutOfDistributionWarning", "Outside", "body_height", "bone_lengths", "chain_height", "chain_length", "check_summary",
           "clip_statistics", "heading", "horizontal_speed", "turning_rate",
           "corpus_summary", "margin", "model_summary", "motion_table", "outside", "part_joint_indices", "part_motion",
           "smooth", "statistic_label", "statistic_names", "statistic_phrase", "summarise_corpus", "table_outside",
           "warn_outside", "window_frames", "with_ood_objects"]
