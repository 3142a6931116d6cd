"""The ``fuling-compliance`` command line.

One click group; each command lives in its own module and is registered here. Human
messages go to stderr, machine output (JSON, schemas) to stdout. Exit codes: 0 clean,
1 findings (or problems) found, 2 input rejected — always with a message naming the
place, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import FulingError, InputError
from .common import console_err, print_problems


class _Group(click.Group):
    """Turns library errors into messages and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            print_problems(exc, ctx.meta.get("lang", "zh"))
            sys.exit(2)
        except FulingError as exc:
            console_err().print(f"error: {exc}")
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fuling-compliance")
def app() -> None:
    """Check Fuling electricity and gas suppliers against the regulation.

    检查涪陵区供电供气企业是否符合《供电供气服务与投诉监管制度》。
    """


def _register() -> None:
    """Add every command module's ``COMMANDS``."""
    from . import check, diff_cmd, report_cmd, rules_cmd, sheets_cmd, tools

    for module in (check, diff_cmd, rules_cmd, tools, report_cmd, sheets_cmd):
        commands: list[Callable[..., Any]] = module.COMMANDS
        for command in commands:
            app.add_command(command)  # type: ignore[arg-type]


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="fuling-compliance")
