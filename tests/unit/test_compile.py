"""The compiler's general mechanisms for the catalogue's decided readings (1.1).

Each mechanism is checked where it is built (the DNF the compiler makes) and through the
engine on the smallest facts that show it. The outcome expected in each case is the
catalogue's reading, written out here, not read from the compiler.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from fuling_compliance import evaluate, load_facts_data, load_rules
from fuling_compliance.calendar import day_number
from fuling_compliance.engine.run import MAX_DEFINITIONS_PER_RULESET
from fuling_compliance.rules.compile import (
    _between_bounds,
    _Env,
    _exists,
    _pseudos,
    compile_rule,
)
from fuling_compliance.rules.model import DatedValue, Parameter
from fuling_compliance.rules.schema import RuleContext

RULES = load_rules()
RULE_HEAD = """\
format: fuling-compliance/rules/v1
family: "3.4"
title: {zh: 测试, en: Test}
rules:
"""


def rules_from(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "rules.yaml"
    path.write_text(RULE_HEAD + body, encoding="utf-8")
    return load_rules(path)


def outcomes(rules: Any, doc: dict[str, Any], as_of: str = "2026-06-30T23:59:00+08:00"
             ) -> dict[tuple[str, str | None], str]:
    report = evaluate(rules, load_facts_data(doc), as_of, all_outcomes=True)
    return {(f.subject.id, f.item): f.status for f in report.findings}


# ----------------------------------------------------------------------------- reading 1
THREE_VALUED = """\
  - id: FIR-01
    clause: 3.4.2
    clause_text: 供电供气服务应建立首问负责制
    title: {zh: 测试, en: Test}
    severity: low
    subject: inquiries
    applies_when: {field: handed_over, eq: true}
    requires: [followed_up]
    fails_when: {field: resolved, eq: false}
    message: {zh: "{id}", en: "{id}"}
"""


def reading_1(applies: bool | None, known: bool, fails: bool | None) -> str:
    """Catalogue 1.1, reading 1, as the catalogue words it."""
    if applies is False:
        return "not_applicable"
    if applies is True and fails is True:
        return "fail"  # a definite violation, whatever else is unknown
    if fails is False and known:
        return "pass"  # nothing wrong, even when whether the rule applies is unknown
    return "insufficient_data"


def test_outcomes_for_every_combination_of_known_and_unknown(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, THREE_VALUED)
    combos = list(itertools.product((True, False, None), (True, None), (True, False, None)))
    doc = {"suppliers": [{"id": "S1"}], "inquiries": [
        {"id": f"Q{i}", "supplier_id": "S1", "handed_over": a, "followed_up": k,
         "resolved": None if x is None else not x} for i, (a, k, x) in enumerate(combos)]}
    got = outcomes(rules, doc)
    want = {(f"Q{i}", None): reading_1(a, k is not None, x) for i, (a, k, x) in enumerate(combos)}
    assert got == want


# ----------------------------------------------------------------------------- reading 2
def test_exists_over_a_where_is_three_valued() -> None:
    rule = RULES.get("OUT-02")
    ctx = RuleContext(rule)
    pseudos = _pseudos(rule, ctx, None, {})
    modes = sorted((p.alias, p.mode) for p in pseudos.values())
    assert modes == [("outlet", "t"), ("own_outlet", "t"), ("own_outlet", "u")]
    t, f, u = _exists("own_outlet", _Env(rule, ctx, None, {}, pseudos))
    unsure = next(n for n, p in pseudos.items() if p.mode == "u")
    assert t == {frozenset({("exists", "own_outlet")})}
    assert f == {frozenset({("none", "own_outlet"), ("none", unsure)})}
    assert u == {frozenset({("none", "own_outlet"), ("exists", unsure)})}


@pytest.mark.parametrize(("kinds", "expected"), [
    ((), "not_applicable"),
    (("own",), "pass"),
    (("own", None), "pass"),
    (("bank", None), "insufficient_data"),
    ((None,), "insufficient_data"),
    (("bank", "partner"), "fail"),
])
def test_an_outlet_of_unknown_kind_may_be_the_own_one(kinds: tuple[str | None, ...],
                                                      expected: str) -> None:
    doc = {"suppliers": [{"id": "S1"}], "areas": [{"id": "A1", "supplier_id": "S1"}],
           "outlets": [{"id": f"O{i}", "supplier_id": "S1", "area_id": "A1", "kind": k}
                       for i, k in enumerate(kinds)]}
    assert outcomes(RULES.select(["OUT-02"]), doc)[("A1", None)] == expected


# ----------------------------------------------------------------------------- reading 4
def test_a_comparison_over_bounds_holds_only_for_the_whole_range() -> None:
    booked, lo, hi = ("s", "booked"), ("s", "start__lo"), ("s", "start__hi")
    # booked - start >= 0, the start between lo and hi
    lit = ("cmp", "ge", ((booked, 1), (lo, -1)), 0)
    t, f, straddle = _between_bounds(lit, {lo: hi})
    assert t == {frozenset({("cmp", "ge", ((booked, 1), (hi, -1)), 0)})}  # after the latest
    assert f == {frozenset({("cmp", "lt", ((booked, 1), (lo, -1)), 0)})}  # before the earliest
    assert straddle == {frozenset({("cmp", "lt", ((booked, 1), (hi, -1)), 0),
                                   ("cmp", "ge", ((booked, 1), (lo, -1)), 0)})}


# ----------------------------------------------------------------------------- reading 5
def _literals(compiled: Any) -> str:
    return repr([d for _, _, d in compiled.definitions.values()])


def test_a_limit_of_zero_working_days_compares_days() -> None:
    rule = RULES.get("CMP-02")
    zero = rule.model_copy(update={"parameters": {"verify_days": rule.parameters[
        "verify_days"].model_copy(update={"value": 0})}})
    normal = compile_rule(rule, RuleContext(rule))
    compiled = compile_rule(zero, RuleContext(zero))
    assert "received_at__wds" in _literals(normal)
    assert "received_at__wds" not in _literals(compiled)
    assert "received_at__day" in _literals(compiled)


def test_a_limit_read_from_a_field_is_never_before_its_start() -> None:
    """LIM-01's limit may be 0 working days: late needs a later day too."""
    compiled = compile_rule(RULES.get("LIM-01"), RuleContext(RULES.get("LIM-01")))
    fails = [d for outcome, _, d in compiled.definitions.values() if outcome == "fail"]
    working = [d for d in fails if "completed_at__wde" in repr(d)]
    assert working and all("completed_at__day" in repr(d) for d in working)


# ----------------------------------------------------------------------------- reading 6
def test_a_contradicted_event_is_read_through_its_marker() -> None:
    compiled = compile_rule(RULES.get("CMP-02"), RuleContext(RULES.get("CMP-02")))
    assert "verified_at__unk" in compiled.fields["complaints"]
    plain = compile_rule(RULES.get("CMP-04"), RuleContext(RULES.get("CMP-04")))
    assert not any(f.endswith("__unk") for f in plain.fields["complaints"])


# ----------------------------------------------------------------------------- dated values
def dated(*pairs: tuple[str, int]) -> Parameter:
    return Parameter(values=[DatedValue(from_=dt.date.fromisoformat(d), value=v)
                             for d, v in pairs], unit="working_days", source="policy", note="n")


def test_the_value_in_force_at_a_date() -> None:
    p = dated(("2026-01-01", 10), ("2026-07-01", 5))
    assert [p.value_at(dt.date.fromisoformat(d)) for d in
            ("2025-06-01", "2026-01-01", "2026-06-30", "2026-07-01", "2027-01-01")] == \
        [10, 10, 10, 5, 5]
    assert p.value_at(None) is None
    assert dated(("2026-01-01", 3), ("2026-07-01", 3)).value_at(None) == 3
    plain = Parameter(value=4, unit="days", source="policy", note="n")
    assert plain.value_at(None) == plain.value_at(dt.date(2026, 1, 1)) == 4


def test_a_dated_parameter_compiles_one_branch_per_period() -> None:
    rule = RULES.get("CMP-04")
    two = rule.model_copy(update={"parameters": {"reply_days": dated(
        ("2026-01-01", 10), ("2026-07-01", 5))}})
    text = _literals(compile_rule(two, RuleContext(two)))
    boundary = day_number(dt.date(2026, 7, 1))
    assert f"'$lt': {{'received_at__day': {boundary}}}" in text
    assert f"'$gte': {{'received_at__day': {boundary}}}" in text
    # 10 and 5 working days: 20 and 10 half-steps of the working-day coordinate
    assert "{'$m': 'received_at__wds'}, '$r': 20}" in text
    assert "{'$m': 'received_at__wds'}, '$r': 10}" in text


# ----------------------------------------------------------------------------- size
def test_every_rule_stays_well_within_a_ruleset_chunk() -> None:
    """The readings add definitions; no rule may come near the engine's chunk size."""
    for c in RULES.compiled:
        assert len(c.definitions) <= MAX_DEFINITIONS_PER_RULESET // 4, c.rule.id


def test_dated_values_that_never_change_compile_as_one_value() -> None:
    rule = RULES.get("CMP-04")
    value = rule.parameters["reply_days"].value  # the rules' own: compared with it below
    assert isinstance(value, int)
    same = rule.model_copy(update={"parameters": {"reply_days": dated(
        ("2026-01-01", value), ("2026-07-01", value))}})
    plain = compile_rule(rule, RuleContext(rule))
    assert _literals(compile_rule(same, RuleContext(same))) == _literals(plain)
