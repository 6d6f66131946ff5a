"""Write the model cards of the shipped captioners and docs/pretrained.md.

Reads each m2t_interpret/pretrained/<name>.pt (its training record) and the scores that
`m2t-interpret evaluate` wrote to figures/pretrained/<name>/scores.csv:

    for m in synthetic-guided synthetic-adapt synthetic-unguided; do
      m2t-interpret evaluate --model $m --data synthetic --synthetic-seed 1 --split test \
        --no-meteor --out figures/pretrained/$m
    done
    python analyses/model_cards.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from m2t_interpret.io import write_text

ROOT = Path(__file__).resolve().parent.parent
PRETRAINED = ROOT / "m2t_interpret" / "pretrained"
SCORES = ROOT / "figures" / "pretrained"
MODELS = ["synthetic-guided", "synthetic-adapt", "synthetic-unguided"]
TRAIN_CMD = ("m2t-interpret train --data synthetic --config synthetic --lambdas {s:g} {a:g} "
             "--out runs/{name} --threads 1")
EVAL_CMD = ("m2t-interpret evaluate --model {name} --data synthetic --synthetic-seed 1 --split test "
            "--no-meteor --out figures/pretrained/{name}")


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
    rows = []
    protocol = ""
    for name in MODELS:
        ckpt = torch.load(PRETRAINED / f"{name}.pt", weights_only=True)
        tr = ckpt["training"]
        cfg = ckpt["config"]
        s, a = ckpt["lambdas"]
        scores = read_scores(name)
        protocol = next(iter(scores.values()))[1]
        size_mb = (PRETRAINED / f"{name}.pt").stat().st_size / 1e6
        n_params = sum(v.numel() for v in ckpt["state_dict"].values())
        metric = lambda k, scores=scores: scores[k][0]  # noqa: E731
        rows.append((name, s, a, tr, metric, size_mb))
        card = f"""# {name}

Guided-attention motion captioner shipped with m2t-interpret (`load_model("{name}")`).

| | |
|---|---|
| training data | {tr['data']} (default corpus: 4,000 train / 300 val / 500 test source clips, each with its mirror) |
| supervision | the paper's word rules (REFERENCE §1.8) on the captions' words and POS tags; the corpus's ground truth was **not** used |
| λ_spat, λ_adapt | {s:g}, {a:g} |
| sizes | V={cfg['vocab_size']}, E={cfg['embed_dim']}, H={cfg['hidden']}, D={cfg['attn_dim']}, skeleton {cfg['skeleton']}; {n_params:,} parameters, {size_mb:.2f} MB |
| epochs | {tr['config']['epochs']} trained; the model of epoch {tr['best_epoch']} is kept (best greedy validation BLEU-4, {tr['val_bleu4']:.4f}) |
| seed | {tr['seed']} |
| training time | {tr['seconds'] / 60:.1f} min to the kept epoch, one CPU thread (three runs shared two cores) |
| command | `{TRAIN_CMD.format(s=s, a=a, name=name)}` |

Held-out test split of the synthetic corpus generated with seed 1 (never seen in training), greedy
decoding, ×100: BLEU@1 {100 * metric('BLEU@1'):.1f}, BLEU@4 {100 * metric('BLEU@4'):.1f},
ROUGE-L {100 * metric('ROUGE-L'):.1f}, CIDEr {100 * metric('CIDEr'):.1f}.
Protocol: {protocol}. Command: `{EVAL_CMD.format(name=name)}`.

Synthetic motion only: it has not seen real motion capture and will not caption real clips well.
"""
        write_text(PRETRAINED / f"{name}.md", card)
    lines = [
        "# Pretrained captioners",
        "",
        "Three captioners ship inside the package and load by name (`load_model(NAME)`, `--model NAME`).",
        "`synthetic-guided` is the default of every command. Each was trained on the default synthetic",
        "corpus (seed 0) with the paper's word-rule supervision only — never with the corpus's ground",
        "truth, which is reserved for measuring whether attention is right — using:",
        "",
        "```bash",
        *[TRAIN_CMD.format(s=s, a=a, name=name) + f" && cp runs/{name}/model.pt m2t_interpret/pretrained/{name}.pt"
          for name, s, a, *_ in rows],
        "```",
        "",
        "The preset `synthetic` (m2t_interpret/training/presets/synthetic.toml) holds the hyperparameters.",
        "Scores on the held-out test split of the corpus generated with seed 1, greedy decoding, ×100,",
        "each row produced by the command under the table:",
        "",
        "| model | λ_spat | λ_adapt | BLEU@1 | BLEU@4 | ROUGE-L | CIDEr | kept epoch / trained | time to kept epoch | size |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s, a, tr, metric, size_mb in rows:
        lines.append(
            f"| {name} | {s:g} | {a:g} | {100 * metric('BLEU@1'):.1f} | {100 * metric('BLEU@4'):.1f} | "
            f"{100 * metric('ROUGE-L'):.1f} | {100 * metric('CIDEr'):.1f} | {tr['best_epoch']} / {tr['config']['epochs']} | "
            f"{tr['seconds'] / 60:.1f} min | {size_mb:.2f} MB |")
    lines += [
        "",
        f"Protocol: {protocol}. Times: one CPU thread each, the three runs sharing a 2-core machine.",
        "",
        "```bash",
        *[EVAL_CMD.format(name=name) for name, *_ in rows],
        "python analyses/model_cards.py   # this page and the model cards",
        "```",
        "",
        "Model cards: `m2t_interpret/pretrained/<name>.md`.",
        "",
    ]
    write_text(ROOT / "docs" / "pretrained.md", "\n".join(lines))


if __name__ == "__main__":
    main()
