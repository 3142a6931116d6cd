"""Findings over time: two reports compared, a baseline in a check, a draft rule set.

The two example quarters (``examples/fuling-2026q1.yaml`` then ``fuling-2026q2.yaml``,
with ``examples/waivers-2026.yaml``) were written so that some findings are resolved,
some persist and the rest are new; the expectations below come from that design (the
Q1 file's header), not from the tool's output.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
from functools import cache
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from fuling_compliance import (
    Report,
    ReportError,
    apply_baseline,
    diff_reports,
    diff_rules,
    evaluate,
    load_facts,
    load_report,
    load_rules,
    load_waivers,
)
from fuling_compliance.cli import app
from fuling_compliance.reports.diff import Diff, fingerprint
from fuling_compliance.reports.render.diff import render_diff

ROOT = Path(__file__).resolve().parents[2]
Q1 = ROOT / "examples" / "fuling-2026q1.yaml"
Q2 = ROOT / "examples" / "fuling-2026q2.yaml"
WAIVERS = ROOT / "examples" / "waivers-2026.yaml"
RULES = ROOT / "rules"


@cache
def quarter(path: Path) -> Report:
    rules = load_rules()
    return evaluate(rules, load_facts(path), waivers=load_waivers(WAIVERS, rules))


@cache
def example_diff() -> Diff:
    return diff_reports(quarter(Q1), quarter(Q2))


def listed(diff: Diff, change: str) -> dict[str, tuple[str | None, str]]:
    return {f.fingerprint: (f.previous_status, f.status) for f in getattr(diff, change)}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def written(tmp_path: Path, report: Report, name: str) -> Path:
    path = tmp_path / name
    path.write_text(report.to_json(), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- matching
@pytest.mark.features  # the example quarters' design follows the policy in rules/
def test_the_example_quarters_resolve_persist_and_add_as_designed() -> None:
    diff = example_diff()
    resolved, persisting, new = (listed(diff, c) for c in ("resolved", "persisting", "new"))
    assert {"SYS-01/supplier/fl-power/personalised", "OUT-04/outlet/gs-o01",
            "DIS-04/supplier/fl-power/complaint_rules", "CMP-02/complaint/TS-P90",
            "VIS-02/appointment/SM-P90", "STF-05/survey/MY-G-2026Q1"} <= set(resolved)
    assert persisting["OUT-03/outlet/pw-o04"] == ("fail", "fail")
    assert persisting["OUT-04/outlet/pw-o05"] == ("waived", "fail")   # its waiver expired
    assert persisting["OUT-02/area/gs-linshi"] == ("fail", "waived")  # waived from Q2 on
    assert persisting["OUT-02/area/pw-longtan"] == ("waived", "waived")
    assert persisting["STF-01/staff/P-008"] == ("insufficient_data", "insufficient_data")
    assert {"OUT-01/area/gs-nantuo", "OUT-03/outlet/pw-o07", "STF-01/staff/P-009"} <= set(new)
    assert all(prev is None for prev, _ in [*resolved.values(), *new.values()])


def test_counts_add_up() -> None:
    diff = example_diff()
    s = diff.summary
    assert (s.new, s.resolved, s.persisting) == (len(diff.new), len(diff.resolved),
                                                 len(diff.persisting))
    for tallies in (diff.by_rule, diff.by_supplier):
        assert sum(t.new for t in tallies) == s.new
        assert sum(t.resolved for t in tallies) == s.resolved
        assert sum(t.persisting for t in tallies) == s.persisting
    by_rule = {t.rule: t for t in diff.by_rule}
    for change in ("new", "resolved", "persisting"):
        for f in getattr(diff, change):
            assert getattr(by_rule[f.rule], change) > 0
    assert [t.rule for t in diff.by_rule] == sorted(by_rule)


def test_only_open_findings_are_compared_and_each_is_listed_once() -> None:
    diff = example_diff()
    prints = [f.fingerprint for c in ("new", "resolved", "persisting") for f in getattr(diff, c)]
    assert len(prints) == len(set(prints))
    assert {f.status for c in ("new", "resolved", "persisting") for f in getattr(diff, c)} <= {
        "fail", "insufficient_data", "waived"}
    assert all(f.fingerprint == fingerprint(f) for f in diff.new)


def test_findings_are_matched_by_fingerprint_not_position() -> None:
    before, after = quarter(Q1), quarter(Q2)
    shuffled = after.findings[:]
    random.Random(7).shuffle(shuffled)
    again = diff_reports(before, after.model_copy(update={"findings": shuffled}))
    assert again == example_diff()


def test_a_report_against_itself_is_all_persisting() -> None:
    report = quarter(Q2)
    diff = diff_reports(report, report)
    assert diff.summary.new == diff.summary.resolved == 0
    assert diff.summary.persisting == sum(1 for f in report.findings
                                          if f.status in ("fail", "insufficient_data",
                                                          "waived"))


def test_the_diff_json_passes_its_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "diff.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(example_diff().to_json())
    assert data["format"] == "fuling-compliance/diff/v1"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []
    data["summary"]["added"] = 1
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) != []


def test_a_report_with_waivers_and_baseline_passes_the_report_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    data = json.loads(apply_baseline(quarter(Q2), quarter(Q1)).to_json())
    assert data["waivers"] and data["baseline"]
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []


# ----------------------------------------------------------------------------- formats
def test_markdown_and_html_show_the_three_lists() -> None:
    diff = example_diff()
    memo = render_diff(diff, "markdown", "zh")
    for label, n in (("新增", diff.summary.new), ("已消除", diff.summary.resolved),
                     ("仍存在", diff.summary.persisting)):
        assert f"## {label}（{n}）" in memo
    assert "🟡 已豁免 → 🔴 不合规" not in memo  # the earlier status is shown as a word
    assert re.search(r"\| `OUT-04` \| fl-power \| 服务网点 pw-o05 \| 已豁免 → 🔴 不合规 \|", memo)
    page = render_diff(diff, "html", "en")
    assert page.count('data-fingerprint="') == diff.summary.new + diff.summary.resolved + \
        diff.summary.persisting
    assert "<script" not in page and "default-src 'none'" in html.unescape(page)


# ----------------------------------------------------------------------------- reading
def test_a_report_reads_back_equal(tmp_path: Path) -> None:
    report = quarter(Q2)
    assert load_report(written(tmp_path, report, "q2.json")) == report


def test_an_unusable_report_is_a_located_problem(tmp_path: Path) -> None:
    data = json.loads(quarter(Q2).to_json())
    data["findings"][2]["status"] = "failed"
    bad = tmp_path / "bad.json"
    text = json.dumps(data, ensure_ascii=False, indent=2)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load_report(bad)
    [problem] = caught.value.problems
    line = text[:text.index('"status": "failed"')].count("\n") + 1
    assert (problem.file, problem.line, problem.field) == (str(bad), line, "findings.2.status")

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "fuling-compliance/report/v1",\n "as_of": ,}', encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load_report(broken)
    assert [(p.line, p.code) for p in caught.value.problems] == [(2, "syntax")]

    with pytest.raises(ReportError) as caught:
        load_report(Q1)
    assert "fuling-compliance/facts/v1" in caught.value.problems[0].message


# ----------------------------------------------------------------------------- baseline
def test_a_baseline_marks_each_open_finding() -> None:
    marked = apply_baseline(quarter(Q2), quarter(Q1))
    diff = example_diff()
    new = {f.fingerprint for f in diff.new}
    for f in marked.findings:
        if f.status in ("fail", "insufficient_data", "waived"):
            assert f.baseline == ("new" if fingerprint(f) in new else "persisting")
        else:
            assert f.baseline is None
    assert marked.baseline is not None
    assert (marked.baseline.new, marked.baseline.persisting, marked.baseline.resolved) == (
        diff.summary.new, diff.summary.persisting, diff.summary.resolved)
    assert marked.baseline.as_of == quarter(Q1).as_of
    assert {f.fingerprint for f in diff.new if f.status == "fail"} == {
        fingerprint(f) for f in marked.failing("info", new_only=True)}
    with pytest.raises(ValueError, match="baseline"):
        quarter(Q2).failing(new_only=True)


def test_check_with_a_baseline(tmp_path: Path) -> None:
    q2 = written(tmp_path, quarter(Q2), "q2.json")
    q1 = written(tmp_path, quarter(Q1), "q1.json")
    args = ["check", str(Q2), "--waivers", str(WAIVERS)]
    code, out, _ = invoke(*args, "--baseline", str(q1), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["baseline"]["new"] == example_diff().summary.new
    # against itself nothing is new: --fail-on-new passes although failures remain
    assert invoke(*args, "--baseline", str(q2), "--fail-on-new")[0] == 0
    assert invoke(*args, "--baseline", str(q2))[0] == 1
    assert invoke(*args, "--baseline", str(q1), "--fail-on-new")[0] == 1
    code, out, _ = invoke(*args, "--baseline", str(q1))
    assert "基线" in out and "新增" in out and "仍存在" in out


def test_a_bad_baseline_is_rejected_input(tmp_path: Path) -> None:
    assert invoke("check", str(Q2), "--fail-on-new")[0] == 2
    code, out, err = invoke("check", str(Q2), "--baseline", str(Q1))
    assert code == 2 and out == "" and f"{Q1}:1:1" in err and "Traceback" not in err
    assert invoke("check", str(Q2), "--baseline", str(tmp_path / "none.json"))[0] == 2


# ----------------------------------------------------------------------------- diff command
def test_diff_command_writes_the_diff(tmp_path: Path) -> None:
    q1 = written(tmp_path, quarter(Q1), "q1.json")
    q2 = written(tmp_path, quarter(Q2), "q2.json")
    code, out, _ = invoke("diff", str(q1), str(q2), "--format", "json")
    assert code == 0
    assert Diff.model_validate_json(out).model_dump(exclude={"before", "after"}) == \
        example_diff().model_dump(exclude={"before", "after"})
    code, out, _ = invoke("diff", str(q1), str(q2))
    s = example_diff().summary
    assert code == 0 and f"新增 {s.new}, 已消除 {s.resolved}, 仍存在 {s.persisting}" in out
    for fmt in ("markdown", "html"):
        target = tmp_path / f"d.{fmt}"
        assert invoke("diff", str(q1), str(q2), "--format", fmt, "--output", str(target))[0] == 0
        assert "OUT-04" in target.read_text(encoding="utf-8")


def test_diff_command_usage_errors(tmp_path: Path) -> None:
    q1 = written(tmp_path, quarter(Q1), "q1.json")
    assert invoke("diff", str(q1))[0] == 2
    assert invoke("diff", str(q1), str(q1), "--rules", str(RULES))[0] == 2
    code, _, err = invoke("diff", str(q1), str(Q2))
    assert code == 2 and f"{Q2}:1:1" in err


# ----------------------------------------------------------------------------- draft rules
def test_a_rule_added_or_removed_shows_as_new_or_resolved() -> None:
    rules = load_rules()
    facts = load_facts(Q2)
    whole = evaluate(rules, facts)
    dropped = next(r.id for r in whole.rules if r.fail)
    fewer = rules.select([r.id for r in rules if r.id != dropped])
    diff = diff_rules(fewer, rules, facts)
    assert {f.rule for f in diff.new} == {dropped} and diff.summary.resolved == 0
    assert diff.basis == "rules" and diff.before.as_of == diff.after.as_of
    back = diff_rules(rules, fewer, facts)
    assert {f.fingerprint for f in back.resolved} == {f.fingerprint for f in diff.new}


def test_diff_command_with_a_draft_rule_set(tmp_path: Path) -> None:
    """A draft that lets visits be later: the late visits within the new grace go away."""
    base = evaluate(load_rules(), load_facts(Q2))
    late = sorted((f.evidence["late_minutes"], f.subject.id) for f in base.findings
                  if f.rule == "VIS-02" and f.status == "fail")
    assert late, "the example has a late visit"
    draft = tmp_path / "draft"
    shutil.copytree(RULES, draft)
    path = draft / "3.2-staff-visits.yaml"
    text = path.read_text(encoding="utf-8")
    block = text.index("- id: VIS-02")
    start = text.index("late_grace_minutes:", block)
    value = re.compile(r"value: (\d+)")
    match = value.search(text, start)
    assert match is not None
    grace = late[-1][0]  # the latest visit is now just within the grace
    path.write_text(text[:match.start(1)] + str(grace) + text[match.end(1):], encoding="utf-8")
    code, out, err = invoke("diff", "--base-rules", str(RULES), "--rules", str(draft), str(Q2),
                            "--format", "json")
    assert code == 0, err
    diff = Diff.model_validate_json(out)
    assert diff.basis == "rules" and diff.summary.new == 0 and diff.summary.persisting > 0
    assert sorted(f.subject.id for f in diff.resolved) == sorted(s for _, s in late)
    assert [(t.rule, t.resolved) for t in diff.by_rule if t.resolved] == [("VIS-02", len(late))]


def test_the_cli_lists_are_the_librarys() -> None:
    """The CLI writes its choices out to keep --help light; they are the library's own."""
    from fuling_compliance.cli import diff_cmd
    from fuling_compliance.reports.render.diff import DIFF_FORMATS
    from fuling_compliance.reports.schemas import SCHEMA_NAMES, file_name

    assert ("table", *DIFF_FORMATS) == diff_cmd.DIFF_FORMATS
    for name in SCHEMA_NAMES:
        code, out, _ = invoke("schema", name)
        assert code == 0
        assert out == (ROOT / "schemas" / file_name(name)).read_text(encoding="utf-8")
