"""The model's decoder step rewritten for inference from its weights, and what it can record.

:class:`FusedStep` computes what :meth:`Captioner.step` computes — the same mathematics, rounding
≈1e−7 apart — with fewer, larger tensor ops and reused workspaces. It serves the authors' beam
search and greedy decoding whenever nothing could observe or replace the step's intermediate
tensors: in eval mode, with no hook registered (:func:`hooks_active`). :class:`StepTrace` keeps
what each step saw (α, γ, Γ, μ, σ, β̂, the top-k and optionally the logits) by row, so a capture
needs no hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from .attention import folded_energy_weights
from .decoder import joined_lstm_weights, lstm_step
from .ops import derived_weights, flat_linear, linear

if TYPE_CHECKING:
    from .network import CaptionerNetwork, Encoded

#: Hook points the fused step can record itself.
TRACED_POINTS = ("alpha", "gamma", "window", "mu", "sigma", "beta")


class StepTrace:
    """What the fused step saw, by row (a beam search's state-pool row, a greedy step's clip and
    step): α, γ, Γ, μ, σ, β̂, the top-k log-probabilities and ids and optionally the logits. The
    rows of a hypothesis then give its capture without replaying it."""

    def __init__(self, top_k: int, keep_logits: bool):
        self.top_k, self.keep_logits = top_k, keep_logits
        self.pools: dict[str, torch.Tensor] = {}

    def _pool(self, name: str, rows: int, like: torch.Tensor, tail: tuple[int, ...]) -> torch.Tensor:
        pool = self.pools.get(name)
        if pool is None or pool.shape[0] < rows:
            grown = like.new_zeros(max(rows, 2 * (0 if pool is None else pool.shape[0]), 64), *tail)
            if pool is not None:
                grown[: pool.shape[0]] = pool
            pool = self.pools[name] = grown
        return pool

    def store(self, first: int, **values: torch.Tensor) -> None:
        """Rows ``first … first + M − 1`` of each named value (M, …)."""
        for name, v in values.items():
            tail = tuple(v.shape[1:])
            self._pool(name, first + v.shape[0], v, tail)[first: first + v.shape[0]] = v

    def gather(self, rows: list[list[int]], names) -> dict[str, torch.Tensor]:
        """Per clip, the rows of its best hypothesis's steps → (N, S, …) tensors, zero-padded."""
        n, s = len(rows), max(1, max(len(r) for r in rows))
        out = {}
        for name in names:
            pool = self.pools[name]
            flat = torch.zeros(n * s, *pool.shape[1:], dtype=pool.dtype, device=pool.device)
            index = [i * s + j for i, r in enumerate(rows) for j in range(len(r))]
            if index:
                src = torch.tensor([x for r in rows for x in r], device=pool.device)
                flat[torch.tensor(index, device=pool.device)] = pool.index_select(0, src)
            out[name] = flat.view(n, s, *pool.shape[1:])
        return out



def hooks_active(model: CaptionerNetwork) -> bool:
    """Whether any hook (on a hook point or global) could read or change the step's tensors."""
    # torch's private hook registry, read only when hooks are asked about
    from torch.nn.modules import module as _module

    if getattr(_module, "_global_forward_hooks", None) or getattr(_module, "_global_forward_pre_hooks", None):
        return True
    return any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def _gate_terms(model: CaptionerNetwork) -> tuple[torch.Tensor, torch.Tensor]:
    """The gate as :class:`FusedStep` computes it, β̂ = σ(w_h·h + [b_h + w_e·Emb(y) + b_e]): w_h
    (H, 1) and the bracket, one value per token (V, 1); kept until a parameter changes."""
    embedding, state, word = model.decoder.embedding.weight, model.gate.state_proj, model.gate.word_proj
    return derived_weights(model, "_fused_gate_terms", (embedding, state.weight, state.bias, word.weight, word.bias),
                           lambda: (state.weight.t(), embedding @ word.weight.t() + word.bias + state.bias))


class FusedStep:
    """:meth:`Captioner.step` for inference, from the model's weights, in fewer and larger ops.

    The same computation as the model's step (REFERENCE §1.4), rearranged so that one step costs
    few tensor ops: each LSTM is one matmul over [input; state] with both biases summed and one
    sigmoid for all four gates; both attention queries are one matmul and both attentions' tanh
    one in-place pass over the concatenated keys (tanh(z) = 2σ(2z) − 1, the affine part folded
    into the score layers; the spatial energies are computed transposed, parts × frames, so the
    softmax over parts runs over whole planes); the gate's word term is a per-token table; the
    linear layers go through :func:`~m2t_interpret.model.ops.flat_linear`. Only float rounding
    differs from the model's step (≈1e−7; the tests compare the two). Used only for inference with
    no hook registered, where nothing can observe or replace the intermediate tensors.
    """

    def __init__(self, model: CaptionerNetwork, enc: Encoded):
        self.gate = model.gate
        self.hidden = model.decoder.bottom_lstm.hidden_size
        self.n_parts = model.spatial_attention.score.weight.shape[0]
        self.attn_dim = model.spatial_attention.query.weight.shape[0]
        self.mixture, self.output = model.decoder.mixture, model.decoder.output
        self.embedding = model.decoder.embedding.weight
        self.w_bottom, self.b_bottom = joined_lstm_weights(model.decoder.bottom_lstm)
        self.w_top, self.b_top = joined_lstm_weights(model.decoder.top_lstm)
        self.w_gate, self.gate_word = _gate_terms(model)
        # The energies as in joint_energies; the spatial scores are computed transposed (parts ×
        # frames), so the softmax over parts runs over whole planes, the temporal ones as a mv.
        self.w_query, self.b_query, score_w, score_b = folded_energy_weights(model.spatial_attention,
                                                                             model.temporal_attention)
        k, d = self.n_parts, self.attn_dim
        self.w_spatial, self.b_spatial = score_w[:k, :d], score_b[:k].unsqueeze(1)  # (6, D), (6, 1)
        self.w_temporal, self.b_temporal = score_w[k, d:], float(score_b[k])  # (D,), scalar

        n, t = enc.frame_mask.shape
        # (N, T, 2D), undoubled: the energies add it with alpha = 2
        self.keys = enc.keys if enc.keys is not None else torch.cat([enc.spatial_keys, enc.temporal_keys], -1)
        self.parts = enc.parts.reshape(n, t * self.n_parts, -1)  # (N, T·6, H), a view
        self.mask = enc.frame_mask.to(self.keys.dtype)  # (N, T)
        self.neg = torch.zeros_like(self.mask).masked_fill_(~enc.frame_mask, float("-inf"))
        self.frames = torch.arange(t, dtype=self.keys.dtype, device=self.keys.device)
        self._rows: tuple[int, ...] | None = None
        self._sel = (self.keys, self.parts, self.mask, self.neg)
        # Reused by every step (a fresh multi-megabyte tensor each step costs page faults).
        self._act = torch.empty_like(self.keys)  # (N, T, 2D)

    def select(self, rows: list[int]) -> None:
        """Make the next steps run on the clips ``rows`` (in this order)."""
        key = tuple(rows)
        if key == self._rows:
            return
        self._rows = key
        if key == tuple(range(self.keys.shape[0])):
            self._sel = (self.keys, self.parts, self.mask, self.neg)
        else:
            idx = torch.tensor(key, device=self.keys.device)
            self._sel = tuple(a.index_select(0, idx) for a in (self.keys, self.parts, self.mask, self.neg))

    def __call__(self, tokens: torch.Tensor, state: torch.Tensor, out_state: torch.Tensor,
                 trace: StepTrace | None = None, first_row: int = 0) -> torch.Tensor:
        """``tokens`` (M,), ``state`` (M, 4H) rows [h, c, h̃, c̃] → logits (M, V); the new state
        is written into ``out_state`` (M, 4H); with ``trace``, α, γ, Γ, μ, σ and β̂ go to its rows
        ``first_row …``."""
        hid = self.hidden
        emb = self.embedding.index_select(0, tokens)  # (M, E)
        h_b, c_b = self.lstm(emb, state[:, :hid], state[:, hid:2 * hid], self.w_bottom, self.b_bottom)
        h_t, c_t = self.lstm(h_b, state[:, 2 * hid:3 * hid], state[:, 3 * hid:], self.w_top, self.b_top)
        torch.cat([h_b, c_b, h_t, c_t], 1, out=out_state)
        alpha, window = self.attend(h_b, trace, first_row)
        context = self.context(alpha, window)
        return self.output_layer(tokens, emb, h_b, h_t, context, trace, first_row)

    def attend(self, h_b: torch.Tensor, trace: StepTrace | None, first_row: int):
        """Both attentions from the bottom state (M, H) → α (6, M, T), zero on padded frames, and
        Γ (M, T)."""
        keys, _, mask, neg = self._sel
        # Both attentions' energies in one pass: σ(2q + 2k) (M·T, 2D).
        q = flat_linear(h_b, self.w_query, self.b_query, pack=True)  # (M, 2D)
        m, t, width = keys.shape
        act = torch.add(q.unsqueeze(1), keys, alpha=2, out=self._act[:m]).sigmoid_().view(m * t, width)
        d, k = self.attn_dim, self.n_parts
        # Spatial: softmax over the parts, zero on padded frames; computed as (6, M, T).
        s = torch.addmm(self.b_spatial, self.w_spatial, act[:, :d].t()).view(k, m, t)
        alpha = s.sub_(s.amax(0)).exp_()
        alpha.mul_(mask / alpha.sum(0))
        # Temporal: softmax over valid frames → μ, σ → Γ.
        e = torch.mv(act[:, d:], self.w_temporal).view(m, t).add_(neg)
        gamma = torch.softmax(e.add_(self.b_temporal), dim=-1)  # (M, T)
        frames = self.frames
        mu = gamma @ frames
        sq = (frames - mu.unsqueeze(1)).square_()
        var = (gamma * sq).sum(-1, keepdim=True)
        if trace is not None:
            trace.store(first_row, alpha=alpha.permute(1, 2, 0), gamma=gamma, mu=mu, sigma=var.sqrt().squeeze(1))
        window = sq.div_(var.mul_(-2)).exp_()  # exp(−(i − μ)² / (2σ²))
        if trace is not None:
            trace.store(first_row, window=window)
        return alpha, window

    def context(self, alpha: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
        """c = Σ_i Γ_i · mean_k α_ik P_ik (M, H) from α (6, M, T) (overwritten) and Γ (M, T)."""
        parts = self._sel[1]
        k, m, t = alpha.shape
        weights = alpha.mul_(window).permute(1, 2, 0).reshape(m, 1, t * k)  # (M, 1, T·6)
        return torch.bmm(weights, parts).view(m, -1).div_(k)

    def output_layer(self, tokens, emb, h_b, h_t, context, trace: StepTrace | None, first_row: int) -> torch.Tensor:
        """The gate β̂, the gated context and the mixture and output layers → logits (M, V)."""
        beta = torch.addmm(self.gate_word.index_select(0, tokens), h_b, self.w_gate).sigmoid_()  # (M, 1)
        if trace is not None:
            trace.store(first_row, beta=beta.squeeze(1))
        motion = linear(self.gate.context_proj, context, "tanh")
        # β̂·tanh(W_c c) + (1 − β̂)·tanh(W_h h̃)
        gated = linear(self.gate.state_out_proj, h_t, "tanh").lerp_(motion, beta)
        mixed = linear(self.mixture, torch.cat([emb, gated, h_b], 1), "tanh")
        return linear(self.output, mixed)

    lstm = staticmethod(lstm_step)
