"""The clause rules and the training targets.

After the word rules (:mod:`.words`), a lexicon with a ``context`` section (``project``)
applies clause rules to a whole caption (:func:`caption_targets`): the caption is cut into clauses
at connectors (a clause without a verb continues the previous one); a side/limb phrase ("his left
arm", "both hands") puts its side word and noun on the part(s) it names; the clause's verb takes
the limbs of the first phrase of its clause (keeping the root/torso of its own group,
``verb_keeps``), and its particles and other motion words take the verb's parts; trajectory and
direction words ("forward", "turns left") take the root when the clause's parts include it, else
the clause's parts. :func:`~.words.word_targets` gives the context-free answer.

The training targets (:func:`step_targets`, :func:`pair_step_targets`, :func:`vocab_targets`)
align these per-word targets with the decoder's steps.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ...errors import M2TError
from ...skeletons import PARTS
from .format import MOTION, NON_MOTION, UNSUPERVISED, Lexicon, as_lexicon
from .words import cached_word_targets, classify_word, resolve_pos, resolve_tags


@functools.lru_cache(maxsize=262144)
def analyse_caption(words: tuple, tags: tuple, lex: Lexicon) -> tuple:
    """Per token ``(beta, part mask or None, rule)`` of one caption (tags already resolved, see
    :func:`~.words.resolve_tags`): the word rules, then the clause rules; cached per caption."""
    cls = [classify_word(w, t, lex) for w, t in zip(words, tags)]
    ctx = lex.context
    if ctx is None:
        return tuple(c[:3] for c in cls)
    out = [c[:3] for c in cls]
    n = len(words)
    low = [str(w).strip().lower() for w in words]
    kind = [c[3] for c in cls]
    payload = [c[4] for c in cls]
    rule = [c[2] for c in cls]
    # multi-word expressions ("stands up") act as one action word with their group
    exprs, firsts = lex.expression_index
    stems = [lex.stem_of(w) for w in low] if exprs else []
    if exprs and any(a in firsts or b in firsts for a, b in zip(low, stems)):
        i = 0
        while i < n:
            if low[i] not in firsts and stems[i] not in firsts:
                i += 1
                continue
            for seq, seq_stems, group in exprs:
                m = len(seq)
                if i + m <= n and all(low[i + k] == seq[k] or stems[i + k] == seq_stems[k]
                                      for k in range(m)):
                    for k in range(i, i + m):
                        kind[k], payload[k], rule[k] = "action", group, "expression"
                    i += m - 1
                    break
            i += 1
    # clauses: cut at connectors; a clause without a verb continues the previous one
    clauses: list[list[int]] = []
    cur: list[int] = []
    for i in range(n):
        if kind[i] == "connector":
            if cur:
                clauses.append(cur)
            cur = []
        else:
            cur.append(i)
    if cur:
        clauses.append(cur)
    merged: list[list[int]] = []
    for c in clauses:
        has_verb = any(kind[i] == "action" or (tags[i] or "").upper() == "VERB" for i in c)
        if merged and not has_verb:
            merged[-1] = merged[-1] + c
        else:
            merged.append(c)
    groups = lex.group_masks
    root = groups.get(lex.trajectory_part, 1 << PARTS.index("root"))
    keep = lex.mask(ctx.verb_keeps)
    for c in merged:
        inside = set(c)
        # side/limb phrases: [side word | "both"] (skip words)* limb noun
        named: Optional[int] = None
        phrase_tok: set[int] = set()
        for j in c:
            if kind[j] != "limb":
                continue
            limb, plural = payload[j]
            k, skipped = j - 1, 0
            while k in inside and low[k] in ctx.phrase_skip and skipped < ctx.max_skip:
                k, skipped = k - 1, skipped + 1
            side, side_at = None, None
            if k in inside and kind[k] == "side":
                side, side_at = payload[k], k
            elif k in inside and low[k] in ctx.both:
                side = "both"
            if side is None:
                side = "both" if plural else ctx.unsided
            if side == "unsupervised":
                pm = None
            elif side == "both":
                pm = lex.mask((f"left_{limb}", f"right_{limb}"))
            else:
                pm = lex.mask((f"{side}_{limb}",))
            out[j] = (1, pm, "phrase")
            phrase_tok.add(j)
            if side_at is not None:
                out[side_at] = (1, pm, "phrase")
                phrase_tok.add(side_at)
            if named is None:
                named = pm
        # the verbs: their own group, with the limbs of the clause's first phrase
        clause_part: Any = None
        for i in c:
            if kind[i] != "action":
                continue
            group = payload[i]
            if group == NON_MOTION:
                out[i] = (0, None, rule[i])
                continue
            own = None if group == MOTION else groups[group]
            if named is not None:
                res = (1, named if own is None else (own & keep) | named, "verb+phrase")
            else:
                res = (1, own, rule[i])
            out[i] = res
            if clause_part is None:
                clause_part = res[1] if res[1] is not None else MOTION
        if clause_part is None:
            clause_part = named
        if not isinstance(clause_part, int) or isinstance(clause_part, bool):
            continue  # no part to give: other words keep their context-free targets
        for i in c:
            if i in phrase_tok:
                continue
            if kind[i] == "trajectory" or kind[i] == "side":
                if clause_part & root:
                    out[i] = (1, root, "trajectory" if kind[i] == "trajectory" else "direction")
                else:
                    out[i] = (1, clause_part, "clause")
            elif kind[i] == "motion":
                out[i] = (1, clause_part, "clause")
    return tuple(out)


@functools.lru_cache(maxsize=262144)
def _caption_arrays(words: tuple, tags: tuple, lex: Lexicon):
    res = analyse_caption(words, tags, lex)
    L = len(res)
    vectors = lex.mask_vectors
    beta = np.array([r[0] for r in res], dtype=np.int64).reshape(L)
    mask = np.array([r[1] is not None for r in res], dtype=bool).reshape(L)
    alpha = np.array([vectors[r[1] or 0] for r in res], dtype=np.float32).reshape(L, 6)
    for arr in (beta, alpha, mask):
        arr.setflags(write=False)
    return beta, alpha, mask



def caption_targets(tokens: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]] = None,
                    *, pos_lexicon: Optional[Mapping[str, str]] = None,
                    lexicon=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets for the tokens of one caption, clause rules included.

    Returns ``beta`` (L,) int64 in {1, 0, -1}, ``alpha`` (L, 6) float32 (zeros where
    unsupervised; the lexicon's skeleton order) and ``alpha_mask`` (L,) bool (False = α*
    unsupervised). A missing POS tag is looked up in ``pos_lexicon`` (see
    :func:`build_pos_lexicon`). Results are cached per caption.
    """
    lex = as_lexicon(lexicon)
    L = len(tokens)
    if pos_tags is not None and len(pos_tags) != L:
        raise M2TError(f"{L} tokens but {len(pos_tags)} POS tags")
    words = tuple(str(w) for w in tokens)
    beta, alpha, mask = _caption_arrays(words, resolve_tags(words, pos_tags, pos_lexicon), lex)
    return beta.copy(), alpha.copy(), mask.copy()


def caption_rules(tokens: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]] = None,
                  *, pos_lexicon: Optional[Mapping[str, str]] = None, lexicon=None) -> list[str]:
    """The rule that gave each token its target (``trajectory``, ``action``, ``phrase``,
    ``verb+phrase``, ``clause``, ``connector``, ``pos``, ``function``, ``none`` …)."""
    lex = as_lexicon(lexicon)
    words = tuple(str(w) for w in tokens)
    return [r for _, _, r in analyse_caption(words, resolve_tags(words, pos_tags, pos_lexicon), lex)]


def vocab_targets(vocab, pos_lexicon: Optional[Mapping[str, str]] = None,
                  lexicon=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-vocabulary-id targets (β* (V,), α* (V, 6), α supervised (V,)) with POS from
    ``pos_lexicon`` — the authors' per-word-type scheme, context-free (no clause rules);
    special tokens are unsupervised."""
    lex = as_lexicon(lexicon)
    tokens = list(vocab.tokens if hasattr(vocab, "tokens") else vocab)
    V = len(tokens)
    beta = np.full(V, UNSUPERVISED, dtype=np.int64)
    alpha = np.zeros((V, 6), dtype=np.float32)
    mask = np.zeros(V, dtype=bool)
    for i, w in enumerate(tokens):
        b, a = cached_word_targets(str(w), resolve_pos(str(w), None, pos_lexicon), lex)
        beta[i] = b
        if a is not None:
            alpha[i] = a
            mask[i] = True
    return beta, alpha, mask


def pair_step_targets(words: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]],
                      ids: Sequence[int], *, pos_lexicon: Optional[Mapping[str, str]] = None,
                      lexicon=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step targets of one encoded caption, computed from its words as written.

    ``ids`` = ``[<sos>, w1, …]`` is the encoding of ``words`` (possibly cut short); step ``t``
    predicts ``ids[t + 1]`` and takes the target of ``words[t]``, computed on the whole caption
    ``words`` (so a word outside the vocabulary, or after the cut, still shapes its clause).
    Steps predicting a special token (<eos>, <pad>, <unk>) are unsupervised. Returns ``beta``
    (S,) float32 (-1 unsupervised), ``alpha`` (S, 6) float32, ``mask`` (S,) bool, S = len(ids) − 1
    — the same as :func:`step_targets` for a context-free lexicon.
    """
    lex = as_lexicon(lexicon)
    S = max(len(ids) - 1, 0)
    beta = np.full(S, float(UNSUPERVISED), dtype=np.float32)
    alpha = np.zeros((S, 6), dtype=np.float32)
    mask = np.zeros(S, dtype=bool)
    if pos_tags is not None and len(pos_tags) != len(words):
        raise M2TError(f"{len(words)} words but {len(pos_tags)} POS tags")
    n = min(S, len(words))
    if lex.context is None:  # word rules only: no need to look at the whole caption
        vectors = lex.mask_vectors
        for t in range(n):
            if int(ids[t + 1]) < 4:  # <pad> <sos> <eos> <unk>
                continue
            w = str(words[t])
            c = classify_word(w, resolve_pos(w, pos_tags[t] if pos_tags is not None else None,
                                          pos_lexicon), lex)
            beta[t] = c[0]
            if c[1] is not None:
                alpha[t] = vectors[c[1]]
                mask[t] = True
        return _supervise_end(beta, ids, lex), alpha, mask
    wt = tuple(str(w) for w in words)
    cb, ca, cm = _caption_arrays(wt, resolve_tags(wt, pos_tags, pos_lexicon), lex)
    if n:
        ok = np.asarray(ids[1:n + 1]) >= 4
        beta[:n][ok] = cb[:n][ok]
        alpha[:n][ok] = ca[:n][ok]
        mask[:n][ok] = cm[:n][ok]
    return _supervise_end(beta, ids, lex), alpha, mask


def _supervise_end(beta: np.ndarray, ids: Sequence[int], lex: Lexicon) -> np.ndarray:
    """Give the step that predicts <eos> the lexicon's ``end_beta`` (when it has one)."""
    if lex.end_beta is not None and len(beta):
        ends = np.flatnonzero(np.asarray(ids[1:len(beta) + 1]) == 2)
        beta[ends] = lex.end_beta
    return beta


def step_targets(token_ids, vocab, pos_tags: Optional[Sequence[Sequence[Optional[str]]]] = None,
                 *, pos_lexicon: Optional[Mapping[str, str]] = None,
                 lexicon=None, as_tensor: Optional[bool] = None):
    """Supervision targets aligned with decoding steps.

    ``token_ids`` (N, L) holds ``[<sos>, w1, …, wn, <eos>, <pad>, …]`` per row. Decoding step
    ``t`` (0-based) reads input token ``t`` and predicts token ``t + 1``, so it is supervised by
    the targets of token ``t + 1``: there are ``S = L - 1`` steps, step ``t`` ↔ word ``w_{t+1}``
    (the ``t``-th word, 0-based). Steps predicting <eos>, <pad>, <sos> or <unk> are unsupervised.

    ``pos_tags[n]`` (optional) lists the POS of row ``n``'s words ``w1…wn`` in order (so
    ``pos_tags[n][t]`` is the tag for step ``t``); missing tags fall back to ``pos_lexicon``.
    With a context lexicon each row's clause rules see the row's vocabulary words (up to its
    first <eos>/<pad>; <unk> stays unknown) — :func:`pair_step_targets` uses the real words.

    Returns ``beta_star`` (N, S) float32 with -1 where unsupervised, ``alpha_star`` (N, S, 6)
    float32 (zeros where unsupervised) and ``alpha_supervised`` (N, S) bool. Torch tensors when
    ``token_ids`` is a tensor (or ``as_tensor=True``), numpy arrays otherwise.
    """
    is_tensor = hasattr(token_ids, "detach")
    ids = token_ids.detach().cpu().numpy() if is_tensor else np.asarray(token_ids)
    if ids.ndim == 1:
        ids = ids[None]
    if ids.ndim != 2:
        raise M2TError(f"token_ids must be (N, L), got shape {ids.shape}")
    N, L = ids.shape
    S = max(L - 1, 0)
    lex = as_lexicon(lexicon)
    tokens = list(vocab.tokens if hasattr(vocab, "tokens") else vocab)
    V = len(tokens)
    if pos_tags is not None and len(pos_tags) != N:
        raise M2TError(f"pos_tags has {len(pos_tags)} rows, token_ids has {N}")
    beta = np.full((N, S), float(UNSUPERVISED), dtype=np.float32)
    alpha = np.zeros((N, S, 6), dtype=np.float32)
    mask = np.zeros((N, S), dtype=bool)
    if ids.size and int(ids.max()) >= V:
        raise M2TError(f"token id {int(ids.max())} is outside the vocabulary (size {V})")
    for n in range(N):
        tags = pos_tags[n] if pos_tags is not None else None
        if lex.context is not None:
            row = ids[n, 1:]
            stop = np.flatnonzero((row == 0) | (row == 2))
            end = int(stop[0]) if len(stop) else S
            words = [tokens[int(t)] for t in row[:end]]
            rtags = None if tags is None else [tags[t] if t < len(tags) else None
                                               for t in range(end)]
            b, a, m = pair_step_targets(words, rtags, ids[n, : end + 1].tolist(),
                                        pos_lexicon=pos_lexicon, lexicon=lex)
            beta[n, :end], alpha[n, :end], mask[n, :end] = b, a, m
            beta[n] = _supervise_end(beta[n], ids[n].tolist(), lex)
            continue
        for t in range(S):
            tid = int(ids[n, t + 1])
            if tid < 4:  # <pad> <sos> <eos> <unk>
                continue
            word = tokens[tid]
            tag = tags[t] if (tags is not None and t < len(tags)) else None
            b, a = cached_word_targets(word, resolve_pos(word, tag, pos_lexicon), lex)
            beta[n, t] = b
            if a is not None:
                alpha[n, t] = a
                mask[n, t] = True
        beta[n] = _supervise_end(beta[n], ids[n].tolist(), lex)
    if as_tensor is None:
        as_tensor = is_tensor
    if as_tensor:
        # torch only for a caller holding tensors (training): the analyses label words without it
        import torch

        device = token_ids.device if is_tensor else None
        return (torch.from_numpy(beta).to(device), torch.from_numpy(alpha).to(device),
                torch.from_numpy(mask).to(device))
    return beta, alpha, mask


__all__ = ["analyse_caption", "caption_rules", "caption_targets", "pair_step_targets", "step_targets",
           "vocab_targets"]
