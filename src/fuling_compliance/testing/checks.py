"""Checks the pytest run and ``fuling-compliance test`` share, beyond the steps themselves.

* :func:`scenario_problems`: a scenario without steps, a step-like line swallowed into a
  description (``给定`` is not a zh-CN keyword: the line becomes description and the
  scenario would pass without checking it), a tag that names no rule or clause;
* :func:`rules_lacking_scenarios`: every rule needs a scenario expecting 不合规 and one
  expecting 合规;
* :func:`duplicate_names`: pytest-bdd keeps one scenario per name in a feature;
* :func:`check_example`: the example's findings against ``examples/expected-findings.yaml``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from .gherkin import Feature, Scenario
from .steps import Text, find_step, status_key

if TYPE_CHECKING:
    from ..rules.load import RuleSet

STEP_WORDS = ("假如", "假设", "假定", "当", "那么", "而且", "但是", "并且", "同时", "给定",
              "Given", "When", "Then", "And", "But")
RULE_ID = re.compile(r"[A-Z]{3}-\d\d")
CLAUSE_TAG = "条款"


def tag_problem(tag: str, rule_ids: Sequence[str]) -> Text | None:
    """Why a tag is not allowed (a rule id or ``条款<clause>``), or ``None``."""
    from ..rules.regulation import regulation

    if tag.startswith(CLAUSE_TAG):
        clause = tag.removeprefix(CLAUSE_TAG)
        clauses = list(regulation().clauses)
        if clause in clauses:
            return None
        close = difflib.get_close_matches(clause, clauses, n=1, cutoff=0.6)
        guess = f"（是否应为 @{CLAUSE_TAG}{close[0]}？）" if close else ""
        return Text(f"标签 @{tag}：制度中没有条款 {clause}{guess}",
                    f"tag @{tag}: the regulation has no clause {clause}"
                    + (f" (did you mean @{CLAUSE_TAG}{close[0]}?)" if close else ""))
    if tag in rule_ids:
        return None
    close = difflib.get_close_matches(tag, list(rule_ids), n=1, cutoff=0.6)
    guess_zh = f"（是否应为 @{close[0]}？）" if close else ""
    guess_en = f" (did you mean @{close[0]}?)" if close else ""
    if RULE_ID.fullmatch(tag):
        return Text(f"标签 @{tag} 不是任何规则的编号{guess_zh}",
                    f"tag @{tag} names no rule{guess_en}")
    return Text(f"标签 @{tag} 既不是规则编号（如 @VIS-02）也不是条款（如 @{CLAUSE_TAG}3.2.4）"
                f"{guess_zh}",
                f"tag @{tag} is neither a rule id (@VIS-02) nor a clause "
                f"(@{CLAUSE_TAG}3.2.4){guess_en}")


def scenario_problems(name: str, steps: int, descriptions: Iterable[str], tags: Iterable[str],
                      rule_ids: Sequence[str]) -> list[Text]:
    """What makes a scenario wrong before any step runs (empty: nothing)."""
    problems: list[Text] = []
    if not steps:
        problems.append(Text(f"场景“{name}”没有任何步骤", f"scenario {name!r} has no steps"))
    for text in descriptions:
        for line in text.splitlines():
            if line.strip().startswith(STEP_WORDS):
                word = next(w for w in STEP_WORDS if line.strip().startswith(w))
                hint = "“给定”不是关键字，请用 假如/假设/假定；" if word == "给定" else ""
                problems.append(Text(
                    f"场景“{name}”：“{line.strip()}”看起来是步骤，却成了描述文字"
                    f"（{hint}关键字是否正确？是否写在场景之外？）",
                    f"scenario {name!r}: the line {line.strip()!r} looks like a step but is "
                    "part of a description (is its keyword valid?)"))
    for tag in dict.fromkeys(tags):
        problem = tag_problem(tag, rule_ids)
        if problem is not None:
            problems.append(problem)
    return problems


def problems_of(scenario: Scenario, rule_ids: Sequence[str]) -> list[Text]:
    """:func:`scenario_problems` of one scenario of :mod:`.gherkin`."""
    return scenario_problems(scenario.name, len(scenario.steps), scenario.descriptions,
                             scenario.tags + scenario.example_tags, rule_ids)


def duplicate_names(feature: Feature) -> dict[int, int]:
    """Line of a scenario -> line of an earlier one with the same name (pytest-bdd runs one)."""
    first: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    for scenario in feature.scenarios:
        seen = first.setdefault(scenario.template, scenario.line)
        if seen != scenario.line:
            duplicates[scenario.line] = seen
    return duplicates


def asserted_outcomes(features: Iterable[Feature]) -> dict[str, set[str]]:
    """Rule id -> outcomes (``pass``, ``fail``, ...) some scenario expects of it."""
    found: dict[str, set[str]] = {}
    for feature in features:
        for scenario in feature.scenarios:
            for step in scenario.steps:
                matched = find_step(step.kind, step.text)
                if matched is None or not {"rule", "status"} <= set(matched[1]):
                    continue
                args = matched[1]
                try:
                    found.setdefault(args["rule"], set()).add(status_key(args["status"]))
                except AssertionError:
                    continue  # an unknown outcome fails in its own scenario
    return found


def rules_lacking_scenarios(rule_ids: Iterable[str], features: Iterable[Feature]
                            ) -> dict[str, list[str]]:
    """Rule id -> the outcomes (``fail``, ``pass``) no scenario expects of it."""
    found = asserted_outcomes(features)
    lacking = {}
    for rule in rule_ids:
        missing = [s for s in ("fail", "pass") if s not in found.get(rule, set())]
        if missing:
            lacking[rule] = missing
    return lacking


# ----------------------------------------------------------------------------- example
Key = tuple[str, str, "str | None", str]


class ExampleError(InputError):
    """``expected-findings.yaml`` cannot be read as a list of expected findings."""


@dataclass
class ExampleResult:
    """The example's findings next to the expected ones."""

    #: reported by the tool, not expected: key and the finding's message
    unexpected: list[tuple[Key, Text]] = field(default_factory=list)
    #: expected, not reported
    missing: list[Key] = field(default_factory=list)
    #: expected findings of rules that do not exist
    unknown_rules: list[Key] = field(default_factory=list)
    #: rules with no ``fail`` finding in the example / none expected
    never_failing: list[str] = field(default_factory=list)
    not_designed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unexpected or self.missing or self.unknown_rules
                    or self.never_failing or self.not_designed)


def read_expected(path: Path) -> set[Key]:
    """The expected findings: ``{rule, subject, item, status}`` entries, no duplicates."""
    from ..yaml_source import PosList, read_document

    shown = str(path)

    def problem(line: int | None, en: str, zh: str) -> Problem:
        return Problem(file=shown, line=line, message=en, message_zh=zh, code="expected")

    entries, unreadable = read_document(path, positions=True)
    if unreadable:
        raise ExampleError(f"{shown}: unreadable", unreadable)
    if not isinstance(entries, list):
        raise ExampleError(f"{shown}: not a list", [problem(
            1, "must be a list of expected findings", "应为预期结论的列表")])
    keys: set[Key] = set()
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        line = entries.at(index)[0] if isinstance(entries, PosList) else None
        if not isinstance(entry, dict) or set(entry) != {"rule", "subject", "item", "status"}:
            problems.append(problem(line, "an entry has exactly rule, subject, item, status",
                                    "每条应正好有 rule、subject、item、status"))
            continue
        if entry["status"] not in ("fail", "insufficient_data"):
            problems.append(problem(line, "status is fail or insufficient_data",
                                    "status 应为 fail 或 insufficient_data"))
            continue
        key = (str(entry["rule"]), str(entry["subject"]),
               None if entry["item"] is None else str(entry["item"]), str(entry["status"]))
        if key in keys:
            problems.append(problem(line, "duplicate entry", "重复的条目"))
        keys.add(key)
    if problems:
        raise ExampleError(f"{shown}: {len(problems)} problem(s)", problems)
    return keys


def check_example(rules: RuleSet, facts_paths: Sequence[Path], expected_path: Path,
                  known_not_failing: Iterable[str] = ()) -> ExampleResult:
    """Evaluate the example and compare its findings with the expected ones."""
    from ..facts.load import load_facts
    from ..reports.evaluate import evaluate

    expected = read_expected(expected_path)
    report = evaluate(rules, load_facts(list(facts_paths), rules=rules))
    findings = {(f.rule, f.subject.id, f.item, f.status): Text(f.message.zh, f.message.en)
                for f in report.findings if f.status in ("fail", "insufficient_data")}
    rule_ids = {r.id for r in rules}
    excused = set(known_not_failing)
    result = ExampleResult()
    result.unexpected = sorted(((k, m) for k, m in findings.items() if k not in expected),
                               key=lambda km: repr(km[0]))
    result.unknown_rules = sorted((k for k in expected if k[0] not in rule_ids), key=repr)
    result.missing = sorted((k for k in expected - set(findings) if k[0] in rule_ids), key=repr)
    failing = {k[0] for k in findings if k[3] == "fail"}
    designed = {k[0] for k in expected if k[3] == "fail"}
    result.never_failing = sorted(rule_ids - failing - excused)
    result.not_designed = sorted(rule_ids - designed - excused)
    return result
