"""A plain, hand-written Python checker of the catalogue's rules — what a user might write.

``check(facts, as_of)`` returns ``{(rule_id, subject_id, item): status}`` for every
subject of every rule (``item`` is None for rules without items), with status one of
``pass``, ``fail``, ``insufficient_data``, ``not_applicable``. It reads the typed
:class:`~fuling_compliance.facts.model.FactSet` directly and shares no code with the
compiler, the engine or the evaluator: it is a second, independent reading of
``rules/*.yaml``, ``spec/facts.md`` and ``spec/rule-catalogue.md``.

Conventions (the same as the package's, see ``calendar.py``, ``normalise.py``,
``compile.py``):

* Three-valued logic: ``True``/``False``/``None`` (unknown). A field that is null or
  left out is unknown; an empty or blank string is unknown too. A comparison with an
  unknown operand is unknown. ``requires`` fields unknown -> ``insufficient_data``.
  Outcome: applies false -> not_applicable; applies unknown -> insufficient_data;
  required field unknown -> insufficient_data; fails unknown -> insufficient_data;
  else fail / pass.
* **Event timestamps** (``verified_at``, ``replied_at``, ``published_on`` ...) that are
  null mean "has not happened" (``spec/facts.md``). A comparison such as "verified
  after the deadline" is therefore *false* for a verification that has not happened;
  the rule's other branch ("still open and the deadline has passed") judges the open
  case. With ``literal_events=True`` such a comparison is *unknown* instead, which is
  what a strictly three-valued reading of the YAML gives (see the agreement test).
  The spec's other meaningful nulls are read the same way: no ``hotline`` (none), no
  ``reason`` (none given), no ``certificate_valid_until`` (no expiry), no
  ``time_limit`` (not published).
* Minutes and hours compare exact epoch seconds; days compare Chongqing-local day
  numbers; dates compare day numbers; times of day compare minutes since midnight.
* Working days use :class:`~fuling_compliance.calendar.WorkingCalendar` coordinates:
  an event on day E is within N working days of day S when
  ``end(E) <= start(S) + 2N``; late means strictly after.
* Several related records (e.g. two published supervision numbers): each is judged,
  and the subject's outcome is the worst: fail > insufficient_data > pass >
  not_applicable.
* Derived fields: an appointment's ``first_start`` is the ``from_start`` of its
  earliest change (by ``at``, then change id; changes without ``at`` or ``from_start``
  are ignored), else ``scheduled_start``; a staff member's ``customer_facing``
  defaults to ``role != "other"`` (unknown without a role); a survey's satisfaction is
  known only when ``respondents > 0``; phone numbers compare their digits.
* Per-item rules (DIS-01/04/05, HOT-02/03, SYS-01) give one outcome per item.

The policy parameters are read from the rules (``parameters:`` in ``rules/*.yaml``, or
the rule set passed as ``rules``): this file holds the reading of each rule, never a
value of the policy. :data:`PARAMS` names the parameters each reading uses, with the unit
it assumes; a rule set whose parameter is missing or has another unit is refused with a
message naming the rule file. Outcomes are given only for the rules of the rule set
(:data:`RULE_IDS` are the ones this file can judge; a rule added in ``rules/`` has its
feature scenarios, not a reading here).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from fuling_compliance.calendar import CHONGQING, WorkingCalendar
from fuling_compliance.facts.model import FactSet
from fuling_compliance.rules.load import RuleSet, load_rules

PASS, FAIL, INSUFFICIENT, NA = "pass", "fail", "insufficient_data", "not_applicable"
RANK = {FAIL: 3, INSUFFICIENT: 2, PASS: 1, NA: 0}
Key = tuple[str, str, str | None]
K = bool | None  # a three-valued truth value

#: ``RULE.parameter`` -> the unit this file's reading of the rule assumes (values: the rules')
PARAMS: dict[str, str] = {
    "COM-02.assessment_interval_days": "days",
    "COM-03.publish_days": "days",
    "OUT-08.open_grace_minutes": "minutes",
    "STF-05.min_satisfaction": "percent",
    "VIS-01.min_notice_hours": "hours",
    "VIS-02.late_grace_minutes": "minutes",
    "VIS-04.change_notice_hours": "hours",
    "VIS-06.late_grace_minutes": "minutes",
    "CMP-02.verify_days": "working_days",
    "CMP-03.rectify_days": "working_days",
    "CMP-04.reply_days": "working_days",
    "CMP-05.report_days": "working_days",
    "CMP-06.commission_reply_days": "working_days",
}

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
    """Kleene disjunction: true wins, then unknown."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def eq(value: Any, expected: Any) -> K:
    """``field eq expected``: unknown when the field is unknown."""
    return None if value is None else value == expected


def ne(value: Any, expected: Any) -> K:
    return None if value is None else value != expected


def gt(left: int | None, right: int | None) -> K:
    return None if left is None or right is None else left > right


def outcome(applies: K, known: bool, fails: K) -> str:
    """The four outcomes of one subject, in the order the catalogue defines them."""
    if applies is False:
        return NA
    if applies is None or not known or fails is None:
        return INSUFFICIENT
    return FAIL if fails else PASS


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=RANK.__getitem__)


def text(value: str | None) -> str | None:
    """A string field: empty or blank is unknown (absent)."""
    return value if value is not None and value.strip() else None


def digits(value: str | None) -> str | None:
    value = text(value)
    return (_NON_DIGIT.sub("", value) or None) if value is not None else None


class _Time:
    """Coordinates of datetimes and dates on the time scales the rules compare."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._days: dict[dt.date, int] = {}
        self._wd: dict[dt.date, tuple[int, int]] = {}

    @staticmethod
    def secs(value: dt.datetime | None) -> int | None:
        return None if value is None else int(value.timestamp())

    def day(self, value: dt.date | None) -> int | None:
        """Day number of a date, or of a datetime's Chongqing-local date."""
        if value is None:
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
        return None if value is None else self._coords(value)[0]

    def wde(self, value: dt.date | None) -> int | None:
        """Working-day end coordinate (the day an event happened)."""
        return None if value is None else self._coords(value)[1]


def _minutes(value: dt.time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


# ----------------------------------------------------------------------------- checker
class Checker:
    """The rules, one method per family; ``run`` gives every outcome."""

    def __init__(self, facts: FactSet, as_of: dt.datetime, calendar: WorkingCalendar,
                 params: dict[str, int | float], literal_events: bool) -> None:
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

    def late(self, event: int | None, deadline: int | None) -> K:
        """An event after its deadline; an event that has not happened was not late."""
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
        interval = self.p["COM-02.assessment_interval_days"]
        lo, hi = self.as_of_day - interval, self.as_of_day
        assessed = {a.supplier_id for a in self.f.assessments
                    if (d := self.t.day(a.date)) is not None and lo <= d <= hi}
        for s in self.f.suppliers:
            self.put("COM-02", s.id, FAIL if s.id not in assessed else PASS)
        days = self.p["COM-03.publish_days"]
        for a in self.f.assessments:
            date = self.t.day(a.date)
            deadline = None if date is None else date + days
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
            self.put("OUT-02", a.id, NA if not mine else FAIL if "own" not in mine else PASS)
        for o in self.f.outlets:
            ta = o.transport_accessible
            self.put("OUT-03", o.id, outcome(True, ta is not None, ta is False))
            fails = k_or(eq(o.signage_uniform, False), eq(o.signage_visible, False))
            self.put("OUT-04", o.id, outcome(True, True, fails))
        for i in self.f.outlet_inspections:
            self.put("OUT-05", i.id, outcome(True, i.safe is not None, i.safe is False))
            self.put("OUT-06", i.id, outcome(True, i.clean is not None, i.clean is False))
        grace = self.p["OUT-08.open_grace_minutes"]
        for d in self.f.outlet_days:
            rid = d.record_id()
            opened, scheduled = _minutes(d.opened_at), _minutes(d.scheduled_open)
            self.put("OUT-07", rid, FAIL if opened is None else PASS)
            fails = None if scheduled is None or opened is None else opened > scheduled + grace
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
                                             s.trained is False))
        for c in self.f.staff_checks:
            person = people.get(c.staff_id)
            applies = eq(facing.get(c.staff_id), True)
            certified = None if person is None else person.certified
            until = None if person is None else self.t.day(person.certificate_valid_until)
            # a null certificate_valid_until means "no expiry" (spec/facts.md)
            expired = False if until is None else gt(self.t.day(c.at), until)
            fails = k_or(eq(certified, False), expired)
            self.put("STF-02", c.id, outcome(applies, certified is not None, fails))
            self.put("STF-03", c.id, outcome(applies, c.uniform is not None, c.uniform is False))
            fails = k_and(eq(c.badge, False), eq(c.id_card, False))
            self.put("STF-04", c.id, outcome(applies, True, fails))
        pct = self.p["STF-05.min_satisfaction"]
        for v in self.f.surveys:
            x100 = None if not v.respondents or v.satisfied is None else v.satisfied * 100
            fails = None if x100 is None or v.respondents is None else (
                x100 < v.respondents * pct)
            self.put("STF-05", v.id, outcome(True, True, fails))

    # ------------------------------------------------------------------ 3.2 visits
    def visits(self) -> None:
        secs = self.t.secs
        first: dict[str, tuple[dt.datetime, str, dt.datetime]] = {}
        for ch in self.f.appointment_changes:
            if ch.at is None or ch.from_start is None:
                continue
            candidate = (ch.at, ch.id, ch.from_start)
            best = first.get(ch.appointment_id)
            if best is None or candidate < best:
                first[ch.appointment_id] = candidate
        notice = self.p["VIS-01.min_notice_hours"] * 3600
        late2 = self.p["VIS-02.late_grace_minutes"] * 60
        late6 = self.p["VIS-06.late_grace_minutes"] * 60
        for a in self.f.appointments:
            booked = secs(a.booked_at)
            start = secs(a.scheduled_start)
            f = first.get(a.id)
            first_start = secs(f[2]) if f is not None else start
            fails = k_or(booked is None,
                         None if booked is None or first_start is None
                         else booked >= first_start - notice)
            self.put("VIS-01", a.id, outcome(True, True, fails))
            arrived = secs(a.arrived_at)
            self.put("VIS-02", a.id, outcome(
                eq(a.status, "completed"), arrived is not None,
                None if start is None or arrived is None else arrived > start + late2))
            fails = k_and(arrived is None,
                          None if start is None else self.as_of_secs > start + late6)
            self.put("VIS-06", a.id, outcome(eq(a.status, "scheduled"), True, fails))
        notice4 = self.p["VIS-04.change_notice_hours"] * 3600
        for ch in self.f.appointment_changes:
            applies = eq(ch.by, "supplier")
            self.put("VIS-03", ch.id, outcome(applies, True, text(ch.reason) is None))
            told, was = secs(ch.customer_notified_at), secs(ch.from_start)
            fails = k_or(told is None,
                         None if told is None or was is None else told >= was - notice4)
            self.put("VIS-04", ch.id, outcome(applies, True, fails))
            agreed = ch.customer_agreed
            self.put("VIS-05", ch.id, outcome(applies, agreed is not None, agreed is False))
        for x in self.f.proxy_services:
            consent = x.customer_consent
            self.put("PRX-01", x.id, outcome(True, consent is not None, consent is False))

    # ------------------------------------------------------------------ 3.3
    def disclosure(self) -> None:
        published: set[tuple[str, str]] = set()
        phones: dict[str, list[str | None]] = defaultdict(list)
        for d in self.f.disclosures:
            if d.published is True:
                published.add((d.supplier_id, d.item))
                if d.item == "supervision_phone":
                    phones[d.supplier_id].append(digits(d.value))
        commission = self.f.commission
        theirs = None if commission is None else digits(commission.supervision_phone)
        for s in self.f.suppliers:
            for rule, items in DIS_ITEMS.items():
                for item in items:
                    self.put(rule, s.id, PASS if (s.id, item) in published else FAIL, item)
            mine = phones.get(s.id)
            if not mine:
                self.put("DIS-06", s.id, NA)
                continue
            self.put("DIS-06", s.id, worst(
                outcome(True, value is not None and theirs is not None,
                        None if value is None or theirs is None else value != theirs)
                for value in mine))
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
                                             q.followed_up is False))
            self.put("FIR-02", q.id, outcome(eq(q.within_scope, False),
                                             q.reason_explained is not None,
                                             q.reason_explained is False))
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
            event, start, span, now = coordinate[svc.time_limit_unit]
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
        verify = 2 * self.p["CMP-02.verify_days"]
        rectify = 2 * self.p["CMP-03.rectify_days"]
        reply = 2 * self.p["CMP-04.reply_days"]
        report = 2 * self.p["CMP-05.report_days"]
        answer = 2 * self.p["CMP-06.commission_reply_days"]
        now = self.as_of_wde

        def deadline_missed(event: dt.datetime | None, due: int | None) -> K:
            """Happened after ``due``, or has not happened and ``due`` has passed."""
            return k_or(self.late(t.wde(event), due), k_and(event is None, gt(now, due)))

        for c in self.f.complaints:
            written = k_and(ne(c.channel, "written"), ne(c.written_record, True))
            self.put("CMP-01", c.id, outcome(eq(c.major, True), True, written))
            received = t.wds(c.received_at)

            def due(days: int, base: int | None = received) -> int | None:
                return None if base is None else base + days

            internal = k_and(eq(c.concerns, "internal"), c.supplier_id is not None)
            verified = k_and(internal, c.verified_at is not None)
            self.put("CMP-02", c.id, outcome(internal, True,
                                             deadline_missed(c.verified_at, due(verify))))
            fails = k_and(eq(c.substantiated, True),
                          deadline_missed(c.rectified_at, due(rectify)))
            self.put("CMP-03", c.id, outcome(verified, c.substantiated is not None, fails))
            self.put("CMP-04", c.id, outcome(internal, True,
                                             deadline_missed(c.replied_at, due(reply))))
            self.put("CMP-05", c.id, outcome(
                verified, True,
                deadline_missed(c.reported_at, due(report, t.wds(c.verified_at)))))
            self.put("CMP-06", c.id, outcome(eq(c.concerns, "sector"), True,
                                             deadline_missed(c.replied_at, due(answer))))


_BUNDLED: list[RuleSet] = []


class ParameterError(ValueError):
    """The rules lack a parameter this checker reads, or give it another unit."""


def parameters(rules: RuleSet) -> dict[str, int | float]:
    """``{"RULE.parameter": value}`` of the parameters :data:`PARAMS` names, from ``rules``.

    Only rules present in ``rules`` are read (a rule that is not there has no outcome).
    """
    present = {r.id: r for r in rules}
    values: dict[str, int | float] = {}
    wrong = []
    for key, unit in PARAMS.items():
        rule_id, name = key.split(".")
        rule = present.get(rule_id)
        if rule is None:
            continue
        param = rule.parameters.get(name)
        where = rules.origins.get(rule_id, ("rules/", 0))[0]
        if param is None:
            wrong.append(f"{key}: {rule_id} in {where} has no parameter {name!r}")
        elif param.unit != unit or isinstance(param.value, bool | str):
            wrong.append(f"{key}: {where} gives {param.value!r} {param.unit}, this checker "
                         f"reads a number of {unit}")
        else:
            values[key] = param.value
    if wrong:
        raise ParameterError("benchmarks/oracle.py cannot read the rules' parameters:\n  "
                             + "\n  ".join(wrong))
    return values


def check(
    facts: FactSet,
    as_of: dt.datetime | None = None,
    *,
    rules: RuleSet | None = None,
    calendar: WorkingCalendar | None = None,
    params: dict[str, int | float] | None = None,
    literal_events: bool = False,
) -> dict[Key, str]:
    """Every outcome of the rules: ``{(rule_id, subject_id, item): status}``.

    ``rules`` default to the bundled ones (the parameter values and which rules exist
    come from them); ``as_of`` to the fact set's own; ``calendar`` to the rules'
    working-day calendar; ``params`` override some parameter values.
    """
    moment = as_of or facts.as_of
    if moment is None:
        raise ValueError("as_of is needed (the fact set has none)")
    if rules is None:
        if not _BUNDLED:
            _BUNDLED.append(load_rules())
        rules = _BUNDLED[0]
    values = {key: 0 for key in PARAMS}  # rules that are absent: computed, then dropped
    values.update(parameters(rules))
    values.update(params or {})
    out = Checker(facts, moment, calendar or rules.calendar, values, literal_events).run()
    present = {r.id for r in rules}
    return {key: status for key, status in out.items() if key[0] in present}
