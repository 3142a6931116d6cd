"""Seeded generator of realistic synthetic fact sets (``fuling-compliance/facts/v1``).

``generate(n, seed)`` returns one fact document of exactly ``n`` records (the
commission counts as one) as plain Python data, ready for
``fuling_compliance.load_facts_data(doc)``; ``write(doc, path)`` saves it as JSON or
YAML; ``rejected(doc)`` is the same document with one invalid value near the end of
its largest collection (a loader must reject it). From the command line::

    python benchmarks/generate.py --size 10000 --seed 1 -o /tmp/facts-10k.json
    python benchmarks/generate.py --size 10000 --distribution two -o /tmp/two-10k.yaml

``distribution`` says how the records spread over suppliers:

* ``many`` (the default, the original generator): a few suppliers, growing slowly with
  the data (3 at 10k, 8 at 100k, 25 at 1M);
* ``two``: exactly two suppliers, ``S01`` (electricity) and ``S02`` (gas), as in
  Fuling: every record sits under one of them; areas, outlets and staff grow with
  ``n`` exactly as for ``many``;
* ``one``: a single supplier ``S01`` with very many areas (2 % of ``n``), outlets
  (2.5 per area, so few outlet days each) and staff (3 % of ``n``, so few checks
  each): small per-area and per-staff groups under one huge supplier.

The shape follows a district year, not a uniform mix: most records are outlet days
(one per outlet per working day), home-visit appointments, staff checks, applications
and inquiries; complaints, proxy services and inspections are rarer; suppliers,
areas, outlets, staff, disclosures, business services, surveys and assessments are
reference data whose counts grow sub-linearly (suppliers) or with the activity they
serve (outlets with outlet days, staff with checks). Every kind of violation the
rules look for occurs at a few percent (``violation_rate``), and boolean or other
non-event fields are unknown (missing) at about ``unknown_rate``; open cases (an
unanswered complaint that is or is not yet overdue, a visit in the future ...) arise
because every event timestamp later than ``as_of`` is left out, as a records system
extracted at ``as_of`` would show it. Deadlines are sometimes met exactly on their
boundary (the last allowed minute or working day); the limits are the parameters of the
rules (``rules=``, default the bundled ones), so a changed parameter moves the boundary.

The data always passes the loader's integrity checks: unique ids, references to
existing records of the same supplier, ``satisfied <= respondents``, completion and
complaint handling never before submission or receipt, ``closes > opens``; a few
records contradict themselves (a cancelled visit with an arrival), which is legal and
warned about. All dates lie in 2026 (the last year the bundled working-day
calendar knows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

from fuling_compliance.calendar import CHONGQING, WorkingCalendar
from fuling_compliance.facts.model import COLLECTIONS
from fuling_compliance.rules.load import RuleSet, load_rules

Doc = dict[str, Any]

YEAR = 2026
YEAR_START = dt.datetime(YEAR, 1, 1, tzinfo=CHONGQING)
YEAR_END = dt.datetime(YEAR, 12, 31, 23, 59, tzinfo=CHONGQING)
#: default moment of judgement: the data is an extract taken at the end of November
AS_OF = dt.datetime(YEAR, 11, 30, 18, 0, tzinfo=CHONGQING)

#: Shares of ``n`` for the collections that scale with activity (the rest is reference
#: data; outlet days take whatever is left so that the total is exactly ``n``).
SHARES: dict[str, float] = {
    "appointments": 0.18,
    "staff_checks": 0.09,
    "applications": 0.08,
    "inquiries": 0.08,
    "complaints": 0.03,
    "proxy_services": 0.03,
    "outlet_inspections": 0.012,
    "staff": 0.015,
    "surveys": 0.001,
}
#: ``distribution="one"``: reference data as shares of ``n`` (areas; staff replaces
#: SHARES["staff"]); outlets are OUTLETS_PER_AREA per area
ONE_AREAS = 0.02
ONE_STAFF = 0.03
DISTRIBUTIONS = ("many", "two", "one")
#: share of appointments that were changed or cancelled at least once
CHANGED_APPOINTMENTS = 0.18
#: outlet days per outlet, as a share of the working days up to as_of (some outlets
#: opened during the year)
DAYS_SHARE = 0.9
OUTLETS_PER_AREA = 2.5
SERVICES_PER_SUPPLIER = 8
ASSESSMENTS_PER_SUPPLIER = 4

BUSINESS_TYPES = (
    "new_connection", "capacity_change", "meter_relocation", "name_transfer",
    "account_closure", "meter_check", "tariff_change", "reconnection", "invoice_reissue",
    "gas_connection", "gas_safety_check", "temporary_supply",
)
DISCLOSURE_ITEMS = (
    "policies_laws", "statutory_obligations", "service_rules", "service_commitments",
    "complaint_rules", "accountability_rules", "outlet_hours", "service_phone",
    "supervision_phone",
)
#: ``two``/``one``: items the first supplier never disclosed (one of DIS-01, -04, -05 each)
UNDISCLOSED = ("policies_laws", "service_rules", "outlet_hours")
HOTLINE_ACCEPTS = ("enquiry", "help", "complaint")
ONE_STOP = ("scope", "procedures", "time_limits", "commitments", "complaint_phone")
SYSTEMS = ("first_inquiry", "time_limited", "proxy", "personalised")
ROLES = (("counter", 25), ("customer_service", 20), ("meter_reader", 20),
         ("construction", 10), ("maintenance", 15), ("other", 10))
SUPERVISION_PHONE = "023-72221234"
SUPERVISION_PHONE_FORMS = ("023-72221234", "(023) 7222 1234", "023 7222-1234", "02372221234")
REASONS = ("设备检修", "抢修任务冲突", "天气原因", "用户要求", "人员调度")
CHANNELS = ("oral", "phone", "written", "other")
CATEGORIES = ("supply_quality", "billing", "counter_service", "complaint_handling", "other")


def supplier_count(n: int, distribution: str = "many") -> int:
    """Suppliers of a fact set of ``n`` records.

    ``many``: a few, growing slowly with the data (3 at 10k, 8 at 100k, 25 at 1M);
    ``two``: 2; ``one``: 1.
    """
    if distribution == "two":
        return 2
    if distribution == "one":
        return 1
    if distribution != "many":
        raise ValueError(f"unknown distribution {distribution!r}: one of {DISTRIBUTIONS}")
    return max(3, round(math.sqrt(n) / 40))


class _Gen:
    """One generation run: the random stream, the calendar and the growing document."""

    def __init__(self, n: int, seed: int, as_of: dt.datetime, violation_rate: float,
                 unknown_rate: float, empty_lists: bool, join_unknowns: bool,
                 calendar: WorkingCalendar, limits: dict[str, float],
                 readings: bool = True, distribution: str = "many") -> None:
        self.n = n
        self.limits = limits
        self.distribution = distribution
        self.shares = dict(SHARES)
        if distribution == "one":
            self.shares["staff"] = ONE_STAFF
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.as_of_ts = int(as_of.timestamp())
        self.vr = violation_rate
        self.ur = unknown_rate
        self.empty_lists = empty_lists
        self.join_unknowns = join_unknowns
        self.readings = readings
        self.seen: set[str] = set()
        self.cal = calendar
        self.start_ts = int(YEAR_START.timestamp())
        self.end_ts = int(YEAR_END.timestamp())
        last = min(as_of.astimezone(CHONGQING).date(), YEAR_END.date())
        self.workdays = [d for d in _days(YEAR_START.date(), last) if calendar.is_workday(d)]
        self.doc: Doc = {"format": "fuling-compliance/facts/v1", "as_of": as_of.isoformat()}

    # ------------------------------------------------------------------ primitives
    def flag(self, p_false: float | None = None, p_unknown: float | None = None,
             kind: str | None = None) -> bool | None:
        """True, or False with ``p_false`` (default the violation rate), or None (unknown).

        With ``kind``, the first flag of that kind is False: every kind of violation
        occurs at least once, even in a small fact set.
        """
        if kind is not None and self.first(kind):
            return False
        pf = self.vr if p_false is None else p_false
        pu = self.ur if p_unknown is None else p_unknown
        r = self.rng.random()
        if r < pu:
            return None
        return r >= pu + pf

    def first(self, kind: str) -> bool:
        """True the first time ``kind`` is asked for."""
        if kind in self.seen:
            return False
        self.seen.add(kind)
        return True

    def few(self, kind: str) -> str | None:
        """``kind`` with one or two suppliers (their violations are forced), else None.

        With ``many`` suppliers the per-supplier violations occur by chance, as they
        always did (its output stays the same for the same seed).
        """
        return None if self.distribution == "many" else kind

    def maybe(self, value: Any, p_unknown: float | None = None) -> Any:
        return None if self.rng.random() < (self.ur if p_unknown is None else p_unknown) else value

    def ts_in(self, lo: int, hi: int) -> int:
        """A timestamp on the minute in [lo, hi]."""
        return lo + self.rng.randrange(max(1, (hi - lo) // 60 + 1)) * 60

    def office_ts(self, lo: int, hi: int) -> int:
        """A timestamp in office hours (08:00–18:00 local) of a random day in [lo, hi]."""
        local = self.ts_in(lo, hi) + 8 * 3600
        day = local // 86400 * 86400 - 8 * 3600  # local midnight
        return day + 8 * 3600 + self.rng.randrange(0, 600) * 60

    def after_wd(self, ts: int, n: int, *, last_minute: bool = False) -> int | None:
        """A moment on the ``n``-th working day after ``ts``'s day (None past the year)."""
        day = _local(ts).date()
        try:
            target = day if n == 0 else self.cal.add_working_days(day, n)
        except Exception:  # beyond the calendar: not happened within the data
            return None
        if target.year != YEAR:
            return None
        base = int(dt.datetime(target.year, target.month, target.day,
                               tzinfo=CHONGQING).timestamp())
        moment = base + (23 * 3600 + 59 * 60 if last_minute else
                         8 * 3600 + self.rng.randrange(0, 600) * 60)
        return max(moment, ts)

    def happened(self, ts: int | None) -> str | None:
        """An event timestamp as recorded at as_of: None if it lies after as_of."""
        return None if ts is None or ts > self.as_of_ts else iso(ts)

    def limit(self, key: str, default: float) -> float:
        """A parameter of the rules (``RULE.name``), or ``default`` if the rule lacks it."""
        return self.limits.get(key, default)

    def days(self, key: str, default: int) -> int:
        return max(0, int(self.limit(key, default)))

    def wd_delay(self, limit: int, late_share: float) -> tuple[int, bool]:
        """Working days taken for a task with a limit: mostly within, sometimes late."""
        r = self.rng.random()
        if r < late_share:
            return limit + 1 + self.rng.randrange(max(2, limit)), False
        if r < late_share + 0.05:
            return limit, True  # the last minute of the last allowed day
        return self.rng.randrange(0, limit + 1), False

    def share(self, name: str) -> int:
        return round(self.n * self.shares[name])

    def split(self, total: int, owners: list[str]) -> list[str]:
        """``total`` owners drawn with unequal weights (bigger and smaller suppliers)."""
        weights = [1.0 + (i % 3) for i in range(len(owners))]
        return self.rng.choices(owners, weights=weights, k=total)

    # ------------------------------------------------------------------ collections
    def run(self) -> Doc:
        n_sup = supplier_count(self.n, self.distribution)
        suppliers = [f"S{i + 1:02d}" for i in range(n_sup)]
        counts = {name: self.share(name) for name in self.shares}
        counts["appointment_changes"] = round(counts["appointments"] * CHANGED_APPOINTMENTS
                                              * 1.15)
        counts["staff"] = max(counts["staff"], 4 * n_sup)
        counts["surveys"] = max(counts["surveys"], 2 * n_sup)
        fixed = (1 + n_sup + n_sup * (len(DISCLOSURE_ITEMS) + 1)
                 + n_sup * SERVICES_PER_SUPPLIER + n_sup * ASSESSMENTS_PER_SUPPLIER)
        remaining = self.n - fixed - sum(counts.values())
        # outlet days take the rest, with their outlets and areas
        if self.distribution == "one":  # very many areas and outlets, few days each
            n_areas = max(1, round(self.n * ONE_AREAS))
            n_outlets = math.ceil(n_areas * OUTLETS_PER_AREA)
        else:
            n_outlets = max(n_sup, math.ceil(remaining / (len(self.workdays) * DAYS_SHARE)))
            n_areas = max(n_sup, math.ceil(n_outlets / OUTLETS_PER_AREA))
        if remaining - n_outlets - n_areas < 0:
            raise ValueError(f"n={self.n} is too small for {n_sup} suppliers' reference data")

        self.commission()
        self.suppliers(suppliers)
        staff = self.staff(suppliers, counts["staff"])
        areas = self.areas(suppliers, n_areas)
        outlets = self.outlets(areas, n_outlets)
        self.outlet_inspections(outlets, counts["outlet_inspections"])
        self.staff_checks(staff, counts["staff_checks"])
        self.appointments(suppliers, counts["appointments"], counts["appointment_changes"])
        self.proxy_services(suppliers, counts["proxy_services"])
        self.disclosures(suppliers)
        services = self.business_services(suppliers)
        self.applications(suppliers, services, counts["applications"])
        self.inquiries(suppliers, staff, counts["inquiries"])
        self.complaints(suppliers, counts["complaints"])
        self.surveys(suppliers, counts["surveys"])
        self.assessments(suppliers)
        n_days = self.n - count(self.doc)
        if not 0 <= n_days <= len(outlets) * len(self.workdays):
            raise ValueError(f"n={self.n}: cannot place {n_days} outlet days")
        self.outlet_days(outlets, n_days)
        if self.readings:
            self.edge_cases()
        order = ["format", "as_of", *COLLECTIONS]
        self.doc = {k: self.doc[k] for k in order if k in self.doc}
        return self.doc

    def edge_cases(self) -> None:
        """Cases of the catalogue's decided readings (1.1), changed in place on a separate
        random stream (the rest of the data stays as without them): contradictions (a
        cancelled visit with an arrival, a complaint judged substantiated but never
        verified), internal complaints without a supplier, time limits of 0, changes of
        a visit at the same moment, outlets of unknown kind, assessments without a date."""
        rng = random.Random(self.rng.random())
        for a in self.doc["appointments"]:
            if a["status"] == "cancelled" and a["scheduled_start"] and rng.random() < 0.1:
                a["arrived_at"] = a["scheduled_start"]
        for c in self.doc["complaints"]:
            r = rng.random()
            if c.get("verified_at") is None and c["concerns"] == "internal" and r < 0.1:
                c["substantiated"] = rng.random() < 0.5
            elif c["concerns"] == "internal" and r < 0.14:
                c["supplier_id"] = None
        for b in self.doc["business_services"]:
            if b["time_limit"] is not None and rng.random() < 0.08:
                b["time_limit"] = 0
        changes: dict[str, list[dict[str, Any]]] = {}
        for ch in self.doc["appointment_changes"]:
            changes.setdefault(ch["appointment_id"], []).append(ch)
        for group in changes.values():
            if len(group) > 1 and group[0]["at"] and rng.random() < 0.2:
                group[1]["at"] = group[0]["at"]  # two changes at one moment
        for o in self.doc["outlets"]:
            if rng.random() < 0.03:
                o["kind"] = None
        for e in self.doc["assessments"]:
            if rng.random() < 0.03:
                e["date"] = None

    def commission(self) -> None:
        self.doc["commission"] = {
            "hotline": "12345",
            "hotline_published": self.flag(p_false=0.1, p_unknown=0.05),
            "supervision_phone": SUPERVISION_PHONE,
        }

    def items(self, universe: tuple[str, ...], kind: str | None = None) -> list[str] | None:
        """A supplier's list: usually complete, sometimes lacking one, rarely unknown.

        With ``kind``, the first list of that kind lacks one item (a violation that
        must occur even with one or two suppliers).
        """
        r = self.rng.random()
        if kind is not None and self.first(kind):
            r = 0.3  # lacking one item
        if r < 0.08:
            return None
        if r < 0.12 and self.empty_lists:
            return []
        chosen = list(universe)
        if r < 0.35:
            chosen.remove(self.rng.choice(chosen))
        return chosen

    def suppliers(self, ids: list[str]) -> None:
        out: list[dict[str, Any]] = []
        for i, sid in enumerate(ids):
            hotline: str | None = self.rng.choice(("95598", "96777", "023-72212345"))
            r = self.rng.random()
            if r < 0.08:
                hotline = None
            elif r < 0.12:
                hotline = ""
            out.append({
                "id": sid,
                "name": f"涪陵供能企业{i + 1}",
                # one supplier serves the whole district: both utilities
                "utility": "both" if len(ids) == 1 else ("electricity", "gas", "both")[i % 3],
                "hotline": hotline,
                # with one or two suppliers, the last one's hotline is not published
                "hotline_published": self.flag(
                    p_false=0.1, p_unknown=0.08,
                    kind=self.few("HOT-01") if i == len(ids) - 1 else None),
                "hotline_accepts": self.items(HOTLINE_ACCEPTS, self.few("HOT-02")),
                "one_stop_info": self.items(ONE_STOP, self.few("HOT-03")),
                "service_systems": self.items(SYSTEMS, self.few("SYS-01")),
            })
        self.doc["suppliers"] = out

    def staff(self, suppliers: list[str], total: int) -> dict[str, list[str]]:
        total = max(total, 4 * len(suppliers))
        owners = suppliers + self.split(total - len(suppliers), suppliers)
        out: list[dict[str, Any]] = []
        by_supplier: dict[str, list[str]] = {s: [] for s in suppliers}
        roles, weights = zip(*ROLES, strict=True)
        for i, sid in enumerate(owners):
            pid = f"P{i + 1:06d}"
            role = self.rng.choices(roles, weights=weights)[0]
            record: dict[str, Any] = {"id": pid, "supplier_id": sid, "name": f"员工{i + 1}",
                                      "role": self.maybe(role)}
            r = self.rng.random()
            if r < 0.05:
                record["customer_facing"] = role != "other"
            elif r < 0.07:
                record["customer_facing"] = role == "other"  # explicit override
            record["trained"] = self.flag(kind="STF-01" if role != "other" else None)
            record["certified"] = self.flag(kind="STF-02" if role != "other" else None)
            if record["certified"]:
                record["certificate_no"] = f"CQ{self.rng.randrange(10**7):07d}"
                r = self.rng.random()
                if r < 0.25:
                    record["certificate_valid_until"] = None  # no expiry
                elif r < 0.25 + self.vr * 2:  # expires during the year: later checks fail
                    record["certificate_valid_until"] = _local(
                        self.ts_in(self.start_ts, self.as_of_ts)).date().isoformat()
                else:
                    record["certificate_valid_until"] = "2026-12-31"
            out.append(record)
            by_supplier[sid].append(pid)
        self.doc["staff"] = out
        return by_supplier

    def areas(self, suppliers: list[str], total: int) -> dict[str, list[str]]:
        owners = suppliers + self.split(max(0, total - len(suppliers)), suppliers)
        out: list[dict[str, Any]] = []
        by_supplier: dict[str, list[str]] = {s: [] for s in suppliers}
        for i, sid in enumerate(owners[:total]):
            aid = f"A{i + 1:05d}"
            out.append({"id": aid, "supplier_id": sid, "name": f"辖区{i + 1}"})
            by_supplier[sid].append(aid)
        self.doc["areas"] = out
        return by_supplier

    def outlets(self, areas: dict[str, list[str]], total: int) -> list[dict[str, Any]]:
        pairs = [(s, a) for s, ids in areas.items() for a in ids]
        # a few areas are left without any outlet (OUT-01)
        served = [p for p in pairs if self.rng.random() >= self.vr] or pairs[:1]
        if len(served) == len(pairs) > 1:
            served.pop()  # at least one area without an outlet
        out: list[dict[str, Any]] = []
        for i in range(total):
            sid, aid = served[i] if i < len(served) else self.rng.choice(served)
            opens = self.rng.choice((8 * 60, 8 * 60 + 30, 9 * 60))
            kind = self.rng.choices(("own", "bank", "partner"), weights=(70, 20, 10))[0]
            out.append({
                "id": f"O{i + 1:05d}", "supplier_id": sid, "area_id": aid,
                "name": f"服务网点{i + 1}", "kind": self.maybe(kind),
                "transport_accessible": self.flag(kind="OUT-03"),
                "signage_uniform": self.flag(kind="OUT-04"), "signage_visible": self.flag(),
                "opens": _hhmm(opens), "closes": _hhmm(opens + 9 * 60),
            })
        self.doc["outlets"] = out
        return out

    def outlet_days(self, outlets: list[dict[str, Any]], total: int) -> None:
        per, extra = divmod(total, len(outlets)) if outlets else (0, 0)
        out: list[dict[str, Any]] = []
        grace = int(self.limit("OUT-08.open_grace_minutes", 0))
        for i, outlet in enumerate(outlets):
            k = per + (1 if i < extra else 0)
            opens = _minutes(outlet["opens"])
            for day in self.workdays[len(self.workdays) - k:]:
                scheduled = self.maybe(opens)
                r = self.rng.random()
                opened: int | None
                if r < self.vr / 2:
                    opened = None  # did not open (OUT-07)
                elif r < self.vr / 2 + self.vr:
                    opened = opens + grace + self.rng.randrange(1, 45)  # late (OUT-08)
                elif r < self.vr * 1.5 + 0.05:
                    opened = opens + grace  # exactly on time
                else:
                    opened = opens - self.rng.randrange(1, 20)
                out.append({"outlet_id": outlet["id"], "date": day.isoformat(),
                            "scheduled_open": None if scheduled is None else _hhmm(scheduled),
                            "opened_at": None if opened is None else _hhmm(opened)})
        self.doc["outlet_days"] = out

    def outlet_inspections(self, outlets: list[dict[str, Any]], total: int) -> None:
        out: list[dict[str, Any]] = []
        for i in range(total):
            outlet = self.rng.choice(outlets)
            safe, clean = self.flag(kind="OUT-05"), self.flag(kind="OUT-06")
            notes = "现场检查" if safe and clean else "发现问题，已要求整改"
            out.append({"id": f"I{i + 1:06d}", "outlet_id": outlet["id"],
                        "date": _local(self.ts_in(self.start_ts, self.as_of_ts)).date().isoformat(),
                        "safe": safe, "clean": clean, "notes": notes})
        self.doc["outlet_inspections"] = out

    def staff_checks(self, staff: dict[str, list[str]], total: int) -> None:
        people = [p for ids in staff.values() for p in ids]
        out: list[dict[str, Any]] = []
        for i in range(total):
            badge = self.flag(p_false=0.15)
            id_card = self.flag(p_false=self.vr / 0.15 if badge is False else 0.2)
            at: str | None = iso(self.office_ts(self.start_ts, self.as_of_ts))
            if self.join_unknowns:
                at = self.maybe(at, self.ur / 2)
            out.append({"id": f"K{i + 1:07d}", "staff_id": self.rng.choice(people), "at": at,
                        "uniform": self.flag(kind="STF-03"), "badge": badge, "id_card": id_card})
        self.doc["staff_checks"] = out

    def appointments(self, suppliers: list[str], total: int, n_changes: int) -> None:
        out: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        owners = self.split(total, suppliers)
        p_change = min(1.0, n_changes / max(1, total))
        horizon = self.end_ts - 10 * 86400
        notice = int(self.limit("VIS-01.min_notice_hours", 0) * 3600)
        for i, sid in enumerate(owners):
            aid = f"V{i + 1:07d}"
            first = self.office_ts(self.start_ts + 5 * 86400, horizon)
            first -= first % 1800  # on the half hour
            r = self.rng.random()
            booked: int | None
            if r < self.vr / 3:
                booked = None  # never booked (VIS-01)
            elif r < self.vr:
                booked = first - notice + self.rng.choice((0, 60, 1800, 3600))  # too late
            else:
                booked = first - notice - self.rng.randrange(1, 10 * 24) * 3600
            scheduled = first
            cancelled = False
            while len(changes) < n_changes and self.rng.random() < (
                    p_change if scheduled == first else 0.15):
                change, scheduled = self.change(len(changes), aid, scheduled)
                changes.append(change)
                if change["to_start"] is None:
                    cancelled = True
                    break
            record: dict[str, Any] = {"id": aid, "supplier_id": sid,
                                      "customer": f"U{self.rng.randrange(10**6):06d}",
                                      "booked_at": None if booked is None else iso(booked),
                                      "scheduled_start": iso(scheduled)}
            status, arrived = self.visit(scheduled, cancelled)
            record["status"] = status
            record["arrived_at"] = arrived
            if self.rng.random() < self.ur:
                record["scheduled_start"] = None
            if self.rng.random() < self.ur:
                record["status"] = None
            out.append(record)
        # fill up to the exact count with late changes by customers
        while len(changes) < n_changes:
            target = self.rng.choice(out)
            start = target["scheduled_start"] or iso(self.as_of_ts)
            change, _ = self.change(len(changes), target["id"], _parse(start), by="customer",
                                    keep=True)
            changes.append(change)
        self.doc["appointments"] = out
        self.doc["appointment_changes"] = changes

    def change(self, index: int, appointment: str, start: int, by: str | None = None,
               keep: bool = False) -> tuple[dict[str, Any], int]:
        """One change of a visit that was due at ``start``; returns it and the new start."""
        by = by or self.rng.choices(("supplier", "customer"), weights=(60, 40))[0]
        at = start - self.rng.randrange(2, 72) * 3600
        new: int | None = None if self.rng.random() < 0.12 and not keep else (
            start + self.rng.randrange(1, 10) * 86400)
        if keep:
            new = start
        notified: int | None = at
        r = self.rng.random()
        if by == "supplier" and r < self.vr:
            notified = None
        elif by == "supplier" and r < self.vr * 2:
            notice = int(self.limit("VIS-04.change_notice_hours", 0) * 3600)
            notified = start - notice + self.rng.choice((0, 600, 3600))  # not early enough
        reason: str | None = self.rng.choice(REASONS)
        if by == "supplier" and (self.first("VIS-03") or self.rng.random() < self.vr):
            reason = self.rng.choice(("", None))
        record = {
            "id": f"C{index + 1:07d}", "appointment_id": appointment,
            "at": self.maybe(iso(at), self.ur / 2), "by": self.maybe(by),
            "reason": reason, "from_start": self.maybe(iso(start), self.ur / 2),
            "to_start": None if new is None else iso(new),
            "customer_notified_at": None if notified is None else iso(notified),
            "customer_agreed": self.flag(kind="VIS-05" if by == "supplier" else None),
        }
        return record, (start if new is None else new)

    def visit(self, start: int, cancelled: bool) -> tuple[str, str | None]:
        """Status and arrival as recorded at as_of."""
        if cancelled:
            return "cancelled", None
        if start > self.as_of_ts:
            return ("cancelled", None) if self.rng.random() < 0.03 else ("scheduled", None)
        r = self.rng.random()
        if r < self.vr:
            return "scheduled", None  # nobody came (VIS-06)
        if r < self.vr * 1.2:
            return "scheduled", iso(start - 300)  # came, status not updated
        if r < self.vr * 1.2 + 0.04:
            return "cancelled", None
        r = self.rng.random()
        grace = int(self.limit("VIS-02.late_grace_minutes", 0) * 60)
        if r < self.vr:
            arrived = start + grace + self.rng.randrange(1, 90) * 60  # late (VIS-02)
        elif r < self.vr + 0.05:
            arrived = start + grace  # exactly on time
        else:
            arrived = start - self.rng.randrange(1, 30) * 60
        return "completed", self.happened(self.maybe(arrived))

    def proxy_services(self, suppliers: list[str], total: int) -> None:
        self.doc["proxy_services"] = [
            {"id": f"X{i + 1:06d}", "supplier_id": sid,
             "customer": f"U{self.rng.randrange(10**6):06d}",
             "at": iso(self.office_ts(self.start_ts, self.as_of_ts)),
             "customer_consent": self.flag(kind="PRX-01")}
            for i, sid in enumerate(self.split(total, suppliers))
        ]

    def disclosures(self, suppliers: list[str]) -> None:
        out: list[dict[str, Any]] = []
        for sid in suppliers:
            # with one or two suppliers, the first one never disclosed one item of each
            # of DIS-01, DIS-04, DIS-05
            gaps = UNDISCLOSED if self.few("DIS-01") and self.first("DIS-01") else ()
            for item in (*DISCLOSURE_ITEMS, "other"):
                published = self.flag(p_false=0.06, p_unknown=0.04)
                value = None
                if item == "supervision_phone":
                    r = self.rng.random()
                    value = (None if r < 0.1 else "023-72221111" if r < 0.25
                             or self.first("DIS-06") else self.rng.choice(SUPERVISION_PHONE_FORMS))
                    if self.join_unknowns and r < 0.05:
                        value = "见营业厅公告"  # a value without digits
                elif item == "service_phone":
                    value = "95598"
                record = {"supplier_id": sid, "item": item, "published": published,
                          "published_on": _local(self.ts_in(self.start_ts, self.as_of_ts))
                          .date().isoformat() if published else None,
                          "channel": self.rng.choice(("网站", "营业厅公告栏", "微信公众号")),
                          "value": value}
                if self.rng.random() < 0.04 or item in gaps:
                    continue  # never disclosed at all
                out.append(record)
            if self.rng.random() < 0.3:  # a second channel for the supervision number
                out.append({"supplier_id": sid, "item": "supervision_phone",
                            "published": True, "published_on": "2026-03-01",
                            "channel": "营业厅公告栏",
                            "value": self.rng.choice((*SUPERVISION_PHONE_FORMS, "023-7222")),
                            })
        self.doc["disclosures"] = out

    def business_services(self, suppliers: list[str]) -> dict[str, dict[str, tuple[int, str]]]:
        out: list[dict[str, Any]] = []
        limits: dict[str, dict[str, tuple[int, str]]] = {}
        for sid in suppliers:
            limits[sid] = {}
            for bt in self.rng.sample(BUSINESS_TYPES, SERVICES_PER_SUPPLIER):
                unit = self.rng.choices(("working_days", "days", "hours"),
                                        weights=(70, 20, 10))[0]
                limit = {"working_days": self.rng.randrange(1, 16),
                         "days": self.rng.randrange(1, 31),
                         "hours": self.rng.choice((4, 8, 24, 48, 72))}[unit]
                record: dict[str, Any] = {
                    "supplier_id": sid, "business_type": bt,
                    "procedure_published": self.flag(p_false=0.08),
                    "conditions_published": self.flag(p_false=0.08),
                    "time_limit": limit, "time_limit_unit": unit,
                }
                r = self.rng.random()
                if r < 0.05:
                    record["time_limit"] = None
                elif r < 0.08:
                    record["time_limit_unit"] = None
                out.append(record)
                limits[sid][bt] = (limit, unit)
        self.doc["business_services"] = out
        return limits

    def applications(self, suppliers: list[str], services: dict[str, dict[str, tuple[int, str]]],
                     total: int) -> None:
        out: list[dict[str, Any]] = []
        for i, sid in enumerate(self.split(total, suppliers)):
            offered = services[sid]
            if self.rng.random() < self.vr / 2:
                bt = self.rng.choice([b for b in BUSINESS_TYPES if b not in offered])  # DIS-03
                limit, unit = 5, "working_days"
            else:
                bt = self.rng.choice(list(offered))
                limit, unit = offered[bt]
            submitted = self.office_ts(self.start_ts, self.as_of_ts)
            done: int | None
            if unit == "working_days":
                n, last = self.wd_delay(limit, self.vr)
                done = self.after_wd(submitted, n, last_minute=last)
            else:
                seconds = limit * (86400 if unit == "days" else 3600)
                r = self.rng.random()
                if r < self.vr:
                    done = submitted + seconds + self.rng.randrange(60, max(120, seconds // 2))
                elif r < self.vr + 0.05:
                    done = submitted + (seconds if unit == "hours" else seconds + 3600)
                else:
                    done = submitted + self.rng.randrange(0, seconds)
            if self.rng.random() < 0.02:
                done = None  # abandoned / still open
            out.append({"id": f"B{i + 1:07d}", "supplier_id": sid, "business_type": bt,
                        "submitted_at": self.maybe(iso(submitted), self.ur / 2)
                        if self.join_unknowns else iso(submitted),
                        "completed_at": self.happened(done)})
        self.doc["applications"] = out

    def inquiries(self, suppliers: list[str], staff: dict[str, list[str]], total: int) -> None:
        out: list[dict[str, Any]] = []
        for i, sid in enumerate(self.split(total, suppliers)):
            in_scope = self.flag(p_false=0.12)
            handed = self.flag(p_false=0.7)
            out.append({
                "id": f"Q{i + 1:07d}", "supplier_id": sid,
                "at": iso(self.office_ts(self.start_ts, self.as_of_ts)),
                "first_responder": self.maybe(self.rng.choice(staff[sid])),
                "within_scope": in_scope,
                "reason_explained": self.flag(p_false=self.vr * 3) if in_scope is False
                else self.maybe(True, 0.8),
                "handed_over": handed,
                "followed_up": self.flag(p_false=self.vr * 2) if handed else None,
                "resolved": self.flag(p_false=0.1),
            })
        self.doc["inquiries"] = out

    def complaints(self, suppliers: list[str], total: int) -> None:
        out: list[dict[str, Any]] = []
        for i in range(total):
            concerns = self.maybe(self.rng.choices(("internal", "sector"), weights=(85, 15))[0])
            sid: str | None = self.rng.choice(suppliers)
            if concerns != "internal" and self.rng.random() < 0.5:
                sid = None
            received = self.office_ts(self.start_ts, self.as_of_ts)
            channel = self.maybe(self.rng.choice(CHANNELS))
            major = self.flag(p_false=0.92)
            record: dict[str, Any] = {
                "id": f"Z{i + 1:06d}", "supplier_id": sid, "received_at": iso(received),
                "channel": channel,
                "phone_line": self.rng.choice(("12345", "95598", "96777")) if channel == "phone"
                else None,
                "category": self.rng.choice(CATEGORIES), "concerns": concerns, "major": major,
                "written_record": self.flag(p_false=0.5 if major else 0.7),
            }
            if concerns == "sector":
                n, last = self.wd_delay(self.days("CMP-06.commission_reply_days", 15),
                                        self.vr * 2)
                record["replied_at"] = self.happened(self.after_wd(received, n, last_minute=last))
            else:
                n, last = self.wd_delay(self.days("CMP-02.verify_days", 3), self.vr * 2)
                verified = self.after_wd(received, n, last_minute=last)
                record["verified_at"] = self.happened(verified)
                if record["verified_at"] is not None and verified is not None:
                    record["substantiated"] = self.flag(p_false=0.4)
                    if record["substantiated"]:
                        n, last = self.wd_delay(self.days("CMP-03.rectify_days", 15),
                                                self.vr * 2)
                        rectified = self.after_wd(received, n, last_minute=last)
                        record["rectified_at"] = self.happened(
                            None if rectified is None else max(rectified, verified))
                    n, last = self.wd_delay(self.days("CMP-05.report_days", 5), self.vr * 2)
                    record["reported_at"] = self.happened(self.after_wd(verified, n,
                                                                        last_minute=last))
                n, last = self.wd_delay(self.days("CMP-04.reply_days", 10), self.vr * 2)
                record["replied_at"] = self.happened(self.after_wd(received, n, last_minute=last))
            out.append(record)
        self.doc["complaints"] = out

    def surveys(self, suppliers: list[str], total: int) -> None:
        total = max(total, 2 * len(suppliers))
        threshold = min(1.0, self.limit("STF-05.min_satisfaction", 90) / 100)
        out: list[dict[str, Any]] = []
        for i, sid in enumerate(suppliers + self.split(total - len(suppliers), suppliers)):
            month = self.rng.randrange(1, 12)
            start = dt.date(YEAR, month, 1)
            end = dt.date(YEAR, month + 1, 1) - dt.timedelta(days=1)
            respondents: int | None = self.rng.randrange(30, 500)
            r = self.rng.random()
            if r < 0.02:
                respondents = 0
            elif r < 0.02 + self.ur:
                respondents = None
            share = (self.rng.uniform(max(0.0, threshold - 0.2), threshold)
                     if self.first("STF-05") or self.rng.random() < self.vr * 3
                     else self.rng.uniform(threshold, 1.0))
            satisfied = None if respondents is None else min(respondents,
                                                             int(respondents * share + 0.5))
            if respondents and self.rng.random() < 0.02:
                satisfied = math.ceil(respondents * threshold)  # exactly on the threshold
            out.append({"id": f"Y{i + 1:05d}", "supplier_id": sid,
                        "period_start": start.isoformat(), "period_end": end.isoformat(),
                        "respondents": respondents, "satisfied": self.maybe(satisfied)})
        self.doc["surveys"] = out

    def assessments(self, suppliers: list[str]) -> None:
        out: list[dict[str, Any]] = []
        quarter_days = (dt.date(YEAR, 3, 20), dt.date(YEAR, 6, 20), dt.date(YEAR, 9, 10),
                        dt.date(YEAR, 11, 20))
        as_of_day = _local(self.as_of_ts).date()
        limit = self.days("COM-03.publish_days", 30)
        for sid in suppliers:
            # COM-02: no recent assessment (always the last supplier)
            skip_recent = self.rng.random() < 0.2 or sid == suppliers[-1]
            for q, base in enumerate(quarter_days):
                day = base + dt.timedelta(days=self.rng.randrange(-10, 10))
                if skip_recent and q >= 2:
                    day = dt.date(YEAR, 1 + q, 5)  # an older one instead
                r = self.rng.random()
                published: dt.date | None
                if r < 0.1:
                    published = day + dt.timedelta(days=self.rng.randrange(limit + 1,
                                                                           limit + 40))  # late
                elif r < 0.15:
                    published = day + dt.timedelta(days=limit)  # on the last day
                elif r < 0.2:
                    published = None  # never published
                else:
                    low = min(2, limit)
                    published = day + dt.timedelta(days=self.rng.randrange(
                        low, max(low + 1, limit - 1)))  # in time
                if published is not None and published > as_of_day:
                    published = None  # not yet
                out.append({"id": f"E{len(out) + 1:04d}", "supplier_id": sid,
                            "date": day.isoformat(),
                            "methods": self.rng.sample(("records", "spot_check", "survey"),
                                                       self.rng.randrange(1, 4)),
                            "score": self.maybe(round(self.rng.uniform(70, 99), 1)),
                            "published_on": None if published is None else published.isoformat()})
        self.doc["assessments"] = out


# ----------------------------------------------------------------------------- helpers
def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _local(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, CHONGQING)


def iso(ts: int) -> str:
    """Epoch seconds as an ISO 8601 datetime in Chongqing time."""
    return _local(ts).isoformat()


def _parse(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


_CALENDAR: list[WorkingCalendar] = []
_RULES: list[RuleSet] = []


def _bundled_rules() -> RuleSet:
    if not _RULES:
        _RULES.append(load_rules())
    return _RULES[0]


def limits(rules: RuleSet) -> dict[str, float]:
    """``{"RULE.parameter": value}`` of the rules' numeric parameters."""
    return {f"{r.id}.{name}": float(p.value) for r in rules for name, p in r.parameters.items()
            if isinstance(p.value, int | float) and not isinstance(p.value, bool)}


def _calendar() -> WorkingCalendar:
    if not _CALENDAR:
        _CALENDAR.append(WorkingCalendar())
    return _CALENDAR[0]


def generate(
    n: int,
    seed: int = 1,
    *,
    as_of: dt.datetime = AS_OF,
    violation_rate: float = 0.03,
    unknown_rate: float = 0.01,
    empty_lists: bool = True,
    join_unknowns: bool = True,
    readings: bool = True,
    calendar: WorkingCalendar | None = None,
    rules: RuleSet | None = None,
    distribution: str = "many",
) -> Doc:
    """A fact document of exactly ``n`` records (``n`` >= about 400), deterministic in ``seed``.

    ``distribution`` (``many``, ``two``, ``one``: see the module docstring) says how
    the records spread over suppliers; ``many`` is the original generator, unchanged.

    ``empty_lists`` lets a few supplier lists (``hotline_accepts`` ...) be empty;
    ``join_unknowns`` leaves out a few fields that rules read through a join or an
    arithmetic comparison (an application's ``submitted_at``, a staff check's ``at``)
    and writes a supervision number without digits. Both are legal data and on by
    default; with durable_rules 2.0.28 they used to crash or lose facts until the
    compiler guarded every operand (switch them off to benchmark an older engine).
    ``readings`` adds the cases of the catalogue's decided readings (:meth:`_Gen.edge_cases`;
    the fact set then carries warnings about contradictions). ``rules`` give the limits
    (deadlines, grace periods, thresholds) the data is placed around (default: the
    bundled rules).
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {distribution!r}: one of {DISTRIBUTIONS}")
    gen = _Gen(n, seed, as_of, violation_rate, unknown_rate, empty_lists, join_unknowns,
               calendar or _calendar(), limits(rules or _bundled_rules()), readings,
               distribution)
    doc = gen.run()
    total = count(doc)
    if total != n:  # pragma: no cover - a bug in the arithmetic above
        raise AssertionError(f"generated {total} records, not {n}")
    return doc


def count(doc: Doc) -> int:
    """Records in a fact document (the commission counts as one)."""
    return sum(len(v) if isinstance(v, list) else 1 for k, v in doc.items()
               if k not in ("format", "as_of") and v is not None)


def write(doc: Doc, path: str | Path, *, indent: int | None = None) -> None:
    """Save as JSON (``.json``; one line unless ``indent``) or YAML (anything else).

    YAML is the text ``yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)``
    gives (every string that would read back as another type is quoted), written
    faster: through libyaml's ``CSafeDumper`` when PyYAML has it, with the cyclic
    garbage collector paused (PyYAML builds a node per value; with the collector on,
    dumping 100k records takes twice as long as 10 times 10k), and long collections
    in slices of ``YAML_SLICE`` records (a block sequence under a key is written
    without indentation, so the slices concatenate to the same text) so that the
    nodes of a whole collection are never held at once.
    """
    path = Path(path)
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=indent), encoding="utf-8")
        return
    import gc

    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dump(data: Any, out: Any) -> None:
        yaml.dump(data, out, Dumper=dumper, allow_unicode=True, sort_keys=False)

    collecting = gc.isenabled()
    gc.disable()
    try:
        with path.open("w", encoding="utf-8") as out:
            for key, value in doc.items():
                if not isinstance(value, list) or not value:
                    dump({key: value}, out)
                    continue
                out.write(f"{key}:\n")
                for start in range(0, len(value), YAML_SLICE):
                    dump(value[start:start + YAML_SLICE], out)
    finally:
        if collecting:
            gc.enable()


#: records per ``yaml.dump`` call when ``write`` writes a long collection
YAML_SLICE = 5_000


#: an invalid value for a record of each collection that ``rejected`` can spoil: a time
#: of day that does not exist, an enum value that does not exist, a non-boolean
BAD_VALUES: dict[str, tuple[str, Any]] = {
    "outlet_days": ("opened_at", "25:70"),
    "appointments": ("status", "finished"),
    "appointment_changes": ("by", "neighbour"),
    "staff_checks": ("uniform", "perhaps"),
    "applications": ("completed_at", "2026-13-01T09:00:00+08:00"),
    "inquiries": ("within_scope", "perhaps"),
    "complaints": ("channel", "fax"),
}


def rejection(doc: Doc, collection: str | None = None) -> tuple[str, int, str, Any]:
    """Where ``rejected`` puts its bad value: (collection, index, field, value).

    The collection is ``collection``, else the largest one that ``BAD_VALUES`` knows
    (outlet days, or appointments); the record is its last but one.
    """
    if collection is None:
        collection = max((c for c in BAD_VALUES if isinstance(doc.get(c), list)),
                         key=lambda c: len(doc[c]))
    if collection not in BAD_VALUES:
        raise ValueError(f"no bad value known for {collection!r}: one of {sorted(BAD_VALUES)}")
    records = doc.get(collection)
    if not isinstance(records, list) or not records:
        raise ValueError(f"the document has no {collection}")
    field, value = BAD_VALUES[collection]
    return collection, max(0, len(records) - 2), field, value


def rejected(doc: Doc, collection: str | None = None) -> Doc:
    """The same document with one invalid value near the end of its largest collection.

    Every other record is unchanged (and shared with ``doc``, which is not modified).
    A loader must reject the result, naming the file, line and column of the value.
    """
    collection, index, field, value = rejection(doc, collection)
    records = list(doc[collection])
    records[index] = {**records[index], field: value}
    return {**doc, collection: records}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="records in total")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default=AS_OF.isoformat())
    parser.add_argument("--distribution", choices=DISTRIBUTIONS, default="many",
                        help="many suppliers (default), two (electricity and gas) or one "
                        "with very many areas, outlets and staff")
    parser.add_argument("--rejected", action="store_true",
                        help="spoil one value near the end of the largest collection "
                        "(the file must be rejected)")
    parser.add_argument("--indent", type=int, help="indent JSON (default: one line)")
    parser.add_argument("-o", "--output", help="file to write (.json or .yaml); default stdout")
    args = parser.parse_args(argv)
    doc = generate(args.size, args.seed, as_of=dt.datetime.fromisoformat(args.as_of),
                   distribution=args.distribution)
    if args.rejected:
        doc = rejected(doc)
    if args.output:
        write(doc, args.output, indent=args.indent)
    else:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=args.indent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
