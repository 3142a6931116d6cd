"""Renderers: a report in the formats people and systems read.

``FORMATS`` maps a format name to ``render(report, lang) -> str``. ``check --format``
offers every name here besides ``table``.

=========  ==========================================================================
json       the report itself (``fuling-compliance/report/v1``)
html       one self-contained page: scorecards, charts, filterable findings (.html)
markdown   the same content without interactivity, for a memo or a merge request
junit      JUnit XML: a testsuite per rule, a testcase per evaluated subject (.junit)
csv        one row per finding, stable columns, UTF-8 with BOM for Excel (.csv)
=========  ==========================================================================

Each renderer module is imported when its format is first used (the HTML one brings
Jinja2 and pygal), so listing the formats costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from ..report import Report

Renderer = Callable[[Report, str], str]


def _json(report: Report, _lang: str) -> str:
    return report.to_json()


def _lazy(module: str) -> Renderer:
    """``render`` of ``.module``, imported on first use."""

    def run(report: Report, lang: str) -> str:
        renderer: Renderer = import_module(f".{module}", __name__).render
        return renderer(report, lang)

    run.__name__ = f"render_{module}"
    run.__doc__ = f"Render a report with :mod:`fuling_compliance.reports.render.{module}`."
    return run


FORMATS: dict[str, Renderer] = {
    "json": _json,
    "html": _lazy("html"),
    "markdown": _lazy("markdown"),
    "junit": _lazy("junit"),
    "csv": _lazy("csv"),
}


def render(report: Report, fmt: str, lang: str = "zh") -> str:
    """The report in format ``fmt`` (see ``FORMATS``)."""
    return FORMATS[fmt](report, lang)
