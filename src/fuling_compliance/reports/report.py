"""The report, ``fuling-compliance/report/v1``: pydantic models and their JSON form.

A report depends only on the rules, the facts and ``as_of``: no generation time, no
host name, and a fixed order (findings by rule, supplier, subject, item).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_FORMAT = "fuling-compliance/report/v1"

Status = Literal["pass", "fail", "insufficient_data", "not_applicable"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "insufficient_data", "not_applicable")
SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Counts(_Model):
    pass_: int = Field(0, alias="pass")
    fail: int = 0
    insufficient_data: int = 0
    not_applicable: int = 0

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


class FactsInfo(_Model):
    records: int
    warnings: list[str] = Field(default_factory=list)


class Report(_Model):
    """The outcome of evaluating a rule set against a fact set at ``as_of``."""

    format: Literal["fuling-compliance/report/v1"] = "fuling-compliance/report/v1"
    as_of: dt.datetime
    ruleset: RuleSetInfo
    facts: FactsInfo
    summary: Counts
    rules: list[RuleSummary]
    findings: list[Finding]

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON (the stable machine format)."""
        return self.model_dump_json(by_alias=True, indent=indent)

    def failing(self, at_least: str = "low") -> list[Finding]:
        """``fail`` findings with severity at or above ``at_least``."""
        floor = SEVERITY_ORDER[at_least]
        return [f for f in self.findings
                if f.status == "fail" and SEVERITY_ORDER[f.severity] >= floor]

    def outcome(self, rule: str, subject_id: str, item: str | None = None) -> str | None:
        """The status of one (rule, subject[, item]) if it is a finding, else ``None``."""
        for f in self.findings:
            if f.rule == rule and f.subject.id == subject_id and (item is None or f.item == item):
                return f.status
        return None
