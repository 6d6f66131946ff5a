"""Plotting: static (matplotlib) and interactive (plotly) figures from small inline tables, saving
figures and tables atomically, and no change to matplotlib's global state."""

from __future__ import annotations

import inspect
import sys

import matplotlib
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from m2t_interpret.errors import M2TError
from m2t_interpret.plotting import (FIGURES, PART_COLORS, interactive, save_figure, static, write_table)
from m2t_interpret.skeletons import PARTS

# ----------------------------------------------------------------------------- small tables


def density_tables():
    grid = np.linspace(0, 1, 51)
    dens = pd.concat([
        pd.DataFrame({"stem": "walk", "beta": np.append(grid, 0.99995), "density": np.append(
            np.where(grid > 0.98, 5000.0, 0.0), 9000.0)}),
        pd.DataFrame({"stem": "the", "beta": grid, "density": np.exp(-grid * 50) * 40}),
    ], ignore_index=True)
    summary = pd.DataFrame({"stem": ["walk", "the", "jog"], "words": ["walk, walks", "the", "jog"],
                            "count": [5, 7, 1], "mean": [0.99, 0.01, 0.9], "median": [0.99, 0.01, 0.9],
                            "q1": [0.98, 0.0, 0.9], "q3": [1.0, 0.02, 0.9], "min": [0.97, 0.0, 0.9],
                            "max": [1.0, 0.05, 0.9]})
    return dens, summary


def hist_table(stems=("walk", "wave"), words=("walks", "waving")):
    edges = np.linspace(0, 1, 26)
    rows = []
    for s, w in zip(stems, words):
        for k, p in enumerate(PARTS):
            counts = np.roll(np.arange(25) % 5, k)
            rows.append(pd.DataFrame({"word": w, "stem": s, "part": p, "bin_left": edges[:-1],
                                      "bin_right": edges[1:], "count": counts, "total": 12}))
    return pd.concat(rows, ignore_index=True)


def part_tables():
    scores = pd.DataFrame({
        "group": ["all", "category", "category", "category", "stem"],
        "name": ["all motion words", "one part", "several parts", "whole body", "wave"],
        "n": [30, 10, 12, 8, 4], "pointing": [0.6, 0.4, 0.7, 0.95, 0.5],
        "correctness": [0.5, 0.3, 0.6, 0.9, 0.4], "chance": [0.4, 0.17, 0.43, 0.83, 0.2],
        "best_constant": [0.55, 0.38, 0.62, 1.0, 0.5],
        "best_constant_part": ["left_arm", "left_arm", "left_arm", "root", "right_arm"]})
    conf = pd.DataFrame(np.arange(36).reshape(6, 6) % 7, index=pd.Index(PARTS, name="true_part"),
                        columns=pd.Index(PARTS, name="predicted_part"))
    conf.iloc[0] = 0  # a true part without words
    return scores, conf


def curve_tables():
    t = np.arange(20) * 0.1 + 0.05
    rows = []
    for step, word, beta, mu, motion in [(0, "a", 0.0, 1.0, False), (1, "walks", 0.99, 0.6, True),
                                         (2, "then", 0.5, 1.0, False), (3, "waves", 0.97, 1.4, True)]:
        rows.append(pd.DataFrame({"step": step, "word": word, "beta": beta, "frame": np.arange(20), "time_s": t,
                                  "window": np.exp(-((t - mu) / 0.3) ** 2), "mu_s": mu, "onset_s": mu - 0.25,
                                  "offset_s": mu + 0.25, "motion": motion}))
    curves = pd.concat(rows, ignore_index=True)
    segments = pd.DataFrame({"action_idx": [0, 1], "action": ["walk", "wave_right_hand"], "start_s": [0.2, 1.1],
                             "end_s": [1.0, 1.9]})
    return curves, segments


def temporal_table():
    metrics = ["mu_in_segment", "mean_tiou", "R@1 IoU≥0.3", "R@1 IoU≥0.5", "R@1 IoU≥0.7"]
    rows = []
    for g, n in (("all", 30), ("one action", 10), ("several actions", 20)):
        for i, a in enumerate(["model", "chance: centred window", "best constant: centre 0.50"]):
            rows.append({"clips": g, "answer": a, "n": n, **{m: 0.2 + 0.1 * i + 0.05 * j for j, m in enumerate(metrics)},
                         "onset_error_s": 1.0 + i})
    return pd.DataFrame(rows)


def gate_tables():
    tokens = pd.DataFrame({"word": ["a", "walks", "the", "waves", "then", "up"],
                           "beta": [0.001, 0.99, 0.0001, 0.97, 0.6, 0.3],
                           "motion": [False, True, False, True, False, True]})
    sep = pd.DataFrame([{"n_motion": 3, "n_non_motion": 3, "labels": "ground truth", "auroc": 0.89,
                         "chance_auroc": 0.5, "best_threshold": 0.45, "accuracy": 0.83,
                         "best_constant_accuracy": 0.5, "mean_beta_motion": 0.75, "mean_beta_non_motion": 0.2}])
    return tokens, sep


def map_table(steps=3, frames=8):
    rows = []
    for s in range(steps):
        for k, p in enumerate(PARTS):
            rows.append(pd.DataFrame({"step": s, "word": f"w{s}", "beta": s / steps, "part": p,
                                      "frame": np.arange(frames), "time_s": np.arange(frames) * 0.1 + 0.05,
                                      "value": np.linspace(0, 1, frames) * (k + 1) / 6}))
    return pd.concat(rows, ignore_index=True)


def fg_table():
    return pd.DataFrame({"step": [2, 4, 5], "word": ["raises", "arms", "up"], "part": ["left_arm", "left_arm", "torso"],
                         "onset_s": [0.2, 0.4, 0.5], "offset_s": [1.2, 1.1, 1.0], "beta": [0.99, 0.97, 0.99],
                         "true_action": ["raise_both_arms"] * 3, "true_parts": ["left_arm+right_arm"] * 3,
                         "true_start_s": [0.35] * 3, "true_end_s": [2.25] * 3})


def ablation_table():
    return pd.DataFrame({"metric": ["bleu1", "bleu4", "rouge_l", "cider"], "adaptive": [0.88, 0.64, 0.75, 3.18],
                         "beta=1": [0.80, 0.50, 0.70, 2.72], "change": [-0.08, -0.14, -0.05, -0.46]})


def compare_table():
    return pd.DataFrame({"score": ["pointing, all motion words", "mean tIoU", "onset error (s, lower is better)",
                                   "caption CIDEr (greedy)", "motion words aligned"],
                         "model-a": [0.63, 0.53, 1.01, 2.5, 1.0], "model-b": [0.55, 0.48, 1.3, 2.0, 1.0],
                         "chance": [0.40, 0.41, 1.53, np.nan, np.nan], "best constant": [0.60, 0.48, 1.75, np.nan, np.nan],
                         "n": [973, 1003, 1003, np.nan, 1003]})


MODELS = ["model-a", "model-b"]


def calls():
    """(name, args, expected static panels excluding colour bars)."""
    dens, summary = density_tables()
    scores, conf = part_tables()
    curves, segments = curve_tables()
    tokens, sep = gate_tables()
    return [
        ("density_figure", (dens, summary), 1),
        ("histogram_figure", (hist_table(),), 2),
        ("parts_figure", (scores, conf), 2),
        ("onset_figure", (curves, segments), 1),
        ("temporal_scores_figure", (temporal_table(),), 3),
        ("gate_figure", (tokens, sep), 1),
        ("map_figure", (map_table(),), 3),
        ("finegrained_figure", (fg_table(),), 1),
        ("ablation_figure", (ablation_table(),), 4),
        ("compare_figure", (compare_table(), MODELS), 5),
    ]


def panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


# ----------------------------------------------------------------------------- figures


def test_every_figure_exists_in_both_flavours():
    assert {c[0] for c in calls()} == set(FIGURES)
    for name in FIGURES:
        s, i = inspect.signature(getattr(static, name)), inspect.signature(getattr(interactive, name))
        # same names, same arguments; a static figure also takes its printed width (a page sets the other's)
        assert list(s.parameters) == [*i.parameters, "width"], name
        assert s.parameters["title"].default is None and s.parameters["width"].default is None
        assert s.parameters["width"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("name,args,n_panels", calls(), ids=[c[0] for c in calls()])
def test_static_figures(name, args, n_panels):
    fig = getattr(static, name)(*args, title="A title")
    assert isinstance(fig, Figure)
    assert len(panels(fig)) == n_panels
    assert fig._suptitle is not None and fig._suptitle.get_text() == "A title"


@pytest.mark.parametrize("name,args,n_panels", calls(), ids=[c[0] for c in calls()])
def test_interactive_figures(name, args, n_panels):
    fig = getattr(interactive, name)(*args)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) > 0
    assert any(getattr(t, "hovertemplate", None) or getattr(t, "text", None) for t in fig.data)


def test_density_rows_are_named_as_asked_and_grouped_with_counts_beside():
    """One row per word, named by the word asked for (``label``), motion words and the others in two
    headed groups of distinct colour and line style, n and the bandwidth beside each row, a stem
    without spread marked "no spread"; a linear β̂ axis from 0 to 1."""
    dens, summary = density_tables()
    rows = summary.assign(label=["walk", "the", "jogging"], motion=[True, False, True], bandwidth=[0.004, 0.02, np.nan])
    ax = panels(static.density_figure(dens, rows))[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["walk", "jogging", "the"]  # motion words first
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "motion words" and "other words" in texts
    assert {"n=5, h=0.004", "n=1, no spread", "n=7, h=0.02"} <= set(texts)
    assert ax.get_yscale() == "linear" and list(ax.get_xticks()) == [0, 0.25, 0.5, 0.75, 1.0]
    assert ax.get_xlim() == pytest.approx((0.0, 1.0), abs=0.02)
    styles = {(to_hex(line.get_color()), str(line.get_linestyle())) for line in ax.get_lines()
              if len(line.get_xdata()) > 2}
    assert len(styles) == 2 and len({c for c, _ in styles}) == 2 and len({ls for _, ls in styles}) == 2
    # without the report's columns: one group, each row named by its most frequent form
    plain = panels(static.density_figure(dens, summary.drop(columns="words").assign(word=["walks", "the", "jog"])))[0]
    assert [t.get_text() for t in plain.get_yticklabels()] == ["walks", "the", "jog"]
    assert "motion words" not in [t.get_text() for t in plain.texts]


def test_histogram_panel_titles_and_part_colours_match_across_flavours():
    hist = hist_table()
    fig = static.histogram_figure(hist)
    # panels are named by the word people read (the table's ``word``), not its stem
    assert [ax.get_title() for ax in panels(fig)] == ["walks (n=12)", "waving (n=12)"]
    ifig = interactive.histogram_figure(hist)
    assert [a.text for a in ifig.layout.annotations][:2] == ["walks — Total # words: 12", "waving — Total # words: 12"]
    by_name = {t.name: t.line.color for t in ifig.data if t.showlegend}
    assert by_name["left arm"] == PART_COLORS["left_arm"]
    legend = fig.legends[0]
    colours = {t.get_text(): to_hex(h.get_color()) for t, h in zip(legend.get_texts(), legend.legend_handles)}
    assert colours["left arm"].lower() == PART_COLORS["left_arm"].lower()
    # a table from before the word column: the stem is the best name there is
    old = static.histogram_figure(hist.drop(columns="word"))
    assert [ax.get_title() for ax in panels(old)] == ["walk (n=12)", "wave (n=12)"]
    assert len(set(PART_COLORS.values())) == 6


def test_parts_figure_without_ground_truth_and_without_confusion():
    scores, conf = part_tables()
    empty = scores.iloc[0:0]
    fig = static.parts_figure(empty, conf)
    assert len(fig.axes) == 1
    assert "no ground truth" in [t.get_text() for t in fig.axes[0].texts]
    assert isinstance(interactive.parts_figure(empty, conf), go.Figure)
    assert len(panels(static.parts_figure(scores, None))) == 1


def test_onset_figure_draws_motion_words_only():
    curves, segments = curve_tables()
    fig = static.onset_figure(curves, segments)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:2] == ["walks (β̂ 0.99)", "waves (β̂ 0.97)"]
    assert not any(lab.startswith("a (") for lab in labels)
    # no motion word → all words; no segments is fine
    fig = static.onset_figure(curves.assign(motion=False), segments.iloc[0:0])
    assert len(fig.axes[0].get_lines()) >= 4
    assert len(interactive.onset_figure(curves, None).data) == 2


def test_map_figure_many_steps_uses_two_columns():
    fig = static.map_figure(map_table(steps=10, frames=4))
    assert len(panels(fig)) == 10
    assert panels(fig)[0].get_title(loc="left") == "w0 (β̂ 0.00)"


def test_missing_columns_raise_m2t_error():
    with pytest.raises(M2TError, match="density"):
        static.density_figure(pd.DataFrame({"stem": ["a"]}), density_tables()[1])
    with pytest.raises(M2TError, match="histogram_figure"):
        interactive.histogram_figure(pd.DataFrame({"x": [1]}))
    with pytest.raises(M2TError):
        static.compare_figure(compare_table(), ["no-such-model"])


def test_plotting_leaves_matplotlib_global_state_alone(tmp_path):
    backend = matplotlib.get_backend()
    before = dict(matplotlib.rcParams)
    for name, args, _ in calls():
        fig = getattr(static, name)(*args)
    save_figure(fig, tmp_path / "last", ["png", "svg"])
    assert matplotlib.get_backend() == backend
    after = dict(matplotlib.rcParams)
    assert after.keys() == before.keys()
    assert {k for k in before if before[k] != after[k]} == set()
    if "matplotlib.pyplot" in sys.modules:  # nothing registered with pyplot
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


# ----------------------------------------------------------------------------- saving


def test_save_static_figure_all_formats(tmp_path):
    fig = static.ablation_figure(ablation_table())
    stem = tmp_path / "out" / "ablation.beta=1"
    paths = save_figure(fig, stem, ["png", "pdf", "SVG", ".png"])
    assert [p.name for p in paths] == ["ablation.beta=1.png", "ablation.beta=1.pdf", "ablation.beta=1.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in paths[2].read_bytes()[:2000]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_save_interactive_figure_html_is_self_contained(tmp_path):
    fig = interactive.gate_figure(*gate_tables())
    (path,) = save_figure(fig, tmp_path / "gate", ["html"])
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size > 1_000_000  # plotly.js embedded
    assert '<script src="http' not in text
    assert text.lstrip().lower().startswith("<html") or text.lstrip().lower().startswith("<!doctype")
    assert [p.name for p in tmp_path.iterdir()] == ["gate.html"]


@pytest.mark.parametrize("kind,formats", [("static", ["jpg"]), ("static", ["png", "html"]),
                                          ("interactive", ["png"]), ("interactive", ["html", "pdf"])])
def test_save_rejects_bad_formats_before_writing(tmp_path, kind, formats):
    fig = static.gate_figure(*gate_tables()) if kind == "static" else interactive.gate_figure(*gate_tables())
    with pytest.raises(M2TError) as err:
        save_figure(fig, tmp_path / "fig", formats)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_save_rejects_non_figures(tmp_path):
    with pytest.raises(M2TError, match="cannot save"):
        save_figure("not a figure", tmp_path / "x", ["png"])


def test_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    fig = static.gate_figure(*gate_tables())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", boom)
    with pytest.raises(RuntimeError):
        save_figure(fig, tmp_path / "fig", ["png"])
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- tables


def score_table():
    return pd.DataFrame({"score": ["R@1 IoU≥0.5", "mean_tiou", "a|b"], "value": [0.55134, 1 / 3, np.nan],
                         "n": [1003.0, 12.0, np.nan], "k": [3, 4, 5], "ok": [True, False, True]})


def test_write_table_csv_md_tex(tmp_path):
    df = score_table()
    paths = write_table(df, tmp_path / "scores")
    assert [p.name for p in paths] == ["scores.csv", "scores.md", "scores.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv", "scores.md", "scores.tex"]

    back = pd.read_csv(paths[0])
    assert list(back.columns) == list(df.columns)
    assert back["value"].iloc[0] == pytest.approx(0.55134)  # CSV keeps full precision

    md = paths[1].read_text(encoding="utf-8").splitlines()
    assert [c.strip() for c in md[0].strip("|").split("|")] == ["score", "value", "n", "k", "ok"]
    assert set(md[1]) <= set("|-: ") and md[1].count("|") == 6
    assert "0.551" in md[2] and "1003" in md[2] and "1003.000" not in md[2] and "0.55134" not in md[2]
    assert "0.333" in md[3]
    assert "a\\|b" in md[4]
    assert len(md) == 5

    tex = paths[2].read_text(encoding="utf-8")
    assert tex.startswith("\\begin{tabular}{lrrrl}")
    for piece in ("\\toprule", "\\midrule", "\\bottomrule", "\\end{tabular}", "R@1 IoU$\\geq$0.5", "mean\\_tiou",
                  "0.551 & 1003 & 3 & True \\\\"):
        assert piece in tex


def test_write_table_index_and_formats(tmp_path):
    df = pd.DataFrame({"x": [0.5, 0.25]}, index=pd.Index(["left_arm", "root"], name="part"))
    (md,) = write_table(df, tmp_path / "t", formats=["md"], index=True, float_format="%.1f")
    lines = md.read_text(encoding="utf-8").splitlines()
    assert "part" in lines[0] and "left_arm" in lines[2] and "0.5" in lines[2] and "0.2" in lines[3]
    with pytest.raises(M2TError, match="unknown table format"):
        write_table(df, tmp_path / "t2", formats=["xlsx"])
    assert not list(tmp_path.glob("t2*"))


def test_compare_figure_marks_each_models_own_chance_where_they_differ():
    table = compare_table()
    row = table.index[0]
    table.loc[row, "chance"] = np.nan
    for i, m in enumerate(MODELS):
        table[f"chance · {m}"] = np.nan
        table.loc[row, f"chance · {m}"] = 0.1 + 0.1 * i
    fig = static.compare_figure(table, MODELS)
    ax = fig.axes[0]
    segments = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    xs = sorted(round(float(seg[0][0]), 3) for c in segments for seg in c.get_segments())
    assert xs == [round(0.1 + 0.1 * i, 3) for i in range(len(MODELS))]
    html = interactive.compare_figure(table, MODELS).to_html(include_plotlyjs=False)
    assert "line-ns" in html


def test_attention_against_attribution_figures_take_the_width_asked_for():
    """The attribution commands' static figures follow --width too (their panels a row fit it)."""
    parts = pd.DataFrame([{"step": s, "word": w, "method": m, "part": p, "value": (k + 1) * (i + 1)}
                          for s, w in ((1, "walks"), (3, "waves")) for i, m in enumerate(("attention", "ig"))
                          for k, p in enumerate(PARTS)])
    maps = pd.DataFrame([{"step": s, "word": w, "part": p, "time_s": t / 10, "value": k + t}
                         for s, w in ((1, "walks"), (3, "waves")) for k, p in enumerate(PARTS) for t in range(5)])
    curves = pd.DataFrame([{"curve": c, "ranking": r, "k": k, "mean_drop": k * (j + 1)}
                           for c in ("comprehensiveness", "sufficiency") for j, r in enumerate(("attention", "ig"))
                           for k in range(1, 4)])
    sanity = pd.DataFrame([{"resolution": res, "explanation": e, "step": i, "randomised": f"layer {i}", "spearman": 1 - i / 3}
                           for res in ("parts", "frames") for e in ("attention", "ig") for i in range(3)])
    for name, args in (("attribution_bars_figure", (parts,)), ("attribution_map_figure", (maps,)),
                       ("deletion_figure", (curves,)), ("sanity_figure", (sanity,))):
        for width in (3.35, 7.0):
            fig = getattr(static, name)(*args, width=width)
            assert fig.get_size_inches()[0] == pytest.approx(width), name
            assert fig.get_size_inches()[1] <= 9.0
