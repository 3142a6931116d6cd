"""The fact set, ``fuling-compliance/facts/v1``, as pydantic models.

One model per collection of ``spec/facts.md``. Null semantics: every field that is not
an identity or a reference may be ``None`` (written ``null`` or left out), which means
*unknown* — except event timestamps (:data:`EVENT_FIELDS`), where ``None`` means the
event has not happened. Unknown fields are kept (``extra="allow"``) and reported as
warnings by the loader.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from ..calendar import CHONGQING

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

Id = Annotated[str, Field(min_length=1)]


def _local(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=CHONGQING)


class Record(BaseModel):
    """Base of every record: unknown columns are kept and ignored."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _tz(cls, value: Any) -> Any:
        return _local(value) if isinstance(value, dt.datetime) else value

    def values_of(self, fields: tuple[str, ...]) -> tuple[Any, ...]:
        """The values of ``fields`` (``id`` is the record id, derived ones included)."""
        return tuple(self.record_id() if f == "id" else getattr(self, f, None) for f in fields)

    def record_id(self) -> str:
        """The subject id of findings about this record."""
        return str(getattr(self, "id"))


class Commission(Record):
    hotline: str | None = None
    hotline_published: bool | None = None
    supervision_phone: str | None = None

    def record_id(self) -> str:
        return "commission"


Utility = Literal["electricity", "gas", "both"]
HotlineAccept = Literal["enquiry", "help", "complaint"]
OneStopItem = Literal["scope", "procedures", "time_limits", "commitments", "complaint_phone"]
ServiceSystem = Literal["first_inquiry", "time_limited", "proxy", "personalised"]


class Supplier(Record):
    id: Id
    name: str | None = None
    utility: Utility | None = None
    hotline: str | None = None
    hotline_published: bool | None = None
    hotline_accepts: list[HotlineAccept] | None = None
    one_stop_info: list[OneStopItem] | None = None
    service_systems: list[ServiceSystem] | None = None


class Area(Record):
    id: Id
    supplier_id: Id
    name: str | None = None


class Outlet(Record):
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


class OutletDay(Record):
    outlet_id: Id
    date: dt.date
    scheduled_open: dt.time | None = None
    opened_at: dt.time | None = None

    def record_id(self) -> str:
        return f"{self.outlet_id}:{self.date.isoformat()}"


class OutletInspection(Record):
    id: Id
    outlet_id: Id
    date: dt.date | None = None
    safe: bool | None = None
    clean: bool | None = None
    notes: str | None = None


Role = Literal[
    "counter", "customer_service", "meter_reader", "construction", "maintenance", "other"
]


class Staff(Record):
    id: Id
    supplier_id: Id
    name: str | None = None
    role: Role | None = None
    customer_facing: bool | None = None
    trained: bool | None = None
    certified: bool | None = None
    certificate_no: str | None = None
    certificate_valid_until: dt.date | None = None

    def is_customer_facing(self) -> bool | None:
        """``customer_facing`` if given, else true for every role but ``other``."""
        if self.customer_facing is not None:
            return self.customer_facing
        if self.role is None:
            return None
        return self.role != "other"


class StaffCheck(Record):
    id: Id
    staff_id: Id
    at: dt.datetime | None = None
    uniform: bool | None = None
    badge: bool | None = None
    id_card: bool | None = None


class Appointment(Record):
    id: Id
    supplier_id: Id
    customer: str | None = None
    booked_at: dt.datetime | None = None
    scheduled_start: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    status: Literal["scheduled", "completed", "cancelled"] | None = None


class AppointmentChange(Record):
    id: Id
    appointment_id: Id
    at: dt.datetime | None = None
    by: Literal["supplier", "customer"] | None = None
    reason: str | None = None
    from_start: dt.datetime | None = None
    to_start: dt.datetime | None = None
    customer_notified_at: dt.datetime | None = None
    customer_agreed: bool | None = None


class ProxyService(Record):
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


class Disclosure(Record):
    supplier_id: Id
    item: DisclosureItem
    published: bool | None = None
    published_on: dt.date | None = None
    channel: str | None = None
    value: str | None = None
    # Disclosures have no id in the spec; the loader derives one from the position.
    id: str | None = None

    def record_id(self) -> str:
        return self.id or f"{self.supplier_id}:{self.item}"


class BusinessService(Record):
    supplier_id: Id
    business_type: Id
    procedure_published: bool | None = None
    conditions_published: bool | None = None
    time_limit: NonNegativeInt | None = None
    time_limit_unit: Literal["working_days", "days", "hours"] | None = None

    def record_id(self) -> str:
        return f"{self.supplier_id}:{self.business_type}"


class Application(Record):
    id: Id
    supplier_id: Id
    business_type: Id
    submitted_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None


class Inquiry(Record):
    id: Id
    supplier_id: Id
    at: dt.datetime | None = None
    first_responder: str | None = None
    within_scope: bool | None = None
    reason_explained: bool | None = None
    handed_over: bool | None = None
    followed_up: bool | None = None
    resolved: bool | None = None


class Complaint(Record):
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


class Survey(Record):
    id: Id
    supplier_id: Id
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    respondents: NonNegativeInt | None = None
    satisfied: NonNegativeInt | None = None


class Assessment(Record):
    id: Id
    supplier_id: Id
    date: dt.date | None = None
    methods: list[Literal["records", "spot_check", "survey"]] | None = None
    score: float | None = None
    published_on: dt.date | None = None


#: Collection name -> record model, in the order of ``spec/facts.md``.
COLLECTIONS: dict[str, type[Record]] = {
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
    """``{field: (kind, allowed values)}`` for one collection (plus derived fields)."""
    model = COLLECTIONS[collection]
    hints = typing.get_type_hints(model, include_extras=True)
    kinds = {name: _kind(hints[name]) for name in model.model_fields}
    kinds.update(DERIVED_FIELDS.get(collection, {}))
    return kinds


#: Fields the normalise step derives, usable in rules like any other field.
DERIVED_FIELDS: dict[str, dict[str, tuple[FieldKind, tuple[str, ...]]]] = {
    "appointments": {
        # the start agreed at booking: the earliest change's from_start, else scheduled_start
        "first_start": ("datetime", ()),
    },
    "staff": {"customer_facing": ("bool", ())},
    "surveys": {
        # satisfied × 100, known only when respondents > 0 (so 0 respondents is unknown)
        "satisfied_x100": ("int", ()),
    },
}


class FactSet(BaseModel):
    """A validated fact set: every collection, typed."""

    model_config = ConfigDict(frozen=True)

    as_of: dt.datetime | None = None
    commission: Commission | None = None
    suppliers: tuple[Supplier, ...] = ()
    areas: tuple[Area, ...] = ()
    outlets: tuple[Outlet, ...] = ()
    outlet_days: tuple[OutletDay, ...] = ()
    outlet_inspections: tuple[OutletInspection, ...] = ()
    staff: tuple[Staff, ...] = ()
    staff_checks: tuple[StaffCheck, ...] = ()
    appointments: tuple[Appointment, ...] = ()
    appointment_changes: tuple[AppointmentChange, ...] = ()
    proxy_services: tuple[ProxyService, ...] = ()
    disclosures: tuple[Disclosure, ...] = ()
    business_services: tuple[BusinessService, ...] = ()
    applications: tuple[Application, ...] = ()
    inquiries: tuple[Inquiry, ...] = ()
    complaints: tuple[Complaint, ...] = ()
    surveys: tuple[Survey, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    warnings: tuple[str, ...] = Field(default=(), exclude=True)

    def records(self, collection: str) -> tuple[Record, ...]:
        """The records of one collection (the commission as a 0/1-tuple)."""
        if collection == "commission":
            return (self.commission,) if self.commission is not None else ()
        return typing.cast(tuple[Record, ...], getattr(self, collection))

    def count(self) -> int:
        """How many records the fact set holds."""
        return sum(len(self.records(c)) for c in COLLECTIONS)


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
