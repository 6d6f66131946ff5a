"""The paper's figures and tables in one call: the analogues of Figures 2–7 and Tables 1–3 of
*Guided Attention for Interpretable Motion Captioning*, for one or more models on one dataset,
written with a ``MANIFEST.md`` that says what each file shows and how it was made::

    from m2t_interpret.figures import make_figures
    manifest = make_figures(["synthetic-guided", "synthetic-unguided"], out="paper")
    manifest.files                       # every file written, relative to out
    print(manifest.markdown())           # what DIR/MANIFEST.md holds

Each figure is drawn by the analysis report of the matching command (``density``, ``hist``,
``onset``, ``finegrained``, ``map``, ``ablate-gate``, ``compare``; :mod:`m2t_interpret.reports`),
so a figure here is the figure that command draws. With several models, the paper figures put one
panel per model side by side (:func:`m2t_interpret.plotting.static.side_by_side`), and each
model's own files — exactly what the command writes — go to ``DIR/<model>/``.

The per-figure functions (:func:`paper_density_figure`, :func:`paper_histogram_figure`, …) take
a :class:`FigureSession` (models, the analysis settings, clip; captures opened once and shared) and
return a :class:`PaperPart`, which notebooks can show (``part.figure``) or write (``part.write``).
Layers: session, reports ← figures ← cli. The plotting modules (matplotlib, plotly) are imported
where a figure is drawn or written, so that the command's checks of its options load neither.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shlex
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .analysis import caption_metrics, stem_of
from .data.dataset import read_split_ids
from .errors import M2TError
from .io import check_dir_destination, write_text
from .outputs import LEDGER, check_recorded_dir, write_recorded_dir
from .reports import (ablate_gate_report, check_formats, compare_report, density_report, finegrained_report,
                      gate_report, hist_report, map_report, onset_report, parts_report)
from .session import AnalysisContext, AnalysisSettings, Log, open_analysis
from .training.sweep import TABLE_COLUMNS

#: The models of the committed figures: with and without attention supervision.
DEFAULT_MODELS: tuple[str, ...] = ("synthetic-guided", "synthetic-unguided")
#: The clip of the per-clip figures (Γ curves, fine-grained caption, map) of the committed figures.
DEFAULT_CLIP = "000006"
#: Words of the β̂ densities (Fig. 2a/3); the non-motion words present are added.
DENSITY_WORDS: tuple[str, ...] = ("walk", "wave", "kick", "jump", "turn")
#: Words of the max-attention histograms (Fig. 2b/4).
HIST_WORDS: tuple[str, ...] = ("wave", "kick", "walk")
#: Figures as PNG (for screens) and vector PDF (for papers); tables as CSV (exact), Markdown and LaTeX.
DEFAULT_FORMATS: tuple[str, ...] = ("png", "pdf", "csv", "md", "tex")
MANIFEST = "MANIFEST.md"
_MANIFEST_TITLE = "# Paper figures: what each file shows and how it was made"
#: What "the same tables" means between machines. The tables come from float32 model outputs
#: (machine epsilon 1.2e-7); another CPU, BLAS kernel (oneDNN on or off) or thread count sums in
#: another order and moves them by some ulps (up to 1.5e-6 relative seen between two machines), and
#: a difference of such numbers (an onset error: predicted minus true onset) keeps the absolute
#: error of its operands. Hence a tolerance relative to the column's scale, with a wide margin.
TABLE_TOLERANCE = 1e-5
_SAME_TABLES = (
    "On one machine with the same settings a rerun writes the tables byte for byte. Float results differ "
    "slightly between CPUs, BLAS kernels (oneDNN on or off) and thread counts, so elsewhere \"the same\" means: "
    "the same files, and in every table the same text and the same numbers: in a CSV table within "
    f"{TABLE_TOLERANCE:.0e} times the larger of 1 and the largest magnitude in the column, in a Markdown or "
    "LaTeX table within one unit of the last printed digit. The figures draw those numbers.").replace("e-0", "e-")


@dataclass(frozen=True)
class FigureSpec:
    """One of the paper's figures or tables: its key (file stem), the paper's name, what it shows
    and the decoding its captures use."""

    key: str
    paper: str
    shows: str
    decode: str


#: Every figure and table the command makes, in order (``--only`` picks among the keys).
PAPER_FIGURES: dict[str, FigureSpec] = {s.key: s for s in (
    FigureSpec("fig2a_density", "Fig. 2a / 3", "β̂ (motion gate) kernel density per word stem, motion words and "
               "non-motion words, one panel per model (with and without gate supervision)", "greedy"),
    FigureSpec("fig2b_hist", "Fig. 2b / 4", "per-part histograms of each word's maximum attention α·Γ, one panel "
               "per model (with and without spatial supervision)", "greedy"),
    FigureSpec("fig5_onset", "Fig. 5", "temporal attention Γ of each motion word of the clip over time, with the "
               "true action segments (forced on the clip's reference caption)", "forced"),
    FigureSpec("fig6_finegrained", "Fig. 6", "fine-grained caption of the clip: each motion word with its body part "
               "and time interval μ ± σ·√(2 ln 2)", "greedy"),
    FigureSpec("fig7_map", "Fig. 7", "spatio-temporal attention map α·Γ (parts × time) of each motion word of the "
               "clip's generated caption", "greedy"),
    FigureSpec("figS1_parts", "Supplement", "body-part identification of every motion word against the true parts: "
               "pointing accuracy and attention correctness beside chance and the best constant answer, and the "
               "true × predicted confusion matrix", "forced"),
    FigureSpec("figS2_gate", "Supplement", "motion vs non-motion separation by β̂: AUROC, best-threshold accuracy "
               "and both densities", "forced"),
    FigureSpec("table1_sweep", "Table 1", "caption metrics (×100) per (λ_spat, λ_adapt) of a sweep (`--runs`)",
               "greedy"),
    FigureSpec("table2_captions", "Table 2", "caption metrics of each model's greedy captions (BLEU@1, BLEU@4, "
               "ROUGE-L, CIDEr), and every interpretability score beside chance and the best constant answer",
               "forced"),
    FigureSpec("table3_gate", "Table 3", "caption metrics with the gate β̂ pinned to 1 beside the adaptive gate, "
               "and the change", "greedy"),
)}


# ---------------------------------------------------------------------------------------------
# fingerprints
# ---------------------------------------------------------------------------------------------

def checkpoint_sha256(source: str | os.PathLike) -> str:
    """The first 12 hex digits of the sha256 of a model's checkpoint file (a shipped name or a path):
    the file's bytes, unlike the captioner's own ``fingerprint`` (weights, sizes, vocabulary)."""
    from .model.checkpoints import checkpoint_path  # loads torch: only where a checkpoint is hashed

    path = checkpoint_path(source)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError as exc:
        raise M2TError(f"cannot read the checkpoint {path}: {exc.strerror or exc}") from None


def data_content_fingerprint(root: str | os.PathLike, split: str, clips: int | None = None) -> str:
    """The first 12 hex digits of a sha256 over a split's ids and the bytes of each clip's motion
    and text files (content only: the same data on another machine has the same fingerprint; the
    capture cache's :func:`~m2t_interpret.capture.dataset.data_fingerprint` reads sizes and times)."""
    root = Path(root)
    ids = read_split_ids(root, split)
    if clips is not None:
        ids = ids[:clips]
    h = hashlib.sha256(f"{split}|{len(ids)}".encode())
    for cid in ids:
        h.update(cid.encode())
        for sub, ext in (("new_joints", ".npy"), ("texts", ".txt")):
            f = root / sub / f"{cid}{ext}"
            h.update(f.read_bytes() if f.is_file() else b"-")
    return h.hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# the session: models, data and the captures they share
# ---------------------------------------------------------------------------------------------

class FigureSession:
    """The models and data of one set of paper figures; captures are opened on first use and shared
    between figures (and cached on disk as for the analysis commands).

    ``models``: shipped names or checkpoint paths, in panel order. ``settings``: the
    :class:`~m2t_interpret.session.AnalysisSettings` each model's captures are opened with (its
    ``model`` and ``decode`` are set per figure), or built from ``options`` — ``data``
    (``"synthetic"``: the held-out corpus of ``seed``, or a dataset folder in the HumanML3D
    layout), ``split``, ``clips``, ``device``, ``cache``, ``progress`` (off unless given) …, which
    also read back as attributes (``session.data``). ``clip``: the clip of the per-clip figures.
    ``runs``: a sweep folder (``m2t-interpret sweep --out``) for Table 1.
    """

    def __init__(self, models: Sequence[str] = DEFAULT_MODELS, *, settings: AnalysisSettings | None = None,
                 clip: str = DEFAULT_CLIP, runs: str | os.PathLike | None = None, log: Log | None = None,
                 **options) -> None:
        if settings is None:
            options = {"progress": False, **options}  # figures for a paper: no bars unless asked for
        self.settings = AnalysisSettings.of(settings, **options)
        self.models = [str(m) for m in models]
        self.clip, self.log = clip, log
        self.runs = Path(runs) if runs is not None else None
        self._contexts: dict[tuple, AnalysisContext] = {}
        if not self.models:
            raise M2TError("give at least one --model")
        if len(set(self.models)) != len(self.models):
            raise M2TError("each --model may be given once")
        labels = self.labels
        if len(set(labels)) != len(labels):
            raise M2TError(f"two models have the same name ({', '.join(labels)}); rename a checkpoint file")
        if "compare" in labels:  # the folder of Table 2's comparison
            raise M2TError("a model named 'compare' would share the folder of the comparison; rename its checkpoint")

    def __getattr__(self, name: str):
        # the settings' fields read as the session's own (session.data, session.clips …), as they always did
        if name != "settings" and name in _SETTING_FIELDS:
            return getattr(self.settings, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return (f"FigureSession(models={self.models!r}, settings={self.settings!r}, clip={self.clip!r}, "
                f"runs={self.runs!r})")

    @property
    def labels(self) -> list[str]:
        """The models' names (shipped name, or the checkpoint's file name without suffix)."""
        return [model_label(m) for m in self.models]

    def context(self, model: str, decode: str, beta: float | None = None) -> AnalysisContext:
        """The :class:`~m2t_interpret.session.AnalysisContext` of ``model`` under ``decode``."""
        key = (model, decode, beta)
        if key not in self._contexts:
            self._contexts[key] = open_analysis(self.settings, model=model, decode=decode, beta=beta, log=self.log)
        return self._contexts[key]

    def contexts(self, decode: str, beta: float | None = None) -> dict[str, AnalysisContext]:
        """``{label: context}`` of every model under ``decode``, in panel order."""
        return {label: self.context(m, decode, beta) for m, label in zip(self.models, self.labels)}

    @property
    def root(self) -> Path:
        return self.settings.resolve_data(self.log)


_SETTING_FIELDS = frozenset(f.name for f in dataclasses.fields(AnalysisSettings))


def model_label(source: str | os.PathLike) -> str:
    """A shipped model's name, or a checkpoint file's name without its suffix."""
    s = str(source)
    return Path(s).stem if (s.endswith((".pt", ".ckpt", ".pth", ".tar")) or "/" in s) else s


# ---------------------------------------------------------------------------------------------
# one function per figure / table
# ---------------------------------------------------------------------------------------------

@dataclass
class PaperPart:
    """One paper figure or table: the per-model reports it is drawn from, the side-by-side static
    figure (``panels`` says how to draw it), and the tables written beside it."""

    spec: FigureSpec
    reports: dict = field(default_factory=dict)
    panels: tuple | None = None  # (figure function name, report figure key)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def figure(self):
        """The static figure: one panel per model, each drawn by the report's own figure function."""
        return self.draw()

    def draw(self, width: float | None = None):
        """The static figure ``width`` inches wide, shared by its panels (None: the text width for several)."""
        if self.panels is None:
            return None
        from .plotting.static import side_by_side  # matplotlib: only to draw
        from .plotting.style import TEXT_WIDTH

        fn_name, key = self.panels
        calls = []
        for rep in self.reports.values():
            name, args, kwargs = rep.figures[key]
            if name != fn_name:
                raise M2TError(f"{self.spec.key}: the report draws {name}, not {fn_name}")
            calls.append((args, kwargs))
        titles = [self._panel_title(label, rep, key) for label, rep in self.reports.items()]
        return side_by_side(fn_name, calls, titles, width=TEXT_WIDTH if width is None and len(calls) > 1 else width)

    @staticmethod
    def _panel_title(label: str, rep, key: str) -> str:
        own = rep.figures[key][2].get("title")
        return f"{label} · {own}" if own else label

    def caption(self) -> str:
        """The figure's caption: what it shows (said once), then each panel's numbers, (a), (b) … by model."""
        if self.panels is None:
            return ""
        key, first = self.panels[1], next(iter(self.reports.values()))
        what = first.captions.get(key, "").removesuffix(first.details.get(key, "")).strip() or f"{self.spec.shows}."
        return f"{self.spec.paper}: {what} " + " ".join(
            f"({chr(ord('a') + i)}) {label}: {rep.details.get(key, '')}" for i, (label, rep) in enumerate(self.reports.items()))

    def write(self, out: str | os.PathLike, formats: Sequence[str] = DEFAULT_FORMATS,
              plotlyjs: str = "shared", width: float | None = None) -> list[tuple[Path, str]]:
        """Write the figure (``width`` inches wide: :meth:`draw`), its caption and tables into ``out``
        and each model's report into ``out/<model>/``; returns ``(path, what it shows)`` for every file."""
        from .plotting import save_figure, write_table  # matplotlib and plotly: only to write
        from .plotting.save import write_caption

        formats = check_formats(formats)
        out = Path(out)
        written: list[tuple[Path, str]] = []
        static = [f for f in formats if f in ("png", "pdf", "svg")]
        tables = [f for f in formats if f in ("csv", "md", "tex")]
        if self.panels is not None and static:
            fig = self.draw(width)
            written += [(p, f"{self.spec.paper}: {self.spec.shows}") for p in save_figure(fig, out / self.spec.key,
                                                                                          static)]
            written += [(p, f"{self.spec.paper}: its caption ({_CAPTION_KIND[p.suffix]})")
                        for p in write_caption(self.caption(), out / self.spec.key, latex="tex" in formats)]
        for name, df in self.tables.items():
            stem = self.spec.key if name == "table" else f"{self.spec.key}_{name}"
            what = self.spec.shows if name == "table" else f"{self.spec.shows} ({name})"
            written += [(p, f"{self.spec.paper}: {what}") for p in write_table(df, out / stem, tables or ["csv"])]
        for label, rep in self.reports.items():
            for p in rep.write_files(out / label, formats, plotlyjs, width):
                written.append((p, f"{self.spec.paper}, model {label}: {_report_file_shows(rep, p)}"))
        return written


_CAPTION_KIND = {".txt": "plain text", ".tex": "LaTeX \\caption and \\label to paste into a figure environment"}

#: What each report's tables and figures hold (``clip`` stands for a clip id).
_SHOWS: dict[tuple[str, str], str] = {
    ("density", "density"): "β̂ densities per word stem",
    ("density", "summary"): "count, mean, median and quartiles of β̂ per word stem",
    ("density", "curves"): "the density curves drawn (β̂, density per stem)",
    ("hist", "hist"): "per-part histograms of max attention α·Γ per stem",
    ("hist", "counts"): "histogram counts per stem, part and bin",
    ("hist", "summary"): "share of occurrences where each part has the largest max attention",
    ("onset", "curves"): "Γ curves of the clip's motion words with the true segments",
    ("onset", "scores"): "μ in segment, mean tIoU, R@1 and onset error beside chance and the best constant",
    ("onset", "predictions"): "μ, σ and interval of every motion word of the split",
    ("onset", "clip"): "Γ per motion word and frame of the clip",
    **{(name, "caption"): "each token of the clip's caption with its β̂, and the reference's words"
       for name in ("onset", "map", "finegrained")},
    ("finegrained", "finegrained"): "timeline of the clip's motion words: part and interval",
    ("finegrained", "clip"): "each motion word of the clip with its part, interval and the truth",
    ("map", "map"): "α·Γ parts × time per motion word of the clip",
    ("map", "clip"): "α·Γ per word, part and frame of the clip",
    ("parts", "parts"): "pointing accuracy beside chance and the best constant; confusion matrix",
    ("parts", "predictions"): "predicted part of every motion word of the split",
    ("parts", "scores"): "pointing accuracy and attention correctness per group, beside chance and the best constant",
    ("parts", "confusion"): "true × predicted part counts",
    ("gate", "gate"): "β̂ densities of motion and non-motion words",
    ("gate", "separation"): "AUROC and best-threshold accuracy beside chance and the best constant",
    ("gate", "words"): "per word: share of its tokens on the wrong side of the threshold",
    ("ablate_gate", "ablate_gate"): "caption metrics, adaptive vs β̂ pinned",
    ("ablate_gate", "captions"): "per clip: adaptive caption, pinned caption, references",
    ("ablate_gate", "scores"): "caption metrics, adaptive vs β̂ pinned, and the change",
    ("compare", "compare"): "every score per model beside chance and the best constant",
    ("compare", "scores"): "every interpretability score and caption metric per model, beside chance and the "
                           "best constant",
}


def _report_file_shows(rep, path: Path) -> str:
    stem = path.name.split(".")[0]
    if path.name == "plotly.min.js":
        return "plotly.js, shared by the HTML figures of this folder (offline)"
    key = stem[len(rep.name) + 1:] if stem.startswith(rep.name + "_") else stem
    if key not in rep.tables and key not in rep.figures and key.startswith(rep.name):
        key = rep.name
    generic = "clip" if (key.startswith("clip_") or key[:1].isdigit()) else key
    generic = "caption" if key.startswith("caption_") else generic
    if path.name.endswith((".caption.txt", ".caption.tex")):
        return (f"`m2t-interpret {rep.name.replace('_', '-')}` figure caption ({_CAPTION_KIND[path.suffix]}): "
                f"{_SHOWS.get((rep.name, key), key)}")
    kind = "figure" if path.suffix in (".png", ".pdf", ".svg", ".html") else "table"
    what = _SHOWS.get((rep.name, generic), key)
    return f"`m2t-interpret {rep.name.replace('_', '-')}` {kind}: {what}"


def _clip(session: FigureSession, ctx) -> str:
    try:
        ctx.capture.clip_index(session.clip)
    except M2TError as exc:
        raise M2TError(f"--clip {session.clip}: {exc}") from None
    return session.clip


def _present(ctx, words: Sequence[str]) -> list[str]:
    """The words whose stem occurs in the context's captions (other data may lack some); none: the
    report's own default (the paper's motion words present)."""
    stems = set(ctx.table["stem"])
    return [w for w in words if stem_of(w) in stems]


def _per_model(session: FigureSession, key: str, report, panels: tuple) -> PaperPart:
    """Paper figure ``key``: ``report(ctx)`` for each model of the session (in the figure's decoding),
    drawn side by side by the report figure ``panels`` names."""
    spec = PAPER_FIGURES[key]
    return PaperPart(spec, {label: report(ctx) for label, ctx in session.contexts(spec.decode).items()}, panels)


def paper_density_figure(session: FigureSession) -> PaperPart:
    """Fig. 2a/3: β̂ densities of :data:`DENSITY_WORDS` and the non-motion words, one panel per model."""
    return _per_model(session, "fig2a_density",
                      lambda ctx: density_report(ctx, _present(ctx, DENSITY_WORDS), non_motion=True),
                      ("density_figure", "density"))


def paper_histogram_figure(session: FigureSession) -> PaperPart:
    """Fig. 2b/4: per-part max-attention histograms of :data:`HIST_WORDS`, one panel per model."""
    return _per_model(session, "fig2b_hist",
                      lambda ctx: hist_report(ctx, _present(ctx, HIST_WORDS)),
                      ("histogram_figure", "hist"))


def _per_clip(session: FigureSession, key: str, report, panels: tuple) -> PaperPart:
    """Paper figure ``key`` of the session's clip: ``report(ctx, clip)`` for each model, side by side."""
    return _per_model(session, key, lambda ctx: report(ctx, _clip(session, ctx)), panels)


def paper_onset_figure(session: FigureSession) -> PaperPart:
    """Fig. 5: Γ curves of the session's clip with its true segments (and the temporal scores)."""
    return _per_clip(session, "fig5_onset", onset_report, ("onset_figure", "curves"))


def paper_finegrained_figure(session: FigureSession) -> PaperPart:
    """Fig. 6: the fine-grained caption of the session's clip."""
    return _per_clip(session, "fig6_finegrained", finegrained_report, ("finegrained_figure", "finegrained"))


def paper_map_figure(session: FigureSession) -> PaperPart:
    """Fig. 7: the spatio-temporal attention map of the session's clip."""
    return _per_clip(session, "fig7_map", map_report, ("map_figure", "map"))


def paper_parts_figure(session: FigureSession) -> PaperPart:
    """Supplement: body-part identification scores and confusion matrix, one panel per model."""
    return _per_model(session, "figS1_parts", parts_report, ("parts_figure", "parts"))


def paper_gate_figure(session: FigureSession) -> PaperPart:
    """Supplement: motion vs non-motion separation by β̂, one panel per model."""
    return _per_model(session, "figS2_gate", gate_report, ("gate_figure", "gate"))


def paper_sweep_table(session: FigureSession) -> PaperPart:
    """Table 1 from a sweep folder (``session.runs``): its ``table1.csv`` as ``m2t-interpret sweep`` wrote it."""
    spec = PAPER_FIGURES["table1_sweep"]
    table = read_sweep_table(session.runs, TABLE_COLUMNS)
    return PaperPart(spec, tables={"table": table})


def read_sweep_table(runs: str | os.PathLike | None, columns: Sequence[str]) -> pd.DataFrame:
    """``<runs>/table1.csv`` of a finished sweep, checked (a clear error for any other folder)."""
    if runs is None:
        raise M2TError("Table 1 needs a sweep folder: pass --runs DIR (the --out of `m2t-interpret sweep`)")
    runs = Path(runs)
    if not runs.is_dir():
        raise M2TError(f"--runs {runs}: no such folder (give the --out folder of `m2t-interpret sweep`)")
    path = runs / "table1.csv"
    if not path.is_file():
        has_runs = any(p.name.startswith("lambda_") for p in runs.iterdir())
        raise M2TError(f"--runs {runs} has no table1.csv: " + ("the sweep has not finished; rerun the same "
                       "`m2t-interpret sweep` command" if has_runs else "not a sweep folder (give the --out "
                       "folder of `m2t-interpret sweep`)"))
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise M2TError(f"--runs {runs}: table1.csv is not a sweep table ({str(exc).splitlines()[0]})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing or table.empty:
        raise M2TError(f"--runs {runs}: table1.csv is not a sweep table (it lacks "
                       f"{', '.join(missing) or 'rows'}); rerun `m2t-interpret sweep`")
    return table[list(columns)]


def paper_caption_table(session: FigureSession) -> PaperPart:
    """Table 2: each model's caption metrics (greedy), and the comparison of every interpretability
    score beside chance and the best constant answer (``compare``)."""
    spec = PAPER_FIGURES["table2_captions"]
    forced = session.contexts(spec.decode)
    greedy = session.contexts("greedy")
    rows = []
    for label, ctx in greedy.items():
        m = caption_metrics(ctx.capture)
        rows.append({"model": label, **{k: v for k, v in m.items() if k != "protocol"}, "protocol": m["protocol"]})
    report = compare_report(forced, greedy)
    return PaperPart(spec, {"compare": report}, tables={"table": pd.DataFrame(rows)})


def paper_gate_table(session: FigureSession) -> PaperPart:
    """Table 3: caption metrics with β̂ pinned to 1 beside the adaptive gate, per model."""
    spec = PAPER_FIGURES["table3_gate"]
    reports, rows = {}, []
    for m, label in zip(session.models, session.labels):
        rep = ablate_gate_report(session.context(m, spec.decode), session.context(m, spec.decode, beta=1.0))
        reports[label] = rep
        rows.append(rep.tables["scores"].assign(model=label))
    table = pd.concat(rows, ignore_index=True)
    table = table[["model"] + [c for c in table.columns if c != "model"]]
    return PaperPart(spec, reports, tables={"table": table})


#: The function that makes each figure or table.
BUILDERS: dict[str, Callable[[FigureSession], PaperPart]] = {
    "fig2a_density": paper_density_figure, "fig2b_hist": paper_histogram_figure, "fig5_onset": paper_onset_figure,
    "fig6_finegrained": paper_finegrained_figure, "fig7_map": paper_map_figure, "figS1_parts": paper_parts_figure,
    "figS2_gate": paper_gate_figure, "table1_sweep": paper_sweep_table,
    "table2_captions": paper_caption_table, "table3_gate": paper_gate_table,
}


# ---------------------------------------------------------------------------------------------
# the manifest and the output folder
# ---------------------------------------------------------------------------------------------

@dataclass
class FigureManifest:
    """What ``make_figures`` wrote: each file (relative to ``out``) with what it shows, the command
    that makes them, the models' and data's fingerprints and the package version."""

    out: Path
    command: str
    models: dict[str, str]        # label → checkpoint sha256 prefix
    data: dict[str, str]          # what, split, clips, fingerprint
    files: dict[str, str] = field(default_factory=dict)  # relative path → what it shows
    version: str = __version__

    def markdown(self) -> str:
        """The text of ``MANIFEST.md``."""
        lines = [_MANIFEST_TITLE, "",
                 "Every file here was written by one run of this command (rerun it to regenerate them):",
                 "", "```bash", self.command, "```", "", _SAME_TABLES, "",
                 f"- package: m2t-interpret {self.version}",
                 "- models (sha256 of the checkpoint file, first 12 hex digits): "
                 + ", ".join(f"{k} `{v}`" for k, v in self.models.items()),
                 f"- data: {self.data['what']}, split {self.data['split']}"
                 + (f", first {self.data['clips']} clips" if self.data.get("clips") else "")
                 + f" (sha256 of the clips' motion and text files, first 12 hex digits: `{self.data['fingerprint']}`)",
                 "", "| file | shows |", "|---|---|"]
        lines += [f"| `{f}` | {_md_cell(s)} |" for f, s in self.files.items()]
        return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def manifest_files(out: str | os.PathLike) -> set[str] | None:
    """The files an earlier ``MANIFEST.md`` in ``out`` lists (and the manifest itself), or None
    when ``out`` holds no manifest of this command."""
    path = Path(out) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith(_MANIFEST_TITLE):
        return None
    files = set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE))
    return files | {MANIFEST}


def check_figures_out(out: str | os.PathLike) -> Path:
    """``--out`` of ``figures``: absent, empty, or an earlier output of this command holding only the
    files its ``MANIFEST.md`` lists — anything else (a user's file) is refused before any work."""
    out = Path(out)
    listed = manifest_files(out) if out.is_dir() else None
    if out.is_dir() and any(out.iterdir()) and listed is None:
        raise M2TError(f"--out {out} holds files not written by `m2t-interpret figures` (no {MANIFEST} of an earlier "
                       f"run); refusing to touch it (choose a new or empty folder)")
    check_dir_destination(out, lambda p: listed is not None, "figures output",
                          owned=lambda rel: rel == LEDGER or (listed is not None and rel in listed))
    if out.is_dir():
        check_recorded_dir(out, "figures")
    return out


def check_clip(root: Path, split: str, clips: int | None, clip: str) -> None:
    """``--clip`` names a clip of the split (an id or an index), checked before any capture."""
    ids = read_split_ids(root, split)
    ids = ids[:clips] if clips else ids
    if not ids:
        raise M2TError(f"the {split} split of {root} has no clips")
    if clip not in ids and not (clip.isdigit() and int(clip) < len(ids)):
        raise M2TError(f"--clip {clip}: no clip {clip!r} in split {split} (ids {ids[0]} … {ids[-1]}, or an index "
                       f"0..{len(ids) - 1})")


def check_figure_keys(only: Sequence[str] | None) -> list[str]:
    if not only:
        return list(PAPER_FIGURES)
    bad = [k for k in only if k not in PAPER_FIGURES]
    if bad:
        raise M2TError(f"unknown figure {bad[0]!r}; use any of: {', '.join(PAPER_FIGURES)}")
    return [k for k in PAPER_FIGURES if k in only]


def figures_command(session: FigureSession, out: str | os.PathLike, formats: Sequence[str], plotlyjs: str,
                    only: Sequence[str] | None, width: float | None = None) -> str:
    """The ``m2t-interpret figures`` command line that makes these files."""
    s = session.settings
    args = ["m2t-interpret", "figures"]
    for m in session.models:
        args += ["--model", str(m)]
    args += ["--data", str(s.data)]
    if str(s.data) == "synthetic":
        args += ["--seed", str(s.seed)]
    if s.split != "test":
        args += ["--split", s.split]
    if s.clips is not None:
        args += ["--clips", str(s.clips)]
    args += ["--clip", session.clip]
    if session.runs is not None:
        args += ["--runs", str(session.runs)]
    for k in only or ():
        args += ["--only", k]
    args += ["--format", ",".join(formats), *(["--width", f"{width:g}"] if width is not None else []),
             "--plotlyjs", plotlyjs, "--out", str(out)]
    return " ".join(shlex.quote(a) for a in args)


def make_figures(models: Sequence[str] = DEFAULT_MODELS, data: str | os.PathLike | None = None,
                 out: str | os.PathLike = "paper", *, clip: str = DEFAULT_CLIP, runs: str | os.PathLike | None = None,
                 formats: Sequence[str] = DEFAULT_FORMATS, plotlyjs: str = "shared", only: Sequence[str] | None = None,
                 width: float | str | None = None, settings: AnalysisSettings | None = None, log: Log | None = None,
                 **options) -> FigureManifest:
    """Make the paper's figures and tables for ``models`` on ``data`` into the folder ``out``, with
    ``out/MANIFEST.md``, and return the manifest.

    ``data`` and ``options`` (``seed``, ``split``, ``clips``, ``device``, ``cache``, ``progress`` …)
    are the analysis settings of :class:`FigureSession` (default: the held-out synthetic corpus).
    ``only``: keys of :data:`PAPER_FIGURES` (default: all; Table 1 only with ``runs``).
    ``formats``: figure (png, pdf, svg, html) and table (csv, md, tex) formats. ``plotlyjs``: HTML
    figures share one ``plotly.min.js`` per folder (``"shared"``) or embed it (``"inline"``).
    ``width``: the static figures' width, ``"column"``, ``"text"`` or inches (None: the text width
    for side-by-side panels, a single figure at its own). Each figure's caption goes beside it.
    ``out`` must be new, empty or an earlier output of this function holding nothing else; it is
    written whole (a temporary sibling folder renamed into place), so it never holds half a run.
    """
    from .plotting.save import check_plotlyjs  # loads matplotlib and plotly, which the figures draw anyway
    from .plotting.style import parse_width

    formats = check_formats(formats)
    plotlyjs = check_plotlyjs(plotlyjs)
    width = parse_width(width)
    keys = check_figure_keys(only)
    if runs is None and not only:
        keys.remove("table1_sweep")
    if data is not None:
        options["data"] = data
    session = FigureSession(models, settings=settings, clip=clip, runs=runs, log=log, **options)
    s = session.settings
    if "table1_sweep" in keys:
        read_sweep_table(session.runs, TABLE_COLUMNS)  # a bad --runs fails before any capture
    fingerprints = {label: checkpoint_sha256(m) for m, label in zip(session.models, session.labels)}
    out = check_figures_out(out)
    root = session.root
    if {"fig5_onset", "fig6_finegrained", "fig7_map"} & set(keys):
        check_clip(root, s.split, s.clips, clip)
    what = (f"held-out synthetic corpus, seed {s.seed}" if str(s.data) == "synthetic" else f"dataset folder {root}")
    manifest = FigureManifest(out, figures_command(session, out, formats, plotlyjs, only, width), fingerprints,
                              {"what": what, "split": s.split, "clips": "" if s.clips is None else str(s.clips),
                               "fingerprint": data_content_fingerprint(root, s.split, s.clips)})
    parts = []
    for key in keys:
        if log is not None:
            log(f"{PAPER_FIGURES[key].paper}: {key}")
        parts.append(BUILDERS[key](session))

    def fill(tmp: Path) -> None:
        for part in parts:
            for path, shows in part.write(tmp, formats, plotlyjs, width):
                manifest.files.setdefault(path.relative_to(tmp).as_posix(), shows)
        write_text(tmp / MANIFEST, manifest.markdown())

    listed = manifest_files(out) if out.is_dir() else None
    write_recorded_dir(out, fill, is_ours=lambda p: listed is not None, kind="figures output", owner="figures",
                       owned=lambda rel: listed is not None and rel in listed)
    return manifest


#: Names this module used before the paper's figure functions were told apart from the plotting
#: modules' (``density_figure`` …) and the content fingerprint from the capture cache's.
_RENAMED = {"density_figure": "paper_density_figure", "histogram_figure": "paper_histogram_figure",
            "onset_figure": "paper_onset_figure", "finegrained_figure": "paper_finegrained_figure",
            "map_figure": "paper_map_figure", "parts_figure": "paper_parts_figure", "gate_figure": "paper_gate_figure",
            "sweep_table": "paper_sweep_table", "caption_table": "paper_caption_table",
            "gate_table": "paper_gate_table",
            "data_fingerprint": "data_content_fingerprint", "model_fingerprint": "checkpoint_sha256"}


def __getattr__(name: str):
    if name in _RENAMED:
        warnings.warn(f"m2t_interpret.figures.{name} is deprecated: use {_RENAMED[name]}", DeprecationWarning,
                      stacklevel=2)
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILDERS",
    "DEFAULT_CLIP",
    "DEFAULT_FORMATS",
    "DEFAULT_MODELS",
    "PAPER_FIGURES",
    "FigureManifest",
    "FigureSession",
    "FigureSpec",
    "PaperPart",
    "check_figures_out",
    "checkpoint_sha256",
    "data_content_fingerprint",
    "make_figures",
    "manifest_files",
    "model_label",
    "paper_caption_table",
    "paper_density_figure",
    "paper_finegrained_figure",
    "paper_gate_figure",
    "paper_gate_table",
    "paper_histogram_figure",
    "paper_map_figure",
    "paper_onset_figure",
    "paper_parts_figure",
    "paper_sweep_table",
]
