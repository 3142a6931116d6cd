"""durable_rules' pitfalls, each with the safeguard that handles it.

Every test here fails if its safeguard in ``engine.py``/``compile.py`` is removed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import durable_rules_engine
import pytest

from fuling_compliance import EngineError
from fuling_compliance.engine import durable as eng
from fuling_compliance.engine.durable import EngineRun, IdAllocator, engine_run, fnv1_32

GATE = {"_k": "__gate__"}


def area_without_outlet() -> dict[str, Any]:
    """OUT-01's shape: an area with no outlet (negation), gate first."""
    return {"all": [{"gate": {"_k": "__gate__"}}, {"subj": {"_k": "areas"}},
                    {"o$not": {"$and": [{"_k": "outlets"}, {"area_id": {"subj": "rid"}}]}}],
            "dist": 0}


def run(definitions: dict[str, Any], facts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    with engine_run(definitions, {f["_k"] for f in facts} | {"__gate__"}) as r:
        return sorted((f.rule_name, f.subject_id)
                      for f in r.evaluate_partition("p", facts, GATE))


# ----------------------------------------------------------------- identity collisions
def colliding_pair() -> tuple[str, str]:
    seen: dict[int, str] = {}
    i = 0
    while True:
        text = f"k{i}"
        h = fnv1_32(text)
        if h in seen:
            return seen[h], text
        seen[h] = text
        i += 1


def in_subprocess(code: str) -> str:
    """Run ``code`` in a fresh interpreter: a collision leaves the C heap unsafe."""
    import subprocess
    import sys
    import textwrap

    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=120, cwd=str(Path(__file__).parents[2]))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_fnv1_32_is_the_engines_hash_and_collisions_lose_facts_silently() -> None:
    a, b = colliding_pair()
    assert a != b and fnv1_32(a) == fnv1_32(b)
    out = in_subprocess(f"""
        import json, durable_rules_engine
        from durable import engine
        class Quiet(engine.Host):
            def _run(self): pass
        host = Quiet()
        host.set_rulesets({{"raw": {{"r": {{"all": [{{"m": {{"_k": "areas"}}}}],
                                           "run": lambda c: None}}}}}})
        rs = host.get_ruleset("raw")
        try:
            rs.assert_facts([{{"id": {a!r}, "sid": "s", "_k": "areas", "rid": "A1"}},
                             {{"id": {b!r}, "sid": "s", "_k": "areas", "rid": "A2"}}])
        except Exception as exc:
            print("raised", type(exc).__name__)
        print("stored", len(json.loads(durable_rules_engine.get_facts(rs._handle, "s"))))
    """)
    assert "stored 1" in out  # one of two distinct facts gone


def test_allocator_never_hands_out_colliding_ids() -> None:
    allocator = IdAllocator(hash_function=lambda text: len(text) % 7)  # collides constantly
    ids = [allocator.next() for _ in range(7)]
    assert len({len(i) % 7 for i in ids}) == 7
    many = eng.allocated_ids(200_000)
    assert len({fnv1_32(i) for i in many}) == len(many)
    assert eng.allocated_ids(5) == many[:5]  # the same sequence for every session


def test_a_lost_fact_is_detected() -> None:
    a, b = colliding_pair()
    out = in_subprocess(f"""
        from fuling_compliance import EngineError
        from fuling_compliance.engine import durable as eng
        eng.allocated_ids = lambda n: [{a!r}, {b!r}, "gate-id"][:n]
        rule = {{"all": [{{"gate": {{"_k": "__gate__"}}}}, {{"subj": {{"_k": "areas"}}}}]}}
        try:
            with eng.engine_run({{"r": rule}}, {{"areas"}}) as r:
                r.evaluate_partition("p", [{{"_k": "areas", "rid": "A1"}},
                                           {{"_k": "areas", "rid": "A2"}}], {{"_k": "__gate__"}})
            print("not detected")
        except EngineError as exc:
            print("EngineError", exc)
    """)
    assert out.startswith("EngineError")


# ----------------------------------------------------------------- negation and order
def test_negation_sees_facts_asserted_after_the_subject() -> None:
    facts = [{"_k": "areas", "rid": "A1"}, {"_k": "areas", "rid": "A2"},
             {"_k": "outlets", "rid": "O1", "area_id": "A1"}]
    assert run({"r": area_without_outlet()}, facts) == [("r", "A2")]
    assert run({"r": area_without_outlet()}, list(reversed(facts))) == [("r", "A2")]


def test_without_the_gate_negation_depends_on_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pitfall the gate exists for: the same rule without it fires wrongly."""
    monkeypatch.setattr(eng, "BATCH", 1)  # area and outlet arrive in separate batches
    no_gate = {"all": [{"subj": {"_k": "areas"}},
                       {"o$not": {"$and": [{"_k": "outlets"}, {"area_id": {"subj": "rid"}}]}}]}
    facts = [{"_k": "areas", "rid": "A1"}, {"_k": "outlets", "rid": "O1", "area_id": "A1"}]
    assert run({"r": no_gate}, facts) == [("r", "A1")]  # wrong: A1 has an outlet


def test_distinct_joins_would_hide_a_related_record() -> None:
    """dist 0: an outlet may be both 'an outlet' and 'an own outlet' of one area."""
    rule = {"all": [{"gate": {"_k": "__gate__"}}, {"subj": {"_k": "areas"}},
                    {"a": {"$and": [{"_k": "outlets"}, {"area_id": {"subj": "rid"}}]}},
                    {"b": {"$and": [{"_k": "outlets"}, {"area_id": {"subj": "rid"}},
                                    {"kind": "own"}]}}]}
    facts = [{"_k": "areas", "rid": "A1"},
             {"_k": "outlets", "rid": "O1", "area_id": "A1", "kind": "own"}]
    assert run({"r": {**rule, "dist": 0}}, facts) == [("r", "A1")]
    # the engine's default (distinct) gets this wrong or worse: every compiled rule says dist 0
    from fuling_compliance import load_rules

    for compiled in load_rules().compiled:
        assert all(d["dist"] == 0 for _, _, d in compiled.definitions.values())


# ----------------------------------------------------------------- firing
def test_firing_is_synchronous_and_complete() -> None:
    before = threading.active_count()
    facts = [{"_k": "areas", "rid": f"A{i}"} for i in range(20_000)]
    with engine_run({"r": area_without_outlet()}, {"areas"}) as r:
        fired = r.evaluate_partition("p", facts, GATE)
        assert threading.active_count() == before  # no dispatch threads started
    assert len(fired) == 20_000


def test_a_fact_no_rule_matches_does_not_fail_the_batch() -> None:
    rule = {"all": [{"gate": {"_k": "__gate__"}},
                    {"subj": {"$and": [{"_k": "areas"}, {"name": "x"}]}}]}
    facts = [{"_k": "areas", "rid": "A1", "name": "x"}, {"_k": "areas", "rid": "A2", "name": "y"}]
    assert run({"r": rule}, facts) == [("r", "A1")]


def test_without_the_sink_such_a_batch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eng, "NEVER_KIND", "areas")  # the sink now matches real facts...
    rule = {"all": [{"gate": {"_k": "__gate__"}},
                    {"subj": {"$and": [{"_k": "areas"}, {"name": "x"}]}}]}
    with engine_run({"r": rule}, set()) as r, pytest.raises(EngineError, match="did not handle"):
        r.evaluate_partition("p", [{"_k": "areas", "rid": "A2", "name": "y"}], GATE)


def test_an_unexpected_firing_is_an_error_not_ignored() -> None:
    """A firing that does not name its subject cannot be recorded: it must not vanish."""
    rule = {"all": [{"gate": {"_k": "__gate__"}}, {"other": {"_k": "areas"}}]}
    with pytest.raises(EngineError, match="unexpected firing"):
        run({"r": rule}, [{"_k": "areas", "rid": "A1"}])


def test_durable_rules_python_layer_is_never_used() -> None:
    """durable.engine's hosts dispatch actions from timer threads and swallow exceptions
    into the state: an evaluation never imports it, and starts no thread."""
    out = in_subprocess("""
        import sys, threading
        from fuling_compliance import evaluate, load_facts, load_rules
        evaluate(load_rules(), load_facts("examples/fuling-2026q2.yaml"))
        print("durable.engine" in sys.modules, threading.active_count())
    """)
    assert out.split() == ["False", "1"]


def test_missing_operand_field_is_guarded() -> None:
    """Arithmetic on a field the fact lacks crashes durable_rules: compile adds $ex first."""
    from fuling_compliance import load_rules

    for compiled in load_rules().compiled:
        for _, _, definition in compiled.definitions.values():
            for term in definition["all"]:
                (cond,) = term.values()
                conds = cond.get("$and", [cond])
                present = {k for c in conds if "$ex" in c for k in c["$ex"]}
                for c in conds:
                    for op in ("$lt", "$lte", "$gt", "$gte", "$neq"):
                        if op in c:
                            (field, _), = c[op].items()
                            assert field in present, (compiled.rule.id, c)


def test_state_and_ruleset_are_released() -> None:
    r = EngineRun({"r": area_without_outlet()}, {"areas"})
    r.evaluate_partition("p", [{"_k": "areas", "rid": "A1"}], GATE)
    with pytest.raises(durable_rules_engine.error):
        durable_rules_engine.get_facts(r.handle, "p")  # partition state deleted
    r.close()
    with pytest.raises(durable_rules_engine.error):
        durable_rules_engine.start_action(r.handle)  # ruleset deleted


def test_reserved_fields_are_ours() -> None:
    """Domain ids travel as rid; id/sid in the input never reach the engine."""
    facts = [{"_k": "areas", "rid": "A1", "id": "evil", "sid": "other"}]
    assert run({"r": area_without_outlet()}, facts) == [("r", "A1")]


def test_a_pooled_ruleset_is_reused_clean_and_closed_after_an_error() -> None:
    definitions = {"r1": {"all": [{"subj": {"$and": [{eng.KIND: "a"}, {"v": 1}]}}]}}

    def facts(v: int) -> list[dict[str, Any]]:
        return [{eng.KIND: "a", "v": v, "_i": 0, eng.RECORD_ID: "r"}]

    with eng.pooled(definitions, ["a"]) as first:
        assert first.fire("s1", facts(1), None) == [("r1", 0)]
    with eng.pooled(definitions, ["a"]) as again:
        assert again is first  # the same ruleset, given back
        assert again.fire("s1", facts(0), None) == []  # nothing left of the last session
        assert again.fire("s1", facts(1), None) == [("r1", 0)]
        assert again.fire("s1", facts(2), None) == []
    with pytest.raises(RuntimeError), eng.pooled(definitions, ["a"]) as failing:
        raise RuntimeError("a failure inside the block")
    with eng.pooled(definitions, ["a"]) as fresh:
        assert fresh is not failing and failing._closed  # not reused after an error
        assert fresh.fire("s1", facts(1), None) == [("r1", 0)]
    # an error caught inside the block: the ruleset is not given back either
    with eng.pooled(definitions, ["a"]) as refusing, pytest.raises(EngineError,
                                                                   match="refused"):
        refusing.fire("s1", [{**facts(1)[0], "v": 10**20}], None)
    with eng.pooled(definitions, ["a"]) as after:
        assert after is not refusing and refusing._closed


def test_the_pool_keeps_at_most_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eng, "MAX_IDLE", 2)
    runs = []
    for n in range(4):
        with eng.pooled({f"r{n}": {"all": [{"subj": {eng.KIND: "a"}}]}}, ["a"]) as run:
            runs.append(run)
    assert sum(len(idle) for idle in eng._IDLE.values()) <= 2
    assert runs[0]._closed and not runs[-1]._closed
