#!/usr/bin/env python
"""GPU check in one go: parity with the CPU (≤ 1e-4) and timing of capture and training on a device.

    python bench/bench_gpu.py [--device cuda] [--clips 256] [--no-write]

On the same seeded HumanML3D-sized model and batch as bench/bench_decoding.py it runs greedy
capture (top 5 kept) and ``mode="authors_beam"`` (16 clips) on the CPU and on ``--device``,
asserts identical tokens and α, γ, Γ, μ, σ, β̂ and log-probabilities within 1e-4, then times
both, and one training step (batch 64, teacher forcing 1) on each. Writes the ``gpu`` section of
docs/performance.md. Exits 2 with a message when the device is not available. Also runs with
``--device cpu`` (CPU against itself), which is how the script itself is checked without a GPU.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _doc import update_section  # noqa: E402
from bench_decoding import Settings, build_inputs, machine  # noqa: E402

ATOL = 1e-4
NAMES = ("alpha", "gamma", "window", "mu", "sigma", "beta", "log_probs")


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _time(fn, device: str, repeats: int) -> float:
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check_parity(cpu_result, dev_result, what: str) -> float:
    """Assert identical tokens and the attention within 1e-4; return the largest difference."""
    assert np.array_equal(cpu_result.tokens, dev_result.tokens), f"{what}: tokens differ between devices"
    m = cpu_result.step_mask
    worst = 0.0
    for name in NAMES:
        diff = float(np.nanmax(np.abs(getattr(cpu_result, name)[m] - getattr(dev_result, name)[m])))
        assert diff <= ATOL, f"{what}: {name} differs by {diff:.2e} > {ATOL}"
        worst = max(worst, diff)
    return worst


def training_step(model, x, lengths, captions) -> callable:
    from m2t_interpret.training.data import Batch
    from m2t_interpret.training.trainer import batch_loss

    n, steps = captions.shape[0], captions.shape[1] - 1
    batch = Batch(x, lengths, captions, torch.full((n, steps), -1.0, device=x.device),
                  torch.zeros(n, steps, 6, device=x.device), torch.zeros(n, steps, dtype=torch.bool, device=x.device))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        batch_loss(model, batch, (2.0, 3.0), 1.0).total.backward()
        opt.step()

    return step


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--clips", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"error: {args.device} is not available here (torch sees no CUDA device); run this on a GPU machine",
              file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    model, _, x, lengths = build_inputs(Settings(clips=args.clips))
    dev_model = copy.deepcopy(model).to(args.device)
    xd, ld = x.to(args.device), lengths.to(args.device)
    rows, worst = [], 0.0
    with torch.inference_mode():
        for label, kw, n in (("greedy capture, 16 steps, top 5 kept", dict(mode="greedy", max_steps=16), args.clips),
                             ("authors_beam 2 capture", dict(mode="authors_beam", beam_size=2), 16)):
            kw = dict(kw, keep_logits=False)
            worst = max(worst, check_parity(model.decode(x[:n], lengths[:n], **kw),
                                            dev_model.decode(xd[:n], ld[:n], **kw), label))
            t_cpu = _time(lambda: model.decode(x[:n], lengths[:n], **kw), "cpu", args.repeats)
            t_dev = _time(lambda: dev_model.decode(xd[:n], ld[:n], **kw), args.device, args.repeats)
            rows.append((f"{label}, {n} clips", t_cpu, t_dev))
    g = torch.Generator().manual_seed(3)
    batch = min(64, args.clips)
    captions = torch.randint(4, model.config.vocab_size, (batch, 17), generator=g)
    captions[:, 0] = 1
    model.train()
    dev_model.train()
    model.decoder.dropout.p = dev_model.decoder.dropout.p = 0.0
    t_cpu = _time(training_step(model, x[:batch], lengths[:batch], captions), "cpu", 3)
    t_dev = _time(training_step(dev_model, xd[:batch], ld[:batch], captions.to(args.device)), args.device, 3)
    rows.append((f"training step, batch {batch}, teacher forcing 1", t_cpu, t_dev))
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    lines = [f"| workload | CPU, 1 thread (s) | {args.device} ({name}) (s) | speed-up |", "|---|---:|---:|---:|"]
    lines += [f"| {w} | {a:.3f} | {b:.4f} | {a / b:.1f}× |" for w, a, b in rows]
    table = "\n".join(lines)
    print(table)
    print(f"largest CPU–{args.device} difference over tokens' α, γ, Γ, μ, σ, β̂, log-probabilities: {worst:.2e}")
    if not args.no_write:
        text = "\n".join([
            "## GPU", "",
            f"Reproduce: `python bench/bench_gpu.py --device {args.device}` ({machine()}). HumanML3D sizes, the "
            "seeded model and batch of the decoding benchmark; median of "
            f"{args.repeats} runs after a warm-up (training: 3). Parity first: identical tokens, and α, γ, Γ, μ, "
            f"σ, β̂ and log-probabilities within {ATOL:g} of the CPU (largest difference {worst:.1e}).", "",
            table,
        ])
        print(f"updated {update_section('gpu', text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
