"""The tables of ``m2t-interpret lexicon show``: a lexicon's own entries, the targets it gives
each word of a caption corpus, and how much of that corpus it supervises.

*Motion words* are defined from the text alone (:func:`is_motion_word`), the same for every
lexicon, so that two lexicons are compared on the same words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from ...errors import M2TError
from ...skeletons import PARTS
from ..vocabulary import surface_tokens
from .clauses import analyse_caption
from .format import MOTION, NON_MOTION, UNSUPERVISED, as_lexicon, parts_label
from .words import build_pos_lexicon, resolve_tags

#: Content part-of-speech tags: with :data:`TEMPORAL_CONNECTORS` they define the *motion words*
#: of :func:`lexicon_coverage` (text only, the same for every lexicon).
CONTENT_POS = frozenset({"VERB", "NOUN", "PROPN", "ADJ", "ADV", "NUM"})
#: Words that join or order actions; never motion words, whatever their tag.
TEMPORAL_CONNECTORS = frozenset({"then", "and", "after", "afterwards", "before", "while", "that",
                                 "first", "finally", "next", "later", "meanwhile", "when",
                                 "until"})


def caption_words(caption) -> tuple[list[str], list[Optional[str]]]:
    """Words of a caption as written and their POS tags (see
    :func:`~m2t_interpret.data.vocabulary.surface_tokens`): the convention of training."""
    if not caption.text:
        return list(caption.tokens), list(caption.pos)
    return surface_tokens(caption.text, caption.pos if caption.tagged else None)


def _caption_pairs(captions) -> list[tuple[list[str], list[Optional[str]]]]:
    """(words, tags) of every caption of a dataset, Caption iterable or (tokens, tags) pairs."""
    if hasattr(captions, "captions") and callable(getattr(captions, "captions")):
        captions = captions.captions()
    out = []
    for item in captions:
        if isinstance(item, tuple) and len(item) == 2 and not hasattr(item, "tokens"):
            toks, tags = item
            toks = [str(t) for t in toks]
            tags = list(tags) if tags is not None else [None] * len(toks)
            if len(tags) != len(toks):
                raise M2TError(f"{len(toks)} tokens but {len(tags)} POS tags")
            out.append((toks, tags))
        elif hasattr(item, "text") and hasattr(item, "tokens"):
            out.append(caption_words(item))
        else:
            raise M2TError(f"cannot read a caption from {type(item).__name__}")
    return out


def is_motion_word(words: Sequence[str], tags: Sequence[Optional[str]]) -> list[bool]:
    """Motion words of one caption, from its text and tags only (no lexicon, no ground truth):
    a content POS (:data:`CONTENT_POS`), after the caption's first verb (the subject comes
    before it; a caption without a VERB tag has no subject removed), and not a temporal
    connector (:data:`TEMPORAL_CONNECTORS`)."""
    low = [str(w).lower() for w in words]
    up = [(t or "").upper() for t in tags]
    first_verb = next((i for i, t in enumerate(up) if t == "VERB"), 0)
    return [i >= first_verb and up[i] in CONTENT_POS and low[i] not in TEMPORAL_CONNECTORS
            for i in range(len(low))]


_TABLE_COLUMNS = ["word", "count", "pos", "beta", "parts", "rule", "n_targets", "share",
                  "targets", "motion", "motion_beta", "motion_beta1", "motion_alpha",
                  "other_beta", "other_beta0", "untagged"]


def _mask_label(pm: Optional[int]) -> str:
    if pm is None:
        return "unsupervised"
    return "+".join(p for k, p in enumerate(PARTS) if pm >> k & 1) or "none"


def _beta_label(b: int) -> str:
    return "unsupervised" if b == UNSUPERVISED else str(int(b))


def lexicon_table(lexicon, captions, *, pos_lexicon: Optional[Mapping[str, str]] = None) -> pd.DataFrame:
    """Per surface word (as written, lowercased), the targets ``lexicon`` gives it in ``captions``.

    ``captions``: a dataset (``load_split``), an iterable of ``Caption`` objects, or of
    ``(tokens, pos_tags)`` pairs. Untagged tokens take their POS from ``pos_lexicon`` (default:
    :func:`build_pos_lexicon` of the same captions). Columns:

    ``word``, ``count`` (occurrences), ``pos`` (most frequent tag), ``beta`` ("1", "0",
    "unsupervised") and ``parts`` (e.g. "left_arm", "left_arm+right_arm", "unsupervised") of the
    most frequent target, ``rule`` that gave it, ``n_targets`` (distinct (β*, α*) targets:
    more than 1 for context-dependent words), ``share`` of occurrences with the most frequent
    target, ``targets`` (every target with its count, e.g. "1/right_arm×40; 1/left_arm×38"),
    ``motion`` (occurrences that are motion words, :func:`is_motion_word`), ``motion_beta``,
    ``motion_beta1``, ``motion_alpha`` (of those, with β* supervised / β* = 1 / α* supervised),
    ``other_beta``, ``other_beta0`` (other occurrences with β* supervised / β* = 0) and
    ``untagged`` (occurrences without a POS). Sorted by count, then word; ``attrs`` holds the
    lexicon name and skeleton.
    """
    lex = as_lexicon(lexicon)
    pairs = _caption_pairs(captions)
    if pos_lexicon is None:
        pos_lexicon = build_pos_lexicon(pairs)
    targets: dict[str, Counter] = defaultdict(Counter)
    pos_count: dict[str, Counter] = defaultdict(Counter)
    stats: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(8, dtype=np.int64))
    for words, tags in pairs:
        wt = tuple(words)
        rtags = resolve_tags(wt, tags, pos_lexicon)
        res = analyse_caption(wt, rtags, lex)
        motion = is_motion_word(wt, rtags)
        for w, t, (b, a, r), mo in zip(wt, rtags, res, motion):
            key = w.lower()
            label = _mask_label(a)
            targets[key][(_beta_label(b), label, r)] += 1
            pos_count[key][t or ""] += 1
            s = stats[key]
            s[0] += 1
            if mo:
                s[1] += 1
                s[2] += b != UNSUPERVISED
                s[3] += b == 1
                s[4] += a is not None
            else:
                s[5] += b != UNSUPERVISED
                s[6] += b == 0
            s[7] += t is None
    rows = []
    for w, cnt in targets.items():
        merged: Counter = Counter()
        rule_of: dict[tuple, Counter] = defaultdict(Counter)
        for (b, p, r), k in cnt.items():
            merged[(b, p)] += k
            rule_of[(b, p)][r] += k
        ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        (b, p), top = ranked[0]
        s = stats[w]
        pos = min(pos_count[w].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        rows.append({
            "word": w, "count": int(s[0]), "pos": pos, "beta": b, "parts": p,
            "rule": rule_of[(b, p)].most_common(1)[0][0], "n_targets": len(ranked),
            "share": top / s[0],
            "targets": "; ".join(f"{bb}/{pp}×{k}" for (bb, pp), k in ranked),
            "motion": int(s[1]), "motion_beta": int(s[2]), "motion_beta1": int(s[3]),
            "motion_alpha": int(s[4]), "other_beta": int(s[5]), "other_beta0": int(s[6]),
            "untagged": int(s[7]),
        })
    table = pd.DataFrame(rows, columns=_TABLE_COLUMNS)
    if len(table):
        table = table.sort_values(["count", "word"], ascending=[False, True], kind="stable")
        table = table.reset_index(drop=True)
    table.attrs["lexicon"] = lex.name
    table.attrs["skeleton"] = lex.skeleton
    table.attrs["captions"] = len(pairs)
    return table


def lexicon_entries(lexicon) -> pd.DataFrame:
    """The lexicon's own lists as a table (no captions needed): one row per entry with columns
    ``entry`` (a word, stem or expression as written in the file), ``kind`` (trajectory,
    action, expression, motion-word, connector, limb, side, both, function, subject), ``beta``
    and ``parts`` (context-free target; "context" where the clause decides)."""
    lex = as_lexicon(lexicon)
    rows: list[dict] = []

    def add(entry, kind, beta, parts):
        rows.append({"entry": entry, "kind": kind, "beta": beta, "parts": parts})

    def group_label(group):
        if group == MOTION:
            return "1", "context" if lex.context else "unsupervised"
        if group == NON_MOTION:
            return "0", "unsupervised"
        return "1", parts_label(lex.groups[group])

    for e in sorted(lex.trajectory_stems):
        add(e, "trajectory", "1", parts_label(lex.groups.get(lex.trajectory_part, ("root",))))
    for e, g in sorted(lex.local_action_stems.items(), key=lambda kv: (kv[1], kv[0])):
        add(e, "action", *group_label(g))
    ctx = lex.context
    if ctx is not None:
        for seq, g in ctx.expressions:
            add(" ".join(seq), "expression", *group_label(g))
    for e in sorted(lex.motion_words):
        add(e, "motion-word", "1", "context" if ctx else "unsupervised")
    if ctx is not None:
        for e in sorted(ctx.connectors):
            add(e, "connector", "0", "unsupervised")
        for e, limb in sorted(ctx.limbs.items(), key=lambda kv: (kv[1], kv[0])):
            both = parts_label((f"left_{limb}", f"right_{limb}"))
            if e in ctx.plural:
                add(e, "limb", "1", both)
            else:
                add(e, "limb", "1", "one side from context, else " +
                    (both if ctx.unsided == "both" else "unsupervised"))
        for e in sorted(ctx.sides):
            add(e, "side", "1", "context")
        for e in sorted(ctx.both):
            add(e, "both", "0" if e in lex.function_words else "unsupervised", "unsupervised")
    for e in sorted(lex.function_words):
        if ctx is None or e not in ctx.both:
            add(e, "function", "0", "unsupervised")
    for e in sorted(lex.subjects):
        add(e, "subject", "0", "unsupervised")
    table = pd.DataFrame(rows, columns=["entry", "kind", "beta", "parts"])
    table.attrs["lexicon"] = lex.name
    table.attrs["skeleton"] = lex.skeleton
    return table


def lexicon_coverage(table_or_lexicon, captions=None, **kwargs) -> dict:
    """How much of a caption corpus a lexicon supervises.

    ``table_or_lexicon``: a :func:`lexicon_table` result, or a lexicon (object, name or path) with
    ``captions`` (then the table is built first). Motion words are defined from the text only
    (:func:`is_motion_word`), the same for every lexicon. Returns a dict: ``lexicon``,
    ``captions``, ``tokens``, ``words`` (distinct), ``motion_tokens``, ``motion_beta`` (share of
    motion-word tokens with a β* target), ``motion_beta1`` (share with β* = 1), ``motion_alpha``
    (share with a part target), ``motion_words`` (distinct motion words), ``motion_words_alpha``
    (share of them with a part target in at least one occurrence), ``other_tokens``,
    ``other_beta0`` (share of the other tokens with β* = 0), ``other_beta`` (share with any β*)
    and ``untagged_tokens``.
    """
    if isinstance(table_or_lexicon, pd.DataFrame):
        table = table_or_lexicon
    else:
        if captions is None:
            raise M2TError("lexicon_coverage needs captions when given a lexicon")
        table = lexicon_table(table_or_lexicon, captions, **kwargs)

    def share(a, b) -> float:
        return float(a) / float(b) if b else float("nan")

    tokens = int(table["count"].sum())
    motion = int(table["motion"].sum())
    other = tokens - motion
    mw = table[table["motion"] > 0]
    return {
        "lexicon": table.attrs.get("lexicon", ""),
        "captions": int(table.attrs.get("captions", 0)),
        "tokens": tokens,
        "words": int(len(table)),
        "motion_tokens": motion,
        "motion_beta": share(table["motion_beta"].sum(), motion),
        "motion_beta1": share(table["motion_beta1"].sum(), motion),
        "motion_alpha": share(table["motion_alpha"].sum(), motion),
        "motion_words": int(len(mw)),
        "motion_words_alpha": share((mw["motion_alpha"] > 0).sum(), len(mw)),
        "other_tokens": other,
        "other_beta0": share(table["other_beta0"].sum(), other),
        "other_beta": share(table["other_beta"].sum(), other),
        "untagged_tokens": int(table["untagged"].sum()),
    }


__all__ = ["CONTENT_POS", "TEMPORAL_CONNECTORS", "caption_words", "is_motion_word", "lexicon_coverage",
           "lexicon_entries", "lexicon_table"]
