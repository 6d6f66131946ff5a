"""What every command module shares: the one ``app`` the commands register on, the help as a person
reads it (:class:`ReadableHelp`), the line Ctrl-C prints (:func:`interrupted_line`), warnings, and
the option words several families of commands use.

Only light modules are imported here: ``m2t-interpret --help`` loads this module and every command
module, never torch, pandas or the plotting libraries.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Annotated, Optional, get_args

import typer
from typer.core import TyperGroup

from .. import __version__
from ..pretrained import DEFAULT_MODEL, shipped_models

#: Words for the value of an option that names none (``metavar``), by the value's type: typer's own
#: placeholders (``<int>``, ``<list[str]>``, ``<int range>``) name Python types, not what to type.
_VALUE_WORDS = {int: "N", float: "NUMBER", Path: "PATH", str: "TEXT"}
#: The command now running (set as the command line is resolved): what Ctrl-C reports.
RUNNING: dict = {}


def _value_word(param) -> Optional[str]:
    """A word for the value of ``param`` from its type, where typer describes it in ``type_descriptor``
    (the releases that print ``<int>``); older releases print click's words (TEXT, INTEGER …): left as is."""
    described = getattr(param, "type_descriptor", None)
    if described is None:
        return None
    annotation = described.annotation
    if getattr(described, "is_tuple", False):
        return " ".join(_VALUE_WORDS.get(a, "VALUE") for a in get_args(annotation))
    if getattr(described, "is_list", False):
        annotation = (get_args(annotation) or (str,))[0]
    return _VALUE_WORDS.get(annotation, "VALUE")


def _name_values(command, ctx) -> None:
    """Name every value of ``command``'s options and arguments in words (see :class:`ReadableHelp`)."""
    helper = command.get_help_option(ctx)
    for param in [*command.params, *([helper] if helper is not None else [])]:
        if param.metavar is None:  # a flag takes no value: no placeholder
            param.metavar = "" if getattr(param, "is_flag", False) else _value_word(param)
        if param.param_type_name == "argument" and hasattr(param, "display_type_rich"):
            # these releases print an argument's type beside its name, even when the name is a metavar
            param.display_type_rich = lambda ctx: ""


class ReadableHelp(TyperGroup):
    """The help of every command as a person reads it, fixed in this one place:

    * a group's command list gives each command's first docstring paragraph as one sentence that
      flows to the terminal's width (typer's rich help keeps the docstring's own line breaks there,
      breaking lines mid-sentence);
    * every value is named in words (``N``, ``PATH``, an option's own ``metavar`` such as ``WORD`` or
      ``ID,ID…``), never by a Python type (``<list[str]>``), and a flag shows none.

    It also notes which command runs and, on Ctrl-C, prints the one line saying what stopped and what
    was kept (:func:`interrupted_line`) before exiting with code 130 — typer would exit silently."""

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            if command.help and not command.short_help:
                first = inspect.cleandoc(command.help).partition("\f")[0].split("\n\n")[0]
                command.short_help = " ".join(first.split())
            _name_values(command, ctx)
        return command

    def get_params(self, ctx):
        _name_values(self, ctx)
        return super().get_params(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            typer.echo(interrupted_line(), err=True)
            raise typer.Exit(code=130) from None

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, TyperGroup):
            RUNNING.update(path=f"{ctx.command_path} {name}", name=name, command=command, args=list(rest),
                           parent=ctx)
        return name, command, rest


app = typer.Typer(
    name="m2t-interpret",
    cls=ReadableHelp,
    help="Interpretable motion captioning: caption motions and see where, when and whether the "
    "captioner looked at the motion for every word.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"m2t-interpret {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Interpretable motion captioning."""


def warn(message: str) -> None:
    """A one-line warning on stderr (the command goes on)."""
    typer.echo(f"warning: {message}", err=True)


# Option words several families of commands use.
DEVICE_HELP = "Where to run: cpu, cuda or cuda:N."
MODEL_HELP = (f"A shipped model ({', '.join(shipped_models())}), a project checkpoint (.pt) or an authors' "
              f"checkpoint (needs --vocab).")
MODEL_DEFAULT_HELP = f"{MODEL_HELP} Default: {DEFAULT_MODEL}."
MODEL_METAVAR = "NAME|FILE"
# No brackets or braces: typer's rich help would read "[x, y, z]" as markup and print nothing of it.
STATS_HELP = ("Normalisation statistics JSON for an authors' checkpoint: an object with \"mean\" and \"std\", "
              "each a list of 3 numbers (x, y, z).")


def _auto_progress(value: Optional[bool]) -> bool:
    """--progress/--no-progress as given; neither: bars only when stderr is a terminal, so logs and
    pipes get no bar lines."""
    return sys.stderr.isatty() if value is None else bool(value)


ProgressOpt = Annotated[Optional[bool], typer.Option(
    "--progress/--no-progress", callback=_auto_progress,
    help="Show progress bars on stderr. Default: only when stderr is a terminal.", show_default=False)]


# What an interrupted command leaves where that is more than "nothing was written" (train and sweep say it
# themselves when training is interrupted; the sweep line is for an interruption between the runs).
_CACHE_REMOVAL = ("the entries removed so far are gone, one cut short is left damaged (rebuilt when needed, removed "
                  "by `m2t-interpret cache prune`) and the others are as they were")
_KEPT = {"sweep": "the finished runs in {out} are kept: run the same sweep command again to continue",
         "cache clear": _CACHE_REMOVAL, "cache prune": _CACHE_REMOVAL}
# The option naming a command's output, where it is not --out. Every output is written at the end, its
# files together or not at all (a temporary file or folder, or a staged transaction of the output
# folder): interrupted, a command wrote nothing there.
_OUTPUT_OPTION = {"caption": "save", "data check": "json_out"}


def interrupted_line() -> str:
    """The one line Ctrl-C prints: which command stopped and what it kept. Outputs are written last and
    atomically, and the cache (captures, attributions, generated corpora) gets only finished entries."""
    running = dict(RUNNING)
    if "command" not in running:
        return "interrupted: m2t-interpret stopped before a command began; nothing was written"
    name = running["path"].split(" ", 1)[1]
    try:  # the command's options as given (parsed again without running anything)
        params = running["command"].make_context(running["name"], running["args"], parent=running["parent"],
                                                 resilient_parsing=True).params
    except Exception:  # the line must come out whatever the arguments were
        params = {}
    output = params.get(_OUTPUT_OPTION.get(name, "out"))
    if name in _KEPT:
        kept = [_KEPT[name].format(out=output)]
    else:
        kept = [f"nothing was written to {output}" if output is not None else "nothing was written"]
    if params.get("cache") or str(params.get("data")) == "synthetic":
        kept.append("the cache keeps only finished entries (reused next time)")
    return f"interrupted: {name} stopped; {'; '.join(kept)}"
