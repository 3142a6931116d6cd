"""``fuling-compliance assess``: the Commission's assessment, ready to publish (6.2, 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .check import load_waiver_files, parse_as_of, print_waiver_warnings, waivers_option
from .common import console_err, lang_option, rules_option, write_output

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


@click.command("assess")
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
              help="Write the assessment to FILE instead of stdout.")
@click.option("--max-bytes", type=int, default=None, help="Size limit per fact file.")
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
    the assessment was produced, 2 when an input was rejected.
    """
    from ..facts.load import load_facts
    from ..reports.assess import assess, load_policy, parse_period
    from ..reports.evaluate import evaluate
    from ..rules.load import load_rules

    ruleset = load_rules(list(rules_paths) or None)
    policy = load_policy(policy_path, families=ruleset.families)
    waivers = load_waiver_files(waiver_paths, ruleset)
    factset = load_facts(list(facts), max_bytes=max_bytes, rules=ruleset)
    err = console_err()
    for warning in factset.warnings:
        err.print(f"warning: {warning}")
    report = evaluate(ruleset, factset, as_of, all_outcomes=True, waivers=waivers)
    print_waiver_warnings(report, lang)
    assessment = assess(report, factset, policy, families=ruleset.families,
                        period=parse_period(period) if period else None)
    if fmt == "json":
        text = assessment.to_json()
    elif fmt == "markdown":
        from ..reports.render.markdown import render_markdown

        text = render_markdown(report, lang, assessment=assessment)
    else:
        from ..reports.render.html import render_html

        text = render_html(report, lang, assessment=assessment)
    write_output(text, output)
    if output is not None:
        zh = lang == "zh"
        ranking = ", ".join(f"{c.rank}. {c.key} {c.score}" for c in assessment.suppliers
                            if c.rank is not None) or "—"
        candidates = ", ".join(assessment.commendation_candidates) or ("无" if zh else "none")
        err.print(f"{'已写入' if zh else 'wrote'} {output}: "
                  f"{'排名' if zh else 'ranking'} {ranking}; "
                  f"{'表彰候选' if zh else 'commendation candidates'} {candidates}")


COMMANDS = [assess_command]
