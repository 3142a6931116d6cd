"""CSV, read back with the csv module and compared with the report."""

from __future__ import annotations

import csv
import io
import json

from test_assess import sample_report

from fuling_compliance.reports.render import render
from fuling_compliance.reports.render.csv import BOM, COLUMNS, render_csv, safe_cell


def rows(text: str) -> list[dict[str, str]]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_one_row_per_finding_with_stable_columns() -> None:
    report = sample_report()
    text = render_csv(report, "zh")
    header = next(csv.reader(io.StringIO(text[1:])))
    assert tuple(header) == COLUMNS == (
        "rule", "clause", "title", "status", "status_label", "severity", "supplier_id",
        "responsible_type", "responsible_id", "subject_type", "subject_id", "item", "message",
        "evidence", "original_status", "waiver_id", "waiver_reason", "waiver_approved_by",
        "waiver_expires_on", "baseline")
    found = rows(text)
    assert len(found) == len(report.findings)
    titles = {r.id: r.title for r in report.rules}
    for row, f in zip(found, report.findings, strict=True):
        unescaped = {k: v[1:] if v.startswith("'") and v[1:2] in "=+-@" else v
                     for k, v in row.items()}
        assert unescaped["rule"] == f.rule and unescaped["clause"] == f.clause
        assert unescaped["title"] == titles[f.rule]["zh"]
        assert unescaped["status"] == f.status and unescaped["severity"] == f.severity
        assert unescaped["supplier_id"] == (f.supplier_id or "")
        assert (unescaped["responsible_type"], unescaped["responsible_id"]) == (
            f.responsible.type, f.responsible.id or "")
        assert (unescaped["subject_type"], unescaped["subject_id"]) == (
            f.subject.type, f.subject.id)
        assert unescaped["item"] == (f.item or "")
        assert unescaped["message"] == f.message.zh
        assert json.loads(unescaped["evidence"]) == f.evidence
    labels = {r["status"]: r["status_label"] for r in found}
    assert labels["insufficient_data"] == "数据不足" and labels["fail"] == "不合规"


def test_utf8_bom_crlf_and_english() -> None:
    text = render(sample_report(), "csv", "en")
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    found = rows(text)
    assert {r["status_label"] for r in found} >= {"fail", "insufficient data"}
    assert any("涪陵燃气公司" in r["message"] for r in found)  # Chinese survives


def test_formulas_from_the_facts_are_neutralised() -> None:
    found = rows(render_csv(sample_report(), "zh"))
    area = [r for r in found if r["rule"] == "OUT-01" and r["status"] == "fail"]
    assert area and area[0]["subject_id"] == "'=A3"
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "ok", "")] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "ok", ""]
