"""JUnit XML, read back by an independent parser (junitparser) and by xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from test_assess import sample_report

from fuling_compliance.reports.render import render
from fuling_compliance.reports.render.junit import case_name, render_junit

junitparser = pytest.importorskip("junitparser")


def load(tmp_path: Path, xml: str) -> object:
    path = tmp_path / "report.xml"
    path.write_text(xml, encoding="utf-8")
    return junitparser.JUnitXml.fromfile(str(path))


def test_one_suite_per_rule_one_case_per_evaluated_subject(tmp_path: Path) -> None:
    report = sample_report()
    xml = load(tmp_path, render_junit(report, "zh"))
    suites = list(xml)  # type: ignore[call-overload]
    assert [s.name.split()[0] for s in suites] == [r.id for r in report.rules]
    for suite, rule in zip(suites, report.rules, strict=True):
        assert suite.name == f"{rule.id} {rule.title['zh']}"
        props = {p.name: p.value for p in suite.properties()}
        assert props["clause"] == rule.clause and props["severity"] == rule.severity
        assert [int(props[k]) for k in ("pass", "fail", "insufficient_data", "not_applicable")] \
            == [rule.pass_, rule.fail, rule.insufficient_data, rule.not_applicable]
        cases = list(suite)
        # not_applicable subjects are not testcases; every other outcome is one
        assert len(cases) == suite.tests == rule.pass_ + rule.fail + rule.insufficient_data
        outcome = Counter("fail" if c.is_failure else "insufficient_data" if c.is_error
                          else "skipped" if c.is_skipped else "pass" for c in cases)
        assert outcome == Counter({"pass": rule.pass_, "fail": rule.fail,
                                   "insufficient_data": rule.insufficient_data}) - Counter()
        assert suite.failures == rule.fail and suite.errors == rule.insufficient_data
        assert suite.skipped == 0
        expected = {case_name(f): f for f in report.findings
                    if f.rule == rule.id and f.status != "not_applicable"}
        assert {c.name for c in cases} == set(expected)
        for case in cases:
            f = expected[case.name]
            party = "commission" if f.responsible.type == "commission" else f.responsible.id
            assert case.classname == f"{rule.id}.{party}"
            if f.status in ("fail", "insufficient_data"):
                (result,) = case.result
                assert result.type == f.status
                assert result.message == f.message.zh
                assert f"条款 {f.clause}:" in result.text


def test_totals_match_the_report() -> None:
    report = sample_report()
    root = ET.fromstring(render(report, "junit", "en").encode("utf-8"))
    assert root.tag == "testsuites"
    assert int(root.get("failures", "")) == report.summary.fail
    assert int(root.get("errors", "")) == report.summary.insufficient_data
    assert int(root.get("tests", "")) == (report.summary.get("pass") + report.summary.fail
                                          + report.summary.insufficient_data)
    messages = [e.get("message") for e in root.iter("failure")]
    assert messages == [f.message.en for f in report.findings if f.status == "fail"]
    assert all(s.get("timestamp") == "2026-06-30T23:59:59" for s in root.iter("testsuite"))


def test_a_report_without_passes_says_how_many_were_not_listed(tmp_path: Path) -> None:
    report = sample_report(False)
    xml = load(tmp_path, render_junit(report, "en"))
    for suite, rule in zip(xml, report.rules, strict=True):  # type: ignore[call-overload]
        cases = list(suite)
        unlisted = [c for c in cases if c.classname == f"{rule.id}.unlisted"]
        if rule.pass_:
            (case,) = unlisted
            assert case.name == f"{rule.pass_} pass subjects not listed in this report"
            assert case.is_passed
        else:
            assert unlisted == []
        assert suite.failures == rule.fail and suite.errors == rule.insufficient_data


def test_same_report_same_xml() -> None:
    report = sample_report()
    assert render_junit(report, "zh") == render_junit(report, "zh")
