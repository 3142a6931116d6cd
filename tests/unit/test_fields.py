"""Fields declared in YAML (``fuling-compliance/fields/v1``): declared, validated, used.

The worked example ``examples/fields`` declares ``outlets.price_list_displayed`` (boolean)
and ``outlets.price_list_medium`` (enum) and a rule (PRC-01) using the first. Every
consumer must see them: the facts loader, spreadsheets, rules, the engine, explain, the
rule book, the schema, sessions. Declarations that cannot work are located errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from fuling_compliance import (
    FactsError,
    RulesError,
    evaluate,
    load_facts,
    load_facts_data,
    load_rules,
)
from fuling_compliance.cli import app
from fuling_compliance.engine.session import Session
from fuling_compliance.facts.fields import BUILTIN, default_fields
from fuling_compliance.facts.workbook import export, write_template
from fuling_compliance.reports.explain import explain
from fuling_compliance.reports.rulebook import build_book, render_markdown
from fuling_compliance.reports.schemas import json_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fields"
FACTS = EXAMPLE / "facts.yaml"


@pytest.fixture(scope="module")
def rules() -> Any:
    """The bundled rules plus the example's fields and rule."""
    return load_rules([ROOT / "rules", EXAMPLE / "rules"])


def outcome(report: Any, rule: str, subject: str) -> str:
    found = [f.status for f in report.findings if f.rule == rule and f.subject.id == subject]
    assert len(found) == 1, found
    return str(found[0])


# ----------------------------------------------------------------------------- the example
def test_the_example_declares_its_fields_and_the_bundled_rules_none(rules: Any) -> None:
    declared = {(f.collection, f.name): f for f in rules.fields.declared()}
    assert set(declared) == {("outlets", "price_list_displayed"),
                             ("outlets", "price_list_medium")}
    assert declared[("outlets", "price_list_displayed")].kind == "bool"
    assert declared[("outlets", "price_list_medium")].values == ("paper", "screen")
    assert rules.fields.label("outlets", "price_list_displayed") == "价目表已公示"
    assert load_rules().fields == BUILTIN == default_fields()
    assert "PRC-01" in {r.id for r in rules} and "PRC-01" not in {r.id for r in load_rules()}


def test_the_example_evaluates_with_the_declared_field(rules: Any) -> None:
    facts = load_facts(FACTS, rules=rules)
    assert facts.warnings == ()
    assert facts.records("outlets")[1].price_list_displayed is False
    report = evaluate(rules, facts, all_outcomes=True)
    assert outcome(report, "PRC-01", "pw-o1") == "pass"
    assert outcome(report, "PRC-01", "pw-o2") == "fail"
    assert outcome(report, "PRC-01", "pw-o3") == "insufficient_data"  # null = unknown


def test_the_cli_checks_the_example_with_both_rule_folders() -> None:
    result = CliRunner().invoke(app, ["check", str(FACTS), "--rules", str(ROOT / "rules"),
                                      "--rules", str(EXAMPLE / "rules"), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    prc = {f["subject"]["id"]: f["status"] for f in report["findings"] if f["rule"] == "PRC-01"}
    assert prc == {"pw-o2": "fail", "pw-o3": "insufficient_data"}
    assert "unknown field" not in result.stderr


def test_without_the_rules_a_declared_field_is_an_unknown_field_kept_and_warned(
        rules: Any) -> None:
    facts = load_facts(FACTS)  # the bundled rules' fields: nothing declared
    assert any("price_list_displayed" in w and "unknown field" in w for w in facts.warnings)
    assert facts.records("outlets")[1].extra["price_list_displayed"] is False
    with pytest.raises(FactsError) as caught:
        evaluate(rules, facts)
    assert "price_list_displayed" in str(caught.value)
    assert "rules=" in caught.value.problems[0].message


def test_a_declared_field_is_validated_like_a_built_in_one(rules: Any) -> None:
    doc = {"suppliers": [{"id": "S1"}], "areas": [{"id": "A1", "supplier_id": "S1"}],
           "outlets": [{"id": "O1", "supplier_id": "S1", "area_id": "A1",
                        "price_list_displayed": "yes", "price_list_medium": "poster"}]}
    with pytest.raises(FactsError) as caught:
        load_facts_data(doc, rules=rules)
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"price_list_displayed", "price_list_medium"}
    assert "true or false" in problems["price_list_displayed"].message
    assert "paper" in problems["price_list_medium"].message
    assert problems["price_list_medium"].record == "O1"
    assert problems["price_list_medium"].line is not None


def test_declared_values_read_from_labels_in_spreadsheets_and_back(rules: Any,
                                                                  tmp_path: Path) -> None:
    book = write_template(tmp_path / "t.xlsx", rules.fields)
    sheet = openpyxl.load_workbook(book)["outlets"]
    headers = [c.value for c in sheet[1]]
    assert "价目表已公示 (price_list_displayed)" in headers
    assert "价目表形式 (price_list_medium)" in headers
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    column = {h: openpyxl.utils.get_column_letter(i) for i, h in enumerate(headers, 1)}
    displayed = column["价目表已公示 (price_list_displayed)"]
    medium = column["价目表形式 (price_list_medium)"]
    assert lists[f"{displayed}3:{displayed}1048576"] == '"是,否"'
    assert lists[f"{medium}3:{medium}1048576"] == '"纸质,电子屏"'
    note = sheet[f"{displayed}2"].value
    assert "现场检查" in note  # the declared note is the guidance
    facts = load_facts(FACTS, rules=rules)
    written = export(facts, tmp_path / "facts.xlsx")[0]
    medium_cells = [c.value for c in openpyxl.load_workbook(written)["outlets"][medium]]
    assert "电子屏" in medium_cells
    again = load_facts(written, rules=rules)
    assert [r.values for r in again.records("outlets")] == \
        [r.values for r in facts.records("outlets")]
    folder = export(facts, tmp_path / "csv")[0].parent
    assert load_facts(folder, rules=rules).records("outlets")[0].price_list_medium == "screen"


def test_the_template_command_takes_the_rules(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(app, ["template", str(out), "--rules", str(ROOT / "rules"),
                                      "--rules", str(EXAMPLE / "rules")])
    assert result.exit_code == 0, result.output
    headers = [c.value for c in openpyxl.load_workbook(out)["outlets"][1]]
    assert "价目表已公示 (price_list_displayed)" in headers


def test_the_facts_schema_describes_declared_fields(rules: Any) -> None:
    outlet = json_schema("facts", rules)["$defs"]["Outlet"]["properties"]
    assert outlet["price_list_displayed"]["title"].startswith("价目表已公示")
    assert {"type": "boolean"} in outlet["price_list_displayed"]["anyOf"]
    assert {"enum": ["paper", "screen"]} in outlet["price_list_medium"]["anyOf"]
    assert "price_list_displayed" not in json_schema("facts")["$defs"]["Outlet"]["properties"]
    result = CliRunner().invoke(app, ["schema", "facts", "--rules", str(ROOT / "rules"),
                                      "--rules", str(EXAMPLE / "rules")])
    assert result.exit_code == 0, result.output
    assert "price_list_medium" in result.stdout


def test_explain_and_the_rule_book_name_declared_fields_by_their_labels(rules: Any) -> None:
    facts = load_facts(FACTS, rules=rules)
    text = explain(rules, facts, "PRC-01", "pw-o2")[0].render()
    assert "价目表已公示" in text and "结论：不合规" in text
    pages = render_markdown(build_book(rules, []))
    page = pages["3.3.5-price-list.md"]
    assert "价目表已公示（price_list_displayed）" in page
    assert "## 新增字段" in pages["README.md"]
    assert "price_list_medium" in pages["README.md"] and "电子屏（screen）" in pages["README.md"]
    assert "## 新增字段" not in render_markdown(build_book(load_rules(), []))["README.md"]


def test_a_session_validates_changes_with_the_declared_fields(rules: Any) -> None:
    facts = load_facts(FACTS, rules=rules)
    with Session(rules, facts) as session:
        outlet = session.records["outlets"]["pw-o3"].to_dict()
        changes = session.update("outlets", {**outlet, "price_list_displayed": False})
        assert [(c.rule, c.subject_id, c.before, c.after) for c in changes
                if c.rule == "PRC-01"] == [("PRC-01", "pw-o3", "insufficient_data", "fail")]
        with pytest.raises(FactsError):
            session.update("outlets", {**outlet, "price_list_displayed": "maybe"})


def test_a_rule_naming_a_declared_field_wrongly_gets_a_suggestion(tmp_path: Path) -> None:
    rule = (EXAMPLE / "rules" / "3.3.5-price-list.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "ext"
    folder.mkdir()
    (folder / "fields.yaml").write_text(
        (EXAMPLE / "rules" / "fields.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "prc.yaml").write_text(
        rule.replace("requires: [price_list_displayed]", "requires: [price_list_display]"),
        encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([ROOT / "rules", folder])
    [problem] = caught.value.problems
    assert problem.code == "unknown_field"
    assert "did you mean 'price_list_displayed'" in problem.message


# ----------------------------------------------------------------------------- declarations
GOOD = """\
format: fuling-compliance/fields/v1
fields:
  outlets:
    price_list_displayed:
      type: boolean
      label: {zh: 价目表已公示, en: Price list displayed}
"""

# (case, replace this, with this, code, text the problem points at, words in the message)
DECLARATION_CASES = [
    ("built-in field", "price_list_displayed:", "signage_visible:", "builtin_field",
     "signage_visible:", "built-in field 'signage_visible'"),
    ("reserved name", "price_list_displayed:", "as_of:", "reserved_name", "as_of:",
     "reserved"),
    ("reserved id", "price_list_displayed:", "id:", "builtin_field", "id:", "built-in"),
    ("engine suffix", "price_list_displayed:", "checked__day:", "reserved_name",
     "checked__day:", "'__day'"),
    ("not a key", "price_list_displayed:", "价目表:", "field_name", "价目表:",
     "lowercase letters"),
    ("unknown collection", "  outlets:", "  outlet:", "unknown_collection", "outlet:",
     "did you mean 'outlets'"),
    ("collection by its Chinese label", "  outlets:", "  服务网点:", "unknown_collection",
     "服务网点:", "did you mean 'outlets'"),
    ("unknown type", "type: boolean", "type: bool", "unknown_type", "type: bool",
     "did you mean 'boolean'"),
    ("misspelled type", "type: boolean", "type: boolen", "unknown_type", "type: boolen",
     "did you mean 'boolean'"),
    ("enum without values", "type: boolean", "type: enum", "values", "type: enum",
     "values: [a, b]"),
    ("values on a boolean", "type: boolean", "type: boolean\n      values: [a, b]", "values",
     "values:", "enum and list fields only"),
    ("unknown key", "type: boolean", "typ: boolean", "unknown_key", "typ:",
     "did you mean 'type'"),
    ("no label", "      label: {zh: 价目表已公示, en: Price list displayed}\n", "", "missing",
     "price_list_displayed:", "label"),
    ("label of a built-in field", "zh: 价目表已公示", "zh: 交通方便", "duplicate_label",
     "price_list_displayed:", "transport_accessible"),
    ("value label of no value", "type: boolean",
     "type: enum\n      values: [paper, screen]\n      value_labels: {papr: 纸质}", "values",
     "papr:", "did you mean 'paper'"),
]


@pytest.mark.parametrize(("old", "new", "code", "where", "words"),
                         [c[1:] for c in DECLARATION_CASES],
                         ids=[c[0] for c in DECLARATION_CASES])
def test_a_declaration_that_cannot_work_is_a_located_error(
        tmp_path: Path, old: str, new: str, code: str, where: str, words: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = tmp_path / "fields.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([ROOT / "rules", path])
    matching = [p for p in caught.value.problems if p.code == code]
    assert matching, [p.render("en") for p in caught.value.problems]
    problem = matching[0]
    index = text.index(where)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    assert (problem.file, problem.line, problem.column) == (str(path), line, column)
    assert words in problem.message
    assert problem.message_zh


def test_the_good_declaration_loads(tmp_path: Path) -> None:
    path = tmp_path / "fields.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert [f.name for f in load_rules([ROOT / "rules", path]).fields.declared()] == \
        ["price_list_displayed"]


def test_a_field_declared_in_two_files_names_both(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([ROOT / "rules", tmp_path])
    [problem] = caught.value.problems
    assert problem.code == "duplicate_field"
    assert problem.file == str(tmp_path / "b.yaml") and f"{tmp_path / 'a.yaml'}:4" in \
        problem.message


def test_a_file_of_an_unknown_format_is_named(tmp_path: Path) -> None:
    path = tmp_path / "fields.yaml"
    path.write_text(GOOD.replace("fields/v1", "field/v1"), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([ROOT / "rules", path])
    [problem] = caught.value.problems
    assert (problem.code, problem.line, problem.column) == ("format", 1, 1)
    assert "did you mean 'fuling-compliance/fields/v1'" in problem.message
