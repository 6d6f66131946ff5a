"""Deprecated: attribution moved to :mod:`m2t_interpret.attribution` (the table of methods in
:mod:`m2t_interpret.attribution.table`, the runs in :mod:`m2t_interpret.attribution.run`). This
module re-exports its old names and will be removed."""

from __future__ import annotations

import warnings

from ..attribution.forward import GRAD_ROWS, WordScore, caption_rows, make_baseline
from ..attribution.groups import feature_groups, joint_groups_from_mapping, part_joint_groups, read_feature_mask
from ..attribution.run import attention_map, attribute_capture, attribute_caption, capture_inputs, dense_to_map
from ..attribution.table import (BASELINES, RESOLUTION, TARGETS, check_baseline, check_method, check_target,
                                 method_names)
from ..attribution import table

warnings.warn("m2t_interpret.capture.attribution is deprecated; import from m2t_interpret.attribution",
              DeprecationWarning, stacklevel=2)

#: Method name → the captum class it runs, or what implements it (as this module's METHODS was).
METHODS: dict[str, str] = {n: (m.captum or m.implementation) for n, m in table.METHODS.items()}

__all__ = ["METHODS", "TARGETS", "BASELINES", "RESOLUTION", "GRAD_ROWS", "check_method", "check_target",
           "check_baseline", "method_names", "part_joint_groups", "joint_groups_from_mapping", "read_feature_mask",
           "feature_groups", "make_baseline", "WordScore", "caption_rows", "attribute_caption", "dense_to_map",
           "attention_map", "attribute_capture", "capture_inputs"]
