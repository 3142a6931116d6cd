"""The bundled example (examples/fuling-2026q2.yaml) against its hand-written expectations.

``examples/expected-findings.yaml`` was written from the design of the example data, not
copied from the tool's output: it lists every ``fail`` and ``insufficient_data`` finding
the example is meant to produce. A difference is either a mistake in the example (fix
the data or the expectation) or a rule/engine that behaves wrongly (fix that, not the
expectation). The comparison is :func:`fuling_compliance.testing.checks.check_example`,
the one ``fuling-compliance test`` makes; a change of the policy in ``rules/`` changes
the expected findings, so these are ``features`` tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fuling_compliance import load_facts, load_rules
from fuling_compliance.testing.checks import (
    ExampleError,
    ExampleResult,
    Key,
    check_example,
    read_expected,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
EXPECTED = ROOT / "examples" / "expected-findings.yaml"

#: Rule ids that the example cannot make fail, with the reason. Empty: every rule fails
#: at least once somewhere in the example.
KNOWN_NOT_FAILING: dict[str, str] = {}


@pytest.fixture(scope="module")
def result() -> ExampleResult:
    return check_example(load_rules(), [EXAMPLE], EXPECTED, KNOWN_NOT_FAILING)


def _show(keys: list[Key]) -> str:
    return "\n".join(f"  {rule:7} {subject:28} {item or '-':22} {status}"
                     for rule, subject, item, status in keys) or "  (none)"


def test_example_loads_without_warnings() -> None:
    facts = load_facts([EXAMPLE])
    assert facts.as_of is not None and facts.as_of.isoformat() == "2026-06-30T23:59:59+08:00"
    assert list(facts.warnings) == []


@pytest.mark.features
def test_expectations_name_existing_rules(result: ExampleResult) -> None:
    assert not result.unknown_rules, (
        f"expectations for rules that do not exist:\n{_show(result.unknown_rules)}")


@pytest.mark.features
def test_findings_match_expectations(result: ExampleResult) -> None:
    if result.unexpected or result.missing:
        lines = ["the example's findings differ from examples/expected-findings.yaml"]
        lines.append(f"reported by the tool but not expected ({len(result.unexpected)}):")
        lines += [_show([key]) + f"   — {message.zh}" for key, message in result.unexpected]
        lines.append(f"expected but not reported ({len(result.missing)}):")
        lines.append(_show(result.missing))
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.mark.features
def test_every_rule_fails_somewhere(result: ExampleResult) -> None:
    assert not result.never_failing, (
        f"rules that never fail in the example: {result.never_failing}")
    assert not result.not_designed, (
        f"rules with no expected fail in expected-findings.yaml: {result.not_designed}")
    check = check_example(load_rules(), [EXAMPLE], EXPECTED)
    stale = sorted(set(KNOWN_NOT_FAILING) - set(check.never_failing))
    assert not stale, f"KNOWN_NOT_FAILING lists rules that do fail now: {stale}"


def test_a_malformed_expectation_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "expected.yaml"
    path.write_text("- {rule: OUT-01, subject: A1, item: null, status: fail}\n"
                    "- {rule: OUT-01, subject: A2, status: fail}\n"
                    "- {rule: OUT-01, subject: A3, item: null, status: pass}\n"
                    "- {rule: OUT-01, subject: A1, item: null, status: fail}\n",
                    encoding="utf-8")
    with pytest.raises(ExampleError) as info:
        read_expected(path)
    assert [(p.line, p.message_zh) for p in info.value.problems] == [
        (2, "每条应正好有 rule、subject、item、status"),
        (3, "status 应为 fail 或 insufficient_data"),
        (4, "重复的条目")]
