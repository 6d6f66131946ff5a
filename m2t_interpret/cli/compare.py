"""Commands over several models: ``compare`` (every interpretability score and caption metric side by
side, optionally with an attribution section) and ``figures`` (the paper's figures and tables)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..attribution.table import check_method, method_names
from ..errors import M2TError
from ..pretrained import shipped_models
from .common import MODEL_METAVAR, app
from .options import ANALYSIS, AnalysisOptions, analysis_options, finish, header, open_context, shard_only


@app.command()
@analysis_options(*ANALYSIS[:-1], "attribution", "plotlyjs", "truth")
def compare(
    o: AnalysisOptions,
    model: Annotated[Optional[list[str]], typer.Option(
        "--model", "-m", metavar=MODEL_METAVAR,
        help="A model to compare (repeatable): shipped name or checkpoint. Default: every "
             "shipped model.")] = None,
    decode: Annotated[str, typer.Option("--decode", "-d", help="Decoding for the interpretability scores; forced "
                                                               "(default) aligns exactly with the ground truth. "
                                                               "Caption metrics always use greedy.")] = "forced",
    attribution: Annotated[Optional[str], typer.Option(
        "--attribution", metavar="METHOD",
        help=f"Also compare attention with this attribution method ({', '.join(method_names())}): agreement and "
             "faithfulness scores per model, as a section (compare_attribution.*), on forced decoding.")] = None,
) -> None:
    """One table of every interpretability score (beside chance and the best constant answer) and caption metric
    (BLEU@4, CIDEr) for several models, plus a side-by-side figure."""
    from ..reports import compare_report  # heavy: imported when the command runs

    names = model or shipped_models()
    o = replace(o, model=list(names)).checked()
    o.model = None
    if len(set(names)) != len(names):
        raise M2TError("each --model may be given once")
    if attribution is not None:
        check_method(attribution)
    contexts, greedy = {}, {}
    for name in names:
        ctx = open_context(o, model=name)
        label = ctx.model_name if ctx.model_name != "model" else Path(name).stem
        if label in contexts:
            label = str(name)
        contexts[label] = ctx
        greedy[label] = ctx if o.decode == "greedy" else open_context(o, model=name, decode="greedy")
    if shard_only(o, *contexts.values(), *greedy.values()):
        return
    first = next(iter(contexts.values()))
    report = compare_report(contexts, greedy)
    if attribution is not None:
        _attribution_section(report, o, contexts, attribution)
    finish(report, o, header(first, "comparison", ", ".join(contexts)))


def _attribution_section(report, o: AnalysisOptions, contexts: dict, method: str) -> None:
    """The agreement and faithfulness scores of ``method`` against attention, one column per model."""
    # heavy: imported when the command runs
    from ..attribution import check_method
    from ..reports import attribution_compare_rows, open_attribution

    method = check_method(method)
    forced = {name: (ctx if ctx.decode == "forced" else open_context(o, model=name, decode="forced"))
              for name, ctx in contexts.items()}
    results = {name: open_attribution(ctx, [method], cache=o.cache, progress=o.progress, log=typer.echo)
               for name, ctx in forced.items()}
    report.tables["attribution"] = attribution_compare_rows(forced, results, method)
    report.notes.append(f"attribution section ({method} vs attention): compare_attribution.*")


@app.command()
@analysis_options("out", "model", "data", "seed", "split", "clips", "clip", "runs", "only", "format", "width",
                  "plotlyjs", "device", "cache", "progress")
def figures(
    o: AnalysisOptions,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR",
                                      help="Folder for the figures, tables and MANIFEST.md: new, "
                                           "empty, or an earlier output of this command holding only "
                                           "the files its MANIFEST.md lists (it is then replaced "
                                           "whole).")],
    model: Annotated[Optional[list[str]], typer.Option(
        "--model", "-m", metavar=MODEL_METAVAR,
        help="A model (repeatable; one panel each, in order): shipped name or checkpoint. Default: "
             "synthetic-guided and synthetic-unguided (with and without attention supervision).")]
    = None,
    clip: Annotated[str, typer.Option("--clip", metavar="ID",
                                      help="Clip of the per-clip figures (Γ curves, fine-grained "
                                           "caption, map).")] = "000006",
    runs: Annotated[Optional[Path], typer.Option(
        "--runs", metavar="DIR", help="A sweep folder (the --out of `m2t-interpret sweep`) for Table 1.")] = None,
    only: Annotated[Optional[list[str]], typer.Option(
        "--only", metavar="NAME",
        help="Make only this figure or table (repeatable): fig2a_density, fig2b_hist, fig5_onset, "
             "fig6_finegrained, fig7_map, figS1_parts, figS2_gate, table1_sweep, table2_captions, "
             "table3_gate.")] = None,
    format: Annotated[Optional[list[str]], typer.Option(
        "--format", "-f", metavar="FORMAT,…",
        help="Output formats, repeatable or comma-separated: png, pdf, svg, html (figures), csv, "
             "md, tex (tables). Default: png, pdf, csv, md, tex.")] = None,
) -> None:
    """The analogues of the paper's Figures 2–7 and Tables 1–3 (Table 1 with --runs) for the given models, drawn
    by the analysis commands' own figure functions in a paper style (vector PDF and PNG, one colour-blind-safe
    colour per body part), with DIR/MANIFEST.md: each file, what it shows, the command, the models' and data's
    fingerprints and the package version. Deterministic: the same command writes the same tables."""
    from ..figures import DEFAULT_FORMATS, DEFAULT_MODELS, make_figures  # heavy: imported when the command runs

    manifest = make_figures(model or list(DEFAULT_MODELS), data=o.data, out=out, seed=o.seed, split=o.split,
                            clips=o.clips, clip=clip, runs=runs, formats=format or list(DEFAULT_FORMATS),
                            plotlyjs=o.plotlyjs, only=only, width=o.width, device=o.device, cache=o.cache,
                            progress=o.progress, log=typer.echo)
    typer.echo(f"wrote {len(manifest.files)} files and {out / 'MANIFEST.md'}")
