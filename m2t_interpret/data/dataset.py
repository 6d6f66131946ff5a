"""Load a dataset in the HumanML3D on-disk layout (HumanML3D and the HumanML3D-style KIT-ML release).

Layout under ``root``::

    new_joints/<id>.npy    (T, J, 3) joint positions; J = 22 (HumanML3D) or 21 (KIT-ML)
    texts/<id>.txt         caption#word/POS …#start#end, one caption per line
    train.txt val.txt test.txt (also train_val.txt, all.txt …): one id per line

``M<id>`` is the left/right mirror of ``<id>``; it is an ordinary id in the split files.

What :func:`load_split` does, following HumanML3D's own loader:

* the whole clip must satisfy the skeleton's length limits (HumanML3D 40 ≤ T < 200, KIT-ML
  24 ≤ T < 200) or the id is skipped, sub-clips included; a dataset may declare a lower
  minimum in its ``corpus.json`` (``"min_frames"``: the synthetic corpus holds short excerpts
  of repeating actions, 16 frames and up);
* captions with ``0#0`` describe the whole clip and form one sample (id = the file id);
* captions with a non-zero ``start#end`` describe ``motion[int(start·fps):int(end·fps)]``;
  captions sharing the same (start, end) form one sample with id ``<id>@<start>-<end>``; each
  sub-clip must itself satisfy the length limits;
* units are detected per clip: if the median per-frame extent of the body exceeds 10 the clip
  is taken to be in millimetres (KIT-ML) and divided by 1000; motions are float32 metres;
* the skeleton is detected from the joint count of the first readable motion unless given.

Nothing is dropped silently: every skipped id (or sub-clip) is listed in :class:`LoadReport`
with its reason, and malformed caption lines are listed with their id and line number.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union

import numpy as np
from tqdm import tqdm

from ..errors import M2TError, SkippedClipsWarning
from ..skeletons import Skeleton, get_skeleton, skeleton_for_joints
from .texts import TextLine, parse_text_file
from .tokenize import tokenize

__all__ = [
    "MOTION_DIR",
    "TEXT_DIR",
    "Caption",
    "Sample",
    "LoadReport",
    "MotionDataset",
    "read_split_ids",
    "available_splits",
    "list_ids",
    "detect_units",
    "body_extent",
    "read_npy",
    "check_motion_values",
    "load_motion",
    "load_split",
    "read_captions",
    "caption_from_line",
    "subclip_id",
]

MOTION_DIR = "new_joints"
TEXT_DIR = "texts"
MM_THRESHOLD = 10.0  # a median body extent above this is millimetres, not metres
MAX_EXTENT_M = 10.0  # a median body extent above this (in metres, after unit detection) is absurd
NPY_MAGIC = b"\x93NUMPY"

PathLike = Union[str, os.PathLike]


# ------------------------------------------------------------------------------------------------
# data classes
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caption:
    """One caption: its text, lowercased tokens and their POS tags (None where unknown).

    ``tokens`` come from the file's word/POS field when present (``tagged=True``; note that
    HumanML3D stores spaCy lemmas for nouns and verbs there), otherwise from the spaCy-rule
    tokenizer applied to the lowercased caption (``tagged=False``, every POS ``None``).
    """

    text: str
    tokens: tuple[str, ...]
    pos: tuple[Optional[str], ...]
    tagged: bool = True


@dataclass
class Sample:
    """One motion with the captions that describe it."""

    id: str  # file id, or "<file id>@<start>-<end>" for a sub-clip
    source_id: str  # the file id (new_joints/<source_id>.npy)
    motion: np.ndarray  # (T, J, 3) float32 metres
    captions: list[Caption]
    start: float = 0.0  # seconds; 0, 0 = whole clip
    end: float = 0.0

    @property
    def n_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def is_subclip(self) -> bool:
        return not (self.start == 0.0 and self.end == 0.0)

    @property
    def mirrored(self) -> bool:
        """True for HumanML3D's mirrored ``M<id>`` clips."""
        return self.source_id.startswith("M")


@dataclass
class LoadReport:
    """What :func:`load_split` loaded and everything it skipped, with reasons."""

    root: str
    split: str
    skeleton: Optional[str] = None
    n_ids: int = 0  # ids in the split file (after removing duplicates)
    n_checked: int = 0  # ids looked at (differs from n_ids with ``limit``)
    limit: Optional[int] = None
    n_samples: int = 0
    n_subclip_samples: int = 0
    n_captions: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    missing_motion: list[str] = field(default_factory=list)
    missing_text: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # id -> reason (npy or text file)
    too_short: list[str] = field(default_factory=list)  # ids or sub-clip ids
    too_long: list[str] = field(default_factory=list)
    no_captions: list[str] = field(default_factory=list)  # text file without a valid line
    malformed_lines: list[tuple[str, int, str]] = field(default_factory=list)  # (id, line, why)
    units: dict[str, int] = field(default_factory=dict)  # "m"/"mm" -> number of clips
    n_lines: int = 0  # caption lines read (valid and malformed) from the text files of readable clips

    @property
    def skipped(self) -> dict[str, str]:
        """Every skipped id (or sub-clip id) → reason."""
        out: dict[str, str] = {}
        for i in self.missing_motion:
            out[i] = f"missing {MOTION_DIR}/{i}.npy"
        for i in self.missing_text:
            out[i] = (out[i] + " and " if i in out else "missing ") + f"{TEXT_DIR}/{i}.txt"
        for i, why in self.unreadable.items():
            out[i] = why
        for i in self.too_short:
            out[i] = "too short"
        for i in self.too_long:
            out[i] = "too long"
        for i in self.no_captions:
            out[i] = "no valid caption line"
        return out

    @property
    def lost_ids(self) -> dict[str, str]:
        """Ids lost to a problem with their files → reason: missing motion or text, unreadable,
        no valid caption line. Clips outside the length limits are filtered by design (as
        HumanML3D's own loader does) and are not included."""
        skipped = self.skipped
        bad = set(self.missing_motion) | set(self.missing_text) | set(self.unreadable) | set(self.no_captions)
        return {i: skipped[i] for i in skipped if i in bad}

    @property
    def lost_fraction(self) -> float:
        """Share of the ids looked at that were lost to a problem (see :attr:`lost_ids`)."""
        return len(self.lost_ids) / self.n_checked if self.n_checked else 0.0

    @property
    def malformed_fraction(self) -> float:
        """Share of the caption lines read that were malformed (and skipped)."""
        return len(self.malformed_lines) / self.n_lines if self.n_lines else 0.0

    def loss_summary(self, max_items: int = 3) -> str:
        """One line: what was lost and why, with the first few ids of each reason."""
        def first(items) -> str:
            items = list(items)
            text = ", ".join(items[:max_items])
            return text + (f", … (+{len(items) - max_items})" if len(items) > max_items else "")

        if self.n_ids == 0:
            return "the split lists no ids"
        by_reason: dict[str, list[str]] = {}
        for i, why in self.unreadable.items():
            by_reason.setdefault(why, []).append(i)
        groups = [(f"missing {MOTION_DIR}/ file", self.missing_motion), (f"missing {TEXT_DIR}/ file", self.missing_text)]
        groups += list(by_reason.items())
        groups += [("no valid caption line", self.no_captions)]
        parts = [f"{why}: {first(ids)}" for why, ids in groups if ids]
        lost = len(self.lost_ids)
        text = f"{lost} of {self.n_checked} ids lost" + (f" ({'; '.join(parts)})" if parts else "")
        if self.malformed_lines:
            lines_by_reason: dict[str, list[str]] = {}
            for i, n, why in self.malformed_lines:
                lines_by_reason.setdefault(why, []).append(f"{i} line {n}")
            text += (f"; {len(self.malformed_lines)} of {self.n_lines} caption lines malformed ("
                     + "; ".join(f"{why}: {first(where)}" for why, where in lines_by_reason.items()) + ")")
        filtered = len(self.too_short) + len(self.too_long)
        if filtered:
            text += f"; outside the length limits (filtered, not counted): {filtered}"
        return text

    def skip_notice(self) -> Optional[str]:
        """One line saying what loading skipped — counts, reasons and the first ids — or None when
        every id and caption line was used."""
        if not self.skipped and not self.malformed_lines:
            return None
        return (f"the {self.split} split of {self.root}: {self.n_samples} samples from {self.n_checked} ids; "
                f"{self.loss_summary()}; `m2t-interpret data check {self.root}` lists every skipped id")

    def warn_skipped(self) -> None:
        """Issue :class:`~m2t_interpret.errors.SkippedClipsWarning` with :meth:`skip_notice` when
        anything was skipped."""
        notice = self.skip_notice()
        if notice is not None:
            warnings.warn(notice, SkippedClipsWarning, stacklevel=2)

    def summary(self) -> str:
        parts = [f"{self.split}: {self.n_samples} samples ({self.n_subclip_samples} sub-clips), "
                 f"{self.n_captions} captions from {self.n_checked} of {self.n_ids} ids"
                 + (f" (limit {self.limit})" if self.limit is not None else "")]
        if self.skeleton:
            parts.append(f"skeleton {self.skeleton}")
        if self.units:
            parts.append("units " + ", ".join(f"{k}: {v}" for k, v in sorted(self.units.items())))
        problems = [
            ("missing motion", len(self.missing_motion)),
            ("missing text", len(self.missing_text)),
            ("unreadable", len(self.unreadable)),
            ("too short", len(self.too_short)),
            ("too long", len(self.too_long)),
            ("no captions", len(self.no_captions)),
            ("malformed lines", len(self.malformed_lines)),
            ("duplicate ids", len(self.duplicate_ids)),
        ]
        skipped = ", ".join(f"{name} {n}" for name, n in problems if n)
        parts.append("skipped/reported: " + (skipped or "none"))
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "root": self.root, "split": self.split, "skeleton": self.skeleton,
            "n_ids": self.n_ids, "n_checked": self.n_checked, "limit": self.limit,
            "n_samples": self.n_samples, "n_subclip_samples": self.n_subclip_samples,
            "n_captions": self.n_captions, "duplicate_ids": list(self.duplicate_ids),
            "missing_motion": list(self.missing_motion), "missing_text": list(self.missing_text),
            "unreadable": dict(self.unreadable), "too_short": list(self.too_short),
            "too_long": list(self.too_long), "no_captions": list(self.no_captions),
            "malformed_lines": [list(x) for x in self.malformed_lines], "units": dict(self.units),
            "n_lines": self.n_lines, "lost_fraction": self.lost_fraction,
            "malformed_fraction": self.malformed_fraction,
        }


class MotionDataset(Sequence[Sample]):
    """The samples of one split plus the :class:`LoadReport` of how they were loaded."""

    def __init__(self, samples: list[Sample], report: LoadReport, skeleton: Optional[Skeleton],
                 root: PathLike, split: str) -> None:
        self.samples = samples
        self.report = report
        self.skeleton = skeleton
        self.root = Path(root)
        self.split = split

    @property
    def fps(self) -> Optional[float]:
        return self.skeleton.fps if self.skeleton else None

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.samples]

    def captions(self) -> Iterator[Caption]:
        for s in self.samples:
            yield from s.captions

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i):  # type: ignore[override]
        return self.samples[i]

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def __repr__(self) -> str:
        sk = self.skeleton.name if self.skeleton else "?"
        return f"MotionDataset(split={self.split!r}, samples={len(self)}, skeleton={sk})"


# ------------------------------------------------------------------------------------------------
# split files and ids
# ------------------------------------------------------------------------------------------------


def available_splits(root: PathLike) -> list[str]:
    """Names of the split files (``<name>.txt``) directly under ``root``."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.stem for p in root.glob("*.txt") if p.is_file())


def read_split_ids(root: PathLike, split: str) -> list[str]:
    """Ids listed in ``root/<split>.txt`` (stripped, blank lines skipped, order kept).

    ``split`` may also be a path to a split file.
    """
    root = Path(root)
    path = Path(split) if str(split).endswith(".txt") and Path(split).is_file() else \
        root / f"{split}.txt"
    if not path.is_file():
        have = ", ".join(available_splits(root)) or "none"
        raise M2TError(f"no split file {path} (split files found under {root}: {have})")
    text = path.read_bytes().decode("utf-8", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def list_ids(root: PathLike, sub: str, suffix: str) -> set[str]:
    """Ids of the files ``root/sub/<id><suffix>`` (empty set if the folder is absent)."""
    d = Path(root) / sub
    if not d.is_dir():
        return set()
    n = len(suffix)
    return {name[:-n] for name in os.listdir(d) if name.endswith(suffix)}


def subclip_id(source_id: str, start: float, end: float) -> str:
    return f"{source_id}@{start:g}-{end:g}"


# ------------------------------------------------------------------------------------------------
# motions
# ------------------------------------------------------------------------------------------------


def body_extent(motion: np.ndarray) -> float:
    """Median over frames of the body's largest extent along one axis (metres for a human in metres)."""
    m = np.asarray(motion, dtype=np.float64)
    if m.size == 0:
        return 0.0
    extent = np.nanmax(m, axis=1) - np.nanmin(m, axis=1)  # (T, 3)
    return float(np.nanmedian(np.nanmax(extent, axis=-1)))


def detect_units(motion: np.ndarray) -> str:
    """``"mm"`` if the clip's median per-frame body extent exceeds 10, else ``"m"``."""
    med = body_extent(motion)
    return "mm" if np.isfinite(med) and med > MM_THRESHOLD else "m"


def read_npy(path: PathLike, name: Optional[str] = None) -> np.ndarray:
    """Read one ``.npy`` array (never a pickle); M2TError names the file's actual problem: missing, a
    folder, empty, an ``.npz`` archive, not a ``.npy`` file at all, an object array, truncated."""
    p = Path(path)
    subject = name if name is not None else str(p)
    if p.is_dir():
        raise M2TError(f"{subject} is a folder, not a .npy file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(len(NPY_MAGIC))
    except FileNotFoundError:
        raise M2TError(f"motion file not found: {subject}") from None
    except OSError as exc:
        raise M2TError(f"cannot read {subject}: {exc.strerror or exc}") from None
    if not head:
        raise M2TError(f"{subject} is empty (0 bytes)")
    if head.startswith(b"PK\x03\x04"):
        try:
            with np.load(p, allow_pickle=False) as z:
                names = ", ".join(z.files[:5]) + (", …" if len(z.files) > 5 else "")
        except Exception:
            names = "?"
        raise M2TError(f"{subject} is an .npz archive (arrays: {names}), not a .npy array; save the joint "
                       "positions alone with numpy.save")
    if head != NPY_MAGIC:
        raise M2TError(f"{subject} is not a .npy file (no NumPy header: text or another format renamed .npy?)")
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc) or "object" in str(exc):
            raise M2TError(f"{subject} holds Python objects (an object array), not numbers") from None
        raise M2TError(f"{subject} is truncated or damaged ({str(exc).splitlines()[0][:120]})") from None
    except (OSError, EOFError) as exc:
        raise M2TError(f"{subject} is truncated or damaged ({exc})") from None


def check_motion_values(arr: np.ndarray, subject: str, units: str = "auto",
                        integers: str = "refuse") -> tuple[np.ndarray, str, list[str]]:
    """Dtype, finiteness and scale of a (T, J, 3) array → (float32 metres, units, notes).

    Complex, boolean and non-numeric arrays are refused; integer arrays are refused
    (``integers="refuse"``) or converted with a note (``"convert"``); NaN/inf are refused;
    a millimetre-scale clip (median body extent > 10) is divided by 1000 (``units="auto"``, noted);
    a clip still wider than 10 m after that is refused as absurdly scaled. The shape is not checked.
    """
    notes: list[str] = []
    kind = arr.dtype.kind
    if kind == "c":
        raise M2TError(f"{subject} holds complex numbers; joint positions must be real")
    if kind in "iu":
        if integers != "convert":
            raise M2TError(f"{subject} holds integers ({arr.dtype}); joint positions must be floating point")
        notes.append(f"{subject} holds integers ({arr.dtype}); read as floating-point positions")
    elif kind != "f":
        raise M2TError(f"{subject} is not a numeric array (dtype {arr.dtype})")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr).reshape(len(arr), -1).all(axis=1)).ravel() if arr.ndim >= 2 else [0]
        raise M2TError(f"{subject} has NaN or infinite values (first bad frame {int(bad[0])}); clean it first")
    if units == "auto":
        units = detect_units(arr)
    if units == "mm":
        arr = arr / 1000.0
    elif units != "m":
        raise M2TError(f"unknown units {units!r}; use auto, m or mm")
    extent = body_extent(arr)
    if extent > MAX_EXTENT_M:
        raise M2TError(f"{subject} is absurdly scaled: the body spans {extent:.3g} m"
                       f"{' after converting millimetres' if units == 'mm' else ''}; expected joint positions "
                       "in metres (or millimetres)")
    return np.ascontiguousarray(arr, dtype=np.float32), units, notes


def load_motion(path: PathLike, skeleton: Optional[Union[str, Skeleton]] = None,
                units: str = "auto") -> tuple[np.ndarray, str]:
    """Read one ``new_joints`` file → (motion (T, J, 3) float32 metres, detected units).

    Raises :class:`M2TError` with the reason when the file is unreadable, has a bad shape or dtype
    (complex, integer, non-numeric), non-finite values, or an absurd scale.
    """
    arr = read_npy(path, name=Path(path).name)
    if arr.ndim == 2 and arr.shape[1] in (66, 63):
        arr = arr.reshape(arr.shape[0], -1, 3)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise M2TError(f"shape {tuple(arr.shape)} is not (T, J, 3)")
    if skeleton is not None:
        sk = get_skeleton(skeleton)
        if arr.shape[1] != sk.n_joints:
            raise M2TError(f"{arr.shape[1]} joints but the {sk.name} skeleton has {sk.n_joints}")
    elif arr.shape[1] not in (21, 22):
        raise M2TError(f"{arr.shape[1]} joints; expected 22 (HumanML3D) or 21 (KIT-ML)")
    arr, units, _ = check_motion_values(arr, Path(path).name, units)
    return arr, units


# ------------------------------------------------------------------------------------------------
# captions
# ------------------------------------------------------------------------------------------------


def caption_from_line(line: TextLine) -> Caption:
    """A :class:`Caption` from a parsed line (tokenising the caption when it has no tags)."""
    if line.tokens:
        return Caption(line.caption, tuple(line.tokens), tuple(line.pos), True)
    toks = tuple(t for t in tokenize(line.caption) if not t.isspace())
    return Caption(line.caption, toks, (None,) * len(toks), False)


def read_captions(root: PathLike, splits: Iterable[str] = ("train", "val", "test"),
                  ) -> list[TextLine]:
    """Every valid caption line of the ids in ``splits`` (text files only, no motions, no
    length filtering; ids listed in several splits are read once). Used to count tokens
    "over all splits" as the authors did. Missing split files raise :class:`M2TError`;
    missing or unreadable text files are skipped."""
    root = Path(root)
    seen: set[str] = set()
    out: list[TextLine] = []
    for split in splits:
        for i in read_split_ids(root, split):
            if i in seen:
                continue
            seen.add(i)
            p = root / TEXT_DIR / f"{i}.txt"
            try:
                out.extend(parse_text_file(p).lines)
            except OSError:
                continue
    return out


# ------------------------------------------------------------------------------------------------
# loader
# ------------------------------------------------------------------------------------------------


def declared_min_frames(root: PathLike) -> Optional[int]:
    """The shortest clip a dataset folder declares in its ``corpus.json`` (None: the skeleton's)."""
    path = Path(root) / "corpus.json"
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("min_frames")
    except (OSError, ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) and value > 0 else None


def load_split(root: PathLike, split: str, skeleton: Optional[Union[str, Skeleton]] = None, *,
               progress: bool = True, limit: Optional[int] = None, units: str = "auto",
               ids: Optional[Sequence[str]] = None) -> MotionDataset:
    """Load one split of a HumanML3D-layout dataset (see the module docstring).

    Args:
        root: dataset folder holding ``new_joints/``, ``texts/`` and the split files.
        split: split name (``train``, ``val``, ``test``, …) or path to a split file.
        skeleton: ``"humanml3d"``/``"kit"``/a :class:`Skeleton`; detected from the joint count
            when ``None``.
        progress: show a progress bar.
        limit: look at only the first ``limit`` ids of the split (quick looks).
        units: ``"auto"`` (per-clip detection), ``"m"`` or ``"mm"``.
        ids: use these ids instead of reading the split file.
    """
    root = Path(root)
    if not root.is_dir():
        raise M2TError(f"dataset folder {root} does not exist")
    if not (root / MOTION_DIR).is_dir():
        raise M2TError(f"{root} has no {MOTION_DIR}/ folder; expected the HumanML3D layout "
                       f"(new_joints/, texts/, train.txt …)")
    if limit is not None and limit < 0:
        raise M2TError(f"limit must be ≥ 0, got {limit}")
    raw_ids = list(ids) if ids is not None else read_split_ids(root, split)
    counts = Counter(raw_ids)
    unique_ids = list(dict.fromkeys(raw_ids))
    sk: Optional[Skeleton] = get_skeleton(skeleton) if skeleton is not None else None
    declared = declared_min_frames(root)
    report = LoadReport(root=str(root), split=str(split), n_ids=len(unique_ids), limit=limit,
                        duplicate_ids=sorted(i for i, c in counts.items() if c > 1))
    todo = unique_ids if limit is None else unique_ids[:limit]
    report.n_checked = len(todo)
    motion_ids = list_ids(root, MOTION_DIR, ".npy")
    text_ids = list_ids(root, TEXT_DIR, ".txt")

    iterator: Iterable[str] = todo
    if progress:
        iterator = tqdm(todo, desc=f"loading {split}", unit="clip", leave=False)

    samples: list[Sample] = []
    unit_counts: Counter = Counter()
    for sid in iterator:
        has_motion = sid in motion_ids
        has_text = sid in text_ids
        if not has_motion:
            report.missing_motion.append(sid)
        if not has_text:
            report.missing_text.append(sid)
        if not (has_motion and has_text):
            continue
        try:
            motion, u = load_motion(root / MOTION_DIR / f"{sid}.npy", sk, units)
        except M2TError as exc:
            report.unreadable[sid] = str(exc)
            continue
        if sk is None:
            sk = skeleton_for_joints(motion.shape[1])
        min_frames = sk.min_frames if declared is None else declared
        unit_counts[u] += 1
        T = motion.shape[0]
        if T < min_frames:
            report.too_short.append(sid)
            continue
        if T >= sk.max_frames:
            report.too_long.append(sid)
            continue
        try:
            parsed = parse_text_file(root / TEXT_DIR / f"{sid}.txt")
        except OSError as exc:
            report.unreadable[sid] = f"unreadable text file ({exc.__class__.__name__})"
            continue
        report.n_lines += len(parsed.lines) + len(parsed.errors)
        for err in parsed.errors:
            report.malformed_lines.append((sid, err.line_no, err.reason))
        if not parsed.lines:
            report.no_captions.append(sid)
            continue
        groups: dict[tuple[float, float], list[Caption]] = {}
        for line in parsed.lines:
            groups.setdefault((line.start, line.end), []).append(caption_from_line(line))
        for (start, end), caps in groups.items():
            if start == 0.0 and end == 0.0:
                samples.append(Sample(sid, sid, motion, caps, 0.0, 0.0))
                continue
            cid = subclip_id(sid, start, end)
            sub = motion[int(start * sk.fps):int(end * sk.fps)]
            if len(sub) < min_frames:
                report.too_short.append(cid)
                continue
            if len(sub) >= sk.max_frames:
                report.too_long.append(cid)
                continue
            samples.append(Sample(cid, sid, np.ascontiguousarray(sub), caps, start, end))
            report.n_subclip_samples += 1
    report.skeleton = sk.name if sk else None
    report.units = dict(unit_counts)
    report.n_samples = len(samples)
    report.n_captions = sum(len(s.captions) for s in samples)
    return MotionDataset(samples, report, sk, root, str(split))
