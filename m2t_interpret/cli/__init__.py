"""Command-line interface: a thin layer over library functions that notebooks call the same way.

Every command turns :class:`~m2t_interpret.errors.M2TError` (bad input) into one line on stderr
and exit code 2, with no traceback (:func:`main`).

The commands live in one module per family, each registering on the one ``app``
(:mod:`.common`): :mod:`.caption` (caption, convert), :mod:`.data` (synth, data, lexicon, cache),
:mod:`.training` (train, evaluate, sweep), :mod:`.analysis` (capture, merge and the analyses of
one model), :mod:`.compare` (compare, figures), :mod:`.attribution` (attribute, faithfulness,
sanity) and :mod:`.views` (animate, explore). The analysis options are declared once, in
:class:`.options.AnalysisOptions`.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Optional

import typer

# The command modules register their commands on `app` as they are imported: this order is the order of
# the command list in `m2t-interpret --help`.
from . import caption, motion_import, data, training, analysis, compare, attribution, views  # noqa: F401  # isort: skip
from ..errors import M2TError, M2TWarning
from ..io import os_error_text
from .common import RUNNING, app, interrupted_line, warn

# The names tests read (the command running, and the line Ctrl-C prints).
_RUNNING = RUNNING
_interrupted_line = interrupted_line

__all__ = ["app", "main"]


def _usage_error_line(exc) -> str:
    """A click usage error as one line: the problem and where to read the help."""
    ctx = getattr(exc, "ctx", None)
    where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
    message = " ".join(str(exc.format_message()).split()).rstrip(".")
    return f"error: {message}{where}"


@contextlib.contextmanager
def _warnings_as_lines():
    """The toolkit's own warnings (:class:`~m2t_interpret.errors.M2TWarning`) as one ``warning: …``
    line each on stderr, every time they are issued; other warnings as Python shows them."""
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, M2TWarning):
                warn(" ".join(str(message).split()))
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.simplefilter("always", M2TWarning)
        warnings.showwarning = show
        yield


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of the ``m2t-interpret`` console script.

    Exit codes: 0 success; 2 bad input, a refused destination or an environment problem (one line
    on stderr, no traceback); 130 interrupted (Ctrl-C). Any other exception is a bug and keeps its
    traceback."""
    RUNNING.clear()
    try:
        with _warnings_as_lines():
            rc = app(args=argv, prog_name="m2t-interpret", standalone_mode=False)
    except M2TError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo(interrupted_line(), err=True)
        return 130
    except OSError as exc:
        # last resort for the environment (permission denied, disk full, a folder where a file is
        # expected …): commands check their inputs and outputs first, so this names what failed
        typer.echo(f"error: {os_error_text(exc)}", err=True)
        return 2
    except Exception as exc:
        # typer's bundled click: usage errors carry format_message() and an exit code
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(_usage_error_line(exc), err=True)
            return 2
        raise
    return int(rc or 0)
