"""The feature files as a whole: every rule proven both ways, no silent scenarios.

The harness tests run pytest on feature files written here, with ``tests/bdd/conftest.py``:
a swallowed step, a scenario without steps, an unknown tag, step or column each fail
their scenario with a short message (nearest phrases, no traceback) while the other
scenarios run. Which outcomes the features expect of which rules is policy: those
tests carry the ``features`` marker.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fuling_compliance import load_rules
from fuling_compliance.testing.checks import RULE_ID, rules_lacking_scenarios
from fuling_compliance.testing.gherkin import Feature, read_features

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
CATALOGUE = ROOT.parent / "shared" / "spec" / "rule-catalogue.md"


def features() -> list[Feature]:
    parsed, problems = read_features(sorted(FEATURES.glob("*.feature")), FEATURES)
    assert not problems, [p.render("en") for p in problems]
    return parsed


@pytest.mark.features
def test_every_rule_has_a_failing_and_a_passing_scenario() -> None:
    assert rules_lacking_scenarios([r.id for r in load_rules()], features()) == {}


@pytest.mark.features
def test_feature_tags_and_rules_name_the_same_ids() -> None:
    tags = {t for f in features() for s in f.scenarios for t in s.tags if RULE_ID.fullmatch(t)}
    assert tags == {r.id for r in load_rules()}


@pytest.mark.skipif(not CATALOGUE.exists(), reason="the shared catalogue is not beside the repo")
def test_every_rule_of_the_catalogue_is_in_the_rules() -> None:
    """Policy staff may add rules; none of the catalogue's may go missing."""
    ids = set(re.findall(r"^\| ([A-Z]{3}-\d\d) ", CATALOGUE.read_text(encoding="utf-8"), re.M))
    assert ids, "no rule ids found in the catalogue"
    assert ids <= {r.id for r in load_rules()}


def run_feature(tmp_path: Path, text: str, *more: str) -> subprocess.CompletedProcess[str]:
    """pytest on feature files written here (x.feature, x1.feature, ...)."""
    for n, body in enumerate((text, *more)):
        (tmp_path / f"x{n or ''}.feature").write_text(textwrap.dedent(body), encoding="utf-8")
    (tmp_path / "conftest.py").write_text("from tests.bdd.conftest import *  # noqa\n",
                                          encoding="utf-8")
    (tmp_path / "test_x.py").write_text(
        "from pytest_bdd import scenarios\nscenarios('.')\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), "-c", "/dev/null", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=str(tmp_path),
        # this checkout's package first, not whichever one is installed
        env={"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
             "PATH": "/usr/bin:/bin"})


def test_a_swallowed_step_fails_the_scenario(tmp_path: Path) -> None:
    result = run_feature(tmp_path, """\
        # language: zh-CN
        功能: 陷阱
          场景: 给定不是关键字
            给定 有以下辖区：
            当 进行合规检查
        """)
    assert result.returncode != 0
    assert "looks like a step" in result.stdout


def test_a_scenario_without_steps_fails(tmp_path: Path) -> None:
    result = run_feature(tmp_path, """\
        # language: zh-CN
        功能: 空
          场景: 什么也没有
            给定 有以下辖区：
        """)
    assert result.returncode != 0
    assert "has no steps" in result.stdout


HEALTHY = """\
    # language: zh-CN
    功能: 正常
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


def test_a_healthy_scenario_passes_in_the_same_harness(tmp_path: Path) -> None:
    result = run_feature(tmp_path, HEALTHY.format(outcome="不合规"))
    assert result.returncode == 0, result.stdout


def test_a_failing_outcome_is_short_and_says_expected_and_actual(tmp_path: Path) -> None:
    result = run_feature(tmp_path, HEALTHY.format(outcome="合规"))
    assert result.returncode == 1
    failure = result.stdout.split("FAILURES")[1].split("short test summary")[0]
    assert "结论应为“合规”，实际为“不合规”" in failure
    assert "expected pass (合规), got fail (不合规)" in failure
    assert re.search(r"说明：.*A1", failure)  # the finding's message
    assert "x.feature:11: 那么 规则 \"OUT-01\" 对 辖区 \"A1\" 的结论为 \"合规\"" in failure
    assert "Traceback" not in failure and "def " not in failure
    assert len(failure.strip().splitlines()) < 12


def test_an_unknown_tag_fails_its_scenario_and_the_others_still_run(tmp_path: Path) -> None:
    tagged = HEALTHY.format(outcome="不合规").replace("  场景: 辖区无网点",
                                                     "  @OUT-99\n  场景: 标签有误")
    result = run_feature(tmp_path, tagged, HEALTHY.format(outcome="不合规"))
    assert "1 failed, 1 passed" in result.stdout
    assert "标签 @OUT-99 不是任何规则的编号" in result.stdout


def test_an_unknown_step_gets_the_nearest_phrases(tmp_path: Path) -> None:
    text = HEALTHY.format(outcome="不合规").replace("的结论为", "的结果为")
    result = run_feature(tmp_path, text)
    assert result.returncode == 1
    assert "没有这样的步骤" in result.stdout
    assert '是否应为：那么 规则 "OUT-01" 对 辖区 "A1" 的结论为 "不合规"' in result.stdout


def test_an_unknown_column_gets_the_nearest_headers(tmp_path: Path) -> None:
    text = HEALTHY.format(outcome="不合规").replace("| 编号 | 企业编号 |", "| 编号 | 企业 编号 |")
    result = run_feature(tmp_path, text)
    assert result.returncode == 1
    assert "辖区没有“企业 编号”这一列（是否应为 “企业编号”" in result.stdout
    assert "Traceback" not in result.stdout


def test_scenarios_carry_the_features_marker_and_show_chinese_names() -> None:
    def collect(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", *args,
             str(ROOT / "tests" / "bdd")], capture_output=True, text=True, timeout=300,
            cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT / "src")}).stdout

    everything = collect()
    assert "test_features.py::test_按岗位核查员工是否经过培训[窗口--是-合规]" in everything
    assert "\\u" not in everything
    assert "no tests collected" in collect("-m", "not features") or \
        " 0 selected" in collect("-m", "not features")
