"""``import``: your own motion capture (BVH) → a clip (.npy) in the HumanML3D or KIT joint layout, or a
folder of BVH files plus a caption table → a dataset in the HumanML3D layout that every command reads."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import M2TError
from .common import app

SKELETON_HELP = "Joint layout to retarget to: humanml3d (22 joints, 20 fps) or kit (21 joints, 12.5 fps)."
MAP_HELP = ("The file's rig: a built-in name (motionbuilder, mixamo, lafan1, smpl, kit) or a TOML joint map "
            "for any other rig. Default: recognised from the joint names.")


@app.command("import")
def import_motion(
    source: Path = typer.Argument(..., metavar="FILE.bvh|DIR",
                                  help="A BVH file, or a folder of BVH files (searched recursively) with --captions."),
    out: Path = typer.Option(..., "--out", "-o", metavar="FILE.npy|DIR",
                             help="The clip (.npy) for a file; the dataset folder for a folder (new, empty, or an "
                                  "earlier import, which is replaced whole)."),
    skeleton: str = typer.Option("humanml3d", "--skeleton", metavar="NAME", help=SKELETON_HELP),
    rig_map: Optional[str] = typer.Option(None, "--map", metavar="RIG|FILE.toml", help=MAP_HELP),
    captions: Optional[Path] = typer.Option(
        None, "--captions", metavar="FILE",
        help="With a folder: the caption table (CSV or TSV with columns file, caption and optionally start, end "
             "in seconds and split), one row per caption."),
    start: Optional[float] = typer.Option(None, "--start", metavar="SECONDS", help="Cut a file from this time."),
    end: Optional[float] = typer.Option(None, "--end", metavar="SECONDS", help="Cut a file up to this time."),
    window: Optional[float] = typer.Option(
        None, "--window", metavar="SECONDS",
        help="With a folder: split long recordings into windows of this length (default: the longest the "
             "captioner accepts)."),
    hop: Optional[float] = typer.Option(None, "--hop", metavar="SECONDS",
                                        help="With a folder: the step between windows (default: --window)."),
    seed: int = typer.Option(0, "--seed", metavar="N",
                             help="With a folder and no split column: the seed of the train/val/test split."),
) -> None:
    """Import motion capture: a BVH file is read, its rig recognised (or given with --map), its units and up
    axis detected, retargeted to the chosen skeleton, resampled to the model's frame rate (rotations
    interpolated) and put in the dataset's conventions (pelvis at the origin at frame 0, facing +z, floor at 0,
    metres). A folder with --captions becomes a dataset in the HumanML3D layout that `data check`, `train`,
    `evaluate` and every analysis read. `caption` reads .bvh files directly."""
    # heavy: imported when the command runs (numpy, scipy)
    from ..data.bvh_import import clip_output, import_clip, import_dataset, write_clip

    if source.is_dir():
        if captions is None:
            raise M2TError(f"{source} is a folder: give its caption table with --captions (or name one .bvh file)")
        if start is not None or end is not None:
            raise M2TError("--start/--end cut one file; for a folder, put start and end columns in the caption table")
        summary = import_dataset(source, captions, out, skeleton=skeleton, rig_map=rig_map, window=window, hop=hop,
                                 seed=seed, log=typer.echo)
        for line in summary.lines():
            typer.echo(line)
        return
    if captions is not None or window is not None or hop is not None:
        raise M2TError("--captions, --window and --hop are for a folder of BVH files; for one file use --start/--end")
    if not source.is_file():
        raise M2TError(f"motion file not found: {source}")
    if source.suffix.lower() != ".bvh":
        raise M2TError(f"{source} is not a .bvh file; import reads BVH motion capture")
    clip_output(out)  # a refused destination fails before the file is read
    joints, report = import_clip(source, skeleton, rig_map, start, end)
    write_clip(joints, out, skeleton)
    for line in report.lines():
        typer.echo(line)
    typer.echo(f"wrote {out}: {joints.shape[0]} frames × {joints.shape[1]} joints, "
               f"{'millimetres (as KIT-ML stores them)' if report.skeleton == 'kit' else 'metres'}")
