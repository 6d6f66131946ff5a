"""Training losses of the guided-attention captioner (the paper's equations).

    L = L_lang + λ_spat · L_spat + λ_adapt · L_adapt        (λ order: [spatial, adaptive])

All inputs are batch-first, from one teacher-forced decode: step t = 0..S−1 predicts ``targets[:, t]``.

* ``logits`` (N, S, V); ``targets`` (N, S) long, ``pad_id`` where there is nothing to predict.
* ``alpha`` (N, S, T, 6): spatial attention after the softmax over parts, before Γ.
* ``frame_mask`` (N, T) bool: valid (non-padded) frames.
* ``beta`` (N, S): gate β̂ in (0, 1); ``beta_star`` (N, S) float, −1 where unsupervised.
* ``alpha_star`` (N, S, 6) float targets; ``alpha_supervised`` (N, S) bool.

Differences from the authors' code, on purpose:

* Unsupervised entries are *selected out* before the BCE, so −1 targets never reach
  ``binary_cross_entropy`` (current PyTorch rejects targets outside [0, 1]).
* Means are over supervised entries only; a batch with none gives an exact zero that keeps a
  gradient path (``x.sum() * 0``), never NaN (the authors' loss is NaN then).
* Padded frames are excluded from the spatial loss (the authors included them, which inflates
  their loss since α = 0 there).
* Probabilities are clamped to [eps, 1 − eps] (eps = 1e-7) inside the BCE, for α and β̂, so the
  log never sees an exact 0 or 1 (α is exactly 0 on padded frames; a saturated sigmoid can be 1.0
  in float32). Inside that range the value is the plain BCE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from ..errors import M2TError

__all__ = [
    "BCE_EPS",
    "LossTerms",
    "language_loss",
    "adaptive_loss",
    "spatial_loss",
    "guided_attention_loss",
]

#: Probabilities are clamped to [BCE_EPS, 1 − BCE_EPS] inside the binary cross-entropies.
BCE_EPS = 1e-7


@dataclass
class LossTerms:
    """The total loss and its parts (each a scalar tensor), with the number of entries averaged.

    ``n_lang``: non-pad target tokens; ``n_spat``: supervised (step, valid frame, part) entries;
    ``n_adapt``: supervised steps. ``lambdas`` = (λ_spat, λ_adapt).
    """

    total: torch.Tensor
    lang: torch.Tensor
    spat: torch.Tensor
    adapt: torch.Tensor
    n_lang: int
    n_spat: int
    n_adapt: int
    lambdas: tuple[float, float]

    def as_floats(self) -> dict[str, float]:
        """Detached Python floats and counts, for logging."""
        return {
            "total": float(self.total.detach()),
            "lang": float(self.lang.detach()),
            "spat": float(self.spat.detach()),
            "adapt": float(self.adapt.detach()),
            "n_lang": self.n_lang,
            "n_spat": self.n_spat,
            "n_adapt": self.n_adapt,
        }


def _check_shape(name: str, tensor: torch.Tensor, shape: Sequence[int | None]) -> None:
    if tensor.dim() != len(shape) or any(
        want is not None and got != want for got, want in zip(tensor.shape, shape)
    ):
        want = "(" + ", ".join("?" if s is None else str(s) for s in shape) + ")"
        raise M2TError(f"{name} has shape {tuple(tensor.shape)}, expected {want}")


def _masked_bce_sum(prob: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    prob = prob.clamp(eps, 1.0 - eps)
    return F.binary_cross_entropy(prob, target.to(prob.dtype), reduction="sum")


def language_loss(
    logits: torch.Tensor, targets: torch.Tensor, pad_id: int = 0
) -> torch.Tensor:
    """Cross-entropy averaged over non-pad targets; zero (with a gradient path) if there are none."""
    _check_shape("logits", logits, (None, None, None))
    _check_shape("targets", targets, tuple(logits.shape[:2]))
    flat_targets = targets.reshape(-1).long()
    count = int((flat_targets != pad_id).sum())
    if count == 0:
        return logits.sum() * 0.0
    total = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), flat_targets, ignore_index=pad_id, reduction="sum"
    )
    return total / count


def _adaptive(
    beta: torch.Tensor,
    beta_star: torch.Tensor,
    step_mask: torch.Tensor | None,
    eps: float,
) -> tuple[torch.Tensor, int]:
    _check_shape("beta", beta, (None, None))
    _check_shape("beta_star", beta_star, tuple(beta.shape))
    mask = beta_star >= 0
    if step_mask is not None:
        _check_shape("step_mask", step_mask, tuple(beta.shape))
        mask = mask & step_mask.bool()
    count = int(mask.sum())
    if count == 0:
        return beta.sum() * 0.0, 0
    return _masked_bce_sum(beta[mask], beta_star[mask], eps) / count, count


def adaptive_loss(
    beta: torch.Tensor,
    beta_star: torch.Tensor,
    step_mask: torch.Tensor | None = None,
    eps: float = BCE_EPS,
) -> torch.Tensor:
    """Mean BCE(β̂, β*) over supervised steps (β* ≥ 0, and ``step_mask`` if given).

    Unsupervised entries (β* = −1) are selected out before the BCE. No supervised step → a zero
    that still has a gradient path.
    """
    return _adaptive(beta, beta_star, step_mask, eps)[0]


def _spatial(
    alpha: torch.Tensor,
    alpha_star: torch.Tensor,
    alpha_supervised: torch.Tensor,
    frame_mask: torch.Tensor,
    step_mask: torch.Tensor | None,
    eps: float,
) -> tuple[torch.Tensor, int]:
    _check_shape("alpha", alpha, (None, None, None, None))
    n, s, t, k = alpha.shape
    _check_shape("alpha_star", alpha_star, (n, s, k))
    _check_shape("alpha_supervised", alpha_supervised, (n, s))
    _check_shape("frame_mask", frame_mask, (n, t))
    steps = alpha_supervised.bool()
    if step_mask is not None:
        _check_shape("step_mask", step_mask, (n, s))
        steps = steps & step_mask.bool()
    mask = steps[:, :, None] & frame_mask.bool()[:, None, :]  # (N, S, T)
    n_rows = int(mask.sum())
    if n_rows == 0:
        return alpha.sum() * 0.0, 0
    target = alpha_star[:, :, None, :].expand(n, s, t, k)
    count = n_rows * k
    return _masked_bce_sum(alpha[mask], target[mask], eps) / count, count


def spatial_loss(
    alpha: torch.Tensor,
    alpha_star: torch.Tensor,
    alpha_supervised: torch.Tensor,
    frame_mask: torch.Tensor,
    step_mask: torch.Tensor | None = None,
    eps: float = BCE_EPS,
) -> torch.Tensor:
    """Mean BCE(α, α*) over supervised (step, valid frame, part) entries.

    α* (N, S, 6) is broadcast over frames; padded frames and unsupervised steps (and steps outside
    ``step_mask`` if given) are excluded before the BCE. α is clamped to [eps, 1 − eps]. No
    supervised entry → a zero that still has a gradient path.
    """
    return _spatial(alpha, alpha_star, alpha_supervised, frame_mask, step_mask, eps)[0]


def weighted_total(lang, spat, adapt, lambdas: Sequence[float]):
    """L_lang + λ_spat·L_spat + λ_adapt·L_adapt (tensors or floats); a term whose λ is 0 is left
    out rather than multiplied by 0, so that with λ = 0 the gradients are exactly the language
    loss's."""
    lam_spat, lam_adapt = lambdas
    total = lang
    if lam_spat != 0.0:
        total = total + lam_spat * spat
    if lam_adapt != 0.0:
        total = total + lam_adapt * adapt
    return total


def guided_attention_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    alpha: torch.Tensor,
    frame_mask: torch.Tensor,
    beta: torch.Tensor,
    beta_star: torch.Tensor,
    alpha_star: torch.Tensor,
    alpha_supervised: torch.Tensor,
    lambdas: Sequence[float] = (0.0, 0.0),
    pad_id: int = 0,
    eps: float = BCE_EPS,
) -> LossTerms:
    """L = L_lang + λ_spat·L_spat + λ_adapt·L_adapt with ``lambdas = (λ_spat, λ_adapt)``.

    Steps whose target is ``pad_id`` are never supervised. The attention terms are always
    computed (for logging) but a term whose λ is 0 is not added to ``total``, so with λ = 0 the
    gradients of ``total`` are exactly those of the language loss.
    """
    if len(lambdas) != 2:
        raise M2TError(f"lambdas must be (λ_spat, λ_adapt), got {tuple(lambdas)!r}")
    lam_spat, lam_adapt = float(lambdas[0]), float(lambdas[1])
    if lam_spat < 0 or lam_adapt < 0:
        raise M2TError(f"lambdas must be non-negative, got {(lam_spat, lam_adapt)!r}")
    _check_shape("logits", logits, (None, None, None))
    n, s = logits.shape[:2]
    _check_shape("targets", targets, (n, s))
    step_mask = targets != pad_id

    lang = language_loss(logits, targets, pad_id)
    n_lang = int(step_mask.sum())
    spat, n_spat = _spatial(alpha, alpha_star, alpha_supervised, frame_mask, step_mask, eps)
    _check_shape("beta", beta, (n, s))
    adapt, n_adapt = _adaptive(beta, beta_star, step_mask, eps)

    return LossTerms(
        total=weighted_total(lang, spat, adapt, (lam_spat, lam_adapt)),
        lang=lang,
        spat=spat,
        adapt=adapt,
        n_lang=n_lang,
        n_spat=n_spat,
        n_adapt=n_adapt,
        lambdas=(lam_spat, lam_adapt),
    )
