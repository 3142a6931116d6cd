"""Step definitions for the Chinese feature files, shared by every feature.

Scenarios build fact sets from data tables through the public API
(:func:`fuling_compliance.load_facts_data`) and evaluate with
:func:`fuling_compliance.evaluate` — the path a user takes. Column headers are the
Chinese labels of :mod:`fuling_compliance.facts.labels` (or field keys); an empty cell leaves
the field out (unknown, or "has not happened" for event timestamps); 是/否 are booleans;
enumeration values may be written with their Chinese labels; list cells are separated
by 、 or commas (``无``: an empty list).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from fuling_compliance import Report, evaluate, load_facts_data, load_rules
from fuling_compliance.facts.labels import (
    FALSE_WORDS,
    STATUS_LABELS,
    TRUE_WORDS,
    collection_for_label,
    field_for_label,
    value_for_label,
)
from fuling_compliance.facts.model import field_kinds

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
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

    def __init__(self, tmp_path: Path) -> None:
        self.document: dict[str, Any] = {}
        self.as_of: dt.datetime | None = None
        self.report: Report | None = None
        self.rules: Any = None
        self.facts: Any = None
        #: (rule id, parameter) -> the parameter's YAML for this scenario's rule set
        self.parameters: dict[tuple[str, str], dict[str, Any]] = {}
        self.tmp_path = tmp_path


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def _rules_with(world: World) -> Any:
    """The bundled rules with this scenario's parameters, loaded (and validated) from a
    copy of ``rules/`` — the bundled files are never changed."""
    target = world.tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    found: set[tuple[str, str]] = set()
    for path in sorted(target.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule in doc["rules"]:
            for name, param in (rule.get("parameters") or {}).items():
                change = world.parameters.get((rule["id"], name))
                if change is not None:
                    param.pop("value", None)
                    param.pop("values", None)
                    param.update(change)
                    found.add((rule["id"], name))
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    missing = set(world.parameters) - found
    assert not missing, f"no such rule parameter: {sorted(missing)}"
    return load_rules([target])


@given(parsers.parse('规则 "{rule}" 的参数 "{param}" 按日期取值：'))
@given(parsers.parse('规则 "{rule}" 的参数 "{param}" 按日期取值:'))
def given_dated_parameter(world: World, rule: str, param: str,
                          datatable: list[list[str]]) -> None:
    """Dated values for one parameter of a bundled rule, in this scenario only."""
    header, *rows = datatable
    assert [h.strip() for h in header] == ["起始日期", "取值"], header
    world.parameters[(rule, param)] = {"values": [
        {"from": dt.date.fromisoformat(day.strip()), "value": int(value)}
        for day, value in rows]}


@given(parsers.parse('规则 "{rule}" 的参数 "{param}" 取值为 {value:d}'))
def given_parameter(world: World, rule: str, param: str, value: int) -> None:
    """Another value for one parameter of a bundled rule, in this scenario only."""
    world.parameters[(rule, param)] = {"value": value}


def _cell(collection: str, field: str, text: str) -> Any:
    kinds = field_kinds(collection)
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
        return [value_for_label(v.strip()) for v in re.split(r"[、,，]", text) if v.strip()]
    if kind == "enum":
        return value_for_label(text)
    if kind == "int":
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if kind == "number":
        return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else text
    if kind == "datetime":
        return text.replace(" ", "T") if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", text) \
            else text
    return text


def _records(collection: str, datatable: list[list[str]]) -> list[dict[str, Any]]:
    header = datatable[0]
    fields = []
    for label in header:
        key = field_for_label(label)
        if key is None:
            raise AssertionError(f"unknown column {label!r} for {collection}")
        fields.append(key)
    records = []
    for row in datatable[1:]:
        record: dict[str, Any] = {}
        for field, text in zip(fields, row, strict=True):
            if text.strip() == "":
                continue
            record[field] = None if text.strip() == "未知" else _cell(collection, field, text)
        records.append(record)
    return records


@given(parsers.parse("有以下{label}："))
@given(parsers.parse("有以下{label}:"))
def given_records(world: World, label: str, datatable: list[list[str]]) -> None:
    collection = collection_for_label(label)
    assert collection is not None, f"unknown collection {label!r}"
    records = _records(collection, datatable)
    if collection == "commission":
        assert len(records) == 1, "区经济信息委 is one record"
        world.document["commission"] = records[0]
    else:
        world.document.setdefault(collection, []).extend(records)


@given(parsers.parse('评估时间为 "{moment}"'))
def given_as_of(world: World, moment: str) -> None:
    world.as_of = dt.datetime.fromisoformat(moment.replace(" ", "T"))


@when("进行合规检查")
def when_check(world: World) -> None:
    facts = load_facts_data(world.document)
    if world.parameters:
        world.rules = _rules_with(world)
    world.facts = facts
    world.report = evaluate(world.rules or bundled_rules(), facts, world.as_of,
                            all_outcomes=True)


@then(parsers.parse('事实数据有警告："{text}"'))
def then_warning(world: World, text: str) -> None:
    assert world.report is not None, "no check was run (missing 当 进行合规检查)"
    warnings = world.report.facts.warnings
    assert any(text in w for w in warnings), f"{text!r} not in the warnings {warnings}"


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
