"""The temporal order of a caption's actions, read from its words alone.

A caption such as "a person walks forward then waves his left hand" names its actions in time
order; "a man waves after walking forward" names them in reverse; "someone walks while waving"
names two things done together. :func:`temporal_units` cuts a caption into clauses at
connector phrases and puts the clauses into *temporal units* — groups of clauses that share one
time window — ranked in time order. Nothing but the caption text (and its part-of-speech tags)
is read: no per-clip annotation, so these rules can supervise training on any dataset.

Connector phrases (longest match first, lower case) and what they say about the clause they
introduce (the clause *after* the connector) relative to the clause before it:

* sequence — it comes later: ``then``, ``and then``, ``after that``, ``and after that``,
  ``afterwards``, ``afterward``, ``next``, ``later``, ``finally``, ``followed by``, ``before``
  ("X before Y-ing": X first), ``until``;
* reverse — it comes earlier: ``after`` ("X after Y-ing": Y first); at the start of a caption
  ("after walking, he waves") it simply comes first;
* together — the same window: ``and``, ``while``, ``as``, ``as well as``, ``when``,
  ``meanwhile``, ``at the same time`` (bare "and" joins actions that may overlap, and joins
  the two halves of one action in "squats down and stands up": only an explicit sequence word
  orders actions);
* marker — no relation: ``first``.

A piece between connectors without a verb (POS tag VERB) continues the previous clause ("jumps
up and down"). Tokens get the rank of their unit (0 = earliest); connector tokens get −1.
"""

from __future__ import annotations

import functools
from typing import Optional, Sequence

import numpy as np

from ..errors import M2TError

SEQUENCE, REVERSE, TOGETHER, MARKER = "sequence", "reverse", "together", "marker"

#: Connector phrase → relation of the clause it introduces to the previous one.
CONNECTORS: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): relation for phrase, relation in (
        ("then", SEQUENCE), ("and then", SEQUENCE), ("after that", SEQUENCE), ("and after that", SEQUENCE),
        ("afterwards", SEQUENCE), ("afterward", SEQUENCE), ("next", SEQUENCE), ("later", SEQUENCE),
        ("finally", SEQUENCE), ("followed by", SEQUENCE), ("before", SEQUENCE), ("until", SEQUENCE),
        ("after", REVERSE),
        ("and", TOGETHER), ("while", TOGETHER), ("as", TOGETHER), ("as well as", TOGETHER), ("when", TOGETHER),
        ("meanwhile", TOGETHER), ("at the same time", TOGETHER),
        ("first", MARKER),
    )
}
_LONGEST = max(len(k) for k in CONNECTORS)


def clause_pieces(words: Sequence[str]) -> list[tuple[Optional[str], list[int]]]:
    """(relation of the connector before the piece or None, token indices of the piece)."""
    low = [str(w).strip().lower() for w in words]
    out: list[tuple[Optional[str], list[int]]] = []
    relation: Optional[str] = None
    cur: list[int] = []
    i = 0
    while i < len(low):
        for m in range(min(_LONGEST, len(low) - i), 0, -1):
            rel = CONNECTORS.get(tuple(low[i:i + m]))
            if rel is not None:
                break
        else:
            cur.append(i)
            i += 1
            continue
        if cur:
            out.append((relation, cur))
            cur, relation = [], None
        # a marker ("first") leaves the pending relation as it was
        relation = relation if rel == MARKER else rel
        i += m
    if cur:
        out.append((relation, cur))
    return out


@functools.lru_cache(maxsize=65536)
def _units(words: tuple, tags: tuple) -> tuple[tuple[int, ...], int]:
    pieces = clause_pieces(words)
    clauses: list[tuple[Optional[str], list[int]]] = []
    for relation, idx in pieces:
        has_verb = any((tags[i] or "").upper() == "VERB" for i in idx) if any(tags) else True
        if clauses and not has_verb:
            clauses[-1] = (clauses[-1][0], clauses[-1][1] + idx)
        else:
            clauses.append((relation, idx))
    order: list[int] = []  # unit ids in time order
    unit_of: list[int] = []  # per clause
    for c, (relation, _) in enumerate(clauses):
        if c == 0:
            unit_of.append(0)
            order.append(0)
            continue
        prev = unit_of[c - 1]
        if relation in (None, TOGETHER):
            unit_of.append(prev)
            continue
        new = max(order) + 1
        at = order.index(prev)
        order.insert(at + 1 if relation == SEQUENCE else at, new)
        unit_of.append(new)
    rank = {u: r for r, u in enumerate(order)}
    out = [-1] * len(words)
    for (_, idx), u in zip(clauses, unit_of):
        for i in idx:
            out[i] = rank[u]
    return tuple(out), len(order)


def temporal_units(words: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]] = None
                   ) -> tuple[np.ndarray, int]:
    """Per token the time rank of its temporal unit (L,) int64 (−1 for connector tokens), and the
    number of units K (ranks are 0 … K − 1). Without tags every piece between connectors is a
    clause."""
    if pos_tags is not None and len(pos_tags) != len(words):
        raise M2TError(f"{len(words)} words but {len(pos_tags)} POS tags")
    tags = tuple(pos_tags) if pos_tags is not None else (None,) * len(words)
    ranks, k = _units(tuple(str(w) for w in words), tags)
    return np.asarray(ranks, dtype=np.int64), k


def step_units(words: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]], beta_star: np.ndarray
               ) -> tuple[np.ndarray, int]:
    """Temporal targets of one encoded caption's steps: step ``t`` (predicting ``words[t]``) gets
    its word's unit rank when the word is a motion word (β* = 1), else −1. Returns ``(units (S,)
    int8, K)``; ``S = len(beta_star)``."""
    ranks, k = temporal_units(words, pos_tags)
    s = len(beta_star)
    out = np.full(s, -1, dtype=np.int8)
    n = min(s, len(ranks))
    motion = np.asarray(beta_star[:n]) == 1
    out[:n][motion] = ranks[:n][motion]
    return out, k


__all__ = ["CONNECTORS", "SEQUENCE", "REVERSE", "TOGETHER", "MARKER", "clause_pieces", "temporal_units", "step_units"]
