"""The bundled example (examples/fuling-2026q2.yaml) against its hand-written expectations.

``examples/expected-findings.yaml`` was written from the design of the example data, not
copied from the tool's output: it lists every ``fail`` and ``insufficient_data`` finding
the example is meant to produce. A difference is either a mistake in the example (fix
the data or the expectation) or a rule/engine that behaves wrongly (fix that, not the
expectation).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fuling_compliance import Report, evaluate, load_facts, load_rules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
EXPECTED = ROOT / "examples" / "expected-findings.yaml"

#: Rule ids that the example cannot make fail, with the reason. Empty: every rule fails
#: at least once somewhere in the example.
KNOWN_NOT_FAILING: dict[str, str] = {}

Key = tuple[str, str, str | None, str]


@pytest.fixture(scope="module")
def report() -> Report:
    rules = load_rules()
    facts = load_facts([EXAMPLE])
    return evaluate(rules, facts)


@pytest.fixture(scope="module")
def expected() -> set[Key]:
    entries = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))
    assert isinstance(entries, list), "expected-findings.yaml must be a list"
    keys: set[Key] = set()
    for entry in entries:
        assert set(entry) == {"rule", "subject", "item", "status"}, entry
        assert entry["status"] in ("fail", "insufficient_data"), entry
        key = (entry["rule"], str(entry["subject"]), entry["item"], entry["status"])
        assert key not in keys, f"duplicate expectation {key}"
        keys.add(key)
    return keys


def _actual(report: Report) -> set[Key]:
    return {(f.rule, f.subject.id, f.item, f.status) for f in report.findings
            if f.status in ("fail", "insufficient_data")}


def _show(keys: set[Key]) -> str:
    return "\n".join(f"  {rule:7} {subject:28} {item or '-':22} {status}"
                     for rule, subject, item, status in sorted(keys, key=repr)) or "  (none)"


def test_example_loads_without_warnings() -> None:
    facts = load_facts([EXAMPLE])
    assert facts.as_of is not None and facts.as_of.isoformat() == "2026-06-30T23:59:59+08:00"
    assert list(facts.warnings) == []


def test_expectations_name_existing_rules_and_subjects(report: Report,
                                                       expected: set[Key]) -> None:
    rule_ids = {r.id for r in load_rules()}
    unknown = {k for k in expected if k[0] not in rule_ids}
    assert not unknown, f"expectations for rules that do not exist:\n{_show(unknown)}"


def test_findings_match_expectations(report: Report, expected: set[Key]) -> None:
    actual = _actual(report)
    unexpected = actual - expected
    missing = expected - actual
    if unexpected or missing:
        detail: dict[Key, str] = {(f.rule, f.subject.id, f.item, f.status): f.message.zh
                  for f in report.findings}
        lines = ["the example's findings differ from examples/expected-findings.yaml"]
        lines.append(f"reported by the tool but not expected ({len(unexpected)}):")
        for key in sorted(unexpected, key=repr):
            lines.append(_show({key}) + f"   — {detail.get(key, '')}")
        lines.append(f"expected but not reported ({len(missing)}):")
        lines.append(_show(missing))
        pytest.fail("\n".join(lines), pytrace=False)


def test_every_rule_fails_somewhere(report: Report, expected: set[Key]) -> None:
    rule_ids = {r.id for r in load_rules()}
    failing = {f.rule for f in report.findings if f.status == "fail"}
    never = sorted(rule_ids - failing - set(KNOWN_NOT_FAILING))
    assert not never, f"rules that never fail in the example: {never}"
    designed = {k[0] for k in expected if k[3] == "fail"}
    not_designed = sorted(rule_ids - designed - set(KNOWN_NOT_FAILING))
    assert not not_designed, (
        f"rules with no expected fail in expected-findings.yaml: {not_designed}")
    stale = sorted(set(KNOWN_NOT_FAILING) & failing)
    assert not stale, f"KNOWN_NOT_FAILING lists rules that do fail now: {stale}"
