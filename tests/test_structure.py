"""The package's structure: no module reaches into another's private names, no module grows past
700 lines, and the old import paths of moved modules still work (with a DeprecationWarning).

A private name (``_name``, not ``__dunder__``) is a module's own. Reaching into another module's
is any of: ``from m2t_interpret.x import _name``; ``x._name`` where ``x`` was imported from the
package; ``obj._name`` where ``_name`` is defined (a function, class, assignment, attribute or
dataclass field) only in other modules of the package — a private member of another module's
class. Shared helpers get a public name instead (e.g. :mod:`m2t_interpret.analysis.statistics`).
"""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "m2t_interpret"
MAX_LINES = 700

# Exceptions while a module is split up on its own branch (issue 24: the attribution modules):
# whoever merges it empties the lists again. A listed entry that is no longer needed fails the test
# too, so that the lists cannot go stale. The CLI is a package of short modules now: none is listed.
#: Files allowed over MAX_LINES: path relative to the repository → why.
LONG_FILES_ALLOWED: dict[str, str] = {}
#: Cross-module private names allowed: (file, name) → why.
PRIVATE_USES_ALLOWED: dict[tuple[str, str], str] = {}
#: Imports of a deprecated module allowed inside the package: (file, module) → why.
DEPRECATED_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}

#: Modules kept only so that old import paths work (they warn outside the package) → the new path.
DEPRECATED_MODULES = {"m2t_interpret.data.supervision": "m2t_interpret.data.lexicon",
                      "m2t_interpret.capture.attribution": "m2t_interpret.attribution",
                      "m2t_interpret.capture.attribution_result": "m2t_interpret.attribution.result"}


def _private(name: str) -> bool:
    return name.startswith("_") and name != "_" and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _source(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _defined_private(tree: ast.AST) -> set[str]:
    """Private names a module defines: functions, classes, assignments, attributes, fields."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
            out.add(n.attr)
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__setattr__"
              and len(n.args) >= 2 and isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str)):
            out.add(n.args[1].value)  # object.__setattr__(self, "_name", …) in a frozen dataclass
    return {name for name in out if _private(name)}


def private_uses(root: Path = PACKAGE) -> list[tuple[str, int, str]]:
    """``(file, line, name)`` of every use of another module's private name inside ``root``."""
    top = root.name
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.py"))}
    defined = {path: _defined_private(tree) for path, tree in trees.items()}
    anywhere = set().union(*defined.values()) if defined else set()
    found = []
    for path, tree in trees.items():
        module, is_package = _module_name(path, root)
        rel = path.relative_to(root.parent).as_posix()
        imported = set()  # names bound by an import from the package
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _source(module, is_package, node)
                if source.split(".")[0] != top:
                    continue
                for alias in node.names:
                    if _private(alias.name):
                        found.append((rel, node.lineno, alias.name))
                    imported.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                imported |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == top}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            owner = node.value
            while isinstance(owner, ast.Attribute):
                owner = owner.value
            if isinstance(owner, ast.Name) and owner.id in imported:
                found.append((rel, node.lineno, node.attr))  # mod._name, Class._name
            elif (node.attr in anywhere and node.attr not in defined[path]
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append((rel, node.lineno, node.attr))  # obj._name of another module's class
    return found


def deprecated_imports(root: Path = PACKAGE) -> set[tuple[str, str]]:
    """``(file, module)`` of every import of a :data:`DEPRECATED_MODULES` module inside ``root``."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        module, is_package = _module_name(path, root)
        rel = path.relative_to(root.parent).as_posix()
        if module in DEPRECATED_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                source = _source(module, is_package, node)
                names = [source] + [f"{source}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found |= {(rel, name) for name in names if name in DEPRECATED_MODULES}
    return found


def long_files(root: Path = PACKAGE, limit: int = MAX_LINES) -> dict[str, int]:
    """``{file: lines}`` of the modules in ``root`` longer than ``limit`` lines."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out[path.relative_to(root.parent).as_posix()] = n
    return out


# ---------------------------------------------------------------------------------------------
# the package
# ---------------------------------------------------------------------------------------------

def test_no_module_uses_another_modules_private_names():
    found = private_uses()
    unexpected = [f"{f}:{line}: {name}" for f, line, name in found if (f, name) not in PRIVATE_USES_ALLOWED]
    assert not unexpected, "private names used across modules (give them a public name):\n" + "\n".join(unexpected)
    stale = [key for key in PRIVATE_USES_ALLOWED if key not in {(f, name) for f, _, name in found}]
    assert not stale, f"allowed but no longer used: {stale} (remove them from PRIVATE_USES_ALLOWED)"


def test_the_package_does_not_import_its_deprecated_modules():
    found = deprecated_imports()
    unexpected = sorted(f"{f} imports {m} (use {DEPRECATED_MODULES[m]})" for f, m in found
                        if (f, m) not in DEPRECATED_IMPORTS_ALLOWED)
    assert not unexpected, "\n".join(unexpected)
    stale = [key for key in DEPRECATED_IMPORTS_ALLOWED if key not in found]
    assert not stale, f"allowed but no longer imported: {stale} (remove them from DEPRECATED_IMPORTS_ALLOWED)"


def test_no_module_is_longer_than_700_lines():
    found = long_files()
    unexpected = {f: n for f, n in found.items() if f not in LONG_FILES_ALLOWED}
    assert not unexpected, f"modules over {MAX_LINES} lines (split them by job): {unexpected}"
    stale = [f for f in LONG_FILES_ALLOWED if f not in found]
    assert not stale, f"allowed but no longer over {MAX_LINES} lines: {stale} (remove them from LONG_FILES_ALLOWED)"


# ---------------------------------------------------------------------------------------------
# the checks themselves, on small packages with a known answer
# ---------------------------------------------------------------------------------------------

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / PACKAGE.name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / name).write_text(text + "\n")
    return pkg


def unexplained_local_imports(root: Path) -> list[str]:
    """``file:line`` of every import inside a function with no comment saying why it is there — on its
    line, or on a line of the run of imports and comments it belongs to."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for sub in ast.walk(node):
                if not isinstance(sub, (ast.Import, ast.ImportFrom)):
                    continue
                k, explained = sub.lineno - 1, False
                while k >= 0 and lines[k].strip().startswith(("from ", "import ", "#")):
                    if "#" in lines[k]:
                        explained = True
                        break
                    k -= 1
                if not explained:
                    found.append(f"{path.relative_to(root.parent)}:{sub.lineno}")
    return found


def test_imports_inside_functions_say_why():
    """Imports belong at the top of a module, where they show its layer; one inside a function (a heavy or
    optional dependency, a circle avoided) carries a comment saying so."""
    assert unexplained_local_imports(PACKAGE) == []


def test_the_local_import_check_finds_an_unexplained_one(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("def f():\n    import json\n    return json\n\n\n"
                              "def g():\n    # heavy: only when g runs\n    import csv\n    return csv\n")
    assert unexplained_local_imports(pkg) == ["pkg/a.py:2"]


@pytest.mark.parametrize("files, expected", [
    ({"a.py": "def _helper():\n    pass", "b.py": "from .a import _helper"}, [("b.py", "_helper")]),
    ({"a.py": "_X = 1", "b.py": f"from {PACKAGE.name}.a import _X"}, [("b.py", "_X")]),
    ({"a.py": "def _helper():\n    pass", "b.py": "from . import a\n\ndef f():\n    return a._helper()"},
     [("b.py", "_helper")]),
    ({"a.py": "class R:\n    def _need(self):\n        pass",
      "b.py": "def f(result):\n    result._need()"}, [("b.py", "_need")]),
    ({"a.py": "from dataclasses import dataclass\n\n@dataclass\nclass L:\n    _exact: dict",
      "b.py": "def f(lex):\n    return lex._exact"}, [("b.py", "_exact")]),
    # a module's own private names, dunders, other packages' and self/cls members are fine
    ({"a.py": "class R:\n    def _need(self):\n        pass\n    def f(self):\n        self._need()",
      "b.py": ("from ._version import __version__\nimport os\n\n"
               "def f():\n    os._exit(0)\n\ndef _g(x):\n    return x._g"),
      "_version.py": "__version__ = '1'"}, []),
])
def test_the_private_name_check_finds_uses_across_modules(tmp_path, files, expected):
    found = private_uses(_package(tmp_path, files))
    assert sorted((Path(f).name, name) for f, _, name in found) == sorted(expected)


def test_the_deprecated_import_check_finds_every_spelling(tmp_path):
    pkg = _package(tmp_path, {"a.py": "from .data.supervision import stem", "b.py": "from .data import supervision",
                              "c.py": f"import {PACKAGE.name}.data.supervision",
                              "d.py": "from .data.lexicon import stem"})
    found = {Path(f).name for f, _ in deprecated_imports(pkg)}
    assert found == {"a.py", "b.py", "c.py"}


def test_the_length_check_counts_lines(tmp_path):
    # _package ends each file with a newline: an empty last line, so "x = 1\n" * 19 is 20 lines
    pkg = _package(tmp_path, {"at_limit.py": "x = 1\n" * 19, "long.py": "x = 1\n" * 20})
    assert long_files(pkg, limit=20) == {f"{PACKAGE.name}/long.py": 21}


# ---------------------------------------------------------------------------------------------
# old import paths
# ---------------------------------------------------------------------------------------------

def test_the_old_supervision_path_re_exports_the_lexicon_with_a_warning():
    """Imported from outside the package it warns (the package's own modules are moved to the new path)."""
    from m2t_interpret.data import lexicon

    sys.modules.pop("m2t_interpret.data.supervision", None)
    with pytest.warns(DeprecationWarning, match="m2t_interpret.data.lexicon"):
        old = importlib.import_module("m2t_interpret.data.supervision")
    assert set(old.__all__) == set(lexicon.__all__)
    for name in lexicon.__all__:
        assert getattr(old, name) is getattr(lexicon, name), name


def test_the_renamed_figure_functions_answer_to_their_old_names_with_a_warning():
    from m2t_interpret import figures

    with pytest.warns(DeprecationWarning, match="paper_map_figure"):
        assert figures.map_figure is figures.paper_map_figure
    with pytest.warns(DeprecationWarning, match="data_content_fingerprint"):
        from m2t_interpret.figures import data_fingerprint
    assert data_fingerprint is figures.data_content_fingerprint
    with pytest.raises(AttributeError):
        figures.no_such_figure  # noqa: B018 -- the module's __getattr__ must not swallow typos


def test_reports_keeps_the_session_names_without_a_warning():
    from m2t_interpret import reports, session

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("open_analysis", "AnalysisContext", "resolve_analysis_data", "heldout_corpus", "HELDOUT_SEED"):
            assert getattr(reports, name) is getattr(session, name), name
