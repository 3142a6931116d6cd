"""The package's layers import only downward:
cli > testing > reports > engine > rules > facts > base.

The flow is one-way (load → validate → normalise → compile → evaluate → report); a module
that imports from a higher layer (also inside a function) fails this test. The public
facade ``fuling_compliance/__init__.py`` and ``__main__.py`` may import any layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "fuling_compliance"
ORDER = ("base", "facts", "rules", "engine", "reports", "testing", "cli")
FACADES = {("__init__",), ("__main__",)}


def layer_of(parts: tuple[str, ...]) -> str:
    """The layer of a module given as its path inside the package."""
    return parts[0] if parts and parts[0] in ORDER else "base"


def imported_modules(path: Path, root: Path = PACKAGE) -> list[tuple[int, tuple[str, ...]]]:
    """(line, module path inside the package) of every import of the package itself."""
    parts = path.relative_to(root).with_suffix("").parts
    package = parts[:-1]  # a module and a package's __init__ resolve from their folder
    found: list[tuple[int, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = base + tuple(node.module.split(".")) if node.module else base
            elif node.module and node.module.split(".")[0] == "fuling_compliance":
                target = tuple(node.module.split(".")[1:])
            else:
                continue
            if node.module is None:  # from . import x, y: each name may be a module
                found.extend((node.lineno, (*target, a.name)) for a in node.names)
            else:
                found.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fuling_compliance":
                    found.append((node.lineno, tuple(alias.name.split(".")[1:])))
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import of a higher layer, as ``file:line (layer) imports module (layer)``."""
    wrong: list[str] = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts in FACADES:
            continue
        mine = ORDER.index(layer_of(parts))
        for line, target in imported_modules(path, root):
            if ORDER.index(layer_of(target)) > mine:
                wrong.append(f"{path.relative_to(root)}:{line} ({layer_of(parts)}) imports "
                             f"{'.'.join(target)} ({layer_of(target)})")
    return wrong


def test_every_module_imports_only_its_own_layer_or_lower() -> None:
    wrong = violations()
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Relative, absolute and function-level upward imports are all caught."""
    (tmp_path / "facts").mkdir()
    (tmp_path / "errors.py").write_text("from .facts import model\n")
    (tmp_path / "facts" / "model.py").write_text(
        "from ..calendar import x\n"
        "def f():\n    from ..reports.report import Report\n"
        "import fuling_compliance.engine.run\n")
    found = violations(tmp_path)
    assert len(found) == 3, found  # errors -> facts, facts -> reports, facts -> engine
    assert any("reports.report" in f for f in found)
    assert any("engine.run" in f for f in found)
