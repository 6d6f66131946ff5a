"""Reports: one analysis run end to end — its tables, its figures and a short summary — as the
``m2t-interpret`` analysis commands produce them. Notebooks call the same functions::

    from m2t_interpret import reports, session
    ctx = session.open_analysis(model="synthetic-guided", data="synthetic")
    rep = reports.density_report(ctx, ["walk", "the"])
    rep.tables["summary"]            # a DataFrame
    rep.figure("density")            # a matplotlib Figure (interactive=True: plotly; width=3.35: inches)
    rep.captions["density"]          # its caption: what it shows, with the numbers the title leaves out
    rep.write("m2t-out", ["png", "html", "csv"])

A :class:`Report` holds DataFrames and, per figure, the plotting function and its DataFrame
arguments; figures are drawn only when asked for, static or interactive. The session a report is
built from (model, data, capture, token table) is opened by :mod:`m2t_interpret.session`, whose
names this module re-exports (``reports.open_analysis`` is ``session.open_analysis``).

The plotting modules (matplotlib, plotly), the attribution runs (torch) and the agreement and
faithfulness analyses (scipy, torch) are imported inside the functions that need them: a report of
a capture read from the cache, written as tables only, loads none of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from . import analysis as A
from .attribution.table import RESOLUTION
from .errors import M2TError
from .io import check_out_folder
from .outputs import OutputFolder
from .result import CaptureResult
from .session import (HELDOUT_CLIPS, HELDOUT_SEED, AnalysisContext, heldout_corpus,  # noqa: F401 (re-exported)
                      open_analysis, resolve_analysis_data)
from .skeletons import PARTS

FIGURE_FORMATS = ("png", "pdf", "svg", "html")
TABLE_FORMATS = ("csv", "md", "tex")
DEFAULT_FORMATS = ("png", "html", "csv", "md")
#: Tables longer than this are written as CSV only (Markdown/LaTeX are for reading).
READABLE_ROWS = 500
#: The paper's motion words of its Fig. 2a (those present in the data are used by default).
PAPER_MOTION_WORDS = ("run", "pick", "kick", "turn", "forward", "dance", "squat", "wipe", "punch", "backward",
                      "jump", "walk", "wave")


# ---------------------------------------------------------------------------------------------
# the report object
# ---------------------------------------------------------------------------------------------

@dataclass
class Report:
    """Tables, figures (drawn on demand), their captions and a printed summary of one analysis.
    A figure's title is short (model, clip, word); its caption says what it shows with the numbers
    (the caption with β̂ per token, counts, bandwidths) and is written beside it."""

    name: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, tuple[str, tuple, dict]] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)
    #: The numbers of a figure's caption alone (its panel's part of a paper figure's caption).
    details: dict[str, str] = field(default_factory=dict)

    def figure(self, key: str, interactive: bool = False, width: float | None = None):
        """Draw figure ``key``: a matplotlib Figure ``width`` inches wide (None: the figure's own
        width), or a plotly Figure with ``interactive`` (its page sets the width; its Jupyter output
        also holds a PNG of the static figure, for viewers that run no JavaScript)."""
        if not interactive:
            return self._draw(key, static=True, width=width)
        from .plotting.notebook import NotebookFigure  # plotly: only to draw

        return NotebookFigure(self._draw(key, static=False), static=lambda: self._draw(key, static=True, width=width))

    def _draw(self, key: str, static: bool, width: float | None = None):
        from .plotting import interactive as interactive_plots  # matplotlib and plotly: only to draw
        from .plotting import static as static_plots

        fn_name, args, kwargs = self.figures[key]
        if not static:
            return getattr(interactive_plots, fn_name)(*args, **kwargs)
        return getattr(static_plots, fn_name)(*args, **kwargs, width=width)

    def write(self, out_dir: str | os.PathLike, formats: Sequence[str] = DEFAULT_FORMATS,
              plotlyjs: str = "shared", width: float | None = None) -> list[Path]:
        """Write every table and figure as ``<out>/<name>_<key>.<format>`` (static figures ``width``
        inches wide), each figure's caption beside it (``.caption.txt``, and ``.caption.tex`` with
        the ``tex`` format); returns the paths.

        The files appear together or not at all, never replace a file the tool did not write (or
        that changed since), and the files of this report's previous run in the folder that this run
        does not write are removed (:class:`~m2t_interpret.outputs.OutputFolder`, owner ``name``).
        HTML figures load one ``plotly.min.js`` written beside them (``plotlyjs="shared"``), or
        embed it (``"inline"``)."""
        check_formats(formats)
        folder = OutputFolder(check_out_dir(out_dir), self.name)
        with folder.transaction() as stage:
            return folder.final(stage, self.write_files(stage, formats, plotlyjs, width))

    def write_files(self, out: Path, formats: Sequence[str] = DEFAULT_FORMATS, plotlyjs: str = "shared",
                    width: float | None = None) -> list[Path]:
        """Write the files straight into ``out``, with no ledger and no staging: for a caller that
        writes a whole folder at once and records it itself (``figures``)."""
        from .plotting import save_figure, write_table  # matplotlib and plotly: only to write
        from .plotting.save import check_plotlyjs, write_caption

        formats = check_formats(formats)
        plotlyjs = check_plotlyjs(plotlyjs)
        paths: list[Path] = []
        table_formats = [f for f in formats if f in TABLE_FORMATS]
        for key, df in self.tables.items():
            # Markdown and LaTeX are for reading: per-token tables go to CSV only.
            fmts = [f for f in table_formats if f == "csv" or len(df) <= READABLE_ROWS]
            if fmts:
                paths += write_table(df, out / f"{self.name}_{key}", fmts, index=_keeps_index(df))
        static_formats = [f for f in formats if f in ("png", "pdf", "svg")]
        for key in self.figures:
            stem = out / (self.name if key == self.name else f"{self.name}_{key}")
            if static_formats:
                fig = self.figure(key, width=width)
                paths += save_figure(fig, stem, static_formats)
            if "html" in formats:
                paths += [p for p in save_figure(self._draw(key, static=False), stem, ["html"], plotlyjs)
                          if p not in paths]
            if key in self.captions and (static_formats or "html" in formats):
                paths += write_caption(self.captions[key], stem, latex="tex" in formats)
        return paths


def _keeps_index(df: pd.DataFrame) -> bool:
    return df.index.name is not None


def captioned(**figures: tuple[str, str]) -> dict[str, dict[str, str]]:
    """A report's ``captions`` and ``details`` from ``key=(what the figure shows, its numbers)``."""
    return {"captions": {k: f"{what} {numbers}".strip() for k, (what, numbers) in figures.items()},
            "details": {k: numbers for k, (_, numbers) in figures.items() if numbers}}


def check_formats(formats: Sequence[str]) -> list[str]:
    """Validate ``--format`` values (comma-separated values allowed)."""
    out = []
    for item in formats:
        for f in str(item).split(","):
            f = f.strip().lower().lstrip(".")
            if not f:
                continue
            if f not in FIGURE_FORMATS + TABLE_FORMATS:
                raise M2TError(f"unknown --format {f!r}; use any of: {', '.join(FIGURE_FORMATS + TABLE_FORMATS)}")
            if f not in out:
                out.append(f)
    if not out:
        raise M2TError("no output format given; use e.g. --format png --format csv")
    return out


def check_out_dir(out_dir: str | os.PathLike) -> Path:
    """The output folder: a folder or absent (created on the first write), not under a file, writable —
    checked before any work by the CLI, and again before writing (:func:`m2t_interpret.io.check_out_folder`).
    Files of the same name are replaced only when the tool wrote them (:mod:`m2t_interpret.outputs`)."""
    return check_out_folder(out_dir, "figures and tables")


# ---------------------------------------------------------------------------------------------
# one builder per analysis command
# ---------------------------------------------------------------------------------------------

def _no_gt_note(ctx: AnalysisContext) -> list[str]:
    return [] if ctx.has_ground_truth else ["no ground truth for this data: ground-truth scores are not computed"]


def _alignment_note(ctx: AnalysisContext) -> list[str]:
    if ctx.capture.mode == "forced" or not ctx.has_ground_truth:
        return []
    a = A.alignment_summary(ctx.table)
    return [f"generated captions: {a['aligned']} of {a['motion_words']} motion words aligned to the ground truth "
            f"by stem and order"]


def _chosen_words(ctx: AnalysisContext, words: Sequence[str], non_motion: bool, default: Sequence[str]) -> list[str]:
    """The words asked for (else the defaults present), and the non-motion words present with ``non_motion``."""
    present = set(ctx.table["stem"])
    chosen = list(words)
    if not chosen:
        chosen = [w for w in default if A.stem_of(w) in present]
        if not chosen:
            raise M2TError("none of the default words occurs in these captions; name some with --word")
    if non_motion:
        chosen += [w for w in A.DEFAULT_NON_MOTION if A.stem_of(w) in present]
    return chosen


def _stems(ctx: AnalysisContext, words: Sequence[str], non_motion: bool, default: Sequence[str]) -> list[str]:
    return A.select_stems(ctx.table, _chosen_words(ctx, words, non_motion, default))


def density_rows(table: pd.DataFrame, summary: pd.DataFrame, asked: Sequence[str]) -> pd.DataFrame:
    """The density summary as its figure draws it: each stem's row named by the word as asked for
    (``label``: "walk" for ``--word walk``, not the most frequent form "walks") and marked as a
    motion word or not (``motion``: most of its labelled tokens are motion words)."""
    labels: dict[str, str] = {}
    for w in asked:
        labels.setdefault(A.stem_of(w), str(w).strip())
    tokens = A.gate.labelled_tokens(table)
    motion = tokens.groupby("stem")["motion"].mean() > 0.5 if len(tokens) else pd.Series(dtype=bool)
    stems = summary["stem"].astype(str)
    return summary.assign(label=[labels.get(s, w) for s, w in zip(stems, summary["word"])],
                          motion=stems.map(motion).fillna(False).astype(bool).to_numpy())


def _density_caption(rows: pd.DataFrame) -> tuple[str, str]:
    words = "; ".join(f"{r.label}: n={int(r.count)}, median {r.median:.2f}"
                      + (f", h={r.bandwidth:.2g}" if np.isfinite(r.bandwidth) else ", no spread")
                      for r in rows.itertuples())
    return ("β̂ (motion gate) per word: Gaussian kernel density on [0, 1] with Scott's bandwidth h, each row "
            "scaled to its own peak; motion words and the other words in two groups.", f"{words}.")


def density_report(ctx: AnalysisContext, words: Sequence[str] = (), non_motion: bool = False) -> Report:
    """β̂ kernel density per word stem (Fig. 2a/3) and a table of count, mean, median and quartiles."""
    asked = _chosen_words(ctx, words, non_motion, PAPER_MOTION_WORDS)
    stems = A.select_stems(ctx.table, asked)
    density = A.beta_density(ctx.table, stems)
    summary = A.beta_summary(ctx.table, stems)
    rows = density_rows(ctx.table, summary, asked)
    return Report("density", tables={"summary": summary, "curves": density},
                  figures={"density": ("density_figure", (density, rows), {})},
                  summary=summary[["word", "stem", "words", "count", "mean", "median", "q1", "q3"]],
                  **captioned(density=_density_caption(rows)))


def hist_report(ctx: AnalysisContext, words: Sequence[str] = ()) -> Report:
    """Per-part maximum-attention histograms (Fig. 2b/4)."""
    stems = _stems(ctx, words, False, PAPER_MOTION_WORDS)
    hist = A.max_attention_histogram(ctx.table, stems)
    summary = A.max_attention_summary(ctx.table, stems)
    wide = summary.pivot(index=["word", "stem"], columns="part", values="share_largest")[list(A.groundtruth.PARTS)]
    wide.insert(0, "total", summary.groupby(["word", "stem"])["total"].first())
    wide.columns.name = None
    tables = {"counts": hist, "summary": summary}
    if ctx.has_ground_truth:  # the histograms' maxima scored against the truth (annotated or kinematic)
        tables["truth"] = A.max_attention_truth(ctx.table, stems)
    counts = ", ".join(f"{r.word} n={int(r.total)}" for r in wide.reset_index().itertuples())
    return Report("hist", tables=tables,
                  figures={"hist": ("histogram_figure", (hist,), {})},
                  summary=wide.reset_index(), notes=["summary: share of occurrences where each part has the "
                                                     "largest max attention"],
                  **captioned(hist=("Maximum attention α·Γ of each occurrence of a word, per body part (25 bins on "
                                    "[0, 1]), one panel per word.", f"Occurrences: {counts}.")))


def parts_report(ctx: AnalysisContext) -> Report:
    """Body-part identification for every motion word, scored against the true parts."""
    pred = A.part_predictions(ctx.table)
    scores = A.part_scores(pred)
    confusion = A.part_confusion(pred)
    tables = {"predictions": pred, "scores": scores, "confusion": confusion}
    summary = (scores[scores["group"] != "word"].drop(columns=["group", "stem"]) if not scores.empty else
               pred.groupby("predicted_part").size().rename("words").reset_index())
    caption = ("Body-part identification of every motion word: pointing accuracy (the most attended part is a true "
               "part) per word category beside chance (dashed) and the best constant answer (solid); the true × "
               "predicted part counts, coloured by the share of the true part's words.")
    return Report("parts", tables=tables, figures={"parts": ("parts_figure", (scores, confusion), {})},
                  summary=summary, notes=_no_gt_note(ctx) + _alignment_note(ctx), **captioned(parts=(caption, "")))


def onset_report(ctx: AnalysisContext, clip: str | None = None) -> Report:
    """Temporal localisation over the split, and Γ curves for one clip (Fig. 5)."""
    pred = A.temporal_predictions(ctx.table)
    cap = ctx.capture
    scores = A.temporal_scores(pred, cap.downsample, cap.fps)
    if clip is None:  # default: the first clip with several actions, else the first clip
        several = ctx.table.loc[ctx.table["n_actions"] > 1, "clip_id"]
        clip = str(several.iloc[0]) if len(several) else cap.clip_ids[0]
    n = cap.clip_index(clip)
    cid = cap.clip_ids[n]
    rows = ctx.table[ctx.table["clip_id"] == cid].set_index("step")["motion"]
    curves = A.window_curves(cap, n, rows.eq(True))
    segments = A.table_segments(ctx.table, cid)
    tables = {"predictions": pred, "scores": scores, f"clip_{cid}": curves,
              f"caption_{cid}": caption_tokens(cap, ctx.table, n)}
    figures = {"curves": ("onset_figure", (curves, segments), {"title": clip_title(cap, n)})}
    truth = "; ".join(f"{str(r.action).replace('_', ' ')} {r.start_s:.1f}–{r.end_s:.1f} s"
                      for r in segments.itertuples())
    captions = {"curves": ("Temporal window Γ of each motion word over time; dashed: Γ = 0.5, the threshold of its "
                           "interval; shaded: the true action segments.",
                           f"Clip {cid}" + (f", true segments {truth}" if truth else "")
                           + f". {caption_text(cap, ctx.table, n)}.")}
    if not scores.empty:
        figures["scores"] = ("temporal_scores_figure", (scores,), {})
        captions["scores"] = ("Temporal localisation of the motion words per clip group: μ inside the true segment, mean "
                              "tIoU and R@1 at IoU ≥ 0.3/0.5/0.7, beside chance and the best constant answer.", "")
    return Report("onset", tables=tables, figures=figures, **captioned(**captions),
                  summary=scores if not scores.empty else None, notes=_no_gt_note(ctx) + _alignment_note(ctx))


def gate_report(ctx: AnalysisContext) -> Report:
    """Motion vs non-motion separation by β̂: AUROC, best-threshold accuracy, densities, wrong-side words."""
    sep = A.gate_separation(ctx.table)
    errors = A.gate_errors(ctx.table)
    tokens = A.gate.labelled_tokens(ctx.table)[["clip_id", "step", "word", "beta", "motion"]]
    s0 = sep.iloc[0]
    caption = ("β̂ of motion words and of the other words, density-normalised histograms on a log axis; dashed: the "
               "best threshold.", f"{int(s0['n_motion'])} motion words and {int(s0['n_non_motion'])} others, labels "
               f"from the {s0['labels']}; threshold {s0['best_threshold']:.2f} (accuracy {s0['accuracy']:.2f}); AUROC "
               f"{s0['auroc']:.3f} (chance {s0['chance_auroc']:.2f}).")
    return Report("gate", tables={"separation": sep, "words": errors},
                  figures={"gate": ("gate_figure", (tokens, sep), {})}, **captioned(gate=caption),
                  summary=sep, notes=[f"labels from the {sep['labels'].iloc[0]}; most wrong-side words: "
                                      + ", ".join(errors[errors["wrong_share"] > 0.5]["word"].head(8))])


def clip_title(cap: CaptureResult, n: int) -> str:
    """A per-clip figure's title: the clip id (and "forced" for a caption forced on the reference);
    the caption itself goes to the figure's caption and table."""
    return f"clip {cap.clip_ids[n]}" + (" (forced)" if cap.mode == "forced" else "")


def _reference(cap: CaptureResult, n: int) -> str:
    return cap.references[n][0] if cap.references and cap.references[n] else ""


def caption_tokens(cap: CaptureResult, table: pd.DataFrame, n: int) -> pd.DataFrame:
    """Clip ``n``'s caption token by token with its β̂ and motion label (``caption``: prediction, or
    forced for a caption forced on the reference), then the reference's words (no β̂)."""
    cid = cap.clip_ids[n]
    rows = table[(table["clip_id"] == cid) & ~table["is_special"].astype(bool)].sort_values("step")
    said = pd.DataFrame({"clip_id": cid, "caption": "forced" if cap.mode == "forced" else "prediction",
                         "position": np.arange(len(rows)), "word": rows["word"].astype(str).to_numpy(),
                         "beta": rows["beta"].to_numpy(float),
                         "motion": rows["motion"].to_numpy(object) if "motion" in rows else None})
    ref = _reference(cap, n).split()
    heard = pd.DataFrame({"clip_id": cid, "caption": "reference", "position": np.arange(len(ref)), "word": ref,
                          "beta": np.nan, "motion": None})
    return pd.concat([said, heard], ignore_index=True) if ref else said


def caption_text(cap: CaptureResult, table: pd.DataFrame, n: int) -> str:
    """Clip ``n``'s caption with β̂ after each token, and its reference: what a figure's caption says."""
    tokens = caption_tokens(cap, table, n)
    said = tokens[tokens["caption"] != "reference"]
    words = " ".join(f"{r.word} ({r.beta:.2f})" for r in said.itertuples())
    what = "Caption forced on the reference" if cap.mode == "forced" else "Generated caption"
    ref = _reference(cap, n)
    return f"{what}, β̂ after each word: {words}" + (f"; reference: “{ref}”" if ref else "")


def map_report(ctx: AnalysisContext, clip: str) -> Report:
    """Spatio-temporal attention map (parts × frames of α·Γ), one panel per motion word (Fig. 7)."""
    cap = ctx.capture
    n = cap.clip_index(clip)
    rows = ctx.table[ctx.table["clip_id"] == cap.clip_ids[n]]
    steps = rows.loc[rows["motion"].eq(True), "step"].tolist() or rows.loc[~rows["is_special"], "step"].tolist()
    amap = A.attention_map(cap, n, steps)
    cid = cap.clip_ids[n]
    caption = ("Attention α·Γ (the part's attention α times the temporal window Γ) per body part and frame of each "
               "motion word, β̂ beside the word.", f"Clip {cid}. {caption_text(cap, ctx.table, n)}.")
    return Report("map", tables={cid: amap, f"caption_{cid}": caption_tokens(cap, ctx.table, n)},
                  figures={"map": ("map_figure", (amap,), {"title": clip_title(cap, n)})}, **captioned(map=caption),
                  summary=amap.groupby(["step", "word", "beta"], as_index=False)["value"].max()
                  .rename(columns={"value": "max α·Γ"}))


def finegrained_report(ctx: AnalysisContext, clip: str) -> Report:
    """Each motion word of one clip with its body part and time interval (Fig. 6)."""
    cap = ctx.capture
    n = cap.clip_index(clip)
    cid = cap.clip_ids[n]
    fg = A.fine_grained(ctx.table, cid)
    lines = A.fine_grained_text(fg)
    caption = ("Fine-grained caption, one row per motion word: its interval μ ± σ·√(2 ln 2) in the colour of its most "
               "attended part, its true segment hatched under it, β̂ at the right.",
               f"Clip {cid}. {caption_text(cap, ctx.table, n)}." + (f" Words: {'; '.join(lines)}." if lines else ""))
    return Report("finegrained", tables={cid: fg, f"caption_{cid}": caption_tokens(cap, ctx.table, n)},
                  figures={"finegrained": ("finegrained_figure", (fg,), {"title": clip_title(cap, n)})},
                  summary=fg, notes=lines, **captioned(finegrained=caption))


def ablate_gate_report(ctx: AnalysisContext, pinned: AnalysisContext) -> Report:
    """Captions with β̂ pinned beside the adaptive ones and the references (Table 3)."""
    per_clip = A.gate_ablation(ctx.capture, pinned.capture)
    scores = A.gate_ablation_scores(ctx.capture, pinned.capture)
    changed = int(per_clip["changed"].sum())
    caption = (f"Caption metrics with the adaptive gate beside β̂ pinned to {pinned.capture.beta_pinned:g}, and the "
               "change.", f"{changed} of {len(per_clip)} captions changed.")
    return Report("ablate_gate", tables={"captions": per_clip, "scores": scores},
                  figures={"ablate_gate": ("ablation_figure", (scores,), {})}, summary=scores,
                  **captioned(ablate_gate=caption),
                  notes=[f"{changed} of {len(per_clip)} captions change with β̂ pinned to "
                         f"{pinned.capture.beta_pinned:g}", f"protocol: {scores.attrs.get('protocol', '')}"])


def compare_report(contexts: dict[str, AnalysisContext], caption_contexts: dict[str, AnalysisContext]) -> Report:
    """Every interpretability score and caption metric for several models, side by side."""
    scores = {name: A.interpretability_scores(ctx.table, ctx.capture.downsample, ctx.capture.fps)
              for name, ctx in contexts.items()}
    captions = {name: A.caption_metrics(ctx.capture) for name, ctx in caption_contexts.items()}
    table = A.compare_table(scores, captions)
    models = list(contexts)
    first = next(iter(contexts.values()))
    notes = _no_gt_note(first) + [
        f"interpretability scores from {first.decode} decoding; caption metrics from greedy decoding "
        f"({next(iter(captions.values()))['protocol']})" if captions else ""]
    caption = ("Every interpretability score and caption metric, one panel per score, one bar per model, beside chance "
               "(dashed) and the best constant answer (solid).", f"Models: {', '.join(models)}.")
    return Report("compare", tables={"scores": table}, figures={"compare": ("compare_figure", (table, models), {})},
                  summary=table, notes=[n for n in notes if n], **captioned(compare=caption))


# ---------------------------------------------------------------------------------------------
# attention checked against attribution: attribute, faithfulness, sanity
# ---------------------------------------------------------------------------------------------

def model_inputs(ctx: AnalysisContext):
    """The preprocessed clips (N, T, F) and lengths (N,) of the context's capture, in its order."""
    from .attribution.run import capture_inputs  # loads torch: only where the model runs

    return capture_inputs(ctx.model, ctx.capture, ctx.root, ctx.split)


def open_attribution(ctx: AnalysisContext, methods: Sequence[str] = ("ig",), target: str = "logprob",
                     baseline: str = "first_pose", n_steps: int = 32, joint_groups=None, cache: bool = True,
                     progress: bool = True, log: Callable[[str], None] | None = None, shard: str | None = None):
    """Attribute the words of a forced-decoding context by each method (each cached on its own,
    keyed by model, data, clips and settings); attention comes along as the method "attention".
    ``shard`` "i/n" attributes only that shard's clips into the cache; once all n are there, an
    unsharded call merges them (:func:`~m2t_interpret.attribution.split.attribute_split`)."""
    from .attribution.split import attribute_split  # loads torch: only where the model runs

    return attribute_split(ctx.model, ctx.capture, ctx.root, ctx.split, methods, target=target, baseline=baseline,
                           n_steps=n_steps, joint_groups=joint_groups, shard=shard, cache=cache, progress=progress,
                           log=log, model_name=ctx.model_name)


def attribute_report(ctx: AnalysisContext, result, method: str, clip: str | None = None) -> Report:
    """Per-word part bars (attention beside the method) and frame × part maps of one clip, the tidy
    part and frame tables, agreement per word category and the ground-truth scores."""
    # scipy: loaded by the attribution reports only
    from .analysis.agreement import agreement_summary, word_agreement
    from .analysis.attribution_truth import truth_scores, truth_wide

    words = word_agreement(result, ctx.table)
    summary = agreement_summary(words, result)
    truth = truth_scores(ctx.table, result) if ctx.has_ground_truth else pd.DataFrame()
    n = result.clip_index(clip if clip is not None else result.clip_ids[0])
    cid = result.clip_ids[n]
    parts = result.to_dataframe()
    clip_parts = parts[parts["clip_id"] == cid]
    frames = result.frame_table([m for m in result.methods if "frames" in RESOLUTION.get(m, ())])
    maps = _clip_maps(result, n, method)
    title = f"{cid}: “{ctx.capture.row_caption(ctx.capture.clip_index(cid))}” ({method} vs attention)"
    tables = {"parts": parts, "frames": frames, "words": words, "agreement": summary}
    if not truth.empty:
        tables["truth"] = truth_wide(truth)
    figures = {"bars": ("attribution_bars_figure", (clip_parts,), {"title": title}),
               "map": ("attribution_map_figure", (maps,), {"title": f"{cid}: {method} attribution, frames × parts"})}
    wanted = summary[summary["group"].isin(["all words", "motion", "one part"])]
    notes = _no_gt_note(ctx)
    deltas = result.words_table().filter(like="delta_")
    if not deltas.empty:
        notes.append(f"IG convergence delta: median {float(deltas.median().iloc[0]):.2e}, "
                     f"max {float(deltas.max().iloc[0]):.2e} (|Σ attribution − (f(x) − f(baseline))|)")
    return Report("attribute", tables=tables, figures=figures, summary=wanted, notes=notes)


def _clip_maps(result, n: int, method: str) -> pd.DataFrame:
    """The frame × part map of one clip's words by ``method``, tidy: ``step, word, part, frame, time_s, value``."""
    t = int(result.lengths[n])
    rows = []
    for s in np.nonzero(result.step_mask[n])[0]:
        m = result.maps[method][n, s, :t]
        for k, p in enumerate(PARTS):
            rows.append(pd.DataFrame({"step": int(s), "word": result.word(int(result.targets[n, s])), "part": p,
                                      "frame": np.arange(t), "time_s": result.model_frame_to_seconds(np.arange(t)),
                                      "value": m[:, k].astype(float)}))
    return pd.concat(rows, ignore_index=True)


def faithfulness_report(ctx: AnalysisContext, result, method: str, seed: int = 0) -> Report:
    """Interventions on attention and on the input, the ablation table and the deletion curves."""
    from .analysis.faithfulness import (attention_interventions, deletion_curves,  # loads torch
                                        faithfulness_summary, input_deletion)

    x, lengths = model_inputs(ctx)
    words = attention_interventions(ctx.model, ctx.capture, x, lengths, result, method, seed=seed)
    inputs = input_deletion(ctx.model, ctx.capture, x, lengths, result, method)
    words = words.merge(inputs, on=["clip_id", "step", "word", "method"])
    keep = ctx.table.loc[~ctx.table["is_special"], ["clip_id", "step"]]
    words = words.merge(keep, on=["clip_id", "step"])
    summary = faithfulness_summary(words, ctx.table, seed=seed)
    curves = deletion_curves(words)
    wanted = summary[summary["group"].isin(["all words", "motion"])]
    return Report("faithfulness", tables={"words": words, "ablation": summary, "curves": curves},
                  figures={"curves": ("deletion_figure", (curves,), {"title": f"deletion curves ({method})"})},
                  summary=wanted, notes=["drop = log p(word) − log p(word | intervention); the chance levels are the "
                                         "mean over the parts other than the most-attended one (drop_other_parts, "
                                         "input_drop_other_parts) and a random window of the same length"])


def sanity_report(ctx: AnalysisContext, method: str, target: str = "logprob", baseline: str = "first_pose",
                  n_steps: int = 32, seed: int = 0) -> Report:
    """Cascading randomisation: rank correlation of attention and attribution with the trained model's."""
    from .analysis.sanity import cascading_randomisation  # loads torch and scipy

    x, lengths = model_inputs(ctx)
    table = cascading_randomisation(ctx.model, ctx.capture, x, lengths, method, seed=seed, target=target,
                                    baseline=baseline, n_steps=n_steps)
    wide = table.pivot_table(index=["step", "randomised"], columns=["explanation", "resolution"], values="spearman")
    wide.columns = [f"{e} {r}" for e, r in wide.columns]
    wide = wide.reset_index()
    return Report("sanity", tables={"cascade": table, "summary": wide},
                  figures={"sanity": ("sanity_figure", (table,), {"title": f"cascading randomisation ({method})"})},
                  summary=wide, notes=["Spearman ρ with the trained model's explanation, word by word; chance (an "
                                       "unrelated explanation) is 0"])


def attribution_compare_rows(contexts: dict[str, AnalysisContext], results: dict, method: str) -> pd.DataFrame:
    """The agreement and faithfulness section of ``compare``: one row per score, one column per model."""
    # scipy (agreement) and torch (faithfulness): loaded by the attribution reports only
    from .analysis.agreement import agreement_summary, word_agreement
    from .analysis.faithfulness import attention_interventions, faithfulness_summary

    rows = []
    for name, ctx in contexts.items():
        res = results[name]
        agree = agreement_summary(word_agreement(res, ctx.table), res)
        agree = agree[agree["group"].isin(["all words", "motion", "one part"])]
        for r in agree.itertuples():
            rows.append({"score": f"agreement {r.method}: {r.statistic}, {r.group}", "model": name,
                         "value": r.value, "chance": r.chance, "n": r.n})
        x, lengths = model_inputs(ctx)
        words = attention_interventions(ctx.model, ctx.capture, x, lengths, res, method)
        faith = faithfulness_summary(words, ctx.table)
        faith = faith[(faith["group"] == "motion") & faith["intervention"].isin(
            ["drop_top_attended", "drop_other_parts", "drop_top_attributed", "drop_window", "drop_random_window"])]
        for r in faith.itertuples():
            rows.append({"score": f"faithfulness: {r.intervention}, motion words", "model": name,
                         "value": r.mean_drop, "chance": np.nan, "n": r.n})
    df = pd.DataFrame(rows)
    wide = df.pivot_table(index="score", columns="model", values="value", sort=False)
    wide["chance"] = df.groupby("score", sort=False)["chance"].first()
    wide.columns.name = None
    return wide.reset_index()


__all__ = ["HELDOUT_SEED", "HELDOUT_CLIPS", "AnalysisContext", "Report", "open_analysis", "heldout_corpus",
           "resolve_analysis_data", "check_formats", "check_out_dir", "density_report", "hist_report",
           "parts_report", "onset_report", "gate_report", "map_report", "finegrained_report", "ablate_gate_report",
           "compare_report", "captioned", "density_rows", "clip_title", "caption_tokens", "caption_text", "open_attribution", "attribute_report", "faithfulness_report", "sanity_report",
           "attribution_compare_rows", "model_inputs"]
