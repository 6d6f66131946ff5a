"""Benchmark BVH import and record it in docs/performance.md.

    python bench/bench_bvh.py [--frames 10000] [--no-docs]

Target: a 10,000-frame BVH file imported (parse, forward kinematics, retargeting, resampling) in
≤ 2 s on one core. Two 10,000-frame files at 30 fps: the real walk clip of ../shared/data/real-mocap
looped (18 joints, 57 channels; a synthetic clip written as BVH when the shared data is absent), and
the same with 45 extra finger joints under the hands (63 joints, 192 channels, as a Mixamo export
with fingers). Measured: this package's reader (``read_bvh``), its forward kinematics of every
joint and frame, and ``import_bvh`` to HumanML3D (20 fps) and KIT (12.5 fps); and, when the
``bvhio`` package is installed (``pip install bvhio``), the same file through bvhio — reading,
building its joint hierarchy, and world positions of every joint and frame — with the largest
distance between the two readers' joint positions.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: before numpy loads its BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _doc import time_targets, update_section  # noqa: E402

from m2t_interpret.data.bvh import BvhMotion, forward_kinematics, read_bvh, write_bvh  # noqa: E402
from m2t_interpret.data.retarget import import_bvh  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WALK = REPO.parent / "shared" / "data" / "real-mocap" / "humanoid3d_walk.bvh"
FINGERS = 45


def source_clip() -> tuple[BvhMotion, str]:
    """The real walk, or a synthetic walk written as BVH (centimetres, 30 fps) without the shared data."""
    if WALK.exists():
        return read_bvh(WALK), "the real walk clip (humanoid3d_walk.bvh)"
    from m2t_interpret.data.bvh_export import positions_to_bvh
    from m2t_interpret.data.synthetic import generate_clip

    joints = generate_clip(0, actions=["walk_forward"]).joints
    return positions_to_bvh(joints, "humanml3d", fps=30.0, units="cm"), "a synthetic walk written as BVH"


def looped(clip: BvhMotion, frames: int, fingers: int = 0, seed: int = 0) -> BvhMotion:
    """``clip`` repeated to ``frames`` frames at 30 fps, optionally with ``fingers`` extra leaf joints
    (three-joint chains under the hands, random rotations)."""
    reps = -(-frames // clip.n_frames)
    values = np.concatenate([clip.values] * reps)[:frames]
    names, parents, offsets = list(clip.names), list(clip.parents), list(clip.offsets)
    channels, extra = list(clip.channels), []
    rng = np.random.default_rng(seed)
    hands = [j for j, n in enumerate(clip.names) if n.endswith(("Hand", "wrist"))]
    for k in range(fingers // 3):
        parent = hands[k % len(hands)]
        for d in range(3):
            names.append(f"{clip.names[hands[k % len(hands)]]}Finger{k}_{d}")
            parents.append(parent)
            offsets.append(np.array([0.0, -3.0, 0.5 * (k % 5 - 2)]))
            channels.append(("Zrotation", "Xrotation", "Yrotation"))
            extra.append(rng.uniform(-30, 30, size=(frames, 3)))
            parent = len(names) - 1
    if extra:
        values = np.concatenate([values] + extra, axis=1)
    ends = [len(names) - 1 - 3 * i for i in range(fingers // 3)]
    end_offsets = np.concatenate([clip.end_offsets, np.tile([[0, -2.0, 0]], (len(ends), 1))])
    return BvhMotion(tuple(names), tuple(parents), np.array(offsets), tuple(channels),
                     clip.end_parents + tuple(ends), end_offsets, 1 / 30, values, "long.bvh")


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def ours(path: Path) -> dict:
    t_read, motion = best_of(lambda: read_bvh(path))
    t_fk, (pos, _) = best_of(lambda: forward_kinematics(motion))
    t_hml, _ = best_of(lambda: import_bvh(path))
    t_kit, _ = best_of(lambda: import_bvh(path, skeleton="kit"))
    return {"read": t_read, "fk": t_fk, "hml": t_hml, "kit": t_kit, "pos": pos, "names": motion.names,
            "joints": motion.n_joints, "channels": motion.n_channels}


def theirs(path: Path, names: tuple[str, ...]) -> dict | None:
    try:
        import bvhio
    except ImportError:
        return None
    t0 = time.perf_counter()
    bvhio.readAsBvh(str(path))
    t1 = time.perf_counter()
    root = bvhio.readAsHierarchy(str(path))
    t2 = time.perf_counter()
    layout = root.layout()
    frames = root.getKeyframeRange()[1] + 1
    pos = np.zeros((frames, len(layout), 3))
    for f in range(frames):
        root.loadPose(f)
        for k, (joint, _, _) in enumerate(layout):
            pos[f, k] = joint.PositionWorld
    t3 = time.perf_counter()
    order = [names.index(j.Name) for j, _, _ in layout]
    from importlib.metadata import version

    return {"read": t1 - t0, "hierarchy": t2 - t1, "fk": t3 - t2, "pos": pos, "order": order,
            "version": version("bvhio")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--no-bvhio", action="store_true", help="skip the bvhio comparison")
    ap.add_argument("--no-docs", action="store_true", help="do not touch docs/performance.md")
    args = ap.parse_args()
    clip, what = source_clip()
    rows, targets, agreement, bvhio_version = [], [], [], None
    with tempfile.TemporaryDirectory() as d:
        for label, fingers in (("body only", 0), (f"+ {FINGERS} finger joints", FINGERS)):
            path = write_bvh(looped(clip, args.frames, fingers), Path(d) / f"long{fingers}.bvh")
            mine = ours(path)
            other = None if args.no_bvhio else theirs(path, mine["names"])
            rows.append((label, mine, other, path.stat().st_size))
            targets.append((f"{args.frames:,}-frame file ({label}) → HumanML3D, one core", mine["hml"], 2.0))
            if other is not None:
                diff = np.abs(other["pos"] - mine["pos"][:, other["order"]]).max()
                agreement.append(f"{label}: {diff:.1e} file units (cm)")
                bvhio_version = other["version"]
    lines = [
        "## BVH import",
        "",
        (f"Reproduce: `python bench/bench_bvh.py` (one core, Python {platform.python_version()}, numpy "
         f"{np.__version__}, {os.cpu_count()} logical cores on a machine shared with other jobs, load average "
         f"{os.getloadavg()[0]:.1f} at the end: upper bounds). {args.frames:,} frames at 30 fps of {what}, "
         f"looped; best of three runs"
         + (f" (bvhio {bvhio_version}: one run)." if bvhio_version else "; bvhio not installed.")),
        "",
        "| file | joints / channels | size | step | this package (s) | bvhio (s) |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for label, mine, other, size in rows:
        head = f"| {label} | {mine['joints']} / {mine['channels']} | {size / 2**20:.1f} MiB"
        o = other or {}

        def cell(key: str) -> str:
            return f"{o[key]:.2f}" if key in o else "–"

        lines += [
            f"{head} | read the file | {mine['read']:.3f} | {cell('read')} |",
            f"| | | | joint hierarchy (bvhio `readAsHierarchy`) | – | {cell('hierarchy')} |",
            f"| | | | world positions of every joint and frame | {mine['fk']:.3f} | {cell('fk')} |",
            f"| | | | `import_bvh` → HumanML3D 22 joints, 20 fps | {mine['hml']:.3f} | – |",
            f"| | | | `import_bvh` → KIT 21 joints, 12.5 fps | {mine['kit']:.3f} | – |",
        ]
    lines += ["", *time_targets(targets), ""]
    if agreement:
        lines += ["Largest distance between the joint positions of the two readers (bvhio computes in "
                  "float32): " + "; ".join(agreement) + ".", ""]
    lines.append(
        "This package reads the frame lines with one `numpy.loadtxt` call (a slow per-line pass runs only to "
        "name the first bad line of a broken file), builds every joint's rotation for all frames at once "
        "(quaternions from the Euler channels), and runs forward kinematics as one batched matrix product per "
        "joint over all frames. `import_bvh` computes only the joints the rig map needs and their ancestors "
        "(fingers are skipped), at the output frame times (slerp of the local rotations, then forward "
        "kinematics). bvhio builds Python objects per joint and frame, which is why it is not used.")
    section = "\n".join(lines)
    print(section)
    if not args.no_docs:
        print(f"updated {update_section('bvh', section)}")


if __name__ == "__main__":
    main()
