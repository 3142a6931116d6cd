"""Commands for the people who edit rules: validate, schema, explain, coverage, docs.

=========  ==================================================================  ==========
command    does                                                                exit codes
=========  ==================================================================  ==========
validate   checks rule files without facts; every problem at file:line:column  0 / 2 / 3
schema     prints the JSON Schema of rule files, fact files or the report      0 / 2 / 3
explain    one rule for one subject, condition by condition, with its values   0 / 2 / 3
coverage   clauses → rules → scenarios; gaps; ``--fail-under PCT`` for CI      0 / 1 / 2 / 3
docs       writes the rule book (Markdown and HTML); ``--check`` for CI        0 / 1 / 2 / 3
=========  ==================================================================  ==========

0: clean; 1: findings — coverage below the floor, a stale rule book (nothing else);
2: input rejected — a rule file with any problem (``validate``), a path that does not
exist, no feature files for ``coverage``, an unknown rule or subject; 3: internal
error. Results go to stdout, messages to stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import Problem
from .check import parse_as_of
from .common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXITS_PLAIN,
    console_err,
    console_out,
    lang_option,
    max_bytes_option,
    rules_option,
    write_output,
)


# ----------------------------------------------------------------------------- validate
def _features_option(f: Any) -> Any:
    return click.option("--features", "features_dir",
                        type=click.Path(file_okay=False, path_type=Path),
                        help="Folder of .feature files (default: ./features, else the "
                        "repository's).")(f)


@click.command("validate", epilog="Exit codes: 0 no problem (warnings leave it alone); "
               "2 a rule file has problems (each listed with its place); 3 internal error "
               "(--debug shows the traceback).")
@click.argument("rules", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: one problem a line; json: a list of problems.")
@_features_option
@lang_option
def validate(rules: tuple[Path, ...], fmt: str, features_dir: Path | None, lang: str) -> None:
    """Check RULES (files or folders; default: the bundled rules) without any facts.

    Every problem at once, as file:line:column and a sentence: rule files with problems
    are rejected input (exit 2), as ``check --rules`` would reject them. Warnings (a
    note or a feature heading stating a number other than its parameter's value) are
    printed but do not change the exit code.

    检查规则文件（不需要事实数据），一次列出全部问题及其位置；警告不影响退出码。
    """
    from ..errors import RulesError
    from ..reports.coverage import default_features_dir, heading_warnings, scan_headings
    from ..rules.load import load_rules, rule_files

    try:
        ruleset = load_rules(list(rules) or None)
        problems = list(ruleset.warnings)
        folder = features_dir or default_features_dir()
        if folder.is_dir():
            problems += heading_warnings(ruleset, scan_headings(folder))
    except RulesError as exc:
        problems = exc.problems
    files = len(rule_files(list(rules) or None)[0])
    zh = lang == "zh"
    if fmt == "json":
        click.echo(json.dumps([_problem_json(p) for p in problems], ensure_ascii=False,
                              indent=2))
    else:
        out = console_out()
        for problem in problems:
            mark = ("警告：" if zh else "warning: ") if problem.warning else ""
            out.print(mark + problem.render(lang))
    err = console_err()
    errors = [p for p in problems if not p.warning]
    warned = len(problems) - len(errors)
    tail = (f"，{warned} 个警告" if zh else f", {warned} warning(s)") if warned else ""
    if not errors:
        err.print((f"{files} 个规则文件，没有发现问题" if zh else
                   f"{files} rule file(s), no problems found") + tail)
        sys.exit(0)
    n = len(errors)
    err.print((f"{files} 个规则文件，发现 {n} 个问题" if zh else
               f"{files} rule file(s), {n} problem{'s' if n != 1 else ''} found") + tail)
    sys.exit(EXIT_INPUT)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "column": problem.column,
            "rule": problem.record, "field": problem.field, "code": problem.code,
            "warning": problem.warning,
            "message": {"zh": problem.message_zh or problem.message, "en": problem.message}}


# ----------------------------------------------------------------------------- schema
@click.command("schema", epilog=EXITS_PLAIN)
@click.argument("name", type=click.Choice(["rules", "facts", "report", "waivers", "diff"]))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to FILE instead of stdout.")
@rules_option
def schema(name: str, output: Path | None, rules_paths: tuple[Path, ...]) -> None:
    """Print the JSON Schema of rule files, fact files, the report, waiver files or a diff.

    The repository ships them in schemas/; an editor with the YAML language server
    checks a file that starts with
    "# yaml-language-server: $schema=../schemas/rules.schema.json".
    With --rules, the facts schema has the fields those rules declare (and the rules
    schema their version of the regulation's clauses).

    输出规则文件、事实文件、检查报告、豁免文件或对比结果的 JSON Schema。
    """
    from ..reports.schemas import schema_text

    ruleset = None
    if rules_paths:
        from ..rules.load import load_rules

        ruleset = load_rules(list(rules_paths))
    write_output(schema_text(name, ruleset).rstrip("\n"), output)


# ----------------------------------------------------------------------------- explain
@click.command("explain", epilog=EXITS_PLAIN)
@click.argument("facts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rule", "rule_id", required=True, help="Rule id, e.g. VIS-02.")
@click.option("--subject", "subject_id", required=True,
              help="Subject id as in findings, e.g. AP-0001 (an outlet day: O1:2026-06-10).")
@click.option("--item", help="Only this item of an item-by-item rule (default: every item).")
@rules_option
@click.option("--as-of", callback=parse_as_of, help="Moment of judgement (ISO 8601); "
              "default: the facts' as_of, else now.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@max_bytes_option
@lang_option
def explain(facts: tuple[Path, ...], rule_id: str, subject_id: str, item: str | None,
            rules_paths: tuple[Path, ...], as_of: dt.datetime | None, fmt: str,
            max_bytes: int | None, lang: str) -> None:
    """Explain one rule's outcome for one subject, condition by condition.

    The outcome is the engine's (the one check reports); beside it, every condition with
    the actual values put in and its result (yes / no / unknown).

    逐条说明某条规则对某个对象的结论及其依据。
    """
    from ..facts.labels import COLLECTION_LABELS
    from ..facts.load import load_facts
    from ..reports.explain import explain as explain_one
    from ..rules.load import load_rules
    from ..rules.schema import suggest

    zh = lang == "zh"
    ruleset = load_rules(list(rules_paths) or None)
    ids = [r.id for r in ruleset]
    if rule_id not in ids:
        guess = suggest(rule_id, ids)
        raise click.UsageError(
            f"没有规则 {rule_id!r}" + (f"（是否应为 {guess}？）" if guess else "")
            + f"；现有规则：{'、'.join(ids)}" if zh else
            f"no rule {rule_id!r}" + (f" (did you mean {guess}?)" if guess else "")
            + f"; rules: {', '.join(ids)}")
    rule = ruleset.get(rule_id)
    if item is not None and item not in (rule.items or []):
        raise click.UsageError(
            (f"{rule_id} 没有事项 {item!r}" + (f"；它的事项：{'、'.join(rule.items)}"
                                              if rule.items else "（它不是逐项判断的规则）"))
            if zh else
            (f"{rule_id} has no item {item!r}" + (f"; its items: {', '.join(rule.items)}"
                                                  if rule.items else
                                                  " (it is not an item-by-item rule)")))
    factset = load_facts(list(facts), max_bytes=max_bytes, rules=ruleset)
    subjects = [r.record_id() for r in factset.records(rule.subject)]
    if subject_id not in subjects:
        guess = suggest(subject_id, subjects)
        label = COLLECTION_LABELS.get(rule.subject, rule.subject)
        raise click.UsageError(
            f"事实数据中没有{label}记录 {subject_id!r}"
            + (f"（是否应为 {guess}？）" if guess else "")
            + f"；{rule_id} 判断的是{label}（事实数据中有 {len(subjects)} 条）" if zh else
            f"no {rule.subject} record {subject_id!r} in the facts"
            + (f" (did you mean {guess}?)" if guess else "")
            + f"; {rule_id} judges {rule.subject} ({len(subjects)} in the facts)")
    from ..engine.run import resolve_as_of
    from ..reports.evaluate import evaluate

    moment = resolve_as_of(as_of, factset)
    # the engine's outcome, computed in a child process like check's (a crash: exit 3)
    report = evaluate(ruleset.select([rule_id]), factset, moment, all_outcomes=True,
                      isolated=True)
    explanations = explain_one(ruleset, factset, rule_id, subject_id, item=item, as_of=moment,
                               lang=lang, report=report)
    if fmt == "json":
        data = [e.to_dict() for e in explanations]
        click.echo(json.dumps(data if len(data) > 1 else data[0], ensure_ascii=False, indent=2))
    else:
        out = console_out()
        for n, e in enumerate(explanations):
            if n:
                out.print("")
            out.print(e.render(), end="")
    for e in explanations:
        if not e.agrees:
            console_err().print(
                f"警告：{rule_id}/{subject_id} 的逐条推演得出 {e.walk.outcome}，规则引擎得出 "
                f"{e.engine_outcome}：请报告此问题" if zh else
                f"warning: the explanation of {rule_id}/{subject_id} reaches {e.walk.outcome}, "
                f"the engine {e.engine_outcome}: please report this")


# ----------------------------------------------------------------------------- coverage
def _scenarios(features_dir: Path | None, lang: str, *, required: bool = False) -> list[Any]:
    """The scenarios of the feature files; with ``required``, none found is exit 2."""
    from ..reports.coverage import default_features_dir, scan_features

    folder = features_dir or default_features_dir()
    if not required:
        if not folder.is_dir():
            console_err().print(f"警告：找不到场景目录 {folder}，按没有场景计算" if lang == "zh"
                                else f"warning: no features folder {folder}; counting no "
                                "scenarios")
            return []
        return scan_features(folder)
    if not folder.is_dir() or not any(folder.glob("*.feature")):
        # counting no scenarios would report 0 % and look like a result: refuse instead
        raise _NoFeatures(
            f"找不到场景文件：{folder} 中没有 .feature 文件（例如从 wheel 安装时不含场景）；"
            "请在仓库根目录运行，或用 --features 指定场景目录" if lang == "zh" else
            f"no feature files: {folder} has no .feature files (a wheel install does not "
            "include them); run from the repository's root or give --features DIR")
    return scan_features(folder)


class _NoFeatures(click.ClickException):
    """No scenarios to count: the input is missing (exit 2), not a coverage of 0 %."""

    exit_code = EXIT_INPUT


@click.command("coverage", epilog="Exit codes: 0 success; 1 clause coverage below "
               "--fail-under; 2 input rejected (no feature files found, rule files with "
               "problems); 3 internal error (--debug shows the traceback).")
@rules_option
@_features_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Exit 1 when clause coverage is below PCT percent.")
@lang_option
def coverage(rules_paths: tuple[Path, ...], features_dir: Path | None, fmt: str,
             fail_under: float | None, lang: str) -> None:
    """Map every clause of the regulation to its rules and their scenarios.

    Clause coverage = machine-checkable clauses whose rules all have at least one
    scenario (tagged @RULE-ID in features/*.feature), as a share of all machine-checkable
    clauses. Lists the clauses no rule can check (with the reason), rules without
    scenarios and clauses without rules.

    条款覆盖情况：每个条款的规则及其测试场景。
    """
    from ..reports.coverage import coverage as build
    from ..rules.load import load_rules

    ruleset = load_rules(list(rules_paths) or None)
    result = build(ruleset, _scenarios(features_dir, lang, required=True))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_coverage(result, lang)
    if fail_under is not None and result.percent < fail_under:
        console_err().print(
            f"条款覆盖率 {result.percent}% 低于要求的 {fail_under}%" if lang == "zh" else
            f"clause coverage {result.percent}% is below the required {fail_under}%")
        sys.exit(EXIT_FINDINGS)


def _print_coverage(result: Any, lang: str) -> None:
    from rich.table import Table

    from ..reports.coverage import STATUS_LABELS

    zh = lang == "zh"
    out = console_out()
    stage = {"draft": ("征求意见稿", "draft"), "final": ("正式稿", "final")}.get(
        result.status, (result.status, result.status))
    table = Table(title=f"条款覆盖情况（制度 {result.version}，{stage[0]}）" if zh else
                  f"Clause coverage (regulation {result.version}, {stage[1]})")
    for zh_name, en_name in (("条款", "Clause"), ("规则（场景数）", "Rules (scenarios)"),
                             ("状态", "Status")):
        table.add_column(zh_name if zh else en_name, overflow="fold")
    for c in result.clauses:
        if c.status == "heading":
            continue
        rules = ("、" if zh else ", ").join(f"{r.rule.id}({len(r.scenarios)})"
                                           for r in c.rules) or "—"
        status = STATUS_LABELS[c.status][0 if zh else 1]
        if c.reason is not None and c.rules:
            status += "（部分无法机器判断）" if zh else " (partly not machine-checkable)"
        table.add_row(c.clause.id, rules, status)
    out.print(table)
    out.print("无法机器判断的条款：" if zh else "Clauses not machine-checkable:")
    for c in result.not_machine_checkable:
        part = (f"（{'、'.join(r.rule.id for r in c.rules)} 只检查其中可判断的部分）" if zh else
                f" ({', '.join(r.rule.id for r in c.rules)} check the checkable part)") \
            if c.rules else ""
        out.print(f"  {c.clause.id}  {c.reason[0] if zh else c.reason[1]}{part}")
    untested = result.rules_without_scenarios
    out.print(("没有场景的规则：" if zh else "Rules without scenarios: ")
              + (("、" if zh else ", ").join(r.rule.id for r in untested) or "—"))
    bare = result.clauses_without_rules
    out.print(("没有规则的条款：" if zh else "Clauses without rules: ")
              + (("、" if zh else ", ").join(c.clause.id for c in bare) or "—"))
    for scenario, tag in result.unknown_tags:
        out.print(f"{'未知规则编号的标签' if zh else 'Tag of no rule'} @{tag}: "
                  f"{scenario.name} ({scenario.location})")
    s = result.summary()
    if zh:
        out.print(f"条款覆盖率 {s['percent']}%：{s['checkable_clauses']} 个可机器判断的条款中，"
                  f"{s['covered_clauses']} 个的全部规则都有测试场景；"
                  f"规则 {s['rules']} 条，其中 {s['rules_with_scenarios']} 条有场景"
                  f"（{s['rules_percent']}%）；场景 {s['scenarios']} 个")
    else:
        out.print(f"clause coverage {s['percent']}%: {s['covered_clauses']} of "
                  f"{s['checkable_clauses']} machine-checkable clauses have scenarios for all "
                  f"their rules; {s['rules_with_scenarios']} of {s['rules']} rules have "
                  f"scenarios ({s['rules_percent']}%); {s['scenarios']} scenarios")


# ----------------------------------------------------------------------------- docs
@click.command("docs", epilog="Exit codes: 0 written (or up to date with --check); 1 stale "
               "(--check); 2 input rejected (rule files with problems); 3 internal error "
               "(--debug shows the traceback).")
@rules_option
@_features_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("docs/rules"), show_default=True, help="Folder to write into.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "both"]), default="both",
              show_default=True)
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 if the Markdown in --output is stale.")
@lang_option
def docs(rules_paths: tuple[Path, ...], features_dir: Path | None, output: Path, fmt: str,
         check: bool, lang: str) -> None:
    """Write the rule book: one page per rule file, in Markdown and self-contained HTML.

    Each page has the clause texts, every rule's condition in plain words, its parameters
    with their source (regulation or policy) and the scenarios testing it.

    生成规则手册（Markdown 与 HTML）。
    """
    from ..reports.rulebook import build_book, stale_pages, write_book
    from ..rules.load import load_rules

    ruleset = load_rules(list(rules_paths) or None)
    book = build_book(ruleset, _scenarios(features_dir, lang))
    err = console_err()
    if check:
        stale = stale_pages(book, output)
        if stale:
            err.print(f"规则手册已过期（{output}）：{'、'.join(stale)}；"
                      "请运行 fuling-compliance docs" if lang == "zh" else
                      f"the rule book in {output} is stale: {', '.join(stale)}; "
                      "run fuling-compliance docs")
            sys.exit(EXIT_FINDINGS)
        err.print(f"规则手册是最新的（{output}）" if lang == "zh" else
                  f"the rule book in {output} is up to date")
        return
    formats = ("md", "html") if fmt == "both" else (fmt,)
    written = write_book(book, output, formats)
    err.print(f"已写入 {len(written)} 个文件到 {output}" if lang == "zh" else
              f"wrote {len(written)} file(s) to {output}")


COMMANDS = [validate, schema, explain, coverage, docs]
