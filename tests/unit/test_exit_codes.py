"""One exit-code contract for every command, and no crash reaches the caller.

0 success (``check``: no failing finding at or above ``--fail-on``); 1 findings (only
``check``, ``coverage --fail-under``, ``docs --check``); 2 input rejected, located;
3 internal error or engine crash, one line (``--debug``: the traceback).
"""

from __future__ import annotations

import faulthandler
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fuling_compliance import EngineError, evaluate, load_facts, load_rules
from fuling_compliance.cli import app
from fuling_compliance.engine import run as engine_run
from fuling_compliance.engine.durable import EngineRun
from fuling_compliance.engine.isolate import call_isolated
from fuling_compliance.reports import evaluate as evaluate_module
from fuling_compliance.rules.engine_fields import KIND, RECORD_ID

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "fuling-2026q2.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", sorted(app.commands))
def test_every_help_states_the_exit_codes(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Exit codes: 0" in text and "2 " in text and "3 internal error" in text
    assert ("1 " in text.split("Exit codes:")[1]) == (command in {"check", "coverage", "docs",
                                                                  "test"})


def test_group_help_states_the_contract() -> None:
    _, out, _ = invoke("--help")
    assert "3 internal error" in " ".join(out.split())


def test_an_internal_error_is_exit_3_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug\nsecond line")

    monkeypatch.setattr(evaluate_module, "build_report", broken)
    code, out, err = invoke("check", EXAMPLE)
    assert code == 3 and out == ""
    assert err.strip().splitlines() == ["内部错误: RuntimeError: a bug (--debug: traceback)"]
    code, _, err = invoke("--debug", "check", EXAMPLE, "--lang", "en")
    assert code == 3 and "Traceback" in err and err.rstrip().endswith(
        "internal error: RuntimeError: a bug")


def _crash(*_: Any, **__: Any) -> None:
    faulthandler.disable()  # pytest's dump of the (intended) crash would only be noise
    os.kill(os.getpid(), signal.SIGSEGV)


def test_an_engine_crash_is_exit_3_not_a_dead_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate_module, "run", _crash)
    code, out, err = invoke("check", EXAMPLE, "--lang", "en")
    assert code == 3 and out == ""
    assert "rule engine error: EngineError" in err and "SIGSEGV" in err
    code, _, err = invoke("assess", EXAMPLE, "--format", "json")
    assert code == 3 and "SIGSEGV" in err
    code, _, err = invoke("explain", EXAMPLE, "--rule", "LIM-01", "--subject", "YW-P02")
    assert code == 3 and "SIGSEGV" in err


def test_isolated_evaluate_is_the_same_report_and_survives_a_crash(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rules, facts = load_rules(), load_facts(EXAMPLE)
    assert evaluate(rules, facts, isolated=True) == evaluate(rules, facts)
    monkeypatch.setattr(evaluate_module, "run", _crash)
    with pytest.raises(EngineError, match="SIGSEGV"):
        evaluate(rules, facts, isolated=True)


def test_durable_rules_really_crashes_on_a_huge_session_id_and_isolation_holds() -> None:
    """The C extension dies on a 2,000,000-character session id (the library's session
    ids are ``s<n>``: no input reaches them); in a child, it is an EngineError."""
    definitions = {"r1": {"all": [{"subj": {KIND: "a", "v": {"$gt": 0}}}]}}

    def fire(sid: str) -> list[tuple[str, int]]:
        faulthandler.disable()  # in the child only: no dump of the intended crash
        with EngineRun(definitions, ["a"]) as engine:
            return engine.fire(sid, [{KIND: "a", "v": 1, "_i": 0, RECORD_ID: "r"}], None)

    assert call_isolated(lambda: fire("s1")) == [("r1", 0)]
    with pytest.raises(EngineError, match="SIGSEGV"):
        call_isolated(lambda: fire("s" * 2_000_000))


def test_a_library_error_in_the_child_is_raised_as_itself() -> None:
    from fuling_compliance import CalendarError

    def work() -> None:
        raise CalendarError(1999, "as_of")

    with pytest.raises(CalendarError, match="1999"):
        call_isolated(work)
    with pytest.raises(EngineError, match="ZeroDivisionError") as caught:
        call_isolated(lambda: 1 // 0)
    assert any("Traceback" in note for note in caught.value.__notes__)


def test_a_dead_worker_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = engine_run._run_shards

    def dying(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_run, "_run_shards", dying)
    with pytest.raises(EngineError, match="worker process died"):
        evaluate(load_rules(), load_facts(EXAMPLE), workers=2)
    code, _, err = invoke("check", EXAMPLE, "--jobs", "2", "--lang", "en")
    assert code == 3 and "worker process died" in err


def test_interrupt_is_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate_module, "evaluate", interrupted)
    assert invoke("check", EXAMPLE)[0] == 130


def test_outputs_that_cannot_be_written_are_exit_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "no" / "such" / "dir" / "out.txt")
    for args in (["check", EXAMPLE, "--output", missing],
                 ["check", EXAMPLE, "--format", "json", "--output", missing],
                 ["schema", "facts", "--output", missing],
                 ["assess", EXAMPLE, "--output", missing]):
        code, _, err = invoke(*args)
        assert code == 2, (args, err)
        assert "Traceback" not in err


def test_only_findings_exit_1(tmp_path: Path) -> None:
    assert invoke("check", EXAMPLE, "--format", "json")[0] == 1
    assert invoke("rules")[0] == 0
    assert invoke("validate")[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: fuling-compliance/rules/v1\nfamily: x\nrules: 5\n", encoding="utf-8")
    assert invoke("validate", str(bad))[0] == 2
    assert invoke("explain", EXAMPLE, "--rule", "NOPE-1", "--subject", "x")[0] == 2


def test_coverage_without_features_says_so_and_exits_2(tmp_path: Path) -> None:
    code, out, err = invoke("coverage", "--features", str(tmp_path), "--lang", "en")
    assert code == 2 and out == ""
    assert "no feature files" in err and "--features" in err
    code, _, err = invoke("coverage", "--features", str(tmp_path / "nowhere"))
    assert code == 2 and "找不到场景文件" in err
