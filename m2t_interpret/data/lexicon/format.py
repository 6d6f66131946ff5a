"""The lexicon file format: a :class:`Lexicon` (word entries, part groups and the clause rules
of its ``context`` section) read from JSON and built for one skeleton's part order.

A lexicon is a JSON file of word rules (``m2t_interpret/data/lexicons/<name>.json``; see
``docs/lexicons.md``). Two ship with the package, selected by :func:`load_lexicon`:

* ``authors`` — the paper's rules, for reproducing it on HumanML3D/KIT-ML (the default);
* ``project`` — side-aware rules written from the synthetic corpus's caption text.

Parts are named in the JSON (``root``, ``torso``, ``left_arm``, ``right_arm``, ``left_leg``,
``right_leg``); a :class:`Lexicon` is built for one skeleton and its α* vectors follow that
skeleton's checkpoint column order (HumanML3D: right arm before left arm; KIT-ML: left first).
Several parts get multi-hot 1s (the loss is a per-part BCE), like the authors' arms vector.
Inside the rules a set of parts is a bit mask (bit k = ``PARTS[k]``, :meth:`Lexicon.mask`).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

import numpy as np

from ...errors import M2TError
from ...io import read_json
from ...skeletons import PARTS, Skeleton, get_skeleton
from ..stemming import stem

UNSUPERVISED = -1
#: Reserved part-group names: β* = 1 without a part target / β* = 0.
MOTION, NON_MOTION = "motion", "non-motion"
BUILTIN = ("authors", "project")
_LIMBS = ("arm", "leg")
_SIDES = ("left", "right")


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
    # α* of the other parts of a target that names the root with them (1: all alike)
    with_root: float = 1.0
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
                with_root=_with_root(d.get("with_root", 1.0), source),
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

    def entry(self, word: str) -> Optional[tuple[str, str]]:
        """``(kind, group)`` of the entry matching a lowercased word (``entries: words``: the word
        itself first, then its stem), kind ``trajectory``, ``action`` or ``motion``; None when no
        entry matches."""
        hit = self._exact.get(word) if self.entries == "words" else None
        return hit if hit is not None else self._by_stem.get(self.stem_of(word))

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

    def mask(self, parts: Iterable[str]) -> int:
        """Bit mask of named parts (bit k = PARTS[k]): the internal form of an α* target."""
        m = 0
        for p in parts:
            m |= 1 << PARTS.index(p)
        return m

    @functools.cached_property
    def mask_vectors(self) -> tuple[tuple[float, ...], ...]:
        """α* vector (checkpoint order) of each of the 64 part masks: 1 for a named part, 0 for the
        others; where a mask names the root with other parts, those get ``with_root`` (a word
        that names the body's travel and the limbs that carry it names the travel first)."""
        bits = [1 << PARTS.index(p) for p in self.part_names]
        root = 1 << PARTS.index("root")

        def weight(m: int, b: int) -> float:
            if not m & b:
                return 0.0
            return self.with_root if (m & root and b != root and m != b) else 1.0

        return tuple(tuple(weight(m, b) for b in bits) for m in range(64))

    @functools.cached_property
    def expression_index(self) -> tuple[tuple, frozenset]:
        """Context expressions as (words, stems, group) and the set of their first words/stems."""
        if self.context is None:
            return (), frozenset()
        exprs = tuple((seq, tuple(self.stem_of(w) for w in seq), g)
                      for seq, g in self.context.expressions)
        return exprs, frozenset(x for seq, st, _ in exprs for x in (seq[0], st[0]))

    @functools.cached_property
    def group_masks(self) -> dict[str, int]:
        """The part mask of each part group."""
        return {g: self.mask(parts) for g, parts in self.groups.items()}

    def __repr__(self) -> str:
        return (f"Lexicon(name={self.name!r}, skeleton={self.skeleton!r}, "
                f"context={'yes' if self.context else 'no'}, source={self.source!r})")


def _with_root(value, source: str) -> float:
    try:
        w = float(value)
    except (TypeError, ValueError):
        w = -1.0
    if not 0.0 < w <= 1.0:
        raise M2TError(f"{source}: with_root must be a number in (0, 1], got {value!r}")
    return w


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


def as_lexicon(lexicon) -> Lexicon:
    """``lexicon`` as a :class:`Lexicon`: itself, a packaged name or a file (:func:`load_lexicon`),
    or None for the default (:func:`default_lexicon`)."""
    if lexicon is None:
        return default_lexicon()
    if isinstance(lexicon, Lexicon):
        return lexicon
    return load_lexicon(lexicon)


__all__ = ["BUILTIN", "MOTION", "NON_MOTION", "UNSUPERVISED", "ClauseRules", "Lexicon", "as_lexicon",
           "available_lexicons", "default_lexicon", "load_lexicon", "parts_label"]
