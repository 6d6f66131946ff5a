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

In eval mode with no hook registered on the model, the batched step is
:class:`~m2t_interpret.model.fused_step.FusedStep`: the model's step rewritten from its weights
with fewer, larger tensor ops and reused workspaces (same mathematics, rounding ≈1e−7). When a hook is registered (``decode(..., beta=…)``, ``replace=…``,
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
from ..tokens import EOS_ID as EOS
from ..tokens import SOS_ID as SOS
from .decode_output import DecodeOutput
from .fused_step import TRACED_POINTS, FusedStep, StepTrace, hooks_active

if TYPE_CHECKING:
    from .network import CaptionerNetwork, Encoded

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


class _Clip:
    __slots__ = ("heap", "counter", "finished", "stop", "expansions")

    def __init__(self):
        self.heap: list[tuple[float, int]] = [(-0.0, 0)]  # the root: key −s = −0, node id 0
        self.counter = 1
        self.finished: list[tuple[float, int]] = []
        self.stop: str | None = None
        self.expansions = 0


def run_authors_beam(model: CaptionerNetwork, enc: Encoded, beam_size: int, max_steps: int,
                     trace: StepTrace | None = None) -> list[ClipSearch] | None:
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
        fused = None if model.training or hooks_active(model) else FusedStep(model, enc)
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




def authors_beam_search(model: CaptionerNetwork, enc: Encoded, beam_size: int, max_steps: int,
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

    tracer = None
    if trace is not None:
        unknown = sorted(set(trace) - set(TRACED_POINTS))
        if unknown:
            raise M2TError(f"the search cannot record {', '.join(unknown)}; replay the best captions instead")
        tracer = StepTrace(int(top_k), keep_logits)
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
