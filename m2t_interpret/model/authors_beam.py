"""The authors' best-first beam search, reproduced exactly and batched over clips.

The released code decodes with ``beam_size`` k > 1 by a best-first search over one priority queue
per clip (not the usual synchronous beam of :func:`~m2t_interpret.model.decoding.beam_search`):

- A node holds the decoder states after its token, its parent, its token, ``logp`` (sum of the
  log-probabilities of its generated tokens, float32 values added in Python float64) and ``len``
  (tokens including <sos>). Score ``s = logp / (len − 1 + 1e−6)``, the mean log-probability per
  generated token (<eos> included, 0 for the root); heap key ``−s``. The heap holds nodes of every
  depth and is never pruned: k only limits the branching of an expansion.
- Counter ``c = 1``. Loop: if ``c > 100`` stop; pop the smallest key; an <eos> node goes to the
  finished list (stop when it holds k; ``c`` unchanged, no expansion); any other node is expanded by
  one decoder step: log-softmax over the vocabulary, the k most probable tokens become k children
  sharing the step's new states, all k are pushed and ``c += k − 1``.
- ``c`` is never decremented, so the limit is an expansion budget of ⌊99 / (k − 1)⌋ + 1 expansions
  (100 for k = 2, 50 for k = 3), checked before each pop.
- Result: the finished hypotheses (1 … k of them); if none finished, the k best nodes left in the
  heap (unfinished, or <eos> nodes never popped). The list is sorted by key, ascending and stable
  (best first), and each entry is traced back to the root: ids from <sos> to its last token.

Additions of this implementation (the released code has neither):

- **Ties.** Heap entries are ``(key, node id)``; node ids grow in push order, so among equal keys the
  node pushed first is popped first (the released code compares the nodes themselves and raises
  ``TypeError``). The k children of one expansion are the first k tokens of a stable descending sort
  of the log-probabilities: higher log-probability first, equal log-probabilities by lower token id
  (this also decides which token enters when the k-th and (k+1)-th log-probabilities are equal).
  Without exact ties the result is the released code's.
- **max_steps.** A node that already holds ``max_steps`` generated tokens is not expanded: when it
  is popped it joins the finished list like an <eos> node (an unfinished hypothesis, no <eos>; the
  budget is unchanged). For k ≥ 2 the budget bounds the depth by 100 (k = 2) or 50 (k = 3), so
  ``max_steps ≥ 100`` never binds. For k = 1 the budget never grows (``c += 0``), the search is
  greedy decoding until <eos>, and ``max_steps`` is the only length cap.

Every clip's search is independent; all searches run in lockstep. Per round, each clip still
searching pops nodes until it reaches one to expand (or stops), and the nodes of all clips are
stepped in one batched decoder call. Decoder states live as rows of one growing pool tensor
(h, c of both LSTMs side by side, 4H wide); nodes are plain Python lists indexing it. Batching
changes only float rounding of the batched matmuls (≈1e−7), never the order of any clip's
decisions by itself.

In eval mode with no hook registered on the model, the batched step is :class:`_FusedStep`: the
model's step rewritten from its weights with fewer, larger tensor ops and reused workspaces (same
mathematics, rounding ≈1e−7). When a hook is registered (``decode(..., beta=…)``, ``replace=…``,
or any forward hook), or in training mode, the search steps through :meth:`Captioner.step`, so
that replacements act on the search itself.

Where the time goes (HumanML3D sizes, 16 clips, k = 2, one thread): every clip runs its 100
expansions, so the search is 100 rounds of a 16-row decoder step. A round is dominated by the
output layer (16 × 640 → 3,000, reading its 7.7 MB weight), then the two LSTM matmuls, the
context (reading the part features P, 16 × 60 × 6 × 256) and the energies pass over the keys;
the Python heap work is a few percent.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from ..errors import M2TError
from .captioner import EOS, SOS
from .ops import flat_linear, linear

if TYPE_CHECKING:
    from .captioner import Captioner, Encoded
    from .decoding import DecodeOutput

#: The released code stops when its never-decremented queue counter exceeds this.
QUEUE_LIMIT = 100


def expansion_budget(beam_size: int) -> int | None:
    """Most decoder steps one clip's search may run: ⌊99 / (k − 1)⌋ + 1; None (unbounded) for k = 1."""
    if beam_size < 1:
        raise M2TError(f"beam size must be ≥ 1, got {beam_size}")
    if beam_size == 1:
        return None
    return (QUEUE_LIMIT - 1) // (beam_size - 1) + 1


@dataclass
class ClipSearch:
    """One clip's search: the returned hypotheses and how the search ended."""

    hypotheses: list[tuple[list[int], float, float]]  # (ids from <sos>, score s, logp), best first
    stop: str  # "finished": k hypotheses ended with <eos>; "max_steps": the k finished include one
    # cut at max_steps; "budget": the expansion budget ran out
    expansions: int  # decoder steps this clip's search ran
    n_finished: int  # returned hypotheses that end with <eos>
    # the best hypothesis's generated tokens: the expansion (trace row) that predicted each, and
    # each token's log-probability
    best_rows: tuple[int, ...] = ()
    best_log_probs: tuple[float, ...] = ()


class _Trace:
    """What the fused step saw at every expansion, by expansion row (the state pool's row): α, γ,
    Γ, μ, σ, β̂, the top-k log-probabilities and ids and optionally the logits. The best
    hypothesis's rows then give its capture without replaying it."""

    def __init__(self, top_k: int, keep_logits: bool):
        self.top_k, self.keep_logits = top_k, keep_logits
        self.pools: dict[str, torch.Tensor] = {}

    def _pool(self, name: str, rows: int, like: torch.Tensor, tail: tuple[int, ...]) -> torch.Tensor:
        pool = self.pools.get(name)
        if pool is None or pool.shape[0] < rows:
            grown = like.new_zeros(max(rows, 2 * (0 if pool is None else pool.shape[0]), 64), *tail)
            if pool is not None:
                grown[: pool.shape[0]] = pool
            pool = self.pools[name] = grown
        return pool

    def store(self, first: int, **values: torch.Tensor) -> None:
        """Rows ``first … first + M − 1`` of each named value (M, …)."""
        for name, v in values.items():
            tail = tuple(v.shape[1:])
            self._pool(name, first + v.shape[0], v, tail)[first: first + v.shape[0]] = v

    def gather(self, rows: list[list[int]], names) -> dict[str, torch.Tensor]:
        """Per clip, the rows of its best hypothesis's steps → (N, S, …) tensors, zero-padded."""
        n, s = len(rows), max(1, max(len(r) for r in rows))
        out = {}
        for name in names:
            pool = self.pools[name]
            flat = torch.zeros(n * s, *pool.shape[1:], dtype=pool.dtype, device=pool.device)
            index = [i * s + j for i, r in enumerate(rows) for j in range(len(r))]
            if index:
                src = torch.tensor([x for r in rows for x in r], device=pool.device)
                flat[torch.tensor(index, device=pool.device)] = pool.index_select(0, src)
            out[name] = flat.view(n, s, *pool.shape[1:])
        return out


class _Clip:
    __slots__ = ("heap", "counter", "finished", "stop", "expansions")

    def __init__(self):
        self.heap: list[tuple[float, int]] = [(-0.0, 0)]  # the root: key −s = −0, node id 0
        self.counter = 1
        self.finished: list[tuple[float, int]] = []
        self.stop: str | None = None
        self.expansions = 0


def _hooks_active(model: Captioner) -> bool:
    """Whether any hook (on a hook point or global) could read or change the step's tensors."""
    from torch.nn.modules import module as _module

    if getattr(_module, "_global_forward_hooks", None) or getattr(_module, "_global_forward_pre_hooks", None):
        return True
    return any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


class _FusedStep:
    """:meth:`Captioner.step` for inference, from the model's weights, in fewer and larger ops.

    The same computation as the model's step (REFERENCE §1.4), rearranged so that one search round
    costs few tensor ops: each LSTM is one matmul over [input; state] with both biases summed and
    one sigmoid for all four gates; both attention queries are one matmul and both attentions' tanh
    one in-place pass over the concatenated keys (tanh(z) = 2σ(2z) − 1, the affine part folded into
    the score layers, which run in the transposed layout that torch's CPU matmul is fastest at for
    so few outputs); the gate's word term is a per-token table; ctproject and htproject are one
    batched matmul; the energies' buffer is reused across steps; the LSTM, query, mixture and
    output matmuls go through :func:`~m2t_interpret.model.ops.flat_linear`. Only float rounding
    differs from the model's step (≈1e−7; tests/test_authors_beam.py compares the two). Used only
    in eval mode with no hook registered, where nothing can observe or replace the intermediate
    tensors.
    """

    def __init__(self, model: Captioner, enc: Encoded):
        dec, sa, ta, gate = model.decoder, model.spatial_attention, model.temporal_attention, model.gate
        hidden = dec.bottom_lstm.hidden_size
        self.hidden = hidden
        self.embedding = dec.embedding.weight

        def lstm_weights(lstm):
            # [W_ih, W_hh] with the g-gate rows doubled, so one sigmoid serves all four gates:
            # tanh(z) = 2σ(2z) − 1 (doubling is exact in floating point).
            w = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], 1)
            b = lstm.bias_ih_l0 + lstm.bias_hh_l0
            w[2 * hidden:3 * hidden] *= 2
            b[2 * hidden:3 * hidden] *= 2
            return w, b

        self.w_bottom, self.b_bottom = lstm_weights(dec.bottom_lstm)
        self.w_top, self.b_top = lstm_weights(dec.top_lstm)
        # Both queries, doubled: σ(2q + 2k) below is the σ(2z) of tanh(z) = 2σ(2z) − 1.
        self.w_query = 2 * torch.cat([sa.query.weight, ta.query.weight], 0)  # (2D, H)
        self.b_query = 2 * torch.cat([sa.query.bias, ta.query.bias])
        self.n_parts = sa.score.weight.shape[0]
        self.attn_dim = sa.query.weight.shape[0]
        # Score layers on σ(2z): W·tanh(z) + b = 2W·σ(2z) + (b − W·1); the energies are computed
        # transposed (score rows × frames), the fastest layout for a matmul this narrow.
        self.w_spatial = 2 * sa.score.weight  # (6, D)
        self.b_spatial = (sa.score.bias - sa.score.weight.sum(1)).unsqueeze(1)  # (6, 1)
        self.w_temporal = 2 * ta.score.weight[0]  # (D,)
        self.b_temporal = float(ta.score.bias[0] - ta.score.weight.sum())
        # Gate: β̂ = σ(w_h·h + b_h + w_e·Emb(y) + b_e); the word term is one value per token.
        self.w_gate = gate.state_proj.weight.t()  # (H, 1)
        self.gate_word = (self.embedding @ gate.word_proj.weight.t() + gate.word_proj.bias
                          + gate.state_proj.bias)  # (V, 1)
        self.w_proj = torch.stack([gate.context_proj.weight, gate.state_out_proj.weight]).transpose(1, 2)  # (2, H, D)
        self.b_proj = torch.stack([gate.context_proj.bias, gate.state_out_proj.bias]).unsqueeze(1)  # (2, 1, D)
        self.mixture, self.output = dec.mixture, dec.output

        n, t = enc.frame_mask.shape
        joint = enc.keys if enc.keys is not None else torch.cat([enc.spatial_keys, enc.temporal_keys], -1)
        self.keys = 2 * joint  # (N, T, 2D)
        self.parts = enc.parts.reshape(n, t * self.n_parts, -1)  # (N, T·6, H), a view
        self.mask = enc.frame_mask.to(self.keys.dtype)  # (N, T)
        self.neg = torch.zeros_like(self.mask).masked_fill_(~enc.frame_mask, float("-inf"))
        self.frames = torch.arange(t, dtype=self.keys.dtype, device=self.keys.device)
        self._rows: tuple[int, ...] | None = None
        self._sel = (self.keys, self.parts, self.mask, self.neg)
        # Workspaces reused by every step (fresh multi-megabyte tensors each step cost page faults).
        self._act = torch.empty_like(self.keys)  # (N, T, 2D)

    def select(self, rows: list[int]) -> None:
        """Make the next steps run on the clips ``rows`` (in this order)."""
        key = tuple(rows)
        if key == self._rows:
            return
        self._rows = key
        if key == tuple(range(self.keys.shape[0])):
            self._sel = (self.keys, self.parts, self.mask, self.neg)
        else:
            idx = torch.tensor(key, device=self.keys.device)
            self._sel = tuple(a.index_select(0, idx) for a in (self.keys, self.parts, self.mask, self.neg))

    def __call__(self, tokens: torch.Tensor, state: torch.Tensor, out_state: torch.Tensor,
                 trace: _Trace | None = None, first_row: int = 0) -> torch.Tensor:
        """``tokens`` (M,), ``state`` (M, 4H) rows [h, c, h̃, c̃] → logits (M, V); the new state
        is written into ``out_state`` (M, 4H); with ``trace``, α, γ, Γ, μ, σ and β̂ go to its rows
        ``first_row …``."""
        hid = self.hidden
        keys, parts, mask, neg = self._sel
        emb = self.embedding.index_select(0, tokens)  # (M, E)
        h_b, c_b = self._lstm(emb, state[:, :hid], state[:, hid:2 * hid], self.w_bottom, self.b_bottom)
        h_t, c_t = self._lstm(h_b, state[:, 2 * hid:3 * hid], state[:, 3 * hid:], self.w_top, self.b_top)
        torch.cat([h_b, c_b, h_t, c_t], 1, out=out_state)

        # Both attentions' energies in one pass: σ(2q + 2k) (M·T, 2D).
        q = flat_linear(h_b, self.w_query, self.b_query, pack=True)  # (M, 2D)
        m, t, width = keys.shape
        act = torch.add(keys, q.unsqueeze(1), out=self._act[:m]).sigmoid_().view(m * t, width)
        d, k = self.attn_dim, self.n_parts
        # Spatial: softmax over the parts, zero on padded frames; computed as (6, M, T).
        s = torch.addmm(self.b_spatial, self.w_spatial, act[:, :d].t()).view(k, m, t)
        alpha = s.sub_(s.amax(0)).exp_()
        alpha.mul_(mask / alpha.sum(0))
        # Temporal: softmax over valid frames → μ, σ → Γ.
        e = torch.mv(act[:, d:], self.w_temporal).view(m, t).add_(neg)
        gamma = torch.softmax(e.add_(self.b_temporal), dim=-1)  # (M, T)
        frames = self.frames
        mu = gamma @ frames
        sq = (frames - mu.unsqueeze(1)).square_()
        var = (gamma * sq).sum(-1, keepdim=True)
        if trace is not None:
            trace.store(first_row, alpha=alpha.permute(1, 2, 0), gamma=gamma, mu=mu, sigma=var.sqrt().squeeze(1))
        window = sq.div_(var.mul_(-2)).exp_()  # exp(−(i − μ)² / (2σ²))
        if trace is not None:
            trace.store(first_row, window=window)
        weights = alpha.mul_(window).permute(1, 2, 0).reshape(m, 1, t * k)  # (M, 1, T·6)
        context = torch.bmm(weights, parts).view(m, -1).div_(k)  # (M, H)

        # Gate and output layer.
        beta = torch.addmm(self.gate_word.index_select(0, tokens), h_b, self.w_gate).sigmoid_()  # (M, 1)
        if trace is not None:
            trace.store(first_row, beta=beta.squeeze(1))
        proj = torch.baddbmm(self.b_proj, torch.stack([context, h_t]), self.w_proj).tanh_()  # (2, M, D)
        gated = proj[1].lerp_(proj[0], beta)  # β̂·tanh(W_c c) + (1 − β̂)·tanh(W_h h̃)
        mixed = linear(self.mixture, torch.cat([emb, gated, h_b], 1), "tanh")
        return linear(self.output, mixed)

    @staticmethod
    def _lstm(x, h, c, w, b):
        gates = flat_linear(torch.cat([x, h], 1), w, b, pack=True).sigmoid_()  # (M, 4H), g-gate as σ(2z)
        i, f, g, o = gates.chunk(4, 1)
        g.mul_(2).sub_(1)  # tanh
        c = torch.addcmul(f * c, i, g)
        return o * torch.tanh(c), c


def run_authors_beam(model: Captioner, enc: Encoded, beam_size: int, max_steps: int,
                     trace: _Trace | None = None) -> list[ClipSearch] | None:
    """Run the authors' best-first search for every clip of ``enc``; see the module docstring.

    With ``trace``, every expansion's attention and top-k are kept in it (fused step only: None
    is returned instead when a hook or training mode rules the fused step out)."""
    k = int(beam_size)
    budget = expansion_budget(k)  # validates k
    max_steps = int(max_steps)
    if max_steps < 1:
        raise M2TError(f"max_steps must be ≥ 1, got {max_steps}")
    vocab_size = model.config.vocab_size
    if k > vocab_size:
        raise M2TError(f"beam size {k} exceeds the vocabulary size {vocab_size}")
    n = enc.parts.shape[0]
    device = enc.parts.device
    hidden = model.decoder.bottom_lstm.hidden_size
    dtype = model.decoder.bottom_lstm.weight_hh_l0.dtype

    # Nodes, by id. Node 0 is every clip's root (shared: it is never changed); ``row`` indexes
    # the state pool, rows [h_bottom, c_bottom, h_top, c_top] (4H wide), row 0 holding zeros.
    parent: list[int] = [-1]
    token: list[int] = [SOS]
    logp: list[float] = [0.0]
    step_logp: list[float] = [0.0]  # the log-probability of the node's own token
    length: list[int] = [1]
    row: list[int] = [0]
    depth = max_steps if budget is None else min(budget, max_steps)
    pool = torch.empty(1 + n * min(depth, 64), 4 * hidden, dtype=dtype, device=device)  # grows
    pool[0] = 0
    used = 1

    with torch.no_grad():
        fused = None if model.training or _hooks_active(model) else _FusedStep(model, enc)
        if trace is not None and fused is None:
            return None
        clips = [_Clip() for _ in range(n)]
        enc_cache: tuple[tuple[int, ...], Encoded] | None = None
        width = min(k + 1, vocab_size)
        while True:
            expand_clip: list[int] = []
            expand_node: list[int] = []
            for i, clip in enumerate(clips):
                if clip.stop is not None:
                    continue
                heap = clip.heap
                while True:
                    if budget is not None and clip.counter > QUEUE_LIMIT:
                        clip.stop = "budget"
                        break
                    key, node = heapq.heappop(heap)
                    if (token[node] == EOS and node != 0) or length[node] - 1 >= max_steps:
                        clip.finished.append((key, node))
                        if len(clip.finished) >= k:
                            capped = any(token[v] != EOS for _, v in clip.finished)
                            clip.stop = "max_steps" if capped else "finished"
                            break
                        continue
                    expand_clip.append(i)
                    expand_node.append(node)
                    break
            if not expand_node:
                break
            m = len(expand_node)

            # One batched decoder step for every node to expand; the new states go to the pool.
            if used + m > pool.shape[0]:
                grown = torch.empty(max(2 * pool.shape[0], used + m), 4 * hidden, dtype=dtype, device=device)
                grown[:used] = pool[:used]
                pool = grown
            rows_and_tokens = torch.tensor([[row[v] for v in expand_node], [token[v] for v in expand_node]],
                                           device=device)
            states = pool.index_select(0, rows_and_tokens[0])  # (M, 4H)
            inputs = rows_and_tokens[1]
            if fused is not None:
                fused.select(expand_clip)
                logits = fused(inputs, states, pool[used:used + m], trace, used)
            else:
                key_rows = tuple(expand_clip)
                if key_rows == tuple(range(n)):
                    enc_sel = enc
                elif enc_cache is not None and enc_cache[0] == key_rows:
                    enc_sel = enc_cache[1]
                else:
                    enc_sel = enc.index_select(torch.tensor(key_rows, device=device))
                    enc_cache = (key_rows, enc_sel)
                hs = [states[:, j * hidden:(j + 1) * hidden].unsqueeze(0) for j in range(4)]
                out, new_state = model.step(enc_sel, inputs, ((hs[0], hs[1]), (hs[2], hs[3])))
                torch.cat([new_state[0][0][0], new_state[0][1][0], new_state[1][0][0], new_state[1][1][0]], 1,
                          out=pool[used:used + m])
                logits = out.logits[:, 0]
            first_row = used
            used += m

            log_probs = torch.log_softmax(logits.float(), dim=-1)  # (M, V)
            top_val, top_idx = log_probs.topk(width, dim=-1)  # descending
            if trace is not None:
                k_keep = min(trace.top_k, log_probs.shape[-1])
                kept = (top_val[:, :k_keep], top_idx[:, :k_keep]) if k_keep <= width else log_probs.topk(k_keep, -1)
                trace.store(first_row, topk_log_probs=kept[0], topk_ids=kept[1])
                if trace.keep_logits:
                    trace.store(first_row, logits=logits.float())
            vals_all, ids_all = top_val.tolist(), top_idx.tolist()
            for r, (i, node) in enumerate(zip(expand_clip, expand_node)):
                vals, ids = vals_all[r], ids_all[r]
                if any(vals[j] == vals[j + 1] for j in range(min(k, width - 1))):
                    # Equal log-probabilities among the k + 1 best: lower token id first.
                    sv, si = torch.sort(log_probs[r], descending=True, stable=True)
                    vals, ids = sv[:k].tolist(), si[:k].tolist()
                clip = clips[i]
                heap = clip.heap
                base_logp, child_len = logp[node], length[node] + 1
                norm = child_len - 1 + 1e-6
                child_row = first_row + r
                for j in range(k):
                    child = len(token)
                    child_logp = base_logp + vals[j]
                    parent.append(node)
                    token.append(ids[j])
                    step_logp.append(vals[j])
                    logp.append(child_logp)
                    length.append(child_len)
                    row.append(child_row)
                    heapq.heappush(heap, (-(child_logp / norm), child))
                clip.counter += k - 1
                clip.expansions += 1

    results = []
    for clip in clips:
        entries = clip.finished
        if not entries:  # budget ran out with nothing finished: the k best nodes left
            entries = [heapq.heappop(clip.heap) for _ in range(min(k, len(clip.heap)))]
        hyps = []
        for _, node in sorted(entries, key=lambda e: e[0]):  # stable: pop order among equal keys
            ids = []
            v = node
            while v != -1:
                ids.append(token[v])
                v = parent[v]
            score = logp[node] / (length[node] - 1 + 1e-6)
            hyps.append((ids[::-1], score, logp[node]))
        n_finished = sum(1 for ids, _, _ in hyps if len(ids) > 1 and ids[-1] == EOS)
        path = []
        v = sorted(entries, key=lambda e: e[0])[0][1]  # the best: as hyps[0]
        while v > 0:
            path.append(v)
            v = parent[v]
        path.reverse()
        results.append(ClipSearch(hyps, clip.stop or "budget", clip.expansions, n_finished,
                                  tuple(row[v] for v in path), tuple(step_logp[v] for v in path)))
    return results


#: Hook points the search can record itself (see :func:`authors_beam_search`'s ``trace``).
TRACED_POINTS = ("alpha", "gamma", "window", "mu", "sigma", "beta")


def authors_beam_search(model: Captioner, enc: Encoded, beam_size: int, max_steps: int,
                        trace: tuple[str, ...] | None = None, top_k: int = 5,
                        keep_logits: bool = False) -> DecodeOutput:
    """The authors' best-first beam search (exact reproduction), batched over clips.

    Run it in eval mode (no dropout), e.g. under ``torch.inference_mode()``. ``beam_size`` k ≥ 1
    (k = 1 is greedy decoding until <eos> or ``max_steps``); ``max_steps`` caps the generated
    tokens of a hypothesis (a node at that depth is not expanded and, when popped, counts as a
    finished hypothesis without <eos>; for k ≥ 2, ``max_steps ≥ 100`` never binds).

    Returns a :class:`DecodeOutput` with ``tokens`` (N, S): each clip's best hypothesis after
    <sos> (up to and including <eos> when it finished), −1 padded; ``logits`` None;
    ``step_mask = tokens ≥ 0``; ``scores`` (N,) float64, the best score ``s = logp / (len − 1 +
    1e−6)``; ``n_best``: per clip the authors' returned list, 1 … k ``(ids, s)`` pairs, best first,
    ids starting with <sos> = 1.

    Ties: the heap pops equal keys in push order (earlier first); an expansion's children are its
    k most probable tokens, equal log-probabilities ordered by lower token id.

    With ``trace`` (names among :data:`TRACED_POINTS`), the search keeps what every expansion saw,
    and the output also carries the best hypothesis's ``recorded`` attention (those names, (N, S,
    …)), ``log_probs`` and ``topk`` (``top_k`` per step) and, with ``keep_logits``, its
    ``logits``: the capture of the best captions without replaying them. ``recorded`` stays None
    when the search cannot trace (a hook registered, or training mode); the caller replays then.
    """
    from .decoding import DecodeOutput  # here, so that decoding.py may import this module

    tracer = None
    if trace is not None:
        unknown = sorted(set(trace) - set(TRACED_POINTS))
        if unknown:
            raise M2TError(f"the search cannot record {', '.join(unknown)}; replay the best captions instead")
        tracer = _Trace(int(top_k), keep_logits)
        results = run_authors_beam(model, enc, beam_size, max_steps, tracer)
        if results is None:
            tracer = None
    if tracer is None:
        results = run_authors_beam(model, enc, beam_size, max_steps)
    device = enc.parts.device
    best = [r.hypotheses[0][0][1:] for r in results]
    width = max(1, max(len(b) for b in best))
    tokens = torch.full((len(best), width), -1, dtype=torch.long, device=device)
    for i, b in enumerate(best):
        if b:
            tokens[i, : len(b)] = torch.tensor(b, dtype=torch.long, device=device)
    out = DecodeOutput(
        tokens=tokens,
        logits=None,
        step_mask=tokens >= 0,
        scores=torch.tensor([r.hypotheses[0][1] for r in results], dtype=torch.float64),
        n_best=[[(ids, score) for ids, score, _ in r.hypotheses] for r in results],
    )
    if tracer is not None:
        rows = [list(r.best_rows) for r in results]
        names = [*trace, *(("topk_log_probs", "topk_ids") if top_k > 0 else ()), *(("logits",) if keep_logits else ())]
        got = tracer.gather(rows, names)  # (N, width, …): a best hypothesis's rows are its generated tokens
        if keep_logits:
            out.logits = got.pop("logits")
        out.log_probs = torch.zeros(tokens.shape, dtype=torch.float32, device=device)
        for i, r in enumerate(results):
            if r.best_log_probs:
                out.log_probs[i, : len(r.best_log_probs)] = torch.tensor(r.best_log_probs, dtype=torch.float32)
        if top_k > 0:
            out.topk = (got.pop("topk_log_probs"), got.pop("topk_ids"))
        out.recorded = got
    return out
