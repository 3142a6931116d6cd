"""JUnit XML: the findings in any CI dashboard.

One ``<testsuite>`` per rule (every rule of the report, in rule order), one
``<testcase>`` per evaluated subject (per subject and item for rules with items):

============================  ==================================================
outcome                       testcase
============================  ==================================================
``pass``                      a passed testcase (no child element)
``fail``                      ``<failure type="fail" message="...">`` with the
                              clause, severity and evidence as text
``insufficient_data``         ``<error type="insufficient_data" message="...">``:
                              the test could not be carried out for want of data.
                              An error, not ``<skipped>``: dashboards count skipped
                              tests as nothing to do, and an unknown must never look
                              like a pass; it is also never counted as a failure
``waived``                    ``<skipped message="...">``: a waiver in force covers
                              it; the message names the waiver, its reason,
                              approver and expiry, and the original status (a
                              waived finding is shown, never dropped)
``not_applicable``            no testcase: the rule does not concern that subject;
                              the count is in the suite's properties
============================  ==================================================

A report evaluated without ``all_outcomes`` lists no ``pass`` findings: each rule
whose report counts say more subjects passed than are listed gets **one** extra passed
testcase named for how many (``N passing subjects not listed``), so nothing is
invented and the suite still shows them. ``assess`` and ``check --all`` give one
testcase per subject. Each suite's properties carry the exact counts of all four
outcomes (and ``waived``), the clause, the severity and ``as_of``. Compared with a
baseline, each finding's detail says whether it is new or persisting.

``classname`` is ``RULE.PARTY`` (the supplier id, or ``commission``), so dashboards
that split classnames group by rule, then by supplier. Times are 0 (nothing is
timed) and the suites' ``timestamp`` is ``as_of`` in Chongqing time, so the same
report always gives the same XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from ...calendar import CHONGQING
from ...rules.regulation import regulation
from ..report import Finding, Report
from ..waive import waiver_note
from .html import (
    BASELINE_LABELS,
    SEVERITY_LABELS,
    evidence_label,
    status_label,
    subject_label,
    value_label,
)


def _party(f: Finding) -> str:
    if f.responsible.type == "commission":
        return "commission"
    return f.responsible.id or "unknown"


def case_name(f: Finding) -> str:
    """``type id`` or ``type id [item]``: the same in every language."""
    return f"{f.subject.type} {f.subject.id}" + (f" [{f.item}]" if f.item else "")


def _detail(f: Finding, title: str, lang: str) -> str:
    zh = lang == "zh"
    clause = regulation().clauses.get(f.clause)
    text = (clause.zh if zh else clause.en) if clause else ""
    lines = [
        f"{'规则' if zh else 'Rule'}: {f.rule} {title}",
        f"{'条款' if zh else 'Clause'} {f.clause}: {text}",
        f"{'严重程度' if zh else 'Severity'}: {getattr(SEVERITY_LABELS[f.severity], lang)}",
        f"{'对象' if zh else 'Subject'}: {getattr(subject_label(f), lang)}"
        + (f" [{getattr(value_label(f.item), lang)}]" if f.item else ""),
        f"{'责任方' if zh else 'Responsible'}: {_party(f)}",
    ]
    if f.baseline:
        label = getattr(BASELINE_LABELS[f.baseline], lang)
        lines.append(f"{'基线' if zh else 'Baseline'}: {label}")
    if f.evidence:
        lines.append("证据:" if zh else "Evidence:")
        lines += [f"  {getattr(evidence_label(k), lang)}: {getattr(value_label(v), lang)}"
                  for k, v in f.evidence.items()]
    return "\n".join(lines)


def render_junit(report: Report, lang: str = "zh") -> str:
    """The report as JUnit XML (see the module docstring for the mapping)."""
    zh = lang == "zh"
    timestamp = report.as_of.astimezone(CHONGQING).replace(tzinfo=None).isoformat()
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_rule[f.rule].append(f)
    root = ET.Element("testsuites", name="fuling-compliance")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for rule in report.rules:
        title = rule.title.get(lang) or rule.title.get("en") or rule.id
        suite = ET.SubElement(root, "testsuite", name=f"{rule.id} {title}",
                              timestamp=timestamp, time="0")
        props = ET.SubElement(suite, "properties")
        for name, value in (("rule", rule.id), ("clause", rule.clause),
                            ("severity", rule.severity), ("as_of", report.as_of.isoformat()),
                            ("ruleset_version", report.ruleset.version),
                            ("pass", str(rule.pass_)), ("fail", str(rule.fail)),
                            ("insufficient_data", str(rule.insufficient_data)),
                            ("not_applicable", str(rule.not_applicable)),
                            ("waived", str(rule.waived))):
            ET.SubElement(props, "property", name=name, value=value)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        listed: dict[str, int] = defaultdict(int)
        for f in by_rule.get(rule.id, []):
            listed[f.status] += 1
            if f.status == "not_applicable":
                continue
            case = ET.SubElement(suite, "testcase", name=case_name(f),
                                 classname=f"{rule.id}.{_party(f)}", time="0")
            counts["tests"] += 1
            message = f.message.zh if zh else f.message.en
            if f.status == "fail":
                element = ET.SubElement(case, "failure", type="fail", message=message)
                counts["failures"] += 1
            elif f.status == "insufficient_data":
                element = ET.SubElement(case, "error", type="insufficient_data",
                                        message=message)
                counts["errors"] += 1
            elif f.status == "waived":
                note = waiver_note(f)
                waived = getattr(note, lang) if note is not None else ""
                element = ET.SubElement(case, "skipped", type="waived",
                                        message=f"{waived} — {message}")
                counts["skipped"] += 1
            else:
                continue
            element.text = _detail(f, title, lang)
        for status, count in (("pass", rule.pass_), ("fail", rule.fail),
                              ("insufficient_data", rule.insufficient_data)):
            missing = count - listed[status]
            if missing <= 0:
                continue
            label = getattr(status_label(status), lang)
            name = (f"另有 {missing} 个对象“{label}”（本报告未逐一列出）" if zh else
                    f"{missing} {label} subjects not listed in this report")
            case = ET.SubElement(suite, "testcase", name=name, classname=f"{rule.id}.unlisted",
                                 time="0")
            counts["tests"] += 1
            if status == "fail":
                ET.SubElement(case, "failure", type="fail", message=name)
                counts["failures"] += 1
            elif status == "insufficient_data":
                ET.SubElement(case, "error", type="insufficient_data", message=name)
                counts["errors"] += 1
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
    for key, total in totals.items():
        root.set(key, str(total))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def render(report: Report, lang: str) -> str:
    """``FORMATS['junit']``."""
    return render_junit(report, lang)
