"""Capture a dataset split: chunked decoding with a progress bar, merged into one result, and an
on-disk cache keyed by (model fingerprint, data fingerprint, split, decoding settings, clips).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence, Union

import numpy as np

from ..cache import cached_entry, load_complete_shards, remove_shards, shard_entry
from ..data.dataset import load_split, read_split_ids
from ..data.stemming import stem
from ..errors import CacheWarning, M2TError, SkippedClipsWarning, WriteError
from ..io import cache_dir, write_dir
from ..result import CaptureResult, check_mergeable, check_value_ranges, is_capture_dir, is_capture_file
from .assemble import SplitAssembler

if TYPE_CHECKING:
    from ..model.captioner import Captioner


#: Clips decoded per chunk by :func:`capture_split` (also the unit of its shards).
CHUNK_CLIPS = 128


def capture_cache_dir() -> Path:
    """Where captures are cached: ``$M2T_INTERPRET_CACHE/captures`` (default ``~/.cache/m2t-interpret``)."""

    return cache_dir() / "captures"


@dataclass(frozen=True)
class CaptureRequest:
    """What to capture: a split of a dataset folder, decoded one way.

    ``decode`` is "greedy", "forced" (on the clip's first reference caption), "beamK" (the
    project's batched beam) or "authors-beamK" (the authors' best-first search); ``clips`` keeps
    the first N ids of the split; ``beta`` pins the gate; ``shard`` "i/n" captures only that
    shard.
    """

    root: str
    split: str = "test"
    decode: str = "greedy"
    clips: int | None = None
    beta: float | None = None
    max_steps: int | None = None
    replace: tuple = field(default=())  # not cacheable when non-empty
    shard: str | None = None  # "i/n": only that shard (see capture_split)

    def mode(self) -> tuple[str, int]:
        return parse_decode(self.decode)


def parse_decode(spec: str) -> tuple[str, int]:
    """'greedy' → ("greedy", 1); 'forced' → ("forced", 1); 'beam2' → ("beam", 2);
    'authors-beam2' → ("authors_beam", 2)."""

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
    # tqdm.auto warns in a Jupyter kernel without ipywidgets, even for a bar that is never drawn
    if enabled:
        # tqdm.auto where a bar is drawn (a notebook widget in Jupyter)
        from tqdm.auto import tqdm
    else:
        # plain tqdm for a bar that is never drawn: tqdm.auto warns in a kernel without ipywidgets
        from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="clip", disable=not enabled, leave=False)


def capture_split(
    model: "Captioner",
    root: str | os.PathLike,
    split: str = "test",
    decode: str = "greedy",
    clips: int | None = None,
    beta: float | None = None,
    max_steps: int | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    keep_logits: bool = False,
    replace: dict | None = None,
    record: Sequence[str] | None = None,
    shard: tuple[int, int] | str | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    ids: Sequence[str] | None = None,
) -> CaptureResult:
    """Decode every clip of ``split`` (or its first ``clips``, or only the clips ``ids``) in length-sorted chunks and merge
    them into one :class:`CaptureResult`, in split order, with the references of each clip.

    ``decode="forced"`` feeds each clip's first reference caption. ``shard=(i, n)`` (or "i/n",
    1 ≤ i ≤ n) decodes only the chunks k with k mod n = i − 1: the chunks are made over the whole
    split first, so each is decoded exactly as in an unsharded run, and :func:`merge_shards` of
    the n shards equals the unsharded capture bit for bit.

    With ``out`` the capture is written there (atomically, as :meth:`CaptureResult.save` would)
    while it is decoded: the attention arrays go straight to disk chunk by chunk, so memory stays
    at about one chunk's worth whatever the split's size, and the result is returned memory-mapped
    from ``out``. An existing capture at ``out`` is replaced; other content is refused unless
    ``overwrite``.

    The result records each clip's motion statistics and those outside the model's training corpus
    (``clip_motion``); :meth:`~m2t_interpret.result.CaptureResult.warn_motion` says so (the callers
    do, also for a capture read from the cache).
    """
    mode, beam_size = parse_decode(decode)
    shard = parse_shard(shard)
    batch_size = int(batch_size or CHUNK_CLIPS)
    if clips is not None and clips < 1:
        raise M2TError(f"--clips must be ≥ 1, got {clips}")
    data = load_split(root, split, skeleton=model.skeleton, progress=False, limit=clips,
                      ids=None if ids is None else list(ids))
    if len(data) == 0:
        raise M2TError(f"no usable clips in split {split!r} of {root}: {data.report.summary()}")
    skipped = data.report.skip_notice()
    data.report.warn_skipped()
    fp = data_fingerprint(root, split, data.ids)
    ids, motions = list(data.ids), [s.motion for s in data]
    refs = [[c.text for c in s.captions] for s in data]
    del data  # each motion is dropped once decoded (below); the dataset must not keep them alive
    order = sorted(range(len(motions)), key=lambda i: motions[i].shape[0])
    chunks = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    if shard is not None:
        chunks = chunks[shard[0] - 1:: shard[1]]
        if not chunks:
            raise M2TError(f"shard {shard[0]}/{shard[1]} is empty: the split has only {len(order)} clips "
                           f"({len(order[::batch_size])} chunks of {batch_size}); use fewer shards")
    selected = [i for idx in chunks for i in idx]
    if shard is not None:
        keep = set(selected)
        motions = [m if i in keep else None for i, m in enumerate(motions)]
    steps = int(max_steps or (100 if mode == "authors_beam" else model.config.max_steps))
    all_captions = None
    if mode == "forced":
        all_captions = model.encode_captions([refs[i][0] if refs[i] else "" for i in range(len(motions))])
        steps = all_captions.shape[1] - 1
    d = model.config.downsample
    frames = max(len(range(d - 1, motions[i].shape[0], d)) for i in selected)
    row_of = {i: r for r, i in enumerate(sorted(selected))}  # split order

    def run(folder: Path | None) -> CaptureResult:
        assembler = SplitAssembler(len(selected), steps, frames, folder)
        bar = _progress(len(selected), f"capturing {split} ({decode})", progress)
        try:
            for idx in chunks:
                chunk = [motions[i] for i in idx]
                x, lengths = model.preprocess(chunk)
                motion = model.motion_table(chunk, [ids[i] for i in idx])
                del chunk
                for i in idx:  # chunks grow longer: the last ones run with most motions freed
                    motions[i] = None
                captions = None
                if mode == "forced":
                    captions = all_captions[idx]
                    captions = captions[:, : int((captions != 0).sum(1).max())]
                part = model.decode(
                    x, lengths, mode=mode, captions=captions, max_steps=max_steps, beam_size=beam_size, beta=beta,
                    clip_ids=[ids[i] for i in idx], keep_logits=keep_logits, replace=replace, record=record,
                    data_fingerprint=fp, references=[refs[i] for i in idx])
                part.clip_motion = motion
                # Chunks grow: buffers kept for the next decode would only pin memory the
                # assembler's trim could otherwise return.
                model.release_workspace()
                assembler.add(part, [row_of[i] for i in idx])
                bar.update(len(idx))
            result = assembler.result([ids[i] for i in sorted(selected)])
        finally:
            bar.close()
            assembler.close()
        split_position = {cid: i for i, cid in enumerate(ids)}
        result.meta["split_positions"] = [split_position[c] for c in result.clip_ids]
        result.meta["shard"] = None if shard is None else f"{shard[0]}/{shard[1]}"
        if result.vocab:  # analyses group words by stem; keeping them spares a later nltk import
            result.meta["vocab_stems"] = [stem(w) for w in result.vocab]
        result.meta["skipped"] = skipped  # said again whenever the capture is read from the cache
        result.meta.update({"data_fingerprint": fp, "data": str(root), "split": split,
                            "decoding": {**result.meta.get("decoding", {}), "spec": decode,
                                         "forced_on": "first reference caption" if mode == "forced" else None}})
        if folder is not None:
            result.write_files(folder, table=assembler.table(), written=assembler.streamed)
        return result

    if out is None:
        return run(None)
    write_dir(out, run, is_ours=is_capture_dir, kind="capture", overwrite=overwrite, owned=is_capture_file)
    return CaptureResult.load(out)


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


def check_complete_sharding(shards: Sequence[str], what: str) -> None:
    """M2TError unless ``shards`` ("i/n" each) are every shard of one sharding; ``what`` names the
    results in the message ("captures")."""
    totals = {s.split("/")[1] for s in shards}
    if len(totals) > 1:
        raise M2TError(f"these {what} come from different shardings: {', '.join(shards)}")
    missing = sorted(set(range(1, int(totals.pop()) + 1)) - {int(s.split("/")[0]) for s in shards})
    if missing:
        raise M2TError(f"shard(s) {', '.join(map(str, missing))} missing from the merge")


def merge_shards(results: Sequence[CaptureResult], out: str | os.PathLike | None = None,
                 overwrite: bool = False) -> CaptureResult:
    """The shards of one split (see :func:`capture_split`) merged back into split order: equal,
    bit for bit, to the unsharded capture.

    With ``out`` the merge is written there a few hundred clips at a time (shards loaded with
    :meth:`CaptureResult.load` are memory-mapped), so merging a whole split needs little memory;
    the result is returned memory-mapped from ``out``.
    """
    results = list(results)
    if not results:
        raise M2TError("no captures to merge")
    if any("split_positions" not in r.meta for r in results):
        raise M2TError("only captures of a split (capture_split / m2t-interpret capture) can be merged as shards")
    shards = [r.meta.get("shard") for r in results]
    if None not in shards:
        check_complete_sharding(shards, "captures")
    positions = [p for r in results for p in r.meta["split_positions"]]
    if out is None:
        merged = CaptureResult.concat(results)
        result = merged.select(list(np.argsort(positions, kind="stable")))
        result.meta["split_positions"] = sorted(positions)
        result.meta["shard"] = None
        return result
    check_mergeable(results)
    row_of = {p: r for r, p in enumerate(sorted(positions))}
    steps = max(r.tokens.shape[1] for r in results)
    frames = max((r.alpha.shape[2] for r in results if r.alpha is not None), default=0)

    def run(folder: Path) -> None:
        assembler = SplitAssembler(len(positions), steps, frames, folder)
        ids: list[str] = [""] * len(positions)
        try:
            for r in results:
                for a in range(0, r.n_clips, _MERGE_CLIPS):
                    piece = r.select(list(range(a, min(a + _MERGE_CLIPS, r.n_clips))))
                    rows = [row_of[p] for p in r.meta["split_positions"][a: a + _MERGE_CLIPS]]
                    assembler.add(piece, rows)
                    for row, cid in zip(rows, piece.clip_ids):
                        ids[row] = cid
            merged = assembler.result(ids)
        finally:
            assembler.close()
        merged.meta.update({"split_positions": sorted(positions), "shard": None})
        merged.write_files(folder, table=assembler.table(), written=assembler.streamed)

    write_dir(out, run, is_ours=is_capture_dir, kind="capture", overwrite=overwrite, owned=is_capture_file)
    return CaptureResult.load(out)


#: Clips copied at a time by a streamed :func:`merge_shards`.
_MERGE_CLIPS = 256


def model_file_key(source, vocab=None, stats=None) -> str | None:
    """A cache key for a model given as a shipped name or a file (plus vocabulary and statistics
    files), from the files' bytes — no need to load the model (or import torch) to look a capture
    up. None when ``source`` is neither."""

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
    before_decode: Callable[[], bool] | None = None,
) -> tuple[CaptureResult, bool]:
    """:func:`capture_split` through an on-disk cache. Returns ``(result, from_cache)``.

    The key is (model, data fingerprint, split, decoding settings, clips), the model by
    ``model_key`` (e.g. :func:`model_file_key`) or else its weights' fingerprint. ``model`` may
    be a function that loads it: it is called only on a cache miss. A request with ``replace``
    hooks is never cached.

    A request with ``shard`` "i/n" captures that shard into the cache beside the unsharded
    entry. An unsharded request that is not cached but finds all n shards of some sharding there
    merges them (bit for bit the unsharded capture) instead of decoding: several processes can
    each capture one shard, and the next unsharded run only merges.

    ``before_decode`` runs before a split is decoded (a cache miss), e.g. to check the data's files
    that decoding reads; when it returns True the data were rebuilt, so the key is made again.
    """
    if model_key is None:
        model = model() if callable(model) and not hasattr(model, "fingerprint") else model
        model_key = model.fingerprint()
        if model.motion_corpus:  # not in the weights' fingerprint, but the capture's ood column depends on it
            corpus = json.dumps(model.motion_corpus, sort_keys=True).encode()
            model_key += ":" + hashlib.sha256(corpus).hexdigest()[:8]
    ids = read_split_ids(request.root, request.split)
    if request.clips is not None:
        ids = ids[: request.clips]
    shard = parse_shard(request.shard)
    key_fields = {"model": model_key, "data": data_fingerprint(request.root, request.split, ids),
                  **{k: v for k, v in asdict(request).items() if k not in ("root", "replace", "shard")}}
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()[:20]
    cache = Path(cache_dir) if cache_dir is not None else capture_cache_dir()
    path = cache / key if shard is None else shard_entry(cache / key, shard)

    def loaded():
        nonlocal model
        if callable(model) and not hasattr(model, "fingerprint"):
            model = model()
        return model

    args = (request.root, request.split, request.decode, request.clips, request.beta, request.max_steps)
    kw = dict(progress=progress, shard=shard)
    if request.replace:
        return capture_split(loaded(), *args, replace=dict(request.replace), **kw), False

    merged = []  # a capture merged from cached shards counts as read from the cache: nothing was decoded

    def build(entry: Path) -> CaptureResult:
        if shard is None and _merge_cached_shards(entry, log):
            merged.append(entry)
            return CaptureResult.load(entry)
        if before_decode is not None and before_decode():
            raise _DataRebuilt
        return _capture_into_cache(loaded(), args, kw, entry, request.shard, log)

    what = "capture" if shard is None else f"capture shard {request.shard}"
    try:
        result, hit = cached_entry(path, "capture" if shard is None else "shard", what, load=check_cached_capture,
                                   build=build)
    except _DataRebuilt:  # new files, new fingerprint: the capture belongs under another key
        return cached_capture(model, request, cache_dir, progress, log, model_key)
    hit = hit or bool(merged)
    if hit and result.meta.get("skipped"):
        warnings.warn(result.meta["skipped"], SkippedClipsWarning, stacklevel=2)
    return result, hit


class _DataRebuilt(Exception):
    """Raised out of a capture build when ``before_decode`` rebuilt the data."""


def _capture_into_cache(model: "Captioner", args: tuple, kw: dict, entry: Path, shard: str | None,
                        log: Callable[[str], None] | None) -> CaptureResult:
    """Capture straight into the cache entry (memory stays at one chunk's worth); a cache folder
    that cannot take it — read-only, or a disk that fills up — gives one warning and a capture in
    memory instead, as the analysis must not stop for its cache."""
    problem = _unwritable(entry.parent)
    if problem is None:
        try:
            result = capture_split(model, *args, out=entry, overwrite=True, **kw)
        except WriteError as exc:
            problem = os.strerror(exc.errno) if exc.errno else str(exc)
        else:
            if log is not None:
                log(f"capture kept for reuse in {entry}")
            return result
    if shard is not None:
        raise M2TError(f"cannot keep shard {shard} in the capture cache {entry.parent}: {problem}; "
                       "set M2T_INTERPRET_CACHE to a writable folder")
    warnings.warn(f"could not cache the capture in {entry}: {problem}; capturing without the cache", CacheWarning,
                  stacklevel=4)
    return capture_split(model, *args, **kw)


def check_cached_capture(path: Path) -> CaptureResult:
    """A cached capture, loaded and checked: its values in range
    (:func:`~m2t_interpret.result.check_value_ranges`)."""
    result = CaptureResult.load(path)
    check_value_ranges(result)
    return result


def capture_is_stale(path: Path) -> str:
    """Why a cached (unsharded) capture can never be used again — the files of its data changed
    since it was captured, so its cache key cannot come up again — or "" when it can, or when that
    cannot be told (a shard; a data folder that is gone, or moved with the cache)."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        info = meta["meta"]
        root, split, fp = info["data"], info["split"], info["data_fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if info.get("shard") or not Path(root).is_dir():
        return ""
    if data_fingerprint(root, split, list(meta.get("clip_ids") or [])) != fp:
        return f"the files of its data {root} changed since it was captured"
    return ""


def _merge_cached_shards(entry: Path, log: Callable[[str], None] | None) -> bool:
    """Merge a complete set of cached shards of ``entry`` (``<key>.shards/IofN``) into it."""
    shards = load_complete_shards(entry, "capture", check_cached_capture,
                                  "decoding the split instead of merging its shards")
    if shards is None:
        return False
    merge_shards(shards, out=entry, overwrite=True)
    remove_shards(entry)  # the merged capture holds everything they held
    if log is not None:
        log(f"merged the {len(shards)} cached shards into {entry}")
    return True


def _unwritable(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` (made if missing), or None when they can."""

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


__all__ = ["CaptureRequest", "parse_decode", "parse_shard", "check_complete_sharding", "merge_shards", "data_fingerprint", "capture_split", "cached_capture",
           "capture_cache_dir", "model_file_key"]
