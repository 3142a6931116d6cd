"""``fuling-compliance diff``: findings over time, or what a draft rule change would do.

Two forms, one output (``fuling-compliance/diff/v1``):

* ``diff OLD.json NEW.json`` — two reports of ``check --format json`` (e.g. last
  quarter's and this quarter's): which findings are new, resolved and persisting;
* ``diff --base-rules OLD_RULES [--rules NEW_RULES] FACTS...`` — both rule sets
  evaluated on the same facts at the same ``as_of``: which findings the change adds
  and removes.

Exit 0 when the diff was produced, 2 when an input was rejected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .check import parse_as_of, waivers_option
from .common import EXITS_PLAIN, console_out, lang_option, rules_option, write_output

if TYPE_CHECKING:
    from ..reports.diff import Diff

#: ``reports.render.diff.DIFF_FORMATS`` and ``table`` (written out to keep --help light)
DIFF_FORMATS = ("table", "json", "markdown", "html")


@click.command("diff", epilog=EXITS_PLAIN)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--base-rules", "base_rules", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Compare rule sets: the current rules (files or folders); PATHS are then "
              "fact files, evaluated with --base-rules and with --rules.")
@rules_option
@click.option("--as-of", callback=parse_as_of, help="With --base-rules: the moment of "
              "judgement (ISO 8601); default: the facts' as_of, else now.")
@waivers_option
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS), default="table",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the diff to FILE instead of stdout.")
@click.option("--max-bytes", type=int, default=None, help="Size limit per input file.")
@lang_option
def diff(paths: tuple[Path, ...], base_rules: tuple[Path, ...], rules_paths: tuple[Path, ...],
         as_of: dt.datetime | None, waiver_paths: tuple[Path, ...], fmt: str,
         output: Path | None, max_bytes: int | None, lang: str) -> None:
    """Compare two reports (OLD.json NEW.json), or two rule sets on the same FACTS.

    Findings (fail, insufficient data, waived) are matched by rule, subject and item
    and listed as new, resolved and persisting, with counts per rule and supplier.

    Exit 0 when the diff was written, 2 when an input was rejected.

    对比两次检查结果（整改跟踪），或比较规则修改前后对同一事实数据的检查结果。
    """
    from ..reports.diff import diff_reports, diff_rules, load_reports
    from ..reports.render.diff import render_diff

    if base_rules:
        from ..facts.load import load_facts
        from ..rules.load import load_rules
        from .check import load_waiver_files

        before_rules = load_rules(list(base_rules))
        after_rules = load_rules(list(rules_paths) or None)
        waivers = load_waiver_files(waiver_paths, after_rules)
        facts = load_facts(list(paths), max_bytes=max_bytes)
        result = diff_rules(before_rules, after_rules, facts, as_of, waivers=waivers,
                            sources=(_names(base_rules), _names(rules_paths) or None))
    else:
        if len(paths) != 2:
            raise click.UsageError("give two reports (OLD.json NEW.json), or --base-rules "
                                   "OLD_RULES with fact files")
        if rules_paths or as_of is not None or waiver_paths:
            raise click.UsageError("--rules, --as-of and --waivers go with --base-rules; "
                                   "two reports are compared as they are")
        before, after = load_reports(paths, max_bytes=max_bytes)
        result = diff_reports(before, after, sources=(str(paths[0]), str(paths[1])))
    if fmt == "table":
        print_diff(result, lang)
    else:
        write_output(render_diff(result, fmt, lang), output)


def _names(paths: tuple[Path, ...]) -> str:
    return ", ".join(str(p) for p in paths)


def print_diff(result: Diff, lang: str) -> None:
    """The diff as rich tables: counts, per rule, per supplier, then the findings."""
    from rich.table import Table

    zh = lang == "zh"
    labels = {"new": "新增", "resolved": "已消除", "persisting": "仍存在"} if zh else \
        {"new": "new", "resolved": "resolved", "persisting": "persisting"}
    status_zh = {"fail": "不合规", "insufficient_data": "数据不足", "waived": "已豁免",
                 "pass": "合规", "not_applicable": "不适用"}
    out = console_out()
    before, after = result.before, result.after
    what = ("规则修改前后" if zh else "base rules → changed rules") \
        if result.basis == "rules" else ("两次检查" if zh else "two reports")
    out.print(f"{'对比' if zh else 'Diff'} ({what}): "
              f"{before.as_of.isoformat()} [{before.source or before.ruleset.version}] → "
              f"{after.as_of.isoformat()} [{after.source or after.ruleset.version}]")
    s = result.summary
    out.print(", ".join(f"{labels[k]} {getattr(s, k)}" for k in ("new", "resolved",
                                                                "persisting")))
    for title, rows in (
            (("按规则" if zh else "By rule"),
             [(r.rule, r.new, r.resolved, r.persisting) for r in result.by_rule]),
            (("按企业" if zh else "By supplier"),
             [(r.supplier_id or "—", r.new, r.resolved, r.persisting)
              for r in result.by_supplier])):
        table = Table(title=title)
        table.add_column("规则" if zh and title == "按规则" else
                         "企业" if zh else "Rule" if title == "By rule" else "Supplier")
        for k in ("new", "resolved", "persisting"):
            table.add_column(labels[k], justify="right")
        for row in rows:
            table.add_row(*(str(v) for v in row))
        out.print(table)
    table = Table(title="结论变化" if zh else "Findings")
    for zh_name, en_name in (("变化", "Change"), ("规则", "Rule"), ("企业", "Supplier"),
                             ("对象", "Subject"), ("结论", "Status"), ("说明", "Message")):
        table.add_column(zh_name if zh else en_name, overflow="fold")
    for change in ("new", "resolved", "persisting"):
        for f in getattr(result, change):
            status = status_zh[f.status] if zh else f.status
            if f.previous_status and f.previous_status != f.status:
                status = (f"{status_zh[f.previous_status]} → " if zh
                          else f"{f.previous_status} → ") + status
            subject = f"{f.subject.type} {f.subject.id}" + (f" [{f.item}]" if f.item else "")
            table.add_row(labels[change], f.rule, f.supplier_id or "—", subject, status,
                          f.message.zh if zh else f.message.en)
    out.print(table)


COMMANDS = [diff]
