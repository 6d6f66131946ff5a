"""An analysis session: a model, the data it is analysed on, the capture of one split and its
token table with the ground truth attached — what the analysis commands, the paper figures
(:mod:`m2t_interpret.figures`), the clip views (:mod:`m2t_interpret.clipviews`) and notebooks open
before anything else::

    from m2t_interpret import session
    ctx = session.open_analysis(model="synthetic-guided", decode="forced", clips=50)
    ctx.table                        # one row per token, ground truth attached
    ctx.capture                      # the CaptureResult (read from the cache when possible)

The options (model, data, split, clips, decoding, device, cache, …) are declared once, in
:class:`AnalysisSettings`; :func:`open_analysis`, :func:`~m2t_interpret.clipviews.open_clips`
and :class:`~m2t_interpret.figures.FigureSession` take one, or build it from the same keywords.
Layers: capture, analysis ← session ← reports, figures, clipviews ← cli.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import analysis as A
from .cache import cached_corpus
from .capture.dataset import CaptureRequest, cached_capture, capture_split, model_file_key, parse_decode
from .data.synthetic import cache_name, generate_corpus
from .errors import M2TError
from .io import cache_dir
from .result import CaptureResult

#: Seed of the default held-out synthetic corpus (the shipped models were trained on seed 0).
HELDOUT_SEED = 2
#: Source clips of the held-out test split (each with its mirror, so twice as many ids).
HELDOUT_CLIPS = 500

#: A progress log: receives one line per step (e.g. ``print`` or the CLI's ``typer.echo``).
Log = Callable[[str], None]


# ---------------------------------------------------------------------------------------------
# the data
# ---------------------------------------------------------------------------------------------

def heldout_corpus(seed: int = HELDOUT_SEED, progress: bool = True, log: Log | None = None,
                   clips: bool = True) -> Path:
    """The held-out synthetic test corpus for ``seed`` (generated once into the cache:
    ``$M2T_INTERPRET_CACHE`` or ``~/.cache/m2t-interpret``), checked against its checksums —
    with ``clips=False`` only its tables, for a run that reads no clip (see
    :func:`~m2t_interpret.cache.cached_corpus`)."""
    return _heldout_corpus(seed, progress, log, clips)[0]


def _heldout_corpus(seed: int, progress: bool, log: Log | None, clips: bool) -> tuple[Path, bool]:
    if seed < 0:
        raise M2TError(f"--seed must be ≥ 0, got {seed}")

    def generate(root: Path) -> None:
        if log is not None:
            log(f"generating the held-out synthetic corpus (seed {seed}, {2 * HELDOUT_CLIPS} clips) into {root}")
        generate_corpus(root, n_train=0, n_val=0, n_test=HELDOUT_CLIPS, seed=seed, progress=progress)

    return cached_corpus(cache_dir() / cache_name("synthetic-heldout", seed), f"held-out synthetic corpus (seed {seed})",
                         generate, clips=clips)


def resolve_analysis_data(data: str | os.PathLike, seed: int = HELDOUT_SEED, progress: bool = True,
                          log: Log | None = None, clips: bool = True) -> Path:
    """``"synthetic"`` → :func:`heldout_corpus` (``clips``: check its clips' checksums too); else a
    dataset folder in the HumanML3D layout."""
    if str(data) == "synthetic":
        return heldout_corpus(seed, progress=progress, log=log, clips=clips)
    root = Path(data)
    if not root.is_dir():
        raise M2TError(f"dataset folder not found: {root} (or use --data synthetic)")
    return root


# ---------------------------------------------------------------------------------------------
# the settings
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnalysisSettings:
    """What an analysis session opens, declared once for the CLI, the figures, the clip views and
    notebooks.

    ``model``: a shipped name, a checkpoint path or a loaded captioner (default: the shipped
    default model), with ``vocab`` and ``stats`` for an authors' checkpoint. ``data``:
    ``"synthetic"`` (the held-out corpus of ``seed``) or a dataset folder in the HumanML3D layout;
    ``split`` and ``clips`` (its first clips; None: all). ``decode``: ``greedy``, ``beam:K`` or
    ``forced`` (on the first reference caption); ``beta`` pins the gate β̂. ``device``: where the
    model runs. ``cache``: read and keep captures in the cache. ``progress``: show progress bars.
    ``shard`` "i/n": capture only that shard into the cache (see
    :func:`~m2t_interpret.capture.dataset.cached_capture`). ``truth``: the ground truth attached to
    the token table, ``annotated`` (the synthetic corpus's) or ``kinematic`` (read off the motion).
    """

    model: object = None
    data: str | os.PathLike = "synthetic"
    split: str = "test"
    clips: int | None = None
    decode: str = "greedy"
    seed: int = HELDOUT_SEED
    vocab: object = None
    stats: object = None
    device: str = "cpu"
    beta: float | None = None
    cache: bool = True
    progress: bool = True
    shard: str | None = None
    truth: str = "annotated"

    @classmethod
    def of(cls, settings: AnalysisSettings | object = None, **options) -> AnalysisSettings:
        """``settings`` with ``options`` replaced; or, given anything else (a model, as the first
        argument of :func:`open_analysis` always was), settings for that model from ``options``."""
        if isinstance(settings, AnalysisSettings):
            return dataclasses.replace(settings, **options) if options else settings
        if settings is not None:
            if "model" in options:
                raise TypeError("the model is given twice (as the first argument and as model=)")
            options["model"] = settings
        return cls(**options)

    @property
    def model_is_loaded(self) -> bool:
        """Whether ``model`` is a loaded captioner rather than a name or a path."""
        return hasattr(self.model, "fingerprint")

    def load_model(self):
        """The captioner on ``device``: ``model`` itself when loaded, else read from its checkpoint."""
        if self.model_is_loaded:
            return self.model
        # kept here: the model's modules load torch, which an analysis read from the cache never needs
        from .model.checkpoints import load_model, resolve_device

        return load_model(self.model, vocab=self.vocab, stats=self.stats).to(resolve_device(self.device))

    def check_device(self) -> None:
        """An unavailable ``device`` fails before any work (a model is loaded only when needed)."""
        if self.device != "cpu":
            from .model.checkpoints import resolve_device  # loads torch: only for a device other than the CPU

            resolve_device(self.device)

    def resolve_data(self, log: Log | None = None, clips: bool = True) -> Path:
        """The dataset folder of ``data`` (:func:`resolve_analysis_data`)."""
        return resolve_analysis_data(self.data, self.seed, progress=self.progress, log=log, clips=clips)


# ---------------------------------------------------------------------------------------------
# the session
# ---------------------------------------------------------------------------------------------

@dataclass
class AnalysisContext:
    """A model, the data it is analysed on, the capture and its token table (ground truth attached).

    ``model`` is loaded on first use: a capture read from the cache needs no model.
    """

    model_loader: Callable[[], object]
    root: Path
    split: str
    decode: str
    capture: CaptureResult
    table: pd.DataFrame
    from_cache: bool = False
    loaded_model: object = None

    @property
    def model(self):
        if self.loaded_model is None:
            self.loaded_model = self.model_loader()
        return self.loaded_model

    @property
    def has_ground_truth(self) -> bool:
        return bool(self.table["gt_aligned"].any()) if "gt_aligned" in self.table else False

    @property
    def model_name(self) -> str:
        return str(self.capture.meta.get("model") or "model")


def open_analysis(settings: AnalysisSettings | object = None, /, *, log: Log | None = None,
                  **options) -> AnalysisContext:
    """Load the model, resolve the data, capture the split (from the cache when possible) and build
    the token table.

    ``settings``: an :class:`AnalysisSettings`, or the model (a name, a path or a loaded
    captioner); ``options``: any of :class:`AnalysisSettings`'s fields (they replace the given
    settings' own). ``log`` receives what is being done (generating the corpus, reading or
    keeping the capture). With ``shard`` "i/n" only that shard is captured into the cache; once all
    n shards are cached, an unsharded call merges them instead of decoding."""
    s = AnalysisSettings.of(settings, **options)
    parse_decode(s.decode)  # a bad spelling fails before anything loads
    A.check_truth(s.truth)
    loaded = [s.model] if s.model_is_loaded else []

    def load():
        if not loaded:
            loaded.append(s.load_model())
        return loaded[0]

    s.check_device()
    key = None if loaded else model_file_key(s.model, s.vocab, s.stats)
    # A cached capture reads no clip, so the held-out corpus's clips are checked (by checksum: by size
    # they are checked anyway) only once the capture turns out to need decoding.
    root = s.resolve_data(log, clips=not s.cache)
    request = CaptureRequest(root=str(root), split=s.split, decode=s.decode, clips=s.clips, beta=s.beta,
                             shard=s.shard)
    if s.shard is not None and not s.cache:
        raise M2TError("a shard is kept in the capture cache for the unsharded run to merge: use cache=True")

    def check_clips() -> bool:
        """Before decoding: every clip of the held-out corpus by checksum; True when it was rebuilt."""
        return str(s.data) == "synthetic" and not _heldout_corpus(s.seed, s.progress, log, clips=True)[1]

    if s.cache:
        capture, hit = cached_capture(load, request, progress=s.progress, log=log, model_key=key,
                                      before_decode=check_clips)
    else:
        capture, hit = capture_split(load(), root, s.split, s.decode, s.clips, s.beta, progress=s.progress), False
    capture.warn_motion()  # clips outside the model's training corpus: one line (or one per clip for a few)
    table = A.token_table(capture, root, truth=s.truth)
    return AnalysisContext(load, root, s.split, s.decode, capture, table, hit, loaded[0] if loaded else None)


__all__ = ["HELDOUT_CLIPS", "HELDOUT_SEED", "AnalysisContext", "AnalysisSettings", "Log", "heldout_corpus",
           "open_analysis", "resolve_analysis_data"]
