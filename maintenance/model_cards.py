"""Write the model cards of the shipped captioners and the tables of docs/pretrained.md.

Reads each m2t_interpret/pretrained/<name>.pt (its training record), the caption scores that
`m2t-interpret evaluate` wrote to figures/pretrained/<name>/scores.csv, and the interpretability
table that `m2t-interpret compare` wrote to figures/interpretability/compare_scores.csv:

    for m in synthetic-guided synthetic-guided-paper synthetic-adapt synthetic-unguided synthetic-guided-temporal; do
      m2t-interpret evaluate --model $m --data synthetic --synthetic-seed 1 --split test \\
        --no-meteor --out figures/pretrained/$m
    done
    python maintenance/make_interpretability_figures.py
    python maintenance/model_cards.py

It writes the model cards and the section between `<!-- tables:start -->` and `<!-- tables:end -->`
of docs/pretrained.md.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd
import torch

from m2t_interpret.analysis.scores import model_levels
from m2t_interpret.io import write_text
from m2t_interpret.training.config import load_config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _doc import update_section  # noqa: E402
PRETRAINED = ROOT / "m2t_interpret" / "pretrained"
SCORES = ROOT / "figures" / "pretrained"
COMPARE = ROOT / "figures" / "interpretability" / "compare_scores.csv"
#: each model's real-clip scores (`python maintenance/real_clip_scores.py --cards figures/real_clips`)
REAL_CLIPS = ROOT / "figures" / "real_clips"
#: name → (preset, what its supervision is)
MODELS = {
    "synthetic-guided": ("synthetic", "the side-aware `project` word rules (spatial and gate targets)"),
    "synthetic-guided-paper": ("synthetic-paper", "the paper's word rules (`authors` lexicon; spatial and gate targets)"),
    "synthetic-adapt": ("synthetic", "gate targets only, from the `project` word rules (λ_spat = 0)"),
    "synthetic-unguided": ("synthetic", "none (λ = 0, 0): language loss only"),
    "synthetic-guided-temporal": ("synthetic", (
        "the `project` word rules (spatial and gate targets), the clause order read from the caption text (λ_order) "
        "and **the training split's annotated action segments** (`segments.csv`, λ_segment)")),
}
#: models trained on annotations of their training split (named and documented as such)
SEGMENT_TRAINED = {"synthetic-guided-temporal"}
TRAIN_CMD = "m2t-interpret train --config {preset} --lambdas {s:g} {a:g}{flags} --out runs/{name} --threads 1"


def recipe_flags(training: dict, preset: str) -> str:
    """The train options a checkpoint's run added to its preset: its temporal terms, its time basis, and its epochs
    where they differ from the preset's ('' for neither), so that the printed command retrains it."""
    config = training["config"]
    order, segment = config.get("lambda_order", 0.0), config.get("lambda_segment", 0.0)
    out = f" --lambda-order {order:g}" if order else ""
    if segment:
        out += f" --segments {config['segments']} --lambda-segment {segment:g}"
    if config.get("time_basis", 0):
        out += f" --time-basis {config['time_basis']}"
    if config["epochs"] != load_config(preset).epochs:
        out += f" --epochs {config['epochs']}"
    return out
EVAL_CMD = ("m2t-interpret evaluate --model {name} --data synthetic --synthetic-seed 1 --split test "
            "--no-meteor --out figures/pretrained/{name}")
KEY_SCORES = ["pointing, one-part (lateral) words", "pointing, all motion words", "μ in segment, several actions",
              "R@1 IoU≥0.5", "R@1 IoU≥0.7", "onset error (s, lower is better)",
              "gate AUROC, motion vs non-motion (ground truth)"]


def read_scores(name: str) -> dict[str, tuple[float | None, str]]:
    path = SCORES / name / "scores.csv"
    if not path.exists():
        raise SystemExit(f"missing {path}: run `{EVAL_CMD.format(name=name)}` first")
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            value = float(row["value"]) if row["value"] not in ("", "None", "nan") else None
            out[row["metric"]] = (value, row["protocol_description"])
    return out


def main() -> None:
    compare = pd.read_csv(COMPARE).set_index("score") if COMPARE.exists() else None
    rows = []
    protocol = ""
    for name, (preset, supervision) in MODELS.items():
        ckpt = torch.load(PRETRAINED / f"{name}.pt", weights_only=True)
        tr, cfg = ckpt["training"], ckpt["config"]
        time_basis = f", time basis {cfg['time_basis']}" if cfg.get("time_basis") else ""
        s, a = ckpt["lambdas"]
        scores = read_scores(name)
        protocol = next(iter(scores.values()))[1]
        size_mb = (PRETRAINED / f"{name}.pt").stat().st_size / 1e6
        n_params = sum(v.numel() for v in ckpt["state_dict"].values())
        metric = lambda k, scores=scores: scores[k][0]  # noqa: E731
        rows.append((name, preset, s, a, tr, metric, size_mb))
        trained_on = ("segment-supervised: it saw when each action of its *training* captions happens; the held-out "
                      "corpora it is scored on carry no segment table" if name in SEGMENT_TRAINED else
                      "read from the caption text only — the corpus's ground truth was **not** used")
        flags = recipe_flags(tr, preset)
        interp = ""
        if compare is not None and name in compare.columns:
            lines = [f"| {k} | {compare.loc[k, name]:.3f} | {model_levels(compare.loc[k], 'chance', [name])[0]:.3f} | "
                     f"{model_levels(compare.loc[k], 'best constant', [name])[0]:.3f} |" for k in KEY_SCORES if k in compare.index]
            interp = ("\nAttention scored against the ground truth of a held-out synthetic corpus (seed 2), forced "
                      "decoding on the references (`m2t-interpret compare`, docs/interpretability.md):\n\n"
                      "| score | this model | chance | best constant |\n|---|---:|---:|---:|\n" + "\n".join(lines) + "\n")
        card = f"""# {name}

Guided-attention motion captioner shipped with m2t-interpret (`load_model("{name}")`).

| | |
|---|---|
| training data | {tr['data']} (default corpus: 4,000 train / 300 val / 500 test source clips, each with its mirror) |
| supervision | {supervision}; {trained_on} |
| λ_spat, λ_adapt | {s:g}, {a:g} |
| recipe | preset `{preset}`: {tr['config']['epochs']} epochs of one caption per motion, lr {tr['config']['lr']:g} ({tr['config'].get('lr_schedule', 'constant')} to {tr['config'].get('lr_min', 0):g}), teacher forcing {tr['config']['teacher_forcing']:g}, dropout {tr['config']['dropout']:g} |
| sizes | V={cfg['vocab_size']}, E={cfg['embed_dim']}, H={cfg['hidden']}, D={cfg['attn_dim']}, skeleton {cfg['skeleton']}{time_basis}; {n_params:,} parameters, {size_mb:.2f} MB |
| kept epoch | {tr['best_epoch']} of {tr['config']['epochs']} (best greedy validation BLEU-4, {tr['val_bleu4']:.4f}) |
| seed | {tr['seed']} |
| training time | {tr['seconds'] / 60:.1f} min to the kept epoch, one CPU thread (two or three runs shared two cores) |
| command | `{TRAIN_CMD.format(preset=preset, s=s, a=a, flags=flags, name=name)}` |

Held-out test split of the synthetic corpus generated with seed 1 (never seen in training), greedy
decoding, ×100: BLEU@1 {100 * metric('BLEU@1'):.1f}, BLEU@4 {100 * metric('BLEU@4'):.1f},
ROUGE-L {100 * metric('ROUGE-L'):.1f}, CIDEr {100 * metric('CIDEr'):.1f}.
Protocol: {protocol}. Command: `{EVAL_CMD.format(name=name)}`.
{interp}{real_clips(name)}"""
        write_text(PRETRAINED / f"{name}.md", card)
    lines = [
        "| model | preset | λ_spat | λ_adapt | BLEU@1 | BLEU@4 | ROUGE-L | CIDEr | kept epoch / trained | time to kept epoch | size |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, preset, s, a, tr, metric, size_mb in rows:
        lines.append(
            f"| {name} | {preset} | {s:g} | {a:g} | {100 * metric('BLEU@1'):.1f} | {100 * metric('BLEU@4'):.1f} | "
            f"{100 * metric('ROUGE-L'):.1f} | {100 * metric('CIDEr'):.1f} | {tr['best_epoch']} / {tr['config']['epochs']} | "
            f"{tr['seconds'] / 60:.1f} min | {size_mb:.2f} MB |")
    lines += ["", f"Protocol: {protocol}.", "", "```bash",
              *[TRAIN_CMD.format(preset=p, s=s, a=a, flags=recipe_flags(tr, p), name=n)
                + f" && cp runs/{n}/model.pt m2t_interpret/pretrained/{n}.pt" for n, p, s, a, tr, *_ in rows],
              *[EVAL_CMD.format(name=n) for n, *_ in rows], "```", ""]
    doc = ROOT / "docs" / "pretrained.md"
    update_section("tables", "\n".join(lines), doc)
    if compare is not None:
        update_section("claim", claim_table(compare), doc)
        update_section("goals", goals_table(compare), doc)
        if "synthetic-guided-temporal" in compare.columns:
            update_section("temporal-goals", goals_table(compare, "synthetic-guided-temporal", TEMPORAL_GOALS), doc)


def real_clips(name: str) -> str:
    """The card's section on real motion capture (from real_clip_scores.py's card table), or a line
    saying it was not measured."""
    path = REAL_CLIPS / f"{name}.md"
    if not path.exists():
        return "\nNot scored on real motion capture (run `python maintenance/real_clip_scores.py --cards figures/real_clips`).\n"
    header, _, table = path.read_text().partition("\n\n")
    return ("\nOn real motion capture (`python maintenance/real_clip_scores.py`, docs/pretrained.md, \"Real motion\"; "
            f"{header.strip()}); trained on synthetic motion only:\n\n{table.strip()}\n")


CLAIM_ROWS = ["pointing, one-part (lateral) words", "pointing, all motion words",
              "attention correctness, all motion words", "μ in segment, one action", "μ in segment, several actions",
              "mean tIoU", "R@1 IoU≥0.3", "R@1 IoU≥0.5", "R@1 IoU≥0.7", "onset error (s, lower is better)",
              "gate AUROC, motion vs non-motion (ground truth)", "caption BLEU@4 (greedy)", "caption CIDEr (greedy)"]


def _fmt(v) -> str:
    return "" if pd.isna(v) else f"{float(v):.3f}"


def claim_table(compare: pd.DataFrame) -> str:
    """The comparison rows the claim rests on, the four models beside chance and the best constant."""
    models = [m for m in MODELS if m in compare.columns]
    head = ["| score | " + " | ".join(models) + " | chance | best constant | n |",
            "|---|" + "---:|" * (len(models) + 3)]
    def level(r: str, column: str) -> str:  # shared, or the models' own levels (model order) where they differ
        own = [_fmt(v) for v in model_levels(compare.loc[r], column, models)]
        return own[0] if len(set(own)) == 1 else " / ".join(own)

    body = [f"| {r} | " + " | ".join(_fmt(compare.loc[r, m]) for m in models) + f" | {level(r, 'chance')} "
            f"| {level(r, 'best constant')} | {'' if pd.isna(compare.loc[r, 'n']) else int(compare.loc[r, 'n'])} |"
            for r in CLAIM_ROWS if r in compare.index]
    return ("\n".join(head + body) + "\n\nMade by `m2t-interpret compare --out figures/interpretability` (seed 2, forced "
            "decoding; caption metrics greedy). Where a chance level depends on the model (temporal scores use the "
            "model's own mean σ), the cell lists each model's, in column order.")


#: (score, goal, higher is better, the comparison the goal is about)
GOALS = [
    ("pointing, one-part (lateral) words", 0.95, None),
    ("pointing, one-part (lateral) words", 0.30, "synthetic-unguided"),
    ("μ in segment, several actions", 0.85, None),
    ("R@1 IoU≥0.5", 0.65, None),
    ("onset error (s, lower is better)", 0.6, None),
    ("gate AUROC, motion vs non-motion (ground truth)", 0.99, None),
    ("caption BLEU@4 (greedy)", 0.55, None),
    ("caption CIDEr (greedy)", 2.7, None),
]


#: the segment-supervised model's goals (onset error: lower is better)
TEMPORAL_GOALS = [
    ("μ in segment, several actions", 0.95, None),
    ("R@1 IoU≥0.5", 0.85, None),
    ("R@1 IoU≥0.7", 0.5, None),
    ("onset error (s, lower is better)", 0.25, None),
    ("pointing, one-part (lateral) words", 0.95, None),
    ("gate AUROC, motion vs non-motion (ground truth)", 0.99, None),
    ("caption BLEU@4 (greedy)", 0.60, None),
    ("caption CIDEr (greedy)", 3.0, None),
]


def goals_table(compare: pd.DataFrame, model: str = "synthetic-guided", goals=GOALS) -> str:
    rows = [f"| goal for {model} | measured | met |", "|---|---:|---|"]
    for score, goal, against in goals:
        v = float(compare.loc[score, model])
        if score.startswith("onset error"):
            rows.append(f"| {score} ≤ {goal:g} | {v:.3f} | {'yes' if v <= goal else f'no (over by {v - goal:.3f})'} |")
        elif against is None:
            rows.append(f"| {score} ≥ {goal:g} | {v:.3f} | {'yes' if v >= goal else f'no (short by {goal - v:.3f})'} |")
        else:
            d = v - float(compare.loc[score, against])
            rows.append(f"| {score}: ≥ {goal:g} above {against} | +{d:.3f} | {'yes' if d >= goal else 'no'} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
