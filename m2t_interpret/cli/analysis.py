"""Analysis commands: ``capture`` and ``merge`` (a split's capture, whole or in shards), and the
analyses of one model — ``density``, ``hist``, ``parts``, ``onset``, ``gate``, ``map``,
``finegrained`` and ``ablate-gate`` — each a report of figures and tables written to ``--out``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import M2TError
from ..io import check_dir_destination
from .common import app
from .options import (ANALYSIS, SCORED, AnalysisOptions, ClipOpt, WordOpt, analyse, analysis_options, finish, header,
                      open_context, shard_only)

#: The --clip of a command about one clip.
RequiredClipOpt = Annotated[str, typer.Option("--clip", metavar="ID", help="Clip id (e.g. 000012) or index.")]


@app.command("capture")
@analysis_options("out", "shard", "model", "vocab", "stats", "data", "split", "clips", "decode", "seed", "device",
                  "progress")
def capture_cmd(
    o: AnalysisOptions,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR",
                                      help="Folder for the capture (a new folder, or an earlier "
                                           "capture, which is replaced).")],
    shard: Annotated[Optional[str], typer.Option(
        "--shard", metavar="I/N",
        help="Decode only shard i of n (e.g. 2/4): a deterministic slice of the split's length-sorted "
             "chunks; `m2t-interpret merge` joins the n shards into the unsharded capture, bit for bit.")]
    = None,
) -> None:
    """Decode a dataset split and save the full capture (token table, attention arrays, meta) to a folder —
    optionally one shard of it, so that several processes or machines share a large split."""
    # heavy: imported when the command runs
    from ..capture.dataset import capture_split, parse_decode, parse_shard
    from ..model.checkpoints import load_model, resolve_device
    from ..reports import resolve_analysis_data
    from ..result import is_capture_dir

    parse_decode(o.decode)
    shard_spec = parse_shard(o.shard)
    check_dir_destination(o.out, is_capture_dir, "capture")
    captioner = load_model(o.model, vocab=o.vocab, stats=o.stats).to(resolve_device(o.device))
    root = resolve_analysis_data(o.data, o.seed, progress=o.progress, log=typer.echo)
    result = capture_split(captioner, root, o.split, o.decode, o.clips, progress=o.progress, shard=shard_spec,
                           out=o.out)
    typer.echo(f"saved {result.n_clips} clips, {result.n_tokens} tokens"
               + (f" (shard {o.shard})" if o.shard else "") + f" to {o.out}")


@app.command("merge")
def merge_cmd(
    captures: Annotated[list[Path], typer.Argument(metavar="DIR",
                                                   help="Capture folders written by `m2t-interpret capture "
                                                        "--shard i/n`, one per shard.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the merged capture.")],
) -> None:
    """Merge the shards of a split's capture into one capture, identical to an unsharded run."""
    # heavy: imported when the command runs
    from ..capture.dataset import merge_shards
    from ..result import CaptureResult, is_capture_dir

    check_dir_destination(out, is_capture_dir, "capture")
    merged = merge_shards([CaptureResult.load(c) for c in captures], out=out)
    typer.echo(f"merged {len(captures)} captures: {merged.n_clips} clips, {merged.n_tokens} tokens → {out}")


@app.command()
@analysis_options(*ANALYSIS)
def density(
    o: AnalysisOptions,
    word: WordOpt = None,
    non_motion: Annotated[bool, typer.Option("--non-motion", help="Add the non-motion words a, the, an, like, "
                                                                  "his, then, and (those present).")] = False,
) -> None:
    """β̂ kernel density per word stem (Gaussian KDE, Scott bandwidth, on [0, 1]; the paper's Fig. 2a/3),
    with a table of count, mean, median and quartiles. Without --word: the paper's motion words present."""
    from ..reports import density_report  # heavy: imported when the command runs

    analyse(o.checked(), lambda ctx: density_report(ctx, word or [], non_motion), "β̂ density")


@app.command()
@analysis_options(*SCORED)
def hist(o: AnalysisOptions, word: WordOpt = None) -> None:
    """Per-part maximum-attention histograms: m_k = max_i α_ik·Γ_i per occurrence, 25 bins on [0, 1], the six
    parts overlaid (the paper's Fig. 2b/4)."""
    from ..reports import hist_report  # heavy: imported when the command runs

    analyse(o.checked(), lambda ctx: hist_report(ctx, word or []), "max-attention histograms")


@app.command()
@analysis_options(*SCORED)
def parts(o: AnalysisOptions) -> None:
    """Body-part identification for every motion word: the predicted part (argmax of time-weighted part attention)
    and, with ground truth, pointing accuracy, attention correctness and a true × predicted confusion matrix —
    overall, per word category and per word, beside chance and the best constant answer."""
    from ..reports import parts_report  # heavy: imported when the command runs

    analyse(o.checked(), parts_report, "body-part identification")


@app.command()
@analysis_options(*SCORED)
def onset(o: AnalysisOptions, clip: ClipOpt = None) -> None:
    """Temporal localisation: μ, σ and the interval μ ± σ·√(2 ln 2) per motion word; Γ curves of one clip
    (--clip; default: the first clip with several actions) with the true segments; over the split, μ inside the
    true segment, mean tIoU, R@1 at IoU ≥ 0.3/0.5/0.7 and onset error, for one- and several-action clips."""
    from ..reports import onset_report  # heavy: imported when the command runs

    analyse(o.checked(), lambda ctx: onset_report(ctx, clip), "temporal localisation")


@app.command()
@analysis_options(*ANALYSIS)
def gate(o: AnalysisOptions) -> None:
    """Motion vs non-motion separation by β̂: AUROC, best-threshold accuracy, both densities and the words on
    the wrong side (labels from the ground truth, else from the supervision lexicon)."""
    from ..reports import gate_report  # heavy: imported when the command runs

    analyse(o.checked(), gate_report, "gate separation")


@app.command("map")
@analysis_options(*ANALYSIS)
def map_(o: AnalysisOptions, clip: RequiredClipOpt) -> None:
    """Spatio-temporal attention map of one clip: parts × frames of α·Γ, one panel per motion word, titled with
    the prediction, β̂ per word and the reference (the paper's Fig. 7)."""
    from ..reports import map_report  # heavy: imported when the command runs

    analyse(o.checked(), lambda ctx: map_report(ctx, clip), "attention map")


@app.command()
@analysis_options(*ANALYSIS)
def finegrained(o: AnalysisOptions, clip: RequiredClipOpt) -> None:
    """Fine-grained caption of one clip: each motion word with its body part and time interval
    ("waves — right arm — 1.2–2.6 s"; the paper's Fig. 6), as text, table and timeline."""
    from ..reports import finegrained_report  # heavy: imported when the command runs

    analyse(o.checked(), lambda ctx: finegrained_report(ctx, clip), "fine-grained caption")


@app.command("ablate-gate")
@analysis_options(*ANALYSIS)
def ablate_gate(
    o: AnalysisOptions,
    beta: Annotated[float, typer.Option("--beta", min=0.0, max=1.0, metavar="NUMBER",
                                        help="The pinned gate value.")] = 1.0,
) -> None:
    """Captions with β̂ pinned (default 1) beside the adaptive ones and the references, and the caption-metric
    change over the split (the paper's Table 3)."""
    from ..reports import ablate_gate_report  # heavy: imported when the command runs

    o = o.checked()
    if o.decode == "forced":
        raise M2TError("ablate-gate compares generated captions; use --decode greedy, beamK or authors-beamK")
    ctx = open_context(o)
    pinned = open_context(o, beta=beta)
    if shard_only(o, ctx, pinned):
        return
    finish(ablate_gate_report(ctx, pinned), o, header(ctx, f"gate ablation (β̂ = {beta:g})"))
