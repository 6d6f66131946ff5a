"""Spatial attention over body parts and Gaussian temporal attention over frames (REFERENCE §1.4).

Both are additive (Bahdanau) attentions whose key projections depend only on the motion, so
:meth:`project_keys` runs once per clip and every decoding step reuses the result.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .hooks import HookPoint
from .ops import Workspace, derived_weights, flat_linear, needs_grad


def project_part_keys(layer: nn.Linear, parts: torch.Tensor) -> torch.Tensor:
    """``layer`` applied to R, the checkpoint's hidden-major flattening of P (index h·6 + k).

    Instead of copying P (N, T, 6, H) into R, the layer's weight columns are reordered to the
    part-major order of P's own memory layout (index k·H + h): a (D, 6H) copy, not an (N, T, 6H) one.
    """
    *lead, k, h = parts.shape
    return flat_linear(parts.reshape(*lead, k * h), part_key_weights(layer, k).reshape(-1, k * h), layer.bias)


def part_key_weights(layer: nn.Linear, n_parts: int) -> torch.Tensor:
    """A key layer's weight (D, 6H) viewed as (D, 6, H): ``[:, k]`` are part k's columns (R, the
    checkpoint's flattening of P, is hidden-major: column h·6 + k)."""
    return layer.weight.view(layer.weight.shape[0], -1, n_parts).transpose(1, 2)


class AdditiveAttention(nn.Module):
    """Bahdanau energies score(tanh(query(h_t) + key(R_i))) for every step t and frame i."""

    def __init__(self, hidden: int, attn_dim: int, n_scores: int, n_parts: int = 6):
        super().__init__()
        self.key = nn.Linear(n_parts * hidden, attn_dim)
        self.query = nn.Linear(hidden, attn_dim)
        self.score = nn.Linear(attn_dim, n_scores)

    def project_keys(self, parts: torch.Tensor) -> torch.Tensor:
        """P (…, 6, H) → keys (…, D) = key(R), R the hidden-major flattening of P."""
        return project_part_keys(self.key, parts)

    def energies(self, h: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """``h`` (N, S, H), ``keys`` (N, T, D) → energies (N, S, T, n_scores). Inference with
        both attentions' keys side by side runs :func:`joint_energies` instead."""
        return self.score(torch.tanh(self.query(h).unsqueeze(2) + keys.unsqueeze(1)))


def folded_energy_weights(spatial: AdditiveAttention, temporal: AdditiveAttention) -> tuple[torch.Tensor, ...]:
    """Both attentions' layers rearranged for inference on σ instead of tanh, built once and
    kept until a parameter changes: tanh(z) = 2σ(2z) − 1, so σ(2q + 2k) is computed from doubled
    queries and W·tanh(z) + b = 2W·σ(2z) + (b − W·1).

    Returns the doubled query layers stacked, (2D, H) and (2D,), and both score layers as one
    block-diagonal (6 + 1, 2D) weight, each score reading only its attention's half, and its bias.
    """
    layers = (spatial, temporal)
    sources = [t for m in layers for t in (m.query.weight, m.query.bias, m.score.weight, m.score.bias)]

    def build():
        d = spatial.query.weight.shape[0]
        n_spatial = spatial.score.weight.shape[0]
        score = spatial.score.weight.new_zeros(n_spatial + temporal.score.weight.shape[0], 2 * d)
        score[:n_spatial, :d] = 2 * spatial.score.weight
        score[n_spatial:, d:] = 2 * temporal.score.weight
        return (2 * torch.cat([m.query.weight for m in layers]), 2 * torch.cat([m.query.bias for m in layers]),
                score, torch.cat([m.score.bias - m.score.weight.sum(1) for m in layers]))

    return derived_weights(spatial, "_folded_energy_weights", sources, build)


def joint_energies(spatial: AdditiveAttention, temporal: AdditiveAttention, h: torch.Tensor,
                   keys: torch.Tensor, workspace: Workspace) -> tuple[torch.Tensor, torch.Tensor]:
    """Inference: both attentions' energies in one pass, ``h`` (N, S, H) and ``keys`` (N, T, 2D),
    the spatial keys then the temporal ones → spatial energies (N, S, T, 6) and temporal scores
    (N, S, T), views of one (N, S, T, 7) tensor.

    Both queries are one matmul, σ(2(q + k)) one pass over (N, S, T, 2D) in ``workspace``'s
    reused buffer, and both score layers one matmul (:func:`folded_energy_weights`).
    """
    query_w, query_b, score_w, score_b = folded_energy_weights(spatial, temporal)
    q = flat_linear(h, query_w, query_b, pack=True).unsqueeze(2)  # 2q (N, S, 1, 2D)
    buf = workspace.get("energies", (*q.shape[:2], *keys.shape[1:]), q)  # (N, S, T, 2D)
    torch.add(q, keys.unsqueeze(1), alpha=2, out=buf).sigmoid_()  # σ(2(q + k))
    scores = flat_linear(buf, score_w, score_b, pack=True)
    n_spatial = spatial.score.weight.shape[0]
    return scores[..., :n_spatial], scores[..., n_spatial]


class SpatialAttention(AdditiveAttention):
    """α_{t,i,·} = softmax_k score(tanh(query(h_t) + key(R_i))), zero on padded frames."""

    def __init__(self, hidden: int, attn_dim: int, n_parts: int = 6):
        super().__init__(hidden, attn_dim, n_parts, n_parts)
        self.hook_alpha = HookPoint("alpha")

    def forward(self, h: torch.Tensor, keys: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """``h`` (N, S, H) queries, ``keys`` (N, T, D), ``frame_mask`` (N, T) → α (N, S, T, 6)."""
        return self.from_energies(self.energies(h, keys), frame_mask)

    def from_energies(self, energies: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """Energies (N, S, T, 6) (overwritten without autograd) → α (N, S, T, 6)."""
        if needs_grad(energies):
            alpha = torch.softmax(energies, dim=-1)
        else:  # torch's softmax over a last axis of 6 is ~5× slower than these three passes
            alpha = energies.sub_(energies.amax(-1, keepdim=True)).exp_()
            alpha = alpha.div_(alpha.sum(-1, keepdim=True))
        return self.hook_alpha(alpha * frame_mask[:, None, :, None].to(alpha.dtype))


class TemporalWindow(NamedTuple):
    """Output of :class:`GaussianTemporalAttention`; all batch-first over steps."""

    gamma: torch.Tensor  # (N, S, T) softmax over valid frames
    mu: torch.Tensor  # (N, S) centre, model frames
    sigma: torch.Tensor  # (N, S) width, model frames
    window: torch.Tensor  # (N, S, T) Γ, unnormalised Gaussian with peak 1


def time_basis(lengths: torch.Tensor, t: int, n_basis: int, dtype: torch.dtype) -> torch.Tensor:
    """cos(π·j·r_i), j = 1..``n_basis``, of each frame's place r_i = i / (L − 1) in its clip (0 at
    the first frame, 1 at the last valid one): (N, T, n_basis) for ``lengths`` (N,)."""
    span = (lengths.to(dtype) - 1).clamp(min=1.0)[:, None]
    place = torch.arange(t, device=lengths.device, dtype=dtype)[None, :] / span  # (N, T)
    j = torch.arange(1, n_basis + 1, device=lengths.device, dtype=dtype)
    return torch.cos(torch.pi * place.unsqueeze(-1) * j)


class GaussianTemporalAttention(AdditiveAttention):
    """Softmax weights γ over frames summarised by their mean μ and std σ into a Gaussian Γ.

    γ is used only through μ and σ; Γ_i = exp(−(i − μ)² / (2σ²)) is not normalised (peak 1) and
    is evaluated on every frame index 0..T−1, padded ones included, as the released model does.

    With ``n_time_basis`` > 0 (this project's option; 0 is the paper's model) each frame's key also
    holds where the frame lies in its clip: key_i = key(R_i) + W·φ(r_i), φ the first
    ``n_time_basis`` cosines of :func:`time_basis`. The part features carry no time and the
    decoder state no motion, so without it the window of "then kicks" can tell the frames of an
    action that was not named yet from those of the first one, but not the second action of three
    from the third. W starts at zero: training starts from the paper's model.
    """

    def __init__(self, hidden: int, attn_dim: int, n_parts: int = 6, n_time_basis: int = 0):
        super().__init__(hidden, attn_dim, 1, n_parts)
        self.n_time_basis = int(n_time_basis)
        if self.n_time_basis > 0:
            self.time_key = nn.Linear(self.n_time_basis, attn_dim, bias=False)
            nn.init.zeros_(self.time_key.weight)
        self.hook_gamma = HookPoint("gamma")
        self.hook_mu = HookPoint("mu")
        self.hook_sigma = HookPoint("sigma")
        self.hook_window = HookPoint("window")

    def time_keys(self, frame_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor | None:
        """W·φ(r_i) (N, T, D), zero on padded frames, to add to the keys; None for the paper's model."""
        if self.n_time_basis == 0:
            return None
        basis = time_basis(frame_mask.sum(1), frame_mask.shape[1], self.n_time_basis, dtype)
        return self.time_key(basis) * frame_mask.unsqueeze(-1).to(dtype)

    def forward(self, h: torch.Tensor, keys: torch.Tensor, frame_mask: torch.Tensor) -> TemporalWindow:
        """``h`` (N, S, H), ``keys`` (N, T, D), ``frame_mask`` (N, T) → :class:`TemporalWindow`."""
        return self.from_scores(self.energies(h, keys).squeeze(-1), frame_mask)

    def from_scores(self, scores: torch.Tensor, frame_mask: torch.Tensor) -> TemporalWindow:
        """Scores (N, S, T) → :class:`TemporalWindow`."""
        scores = scores.masked_fill(~frame_mask[:, None, :], float("-inf"))
        gamma = self.hook_gamma(torch.softmax(scores, dim=-1))
        frames = torch.arange(scores.shape[-1], device=scores.device, dtype=gamma.dtype)
        mu = (gamma * frames).sum(-1)
        sigma = torch.sqrt((gamma * (frames - mu.unsqueeze(-1)).square()).sum(-1))
        # μ and σ are hook points before Γ is built from them, so replacing either moves the window.
        mu, sigma = self.hook_mu(mu), self.hook_sigma(sigma)
        offset = frames - mu.unsqueeze(-1)
        window = self.hook_window(torch.exp(-offset.square() / (2 * sigma.square().unsqueeze(-1))))
        return TemporalWindow(gamma, mu, sigma, window)
