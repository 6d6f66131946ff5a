"""What checking the cache costs, recorded in docs/performance.md.

    python bench/bench_cache.py [--rounds 9] [--no-docs]

A cached ``m2t-interpret density --word walk`` run reads the held-out corpus's tables and one
capture from the cache, and checks both first against the entries' manifests: the capture's files
and the corpus's tables by size and CRC-32, the corpus's clips (which it does not read) by size,
and the capture's value ranges (β̂ and α in [0, 1], α summing to 1 over parts). This times

1. the whole command, in a fresh subprocess each time (start-up and imports included), with the
   checks and with them switched off (the same command with ``cache.verify`` answering "ok" and the
   value check skipped, so both pay the same start-up), interleaved, median of ``--rounds``; and,
   in the runs with checks, the time spent inside them;
2. each check on its own, in one process (median of ``--rounds``): the corpus's files, the
   capture's files, and loading the capture with its value check against loading it alone;
3. sealing (writing the manifests) after the first run's build, for scale.

Target: the checks cost at most 5 % of a cached ``density`` run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _doc import update_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

#: The command, run through ``main`` so that the checks can be switched off in the same way.
RUN = r'''
import atexit, sys, time
import m2t_interpret.cache as cache, m2t_interpret.capture.dataset as dataset
if sys.argv[1] == "off":
    cache.verify = lambda entry, *_: (cache.OK, "") if (entry / cache.MANIFEST).exists() else (cache.MISSING, "")
    dataset.check_value_ranges = lambda result: None
else:  # time the checks inside the real run (a fresh process: cold imports, first reads)
    spent = [0.0]

    def timed(fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0
        return wrapper

    cache.verify = timed(cache.verify)
    dataset.check_value_ranges = timed(dataset.check_value_ranges)
    atexit.register(lambda: print(f"CHECKS {spent[0]:.6f}", file=sys.stderr))
from m2t_interpret.cli import main
sys.exit(main(["density", "--word", "walk", "--out", sys.argv[2], "--no-progress"]))
'''


def timed(mode: str, out: Path, env: dict) -> tuple[float, float]:
    """Seconds of the whole command, and of the checks inside it ("on" only)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUN, mode, str(out)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0 or "read from the cache" not in proc.stdout:
        raise SystemExit(f"density ({mode}) failed or missed the cache ({proc.returncode}):\n{proc.stderr}")
    checks = [float(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("CHECKS ")]
    return elapsed, (checks[0] if checks else 0.0)


def median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_cache_") as tmp:
        cache = Path(tmp) / "cache"
        env = {**os.environ, "M2T_INTERPRET_CACHE": str(cache), "PYTHONPATH": str(REPO)}
        first = subprocess.run([sys.executable, "-m", "m2t_interpret.cli", "density", "--word", "walk", "--out",
                                str(Path(tmp) / "out"), "--no-progress"], env=env, capture_output=True, text=True)
        if first.returncode != 0:
            raise SystemExit(first.stderr)
        load_before = os.getloadavg()[0]
        runs: dict[str, list[float]] = {"on": [], "off": []}
        inside: list[float] = []
        for _ in range(args.rounds):
            for mode in ("on", "off"):
                whole, checks_in_run = timed(mode, Path(tmp) / "out", env)
                runs[mode].append(whole)
                if mode == "on":
                    inside.append(checks_in_run)
        load_after = os.getloadavg()[0]
        parts = in_process(cache, args.rounds)
    on, off = statistics.median(runs["on"]), statistics.median(runs["off"])
    in_run = statistics.median(inside)
    checks = parts["corpus"] + parts["capture"] + parts["values"]
    rows = [
        ("cached `density --word walk`, checks on (whole command)", f"{on * 1000:.0f}", ""),
        ("the same, checks off", f"{off * 1000:.0f}", ""),
        ("difference of the medians (noisy: start-up and load vary by more)", f"{(on - off) * 1000:.0f}",
         f"{(on - off) / on:.1%}"),
        ("**time spent in the checks inside the cached run** (timed in each run)", f"**{in_run * 1000:.0f}**",
         f"**{in_run / on:.1%}**"),
        (f"corpus: CRC-32 of its {parts['tables']} tables and lists ({parts['tables_mb']:.1f} MB), size of all "
         f"{parts['corpus_files']:,} files", f"{parts['corpus']:.0f}", f"{parts['corpus'] / 1000 / on:.1%}"),
        (f"capture files: size + CRC-32 of {parts['capture_files']} files, {parts['capture_mb']:.0f} MB",
         f"{parts['capture']:.0f}", f"{parts['capture'] / 1000 / on:.1%}"),
        ("capture value ranges (β̂, α in [0, 1], Σα = 1): load + check minus load", f"{parts['values']:.0f}",
         f"{parts['values'] / 1000 / on:.1%}"),
        ("the three checks above, together (warm process)", f"{checks:.0f}", f"{checks / 1000 / on:.1%}"),
        (f"(not in a cached run) CRC-32 of all {parts['corpus_files']:,} corpus files, {parts['corpus_mb']:.0f} MB: "
         "what a run that decodes checks first", f"{parts['corpus_full']:.0f}", ""),
        ("(not in a cached run) sealing both entries after the first run's build", f"{parts['seal']:.0f}", ""),
    ]
    verdict = "PASS" if in_run / on <= 0.05 else "MISS"
    lines = ["| what | ms (median) | share of the cached run |", "|---|---:|---:|"]
    lines += [f"| {what} | {ms} | {share} |" for what, ms, share in rows]
    table = "\n".join(lines)
    print(table)
    print(f"target ≤ 5 %: {verdict}")
    machine = (f"{os.cpu_count()} logical cores, Python {platform.python_version()}, "
               f"1-min load average {load_before:.2f} before / {load_after:.2f} after")
    section = (f"## Cache checks\n\nReproduce: `python bench/bench_cache.py --rounds {args.rounds}` ({machine}). "
               "A fresh cache is filled by one `density --word walk` run (the held-out corpus and one greedy "
               "capture); then the cached command runs in fresh subprocesses, alternately with the cache's checks "
               "and with them switched off, and each check is timed on its own in one process. A cached run checks "
               "what it reads against the manifest written with each entry — the capture's files and the corpus's "
               "tables by size and CRC-32, the corpus's clips by size (a run that decodes checksums them too) — "
               "and the capture's value ranges. The time spent in the checks is also summed inside each cached run "
               "(a fresh process, as a user runs it), which is the measure the target uses: the difference of "
               "whole-command "
               f"medians is within the noise of start-up and machine load.\n\n{table}\n\n"
               f"Target: the checks cost at most 5 % of a cached `density` run — **{verdict}**.")
    if not args.no_docs:
        print(f"updated {update_section('cache', section)}")


def in_process(cache: Path, rounds: int) -> dict[str, float]:
    """Each check of a cached run timed on its own (medians, ms), and sealing both entries."""
    from m2t_interpret import cache as C
    from m2t_interpret.capture.dataset import check_cached_capture
    from m2t_interpret.result import CaptureResult

    corpus = cache / "synthetic-heldout-seed2"
    (capture,) = [p for p in (cache / "captures").iterdir() if not p.name.startswith(".")]
    for entry in (corpus, capture):
        assert C.verify(entry) == (C.OK, ""), entry
    sizes = {e: [f.stat().st_size for f in e.rglob("*") if f.is_file() and f.name != C.MANIFEST]
             for e in (corpus, capture)}
    tables = [f for f in corpus.iterdir() if f.is_file() and f.name != C.MANIFEST]
    out = {"corpus": median_ms(lambda: C.verify(corpus, C.corpus_tables), rounds),
           "corpus_full": median_ms(lambda: C.verify(corpus), rounds),
           "tables": len(tables), "tables_mb": sum(f.stat().st_size for f in tables) / 1e6,
           "capture": median_ms(lambda: C.verify(capture), rounds),
           "values": (median_ms(lambda: check_cached_capture(capture), rounds)
                      - median_ms(lambda: CaptureResult.load(capture), rounds)),
           "seal": median_ms(lambda: (C.seal(corpus, "corpus"), C.seal(capture, "capture")), 3),
           "corpus_files": len(sizes[corpus]), "corpus_mb": sum(sizes[corpus]) / 1e6,
           "capture_files": len(sizes[capture]), "capture_mb": sum(sizes[capture]) / 1e6}
    return out


if __name__ == "__main__":
    main()
