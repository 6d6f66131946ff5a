#!/usr/bin/env python
"""Greedy decoding throughput of the captioner against a step-by-step reference at the authors' speed.

For HumanML3D sizes (H=256, E=128, D=256, V=3000, 22 joints) and KIT sizes (H=128, E=64, D=128,
V=1500, 21 joints), at 64 and 256 clips of 60 frames and 16 steps, one thread, float32, it times
``bench/reference_captioner.py`` — a time-first decoder in the style of the authors' code, which
recomputes both key projections ``feat_extract_x(R)`` and ``feat_extract_g(R)`` over all frames at
every step — against ``Captioner.decode`` in greedy mode: capture on with all logits kept (the
``decode`` default), capture on as a split capture runs it (logits not kept: the chosen word's
log-probability and the top 5), and capture off. Both models carry the same seeded random weights
(the reference loads the project model's ``state_dict()``) and the benchmark asserts identical
greedy tokens and logits within 1e-4 before timing anything.

Target: greedy capture ≥ 10× the reference's clips/s in every configuration.

Usage::

    python bench/bench_decoding.py              # full run (median of 5), writes docs/performance.md
    python bench/bench_decoding.py --no-write   # print only
    python bench/bench_decoding.py --quick      # 64 clips, HumanML3D sizes, 1 repeat, prints only
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _doc import update_section  # noqa: E402
from reference_captioner import ReferenceCaptioner  # noqa: E402

from m2t_interpret.model.captioner import Captioner, CaptionerConfig  # noqa: E402
from m2t_interpret.model.ops import onednn_linear  # noqa: E402

SPEEDUP_TARGET = 10.0
OVERHEAD_TARGET = 0.05
#: Release sizes (H, E, D), skeleton, joints and the vocabulary size used for each dataset.
SIZES = {"humanml3d": dict(hidden=256, embed=128, attn=256, vocab=3000, skeleton="humanml3d", joints=22,
                           label="HumanML3D"),
         "kit": dict(hidden=128, embed=64, attn=128, vocab=1500, skeleton="kit", joints=21, label="KIT-ML")}
LOGIT_ATOL = 1e-4


@dataclass
class Settings:
    sizes: str = "humanml3d"
    clips: int = 64
    frames: int = 60
    min_length: int = 40
    steps: int = 16
    repeats: int = 5
    threads: int = 1
    seed: int = 0
    attention_scale: float = 4.0

    @property
    def dims(self) -> dict:
        return SIZES[self.sizes]


@dataclass
class Row:
    name: str
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def build_inputs(s: Settings) -> tuple[Captioner, ReferenceCaptioner, torch.Tensor, torch.Tensor]:
    """Seeded model (attention scores scaled so attention is not flat), its reference, and a batch."""
    d = s.dims
    torch.manual_seed(s.seed)
    model = Captioner(CaptionerConfig(vocab_size=d["vocab"], embed_dim=d["embed"], hidden=d["hidden"],
                                      attn_dim=d["attn"], skeleton=d["skeleton"])).eval()
    state = model.state_dict()  # authors' key names
    state["spatial_att.weight"] = state["spatial_att.weight"] * s.attention_scale
    state["temporal_att.weight"] = state["temporal_att.weight"] * s.attention_scale
    model.load_state_dict(state, strict=True)
    reference = ReferenceCaptioner.from_state_dict(model.state_dict())

    g = torch.Generator().manual_seed(s.seed + 1)
    # Smooth random-walk "motions", zero-padded after each clip's random length.
    x = 0.1 * torch.randn(s.clips, s.frames, 3 * d["joints"], generator=g).cumsum(1)
    lengths = torch.randint(s.min_length, s.frames + 1, (s.clips,), generator=g)
    x = x * (torch.arange(s.frames)[None, :, None] < lengths[:, None, None])
    return model, reference, x.contiguous(), lengths


def check_equivalence(model, reference, x, lengths, steps: int) -> int:
    """Assert identical greedy tokens and logits within 1e-4; return the number of steps run."""
    ours = model.decode(x, lengths, mode="greedy", max_steps=steps, capture=False)
    ref_tokens, ref_logits = reference.greedy(x.transpose(0, 1).contiguous(), lengths, steps)
    mask = ours.step_mask
    s = mask.shape[1]
    assert ref_tokens.shape[1] == s, f"reference ran {ref_tokens.shape[1]} steps, project {s}"
    ref_tokens, ref_logits = ref_tokens.numpy(), ref_logits.numpy()
    assert np.array_equal(ours.tokens[mask], ref_tokens[mask]), "greedy tokens differ from the reference"
    diff = float(np.abs(ours.logits[mask] - ref_logits[mask]).max())
    assert diff <= LOGIT_ATOL, f"logits differ from the reference by {diff:.2e} > {LOGIT_ATOL}"
    return s


def measure(cases: dict[str, Callable[[], object]], repeats: int) -> dict[str, Row]:
    """Warm each case up once, then run all cases ``repeats`` times, interleaved."""
    rows = {name: Row(name) for name in cases}
    for fn in cases.values():
        fn()
    for _ in range(repeats):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            rows[name].times.append(time.perf_counter() - t0)
    return rows


CASES = ("reference", "capture, all logits kept", "capture, top-5 kept (split capture)", "capture off",
         "split capture, torch's matmul (M2T_INTERPRET_ONEDNN=0)")
#: Rows that the speed-up target applies to.
TARGET_CASES = CASES[1:3]


def _without_onednn(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` run with the decoder's linear layers on torch's own matmul, as on a torch build
    without oneDNN."""
    def run():
        os.environ["M2T_INTERPRET_ONEDNN"] = "0"
        onednn_linear.cache_clear()
        try:
            return fn()
        finally:
            del os.environ["M2T_INTERPRET_ONEDNN"]
            onednn_linear.cache_clear()
    return run


def run(s: Settings) -> dict:
    """Time one configuration; returns its rows and clips/s per case."""
    model, reference, x, lengths = build_inputs(s)
    x_tf = x.transpose(0, 1).contiguous()  # the reference is time-first, as the authors' code
    steps_run = check_equivalence(model, reference, x, lengths, s.steps)
    greedy = dict(mode="greedy", max_steps=s.steps)
    cases = dict(zip(CASES, (
        lambda: reference.greedy(x_tf, lengths, s.steps),
        lambda: model.decode(x, lengths, **greedy),
        lambda: model.decode(x, lengths, keep_logits=False, **greedy),
        lambda: model.decode(x, lengths, capture=False, **greedy),
        _without_onednn(lambda: model.decode(x, lengths, keep_logits=False, **greedy)),
    )))
    with torch.inference_mode():
        rows = measure(cases, s.repeats)
    return {"settings": s, "steps_run": steps_run, "rows": rows,
            "clips_per_s": {n: s.clips / rows[n].median for n in CASES}}


def table(results: list[dict]) -> str:
    lines = ["| sizes | clips | decoder | s per batch (median) | s (best) | clips/s | vs reference | target "
             f"≥ {SPEEDUP_TARGET:g}× |", "|---|---:|---|---:|---:|---:|---:|---|"]
    for res in results:
        s, rows, cps = res["settings"], res["rows"], res["clips_per_s"]
        ref = cps[CASES[0]]
        for n in CASES:
            ratio = cps[n] / ref
            verdict = ("PASS" if ratio >= SPEEDUP_TARGET else "MISS") if n in TARGET_CASES else "—"
            lines.append(f"| {s.sizes} | {s.clips} | {n} | {rows[n].median:.3f} | {min(rows[n].times):.3f} | "
                         f"{cps[n]:.0f} | {ratio:.2f}× | {verdict} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} logical cores ({cpu}), torch {torch.__version__}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def section(results: list[dict], command: str, load: tuple[float, float]) -> str:
    s = results[0]["settings"]
    sizes = "; ".join(f"{k}: H={v['hidden']}, E={v['embed']}, D={v['attn']}, V={v['vocab']}, {v['joints']} joints"
                      for k, v in SIZES.items() if any(r["settings"].sizes == k for r in results))
    ran = sorted({r["steps_run"] for r in results})
    return "\n".join([
        "## Greedy decoding throughput", "",
        f"Measured {_dt.date.today().isoformat()} on {machine()}.", "",
        f"Reproduce: `{command}`", "",
        f"Sizes — {sizes} (seeded random weights, attention score weights ×{s.attention_scale:g}). Clips of "
        f"{s.frames} model frames, each with a random valid length in {s.min_length}..{s.frames} (zero-padded); "
        f"{s.steps} greedy steps (ran {', '.join(map(str, ran))}); torch threads = {s.threads}; float32; "
        f"torch.inference_mode; warm-up once, then the median of {s.repeats} interleaved rounds; 1-min load "
        f"average {load[0]:.2f} before / {load[1]:.2f} after.", "",
        table(results), "",
        "The reference (`bench/reference_captioner.py`) decodes as the authors' code does — time-first, "
        "recomputing both key projections over all frames and the pooled features at every step — and was "
        "measured at 0.98–1.10× the authors' own code; the benchmark first asserts identical greedy tokens and "
        "logits within 1e-4. The project rows time `Captioner.decode` end to end (encoding, decoding, packing "
        "the `CaptureResult`). The project's linear layers run on oneDNN "
        f"({'available in this build' if onednn_linear() is not None else 'not available in this build'}); "
        "the last row of each configuration switches that off, as on a torch build without it, while the "
        "reference always uses torch's own matmul (MKL on x86), as the authors' code does.",
    ])


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="HumanML3D sizes, 64 clips, 1 repeat; prints only")
    p.add_argument("--no-write", action="store_true", help="print the table only")
    p.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["humanml3d", "kit"])
    p.add_argument("--clips", type=int, nargs="+", default=[64, 256], help="batch sizes to time")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds per configuration")
    p.add_argument("--steps", type=int, default=16, help="greedy steps (max_steps) for every decoder")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    return p.parse_args(argv)


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    sizes, clips, repeats = (["humanml3d"], [64], 1) if args.quick else (args.sizes, args.clips, args.repeats)
    load0 = os.getloadavg()[0]
    results = [run(Settings(sizes=k, clips=n, steps=args.steps, repeats=repeats, threads=args.threads))
               for k in sizes for n in clips]
    load = (load0, os.getloadavg()[0])
    print(table(results))
    if not (args.no_write or args.quick):
        given = argv if argv is not None else sys.argv[1:]
        command = " ".join(["python bench/bench_decoding.py", *given])
        print(f"updated {update_section('decoding', section(results, command, load))}")
    return results


if __name__ == "__main__":
    main()
