"""The record of one catalogue action, and the table form of caption words' POS tags (their own
module so that action modules can build entries without importing the catalogue or the caption
builder that gather them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .primitives import Segment


@dataclass(frozen=True)
class ActionSpec:
    name: str
    # root, torso, right_arm, left_arm, right_leg, left_leg (checkpoint order)
    active: tuple[int, int, int, int, int, int]
    make: Callable[[np.random.Generator, int], Segment]
    description: str
    final_only: bool = False  # ends in a held posture: only as the last action of a clip
    first_only: bool = False  # starts from a posture of its own (lying): only as the first action
    mirror: str = ""  # name of the left/right mirrored action ("" = itself)


def pos_table(*runs: str) -> dict[str, str]:
    """Caption words' Universal POS tags from runs ``"TAG word word …"``: {word: TAG}, in the order
    given (a later run re-tags a word in place, as a dict literal would)."""
    return {word: tag for tag, *words in (run.split() for run in runs) for word in words}
