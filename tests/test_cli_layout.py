"""The CLI package's plumbing: the analysis options declared once and given to each command by
``analysis_options``, and a ``--help`` that loads no heavy library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from m2t_interpret.cli.options import ANALYSIS, AnalysisOptions, analysis_options

REPO = Path(__file__).resolve().parents[1]


def test_analysis_options_add_the_shared_options_in_order_and_hand_them_over_as_one_object():
    app = typer.Typer(add_completion=False)
    seen = {}

    @app.command()
    @analysis_options("model", "decode", "extra", "seed", clips=7)
    def probe(o: AnalysisOptions, word: Annotated[str, typer.Option("--word")] = "walk",
              decode: Annotated[str, typer.Option("--decode", help="Another help.")] = "forced",
              extra: Annotated[int, typer.Option("--extra")] = 1) -> None:
        seen.update(o=o, word=word, decode=decode, extra=extra)

    command = typer.main.get_command(app)
    # the command's own option first, then the named ones in the order given; --decode is the command's own
    assert [p.name for p in command.params] == ["word", "model", "decode", "extra", "seed"]
    decode_opt = next(p for p in command.params if p.name == "decode")
    assert decode_opt.help == "Another help." and decode_opt.default == "forced"
    result = CliRunner().invoke(app, ["--model", "m.pt", "--seed", "5", "--extra", "3"])
    assert result.exit_code == 0, result.output
    o = seen["o"]
    assert (o.model, o.decode, o.seed) == ("m.pt", "forced", 5)
    assert o.clips == 7 and o.split == "test" and o.out == Path("m2t-out")  # fixed, and the dataclass defaults
    assert (seen["word"], seen["decode"], seen["extra"]) == ("walk", "forced", 3)


def test_analysis_options_refuse_a_name_that_is_no_option():
    with pytest.raises(TypeError, match="no option nope"):
        analysis_options("model", "nope")(lambda o: None)
    with pytest.raises(TypeError, match="no option colour"):
        analysis_options(*ANALYSIS, colour="red")(lambda o: None)


def test_help_loads_no_heavy_library():
    """`m2t-interpret --help` must stay quick: the command modules import torch, pandas and the plotting
    libraries only when a command runs."""
    code = ("import sys\nfrom m2t_interpret.cli import main\nrc = main(['--help'])\n"
            "print(sorted(m for m in ('torch', 'pandas', 'numpy', 'matplotlib', 'plotly', 'captum', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout[-500:]
