#!/usr/bin/env python
"""Where greedy decoding spends its time, component by component, written to docs/performance.md.

    python bench/profile_decoding.py [--sizes humanml3d kit] [--clips 64] [--repeats 5] [--no-write]

Runs ``Captioner.decode`` (greedy, capture on, top-5 kept) on the same seeded model and batch as
``bench/bench_decoding.py`` and times each component by wrapping the methods decoding calls: the
model's ``encode`` and the fused decoder step's ``lstm``, ``attend``, ``context`` and
``output_layer`` (greedy decoding steps through :class:`FusedStep` in eval mode with no hook
registered). The rest of ``decode`` is the greedy loop's bookkeeping (argmax, top-k), the trace
and packing the result. The share of each component is the median over ``--repeats`` runs.
Beside it, the floating-point work of the big matrix products and the machine's measured
single-thread matmul rates give the floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _doc import update_section  # noqa: E402
from bench_decoding import SIZES, Settings, build_inputs, machine  # noqa: E402

from m2t_interpret.model.fused_step import FusedStep  # noqa: E402
from m2t_interpret.model.ops import flat_linear, onednn_linear  # noqa: E402

COMPONENTS = {
    "encode": "encoding: part MLPs and both key projections, valid frames only (once per clip)",
    "lstm": "both LSTMs (one matmul over [input; state] each)",
    "attend": "both attentions: one query matmul, σ(2(q + k)) over frames, the score layers, "
              "softmax over parts → α, γ → μ, σ, Γ",
    "context": "context c = Σ α·Γ·P (batched matmul)",
    "output_layer": "gate β̂ and ĉ, mixture layer and output projection to V words",
    "decode_rest": "greedy bookkeeping (argmax, log-probability, top-5), the trace and packing the capture",
}


def _wrap(obj, name: str, key: str, times: dict, static: bool = False) -> None:
    fn = getattr(obj, name)

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        times[key] += time.perf_counter() - t0
        return out

    setattr(obj, name, staticmethod(timed) if static else timed)


def profile(s: Settings) -> dict[str, float]:
    """Median seconds per component of one greedy decode of the batch."""
    model, _, x, lengths = build_inputs(s)
    times: dict[str, float] = defaultdict(float)
    _wrap(model, "encode", "encode", times)
    saved = {name: FusedStep.__dict__[name] for name in ("lstm", "attend", "context", "output_layer")}
    _wrap(FusedStep, "lstm", "lstm", times, static=True)
    for name in ("attend", "context", "output_layer"):
        _wrap(FusedStep, name, name, times)
    runs = []
    try:
        with torch.inference_mode():
            model.decode(x, lengths, mode="greedy", max_steps=s.steps, keep_logits=False)  # warm-up
            for _ in range(s.repeats):
                times.clear()
                t0 = time.perf_counter()
                model.decode(x, lengths, mode="greedy", max_steps=s.steps, keep_logits=False)
                total = time.perf_counter() - t0
                t = {key: times.get(key, 0.0) for key in COMPONENTS if key != "decode_rest"}
                t["decode_rest"] = total - sum(t.values())
                t["total"] = total
                runs.append(t)
    finally:
        for name, attr in saved.items():
            setattr(FusedStep, name, attr)
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def matmul_rates() -> dict[str, float]:
    """Measured single-thread float32 matmul rates, multiply-adds per second: torch's ``mm``
    (MKL on x86) and the kernel the decoder's linear layers use (oneDNN where available)."""
    a, b = torch.randn(2048, 1024), torch.randn(512, 1024)
    rates = {}
    for name, fn in (("torch.mm", lambda: torch.mm(a, b.t())),
                     ("decoder", lambda: flat_linear(a, b, None, pack=True))):
        with torch.inference_mode():
            fn()
            rates[name] = 2048 * 1024 * 512 / min(_time(fn) for _ in range(5))
    return rates


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def work(s: Settings, valid_frames: int) -> dict[str, float]:
    """Multiply-adds of the matrix products in the project's decode (part MLPs and keys on valid
    frames, once) and in the reference's (part MLPs on all frames, keys on all frames at every step)."""
    d = SIZES[s.sizes]
    h, e, a, v = d["hidden"], d["embed"], d["attn"], d["vocab"]
    width = e + a + h
    all_frames = s.clips * s.frames

    def mlps(rows: int) -> int:  # the six parts' second layers, positions and velocities
        return rows * 6 * 2 * a * (h // 2)

    def keys(rows: int) -> int:  # feat_extract_x and feat_extract_g
        return rows * 2 * 6 * h * a

    step = s.clips * (4 * h * (e + h) + 4 * h * 2 * h + width * width + width * v + 4 * h * a
                      + s.frames * (6 * h + 7 * a))  # context; the spatial and temporal score layers
    return {"ours": mlps(valid_frames) + keys(valid_frames) + s.steps * step,
            "reference": mlps(all_frames) + s.steps * (step + keys(all_frames))}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["humanml3d", "kit"])
    ap.add_argument("--clips", type=int, default=64)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rates = matmul_rates()
    rate, ref_rate = rates["decoder"], rates["torch.mm"]
    lines = ["| component | " + " | ".join(f"{k}, {args.clips} clips: ms (share)" for k in args.sizes) + " |",
             "|---|" + "---:|" * len(args.sizes)]
    results = {}
    floors = []
    for k in args.sizes:
        s = Settings(sizes=k, clips=args.clips, steps=args.steps, repeats=args.repeats)
        results[k] = profile(s)
        _, _, _, lengths = build_inputs(s)
        w = work(s, int(lengths.sum()))
        ours_ms, ref_ms = w["ours"] / rate * 1e3, w["reference"] / ref_rate * 1e3
        floors.append(f"{k}: {w['ours'] / 1e9:.2f} G multiply-adds in the project's decode → ≥ {ours_ms:.0f} ms "
                      f"at the decoder's rate, against {w['reference'] / 1e9:.1f} G in the reference → ≥ "
                      f"{ref_ms:.0f} ms at torch.mm's rate: at equal efficiency the speed-up is capped near "
                      f"{ref_ms / ours_ms:.1f}×")
    for key, label in COMPONENTS.items():
        cells = [f"{results[k][key] * 1e3:.1f} ({results[k][key] / results[k]['total']:.0%})" for k in args.sizes]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(f"**{results[k]['total'] * 1e3:.1f}**" for k in args.sizes) + " |")
    table = "\n".join(lines)
    print(table)
    for f in floors:
        print(f)
    text = "\n".join([
        "## Where greedy decoding spends its time", "",
        f"Reproduce: `python bench/profile_decoding.py` ({machine()}; one thread; the same seeded model and "
        f"batch as the throughput table, {args.steps} steps, capture on with the top 5 kept; median of "
        f"{args.repeats} runs, each component timed by wrapping the method the decoder calls; per-step "
        f"components are summed over the steps).", "",
        table, "",
        f"Measured single-thread float32 matmul rates (2048×1024 by 1024×512): torch.mm {ref_rate / 1e9:.0f} G "
        f"multiply-adds/s (MKL; what the reference's layers run on), the decoder's linear layers "
        f"{rate / 1e9:.0f} G/s ({'oneDNN' if onednn_linear() is not None else 'torch.addmm'}). "
        + "; ".join(floors) + ".",
        "",
        "Most of the time is dense float32 arithmetic that exactness requires: the key projections and part "
        "MLPs (once per clip, on valid frames only), the output projection over the vocabulary at every step, "
        "the LSTMs, and the context product, which reads every clip's part features at every step and is "
        "bound by memory bandwidth, not arithmetic. The linear layers run on oneDNN where this torch build "
        "has it: on x86 CPUs that are not Intel's, torch's own matmul (MKL) runs its AVX2 code even on "
        "AVX-512 hardware, while oneDNN picks kernels by instruction set, about twice the rate here. Weights "
        "are reordered for it once and kept until a parameter changes, and tanh is fused into the matmuls "
        "that end in one. Each greedy step runs as the fused decoder step (the model's step rewritten from "
        "its weights with fewer, larger tensor ops: each LSTM one matmul over [input; state] and one sigmoid, "
        "both attentions' energies one pass, the gate's word term a per-token table), which records "
        "α, γ, Γ, μ, σ and β̂ itself; P and the keys are written into buffers kept between decode calls "
        "(fresh multi-megabyte buffers cost page faults at every call). The rest is per-step work on small "
        "tensors (softmaxes, top-k), where Python and dispatch overhead weigh most at KIT sizes.",
    ])
    if not args.no_write:
        print(f"updated {update_section('decoding-profile', text)}")


if __name__ == "__main__":
    main()
