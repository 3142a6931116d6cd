"""The engine's session plan: bounded sessions, every subject once, every join inside.

A district has one power and one gas supplier, so a supplier holds most records; no
durable_rules session may grow with the size of a supplier (engine/run.py).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from fuling_compliance import load_facts_data, load_rules
from fuling_compliance.engine import run as plan
from fuling_compliance.facts.model import FactSet


def one_supplier_district(seed: int = 1) -> FactSet:
    """One supplier with many areas, outlets, staff, checks and applications."""
    rng = random.Random(seed)
    doc: dict[str, Any] = {"suppliers": [{"id": "S1", "utility": "electricity"}],
                           "commission": {"supervision_phone": "023-72221234"}}
    doc["areas"] = [{"id": f"A{i}", "supplier_id": "S1"} for i in range(700)]
    doc["outlets"] = [{"id": f"O{i}", "supplier_id": "S1", "area_id": f"A{rng.randrange(650)}",
                       "kind": rng.choice(["own", "bank", "partner"])} for i in range(900)]
    doc["staff"] = [{"id": f"E{i}", "supplier_id": "S1", "role": "counter"} for i in range(60)]
    doc["staff_checks"] = [{"id": f"C{i}", "staff_id": f"E{rng.randrange(60)}",
                            "at": "2026-06-01T10:00:00", "uniform": True} for i in range(1500)]
    doc["business_services"] = [{"supplier_id": "S1", "business_type": t, "time_limit": 5,
                                 "time_limit_unit": "working_days"} for t in ("a", "b")]
    doc["applications"] = [{"id": f"P{i}", "supplier_id": "S1",
                            "business_type": rng.choice("abc"),
                            "submitted_at": "2026-06-01T10:00:00"} for i in range(1200)]
    doc["disclosures"] = [{"supplier_id": "S1", "item": "supervision_phone", "published": True,
                           "value": "023-72221234"}]
    return load_facts_data(doc)


@pytest.fixture(scope="module")
def facts() -> FactSet:
    return one_supplier_district()


@pytest.mark.parametrize("size", [50, 250])
def test_sessions_are_bounded_and_hold_every_join(facts: FactSet, size: int) -> None:
    for key, _ in plan.chunks(load_rules().compiled):
        shards = plan.shards(key, facts, size)
        subjects = [i for s in shards for i in s.subjects]
        assert sorted(subjects) == list(range(len(facts.rows(key.subject)))), key
        for shard in shards:
            broadcast = sum(len(shard.related.get(c, ())) for c in key.broadcast)
            biggest_group = _largest_related_group(key, facts)
            assert shard.size() - broadcast <= max(size, biggest_group + 1), key
            if key.fields:
                _assert_joins_inside(key, facts, shard)
        if key.related and len(facts.rows(key.subject)) > size:
            assert len(shards) > 1, key  # a big supplier is spread over several sessions


def _values(facts: FactSet, collection: str, fields: tuple[str, ...], i: int) -> tuple[Any, ...]:
    row, rid = facts.rows(collection)[i], facts.ids(collection)[i]
    return tuple(rid if f == "id" else row.get(f) for f in fields)


def _largest_related_group(key: plan.JoinKey, facts: FactSet) -> int:
    sizes: dict[tuple[Any, ...], int] = {}
    for collection, fields in key.related:
        for i in range(len(facts.rows(collection))):
            value = _values(facts, collection, fields, i)
            sizes[value] = sizes.get(value, 0) + 1
    return max(sizes.values(), default=0)


def _assert_joins_inside(key: plan.JoinKey, facts: FactSet, shard: plan.Shard) -> None:
    """Every related record sharing a subject's key value is in that subject's session."""
    for collection, fields in key.related:
        inside = set(shard.related.get(collection, ()))
        wanted = {_values(facts, key.subject, key.fields, i) for i in shard.subjects}
        for i in range(len(facts.rows(collection))):
            if _values(facts, collection, fields, i) in wanted:
                assert i in inside, (key, collection, i)


def test_small_sessions_give_the_same_outcomes(facts: FactSet) -> None:
    rules = load_rules()
    as_of = plan.resolve_as_of("2026-06-30T23:59:59+08:00", facts)
    whole = plan.run(rules.compiled, facts, as_of, rules.calendar, session_size=100_000)
    small = plan.run(rules.compiled, facts, as_of, rules.calendar, session_size=40)
    assert small.codes == whole.codes
