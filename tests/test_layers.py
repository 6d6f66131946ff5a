"""The package's layers point one way: skeletons ← data ← model ← capture ← analysis ← plotting ← reports ← cli."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "m2t_interpret"
# Each layer may not import any layer listed after it.
LAYERS = ["data", "model", "capture", "analysis", "plotting", "reports", "cli"]


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by one file (relative imports resolved)."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def _layer_files(layer: str) -> list[Path]:
    p = PKG / layer
    return sorted(p.rglob("*.py")) if p.is_dir() else [PKG / f"{layer}.py"]


@pytest.mark.parametrize("i", range(len(LAYERS) - 1))
def test_no_layer_imports_a_layer_above_it(i):
    layer = LAYERS[i]
    above = [f"m2t_interpret.{name}" for name in LAYERS[i + 1:]]
    for f in _layer_files(layer):
        for mod in _imports(f):
            assert not any(mod == a or mod.startswith(a + ".") for a in above), f"{f} imports {mod}"


def test_model_does_not_import_the_package_init():
    for f in _layer_files("model"):
        assert "m2t_interpret" not in _imports(f), f"{f} imports the package __init__"
        assert "m2t_interpret.__version__" not in _imports(f)
