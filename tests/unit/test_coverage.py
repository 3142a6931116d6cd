"""``coverage``: clauses → rules → scenarios, and the numbers for the shipped rules."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fuling_compliance import load_rules
from fuling_compliance.cli import app
from fuling_compliance.reports.coverage import Scenario, coverage, scan_features
from fuling_compliance.rules.regulation import regulation

RULES = load_rules()
ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
# language: zh-CN
@条款3.1
功能: 网点
  说明文字，不是场景

  背景:
    假如 评估时间为 "2026-06-30 23:59"

  @OUT-01
  规则: OUT-01 每个辖区至少有一个网点

    @条款3.1.1
    场景: 没有网点
      当 进行合规检查

    场景大纲: 网点类型
      当 进行合规检查
      例子:
        | 类型 | 结论 |
        | 银行 | 合规 |
        | 自有 | 合规 |

      @OUT-02
      例子: 标在例子上的标签不属于场景
        | 类型 | 结论 |
        | 代办 | 合规 |

  规则: OUT-03 交通方便

    @OUT-03 @OUT-99
    场景: 交通不便
      当 进行合规检查
"""


def line_of(text: str) -> int:
    return FEATURE.split(text)[0].count("\n") + 1


def scenario(rule_id: str) -> Scenario:
    return Scenario(f"tests {rule_id}", "features/x.feature", 1, (rule_id,))


def test_scan_reads_names_tags_and_examples(tmp_path: Path) -> None:
    (tmp_path / "a.feature").write_text(FEATURE, encoding="utf-8")
    found = scan_features(tmp_path)
    assert [(s.name, s.line, s.tags, s.examples) for s in found] == [
        ("没有网点", line_of("场景: 没有网点"), ("条款3.1", "OUT-01", "条款3.1.1"), 0),
        ("网点类型", line_of("场景大纲: 网点类型"), ("条款3.1", "OUT-01"), 3),
        ("交通不便", line_of("场景: 交通不便"), ("条款3.1", "OUT-03", "OUT-99"), 0),
    ]
    assert found[0].location == f"{tmp_path.name}/a.feature:{line_of('场景: 没有网点')}"
    assert found[2].rule_ids == ("OUT-03", "OUT-99")
    result = coverage(RULES, found)
    assert [(s.name, tag) for s, tag in result.unknown_tags] == [("交通不便", "OUT-99")]


def test_clauses_of_the_shipped_rules() -> None:
    result = coverage(RULES, [])
    status = {c.clause.id: c.status for c in result.clauses}
    assert list(status) == list(regulation().clauses)
    assert {c for c, s in status.items() if s == "heading"} == {"3", "3.1", "3.2", "3.3", "6"}
    assert {c for c, s in status.items() if s == "not_machine_checkable"} == {
        "0", "2", "3.3.5", "6.1"}
    # listed as not machine-checkable, but rules check a part: counted, with the reason
    partly = {c.clause.id for c in result.not_machine_checkable if c.rules}
    assert partly == {"3.2.2", "5", "7"}
    assert len(result.not_machine_checkable) == 7
    assert result.clauses_without_rules == ()
    assert len(result.checkable) == 18
    assert {r.rule.id for c in result.checkable for r in c.rules} == {r.id for r in RULES}


def test_the_percentage() -> None:
    """Covered: a checkable clause whose rules all have a scenario."""
    assert coverage(RULES, []).percent == 0.0
    everything = [scenario(r.id) for r in RULES]
    full = coverage(RULES, everything)
    assert (full.percent, full.rules_percent, full.rules_without_scenarios) == (100.0, 100.0, ())
    # one rule of clause 5 (which has five) without a scenario: clause 5 is partly tested
    short = coverage(RULES, [s for s in everything if s.rule_ids != ("CMP-04",)])
    assert {c.clause.id: c.status for c in short.clauses}["5"] == "partly_tested"
    assert short.percent == round(100 * 17 / 18, 1)
    assert [r.rule.id for r in short.rules_without_scenarios] == ["CMP-04"]
    summary = short.summary()
    assert (summary["covered_clauses"], summary["checkable_clauses"]) == (17, 18)
    assert summary["rules_with_scenarios"] == len(RULES) - 1


def test_the_real_features_name_only_real_rules() -> None:
    found = scan_features(ROOT / "features")
    assert found, "no scenarios found in features/"
    assert coverage(RULES, found).unknown_tags == ()


# ----------------------------------------------------------------------------- command
def test_coverage_command(tmp_path: Path) -> None:
    (tmp_path / "a.feature").write_text(FEATURE, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["coverage", "--features", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "3.1.1" in result.stdout
    assert "无法机器判断的条款" in result.stdout
    assert "6.1  考核的组织实施属内部组织工作" in result.stdout
    assert "条款覆盖率 0.0%" in result.stdout

    result = runner.invoke(app, ["coverage", "--features", str(tmp_path), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["summary"]["checkable_clauses"] == 18
    assert {c["id"]: c["rules"] for c in data["clauses"]}["3.1.1"] == [
        "OUT-01", "OUT-02", "OUT-03", "OUT-04"]
    assert {r["id"]: len(r["scenarios"]) for r in data["rules"]}["OUT-01"] == 2
    assert "CMP-01" in data["rules_without_scenarios"]

    result = runner.invoke(app, ["coverage", "--features", str(tmp_path), "--fail-under", "50",
                                 "--lang", "en"])
    assert result.exit_code == 1
    assert "clause coverage 0.0% is below the required 50.0%" in result.stderr
    assert runner.invoke(app, ["coverage", "--features", str(tmp_path),
                               "--fail-under", "0"]).exit_code == 0
