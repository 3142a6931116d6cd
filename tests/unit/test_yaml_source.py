"""Safe reading with positions and limits (yaml_source)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fuling_compliance.yaml_source import MAX_ALIASES, MAX_DEPTH, parse_text, read_document


def test_positions_of_keys_and_items() -> None:
    data, problems = parse_text("a: 1\nb:\n  - x\n  - {c: 2}\n")
    assert problems == []
    assert data.at("b") == (2, 1)
    assert data["b"].at(1) == (4, 5)
    assert data["b"][1].at("c") == (4, 6)


def test_times_stay_text_and_numbers_stay_numbers() -> None:
    data, _ = parse_text("t: 9:30\nn: 12\nf: 1.5\nb: true\n")
    assert data == {"t": "9:30", "n": 12, "f": 1.5, "b": True}


def test_duplicate_key_is_an_error_with_position() -> None:
    data, problems = parse_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert data is None
    assert [(p.code, p.line, p.column) for p in problems] == [("duplicate_key", 3, 1)]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    start = time.perf_counter()
    data, problems = parse_text("\n".join(lines))
    assert time.perf_counter() - start < 1.0
    assert data is None
    assert problems[0].code == "alias_expansion"


def test_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    data, problems = parse_text(text)
    assert data is None and problems[0].code == "too_many_aliases"


def test_a_few_aliases_are_fine() -> None:
    data, problems = parse_text("base: &b {x: 1}\none: *b\ntwo: *b\n")
    assert problems == []
    assert data["two"] == {"x": 1}


def test_absurd_nesting_is_refused() -> None:
    data, problems = parse_text("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))
    assert data is None
    assert problems[0].code == "too_deep"


def test_deep_nesting_does_not_crash_the_parser() -> None:
    data, problems = parse_text("[" * 50_000 + "]" * 50_000)
    assert data is None and problems


def test_size_limit_with_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("suppliers: []\n" + "# padding\n" * 1000, encoding="utf-8")
    data, problems = read_document(path, max_bytes=100)
    assert data is None and problems[0].code == "too_large"
    assert "--max-bytes" in problems[0].message
    data, problems = read_document(path, max_bytes=1_000_000)
    assert problems == [] and data == {"suppliers": []}
    monkeypatch.setenv("FULING_MAX_BYTES", "50")
    assert read_document(path)[1][0].code == "too_large"


def test_syntax_error_has_position() -> None:
    _, problems = parse_text("a: [1, 2\nb: 3\n", "x.yaml")
    assert problems[0].code == "syntax"
    assert problems[0].file == "x.yaml" and problems[0].line is not None


def test_unsafe_tags_are_rejected() -> None:
    data, problems = parse_text("a: !!python/object/apply:os.system ['true']\n")
    assert data is None and problems[0].code == "syntax"


RECORDS = """\
appointments:
  - id: SM-1
    yes: 1
    2026-05-01: date key
    12: number key
    ?
    : null key
    empty:
    quoted: "08:30"
    single: 'x'
    tagged: !!str 12
    anchored: &a 5
    again: *a
    nested: {a: 1}
    list: [1, 2]
    after: plain
    at: 2026-04-14 10:30:00+08:00
    flag: false
    none: null
  - <<: {x: 1, y: 2}
    y: 3
    id: SM-2
  - &rec {id: SM-3, kind: own}
"""


def test_records_read_fast_are_the_records_read_with_positions() -> None:
    """Records are read pair by pair in a tight loop when positions are not kept; what
    it leaves to the general loop (tags, anchors, nesting, merges) must read the same."""
    import yaml

    fast, problems = parse_text(RECORDS, positions=False)
    slow, slow_problems = parse_text(RECORDS, positions=True)
    assert problems == [] and slow_problems == []
    assert fast == slow
    expected = yaml.safe_load(RECORDS)
    expected["appointments"][0] = {str(k): v for k, v in expected["appointments"][0].items()}
    assert fast == expected


@pytest.mark.parametrize("positions", [False, True])
def test_a_duplicate_key_in_a_record_is_placed_either_way(positions: bool) -> None:
    _, problems = parse_text("r:\n  - id: 1\n    a: 1\n    a: 2\n", positions=positions)
    assert [(p.line, p.column, p.code) for p in problems] == [(4, 5, "duplicate_key")]
