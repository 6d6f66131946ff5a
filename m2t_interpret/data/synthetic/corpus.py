"""Write a synthetic corpus in the HumanML3D layout, with exact per-token ground truth.

Layout of ``out_dir``::

    new_joints/<id>.npy      (T, 22, 3) float32, metres, 20 fps
    texts/<id>.txt           caption#word/POS …#0.0#0.0, one caption per line
    train.txt val.txt test.txt all.txt   ids, one per line
    ground_truth.parquet     one row per (clip_id, caption_idx, token_idx)
    actions.parquet          one row per (clip_id, action_idx)
    corpus.json              seed, counts, generator version, fps, skeleton

Clip ids are 6-digit numbers (``000000`` …) for generated clips and ``M<id>`` for their
left/right mirrors. Counts are *source* clips; with ``mirror=True`` every split also holds the
mirror of each of its clips, so it has twice as many ids. Clip ``i`` is generated from
``numpy.random.default_rng([seed, i])``: it does not depend on how many clips are generated;
the split of each clip comes from a seeded permutation of all indices.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from ...errors import M2TError
from ...io import CACHE_MANIFEST, atomic_path, write_bytes, write_dir, write_text
from ...outputs import write_recorded_dir
from ..segments import DATASET_FILE, write_segments
from .clip import ACTIVE_COLUMNS, MIN_FRAMES, PART_NAMES, SyntheticClip, generate_clip
from .kinematics import FPS
from .language import GERUND, SUBJECTS, TEMPLATES
from .actions import ACTIONS

GENERATOR_VERSION = "2.1"
DEFAULT_SEED = 0
CORPUS_FORMAT = "m2t-interpret-synthetic"
SPLITS = ("train", "val", "test")

GT_COLUMNS = ("clip_id", "caption_idx", "token_idx", "word", "pos", "is_motion", "action_idx",
              "action", "start_frame", "end_frame", "start_s", "end_s") + ACTIVE_COLUMNS
ACTION_COLUMNS = ("clip_id", "action_idx", "action", "start_frame", "end_frame", "start_s",
                  "end_s") + ACTIVE_COLUMNS + ("params",)

PART_SPEED_DEFINITION = (
    "per-frame displacement x fps of joint - pelvis for torso/arm/leg joints and of the "
    "absolute pelvis for the root; part speed = mean over the part's joints; the torso uses "
    "joints 3,6,9,12,15 (the pelvis counts for the root only)"
)


def cache_name(kind: str, seed: int) -> str:
    """The cache folder of a generated corpus: named by the generator version too, so that a newer
    generator never reads a corpus an older one left in the cache."""
    return f"{kind}-seed{seed}-v{GENERATOR_VERSION}"


def clip_id(index: int) -> str:
    return f"{index:06d}"


def action_catalogue() -> list[dict]:
    """The action primitives: name, active parts, caption templates, what moves."""
    out = []
    for name, spec in ACTIONS.items():
        keys = [k for k in TEMPLATES if k == name or (k[:-1] == name and k[-1].isdigit())]
        templates = [t for k in keys for t in TEMPLATES[k]]
        out.append({
            "name": name,
            "active": tuple(int(a) for a in spec.active),
            "active_parts": [p for p, a in zip(PART_NAMES, spec.active) if a],
            "templates": list(dict.fromkeys(templates)),
            "verbs": sorted({t.split()[0] for t in templates}),
            "description": spec.description,
            "final_only": spec.final_only,
        })
    return out


def vocabulary() -> list[str]:
    """Every word a synthetic caption can contain."""
    words = set(" ".join(SUBJECTS).split())
    for ts in TEMPLATES.values():
        for t in ts:
            words.update(t.split())
    words.update(GERUND.values())
    words.update(("then", "and", "after", "that", "before"))
    return sorted(words)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


SPLIT_FILES = ("train.txt", "val.txt", "test.txt", "all.txt")
CORPUS_FILES = SPLIT_FILES + ("ground_truth.parquet", "actions.parquet", "corpus.json", "segments.csv")


def is_corpus_dir(path: str | os.PathLike) -> bool:
    """True when ``path`` holds a synthetic corpus written by :func:`generate_corpus`."""
    try:
        return json.loads((Path(path) / "corpus.json").read_text()).get("format") == CORPUS_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _corpus_owns(rel: str) -> bool:
    """Whether the relative path is one :func:`generate_corpus` writes (so replacing it loses nothing)."""
    parts = Path(rel).parts
    if len(parts) == 1:  # the cache's manifest too: a cached corpus is replaced whole
        return parts[0] in CORPUS_FILES or parts[0] in ("new_joints", "texts", CACHE_MANIFEST)
    return (len(parts) == 2 and (parts[0], Path(parts[1]).suffix) in (("new_joints", ".npy"), ("texts", ".txt")))


def _check_count(name: str, value: int, minimum: int) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise M2TError(f"{name} must be an integer, got {value!r}") from None
    if v != value or v < minimum:
        raise M2TError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return v


def _split_of(n_train: int, n_val: int, n_test: int, seed: int) -> list[str]:
    n = n_train + n_val + n_test
    labels = np.array(["train"] * n_train + ["val"] * n_val + ["test"] * n_test)
    perm = np.random.default_rng([seed, 2**31 - 1]).permutation(n)
    return list(labels[perm])


def _clip_rows(cid: str, clip: SyntheticClip, gt: dict[str, list], acts: dict[str, list]) -> None:
    for ci, cap in enumerate(clip.captions):
        for ti, tok in enumerate(cap.tokens):
            gt["clip_id"].append(cid)
            gt["caption_idx"].append(ci)
            gt["token_idx"].append(ti)
            gt["word"].append(tok.word)
            gt["pos"].append(tok.pos)
            gt["is_motion"].append(tok.is_motion)
            fields = (_action_fields(tok.action_idx, clip.actions[tok.action_idx]) if tok.is_motion
                      else _NO_ACTION)
            for col, value in fields.items():
                gt[col].append(value)
    for ai, a in enumerate(clip.actions):
        acts["clip_id"].append(cid)
        for col, value in _action_fields(ai, a).items():
            acts[col].append(value)
        acts["params"].append(json.dumps(a.params, sort_keys=True))


_NO_ACTION = {"action_idx": -1, "action": "", "start_frame": -1, "end_frame": -1,
              "start_s": math.nan, "end_s": math.nan, **{col: False for col in ACTIVE_COLUMNS}}


def _action_fields(action_idx: int, a) -> dict:
    """The columns describing one action (its segment and active parts) in the Parquet tables."""
    return {"action_idx": action_idx, "action": a.action, "start_frame": a.start_frame,
            "end_frame": a.end_frame, "start_s": a.start_s, "end_s": a.end_s,
            **{col: bool(flag) for col, flag in zip(ACTIVE_COLUMNS, a.active)}}


_TYPES = {"clip_id": pa.string(), "caption_idx": pa.int32(), "token_idx": pa.int32(),
          "word": pa.string(), "pos": pa.string(), "is_motion": pa.bool_(),
          "action_idx": pa.int32(), "action": pa.string(), "start_frame": pa.int32(),
          "end_frame": pa.int32(), "start_s": pa.float64(), "end_s": pa.float64(),
          "params": pa.string(), **{c: pa.bool_() for c in ACTIVE_COLUMNS}}


def _write_parquet(path: Path, columns: tuple[str, ...], data: dict[str, list]) -> None:
    table = pa.table({c: pa.array(data[c], type=_TYPES[c]) for c in columns})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", use_dictionary=True)


def generate_corpus(out_dir: str | os.PathLike, n_train: int = 4000, n_val: int = 300,
                    n_test: int = 500, seed: int = DEFAULT_SEED, mirror: bool = True,
                    progress: bool = True, owner: str | None = None) -> Path:
    """Generate the corpus into ``out_dir`` and return its path.

    Counts are source clips; with ``mirror`` each clip's mirror ``M<id>`` is added to the same
    split. ``out_dir`` must be new, empty or an earlier synthetic corpus holding only the files
    the generator writes (it is replaced); anything else is refused before any clip is made. The
    corpus is written into a temporary sibling folder and renamed into place when complete, so an
    interrupted run leaves nothing behind. Bad input raises :class:`~m2t_interpret.errors.M2TError`.
    ``owner`` (a command name, e.g. ``"synth"``) keeps a ledger of the files in the folder, so that a
    corpus a user changed since is not replaced (:func:`m2t_interpret.outputs.write_recorded_dir`).
    """
    n_train = _check_count("n_train", n_train, 0)
    n_val = _check_count("n_val", n_val, 0)
    n_test = _check_count("n_test", n_test, 0)
    seed = _check_count("seed", seed, 0)
    n = n_train + n_val + n_test
    if n < 1:
        raise M2TError("the corpus needs at least one clip (n_train + n_val + n_test >= 1)")

    def fill(out: Path) -> None:  # a temporary folder that replaces out_dir when complete
        (out / "new_joints").mkdir(parents=True, exist_ok=True)
        (out / "texts").mkdir(parents=True, exist_ok=True)

        splits = _split_of(n_train, n_val, n_test, seed)
        gt: dict[str, list] = {c: [] for c in GT_COLUMNS}
        acts: dict[str, list] = {c: [] for c in ACTION_COLUMNS}
        ids_by_split: dict[str, list[str]] = {s: [] for s in SPLITS}
        mirrors_by_split: dict[str, list[str]] = {s: [] for s in SPLITS}
        frames = 0
        action_counts: dict[str, int] = {}
        iterator = range(n)
        if progress:
            iterator = tqdm(iterator, total=n, desc="synthetic clips", unit="clip")
        mirror_rows: tuple[dict, dict] = ({c: [] for c in GT_COLUMNS}, {c: [] for c in ACTION_COLUMNS})
        for i in iterator:
            cid = clip_id(i)
            clip = generate_clip(np.random.default_rng([seed, i]))
            pairs = [(cid, clip, gt, acts)]
            if mirror:
                pairs.append(("M" + cid, clip.mirrored(), *mirror_rows))
                mirrors_by_split[splits[i]].append("M" + cid)
            ids_by_split[splits[i]].append(cid)
            for name, c, g, a in pairs:
                write_bytes(out / "new_joints" / f"{name}.npy", _npy_bytes(c.joints))
                lines = "".join(cap.line() + "\n" for cap in c.captions)
                write_text(out / "texts" / f"{name}.txt", lines)
                _clip_rows(name, c, g, a)
                frames += c.n_frames
            for a in clip.actions:
                action_counts[a.action] = action_counts.get(a.action, 0) + 1
        if mirror:
            for c in GT_COLUMNS:
                gt[c].extend(mirror_rows[0][c])
            for c in ACTION_COLUMNS:
                acts[c].extend(mirror_rows[1][c])

        all_ids: list[str] = []
        for s in SPLITS:
            ids = ids_by_split[s] + mirrors_by_split[s]
            write_text(out / f"{s}.txt", "".join(x + "\n" for x in ids))
            all_ids += ids
        write_text(out / "all.txt", "".join(x + "\n" for x in sorted(all_ids)))
        _write_parquet(out / "ground_truth.parquet", GT_COLUMNS, gt)
        _write_parquet(out / "actions.parquet", ACTION_COLUMNS, acts)
        meta = {
            "format": CORPUS_FORMAT,
            "generator": "m2t_interpret.data.synthetic",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "skeleton": "humanml3d",
            "n_joints": 22,
            "fps": FPS,
            "min_frames": MIN_FRAMES,
            "units": "metres",
            "mirror": bool(mirror),
            "counts_are": "source clips; mirrors M<id> are added to the same split",
            "counts": {s: {"source": {"train": n_train, "val": n_val, "test": n_test}[s],
                           "ids": len(ids_by_split[s]) + len(mirrors_by_split[s])} for s in SPLITS},
            "n_ids": len(all_ids),
            "n_frames": frames,
            "source_action_counts": dict(sorted(action_counts.items())),
            "part_columns": list(PART_NAMES),
            "part_speed": PART_SPEED_DEFINITION,
        }
        write_text(out / "corpus.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
        write_training_segments(out)

    if owner is not None:
        return write_recorded_dir(Path(out_dir), fill, is_ours=is_corpus_dir, kind="synthetic corpus", owner=owner,
                                  owned=_corpus_owns)
    return write_dir(Path(out_dir), fill, is_ours=is_corpus_dir, kind="synthetic corpus", owned=_corpus_owns)


def training_segment_rows(corpus_dir: str | os.PathLike) -> list[dict]:
    """Segment-table rows (:mod:`m2t_interpret.data.segments`) for the corpus's *training* split:
    per clip, caption and action, the caption's words from the action's first to its last motion
    word, with the action's start and end in seconds. Validation and test clips get none — their
    ground truth is for measuring."""
    gt = load_ground_truth(corpus_dir)
    train = set(load_split(corpus_dir, "train"))
    gt = gt[gt["clip_id"].isin(train)].sort_values(["clip_id", "caption_idx", "token_idx"], kind="stable")
    rows = []
    for (cid, ci), cap in gt.groupby(["clip_id", "caption_idx"], sort=False):
        words = cap["word"].tolist()
        text = " ".join(words)
        motion = cap[cap["action_idx"] >= 0]
        for ai, act in motion.groupby("action_idx", sort=True):
            first, last = int(act["token_idx"].min()), int(act["token_idx"].max())
            rows.append({"clip_id": cid, "start_s": float(act["start_s"].iloc[0]), "end_s": float(act["end_s"].iloc[0]),
                         "text": " ".join(words[first:last + 1]), "caption": text})
    return rows


def write_training_segments(corpus_dir: str | os.PathLike) -> Path:
    """Write ``segments.csv`` (the training split's segment table) into a corpus folder."""
    return write_segments(training_segment_rows(corpus_dir), Path(corpus_dir) / DATASET_FILE)


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def _corpus_file(corpus_dir: str | os.PathLike, name: str) -> Path:
    path = Path(corpus_dir) / name
    if not path.is_file():
        raise M2TError(f"{path} not found; is {corpus_dir} a synthetic corpus "
                       "(m2t-interpret synth --out DIR)?")
    return path


def check_corpus(corpus_dir: str | os.PathLike) -> Path:
    """M2TError naming the first problem unless ``corpus_dir`` is a whole synthetic corpus: its
    ``corpus.json``, split lists and Parquet tables readable, and every listed clip's motion (a
    complete ``.npy`` file) and text present. Reads headers, not data: for a corpus written
    without checksums (the cache checks the others by theirs)."""
    root = Path(corpus_dir)
    if not is_corpus_dir(root):
        raise M2TError(f"{root / 'corpus.json'} is missing or not a synthetic corpus's")
    for name in ("ground_truth.parquet", "actions.parquet"):
        try:
            pq.read_metadata(_corpus_file(root, name))
        except (OSError, pa.ArrowException) as exc:
            raise M2TError(f"{root / name} is not a readable Parquet table ({exc})") from None
    for split in SPLITS:
        load_split(root, split)  # each split's list is there
    for cid in load_split(root, "all"):
        motion = root / "new_joints" / f"{cid}.npy"
        try:
            np.load(motion, mmap_mode="r", allow_pickle=False)  # checks the header against the file size
        except (OSError, ValueError) as exc:
            raise M2TError(f"{motion} is incomplete or unreadable ({exc})") from None
        if not (root / "texts" / f"{cid}.txt").is_file():
            raise M2TError(f"{root / 'texts' / (cid + '.txt')} is missing")
    return root


def load_ground_truth(corpus_dir: str | os.PathLike) -> pd.DataFrame:
    """Per-token ground truth: one row per (clip_id, caption_idx, token_idx)."""
    return pd.read_parquet(_corpus_file(corpus_dir, "ground_truth.parquet"))


def load_actions(corpus_dir: str | os.PathLike) -> pd.DataFrame:
    """Per-action table: one row per (clip_id, action_idx); ``params`` is a JSON string."""
    return pd.read_parquet(_corpus_file(corpus_dir, "actions.parquet"))


def load_corpus_info(corpus_dir: str | os.PathLike) -> dict:
    """The ``corpus.json`` metadata."""
    return json.loads(_corpus_file(corpus_dir, "corpus.json").read_text(encoding="utf-8"))


def load_split(corpus_dir: str | os.PathLike, split: str) -> list[str]:
    """Clip ids of ``train``/``val``/``test``/``all``."""
    text = _corpus_file(corpus_dir, f"{split}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_joints(corpus_dir: str | os.PathLike, cid: str) -> np.ndarray:
    """(T, 22, 3) float32 joints of clip ``cid``."""
    return np.load(_corpus_file(corpus_dir, f"new_joints/{cid}.npy"))
