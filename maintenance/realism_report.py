"""How far the synthetic corpus is from real motion capture, feature by feature (docs/data.md, "Realism").

    python maintenance/realism_report.py [--n 400] [--seed 0] [--label NAME] [--out FILE.csv]
                                         [--compare BEFORE.csv] [--clips DIR] [--recordings DIR]

Synthetic side: clips 0 … n−1 of the generator at this commit, made as the corpus makes them
(``generate_clip(default_rng([seed, i]))``, no mirrors, nothing written to disk), so running the
script at another commit measures another generator. Real side: (a) the BVH clips of ``--clips``
(the project's eight real clips: ../shared/data/real-mocap from the repository), (b) the long
recordings of ``--recordings`` (every .bvh there; by default test.bvh and test2.bvh of the
``bvhtools`` 1.6.0 sdist, LAFAN1-style, 30 fps), each imported with ``import_bvh`` (HumanML3D
skeleton, 20 fps, the performer's bones) and the recordings cut into back-to-back windows of
``--window-s`` seconds (a remainder shorter than a window is left out).

Per feature (m2t_interpret.analysis.motion_stats: definitions there), the samples of all clips are
pooled (per-frame features: frames; per-clip features: one value per clip or window) and compared
by the 1-Wasserstein distance (scipy.stats.wasserstein_distance), divided by the real samples'
interquartile range (or the feature's floor when larger: 0.02 m, 0.01 for ratios, 0.05 m/s,
5 deg/s, 2°; shares are divided by 1, so their distance is the difference of the shares). The
divisor depends on the real data only, so a "before" and an "after" are comparable. Beside the
pooled real data, the distance to each real source alone (clips, recordings), and how much of the
real data the corpus covers (the share of the real samples inside the synthetic 1st–99th
percentile range): a corpus meant to generalise should cover real values, not only sit near the
few performers the real side holds (body height and proportions come from three or so bodies).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
from scipy.stats import wasserstein_distance

from m2t_interpret.analysis.motion_stats import FEATURES, motion_stats, scale
from m2t_interpret.data.retarget import import_bvh, split_windows
from m2t_interpret.data.synthetic.clip import generate_clip
from m2t_interpret.data.synthetic.corpus import GENERATOR_VERSION
from m2t_interpret.errors import M2TError

REPO = Path(__file__).resolve().parents[1]


def fail(message: str) -> NoReturn:
    """Bad input: one line on stderr, exit status 2 (as the command line does)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


CLIP_DIR = REPO.parent / "shared" / "data" / "real-mocap"
RECORDING_DIR = Path("/tmp/bvhtools/bvhtools-1.6.0/testBvhFiles")
DEFAULT_RECORDINGS = ("test.bvh", "test2.bvh")
#: The first characters of every CSV this script writes (it replaces no other file).
MARK = "# realism_report.py"
Samples = dict[str, list[np.ndarray]]


def _pool(stats: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {f.name: np.concatenate([s[f.name] for s in stats]) if stats else np.zeros(0) for f in FEATURES}


def synthetic_samples(n: int, seed: int) -> dict[str, np.ndarray]:
    """The features of clips 0 … n−1 of the synthetic generator (as the corpus seeds them)."""
    return _pool([motion_stats(generate_clip(np.random.default_rng([seed, i])).joints) for i in range(n)])


def _import(path: Path):
    try:
        return import_bvh(path)
    except M2TError as e:  # a rig the importer does not know: say so, do not stop the report
        print(f"skipped {path.name}: {e}", file=sys.stderr)
        return None


def clip_samples(folder: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    """The features of every BVH clip of ``folder``, each clip whole; and the names used."""
    files = sorted(folder.glob("*.bvh"))
    if not files:
        fail(f"no .bvh clips in {folder}; give the folder of the real clips with --clips")
    imported = [(f.name, _import(f)) for f in files]
    return _pool([motion_stats(m.joints) for _, m in imported if m]), [n for n, m in imported if m]


def recording_samples(files: list[Path], window_s: float) -> tuple[dict[str, np.ndarray], list[str]]:
    """The features of back-to-back windows of each long recording; and 'name (k windows)' per file."""
    stats, used = [], []
    for f in files:
        m = _import(f)
        if m is None:
            continue
        try:
            windows = split_windows(m, length_s=window_s)
        except M2TError as e:  # shorter than a captioner's clip
            print(f"skipped {f.name}: {e}", file=sys.stderr)
            continue
        length = len(windows[0].joints)
        if len(windows) > 1 and m.n_frames % length:  # the last window overlaps: leave the remainder out
            windows = windows[:-1]
        stats += [motion_stats(w.joints) for w in windows]
        used.append(f"{f.name} ({len(windows)} windows)")
    return _pool(stats), used


def recording_files(folder: Path | None) -> list[Path]:
    """Every .bvh of ``folder``; without one, the default recordings when they exist."""
    if folder is not None:
        files = sorted(folder.glob("*.bvh"))
        if not files:
            fail(f"no .bvh recordings in {folder}")
        return files
    files = [RECORDING_DIR / n for n in DEFAULT_RECORDINGS if (RECORDING_DIR / n).exists()]
    if not files:
        print(f"no recordings: {RECORDING_DIR} has none of {', '.join(DEFAULT_RECORDINGS)}; the real side is the "
              "clips only (give --recordings DIR)", file=sys.stderr)
    return files


def _w1(real: np.ndarray, synthetic: np.ndarray, divisor: float) -> float:
    if not (real.size and synthetic.size):
        return float("nan")
    return float(wasserstein_distance(real, synthetic)) / divisor


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if x.size else float("nan")


def covered(real: np.ndarray, synthetic: np.ndarray) -> float:
    """Share of the real samples inside the synthetic samples' 1st–99th percentile range."""
    if not (real.size and synthetic.size):
        return float("nan")
    lo, hi = np.percentile(synthetic, [1, 99])
    return float(np.mean((real >= lo) & (real <= hi)))


def compare(real: dict[str, dict[str, np.ndarray]], synthetic: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per feature: medians, the divisor, the normalised W1 to all real data and to each source."""
    rows = []
    for f in FEATURES:
        pooled = np.concatenate([real[s][f.name] for s in real])
        divisor = scale(f, pooled)
        rows.append({"feature": f.name, "unit": f.unit, "level": f.level, "description": f.description,
                     "real_n": pooled.size, "synthetic_n": synthetic[f.name].size,
                     "real_median": _median(pooled), "synthetic_median": _median(synthetic[f.name]), "scale": divisor,
                     "w1": _w1(pooled, synthetic[f.name], 1.0),
                     "w1_norm": _w1(pooled, synthetic[f.name], divisor),
                     "real_covered": covered(pooled, synthetic[f.name]),
                     **{f"w1_norm_{s}": _w1(real[s][f.name], synthetic[f.name], divisor) for s in real}})
    return pd.DataFrame(rows)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False).stdout.strip()


def commit() -> str:
    """The commit that last changed the synthetic generator (m2t_interpret/data/synthetic), '+dirty'
    when it has uncommitted changes; the repository's HEAD may be later."""
    where = "m2t_interpret/data/synthetic"
    last = _git("log", "-1", "--format=%h", "--abbrev=10", "--", where) or "unknown"
    return last + ("+dirty" if _git("status", "--porcelain", "--", where) else "")


def _num(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return "—"
    return f"{x:.0f}" if unit in ("deg", "deg/s") else f"{x:.2f}" if unit in ("m/s", "share") else f"{x:.3f}"


def markdown(table: pd.DataFrame, sources: list[str]) -> str:
    """The table of one run: feature, real and synthetic medians, normalised W1 (all, per source)."""
    head = (["feature", "unit", "real median", "synthetic median", "W1 / scale"] + [f"vs {s}" for s in sources]
            + ["real covered"])
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for _, r in table.iterrows():
        cells = [r.feature, r.unit, _num(r.real_median, r.unit), _num(r.synthetic_median, r.unit),
                 f"{r.w1_norm:.2f}"] + [f"{r[f'w1_norm_{s}']:.2f}" for s in sources] + [f"{r.real_covered:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"| **mean over features** | | | | **{table.w1_norm.mean():.2f}** | "
                 + " | ".join(f"{table[f'w1_norm_{s}'].mean():.2f}" for s in sources)
                 + f" | {table.real_covered.mean():.2f} |")
    return "\n".join(lines)


def read_run(path: Path) -> tuple[pd.DataFrame, str]:
    """A CSV this script wrote, and its label."""
    try:
        table = pd.read_csv(path, comment="#")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        fail(f"cannot read {path}: {e}")
    if not {"feature", "w1_norm", "synthetic_median", "label"} <= set(table.columns):
        fail(f"{path} is not a realism_report.py CSV (no feature, w1_norm, synthetic_median, label)")
    return table, f"{table['label'].iloc[0]} ({table['commit'].iloc[0]})"


def side_by_side(before: pd.DataFrame, before_name: str, after: pd.DataFrame, after_name: str) -> str:
    """Before and after in one table: synthetic medians and normalised W1 of each, and the change."""
    b = before.set_index("feature")
    lines = [f"before: {before_name}; after: {after_name}", "",
             "| feature | unit | real median | synthetic before | synthetic after | W1 before | W1 after | change "
             + "| real covered, before → after |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for _, r in after.iterrows():
        if r.feature not in b.index:
            lines.append(f"| {r.feature} | {r.unit} | {_num(r.real_median, r.unit)} | — | "
                         f"{_num(r.synthetic_median, r.unit)} | — | {r.w1_norm:.2f} | new | {r.real_covered:.2f} |")
            continue
        old = b.loc[r.feature]
        lines.append(f"| {r.feature} | {r.unit} | {_num(r.real_median, r.unit)} | {_num(old.synthetic_median, r.unit)} | "
                     f"{_num(r.synthetic_median, r.unit)} | {old.w1_norm:.2f} | {r.w1_norm:.2f} | "
                     f"{r.w1_norm - old.w1_norm:+.2f} | {old.get('real_covered', np.nan):.2f} → {r.real_covered:.2f} |")
    common = after[after.feature.isin(b.index)]
    lines.append(f"| **mean over features** | | | | | **{b.loc[common.feature, 'w1_norm'].mean():.2f}** | "
                 f"**{common.w1_norm.mean():.2f}** | {common.w1_norm.mean() - b.loc[common.feature, 'w1_norm'].mean():+.2f} | |")
    moved = common[~np.isclose(common.real_median.to_numpy(), b.loc[common.feature, "real_median"].to_numpy(),
                               rtol=1e-6, atol=1e-9)]
    if len(moved):
        lines.append(f"\nnote: the real side differs between the runs ({', '.join(moved.feature)}): "
                     "same --clips and --recordings?")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Definitions of the features: m2t_interpret/analysis/motion_stats.py.")
    ap.add_argument("--n", type=int, default=400, help="synthetic clips (default 400)")
    ap.add_argument("--seed", type=int, default=0, help="corpus seed of the synthetic clips (default 0)")
    ap.add_argument("--clips", type=Path, default=CLIP_DIR, help=f"folder of real BVH clips (default {CLIP_DIR})")
    ap.add_argument("--recordings", type=Path, default=None,
                    help=f"folder of long BVH recordings, every .bvh there (default: {', '.join(DEFAULT_RECORDINGS)} "
                         f"of {RECORDING_DIR})")
    ap.add_argument("--window-s", type=float, default=7.5, help="window length for the recordings, s (default 7.5)")
    ap.add_argument("--label", default="run", help="name of this run in the CSV and the comparison (default 'run')")
    ap.add_argument("--out", type=Path, help="write the table as CSV here (the run's label and commit in columns)")
    ap.add_argument("--compare", type=Path, help="a CSV of an earlier run: print it and this run side by side")
    ap.add_argument("--sort", action="store_true", help="sort the table by normalised W1, worst first")
    args = ap.parse_args()
    if args.n < 1:
        fail(f"--n must be at least 1, not {args.n}")
    before = read_run(args.compare) if args.compare else None
    if args.out and args.out.exists() and not args.out.read_text(errors="replace").startswith(MARK):
        fail(f"{args.out} exists and is not a table this script wrote; choose another --out")
    t0 = time.perf_counter()
    if not args.clips.is_dir():
        fail(f"no folder {args.clips}; give the folder of the real clips with --clips")
    clips, clip_names = clip_samples(args.clips)
    recordings, recording_names = recording_samples(recording_files(args.recordings), args.window_s)
    real = {"clips": clips} | ({"recordings": recordings} if recording_names else {})
    synthetic = synthetic_samples(args.n, args.seed)
    table = compare(real, synthetic)
    if args.sort:
        table = table.sort_values("w1_norm", ascending=False, kind="stable")
    sha = commit()
    seconds = time.perf_counter() - t0
    print(f"{args.label}: generator {GENERATOR_VERSION} (last changed in {sha}), {args.n} synthetic clips (seed {args.seed}) "
          f"against {len(clip_names)} clips of {args.clips} and "
          f"{'; '.join(recording_names) or 'no recordings'}; {seconds:.0f} s\n\n"
          "W1 / scale: the 1-Wasserstein distance between the real and the synthetic samples over the real samples' "
          "interquartile range (at least 0.02 m, 0.01, 0.05 m/s, 5 deg/s, 2°; shares: the difference of the shares)\n")
    print(markdown(table, list(real)))
    if before:
        print("\n" + side_by_side(before[0], before[1], table, f"{args.label} ({sha})"))
    if args.out:
        out = table.assign(label=args.label, commit=sha, head=_git("rev-parse", "--short=10", "HEAD"),
                           generator_version=GENERATOR_VERSION, n_synthetic=args.n,
                           seed=args.seed)
        header = (f"{MARK} {date.today().isoformat()}: label {args.label}, commit {sha}, real clips "
                  f"{', '.join(clip_names)}; recordings {'; '.join(recording_names) or 'none'} "
                  f"(windows of {args.window_s:g} s)\n")
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(header + out.to_csv(index=False))
        tmp.replace(args.out)  # whole or not at all
        print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
