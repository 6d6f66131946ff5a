"""Views of a few clips: ``animate`` (one clip's skeleton with the current word's attention, as a GIF
or MP4) and ``explore`` (an offline HTML page to explore a few clips word by word)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import M2TError
from ..outputs import file_output
from .common import app, warn
from .options import CLIP_VIEW, AnalysisOptions, analysis_options


def _open_clips(o: AnalysisOptions, clips: list[str], **more):
    """The captured clips ``clips`` (ids or indices) of ``o``'s model, data and split."""
    from ..clipviews import open_clips  # heavy: imported when the command runs

    return open_clips(o.model, data=o.data, split=o.split, clips=clips, decode=o.decode, seed=o.seed, vocab=o.vocab,
                      stats=o.stats, device=o.device, progress=o.progress, log=typer.echo, **more)


@app.command()
@analysis_options(*CLIP_VIEW)
def animate(
    o: AnalysisOptions,
    clip: Annotated[str, typer.Option("--clip", metavar="ID|FILE", help="Clip id (e.g. 000012) or index in the "
                                                                     "split, or a motion file (.bvh or .npy).")],
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
    camera: Annotated[str, typer.Option("--camera", metavar="follow|fixed",
                                        help="follow: a window 1.2 body heights wide centred on the "
                                             "pelvis, so the body fills the frame however far it "
                                             "travels (the floor grid and path move under it); fixed: "
                                             "the whole path in view.")] = "follow",
) -> None:
    """Animate one clip's skeleton in 3D with the current word's attention on it: joints coloured and sized by
    α·Γ (α of the joint's part × Γ at that frame), the caption with the active word highlighted while its
    Γ ≥ ½ (in its most attended part's colour), the root's path on the floor. Plays at the model's frame
    rate (10 fps for HumanML3D); the camera follows the body unless --camera fixed."""
    # heavy: imported when the command runs
    from ..clipviews import clip_animation
    from ..plotting.animation import check_animation_format, check_camera, is_animation_file, write_animation

    fmt = check_animation_format(format or out.suffix or "gif")
    camera = check_camera(camera)
    if out.suffix.lower().lstrip(".") not in ("", fmt):
        raise M2TError(f"--out {out} has the suffix {out.suffix} but the format is {fmt}; name a .{fmt} file")
    folder = file_output(out, "animate", "animation", is_legacy=is_animation_file)
    view = _open_clips(o, [clip])
    anim = clip_animation(view, 0, word, camera)
    cap = view.capture
    with folder.transaction() as stage:
        write_animation(anim, stage / out.name, fmt)
    w = anim.weights
    typer.echo(f"{cap.clip_ids[0]}: {cap.captions[0]}")
    typer.echo(f"words drawn: {', '.join(w.words)} · {anim.n_frames} frames at {anim.fps:g} fps · "
               f"largest α·Γ {anim.vmax:.2f} · camera {camera}")
    typer.echo(f"wrote {out}")


@app.command()
@analysis_options(*CLIP_VIEW)
def explore(
    o: AnalysisOptions,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="The HTML page; an earlier explorer page "
                                                                         "is replaced, any other file is refused.")]
    = Path("explorer.html"),
    clip: Annotated[Optional[list[str]], typer.Option(
        "--clip", metavar="ID,ID…", help="Clip ids or indices, repeatable or comma-separated, or motion files (.bvh "
                                         "or .npy). Default: the split's first 3 clips.")] = None,
    clips: Annotated[Optional[list[str]], typer.Option(
        "--clips", hidden=True, help="Deprecated spelling of --clip (every other command's --clips is a count).")]
    = None,
    attribution: Annotated[str, typer.Option(
        "--attribution", metavar="METHOD", help="Per-part attribution drawn beside attention: ablation (each part "
                                                "removed in turn; quick), saliency, ig (Integrated Gradients; "
                                                "slower), shapley (exact; slowest) or none.")] = "ablation",
) -> None:
    """Write one self-contained offline HTML page (plotly.js inline, no network) to explore a few clips: the
    skeleton in 3D with a frame slider, joints coloured by the selected word's α·Γ; the caption as clickable
    words with β̂ each; Γ of every word with the true segments when known; the selected word's part × frame
    map; and its attention per part beside an attribution method's."""
    # heavy: imported when the command runs
    from ..clipviews import EXPLORER_ATTRIBUTION, write_explorer_page
    from ..plotting.explorer import is_explorer_file

    if attribution not in EXPLORER_ATTRIBUTION:
        raise M2TError(f"--attribution must be one of {', '.join(EXPLORER_ATTRIBUTION)}, got {attribution!r}")
    if out.suffix.lower() not in (".html", ".htm"):
        raise M2TError(f"--out {out} should name an .html file")
    folder = file_output(out, "explore", "explorer page", is_legacy=is_explorer_file)
    if clips:
        warn("explore --clips is deprecated (elsewhere --clips is a count of clips); name clips with --clip ID,ID…")
    names = [c.strip() for v in [*(clip or []), *(clips or [])] for c in v.split(",") if c.strip()]
    view = _open_clips(o, names, default=3)
    with folder.transaction() as stage:
        write_explorer_page(view, stage / out.name, attribution)
    cap = view.capture
    for cid, text in zip(cap.clip_ids, cap.captions):
        typer.echo(f"{cid}: {text}")
    typer.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, plotly.js inline: opens offline)")
