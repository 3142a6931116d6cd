"""pytest-bdd runs the feature files with the package's step library.

The step definitions live in :mod:`fuling_compliance.testing.steps` (``fuling-compliance
test`` runs the same functions; ``fuling-compliance steps`` lists them); this module
registers each with pytest-bdd and makes failures short: a step that does not hold is
reported as the feature file's place, the step and the message (expected and actual
outcome, the finding's message) in Chinese and English, without a traceback. Scenarios
are checked before their steps as :func:`fuling_compliance.testing.checks.scenario_problems`
says (no steps, a step swallowed into a description, a tag naming no rule).
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import parsers
from pytest_bdd import step as bdd_step

from fuling_compliance import load_rules
from fuling_compliance.testing import steps as library
from fuling_compliance.testing.checks import scenario_problems, tag_problem
from fuling_compliance.testing.steps import StepFailure, World

ROOT = Path(__file__).resolve().parents[2]
_RULES = None

for _definition in library.STEPS:
    for _regex in _definition.regexes:
        bdd_step(parsers.re(_regex.pattern), _definition.kind,
                 converters=_definition.converters)(_definition.func)


def bundled_rules() -> Any:
    global _RULES
    if _RULES is None:
        _RULES = load_rules()
    return _RULES


@functools.cache
def rule_ids() -> list[str]:
    """The rules tags may name: the bundled ones, and those of the worked examples'
    extensions (``examples/<name>/rules``, used with ``使用规则目录``)."""
    ids = {r.id for r in bundled_rules()}
    for extension in sorted((ROOT / "examples").glob("*/rules")):
        ids.update(r.id for r in load_rules([ROOT / "rules", extension]))
    return sorted(ids)


@pytest.fixture
def world() -> World:
    return World(bundled_rules(), ROOT, (ROOT / "rules",))


_PLACE = pytest.StashKey[tuple[str, int, str]]()
_SCENARIO = pytest.StashKey[tuple[str, str, int]]()


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    """Fail a scenario with no steps, a step-like line in a description, an unknown tag."""
    request.node.stash[_SCENARIO] = (feature.rel_filename, scenario.name, scenario.line_number)
    rule = getattr(scenario, "rule", None)
    descriptions = [getattr(scenario, "description", "") or "", feature.description or "",
                    getattr(rule, "description", "") or ""]
    # an example row's tags (on its 例子: block) are marks of the row's parametrization
    row_marks = getattr(getattr(request.node, "callspec", None), "marks", [])
    tags = [*sorted(scenario.tags), *sorted(feature.tags),
            *(sorted(rule.tags) if rule is not None else []), *(m.name for m in row_marks)]
    problems = scenario_problems(scenario.name, len(scenario.steps), descriptions, tags,
                                 rule_ids())
    if problems:
        raise StepFailure(problems[0], hints=problems[1:])


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any,
                                      exception: Exception) -> None:
    """An unknown step: the nearest phrases instead of pytest-bdd's error."""
    request.node.stash[_PLACE] = (feature.rel_filename, step.line_number,
                                  f"{step.keyword} {step.name}")
    raise library.unknown_step(step.type, step.name)


def pytest_bdd_step_error(request: Any, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    request.node.stash[_PLACE] = (feature.rel_filename, step.line_number,
                                  f"{step.keyword} {step.name}")


def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """Only tags that name a rule or a clause become markers; others fail their scenario."""
    allowed = tag_problem(tag, rule_ids()) is None
    return None if allowed else True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, Any]:
    """A step that does not hold: its place, the step and the message, no traceback."""
    report = yield
    failure = call.excinfo.value if call.excinfo is not None else None
    if report.failed and isinstance(failure, StepFailure):
        lines = []
        if _SCENARIO in item.stash:
            file, name, line = item.stash[_SCENARIO]
            lines.append(f"场景 / scenario: {name}  ({file}:{line})")
        if _PLACE in item.stash:
            file, line, text = item.stash[_PLACE]
            lines.append(f"{file}:{line}: {text}")
        lines += ["  " + x for x in failure.lines("zh")]
        lines += ["  " + x for x in failure.lines("en")]
        report.longrepr = "\n".join(lines)
    return report
