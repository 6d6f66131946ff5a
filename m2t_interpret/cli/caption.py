"""Model commands: ``caption`` (motion files → captions with per-word attention) and ``convert`` (an
authors' checkpoint → a project checkpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import M2TError
from ..io import check_dir_destination
from .common import DEVICE_HELP, MODEL_DEFAULT_HELP, MODEL_METAVAR, STATS_HELP, app, warn


@app.command()
def caption(
    files: list[Path] = typer.Argument(..., metavar="FILE",
                                       help="Motion files: HumanML3D/KIT new_joints arrays (T, J, 3), .npy, or "
                                            "BVH motion capture (.bvh, imported as `m2t-interpret import` does)."),
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
    # heavy: imported when the command runs
    from ..capture.dataset import parse_decode
    from ..data.preprocessing import read_motion_file
    from ..model.checkpoints import load_model, resolve_device

    mode, beam_size = parse_decode(decode)
    if mode == "forced":
        raise M2TError("caption has no reference captions to force; use --decode greedy, beamK or authors-beamK")
    if beta is not None and not (0.0 <= beta <= 1.0):
        raise M2TError(f"--beta must lie in [0, 1], got {beta}")
    if save is not None:  # a refused destination fails before any decoding
        from ..result import is_capture_dir  # heavy: imported when the command runs

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
    from ..model.checkpoints import convert_authors_checkpoint, load_model  # heavy: imported when the command runs

    path = convert_authors_checkpoint(authors_ckpt, vocab, out, stats=stats, overwrite=overwrite)
    m = load_model(path)
    c = m.config
    typer.echo(f"wrote {path}: {c.skeleton} skeleton, V={c.vocab_size}, E={c.embed_dim}, H={c.hidden}, "
               f"D={c.attn_dim}, statistics {'included' if m.stats else 'absent (pass --stats when captioning)'}")
