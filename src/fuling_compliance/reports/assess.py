"""The Commission's assessment of each supplier (clauses 6.2 and 7).

From a :class:`~fuling_compliance.reports.report.Report` (and, when given, the fact set it was
evaluated on) :func:`assess` builds a scorecard per supplier: per clause family the
subjects evaluated, passed, failed and unknown (``insufficient_data``) and a compliance
rate; a score; a ranking; the commendation candidates; the items to rectify and the
records to supply.

The policy is a YAML file beside the rules (``rules/policy/assessment.yaml``), read by
:func:`load_policy` and validated like the rule files: every problem at once, each with
file, line and column (:class:`~fuling_compliance.errors.RulesError`).

The score (0–100) is a weighted compliance rate, so that a supplier with many records
is not marked down for having many records::

    W(outcomes)  = Σ severity weight of the outcomes' rules
    rate(family) = 1 − (W(fail) + insufficient_data_factor × W(insufficient_data))
                       / W(pass, fail, insufficient_data)
    score        = 100 × Σ family weight × rate / Σ family weight
                   (over the families in which the supplier had anything evaluated)

Only outcomes whose responsible party is the supplier count; the Commission's own
duties get a card of their own, without score or rank. ``not_applicable`` outcomes do
not count. A ``waived`` finding (a waiver in force covers it) counts as the policy's
``waived`` setting says: ``exclude`` (the default) leaves it out like
``not_applicable`` — neither against the supplier nor for it — and ``original`` counts
it as its original status. Either way it is not an item to rectify: each card lists
its waived findings with their waivers, and the assessment the waivers in force.

The rate needs every outcome: a report evaluated without ``all_outcomes`` (no
``pass`` findings) gives no score, rank, evaluated or passed counts (``None``;
``Assessment.complete`` is false). Failures, items to rectify and the commendation do
not depend on them.

The assessment period is given (``period=``, ``assess --period``) or, by default, the
calendar quarter that contains ``as_of``, up to ``as_of`` (the Commission assesses
quarterly: rule COM-02). Satisfaction counts the surveys whose period overlaps it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..calendar import CHONGQING
from ..errors import FulingError, Problem, RulesError
from ..facts.model import FactSet
from ..rules.regulation import regulation
from ..rules.schema import suggest
from ..yaml_source import PosDict, PosList, read_document
from .report import (
    SEVERITY_ORDER,
    Finding,
    Message,
    Party,
    Report,
    RuleSetInfo,
    Subject,
    WaiverRef,
    WaiverUse,
)

POLICY_FORMAT = "fuling-compliance/policy/assessment/v1"
ASSESSMENT_FORMAT = "fuling-compliance/assessment/v1"

Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "info")

T = TypeVar("T")


# ----------------------------------------------------------------------------- policy
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Setting(_Strict, Generic[T]):
    """A policy value with its unit, its source and the reason for it (like a rule parameter)."""

    value: T
    unit: str | None = None
    source: Literal["regulation", "policy"]
    note: str = Field(min_length=1)


Weight = Setting[Annotated[float, Field(ge=0)]]
Factor = Weight


class PolicyText(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class SeverityWeights(_Strict):
    """How much one outcome of a rule of each severity counts (relative weights)."""

    high: Weight
    medium: Weight
    low: Weight
    info: Weight

    def of(self, severity: str) -> float:
        setting: Weight = getattr(self, severity)
        return float(setting.value)


class CommendationPolicy(_Strict):
    min_satisfaction: Setting[Annotated[float, Field(ge=0, le=100)]]
    min_respondents: Setting[Annotated[int, Field(ge=0)]]
    max_failure_severity: Setting[Severity]


class RectifyPolicy(_Strict):
    min_severity: Setting[Severity]


WaivedTreatment = Literal["exclude", "original"]
DEFAULT_WAIVED: Setting[WaivedTreatment] = Setting[WaivedTreatment](
    value="exclude", source="policy",
    note="经批准豁免的结论不计入企业失分，也不计入合规率的分母（与不适用相同）。")


class Policy(_Strict):
    """``rules/policy/assessment.yaml``: how findings become a score and a commendation."""

    format: Literal["fuling-compliance/policy/assessment/v1"] = (
        "fuling-compliance/policy/assessment/v1")
    version: str = "1"
    title: PolicyText
    clauses: list[str] = Field(default_factory=list)
    severity_weights: SeverityWeights
    family_weights: dict[str, Factor] = Field(default_factory=dict)
    default_family_weight: Factor
    insufficient_data_factor: Setting[Annotated[float, Field(ge=0, le=1)]]
    commendation: CommendationPolicy
    rectify: RectifyPolicy
    #: how a waived finding counts: ``exclude`` (left out) or ``original`` (as its
    #: original status)
    waived: Setting[WaivedTreatment] = DEFAULT_WAIVED

    def family_weight(self, family: str) -> float:
        setting = self.family_weights.get(family, self.default_family_weight)
        return float(setting.value)


def bundled_policy_path() -> Path:
    """The policy shipped beside the bundled rules."""
    from ..bundled import bundled_rules_dir

    return bundled_rules_dir() / "policy" / "assessment.yaml"


def load_policy(path: str | Path | None = None, *,
                families: Iterable[str] | None = None) -> Policy:
    """Read and validate an assessment policy file (default: the bundled one).

    ``families``: the clause families of the rule set in use; a ``family_weights`` key
    that is not one of them is an error (with a "did you mean"). Raises
    :class:`RulesError` listing every problem with file, line and column.
    """
    target = Path(path) if path is not None else bundled_policy_path()
    name = str(target)
    data, problems = read_document(target)
    if data is None:
        raise RulesError(f"policy rejected: {name}", problems)
    if not isinstance(data, PosDict):
        raise RulesError(f"policy rejected: {name}", [Problem(
            file=name, line=1, column=1, message="a policy file must be a mapping",
            message_zh="考核政策文件必须是映射", code="type")])
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"policy rejected: {name}: {exc.error_count()} problem(s)",
                         [_policy_problem(name, data, err) for err in exc.errors()]) from None
    problems = []
    clauses = data.get("clauses")
    for index, clause in enumerate(policy.clauses):
        if clause not in regulation().clauses:
            line, col = clauses.at(index) if isinstance(clauses, PosList) else (None, None)
            problems.append(Problem(
                file=name, line=line, column=col, field=f"clauses.{index}",
                message=f"clause {clause!r} does not exist in the regulation",
                message_zh=f"条款 {clause!r} 在制度中不存在", code="unknown_clause"))
    if families is not None:
        known = sorted(families)
        weights = data.get("family_weights")
        for key in policy.family_weights:
            if key not in known:
                guess = suggest(key, known)
                line, col = weights.at(key) if isinstance(weights, PosDict) else (None, None)
                problems.append(Problem(
                    file=name, line=line, column=col, field=f"family_weights.{key}",
                    message=f"unknown clause family {key!r}"
                            + (f" (did you mean {guess!r}?)" if guess else "")
                            + f"; the rules have {', '.join(known)}",
                    message_zh=f"未知的条款类别 {key!r}"
                               + (f"（是否应为 {guess!r}？）" if guess else "")
                               + f"；规则中的类别为 {'、'.join(known)}",
                    code="unknown_family"))
    if problems:
        raise RulesError(f"policy rejected: {name}: {len(problems)} problem(s)", problems)
    return policy


@cache
def _bundled_policy() -> Policy:
    return load_policy()


def _policy_problem(file: str, data: PosDict, err: Any) -> Problem:
    """A pydantic error located in the document (line and column of the key at fault)."""
    node: Any = data
    pos = data.pos
    path: list[str] = []
    parent: Any = data
    last: Any = None
    for part in err["loc"]:
        if isinstance(node, PosDict) and str(part) in node:
            parent, last = node, str(part)
            pos = node.at(last)
            node = node[last]
            path.append(last)
        elif isinstance(node, PosList) and isinstance(part, int) and part < len(node):
            parent, last = node, part
            pos = node.at(part)
            node = node[part]
            path.append(str(part))
        elif isinstance(part, str) and part not in ("function-after", "function-before"):
            last = part
            path.append(part)
            break
    dotted = ".".join(path) or None
    if err["type"] == "extra_forbidden":
        choices = _known_keys(path[:-1])
        guess = suggest(str(last), choices)
        return Problem(file=file, line=pos[0], column=pos[1], field=dotted,
                       message=f"unknown key {last!r}"
                               + (f" (did you mean {guess!r}?)" if guess else ""),
                       message_zh=f"未知的键 {last!r}"
                                  + (f"（是否应为 {guess!r}？）" if guess else ""),
                       code="unknown_key")
    if err["type"] == "missing" and isinstance(parent, PosDict) and last not in parent:
        pos = node.pos if isinstance(node, (PosDict, PosList)) else pos
    zh = {"missing": "缺少必填项", "literal_error": "不是允许的取值",
          "greater_than_equal": "取值过小", "less_than_equal": "取值过大",
          "string_too_short": "不能为空", "float_parsing": "应为数字",
          "int_parsing": "应为整数", "model_type": "应为映射"}.get(err["type"], "取值无效")
    return Problem(file=file, line=pos[0], column=pos[1], field=dotted, message=err["msg"],
                   message_zh=f"{zh}：{err['msg']}", code=err["type"])


def _known_keys(parent: list[str]) -> list[str]:
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): Policy, ("severity_weights",): SeverityWeights,
        ("commendation",): CommendationPolicy, ("rectify",): RectifyPolicy,
        ("title",): PolicyText, ("waived",): Setting[WaivedTreatment],
    }
    model = models.get(tuple(parent))
    if model is None:
        return list(Weight.model_fields)
    return list(model.model_fields)


# ----------------------------------------------------------------------------- families
class Family(_Strict):
    """A clause family: the clauses one rule file encodes (``3.1``, ``4-5``, ...)."""

    id: str
    title: Message


def _natural(key: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", key))


def family_of(clause: str, families: Iterable[str]) -> str:
    """The family a clause belongs to.

    A family named ``1-6-7`` holds clauses 1, 6, 7 and their sub-clauses; ``3.1``
    holds 3.1 and 3.1.x. The longest matching part wins. A clause no family holds
    falls back to its section (``3.x``) or chapter.
    """
    best: tuple[int, str] | None = None
    for family in families:
        for part in family.split("-"):
            matches = clause == part or clause.startswith(part + ".")
            if matches and (best is None or len(part) > best[0]):
                best = (len(part), family)
    if best is not None:
        return best[1]
    parts = clause.split(".")
    return ".".join(parts[:2]) if parts[0] == "3" and len(parts) > 1 else parts[0]


@cache
def bundled_families() -> dict[str, Message]:
    """The clause families of the bundled rules (empty if they cannot be loaded)."""
    from ..rules.load import load_rules

    try:
        ruleset = load_rules()
    except FulingError:
        return {}
    return {k: Message(zh=v.zh, en=v.en) for k, v in ruleset.families.items()}


def families_for(report: Report, known: Mapping[str, Any] | None = None) -> list[Family]:
    """The families of the report's rules, in clause order, with their titles.

    ``known``: family id -> title (a RuleSet's ``families``); default: the bundled rules'.
    """
    titles: dict[str, Message] = {}
    for key, value in (known if known is not None else bundled_families()).items():
        titles[key] = Message(zh=str(value.zh), en=str(value.en))
    ids = {family_of(r.clause, titles) for r in report.rules}
    ids.update(family_of(f.clause, titles) for f in report.findings)
    reg = regulation()
    out: list[Family] = []
    for fid in sorted(ids, key=_natural):
        title = titles.get(fid)
        if title is None:
            clause = reg.clauses.get(fid)
            title = Message(zh=(clause.heading or clause.zh) if clause else fid,
                            en=clause.en if clause else fid)
        out.append(Family(id=fid, title=title))
    return out


# ----------------------------------------------------------------------------- assessment
class FamilyCard(_Strict):
    """One party's outcomes in one clause family (``None``: not in the report).

    ``rate``: the severity-weighted compliance rate in percent (``None``: nothing
    evaluated, or the report lacks the passes); ``weight``: the family's weight.
    """

    family: str
    title: Message
    evaluated: int | None
    passed: int | None
    failed: int
    unknown: int
    not_applicable: int | None
    weight: float
    rate: float | None
    waived: int = 0


class Satisfaction(_Strict):
    """User satisfaction from the surveys (6.2): satisfied ÷ respondents over all surveys."""

    surveys: int
    respondents: int
    satisfied: int
    percent: float | None


class Commendation(_Strict):
    candidate: bool
    reasons: list[Message]


class Item(_Strict):
    """A finding to act on: a failure to rectify or a record to supply (or a waived one,
    with its waiver and original status)."""

    rule: str
    clause: str
    severity: str
    status: str
    subject: Subject
    item: str | None
    message: Message
    original_status: str | None = Field(default=None, exclude_if=lambda v: v is None)
    waiver: WaiverRef | None = Field(default=None, exclude_if=lambda v: v is None)


class Scorecard(_Strict):
    party: Party
    name: str | None
    score: float | None
    rank: int | None
    families: list[FamilyCard]
    failed_by_severity: dict[str, int]
    satisfaction: Satisfaction | None
    commendation: Commendation | None
    rectify: list[Item]
    supply_data: list[Item]
    waived: list[Item] = Field(default_factory=list)

    @property
    def key(self) -> str:
        """The supplier id, ``commission``, or ``""`` for the card of a supplier's duties
        on records whose supplier is unknown (shown as such, never as the Commission)."""
        if self.party.type == "commission":
            return "commission"
        return self.party.id or ""

    def total(self, field: str) -> int | None:
        """A column summed over the families (``None`` when unknown)."""
        values = [getattr(card, field) for card in self.families]
        if any(v is None for v in values):
            return None
        return int(sum(values))


class Period(_Strict):
    """The assessment period, both dates included; ``basis`` says where it came from."""

    start: dt.date
    end: dt.date
    basis: Literal["given", "quarter_of_as_of"] = "given"


class PolicyInfo(_Strict):
    version: str
    title: Message
    severity_weights: dict[str, float]
    family_weights: dict[str, float]
    insufficient_data_factor: float
    min_satisfaction: float
    min_respondents: int
    waived: WaivedTreatment = "exclude"


class Assessment(_Strict):
    """The Commission's assessment: ``fuling-compliance/assessment/v1``."""

    format: Literal["fuling-compliance/assessment/v1"] = "fuling-compliance/assessment/v1"
    as_of: dt.datetime
    period: Period
    ruleset: RuleSetInfo
    policy: PolicyInfo
    complete: bool
    families: list[Family]
    suppliers: list[Scorecard]
    commission: Scorecard | None
    ranking: list[str]
    commendation_candidates: list[str]
    #: the waivers in force at ``as_of`` (from the report)
    waivers: list[WaiverUse] = Field(default_factory=list)

    def to_json(self, indent: int | None = 2) -> str:
        """The assessment as JSON."""
        return self.model_dump_json(by_alias=True, indent=indent)

    def supplier(self, supplier_id: str) -> Scorecard:
        for card in self.suppliers:
            if card.party.id == supplier_id:
                return card
        raise KeyError(supplier_id)


def report_is_complete(report: Report) -> bool:
    """Whether the report lists every outcome (evaluated with ``all_outcomes``)."""
    listed: dict[tuple[str, str], int] = defaultdict(int)
    for f in report.findings:
        listed[(f.rule, f.status)] += 1
    for r in report.rules:
        for status, count in (("pass", r.pass_), ("fail", r.fail),
                              ("insufficient_data", r.insufficient_data),
                              ("not_applicable", r.not_applicable), ("waived", r.waived)):
            if listed[(r.id, status)] != count:
                return False
    return True


def quarter_of(as_of: dt.datetime) -> Period:
    """The calendar quarter containing ``as_of`` (Chongqing time), up to ``as_of``."""
    day = as_of.astimezone(CHONGQING).date() if as_of.tzinfo else as_of.date()
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Period(start=first, end=day, basis="quarter_of_as_of")


def parse_period(text: str) -> Period:
    """``2026Q2`` (a whole quarter) or ``2026-04-01..2026-06-30``; ValueError otherwise."""
    value = text.strip()
    quarter = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", value)
    if quarter:
        year, q = int(quarter[1]), int(quarter[2])
        start = dt.date(year, 3 * q - 2, 1)
        end = (dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1))
        return Period(start=start, end=end - dt.timedelta(days=1))
    parts = value.split("..")
    if len(parts) != 2:
        raise ValueError(f"not a period (2026Q2 or 2026-04-01..2026-06-30): {text!r}")
    start, end = (dt.date.fromisoformat(p.strip()) for p in parts)
    if end < start:
        raise ValueError(f"period ends before it starts: {text!r}")
    return Period(start=start, end=end)


def _satisfaction(facts: FactSet, supplier_id: str, period: Period) -> Satisfaction:
    surveys = [s for s in facts.surveys if s.supplier_id == supplier_id
               and (s.period_start is None or s.period_start <= period.end)
               and (s.period_end is None or s.period_end >= period.start)]
    respondents = sum(int(s.respondents or 0) for s in surveys
                      if s.respondents is not None and s.satisfied is not None)
    satisfied = sum(int(s.satisfied or 0) for s in surveys
                    if s.respondents is not None and s.satisfied is not None)
    percent = round(satisfied * 100 / respondents, 1) if respondents else None
    return Satisfaction(surveys=len(surveys), respondents=respondents, satisfied=satisfied,
                        percent=percent)


def _item(f: Finding) -> Item:
    return Item(rule=f.rule, clause=f.clause, severity=f.severity, status=f.status,
                subject=f.subject, item=f.item, message=f.message,
                original_status=f.original_status, waiver=f.waiver)


def _counted(f: Finding, policy: Policy) -> str:
    """The status a finding counts as in the score: a waived one as the policy says."""
    if f.status == "waived" and policy.waived.value == "original":
        return f.outcome
    return f.status


def _by_severity(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (-SEVERITY_ORDER[i.severity], i.rule, i.subject.id,
                                        i.item or ""))


def _card(
    party: Party,
    name: str | None,
    findings: Sequence[Finding],
    families: list[Family],
    policy: Policy,
    complete: bool,
    scored: bool,
) -> Scorecard:
    ids = [fam.id for fam in families]
    counts: dict[str, dict[str, int]] = {fid: defaultdict(int) for fid in ids}
    weights: dict[str, dict[str, float]] = {fid: defaultdict(float) for fid in ids}
    for f in findings:
        fid = family_of(f.clause, ids)
        status = _counted(f, policy)
        counts.setdefault(fid, defaultdict(int))[status] += 1
        if f.status == "waived" and status != "waived":  # counted as its original status
            counts[fid]["waived"] += 1
        weights.setdefault(fid, defaultdict(float))[status] += \
            policy.severity_weights.of(f.severity)
    factor = float(policy.insufficient_data_factor.value)
    cards: list[FamilyCard] = []
    for fam in families:
        c, w = counts.get(fam.id, {}), weights.get(fam.id, {})
        evaluated = c.get("pass", 0) + c.get("fail", 0) + c.get("insufficient_data", 0)
        total = w.get("pass", 0.0) + w.get("fail", 0.0) + w.get("insufficient_data", 0.0)
        loss = w.get("fail", 0.0) + factor * w.get("insufficient_data", 0.0)
        rate = round(100 * (1 - loss / total), 1) if complete and total > 0 else None
        cards.append(FamilyCard(
            family=fam.id, title=fam.title,
            evaluated=evaluated if complete else None,
            passed=c.get("pass", 0) if complete else None,
            failed=c.get("fail", 0), unknown=c.get("insufficient_data", 0),
            not_applicable=c.get("not_applicable", 0) if complete else None,
            weight=policy.family_weight(fam.id), rate=rate, waived=c.get("waived", 0)))
    rated = [fc for fc in cards if fc.rate is not None and fc.weight > 0]
    score = None
    if scored and complete and rated:
        score = round(sum(fc.weight * (fc.rate or 0.0) for fc in rated)
                      / sum(fc.weight for fc in rated), 1)
    floor = SEVERITY_ORDER[policy.rectify.min_severity.value]
    counted_fails = [f for f in findings if _counted(f, policy) == "fail"]
    fails = [f for f in findings if f.status == "fail"]
    return Scorecard(
        party=party, name=name, score=score, rank=None, families=cards,
        failed_by_severity={s: sum(1 for f in counted_fails if f.severity == s)
                            for s in SEVERITIES},
        satisfaction=None, commendation=None,
        rectify=_by_severity([_item(f) for f in fails if SEVERITY_ORDER[f.severity] >= floor]),
        supply_data=_by_severity([_item(f) for f in findings
                                  if f.status == "insufficient_data"]),
        waived=_by_severity([_item(f) for f in findings if f.status == "waived"]),
    )


def _commendation(card: Scorecard, policy: Policy) -> Commendation:
    rule = policy.commendation
    ceiling = SEVERITY_ORDER[rule.max_failure_severity.value]
    above = sum(n for s, n in card.failed_by_severity.items() if SEVERITY_ORDER[s] > ceiling)
    label_zh = {"info": "提示", "low": "轻微", "medium": "一般", "high": "严重"}
    reasons: list[Message] = []
    if above:
        sev = rule.max_failure_severity.value
        reasons.append(Message(zh=f"有 {above} 项高于“{label_zh[sev]}”级别的不合规",
                               en=f"{above} failing finding(s) above {sev}"))
    sat = card.satisfaction
    threshold = float(rule.min_satisfaction.value)
    if sat is None or sat.percent is None:
        reasons.append(Message(zh="没有满意度调查数据（第 6.2 条：用户满意度调查）",
                               en="no user satisfaction survey data (clause 6.2)"))
    else:
        if sat.respondents < rule.min_respondents.value:
            reasons.append(Message(
                zh=f"受访 {sat.respondents} 人，少于 {rule.min_respondents.value} 人",
                en=f"{sat.respondents} respondents, fewer than {rule.min_respondents.value}"))
        if sat.percent < threshold:
            reasons.append(Message(zh=f"满意度 {sat.percent:g}% 低于 {threshold:g}%",
                                   en=f"satisfaction {sat.percent:g}% below {threshold:g}%"))
    if reasons:
        return Commendation(candidate=False, reasons=reasons)
    assert sat is not None and sat.percent is not None
    return Commendation(candidate=True, reasons=[Message(
        zh=f"无高于“{label_zh[rule.max_failure_severity.value]}”级别的不合规，"
           f"满意度 {sat.percent:g}%（受访 {sat.respondents} 人）不低于 {threshold:g}%",
        en=f"no failing finding above {rule.max_failure_severity.value}; satisfaction "
           f"{sat.percent:g}% ({sat.respondents} respondents) at or above {threshold:g}%")])


def _common_families(cards: list[Scorecard]) -> list[Scorecard]:
    """Keep the families in which at least one of the cards has an outcome."""
    keep = {fc.family for card in cards for fc in card.families
            if fc.failed or fc.unknown or fc.evaluated or fc.not_applicable or fc.waived}
    return [card.model_copy(update={"families": [fc for fc in card.families
                                                 if fc.family in keep]})
            for card in cards]


def assess(
    report: Report,
    facts: FactSet | None = None,
    policy: Policy | None = None,
    *,
    families: Mapping[str, Any] | None = None,
    period: Period | None = None,
) -> Assessment:
    """The Commission's assessment of each supplier from ``report``.

    ``facts``: the fact set the report was evaluated on — supplier names and the
    satisfaction surveys come from it; without it they are unknown and nobody is a
    commendation candidate. ``policy``: default the bundled
    ``rules/policy/assessment.yaml``. ``families``: family id -> title (a RuleSet's
    ``families``); default the bundled rules'. ``period``: default the quarter of
    ``as_of`` (see :func:`quarter_of`).
    """
    policy = policy or _bundled_policy()
    period = period or quarter_of(report.as_of)
    fams = families_for(report, families)
    complete = report_is_complete(report)
    names = {s.id: s.name for s in facts.suppliers} if facts is not None else {}
    by_party: dict[str | None, list[Finding]] = defaultdict(list)
    commission: list[Finding] = []
    for f in report.findings:
        if f.responsible.type == "supplier":
            by_party[f.responsible.id].append(f)
        else:
            commission.append(f)
    supplier_ids = sorted({*names, *(k for k in by_party if k is not None)})
    cards: list[Scorecard] = []
    for sid in supplier_ids:
        card = _card(Party(type="supplier", id=sid), names.get(sid), by_party.get(sid, []),
                     fams, policy, complete, scored=True)
        sat = _satisfaction(facts, sid, period) if facts is not None else None
        card = card.model_copy(update={"satisfaction": sat})
        card = card.model_copy(update={"commendation": _commendation(card, policy)})
        cards.append(card)
    cards = _common_families(cards)
    cards.sort(key=lambda c: (c.score is None, -(c.score or 0.0),
                              -c.failed_by_severity["high"], c.key))
    ranked: list[Scorecard] = []
    previous: tuple[float, int] | None = None
    for position, card in enumerate(cards, start=1):
        rank = None
        if card.score is not None:
            rank = previous[1] if previous is not None and previous[0] == card.score \
                else position
            previous = (card.score, rank)
        ranked.append(card.model_copy(update={"rank": rank}))
    commission_card = None
    if commission or facts is None or facts.commission is not None:
        commission_card = _common_families([_card(
            Party(type="commission", id="commission"), None, commission, fams, policy,
            complete, scored=False)])[0]
    orphans = [f for f in by_party.get(None, [])
               if f.status in ("fail", "insufficient_data", "waived")]
    if orphans:  # a supplier's duty on a record whose supplier is unknown: shown, not ranked
        ranked.append(_common_families([_card(
            Party(type="supplier", id=None), None, orphans, fams, policy, complete,
            scored=False)])[0])
    return Assessment(
        as_of=report.as_of,
        period=period,
        ruleset=report.ruleset,
        policy=PolicyInfo(
            version=policy.version, title=Message(zh=policy.title.zh, en=policy.title.en),
            severity_weights={s: policy.severity_weights.of(s) for s in SEVERITIES},
            family_weights={fam.id: policy.family_weight(fam.id) for fam in fams},
            insufficient_data_factor=float(policy.insufficient_data_factor.value),
            min_satisfaction=float(policy.commendation.min_satisfaction.value),
            min_respondents=int(policy.commendation.min_respondents.value),
            waived=policy.waived.value),
        complete=complete,
        families=fams,
        suppliers=ranked,
        commission=commission_card,
        ranking=[c.key for c in ranked if c.rank is not None],
        commendation_candidates=[c.key for c in ranked
                                 if c.commendation is not None and c.commendation.candidate],
        waivers=[w for w in report.waivers or () if w.state == "in_force"],
    )


def assessment_for(report: Report, facts: FactSet, families: Mapping[str, Any],
                   policy_path: str | Path | None = None,
                   period: Period | None = None) -> Assessment:
    """The assessment both ``assess`` and ``check --format html|markdown`` show: the
    policy file (default: the bundled one) read for the rule set's ``families``, supplier
    names and satisfaction from ``facts``."""
    policy = load_policy(policy_path, families=families)
    return assess(report, facts, policy, families=families, period=period)
