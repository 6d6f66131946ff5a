"""Capture a dataset split: chunked decoding with a progress bar, merged into one result, and an
on-disk cache keyed by (model fingerprint, data fingerprint, split, decoding settings, clips).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from typing import TYPE_CHECKING, Union

import numpy as np

from ..data.dataset import load_split, read_split_ids
from ..errors import M2TError
from ..result import CaptureResult

if TYPE_CHECKING:
    from ..model.captioner import Captioner


def capture_cache_dir() -> Path:
    """Where captures are cached: ``$M2T_INTERPRET_CACHE/captures`` (default ``~/.cache/m2t-interpret``)."""
    from ..io import cache_dir

    return cache_dir() / "captures"


@dataclass(frozen=True)
class CaptureRequest:
    """What to capture: a split of a dataset folder, decoded one way.

    ``decode`` is "greedy", "forced" (on the clip's first reference caption), "beamK" (the
    project's batched beam) or "authors-beamK" (the authors' best-first search); ``clips`` keeps
    the first N ids of the split; ``beta`` pins the gate.
    """

    root: str
    split: str = "test"
    decode: str = "greedy"
    clips: int | None = None
    beta: float | None = None
    max_steps: int | None = None
    replace: tuple = field(default=())  # not cacheable when non-empty

    def mode(self) -> tuple[str, int]:
        return parse_decode(self.decode)


def parse_decode(spec: str) -> tuple[str, int]:
    """'greedy' → ("greedy", 1); 'forced' → ("forced", 1); 'beam2' → ("beam", 2);
    'authors-beam2' → ("authors_beam", 2)."""
    import re

    s = str(spec).strip().lower().replace("_", "-")
    if s in ("greedy", "forced"):
        return s, 1
    m = re.fullmatch(r"(authors-)?beam(\d*)", s)
    if m:
        size = int(m.group(2) or 2)
        if size < 1:
            raise M2TError("beam size must be ≥ 1 (e.g. --decode beam2)")
        return ("authors_beam" if m.group(1) else "beam"), size
    raise M2TError(f"unknown --decode {spec!r}; use greedy, forced, beamK or authors-beamK (e.g. beam2)")


def data_fingerprint(root: str | os.PathLike, split: str, ids: Sequence[str]) -> str:
    """A cheap fingerprint of a split: its ids and each motion and text file's size and mtime.

    A synthetic corpus adds its ``corpus.json`` (seed, generator version)."""
    root = Path(root)
    h = hashlib.sha256(f"{split}|{len(ids)}".encode())
    meta = root / "corpus.json"
    if meta.is_file():
        h.update(meta.read_bytes())
    for cid in ids:
        h.update(cid.encode())
        for sub, ext in (("new_joints", ".npy"), ("texts", ".txt")):
            try:
                st = (root / sub / f"{cid}{ext}").stat()
                h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
            except OSError:
                h.update(b"-")
    return h.hexdigest()[:16]


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="clip", disable=not enabled, leave=False)


def capture_split(
    model: "Captioner",
    root: str | os.PathLike,
    split: str = "test",
    decode: str = "greedy",
    clips: int | None = None,
    beta: float | None = None,
    max_steps: int | None = None,
    batch_size: int = 128,
    progress: bool = True,
    keep_logits: bool = False,
    replace: dict | None = None,
    record: Sequence[str] | None = None,
    shard: tuple[int, int] | str | None = None,
) -> CaptureResult:
    """Decode every clip of ``split`` (or its first ``clips``) in length-sorted chunks and merge
    them into one :class:`CaptureResult`, in split order, with the references of each clip.

    ``decode="forced"`` feeds each clip's first reference caption. ``shard=(i, n)`` (or "i/n",
    1 ≤ i ≤ n) decodes only the chunks k with k mod n = i − 1: the chunks are made over the whole
    split first, so each is decoded exactly as in an unsharded run, and :func:`merge_shards` of
    the n shards equals the unsharded capture bit for bit.
    """
    mode, beam_size = parse_decode(decode)
    shard = parse_shard(shard)
    if clips is not None and clips < 1:
        raise M2TError(f"--clips must be ≥ 1, got {clips}")
    data = load_split(root, split, skeleton=model.skeleton, progress=False, limit=clips)
    if len(data) == 0:
        raise M2TError(f"no usable clips in split {split!r} of {root}: {data.report.summary()}")
    fp = data_fingerprint(root, split, data.ids)
    motions = [s.motion for s in data]
    refs = [[c.text for c in s.captions] for s in data]
    order = sorted(range(len(motions)), key=lambda i: motions[i].shape[0])
    chunks = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    if shard is not None:
        chunks = chunks[shard[0] - 1:: shard[1]]
        if not chunks:
            raise M2TError(f"shard {shard[0]}/{shard[1]} is empty: the split has only {len(order)} clips "
                           f"({len(order[::batch_size])} chunks of {batch_size}); use fewer shards")
    selected = [i for idx in chunks for i in idx]
    steps = int(max_steps or (100 if mode == "authors_beam" else model.config.max_steps))
    all_captions = None
    if mode == "forced":
        all_captions = model.encode_captions([refs[i][0] if refs[i] else "" for i in range(len(motions))])
        steps = all_captions.shape[1] - 1
    d = model.config.downsample
    frames = max(len(range(d - 1, motions[i].shape[0], d)) for i in selected)
    row_of = {i: r for r, i in enumerate(sorted(selected))}  # split order
    out = _Assembler(len(selected), steps, frames)
    bar = _progress(len(selected), f"capturing {split} ({decode})", progress)
    try:
        for idx in chunks:
            x, lengths = model.preprocess([motions[i] for i in idx])
            captions = None
            if mode == "forced":
                captions = all_captions[idx]
                captions = captions[:, : int((captions != 0).sum(1).max())]
            part = model.decode(
                x, lengths, mode=mode, captions=captions, max_steps=max_steps, beam_size=beam_size, beta=beta,
                clip_ids=[data.ids[i] for i in idx], keep_logits=keep_logits, replace=replace, record=record,
                data_fingerprint=fp, references=[refs[i] for i in idx])
            out.add(part, [row_of[i] for i in idx])
            bar.update(len(idx))
    finally:
        bar.close()
    result = out.result([data.ids[i] for i in sorted(selected)])
    split_position = {cid: i for i, cid in enumerate(data.ids)}
    result.meta["split_positions"] = [split_position[c] for c in result.clip_ids]
    result.meta["shard"] = None if shard is None else f"{shard[0]}/{shard[1]}"
    if result.vocab:  # analyses group words by stem; keeping them spares a later nltk import
        from ..data.supervision import stem

        result.meta["vocab_stems"] = [stem(w) for w in result.vocab]
    result.meta.update({"data_fingerprint": fp, "data": str(root), "split": split,
                        "decoding": {**result.meta.get("decoding", {}), "spec": decode,
                                     "forced_on": "first reference caption" if mode == "forced" else None}})
    return result


class _Assembler:
    """Writes each decoded chunk straight into preallocated arrays in split order, so the peak
    memory of a split capture is the result plus one chunk (no concatenation copies). The result
    equals ``CaptureResult.concat`` of the chunks put in split order, bit for bit."""

    def __init__(self, n: int, steps: int, frames: int):
        self.n, self.steps, self.frames = n, steps, frames
        self.arrays: dict[str, np.ndarray] | None = None
        self.extra: dict[str, np.ndarray] = {}
        self.lengths = np.zeros(n, dtype=np.int64)
        self.scores: np.ndarray | None = None
        self.n_best: list | None = None
        self.references: list = [None] * n
        self.used_steps = 0
        self.template: CaptureResult | None = None

    def _alloc(self, name: str, a: np.ndarray) -> np.ndarray:
        from ..result import FRAME_ARRAYS, pad_value

        shape = (self.n, self.steps, *(([self.frames] + list(a.shape[3:])) if name in FRAME_ARRAYS else a.shape[2:]))
        fill = pad_value(name, a)
        if fill is False or (not isinstance(fill, float) and fill == 0):
            return np.zeros(shape, a.dtype)  # calloc: pages never written (padding) cost no memory
        return np.full(shape, fill, a.dtype)

    def add(self, part: CaptureResult, rows: list[int]) -> None:
        from ..result import FRAME_ARRAYS, STEP_ARRAYS

        if self.template is None:
            self.template = part
            self.arrays = {k: self._alloc(k, getattr(part, k)) for k in STEP_ARRAYS if getattr(part, k) is not None}
            self.extra = {k: self._alloc(k, v) for k, v in part.extra.items()}
            if part.scores is not None:
                self.scores = np.zeros(self.n, dtype=part.scores.dtype)
            if part.n_best is not None:
                self.n_best = [None] * self.n
        elif part.model_fingerprint != self.template.model_fingerprint:
            raise M2TError("cannot merge captures of different models (model fingerprints differ)")
        s = part.tokens.shape[1]
        if s > self.steps:
            raise M2TError(f"a chunk decoded {s} steps, more than the {self.steps} allocated")
        self.used_steps = max(self.used_steps, s)
        for store, source in ((self.arrays, lambda k: getattr(part, k)), (self.extra, part.extra.get)):
            for k, target in store.items():
                a = source(k)
                if k in FRAME_ARRAYS:
                    target[rows, :s, : a.shape[2]] = a
                else:
                    target[rows, :s] = a
        self.lengths[rows] = part.lengths
        if self.scores is not None:
            self.scores[rows] = part.scores
        for r, i in zip(rows, range(len(rows))):
            if self.n_best is not None:
                self.n_best[r] = part.n_best[i]
            self.references[r] = None if part.references is None else part.references[i]

    def result(self, clip_ids: list[str]) -> CaptureResult:
        from dataclasses import replace as dc_replace

        s = self.used_steps
        return dc_replace(
            self.template, clip_ids=list(clip_ids), lengths=self.lengths,
            extra={k: v[:, :s] for k, v in self.extra.items()}, scores=self.scores, n_best=self.n_best,
            references=self.references if self.template.references is not None else None,
            meta=dict(self.template.meta), **{k: v[:, :s] for k, v in self.arrays.items()},
        )


def parse_shard(shard: tuple[int, int] | str | None) -> tuple[int, int] | None:
    """"i/n" or (i, n) with 1 ≤ i ≤ n → (i, n); None stays None."""
    if shard is None:
        return None
    try:
        i, n = (int(v) for v in (shard.split("/") if isinstance(shard, str) else shard))
    except (ValueError, TypeError):
        raise M2TError(f"--shard must look like i/n (e.g. 1/4), got {shard!r}") from None
    if not 1 <= i <= n:
        raise M2TError(f"--shard i/n needs 1 ≤ i ≤ n, got {i}/{n}")
    return i, n


def merge_shards(results: Sequence[CaptureResult]) -> CaptureResult:
    """The shards of one split (see :func:`capture_split`) merged back into split order: equal,
    bit for bit, to the unsharded capture."""
    results = list(results)
    if any("split_positions" not in r.meta for r in results):
        raise M2TError("only captures of a split (capture_split / m2t-interpret capture) can be merged as shards")
    shards = [r.meta.get("shard") for r in results]
    if None not in shards:
        total = {s.split("/")[1] for s in shards}
        if len(total) > 1:
            raise M2TError(f"these captures come from different shardings: {', '.join(shards)}")
        missing = sorted(set(range(1, int(total.pop()) + 1)) - {int(s.split("/")[0]) for s in shards})
        if missing:
            raise M2TError(f"shard(s) {', '.join(map(str, missing))} missing from the merge")
    merged = CaptureResult.concat(results)
    positions = [p for r in results for p in r.meta["split_positions"]]
    result = merged.select(list(np.argsort(positions, kind="stable")))
    result.meta["split_positions"] = sorted(positions)
    result.meta["shard"] = None
    return result


def model_file_key(source, vocab=None, stats=None) -> str | None:
    """A cache key for a model given as a shipped name or a file (plus vocabulary and statistics
    files), from the files' bytes — no need to load the model (or import torch) to look a capture
    up. None when ``source`` is neither."""
    from pathlib import Path

    pretrained = Path(__file__).resolve().parent.parent / "pretrained"
    name = "synthetic-guided" if source is None else str(source)
    path = Path(name)
    if not path.is_file():
        path = pretrained / f"{name}.pt"
        if not path.is_file():
            return None
    h = hashlib.sha256(path.read_bytes())
    for extra in (vocab, stats):
        if extra is None:
            h.update(b"-")
        elif isinstance(extra, (str, os.PathLike)) and Path(extra).is_file():
            h.update(Path(extra).read_bytes())
        else:
            h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return "file:" + h.hexdigest()[:16]


def cached_capture(
    model: Union["Captioner", Callable[[], "Captioner"]],
    request: CaptureRequest,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    model_key: str | None = None,
) -> tuple[CaptureResult, bool]:
    """:func:`capture_split` through an on-disk cache. Returns ``(result, from_cache)``.

    The key is (model, data fingerprint, split, decoding settings, clips), the model by
    ``model_key`` (e.g. :func:`model_file_key`) or else its weights' fingerprint. ``model`` may
    be a function that loads it: it is called only on a cache miss. A request with ``replace``
    hooks is never cached.
    """
    if model_key is None:
        model = model() if callable(model) and not hasattr(model, "fingerprint") else model
        model_key = model.fingerprint()
    ids = read_split_ids(request.root, request.split)
    if request.clips is not None:
        ids = ids[: request.clips]
    key_fields = {"model": model_key, "data": data_fingerprint(request.root, request.split, ids),
                  **{k: v for k, v in asdict(request).items() if k not in ("root", "replace")}}
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()[:20]
    cache = Path(cache_dir) if cache_dir is not None else capture_cache_dir()
    path = cache / key
    if not request.replace and (path / "meta.json").is_file():
        try:
            return CaptureResult.load(path), True
        except M2TError:
            pass  # a stale or damaged entry is recomputed below
    if callable(model) and not hasattr(model, "fingerprint"):
        model = model()
    result = capture_split(model, request.root, request.split, request.decode, request.clips, request.beta,
                           request.max_steps, progress=progress, replace=dict(request.replace) or None)
    if not request.replace:
        try:
            result.save(path, overwrite=True)
            if log is not None:
                log(f"capture kept for reuse in {path}")
        except (OSError, M2TError) as exc:  # a read-only cache must not stop the analysis
            if log is not None:
                log(f"warning: could not cache the capture in {path}: {exc}")
    return result, False


__all__ = ["CaptureRequest", "parse_decode", "parse_shard", "merge_shards", "data_fingerprint", "capture_split", "cached_capture",
           "capture_cache_dir", "model_file_key"]
