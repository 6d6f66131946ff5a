"""CLI: caption, convert, --version and error handling (exit code 2, one line, no traceback)."""

import json

import numpy as np
import pytest

from m2t_interpret import __version__
from m2t_interpret.capture.dataset import parse_decode
from m2t_interpret.cli import main
from m2t_interpret.errors import M2TError
from m2t_interpret.model.checkpoints import save_checkpoint
from conftest import FIXTURES, random_motions, tiny_model


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "tiny.pt"
    save_checkpoint(tiny_model(), path)
    return path


@pytest.fixture(scope="module")
def motion_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("motions")
    paths = []
    for i, m in enumerate(random_motions(2, seed=9)):
        p = d / f"clip{i}.npy"
        np.save(p, m)
        paths.append(p)
    return paths


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"m2t-interpret {__version__}"


def test_caption_prints_words_with_beta_part_and_interval(model_file, motion_files, capsys, tmp_path):
    rc = main(["caption", *map(str, motion_files), "--model", str(model_file), "--save", str(tmp_path / "cap")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "clip0.npy:" in out and "clip1.npy:" in out
    assert "beta" in out and "interval where Γ ≥ ½ (s)" in out
    assert (tmp_path / "cap" / "tokens.parquet").exists()
    assert main(["caption", str(motion_files[0]), "--model", str(model_file), "--decode", "beam2"]) == 0
    assert main(["caption", str(motion_files[0]), "--model", str(model_file), "--decode", "authors-beam2"]) == 0


def test_caption_save_refuses_a_user_folder_before_decoding(model_file, motion_files, capsys, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["caption", str(motion_files[0]), "--model", str(model_file), "--save", str(mine)]) == 2
    assert "refusing" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("args, message", [
    (["caption", "missing.npy", "--model", "MODEL"], "not found"),
    (["caption", "BAD", "--model", "MODEL"], "bad.npy has 17 joints"),
    (["caption", "GOOD", "--model", "MODEL", "--decode", "sample"], "--decode"),
    (["caption", "GOOD", "--model", "nonexistent-model"], "shipped model"),
    (["caption", "GOOD", "--model", "MODEL", "--beta", "3"], "beta"),
])
def test_caption_errors_exit_2_with_one_line(args, message, model_file, motion_files, tmp_path, capsys):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((50, 17, 3), dtype=np.float32))
    subst = {"MODEL": str(model_file), "BAD": str(bad), "GOOD": str(motion_files[0])}
    rc = main([subst.get(a, a) for a in args])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_convert_and_caption_authors_checkpoint(tmp_path, motion_files, capsys):
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps(["<pad>", "<sos>", "<eos>", "<unk>"] + [f"w{i}" for i in range(44)]))
    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"mean": [0, 0.9, 0], "std": [0.4, 0.4, 0.4]}))
    out = tmp_path / "h3d.pt"
    rc = main(["convert", str(FIXTURES / "h3d_small.ckpt"), "--vocab", str(vocab), "--stats", str(stats),
               "--out", str(out)])
    assert rc == 0 and out.exists()
    assert "humanml3d skeleton, V=48" in capsys.readouterr().out
    assert main(["caption", str(motion_files[0]), "--model", str(out)]) == 0
    # the authors' file itself, with the vocabulary on the command line
    assert main(["caption", str(motion_files[0]), "--model", str(FIXTURES / "h3d_small.ckpt"),
                 "--vocab", str(vocab), "--stats", str(stats)]) == 0
    short = tmp_path / "short.json"
    short.write_text(json.dumps(["<pad>", "<sos>", "<eos>", "<unk>"]))
    assert main(["convert", str(FIXTURES / "h3d_small.ckpt"), "--vocab", str(short), "--out", str(tmp_path / "x.pt")]) == 2
    assert "4 tokens" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_usage_errors_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert main(["caption"]) == 2


def test_parse_decode():
    assert parse_decode("greedy") == ("greedy", 1)
    assert parse_decode("beam3") == ("beam", 3)
    assert parse_decode("beam") == ("beam", 2)
    assert parse_decode("authors-beam3") == ("authors_beam", 3)
    assert parse_decode("forced") == ("forced", 1)
    with pytest.raises(M2TError):
        parse_decode("nucleus")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_a_clear_error(motion_files, model_file, tmp_path, capsys):
    assert main(["caption", str(motion_files[0]), "--model", str(model_file), "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "run"), "--device", "cuda", "--no-progress"]) == 2
    assert not (tmp_path / "run").exists()
    assert main(["caption", str(motion_files[0]), "--model", str(model_file), "--device", "tpu9"]) == 2


def test_caption_converts_integer_and_millimetre_motions_with_one_warning(model_file, tmp_path, capsys):
    m = random_motions(1, seed=4)[0]
    np.save(tmp_path / "mm.npy", m * 1000)
    np.save(tmp_path / "int.npy", np.round(m * 1000).astype(np.int32))
    np.save(tmp_path / "huge.npy", m * 1e30)
    np.save(tmp_path / "complex.npy", m.astype(np.complex64))
    assert main(["caption", str(tmp_path / "mm.npy"), "--model", str(model_file)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"warning: {tmp_path / 'mm.npy'} looks like millimetres")
    assert main(["caption", str(tmp_path / "int.npy"), "--model", str(model_file)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "int.npy holds integers (int32)" in err and "millimetres" in err
    for name, phrase in [("huge.npy", "is absurdly scaled"), ("complex.npy", "holds complex numbers")]:
        assert main(["caption", str(tmp_path / name), "--model", str(model_file)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and name in err and phrase in err


def test_caption_names_the_actual_problem_of_a_motion_file(model_file, tmp_path, capsys):
    np.savez(tmp_path / "two.npz", joints=np.zeros((50, 22, 3)), fps=np.array(20))
    (tmp_path / "notes.npy").write_text("1 2 3\n")
    for name, phrase in [("two.npz", "is an .npz archive (arrays: joints, fps), not a .npy array"),
                         ("notes.npy", "is not a .npy file (no NumPy header")]:
        assert main(["caption", str(tmp_path / name), "--model", str(model_file)]) == 2
        err = capsys.readouterr().err
        assert phrase in err and "allow_pickle" not in err and "shape (1,)" not in err


def test_library_refuses_complex_and_absurd_motions():
    model = tiny_model()
    m = random_motions(1)[0]
    with pytest.raises(M2TError, match="complex"):
        model.preprocess([m.astype(np.complex64)])
    with pytest.raises(M2TError, match="looks like millimetres: divide by 1000"):
        model.preprocess([m * 1000])
    with pytest.raises(M2TError, match="absurdly scaled"):
        model.preprocess([m * 1e30])


@pytest.mark.parametrize("flag, bars", [([], False), (["--progress"], True), (["--no-progress"], False)])
def test_progress_bars_only_on_a_terminal_unless_asked(tmp_path, capsys, flag, bars):
    """Off a terminal (here: captured stderr) bars are off by default; --progress asks for them."""
    from m2t_interpret.data.synthetic import generate_corpus

    root = generate_corpus(tmp_path / "c", n_train=2, n_val=1, n_test=1, seed=0, progress=False)
    assert main(["data", "check", str(root), *flag]) == 0
    err = capsys.readouterr().err
    assert ("loading train" in err) == bars, err
