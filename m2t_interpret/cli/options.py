"""The options the analysis commands share, declared once — the fields of :class:`AnalysisOptions`,
each with its command-line option — and given to a command by :func:`analysis_options`; and the
steps every analysis command takes with them: open the analysis (capture, or read the cache), stop
after a shard, write the report and print its summary.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, get_type_hints

import typer

from ..errors import M2TError
from .common import DEVICE_HELP, MODEL_DEFAULT_HELP, MODEL_METAVAR, STATS_HELP, ProgressOpt

ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", metavar=MODEL_METAVAR, help=MODEL_DEFAULT_HELP)]
VocabOpt = Annotated[Optional[Path], typer.Option(metavar="FILE", help="Vocabulary JSON for an authors' checkpoint.")]
StatsOpt = Annotated[Optional[Path], typer.Option(metavar="FILE", help=STATS_HELP)]
AnalysisDataOpt = Annotated[str, typer.Option(
    "--data", metavar="synthetic|DIR",
    help="'synthetic': the test split of a held-out synthetic corpus (seed --seed, which the shipped "
         "models were not trained on; generated once into the cache), or a dataset folder in the "
         "HumanML3D layout (no ground truth: ground-truth scores are skipped).")]
SplitOpt = Annotated[str, typer.Option("--split", metavar="SPLIT", help="Split to analyse.")]
ClipsOpt = Annotated[Optional[int], typer.Option("--clips", min=1, metavar="N",
                                                 help="Use only the first N clips of the split.")]
DecodeOpt = Annotated[str, typer.Option(
    "--decode", "-d", metavar="MODE", help="greedy; forced (on each clip's first reference caption: exact ground-truth "
                           "alignment); beamK (batched beam, e.g. beam2); authors-beamK (the authors' search).")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", metavar="DIR",
                                      help="Folder for figures and tables (created if missing; "
                                           "files of the same name are replaced).")]
FormatOpt = Annotated[Optional[list[str]], typer.Option(
    "--format", "-f", metavar="FORMAT,…",
    help="Output formats, repeatable or comma-separated: png, pdf, svg (static figures), html "
         "(interactive, offline), csv, md, tex (tables). Default: png, html, csv, md.")]
WidthOpt = Annotated[Optional[str], typer.Option(
    "--width", metavar="column|text|INCHES",
    help="Width of the static figures (PNG, PDF, SVG): column (3.35 in, one column of a two-column paper), text "
         "(7.0 in, the full text width) or a width in inches; fonts print at 7-9 pt when a figure is placed at that "
         "width, heights follow the content up to 9 in. Default: each figure at the width that suits it.",
    show_default=False)]
SeedOpt = Annotated[int, typer.Option("--seed", metavar="N",
                                      help="Seed of the held-out synthetic corpus (--data synthetic).")]
DeviceOpt = Annotated[str, typer.Option(metavar="DEVICE", help=DEVICE_HELP)]
CacheOpt = Annotated[bool, typer.Option("--cache/--no-cache", help="Reuse a cached capture of the same model, "
                                                                   "data, split and decoding.")]
AnalysisShardOpt = Annotated[Optional[str], typer.Option(
    "--shard", metavar="I/N",
    help="Only capture shard i of n (e.g. 2/4) of the split into the capture cache and stop; once all n "
         "shards are captured (by parallel processes or machines sharing the cache), the same command "
         "without --shard merges them, bit for bit the unsharded capture, and writes the analysis.")]
PlotlyJsOpt = Annotated[str, typer.Option(
    "--plotlyjs", metavar="shared|inline",
    help="shared or inline: how HTML figures get plotly.js (they open offline either way): shared "
         "— one plotly.min.js (about 4.7 MB) written beside the pages of the folder and loaded by each; "
         "inline — embedded in every page (self-contained, 4–5 MB each).")]
# Options of several analysis commands that are not analysis settings.
WordOpt = Annotated[Optional[list[str]], typer.Option(
    "--word", "-w", metavar="WORD", help="A word (any form: walks, walking → stem walk); repeatable.")]
TruthOpt = Annotated[str, typer.Option(
    "--truth", metavar="TRUTH",
    help="What attention is scored against: annotated (the synthetic corpus's per-word annotations) or kinematic "
         "(read off the motion itself, for any data: a word's true part is the part that moves most among those it "
         "can name, its span that part's active span; see docs/interpretability.md).")]
ClipOpt = Annotated[Optional[str], typer.Option("--clip", metavar="ID",
                                                help="Clip id (e.g. 000012 or M000012) or index.")]


@dataclass
class AnalysisOptions:
    """The analysis options, declared once: each field is a command-line option (its type carries the
    option's flags and help) with its default; :func:`analysis_options` gives them to a command."""

    model: ModelOpt = None
    vocab: VocabOpt = None
    stats: StatsOpt = None
    data: AnalysisDataOpt = "synthetic"
    split: SplitOpt = "test"
    clips: ClipsOpt = None
    decode: DecodeOpt = "greedy"
    out: OutOpt = Path("m2t-out")
    format: FormatOpt = None
    width: WidthOpt = None
    seed: SeedOpt = 2
    device: DeviceOpt = "cpu"
    cache: CacheOpt = True
    progress: ProgressOpt = None
    shard: AnalysisShardOpt = None
    plotlyjs: PlotlyJsOpt = "shared"
    truth: TruthOpt = "annotated"

    def checked(self) -> AnalysisOptions:
        """These options with the formats and plotly.js mode normalised, once every option that can fail
        before any work is done (formats, decoding, seed, output folder, shard) has been checked."""
        # heavy: imported when the command runs
        from ..capture.dataset import parse_decode, parse_shard
        from ..plotting.save import check_plotlyjs
        from ..analysis.kinematic import check_truth
        from ..plotting.style import parse_width
        from ..reports import DEFAULT_FORMATS, check_formats, check_out_dir

        formats = check_formats(self.format or list(DEFAULT_FORMATS))
        parse_decode(self.decode)
        if self.seed < 0:
            raise M2TError(f"--seed must be ≥ 0, got {self.seed}")
        check_out_dir(self.out)
        if self.vocab is not None or self.stats is not None:  # a cached capture would otherwise ignore them silently
            from ..model.checkpoints import check_overrides  # heavy: imported when the command runs

            for name in (self.model if isinstance(self.model, list) else [self.model]) or [None]:
                check_overrides(name, self.vocab, self.stats)
        check_truth(self.truth)
        if self.shard is not None:
            parse_shard(self.shard)
            if not self.cache:
                raise M2TError("--shard keeps the shard in the capture cache for the unsharded run to merge; drop "
                               "--no-cache (or write shards to folders with `m2t-interpret capture --shard`)")
        return replace(self, format=formats, plotlyjs=check_plotlyjs(self.plotlyjs), width=parse_width(self.width))


#: The analysis options of a command that writes an analysis, in the order its help lists them (``truth``
#: only for the commands that score against a ground truth: they add it, see SCORED).
ANALYSIS = tuple(f.name for f in fields(AnalysisOptions) if f.name != "truth")
#: Those of a command that scores attention against a ground truth: the analysis options and --truth.
SCORED = (*ANALYSIS, "truth")
#: Those of an attribution command: forced decoding, no shards.
ATTRIBUTION = tuple(name for name in ANALYSIS if name not in ("decode", "shard"))
#: Those of a command that shows a few clips: no output folder, formats, cache or shards.
CLIP_VIEW = ("model", "vocab", "stats", "data", "split", "decode", "seed", "device", "progress")


def analysis_options(*names: str, **values: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the analysis options ``names`` (fields of :class:`AnalysisOptions`, declared there
    once): its help lists them after its own options, in the order of ``names``, and it receives them as
    one :class:`AnalysisOptions`, its first parameter ``o``, and its own options as keywords.

    ``values`` sets the default of a named option, or the value of a field that is not an option of
    this command. A command that declares a parameter of one of the names itself (another help, another
    type) has that option in its place (and gets it both ways); ``names`` may also place the command's
    own options among the shared ones.
    """
    hints = get_type_hints(AnalysisOptions, include_extras=True)
    shared = {f.name: inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name],
                                        default=values.get(f.name, f.default))
              for f in fields(AnalysisOptions)}

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = dict(inspect.signature(command, eval_str=True).parameters)
        del own["o"]
        missing = [n for n in names if n not in shared and n not in own] + [n for n in values if n not in shared]
        if missing:
            raise TypeError(f"{command.__name__}: no option {', '.join(missing)}")
        params = [p for n, p in own.items() if n not in names] + [own.get(n, shared.get(n)) for n in names]
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]
        packed = [n for n in names if n in shared]
        fixed = {n: v for n, v in values.items() if n not in names}

        @functools.wraps(command)
        def run(**given):
            options = AnalysisOptions(**fixed, **{n: given[n] for n in packed})
            return command(options, **{n: v for n, v in given.items() if n in own})

        # typer reads a command's options from its signature: the command's own and the shared ones
        run.__signature__ = inspect.Signature(params, return_annotation=None)
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate


def open_context(o: AnalysisOptions, model: Optional[str] = None, decode: Optional[str] = None, beta=None):
    """The analysis of ``o`` (another model, decoding or a pinned β̂ where given): captured, or read from
    the cache."""
    from ..session import AnalysisSettings, open_analysis  # heavy: imported when the command runs

    # the session's settings are the command line's options of the same names (declared once, there)
    settings = AnalysisSettings(**{f.name: getattr(o, f.name) for f in fields(AnalysisSettings) if hasattr(o, f.name)})
    settings = replace(settings, model=model if model is not None else o.model, decode=decode or o.decode, beta=beta)
    return open_analysis(settings, log=typer.echo)


def shard_only(o: AnalysisOptions, *contexts) -> bool:
    """With --shard: say what was captured and that the analysis waits for the unsharded run."""
    if o.shard is None:
        return False
    n = o.shard.split("/")[1]
    for ctx in {id(c): c for c in contexts}.values():  # compare may pass one context twice
        cap = ctx.capture
        typer.echo(f"shard {o.shard} of split {ctx.split} ({ctx.decode}"
                   + (f", β̂ = {cap.beta_pinned:g}" if cap.beta_pinned is not None else "") + f", model "
                   f"{ctx.model_name}): {cap.n_clips} clips, {cap.n_tokens} tokens"
                   + (" (already in the cache)" if ctx.from_cache else " captured into the cache"))
    typer.echo(f"no analysis written: once all {n} shards are captured, run the same command without --shard; it "
               "merges them (bit for bit the unsharded capture) and writes the analysis")
    return True


def analyse(o: AnalysisOptions, build: Callable, what: str) -> None:
    """Capture (or, with --shard, only capture), build the report from the context, write it."""
    ctx = open_context(o)
    if not shard_only(o, ctx):
        finish(build(ctx), o, header(ctx, what))


def finish(report, o: AnalysisOptions, heading: str) -> None:
    """Write the report's files, then print the heading, the summary table, the notes and the files."""
    import pandas as pd  # heavy: imported when the command runs

    paths = report.write(o.out, o.format, o.plotlyjs, width=o.width)
    typer.echo(heading)
    if report.summary is not None and len(report.summary):
        with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_colwidth", 60):
            typer.echo(report.summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in report.notes:
        typer.echo(note)
    typer.echo("wrote:")
    for p in paths:
        typer.echo(f"  {p}")


def header(ctx, what: str, models: Optional[str] = None) -> str:
    """The line above a report: what, which model(s), data, split, clips, tokens and decoding."""
    cap = ctx.capture
    data = "synthetic corpus" if (ctx.root / "corpus.json").is_file() else "dataset"
    return (f"{what} · model {models or ctx.model_name} · data: {data} {ctx.root} · split {ctx.split} · "
            f"{cap.n_clips} clips, {cap.n_tokens} tokens · decoding {ctx.decode}"
            + (" (capture read from the cache)" if ctx.from_cache else ""))
