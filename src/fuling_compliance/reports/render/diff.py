"""A diff (``fuling-compliance/diff/v1``) in the formats people read: Markdown and HTML.

Both show the same content: what was compared (two reports, or two rule sets on the
same facts), the counts (overall, per rule, per supplier) and the three lists —
``new``, ``resolved``, ``persisting`` (a persisting finding whose status changed shows
both). The HTML page is self-contained and runs no script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from ...calendar import CHONGQING
from ..diff import Diff, DiffFinding, Side
from ..report import Message
from ..waive import waiver_note
from .html import (
    FONT_STACK,
    _asset,
    environment,
    msg,
    status_label,
    subject_label,
    value_label,
)
from .markdown import STATUS_MARKS, escape

DIFF_FORMATS = ("json", "markdown", "html")

CHANGE_LABELS = {"new": Message(zh="新增", en="New"),
                 "resolved": Message(zh="已消除", en="Resolved"),
                 "persisting": Message(zh="仍存在", en="Persisting")}


@dataclass(frozen=True)
class DiffRow:
    change: str
    finding: DiffFinding
    status: Message
    previous: Message | None
    subject: Message
    item: Message | None
    waiver: Message | None


@dataclass(frozen=True)
class DiffPage:
    lang: str
    title: Message
    intro: Message
    before: Message
    after: Message
    diff: Diff
    sections: list[tuple[str, Message, list[DiffRow]]]


def _side(side: Side) -> Message:
    moment = side.as_of.astimezone(CHONGQING).strftime("%Y-%m-%d %H:%M")
    source = f"（{side.source}）" if side.source else ""
    source_en = f" ({side.source})" if side.source else ""
    rules = side.ruleset.rules
    return msg(f"{moment}，规则集版本 {side.ruleset.version}（{rules} 条规则）{source}",
               f"{moment}, rule-set version {side.ruleset.version} ({side.ruleset.rules} rules)"
               f"{source_en}")


def diff_page(diff: Diff, lang: str = "zh") -> DiffPage:
    """The content the Markdown and HTML forms show."""
    sections: list[tuple[str, Message, list[DiffRow]]] = []
    for change in ("new", "resolved", "persisting"):
        rows = [DiffRow(
            change=change, finding=f, status=status_label(f.status),
            previous=status_label(f.previous_status)
            if f.previous_status and f.previous_status != f.status else None,
            subject=subject_label(f), item=value_label(f.item) if f.item else None,
            waiver=waiver_note(f)) for f in getattr(diff, change)]
        sections.append((change, CHANGE_LABELS[change], rows))
    if diff.basis == "rules":
        title = msg("规则修改的影响：同一事实数据的检查结果对比",
                    "Impact of a rule change: findings on the same facts")
        intro = msg("“新增”：只有修改后的规则得出的结论；“已消除”：只有原规则得出的结论；"
                    "“仍存在”：两者都得出的结论。按规则、对象和检查项匹配。",
                    "New: found only by the changed rules; resolved: found only by the base "
                    "rules; persisting: found by both. Matched by rule, subject and item.")
        before, after = msg("原规则", "Base rules"), msg("修改后的规则", "Changed rules")
    else:
        title = msg("整改跟踪：两次检查结果对比", "Follow-up: two reports compared")
        intro = msg("“新增”：本次新出现的结论；“已消除”：上次有、本次没有的结论；“仍存在”：两次都有"
                    "的结论（含已豁免的）。按规则、对象和检查项匹配，不按顺序。",
                    "New: findings that were not there before; resolved: findings that are "
                    "gone; persisting: findings in both (waived ones included). Matched by "
                    "rule, subject and item, never by position.")
        before, after = msg("上次", "Before"), msg("本次", "After")
    return DiffPage(
        lang=lang, title=title, intro=intro,
        before=msg(f"{before.zh}：{_side(diff.before).zh}",
                   f"{before.en}: {_side(diff.before).en}"),
        after=msg(f"{after.zh}：{_side(diff.after).zh}", f"{after.en}: {_side(diff.after).en}"),
        diff=diff, sections=sections)


def render_diff_markdown(diff: Diff, lang: str = "zh") -> str:
    page = diff_page(diff, lang)

    def tr(m: Message | dict[str, str]) -> str:
        value = m[lang] if isinstance(m, dict) else getattr(m, lang)
        return escape(value)

    text = environment().get_template("diff.md.j2").render(
        page=page, t=tr, lang=lang, md=escape, marks=STATUS_MARKS)
    return re.sub(r"\n{3,}", "\n\n", text)


def render_diff_html(diff: Diff, lang: str = "zh") -> str:
    page = diff_page(diff, lang)
    style = _asset("report.css").replace("/*FONT_STACK*/", FONT_STACK)
    csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    return environment().get_template("diff.html.j2").render(
        page=page, style=Markup(style), csp=csp)


def render_diff(diff: Diff, fmt: str, lang: str = "zh") -> str:
    """``diff`` as ``json``, ``markdown`` or ``html``."""
    if fmt == "json":
        return diff.to_json()
    if fmt == "markdown":
        return render_diff_markdown(diff, lang)
    if fmt == "html":
        return render_diff_html(diff, lang)
    raise ValueError(f"unknown diff format {fmt!r}: use one of {', '.join(DIFF_FORMATS)}")
