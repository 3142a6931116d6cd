"""Starting is cheap: ``import fuling_compliance`` and the CLI's help load no heavy module.

Each check runs in a fresh interpreter and looks at ``sys.modules`` (which modules got
imported), not at the clock: timings belong to ``benchmarks/startup.py``. The wall
time of each subprocess is printed for information (``pytest -s``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from importlib import import_module
from pathlib import Path

import pytest

import fuling_compliance
from fuling_compliance.cli import app

#: the folder holding the package under test, put first on the subprocess's path
SRC = str(Path(fuling_compliance.__file__).resolve().parents[1])

#: third-party packages neither ``import fuling_compliance`` nor ``--help`` may load
HEAVY = frozenset({
    "chinese_calendar", "dask", "distributed", "durable", "durable_rules_engine", "gherkin",
    "jinja2", "numpy", "openpyxl", "pydantic", "pydantic_core", "pygal", "rich", "yaml",
})

#: the only modules of the package itself that ``--help`` and ``--version`` may load
CLI_LIGHT = frozenset({"fuling_compliance", "fuling_compliance.errors",
                       "fuling_compliance.cli"})


def loaded_modules(code: str, tmp_path: Path) -> set[str]:
    """Run ``code`` in a fresh interpreter; the modules loaded when it ended.

    The names are written to a file at exit (whatever ``code`` prints, and also when it
    ends with ``SystemExit``, as click commands do).
    """
    out = tmp_path / "modules.json"
    program = textwrap.dedent(f"""\
        import atexit, json, sys
        sys.path.insert(0, {SRC!r})

        def _dump():
            with open({str(out)!r}, "w", encoding="utf-8") as f:
                json.dump(sorted(sys.modules), f)

        atexit.register(_dump)
        """) + textwrap.dedent(code)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True,
                            text=True, timeout=120)
    wall = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    modules: set[str] = set(json.loads(out.read_text(encoding="utf-8")))
    shown = "; ".join(line.strip() for line in code.strip().splitlines())
    print(f"\n{wall:.3f} s, {len(modules)} modules: {shown}")
    return modules


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_import_loads_nothing_heavy(tmp_path: Path) -> None:
    modules = loaded_modules("import fuling_compliance", tmp_path)
    assert heavy(modules) == []
    assert "click" not in modules
    assert sorted(m for m in modules if m.startswith("fuling_compliance.")) == []


def test_version_is_a_plain_attribute(tmp_path: Path) -> None:
    modules = loaded_modules("import fuling_compliance\n"
                             "assert fuling_compliance.__version__ == '0.1.0'", tmp_path)
    assert sorted(m for m in modules if m.startswith("fuling_compliance.")) == []


def test_one_name_loads_its_own_layers_only(tmp_path: Path) -> None:
    modules = loaded_modules("from fuling_compliance import FulingError", tmp_path)
    assert heavy(modules) == []
    assert "fuling_compliance.errors" in modules


CLI_ARGS = [["--help"], ["-h"], ["--version"],
            *([name, "--help"] for name in sorted(app.commands))]


@pytest.mark.parametrize("args", CLI_ARGS, ids=" ".join)
def test_cli_help_loads_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    modules = loaded_modules(f"""
        from fuling_compliance.cli import main
        sys.argv = ["fuling-compliance", *{args!r}]
        main()
        """, tmp_path)
    assert heavy(modules) == []
    own = {m for m in modules if m.split(".")[0] == "fuling_compliance"}
    assert sorted(m for m in own if m not in CLI_LIGHT
                  and not m.startswith("fuling_compliance.cli.")) == []


@pytest.mark.parametrize("module", ["fuling_compliance", "fuling_compliance.cli"])
def test_python_m_runs_the_cli(module: str) -> None:
    result = subprocess.run([sys.executable, "-I", "-c",
                             f"import runpy, sys; sys.path.insert(0, {SRC!r}); "
                             f"sys.argv = ['x', '--help']; "
                             f"runpy.run_module({module!r}, run_name='__main__')"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: fuling-compliance [OPTIONS] COMMAND")


def test_every_public_name_resolves() -> None:
    public = [n for n in fuling_compliance.__all__ if n != "__version__"]
    assert set(fuling_compliance._WHERE) == set(public)
    for name in public:
        value = getattr(fuling_compliance, name)
        assert value.__name__ == name
        assert value is getattr(import_module(fuling_compliance._WHERE[name], "fuling_compliance"),
                                name)
        assert name in dir(fuling_compliance)


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from fuling_compliance import *", namespace)
    assert set(fuling_compliance.__all__) <= set(namespace)
    assert namespace["__version__"] == fuling_compliance.__version__


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'load_rulez'"):
        fuling_compliance.load_rulez  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError):
        exec("from fuling_compliance import load_rulez", {})


def test_cli_choices_are_the_libraries_lists() -> None:
    """The CLI writes these lists out (to stay light); they are the library's own."""
    from fuling_compliance.cli import check, sheets_cmd
    from fuling_compliance.facts.workbook import CSV_ENCODINGS
    from fuling_compliance.reports.render import FORMATS
    from fuling_compliance.reports.report import SEVERITY_ORDER

    assert tuple(FORMATS) == check.REPORT_FORMATS
    assert tuple(SEVERITY_ORDER) == check.SEVERITIES
    assert CSV_ENCODINGS == sheets_cmd.CSV_ENCODINGS
