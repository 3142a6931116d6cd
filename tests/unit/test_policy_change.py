"""Policy staff own the rules: a changed number and an added rule break no Python check.

A copy of ``rules/`` gets CMP-04's reply limit shortened (by three working days from
whatever the rules say now), the assessment policy's factor for insufficient data
changed, and a new rule (CMP-90: a complaint about a major matter is a finding). Against
the copy, on a small generated quarter:

* the hand-written oracle and the engine agree on every rule the oracle can judge (the
  oracle reads the new limit from the copy; the new rule is the engine's alone);
* the scorecards' counts are the report's and the scores the changed policy's weighted
  compliance rates;
* the feature scenarios that start failing are the ones stating the old reply limit,
  and the new rule is reported as lacking a failing and a passing scenario — what
  ``fuling-compliance test`` tells the policy officer to write.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_assess import check_counts, check_scores
from test_oracle_agreement import diff, evaluated, judged

from fuling_compliance import evaluate, load_rules
from fuling_compliance.reports.assess import assess, load_policy
from fuling_compliance.testing.checks import rules_lacking_scenarios
from fuling_compliance.testing.gherkin import read_feature, read_features
from fuling_compliance.testing.runner import run_feature

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
#: (seed, records): one small generated quarter
DATASETS = ((5, 600),)

ADDED_RULE = """
  - id: CMP-90
    clause: "4"
    clause_text: 涉及重大事项的投诉，应采用书面形式。
    title: {zh: 重大事项投诉, en: Complaint about a major matter}
    severity: low
    subject: complaints
    fails_when: {field: major, eq: true}
    message:
      zh: 投诉 {id} 涉及重大事项
      en: Complaint {id} concerns a major matter
"""


class Changed:
    """The changed copy of the rules and what was changed."""

    def __init__(self, folder: Path) -> None:
        bundled = load_rules()
        (self.reply_name, param), = bundled.get("CMP-04").parameters.items()
        self.old_limit = int(param.value)
        self.new_limit = max(1, self.old_limit - 3)
        self.folder = folder / "rules"
        shutil.copytree(ROOT / "rules", self.folder)
        complaints = self.folder / "4-5-complaints.yaml"
        text, n = re.subn(rf"(\n\s+{self.reply_name}:\s*\n\s+value: ){self.old_limit}\b",
                          rf"\g<1>{self.new_limit}", complaints.read_text(encoding="utf-8"))
        assert n == 1, "the reply limit was not found in 4-5-complaints.yaml"
        complaints.write_text(text.rstrip("\n") + "\n" + ADDED_RULE, encoding="utf-8")
        policy = self.folder / "policy" / "assessment.yaml"
        self.old_factor = float(load_policy().insufficient_data_factor.value)
        self.new_factor = 0.25 if self.old_factor != 0.25 else 0.75
        text, n = re.subn(r"(insufficient_data_factor:\s*\n\s+value: )[0-9.]+",
                          rf"\g<1>{self.new_factor}", policy.read_text(encoding="utf-8"))
        assert n == 1, "the insufficient data factor was not found"
        policy.write_text(text, encoding="utf-8")
        self.rules = load_rules([self.folder])
        self.policy = load_policy(policy, families=self.rules.families)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Changed:
    return Changed(tmp_path_factory.mktemp("policy"))


@pytest.fixture(scope="module")
def datasets(changed: Changed) -> list[Any]:
    return evaluated(DATASETS, changed.rules, [changed.folder])


def test_the_copy_holds_the_changes(changed: Changed) -> None:
    assert changed.rules.get("CMP-04").parameters[changed.reply_name].value == changed.new_limit
    assert {r.id for r in changed.rules} == {r.id for r in load_rules()} | {"CMP-90"}
    assert changed.policy.insufficient_data_factor.value == changed.new_factor


def test_oracle_and_engine_agree_on_the_changed_rules(changed: Changed,
                                                      datasets: list[Any]) -> None:
    reports = [diff(rule, datasets, lambda ds, key: True) for rule in judged(changed.rules)]
    assert [r for r in reports if r] == []
    # the change mattered: the shorter limit fails complaints the bundled rules pass ...
    engine = datasets[0].engine
    bundled = evaluate(load_rules().select(["CMP-04"]), datasets[0].facts, all_outcomes=True)
    before = {f.subject.id: f.status for f in bundled.findings}
    assert any(status == "fail" and before[subject] == "pass"
               for (rule, subject, _), status in engine.items() if rule == "CMP-04")
    # ... and the added rule has outcomes of its own, failing and passing
    assert {s for (rule, _, _), s in engine.items() if rule == "CMP-90"} >= {"fail", "pass"}


def test_scorecards_follow_the_changed_rules_and_policy(changed: Changed,
                                                        datasets: list[Any]) -> None:
    facts = datasets[0].facts
    report = evaluate(changed.rules, facts, all_outcomes=True)
    a = assess(report, facts, changed.policy, families=changed.rules.families)
    assert any(f.rule == "CMP-90" for f in report.findings)
    check_counts(report, a)
    check_scores(report, a, changed.policy)


def test_only_scenarios_stating_the_old_limit_fail(changed: Changed) -> None:
    feature = read_feature(FEATURES / "4-5-投诉受理与处理.feature")

    def failing(rules: Any) -> dict[str, Any]:
        return {r.scenario.location: r for r in run_feature(feature, rules) if not r.passed}

    before, after = failing(load_rules()), failing(changed.rules)
    new = [after[place] for place in after if place not in before]
    if not before:  # the features state the bundled rules: the change must show
        assert new, "no scenario states the reply limit"
    for result in new:
        assert result.step is not None and '"CMP-04"' in result.step.text, (
            result.scenario.location, result.failure)
        assert result.failure is not None and "结论应为" in result.failure.message.zh
    parsed, problems = read_features(sorted(FEATURES.glob("*.feature")), FEATURES)
    assert not problems
    lacking = rules_lacking_scenarios([r.id for r in changed.rules], parsed)
    already = rules_lacking_scenarios([r.id for r in load_rules()], parsed)
    assert {k: v for k, v in lacking.items() if k not in already} == {"CMP-90": ["fail", "pass"]}
