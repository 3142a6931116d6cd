"""Run scenarios with the step library, without pytest (``fuling-compliance test``).

Each scenario gets a fresh :class:`~.steps.World`; its steps run in order until one does
not hold. Before the first step, :func:`~.checks.problems_of` fails a scenario without
steps, with a step swallowed into a description, or with a tag naming no rule — the
same checks ``tests/bdd/conftest.py`` makes in pytest — and a scenario whose name an
earlier one in the feature already has fails too (pytest-bdd would run only one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FulingError
from .checks import duplicate_names, problems_of
from .gherkin import Feature, Scenario, Step
from .steps import StepFailure, Text, World, call_step, find_step, unknown_step

if TYPE_CHECKING:
    from ..rules.load import RuleSet


@dataclass(frozen=True)
class Result:
    """The outcome of one scenario."""

    scenario: Scenario
    #: ``None`` when every step held
    failure: StepFailure | None = None
    #: the step that did not hold (``None``: the scenario failed before its steps)
    step: Step | None = None
    #: the failure is a bug of the library, not of the scenario
    internal: bool = False

    @property
    def passed(self) -> bool:
        return self.failure is None


def run_scenario(scenario: Scenario, rules: RuleSet, before: Iterable[Text] = (),
                 root: Path | None = None, rules_dirs: Sequence[Path] = ()) -> Result:
    """Run one scenario; ``before`` are problems found before its steps; ``root`` is the
    project folder that ``使用规则目录`` names folders in; ``rules_dirs`` the folders
    ``rules`` were read from (a scenario changing a parameter changes a copy)."""
    problems = [*before, *problems_of(scenario, [r.id for r in rules])]
    if problems:
        return Result(scenario, StepFailure(problems[0], hints=problems[1:]))
    world = World(rules, root, rules_dirs)
    for step in scenario.steps:
        found = find_step(step.kind, step.text)
        if found is None:
            return Result(scenario, unknown_step(step.kind, step.text), step)
        definition, args = found
        try:
            call_step(definition, world, args, step.table, step.docstring)
        except StepFailure as failure:
            return Result(scenario, failure, step)
        except FulingError as exc:
            return Result(scenario, StepFailure(Text(str(exc), str(exc))), step)
        except Exception as exc:  # a bug of the library: said, not hidden
            text = f"{type(exc).__name__}: {exc}"
            return Result(scenario, StepFailure(Text(f"内部错误（请报告）：{text}",
                                                     f"internal error (please report): {text}")),
                          step, internal=True)
    return Result(scenario)


def run_feature(feature: Feature, rules: RuleSet, root: Path | None = None,
                rules_dirs: Sequence[Path] = ()) -> list[Result]:
    """Every scenario of a feature, in file order."""
    duplicates = duplicate_names(feature)
    results = []
    for scenario in feature.scenarios:
        before = []
        if scenario.line in duplicates:
            first = duplicates[scenario.line]
            before.append(Text(
                f"与第 {first} 行的场景同名（pytest 只运行其中一个）：请改名",
                f"same name as the scenario on line {first} (pytest runs only one): rename it"))
        results.append(run_scenario(scenario, rules, before, root, rules_dirs))
    return results
