"""Write facts as spreadsheets: the empty template, and a fact set as a workbook or CSV.

The layout is the one :mod:`.tabular` reads (see its module doc):

* a 「说明」 sheet first: what each sheet holds, how to fill cells (null rules,
  是/否, dates in Chongqing time, lists), where to send the workbook, and the settings
  rows ``判断时点 (as_of)`` and ``格式 (format)``;
* one sheet per collection, named by its key: row 1 the headers ``中文标签 (key)``
  (required columns shaded orange), row 2 a guidance row starting ``说明：``, data
  from row 3; the panes are frozen below the guidance row; each column has the number
  format of its kind (dates ``yyyy-mm-dd``, times ``hh:mm``, datetimes
  ``yyyy-mm-dd hh:mm``, text ``@`` so ids and phone numbers stay text) and
  enumerations and booleans have drop-down lists of their Chinese labels.

Fields declared in YAML (:mod:`.fields`) get their columns after the built-in ones, with
their Chinese label, their note in the guidance row and, for enumerations and booleans,
a drop-down. :func:`export` writes a fact set in that layout (Chinese labels for enumerations,
是/否 for booleans, real date and time cells) so that reading it back gives the same
facts; a CSV folder gets one ``<collection>.csv`` per collection and ``说明.csv`` with
the settings.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..calendar import CHONGQING
from .fields import Fields, default_fields
from .labels import COLLECTION_LABELS, VALUE_LABELS
from .model import COLLECTIONS, EVENT_FIELDS, FORMAT, FactSet, Record
from .tabular import (
    DERIVED_ID,
    NO_ITEMS,
    SETTINGS_SHEET,
    columns,
    header,
    required,
    sheet_title,
)

#: rows that get drop-downs (Excel's own limit is the last row)
LAST_ROW = 1048576
FIRST_DATA_ROW = 3
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")

_NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "time": "hh:mm",
    "datetime": "yyyy-mm-dd hh:mm",
    "string": "@",
}
_KIND_ZH = {
    "string": "文本",
    "bool": "是/否",
    "int": "整数",
    "number": "数字",
    "enum": "下拉选择",
    "list": "多选，用、或逗号分隔",
    "datetime": "日期时间（北京时间），如 2026-06-05 09:00",
    "date": "日期，如 2026-06-05",
    "time": "时间，如 09:00",
}
_REFERENCES = {
    "supplier_id": "suppliers",
    "area_id": "areas",
    "outlet_id": "outlets",
    "staff_id": "staff",
    "appointment_id": "appointments",
    "first_responder": "staff",
}
#: what an empty cell means where the spec says more than "unknown"
_BLANK_MEANS = {
    ("suppliers", "hotline"): "空白=没有客服热线",
    ("staff", "customer_facing"): "空白=按岗位（除“其它”外均为是）",
    ("staff", "certificate_valid_until"): "空白=长期有效",
    ("appointment_changes", "reason"): "空白=未说明理由",
    ("appointment_changes", "to_start"): "空白=取消",
    ("complaints", "supplier_id"): "空白=不针对某一企业",
}
_CONTENT = {
    "commission": "区经济信息委本身（只填一行）",
    "suppliers": "供电供气企业",
    "areas": "供电供气辖区",
    "outlets": "服务网点",
    "outlet_days": "网点每个规定营业日的开门情况（每网点每日一行）",
    "outlet_inspections": "网点现场抽样检查",
    "staff": "员工",
    "staff_checks": "员工上岗检查（着装、标示、证章）",
    "appointments": "上门服务预约",
    "appointment_changes": "上门服务的每次更改或取消",
    "proxy_services": "帮办代办",
    "disclosures": "企业已公开的内容",
    "business_services": "企业受理的各类业务（流程、条件、时限是否公开）",
    "applications": "用户业务申请（限时办结）",
    "inquiries": "用户首次咨询（首问负责）",
    "complaints": "投诉",
    "surveys": "用户满意度调查",
    "assessments": "区经济信息委的监督考核",
}

_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_GUIDANCE_FONT = Font(italic=True, color="595959", size=9)
_WRAP = Alignment(wrap_text=True, vertical="top")


# --------------------------------------------------------------------------- API


def write_template(path: str | Path, fields: Fields | None = None) -> Path:
    """Write the empty facts workbook (``.xlsx``) people fill in; return its path.

    ``fields``: the fields in force (a rule set's ``fields``; default: the bundled rules').
    """
    return export_workbook(None, path, fields)


def export(facts: FactSet, output: str | Path, *, encoding: str = "utf-8-sig") -> list[Path]:
    """Write ``facts`` as a workbook (``output`` ends in ``.xlsx``) or a CSV folder.

    Returns the files written. ``encoding`` applies to CSV only: ``utf-8-sig``
    (UTF-8 with BOM, which Excel opens correctly; the default), ``utf-8`` or ``gb18030``.
    """
    output = Path(output)
    if output.suffix.lower() == ".xlsx":
        return [export_workbook(facts, output)]
    return export_csv(facts, output, encoding=encoding)


def export_workbook(facts: FactSet | None, path: str | Path, fields: Fields | None = None
                    ) -> Path:
    """Write ``facts`` (``None``: no records, the template) as an ``.xlsx`` workbook.

    ``fields``: the fields in force (default: the facts', else the bundled rules').
    """
    path = Path(path)
    fields = fields or (facts.fields if facts is not None else default_fields())
    book = Workbook()
    guide = book.active
    assert isinstance(guide, Worksheet)
    guide.title = SETTINGS_SHEET
    _write_guide(guide, facts, fields)
    for collection in COLLECTIONS:
        records = facts.records(collection) if facts is not None else ()
        _write_sheet(book.create_sheet(sheet_title(collection)), collection, records, fields)
    book.save(path)
    return path


def export_csv(facts: FactSet, folder: str | Path, *, encoding: str = "utf-8-sig"
               ) -> list[Path]:
    """Write ``facts`` as a folder of CSV files, one per collection, and ``说明.csv``."""
    if encoding not in CSV_ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(CSV_ENCODINGS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    settings = folder / f"{SETTINGS_SHEET}.csv"
    rows = [["设置 (setting)", "值 (value)"], [header("format"), FORMAT]]
    if facts.as_of is not None:
        rows.append([header("as_of"), _datetime_text(facts.as_of)])
    _write_csv(settings, rows, encoding)
    written.append(settings)
    in_force = facts.fields
    for collection in COLLECTIONS:
        records = facts.records(collection)
        fields = _fields(collection, records, in_force)
        table = [[header(f, collection, in_force) for f in fields]]
        kinds = in_force.kinds(collection)
        for record in records:
            table.append([_csv_text(kinds.get(f, ("string", ()))[0], _value(record, f),
                                    in_force.value_labels(collection, f))
                          for f in fields])
        path = folder / f"{sheet_title(collection)}.csv"
        _write_csv(path, table, encoding)
        written.append(path)
    return written


# --------------------------------------------------------------------------- sheets


def _fields(collection: str, records: Iterable[Record], in_force: Fields) -> list[str]:
    """The columns to write: the model's and the declared ones, an explicit disclosure
    id, then extra fields."""
    fields = columns(collection, in_force)
    extra: list[str] = []
    for record in records:
        if collection == "disclosures" and "id" not in fields and _explicit_id(record):
            fields = [*fields, "id"]
        for key in record.extra:
            if key not in extra and key not in fields:
                extra.append(key)
    return fields + extra


def _explicit_id(record: Record) -> bool:
    """Whether a disclosure's id was given (otherwise it is derived, not written)."""
    return bool(record.values.get("id"))


def _value(record: Record, field: str) -> Any:
    return record.values.get(field)


def _guidance(collection: str, field: str, fields: Fields) -> str:
    kinds = fields.kinds(collection)
    if field not in kinds:
        return "说明：本系统不使用此列（保留）"
    kind, allowed = kinds[field]
    labels = fields.value_labels(collection, field)
    parts = ["必填" if required(collection, field) else "选填"]
    declared = fields.declaration(collection, field)
    if declared is not None and declared.note:
        parts.append(declared.note)
    parts.append(_KIND_ZH[kind])
    if kind in ("enum", "list") and allowed:
        parts.append("可选：" + "、".join(labels.get(v, v) for v in allowed))
    if field == "id":
        parts.append("本表内不重复")
    if field in _REFERENCES and collection != _REFERENCES[field]:
        target = _REFERENCES[field]
        parts.append(f"填「{target}」表中的编号")
    if kind == "list":
        parts.append(f"一项也没有填「{NO_ITEMS}」")
    if (collection, field) in _BLANK_MEANS:
        parts.append(_BLANK_MEANS[(collection, field)])
    elif field in EVENT_FIELDS:
        parts.append("空白=尚未发生")
    elif not required(collection, field):
        parts.append("空白=未知")
    return "说明：" + "；".join(parts)


def _write_sheet(sheet: Worksheet, collection: str, records: tuple[Record, ...],
                 in_force: Fields) -> None:
    kinds = in_force.kinds(collection)
    fields = _fields(collection, records, in_force)
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    sheet.row_dimensions[2].height = 60
    for index, field in enumerate(fields, start=1):
        letter = get_column_letter(index)
        kind, allowed = kinds.get(field, ("string", ()))
        labels = in_force.value_labels(collection, field)
        title = header(field, collection, in_force)
        top = sheet.cell(row=1, column=index, value=title)
        top.font = _HEADER_FONT
        top.fill = _REQUIRED_FILL if required(collection, field) else _HEADER_FILL
        top.alignment = _WRAP
        note = sheet.cell(row=2, column=index, value=_guidance(collection, field, in_force))
        note.font = _GUIDANCE_FONT
        note.alignment = _WRAP
        label = in_force.label(collection, field) or field
        width = max(14, min(40, 2 * len(label) + len(field) + 4))
        sheet.column_dimensions[letter].width = width
        if kind in _NUMBER_FORMATS:
            sheet.column_dimensions[letter].number_format = _NUMBER_FORMATS[kind]
        span = f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}"
        choices = [labels.get(v, v) for v in allowed]
        if kind == "bool":
            _drop_down(sheet, span, ["是", "否"], title)
        elif kind == "enum" and _fits(choices):
            _drop_down(sheet, span, choices, title)
        elif kind in ("enum", "list"):
            many = "多选，用、分隔：" if kind == "list" else "填其中之一："
            _prompt(sheet, span, title, many + "、".join(choices))
        for row, record in enumerate(records, start=FIRST_DATA_ROW):
            _put(sheet.cell(row=row, column=index), kind, _value(record, field), labels)


def _fits(labels: list[str]) -> bool:
    """Whether a drop-down list fits in the rule itself (Excel's limit: 255 characters)."""
    return len('"' + ",".join(labels) + '"') <= 255


def _drop_down(sheet: Worksheet, span: str, labels: list[str], title: str) -> None:
    formula = '"' + ",".join(labels) + '"'
    if not _fits(labels):
        raise ValueError(f"drop-down list too long for {title}")
    rule = DataValidation(type="list", formula1=formula, allow_blank=True,
                          errorStyle="warning", showErrorMessage=True,
                          showInputMessage=True, errorTitle="不在下拉列表中",
                          error="请从下拉列表中选择（也可填英文取值，如 own）。",
                          promptTitle=title[:32], prompt="从下拉列表中选择；空白=未知")
    sheet.add_data_validation(rule)
    rule.add(span)


def _prompt(sheet: Worksheet, span: str, title: str, text: str) -> None:
    rule = DataValidation(allow_blank=True, showInputMessage=True, promptTitle=title[:32],
                          prompt=text[:255])
    sheet.add_data_validation(rule)
    rule.add(span)


def _put(cell: Any, kind: str, value: Any, labels: Mapping[str, str] = VALUE_LABELS) -> None:
    """Write one value so that :mod:`.tabular` reads it back unchanged."""
    if value is None:
        return
    if kind == "bool" and isinstance(value, bool):
        cell.value = "是" if value else "否"
    elif kind == "enum":
        cell.value = labels.get(str(value), str(value))
    elif kind == "list" and isinstance(value, list):
        cell.value = "、".join(labels.get(str(v), str(v)) for v in value) if value \
            else NO_ITEMS
    elif isinstance(value, dt.datetime):
        local = value.astimezone(CHONGQING) if value.tzinfo else value
        if value.utcoffset() == dt.timedelta(hours=8) and value.microsecond == 0:
            cell.value = local.replace(tzinfo=None)
            cell.number_format = "yyyy-mm-dd hh:mm" + (":ss" if value.second else "")
        else:  # another offset or sub-second precision: exact ISO 8601 text
            _text_cell(cell, value.isoformat())
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, dt.time):
        if value.microsecond or value.tzinfo:
            _text_cell(cell, value.isoformat())
        else:
            cell.value = value
            cell.number_format = "hh:mm" + (":ss" if value.second else "")
    elif isinstance(value, (bool, int, float)):
        cell.value = value
    else:
        _text_cell(cell, value if isinstance(value, str) else str(value))


def _text_cell(cell: Any, text: str) -> None:
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.number_format = "@"


def _datetime_text(value: dt.datetime) -> str:
    if value.utcoffset() == dt.timedelta(hours=8) and value.microsecond == 0:
        return value.strftime("%Y-%m-%d %H:%M" + (":%S" if value.second else ""))
    return value.isoformat()


def _csv_text(kind: str, value: Any, labels: Mapping[str, str] = VALUE_LABELS) -> str:
    if value is None:
        return ""
    if kind == "bool" and isinstance(value, bool):
        return "是" if value else "否"
    if kind == "enum":
        return labels.get(str(value), str(value))
    if kind == "list" and isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value) if value else NO_ITEMS
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.time):
        if value.microsecond or value.tzinfo:
            return value.isoformat()
        return value.strftime("%H:%M" + (":%S" if value.second else ""))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)


# --------------------------------------------------------------------------- 说明


def _write_guide(sheet: Worksheet, facts: FactSet | None, fields: Fields) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["D"].width = 50
    title = sheet.cell(row=1, column=1,
                       value="涪陵区供电供气服务与投诉监管 · 事实数据填报表")
    title.font = Font(bold=True, size=14)
    sheet.cell(row=2, column=1, value=f"数据格式 {FORMAT}；每个工作表是一类记录，"
               "每行一条记录，每列一个字段。")
    row = 4
    sheet.cell(row=row, column=1, value="设置").font = _HEADER_FONT
    sheet.cell(row=row, column=2, value="值").font = _HEADER_FONT
    sheet.cell(row=row, column=3, value="说明").font = _HEADER_FONT
    row += 1
    sheet.cell(row=row, column=1, value=header("as_of"))
    as_of = sheet.cell(row=row, column=2)
    as_of.number_format = "yyyy-mm-dd hh:mm:ss"
    if facts is not None and facts.as_of is not None:
        _put(as_of, "datetime", facts.as_of)
        if as_of.data_type != "s":
            as_of.number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.cell(row=row, column=3, value="判断期限是否已过的时点（北京时间），如 "
               "2026-06-30 23:59:59；空白=检查时的当前时间")
    row += 1
    sheet.cell(row=row, column=1, value=header("format"))
    _text_cell(sheet.cell(row=row, column=2), FORMAT)
    sheet.cell(row=row, column=3, value="请勿修改")
    row += 2
    rules = [
        ("怎样填", None),
        ("表头", "第 1 行是表头（中文标签和字段名），请勿修改；第 2 行是以“说明：”开头的"
                 "填写说明，读取时跳过；从第 3 行起每行一条记录。橙色表头是必填列。"),
        ("空白", "空白单元格表示“未知”，不是“否”：需要该字段的检查会得出“数据不足”。"
                 "例外：预约、到达、开门、告知、办结、核实、整改、回复、上报、公开等事件时间"
                 "为空，表示该事件尚未发生。"),
        ("是/否", "填 是 或 否（也可填 Y/N、1/0）。"),
        ("下拉选择", "从下拉列表中选择中文取值；也可填英文取值（如 own）。"),
        ("多选", f"一个单元格内用、或逗号分隔多个取值，如“咨询、投诉”；一项也没有填“{NO_ITEMS}”。"),
        ("日期时间", "北京时间（UTC+08:00）。可填 Excel 日期时间，或文字 2026-06-05 09:00、"
                     "2026年6月5日 9:00、2026/6/5 9:00。日期填 2026-06-05，时间填 09:00。"
                     "不要用 6/5/2026 这类写法。"),
        ("编号", "编号（id）在一个表内不能重复；其他表用编号引用它（如 企业编号 填"
                 " suppliers 表中的编号）。网点营业日、业务事项、公开事项没有编号。"),
        ("公式", "可以用公式，读取的是 Excel 保存的计算结果；宏和外部链接不会被执行。"),
        ("填好后", "先运行 fuling-compliance check 本文件.xlsx 检查：所有问题会一次列出，"
                   "并指明工作表和单元格（如 appointments!D7）；改正后再发送给区经济信息委"
                   "（供电供气服务监管）。"),
    ]
    for name, text in rules:
        cell = sheet.cell(row=row, column=1, value=name)
        if text is None:
            cell.font = _HEADER_FONT
        else:
            body = sheet.cell(row=row, column=2, value=text)
            body.alignment = _WRAP
            sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
            sheet.row_dimensions[row].height = 45
        row += 1
    row += 1
    for column, text in enumerate(("工作表", "中文名称", "内容", "必填列"), start=1):
        sheet.cell(row=row, column=column, value=text).font = _HEADER_FONT
    row += 1
    for collection in COLLECTIONS:
        must = [header(f) for f in columns(collection, fields) if required(collection, f)]
        derived = DERIVED_ID.get(collection)
        sheet.cell(row=row, column=1, value=sheet_title(collection))
        sheet.cell(row=row, column=2, value=COLLECTION_LABELS[collection])
        content = _CONTENT[collection] + (
            f"；编号由 {'+'.join(derived)} 生成" if derived and collection != "disclosures" else "")
        sheet.cell(row=row, column=3, value=content).alignment = _WRAP
        sheet.cell(row=row, column=4, value="、".join(must) or "—").alignment = _WRAP
        row += 1
    declared = fields.declared()
    if not declared:
        return
    row += 1
    sheet.cell(row=row, column=1, value="新增字段（在规则目录中声明，选填）").font = _HEADER_FONT
    row += 1
    for column, text in enumerate(("工作表", "列", "类型", "说明"), start=1):
        sheet.cell(row=row, column=column, value=text).font = _HEADER_FONT
    row += 1
    for field in declared:
        sheet.cell(row=row, column=1, value=sheet_title(field.collection))
        sheet.cell(row=row, column=2, value=header(field.name, field.collection, fields))
        sheet.cell(row=row, column=3, value=_KIND_ZH[field.kind]).alignment = _WRAP
        sheet.cell(row=row, column=4, value=field.note or "—").alignment = _WRAP
        row += 1
