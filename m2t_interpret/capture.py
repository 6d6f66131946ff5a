"""Per-token capture of where (α over parts), when (γ, Γ, μ, σ over frames) and whether (β̂) the
captioner looked at the motion.

:func:`attention_hooks` registers real forward hooks on the model's spatial-attention, temporal-
attention and gate modules (removed on exit); :func:`run_decode` decodes under those hooks and
packs everything into one :class:`CaptureResult` with ``to_dataframe()``, ``save()``/``load()``
and a notebook view.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import torch

from . import __version__
from .errors import M2TError
from .io import current_umask
from .model.captioner import EOS, PAD, SOS, SPECIAL_TOKENS, Captioner
from .model.decoding import DecodeOutput, beam_search, best_as_captions, forced, greedy, pinned_beta
from .skeletons import DISPLAY_PARTS, get_skeleton

#: Snake-case display names of the parts, in display order (Root, Torso, LeftArm, …).
PART_COLUMNS = ("root", "torso", "left_arm", "right_arm", "left_leg", "right_leg")
DENSE_FIELDS = ("tokens", "targets", "logits", "log_probs", "step_mask", "lengths", "alpha", "gamma",
                "window", "mu", "sigma", "beta")


class AttentionRecorder:
    """Collects the outputs of the attention and gate modules, one entry per module call."""

    def __init__(self) -> None:
        self.alpha: list[torch.Tensor] = []
        self.temporal: list[Any] = []
        self.beta: list[torch.Tensor] = []

    def clear(self) -> None:
        self.alpha.clear()
        self.temporal.clear()
        self.beta.clear()

    def stacked(self) -> dict[str, torch.Tensor]:
        """Concatenate the recorded calls along the step axis (dim 1)."""
        if not self.alpha:
            return {}
        return {
            "alpha": torch.cat(self.alpha, 1),
            "gamma": torch.cat([w.gamma for w in self.temporal], 1),
            "mu": torch.cat([w.mu for w in self.temporal], 1),
            "sigma": torch.cat([w.sigma for w in self.temporal], 1),
            "window": torch.cat([w.window for w in self.temporal], 1),
            "beta": torch.cat(self.beta, 1),
        }


@contextlib.contextmanager
def attention_hooks(model: Captioner) -> Iterator[AttentionRecorder]:
    """Record α, the temporal window and β̂ of every forward call inside the block.

    Example::

        with attention_hooks(model) as rec:
            model(x, lengths, inputs)
        alpha = rec.stacked()["alpha"]  # (N, S, T, 6)
    """
    rec = AttentionRecorder()
    handles = [
        model.spatial_attention.register_forward_hook(lambda m, i, o: rec.alpha.append(o.detach())),
        model.temporal_attention.register_forward_hook(
            lambda m, i, o: rec.temporal.append(type(o)(*(t.detach() for t in o)))
        ),
        model.gate.register_forward_hook(lambda m, i, o: rec.beta.append(o.beta.detach())),
    ]
    try:
        yield rec
    finally:
        for h in handles:
            h.remove()


def run_decode(
    model: Captioner,
    x,
    lengths,
    mode: str = "greedy",
    captions=None,
    max_steps: int | None = None,
    beam_size: int = 2,
    capture: bool = True,
    beta: float | None = None,
    clip_ids: Sequence[str] | None = None,
    n_best: int | None = None,
) -> "CaptureResult":
    """Decode a preprocessed batch (see :meth:`Captioner.decode`) and pack a :class:`CaptureResult`."""
    if mode not in ("greedy", "forced", "beam"):
        raise M2TError(f"unknown decoding mode {mode!r}; use greedy, forced or beam")
    if mode == "forced" and captions is None:
        raise M2TError("forced decoding needs captions=(N, L) token ids starting with <sos>")
    steps = int(max_steps or model.config.max_steps)
    if steps < 1:
        raise M2TError(f"max_steps must be ≥ 1, got {steps}")
    was_training = model.training
    model.eval()
    hooks = attention_hooks(model) if capture else contextlib.nullcontext(None)
    try:
        with torch.inference_mode(), pinned_beta(model, beta):
            enc = model.encode(x, lengths)
            if mode == "beam":
                out = beam_search(model, enc, beam_size, steps, n_best or beam_size)
                # The best hypotheses are re-run as forced decoding: the same inputs give the same
                # attention, without recording every beam.
                with hooks as rec:
                    replay = forced(model, enc, best_as_captions(out.tokens))
                out.logits = replay.logits
            else:
                with hooks as rec:
                    out = greedy(model, enc, steps) if mode == "greedy" else forced(model, enc, captions)
            dense = rec.stacked() if capture else {}
    finally:
        model.train(was_training)
        model.spatial_attention.release_workspace()
        model.temporal_attention.release_workspace()
    lengths_t = enc.frame_mask.sum(1)
    return CaptureResult.from_decode(model, out, dense, lengths_t, mode, clip_ids, beta)


def _np(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.detach().cpu().numpy()


@dataclass
class CaptureResult:
    """Everything one decoding run produced, batch-first and padded over steps.

    Arrays (numpy): ``tokens`` (N, S) generated ids, −1 after a clip's end; ``targets`` (N, S)
    forced mode's caption tokens; ``logits`` (N, S, V); ``log_probs`` (N, S) of each row's word;
    ``step_mask`` (N, S); ``lengths`` (N,) valid model frames; ``alpha`` (N, S, T, 6) spatial
    attention (checkpoint part order); ``gamma`` (N, S, T) softmax over frames; ``window``
    (N, S, T) Γ; ``mu``, ``sigma`` (N, S) model frames; ``beta`` (N, S) gate. Padded steps hold 0
    in arrays and NaN in per-step scalars. Attention arrays are None when capture was off.
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
    alpha: np.ndarray | None = None
    gamma: np.ndarray | None = None
    window: np.ndarray | None = None
    mu: np.ndarray | None = None
    sigma: np.ndarray | None = None
    beta: np.ndarray | None = None
    beta_pinned: float | None = None
    scores: np.ndarray | None = None
    n_best: list[list[tuple[list[int], float]]] | None = None
    meta: dict = field(default_factory=dict)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_decode(cls, model: Captioner, out: DecodeOutput, dense: dict, lengths: torch.Tensor,
                    mode: str, clip_ids, beta_pinned) -> "CaptureResult":
        mask = out.step_mask
        n, s = mask.shape
        if clip_ids is None:
            clip_ids = [str(i) for i in range(n)]
        clip_ids = [str(c) for c in clip_ids]
        if len(clip_ids) != n:
            raise M2TError(f"{len(clip_ids)} clip ids given for {n} clips")
        words = out.targets if out.targets is not None else out.tokens
        log_probs = logits = None
        padded = ~mask
        if out.logits is not None:
            # log p(word) = logit(word) − logsumexp(logits), without materialising log_softmax
            chosen = out.logits.gather(-1, words.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            log_probs = (chosen - torch.logsumexp(out.logits, -1)).masked_fill(padded, float("nan"))
            logits = out.logits.masked_fill(padded.unsqueeze(-1), 0.0) if bool(padded.any()) else out.logits
        arrays: dict[str, np.ndarray | None] = {}
        for name, value in dense.items():
            value = value[:, :s]
            fill = float("nan") if value.ndim == 2 else 0.0
            arrays[name] = _np(value.masked_fill(padded.view(n, s, *([1] * (value.ndim - 2))), fill))
        return cls(
            mode=mode, clip_ids=clip_ids, tokens=_np(out.tokens), step_mask=_np(mask),
            lengths=_np(lengths), vocab=list(model.vocab) if model.vocab else None,
            skeleton=model.skeleton.name, fps=model.skeleton.fps, downsample=model.config.downsample,
            targets=_np(out.targets), logits=_np(logits), log_probs=_np(log_probs),
            beta_pinned=beta_pinned, scores=_np(out.scores), n_best=out.n_best,
            meta={"model": model.metadata.get("name", ""), "package_version": __version__},
            **arrays,
        )

    # -- basic views ------------------------------------------------------------------------
    @property
    def n_clips(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def captured(self) -> bool:
        return self.alpha is not None

    def _word(self, i: int) -> str:
        if self.vocab is None:
            return f"<{i}>"
        return self.vocab[i] if 0 <= i < len(self.vocab) else "<?>"

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
                if i < 0 or i == EOS:
                    break
                if i not in (PAD, SOS):
                    words.append(self._word(int(i)))
            out.append(" ".join(words))
        return out

    def model_frame_to_seconds(self, frame) -> np.ndarray:
        """Model frame index (float ok) → seconds of the original clip (frames 1, 3, 5, … kept)."""
        return (np.asarray(frame, dtype=np.float64) * self.downsample + self.downsample - 1) / self.fps

    def part_names(self) -> tuple[str, ...]:
        """Display names (Root, Torso, LeftArm, …) of the checkpoint columns, in checkpoint order."""
        return get_skeleton(self.skeleton).display_names

    def display_order(self) -> list[int]:
        return list(get_skeleton(self.skeleton).display_order)

    def time_weighted_parts(self) -> np.ndarray:
        """Σ_i Γ_i α_ik / Σ_i Γ_i over valid frames → (N, S, 6), display order."""
        self._need_capture()
        valid = self._frame_mask()[:, None, :]
        w = self.window * valid
        num = np.einsum("nst,nstk->nsk", w, self.alpha)
        den = w.sum(-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
        return out[..., self.display_order()]

    def peak_parts(self) -> np.ndarray:
        """max over valid frames of α_ik·Γ_i → (N, S, 6), display order."""
        self._need_capture()
        prod = self.alpha * (self.window * self._frame_mask()[:, None, :])[..., None]
        return prod.max(axis=2)[..., self.display_order()]

    def spatiotemporal(self, clip: int, step: int) -> np.ndarray:
        """α·Γ for one token: (6, T_valid), rows in display order (the paper's Fig. 7 map)."""
        self._need_capture()
        t = int(self.lengths[clip])
        m = self.alpha[clip, step, :t] * self.window[clip, step, :t, None]
        return m[:, self.display_order()].T

    def _frame_mask(self) -> np.ndarray:
        t = self.alpha.shape[2]
        return np.arange(t)[None, :] < self.lengths[:, None]

    def _need_capture(self) -> None:
        if not self.captured:
            raise M2TError("this result was decoded with capture=False; decode again with capture=True")

    # -- tables -----------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """One row per token with scalar columns (each column is described in docs/user-guide.md)."""
        n_idx, s_idx = np.nonzero(self.step_mask)
        ids = self.word_ids()[n_idx, s_idx].astype(np.int64)
        df = pd.DataFrame({
            "clip": n_idx.astype(np.int64),
            "clip_id": [self.clip_ids[i] for i in n_idx],
            "step": s_idx.astype(np.int64),
            "token_id": ids,
            "word": [self._word(int(i)) for i in ids],
        })
        df["is_special"] = df["token_id"].isin([0, 1, 2, 3]) if self.vocab is None else \
            df["word"].isin(SPECIAL_TOKENS)
        if self.targets is not None:
            pred = self.tokens[n_idx, s_idx]
            df["predicted_id"] = pred
            df["predicted"] = [self._word(int(i)) for i in pred]
        if self.log_probs is not None:
            df["log_prob"] = self.log_probs[n_idx, s_idx].astype(np.float64)
        if self.captured:
            mu, sigma = self.mu[n_idx, s_idx], self.sigma[n_idx, s_idx]
            last = self.lengths[n_idx] - 1
            df["beta"] = self.beta[n_idx, s_idx]
            df["mu"] = mu
            df["sigma"] = sigma
            df["mu_s"] = self.model_frame_to_seconds(mu)
            df["sigma_s"] = sigma * self.downsample / self.fps
            df["onset_s"] = self.model_frame_to_seconds(np.clip(mu - sigma, 0, last))
            df["offset_s"] = self.model_frame_to_seconds(np.clip(mu + sigma, 0, last))
            tw = self.time_weighted_parts()[n_idx, s_idx]
            peak = self.peak_parts()[n_idx, s_idx]
            for j, name in enumerate(PART_COLUMNS):
                df[f"attn_{name}"] = tw[:, j]
            for j, name in enumerate(PART_COLUMNS):
                df[f"peak_{name}"] = peak[:, j]
            df["top_part"] = np.array(DISPLAY_PARTS)[tw.argmax(1)] if len(df) else []
        return df

    def select(self, clips: int | str | Sequence[int | str]) -> "CaptureResult":
        """A result holding only the given clips (by index or clip id)."""
        if isinstance(clips, (int, np.integer, str)):
            clips = [clips]
        idx = []
        for c in clips:
            if isinstance(c, str):
                if c not in self.clip_ids:
                    raise M2TError(f"no clip with id {c!r}; ids: {', '.join(self.clip_ids[:10])}")
                idx.append(self.clip_ids.index(c))
            else:
                if not 0 <= int(c) < self.n_clips:
                    raise M2TError(f"clip index {c} out of range 0..{self.n_clips - 1}")
                idx.append(int(c))
        kw = {name: (None if getattr(self, name) is None else getattr(self, name)[idx])
              for name in DENSE_FIELDS}
        if self.scores is not None:
            kw["scores"] = self.scores[idx]
        return CaptureResult(
            mode=self.mode, clip_ids=[self.clip_ids[i] for i in idx], vocab=self.vocab,
            skeleton=self.skeleton, fps=self.fps, downsample=self.downsample,
            beta_pinned=self.beta_pinned, meta=dict(self.meta),
            n_best=None if self.n_best is None else [self.n_best[i] for i in idx], **kw,
        )

    def tokens_of(self, word: str) -> pd.DataFrame:
        """Rows of :meth:`to_dataframe` whose word is ``word``."""
        df = self.to_dataframe()
        return df[df["word"] == word].reset_index(drop=True)

    def dense(self, clip: int, step: int) -> dict[str, np.ndarray]:
        """Dense arrays of one token: α (T, 6), γ, Γ (T,), on the clip's valid frames."""
        self._need_capture()
        t = int(self.lengths[clip])
        return {"alpha": self.alpha[clip, step, :t], "gamma": self.gamma[clip, step, :t],
                "window": self.window[clip, step, :t]}

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write a directory: ``tokens.parquet`` (the table), ``dense.npz`` (arrays), ``meta.json``.

        Written to a temporary directory first, then renamed into place.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700
        try:
            self.to_dataframe().to_parquet(tmp / "tokens.parquet", index=False)
            arrays = {k: getattr(self, k) for k in DENSE_FIELDS if getattr(self, k) is not None}
            if self.scores is not None:
                arrays["scores"] = self.scores
            np.savez_compressed(tmp / "dense.npz", **arrays)
            meta = {
                "format": "m2t-interpret capture", "version": 1, "mode": self.mode,
                "clip_ids": self.clip_ids, "vocab": self.vocab, "skeleton": self.skeleton,
                "fps": self.fps, "downsample": self.downsample, "beta_pinned": self.beta_pinned,
                "n_best": self.n_best, "meta": self.meta,
            }
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CaptureResult":
        """Read a directory written by :meth:`save`."""
        path = Path(path)
        meta_file = path / "meta.json"
        if not meta_file.exists():
            raise M2TError(f"{path} is not a saved capture (no meta.json); save one with result.save(DIR)")
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        with np.load(path / "dense.npz") as z:
            arrays = {k: z[k] for k in z.files}
        n_best = meta.get("n_best")
        if n_best is not None:
            n_best = [[(list(ids), float(s)) for ids, s in clip] for clip in n_best]
        return cls(
            mode=meta["mode"], clip_ids=meta["clip_ids"], vocab=meta["vocab"], skeleton=meta["skeleton"],
            fps=meta["fps"], downsample=meta["downsample"], beta_pinned=meta.get("beta_pinned"),
            meta=meta.get("meta", {}), n_best=n_best, **arrays,
        )

    # -- notebook view ----------------------------------------------------------------------
    def _repr_html_(self) -> str:
        rows = []
        df = self.to_dataframe()
        for n in range(min(self.n_clips, 20)):
            sub = df[df["clip"] == n]
            cells = []
            for _, r in sub.iterrows():
                if self.captured and not np.isnan(r["beta"]):
                    shade = int(255 - 155 * float(r["beta"]))
                    tip = (f"β̂={r['beta']:.2f} · {r['top_part']} · "
                           f"{r['onset_s']:.2f}–{r['offset_s']:.2f} s")
                    cells.append(f"<span title='{html.escape(tip)}' style='background:rgb(255,{shade},"
                                 f"{shade});padding:1px 3px;border-radius:3px'>{html.escape(r['word'])}</span>")
                else:
                    cells.append(html.escape(str(r["word"])))
            rows.append(f"<tr><td>{html.escape(self.clip_ids[n])}</td><td>{' '.join(cells)}</td></tr>")
        more = f"<p>… {self.n_clips - 20} more clips</p>" if self.n_clips > 20 else ""
        head = (f"<b>CaptureResult</b>: {self.n_clips} clips, {int(self.step_mask.sum())} tokens, "
                f"mode={self.mode}, skeleton={self.skeleton}"
                + (f", β̂ pinned to {self.beta_pinned}" if self.beta_pinned is not None else "")
                + ("" if self.captured else ", capture off")
                + ("<br><small>word shading: β̂ (red = looked at the motion); hover for part and "
                   "interval</small>" if self.captured else ""))
        return f"<div>{head}<table><tr><th>clip</th><th>caption</th></tr>{''.join(rows)}</table>{more}</div>"

    def __repr__(self) -> str:
        return (f"CaptureResult(mode={self.mode!r}, clips={self.n_clips}, tokens={int(self.step_mask.sum())}, "
                f"captured={self.captured})")
