"""``fuling-compliance check``: evaluate fact files and report findings."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    PIPE_WIDTH,
    CannotWrite,
    console_err,
    console_out,
    lang_option,
    max_bytes_option,
    print_warnings,
    rules_option,
    write_output,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ..reports.assess import Assessment
    from ..reports.report import Report

#: the names of ``reports.render.FORMATS`` and of ``reports.report.SEVERITY_ORDER``, in
#: their order, written out so that ``--help`` need not import the reports (a test
#: checks that they agree)
REPORT_FORMATS = ("json", "html", "markdown", "junit", "csv")
SEVERITIES = ("info", "low", "medium", "high")

_STATUS_ZH = {"fail": "不合规", "insufficient_data": "数据不足", "pass": "合规",
              "not_applicable": "不适用", "waived": "已豁免"}
_SEVERITY_ZH = {"high": "严重", "medium": "一般", "low": "轻微", "info": "提示"}
_BASELINE_ZH = {"new": "新增", "persisting": "仍存在"}


def waivers_option(f: Any) -> Any:
    return click.option("--waivers", "waiver_paths", multiple=True,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Waiver file(s) (fuling-compliance/waivers/v1): covered "
                        "findings become 'waived', shown with their reason.")(f)


def parse_as_of(_ctx: click.Context, _param: click.Parameter, value: str | None
                ) -> dt.datetime | None:
    if value is None:
        return None
    from ..facts.validate import parse_datetime

    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc} / 不是有效的日期时间：{value!r}") from exc


@click.command("check", epilog="Exit codes: 0 no failing finding at or above --fail-on; "
               "1 failing findings at or above --fail-on; 2 input rejected (facts, rules, "
               "calendars or arguments; every problem located); 3 internal error, e.g. the "
               "rule engine crashed (--debug shows the traceback).")
@click.argument("facts", nargs=-1, required=True, type=click.Path(path_type=Path))
@rules_option
@click.option("--as-of", callback=parse_as_of, help="Moment of judgement (ISO 8601); "
              "default: the facts' as_of, else now.")
@click.option("--format", "fmt", type=click.Choice(["table", *REPORT_FORMATS]), default="table",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of stdout.")
@click.option("--fail-on", type=click.Choice(list(SEVERITIES)), default="low",
              show_default=True, help="Exit 1 if a failing finding has at least this severity.")
@click.option("--all", "all_outcomes", is_flag=True, help="Include pass and not_applicable.")
@waivers_option
@click.option("--baseline", "baseline_path",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An earlier report (--format json): mark each finding new or persisting.")
@click.option("--fail-on-new", is_flag=True,
              help="With --baseline: exit 1 only for new failing findings.")
@max_bytes_option
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes evaluating rule chunks in parallel.")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run on a Dask scheduler (tcp://host:8786), or 'local' for a LocalCluster.")
@click.option("--timings", is_flag=True,
              help="Print the time of each phase to stderr as one JSON line (timings: {...}).")
@lang_option
def check(facts: tuple[Path, ...], rules_paths: tuple[Path, ...], as_of: dt.datetime | None,
          fmt: str, output: Path | None, fail_on: str, all_outcomes: bool,
          waiver_paths: tuple[Path, ...], baseline_path: Path | None, fail_on_new: bool,
          max_bytes: int | None, jobs: int, dask_address: str | None, timings: bool,
          lang: str) -> None:
    """Check FACTS (YAML/JSON files, .xlsx workbooks, CSV folders). / 检查事实数据。

    Exit 0: no failing finding at or above --fail-on (waived findings never count;
    with --fail-on-new only new ones do); 1: there is one; 2: an input (facts, rules,
    waivers, baseline) was rejected.
    """
    from ..timing import recording

    if fail_on_new and baseline_path is None:
        raise click.UsageError("--fail-on-new needs --baseline OLD.json")
    with recording() as times:
        start = time.perf_counter()
        try:
            _check(facts, rules_paths, as_of, fmt, output, fail_on, all_outcomes, max_bytes,
                   jobs, dask_address, lang, waiver_paths, baseline_path, fail_on_new)
        finally:
            if timings:
                times["total"] = time.perf_counter() - start
                shown = {k: round(v, 3) for k, v in times.items()}
                click.echo("timings: " + json.dumps(shown), err=True)


def _check(facts: tuple[Path, ...], rules_paths: tuple[Path, ...], as_of: dt.datetime | None,
           fmt: str, output: Path | None, fail_on: str, all_outcomes: bool,
           max_bytes: int | None, jobs: int, dask_address: str | None, lang: str,
           waiver_paths: tuple[Path, ...] = (), baseline_path: Path | None = None,
           fail_on_new: bool = False) -> None:
    from ..facts.load import load_facts
    from ..reports.evaluate import evaluate
    from ..reports.render import render
    from ..rules.load import load_rules
    from ..timing import phase

    with phase("rules"):
        ruleset = load_rules(list(rules_paths) or None)
        ruleset.compiled  # noqa: B018 - compiled once, here, so the phase says so
    waivers = load_waiver_files(waiver_paths, ruleset)
    baseline = None
    if baseline_path is not None:
        from ..reports.diff import load_report

        baseline = load_report(baseline_path)
    factset = load_facts(list(facts), max_bytes=max_bytes, rules=ruleset)
    print_warnings(factset, lang)
    # junit/html/markdown show every evaluated subject (a testcase each, the scorecard)
    every = all_outcomes or fmt in ("junit", "html", "markdown")
    if dask_address:
        from ..engine.dask_backend import dask_executor

        with dask_executor(None if dask_address == "local" else dask_address) as executor:
            report = evaluate(ruleset, factset, as_of, all_outcomes=every, executor=executor,
                              waivers=waivers)
    else:
        # the engine runs in a child process: a crash of its C extension is exit 3
        report = evaluate(ruleset, factset, as_of, all_outcomes=every, workers=jobs,
                          waivers=waivers, isolated=True)
    print_waiver_warnings(report, lang)
    if baseline is not None:
        from ..reports.diff import apply_baseline

        report = apply_baseline(report, baseline)
    with phase("render"):
        if fmt in ("html", "markdown"):
            # the same scorecards as `assess` (supplier names, satisfaction): one source
            from ..reports.assess import assessment_for

            assessment = assessment_for(report, factset, ruleset.families)
            write_output(render_page(report, fmt, lang, assessment), output)
        elif fmt != "table":
            write_output(render(report, fmt, lang), output)
        elif output is None:
            print_table(report, lang, console_out())
        else:
            write_table(report, lang, output)
    sys.exit(EXIT_FINDINGS if report.failing(fail_on, new_only=fail_on_new) else EXIT_OK)


def load_waiver_files(paths: tuple[Path, ...], ruleset: Any) -> Any:
    """The waivers of ``paths`` checked against ``ruleset`` (``None`` when none given)."""
    if not paths:
        return None
    from ..rules.waivers import load_waivers

    return load_waivers(list(paths), ruleset)


def print_waiver_warnings(report: Report, lang: str) -> None:
    """Each waiver that does not apply (expired, not yet in force, matches nothing)."""
    for warning in report.waiver_warnings():
        console_err().print(f"警告：{warning.zh}" if lang == "zh" else
                            f"warning: {warning.en}")


def render_page(report: Report, fmt: str, lang: str, assessment: Assessment) -> str:
    """The HTML page or Markdown memo of ``report`` with ``assessment``'s scorecards."""
    if fmt == "html":
        from ..reports.render.html import render_html

        return render_html(report, lang, assessment=assessment)
    from ..reports.render.markdown import render_markdown

    return render_markdown(report, lang, assessment=assessment)


def write_table(report: Report, lang: str, output: Path) -> None:
    """The table into the file ``output`` (plain text, rows never wrapped)."""
    from rich.console import Console

    try:
        with output.open("w", encoding="utf-8") as handle:
            console = Console(file=handle, markup=False, highlight=False, soft_wrap=True,
                              width=PIPE_WIDTH, color_system=None, force_terminal=False)
            print_table(report, lang, console)
    except OSError as exc:
        raise CannotWrite(str(output), hint=exc.strerror or str(exc)) from exc


def print_table(report: Report, lang: str, out: Console) -> None:
    """The findings as a rich table, then the summary."""
    from rich.table import Table

    zh = lang == "zh"
    table = Table(title=("检查结果" if zh else "Findings") + f" (as_of {report.as_of.isoformat()})")
    from ..reports.waive import waiver_note

    baseline = report.baseline is not None
    columns = [("规则", "Rule"), ("条款", "Clause"), ("结论", "Status"),
               *([("基线", "Baseline")] if baseline else []), ("严重程度", "Severity"),
               ("企业", "Supplier"), ("对象", "Subject"), ("说明", "Message")]
    for zh_name, en_name in columns:
        table.add_column(zh_name if zh else en_name, overflow="fold")
    from ..facts.labels import COLLECTION_LABELS, VALUE_LABELS
    from ..facts.model import SUBJECT_TYPES

    types_zh = {t: COLLECTION_LABELS.get(c, t) for c, t in SUBJECT_TYPES.items()}
    for f in report.findings:
        item = f" [{VALUE_LABELS.get(f.item, f.item) if zh else f.item}]" if f.item else ""
        subject = f"{types_zh.get(f.subject.type, f.subject.type) if zh else f.subject.type} " \
                  f"{f.subject.id}{item}"
        message = f.message.zh if zh else f.message.en
        note = waiver_note(f)
        if note is not None:
            message += f"（{note.zh}）" if zh else f" ({note.en})"
        mark = [(_BASELINE_ZH.get(f.baseline or "", "") if zh else f.baseline or "")] \
            if baseline else []
        table.add_row(f.rule, f.clause, _STATUS_ZH[f.status] if zh else f.status, *mark,
                      _SEVERITY_ZH[f.severity] if zh else f.severity, f.supplier_id or "—",
                      subject, message)
    out.print(table)
    s = report.summary
    waived = report.waivers is not None
    if zh:
        out.print(f"合规 {s.get('pass')}，不合规 {s.get('fail')}，数据不足 "
                  f"{s.get('insufficient_data')}，不适用 {s.get('not_applicable')}"
                  + (f"，已豁免 {s.get('waived')}" if waived else "")
                  + f"（{report.ruleset.rules} 条规则，{report.facts.records} 条记录）")
    else:
        out.print(f"pass {s.get('pass')}, fail {s.get('fail')}, insufficient_data "
                  f"{s.get('insufficient_data')}, not_applicable {s.get('not_applicable')}"
                  + (f", waived {s.get('waived')}" if waived else "")
                  + f" ({report.ruleset.rules} rules, {report.facts.records} records)")
    b = report.baseline
    if b is not None:
        moment = b.as_of.isoformat()
        out.print(f"与 {moment} 的检查结果相比：新增 {b.new}，仍存在 {b.persisting}，"
                  f"已消除 {b.resolved}" if zh else
                  f"compared with the report as of {moment}: new {b.new}, persisting "
                  f"{b.persisting}, resolved {b.resolved}")


COMMANDS = [check]
