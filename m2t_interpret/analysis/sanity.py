"""Sanity checks of explanations (Adebayo et al. 2018): cascading randomisation of the model's layers.

From the output layer down to the part encoder, each layer in turn has its weights re-drawn
(seeded, PyTorch's default initialisation), the earlier ones staying random. After each step the
attention maps and the attributions of the same forced words are computed again and compared with
the trained model's, word by word: Spearman ρ over the six parts and over the frames. An
explanation that keeps ρ near 1 while the weights that produce the words are random explains
nothing about them; chance (unrelated explanations) is ρ = 0.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from ..attribution.run import attribute_capture
from ..attribution.table import ATTENTION
from .faithfulness import forced_captions
from .statistics import rowwise_spearman

if TYPE_CHECKING:
    from ..model.network import CaptionerNetwork
    from ..result import CaptureResult

#: Layers from the top of the network down, by module path.
CASCADE = ("decoder.output", "gate", "decoder.mixture", "decoder.top_lstm", "decoder.bottom_lstm",
           "decoder.embedding", "temporal_attention", "spatial_attention", "encoder")


def _randomise(module: torch.nn.Module, seed: int) -> None:
    """Re-draw every parameter of ``module`` with its layers' own default initialisation."""
    torch.manual_seed(seed)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()


def _valid_spearman(a: np.ndarray, b: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Row-wise Spearman of (M, T) rows over each row's first ``lengths`` entries."""
    out = np.full(len(a), np.nan)
    for t in np.unique(lengths):
        rows = np.nonzero(lengths == t)[0]
        out[rows] = rowwise_spearman(a[rows, :t], b[rows, :t])
    return out


def cascading_randomisation(model: "CaptionerNetwork", capture: "CaptureResult", x: torch.Tensor,
                            lengths: torch.Tensor, method: str = "saliency", seed: int = 0, **attribute_kw
                            ) -> pd.DataFrame:
    """``step, randomised, explanation, resolution, spearman, n``: the mean rank correlation of
    each explanation (``attention`` and ``method``) with the trained model's, after randomising
    the layers of :data:`CASCADE` down to ``randomised`` ("none" first: the trained model itself)."""
    captions = forced_captions(capture)
    nn, ss = np.nonzero(capture.step_mask)
    word_lengths = np.asarray(capture.lengths)[nn]

    def explain(m):
        cap = m.decode(x, lengths, mode="forced", captions=captions[:, : int((captions != 0).sum(1).max())],
                       clip_ids=capture.clip_ids)
        cap.meta.update(capture.meta)
        res = attribute_capture(m, cap, x, lengths, methods=[method], **attribute_kw)
        return {e: (res.parts(e)[nn, ss], res.frames(e)[nn, ss]) for e in (ATTENTION, method)}

    trained = explain(model)
    rows = []
    work = copy.deepcopy(model).eval()
    for step, name in enumerate(("none",) + CASCADE):
        if name != "none":
            _randomise(work.get_submodule(name), seed + step)
        now = trained if name == "none" else explain(work)
        for e in (ATTENTION, method):
            for k, res in enumerate(("parts", "frames")):
                a, b = np.abs(now[e][k]), np.abs(trained[e][k])
                rho = rowwise_spearman(a, b) if res == "parts" else _valid_spearman(a, b, word_lengths)
                rows.append({"step": step, "randomised": name, "explanation": e, "resolution": res,
                             "spearman": float(np.nanmean(rho)), "n": int(np.isfinite(rho).sum())})
    return pd.DataFrame(rows)


__all__ = ["CASCADE", "cascading_randomisation"]
