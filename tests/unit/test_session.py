"""Incremental sessions give exactly the outcomes of a full re-evaluation."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from fuling_compliance import FactsError, load_facts, load_rules
from fuling_compliance.calendar import CHONGQING as CQ
from fuling_compliance.engine.run import run
from fuling_compliance.engine.session import Session
from fuling_compliance.facts.model import COLLECTIONS, FactSet

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fuling-2026q2.yaml"


def full(session: Session) -> dict[Any, str]:
    facts = FactSet({c: [r.values for r in session.records[c].values()] for c in COLLECTIONS},
                    ids={c: list(session.records[c]) for c in COLLECTIONS})
    compiled = session.rules.compiled
    outcomes = run(compiled, facts, session.as_of, session.rules.calendar)
    return outcomes.by_subject(compiled, facts)


def data(record: Any) -> dict[str, Any]:
    return record.to_dict()


@pytest.fixture(scope="module")
def session() -> Any:
    with Session(load_rules(), load_facts(EXAMPLE)) as s:
        yield s


def test_starts_equal_to_a_full_evaluation(session: Session) -> None:
    assert session.outcomes == full(session)


def edits(session: Session, rng: random.Random) -> list[tuple[str, str, Any]]:
    appt = rng.choice(list(session.records["appointments"].values()))
    outlet = rng.choice(list(session.records["outlets"].values()))
    staff = rng.choice(list(session.records["staff"].values()))
    service = rng.choice(list(session.records["business_services"].values()))
    late = dict(data(appt), arrived_at=appt.scheduled_start.replace(hour=23) if
                appt.scheduled_start else None, status="completed")
    new_id = f"NEW-{rng.randrange(10**6)}"
    start = appt.scheduled_start or dt.datetime(2026, 6, 10, 9, tzinfo=CQ)
    return [
        ("update", "appointments", late),
        # booked a day ahead: VIS-01 passes...
        ("add", "appointments", dict(data(appt), id=new_id, scheduled_start=start,
                                     booked_at=start - dt.timedelta(days=1))),
        # ...until a change shows the first agreed start was before the booking
        ("add", "appointment_changes", {
            "id": f"C-{new_id}", "appointment_id": new_id,
            "at": start - dt.timedelta(hours=20), "by": "supplier", "reason": None,
            "from_start": start - dt.timedelta(days=2), "to_start": start,
            "customer_notified_at": None, "customer_agreed": False}),
        ("update", "outlets", dict(data(outlet), kind=rng.choice(["own", "bank", "partner"]))),
        ("add", "outlets", dict(data(outlet), id=f"O-{new_id}", kind="own")),
        ("update", "staff", dict(data(staff), certified=rng.choice([True, False, None]))),
        ("update", "business_services",
         dict(data(service), time_limit=rng.choice([None, 1, 3, 30]))),
        ("remove", "appointment_changes", f"C-{new_id}"),
        ("remove", "appointments", new_id),
        ("remove", "outlets", f"O-{new_id}"),
    ]


def test_random_edits_match_full_reevaluation(session: Session) -> None:
    rng = random.Random(7)
    for _ in range(3):
        for op, collection, payload in edits(session, rng):
            changes = (session.remove(collection, payload) if op == "remove"
                       else getattr(session, op)(collection, payload))
            assert session.outcomes == full(session), (op, collection)
            for change in changes:
                assert change.before != change.after


def test_a_late_arrival_reports_the_changed_finding(session: Session) -> None:
    appt = next(a for a in session.records["appointments"].values()
                if a.status == "completed" and a.arrived_at is not None)
    on_time = dict(data(appt), arrived_at=appt.scheduled_start)
    session.update("appointments", on_time)
    late = dict(on_time, arrived_at=appt.scheduled_start.replace(hour=23, minute=59))
    changes = session.update("appointments", late)
    assert any(c.rule == "VIS-02" and c.subject_id == appt.id and c.after == "fail"
               for c in changes)


def test_bad_changes_are_rejected_whole(session: Session) -> None:
    before = dict(session.outcomes)
    with pytest.raises(FactsError):
        session.add("appointments", {"id": "X1", "supplier_id": "nobody"})
    with pytest.raises(FactsError):
        session.remove("suppliers", next(iter(session.records["suppliers"])))
    with pytest.raises(FactsError):
        session.update("appointments", {"id": "does-not-exist", "supplier_id": "x"})
    assert session.outcomes == before
