"""The Dask backend on a LocalCluster gives the single-process report."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuling_compliance import evaluate, load_facts, load_rules

pytest.importorskip("distributed")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fuling-2026q2.yaml"


def test_local_cluster_report_is_identical() -> None:
    from fuling_compliance.engine.dask_backend import dask_executor

    rules, facts = load_rules(), load_facts(EXAMPLE)
    single = evaluate(rules, facts, all_outcomes=True).to_json()
    with dask_executor(n_workers=2) as executor:
        distributed = evaluate(rules, facts, all_outcomes=True, executor=executor).to_json()
    assert distributed == single
