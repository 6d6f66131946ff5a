"""A kinematic ground truth for any motion: which part moves, and when, read off the joints.

Real datasets have no per-word annotation of parts and segments. This module derives one from
the motion itself, so the ground-truth scores (``parts``, ``onset``, ``compare``, attribution
against the truth) run on any dataset. The rules, stated once:

**Part motion** (:func:`part_motion`): per frame and part, the mean speed (m/s) of the part's
joints *relative to the pelvis* (joint − pelvis, central differences × fps); for the root, the
pelvis's own speed. The pelvis counts for the root only (the HumanML3D torso branch also reads
it, but relative to itself it never moves). The speeds are smoothed by a centred moving average
of :data:`SMOOTH_S` seconds (at the clip ends, over the frames there are). This is the synthetic
corpus's own part-speed definition, frame-centred and smoothed. It lives in
:mod:`m2t_interpret.data.motion_range` (with :func:`smooth`), where the motion statistics that
compare a clip with a model's training corpus use it too.

**Active frames** (:func:`active_frames`): a part is active in a frame when its smoothed motion
exceeds the clip's threshold max(:data:`FLOOR_MS`, :data:`FRACTION` × the clip's largest part
motion). The absolute floor keeps a clip where nothing really moves (sway, mocap noise) without
active frames; the fraction makes the rule scale-free across slow and fast motions. Gaps of
inactive frames shorter than :data:`GAP_S` between two active runs are filled (the slow turning
point of a wave or a kick is part of the action); active runs shorter than :data:`MIN_RUN_S`
are dropped (a twitch is not an action).

**Active parts** (:func:`active_parts`): the parts with at least one active frame.

**Active span** (:func:`active_span`): a part's longest active run, frames ``[start, end)``
(ties: the run that moves most). The longest run and not first-to-last active frame: when a part
does two things with a rest between (walks, stops, kicks), first-to-last would join them, while
gap filling already joins the pauses inside one action.

**A word's truth** (:func:`kinematic_truth`): the motion words and the parts each word can name
come from a supervision lexicon (``project`` by default) applied to the caption: a word with
β* = 1 is a motion word; its *candidate* parts are the lexicon's α* parts where the rule gives
them, else all six. Its true part is the candidate with the largest mean motion over the clip;
its segment is that part's active span. A word whose true part has no active frame is not
placed (``gt_aligned`` False), like "stands still" in the annotated truth. The token table then
carries the same columns as :func:`~m2t_interpret.analysis.groundtruth.attach_ground_truth`
gives, so every ground-truth scorer runs unchanged: ``active_<part>`` is one-hot on the true part
(chance pointing 1/6), ``action`` is the true part's name, ``category`` counts the parts active
during the word's span (one part, several parts, whole body), ``n_actions`` the distinct truths of
the clip's words.

What it is worth is measured on the synthetic corpus by :func:`truth_agreement` (see
``docs/interpretability.md``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ..data.dataset import MOTION_DIR, load_motion, load_split
from ..data.lexicon import caption_targets, load_lexicon
from ..data.motion_range import SMOOTH_S, part_motion, smooth, window_frames
from ..errors import M2TError, check_choice
from ..skeletons import PARTS, Skeleton, get_skeleton
from .groundtruth import ACTIVE, attach_ground_truth, load_ground_truth, word_category
from .labels import motion_labels, remember_stems
from .temporal import interval_iou

#: Below this smoothed speed (m/s) no part is active, whatever the clip.
FLOOR_MS = 0.1
#: A part is active above this fraction of the clip's largest smoothed part motion.
FRACTION = 0.1
#: Inactive gaps shorter than this (seconds) between two active runs are filled.
GAP_S = 1.0
#: Active runs shorter than this (seconds) are dropped.
MIN_RUN_S = 0.25
#: The truths :func:`~m2t_interpret.analysis.token_table` knows.
TRUTHS = ("annotated", "kinematic")
#: The lexicon that decides motion words and the parts they can name.
DEFAULT_LEXICON = "project"
#: Columns the kinematic truth adds beside :data:`~.groundtruth.GT_COLUMNS`: the word's candidate
#: parts and the parts active during its span ("+"-joined, part order), and where the motion labels
#: (``gt_motion``) come from (the gate's scores name it).
KIN_COLUMNS = ("kin_candidates", "kin_active_parts", "gt_source")


# ---------------------------------------------------------------------------------------------
# per clip: motion, active frames, spans
# ---------------------------------------------------------------------------------------------

def _frames(seconds: float, fps: float) -> int:
    return window_frames(seconds, fps)


def activity_threshold(motion: np.ndarray, floor: float = FLOOR_MS, fraction: float = FRACTION) -> float:
    """The clip's activity threshold: max(floor, fraction × its largest part motion), m/s."""
    m = np.asarray(motion, dtype=np.float64)
    return float(max(floor, fraction * (m.max() if m.size else 0.0)))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True of a 1-D mask as ``[start, end)`` frame pairs, in order."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _clean(mask: np.ndarray, gap: int, min_run: int) -> np.ndarray:
    """Fill inner gaps shorter than ``gap`` frames, then drop runs shorter than ``min_run``."""
    out = np.asarray(mask, dtype=bool).copy()
    spans = runs(out)
    for (_, e0), (s1, _) in zip(spans, spans[1:]):
        if s1 - e0 < gap:
            out[e0:s1] = True
    for s, e in runs(out):
        if e - s < min_run:
            out[s:e] = False
    return out


def active_frames(motion: np.ndarray, fps: float, floor: float = FLOOR_MS, fraction: float = FRACTION,
                  gap_s: float = GAP_S, min_run_s: float = MIN_RUN_S) -> np.ndarray:
    """(T, 6) motion → (T, 6) bool: above the clip's threshold, gaps filled, twitches dropped."""
    m = np.asarray(motion, dtype=np.float64)
    above = m > activity_threshold(m, floor, fraction)
    gap, min_run = int(round(gap_s * fps)), int(round(min_run_s * fps))
    return np.stack([_clean(above[:, k], gap, min_run) for k in range(m.shape[1])], axis=1)


def active_parts(active: np.ndarray) -> np.ndarray:
    """(T, 6) active frames → (6,) bool: the parts active in at least one frame."""
    return np.asarray(active, dtype=bool).any(0)


def active_span(active: np.ndarray, motion: np.ndarray | None = None) -> tuple[int, int] | None:
    """One part's active frames (T,) → its longest run ``(start, end)``, end exclusive; ties go to
    the run with the larger summed ``motion`` (then the earlier one). None when never active."""
    spans = runs(active)
    if not spans:
        return None
    m = np.ones(len(active)) if motion is None else np.asarray(motion, dtype=np.float64)
    return max(spans, key=lambda r: (r[1] - r[0], m[r[0]:r[1]].sum(), -r[0]))


# ---------------------------------------------------------------------------------------------
# per word: the token-table columns
# ---------------------------------------------------------------------------------------------

def _lexicon_parts(lex) -> np.ndarray:
    """Column of the lexicon's α* vector for each part in PARTS order."""
    return np.array([lex.part_names.index(p) for p in PARTS])


def _caption_truth(words: list[str], motion: np.ndarray, fps: float, lex, restrict: bool) -> dict[str, list]:
    """One caption's words (in order) and its clip's motion → per word: β* (NaN unknown), the true
    part (-1: none), its span [start, end) in seconds, the parts active in the span, the candidates."""
    active = active_frames(motion, fps)
    spans = [active_span(active[:, k], motion[:, k]) for k in range(len(PARTS))]
    mean = motion.mean(0)
    beta, alpha, named = caption_targets(words, lexicon=lex)
    to_parts = _lexicon_parts(lex)
    out: dict[str, list] = {"motion": [], "part": [], "start": [], "end": [], "active": [], "candidates": []}
    for b, a, has in zip(beta, alpha, named):
        k, span, cand = -1, None, None
        if b == 1:
            cand = a[to_parts] > 0.5 if has and restrict else np.ones(len(PARTS), bool)
            k = int(np.flatnonzero(cand)[np.argmax(mean[cand])])
            span = spans[k]
        placed = span is not None
        out["motion"].append(np.nan if b < 0 else float(b))
        out["part"].append(k if placed else -1)
        out["start"].append(span[0] / fps if placed else np.nan)
        out["end"].append(span[1] / fps if placed else np.nan)
        out["active"].append(active[span[0]:span[1]].any(0) if placed else np.zeros(len(PARTS), bool))
        out["candidates"].append(None if cand is None else "+".join(p for p, c in zip(PARTS, cand) if c))
    return out


def kinematic_truth(table: pd.DataFrame, joints: Mapping[str, np.ndarray], skeleton: str | Skeleton = "humanml3d",
                    fps: float | None = None, lexicon=DEFAULT_LEXICON, restrict: bool = True) -> pd.DataFrame:
    """A token table (``clip_id, step, word, is_special``) + each clip's joints (T, J, 3) → the same
    rows with :data:`~.groundtruth.GT_COLUMNS` and :data:`KIN_COLUMNS` from the kinematic truth
    (see the module docstring). ``restrict=False`` ignores the lexicon's parts: every motion
    word's true part is then the clip's most-moving part."""
    sk = get_skeleton(skeleton)
    rate = float(fps if fps is not None else sk.fps)
    missing = sorted(set(table["clip_id"]) - set(joints))
    if missing:
        raise M2TError(f"no joints for clip(s) {', '.join(map(str, missing[:3]))}"
                       f"{' …' if len(missing) > 3 else ''} of the table")
    lex = load_lexicon(lexicon, sk)
    out = attach_ground_truth(table, None, forced=True)  # every GT column, empty
    m = len(out)
    cols = {"motion": np.full(m, np.nan), "part": np.full(m, -1), "start": np.full(m, np.nan),
            "end": np.full(m, np.nan), "active": np.zeros((m, len(PARTS)), bool), "candidates": np.full(m, None, object)}
    special, steps, words = out["is_special"].to_numpy(dtype=bool), out["step"].to_numpy(), out["word"].to_numpy()
    for cid, rows in out.groupby("clip_id", sort=False).indices.items():
        rows = rows[np.argsort(steps[rows], kind="stable")]
        rows = rows[~special[rows]]  # the caption's words, in order
        if len(rows):
            truth = _caption_truth([str(w) for w in words[rows]], part_motion(joints[cid], sk, rate), rate, lex,
                                   restrict)
            for key, values in truth.items():
                cols[key][rows] = np.asarray(values, dtype=cols[key].dtype)
    part = cols["part"]
    placed = part >= 0
    out["gt_motion"] = cols["motion"]
    out["gt_aligned"] = placed
    out["action"] = np.where(placed, np.asarray(PARTS, dtype=object)[np.maximum(part, 0)], None)
    out["action_idx"] = np.where(placed, part, np.nan)
    out["gt_start_s"], out["gt_end_s"] = cols["start"], cols["end"]
    for k, col in enumerate(ACTIVE):
        out[col] = np.where(placed, (part == k).astype(float), np.nan)
    out["category"] = np.where(placed, word_category(cols["active"]), None)
    # each part has one span, so a clip's distinct truths are its distinct true parts
    distinct = pd.Series(part[placed]).groupby(out["clip_id"].to_numpy()[placed]).nunique()
    out["n_actions"] = out["clip_id"].map(distinct).astype(float)
    out["kin_candidates"] = cols["candidates"]
    out["kin_active_parts"] = ["+".join(p for p, a in zip(PARTS, r) if a) if ok else None
                               for r, ok in zip(cols["active"], placed)]
    out["gt_source"] = f"{lex.name} lexicon rules"
    return out


# ---------------------------------------------------------------------------------------------
# a capture's clips
# ---------------------------------------------------------------------------------------------

def clip_joints(capture, root: str | os.PathLike) -> dict[str, np.ndarray]:
    """The joints (T, J, 3) of each clip of ``capture`` from the dataset folder ``root`` (sub-clips
    ``<id>@<start>-<end>`` cut as the loader cuts them), checked against the capture's lengths."""
    d = int(capture.downsample)
    sources = list(dict.fromkeys(str(c).split("@")[0] for c in capture.clip_ids))
    data = load_split(root, str(capture.meta.get("split", "test")), skeleton=capture.skeleton, progress=False,
                      ids=sources)
    by_id = {cid: s.motion for cid, s in zip(data.ids, data)}
    out = {}
    for cid, length in zip(capture.clip_ids, np.asarray(capture.lengths)):
        if cid not in by_id:
            raise M2TError(f"clip {cid} of the capture is not a usable clip of {root}; capture this data again")
        if len(by_id[cid]) // d != int(length):
            raise M2TError(f"clip {cid}: {len(by_id[cid])} frames in {root} but the capture saw {int(length)} "
                           f"model frames (every {d}th); the data changed since the capture: capture again")
        out[cid] = by_id[cid]
    return out


def kinematic_token_table(capture, root: str | os.PathLike | None = None,
                          joints: Mapping[str, np.ndarray] | None = None, lexicon=DEFAULT_LEXICON,
                          restrict: bool = True) -> pd.DataFrame:
    """The capture's token table with the kinematic truth attached (the clips' joints read from
    ``root``, or given as ``joints``: clip id → (T, J, 3) metres at the capture's frame rate).
    Adds ``motion`` like :func:`~m2t_interpret.analysis.token_table`."""
    if joints is None:
        if root is None:
            raise M2TError("the kinematic truth needs the clips' joints: give the dataset folder")
        joints = clip_joints(capture, root)
    if capture.vocab and capture.meta.get("vocab_stems"):
        remember_stems(capture.vocab, capture.meta["vocab_stems"])
    table = kinematic_truth(capture.to_dataframe(), joints, capture.skeleton, capture.fps, lexicon, restrict)
    table["motion"] = motion_labels(table)
    return table


def check_truth(truth: str) -> str:
    """``truth`` when it is one of :data:`TRUTHS`, else M2TError naming them."""
    return check_choice(truth, TRUTHS, "truth", use=" or ".join(TRUTHS))


# ---------------------------------------------------------------------------------------------
# what it is worth: agreement with the synthetic corpus's annotated truth
# ---------------------------------------------------------------------------------------------

def _caption_table(gt: pd.DataFrame) -> pd.DataFrame:
    """The first reference caption of every clip as a token table (step = word position), the
    rows a forced capture scores."""
    first = gt[gt["caption_idx"] == 0].sort_values(["clip_id", "token_idx"])
    return pd.DataFrame({"clip_id": first["clip_id"].to_numpy(), "step": first["token_idx"].to_numpy(dtype=np.int64),
                         "word": first["word"].to_numpy(), "is_special": False})


def agreement_rows(root: str | os.PathLike, lexicon=DEFAULT_LEXICON) -> pd.DataFrame:
    """One row per annotated action of a synthetic corpus (its verb: the first motion word of the
    action in the clip's first caption): the annotated parts and segment beside the kinematic
    truth of that word (``kin_part``, span ``kin_start_s``–``kin_end_s``; None/NaN where the lexicon
    does not make it a motion word or its part never moves), the clip's most-moving part of all six
    (``clip_part``, whatever the lexicon says) and the whole clip as a span baseline. "stands still" actions (no part
    moves) are left out."""
    gt = load_ground_truth(root)
    if gt is None:
        raise M2TError(f"{root} is not a synthetic corpus (no ground_truth.parquet); generate one with "
                       "m2t-interpret synth")
    table = _caption_table(gt)
    joints = {cid: load_motion(Path(root) / MOTION_DIR / f"{cid}.npy", "humanml3d")[0]
              for cid in table["clip_id"].unique()}
    annotated = attach_ground_truth(table, gt, forced=True)
    kin = kinematic_truth(table, joints, lexicon=lexicon)
    most = {cid: PARTS[int(part_motion(j).mean(0).argmax())] for cid, j in joints.items()}
    verbs = annotated[annotated["gt_aligned"]].drop_duplicates(["clip_id", "action_idx"]).index
    true = annotated.loc[verbs, ACTIVE].to_numpy(dtype=float) > 0.5
    keep = true.any(1)
    verbs, true = verbs[keep], true[keep]
    a, k = annotated.loc[verbs], kin.loc[verbs]
    rate = get_skeleton("humanml3d").fps
    clip_part = a["clip_id"].map(most).to_numpy()
    clip_end = a["clip_id"].map({c: len(v) / rate for c, v in joints.items()}).to_numpy(dtype=float)
    out = pd.DataFrame({
        "clip_id": a["clip_id"].to_numpy(), "action": a["action"].to_numpy(), "word": a["word"].to_numpy(),
        "n_actions": a["n_actions"].to_numpy(dtype=float),
        "true_parts": ["+".join(p for p, t in zip(PARTS, r) if t) for r in true],
        "chance": true.sum(1) / len(PARTS),
        "kin_part": k["action"].to_numpy(), "part_hit": _among(k["action"], true),
        "clip_part": clip_part, "clip_part_hit": _among(clip_part, true),
        "gt_start_s": a["gt_start_s"].to_numpy(dtype=float), "gt_end_s": a["gt_end_s"].to_numpy(dtype=float),
        "kin_start_s": k["gt_start_s"].to_numpy(dtype=float), "kin_end_s": k["gt_end_s"].to_numpy(dtype=float),
        "clip_end_s": clip_end})
    placed = k["gt_aligned"].to_numpy(dtype=bool)
    out["tiou"] = np.where(placed, interval_iou(out["kin_start_s"].fillna(0), out["kin_end_s"].fillna(0),
                                                out["gt_start_s"], out["gt_end_s"]), 0.0)
    out["onset_error_s"] = (out["kin_start_s"] - out["gt_start_s"]).abs()
    out["clip_tiou"] = interval_iou(0.0, out["clip_end_s"], out["gt_start_s"], out["gt_end_s"])
    out["clip_onset_error_s"] = out["gt_start_s"].abs()
    return out


def _among(parts, true: np.ndarray) -> np.ndarray:
    """1.0 where the part named in ``parts`` (None: no part) is one of the row's ``true`` parts."""
    index = np.array([PARTS.index(p) if isinstance(p, str) else -1 for p in parts])
    return np.where(index >= 0, true[np.arange(len(index)), np.maximum(index, 0)], False).astype(float)


def _best_part(true_parts: pd.Series) -> tuple[str, float]:
    share = np.array([[p in t.split("+") for p in PARTS] for t in true_parts]).mean(0)
    return PARTS[int(share.argmax())], float(share.max())


def agreement_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement_rows` per action type, per clip group (one action, several) and overall:
    how often the kinematic part lies among the annotated parts (with the lexicon's candidates,
    and the clip's most-moving part), beside chance (|parts| / 6) and the best constant part;
    the span's tIoU and onset error beside the whole clip's. Onset error is over placed words."""
    groups = [("all", "all actions", rows), ("clips", "one action", rows[rows["n_actions"] == 1]),
              ("clips", "several actions", rows[rows["n_actions"] > 1])]
    groups += [("action", name, g) for name, g in rows.groupby("action", sort=True)]
    out = []
    for kind, name, g in groups:
        if g.empty:
            continue
        part, best = _best_part(g["true_parts"])
        out.append({"group": kind, "name": name, "n": len(g), "placed": float(g["kin_part"].notna().mean()),
                    "part_hit": g["part_hit"].mean(), "clip_part_hit": g["clip_part_hit"].mean(),
                    "chance": g["chance"].mean(), "best_constant": best, "best_constant_part": part,
                    "tiou": g["tiou"].mean(), "clip_tiou": g["clip_tiou"].mean(),
                    "onset_error_s": g["onset_error_s"].mean(), "clip_onset_error_s": g["clip_onset_error_s"].mean()})
    return pd.DataFrame(out)


__all__ = ["SMOOTH_S", "FLOOR_MS", "FRACTION", "GAP_S", "MIN_RUN_S", "TRUTHS", "DEFAULT_LEXICON", "KIN_COLUMNS",
           "smooth", "part_motion", "activity_threshold", "runs", "active_frames", "active_parts", "active_span",
           "kinematic_truth", "clip_joints", "kinematic_token_table", "check_truth", "agreement_rows",
           "agreement_summary"]
