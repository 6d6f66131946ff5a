"""The analysis commands end to end: a tiny model on a tiny synthetic corpus (with ground truth) and an
authors' checkpoint on a real-layout HumanML3D folder (no ground truth)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from m2t_interpret.cli import main
from m2t_interpret.reports import READABLE_ROWS
from m2t_interpret.data.synthetic import generate_corpus
from conftest import FIXTURES, load_case, synthetic_model_file


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("corpus"), n_train=0, n_val=0, n_test=6, seed=5, progress=False)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return synthetic_model_file(tmp_path_factory.mktemp("m"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))


def run(args, capsys):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def common(model_file, corpus, out, decode="forced"):
    return ["--model", model_file, "--data", corpus, "--out", out, "--decode", decode, "--no-progress"]


def test_density_writes_figures_and_tables_then_uses_the_cache(model_file, corpus, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["density", "--word", "jumps", "--word", "the", *common(model_file, corpus, out),
            "--format", "png,html,csv,md"]
    rc, stdout, err = run(args, capsys)
    assert rc == 0, err
    files = sorted(p.name for p in out.iterdir())
    # a table longer than READABLE_ROWS is written as CSV only (the curves: 201 or more grid points per word)
    long_curves = len(pd.read_csv(out / "density_curves.csv")) > READABLE_ROWS
    assert files == [".m2t-interpret.json", "density.caption.txt", "density.html", "density.png", "density_curves.csv",
                     *([] if long_curves else ["density_curves.md"]), "density_summary.csv", "density_summary.md",
                     "plotly.min.js"]
    caption = (out / "density.caption.txt").read_text()  # the counts and bandwidths the figure's rows carry
    assert "Scott's bandwidth" in caption and ("jumps: n=" in caption or "jumping: n=" in caption) and "the: n=" in caption
    assert 'src="plotly.min.js"' in (out / "density.html").read_text()  # --plotlyjs shared (the default)
    summary = pd.read_csv(out / "density_summary.csv")
    assert list(summary["stem"]) == ["jump", "the"] and (summary["count"] > 0).all()
    # each stem shown as its commonest form in the captions, the stem beside it
    assert summary["word"][0] in ("jumps", "jumping") and summary["word"][1] == "the"
    assert "stem" in stdout and "wrote:" in stdout and "from the cache" not in stdout and "kept for reuse" in stdout
    assert (out / "density.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rc, stdout, _ = run(args, capsys)
    assert rc == 0 and "(capture read from the cache)" in stdout


def test_width_sets_the_printed_size_and_tex_adds_a_latex_caption(model_file, corpus, tmp_path, capsys):
    """--width column: the PDF is one column wide (3.35 in, less the tight box's trim); with --format tex the
    caption comes as a LaTeX snippet too. A width that is no width is refused before any work."""
    import re

    out = tmp_path / "out"
    clip = (corpus / "test.txt").read_text().split()[0]
    rc, _, err = run(["finegrained", "--clip", clip, *common(model_file, corpus, out), "--format", "pdf,csv,tex",
                      "--width", "column"], capsys)
    assert rc == 0, err
    box = re.search(rb"/MediaBox \[ *0 0 ([\d.]+) ([\d.]+) *\]", (out / "finegrained.pdf").read_bytes())
    width, height = (float(v) / 72 for v in box.groups())
    assert 3.2 <= width <= 3.35 and height <= 9.0
    tex = (out / "finegrained.caption.tex").read_text()
    assert tex.startswith("\\caption{Fine-grained caption") and f"Clip {clip}." in tex
    assert "\\label{fig:finegrained}" in tex and "$\\hat{\\beta}$" in tex
    assert "clip_id,caption,position,word,beta,motion" in (out / f"finegrained_caption_{clip}.csv").read_text()
    rc, _, err = run(["density", *common(model_file, corpus, tmp_path / "other"), "--width", "1"], capsys)
    assert rc == 2 and "--width 1: use column" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "other").exists()  # refused before any work


def test_every_analysis_command_runs(model_file, corpus, tmp_path, capsys):
    out = tmp_path / "out"
    clip = (corpus / "test.txt").read_text().split()[0]
    for cmd in (["hist", "--word", "walks"], ["parts"], ["onset", "--clip", clip], ["gate"], ["map", "--clip", clip],
                ["finegrained", "--clip", clip]):
        rc, stdout, err = run([*cmd, *common(model_file, corpus, out), "--format", "png,csv"], capsys)
        assert rc == 0, (cmd, err)
        assert "wrote:" in stdout
    names = {p.name for p in out.iterdir()}
    for expected in ("hist.png", "parts.png", "parts_scores.csv", "parts_confusion.csv", "onset_curves.png",
                     "onset_scores.csv", "gate.png", "gate_separation.csv", "map.png", "finegrained.png",
                     f"finegrained_{clip}.csv"):
        assert expected in names, expected
    scores = pd.read_csv(out / "parts_scores.csv")
    assert {"pointing", "chance", "best_constant"} <= set(scores.columns)
    assert scores.loc[scores["name"] == "all motion words", "chance"].between(0, 1).all()


def test_ablate_gate_and_compare(model_file, corpus, tmp_path, capsys):
    out = tmp_path / "out"
    rc, stdout, err = run(["ablate-gate", *common(model_file, corpus, out, "greedy"), "--format", "csv"], capsys)
    assert rc == 0, err
    scores = pd.read_csv(out / "ablate_gate_scores.csv")
    assert list(scores["metric"]) == ["bleu1", "bleu4", "rouge_l", "cider"]
    other = tmp_path / "other.pt"
    shutil.copy(model_file, other)
    rc, stdout, err = run(["compare", "--model", model_file, "--model", other, "--data", corpus, "--out", out,
                           "--no-progress", "--format", "csv,md"], capsys)
    assert rc == 0, err
    table = pd.read_csv(out / "compare_scores.csv")
    assert {"chance", "best constant"} <= set(table.columns)
    assert any(s.startswith("pointing, one-part") for s in table["score"])
    assert any("BLEU@4" in s for s in table["score"])


@pytest.mark.parametrize("args, phrase", [
    (["density", "--word", "moonwalks"], "never occurs"),
    (["map", "--clip", "zzz"], "no clip with id 'zzz'"),
    (["map", "--clip", "999"], "indices 0..11"),
    (["density", "--format", "gif"], "unknown --format"),
    (["density", "--decode", "nucleus"], "unknown --decode"),
])
def test_bad_input_is_one_line_exit_2(args, phrase, model_file, corpus, tmp_path, capsys):
    out = tmp_path / "out"
    rc, stdout, err = run([*args, *common(model_file, corpus, out)[:-3], "--no-progress", "--out", out], capsys)
    assert rc == 2
    assert phrase in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() or not any(p.suffix in (".png", ".csv") for p in out.iterdir())


def test_out_that_is_a_file_fails_before_any_work(model_file, corpus, tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("keep")
    rc, _, err = run(["density", *common(model_file, corpus, f)], capsys)
    assert rc == 2 and "is a file" in err and f.read_text() == "keep"
    assert not (tmp_path / "cache").exists()  # nothing was decoded


def test_real_layout_with_an_authors_checkpoint_has_no_ground_truth(tmp_path, capsys, shared_data):
    """A converted authors' fixture on a HumanML3D-layout folder holding the real sample clip."""
    ckpt, case = load_case("h3d_small")
    v = ckpt["model"]["dec.embedding.weight"].shape[0]
    words = ["a", "person", "walks", "forward", "and", "waves"]
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + words + [f"w{i}" for i in range(v - 4 - len(words))]
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "stats.json").write_text(json.dumps({"mean": case["axis_mean"].tolist(),
                                                     "std": case["axis_std"].tolist()}))
    rc, _, err = run(["convert", FIXTURES / "h3d_small.ckpt", "--vocab", tmp_path / "vocab.json", "--stats",
                      tmp_path / "stats.json", "--out", tmp_path / "model.pt"], capsys)
    assert rc == 0, err
    data = tmp_path / "h3d"
    (data / "new_joints").mkdir(parents=True)
    (data / "texts").mkdir()
    shutil.copy(shared_data / "humanml3d-sample" / "new_joints" / "012314.npy", data / "new_joints")
    (data / "texts" / "012314.txt").write_text(
        "a person walks forward and waves#a/DET person/NOUN walk/VERB forward/ADV and/CCONJ wave/VERB#0.0#0.0\n")
    (data / "test.txt").write_text("012314\n")
    out = tmp_path / "out"
    base = ["--model", tmp_path / "model.pt", "--data", data, "--out", out, "--decode", "forced", "--no-progress",
            "--format", "csv"]
    rc, stdout, err = run(["parts", *base], capsys)
    assert rc == 0, err
    assert "no ground truth" in stdout
    rc, stdout, err = run(["density", "--word", "walks", *base], capsys)
    assert rc == 0, err
    assert pd.read_csv(out / "density_summary.csv")["count"].item() == 1
    rc, stdout, err = run(["finegrained", "--clip", "012314", *base], capsys)
    assert rc == 0, err
    assert np.isfinite(pd.read_csv(out / "finegrained_012314.csv")["onset_s"]).all()


def test_lexicon_show(corpus, tmp_path, capsys):
    rc, stdout, err = run(["lexicon", "show", "project"], capsys)
    assert rc == 0, err
    assert "lexicon project" in stdout and "connector" in stdout
    rc, stdout, err = run(["lexicon", "show", "project", "--data", corpus, "--split", "test", "--no-progress",
                           "--out", tmp_path / "lex.csv"], capsys)
    assert rc == 0, err
    assert "with a part target" in stdout
    table = pd.read_csv(tmp_path / "lex.csv")
    assert {"word", "count", "beta", "parts"} <= set(table.columns)
    assert table.set_index("word").loc["then", "beta"] == 0
    rc, _, err = run(["lexicon", "show", "no-such-lexicon"], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1


def test_capture_shards_and_merge(model_file, corpus, tmp_path, capsys):
    from m2t_interpret.result import CaptureResult

    base = ["--model", model_file, "--data", corpus, "--decode", "forced", "--no-progress"]
    rc, _, err = run(["capture", *base, "--out", tmp_path / "whole"], capsys)
    assert rc == 0, err
    for i in (1, 2):  # 12 clips in one chunk of 128: shard 2 of 2 is empty
        rc, out, err = run(["capture", *base, "--shard", f"{i}/2", "--out", tmp_path / f"s{i}"], capsys)
        assert rc == (0 if i == 1 else 2), err
    assert "is empty" in err
    rc, _, err = run(["merge", tmp_path / "s1", "--out", tmp_path / "merged"], capsys)
    assert rc == 2 and "shard(s) 2 missing" in err
    rc, _, err = run(["capture", *base, "--shard", "1/1", "--out", tmp_path / "one"], capsys)
    rc, _, err = run(["merge", tmp_path / "one", "--out", tmp_path / "merged"], capsys)
    assert rc == 0, err
    a, b = CaptureResult.load(tmp_path / "merged"), CaptureResult.load(tmp_path / "whole")
    # bit for bit (the merge's promise): both decode the same chunks, in one process
    assert a.clip_ids == b.clip_ids and np.array_equal(a.alpha, b.alpha)
    rc, _, err = run(["capture", *base, "--shard", "0/2", "--out", tmp_path / "bad"], capsys)
    assert rc == 2 and "1 ≤ i ≤ n" in err and not (tmp_path / "bad").exists()


def test_analysis_shards_are_cached_then_merged_by_the_unsharded_run(model_file, corpus, tmp_path, capsys,
                                                                    monkeypatch):
    import m2t_interpret.capture.dataset as dataset
    from m2t_interpret.result import CaptureResult

    monkeypatch.setattr(dataset, "CHUNK_CLIPS", 4)  # 12 clips: 3 chunks, so 2 shards of 2 and 1 chunks
    out = tmp_path / "out"
    args = ["density", "--word", "walks", *common(model_file, corpus, out)]
    for i in (1, 2):
        rc, stdout, err = run([*args, "--shard", f"{i}/2"], capsys)
        assert rc == 0, err
        assert f"shard {i}/2 of split test" in stdout and "captured into the cache" in stdout
        assert "no analysis written" in stdout and not out.exists()
    shards = sorted((tmp_path / "cache" / "captures").glob("*.shards/*"))
    assert [p.name for p in shards] == ["1of2", "2of2"]
    assert [CaptureResult.load(p).n_clips for p in shards] == [8, 4]
    rc, stdout, err = run(args, capsys)
    assert rc == 0, err
    assert "merged the 2 cached shards" in stdout and "(capture read from the cache)" in stdout
    assert (out / "density_summary.csv").exists()
    assert not list((tmp_path / "cache" / "captures").glob("*.shards"))  # merged, then removed
    rc, _, err = run(["capture", "--model", model_file, "--data", corpus, "--decode", "forced", "--no-progress",
                      "--out", tmp_path / "whole"], capsys)
    assert rc == 0, err
    whole = CaptureResult.load(tmp_path / "whole")
    merged = CaptureResult.load(next((tmp_path / "cache" / "captures").iterdir()))
    for name, a in whole.array_files().items():  # bit for bit: the same chunks decoded in one process
        assert np.array_equal(a, merged.array_files()[name], equal_nan=a.dtype.kind == "f"), name
    rc, _, err = run([*args, "--shard", "1/2", "--no-cache"], capsys)
    assert rc == 2 and "--no-cache" in err and len(err.strip().splitlines()) == 1
    rc, _, err = run([*args, "--shard", "3/2"], capsys)
    assert rc == 2 and "1 ≤ i ≤ n" in err


def test_ctrl_c_says_in_one_line_what_was_kept(model_file, corpus, tmp_path, capsys, monkeypatch):
    """Interrupted while computing or while writing: the output folder is left as it was (its files are
    written together at the end), and the line says so."""
    from m2t_interpret import analysis, reports

    out = tmp_path / "out"
    args = ["gate", *common(model_file, corpus, out), "--format", "csv"]
    said = [f"interrupted: gate stopped; nothing was written to {out}; the cache keeps only finished entries "
            "(reused next time)"]

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(analysis, "gate_separation", interrupt)
        rc, _, err = run(args, capsys)
    assert rc == 130 and err.splitlines() == said
    assert not out.exists()
    rc, _, err = run(args, capsys)
    assert rc == 0, err
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = reports.Report.write_files

    def write_then_interrupt(self, *args, **kwargs):
        real(self, *args, **kwargs)  # every file staged, none committed
        raise KeyboardInterrupt

    monkeypatch.setattr(reports.Report, "write_files", write_then_interrupt)
    rc, _, err = run(args, capsys)
    assert rc == 130 and err.splitlines() == said
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_rerun_replaces_its_own_files_and_leaves_none_of_the_earlier_set(model_file, corpus, tmp_path, capsys):
    """The issue's case: a density_curves.md of an earlier run must not sit beside a later run's CSV."""
    out = tmp_path / "out"
    rc, _, err = run(["density", "--word", "the", *common(model_file, corpus, out), "--format", "csv,md"], capsys)
    assert rc == 0, err
    (out / "notes.txt").write_text("the user's own notes\n")
    rc, stdout, err = run(["density", "--word", "the", *common(model_file, corpus, out), "--format", "csv"], capsys)
    assert rc == 0, err
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["density_curves.csv", "density_summary.csv", "notes.txt"]
    (out / "density_summary.csv").write_text("edited by the user\n")
    rc, stdout, err = run(["density", "--word", "the", *common(model_file, corpus, out), "--format", "csv"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "density_summary.csv: it changed since m2t-interpret wrote it" in err
    assert (out / "density_summary.csv").read_text() == "edited by the user\n"


def test_a_full_disk_leaves_the_output_folder_as_it_was(model_file, corpus, tmp_path, capsys):
    """A real full disk: --out on a 1 MB tmpfs, where the HTML figure's plotly.js (4.7 MB) does not fit after
    the tables and the PNG are written. Today's main left some of the files; now none, with one line."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a tmpfs here (needs root); tests/test_outputs.py simulates ENOSPC instead")
    try:
        out = disk / "out"
        rc, _, err = run(["gate", *common(model_file, corpus, out), "--format", "csv"], capsys)
        assert rc == 0, err
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        rc, _, err = run(["gate", *common(model_file, corpus, out), "--format", "png,html,csv,md"], capsys)
        assert rc == 2 and err.count("\n") == 1 and "No space left on device" in err and str(out) in err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_attribute_in_shards_then_merged_equals_one_run(model_file, corpus, tmp_path, capsys):
    """`attribute --shard i/n` keeps each shard in the cache and writes nothing; the plain command then merges
    them — the same tables as one unsharded run (float32 tolerance: the same computation per clip)."""
    base = ["attribute", "--model", model_file, "--data", corpus, "--method", "ablation", "--no-progress",
            "--format", "csv"]
    rc, _, err = run([*base, "--no-cache", "--out", tmp_path / "one"], capsys)
    assert rc == 0, err
    for shard in ("1/2", "2/2"):
        rc, stdout, err = run([*base, "--shard", shard, "--out", tmp_path / "sharded"], capsys)
        assert rc == 0 and "no analysis written" in stdout, err
    assert not (tmp_path / "sharded").exists()
    rc, _, err = run([*base, "--out", tmp_path / "sharded"], capsys)
    assert rc == 0, err
    tables = sorted(p.name for p in (tmp_path / "one").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (tmp_path / "sharded").glob("*.csv"))
    for name in tables:
        a, b = pd.read_csv(tmp_path / "one" / name), pd.read_csv(tmp_path / "sharded" / name)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), name
        for col in a.columns:
            if pd.api.types.is_float_dtype(a[col]):
                np.testing.assert_allclose(a[col], b[col], rtol=1e-5, atol=1e-6, err_msg=f"{name}:{col}")
            else:
                assert list(a[col].astype(str)) == list(b[col].astype(str)), f"{name}:{col}"
    rc, _, err = run([*base, "--shard", "1/2", "--no-cache", "--out", tmp_path / "x"], capsys)
    assert rc == 2 and "drop --no-cache" in err


def test_truth_kinematic_scores_attention_on_any_data(model_file, corpus, tmp_path, capsys):
    """--truth kinematic: the scored commands read the truth off the motion; the same tables as with the
    annotations, scores beside chance and the best constant."""
    out = tmp_path / "out"
    clip = (corpus / "test.txt").read_text().split()[0]
    for cmd in (["parts"], ["onset", "--clip", clip], ["hist", "--word", "the"]):
        rc, stdout, err = run([*cmd, *common(model_file, corpus, out), "--format", "csv", "--truth", "kinematic"],
                              capsys)
        assert rc == 0, (cmd, err)
    scores = pd.read_csv(out / "parts_scores.csv")
    assert {"pointing", "chance", "best_constant"} <= set(scores.columns) and scores["n"].sum() > 0
    rc, _, err = run(["parts", *common(model_file, corpus, out), "--truth", "psychic"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "psychic" in err
