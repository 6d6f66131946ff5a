"""Parse HumanML3D caption lines: ``caption#word/POS word/POS …#start#end``.

The parser never raises on arbitrary text: :func:`parse_text_line` returns either a
:class:`TextLine` or a :class:`LineError` (line number + reason). Lenient choices, all
documented here and matching what HumanML3D's own loader does where it has an opinion:

* The line is split from the **right**: the last two ``#`` fields are start and end, the one
  before them is the tag field, and everything before that is the caption (a caption that
  itself contains ``#`` is kept whole instead of shifting the fields).
* ``nan`` start/end (any case) count as 0.0, as in HumanML3D's loader; ``0#0`` means the whole
  clip. Negative, infinite or non-numeric times, and ``end < start`` with ``end > 0``, are
  malformed; so is ``start > 0`` with ``end == 0``.
* An empty tag field is allowed: the caption then has no tokens/POS (callers tokenise the
  caption text instead). A tag item without ``/`` keeps the word with an unknown (``None``)
  POS; ``word/`` keeps the word with ``None`` POS; items are split on the **last** ``/`` so
  ``1/2/NUM`` is the word ``1/2``.
* Blank lines are not captions and not errors (:func:`parse_text_file` skips them).
* Tokens are lowercased; POS tags are upper-cased (HumanML3D uses Universal POS tags: VERB,
  ADV, NOUN, DET, ADP, AUX, …).

Note that HumanML3D's tag field holds spaCy *lemmas* for nouns and verbs ("kicks" → "kick"),
with punctuation removed, so ``tokens`` are not always the surface words of ``caption``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Union

__all__ = [
    "TextLine",
    "LineError",
    "ParsedTextFile",
    "parse_text_line",
    "parse_text_lines",
    "parse_text_file",
    "format_text_line",
]


@dataclass(frozen=True)
class TextLine:
    """One parsed caption line."""

    caption: str
    tokens: tuple[str, ...]
    pos: tuple[Optional[str], ...]
    start: float
    end: float
    line_no: int = 0  # 1-based line number in its file (0 when unknown)

    @property
    def is_whole_clip(self) -> bool:
        return self.start == 0.0 and self.end == 0.0

    @property
    def has_tags(self) -> bool:
        return len(self.tokens) > 0


@dataclass(frozen=True)
class LineError:
    """A malformed line: where and why."""

    line_no: int
    reason: str
    line: str = ""

    def __str__(self) -> str:
        return f"line {self.line_no}: {self.reason}"


@dataclass
class ParsedTextFile:
    """All lines of one ``texts/<id>.txt`` file."""

    lines: list[TextLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def _parse_time(text: str) -> tuple[Optional[float], Optional[str]]:
    t = text.strip()
    if t == "":
        return None, "empty time field"
    try:
        value = float(t)
    except ValueError:
        return None, f"time {t[:20]!r} is not a number"
    if math.isnan(value):
        return 0.0, None
    if math.isinf(value):
        return None, f"time {t[:20]!r} is infinite"
    if value < 0:
        return None, f"time {t[:20]!r} is negative"
    return value, None


def parse_text_line(line: object, line_no: int = 0) -> Union[TextLine, LineError]:
    """Parse one line; never raises. Returns :class:`TextLine` or :class:`LineError`."""
    try:
        return _parse(line, line_no)
    except Exception as exc:  # pragma: no cover - defensive: the parser must never crash
        return LineError(line_no, f"unparseable line ({type(exc).__name__})", str(line)[:200])


def _parse(line: object, line_no: int) -> Union[TextLine, LineError]:
    if not isinstance(line, str):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return LineError(line_no, f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at column "
                                          f"{exc.start + 1}); re-save the file as UTF-8",
                                 line.decode("utf-8", errors="replace")[:200])
        else:
            return LineError(line_no, f"not a string ({type(line).__name__})")
    raw = line.strip()
    short = raw[:200]
    if not raw:
        return LineError(line_no, "empty line", short)
    fields = raw.rsplit("#", 3)
    if len(fields) < 4:
        return LineError(
            line_no, f"expected 4 '#'-separated fields (caption#tags#start#end), got {len(fields)}",
            short,
        )
    caption, tags, start_s, end_s = fields
    caption = " ".join(caption.split())
    if not caption:
        return LineError(line_no, "empty caption", short)
    start, err = _parse_time(start_s)
    if err:
        return LineError(line_no, f"bad start: {err}", short)
    end, err = _parse_time(end_s)
    if err:
        return LineError(line_no, f"bad end: {err}", short)
    assert start is not None and end is not None
    if not (start == 0.0 and end == 0.0) and end <= start:
        return LineError(line_no, f"end {end:g} s is not after start {start:g} s", short)
    tokens: list[str] = []
    pos: list[Optional[str]] = []
    for item in tags.split():
        word, sep, tag = item.rpartition("/")
        if not sep:
            word, tag = item, ""
        elif not word:  # "/" or "/X": no word before the slash, keep the item as the word
            word, tag = item, ""
        word = word.lower()
        tag = tag.strip().upper()
        tokens.append(word)
        pos.append(tag or None)
    return TextLine(caption, tuple(tokens), tuple(pos), float(start), float(end), line_no)


def parse_text_lines(lines: Iterable[str | bytes]) -> ParsedTextFile:
    """Parse lines (1-based numbering); blank lines are skipped silently."""
    out = ParsedTextFile()
    for i, line in enumerate(lines, start=1):
        if isinstance(line, str) and not line.strip():
            continue
        res = parse_text_line(line, i)
        if isinstance(res, LineError):
            out.errors.append(res)
        else:
            out.lines.append(res)
    return out


def parse_text_file(path: Union[str, os.PathLike]) -> ParsedTextFile:
    """Parse a caption file (UTF-8). A line that is not valid UTF-8 is a malformed line (its
    caption would otherwise enter the vocabulary with replacement characters).

    Raises ``OSError`` only when the file cannot be read at all.
    """
    lines: list[str | bytes] = []
    for raw in Path(path).read_bytes().splitlines():
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw)  # parse_text_line reports it with the offending byte
    return parse_text_lines(lines)


def format_text_line(caption: str, tokens: Iterable[str] = (), pos: Iterable[Optional[str]] = (),
                     start: float = 0.0, end: float = 0.0) -> str:
    """Write one line in the HumanML3D layout (inverse of :func:`parse_text_line`)."""
    tags = " ".join(f"{w}/{p or ''}" for w, p in zip(tokens, pos))
    return f"{caption}#{tags}#{float(start)}#{float(end)}"
