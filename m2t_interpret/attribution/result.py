"""The attribution result: per generated word, how much each body part and each frame mattered,
by one or more explanation methods — attention itself being one of them.

:class:`AttributionResult` is plain data in the capture family (numpy arrays, a tidy table,
``save``/``load``, ``_repr_html_``) and needs no torch: an analysis of a cached result never loads
the model. Running the explanations is :mod:`m2t_interpret.attribution.run`.

Per method the result keeps one map ``(N, S, T, 6)``: the attribution of word ``s`` of clip ``n``
summed over the features (x, y, z of each joint) of each body part at each model frame, the parts
in :data:`~m2t_interpret.skeletons.PARTS` order. Its sum over frames is the part attribution, its
sum over parts the frame attribution. For the method ``"attention"`` the map is Γ_t·α_t,p: its
parts are the time-weighted part attention Σ_t Γ_t α_t,p and its frames Γ (α sums to 1 over parts).
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .._version import __version__
from ..clipresult import ClipResult
from ..errors import M2TError
from ..io import CACHE_MANIFEST, write_dir
from ..skeletons import PARTS
from ..tokens import SPECIAL_IDS
from .table import ATTENTION

ATTRIBUTION_FORMAT = "m2t-interpret attribution"
ATTRIBUTION_VERSION = 1
PART_COLUMNS = ("clip_id", "step", "word", "method", "target", "part", "value")
FRAME_COLUMNS = ("clip_id", "step", "word", "method", "target", "frame", "time_s", "value")


@dataclass
class AttributionResult(ClipResult):
    """Explanations of forced-decoded words, N clips × S steps × T model frames.

    - ``maps[method]`` (N, S, T, 6) float32, parts in :data:`PARTS` order, 0 on padded frames and
      padded steps; ``deltas[method]`` (N, S) the convergence delta of Integrated Gradients
      (|Σ attribution − (f(x) − f(baseline))|), NaN elsewhere
    - ``targets`` (N, S) the caption token each step predicts; ``step_mask`` (N, S) its real steps;
      ``lengths`` (N,) valid model frames; ``scores`` (N, S) the explained quantity at the input
    - ``target`` "logprob", "beta" or "mu": what was explained; ``meta`` the settings
    """

    clip_ids: list[str]
    targets: np.ndarray
    step_mask: np.ndarray
    lengths: np.ndarray
    vocab: list[str] | None
    fps: float
    downsample: int
    target: str
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    deltas: dict[str, np.ndarray] = field(default_factory=dict)
    scores: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        return list(self.maps)

    def parts(self, method: str) -> np.ndarray:
        """(N, S, 6) part attribution of ``method`` (PARTS order)."""
        return self._map(method).sum(2)

    def frames(self, method: str) -> np.ndarray:
        """(N, S, T) frame attribution of ``method``."""
        return self._map(method).sum(3)

    def _map(self, method: str) -> np.ndarray:
        if method not in self.maps:
            raise M2TError(f"this result holds no method {method!r}; it holds {', '.join(self.maps)}")
        return self.maps[method]

    def _rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_idx, s_idx = np.nonzero(self.step_mask)
        words = np.array([self.word(int(i)) for i in self.targets[n_idx, s_idx]], dtype=object)
        return n_idx, s_idx, words

    def words_table(self) -> pd.DataFrame:
        """One row per word: ``clip, clip_id, step, word, token_id, is_special, score`` and
        ``delta_<method>`` for each method with a convergence delta."""
        n_idx, s_idx, words = self._rows()
        ids = self.targets[n_idx, s_idx].astype(np.int64)
        df = pd.DataFrame({"clip": n_idx, "clip_id": np.asarray(self.clip_ids, dtype=object)[n_idx] if len(n_idx)
                           else [], "step": s_idx, "word": words, "token_id": ids,
                           "is_special": np.isin(ids, list(SPECIAL_IDS))})
        if self.scores is not None:
            df["score"] = self.scores[n_idx, s_idx].astype(np.float64)
        for m, d in self.deltas.items():
            df[f"delta_{m}"] = d[n_idx, s_idx].astype(np.float64)
        return df

    def to_dataframe(self, methods: Sequence[str] | None = None) -> pd.DataFrame:
        """The tidy per-part table: ``clip_id, step, word, method, target, part, value``."""
        n_idx, s_idx, words = self._rows()
        frames = []
        for m in methods or self.methods:
            parts = self.parts(m)[n_idx, s_idx]  # (M, 6)
            frames.append(pd.DataFrame({
                "clip_id": np.repeat(np.asarray(self.clip_ids, dtype=object)[n_idx], len(PARTS)),
                "step": np.repeat(s_idx, len(PARTS)), "word": np.repeat(words, len(PARTS)), "method": m,
                "target": self.target, "part": np.tile(np.asarray(PARTS, dtype=object), len(n_idx)),
                "value": parts.reshape(-1).astype(np.float64)}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PART_COLUMNS)

    def frame_table(self, methods: Sequence[str] | None = None) -> pd.DataFrame:
        """The tidy per-frame table: ``clip_id, step, word, method, target, frame, time_s, value``
        (valid frames only)."""
        n_idx, s_idx, words = self._rows()
        out = []
        for m in methods or self.methods:
            fr = self.frames(m)
            for n, s, w in zip(n_idx, s_idx, words):
                t = int(self.lengths[n])
                out.append(pd.DataFrame({"clip_id": self.clip_ids[n], "step": int(s), "word": w, "method": m,
                                         "target": self.target, "frame": np.arange(t),
                                         "time_s": self.model_frame_to_seconds(np.arange(t)),
                                         "value": fr[n, s, :t].astype(np.float64)}))
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=FRAME_COLUMNS)

    def merged(self, other: "AttributionResult") -> "AttributionResult":
        """This result with ``other``'s methods added (same clips, words and target)."""
        if other.clip_ids != self.clip_ids or not np.array_equal(other.targets, self.targets):
            raise M2TError("cannot merge attributions of different clips or captions")
        if other.target != self.target:
            raise M2TError(f"cannot merge attributions of target {other.target!r} into {self.target!r}")
        return AttributionResult(self.clip_ids, self.targets, self.step_mask, self.lengths, self.vocab, self.fps,
                                 self.downsample, self.target, {**self.maps, **other.maps},
                                 {**self.deltas, **other.deltas}, self.scores, dict(self.meta))

    def select(self, clips: Sequence[int | str]) -> "AttributionResult":
        """A result holding only the given clips (by index or clip id), in the given order."""
        idx = [self.clip_index(c) for c in clips]
        return replace(self, clip_ids=[self.clip_ids[i] for i in idx], targets=self.targets[idx],
                       step_mask=self.step_mask[idx], lengths=self.lengths[idx],
                       maps={m: a[idx] for m, a in self.maps.items()},
                       deltas={m: a[idx] for m, a in self.deltas.items()},
                       scores=None if self.scores is None else self.scores[idx], meta=dict(self.meta))

    @classmethod
    def concat(cls, results: Sequence["AttributionResult"]) -> "AttributionResult":
        """The clips of several results of the same methods, target and steps × frames (shards of one
        capture: see :mod:`m2t_interpret.attribution.split`), one after the other."""
        results = list(results)
        if not results:
            raise M2TError("nothing to merge: no attribution results given")
        first = results[0]
        for r in results[1:]:
            if (r.methods, r.target, r.maps[ATTENTION].shape[1:] if r.maps else None) != (
                    first.methods, first.target, first.maps[ATTENTION].shape[1:] if first.maps else None):
                raise M2TError("cannot merge attributions of different methods, targets or captures")
        ids = [c for r in results for c in r.clip_ids]
        if len(set(ids)) != len(ids):
            raise M2TError("cannot merge attributions that share clip ids")

        def cat(get):
            return np.concatenate([get(r) for r in results])

        return replace(first, clip_ids=ids, targets=cat(lambda r: r.targets), step_mask=cat(lambda r: r.step_mask),
                       lengths=cat(lambda r: r.lengths), maps={m: cat(lambda r: r.maps[m]) for m in first.maps},
                       deltas={m: cat(lambda r: r.deltas[m]) for m in first.deltas},
                       scores=None if any(r.scores is None for r in results) else cat(lambda r: r.scores),
                       meta=dict(first.meta))

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write a folder (``arrays.npz``, ``parts.parquet``, ``meta.json``) atomically; an earlier
        attribution there is replaced, anything else refused unless ``overwrite``."""
        return write_dir(path, self._write, is_ours=is_attribution_dir, kind="attribution", overwrite=overwrite,
                         owned=lambda rel: rel in ("meta.json", "arrays.npz", "parts.parquet", CACHE_MANIFEST))

    def _write(self, folder: Path) -> None:
        arrays = {"targets": self.targets, "step_mask": self.step_mask, "lengths": self.lengths}
        if self.scores is not None:
            arrays["scores"] = self.scores
        arrays.update({f"map.{m}": a for m, a in self.maps.items()})
        arrays.update({f"delta.{m}": a for m, a in self.deltas.items()})
        np.savez_compressed(folder / "arrays.npz", **arrays)
        self.to_dataframe().to_parquet(folder / "parts.parquet", index=False)
        meta = {"format": ATTRIBUTION_FORMAT, "version": ATTRIBUTION_VERSION, "clip_ids": self.clip_ids,
                "vocab": self.vocab, "fps": self.fps, "downsample": self.downsample, "target": self.target,
                "methods": self.methods, "meta": self.meta, "package_version": __version__}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "AttributionResult":
        """Read a folder written by :meth:`save`; anything else raises M2TError."""
        path = Path(path)
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise M2TError(f"{path} is not a saved attribution (no readable meta.json)") from None
        if not isinstance(meta, dict) or meta.get("format") != ATTRIBUTION_FORMAT:
            raise M2TError(f"{path} is not an m2t-interpret attribution")
        if meta.get("version") != ATTRIBUTION_VERSION:
            raise M2TError(f"{path} is an attribution of format version {meta.get('version')}; this m2t-interpret "
                           f"reads version {ATTRIBUTION_VERSION}: attribute again")
        try:
            with np.load(path / "arrays.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError) as exc:
            raise M2TError(f"cannot read the arrays of the attribution in {path}: {exc}; attribute again") from None
        maps = {m: arrays[f"map.{m}"] for m in meta["methods"] if f"map.{m}" in arrays}
        if len(maps) != len(meta["methods"]) or any(k not in arrays for k in ("targets", "step_mask", "lengths")):
            raise M2TError(f"the attribution in {path} is incomplete; attribute again")
        deltas = {k[len("delta."):]: v for k, v in arrays.items() if k.startswith("delta.")}
        return cls(list(meta["clip_ids"]), arrays["targets"], arrays["step_mask"], arrays["lengths"], meta["vocab"],
                   meta["fps"], meta["downsample"], meta["target"], maps, deltas, arrays.get("scores"),
                   meta.get("meta", {}))

    # -- notebook view ----------------------------------------------------------------------
    FORMAT = ATTRIBUTION_FORMAT
    KIND = "attribution"
    HTML_CLIPS = 10

    def _html_summary(self) -> str:
        return (f"{self.n_clips} clips, {int(self.step_mask.sum())} words, target {html.escape(self.target)}, "
                f"methods {html.escape(', '.join(self.methods))}")

    def _html_note(self) -> str:
        return "<br><small>hover a word for each method's top part</small>"

    def _html_rows(self, limit: int) -> list[tuple[str, str]]:
        words = self.words_table()
        rows = []
        for n, cid in enumerate(self.clip_ids[:limit]):
            sub = words[words["clip"] == n]
            cells = []
            for r in sub.itertuples():
                tops = [f"{m}: {PARTS[int(np.abs(self.parts(m)[n, r.step]).argmax())]}" for m in self.methods]
                cells.append(f"<span title='{html.escape(' · '.join(tops))}' style='border-bottom:1px dotted'>"
                             f"{html.escape(str(r.word))}</span>")
            rows.append((cid, " ".join(cells)))
        return rows

    def __repr__(self) -> str:
        return (f"AttributionResult(clips={self.n_clips}, words={int(self.step_mask.sum())}, target={self.target!r}, "
                f"methods={self.methods})")


def is_attribution_dir(path: Path) -> bool:
    """True when ``path`` holds a result written by :meth:`AttributionResult.save`."""
    return AttributionResult.is_saved(path)


__all__ = ["AttributionResult", "ATTENTION", "PART_COLUMNS", "FRAME_COLUMNS", "is_attribution_dir"]
