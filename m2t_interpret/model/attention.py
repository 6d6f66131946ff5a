"""Spatial attention over body parts and Gaussian temporal attention over frames (REFERENCE §1.4).

Both are additive (Bahdanau) attentions whose key projections depend only on the motion, so
:meth:`project_keys` runs once per clip and every decoding step reuses the result.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn


def project_part_keys(layer: nn.Linear, parts: torch.Tensor) -> torch.Tensor:
    """``layer`` applied to R, the checkpoint's hidden-major flattening of P (index h·6 + k).

    Instead of copying P (N, T, 6, H) into R, the layer's weight columns are reordered to the
    part-major order of P's own memory layout (index k·H + h): a (D, 6H) copy, not an (N, T, 6H) one.
    """
    n, t, k, h = parts.shape
    weight = layer.weight.view(-1, h, k).transpose(1, 2).reshape(-1, k * h)
    return F.linear(parts.reshape(n, t, k * h), weight, layer.bias)


class SpatialAttention(nn.Module):
    """α_{t,i,·} = softmax_k score(tanh(query(h_t) + key(R_i))), zero on padded frames."""

    def __init__(self, hidden: int, attn_dim: int, n_parts: int = 6):
        super().__init__()
        self.key = nn.Linear(n_parts * hidden, attn_dim)
        self.query = nn.Linear(hidden, attn_dim)
        self.score = nn.Linear(attn_dim, n_parts)

    def project_keys(self, parts: torch.Tensor) -> torch.Tensor:
        """P (N, T, 6, H) → keys (N, T, D) = key(R), R the hidden-major flattening of P."""
        return project_part_keys(self.key, parts)

    def forward(self, h: torch.Tensor, keys: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """``h`` (N, S, H) queries, ``keys`` (N, T, D), ``frame_mask`` (N, T) → α (N, S, T, 6)."""
        scores = self.score(torch.tanh(self.query(h).unsqueeze(2) + keys.unsqueeze(1)))
        alpha = torch.softmax(scores, dim=-1)
        return alpha * frame_mask[:, None, :, None].to(alpha.dtype)


class TemporalWindow(NamedTuple):
    """Output of :class:`GaussianTemporalAttention`; all batch-first over steps."""

    gamma: torch.Tensor  # (N, S, T) softmax over valid frames
    mu: torch.Tensor  # (N, S) centre, model frames
    sigma: torch.Tensor  # (N, S) width, model frames
    window: torch.Tensor  # (N, S, T) Γ, unnormalised Gaussian with peak 1


class GaussianTemporalAttention(nn.Module):
    """Softmax weights γ over frames summarised by their mean μ and std σ into a Gaussian Γ.

    γ is used only through μ and σ; Γ_i = exp(−(i − μ)² / (2σ²)) is not normalised (peak 1) and
    is evaluated on every frame index 0..T−1, padded ones included, as the released model does.
    """

    def __init__(self, hidden: int, attn_dim: int, n_parts: int = 6):
        super().__init__()
        self.key = nn.Linear(n_parts * hidden, attn_dim)
        self.query = nn.Linear(hidden, attn_dim)
        self.score = nn.Linear(attn_dim, 1)

    def project_keys(self, parts: torch.Tensor) -> torch.Tensor:
        """P (N, T, 6, H) → keys (N, T, D) = key(R), R the hidden-major flattening of P."""
        return project_part_keys(self.key, parts)

    def forward(self, h: torch.Tensor, keys: torch.Tensor, frame_mask: torch.Tensor) -> TemporalWindow:
        """``h`` (N, S, H), ``keys`` (N, T, D), ``frame_mask`` (N, T) → :class:`TemporalWindow`."""
        scores = self.score(torch.tanh(self.query(h).unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)
        scores = scores.masked_fill(~frame_mask[:, None, :], float("-inf"))
        gamma = torch.softmax(scores, dim=-1)
        frames = torch.arange(keys.shape[1], device=keys.device, dtype=gamma.dtype)
        mu = (gamma * frames).sum(-1)
        offset = frames - mu.unsqueeze(-1)
        sigma = torch.sqrt((gamma * offset.square()).sum(-1))
        window = torch.exp(-offset.square() / (2 * sigma.square().unsqueeze(-1)))
        return TemporalWindow(gamma, mu, sigma, window)
