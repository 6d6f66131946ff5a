"""Words and names a person reads: the help of every command (values named in words, nothing eaten
by the help's markup, the shipped models listed, the command list not broken mid-sentence), one
meaning per short flag, one spelling of each body part, and the line Ctrl-C prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from rich.cells import cell_len

from m2t_interpret import cli
from m2t_interpret.cli import main
from m2t_interpret.skeletons import DISPLAY_PARTS, PART_LABELS, PARTS

REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: typer's own value placeholders: Python types (<str>, <list[str]>, <float,float>...), ranges (<int range>)
TYPE_PLACEHOLDER = re.compile(r"<(?:str|int|float|bool|path|list\[[^>]*\]|[a-z]+ range|[a-z]+(?:,[a-z]+)+)>",
                              re.IGNORECASE)


def _commands():
    """(command path, click command, its context) for the root, every group and every command."""
    root = typer.main.get_command(cli.app)
    todo = [([], root, root.make_context("m2t-interpret", [], resilient_parsing=True))]
    while todo:
        path, command, ctx = todo.pop(0)
        yield path, command, ctx
        for name in getattr(command, "commands", {}) and command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            todo.append(([*path, name], sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True)))


COMMANDS = [path for path, _, _ in _commands()]


def _help(args: list[str], capsys, monkeypatch, columns: int = 1000) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main([*args, "--help"]) == 0
    return ANSI.sub("", capsys.readouterr().out)


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "m2t-interpret" for p in COMMANDS])
def test_help_names_values_in_words_and_shows_every_help_text_whole(path, capsys, monkeypatch):
    """No typer type placeholder (``<list[str]>``, ``<int range>``); every option's help printed in
    full — the help's rich markup must not eat text such as ``[x, y, z]`` or ``{"mean": …}``."""
    text = _help(path, capsys, monkeypatch)
    assert not TYPE_PLACEHOLDER.findall(text), TYPE_PLACEHOLDER.findall(text)
    flat = " ".join(text.split())
    command, ctx = next((c, x) for p, c, x in _commands() if p == path)
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False) or not getattr(param, "help", None):
            continue
        want = " ".join(param.help.replace("\\[", "[").split())  # \[ is rich's escape for a literal [
        assert want in flat, f"{param.name}: {want}"


def test_stats_help_says_what_the_file_holds(capsys, monkeypatch):
    for command in (["caption"], ["convert"], ["evaluate"], ["density"]):
        text = " ".join(_help(command, capsys, monkeypatch).split())
        assert '"mean" and "std", each a list of 3 numbers (x, y, z)' in text, command
        assert '{"mean": , "std": }' not in text


def test_model_help_lists_every_shipped_model(capsys, monkeypatch):
    shipped = sorted(p.stem for p in (REPO / "m2t_interpret" / "pretrained").glob("*.pt"))
    assert len(shipped) >= 5
    for command in (["caption"], ["evaluate"], ["density"], ["explore"]):
        text = " ".join(_help(command, capsys, monkeypatch).split())
        listed = re.search(r"A shipped model \(([^)]*)\)", text).group(1).split(", ")
        assert listed == shipped, command


@pytest.mark.parametrize("columns", [80, 120])
def test_main_help_does_not_break_a_command_description_mid_line(columns, capsys, monkeypatch):
    """In the command list, a description's line ends only where its next word would not fit."""
    text = _help([], capsys, monkeypatch, columns)
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if "Commands" in ln and ln.lstrip().startswith("╭"))
    body = [ln for ln in lines[start + 1:] if ln.startswith("│")]
    body = body[:next((i for i, ln in enumerate(body) if ln.startswith("╰")), len(body))]
    first = body[0]
    column = re.match(r"│ \S+\s+", first).end()  # where the descriptions start (names are ASCII)
    width = cell_len(first[column:first.rindex("│")]) - 1  # terminal cells (β̂ is one), less rich's padding
    entries = []
    for ln in body:
        name, description = ln[1:column].strip(), ln[column:ln.rindex("│")].rstrip()
        if name:
            entries.append([description])
        else:
            entries[-1].append(description)
    assert len(entries) >= 20
    for entry in entries:
        for line, following in zip(entry, entry[1:]):
            assert cell_len(line) + 1 + cell_len(following.split()[0]) > width, f"broken early: {line!r} / {following!r}"


def test_each_short_flag_means_one_option_in_every_command():
    meaning: dict[str, set[str]] = {}
    for path, command, ctx in _commands():
        for param in command.get_params(ctx):
            longs = [o for o in param.opts if o.startswith("--")]
            for short in (o for o in param.opts if not o.startswith("--")):
                meaning.setdefault(short, set()).update(longs)
    assert {s: m for s, m in meaning.items() if len(m) > 1} == {}
    assert meaning["-c"] == {"--config"}


def test_explore_takes_clip_ids_with_clip_and_keeps_clips_as_a_hidden_alias(capsys, monkeypatch):
    text = _help(["explore"], capsys, monkeypatch)
    assert "--clip " in text and "ID,ID…" in text and "--clips" not in text
    # every other --clips is a count of clips
    for path, command, ctx in _commands():
        for param in command.get_params(ctx):
            if "--clips" in param.opts and path != ["explore"]:
                assert param.metavar == "N", path


def test_one_spelling_of_each_part_for_people_and_one_for_tables():
    from m2t_interpret.skeletons import part_label

    assert PART_LABELS == {"root": "root", "torso": "torso", "left_arm": "left arm", "right_arm": "right arm",
                           "left_leg": "left leg", "right_leg": "right leg"}
    assert [part_label(p) for p in PARTS] == list(DISPLAY_PARTS)
    assert part_label("hand") == "hand"
    from m2t_interpret.plotting import part_label as plotting_part_label

    assert plotting_part_label is part_label  # defined once
    # the explorer page labels its part bars and map rows as the figures do
    from m2t_interpret.plotting.explorer import explorer_html

    page = explorer_html({"clips": []})
    assert '"part_labels":["root","torso","left arm","right arm","left leg","right leg"]' in page


def test_fine_grained_text_and_figures_use_the_part_label():
    import numpy as np
    import pandas as pd

    from m2t_interpret.analysis.maps import fine_grained_text
    from m2t_interpret.plotting import static

    fg = pd.DataFrame({"step": [2], "word": ["waves"], "part": ["right_arm"], "onset_s": [1.2], "offset_s": [2.6],
                       "beta": [0.99]})
    assert fine_grained_text(fg) == ["waves — right arm — 1.2–2.6 s (β̂ 0.99)"]
    conf = pd.DataFrame(np.eye(6, dtype=int), index=pd.Index(PARTS, name="true_part"),
                        columns=pd.Index(PARTS, name="predicted_part"))
    scores = pd.DataFrame({"group": ["all"], "name": ["all motion words"], "n": [6], "pointing": [1.0],
                           "chance": [0.2], "best_constant": [0.3]})
    fig = static.parts_figure(scores, conf)
    ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert ticks == list(DISPLAY_PARTS)


def test_interrupted_before_any_command_says_so():
    cli._RUNNING.clear()
    assert cli._interrupted_line() == "interrupted: m2t-interpret stopped before a command began; nothing was written"
