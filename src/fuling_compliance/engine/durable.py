"""The only module that talks to durable_rules; every known pitfall is handled here.

* **Asynchronous firing.** ``durable.engine.Host`` starts timer threads that dispatch
  actions in the background. :class:`_SyncHost` starts none; after every assert the
  pending actions are drained on the calling thread until the engine has none left.
* **Negation is not truth-maintained.** Every compiled rule starts with the gate fact,
  which is asserted after all data (see :mod:`.compile`).
* **Reserved ``id``/``sid``.** Domain ids travel as ``rid`` (see :mod:`.normalise`);
  ``id`` is the engine identity we assign, ``sid`` the partition.
* **Silent fact loss from 32-bit identities.** The engine keys facts by
  ``fnv1_32(id)`` and never compares full ids. :class:`IdAllocator` hands out ids
  whose hashes are distinct within a partition, so no collision can happen; after
  asserting, the number of stored facts is checked against the number asserted.
* **Facts matching no rule make a whole batch fail.** A sink rule that can never fire
  references every asserted collection, so each fact is always "handled".
* **Swallowed action exceptions.** durable_rules' action machinery (which swallows
  exceptions into the state) is not used: pending actions are taken from the engine
  directly and any unexpected firing is an :class:`~fuling_compliance.errors.EngineError`.
* **Memory.** Each partition's state is deleted after it is evaluated and the ruleset
  is deleted at the end, so nothing outlives an evaluation.
* **Threads.** Each evaluation has its own host and ruleset; calls into the C extension
  are serialised by a process-wide lock (the extension has no locks of its own).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
from durable import engine as durable_engine

from ..errors import EngineError
from ..rules.engine_fields import ENGINE_ID, KIND, PARTITION, RECORD_ID

_LOCK = threading.RLock()
BATCH = 5000
NEVER_KIND = "__never__"


def fnv1_32(text: str) -> int:
    """durable_rules' fact identity hash: FNV-1 32-bit, ``h ^= (signed char)c; h *= P``."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        signed = byte - 256 if byte >= 128 else byte
        h = (h ^ (signed & 0xFFFFFFFF)) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


class IdAllocator:
    """Engine ids whose durable_rules hashes never collide within one partition."""

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


def _never_called(_c: Any) -> None:
    """durable_rules wants a callable per rule; firings are read in ``_drain`` instead."""
    raise AssertionError("durable_rules' own action dispatch must not run")


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


class _SyncHost(durable_engine.Host):  # type: ignore[misc]
    """A host with no background dispatch threads."""

    def _run(self) -> None:
        return None


@dataclass(frozen=True)
class Firing:
    """One firing of a compiled durable rule: which rule, which subject fact."""

    rule_name: str
    subject_id: str
    partition: str


class EngineRun:
    """One evaluation's ruleset on its own host; use as a context manager."""

    def __init__(self, definitions: dict[str, dict[str, Any]], collections: Iterable[str],
                 subject_alias: str = "subj") -> None:
        self._name = f"fuling_{uuid.uuid4().hex}"
        self._firings: list[Firing] = []
        self._errors: list[str] = []
        self._subject_alias = subject_alias
        ruleset: dict[str, Any] = {}
        for name, definition in definitions.items():
            ruleset[name] = {**definition, "run": _never_called}
        kinds = sorted(set(collections))
        if kinds:
            # never fires (no fact has the kind NEVER_KIND) but "handles" every collection
            ruleset["__sink__"] = {
                "all": [{"never": {KIND: NEVER_KIND}},
                        {"x": {"$or": [{KIND: k} for k in kinds]} if len(kinds) > 1
                         else {KIND: kinds[0]}}],
                "run": _never_called,
            }
        with _LOCK:
            self._host = _SyncHost()
            try:
                self._host.set_rulesets({self._name: ruleset})
            except Exception as exc:  # malformed definition: a compiler bug
                raise EngineError(f"durable_rules refused the compiled ruleset: {exc}") from exc
            self._ruleset = self._host.get_ruleset(self._name)
        self._closed = False

    # ------------------------------------------------------------------ evaluation
    def evaluate_partition(self, partition: str, facts: Sequence[dict[str, Any]],
                           gate: dict[str, Any]) -> list[Firing]:
        """Assert ``facts`` then the gate in one partition; return its firings.

        ``facts`` must not carry ``id``/``sid``: they are assigned here.
        """
        ids = allocated_ids(len(facts) + 1)
        stamped = [{**f, ENGINE_ID: i, PARTITION: partition}
                   for f, i in zip(facts, ids[:-1], strict=True)]
        gate_fact = {**gate, ENGINE_ID: ids[len(facts)], PARTITION: partition}
        start = len(self._firings)
        with _LOCK:
            try:
                for batch in _batches(stamped, BATCH):
                    self._assert(batch)
                self._assert([gate_fact])
                stored = self._stored_count(partition)
            except EngineError:
                # after a refused batch, delete_state crashes the C extension; the
                # state is freed with the whole ruleset by close()
                raise
            else:
                self._delete_state(partition)
        expected = len(stamped) + 1
        if stored != expected:
            raise EngineError(
                f"partition {partition!r}: durable_rules stored {stored} of {expected} facts"
            )
        if self._errors:
            raise EngineError("an action failed inside durable_rules: " + "; ".join(self._errors))
        return self._firings[start:]

    def _assert(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._ruleset.assert_facts(batch)
        except durable_engine.MessageObservedException as exc:
            raise EngineError("durable_rules reported a fact as already observed "
                              "(identity collision)") from exc
        except durable_engine.MessageNotHandledException as exc:
            raise EngineError("durable_rules did not handle a fact (no rule matches it)") from exc
        except Exception as exc:
            raise EngineError(f"durable_rules refused a fact: {exc}") from exc
        finally:
            # always run what the batch made pending: deleting a state with pending
            # actions after a failed batch corrupts the C heap ("double free")
            self._drain()

    def _drain(self) -> None:
        """Take every pending action now, on this thread, and record its firing.

        The firings are read straight from the engine's action messages (rule name and
        the subject's ``rid``); durable_rules' Python action machinery (closures, state
        JSON round trips, exception swallowing) is not used at all.
        """
        handle = self._ruleset._handle
        loads = json.loads
        while True:
            started = durable_rules_engine.start_action(handle)
            if not started:
                return
            message, action = started[1], started[2]
            while message:
                for rule_name, frame in loads(message).items():
                    try:
                        subject = frame[self._subject_alias]
                        self._firings.append(
                            Firing(rule_name, subject[RECORD_ID], subject[PARTITION]))
                    except (KeyError, TypeError) as exc:
                        self._errors.append(f"{rule_name}: unexpected firing {exc!r}")
                message = durable_rules_engine.complete_and_start_action(handle, action)

    def _stored_count(self, partition: str) -> int:
        try:
            return len(self._ruleset.get_facts(partition))
        except Exception:
            return 0

    def _delete_state(self, partition: str) -> None:
        try:
            self._ruleset.delete_state(partition)
        except Exception as exc:  # pragma: no cover - state already gone
            self._errors.append(f"delete_state: {exc}")

    def close(self) -> None:
        """Release the ruleset in the C extension."""
        if not self._closed:
            self._closed = True
            with _LOCK:
                durable_rules_engine.delete_ruleset(self._ruleset._handle)

    @property
    def handle(self) -> int:
        return int(self._ruleset._handle)


@contextmanager
def engine_run(definitions: dict[str, dict[str, Any]],
               collections: Iterable[str]) -> Iterator[EngineRun]:
    """An :class:`EngineRun` that is always closed."""
    run = EngineRun(definitions, collections)
    try:
        yield run
    finally:
        run.close()


def _batches(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
