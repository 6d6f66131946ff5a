"""Training losses of the guided-attention captioner (the paper's equations).

    L = L_lang + λ_spat · L_spat + λ_adapt · L_adapt        (λ order: [spatial, adaptive])
          [+ λ_order · L_order + λ_segment · L_segment]       (temporal terms, this project's)

All inputs are batch-first, from one teacher-forced decode: step t = 0..S−1 predicts ``targets[:, t]``.

* ``logits`` (N, S, V); ``targets`` (N, S) long, ``pad_id`` where there is nothing to predict.
* ``alpha`` (N, S, T, 6): spatial attention after the softmax over parts, before Γ.
* ``frame_mask`` (N, T) bool: valid (non-padded) frames.
* ``beta`` (N, S): gate β̂ in (0, 1); ``beta_star`` (N, S) float, −1 where unsupervised.
* ``alpha_star`` (N, S, 6) float targets; ``alpha_supervised`` (N, S) bool.
* ``mu``, ``sigma`` (N, S): the temporal window's centre and width in model frames; ``lengths``
  (N,) valid model frames; ``units`` (N, S) long: the time rank of the step's clause read from the
  caption text (−1: none); ``segments`` (N, S, 2): the step's annotated segment [start, end] in
  model frames (NaN: none).

The temporal terms compare the window's interval μ ± σ·√(2 ln 2) (where Γ ≥ ½, the interval the
analyses score), as fractions of the clip: its edges are clipped to the clip, as the analyses clip
them, so a window reaching past the clip's end is not penalised for it.

* ``L_order`` (text only, :func:`clause_order_loss`): the caption's temporal units (clauses in
  time order, :mod:`m2t_interpret.data.clause_order`) — the words of one unit share a window (the
  squared deviation of each word's centre and half-width from its unit's mean), a later unit's
  mean centre lies later by at least ``margin`` (a hinge per ordered pair), and the units' mean
  windows tile the clip (first start at 0, last end at 1, each end at the next start; squared),
  since a caption describes its whole clip. Averaged per caption, then over captions.
* ``L_segment`` (:func:`segment_loss`): the interval's edges against an annotated segment's
  (smooth L1), for steps whose word a segment table places.

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
from ..result import HALF_WIDTH

__all__ = [
    "BCE_EPS",
    "LossTerms",
    "language_loss",
    "adaptive_loss",
    "spatial_loss",
    "clause_order_loss",
    "segment_loss",
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
    order: torch.Tensor | float = 0.0
    segment: torch.Tensor | float = 0.0
    n_order: int = 0
    n_segment: int = 0
    temporal_lambdas: tuple[float, float] = (0.0, 0.0)  # (λ_order, λ_segment)

    #: The attention terms after the language loss, in log order.
    TERMS = ("spat", "adapt", "order", "segment")

    @property
    def weights(self) -> dict[str, float]:
        """λ of each attention term."""
        return dict(zip(self.TERMS, (*self.lambdas, *self.temporal_lambdas)))

    def counts(self) -> dict[str, int]:
        """Entries each term averages over (language: target tokens)."""
        return {"lang": self.n_lang, "spat": self.n_spat, "adapt": self.n_adapt, "order": self.n_order,
                "segment": self.n_segment}

    def as_floats(self) -> dict[str, float]:
        """Detached Python floats and counts, for logging."""
        return {"total": float(detached(self.total)), **{k: float(detached(getattr(self, k)))
                                                          for k in ("lang", *self.TERMS)},
                **{f"n_{k}": v for k, v in self.counts().items()}}


def detached(value):
    """A tensor detached from the graph; any other value as it is."""
    return value.detach() if torch.is_tensor(value) else value


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


def weighted_total(lang, terms: Sequence, weights: Sequence[float]):
    """L_lang + Σ λ_k·L_k over the attention terms (tensors or floats) and their weights; a term
    whose λ is 0 is left out rather than multiplied by 0, so that with every λ = 0 the gradients
    are exactly the language loss's."""
    total = lang
    for value, weight in zip(terms, weights):
        if weight != 0.0:
            total = total + weight * value
    return total


def window_edges(mu: torch.Tensor, sigma: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The interval μ ± σ·√(2 ln 2) as fractions of each clip's span (0 = first valid frame, 1 =
    last), clipped to [0, 1]: (N, S) each; ``lengths`` (N,) valid model frames."""
    span = (lengths.to(mu.dtype) - 1).clamp(min=1.0)[:, None]
    half = HALF_WIDTH * sigma
    return ((mu - half) / span).clamp(0.0, 1.0), ((mu + half) / span).clamp(0.0, 1.0)


def clause_order_loss(mu: torch.Tensor, sigma: torch.Tensor, lengths: torch.Tensor, units: torch.Tensor,
                      step_mask: torch.Tensor | None = None, margin: float = 0.05) -> tuple[torch.Tensor, int]:
    """L_order (see the module docstring): per caption with a temporal unit, the mean of its three
    parts (the share term over its steps, the order hinge over its ordered unit pairs, the tiling
    term over its edges and junctions), averaged over those captions — a sum over captions, so that
    data-parallel slices of a batch add up to the batch. Returns (loss, captions); an exact zero
    with a gradient path when no step has a unit."""
    _check_shape("mu", mu, (None, None))
    n, s = mu.shape
    for name, t in (("sigma", sigma), ("units", units)):
        _check_shape(name, t, (n, s))
    valid = units >= 0
    if step_mask is not None:
        valid = valid & step_mask.bool()
    rows = valid.any(1)
    count = int(rows.sum())
    if count == 0:
        return (mu.sum() + sigma.sum()) * 0.0, 0
    start, end = window_edges(mu, sigma, lengths)
    centre, half = (start + end) / 2, (end - start) / 2
    k = int(units[valid].max()) + 1
    member = (units.unsqueeze(-1) == torch.arange(k, device=units.device)) & valid.unsqueeze(-1)  # (N, S, K)
    weight = member.to(mu.dtype)
    size = weight.sum(1)  # (N, K)
    present = size > 0
    mean_c = (weight * centre.unsqueeze(-1)).sum(1) / size.clamp(min=1)
    mean_h = (weight * half.unsqueeze(-1)).sum(1) / size.clamp(min=1)
    n_steps = valid.sum(1).clamp(min=1).to(mu.dtype)
    share = (weight * ((centre.unsqueeze(-1) - mean_c.unsqueeze(1)) ** 2
                       + (half.unsqueeze(-1) - mean_h.unsqueeze(1)) ** 2)).sum((1, 2)) / n_steps
    rank = torch.arange(k, device=units.device)
    both = present.unsqueeze(2) & present.unsqueeze(1) & (rank[None, :] > rank[:, None])  # (N, K, K): u before v
    gap = (rank[None, :] - rank[:, None]).to(mu.dtype) * margin
    hinge = torch.relu(mean_c.unsqueeze(2) - mean_c.unsqueeze(1) + gap) * both
    order = hinge.sum((1, 2)) / both.sum((1, 2)).clamp(min=1)
    # tiling: the units' mean windows, in time order, cover the clip end to end
    u_start, u_end = mean_c - mean_h, mean_c + mean_h
    first = present.to(torch.long).argmax(1)
    last = k - 1 - present.flip(1).to(torch.long).argmax(1)
    idx = torch.arange(n, device=mu.device)
    junction = present[:, :-1] & present[:, 1:]
    tiles = (u_start[idx, first] ** 2 + (1.0 - u_end[idx, last]) ** 2
             + ((u_end[:, :-1] - u_start[:, 1:]) ** 2 * junction).sum(1)) / (2 + junction.sum(1))
    per_caption = (share + order + tiles) * rows
    return per_caption.sum() / count, count


def segment_loss(mu: torch.Tensor, sigma: torch.Tensor, lengths: torch.Tensor, segments: torch.Tensor,
                 step_mask: torch.Tensor | None = None, beta: float = 0.02) -> tuple[torch.Tensor, int]:
    """L_segment: smooth L1 (``beta``, in clip fractions) between the window's interval edges and
    the annotated segment's, summed over the two edges and averaged over steps with a segment;
    returns (loss, count)."""
    _check_shape("mu", mu, (None, None))
    n, s = mu.shape
    _check_shape("segments", segments, (n, s, 2))
    valid = torch.isfinite(segments[..., 0])
    if step_mask is not None:
        valid = valid & step_mask.bool()
    count = int(valid.sum())
    if count == 0:
        return (mu.sum() + sigma.sum()) * 0.0, 0
    start, end = window_edges(mu, sigma, lengths)
    target = segments / (lengths.to(mu.dtype) - 1).clamp(min=1.0)[:, None, None]
    pred = torch.stack([start, end], -1)[valid]
    return F.smooth_l1_loss(pred, target[valid].to(pred.dtype), beta=beta, reduction="sum") / count, count


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
    *,
    mu: torch.Tensor | None = None,
    sigma: torch.Tensor | None = None,
    lengths: torch.Tensor | None = None,
    units: torch.Tensor | None = None,
    segments: torch.Tensor | None = None,
    temporal_lambdas: Sequence[float] = (0.0, 0.0),
    order_margin: float = 0.05,
) -> LossTerms:
    """L = L_lang + λ_spat·L_spat + λ_adapt·L_adapt with ``lambdas = (λ_spat, λ_adapt)``, plus the
    temporal terms λ_order·L_order + λ_segment·L_segment (``temporal_lambdas``) when ``mu``,
    ``sigma``, ``lengths`` and ``units`` / ``segments`` are given.

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
    lam_order, lam_segment = (float(v) for v in temporal_lambdas)
    if lam_order < 0 or lam_segment < 0:
        raise M2TError(f"temporal lambdas must be non-negative, got {(lam_order, lam_segment)!r}")
    order, n_order, segment, n_segment = 0.0, 0, 0.0, 0
    if mu is not None and units is not None:
        order, n_order = clause_order_loss(mu, sigma, lengths, units, step_mask, order_margin)
    if mu is not None and segments is not None:
        segment, n_segment = segment_loss(mu, sigma, lengths, segments, step_mask)
    if (lam_order and units is None) or (lam_segment and segments is None) or (
            (lam_order or lam_segment) and mu is None):
        raise M2TError("a temporal loss with λ > 0 needs mu, sigma, lengths and its targets (units or segments)")
    terms = (spat, adapt, order, segment)
    weights = (lam_spat, lam_adapt, lam_order, lam_segment)
    return LossTerms(
        total=weighted_total(lang, terms, weights),
        lang=lang,
        spat=spat,
        adapt=adapt,
        n_lang=n_lang,
        n_spat=n_spat,
        n_adapt=n_adapt,
        lambdas=(lam_spat, lam_adapt),
        order=order,
        segment=segment,
        n_order=n_order,
        n_segment=n_segment,
        temporal_lambdas=(lam_order, lam_segment),
    )
