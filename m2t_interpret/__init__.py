"""m2t-interpret: interpretable motion captioning with the guided-attention captioner."""

from ._version import __version__
from .errors import M2TError


def __getattr__(name: str):
    # CaptureResult needs pandas: imported when first asked for, so that `m2t-interpret --help` (and any
    # light import of the package) does not pay for it
    if name == "CaptureResult":
        # lazy: the result module loads pandas, which `m2t-interpret --help` must not
        from .result import CaptureResult

        return CaptureResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_model(source=None, vocab=None, stats=None):
    """Load a captioner from a project checkpoint, an authors' checkpoint or a shipped name
    (default: ``synthetic-guided``).

    See :func:`m2t_interpret.model.checkpoints.load_model`.
    """
    # lazy: loading a model needs torch, which `import m2t_interpret` must not
    from .model.checkpoints import load_model as _load

    return _load(source, vocab=vocab, stats=stats)


__all__ = ["CaptureResult", "M2TError", "load_model", "__version__"]
