"""Shared pieces of the CLI: consoles, options, problem printing.

Nothing here imports rich or the library's layers at import time: ``--help`` stays fast.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from ..errors import InputError


@cache
def console_out() -> Console:
    """stdout console; markup off so user text is never read as formatting."""
    from rich.console import Console

    return Console(markup=False, highlight=False, soft_wrap=True)


@cache
def console_err() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def print_problems(exc: InputError, lang: str = "zh") -> None:
    """Every problem of a rejected input, one per line, with its place."""
    err = console_err()
    head = "输入被拒绝" if lang == "zh" else "input rejected"
    err.print(f"{head}: {len(exc.problems)} problem(s)")
    for problem in exc.problems:
        err.print("  " + problem.render(lang))


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


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
    else:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
