"""``explain``: the outcome it states is the engine's, and its account agrees with it.

The account walks the rule in plain Python; the outcome is durable_rules'. For every
rule, every subject and every item of the example data, of a small set of edge cases
built here and of a generated quarter full of violations and unknowns, the walk must
reach the outcome ``check`` reports.

The edge cases were designed around a late-arrival grace of 0 minutes and a
verification limit of 3 working days: the tests of what the account says use rules with
those values set here (:data:`DESIGNED`, test inputs rather than the policy), so a change
of the policy in ``rules/`` does not change them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_oracle_agreement import bench_module

from fuling_compliance import FactSet, RuleSet, evaluate, load_facts, load_facts_data, load_rules
from fuling_compliance.cli import app
from fuling_compliance.reports.explain import Walker, explain

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
RULES = load_rules()


def with_parameters(rules: RuleSet, values: dict[str, Any]) -> RuleSet:
    """The rules with some parameter values replaced (``{"VIS-02.late_grace_minutes": 0}``)."""
    changed = []
    for rule in rules:
        mine = {k.split(".")[1]: v for k, v in values.items() if k.split(".")[0] == rule.id}
        if mine:
            params = {name: p.model_copy(update={"value": mine[name]}) if name in mine else p
                      for name, p in rule.parameters.items()}
            assert set(mine) <= set(params), f"{rule.id} has no parameter {set(mine) - set(params)}"
            rule = rule.model_copy(update={"parameters": params})
        changed.append(rule)
    return dataclasses.replace(rules, rules=tuple(changed))


#: the rules with the parameter values the edge cases were designed around
DESIGNED = with_parameters(RULES, {"VIS-02.late_grace_minutes": 0, "CMP-02.verify_days": 3})

S1 = {"id": "S1", "name": "供电公司", "hotline": "95598", "hotline_published": True,
      "hotline_accepts": ["enquiry", "complaint"], "one_stop_info": [],
      "service_systems": None}
#: edge cases: unknowns, empty lists, missing and multiple related records, holidays
EDGE: dict[str, Any] = {
    "as_of": "2026-05-08T18:00:00+08:00",
    "commission": {"hotline": "12345", "hotline_published": None,
                   "supervision_phone": "023-7222 1234"},
    "suppliers": [S1, {"id": "S2", "hotline": "", "hotline_published": False}],
    "areas": [{"id": "A1", "supplier_id": "S1"}, {"id": "A2", "supplier_id": "S1"},
              {"id": "A3", "supplier_id": "S2"}],
    "outlets": [
        {"id": "O1", "supplier_id": "S1", "area_id": "A1", "kind": "bank",
         "transport_accessible": None, "signage_uniform": False, "signage_visible": None},
        {"id": "O2", "supplier_id": "S1", "area_id": "A1", "kind": None},
        {"id": "O3", "supplier_id": "S2", "area_id": "A3", "kind": "own",
         "transport_accessible": True, "signage_uniform": True, "signage_visible": True}],
    "outlet_days": [
        {"outlet_id": "O1", "date": "2026-05-06", "scheduled_open": "08:30",
         "opened_at": "08:30"},
        {"outlet_id": "O1", "date": "2026-05-07", "scheduled_open": "08:30",
         "opened_at": "08:31"},
        {"outlet_id": "O3", "date": "2026-05-09", "scheduled_open": None, "opened_at": "09:00"},
        {"outlet_id": "O3", "date": "2026-05-11"}],
    "outlet_inspections": [{"id": "I1", "outlet_id": "O1", "safe": None, "clean": False}],
    "staff": [
        {"id": "P1", "supplier_id": "S1", "role": "counter", "trained": True, "certified": True,
         "certificate_valid_until": "2026-05-06"},
        {"id": "P2", "supplier_id": "S1", "role": "other", "trained": False},
        {"id": "P3", "supplier_id": "S2", "customer_facing": True, "trained": None}],
    "staff_checks": [
        {"id": "K1", "staff_id": "P1", "at": "2026-05-06T10:00:00+08:00", "uniform": True,
         "badge": False, "id_card": None},
        {"id": "K2", "staff_id": "P1", "at": "2026-05-07T10:00:00+08:00", "uniform": None,
         "badge": False, "id_card": False},
        {"id": "K3", "staff_id": "P3", "at": "2026-05-07T10:00:00+08:00", "badge": True}],
    "appointments": [
        {"id": "V1", "supplier_id": "S1", "booked_at": "2026-05-06T08:00:00+08:00",
         "scheduled_start": "2026-05-06T09:00:00+08:00", "arrived_at": "2026-05-06T10:30:00+08:00",
         "status": "completed"},
        {"id": "V2", "supplier_id": "S1", "scheduled_start": "2026-05-08T17:00:00+08:00",
         "status": "scheduled"},
        {"id": "V3", "supplier_id": "S1", "booked_at": "2026-05-07T12:00:00+08:00",
         "scheduled_start": "2026-05-07T15:00:00+08:00", "status": "completed"},
        {"id": "V4", "supplier_id": "S2", "booked_at": "2026-05-07T09:00:00+08:00",
         "scheduled_start": "2026-05-09T09:00:00+08:00", "status": "scheduled"}],
    "appointment_changes": [
        {"id": "X1", "appointment_id": "V3", "at": "2026-05-06T09:00:00+08:00", "by": "supplier",
         "from_start": "2026-05-07T10:00:00+08:00", "to_start": "2026-05-07T15:00:00+08:00",
         "customer_notified_at": "2026-05-07T10:00:00+08:00", "customer_agreed": None},
        {"id": "X2", "appointment_id": "V4", "at": "2026-05-08T09:00:00+08:00",
         "by": "customer"}],
    "proxy_services": [{"id": "B1", "supplier_id": "S1", "customer_consent": None}],
    "disclosures": [
        {"supplier_id": "S1", "item": "supervision_phone", "published": True,
         "value": "(023) 7222-1234"},
        {"supplier_id": "S1", "item": "supervision_phone", "published": True, "value": "96777"},
        {"supplier_id": "S1", "item": "policies_laws", "published": None},
        {"supplier_id": "S2", "item": "service_phone", "published": True}],
    "business_services": [
        {"supplier_id": "S1", "business_type": "new", "procedure_published": True,
         "conditions_published": True, "time_limit": 3, "time_limit_unit": "working_days"},
        {"supplier_id": "S1", "business_type": "repair", "procedure_published": None,
         "conditions_published": True, "time_limit": 24, "time_limit_unit": "hours"},
        {"supplier_id": "S2", "business_type": "move", "time_limit": 2,
         "time_limit_unit": None}],
    "applications": [
        {"id": "Y1", "supplier_id": "S1", "business_type": "new",
         "submitted_at": "2026-04-30T16:00:00+08:00", "completed_at": "2026-05-08T09:00:00+08:00"},
        {"id": "Y2", "supplier_id": "S1", "business_type": "new",
         "submitted_at": "2026-04-29T16:00:00+08:00"},
        {"id": "Y3", "supplier_id": "S1", "business_type": "repair",
         "submitted_at": "2026-05-07T16:00:00+08:00"},
        {"id": "Y4", "supplier_id": "S2", "business_type": "move",
         "submitted_at": "2026-05-06T16:00:00+08:00"},
        {"id": "Y5", "supplier_id": "S2", "business_type": "unknown_kind"}],
    "inquiries": [
        {"id": "Q1", "supplier_id": "S1", "handed_over": True, "followed_up": None,
         "within_scope": False, "reason_explained": False}],
    "complaints": [
        {"id": "C1", "supplier_id": "S1", "concerns": "internal",
         "received_at": "2026-04-30T09:00:00+08:00", "verified_at": "2026-05-09T10:00:00+08:00",
         "substantiated": True, "major": True, "channel": "phone", "written_record": None},
        {"id": "C2", "supplier_id": "S1", "concerns": "internal",
         "received_at": "2026-05-06T09:00:00+08:00"},
        {"id": "C3", "concerns": "sector", "received_at": "2026-04-01T09:00:00+08:00"},
        {"id": "C4", "supplier_id": "S2", "concerns": None,
         "received_at": "2026-04-01T09:00:00+08:00"}],
    "surveys": [
        {"id": "M1", "supplier_id": "S1", "respondents": 10, "satisfied": 9},
        {"id": "M2", "supplier_id": "S1", "respondents": 0, "satisfied": 0},
        {"id": "M3", "supplier_id": "S2", "respondents": 100, "satisfied": 89}],
    "assessments": [
        {"id": "E1", "supplier_id": "S1", "date": "2026-03-01", "published_on": None},
        {"id": "E2", "supplier_id": "S1", "date": "2026-01-01", "published_on": "2026-02-15"}],
}


GENERATOR = ROOT / "benchmarks" / "generate.py"


def generated() -> FactSet:
    """A generated quarter with many violations and unknowns (benchmarks/generate.py)."""
    generate = bench_module("generate")
    return load_facts_data(generate.generate(800, seed=7, violation_rate=0.2, unknown_rate=0.2))


def fact_sets() -> list[Any]:
    sets = [pytest.param(lambda: load_facts_data(EDGE), id="edge-cases")]
    if EXAMPLE.is_file():
        sets.append(pytest.param(lambda: load_facts(EXAMPLE), id="example"))
    if GENERATOR.is_file():
        sets.append(pytest.param(generated, id="generated"))
    return sets


def outcomes(rules: RuleSet, facts: FactSet) -> dict[tuple[str, str, str | None], str]:
    report = evaluate(rules, facts, all_outcomes=True)
    return {(f.rule, f.subject.id, f.item): f.status for f in report.findings}


@pytest.mark.parametrize("make", fact_sets())
def test_the_account_reaches_the_engines_outcome_for_every_rule_and_subject(make: Any) -> None:
    facts = make()
    engine = outcomes(RULES, facts)
    walker = Walker(RULES, facts)
    differ = []
    judged = 0
    for rule in RULES:
        for record in facts.records(rule.subject):
            items: list[str | None] = list(rule.items) if rule.items else [None]
            for item in items:
                walked = walker.walk(rule, record, item).outcome
                expected = engine[(rule.id, record.record_id(), item)]
                judged += 1
                if walked != expected:
                    differ.append(f"{rule.id} {record.record_id()} {item}: engine {expected}, "
                                  f"explained {walked}")
    assert differ == []
    assert judged == len(engine)


def test_edge_cases_reach_every_outcome() -> None:
    """The edge cases are worth checking: they give every outcome, many rules each."""
    seen: dict[str, set[str]] = {}
    for (rule, _, _), status in outcomes(DESIGNED, load_facts_data(EDGE)).items():
        seen.setdefault(status, set()).add(rule)
    assert set(seen) == {"pass", "fail", "insufficient_data", "not_applicable"}
    assert all(len(rules) >= 5 for rules in seen.values())


# ----------------------------------------------------------------------------- content
def only(rule: str, subject: str, **kwargs: Any) -> Any:
    found = explain(DESIGNED, load_facts_data(EDGE), rule, subject, **kwargs)
    assert len(found) == 1
    assert found[0].agrees
    return found[0]


def test_late_visit_shows_the_arithmetic() -> None:
    e = only("VIS-02", "V1")
    assert e.engine_outcome == "fail"
    assert e.walk.fails.detail == ("约定上门时间 2026-05-06 09:00 + 0 分钟 = 2026-05-06 09:00；"
                                   "实际到达时间 2026-05-06 10:30 > 2026-05-06 09:00")
    text = e.render()
    assert "条款 3.2.4 原文：供电供气选择上门服务时不得迟到" in text
    assert "late_grace_minutes = 0 分钟（来源：政策设定）" in text
    assert "[是] 状态（status）为“已完成”（completed）" in text
    assert "结论：不合规（规则引擎的结论，与上面逐条推演一致）" in text
    english = only("VIS-02", "V1", lang="en").render()
    assert "Outcome: fail (the engine's" in english
    assert "scheduled_start 2026-05-06 09:00 + 0 minutes = 2026-05-06 09:00; " \
        "arrived_at 2026-05-06 10:30 > 2026-05-06 09:00" in english


def test_working_day_deadline_across_the_labour_day_holiday() -> None:
    e = only("CMP-02", "C1")
    assert e.engine_outcome == "fail"
    late = e.walk.fails.children[0]
    assert late.result == "true"
    # received Thu 30 April; 1-5 May are holidays: the 3rd working day is Fri 8 May, and
    # Sat 9 May is a make-up working day, so verifying on it is late
    assert "受理时间 2026-04-30 09:00 + 3 个工作日 = 2026-05-08（第 3 个工作日）" in late.detail
    assert "核实时间 2026-05-09 10:00（2026-05-09） > 2026-05-08" in late.detail


def test_not_applicable_and_unknown_are_explained() -> None:
    e = only("VIS-02", "V2")
    assert e.engine_outcome == "not_applicable"
    assert e.walk.applies is not None and e.walk.applies.result == "false"
    e = only("VIS-05", "X1")
    assert e.engine_outcome == "insufficient_data"
    assert [s.result for s in e.walk.requires] == ["unknown"]
    assert "[未知] 用户同意（customer_agreed）已知" in e.render()


def test_an_event_that_has_not_happened_is_empty_not_unknown() -> None:
    e = only("CMP-02", "C2")
    assert e.engine_outcome == "pass"
    late, overdue = e.walk.fails.children
    assert late.result == "false" and "核实时间 空" in late.detail
    assert overdue.result == "false"


def test_related_records_are_shown() -> None:
    e = only("DIS-06", "S1")
    assert e.engine_outcome == "fail"  # one of the two published numbers differs
    assert e.walk.combinations == 2
    assert len(e.walk.related["disclosure"]) == 2
    assert "（共判断了 2 种关联记录组合，取最严重的结论）" in e.render()
    e = only("OUT-01", "A2")
    assert e.engine_outcome == "fail"
    assert e.walk.fails.detail == "没有找到"


def test_items_are_explained_one_by_one() -> None:
    facts = load_facts_data(EDGE)
    all_items = explain(RULES, facts, "HOT-02", "S1")
    assert [(e.item, e.engine_outcome) for e in all_items] == [
        ("enquiry", "pass"), ("help", "fail"), ("complaint", "pass")]
    assert [e.item for e in explain(RULES, facts, "HOT-02", "S1", item="help")] == ["help"]
    with pytest.raises(KeyError):
        explain(RULES, facts, "HOT-02", "S1", item="fax")
    with pytest.raises(KeyError):
        explain(RULES, facts, "HOT-02", "S9")


def test_a_disagreement_is_said_not_hidden() -> None:
    e = only("VIS-02", "V1")
    wrong = type(e)(**{**e.__dict__, "engine_outcome": "pass"})
    assert not wrong.agrees
    assert "与引擎不一致" in wrong.render()
    assert wrong.to_dict()["agrees"] is False


# ----------------------------------------------------------------------------- command
@pytest.fixture(scope="module")
def edge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("facts") / "edge.json"
    # indented: a disclosure's derived id names its line
    path.write_text(json.dumps(EDGE, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_explain_command(edge_file: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["explain", str(edge_file), "--rule", "VIS-02", "--subject",
                                 "V1"])
    assert result.exit_code == 0, result.output
    grace = RULES.get("VIS-02").parameters["late_grace_minutes"].value  # the bundled rules'
    deadline = dt.datetime(2026, 5, 6, 9) + dt.timedelta(minutes=grace)
    assert f"约定上门时间 2026-05-06 09:00 + {grace} 分钟 = {deadline:%Y-%m-%d %H:%M}" \
        in result.stdout
    assert result.stderr == ""
    result = runner.invoke(app, ["explain", str(edge_file), "--rule", "VIS-02", "--subject",
                                 "V1", "--format", "json", "--lang", "en"])
    data = json.loads(result.stdout)
    assert (data["outcome"], data["agrees"]) == ("fail", True)
    assert data["parameters"]["late_grace_minutes"]["source"] == "policy"


@pytest.mark.parametrize(("args", "words"), [
    (["--rule", "VIS-2", "--subject", "V1"], "did you mean VIS-02"),
    (["--rule", "VIS-02", "--subject", "V9"], "no appointments record 'V9'"),
    (["--rule", "HOT-02", "--subject", "S1", "--item", "fax"], "has no item 'fax'"),
])
def test_explain_command_refuses_what_is_not_there(edge_file: Path, args: list[str],
                                                  words: str) -> None:
    result = CliRunner().invoke(app, ["explain", str(edge_file), *args, "--lang", "en"])
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output


IN_FORCE = """\
format: fuling-compliance/rules/v1
family: "4-5"
title: {zh: 测试, en: Test}
rules:
  - id: TST-01
    clause: "5"
    clause_text: 向投诉人回复
    title: {zh: 五月起须回复, en: Replies from May}
    severity: low
    subject: complaints
    effective_from: 2026-05-01
    effective_until: 2026-05-31
    fails_when: {absent: replied_at}
    message: {zh: "{id}", en: "{id}"}
"""


def test_a_rule_in_force_only_for_a_while(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(IN_FORCE, encoding="utf-8")
    rules = load_rules(tmp_path / "r.yaml")
    facts = load_facts_data({
        "as_of": "2026-06-30T12:00:00+08:00", "suppliers": [{"id": "S1"}],
        "complaints": [
            {"id": "C1", "supplier_id": "S1", "received_at": "2026-04-30T23:00:00+08:00"},
            {"id": "C2", "supplier_id": "S1", "received_at": "2026-05-31T23:00:00+08:00"},
            {"id": "C3", "supplier_id": "S1"}]})
    walker = Walker(rules, facts)
    walked = {r.record_id(): walker.walk(rules.get("TST-01"), r).outcome
              for r in facts.complaints}
    engine = {k[1]: v for k, v in outcomes(rules, facts).items()}
    assert walked == engine == {"C1": "not_applicable", "C2": "fail", "C3": "insufficient_data"}
    text = explain(rules, facts, "TST-01", "C1")[0].render()
    assert "是否在生效期内：否" in text
    assert "规则生效期间 2026-05-01 ~ 2026-05-31，按受理时间（received_at）判断" in text
