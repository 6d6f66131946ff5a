"""Deprecated: the attribution result moved to :mod:`m2t_interpret.attribution.result` (also
importable from :mod:`m2t_interpret.attribution`). This module re-exports its old names and will
be removed."""

from __future__ import annotations

import warnings

from ..attribution.result import (ATTRIBUTION_FORMAT, ATTRIBUTION_VERSION, FRAME_COLUMNS, PART_COLUMNS,
                                  AttributionResult, is_attribution_dir)
from ..attribution.table import ATTENTION

warnings.warn("m2t_interpret.capture.attribution_result is deprecated; import from m2t_interpret.attribution",
              DeprecationWarning, stacklevel=2)

__all__ = ["AttributionResult", "ATTENTION", "PART_COLUMNS", "FRAME_COLUMNS", "ATTRIBUTION_FORMAT",
           "ATTRIBUTION_VERSION", "is_attribution_dir"]
