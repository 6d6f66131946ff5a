"""Segment tables: when each described action happens, for training the temporal window.

A segment table is a CSV file with one row per annotated action segment:

=========== ========================================================================================
column      meaning
=========== ========================================================================================
clip_id     the dataset id (``new_joints/<clip_id>.npy``), e.g. ``012314`` or ``M012314``
start_s     start of the segment in seconds of that clip (≥ 0)
end_s       end of the segment in seconds (> start_s)
text        the caption words or clause the segment covers ("waves his left hand"), or an action
            label ("wave right hand")
caption     optional: the caption line (its text) the row belongs to; empty = any caption of the clip
=========== ========================================================================================

Matching a row to a caption's words (:func:`match_caption`): rows whose ``caption`` is the
caption's text are used for it, else the clip's rows with an empty ``caption``. A row whose
``text`` occurs in the caption as a run of words covers those words; otherwise it covers the
clause (:mod:`.clause_order`) sharing the most word stems with it, if one clause shares more than
any other (function words and connectors do not count). A sub-clip's segments are shifted to the
sub-clip's start and cut to its extent.

``m2t-interpret synth`` writes ``segments.csv`` for its training split only (every caption's
action phrases with the action's frames); held-out corpora carry ground truth for measuring,
never segments for training. ``m2t-interpret data babel-segments`` makes a table from BABEL's
annotations (see :mod:`.babel`).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from ..errors import M2TError
from ..io import write_text
from .clause_order import clause_pieces
from .stemming import stem

COLUMNS = ("clip_id", "start_s", "end_s", "text", "caption")
REQUIRED = ("clip_id", "start_s", "end_s", "text")
#: The file a dataset folder may hold its own segment table in (``--segments auto``).
DATASET_FILE = "segments.csv"
#: Words that never decide which clause a segment label belongs to.
_IGNORED = frozenset({"a", "an", "the", "his", "her", "their", "its", "with", "to", "in", "on", "of", "person",
                      "man", "woman", "someone", "human", "and", "then", "up", "down", "is", "it", "for"})


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str
    caption: str = ""


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())


def read_segments(path: str | os.PathLike) -> dict[str, list[Segment]]:
    """Read and check a segment table → segments by clip id (M2TError naming the first bad row)."""
    path = Path(path)
    if not path.is_file():
        raise M2TError(f"segment table not found: {path}" + (" (a folder)" if path.is_dir() else ""))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise M2TError(f"segment table {path} is not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise M2TError(f"segment table {path} lacks the column(s) {', '.join(missing)}; its header must name "
                       f"{', '.join(REQUIRED)} (and optionally caption)")
    out: dict[str, list[Segment]] = defaultdict(list)
    for line, row in enumerate(reader, start=2):
        cid = (row.get("clip_id") or "").strip()
        try:
            start, end = float(row["start_s"]), float(row["end_s"])
        except (TypeError, ValueError):
            raise M2TError(f"{path} line {line}: start_s and end_s must be numbers, got "
                           f"{row.get('start_s')!r}, {row.get('end_s')!r}") from None
        if not cid:
            raise M2TError(f"{path} line {line}: empty clip_id")
        if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
            raise M2TError(f"{path} line {line}: a segment needs 0 ≤ start_s < end_s (finite), got {start:g}, {end:g}")
        label = _norm(row.get("text") or "")
        if not label:
            raise M2TError(f"{path} line {line}: empty text (the words the segment covers)")
        out[cid].append(Segment(start, end, label, _norm(row.get("caption") or "")))
    if not out:
        raise M2TError(f"segment table {path} holds no segments")
    return dict(out)


def segments_csv(rows: Iterable[Mapping]) -> str:
    """Rows (mappings with :data:`COLUMNS`) as the CSV text of a segment table."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: (f"{float(r[c]):.4f}" if c in ("start_s", "end_s") else r.get(c, "")) for c in COLUMNS})
    return buf.getvalue()


def write_segments(rows: Iterable[Mapping], path: str | os.PathLike) -> Path:
    """Write a segment table atomically."""
    return write_text(path, segments_csv(rows))


def _stems(words: Iterable[str]) -> set[str]:
    return {stem(w) for w in words if w not in _IGNORED}


def _find_run(words: Sequence[str], run: Sequence[str]) -> Optional[list[int]]:
    m = len(run)
    for i in range(len(words) - m + 1):
        if list(words[i:i + m]) == list(run):
            return list(range(i, i + m))
    return None


def match_caption(words: Sequence[str], caption: str, segments: Sequence[Segment]
                  ) -> list[tuple[Segment, list[int]]]:
    """The clip's segments that this caption describes, each with the token indices it covers."""
    low = [str(w).lower() for w in words]
    key = _norm(caption)
    own = [s for s in segments if s.caption and s.caption == key]
    rows = own or [s for s in segments if not s.caption]
    clauses = [idx for _, idx in clause_pieces(low)]
    out = []
    for seg in rows:
        run = _find_run(low, seg.text.split())
        if run is None:
            label = _stems(seg.text.split())
            overlaps = [len(label & _stems(low[i] for i in idx)) for idx in clauses]
            best = max(overlaps, default=0)
            if best == 0 or overlaps.count(best) > 1:
                continue  # no clause, or no single clause, names this segment
            run = clauses[overlaps.index(best)]
        out.append((seg, run))
    return out


def step_segments(words: Sequence[str], caption: str, segments: Sequence[Segment], beta_star: np.ndarray,
                  fps: float, downsample: int, n_frames: int, offset_s: float = 0.0) -> np.ndarray:
    """Segment targets of one encoded caption's steps, in model frames: (S, 2) float32 [start, end],
    NaN where the step's word is not a motion word (β* = 1) of a matched segment.

    ``offset_s``: the sample's start in the clip (a sub-clip); segments are shifted by it and cut
    to the sample's ``n_frames`` model frames."""
    s = len(beta_star)
    out = np.full((s, 2), np.nan, dtype=np.float32)
    last = max(n_frames - 1, 0)
    for seg, idx in match_caption(words, caption, segments):
        a = (np.array([seg.start_s, seg.end_s]) - offset_s) * fps
        frames = np.clip((a - downsample + 1) / downsample, 0, last)  # seconds → model frames
        if frames[1] <= frames[0]:
            continue  # outside this sample
        for i in idx:
            if i < s and beta_star[i] == 1:
                out[i] = frames
    return out


__all__ = ["COLUMNS", "DATASET_FILE", "Segment", "read_segments", "segments_csv", "write_segments",
           "match_caption", "step_segments"]
