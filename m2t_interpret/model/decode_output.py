"""What a decoding strategy returns (:mod:`.decoding`, :mod:`.authors_beam`), batch-first."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class DecodeOutput:
    tokens: torch.Tensor  # (N, S) predicted ids, −1 after each clip's end
    logits: torch.Tensor | None  # (N, S, V)
    step_mask: torch.Tensor  # (N, S) bool, steps that belong to the clip's caption
    targets: torch.Tensor | None = None  # (N, S) forced mode: the caption token each step predicts
    scores: torch.Tensor | None = None  # (N,) beam: length-normalised log-probability of the best
    n_best: list[list[tuple[list[int], float]]] | None = None  # beam: per clip (ids, score), best first
    # instead of logits (greedy without logits): each step's word log-probability and top k
    log_probs: torch.Tensor | None = None  # (N, S)
    topk: tuple[torch.Tensor, torch.Tensor] | None = None  # (N, S, k) log-probabilities and ids
    # hook points the strategy recorded itself (the authors' search: its best hypothesis), by name
    recorded: dict[str, torch.Tensor] | None = None
