"""Smoke test of the benchmark harness (``benchmarks/``): small, fast, able to fail.

The generator's distributions must keep its guarantees (exactly ``n`` records, the
loader's integrity checks pass, deterministic in the seed, ``many`` unchanged), the
rejected variant must be rejected with a position, YAML must be written as
``yaml.safe_dump`` would, and the CLI part's process measurement must report exit
codes and phase times faithfully. Nothing large runs here: the benchmarks themselves
are ``python benchmarks/run.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_oracle_agreement import bench_module

from fuling_compliance import FactsError, load_facts_data

SIZE = 2_000


generate = bench_module("generate")
cli_bench = bench_module("cli_bench")


def _digest(doc: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode()).hexdigest()


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {d: generate.generate(SIZE, 1, distribution=d) for d in generate.DISTRIBUTIONS}


@pytest.mark.parametrize("distribution", ["many", "two", "one"])
def test_distribution_is_exact_and_integrity_valid(docs: dict[str, dict[str, Any]],
                                                   distribution: str) -> None:
    doc = docs[distribution]
    assert generate.count(doc) == SIZE
    facts = load_facts_data(doc)  # raises on any integrity problem
    assert facts.count() == SIZE
    suppliers = {s["id"]: s["utility"] for s in doc["suppliers"]}
    owners = Counter(r["supplier_id"] for r in doc["appointments"] + doc["areas"]
                     + doc["staff"] + doc["applications"])
    assert set(owners) == set(suppliers)
    if distribution == "two":
        assert suppliers == {"S01": "electricity", "S02": "gas"}
    elif distribution == "one":
        assert list(suppliers) == ["S01"]
        assert len(doc["areas"]) >= 0.02 * SIZE
        assert len(doc["staff"]) >= 0.03 * SIZE
        assert len(doc["outlets"]) >= 2 * len(doc["areas"])
    else:
        assert len(suppliers) == generate.supplier_count(SIZE)


def test_distributions_are_deterministic_and_many_is_unchanged(
        docs: dict[str, dict[str, Any]]) -> None:
    for distribution, doc in docs.items():
        assert _digest(generate.generate(SIZE, 1, distribution=distribution)) == _digest(doc)
    assert _digest(generate.generate(SIZE, 2, distribution="two")) != _digest(docs["two"])
    # the original generator's output (before distributions and the readings' edge cases
    # existed), seed 1, 1000 records: change this digest only for an intended change of
    # the generated data
    assert _digest(generate.generate(1000, 1, readings=False)) == (
        "3cbfe4d5e6d6c83adccd6a455cc1caf999f55207c3eeabb4f9c4b28741b9859c")
    assert docs["many"] == generate.generate(SIZE, 1)


def test_few_suppliers_still_violate_per_supplier_rules(docs: dict[str, dict[str, Any]]) -> None:
    for distribution in ("two", "one"):
        first, last = docs[distribution]["suppliers"][0], docs[distribution]["suppliers"][-1]
        for name, universe in (("hotline_accepts", generate.HOTLINE_ACCEPTS),
                               ("one_stop_info", generate.ONE_STOP),
                               ("service_systems", generate.SYSTEMS)):
            assert len(first[name]) == len(universe) - 1, (distribution, name)
        assert last["hotline_published"] is False
        disclosed = {d["item"] for d in docs[distribution]["disclosures"]
                     if d["supplier_id"] == "S01"}
        assert not disclosed & set(generate.UNDISCLOSED)


def test_rejected_variant_is_rejected_with_a_position(docs: dict[str, dict[str, Any]]) -> None:
    doc = docs["two"]
    collection, index, field, value = generate.rejection(doc)
    assert collection == "outlet_days" and index == len(doc[collection]) - 2
    bad = generate.rejected(doc)
    assert generate.count(bad) == SIZE
    assert doc[collection][index][field] != value  # the original is untouched
    with pytest.raises(FactsError) as caught:
        load_facts_data(bad)
    problems = caught.value.problems
    assert len(problems) == 1
    assert (problems[0].collection, problems[0].field) == (collection, field)
    assert problems[0].line is not None and problems[0].column is not None


def test_yaml_is_written_as_safe_dump_would(tmp_path: Path) -> None:
    doc = generate.generate(600, 3, distribution="one")
    path = tmp_path / "facts.yaml"
    generate.YAML_SLICE, saved = 50, generate.YAML_SLICE  # several slices per collection
    try:
        generate.write(doc, path)
    finally:
        generate.YAML_SLICE = saved
    assert path.read_text(encoding="utf-8") == yaml.safe_dump(doc, allow_unicode=True,
                                                              sort_keys=False)


def test_timings_line_is_parsed() -> None:
    stderr = 'warning: x\ntimings: {"parse": 1.5, "validate": 0.5, "engine": {"a": 2}}\n'
    assert cli_bench.parse_timings(stderr) == {"parse": 1.5, "validate": 0.5, "engine.a": 2.0}
    assert cli_bench.parse_timings("timings: not json\n") is None
    m = cli_bench.Measurement("check", expected_exit=1, timings={"parse": 1.5, "validate": 0.5})
    assert m.load_basis() == 2.0


def test_process_measurement_reports_exit_code_and_failure(tmp_path: Path) -> None:
    p = cli_bench.run_process([sys.executable, "-c", "import sys; sys.exit(3)"], 60, tmp_path)
    assert p.exit == 3 and p.wall > 0 and p.peak_mb > 1
    m = cli_bench.Measurement("check", "two", 10, "json", 1, expected_exit=1)
    cli_bench.measure(m, [sys.executable, "-c", "import sys; sys.exit(3)"], 1, 60, tmp_path)
    assert not m.ok and m.status().startswith("FAILED: 3")
    m = cli_bench.Measurement("rejected", "two", 10, "json", 1, expected_exit=2)
    cli_bench.measure(m, [sys.executable, "-c", "import sys; print('f.json:1:9: bad', "
                          "file=sys.stderr); sys.exit(2)"], 1, 60, tmp_path,
                      located=Path("f.json"))
    assert m.ok and m.located


def test_child_peak_rss_is_not_the_harness_peak(tmp_path: Path) -> None:
    """Linux carries the exec caller's high-water mark into the new program's ru_maxrss:
    the harness's own memory must not show up as the child's peak."""
    ballast = bytearray(300 * 2**20)
    ballast[::4096] = b"\1" * len(range(0, len(ballast), 4096))  # resident, not just mapped
    p = cli_bench.run_process([sys.executable, "-c", "pass"], 60, tmp_path)
    assert p.exit == 0
    assert 1 < p.peak_mb < 150, p.peak_mb
    del ballast
