"""The output means what it says: files get what was asked, languages are kept, the same
data is shown the same way everywhere."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fuling_compliance import FactsError, Session, evaluate, load_facts, load_rules
from fuling_compliance.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "fuling-2026q2.yaml")
ASCII_FIELD = re.compile(r"[a-z]+_[a-z_]+")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_table_output_goes_to_the_file(tmp_path: Path) -> None:
    target = tmp_path / "findings.txt"
    code, out, _ = invoke("check", EXAMPLE, "--output", str(target))
    assert code == 1 and out == ""
    text = target.read_text(encoding="utf-8")
    report = evaluate(load_rules(), load_facts(EXAMPLE))
    assert text.startswith("检查结果 (as_of 2026-06-30T23:59:59+08:00)")
    for f in report.findings:
        assert f.message.zh in text


def test_piped_table_rows_are_not_wrapped() -> None:
    code, out, _ = invoke("check", EXAMPLE)
    report = evaluate(load_rules(), load_facts(EXAMPLE))
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert code == 1 and len(rows) == len(report.findings)
    assert len(out.splitlines()) <= len(report.findings) + 6  # title, rules, head, summary


def test_html_and_markdown_of_check_show_the_assessment_of_assess() -> None:
    for fmt in ("markdown", "html"):
        _, checked, _ = invoke("check", EXAMPLE, "--format", fmt)
        _, assessed, _ = invoke("assess", EXAMPLE, "--format", fmt)

        def body(text: str) -> str:  # the reproduce command names the command itself
            return re.sub(r"fuling-compliance (check|assess) [^\n<]*", "CMD", text)

        assert body(checked) == body(assessed), fmt
    assert "用户满意度：93.1%" in checked or "93.1%" in checked


def test_passing_rows_say_they_pass() -> None:
    report = evaluate(load_rules(), load_facts(EXAMPLE), all_outcomes=True)
    titles = {r.id: r.title["zh"] for r in report.rules}
    seen = set()
    for f in report.findings:
        if f.status == "pass":
            assert f.message.zh.startswith("合规") and f.message.en.startswith("Passes")
        elif f.status == "not_applicable":
            assert f.message.zh.startswith("不适用") and f.message.en.startswith("Not applicable")
        else:
            continue
        assert titles[f.rule] in f.message.zh and f.message.zh != titles[f.rule]
        seen.add(f.status)
    assert seen == {"pass", "not_applicable"}


def test_insufficient_data_names_chinese_labels() -> None:
    report = evaluate(load_rules(), load_facts(EXAMPLE))
    lines = [f.message.zh for f in report.findings if f.status == "insufficient_data"]
    assert lines
    for line in lines:
        assert "未知：—" not in line and "未知：" in line
        assert not ASCII_FIELD.search(line), line
    assert any("未知：实际到达时间" in line for line in lines)  # a required event (VIS-02)


def test_chinese_by_default(tmp_path: Path) -> None:
    _, _, err = invoke("explain", EXAMPLE, "--rule", "VIS-2", "--subject", "x")
    assert "没有规则 'VIS-2'（是否应为 VIS-02？）" in err
    _, _, err = invoke("explain", EXAMPLE, "--rule", "VIS-02", "--subject", "x")
    assert "事实数据中没有上门服务记录 'x'" in err
    code, _, err = invoke("check", EXAMPLE, "--as-of", "2031-03-02T10:00:00+08:00")
    assert code == 2 and "没有 2031 年的工作日日历" in err and "rules/calendar/2031.yaml" in err
    facts = tmp_path / "f.yaml"
    facts.write_text("suppliers:\n  - {id: S1, name: x, utility: electricity, colour: red}\n",
                     encoding="utf-8")
    _, _, err = invoke("check", str(facts))
    assert "警告：" in err and "未知字段 'colour' 已保留并忽略" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("suppliers:\n  - {id: S1, utility: water}\n  - {id: S2, utility: gas2}\n",
                   encoding="utf-8")
    _, _, err = invoke("check", str(bad))
    assert "输入被拒绝：2 个问题" in err and "problem" not in err
    _, _, err = invoke("check", str(bad), "--lang", "en")
    assert "input rejected: 2 problems" in err


def test_session_errors_in_chinese() -> None:
    facts = load_facts(EXAMPLE)
    visit = next(r for r in facts.appointments if r.id == "SM-P14")
    with Session(load_rules(), facts) as session, pytest.raises(FactsError) as caught:
        session.update("appointments", {**visit.to_dict(), "supplier_id": "nobody"})
    text = caught.value.render("zh")
    assert "输入被拒绝：1 个问题" in text and "企业编号 'nobody' 不存在" in text
    assert "refers to no record" in str(caught.value)


def test_assess_refuses_to_write_html_to_a_terminal(tmp_path: Path) -> None:
    """Run in a pseudo-terminal: exit 2 saying how, not a megabyte of HTML."""
    import os
    import pty
    import subprocess

    import fuling_compliance

    main, secondary = pty.openpty()
    src = str(Path(fuling_compliance.__file__).resolve().parents[1])
    try:
        result = subprocess.run([sys.executable, "-m", "fuling_compliance", "assess", EXAMPLE,
                                 "--lang", "en"], stdout=secondary, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": src}, timeout=120, text=True)
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert result.returncode == 2
    assert "--output report.html" in result.stderr and b"<html" not in shown
    # redirected, it is written (for `> report.html`)
    code, out, _ = invoke("assess", EXAMPLE)
    assert code == 0 and out.lstrip().lower().startswith("<!doctype html")
