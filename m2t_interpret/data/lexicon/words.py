"""The word rules: the targets β* (gate) and α* (body parts) of one word without context.

Word rules, checked in this order on the lowercased word ``w`` (its NLTK Porter stem ``s``):

1. special tokens (and empty words): unsupervised.
2. context lexicons only: ``w`` is a connector → β* = 0; a limb noun ("arm", "hands") → β* = 1,
   α* = that limb (both sides without context); a side word ("left") → β* = 1, α* from context.
3. ``w`` (``entries: "words"`` only) or ``s`` is a trajectory entry → β* = 1, α* = root; an
   action entry → β* = 1, α* = its part group (the group ``motion`` gives β* = 1 without a part);
   a motion word → β* = 1, α* from context.
4. the POS is in ``motion_pos`` (VERB, ADV) and ``w`` is not a function word → β* = 1, α*
   unsupervised (or from context).
5. ``w`` is a function word or a subject → β* = 0, α* unsupervised.
6. anything else: β* and α* unsupervised.

For the ``authors`` lexicon these are exactly the paper's rules: trajectory stems (circl,
circuit, clockwis, anticlockwis, forward, backward) → root; local-action stems → both arms
(wave, wipe, throw, punch, pick, box, open, clean, handstand, draw), both legs (kick, stomp, lift,
kneel, squat, squad, stand, stumbl, rotat) or torso (bend, bow); VERB/ADV → β* = 1; function
words {is, the, of, his, her, its, on, their} and subjects {a, person, human, man} → β* = 0.
Function words and subjects are matched on the word itself, not its stem (Porter turns "his"
into "hi"); rule 4 skips function words, as the authors' code does.

Part of speech comes from the dataset's word/POS field (Universal tags), or, for captions without
tags, from a lexicon built from the dataset (:func:`build_pos_lexicon`). There is no tagger model:
a word with no known POS cannot trigger rule 4.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from typing import Mapping, Optional, Sequence

import numpy as np

from ...tokens import SPECIAL_TOKENS
from .format import MOTION, NON_MOTION, UNSUPERVISED, Lexicon, as_lexicon

_SPECIALS = frozenset(SPECIAL_TOKENS)

# a classified word: (beta, part mask or None, rule, kind, payload)
#   kind: special connector limb side trajectory action motion function none
#   payload: limb -> (limb, plural); side -> side; action -> group name


@functools.lru_cache(maxsize=65536)
def classify_word(word: str, pos: Optional[str], lex: Lexicon) -> tuple:
    """``(β*, part mask or None, rule, kind, payload)`` of one word without context (see the
    comment above); cached per (word, POS, lexicon)."""
    w = word.strip().lower()
    if not w or w in _SPECIALS:
        return UNSUPERVISED, None, "special", "special", None
    ctx = lex.context
    if ctx is not None:
        if w in ctx.connectors:
            return 0, None, "connector", "connector", None
        limb = ctx.limbs.get(w)
        if limb is not None:
            plural = w in ctx.plural
            pm = lex.mask((f"left_{limb}", f"right_{limb}"))
            pm = pm if plural or ctx.unsided == "both" else None
            return 1, pm, "limb", "limb", (limb, plural)
        side = ctx.sides.get(w)
        if side is not None:
            return 1, None, "side", "side", side
    hit = lex.entry(w)
    if hit is not None:
        kind, group = hit
        if kind == "trajectory":
            return 1, lex.group_masks[group], "trajectory", "trajectory", None
        if kind == "action":
            if group == NON_MOTION:
                return 0, None, "action", "function", None
            pm = None if group == MOTION else lex.group_masks[group]
            return 1, pm, "action", "action", group
        return 1, None, "motion-word", "motion", None
    if pos is not None and pos.upper() in lex.motion_pos and w not in lex.function_words:
        return 1, None, "pos", "motion", None
    if w in lex.function_words:
        return 0, None, "function", "function", None
    if w in lex.subjects:
        return 0, None, "subject", "function", None
    return UNSUPERVISED, None, "none", "none", None


def cached_word_targets(word: str, pos: Optional[str], lexicon: Lexicon):
    """(β*, α* tuple or None) of one word without context."""
    c = classify_word(word, pos, lexicon)
    return c[0], (None if c[1] is None else lexicon.mask_vectors[c[1]])


def word_targets(word: str, pos: Optional[str] = None, lexicon=None) \
        -> tuple[int, Optional[np.ndarray]]:
    """β* ∈ {1, 0, -1 (unsupervised)} and α* (6,) float32 or None (unsupervised) for one word,
    without context (a side word such as "left" has no part on its own; see
    :func:`caption_targets`). ``lexicon``: a :class:`Lexicon`, a name/path, or None (authors)."""
    beta, alpha = cached_word_targets(str(word), pos, as_lexicon(lexicon))
    return beta, (None if alpha is None else np.asarray(alpha, dtype=np.float32))


def build_pos_lexicon(captions: object) -> dict[str, str]:
    """word → its most frequent POS tag over tagged captions (ties: alphabetically first tag).

    ``captions``: a MotionDataset, an iterable of ``Caption``/``TextLine`` objects, or of
    ``(tokens, pos_tags)`` pairs. Untagged tokens (POS ``None``) are ignored.
    """
    if hasattr(captions, "captions") and callable(getattr(captions, "captions")):
        captions = captions.captions()  # type: ignore[union-attr]
    counts: dict[str, Counter] = defaultdict(Counter)
    for item in captions:  # type: ignore[union-attr]
        if isinstance(item, tuple) and len(item) == 2 and not hasattr(item, "tokens"):
            toks, tags = item
        else:
            toks, tags = getattr(item, "tokens", ()), getattr(item, "pos", ())
        for w, p in zip(toks, tags):
            if p:
                counts[str(w).lower()][str(p).upper()] += 1
    return {w: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for w, c in counts.items()}


def resolve_pos(word: str, tag: Optional[str], pos_lexicon: Optional[Mapping[str, str]]) -> Optional[str]:
    """A word's POS: its own tag (upper-cased), else its entry in ``pos_lexicon``, else None."""
    if tag:
        return str(tag).upper()
    if pos_lexicon:
        return pos_lexicon.get(word.lower())
    return None


def resolve_tags(tokens: Sequence[str], pos_tags, pos_lexicon) -> tuple:
    """The POS of each token (:func:`resolve_pos`); ``pos_tags`` None: from ``pos_lexicon`` only."""
    if pos_tags is None:
        if not pos_lexicon:
            return (None,) * len(tokens)
        return tuple(pos_lexicon.get(str(w).lower()) for w in tokens)
    return tuple(resolve_pos(str(w), t, pos_lexicon) for w, t in zip(tokens, pos_tags))


__all__ = ["build_pos_lexicon", "cached_word_targets", "classify_word", "resolve_pos", "resolve_tags",
           "word_targets"]
