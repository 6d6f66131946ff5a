"""Attention-supervision targets β* (gate) and α* (body parts) per word (REFERENCE §1.8).

Rules, checked in this order on the lowercased word ``w`` and its NLTK Porter stem ``s``:

1. ``s`` is a trajectory stem (circl, circuit, clockwis, anticlockwis, forward, backward):
   β* = 1, α* = root ``[1,0,0,0,0,0]``.
2. ``s`` is a local-action stem: β* = 1, α* = arms ``[0,0,1,1,0,0]`` (wave, wipe, throw, punch,
   pick, box, open, clean, handstand, draw), legs ``[0,0,0,0,1,1]`` (kick, stomp, lift, kneel,
   squat, squad, stand, stumbl, rotat) or torso ``[0,1,0,0,0,0]`` (bend, bow).
3. the POS is VERB or ADV and ``w`` is not a function word: β* = 1, α* unsupervised.
4. ``w`` is a function word {is, the, of, his, her, its, on, their} or a subject
   {a, person, human, man}: β* = 0, α* unsupervised.
5. anything else, special tokens included: β* and α* unsupervised.

Function words and subjects are matched on the word itself, not its stem (Porter turns "his"
into "hi" and "its" into "it"); rule 3 skips function words, as the authors' code does.
Porter maps inflections onto the stems: circles/circling → circl, clockwise → clockwis,
forwards → forward, backwards → backward, waves/waving → wave, kicked → kick, bowing → bow,
bends → bend, squatting → squat, kneels → kneel, stumbles → stumbl, rotates → rotat, boxing →
box — so no extra rule is needed; ``stem_aliases`` in the lexicon can add one (word or stem →
stem) where a user wants it.

Part of speech comes from the dataset's word/POS field (Universal tags: VERB, ADV, AUX, NOUN…;
"is" is AUX in HumanML3D so never rule 3), or, for captions without tags, from a lexicon built
from the dataset (:func:`build_pos_lexicon`: word → its most frequent tag). There is no tagger
model: a word with no known POS cannot trigger rule 3.

The lists live in ``m2t_interpret/data/lexicon.json``; edit it or load another file with
:meth:`Lexicon.load`. α* vectors are in checkpoint column order; the arm/leg vectors cover both
sides, so they hold for HumanML3D and KIT-ML.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from ..errors import M2TError
from ..io import read_json
from ..tokens import SPECIAL_TOKENS

__all__ = ["Lexicon", "stem", "word_targets", "caption_targets", "build_pos_lexicon",
           "vocab_targets", "step_targets", "UNSUPERVISED"]

UNSUPERVISED = -1
_SPECIALS = frozenset(SPECIAL_TOKENS)


@functools.lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem import PorterStemmer

    return PorterStemmer()


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """NLTK Porter stem of the lowercased word (the authors' stemmer, default mode)."""
    return _stemmer().stem(word.lower())


@dataclass(frozen=True, eq=False)  # identity hash: lexicons key the target cache
class Lexicon:
    """The word lists of the supervision rules (see the module docstring)."""

    part_vectors: Mapping[str, tuple[float, ...]]
    trajectory_stems: frozenset
    trajectory_part: str
    local_action_stems: Mapping[str, str]  # stem -> part name
    motion_pos: frozenset
    function_words: frozenset
    subjects: frozenset
    stem_aliases: Mapping[str, str]

    @classmethod
    def from_dict(cls, d: Mapping, source: str = "lexicon") -> "Lexicon":
        try:
            vectors = {k: tuple(float(x) for x in v) for k, v in d["part_vectors"].items()}
            for k, v in vectors.items():
                if len(v) != 6:
                    raise M2TError(f"{source}: part vector {k!r} has {len(v)} entries, not 6")
            traj_part = d.get("trajectory_part", "root")
            local: dict[str, str] = {}
            for part, stems in d["local_action_stems"].items():
                if part not in vectors:
                    raise M2TError(f"{source}: local-action part {part!r} has no part vector")
                for s in stems:
                    local[str(s).lower()] = part
            if traj_part not in vectors:
                raise M2TError(f"{source}: trajectory part {traj_part!r} has no part vector")
            return cls(
                part_vectors=vectors,
                trajectory_stems=frozenset(str(s).lower() for s in d["trajectory_stems"]),
                trajectory_part=traj_part,
                local_action_stems=local,
                motion_pos=frozenset(str(p).upper() for p in d.get("motion_pos", ["VERB", "ADV"])),
                function_words=frozenset(str(w).lower() for w in d["function_words"]),
                subjects=frozenset(str(w).lower() for w in d["subjects"]),
                stem_aliases={str(k).lower(): str(v).lower()
                              for k, v in d.get("stem_aliases", {}).items()},
            )
        except KeyError as exc:
            raise M2TError(f"{source}: missing key {exc.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise M2TError(f"{source}: malformed lexicon ({exc})") from None

    @classmethod
    def load(cls, path: Optional[Union[str, os.PathLike]] = None) -> "Lexicon":
        """Load a lexicon JSON file; ``None`` loads the packaged ``lexicon.json``."""
        if path is None:
            return default_lexicon()
        return cls.from_dict(read_json(path, "lexicon"), source=str(path))

    def stem_of(self, word: str) -> str:
        w = word.lower()
        if w in self.stem_aliases:
            return self.stem_aliases[w]
        s = stem(w)
        return self.stem_aliases.get(s, s)


@functools.lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    text = resources.files("m2t_interpret.data").joinpath("lexicon.json").read_text("utf-8")
    return Lexicon.from_dict(json.loads(text), source="m2t_interpret/data/lexicon.json")


@functools.lru_cache(maxsize=65536)
def _word_targets_cached(word: str, pos: Optional[str], lexicon: Lexicon):
    w = word.strip().lower()
    if not w or w in _SPECIALS:
        return UNSUPERVISED, None
    s = lexicon.stem_of(w)
    if s in lexicon.trajectory_stems:
        return 1, lexicon.part_vectors[lexicon.trajectory_part]
    part = lexicon.local_action_stems.get(s)
    if part is not None:
        return 1, lexicon.part_vectors[part]
    if pos is not None and pos.upper() in lexicon.motion_pos and w not in lexicon.function_words:
        return 1, None
    if w in lexicon.function_words or w in lexicon.subjects:
        return 0, None
    return UNSUPERVISED, None


def word_targets(word: str, pos: Optional[str] = None, lexicon: Optional[Lexicon] = None) \
        -> tuple[int, Optional[np.ndarray]]:
    """β* ∈ {1, 0, -1 (unsupervised)} and α* (6,) float32 or None (unsupervised) for one word."""
    beta, alpha = _word_targets_cached(str(word), pos, lexicon or default_lexicon())
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


def _resolve_pos(word: str, tag: Optional[str], pos_lexicon: Optional[Mapping[str, str]]):
    if tag:
        return str(tag).upper()
    if pos_lexicon:
        return pos_lexicon.get(word.lower())
    return None


def caption_targets(tokens: Sequence[str], pos_tags: Optional[Sequence[Optional[str]]] = None,
                    *, pos_lexicon: Optional[Mapping[str, str]] = None,
                    lexicon: Optional[Lexicon] = None) \
        -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets for the tokens of one caption.

    Returns ``beta`` (L,) int64 in {1, 0, -1}, ``alpha`` (L, 6) float32 (zeros where
    unsupervised) and ``alpha_mask`` (L,) bool (False = α* unsupervised). A missing POS tag is
    looked up in ``pos_lexicon`` (see :func:`build_pos_lexicon`).
    """
    lex = lexicon or default_lexicon()
    L = len(tokens)
    if pos_tags is not None and len(pos_tags) != L:
        raise M2TError(f"{L} tokens but {len(pos_tags)} POS tags")
    beta = np.full(L, UNSUPERVISED, dtype=np.int64)
    alpha = np.zeros((L, 6), dtype=np.float32)
    mask = np.zeros(L, dtype=bool)
    for i, w in enumerate(tokens):
        pos = _resolve_pos(str(w), pos_tags[i] if pos_tags is not None else None, pos_lexicon)
        b, a = _word_targets_cached(str(w), pos, lex)
        beta[i] = b
        if a is not None:
            alpha[i] = a
            mask[i] = True
    return beta, alpha, mask


def vocab_targets(vocab, pos_lexicon: Optional[Mapping[str, str]] = None,
                  lexicon: Optional[Lexicon] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-vocabulary-id targets (β* (V,), α* (V, 6), α supervised (V,)) with POS from
    ``pos_lexicon`` — the authors' per-word-type scheme; special tokens are unsupervised."""
    tokens = list(vocab.tokens if hasattr(vocab, "tokens") else vocab)
    beta, alpha, mask = caption_targets(tokens, None, pos_lexicon=pos_lexicon, lexicon=lexicon)
    return beta, alpha, mask


def step_targets(token_ids, vocab, pos_tags: Optional[Sequence[Sequence[Optional[str]]]] = None,
                 *, pos_lexicon: Optional[Mapping[str, str]] = None,
                 lexicon: Optional[Lexicon] = None, as_tensor: Optional[bool] = None):
    """Supervision targets aligned with decoding steps.

    ``token_ids`` (N, L) holds ``[<sos>, w1, …, wn, <eos>, <pad>, …]`` per row. Decoding step
    ``t`` (0-based) reads input token ``t`` and predicts token ``t + 1``, so it is supervised by
    the targets of token ``t + 1``: there are ``S = L - 1`` steps, step ``t`` ↔ word ``w_{t+1}``
    (the ``t``-th word, 0-based). Steps predicting <eos>, <pad>, <sos> or <unk> are unsupervised.

    ``pos_tags[n]`` (optional) lists the POS of row ``n``'s words ``w1…wn`` in order (so
    ``pos_tags[n][t]`` is the tag for step ``t``); missing tags fall back to ``pos_lexicon``.

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
    lex = lexicon or default_lexicon()
    tokens = list(vocab.tokens if hasattr(vocab, "tokens") else vocab)
    V = len(tokens)
    if pos_tags is not None and len(pos_tags) != N:
        raise M2TError(f"pos_tags has {len(pos_tags)} rows, token_ids has {N}")
    beta = np.full((N, S), float(UNSUPERVISED), dtype=np.float32)
    alpha = np.zeros((N, S, 6), dtype=np.float32)
    mask = np.zeros((N, S), dtype=bool)
    for n in range(N):
        tags = pos_tags[n] if pos_tags is not None else None
        for t in range(S):
            tid = int(ids[n, t + 1])
            if tid < 4:  # <pad> <sos> <eos> <unk>
                continue
            if tid >= V:
                raise M2TError(f"token id {tid} is outside the vocabulary (size {V})")
            word = tokens[tid]
            tag = tags[t] if (tags is not None and t < len(tags)) else None
            b, a = _word_targets_cached(word, _resolve_pos(word, tag, pos_lexicon), lex)
            beta[n, t] = b
            if a is not None:
                alpha[n, t] = a
                mask[n, t] = True
    if as_tensor is None:
        as_tensor = is_tensor
    if as_tensor:
        import torch

        device = token_ids.device if is_tensor else None
        return (torch.from_numpy(beta).to(device), torch.from_numpy(alpha).to(device),
                torch.from_numpy(mask).to(device))
    return beta, alpha, mask
