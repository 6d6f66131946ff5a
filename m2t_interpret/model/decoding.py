"""Batched decoding strategies: greedy, forced (teacher-forced on given captions) and beam search.

All functions take an :class:`~m2t_interpret.model.captioner.Encoded` batch (key projections
already done once per clip) and return a :class:`DecodeOutput`, batch-first.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

import torch

from ..errors import M2TError
from .captioner import EOS, PAD, SOS, Captioner, Encoded


@dataclass
class DecodeOutput:
    tokens: torch.Tensor  # (N, S) predicted ids, −1 after each clip's end
    logits: torch.Tensor | None  # (N, S, V)
    step_mask: torch.Tensor  # (N, S) bool, steps that belong to the clip's caption
    targets: torch.Tensor | None = None  # (N, S) forced mode: the caption token each step predicts
    scores: torch.Tensor | None = None  # (N,) beam: length-normalised log-probability of the best
    n_best: list[list[tuple[list[int], float]]] | None = None  # beam: per clip (ids, score), best first


@contextlib.contextmanager
def pinned_beta(model: Captioner, value: float | None) -> Iterator[None]:
    """Pin the gate β̂ to ``value`` inside the block (None leaves the gate free)."""
    if value is not None and not 0.0 <= float(value) <= 1.0:
        raise M2TError(f"beta must lie in [0, 1], got {value}")
    previous = model.gate.beta_override
    model.gate.beta_override = None if value is None else float(value)
    try:
        yield
    finally:
        model.gate.beta_override = previous


def greedy(model: Captioner, enc: Encoded, max_steps: int) -> DecodeOutput:
    """Argmax decoding; stops when every clip has emitted <eos> or after ``max_steps`` steps.

    A clip that has ended keeps being fed its argmax (as the released model does), so the other
    clips' outputs do not depend on batch composition.
    """
    n = enc.parts.shape[0]
    device = enc.parts.device
    inputs = torch.full((n,), SOS, dtype=torch.long, device=device)
    ended = torch.zeros(n, dtype=torch.bool, device=device)
    tokens, logits, valid = [], [], []
    state = None
    for _ in range(max_steps):
        out, state = model.step(enc, inputs, state)
        step_logits = out.logits[:, 0]
        nxt = step_logits.argmax(-1)
        valid.append(~ended)
        tokens.append(torch.where(ended, torch.full_like(nxt, -1), nxt))
        logits.append(step_logits)
        ended = ended | (nxt == EOS)
        if bool(ended.all()):
            break
        inputs = nxt
    mask = torch.stack(valid, 1)
    return DecodeOutput(torch.stack(tokens, 1), torch.stack(logits, 1), mask)


def forced(model: Captioner, enc: Encoded, captions: torch.Tensor) -> DecodeOutput:
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


def beam_search(model: Captioner, enc: Encoded, beam_size: int, max_steps: int, n_best: int) -> DecodeOutput:
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
