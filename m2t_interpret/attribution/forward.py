"""What an attribution method explains: the model as a function of its input (:class:`WordScore`),
the reference input (:func:`make_baseline`) and the words of one caption as one batch
(:class:`CaptionBatch`, what each method's function of the table receives).

The words of one caption are one batch: the clip repeated once per word along the batch axis
(captum expands that axis again for its integration steps or perturbations), and each row's
decoder states at its own step ride along as additional forward arguments. Gradients go through
the model's ordinary differentiable computation (encoding and :meth:`CaptionerNetwork.attend`);
the fused step is inference-only and never used. Padded frames are replaced by a constant inside
the forward function, so every method gives them exactly 0. Every tensor is made on the model's
device (``--device cuda`` runs every method there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..errors import M2TError
from ..tokens import PAD_ID, SOS_ID
from .table import Method, check_baseline, check_target

if TYPE_CHECKING:
    from ..model.network import CaptionerNetwork

#: Rows per forward call of a gradient method (bounds memory: each row holds a whole clip's encoding).
GRAD_ROWS = 128


def make_baseline(x: torch.Tensor, lengths: torch.Tensor, kind: str = "first_pose") -> torch.Tensor:
    """The reference input of ``x`` (N, T, F): the clip's first pose held still (``first_pose``),
    its mean pose over valid frames held still (``mean_pose``) or ``zeros``; (N, T, F)."""
    kind = check_baseline(kind)
    if kind == "zeros":
        return torch.zeros_like(x)
    if kind == "first_pose":
        return x[:, :1].expand_as(x).clone()
    mask = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]).to(x.dtype)
    mean = (x * mask[..., None]).sum(1, keepdim=True) / mask.sum(1)[:, None, None]
    return mean.expand_as(x).clone()


class WordScore(torch.nn.Module):
    """captum's forward function: model input rows (B, T, F) → the target of each row's word (B,).

    Additional (batch-first, so captum can expand them) arguments: ``lengths`` (B,) valid frames,
    the decoder's word embedding, bottom and top states at the row's step (B, E), (B, H), (B, H)
    and the row's word ``words`` (B,). The decoder states depend on the caption only, never on the
    motion, so they are computed once per caption.
    """

    def __init__(self, model: "CaptionerNetwork", target: str = "logprob", shared: int = 1):
        super().__init__()
        self.model, self.target, self.shared = model, check_target(target), int(shared)

    def forward(self, x, lengths, emb, h, h_top, words) -> torch.Tensor:
        k = self._block(x)
        # a block's rows are the steps of one clip: (B/k clips, k steps)
        steps = (a.reshape(-1, k, *a.shape[1:]) for a in (emb, h, h_top, words))
        return self.clips(x[::k], lengths[::k], *steps).reshape(-1)

    def clips(self, x: torch.Tensor, lengths: torch.Tensor, emb: torch.Tensor, h: torch.Tensor,
              h_top: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        """The target of S words of each of K clips: x (K, T, F), lengths (K,), the words' decoder
        states (K, S, ·) and ids (K, S) → (K, S). Each clip is encoded once and its words attend to
        it as the steps of one decoding (every step attends on its own)."""
        valid = torch.arange(x.shape[1], device=x.device)[None, :, None] < lengths[:, None, None]
        x = torch.where(valid, x, torch.zeros((), dtype=x.dtype, device=x.device))
        out = self.model.attend(self.model.encode(x, lengths), emb, h, h_top)
        if self.target == "beta":
            return out.beta
        if self.target == "mu":
            return out.temporal.mu
        logp = torch.log_softmax(out.logits.float(), -1)
        return logp.gather(2, words[..., None].long())[..., 0]

    def _block(self, x: torch.Tensor) -> int:
        """How many consecutive rows share one input. Without gradients, the rows of a caption come
        in blocks of ``shared`` identical inputs (one per word: a perturbation changes the clip, not
        the word), so each block is encoded once — most of a forward's cost — and its words attend
        to that one encoding (:meth:`clips`; no copy of the encoding per word). 1 when the rows are
        not such blocks, or under autograd (each row its own graph)."""
        k = self.shared
        if k > 1 and not torch.is_grad_enabled() and x.shape[0] % k == 0:
            blocks = x.view(-1, k, *x.shape[1:])
            if torch.equal(blocks, blocks[:, :1].expand_as(blocks)):
                return k
        return 1


def caption_rows(model: "CaptionerNetwork", caption: torch.Tensor):
    """A caption's ids (L,) from <sos> → the words it predicts (W,) and the decoder's embedding,
    bottom and top states at each of those steps: (W, E), (W, H), (W, H)."""
    caption = torch.as_tensor(caption, dtype=torch.long, device=model.device)
    # only the trailing padding goes: a decoding may hold a <pad> among its words (an untrained
    # model's greedy caption), and every step it decoded is explained
    real = torch.nonzero(caption != PAD_ID)
    caption = caption[: int(real.max()) + 1 if real.numel() else 0]
    if caption.numel() < 2 or int(caption[0]) != SOS_ID:
        raise M2TError("attribution needs a caption of at least one word after <sos>")
    with torch.no_grad():
        emb, h, h_top, _ = model.decoder.states(caption[None, :-1])
    return caption[1:], emb[0], h[0], h_top[0]


@dataclass
class CaptionBatch:
    """The words of one caption, ready to explain: what a method's ``function`` receives.

    - ``score``: the forward function, ``score(rows, *args)`` (B, T, F) → the target (B,)
    - ``inputs``: (W, T, F) the clip's own frames repeated once per word, on the model's device
    - ``baseline``: (W, T, F) the reference input; ``args``: the additional (batch-first) forward
      arguments ``(lengths, emb, h, h_top, words)``
    - ``groups``: (F,) the body part (index into PARTS) of each input feature
    - ``method``: the table's entry; ``options``: its settings (defaults overridden by the call)
    """

    score: WordScore
    inputs: torch.Tensor
    baseline: torch.Tensor
    args: tuple
    groups: np.ndarray
    method: Method
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_words(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def device(self) -> torch.device:
        return self.inputs.device

    def part_mask(self) -> torch.Tensor:
        """(1, 1, F) the part of each feature, captum's ``feature_mask`` for one group per part."""
        return torch.as_tensor(self.groups, dtype=torch.long, device=self.device)[None, None, :]

    def evaluate(self, clips: torch.Tensor, limit: int = GRAD_ROWS) -> torch.Tensor:
        """The target of every word for each of K variants of the caption's clip (K, T, F), e.g.
        perturbed copies, without gradients: (K, W). About ``limit`` words per forward call."""
        per_call = max(1, limit // self.n_words)
        lengths, emb, h, h_top, words = self.args
        out = []
        with torch.no_grad():
            for i in range(0, clips.shape[0], per_call):
                k = min(per_call, clips.shape[0] - i)
                steps = (a[None].expand(k, *a.shape) for a in (emb, h, h_top, words))
                out.append(self.score.clips(clips[i:i + k], lengths[:1].expand(k), *steps))
        return torch.cat(out)


__all__ = ["GRAD_ROWS", "make_baseline", "WordScore", "caption_rows", "CaptionBatch"]
