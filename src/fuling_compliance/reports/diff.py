"""Findings over time: two reports compared, a check against a baseline, a draft's impact.

A finding is matched across reports by its **fingerprint** — rule, subject type,
subject id and item — never by its position in a list, as code-scanning tools match
alerts across runs: ``OUT-03/outlet/pw-o04``, ``DIS-01/supplier/fl-gas/service_phone``.
Only open findings are compared: ``fail``, ``insufficient_data`` and ``waived`` (a
waived finding is still there, only excused); a finding found in both is
*persisting* whatever its status in each (``previous_status`` says what it was).

* :func:`diff_reports` — ``fuling-compliance diff OLD.json NEW.json``: what is
  ``new``, ``resolved`` (gone) and ``persisting``, with counts per rule and supplier
  (``fuling-compliance/diff/v1``): follow-up of rectification from one quarter to the next.
* :func:`diff_rules` — ``diff --base-rules OLD --rules NEW FACTS``: both rule sets on
  the same facts at the same ``as_of``, in the same format: which findings a draft
  change adds or removes.
* :func:`apply_baseline` — ``check --baseline OLD.json``: each open finding marked
  ``new`` or ``persisting``.
* :func:`load_report` — a report file read back, or a located :class:`ReportError`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Problem, ReportError
from ..facts.model import FactSet
from ..rules.load import RuleSet
from ..rules.waivers import WaiverSet
from ..yaml_source import parse_text, position, read_document, read_text
from .report import (
    OPEN_STATUSES,
    REPORT_FORMAT,
    Finding,
    Report,
    RuleSetInfo,
    Status,
)

DIFF_FORMAT = "fuling-compliance/diff/v1"
CHANGES: tuple[str, ...] = ("new", "resolved", "persisting")

Key = tuple[str, str, str, str | None]


def key(f: Finding) -> Key:
    """The fingerprint as a tuple: rule, subject type, subject id, item."""
    return (f.rule, f.subject.type, f.subject.id, f.item)


def fingerprint(f: Finding) -> str:
    """The fingerprint as text: ``RULE/type/subject`` and ``/item`` when there is one."""
    text = f"{f.rule}/{f.subject.type}/{f.subject.id}"
    return text if f.item is None else f"{text}/{f.item}"


def _sort_key(f: Finding) -> tuple[str, str, str, str]:
    return (f.rule, f.supplier_id or "", f.subject.id, f.item or "")


# ----------------------------------------------------------------------------- model
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiffFinding(Finding):
    """A finding of a diff with its fingerprint; a persisting one also with its status
    in the earlier report (it may have changed: ``fail`` → ``waived``...)."""

    fingerprint: str
    previous_status: Status | None = Field(default=None, exclude_if=lambda v: v is None)


class Side(_Model):
    """One side of a diff: the report's moment, rule set and where it came from."""

    as_of: dt.datetime
    ruleset: RuleSetInfo
    source: str | None = None


class Tally(_Model):
    new: int = 0
    resolved: int = 0
    persisting: int = 0


class RuleTally(Tally):
    rule: str
    title: dict[str, str]


class SupplierTally(Tally):
    #: ``None``: findings of no supplier (the Commission's own duties)
    supplier_id: str | None


class Diff(_Model):
    """``fuling-compliance/diff/v1``: the open findings of two reports compared."""

    format: Literal["fuling-compliance/diff/v1"] = "fuling-compliance/diff/v1"
    basis: Literal["reports", "rules"] = Field(
        description="reports: two reports (e.g. two quarters); rules: two rule sets "
                    "evaluated on the same facts.")
    before: Side
    after: Side
    summary: Tally
    by_rule: list[RuleTally]
    by_supplier: list[SupplierTally]
    new: list[DiffFinding]
    resolved: list[DiffFinding]
    persisting: list[DiffFinding]

    def to_json(self, indent: int | None = 2) -> str:
        """The diff as JSON."""
        return self.model_dump_json(by_alias=True, indent=indent)


# ----------------------------------------------------------------------------- compare
def _open(report: Report) -> dict[Key, Finding]:
    return {key(f): f for f in report.findings if f.status in OPEN_STATUSES}


def _entry(f: Finding, previous: Finding | None = None) -> DiffFinding:
    data = f.model_dump(by_alias=True)
    data.update(fingerprint=fingerprint(f),
                previous_status=previous.status if previous is not None else None)
    return DiffFinding.model_validate(data)


def diff_reports(before: Report, after: Report, *, basis: Literal["reports", "rules"] =
                 "reports", sources: tuple[str | None, str | None] = (None, None)) -> Diff:
    """The open findings of ``after`` compared with ``before``'s (see the module)."""
    old, new = _open(before), _open(after)
    added = sorted((f for k, f in new.items() if k not in old), key=_sort_key)
    gone = sorted((f for k, f in old.items() if k not in new), key=_sort_key)
    kept = sorted((f for k, f in new.items() if k in old), key=_sort_key)
    titles = {r.id: r.title for r in before.rules}
    titles.update({r.id: r.title for r in after.rules})
    by_rule: dict[str, Counter[str]] = {}
    by_supplier: dict[str | None, Counter[str]] = {}
    for change, found in (("new", added), ("resolved", gone), ("persisting", kept)):
        for f in found:
            by_rule.setdefault(f.rule, Counter())[change] += 1
            by_supplier.setdefault(f.supplier_id, Counter())[change] += 1
    return Diff(
        basis=basis,
        before=Side(as_of=before.as_of, ruleset=before.ruleset, source=sources[0]),
        after=Side(as_of=after.as_of, ruleset=after.ruleset, source=sources[1]),
        summary=Tally(new=len(added), resolved=len(gone), persisting=len(kept)),
        by_rule=[RuleTally(rule=r, title=titles.get(r, {"zh": r, "en": r}), **by_rule[r])
                 for r in sorted(by_rule)],
        by_supplier=[SupplierTally(supplier_id=s, **by_supplier[s])
                     for s in sorted(by_supplier, key=lambda s: (s is None, s or ""))],
        new=[_entry(f) for f in added],
        resolved=[_entry(f) for f in gone],
        persisting=[_entry(f, old[key(f)]) for f in kept],
    )


def diff_rules(base_rules: RuleSet, rules: RuleSet, facts: FactSet,
               as_of: dt.datetime | str | None = None, *, workers: int = 1,
               waivers: WaiverSet | None = None,
               sources: tuple[str | None, str | None] = (None, None)) -> Diff:
    """What changing ``base_rules`` into ``rules`` does to the findings on ``facts``.

    Both rule sets are evaluated on the same facts at the same ``as_of`` (with the same
    waivers, if any); a finding only the new rules give is ``new``, one only the base
    rules give is ``resolved``.
    """
    from .evaluate import evaluate, resolve_as_of

    moment = resolve_as_of(as_of, facts)
    before = evaluate(base_rules, facts, moment, workers=workers, waivers=waivers)
    after = evaluate(rules, facts, moment, workers=workers, waivers=waivers)
    return diff_reports(before, after, basis="rules", sources=sources)


def apply_baseline(report: Report, baseline: Report) -> Report:
    """``report`` with each open finding marked ``new`` or ``persisting`` against
    ``baseline``'s open findings, and ``baseline`` summarising the comparison."""
    from .report import BaselineInfo

    old = _open(baseline)
    findings: list[Finding] = []
    counts: Counter[str] = Counter()
    seen: set[Key] = set()
    for f in report.findings:
        if f.status not in OPEN_STATUSES:
            findings.append(f.model_copy(update={"baseline": None}) if f.baseline else f)
            continue
        k = key(f)
        seen.add(k)
        mark: Literal["new", "persisting"] = "persisting" if k in old else "new"
        counts[mark] += 1
        findings.append(f.model_copy(update={"baseline": mark}))
    info = BaselineInfo(as_of=baseline.as_of, ruleset=baseline.ruleset, new=counts["new"],
                        persisting=counts["persisting"],
                        resolved=sum(1 for k in old if k not in seen))
    return report.model_copy(update={"findings": findings, "baseline": info})


# ----------------------------------------------------------------------------- reading
def load_report(path: str | Path, *, max_bytes: int | None = None) -> Report:
    """A report written by ``check --format json`` (``fuling-compliance/report/v1``).

    Raises :class:`ReportError` with the place of every problem: unreadable, not JSON,
    another format (a diff, an assessment, a fact file), or not a valid report.
    """
    name = str(path)
    data, problems = read_document(path, max_bytes=max_bytes, positions=False)
    if data is None:
        raise ReportError(f"report rejected: {name}", problems)
    fmt = data.get("format") if isinstance(data, dict) else None
    if fmt != REPORT_FORMAT:
        en, zh = (f"format is {fmt!r}", f"format 为 {fmt!r}") if isinstance(fmt, str) \
            else ("it has no format", "没有 format")
        raise ReportError(f"report rejected: {name}", [Problem(
            file=name, line=1, column=1,
            message=f"not a report of check --format json: {en}, expected {REPORT_FORMAT}",
            message_zh=f"不是 check --format json 生成的检查报告：{zh}，应为 {REPORT_FORMAT}",
            code="format")])
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        raise ReportError(f"report rejected: {name}: {exc.error_count()} problem(s)",
                          _report_problems(name, exc.errors(), max_bytes)) from None


def _report_problems(name: str, errors: Sequence[Any], max_bytes: int | None
                     ) -> list[Problem]:
    """The validation errors of a report, placed in the file (read again with positions,
    which is paid only when something is wrong)."""
    text, _ = read_text(name, max_bytes=max_bytes)
    located, _ = parse_text(text or "", name, positions=True)
    out: list[Problem] = []
    for err in errors[:50]:
        loc = tuple(err["loc"])
        line, column = position(located, loc) if located is not None else (None, None)
        out.append(Problem(file=name, line=line, column=column,
                           field=".".join(str(p) for p in loc) or None,
                           message=str(err.get("msg", "invalid")),
                           message_zh=f"不是有效的检查报告：{err.get('msg', '')}",
                           code=str(err["type"])))
    if len(errors) > 50:
        out.append(Problem(file=name, message=f"and {len(errors) - 50} more problem(s)",
                           message_zh=f"另有 {len(errors) - 50} 个问题", code="more"))
    return out


def load_reports(paths: Iterable[str | Path], *, max_bytes: int | None = None
                 ) -> list[Report]:
    """Several reports; every problem of every file at once."""
    reports: list[Report] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            reports.append(load_report(path, max_bytes=max_bytes))
        except ReportError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ReportError(f"reports rejected: {len(problems)} problem(s)", problems)
    return reports
