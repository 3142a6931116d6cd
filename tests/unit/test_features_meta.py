"""The feature files as a whole: every rule proven both ways, no silent scenarios."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

from fuling_compliance import load_rules

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
CATALOGUE = ROOT.parent / "shared" / "spec" / "rule-catalogue.md"
OUTCOME = re.compile(r'规则 "([A-Z]{3}-\d\d)" 对 .+? 的(?: "[^"]+" 项)?结论为 "([^"]+)"')


def scenario_outcomes() -> tuple[dict[str, set[str]], set[str]]:
    """rule id -> outcomes asserted for it (examples expanded); and every rule-id tag."""
    outcomes: dict[str, set[str]] = {}
    tags: set[str] = set()
    for path in sorted(FEATURES.glob("*.feature")):
        feature = FeatureParser(str(FEATURES), path.name).parse()
        for template in feature.scenarios.values():
            tags.update(t for t in template.tags if re.fullmatch(r"[A-Z]{3}-\d\d", t))
            contexts: list[dict[str, str]] = [
                context for examples in template.examples for context in examples.as_contexts()
            ] if template.templated else [{}]
            for context in contexts:
                scenario = template.render(context)
                for step in scenario.steps:
                    for rule, status in OUTCOME.findall(step.name):
                        outcomes.setdefault(rule, set()).add(status)
    return outcomes, tags


def test_every_rule_has_a_failing_and_a_passing_scenario() -> None:
    outcomes, _ = scenario_outcomes()
    missing = {r.id: sorted({"不合规", "合规"} - outcomes.get(r.id, set()))
               for r in load_rules() if not {"不合规", "合规"} <= outcomes.get(r.id, set())}
    assert missing == {}


def test_feature_tags_and_rules_name_the_same_ids() -> None:
    _, tags = scenario_outcomes()
    assert tags == {r.id for r in load_rules()}


@pytest.mark.skipif(not CATALOGUE.exists(), reason="the shared catalogue is not beside the repo")
def test_rules_are_exactly_the_catalogue() -> None:
    ids = set(re.findall(r"^\| ([A-Z]{3}-\d\d) ", CATALOGUE.read_text(encoding="utf-8"), re.M))
    assert len(ids) == 43
    assert {r.id for r in load_rules()} == ids


def run_feature(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "x.feature").write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "conftest.py").write_text("from tests.bdd.conftest import *  # noqa\n",
                                          encoding="utf-8")
    (tmp_path / "test_x.py").write_text(
        "from pytest_bdd import scenarios\nscenarios('x.feature')\n", encoding="utf-8")
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


def test_a_healthy_scenario_passes_in_the_same_harness(tmp_path: Path) -> None:
    result = run_feature(tmp_path, """\
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
            那么 规则 "OUT-01" 对 辖区 "A1" 的结论为 "不合规"
        """)
    assert result.returncode == 0, result.stdout
