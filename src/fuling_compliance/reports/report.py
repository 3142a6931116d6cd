"""The report, ``fuling-compliance/report/v1``: pydantic models and their JSON form.

A report depends only on the rules, the facts and ``as_of`` (and, when given, the
waivers and the baseline report): no generation time, no host name, and a fixed order
(findings by rule, supplier, subject, item).

Waivers and baselines add optional fields, absent from a report made without them, so
a reader of ``fuling-compliance/report/v1`` written before them reads every report:

* a finding a waiver in force covers has ``status: waived``, its ``original_status``
  (``fail`` or ``insufficient_data``) and its ``waiver`` (id, reason, approver, expiry);
  ``summary`` and each rule count it under ``waived``, no longer under its original
  status; ``waivers`` lists every waiver given, in force or not, with a warning for
  an expired one, one not yet in force and one that matches nothing;
* with a baseline, each open finding (``fail``, ``insufficient_data``, ``waived``) has
  ``baseline: new`` or ``persisting`` and ``baseline`` says which report it was
  compared with and how many findings are new, persisting and resolved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_FORMAT = "fuling-compliance/report/v1"

Status = Literal["pass", "fail", "insufficient_data", "not_applicable", "waived"]
#: the engine's four outcomes (every outcome is exactly one of them)
STATUSES: tuple[Status, ...] = ("pass", "fail", "insufficient_data", "not_applicable")
#: the statuses a finding can have in a report: an outcome, or ``waived``
REPORT_STATUSES: tuple[Status, ...] = (*STATUSES, "waived")
#: the statuses a waiver turns into ``waived``
WAIVABLE: tuple[Status, ...] = ("fail", "insufficient_data")
#: findings that still need something done (compared with a baseline, in a diff)
OPEN_STATUSES: frozenset[str] = frozenset({"fail", "insufficient_data", "waived"})
SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3}


def _absent(value: Any) -> bool:
    """Optional fields are left out of the JSON when they have no value."""
    return value is None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Counts(_Model):
    pass_: int = Field(0, alias="pass")
    fail: int = 0
    insufficient_data: int = 0
    not_applicable: int = 0
    waived: int = 0

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def get(self, status: str) -> int:
        return int(getattr(self, "pass_" if status == "pass" else status))


class RuleSetInfo(_Model):
    version: str
    rules: int


class RuleSummary(_Model):
    id: str
    clause: str
    severity: str
    title: dict[str, str]
    pass_: int = Field(0, alias="pass")
    fail: int = 0
    insufficient_data: int = 0
    not_applicable: int = 0
    waived: int = 0

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Subject(_Model):
    type: str
    id: str


class Party(_Model):
    type: Literal["supplier", "commission"]
    id: str | None


class Message(_Model):
    zh: str
    en: str


class WaiverRef(_Model):
    """The waiver a ``waived`` finding is covered by."""

    id: str
    reason: str
    approved_by: str
    expires_on: dt.date
    document: str | None = Field(default=None, exclude_if=_absent)


class Finding(_Model):
    rule: str
    clause: str
    status: Status
    severity: Literal["high", "medium", "low", "info"]
    subject: Subject
    supplier_id: str | None
    responsible: Party
    item: str | None
    message: Message
    evidence: dict[str, Any]
    original_status: Literal["fail", "insufficient_data"] | None = Field(
        default=None, exclude_if=_absent,
        description="The engine's outcome of a waived finding.")
    waiver: WaiverRef | None = Field(default=None, exclude_if=_absent,
                                     description="The waiver of a waived finding.")
    baseline: Literal["new", "persisting"] | None = Field(
        default=None, exclude_if=_absent,
        description="Compared with a baseline report: new, or already there (by rule, "
                    "subject and item).")

    @property
    def outcome(self) -> str:
        """The engine's outcome: ``original_status`` for a waived finding, else ``status``."""
        return self.original_status or self.status


class FactsInfo(_Model):
    records: int
    warnings: list[str] = Field(default_factory=list)


class WaiverUse(_Model):
    """A waiver given to the evaluation, and what it did at ``as_of``.

    ``findings``: the ``fail`` and ``insufficient_data`` findings it names; ``waived``:
    those it waived (none unless it is in force). ``warning``: why it did nothing or
    stopped applying (expired, not yet in force, matches nothing).
    """

    id: str
    rules: list[str]
    subjects: list[str] | None = None
    supplier_id: str | None = None
    items: list[str] | None = None
    reason: str
    approved_by: str
    approved_on: dt.date
    expires_on: dt.date
    document: str | None = None
    state: Literal["in_force", "expired", "not_yet_in_force"]
    findings: int
    waived: int
    warning: Message | None = None


class BaselineInfo(_Model):
    """The report the findings were compared with (``check --baseline``)."""

    as_of: dt.datetime
    ruleset: RuleSetInfo
    new: int
    persisting: int
    resolved: int


class Report(_Model):
    """The outcome of evaluating a rule set against a fact set at ``as_of``."""

    format: Literal["fuling-compliance/report/v1"] = "fuling-compliance/report/v1"
    as_of: dt.datetime
    ruleset: RuleSetInfo
    facts: FactsInfo
    summary: Counts
    rules: list[RuleSummary]
    findings: list[Finding]
    waivers: list[WaiverUse] | None = Field(
        default=None, exclude_if=_absent, description="Every waiver given, in force or not.")
    baseline: BaselineInfo | None = Field(
        default=None, exclude_if=_absent,
        description="The baseline the findings were compared with.")

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON (the stable machine format)."""
        return self.model_dump_json(by_alias=True, indent=indent)

    def failing(self, at_least: str = "low", *, new_only: bool = False) -> list[Finding]:
        """``fail`` findings with severity at or above ``at_least`` (waived ones are not
        ``fail``); with ``new_only``, only those new since the baseline."""
        if new_only and self.baseline is None:
            raise ValueError("new_only needs a report compared with a baseline")
        floor = SEVERITY_ORDER[at_least]
        return [f for f in self.findings
                if f.status == "fail" and SEVERITY_ORDER[f.severity] >= floor
                and (not new_only or f.baseline == "new")]

    def waiver_warnings(self) -> list[Message]:
        """The warnings about the waivers given (expired, not yet in force, unmatched)."""
        return [w.warning for w in self.waivers or () if w.warning is not None]

    def outcome(self, rule: str, subject_id: str, item: str | None = None) -> str | None:
        """The status of one (rule, subject[, item]) if it is a finding, else ``None``."""
        for f in self.findings:
            if f.rule == rule and f.subject.id == subject_id and (item is None or f.item == item):
                return f.status
        return None
