"""The ``fuling-compliance`` command line.

One click group; each command lives in its own module and is registered here. Human
messages go to stderr, machine output (JSON, schemas) to stdout.

Exit codes, the same contract for every command (each ``--help`` says which apply):

=====  =====================================================================================
0      success; for ``check``: no failing finding at or above ``--fail-on``
1      findings: only commands that look for them (``check``; ``coverage --fail-under``;
       ``docs --check``). Nothing else ever exits 1.
2      an input was rejected (facts, rules, calendars, policy, arguments), every problem
       with its place; click's usage errors too
3      internal error (a bug, or the rule engine crashed): one line; ``--debug`` (or
       ``FULING_DEBUG=1``) shows the traceback
130    interrupted (Ctrl-C); 141: the reader of stdout went away (``| head``)
=====  =====================================================================================

No Python exception escapes as a traceback (:class:`_Group`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import CalendarError, EngineError, FulingError, InputError
from .common import EXIT_INPUT, EXIT_INTERNAL, console_err, print_problems


class _Group(click.Group):
    """Turns every error into a message and the contract's exit code (see the module)."""

    def invoke(self, ctx: click.Context) -> Any:
        lang = ctx.meta.get("lang", "zh")
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except InputError as exc:
            print_problems(exc, ctx.meta.get("lang", lang))
            sys.exit(EXIT_INPUT)
        except CalendarError as exc:
            zh = ctx.meta.get("lang", lang) == "zh"
            console_err().print(
                (f"输入被拒绝：没有 {exc.year} 年的工作日日历"
                 + (f"（{exc.detail}）" if exc.detail else "")
                 + f"；请添加 rules/calendar/{exc.year}.yaml，列出该年的法定节假日和调休上班日")
                if zh else f"input rejected: {exc}")
            sys.exit(EXIT_INPUT)
        except EngineError as exc:
            _internal(ctx, exc, "规则引擎出错" if ctx.meta.get("lang", lang) == "zh"
                      else "rule engine error")
        except FulingError as exc:
            console_err().print(f"error: {exc}")
            sys.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            console_err().print("interrupted / 已中断")
            sys.exit(130)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the interpreter's flush
            sys.exit(141)
        except OSError as exc:
            if exc.filename is None:
                _internal(ctx, exc, "内部错误" if ctx.meta.get("lang", lang) == "zh"
                          else "internal error")
            console_err().print(f"{exc.filename}: {exc.strerror or exc}")
            sys.exit(EXIT_INPUT)
        except Exception as exc:
            _internal(ctx, exc, "内部错误" if ctx.meta.get("lang", lang) == "zh"
                      else "internal error")


def _debugging(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or os.environ.get("FULING_DEBUG", "") not in (
        "", "0")


def _internal(ctx: click.Context, exc: BaseException, head: str) -> None:
    """Exit 3: one line (the traceback too with ``--debug``)."""
    err = console_err()
    if _debugging(ctx):
        import traceback

        err.print("".join(traceback.format_exception(exc)).rstrip())
    text = str(exc).splitlines()[0] if str(exc) else ""
    hint = "" if _debugging(ctx) else " (--debug: traceback)"
    err.print(f"{head}: {type(exc).__name__}{': ' + text if text else ''}{hint}")
    sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 success / no failing finding at or above --fail-on; "
             "1 findings (check, coverage --fail-under, docs --check only); 2 input rejected "
             "(every problem located); 3 internal error (--debug shows the traceback).")
@click.version_option(package_name="fuling-compliance")
@click.option("--debug", is_flag=True, envvar="FULING_DEBUG",
              help="Show the traceback of an internal error (exit 3).")
def app(debug: bool) -> None:
    """Check Fuling electricity and gas suppliers against the regulation.

    检查涪陵区供电供气企业是否符合《供电供气服务与投诉监管制度》。
    """


def _register() -> None:
    """Add every command module's ``COMMANDS``."""
    from . import check, diff_cmd, report_cmd, rules_cmd, sheets_cmd, testing_cmd, tools

    for module in (check, diff_cmd, rules_cmd, tools, testing_cmd, report_cmd, sheets_cmd):
        commands: list[Callable[..., Any]] = module.COMMANDS
        for command in commands:
            app.add_command(command)  # type: ignore[arg-type]


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="fuling-compliance")
