"""A straightforward, step-by-step reference of the guided-attention captioner (REFERENCE §1.4).

Written in the style of the authors' original code so that the decoding benchmark has an honest
baseline: time-first tensors (T, N, ·), module names equal to the checkpoint keys, and at every
decoding step both key projections ``feat_extract_x(R)`` and ``feat_extract_g(R)`` are recomputed
over all frames and the pooled features F (T, N, H) are formed explicitly before the Gaussian
window is applied. Nothing is cached across steps except the encoder output.

It is independent of ``m2t_interpret.model`` (only the weights are shared, loaded from the
project model's ``state_dict()``, whose keys are the authors' names) and supports the HumanML3D
22-joint skeleton (and the KIT-21 skeleton, picked from the weights), greedy decoding, the
authors' best-first beam search (:meth:`ReferenceCaptioner.authors_beam`, REFERENCE §1.9) and
inference only.
"""

from __future__ import annotations

import heapq

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

#: KIT-21 body parts in checkpoint column order (REFERENCE §1.2).
KIT_PARTS = (
    (0,),
    (1, 2, 3, 4),
    (5, 6, 7),
    (8, 9, 10),
    (11, 12, 13, 14, 15),
    (16, 17, 18, 19, 20),
)

#: The authors' beam search stops when its never-decremented queue counter exceeds this.
QUEUE_LIMIT = 100


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

    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, attn_dim: int, n_parts: int = 6,
                 parts=HUMANML3D_PARTS):
        super().__init__()
        v, e, h, d = vocab_size, embed_dim, hidden, attn_dim
        self.n_parts = n_parts
        self.enc_pose = ReferencePoseEncoder(h, d, parts)
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
        # Skeleton from the torso's input width (REFERENCE §1.1): 18 → HumanML3D, 12 → KIT.
        parts = KIT_PARTS if state_dict["enc_pose.six_layers.1.weight"].shape[1] == 12 else HUMANML3D_PARTS
        ref = cls(v, e, h, d, parts=parts)
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

    def beam_step(self, R, P_i, mask_i, frames, y_prev, state, column):
        """One expansion of the authors' beam search for one hypothesis of clip ``column``.

        As the released code does (REFERENCE §1.9, quirk): the key projections and both attentions
        are computed for all N clips of the batch, ``R`` (T, N, 6H), with this clip's query, mask
        ``mask_i`` (T, 1) and part features ``P_i`` (T, 1, H, 6) broadcast over the N columns, and only
        column ``column`` of the context is kept: the result equals :meth:`step` on the one clip, at
        O(N) cost. The LSTMs and the output layer run on the one hypothesis.
        """
        emb = self.dec.embedding(y_prev)  # (1, E)
        h_b, state_b = self.dec.bottom_lstm(emb.unsqueeze(0), state[0])
        h_t, state_t = self.dec.top_lstm(h_b, state[1])
        h_b, h_t = h_b[0], h_t[0]  # (1, H)

        keys_x = self.feat_extract_x(R)  # (T, N, D), every clip of the batch
        s = self.spatial_att(torch.tanh(self.feat_extract_hdec(h_b).unsqueeze(0) + keys_x))  # (T, N, 6)
        alpha = torch.softmax(s, dim=-1) * mask_i.unsqueeze(-1).float()
        F = (alpha.unsqueeze(2) * P_i).sum(-1) / self.n_parts  # (T, N, H)

        keys_g = self.feat_extract_g(R)  # (T, N, D)
        e = self.temporal_att(torch.tanh(self.tempfeat_extract_hdec(h_b).unsqueeze(0) + keys_g))[..., 0]
        e = e.masked_fill(~mask_i, float("-inf"))
        gamma = torch.softmax(e, dim=0)  # (T, N)
        mu = (gamma * frames[:, None]).sum(0)
        sigma = torch.sqrt((gamma * (frames[:, None] - mu[None]) ** 2).sum(0))
        window = torch.exp(-((frames[:, None] - mu[None]) ** 2) / (2 * sigma[None] ** 2))  # (T, N)
        c = (window.unsqueeze(-1) * F * mask_i.unsqueeze(-1).float()).sum(0)  # (N, H)
        c = c[column:column + 1]  # only this clip's column is kept

        beta = torch.sigmoid(self.gate_var(h_b) + self.adapt_layer(emb))
        c_hat = beta * torch.tanh(self.ctproject(c)) + (1 - beta) * torch.tanh(self.htproject(h_t))
        mixed = torch.tanh(self.mixture_feat(torch.cat([emb, c_hat, h_b], dim=-1)))
        return self.final_layer(mixed), (state_b, state_t)

    @torch.inference_mode()
    def authors_beam(self, x: torch.Tensor, lengths: torch.Tensor, beam_size: int, all_columns: bool = True):
        """The authors' best-first beam search (REFERENCE §1.9), one clip after another.

        ``x`` (T, N, J·3) time-first, ``lengths`` (N,) → per clip a list of 1 … k ``(ids, score)``
        best first, ids starting with <sos>, score s = logp / (len − 1 + 1e−6).

        Per clip: one min-heap of partial hypotheses of every depth (never pruned), keyed by −s.
        Each pop of a non-<eos> node expands it by ONE decoder step of that one hypothesis
        (:meth:`step`, which recomputes both key projections over all frames), and pushes its k
        most probable continuations; the never-decremented counter (+k − 1 per expansion) stops
        the search above 100. Equal keys pop in push order (the released code would raise
        TypeError comparing two nodes); children are pushed in ``topk`` order.

        ``all_columns`` (default, the released code's cost): every expansion computes the
        attention for all N clips of the batch and keeps this clip's column (:meth:`beam_step`);
        False: a one-clip step (:meth:`step` on this clip's column), N times cheaper and the same
        result.
        """
        k = int(beam_size)
        T, N, _ = x.shape
        P = self.enc_pose(x)  # (T, N, H, 6), encoded once for the batch as the authors' forward does
        R = P.reshape(T, N, -1)
        mask = torch.arange(T)[:, None] < lengths[None, :]
        frames = torch.arange(T, dtype=x.dtype)
        results = []
        for i in range(N):
            R_i, P_i, mask_i = R[:, i:i + 1], P[:, i:i + 1], mask[:, i:i + 1]
            # A node: [states after its token, parent, token, logp, len]; the root has zero states.
            root = [(None, None), None, SOS, 0.0, 1]
            pushes = 0
            heap = [(-0.0, pushes, root)]
            finished = []
            counter = 1
            while True:
                if counter > QUEUE_LIMIT:
                    break
                key, order, node = heapq.heappop(heap)
                if node[2] == EOS and node[1] is not None:
                    finished.append((key, order, node))
                    if len(finished) >= k:
                        break
                    continue
                y_prev = torch.tensor([node[2]], dtype=torch.long)
                if all_columns:
                    out, state = self.beam_step(R, P_i, mask_i, frames, y_prev, node[0], i)
                else:
                    out, state = self.step(R_i, P_i, mask_i, frames, y_prev, node[0])
                log_probs = torch.log_softmax(out.float(), dim=-1)
                values, indexes = torch.topk(log_probs, k)  # descending
                for value, index in zip(values[0].tolist(), indexes[0].tolist()):
                    logp = node[3] + value  # float32 value added in Python float64
                    length = node[4] + 1
                    child = [state, node, index, logp, length]
                    pushes += 1
                    heapq.heappush(heap, (-(logp / (length - 1 + 1e-6)), pushes, child))
                counter += k - 1
            if not finished:  # nothing finished: the k best nodes left in the heap
                finished = [heapq.heappop(heap) for _ in range(min(k, len(heap)))]
            finished.sort(key=lambda entry: entry[0])  # stable
            hyps = []
            for _, _, node in finished:
                ids, v = [], node
                while v is not None:
                    ids.append(v[2])
                    v = v[1]
                hyps.append((ids[::-1], node[3] / (node[4] - 1 + 1e-6)))
            results.append(hyps)
        return results
