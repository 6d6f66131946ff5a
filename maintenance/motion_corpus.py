"""Write the motion statistics of a training corpus into an existing checkpoint (docs/pretrained.md,
"When not to trust a caption").

    python maintenance/motion_corpus.py MODEL [--data synthetic|DIR] [--seed 0] [--split train]
                                              [--out FILE] [--dry-run]

Training records them in every checkpoint it writes; this is for checkpoints written before it did,
and only with the corpus the model was trained on (``--data synthetic`` is today's generator: a model
trained on an earlier generator's corpus would get ranges it never saw).
``MODEL`` is a project checkpoint or a shipped model's name; ``--data synthetic`` is the default
synthetic training corpus of ``--seed`` (generated into the cache once, about 340 MB, as training
does), anything else a dataset folder in the HumanML3D layout. The checkpoint is rewritten in place
unless ``--out`` names another file; ``--dry-run`` prints the ranges and writes nothing.
"""

from __future__ import annotations

import argparse

from m2t_interpret.data.dataset import load_split
from m2t_interpret.data.motion_range import corpus_summary, statistic_label
from m2t_interpret.model.checkpoints import checkpoint_path, load_model, write_motion_corpus
from m2t_interpret.training.data import resolve_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="a project checkpoint (.pt) or a shipped model's name")
    ap.add_argument("--data", default="synthetic", help="synthetic (the default training corpus) or a dataset folder")
    ap.add_argument("--seed", type=int, default=0, help="the synthetic corpus's seed (training's synthetic_seed)")
    ap.add_argument("--split", default="train")
    ap.add_argument("--out", default=None, help="write the checkpoint here instead of in place")
    ap.add_argument("--dry-run", action="store_true", help="print the ranges only")
    args = ap.parse_args()
    skeleton = load_model(args.model).skeleton  # the corpus is read as the model reads it
    root = resolve_data(args.data, args.seed, progress=True, log=print)
    data = load_split(root, args.split, skeleton=skeleton, progress=True)
    what = f"synthetic corpus, seed {args.seed}" if args.data == "synthetic" else f"dataset at {root}"
    summary = corpus_summary((s.motion for s in data), skeleton, source=f"{what}, {args.split} split")
    print(f"{summary['n_clips']} clips of {summary['source']}: 1st–99th percentile (median)")
    for name, r in summary["statistics"].items():
        print(f"  {statistic_label(name):<34} {r['lo']:9.3f} – {r['hi']:9.3f}  ({r['median']:.3f})")
    if not args.dry_run:
        path = write_motion_corpus(checkpoint_path(args.model), summary, out=args.out, overwrite=False)
        print(f"wrote the summary into {path}")


if __name__ == "__main__":
    main()
