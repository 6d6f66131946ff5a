"""Capture: decode motions under the model's hook points and keep, per token, where (α over
parts), when (γ, Γ, μ, σ over frames) and whether (β̂) the captioner looked at the motion.

- :class:`CaptureResult` — the result, as data (defined in :mod:`m2t_interpret.result`).
- :func:`hooks` / :func:`attention_hooks` — record or replace named tensors during any forward.
- :func:`capture_split` — capture a whole dataset split in chunks, with progress, merged into
  one result; :func:`cached_capture` adds an on-disk cache keyed by model, data, split and decoding.
"""

from __future__ import annotations

from ..result import CaptureResult, peak_parts, time_weighted_parts
from .dataset import CaptureRequest, cached_capture, capture_cache_dir, capture_split, data_fingerprint

_FROM_HOOKS = ("ATTENTION_POINTS", "HOOK_POINTS", "HookRecorder", "hooks")


def __getattr__(name: str):
    # The hook machinery needs torch; importing it lazily keeps a cached analysis torch-free.
    if name in _FROM_HOOKS:
        # lazy: the hook points need torch; the capture package's result types do not
        from ..model import hooks as _hooks

        return getattr(_hooks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def attention_hooks(model):
    """Record α, γ, μ, σ, Γ and β̂ of every forward call inside the block (see :func:`hooks`)."""
    # lazy: the hook points need torch; the capture package's result types do not
    from ..model.hooks import ATTENTION_POINTS, hooks

    return hooks(model, record=ATTENTION_POINTS)


__all__ = ["CaptureResult", "CaptureRequest", "HookRecorder", "HOOK_POINTS", "ATTENTION_POINTS", "hooks",
           "attention_hooks", "capture_split", "cached_capture", "capture_cache_dir", "data_fingerprint",
           "time_weighted_parts", "peak_parts"]
