#!/usr/bin/env python
"""Beam-search throughput: the project's searches against the authors' best-first search.

Times, at 16 clips and beam size 2, on one thread and in float32:

- the reference: ``ReferenceCaptioner.authors_beam`` (bench/reference_captioner.py), the authors'
  best-first search written step by step in the style of their code (REFERENCE §1.9): one priority
  queue per clip, clips one after another, and every expansion runs ONE decoder step for ONE
  hypothesis, recomputing both key projections ``feat_extract_x(R)`` and ``feat_extract_g(R)`` over
  all frames. Two cost models: "one clip" (the step sees this clip's column only) and "all
  columns" (as the released code: every expansion computes the projections and both attentions
  for all N clips of the batch and keeps this clip's column, O(N) per expansion);
- the project: ``Captioner.decode(mode="authors_beam")`` (the same search, exact) and
  ``Captioner.decode(mode="beam")`` (the project's batched synchronous beam), capture on and off.

Before timing, the benchmark asserts that the reference (both cost models) and
``mode="authors_beam"`` return the same n-best lists (same hypotheses, same order) with scores
within 1e-4 on the benchmark batch. Target: ``mode="authors_beam"`` ≥ 30× the reference's
throughput.

Usage::

    python bench/bench_beam.py                        # both sizes, writes docs/performance.md
    python bench/bench_beam.py --sizes humanml3d      # one size (the doc keeps the other's table)
    python bench/bench_beam.py --no-write             # print only
    python bench/bench_beam.py --quick                # 4 clips, 1 repeat, one-clip reference only, prints only
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _doc import DOC, update_section  # noqa: E402
from bench_decoding import SIZES, Row, machine, measure  # noqa: E402
from bench_decoding import Settings as DecodingSettings  # noqa: E402
from bench_decoding import build_inputs as decoding_inputs  # noqa: E402
from reference_captioner import ReferenceCaptioner  # noqa: E402

from m2t_interpret.model.authors_beam import run_authors_beam  # noqa: E402
from m2t_interpret.model.captioner import EOS, Captioner  # noqa: E402

SECTION = "beam"
TARGET = 30.0
SCORE_ATOL = 1e-4
#: The issue's measurement of the authors' own code at HumanML3D sizes, 16 clips, beam 2 (seconds).
ISSUE_AUTHORS_SECONDS = 10.1

@dataclass
class Settings:
    size: str = "humanml3d"
    clips: int = 16
    frames: int = 60
    min_length: int = 40
    beam: int = 2
    max_steps: int = 100
    repeats: int = 3
    threads: int = 1
    seed: int = 0
    attention_scale: float = 4.0
    all_columns: bool = True  # also time the all-columns reference (once: it is slow)


def build_inputs(s: Settings) -> tuple[Captioner, ReferenceCaptioner, torch.Tensor, torch.Tensor]:
    """Seeded model, its reference and a batch: bench/bench_decoding.py's recipe at these settings."""
    return decoding_inputs(DecodingSettings(sizes=s.size, clips=s.clips, frames=s.frames, min_length=s.min_length,
                                            seed=s.seed, attention_scale=s.attention_scale))


def check_same_search(ours, theirs, what: str) -> None:
    """Assert identical n-best lists (hypotheses and order) and scores within 1e-4."""
    assert len(ours) == len(theirs), f"{what}: {len(theirs)} clips, project {len(ours)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert [h[0] for h in a] == [h[0] for h in b], f"{what}: clip {i}'s n-best list differs from the project's"
        for (_, sa), (_, sb) in zip(a, b):
            assert abs(sa - sb) <= SCORE_ATOL, f"{what}: clip {i}'s scores differ by {abs(sa - sb):.2e}"


REF = "reference authors' beam, one clip per expansion"
REF_ALL = "reference authors' beam, all N columns per expansion (released code's cost)"
SEARCH_ONLY = "project authors_beam search only (`run_authors_beam` on the encoded batch)"


def run(s: Settings) -> dict:
    if s.threads:
        torch.set_num_threads(s.threads)
    model, reference, x, lengths = build_inputs(s)
    x_tf = x.transpose(0, 1).contiguous()  # the reference is time-first, as the authors' code
    k, steps = s.beam, s.max_steps

    # Equivalence first (this also warms everything up).
    ours = model.decode(x, lengths, mode="authors_beam", beam_size=k, max_steps=steps, capture=False)
    check_same_search(ours.n_best, reference.authors_beam(x_tf, lengths, k, all_columns=False), REF)
    best_len = [len(c[0][0]) - 1 for c in ours.n_best]
    finished = sum(1 for c in ours.n_best if c[0][0][-1] == EOS)
    with torch.inference_mode():
        enc = model.encode(x, lengths)
        searches = run_authors_beam(model, enc, k, steps)
    expansions = [r.expansions for r in searches]
    stops = {stop: sum(r.stop == stop for r in searches) for stop in ("finished", "max_steps", "budget")}
    load_before = os.getloadavg()
    all_columns_time = None
    if s.all_columns:  # one timed run: it takes ~10× the one-clip reference
        with torch.inference_mode():
            t0 = time.perf_counter()
            theirs = reference.authors_beam(x_tf, lengths, k, all_columns=True)
            all_columns_time = time.perf_counter() - t0
        check_same_search(ours.n_best, theirs, REF_ALL)

    def project(mode: str, capture: bool):
        return lambda: model.decode(x, lengths, mode=mode, beam_size=k, max_steps=steps, capture=capture)

    cases = {
        REF: lambda: reference.authors_beam(x_tf, lengths, k, all_columns=False),
        f'project mode="authors_beam" beam {k}, capture off': project("authors_beam", False),
        f'project mode="authors_beam" beam {k}, capture on': project("authors_beam", True),
        SEARCH_ONLY: lambda: run_authors_beam(model, enc, k, steps),
        f'project mode="beam" (batched) beam {k}, capture off': project("beam", False),
        f'project mode="beam" (batched) beam {k}, capture on': project("beam", True),
    }
    with torch.inference_mode():
        rows = measure(cases, s.repeats)
    load_after = os.getloadavg()
    if all_columns_time is not None:
        rows = {REF_ALL: Row(REF_ALL, [all_columns_time]), **rows}
    ref_time = rows[REF].median
    return {
        "settings": s, "threads": torch.get_num_threads(), "rows": rows, "ref": ref_time,
        "ref_all": all_columns_time, "load": (load_before[0], load_after[0]),
        "best_len": best_len, "finished": finished, "expansions": expansions, "stops": stops,
        "date": _dt.date.today().isoformat(),
        "pass": {name: (ref_time / rows[name].median >= TARGET,
                        None if all_columns_time is None else all_columns_time / rows[name].median >= TARGET)
                 for name in rows if name.startswith('project mode="authors_beam"')},
    }


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "MISS")


def table(res: dict) -> str:
    s, rows, ref, ref_all = res["settings"], res["rows"], res["ref"], res["ref_all"]
    lines = [
        "| configuration | s per batch (median) | s per batch (best) | clips/s | × one-clip reference "
        "| × all-columns reference | target ≥ 30× (one-clip / all-columns) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in rows.items():
        t = row.median
        vs_all = "—" if ref_all is None else f"{ref_all / t:.1f}×"
        if name in res["pass"]:
            one, allc = res["pass"][name]
            target = f"{_verdict(one)} / {_verdict(allc)}"
        else:
            target = "—"
        runs = "" if len(row.times) > 1 else " (1 run)"
        lines.append(f"| {name}{runs} | {t:.3f} | {min(row.times):.3f} | {s.clips / t:.1f} | {ref / t:.1f}× "
                     f"| {vs_all} | {target} |")
    return "\n".join(lines)


def describe(res: dict) -> str:
    s = res["settings"]
    size = SIZES[s.size]
    lens, exp = res["best_len"], res["expansions"]
    stops = ", ".join(f"{n} {stop}" for stop, n in res["stops"].items() if n)
    return (
        f"{size['label']} sizes H={size['hidden']}, E={size['embed']}, D={size['attn']}, V={size['vocab']}, "
        f"{size['skeleton']} skeleton (seeded random weights, attention score weights ×{s.attention_scale:g}); "
        f"{s.clips} clips of {s.frames} model frames, each with a random valid length in "
        f"{s.min_length}..{s.frames} (zero-padded); beam size {s.beam}, max_steps={s.max_steps} for the "
        f"project (it never binds the authors' search at k = 2). The search ran {sum(exp)} expansions "
        f"({min(exp)}..{max(exp)} per clip; stop reasons: {stops}); best captions of "
        f"{min(lens)}..{max(lens)} tokens, {res['finished']} of {s.clips} ending with <eos>. "
        f"torch threads = {res['threads']}; float32; torch.inference_mode; warm-up once, then median of "
        f"{s.repeats} interleaved repeats"
        + ("" if res["ref_all"] is None else " (the all-columns reference: one run, before the others)")
        + "; 1-min load average "
        f"{res['load'][0]:.2f} before / {res['load'][1]:.2f} after timing."
    )


def size_block(res: dict, command: str) -> str:
    s = res["settings"]
    return "\n".join([
        f"<!-- beam-{s.size}:start -->",
        f"### {SIZES[s.size]['label']} sizes",
        "",
        f"Measured {res['date']} on {machine()}. Reproduce: `{command}`",
        "",
        describe(res),
        "",
        table(res),
        f"<!-- beam-{s.size}:end -->",
    ])


INTRO = (
    "## Beam-search throughput\n\n"
    "The authors' best-first beam search (the search their released code runs for beam sizes above 1; "
    "see [beam-search.md](beam-search.md)) against `mode=\"authors_beam\"`, its exact "
    "reproduction, and `mode=\"beam\"`, the project's batched beam, at 16 clips, beam size 2, one "
    "thread, float32. Target: `mode=\"authors_beam\"` ≥ 30× the reference's throughput.\n\n"
    "The reference is `ReferenceCaptioner.authors_beam` in `bench/reference_captioner.py`, written in "
    "the style of the authors' code: one priority queue per clip, clips one after another, and every "
    "expansion runs one decoder step for one hypothesis and recomputes both key projections "
    "`feat_extract_x(R)` and `feat_extract_g(R)` over all frames. It has two cost models. In the "
    "\"one clip\" model the step sees only this clip's column. In the \"all columns\" model, the "
    "released code's cost, every expansion computes the projections and both attentions for all N "
    "clips of the batch and keeps this clip's column. That makes it O(N) per expansion, and it is timed "
    "once because it is slow. Both load the project model's `state_dict()`. Before timing, the "
    "benchmark asserts that both return the same n-best lists as `mode=\"authors_beam\"` (same "
    "hypotheses, same order), with scores within 1e-4. The project rows time `Captioner.decode` end to "
    "end: encoding, the search (which, with capture on, keeps each expansion's attention so that the "
    "best hypotheses need no replay) and packing the `CaptureResult`. `mode=\"beam\"` is a different "
    "search (its capture replays the best hypotheses as forced decoding): it "
    "returns other captions, and its rows are for comparison only.\n\n"
    f"For scale: the issue measured the authors' own code at {ISSUE_AUTHORS_SECONDS:g} s for the "
    "HumanML3D configuration. That lies between the two cost models measured here, so the two "
    "reference columns bracket the authors' speed."
)


READING = (
    "Reading the tables. Against the all-columns reference, `mode=\"authors_beam\"` meets the 30× "
    "target at both sizes. Against the one-clip reference it does not, and in float32 with the same "
    "results it cannot. Every clip here runs its full budget of 100 expansions (random weights rarely "
    "choose <eos>), so both sides do 1,600 decoder steps for 16 clips. Per expansion, the one-clip "
    "reference spends about 2 × T·6H·D = 94 M multiply-adds on the two key projections (HumanML3D "
    "sizes, T = 60), at full matmul speed. The project computes the projections once per clip, but "
    "each expansion still needs the output layer (640 × 3,000), both LSTMs, the mixture layer and the "
    "context over P. That is about 7 M multiply-adds, plus reading P (368 KB per clip). A 16-row step "
    "reads every weight once, 7.7 MB for the output layer alone, so even the search alone (the "
    "search-only rows) stays well short of 30× the one-clip reference. The rest of a decode call is "
    "encoding, gathering the best hypotheses' recorded attention and packing the result."
)


def _existing_blocks(path: Path) -> dict[str, str]:
    """The per-size blocks already in the doc's beam section."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    out = {}
    for name in SIZES:
        m = re.search(rf"<!-- beam-{name}:start -->.*?<!-- beam-{name}:end -->", text, flags=re.S)
        if m:
            out[name] = m.group(0)
    return out


def write_doc(blocks: dict[str, str], path: Path) -> None:
    merged = {**_existing_blocks(path), **blocks}
    body = "\n\n".join(merged[name] for name in SIZES if name in merged)
    update_section(SECTION, INTRO + "\n\n" + body + "\n\n" + READING, path)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="humanml3d,kit",
                   help="comma-separated model sizes to run: humanml3d, kit (default both)")
    p.add_argument("--quick", action="store_true",
                   help="small run (4 clips, 1 repeat, no all-columns reference); "
                        "does not write the doc unless --write")
    p.add_argument("--no-write", action="store_true", help="print the tables only")
    p.add_argument("--write", action="store_true", help="write the doc even with --quick")
    p.add_argument("--doc", type=Path, default=DOC, help=f"markdown file to update (default {DOC})")
    p.add_argument("--clips", type=int, help="clips in the batch (default 16, quick 4)")
    p.add_argument("--repeats", type=int, help="timed repeats per case (default 3, quick 1)")
    p.add_argument("--beam", type=int, default=2, help="beam size k")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (0: torch default)")
    p.add_argument("--no-all-columns", action="store_true", help="skip the (slow) all-columns reference")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when mode=\"authors_beam\" misses 30× the all-columns reference")
    return p.parse_args(argv)


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    sizes = [x.strip() for x in args.sizes.split(",") if x.strip()]
    unknown = [x for x in sizes if x not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size(s) {', '.join(unknown)}; use humanml3d, kit")
    argv_list = list(argv if argv is not None else sys.argv[1:])
    results, blocks = [], {}
    for size in sizes:
        s = Settings(size=size, clips=args.clips or (4 if args.quick else 16),
                     repeats=args.repeats or (1 if args.quick else 3), beam=args.beam, threads=args.threads,
                     all_columns=not (args.quick or args.no_all_columns))
        res = run(s)
        print(describe(res))
        print(table(res))
        print()
        others = [a for a in argv_list if not a.startswith("--sizes")]
        if "--sizes" in argv_list:  # drop the value after a separate --sizes flag
            i = argv_list.index("--sizes")
            others = argv_list[:i] + argv_list[i + 2:]
        cmd = " ".join(["python bench/bench_beam.py", f"--sizes {size}", *others])
        blocks[size] = size_block(res, cmd)
        results.append(res)
    print(f"machine: {machine()}")
    write = not args.no_write and (args.write or not args.quick)
    if write:
        write_doc(blocks, args.doc)
        print(f"wrote {args.doc}")
    ok = all(v[1] is not False for r in results for v in r["pass"].values())
    if args.strict and not ok:
        sys.exit(1)
    return results


if __name__ == "__main__":
    main()
