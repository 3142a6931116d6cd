"""``fuling-compliance test`` and ``steps``: the policy officer's test run and step list.

``test [FEATURE...]`` runs the feature files with the package's step library (the same
step definitions pytest-bdd uses, see :mod:`fuling_compliance.testing`); without
FEATURE arguments it also checks that every rule has a failing and a passing scenario,
compares the example's findings with ``examples/expected-findings.yaml`` and checks that
the rule book in ``docs/rules/`` is up to date. It reads the project in the current folder
(``rules/``, ``features/``, ``examples/``, ``docs/rules/``) when there is one, else the
one installed with the package. Exit 0: everything holds; 1: something does not; 2: a
feature, rule or example file is unusable (with its place); 3: an internal error.

``steps [TYPE...]`` lists every step phrase with an example, and the table headers each
record type accepts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import EXITS_PLAIN, console_err, console_out, lang_option

if TYPE_CHECKING:
    from ..errors import Problem
    from ..rules.load import RuleSet
    from ..testing.gherkin import Feature
    from ..testing.runner import Result

EXPECTED_FINDINGS = "expected-findings.yaml"
#: the example quarter whose findings ``examples/expected-findings.yaml`` lists
EXAMPLE = "examples/fuling-2026q2.yaml"


# ----------------------------------------------------------------------------- places
@dataclass(frozen=True)
class Project:
    """Where the rules, features, example and rule book of a test run are."""

    rules: tuple[Path, ...]
    features: Path
    #: the example's facts; its expected findings are ``expected-findings.yaml`` beside it
    example: Path
    docs: Path


def default_project() -> Path:
    """The current folder when it holds ``rules/``, else the installed package's files."""
    if Path("rules").is_dir():
        return Path(".")
    from ..rules.load import bundled_rules_dir

    return bundled_rules_dir().parent


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def _select(names: Sequence[str], folder: Path, lang: str) -> list[Path] | None:
    """The feature files named (paths, or names or prefixes in ``folder``); None if unknown."""
    available = sorted(folder.glob("*.feature")) if folder.is_dir() else []
    if not names:
        return available
    chosen: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            chosen.extend(sorted(path.glob("*.feature")))
            continue
        if path.is_file():
            chosen.append(path)
            continue
        matches = [p for p in available if p.name == name or p.stem == name] or \
            [p for p in available if p.name.startswith(name)]
        if len(matches) != 1:
            err = console_err()
            shown = "、".join(p.name for p in available) if lang == "zh" else \
                ", ".join(p.name for p in available)
            if not matches:
                err.print(f"没有场景文件“{name}”；可选：{shown}" if lang == "zh" else
                          f"no feature file {name!r}; available: {shown}")
            else:
                err.print(f"“{name}”对应多个场景文件：{'、'.join(p.name for p in matches)}"
                          if lang == "zh" else f"{name!r} matches several feature files: "
                          f"{', '.join(p.name for p in matches)}")
            return None
        chosen.extend(matches)
    return list(dict.fromkeys(chosen))


# ----------------------------------------------------------------------------- test
@click.command("test", epilog="Exit codes: 0 every scenario, the example and the rule book "
               "hold; 1 findings: a scenario fails, the example differs from its expected "
               "findings or the rule book is stale; 2 input rejected (a feature, rule or "
               "example file is unusable); 3 internal error (--debug shows the traceback).")
@click.argument("features", nargs=-1)
@click.option("--rules", "rules_dirs", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Rule files or folders, repeatable (default: ./rules, else the installed "
              "rules).")
@click.option("--features", "features_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of .feature files (default: ./features, else the installed ones).")
@click.option("--example", "example", type=click.Path(dir_okay=False, path_type=Path),
              help=f"The example's facts, with {EXPECTED_FINDINGS} beside them "
              f"(default: {EXAMPLE}, else the installed one).")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The rule book to check (default: ./docs/rules; skipped if absent).")
@click.option("--quiet", "-q", is_flag=True, help="Show only what fails, and the summary.")
@lang_option
def test(features: tuple[str, ...], rules_dirs: tuple[Path, ...], features_dir: Path | None,
         example: Path | None, docs_dir: Path | None, quiet: bool, lang: str) -> None:
    """Run the feature files (all, or the FEATUREs given), the example and the rule book.

    FEATURE: a .feature file or folder, or a name in the features folder ("3.2" for
    3.2-员工与上门服务.feature); then only those scenarios run. For each scenario: its
    name and place, and for a failure the step, the expected and the actual outcome and
    the finding's message. Without FEATURE, also: every rule has a failing and a passing
    scenario, the example's findings are the expected ones, the rule book is up to date.
    Exit 0 all hold, 1 some fail, 2 a feature, rule or example file is unusable.

    运行场景测试（全部或指定的场景文件），核对示例的预期结论和规则手册是否最新。
    退出码：0 全部通过；1 有失败；2 有无法使用的场景、规则或示例文件。
    """
    from ..rules.load import load_rules
    from ..testing.gherkin import read_features

    base = default_project()
    project = Project(rules_dirs or (base / "rules",), features_dir or base / "features",
                      example or base / EXAMPLE, docs_dir or base / "docs" / "rules")
    ruleset = load_rules(list(project.rules))
    paths = _select(features, project.features, lang)
    if paths is None:
        sys.exit(2)
    zh = lang == "zh"
    out = console_out()
    rules_shown = ("、" if zh else ", ").join(_shown(p) for p in project.rules)
    where = "" if features else _shown(project.features)
    count = f"{len(paths)} 个文件" if zh else f"{len(paths)} file(s)"
    count = (f"{where}（{count}）" if zh else f"{where} ({count})") if where else count
    out.print(f"规则：{rules_shown}（{len(ruleset)} 条）  场景：{count}" if zh else
              f"rules: {rules_shown} ({len(ruleset)})  features: {count}")
    parsed, unusable = read_features(paths, project.features)
    report = _Run(lang, quiet, base, project.rules)
    report.unusable(unusable)
    for feature in parsed:
        report.feature(feature, ruleset)
    if not features:  # the whole project: the rules' scenarios, the example, the book
        report.rule_scenarios(ruleset, parsed)
        report.example(ruleset, project.example)
        report.rulebook(ruleset, project.features, project.docs)
    report.summary()
    sys.exit(report.exit_code)


class _Run:
    """Prints the results as they come and counts them."""

    def __init__(self, lang: str, quiet: bool, root: Path, rules: Sequence[Path]) -> None:
        self.lang, self.quiet, self.root, self.rules = lang, quiet, root, tuple(rules)
        self.zh = lang == "zh"
        self.out = console_out()
        self.passed = self.failed = 0
        self.internal = False
        self.unusable_files = 0
        self.lacking = 0
        self.example_state: str | None = None
        self.docs_state: str | None = None

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def mark(self, ok: bool) -> Any:
        from rich.text import Text

        word = self.t("通过", "PASS") if ok else self.t("失败", "FAIL")
        return Text(word, style="green" if ok else "bold red")

    def line(self, ok: bool, text: str) -> None:
        from rich.text import Text

        self.out.print(Text.assemble("  ", self.mark(ok), "  " + text))

    # -- parts
    def unusable(self, problems: list[Problem]) -> None:
        if not problems:
            return
        self.unusable_files += len({p.file for p in problems})
        self.out.print(self.t("无法使用的场景文件（未运行）：",
                              "unusable feature files (not run):"))
        for problem in problems:
            self.out.print("  " + problem.render(self.lang))

    def feature(self, feature: Feature, ruleset: RuleSet) -> None:
        from ..testing.runner import run_feature

        results = run_feature(feature, ruleset, self.root, self.rules)
        if not self.quiet or not all(r.passed for r in results):
            self.out.print(f"{feature.file}  {self.t('功能', 'Feature')}: {feature.name}")
        groups: dict[int, list[Result]] = {}
        for result in results:
            groups.setdefault(result.scenario.line, []).append(result)
        for group in groups.values():
            self._group(group)

    def _group(self, group: list[Result]) -> None:
        first = group[0].scenario
        failing = [r for r in group if not r.passed]
        self.passed += len(group) - len(failing)
        self.failed += len(failing)
        self.internal = self.internal or any(r.internal for r in group)
        outline = first.example_line is not None
        count = ""
        if outline:
            count = self.t(f"（{len(group)} 组例子" + (f"，{len(failing)} 组失败）" if failing
                                                    else "）"),
                           f" ({len(group)} examples" + (f", {len(failing)} failed)"
                                                        if failing else ")"))
        if failing or not self.quiet:
            self.line(not failing, f"{first.template}{count}  {first.file}:{first.line}")
        if failing and all(r.step is None for r in group):
            # wrong before any step (a tag, a description): said once for every example
            self._failure(failing[0], False)
            return
        for result in failing:
            self._failure(result, outline)

    def _failure(self, result: Result, outline: bool) -> None:
        assert result.failure is not None
        pad = "        "
        s = result.scenario
        if outline:
            values = " | ".join(s.example.values())
            self.out.print(pad + self.t(f"例子（第 {s.example_line} 行）：{values}",
                                        f"example (line {s.example_line}): {values}"))
        if result.step is not None:
            self.out.print(pad + self.t(f"第 {result.step.line} 行：{result.step}",
                                        f"line {result.step.line}: {result.step}"))
        for text in result.failure.lines(self.lang):
            self.out.print(pad + text)

    def rule_scenarios(self, ruleset: RuleSet, features: list[Feature]) -> None:
        from ..testing.checks import rules_lacking_scenarios

        lacking = rules_lacking_scenarios([r.id for r in ruleset], features)
        self.lacking = len(lacking)
        if not lacking:
            if not self.quiet:
                self.line(True, self.t("每条规则都有预期“不合规”和“合规”的场景",
                                       "every rule has a scenario expecting fail and one "
                                       "expecting pass"))
            return
        words = {"fail": self.t("不合规", "fail"), "pass": self.t("合规", "pass")}
        for rule, missing in lacking.items():
            wanted = self.t("、".join(f"“{words[m]}”" for m in missing),
                            " and ".join(words[m] for m in missing))
            self.line(False, self.t(f"规则 {rule} 缺少预期{wanted}的场景（加上标签 @{rule}）",
                                    f"rule {rule} has no scenario expecting {wanted} "
                                    f"(tag it @{rule})"))

    def example(self, ruleset: RuleSet, example: Path) -> None:
        from ..errors import InputError
        from ..testing.checks import check_example

        expected = example.parent / EXPECTED_FINDINGS
        facts = [example]
        if not expected.is_file() or not example.is_file():
            self.example_state = "skipped"
            if not self.quiet:
                self.out.print(self.t(f"示例：没有 {_shown(example)} 及其 {EXPECTED_FINDINGS}，"
                                      "未核对",
                                      f"example: no {_shown(example)} with its "
                                      f"{EXPECTED_FINDINGS}; not checked"))
            return
        try:
            result = check_example(ruleset, facts, expected)
        except InputError as exc:
            self.example_state = "unusable"
            self.unusable_files += 1
            self.out.print(self.t("示例文件无法使用：", "unusable example files:"))
            for problem in exc.problems:
                self.out.print("  " + problem.render(self.lang))
            return
        names = "、".join(_shown(p) for p in facts)
        where = _shown(expected)
        self.example_state = "ok" if result.ok else "differs"
        if result.ok:
            if not self.quiet:
                self.line(True, self.t(f"示例 {names} 的结论与 {where} 一致",
                                       f"the findings of {names} are those in {where}"))
            return
        self.line(False, self.t(f"示例 {names} 的结论与 {where} 不一致",
                                f"the findings of {names} differ from {where}"))
        pad = "        "
        for key, message in result.unexpected:
            self.out.print(pad + self.t(f"多出（未预期）：{_key(key)}  {message.zh}",
                                        f"reported, not expected: {_key(key)}  {message.en}"))
        for key in result.missing:
            self.out.print(pad + self.t(f"缺少（预期却没有）：{_key(key)}",
                                        f"expected, not reported: {_key(key)}"))
        for key in result.unknown_rules:
            self.out.print(pad + self.t(f"预期中的规则不存在：{_key(key)}",
                                        f"expected finding of no rule: {_key(key)}"))
        for rule in result.never_failing:
            self.out.print(pad + self.t(f"规则 {rule} 在示例中没有不合规的结论"
                                        "（请在示例数据中加一例）",
                                        f"rule {rule} never fails in the example (add a case)"))
        for rule in result.not_designed:
            if rule not in result.never_failing:
                self.out.print(pad + self.t(f"{where} 中没有规则 {rule} 的不合规结论",
                                            f"{where} expects no fail of rule {rule}"))

    def rulebook(self, ruleset: RuleSet, features: Path, docs: Path) -> None:
        from ..reports.coverage import scan_features
        from ..reports.rulebook import build_book, stale_pages

        if not docs.is_dir():
            self.docs_state = "skipped"
            if not self.quiet:
                self.out.print(self.t(f"规则手册：没有 {_shown(docs)}，未核对",
                                      f"rule book: no {_shown(docs)}; not checked"))
            return
        scenarios = scan_features(features) if features.is_dir() else []
        stale = stale_pages(build_book(ruleset, scenarios), docs)
        self.docs_state = "stale" if stale else "ok"
        if stale:
            self.line(False, self.t(
                f"规则手册 {_shown(docs)} 已过期：{'、'.join(stale)}；"
                f"请运行 fuling-compliance docs --output {_shown(docs)}",
                f"the rule book {_shown(docs)} is stale: {', '.join(stale)}; run "
                f"fuling-compliance docs --output {_shown(docs)}"))
        elif not self.quiet:
            self.line(True, self.t(f"规则手册 {_shown(docs)} 是最新的",
                                   f"the rule book {_shown(docs)} is up to date"))

    # -- end
    def summary(self) -> None:
        total = self.passed + self.failed
        states = {"ok": ("一致", "as expected"), "differs": ("不一致", "differ"),
                  "unusable": ("无法使用", "unusable"), "skipped": ("未核对", "not checked"),
                  "stale": ("已过期", "stale")}
        docs = {**states, "ok": ("最新", "up to date")}
        parts = [self.t(f"场景 {total} 个：通过 {self.passed}，失败 {self.failed}",
                        f"{total} scenarios: {self.passed} passed, {self.failed} failed")]
        if self.unusable_files:
            parts.append(self.t(f"无法使用的文件 {self.unusable_files} 个",
                                f"{self.unusable_files} unusable file(s)"))
        if self.lacking:
            parts.append(self.t(f"{self.lacking} 条规则缺少场景",
                                f"{self.lacking} rule(s) lack scenarios"))
        if self.example_state:
            parts.append(self.t("示例：", "example: ")
                         + states[self.example_state][0 if self.zh else 1])
        if self.docs_state:
            parts.append(self.t("规则手册：", "rule book: ")
                         + docs[self.docs_state][0 if self.zh else 1])
        self.out.print(self.t("；", "; ").join(parts))

    @property
    def exit_code(self) -> int:
        if self.unusable_files:
            return 2
        if self.internal:
            return 3
        problems = self.failed or self.lacking or self.example_state == "differs" \
            or self.docs_state == "stale"
        return 1 if problems else 0


def _key(key: tuple[str, str, str | None, str]) -> str:
    rule, subject, item, status = key
    return f"{rule} {subject}" + (f" [{item}]" if item else "") + f" {status}"


# ----------------------------------------------------------------------------- steps
@click.command("steps", epilog=EXITS_PLAIN)
@click.argument("types", nargs=-1)
@click.option("--rules", "rules_dirs", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Rules whose declared fields are columns too (default: ./rules, else the "
              "installed rules).")
@lang_option
def steps(types: tuple[str, ...], rules_dirs: tuple[Path, ...], lang: str) -> None:
    """List every step phrase with an example, and the table headers of each record type.

    TYPE: only the headers of these record types (员工, or staff). The headers include
    the fields the rules declare in YAML.

    列出场景中可用的全部步骤及示例，以及每种对象的表格列名和可选值。
    """
    from ..facts.labels import COLLECTION_LABELS
    from ..rules.load import load_rules
    from ..testing.steps import (
        KEYWORDS,
        STEPS,
        TABLE_NOTES,
        StepFailure,
        collection_of,
        headers,
    )

    zh = lang == "zh"
    out = console_out()
    fields = load_rules(list(rules_dirs) or [default_project() / "rules"]).fields
    try:
        chosen = [collection_of(t) for t in types] or list(COLLECTION_LABELS)
    except StepFailure as exc:
        console_err().print("\n".join(exc.lines(lang)))
        sys.exit(2)
    if not types:
        out.print("步骤（写在 假如/当/那么/而且/但是 之后）：" if zh else
                  "Steps (after 假如/当/那么, or 而且/但是 continuing the kind before):")
        for definition in STEPS:
            out.print("")
            keyword = KEYWORDS[definition.kind]
            out.print(f"  {keyword} {definition.shown(lang)}")
            out.print("      " + definition.help.get(lang))
            out.print(("      例：" if zh else "      e.g. ") + f"{keyword} {definition.example}")
            for row in definition.table_example:
                out.print("          | " + " | ".join(row) + " |")
        out.print("")
        out.print("表格：" if zh else "Tables:")
        for note in TABLE_NOTES:
            out.print("  - " + note.get(lang))
        out.print("")
    out.print("各类对象的列名（中文名 (字段名)：类型）：" if zh else
              "Headers by record type (label (field): kind):")
    for collection in chosen:
        _print_headers(collection, headers(fields, collection), lang)


def _print_headers(collection: str, columns: list[Any], lang: str) -> None:
    from ..facts.labels import COLLECTION_LABELS
    from ..testing.steps import KIND_WORDS

    zh = lang == "zh"
    out = console_out()
    out.print("")
    out.print(f"  {COLLECTION_LABELS[collection]} ({collection})")
    for h in columns:
        kind = KIND_WORDS.get(h.kind, (h.kind, h.kind))[0 if zh else 1]
        if h.choices:
            shown = "、".join(f"{label} ({value})" for value, label in h.choices) if zh \
                else ", ".join(f"{value} ({label})" for value, label in h.choices)
            kind = f"{kind}：{shown}" if zh else f"{kind}: {shown}"
        required = ("，必填" if zh else ", required") if h.required else ""
        out.print(f"    {h.label} ({h.field})：{kind}{required}" if zh else
                  f"    {h.label} ({h.field}): {kind}{required}")


COMMANDS = [test, steps]
