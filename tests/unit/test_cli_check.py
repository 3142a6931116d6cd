"""`fuling-compliance check` and `rules` as staff and scripts use them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fuling_compliance import evaluate, load_facts, load_rules
from fuling_compliance.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "fuling-2026q2.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_is_exactly_the_report() -> None:
    code, out, _ = invoke("check", EXAMPLE, "--format", "json")
    assert code == 1  # the example has failing findings at or above `low`
    expected = evaluate(load_rules(), load_facts(EXAMPLE)).to_json()
    assert json.loads(out) == json.loads(expected)


def test_fail_on_threshold_sets_the_exit_code(tmp_path: Path) -> None:
    facts = tmp_path / "f.yaml"
    facts.write_text("as_of: 2026-06-30T23:59:59+08:00\nsuppliers: []\n"
                     "commission: {hotline: '12345', hotline_published: true}\n",
                     encoding="utf-8")
    assert invoke("check", str(facts))[0] == 0
    code, _, _ = invoke("check", EXAMPLE, "--fail-on", "high", "--format", "json")
    assert code == 1  # the example has high-severity failures too


def test_rejected_input_exits_2_with_places_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("suppliers:\n  - {id: S1, utility: water}\n"
                   "areas:\n  - {id: A1, supplier_id: S9}\n", encoding="utf-8")
    code, out, err = invoke("check", str(bad), "--lang", "en")
    assert code == 2 and out == ""
    assert f"{bad}:2:" in err and f"{bad}:4:" in err
    assert "Traceback" not in err


def test_missing_file_and_bad_as_of_exit_2() -> None:
    assert invoke("check", "/nonexistent.yaml")[0] == 2
    assert invoke("check", EXAMPLE, "--as-of", "yesterday")[0] == 2


def test_output_file_and_as_of(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    invoke("check", EXAMPLE, "--format", "json", "--output", str(target),
           "--as-of", "2026-05-01T00:00:00+08:00")
    assert json.loads(target.read_text(encoding="utf-8"))["as_of"] == "2026-05-01T00:00:00+08:00"


def test_rules_lists_every_rule() -> None:
    code, out, _ = invoke("rules", "--format", "json")
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == [r.id for r in load_rules()]


def test_timings_name_every_phase_and_keep_the_exit_code(tmp_path: Path) -> None:
    code, out, err = invoke("check", EXAMPLE, "--format", "json", "--timings")
    assert code == 1 and json.loads(out)["format"] == "fuling-compliance/report/v1"
    (line,) = [x for x in err.splitlines() if x.startswith("timings: ")]
    times = json.loads(line.removeprefix("timings: "))
    for name in ("rules", "parse", "validate", "normalise", "engine", "report", "render"):
        assert times[name] >= 0, name
    assert times["total"] >= max(v for k, v in times.items() if k != "total")
    bad = tmp_path / "bad.yaml"
    bad.write_text("suppliers: [{id: S1, utility: water}]\n", encoding="utf-8")
    code, _, err = invoke("check", str(bad), "--timings")
    assert code == 2 and "timings: " in err and "engine" not in err.split("timings: ")[1]
