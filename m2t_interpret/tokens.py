"""The special tokens: the one definition every vocabulary, model and table uses.

Ids 0–3 are reserved in every vocabulary (the authors' convention): ``<pad>=0, <sos>=1,
<eos>=2, <unk>=3``; ordinary words start at id 4.
"""

from __future__ import annotations

PAD, SOS, EOS, UNK = "<pad>", "<sos>", "<eos>", "<unk>"
#: The special tokens in id order.
SPECIAL_TOKENS: tuple[str, ...] = (PAD, SOS, EOS, UNK)
PAD_ID, SOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SPECIAL_IDS: frozenset[int] = frozenset((PAD_ID, SOS_ID, EOS_ID, UNK_ID))


def is_special(token: str) -> bool:
    """True for ``<pad>``, ``<sos>``, ``<eos>`` and ``<unk>``."""
    return token in SPECIAL_TOKENS
