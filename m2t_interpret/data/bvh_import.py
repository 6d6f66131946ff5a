"""One way in for BVH motion: one recording → a clip (``.npy``), or a folder of recordings plus a
caption table → a dataset in the HumanML3D layout that every command reads.

* :func:`import_clip` imports one file (:func:`~.retarget.import_bvh`) and writes nothing;
  :func:`write_clip` writes the joints as a ``.npy`` file through the output rules
  (:mod:`m2t_interpret.outputs`: a file the tool did not write is never replaced, the new one
  appears whole or not at all); :func:`clip_output` runs that check alone, before any work.
* :func:`import_dataset` reads a caption table (:func:`read_caption_table`, format below), imports
  every file it names from a folder (searched recursively), cuts each into the windows the captioner
  accepts and writes ``new_joints/``, ``texts/``, the split files and ``import.json`` as one folder
  (:func:`m2t_interpret.outputs.write_recorded_dir`, owner ``import``).

The caption table is CSV (``.csv``) or TSV (``.tsv``/``.tab``; any other name: tab-separated when
its header holds a tab), UTF-8, with a header row naming its columns:

* ``file`` (needed): the BVH file — its path relative to the folder (``.bvh`` may be left off), or
  its name without ``.bvh`` when no other file in the folder has that name;
* ``caption`` (needed): one caption; several rows per file (or per cut) give several captions;
* ``start``, ``end`` (optional): seconds from the file's first frame where the captioned motion
  starts and ends (an empty cell: the first / the last frame);
* ``split`` (optional): ``train``, ``val`` or ``test``; without the column whole files are split
  80/10/10 by a seeded shuffle (:func:`assign_splits`).

Rows with the same file, start and end describe one cut of the recording; each cut is imported
once and cut into windows (:func:`~.retarget.split_windows`), and every window gets all its
captions. A file's pieces (its cuts in time order, each cut's windows in order) are the clips
``<stem>_0``, ``<stem>_1``, …; a file that gives one piece is the clip ``<stem>``. ``<stem>`` is the
file's name without ``.bvh``, characters other than letters, digits, ``_``, ``-`` and ``.`` replaced
by ``_``. BVH files in the folder that the table does not name are not imported (the summary lists
them).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Union

import numpy as np

from ..errors import M2TError
from ..io import read_input_bytes
from ..outputs import OutputFolder, file_output, write_recorded_dir
from ..skeletons import Skeleton, get_skeleton
from .bvh import BvhMotion, read_bvh
from .dataset import MOTION_DIR, TEXT_DIR
from .retarget import ImportedMotion, ImportReport, import_bvh, split_windows, window_starts
from .rigs import RigMap
from .texts import format_text_line

RigMapArg = Union[None, str, Path, RigMap, Mapping]

#: Owner of the files :func:`write_clip` and :func:`import_dataset` write (the command's name).
OWNER = "import"
#: The dataset's description of where each clip came from.
IMPORT_FILE = "import.json"
IMPORT_FORMAT = "m2t-interpret BVH import"
SPLITS = ("train", "val", "test")
COLUMNS = ("file", "caption", "start", "end", "split")
#: Share of the files that go to val and to test when the table has no split column.
HELD_OUT_SHARE = 0.1


# ------------------------------------------------------------------------------------------------
# one clip
# ------------------------------------------------------------------------------------------------


def import_clip(path: Union[str, os.PathLike], skeleton: Union[str, Skeleton] = "humanml3d",
                rig_map: RigMapArg = None, start: Optional[float] = None, end: Optional[float] = None, *,
                units: str = "auto", up: str = "auto", proportions: str = "source"
                ) -> tuple[np.ndarray, ImportReport]:
    """One BVH file → ``(joints (T, J, 3) float32 metres at the skeleton's rate, report)``; writes
    nothing. The options are :func:`~.retarget.import_bvh`'s; every problem is an M2TError with one
    line naming the file."""
    motion = _named_errors(Path(path).name, lambda: import_bvh(
        path, skeleton, rig_map, start, end, units=units, up=up, proportions=proportions))
    return motion.joints, motion.report


def clip_output(out: Union[str, os.PathLike]) -> OutputFolder:
    """Check, before any work, that ``out`` can take an imported clip: a ``.npy`` name, absent or a
    clip the tool wrote there and nobody changed since, in a writable folder. Returns the
    :class:`~m2t_interpret.outputs.OutputFolder` to write it through."""
    out = Path(out)
    if out.suffix.lower() != ".npy":
        raise M2TError(f"--out {out} should name a .npy file (the clip's joint positions)")
    return file_output(out, OWNER, "imported clip")


#: How each dataset stores its joint positions, per metre: KIT-ML's files hold millimetres.
FILE_UNITS_PER_METRE = {"humanml3d": 1.0, "kit": 1000.0}


def as_stored(joints: np.ndarray, skeleton: Union[str, Skeleton]) -> np.ndarray:
    """Imported joints (metres) in the units the skeleton's dataset stores: millimetres for KIT-ML,
    metres for HumanML3D (the loaders read either and convert)."""
    return np.asarray(joints) * FILE_UNITS_PER_METRE[get_skeleton(skeleton).name]


def write_clip(joints: np.ndarray, out: Union[str, os.PathLike], skeleton: Union[str, Skeleton] = "humanml3d") -> Path:
    """Write an imported clip (T, J, 3), metres, as the ``.npy`` file ``out`` in the units of the
    skeleton's dataset (:func:`as_stored`), atomically; a file the tool did not write there (or one
    changed since) is refused. Returns ``out``."""
    out = Path(out)
    arr = as_stored(joints, skeleton)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.dtype.kind != "f":
        raise M2TError(f"an imported clip is (frames, joints, 3) floating-point positions, not {arr.dtype} "
                       f"{tuple(arr.shape)}")
    folder = clip_output(out)
    with folder.transaction() as stage:
        _save_npy(stage / out.name, arr)
    return out


def _save_npy(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as fh:  # a file object: np.save would append .npy to a bare name
        np.save(fh, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)


def _named_errors(name: str, work: Callable):
    """Run ``work``; an M2TError whose message does not name the file ``name`` (a path relative to
    the folder, or a file name) gets ``name: `` in front, or in place of the bare file name."""
    try:
        return work()
    except M2TError as exc:
        text = str(exc)
        if name in text:
            raise
        base = Path(name).name
        raise M2TError(f"{name}: {text.removeprefix(base + ': ')}") from None


# ------------------------------------------------------------------------------------------------
# the caption table
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptionRow:
    """One row of a caption table; ``line`` is its line in the file (for messages)."""

    line: int
    file: str
    caption: str
    start: Optional[float] = None
    end: Optional[float] = None
    split: Optional[str] = None


def _delimiter(path: Path, header: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return ","
    if suffix in (".tsv", ".tab"):
        return "\t"
    return "\t" if "\t" in header else ","


def _seconds(text: str, what: str, where: str) -> Optional[float]:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise M2TError(f"{where}: {what} {text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise M2TError(f"{where}: {what} {text!r} must be a finite number of seconds ≥ 0")
    return value


def _read_table_text(path: Path) -> str:
    data = read_input_bytes(path, "caption table", "a CSV or TSV file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise M2TError(f"caption table {path} line {line} is not UTF-8 text; save the table as UTF-8") from None


def _header(path: Path, names: list[str]) -> dict[str, int]:
    cols = [n.strip().lower() for n in names]
    unknown = [n for n in cols if n not in COLUMNS]
    if unknown:
        raise M2TError(f"caption table {path}: unknown column {unknown[0]!r}; the columns are file, caption and "
                       "optionally start, end, split (header row first)")
    dup = [n for n, c in Counter(cols).items() if c > 1]
    if dup:
        raise M2TError(f"caption table {path}: the column {dup[0]!r} appears twice in the header")
    missing = [n for n in ("file", "caption") if n not in cols]
    if missing:
        raise M2TError(f"caption table {path} has no {missing[0]!r} column; its header row must name the columns "
                       "file and caption (optionally start, end, split)")
    return {n: i for i, n in enumerate(cols)}


def read_caption_table(path: Union[str, os.PathLike]) -> list[CaptionRow]:
    """Read a caption table (format in the module docstring). M2TError with one line naming the
    table and line: a missing or unknown column, a row with the wrong number of fields, an empty
    file or caption cell, a start/end that is not a number of seconds ≥ 0 or an end not after its
    start, a split other than train/val/test, no rows at all."""
    path = Path(path)
    text = _read_table_text(path)
    if not text.strip():
        raise M2TError(f"caption table {path} is empty; its first line is the header: file,caption")
    first = next(line for line in text.splitlines() if line.strip())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, first), strict=True)
    try:
        cols = _header(path, next(reader))
        rows = []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            rows.append(_row(path, reader.line_num, fields, cols))
    except csv.Error as exc:
        raise M2TError(f"caption table {path} line {reader.line_num}: {exc}") from None
    if not rows:
        raise M2TError(f"caption table {path} has a header but no rows; add one row per caption")
    return rows


def _row(path: Path, line: int, fields: list[str], cols: dict[str, int]) -> CaptionRow:
    where = f"caption table {path} line {line}"
    if len(fields) != len(cols):
        raise M2TError(f"{where} has {len(fields)} fields but the header has {len(cols)}; a caption that holds "
                       "the separator goes in double quotes")
    get = {n: fields[i] for n, i in cols.items()}
    file = get["file"].strip()
    if not file:
        raise M2TError(f"{where}: the file cell is empty")
    caption = " ".join(get["caption"].split())
    if not caption:
        raise M2TError(f"{where}: the caption of {file} is empty")
    start = _seconds(get.get("start", ""), "start", where)
    end = _seconds(get.get("end", ""), "end", where)
    if start is not None and end is not None and end <= start:
        raise M2TError(f"{where}: end {end:g} s is not after start {start:g} s")
    split = None
    if "split" in get:
        split = get["split"].strip().lower()
        if split not in SPLITS:
            raise M2TError(f"{where}: split {get['split'].strip()!r} is not one of {', '.join(SPLITS)}")
    return CaptionRow(line, file, caption, start, end, split)


# ------------------------------------------------------------------------------------------------
# the dataset
# ------------------------------------------------------------------------------------------------


@dataclass
class ClipInfo:
    """One clip of an imported dataset: where it came from and where it went."""

    id: str
    file: str  # relative to the folder
    start_s: float  # seconds from the file's first frame
    end_s: float
    frames: int
    split: str
    captions: list[str]


@dataclass
class DatasetImport:
    """What :func:`import_dataset` wrote."""

    path: Path
    skeleton: str
    fps: float
    clips: list[ClipInfo] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)  # file → its import report (the first cut's)
    not_in_table: list[str] = field(default_factory=list)  # BVH files the table does not name

    @property
    def splits(self) -> dict[str, list[str]]:
        return {s: [c.id for c in self.clips if c.split == s] for s in SPLITS}

    @property
    def n_captions(self) -> int:
        return sum(len(c.captions) for c in self.clips)

    def lines(self) -> list[str]:
        """A short human summary."""
        counts = ", ".join(f"{s} {len(ids)}" for s, ids in self.splits.items())
        seconds = sum(c.frames for c in self.clips) / self.fps
        rigs = Counter(f["rig"] for f in self.files.values())
        out = [f"{self.path}: {len(self.clips)} clips ({counts}) from {len(self.files)} BVH files, "
               f"{self.n_captions} captions, {seconds:.1f} s in clips, {self.skeleton} skeleton at {self.fps:g} fps",
               "  rigs: " + ", ".join(f"{r} ({n})" for r, n in sorted(rigs.items()))]
        if self.not_in_table:
            shown = ", ".join(self.not_in_table[:5]) + (", …" if len(self.not_in_table) > 5 else "")
            n = len(self.not_in_table)
            out.append(f"  not in the caption table (not imported): {n} file{'s' if n != 1 else ''} ({shown})")
        empty = [s for s in ("train", "val") if not self.splits[s]]
        if empty:
            out.append(f"  note: the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty; "
                       "training needs clips in both")
        return out


@dataclass
class _Cut:
    start: Optional[float]
    end: Optional[float]
    rows: list[CaptionRow]


def find_bvh_files(folder: Union[str, os.PathLike]) -> list[Path]:
    """The ``.bvh`` files under ``folder`` (any depth, hidden folders skipped), relative, sorted."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise M2TError(f"{folder} is a file; name the folder that holds the BVH files")
    if not folder.is_dir():
        raise M2TError(f"folder not found: {folder}")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [Path(dirpath, f).relative_to(folder) for f in filenames if f.lower().endswith(".bvh")]
    if not found:
        raise M2TError(f"no .bvh files in {folder} (or the folders under it)")
    return sorted(found)


def clip_stem(path: Union[str, os.PathLike]) -> str:
    """The clip id a file gives: its name without ``.bvh``, unusual characters replaced by ``_``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(path).stem).strip("_.")
    return stem or "clip"


def _resolve(value: str, folder: Path, files: list[Path], by_stem: dict[str, list[Path]], where: str) -> Path:
    """The file a table's ``file`` cell names: a path relative to the folder, or a unique stem."""
    rel = Path(value)
    for cand in (rel, Path(value + ".bvh")):
        if cand in set(files):
            return cand
    name = rel.stem if rel.suffix.lower() == ".bvh" else rel.name
    if rel.parent == Path("."):
        matches = by_stem.get(name, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise M2TError(f"{where}: {value!r} matches {len(matches)} files ({', '.join(map(str, matches[:3]))}); "
                           "give its path relative to the folder")
    raise M2TError(f"{where}: no BVH file {value!r} in {folder} (name it by its path relative to the folder, "
                   "or by its name without .bvh)")


def _group(table: Path, rows: Sequence[CaptionRow], folder: Path, files: list[Path]) -> dict[Path, list[_Cut]]:
    """Rows → file → its cuts (by start, end), files in table order, cuts in time order."""
    by_stem: dict[str, list[Path]] = {}
    for f in files:
        by_stem.setdefault(f.stem, []).append(f)
    cuts: dict[Path, dict[tuple, _Cut]] = {}
    for row in rows:
        f = _resolve(row.file, folder, files, by_stem, f"caption table {table} line {row.line}")
        cut = cuts.setdefault(f, {}).setdefault((row.start, row.end), _Cut(row.start, row.end, []))
        if cut.rows and cut.rows[0].split != row.split:
            raise M2TError(f"caption table {table} line {row.line}: split {row.split} differs from line "
                           f"{cut.rows[0].line}'s ({cut.rows[0].split}) for the same motion of {f}")
        cut.rows.append(row)
    return {f: sorted(c.values(), key=lambda c: (c.start or 0.0, math.inf if c.end is None else c.end))
            for f, c in cuts.items()}


def assign_splits(files: Sequence[Path], seed: int = 0, table: str = "the caption table") -> dict[Path, str]:
    """Whole files to splits, so windows of one recording never straddle train and test: a seeded
    shuffle of the files (sorted by path), round(10 %) of them (at least one from 3 files on) to
    val, as many to test, the rest to train; two files give one train and one val. One file
    cannot fill both train and val: M2TError."""
    n = len(files)
    if n < 2:
        raise M2TError(f"{table} names one BVH file; a dataset needs clips in train and val: add a split column "
                       "(train, val or test) or caption more files")
    held = max(1, round(HELD_OUT_SHARE * n)) if n >= 3 else 0
    n_val = held if n >= 3 else 1
    order = np.random.default_rng(seed).permutation(n)
    ranked = [sorted(files)[i] for i in order]
    return {f: "val" if k < n_val else "test" if k < n_val + held else "train" for k, f in enumerate(ranked)}


def _pieces(path: Path, rel: Path, cuts: list[_Cut], sk: Skeleton, rig_map: RigMapArg, window: Optional[float],
            hop: Optional[float], units: str, up: str) -> list[tuple[_Cut, ImportedMotion]]:
    """Import every cut of one file and split each into windows: (cut, window) in time order."""
    def work() -> list[tuple[_Cut, ImportedMotion]]:
        motion: BvhMotion = read_bvh(path)
        out = []
        for cut in cuts:
            try:
                imported = import_bvh(motion, sk, rig_map, cut.start, cut.end, units=units, up=up)
                n = imported.n_frames
                if n < sk.min_frames:
                    span = "" if cut.start is None and cut.end is None else " from " + _span(cut, motion.duration)
                    raise M2TError(f"the motion{span} gives {n} frames ({n / sk.fps:.2f} s at {sk.fps:g} fps); a "
                                   f"{sk.name} dataset clip needs at least {sk.min_frames} ({sk.min_frames / sk.fps:g} "
                                   "s): caption a longer stretch or leave the file out")
                out += [(cut, w) for w in split_windows(imported, window, hop)]
            except M2TError as exc:
                raise M2TError(f"{exc} (caption table line {cut.rows[0].line})") from None
        return out

    return _named_errors(str(rel), work)


def _check_options(sk: Skeleton, window: Optional[float], hop: Optional[float], seed: int) -> None:
    """Bad options are errors before any file is read (not attributed to the first file)."""
    frames = [None if s is None else int(round(s * sk.fps)) for s in (window, hop)]
    window_starts(sk.max_frames - 1, sk, *frames)  # checks the window and the hop; the length is any valid one
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise M2TError(f"seed must be a whole number ≥ 0, not {seed!r}")


def _span(cut: _Cut, duration: float) -> str:
    return f"{cut.start or 0.0:g}–{duration if cut.end is None else cut.end:.4g} s"


def import_dataset(folder: Union[str, os.PathLike], captions: Union[str, os.PathLike], out: Union[str, os.PathLike],
                   skeleton: Union[str, Skeleton] = "humanml3d", rig_map: RigMapArg = None,
                   window: Optional[float] = None, hop: Optional[float] = None, seed: int = 0,
                   units: str = "auto", up: str = "auto",
                   log: Optional[Callable[[str], None]] = None) -> DatasetImport:
    """A folder of BVH files plus a caption table → a dataset in the HumanML3D layout at ``out``.

    ``rig_map`` (as in :func:`~.retarget.import_bvh`) applies to every file (None: each file's rig
    is recognised from its names); ``window``/``hop``: seconds (default: the longest window the
    captioner accepts, back to back); ``seed``: the split of files when the table has no split
    column; ``units``/``up``: as in :func:`~.retarget.import_bvh`, for every file; ``log`` is told one
    line per file imported. ``out`` is written whole (``new_joints/<id>.npy``, ``texts/<id>.txt``
    with lines ``caption##0.0#0.0`` — the loader tokenises the caption —, ``train.txt``,
    ``val.txt``, ``test.txt``, ``all.txt``, ``import.json``), replacing only an earlier import or an
    empty folder. Bad input is an M2TError with one line naming the table line or the file."""
    folder, table, out = Path(folder), Path(captions), Path(out)
    sk = get_skeleton(skeleton)
    _check_options(sk, window, hop, seed)
    files = find_bvh_files(folder)
    rows = read_caption_table(table)
    grouped = _group(table, rows, folder, files)
    has_split = rows[0].split is not None
    splits = None if has_split else assign_splits(list(grouped), seed, f"caption table {table}")
    summary = DatasetImport(out, sk.name, sk.fps, not_in_table=[str(f) for f in files if f not in grouped])

    def fill(tmp: Path) -> None:
        (tmp / MOTION_DIR).mkdir()
        (tmp / TEXT_DIR).mkdir()
        owner: dict[str, str] = {}  # clip id → the file it came from (to catch two files giving one id)
        for rel, cuts in grouped.items():
            pieces = _pieces(folder / rel, rel, cuts, sk, rig_map, window, hop, units, up)
            stem = clip_stem(rel)
            for k, (cut, motion) in enumerate(pieces):
                cid = stem if len(pieces) == 1 else f"{stem}_{k}"
                if cid in owner:
                    raise M2TError(f"{rel} and {owner[cid]} both give the clip id {cid}; rename one of the files")
                owner[cid] = str(rel)
                _write_piece(tmp, cid, motion, [r.caption for r in cut.rows])
                r = motion.report
                summary.clips.append(ClipInfo(cid, str(rel), r.start_s, r.end_s, motion.n_frames,
                                              cut.rows[0].split if has_split else splits[rel],
                                              [row.caption for row in cut.rows]))
            first = pieces[0][1].report
            summary.files[str(rel)] = {"rig": first.rig, "rig_description": first.rig_description,
                                       "units": first.units, "up": first.up, "fps": first.fps_in,
                                       "frames": first.frames_in, "pieces": len(pieces)}
            if log is not None:
                log(f"{rel}: {first.rig_description}, {first.units}, {first.fps_in:.4g} fps, "
                    f"{first.frames_in} frames → {len(pieces)} clip{'s' if len(pieces) != 1 else ''}")
        for s, ids in summary.splits.items():
            (tmp / f"{s}.txt").write_text("".join(i + "\n" for i in ids), encoding="utf-8")
        (tmp / "all.txt").write_text("".join(c.id + "\n" for c in summary.clips), encoding="utf-8")
        (tmp / IMPORT_FILE).write_text(json.dumps(_import_record(summary, folder, table, window, hop, seed,
                                                                 has_split), indent=1) + "\n", encoding="utf-8")

    write_recorded_dir(out, fill, is_ours=lambda p: False, kind="imported dataset", owner=OWNER)
    return summary


def _write_piece(tmp: Path, cid: str, motion: ImportedMotion, captions: list[str]) -> None:
    _save_npy(tmp / MOTION_DIR / f"{cid}.npy", as_stored(motion.joints, motion.skeleton))
    lines = "".join(format_text_line(c) + "\n" for c in captions)
    (tmp / TEXT_DIR / f"{cid}.txt").write_text(lines, encoding="utf-8")


def _import_record(summary: DatasetImport, folder: Path, table: Path, window: Optional[float],
                   hop: Optional[float], seed: int, has_split: bool) -> dict:
    return {
        "format": IMPORT_FORMAT, "skeleton": summary.skeleton, "fps": summary.fps, "units": "metres",
        "source_folder": str(folder), "caption_table": str(table), "window_s": window, "hop_s": hop,
        "splits_from": ("the caption table's split column" if has_split
                        else f"a seeded shuffle of the files (seed {seed})"),
        "files": summary.files,
        "clips": {c.id: {"file": c.file, "start_s": round(c.start_s, 6), "end_s": round(c.end_s, 6),
                         "frames": c.frames, "split": c.split} for c in summary.clips},
    }


__all__ = ["import_clip", "clip_output", "write_clip", "CaptionRow", "read_caption_table", "find_bvh_files",
           "clip_stem", "assign_splits", "ClipInfo", "DatasetImport", "import_dataset"]
