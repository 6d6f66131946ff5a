"""BABEL's action segments as a segment table for HumanML3D clips.

BABEL (Punnakkal et al., CVPR 2021) labels AMASS motion sequences with actions and their times;
HumanML3D cuts its clips from the same AMASS sequences. Two files connect them:

* a BABEL JSON file (``train.json``, ``val.json``, … — a mapping from sequence id to its
  annotation): each sequence names its AMASS file (``feat_p``, e.g.
  ``CMU/CMU/86/86_05_poses.npz``: the archive folder, then dataset, subject and file) and its
  duration ``dur``; ``frame_ann.labels`` lists segments with ``start_t``/``end_t`` in seconds of
  the sequence and the labels ``proc_label`` (processed) and ``raw_label``. A sequence without
  frame labels has ``frame_ann`` null and ``seq_ann.labels`` that cover the whole sequence. The
  ``extra_*`` files hold lists (``frame_anns``, ``seq_anns``) from several annotators: the first
  is used.
* HumanML3D's ``index.csv`` (``source_path,start_frame,end_frame,new_name``): each clip
  ``new_name`` is frames [start_frame, end_frame) at 20 fps of the AMASS file ``source_path``
  (``./pose_data/<dataset>/<subject>/<file>.npy``), after HumanML3D dropped the first 3 s of
  Eyes_Japan_Dataset and MPI_HDM05 sequences, the first 1 s of TotalCapture and MPI_Limits ones
  and the first 0.5 s of Transitions_mocap ones. HumanAct12 clips have no AMASS source and get no
  segments.

A BABEL segment overlapping a clip becomes a row for the clip (times relative to the clip, cut
to it) and for its mirror ``M<id>`` (left and right swapped in the label). Labels are action
names, not caption words, so rows carry no caption and are matched to a caption's clauses by
shared word stems (:func:`m2t_interpret.data.segments.match_caption`).
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import M2TError
from ..io import read_json

#: HumanML3D's index frame rate.
INDEX_FPS = 20.0
#: Seconds HumanML3D dropped from the start of each sequence of these AMASS datasets.
DROPPED_START_S = {"eyes_japan_dataset": 3.0, "mpi_hdm05": 3.0, "totalcapture": 1.0, "mpi_limits": 1.0,
                   "transitions_mocap": 0.5}
#: AMASS folder names that changed between releases → one name.
_ALIASES = {"bmlrub": "biomotionlab_ntroje", "dfaust": "dfaust_67"}
#: The shortest overlap (seconds) that makes a segment part of a clip.
MIN_OVERLAP_S = 0.1
_SWAP = {"left": "right", "right": "left"}


def sequence_key(path: str) -> str:
    """An AMASS file path as ``dataset/subject/file`` (lower case, no extension, spaces as
    underscores), whether written BABEL's way (archive folder first) or HumanML3D's
    (``./pose_data/`` first)."""
    parts = [p for p in str(path).replace("\\", "/").split("/") if p and p != "."]
    if parts and parts[0].lower() == "pose_data":
        parts = parts[1:]
    elif len(parts) >= 4:  # BABEL: <archive>/<dataset>/<subject>/<file>
        parts = parts[1:]
    parts = [p.lower().replace(" ", "_") for p in parts[-3:]]
    if parts:
        parts[-1] = os.path.splitext(parts[-1])[0]
        parts[0] = _ALIASES.get(parts[0], parts[0])
    return "/".join(parts)


def _labels(ann: dict) -> list[tuple[float, float, str]]:
    """(start_s, end_s, label) of one BABEL sequence."""
    def first(key_one: str, key_many: str):
        value = ann.get(key_one)
        if value is None and isinstance(ann.get(key_many), list) and ann[key_many]:
            value = ann[key_many][0]
        return value

    frame = first("frame_ann", "frame_anns")
    dur = float(ann.get("dur") or 0.0)
    out = []
    if isinstance(frame, dict) and frame.get("labels"):
        for lab in frame["labels"]:
            text = str(lab.get("proc_label") or lab.get("raw_label") or "").strip()
            if text and lab.get("start_t") is not None and lab.get("end_t") is not None:
                out.append((float(lab["start_t"]), float(lab["end_t"]), text))
        return out
    seq = first("seq_ann", "seq_anns")
    if isinstance(seq, dict) and dur > 0:
        for lab in seq.get("labels") or []:
            text = str(lab.get("proc_label") or lab.get("raw_label") or "").strip()
            if text:
                out.append((0.0, dur, text))
    return out


def read_babel(paths: Sequence[str | os.PathLike]) -> dict[str, list[tuple[float, float, str]]]:
    """BABEL JSON files → segments by :func:`sequence_key` (later files add to earlier ones)."""
    out: dict[str, list[tuple[float, float, str]]] = {}
    for p in paths:
        p = Path(p)
        data = read_json(p, "BABEL")
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise M2TError(f"{p} is not a BABEL annotation file (a JSON object of sequences with feat_p, dur, "
                           "frame_ann, seq_ann)")
        for sid, ann in data.items():
            if "feat_p" not in ann:
                raise M2TError(f"{p}: sequence {sid} has no feat_p (the AMASS file it annotates)")
            out.setdefault(sequence_key(ann["feat_p"]), []).extend(_labels(ann))
    return out


def read_index(path: str | os.PathLike) -> list[dict]:
    """HumanML3D's ``index.csv`` rows: source_path, start_frame, end_frame, new_name."""
    path = Path(path)
    if not path.is_file():
        raise M2TError(f"HumanML3D index not found: {path}")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    need = ("source_path", "start_frame", "end_frame", "new_name")
    if not rows or any(c not in rows[0] for c in need):
        raise M2TError(f"{path} is not HumanML3D's index.csv (columns {', '.join(need)})")
    out = []
    for line, r in enumerate(rows, start=2):
        try:
            out.append({"source_path": r["source_path"], "start": int(r["start_frame"]), "end": int(r["end_frame"]),
                        "clip_id": Path(r["new_name"]).stem})
        except (TypeError, ValueError):
            raise M2TError(f"{path} line {line}: start_frame and end_frame must be whole numbers") from None
    return out


def _mirror(text: str) -> str:
    return " ".join(_SWAP.get(w, w) for w in text.split())


def babel_segment_rows(babel: dict[str, list[tuple[float, float, str]]], index: Iterable[dict],
                       ids: Iterable[str] | None = None, mirrors: bool = True) -> list[dict]:
    """Segment-table rows for the HumanML3D clips of ``index`` (only ``ids`` when given)."""
    wanted = None if ids is None else {i.lstrip("M") for i in ids}
    rows = []
    for r in index:
        cid = r["clip_id"]
        if (wanted is not None and cid not in wanted) or "humanact12" in r["source_path"].lower():
            continue
        key = sequence_key(r["source_path"])
        dropped = DROPPED_START_S.get(key.split("/")[0], 0.0)
        a, b = dropped + r["start"] / INDEX_FPS, dropped + r["end"] / INDEX_FPS
        for start, end, text in babel.get(key, ()):
            lo, hi = max(start, a), min(end, b)
            if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo < MIN_OVERLAP_S:
                continue
            rows.append({"clip_id": cid, "start_s": lo - a, "end_s": hi - a, "text": text, "caption": ""})
            if mirrors:
                rows.append({"clip_id": "M" + cid, "start_s": lo - a, "end_s": hi - a, "text": _mirror(text),
                             "caption": ""})
    return rows


__all__ = ["INDEX_FPS", "DROPPED_START_S", "sequence_key", "read_babel", "read_index", "babel_segment_rows"]
