"""``validate``: every problem of a rule file, at once, each at its line and column.

Each case starts from one valid rule and breaks one thing; the problem must be found
with the position of the broken text (the line and column of the key or item that is
wrong), and a misspelling must come with a "did you mean".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fuling_compliance import Problem, validate_rule_files
from fuling_compliance.cli import app

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
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
    requires: [arrived_at]
    fails_when:
      field: arrived_at
      gt: {field: scheduled_start, plus: {param: late_grace_minutes}}
    parameters:
      late_grace_minutes:
        value: 0
        unit: minutes
        source: policy
        note: 不得迟到
    message:
      zh: 上门服务 {id}：约定 {scheduled_start}，实际 {arrived_at} 到达
      en: "Home visit {id}: agreed {scheduled_start}, arrived {arrived_at}"
"""


def position(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based line and column where the ``nth`` ``needle`` starts in ``text``."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def problems_of(tmp_path: Path, text: str, name: str = "rules.yaml") -> list[Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return validate_rule_files([path])


def found(problems: list[Problem], code: str) -> Problem:
    matching = [p for p in problems if p.code == code]
    assert matching, f"no {code!r} problem in {[p.render('en') for p in problems]}"
    return matching[0]


def test_the_valid_rule_and_the_bundled_rules_have_no_problem(tmp_path: Path) -> None:
    assert problems_of(tmp_path, VALID) == []
    assert validate_rule_files() == []


# (case, replace this, with this, problem code, where it points, words in the message)
CASES = [
    ("yaml syntax", "    severity: medium\n", "    severity: [medium\n", "syntax",
     ("subject:", 1), "YAML"),
    ("unknown key in a rule", "    message:\n", "    mesage:\n", "unknown_key",
     ("mesage", 1), "did you mean 'message'"),
    ("unknown key in a comparison", "      field: arrived_at", "      feild: arrived_at",
     "unknown_key", ("feild", 1), "did you mean 'field'"),
    ("misspelled operator", "{field: status, eq: completed}",
     "{field: status, eqq: completed}", "unknown_key", ("eqq", 1), "did you mean 'eq'"),
    ("misspelled condition", "applies_when: {field: status, eq: completed}",
     "applies_when: {al: [{field: status, eq: completed}]}", "unknown_key", ("al:", 1),
     "did you mean 'all'"),
    ("unknown key in a parameter", "        note: 不得迟到", "        notes: 不得迟到",
     "unknown_key", ("notes", 1), "did you mean 'note'"),
    ("wrong type: text for a list", "requires: [arrived_at]", "requires: arrived_at",
     "list_type", ("requires", 1), "list"),
    ("wrong type: a number for text", "clause: 3.2.4", "clause: 4", "type",
     ("clause", 1), "quotes"),
    ("wrong value in a union", "plus: {param: late_grace_minutes}}",
     "plus: {param: late_grace_minutes}, unit: minuts}", "literal_error", ("unit: minuts", 1),
     "did you mean 'minutes'"),
    ("unknown severity", "severity: medium", "severity: hihg", "literal_error",
     ("severity", 1), "did you mean 'high'"),
    ("field the subject does not have", "requires: [arrived_at]", "requires: [arived_at]",
     "unknown_field", ("arived_at", 1), "did you mean 'arrived_at'"),
    ("field in a condition the subject does not have", "      field: arrived_at",
     "      field: arrival", "unknown_field", ("field: arrival", 1), "appointments has no field"),
    ("date compared with a number", "gt: {field: scheduled_start, plus: {param: "
     "late_grace_minutes}}", "gt: {field: customer, plus: {param: late_grace_minutes}}",
     "type_mismatch", ("gt:", 1), "cannot compare datetime arrived_at with string customer"),
    ("time compared with a constant", "gt: {field: scheduled_start, plus: {param: "
     "late_grace_minutes}}", "gt: 5", "type_mismatch", ("gt:", 1), "another time"),
    ("value not in an enumeration", "eq: completed}", "eq: complete}", "unknown_value",
     ("eq: complete", 1), "did you mean 'completed'"),
    ("parameter used but not defined", "plus: {param: late_grace_minutes}",
     "plus: {param: late_grace_minute}", "undefined_parameter", ("param: late_grace_minute", 1),
     "did you mean 'late_grace_minutes'"),
    ("parameter defined but not used", "plus: {param: late_grace_minutes}", "plus: 0, "
     "unit: minutes", "unused_parameter", ("late_grace_minutes:", 1), "never used"),
    ("placeholder not available", "实际 {arrived_at} 到达", "实际 {arrived} 到达",
     "unknown_placeholder", ("zh: 上门服务 {id}", 1), "did you mean {arrived_at}"),
    ("clause that does not exist", "clause: 3.2.4", "clause: 3.2.9", "unknown_clause",
     ("clause: 3.2.9", 1), "does not exist"),
    ("quote of another clause", "clause: 3.2.4", "clause: 3.2.3", "clause_text",
     ("clause_text", 1), "quoted from clause 3.2.4"),
    ("dated values out of order", "        value: 0\n",
     "        values:\n          - {from: 2026-07-01, value: 0}\n"
     "          - {from: 2026-01-01, value: 5}\n", "dates", ("from: 2026-01-01", 1),
     "ascending, distinct dates"),
    ("dated values on one date twice", "        value: 0\n",
     "        values:\n          - {from: 2026-01-01, value: 0}\n"
     "          - {from: 2026-01-01, value: 5}\n", "dates", ("from: 2026-01-01", 2),
     "ascending, distinct dates"),
    ("both a value and dated values", "        value: 0\n",
     "        value: 0\n        values:\n          - {from: 2026-01-01, value: 5}\n",
     "value_error", ("late_grace_minutes:", 1), "not both"),
    ("a dated value of the wrong type", "        value: 0\n",
     "        values:\n          - {from: 2026-01-01, value: 0}\n"
     "          - {from: 2026-06-01, value: soon}\n", "type_mismatch",
     ("value: soon", 1), "is not a number"),
    ("an amount that is not a number", "        value: 0\n", "        value: soon\n",
     "type_mismatch", ("value: soon", 1), "is not a number"),
]


@pytest.mark.parametrize(("old", "new", "code", "where", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_found_at_its_place(tmp_path: Path, old: str, new: str, code: str,
                                            where: tuple[str, int], words: str) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    problem = found(problems_of(tmp_path, text), code)
    if code == "syntax":  # the parser notices at the next line, where the list cannot go on
        assert problem.line == position(text, *where)[0]
    else:
        assert (problem.line, problem.column) == position(text, *where)
    assert problem.file == str(tmp_path / "rules.yaml")
    assert words in problem.message


def test_problems_are_in_chinese_too(tmp_path: Path) -> None:
    problem = found(problems_of(tmp_path, VALID.replace("severity: medium", "severity: hihg")),
                    "literal_error")
    assert problem.message_zh == ("'hihg' 不是允许的取值，可选：high、medium、low、info"
                                  "（是否应为 'high'？）")
    assert problem.render("zh").startswith(f"{tmp_path / 'rules.yaml'}:10:5: [VIS-02].severity:")


def test_duplicate_rule_ids_in_one_file_and_across_files(tmp_path: Path) -> None:
    rule = VALID[VALID.index("  - id: VIS-02"):]
    text = VALID + rule
    problem = found(problems_of(tmp_path, text), "duplicate_rule")
    assert (problem.line, problem.column) == position(text, "id: VIS-02", 2)
    assert "also at" in problem.message
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(VALID, encoding="utf-8")
    problems = validate_rule_files([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert [(p.file, p.code) for p in problems] == [(str(tmp_path / "b.yaml"), "duplicate_rule")]


def test_an_item_that_is_not_a_value_of_its_field(tmp_path: Path) -> None:
    text = VALID.replace("    applies_when: {field: status, eq: completed}\n", "") \
        .replace("subject: appointments", "subject: suppliers") \
        .replace("requires: [arrived_at]", "items: [enquiry, halp]") \
        .replace("      field: arrived_at\n      gt: {field: scheduled_start, plus: {param: "
                 "late_grace_minutes}}", "      {field: hotline_accepts, lacks: {item: current}}") \
        .replace("    parameters:\n      late_grace_minutes:\n        value: 0\n        unit: "
                 "minutes\n        source: policy\n        note: 不得迟到\n", "") \
        .replace("{scheduled_start}", "{name}").replace("{arrived_at}", "{item}")
    problem = found(problems_of(tmp_path, text), "unknown_value")
    assert (problem.line, problem.column) == position(text, "halp")
    assert "did you mean 'help'" in problem.message


def test_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    """A shape error in one rule does not hide the other rules' problems."""
    second = VALID[VALID.index("  - id: VIS-02"):].replace("VIS-02", "VIS-06") \
        .replace("requires: [arrived_at]", "requires: [arived_at]")
    text = VALID.replace("severity: medium", "severity: hihg", 1) + second
    problems = problems_of(tmp_path, text)
    assert {(p.record, p.code) for p in problems} == {
        ("VIS-02", "literal_error"), ("VIS-06", "unknown_field")}


def test_one_typo_gives_one_message(tmp_path: Path) -> None:
    """pydantic explains every branch of a union; the author meant one."""
    text = VALID.replace("plus: {param: late_grace_minutes}}",
                         "plus: {param: late_grace_minutes}, unit: minuts}")
    assert [p.code for p in problems_of(tmp_path, text)] == ["literal_error"]
    text = VALID.replace("    message:\n", "    mesage:\n")
    assert [p.code for p in problems_of(tmp_path, text)] == ["unknown_key"]


# ----------------------------------------------------------------------------- command
def test_validate_command_exit_codes_and_output(tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""

    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("severity: medium", "severity: hihg"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad), "--lang", "en"])
    assert result.exit_code == 2  # rule files with problems are rejected input
    assert result.stdout.splitlines() == [
        f"{bad}:10:5: [VIS-02].severity: 'hihg' is not allowed: use one of high, medium, low, "
        "info (did you mean 'high'?)"]
    assert "1 problem found" in result.stderr

    result = runner.invoke(app, ["validate", str(bad), "--format", "json"])
    assert json.loads(result.stdout)[0]["line"] == 10
    assert json.loads(result.stdout)[0]["message"]["zh"].startswith("'hihg' 不是允许的取值")

    assert runner.invoke(app, ["validate", str(tmp_path / "missing.yaml")]).exit_code == 2
    not_rules = tmp_path / "notes.yaml"
    not_rules.write_text("just a sentence\n", encoding="utf-8")
    assert runner.invoke(app, ["validate", str(not_rules)]).exit_code == 2
    binary = tmp_path / "image.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert runner.invoke(app, ["validate", str(binary)]).exit_code == 2


def test_check_refuses_invalid_rules(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("severity: medium", "severity: hihg"), encoding="utf-8")
    facts = tmp_path / "facts.yaml"
    facts.write_text("as_of: 2026-06-30T12:00:00+08:00\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(facts), "--rules", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:10:5" in result.stderr
    assert "Traceback" not in result.output
