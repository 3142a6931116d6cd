"""The fact set, ``fuling-compliance/facts/v1``: its collections, fields and records.

The contract of ``spec/facts.md`` is declared once, one pydantic model per collection
(:data:`COLLECTIONS`); :func:`field_specs` reads each field's kind from it, and
:mod:`.validate` builds the bulk validators from those specs. Fields declared in YAML
come on top (:mod:`.fields`): a :class:`~.fields.Fields` is what every consumer asks.
A loaded fact set keeps each record as the plain ``dict`` of its validated values
(compact: a million records fit in memory) and hands out read-only :class:`Record` views.

Null semantics: every field that is not an identity or a reference may be ``None``
(written ``null`` or left out), which means *unknown* — except event timestamps
(:data:`EVENT_FIELDS`) and the other definite nulls (:data:`DEFINITE_NULL_FIELDS`),
where ``None`` has a meaning (the event has not happened, no expiry, ...). Unknown
fields are kept and reported as warnings by the loader.

Contradictions (:data:`CONTRADICTIONS`): two fields of one record that cannot both be
true, though each could be a true record of what happened (a cancelled visit with an
arrival). The fact set is not rejected: both fields count as *unknown* for that record
(even an event timestamp, whose null otherwise means "not happened"), and the loader
warns, naming the record and the fields.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from ..errors import Problem

if TYPE_CHECKING:
    from .fields import Fields

FORMAT = "fuling-compliance/facts/v1"
#: (collection, value field) -> unit field of a duration pair
DURATIONS: dict[tuple[str, str], str] = {("business_services", "time_limit"): "time_limit_unit"}

#: Timestamps whose ``null`` means "has not happened", not "unknown".
EVENT_FIELDS = frozenset(
    {
        "booked_at",
        "arrived_at",
        "opened_at",
        "customer_notified_at",
        "completed_at",
        "verified_at",
        "rectified_at",
        "replied_at",
        "reported_at",
        "published_on",
    }
)

#: Fields whose ``null`` has a meaning (not "unknown"), per collection: events that
#: have not happened, plus the spec's other definite nulls (no expiry, no hotline,
#: no reason given, cancelled, no time limit published).
DEFINITE_NULL_FIELDS: dict[str, frozenset[str]] = {
    "commission": frozenset({"hotline"}),
    "suppliers": frozenset({"hotline"}),
    "outlet_days": frozenset({"opened_at"}),
    "staff": frozenset({"certificate_valid_until"}),
    "appointments": frozenset({"booked_at", "arrived_at"}),
    "appointment_changes": frozenset({"customer_notified_at", "reason", "to_start"}),
    "disclosures": frozenset({"published_on"}),
    "business_services": frozenset({"time_limit", "time_limit_unit"}),
    "applications": frozenset({"completed_at"}),
    "complaints": frozenset({"verified_at", "rectified_at", "replied_at", "reported_at"}),
    "assessments": frozenset({"published_on"}),
}



@dataclass(frozen=True)
class Contradiction:
    """Two fields of one record that cannot both be true (see the module docstring)."""

    collection: str
    fields: tuple[str, str]
    holds: Callable[[Mapping[str, Any]], bool]
    en: str
    zh: str


#: Every contradiction the facts can carry; both fields then read as unknown.
CONTRADICTIONS: tuple[Contradiction, ...] = (
    Contradiction("appointments", ("status", "arrived_at"),
                  lambda r: r.get("status") == "cancelled" and r.get("arrived_at") is not None,
                  "a cancelled visit with an arrival", "已取消的上门服务却有到达时间"),
    Contradiction("complaints", ("substantiated", "verified_at"),
                  lambda r: r.get("substantiated") is not None and r.get("verified_at") is None,
                  "substantiated given but never verified", "未核实却已给出是否属实"),
)
#: collection -> the contradictions of its records
CONTRADICTIONS_OF: dict[str, tuple[Contradiction, ...]] = {}
for _c in CONTRADICTIONS:
    CONTRADICTIONS_OF[_c.collection] = (*CONTRADICTIONS_OF.get(_c.collection, ()), _c)


def contradicted(collection: str, row: Mapping[str, Any]) -> frozenset[str]:
    """The fields of ``row`` that a contradiction makes unknown (usually none)."""
    out: set[str] = set()
    for c in CONTRADICTIONS_OF.get(collection, ()):
        if c.holds(row):
            out.update(c.fields)
    return frozenset(out)


def contradiction_warnings(collection: str, rows: Sequence[Mapping[str, Any]],
                           ids: Sequence[str]) -> list[str]:
    """One warning per contradicted record, naming the record, the fields and why. The
    text depends only on the record's content (no file, no position)."""
    out: list[str] = []
    for c in CONTRADICTIONS_OF.get(collection, ()):
        a, b = c.fields
        for row, rid in zip(rows, ids, strict=True):
            if c.holds(row):
                out.append(f"{collection}[{rid}].{a}, {b}: {a} and {b} contradict each other "
                           f"({c.en}); both are read as unknown")
    return out


Id = Annotated[str, Field(min_length=1)]


class RecordModel(BaseModel):
    """Base of the collection declarations (a record's fields and their types)."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Commission(RecordModel):
    hotline: str | None = None
    hotline_published: bool | None = None
    supervision_phone: str | None = None



Utility = Literal["electricity", "gas", "both"]
HotlineAccept = Literal["enquiry", "help", "complaint"]
OneStopItem = Literal["scope", "procedures", "time_limits", "commitments", "complaint_phone"]
ServiceSystem = Literal["first_inquiry", "time_limited", "proxy", "personalised"]


class Supplier(RecordModel):
    id: Id
    name: str | None = None
    utility: Utility | None = None
    hotline: str | None = None
    hotline_published: bool | None = None
    hotline_accepts: list[HotlineAccept] | None = None
    one_stop_info: list[OneStopItem] | None = None
    service_systems: list[ServiceSystem] | None = None


class Area(RecordModel):
    id: Id
    supplier_id: Id
    name: str | None = None


class Outlet(RecordModel):
    id: Id
    supplier_id: Id
    area_id: Id
    name: str | None = None
    kind: Literal["own", "bank", "partner"] | None = None
    transport_accessible: bool | None = None
    signage_uniform: bool | None = None
    signage_visible: bool | None = None
    opens: dt.time | None = None
    closes: dt.time | None = None


class OutletDay(RecordModel):
    outlet_id: Id
    date: dt.date
    scheduled_open: dt.time | None = None
    opened_at: dt.time | None = None



class OutletInspection(RecordModel):
    id: Id
    outlet_id: Id
    date: dt.date | None = None
    safe: bool | None = None
    clean: bool | None = None
    notes: str | None = None


Role = Literal[
    "counter", "customer_service", "meter_reader", "construction", "maintenance", "other"
]


class Staff(RecordModel):
    id: Id
    supplier_id: Id
    name: str | None = None
    role: Role | None = None
    customer_facing: bool | None = None
    trained: bool | None = None
    certified: bool | None = None
    certificate_no: str | None = None
    certificate_valid_until: dt.date | None = None



class StaffCheck(RecordModel):
    id: Id
    staff_id: Id
    at: dt.datetime | None = None
    uniform: bool | None = None
    badge: bool | None = None
    id_card: bool | None = None


class Appointment(RecordModel):
    id: Id
    supplier_id: Id
    customer: str | None = None
    booked_at: dt.datetime | None = None
    scheduled_start: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    status: Literal["scheduled", "completed", "cancelled"] | None = None


class AppointmentChange(RecordModel):
    id: Id
    appointment_id: Id
    at: dt.datetime | None = None
    by: Literal["supplier", "customer"] | None = None
    reason: str | None = None
    from_start: dt.datetime | None = None
    to_start: dt.datetime | None = None
    customer_notified_at: dt.datetime | None = None
    customer_agreed: bool | None = None


class ProxyService(RecordModel):
    id: Id
    supplier_id: Id
    customer: str | None = None
    at: dt.datetime | None = None
    customer_consent: bool | None = None


DisclosureItem = Literal[
    "policies_laws",
    "statutory_obligations",
    "service_rules",
    "service_commitments",
    "complaint_rules",
    "accountability_rules",
    "outlet_hours",
    "service_phone",
    "supervision_phone",
    "other",
]


class Disclosure(RecordModel):
    supplier_id: Id
    item: DisclosureItem
    published: bool | None = None
    published_on: dt.date | None = None
    channel: str | None = None
    value: str | None = None
    # Disclosures have no id in the spec; one is derived from the content (derive_ids).
    id: str | None = None



class BusinessService(RecordModel):
    supplier_id: Id
    business_type: Id
    procedure_published: bool | None = None
    conditions_published: bool | None = None
    time_limit: NonNegativeInt | None = None
    time_limit_unit: Literal["working_days", "days", "hours"] | None = None



class Application(RecordModel):
    id: Id
    supplier_id: Id
    business_type: Id
    submitted_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None


class Inquiry(RecordModel):
    id: Id
    supplier_id: Id
    at: dt.datetime | None = None
    first_responder: str | None = None
    within_scope: bool | None = None
    reason_explained: bool | None = None
    handed_over: bool | None = None
    followed_up: bool | None = None
    resolved: bool | None = None


class Complaint(RecordModel):
    id: Id
    supplier_id: str | None = None
    received_at: dt.datetime | None = None
    channel: Literal["oral", "phone", "written", "other"] | None = None
    phone_line: str | None = None
    category: (
        Literal["supply_quality", "billing", "counter_service", "complaint_handling", "other"]
        | None
    ) = None
    concerns: Literal["internal", "sector"] | None = None
    major: bool | None = None
    written_record: bool | None = None
    verified_at: dt.datetime | None = None
    rectified_at: dt.datetime | None = None
    replied_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None
    substantiated: bool | None = None


class Survey(RecordModel):
    id: Id
    supplier_id: Id
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    respondents: NonNegativeInt | None = None
    satisfied: NonNegativeInt | None = None


class Assessment(RecordModel):
    id: Id
    supplier_id: Id
    date: dt.date | None = None
    methods: list[Literal["records", "spot_check", "survey"]] | None = None
    score: float | None = None
    published_on: dt.date | None = None


#: Collection name -> record model, in the order of ``spec/facts.md``.
COLLECTIONS: dict[str, type[RecordModel]] = {
    "commission": Commission,
    "suppliers": Supplier,
    "areas": Area,
    "outlets": Outlet,
    "outlet_days": OutletDay,
    "outlet_inspections": OutletInspection,
    "staff": Staff,
    "staff_checks": StaffCheck,
    "appointments": Appointment,
    "appointment_changes": AppointmentChange,
    "proxy_services": ProxyService,
    "disclosures": Disclosure,
    "business_services": BusinessService,
    "applications": Application,
    "inquiries": Inquiry,
    "complaints": Complaint,
    "surveys": Survey,
    "assessments": Assessment,
}

#: Singular names used in findings (``subject.type``).
SUBJECT_TYPES: dict[str, str] = {
    "commission": "commission",
    "suppliers": "supplier",
    "areas": "area",
    "outlets": "outlet",
    "outlet_days": "outlet_day",
    "outlet_inspections": "outlet_inspection",
    "staff": "staff",
    "staff_checks": "staff_check",
    "appointments": "appointment",
    "appointment_changes": "appointment_change",
    "proxy_services": "proxy_service",
    "disclosures": "disclosure",
    "business_services": "business_service",
    "applications": "application",
    "inquiries": "inquiry",
    "complaints": "complaint",
    "surveys": "survey",
    "assessments": "assessment",
}

#: Reference fields: (collection, field) -> referenced collection.
REFERENCES: dict[tuple[str, str], str] = {
    ("areas", "supplier_id"): "suppliers",
    ("outlets", "supplier_id"): "suppliers",
    ("outlets", "area_id"): "areas",
    ("outlet_days", "outlet_id"): "outlets",
    ("outlet_inspections", "outlet_id"): "outlets",
    ("staff", "supplier_id"): "suppliers",
    ("staff_checks", "staff_id"): "staff",
    ("appointments", "supplier_id"): "suppliers",
    ("appointment_changes", "appointment_id"): "appointments",
    ("proxy_services", "supplier_id"): "suppliers",
    ("disclosures", "supplier_id"): "suppliers",
    ("business_services", "supplier_id"): "suppliers",
    ("applications", "supplier_id"): "suppliers",
    ("inquiries", "supplier_id"): "suppliers",
    ("inquiries", "first_responder"): "staff",
    ("complaints", "supplier_id"): "suppliers",
    ("surveys", "supplier_id"): "suppliers",
    ("assessments", "supplier_id"): "suppliers",
}

FieldKind = Literal["string", "bool", "int", "number", "enum", "list", "datetime", "date", "time"]


def _kind(annotation: Any) -> tuple[FieldKind, tuple[str, ...]]:
    """Classify a field annotation: its kind and, for enums and lists, the allowed values."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _kind(args[0])
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin is Literal:
        return "enum", tuple(str(a) for a in get_args(annotation))
    if origin is list:
        _, values = _kind(get_args(annotation)[0])
        return "list", values
    simple: dict[Any, FieldKind] = {
        bool: "bool",
        int: "int",
        float: "number",
        str: "string",
        dt.datetime: "datetime",
        dt.date: "date",
        dt.time: "time",
    }
    if annotation in simple:
        return simple[annotation], ()
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None:
        return _kind(metadata_origin)
    raise TypeError(f"unclassified annotation {annotation!r}")


@functools.cache
def field_kinds(collection: str) -> dict[str, tuple[FieldKind, tuple[str, ...]]]:
    """``{field: (kind, allowed values)}`` of one collection's built-in and derived fields.

    The built-in fields only: consumers ask :class:`~.fields.Fields` (which adds the
    fields declared in YAML) rather than this function.
    """
    model = COLLECTIONS[collection]
    hints = typing.get_type_hints(model, include_extras=True)
    kinds = {name: _kind(hints[name]) for name in model.model_fields}
    kinds.update(DERIVED_FIELDS.get(collection, {}))
    return kinds


class Range(typing.NamedTuple):
    """A value known only to lie between two bounds (both included)."""

    lo: Any
    hi: Any


#: Derived fields whose value may be known only to lie between two bounds (an
#: appointment whose changes' order is not known): the normalise step gives each bound
#: and the compiler compares both (true when true for the whole range, false when false
#: for the whole range, else unknown).
RANGED_FIELDS: frozenset[tuple[str, str]] = frozenset({("appointments", "first_start")})

#: The fields that identify one record of a collection (a relation matching all of them
#: relates at most one record); disclosures have none, the commission is one record.
IDENTITY: dict[str, tuple[str, ...]] = {
    "commission": (),
    "outlet_days": ("outlet_id", "date"),
    "business_services": ("supplier_id", "business_type"),
}


def unique_relation(collection: str, match_fields: Sequence[str]) -> bool:
    """Whether matching ``match_fields`` of ``collection`` relates at most one record."""
    if collection == "disclosures":
        return False
    return set(IDENTITY.get(collection, ("id",))) <= set(match_fields)


#: Fields the normalise step derives, usable in rules like any other field.
DERIVED_FIELDS: dict[str, dict[str, tuple[FieldKind, tuple[str, ...]]]] = {
    "appointments": {
        # the start agreed at booking: the from_start of the change with the earliest
        # `at`, else scheduled_start; between bounds when the earliest is not known
        "first_start": ("datetime", ()),
    },
    "staff": {"customer_facing": ("bool", ())},
    "surveys": {
        # satisfied × 100, known only when respondents > 0 (so 0 respondents is unknown)
        "satisfied_x100": ("int", ()),
    },
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a collection as the loader validates it."""

    name: str
    kind: FieldKind
    #: allowed values of an ``enum`` or of a ``list`` of enum values
    values: tuple[str, ...] = ()
    #: must be given (an identity or a reference every record has)
    required: bool = False
    #: an identity or a reference to another record (short text, numbers read as text)
    identifier: bool = False
    #: a count (never negative)
    nonnegative: bool = False


#: fields that identify or refer to records (short text; a number is read as its text)
IDENTIFIERS = frozenset({"id", *(f for (_, f) in REFERENCES)})


def _at_least_zero(annotation: Any) -> bool:
    """Whether an annotation carries ``ge=0`` (``NonNegativeInt``) anywhere."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return any(getattr(m, "ge", None) == 0 for m in metadata) or _at_least_zero(base)
    return any(_at_least_zero(a) for a in get_args(annotation))


@functools.cache
def field_specs(collection: str) -> dict[str, FieldSpec]:
    """The built-in validated fields of one collection, from its declaration (what
    :class:`~.fields.Fields` starts from; consumers ask a ``Fields``)."""
    model = COLLECTIONS[collection]
    hints = typing.get_type_hints(model, include_extras=True)
    specs: dict[str, FieldSpec] = {}
    for name, info in model.model_fields.items():
        kind, values = _kind(hints[name])
        nonnegative = _at_least_zero(hints[name])
        specs[name] = FieldSpec(name, kind, values, required=info.is_required(),
                                identifier=name in IDENTIFIERS, nonnegative=nonnegative)
    return specs


# ----------------------------------------------------------------------------- records
def record_id(collection: str, values: Mapping[str, Any]) -> str:
    """The subject id of findings about a record (derived where the spec gives none)."""
    if collection == "commission":
        return "commission"
    if collection == "outlet_days":
        day = values.get("date")
        return f"{values.get('outlet_id')}:{day.isoformat() if day is not None else ''}"
    if collection == "business_services":
        return f"{values.get('supplier_id')}:{values.get('business_type')}"
    if collection == "disclosures" and not values.get("id"):
        return f"{values.get('supplier_id')}:{values.get('item')}"
    return str(values.get("id"))


def derive_ids(collection: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every record's id; disclosures without one that share ``supplier:item`` are
    numbered in the order of their content, so ids never depend on record order."""
    ids = [record_id(collection, r) for r in rows]
    if collection != "disclosures":
        return ids
    groups: dict[str, list[int]] = {}
    for i, (rid, row) in enumerate(zip(ids, rows, strict=True)):
        if not row.get("id"):
            groups.setdefault(rid, []).append(i)
    for rid, members in groups.items():
        if len(members) > 1:
            ordered = sorted(members, key=lambda i: _content_key(rows[i]))
            for n, i in enumerate(ordered, 1):
                ids[i] = f"{rid}#{n}"
    return ids


def _content_key(row: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if v is not None}, sort_keys=True,
                      default=str, ensure_ascii=False)


def customer_facing(values: Mapping[str, Any]) -> bool | None:
    """A staff member's ``customer_facing``: as given, else true for every role but
    ``other`` (unknown when neither is known)."""
    given = values.get("customer_facing")
    if given is not None:
        return bool(given)
    role = values.get("role")
    return None if role is None else role != "other"


class Record:
    """A read-only view of one validated record: ``record.status``, ``record.get(...)``.

    A field the collection has (built-in or declared in the fields in force) but the
    record leaves out reads as ``None`` (unknown); unknown fields the input carried are
    in :attr:`extra`. ``known``: the collection's fields (``Fields.specs``); default:
    those of :func:`~.fields.default_fields`.
    """

    __slots__ = ("_id", "_known", "_values", "collection")

    def __init__(self, collection: str, values: Mapping[str, Any],
                 rid: str | None = None, known: Mapping[str, FieldSpec] | None = None) -> None:
        self.collection = collection
        self._values = values
        self._id = rid if rid is not None else record_id(collection, values)
        if known is None:
            from .fields import default_fields

            known = default_fields().specs(collection)
        self._known = known

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        values = self._values
        if name in values:
            return values[name]
        if name in self._known:
            return None
        raise AttributeError(f"{self.collection} records have no field {name!r}")

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value (``default`` when it is unknown)."""
        value = self._values.get(name)
        return default if value is None else value

    def record_id(self) -> str:
        """The subject id of findings about this record."""
        return self._id

    def values_of(self, fields: tuple[str, ...]) -> tuple[Any, ...]:
        """The values of ``fields`` (``id`` is the record id, derived ones included)."""
        return tuple(self._id if f == "id" else self._values.get(f) for f in fields)

    @property
    def values(self) -> Mapping[str, Any]:
        """Every value the record was given (validated), unknown fields included."""
        return self._values

    @property
    def extra(self) -> dict[str, Any]:
        """The fields the input carried that the collection does not declare."""
        known = self._known
        return {k: v for k, v in self._values.items() if k not in known}

    def to_dict(self) -> dict[str, Any]:
        """Every declared field (``None`` when unknown), then the unknown fields."""
        out = {name: self._values.get(name) for name in self._known}
        out.update(self.extra)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and other.collection == self.collection and \
            dict(other._values) == dict(self._values)

    def __hash__(self) -> int:
        return hash((self.collection, self._id))

    def __repr__(self) -> str:
        return f"Record({self.collection!r}, {dict(self._values)!r})"


class FactSet:
    """A validated fact set: each collection's records, in load order.

    Records are kept as the dicts of their validated values (:meth:`rows`, with their
    ids in :meth:`ids`); :meth:`records` and attribute access (``facts.appointments``,
    ``facts.commission``) give :class:`Record` views. Immutable by convention: build a
    new one (:meth:`replace`) rather than changing rows. :attr:`fields` are the fields
    the records were validated against (default: :func:`~.fields.default_fields`).
    """

    def __init__(self, rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, *,
                 as_of: dt.datetime | None = None, warnings: Sequence[str | Problem] = (),
                 ids: Mapping[str, Sequence[str]] | None = None,
                 fields: Fields | None = None) -> None:
        if fields is None:
            from .fields import default_fields

            fields = default_fields()
        self.fields: Fields = fields
        rows = rows or {}
        unknown = set(rows) - set(COLLECTIONS)
        if unknown:
            raise ValueError(f"unknown collections: {sorted(unknown)}")
        self._rows: dict[str, list[Mapping[str, Any]]] = {
            c: list(rows.get(c, ())) for c in COLLECTIONS}
        self._ids: dict[str, list[str]] = {
            c: list(ids[c]) if ids is not None and c in ids else derive_ids(c, self._rows[c])
            for c in COLLECTIONS}
        self.as_of = as_of
        #: the loader's warnings (unknown fields...) in English; as problems, with
        #: Chinese messages too, in :attr:`warning_problems`
        self.warnings: tuple[str, ...] = tuple(
            (w.render("en") if w.file is not None else f"{w.where}: {w.message}")
            if isinstance(w, Problem) else w for w in warnings)
        self.warning_problems: tuple[Problem, ...] = tuple(
            w if isinstance(w, Problem) else Problem(message=w, message_zh=w, warning=True)
            for w in warnings)
        self._views: dict[str, tuple[Record, ...]] = {}

    def rows(self, collection: str) -> list[Mapping[str, Any]]:
        """The validated values of every record of ``collection`` (do not modify)."""
        return self._rows[collection]

    def ids(self, collection: str) -> list[str]:
        """The record ids of ``collection``, in the order of :meth:`rows`."""
        return self._ids[collection]

    def records(self, collection: str) -> tuple[Record, ...]:
        """The records of one collection as views (the commission as a 0/1-tuple)."""
        views = self._views.get(collection)
        if views is None:
            known = self.fields.specs(collection)
            views = tuple(Record(collection, r, i, known)
                          for r, i in zip(self._rows[collection], self._ids[collection],
                                          strict=True))
            self._views[collection] = views
        return views

    def __getattr__(self, name: str) -> Any:
        if name in COLLECTIONS:
            records = self.records(name)
            if name == "commission":
                return records[0] if records else None
            return records
        raise AttributeError(name)

    def count(self) -> int:
        """How many records the fact set holds."""
        return sum(len(r) for r in self._rows.values())

    def replace(self, **changes: Any) -> FactSet:
        """A copy with some collections' rows (or ``as_of``/``warnings``) replaced."""
        rows = {c: changes.pop(c, self._rows[c]) for c in COLLECTIONS}
        ids = {c: self._ids[c] for c in COLLECTIONS if rows[c] is self._rows[c]}
        return FactSet(rows, as_of=changes.pop("as_of", self.as_of),
                       warnings=changes.pop("warnings", self.warning_problems), ids=ids,
                       fields=changes.pop("fields", self.fields), **changes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FactSet) and other.as_of == self.as_of and \
            other.fields == self.fields and all(
            [dict(r) for r in other._rows[c]] == [dict(r) for r in self._rows[c]]
            for c in COLLECTIONS)

    __hash__ = None  # type: ignore[assignment]

class FactFile(BaseModel):
    """The JSON Schema shape of a fact file (for editors and other systems)."""

    model_config = ConfigDict(extra="forbid", title="fuling-compliance facts v1")

    format: Literal["fuling-compliance/facts/v1"] | None = None
    as_of: dt.datetime | None = None
    commission: Commission | None = None
    suppliers: list[Supplier] | None = None
    areas: list[Area] | None = None
    outlets: list[Outlet] | None = None
    outlet_days: list[OutletDay] | None = None
    outlet_inspections: list[OutletInspection] | None = None
    staff: list[Staff] | None = None
    staff_checks: list[StaffCheck] | None = None
    appointments: list[Appointment] | None = None
    appointment_changes: list[AppointmentChange] | None = None
    proxy_services: list[ProxyService] | None = None
    disclosures: list[Disclosure] | None = None
    business_services: list[BusinessService] | None = None
    applications: list[Application] | None = None
    inquiries: list[Inquiry] | None = None
    complaints: list[Complaint] | None = None
    surveys: list[Survey] | None = None
    assessments: list[Assessment] | None = None
