"""Adaptive gate β̂: how much of the motion context enters the word prediction (REFERENCE §1.4)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class GatedContext(NamedTuple):
    context: torch.Tensor  # (N, S, D) ĉ
    beta: torch.Tensor  # (N, S) β̂


class AdaptiveGate(nn.Module):
    """β̂ = σ(w_h·h_t + w_e·Emb(y_{t−1})); ĉ = β̂ tanh(W_c c_t) + (1 − β̂) tanh(W_h h̃_t).

    The embedding fed to the gate has no dropout (the released model's behaviour).
    ``beta_override`` pins β̂ to a constant (the paper's β̂ = 1 ablation, Table 3).
    """

    def __init__(self, hidden: int, embed_dim: int, attn_dim: int):
        super().__init__()
        self.state_proj = nn.Linear(hidden, 1)
        self.word_proj = nn.Linear(embed_dim, 1)
        self.context_proj = nn.Linear(hidden, attn_dim)
        self.state_out_proj = nn.Linear(hidden, attn_dim)
        self.beta_override: float | None = None

    def forward(
        self, h: torch.Tensor, emb: torch.Tensor, context: torch.Tensor, h_top: torch.Tensor
    ) -> GatedContext:
        """``h``, ``h_top``, ``context`` (N, S, H), ``emb`` (N, S, E) → :class:`GatedContext`."""
        beta = torch.sigmoid(self.state_proj(h) + self.word_proj(emb)).squeeze(-1)
        if self.beta_override is not None:
            beta = torch.full_like(beta, float(self.beta_override))
        b = beta.unsqueeze(-1)
        mixed = b * torch.tanh(self.context_proj(context)) + (1 - b) * torch.tanh(self.state_out_proj(h_top))
        return GatedContext(mixed, beta)
