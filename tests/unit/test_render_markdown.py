"""The Markdown memo, read back (headings, tables) and compared with the report."""

from __future__ import annotations

import re

import pytest
from test_assess import sample_assessment, sample_report

from fuling_compliance.reports.render import render
from fuling_compliance.reports.render.markdown import escape, fence, render_markdown

CELL_SPLIT = re.compile(r"(?<!\\)\|")


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def tables(md: str) -> list[tuple[str, list[list[str]]]]:
    """Every table with the nearest heading above it: (heading, rows without the rule)."""
    out: list[tuple[str, list[list[str]]]] = []
    heading = ""
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line
        if line.startswith("|") and i + 1 < len(lines) and re.fullmatch(r"\|(\s*-+:?\s*\|)+",
                                                                        lines[i + 1].replace(
                                                                            "---:", "---")):
            rows = []
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                if j != i + 1:
                    cells = CELL_SPLIT.split(lines[j].strip())[1:-1]
                    rows.append([unescape(c.strip()) for c in cells])
                j += 1
            widths = {len(r) for r in rows}
            assert len(widths) == 1, (heading, rows)  # no stray | broke a row
            out.append((heading, rows))
            i = j
            continue
        i += 1
    return out


@pytest.fixture(scope="module")
def memo() -> str:
    return render_markdown(sample_report(), "zh", assessment=sample_assessment(),
                           command="fuling-compliance assess facts.yaml")


def test_findings_tables_hold_every_open_finding(memo: str) -> None:
    report = sample_report()
    listed: list[tuple[str, str, str]] = []
    for heading, rows in tables(memo):
        found = re.match(r"### `([A-Z]+-\d+)`", heading)
        if not found or rows[0][0] != "结论":
            continue
        for row in rows[1:]:
            status = {"🔴 不合规": "fail", "🟣 数据不足": "insufficient_data"}[row[0]]
            listed.append((found[1], status, row[3]))
    expected = [(f.rule, f.status, f.message.zh) for f in report.findings
                if f.status in ("fail", "insufficient_data")]
    assert listed == expected


def test_each_rule_group_quotes_its_clause(memo: str) -> None:
    groups = re.findall(r"^### `([A-Z]+-\d+)` .*（第 ([\d.]+) 条，.*）\n\n> (.+)$", memo, re.M)
    assert groups
    from fuling_compliance.rules.regulation import regulation

    for _rule, clause, quote in groups:
        assert unescape(quote) == regulation().clauses[clause].zh


def test_scorecards_and_summary(memo: str) -> None:
    report, a = sample_report(), sample_assessment()
    all_tables = tables(memo)
    summary = next(rows for heading, rows in all_tables if heading == "## 概况")
    assert summary[1] == [str(report.summary.get(s)) for s in
                          ("fail", "insufficient_data", "pass", "not_applicable")]
    ranking = next(rows for heading, rows in all_tables if heading.startswith("## 考核评分"))
    assert [r[0] for r in ranking[1:]] == [str(c.rank) for c in a.suppliers]
    assert [r[2] for r in ranking[1:]] == [f"**{c.score}**" for c in a.suppliers]
    s1 = next(rows for heading, rows in all_tables if heading.startswith("### 涪陵供电公司（S1）"))
    card = a.supplier("S1")
    assert [r[0].split()[0] for r in s1[1:]] == [fc.family for fc in card.families]
    assert "**表彰候选**：涪陵供电公司（S1）" in memo
    assert "考核期间 | 2026-04-01 至 2026-06-30（as\\_of 所在季度）" in memo


def test_charts_become_tables(memo: str) -> None:
    fails = sum(1 for f in sample_report().findings if f.status == "fail")
    for title in ("### 按条款类别", "### 按企业（责任方）", "### 按严重程度"):
        rows = next(rows for heading, rows in tables(memo) if heading == title)
        assert sum(int(r[1]) for r in rows[1:]) == fails


def test_text_from_the_facts_cannot_become_markup(memo: str) -> None:
    assert "<script>" not in memo and "<b>" not in memo
    assert "涪陵燃气公司 \\| \\<b\\>燃气\\</b\\>" in memo
    assert escape("[x](http://e) *a* `c`\nnext") == "\\[x\\](http://e) \\*a\\* \\`c\\` next"


def test_footer_command_is_fenced() -> None:
    md = render_markdown(sample_report(), "en", assessment=sample_assessment(),
                         command="fuling-compliance assess ```odd```.yaml")
    assert "````sh\nfuling-compliance assess ```odd```.yaml\n````" in md
    assert fence("plain") == "```"


def test_english_and_registry() -> None:
    md = render(sample_report(False), "markdown", "en")
    assert md.startswith("# Fuling District electricity and gas supply service")
    assert "## Findings" in md and "| 🔴 fail |" in md
    assert "per-supplier evaluated and passed counts" in md
    assert "\n\n\n" not in md
