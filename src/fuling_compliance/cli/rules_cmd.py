"""``fuling-compliance rules``: list the loaded rules."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import EXITS_PLAIN, console_out, lang_option, rules_option


@click.command("rules", epilog=EXITS_PLAIN)
@rules_option
@lang_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def rules(rules_paths: tuple[Path, ...], lang: str, fmt: str) -> None:
    """List the rules: id, clause, severity, title. / 列出规则。"""
    from ..rules.load import load_rules

    ruleset = load_rules(list(rules_paths) or None)
    if fmt == "json":
        click.echo(json.dumps(
            [{"id": r.id, "clause": r.clause, "severity": r.severity,
              "subject": r.subject, "title": {"zh": r.title.zh, "en": r.title.en}}
             for r in ruleset], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{len(ruleset)} rules" if lang == "en" else f"共 {len(ruleset)} 条规则")
    for col in (("规则", "Rule"), ("条款", "Clause"), ("严重程度", "Severity"), ("标题", "Title")):
        table.add_column(col[0] if lang == "zh" else col[1])
    for r in ruleset:
        table.add_row(r.id, r.clause, r.severity, r.title.zh if lang == "zh" else r.title.en)
    console_out().print(table)


COMMANDS = [rules]
