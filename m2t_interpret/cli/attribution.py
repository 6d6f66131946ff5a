"""Attention checked against attribution: ``attribute`` (which parts and frames each word depends on,
beside attention), ``faithfulness`` (interventions on what attention points at) and ``sanity``
(attention and attributions as the model's layers are randomised)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..attribution.table import method_help
from ..errors import M2TError
from .common import app
from .options import ATTRIBUTION, AnalysisOptions, ClipOpt, analysis_options, finish, header, open_context

MethodOpt = Annotated[str, typer.Option("--method", metavar="METHOD", help=method_help())]
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
    # heavy: imported when the command runs
    from ..attribution import check_baseline, check_method, check_target, read_feature_mask

    method, target, baseline = check_method(method), check_target(target), check_baseline(baseline)
    groups = None
    if feature_mask is not None:
        from ..model.checkpoints import load_model  # heavy: imported when the command runs

        groups = read_feature_mask(feature_mask, load_model(o.model, vocab=o.vocab, stats=o.stats).skeleton)
    if clip is not None:
        # heavy: imported when the command runs
        from ..data.dataset import read_split_ids
        from ..reports import resolve_analysis_data

        ids = read_split_ids(resolve_analysis_data(o.data, o.seed, progress=o.progress, log=typer.echo), o.split)
        ids = ids[: o.clips] if o.clips else ids
        if clip not in ids and not (clip.isdigit() and int(clip) < len(ids)):
            raise M2TError(f"no clip {clip!r} in split {o.split} (first {len(ids)} clips: ids {ids[0]} … {ids[-1]}, "
                           f"or an index 0..{len(ids) - 1})")
    return method, target, baseline, groups


def _attribution_context(o: AnalysisOptions, method: str, target: str, baseline: str, steps: int, groups,
                         extra: tuple[str, ...] = (), shard: Optional[str] = None):
    """The forced-decoding analysis of ``o`` and the attributions of ``method`` (and ``extra``) on it
    (with ``shard``, of that shard's clips only, kept in the cache)."""
    from ..reports import open_attribution  # heavy: imported when the command runs

    ctx = open_context(o, decode="forced")
    result = open_attribution(ctx, [method, *extra], target=target, baseline=baseline, n_steps=steps,
                              joint_groups=groups, cache=o.cache, progress=o.progress, log=typer.echo, shard=shard)
    return ctx, result


AttributionShardOpt = Annotated[Optional[str], typer.Option(
    "--shard", metavar="I/N",
    help="Only attribute shard i of n (e.g. 2/4) of the split's clips into the attribution cache and stop; once "
         "all n shards are there (parallel processes, GPUs or a cluster's array jobs sharing the cache), the same "
         "command without --shard merges them, equal to one run, and writes the analysis.")]


@app.command()
@analysis_options(*ATTRIBUTION, "truth", decode="forced")
def attribute(
    o: AnalysisOptions, method: MethodOpt = "ig", target: TargetOpt = "logprob", baseline: BaselineOpt = "first_pose",
    steps: StepsOpt = 32, feature_mask: MaskOpt = None, clip: ClipOpt = None, shard: AttributionShardOpt = None,
) -> None:
    """Which body parts and frames each word of the reference caption depends on (captum), beside the model's
    attention: per-word part bars and frame × part maps of one clip (--clip; default the first), agreement per
    word category (Spearman, top-1, Jensen–Shannon, centre of mass vs μ, interval overlap with Γ, β̂ vs mass) with
    bootstrap intervals and chance, and, with ground truth, attribution scored like attention."""
    from ..reports import attribute_report  # heavy: imported when the command runs

    o = o.checked()
    if shard is not None:
        from ..capture.dataset import parse_shard  # heavy: imported when the command runs

        n = parse_shard(shard)[1]
        if not o.cache:
            raise M2TError("--shard keeps the shard in the attribution cache for the unsharded run to merge; drop "
                           "--no-cache")
    method, target, baseline, groups = _attribution_setup(o, method, target, baseline, clip, feature_mask)
    ctx, result = _attribution_context(o, method, target, baseline, steps, groups, shard=shard)
    if shard is not None:
        typer.echo(f"shard {shard} ({method}, target {target}): {result.n_clips} clips attributed into the cache; "
                   f"no analysis written: once all {n} shards are there, run the same command without --shard")
        return
    finish(attribute_report(ctx, result, method, clip), o, header(ctx, f"attribution ({method}, target {target})"))


@app.command()
@analysis_options(*ATTRIBUTION, decode="forced")
def faithfulness(
    o: AnalysisOptions, method: MethodOpt = "ig", baseline: BaselineOpt = "first_pose", steps: StepsOpt = 32,
    feature_mask: MaskOpt = None,
) -> None:
    """Faithfulness by intervention: the drop in each word's log-probability when the most-attended part (α
    renormalised without it), the attended window (μ ± σ·√(2 ln 2)), each other part (their mean: the chance level), a
    random window, or the top-attributed part is removed; deletion curves (comprehensiveness, sufficiency) by attention
    and by attribution; input-level deletion of a part's joints."""
    from ..reports import faithfulness_report  # heavy: imported when the command runs

    o = o.checked()
    method, _, baseline, groups = _attribution_setup(o, method, "logprob", baseline, None, feature_mask)
    ctx, result = _attribution_context(o, method, "logprob", baseline, steps, groups)
    finish(faithfulness_report(ctx, result, method), o, header(ctx, f"faithfulness ({method})"))


@app.command()
@analysis_options(*ATTRIBUTION, decode="forced", clips=20)
def sanity(
    o: AnalysisOptions, method: MethodOpt = "saliency", target: TargetOpt = "logprob",
    baseline: BaselineOpt = "first_pose", steps: StepsOpt = 32,
) -> None:
    """Sanity check (Adebayo et al. 2018): the model's layers randomised one by one from the output down; after each,
    the rank correlation of attention and of attributions with the trained model's, word by word."""
    from ..reports import sanity_report  # heavy: imported when the command runs

    o = o.checked()
    method, target, baseline, _ = _attribution_setup(o, method, target, baseline, None, None)
    ctx = open_context(o, decode="forced")
    finish(sanity_report(ctx, method, target, baseline, steps), o, header(ctx, f"sanity ({method})"))
