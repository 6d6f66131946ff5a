"""The capture result: what one decoding run produced, as plain data.

:class:`CaptureResult` holds batch-first numpy arrays (tokens, log-probabilities, α, γ, Γ, μ, σ,
β̂ …), the token table (:meth:`CaptureResult.to_dataframe`), selection and merging, and
versioned ``save``/``load``. It computes no analysis: the analyses take it (or its table) and
return DataFrames. It sits below the model (it imports only the skeleton and token definitions and
the motion statistics of :mod:`m2t_interpret.data.motion_range`), so ``Captioner.decode`` can
return it without an import cycle.

Time, stated once. The model sees every ``d``-th frame of the original clip (``d`` =
``downsample`` = 2), keeping original frames ``d−1, 2d−1, …`` (1, 3, 5, …); model frame ``i``
(float allowed) is original frame ``d·i + d − 1`` and time ``(d·i + d − 1) / fps`` seconds, with
``fps`` the original frame rate (HumanML3D 20, KIT-ML 12.5). Widths convert by ``d / fps``.
The token interval is where the Gaussian window is at least half its peak,
``μ ± σ·√(2 ln 2)``, clipped to the clip's valid frames.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ._version import __version__
from .clipresult import ClipResult
from .data.motion_range import METADATA_KEY, OOD_COLUMN, table_outside, warn_outside, with_ood_objects
from .errors import M2TError
from .io import CACHE_MANIFEST, write_dir
from .skeletons import PARTS, get_skeleton, part_columns
from .tokens import EOS_ID, PAD_ID, SOS_ID, SPECIAL_IDS

CAPTURE_FORMAT = "m2t-interpret capture"
CAPTURE_VERSION = 3
#: Format versions :meth:`CaptureResult.load` reads (2: arrays in one compressed ``arrays.npz``).
READABLE_VERSIONS = (2, 3)
#: Folder of a saved capture holding one ``.npy`` file per array.
ARRAY_DIR = "arrays"
#: Array files at least this large are memory-mapped by :meth:`CaptureResult.load`.
MMAP_BYTES = 16 * 2**20
#: File of a saved capture holding its clip motion table (:attr:`CaptureResult.clip_motion`).
CLIP_MOTION_FILE = "clips.parquet"
#: Half-width of the token interval in units of σ: Γ ≥ 1/2 within μ ± σ·√(2 ln 2).
HALF_WIDTH = math.sqrt(2 * math.log(2))

#: Per-clip-and-step arrays (first two axes (N, S)); padded steps hold 0 (or NaN in float scalars).
STEP_ARRAYS = ("tokens", "targets", "logits", "log_probs", "topk_ids", "topk_log_probs", "step_mask",
               "alpha", "gamma", "window", "mu", "sigma", "beta")
#: Arrays whose third axis is model frames.
FRAME_ARRAYS = ("alpha", "gamma", "window")


# ---------------------------------------------------------------------------------------------
# per-token reductions that define columns of the token table (pure array functions)
# ---------------------------------------------------------------------------------------------

def frame_mask(lengths: np.ndarray, n_frames: int) -> np.ndarray:
    """(N,) valid frames → (N, T) bool."""
    return np.arange(n_frames)[None, :] < np.asarray(lengths)[:, None]


def time_weighted_parts(alpha: np.ndarray, window: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Σ_i Γ_i α_ik / Σ_i Γ_i over valid frames: α (N, S, T, 6), Γ (N, S, T) → (N, S, 6).

    The part axis keeps α's order (checkpoint order for model output). Rows sum to 1.
    """
    w = window * frame_mask(lengths, window.shape[-1])[:, None, :]
    num = np.einsum("nst,nstk->nsk", w, alpha)
    den = w.sum(-1, keepdims=True)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def peak_parts(alpha: np.ndarray, window: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """m_k = max over valid frames of α_ik·Γ_i: (N, S, T, 6), (N, S, T) → (N, S, 6)."""
    w = window * frame_mask(lengths, window.shape[-1])[:, None, :]
    return (alpha * w[..., None]).max(axis=2)


# ---------------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------------

@dataclass
class CaptureResult(ClipResult):
    """Everything one decoding run produced, batch-first and padded over steps and frames.

    Arrays (numpy), N clips × S steps × T model frames:

    - ``tokens`` (N, S) generated ids (forced mode: the argmax predictions), −1 after a clip's end
    - ``targets`` (N, S) forced mode: the caption token each step predicts; else None
    - ``step_mask`` (N, S) steps that belong to the clip's caption; ``lengths`` (N,) valid frames
    - ``log_probs`` (N, S) log-probability of each row's word; ``topk_ids``/``topk_log_probs``
      (N, S, k) the k most likely next words; ``logits`` (N, S, V) only when kept
    - ``alpha`` (N, S, T, 6) spatial attention, **checkpoint part order** (see
      :attr:`part_names`); ``gamma`` (N, S, T) softmax over frames; ``window`` (N, S, T) Γ;
      ``mu``, ``sigma`` (N, S) model frames; ``beta`` (N, S) gate
    - ``extra``: any other recorded hook point, by name, e.g. ``context`` (N, S, H)

    Padded steps hold 0 in arrays and NaN in per-step scalars. Attention arrays are None when
    capture was off. ``meta`` records the model name and fingerprint, the data fingerprint, the
    decoding settings and the package version, and ``meta["motion_corpus"]`` the model's
    training-corpus summary (None without one).

    ``clip_motion``: one row per clip, in clip order — the clip's motion statistics and the ``ood``
    column naming those outside the training corpus
    (:func:`~m2t_interpret.data.motion_range.motion_table`); None when the capture was made from
    preprocessed input, without the joints. :meth:`clip_table` shows it beside each clip's caption.
    """

    mode: str
    clip_ids: list[str]
    tokens: np.ndarray
    step_mask: np.ndarray
    lengths: np.ndarray
    vocab: list[str] | None
    skeleton: str
    fps: float
    downsample: int
    targets: np.ndarray | None = None
    logits: np.ndarray | None = None
    log_probs: np.ndarray | None = None
    topk_ids: np.ndarray | None = None
    topk_log_probs: np.ndarray | None = None
    alpha: np.ndarray | None = None
    gamma: np.ndarray | None = None
    window: np.ndarray | None = None
    mu: np.ndarray | None = None
    sigma: np.ndarray | None = None
    beta: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    beta_pinned: float | None = None
    scores: np.ndarray | None = None
    n_best: list[list[tuple[list[int], float]]] | None = None
    references: list[list[str]] | None = None
    meta: dict = field(default_factory=dict)
    clip_motion: pd.DataFrame | None = None

    # -- basic views ------------------------------------------------------------------------
    @property
    def n_clips(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def n_tokens(self) -> int:
        return int(self.step_mask.sum())

    @property
    def captured(self) -> bool:
        return self.alpha is not None

    @property
    def part_names(self) -> tuple[str, ...]:
        """The part of each column of ``alpha``'s last axis (checkpoint order)."""
        return get_skeleton(self.skeleton).part_names

    @property
    def model_fingerprint(self) -> str:
        return str(self.meta.get("model_fingerprint", ""))

    def word_ids(self) -> np.ndarray:
        """Ids of each row's word: the caption token in forced mode, else the generated token."""
        return self.targets if self.targets is not None else self.tokens

    @property
    def captions(self) -> list[str]:
        """Generated captions (forced mode: the argmax predictions), specials dropped."""
        out = []
        for row in self.tokens:
            words = []
            for i in row:
                if i < 0 or i == EOS_ID:
                    break
                if i not in (PAD_ID, SOS_ID):
                    words.append(self.word(int(i)))
            out.append(" ".join(words))
        return out

    def row_caption(self, clip: int) -> str:
        """The caption whose words are the clip's table rows: the given caption in forced mode,
        else the generated one."""
        if self.targets is None:
            return self.captions[clip]
        words = [self.word(int(i)) for i, m in zip(self.targets[clip], self.step_mask[clip])
                 if m and int(i) not in SPECIAL_IDS]
        return " ".join(words)

    def intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """Token intervals μ ± σ·√(2 ln 2) clipped to valid frames, in model frames: (N, S) each."""
        self.require_captured()
        last = (self.lengths - 1)[:, None].astype(np.float64)
        half = self.sigma.astype(np.float64) * HALF_WIDTH
        mu = self.mu.astype(np.float64)
        return np.clip(mu - half, 0, last), np.clip(mu + half, 0, last)

    def require_captured(self) -> None:
        """Raise M2TError unless the attention arrays were captured (``capture=True``)."""
        if not self.captured:
            raise M2TError("this result was decoded with capture=False; decode again with capture=True")

    # -- the token table --------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """One row per token (columns are described in the user guide).

        Part-valued columns are named by part, in part order: ``attn_<part>`` the time-weighted
        part attention Σ_i Γ_i α_ik / Σ_i Γ_i (sums to 1), ``peak_<part>`` max_i α_ik Γ_i, and
        ``top_part`` the part with the largest ``attn_``.
        """
        n_idx, s_idx = np.nonzero(self.step_mask)
        ids = self.word_ids()[n_idx, s_idx].astype(np.int64)
        df = pd.DataFrame({
            "clip": n_idx.astype(np.int64),
            "clip_id": np.asarray(self.clip_ids, dtype=object)[n_idx] if len(n_idx) else [],
            "step": s_idx.astype(np.int64),
            "frames": self.lengths[n_idx].astype(np.int64),
            "token_id": ids,
            "word": [self.word(int(i)) for i in ids],
        })
        df["is_special"] = np.isin(ids, list(SPECIAL_IDS))
        if self.targets is not None:
            pred = self.tokens[n_idx, s_idx].astype(np.int64)
            df["predicted_id"] = pred
            df["predicted"] = [self.word(int(i)) for i in pred]
        if self.log_probs is not None:
            df["log_prob"] = self.log_probs[n_idx, s_idx].astype(np.float64)
        if self.captured:
            start, end = self.intervals()
            df["beta"] = self.beta[n_idx, s_idx].astype(np.float64)
            df["mu"] = self.mu[n_idx, s_idx].astype(np.float64)
            df["sigma"] = self.sigma[n_idx, s_idx].astype(np.float64)
            df["mu_s"] = self.model_frame_to_seconds(df["mu"].to_numpy())
            df["sigma_s"] = df["sigma"] * self.downsample / self.fps
            df["onset_s"] = self.model_frame_to_seconds(start[n_idx, s_idx])
            df["offset_s"] = self.model_frame_to_seconds(end[n_idx, s_idx])
            names = self.part_names
            tw, peak = self._part_summaries(n_idx, s_idx)
            order = [names.index(p) for p in PARTS]
            for col, j in zip(part_columns("attn_"), order):
                df[col] = tw[:, j].astype(np.float64)
            for col, j in zip(part_columns("peak_"), order):
                df[col] = peak[:, j].astype(np.float64)
            df["top_part"] = np.asarray(PARTS, dtype=object)[tw[:, order].argmax(1)] if len(df) else []
        return df

    def _part_summaries(self, n_idx: np.ndarray, s_idx: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """Time-weighted and peak part attention of the given tokens, (M, 6) each, computed a few
        thousand tokens at a time so that a whole split's α is never copied at once."""
        tw = np.zeros((len(n_idx), self.alpha.shape[-1]), dtype=self.alpha.dtype)
        peak = np.zeros_like(tw)
        for a in range(0, len(n_idx), chunk):
            n, s = n_idx[a: a + chunk], s_idx[a: a + chunk]
            alpha, window = self.alpha[n, s][:, None], self.window[n, s][:, None]
            tw[a: a + chunk] = time_weighted_parts(alpha, window, self.lengths[n])[:, 0]
            peak[a: a + chunk] = peak_parts(alpha, window, self.lengths[n])[:, 0]
        return tw, peak

    def tokens_of(self, word: str) -> pd.DataFrame:
        """Rows of :meth:`to_dataframe` whose word is ``word``."""
        df = self.to_dataframe()
        return df[df["word"] == word].reset_index(drop=True)

    def clip_table(self) -> pd.DataFrame:
        """One row per clip: ``clip``, ``clip_id``, ``frames`` (model frames), ``caption`` and, when
        recorded, the clip's motion statistics and ``ood`` (see :attr:`clip_motion`)."""
        df = pd.DataFrame({"clip": np.arange(self.n_clips, dtype=np.int64), "clip_id": list(self.clip_ids),
                           "frames": np.asarray(self.lengths, dtype=np.int64),
                           "caption": [self.row_caption(n) for n in range(self.n_clips)]})
        if self.clip_motion is not None:
            df = pd.concat([df, self.clip_motion.drop(columns="clip_id").reset_index(drop=True)], axis=1)
        return df

    def warn_motion(self) -> None:
        """Warn about the clips whose motion lies outside the model's training corpus (one line per
        clip, or one for many; :func:`~m2t_interpret.data.motion_range.warn_outside`). Nothing when
        the model had no corpus summary or the motion was not recorded."""
        summary = self.meta.get(METADATA_KEY)
        if self.clip_motion is not None and summary:
            warn_outside(self.clip_ids, table_outside(self.clip_motion, summary))

    def dense(self, clip: int, step: int) -> dict[str, np.ndarray]:
        """One token's arrays on the clip's valid frames: α (T, 6) checkpoint order, γ, Γ (T,)."""
        self.require_captured()
        t = int(self.lengths[clip])
        return {"alpha": self.alpha[clip, step, :t], "gamma": self.gamma[clip, step, :t],
                "window": self.window[clip, step, :t]}

    # -- selection and merging --------------------------------------------------------------
    def select(self, clips: int | str | Sequence[int | str]) -> "CaptureResult":
        """A result holding only the given clips (by index or clip id), in the given order."""
        if isinstance(clips, (int, np.integer, str)):
            clips = [clips]
        idx = [self.clip_index(c) for c in clips]
        kw = {name: (None if getattr(self, name) is None else getattr(self, name)[idx])
              for name in STEP_ARRAYS}
        return replace(
            self, clip_ids=[self.clip_ids[i] for i in idx], lengths=self.lengths[idx],
            extra={k: v[idx] for k, v in self.extra.items()},
            scores=None if self.scores is None else self.scores[idx],
            n_best=None if self.n_best is None else [self.n_best[i] for i in idx],
            references=None if self.references is None else [self.references[i] for i in idx],
            meta=dict(self.meta),
            clip_motion=None if self.clip_motion is None else self.clip_motion.iloc[idx].reset_index(drop=True),
            **kw,
        )

    @classmethod
    def concat(cls, results: Sequence["CaptureResult"]) -> "CaptureResult":
        """Merge results of the same model and decoding (e.g. chunks of a split) into one.

        Steps and frames are padded to the longest; clip ids must be distinct.
        """
        results = list(results)
        if not results:
            raise M2TError("nothing to merge: no capture results given")
        first = results[0]
        check_mergeable(results)
        ids = [c for r in results for c in r.clip_ids]
        s = max(r.tokens.shape[1] for r in results)
        t = max((r.alpha.shape[2] for r in results if r.alpha is not None), default=0)
        kw = {}
        for name in STEP_ARRAYS:
            parts = [getattr(r, name) for r in results]
            if any(p is None for p in parts):
                kw[name] = None
                continue
            kw[name] = np.concatenate([_pad(p, s, t if name in FRAME_ARRAYS else None, name) for p in parts])
        extra = {}
        for key in first.extra:
            if all(key in r.extra for r in results):
                extra[key] = np.concatenate([_pad(r.extra[key], s, None, key) for r in results])
        meta = dict(first.meta)
        if len({r.meta.get("data_fingerprint") for r in results}) > 1:
            meta["data_fingerprint"] = _combine([str(r.meta.get("data_fingerprint")) for r in results])
        return replace(
            first, clip_ids=ids, lengths=np.concatenate([r.lengths for r in results]), extra=extra,
            scores=None if any(r.scores is None for r in results) else np.concatenate([r.scores for r in results]),
            n_best=None if any(r.n_best is None for r in results) else [h for r in results for h in r.n_best],
            references=(None if any(r.references is None for r in results)
                        else [x for r in results for x in r.references]),
            meta=meta, clip_motion=concat_clip_motion([r.clip_motion for r in results]), **kw,
        )

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write a directory: ``tokens.parquet`` (the token table), ``arrays/NAME.npy`` (one
        uncompressed array per file, so that :meth:`load` can memory-map the large ones) and
        ``meta.json``.

        Written to a temporary directory, then renamed into place. An existing capture at
        ``path`` is replaced; any other existing file or non-empty folder is refused (M2TError)
        unless ``overwrite``.
        """
        return write_dir(path, self.write_files, is_ours=is_capture_dir, kind="capture", overwrite=overwrite,
                         owned=is_capture_file)

    def array_files(self) -> dict[str, np.ndarray]:
        """The arrays :meth:`save` writes, by file stem (``extra.NAME`` for extra hook points)."""
        arrays = {k: getattr(self, k) for k in STEP_ARRAYS if getattr(self, k) is not None}
        arrays["lengths"] = self.lengths
        if self.scores is not None:
            arrays["scores"] = self.scores
        arrays.update({f"extra.{k}": v for k, v in self.extra.items()})
        return arrays

    def write_files(self, folder: Path, table: pd.DataFrame | None = None, written: Sequence[str] = ()) -> None:
        """Write the capture's files into an existing ``folder`` (no atomicity: :meth:`save` wraps
        this). ``written``: array files already there (a streamed capture); ``table``: the token
        table when already computed."""
        (folder / ARRAY_DIR).mkdir(exist_ok=True)
        for name, a in self.array_files().items():
            if name not in written:
                np.save(folder / ARRAY_DIR / f"{name}.npy", np.ascontiguousarray(a), allow_pickle=False)
        (self.to_dataframe() if table is None else table).to_parquet(folder / "tokens.parquet", index=False)
        if self.clip_motion is not None:
            self.clip_motion.to_parquet(folder / CLIP_MOTION_FILE, index=False)
        meta = {
            "format": CAPTURE_FORMAT, "version": CAPTURE_VERSION, "mode": self.mode,
            "clip_ids": self.clip_ids, "vocab": self.vocab, "skeleton": self.skeleton, "fps": self.fps,
            "downsample": self.downsample, "beta_pinned": self.beta_pinned, "n_best": self.n_best,
            "references": self.references, "part_names": list(self.part_names), "meta": self.meta,
        }
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CaptureResult":
        """Read a directory written by :meth:`save` (format version 2 or 3); other formats and
        versions raise M2TError. Arrays of 16 MB or more are memory-mapped read-only, so a whole
        split's capture opens without reading its attention arrays into memory."""
        path = Path(path)
        meta_file = path / "meta.json"
        if not meta_file.is_file():
            raise M2TError(f"{path} is not a saved capture (no meta.json); save one with result.save(DIR)")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise M2TError(f"{meta_file} is not valid JSON ({exc}); capture again") from None
        if not isinstance(meta, dict) or meta.get("format") != CAPTURE_FORMAT:
            raise M2TError(f"{path} is not an m2t-interpret capture (meta.json has format "
                           f"{meta.get('format') if isinstance(meta, dict) else None!r})")
        if meta.get("version") not in READABLE_VERSIONS:
            raise M2TError(f"{path} is a capture of format version {meta.get('version')}; this "
                           f"m2t-interpret ({__version__}) reads versions "
                           f"{', '.join(map(str, READABLE_VERSIONS))}: capture again")
        try:
            if meta["version"] == 2:
                with np.load(path / "arrays.npz", allow_pickle=False) as z:
                    arrays = {k: z[k] for k in z.files}
            else:
                arrays = {f.stem: np.load(f, allow_pickle=False, mmap_mode="r" if f.stat().st_size >= MMAP_BYTES else None)
                          for f in sorted((path / ARRAY_DIR).glob("*.npy"))}
        except (OSError, ValueError) as exc:
            raise M2TError(f"cannot read the arrays of the capture in {path}: {exc}; capture again") from None
        _check_loaded_arrays(path, meta, arrays)
        clip_motion = _load_clip_motion(path, meta)
        extra = {k[len("extra."):]: arrays.pop(k) for k in list(arrays) if k.startswith("extra.")}
        n_best = meta.get("n_best")
        if n_best is not None:
            n_best = [[(list(ids), float(s)) for ids, s in clip] for clip in n_best]
        return cls(
            mode=meta["mode"], clip_ids=list(meta["clip_ids"]), vocab=meta["vocab"], skeleton=meta["skeleton"],
            fps=meta["fps"], downsample=meta["downsample"], beta_pinned=meta.get("beta_pinned"),
            meta=meta.get("meta", {}), n_best=n_best, references=meta.get("references"), extra=extra,
            clip_motion=clip_motion, **arrays,
        )

    # -- notebook view ----------------------------------------------------------------------
    FORMAT = CAPTURE_FORMAT
    KIND = "capture"

    def _html_summary(self) -> str:
        return f"{self.n_clips} clips, {self.n_tokens} tokens, mode={self.mode}, skeleton={self.skeleton}"

    def _html_note(self) -> str:
        return ((f", β̂ pinned to {self.beta_pinned}" if self.beta_pinned is not None else "")
                + ("" if self.captured else ", capture off")
                + ("<br><small>word shading: β̂ (red = looked at the motion); hover for part and "
                   "interval</small>" if self.captured else ""))

    def _html_rows(self, limit: int) -> list[tuple[str, str]]:
        shown = self.select(list(range(min(self.n_clips, limit)))) if self.n_clips > limit else self
        df = shown.to_dataframe()
        rows = []
        for n, (cid, sub) in enumerate(zip(shown.clip_ids, (df[df["clip"] == i] for i in range(shown.n_clips)))):
            cells = []
            for r in sub.itertuples():
                if self.captured:
                    shade = int(255 - 155 * float(r.beta))
                    tip = f"β̂={r.beta:.2f} · {r.top_part} · {r.onset_s:.2f}–{r.offset_s:.2f} s"
                    cells.append(f"<span title='{html.escape(tip)}' style='background:rgb(255,{shade},"
                                 f"{shade});padding:1px 3px;border-radius:3px'>{html.escape(r.word)}</span>")
                else:
                    cells.append(html.escape(str(r.word)))
            ref = ""
            if shown.references and shown.references[n]:
                ref = f"<br><small>ref: {html.escape(shown.references[n][0])}</small>"
            rows.append((cid, " ".join(cells) + ref))
        return rows

    def __repr__(self) -> str:
        return (f"CaptureResult(mode={self.mode!r}, clips={self.n_clips}, tokens={self.n_tokens}, "
                f"captured={self.captured})")


#: Arrays every saved capture holds.
REQUIRED_ARRAYS = ("tokens", "step_mask", "lengths")
#: Number of leading (N, S) axes and total dimensions of each array a capture may hold.
_ARRAY_NDIM = {"tokens": 2, "targets": 2, "step_mask": 2, "log_probs": 2, "mu": 2, "sigma": 2, "beta": 2,
               "logits": 3, "topk_ids": 3, "topk_log_probs": 3, "gamma": 3, "window": 3, "alpha": 4,
               "lengths": 1, "scores": 1}


def _check_loaded_arrays(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """M2TError naming what is missing or wrong when a capture folder's arrays do not make a
    capture: a required array absent, an unknown array, a wrong kind (dtype) or shape, or
    clip and step counts that disagree with each other or with ``meta.json``."""
    where = f"arrays/NAME.npy in {path}" if meta.get("version") != 2 else f"{path / 'arrays.npz'}"
    missing = [k for k in REQUIRED_ARRAYS if k not in arrays]
    if missing:
        names = (", ".join(f"{ARRAY_DIR}/{k}.npy" for k in missing) if meta.get("version") != 2
                 else f"{', '.join(missing)} (in arrays.npz)")
        found = sorted(p.name for p in path.iterdir()
                       if p.name not in ("meta.json", "tokens.parquet", CLIP_MOTION_FILE))
        raise M2TError(f"the capture in {path} is incomplete: {names} missing (found: "
                       f"{', '.join(found) or 'nothing besides meta.json'}); capture again")
    unknown = sorted(k for k in arrays if k not in _ARRAY_NDIM and not k.startswith("extra."))
    if unknown:
        raise M2TError(f"the capture in {path} holds arrays no capture has ({', '.join(unknown)}; {where}); "
                       "capture again or remove them")
    n_clips = len(meta.get("clip_ids") or [])
    lead = None
    for name, a in arrays.items():
        numeric = np.issubdtype(a.dtype, np.number) or a.dtype == bool
        if not numeric:
            raise M2TError(f"array {name} of the capture in {path} holds {a.dtype} values, not numbers; capture again")
        ndim = _ARRAY_NDIM.get(name)
        if ndim is not None and a.ndim != ndim:
            raise M2TError(f"array {name} of the capture in {path} has shape {a.shape}; a capture's {name} has "
                           f"{ndim} axes; capture again")
        if a.ndim == 0 or a.shape[0] != n_clips:
            raise M2TError(f"array {name} of the capture in {path} holds {a.shape[0] if a.ndim else 0} clips but "
                           f"meta.json lists {n_clips}; capture again")
        if name in STEP_ARRAYS:
            if lead is not None and a.shape[:2] != lead:
                raise M2TError(f"arrays of the capture in {path} disagree on the number of steps ({name} has "
                               f"{a.shape[1]}, others {lead[1]}); capture again")
            lead = a.shape[:2]
    if not np.issubdtype(arrays["tokens"].dtype, np.integer) or arrays["step_mask"].dtype != bool:
        raise M2TError(f"the capture in {path} has tokens of type {arrays['tokens'].dtype} and a step mask of type "
                       f"{arrays['step_mask'].dtype} (expected integers and booleans); capture again")


#: How far a part-attention row may sum from 1: α is a float32 softmax over at most a few parts,
#: whose sum is within a few units of 2⁻²⁴ of 1, so 1e-4 flags only values that are wrong.
ALPHA_SUM_TOLERANCE = 1e-4


def check_value_ranges(result: CaptureResult, clips_per_block: int = 64) -> None:
    """M2TError unless the gate β̂ of every caption step lies in [0, 1] and the part attention α is
    in [0, 1] everywhere and sums to 1 over parts on every valid frame of every caption step —
    what any capture satisfies, and a damaged or wrongly written one does not. Reads α a few
    clips at a time, so a memory-mapped capture is never copied whole."""
    if not result.captured:
        return
    for a in range(0, result.n_clips, clips_per_block):
        clips = f"in clips {result.clip_ids[a]} … {result.clip_ids[min(a + clips_per_block, result.n_clips) - 1]}"
        mask = np.asarray(result.step_mask[a: a + clips_per_block])
        beta = np.asarray(result.beta[a: a + clips_per_block])[mask]
        if beta.size and not (beta.min() >= 0 and beta.max() <= 1):  # NaN fails both
            bad = beta[~((beta >= 0) & (beta <= 1))][0]
            raise M2TError(f"a gate value β̂ = {bad:g} lies outside [0, 1] ({clips})")
        alpha = np.asarray(result.alpha[a: a + clips_per_block], dtype=np.float32)
        if alpha.size and not (alpha.min() >= 0 and alpha.max() <= 1 + ALPHA_SUM_TOLERANCE):
            raise M2TError(f"part attention α holds values outside [0, 1] ({clips})")
        valid = mask[:, :, None] & frame_mask(result.lengths[a: a + clips_per_block], alpha.shape[2])[:, None, :]
        off = np.abs(np.einsum("nstk->nst", alpha) - 1)  # einsum: the fastest numpy sum over a short last axis
        worst = off.max(where=valid, initial=0.0)
        if not worst <= ALPHA_SUM_TOLERANCE:
            raise M2TError(f"part attention α sums to 1 ± {worst:g} over parts on some frame, not 1 ({clips})")


def concat_clip_motion(tables: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    """The clip motion tables of merged captures, one after the other (None when one has none)."""
    if not tables or any(t is None for t in tables):
        return None
    return pd.concat(list(tables), ignore_index=True)


def _load_clip_motion(path: Path, meta: dict) -> pd.DataFrame | None:
    """The saved clip motion table (None for a capture without one), checked against the clip ids."""
    file = path / CLIP_MOTION_FILE
    if not file.is_file():
        return None
    try:
        table = pd.read_parquet(file)
    except (OSError, ValueError) as exc:
        raise M2TError(f"cannot read {file}: {exc}; capture again") from None
    if "clip_id" not in table.columns or table["clip_id"].astype(str).tolist() != list(meta.get("clip_ids") or []):
        raise M2TError(f"{file} does not list the capture's clips in order (meta.json's clip_ids); capture again")
    return with_ood_objects(table) if OOD_COLUMN in table.columns else table


def check_mergeable(results: Sequence[CaptureResult]) -> None:
    """Raise M2TError unless the captures come from the same model and decoding and share no clip."""
    first = results[0]
    for r in results[1:]:
        for attr in ("mode", "skeleton", "fps", "downsample", "vocab", "beta_pinned"):
            if getattr(r, attr) != getattr(first, attr):
                raise M2TError(f"cannot merge captures with different {attr}")
        if r.model_fingerprint != first.model_fingerprint:
            raise M2TError("cannot merge captures of different models (model fingerprints differ)")
        if r.meta.get("decoding") != first.meta.get("decoding"):
            raise M2TError("cannot merge captures decoded with different settings")
        if (r.alpha is None) != (first.alpha is None):
            raise M2TError("cannot merge a capture with attention and one without")
    ids = [c for r in results for c in r.clip_ids]
    if len(set(ids)) != len(ids):
        raise M2TError("cannot merge captures that share clip ids")


def is_capture_dir(path: Path) -> bool:
    """True when ``path`` holds a capture written by :meth:`CaptureResult.save` (any version)."""
    return CaptureResult.is_saved(path)


def is_capture_file(relative: str) -> bool:
    """Whether a path inside a capture folder is one a capture (any version) consists of."""
    parts = Path(relative).parts
    return relative in ("meta.json", "tokens.parquet", "arrays.npz", CLIP_MOTION_FILE, CACHE_MANIFEST) or (
        len(parts) == 2 and parts[0] == ARRAY_DIR and parts[1].endswith(".npy"))


def pad_value(name: str, a: np.ndarray):
    """What fills padded steps (and frames) of array ``name``: False, −1 for token ids, <pad> for
    targets, NaN for per-step float scalars, else 0."""
    if a.dtype == bool:
        return False
    if name in ("tokens", "targets", "topk_ids"):
        return -1 if name != "targets" else PAD_ID
    if a.ndim == 2 and np.issubdtype(a.dtype, np.floating):
        return np.nan
    return 0


def _pad(a: np.ndarray, steps: int, frames: int | None, name: str) -> np.ndarray:
    widths = [(0, 0)] * a.ndim
    widths[1] = (0, steps - a.shape[1])
    if frames is not None:
        widths[2] = (0, frames - a.shape[2])
    return np.pad(a, widths, constant_values=pad_value(name, a))


def _combine(parts: Sequence[str]) -> str:

    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


__all__ = ["CaptureResult", "CAPTURE_FORMAT", "CAPTURE_VERSION", "HALF_WIDTH", "time_weighted_parts",
           "peak_parts", "frame_mask", "is_capture_dir"]
