"""Evaluate a rule set against a fact set on durable_rules and build the report.

1. Normalise the records every compiled rule reads into engine facts, grouped by
   partition (the supplier: every join stays inside one supplier; records about no
   supplier go to the commission's partition, and the commission record is also
   broadcast to each supplier partition when a rule relates to it).
2. In each partition assert the facts, then the gate; collect the firings.
3. Merge firings per (rule, item, subject) — several related records can make several
   outcomes fire for one subject: ``fail`` > ``insufficient_data`` > ``pass`` >
   ``not_applicable`` — and check that every subject got an outcome.
4. Build findings: messages and evidence filled from the records (display only).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ..calendar import CHONGQING, WorkingCalendar
from ..errors import CalendarError, EngineError
from ..facts.labels import VALUE_LABELS
from ..facts.model import (
    COLLECTIONS,
    DEFINITE_NULL_FIELDS,
    SUBJECT_TYPES,
    FactSet,
    Record,
    field_kinds,
)
from ..reports.report import (
    STATUSES,
    Counts,
    FactsInfo,
    Finding,
    Message,
    Party,
    Report,
    RuleSetInfo,
    RuleSummary,
    Subject,
)
from ..rules.compile import CompiledRule, engine_fields, gate_fields
from ..rules.load import PLACEHOLDER, RuleSet
from ..rules.model import All, Compare, Rule, rule_paths
from .durable import engine_run
from .normalise import COMMISSION_PARTITION, KIND, Normaliser, local_date

PRECEDENCE = {"fail": 3, "insufficient_data": 2, "pass": 1, "not_applicable": 0}


def resolve_as_of(as_of: dt.datetime | str | None, facts: FactSet) -> dt.datetime:
    """The moment of judgement: the argument, else the fact set's, else now (Chongqing)."""
    if isinstance(as_of, str):
        as_of = dt.datetime.fromisoformat(as_of)
    value = as_of or facts.as_of or dt.datetime.now(CHONGQING).replace(microsecond=0)
    return value if value.tzinfo else value.replace(tzinfo=CHONGQING)


@dataclass(frozen=True)
class _Plan:
    """What to assert: engine fields per collection, and where the commission goes."""

    fields: dict[str, set[str]]
    broadcast_commission: bool


def _plan(compiled: tuple[CompiledRule, ...]) -> _Plan:
    fields = engine_fields(compiled)
    broadcast = any(
        rel.collection == "commission" for c in compiled for rel in c.rule.related.values()
    )
    return _Plan(fields, broadcast)


def evaluate(
    rules: RuleSet,
    facts: FactSet,
    as_of: dt.datetime | str | None = None,
    *,
    all_outcomes: bool = False,
    workers: int = 1,
    executor: Executor | None = None,
) -> Report:
    """Evaluate ``rules`` against ``facts`` at ``as_of``; return the report.

    ``findings`` holds every ``fail`` and ``insufficient_data`` outcome (every outcome
    with ``all_outcomes=True``). ``workers > 1`` evaluates the rule chunks in that many
    processes (durable_rules holds the GIL); ``executor`` runs them on any executor with
    ``map`` — e.g. a Dask cluster's ``Client(...).get_executor()``. The report is the
    same whichever way it is run. Raises
    :class:`CalendarError` when a working-day rule needs a year no calendar covers,
    :class:`EngineError` if durable_rules misbehaves.
    """
    moment = resolve_as_of(as_of, facts)
    compiled = rules.compiled
    outcomes = _run(compiled, facts, moment, rules.calendar, workers, executor)
    return _report(rules, compiled, facts, moment, outcomes, all_outcomes)


#: durable_rules links one alpha node to at most 256 beta nodes (BETA_LIST_LENGTH), and
#: every compiled rule starts with the gate: rulesets are cut into chunks below that.
MAX_DEFINITIONS_PER_RULESET = 200


#: facts per engine session for rules that join nothing (their subjects are independent)
SHARD_SIZE = 2000


def chunks(compiled: tuple[CompiledRule, ...]) -> list[tuple[CompiledRule, ...]]:
    """Groups of rules with at most MAX_DEFINITIONS_PER_RULESET definitions each.

    Rules that join no related record come first and never share a chunk with rules
    that do, so their chunks can be evaluated in small shards (see ``_run_chunk``).
    """
    ordered = sorted(compiled, key=lambda c: bool(c.rule.related))
    groups: list[list[CompiledRule]] = [[]]
    size = 0
    for c in ordered:
        if groups[-1] and bool(groups[-1][-1].rule.related) != bool(c.rule.related):
            groups.append([])
            size = 0
        n = len(c.definitions)
        if groups[-1] and size + n > MAX_DEFINITIONS_PER_RULESET:
            groups.append([])
            size = 0
        groups[-1].append(c)
        size += n
    return [tuple(g) for g in groups if g]


def _run(
    compiled: tuple[CompiledRule, ...],
    facts: FactSet,
    as_of: dt.datetime,
    calendar: WorkingCalendar,
    workers: int = 1,
    executor: Executor | None = None,
) -> dict[tuple[str, str | None, str], str]:
    normaliser = Normaliser(facts, calendar)
    gate = normaliser.gate(as_of)
    _check_working_days(compiled, gate, as_of)
    merged: dict[tuple[str, str | None, str], str] = {}
    groups = chunks(compiled)
    if executor is None and workers > 1 and len(groups) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(groups))) as pool:
            return _run_on(pool, groups, facts, normaliser, gate, compiled)
    if executor is not None:
        return _run_on(executor, groups, facts, normaliser, gate, compiled)
    for chunk in groups:  # one chunk's engine facts in memory at a time
        task, names = _task(chunk, facts, normaliser, gate)
        _merge(run_task(task), names, merged)
    _check_complete(compiled, facts, merged)
    return merged


def _run_on(executor: Executor, groups: list[tuple[CompiledRule, ...]], facts: FactSet,
            normaliser: Normaliser, gate: dict[str, Any],
            compiled: tuple[CompiledRule, ...]) -> dict[tuple[str, str | None, str], str]:
    prepared = [_task(chunk, facts, normaliser, gate) for chunk in groups]
    merged: dict[tuple[str, str | None, str], str] = {}
    for firings, (_, names) in zip(executor.map(run_task, [t for t, _ in prepared]), prepared,
                                   strict=True):
        _merge(firings, names, merged)
    _check_complete(compiled, facts, merged)
    return merged


class Executor(Protocol):
    """Anything with ``map(fn, items)`` returning the results in order: a
    ``concurrent.futures`` executor, or ``distributed.Client(...).get_executor()``."""

    def map(self, fn: Callable[[Task], list[tuple[str, str]]],
            *iterables: Iterable[Task]) -> Iterable[list[tuple[str, str]]]: ...


@dataclass(frozen=True)
class Task:
    """One chunk's engine work as plain, picklable data (runs in any process)."""

    definitions: dict[str, dict[str, Any]]
    collections: tuple[str, ...]
    partitions: dict[str, list[dict[str, Any]]]
    gate: dict[str, Any]


def run_task(task: Task) -> list[tuple[str, str]]:
    """Run a task on durable_rules: ``(durable rule name, subject id)`` per firing."""
    out: list[tuple[str, str]] = []
    with engine_run(task.definitions, task.collections) as run:
        for sid in sorted(task.partitions):
            out.extend((f.rule_name, f.subject_id)
                       for f in run.evaluate_partition(sid, task.partitions[sid], task.gate))
    return out


def _merge(firings: list[tuple[str, str]], names: dict[str, tuple[str, str | None, str]],
           merged: dict[tuple[str, str | None, str], str]) -> None:
    for rule_name, subject_id in firings:
        rule_id, item, outcome = names[rule_name]
        key = (rule_id, item, subject_id)
        if PRECEDENCE[outcome] > PRECEDENCE.get(merged.get(key, ""), -1):
            merged[key] = outcome


def _task(
    chunk: tuple[CompiledRule, ...],
    facts: FactSet,
    normaliser: Normaliser,
    gate: dict[str, Any],
) -> tuple[Task, dict[str, tuple[str, str | None, str]]]:
    """One chunk of rules as a task, and its rule names -> (rule id, item, outcome).

    The partition plan: an engine session (``sid``) holds one supplier's records, since
    every join stays inside one supplier; records about no supplier (sector complaints,
    the commission) form their own session, and the commission record is broadcast to
    every supplier session when a rule of the chunk relates to it. A chunk whose rules
    join nothing is cut further into sessions of at most SHARD_SIZE facts: durable_rules
    slows down as a session grows, and independent subjects need not share one.
    """
    plan = _plan(chunk)
    joins = any(c.rule.related for c in chunk)
    partitions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for collection in COLLECTIONS:
        if collection not in plan.fields:
            continue
        for record in facts.records(collection):
            fact = normaliser.engine_fact(collection, record, plan.fields[collection])
            partitions[normaliser.partition(collection, record)].append(fact)
    if not joins:
        partitions = _shards(partitions)
    if plan.broadcast_commission and facts.commission is not None:
        commission = normaliser.engine_fact("commission", facts.commission,
                                            plan.fields["commission"])
        for sid in list(partitions):
            if sid != COMMISSION_PARTITION:
                partitions[sid].append(commission)
    # A session with no subject of the chunk's rules can produce no outcome; durable_rules
    # also corrupts its heap deleting such a session when a related record (e.g. the
    # commission, for DIS-06) sits in it alone. Skip it.
    subjects = {c.rule.subject for c in chunk}
    kept = {sid: fs for sid, fs in partitions.items() if any(f[KIND] in subjects for f in fs)}
    names = {name: (c.rule.id, item, outcome)
             for c in chunk for name, (outcome, item, _) in c.definitions.items()}
    definitions = {name: d for c in chunk for name, (_, _, d) in c.definitions.items()}
    return Task(definitions, tuple(sorted(plan.fields)), kept, gate), names


def _shards(partitions: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Each partition cut into sessions of at most SHARD_SIZE facts."""
    out: dict[str, list[dict[str, Any]]] = {}
    for sid, facts in partitions.items():
        for n, start in enumerate(range(0, len(facts), SHARD_SIZE)):
            out[f"{sid}#{n}"] = facts[start:start + SHARD_SIZE]
    return out


def _check_working_days(compiled: tuple[CompiledRule, ...], gate: dict[str, Any],
                        as_of: dt.datetime) -> None:
    if not gate_fields(compiled) <= set(gate):
        raise CalendarError(local_date(as_of).year, f"as_of {as_of.isoformat()}")


def _check_complete(compiled: tuple[CompiledRule, ...], facts: FactSet,
                    merged: dict[tuple[str, str | None, str], str]) -> None:
    """Every subject of every rule got an outcome — or the engine lost something."""
    missing: list[str] = []
    for c in compiled:
        for record in facts.records(c.rule.subject):
            for item in c.items:
                if (c.rule.id, item, record.record_id()) not in merged:
                    missing.append(f"{c.rule.id}/{record.record_id()}{'/' + item if item else ''}")
    if missing:
        raise EngineError(f"no outcome for {len(missing)} subject(s), e.g. {missing[:5]}: "
                          "facts were lost in durable_rules")


# ----------------------------------------------------------------------------- report
def _report(
    rules: RuleSet,
    compiled: tuple[CompiledRule, ...],
    facts: FactSet,
    as_of: dt.datetime,
    outcomes: dict[tuple[str, str | None, str], str],
    all_outcomes: bool,
) -> Report:
    index = {c: {r.record_id(): r for r in facts.records(c)} for c in COLLECTIONS}
    normaliser = Normaliser(facts, rules.calendar)
    related = _RelatedIndex(index)
    by_rule: dict[str, list[tuple[str | None, str, str]]] = defaultdict(list)
    for (rule_id, item, subject_id), status in outcomes.items():
        by_rule[rule_id].append((item, subject_id, status))
    summaries: list[RuleSummary] = []
    findings: list[Finding] = []
    totals: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for c in sorted(compiled, key=lambda c: c.rule.id):
        rule = c.rule
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for item, subject_id, status in by_rule[rule.id]:
            counts[status] += 1
            if status in ("fail", "insufficient_data") or all_outcomes:
                record = index[rule.subject][subject_id]
                findings.append(_finding(rule, record, item, status, as_of, index,
                                         normaliser, related))
        for status in STATUSES:
            totals[status] += counts[status]
        summaries.append(RuleSummary(
            id=rule.id, clause=rule.clause, severity=rule.severity,
            title={"zh": rule.title.zh, "en": rule.title.en},
            **{("pass_" if k == "pass" else k): v for k, v in counts.items()},
        ))
    findings.sort(key=lambda f: (f.rule, f.supplier_id or "", f.subject.id, f.item or ""))
    return Report(
        as_of=as_of,
        ruleset=RuleSetInfo(version=rules.version, rules=len(compiled)),
        facts=FactsInfo(records=facts.count(), warnings=list(facts.warnings)),
        summary=Counts(**{("pass_" if k == "pass" else k): v for k, v in totals.items()}),
        rules=summaries,
        findings=findings,
    )


class _RelatedIndex:
    """Related records by their match keys, built once per collection and key shape."""

    def __init__(self, index: dict[str, dict[str, Record]]) -> None:
        self._index = index
        self._by_key: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], list[Record]]] = {}

    def first(self, rule: Rule, alias: str, record: Record, item: str | None) -> Record | None:
        """The first related record (by id) of ``alias``, for messages and evidence."""
        rel = rule.related[alias]
        fields = tuple(rel.match)
        table = self._by_key.get((rel.collection, fields))
        if table is None:
            table = defaultdict(list)
            for other in sorted(self._index[rel.collection].values(),
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
        if simple and getattr(record, part.field, None) != part.value:
            return False
    return True


def _finding(
    rule: Rule,
    record: Record,
    item: str | None,
    status: str,
    as_of: dt.datetime,
    index: dict[str, dict[str, Record]],
    normaliser: Normaliser,
    related_index: _RelatedIndex,
) -> Finding:
    partition = normaliser.partition(rule.subject, record)
    supplier = None if partition == COMMISSION_PARTITION else partition
    values: dict[str, Any] = {"id": record.record_id(), "as_of": as_of, "item": item,
                              "supplier_id": supplier, "rule": rule.id, "clause": rule.clause}
    kinds: dict[str, str] = {"item": "enum"}
    for name, (kind, _) in field_kinds(rule.subject).items():
        values[name] = normaliser.value(rule.subject, record, name)
        kinds[name] = kind
    for alias, rel in rule.related.items():
        related = related_index.first(rule, alias, record, item)
        for name, (kind, _) in field_kinds(rel.collection).items():
            kinds[f"{alias}.{name}"] = kind
            if related is not None:
                values[f"{alias}.{name}"] = normaliser.value(rel.collection, related, name)
    for name, param in rule.parameters.items():
        values[name] = param.value
    evidence: dict[str, Any] = {}
    for path in rule_paths(rule):
        evidence[path] = _json_value(values.get(path))
    for name, between in rule.evidence.items():
        a, b = (values.get(f) for f in between.fields)
        values[name] = _between(between.unit, a, b, normaliser.calendar)
        evidence[name] = values[name]
    for name, param in rule.parameters.items():
        evidence[name] = param.value
    if status in ("fail", "insufficient_data"):
        for path in kinds:
            if values.get(path) is None and _definite_null(rule, path):
                kinds[path] = "definite_null"
        message = Message(zh=_fill(rule.message.zh, values, kinds, "zh"),
                          en=_fill(rule.message.en, values, kinds, "en"))
        if status == "insufficient_data":
            unknown = [p for p in rule_paths(rule)
                       if evidence.get(p) is None and p != "as_of"
                       and not _definite_null(rule, p)]
            message = Message(
                zh=f"数据不足，无法判断“{rule.title.zh}”（未知：{'、'.join(unknown) or '—'}）",
                en=f"Insufficient data to judge “{rule.title.en}” "
                   f"(unknown: {', '.join(unknown) or '—'})",
            )
    else:
        message = Message(zh=rule.title.zh, en=rule.title.en)
    responsible = Party(type=rule.responsible,
                        id=supplier if rule.responsible == "supplier" else "commission")
    return Finding(
        rule=rule.id, clause=rule.clause, status=status,  # type: ignore[arg-type]
        severity=rule.severity, subject=Subject(type=SUBJECT_TYPES[rule.subject],
                                                id=record.record_id()),
        supplier_id=supplier, responsible=responsible, item=item, message=message,
        evidence=evidence,
    )


def _between(unit: str, a: Any, b: Any, calendar: WorkingCalendar) -> Any:
    if a is None or b is None:
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
    if isinstance(value, dt.datetime):
        return value.astimezone(CHONGQING).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def _display(value: Any, lang: str, kind: str | None = None) -> str:
    if lang == "zh" and kind in ("enum", "list"):
        if isinstance(value, str):
            return VALUE_LABELS.get(value, value)
        if isinstance(value, (list, tuple)):
            value = [VALUE_LABELS.get(v, v) for v in value]
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


def _fill(template: str, values: dict[str, Any], kinds: dict[str, str], lang: str) -> str:
    return PLACEHOLDER.sub(
        lambda m: _display(values.get(m.group(1)), lang, kinds.get(m.group(1))), template)

