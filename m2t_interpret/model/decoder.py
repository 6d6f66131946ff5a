"""Word decoder: embedding, the bottom and top LSTMs, and the output layers (REFERENCE §1.4)."""

from __future__ import annotations

import torch
from torch import nn


class WordDecoder(nn.Module):
    """Two stacked single-layer LSTMs driven by the previous word only.

    Neither LSTM sees the motion context, so with known inputs (teacher forcing, forced
    decoding) all steps run as one sequence call; the output layer mixes
    [dropout(Emb(y_{t−1})); ĉ_t; h_t].
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, attn_dim: int, dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.bottom_lstm = nn.LSTM(embed_dim, hidden, batch_first=True)
        self.top_lstm = nn.LSTM(hidden, hidden, batch_first=True)
        width = embed_dim + attn_dim + hidden
        self.mixture = nn.Linear(width, width)
        self.output = nn.Linear(width, vocab_size)
        self.dropout = nn.Dropout(dropout)

    def states(self, tokens: torch.Tensor, state=None):
        """Run both LSTMs on input tokens (N, S).

        Returns ``emb`` (N, S, E) without dropout, bottom states ``h`` (N, S, H), top states
        ``h_top`` (N, S, H) and the recurrent state to continue from.
        """
        emb = self.embedding(tokens)
        bottom_state, top_state = state if state is not None else (None, None)
        h, bottom_state = self.bottom_lstm(self.dropout(emb), bottom_state)
        h_top, top_state = self.top_lstm(h, top_state)
        return emb, h, h_top, (bottom_state, top_state)

    def logits(self, emb: torch.Tensor, gated_context: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """(N, S, E), (N, S, D), (N, S, H) → logits (N, S, V)."""
        mixed = torch.tanh(self.mixture(torch.cat([self.dropout(emb), gated_context, h], dim=-1)))
        return self.output(mixed)
