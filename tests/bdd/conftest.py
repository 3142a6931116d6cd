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
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from fuling_compliance import (
    Diff,
    Report,
    WaiversError,
    apply_baseline,
    diff_reports,
    diff_rules,
    evaluate,
    load_facts_data,
    load_rules,
    load_waivers,
    load_waivers_data,
)
from fuling_compliance.facts.fields import Fields
from fuling_compliance.facts.labels import (
    FALSE_WORDS,
    STATUS_LABELS,
    TRUE_WORDS,
    collection_for_label,
    value_for_label,
)

ROOT = Path(__file__).resolve().parents[2]

RULES_DIR = ROOT / "rules"
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
        #: waivers given with 有以下豁免 (rows of a waiver file)
        self.waivers: list[dict[str, Any]] = []
        #: the previous period: collections that differ from the current ones, and as_of
        self.previous: dict[str, Any] = {}
        self.previous_as_of: dt.datetime | None = None
        self.diff: Diff | None = None
        #: a waiver file's text, and the problems it was rejected with
        self.waiver_text: str | None = None
        self.waiver_problems: list[Any] = []
        #: a draft rule set (the current rules with parameters changed)
        self.draft: Any = None


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
        if not isinstance(doc, dict) or "rules" not in doc:
            continue  # ruleset.yaml, fields files
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


def _waivers(world: World) -> Any:
    if not world.waivers:
        return None
    return load_waivers_data({"format": "fuling-compliance/waivers/v1",
                              "waivers": world.waivers}, world.rules or bundled_rules())


@when("进行合规检查")
def when_check(world: World) -> None:
    if world.parameters:
        world.rules = _rules_with(world)
    rules = world.rules or bundled_rules()
    facts = load_facts_data(world.document, rules=rules)
    world.facts = facts
    world.report = evaluate(rules, facts, world.as_of, all_outcomes=True,
                            waivers=_waivers(world))


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


# ----------------------------------------------------------------------------- rule subsets
@given(parsers.parse("只检查规则 {ids}"))
def given_only_rules(world: World, ids: str) -> None:
    """Evaluate only these rules (``"OUT-03"、"STF-05"``), so that counts are about them."""
    wanted = re.findall(r'"([^"]+)"', ids)
    rules = bundled_rules()
    known = {r.id for r in rules}
    assert wanted and set(wanted) <= known, f"unknown rule ids {sorted(set(wanted) - known)}"
    world.rules = rules.select(wanted)


# ----------------------------------------------------------------------------- waivers
#: the columns of 有以下豁免 -> the keys of a waiver (lists separated by 、)
WAIVER_COLUMNS = {"编号": "id", "规则": "rule", "对象": "subjects", "企业编号": "supplier_id",
                  "检查项": "items", "理由": "reason", "批准人": "approved_by",
                  "批准日期": "approved_on", "到期日期": "expires_on", "文号": "document"}
WAIVER_STATES = {"有效": "in_force", "已到期": "expired", "尚未生效": "not_yet_in_force"}
SEVERITY_WORDS = {"严重": "high", "一般": "medium", "轻微": "low", "提示": "info"}


@given("有以下豁免：")
@given("有以下豁免:")
def given_waivers(world: World, datatable: list[list[str]]) -> None:
    header = datatable[0]
    for label in header:
        assert label in WAIVER_COLUMNS, f"unknown waiver column {label!r}"
    for row in datatable[1:]:
        waiver: dict[str, Any] = {}
        for label, text in zip(header, row, strict=True):
            key, value = WAIVER_COLUMNS[label], text.strip()
            if not value:
                continue
            if key in ("subjects", "items"):
                waiver[key] = [value_for_label(v.strip()) for v in re.split(r"[、,，]", value)]
            elif key == "rule" and re.search(r"[、,，]", value):
                waiver[key] = [v.strip() for v in re.split(r"[、,，]", value)]
            else:
                waiver[key] = value
        world.waivers.append(waiver)


def _waiver_use(world: World, waiver_id: str) -> Any:
    assert world.report is not None and world.report.waivers is not None, "no waivers applied"
    uses = [w for w in world.report.waivers if w.id == waiver_id]
    assert uses, f"no waiver {waiver_id!r} in the report"
    return uses[0]


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的原结论为 "{status}"'))
def then_original_status(world: World, rule: str, label: str, subject: str, status: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    assert finding.status == "waived", f"{rule} on {subject} is {finding.status}, not waived"
    assert finding.original_status == _status_key(status)


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的豁免为 "{waiver_id}"，'
                    '理由包含 "{text}"'))
def then_waiver_of(world: World, rule: str, label: str, subject: str, waiver_id: str,
                   text: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    assert finding.waiver is not None, f"{rule} on {subject} has no waiver"
    assert finding.waiver.id == waiver_id and text in finding.waiver.reason
    shown = json.loads(world.report.to_json() if world.report else "{}")
    assert any(f["rule"] == rule and f["subject"]["id"] == subject
               and f.get("waiver", {}).get("id") == waiver_id for f in shown["findings"]), \
        "the waiver is not in the JSON report"


@then(parsers.parse('汇总中 "{status}" 有 {count:d} 项'))
def then_summary_count(world: World, status: str, count: int) -> None:
    assert world.report is not None
    key = _status_key(status)
    assert world.report.summary.get(key) == count
    assert sum(r.waived if key == "waived" else getattr(r, "pass_" if key == "pass" else key)
               for r in world.report.rules) == count


@then(parsers.parse('豁免 "{waiver_id}" 的状态为 "{state}"'))
def then_waiver_state(world: World, waiver_id: str, state: str) -> None:
    assert _waiver_use(world, waiver_id).state == WAIVER_STATES[state]


@then(parsers.parse('有关于豁免 "{waiver_id}" 的警告，包含 "{text}"'))
def then_waiver_warning(world: World, waiver_id: str, text: str) -> None:
    use = _waiver_use(world, waiver_id)
    assert use.warning is not None, f"no warning about {waiver_id}"
    assert text in use.warning.zh, f"{text!r} not in {use.warning.zh!r}"


@then("没有关于豁免的警告")
def then_no_waiver_warning(world: World) -> None:
    assert world.report is not None and world.report.waivers is not None
    assert world.report.waiver_warnings() == []


@then(parsers.parse('达到 "{severity}" 级别的不合规结论有 {count:d} 项'))
def then_failing_count(world: World, severity: str, count: int) -> None:
    assert world.report is not None
    failing = world.report.failing(SEVERITY_WORDS.get(severity, severity))
    assert len(failing) == count, [(f.rule, f.subject.id) for f in failing]


@then(parsers.parse('只计新增时，达到 "{severity}" 级别的不合规结论有 {count:d} 项'))
def then_new_failing_count(world: World, severity: str, count: int) -> None:
    assert world.report is not None
    failing = world.report.failing(SEVERITY_WORDS.get(severity, severity), new_only=True)
    assert len(failing) == count, [(f.rule, f.subject.id) for f in failing]


@given("有以下豁免文件：")
@given("有以下豁免文件:")
def given_waiver_file(world: World, docstring: str) -> None:
    world.waiver_text = docstring


@when("读取豁免文件")
def when_read_waivers(world: World, tmp_path: Any) -> None:
    assert world.waiver_text is not None
    path = tmp_path / "waivers.yaml"
    path.write_text(world.waiver_text + "\n", encoding="utf-8")
    try:
        load_waivers([path], world.rules or bundled_rules())
    except WaiversError as exc:
        world.waiver_problems = exc.problems
    else:
        world.waiver_problems = []


@then(parsers.parse('豁免文件被拒绝，第 {line:d} 行指出 "{text}"'))
def then_waiver_problem(world: World, line: int, text: str) -> None:
    assert world.waiver_problems, "the waiver file was accepted"
    found = [p for p in world.waiver_problems if p.line == line and p.column is not None
             and text in p.render("zh")]
    assert found, [p.render("zh") for p in world.waiver_problems]


# ----------------------------------------------------------------------------- over time
@given(parsers.parse('上期评估时间为 "{moment}"'))
def given_previous_as_of(world: World, moment: str) -> None:
    world.previous_as_of = dt.datetime.fromisoformat(moment.replace(" ", "T"))


@given(parsers.parse("上期有以下{label}："))
@given(parsers.parse("上期有以下{label}:"))
def given_previous_records(world: World, label: str, datatable: list[list[str]]) -> None:
    """The previous period's records of one collection; a collection not given for the
    previous period was the same as now."""
    collection = collection_for_label(label)
    assert collection is not None, f"unknown collection {label!r}"
    records = _records(_fields(world), collection, datatable)
    world.previous.setdefault(collection, []).extend(records)


def _previous_report(world: World) -> Report:
    document = {**world.document, **world.previous}
    rules = world.rules or bundled_rules()
    return evaluate(rules, load_facts_data(document, rules=rules), world.previous_as_of,
                    waivers=_waivers(world))


@when("对比上期与本期的检查结果")
def when_diff_periods(world: World) -> None:
    before = _previous_report(world)
    rules = world.rules or bundled_rules()
    after = evaluate(rules, load_facts_data(world.document, rules=rules), world.as_of,
                     waivers=_waivers(world))
    world.diff = diff_reports(before, after)
    world.report = after


@when("以上期结果为基线进行合规检查")
def when_check_with_baseline(world: World) -> None:
    before = _previous_report(world)
    when_check(world)
    assert world.report is not None
    world.report = apply_baseline(world.report, before)


@given(parsers.parse('规则草案把 "{rule}" 的参数 "{name}" 改为 {value:g}'))
def given_draft_parameter(world: World, rule: str, name: str, value: float) -> None:
    """A draft rule set: the current rules with one parameter changed."""
    from dataclasses import replace

    base = world.rules if world.rules is not None else bundled_rules()
    draft = world.draft or base
    old = draft.get(rule)
    assert name in old.parameters, f"{rule} has no parameter {name!r}: {sorted(old.parameters)}"
    param = old.parameters[name]
    number = int(value) if float(value).is_integer() and isinstance(param.value, int) else value
    changed = old.model_copy(update={"parameters": {
        **old.parameters, name: param.model_copy(update={"value": number})}})
    world.draft = replace(draft, rules=tuple(changed if r.id == rule else r
                                             for r in draft.rules))


@when("比较现行规则与规则草案的检查结果")
def when_diff_rules(world: World) -> None:
    draft = world.draft
    assert draft is not None, "no draft (missing 规则草案把 ...)"
    rules = world.rules or bundled_rules()
    facts = load_facts_data(world.document, rules=rules)
    world.diff = diff_rules(rules, draft, facts, world.as_of)


CHANGE_WORDS = {"新增": "new", "已消除": "resolved", "仍存在": "persisting"}


def _diff(world: World) -> Diff:
    assert world.diff is not None, "no comparison was made"
    return world.diff


@then(parsers.parse('对比结果中 规则 "{rule}" 对 {label} "{subject}" 为 "{change}"'))
def then_change_of(world: World, rule: str, label: str, subject: str, change: str) -> None:
    diff = _diff(world)
    where = {name: [f for f in getattr(diff, name) if f.rule == rule and f.subject.id == subject]
             for name in CHANGE_WORDS.values()}
    found = [name for name, hits in where.items() if hits]
    assert found == [CHANGE_WORDS[change]], f"{rule} {subject}: in {found or 'no list'}"


@then(parsers.parse('对比结果中 规则 "{rule}" 对 {label} "{subject}" 由 "{before}" 变为 '
                    '"{after}"'))
def then_change_status(world: World, rule: str, label: str, subject: str, before: str,
                       after: str) -> None:
    hits = [f for f in _diff(world).persisting if f.rule == rule and f.subject.id == subject]
    assert hits, f"{rule} {subject} is not persisting"
    assert (hits[0].previous_status, hits[0].status) == (_status_key(before), _status_key(after))


def _tally(tally: Any, new: int, resolved: int, persisting: int) -> None:
    assert (tally.new, tally.resolved, tally.persisting) == (new, resolved, persisting), tally


@then(parsers.parse("对比结果共有 新增 {new:d} 项、已消除 {resolved:d} 项、仍存在 "
                    "{persisting:d} 项"))
def then_diff_totals(world: World, new: int, resolved: int, persisting: int) -> None:
    diff = _diff(world)
    _tally(diff.summary, new, resolved, persisting)
    assert (len(diff.new), len(diff.resolved), len(diff.persisting)) == (new, resolved,
                                                                        persisting)


@then(parsers.parse('对比结果中 规则 "{rule}" 新增 {new:d} 项、已消除 {resolved:d} 项、仍存在 '
                    '{persisting:d} 项'))
def then_diff_rule(world: World, rule: str, new: int, resolved: int, persisting: int) -> None:
    hits = [t for t in _diff(world).by_rule if t.rule == rule]
    assert hits, f"{rule} is not in the counts per rule"
    _tally(hits[0], new, resolved, persisting)


@then(parsers.parse('对比结果中 企业 "{supplier}" 新增 {new:d} 项、已消除 {resolved:d} 项、'
                    '仍存在 {persisting:d} 项'))
def then_diff_supplier(world: World, supplier: str, new: int, resolved: int,
                       persisting: int) -> None:
    hits = [t for t in _diff(world).by_supplier if t.supplier_id == supplier]
    assert hits, f"{supplier} is not in the counts per supplier"
    _tally(hits[0], new, resolved, persisting)


@then(parsers.parse('规则 "{rule}" 对 {label} "{subject}" 的基线标记为 "{change}"'))
def then_baseline_mark(world: World, rule: str, label: str, subject: str, change: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    assert finding.baseline == CHANGE_WORDS[change], finding.baseline
