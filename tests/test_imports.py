"""The package's import graph has no circle.

Every import statement counts — at module level, inside functions (lazy imports) and under
``TYPE_CHECKING`` — so a circle cannot hide behind a deferred import. A package's own
``__init__`` running when one of its submodules is imported is Python's mechanics, not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "m2t_interpret"


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name → (file, is a package ``__init__``)."""
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def _targets(module: str, is_package: bool, node: ast.AST, modules) -> list[str]:
    """The package modules an import statement loads (``from x import y``: x.y when that is a module)."""
    top = PACKAGE.name
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names if a.name.split(".")[0] == top]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
            if source.split(".")[0] != top:
                return []
        names = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
    out = []
    for name in names:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            out.append(name)
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = _modules(root)
    graph = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {t for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                       for t in _targets(name, is_package, node, modules)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of ``graph`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_package_has_no_import_circle():
    graph = import_graph()
    assert len(graph) > 40 and "m2t_interpret.model.captioner" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " → ".join(cycle)


def test_decoding_strategies_sit_below_the_captioner():
    graph = import_graph()
    for strategy in ("decoding", "fused_step", "authors_beam", "decode_output", "network"):
        assert "m2t_interpret.model.captioner" not in graph[f"m2t_interpret.model.{strategy}"], strategy
    assert "m2t_interpret.model.decoding" in graph["m2t_interpret.model.captioner"]


@pytest.mark.parametrize("source, expected", [
    ({"a": "from . import b", "b": "from .c import x", "c": "def f():\n    from .a import y"}, 4),
    ({"a": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B", "b": "from .a import A"}, 3),
    ({"a": "from . import b", "b": "import os"}, None),
])
def test_the_check_finds_lazy_and_type_checking_circles(tmp_path, source, expected):
    pkg = tmp_path / PACKAGE.name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in source.items():
        (pkg / f"{name}.py").write_text(text + "\n")
    cycle = find_cycle(import_graph(pkg))
    assert (None if cycle is None else len(cycle)) == expected
