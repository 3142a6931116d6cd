"""``fuling-compliance assess``: the Commission's assessment, ready to publish (6.2, 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .check import (
    load_waiver_files,
    parse_as_of,
    print_waiver_warnings,
    render_page,
    waivers_option,
)
from .common import (
    EXIT_INPUT,
    EXITS_PLAIN,
    console_err,
    lang_option,
    max_bytes_option,
    print_warnings,
    rules_option,
    write_output,
)

ASSESS_FORMATS = ("html", "markdown", "json")


def _period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Check the period; it stays text so that the reproduce command shows it as given."""
    if value is not None:
        from ..reports.assess import parse_period

        try:
            parse_period(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


@click.command("assess", epilog=EXITS_PLAIN)
@click.argument("facts", nargs=-1, required=True, type=click.Path(path_type=Path))
@rules_option
@click.option("--policy", "policy_path", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path),
              help="Assessment policy file (default: the bundled rules/policy/assessment.yaml).")
@click.option("--as-of", callback=parse_as_of, help="Moment of judgement (ISO 8601); "
              "default: the facts' as_of, else now.")
@click.option("--period", callback=_period, metavar="2026Q2|START..END",
              help="Assessment period (default: the quarter of as_of, up to as_of).")
@click.option("--format", "fmt", type=click.Choice(ASSESS_FORMATS), default="html",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the assessment to FILE (HTML is never written to a terminal: "
              "give --output FILE, or redirect stdout).")
@max_bytes_option
@waivers_option
@lang_option
def assess_command(facts: tuple[Path, ...], rules_paths: tuple[Path, ...],
                   policy_path: Path | None, as_of: dt.datetime | None,
                   period: str | None, fmt: str,
                   output: Path | None, max_bytes: int | None,
                   waiver_paths: tuple[Path, ...], lang: str) -> None:
    """Assess each supplier from FACTS: scorecards, ranking, commendation, items to rectify.

    评估各供电供气企业：考核评分、排名、表彰候选和整改事项（第 6.2 条、第七条）。

    Every outcome is evaluated (pass and not_applicable included). Exit code 0 when
    the assessment was produced, 2 when an input was rejected. The HTML report (about
    1 MB) goes to --output FILE or to redirected stdout, never to a terminal.
    """
    import sys

    if fmt == "html" and output is None and sys.stdout.isatty():
        raise _HtmlToTerminal(
            "HTML 报告不输出到终端：请用 --output report.html 写入文件（或重定向 > report.html），"
            "或用 --format markdown|json" if lang == "zh" else
            "the HTML report is not written to a terminal: give --output report.html (or "
            "redirect: > report.html), or use --format markdown|json")
    from ..facts.load import load_facts
    from ..reports.assess import assessment_for, load_policy, parse_period
    from ..reports.evaluate import evaluate
    from ..rules.load import load_rules

    ruleset = load_rules(list(rules_paths) or None)
    load_policy(policy_path, families=ruleset.families)  # refused before any evaluation
    waivers = load_waiver_files(waiver_paths, ruleset)
    factset = load_facts(list(facts), max_bytes=max_bytes, rules=ruleset)
    err = console_err()
    print_warnings(factset, lang)
    report = evaluate(ruleset, factset, as_of, all_outcomes=True, waivers=waivers,
                      isolated=True)
    print_waiver_warnings(report, lang)
    assessment = assessment_for(report, factset, ruleset.families, policy_path,
                                period=parse_period(period) if period else None)
    text = assessment.to_json() if fmt == "json" else render_page(report, fmt, lang,
                                                                  assessment)
    write_output(text, output)
    if output is not None:
        zh = lang == "zh"
        ranking = ", ".join(f"{c.rank}. {c.key} {c.score}" for c in assessment.suppliers
                            if c.rank is not None) or "—"
        candidates = ", ".join(assessment.commendation_candidates) or ("无" if zh else "none")
        err.print(f"{'已写入' if zh else 'wrote'} {output}: "
                  f"{'排名' if zh else 'ranking'} {ranking}; "
                  f"{'表彰候选' if zh else 'commendation candidates'} {candidates}")


class _HtmlToTerminal(click.UsageError):
    exit_code = EXIT_INPUT


COMMANDS = [assess_command]
