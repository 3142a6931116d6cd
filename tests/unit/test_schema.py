"""The JSON Schemas: shipped in ``schemas/``, in sync with the models, and they work.

An independent validator (``jsonschema``) accepts every rule file and every example
fact file against the schema it names on its first line, accepts a real report, and
rejects broken files. JSON Schema knows no dates: YAML is read here with dates and
times kept as text, as an editor's YAML language server reads it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from click.testing import CliRunner

from fuling_compliance import evaluate, load_facts_data, load_rules
from fuling_compliance.cli import app
from fuling_compliance.reports.schemas import (
    FACTS_MODELINE,
    RULES_MODELINE,
    SCHEMA_NAMES,
    file_name,
    json_schema,
    schema_text,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


class _TextDates(yaml.SafeLoader):
    """Safe YAML with timestamps (and 9:30-style sexagesimals) left as text."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int",
                           "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TextDates.add_implicit_resolver("tag:yaml.org,2002:int",
                                 re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_TextDates.add_implicit_resolver("tag:yaml.org,2002:float",
                                 re.compile(r"^[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?$"),
                                 list("-+0123456789"))


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_TextDates)  # a SafeLoader subclass


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / file_name(name)).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def declared_schema(path: Path) -> str | None:
    """The schema a file names on its first line (``rules`` / ``facts``), if any."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    match = MODELINE.match(first)
    if match is None:
        return None
    return Path(match.group(1)).name.removesuffix(".schema.json")


def errors(name: str, data: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(data)]


# ----------------------------------------------------------------------------- in sync
@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_shipped_schema_is_the_generated_one(name: str) -> None:
    shipped = (SCHEMAS / file_name(name)).read_text(encoding="utf-8")
    assert shipped == schema_text(name), (
        f"schemas/{file_name(name)} is stale: run "
        f"fuling-compliance schema {name} --output schemas/{file_name(name)}")


def test_schema_command_prints_the_shipped_schema() -> None:
    result = CliRunner().invoke(app, ["schema", "rules"])
    assert result.exit_code == 0
    assert result.stdout == (SCHEMAS / "rules.schema.json").read_text(encoding="utf-8")
    assert CliRunner().invoke(app, ["schema", "rule"]).exit_code == 2


# ----------------------------------------------------------------------------- files
#: the rule files (a rules folder also holds fields files and ruleset.yaml)
RULE_FILES = sorted(Path(f) for f in load_rules().files)
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
    (ROOT / "examples").glob("*.json"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_rule_file_names_and_passes_the_rules_schema(path: Path) -> None:
    assert path.read_text(encoding="utf-8").split("\n", 1)[0] == RULES_MODELINE
    assert errors("rules", load_yaml(path.read_text(encoding="utf-8"))) == []


def test_every_example_passes_the_schema_it_names() -> None:
    checked = 0
    for path in EXAMPLE_FILES:
        name = declared_schema(path)
        if name is None:
            continue
        assert (SCHEMAS / file_name(name)).is_file(), f"{path.name} names a missing schema"
        assert errors(name, load_yaml(path.read_text(encoding="utf-8"))) == [], path.name
        checked += 1
    example = ROOT / "examples" / "fuling-2026q2.yaml"
    if not example.is_file():
        pytest.skip("examples/fuling-2026q2.yaml is not there yet")
    assert example.read_text(encoding="utf-8").split("\n", 1)[0] == FACTS_MODELINE
    assert checked >= 1


def test_a_real_report_passes_the_report_schema() -> None:
    rules = load_rules().select(["OUT-01", "OUT-03", "CMP-01"])
    facts = load_facts_data({
        "as_of": "2026-06-30T18:00:00+08:00",
        "suppliers": [{"id": "S1"}],
        "areas": [{"id": "A1", "supplier_id": "S1"}],
        "outlets": [{"id": "O1", "supplier_id": "S1", "area_id": "A1"}],
        "complaints": [{"id": "C1", "supplier_id": "S1", "major": True, "channel": "phone",
                        "written_record": False}],
    })
    report = json.loads(evaluate(rules, facts, all_outcomes=True).to_json())
    assert {f["status"] for f in report["findings"]} == {"pass", "insufficient_data", "fail"}
    assert errors("report", report) == []
    report["summary"]["passed"] = 1
    assert errors("report", report) != []


# ----------------------------------------------------------------------------- broken files
BROKEN_RULES = {
    "unknown severity": ("severity: medium", "severity: hihg"),
    "misspelled key": ("    message:", "    mesage:"),
    "two operators": ("eq: completed}", "eq: completed, ne: cancelled}"),
    "no operator": ("{field: status, eq: completed}", "{field: status}"),
    "plus and minus": ("plus: {param: late_grace_minutes}}",
                       "plus: {param: late_grace_minutes}, minus: 5}"),
    "unknown clause": ("clause: 3.2.4", 'clause: "3.2.9"'),
    "unknown collection": ("subject: appointments", "subject: appointment"),
    "bad rule id": ("id: VIS-02", "id: VIS-2"),
}


VALID_RULES = """\
# yaml-language-server: $schema=../schemas/rules.schema.json
format: fuling-compliance/rules/v1
family: "3.2"
title: {zh: 上门服务, en: Home visits}
rules:
  - id: VIS-02
    clause: 3.2.4
    clause_text: 供电供气选择上门服务时不得迟到
    title: {zh: 上门服务迟到, en: Late for a home visit}
    severity: medium
    subject: appointments
    applies_when: {field: status, eq: completed}
    fails_when:
      field: arrived_at
      gt: {field: scheduled_start, plus: {param: late_grace_minutes}}
    parameters:
      late_grace_minutes: {value: 0, unit: minutes, source: policy, note: 不得迟到}
    message: {zh: "上门服务 {id} 迟到", en: "Home visit {id}: late"}
"""


@pytest.mark.parametrize("change", list(BROKEN_RULES.values()), ids=list(BROKEN_RULES))
def test_a_broken_rule_file_is_rejected(change: tuple[str, str]) -> None:
    text = VALID_RULES
    assert errors("rules", load_yaml(text)) == []
    old, new = change
    assert old in text
    assert errors("rules", load_yaml(text.replace(old, new, 1))) != []


def test_a_broken_fact_file_is_rejected() -> None:
    good = {"format": "fuling-compliance/facts/v1", "as_of": "2026-06-30T18:00:00+08:00",
            "surveys": [{"id": "M1", "supplier_id": "S1", "respondents": 10, "satisfied": 9}]}
    assert errors("facts", good) == []
    for broken in (
        {**good, "surveys": [{"id": "M1", "supplier_id": "S1", "respondents": "many"}]},
        {**good, "surveys": [{"supplier_id": "S1"}]},
        {**good, "format": "facts/v2"},
        {**good, "outlets": [{"id": "O1", "supplier_id": "S1", "area_id": "A1",
                              "kind": "shop"}]},
    ):
        assert errors("facts", broken) != [], broken
    # a misspelt collection is kept and ignored by the loader (with a warning): the
    # schema, which says exactly what the loader accepts, accepts it too
    assert errors("facts", {**good, "complaint": []}) == []


def test_schema_constraints_match_the_model() -> None:
    """What the schema adds (operators, enumerations) is what the loader enforces."""
    rules = json_schema("rules")["$defs"]
    assert {"required": ["eq"]} in rules["Compare"]["oneOf"]
    assert "3.2.4" in rules["Rule"]["properties"]["clause"]["enum"]
    assert "appointments" in rules["Rule"]["properties"]["subject"]["enum"]
