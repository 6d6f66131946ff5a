"""The functions of the built-in methods of the table (:data:`~m2t_interpret.attribution.table.BUILTIN`):
each takes the words of one caption (:class:`~m2t_interpret.attribution.forward.CaptionBatch`) and
returns dense attributions (W, T, F) and a convergence delta (W,) or None.

Gradient methods and the perturbations captum does well (FeatureAblation, Occlusion) run captum;
exact Shapley values over the six parts are the project's own closed form over the coalition table.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from ..skeletons import PARTS
from .forward import GRAD_ROWS, CaptionBatch

Attribution = tuple[torch.Tensor, "torch.Tensor | None"]


def captum_class(batch: CaptionBatch):
    """The captum class the batch's method names (captum is imported on first use: it loads matplotlib)."""
    # heavy optional part of captum: imported when a captum method runs
    from captum import attr

    return getattr(attr, batch.method.captum)


def integrated_gradients(batch: CaptionBatch) -> Attribution:
    """captum's Integrated Gradients with its convergence delta |Σ attribution − (f(x) − f(baseline))|."""
    dense, delta = captum_class(batch)(batch.score).attribute(
        batch.inputs, baselines=batch.baseline, additional_forward_args=batch.args,
        n_steps=int(batch.options["n_steps"]), internal_batch_size=max(GRAD_ROWS, batch.n_words),
        return_convergence_delta=True)
    return dense, delta.abs()


def gradient(batch: CaptionBatch) -> Attribution:
    """A captum gradient method without settings (the table's ``captum``: Saliency, InputXGradient)."""
    return captum_class(batch)(batch.score).attribute(batch.inputs.requires_grad_(),
                                                      additional_forward_args=batch.args), None


def feature_ablation(batch: CaptionBatch) -> Attribution:
    """captum's FeatureAblation with one feature group per body part, all six in one call."""
    return captum_class(batch)(batch.score).attribute(
        batch.inputs, baselines=batch.baseline, feature_mask=batch.part_mask(), additional_forward_args=batch.args,
        perturbations_per_eval=len(PARTS)), None


def occlusion(batch: CaptionBatch) -> Attribution:
    """captum's Occlusion over time: windows of ``window`` frames (all features) every ``stride``."""
    frames, features = batch.inputs.shape[1:]
    window, stride = int(batch.options["window"]), int(batch.options["stride"])
    return captum_class(batch)(batch.score).attribute(
        batch.inputs, sliding_window_shapes=(min(window, frames), features), strides=(stride, features),
        baselines=batch.baseline, additional_forward_args=batch.args, perturbations_per_eval=8), None


# ---------------------------------------------------------------------------------------------
# exact Shapley values in closed form
# ---------------------------------------------------------------------------------------------

def coalitions(players: int) -> np.ndarray:
    """(2ⁿ, n) bool: every coalition, coalition c holding player k when bit n − 1 − k of c is set."""
    return np.array(list(itertools.product((False, True), repeat=players)), dtype=bool)


def shapley_weights(players: int) -> np.ndarray:
    """(2ⁿ, n) float64 ``M`` with φ = vᵀM for a table v (2ⁿ,) of coalition values:

    φ_i = Σ_{S ∌ i} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)), so coalition T enters φ_i with
    weight w(|T|−1) when i ∈ T (as S ∪ {i}) and −w(|T|) when i ∉ T (as S), w(s) = s!(n−s−1)!/n!.
    """
    member = coalitions(players)
    size = member.sum(1, keepdims=True)
    fact = math.factorial

    def w(s: np.ndarray) -> np.ndarray:
        return np.array([fact(int(k)) * fact(players - int(k) - 1) / fact(players) if 0 <= k < players else 0.0
                         for k in s.ravel()]).reshape(s.shape)

    return np.where(member, w(size - 1), -w(size))


def coalition_table(batch: CaptionBatch) -> torch.Tensor:
    """(2⁶, W) the target of each word for every coalition of parts: present parts from the input,
    absent ones from the baseline; each coalition's clip is encoded once for all its words."""
    keep = torch.as_tensor(coalitions(len(PARTS))[:, batch.groups], device=batch.device)  # (64, F)
    clips = torch.where(keep[:, None, :], batch.inputs[0], batch.baseline[0])  # (64, T, F)
    return batch.evaluate(clips)


def exact_shapley(batch: CaptionBatch) -> Attribution:
    """Exact Shapley values of the six parts: 2⁶ model evaluations per word (:func:`coalition_table`)
    and one (W × 64) · (64 × 6) product with :func:`shapley_weights`, in float64: captum's
    ShapleyValues (the tests' reference) walks its 6! permutations over the same coalition values.
    Each feature of a part carries the part's value, as captum's feature groups do."""
    table = coalition_table(batch)
    weights = torch.as_tensor(shapley_weights(len(PARTS)), device=batch.device)
    phi = (table.double().T @ weights).to(batch.inputs.dtype)  # (W, 6)
    groups = torch.as_tensor(batch.groups, dtype=torch.long, device=batch.device)
    return phi[:, groups][:, None, :].expand_as(batch.inputs), None


__all__ = ["captum_class", "integrated_gradients", "gradient", "feature_ablation", "occlusion", "coalitions",
           "shapley_weights", "coalition_table", "exact_shapley"]
