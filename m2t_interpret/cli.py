"""Command-line interface: a thin layer over library functions that notebooks call the same way.

Every command turns :class:`~m2t_interpret.errors.M2TError` (bad input) into one line on stderr
and exit code 2, with no traceback.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional, get_args

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import M2TError
from .pretrained import DEFAULT_MODEL, shipped_models

#: Words for the value of an option that names none (``metavar``), by the value's type: typer's own
#: placeholders (``<int>``, ``<list[str]>``, ``<int range>``) name Python types, not what to type.
_VALUE_WORDS = {int: "N", float: "NUMBER", Path: "PATH", str: "TEXT"}
#: The command now running (set as the command line is resolved): what Ctrl-C reports.
_RUNNING: dict = {}


def _value_word(param) -> Optional[str]:
    """A word for the value of ``param`` from its type, where typer describes it in ``type_descriptor``
    (the releases that print ``<int>``); older releases print click's words (TEXT, INTEGER …): left as is."""
    described = getattr(param, "type_descriptor", None)
    if described is None:
        return None
    annotation = described.annotation
    if getattr(described, "is_tuple", False):
        return " ".join(_VALUE_WORDS.get(a, "VALUE") for a in get_args(annotation))
    if getattr(described, "is_list", False):
        annotation = (get_args(annotation) or (str,))[0]
    return _VALUE_WORDS.get(annotation, "VALUE")


def _name_values(command, ctx) -> None:
    """Name every value of ``command``'s options and arguments in words (see :class:`_ReadableHelp`)."""
    helper = command.get_help_option(ctx)
    for param in [*command.params, *([helper] if helper is not None else [])]:
        if param.metavar is None:  # a flag takes no value: no placeholder
            param.metavar = "" if getattr(param, "is_flag", False) else _value_word(param)
        if param.param_type_name == "argument" and hasattr(param, "display_type_rich"):
            # these releases print an argument's type beside its name, even when the name is a metavar
            param.display_type_rich = lambda ctx: ""


class _ReadableHelp(TyperGroup):
    """The help of every command as a person reads it, fixed in this one place:

    * a group's command list gives each command's first docstring paragraph as one sentence that
      flows to the terminal's width (typer's rich help keeps the docstring's own line breaks there,
      breaking lines mid-sentence);
    * every value is named in words (``N``, ``PATH``, an option's own ``metavar`` such as ``WORD`` or
      ``ID,ID…``), never by a Python type (``<list[str]>``), and a flag shows none.

    It also notes which command runs and, on Ctrl-C, prints the one line saying what stopped and what
    was kept (:func:`_interrupted_line`) before exiting with code 130 — typer would exit silently."""

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            if command.help and not command.short_help:
                first = inspect.cleandoc(command.help).partition("\f")[0].split("\n\n")[0]
                command.short_help = " ".join(first.split())
            _name_values(command, ctx)
        return command

    def get_params(self, ctx):
        _name_values(self, ctx)
        return super().get_params(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            typer.echo(_interrupted_line(), err=True)
            raise typer.Exit(code=130) from None

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, TyperGroup):
            _RUNNING.update(path=f"{ctx.command_path} {name}", name=name, command=command, args=list(rest),
                            parent=ctx)
        return name, command, rest


app = typer.Typer(
    name="m2t-interpret",
    cls=_ReadableHelp,
    help="Interpretable motion captioning: caption motions and see where, when and whether the "
    "captioner looked at the motion for every word.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(cls=_ReadableHelp, help="Inspect motion–language datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"m2t-interpret {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Interpretable motion captioning."""


def fail(message: str) -> None:
    """Print a one-line error and exit with code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


# ---------------------------------------------------------------------------------------------
# model commands: caption, convert
# ---------------------------------------------------------------------------------------------

DEVICE_HELP = "Where to run: cpu, cuda or cuda:N."
MODEL_HELP = (f"A shipped model ({', '.join(shipped_models())}), a project checkpoint (.pt) or an authors' "
              f"checkpoint (needs --vocab).")
MODEL_DEFAULT_HELP = f"{MODEL_HELP} Default: {DEFAULT_MODEL}."
MODEL_METAVAR = "NAME|FILE"
# No brackets or braces: typer's rich help would read "[x, y, z]" as markup and print nothing of it.
STATS_HELP = ("Normalisation statistics JSON for an authors' checkpoint: an object with \"mean\" and \"std\", "
              "each a list of 3 numbers (x, y, z).")


def _auto_progress(value: Optional[bool]) -> bool:
    """--progress/--no-progress as given; neither: bars only when stderr is a terminal, so logs and
    pipes get no bar lines."""
    return sys.stderr.isatty() if value is None else bool(value)


ProgressOpt = Annotated[Optional[bool], typer.Option(
    "--progress/--no-progress", callback=_auto_progress,
    help="Show progress bars on stderr. Default: only when stderr is a terminal.", show_default=False)]


def warn(message: str) -> None:
    """A one-line warning on stderr (the command goes on)."""
    typer.echo(f"warning: {message}", err=True)


@app.command()
def caption(
    files: list[Path] = typer.Argument(..., metavar="FILE",
                                       help="Motion files: HumanML3D/KIT new_joints arrays (T, J, 3), .npy."),
    model: Optional[str] = typer.Option(None, "--model", "-m", metavar=MODEL_METAVAR, help=MODEL_DEFAULT_HELP),
    decode: str = typer.Option("greedy", "--decode", "-d", metavar="MODE",
                               help="greedy, beamK (the project's batched beam of width K, e.g. beam2) or "
                                    "authors-beamK (the authors' best-first search)."),
    vocab: Optional[Path] = typer.Option(None, metavar="FILE",
                                         help="Vocabulary JSON (list of tokens in id order) for an authors' "
                                              "checkpoint."),
    stats: Optional[Path] = typer.Option(None, metavar="FILE", help=STATS_HELP),
    beta: Optional[float] = typer.Option(None, help="Pin the gate β̂ to this value (1.0 = the paper's ablation)."),
    save: Optional[Path] = typer.Option(None, metavar="DIR",
                                        help="Also save the full capture (table + dense arrays) to this folder "
                                             "(new, empty, or an earlier capture, which is replaced)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Let --save replace a non-empty folder that is not an "
                                   "earlier capture (its contents are deleted)."),
    device: str = typer.Option("cpu", metavar="DEVICE", help=DEVICE_HELP),
) -> None:
    """Caption motion clips and show, per word, the gate β̂, the most attended body part and the
    time interval μ ± σ (seconds) of the Gaussian temporal attention."""
    from .capture.dataset import parse_decode
    from .data.preprocessing import read_motion_file
    from .model.checkpoints import load_model, resolve_device

    mode, beam_size = parse_decode(decode)
    if mode == "forced":
        raise M2TError("caption has no reference captions to force; use --decode greedy, beamK or authors-beamK")
    if beta is not None and not (0.0 <= beta <= 1.0):
        raise M2TError(f"--beta must lie in [0, 1], got {beta}")
    if save is not None:  # a refused destination fails before any decoding
        from .io import check_dir_destination
        from .result import is_capture_dir

        check_dir_destination(save, is_capture_dir, "capture", overwrite=overwrite)
    dev = resolve_device(device)
    captioner = load_model(model, vocab=vocab, stats=stats).to(dev)
    motions = [read_motion_file(f, captioner.skeleton, name=str(f), warn=warn) for f in files]
    result = captioner.capture(motions, mode=mode, beam_size=beam_size, beta=beta,
                               clip_ids=[f.stem for f in files])
    table = result.to_dataframe()
    for n, f in enumerate(files):
        typer.echo(f"{f.name}: {result.captions[n]}")
        rows = table[table["clip"] == n]
        typer.echo(f"  {'word':<14}{'beta':>6}  {'part':<10} centre μ (s)  interval where Γ ≥ ½ (s)")
        for _, r in rows.iterrows():
            typer.echo(f"  {r['word']:<14}{r['beta']:>6.2f}  {r['top_part']:<10} {r['mu_s']:>8.2f}      "
                       f"[{r['onset_s']:.2f}, {r['offset_s']:.2f}]")
    if save is not None:
        result.save(save, overwrite=overwrite)
        typer.echo(f"saved capture to {save}")


@app.command()
def convert(
    authors_ckpt: Path = typer.Argument(..., metavar="CHECKPOINT",
                                        help="The authors' checkpoint (.tar/.pt) holding a 'model' state_dict."),
    vocab: Path = typer.Option(..., metavar="FILE",
                               help="Vocabulary JSON: the list of tokens in id order the model was trained with."),
    out: Path = typer.Option(..., metavar="FILE",
                             help="Where to write the project checkpoint (.pt): a new file or an earlier "
                                  "project checkpoint, which is replaced."),
    stats: Optional[Path] = typer.Option(None, metavar="FILE", help=STATS_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Let --out replace a file that is not a project "
                                   "checkpoint."),
) -> None:
    """Convert an authors' checkpoint into a self-contained project checkpoint."""
    from .model.checkpoints import convert_authors_checkpoint, load_model

    path = convert_authors_checkpoint(authors_ckpt, vocab, out, stats=stats, overwrite=overwrite)
    m = load_model(path)
    c = m.config
    typer.echo(f"wrote {path}: {c.skeleton} skeleton, V={c.vocab_size}, E={c.embed_dim}, H={c.hidden}, "
               f"D={c.attn_dim}, statistics {'included' if m.stats else 'absent (pass --stats when captioning)'}")

# ---------------------------------------------------------------------------------------------
# data commands: data check, synth
# ---------------------------------------------------------------------------------------------


@data_app.command("check")
def data_check(
    directory: Path = typer.Argument(..., metavar="DIR", help="Dataset folder in the HumanML3D layout "
                                     "(new_joints/, texts/, train.txt, val.txt, test.txt)."),
    split: Optional[list[str]] = typer.Option(
        None, "--split", "-s", metavar="SPLIT", help="Split to check (repeatable); default: train, val, test."),
    limit: Optional[int] = typer.Option(
        None, "--limit", min=0, help="Load at most this many ids per split (quick look)."),
    skeleton: Optional[str] = typer.Option(
        None, "--skeleton", metavar="NAME", help="humanml3d or kit; default: detected from the joint count."),
    mirror_pairs: int = typer.Option(
        50, "--mirror-pairs", min=0, help="How many X / MX pairs to compare."),
    tolerance: float = typer.Option(
        0.01, "--tolerance", metavar="METRES", help="Mirror-pair tolerance in metres (≥ 0)."),
    json_out: Optional[Path] = typer.Option(
        None, "--json", metavar="FILE",
        help="Also write the full result as JSON to this file (new, or an earlier check's JSON, "
             "which is replaced)."),
    progress: ProgressOpt = None,
) -> None:
    """Check a dataset: counts, shapes, units, split coverage, mirror pairs, left side, captions.

    Exit code 2 when the dataset is unusable: no split file, no loadable sample, a split whose ids
    all fail to load, or an empty train or val split.
    """
    from .data.check import check_dataset, check_to_json, is_check_json
    from .io import check_file_destination, write_text

    if not (tolerance >= 0 and tolerance != float("inf")):
        raise M2TError(f"--tolerance must be a distance in metres ≥ 0, got {tolerance}")
    if json_out is not None:
        check_file_destination(json_out, "dataset check JSON", is_ours=is_check_json, option="--json")
    result = check_dataset(directory, split or None, limit=limit, skeleton=skeleton,
                           mirror_pairs=mirror_pairs, tolerance=tolerance, progress=progress)
    typer.echo(result.format_text())
    if json_out is not None:
        write_text(json_out, check_to_json(result) + "\n")
        typer.echo(f"wrote {json_out}")
    if not result.usable:
        raise M2TError("dataset is unusable: " + ("; ".join(result.problems) or "nothing loaded"))


def _is_segment_table(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline().startswith("clip_id,start_s,end_s")


@data_app.command("babel-segments")
def babel_segments(
    babel: list[Path] = typer.Argument(..., metavar="FILE",
                                       help="BABEL annotation files (train.json, val.json, extra_train.json …)."),
    index: Path = typer.Option(..., "--index", metavar="FILE",
                               help="HumanML3D's index.csv (source_path, start_frame, end_frame, "
                                    "new_name): which AMASS frames each clip holds."),
    out: Path = typer.Option(..., "--out", "-o", metavar="FILE",
                             help="Segment table to write (CSV; a new file or an earlier "
                                  "segment table, which is replaced)."),
    split: Optional[Path] = typer.Option(None, "--ids", metavar="FILE",
                                         help="Only the clips listed in this file (e.g. the dataset's "
                                              "train.txt: train on the training split's segments)."),
    mirrors: bool = typer.Option(True, "--mirrors/--no-mirrors", help="Also write rows for the mirrored clips "
                                                                      "M<id> (left and right swapped in the labels)."),
) -> None:
    """Turn BABEL's action segments into a segment table for HumanML3D clips (for `train --segments`):
    each BABEL segment overlapping a clip, in seconds of that clip, with BABEL's action label."""
    from .data.babel import babel_segment_rows, read_babel, read_index
    from .data.segments import write_segments
    from .io import check_file_destination

    check_file_destination(out, "segment table", is_ours=_is_segment_table, option="--out")
    ids = None
    if split is not None:
        from .data.dataset import read_split_ids

        ids = read_split_ids(split.parent, str(split))
    rows = babel_segment_rows(read_babel(babel), read_index(index), ids=ids, mirrors=mirrors)
    if not rows:
        raise M2TError("no BABEL segment overlaps a clip of the index: do the BABEL files annotate the AMASS sequences "
                       "index.csv names?")
    write_segments(rows, out)
    typer.echo(f"wrote {out}: {len(rows)} segments of {len({r['clip_id'] for r in rows})} clips")


def _split_count(value: float, n: int, name: str) -> int:
    """A split size given as a fraction (< 1) of ``n`` or as a whole count (>= 1)."""
    if value < 0 or value != value:
        raise M2TError(f"--{name} must be a fraction in [0, 1) or a count >= 1, got {value}")
    if value < 1:
        return int(round(value * n))
    if value != int(value):
        raise M2TError(f"--{name} count must be a whole number, got {value}")
    return int(value)


@app.command(
    "synth",
    help="Generate the synthetic motion–language corpus with exact per-token ground truth. "
    "Writes the HumanML3D layout (new_joints/<id>.npy, texts/<id>.txt, train/val/test/all.txt) "
    "plus ground_truth.parquet (one row per caption token: motion word or not, action, frames, "
    "active body parts), actions.parquet and corpus.json. Default: 4,000 train, 300 val and "
    "500 test source clips, each with its mirror M<id>.",
)
def synth(
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR", help="Output folder (new, empty, or an earlier "
                             "synthetic corpus, which is replaced)."),
    clips: int = typer.Option(4800, "--clips", "-n", help="Number of source clips over all "
                              "splits (mirrors M<id> are added on top)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives byte-identical "
                             "files."),
    val: float = typer.Option(300 / 4800, "--val", help="Validation clips: a fraction (< 1) of "
                              "--clips or a count (>= 1).", show_default="0.0625 (300 of 4800)"),
    test: float = typer.Option(500 / 4800, "--test", help="Test clips: a fraction (< 1) of "
                               "--clips or a count (>= 1).", show_default="0.1042 (500 of 4800)"),
    mirror: bool = typer.Option(True, "--mirror/--no-mirror", help="Also write the left/right "
                                "mirror M<id> of every clip, in the same split."),
    progress: ProgressOpt = None,
) -> None:
    """Generate the synthetic motion–language corpus (see the command help)."""
    from .data.synthetic import generate_corpus

    if clips < 1:
        raise M2TError(f"--clips must be at least 1, got {clips}")
    if seed < 0:
        raise M2TError(f"--seed must be >= 0, got {seed}")
    n_val = _split_count(val, clips, "val")
    n_test = _split_count(test, clips, "test")
    n_train = clips - n_val - n_test
    if n_train < 0:
        raise M2TError(f"--val ({n_val}) and --test ({n_test}) exceed --clips ({clips})")
    path = generate_corpus(out, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed,
                           mirror=mirror, progress=progress, owner="synth")
    factor = 2 if mirror else 1
    typer.echo(f"wrote {path}: {n_train} train, {n_val} val, {n_test} test source clips"
               f"{' (+ mirrors)' if mirror else ''}, {factor * clips} ids, seed {seed}")

# ---------------------------------------------------------------------------------------------
# training and evaluation commands: train, sweep, evaluate
# ---------------------------------------------------------------------------------------------

DATA_HELP = ("'synthetic' (the default synthetic corpus, generated once into the cache) or a dataset "
             "folder in the HumanML3D layout.")


def _train_config(config: Optional[str], data: str, lambdas: Optional[tuple[float, float]], epochs, seed,
                  synthetic_seed, threads, device=None, **temporal):
    from .training.config import load_config

    return load_config(config or "synthetic", data=data, lambdas=list(lambdas) if lambdas else None,
                       epochs=epochs, seed=seed, synthetic_seed=synthetic_seed, threads=threads, device=device,
                       **temporal)


@app.command()
def train(
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR",
                             help="Run directory (model.pt, last.pt, log.csv, curves.png)."),
    data: str = typer.Option("synthetic", "--data", metavar="synthetic|DIR", help=DATA_HELP),
    lambdas: Optional[tuple[float, float]] = typer.Option(
        None, "--lambdas", metavar="SPAT ADAPT",
        help="λ_spat λ_adapt: weights of the spatial and adaptive guidance losses."),
    lambda_order: Optional[float] = typer.Option(
        None, "--lambda-order", help="λ_order: text-only temporal guidance. Each caption is cut into clauses at "
                                     "connectors (then, after, before, while …) and ordered in time from its words "
                                     "alone; the motion words of a clause share one temporal window, later clauses "
                                     "get later windows, and the windows tile the clip. No annotation is read. "
                                     "Default: the config's (0 = off)."),
    segments: Optional[str] = typer.Option(
        None, "--segments", metavar="FILE|auto",
        help="Segment table (CSV: clip_id, start_s, end_s, text[, caption]) for segment "
             "supervision of the temporal window, or 'auto' for the dataset folder's own "
             "segments.csv (m2t-interpret synth writes one for its training split; `data "
             "babel-segments` makes one from BABEL). A model trained with it is trained on "
             "annotations: name it so."),
    lambda_segment: Optional[float] = typer.Option(
        None, "--lambda-segment", help="λ_segment: weight of the segment loss (the window's interval μ ± σ·√(2 ln 2) "
                                       "against the annotated segment); needs --segments."),
    config: Optional[str] = typer.Option(
        None, "--config", "-c", metavar="FILE|PRESET",
        help="TOML config file or preset (synthetic, humanml3d, kit). Default: synthetic."),
    epochs: Optional[int] = typer.Option(None, help="Override the number of epochs."),
    seed: Optional[int] = typer.Option(None, help="Override the training seed."),
    synthetic_seed: Optional[int] = typer.Option(None, help="Seed of the synthetic corpus (with --data synthetic)."),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads."),
    device: Optional[str] = typer.Option(None, metavar="DEVICE", help=DEVICE_HELP + " Default: the config's (cpu)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last epoch "
                                "(exit code 2 when there is nothing to resume)."),
    allow_skips: bool = typer.Option(False, "--allow-skips", help="Train even when a split loses more than 5 % of "
                                     "its ids or caption lines to missing, unreadable or malformed files."),
    progress: ProgressOpt = None,
) -> None:
    """Train a captioner with the paper's attention guidance (L_lang + λ_spat·L_spat + λ_adapt·L_adapt),
    optionally with temporal guidance (+ λ_order·L_order from the caption text, + λ_segment·L_segment
    from a segment table); keeps the model with the best greedy validation BLEU-4. Ctrl-C stops with
    exit code 130 and says how to resume."""
    from .training.distributed import is_main_process
    from .training.trainer import TrainingInterrupted
    from .training.trainer import train as run_training

    cfg = _train_config(config, data, lambdas, epochs, seed, synthetic_seed, threads, device,
                        lambda_order=lambda_order, lambda_segment=lambda_segment, segments=segments)
    try:
        result = run_training(cfg, out, resume=resume, progress=progress, log=typer.echo, allow_skips=allow_skips)
    except TrainingInterrupted as exc:
        if is_main_process():  # under torchrun only rank 0 prints
            typer.echo(exc.message, err=True)
        raise typer.Exit(code=130) from None
    if is_main_process():
        typer.echo(f"best validation BLEU-4 {result.best_bleu4:.4f} at epoch {result.best_epoch}; "
                   f"model: {result.model_path}")


@app.command()
def evaluate(
    model: Optional[str] = typer.Option(None, "--model", "-m", metavar=MODEL_METAVAR, help=MODEL_DEFAULT_HELP),
    data: str = typer.Option("synthetic", "--data", metavar="synthetic|DIR", help=DATA_HELP),
    split: str = typer.Option("test", "--split", metavar="SPLIT", help="Split to evaluate."),
    decode: Optional[str] = typer.Option(
        None, "--decode", "-d", metavar="MODE",
        help="greedy (default), beamK (the project's batched beam, e.g. beam2) or "
             "authors-beamK (the authors' search) — as caption --decode."),
    beam: Optional[int] = typer.Option(None, "--beam", hidden=True, help="Deprecated: --beam K is --decode beamK."),
    protocol: str = typer.Option(
        "project", "--protocol", metavar="NAME",
        help="project: special tokens stripped, all references; authors: trailing <eos> and <unk> kept as the "
             "paper's authors did; tm2t: exactly 3 references."),
    synthetic_seed: int = typer.Option(
        1, "--synthetic-seed", help="Seed of the synthetic corpus to evaluate on (the shipped models were "
                                    "trained on seed 0, so 1 is held out)."),
    bertscore_model: Optional[Path] = typer.Option(
        None, "--bertscore-model", metavar="DIR",
        help="Local BERTScore model directory (e.g. roberta-large); skipped without it."),
    meteor: Optional[bool] = typer.Option(None, "--meteor/--no-meteor", help="METEOR (needs Java); default: when Java is found."),
    vocab: Optional[Path] = typer.Option(None, metavar="FILE", help="Vocabulary JSON for an authors' checkpoint."),
    stats: Optional[Path] = typer.Option(None, metavar="FILE", help=STATS_HELP),
    out: Optional[Path] = typer.Option(None, "--out", "-o", metavar="DIR",
                                       help="Write predictions.csv, scores.csv and scores.md here."),
    limit: Optional[int] = typer.Option(None, help="Evaluate only the first N ids of the split (quick look)."),
    allow_skips: bool = typer.Option(False, "--allow-skips", help="Evaluate even when the split loses more than "
                                     "5 % of its ids or caption lines (the scores say how many were lost)."),
    device: str = typer.Option("cpu", metavar="DEVICE", help=DEVICE_HELP),
    progress: ProgressOpt = None,
) -> None:
    """Caption a dataset split and score it: BLEU@1, BLEU@4, ROUGE-L, CIDEr (pycocoevalcap), METEOR when
    Java is present, BERTScore with a local model. The protocol is printed with the scores."""
    from .capture.dataset import parse_decode
    from .evaluation import check_evaluation_out, evaluate_model
    from .metrics import PROTOCOLS
    from .model.checkpoints import load_model, resolve_device
    from .training.data import resolve_data

    if beam is not None:
        if decode is not None:
            raise M2TError("give --decode or the deprecated --beam, not both")
        if beam < 1:
            raise M2TError(f"--beam must be ≥ 1, got {beam}")
        warn(f"--beam is deprecated; use --decode {'greedy' if beam == 1 else f'beam{beam}'}")
        decode = "greedy" if beam == 1 else f"beam{beam}"
    decode = decode or "greedy"
    if parse_decode(decode)[0] == "forced":
        raise M2TError("evaluate scores generated captions; use --decode greedy, beamK or authors-beamK")
    if protocol.lower() not in PROTOCOLS:
        raise M2TError(f"unknown --protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    if limit is not None and limit < 1:
        raise M2TError(f"--limit must be ≥ 1, got {limit}")
    if out is not None:  # before any decoding
        check_evaluation_out(out)
    dev = resolve_device(device)
    captioner = load_model(model, vocab=vocab, stats=stats).to(dev)
    root = resolve_data(data, synthetic_seed, progress=progress, log=typer.echo)
    result = evaluate_model(captioner, root, split=split, protocol=protocol, decode=decode,
                            bertscore_model=bertscore_model, meteor=meteor, progress=progress, limit=limit,
                            log=typer.echo, allow_skips=allow_skips)
    name = captioner.metadata.get("name", model or "")
    typer.echo(f"model {name} · data {data if data != 'synthetic' else f'synthetic (seed {synthetic_seed})'} · "
               f"split {split} · {result.decode} · {result.scores.n_clips} clips, {result.scores.n_lost} ids lost")
    typer.echo(result.scores.format())
    if out is not None:
        for p in result.write(out):
            typer.echo(f"wrote {p}")


@app.command()
def sweep(
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR",
                             help="Sweep directory: one run per λ pair plus table1.{csv,md,tex}."),
    grid: str = typer.Option("0,0 0,3 2,3 3,3", "--grid", metavar="PAIRS",
                             help='λ pairs "SPAT,ADAPT SPAT,ADAPT …".'),
    data: str = typer.Option("synthetic", "--data", metavar="synthetic|DIR", help=DATA_HELP),
    config: Optional[str] = typer.Option(None, "--config", "-c", metavar="FILE|PRESET",
                                         help="TOML config file or preset."),
    epochs: Optional[int] = typer.Option(None, help="Override the number of epochs."),
    seed: Optional[int] = typer.Option(None, help="Override the training seed."),
    split: str = typer.Option("test", "--split", metavar="SPLIT", help="Split the table is computed on."),
    protocol: str = typer.Option("project", "--protocol", metavar="NAME",
                                 help="Metric protocol (project, authors, tm2t)."),
    eval_synthetic_seed: Optional[int] = typer.Option(
        None, "--eval-synthetic-seed", help="Evaluate on the synthetic corpus of this seed (held out)."),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads."),
    allow_skips: bool = typer.Option(False, "--allow-skips", help="Train and evaluate even when a split loses more "
                                     "than 5 % of its ids or caption lines."),
    progress: ProgressOpt = None,
) -> None:
    """Train and score one captioner per λ pair and write the paper's Table 1 (CSV, Markdown, LaTeX)."""
    from .training.sweep import check_sweep_dir, parse_grid, run_sweep, table_markdown
    from .training.trainer import TrainingInterrupted

    pairs = parse_grid(grid)
    cfg = _train_config(config, data, None, epochs, seed, None, threads)
    check_sweep_dir(out)
    try:
        df = run_sweep(cfg, pairs, out, split=split, protocol=protocol, eval_synthetic_seed=eval_synthetic_seed,
                       progress=progress, log=typer.echo, allow_skips=allow_skips)
    except TrainingInterrupted as exc:
        typer.echo(f"interrupted: sweep stopped in {exc.out.name} {exc.progress}; the finished runs and epochs are "
                   "kept: run the same sweep command again to continue", err=True)
        raise typer.Exit(code=130) from None
    typer.echo(table_markdown(df, protocol))
    typer.echo(f"wrote {out / 'table1.csv'}, {out / 'table1.md'}, {out / 'table1.tex'}")


def _is_lexicon_csv(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline().startswith(("word,", "entry,"))


lexicon_app = typer.Typer(cls=_ReadableHelp,
                          help="Attention-supervision lexicons (the word rules that make training targets).",
                          no_args_is_help=True)
app.add_typer(lexicon_app, name="lexicon")


@lexicon_app.command("show")
def lexicon_show(
    name: Annotated[str, typer.Argument(metavar="LEXICON",
                                        help="authors, project, or a lexicon JSON file.")] = "project",
    data: Annotated[Optional[str], typer.Option(
        "--data", metavar="synthetic|DIR",
        help="Show each word's target and count over this data's captions: 'synthetic' (the default "
             "training corpus, seed --synthetic-seed) or a dataset folder.")] = None,
    split: Annotated[str, typer.Option("--split", metavar="SPLIT", help="Split whose captions are read.")] = "train",
    synthetic_seed: Annotated[int, typer.Option("--synthetic-seed")] = 0,
    skeleton: Annotated[str, typer.Option("--skeleton", metavar="NAME",
                                          help="humanml3d or kit (part order of the targets).")]
    = "humanml3d",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE",
                                                help="Also write the table as CSV here.")] = None,
    progress: ProgressOpt = None,
) -> None:
    """Print a lexicon: per word its target (β* and the parts α* names) and, with --data, how often it occurs
    and the share of motion words the lexicon covers."""
    import pandas as pd

    from .data.supervision import lexicon_coverage, lexicon_entries, lexicon_table, load_lexicon

    if out is not None:
        from .io import check_file_destination

        check_file_destination(out, "lexicon table", is_ours=_is_lexicon_csv, option="--out")
    lex = load_lexicon(name, skeleton=skeleton)
    if data is None:
        table = lexicon_entries(lex)
        typer.echo(f"lexicon {lex.name} ({lex.source}): {len(table)} entries")
    else:
        from .data.dataset import load_split
        from .training.data import resolve_data

        root = resolve_data(data, synthetic_seed, progress=progress, log=typer.echo)
        dataset = load_split(root, split, progress=progress)
        if len(dataset) == 0:
            raise M2TError(f"no usable samples in the {split} split of {root}: {dataset.report.loss_summary()}")
        dataset.report.warn_skipped()
        table = lexicon_table(lex, dataset)
        cov = lexicon_coverage(table)
        typer.echo(f"lexicon {lex.name} on {root} ({split}, {cov['captions']} captions, {cov['tokens']} tokens)")
        typer.echo(f"motion words (content words after the first verb, not connectors): {cov['motion_tokens']} "
                   f"tokens; with a β* target {cov['motion_beta']:.1%}, with a part target "
                   f"{cov['motion_alpha']:.1%}; other words with β* = 0: {cov['other_beta0']:.1%}")
    with pd.option_context("display.width", 200, "display.max_rows", 400, "display.max_colwidth", 70):
        cols = [c for c in ("word", "entry", "kind", "count", "pos", "beta", "parts", "rule", "targets")
                if c in table]
        typer.echo(table[cols].to_string(index=False))
    if out is not None:
        from .io import atomic_path

        with atomic_path(out) as tmp:
            table.to_csv(tmp, index=False)
        typer.echo(f"wrote {out}")


# ---------------------------------------------------------------------------------------------
# cache commands: list, clear, prune
# ---------------------------------------------------------------------------------------------

cache_app = typer.Typer(cls=_ReadableHelp, help="What m2t-interpret keeps in its cache ($M2T_INTERPRET_CACHE, default "
                             "~/.cache/m2t-interpret): list it, clear it, prune it.", invoke_without_command=True)
app.add_typer(cache_app, name="cache")


@cache_app.callback()
def _cache_default(ctx: typer.Context) -> None:
    """List the cache (as `cache list`) when no sub-command is given."""
    if ctx.invoked_subcommand is None:
        cache_list()


@cache_app.command("list")
def cache_list() -> None:
    """List the cache: per entry its kind, name, size on disk, last use, state and contents; the total.

    States: ok, damaged, stale (its data changed), unsealed (from an earlier version), in use, leftover,
    not ours."""
    from .cache_admin import check_cache_root, list_entries

    root = check_cache_root()
    entries = list_entries(root)
    typer.echo(f"cache: {root}" + ("" if root.is_dir() else " (empty: not created yet)"))
    if entries:
        typer.echo(f"  {'kind':<12}{'entry':<42}{'MB':>9}  {'last used':<17} {'state':<10} about")
        for e in entries:
            typer.echo(f"  {e.kind:<12}{_cache_name(root, e.path):<42}{e.bytes / 1e6:>9.1f}  "
                       f"{_when(e.last_used):<17} {e.status:<10} {e.about}".rstrip())
            if e.reason and e.status != "ok":
                typer.echo(f"  {'':<12}↳ {e.reason}")
    ours = [e for e in entries if e.ours]
    prunable = [e for e in ours if e.status in ("leftover", "damaged", "stale")]
    typer.echo(f"total {sum(e.bytes for e in ours) / 1e6:.1f} MB in {len(ours)} entries"
               + (f"; `m2t-interpret cache prune` removes the {len(prunable)} leftover, damaged or stale"
                  if prunable else ""))


@cache_app.command("clear")
def cache_clear(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask: needed when stdin is not a terminal.")]
    = False,
) -> None:
    """Remove everything m2t-interpret wrote in the cache; asks first unless --yes.

    Corpora, captures, attributions and leftovers go; files it did not write, and entries another run is
    using, stay."""
    from .cache_admin import check_cache_root, clear, list_entries

    root = check_cache_root()
    ours = [e for e in list_entries(root, check=False) if e.ours]
    if not ours:
        typer.echo(f"nothing to remove: the cache {root} holds nothing m2t-interpret wrote")
        return
    what = f"{len(ours)} entries ({sum(e.bytes for e in ours) / 1e6:.1f} MB) from {root}"
    if not yes:
        if not sys.stdin.isatty():
            raise M2TError(f"cache clear would remove {what}; pass --yes to confirm (there is no terminal to ask on)")
        if not typer.confirm(f"remove {what}?", default=False):
            typer.echo("nothing removed")
            return
    removed, kept = clear(root)
    _cache_summary(root, removed, kept)


@cache_app.command("prune")
def cache_prune(
    older_than: Annotated[Optional[float], typer.Option(
        "--older-than", metavar="DAYS", help="Also remove entries not used for this many days.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be removed.")] = False,
) -> None:
    """Remove leftovers of killed runs, damaged entries and stale captures; with --older-than, unused ones.

    A stale capture's data changed since it was captured, so no run can use it again."""
    from .cache_admin import check_cache_root, prune

    root = check_cache_root()
    removed, kept = prune(root, older_than, dry_run=dry_run)
    _cache_summary(root, removed, kept, dry_run)


def _cache_name(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _when(stamp: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M") if stamp else "-"


def _cache_summary(root: Path, removed, kept, dry_run: bool = False) -> None:
    """What a clear or prune removed (or would), what it kept and why."""
    for e in removed:
        typer.echo(f"{'would remove' if dry_run else 'removed'} {e.kind} {_cache_name(root, e.path)} "
                   f"({e.bytes / 1e6:.1f} MB{', ' + e.status if e.status != 'ok' else ''})")
    busy = [e for e in kept if e.ours and e.status == "in use"]
    foreign = [e for e in kept if not e.ours]
    typer.echo(f"{'would free' if dry_run else 'freed'} {sum(e.bytes for e in removed) / 1e6:.1f} MB in {root}"
               + (f"; kept {len(busy)} in use by a running m2t-interpret" if busy else "")
               + (f"; left {len(foreign)} not written by m2t-interpret ({', '.join(e.path.name for e in foreign[:3])}"
                  f"{', …' if len(foreign) > 3 else ''})" if foreign else ""))


# ---------------------------------------------------------------------------------------------
# analysis commands: density, hist, parts, onset, gate, map, finegrained, ablate-gate, compare
# ---------------------------------------------------------------------------------------------
# The options every analysis command shares, defined once.

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
WordOpt = Annotated[Optional[list[str]], typer.Option("--word", "-w", metavar="WORD", help="A word (any form: walks, "
                                                                                          "walking → stem walk); "
                                                                                          "repeatable.")]
ClipOpt = Annotated[Optional[str], typer.Option("--clip", metavar="ID", help="Clip id (e.g. 000012 or M000012) or "
                                                                             "index.")]
PlotlyJsOpt = Annotated[str, typer.Option(
    "--plotlyjs", metavar="shared|inline",
    help="shared or inline: how HTML figures get plotly.js (they open offline either way): shared "
         "— one plotly.min.js (about 4.7 MB) written beside the pages of the folder and loaded by each; "
         "inline — embedded in every page (self-contained, 4–5 MB each).")]


@dataclass
class AnalysisOptions:
    model: Optional[str]
    vocab: Optional[Path]
    stats: Optional[Path]
    data: str
    split: str
    clips: Optional[int]
    decode: str
    out: Path
    formats: list[str]
    seed: int
    device: str
    cache: bool
    progress: bool
    shard: Optional[str] = None
    plotlyjs: str = "shared"


def _analysis_options(model, vocab, stats, data, split, clips, decode, out, formats, seed, device, cache,
                      progress, shard=None, plotlyjs: str = "shared") -> AnalysisOptions:
    """Check the options that can fail before any work is done (formats, output folder)."""
    from .capture.dataset import parse_decode
    from .reports import DEFAULT_FORMATS, check_formats, check_out_dir

    fmts = check_formats(formats or list(DEFAULT_FORMATS))
    parse_decode(decode)
    if seed < 0:
        raise M2TError(f"--seed must be ≥ 0, got {seed}")
    check_out_dir(out)
    if vocab is not None or stats is not None:  # a cached capture would otherwise ignore them silently
        from .model.checkpoints import check_overrides

        for name in (model if isinstance(model, list) else [model]) or [None]:
            check_overrides(name, vocab, stats)
    if shard is not None:
        from .capture.dataset import parse_shard

        parse_shard(shard)
        if not cache:
            raise M2TError("--shard keeps the shard in the capture cache for the unsharded run to merge; drop "
                           "--no-cache (or write shards to folders with `m2t-interpret capture --shard`)")
    from .plotting.save import check_plotlyjs

    return AnalysisOptions(model, vocab, stats, data, split, clips, decode, out, fmts, seed, device, cache, progress,
                           shard, check_plotlyjs(plotlyjs))


def _open(o: AnalysisOptions, model: Optional[str] = None, decode: Optional[str] = None, beta=None):
    from .reports import open_analysis

    return open_analysis(model if model is not None else o.model, data=o.data, split=o.split, clips=o.clips,
                         decode=decode or o.decode, seed=o.seed, vocab=o.vocab, stats=o.stats, device=o.device,
                         beta=beta, cache=o.cache, progress=o.progress, log=typer.echo, shard=o.shard)


def _shard_only(o: AnalysisOptions, *contexts) -> bool:
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


def _analyse(o: AnalysisOptions, build, what: str) -> None:
    """Capture (or, with --shard, only capture), build the report from the context, write it."""
    ctx = _open(o)
    if not _shard_only(o, ctx):
        _finish(build(ctx), o, _header(ctx, what))


def _clip_arg(clip: Optional[str]):
    if clip is None:
        return None
    return clip  # an id, or an index when no clip has that id


def _finish(report, o: AnalysisOptions, header: str) -> None:
    """Write the report's files, then print them and the summary table."""
    import pandas as pd

    paths = report.write(o.out, o.formats, o.plotlyjs)
    typer.echo(header)
    if report.summary is not None and len(report.summary):
        with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_colwidth", 60):
            typer.echo(report.summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in report.notes:
        typer.echo(note)
    typer.echo("wrote:")
    for p in paths:
        typer.echo(f"  {p}")


def _header(ctx, what: str, models: Optional[str] = None) -> str:
    cap = ctx.capture
    data = "synthetic corpus" if (ctx.root / "corpus.json").is_file() else "dataset"
    return (f"{what} · model {models or ctx.model_name} · data: {data} {ctx.root} · split {ctx.split} · "
            f"{cap.n_clips} clips, {cap.n_tokens} tokens · decoding {ctx.decode}"
            + (" (capture read from the cache)" if ctx.from_cache else ""))


@app.command("capture")
def capture_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR",
                                      help="Folder for the capture (a new folder, or an earlier "
                                           "capture, which is replaced).")],
    shard: Annotated[Optional[str], typer.Option(
        "--shard", metavar="I/N",
        help="Decode only shard i of n (e.g. 2/4): a deterministic slice of the split's length-sorted "
             "chunks; `m2t-interpret merge` joins the n shards into the unsharded capture, bit for bit.")]
    = None,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", seed: SeedOpt = 2,
    device: DeviceOpt = "cpu", progress: ProgressOpt = None,
) -> None:
    """Decode a dataset split and save the full capture (token table, attention arrays, meta) to a folder —
    optionally one shard of it, so that several processes or machines share a large split."""
    from .capture.dataset import capture_split, parse_decode, parse_shard
    from .io import check_dir_destination
    from .model.checkpoints import load_model, resolve_device
    from .reports import resolve_analysis_data
    from .result import is_capture_dir

    parse_decode(decode)
    shard_spec = parse_shard(shard)
    check_dir_destination(out, is_capture_dir, "capture")
    captioner = load_model(model, vocab=vocab, stats=stats).to(resolve_device(device))
    root = resolve_analysis_data(data, seed, progress=progress, log=typer.echo)
    result = capture_split(captioner, root, split, decode, clips, progress=progress, shard=shard_spec, out=out)
    typer.echo(f"saved {result.n_clips} clips, {result.n_tokens} tokens"
               + (f" (shard {shard})" if shard else "") + f" to {out}")


@app.command("merge")
def merge_cmd(
    captures: Annotated[list[Path], typer.Argument(metavar="DIR",
                                                   help="Capture folders written by `m2t-interpret capture "
                                                        "--shard i/n`, one per shard.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the merged capture.")],
) -> None:
    """Merge the shards of a split's capture into one capture, identical to an unsharded run."""
    from .capture.dataset import merge_shards
    from .io import check_dir_destination
    from .result import CaptureResult, is_capture_dir

    check_dir_destination(out, is_capture_dir, "capture")
    merged = merge_shards([CaptureResult.load(c) for c in captures], out=out)
    typer.echo(f"merged {len(captures)} captures: {merged.n_clips} clips, {merged.n_tokens} tokens → {out}")


@app.command()
def density(
    word: WordOpt = None,
    non_motion: Annotated[bool, typer.Option("--non-motion", help="Add the non-motion words a, the, an, like, "
                                                                  "his, then, and (those present).")] = False,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """β̂ kernel density per word stem (Gaussian KDE, Scott bandwidth, on [0, 1]; the paper's Fig. 2a/3),
    with a table of count, mean, median and quartiles. Without --word: the paper's motion words present."""
    from .reports import density_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, lambda ctx: density_report(ctx, word or [], non_motion), "β̂ density")


@app.command()
def hist(
    word: WordOpt = None,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Per-part maximum-attention histograms: m_k = max_i α_ik·Γ_i per occurrence, 25 bins on [0, 1], the six
    parts overlaid (the paper's Fig. 2b/4)."""
    from .reports import hist_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, lambda ctx: hist_report(ctx, word or []), "max-attention histograms")


@app.command()
def parts(
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Body-part identification for every motion word: the predicted part (argmax of time-weighted part attention)
    and, with ground truth, pointing accuracy, attention correctness and a true × predicted confusion matrix —
    overall, per word category and per word, beside chance and the best constant answer."""
    from .reports import parts_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, parts_report, "body-part identification")


@app.command()
def onset(
    clip: ClipOpt = None,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Temporal localisation: μ, σ and the interval μ ± σ·√(2 ln 2) per motion word; Γ curves of one clip
    (--clip; default: the first clip with several actions) with the true segments; over the split, μ inside the
    true segment, mean tIoU, R@1 at IoU ≥ 0.3/0.5/0.7 and onset error, for one- and several-action clips."""
    from .reports import onset_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, lambda ctx: onset_report(ctx, _clip_arg(clip)), "temporal localisation")


@app.command()
def gate(
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Motion vs non-motion separation by β̂: AUROC, best-threshold accuracy, both densities and the words on
    the wrong side (labels from the ground truth, else from the supervision lexicon)."""
    from .reports import gate_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, gate_report, "gate separation")


@app.command("map")
def map_(
    clip: Annotated[str, typer.Option("--clip", metavar="ID", help="Clip id (e.g. 000012) or index.")],
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Spatio-temporal attention map of one clip: parts × frames of α·Γ, one panel per motion word, titled with
    the prediction, β̂ per word and the reference (the paper's Fig. 7)."""
    from .reports import map_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, lambda ctx: map_report(ctx, _clip_arg(clip)), "attention map")


@app.command()
def finegrained(
    clip: Annotated[str, typer.Option("--clip", metavar="ID", help="Clip id (e.g. 000012) or index.")],
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Fine-grained caption of one clip: each motion word with its body part and time interval
    ("waves — right arm — 1.2–2.6 s"; the paper's Fig. 6), as text, table and timeline."""
    from .reports import finegrained_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    _analyse(o, lambda ctx: finegrained_report(ctx, _clip_arg(clip)), "fine-grained caption")


@app.command("ablate-gate")
def ablate_gate(
    beta: Annotated[float, typer.Option("--beta", min=0.0, max=1.0, metavar="NUMBER",
                                        help="The pinned gate value.")] = 1.0,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, decode: DecodeOpt = "greedy", out: OutOpt = Path("m2t-out"),
    format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Captions with β̂ pinned (default 1) beside the adaptive ones and the references, and the caption-metric
    change over the split (the paper's Table 3)."""
    from .reports import ablate_gate_report

    o = _analysis_options(model, vocab, stats, data, split, clips, decode, out, format, seed, device, cache, progress,
                           shard, plotlyjs=plotlyjs)
    if o.decode == "forced":
        raise M2TError("ablate-gate compares generated captions; use --decode greedy, beamK or authors-beamK")
    ctx = _open(o)
    pinned = _open(o, beta=beta)
    if _shard_only(o, ctx, pinned):
        return
    _finish(ablate_gate_report(ctx, pinned), o, _header(ctx, f"gate ablation (β̂ = {beta:g})"))


@app.command()
def compare(
    model: Annotated[Optional[list[str]], typer.Option(
        "--model", "-m", metavar=MODEL_METAVAR,
        help="A model to compare (repeatable): shipped name or checkpoint. Default: every "
             "shipped model.")] = None,
    vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None,
    decode: Annotated[str, typer.Option("--decode", "-d", help="Decoding for the interpretability scores; forced "
                                                               "(default) aligns exactly with the ground truth. "
                                                               "Caption metrics always use greedy.")] = "forced",
    out: OutOpt = Path("m2t-out"), format: FormatOpt = None, seed: SeedOpt = 2, device: DeviceOpt = "cpu",
    cache: CacheOpt = True, progress: ProgressOpt = None, shard: AnalysisShardOpt = None,
    attribution: Annotated[Optional[str], typer.Option(
        "--attribution", metavar="METHOD",
        help="Also compare attention with this attribution method (ig, saliency, ixg, ablation, "
             "shapley, occlusion): agreement and faithfulness scores per model, as a section "
             "(compare_attribution.*), on forced decoding.")] = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """One table of every interpretability score (beside chance and the best constant answer) and caption metric
    (BLEU@4, CIDEr) for several models, plus a side-by-side figure."""
    from .model.checkpoints import shipped_models
    from .reports import compare_report

    names = model or shipped_models()
    o = _analysis_options(list(names), vocab, stats, data, split, clips, decode, out, format, seed, device, cache,
                          progress, shard, plotlyjs=plotlyjs)
    o.model = None
    if len(set(names)) != len(names):
        raise M2TError("each --model may be given once")
    if attribution is not None:
        from .capture.attribution import check_method

        check_method(attribution)
    contexts, greedy = {}, {}
    for name in names:
        ctx = _open(o, model=name)
        label = ctx.model_name if ctx.model_name != "model" else Path(name).stem
        if label in contexts:
            label = str(name)
        contexts[label] = ctx
        greedy[label] = ctx if o.decode == "greedy" else _open(o, model=name, decode="greedy")
    if _shard_only(o, *contexts.values(), *greedy.values()):
        return
    first = next(iter(contexts.values()))
    report = compare_report(contexts, greedy)
    if attribution is not None:
        _attribution_section(report, o, contexts, attribution)
    _finish(report, o, _header(first, "comparison", ", ".join(contexts)))


# ---------------------------------------------------------------------------------------------
# figures: the paper's figures and tables in one command
# ---------------------------------------------------------------------------------------------

@app.command()
def figures(
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
    data: AnalysisDataOpt = "synthetic", seed: SeedOpt = 2, split: SplitOpt = "test", clips: ClipsOpt = None,
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
    plotlyjs: PlotlyJsOpt = "shared", device: DeviceOpt = "cpu", cache: CacheOpt = True,
    progress: ProgressOpt = None,
) -> None:
    """The analogues of the paper's Figures 2–7 and Tables 1–3 (Table 1 with --runs) for the given models, drawn
    by the analysis commands' own figure functions in a paper style (vector PDF and PNG, one colour-blind-safe
    colour per body part), with DIR/MANIFEST.md: each file, what it shows, the command, the models' and data's
    fingerprints and the package version. Deterministic: the same command writes the same tables."""
    from .figures import DEFAULT_FORMATS, DEFAULT_MODELS, make_figures

    manifest = make_figures(model or list(DEFAULT_MODELS), data=data, out=out, seed=seed, split=split, clips=clips,
                            clip=clip, runs=runs, formats=format or list(DEFAULT_FORMATS), plotlyjs=plotlyjs,
                            only=only, device=device, cache=cache, progress=progress, log=typer.echo)
    typer.echo(f"wrote {len(manifest.files)} files and {out / 'MANIFEST.md'}")


def _attribution_section(report, o: AnalysisOptions, contexts: dict, method: str) -> None:
    """The agreement and faithfulness scores of ``method`` against attention, one column per model."""
    from .capture.attribution import check_method
    from .reports import attribution_compare_rows, open_attribution

    method = check_method(method)
    forced = {name: (ctx if ctx.decode == "forced" else _open(o, model=name, decode="forced"))
              for name, ctx in contexts.items()}
    results = {name: open_attribution(ctx, [method], cache=o.cache, progress=o.progress, log=typer.echo)
               for name, ctx in forced.items()}
    report.tables["attribution"] = attribution_compare_rows(forced, results, method)
    report.notes.append(f"attribution section ({method} vs attention): compare_attribution.*")


# ---------------------------------------------------------------------------------------------
# attention checked against attribution: attribute, faithfulness, sanity
# ---------------------------------------------------------------------------------------------

MethodOpt = Annotated[str, typer.Option(
    "--method", metavar="METHOD",
    help="Attribution method: ig (Integrated Gradients), saliency, ixg (input × gradient), ablation "
         "(each body part replaced by the baseline), shapley (exact Shapley values over the six parts, "
         "2⁶ coalitions), occlusion (time windows).")]
TargetOpt = Annotated[str, typer.Option(
    "--target", metavar="TARGET",
    help="What is explained, per word of the forced caption: logprob (its log-probability), beta (β̂ at "
         "its step) or mu (μ at its step).")]
BaselineOpt = Annotated[str, typer.Option(
    "--baseline", metavar="BASELINE",
    help="Reference input: first_pose (the clip's first pose held still), mean_pose (its mean pose held "
         "still) or zeros.")]
StepsOpt = Annotated[int, typer.Option("--steps", min=1, metavar="N",
                                       help="Integration steps of Integrated Gradients.")]
MaskOpt = Annotated[Optional[Path], typer.Option(
    "--feature-mask", metavar="FILE",
    help='Body-part groups for ablation and shapley: JSON {"root": [0], "torso": [3, 6, 9, 12, 15], '
         '…} of joint indices or names, every joint in exactly one part (default: the model\'s '
         "parts, the pelvis in root).")]


def _attribution_setup(o: AnalysisOptions, method: str, target: str, baseline: str, clip: Optional[str],
                       feature_mask: Optional[Path]):
    """Check every attribution option before any work: method, target, baseline, the clip and the mask."""
    from .capture.attribution import check_baseline, check_method, check_target, read_feature_mask

    method, target, baseline = check_method(method), check_target(target), check_baseline(baseline)
    groups = None
    if feature_mask is not None:
        from .model.checkpoints import load_model

        groups = read_feature_mask(feature_mask, load_model(o.model, vocab=o.vocab, stats=o.stats).skeleton)
    if clip is not None:
        from .data.dataset import read_split_ids
        from .reports import resolve_analysis_data

        ids = read_split_ids(resolve_analysis_data(o.data, o.seed, progress=o.progress, log=typer.echo), o.split)
        ids = ids[: o.clips] if o.clips else ids
        if clip not in ids and not (clip.isdigit() and int(clip) < len(ids)):
            raise M2TError(f"no clip {clip!r} in split {o.split} (first {len(ids)} clips: ids {ids[0]} … {ids[-1]}, "
                           f"or an index 0..{len(ids) - 1})")
    return method, target, baseline, groups


def _attribution_context(o: AnalysisOptions, method: str, target: str, baseline: str, steps: int, groups,
                         extra: tuple[str, ...] = ()):
    from .reports import open_attribution

    ctx = _open(o, decode="forced")
    result = open_attribution(ctx, [method, *extra], target=target, baseline=baseline, n_steps=steps,
                              joint_groups=groups, cache=o.cache, progress=o.progress, log=typer.echo)
    return ctx, result


@app.command()
def attribute(
    method: MethodOpt = "ig", target: TargetOpt = "logprob", baseline: BaselineOpt = "first_pose",
    steps: StepsOpt = 32, feature_mask: MaskOpt = None, clip: ClipOpt = None,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, out: OutOpt = Path("m2t-out"), format: FormatOpt = None,
    seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True, progress: ProgressOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Which body parts and frames each word of the reference caption depends on (captum), beside the model's
    attention: per-word part bars and frame × part maps of one clip (--clip; default the first), agreement per
    word category (Spearman, top-1, Jensen–Shannon, centre of mass vs μ, interval overlap with Γ, β̂ vs mass) with
    bootstrap intervals and chance, and, with ground truth, attribution scored like attention."""
    from .reports import attribute_report

    o = _analysis_options(model, vocab, stats, data, split, clips, "forced", out, format, seed, device, cache,
                          progress, plotlyjs=plotlyjs)
    method, target, baseline, groups = _attribution_setup(o, method, target, baseline, clip, feature_mask)
    ctx, result = _attribution_context(o, method, target, baseline, steps, groups)
    _finish(attribute_report(ctx, result, method, clip), o, _header(ctx, f"attribution ({method}, target {target})"))


@app.command()
def faithfulness(
    method: MethodOpt = "ig", baseline: BaselineOpt = "first_pose", steps: StepsOpt = 32,
    feature_mask: MaskOpt = None,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = None, out: OutOpt = Path("m2t-out"), format: FormatOpt = None,
    seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True, progress: ProgressOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Faithfulness by intervention: the drop in each word's log-probability when the most-attended part (α
    renormalised without it), the attended window (μ ± σ·√(2 ln 2)), each other part (their mean: the chance level), a
    random window, or the top-attributed part is removed; deletion curves (comprehensiveness, sufficiency) by attention
    and by attribution; input-level deletion of a part's joints."""
    from .reports import faithfulness_report

    o = _analysis_options(model, vocab, stats, data, split, clips, "forced", out, format, seed, device, cache,
                          progress, plotlyjs=plotlyjs)
    method, _, baseline, groups = _attribution_setup(o, method, "logprob", baseline, None, feature_mask)
    ctx, result = _attribution_context(o, method, "logprob", baseline, steps, groups)
    _finish(faithfulness_report(ctx, result, method), o, _header(ctx, f"faithfulness ({method})"))


@app.command()
def sanity(
    method: MethodOpt = "saliency", target: TargetOpt = "logprob", baseline: BaselineOpt = "first_pose",
    steps: StepsOpt = 32,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", clips: ClipsOpt = 20, out: OutOpt = Path("m2t-out"), format: FormatOpt = None,
    seed: SeedOpt = 2, device: DeviceOpt = "cpu", cache: CacheOpt = True, progress: ProgressOpt = None,
    plotlyjs: PlotlyJsOpt = "shared",
) -> None:
    """Sanity check (Adebayo et al. 2018): the model's layers randomised one by one from the output down; after each,
    the rank correlation of attention and of attributions with the trained model's, word by word."""
    from .reports import sanity_report

    o = _analysis_options(model, vocab, stats, data, split, clips, "forced", out, format, seed, device, cache,
                          progress, plotlyjs=plotlyjs)
    method, target, baseline, _ = _attribution_setup(o, method, target, baseline, None, None)
    ctx = _open(o, decode="forced")
    _finish(sanity_report(ctx, method, target, baseline, steps), o, _header(ctx, f"sanity ({method})"))


# ---------------------------------------------------------------------------------------------
# clip views: animate, explore
# ---------------------------------------------------------------------------------------------

@app.command()
def animate(
    clip: Annotated[str, typer.Option("--clip", metavar="ID", help="Clip id (e.g. 000012) or index in the split.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE",
                                      help="The animation file (.gif or .mp4); an earlier "
                                           "animation is replaced, any other file is refused.")],
    word: Annotated[Optional[str], typer.Option("--word", "-w", metavar="WORD",
                                                help="Show only this word of the caption (any "
                                                     "form: waves, waving). Default: at each frame "
                                                     "the motion word whose Γ is highest.")] = None,
    format: Annotated[Optional[str], typer.Option("--format", "-f", metavar="gif|mp4",
                                                  help="gif (pillow) or mp4 (H.264 through "
                                                       "imageio-ffmpeg: pip install "
                                                       "'m2t-interpret\\[video]'). Default: from "
                                                       "--out's suffix, else gif.")] = None,
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", decode: DecodeOpt = "greedy", seed: SeedOpt = 2, device: DeviceOpt = "cpu",
    progress: ProgressOpt = None,
) -> None:
    """Animate one clip's skeleton in 3D with the current word's attention on it: joints coloured and sized by
    α·Γ (α of the joint's part × Γ at that frame), the caption with the active word highlighted while its
    Γ ≥ ½ (in its most attended part's colour), the root's path on the floor. Plays at the model's frame
    rate (10 fps for HumanML3D)."""
    from .clipviews import clip_animation, open_clips
    from .outputs import file_output
    from .plotting.animation import check_animation_format, is_animation_file, write_animation

    fmt = check_animation_format(format or out.suffix or "gif")
    if out.suffix.lower().lstrip(".") not in ("", fmt):
        raise M2TError(f"--out {out} has the suffix {out.suffix} but the format is {fmt}; name a .{fmt} file")
    folder = file_output(out, "animate", "animation", is_legacy=is_animation_file)
    view = open_clips(model, data=data, split=split, clips=[clip], decode=decode, seed=seed, vocab=vocab,
                      stats=stats, device=device, progress=progress, log=typer.echo)
    anim = clip_animation(view, 0, word)
    cap = view.capture
    with folder.transaction() as stage:
        write_animation(anim, stage / out.name, fmt)
    w = anim.weights
    typer.echo(f"{cap.clip_ids[0]}: {cap.captions[0]}")
    typer.echo(f"words drawn: {', '.join(w.words)} · {anim.n_frames} frames at {anim.fps:g} fps · "
               f"largest α·Γ {anim.vmax:.2f}")
    typer.echo(f"wrote {out}")


@app.command()
def explore(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="The HTML page; an earlier explorer page "
                                                                         "is replaced, any other file is refused.")]
    = Path("explorer.html"),
    clip: Annotated[Optional[list[str]], typer.Option(
        "--clip", metavar="ID,ID…", help="Clip ids or indices, repeatable or comma-separated. Default: the split's "
                                         "first 3 clips.")] = None,
    clips: Annotated[Optional[list[str]], typer.Option(
        "--clips", hidden=True, help="Deprecated spelling of --clip (every other command's --clips is a count).")]
    = None,
    attribution: Annotated[str, typer.Option(
        "--attribution", metavar="METHOD", help="Per-part attribution drawn beside attention: ablation (each part "
                                                "removed in turn; quick), saliency, ig (Integrated Gradients; "
                                                "slower), shapley (exact; slowest) or none.")] = "ablation",
    model: ModelOpt = None, vocab: VocabOpt = None, stats: StatsOpt = None, data: AnalysisDataOpt = "synthetic",
    split: SplitOpt = "test", decode: DecodeOpt = "greedy", seed: SeedOpt = 2, device: DeviceOpt = "cpu",
    progress: ProgressOpt = None,
) -> None:
    """Write one self-contained offline HTML page (plotly.js inline, no network) to explore a few clips: the
    skeleton in 3D with a frame slider, joints coloured by the selected word's α·Γ; the caption as clickable
    words with β̂ each; Γ of every word with the true segments when known; the selected word's part × frame
    map; and its attention per part beside an attribution method's."""
    from .clipviews import EXPLORER_ATTRIBUTION, open_clips, write_explorer_page
    from .outputs import file_output
    from .plotting.explorer import is_explorer_file

    if attribution not in EXPLORER_ATTRIBUTION:
        raise M2TError(f"--attribution must be one of {', '.join(EXPLORER_ATTRIBUTION)}, got {attribution!r}")
    if out.suffix.lower() not in (".html", ".htm"):
        raise M2TError(f"--out {out} should name an .html file")
    folder = file_output(out, "explore", "explorer page", is_legacy=is_explorer_file)
    if clips:
        warn("explore --clips is deprecated (elsewhere --clips is a count of clips); name clips with --clip ID,ID…")
    names = [c.strip() for v in [*(clip or []), *(clips or [])] for c in v.split(",") if c.strip()]
    view = open_clips(model, data=data, split=split, clips=names, decode=decode, seed=seed, vocab=vocab,
                      stats=stats, device=device, default=3, progress=progress, log=typer.echo)
    with folder.transaction() as stage:
        write_explorer_page(view, stage / out.name, attribution)
    cap = view.capture
    for cid, text in zip(cap.clip_ids, cap.captions):
        typer.echo(f"{cid}: {text}")
    typer.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, plotly.js inline: opens offline)")


def _usage_error_line(exc) -> str:
    """A click usage error as one line: the problem and where to read the help."""
    ctx = getattr(exc, "ctx", None)
    where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
    message = " ".join(str(exc.format_message()).split()).rstrip(".")
    return f"error: {message}{where}"


@contextlib.contextmanager
def _warnings_as_lines():
    """The toolkit's own warnings (:class:`~m2t_interpret.errors.M2TWarning`) as one ``warning: …``
    line each on stderr, every time they are issued; other warnings as Python shows them."""
    from .errors import M2TWarning

    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, M2TWarning):
                warn(" ".join(str(message).split()))
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.simplefilter("always", M2TWarning)
        warnings.showwarning = show
        yield


# What an interrupted command leaves where that is more than "nothing was written" (train and sweep say it
# themselves when training is interrupted; the sweep line is for an interruption between the runs).
_CACHE_REMOVAL = ("the entries removed so far are gone, one cut short is left damaged (rebuilt when needed, removed "
                  "by `m2t-interpret cache prune`) and the others are as they were")
_KEPT = {"sweep": "the finished runs in {out} are kept: run the same sweep command again to continue",
         "cache clear": _CACHE_REMOVAL, "cache prune": _CACHE_REMOVAL}
# The option naming a command's output, where it is not --out. Every output is written at the end, its
# files together or not at all (a temporary file or folder, or a staged transaction of the output
# folder): interrupted, a command wrote nothing there.
_OUTPUT_OPTION = {"caption": "save", "data check": "json_out"}


def _interrupted_line() -> str:
    """The one line Ctrl-C prints: which command stopped and what it kept. Outputs are written last and
    atomically, and the cache (captures, attributions, generated corpora) gets only finished entries."""
    running = dict(_RUNNING)
    if "command" not in running:
        return "interrupted: m2t-interpret stopped before a command began; nothing was written"
    name = running["path"].split(" ", 1)[1]
    try:  # the command's options as given (parsed again without running anything)
        params = running["command"].make_context(running["name"], running["args"], parent=running["parent"],
                                                 resilient_parsing=True).params
    except Exception:  # the line must come out whatever the arguments were
        params = {}
    output = params.get(_OUTPUT_OPTION.get(name, "out"))
    if name in _KEPT:
        kept = [_KEPT[name].format(out=output)]
    else:
        kept = [f"nothing was written to {output}" if output is not None else "nothing was written"]
    if params.get("cache") or str(params.get("data")) == "synthetic":
        kept.append("the cache keeps only finished entries (reused next time)")
    return f"interrupted: {name} stopped; {'; '.join(kept)}"


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of the ``m2t-interpret`` console script.

    Exit codes: 0 success; 2 bad input, a refused destination or an environment problem (one line
    on stderr, no traceback); 130 interrupted (Ctrl-C). Any other exception is a bug and keeps its
    traceback."""
    from .io import os_error_text

    _RUNNING.clear()
    try:
        with _warnings_as_lines():
            rc = app(args=argv, prog_name="m2t-interpret", standalone_mode=False)
    except M2TError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo(_interrupted_line(), err=True)
        return 130
    except OSError as exc:
        # last resort for the environment (permission denied, disk full, a folder where a file is
        # expected …): commands check their inputs and outputs first, so this names what failed
        typer.echo(f"error: {os_error_text(exc)}", err=True)
        return 2
    except Exception as exc:
        # typer's bundled click: usage errors carry format_message() and an exit code
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(_usage_error_line(exc), err=True)
            return 2
        raise
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
