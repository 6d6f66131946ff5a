"""The project's docs stand alone and say what the code does."""

import re
from pathlib import Path

import m2t_interpret as m2t

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_docs_do_not_refer_to_files_outside_the_repository():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"REFERENCE(\.md)? ?§", text), f"{doc.name} refers to REFERENCE, which is not in the repository"


def test_readme_python_api_exists():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "CaptureResult.load()" in readme
    assert callable(m2t.CaptureResult.load) and "CaptureResult" in m2t.__all__


def test_data_doc_describes_load_split_return_value():
    from m2t_interpret.data.dataset import MotionDataset, load_split  # noqa: F401

    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    assert "returns a `MotionDataset`" in text and "and a `LoadReport`" not in text
    assert "`.report`" in text


def test_docs_name_the_cache_and_the_exit_codes():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    guide = (REPO / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert "M2T_INTERPRET_CACHE" in readme and "M2T_INTERPRET_CACHE" in guide
    assert "130" in readme and "--allow-skips" in guide and "skipped.json" in guide
    assert "--decode" in readme and "--beam K" not in readme


# ---------------------------------------------------------------------------------------------
# docs/tutorial.md: its commands are the CLI's, its links resolve, its worked example runs
# ---------------------------------------------------------------------------------------------

TUTORIAL = REPO / "docs" / "tutorial.md"


def _blocks(text: str, lang: str) -> list[tuple[str, str]]:
    """``(file comment or "", code)`` of every fenced block of ``lang``."""
    pattern = r"(?:<!-- file: (\S+) -->\n)?```" + lang + r"\n(.*?)```"
    return re.findall(pattern, text, flags=re.DOTALL)


def _command_params(words: list[str]):
    """The click command a command line names, and the words after its name."""
    import typer

    from m2t_interpret.cli import app

    cmd = typer.main.get_command(app)
    rest = list(words)
    while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:
        cmd = cmd.commands[rest.pop(0)]
    return cmd, rest


def test_tutorial_commands_name_real_commands_options_and_files():
    import shlex

    text = TUTORIAL.read_text(encoding="utf-8")
    lines = [ln for _, code in _blocks(text, "bash") for ln in code.splitlines() if ln.strip()]
    commands = [shlex.split(ln) for ln in lines if ln.startswith("m2t-interpret")]
    assert len(commands) >= 15
    for words in commands:
        cmd, rest = _command_params(words[1:])
        assert not hasattr(cmd, "commands") or rest == ["--help"], f"not a command: {' '.join(words)}"
        options = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}
        for w in rest:
            if w.startswith("-"):
                assert w.split("=")[0] in options, f"{w} is not an option of `{' '.join(words[:3])}`"
            elif w.startswith(("analyses/", "figures/", "docs/")):
                assert (REPO / w).exists(), f"{w} (in `{' '.join(words)}`) does not exist"
    for ln in lines:
        if ln.startswith("jupyter execute"):
            assert (REPO / ln.split()[-1]).is_file(), ln
    for link in re.findall(r"\]\((\.\./[^)]+)\)", text):
        assert (TUTORIAL.parent / link).resolve().exists(), f"broken link {link}"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/tutorial.md" in readme


def _install_tutorial_code(monkeypatch) -> list[str]:
    """Put each ``<!-- file: … -->`` block of the tutorial where it says: a new module, or names
    appended to an existing one (undone after the test). Returns the files."""
    import importlib
    import sys
    import types

    from m2t_interpret import cli

    monkeypatch.setattr(cli.app, "registered_commands", list(cli.app.registered_commands))
    files = []
    for path, code in _blocks(TUTORIAL.read_text(encoding="utf-8"), "python"):
        if not path:
            continue
        files.append(path)
        name = path.removesuffix(".py").replace("/", ".")
        if (REPO / path).exists():
            module = importlib.import_module(name)
            namespace = dict(vars(module))
            exec(compile(code, path, "exec"), namespace)  # noqa: S102 -- the tutorial's own code, as a user adds it
            for key, value in namespace.items():
                if key not in vars(module):
                    monkeypatch.setattr(module, key, value, raising=False)
        else:
            module = types.ModuleType(name)
            module.__package__ = name.rpartition(".")[0]
            exec(compile(code, path, "exec"), vars(module))  # noqa: S102 -- as above
            monkeypatch.setitem(sys.modules, name, module)
            parent, _, child = name.rpartition(".")
            monkeypatch.setattr(importlib.import_module(parent), child, module, raising=False)
    return files


def test_tutorial_worked_analysis_runs_as_a_command(tmp_path, monkeypatch, capsys):
    import pandas as pd

    from m2t_interpret.cli import main
    from m2t_interpret.data.synthetic import generate_corpus

    files = _install_tutorial_code(monkeypatch)
    # the worked analysis is three files: the analysis, its report and its command
    assert files == ["m2t_interpret/analysis/side.py", "m2t_interpret/reports.py", "m2t_interpret/cli/analysis.py"]
    from m2t_interpret.analysis.side import side_scores

    # a known answer: two left words (one attended left), one right word attended right
    parts = ["root", "torso", "left_arm", "right_arm", "left_leg", "right_leg"]
    rows = []
    for true_part, attended in (("left_arm", "left_arm"), ("left_leg", "right_arm"), ("right_arm", "right_arm")):
        row = {"motion": True, **{f"active_{p}": float(p == true_part) for p in parts},
               **{f"attn_{p}": float(p == attended) for p in parts}}
        rows.append(row)
    rows.append({"motion": False, **{f"active_{p}": float("nan") for p in parts}, **{f"attn_{p}": 1 / 6 for p in parts}})
    s = side_scores(pd.DataFrame(rows)).iloc[0]
    assert s["n"] == 3 and abs(s["accuracy"] - 2 / 3) < 1e-12 and s["chance"] == 0.5
    assert abs(s["best_constant"] - 2 / 3) < 1e-12 and s["best_constant_side"] == "left"

    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    corpus = generate_corpus(tmp_path / "corpus", n_train=0, n_val=0, n_test=6, seed=5, progress=False)
    out = tmp_path / "out"
    rc = main(["side", "--data", str(corpus), "--out", str(out), "--format", "png,html,csv", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "side accuracy" in captured.out and "best_constant" in captured.out
    table = pd.read_csv(out / "side_scores.csv")
    assert table["n"].item() > 0 and 0 <= table["accuracy"].item() <= 1
    assert (out / "side.png").stat().st_size > 0 and (out / "side.html").is_file()


def test_data_doc_action_table_matches_the_catalogue():
    """docs/data.md's action table (written by maintenance/action_table.py) names every action of the
    generator with its active parts and templates, in catalogue order."""
    from m2t_interpret.data.synthetic import action_catalogue

    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    table = text.split("| action | active parts |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| `")]
    documented = [(r[0].strip("| `"), r[1], r[2]) for r in rows]
    expected = [(e["name"], ", ".join(p.replace("_", " ") for p in e["active_parts"]) or "—",
                 " · ".join(e["templates"])) for e in action_catalogue()]
    assert documented == expected, "docs/data.md's action table is out of date: run maintenance/action_table.py"
