"""CSV: one row per finding of the report, for spreadsheets and other systems.

The columns are fixed (:data:`COLUMNS`), named in English, in this order, whatever the
language; ``title``, ``status_label`` and ``message`` are in ``lang``. ``evidence`` is
the finding's evidence as compact JSON (keys in the report's order). The last columns
are empty unless waivers or a baseline were given: a waived finding's
``original_status`` and its waiver (``waiver_id``, ``waiver_reason``,
``waiver_approved_by``, ``waiver_expires_on``), and ``baseline`` (``new`` or
``persisting``). The text starts
with a UTF-8 byte-order mark so that Excel reads Chinese correctly; lines end with
CRLF (RFC 4180).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, so that a spreadsheet never runs text from the facts as a formula
(CSV injection); nothing else is changed.
"""

from __future__ import annotations

import csv
import io
import json

from ..report import Report
from .html import status_label

COLUMNS: tuple[str, ...] = (
    "rule", "clause", "title", "status", "status_label", "severity", "supplier_id",
    "responsible_type", "responsible_id", "subject_type", "subject_id", "item", "message",
    "evidence", "original_status", "waiver_id", "waiver_reason", "waiver_approved_by",
    "waiver_expires_on", "baseline",
)
BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value``, with an apostrophe in front if a spreadsheet would read a formula."""
    return "'" + value if value.startswith(_FORMULA) else value


def render_csv(report: Report, lang: str = "zh") -> str:
    """The findings as CSV text (with BOM)."""
    titles = {r.id: r.title for r in report.rules}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        title = titles.get(f.rule, {})
        row = [
            f.rule, f.clause, title.get(lang) or title.get("en") or "", f.status,
            getattr(status_label(f.status), lang), f.severity, f.supplier_id or "",
            f.responsible.type, f.responsible.id or "", f.subject.type, f.subject.id,
            f.item or "", f.message.zh if lang == "zh" else f.message.en,
            json.dumps(f.evidence, ensure_ascii=False, separators=(",", ":")),
            f.original_status or "",
            *((w.id, w.reason, w.approved_by, w.expires_on.isoformat())
              if (w := f.waiver) is not None else ("", "", "", "")),
            f.baseline or "",
        ]
        writer.writerow([safe_cell(str(v)) for v in row])
    return BOM + out.getvalue()


def render(report: Report, lang: str) -> str:
    """``FORMATS['csv']``."""
    return render_csv(report, lang)
