"""The HTML report, read back with an HTML parser and compared with the report."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from test_assess import sample_assessment, sample_report

from fuling_compliance.reports.render import FORMATS, render
from fuling_compliance.reports.render.html import render_html

VOID = {"meta", "br", "link", "img", "input", "hr", "source", "col", "wbr", "area", "base"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self, lang: str | None = None) -> str:
        """Text content; with ``lang``, leaving out the other language's spans."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif lang is None or not _other_lang(child, lang):
                parts.append(child.text(lang))
        return "".join(parts)

    def iter(self) -> list[Node]:
        out = [self]
        for child in self.children:
            if isinstance(child, Node):
                out.extend(child.iter())
        return out

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [n for n in self.iter() if n.tag == tag
                and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def by_id(self, ident: str) -> Node:
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) == 1, ident
        return found[0]


def _other_lang(node: Node, lang: str) -> bool:
    classes = node.attrs.get("class", "").split()
    return ("en" if lang == "zh" else "zh") in classes


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return
        raise AssertionError(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert len(builder.stack) == 1, [n.tag for n in builder.stack]
    return builder.root


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(sample_report(), "zh", assessment=sample_assessment(),
                       command="fuling-compliance assess facts.yaml")


@pytest.fixture(scope="module")
def doc(html: str) -> Node:
    return parse(html)


def test_registered() -> None:
    assert {"json", "html", "markdown", "junit", "csv"} <= set(FORMATS)


def test_every_finding_is_a_row_with_its_content(doc: Node) -> None:
    report = sample_report()
    table = doc.by_id("findings-table")
    rows = [r for r in table.find_all("tr") if "data-status" in r.attrs]
    assert len(rows) == len(report.findings)
    for row, f in zip(rows, report.findings, strict=True):
        assert row.attrs["data-rule"] == f.rule
        assert row.attrs["data-status"] == f.status
        assert row.attrs["data-clause"] == f.clause
        assert row.attrs["data-subject"] == f.subject.id
        assert row.attrs["data-item"] == (f.item or "")
        party = "commission" if f.responsible.type == "commission" else f.responsible.id
        assert row.attrs["data-party"] == party
        assert f.message.zh in row.text("zh") and f.message.en in row.text("en")
        open_ = f.status in ("fail", "insufficient_data")
        assert ("hidden" in row.attrs) is not open_  # the default filter: fail + unknown
        if open_:
            quote = row.find_all("blockquote")
            assert quote and "。" in quote[0].text("zh")  # the clause's text
            evidence = row.find_all("dl", class_="evidence")
            keys = [dt.attrs["title"] for dt in evidence[0].find_all("dt")] if evidence else []
            assert keys == list(f.evidence)
            badge = row.find_all("span", class_=f"badge s-{f.status}")
            assert badge, f.status  # insufficient_data has its own badge colour


def test_insufficient_data_has_its_own_colour(html: str) -> None:
    css = re.search(r"<style>(.*?)</style>", html, re.S)
    assert css is not None
    colours = dict(re.findall(r"\.s-(\w+) \{ background: var\(--(\w+)\)", css.group(1)))
    assert colours["insufficient_data"] not in (colours["pass"], colours["fail"])


def test_header_period_as_of_version_and_footer(doc: Node) -> None:
    report, a = sample_report(), sample_assessment()
    assert doc.by_id("period").text("zh").startswith(f"{a.period.start} – {a.period.end}")
    assert doc.by_id("as-of").text("zh").startswith("2026-06-30 23:59:59")
    assert doc.by_id("ruleset-version").text("en").startswith(report.ruleset.version)
    assert doc.by_id("reproduce").text() == "fuling-compliance assess facts.yaml"
    tiles = {n.attrs["data-count"]: n.text("zh") for n in doc.find_all("div")
             if "data-count" in n.attrs}
    for status, text in tiles.items():
        assert text.startswith(str(report.summary.get(status)))


def test_scorecards_match_the_assessment(doc: Node) -> None:
    a = sample_assessment()
    ranking = doc.by_id("ranking").find_all("tbody")[0].find_all("tr")
    assert [r.attrs["data-party"] for r in ranking] == a.ranking
    for row, card in zip(ranking, a.suppliers, strict=True):
        cells = [c.text("zh").strip() for c in row.find_all("td")]
        assert cells[0] == str(card.rank) and cells[2] == str(card.score)
    for card in a.suppliers:
        article = doc.by_id(f"card-{card.key}")
        fams = {r.attrs["data-family"]: [c.text("zh").strip() for c in r.find_all("td")]
                for r in article.find_all("tr") if "data-family" in r.attrs}
        assert list(fams) == [fc.family for fc in card.families]
        for fc in card.families:
            assert fams[fc.family][2:5] == [str(fc.evaluated), str(fc.passed), str(fc.failed)]
        assert len(article.find_all("ul", class_="rectify")[0].find_all("li")
                   if card.rectify else []) == len(card.rectify)
    assert "涪陵供电公司（S1）" in doc.by_id("commendations").text("zh")


def test_charts_are_inline_svg_in_both_languages(doc: Node) -> None:
    report = sample_report()
    fails = sum(1 for f in report.findings if f.status == "fail")
    for chart in ("by-family", "by-supplier", "by-severity"):
        figure = doc.by_id(f"chart-{chart}")
        svgs = figure.find_all("svg")
        assert len(svgs) == 2
        zh, en = (s.text() for s in svgs)
        assert re.search(r"[\u4e00-\u9fff]", zh), "Chinese labels as text"
        assert "fail" in en
        rows = figure.find_all("table")[0].find_all("tbody")[0].find_all("tr")
        assert sum(int(r.find_all("td")[1].text()) for r in rows) == fails
    severity = doc.by_id("chart-by-severity").text("zh")
    assert "严重" in severity and "提示" in severity


def test_filters_offer_every_supplier_clause_and_status(doc: Node) -> None:
    report = sample_report()
    party = {o.attrs["value"] for o in doc.by_id("filter-party").find_all("option")}
    parties = {"commission" if f.responsible.type == "commission" else f.responsible.id
               for f in report.findings}
    assert party == {"", *parties}
    clause = {o.attrs["value"] for o in doc.by_id("filter-clause").find_all("option")}
    assert {f"clause:{f.clause}" for f in report.findings} <= clause
    status = [o.attrs["value"] for o in doc.by_id("filter-status").find_all("option")]
    assert status == ["open", "fail", "insufficient_data", "pass", "not_applicable", "all"]


def test_self_contained_and_script_allowed_by_hash(html: str, doc: Node) -> None:
    for node in doc.iter():
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = node.attrs.get(name, "")
            assert not value or value.startswith(("#", "data:")), (node.tag, name, value)
        assert node.tag not in ("link", "img", "iframe", "object", "embed")
    assert "url(" not in html and "@import" not in html
    csp = doc.find_all("meta", **{"http-equiv": "Content-Security-Policy"})[0].attrs["content"]
    assert "default-src 'none'" in csp
    scripts = [n for n in doc.find_all("script")]
    assert len(scripts) == 1  # pygal's own scripts are removed
    digest = hashlib.sha256(scripts[0].text().encode()).digest()
    assert f"'sha256-{base64.b64encode(digest).decode()}'" in csp
    assert "<!--" not in html  # no comments (pygal dates them)


def test_text_from_the_facts_is_escaped(html: str) -> None:
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<b>燃气</b>" not in html


def test_language_switch_and_en_first() -> None:
    en = parse(render_html(sample_report(), "en", assessment=sample_assessment()))
    root = en.find_all("html")[0]
    assert root.attrs["data-lang"] == "en" and root.attrs["lang"] == "en"
    assert en.find_all("title")[0].text().startswith("Fuling District")
    buttons = {b.attrs["data-set-lang"]: b.attrs["aria-pressed"] for b in en.find_all("button")
               if "data-set-lang" in b.attrs}
    assert buttons == {"zh": "false", "en": "true"}
    assert en.find_all("option")[0].text() == "All suppliers"


def test_deterministic_and_render_registry() -> None:
    report = sample_report(False)
    first = render(report, "html", "zh")
    assert first == render(report, "html", "zh")
    doc = parse(first)
    assert doc.by_id("incomplete")  # no passes in the report: per-supplier counts unknown
    assert "FACTS.yaml" in doc.by_id("reproduce").text()
