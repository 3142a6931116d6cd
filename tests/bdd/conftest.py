"""Step definitions for the Chinese feature files, shared by every feature.

Scenarios build fact sets from data tables through the public API
(:func:`fuling_compliance.load_facts_data`) and evaluate with
:func:`fuling_compliance.evaluate` — the path a user takes. Column headers are the
Chinese labels of :mod:`fuling_compliance.facts.labels` (or field keys), and those of
the fields the rules in use declare in YAML; an empty cell leaves the field out
(unknown, or "has not happened" for event timestamps); 是/否 are booleans; enumeration
values may be written with their Chinese labels; list cells are separated by 、 or
commas (``无``: an empty list). The rules are the bundled ones unless a scenario says
``假如 使用规则目录 "rules"、"examples/fields/rules"`` (folders relative to the
repository).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from fuling_compliance import Report, evaluate, load_facts_data, load_rules
from fuling_compliance.facts.fields import Fields
from fuling_compliance.facts.labels import (
    FALSE_WORDS,
    STATUS_LABELS,
    TRUE_WORDS,
    collection_for_label,
    value_for_label,
)

ROOT = Path(__file__).resolve().parents[2]

STEP_WORDS = ("假如", "假设", "假定", "当", "那么", "而且", "但是", "并且", "同时", "给定",
              "Given", "When", "Then", "And", "But")
_RULES = None


def bundled_rules() -> Any:
    global _RULES
    if _RULES is None:
        _RULES = load_rules()
    return _RULES


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    """Fail a scenario with no steps, or with a step-like line swallowed as description.

    ``给定`` is not a Gherkin keyword in zh-CN: a line starting with it becomes part of
    the description and the scenario would pass without checking anything.
    """
    if not scenario.steps:
        pytest.fail(f"scenario {scenario.name!r} has no steps")
    texts = [getattr(scenario, "description", "") or "", getattr(feature, "description", "")]
    rule = getattr(scenario, "rule", None)
    if rule is not None:
        texts.append(getattr(rule, "description", "") or "")
    for text in texts:
        for line in text.splitlines():
            if line.strip().startswith(STEP_WORDS):
                pytest.fail(f"scenario {scenario.name!r}: the line {line.strip()!r} looks like a "
                            "step but is part of a description (is its keyword valid?)")


class World:
    """What a scenario has built so far."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {}
        self.as_of: dt.datetime | None = None
        self.report: Report | None = None
        self.rules: Any = None


@pytest.fixture
def world() -> World:
    return World()


def _fields(world: World) -> Fields:
    """The fields in force: those of the rules the scenario uses."""
    fields: Fields = (world.rules or bundled_rules()).fields
    return fields


def _cell(fields: Fields, collection: str, field: str, text: str) -> Any:
    kinds = fields.kinds(collection)
    if field not in kinds:
        return text  # unknown columns are passed through (the loader warns)
    kind, _ = kinds[field]
    text = text.strip()
    if kind == "bool":
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        return text
    if kind == "list":
        if text == "无":  # an empty (known) list, as in the spreadsheet template
            return []
        return [fields.value_for_label(collection, field, v.strip())
                for v in re.split(r"[、,，]", text) if v.strip()]
    if kind == "enum":
        return fields.value_for_label(collection, field, text)
    if kind == "int":
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if kind == "number":
        return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else text
    if kind == "datetime":
        return text.replace(" ", "T") if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", text) \
            else text
    return text


def _records(in_force: Fields, collection: str, datatable: list[list[str]]
             ) -> list[dict[str, Any]]:
    header = datatable[0]
    fields = []
    for label in header:
        key = in_force.field_for_label(collection, label)
        if key is None:
            raise AssertionError(f"unknown column {label!r} for {collection}")
        fields.append(key)
    records = []
    for row in datatable[1:]:
        record: dict[str, Any] = {}
        for field, text in zip(fields, row, strict=True):
            if text.strip() == "":
                continue
            record[field] = None if text.strip() == "未知" else \
                _cell(in_force, collection, field, text)
        records.append(record)
    return records


@given(parsers.parse("有以下{label}："))
@given(parsers.parse("有以下{label}:"))
def given_records(world: World, label: str, datatable: list[list[str]]) -> None:
    collection = collection_for_label(label)
    assert collection is not None, f"unknown collection {label!r}"
    records = _records(_fields(world), collection, datatable)
    if collection == "commission":
        assert len(records) == 1, "区经济信息委 is one record"
        world.document["commission"] = records[0]
    else:
        world.document.setdefault(collection, []).extend(records)


@given(parsers.re(r'使用规则目录 (?P<folders>".+")$'))
def given_rules(world: World, folders: str) -> None:
    """The rules of these folders (relative to the repository), e.g. the bundled rules
    and an extension that declares fields: ``"rules"、"examples/fields/rules"``."""
    assert not world.document, "name the rules before the records (their fields apply)"
    paths = [ROOT / folder for folder in re.findall(r'"([^"]+)"', folders)]
    missing = [str(p) for p in paths if not p.exists()]
    assert not missing, f"no such rules folder: {missing}"
    world.rules = load_rules(paths)


@given(parsers.parse('评估时间为 "{moment}"'))
def given_as_of(world: World, moment: str) -> None:
    world.as_of = dt.datetime.fromisoformat(moment.replace(" ", "T"))


@when("进行合规检查")
def when_check(world: World) -> None:
    rules = world.rules or bundled_rules()
    facts = load_facts_data(world.document, rules=rules)
    world.report = evaluate(rules, facts, world.as_of, all_outcomes=True)


def _finding(world: World, rule: str, label: str, subject: str, item: str | None) -> Any:
    assert world.report is not None, "no check was run (missing 当 进行合规检查)"
    collection = collection_for_label(label)
    assert collection is not None, f"unknown subject type {label!r}"
    matches = [f for f in world.report.findings
               if f.rule == rule and f.subject.id == subject and f.item == item]
    assert matches, f"{rule} produced no outcome for {label} {subject!r} (item {item!r})"
    assert len(matches) == 1
    return matches[0]


def _status_key(label: str) -> str:
    for key, text in STATUS_LABELS.items():
        if label in (key, text):
            return key
    raise AssertionError(f"unknown outcome {label!r}")


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的结论为 "{status}"'))
def then_outcome(world: World, rule: str, label: str, subject: str, status: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    assert finding.status == _status_key(status), (
        f"{rule} on {subject}: expected {status}, got {STATUS_LABELS[finding.status]} "
        f"({finding.message.zh})")


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的 "{item}" 项结论为 "{status}"'))
def then_item_outcome(world: World, rule: str, label: str, subject: str, item: str,
                      status: str) -> None:
    finding = _finding(world, rule, label, subject, value_for_label(item))
    assert finding.status == _status_key(status), (
        f"{rule} on {subject}/{item}: expected {status}, got {STATUS_LABELS[finding.status]}")


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的说明包含 "{text}"'))
def then_message(world: World, rule: str, label: str, subject: str, text: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    assert text in finding.message.zh, f"{text!r} not in {finding.message.zh!r}"


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的责任方为 "{party}"'))
def then_responsible(world: World, rule: str, label: str, subject: str, party: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    expected = "commission" if party == "区经济信息委" else "supplier"
    assert finding.responsible.type == expected


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的 "{item}" 项说明包含 "{text}"'))
def then_item_message(world: World, rule: str, label: str, subject: str, item: str,
                      text: str) -> None:
    finding = _finding(world, rule, label, subject, value_for_label(item))
    assert text in finding.message.zh, f"{text!r} not in {finding.message.zh!r}"


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的证据 "{key}" 为 "{value}"'))
def then_evidence(world: World, rule: str, label: str, subject: str, key: str,
                  value: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    assert key in finding.evidence, f"no evidence {key!r} in {sorted(finding.evidence)}"
    shown = finding.evidence[key]
    shown = "未知" if shown is None else ("是" if shown is True else "否" if shown is False
                                        else str(shown))
    assert shown == value, f"evidence {key!r} is {shown!r}, expected {value!r}"
