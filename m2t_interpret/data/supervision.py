"""Attention-supervision targets β* (gate) and α* (body parts) per word, from a *lexicon*.

A lexicon is a JSON file of word rules (``m2t_interpret/data/lexicons/<name>.json``; see
``docs/lexicons.md``). Two ship with the package, selected by :func:`load_lexicon`:

* ``authors`` — the paper's rules, for reproducing it on HumanML3D/KIT-ML (the default);
* ``project`` — side-aware rules written from the synthetic corpus's caption text.

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

A lexicon with a ``context`` section (``project``) then applies clause rules to a whole caption
(:func:`caption_targets`): the caption is cut into clauses at connectors (a clause without a verb
continues the previous one); a side/limb phrase ("his left arm", "both hands") puts its side word
and noun on the part(s) it names; the clause's verb takes the limbs of the first phrase of its
clause (keeping the root/torso of its own group, ``verb_keeps``), and its particles and other
motion words take the verb's parts; trajectory and direction words ("forward", "turns left") take
the root when the clause's parts include it, else the clause's parts. :func:`word_targets` gives
the context-free answer.

Parts are named in the JSON (``root``, ``torso``, ``left_arm``, ``right_arm``, ``left_leg``,
``right_leg``); a :class:`Lexicon` is built for one skeleton and its α* vectors follow that
skeleton's checkpoint column order (HumanML3D: right arm before left arm; KIT-ML: left first).
Several parts get multi-hot 1s (the loss is a per-part BCE), like the authors' arms vector.

Part of speech comes from the dataset's word/POS field (Universal tags), or, for captions without
tags, from a lexicon built from the dataset (:func:`build_pos_lexicon`). There is no tagger model:
a word with no known POS cannot trigger rule 4.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from ..errors import M2TError
from ..io import read_json
from ..skeletons import PARTS, Skeleton, get_skeleton
from ..tokens import SPECIAL_TOKENS

__all__ = ["Lexicon", "ClauseRules", "stem", "load_lexicon", "available_lexicons",
           "default_lexicon", "word_targets", "caption_targets", "build_pos_lexicon",
           "vocab_targets", "step_targets", "pair_step_targets", "caption_words",
           "lexicon_table", "lexicon_entries", "lexicon_coverage", "is_motion_word",
           "parts_label", "caption_rules",
           "UNSUPERVISED", "CONTENT_POS", "TEMPORAL_CONNECTORS"]

UNSUPERVISED = -1
#: Reserved part-group names: β* = 1 without a part target / β* = 0.
MOTION, NON_MOTION = "motion", "non-motion"
BUILTIN = ("authors", "project")
_SPECIALS = frozenset(SPECIAL_TOKENS)
_LIMBS = ("arm", "leg")
_SIDES = ("left", "right")

#: Content part-of-speech tags: with :data:`TEMPORAL_CONNECTORS` they define the *motion words*
#: of :func:`lexicon_coverage` (text only, the same for every lexicon).
CONTENT_POS = frozenset({"VERB", "NOUN", "PROPN", "ADJ", "ADV", "NUM"})
#: Words that join or order actions; never motion words, whatever their tag.
TEMPORAL_CONNECTORS = frozenset({"then", "and", "after", "afterwards", "before", "while", "that",
                                 "first", "finally", "next", "later", "meanwhile", "when",
                                 "until"})


@functools.lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem import PorterStemmer

    return PorterStemmer()


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """NLTK Porter stem of the lowercased word (the authors' stemmer, default mode)."""
    return _stemmer().stem(word.lower())


def parts_label(parts: Iterable[str]) -> str:
    """``"left_arm+right_arm"`` (part order); ``"unsupervised"`` for None."""
    if parts is None:
        return "unsupervised"
    got = set(parts)
    return "+".join(p for p in PARTS if p in got) or "none"


# ------------------------------------------------------------------------------------------------
# the lexicon
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClauseRules:
    """The ``context`` section of a lexicon: how a caption's clauses and phrases name parts."""

    connectors: frozenset
    limbs: Mapping[str, str]  # limb noun -> "arm" | "leg"
    plural: frozenset  # limb nouns that name both sides ("arms", "knees")
    sides: Mapping[str, str]  # side word -> "left" | "right"
    both: frozenset  # words naming both sides ("both")
    phrase_skip: frozenset  # words allowed between a side word and its noun ("his", "the")
    unsided: str  # a singular limb noun without side word: "both" or "unsupervised"
    verb_keeps: tuple[str, ...]  # parts of a verb's own group kept when a phrase names limbs
    expressions: tuple[tuple[tuple[str, ...], str], ...]  # (words, group), longest first
    max_skip: int = 2

    @classmethod
    def from_dict(cls, d: Mapping, groups: Mapping[str, Any], source: str) -> "ClauseRules":
        def words(x) -> frozenset:
            return frozenset(str(w).lower() for w in x)

        limbs: dict[str, str] = {}
        plural: set[str] = set()
        for key, is_plural in (("limbs", False), ("limbs_plural", True)):
            for limb, nouns in d.get(key, {}).items():
                if limb not in _LIMBS:
                    raise M2TError(f"{source}: context.{key}: limb {limb!r} is not one of {_LIMBS}")
                for n in nouns:
                    limbs[str(n).lower()] = limb
                    if is_plural:
                        plural.add(str(n).lower())
        sides: dict[str, str] = {}
        for side, ws in d.get("sides", {}).items():
            if side not in _SIDES:
                raise M2TError(f"{source}: context.sides: side {side!r} is not one of {_SIDES}")
            for w in ws:
                sides[str(w).lower()] = side
        unsided = str(d.get("unsided", "both"))
        if unsided not in ("both", "unsupervised"):
            raise M2TError(f"{source}: context.unsided must be 'both' or 'unsupervised'")
        keeps = tuple(str(p) for p in d.get("verb_keeps", ["root", "torso"]))
        for p in keeps:
            if p not in PARTS:
                raise M2TError(f"{source}: context.verb_keeps: unknown part {p!r}")
        exprs = []
        for text, group in d.get("expressions", {}).items():
            if group not in groups and group not in (MOTION, NON_MOTION):
                raise M2TError(f"{source}: expression {text!r}: unknown part group {group!r}")
            ws = tuple(str(text).lower().split())
            if ws:
                exprs.append((ws, str(group)))
        exprs.sort(key=lambda e: -len(e[0]))
        return cls(connectors=words(d.get("connectors", [])), limbs=limbs,
                   plural=frozenset(plural), sides=sides, both=words(d.get("both", [])),
                   phrase_skip=words(d.get("phrase_skip", [])), unsided=unsided,
                   verb_keeps=keeps, expressions=tuple(exprs),
                   max_skip=int(d.get("max_skip", 2)))


@dataclass(frozen=True, eq=False)  # identity hash: lexicons key the target caches
class Lexicon:
    """Word rules of the attention supervision, built for one skeleton's part order.

    ``groups`` maps a part-group name to part names; ``part_vectors`` the same groups to their
    6-vectors in the skeleton's checkpoint column order (``part_names``).
    """

    part_vectors: Mapping[str, tuple[float, ...]]
    trajectory_stems: frozenset
    trajectory_part: str
    local_action_stems: Mapping[str, str]  # entry -> group name
    motion_pos: frozenset
    function_words: frozenset
    subjects: frozenset
    stem_aliases: Mapping[str, str]
    name: str = "lexicon"
    description: str = ""
    source: str = ""
    skeleton: str = "humanml3d"
    part_names: tuple[str, ...] = ("root", "torso", "right_arm", "left_arm", "right_leg", "left_leg")
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    entries: str = "stems"  # "stems": entries are Porter stems; "words": words (or their stems)
    motion_words: frozenset = frozenset()
    context: Optional[ClauseRules] = None
    end_beta: Optional[float] = None  # β* of the step that predicts <eos> (None: unsupervised)
    spec: Mapping = field(default_factory=dict, repr=False)
    _exact: Mapping[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _by_stem: Mapping[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: Mapping, source: str = "lexicon",
                  skeleton: Union[str, Skeleton] = "humanml3d") -> "Lexicon":
        """Build from a lexicon mapping (the JSON format of ``docs/lexicons.md``)."""
        sk = get_skeleton(skeleton)
        try:
            groups = _parse_groups(d, sk, source)
            vectors = {g: tuple(1.0 if p in parts else 0.0 for p in sk.part_names)
                       for g, parts in groups.items()}
            entries = str(d.get("entries", "stems"))
            if entries not in ("stems", "words"):
                raise M2TError(f"{source}: entries must be 'stems' or 'words', not {entries!r}")
            traj = d["trajectory"] if "trajectory" in d else d.get("trajectory_stems", [])
            traj_part = str(d.get("trajectory_part", "root"))
            if traj_part not in groups and (traj or "trajectory_part" in d):
                raise M2TError(f"{source}: trajectory part {traj_part!r} has no part group")
            actions_src = d["actions"] if "actions" in d else d.get("local_action_stems", {})
            local: dict[str, str] = {}
            for group, ws in actions_src.items():
                if group not in groups and group not in (MOTION, NON_MOTION):
                    raise M2TError(f"{source}: local-action part {group!r} has no part group")
                for s in ws:
                    local[str(s).lower()] = str(group)
            lex = cls(
                part_vectors=vectors,
                trajectory_stems=frozenset(str(s).lower() for s in traj),
                trajectory_part=traj_part,
                local_action_stems=local,
                motion_pos=frozenset(str(p).upper() for p in d.get("motion_pos", ["VERB", "ADV"])),
                function_words=frozenset(str(w).lower() for w in d.get("function_words", [])),
                subjects=frozenset(str(w).lower() for w in d.get("subjects", [])),
                stem_aliases={str(k).lower(): str(v).lower()
                              for k, v in d.get("stem_aliases", {}).items()},
                name=str(d.get("name", Path(source).stem or "lexicon")),
                description=str(d.get("description", "")),
                source=source,
                skeleton=sk.name,
                part_names=tuple(sk.part_names),
                groups=groups,
                entries=entries,
                motion_words=frozenset(str(w).lower() for w in d.get("motion_words", [])),
                context=(ClauseRules.from_dict(d["context"], groups, source)
                         if d.get("context") else None),
                end_beta=_end_beta(d.get("end_of_caption_beta"), source),
                spec=dict(d),
            )
        except M2TError:
            raise
        except KeyError as exc:
            raise M2TError(f"{source}: missing key {exc.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise M2TError(f"{source}: malformed lexicon ({exc})") from None
        lex._compile()
        return lex

    def _compile(self) -> None:
        """Entry tables: word → (kind, group) (``entries: words``) and stem → (kind, group)."""
        exact: dict[str, tuple[str, str]] = {}
        by_stem: dict[str, tuple[str, str]] = {}
        tables = [("motion", {w: MOTION for w in self.motion_words}),
                  ("action", self.local_action_stems),
                  ("trajectory", {s: self.trajectory_part for s in self.trajectory_stems})]
        for kind, table in tables:  # later tables win: trajectory > action > motion word
            for entry, group in table.items():
                if self.entries == "words":
                    exact[entry] = (kind, group)
                    by_stem[self.stem_of(entry)] = (kind, group)
                else:
                    by_stem[entry] = (kind, group)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_by_stem", by_stem)

    @classmethod
    def load(cls, path: Optional[Union[str, os.PathLike]] = None,
             skeleton: Union[str, Skeleton] = "humanml3d") -> "Lexicon":
        """Load a lexicon JSON file; ``None`` loads the packaged ``authors`` lexicon."""
        if path is None:
            return load_lexicon("authors", skeleton)
        return cls.from_dict(read_json(path, "lexicon"), source=str(path), skeleton=skeleton)

    def for_skeleton(self, skeleton: Union[str, Skeleton]) -> "Lexicon":
        """The same rules with α* vectors in ``skeleton``'s part order (self if already so)."""
        sk = get_skeleton(skeleton)
        if tuple(sk.part_names) == self.part_names:
            return self
        if self.name in BUILTIN and self.source.startswith("m2t_interpret/"):
            return load_lexicon(self.name, sk)
        spec = {k: v for k, v in self.spec.items() if k != "part_vectors"}
        spec["parts"] = {g: list(parts) for g, parts in self.groups.items()}  # names, not columns
        return Lexicon.from_dict(spec, source=self.source, skeleton=sk)

    # -- helpers --------------------------------------------------------------------------------

    def stem_of(self, word: str) -> str:
        w = word.lower()
        if w in self.stem_aliases:
            return self.stem_aliases[w]
        s = stem(w)
        return self.stem_aliases.get(s, s)

    def vector(self, parts: Iterable[str]) -> np.ndarray:
        """The α* vector (checkpoint order of this lexicon's skeleton) of named parts."""
        got = set(parts)
        bad = got - set(PARTS)
        if bad:
            raise M2TError(f"unknown part(s) {sorted(bad)}; parts are {', '.join(PARTS)}")
        return np.array([1.0 if p in got else 0.0 for p in self.part_names], dtype=np.float32)

    def parts_of(self, vector) -> Optional[tuple[str, ...]]:
        """Part names (part order) of an α* vector of this lexicon's skeleton; None for None."""
        if vector is None:
            return None
        on = {self.part_names[i] for i, v in enumerate(vector) if v > 0}
        return tuple(p for p in PARTS if p in on)

    def _mask(self, parts: Iterable[str]) -> int:
        """Bit mask of named parts (bit k = PARTS[k]): the internal form of an α* target."""
        m = 0
        for p in parts:
            m |= 1 << PARTS.index(p)
        return m

    @functools.cached_property
    def _mask_vectors(self) -> tuple[tuple[float, ...], ...]:
        """α* vector (checkpoint order) of each of the 64 part masks."""
        bits = [1 << PARTS.index(p) for p in self.part_names]
        return tuple(tuple(1.0 if m & b else 0.0 for b in bits) for m in range(64))

    @functools.cached_property
    def _expressions(self) -> tuple[tuple, frozenset]:
        """Context expressions as (words, stems, group) and the set of their first words/stems."""
        if self.context is None:
            return (), frozenset()
        exprs = tuple((seq, tuple(self.stem_of(w) for w in seq), g)
                      for seq, g in self.context.expressions)
        return exprs, frozenset(x for seq, st, _ in exprs for x in (seq[0], st[0]))

    @functools.cached_property
    def _group_masks(self) -> dict[str, int]:
        return {g: self._mask(parts) for g, parts in self.groups.items()}

    def __repr__(self) -> str:
        return (f"Lexicon(name={self.name!r}, skeleton={self.skeleton!r}, "
                f"context={'yes' if self.context else 'no'}, source={self.source!r})")


def _end_beta(value, source: str) -> Optional[float]:
    if value is None:
        return None
    if value not in (0, 1):
        raise M2TError(f"{source}: end_of_caption_beta must be 0, 1 or absent, got {value!r}")
    return float(value)


def _parse_groups(d: Mapping, sk: Skeleton, source: str) -> dict[str, tuple[str, ...]]:
    """Part groups by name (``parts``); legacy ``part_vectors`` (0/1, checkpoint order of the
    skeleton being built) are read into names."""
    groups: dict[str, tuple[str, ...]] = {}
    if "parts" in d:
        for g, names in d["parts"].items():
            if isinstance(names, str):
                names = [names]
            names = [str(n) for n in names]
            bad = [n for n in names if n not in PARTS]
            if bad:
                raise M2TError(f"{source}: part group {g!r}: unknown part(s) {bad}; "
                               f"parts are {', '.join(PARTS)}")
            groups[str(g)] = tuple(p for p in PARTS if p in names)
    elif "part_vectors" in d:
        for g, v in d["part_vectors"].items():
            v = [float(x) for x in v]
            if len(v) != 6:
                raise M2TError(f"{source}: part vector {g!r} has {len(v)} entries, not 6")
            if any(x not in (0.0, 1.0) for x in v):
                raise M2TError(f"{source}: part vector {g!r} must hold 0/1 (or name its parts)")
            on = {sk.part_names[i] for i, x in enumerate(v) if x}
            groups[str(g)] = tuple(p for p in PARTS if p in on)
    else:
        raise KeyError("parts")
    for reserved in (MOTION, NON_MOTION):
        if reserved in groups:
            raise M2TError(f"{source}: {reserved!r} is a reserved group name")
    return groups


@functools.lru_cache(maxsize=1)
def _packaged() -> tuple[str, ...]:
    folder = resources.files("m2t_interpret.data").joinpath("lexicons")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


def available_lexicons() -> list[str]:
    """Names of the packaged lexicons."""
    return list(_packaged())


@functools.lru_cache(maxsize=32)
def _builtin(name: str, skeleton: str) -> Lexicon:
    path = resources.files("m2t_interpret.data").joinpath("lexicons", f"{name}.json")
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise M2TError(f"no packaged lexicon named {name!r}; "
                       f"packaged: {', '.join(available_lexicons())}") from None
    return Lexicon.from_dict(json.loads(text), source=f"m2t_interpret/data/lexicons/{name}.json",
                             skeleton=skeleton)


@functools.lru_cache(maxsize=32)
def _from_file(path: str, mtime_ns: int, size: int, skeleton: str) -> Lexicon:
    return Lexicon.from_dict(read_json(path, "lexicon"), source=path, skeleton=skeleton)


def load_lexicon(name_or_path: Union[str, os.PathLike, Lexicon, None] = "authors",
                 skeleton: Union[str, Skeleton] = "humanml3d") -> Lexicon:
    """A packaged lexicon by name (``"authors"``, ``"project"``) or a lexicon JSON file, with α*
    vectors in ``skeleton``'s checkpoint order (``"humanml3d"``, ``"kit"`` or a Skeleton).

    ``None`` means ``"authors"``; a :class:`Lexicon` is returned for ``skeleton``. Loads are
    cached (a file is re-read when it changes), so the same object keys the target caches.
    """
    sk = get_skeleton(skeleton)
    if name_or_path is None:
        name_or_path = "authors"
    if isinstance(name_or_path, Lexicon):
        return name_or_path.for_skeleton(sk)
    spec = str(name_or_path)
    path = Path(spec).expanduser()
    if spec in _packaged():  # a packaged name wins; write "./name" for a file so named
        return _builtin(spec, sk.name)
    if path.is_file():
        st = path.stat()
        return _from_file(str(path.resolve()), st.st_mtime_ns, st.st_size, sk.name)
    if path.suffix.lower() == ".json" or os.sep in spec or "/" in spec:
        raise M2TError(f"lexicon file not found: {path}")
    raise M2TError(f"no lexicon named {spec!r}: use one of {', '.join(available_lexicons())} "
                   "or the path of a lexicon JSON file")


def default_lexicon() -> Lexicon:
    """The ``authors`` lexicon for HumanML3D's part order (its vectors are side-symmetric)."""
    return _builtin("authors", "humanml3d")


def _as_lexicon(lexicon) -> Lexicon:
    if lexicon is None:
        return default_lexicon()
    if isinstance(lexicon, Lexicon):
        return lexicon
    return load_lexicon(lexicon)


# ------------------------------------------------------------------------------------------------
# word rules (context-free)
# ------------------------------------------------------------------------------------------------

# a classified word: (beta, part mask or None, rule, kind, payload)
#   kind: special connector limb side trajectory action motion function none
#   payload: limb -> (limb, plural); side -> side; action -> group name


@functools.lru_cache(maxsize=65536)
def _classify(word: str, pos: Optional[str], lex: Lexicon) -> tuple:
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
            pm = lex._mask((f"left_{limb}", f"right_{limb}"))
            pm = pm if plural or ctx.unsided == "both" else None
            return 1, pm, "limb", "limb", (limb, plural)
        side = ctx.sides.get(w)
        if side is not None:
            return 1, None, "side", "side", side
    hit = lex._exact.get(w) if lex.entries == "words" else None
    if hit is None:
        hit = lex._by_stem.get(lex.stem_of(w))
    if hit is not None:
        kind, group = hit
        if kind == "trajectory":
            return 1, lex._group_masks[group], "trajectory", "trajectory", None
        if kind == "action":
            if group == NON_MOTION:
                return 0, None, "action", "function", None
            pm = None if group == MOTION else lex._group_masks[group]
            return 1, pm, "action", "action", group
        return 1, None, "motion-word", "motion", None
    if pos is not None and pos.upper() in lex.motion_pos and w not in lex.function_words:
        return 1, None, "pos", "motion", None
    if w in lex.function_words:
        return 0, None, "function", "function", None
    if w in lex.subjects:
        return 0, None, "subject", "function", None
    return UNSUPERVISED, None, "none", "none", None


def _word_targets_cached(word: str, pos: Optional[str], lexicon: Lexicon):
    """(β*, α* tuple or None) of one word without context."""
    c = _classify(word, pos, lexicon)
    return c[0], (None if c[1] is None else lexicon._mask_vectors[c[1]])


def word_targets(word: str, pos: Optional[str] = None, lexicon=None) \
        -> tuple[int, Optional[np.ndarray]]:
    """β* ∈ {1, 0, -1 (unsupervised)} and α* (6,) float32 or None (unsupervised) for one word,
    without context (a side word such as "left" has no part on its own; see
    :func:`caption_targets`). ``lexicon``: a :class:`Lexicon`, a name/path, or None (authors)."""
    beta, alpha = _word_targets_cached(str(word), pos, _as_lexicon(lexicon))
    return beta, (None if alpha is None else np.asarray(alpha, dtype=np.float32))


# ------------------------------------------------------------------------------------------------
# clause rules (whole caption)
# ------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=262144)
def _analyse(words: tuple, tags: tuple, lex: Lexicon) -> tuple:
    """Per token ``(beta, part mask or None, rule)`` of one caption (tags already resolved)."""
    cls = [_classify(w, t, lex) for w, t in zip(words, tags)]
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
    exprs, firsts = lex._expressions
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
    groups = lex._group_masks
    root = groups.get(lex.trajectory_part, 1 << PARTS.index("root"))
    keep = lex._mask(ctx.verb_keeps)
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
                pm = lex._mask((f"left_{limb}", f"right_{limb}"))
            else:
                pm = lex._mask((f"{side}_{limb}",))
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
    res = _analyse(words, tags, lex)
    L = len(res)
    vectors = lex._mask_vectors
    beta = np.array([r[0] for r in res], dtype=np.int64).reshape(L)
    mask = np.array([r[1] is not None for r in res], dtype=bool).reshape(L)
    alpha = np.array([vectors[r[1] or 0] for r in res], dtype=np.float32).reshape(L, 6)
    for arr in (beta, alpha, mask):
        arr.setflags(write=False)
    return beta, alpha, mask


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


def _resolve_pos(word: str, tag: Optional[str], pos_lexicon: Optional[Mapping[str, str]]):
    if tag:
        return str(tag).upper()
    if pos_lexicon:
        return pos_lexicon.get(word.lower())
    return None


def _resolved_tags(tokens: Sequence[str], pos_tags, pos_lexicon) -> tuple:
    if pos_tags is None:
        if not pos_lexicon:
            return (None,) * len(tokens)
        return tuple(pos_lexicon.get(str(w).lower()) for w in tokens)
    return tuple(_resolve_pos(str(w), t, pos_lexicon) for w, t in zip(tokens, pos_tags))


def caption_targets(tokens: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]] = None,
                    *, pos_lexicon: Optional[Mapping[str, str]] = None,
                    lexicon=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets for the tokens of one caption, clause rules included.

    Returns ``beta`` (L,) int64 in {1, 0, -1}, ``alpha`` (L, 6) float32 (zeros where
    unsupervised; the lexicon's skeleton order) and ``alpha_mask`` (L,) bool (False = α*
    unsupervised). A missing POS tag is looked up in ``pos_lexicon`` (see
    :func:`build_pos_lexicon`). Results are cached per caption.
    """
    lex = _as_lexicon(lexicon)
    L = len(tokens)
    if pos_tags is not None and len(pos_tags) != L:
        raise M2TError(f"{L} tokens but {len(pos_tags)} POS tags")
    words = tuple(str(w) for w in tokens)
    beta, alpha, mask = _caption_arrays(words, _resolved_tags(words, pos_tags, pos_lexicon), lex)
    return beta.copy(), alpha.copy(), mask.copy()


def caption_rules(tokens: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]] = None,
                  *, pos_lexicon: Optional[Mapping[str, str]] = None, lexicon=None) -> list[str]:
    """The rule that gave each token its target (``trajectory``, ``action``, ``phrase``,
    ``verb+phrase``, ``clause``, ``connector``, ``pos``, ``function``, ``none`` …)."""
    lex = _as_lexicon(lexicon)
    words = tuple(str(w) for w in tokens)
    return [r for _, _, r in _analyse(words, _resolved_tags(words, pos_tags, pos_lexicon), lex)]


def vocab_targets(vocab, pos_lexicon: Optional[Mapping[str, str]] = None,
                  lexicon=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-vocabulary-id targets (β* (V,), α* (V, 6), α supervised (V,)) with POS from
    ``pos_lexicon`` — the authors' per-word-type scheme, context-free (no clause rules);
    special tokens are unsupervised."""
    lex = _as_lexicon(lexicon)
    tokens = list(vocab.tokens if hasattr(vocab, "tokens") else vocab)
    V = len(tokens)
    beta = np.full(V, UNSUPERVISED, dtype=np.int64)
    alpha = np.zeros((V, 6), dtype=np.float32)
    mask = np.zeros(V, dtype=bool)
    for i, w in enumerate(tokens):
        b, a = _word_targets_cached(str(w), _resolve_pos(str(w), None, pos_lexicon), lex)
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
    lex = _as_lexicon(lexicon)
    S = max(len(ids) - 1, 0)
    beta = np.full(S, float(UNSUPERVISED), dtype=np.float32)
    alpha = np.zeros((S, 6), dtype=np.float32)
    mask = np.zeros(S, dtype=bool)
    if pos_tags is not None and len(pos_tags) != len(words):
        raise M2TError(f"{len(words)} words but {len(pos_tags)} POS tags")
    n = min(S, len(words))
    if lex.context is None:  # word rules only: no need to look at the whole caption
        vectors = lex._mask_vectors
        for t in range(n):
            if int(ids[t + 1]) < 4:  # <pad> <sos> <eos> <unk>
                continue
            w = str(words[t])
            c = _classify(w, _resolve_pos(w, pos_tags[t] if pos_tags is not None else None,
                                          pos_lexicon), lex)
            beta[t] = c[0]
            if c[1] is not None:
                alpha[t] = vectors[c[1]]
                mask[t] = True
        return _supervise_end(beta, ids, lex), alpha, mask
    wt = tuple(str(w) for w in words)
    cb, ca, cm = _caption_arrays(wt, _resolved_tags(wt, pos_tags, pos_lexicon), lex)
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
    lex = _as_lexicon(lexicon)
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
            b, a = _word_targets_cached(word, _resolve_pos(word, tag, pos_lexicon), lex)
            beta[n, t] = b
            if a is not None:
                alpha[n, t] = a
                mask[n, t] = True
        beta[n] = _supervise_end(beta[n], ids[n].tolist(), lex)
    if as_tensor is None:
        as_tensor = is_tensor
    if as_tensor:
        import torch

        device = token_ids.device if is_tensor else None
        return (torch.from_numpy(beta).to(device), torch.from_numpy(alpha).to(device),
                torch.from_numpy(mask).to(device))
    return beta, alpha, mask


# ------------------------------------------------------------------------------------------------
# words as written, lexicon tables and coverage
# ------------------------------------------------------------------------------------------------


def caption_words(caption) -> tuple[list[str], list[Optional[str]]]:
    """Words of a caption as written and their POS tags (see
    :func:`~m2t_interpret.data.vocabulary.surface_tokens`): the convention of training."""
    from .vocabulary import surface_tokens

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


def lexicon_table(lexicon, captions, *, pos_lexicon: Optional[Mapping[str, str]] = None):
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
    import pandas as pd

    lex = _as_lexicon(lexicon)
    pairs = _caption_pairs(captions)
    if pos_lexicon is None:
        pos_lexicon = build_pos_lexicon(pairs)
    targets: dict[str, Counter] = defaultdict(Counter)
    pos_count: dict[str, Counter] = defaultdict(Counter)
    stats: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(8, dtype=np.int64))
    for words, tags in pairs:
        wt = tuple(words)
        rtags = _resolved_tags(wt, tags, pos_lexicon)
        res = _analyse(wt, rtags, lex)
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


def lexicon_entries(lexicon) -> "Any":
    """The lexicon's own lists as a table (no captions needed): one row per entry with columns
    ``entry`` (a word, stem or expression as written in the file), ``kind`` (trajectory,
    action, expression, motion-word, connector, limb, side, both, function, subject), ``beta``
    and ``parts`` (context-free target; "context" where the clause decides)."""
    import pandas as pd

    lex = _as_lexicon(lexicon)
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
    import pandas as pd

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
