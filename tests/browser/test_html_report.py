"""The HTML report in a real headless browser (Debian's chromium), as a reader uses it.

Needs ``/usr/bin/chromium`` (Debian packages ``chromium`` and ``fonts-noto-cjk``) and,
for the interactive test, the ``playwright`` Python package, which drives that browser
(``executable_path``: Playwright never downloads a browser here). Each test skips
with the reason when its tool is missing.

``FULING_SCREENSHOTS=docs/screenshots pytest tests/browser`` also writes the README's
screenshots (``report-zh.png``, ``report-en.png``) from the example quarter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fuling_compliance import Report, evaluate, load_facts, load_facts_data, load_rules
from fuling_compliance.reports.assess import assess
from fuling_compliance.reports.render.html import render_html

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: used when the example quarter is not there: two suppliers, every outcome kind
SMALL: dict[str, Any] = {
    "as_of": "2026-06-30T23:59:59+08:00",
    "commission": {"hotline": "023-72222222", "hotline_published": True,
                   "supervision_phone": "023-72220000"},
    "suppliers": [
        {"id": "S1", "name": "涪陵供电公司", "utility": "electricity", "hotline": "95598",
         "hotline_published": True, "hotline_accepts": ["enquiry", "help", "complaint"],
         "one_stop_info": ["scope"], "service_systems": None},
        {"id": "S2", "name": "涪陵燃气公司", "utility": "gas", "hotline": None,
         "hotline_published": False, "hotline_accepts": ["enquiry"], "one_stop_info": [],
         "service_systems": ["proxy"]},
    ],
    "areas": [{"id": "A1", "supplier_id": "S1", "name": "敦仁街道"},
              {"id": "A2", "supplier_id": "S2", "name": "崇义街道"}],
    "outlets": [{"id": "O1", "supplier_id": "S1", "area_id": "A1", "name": "敦仁营业厅",
                 "kind": "own", "transport_accessible": None, "signage_uniform": True,
                 "signage_visible": True}],
    "surveys": [{"id": "V1", "supplier_id": "S1", "period_start": "2026-04-01",
                 "period_end": "2026-06-30", "respondents": 100, "satisfied": 96}],
}


def have_chromium() -> bool:
    return Path(CHROMIUM).exists()


needs_chromium = pytest.mark.skipif(
    not have_chromium(), reason="no chromium: apt-get install -y chromium fonts-noto-cjk")


@pytest.fixture(scope="module")
def report() -> Report:
    rules = load_rules()
    facts = load_facts(EXAMPLE) if EXAMPLE.exists() else load_facts_data(SMALL)
    return evaluate(rules, facts, all_outcomes=True)


def write_page(tmp: Path, report: Report, lang: str) -> Path:
    rules = load_rules()
    facts = load_facts(EXAMPLE) if EXAMPLE.exists() else load_facts_data(SMALL)
    name = "examples/fuling-2026q2.yaml" if EXAMPLE.exists() else "facts.yaml"
    page = render_html(report, lang, assessment=assess(report, facts, families=rules.families),
                       command=f"fuling-compliance assess {name} --lang {lang}")
    path = tmp / f"report-{lang}.html"
    path.write_text(page, encoding="utf-8")
    return path


@needs_chromium
def test_script_runs_under_the_content_security_policy(tmp_path: Path, report: Report) -> None:
    """chromium's own --dump-dom: the DOM after the page's script has run."""
    page = write_page(tmp_path, report, "zh")
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'data-ready="true"' in result.stdout  # the hashed inline script ran


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not have_chromium():
        pytest.skip("no chromium: apt-get install -y chromium fonts-noto-cjk")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="pip install playwright (drives Debian's chromium)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM,
                                      args=[f for f in FLAGS if f != "--headless"])
        yield launched
        launched.close()


@pytest.fixture
def opened(browser: Any, tmp_path: Path, report: Report) -> Iterator[tuple[Any, list[str]]]:
    """A page showing the zh report, offline, with every request and error recorded."""
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_offline(True)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"request {r.url}")
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(write_page(tmp_path, report, "zh").as_uri())
    page.wait_for_selector("html[data-ready=true]")
    yield page, problems
    context.close()


def visible_rows(page: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "#findings-table tbody tr[data-status]",
        "rows => rows.filter(r => r.offsetParent !== null).map(r => ({...r.dataset}))")
    return rows


def shown(page: Any) -> int:
    return int(page.locator("[data-shown]").inner_text())


def choose(page: Any, select: str, value: str) -> None:
    page.select_option(f"#filter-{select}", value)


def party(f: Any) -> str:
    return "commission" if f.responsible.type == "commission" else f.responsible.id or ""


def test_table_filters_and_charts_are_visible(opened: tuple[Any, list[str]],
                                              report: Report) -> None:
    page, problems = opened
    open_findings = [f for f in report.findings if f.status in ("fail", "insufficient_data")]
    assert page.locator("#findings-table").is_visible()
    assert len(visible_rows(page)) == len(open_findings) == shown(page)
    for select in ("party", "clause", "status"):
        assert page.locator(f"#filter-{select}").is_visible()
    for chart in ("by-family", "by-supplier", "by-severity"):
        svg = page.locator(f"#chart-{chart} .zh svg")
        assert svg.is_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 100
        assert not page.locator(f"#chart-{chart} .en svg").is_visible()
        bars = page.locator(f"#chart-{chart} .zh svg rect.rect")
        assert bars.count() > 0
    labels = page.locator("#chart-by-severity .zh svg").text_content() or ""
    assert "严重" in labels
    # Chinese glyphs come from a CJK font, not from boxes
    if shutil.which("fc-list") and "CJK" in subprocess.run(
            ["fc-list"], capture_output=True, text=True, check=False).stdout:
        assert page.evaluate("document.fonts.check('14px \"Noto Sans CJK SC\"', '服务网点')")
    assert page.locator(".badge.s-insufficient_data").first.is_visible()
    fail_colour = page.locator(".badge.s-fail").first.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    unknown_colour = page.locator(".badge.s-insufficient_data").first.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert fail_colour != unknown_colour
    assert problems == []


def test_filters_actually_filter(opened: tuple[Any, list[str]], report: Report) -> None:
    page, problems = opened
    suppliers = sorted({party(f) for f in report.findings
                        if f.responsible.type == "supplier" and f.responsible.id})
    target = suppliers[-1]
    choose(page, "party", target)
    rows = visible_rows(page)
    expected = [f for f in report.findings
                if party(f) == target and f.status in ("fail", "insufficient_data")]
    assert rows and all(r["party"] == target for r in rows)
    assert len(rows) == len(expected) == shown(page)

    choose(page, "status", "insufficient_data")
    rows = visible_rows(page)
    assert all(r["status"] == "insufficient_data" and r["party"] == target for r in rows)
    assert len(rows) == sum(1 for f in expected if f.status == "insufficient_data")

    choose(page, "status", "all")
    assert len(visible_rows(page)) == sum(1 for f in report.findings if party(f) == target)

    choose(page, "party", "")
    family = page.eval_on_selector("#filter-clause option[value^='family:']", "o => o.value")
    choose(page, "clause", family)
    rows = visible_rows(page)
    assert rows and {r["family"] for r in rows} == {family.split(":", 1)[1]}

    clause = page.eval_on_selector("#filter-clause option[value^='clause:']", "o => o.value")
    choose(page, "clause", clause)
    choose(page, "status", "pass")
    rows = visible_rows(page)
    wanted = clause.split(":", 1)[1]
    assert all(r["clause"] == wanted and r["status"] == "pass" for r in rows)
    assert len(rows) == sum(1 for f in report.findings
                            if f.clause == wanted and f.status == "pass")

    choose(page, "status", "not_applicable")
    choose(page, "party", "commission")
    choose(page, "clause", "clause:3.1.1")
    if not visible_rows(page):
        assert page.locator("#no-match").is_visible()

    page.click("button[type=reset]")
    page.wait_for_function("document.querySelector('#filter-status').value === 'open'")
    page.wait_for_timeout(50)
    assert shown(page) == sum(1 for f in report.findings
                              if f.status in ("fail", "insufficient_data"))
    assert problems == []


def test_language_switch(opened: tuple[Any, list[str]]) -> None:
    page, problems = opened
    assert page.locator("h1 .zh").is_visible() and not page.locator("h1 .en").is_visible()
    page.click("button[data-set-lang=en]")
    assert page.locator("h1 .en").is_visible() and not page.locator("h1 .zh").is_visible()
    assert page.title().startswith("Fuling District")
    assert page.locator("#filter-party option").first.inner_text() == "All suppliers"
    assert page.locator("#chart-by-family .en svg").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("button[data-set-lang=zh]")
    assert page.locator("h1 .zh").is_visible()
    assert problems == []


def test_screenshots(browser: Any, tmp_path: Path, report: Report) -> None:
    """Only with FULING_SCREENSHOTS=DIR: the README's pictures of the report."""
    target = os.environ.get("FULING_SCREENSHOTS")
    if not target:
        pytest.skip("set FULING_SCREENSHOTS=docs/screenshots to write the screenshots")
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("zh", "en"):
        context = browser.new_context(viewport={"width": 1280, "height": 2600})
        context.set_offline(True)
        page = context.new_page()
        page.goto(write_page(tmp_path, report, lang).as_uri())
        page.wait_for_selector("html[data-ready=true]")
        page.screenshot(path=str(out / f"report-{lang}.png"))
        context.close()
