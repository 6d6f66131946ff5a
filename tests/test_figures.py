"""`m2t-interpret figures`: the paper's figures and tables in one command, its MANIFEST.md, the
output-folder rules, plotly.js shared per folder, and the committed figures/paper/ regenerated."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, tiny_model
from matplotlib.collections import QuadMesh

from m2t_interpret import __version__
from m2t_interpret.cli import main
from m2t_interpret.data.synthetic import generate_corpus
from m2t_interpret.data.synthetic.corpus import vocabulary as synthetic_words
from m2t_interpret.errors import M2TError
from m2t_interpret.outputs import LEDGER
from m2t_interpret.figures import (
    PAPER_FIGURES,
    TABLE_TOLERANCE,
    FigureSession,
    check_figures_out,
    make_figures,
    manifest_files,
    paper_map_figure,
)
from m2t_interpret.model.checkpoints import save_checkpoint

COMMITTED = REPO / "figures" / "paper"
TABLE_SUFFIXES = (".csv", ".md", ".tex")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Two tiny seeded captioners (two panels) and a 3-clip corpus with ground truth."""
    d = tmp_path_factory.mktemp("tiny")
    # seed 6: the tiny models' greedy captions hold some of the default density words
    corpus = generate_corpus(d / "corpus", n_train=0, n_val=0, n_test=3, seed=6, progress=False)
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + synthetic_words()
    models = []
    for seed in (0, 1):
        model = tiny_model(vocab_size=len(vocab), max_steps=12, seed=seed)
        model.set_vocab(vocab)
        models.append(save_checkpoint(model, d / f"tiny{seed}.pt"))
    return [str(m) for m in models], corpus


ONLY = ["fig2a_density", "fig7_map"]


@pytest.fixture(scope="module")
def written(tiny, tmp_path_factory):
    models, corpus = tiny
    out = tmp_path_factory.mktemp("fig") / "paper"
    manifest = make_figures(models, data=str(corpus), out=out, clip="0", only=ONLY,
                            formats=["png", "html", "csv", "md"], cache=False)
    return manifest, out


def _meshes(fig) -> list:
    """The attention-map meshes of a (sub)figure, panel by panel (not the colour bar's)."""
    return [c for ax in fig.axes if not hasattr(ax, "_colorbar") for c in ax.collections if isinstance(c, QuadMesh)]


def _files(root: Path) -> set[str]:
    """The outputs under ``root`` (the hidden ledger of what the tool wrote is not one)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != LEDGER}


def test_manifest_lists_every_file_with_fingerprints_and_the_command(written, tiny):
    manifest, out = written
    models, _ = tiny
    assert _files(out) == set(manifest.files) | {"MANIFEST.md"}
    assert manifest_files(out) == _files(out)
    text = (out / "MANIFEST.md").read_text()
    for m in models:
        assert f"--model {m}" in manifest.command
        sha = hashlib.sha256(Path(m).read_bytes()).hexdigest()[:12]
        assert f"{Path(m).stem} `{sha}`" in text
    assert f"m2t-interpret {__version__}" in text and manifest.data["fingerprint"] in text
    assert manifest.command in text and "--clip 0" in manifest.command and "--only fig7_map" in manifest.command
    # per-model folders hold what each analysis command writes; the paper figures sit on top
    assert {"fig2a_density.png", "fig7_map.png", "tiny0/density_summary.csv", "tiny1/map_000000.csv",
            "tiny1/plotly.min.js"} <= set(manifest.files)
    assert "Fig. 7" in manifest.files["fig7_map.png"] and "model tiny1" in manifest.files["tiny1/map.png"]


def test_side_by_side_panels_are_the_single_figures_data(tiny, written):
    models, corpus = tiny
    _, out = written
    part = paper_map_figure(FigureSession(models, data=str(corpus), clip="0", cache=False))
    fig = part.figure
    assert len(fig.subfigs) == 2
    for sub, label in zip(fig.subfigs, ["tiny0", "tiny1"]):
        table = pd.read_csv(out / label / "map_000000.csv")
        meshes = _meshes(sub)
        steps = table["step"].drop_duplicates().tolist()
        assert len(meshes) == len(steps) and label in sub._suptitle.get_text()
        for mesh, step in zip(meshes, steps):
            want = table[table["step"] == step].pivot_table(index="part", columns="frame", values="value",
                                                              sort=False).to_numpy(float)
            assert np.allclose(np.asarray(mesh.get_array()).reshape(want.shape), want, atol=1e-6)


def test_each_paper_figure_is_text_wide_with_a_short_title_and_its_caption_beside_it(tiny, written):
    """Two models side by side at the text width (7.0 in at 150 dpi, less the tight box's trim); each panel
    titled by model and clip; the caption — what the figure shows and each panel's caption with β̂ per
    token — beside the figure and each model's own, listed in the manifest (LaTeX only with --format tex)."""
    from PIL import Image

    models, corpus = tiny
    manifest, out = written
    for key in ONLY:
        assert 7.0 * 150 - 15 <= Image.open(out / f"{key}.png").size[0] <= 7.0 * 150
    caption = (out / "fig7_map.caption.txt").read_text()
    assert caption.startswith("Fig. 7: Attention α·Γ") and "(a) tiny0: Clip 000000" in caption
    assert caption.count("per body part and frame") == 1  # the panels' description said once
    assert "(b) tiny1: Clip 000000" in caption and caption.count("β̂ after each word") == 2
    assert "fig7_map.caption.txt" in manifest.files and "tiny1/map.caption.txt" in manifest.files
    assert not list(out.rglob("*.caption.tex"))
    fig = paper_map_figure(FigureSession(models, data=str(corpus), clip="0", cache=False)).figure
    assert [sub._suptitle.get_text() for sub in fig.subfigs] == ["tiny0 · clip 000000", "tiny1 · clip 000000"]
    tokens = pd.read_csv(out / "tiny0" / "map_caption_000000.csv")
    assert list(tokens.columns) == ["clip_id", "caption", "position", "word", "beta", "motion"]
    assert set(tokens["caption"]) <= {"prediction", "reference"} and tokens["beta"].notna().any()


def test_html_figures_share_one_plotlyjs_per_folder(written):
    _, out = written
    for folder in (out / "tiny0", out / "tiny1"):
        pages = list(folder.glob("*.html"))
        assert pages and (folder / "plotly.min.js").stat().st_size > 1_000_000
        for page in pages:
            text = page.read_text()
            assert page.stat().st_size < 1_000_000 and 'src="plotly.min.js"' in text and "cdn.plot.ly" not in text


def test_inline_plotlyjs_embeds_it(tiny, tmp_path):
    models, corpus = tiny
    make_figures(models[:1], data=str(corpus), out=tmp_path / "o", only=["fig2a_density"],
                 formats=["html", "pdf"], plotlyjs="inline", cache=False)
    assert (tmp_path / "o" / "fig2a_density.pdf").read_bytes()[:5] == b"%PDF-"
    page = tmp_path / "o" / "tiny0" / "density.html"
    assert page.stat().st_size > 1_000_000 and not (tmp_path / "o" / "tiny0" / "plotly.min.js").exists()


def test_same_command_same_tables_and_an_earlier_output_is_replaced_whole(tiny, written, tmp_path):
    models, corpus = tiny
    _, out = written
    again = tmp_path / "again"
    shutil.copytree(out, again)
    (again / "tiny0" / "density.png").unlink()  # an earlier output, partly gone: still ours
    second = make_figures(models, data=str(corpus), out=again, clip="0", only=["fig7_map"], formats=["csv"],
                          cache=False)
    assert _files(again) == set(second.files) | {"MANIFEST.md"}  # the earlier files went with the folder
    assert {"tiny0/map_000000.csv", "tiny1/map_000000.csv"} <= set(second.files)
    for rel in second.files:  # one process, one machine, the same settings: byte for byte (MANIFEST.md)
        assert (again / rel).read_bytes() == (out / rel).read_bytes(), rel
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_out_holding_user_files_is_refused_before_any_work(written, tmp_path, capsys):
    _, out = written
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(M2TError, match="not written by `m2t-interpret figures`"):
        check_figures_out(mine)
    earlier = tmp_path / "earlier"
    shutil.copytree(out, earlier)
    (earlier / "tiny0" / "notes.txt").write_text("mine")
    before = _files(earlier)
    rc = main(["figures", "--model", "nosuch-model-file.pt", "--out", str(earlier)])
    assert rc == 2 and "model file not found: nosuch-model-file.pt" in capsys.readouterr().err
    rc = main(["figures", "--out", str(earlier), "--only", "table2_captions", "--model", "synthetic-guided"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "plus files it did not write (tiny0/notes.txt)" in err[0]
    assert _files(earlier) == before and (earlier / "tiny0" / "notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_table1_from_a_sweep_folder(tiny, tmp_path):
    from m2t_interpret.training.sweep import TABLE_COLUMNS

    models, corpus = tiny
    runs = tmp_path / "sweep"
    runs.mkdir()
    table = pd.DataFrame([[0, 0, 40.0, 10.0, 20.0, 35.0, None], [2, 3, 45.0, 12.5, 25.0, 38.0, None]],
                         columns=TABLE_COLUMNS)
    table.to_csv(runs / "table1.csv", index=False)
    manifest = make_figures(models[:1], data=str(corpus), out=tmp_path / "o", runs=runs, only=["table1_sweep"],
                            formats=["csv", "tex"], cache=False)
    got = pd.read_csv(tmp_path / "o" / "table1_sweep.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(runs / "table1.csv"))
    assert f"--runs {runs}" in manifest.command and "table1_sweep.tex" in manifest.files


def test_every_paper_figure_has_a_builder():
    from m2t_interpret.figures import BUILDERS

    assert list(BUILDERS) == list(PAPER_FIGURES)


# ----------------------------------------------------------------------------- the committed figures

def _committed_entries() -> dict[str, str]:
    text = (COMMITTED / "MANIFEST.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", text, flags=re.MULTILINE))


def _column_tolerance(values: np.ndarray) -> float:
    """MANIFEST.md's "the same" for a float column: TABLE_TOLERANCE times the larger of 1 and the
    column's largest magnitude (float32 rounding moves values relative to the scale of what they
    were computed from; a difference such as an onset error keeps its operands' absolute error)."""
    values = np.asarray(values, dtype=float)
    finite = np.abs(values[np.isfinite(values)])
    return TABLE_TOLERANCE * max(1.0, float(finite.max()) if finite.size else 0.0)


def _assert_same_csv(mine: Path, committed: Path) -> None:
    """The same table as MANIFEST.md defines it: the same columns and rows, text and integer columns
    equal, float columns within _column_tolerance (float32 rounding differs between machines)."""
    a, b = pd.read_csv(mine), pd.read_csv(committed)
    assert list(a.columns) == list(b.columns) and len(a) == len(b), f"{mine.name}: other columns or rows"
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            assert pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y), f"{mine.name}:{col}"
            y = y.to_numpy(float)
            np.testing.assert_allclose(x.to_numpy(float), y, rtol=0, atol=_column_tolerance(y),
                                       equal_nan=True, err_msg=f"{mine.name}:{col}")
        else:  # ids, counts, words, captions: exact
            assert x.astype(str).tolist() == y.astype(str).tolist(), f"{mine.name}:{col}"


_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def _assert_same_text_table(mine: Path, committed: Path) -> None:
    """A Markdown or LaTeX table: the same text (up to column padding) and the same numbers, within
    one unit of the committed number's last printed digit (a value within float32 rounding of a
    rounding boundary may print either way); integers exactly."""
    def split(path: Path) -> tuple[list[str], list[str]]:
        pieces = _NUMBER.split(path.read_text(encoding="utf-8"))
        text = [re.sub(r"-{3,}", "---", " ".join(t.split())) for t in pieces[::2]]
        return text, pieces[1::2]

    (text_a, num_a), (text_b, num_b) = split(mine), split(committed)
    assert text_a == text_b and len(num_a) == len(num_b), f"{mine.name}: other text"
    for x, y in zip(num_a, num_b):
        mantissa, _, exponent = y.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        unit = 10.0 ** (int(exponent or 0) - decimals) if decimals else 0.0
        assert abs(float(x) - float(y)) <= unit * (1 + 1e-9), f"{mine.name}: {x} ≠ {y}"


def _compare_with_committed(out: Path, prefix: str = "") -> list[str]:
    """Every table file written under ``out/prefix`` is the same as the committed one, as the
    committed MANIFEST.md says (not byte for byte: another machine rounds float32 otherwise); every
    file written is listed, with the same description, in the committed manifest."""
    committed = _committed_entries()
    checked = []
    for p in sorted((out / prefix).rglob("*") if prefix else out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if not p.is_file() or rel == "MANIFEST.md" or p.name == LEDGER:
            continue
        assert rel in committed, f"{rel} is not in the committed figures/paper/MANIFEST.md"
        if rel.endswith(TABLE_SUFFIXES):
            (_assert_same_csv if rel.endswith(".csv") else _assert_same_text_table)(p, COMMITTED / rel)
            checked.append(rel)
    return checked


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))


def test_committed_paper_figures_match_a_regeneration_of_the_greedy_figures(tmp_path, private_cache):
    """One model, the figures of its greedy capture: the model's folder and the data behind the
    side-by-side map equal the committed ones. Tables only (drawing PNGs is tested above and costs
    half the time); the slow test below regenerates every file."""
    out = tmp_path / "paper"
    rc = main(["figures", "--model", "synthetic-guided", "--only", "fig2a_density", "--only", "fig6_finegrained",
               "--only", "fig7_map", "--format", "csv,md,tex", "--out", str(out), "--no-progress"])
    assert rc == 0
    checked = _compare_with_committed(out, "synthetic-guided")
    assert {"synthetic-guided/density_summary.csv", "synthetic-guided/map_000006.csv",
            "synthetic-guided/finegrained_000006.md"} <= set(checked)
    part = paper_map_figure(FigureSession(["synthetic-guided"]))
    committed = pd.read_csv(COMMITTED / "synthetic-guided" / "map_000006.csv")
    meshes = _meshes(part.figure.subfigs[0])
    for mesh, step in zip(meshes, committed["step"].drop_duplicates()):
        want = committed[committed["step"] == step].pivot_table(index="part", columns="frame", values="value",
                                                                  sort=False).to_numpy(float)
        # the map holds float32 attention, the committed CSV its shortest decimal form from another
        # machine: the same within the tables' tolerance (see MANIFEST.md)
        np.testing.assert_allclose(np.asarray(mesh.get_array(), dtype=np.float32).reshape(want.shape),
                                   want.astype(np.float32), rtol=0, atol=_column_tolerance(committed["value"]))


@pytest.mark.slow
def test_committed_paper_figures_equal_the_command_output(tmp_path, private_cache):
    """The whole committed figures/paper/: the same files, the tables byte for byte."""
    out = tmp_path / "paper"
    assert main(["figures", "--out", str(out), "--no-progress"]) == 0
    checked = _compare_with_committed(out)
    assert len(checked) > 50
    assert set(_committed_entries()) == set(manifest_files(out)) - {"MANIFEST.md"}
    mine = (out / "MANIFEST.md").read_text().replace(f"--out {out}", "--out figures/paper")
    assert mine == (COMMITTED / "MANIFEST.md").read_text()


def test_shared_plotlyjs_is_written_once_per_folder(tmp_path):
    import plotly.graph_objects as go

    from m2t_interpret.plotting import save_figure

    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))
    first = save_figure(fig, tmp_path / "a", ["html"], plotlyjs="shared")
    js = tmp_path / "plotly.min.js"
    assert [p.name for p in first] == ["plotly.min.js", "a.html"]
    stamp = js.stat().st_mtime_ns
    save_figure(fig, tmp_path / "b", ["html"], plotlyjs="shared")
    assert js.stat().st_mtime_ns == stamp and sorted(p.name for p in tmp_path.iterdir()) == [
        "a.html", "b.html", "plotly.min.js"]
    with pytest.raises(M2TError, match="unknown --plotlyjs 'cdn'"):
        save_figure(fig, tmp_path / "c", ["html"], plotlyjs="cdn")


@pytest.mark.parametrize("command", ["density", "hist", "parts", "onset", "gate", "map", "finegrained", "ablate-gate",
                                     "compare", "attribute", "faithfulness", "sanity", "figures"])
def test_every_command_with_html_output_says_how_it_gets_plotlyjs(command, capsys):
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "--plotlyjs" in text and "plotly.min.js" in text and "inline" in text


def test_one_part_palette_everywhere():
    """The six part colours are defined once (beside the parts) and used by figures and skeleton drawings."""
    from matplotlib.colors import to_hex

    from m2t_interpret.plotting import static
    from m2t_interpret.plotting.style import PART_COLORS as STYLE_COLORS
    from m2t_interpret.plotting.style import part_label
    from m2t_interpret.skeletons import PART_COLORS, PARTS, joint_parts

    assert STYLE_COLORS is PART_COLORS and list(PART_COLORS) == list(PARTS)
    assert len({c.lower() for c in PART_COLORS.values()}) == 6
    hml = joint_parts("humanml3d")
    assert (hml[0], hml[20], hml[21], hml[10], hml[11], hml[15]) == (
        "root", "left_arm", "right_arm", "left_leg", "right_leg", "torso")
    assert joint_parts("kit")[0] == "root" and len(joint_parts("kit")) == 21
    rows = [{"stem": "wave", "part": p, "bin_left": b / 4, "bin_right": (b + 1) / 4, "count": b + k, "total": 10}
            for k, p in enumerate(PARTS) for b in range(4)]
    fig = static.histogram_figure(pd.DataFrame(rows))
    drawn = {t.get_text(): to_hex(h.get_color()) for h, t in zip(fig.legends[0].legend_handles,
                                                                     fig.legends[0].get_texts())}
    assert drawn == {part_label(p): to_hex(PART_COLORS[p]) for p in PARTS}
