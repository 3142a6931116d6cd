"""Turn typed records into the flat facts durable_rules compares.

The engine sees numbers, strings, booleans and lists only. For each field a rule reads,
this module derives the engine fields:

=========  ===========================================================================
datetime   ``f`` epoch seconds; ``f__day`` day number (Chongqing time);
           ``f__wds`` / ``f__wde`` working-day start / end coordinates (:mod:`.calendar`)
date       ``f`` and ``f__day`` day number; ``f__wds`` / ``f__wde``
time       ``f`` minutes since midnight
string     ``f`` (an empty string is absent); phone numbers also ``f__digits``
duration   ``f__span``: a (value, unit) pair in the unit's coordinate (2N working-day
           half-steps, N days, seconds for hours and minutes)
=========  ===========================================================================

An unknown value (``None``) is left out of the fact, which is how the engine sees
"unknown": a missing field satisfies no comparison, only ``$nex``.
Domain ``id`` becomes ``rid``: durable_rules reserves ``id`` and ``sid``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from ..calendar import WorkingCalendar, day_number, local_date
from ..facts.model import DURATIONS, FactSet, Record
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

__all__ = ["COMMISSION_PARTITION", "ENGINE_ID", "KIND", "LIST_SENTINEL", "PARTITION",
           "RECORD_ID", "Normaliser", "coordinate", "day_number", "duration_span_field",
           "engine_name", "local_date", "phone_digits"]

COMMISSION_PARTITION = "~commission"
PHONE_FIELDS = frozenset({"hotline", "supervision_phone", "value", "phone_line"})
_SPAN = {"working_days": 2, "days": 1, "hours": 3600, "minutes": 60}


class Normaliser:
    """Builds engine facts for the records of one fact set."""

    def __init__(self, facts: FactSet, calendar: WorkingCalendar) -> None:
        self.facts = facts
        self.calendar = calendar
        self._first_start = _first_starts(facts)
        self._supplier_of = _supplier_index(facts)

    def partition(self, collection: str, record: Record) -> str:
        """The partition (durable_rules ``sid``) of a record: its supplier."""
        return self._supplier_of(collection, record)

    def engine_fact(self, collection: str, record: Record, fields: set[str]) -> dict[str, Any]:
        """The engine fact for ``record`` with just the engine ``fields`` asked for."""
        out: dict[str, Any] = {KIND: collection, RECORD_ID: record.record_id()}
        for name in fields:
            if name in out or name in (ENGINE_ID, PARTITION):
                continue
            value = self._derive(collection, record, name)
            if value is not None:
                out[name] = value
        return out

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
        return fact

    def _derive(self, collection: str, record: Record, name: str) -> Any:
        base, _, suffix = name.partition("__")
        value = self.value(collection, record, "id" if base == RECORD_ID else base)
        if value is None:
            return None
        if suffix == "digits":
            digits = re.sub(r"\D", "", str(value))
            return digits or None
        if suffix == "span":
            unit = getattr(record, DURATIONS[(collection, base)], None)
            return None if unit is None else int(value) * _SPAN[unit]
        return _convert(value, suffix, self.calendar)

    def value(self, collection: str, record: Record, field: str) -> Any:
        """A field's domain value, derived fields included (``None``: unknown)."""
        if collection == "appointments" and field == "first_start":
            return self._first_start.get(record.record_id(), getattr(record, "scheduled_start"))
        if collection == "staff" and field == "customer_facing":
            return record.is_customer_facing()  # type: ignore[attr-defined]
        if collection == "surveys" and field == "satisfied_x100":
            n, k = getattr(record, "respondents"), getattr(record, "satisfied")
            return None if not n or k is None else k * 100
        value = getattr(record, field, None)
        if isinstance(value, str) and not value.strip():
            return None
        return value


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


def _first_starts(facts: FactSet) -> dict[str, dt.datetime]:
    """Appointment id -> the start agreed at booking (earliest change's ``from_start``)."""
    earliest: dict[str, tuple[dt.datetime, str, dt.datetime]] = {}
    for change in facts.appointment_changes:
        at, start = change.at, change.from_start
        if at is None or start is None:
            continue
        key = change.appointment_id
        candidate = (at, change.record_id(), start)
        if key not in earliest or candidate < earliest[key]:
            earliest[key] = candidate
    return {k: v[2] for k, v in earliest.items()}


def _supplier_index(facts: FactSet) -> Callable[[str, Record], str]:
    outlet = {o.record_id(): o.supplier_id for o in facts.outlets}
    staff = {s.record_id(): s.supplier_id for s in facts.staff}
    appointment = {a.record_id(): a.supplier_id for a in facts.appointments}
    parents: dict[str, tuple[dict[str, str], str]] = {
        "outlet_days": (outlet, "outlet_id"),
        "outlet_inspections": (outlet, "outlet_id"),
        "staff_checks": (staff, "staff_id"),
        "appointment_changes": (appointment, "appointment_id"),
    }

    def supplier_of(collection: str, record: Record) -> str:
        if collection == "suppliers":
            return record.record_id()
        if collection == "commission":
            return COMMISSION_PARTITION
        if collection in parents:
            index, key = parents[collection]
            return index[getattr(record, key)]
        supplier = getattr(record, "supplier_id", None)
        return supplier if supplier is not None else COMMISSION_PARTITION

    return supplier_of
