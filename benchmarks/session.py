"""Median time per single-record change in an incremental Session.

    python benchmarks/session.py --size 100000 --changes 300

Loads a generated district (all collections), opens a Session, then times each of
``--changes`` single-record changes of the kinds a supplier's system sends: a new home
visit, its arrival recorded late, a new complaint, an outlet day. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate

from fuling_compliance import load_facts_data, load_rules
from fuling_compliance.calendar import CHONGQING
from fuling_compliance.engine.session import Session


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    facts = load_facts_data(generate(args.size, seed=1))
    start = time.perf_counter()
    session = Session(load_rules(), facts)
    opened = time.perf_counter() - start
    supplier = next(iter(session.records["suppliers"]))
    outlet = next(o for o in session.records["outlets"].values()
                  if getattr(o, "supplier_id") == supplier)
    times: dict[str, list[float]] = {"add appointment": [], "arrival": [],
                                     "add complaint": [], "add outlet day": []}
    base = dt.datetime(2026, 6, 1, 9, tzinfo=CHONGQING)
    for i in range(args.changes // 4):
        when = base + dt.timedelta(hours=i)
        appointment = {"id": f"S-{i}", "supplier_id": supplier, "status": "scheduled",
                       "booked_at": when - dt.timedelta(days=1), "scheduled_start": when}
        steps = [
            ("add appointment", lambda a=appointment: session.add("appointments", a)),
            ("arrival", lambda a=appointment, w=when: session.update(
                "appointments", {**a, "status": "completed",
                                 "arrived_at": w + dt.timedelta(minutes=30)})),
            ("add complaint", lambda i=i, w=when: session.add("complaints", {
                "id": f"K-{i}", "supplier_id": supplier, "received_at": w,
                "concerns": "internal", "channel": "phone", "major": False})),
            ("add outlet day", lambda i=i: session.add("outlet_days", {
                "outlet_id": outlet.record_id(),
                "date": (dt.date(2027, 1, 1) + dt.timedelta(days=i)).isoformat(),
                "scheduled_open": "09:00", "opened_at": "09:05"})),
        ]
        for name, step in steps:
            t = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t)
    session.close()
    every = [x for v in times.values() for x in v]
    print(f"{args.size:,} records; session opened in {opened:.1f} s; "
          f"{len(every)} changes")
    for name, values in [*times.items(), ("all", every)]:
        print(f"  {name:16} median {statistics.median(values) * 1000:.2f} ms, "
              f"p90 {sorted(values)[int(len(values) * 0.9)] * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
