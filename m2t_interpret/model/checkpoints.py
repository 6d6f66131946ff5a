"""Checkpoint files: the project's own format and the authors' released format (a ``torch.save``d
dict whose ``model`` entry is the captioner's state_dict, plus training ``metadata``).

Project format: one ``torch.save``d dict of plain types and tensors, loadable with
``torch.load(..., weights_only=True)``, holding the weights (authors' parameter names) and
everything needed to use them: sizes, skeleton, fps, downsample factor, normalisation
statistics, vocabulary, λs, a training-data description and the package version — and, in
``metadata["motion_corpus"]``, the motion statistics of the training corpus
(:mod:`m2t_interpret.data.motion_range`; absent from checkpoints written before them, which then
warn about no clip).
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from .._version import __version__
from ..data.motion_range import METADATA_KEY, check_summary, model_summary
from ..errors import M2TError
from ..io import atomic_path, check_file_destination, read_json
from ..pretrained import DEFAULT_MODEL, PRETRAINED_DIR, shipped_models
from .captioner import Captioner, CaptionerConfig

FORMAT = "m2t-interpret-checkpoint"
FORMAT_VERSION = 1


def resolve_device(device: str | torch.device | None) -> torch.device:
    """A torch device, with a clear error when CUDA is asked for but not available."""
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise M2TError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise M2TError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    return dev


def save_checkpoint(
    model: Captioner,
    path: str | os.PathLike,
    lambdas: Sequence[float] | None = None,
    training: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model`` in the project format (atomically)."""
    meta = dict(model.metadata)
    if lambdas is not None:
        meta["lambdas"] = [float(v) for v in lambdas]
    if training is not None:
        meta["training"] = dict(training)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "config": model.config.to_dict(),
        "skeleton": model.skeleton.name,
        "fps": model.skeleton.fps,
        "downsample": model.config.downsample,
        "vocab": list(model.vocab) if model.vocab is not None else None,
        "stats": model.stats,
        "lambdas": meta.get("lambdas"),
        "training": meta.get("training"),
        "metadata": _plain(meta),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def save_authors_checkpoint(model: Captioner, path: str | os.PathLike) -> Path:
    """Write ``model`` in the authors' released layout (atomically): ``model`` (the state_dict),
    an empty ``optimizer``, ``epoch`` and training ``metadata`` — without vocabulary or statistics,
    as the authors' files come. Lets a pipeline built for their checkpoints (``convert``,
    ``load_model(path, vocab=…, stats=…)``) be exercised end to end with a model at hand."""
    if model.config.time_basis:
        raise M2TError("this model's temporal attention reads where each frame lies in its clip (time_basis "
                       f"{model.config.time_basis}), which the authors' layout cannot hold; save it with save_checkpoint")
    lambdas = model.metadata.get("lambdas")
    payload = {
        "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "optimizer": {},
        "epoch": 0,
        "metadata": {"lambdas": [float(v) for v in lambdas] if lambdas else [],
                     "rate_dropout": float(model.config.dropout)},
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def _plain(value):
    """Keep only types that ``weights_only`` loading accepts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _read_json(path_or_value, what: str):
    if isinstance(path_or_value, (str, os.PathLike)):
        return read_json(path_or_value, what)
    return path_or_value


def read_vocab(vocab) -> list[str] | None:
    """A vocabulary given as a list of tokens in id order, or the path of a JSON file holding one.

    Tokens must be strings and each may appear once (a duplicate would make two ids print the same
    word and the file ambiguous)."""
    if vocab is None:
        return None
    where = f" {vocab}" if isinstance(vocab, (str, os.PathLike)) else ""
    value = _read_json(vocab, "vocabulary")
    if isinstance(value, Mapping) and "tokens" in value:
        value = value["tokens"]
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
        raise M2TError(f"the vocabulary{where} must be a JSON list of tokens in id order, "
                       "e.g. [\"<pad>\", \"<sos>\", …]")

    dup = [t for t, n in Counter(value).items() if n > 1]
    if dup:
        shown = ", ".join(repr(t) for t in dup[:5]) + (", …" if len(dup) > 5 else "")
        raise M2TError(f"the vocabulary{where} lists {len(dup)} token(s) more than once ({shown}); "
                       "each token must appear once, in id order")
    return list(value)


def read_stats(stats):
    """Normalisation statistics as a dict or the path of a JSON file holding one."""
    return None if stats is None else _read_json(stats, "statistics")


def config_from_authors_state(state: Mapping[str, torch.Tensor]) -> CaptionerConfig:
    """Infer sizes and skeleton from an authors' state_dict: V and E from the word embedding, H from the
    top LSTM, D from the attention projection, the skeleton from the torso layer's input width."""
    try:
        vocab_size, embed_dim = state["dec.embedding.weight"].shape
        hidden = state["dec.top_lstm.weight_hh_l0"].shape[1]
        attn_dim = state["feat_extract_x.weight"].shape[0]
        torso_inputs = state["enc_pose.six_layers.1.weight"].shape[1]
    except KeyError as exc:
        raise M2TError(f"not an authors' captioner state_dict: missing {exc.args[0]!r}") from exc
    skeleton = {18: "humanml3d", 12: "kit"}.get(int(torso_inputs))
    if skeleton is None:
        raise M2TError(
            f"cannot tell the skeleton: torso layer takes {torso_inputs} inputs (18 → HumanML3D, 12 → KIT)"
        )
    return CaptionerConfig(vocab_size=int(vocab_size), embed_dim=int(embed_dim), hidden=int(hidden),
                           attn_dim=int(attn_dim), skeleton=skeleton)


def load_checkpoint_file(path: Path, what: str = "checkpoint") -> Any:
    """``torch.load`` with ``weights_only=True``: tensors and plain data only, never code from the file."""

    if path.is_dir():
        raise M2TError(f"{what} {path} is a folder, not a checkpoint file")
    if not path.exists():
        raise M2TError(f"{what} not found: {path}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise M2TError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not head:
        raise M2TError(f"{what} {path} is empty (0 bytes); copy it again")

    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols are not the user's concern
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # the weights-only unpickler refused something
        if head[:1] != b"\x80" and head != b"PK\x03\x04":  # neither a pickle nor a zip archive
            raise M2TError(f"{path} is not a PyTorch {what} (neither a torch.save zip archive nor a pickle of "
                           "tensors)") from None
        detail = _unpickler_detail(str(exc))
        raise M2TError(f"{path} is not a {what} this tool can read safely: it holds something other than "
                       f"tensors and plain data{f' ({detail})' if detail else ''}; nothing from it was run") from None
    except Exception as exc:  # zip and storage errors differ across torch versions
        if head == b"PK\x03\x04":
            first = (str(exc).strip().splitlines() or [""])[0].split(". ")[0][:160]
            detail = first if first and not first.startswith("[Errno") else "an incomplete zip archive"
            raise M2TError(f"{what} {path} is truncated or damaged ({detail}); copy it again") from None
        raise M2TError(f"{path} is not a PyTorch {what} (neither a torch.save zip archive nor a pickle of "
                       "tensors)") from None


def _unpickler_detail(text: str) -> str:
    """The one informative line of torch's weights-only refusal, without its advice to turn safety off."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Trying to load unsupported GLOBAL"):
            return line.replace("Trying to load unsupported GLOBAL", "refers to").split(" whose module")[0]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if "WeightsUnpickler error" in line:
            rest = line.split("WeightsUnpickler error:", 1)[1].strip() or (lines[i + 1] if i + 1 < len(lines) else "")
            return rest[:120]
    return ""


def _load_weights(model: Captioner, state: Mapping[str, torch.Tensor], where: str) -> None:
    try:
        model.load_state_dict(dict(state), strict=True)
    except RuntimeError as exc:
        first = [ln.strip() for ln in str(exc).splitlines() if ln.strip()][1:2]
        raise M2TError(f"weights in {where} do not fit the captioner: {' '.join(first)[:300]}") from exc


def from_authors_checkpoint(ckpt: Mapping[str, Any], vocab=None, stats=None, where: str = "checkpoint") -> Captioner:
    """Build a captioner from an authors' checkpoint dict (``model`` + ``metadata`` …)."""
    state = ckpt["model"] if "model" in ckpt else ckpt
    config = config_from_authors_state(state)
    vocab_list = read_vocab(vocab)
    if vocab_list is None:
        raise M2TError(
            "an authors' checkpoint holds no vocabulary; pass vocab=[tokens in id order] or "
            "--vocab VOCAB.json (rebuild it with the authors-compatible vocabulary mode)"
        )
    meta = ckpt.get("metadata") if isinstance(ckpt.get("metadata"), Mapping) else {}
    metadata = {
        "source": "authors' checkpoint",
        "authors_metadata": _plain(meta),
        "lambdas": list(meta.get("lambdas", [])) or None,
        "training": {"data": "authors' release (dataset not recorded in the checkpoint)",
                     "epoch": _plain(ckpt.get("epoch"))},
    }
    if "dropout" not in meta and "rate_dropout" in meta:
        config.dropout = float(meta["rate_dropout"])
    model = Captioner(config, vocab=vocab_list, stats=read_stats(stats), metadata=metadata)
    _load_weights(model, state, where)
    model.eval()
    return model


def from_project_checkpoint(ckpt: Mapping[str, Any], vocab=None, stats=None, where: str = "checkpoint") -> Captioner:
    """A captioner from a project checkpoint dict. The checkpoint's own vocabulary and statistics are
    used; ``vocab`` / ``stats`` may only fill in what it lacks (an override would silently change
    its captions), so giving them for a checkpoint that has them is an error."""
    from_project_checkpoint_overrides(ckpt, vocab, stats, where)
    try:
        config = CaptionerConfig(**ckpt["config"])
        state = ckpt["state_dict"]
    except (KeyError, TypeError) as exc:
        raise M2TError(f"{where} is a damaged m2t-interpret checkpoint (bad or missing {exc}); "
                       "write it again") from None
    vocab_list = read_vocab(vocab) if vocab is not None else ckpt.get("vocab")
    stats_value = read_stats(stats) if stats is not None else ckpt.get("stats")
    model = Captioner(config, vocab=vocab_list, stats=stats_value, metadata=ckpt.get("metadata") or {})
    if model_summary(model.metadata) is None:  # absent (an older checkpoint) or unreadable (warned once)
        model.metadata.pop(METADATA_KEY, None)
    if not isinstance(state, Mapping):
        raise M2TError(f"{where} is a damaged m2t-interpret checkpoint (state_dict is a {type(state).__name__})")
    _load_weights(model, state, where)
    model.eval()
    return model


def load_model(source: str | os.PathLike | None = None, vocab=None, stats=None) -> Captioner:
    """Load a captioner.

    Args:
        source: a project checkpoint path, an authors' checkpoint path (then ``vocab`` is
            required), or a shipped model name (``shipped_models()``); None → the default.
        vocab: tokens in id order (list) or the path of a JSON file holding that list.
        stats: ``{"mean": [x, y, z], "std": [x, y, z]}`` or the path of a JSON file holding it.
    """
    if source is None:
        source = DEFAULT_MODEL
    if isinstance(source, Captioner):
        return source
    path, shipped = _resolve_source(source)
    model = _load_path(path, vocab, stats)
    if shipped is not None:
        model.metadata["name"] = shipped
    return model


def checkpoint_path(source) -> Path:
    """The checkpoint file of ``source`` (a shipped model's name or a path); M2TError when there is none."""
    path, _ = _resolve_source(DEFAULT_MODEL if source is None else source)
    if not path.is_file():
        raise M2TError(f"model file not found: {path}")
    return path


def _resolve_source(source) -> tuple[Path, str | None]:
    """A model argument → (checkpoint path, shipped name or None)."""
    path = Path(source)
    if not path.exists() and not str(source).endswith((".pt", ".ckpt", ".pth", ".tar")) and "/" not in str(source):
        candidate = PRETRAINED_DIR / f"{source}.pt"
        if not candidate.exists():
            available = ", ".join(shipped_models()) or "none"
            raise M2TError(f"no model file or shipped model named {source!r}; shipped models: {available}")
        return candidate, str(source)
    return path, None


def check_overrides(source, vocab=None, stats=None) -> None:
    """Refuse ``vocab``/``stats`` for a model that has its own, before any work (the analysis commands
    may answer from a cached capture without loading the model, and must not ignore them silently)."""
    if vocab is None and stats is None:
        return
    path, _ = _resolve_source(source if source is not None else DEFAULT_MODEL)
    ckpt = load_checkpoint_file(path)
    if isinstance(ckpt, Mapping) and ckpt.get("format") == FORMAT:
        from_project_checkpoint_overrides(ckpt, vocab, stats, str(path))


def from_project_checkpoint_overrides(ckpt: Mapping[str, Any], vocab, stats, where: str) -> None:
    """M2TError when ``vocab``/``stats`` would replace what the project checkpoint ``ckpt`` has."""
    if vocab is not None and ckpt.get("vocab") is not None:
        raise M2TError(f"{where} is a project checkpoint with its own vocabulary; --vocab/vocab= is only for "
                       "an authors' checkpoint (drop it)")
    if stats is not None and ckpt.get("stats") is not None:
        raise M2TError(f"{where} is a project checkpoint with its own normalisation statistics; --stats/stats= "
                       "is only for an authors' checkpoint or a converted one without statistics (drop it)")


def _load_path(path: Path, vocab, stats) -> Captioner:
    ckpt = load_checkpoint_file(path)
    if not isinstance(ckpt, Mapping):
        raise M2TError(f"{path} holds a {type(ckpt).__name__}, not a checkpoint dict")
    if ckpt.get("format") == FORMAT:
        model = from_project_checkpoint(ckpt, vocab, stats, where=str(path))
        model.metadata.setdefault("name", path.stem)
        return model
    state = ckpt.get("model", ckpt)
    if isinstance(state, Mapping) and "dec.embedding.weight" in state:
        model = from_authors_checkpoint(ckpt, vocab, stats, where=str(path))
        model.metadata.setdefault("name", path.stem)
        return model
    keys = ", ".join(list(map(str, ckpt.keys()))[:6])
    raise M2TError(
        f"unknown checkpoint layout in {path} (top-level keys: {keys}); expected an m2t-interpret "
        "checkpoint or an authors' checkpoint with a 'model' state_dict"
    )


def is_project_checkpoint(path: str | os.PathLike) -> bool:
    """True when ``path`` is a checkpoint file written in the project format."""
    try:
        ckpt = load_checkpoint_file(Path(path))
    except M2TError:
        return False
    return isinstance(ckpt, Mapping) and ckpt.get("format") == FORMAT


def convert_authors_checkpoint(src, vocab, out, stats=None, overwrite: bool = False) -> Path:
    """Authors' checkpoint + vocabulary (+ statistics) → a project checkpoint at ``out``.

    ``out`` is checked first: a folder, a path under a file, an unwritable folder or an existing file
    that is not a project checkpoint (unless ``overwrite``) is refused before anything is read."""

    check_file_destination(out, "project checkpoint", is_ours=is_project_checkpoint, overwrite=overwrite,
                           option="--out")
    ckpt = load_checkpoint_file(Path(src))
    state = ckpt.get("model", ckpt) if isinstance(ckpt, Mapping) else None
    if not isinstance(state, Mapping) or "dec.embedding.weight" not in state:
        raise M2TError(f"{src} is not an authors' checkpoint (no 'model' state_dict with dec.embedding.weight)")
    model = from_authors_checkpoint(ckpt, vocab, stats, where=str(src))
    model.metadata["name"] = Path(out).stem
    return save_checkpoint(model, out)


def write_motion_corpus(source, summary: Mapping[str, Any], out: str | os.PathLike | None = None,
                        overwrite: bool = False) -> Path:
    """Store a training-corpus motion summary (:func:`~m2t_interpret.data.motion_range.corpus_summary`)
    in a project checkpoint: ``source`` (a path or a shipped model's name) is rewritten with it at
    ``out`` (default: in place), everything else kept as it was. For checkpoints written before
    training recorded the summary."""
    path = checkpoint_path(source)
    target = Path(out) if out is not None else path
    check_file_destination(target, "project checkpoint", is_ours=is_project_checkpoint, overwrite=overwrite,
                           option="--out")
    ckpt = load_checkpoint_file(path)
    if not isinstance(ckpt, Mapping) or ckpt.get("format") != FORMAT:
        raise M2TError(f"{path} is not an m2t-interpret checkpoint; convert it first (m2t-interpret convert)")
    checked = check_summary(summary, "the motion summary")
    if checked.get("skeleton") != ckpt.get("skeleton"):
        raise M2TError(f"the motion summary is of the {checked.get('skeleton')} skeleton; {path} is a "
                       f"{ckpt.get('skeleton')} model")
    payload = dict(ckpt)
    payload["metadata"] = {**dict(ckpt.get("metadata") or {}), METADATA_KEY: _plain(checked)}
    with atomic_path(target) as tmp:
        torch.save(payload, tmp)
    return target
