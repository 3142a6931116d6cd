"""Reports under the catalogue's decided readings (1.1): the same facts give the same
report (reading 7), findings cite the related record the engine bound, contradictions
are warnings, and dated parameters show the value in force for each record."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_oracle_agreement import bench_module

from fuling_compliance import evaluate, load_facts, load_facts_data, load_rules
from fuling_compliance.facts.model import COLLECTIONS
from fuling_compliance.reports.coverage import scan_features
from fuling_compliance.reports.explain import explain
from fuling_compliance.reports.rulebook import build_book, render_markdown

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
RULES = load_rules()


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    """Generated facts with several supervision numbers per supplier, contradictions,
    unknown `published`, candidate first starts (benchmarks/generate.py)."""
    doc: dict[str, Any] = bench_module("generate").generate(1500, 3)
    return doc


def split_and_shuffle(doc: dict[str, Any], tmp_path: Path, seed: int) -> list[Path]:
    """The document's records shuffled within each collection and dealt over three
    files (a collection often split between files), the files in a random order."""
    rng = random.Random(seed)
    parts: list[dict[str, Any]] = [{"as_of": doc["as_of"]}, {}, {}]
    for name in COLLECTIONS:
        value = doc.get(name)
        if value is None:
            continue
        if isinstance(value, dict):
            parts[rng.randrange(3)][name] = value
            continue
        records = list(value)
        rng.shuffle(records)
        for record in records:
            parts[rng.randrange(3)].setdefault(name, []).append(record)
    paths = []
    for i in rng.sample(range(3), 3):
        path = tmp_path / f"seed{seed}-part{i}.json"
        path.write_text(json.dumps(parts[i], ensure_ascii=False, default=str), encoding="utf-8")
        paths.append(path)
    return paths


def test_the_example_split_and_shuffled_gives_the_same_whole_report(tmp_path: Path) -> None:
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    base = evaluate(RULES, load_facts(EXAMPLE), all_outcomes=True).to_json()
    for seed in (1, 2):
        paths = split_and_shuffle(doc, tmp_path, seed)
        assert evaluate(RULES, load_facts(paths), all_outcomes=True).to_json() == base


def test_generated_facts_split_and_shuffled_give_the_same_whole_report(
        generated: dict[str, Any], tmp_path: Path) -> None:
    base = evaluate(RULES, load_facts_data(generated), all_outcomes=True).to_json()
    assert '"disclosure.value"' in base and "contradict each other" in base
    for seed in (3, 4):
        paths = split_and_shuffle(generated, tmp_path, seed)
        assert evaluate(RULES, load_facts(paths), all_outcomes=True).to_json() == base


def test_workers_and_executors_cite_the_same_records(generated: dict[str, Any]) -> None:
    facts = load_facts_data(generated)
    base = evaluate(RULES, facts, all_outcomes=True).to_json()
    assert evaluate(RULES, facts, all_outcomes=True, workers=2).to_json() == base
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert evaluate(RULES, facts, all_outcomes=True, executor=pool).to_json() == base


def test_a_finding_cites_the_related_record_that_failed() -> None:
    """Two published supervision numbers, one wrong: the message shows the wrong one,
    whichever comes first in the facts."""
    numbers = [{"supplier_id": "S1", "item": "supervision_phone", "published": True,
                "channel": c, "value": v} for c, v in (("网站", "023-72221234"),
                                                         ("营业厅", "023-72229999"))]
    for order in (numbers, numbers[::-1]):
        facts = load_facts_data({"commission": {"supervision_phone": "02372221234"},
                                 "suppliers": [{"id": "S1", "name": "甲"}],
                                 "disclosures": order})
        finding = evaluate(RULES.select(["DIS-06"]), facts, "2026-06-30T00:00:00+08:00"
                           ).findings[0]
        assert finding.status == "fail"
        assert "公开的监督电话为 023-72229999" in finding.message.zh
        assert finding.evidence["disclosure.value"] == "023-72229999"


def test_contradictions_are_warnings_that_name_the_record_not_the_file(
        tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("suppliers: [{id: S1}]\nappointments:\n  - {id: V1, supplier_id: S1, "
                 "status: cancelled, arrived_at: 2026-06-01T09:00:00+08:00}\n",
                 encoding="utf-8")
    b.write_text("complaints:\n  - {id: C1, supplier_id: S1, concerns: internal, "
                 "substantiated: true}\n  - {id: C2, concerns: internal}\n", encoding="utf-8")
    one = load_facts([a, b]).warnings
    assert one == load_facts([b, a]).warnings
    assert [w.split(":")[0] for w in one] == [
        "appointments[V1].status, arrived_at", "complaints[C1].substantiated, verified_at"]
    assert not any("a.yaml" in w or "b.yaml" in w for w in one)


DATED = {"reply_days": {"unit": "working_days", "source": "policy", "note": "测试",
                        "values": [{"from": "2026-01-01", "value": 10},
                                   {"from": "2026-07-01", "value": 5}]}}


@pytest.fixture(scope="module")
def dated_rules(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("rules")
    doc = yaml.safe_load((ROOT / "rules" / "4-5-complaints.yaml").read_text(encoding="utf-8"))
    for rule in doc["rules"]:
        if rule["id"] == "CMP-04":
            rule["parameters"] = DATED
    (folder / "4-5.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                     encoding="utf-8")
    return load_rules(folder / "4-5.yaml").select(["CMP-04"])


def test_explain_shows_the_value_in_force_for_the_record(dated_rules: Any) -> None:
    facts = load_facts_data({"suppliers": [{"id": "S1"}], "complaints": [
        {"id": "C1", "supplier_id": "S1", "concerns": "internal",
         "received_at": "2026-07-01T09:00:00+08:00", "replied_at": "2026-07-09T09:00:00+08:00"}]})
    e = explain(dated_rules, facts, "CMP-04", "C1", as_of="2026-07-31T00:00:00+08:00")[0]
    assert e.engine_outcome == "fail" and e.agrees
    text = e.render()
    assert "reply_days = 5 个工作日（按对象日期适用" in text
    assert "受理时间 2026-07-01 09:00 + 5 个工作日" in text
    data = e.to_dict()["parameters"]["reply_days"]
    assert data["value"] == 5 and [v["value"] for v in data["values"]] == [10, 5]


def test_the_rule_book_lists_dated_values(dated_rules: Any) -> None:
    book = build_book(dated_rules, scan_features(ROOT / "features"))
    page = "\n".join(render_markdown(book).values())
    assert "10 个工作日（2026-01-01 起）；5 个工作日（2026-07-01 起）" in page
