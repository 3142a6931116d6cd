"""The Commission's assessment (clauses 6.2, 7): scorecards, score, ranking, commendation.

``SAMPLE`` is a small quarter with a model supplier (S1: only an ``info`` failure,
satisfied above both the commendation threshold and STF-05's minimum) and a poor one
(S2: below both); the renderer tests use it too (``from test_assess import
sample_report``). The thresholds are read from ``rules/`` (STF-05) and the assessment
policy, never written here: the survey numbers are placed around them.
:func:`check_counts` and :func:`check_scores` hold for any report and rule set
(``test_policy_change.py`` runs them on changed rules).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fuling_compliance import (
    FactSet,
    Report,
    RulesError,
    evaluate,
    load_facts,
    load_facts_data,
    load_rules,
)
from fuling_compliance.cli import app
from fuling_compliance.reports.assess import (
    Assessment,
    Period,
    assess,
    bundled_policy_path,
    family_of,
    load_policy,
    parse_period,
    quarter_of,
)
from fuling_compliance.reports.report import SEVERITY_ORDER

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
SUPERVISION = "023-72220000"
ITEMS = ["policies_laws", "statutory_obligations", "service_rules", "service_commitments",
         "complaint_rules", "accountability_rules", "outlet_hours", "service_phone",
         "supervision_phone"]

POLICY = load_policy()
#: the commendation's satisfaction threshold and STF-05's minimum, in percent
COMMEND = float(POLICY.commendation.min_satisfaction.value)
MIN_RESPONDENTS = int(POLICY.commendation.min_respondents.value)
STF05 = float(load_rules().get("STF-05").parameters["min_satisfaction"].value)
#: S1 is satisfied above both thresholds, S2 below both; S1's older survey has one
#: respondent too few for a commendation (and everyone satisfied)
S1_SATISFIED = min(200, math.ceil(2 * max(COMMEND, STF05)) + 2)
S2_SATISFIED = max(0, math.floor(min(COMMEND, STF05)) - 10)
FEW = max(1, MIN_RESPONDENTS - 1)

SAMPLE: dict[str, Any] = {
    "as_of": "2026-06-30T23:59:59+08:00",
    "commission": {"hotline": "023-72222222", "hotline_published": True,
                   "supervision_phone": SUPERVISION},
    "suppliers": [
        {"id": "S1", "name": "涪陵供电公司", "utility": "electricity", "hotline": "95598",
         "hotline_published": True, "hotline_accepts": ["enquiry", "help", "complaint"],
         "one_stop_info": ["scope", "procedures", "time_limits", "commitments",
                           "complaint_phone"],
         "service_systems": ["first_inquiry", "time_limited", "proxy", "personalised"]},
        {"id": "S2", "name": "涪陵燃气公司 | <b>燃气</b>", "utility": "gas", "hotline": None,
         "hotline_published": False, "hotline_accepts": ["enquiry"],
         "one_stop_info": ["scope"], "service_systems": None},
    ],
    "areas": [
        {"id": "A1", "supplier_id": "S1", "name": "敦仁街道"},
        {"id": "A1B", "supplier_id": "S1", "name": "江东街道"},
        {"id": "A2", "supplier_id": "S2", "name": "崇义街道"},
        {"id": "=A3", "supplier_id": "S2", "name": "李渡街道"},
    ],
    "outlets": [
        {"id": "O1", "supplier_id": "S1", "area_id": "A1", "name": "敦仁营业厅", "kind": "own",
         "transport_accessible": True, "signage_uniform": True, "signage_visible": True},
        {"id": "O1B", "supplier_id": "S1", "area_id": "A1B", "name": "江东银行代收点",
         "kind": "bank", "transport_accessible": True, "signage_uniform": True,
         "signage_visible": True},
        {"id": "O2", "supplier_id": "S2", "area_id": "A2", "name": "崇义代办点 <script>x</script>",
         "kind": "bank", "transport_accessible": None, "signage_uniform": False,
         "signage_visible": True},
    ],
    "outlet_days": [
        {"outlet_id": "O1", "date": "2026-06-01", "scheduled_open": "09:00",
         "opened_at": "08:55"},
        {"outlet_id": "O2", "date": "2026-06-01", "scheduled_open": "09:00", "opened_at": None},
    ],
    "disclosures": [
        {"supplier_id": "S1", "item": item, "published": True, "published_on": "2026-01-05",
         "channel": "官网", "value": SUPERVISION if item == "supervision_phone" else None}
        for item in ITEMS
    ],
    "surveys": [
        {"id": "V1", "supplier_id": "S1", "period_start": "2026-04-01",
         "period_end": "2026-06-30", "respondents": 200, "satisfied": S1_SATISFIED},
        {"id": "V0", "supplier_id": "S1", "period_start": "2025-10-01",
         "period_end": "2025-12-31", "respondents": FEW, "satisfied": FEW},
        {"id": "V2", "supplier_id": "S2", "period_start": "2026-04-01",
         "period_end": "2026-06-30", "respondents": 100, "satisfied": S2_SATISFIED},
    ],
    "assessments": [
        {"id": "AS1", "supplier_id": "S1", "date": "2026-05-10", "methods": ["records"],
         "score": 92, "published_on": "2026-05-20"},
        {"id": "AS2", "supplier_id": "S2", "date": "2026-05-12", "methods": ["records"],
         "score": 70, "published_on": "2026-05-20"},
    ],
}


@cache
def sample_facts() -> FactSet:
    return load_facts_data(SAMPLE)


@cache
def sample_report(all_outcomes: bool = True) -> Report:
    """The sample evaluated by the bundled rules (every outcome by default)."""
    return evaluate(load_rules(), sample_facts(), all_outcomes=all_outcomes)


@cache
def sample_assessment() -> Assessment:
    rules = load_rules()
    return assess(sample_report(), sample_facts(), families=rules.families)


# ----------------------------------------------------------------------------- scorecards
def test_family_of_follows_the_rule_files() -> None:
    families = ["1-6-7", "3.1", "3.2", "3.3", "3.4", "4-5"]
    assert family_of("3.1.1", families) == "3.1"
    assert family_of("3.4", families) == "3.4"
    assert family_of("3.4.2", families) == "3.4"
    assert family_of("5", families) == "4-5"
    assert family_of("6.2", families) == "1-6-7"
    assert family_of("7", families) == "1-6-7"
    assert family_of("3.9.1", []) == "3.9"
    assert family_of("8", []) == "8"


def check_counts(report: Report, a: Assessment) -> None:
    """Each scorecard's counts per family are the report's outcomes of its party (a
    supplier's duty on a record whose supplier is unknown: its open findings only, on a
    card of its own)."""
    ids = [f.id for f in a.families]
    Party = tuple[str, str | None]
    expected: Counter[tuple[Party, str, str]] = Counter()
    for f in report.findings:
        party = (f.responsible.type,
                 f.responsible.id if f.responsible.type == "supplier" else None)
        if party == ("supplier", None) and f.status not in ("fail", "insufficient_data",
                                                            "waived"):
            continue
        expected[(party, family_of(f.clause, ids), f.status)] += 1
    assert a.complete
    for card in [*a.suppliers, a.commission]:
        assert card is not None
        for fc in card.families:
            party = (card.party.type,
                     card.party.id if card.party.type == "supplier" else None)
            key = (party, fc.family)
            assert fc.passed == expected[(*key, "pass")]
            assert fc.failed == expected[(*key, "fail")]
            assert fc.unknown == expected[(*key, "insufficient_data")]
            assert fc.not_applicable == expected[(*key, "not_applicable")]
            assert fc.evaluated == fc.passed + fc.failed + fc.unknown


def test_counts_per_supplier_and_family_match_the_report() -> None:
    a = sample_assessment()
    check_counts(sample_report(), a)
    # the Commission's duties are never a supplier's
    s1 = a.supplier("S1")
    assert "1-6-7" not in [fc.family for fc in s1.families]
    assert a.commission is not None and a.commission.score is None


def check_scores(report: Report, a: Assessment, policy: Any = POLICY) -> None:
    """Each supplier's score is the policy's weighted compliance rate of its outcomes."""
    ids = [f.id for f in a.families]
    factor = float(policy.insufficient_data_factor.value)
    for card in a.suppliers:
        if card.party.id is None:  # findings whose supplier is unknown: shown, not scored
            assert card.score is None and card.rank is None
            continue
        total: dict[str, float] = Counter()
        lost: dict[str, float] = Counter()
        for f in report.findings:
            if f.responsible.type != "supplier" or f.responsible.id != card.party.id:
                continue
            weight = policy.severity_weights.of(f.severity)
            fam = family_of(f.clause, ids)
            if f.status != "not_applicable":
                total[fam] += weight
            lost[fam] += {"fail": weight, "insufficient_data": factor * weight}.get(f.status, 0)
        rates = {fam: 100 * (1 - lost[fam] / total[fam]) for fam in total if total[fam]}
        weights = {fam: policy.family_weight(fam) for fam in rates}
        # the score is the weighted mean of the family rates as shown (to 0.1)
        expected = sum(weights[f] * round(rates[f], 1) for f in rates) / sum(weights.values())
        assert card.score == pytest.approx(expected, abs=0.051)
        for fc in card.families:
            if fc.family in rates:
                assert fc.rate == pytest.approx(rates[fc.family], abs=0.05)


def test_score_is_the_weighted_compliance_rate() -> None:
    check_scores(sample_report(), sample_assessment())


def test_ranking_and_commendation() -> None:
    a = sample_assessment()
    s1, s2 = a.supplier("S1"), a.supplier("S2")
    assert a.ranking == ["S1", "S2"]
    assert (s1.rank, s2.rank) == (1, 2)
    assert s1.score is not None and s2.score is not None and s1.score > s2.score
    # S1 fails only an info rule (an area served by a bank outlet alone) and is satisfied
    # above the threshold in the period (the survey of 2025 Q4 lies outside it)
    assert s1.failed_by_severity == {"high": 0, "medium": 0, "low": 0, "info": 1}
    assert s1.satisfaction is not None
    assert (s1.satisfaction.surveys, s1.satisfaction.percent) == (
        1, round(S1_SATISFIED * 100 / 200, 1))
    assert s1.commendation is not None and s1.commendation.candidate
    assert a.commendation_candidates == ["S1"]
    assert s2.commendation is not None and not s2.commendation.candidate
    reasons = " ".join(m.en for m in s2.commendation.reasons)
    assert "above info" in reasons and f"{S2_SATISFIED:g}% below {COMMEND:g}%" in reasons
    assert s1.rectify == []  # info is not to be rectified
    assert {i.rule for i in s2.rectify} >= {"HOT-01", "OUT-01", "OUT-07", "STF-05"}
    assert all(i.status == "fail" and SEVERITY_ORDER[i.severity] >= SEVERITY_ORDER["low"]
               for i in s2.rectify)
    assert [i.severity for i in s2.rectify] == sorted(
        (i.severity for i in s2.rectify), key=lambda s: -SEVERITY_ORDER[s])
    assert {(i.rule, i.subject.id) for i in s2.supply_data} >= {("OUT-03", "O2")}
    assert all(i.status == "insufficient_data" for i in s2.supply_data)


def test_equal_scores_share_a_rank() -> None:
    twin = {**SAMPLE, "suppliers": [SAMPLE["suppliers"][0],
                                    {**SAMPLE["suppliers"][0], "id": "S9", "name": "双胞胎"}],
            "areas": [], "outlets": [], "outlet_days": [], "surveys": [], "assessments": [],
            "disclosures": [{**d, "supplier_id": s} for s in ("S1", "S9")
                            for d in SAMPLE["disclosures"]]}
    facts = load_facts_data(twin)
    a = assess(evaluate(load_rules(), facts, all_outcomes=True), facts)
    assert [(c.key, c.rank) for c in a.suppliers] == [("S1", 1), ("S9", 1)]
    assert a.supplier("S1").score == 100.0
    assert not a.supplier("S1").commendation.candidate  # type: ignore[union-attr]


def test_a_report_without_passes_gives_no_score_but_the_same_failures() -> None:
    full, partial = sample_assessment(), assess(sample_report(all_outcomes=False),
                                                sample_facts())
    assert not partial.complete and full.complete
    for card in partial.suppliers:
        assert card.score is None and card.rank is None
        assert all(fc.evaluated is None and fc.passed is None and fc.rate is None
                   for fc in card.families)
        other = full.supplier(card.key)
        assert card.failed_by_severity == other.failed_by_severity
        assert card.rectify == other.rectify
        assert card.commendation == other.commendation
    assert partial.ranking == []


def test_without_facts_nobody_is_a_candidate() -> None:
    a = assess(sample_report())
    assert a.commendation_candidates == []
    assert a.supplier("S1").name is None
    reasons = a.supplier("S1").commendation.reasons  # type: ignore[union-attr]
    assert any("survey" in m.en for m in reasons)


def test_period_default_and_given() -> None:
    assert quarter_of(dt.datetime(2026, 5, 9, 12, tzinfo=dt.UTC)) == Period(
        start=dt.date(2026, 4, 1), end=dt.date(2026, 5, 9), basis="quarter_of_as_of")
    # 2026-03-31 17:00 UTC is already 1 April in Chongqing
    assert quarter_of(dt.datetime(2026, 3, 31, 17, tzinfo=dt.UTC)).start == dt.date(2026, 4, 1)
    assert parse_period("2026Q4") == Period(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    assert parse_period("2026-04-01..2026-05-31").end == dt.date(2026, 5, 31)
    for bad in ("2026Q5", "2026-05-01..2026-04-01", "soon"):
        with pytest.raises(ValueError):
            parse_period(bad)
    a = assess(sample_report(), sample_facts(), period=parse_period("2025Q4"))
    s1 = a.supplier("S1").satisfaction
    assert s1 is not None and (s1.surveys, s1.respondents, s1.percent) == (1, FEW, 100.0)
    commendation = a.supplier("S1").commendation
    assert commendation is not None and not commendation.candidate  # too few respondents
    assert f"{FEW} respondents, fewer than {MIN_RESPONDENTS}" in commendation.reasons[0].en
    assert sample_assessment().period.basis == "quarter_of_as_of"


def test_assessment_json_round_trips() -> None:
    a = sample_assessment()
    data = json.loads(a.to_json())
    assert data["format"] == "fuling-compliance/assessment/v1"
    assert Assessment.model_validate(data) == a


# ----------------------------------------------------------------------------- policy
def test_bundled_policy_is_valid_and_names_the_rules_families() -> None:
    rules = load_rules()
    policy = load_policy(families=rules.families)
    assert set(policy.family_weights) == set(rules.families)
    for setting in [*(getattr(policy.severity_weights, s) for s in SEVERITY_ORDER),
                    *policy.family_weights.values()]:
        assert setting.note.strip()
    assert policy.commendation.max_failure_severity.value == "info"


def write_policy(tmp_path: Path, edit: Any) -> Path:
    text = edit(bundled_policy_path().read_text(encoding="utf-8"))
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **kwargs: Any) -> list[tuple[int | None, int | None, str | None, str]]:
    with pytest.raises(RulesError) as info:
        load_policy(path, **kwargs)
    return [(p.line, p.column, p.field, p.code) for p in info.value.problems]


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_policy_errors_are_positioned(tmp_path: Path) -> None:
    path = write_policy(tmp_path, lambda t: t.replace("  medium:\n    value: 2",
                                                      "  medium:\n    value: -2")
                        .replace("insufficient_data_factor:", "insufficent_data_factor:")
                        .replace("max_failure_severity:\n    value: info",
                                 "max_failure_severity:\n    value: tiny"))
    found = problems(path)
    by_field = {f: (line, col, code) for line, col, f, code in found}
    assert by_field["severity_weights.medium.value"] == (
        line_of(path, "value: -2"), 5, "greater_than_equal")
    assert by_field["insufficent_data_factor"][0] == line_of(path, "insufficent_data_factor")
    assert by_field["insufficent_data_factor"][2] == "unknown_key"
    assert by_field["commendation.max_failure_severity.value"][2] == "literal_error"
    assert "insufficient_data_factor" in by_field  # missing: reported at the document
    with pytest.raises(RulesError) as info:
        load_policy(path)
    assert "did you mean 'insufficient_data_factor'" in str(info.value)


def test_policy_family_must_exist(tmp_path: Path) -> None:
    path = write_policy(tmp_path, lambda t: t.replace('  "3.4":\n', '  "3.5":\n'))
    found = problems(path, families=load_rules().families)
    assert found == [(line_of(path, '"3.5":'), 3, "family_weights.3.5", "unknown_family")]
    with pytest.raises(RulesError) as info:
        load_policy(path, families=load_rules().families)
    assert "did you mean '3.4'" in str(info.value)


def test_policy_clause_must_exist(tmp_path: Path) -> None:
    path = write_policy(tmp_path, lambda t: t.replace('clauses: ["6.2", "7"]',
                                                      'clauses: ["6.2", "7.7"]'))
    assert problems(path) == [(line_of(path, "clauses:"), 18, "clauses.1", "unknown_clause")]


def test_policy_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    assert problems(path) == [(1, 1, None, "type")]


# ----------------------------------------------------------------------------- command
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(SAMPLE, ensure_ascii=False), encoding="utf-8")
    return path


def test_assess_command_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["assess", str(facts_file(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ranking"] == ["S1", "S2"]
    assert data["commendation_candidates"] == ["S1"]
    assert data["period"] == {"start": "2026-04-01", "end": "2026-06-30",
                              "basis": "quarter_of_as_of"}


def test_assess_command_html_markdown_and_period(tmp_path: Path) -> None:
    facts = facts_file(tmp_path)
    out = tmp_path / "a.html"
    result = CliRunner().invoke(app, ["assess", str(facts), "--output", str(out),
                                      "--period", "2026-04-01..2026-06-30"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "--period 2026-04-01..2026-06-30" in html and "--as-of 2026-06-30T23:59:59" in html
    assert "排名" in result.stderr
    md = CliRunner().invoke(app, ["assess", str(facts), "--format", "markdown", "--lang", "en"])
    assert md.exit_code == 0 and md.stdout.startswith("# Fuling District")


def test_assess_command_rejects_a_bad_policy_with_its_place(tmp_path: Path) -> None:
    policy = write_policy(tmp_path, lambda t: t.replace('  "3.4":\n', '  "3.5":\n'))
    result = CliRunner().invoke(app, ["assess", str(facts_file(tmp_path)),
                                      "--policy", str(policy)])
    assert result.exit_code == 2
    assert f"policy.yaml:{line_of(policy, '3.5')}:3" in result.stderr
    bad = CliRunner().invoke(app, ["assess", str(facts_file(tmp_path)), "--period", "later"])
    assert bad.exit_code == 2 and "period" in bad.stderr


@pytest.mark.skipif(not EXAMPLE.exists(), reason="examples/fuling-2026q2.yaml not there yet")
def test_example_quarter() -> None:
    rules = load_rules()
    facts = load_facts(EXAMPLE)
    a = assess(evaluate(rules, facts, all_outcomes=True), facts, families=rules.families)
    assert a.complete and len(a.ranking) == len(facts.suppliers) == 2
    assert all(c.score is not None and 0 <= c.score <= 100 for c in a.suppliers)
    assert a.period.start == dt.date(2026, 4, 1) and a.period.end == dt.date(2026, 6, 30)


def test_a_suppliers_duty_on_a_record_without_supplier_is_never_the_commissions() -> None:
    """CMP-01 still applies to an internal complaint without a supplier (catalogue 1.1,
    reading 6): its finding gets a card of its own, shown as an unknown supplier and
    never ranked, and the Commission's card stays the Commission's."""
    import yaml

    from fuling_compliance.reports.render.html import render_html

    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    major = next(c for c in doc["complaints"]
                 if c.get("major") and c.get("written_record") is False)
    doc["complaints"].append({**major, "id": "TS-NOBODY", "supplier_id": None})
    facts = load_facts_data(doc)
    report = evaluate(load_rules(), facts)
    orphan = [f for f in report.findings if f.subject.id == "TS-NOBODY"]
    assert orphan and all(f.supplier_id is None and f.responsible.type == "supplier"
                          for f in orphan)
    result = assess(report, facts)
    unknown = [c for c in result.suppliers if c.party.id is None]
    assert len(unknown) == 1 and unknown[0].key == "" and unknown[0].rank is None
    assert "" not in result.ranking
    assert result.commission is not None and result.commission.key == "commission"
    keys = [c.key for c in result.suppliers] + [result.commission.key]
    assert len(keys) == len(set(keys))
    page = render_html(report, "zh", assessment=result)
    assert page.count('id="card-commission"') == 1
    assert "企业未知" in page
