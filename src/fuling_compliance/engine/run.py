"""Run compiled rules over a fact set on durable_rules: every outcome, compactly.

1. **Plan.** Rules are grouped by how they join (:class:`JoinKey`): a rule about the
   subject alone joins nothing; a rule relating records joins them on the fields of its
   ``match`` (an area's outlets by area, a check's staff member by staff id, an
   application's business service by supplier and business type). Every joined pair
   shares the key's value, so the subjects and related records of one key value belong
   in one engine session, and different key values need not meet at all.
2. **Sessions of bounded size.** Key groups are packed into sessions of at most
   :data:`SESSION_SIZE` facts; a group larger than that is split by subjects, its
   related records copied into each part (a subject only ever joins its own key's
   records). Rules about the subject alone are cut into sessions of the same size. So
   no session grows with the size of a supplier: time grows linearly with the records.
3. **Evaluate.** In each session the related records are asserted, then the subjects
   (rules without a gate fire now), then the gate (rules with one fire now). A
   subject's firing carries its index; outcomes are kept as one byte per (rule, item,
   subject) — ``fail`` > ``insufficient_data`` > ``pass`` > ``not_applicable`` when
   several fire — and every subject must get one, or the engine lost something.

``workers > 1`` runs sessions in forked processes (each builds its own engine facts
from the fact set it inherits; only outcomes travel back); an ``executor`` (e.g. Dask)
gets self-contained tasks of plain data. The outcomes are the same however it is run.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import timing
from ..calendar import CHONGQING, WorkingCalendar, local_date
from ..errors import CalendarError, EngineError, InputError, Problem
from ..facts.model import FactSet
from ..facts.validate import parse_datetime
from ..rules.compile import CompiledRule, engine_fields, gate_fields
from ..rules.model import ItemRef, Rule
from ..timing import phase
from .durable import RELATED_INDEX, EngineRun, pooled
from .normalise import INDEX, Build, Normaliser

#: outcome -> its code in :class:`Outcomes` (a higher code wins when several fire)
CODES = {"not_applicable": 1, "pass": 2, "insufficient_data": 3, "fail": 4}
STATUS_OF = {code: status for status, code in CODES.items()}
PRECEDENCE = {status: code - 1 for status, code in CODES.items()}

#: facts per engine session: durable_rules slows down as a session grows (fixed
#: 512-bucket indexes) and identities must stay collision-free within one
SESSION_SIZE = 250
#: durable_rules links one alpha node to at most 256 beta nodes (BETA_LIST_LENGTH), and
#: every joined rule starts with the gate: rulesets are cut into chunks below that
MAX_DEFINITIONS_PER_RULESET = 200


def resolve_as_of(as_of: dt.datetime | str | None, facts: FactSet) -> dt.datetime:
    """The moment of judgement: the argument, else the fact set's, else now (Chongqing).

    An argument is read as a fact file's ``as_of`` is; one that is not a datetime, or
    outside the range of dates, is an :class:`~fuling_compliance.errors.InputError`.
    """
    if as_of is not None:
        try:
            if not isinstance(as_of, dt.datetime | str):
                raise ValueError(f"got {type(as_of).__name__} {as_of!r:.40}")
            return parse_datetime(as_of)
        except ValueError as exc:
            raise InputError("as_of rejected", [Problem(
                file="<as_of>", field="as_of", code="type",
                message=f"as_of must be a date and time YYYY-MM-DD HH:MM[:SS][±HH:MM]: {exc}",
                message_zh=f"as_of 必须是日期时间 YYYY-MM-DD HH:MM[:SS][±HH:MM]：{exc}")]) from None
    value = facts.as_of or dt.datetime.now(CHONGQING).replace(microsecond=0)
    return value if value.tzinfo else value.replace(tzinfo=CHONGQING)


# ----------------------------------------------------------------------------- outcomes
class Outcomes:
    """Every outcome of every (rule, item, subject), one byte each.

    ``codes[rule id][item]`` holds a code per subject, in the order of the subject
    collection's rows (0: no outcome).
    """

    def __init__(self, compiled: Iterable[CompiledRule], facts: FactSet) -> None:
        self.codes: dict[str, dict[str | None, bytearray]] = {
            c.rule.id: {item: bytearray(len(facts.rows(c.rule.subject))) for item in c.items}
            for c in compiled}
        #: (rule id, item, subject index) -> (code, alias -> indexes of the related
        #: records the firings of that code bound), for relations holding several records
        self.cited: dict[tuple[str, str | None, int], tuple[int, dict[str, set[int]]]] = {}

    def record(self, rule_id: str, item: str | None, index: int, code: int) -> None:
        codes = self.codes[rule_id][item]
        if code > codes[index]:
            codes[index] = code

    def cite(self, rule_id: str, item: str | None, index: int, code: int, alias: str,
             related: int) -> None:
        """Remember that a firing of ``code`` bound related record ``related``."""
        key = (rule_id, item, index)
        current = self.cited.get(key)
        if current is None or code > current[0]:
            self.cited[key] = (code, {alias: {related}})
        elif code == current[0]:
            current[1].setdefault(alias, set()).add(related)

    def citations(self, rule_id: str, item: str | None, index: int, alias: str) -> set[int]:
        """Indexes of the ``alias`` records bound by the firings that gave the outcome."""
        found = self.cited.get((rule_id, item, index))
        if found is None or found[0] != self.codes[rule_id][item][index]:
            return set()
        return found[1].get(alias, set())

    def status(self, rule_id: str, item: str | None, index: int) -> str | None:
        """The outcome of one subject (``None``: none)."""
        return STATUS_OF.get(self.codes[rule_id][item][index])

    def count(self, rule_id: str, status: str) -> int:
        """How many (item, subject) pairs of a rule have ``status``."""
        code = CODES[status]
        return sum(codes.count(code) for codes in self.codes[rule_id].values())

    def by_subject(self, compiled: Iterable[CompiledRule], facts: FactSet
                   ) -> dict[tuple[str, str | None, str], str]:
        """Every outcome keyed by (rule id, item, subject id)."""
        out: dict[tuple[str, str | None, str], str] = {}
        for c in compiled:
            ids = facts.ids(c.rule.subject)
            for item, codes in self.codes[c.rule.id].items():
                for index, code in enumerate(codes):
                    if code:
                        out[(c.rule.id, item, ids[index])] = STATUS_OF[code]
        return out

    def missing(self) -> list[tuple[str, str | None, int]]:
        """(rule, item, subject index) of every subject that got no outcome."""
        out = []
        for rule_id, items in self.codes.items():
            for item, codes in items.items():
                start = 0
                while (i := codes.find(0, start)) >= 0:
                    out.append((rule_id, item, i))
                    start = i + 1
                    if len(out) > 20:
                        return out
        return out


# ----------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class JoinKey:
    """How the rules of a chunk join: subject fields, and each related collection's
    fields in the same order; ``broadcast`` collections join every subject."""

    subject: str
    fields: tuple[str, ...] = ()
    related: tuple[tuple[str, tuple[str, ...]], ...] = ()
    broadcast: tuple[str, ...] = ()


def join_key(rule: Rule) -> JoinKey:
    """The key every related record of ``rule`` shares with its subject."""
    matched: list[tuple[str, dict[str, str]]] = []
    broadcast: set[str] = set()
    for rel in rule.related.values():
        pairs = {subject_field: rel_field for rel_field, subject_field in rel.match.items()
                 if not isinstance(subject_field, ItemRef)}
        if pairs:
            matched.append((rel.collection, pairs))
        else:
            broadcast.add(rel.collection)
    if not matched:
        return JoinKey(rule.subject, (), (), tuple(sorted(broadcast)))
    common = set.intersection(*(set(pairs) for _, pairs in matched))
    related: dict[str, tuple[str, ...]] = {}
    fields = tuple(sorted(common))
    for collection, pairs in matched:
        mapped = tuple(pairs[f] for f in fields)
        if related.get(collection, mapped) != mapped:
            fields, related = (), {}  # two joins of one collection on different fields
            break
        related[collection] = mapped
    if not fields:  # nothing in common: one session holds everything
        related = {collection: () for collection, _ in matched}
    return JoinKey(rule.subject, fields, tuple(sorted(related.items())),
                   tuple(sorted(broadcast)))


def chunks(compiled: Sequence[CompiledRule]) -> list[tuple[JoinKey, tuple[CompiledRule, ...]]]:
    """Rules grouped by join key, each group cut below MAX_DEFINITIONS_PER_RULESET."""
    groups: dict[JoinKey, list[CompiledRule]] = defaultdict(list)
    for c in compiled:
        key = join_key(c.rule)
        groups[key].append(c)
    out: list[tuple[JoinKey, tuple[CompiledRule, ...]]] = []
    for key in sorted(groups, key=repr):
        current: list[CompiledRule] = []
        size = 0
        for c in sorted(groups[key], key=lambda c: c.rule.id):
            n = len(c.definitions)
            if current and size + n > MAX_DEFINITIONS_PER_RULESET:
                out.append((key, tuple(current)))
                current, size = [], 0
            current.append(c)
            size += n
        if current:
            out.append((key, tuple(current)))
    return out


@dataclass
class Shard:
    """One engine session: subjects (indexes in the subject collection) and the related
    records they may join (indexes per collection)."""

    subjects: list[int] = field(default_factory=list)
    related: dict[str, list[int]] = field(default_factory=dict)

    def size(self) -> int:
        return len(self.subjects) + sum(len(v) for v in self.related.values())


def shards(key: JoinKey, facts: FactSet, size: int = SESSION_SIZE) -> list[Shard]:
    """The sessions of one chunk (see the module docstring)."""
    subjects = facts.rows(key.subject)
    broadcast = {c: list(range(len(facts.rows(c)))) for c in key.broadcast}
    if not key.related:
        out = [Shard(list(range(i, min(i + size, len(subjects)))))
               for i in range(0, len(subjects), size)]
    else:
        out = _joined_shards(key, facts, size)
    for shard in out:
        for collection, indexes in broadcast.items():
            shard.related.setdefault(collection, []).extend(indexes)
    return out


def _key_values(facts: FactSet, collection: str, fields: tuple[str, ...]
                ) -> Iterator[tuple[Any, ...] | None]:
    """Each record's values of ``fields`` (``None`` when one is unknown: ``None``, or
    empty text, which the engine facts leave out as unknown too — grouped as a value,
    an application with ``business_type: ""`` lost its outcomes; found by test_fuzz)."""
    rows, ids = facts.rows(collection), facts.ids(collection)
    for row, rid in zip(rows, ids, strict=True):
        values = tuple(rid if f == "id" else row.get(f) for f in fields)
        yield None if None in values or "" in values else values


def _joined_shards(key: JoinKey, facts: FactSet, size: int) -> list[Shard]:
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    keyless: list[int] = []
    for i, value in enumerate(_key_values(facts, key.subject, key.fields)):
        (keyless if value is None else groups[value]).append(i)
    related: dict[tuple[Any, ...], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for collection, fields in key.related:
        for i, value in enumerate(_key_values(facts, collection, fields)):
            if value is not None and value in groups:
                related[value][collection].append(i)
    out: list[Shard] = []
    current = Shard()
    for value in sorted(groups, key=repr):
        members = groups[value]
        rel = related.get(value, {})
        rel_size = sum(len(v) for v in rel.values())
        piece = max(1, size - rel_size)
        for start in range(0, len(members), piece):
            part = members[start:start + piece]
            if current.subjects and current.size() + len(part) + rel_size > size:
                out.append(current)
                current = Shard()
            current.subjects.extend(part)
            for collection, indexes in rel.items():
                current.related.setdefault(collection, []).extend(indexes)
    if current.subjects:
        out.append(current)
    for start in range(0, len(keyless), size):
        out.append(Shard(keyless[start:start + size]))
    return out


# ----------------------------------------------------------------------------- running
@dataclass
class _Chunk:
    """One chunk ready to run: its ruleset, how to build facts, how to read firings."""

    key: JoinKey
    rules: tuple[CompiledRule, ...]
    definitions: dict[str, dict[str, Any]]
    names: dict[str, tuple[str, str | None, int]]  # durable rule -> (rule id, item, code)
    fields: dict[str, set[str]]
    gated: bool
    shards: list[Shard]
    #: durable rule -> ((related alias, pseudo-alias), ...) a firing of it cites
    cites: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: related collections whose facts carry their index (RELATED_INDEX) for citations
    indexed: frozenset[str] = frozenset()

    def cite_aliases(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(p for _, p in pairs) for name, pairs in self.cites.items()}


def _prepare(compiled: Sequence[CompiledRule], facts: FactSet, size: int) -> list[_Chunk]:
    out: list[_Chunk] = []
    for key, group in chunks(compiled):
        definitions = {name: d for c in group for name, (_, _, d) in c.definitions.items()}
        names = {name: (c.rule.id, item, CODES[outcome])
                 for c in group for name, (outcome, item, _) in c.definitions.items()}
        fields = engine_fields(group)
        cites = {name: pairs for c in group for name, pairs in c.cites.items()}
        indexed = frozenset(c.rule.related[alias].collection for c in group
                            for pairs in c.cites.values() for alias, _ in pairs)
        out.append(_Chunk(key, group, definitions, names, fields,
                          any(c.gated for c in group), shards(key, facts, size), cites,
                          indexed))
    return out


class _Builders:
    """Engine facts of a chunk's collections, built from the fact set's rows."""

    def __init__(self, chunk: _Chunk, facts: FactSet, normaliser: Normaliser) -> None:
        self.facts = facts
        self.build: dict[str, Build] = {
            c: normaliser.builder(c, names) for c, names in chunk.fields.items()}
        self.subject = chunk.key.subject
        self.indexed = chunk.indexed

    def shard_facts(self, shard: Shard) -> list[dict[str, Any]]:
        """The related facts (with their index where findings may cite them), then the
        subjects (each with its index)."""
        out: list[dict[str, Any]] = []
        for collection, indexes in shard.related.items():
            rows, ids, build = (self.facts.rows(collection), self.facts.ids(collection),
                                self.build[collection])
            if collection in self.indexed:
                for i in indexes:
                    fact = build(rows[i], ids[i])
                    fact[RELATED_INDEX] = i
                    out.append(fact)
            else:
                out.extend(build(rows[i], ids[i]) for i in indexes)
        rows, ids, build = (self.facts.rows(self.subject), self.facts.ids(self.subject),
                            self.build[self.subject])
        for i in shard.subjects:
            fact = build(rows[i], ids[i])
            fact[INDEX] = i
            out.append(fact)
        return out


def _run_shards(chunk: _Chunk, shard_numbers: Iterable[int], facts: FactSet,
                normaliser: Normaliser, gate: dict[str, Any]) -> tuple[array[int], array[int]]:
    """Run some shards of a chunk: ``(definition number, subject index)`` pairs, flat,
    and ``(definition number, subject index, cite slot, related index)`` citations."""
    numbers = {name: n for n, name in enumerate(chunk.definitions)}
    builders = _Builders(chunk, facts, normaliser)
    out: array[int] = array("q")
    cited: array[int] = array("q")
    clock = time.perf_counter
    building = 0.0
    with phase("engine"), _open(chunk) as engine:
        for n in shard_numbers:
            start = clock()
            shard_facts = builders.shard_facts(chunk.shards[n])
            building += clock() - start
            for name, index in engine.fire(f"s{n}", shard_facts,
                                           gate if chunk.gated else None):
                out.append(numbers[name])
                out.append(index)
            for name, index, slot, related in engine.cited:
                cited.extend((numbers[name], index, slot, related))
    timing.add("normalise", building)
    timing.add("engine", -building)
    return out, cited


def _open(chunk: _Chunk) -> AbstractContextManager[EngineRun]:
    return pooled(chunk.definitions, chunk.fields, cites=chunk.cite_aliases())


def _merge(chunk: _Chunk, pairs: array[int], outcomes: Outcomes,
           cited: array[int] | None = None) -> None:
    names = list(chunk.definitions)
    decoded = [chunk.names[name] for name in names]
    for k in range(0, len(pairs), 2):
        rule_id, item, code = decoded[pairs[k]]
        outcomes.record(rule_id, item, pairs[k + 1], code)
    for k in range(0, len(cited or ()), 4):
        assert cited is not None
        name = names[cited[k]]
        rule_id, item, code = decoded[cited[k]]
        alias = chunk.cites[name][cited[k + 2]][0]
        outcomes.cite(rule_id, item, cited[k + 1], code, alias, cited[k + 3])


class Executor(Protocol):
    """Anything with ``map(fn, items)`` returning the results in order: a
    ``concurrent.futures`` executor, or ``distributed.Client(...).get_executor()``."""

    def map(self, fn: Callable[[Task], TaskResult],
            *iterables: Iterable[Task]) -> Iterable[TaskResult]: ...


@dataclass(frozen=True)
class Task:
    """One chunk's engine work as plain, picklable data (runs in any process)."""

    definitions: dict[str, dict[str, Any]]
    collections: tuple[str, ...]
    sessions: dict[str, list[dict[str, Any]]]
    gate: dict[str, Any] | None
    cites: dict[str, tuple[str, ...]] = field(default_factory=dict)


#: firings ``(durable rule name, subject index)`` and citations ``(durable rule name,
#: subject index, cite slot, related index)`` of a task
TaskResult = tuple[list[tuple[str, int]], list[tuple[str, int, int, int]]]


def run_task(task: Task) -> TaskResult:
    """Run a task on durable_rules: its firings and citations."""
    out: list[tuple[str, int]] = []
    cited: list[tuple[str, int, int, int]] = []
    with pooled(task.definitions, task.collections, cites=task.cites) as engine:
        for sid in sorted(task.sessions):
            out.extend(engine.fire(sid, [dict(f) for f in task.sessions[sid]], task.gate))
            cited.extend(engine.cited)
    return out, cited


def run(
    compiled: Sequence[CompiledRule],
    facts: FactSet,
    as_of: dt.datetime,
    calendar: WorkingCalendar,
    *,
    workers: int = 1,
    executor: Executor | None = None,
    session_size: int | None = None,
) -> Outcomes:
    """Every outcome of ``compiled`` over ``facts`` at ``as_of`` (see the module doc)."""
    normaliser = Normaliser(facts, calendar)
    gate = normaliser.gate(as_of)
    if not gate_fields(compiled) <= set(gate):
        raise CalendarError(local_date(as_of).year, f"as_of {as_of.isoformat()}")
    prepared = _prepare(compiled, facts, session_size or SESSION_SIZE)
    outcomes = Outcomes(compiled, facts)
    # The fact set (a million dicts) is only read from here on: the cyclic collector
    # need not traverse it again and again while the engine makes short-lived facts, nor
    # touch (and so copy) its pages in forked workers. Frozen for this call only.
    gc.freeze()
    try:
        if executor is not None:
            _run_on_executor(executor, prepared, facts, normaliser, gate, outcomes)
        elif workers > 1 and sum(len(c.shards) for c in prepared) > 1:
            _run_forked(workers, prepared, facts, normaliser, gate, outcomes)
        else:
            for chunk in prepared:
                pairs, cited = _run_shards(chunk, range(len(chunk.shards)), facts,
                                           normaliser, gate)
                _merge(chunk, pairs, outcomes, cited)
    finally:
        gc.unfreeze()
    missing = outcomes.missing()
    if missing:
        subject = {c.rule.id: c.rule.subject for c in compiled}
        shown = [f"{r}/{facts.ids(subject[r])[i]}{'/' + item if item else ''}"
                 for r, item, i in missing[:5]]
        raise EngineError(f"no outcome for {len(missing)} subject(s) or more, e.g. {shown}: "
                          "facts were lost in durable_rules")
    return outcomes


def _run_on_executor(executor: Executor, prepared: list[_Chunk], facts: FactSet,
                     normaliser: Normaliser, gate: dict[str, Any], outcomes: Outcomes) -> None:
    tasks = []
    for chunk in prepared:
        builders = _Builders(chunk, facts, normaliser)
        sessions = {f"s{n}": builders.shard_facts(s) for n, s in enumerate(chunk.shards)}
        tasks.append(Task(chunk.definitions, tuple(sorted(chunk.fields)), sessions,
                          gate if chunk.gated else None, chunk.cite_aliases()))
    for chunk, (firings, cited) in zip(prepared, executor.map(run_task, tasks), strict=True):
        for rule_name, index in firings:
            rule_id, item, code = chunk.names[rule_name]
            outcomes.record(rule_id, item, index, code)
        for rule_name, index, slot, related in cited:
            rule_id, item, code = chunk.names[rule_name]
            outcomes.cite(rule_id, item, index, code, chunk.cites[rule_name][slot][0], related)


# state a forked worker inherits (set just before the pool forks)
_FORKED: tuple[list[_Chunk], FactSet, Normaliser, dict[str, Any]] | None = None


def _forked_work(work: list[tuple[int, list[int]]]) -> list[tuple[int, bytes, bytes]]:
    assert _FORKED is not None, "not a forked worker"
    prepared, facts, normaliser, gate = _FORKED
    out = []
    for c, numbers in work:
        pairs, cited = _run_shards(prepared[c], numbers, facts, normaliser, gate)
        out.append((c, pairs.tobytes(), cited.tobytes()))
    return out


def _run_forked(workers: int, prepared: list[_Chunk], facts: FactSet,
                normaliser: Normaliser, gate: dict[str, Any], outcomes: Outcomes) -> None:
    """Shards spread over ``workers`` forked processes by size, round-robin."""
    global _FORKED
    units = sorted(((c, n, s.size()) for c, chunk in enumerate(prepared)
                    for n, s in enumerate(chunk.shards)), key=lambda u: -u[2])
    bins: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(workers * 4)]
    loads = [0] * len(bins)
    for c, n, size in units:
        lightest = loads.index(min(loads))
        bins[lightest][c].append(n)
        loads[lightest] += size
    work = [sorted(b.items()) for b in bins if b]
    _FORKED = (prepared, facts, normaliser, gate)
    try:
        context = multiprocessing.get_context("fork")
        with phase("engine"), ProcessPoolExecutor(max_workers=workers,
                                                  mp_context=context) as pool:
            for results in pool.map(_forked_work, work):
                for c, data, cited_data in results:
                    pairs: array[int] = array("q")
                    pairs.frombytes(data)
                    cited: array[int] = array("q")
                    cited.frombytes(cited_data)
                    _merge(prepared[c], pairs, outcomes, cited)
    except BrokenProcessPool as exc:
        raise EngineError("the rule engine crashed: a worker process died (--jobs); nothing "
                          "was reported. The input may hold something durable_rules cannot "
                          "handle (see the limits in the README)") from exc
    finally:
        _FORKED = None
