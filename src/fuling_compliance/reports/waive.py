"""Waivers applied to a report: a waived finding is shown, never hidden.

As with InSpec's waivers, a finding a waiver covers stays in the report with the
waiver's id, reason, approver and expiry: its status becomes ``waived`` and its
``original_status`` keeps the engine's outcome (``fail`` or ``insufficient_data``; a
``pass`` is never waived, there is nothing to waive). A waiver applies when ``as_of``
(its Chongqing date) is between ``approved_on`` and ``expires_on``, both included.
An expired waiver, one not yet in force and one that matches no finding do nothing
and are listed with a warning, so that a forgotten exemption is seen, not silently
kept. When two waivers in force cover one finding, the one that runs longest (then
the first by id) is named.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from ..calendar import CHONGQING
from ..rules.waivers import Waiver, WaiverSet
from .report import (
    WAIVABLE,
    Finding,
    Message,
    Report,
    RuleSummary,
    WaiverRef,
    WaiverUse,
)

__all__ = ["apply_waivers", "covers"]


def covers(waiver: Waiver, finding: Finding) -> bool:
    """Whether ``waiver`` names ``finding`` (its rule, subject, supplier and item)."""
    return (finding.rule in waiver.rules
            and (waiver.subjects is None or finding.subject.id in waiver.subjects)
            and (waiver.supplier_id is None or finding.supplier_id == waiver.supplier_id)
            and (waiver.items is None or finding.item in waiver.items))


def apply_waivers(report: Report, waivers: WaiverSet) -> Report:
    """``report`` with the waivers in force at its ``as_of`` applied (see the module).

    A report that already had waivers applied is taken back to the engine's outcomes
    first, so applying another set replaces the first.
    """
    day = report.as_of.astimezone(CHONGQING).date()
    by_rule: dict[str, list[Waiver]] = defaultdict(list)
    for waiver in waivers:
        for rule in waiver.rules:
            by_rule[rule].append(waiver)
    named: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    #: rule id -> status -> change of its count
    delta: dict[str, Counter[str]] = defaultdict(Counter)
    findings: list[Finding] = []
    for f in report.findings:
        outcome = f.outcome
        if f.status == "waived":  # taken back to the engine's outcome
            delta[f.rule]["waived"] -= 1
            delta[f.rule][outcome] += 1
            f = f.model_copy(update={"status": outcome, "original_status": None,
                                     "waiver": None})
        candidates = by_rule.get(f.rule)
        if candidates is None or outcome not in WAIVABLE:
            findings.append(f)
            continue
        covering = [w for w in candidates if covers(w, f)]
        named.update(w.id for w in covering)
        in_force = sorted((w for w in covering if w.state(day) == "in_force"),
                          key=lambda w: (-w.expires_on.toordinal(), w.id))
        if not in_force:
            findings.append(f)
            continue
        chosen = in_force[0]
        applied[chosen.id] += 1
        delta[f.rule][outcome] -= 1
        delta[f.rule]["waived"] += 1
        findings.append(f.model_copy(update={
            "status": "waived", "original_status": outcome,
            "waiver": WaiverRef(id=chosen.id, reason=chosen.reason,
                                approved_by=chosen.approved_by, expires_on=chosen.expires_on,
                                document=chosen.document)}))
    rules = [_shifted(r, delta[r.id]) if r.id in delta else r for r in report.rules]
    total: Counter[str] = Counter()
    for change in delta.values():
        total.update(change)
    summary = report.summary.model_copy(update={
        _key(s): report.summary.get(s) + n for s, n in total.items()})
    uses = [_use(w, day, named[w.id], applied[w.id]) for w in waivers]
    return report.model_copy(update={
        "findings": findings, "rules": rules, "summary": summary,
        "waivers": sorted(uses, key=lambda u: u.id)})


def _key(status: str) -> str:
    return "pass_" if status == "pass" else status


def _shifted(rule: RuleSummary, change: Counter[str]) -> RuleSummary:
    return rule.model_copy(update={_key(s): getattr(rule, _key(s)) + n
                                   for s, n in change.items()})


def _use(waiver: Waiver, day: dt.date, named: int, waived: int) -> WaiverUse:
    state = waiver.state(day)
    scope_zh, scope_en = _scope(waiver)
    warning: Message | None = None
    if state == "expired":
        warning = Message(
            zh=f"豁免 {waiver.id} 已于 {waiver.expires_on} 到期，不再适用"
               + (f"：其涉及的 {named} 项结论按原结论报告" if named else ""),
            en=f"waiver {waiver.id} expired on {waiver.expires_on} and no longer applies"
               + (f": the {named} finding(s) it names are reported as they are"
                  if named else ""))
    elif state == "not_yet_in_force":
        warning = Message(
            zh=f"豁免 {waiver.id} 于 {waiver.approved_on} 批准，判断时点（{day}）尚未生效，不适用",
            en=f"waiver {waiver.id} is approved from {waiver.approved_on}, after as_of ({day}): "
               "it does not apply")
    elif named == 0:
        warning = Message(
            zh=f"豁免 {waiver.id} 没有对应的不合规或数据不足结论（{scope_zh}）："
               "可能已整改或对象有误，可考虑撤销",
            en=f"waiver {waiver.id} matches no fail or insufficient-data finding "
               f"({scope_en}): rectified, or a wrong subject? consider withdrawing it")
    return WaiverUse(
        id=waiver.id, rules=list(waiver.rules), subjects=waiver.subjects,
        supplier_id=waiver.supplier_id, items=waiver.items, reason=waiver.reason,
        approved_by=waiver.approved_by, approved_on=waiver.approved_on,
        expires_on=waiver.expires_on, document=waiver.document, state=state,
        findings=named, waived=waived, warning=warning)


def _scope(waiver: Waiver) -> tuple[str, str]:
    """What a waiver names, in words: ``规则 OUT-02，对象 pw-longtan``."""
    zh = [f"规则 {'、'.join(waiver.rules)}"]
    en = [f"rule {', '.join(waiver.rules)}"]
    if waiver.supplier_id is not None:
        zh.append(f"企业 {waiver.supplier_id}")
        en.append(f"supplier {waiver.supplier_id}")
    if waiver.subjects is not None:
        zh.append(f"对象 {'、'.join(waiver.subjects)}")
        en.append(f"subject {', '.join(waiver.subjects)}")
    if waiver.items is not None:
        zh.append(f"检查项 {'、'.join(waiver.items)}")
        en.append(f"item {', '.join(waiver.items)}")
    return "，".join(zh), ", ".join(en)


def waiver_note(finding: Finding) -> Message | None:
    """A waived finding's waiver in words (every format shows it); ``None`` otherwise."""
    w = finding.waiver
    if w is None:
        return None
    original = {"fail": ("不合规", "fail"), "insufficient_data": ("数据不足", "insufficient data")
                }.get(finding.original_status or "", ("—", "—"))
    doc_zh = f"；文号 {w.document}" if w.document else ""
    doc_en = f"; document {w.document}" if w.document else ""
    return Message(
        zh=f"豁免 {w.id}（原结论：{original[0]}）：{w.reason}；批准：{w.approved_by}；"
           f"有效期至 {w.expires_on}{doc_zh}",
        en=f"waiver {w.id} (originally {original[1]}): {w.reason}; approved by "
           f"{w.approved_by}; until {w.expires_on}{doc_en}")
