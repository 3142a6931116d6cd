"""The rule book: plain words for conditions, complete pages, HTML, and no stale copy.

Parameter values in the expected words are read from the rules (:func:`value`): a changed
parameter changes the words and these tests alike. The committed copy being up to date
is a ``features`` test: a change of ``rules/`` makes it stale until
``fuling-compliance docs`` is run (``fuling-compliance test`` says so too).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fuling_compliance import Rule, load_rules
from fuling_compliance.cli import app
from fuling_compliance.reports.coverage import Scenario, scan_features
from fuling_compliance.reports.rulebook import (
    build_book,
    condition_words,
    markdown_to_html,
    render_html,
    render_markdown,
    stale_pages,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "rules"
RULES = load_rules()


def value(rule: str, name: str) -> Any:
    """A parameter's value as the rules give it."""
    return RULES.get(rule).parameters[name].value


@pytest.mark.features
def test_committed_rule_book_is_up_to_date() -> None:
    """docs/rules/*.md is what `fuling-compliance docs` makes of today's rules and features."""
    book = build_book(RULES, scan_features(ROOT / "features"))
    assert stale_pages(book, DOCS) == [], (
        "docs/rules is stale: run `fuling-compliance docs --output docs/rules`")


# ----------------------------------------------------------------------------- words
def words(rule_id: str, part: str = "fails_when") -> list[str]:
    rule = RULES.get(rule_id)
    return condition_words(getattr(rule, part), rule).lines()


def test_conditions_in_plain_words() -> None:
    grace = value("VIS-02", "late_grace_minutes")
    assert words("VIS-02") == [
        f"实际到达时间（arrived_at）晚于 约定上门时间（scheduled_start） 加 {grace} 分钟"
        "（参数 late_grace_minutes）"]
    assert words("VIS-02", "applies_when") == ["状态（status）为“已完成”（completed）"]
    assert words("OUT-01") == ["不存在关联记录 outlet（服务网点：辖区编号（area_id） = "
                               "本记录的编号（id））"]
    assert words("STF-05") == ["满意人数×100（satisfied_x100）小于 受访人数（respondents） "
                               f"乘以 {value('STF-05', 'min_satisfaction')}%"
                               "（参数 min_satisfaction）"]
    cmp02 = words("CMP-02")
    assert cmp02[0] == "满足以下任一条件："
    assert cmp02[1].startswith("  - 核实时间（verified_at）晚于 受理时间（received_at） 加 "
                               f"{value('CMP-02', 'verify_days')} 个工作日（参数 verify_days）"
                               "（按法定工作日计算")
    assert cmp02[3] == "    - 核实时间（verified_at）为空（尚未发生）"
    assert words("DIS-06") == ["公开事项的公开内容（disclosure.value）不等于 "
                               "区经济信息委的监督电话（commission.supervision_phone）（只比较数字）"]


def test_every_condition_form_has_words() -> None:
    rule = Rule.model_validate({
        "id": "TST-01", "clause": "3.4", "clause_text": "接受用户咨询、求助和投诉",
        "title": {"zh": "测试", "en": "Test"}, "severity": "low", "subject": "suppliers",
        "items": ["enquiry"],
        "related": {"d": {"collection": "disclosures", "match": {"supplier_id": "id"}}},
        "fails_when": {"any": [
            {"not": {"field": "utility", "in": ["electricity", "gas"]}},
            {"field": "utility", "not_in": ["both"]},
            {"field": "hotline_accepts", "contains": {"item": "current"}},
            {"present": "hotline"}, {"absent": "d.published_on"}, {"exists": "d"},
        ]},
        "message": {"zh": "x", "en": "x"},
    })
    assert condition_words(rule.fails_when, rule).lines() == [
        "满足以下任一条件：",
        "  - 不满足以下条件：",
        "    - 业务类型（utility）为 “供电”（electricity）、“供气”（gas） 之一",
        "  - 业务类型（utility）不是 “供电供气”（both） 中的任何一个",
        "  - 热线受理内容（hotline_accepts）包含当前检查项",
        "  - 服务热线（hotline）不为空",
        "  - 公开事项的公开日期（d.published_on）为空（尚未发生）",
        "  - 存在关联记录 d（公开事项：企业编号（supplier_id） = 本记录的编号（id））",
    ]
    english = condition_words(rule.fails_when, rule, "en").lines()
    assert english[2] == "    - utility is one of 'electricity', 'gas'"


# ----------------------------------------------------------------------------- pages
def book(scenarios: list[Scenario] | None = None) -> Any:
    return build_book(RULES, scenarios if scenarios is not None else [
        Scenario("迟到 90 分钟", "features/3.2.feature", 12, ("VIS-02",), 3)])


def test_a_page_per_rule_file_with_clauses_rules_parameters_and_scenarios() -> None:
    pages = render_markdown(book())
    assert sorted(pages) == sorted([Path(f).stem + ".md" for f in RULES.files] + ["README.md"])
    page = pages["3.2-staff-visits.md"]
    assert page.startswith("<!-- 由 `fuling-compliance docs` 根据规则文件生成")
    assert "> **3.2.4** 供电供气选择上门服务时不得迟到，更不得无故更改或取消上门服务时间" in page
    assert "⚠ 本条部分内容无法机器判断：业务知识与服务态度无法从记录判断" in page
    for rule in RULES:
        in_page = f"\n## {rule.id}\n" in page
        assert in_page == (RULES.origins[rule.id][0].endswith("3.2-staff-visits.yaml"))
    grace = value("VIS-02", "late_grace_minutes")
    assert f"| late_grace_minutes | {grace} 分钟 | 政策设定 | " in page
    assert "- 迟到 90 分钟（3 组例子） — `features/3.2.feature:12`" in page
    assert "**测试场景**：⚠ 暂无（没有场景标注 @VIS-03）" in page
    index = pages["README.md"]
    assert "| [3.2](3.2-staff-visits.md) | 员工要求、上门服务与帮办代办 |" in index
    assert "- **6.1** 考核的组织实施属内部组织工作" in index


def test_html_pages_are_self_contained_and_say_the_same() -> None:
    markdown = render_markdown(book())
    html = render_html(book())
    assert sorted(html) == sorted(n.replace("README.md", "index.md")[:-3] + ".html"
                                  for n in markdown)
    for name, page in html.items():
        assert page.startswith("<!DOCTYPE html>")
        assert not re.search(r"<script|<link|src=|https?://", page), name
        assert "default-src 'none'" in page
    page = html["3.2-staff-visits.html"]
    assert '<h2 id="vis-02">VIS-02</h2>' in page
    assert '<a href="index.html">返回目录</a>' in page
    grace = value("VIS-02", "late_grace_minutes")
    assert f"<td>late_grace_minutes</td><td>{grace} 分钟</td><td>政策设定</td>" in page
    for rule_id in re.findall(r"^## ([A-Z]{3}-\d\d)$", markdown["3.2-staff-visits.md"], re.M):
        assert f">{rule_id}</h2>" in page


def test_markdown_to_html() -> None:
    text = ("# 标题 \\<b\\>\n\n> **3.1** 条文\n>\n> 第二段\n\n| a | b \\| c |\n|---|---|\n"
            "| `x<y` | [页](3.1-outlets.md) |\n\n- 一\n  - 二\n- 三\n\n*斜体* 段落\n")
    assert markdown_to_html(text) == (
        "<h1>标题 &lt;b&gt;</h1>\n"
        "<blockquote><p><b>3.1</b> 条文</p><p>第二段</p></blockquote>\n"
        "<table><tr><th>a</th><th>b | c</th></tr>"
        '<tr><td><code>x&lt;y</code></td><td><a href="3.1-outlets.html">页</a></td></tr></table>\n'
        "<ul><li>一<ul><li>二</li></ul></li><li>三</li></ul>\n"
        "<p><i>斜体</i> 段落</p>\n")


# ----------------------------------------------------------------------------- command
def test_docs_command_writes_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    features = tmp_path / "features"
    features.mkdir()
    out = tmp_path / "book"
    result = runner.invoke(app, ["docs", "--output", str(out), "--features", str(features)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "README.md" in names and "index.html" in names and "3.1-outlets.html" in names
    check = ["docs", "--output", str(out), "--features", str(features), "--check"]
    assert runner.invoke(app, check).exit_code == 0
    (features / "a.feature").write_text(
        "功能: x\n  @OUT-01\n  场景: 新场景\n    当 进行合规检查\n", encoding="utf-8")
    result = runner.invoke(app, check)
    assert result.exit_code == 1
    assert "3.1-outlets.md" in result.stderr
    only_md = tmp_path / "md"
    assert runner.invoke(app, ["docs", "--output", str(only_md), "--format", "md"]).exit_code == 0
    assert {p.suffix for p in only_md.iterdir()} == {".md"}
