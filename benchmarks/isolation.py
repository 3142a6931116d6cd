"""What ``evaluate(..., isolated=True)`` costs: the engine in a forked child.

    python benchmarks/isolation.py                  # the example and a generated 100k set
    python benchmarks/isolation.py --sizes 10000    # other generated sizes

For each fact set (loaded once, not timed), ``evaluate`` runs alternately in-process and
isolated, ``--repeat`` times each (default 5; 3 at 100,000 records and more), and the
median wall time of each is printed with the difference. The reports must be equal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fuling_compliance import evaluate, load_facts, load_facts_data, load_rules  # noqa: E402


def measure(name: str, rules: Any, facts: Any, repeat: int) -> dict[str, Any]:
    times: dict[bool, list[float]] = {False: [], True: []}
    reports = {}
    for _ in range(repeat):
        for isolated in (False, True):
            start = time.perf_counter()
            reports[isolated] = evaluate(rules, facts, isolated=isolated)
            times[isolated].append(time.perf_counter() - start)
    assert reports[False] == reports[True], "isolated evaluation gave another report"
    plain, child = statistics.median(times[False]), statistics.median(times[True])
    row = {"facts": name, "records": facts.count(), "in-process s": round(plain, 3),
           "isolated s": round(child, 3), "cost s": round(child - plain, 3),
           "cost %": round(100 * (child - plain) / plain, 1)}
    print(" | ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="generated sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args(argv)
    import generate

    rules = load_rules()
    rules.compiled  # noqa: B018 - compiled once, outside the measurement
    measure("example", rules, load_facts(ROOT / "examples" / "fuling-2026q2.yaml"),
            args.repeat or 9)
    for size in (int(s) for s in args.sizes.split(",") if s):
        facts = load_facts_data(generate.generate(size, 1))
        measure(f"generated {size}", rules, facts, args.repeat or (3 if size >= 100_000 else 5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
