"""Word decoder: embedding, the bottom and top LSTMs, and the output layers (REFERENCE §1.4)."""

from __future__ import annotations

import torch
from torch import nn

from .ops import derived_weights, flat_linear, linear, needs_grad


def _lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, lstm: nn.LSTM) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step (gate order i, f, g, o, as nn.LSTM); without autograd, :func:`lstm_step`."""
    if needs_grad(x, h, c, lstm.weight_ih_l0):
        return torch.lstm_cell(x, (h, c), lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
    return lstm_step(x, h, c, *joined_lstm_weights(lstm))


def joined_lstm_weights(lstm: nn.LSTM) -> tuple[torch.Tensor, torch.Tensor]:
    """[W_ih, W_hh] (4H, in + H) and b_ih + b_hh, the g-gate rows doubled so that one sigmoid
    serves all four gates (tanh(z) = 2σ(2z) − 1; doubling is exact in floating point). Built once
    and kept until a parameter changes (torch.lstm_cell joins the matrices at every call)."""
    sources = (lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)

    def build():
        hidden = lstm.hidden_size
        w, b = torch.cat(sources[:2], 1), sources[2] + sources[3]
        w[2 * hidden:3 * hidden] *= 2
        b[2 * hidden:3 * hidden] *= 2
        return w, b

    return derived_weights(lstm, "_joined_step_weights", sources, build)


def lstm_step(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, weight: torch.Tensor,
              bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inference LSTM step from :func:`joined_lstm_weights`: one matmul over [x; h] and one
    sigmoid for all gates → (h', c')."""
    gates = flat_linear(torch.cat([x, h], 1), weight, bias, pack=True).sigmoid_()  # (M, 4H), g as σ(2z)
    i, f, g, o = gates.chunk(4, 1)
    g.mul_(2).sub_(1)  # tanh
    c = torch.addcmul(f * c, i, g)
    return o * torch.tanh(c), c


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
        if tokens.shape[1] == 1:
            return (emb, *self._one_step(self.dropout(emb[:, 0]), state))
        bottom_state, top_state = state if state is not None else (None, None)
        h, bottom_state = self.bottom_lstm(self.dropout(emb), bottom_state)
        h_top, top_state = self.top_lstm(h, top_state)
        return emb, h, h_top, (bottom_state, top_state)

    def _one_step(self, x: torch.Tensor, state):
        """Both LSTMs for one step with plain LSTM cells (cheaper than a length-1 sequence call).
        States keep nn.LSTM's layout, ((1, N, H), (1, N, H)) per LSTM."""
        if state is None:
            zero = x.new_zeros(1, x.shape[0], self.bottom_lstm.hidden_size)
            state = ((zero, zero), (zero, zero))
        new_state = []
        for lstm, (h, c) in zip((self.bottom_lstm, self.top_lstm), state):
            h, c = _lstm_cell(x, h[0], c[0], lstm)
            new_state.append((h.unsqueeze(0), c.unsqueeze(0)))
            x = h
        (h_bottom, _), (h_top, _) = new_state
        return h_bottom.transpose(0, 1), h_top.transpose(0, 1), tuple(new_state)

    def logits(self, emb: torch.Tensor, gated_context: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """(N, S, E), (N, S, D), (N, S, H) → logits (N, S, V)."""
        mixed = linear(self.mixture, torch.cat([self.dropout(emb), gated_context, h], dim=-1), "tanh")
        return linear(self.output, mixed)
