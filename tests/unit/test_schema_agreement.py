"""``schemas/facts.schema.json`` accepts exactly what the loader accepts, field by field.

Checked with ``jsonschema`` (format checking on, although the schema uses patterns, not
formats): the bundled example and generated fact sets validate; and on records changed
in one field by hypothesis — wrong types, impossible dates and times, datetimes at the
ends of the range, padded or overlong text, negative counts — the schema and the
loader's validator (``facts/validate.py``) agree on every one. What no JSON Schema can
say (references between records, duplicate ids, cross-record consistency) is the
loader's alone; those checks are not exercised here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_oracle_agreement import bench_module

from fuling_compliance import FactsError, load_facts_data
from fuling_compliance.facts.model import COLLECTIONS, field_specs
from fuling_compliance.facts.validate import MAX_ID, MAX_TEXT, validator
from fuling_compliance.reports.schemas import json_schema
from fuling_compliance.yaml_source import read_document

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
#: property-test examples: FULING_FUZZ_EXAMPLES for a longer run
EXAMPLES = int(os.environ.get("FULING_FUZZ_EXAMPLES", "150"))


def _plain(value: Any) -> Any:
    """YAML values as JSON text has them (dates and times as ISO text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


@cache
def schema_validator() -> jsonschema.Draft202012Validator:
    schema = json_schema("facts")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_accepts(doc: Any) -> bool:
    return schema_validator().is_valid(doc)


@cache
def example() -> dict[str, Any]:
    data, problems = read_document(EXAMPLE, positions=False)
    assert not problems
    plain: dict[str, Any] = _plain(data)
    return plain


def test_the_example_and_generated_sets_validate() -> None:
    errors = [e.message for e in schema_validator().iter_errors(example())]
    assert errors == []
    generate = bench_module("generate")
    for seed, size in ((1, 1500), (7, 400)):
        doc = json.loads(json.dumps(generate.generate(size, seed), default=str))
        assert [e.message for e in schema_validator().iter_errors(doc)][:3] == []
        load_facts_data(doc)  # and the loader, of course


# ----------------------------------------------------------------------------- one field
def record_schema(collection: str) -> dict[str, Any]:
    schema = json_schema("facts")
    ref = schema["properties"][collection]["anyOf"][0]
    ref = ref.get("items", ref)["$ref"]
    return {"$defs": schema["$defs"], "$ref": ref}


@cache
def record_validator(collection: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        record_schema(collection),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def base_record(collection: str) -> dict[str, Any]:
    value = example()[collection]
    record: dict[str, Any] = dict(value if isinstance(value, dict) else value[0])
    return record


def loader_accepts(collection: str, record: dict[str, Any]) -> bool:
    rows, errors = validator(collection).validate([record])
    return not errors and len(rows) == 1


#: whitespace the loader strips (and a few it keeps as text)
SPACES = st.sampled_from([" ", "\t", "\n", "\r", "\u3000", "\xa0", ""])
DIGITS = st.from_regex(r"\A[0-9]{1,2}\Z")


def _pad(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(SPACES, strategy, SPACES).map("".join)


DATE_LIKE = st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.dates().map(dt.date.isoformat),
    st.sampled_from(["2024-02-29", "2026-02-29", "1900-02-29", "2000-02-29", "0000-01-01",
                     "0001-01-01", "9999-12-31", "2026-13-01", "2026-6-1"]))
TIME_LIKE = st.one_of(
    st.from_regex(r"\A[0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z"),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.sampled_from(["24:00", "23:59:60", "9:30", "08:30:00.5"]))
OFFSET = st.one_of(st.just(""), st.just("Z"),
                   st.from_regex(r"\A[+-][0-9]{2}:[0-9]{2}\Z"),
                   st.sampled_from(["+08:00", "-12:00", "+23:59", "+24:00", "+00:00:01"]))
DATETIME_LIKE = st.one_of(
    st.tuples(DATE_LIKE, st.sampled_from(["T", " ", "t"]), TIME_LIKE,
              st.sampled_from(["", ".5", ".123456", ".1234567"]), OFFSET).map("".join),
    st.datetimes(min_value=dt.datetime(1, 1, 1)).map(
        lambda d: d.isoformat(timespec="seconds")),
    st.sampled_from(["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+08:00",
                     "0002-01-01T00:00:00+23:59", "9998-12-31T23:59:59-23:59",
                     "2026-06-30T25:61:00", "2026-06-30T10:00"]))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="\x1c\x1d\x1e\x1f"),
               max_size=12)
LONG = st.sampled_from([MAX_ID - 1, MAX_ID, MAX_ID + 1, MAX_TEXT, MAX_TEXT + 1]).map(
    lambda n: "字" * n)
NUMBERS = st.one_of(st.integers(min_value=-10, max_value=10),
                    st.integers(min_value=-(10 ** 205), max_value=10 ** 205),
                    st.sampled_from([10 ** MAX_ID - 1, 10 ** MAX_ID, -(10 ** (MAX_ID - 1))]),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([3.0, -1.0, 0.5, 1e300]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, _pad(TEXT), LONG, _pad(DATE_LIKE),
                    _pad(TIME_LIKE), _pad(DATETIME_LIKE))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(st.text(max_size=3), SCALARS, max_size=2))


def _field_values(collection: str) -> st.SearchStrategy[tuple[str, Any]]:
    specs = field_specs(collection)
    words = sorted({v for s in specs.values() for v in s.values}) or ["x"]
    enum_values = st.sampled_from(words)
    return st.tuples(st.sampled_from(sorted(specs)),
                     st.one_of(VALUES, enum_values, _pad(enum_values),
                               st.lists(enum_values, max_size=3)))


CHANGES = st.sampled_from(sorted(COLLECTIONS)).flatmap(
    lambda c: st.tuples(st.just(c), _field_values(c)))


@settings(max_examples=EXAMPLES * 4, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES)
def test_schema_and_loader_agree_on_every_field(change: tuple[str, tuple[str, Any]]) -> None:
    collection, (name, value) = change
    record = {**base_record(collection), name: value}
    loader = loader_accepts(collection, record)
    schema = record_validator(collection).is_valid(record)
    assert loader == schema, (collection, name, value, "loader" if loader else "schema")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(st.one_of(_pad(DATETIME_LIKE), DATE_LIKE, NUMBERS, st.none(), TEXT))
def test_schema_and_loader_agree_on_as_of(as_of: Any) -> None:
    doc = {"format": "fuling-compliance/facts/v1", "as_of": as_of}
    try:
        load_facts_data(doc)
        loader = True
    except FactsError:
        loader = False
    assert loader == schema_accepts(doc), as_of


@pytest.mark.parametrize("doc", [
    {"format": "facts/v2"}, {"format": None}, {"suppliers": {"id": "S1"}},
    {"commission": []}, {"suppliers": [5]}, {"suppliers": [{"name": "no id"}]},
])
def test_schema_rejects_what_the_loader_rejects_at_the_top(doc: dict[str, Any]) -> None:
    with pytest.raises(FactsError):
        load_facts_data(doc)
    assert not schema_accepts(doc)
