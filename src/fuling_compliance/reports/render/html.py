"""The HTML report: one self-contained page to read, publish and open from a USB stick.

Everything is inside the file: the style, the charts (inline SVG drawn by pygal, text
left as text so the browser draws Chinese glyphs with the reader's fonts), and a small
script for the language switch and the filters. A Content-Security-Policy in the page
forbids every network request, and lets only that script (by its hash) run.

Chinese first: every text is in the page in both languages and ``lang`` chooses the
one shown when it opens; the 中文/English buttons switch. Without a script the page
still reads fully in the chosen language (the filters then do nothing).

:func:`page_context` builds the content both this page and the Markdown memo show
(:mod:`.markdown`), so the two never drift apart.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shlex
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module, resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ... import __version__
from ...calendar import CHONGQING
from ...facts.labels import COLLECTION_LABELS, FIELD_LABELS, STATUS_LABELS, VALUE_LABELS
from ...facts.model import SUBJECT_TYPES
from ...rules.regulation import regulation
from ..assess import Assessment, Scorecard, assess, family_of
from ..report import OPEN_STATUSES, SEVERITY_ORDER, Finding, Message, Report
from ..waive import waiver_note

#: status colours; ``insufficient_data`` has its own, never a pass's
COLOURS = {"fail": "#c0392b", "insufficient_data": "#7d3c98", "pass": "#1e8449",
           "not_applicable": "#7f8c8d", "waived": "#8a6d0b"}
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
              '"WenQuanYi Micro Hei", "Noto Sans", "Helvetica Neue", Arial, sans-serif')

STATUS_EN = {"pass": "pass", "fail": "fail", "insufficient_data": "insufficient data",
             "not_applicable": "not applicable", "waived": "waived"}
#: the order in which the summary and the rules table show the statuses
SHOWN_STATUSES = ("fail", "insufficient_data", "pass", "not_applicable")
BASELINE_LABELS = {"new": Message(zh="新增", en="new"),
                   "persisting": Message(zh="仍存在", en="persisting")}
WAIVER_STATES = {"in_force": Message(zh="有效", en="in force"),
                 "expired": Message(zh="已到期", en="expired"),
                 "not_yet_in_force": Message(zh="尚未生效", en="not yet in force")}
SEVERITY_LABELS = {"high": Message(zh="严重", en="high"), "medium": Message(zh="一般", en="medium"),
                   "low": Message(zh="轻微", en="low"), "info": Message(zh="提示", en="info")}
COMMISSION = Message(zh="区经济信息委", en="The Commission")
_SUBJECT_COLLECTION = {v: k for k, v in SUBJECT_TYPES.items()}


def msg(zh: str, en: str) -> Message:
    return Message(zh=zh, en=en)


def status_label(status: str) -> Message:
    return msg(STATUS_LABELS[status], STATUS_EN[status])


# ----------------------------------------------------------------------------- content
@dataclass(frozen=True)
class EvidenceItem:
    key: str
    label: Message
    value: Message


@dataclass(frozen=True)
class Row:
    """A finding, ready to show."""

    finding: Finding
    family: str
    party: str
    party_label: Message
    title: Message
    clause_text: Message
    status: Message
    severity: Message
    subject: Message
    item: Message | None
    evidence: list[EvidenceItem]
    waiver: Message | None = None
    baseline: Message | None = None


@dataclass(frozen=True)
class Bar:
    key: str
    label: Message
    fail: int
    insufficient_data: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: Message
    bars: list[Bar]
    svg: dict[str, Markup] = field(default_factory=dict)


@dataclass(frozen=True)
class ClauseOption:
    value: str
    label: Message


@dataclass
class Page:
    """What the HTML page and the Markdown memo show."""

    lang: str
    title: Message
    regulation_title: Message
    report: Report
    assessment: Assessment
    period: Message
    score_rule: Message
    as_of: str
    rows: list[Row]
    open_rows: list[Row]
    charts: list[Chart]
    parties: list[tuple[str, Message]]
    clause_options: list[tuple[ClauseOption, list[ClauseOption]]]
    rule_titles: dict[str, Message]
    party_labels: dict[str, Message]
    command: str
    version: str
    counts: dict[str, int]
    #: the statuses of the summary (``waived`` too when waivers were given)
    statuses: list[str] = field(default_factory=lambda: list(SHOWN_STATUSES))
    baseline: Message | None = None


def subject_label(f: Finding) -> Message:
    collection = _SUBJECT_COLLECTION.get(f.subject.type, f.subject.type)
    zh = COLLECTION_LABELS.get(collection, f.subject.type)
    return msg(f"{zh} {f.subject.id}", f"{f.subject.type.replace('_', ' ')} {f.subject.id}")


def value_label(value: Any) -> Message:
    """An evidence or item value in both languages."""
    if value is None:
        return msg("未知", "unknown")
    if isinstance(value, bool):
        return msg("是" if value else "否", "yes" if value else "no")
    if isinstance(value, list):
        parts = [value_label(v) for v in value]
        return msg("、".join(p.zh for p in parts) or "（空）", ", ".join(p.en for p in parts)
                   or "(empty)")
    if isinstance(value, float):
        text = f"{value:g}"
        return msg(text, text)
    if isinstance(value, str):
        return msg(VALUE_LABELS.get(value, value), value)
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return msg(text, text)
    return msg(str(value), str(value))


def evidence_label(key: str) -> Message:
    alias, _, name = key.rpartition(".")
    zh = FIELD_LABELS.get(name, name)
    return msg(f"{alias}.{zh}" if alias else zh, key)


def _party(f: Finding) -> str:
    if f.responsible.type == "commission":
        return "commission"
    return f.responsible.id or ""


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(CHONGQING).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+08:00)"


def reproduce_command(report: Report, fmt: str, lang: str) -> str:
    """The command that makes this output again.

    Under the CLI: the running command rebuilt from its parsed parameters, with
    ``--as-of`` added when it came from the facts or the clock. Otherwise a template
    with ``FACTS.yaml`` standing for the fact files.
    """
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return shlex.join(["fuling-compliance", "assess", "FACTS.yaml", "--as-of",
                           report.as_of.isoformat(), "--format", fmt, "--lang", lang])
    options: list[str] = []
    arguments: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if isinstance(param, click.Argument):
            arguments.extend(_arg(v) for v in (value if isinstance(value, tuple) else [value])
                             if v is not None)
        elif isinstance(param, click.Option) and value not in (
                None, (), param.get_default(ctx, call=True)):
            flag = max(param.opts, key=len)
            if param.is_flag and not value and not param.secondary_opts:
                continue
            if param.is_flag:
                options.append(flag if value else (param.secondary_opts or [flag])[0])
            else:
                for v in value if param.multiple else [value]:
                    options += [flag, _arg(v)]
    if "--as-of" not in options:
        options += ["--as-of", report.as_of.isoformat()]
    return shlex.join(["fuling-compliance", ctx.info_name or "", *arguments, *options])


def _arg(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def page_context(report: Report, lang: str = "zh", *, assessment: Assessment | None = None,
                 command: str | None = None, fmt: str = "html") -> Page:
    """The content of the report page and memo.

    ``assessment``: the Commission's assessment (default: :func:`assess` on the report
    alone — no supplier names or satisfaction, which need the facts).
    """
    assessment = assessment or assess(report)
    reg = regulation()
    family_ids = [fam.id for fam in assessment.families]
    rule_titles = {r.id: Message(zh=r.title.get("zh", r.id), en=r.title.get("en", r.id))
                   for r in report.rules}
    party_labels: dict[str, Message] = {"commission": COMMISSION, "": msg("（企业未知）",
                                                                           "(unknown supplier)")}
    for card in [*assessment.suppliers]:
        if card.party.id is not None:
            party_labels[card.key] = _card_label(card)
    rows: list[Row] = []
    for f in report.findings:
        party = _party(f)
        if party not in party_labels:
            party_labels[party] = msg(party, party)
        clause = reg.clauses.get(f.clause)
        rows.append(Row(
            finding=f, family=family_of(f.clause, family_ids), party=party,
            party_label=party_labels[party],
            title=rule_titles.get(f.rule, msg(f.rule, f.rule)),
            clause_text=msg(clause.zh, clause.en) if clause else msg("—", "—"),
            status=status_label(f.status), severity=SEVERITY_LABELS[f.severity],
            subject=subject_label(f),
            item=value_label(f.item) if f.item is not None else None,
            evidence=[EvidenceItem(k, evidence_label(k), value_label(v))
                      for k, v in f.evidence.items()],
            waiver=waiver_note(f),
            baseline=BASELINE_LABELS[f.baseline] if f.baseline else None,
        ))
    parties = sorted({r.party for r in rows},
                     key=lambda p: (p == "commission", p == "", p))
    fam_titles = {fam.id: fam.title for fam in assessment.families}
    clause_options: list[tuple[ClauseOption, list[ClauseOption]]] = []
    for fam in assessment.families:
        clauses = sorted({r.finding.clause for r in rows if r.family == fam.id},
                         key=_clause_key)
        if clauses:
            clause_options.append((
                ClauseOption(f"family:{fam.id}", msg(f"{fam.id} {fam.title.zh}（全部）",
                                                     f"{fam.id} {fam.title.en} (all)")),
                [ClauseOption(f"clause:{c}", msg(f"第 {c} 条", f"clause {c}")) for c in clauses]))
    p = assessment.period
    default = p.basis == "quarter_of_as_of"
    period = msg(f"{p.start} 至 {p.end}" + ("（as_of 所在季度）" if default else ""),
                 f"{p.start} to {p.end}" + (" (the quarter of as_of)" if default else ""))
    open_rows = [r for r in rows if r.finding.status in OPEN_STATUSES]
    statuses = [*SHOWN_STATUSES, "waived"] if report.waivers is not None \
        else list(SHOWN_STATUSES)
    counts: dict[str, int] = {s: report.summary.get(s) for s in statuses}
    title = msg("涪陵区供电供气服务监督考核报告",
                "Fuling District electricity and gas supply service: assessment report")
    return Page(
        lang=lang, title=title, regulation_title=msg(reg.title_zh, reg.title_en),
        report=report, assessment=assessment, period=period, score_rule=score_rule(assessment),
        as_of=_local(report.as_of),
        rows=rows, open_rows=open_rows,
        charts=_charts(open_rows, fam_titles, party_labels),
        parties=[(p, party_labels[p]) for p in parties],
        clause_options=clause_options, rule_titles=rule_titles, party_labels=party_labels,
        command=command or reproduce_command(report, fmt, lang), version=__version__,
        counts=counts, statuses=statuses, baseline=_baseline(report),
    )


def _baseline(report: Report) -> Message | None:
    """What the findings were compared with, and how many are new, persisting, resolved."""
    b = report.baseline
    if b is None:
        return None
    moment = _local(b.as_of)
    return msg(f"与 {moment} 的检查结果相比：新增 {b.new} 项，仍存在 {b.persisting} 项，"
               f"已消除 {b.resolved} 项",
               f"Compared with the report as of {moment}: {b.new} new, {b.persisting} "
               f"persisting, {b.resolved} resolved")


def score_rule(assessment: Assessment) -> Message:
    """How the score and the commendation are decided, with the policy's numbers."""
    pol = assessment.policy
    sev = pol.severity_weights
    weights_zh = "、".join(f"{SEVERITY_LABELS[k].zh} {v:g}" for k, v in sev.items())
    weights_en = ", ".join(f"{k} {v:g}" for k, v in sev.items())
    scored = {k: v for k, v in pol.family_weights.items() if v > 0}
    fam_zh = "、".join(f"{k} {v:g}" for k, v in scored.items())
    fam_en = ", ".join(f"{k} {v:g}" for k, v in scored.items())
    factor = pol.insufficient_data_factor
    waived_zh = "已豁免的按原结论计" if pol.waived == "original" else "已豁免的不计"
    waived_en = ("waived findings count as their original status" if pol.waived == "original"
                 else "waived findings are left out")
    return msg(
        f"得分为各条款类别合规率按分值（{fam_zh}）的加权平均（0–100）；合规率按严重程度加权"
        f"（{weights_zh}），数据不足按 {factor:g} 项不合规计，不适用不计，{waived_zh}。"
        "表彰候选：无高于“提示”"
        f"级别的不合规，且考核期间的满意度调查合计不低于 {pol.min_satisfaction:g}%"
        f"（受访不少于 {pol.min_respondents} 人）。",
        f"The score (0–100) is the average of the clause families' compliance rates weighted "
        f"by their points ({fam_en}); a rate weighs each outcome by severity ({weights_en}), "
        f"counts insufficient data as {factor:g} of a failure and leaves not-applicable "
        f"out; {waived_en}. Commendation candidates: no failing finding above info, and "
        f"satisfaction over the period's surveys at or above {pol.min_satisfaction:g}% (at least "
        f"{pol.min_respondents} respondents).")


def _card_label(card: Scorecard) -> Message:
    if card.name:
        return msg(f"{card.name}（{card.key}）", f"{card.name} ({card.key})")
    return msg(card.key, card.key)


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in clause.split("."))


def _charts(rows: list[Row], fam_titles: dict[str, Message],
            party_labels: dict[str, Message]) -> list[Chart]:
    def bars(keys: list[str], key_of: Any, label_of: Any) -> list[Bar]:
        fails = Counter(key_of(r) for r in rows if r.finding.status == "fail")
        unknown = Counter(key_of(r) for r in rows if r.finding.status == "insufficient_data")
        return [Bar(k, label_of(k), fails[k], unknown[k]) for k in keys]

    families = [k for k in fam_titles if any(r.family == k for r in rows)]
    parties = sorted({r.party for r in rows}, key=lambda p: (p == "commission", p == "", p))
    return [
        Chart("by-family", msg("按条款类别", "By clause family"),
              bars(families, lambda r: r.family,
                   lambda k: msg(f"{k} {fam_titles[k].zh}", f"{k} {fam_titles[k].en}"))),
        Chart("by-supplier", msg("按企业（责任方）", "By supplier (responsible party)"),
              bars(parties, lambda r: r.party, lambda k: party_labels[k])),
        Chart("by-severity", msg("按严重程度", "By severity"),
              bars(sorted(SEVERITY_ORDER, key=lambda s: -SEVERITY_ORDER[s]),
                   lambda r: r.finding.severity, lambda k: SEVERITY_LABELS[k])),
    ]


# ----------------------------------------------------------------------------- charts
def _clean_svg(title: str) -> Any:
    """An xml filter: no comments (pygal dates them), no scripts; an accessible name."""

    def clean(root: Any) -> Any:
        for parent in list(root.iter()):
            for child in list(parent):
                if callable(child.tag) or str(child.tag).endswith("script"):
                    parent.remove(child)
        root.set("role", "img")
        root.set("aria-label", title)
        return root

    return clean


def _wide_extra(labels: list[str], font_size: int) -> int:
    """Room pygal does not reserve for full-width (Chinese) characters in axis labels.

    pygal estimates a label at 0.6 em a character; a Chinese character is 1 em.
    """
    wide = [sum(1 for ch in label if unicodedata.east_asian_width(ch) in "WF")
            for label in labels]
    return int(max(wide, default=0) * 0.45 * font_size) + 4


def chart_svg(chart: Chart, lang: str) -> Markup:
    """One chart as inline SVG (failures and insufficient data, stacked), in ``lang``.

    Bars run top to bottom in the chart's order; the SVG keeps its text as text.
    """
    pygal: Any = import_module("pygal")  # untyped: used through Any
    style_module: Any = import_module("pygal.style")
    Style = style_module.Style

    font = 14
    style = Style(
        background="transparent", plot_background="transparent", foreground="#333",
        foreground_strong="#111", foreground_subtle="#e5e7e9", opacity="1",
        opacity_hover="0.85", colors=(COLOURS["fail"], COLOURS["insufficient_data"]),
        value_colors=("#fff", "#fff"), font_family=FONT_STACK, label_font_size=font,
        major_label_font_size=font, value_font_size=font - 1, title_font_size=font + 2,
        legend_font_size=font, tooltip_font_size=font, guide_stroke_color="#d5d8dc",
        major_guide_stroke_color="#d5d8dc", guide_stroke_dasharray="2,3",
        major_guide_stroke_dasharray="2,3")
    bars = list(reversed(chart.bars))  # pygal draws the first label at the bottom
    labels = [getattr(b.label, lang) for b in bars]
    title = getattr(chart.title, lang)
    graph = pygal.HorizontalStackedBar(
        style=style, js=[], disable_xml_declaration=True, width=900,
        height=max(170, 90 + 46 * len(labels)), show_legend=True, legend_at_bottom=True,
        legend_at_bottom_columns=2, print_values=True, print_zeroes=False,
        truncate_label=-1, truncate_legend=-1, show_x_guides=False, show_y_guides=False,
        explicit_size=False, margin=10, margin_left=10 + _wide_extra(labels, font),
        spacing=10, min_scale=1, order_min=0, title=None, value_formatter=_number,
        no_data_text="无" if lang == "zh" else "none")
    graph.uuid = f"{chart.id}-{lang}"
    graph.x_labels = labels
    graph.add(STATUS_LABELS["fail"] if lang == "zh" else "fail", [b.fail for b in bars])
    graph.add(STATUS_LABELS["insufficient_data"] if lang == "zh" else "insufficient data",
              [b.insufficient_data for b in bars])
    graph.add_xml_filter(_clean_svg(title))
    return Markup(graph.render(is_unicode=True))


def _number(value: float) -> str:
    return f"{value:g}"


# ----------------------------------------------------------------------------- page
@cache
def environment() -> Environment:
    """The Jinja environment of the report templates (HTML escaped, Markdown not)."""
    env = Environment(
        loader=PackageLoader("fuling_compliance.reports.render", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.globals["SEVERITY_LABELS"] = SEVERITY_LABELS
    env.globals["status_label"] = status_label
    env.globals["COLOURS"] = COLOURS
    env.globals["WAIVER_STATES"] = WAIVER_STATES
    return env


@cache
def _asset(name: str) -> str:
    templates = resources.files("fuling_compliance.reports.render").joinpath("templates")
    return templates.joinpath(name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def render_html(report: Report, lang: str = "zh", *, assessment: Assessment | None = None,
                command: str | None = None) -> str:
    """The report as one self-contained HTML page; ``lang`` (zh|en) is shown first."""
    page = page_context(report, lang, assessment=assessment, command=command, fmt="html")
    charts = [Chart(c.id, c.title, c.bars, {"zh": chart_svg(c, "zh"), "en": chart_svg(c, "en")})
              for c in page.charts]
    page.charts = charts
    script = _asset("report.js")
    style = _asset("report.css").replace("/*FONT_STACK*/", FONT_STACK)
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           f"script-src '{_csp_hash(script)}'; base-uri 'none'; form-action 'none'")
    return environment().get_template("report.html.j2").render(
        page=page, script=Markup(script), style=Markup(style), csp=csp)


def render(report: Report, lang: str) -> str:
    """``FORMATS['html']``: the page for a report alone (see :func:`render_html`)."""
    return render_html(report, lang)
