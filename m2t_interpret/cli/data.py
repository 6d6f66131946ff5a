"""Data commands: ``synth`` (the synthetic corpus), ``data check`` and ``data babel-segments``
(datasets), ``lexicon show`` (attention-supervision lexicons) and ``cache`` (what the toolkit keeps
in its cache)."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..data.babel import babel_segment_rows, read_babel, read_index
from ..errors import M2TError
from ..io import atomic_path, check_file_destination, write_text
from .common import ProgressOpt, ReadableHelp, app

data_app = typer.Typer(cls=ReadableHelp, help="Inspect motion–language datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
lexicon_app = typer.Typer(cls=ReadableHelp,
                          help="Attention-supervision lexicons (the word rules that make training targets).",
                          no_args_is_help=True)
app.add_typer(lexicon_app, name="lexicon")
cache_app = typer.Typer(cls=ReadableHelp, help="What m2t-interpret keeps in its cache ($M2T_INTERPRET_CACHE, default "
                        "~/.cache/m2t-interpret): list it, clear it, prune it.", invoke_without_command=True)
app.add_typer(cache_app, name="cache")


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
    from ..data.check import check_dataset, check_to_json, is_check_json  # heavy: imported when the command runs

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
    from ..data.segments import write_segments  # heavy: imported when the command runs

    check_file_destination(out, "segment table", is_ours=_is_segment_table, option="--out")
    ids = None
    if split is not None:
        from ..data.dataset import read_split_ids  # heavy: imported when the command runs

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
    from ..data.synthetic import generate_corpus  # heavy: imported when the command runs

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


def _is_lexicon_csv(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline().startswith(("word,", "entry,"))


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
    # heavy: imported when the command runs
    import pandas as pd

    # heavy: imported when the command runs
    from ..data.lexicon import lexicon_coverage, lexicon_entries, lexicon_table, load_lexicon

    if out is not None:
        check_file_destination(out, "lexicon table", is_ours=_is_lexicon_csv, option="--out")
    lex = load_lexicon(name, skeleton=skeleton)
    if data is None:
        table = lexicon_entries(lex)
        typer.echo(f"lexicon {lex.name} ({lex.source}): {len(table)} entries")
    else:
        # heavy: imported when the command runs
        from ..data.dataset import load_split
        from ..training.data import resolve_data

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
        with atomic_path(out) as tmp:
            table.to_csv(tmp, index=False)
        typer.echo(f"wrote {out}")


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
    from ..cache_admin import check_cache_root, list_entries  # heavy: imported when the command runs

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
    from ..cache_admin import check_cache_root, clear, list_entries  # heavy: imported when the command runs

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
    from ..cache_admin import check_cache_root, prune  # heavy: imported when the command runs

    root = check_cache_root()
    removed, kept = prune(root, older_than, dry_run=dry_run)
    _cache_summary(root, removed, kept, dry_run)


def _cache_name(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _when(stamp: float) -> str:
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
