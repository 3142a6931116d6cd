"""The Markdown memo: the HTML report's content without interactivity.

For an internal memo or a merge-request comment (GitHub/GitLab-flavoured tables), in
one language (``lang``). Findings are grouped by rule, each group under its clause
text; only ``fail``, ``insufficient_data`` and ``waived`` findings are listed one by
one (a report with every outcome gives the other counts per rule). Text from the facts is escaped
so that a supplier's or customer's name cannot turn into a link, an image or markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..assess import Assessment
from ..report import Message, Report
from .html import COMMISSION, Page, Row, environment, page_context

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")

#: the status colours of the HTML report, as markers that survive plain text
STATUS_MARKS = {"fail": "🔴", "insufficient_data": "🟣", "pass": "🟢", "not_applicable": "⚪",
                "waived": "🟡"}


def escape(text: object) -> str:
    """Text safe inside Markdown (and a table cell): specials escaped, one line."""
    value = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", value)


def fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    runs = [len(m) for m in re.findall(r"`+", text)]
    return "`" * max(3, max(runs, default=0) + 1)


@dataclass(frozen=True)
class RuleGroup:
    rule: str
    rows: list[Row]


def groups(rows: Iterable[Row]) -> list[RuleGroup]:
    """Listed findings grouped by rule, in report order."""
    out: list[RuleGroup] = []
    for row in rows:
        if out and out[-1].rule == row.finding.rule:
            out[-1].rows.append(row)
        else:
            out.append(RuleGroup(row.finding.rule, [row]))
    return out


def render_markdown(report: Report, lang: str = "zh", *, assessment: Assessment | None = None,
                    command: str | None = None) -> str:
    """The report as a Markdown memo in ``lang`` (zh|en)."""
    page: Page = page_context(report, lang, assessment=assessment, command=command,
                              fmt="markdown")

    def tr(m: Message | dict[str, str]) -> str:
        value = m[lang] if isinstance(m, dict) else getattr(m, lang)
        return escape(value)

    text = environment().get_template("report.md.j2").render(
        page=page, t=tr, lang=lang, md=escape, fence=fence, groups=groups(page.open_rows),
        marks=STATUS_MARKS, commission=COMMISSION)
    return re.sub(r"\n{3,}", "\n\n", text)


def render(report: Report, lang: str) -> str:
    """``FORMATS['markdown']``: the memo for a report alone."""
    return render_markdown(report, lang)
