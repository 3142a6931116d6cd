"""Turn typed records into the flat facts durable_rules compares.

The engine sees numbers, strings, booleans and lists only. For each field a rule reads,
this module derives the engine fields:

=========  ===========================================================================
datetime   ``f`` epoch seconds; ``f__day`` day number (Chongqing time);
           ``f__wds`` / ``f__wde`` working-day start / end coordinates (:mod:`.calendar`)
date       ``f`` and ``f__day`` day number; ``f__wds`` / ``f__wde``
time       ``f`` minutes since midnight
string     ``f`` (an empty string is absent); phone numbers also ``f__digits`` (the
           digits only: empty for a known value without any)
duration   ``f__span``: a (value, unit) pair in the unit's coordinate (2N working-day
           half-steps, N days, seconds for hours and minutes)
ranged     ``f__lo`` / ``f__hi`` (and their coordinates, ``f__lo__day``...): the
           bounds of a derived field known only between two values
           (:data:`~..facts.model.RANGED_FIELDS`)
marker     ``f__unk``: 1 when a contradiction made the definite-null field ``f``
           unknown (:data:`~..facts.model.CONTRADICTIONS`); the contradicted fields
           themselves are left out
=========  ===========================================================================

An appointment's ``first_start`` is the ``from_start`` of its change with the earliest
``at``, or its ``scheduled_start`` when it has no change. When some change's ``at`` is
unknown, every change that could be the earliest is a candidate, and the value lies
between the earliest and latest candidate ``from_start`` (unknown when a candidate's
``from_start`` is: it never falls back to a later change's).

An unknown value (``None``) is left out of the fact, which is how the engine sees
"unknown": a missing field satisfies no comparison, only ``$nex``.
Domain ``id`` becomes ``rid``: durable_rules reserves ``id`` and ``sid``. A subject fact
also carries ``_i``, its index in its collection (how a firing names its subject), and,
for rules that need no gate, the ``as_of`` coordinates.

For speed, :meth:`Normaliser.builder` turns a set of engine fields into one function
per collection that builds facts straight from the validated row dicts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..calendar import WorkingCalendar, day_number, local_date
from ..facts.model import (
    CONTRADICTIONS_OF,
    DURATIONS,
    FactSet,
    Range,
    Record,
    contradicted,
    customer_facing,
)
from ..rules.engine_fields import (
    ENGINE_ID,
    KIND,
    LIST_SENTINEL,
    PARTITION,
    RECORD_ID,
    coordinate,
    duration_span_field,
    engine_name,
    phone_digits,
)

__all__ = ["COMMISSION_PARTITION", "ENGINE_ID", "INDEX", "KIND", "LIST_SENTINEL", "PARTITION",
           "RECORD_ID", "Normaliser", "coordinate", "day_number", "duration_span_field",
           "engine_name", "local_date", "phone_digits"]

COMMISSION_PARTITION = "~commission"
#: the engine field holding a subject's index in its collection
INDEX = "_i"
PHONE_FIELDS = frozenset({"hotline", "supervision_phone", "value", "phone_line"})
_SPAN = {"working_days": 2, "days": 1, "hours": 3600, "minutes": 60}
_NOT_DIGIT = re.compile(r"\D")
_GATE_FIELDS = frozenset({"as_of", "as_of__day", "as_of__wds", "as_of__wde"})

Row = Mapping[str, Any]
Build = Callable[[Row, str], dict[str, Any]]


class Normaliser:
    """Builds engine facts for the records of one fact set."""

    def __init__(self, facts: FactSet, calendar: WorkingCalendar) -> None:
        self.facts = facts
        self.calendar = calendar
        self._first_start = _first_starts(facts)
        self._supplier_of = _supplier_index(facts)
        self._as_of: dict[str, Any] = {}

    # ------------------------------------------------------------------ partitions
    def partition(self, collection: str, record: Record | Row) -> str:
        """The supplier a record belongs to (``~commission`` for none)."""
        return self._supplier_of(collection, _row(record))

    # ------------------------------------------------------------------ gate
    def gate(self, as_of: dt.datetime) -> dict[str, Any]:
        """The gate fact: ``as_of`` on every time scale (working days only if known)."""
        day = local_date(as_of)
        fact: dict[str, Any] = {
            KIND: "__gate__",
            "as_of": int(as_of.timestamp()),
            "as_of__day": day_number(day),
        }
        if self.calendar.knows(day):
            fact["as_of__wds"] = self.calendar.start(day)
            fact["as_of__wde"] = self.calendar.end(day)
        self._as_of = {k: v for k, v in fact.items() if k != KIND}
        return fact

    # ------------------------------------------------------------------ facts
    def builder(self, collection: str, fields: set[str]) -> Build:
        """A function ``(row, rid) -> engine fact`` for the engine ``fields`` asked for.

        The ``as_of`` fields among them are the values of the last :meth:`gate`.
        """
        plain: list[tuple[str, str]] = []  # (engine name, field): copied when known
        derived: list[tuple[str, Callable[[Row, str], Any]]] = []
        constant: dict[str, Any] = {KIND: collection}
        for name in sorted(fields):
            if name in (ENGINE_ID, PARTITION, KIND, RECORD_ID):
                continue
            if name in _GATE_FIELDS:
                if name in self._as_of:
                    constant[name] = self._as_of[name]
                continue
            base, _, suffix = name.partition("__")
            if not suffix and self._is_plain(collection, base):
                plain.append((name, base))
            else:
                derived.append((name, self._deriver(collection, base, suffix)))

        def build(row: Row, rid: str) -> dict[str, Any]:
            fact = dict(constant)
            fact[RECORD_ID] = rid
            for name, source in plain:
                value = row.get(source)
                if value is not None and value != "":
                    fact[name] = value
            for name, derive in derived:
                value = derive(row, rid)
                if value is not None:
                    fact[name] = value
            return fact

        return build

    def engine_fact(self, collection: str, record: Record | Row, fields: set[str],
                    rid: str | None = None) -> dict[str, Any]:
        """The engine fact for one record with just the engine ``fields`` asked for."""
        row = _row(record)
        if rid is None:
            rid = record.record_id() if isinstance(record, Record) else str(row.get("id"))
        return self.builder(collection, fields)(row, rid)

    def value(self, collection: str, record: Record | Row, field: str,
              rid: str | None = None) -> Any:
        """A field's domain value, derived fields included (``None``: unknown)."""
        row = _row(record)
        if rid is None and isinstance(record, Record):
            rid = record.record_id()
        if collection == "appointments" and field == "first_start":
            bounds = self.first_start(row, rid or "")
            if bounds is None:
                return None
            return bounds[0] if bounds[0] == bounds[1] else Range(*bounds)
        if collection in CONTRADICTIONS_OF and field in contradicted(collection, row):
            return None
        if collection == "staff" and field == "customer_facing":
            return customer_facing(row)
        if collection == "surveys" and field == "satisfied_x100":
            n, k = row.get("respondents"), row.get("satisfied")
            return None if not n or k is None else k * 100
        if field == "id" and rid is not None:
            return rid
        value = row.get(field)
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def first_start(self, row: Row, rid: str) -> tuple[dt.datetime, dt.datetime] | None:
        """(earliest, latest) possible first agreed start of an appointment (module doc)."""
        if rid in self._first_start:
            return self._first_start[rid]
        start = row.get("scheduled_start")
        return None if start is None else (start, start)

    # ------------------------------------------------------------------ helpers
    def _is_plain(self, collection: str, field: str) -> bool:
        """Whether the engine takes the field's value as it is (text, bool, number)."""
        spec = self.facts.fields.specs(collection).get(field)
        if spec is None or field == "id":
            return False
        if any(field in c.fields for c in CONTRADICTIONS_OF.get(collection, ())):
            return False
        return (collection, field) not in _DERIVED and spec.kind in (
            "string", "bool", "int", "number", "enum")

    def _deriver(self, collection: str, base: str, suffix: str) -> Callable[[Row, str], Any]:
        """How to compute one engine field that is not a plain copy."""
        field = "id" if base == RECORD_ID else base
        calendar = self.calendar
        spec = self.facts.fields.specs(collection).get(field)
        if suffix == "unk":
            def marker(row: Row, rid: str) -> Any:
                return 1 if field in contradicted(collection, row) else None
            return marker
        if suffix[:2] in ("lo", "hi") and suffix[2:3] in ("", "_"):
            which = 0 if suffix.startswith("lo") else 1
            first_start = self.first_start

            def bound(row: Row, rid: str) -> Any:
                bounds = first_start(row, rid)
                return None if bounds is None else bounds[which]
            return _datetime_coordinate(bound, suffix[4:], calendar)
        dropped = any(field in c.fields for c in CONTRADICTIONS_OF.get(collection, ()))
        special = field == "id" or (collection, field) in _DERIVED or spec is None or dropped
        if special:
            value_of = self.value

            def domain(row: Row, rid: str) -> Any:
                return value_of(collection, row, field, rid)
        else:
            def domain(row: Row, rid: str) -> Any:
                value = row.get(field)
                return None if value == "" else value

        if suffix == "digits":
            def digits(row: Row, rid: str) -> Any:
                value = domain(row, rid)
                return None if value is None else _NOT_DIGIT.sub("", str(value))
            return digits
        if suffix == "span":
            unit_field = DURATIONS[(collection, base)]

            def span(row: Row, rid: str) -> Any:
                value, unit = domain(row, rid), row.get(unit_field)
                return None if value is None or unit is None else int(value) * _SPAN[unit]
            return span
        kind = "datetime" if (collection, field) == ("appointments", "first_start") else (
            spec.kind if spec is not None else "")
        if kind == "datetime":
            return _datetime_coordinate(domain, suffix, calendar)
        if kind == "date":
            return _date_coordinate(domain, suffix, calendar)

        def converted(row: Row, rid: str) -> Any:
            value = domain(row, rid)
            return None if value is None else _convert(value, suffix, calendar)
        return converted


_DERIVED = frozenset({("appointments", "first_start"), ("staff", "customer_facing"),
                      ("surveys", "satisfied_x100")})
_DAY = 86400
_OFFSET = 8 * 3600  # Chongqing is UTC+08:00 all year


def _datetime_coordinate(domain: Callable[[Row, str], Any], suffix: str,
                         calendar: WorkingCalendar) -> Callable[[Row, str], Any]:
    """Epoch seconds, or the Chongqing day number, or a working-day coordinate."""
    if not suffix:
        def seconds(row: Row, rid: str) -> Any:
            value = domain(row, rid)
            return None if value is None else int(value.timestamp())
        return seconds
    by_day = _day_coordinate(suffix, calendar)

    def day(row: Row, rid: str) -> Any:
        value = domain(row, rid)
        return None if value is None else by_day((int(value.timestamp()) + _OFFSET) // _DAY)
    return day


def _date_coordinate(domain: Callable[[Row, str], Any], suffix: str,
                     calendar: WorkingCalendar) -> Callable[[Row, str], Any]:
    by_day = _day_coordinate(suffix or "day", calendar)

    def day(row: Row, rid: str) -> Any:
        value = domain(row, rid)
        return None if value is None else by_day(day_number(value))
    return day


def _day_coordinate(suffix: str, calendar: WorkingCalendar) -> Callable[[int], int]:
    if suffix == "day":
        return int
    if suffix == "wds":
        return calendar.start_of_day_number
    if suffix == "wde":
        return calendar.end_of_day_number
    raise ValueError(f"unknown coordinate {suffix!r}")


def _row(record: Record | Row) -> Row:
    return record.values if isinstance(record, Record) else record


def _convert(value: Any, suffix: str, calendar: WorkingCalendar) -> Any:
    if isinstance(value, dt.datetime):
        if not suffix:
            return int(value.timestamp())
        day = local_date(value)
    elif isinstance(value, dt.date):
        day = value
        if not suffix:
            return day_number(day)
    elif isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    elif isinstance(value, (list, tuple)):
        # durable_rules' $iall/$iany match nothing on an empty list: a sentinel item
        # keeps "lacks X" true and "contains X" false for an empty (known) list.
        return [*value, LIST_SENTINEL]
    else:
        return value
    if suffix == "day":
        return day_number(day)
    if suffix == "wds":
        return calendar.start(day)
    if suffix == "wde":
        return calendar.end(day)
    raise ValueError(f"unknown coordinate {suffix!r}")


def _first_starts(facts: FactSet) -> dict[str, tuple[dt.datetime, dt.datetime] | None]:
    """Appointment id -> bounds of its first agreed start, for appointments with changes
    (``None``: unknown). See the module docstring."""
    changes: dict[str, list[tuple[dt.datetime | None, dt.datetime | None]]] = {}
    for change in facts.rows("appointment_changes"):
        changes.setdefault(change["appointment_id"], []).append(
            (change.get("at"), change.get("from_start")))
    out: dict[str, tuple[dt.datetime, dt.datetime] | None] = {}
    for appointment, found in changes.items():
        known = [at for at, _ in found if at is not None]
        earliest = min(known) if known else None
        starts = [start for at, start in found if at is None or at == earliest]
        known_starts = [start for start in starts if start is not None]
        out[appointment] = None if len(known_starts) < len(starts) else (
            min(known_starts), max(known_starts))
    return out


def _supplier_index(facts: FactSet) -> Callable[[str, Row], str]:
    def owners(collection: str) -> dict[str, str]:
        return {i: r["supplier_id"] for r, i in zip(facts.rows(collection), facts.ids(collection),
                                                     strict=True)}

    outlet, staff, appointment = owners("outlets"), owners("staff"), owners("appointments")
    parents: dict[str, tuple[dict[str, str], str]] = {
        "outlet_days": (outlet, "outlet_id"),
        "outlet_inspections": (outlet, "outlet_id"),
        "staff_checks": (staff, "staff_id"),
        "appointment_changes": (appointment, "appointment_id"),
    }

    def supplier_of(collection: str, row: Row) -> str:
        if collection == "suppliers":
            return str(row["id"])
        if collection == "commission":
            return COMMISSION_PARTITION
        if collection in parents:
            index, key = parents[collection]
            return index.get(str(row.get(key)), COMMISSION_PARTITION)
        supplier = row.get("supplier_id")
        return supplier if supplier is not None else COMMISSION_PARTITION

    return supplier_of


def suppliers_of(facts: FactSet, collection: str,
                 supplier_of: Callable[[str, Row], str]) -> Sequence[str]:
    """The supplier of every record of ``collection``."""
    return [supplier_of(collection, r) for r in facts.rows(collection)]
