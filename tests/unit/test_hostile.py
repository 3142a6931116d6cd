"""Inputs from a careless or hostile user: every one is a located problem (exit 2),
never a traceback, a hang or a dead process.

Fact files in YAML and JSON, rule files and calendar files; the same through
``load_facts_data`` for values that only Python data can hold.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fuling_compliance import (
    FactsError,
    FulingError,
    InputError,
    evaluate,
    load_facts,
    load_facts_data,
    load_rules,
)
from fuling_compliance.cli import app
from fuling_compliance.rules.load import bundled_rules_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
SUPPLIER = "{id: S1, name: 涪陵供电, utility: electricity}"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def rejected(args: list[str], *words: str) -> str:
    """Run the CLI; assert exit 2 with a located problem and no traceback."""
    code, out, err = invoke(*args, "--lang", "en")
    assert code == 2, (code, out, err)
    assert "Traceback" not in err + out
    for word in words:
        assert word in out + err, (word, out, err)
    return out + err


# ----------------------------------------------------------------------------- facts
#: (YAML text, JSON document or None, words of the problem, line of the problem)
FACT_CASES: dict[str, tuple[str, Any, str, int]] = {
    "impossible date": ("as_of: 2026-02-30\n", {"as_of": "2026-02-30T00:00:00"},
                        "2026-02-30", 1),
    "impossible time": (f"suppliers:\n  - {SUPPLIER}\nappointments:\n"
                        "  - {id: A1, supplier_id: S1, scheduled_start: 2026-06-30T25:61:00}\n",
                        {"suppliers": [{"id": "S1", "name": "x", "utility": "electricity"}],
                         "appointments": [{"id": "A1", "supplier_id": "S1",
                                           "scheduled_start": "2026-06-30T25:61:00"}]},
                        "2026-06-30T25:61:00", 4),
    "not a timestamp": ("as_of: !!timestamp 'not-a-date'\n", None, "not-a-date", 1),
    "seconds in an offset": ("as_of: 2026-06-30T10:00:00+00:00:01\n",
                             {"as_of": "2026-06-30T10:00:00+00:00:01"}, "+00:00:01", 1),
    "4,301 digits": ("suppliers:\n  - {id: S1, name: x, utility: electricity, n: "
                     + "9" * 4301 + "}\n", None, "4301 digits", 2),
    "end of the range": ("as_of: 9999-12-31T23:59:59-12:00\n",
                         {"as_of": "9999-12-31T23:59:59-12:00"}, "outside", 1),
    "a record in year 1": (f"suppliers:\n  - {SUPPLIER}\nappointments:\n"
                           "  - {id: A1, supplier_id: S1, "
                           "scheduled_start: 0001-01-01T00:00:00+08:00}\n",
                           {"suppliers": [{"id": "S1", "name": "x", "utility": "electricity"}],
                            "appointments": [{"id": "A1", "supplier_id": "S1",
                                              "scheduled_start": "0001-01-01T00:00:00+14:00"}]},
                           "outside", 4),
    "an id too long": ("suppliers:\n  - {id: " + "s" * 2_000_000 + ", name: x, "
                       "utility: electricity}\n",
                       {"suppliers": [{"id": "s" * 2_000_000, "name": "x",
                                       "utility": "electricity"}]}, "longer than 200", 2),
    "a text too long": ("suppliers:\n  - {id: S1, name: " + "字" * 20_001
                        + ", utility: electricity}\n",
                        {"suppliers": [{"id": "S1", "name": "字" * 20_001,
                                        "utility": "electricity"}]}, "longer than 20000", 2),
    "not a number": ("assessments:\n  - {id: K1, score: .nan}\n",
                     None, "score", 2),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                   + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                             for p, c in zip("abcdefg", "bcdefgh", strict=True)),
                   None, "alias", 0),
    "deep nesting": ("suppliers: " + "[" * 100 + "]" * 100 + "\n",
                     {"suppliers": [{"id": "S1", "name": json.loads("[" * 100 + "]" * 100),
                                     "utility": "electricity"}]}, "", 0),
    "very deep nesting": ("suppliers: " + "[" * 100_000 + "]" * 100_000 + "\n",
                          {"suppliers": "[" * 100_000 + "]" * 100_000}, "", 0),
}


@pytest.mark.parametrize("case", sorted(FACT_CASES))
def test_hostile_fact_files_are_located_problems(case: str, tmp_path: Path) -> None:
    text, doc, words, line = FACT_CASES[case]
    path = tmp_path / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    err = rejected(["check", str(path)], words, "nesting" if "nesting" in case else "")
    if line:
        assert f"{path}:{line}:" in err
    with pytest.raises(FactsError) as caught:
        load_facts(path)
    assert caught.value.problems
    if doc is not None:
        as_json = tmp_path / "facts.json"
        text = json.dumps(doc, ensure_ascii=False)
        if case == "very deep nesting":
            text = '{"suppliers": ' + doc["suppliers"] + "}"
        as_json.write_text(text, encoding="utf-8")
        rejected(["check", str(as_json)], words)


def test_json_with_a_lone_surrogate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text('{"suppliers": [{"id": "S1\\ud800", "name": "x", "utility": "electricity"}]}',
                    encoding="utf-8")
    rejected(["check", str(path)], "surrogate")
    # a proper pair is an emoji, and fine
    path.write_text('{"suppliers": [{"id": "S1", "name": "\\ud83d\\ude00", '
                    '"utility": "electricity"}]}', encoding="utf-8")
    assert load_facts(path).rows("suppliers")[0]["name"] == "\U0001f600"


def test_dev_zero_is_refused_without_reading_it() -> None:
    start = time.perf_counter()
    rejected(["check", "/dev/zero"], "NUL")
    assert time.perf_counter() - start < 5


def test_a_file_over_the_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(10_000_000)  # sparse: never read
    rejected(["check", str(path), "--max-bytes", "1000"], "larger than the limit")
    code, _, _ = invoke("check", str(path), "--max-bytes", "-1")
    assert code == 2  # a usage error


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+08:00",
                                   "2026-02-30T00:00:00", "yesterday",
                                   "2026-06-30T10:00:00+00:00:01"])
def test_as_of_on_the_command_line_is_checked(as_of: str) -> None:
    code, _, err = invoke("check", str(EXAMPLE), "--as-of", as_of)
    assert code == 2 and "--as-of" in err and "Traceback" not in err


def test_as_of_argument_of_evaluate_is_an_input_error() -> None:
    facts = load_facts_data({"suppliers": []})
    for as_of in ("9999-12-31T23:59:59-12:00", "not a date",
                  dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(-dt.timedelta(hours=12)))):
        with pytest.raises(InputError, match="as_of"):
            evaluate(load_rules(), facts, as_of)  # type: ignore[arg-type]


def test_the_ends_of_the_range_are_evaluated() -> None:
    """Datetimes of years 2 to 9998 and any date (9999-12-31: a common "never expires")."""
    facts = load_facts_data({
        "as_of": "2026-06-30T23:59:59+08:00",
        "suppliers": [{"id": "S1", "name": "x", "utility": "electricity"}],
        "staff": [{"id": "P1", "supplier_id": "S1", "name": "x", "role": "counter",
                   "certificate_valid_until": "9999-12-31"}],
        "appointments": [{"id": "A1", "supplier_id": "S1",
                          "booked_at": "0002-01-01T00:00:00+23:59",
                          "scheduled_start": "9998-12-31T23:59:59-23:59",
                          "status": "scheduled"}],
    })
    report = evaluate(load_rules(), facts)
    assert report.summary.fail + report.summary.pass_ >= 0  # evaluated, no exception


# ----------------------------------------------------------------------------- Python data
class _Opaque:
    pass


class _BadZone(dt.tzinfo):
    def utcoffset(self, _: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("no offset")


@pytest.mark.parametrize("value", [
    decimal.Decimal("1.5"), {1, 2}, b"x", dt.timedelta(days=1), 1j, _Opaque(), (1, 2),
    {(1, 2): 3}, float("nan"), float("inf"), 10 ** 5000, "x\ud800", {"k\udc00": 1},
    dt.datetime(2026, 1, 1, tzinfo=_BadZone()), bytearray(b"x"), range(3),
], ids=lambda v: type(v).__name__)
def test_load_facts_data_refuses_what_json_cannot_hold(value: Any) -> None:
    doc = {"suppliers": [{"id": "S1", "name": "x", "utility": "electricity", "extra": value}]}
    with pytest.raises(FactsError) as caught:
        load_facts_data(doc)
    assert caught.value.problems[0].field == "suppliers[0].extra"


def test_load_facts_data_refuses_non_finite_numbers_in_number_fields() -> None:
    with pytest.raises(FactsError, match="score"):
        load_facts_data({"suppliers": [{"id": "S1", "name": "x", "utility": "electricity"}],
                         "assessments": [{"id": "K1", "supplier_id": "S1",
                                          "score": float("nan")}]})


# ----------------------------------------------------------------------------- rules
@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _rejected_rules(rules: Path, *words: str) -> None:
    for args in (["validate", str(rules)], ["check", str(EXAMPLE), "--rules", str(rules)]):
        rejected(args, *words)


def test_rule_file_with_an_impossible_date(rules_copy: Path) -> None:
    path = rules_copy / "3.2-staff-visits.yaml"
    _edit(path, "  - id: ", "  - effective_from: 2026-02-30\n    id: ")
    _rejected_rules(rules_copy, "2026-02-30", f"{path}:")


def test_renaming_a_related_record_is_a_located_problem(rules_copy: Path) -> None:
    path = rules_copy / "3.4-hotline-systems.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  - id: LIM-01"), text.index("  - id: LIM-02")
    path.write_text(text[:start] + text[start:end].replace("      service: {", "      svc: {")
                    + text[end:], encoding="utf-8")
    _rejected_rules(rules_copy, "svc.time_limit", "[LIM-01]")
    # only the unit's field renamed
    path.write_text(text[:start] + text[start:end].replace(
        "unit: {field: service.time_limit_unit}", "unit: {field: svc.time_limit_unit}")
        + text[end:], encoding="utf-8")
    _rejected_rules(rules_copy, "unit.field", "service.time_limit_unit")


@pytest.mark.parametrize(("text", "words"), [
    ("", "year"),
    ("year: 2026\nholidays: [2026-13-01]\n", "2026-13-01"),
    ("year: 2026\nholidays: 5\n", "list"),
    ("year: 9999\n", "9999"),
    ("year: true\n", "year"),
    ("[1, 2]\n", "year"),
])
def test_hostile_calendar_files(rules_copy: Path, text: str, words: str) -> None:
    (rules_copy / "calendar" / "2026.yaml").write_text(text, encoding="utf-8")
    _rejected_rules(rules_copy, words, "2026.yaml")


def test_library_errors_only(rules_copy: Path) -> None:
    """load_rules raises RulesError (a FulingError) for all of the above."""
    (rules_copy / "calendar" / "2026.yaml").write_text("", encoding="utf-8")
    with pytest.raises(FulingError):
        load_rules(rules_copy)


# ----------------------------------------------------------------------------- at the limits
def _example_doc() -> dict[str, Any]:
    from fuling_compliance.yaml_source import read_document

    data, problems = read_document(EXAMPLE, positions=False)
    assert not problems
    doc: dict[str, Any] = data
    return doc


def test_the_engine_survives_facts_at_the_limits() -> None:
    """200-character ids (suppliers: every join and partition; staff: a joined rule) and
    20,000-character texts in the fields that reach durable_rules: the same outcomes."""
    from fuling_compliance.facts.validate import MAX_ID, MAX_TEXT

    doc = _example_doc()
    long_ids: dict[str, str] = {}

    def longer(value: str) -> str:
        return long_ids.setdefault(value, (value + "-" + "长" * MAX_ID)[:MAX_ID - 3]
                                   + f"{len(long_ids):03d}")

    for collection in ("suppliers", "staff"):
        for record in doc[collection]:
            record["id"] = longer(record["id"])
    from fuling_compliance.facts.model import REFERENCES

    for (source, key), target in REFERENCES.items():
        records = doc.get(source)
        for record in records if isinstance(records, list) else [records] if records else []:
            if target in ("suppliers", "staff") and record.get(key) in long_ids:
                record[key] = long_ids[record[key]]
    for record in doc["appointment_changes"]:
        if record.get("reason"):
            record["reason"] = (record["reason"] + "。" * MAX_TEXT)[:MAX_TEXT]
    for record in doc["disclosures"]:
        if isinstance(record.get("value"), str):
            record["value"] = (record["value"] + " 说明" * MAX_TEXT)[:MAX_TEXT]
    assert max(map(len, long_ids.values())) == MAX_ID
    rules = load_rules()
    before = evaluate(rules, load_facts(EXAMPLE))
    after = evaluate(rules, load_facts_data(doc), isolated=True)
    assert after.summary == before.summary
    assert [r.model_dump() for r in after.rules] == [r.model_dump() for r in before.rules]


# ----------------------------------------------------------------------------- found by fuzzing
def test_an_empty_shift_in_a_rule_file_is_refused_at_once(rules_copy: Path) -> None:
    """The rule-file error pruning looped forever on ``plus: {}`` (found by test_fuzz)."""
    path = rules_copy / "1-6-7-commission.yaml"
    _edit(path, "gt: {field: date, plus: {param: publish_days}}", "gt: {field: date, plus: {}}")
    start = time.perf_counter()
    with pytest.raises(FulingError):
        load_rules(path)
    assert time.perf_counter() - start < 10


def test_a_text_parameter_used_as_an_amount_is_located(rules_copy: Path) -> None:
    """Compilation crashed with a TypeError (found by test_fuzz)."""
    path = rules_copy / "4-5-complaints.yaml"
    _edit(path, "      reply_days:\n        value: 10\n",
          "      reply_days:\n        value: '9:30'\n")
    _rejected_rules(rules_copy, "reply_days", "not a number")


def test_a_related_record_without_match_is_evaluated(rules_copy: Path) -> None:
    """A joined collection none of whose fields a rule reads was a KeyError in the
    runner (found by test_fuzz)."""
    path = rules_copy / "3.1-outlets.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("related:")
    line_end = text.index("\n", text.index("outlet:", start))
    related = text[start:line_end]
    assert "match:" in related, related
    unmatched = re.sub(r",?\s*match: \{[^}]*\}", "", related)
    path.write_text(text[:start] + unmatched + text[line_end:], encoding="utf-8")
    ruleset = load_rules(path)
    report = evaluate(ruleset, load_facts(EXAMPLE))
    assert report.ruleset.rules == len(ruleset)


def test_an_empty_required_text_is_refused() -> None:
    """An application with ``business_type: ""`` (a join key) got no outcome at all: an
    EngineError (found by test_fuzz). Required text must now say something."""
    doc = _example_doc()
    doc["applications"][0]["business_type"] = "  "
    with pytest.raises(FactsError, match="must not be empty"):
        load_facts_data(doc)


@pytest.mark.parametrize("value", [10 ** 20, 2 ** 62, -(10 ** 12)])
def test_counts_beyond_twelve_digits_are_refused(value: int) -> None:
    """10**20 respondents made durable_rules refuse the fact (EngineError); 2**62 times a
    percentage wrapped around in 64 bits (found by test_fuzz)."""
    doc = _example_doc()
    doc["surveys"][0]["respondents"] = value
    with pytest.raises(FactsError, match=r"12 digits|negative"):
        load_facts_data(doc)
    doc["surveys"][0]["respondents"] = 10 ** 12 - 1
    doc["surveys"][0]["satisfied"] = 10 ** 12 - 2
    evaluate(load_rules(), load_facts_data(doc))


@pytest.mark.parametrize("value", ["100000000000000000000", ".inf", ".nan"])
def test_numbers_in_rule_files_the_engine_cannot_hold(rules_copy: Path, value: str) -> None:
    """A 20-digit parameter made durable_rules refuse the compiled ruleset (found by
    test_fuzz); infinity would have become null in its JSON."""
    path = rules_copy / "4-5-complaints.yaml"
    _edit(path, "      reply_days:\n        value: 10\n",
          f"      reply_days:\n        value: {value}\n")
    _rejected_rules(rules_copy, "reply_days")
