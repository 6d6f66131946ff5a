"""Porter stems of words: how the supervision lexicons, the analyses and the segment tables
match a word to its entries (``waves`` → ``wave``)."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _stemmer():
    # nltk is imported here, on the first stem, not with the module: loading it costs most of a
    # second, which an analysis read from the cache (stems stored with the capture) need not pay.
    from nltk.stem import PorterStemmer

    return PorterStemmer()


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """NLTK Porter stem of the lowercased word (the authors' stemmer, default mode)."""
    return _stemmer().stem(word.lower())


__all__ = ["stem"]
