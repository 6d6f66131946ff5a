"""A straightforward, step-by-step reference of the guided-attention captioner (REFERENCE §1.4).

Written in the style of the authors' original code so that the decoding benchmark has an honest
baseline: time-first tensors (T, N, ·), module names equal to the checkpoint keys, and at every
decoding step both key projections ``feat_extract_x(R)`` and ``feat_extract_g(R)`` are recomputed
over all frames and the pooled features F (T, N, H) are formed explicitly before the Gaussian
window is applied. Nothing is cached across steps except the encoder output.

It is independent of ``m2t_interpret.model`` (only the weights are shared, loaded from the
project model's ``state_dict()``, whose keys are the authors' names) and supports the HumanML3D
22-joint skeleton, greedy decoding and inference only.
"""

from __future__ import annotations

import torch
from torch import nn

SOS, EOS = 1, 2

#: HumanML3D body parts in checkpoint column order (REFERENCE §1.2); the torso repeats the pelvis.
HUMANML3D_PARTS = (
    (0,),
    (0, 3, 6, 9, 12, 15),
    (14, 17, 19, 21),
    (13, 16, 18, 20),
    (2, 5, 8, 11),
    (1, 4, 7, 10),
)


class ReferencePoseEncoder(nn.Module):
    """``enc_pose``: per-part two-layer tanh MLPs over positions and velocities."""

    def __init__(self, hidden: int, attn_dim: int, parts=HUMANML3D_PARTS):
        super().__init__()
        self.parts = [list(p) for p in parts]
        self.six_layers = nn.ModuleList(nn.Linear(3 * len(p), attn_dim) for p in self.parts)
        self.six_layers_2 = nn.ModuleList(nn.Linear(attn_dim, hidden // 2) for _ in self.parts)
        self.six_layers_v = nn.ModuleList(nn.Linear(3 * len(p), attn_dim) for p in self.parts)
        self.six_layers_v2 = nn.ModuleList(nn.Linear(attn_dim, hidden // 2) for _ in self.parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (T, N, J·3) time-first → P (T, N, H, 6)."""
        vel = torch.zeros_like(x)
        vel[1:] = x[1:] - x[:-1]
        out = []
        for k, joints in enumerate(self.parts):
            cols = [3 * j + a for j in joints for a in range(3)]
            xk, vk = x[:, :, cols], vel[:, :, cols]
            p = torch.tanh(self.six_layers_2[k](torch.tanh(self.six_layers[k](xk))))
            q = torch.tanh(self.six_layers_v2[k](torch.tanh(self.six_layers_v[k](vk))))
            out.append(torch.cat([p, q], dim=-1))
        return torch.stack(out, dim=-1)  # (T, N, H, 6)


class ReferenceWordDecoder(nn.Module):
    """``dec``: embedding and the two single-layer LSTMs (time-first)."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.bottom_lstm = nn.LSTM(embed_dim, hidden)
        self.top_lstm = nn.LSTM(hidden, hidden)


class ReferenceCaptioner(nn.Module):
    """The captioner with the authors' module names; :meth:`greedy` is the naive decoding loop."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, attn_dim: int, n_parts: int = 6):
        super().__init__()
        v, e, h, d = vocab_size, embed_dim, hidden, attn_dim
        self.n_parts = n_parts
        self.enc_pose = ReferencePoseEncoder(h, d)
        self.dec = ReferenceWordDecoder(v, e, h)
        self.feat_extract_x = nn.Linear(n_parts * h, d)
        self.feat_extract_hdec = nn.Linear(h, d)
        self.feat_extract_henc = nn.Linear(h, d)  # in every checkpoint, unused
        self.spatial_att = nn.Linear(d, n_parts)
        self.feat_extract_g = nn.Linear(n_parts * h, d)
        self.tempfeat_extract_hdec = nn.Linear(h, d)
        self.temporal_att = nn.Linear(d, 1)
        self.gate_var = nn.Linear(h, 1)
        self.adapt_layer = nn.Linear(e, 1)
        self.ctproject = nn.Linear(h, d)
        self.htproject = nn.Linear(h, d)
        self.mixture_feat = nn.Linear(d + e + h, d + e + h)
        self.final_layer = nn.Linear(d + e + h, v)

    @classmethod
    def from_state_dict(cls, state_dict: dict) -> "ReferenceCaptioner":
        """Build with sizes read from the tensors and load ``state_dict`` strictly."""
        v, e = state_dict["dec.embedding.weight"].shape
        h = state_dict["dec.top_lstm.weight_hh_l0"].shape[1]
        d = state_dict["feat_extract_x.weight"].shape[0]
        ref = cls(v, e, h, d)
        ref.load_state_dict(state_dict, strict=True)
        return ref.eval()

    def step(self, R, P, mask, frames, y_prev, state):
        """One decoding step, everything recomputed from the encoder output.

        R (T, N, 6H) hidden-major, P (T, N, H, 6), mask (T, N) bool, frames (T,) float,
        y_prev (N,) → logits (N, V), new state.
        """
        emb = self.dec.embedding(y_prev)  # (N, E); dropout is identity at inference
        h_b, state_b = self.dec.bottom_lstm(emb.unsqueeze(0), state[0])
        h_t, state_t = self.dec.top_lstm(h_b, state[1])
        h_b, h_t = h_b[0], h_t[0]  # (N, H)

        # Spatial attention over the six parts, per frame (key projection recomputed).
        keys_x = self.feat_extract_x(R)  # (T, N, D)
        s = self.spatial_att(torch.tanh(self.feat_extract_hdec(h_b).unsqueeze(0) + keys_x))  # (T, N, 6)
        alpha = torch.softmax(s, dim=-1) * mask.unsqueeze(-1).float()
        F = (alpha.unsqueeze(2) * P).sum(-1) / self.n_parts  # (T, N, H), mean over parts

        # Temporal attention (key projection recomputed), summarised as a Gaussian.
        keys_g = self.feat_extract_g(R)  # (T, N, D)
        e = self.temporal_att(torch.tanh(self.tempfeat_extract_hdec(h_b).unsqueeze(0) + keys_g))[..., 0]
        e = e.masked_fill(~mask, float("-inf"))
        gamma = torch.softmax(e, dim=0)  # (T, N)
        mu = (gamma * frames[:, None]).sum(0)  # (N,)
        sigma = torch.sqrt((gamma * (frames[:, None] - mu[None]) ** 2).sum(0))
        window = torch.exp(-((frames[:, None] - mu[None]) ** 2) / (2 * sigma[None] ** 2))  # (T, N)
        c = (window.unsqueeze(-1) * F * mask.unsqueeze(-1).float()).sum(0)  # (N, H)

        # Adaptive gate, then the output layer over [emb; ĉ; h_b].
        beta = torch.sigmoid(self.gate_var(h_b) + self.adapt_layer(emb))  # (N, 1)
        c_hat = beta * torch.tanh(self.ctproject(c)) + (1 - beta) * torch.tanh(self.htproject(h_t))
        mixed = torch.tanh(self.mixture_feat(torch.cat([emb, c_hat, h_b], dim=-1)))
        return self.final_layer(mixed), (state_b, state_t)

    @torch.inference_mode()
    def greedy(self, x: torch.Tensor, lengths: torch.Tensor, max_steps: int):
        """``x`` (T, N, J·3) time-first, ``lengths`` (N,) → tokens (N, S), logits (N, S, V).

        Runs ``max_steps`` steps or until every clip has emitted <eos>; a clip that has ended
        keeps being fed its argmax (tokens after its <eos> are still returned).
        """
        T, N, _ = x.shape
        P = self.enc_pose(x)  # (T, N, H, 6)
        R = P.reshape(T, N, -1)  # hidden-major flattening (index h·6 + k)
        mask = torch.arange(T)[:, None] < lengths[None, :]  # (T, N)
        frames = torch.arange(T, dtype=x.dtype)
        y = torch.full((N,), SOS, dtype=torch.long)
        state = (None, None)
        ended = torch.zeros(N, dtype=torch.bool)
        tokens, logits = [], []
        for _ in range(max_steps):
            out, state = self.step(R, P, mask, frames, y, state)
            y = out.argmax(-1)
            tokens.append(y)
            logits.append(out)
            ended = ended | (y == EOS)
            if bool(ended.all()):
                break
        return torch.stack(tokens, 1), torch.stack(logits, 1)
