"""The guided-attention motion captioner: :class:`Captioner` is the network
(:class:`~m2t_interpret.model.network.CaptionerNetwork`) with the user API on top — decoding with
per-token attention capture, generation, captioning raw clips.

The decoding strategies take a network and know nothing of this class, so the dependencies
point one way: network ← strategies (:mod:`.decoding`) ← captioner.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np
import torch

from ..data.preprocessing import read_motions
from ..data.vocabulary import caption_tokens
from ..errors import M2TError
from ..result import CaptureResult
from ..tokens import EOS_ID as EOS
from ..tokens import PAD_ID as PAD
from ..tokens import SOS_ID as SOS
from ..tokens import SPECIAL_TOKENS  # noqa: F401 (re-exported)
from ..tokens import UNK_ID as UNK
from . import decoding
from .decoding import DecodeSettings
from .network import AUTHORS_KEYS, CaptionerConfig, CaptionerNetwork, Encoded, StepOutputs  # noqa: F401 (re-exported)


class Captioner(CaptionerNetwork):
    """Guided-attention motion captioner (Radouane et al., BMVC 2024).

    Public entry points: :meth:`preprocess` (raw clips → model input), :meth:`decode` (greedy,
    forced or beam decoding with per-token attention capture), :meth:`caption` (raw clips →
    strings) and :meth:`forward` (teacher-forced pass used for training).
    """

    @decoding.with_settings_keywords
    def decode(self, x: torch.Tensor, lengths: torch.Tensor, *, settings: DecodeSettings | None = None,
               **options) -> CaptureResult:
        """Decode preprocessed input and capture per-token attention.

        Args:
            x: float (N, T, J·3) preprocessed motions; ``lengths``: (N,) valid frames.
            settings: a :class:`~m2t_interpret.model.decoding.DecodeSettings` (default: its
                defaults: greedy, α, γ, μ, σ, Γ and β̂ recorded).
            **options: any of its fields, given as keywords (they override ``settings``):
                ``mode`` ("greedy", "forced" with ``captions``, "beam" with ``beam_size``,
                "authors_beam"), ``max_steps``, ``capture``, ``beta`` (pin β̂), ``clip_ids``,
                ``n_best``, ``record``, ``replace``, ``keep_logits``, ``top_k``,
                ``data_fingerprint``, ``references`` — each described there.

        Returns:
            :class:`m2t_interpret.result.CaptureResult`.
        """
        return decoding.decode(self, x, lengths, settings, **options)

    def generate(self, x: torch.Tensor, lengths: torch.Tensor, mode: str = "greedy", max_steps: int | None = None,
                 beam_size: int = 2) -> list[list[int]]:
        """Token ids per clip (up to and including <eos>), without capture: what training and
        evaluation need."""
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                out = decoding.generate(self, self.encode(x, lengths), mode, max_steps=int(max_steps or self.config.max_steps),
                               beam_size=beam_size)
        finally:
            self.train(was_training)
            self.release_workspace()
        return [[int(i) for i in row if i >= 0] for row in out.tokens.tolist()]

    def capture(self, motions, mode: str = "greedy", captions=None, clip_ids=None, **kwargs):
        """Raw clips (list of (T, J, 3) arrays or .npy/.bvh paths) → :class:`~m2t_interpret.result.CaptureResult`; text
        ``captions`` are encoded with the model's vocabulary. The result records each clip's motion
        statistics (``clip_motion``), and a clip outside the model's training corpus is warned about
        (:class:`~m2t_interpret.data.motion_range.OutOfDistributionWarning`)."""
        clips = read_motions(motions, self.skeleton)
        x, lengths = self.preprocess(clips)
        if captions is not None and not torch.is_tensor(captions):
            captions = self.encode_captions(captions)
        result = self.decode(x, lengths, mode=mode, captions=captions, clip_ids=clip_ids, **kwargs)
        result.clip_motion = self.motion_table(clips, result.clip_ids)
        result.warn_motion()  # a clip outside the training corpus: one warning line
        return result

    def caption(self, motions, mode: str = "greedy", beam_size: int = 2) -> list[str] | str:
        """Raw clip(s) → caption string(s); one array (or one ``.npy``/``.bvh`` path) in, one string out."""
        single = isinstance(motions, (str, os.PathLike)) or (isinstance(motions, np.ndarray) and motions.ndim == 3)
        result = self.capture([motions] if single else motions, mode=mode, beam_size=beam_size, capture=False)
        return result.captions[0] if single else result.captions

    def encode_captions(self, captions: Sequence[str]) -> torch.Tensor:
        """Caption strings → padded ids (N, L) with <sos> … <eos> (unknown words → <unk>)."""
        if self.vocab is None:
            raise M2TError("this model has no vocabulary; load it with vocab=... to use text captions")

        index = {w: i for i, w in enumerate(self.vocab)}
        rows = [[SOS] + [index.get(w, UNK) for w in caption_tokens(str(c))] + [EOS] for c in captions]
        out = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.int64)
        for n, r in enumerate(rows):
            out[n, : len(r)] = torch.tensor(r)
        return out
