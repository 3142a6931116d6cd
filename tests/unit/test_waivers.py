"""Waivers: the file read like rule files, applied to reports, shown in every format.

Rule ids, items and severities are read from the bundled rules, never written here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fuling_compliance import (
    Report,
    RuleSet,
    WaiversError,
    apply_waivers,
    evaluate,
    load_facts,
    load_facts_data,
    load_report,
    load_rules,
    load_waivers,
    load_waivers_data,
)
from fuling_compliance.cli import app
from fuling_compliance.reports.assess import assess, bundled_policy_path, load_policy
from fuling_compliance.reports.render import render
from fuling_compliance.rules.waivers import WAIVERS_FORMAT, WaiverSet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
WAIVERS = ROOT / "examples" / "waivers-2026.yaml"
OUTLETS = ROOT / "rules" / "3.1-outlets.yaml"

#: a small quarter: O1 fails OUT-03, O2 has unknown transport (insufficient data), and
#: area A1 has only partner outlets (OUT-02 fails)
FACTS: dict[str, Any] = {
    "as_of": "2026-06-30T23:59:59+08:00",
    "suppliers": [{"id": "S1"}, {"id": "S2"}],
    "areas": [{"id": "A1", "supplier_id": "S1"}, {"id": "A2", "supplier_id": "S2"}],
    "outlets": [
        {"id": "O1", "supplier_id": "S1", "area_id": "A1", "kind": "partner",
         "transport_accessible": False},
        {"id": "O2", "supplier_id": "S1", "area_id": "A1", "kind": "partner"},
        {"id": "O3", "supplier_id": "S2", "area_id": "A2", "kind": "own",
         "transport_accessible": False},
    ],
}


@cache
def rules() -> RuleSet:
    return load_rules()


@cache
def outlet_rules() -> RuleSet:
    return load_rules([OUTLETS])


def waiver(**fields: Any) -> dict[str, Any]:
    base = {"id": "WV-1", "rule": "OUT-03", "subjects": ["O1"], "reason": "交通改善中",
            "approved_by": "区经济信息委 张某", "approved_on": "2026-03-01",
            "expires_on": "2026-12-31"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def waivers(*items: dict[str, Any]) -> WaiverSet:
    return load_waivers_data({"format": WAIVERS_FORMAT, "waivers": list(items)}, rules())


def report(waiver_set: WaiverSet | None = None, as_of: str | None = None,
           all_outcomes: bool = True) -> Report:
    return evaluate(outlet_rules(), load_facts_data(FACTS), as_of, all_outcomes=all_outcomes,
                    waivers=waiver_set)


def finding(r: Report, rule: str, subject: str) -> Any:
    return next(f for f in r.findings if f.rule == rule and f.subject.id == subject)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ----------------------------------------------------------------------------- reading
def test_the_example_waivers_load() -> None:
    loaded = load_waivers(WAIVERS)
    assert [w.id for w in loaded] == sorted(w.id for w in loaded)
    assert all(loaded.origins[w.id][0] == str(WAIVERS) for w in loaded)
    assert all(set(w.rules) <= {r.id for r in rules()} for w in loaded)


def test_every_problem_of_a_waiver_file_has_its_place(tmp_path: Path) -> None:
    ids = sorted(r.id for r in rules())
    with_items = next(r for r in rules() if r.items)
    without_items = next(r for r in rules() if not r.items)
    typo = ids[0].replace("-", "")
    path = tmp_path / "w.yaml"
    path.write_text(f"""\
format: {WAIVERS_FORMAT}
waivers:
  - id: WV-1
    rule: {typo}
    subjects: [X]
    reason: r
    approved_on: 2026-03-01
    expires_on: 2026-12-31
  - id: WV-2
    rule: [{with_items.id}, {without_items.id}]
    supplier_id: S1
    items: [{with_items.items[0]}x]
    reason: r
    approved_by: a
    approved_on: 2026-03-01
    expires_on: 2026-02-01
  - id: WV-3
    rule: {ids[0]}
    subjects: [X]
    reason: r
    approved_by: a
    approved_on: 2026-03-01
    expires_on: 2026-03-01
  - id: WV-1
    rule: {ids[0]}
    reason: r
    approved_by: a
    approved_on: 2026-03-01
    expires_on: 2026-04-01
""", encoding="utf-8")
    with pytest.raises(WaiversError) as caught:
        load_waivers(path, rules())
    found = caught.value.problems
    assert all(p.file == str(path) and p.column is not None for p in found)
    assert [(p.line, p.code) for p in found] == [
        (3, "missing"),          # WV-1 has no approved_by
        (4, "unknown_rule"),     # the typo, with the rule meant
        (12, "items"),           # one of WV-2's rules has no items
        (12, "items"),           # ... and the item is an item of none of them
        (16, "dates"),           # expires before it is approved
        (24, "duplicate"),       # WV-1 again (WV-3, approved and expiring the same day, is fine)
    ]
    problems = {(p.line, p.code): p for p in found}
    assert f"是否应为 {ids[0]!r}" in problems[(4, "unknown_rule")].render("zh")
    assert problems[(3, "missing")].record == "WV-1"
    assert problems[(3, "missing")].field == "approved_by"


def test_shape_problems_are_named_once(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(f"""\
format: {WAIVERS_FORMAT}
waivers:
  - id: WV-3
    rule: 5
    subjects: [X]
    reson: r
    approved_by: ""
    approved_on: 2026-03-01
""", encoding="utf-8")
    with pytest.raises(WaiversError) as caught:
        load_waivers(path, rules())
    found = sorted((p.line, p.field, p.code) for p in caught.value.problems)
    assert found == [
        (3, "expires_on", "missing"), (3, "reason", "missing"),
        (4, "rule", "type"),            # text or list: one problem, not one per branch
        (6, "reson", "unknown_key"), (7, "approved_by", "string_too_short")]
    reson = next(p for p in caught.value.problems if p.field == "reson")
    assert "'reason'" in reson.render("zh")


def test_another_kind_of_file_is_one_problem() -> None:
    with pytest.raises(WaiversError) as caught:
        load_waivers(EXAMPLE, rules())
    assert [(p.line, p.code) for p in caught.value.problems] == [(23, "format")]


def test_waivers_given_as_data_name_the_waiver_and_key() -> None:
    with pytest.raises(WaiversError) as caught:
        waivers(waiver(approved_by=None))
    [problem] = caught.value.problems
    assert (problem.line, problem.record, problem.field) == (None, "WV-1", "approved_by")


def test_a_rejected_waiver_file_exits_2_with_places(tmp_path: Path) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text(f"format: {WAIVERS_FORMAT}\nwaivers:\n  - id: WV-1\n    rule: OUT-03\n",
                   encoding="utf-8")
    code, out, err = invoke("check", str(EXAMPLE), "--waivers", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:3:5" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- applying
def test_a_waiver_in_force_waives_and_keeps_the_original_status() -> None:
    before = report()
    after = report(waivers(waiver(document="涪经信发〔2026〕12号")))
    f = finding(after, "OUT-03", "O1")
    assert (f.status, f.original_status) == ("waived", "fail")
    assert f.waiver is not None and (f.waiver.id, f.waiver.reason) == ("WV-1", "交通改善中")
    assert f.waiver.expires_on == dt.date(2026, 12, 31)
    # everything else is as it was, and the counts move from fail to waived
    others = [g for g in after.findings if g is not f]
    assert [g for g in before.findings if (g.rule, g.subject.id) != ("OUT-03", "O1")] == others
    assert after.summary.fail == before.summary.fail - 1 and after.summary.waived == 1
    out3 = next(r for r in after.rules if r.id == "OUT-03")
    assert (out3.fail, out3.waived) == (
        next(r for r in before.rules if r.id == "OUT-03").fail - 1, 1)
    assert sum(after.summary.get(s) for s in ("pass", "fail", "insufficient_data",
                                              "not_applicable", "waived")) == \
        sum(before.summary.get(s) for s in ("pass", "fail", "insufficient_data",
                                            "not_applicable"))
    assert f not in after.failing("info")
    [use] = after.waivers or []
    assert (use.state, use.findings, use.waived, use.warning) == ("in_force", 1, 1, None)


def test_insufficient_data_can_be_waived_and_pass_never_is() -> None:
    after = report(waivers(waiver(subjects=["O2", "O3"], supplier_id="S1")))
    f = finding(after, "OUT-03", "O2")
    assert (f.status, f.original_status) == ("waived", "insufficient_data")
    assert finding(after, "OUT-03", "O3").status == "fail"  # S2's outlet: not covered
    passing = [g for g in after.findings if g.status == "pass"]
    assert passing and all(g.waiver is None for g in passing)


def test_a_supplier_wide_waiver_covers_all_its_subjects_of_the_rule() -> None:
    after = report(waivers(waiver(subjects=None, supplier_id="S1")))
    assert {g.subject.id for g in after.findings if g.status == "waived"} == {"O1", "O2"}
    assert finding(after, "OUT-03", "O3").status == "fail"


@pytest.mark.parametrize(("as_of", "state"), [
    ("2026-12-31T23:59:59+08:00", "in_force"),
    ("2026-12-31T16:00:00+00:00", "expired"),    # 2027-01-01 00:00 in Chongqing
    ("2026-03-01T00:00:00+08:00", "in_force"),
    ("2026-02-28T23:59:59+08:00", "not_yet_in_force"),
])
def test_in_force_from_approval_to_expiry_in_chongqing_dates(as_of: str, state: str) -> None:
    after = report(waivers(waiver()), as_of=as_of)
    [use] = after.waivers or []
    assert use.state == state
    assert finding(after, "OUT-03", "O1").status == ("waived" if state == "in_force" else "fail")
    assert (use.warning is None) == (state == "in_force")


def test_warnings_say_why_a_waiver_does_nothing() -> None:
    after = report(waivers(waiver(id="WV-old", expires_on="2026-03-31"),
                           waiver(id="WV-none", subjects=["O9"]),
                           waiver(id="WV-later", approved_on="2026-07-01")))
    warnings = {u.id: u.warning for u in after.waivers or []}
    assert warnings["WV-old"] is not None and "2026-03-31" in warnings["WV-old"].zh
    assert "1 项结论按原结论报告" in warnings["WV-old"].zh
    assert warnings["WV-none"] is not None and "没有对应" in warnings["WV-none"].zh
    assert warnings["WV-later"] is not None and "尚未生效" in warnings["WV-later"].zh
    assert len(after.waiver_warnings()) == 3
    assert finding(after, "OUT-03", "O1").status == "fail"


def test_of_two_waivers_in_force_the_longer_is_named() -> None:
    after = report(waivers(waiver(id="WV-b", expires_on="2026-09-30"),
                           waiver(id="WV-a", expires_on="2027-06-30")))
    f = finding(after, "OUT-03", "O1")
    assert f.waiver is not None and f.waiver.id == "WV-a"
    assert {u.id: (u.findings, u.waived) for u in after.waivers or []} == {
        "WV-a": (1, 1), "WV-b": (1, 0)}


def test_items_narrow_a_waiver_to_some_items() -> None:
    rule = next(r for r in rules() if r.items and len(r.items) > 1)
    facts = load_facts(EXAMPLE)
    base = evaluate(rules().select([rule.id]), facts)
    failing = [f for f in base.findings if f.status in ("fail", "insufficient_data")]
    if not failing:
        pytest.skip(f"{rule.id} finds nothing in the example")
    target = failing[0]
    chosen = waivers(waiver(rule=rule.id, subjects=[target.subject.id], items=[target.item]))
    after = apply_waivers(base, chosen)
    waived = [f for f in after.findings if f.status == "waived"]
    assert [(f.subject.id, f.item) for f in waived] == [(target.subject.id, target.item)]


def test_applying_again_replaces_the_first_waivers() -> None:
    first = report(waivers(waiver()))
    again = apply_waivers(first, WaiverSet())
    plain = report()
    assert again.findings == plain.findings and again.summary == plain.summary
    assert again.rules == plain.rules and again.waivers == []


def test_a_report_without_waivers_has_no_new_keys() -> None:
    data = json.loads(report().to_json())
    assert "waivers" not in data and "baseline" not in data
    for f in data["findings"]:
        assert not {"original_status", "waiver", "baseline"} & set(f)


def test_a_waived_report_reads_back_the_same(tmp_path: Path) -> None:
    after = report(waivers(waiver()))
    path = tmp_path / "r.json"
    path.write_text(after.to_json(), encoding="utf-8")
    assert load_report(path) == after


# ----------------------------------------------------------------------------- exit codes
def _quarter(tmp_path: Path) -> tuple[Path, Path]:
    facts = tmp_path / "f.yaml"
    facts.write_text(json.dumps({**FACTS, "outlets": FACTS["outlets"][:1],
                                 "areas": FACTS["areas"][:1],
                                 "suppliers": FACTS["suppliers"][:1]}), encoding="utf-8")
    w = tmp_path / "w.yaml"
    w.write_text(json.dumps({"format": WAIVERS_FORMAT, "waivers": [
        waiver(rule=["OUT-02", "OUT-03"], subjects=["A1", "O1"])]}, ensure_ascii=False),
        encoding="utf-8")
    return facts, w


def test_waived_findings_do_not_set_the_exit_code(tmp_path: Path) -> None:
    facts, w = _quarter(tmp_path)
    assert invoke("check", str(facts), "--rules", str(OUTLETS), "--fail-on", "info")[0] == 1
    code, out, err = invoke("check", str(facts), "--rules", str(OUTLETS), "--fail-on", "info",
                            "--waivers", str(w))
    assert code == 0, err
    assert "已豁免" in out and "WV-1" in out and "交通改善中" in out
    assert "已豁免 2" in out


def test_the_cli_warns_about_waivers_that_do_not_apply(tmp_path: Path) -> None:
    facts, _ = _quarter(tmp_path)
    w = tmp_path / "old.yaml"
    w.write_text(json.dumps({"format": WAIVERS_FORMAT, "waivers": [
        waiver(expires_on="2026-04-30")]}), encoding="utf-8")
    code, _, err = invoke("check", str(facts), "--rules", str(OUTLETS), "--waivers", str(w))
    assert code == 1
    assert "警告：豁免 WV-1 已于 2026-04-30 到期" in err


# ----------------------------------------------------------------------------- formats
@pytest.fixture(scope="module")
def waived() -> Report:
    return report(waivers(waiver(document="涪经信发〔2026〕12号"),
                          waiver(id="WV-2", subjects=["O2"]),
                          waiver(id="WV-9", subjects=["O9"])))


def test_json_shows_the_waiver(waived: Report) -> None:
    data = json.loads(render(waived, "json"))
    f = next(f for f in data["findings"] if f["subject"]["id"] == "O1" and f["rule"] == "OUT-03")
    assert f["status"] == "waived" and f["original_status"] == "fail"
    assert f["waiver"] == {"id": "WV-1", "reason": "交通改善中", "approved_by": "区经济信息委 张某",
                           "expires_on": "2026-12-31", "document": "涪经信发〔2026〕12号"}
    assert data["summary"]["waived"] == 2
    assert [w["id"] for w in data["waivers"]] == ["WV-1", "WV-2", "WV-9"]


def test_html_lists_waived_findings_and_the_waivers(waived: Report) -> None:
    page = render(waived, "html")
    rows = re.findall(r'<tr data-status="waived"[^>]*data-subject="(\w+)"[^>]*>', page)
    assert sorted(rows) == ["O1", "O2"]
    assert not re.search(r'<tr data-status="waived"[^>]* hidden', page)  # shown at once
    assert 'data-count="waived"' in page and 'id="waivers-table"' in page
    assert "豁免 WV-1（原结论：不合规）：交通改善中" in page
    assert re.search(r'<li class="warn" data-waiver="WV-9">', page)


def test_markdown_lists_waived_findings(waived: Report) -> None:
    memo = render(waived, "markdown")
    assert "🟡 已豁免" in memo and "豁免 WV-2（原结论：数据不足）：交通改善中" in memo
    assert "## 豁免" in memo and "WV-9 没有对应" in memo


def test_csv_has_the_waiver_columns(waived: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render(waived, "csv")[1:], newline="")))
    o1 = next(r for r in rows if r["subject_id"] == "O1" and r["rule"] == "OUT-03")
    assert (o1["status"], o1["status_label"], o1["original_status"]) == ("waived", "已豁免",
                                                                          "fail")
    assert (o1["waiver_id"], o1["waiver_expires_on"]) == ("WV-1", "2026-12-31")
    plain = next(r for r in rows if r["status"] == "pass")
    assert plain["waiver_id"] == plain["original_status"] == ""


def test_junit_skips_waived_findings_with_the_waiver_in_the_message(waived: Report) -> None:
    root = ET.fromstring(render(waived, "junit", "en"))
    skipped = [(case.get("name"), case.find("skipped")) for case in root.iter("testcase")
               if case.find("skipped") is not None]
    assert sorted(name for name, _ in skipped) == ["outlet O1", "outlet O2"]
    for _, element in skipped:
        assert element is not None and "waiver WV-" in (element.get("message") or "")
    assert root.get("skipped") == "2"
    suite = next(s for s in root.iter("testsuite") if (s.get("name") or "").startswith("OUT-03"))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["waived"] == "2" and suite.get("skipped") == "2"


# ----------------------------------------------------------------------------- assessment
def _policy_with(tmp_path: Path, treatment: str) -> Any:
    text = bundled_policy_path().read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^(waived:\n  value: )\w+", rf"\g<1>{treatment}", text)
    assert changed != text or treatment == "exclude"
    path = tmp_path / "policy.yaml"
    path.write_text(changed, encoding="utf-8")
    return load_policy(path)


def test_assess_leaves_waived_findings_out_by_default(tmp_path: Path) -> None:
    facts = load_facts(EXAMPLE)
    ruleset = rules()
    plain = evaluate(ruleset, facts, all_outcomes=True)
    target = next(f for f in plain.findings if f.status == "fail"
                  and f.responsible.type == "supplier" and f.severity != "info")
    chosen = waivers(waiver(rule=target.rule, subjects=[target.subject.id]))
    with_waiver = apply_waivers(plain, chosen)
    base = assess(plain, facts)
    excluded = assess(with_waiver, facts)
    counted = assess(with_waiver, facts, _policy_with(tmp_path, "original"))
    party = target.responsible.id or ""
    assert excluded.supplier(party).score is not None
    assert (excluded.supplier(party).score or 0) > (base.supplier(party).score or 0)
    assert counted.supplier(party).score == base.supplier(party).score
    card = excluded.supplier(party)
    assert [i.waiver.id for i in card.waived if i.waiver] == ["WV-1"]
    assert all(i.subject.id != target.subject.id or i.rule != target.rule for i in card.rectify)
    assert [w.id for w in excluded.waivers] == ["WV-1"] and excluded.policy.waived == "exclude"
    assert counted.policy.waived == "original"


def test_a_bad_waived_setting_is_a_located_policy_problem(tmp_path: Path) -> None:
    from fuling_compliance import RulesError

    text = bundled_policy_path().read_text(encoding="utf-8")
    path = tmp_path / "policy.yaml"
    path.write_text(re.sub(r"(?m)^(waived:\n  value: )\w+", r"\g<1>ignore", text),
                    encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_policy(path)
    [problem] = caught.value.problems
    assert problem.field == "waived.value" and problem.line is not None


def test_assess_command_takes_waivers(tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    code, _, err = invoke("assess", str(EXAMPLE), "--waivers", str(WAIVERS), "--format", "json",
                          "--output", str(out))
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {w["id"] for w in data["waivers"]} == {
        w.id for w in load_waivers(WAIVERS) if w.approved_on <= dt.date(2026, 6, 30)
        <= w.expires_on}
    assert "警告：豁免" in err
