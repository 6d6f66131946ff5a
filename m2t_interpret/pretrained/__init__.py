"""The shipped captioners: one checkpoint ``<name>.pt`` (with its model card ``<name>.md``) per model
in this folder. This registry is what every lookup by name reads — ``load_model("synthetic-guided")``,
``compare``'s default models, the ``--model`` help — and imports nothing heavy (no torch), so the
command line can list the models without loading any."""

from __future__ import annotations

from pathlib import Path

#: The folder of the shipped checkpoints.
PRETRAINED_DIR = Path(__file__).resolve().parent
#: The model used when none is named.
DEFAULT_MODEL = "synthetic-guided"


def shipped_models() -> list[str]:
    """Names of the pretrained captioners shipped in the package, sorted."""
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt"))


__all__ = ["PRETRAINED_DIR", "DEFAULT_MODEL", "shipped_models"]
