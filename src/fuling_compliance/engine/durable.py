"""The only module that talks to durable_rules; every known pitfall is handled here.

The C extension (``durable_rules_engine``) is driven directly: a ruleset is created from
the compiled definitions, facts are asserted as JSON text, and firings are read from
the pending actions. durable_rules' Python layer (``durable.engine``: hosts, timer
threads, action closures) is not used at all.

* **Asynchronous firing.** A durable ``Host`` dispatches actions from timer threads;
  here there is no host: after every assert, the pending actions are drained on the
  calling thread until the engine has none left.
* **Negation is not truth-maintained.** Every compiled rule that joins starts with the
  gate fact, asserted after all data of its session (see :mod:`..rules.compile`).
* **Reserved ``id``/``sid``.** Domain ids travel as ``rid`` (see :mod:`.normalise`);
  ``id`` is the engine identity we assign, ``sid`` the session.
* **Silent fact loss from 32-bit identities.** The engine keys facts by
  ``fnv1_32(id)`` and never compares full ids. :class:`IdAllocator` hands out ids whose
  hashes are distinct within a session, so no collision can happen; after asserting,
  the number of stored facts is checked against the number asserted.
* **Facts matching no rule make a whole batch fail.** A sink rule that can never fire
  references every asserted collection, so each fact is always "handled".
* **Swallowed action exceptions.** There are no actions: a firing is read from the
  engine's action message, and one that names no subject is an
  :class:`~fuling_compliance.errors.EngineError`. Where a finding cites one of several
  related records, the record is read from the firing's frame (``cites``).
* **Memory.** Each session's state is deleted after it is evaluated, so no fact outlives
  its session. Rulesets are reused (:func:`pooled`): a few idle ones, each a few
  kilobytes, are kept for the next evaluation of the same definitions.
* **Threads.** A ruleset is used by one evaluation at a time; calls into the C extension are
  serialised by a process-wide lock (the extension has no locks of its own).
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
import orjson

from ..errors import EngineError
from ..rules.engine_fields import ENGINE_ID, KIND, PARTITION, RECORD_ID

_LOCK = threading.RLock()
BATCH = 5000
NEVER_KIND = "__never__"
#: the engine field of a subject's index (see :mod:`.normalise`)
INDEX = "_i"
#: the engine field of a related record's index, on the records a finding may cite
RELATED_INDEX = "_j"
_INDEX_IN_MESSAGE = re.compile(r'"_i":(\d+)')


def fnv1_32(text: str) -> int:
    """durable_rules' fact identity hash: FNV-1 32-bit, ``h ^= (signed char)c; h *= P``."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        signed = byte - 256 if byte >= 128 else byte
        h = (h ^ (signed & 0xFFFFFFFF)) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


class IdAllocator:
    """Engine ids whose durable_rules hashes never collide within one session."""

    def __init__(self, hash_function: Callable[[str], int] = fnv1_32) -> None:
        self._hash = hash_function
        self._used: set[int] = set()
        self._counter = itertools.count(1)

    def next(self) -> str:
        while True:
            candidate = f"f{next(self._counter):x}"
            h = self._hash(candidate)
            if h not in self._used:
                self._used.add(h)
                return candidate


_IDS: list[str] = []
_IDS_SOURCE = IdAllocator()


def allocated_ids(n: int) -> list[str]:
    """The first ``n`` ids of a fresh :class:`IdAllocator` (every session uses the same
    collision-free sequence, so it is computed once per process and reused)."""
    if len(_IDS) < n:
        with _LOCK:
            while len(_IDS) < n:
                _IDS.append(_IDS_SOURCE.next())
    return _IDS[:n]


@dataclass(frozen=True)
class Firing:
    """One firing of a compiled durable rule: which rule, which subject fact."""

    rule_name: str
    #: the subject's record id (``rid``)
    subject_id: str
    #: the subject's index in its collection (``_i``), when the fact carries one
    index: int | None
    partition: str


class EngineRun:
    """One evaluation's ruleset in the C extension; use as a context manager."""

    def __init__(self, definitions: dict[str, dict[str, Any]], collections: Iterable[str],
                 subject_alias: str = "subj",
                 cites: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self._name = f"fuling_{uuid.uuid4().hex}"
        self._firings: list[Firing] = []
        self._pairs: list[tuple[str, int]] = []
        #: rule name -> aliases whose related record a firing of it cites (read from
        #: the firing's frame: their facts carry RELATED_INDEX)
        self._cites: Mapping[str, tuple[str, ...]] = cites or {}
        #: (rule name, subject index, slot in its cites, related index) per citation
        self.cited: list[tuple[str, int, int, int]] = []
        self._fast = False
        self._errors: list[str] = []
        self._subject_alias = subject_alias
        self._names = frozenset(definitions)
        ruleset: dict[str, Any] = dict(definitions)
        kinds = sorted(set(collections))
        if kinds:
            # never fires (no fact has the kind NEVER_KIND) but "handles" every collection
            ruleset["__sink__"] = {
                "all": [{"never": {KIND: NEVER_KIND}},
                        {"x": {"$or": [{KIND: k} for k in kinds]} if len(kinds) > 1
                         else {KIND: kinds[0]}}],
            }
        with _LOCK:
            try:
                self._handle: int = durable_rules_engine.create_ruleset(
                    self._name, orjson.dumps(ruleset).decode())
            except Exception as exc:  # malformed definition: a compiler bug
                raise EngineError(f"durable_rules refused the compiled ruleset: {exc}") from exc
        self._closed = False
        #: a session failed: the ruleset may hold its state, so it is never reused
        self.broken = False

    # ------------------------------------------------------------------ evaluation
    def evaluate_partition(self, partition: str, facts: Sequence[dict[str, Any]],
                           gate: dict[str, Any] | None) -> list[Firing]:
        """Assert ``facts`` in one session, then the gate (if any); return the firings.

        ``facts`` must not carry ``id``/``sid``: they are assigned here (on copies). Rules
        without a gate fire as their subjects arrive; rules with one, when the gate
        arrives last.
        """
        self._fast = False
        start = len(self._firings)
        self._session(partition, [dict(f) for f in facts], gate)
        return self._firings[start:]

    def fire(self, partition: str, facts: list[dict[str, Any]],
             gate: dict[str, Any] | None) -> list[tuple[str, int]]:
        """Like :meth:`evaluate_partition`, for subject facts that carry their index
        (``_i``): ``(rule name, subject index)`` per firing. ``facts`` are stamped in
        place (build them for this call)."""
        self._fast = True
        self._pairs = []
        self.cited = []
        self._session(partition, facts, gate)
        return self._pairs

    def _session(self, partition: str, stamped: list[dict[str, Any]],
                 gate: dict[str, Any] | None) -> None:
        try:
            self._fire_session(partition, stamped, gate)
        except BaseException:
            self.broken = True
            raise

    def _fire_session(self, partition: str, stamped: list[dict[str, Any]],
                      gate: dict[str, Any] | None) -> None:
        count = len(stamped) + (gate is not None)
        ids = allocated_ids(count)
        for fact, fact_id in zip(stamped, ids, strict=False):
            fact[ENGINE_ID] = fact_id
            fact[PARTITION] = partition
        with _LOCK:
            for batch in _batches(stamped, BATCH):
                self._assert(batch)
            if gate is not None:
                self._assert([{**gate, ENGINE_ID: ids[len(stamped)], PARTITION: partition}])
            stored = self._stored_count(partition)
            # after a refused batch (an EngineError above) the state is not deleted:
            # delete_state then crashes the C extension; close() frees it with the ruleset
            self._delete_state(partition)
        if stored != count:
            raise EngineError(
                f"session {partition!r}: durable_rules stored {stored} of {count} facts")
        if self._errors:
            raise EngineError("an unexpected firing inside durable_rules: "
                              + "; ".join(self._errors[:5]))

    def _assert(self, batch: list[dict[str, Any]]) -> None:
        try:
            result = durable_rules_engine.assert_facts(self._handle, orjson.dumps(batch).decode())
        except Exception as exc:
            self._drain()
            raise EngineError(f"durable_rules refused a fact: {exc}") from exc
        # always run what the batch made pending: deleting a state with pending actions
        # after a failed batch corrupts the C heap ("double free")
        self._drain()
        code = result[0] if isinstance(result, (tuple, list)) else 0
        if code == 1:
            raise EngineError("durable_rules did not handle a fact (no rule matches it)")
        if code == 2:
            raise EngineError("durable_rules reported a fact as already observed "
                              "(identity collision)")

    def _drain(self) -> None:
        """Take every pending action now, on this thread, and record its firing.

        A message is ``{"rule name": {alias: fact, ...}}``. In :meth:`fire` only the
        rule name and the subject's index are needed: they are read from the text when
        the message holds exactly one index (only subject facts carry one), else from
        the parsed message.
        """
        handle = self._handle
        start_action = durable_rules_engine.start_action
        complete = durable_rules_engine.complete_and_start_action
        fast, names, pairs, cites = self._fast, self._names, self._pairs, self._cites
        find = _INDEX_IN_MESSAGE.findall
        while True:
            started = start_action(handle)
            if not started:
                return
            message, action = started[1], started[2]
            while message:
                if fast:
                    found = find(message)
                    name = message[2:message.find('"', 2)]
                    if len(found) == 1 and name in names and name not in cites:
                        pairs.append((name, int(found[0])))
                    else:
                        self._parse(message)
                else:
                    self._parse(message)
                message = complete(handle, action)

    def _parse(self, message: str) -> None:
        for rule_name, frame in orjson.loads(message).items():
            try:
                subject = frame[self._subject_alias]
                if self._fast:
                    index = int(subject[INDEX])
                    self._pairs.append((rule_name, index))
                    for slot, alias in enumerate(self._cites.get(rule_name, ())):
                        related = frame.get(alias)
                        if isinstance(related, dict) and RELATED_INDEX in related:
                            self.cited.append((rule_name, index, slot,
                                               int(related[RELATED_INDEX])))
                else:
                    self._firings.append(Firing(rule_name, subject[RECORD_ID],
                                                subject.get(INDEX), subject[PARTITION]))
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                self._errors.append(f"{rule_name}: {exc!r}")

    def _stored_count(self, partition: str) -> int:
        try:
            return len(orjson.loads(durable_rules_engine.get_facts(self._handle, partition)))
        except Exception:
            return 0

    def _delete_state(self, partition: str) -> None:
        try:
            durable_rules_engine.delete_state(self._handle, partition)
        except Exception as exc:  # pragma: no cover - state already gone
            self._errors.append(f"delete_state: {exc}")

    def close(self) -> None:
        """Release the ruleset in the C extension."""
        if not self._closed:
            self._closed = True
            with _LOCK:
                durable_rules_engine.delete_ruleset(self._handle)

    @property
    def handle(self) -> int:
        return self._handle

    def __enter__(self) -> EngineRun:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextmanager
def engine_run(definitions: dict[str, dict[str, Any]],
               collections: Iterable[str]) -> Iterator[EngineRun]:
    """An :class:`EngineRun` that is always closed."""
    run = EngineRun(definitions, collections)
    try:
        yield run
    finally:
        run.close()


#: idle rulesets by their definitions (JSON text), least recently used first
_IDLE: OrderedDict[bytes, list[EngineRun]] = OrderedDict()
#: how many idle rulesets are kept in all
MAX_IDLE = 64


@contextmanager
def pooled(definitions: dict[str, dict[str, Any]], collections: Iterable[str],
           cites: Mapping[str, tuple[str, ...]] | None = None) -> Iterator[EngineRun]:
    """An :class:`EngineRun` of these definitions, taken from the idle ones or created,
    and given back for reuse when the block ends normally (closed after an error).

    Creating a ruleset costs about 0.4 ms in the C extension; an evaluation opens one
    per chunk (about twenty), and a feature run evaluates hundreds of small fact sets.
    A ruleset given back holds no state: every session is deleted after it is fired.
    """
    kinds = sorted(set(collections))
    key = orjson.dumps([definitions, kinds, cites or {}])
    with _LOCK:
        idle = _IDLE.get(key)
        run = idle.pop() if idle else None
        if idle == []:
            del _IDLE[key]
    if run is None:
        run = EngineRun(definitions, kinds, cites=cites)
    try:
        yield run
    except BaseException:
        run.close()
        raise
    if run.broken:  # a failed session the block caught: its state may remain
        run.close()
        return
    with _LOCK:
        _IDLE.setdefault(key, []).append(run)
        _IDLE.move_to_end(key)
        while sum(len(runs) for runs in _IDLE.values()) > MAX_IDLE:
            _, oldest = next(iter(_IDLE.items()))
            oldest.pop(0).close()
            if not oldest:
                _IDLE.popitem(last=False)


def _batches(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
