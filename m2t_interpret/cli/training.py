"""Training and evaluation commands: ``train`` (one captioner), ``evaluate`` (caption a split and score
it) and ``sweep`` (one captioner per λ pair: the paper's Table 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import M2TError
from ..metrics import PROTOCOLS
from ..training.config import load_config
from .common import DEVICE_HELP, MODEL_DEFAULT_HELP, MODEL_METAVAR, STATS_HELP, ProgressOpt, app, warn

DATA_HELP = ("'synthetic' (the default synthetic corpus, generated once into the cache) or a dataset "
             "folder in the HumanML3D layout.")


def _train_config(config: Optional[str], data: str, lambdas: Optional[tuple[float, float]], epochs, seed,
                  synthetic_seed, threads, device=None, **temporal):
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
    time_basis: Optional[int] = typer.Option(
        None, "--time-basis", metavar="N",
        help="Give the temporal attention where each frame lies in its clip: N cosines of the frame's place "
             "(0 at the start, 1 at the end) added to its temporal key, so the window of a later clause can "
             "find a later action. 0 (the default) is the paper's model, which loads the authors' weights."),
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
    # heavy: imported when the command runs
    from ..training.distributed import is_main_process
    from ..training.trainer import TrainingInterrupted
    from ..training.trainer import train as run_training

    cfg = _train_config(config, data, lambdas, epochs, seed, synthetic_seed, threads, device,
                        lambda_order=lambda_order, lambda_segment=lambda_segment, segments=segments,
                        time_basis=time_basis)
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
    # heavy: imported when the command runs
    from ..capture.dataset import parse_decode
    from ..evaluation import check_evaluation_out, evaluate_model
    from ..model.checkpoints import load_model, resolve_device
    from ..training.data import resolve_data

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
    # heavy: imported when the command runs
    from ..training.sweep import check_sweep_dir, parse_grid, run_sweep, table_markdown
    from ..training.trainer import TrainingInterrupted

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
