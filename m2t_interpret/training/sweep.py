"""A λ grid: one training run per (λ_spat, λ_adapt), scored on the test split, as the paper's
Table 1 (CSV, Markdown and LaTeX)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from ..errors import M2TError
from ..io import check_out_folder, write_text
from ..outputs import LEDGER, STAGING_PREFIX, OutputFolder
from .config import TrainConfig

TABLE_COLUMNS = ["λ_spat", "λ_adapt", "BLEU@1", "BLEU@4", "CIDEr", "ROUGE-L", "BERTScore"]


def parse_grid(spec: str | Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """``"0,0 0,3 2,3"`` → [(0, 0), (0, 3), (2, 3)]."""
    if not isinstance(spec, str):
        return [(float(a), float(b)) for a, b in spec]
    pairs = []
    for item in spec.replace(";", " ").split():
        parts = item.split(",")
        try:
            a, b = (float(p) for p in parts)
        except ValueError:
            raise M2TError(f"bad λ pair {item!r}; write pairs as SPAT,ADAPT separated by spaces, e.g. \"0,0 2,3\"") from None
        pairs.append((a, b))
    if not pairs:
        raise M2TError("empty λ grid; e.g. --grid \"0,0 0,3 2,3\"")
    return pairs


def _fmt(v) -> str:
    return "–" if v is None or v != v else f"{v:.1f}"


def table_markdown(df: pd.DataFrame, protocol: str) -> str:
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---:|" * len(TABLE_COLUMNS)]
    for r in df.itertuples(index=False):
        vals = [f"{r[0]:g}", f"{r[1]:g}"] + [_fmt(v) for v in r[2:7]]
        lines.append("| " + " | ".join(vals) + " |")
    return "\n".join(lines) + f"\n\nScores ×100; protocol: {protocol}.\n"


def table_latex(df: pd.DataFrame, protocol: str) -> str:
    head = ["$\\lambda_{spat}$", "$\\lambda_{adapt}$", "BLEU@1", "BLEU@4", "CIDEr", "ROUGE-L", "BERTScore"]
    best = {c: df[c].max() for c in TABLE_COLUMNS[2:] if df[c].notna().any()}
    rows = []
    for r in df.itertuples(index=False):
        cells = [f"{r[0]:g}", f"{r[1]:g}"]
        for col, v in zip(TABLE_COLUMNS[2:], r[2:7]):
            text = _fmt(v)
            cells.append(f"\\textbf{{{text}}}" if col in best and v == best[col] else text)
        rows.append(" & ".join(cells) + " \\\\")
    return ("\\begin{table}[t]\n\\centering\n\\begin{tabular}{cc" + "c" * 5 + "}\n\\toprule\n"
            + " & ".join(head) + " \\\\\n\\midrule\n" + "\n".join(rows) + "\n\\bottomrule\n\\end{tabular}\n"
            + f"\\caption{{Caption metrics ($\\times 100$) per $\\lambda$; protocol: {protocol}.}}\n\\end{{table}}\n")


TABLE_FILES = ("table1.csv", "table1.md", "table1.tex")


def check_sweep_dir(out_dir: str | os.PathLike) -> Path:
    """``--out`` of a sweep, before any work: absent, empty, or an earlier sweep (only ``lambda_*`` run
    folders and ``table1.*``); a file, an unwritable folder or a folder of other files is refused."""
    out = Path(out_dir)
    if out.is_dir():
        other = sorted(p.name for p in out.iterdir()
                       if not (p.name in TABLE_FILES or (p.name.startswith("lambda_") and p.is_dir())
                               or p.name == LEDGER or p.name.startswith(STAGING_PREFIX)
                               or (p.name.startswith(".") and p.name.endswith(".tmp"))))
        if other:
            raise M2TError(f"--out {out} holds files that are not from a sweep ({', '.join(other[:3])}"
                           f"{', …' if len(other) > 3 else ''}); choose a new folder")
    return check_out_folder(out, "sweep")


def run_sweep(config: TrainConfig, grid: Sequence[tuple[float, float]], out_dir: str | os.PathLike,
              split: str = "test", protocol: str = "project", eval_data: str | None = None,
              eval_synthetic_seed: int | None = None, resume: bool = True, progress: bool = True,
              log: Callable[[str], None] = print, allow_skips: bool = False) -> pd.DataFrame:
    """Train one model per λ pair (resuming finished or partial runs), evaluate each on
    ``split`` and write ``table1.csv``, ``table1.md`` and ``table1.tex`` into ``out_dir``.
    ``allow_skips`` goes on when a split lost more than 5 % (training and evaluation alike)."""
    # training and evaluation load torch: here, not with the module, whose table columns the
    # paper figures read without a model
    from ..evaluation import evaluate_model
    from ..model.checkpoints import load_model
    from .data import resolve_data
    from .trainer import train

    out = check_sweep_dir(out_dir)
    # tables of a sweep written before output ledgers existed are the sweep's own (the folder holds nothing else)
    tables = OutputFolder(out, "sweep", is_legacy=lambda p: p.name in TABLE_FILES)
    tables.check(TABLE_FILES)
    rows = []
    eval_root = resolve_data(eval_data or config.data,
                             config.synthetic_seed if eval_synthetic_seed is None else eval_synthetic_seed,
                             progress=progress, log=log)
    for spat, adapt in grid:
        run = out / f"lambda_{spat:g}_{adapt:g}"
        cfg = replace(config, lambdas=(spat, adapt), name=f"lambda_{spat:g}_{adapt:g}")
        log(f"λ = ({spat:g}, {adapt:g}) → {run}")
        done = (run / "last.pt").exists() and len(pd.read_csv(run / "log.csv")) >= cfg.epochs
        if not done:
            train(cfg, run, resume=resume and (run / "last.pt").exists(), progress=progress, log=log,
                  allow_skips=allow_skips)
        ev = evaluate_model(load_model(run / "model.pt"), eval_root, split=split, protocol=protocol,
                            meteor=False, progress=progress, allow_skips=allow_skips)
        ev.write(run / f"eval_{split}")
        s = ev.scores
        rows.append([spat, adapt, 100 * s.bleu1, 100 * s.bleu4, 100 * s.cider, 100 * s.rouge_l,
                     None if s.bertscore is None else 100 * s.bertscore])
        protocol_text = f"{s.protocol_description}; n={s.n_clips} clips, {s.n_lost} ids lost"
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    with tables.transaction() as stage:
        write_text(stage / "table1.csv", df.to_csv(index=False))
        write_text(stage / "table1.md", table_markdown(df, protocol_text))
        write_text(stage / "table1.tex", table_latex(df, protocol_text))
    return df
