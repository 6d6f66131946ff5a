"""Word vocabulary: <pad>=0, <sos>=1, <eos>=2, <unk>=3, then kept tokens in ``sorted()`` order.

File format (``save``/``load``): a JSON list of the tokens in id order, the four specials first —
the same file a user supplies to load an authors' checkpoint (which holds no vocabulary).
``load`` also accepts a JSON object ``{token: id}`` (the authors' ``token_to_idx``; tokens
mapped to <unk>'s id are dropped).

Two build modes (:func:`build_vocabulary`):

``"project"`` (default)
    tokens = the caption's words as written: the spaCy-rule tokenizer on the lowercased text,
    punctuation dropped (HumanML3D's word/POS field holds lemmas, so it only supplies POS tags).
    Counts over whatever is given.
``"authors"`` (the vocabulary of the authors' released checkpoints)
    tokens = spaCy English tokenisation of the lowercased caption *text* (``spacy.blank("en")``
    when spaCy is installed, else :class:`~m2t_interpret.data.tokenize.RuleTokenizer`); given a
    dataset root, counts run over the captions of all splits (train, val, test). The authors'
    spell correction is not reproduced (their HumanML3D run did not apply it).

In both modes tokens with count < ``min_freq`` (default 3, the authors' value) map to <unk>
and kept tokens get ids 4, 5, … in Python ``sorted()`` order.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from ..errors import M2TError
from ..io import read_json, write_text
from ..tokens import EOS, EOS_ID, PAD, PAD_ID, SOS, SOS_ID, UNK, UNK_ID  # noqa: F401 (re-exported)
from ..tokens import SPECIAL_TOKENS as SPECIALS
from .dataset import MotionDataset, read_captions
from .tokenize import tokenize

__all__ = ["PAD", "SOS", "EOS", "UNK", "SPECIALS", "Vocabulary", "build_vocabulary",
           "count_tokens", "caption_tokens"]


class Vocabulary:
    """Token ↔ id mapping with the four special tokens first."""

    pad_id = PAD_ID
    sos_id = SOS_ID
    eos_id = EOS_ID
    unk_id = UNK_ID

    def __init__(self, tokens: Sequence[str], mode: str = "project",
                 counts: Optional[dict[str, int]] = None) -> None:
        tokens = list(tokens)
        if tuple(tokens[:4]) != SPECIALS:
            tokens = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        seen: set[str] = set()
        for t in tokens:
            if not isinstance(t, str):
                raise M2TError(f"vocabulary tokens must be strings, got {t!r}")
            if t in seen:
                raise M2TError(f"duplicate token {t!r} in the vocabulary")
            seen.add(t)
        self.tokens: list[str] = tokens
        self.token_to_id: dict[str, int] = {t: i for i, t in enumerate(tokens)}
        self.mode = mode
        self.counts: dict[str, int] = dict(counts or {})

    # -- basics ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.tokens == other.tokens

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, mode={self.mode!r})"

    def id(self, token: str) -> int:
        """Id of ``token`` (tried as given, then lowercased); <unk> when absent."""
        return self.token_to_id.get(token, self.token_to_id.get(token.lower(), UNK_ID))

    def token(self, idx: int) -> str:
        return self.tokens[int(idx)]

    # -- encode / decode ------------------------------------------------------------------------

    def tokenize(self, caption: str) -> list[str]:
        """Tokens of a caption string as this vocabulary's mode expects them (lowercased)."""
        toks = tokenize(caption)
        if self.mode != "authors":
            toks = [t for t in toks if not t.isspace()]
        return toks

    def encode(self, caption: Union[str, Sequence[str]], add_special: bool = True) -> list[int]:
        """Caption (string or token list) → ids ``[<sos>, w1, …, wn, <eos>]``; unknown → <unk>."""
        toks = self.tokenize(caption) if isinstance(caption, str) else \
            [str(t).lower() for t in caption]
        ids = [self.token_to_id.get(t, UNK_ID) for t in toks]
        return [SOS_ID] + ids + [EOS_ID] if add_special else ids

    def decode(self, ids: Iterable[int], keep_unk: bool = False) -> list[str]:
        """Ids → words, stopping at the first <eos>; <pad>/<sos> (and <unk> unless
        ``keep_unk``) are stripped. Accepts lists, numpy arrays and 1-D tensors."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()  # type: ignore[union-attr]
        out: list[str] = []
        for i in ids:
            i = int(i)
            if i == EOS_ID:
                break
            if i in (PAD_ID, SOS_ID) or (i == UNK_ID and not keep_unk):
                continue
            if not 0 <= i < len(self.tokens):
                raise M2TError(f"token id {i} is outside the vocabulary (size {len(self)})")
            out.append(self.tokens[i])
        return out

    def decode_text(self, ids: Iterable[int], keep_unk: bool = False) -> str:
        return " ".join(self.decode(ids, keep_unk=keep_unk))

    # -- files ----------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(self.tokens, ensure_ascii=False, indent=0)

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Write the JSON list of tokens in id order (atomically)."""
        return write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: Union[str, os.PathLike], mode: str = "project") -> "Vocabulary":
        return cls.from_data(read_json(path, "vocabulary"), mode=mode, source=str(path))

    @classmethod
    def from_data(cls, data: object, mode: str = "project", source: str = "vocabulary") \
            -> "Vocabulary":
        if isinstance(data, dict) and "tokens" in data and isinstance(data["tokens"], list):
            data = data["tokens"]
        if isinstance(data, dict):  # token -> id (authors' token_to_idx)
            try:
                pairs = sorted(((int(v), str(k)) for k, v in data.items()
                                if not (int(v) == UNK_ID and k != UNK)))
            except (TypeError, ValueError):
                raise M2TError(f"{source}: a token→id mapping needs integer ids") from None
            ids = [i for i, _ in pairs]
            if ids != list(range(len(ids))):
                raise M2TError(f"{source}: token ids are not 0..{len(ids) - 1} without gaps")
            data = [t for _, t in pairs]
        if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
            raise M2TError(f"{source}: expected a JSON list of tokens in id order")
        if tuple(data[:4]) != SPECIALS:
            raise M2TError(f"{source}: the first four tokens must be {list(SPECIALS)}, got "
                           f"{data[:4]}")
        return cls(data, mode=mode)


# ------------------------------------------------------------------------------------------------
# building
# ------------------------------------------------------------------------------------------------


def _is_punct(token: str) -> bool:
    return not any(ch.isalnum() for ch in token)


def surface_tokens(text: str, tags: Optional[Sequence[Optional[str]]] = None) \
        -> tuple[list[str], list[Optional[str]]]:
    """Project tokens of a caption text and their POS tags.

    Words as written (lowercased, spaCy English rules), whitespace and punctuation-only tokens
    dropped. HumanML3D's word/POS field holds spaCy *lemmas* ("kick" for "kicks"), so words come
    from the text; the field's tags are used when it has one token per text token.
    """
    toks = [t for t in tokenize(text) if not t.isspace()]
    pos: list[Optional[str]] = list(tags) if tags is not None and len(tags) == len(toks) else [None] * len(toks)
    kept = [(t, p) for t, p in zip(toks, pos) if not _is_punct(t)]
    return [t for t, _ in kept], [p for _, p in kept]


def caption_tokens(item: object, mode: str = "project") -> list[str]:
    """Tokens of one caption-like item (str, Caption, TextLine or token list) for ``mode``.

    ``"authors"``: the spaCy tokens of the text, punctuation included. ``"project"``: the
    words as written (:func:`surface_tokens`); a token list is taken as given (lowercased).
    """
    if isinstance(item, (list, tuple)):
        return [str(t).lower() for t in item]
    text = item if isinstance(item, str) else getattr(item, "text", None)
    if text is None:
        text = getattr(item, "caption", None)
    if mode == "authors":
        if text is None:
            raise M2TError(f"authors mode needs caption text, got {type(item).__name__}")
        return tokenize(text)
    if text:
        return surface_tokens(text)[0]
    tokens = getattr(item, "tokens", None)
    if tokens:
        return [str(t).lower() for t in tokens]
    raise M2TError(f"cannot take tokens from {type(item).__name__}")


def _iter_items(source: object, mode: str) -> Iterable[object]:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        # a dataset root: all splits' caption lines (authors counted over all splits)
        root = Path(source)
        splits = [s for s in ("train", "val", "test") if (root / f"{s}.txt").is_file()]
        if not splits:
            raise M2TError(f"{root} has no train/val/test split files")
        return read_captions(root, splits)
    if isinstance(source, MotionDataset):
        return list(source.captions())
    if isinstance(source, str):
        return [source]
    items: list[object] = []
    for x in source:  # type: ignore[union-attr]
        if isinstance(x, MotionDataset):
            items.extend(x.captions())
        else:
            items.append(x)
    return items


def count_tokens(source: object, mode: str = "project") -> Counter:
    """Token counts over captions, datasets or a dataset root (see :func:`build_vocabulary`)."""
    if mode not in ("project", "authors"):
        raise M2TError(f"unknown vocabulary mode {mode!r}; use project or authors")
    counts: Counter = Counter()
    for item in _iter_items(source, mode):
        counts.update(caption_tokens(item, mode))
    return counts


def build_vocabulary(captions_or_dataset: object, min_freq: int = 3, mode: str = "project") \
        -> Vocabulary:
    """Build a vocabulary.

    ``captions_or_dataset``: a dataset root folder (all of train/val/test are read), a
    :class:`~m2t_interpret.data.dataset.MotionDataset`, a list of datasets (counts over all of
    them), or an iterable of captions (strings, :class:`Caption`/``TextLine`` objects or token
    lists). Tokens counted fewer than ``min_freq`` times map to <unk>; kept tokens get ids
    4, 5, … in ``sorted()`` order. Special-token strings occurring in captions are not added.
    """
    if min_freq < 1:
        raise M2TError(f"min_freq must be ≥ 1, got {min_freq}")
    counts = count_tokens(captions_or_dataset, mode)
    kept = sorted(t for t, c in counts.items() if c >= min_freq and t not in SPECIALS)
    return Vocabulary(list(SPECIALS) + kept, mode=mode, counts=dict(counts))
