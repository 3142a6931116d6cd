"""Shared pieces of the CLI: consoles, options, problem printing.

Nothing here imports rich or the library's layers at import time: ``--help`` stays fast.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

#: exit codes (see :mod:`fuling_compliance.cli`)
EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

#: what each command's ``--help`` says about its exit codes
EXITS_PLAIN = ("Exit codes: 0 success; 2 input rejected (every problem located); "
               "3 internal error (--debug shows the traceback).")

#: width of piped or redirected output: no wrapping of table rows at 80 columns
PIPE_WIDTH = 10_000

if TYPE_CHECKING:
    from rich.console import Console

    from ..errors import InputError
    from ..facts.model import FactSet


@cache
def console_out() -> Console:
    """stdout console; markup off so user text is never read as formatting."""
    import sys

    from rich.console import Console

    piped = not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
    return Console(markup=False, highlight=False, soft_wrap=True,
                   width=PIPE_WIDTH if piped else None)


@cache
def console_err() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def print_problems(exc: InputError, lang: str = "zh") -> None:
    """Every problem of a rejected input, one per line, with its place."""
    console_err().print(exc.render(lang))


def print_warnings(facts: FactSet, lang: str = "zh") -> None:
    """The loader's warnings (unknown fields, ...) in ``lang``, one a line."""
    err = console_err()
    head = "警告：" if lang == "zh" else "warning: "
    for problem in facts.warning_problems:
        message = problem.message_zh if lang == "zh" and problem.message_zh else \
            problem.message
        text = problem.render(lang) if problem.file is not None else (
            f"{problem.where}: {message}" if problem.where else message)
        err.print(head + text)


def lang_option(f: Any) -> Any:
    def remember(ctx: click.Context, _param: Any, value: str) -> str:
        ctx.meta["lang"] = value
        return value

    return click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                        show_default=True, callback=remember, is_eager=True,
                        help="Language of messages / 输出语言.")(f)


def rules_option(f: Any) -> Any:
    return click.option("--rules", "rules_paths", multiple=True,
                        type=click.Path(exists=True, path_type=Path),
                        help="Rule files or folders (default: the bundled rules).")(f)


class CannotWrite(click.FileError):
    """OUTPUT cannot be written: exit 2, like any rejected input."""

    exit_code = EXIT_INPUT


def write_output(text: str, output: Path | None) -> None:
    """``text`` to stdout, or to the file ``output`` (exit 2 when it cannot be written)."""
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CannotWrite(str(output), hint=exc.strerror or str(exc)) from exc


def max_bytes_option(f: Any) -> Any:
    return click.option("--max-bytes", type=click.IntRange(min=0), default=None,
                        help="Size limit per fact file in bytes (default: FULING_MAX_BYTES, "
                        "else 256 MiB).")(f)
