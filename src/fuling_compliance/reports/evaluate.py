"""Evaluate a rule set against a fact set and build the report.

:func:`evaluate` runs the compiled rules on durable_rules (:mod:`..engine.run`: every
outcome) and turns the outcomes into the report: per rule, how many subjects pass,
fail, lack data or are not concerned; and a finding for every ``fail`` and
``insufficient_data`` (every outcome with ``all_outcomes``) with its message and
evidence filled from the records. The outcome is always the engine's; messages and
evidence only display the records' values: a parameter's value in force at the
record's own date; where a relation may hold several records, the related record the
engine bound in the firings that gave the outcome (the first of them by id, so the
same whatever the order of the facts).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import TypeAdapter

from ..calendar import CHONGQING, WorkingCalendar
from ..engine.isolate import call_isolated
from ..engine.normalise import COMMISSION_PARTITION, Normaliser
from ..engine.run import CODES, STATUS_OF, Executor, Outcomes, resolve_as_of, run
from ..errors import CalendarError
from ..facts.fields import Fields
from ..facts.labels import COLLECTION_LABELS, VALUE_LABELS, field_label
from ..facts.model import (
    CONTRADICTIONS_OF,
    DEFINITE_NULL_FIELDS,
    SUBJECT_TYPES,
    FactSet,
    Range,
    Record,
    contradicted,
)
from ..rules.compile import CompiledRule, cited_aliases, subject_date
from ..rules.load import RuleSet
from ..rules.model import All, Compare, Rule, condition_paths, rule_paths
from ..rules.numbers import PLACEHOLDER
from ..rules.waivers import WaiverSet
from ..timing import phase
from .report import (
    STATUSES,
    Counts,
    FactsInfo,
    Finding,
    Report,
    RuleSetInfo,
    RuleSummary,
)

__all__ = ["PRECEDENCE", "build_report", "evaluate", "resolve_as_of"]

PRECEDENCE = {"fail": 3, "insufficient_data": 2, "pass": 1, "not_applicable": 0}
_FINDING_CODES = (CODES["fail"], CODES["insufficient_data"])


def evaluate(
    rules: RuleSet,
    facts: FactSet,
    as_of: dt.datetime | str | None = None,
    *,
    all_outcomes: bool = False,
    workers: int = 1,
    executor: Executor | None = None,
    waivers: WaiverSet | None = None,
    isolated: bool = False,
) -> Report:
    """Evaluate ``rules`` against ``facts`` at ``as_of``; return the report.

    ``as_of``: the argument, else the fact set's, else now. ``findings`` holds every
    ``fail`` and ``insufficient_data`` outcome (every outcome with ``all_outcomes=True``).
    ``workers > 1`` evaluates in that many forked processes (durable_rules holds the
    GIL); ``executor`` runs the work on any executor with ``map`` — e.g. a Dask
    cluster's ``Client(...).get_executor()``. The report is the same whichever way it is
    run. ``waivers`` (:func:`~fuling_compliance.rules.waivers.load_waivers`): the findings
    a waiver in force at ``as_of`` covers become ``waived`` (see
    :func:`~fuling_compliance.reports.waive.apply_waivers`, the same as a separate step).
    ``isolated=True`` runs the engine in a forked child process (:mod:`..engine.isolate`):
    a crash of durable_rules' C extension is then an ``EngineError`` rather than the end
    of the calling process (a server's, say); the CLI always does this. Raises
    :class:`CalendarError` when a working-day rule needs a year no calendar covers,
    :class:`EngineError` if durable_rules misbehaves, :class:`InputError` for an
    ``as_of`` that is not a datetime.
    """
    rules.require_fields(facts)
    moment = resolve_as_of(as_of, facts)
    with phase("rules"):
        compiled = rules.compiled

    def engine() -> Outcomes:
        return run(compiled, facts, moment, rules.calendar, workers=workers, executor=executor)

    outcomes = call_isolated(engine) if isolated and executor is None else engine()
    with phase("report"):
        report = build_report(rules, facts, moment, outcomes, all_outcomes=all_outcomes)
        if waivers is not None:
            from .waive import apply_waivers

            report = apply_waivers(report, waivers)
        return report


def build_report(rules: RuleSet, facts: FactSet, as_of: dt.datetime, outcomes: Outcomes,
                 *, all_outcomes: bool = False) -> Report:
    """The report of ``outcomes`` (see the module docstring)."""
    normaliser = Normaliser(facts, rules.calendar)
    related = _RelatedIndex(facts)
    summaries: list[RuleSummary] = []
    status: str
    findings: list[dict[str, Any]] = []
    totals: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for c in sorted(rules.compiled, key=lambda c: c.rule.id):
        rule = c.rule
        counts = {status: outcomes.count(rule.id, status) for status in STATUSES}
        for status in STATUSES:
            totals[status] += counts[status]
        summaries.append(RuleSummary(
            id=rule.id, clause=rule.clause, severity=rule.severity,
            title={"zh": rule.title.zh, "en": rule.title.en},
            **{("pass_" if k == "pass" else k): v for k, v in counts.items()},
        ))
        rows, ids = facts.rows(rule.subject), facts.ids(rule.subject)
        view: _RuleView | None = None  # worked out at the rule's first finding
        known = facts.fields.specs(rule.subject)
        for item, index, status in _reported(c, outcomes, all_outcomes):
            if view is None:
                view = _RuleView(rule, rules.fields)
            record = Record(rule.subject, rows[index], ids[index], known)
            cited = {alias: related.cited(rule, alias, outcomes.citations(rule.id, item, index,
                                                                         alias))
                     for alias in view.cited}
            findings.append(view.finding(record, item, status, as_of, normaliser, related,
                                         cited))
    findings.sort(key=lambda f: (f["rule"], f["supplier_id"] or "", f["subject"]["id"],
                                 f["item"] or ""))
    return Report(
        as_of=as_of,
        ruleset=RuleSetInfo(version=rules.version, rules=len(rules.compiled)),
        facts=FactsInfo(records=facts.count(), warnings=list(facts.warnings)),
        summary=Counts(**{("pass_" if k == "pass" else k): v for k, v in totals.items()}),
        rules=summaries,
        # validated all at once (pydantic-core): much faster than one model at a time
        findings=_FINDINGS.validate_python(findings),
    )


_FINDINGS: TypeAdapter[list[Finding]] = TypeAdapter(list[Finding])


def _reported(c: CompiledRule, outcomes: Outcomes, all_outcomes: bool
              ) -> Iterator[tuple[str | None, int, str]]:
    """(item, subject index, status) of every outcome that becomes a finding."""
    for item, codes in outcomes.codes[c.rule.id].items():
        if all_outcomes:
            for index, code in enumerate(codes):
                yield item, index, STATUS_OF[code]
            continue
        for code in _FINDING_CODES:
            start = 0
            while (index := codes.find(code, start)) >= 0:
                yield item, index, STATUS_OF[code]
                start = index + 1


class _RelatedIndex:
    """Related records by their match keys, built once per collection and key shape."""

    def __init__(self, facts: FactSet) -> None:
        self._facts = facts
        self._by_key: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], list[Record]]] = {}

    def first(self, rule: Rule, alias: str, record: Record, item: str | None) -> Record | None:
        """The first related record (by id) of ``alias``, for messages and evidence.

        The order of the records in the input never matters: the related record a
        message cites is the first by id that passes the relation's simple filters.
        """
        rel = rule.related[alias]
        fields = tuple(rel.match)
        table = self._by_key.get((rel.collection, fields))
        if table is None:
            table = defaultdict(list)
            for other in sorted(self._facts.records(rel.collection),
                                key=lambda r: r.record_id()):
                table[other.values_of(fields)].append(other)
            self._by_key[(rel.collection, fields)] = table
        want = tuple(
            record.values_of((f,))[0] if isinstance(f, str) else item
            for f in rel.match.values())
        for other in table.get(want, ()):
            if _where_holds(rel.where, other):
                return other
        return None

    def cited(self, rule: Rule, alias: str, indexes: set[int]) -> Record | None:
        """The related record a finding cites among those the engine bound (by id)."""
        if not indexes:
            return None
        collection = rule.related[alias].collection
        records = self._facts.records(collection)
        return min((records[i] for i in indexes), key=lambda r: r.record_id())


def _definite_null(rule: Rule, path: str) -> bool:
    """Whether ``path``'s null has a meaning (an event not happened...), not "unknown"."""
    alias, _, name = path.rpartition(".")
    collection = rule.related[alias].collection if alias in rule.related else rule.subject
    return name in DEFINITE_NULL_FIELDS.get(collection, frozenset())


def _where_holds(where: Any, record: Record) -> bool:
    """For picking the related record a message names: simple ``eq`` filters only.

    The outcome itself always comes from the engine; this only chooses which related
    record's values a message shows.
    """
    if where is None:
        return True
    parts: list[Any] = list(where.all) if isinstance(where, All) else [where]
    for part in parts:
        simple = isinstance(part, Compare) and part.op == "eq" and isinstance(
            part.value, (str, int, float, bool))
        if simple and record.get(part.field) != part.value:
            return False
    return True


class _RuleView:
    """How one rule's findings are written: the values its message and evidence show,
    worked out once per rule (a million-record district has tens of thousands of
    findings)."""

    def __init__(self, rule: Rule, in_force: Fields) -> None:
        self.rule = rule
        self.paths = rule_paths(rule)
        self.templates = {lang: _template(getattr(rule.message, lang)) for lang in ("zh", "en")}
        shown = {name for parts in self.templates.values() for name in parts[1::2]}
        between = {f for b in rule.evidence.values() for f in b.fields}
        wanted = set(self.paths) | shown | between
        self.subject_fields: list[tuple[str, str]] = [
            (n, k) for n, (k, _) in in_force.kinds(rule.subject).items() if n in wanted]
        #: Chinese labels of the values shown, per placeholder (declared enums have theirs)
        self.labels: dict[str, Mapping[str, str]] = {
            n: in_force.value_labels(rule.subject, n) for n, _ in self.subject_fields}
        self.related_fields: dict[str, list[tuple[str, str]]] = {}
        self.kinds: dict[str, str] = {"item": "enum"}
        self.kinds.update(dict(self.subject_fields))
        for alias, rel in rule.related.items():
            fields: list[tuple[str, str]] = [
                (n, k) for n, (k, _) in in_force.kinds(rel.collection).items()
                if f"{alias}.{n}" in wanted]
            self.labels.update({f"{alias}.{n}": in_force.value_labels(rel.collection, n)
                                for n, _ in fields})
            self.related_fields[alias] = fields
            self.kinds.update({f"{alias}.{n}": k for n, k in fields})
        self.definite = {p for p in self.kinds if _definite_null(rule, p)}
        self.unknown_candidates = [p for p in self.paths
                                   if p != "as_of" and not _definite_null(rule, p)]
        self.title = {"zh": rule.title.zh, "en": rule.title.en}
        self.cited = cited_aliases(rule)
        #: what may be unknown about whether a related record counts (its `where`)
        self.where_paths = [f"{alias}.{path}" for alias, rel in rule.related.items()
                            for path in dict.fromkeys(condition_paths(rel.where))
                            if path != "as_of" and "." not in path]
        self.dated = any(p.dated for p in rule.parameters.values())
        self.path_labels = {path: _path_label(rule, path)
                       for path in {*self.paths, *self.where_paths, *rule.requires}}
        self.passes = {"zh": f"合规：未出现“{rule.title.zh}”",
                       "en": f"Passes: no “{rule.title.en}”"}
        self.not_applicable = {"zh": f"不适用：本规则（“{rule.title.zh}”）的适用条件不满足",
                               "en": f"Not applicable: the conditions of “{rule.title.en}” "
                                     "do not hold"}

    def finding(self, record: Record, item: str | None, status: str, as_of: dt.datetime,
                normaliser: Normaliser, related_index: _RelatedIndex,
                cited: dict[str, Record | None] | None = None) -> dict[str, Any]:
        """The finding as the plain data of a :class:`Finding`."""
        rule = self.rule
        partition = normaliser.partition(rule.subject, record)
        supplier = None if partition == COMMISSION_PARTITION else partition
        values: dict[str, Any] = {"id": record.record_id(), "as_of": as_of, "item": item,
                                  "supplier_id": supplier, "rule": rule.id,
                                  "clause": rule.clause}
        unknown_now: set[str] = set()  # definite-null fields a contradiction made unknown
        if rule.subject in CONTRADICTIONS_OF:
            unknown_now = set(contradicted(rule.subject, record.values))
        for name, _ in self.subject_fields:
            values[name] = normaliser.value(rule.subject, record, name)
        for alias, fields in self.related_fields.items():
            if alias in self.cited:
                related = (cited or {}).get(alias)
            else:
                related = related_index.first(rule, alias, record, item)
            if related is not None:
                collection = rule.related[alias].collection
                if collection in CONTRADICTIONS_OF:
                    unknown_now |= {f"{alias}.{f}" for f in
                                    contradicted(collection, related.values)}
                for name, _ in fields:
                    values[f"{alias}.{name}"] = normaliser.value(collection, related, name)
        day = subject_date(rule.subject, record.values, as_of) if self.dated else None
        in_force = {name: param.value_at(day) for name, param in rule.parameters.items()}
        values.update(in_force)
        evidence: dict[str, Any] = {path: _json_value(values.get(path)) for path in self.paths}
        for name, between in rule.evidence.items():
            a, b = (values.get(f) for f in between.fields)
            values[name] = evidence[name] = _between(between.unit, a, b, normaliser.calendar)
        evidence.update(in_force)
        if status == "fail":
            kinds = self._kinds(values, unknown_now)
            message = {"zh": _fill(self.templates["zh"], values, kinds, "zh", self.labels),
                       "en": _fill(self.templates["en"], values, kinds, "en", self.labels)}
        elif status == "insufficient_data":
            unknown = [p for p in self.paths if p != "as_of" and evidence.get(p) is None
                       and (p in self.unknown_candidates or p in unknown_now
                            or p in rule.requires)]
            if not unknown:  # whether a related record counts is what is unknown
                unknown = self.where_paths
            message = {
                "zh": f"数据不足，无法判断“{rule.title.zh}”"
                      + (f"（未知：{'、'.join(self.path_labels[p] for p in unknown)}）" if unknown
                         else "（所需信息未知）"),
                "en": f"Insufficient data to judge “{rule.title.en}” "
                      f"(unknown: {', '.join(unknown) or 'a required value'})",
            }
        elif status == "pass":
            message = self.passes
        else:
            message = self.not_applicable
        return {
            "rule": rule.id, "clause": rule.clause, "status": status, "severity": rule.severity,
            "subject": {"type": SUBJECT_TYPES[rule.subject], "id": record.record_id()},
            "supplier_id": supplier,
            "responsible": {"type": rule.responsible,
                            "id": supplier if rule.responsible == "supplier" else "commission"},
            "item": item, "message": message, "evidence": evidence}

    def _kinds(self, values: dict[str, Any], unknown: set[str]) -> dict[str, str]:
        """Kinds for display: a definite null (an event not happened) reads "none yet",
        unless a contradiction made it unknown."""
        if not self.definite:
            return self.kinds
        kinds = dict(self.kinds)
        for path in self.definite:
            if values.get(path) is None and path not in unknown:
                kinds[path] = "definite_null"
        return kinds


def _path_label(rule: Rule, path: str) -> str:
    """A field path in Chinese: ``staff.certified`` -> ``员工的持证``."""
    alias, _, name = path.rpartition(".")
    label = field_label(name)
    if alias in rule.related:
        collection = rule.related[alias].collection
        return f"{COLLECTION_LABELS.get(collection, collection)}的{label}"
    return label


def _template(text: str) -> list[str]:
    """A message template split into text and placeholder names: ``[text, name, text...]``."""
    return PLACEHOLDER.split(text)


def _between(unit: str, a: Any, b: Any, calendar: WorkingCalendar) -> Any:
    if a is None or b is None or isinstance(a, Range) or isinstance(b, Range):
        return None
    if unit == "working_days":
        da = a.astimezone(CHONGQING).date() if isinstance(a, dt.datetime) else a
        db = b.astimezone(CHONGQING).date() if isinstance(b, dt.datetime) else b
        try:
            return (calendar.start(db) - calendar.start(da)) // 2
        except CalendarError:
            return None
    if unit == "days":
        da = a.astimezone(CHONGQING).date() if isinstance(a, dt.datetime) else a
        db = b.astimezone(CHONGQING).date() if isinstance(b, dt.datetime) else b
        return (db - da).days
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        seconds = (b - a).total_seconds()
        return int(seconds // (60 if unit == "minutes" else 3600))
    return None


def _json_value(value: Any) -> Any:
    if isinstance(value, Range):  # an ISO 8601 interval
        return f"{_json_value(value.lo)}/{_json_value(value.hi)}"
    if isinstance(value, dt.datetime):
        return value.astimezone(CHONGQING).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def _display(value: Any, lang: str, kind: str | None = None,
             labels: Mapping[str, str] = VALUE_LABELS) -> str:
    if isinstance(value, Range):
        lo, hi = _display(value.lo, lang), _display(value.hi, lang)
        return f"{lo} 至 {hi} 之间" if lang == "zh" else f"between {lo} and {hi}"
    if lang == "zh" and kind in ("enum", "list"):
        if isinstance(value, str):
            return labels.get(value, value)
        if isinstance(value, (list, tuple)):
            value = [labels.get(v, v) for v in value]
    if value is None and kind == "definite_null":  # an event that has not happened, ...
        return "尚无" if lang == "zh" else "none"
    if value is None:
        return "未知" if lang == "zh" else "unknown"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, dt.datetime):
        return value.astimezone(CHONGQING).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ("、" if lang == "zh" else ", ").join(map(str, value)) or "—"
    return str(value)


def _fill(parts: list[str], values: dict[str, Any], kinds: dict[str, str], lang: str,
          labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """A split template (:func:`_template`) with its placeholders' values shown."""
    out = parts[:]
    for i in range(1, len(parts), 2):
        name = parts[i]
        out[i] = _display(values.get(name), lang, kinds.get(name),
                          (labels or {}).get(name, VALUE_LABELS))
    return "".join(out)

