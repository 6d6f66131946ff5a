"""A split's attribution through the cache, in shards.

:func:`attribute_split` explains every word of a forced capture of a split by each method, each
method cached on its own (``$M2T_INTERPRET_CACHE/attributions/<key>``, keyed by model, data, clips,
method, target, baseline and the method's settings; checksummed and built under a lock, as captures
are: :func:`~m2t_interpret.cache.cached_entry`).

With ``shard="i/n"`` it attributes only clips i − 1, i − 1 + n, i − 1 + 2n, … of the capture (every
n-th clip: lengths mix evenly, so the shards take about equally long) and keeps them beside the
unsharded entry (``<key>.shards/<i>of<n>``). An unsharded call that finds all n shards of a
sharding merges them (:func:`merge_attribution_shards`) instead of attributing: several processes,
GPUs or a cluster's array jobs each run one shard, and the next unsharded run only merges. Each
clip is attributed on its own, by the same computation whichever clips share its run, so the merge
equals one unsharded run.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ..cache import cached_entry, load_complete_shards, remove_shards, shard_entry
from ..capture.dataset import check_complete_sharding, parse_shard
from ..errors import CacheWarning, M2TError
from ..io import cache_dir
from .result import AttributionResult
from .run import attribute_capture, capture_inputs
from .table import Method, check_baseline, check_target, get_method

if TYPE_CHECKING:
    from ..model.network import CaptionerNetwork
    from ..result import CaptureResult


def attribution_cache_dir() -> Path:
    """Where attributions are cached: ``$M2T_INTERPRET_CACHE/attributions``."""

    return cache_dir() / "attributions"


def attribution_key(capture: "CaptureResult", method: str | Method, target: str, baseline: str,
                    options: dict | None = None, joint_groups: Sequence[int] | None = None) -> str:
    """The cache key of one method's attribution of ``capture``: its model and data fingerprints and
    clips, the method, target and baseline, and those settings that change the method's values."""
    m = get_method(method)
    options = m.options(options or {})
    fields = {"model": capture.meta.get("model_fingerprint"), "data": capture.meta.get("data_fingerprint"),
              "clips": list(capture.clip_ids), "method": m.name, "target": target, "baseline": baseline,
              "n_steps": options.get("n_steps"),
              # occlusion entries cached before its windows kept to the clip's own frames are stale
              "windows": "clip frames" if m.feature_mask == "window" else None,
              "groups": None if joint_groups is None or m.feature_mask != "parts" else [int(g) for g in joint_groups]}
    # settings other than IG's steps join the key only when not the default, so the keys of earlier
    # entries (which had no such settings) stay what they were
    other = {k: v for k, v in options.items() if k != "n_steps" and v != m.defaults[k]}
    if other:
        fields["options"] = other
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]


def shard_clips(n_clips: int, shard: tuple[int, int] | str) -> list[int]:
    """The clips (capture rows) of shard ``"i/n"``: i − 1, i − 1 + n, …; M2TError when it has none."""
    i, n = parse_shard(shard)
    rows = list(range(i - 1, n_clips, n))
    if not rows:
        raise M2TError(f"shard {i}/{n} is empty: the capture has only {n_clips} clips; use at most {n_clips} shards")
    return rows


def merge_attribution_shards(results: Sequence[AttributionResult]) -> AttributionResult:
    """The n shards of one attribution (:func:`attribute_split` with ``shard="i/n"``, any order) in
    the capture's clip order: equal to the unsharded attribution."""
    results = list(results)
    shards = [r.meta.get("shard") for r in results]
    if not results or None in shards or any("positions" not in r.meta for r in results):
        raise M2TError("only shards of one attribution (attribute_split with shard='i/n') can be merged")
    check_complete_sharding(shards, "attributions")
    positions = [p for r in results for p in r.meta["positions"]]
    merged = AttributionResult.concat(results).select(list(np.argsort(positions, kind="stable")))
    merged.meta.pop("positions")
    merged.meta["shard"] = None
    return merged


def attribute_split(model: "CaptionerNetwork", capture: "CaptureResult", root: str | os.PathLike, split: str,
                    methods: Sequence[str] = ("ig",), target: str = "logprob", baseline: str = "first_pose",
                    n_steps: int | None = None, joint_groups: Sequence[int] | None = None, window: int | None = None,
                    stride: int | None = None, shard: str | tuple[int, int] | None = None, cache: bool = True,
                    progress: bool = True, log: Callable[[str], None] | None = None, model_name: str | None = None,
                    inputs: Callable[["CaptureResult"], tuple] | None = None) -> AttributionResult:
    """Attribute the words of a forced capture of ``split`` of ``root`` by each method (each cached
    on its own), attention coming along as the method "attention".

    ``shard`` "i/n": only that shard's clips (see the module docstring), cached beside the
    unsharded entry; a shard cannot be kept when the cache is unwritable (M2TError). Without
    ``shard`` a cached entry is read, else a complete set of cached shards merged, else the whole
    capture attributed. ``inputs(capture)`` gives the preprocessed clips and lengths of a capture
    (default: read from ``root``, :func:`~m2t_interpret.attribution.run.capture_inputs`).
    ``model_name`` is recorded in the result's meta.
    """
    entries = [get_method(m) for m in methods]
    target, baseline = check_target(target), check_baseline(baseline)
    if capture.mode != "forced" or capture.targets is None:
        raise M2TError("attribution explains the words of the reference captions: capture with decode='forced'")
    shard = parse_shard(shard)
    rows = list(range(capture.n_clips)) if shard is None else shard_clips(capture.n_clips, shard)
    part_capture = capture if shard is None else capture.select(rows)
    settings = {"n_steps": n_steps, "window": window, "stride": stride}
    loaded: list[tuple] = []

    def compute(m: Method) -> AttributionResult:
        if not loaded:
            loaded.append((inputs or (lambda c: capture_inputs(model, c, root, split)))(part_capture))
        x, lengths = loaded[0]
        result = attribute_capture(model, part_capture, x, lengths, methods=[m.name], target=target, baseline=baseline,
                                   joint_groups=None if joint_groups is None else np.asarray(joint_groups),
                                   progress=progress, **settings)
        result.meta.update({"model": model_name or capture.meta.get("model"), "positions": rows,
                            "shard": None if shard is None else f"{shard[0]}/{shard[1]}"})
        if shard is None:
            result.meta.pop("positions")
        return result

    out = None
    for m in entries:
        key = attribution_cache_dir() / attribution_key(capture, m, target, baseline, settings, joint_groups)
        if not cache:
            part = compute(m)
        elif shard is None:
            part = cached_entry(key, "attribution", f"attribution ({m.name})", load=AttributionResult.load,
                                build=lambda entry, m=m: _build_whole(entry, m, compute, log))[0]
        else:
            what = f"attribution ({m.name}) shard {shard[0]}/{shard[1]}"
            part = cached_entry(shard_entry(key, shard), "attribution shard", what, load=AttributionResult.load,
                                build=lambda entry, m=m: _build_shard(entry, m, compute, log))[0]
        out = part if out is None else out.merged(part)
    return out


def _build_whole(entry: Path, m: Method, compute: Callable[[Method], AttributionResult],
                 log: Callable[[str], None] | None) -> AttributionResult:
    """The unsharded entry: merged from a complete set of cached shards, else attributed; kept when
    the cache can take it (a read-only or full cache must not stop the analysis: one warning)."""
    shards = load_complete_shards(entry, "attribution", AttributionResult.load,
                                  "attributing the split instead of merging its shards")
    result = compute(m) if shards is None else merge_attribution_shards(shards)
    try:
        result.save(entry, overwrite=True)
    except M2TError as exc:
        warnings.warn(f"could not cache the attribution: {exc}", CacheWarning, stacklevel=5)
        return result
    if shards is not None:
        remove_shards(entry)
    if log is not None:
        log(f"merged the {len(shards)} cached shards of the attribution ({m.name}) into {entry}" if shards
            else f"attribution ({m.name}) kept for reuse in {entry}")
    return result


def _build_shard(entry: Path, m: Method, compute: Callable[[Method], AttributionResult],
                 log: Callable[[str], None] | None) -> AttributionResult:
    """A shard's entry: a shard is only worth its cache entry, so one that cannot be kept is an error."""
    result = compute(m)
    try:
        result.save(entry, overwrite=True)
    except M2TError as exc:
        raise M2TError(f"cannot keep attribution shard {result.meta['shard']} in the cache {entry.parent}: {exc}; "
                       "set M2T_INTERPRET_CACHE to a writable folder") from None
    if log is not None:
        log(f"attribution ({m.name}) shard {result.meta['shard']} kept in {entry}")
    return result


__all__ = ["attribute_split", "attribution_key", "attribution_cache_dir", "merge_attribution_shards", "shard_clips"]
