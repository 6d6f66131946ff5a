"""Attribution: which body parts and frames each forced-decoded word actually depends on, checked
against the model's own attention.

- :mod:`~m2t_interpret.attribution.table` — the table of methods (:data:`METHODS`, :class:`Method`,
  :func:`register_method`), from which ``--method``, its help (:func:`method_help`) and the docs'
  list (:func:`methods_markdown`) are built.
- :mod:`~m2t_interpret.attribution.result` — :class:`AttributionResult`, plain data (no torch).
- :mod:`~m2t_interpret.attribution.run` — :func:`attribute_caption` (one caption, one method) and
  :func:`attribute_capture` (every word of a forced capture, several methods).
- :mod:`~m2t_interpret.attribution.split` — :func:`attribute_split`: a split's attribution through
  the cache, in shards (``shard="i/n"``) that an unsharded call merges.
- :mod:`~m2t_interpret.attribution.forward`, :mod:`~m2t_interpret.attribution.builtin`,
  :mod:`~m2t_interpret.attribution.groups` — the forward function, the built-in methods' functions
  and the body-part groups of the input features.

The table needs nothing beyond the standard library; the rest is imported on first use.
"""

from __future__ import annotations

import importlib

from .table import (ATTENTION, BASELINES, METHODS, RESOLUTION, RESOLUTIONS, TARGETS, Method, check_baseline,
                    check_method, check_target, get_method, method_help, method_names, methods_markdown,
                    register_method, resolution)

#: Names this package exports from its numpy, pandas and torch modules, by module (imported when first
#: asked for, so that the table — and the command line's --help built from it — loads none of them).
_LAZY = {
    "groups": ("feature_groups", "joint_groups_from_mapping", "part_joint_groups", "read_feature_mask"),
    "result": ("FRAME_COLUMNS", "PART_COLUMNS", "AttributionResult", "is_attribution_dir"),
    "forward": ("CaptionBatch", "WordScore", "caption_rows", "make_baseline", "GRAD_ROWS"),
    "run": ("attribute_caption", "attribute_capture", "attention_map", "capture_inputs", "dense_to_map"),
    "split": ("attribute_split", "attribution_key", "attribution_cache_dir", "merge_attribution_shards", "shard_clips"),
}


def __getattr__(name: str):
    for module, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ATTENTION", "BASELINES", "METHODS", "RESOLUTION", "RESOLUTIONS", "TARGETS", "Method", "check_baseline",
           "check_method", "check_target", "get_method", "method_help", "method_names", "methods_markdown",
           "register_method", "resolution", *(n for names in _LAZY.values() for n in names)]
