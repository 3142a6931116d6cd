"""A plain, hand-written Python checker of all 43 rules — what a user might write instead.

``check(facts, as_of)`` returns ``{(rule_id, subject_id, item): status}`` for every
subject of every rule (``item`` is None for rules without items), with status one of
``pass``, ``fail``, ``insufficient_data``, ``not_applicable``. It reads the typed
:class:`~fuling_compliance.facts.model.FactSet` directly and shares no code with the
compiler, the engine or the evaluator: it is a second, independent reading of
``rules/*.yaml``, ``spec/facts.md`` and ``spec/rule-catalogue.md`` (with its "Readings
decided (catalogue 1.1)"). The parameters' values are read from ``rules/*.yaml`` (plain
YAML, not the rule loader): the oracle holds no policy value of its own.

Conventions (the same as the package's, see ``calendar.py``, ``normalise.py``,
``compile.py``):

* Three-valued logic: ``True``/``False``/``None`` (unknown). A field that is null or
  left out is unknown; an empty or blank string is unknown too. A comparison with an
  unknown operand is unknown. Outcome (reading 1): applies false -> not_applicable;
  applies true and fails true -> fail (whatever else is unknown); fails false, the
  ``requires`` fields known and applies not false -> pass (even when applies is
  unknown); anything else -> insufficient_data.
* **Event timestamps** (``verified_at``, ``replied_at``, ``published_on`` ...) that are
  null mean "has not happened" (``spec/facts.md``). A comparison such as "verified
  after the deadline" is therefore *false* for a verification that has not happened;
  the rule's other branch ("still open and the deadline has passed") judges the open
  case. With ``literal_events=True`` such a comparison is *unknown* instead, which is
  what a strictly three-valued reading of the YAML gives (see the agreement test).
  The spec's other meaningful nulls are read the same way: no ``hotline`` (none), no
  ``reason`` (none given), no ``certificate_valid_until`` (no expiry), no
  ``time_limit`` (not published).
* **Contradictions** (reading 6): a cancelled visit with an arrival, a complaint with
  ``substantiated`` but no ``verified_at``: both fields are unknown (the event too).
* Minutes and hours compare exact epoch seconds; days compare Chongqing-local day
  numbers; dates compare day numbers; times of day compare minutes since midnight.
* Working days use :class:`~fuling_compliance.calendar.WorkingCalendar` coordinates:
  an event on day E is within N working days of day S when
  ``end(E) <= start(S) + 2N``; late means strictly after. A limit of 0 (working days or
  days) is the same day: late only on a later day (reading 5).
* Related records counted through a ``where`` (reading 2): a record counts when the
  ``where`` is true, may count when it is unknown. "Some record exists" is true when one
  counts, unknown when none does but one may, false otherwise. A rule reading a related
  record's fields (DIS-06) is judged for every record that counts or may count, a
  failure through one that may not count being only insufficient_data; the subject's
  outcome is the worst: fail > insufficient_data > pass > not_applicable.
* Derived fields: an appointment's first agreed start is the ``from_start`` of its
  change with the earliest ``at`` (every change whose ``at`` is unknown, or equal to the
  earliest known, is a candidate; any candidate ``from_start`` unknown: unknown), else
  ``scheduled_start``; a comparison with it is decided only when every candidate gives
  the same answer (reading 4). A staff member's ``customer_facing`` defaults to
  ``role != "other"`` (unknown without a role); a survey's satisfaction is known only
  when ``respondents > 0``; phone numbers compare their digits, and a value without
  any digit differs from every number (reading 3).
* Per-item rules (DIS-01/04/05, HOT-02/03, SYS-01) give one outcome per item.
* Dated parameters: the value in force at the record's own date (a complaint's
  ``received_at``, an appointment's ``scheduled_start``, ...; the first value also
  before its date; an unknown date: unknown unless every value is the same).

Pass ``params`` to override some parameters (``{"CMP-04.reply_days": 0}``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from fuling_compliance.calendar import CHONGQING, WorkingCalendar
from fuling_compliance.facts.model import FactSet

PASS, FAIL, INSUFFICIENT, NA = "pass", "fail", "insufficient_data", "not_applicable"
RANK = {FAIL: 3, INSUFFICIENT: 2, PASS: 1, NA: 0}
Key = tuple[str, str, str | None]
K = bool | None  # a three-valued truth value
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


class _Unknown:
    """An event timestamp a contradiction made unknown (not "not happened")."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def read_parameters(rules_dir: Path = RULES_DIR) -> dict[str, Any]:
    """``{"RULE.param": value or [(from date, value), ...]}`` from the rule files."""
    out: dict[str, Any] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule in doc.get("rules", []):
            for name, param in (rule.get("parameters") or {}).items():
                if "values" in param:
                    out[f"{rule['id']}.{name}"] = [(v["from"], v["value"])
                                                   for v in param["values"]]
                else:
                    out[f"{rule['id']}.{name}"] = param["value"]
    return out


#: The policy parameters of the rules, as rules/*.yaml sets them.
PARAMS: dict[str, Any] = read_parameters()

DIS_ITEMS = {
    "DIS-01": ("policies_laws", "statutory_obligations"),
    "DIS-04": ("service_rules", "service_commitments", "complaint_rules", "accountability_rules"),
    "DIS-05": ("outlet_hours", "service_phone", "supervision_phone"),
}
LIST_ITEMS = {
    "HOT-02": ("hotline_accepts", ("enquiry", "help", "complaint")),
    "HOT-03": ("one_stop_info", ("scope", "procedures", "time_limits", "commitments",
                                 "complaint_phone")),
    "SYS-01": ("service_systems", ("first_inquiry", "time_limited", "proxy", "personalised")),
}
RULE_IDS = (
    "COM-01", "COM-02", "COM-03",
    "OUT-01", "OUT-02", "OUT-03", "OUT-04", "OUT-05", "OUT-06", "OUT-07", "OUT-08",
    "STF-01", "STF-02", "STF-03", "STF-04", "STF-05",
    "VIS-01", "VIS-02", "VIS-03", "VIS-04", "VIS-05", "VIS-06", "PRX-01",
    "DIS-01", "DIS-02", "DIS-03", "DIS-04", "DIS-05", "DIS-06",
    "HOT-01", "HOT-02", "HOT-03", "SYS-01", "FIR-01", "FIR-02", "LIM-01", "LIM-02",
    "CMP-01", "CMP-02", "CMP-03", "CMP-04", "CMP-05", "CMP-06",
)

_EPOCH_DAY = dt.date(1970, 1, 1)
_NON_DIGIT = re.compile(r"\D")


# ----------------------------------------------------------------------------- logic
def k_and(*values: K) -> K:
    """Kleene conjunction: false wins, then unknown."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def k_or(*values: K) -> K:
    """Kleene disjunction: true wins, then unknown (none at all: false)."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def k_not(value: K) -> K:
    return None if value is None else not value


def eq(value: Any, expected: Any) -> K:
    """``field eq expected``: unknown when the field is unknown."""
    return None if value is None or value is UNKNOWN else value == expected


def ne(value: Any, expected: Any) -> K:
    return None if value is None or value is UNKNOWN else value != expected


def gt(left: int | None, right: int | None) -> K:
    return None if left is None or right is None else left > right


def outcome(applies: K, known: bool, fails: K) -> str:
    """The four outcomes of one subject (catalogue 1.1, reading 1)."""
    if applies is False:
        return NA
    if applies is True and fails is True:
        return FAIL
    if known and fails is False:
        return PASS
    return INSUFFICIENT


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=RANK.__getitem__)


def text(value: str | None) -> str | None:
    """A string field: empty or blank is unknown (absent)."""
    return value if value is not None and value.strip() else None


def digits(value: str | None) -> str | None:
    """The digits of a phone number ("" for a known value without any)."""
    value = text(value)
    return None if value is None else _NON_DIGIT.sub("", value)


def in_force(param: Any, day: dt.date | None) -> Any:
    """A parameter's value at ``day`` (dated values: the last one from on or before it,
    the first one before them all; ``day`` unknown: unknown unless all are equal)."""
    if not isinstance(param, list):
        return param
    if day is None:
        return param[0][1] if len({v for _, v in param}) == 1 else None
    value = param[0][1]
    for start, v in param:
        if start <= day:
            value = v
    return value


class _Time:
    """Coordinates of datetimes and dates on the time scales the rules compare."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._days: dict[dt.date, int] = {}
        self._wd: dict[dt.date, tuple[int, int]] = {}

    @staticmethod
    def secs(value: dt.datetime | None) -> int | None:
        return None if value is None or value is UNKNOWN else int(value.timestamp())

    def day(self, value: dt.date | None) -> int | None:
        """Day number of a date, or of a datetime's Chongqing-local date."""
        if value is None or value is UNKNOWN:
            return None
        if isinstance(value, dt.datetime):
            value = value.astimezone(CHONGQING).date()
        n = self._days.get(value)
        if n is None:
            n = self._days[value] = (value - _EPOCH_DAY).days
        return n

    def _coords(self, value: dt.date) -> tuple[int, int]:
        if isinstance(value, dt.datetime):
            value = value.astimezone(CHONGQING).date()
        c = self._wd.get(value)
        if c is None:
            c = self._wd[value] = (self.calendar.start(value), self.calendar.end(value))
        return c

    def wds(self, value: dt.date | None) -> int | None:
        """Working-day start coordinate (the day something starts counting from)."""
        return None if value is None or value is UNKNOWN else self._coords(value)[0]

    def wde(self, value: dt.date | None) -> int | None:
        """Working-day end coordinate (the day an event happened)."""
        return None if value is None or value is UNKNOWN else self._coords(value)[1]


def _minutes(value: dt.time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _local_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(CHONGQING).date()
    return value if isinstance(value, dt.date) else None


# ----------------------------------------------------------------------------- checker
class Checker:
    """The rules, one method per family; ``run`` gives every outcome."""

    def __init__(self, facts: FactSet, as_of: dt.datetime, calendar: WorkingCalendar,
                 params: Mapping[str, Any], literal_events: bool) -> None:
        self.f = facts
        self.as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=CHONGQING)
        self.t = _Time(calendar)
        self.p = params
        self.literal_events = literal_events
        self.out: dict[Key, str] = {}
        self.as_of_secs = int(self.as_of.timestamp())
        self.as_of_date = self.as_of.astimezone(CHONGQING).date()
        self.as_of_day = (self.as_of_date - _EPOCH_DAY).days
        self._as_of_wde: int | None = None

    @property
    def as_of_wde(self) -> int:
        """Working-day end coordinate of as_of (computed only when a rule needs it)."""
        if self._as_of_wde is None:
            self._as_of_wde = self.t.calendar.end(self.as_of_date)
        return self._as_of_wde

    def param(self, key: str, day: Any = "as_of") -> Any:
        """A parameter's value in force at a record's own date or time (``None``: the
        record's date is unknown); records without a date of their own go by as_of."""
        return in_force(self.p[key], self.as_of_date if day == "as_of" else _local_date(day))

    def late(self, event: int | None, deadline: int | None, unknown: bool = False) -> K:
        """An event after its deadline; an event that has not happened was not late."""
        if unknown:
            return None
        if event is None:
            return None if self.literal_events else False
        return gt(event, deadline)

    def put(self, rule: str, subject: str, status: str, item: str | None = None) -> None:
        self.out[(rule, subject, item)] = status

    def run(self) -> dict[Key, str]:
        for family in (self.commission, self.outlets, self.staff, self.visits,
                       self.disclosure, self.hotline, self.complaints):
            family()
        return self.out

    # ------------------------------------------------------------------ 1, 6, 7
    def commission(self) -> None:
        c = self.f.commission
        if c is not None:
            fails = k_or(text(c.hotline) is None, eq(c.hotline_published, False))
            self.put("COM-01", "commission", outcome(True, True, fails))
        interval = self.param("COM-02.assessment_interval_days")
        lo, hi = self.as_of_day - interval, self.as_of_day
        recent: dict[str, list[K]] = defaultdict(list)
        for a in self.f.assessments:
            d = self.t.day(a.date)
            recent[a.supplier_id].append(None if d is None else lo <= d <= hi)
        for s in self.f.suppliers:
            fails = k_not(k_or(*recent.get(s.id, [])))
            self.put("COM-02", s.id, outcome(True, True, fails))
        for a in self.f.assessments:
            days = self.param("COM-03.publish_days", a.date)
            date = self.t.day(a.date)
            deadline = None if date is None or days is None else date + days
            published = self.t.day(a.published_on)
            fails = k_or(self.late(published, deadline),
                         k_and(published is None, gt(self.as_of_day, deadline)))
            self.put("COM-03", a.id, outcome(True, True, fails))

    # ------------------------------------------------------------------ 3.1
    def outlets(self) -> None:
        kinds: dict[str, list[str | None]] = defaultdict(list)
        for o in self.f.outlets:
            kinds[o.area_id].append(o.kind)
        for a in self.f.areas:
            mine = kinds.get(a.id, [])
            self.put("OUT-01", a.id, FAIL if not mine else PASS)
            own = k_or(*(eq(kind, "own") for kind in mine))
            self.put("OUT-02", a.id, outcome(bool(mine), True, k_not(own)))
        for o in self.f.outlets:
            ta = o.transport_accessible
            self.put("OUT-03", o.id, outcome(True, ta is not None, eq(ta, False)))
            fails = k_or(eq(o.signage_uniform, False), eq(o.signage_visible, False))
            self.put("OUT-04", o.id, outcome(True, True, fails))
        for i in self.f.outlet_inspections:
            self.put("OUT-05", i.id, outcome(True, i.safe is not None, eq(i.safe, False)))
            self.put("OUT-06", i.id, outcome(True, i.clean is not None, eq(i.clean, False)))
        for d in self.f.outlet_days:
            rid = d.record_id()
            grace = self.param("OUT-08.open_grace_minutes", d.date)
            opened, scheduled = _minutes(d.opened_at), _minutes(d.scheduled_open)
            self.put("OUT-07", rid, FAIL if opened is None else PASS)
            fails = None if scheduled is None or opened is None or grace is None else (
                opened > scheduled + grace)
            self.put("OUT-08", rid, outcome(opened is not None, scheduled is not None, fails))

    # ------------------------------------------------------------------ 3.2 staff
    def staff(self) -> None:
        facing: dict[str, bool | None] = {}
        people = {}
        for s in self.f.staff:
            cf = s.customer_facing
            if cf is None and s.role is not None:
                cf = s.role != "other"
            facing[s.id] = cf
            people[s.id] = s
            self.put("STF-01", s.id, outcome(eq(cf, True), s.trained is not None,
                                             eq(s.trained, False)))
        for c in self.f.staff_checks:
            person = people.get(c.staff_id)
            applies = eq(facing.get(c.staff_id), True)
            certified = None if person is None else person.certified
            until = None if person is None else self.t.day(person.certificate_valid_until)
            # a null certificate_valid_until means "no expiry" (spec/facts.md)
            expired = False if until is None else gt(self.t.day(c.at), until)
            fails = k_or(eq(certified, False), expired)
            self.put("STF-02", c.id, outcome(applies, certified is not None, fails))
            self.put("STF-03", c.id, outcome(applies, c.uniform is not None,
                                             eq(c.uniform, False)))
            fails = k_and(eq(c.badge, False), eq(c.id_card, False))
            self.put("STF-04", c.id, outcome(applies, True, fails))
        for v in self.f.surveys:
            pct = self.param("STF-05.min_satisfaction", v.period_end)
            x100 = None if not v.respondents or v.satisfied is None else v.satisfied * 100
            fails = None if x100 is None or v.respondents is None or pct is None else (
                x100 < v.respondents * pct)
            self.put("STF-05", v.id, outcome(True, True, fails))

    # ------------------------------------------------------------------ 3.2 visits
    def first_starts(self) -> dict[str, tuple[int, int] | None]:
        """Appointment id -> (earliest, latest) possible first agreed start, in seconds,
        for appointments with changes (None: unknown)."""
        changes: dict[str, list[tuple[dt.datetime | None, dt.datetime | None]]] = \
            defaultdict(list)
        for ch in self.f.appointment_changes:
            changes[ch.appointment_id].append((ch.at, ch.from_start))
        out: dict[str, tuple[int, int] | None] = {}
        for appointment, found in changes.items():
            known = [at for at, _ in found if at is not None]
            earliest = min(known) if known else None
            candidates = [self.t.secs(start) for at, start in found
                          if at is None or at == earliest]
            if any(c is None for c in candidates):
                out[appointment] = None
            else:
                starts = [c for c in candidates if c is not None]
                out[appointment] = (min(starts), max(starts))
        return out

    def visits(self) -> None:
        secs = self.t.secs
        first = self.first_starts()
        for a in self.f.appointments:
            contradicted = a.status == "cancelled" and a.arrived_at is not None
            status = None if contradicted else a.status
            arrived_at = UNKNOWN if contradicted else a.arrived_at
            notice = self.param("VIS-01.min_notice_hours", a.scheduled_start)
            late2 = self.param("VIS-02.late_grace_minutes", a.scheduled_start)
            late6 = self.param("VIS-06.late_grace_minutes", a.scheduled_start)
            booked = secs(a.booked_at)
            start = secs(a.scheduled_start)
            bounds = first.get(a.id, None if start is None else (start, start))
            if booked is None or bounds is None or notice is None:
                not_in_advance: K = None
            elif booked >= bounds[1] - notice * 3600:
                not_in_advance = True   # for every possible first start
            elif booked < bounds[0] - notice * 3600:
                not_in_advance = False
            else:
                not_in_advance = None
            fails = k_or(a.booked_at is None, not_in_advance)
            self.put("VIS-01", a.id, outcome(True, True, fails))
            arrived = secs(arrived_at)
            self.put("VIS-02", a.id, outcome(
                eq(status, "completed"), arrived is not None,
                None if start is None or arrived is None or late2 is None
                else arrived > start + late2 * 60))
            not_arrived = None if arrived_at is UNKNOWN else arrived_at is None
            fails = k_and(not_arrived, None if start is None or late6 is None
                          else self.as_of_secs > start + late6 * 60)
            self.put("VIS-06", a.id, outcome(eq(status, "scheduled"), True, fails))
        for ch in self.f.appointment_changes:
            applies = eq(ch.by, "supplier")
            self.put("VIS-03", ch.id, outcome(applies, True, text(ch.reason) is None))
            notice4 = self.param("VIS-04.change_notice_hours", ch.at)
            told, was = secs(ch.customer_notified_at), secs(ch.from_start)
            fails = k_or(told is None,
                         None if told is None or was is None or notice4 is None
                         else told >= was - notice4 * 3600)
            self.put("VIS-04", ch.id, outcome(applies, True, fails))
            agreed = ch.customer_agreed
            self.put("VIS-05", ch.id, outcome(applies, agreed is not None, eq(agreed, False)))
        for x in self.f.proxy_services:
            consent = x.customer_consent
            self.put("PRX-01", x.id, outcome(True, consent is not None, eq(consent, False)))

    # ------------------------------------------------------------------ 3.3
    def disclosure(self) -> None:
        published: dict[tuple[str, str], list[K]] = defaultdict(list)
        phones: dict[str, list[tuple[K, str | None]]] = defaultdict(list)
        for d in self.f.disclosures:
            published[(d.supplier_id, d.item)].append(d.published)
            if d.item == "supervision_phone":
                phones[d.supplier_id].append((d.published, digits(d.value)))
        commission = self.f.commission
        theirs = None if commission is None else digits(commission.supervision_phone)
        for s in self.f.suppliers:
            for rule, items in DIS_ITEMS.items():
                for item in items:
                    some = k_or(*published.get((s.id, item), []))
                    self.put(rule, s.id, outcome(True, True, k_not(some)), item)
            mine = phones.get(s.id, [])
            applies = k_or(*(p for p, _ in mine))  # a supervision number counts
            judged = [NA] if applies is False else []
            for counts, value in mine:
                if counts is False:
                    continue
                status = outcome(applies, value is not None and theirs is not None,
                                 None if value is None or theirs is None else value != theirs)
                if status == FAIL and counts is None:
                    status = INSUFFICIENT  # the number may not have been published
                judged.append(status)
            self.put("DIS-06", s.id, worst(judged))
        services = {(b.supplier_id, b.business_type): b for b in self.f.business_services}
        for b in self.f.business_services:
            fails = k_or(eq(b.procedure_published, False), eq(b.conditions_published, False),
                         b.time_limit is None, b.time_limit_unit is None)
            self.put("DIS-02", b.record_id(), outcome(True, True, fails))
        self._services = services
        for app in self.f.applications:
            known = (app.supplier_id, app.business_type) in services
            self.put("DIS-03", app.id, PASS if known else FAIL)

    # ------------------------------------------------------------------ 3.4
    def hotline(self) -> None:
        for s in self.f.suppliers:
            fails = k_or(text(s.hotline) is None, eq(s.hotline_published, False))
            self.put("HOT-01", s.id, outcome(True, True, fails))
            for rule, (field, items) in LIST_ITEMS.items():
                values = getattr(s, field)
                for item in items:
                    self.put(rule, s.id, outcome(True, True, None if values is None
                                                 else item not in values), item)
        for q in self.f.inquiries:
            self.put("FIR-01", q.id, outcome(eq(q.handed_over, True), q.followed_up is not None,
                                             eq(q.followed_up, False)))
            self.put("FIR-02", q.id, outcome(eq(q.within_scope, False),
                                             q.reason_explained is not None,
                                             eq(q.reason_explained, False)))
        t = self.t
        coordinate: dict[str, tuple[Callable[[Any], int | None], Callable[[Any], int | None],
                                    int, int | None]] = {
            # unit -> (event coordinate, start coordinate, span per unit, as_of coordinate)
            "working_days": (t.wde, t.wds, 2, None),
            "days": (t.day, t.day, 1, self.as_of_day),
            "hours": (t.secs, t.secs, 3600, self.as_of_secs),
        }
        services = self._services
        for app in self.f.applications:
            svc = services.get((app.supplier_id, app.business_type))
            limited = (svc is not None and svc.time_limit is not None
                       and svc.time_limit_unit is not None)
            if not limited:
                self.put("LIM-01", app.id, NA)
                self.put("LIM-02", app.id, NA)
                continue
            assert svc is not None and svc.time_limit is not None
            assert svc.time_limit_unit is not None
            unit = svc.time_limit_unit
            if unit == "working_days" and svc.time_limit == 0:
                unit = "days"  # 0 working days: the same day, like 0 days
            event, start, span, now = coordinate[unit]
            if now is None:
                now = self.as_of_wde
            submitted = start(app.submitted_at)
            deadline = None if submitted is None else submitted + svc.time_limit * span
            if app.completed_at is not None:
                self.put("LIM-01", app.id, outcome(True, True,
                                                   gt(event(app.completed_at), deadline)))
                self.put("LIM-02", app.id, NA)
            else:
                self.put("LIM-01", app.id, NA)
                self.put("LIM-02", app.id, outcome(True, True, gt(now, deadline)))

    # ------------------------------------------------------------------ 4-5
    def complaints(self) -> None:
        t = self.t

        def missed(event: Any, base: Any, days: int | None, as_of_too: bool = True) -> K:
            """Happened after the deadline ``days`` working days from ``base``, or has
            not happened and that deadline has passed by as_of (0 days: the same day)."""
            if days is None:
                return None
            if days == 0:  # the end of base's own day
                at, due, now = t.day(event), t.day(base), self.as_of_day
            else:
                at, now = t.wde(event), self.as_of_wde
                due = None if t.wds(base) is None else t.wds(base) + 2 * days
            happened = None if event is UNKNOWN else event is not None
            return k_or(self.late(at, due, event is UNKNOWN),
                        k_and(k_not(happened), gt(now, due)))

        for c in self.f.complaints:
            contradicted = c.substantiated is not None and c.verified_at is None
            substantiated = None if contradicted else c.substantiated
            verified_at = UNKNOWN if contradicted else c.verified_at
            day = c.received_at
            written = k_and(ne(c.channel, "written"), ne(c.written_record, True))
            self.put("CMP-01", c.id, outcome(eq(c.major, True), True, written))
            internal = k_and(eq(c.concerns, "internal"), c.supplier_id is not None)
            was_verified = None if verified_at is UNKNOWN else verified_at is not None
            verified = k_and(internal, was_verified)
            self.put("CMP-02", c.id, outcome(internal, True, missed(
                verified_at, c.received_at, self.param("CMP-02.verify_days", day))))
            fails = k_and(eq(substantiated, True), missed(
                c.rectified_at, c.received_at, self.param("CMP-03.rectify_days", day)))
            self.put("CMP-03", c.id, outcome(verified, substantiated is not None, fails))
            self.put("CMP-04", c.id, outcome(internal, True, missed(
                c.replied_at, c.received_at, self.param("CMP-04.reply_days", day))))
            self.put("CMP-05", c.id, outcome(verified, True, missed(
                c.reported_at, verified_at, self.param("CMP-05.report_days", day))))
            self.put("CMP-06", c.id, outcome(eq(c.concerns, "sector"), True, missed(
                c.replied_at, c.received_at, self.param("CMP-06.commission_reply_days", day))))


_CALENDAR: list[WorkingCalendar] = []


def check(
    facts: FactSet,
    as_of: dt.datetime | None = None,
    *,
    calendar: WorkingCalendar | None = None,
    params: Mapping[str, Any] | None = None,
    literal_events: bool = False,
) -> dict[Key, str]:
    """Every outcome of the 43 rules: ``{(rule_id, subject_id, item): status}``.

    ``as_of`` defaults to the fact set's own; ``calendar`` to the package's working-day
    calendar (pass the rule set's when it adds years).
    """
    moment = as_of or facts.as_of
    if moment is None:
        raise ValueError("as_of is needed (the fact set has none)")
    if calendar is None:
        if not _CALENDAR:
            _CALENDAR.append(WorkingCalendar())
        calendar = _CALENDAR[0]
    merged = {**PARAMS, **(params or {})}
    return Checker(facts, moment, calendar, merged, literal_events).run()
