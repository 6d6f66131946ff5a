"""Part encoder: each body part's positions and velocities → a per-frame feature (REFERENCE §1.4)."""

from __future__ import annotations

import torch
from torch import nn

from ..skeletons import Skeleton
from .ops import linear


class PartEncoder(nn.Module):
    """Six two-layer tanh MLPs over positions and six over velocities, one pair per body part.

    For part k and frame i: p = tanh(W2 tanh(W1 x_k)), q = tanh(V2 tanh(V1 v_k)) with
    v_i = x_i − x_{i−1} (v_0 = 0) on the root-relative input; P_{i,k} = [p; q] ∈ R^H.
    """

    def __init__(self, skeleton: Skeleton, hidden: int, attn_dim: int):
        super().__init__()
        if hidden % 2:
            raise ValueError("hidden size must be even (position and velocity halves)")
        self.parts = [list(p) for p in skeleton.parts]
        self.position_in = nn.ModuleList(nn.Linear(3 * len(p), attn_dim) for p in self.parts)
        self.position_out = nn.ModuleList(nn.Linear(attn_dim, hidden // 2) for _ in self.parts)
        self.velocity_in = nn.ModuleList(nn.Linear(3 * len(p), attn_dim) for p in self.parts)
        self.velocity_out = nn.ModuleList(nn.Linear(attn_dim, hidden // 2) for _ in self.parts)
        for k, joints in enumerate(self.parts):
            idx = torch.tensor([3 * j + a for j in joints for a in range(3)])
            self.register_buffer(f"_index_{k}", idx, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (N, T, J·3) → part features P (N, T, 6, H)."""
        v = velocities(x)
        return torch.stack([self.part_features(k, x, v) for k in range(len(self.parts))], dim=-2)

    def part_features(self, k: int, x: torch.Tensor, v: torch.Tensor,
                      out: torch.Tensor | None = None) -> torch.Tensor:
        """Part ``k``'s features [p; q] (…, H) from positions ``x`` and velocities ``v`` (…, J·3),
        written into ``out`` (…, H) when given."""
        idx = getattr(self, f"_index_{k}")
        p = _mlp(self.position_in[k], self.position_out[k], x.index_select(-1, idx))
        q = _mlp(self.velocity_in[k], self.velocity_out[k], v.index_select(-1, idx))
        if out is None:
            return torch.cat([p, q], dim=-1)
        return torch.cat([p, q], dim=-1, out=out)


def velocities(x: torch.Tensor) -> torch.Tensor:
    """v_i = x_i − x_{i−1}, v_0 = 0 over the frame axis of (N, T, F)."""
    v = torch.zeros_like(x)
    v[:, 1:] = x[:, 1:] - x[:, :-1]
    return v


def _mlp(first: nn.Linear, second: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """tanh(W2 tanh(W1 x + b1) + b2)."""
    return linear(second, linear(first, x, "tanh"), "tanh")


def flatten_parts(parts: torch.Tensor) -> torch.Tensor:
    """P (N, T, 6, H) → R (N, T, 6H) in the checkpoint's hidden-major order (index h·6 + k)."""
    n, t, k, h = parts.shape
    return parts.transpose(2, 3).reshape(n, t, h * k)
