"""The one exception type users see for bad input."""

from __future__ import annotations

from typing import Callable, Collection


class M2TError(ValueError):
    """Bad input or configuration, with a one-line message that says what to do.

    The CLI prints the message and exits with code 2; library callers can catch it.
    """


class M2TWarning(UserWarning):
    """Something the user must hear about that does not stop the work (the CLI prints it as one
    ``warning: …`` line on stderr)."""


class SkippedClipsWarning(M2TWarning):
    """A data loader skipped ids, sub-clips or caption lines of a split (missing, unreadable,
    malformed, or outside the length limits); the message counts them and names the first ones."""


class WriteError(M2TError):
    """A destination that cannot be written (no permission, read-only, full disk …); ``errno`` says
    why, so that a cache can fall back to running without it instead of stopping."""

    def __init__(self, message: str, errno: int | None = None):
        super().__init__(message)
        self.errno = errno


class CacheWarning(M2TWarning):
    """The cache could not be used as it stands (a damaged entry that is rebuilt, a full or
    read-only cache folder that is skipped); the work goes on."""


def check_choice(value: object, choices: Collection[str], what: str, use: str | None = None,
                 spelling: Callable[[str], str] = str.lower) -> str:
    """``value`` as one of ``choices``, read trimmed and in their ``spelling`` (lower case unless
    given), else M2TError "unknown <what> <value>; use <use>" (by default: one of the choices)."""
    v = spelling(str(value).strip())
    if v not in choices:
        raise M2TError(f"unknown {what} {value!r}; use {use or 'one of ' + ', '.join(choices)}")
    return v
