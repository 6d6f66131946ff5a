"""Training configuration: one dataclass, TOML presets for the paper's settings, file loading."""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import M2TError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PRESET_DIR = Path(__file__).resolve().parent / "presets"


@dataclass
class TrainConfig:
    """Everything a training run depends on (the run directory records it as config.toml)."""

    data: str = "synthetic"  # "synthetic" or a dataset folder in the HumanML3D layout
    synthetic_seed: int = 0  # corpus seed when data = "synthetic"
    hidden: int = 128
    embed_dim: int = 64
    attn_dim: int = 128
    dropout: float = 0.5
    lambdas: tuple[float, float] = (2.0, 3.0)  # (λ_spat, λ_adapt)
    lr: float = 5e-4
    lr_schedule: str = "constant"  # "constant", or "cosine": lr·½(1 + cos(π·epoch/epochs)) down to lr_min
    lr_min: float = 0.0
    weight_decay: float = 0.01
    batch_size: int = 64
    grad_clip: float = 1.0
    teacher_forcing: float = 0.5  # probability, per step for the whole batch, of feeding the gold token
    min_freq: int = 3
    epochs: int = 12
    seed: int = 0
    captions_per_motion: int = 0  # per epoch: 0 = every (motion, caption) pair; k = k drawn per motion
    max_caption_tokens: int = 40  # longer captions are cut (then end without <eos>)
    max_decode_steps: int = 40
    val_max_samples: int | None = None  # validate on at most this many samples (None = all)
    threads: int | None = None  # torch threads (None = torch default)
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", …
    stats_from: str = "train"  # "train" (cleaner) or "all" (the authors' choice)
    lexicon: str = "authors"  # supervision word rules: "authors", "project" or a lexicon JSON path
    lambda_order: float = 0.0  # text-only temporal guidance: clause order read from the caption (L_order)
    order_margin: float = 0.05  # L_order: least gap between the centres of consecutive clauses, fraction of the clip
    lambda_segment: float = 0.0  # segment supervision of the temporal window (L_segment); needs segments
    segments: str | None = None  # segment table (CSV path, or "auto": the dataset folder's segments.csv)
    time_basis: int = 0  # cosines of each frame's place in its clip added to the temporal keys (0 = the paper's model)
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_types(self)
        self.lambdas = tuple(float(v) for v in self.lambdas)  # type: ignore[assignment]
        if len(self.lambdas) != 2:
            raise M2TError("lambdas needs two values: λ_spat λ_adapt")
        if not all(math.isfinite(v) and v >= 0 for v in self.lambdas):
            raise M2TError(f"λ values must be finite numbers ≥ 0, got {' '.join(f'{v:g}' for v in self.lambdas)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise M2TError("epochs and batch_size must be ≥ 1")
        for name in ("hidden", "embed_dim", "attn_dim", "min_freq", "max_decode_steps"):
            if getattr(self, name) < 1:
                raise M2TError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if self.max_caption_tokens < 2:
            raise M2TError(f"max_caption_tokens must be ≥ 2, got {self.max_caption_tokens}")
        for name in ("seed", "synthetic_seed", "captions_per_motion", "time_basis"):
            if getattr(self, name) < 0:
                raise M2TError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        for name, value in (("threads", self.threads), ("val_max_samples", self.val_max_samples)):
            if value is not None and value < 1:
                raise M2TError(f"{name} must be ≥ 1 (or left unset), got {value}")
        for name in ("lr", "grad_clip"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise M2TError(f"{name} must be a finite number > 0, got {getattr(self, name)}")
        for name in ("lr_min", "weight_decay"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise M2TError(f"{name} must be a finite number ≥ 0, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise M2TError(f"dropout must lie in [0, 1), got {self.dropout}")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise M2TError("teacher_forcing must lie in [0, 1]")
        if self.hidden % 2:
            raise M2TError("hidden must be even")
        if self.lr_schedule not in ("constant", "cosine"):
            raise M2TError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if self.stats_from not in ("train", "all"):
            raise M2TError("stats_from must be 'train' or 'all'")
        for name in ("lambda_order", "lambda_segment", "order_margin"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise M2TError(f"{name} must be a finite number ≥ 0, got {getattr(self, name)}")
        if self.lambda_segment > 0 and not self.segments:
            raise M2TError("lambda_segment > 0 needs a segment table: --segments FILE (or auto)")
        if self.segments and self.lambda_segment == 0:
            raise M2TError("a segment table is read only for the segment loss: set --lambda-segment above 0")
        if not isinstance(self.lexicon, (str, os.PathLike)) or not str(self.lexicon).strip():
            raise M2TError("lexicon must be 'authors', 'project' or the path of a lexicon JSON file")
        self.lexicon = str(self.lexicon)

    @property
    def temporal_lambdas(self) -> tuple[float, float]:
        """(λ_order, λ_segment)."""
        return (self.lambda_order, self.lambda_segment)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["lambdas"] = list(self.lambdas)
        return d

    def to_toml(self) -> str:
        lines = []
        for k, v in self.to_dict().items():
            if v is None or (isinstance(v, dict) and not v):
                continue
            if isinstance(v, dict):
                continue
            lines.append(f"{k} = {_toml_value(v)}")
        return "\n".join(lines) + "\n"


def _type_name(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "str": "a string", "dict": "a table"}.get(kind, kind)


def _check_types(config: TrainConfig) -> None:
    """Every field has the type its annotation names (TOML and keyword overrides are not checked by
    Python): ``epochs = "three"`` is an error naming the key, not a TypeError deep in training."""
    hints = {f.name: str(f.type) for f in dataclasses.fields(config)}
    for name, hint in hints.items():
        value = getattr(config, name)
        optional = "None" in hint
        if value is None and optional:
            continue
        kind = hint.replace(" | None", "").replace("Optional[", "").rstrip("]")
        if kind.startswith("tuple"):
            ok = (isinstance(value, (list, tuple)) and len(value) == 2
                  and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
            if not ok:
                raise M2TError(f"config value {name} must be two numbers [λ_spat, λ_adapt], got {value!r}")
            continue
        if kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if ok:
                setattr(config, name, float(value))
        elif kind == "str":
            ok = isinstance(value, str) or (name == "lexicon" and isinstance(value, os.PathLike))
        elif kind.startswith("dict"):
            ok = isinstance(value, dict)
        else:  # pragma: no cover - a new field type needs a rule here
            ok = True
        if not ok:
            raise M2TError(f"config value {name} must be {_type_name(kind.split('[')[0])}"
                           f"{' or unset' if optional else ''}, got {value!r} ({type(value).__name__})")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise M2TError(f"config file {path} is not valid TOML: {exc}") from exc


def load_config(source: str | os.PathLike | None = None, **overrides: Any) -> TrainConfig:
    """A preset name (``humanml3d``, ``kit``, ``synthetic``) or a TOML file, then overrides.

    A file may name a base preset with ``preset = "kit"``; its own keys win over the preset's.
    """
    values: dict[str, Any] = {}
    if source is not None:
        path = Path(source)
        if path.suffix.lower() in (".toml",) or path.exists():
            if not path.exists():
                raise M2TError(f"config file not found: {path}")
            values = _read_toml(path)
            base = values.pop("preset", None)
            if base is not None:
                values = {**load_config(base).to_dict(), **values}
        elif str(source) in presets():
            values = _read_toml(PRESET_DIR / f"{source}.toml")
            values.setdefault("name", str(source))
        else:
            raise M2TError(f"no config file or preset named {source!r}; presets: {', '.join(presets())}")
    file_values = dict(values)
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise M2TError(f"unknown config keys: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    try:
        return TrainConfig(**values)
    except M2TError as exc:
        if source is not None and Path(source).suffix.lower() == ".toml" and any(
                str(exc).startswith(f"config value {k} ") for k in file_values):
            raise M2TError(f"{source}: {exc}") from None
        raise


def config_from_mapping(values: Mapping[str, Any]) -> TrainConfig:
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in values.items() if k in known})
