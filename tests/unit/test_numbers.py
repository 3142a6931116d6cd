"""Words that follow the numbers: notes name parameters, and stated numbers are checked.

Values are read from the rules, never repeated here: a test changes a copy of the rules
and expects ``validate`` to notice.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fuling_compliance import load_facts, load_rules
from fuling_compliance.cli import app
from fuling_compliance.reports.explain import explain
from fuling_compliance.reports.rulebook import build_book, render_markdown
from fuling_compliance.rules.numbers import fill, stated_numbers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"


def param(rule_id: str, name: str) -> tuple[str, int]:
    """(the file, the value) of a bundled parameter."""
    rules = load_rules()
    value = rules.get(rule_id).parameters[name].value
    assert isinstance(value, int)
    return rules.origins[rule_id][0], value


def copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_fill_puts_each_named_parameter_s_value_in() -> None:
    rule = load_rules().get("CMP-04")
    value = rule.parameters["reply_days"].value
    assert fill("取 {reply_days} 个工作日，{other} 不变", rule.parameters) == \
        f"取 {value} 个工作日，{{other}} 不变"
    assert [(s.value, s.unit) for s in stated_numbers("核实 3 个工作日、每 92 天、90%、"
                                                      "条款 3.2.4、0 小时、5 min")] == \
        [(3, "working_days"), (92, "days"), (90, "percent"), (0, "hours"), (5, "minutes")]


def test_no_bundled_note_repeats_the_value_of_its_parameter() -> None:
    for rule in load_rules():
        for name, p in rule.parameters.items():
            stated = [s.text for s in stated_numbers(p.note) if s.unit == p.unit]
            assert stated == [], f"{rule.id}.{name}: write {{{name}}} instead of {stated}"


def test_the_rule_book_and_explain_show_the_values_not_the_placeholders() -> None:
    rules = load_rules()
    _, value = param("CMP-04", "reply_days")
    page = render_markdown(build_book(rules, []))["4-5-complaints.md"]
    assert f"取 {value} 个工作日" in page
    assert "{reply_days}" not in page and "{verify_days}" not in page
    facts = load_facts(EXAMPLE, rules=rules)
    complaint = facts.records("complaints")[0].record_id()
    text = explain(rules, facts, "CMP-04", complaint)[0].render()
    assert f"取 {value} 个工作日" in text and "{reply_days}" not in text
    data = explain(rules, facts, "CMP-04", complaint)[0].to_dict()
    assert f"取 {value} 个工作日" in data["parameters"]["reply_days"]["note"]


def test_a_note_stating_another_number_is_a_warning_not_a_rejection(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    file, value = param("CMP-04", "reply_days")
    path = rules / Path(file).name
    text = path.read_text(encoding="utf-8")
    assert "{reply_days} 个工作日" in text
    path.write_text(text.replace("{reply_days} 个工作日", f"{value + 3} 个工作日", 1),
                    encoding="utf-8")
    assert load_rules([rules]).get("CMP-04")  # loads: a warning does not reject
    code, out, err = run("validate", str(rules), "--features", str(tmp_path / "none"))
    assert code == 0, out + err
    [line] = [x for x in out.splitlines() if "reply_days" in x]
    assert line.startswith("警告：") and f"{value + 3} 个工作日" in line
    assert f"reply_days = {value}" in line and "{reply_days}" in line
    where = text.splitlines().index(next(x for x in text.splitlines()
                                         if "{reply_days} 个工作日" in x)) + 1
    assert f"{path.name}:{where}:" in line
    assert "1 个警告" in err


def test_a_feature_heading_stating_another_number_is_a_warning(tmp_path: Path) -> None:
    _, value = param("CMP-04", "reply_days")
    features = tmp_path / "features"
    features.mkdir()
    (features / "x.feature").write_text(
        "# language: zh-CN\n功能: 投诉\n\n"
        f"  规则: CMP-04 企业应在 {value + 3} 个工作日内回复投诉人\n\n"
        "    @CMP-04\n    场景: 甲\n      当 进行合规检查\n\n"
        f"  规则: CMP-04 企业应在 {value} 个工作日内回复（数字一致）\n\n"
        "  规则: CMP-04 企业应在 {reply_days} 个工作日内回复（占位符）\n\n"
        "  规则: 回复时限 {reply_day} 个工作日\n\n"
        "    @CMP-04\n    场景: 乙\n      当 进行合规检查\n", encoding="utf-8")
    code, out, err = run("validate", "--features", str(features), "--format", "json")
    assert code == 0, out + err
    warnings = json.loads(out)
    assert [(w["line"], w["code"], w["warning"]) for w in warnings] == [
        (4, "stated_number", True), (14, "unknown_placeholder", True)]
    assert f"{value + 3} 个工作日" in warnings[0]["message"]["zh"]


@pytest.mark.features  # the features' headings state the policy's numbers
def test_the_bundled_features_state_no_other_number_than_the_parameters() -> None:
    code, out, err = run("validate", "--features", str(ROOT / "features"))
    assert code == 0 and "警告" not in out, out + err


def test_a_placeholder_in_a_note_must_name_a_parameter(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    file, _ = param("CMP-04", "reply_days")
    path = rules / Path(file).name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{reply_days} 个工作日", "{reply_day} 个工作日", 1),
                    encoding="utf-8")
    code, out, _ = run("validate", str(rules))
    assert code == 2  # rule files with problems are rejected input
    assert re.search(r"\{reply_day\}.*是否应为 'reply_days'", out), out


@pytest.mark.parametrize("unit", ["working_days", "days", "hours", "minutes", "percent"])
def test_every_parameter_unit_has_words_that_state_it(unit: str) -> None:
    from fuling_compliance.rules.numbers import UNIT_WORDS

    assert UNIT_WORDS[unit]
    assert stated_numbers(f"7 {UNIT_WORDS[unit][0]}")[0].unit == unit
