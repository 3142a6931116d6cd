"""Fact loading: every integrity problem reported at once, with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuling_compliance import FactsError, load_facts, load_facts_data

GOOD = """\
as_of: 2026-06-30T23:59:59+08:00
suppliers:
  - {id: S1, name: 涪陵供电}
areas:
  - {id: A1, supplier_id: S1}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(paths: list[Path]) -> list[tuple[str, int | None, int | None, str | None,
                                                   str | None, str | None, str]]:
    with pytest.raises(FactsError) as info:
        load_facts(paths)
    return [(Path(p.file or "").name, p.line, p.column, p.collection, p.record, p.field, p.code)
            for p in info.value.problems]


def test_good_file_loads(tmp_path: Path) -> None:
    facts = load_facts(write(tmp_path, "f.yaml", GOOD))
    assert [s.id for s in facts.suppliers] == ["S1"]
    assert facts.as_of is not None and facts.as_of.utcoffset().total_seconds() == 8 * 3600


def col(text: str, line: int, needle: str) -> int:
    return text.splitlines()[line - 1].index(needle) + 1


def test_every_problem_at_once_with_positions(tmp_path: Path) -> None:
    text = GOOD + """\
outlets:
  - {id: O1, supplier_id: S1, area_id: A1, kind: shop}
  - {id: O2, supplier_id: S1, area_id: A9}
  - {id: O4, supplier_id: S1, area_id: A1, transport_accessible: maybe}
  - {id: O3, supplier_id: S1, area_id: A1}
  - {id: O3, supplier_id: S1, area_id: A1}
surveys:
  - {id: V1, supplier_id: S1, respondents: 10, satisfied: 12}
applications:
  - {id: P1, supplier_id: S1, business_type: x, submitted_at: 2026-06-02T10:00:00,
     completed_at: 2026-06-01T10:00:00}
staff:
  - {id: E1, supplier_id: S1, role: counter}
  - {supplier_id: S1}
"""
    found = problems_of([write(tmp_path, "f.yaml", text)])
    expected = {
        ("f.yaml", 7, col(text, 7, "kind"), "outlets", "O1", "kind", "enum"),
        ("f.yaml", 8, col(text, 8, "area_id"), "outlets", "O2", "area_id", "dangling_reference"),
        ("f.yaml", 9, col(text, 9, "transport"), "outlets", "O4", "transport_accessible",
         "type"),
        ("f.yaml", 11, col(text, 11, "id"), "outlets", "O3", "id", "duplicate_id"),
        ("f.yaml", 13, col(text, 13, "satisfied"), "surveys", "V1", "satisfied",
         "impossible_value"),
        ("f.yaml", 16, col(text, 16, "completed_at"), "applications", "P1", "completed_at",
         "impossible_value"),
        ("f.yaml", 19, col(text, 19, "{"), "staff", "#2", "id", "missing"),
    }
    assert set(found) == expected


def test_problems_across_files_and_duplicate_ids_between_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml",
              "areas:\n  - {id: A1, supplier_id: S1}\n  - {id: A2, supplier_id: S2}\n")
    found = problems_of([a, b])
    assert ("b.yaml", 2, 6, "areas", "A1", "id", "duplicate_id") in found
    assert ("b.yaml", 3, 14, "areas", "A2", "supplier_id", "dangling_reference") in found


def test_collections_concatenate_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml", "areas:\n  - {id: A2, supplier_id: S1}\n")
    assert [x.id for x in load_facts([a, b]).areas] == ["A1", "A2"]


def test_unknown_fields_are_kept_and_warned(tmp_path: Path) -> None:
    text = GOOD.replace("name: 涪陵供电", "name: x, erp_code: 77") + "extras: [1]\n"
    facts = load_facts(write(tmp_path, "f.yaml", text))
    assert facts.suppliers[0].extra == {"erp_code": 77}
    assert any("erp_code" in w and ":3:" in w for w in facts.warnings)
    assert any("extras" in w for w in facts.warnings)


def test_cross_supplier_reference_is_rejected(tmp_path: Path) -> None:
    text = GOOD + "  - {id: S2, supplier_id: S1}\n"
    text = text.replace("suppliers:\n  - {id: S1, name: 涪陵供电}",
                        "suppliers:\n  - {id: S1}\n  - {id: S2}")
    text += "outlets:\n  - {id: O1, supplier_id: S2, area_id: A1}\n"
    found = problems_of([write(tmp_path, "f.yaml", text)])
    assert any(f[6] == "cross_supplier_reference" and f[5] == "area_id" for f in found)


def test_event_null_and_unknown_are_distinct_but_both_allowed(tmp_path: Path) -> None:
    text = GOOD + ("appointments:\n  - {id: P1, supplier_id: S1, scheduled_start: 2026-06-01T09:00,"
                   " arrived_at: null, status: scheduled}\n")
    facts = load_facts(write(tmp_path, "f.yaml", text))
    assert facts.appointments[0].arrived_at is None  # type: ignore[attr-defined]


def test_naive_datetimes_are_chongqing_time() -> None:
    facts = load_facts_data({"suppliers": [{"id": "S1"}], "appointments": [
        {"id": "P1", "supplier_id": "S1", "scheduled_start": "2026-06-01T09:00:00"}]})
    start = facts.appointments[0].scheduled_start  # type: ignore[attr-defined]
    assert start.isoformat() == "2026-06-01T09:00:00+08:00"


def test_wrong_top_level_and_wrong_collection_shapes(tmp_path: Path) -> None:
    assert problems_of([write(tmp_path, "a.yaml", "- 1\n- 2\n")])[0][6] == "type"
    found = problems_of([write(tmp_path, "b.yaml", "suppliers: {id: S1}\n")])
    assert found == [("b.yaml", 1, 1, "suppliers", None, None, "type")]


def test_format_must_match(tmp_path: Path) -> None:
    found = problems_of([write(tmp_path, "a.yaml", "format: fuling-compliance/facts/v9\n")])
    assert found[0][5] == "format"


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    found = problems_of([tmp_path / "nope.yaml"])
    assert found[0][6] == "unreadable"


def test_nothing_half_loaded(tmp_path: Path) -> None:
    good = write(tmp_path, "a.yaml", GOOD)
    bad = write(tmp_path, "b.yaml", "areas:\n  - {id: A3}\n")
    with pytest.raises(FactsError):
        load_facts([good, bad])
