"""Deprecated: the supervision lexicon is the package :mod:`m2t_interpret.data.lexicon` (one
module per job: file format, word rules, clause rules and targets, tables) and ``stem`` is in
:mod:`m2t_interpret.data.stemming`. This module re-exports their public names."""

import warnings

from .lexicon import *  # noqa: F401,F403 -- the old import path keeps working
from .lexicon import __all__  # noqa: F401

warnings.warn("m2t_interpret.data.supervision is deprecated: import from m2t_interpret.data.lexicon "
              "(and stem from m2t_interpret.data.stemming)", DeprecationWarning, stacklevel=2)
