"""Command-line interface: a thin layer over library functions that notebooks call the same way.

Every command turns :class:`~m2t_interpret.errors.M2TError` (bad input) into one line on stderr
and exit code 2, with no traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import __version__
from .errors import M2TError

app = typer.Typer(
    name="m2t-interpret",
    help="Interpretable motion captioning: caption motions and see where, when and whether the "
    "captioner looked at the motion for every word.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect motion–language datasets.", no_args_is_help=True)
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

MODEL_HELP = ("A shipped model name (synthetic-guided, synthetic-adapt, synthetic-unguided), a project "
              "checkpoint (.pt) or an authors' checkpoint (needs --vocab).")


def parse_decode(spec: str) -> tuple[str, int]:
    """'greedy' → ("greedy", 1); 'beam2' / 'beam' → ("beam", 2)."""
    import re

    spec = spec.strip().lower()
    if spec == "greedy":
        return "greedy", 1
    match = re.fullmatch(r"beam(\d*)", spec)
    if match:
        size = int(match.group(1) or 2)
        if size < 1:
            raise M2TError("beam size must be ≥ 1 (e.g. --decode beam2)")
        return "beam", size
    raise M2TError(f"unknown --decode {spec!r}; use greedy or beamK (e.g. beam2)")


@app.command()
def caption(
    files: list[Path] = typer.Argument(..., help="Motion files: HumanML3D/KIT new_joints arrays (T, J, 3), .npy."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=MODEL_HELP + " Default: synthetic-guided."),
    decode: str = typer.Option("greedy", "--decode", "-d", help="greedy, or beamK for beam search of width K (beam2)."),
    vocab: Optional[Path] = typer.Option(None, help="Vocabulary JSON (list of tokens in id order) for an authors' checkpoint."),
    stats: Optional[Path] = typer.Option(None, help='Normalisation statistics JSON {"mean": [x,y,z], "std": [x,y,z]}.'),
    beta: Optional[float] = typer.Option(None, help="Pin the gate β̂ to this value (1.0 = the paper's ablation)."),
    save: Optional[Path] = typer.Option(None, help="Also save the full capture (table + dense arrays) to this directory."),
) -> None:
    """Caption motion clips and show, per word, the gate β̂, the most attended body part and the
    time interval μ ± σ (seconds) of the Gaussian temporal attention."""
    import numpy as np

    from .model.checkpoints import load_model

    mode, beam_size = parse_decode(decode)
    captioner = load_model(model, vocab=vocab, stats=stats)
    motions = []
    for f in files:
        if not f.exists():
            raise M2TError(f"motion file not found: {f}")
        try:
            motions.append(np.load(f, allow_pickle=False))
        except Exception as exc:
            raise M2TError(f"cannot read {f} as a .npy array: {exc}") from exc
    result = captioner.capture(motions, mode=mode, beam_size=beam_size, beta=beta,
                               clip_ids=[f.stem for f in files])
    table = result.to_dataframe()
    for n, f in enumerate(files):
        typer.echo(f"{f.name}: {result.captions[n]}")
        rows = table[table["clip"] == n]
        typer.echo(f"  {'word':<14}{'beta':>6}  {'part':<9} interval (s)")
        for _, r in rows.iterrows():
            typer.echo(f"  {r['word']:<14}{r['beta']:>6.2f}  {r['top_part']:<9} "
                       f"{r['mu_s']:.2f} ± {r['sigma_s']:.2f}  [{r['onset_s']:.2f}, {r['offset_s']:.2f}]")
    if save is not None:
        result.save(save)
        typer.echo(f"saved capture to {save}")


@app.command()
def convert(
    authors_ckpt: Path = typer.Argument(..., help="The authors' checkpoint (.tar/.pt) holding a 'model' state_dict."),
    vocab: Path = typer.Option(..., help="Vocabulary JSON: the list of tokens in id order the model was trained with."),
    out: Path = typer.Option(..., help="Where to write the project checkpoint (.pt)."),
    stats: Optional[Path] = typer.Option(None, help='Normalisation statistics JSON {"mean": [x,y,z], "std": [x,y,z]}.'),
) -> None:
    """Convert an authors' checkpoint into a self-contained project checkpoint."""
    from .model.checkpoints import convert_authors_checkpoint, load_model

    path = convert_authors_checkpoint(authors_ckpt, vocab, out, stats=stats)
    m = load_model(path)
    c = m.config
    typer.echo(f"wrote {path}: {c.skeleton} skeleton, V={c.vocab_size}, E={c.embed_dim}, H={c.hidden}, "
               f"D={c.attn_dim}, statistics {'included' if m.stats else 'absent (pass --stats when captioning)'}")

# ---------------------------------------------------------------------------------------------
# data commands: data check, synth
# ---------------------------------------------------------------------------------------------


@data_app.command("check")
def data_check(
    directory: Path = typer.Argument(..., help="Dataset folder in the HumanML3D layout "
                                     "(new_joints/, texts/, train.txt, val.txt, test.txt)."),
    split: Optional[list[str]] = typer.Option(
        None, "--split", "-s", help="Split to check (repeatable); default: train, val, test."),
    limit: Optional[int] = typer.Option(
        None, "--limit", min=0, help="Load at most this many ids per split (quick look)."),
    skeleton: Optional[str] = typer.Option(
        None, "--skeleton", help="humanml3d or kit; default: detected from the joint count."),
    mirror_pairs: int = typer.Option(
        50, "--mirror-pairs", min=0, help="How many X / MX pairs to compare."),
    tolerance: float = typer.Option(
        0.01, "--tolerance", help="Mirror-pair tolerance in metres."),
    json_out: Optional[Path] = typer.Option(
        None, "--json", help="Also write the full result as JSON to this file."),
    progress: bool = typer.Option(False, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Check a dataset: counts, shapes, units, split coverage, mirror pairs, left side, captions.

    Exit code 2 when the dataset is unusable (no split file or no loadable sample).
    """
    from .data.check import check_dataset, check_to_json
    from .io import write_text

    result = check_dataset(directory, split or None, limit=limit, skeleton=skeleton,
                           mirror_pairs=mirror_pairs, tolerance=tolerance, progress=progress)
    typer.echo(result.format_text())
    if json_out is not None:
        write_text(json_out, check_to_json(result) + "\n")
        typer.echo(f"wrote {json_out}")
    if not result.usable:
        raise M2TError("dataset is unusable: " + ("; ".join(result.problems) or "nothing loaded"))

# ---------------------------------------------------------------------------------------------
# training and evaluation commands: train, sweep, evaluate
# ---------------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of the ``m2t-interpret`` console script."""
    try:
        app(args=argv, standalone_mode=False)
    except M2TError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except FileNotFoundError as exc:
        typer.echo(f"error: file not found: {exc.filename or exc}", err=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:
        # typer's bundled click: usage errors carry show() and an exit code
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return 2
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
