"""Deprecated: the supervision lexicon is the package :mod:`m2t_interpret.data.lexicon` (one
module per job: file format, word rules, clause rules and targets, tables) and ``stem`` is in
:mod:`m2t_interpret.data.stemming`. This module re-exports their public names."""

import sys
import warnings

from .lexicon import *  # noqa: F401,F403 -- the old import path keeps working
from .lexicon import __all__  # noqa: F401


def _importer_package() -> str:
    """The package of the module importing this one (import machinery frames skipped)."""
    frame = sys._getframe(2)  # 0: this function, 1: this module's body
    while frame is not None and frame.f_code.co_filename.startswith(("<frozen importlib", "<frozen zipimport")):
        frame = frame.f_back
    return str(frame.f_globals.get("__package__") or "") if frame is not None else ""


# Callers outside the package are told; the package's own modules import data.lexicon
# (tests/test_structure.py keeps it so).
if _importer_package().split(".")[0] != "m2t_interpret":
    warnings.warn("m2t_interpret.data.supervision is deprecated: import from m2t_interpret.data.lexicon "
                  "(and stem from m2t_interpret.data.stemming)", DeprecationWarning, stacklevel=2)
