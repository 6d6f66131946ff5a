"""Shared fixtures: golden outputs of the authors' model and tiny seeded captioners."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

# Tiny models: one thread avoids OpenMP spin-waiting, which makes small ops slow on busy machines.
# An explicit OMP_NUM_THREADS is honoured, so the suite can be checked at other thread counts (float
# results then differ in the last bits: the tests compare them with tolerances, see figures/paper/MANIFEST.md).
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or 1))

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "original"
SHARED_DATA = REPO.parent / "shared" / "data"


def load_case(name: str):
    ckpt = torch.load(FIXTURES / f"{name}.ckpt", weights_only=True)
    case = torch.load(FIXTURES / f"{name}.case.pt", weights_only=True)
    return ckpt, case


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "humanml3d-sample" / "new_joints" / "012314.npy").exists():
        pytest.skip(f"real HumanML3D sample not found at {SHARED_DATA} (../shared beside the repo)")
    return SHARED_DATA


def tiny_model(skeleton: str = "humanml3d", vocab_size: int = 20, seed: int = 0, hidden: int = 16,
               embed_dim: int = 8, attn_dim: int = 12, max_steps: int = 10, time_basis: int = 0):
    """A tiny seeded captioner with a made-up vocabulary and unit statistics."""
    from m2t_interpret.model import Captioner, CaptionerConfig

    torch.manual_seed(seed)
    cfg = CaptionerConfig(vocab_size=vocab_size, embed_dim=embed_dim, hidden=hidden, attn_dim=attn_dim,
                          skeleton=skeleton, max_steps=max_steps, time_basis=time_basis)
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + [f"w{i}" for i in range(vocab_size - 4)]
    model = Captioner(cfg, vocab=vocab, stats={"mean": [0.0, 0.9, 0.0], "std": [0.4, 0.4, 0.4]})
    with torch.no_grad():  # sharper attention than the default init
        model.spatial_attention.score.weight.mul_(4)
        model.temporal_attention.score.weight.mul_(4)
    return model.eval()


def synthetic_model_file(folder: Path) -> Path:
    """A tiny seeded captioner with the synthetic corpus's vocabulary, saved as ``folder/tiny.pt``
    (named "tiny"): the model of the CLI and cache tests on small synthetic corpora."""
    from m2t_interpret.data.synthetic.corpus import vocabulary as synthetic_words
    from m2t_interpret.model.checkpoints import save_checkpoint

    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + synthetic_words()
    model = tiny_model(vocab_size=len(vocab), max_steps=12)
    model.set_vocab(vocab)
    model.metadata["name"] = "tiny"
    path = Path(folder) / "tiny.pt"
    save_checkpoint(model, path)
    return path


def random_motions(n: int, joints: int = 22, seed: int = 0, lengths=None) -> list[np.ndarray]:
    """Smooth random clips (T, J, 3) in metres."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = int(lengths[i]) if lengths is not None else int(rng.integers(40, 90))
        base = rng.normal(0, 0.3, (1, joints, 3)) + np.array([0, 0.9, 0])
        drift = np.cumsum(rng.normal(0, 0.01, (t, joints, 3)), axis=0)
        out.append((base + drift).astype(np.float32))
    return out
