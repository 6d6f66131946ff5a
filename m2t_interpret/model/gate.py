"""Adaptive gate β̂: how much of the motion context enters the word prediction (REFERENCE §1.4)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .hooks import HookPoint
from .ops import linear


class GatedContext(NamedTuple):
    context: torch.Tensor  # (N, S, D) ĉ
    beta: torch.Tensor  # (N, S) β̂


class AdaptiveGate(nn.Module):
    """β̂ = σ(w_h·h_t + w_e·Emb(y_{t−1})); ĉ = β̂ tanh(W_c c_t) + (1 − β̂) tanh(W_h h̃_t).

    The embedding fed to the gate has no dropout (the released model's behaviour). β̂ and both
    terms of ĉ are hook points (``beta``, ``gate_motion``, ``gate_state``): replacing ``beta``
    pins the gate (the paper's β̂ = 1 ablation, Table 3).
    """

    def __init__(self, hidden: int, embed_dim: int, attn_dim: int):
        super().__init__()
        self.state_proj = nn.Linear(hidden, 1)
        self.word_proj = nn.Linear(embed_dim, 1)
        self.context_proj = nn.Linear(hidden, attn_dim)
        self.state_out_proj = nn.Linear(hidden, attn_dim)
        self.hook_beta = HookPoint("beta")
        self.hook_gate_motion = HookPoint("gate_motion")
        self.hook_gate_state = HookPoint("gate_state")

    def forward(
        self, h: torch.Tensor, emb: torch.Tensor, context: torch.Tensor, h_top: torch.Tensor
    ) -> GatedContext:
        """``h``, ``h_top``, ``context`` (N, S, H), ``emb`` (N, S, E) → :class:`GatedContext`."""
        beta = self.hook_beta(torch.sigmoid(self.state_proj(h) + self.word_proj(emb)).squeeze(-1))
        b = beta.unsqueeze(-1)
        motion = self.hook_gate_motion(b * linear(self.context_proj, context, "tanh"))
        language = self.hook_gate_state((1 - b) * linear(self.state_out_proj, h_top, "tanh"))
        return GatedContext(motion + language, beta)
