"""Inputs of the bad-input catalogue, made on the fly (nothing large is committed).

:func:`build_inputs` writes every shared input once per test session into one folder (tiny models,
broken checkpoints, odd motion files, vocabularies, statistics, configs, small corpora and their
broken variants, finished and damaged run folders); a row names one as ``@name``. :func:`setup_work`
prepares a row's own working folder from recipes (a user's folder, a user's file, an unwritable
folder, a copy of an input) before the row runs there.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from conftest import FIXTURES, REPO, random_motions, tiny_model

TINY_TOML = """preset = "synthetic"
hidden = 16
embed_dim = 8
attn_dim = 12
batch_size = 16
lr = 0.003
max_decode_steps = 12
epochs = 1
"""


#: A BVH file whose joint names match no known rig (a two-bone chain), valid otherwise.
ODD_RIG_BVH = """HIERARCHY
ROOT base
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT stalk
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 10 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.05
0 0 0 0 0 0 0 0 0
0 0 0 0 0 0 0 0 0
"""


class Evil:
    """A pickle payload that would create PWNED in the working folder if it were ever run."""

    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def _motions(d: Path) -> None:
    good = random_motions(1, seed=3, lengths=[60])[0]
    np.save(d / "good.npy", good)
    np.save(d / "kit21.npy", random_motions(1, joints=21, seed=4, lengths=[60])[0])
    np.save(d / "j17.npy", random_motions(1, joints=17, seed=5, lengths=[60])[0])
    np.save(d / "short.npy", good[:5])
    np.save(d / "flat.npy", good.reshape(60, -1))
    bad = good.copy()
    bad[7, 3, 1] = np.nan
    np.save(d / "nan.npy", bad)
    np.save(d / "complex.npy", good.astype(np.complex64))
    np.save(d / "int.npy", np.round(good * 1000).astype(np.int32))
    np.save(d / "mm.npy", good * 1000)
    np.save(d / "huge.npy", good * 1e30)
    np.save(d / "bool.npy", good > 0.5)
    np.save(d / "objects.npy", np.array([{"joints": 1}], dtype=object), allow_pickle=True)
    np.savez(d / "arrays.npz", joints=good, fps=np.array(20))
    (d / "text.npy").write_text("0.1 0.2 0.3\n0.4 0.5 0.6\n")
    (d / "empty.npy").write_bytes(b"")
    raw = (d / "good.npy").read_bytes()
    (d / "truncated.npy").write_bytes(raw[: len(raw) // 2])
    (d / "folder.npy").mkdir()
    shutil.copy(REPO / "analyses" / "examples" / "humanoid3d_walk.bvh", d / "walk.bvh")
    (d / "oddrig.bvh").write_text(ODD_RIG_BVH)
    (d / "shortline.bvh").write_text(ODD_RIG_BVH.replace("0 0 0 0 0 0 0 0 0\n", "0 0 0 0 0 0 0 0\n", 1))


def _checkpoints(d: Path) -> None:
    from m2t_interpret.model.checkpoints import save_checkpoint

    save_checkpoint(tiny_model(), d / "tiny.pt")
    save_checkpoint(tiny_model(skeleton="kit"), d / "tiny_kit.pt")
    raw = (d / "tiny.pt").read_bytes()
    (d / "truncated.pt").write_bytes(raw[: len(raw) // 2])
    (d / "empty.pt").write_bytes(b"")
    (d / "text.pt").write_text("this is not a checkpoint\n")
    torch.save({"x": Evil()}, d / "evil.pt")
    torch.save({"weights": torch.zeros(3)}, d / "foreign.pt")
    torch.save({"format": "m2t-interpret-checkpoint", "format_version": 1}, d / "damaged.pt")
    shutil.copy(FIXTURES / "h3d_small.ckpt", d / "authors.ckpt")
    (d / "models").mkdir()


def _json_inputs(d: Path) -> None:
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + [f"w{i}" for i in range(44)]  # 48: authors.ckpt's size
    (d / "vocab.json").write_text(json.dumps(vocab))
    (d / "vocab_small.json").write_text(json.dumps(vocab[:20]))
    (d / "vocab_dup.json").write_text(json.dumps(vocab[:46] + ["w3", "w3"]))
    (d / "vocab_dict.json").write_text(json.dumps({"walk": 4}))
    (d / "broken.json").write_text('["<pad>", "<sos>"')
    (d / "stats.json").write_text(json.dumps({"mean": [0, 0.9, 0], "std": [0.4, 0.4, 0.4]}))
    (d / "stats_zero.json").write_text(json.dumps({"mean": [0, 0.9, 0], "std": [0.4, 0.0, 0.4]}))
    (d / "stats_short.json").write_text(json.dumps({"mean": [0, 0.9], "std": [0.4, 0.4]}))
    # a body-part mask for --method shapley that leaves the legs' joints out
    (d / "mask_partial.json").write_text(json.dumps({"root": [0], "torso": [3, 6, 9, 12, 15],
                                                     "left_arm": [13, 16, 18, 20], "right_arm": [14, 17, 19, 21]}))


def _configs(d: Path) -> None:
    (d / "tiny.toml").write_text(TINY_TOML)
    (d / "epochs_text.toml").write_text(TINY_TOML.replace("epochs = 1", 'epochs = "three"'))
    (d / "lambdas_nan.toml").write_text(TINY_TOML + "lambdas = [nan, 1.0]\n")
    (d / "lr_negative.toml").write_text(TINY_TOML.replace("lr = 0.003", "lr = -0.1"))
    (d / "unknown_key.toml").write_text(TINY_TOML + "epohcs = 3\n")
    (d / "syntax.toml").write_text("epochs = [\n")


def _corpora(d: Path) -> None:
    from m2t_interpret.data.synthetic import generate_corpus

    base = generate_corpus(d / "corpus", n_train=8, n_val=2, n_test=2, seed=0, progress=False)
    train_ids = (base / "train.txt").read_text().split()
    test_ids = (base / "test.txt").read_text().split()

    def variant(name: str) -> Path:
        return Path(shutil.copytree(base, d / name))

    variant("corpus_noval").joinpath("val.txt").write_text("")
    c = variant("corpus_testmissing")
    for i in test_ids:
        (c / "new_joints" / f"{i}.npy").unlink()
    c = variant("corpus_missing")  # 2 of 16 train motions gone: 12.5 % > 5 %
    for i in train_ids[:2]:
        (c / "new_joints" / f"{i}.npy").unlink()
    c = variant("corpus_malformed")  # 6 of 48 train caption lines without fields
    for i in train_ids[:6]:
        f = c / "texts" / f"{i}.txt"
        lines = f.read_text().splitlines()
        f.write_text("\n".join(["this line has no fields"] + lines[1:]) + "\n")
    c = variant("corpus_latin1")  # 4 of 48 train lines in Latin-1 ("café")
    for i in train_ids[:4]:
        f = c / "texts" / f"{i}.txt"
        lines = f.read_bytes().splitlines()
        f.write_bytes(b"\n".join([b"a person walks to the caf\xe9#a/DET person/NOUN#0.0#0.0"] + lines[1:]) + b"\n")
    c = variant("corpus_badfile")  # one train caption file wholly in Latin-1: that id is dropped
    _latin1_captions(c, train_ids[2:3])
    c = variant("corpus_mostlost")  # 3 of the 4 test caption files in Latin-1: most of the split is lost
    _latin1_captions(c, test_ids[:3])


def _latin1_captions(corpus: Path, ids) -> None:
    """Rewrite the caption files of ``ids`` wholly in Latin-1 ("é" in every line): not UTF-8, so the
    loader drops those ids (no valid caption line)."""
    for i in ids:
        f = corpus / "texts" / f"{i}.txt"
        f.write_bytes(f.read_text(encoding="utf-8").replace("#", "\u00e9#", 1).replace("\n", "\n\u00e9")
                      .encode("latin-1"))


def _segment_inputs(d: Path) -> None:
    """Segment tables and BABEL / HumanML3D index files, broken in the ways a user might."""
    (d / "segments_nocolumn.csv").write_text("clip_id,start_s,end_s\n000001,0.5,1.5\n")
    (d / "segments_badtime.csv").write_text("clip_id,start_s,end_s,text\n000001,2.0,1.0,walks forward\n")
    (d / "segments_nomatch.csv").write_text("clip_id,start_s,end_s,text\nnot-a-clip,0.0,1.0,walks forward\n")
    (d / "babel_bad.json").write_text("{not json")
    (d / "babel_list.json").write_text("[1, 2]")
    (d / "babel_none.json").write_text("{}")
    (d / "index_bad.csv").write_text("path,first,last\nx,0,10\n")
    (d / "index.csv").write_text("source_path,start_frame,end_frame,new_name\n"
                                 "./pose_data/CMU/01/01_01_poses.npy,0,100,000001.npy\n")


def _runs(d: Path) -> None:
    from m2t_interpret.training.config import load_config
    from m2t_interpret.training.trainer import train

    cfg = load_config(d / "tiny.toml", data=str(d / "corpus"))
    train(cfg, d / "run_done", progress=False, log=lambda s: None)
    trunc = Path(shutil.copytree(d / "run_done", d / "run_truncated"))
    raw = (trunc / "last.pt").read_bytes()
    (trunc / "last.pt").write_bytes(raw[: len(raw) // 3])
    foreign = Path(shutil.copytree(d / "run_done", d / "run_foreign"))
    shutil.copy(d / "foreign.pt", foreign / "last.pt")
    nolast = d / "run_nolast"
    nolast.mkdir()
    for name in ("config.toml", "vocab.json"):
        shutil.copy(d / "run_done" / name, nolast / name)


def _captures(d: Path) -> None:
    from m2t_interpret.model.checkpoints import load_model

    model = load_model(d / "tiny.pt")
    model.capture([np.load(d / "good.npy")], clip_ids=["good"]).save(d / "capture")
    # meta.json of a capture over arrays that are missing, of another kind or of the wrong shape
    noarrays = Path(shutil.copytree(d / "capture", d / "capture_noarrays"))
    shutil.rmtree(noarrays / "arrays")
    np.savez(noarrays / "dense.npz", alpha=np.array([{"a": 1}], dtype=object), allow_pickle=True)
    objects = Path(shutil.copytree(d / "capture", d / "capture_objects"))
    np.save(objects / "arrays" / "tokens.npy", np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
    shape = Path(shutil.copytree(d / "capture", d / "capture_badshape"))
    np.save(shape / "arrays" / "alpha.npy", np.zeros((1, 3), dtype=np.float32))
    # a clip table (clips.parquet) that names another clip than meta.json
    clips = Path(shutil.copytree(d / "capture", d / "capture_otherclips"))
    table = pd.read_parquet(clips / "clips.parquet")
    table.assign(clip_id=["other"]).to_parquet(clips / "clips.parquet", index=False)


def _figures(d: Path) -> None:
    """An earlier output of `m2t-interpret figures` (its cheapest table) on the tiny model and corpus."""
    from m2t_interpret.figures import make_figures

    make_figures([str(d / "tiny.pt")], data=str(d / "corpus"), out=d / "figures_done", only=["table2_captions"],
                 formats=["csv"], cache=False)


def build_inputs(d: Path) -> Path:
    """Write every shared input into ``d``."""
    _motions(d)
    _checkpoints(d)
    _json_inputs(d)
    _configs(d)
    _corpora(d)
    _segment_inputs(d)
    _runs(d)
    _captures(d)
    _figures(d)
    (d / "notes.txt").write_text("a user's file\n")
    return d


def setup_work(recipes, work: Path, inputs: Path) -> list[Path]:
    """Prepare a row's working folder. Recipes: ``userdir:NAME`` (a folder holding a user's
    notes.txt), ``file:NAME`` (a user's file), ``dir:NAME`` (an empty folder), ``ro:NAME`` (an
    unwritable folder), ``copy:INPUT:NAME`` (a copy of a shared input), ``put:NAME`` (a user's file
    inside a copied folder), ``noimport:MODULE`` (MODULE.py that raises ImportError, shadowing an
    installed package in a ``sub`` row, whose working folder is first on sys.path). Returns the unwritable folders (to restore their permissions)."""
    locked = []
    for recipe in recipes:
        kind, _, rest = recipe.partition(":")
        if kind == "userdir":
            (work / rest).mkdir(parents=True)
            (work / rest / "notes.txt").write_text("mine\n")
        elif kind == "file":
            (work / rest).write_text("mine\n")
        elif kind == "put":
            (work / rest).write_text("mine\n")
        elif kind == "dir":
            (work / rest).mkdir(parents=True)
        elif kind == "ro":
            (work / rest).mkdir(parents=True)
            os.chmod(work / rest, 0o555)
            locked.append(work / rest)
        elif kind == "noimport":  # a module that fails to import, first on a subprocess's path (its cwd)
            (work / f"{rest}.py").write_text(f"raise ImportError('simulated: {rest} is not installed')\n")
        elif kind == "copy":
            src, _, name = rest.partition(":")
            if (inputs / src).is_dir():
                shutil.copytree(inputs / src, work / name)
            else:
                shutil.copy(inputs / src, work / name)
        else:  # pragma: no cover - a typo in the table
            raise ValueError(f"unknown setup recipe {recipe!r}")
    return locked
