"""Peak memory of capturing a whole HumanML3D-sized test split, recorded in docs/performance.md.

    python bench/bench_memory.py [--clips 4384] [--steps 40] [--vocab 3000] [--no-docs]

A synthetic corpus of ``--clips`` ids (half source clips, half mirrors; up to 196 frames each, as in
HumanML3D) and a captioner with HumanML3D sizes (H=256, E=128, D=256) and a ``--vocab``-word
vocabulary (seeded random weights, so greedy decoding runs all ``--steps`` steps). The split is
captured with `capture_split` (chunks of 128 clips written into preallocated arrays, logits not
kept: the chosen word's log-probability and the top 5 are); the peak resident memory of the process
(ru_maxrss) is read before and after. Each configuration runs in a fresh process: the default (linear
layers on oneDNN) and torch's own matmul (``M2T_INTERPRET_ONEDNN=0``). Target: ≤ 1 GB for 4,384 clips
× 40 steps at V = 3,000.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _doc import update_section  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def measure(args) -> dict:
    """Capture the split in this process; the peak memory and sizes as a dict."""
    import gc
    import subprocess

    from m2t_interpret.capture import capture_split
    from m2t_interpret.data.dataset import load_split
    from m2t_interpret.data.preprocessing import axis_stats
    from m2t_interpret.model import Captioner, CaptionerConfig

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        root = Path(tmp) / "c"  # generated in a child process, so its memory is not counted as the capture's
        subprocess.run([sys.executable, "-c", "import sys; from m2t_interpret.data.synthetic import generate_corpus; "
                        f"generate_corpus(sys.argv[1], n_train=0, n_val=0, n_test={args.clips // 2}, seed=4, "
                        "progress=False)", str(root)], check=True)
        stats = axis_stats([s.motion for s in load_split(root, "test", progress=False, limit=200)])
        torch.manual_seed(0)
        cfg = CaptionerConfig(vocab_size=args.vocab, embed_dim=128, hidden=256, attn_dim=256, max_steps=args.steps)
        vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + [f"w{i}" for i in range(args.vocab - 4)]
        model = Captioner(cfg, vocab=vocab, stats=stats).eval()
        gc.collect()
        before = peak_mb()
        t0 = time.perf_counter()
        out = Path(tmp) / "capture"
        cap = capture_split(model, root, "test", decode="greedy", progress=False, out=out)
        seconds = time.perf_counter() - t0
        after = peak_mb()
        return {"before": before, "after": after, "seconds": seconds, "shape": list(cap.alpha.shape),
                "arrays": sum(a.nbytes for a in cap.array_files().values()) / 2**20,
                "on_disk": sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20}


#: The configurations measured, each in a fresh process: label → environment overrides.
BACKENDS = {"oneDNN matmuls (default)": {}, "torch's matmul (M2T_INTERPRET_ONEDNN=0)": {"M2T_INTERPRET_ONEDNN": "0"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=4384)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--vocab", type=int, default=3000)
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args)))
        return
    import subprocess

    runs = {}
    for label, env in BACKENDS.items():
        cmd = [sys.executable, __file__, "--child", f"--clips={args.clips}", f"--steps={args.steps}",
               f"--vocab={args.vocab}"]
        done = subprocess.run(cmd, env={**os.environ, **env}, check=True, capture_output=True, text=True)
        runs[label] = json.loads(done.stdout.strip().splitlines()[-1])
    first = next(iter(runs.values()))
    shape = first["shape"]
    labels = list(runs)
    rows = ["| measure | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels),
            f"| clips × steps × frames (α shape) | " + " | ".join(
                f"{r['shape'][0]:,} × {r['shape'][1]} × {r['shape'][2]} × 6" for r in runs.values()) + " |",
            "| capture arrays (streamed to disk, memory-mapped in the result) | "
            + " | ".join(f"{r['arrays']:.0f} MB" for r in runs.values()) + " |",
            "| capture folder on disk (arrays, token table, meta) | "
            + " | ".join(f"{r['on_disk']:.0f} MB" for r in runs.values()) + " |",
            "| peak resident memory before capture (model loaded) | "
            + " | ".join(f"{r['before']:.0f} MB" for r in runs.values()) + " |",
            "| peak resident memory after capture | " + " | ".join(f"{r['after']:.0f} MB" for r in runs.values()) + " |",
            "| capture time (1 thread) | " + " | ".join(f"{r['seconds']:.1f} s" for r in runs.values()) + " |",
            "| target: peak ≤ 1 GB (1,024 MB) | "
            + " | ".join("PASS" if r["after"] <= 1024 else "MISS" for r in runs.values()) + " |"]
    table = "\n".join(rows)
    print(table)
    section = (f"## Memory of a whole-split capture\n\nReproduce: `python bench/bench_memory.py --clips {args.clips} "
               f"--steps {args.steps} --vocab {args.vocab}` (Python {platform.python_version()}, torch "
               f"{torch.__version__}, {os.cpu_count()} logical cores). H=256, E=128, D=256, V={args.vocab}, seeded "
               f"random weights (greedy decoding runs all {args.steps} steps), synthetic clips of up to 196 frames "
               f"({shape[0]:,} ids); `capture_split(..., out=DIR)` decodes chunks of 128 clips and streams α, γ and "
               f"Γ of each chunk straight into the capture folder's `.npy` files (the token table is built chunk by "
               f"chunk); no logits are kept (the chosen word's log-probability and the top 5 are). The returned "
               f"capture memory-maps its large arrays. Peak = ru_maxrss of the process; each column is a fresh "
               f"process.\n\n{table}\n\n"
               "What remains resident: torch and the model, the loaded split's motions (about 130 MB for 4,384 "
               "clips), the per-step arrays (tokens, β̂, μ, σ, top-k: a few MB) and one chunk's decoding "
               "(part features and key projections, about 80 MB at H = 256, plus the chunk's attention arrays). "
               "With oneDNN, torch and oneDNN also keep a compiled kernel for every matrix shape they have run, "
               "and each chunk of a length-sorted split brings new row counts to the encoding's matmuls; those "
               "caches are bounded (1,024 entries each by default; the environment variables "
               "`ONEDNN_PRIMITIVE_CACHE_CAPACITY` and `LRU_CACHE_CAPACITY` set them; with both at 16, one run "
               "here peaked near 800 MB instead of about 870). "
               "The page cache holds the written files, which the kernel counts outside the process.")
    if not args.no_docs:
        print(f"updated {update_section('memory', section)}")


if __name__ == "__main__":
    main()
