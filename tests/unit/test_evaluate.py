"""Evaluation as a whole: order independence, isolation, versions, calendars, memory."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import resource
import threading
from pathlib import Path
from typing import Any

import pytest

from fuling_compliance import (
    CalendarError,
    FactSet,
    Report,
    evaluate,
    load_facts,
    load_facts_data,
    load_rules,
)
from fuling_compliance.facts.model import COLLECTIONS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"


@pytest.fixture(scope="module")
def rules() -> Any:
    return load_rules()


@pytest.fixture(scope="module")
def example() -> FactSet:
    return load_facts(EXAMPLE)


def shuffled(facts: FactSet, seed: int) -> FactSet:
    rng = random.Random(seed)
    rows: dict[str, Any] = {}
    for name in COLLECTIONS:
        items = list(facts.rows(name))
        rng.shuffle(items)
        rows[name] = items
    return FactSet(rows, as_of=facts.as_of, warnings=facts.warnings)


def test_findings_do_not_depend_on_record_order(rules: Any, example: FactSet) -> None:
    base = evaluate(rules, example).to_json()
    for seed in (1, 2, 3):
        assert evaluate(rules, shuffled(example, seed)).to_json() == base


def test_findings_do_not_depend_on_file_split_or_order(rules: Any, tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    head = {k: v for k, v in doc.items() if k in ("as_of", "commission", "suppliers", "areas")}
    tail = {k: v for k, v in doc.items() if k not in head}
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(head, allow_unicode=True), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(tail, allow_unicode=True), encoding="utf-8")
    one = evaluate(rules, load_facts(EXAMPLE)).model_dump(exclude={"facts"})
    two = evaluate(rules, load_facts([tmp_path / "b.yaml", tmp_path / "a.yaml"]))
    assert two.model_dump(exclude={"facts"}) == one


def test_report_is_deterministic_and_sorted(rules: Any, example: FactSet) -> None:
    report = evaluate(rules, example)
    keys = [(f.rule, f.supplier_id or "", f.subject.id, f.item or "") for f in report.findings]
    assert keys == sorted(keys)
    assert evaluate(rules, example).to_json() == report.to_json()
    assert {f.status for f in report.findings} <= {"fail", "insufficient_data"}
    assert report.summary.get("fail") == sum(r.fail for r in report.rules)


def test_two_rule_sets_and_fact_sets_in_one_process(rules: Any, example: FactSet) -> None:
    small_rules = rules.select(["OUT-01", "VIS-02"])
    other = load_facts_data({"suppliers": [{"id": "S9"}], "areas": [
        {"id": "Z1", "supplier_id": "S9"}]}, name="other")
    full_first = evaluate(rules, example)
    small = evaluate(small_rules, other, "2026-06-30T00:00:00+08:00")
    full_again = evaluate(rules, example)
    assert full_first.to_json() == full_again.to_json()
    assert [(f.rule, f.subject.id) for f in small.findings] == [("OUT-01", "Z1")]


def test_evaluations_in_threads_do_not_interfere(rules: Any, example: FactSet) -> None:
    expected = evaluate(rules, example).to_json()
    small_rules = rules.select(["OUT-01"])
    other = load_facts_data({"suppliers": [{"id": "S9"}],
                             "areas": [{"id": "Z1", "supplier_id": "S9"}]})
    expected_small = evaluate(small_rules, other, "2026-06-30T00:00:00+08:00").to_json()
    results: list[tuple[str, str]] = []

    def worker(i: int) -> None:
        if i % 2:
            results.append(("full", evaluate(rules, example).to_json()))
        else:
            results.append(("small", evaluate(small_rules, other,
                                              "2026-06-30T00:00:00+08:00").to_json()))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    for kind, text in results:
        assert text == (expected if kind == "full" else expected_small)


def test_as_of_argument_overrides_the_facts(rules: Any, example: FactSet) -> None:
    early = evaluate(rules, example, "2026-04-01T00:00:00+08:00")
    assert early.as_of == dt.datetime(2026, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert early.to_json() != evaluate(rules, example).to_json()


def test_working_day_rule_outside_known_calendars_names_the_year(rules: Any) -> None:
    facts = load_facts_data({"suppliers": [{"id": "S1"}], "complaints": [
        {"id": "C1", "supplier_id": "S1", "concerns": "internal",
         "received_at": "2026-12-30T10:00:00"}]})
    with pytest.raises(CalendarError, match="2031"):
        evaluate(rules, facts, "2031-01-05T00:00:00+08:00")


def test_policy_staff_can_add_a_calendar_year(tmp_path: Path) -> None:
    import shutil

    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    (rules_dir / "calendar").mkdir(exist_ok=True)
    (rules_dir / "calendar" / "2027.yaml").write_text(
        "year: 2027\nholidays: [2027-01-01]\nworkdays: []\n", encoding="utf-8")
    custom = load_rules([rules_dir]).select(["CMP-04"])
    facts = load_facts_data({"suppliers": [{"id": "S1"}], "complaints": [
        {"id": "C1", "supplier_id": "S1", "concerns": "internal",
         "received_at": "2026-12-31T10:00:00"}]})
    # the reply limit (N working days) counted by hand from the next day, 2027-01-01: in
    # 2027 every weekday but 01-01, the holiday the YAML file adds, is a working day
    (limit,) = (p.value for p in custom.get("CMP-04").parameters.values())
    day, counted = dt.date(2026, 12, 31), 0
    while counted < limit:
        day += dt.timedelta(days=1)
        counted += day.weekday() < 5 and day != dt.date(2027, 1, 1)
    on_time = evaluate(custom, facts, f"{day}T23:59:00+08:00", all_outcomes=True)
    late = evaluate(custom, facts, f"{day + dt.timedelta(days=1)}T00:01:00+08:00",
                    all_outcomes=True)
    assert on_time.outcome("CMP-04", "C1") == "pass"
    assert late.outcome("CMP-04", "C1") == "fail"


def test_effective_dates_follow_each_records_own_date(rules: Any) -> None:
    rule = rules.get("VIS-02").model_copy(update={"effective_from": dt.date(2026, 6, 1)})
    versioned = type(rules)((rule,), rules.files, rules.version, rules.calendar)
    facts = load_facts_data({"suppliers": [{"id": "S1"}], "appointments": [
        {"id": "OLD", "supplier_id": "S1", "status": "completed",
         "scheduled_start": "2026-05-31T09:00:00", "arrived_at": "2026-05-31T10:00:00"},
        {"id": "NEW", "supplier_id": "S1", "status": "completed",
         "scheduled_start": "2026-06-01T09:00:00", "arrived_at": "2026-06-01T10:00:00"}]})
    report = evaluate(versioned, facts, "2026-06-30T00:00:00+08:00", all_outcomes=True)
    assert report.outcome("VIS-02", "OLD") == "not_applicable"
    assert report.outcome("VIS-02", "NEW") == "fail"


def test_memory_is_released_between_evaluations(rules: Any, example: FactSet) -> None:
    for _ in range(3):
        evaluate(rules, example)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(15):
        evaluate(rules, example)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000, f"peak RSS grew by {grown_kb} KB over 15 evaluations"


def test_report_json_round_trips(rules: Any, example: FactSet) -> None:
    report = evaluate(rules, example)
    assert Report.model_validate_json(report.to_json()) == report


def test_sharding_join_free_rules_does_not_change_findings(
    rules: Any, example: FactSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_module = importlib.import_module("fuling_compliance.engine.run")

    whole = evaluate(rules, example, all_outcomes=True).to_json()
    monkeypatch.setattr(run_module, "SESSION_SIZE", 7)
    assert evaluate(rules, example, all_outcomes=True).to_json() == whole
    sessions = {key: run_module.shards(key, example, 7) for key, _ in
                run_module.chunks(rules.compiled)}
    # both paths were exercised: several sessions for rules with and without joins
    assert any(len(s) > 1 for key, s in sessions.items() if key.related)
    assert any(len(s) > 1 for key, s in sessions.items() if not key.related)


def test_a_session_holding_only_a_related_record_is_skipped(rules: Any) -> None:
    """Only the commission: DIS-06 relates to it but has no supplier to judge.

    durable_rules aborted the process deleting such a session; it is not evaluated.
    """
    facts = load_facts_data({"suppliers": [], "commission": {
        "hotline": "12345", "hotline_published": True, "supervision_phone": "023-1"}})
    report = evaluate(rules, facts, "2026-06-30T00:00:00+08:00", all_outcomes=True)
    assert [(f.rule, f.status) for f in report.findings] == [("COM-01", "pass")]


def test_parallel_workers_give_the_same_report(rules: Any, example: FactSet) -> None:
    one = evaluate(rules, example, all_outcomes=True).to_json()
    assert evaluate(rules, example, all_outcomes=True, workers=2).to_json() == one


def test_errors_cross_the_process_boundary(rules: Any) -> None:
    import pickle

    error = pickle.loads(pickle.dumps(CalendarError(2031, "as_of 2031-01-05")))
    assert error.year == 2031 and "2031" in str(error)
    facts = load_facts_data({"suppliers": [{"id": "S1"}], "complaints": [
        {"id": "C1", "supplier_id": "S1", "concerns": "internal",
         "received_at": "2031-01-02T10:00:00"}]})
    with pytest.raises(CalendarError, match="2031"):
        evaluate(rules, facts, "2026-06-30T00:00:00+08:00", workers=2)
