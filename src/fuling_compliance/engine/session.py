"""Incremental evaluation: add, update or remove records and get the outcomes that changed.

A :class:`Session` evaluates a fact set once, then keeps every outcome. For each change
it works out which (rule, subject) outcomes the changed record can affect — the record
itself where it is a rule's subject; the subjects whose related records (``related:``
joins, e.g. an area's outlets) or derived fields (an appointment's first agreed start)
it touches — and re-evaluates only those, on durable_rules, with the rule's compiled
ruleset kept open for the whole session. The outcomes are the same as a full
:func:`~fuling_compliance.evaluate` of the current records (tested on random edits).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError, FactsError, Problem
from ..facts import integrity
from ..facts.labels import COLLECTION_LABELS, field_label
from ..facts.model import COLLECTIONS, REFERENCES, FactSet, Record, record_id
from ..rules.compile import CompiledRule, engine_fields
from ..rules.load import RuleSet
from ..rules.model import ItemRef
from .durable import EngineRun
from .normalise import Normaliser
from .run import CODES, resolve_as_of, run

Key = tuple[str, str | None, str]  # (rule id, item, subject id)


@dataclass(frozen=True)
class Change:
    """One outcome that changed: ``before``/``after`` is ``None`` when absent."""

    rule: str
    subject_id: str
    item: str | None
    before: str | None
    after: str | None


class _Index:
    """Record ids of one collection by the values of some fields."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.table: dict[tuple[Any, ...], set[str]] = defaultdict(set)

    def key(self, record: Record) -> tuple[Any, ...]:
        return record.values_of(self.fields)

    def add(self, record: Record) -> None:
        self.table[self.key(record)].add(record.record_id())

    def remove(self, record: Record) -> None:
        self.table[self.key(record)].discard(record.record_id())


class Session:
    """A fact set kept evaluated while records change. Close it (or use ``with``)."""

    def __init__(self, rules: RuleSet, facts: FactSet,
                 as_of: dt.datetime | str | None = None) -> None:
        rules.require_fields(facts)
        self.rules = rules
        self.fields = facts.fields
        self.as_of = resolve_as_of(as_of, facts)
        self._compiled = {c.rule.id: c for c in rules.compiled}
        self.records: dict[str, dict[str, Record]] = {
            c: {r.record_id(): r for r in facts.records(c)} for c in COLLECTIONS}
        self._gate = Normaliser(FactSet(fields=self.fields), rules.calendar).gate(self.as_of)
        outcomes = run(rules.compiled, facts, self.as_of, rules.calendar)
        self.outcomes: dict[Key, str] = outcomes.by_subject(rules.compiled, facts)
        self._runs: dict[str, EngineRun] = {}
        self._sids = itertools.count()
        self._indexes: dict[tuple[str, tuple[str, ...]], _Index] = {}
        for c in rules.compiled:
            for rel in c.rule.related.values():
                rel_fields, subject_fields = _match_fields(rel.match)
                self._index(rel.collection, rel_fields)
                self._index(c.rule.subject, subject_fields)
        self._index("appointment_changes", ("appointment_id",))

    # ------------------------------------------------------------------ public
    def add(self, collection: str, record: Mapping[str, Any]) -> list[Change]:
        """Add a record; return the outcomes that changed."""
        new = self._validate(collection, record)
        if new.record_id() in self.records[collection]:
            raise self._error(collection, new.record_id(), "id", "duplicate id",
                              "重复的编号")
        return self._apply(collection, None, new)

    def update(self, collection: str, record: Mapping[str, Any]) -> list[Change]:
        """Replace the record with the same id; return the outcomes that changed."""
        new = self._validate(collection, record)
        old = self.records[collection].get(new.record_id())
        if old is None:
            raise self._error(collection, new.record_id(), "id", "no such record",
                              "没有这条记录")
        return self._apply(collection, old, new)

    def remove(self, collection: str, record_id: str) -> list[Change]:
        """Remove a record (refused while others refer to it)."""
        old = self.records[collection].get(record_id)
        if old is None:
            raise self._error(collection, record_id, None, "no such record", "没有这条记录")
        for (source, field), target in REFERENCES.items():
            if target == collection and any(getattr(r, field) == record_id
                                            for r in self.records[source].values()):
                raise self._error(collection, record_id, None,
                                  f"still referred to by {source}.{field}",
                                  f"仍被{COLLECTION_LABELS.get(source, source)}的"
                                  f"{field_label(field)}引用")
        return self._apply(collection, old, None)

    def close(self) -> None:
        """Release the engine rulesets."""
        for engine in self._runs.values():
            engine.close()
        self._runs.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ validation
    def _error(self, collection: str, record: str | None, field: str | None, en: str,
               zh: str) -> FactsError:
        return FactsError("change rejected", [Problem(
            file="<session>", collection=collection, record=record, field=field,
            message=en, message_zh=zh, code="session")])

    def _validate(self, collection: str, data: Mapping[str, Any]) -> Record:
        if collection not in COLLECTIONS or collection == "commission":
            raise self._error(collection, None, None, "not a collection a session edits",
                              f"{collection!r} 不是可编辑的集合")
        rows, errors = self.fields.validator(collection).validate([dict(data)])
        if errors:
            raise FactsError("change rejected", [
                Problem(file="<session>", collection=collection, record=str(data.get("id")),
                        field=e.field, message=e.message, message_zh=e.message_zh,
                        code=e.code) for e in errors])
        record = Record(collection, rows[0], record_id(collection, rows[0]),
                        self.fields.specs(collection))
        problems = []
        for (source, field), target in REFERENCES.items():
            value = record.get(field) if source == collection else None
            if value is not None and value not in self.records[target]:
                problems.append(Problem(file="<session>", collection=collection,
                                        record=record.record_id(), field=field,
                                        message=f"{field} {value!r} refers to no record",
                                        message_zh=f"{field_label(field)} {value!r} 不存在"
                                        f"（{COLLECTION_LABELS.get(target, target)}中"
                                        "没有这条记录）",
                                        code="dangling_reference"))
        for p in integrity.check({collection: rows}, {collection: [record.record_id()]}):
            if p.code == "impossible_value":
                problems.append(Problem(file="<session>", collection=collection,
                                        record=record.record_id(), field=p.field,
                                        message=p.message, message_zh=p.message_zh,
                                        code=p.code))
        if problems:
            raise FactsError("change rejected", problems)
        return record

    # ------------------------------------------------------------------ evaluation
    def _index(self, collection: str, fields: tuple[str, ...]) -> _Index:
        key = (collection, fields)
        if key not in self._indexes:
            index = _Index(fields)
            for record in self.records[collection].values():
                index.add(record)
            self._indexes[key] = index
        return self._indexes[key]

    def _apply(self, collection: str, old: Record | None, new: Record | None) -> list[Change]:
        affected = self._affected(collection, [r for r in (old, new) if r is not None])
        for (coll, _), index in self._indexes.items():
            if coll == collection:
                if old is not None:
                    index.remove(old)
                if new is not None:
                    index.add(new)
        if old is not None:
            del self.records[collection][old.record_id()]
        if new is not None:
            self.records[collection][new.record_id()] = new
        changes: list[Change] = []
        for rule_id, subjects in sorted(affected.items()):
            changes.extend(self._reevaluate(self._compiled[rule_id], subjects))
        return changes

    def _affected(self, collection: str, records: list[Record]) -> dict[str, set[str]]:
        """Rule id -> subject ids whose outcomes the change can affect."""
        out: dict[str, set[str]] = defaultdict(set)
        for rule_id, c in self._compiled.items():
            rule = c.rule
            if rule.subject == collection:
                out[rule_id].update(r.record_id() for r in records)
            for rel in rule.related.values():
                if rel.collection != collection:
                    continue
                rel_fields, subject_fields = _match_fields(rel.match)
                if not subject_fields:
                    out[rule_id].update(self.records[rule.subject])
                    continue
                index = self._index(rule.subject, subject_fields)
                for r in records:
                    key = r.values_of(rel_fields)
                    out[rule_id].update(index.table.get(key, ()))
            if rule.subject == "appointments" and collection == "appointment_changes":
                out[rule_id].update(getattr(r, "appointment_id") for r in records)
        return out

    def _gather(self, c: CompiledRule, subjects: Iterable[Record]) -> FactSet:
        """The subjects plus every record their evaluation reads."""
        rule = c.rule
        wanted: dict[str, dict[str, Record]] = defaultdict(dict)
        for subject in subjects:
            wanted[rule.subject][subject.record_id()] = subject
            for rel in rule.related.values():
                rel_fields, subject_fields = _match_fields(rel.match)
                index = self._index(rel.collection, rel_fields)
                key = subject.values_of(subject_fields)
                ids = index.table.get(key, ()) if rel_fields else self.records[rel.collection]
                for rid in ids:
                    wanted[rel.collection][rid] = self.records[rel.collection][rid]
            if rule.subject == "appointments":
                for rid in self._index("appointment_changes", ("appointment_id",)).table.get(
                        (subject.record_id(),), ()):
                    wanted["appointment_changes"][rid] = self.records["appointment_changes"][rid]
        return FactSet({k: [r.values for r in v.values()] for k, v in wanted.items()},
                       ids={k: list(v) for k, v in wanted.items()}, fields=self.fields)

    def _reevaluate(self, c: CompiledRule, subject_ids: set[str]) -> list[Change]:
        rule = c.rule
        present = [self.records[rule.subject][s] for s in sorted(subject_ids)
                   if s in self.records[rule.subject]]
        new: dict[Key, str] = {}
        if present:
            mini = self._gather(c, present)
            normaliser = Normaliser(mini, self.rules.calendar)
            gate = normaliser.gate(self.as_of)
            fields = engine_fields([c])
            facts: list[dict[str, Any]] = []
            for coll in COLLECTIONS:
                if coll in fields and coll != rule.subject:
                    build = normaliser.builder(coll, fields[coll])
                    facts.extend(build(r, i) for r, i in zip(mini.rows(coll), mini.ids(coll),
                                                            strict=True))
            build = normaliser.builder(rule.subject, fields[rule.subject])
            facts.extend(build(r, i) for r, i in zip(mini.rows(rule.subject),
                                                     mini.ids(rule.subject), strict=True))
            engine = self._runs.get(rule.id)
            if engine is None:
                definitions = {name: d for name, (_, _, d) in c.definitions.items()}
                engine = self._runs[rule.id] = EngineRun(definitions, set(fields))
            names = {name: (rule.id, item, outcome)
                     for name, (outcome, item, _) in c.definitions.items()}
            for firing in engine.evaluate_partition(f"s{next(self._sids)}", facts,
                                                    gate if c.gated else None):
                rule_id, item, outcome = names[firing.rule_name]
                key = (rule_id, item, firing.subject_id)
                if key[2] in subject_ids and \
                        CODES[outcome] > CODES.get(new.get(key, ""), 0):
                    new[key] = outcome
            missing = [(rule.id, item, s.record_id()) for s in present for item in c.items
                       if (rule.id, item, s.record_id()) not in new]
            if missing:
                raise EngineError(f"no outcome for {missing[:3]}: facts were lost")
        changes: list[Change] = []
        for subject in sorted(subject_ids):
            for item in c.items:
                key = (rule.id, item, subject)
                before, after = self.outcomes.get(key), new.get(key)
                if after is None:
                    self.outcomes.pop(key, None)
                else:
                    self.outcomes[key] = after
                if before != after:
                    changes.append(Change(rule.id, subject, item, before, after))
        return changes


def _match_fields(match: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(related fields, subject fields) of a ``match``, leaving out ``{item: current}``."""
    pairs = [(k, v) for k, v in match.items() if not isinstance(v, ItemRef)]
    return tuple(k for k, _ in pairs), tuple(v for _, v in pairs)
