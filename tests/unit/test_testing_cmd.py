"""``fuling-compliance test`` and ``steps``: the policy officer's run of the feature files.

The command runs the same step definitions as pytest-bdd (``fuling_compliance.testing``)
over the same scenarios (checked here against pytest-bdd's own reading of every
feature file), and reports each scenario by name and place; a failure by its step, the
expected and actual outcome and the finding's message, never a traceback.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_bdd.parser import FeatureParser

from fuling_compliance.cli import app
from fuling_compliance.testing import steps as library
from fuling_compliance.testing.gherkin import read_feature

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
RULES = ROOT / "rules"

HEADER = "# language: zh-CN\n"
AREA = """\
功能: 辖区
  场景: 辖区无网点
    假如 有以下供电供气企业：
      | 编号 |
      | S1   |
    而且 有以下辖区：
      | 编号 | 企业编号 |
      | A1   | S1       |
    当 进行合规检查
    那么 规则 "OUT-01" 对 辖区 "A1" 的结论为 "{outcome}"
"""


def run(tmp_path: Path, *args: str, features: dict[str, str] | None = None) -> Result:
    """``test`` with the repository's rules, features written here, no example or book."""
    folder = tmp_path / "features"
    folder.mkdir(exist_ok=True)
    for name, text in (features or {}).items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return CliRunner().invoke(app, ["test", "--rules", str(RULES), "--features", str(folder),
                                    "--example", str(tmp_path / "none.yaml"),
                                    "--docs", str(tmp_path / "none"), *args])


# ----------------------------------------------------------------------------- one reading
@pytest.mark.parametrize("path", sorted(FEATURES.glob("*.feature")), ids=lambda p: p.stem)
def test_the_runner_reads_each_feature_as_pytest_bdd_does(path: Path) -> None:
    ours = [(s.name, [(st.kind, st.text, st.table) for st in s.steps])
            for s in read_feature(path).scenarios]
    theirs = []
    for template in FeatureParser(str(path.parent), path.name).parse().scenarios.values():
        contexts = [c for e in template.examples for c in e.as_contexts()] or [{}]
        for context in contexts:
            scenario = template.render(context)
            theirs.append((scenario.name, [
                (st.type, st.name, None if st.datatable is None else
                 tuple(tuple(c.value for c in row.cells) for row in st.datatable.rows))
                for st in scenario.steps]))
    assert ours == theirs


def test_every_example_phrase_finds_its_own_step() -> None:
    """A phrase that a general one matches too (有以下豁免： and 有以下{label}：) is
    defined after it, and the last definition wins, as in pytest-bdd."""
    for definition in library.STEPS:
        found = library.find_step(definition.kind, definition.example)
        assert found is not None and found[0] is definition, definition.example
        later = library.STEPS[library.STEPS.index(definition) + 1:]
        assert not [d for d in later if d.match(definition.example) is not None]


def test_typed_placeholders_convert_as_in_pytest_bdd() -> None:
    found = library.find_step("then", '汇总中 "已豁免" 有 12 项')
    assert found is not None and found[1] == {"status": "已豁免", "count": 12}
    assert library.find_step("then", '汇总中 "已豁免" 有 十二 项') is None


def test_a_step_of_another_kind_is_named() -> None:
    failure = library.unknown_step("then", "有以下员工：")
    assert "“有以下员工：”是“假如”步骤" in failure.message.zh


# ----------------------------------------------------------------------------- the command
@pytest.mark.features  # every scenario holding is the policy's state, not Python's
def test_the_repository_passes_with_every_scenario_listed() -> None:
    result = CliRunner().invoke(app, ["test"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("通过  按岗位核查员工是否经过培训（6 组例子）  "
               "features/3.2-员工与上门服务.feature:19" in line for line in lines)
    total = sum(len(read_feature(p).scenarios) for p in FEATURES.glob("*.feature"))
    assert lines[-1] == (f"场景 {total} 个：通过 {total}，失败 0；示例：一致；规则手册：最新")
    assert "每条规则都有预期“不合规”和“合规”的场景" in result.stdout


def test_a_failure_shows_the_step_expected_actual_and_message(tmp_path: Path) -> None:
    result = run(tmp_path, features={"a.feature": HEADER + AREA.format(outcome="合规")})
    assert result.exit_code == 1
    out = result.stdout
    assert "失败  辖区无网点  features/a.feature:3" in out
    assert '第 11 行：那么 规则 "OUT-01" 对 辖区 "A1" 的结论为 "合规"' in out
    assert "结论应为“合规”，实际为“不合规”" in out
    assert "说明：" in out and "Traceback" not in result.output
    assert out.splitlines()[-1].startswith("场景 1 个：通过 0，失败 1")
    english = run(tmp_path, "--lang", "en")
    assert "FAIL  辖区无网点  features/a.feature:3" in english.stdout
    assert "expected pass (合规), got fail (不合规)" in english.stdout
    assert english.stdout.splitlines()[-1].startswith("1 scenarios: 0 passed, 1 failed")


def test_an_unknown_tag_fails_its_feature_and_the_others_run(tmp_path: Path) -> None:
    tagged = HEADER + "@OUT-11\n" + AREA.format(outcome="不合规")
    result = run(tmp_path, features={"a.feature": tagged,
                                     "b.feature": HEADER + AREA.format(outcome="不合规")})
    assert result.exit_code == 1
    assert "标签 @OUT-11 不是任何规则的编号（是否应为 @OUT-01？）" in result.stdout
    assert "通过  辖区无网点  features/b.feature:3" in result.stdout


def test_unknown_step_and_column_get_the_nearest(tmp_path: Path) -> None:
    text = HEADER + AREA.format(outcome="不合规").replace("结论为", "结果为")
    result = run(tmp_path, features={"a.feature": text})
    assert '是否应为：那么 规则 "OUT-01" 对 辖区 "A1" 的结论为 "不合规"' in result.stdout
    text = HEADER + AREA.format(outcome="不合规").replace("| 编号 | 企业编号 |",
                                                         "| 编号 | 企业编码 |")
    result = run(tmp_path, features={"a.feature": text})
    assert "辖区没有“企业编码”这一列（是否应为 “企业编号”" in result.stdout


def test_the_gei_ding_guard_applies_to_the_command(tmp_path: Path) -> None:
    text = HEADER + "功能: 陷阱\n  场景: 给定不是关键字\n    给定 有以下辖区：\n"
    result = run(tmp_path, features={"a.feature": text})
    assert result.exit_code == 1
    assert "场景“给定不是关键字”没有任何步骤" in result.stdout
    assert "“给定”不是关键字" in result.stdout


def test_an_unusable_feature_exits_2_with_its_place_and_the_others_run(tmp_path: Path) -> None:
    result = run(tmp_path, features={"a.feature": AREA.format(outcome="不合规"),
                                     "b.feature": HEADER + AREA.format(outcome="不合规")})
    assert result.exit_code == 2
    assert "features/a.feature:1:1: 第一行应为“# language: zh-CN”" in result.stdout
    assert "通过  辖区无网点  features/b.feature:3" in result.stdout


def test_unusable_rules_exit_2_with_their_place(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "3.1-outlets.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("severity: high", "severity: hihg",
                                                             1), encoding="utf-8")
    result = CliRunner().invoke(app, ["test", "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "hihg" in result.stderr


def test_features_are_chosen_by_name_or_prefix(tmp_path: Path) -> None:
    features = {"3.1-a.feature": HEADER + AREA.format(outcome="不合规"),
                "3.2-b.feature": HEADER + AREA.format(outcome="合规")}
    chosen = run(tmp_path, "3.1", features=features)
    assert chosen.exit_code == 0
    assert chosen.stdout.splitlines()[-1] == "场景 1 个：通过 1，失败 0"  # only the scenarios
    assert run(tmp_path, "3.2-b.feature").exit_code == 1
    unknown = run(tmp_path, "9.9")
    assert unknown.exit_code == 2 and "没有场景文件“9.9”" in unknown.stderr


def test_stale_rule_book_and_example_differences_fail(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("rules", "features", "examples"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copytree(ROOT / "docs" / "rules", project / "docs" / "rules")
    page = project / "docs" / "rules" / "3.1-outlets.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n改过\n", encoding="utf-8")
    expected = project / "examples" / "expected-findings.yaml"
    lines = expected.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = next(line for line in lines if "OUT-01" in line and line.startswith("- "))
    expected.write_text("".join(x for x in lines if x != dropped), encoding="utf-8")
    for feature in (project / "features").glob("*.feature"):
        if not feature.name.startswith("3.1"):
            feature.unlink()  # a short run: the example and the book are what is tested
    result = CliRunner().invoke(app, ["test", "-q", "--rules", str(project / "rules"),
                                      "--features", str(project / "features"),
                                      "--example", str(project / "examples" / "fuling-2026q2.yaml"),
                                      "--docs", str(project / "docs" / "rules")])
    assert result.exit_code == 1
    assert "多出（未预期）：OUT-01" in result.stdout
    (stale,) = [line for line in result.stdout.splitlines() if "已过期：" in line]
    assert "3.1-outlets.md" in stale and "请运行 fuling-compliance docs" in stale
    assert result.stdout.splitlines()[-1].endswith("示例：不一致；规则手册：已过期")


# ----------------------------------------------------------------------------- steps
def test_steps_lists_phrases_examples_and_headers() -> None:
    result = CliRunner().invoke(app, ["steps"])
    assert result.exit_code == 0, result.output
    for definition in library.STEPS:
        assert definition.shown() in result.stdout
        assert definition.example in result.stdout
    assert '规则 "〈规则编号〉" 对 〈对象类型〉 "〈编号〉" 的结论为 "〈结论〉"' in result.stdout
    assert "  员工 (staff)" in result.stdout
    assert "岗位 (role)：选项：窗口 (counter)、客服 (customer_service)" in result.stdout
    assert "编号 (id)：文字，必填" in result.stdout


def test_steps_for_one_record_type_and_an_unknown_one() -> None:
    result = CliRunner().invoke(app, ["steps", "员工检查", "--lang", "en"])
    assert result.exit_code == 0
    assert "员工检查 (staff_checks)" in result.stdout and "员工 (staff)\n" not in result.stdout
    assert "uniform" in result.stdout and "Steps" not in result.stdout
    unknown = CliRunner().invoke(app, ["steps", "员工检察"])
    assert unknown.exit_code == 2 and "是否应为 “员工检查”" in unknown.stderr
