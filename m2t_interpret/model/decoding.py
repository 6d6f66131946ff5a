"""Batched decoding strategies — greedy, forced (on given captions), beam search and the authors'
best-first beam search — and :func:`decode`, which runs one under the hook points and packs a
:class:`~m2t_interpret.result.CaptureResult`.

The strategies take a network (:class:`~m2t_interpret.model.network.CaptionerNetwork`) and an
:class:`~m2t_interpret.model.network.Encoded` batch (key projections already done once per clip)
and return a :class:`~m2t_interpret.model.decode_output.DecodeOutput`, batch-first.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import torch

from .._version import __version__
from ..errors import M2TError
from ..result import CaptureResult
from ..tokens import EOS_ID as EOS
from ..tokens import PAD_ID as PAD
from ..tokens import SOS_ID as SOS
from .authors_beam import authors_beam_search
from .decode_output import DecodeOutput
from .fused_step import TRACED_POINTS, FusedStep, StepTrace, hooks_active
from .hooks import ATTENTION_POINTS, Replacement, hooks

if TYPE_CHECKING:
    from .network import CaptionerNetwork, Encoded

#: Decoding modes of :func:`decode`.
MODES = ("greedy", "forced", "beam", "authors_beam")


#: Scratch buffers up to this size stay allocated between decode calls.
KEEP_WORKSPACE_BYTES = 256 * 2**20


def _step_summary(step_logits: torch.Tensor, k: int):
    """(N, V) logits → the argmax (N,), its log-probability (N,) and the top-k (N, k) log-probs
    and ids, all from one top-k: the top-1 is the argmax unless it ties with the second (then
    ``argmax`` decides, for its first-index rule) and the maximum shifts the log-sum-exp."""
    logits = step_logits.float()
    val, idx = logits.topk(min(max(k, 2), logits.shape[-1]), dim=-1)
    top = val[:, :1]
    tied = val.shape[1] < 2 or bool((val[:, 1] == val[:, 0]).any())
    chosen = logits.argmax(-1) if tied else idx[:, 0]
    lse = (logits - top).exp_().sum(-1, keepdim=True).log_().add_(top)
    return chosen, (val[:, 0:1] - lse).squeeze(-1), (val - lse)[:, :k], idx[:, :k]


def greedy(model: CaptionerNetwork, enc: Encoded, max_steps: int, keep_logits: bool = True, top_k: int = 5,
           trace: Sequence[str] = ()) -> DecodeOutput:
    """Argmax decoding; stops when every clip has emitted <eos> or after ``max_steps`` steps.

    A clip that has ended keeps being fed its argmax (as the released model does), so the other
    clips' outputs do not depend on batch composition. Without ``keep_logits`` only each step's
    word log-probability and top-k are kept, so memory does not grow with the vocabulary.

    For inference (eval mode, no autograd, no hook registered), the steps run as
    :class:`FusedStep`, which also records the hook points in ``trace`` (names among
    :data:`TRACED_POINTS`) into ``recorded`` (N, S, …); otherwise they run through
    :meth:`Captioner.step` and ``recorded`` stays None.
    """
    n = enc.parts.shape[0]
    device = enc.parts.device
    fusable = not (model.training or torch.is_grad_enabled() or hooks_active(model))
    step = _FusedGreedySteps(model, enc, trace) if fusable else _ModelSteps(model, enc)
    inputs = torch.full((n,), SOS, dtype=torch.long, device=device)
    ended = torch.zeros(n, dtype=torch.bool, device=device)
    tokens, logits, valid, summaries = [], [], [], []
    for _ in range(max_steps):
        step_logits = step(inputs)
        if keep_logits:
            nxt = step_logits.argmax(-1)
            logits.append(step_logits)
        else:
            nxt, *summary = _step_summary(step_logits, top_k)
            summaries.append(summary)
        valid.append(~ended)
        tokens.append(torch.where(ended, torch.full_like(nxt, -1), nxt))
        ended = ended | (nxt == EOS)
        if bool(ended.all()):
            break
        inputs = nxt
    mask = torch.stack(valid, 1)
    if keep_logits:
        out = DecodeOutput(torch.stack(tokens, 1), torch.stack(logits, 1), mask)
    else:
        chosen, top_val, top_idx = (torch.stack(parts, 1) for parts in zip(*summaries))
        out = DecodeOutput(torch.stack(tokens, 1), None, mask, log_probs=chosen, topk=(top_val, top_idx))
    out.recorded = step.recorded(len(tokens))
    return out


class _ModelSteps:
    """Greedy steps through :meth:`Captioner.step` (hooks see and may replace every tensor)."""

    def __init__(self, model: CaptionerNetwork, enc: Encoded):
        self.model, self.enc, self.state = model, enc, None

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        out, self.state = self.model.step(self.enc, inputs, self.state)
        return out.logits[:, 0]

    def recorded(self, steps: int) -> None:
        return None


class _FusedGreedySteps:
    """Greedy steps through :class:`FusedStep`, step t's attention kept as trace rows t·N … t·N + N − 1."""

    def __init__(self, model: CaptionerNetwork, enc: Encoded, trace: Sequence[str]):
        unknown = sorted(set(trace) - set(TRACED_POINTS))
        if unknown:
            raise M2TError(f"fused greedy decoding cannot record {', '.join(unknown)}")
        self.fused, self.names, self.n, self.t = FusedStep(model, enc), tuple(trace), enc.parts.shape[0], 0
        self.trace = StepTrace(0, False) if self.names else None
        self.state = enc.parts.new_zeros(self.n, 4 * model.config.hidden)  # [h, c, h̃, c̃]
        self.spare = torch.empty_like(self.state)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        logits = self.fused(inputs, self.state, self.spare, self.trace, self.t * self.n)
        self.state, self.spare = self.spare, self.state
        self.t += 1
        return logits

    def recorded(self, steps: int) -> dict[str, torch.Tensor]:
        if self.trace is None:
            return {}
        # rows t·N + i: each pool viewed (S, N, …) is the recording, steps first
        return {name: self.trace.pools[name][: steps * self.n].view(steps, self.n, *self.trace.pools[name].shape[1:])
                .transpose(0, 1).contiguous() for name in self.names}


def forced(model: CaptionerNetwork, enc: Encoded, captions: torch.Tensor) -> DecodeOutput:
    """Feed the given caption: step t's input is token t; runs L−1 steps in one parallel pass.

    ``captions`` (N, L) ids starting with <sos>, <pad>-padded. A step belongs to the clip while
    the token it must predict is not <pad>.
    """
    captions = torch.as_tensor(captions, dtype=torch.long, device=enc.parts.device)
    if captions.ndim != 2 or captions.shape[0] != enc.parts.shape[0] or captions.shape[1] < 2:
        raise M2TError(
            f"forced decoding needs captions of shape (N={enc.parts.shape[0]}, L≥2) starting with "
            f"<sos>, got {tuple(captions.shape)}"
        )
    if bool((captions[:, 0] != SOS).any()):
        raise M2TError("forced decoding needs every caption to start with <sos> (id 1)")
    vocab_size = model.config.vocab_size
    if int(captions.min()) < 0 or int(captions.max()) >= vocab_size:
        raise M2TError(f"caption token ids must lie in 0..{vocab_size - 1}")
    emb, h, h_top, _ = model.decoder.states(captions[:, :-1])
    out = model.attend(enc, emb, h, h_top)
    targets = captions[:, 1:]
    mask = targets != PAD
    pred = out.logits.argmax(-1)
    return DecodeOutput(torch.where(mask, pred, torch.full_like(pred, -1)), out.logits, mask, targets=targets)


def beam_search(model: CaptionerNetwork, enc: Encoded, beam_size: int, max_steps: int, n_best: int) -> DecodeOutput:
    """Beam search batched over clips and beams, ranked by length-normalised log-probability.

    A clip stops once ``beam_size`` hypotheses have ended with <eos> (an <eos> counts only when it
    ranks inside the top ``beam_size`` candidates); at ``max_steps`` the live beams are added
    unfinished. Beam size 1 is greedy decoding. Returns the best hypothesis per clip as
    ``tokens`` and up to ``n_best`` (ids, score) per clip; logits are filled in by the caller.
    """
    if beam_size < 1:
        raise M2TError(f"beam size must be ≥ 1, got {beam_size}")
    n = enc.parts.shape[0]
    k = beam_size
    device = enc.parts.device
    rows = torch.arange(n, device=device).repeat_interleave(k)
    enc_b = enc.index_select(rows)
    scores = torch.full((n, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    seqs = torch.zeros((n, k, 0), dtype=torch.long, device=device)
    inputs = torch.full((n * k,), SOS, dtype=torch.long, device=device)
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(n)]
    done = [False] * n
    state = None
    base = (torch.arange(n, device=device) * k).unsqueeze(1)
    for t in range(max_steps):
        out, state = model.step(enc_b, inputs, state)
        logp = torch.log_softmax(out.logits[:, 0].float(), -1)
        vocab = logp.shape[-1]
        cand = (scores.unsqueeze(-1) + logp.view(n, k, vocab)).view(n, k * vocab)
        top_val, top_idx = cand.topk(min(2 * k, k * vocab), dim=-1)
        top_val, top_idx = top_val.tolist(), top_idx.tolist()
        new_scores = torch.full((n, k), float("-inf"), device=device)
        new_beam = torch.zeros((n, k), dtype=torch.long)
        new_tok = torch.full((n, k), PAD, dtype=torch.long)
        seq_list = seqs.tolist()
        for i in range(n):
            if done[i]:
                continue
            live = 0
            for rank, (val, idx) in enumerate(zip(top_val[i], top_idx[i])):
                if val == float("-inf"):
                    break
                b, tok = divmod(idx, vocab)
                if tok == EOS:
                    if rank < k:
                        finished[i].append((val / (t + 1), seq_list[i][b] + [EOS]))
                    continue
                if live < k:
                    new_scores[i, live], new_beam[i, live], new_tok[i, live] = val, b, tok
                    live += 1
            if len(finished[i]) >= k:
                done[i] = True
                new_scores[i] = float("-inf")
        if all(done):
            break
        new_beam, new_tok = new_beam.to(device), new_tok.to(device)
        seqs = torch.cat([torch.gather(seqs, 1, new_beam.unsqueeze(-1).expand(-1, -1, seqs.shape[2])),
                          new_tok.unsqueeze(-1)], dim=2)
        scores = new_scores
        order = (base + new_beam).view(-1)
        state = tuple((hc[0].index_select(1, order), hc[1].index_select(1, order)) for hc in state)
        inputs = new_tok.view(-1)
    steps_run = seqs.shape[2]
    for i in range(n):
        if not done[i]:
            for b in range(k):
                if scores[i, b] > float("-inf"):
                    finished[i].append((float(scores[i, b]) / max(steps_run, 1), seqs[i, b].tolist()))
    ranked = [sorted(f, key=lambda h: -h[0]) for f in finished]
    best = [r[0][1] for r in ranked]
    width = max(len(b) for b in best)
    tokens = torch.full((n, width), -1, dtype=torch.long, device=device)
    for i, b in enumerate(best):
        tokens[i, : len(b)] = torch.tensor(b, device=device)
    return DecodeOutput(
        tokens=tokens,
        logits=None,
        step_mask=tokens >= 0,
        scores=torch.tensor([r[0][0] for r in ranked]),
        n_best=[[(ids, s) for s, ids in r[:n_best]] for r in ranked],
    )


def best_as_captions(tokens: torch.Tensor) -> torch.Tensor:
    """Beam output tokens (N, S), −1 padded → forced-decoding captions (N, S+1) with <sos>."""
    caps = torch.where(tokens < 0, torch.full_like(tokens, PAD), tokens)
    sos = torch.full((tokens.shape[0], 1), SOS, dtype=tokens.dtype, device=tokens.device)
    return torch.cat([sos, caps], dim=1)


# ---------------------------------------------------------------------------------------------
# decode: a strategy under the hook points → CaptureResult
# ---------------------------------------------------------------------------------------------

def generate(model: CaptionerNetwork, enc: "Encoded", mode: str = "greedy", captions=None, max_steps: int = 40,
             beam_size: int = 2, n_best: int | None = None, keep_logits: bool = True, top_k: int = 5) -> DecodeOutput:
    """Run one decoding strategy on an encoded batch (no capture, no packing)."""
    if mode == "greedy":
        return greedy(model, enc, max_steps, keep_logits=keep_logits, top_k=top_k)
    if mode == "forced":
        if captions is None:
            raise M2TError("forced decoding needs captions=(N, L) token ids starting with <sos>")
        return forced(model, enc, captions)
    if mode == "beam":
        return beam_search(model, enc, beam_size, max_steps, n_best or beam_size)
    if mode == "authors_beam":
        return authors_beam_search(model, enc, beam_size, max_steps)
    raise M2TError(f"unknown decoding mode {mode!r}; use one of: {', '.join(MODES)}")


def tensor_fingerprint(*tensors: torch.Tensor) -> str:
    """A short content hash of tensors (shape, dtype and values)."""
    h = hashlib.sha256()
    for t in tensors:
        a = t.detach().cpu().contiguous()
        h.update(f"{tuple(a.shape)}{a.dtype}".encode())
        h.update(a.numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class DecodeSettings:
    """Every option of :func:`decode` (and :meth:`Captioner.decode
    <m2t_interpret.model.captioner.Captioner.decode>`), declared once: what to decode and how.

    Attributes:
        mode: "greedy"; "forced" (needs ``captions`` (N, L) ids starting with <sos>; runs L−1
            steps); "beam" (synchronous batched beam of ``beam_size``, length-normalised
            log-probability); "authors_beam" (the authors' best-first search, reproduced exactly).
        captions: (N, L) token ids for forced decoding.
        max_steps: most decoding steps (default ``config.max_steps``; 100 for "authors_beam").
        beam_size: beam width of the beam modes.
        capture: record the hook points in ``record`` (default α, γ, μ, σ, Γ, β̂); off: tokens
            and log-probabilities only.
        beta: pin β̂ to this constant (1.0: the paper's Table 3 ablation); shorthand for
            ``replace={"beta": beta}``.
        clip_ids: names for the clips in the result.
        n_best: hypotheses kept per clip in beam mode (default ``beam_size``).
        record: hook-point names to record (any of :data:`~m2t_interpret.model.hooks.HOOK_POINTS`).
        replace: hook-point name → constant, tensor or function; e.g. zero a body part with
            ``{"alpha": lambda a: a * mask}``.
        keep_logits: keep the full (N, S, V) logits (the top-k and the chosen word's
            log-probability are always kept).
        top_k: how many most likely words to keep per step.
        data_fingerprint: recorded in ``meta`` (default: a hash of ``x`` and ``lengths``).
        references: reference captions per clip, kept in the result.
    """

    mode: str = "greedy"
    captions: torch.Tensor | None = None
    max_steps: int | None = None
    beam_size: int = 2
    capture: bool = True
    beta: float | None = None
    clip_ids: Sequence[str] | None = None
    n_best: int | None = None
    record: Sequence[str] | None = None
    replace: Mapping[str, Replacement] | None = None
    keep_logits: bool = True
    top_k: int = 5
    data_fingerprint: str | None = None
    references: Sequence[Sequence[str]] | None = None

    @classmethod
    def of(cls, settings: DecodeSettings | None = None, **options) -> DecodeSettings:
        """``settings`` (default: every default) with ``options`` changed: the keywords of
        :func:`decode`, checked as Python checks keywords."""
        if settings is not None and not isinstance(settings, cls):
            raise TypeError(f"settings must be a DecodeSettings, got {type(settings).__name__}")
        unknown = sorted(set(options) - {f.name for f in fields(cls)})
        if unknown:
            raise TypeError(f"decode() got an unexpected keyword argument {unknown[0]!r}")
        return replace(settings or cls(), **options)


def with_settings_keywords(function):
    """Show ``function``'s ``**options`` as the keyword parameters they stand for (the fields of
    :class:`DecodeSettings`), so that ``help()``, notebooks and editors list them."""
    signature = inspect.signature(function)
    params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
               for f in fields(DecodeSettings)]
    function.__signature__ = signature.replace(parameters=params)
    return function


@with_settings_keywords
def decode(model: CaptionerNetwork, x, lengths, settings: DecodeSettings | None = None, **options) -> CaptureResult:
    """See :meth:`Captioner.decode`: ``settings`` and the keyword ``options`` (fields of
    :class:`DecodeSettings`) say what to decode and how."""
    s = DecodeSettings.of(settings, **options)
    mode = s.mode
    if mode not in MODES:
        raise M2TError(f"unknown decoding mode {mode!r}; use one of: {', '.join(MODES)}")
    if mode == "forced" and s.captions is None:
        raise M2TError("forced decoding needs captions=(N, L) token ids starting with <sos>")
    # The authors' search has no length cap of its own (its expansion budget bounds the depth at
    # 100 tokens), so its default cap is 100, which never binds.
    steps = int(s.max_steps or (100 if mode == "authors_beam" else model.config.max_steps))
    if steps < 1:
        raise M2TError(f"max_steps must be ≥ 1, got {steps}")
    if mode in ("beam", "authors_beam") and int(s.beam_size) < 1:
        raise M2TError(f"beam size must be ≥ 1, got {s.beam_size}")
    replace_points = dict(s.replace or {})
    if s.beta is not None:
        if not 0.0 <= float(s.beta) <= 1.0:
            raise M2TError(f"beta must lie in [0, 1], got {s.beta}")
        replace_points["beta"] = float(s.beta)
    names = tuple(dict.fromkeys(s.record if s.record is not None else ATTENTION_POINTS)) if s.capture else ()
    was_training = model.training
    if was_training:  # eval() walks every submodule: skipped when there is nothing to switch
        model.eval()
    try:
        with torch.inference_mode(), hooks(model, replace=replace_points):
            enc = model.encode(x, lengths, reuse_buffers=True)
            out = None
            if mode == "greedy" and set(names) <= set(TRACED_POINTS) and not hooks_active(model):
                # The fused step records what each step saw: no hooks needed.
                out = greedy(model, enc, steps, keep_logits=s.keep_logits, top_k=s.top_k, trace=names)
            elif mode == "authors_beam" and set(names) <= set(TRACED_POINTS):
                # The search keeps what each expansion saw, so its best captions need no replay.
                out = authors_beam_search(model, enc, int(s.beam_size), steps, trace=names, top_k=s.top_k,
                                          keep_logits=s.keep_logits)
                if out.recorded is None:
                    out = None  # a hook rules the traced search out: replay below
            if out is not None:
                recorded = out.recorded
            elif mode in ("beam", "authors_beam"):
                out = generate(model, enc, mode, max_steps=steps, beam_size=int(s.beam_size), n_best=s.n_best)
                # Replaying the best hypotheses as forced decoding gives the same attention as the
                # search saw, without recording every hypothesis.
                with hooks(model, record=names) as rec:
                    replay = forced(model, enc, best_as_captions(out.tokens))
                out.logits = replay.logits
                recorded = rec.stacked()
            else:
                with hooks(model, record=names) as rec:
                    out = generate(model, enc, mode, captions=s.captions, max_steps=steps, keep_logits=s.keep_logits,
                                   top_k=s.top_k)
                recorded = rec.stacked()
    finally:
        if was_training:
            model.train()
        # Kept for the next call (a split capture decodes chunk after chunk) unless large.
        model.release_workspace(above_bytes=KEEP_WORKSPACE_BYTES)
    decoding = {"mode": mode, "max_steps": steps, "beam_size": int(s.beam_size) if "beam" in mode else None,
                "beta": None if s.beta is None else float(s.beta),
                "replaced": sorted(k for k in replace_points if k != "beta" or s.beta is None)}
    meta = {
        "model": model.metadata.get("name", ""),
        "model_fingerprint": model.fingerprint(),
        "data_fingerprint": s.data_fingerprint or tensor_fingerprint(torch.as_tensor(x), torch.as_tensor(lengths)),
        "decoding": decoding,
        "package_version": __version__,
        "motion_corpus": model.motion_corpus,
    }
    return pack(model, out, recorded, enc.frame_mask.sum(1), s, meta)


def _np(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.detach().cpu().numpy()


def pack(model: CaptionerNetwork, out: DecodeOutput, recorded: dict, lengths: torch.Tensor, settings: DecodeSettings,
         meta: dict) -> CaptureResult:
    """Decoder output and recorded hook points → :class:`CaptureResult` (padded steps masked);
    ``settings`` gives the mode, the clip ids, the references, β̂ pinned and what to keep."""
    clip_ids, references, top_k = settings.clip_ids, settings.references, settings.top_k
    keep_logits = settings.keep_logits
    mask = out.step_mask
    n, s = mask.shape
    clip_ids = [str(i) for i in range(n)] if clip_ids is None else [str(c) for c in clip_ids]
    if len(clip_ids) != n:
        raise M2TError(f"{len(clip_ids)} clip ids given for {n} clips")
    if references is not None and len(references) != n:
        raise M2TError(f"{len(references)} reference lists given for {n} clips")
    words = out.targets if out.targets is not None else out.tokens
    padded = ~mask
    arrays: dict[str, np.ndarray | None] = {}
    if out.logits is None and out.log_probs is not None:
        arrays["log_probs"] = _np(out.log_probs.masked_fill(padded, float("nan")))
        if out.topk is not None and top_k > 0:
            val, idx = out.topk
            arrays["topk_log_probs"] = _np(val.masked_fill(padded.unsqueeze(-1), float("nan")))
            arrays["topk_ids"] = _np(idx.masked_fill(padded.unsqueeze(-1), -1).to(torch.int32))
    if out.logits is not None:
        logits = out.logits[:, :s].float()
        lse = torch.logsumexp(logits, -1, keepdim=True)
        chosen = logits.gather(-1, words.clamp(min=0).unsqueeze(-1))
        arrays["log_probs"] = _np((chosen - lse).squeeze(-1).masked_fill(padded, float("nan")))
        k = min(int(top_k), logits.shape[-1])
        if k > 0:
            val, idx = logits.topk(k, dim=-1)
            arrays["topk_log_probs"] = _np((val - lse).masked_fill(padded.unsqueeze(-1), float("nan")))
            arrays["topk_ids"] = _np(idx.masked_fill(padded.unsqueeze(-1), -1).to(torch.int32))
        if keep_logits:
            arrays["logits"] = _np(logits.masked_fill(padded.unsqueeze(-1), 0.0) if bool(padded.any()) else logits)
    captured, extra = {}, {}
    for name, value in recorded.items():
        value = value[:, :s]
        fill = float("nan") if value.ndim == 2 and value.is_floating_point() else 0
        value = _np(value.masked_fill(padded.view(n, s, *([1] * (value.ndim - 2))), fill))
        if name in ("alpha", "gamma", "window", "mu", "sigma", "beta"):
            captured[name] = value
        elif name != "logits" or not keep_logits:
            extra[name] = value
    return CaptureResult(
        mode=settings.mode, clip_ids=clip_ids, tokens=_np(out.tokens), step_mask=_np(mask), lengths=_np(lengths),
        vocab=list(model.vocab) if model.vocab else None, skeleton=model.skeleton.name, fps=model.skeleton.fps,
        downsample=model.config.downsample, targets=_np(out.targets), beta_pinned=settings.beta,
        scores=_np(out.scores), n_best=out.n_best, extra=extra, meta=meta,
        references=None if references is None else [list(r) for r in references],
        **arrays, **captured,
    )
