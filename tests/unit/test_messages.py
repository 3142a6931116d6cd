"""Validator messages a policy officer can act on: what is wrong, where, and what to write.

Each case breaks one thing in a valid rule file (or calendar file) and expects the problem
at the place of the broken text, with the words that say what to do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fuling_compliance import (
    FactsError,
    Problem,
    RulesError,
    load_facts,
    load_rules,
    validate_rule_files,
)

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
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


def position(text: str, needle: str) -> tuple[int, int]:
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def problems_of(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return validate_rule_files([path])


def test_the_valid_rule_has_no_problem(tmp_path: Path) -> None:
    assert problems_of(tmp_path, VALID) == []


# (case, replace this, with this, code, the text it points at, words in en, words in zh)
CASES = [
    ("operator written as a word", "eq: completed}", "equals: completed}", "unknown_key",
     "equals:", "did you mean 'eq'", "是否应为 'eq'"),
    ("operator written as a symbol", "eq: completed}", "'>=': completed}", "unknown_key",
     "'>=':", "did you mean 'ge'", "是否应为 'ge'"),
    ("operator as English", "      gt: {field", "      after: {field", "unknown_key",
     "after:", "did you mean 'gt'", "是否应为 'gt'"),
    ("misspelled operator", "eq: completed}", "eqq: completed}", "unknown_key", "eqq:",
     "did you mean 'eq'", "是否应为 'eq'"),
    ("no operator close to it", "eq: completed}", "zz: completed}", "unknown_key", "zz:",
     "a comparison takes one operator: eq", "eq（等于）"),
    ("bad unit in a shift", "plus: {param: late_grace_minutes}}",
     "plus: {param: late_grace_minutes}, unit: minute}", "literal_error", "unit: minute",
     "minutes, hours, days, working_days (did you mean 'minutes'?)", "是否应为 'minutes'"),
    ("bad unit of a parameter", "        unit: minutes", "        unit: minute", "unit",
     "unit: minute", "did you mean 'minutes'", "working_days（工作日）、days（天）"),
    ("unit of a parameter as a Chinese word", "        unit: minutes", "        unit: 分钟",
     "unit", "unit: 分钟", "use one of working_days, days, hours, minutes", "可选"),
    ("clause that does not exist", "clause: 3.2.4", "clause: 3.2.9", "unknown_clause",
     "clause: 3.2.9", "clauses nearby: 3.2, 3.2.1, 3.2.2, 3.2.3, 3.2.4", "相近的条款：3.2、"),
    ("clause of no chapter", "clause: 3.2.4", "clause: '9'", "unknown_clause",
     "clause: '9'", "clauses nearby: 0, 1, 2, 3", "相近的条款：0、1、2、3"),
    ("tab for indentation", "    severity: medium\n", "\tseverity: medium\n", "syntax",
     "\tseverity", "tab", "制表符（Tab）"),
    ("indentation off by one", "    severity: medium\n", "     severity: medium\n",
     "syntax", "severity", "does not fit the indentation", "缩进"),
    ("unclosed quote", 'en: "Home visit {id}: agreed', 'en: "Home visit {id}: agreed"x',
     "syntax", 'en: "Home visit {id}: agreed"x', "text follows a closing quote",
     "引号结束后还有多余的文字"),
    ("quote never closed", "    clause_text: 供电供气选择上门服务时不得迟到",
     "    clause_text: \"供电供气选择上门服务时不得迟到", "syntax", "\"供电供气",
     "a quote opened here is not closed on its line", "引号在本行没有闭合"),
    ("quote never closed at the end", 'arrived {arrived_at}"\n', "arrived {arrived_at}\n",
     "syntax", '"Home visit', "a quote is never closed", "引号没有闭合"),
    ("Chinese colon", "    severity: medium", "    severity：medium", "syntax", "：medium",
     "Chinese colon", "中文冒号"),
    ("braces in a flow value", "note: 不得迟到", "note: 不得迟到\n      bad: {a: 取 {x} 天}",
     "syntax", "{x}", "put that value in quotes", "花括号"),
]


@pytest.mark.parametrize(("old", "new", "code", "where", "en", "zh"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_message_says_where_and_what_to_write(tmp_path: Path, old: str, new: str,
                                                   code: str, where: str, en: str,
                                                   zh: str) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    problems = problems_of(tmp_path, text)
    matching = [p for p in problems if p.code == code]
    assert matching, [p.render("en") for p in problems]
    problem = matching[0]
    line, column = position(text, where)
    if code == "syntax":  # libyaml may notice on the line; the column is the parser's
        assert problem.line == line, problem.render("en")
    else:
        assert (problem.line, problem.column) == (line, column), problem.render("en")
    assert en in problem.message, problem.message
    assert zh in problem.message_zh, problem.message_zh


def test_a_yaml_problem_in_a_fact_file_is_explained_in_chinese_too(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("suppliers:\n\t- {id: S1}\n", encoding="utf-8")
    with pytest.raises(FactsError) as caught:
        load_facts(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (2, 1)
    assert "制表符" in problem.message_zh
    path.write_text("as_of: 2026-02-30T10:00:00\n", encoding="utf-8")
    with pytest.raises(FactsError) as caught:
        load_facts(path)
    assert "该月没有这一天" in caught.value.problems[0].message_zh


# ----------------------------------------------------------------------------- calendars
def calendar_problems(tmp_path: Path, name: str, text: str) -> list[Problem]:
    rules = tmp_path / "rules"
    (rules / "calendar").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "3.1-outlets.yaml", rules)
    (rules / "calendar" / name).write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([rules])
    return caught.value.problems


# (case, file name, text, the text it points at (None: the start), words in en, words in zh)
CALENDAR_CASES = [
    ("empty file", "2030.yaml", "", None, "the calendar file is empty", "日历文件是空的"),
    ("comments only", "2030.yaml", "# 2030\n", None, "is empty", "空的"),
    ("a date in both lists", "2030.yaml",
     "year: 2030\nholidays: [2030-01-01, 2030-02-04]\nworkdays:\n  - 2030-02-04\n",
     "2030-02-04\n", "both a holiday and a working day", "同时出现在 holidays"),
    ("a date outside the year", "2030.yaml", "year: 2030\nholidays:\n  - 2031-01-01\n",
     "2031-01-01", "not in 2030", "不在 2030 年"),
    ("an impossible date", "2030.yaml", "year: 2030\nholidays: [2030-02-30]\n",
     "2030-02-30", "no such date or time", "该月没有这一天"),
    ("not a date", "2030.yaml", "year: 2030\nworkdays: [2030-02-09, 元旦]\n", "元旦",
     "not a date", "不是日期"),
    ("not a list", "2030.yaml", "year: 2030\nholidays: 2030-01-01\n", "holidays",
     "a list of dates", "应为日期列表"),
    ("no year", "2030.yaml", "yaer: 2030\n", "yaer", "did you mean 'year'", "是否应为 'year'"),
    ("file named for another year", "2030.yaml", "year: 2031\n", "year",
     "named 2030 but gives year 2031", "文件名是 2030"),
    ("listed twice", "2030.yaml", "year: 2030\nholidays: [2030-01-01, 2030-01-01]\n",
     "2030-01-01]", "listed twice", "重复"),
]


@pytest.mark.parametrize(("name", "text", "where", "en", "zh"),
                         [c[1:] for c in CALENDAR_CASES], ids=[c[0] for c in CALENDAR_CASES])
def test_a_calendar_problem_is_reported_at_its_place(tmp_path: Path, name: str, text: str,
                                                     where: str | None, en: str,
                                                     zh: str) -> None:
    problems = calendar_problems(tmp_path, name, text)
    matching = [p for p in problems if en in p.message]
    assert matching, [p.render("en") for p in problems]
    problem = matching[0]
    assert problem.file == str(tmp_path / "rules" / "calendar" / name)
    expected = position(text, where) if where is not None else (1, 1)
    assert (problem.line, problem.column) == expected
    assert zh in problem.message_zh


def test_a_year_in_two_calendar_files_names_the_other(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "calendar").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "3.1-outlets.yaml", rules)
    for name in ("2030.yaml", "2030-revised.yaml"):
        (rules / "calendar" / name).write_text("year: 2030\n", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([rules])
    [problem] = caught.value.problems
    files = {str(rules / "calendar" / n) for n in ("2030.yaml", "2030-revised.yaml")}
    assert problem.file in files
    assert (files - {problem.file}).pop() in problem.message


def test_a_good_calendar_file_is_used(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "calendar").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "3.1-outlets.yaml", rules)
    (rules / "calendar" / "2099.yaml").write_text(
        "year: 2099\nholidays: [2099-01-01]\nworkdays: [2099-01-03]\n", encoding="utf-8")
    import datetime as dt

    calendar = load_rules([rules]).calendar
    assert not calendar.is_workday(dt.date(2099, 1, 1))  # a Thursday, a holiday
    assert calendar.is_workday(dt.date(2099, 1, 3))  # a Saturday, a make-up day
