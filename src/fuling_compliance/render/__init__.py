"""Renderers: a report in the formats people and systems read.

``FORMATS`` maps a format name to ``render(report, lang) -> str``. ``check --format``
offers every name here besides ``table``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..report import Report

Renderer = Callable[[Report, str], str]


def _json(report: Report, _lang: str) -> str:
    return report.to_json()


FORMATS: dict[str, Renderer] = {"json": _json}


def render(report: Report, fmt: str, lang: str = "zh") -> str:
    """The report in format ``fmt`` (see ``FORMATS``)."""
    return FORMATS[fmt](report, lang)
