"""Corpus BLEU in pure Python, for choosing the best epoch during training: the same numbers as
pycocoevalcap's ``Bleu(4)`` (see :mod:`m2t_interpret.metrics`) without its setup cost, on words or
token ids."""

from __future__ import annotations

import math
from collections import Counter
from typing import Hashable, Sequence

from .errors import M2TError


def _ngram_counts(tokens: Sequence[Hashable], n: int) -> Counter:
    counts: Counter = Counter()
    for k in range(1, n + 1):
        for i in range(len(tokens) - k + 1):
            counts[tuple(tokens[i : i + k])] += 1
    return counts


def corpus_bleu_fast(
    predictions_tokens: Sequence[Sequence[Hashable]],
    references_tokens: Sequence[Sequence[Sequence[Hashable]]],
    max_n: int = 4,
) -> list[float]:
    """Corpus BLEU@1..``max_n``, pure Python, same definition as coco's ``Bleu`` ("closest").

    Clipped n-gram precisions summed over the corpus, cumulative geometric mean, one brevity
    penalty from total hypothesis length vs. the sum of per-clip closest reference lengths (ties →
    the shorter reference), with coco's epsilons (1e-15 added to matches, 1e-9 to counts), so a
    zero match count gives ~0 rather than an error. Tokens may be any hashables (strings or ids).
    """
    if len(predictions_tokens) != len(references_tokens):
        raise M2TError(
            f"{len(predictions_tokens)} predictions but {len(references_tokens)} reference sets: "
            "give one reference set per prediction"
        )
    if len(predictions_tokens) == 0:
        raise M2TError("no predictions to score: pass at least one tokenised prediction")
    tiny, small = 1e-15, 1e-9
    correct = [0] * max_n
    guess = [0] * max_n
    testlen_total = 0
    reflen_total = 0
    for i, (hyp, refs) in enumerate(zip(predictions_tokens, references_tokens)):
        if len(refs) == 0:
            raise M2TError(f"prediction {i} has zero references: give it at least one")
        hyp = list(hyp)
        hyp_counts = _ngram_counts(hyp, max_n)
        max_ref: dict[tuple, int] = {}
        ref_lens = []
        for ref in refs:
            ref = list(ref)
            ref_lens.append(len(ref))
            for gram, c in _ngram_counts(ref, max_n).items():
                if c > max_ref.get(gram, 0):
                    max_ref[gram] = c
        testlen = len(hyp)
        testlen_total += testlen
        reflen_total += min((abs(l - testlen), l) for l in ref_lens)[1]
        for k in range(max_n):
            guess[k] += max(0, testlen - k)
        for gram, c in hyp_counts.items():
            correct[len(gram) - 1] += min(max_ref.get(gram, 0), c)
    bleus = []
    prod = 1.0
    for k in range(max_n):
        prod *= (correct[k] + tiny) / (guess[k] + small)
        bleus.append(prod ** (1.0 / (k + 1)))
    ratio = (testlen_total + tiny) / (reflen_total + small)
    if ratio < 1:
        bp = math.exp(1 - 1 / ratio)
        bleus = [b * bp for b in bleus]
    return bleus


def corpus_bleu4_fast(
    predictions_tokens: Sequence[Sequence[Hashable]],
    references_tokens: Sequence[Sequence[Sequence[Hashable]]],
) -> float:
    """Corpus BLEU-4 as coco's ``Bleu(4)`` computes it; see :func:`corpus_bleu_fast`."""
    return corpus_bleu_fast(predictions_tokens, references_tokens, 4)[3]


__all__ = ["corpus_bleu4_fast", "corpus_bleu_fast"]
