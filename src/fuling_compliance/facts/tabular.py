"""Facts from spreadsheets: ``.xlsx`` workbooks and folders of CSV files.

The facts format is a set of tables (``spec/facts.md``), so a workbook holds one sheet
per collection and a folder one ``<collection>.csv`` per collection. What is read:

* **Sheets and files** are named by the collection key (``appointments``), its Chinese
  label (``上门服务``) or both (``上门服务 (appointments)``). The 「说明」 sheet (or
  ``说明.csv``) is read only for its settings rows ``判断时点 (as_of)`` and
  ``格式 (format)``; any other sheet that is not a collection and holds data is kept
  and reported as a warning, like an unknown collection in YAML. The commission
  (``commission`` / 区经济信息委) is a sheet of one row.
* **Row 1 is the header**: each cell is a field key (``arrived_at``), its Chinese
  label (``实际到达时间``) or both (``实际到达时间 (arrived_at)``); fields declared in
  YAML (:mod:`.fields`) are read by their key or their declared label. Row 2 is a guidance
  row, skipped, when every non-empty cell in it starts with ``说明：`` (or ``#``);
  otherwise it is data. Columns that are not fields are kept and reported as warnings.
* **Cells**: an empty cell is null (unknown; for an event timestamp, not happened).
  Booleans take 是/否, Y/N, 1/0, true/false; enumerations the key or the Chinese label;
  lists one cell of values separated by ``,`` ``，`` or ``、`` (``无``: an empty list).
  Dates, times and datetimes are real Excel cells or text in ISO 8601 or common
  Chinese forms (``2026年6月5日 9:00``, ``2026/6/5 9:00``, ``下午3点半``); a datetime
  without an offset is Chongqing time (UTC+08:00). Nothing is guessed: a number where
  a date belongs, a date where a date and time belong, ``6/5/2026`` — each is a problem.
* **Workbooks** are read with openpyxl, which never runs anything: formulas are read
  as the values Excel cached (a formula with no cached value is a problem, not a
  null), external links are not followed or refreshed, macros in ``.xlsm`` are not
  loaded. Old ``.xls`` files, encrypted workbooks and archives that would unpack to
  more than four times the size limit are refused.
* **CSV files** are UTF-8 (with or without BOM) or GB18030 (what Chinese Excel writes
  as "CSV"): UTF-8 is tried strictly first, then GB18030; a file that is neither is
  refused. :func:`notes` tells which encoding each file was read in.

Every problem names the workbook, sheet and cell (``facts.xlsx, appointments!D7``;
see :func:`~fuling_compliance.errors.sheet_file`) or the CSV file, line and column,
in Chinese and English, and all are reported at once; the loader then rejects the
whole fact set, so nothing is evaluated on a partly read workbook.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..calendar import CHONGQING
from ..errors import Problem, column_letter, sheet_file
from ..yaml_source import PosDict, PosList, max_bytes_default, read_document
from .fields import Fields, default_fields
from .labels import (
    COLLECTION_LABELS,
    FALSE_WORDS,
    FIELD_LABELS,
    TRUE_WORDS,
    VALUE_LABELS,
    collection_for_label,
)
from .model import COLLECTIONS, FieldKind

Read = Callable[[], tuple[Any, list[Problem]]]
Source = tuple[str, Read]

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DOCUMENT_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
#: the sheet (and CSV file stem) of explanations and settings
SETTINGS_SHEET = "说明"
#: settings rows of the 「说明」 sheet: key -> Chinese label
SETTINGS: dict[str, str] = {"as_of": "判断时点", "format": "格式"}
#: what a guidance-row cell starts with
GUIDANCE_MARKS = ("说明：", "说明:", "#")
#: the cell text of an empty list (an empty cell is an unknown list)
NO_ITEMS = "无"
#: collections whose records have no ``id`` column (the id is derived)
DERIVED_ID = {"outlet_days": ("outlet_id", "date"),
              "business_services": ("supplier_id", "business_type"),
              "disclosures": ("supplier_id", "item")}
#: an unpacked workbook may be this many times the size limit
UNPACKED_FACTOR = 4

_LIST_SEPARATORS = re.compile(r"[,，、]")
_TRUE = {w.lower() for w in TRUE_WORDS} | {"是"}
_FALSE = {w.lower() for w in FALSE_WORDS} | {"否"}
#: spelling variants people type for a label
_VARIANTS = {"其他": "其它", "其他代办网点": "其它代办网点"}


# --------------------------------------------------------------------------- layout


def columns(collection: str, fields: Fields | None = None) -> list[str]:
    """The fields of a collection's sheet: the model's in order (no derived ids), then
    the declared ones (``fields``; default: the bundled rules')."""
    names = (fields or default_fields()).columns(collection)
    return [f for f in names if not (collection in DERIVED_ID and f == "id")]


def header(field: str, collection: str | None = None, fields: Fields | None = None) -> str:
    """A header cell: the Chinese label and the key, ``企业编号 (supplier_id)``."""
    label = (fields or default_fields()).label(collection, field) if collection else None
    label = label or FIELD_LABELS.get(field) or SETTINGS.get(field)
    return f"{label} ({field})" if label else field


def sheet_title(collection: str) -> str:
    """The sheet (and CSV file stem) of a collection: its key."""
    return collection


def required(collection: str, field: str) -> bool:
    """Whether a field must be filled in every record."""
    info = COLLECTIONS[collection].model_fields.get(field)
    return bool(info is not None and info.is_required())


def value_label(value: str) -> str:
    """The Chinese label of an enumeration value (the key if it has none)."""
    return VALUE_LABELS.get(value, value)


# --------------------------------------------------------------------------- entry points


def is_tabular(path: Path) -> bool:
    """Whether ``path`` is a workbook, a CSV file or a folder (of CSV files)."""
    return path.is_dir() or path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".csv"}


def sources(path: Path, fields: Fields | None = None) -> list[Source]:
    """Fact documents read from a workbook or CSV folder, one per sheet or file.

    Each source is ``(name, read)``; ``read()`` returns ``(document, problems)`` where
    the document is a :class:`~fuling_compliance.yaml_source.PosDict` whose positions
    are ``(row, column)`` of cells (or ``(line, column)`` of a CSV file), and the
    name is what problems give as ``file``. ``fields``: the fields in force (default:
    the bundled rules').
    """
    path = Path(path)
    fields = fields or default_fields()
    if path.is_dir():
        return _folder_sources(path, fields)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_csv_source(path, fields)]
    return _workbook_sources(path, fields)


def notes(path: Path) -> list[Problem]:
    """Warnings about how ``path`` was read: the encoding each CSV file was read in."""
    path = Path(path)
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    found: list[Problem] = []
    for file in files:
        if file.suffix.lower() != ".csv" or not file.is_file() or _hidden(file):
            continue
        _text, encoding, problem = read_csv_text(file)
        if problem is None:
            found.append(Problem(
                file=str(file), code="encoding", warning=True,
                message=f"read as {encoding}",
                message_zh=f"按 {encoding} 编码读取"))
    return found


def _ready(document: Any, problems: list[Problem]) -> Read:
    return lambda: (document, problems)


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _folder_sources(path: Path, fields: Fields) -> list[Source]:
    found: list[Source] = []
    for entry in sorted(path.iterdir()):
        if not entry.is_file() or _hidden(entry):
            continue
        suffix = entry.suffix.lower()
        if suffix == ".csv":
            found.append(_csv_source(entry, fields))
        elif suffix in WORKBOOK_SUFFIXES or suffix == ".xls":
            found.extend(_workbook_sources(entry, fields))
        elif suffix in DOCUMENT_SUFFIXES:
            found.append((str(entry), _document_reader(entry)))
    if not found:
        return [(str(path), _ready(None, [Problem(
            file=str(path), code="empty_folder",
            message="no .csv, .xlsx, .yaml or .json files in this folder",
            message_zh="该文件夹中没有 .csv、.xlsx、.yaml 或 .json 文件")]))]
    return found


def _document_reader(path: Path) -> Read:
    return lambda: read_document(path)


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Cell:
    """One non-empty cell: its value as read, where it is, and what the reader saw."""

    value: Any
    line: int
    column: int
    #: an Excel date cell whose number format shows no time of day
    date_only: bool = False
    #: an Excel error value or a formula without a cached value: (en, zh)
    error: tuple[str, str] | None = None


Row = tuple[int, dict[int, Cell]]


def _text(value: Any) -> str:
    """A cell as text (for headers, labels and free text)."""
    if isinstance(value, str):
        return " ".join(value.replace("\u3000", " ").split())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _normal_label(text: str) -> str:
    return " ".join(text.replace("（", "(").replace("）", ")").replace("\u3000", " ").split())


def _key_in_label(text: str) -> str:
    """``标签 (key)`` -> ``key``; anything else unchanged."""
    text = _normal_label(text)
    if text.endswith(")") and "(" in text:
        inner = text[text.rindex("(") + 1:-1].strip()
        if inner:
            return inner
    return text


def collection_for(title: str) -> str | None:
    """The collection a sheet title or CSV file stem names (key, label or both)."""
    return collection_for_label(_key_in_label(title)) or collection_for_label(_normal_label(title))


def _field_for(text: str, collection: str, fields: Fields) -> str:
    """A header cell's field key; text that names no field is kept as the key."""
    normal = _normal_label(text)
    key = fields.field_for_label(collection, normal)
    if key is None and normal.endswith(")") and "(" in normal:
        key = _key_in_label(normal)
    return key or normal


# --------------------------------------------------------------------------- conversion

_D = r"(?P<y>\d{4})\s*(?:年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*[日号]?" \
     r"|[-/.]\s*(?P<m2>\d{1,2})\s*[-/.]\s*(?P<d2>\d{1,2}))"
_T = r"(?P<ap>上午|早上|凌晨|中午|下午|晚上|傍晚)?\s*(?P<h>\d{1,2})\s*" \
     r"(?:[:：]\s*(?P<m>\d{2})(?:\s*[:：]\s*(?P<s>\d{2}))?" \
     r"|[时点](?:\s*(?P<half>半)|\s*(?P<m3>\d{1,2})\s*分?(?:\s*(?P<s3>\d{1,2})\s*秒)?)?)" \
     r"\s*(?P<ap2>AM|PM|am|pm)?"
_DATE_RE = re.compile(_D)
_TIME_RE = re.compile(_T)
_DATETIME_RE = re.compile(_D + r"(?:\s*T\s*|\s+|(?=[上早凌中下晚傍]))?(?:" + _T + r")?")
_FORMATS_EN = "ISO 8601 (2026-06-05 09:00) or 2026年6月5日 9:00, 2026/6/5 9:00"
_FORMATS_ZH = "ISO 8601（2026-06-05 09:00）或 2026年6月5日 9:00、2026/6/5 9:00"


class _Bad(Exception):
    """A cell that cannot be converted: English and Chinese explanations."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh


def _shown(value: Any) -> str:
    return repr(_text(value)) if not isinstance(value, str) else repr(value.strip())


def _shown_zh(value: Any) -> str:
    return f"「{_text(value)}」"


def _date_of(match: re.Match[str]) -> dt.date:
    month = match["m1"] or match["m2"]
    day = match["d1"] or match["d2"]
    return dt.date(int(match["y"]), int(month), int(day))


def _time_of(match: re.Match[str]) -> dt.time:
    hour = int(match["h"])
    minute = 30 if match["half"] else int(match["m"] or match["m3"] or 0)
    second = int(match["s"] or match["s3"] or 0)
    period = match["ap"] or ""
    english = (match["ap2"] or "").lower()
    afternoon = period in ("下午", "晚上", "傍晚") or english == "pm"
    if (afternoon and hour < 12) or (period == "中午" and hour < 11):
        hour += 12
    elif (period == "凌晨" or english == "am") and hour == 12:
        hour = 0
    return dt.time(hour, minute, second)


def parse_datetime(text: str) -> dt.datetime | dt.date | None:
    """Text as a datetime (Chongqing time unless it has an offset), a date, or None."""
    text = _text(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return value if value.tzinfo else value.replace(tzinfo=CHONGQING)
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        return None
    try:
        day = _date_of(match)
        if match["h"] is None:
            return day
        return dt.datetime.combine(day, _time_of(match), tzinfo=CHONGQING)
    except ValueError:
        return None


def parse_time(text: str) -> dt.time | None:
    """Text as a time of day (``09:00``, ``9:00``, ``9点半``, ``下午3:00``) or None."""
    text = _text(text)
    try:
        return dt.time.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    match = _TIME_RE.fullmatch(text)
    if match is None:
        return None
    try:
        return _time_of(match)
    except ValueError:
        return None


def _enum(value: Any, allowed: tuple[str, ...], field: str,
          labels: Mapping[str, str] = VALUE_LABELS, label: str | None = None) -> str:
    text = _text(value)
    candidates = [text, text.lower(), _key_in_label(text), _VARIANTS.get(text, text)]
    for candidate in candidates:
        if candidate in allowed:
            return candidate
        for key in allowed:
            if labels.get(key) == candidate:
                return key
    label = label or FIELD_LABELS.get(field, field)
    raise _Bad(
        f"{_shown(value)} is not a value of {field}; use one of: "
        + ", ".join(f"{key} ({labels.get(key, key)})" for key in allowed),
        f"{_shown_zh(value)}不是「{label}」的可选值；可填："
        + "、".join(labels.get(key, key) for key in allowed))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad(f"expected yes or no (是/否, Y/N, 1/0), got {_shown(value)}",
               f"应填 是/否（或 Y/N、1/0），实际为{_shown_zh(value)}")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(f"expected a whole number, got {_shown(value)}",
                   f"应填整数，实际为{_shown_zh(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    raise _Bad(f"expected a whole number, got {_shown(value)}",
               f"应填整数，实际为{_shown_zh(value)}")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Bad(f"expected a number, got {_shown(value)}", f"应填数字，实际为{_shown_zh(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(_text(value))
    except ValueError:
        raise _Bad(f"expected a number, got {_shown(value)}",
                   f"应填数字，实际为{_shown_zh(value)}") from None


#: the day Excel gives a time typed into a date cell (its day zero)
_EXCEL_DAY_ZERO = (dt.date(1899, 12, 30), dt.date(1899, 12, 31))


def _datetime(value: Any, date_only: bool) -> dt.datetime:
    if isinstance(value, dt.time) or (
            isinstance(value, dt.datetime) and value.date() in _EXCEL_DAY_ZERO):
        raise _Bad("a time of day without a date: a date and time are needed",
                   "只有时间没有日期：此处需要日期和时间")
    if isinstance(value, dt.datetime):
        if date_only and value.time() == dt.time(0):
            raise _Bad("a date without a time of day: a date and time are needed "
                       "(format the cell as yyyy-mm-dd hh:mm)",
                       "只有日期没有时间：此处需要日期和时间（单元格格式设为 yyyy-mm-dd hh:mm）")
        return value if value.tzinfo else value.replace(tzinfo=CHONGQING)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Bad(f"a number ({_text(value)}), not a date and time: format the cell as "
                   "a date and time or write 2026-06-05 09:00",
                   f"数字（{_text(value)}）不是日期时间：请把单元格设为日期时间格式，"
                   "或填 2026-06-05 09:00")
    parsed = parse_datetime(_text(value)) if isinstance(value, str) else None
    if isinstance(parsed, dt.datetime):
        return parsed
    if isinstance(parsed, dt.date) or isinstance(value, dt.date):
        raise _Bad(f"{_shown(value)} is a date without a time of day: a date and time "
                   "are needed", f"{_shown_zh(value)}只有日期没有时间：此处需要日期和时间")
    raise _Bad(f"expected a date and time, {_FORMATS_EN}; got {_shown(value)}",
               f"应填日期时间，{_FORMATS_ZH}；实际为{_shown_zh(value)}")


def _date(value: Any, date_only: bool) -> dt.date:
    if isinstance(value, dt.time) or (
            isinstance(value, dt.datetime) and value.date() in _EXCEL_DAY_ZERO):
        raise _Bad("a time of day, not a date", "这是时间，不是日期")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) or date_only:
            return value.date()
        raise _Bad(f"{_shown(value)} has a time of day: a date only is needed",
                   f"{_shown_zh(value)}含有时间：此处只填日期")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Bad(f"a number ({_text(value)}), not a date: format the cell as a date "
                   "or write 2026-06-05",
                   f"数字（{_text(value)}）不是日期：请把单元格设为日期格式，或填 2026-06-05")
    parsed = parse_datetime(_text(value)) if isinstance(value, str) else None
    if isinstance(parsed, dt.datetime):
        raise _Bad(f"{_shown(value)} has a time of day: a date only is needed",
                   f"{_shown_zh(value)}含有时间：此处只填日期")
    if isinstance(parsed, dt.date):
        return parsed
    raise _Bad(f"expected a date (2026-06-05 or 2026年6月5日), got {_shown(value)}",
               f"应填日期（2026-06-05 或 2026年6月5日），实际为{_shown_zh(value)}")


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.datetime):
        if value.date() in _EXCEL_DAY_ZERO:
            return value.time()
        raise _Bad(f"{_shown(value)} is a date and time: a time of day only is needed",
                   f"{_shown_zh(value)}是日期时间：此处只填时间")
    if isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < dt.timedelta(days=1):
        return (dt.datetime.min + value).time()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Bad(f"a number ({_text(value)}), not a time: format the cell as a time "
                   "or write 09:00",
                   f"数字（{_text(value)}）不是时间：请把单元格设为时间格式，或填 09:00")
    parsed = parse_time(_text(value)) if isinstance(value, str) else None
    if parsed is None:
        raise _Bad(f"expected a time of day (09:00, 9:30, 9点半), got {_shown(value)}",
                   f"应填时间（09:00、9:30、9点半），实际为{_shown_zh(value)}")
    return parsed


def _string(value: Any, date_only: bool) -> str:
    if isinstance(value, str):
        return value.strip()  # free text keeps its inner spaces and line breaks
    if isinstance(value, dt.datetime) and date_only and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=CHONGQING).isoformat()
    return _text(value)


def convert(kind: FieldKind, allowed: tuple[str, ...], field: str, cell: Cell,
            labels: Mapping[str, str] = VALUE_LABELS, label: str | None = None) -> Any:
    """A cell's value as the fact model wants it, or ``None`` for an empty cell.

    ``labels``: the Chinese labels of enumeration values; ``label``: the field's.
    Raises ``_Bad`` (English and Chinese explanations) when it cannot be converted.
    """
    value = cell.value
    if cell.error is not None:
        raise _Bad(*cell.error)
    if value is None or (isinstance(value, str) and not _text(value)):
        return None
    if kind == "string":
        return _string(value, cell.date_only)
    if kind == "bool":
        return _bool(value)
    if kind == "int":
        return _int(value)
    if kind == "number":
        return _number(value)
    if kind == "enum":
        return _enum(value, allowed, field, labels, label)
    if kind == "list":
        text = _text(value)
        if text in (NO_ITEMS, "[]", "none"):
            return []
        items = [item.strip() for item in _LIST_SEPARATORS.split(text) if item.strip()]
        if not items:
            return None
        return [_enum(item, allowed, field, labels, label) if allowed else item
                for item in items]
    if kind == "datetime":
        return _datetime(value, cell.date_only)
    if kind == "date":
        return _date(value, cell.date_only)
    if kind == "time":
        return _time(value)
    raise AssertionError(f"unknown field kind {kind}")


def _plain(cell: Cell) -> Any:
    """An unknown column's value: kept as read (dates as ISO text)."""
    if cell.error is not None or cell.value is None:
        return None
    value = cell.value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _string(value, cell.date_only)
    if isinstance(value, str):
        return _text(value) or None
    return value


# --------------------------------------------------------------------------- tables


def _empty(cell: Cell) -> bool:
    return cell.error is None and (
        cell.value is None or (isinstance(cell.value, str) and not _text(cell.value)))


def _blank(cells: dict[int, Cell]) -> bool:
    return all(_empty(c) for c in cells.values())


def _guidance(cells: dict[int, Cell]) -> bool:
    texts = [c.value for c in cells.values() if not _empty(c)]
    return bool(texts) and all(isinstance(t, str) and t.strip().startswith(GUIDANCE_MARKS)
                               for t in texts)


@dataclass(frozen=True)
class _Column:
    index: int
    key: str
    known: bool


class _Table:
    """Reads one sheet or CSV file into a fact document."""

    def __init__(self, file: str, title: str, rows: list[Row], fields: Fields) -> None:
        self.file = file
        self.title = title
        self.rows = rows
        self.fields = fields
        self.problems: list[Problem] = []

    def problem(self, en: str, zh: str, *, line: int | None = None, column: int | None = None,
                collection: str | None = None, record: str | None = None,
                field: str | None = None, code: str = "invalid") -> None:
        self.problems.append(Problem(file=self.file, line=line, column=column,
                                     collection=collection, record=record, field=field,
                                     message=en, message_zh=zh, code=code))

    def read(self) -> tuple[Any, list[Problem]]:
        if _normal_label(self.title) == SETTINGS_SHEET:
            return self.settings(), self.problems
        collection = collection_for(self.title)
        if collection is None:
            if all(_blank(cells) for _line, cells in self.rows):
                return None, []
            key = self.title if self.title not in ("format", "as_of") else f"sheet {self.title}"
            document = PosDict({key: PosList()})
            document.key_pos = {key: (1, 1)}
            return document, []
        return self.collection(collection), self.problems

    def settings(self) -> PosDict | None:
        document = PosDict()
        document.key_pos = {}
        names = {key: key for key in SETTINGS} | {label: key for key, label in SETTINGS.items()}
        names |= {_normal_label(header(key)): key for key in SETTINGS}
        for line, cells in self.rows:
            ordered = [cells[c] for c in sorted(cells) if not _empty(cells[c])]
            if len(ordered) < 1 or not isinstance(ordered[0].value, str):
                continue
            key = names.get(_normal_label(ordered[0].value))
            cell = cells.get(ordered[0].column + 1)  # the value is right of the label
            if key is None or cell is None or _empty(cell):
                continue
            document.key_pos[key] = (line, cell.column)
            if key == "format":
                document[key] = _text(cell.value)
                continue
            try:
                document[key] = _datetime(cell.value, cell.date_only)
            except _Bad as bad:
                self.problem(bad.en, bad.zh, line=line, column=cell.column, field=key,
                             code="type")
        return document if document.key_pos else None

    def collection(self, collection: str) -> PosDict | None:
        kinds = self.fields.kinds(collection)
        document = PosDict()
        document.key_pos = {collection: (1, 1)}
        rows = [(line, cells) for line, cells in self.rows if not _blank(cells)]
        if not rows:
            return None
        head_line, head = rows[0]
        if head_line != 1:
            self.problem("row 1 must be the header row (field keys or Chinese labels)",
                         "第 1 行必须是表头（字段名或中文标签）", line=1, column=1,
                         collection=collection, code="header")
            return None
        cols = self.read_header(collection, head, kinds)
        if cols is None:
            return None
        records = PosList()
        records.pos = (2, 1)
        records.item_pos = []
        body = rows[1:]
        if body and body[0][0] == 2 and _guidance(body[0][1]):
            body = body[1:]
        stray: set[int] = set()
        by_index = {c.index: c for c in cols}
        for line, cells in body:
            for index, cell in cells.items():
                if index not in by_index and index not in stray and not _empty(cell):
                    stray.add(index)
                    self.problem(
                        f"a value in column {column_letter(index)}, which has no header",
                        f"第 {column_letter(index)} 列没有表头，却填了内容",
                        line=line, column=index, collection=collection, code="header")
            record = self.record(collection, line, cells, cols, kinds, len(records) + 1)
            if record is not None:
                records.append(record)
                records.item_pos.append((line, 1))
        if collection == "commission":
            if not records:
                return None
            if len(records) > 1:
                line = records.item_pos[1][0]
                self.problem("the commission sheet must have one row only",
                             f"区经济信息委表只能填一行（第 {line} 行是第二行）",
                             line=line, column=1, collection=collection, code="type")
            document["commission"] = records[0]
            return document
        document[collection] = records
        return document

    def read_header(self, collection: str, head: dict[int, Cell],
                    kinds: dict[str, tuple[FieldKind, tuple[str, ...]]]
                    ) -> list[_Column] | None:
        cols: list[_Column] = []
        seen: dict[str, int] = {}
        fields = self.fields
        names = columns(collection, fields)
        valid = set(names) | ({"id"} if collection == "disclosures" else set())
        for index in sorted(head):
            cell = head[index]
            if _empty(cell):
                continue
            key = _field_for(_text(cell.value), collection, fields)
            if key in seen:
                self.problem(
                    f"column {key!r} appears twice (also column {column_letter(seen[key])})",
                    f"列「{header(key, collection, fields)}」重复（另见第 "
                    f"{column_letter(seen[key])} 列）",
                    line=1, column=index, collection=collection, field=key, code="header")
                continue
            seen[key] = index
            cols.append(_Column(index, key, key in valid and key in kinds))
        if not any(c.known for c in cols):
            self.problem(
                f"row 1 names no field of {collection}: the header row must be row 1, "
                f"with field keys or Chinese labels such as {header(names[0])!r}",
                f"第 1 行没有「{COLLECTION_LABELS[collection]}」的任何字段：第 1 行必须是表头，"
                f"填字段名或中文标签，如「{header(names[0])}」",
                line=1, column=1, collection=collection, code="header")
            return None
        missing = [f for f in names if required(collection, f) and f not in seen]
        if missing:
            after = max(head) + 1
            self.problem(
                "required column(s) missing: " + ", ".join(header(f) for f in missing)
                + "; the sheet was not read",
                "缺少必填列：" + "、".join(header(f) for f in missing) + "；本表未读取",
                line=1, column=after, collection=collection, code="header")
            return None
        return cols

    def record(self, collection: str, line: int, cells: dict[int, Cell], cols: list[_Column],
               kinds: dict[str, tuple[FieldKind, tuple[str, ...]]], ordinal: int
               ) -> PosDict | None:
        record = PosDict()
        record.pos = (line, 1)
        record.key_pos = {}
        label = self.label(collection, cells, cols, ordinal)
        keep = True
        for col in cols:
            record.key_pos[col.key] = (line, col.index)
            cell = cells.get(col.index, Cell(None, line, col.index))
            if not col.known:
                value = _plain(cell)
                if value is not None:
                    record[col.key] = value
                continue
            kind, allowed = kinds[col.key]
            try:
                value = convert(kind, allowed, col.key, cell,
                                self.fields.value_labels(collection, col.key),
                                self.fields.label(collection, col.key))
            except _Bad as bad:
                self.problem(bad.en, bad.zh, line=line, column=col.index,
                             collection=collection, record=label, field=col.key, code="type")
                # a required field that cannot be read: the record is not kept (it is
                # rejected anyway), so the loader does not also report it as missing
                keep = keep and not required(collection, col.key)
                continue
            if value is not None:
                record[col.key] = value
        return record if keep else None

    @staticmethod
    def label(collection: str, cells: dict[int, Cell], cols: list[_Column], ordinal: int) -> str:
        def text(key: str) -> str:
            for col in cols:
                cell = cells.get(col.index)
                if col.key == key and cell is not None and not _empty(cell) and not cell.error:
                    return _string(cell.value, cell.date_only)
            return ""

        parts = [text(k) for k in DERIVED_ID.get(collection, ("id",))]
        return ":".join(parts) if all(parts) else f"#{ordinal}"


def read_rows(file: str, title: str, rows: list[Row], fields: Fields | None = None
              ) -> tuple[Any, list[Problem]]:
    """A fact document from the rows of one sheet or CSV file (see the module doc)."""
    return _Table(file, title, rows, fields or default_fields()).read()


# --------------------------------------------------------------------------- CSV


def read_csv_text(path: Path) -> tuple[str | None, str, Problem | None]:
    """A CSV file's text and the encoding it was read in (``UTF-8``, ``UTF-8 (BOM)``,
    ``GB18030``), or a problem. UTF-8 is tried strictly first, then GB18030."""
    name = str(path)
    limit = max_bytes_default()
    try:
        data = path.read_bytes() if path.stat().st_size <= limit else None
    except OSError as exc:
        return None, "", Problem(file=name, message=f"cannot read: {exc.strerror}",
                                 message_zh=f"无法读取：{exc.strerror}", code="unreadable")
    if data is None:
        return None, "", Problem(
            file=name, code="too_large",
            message=f"file is over the limit of {limit} bytes (raise it with FULING_MAX_BYTES)",
            message_zh=f"文件超过上限 {limit} 字节（可用 FULING_MAX_BYTES 调整）")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "", Problem(
            file=name, code="encoding",
            message="UTF-16 text (Excel's 'Unicode text'): save as 'CSV UTF-8' instead",
            message_zh="UTF-16 文本（Excel 的“Unicode 文本”）：请另存为“CSV UTF-8”")
    if data.startswith(b"\xef\xbb\xbf"):
        attempts = [("utf-8-sig", "UTF-8 (BOM)")]
    else:
        attempts = [("utf-8", "UTF-8"), ("gb18030", "GB18030")]
    for codec, shown in attempts:
        try:
            return data.decode(codec), shown, None
        except UnicodeDecodeError:
            continue
    return None, "", Problem(
        file=name, code="encoding",
        message="neither UTF-8 nor GB18030 (GBK) text: save the file as 'CSV UTF-8'",
        message_zh="既不是 UTF-8 也不是 GB18030（GBK）编码：请另存为“CSV UTF-8”")


def csv_rows(file: str, text: str) -> tuple[list[Row], list[Problem]]:
    """The rows of CSV text; each cell knows the line it starts on and its column."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    start = 1
    try:
        for values in reader:
            cells = {i + 1: Cell(v, start, i + 1) for i, v in enumerate(values) if _text(v)}
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        return rows, [Problem(file=file, line=reader.line_num, code="syntax",
                              message=f"CSV syntax: {exc}", message_zh=f"CSV 格式错误：{exc}")]
    return rows, []


def _csv_source(path: Path, fields: Fields) -> Source:
    name = str(path)

    def read() -> tuple[Any, list[Problem]]:
        text, _encoding, problem = read_csv_text(path)
        if problem is not None or text is None:
            return None, [problem] if problem else []
        rows, problems = csv_rows(name, text)
        if problems:
            return None, problems
        return read_rows(name, path.stem, rows, fields)

    return name, read


# --------------------------------------------------------------------------- workbooks

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _format_has_time(number_format: str) -> bool:
    bare = _QUOTED.sub("", number_format or "").lower()
    return "h" in bare or "s" in bare


def _refuse(name: str, en: str, zh: str, code: str) -> list[Source]:
    return [(name, _ready(None, [Problem(file=name, message=en, message_zh=zh, code=code)]))]


def _workbook_sources(path: Path, fields: Fields) -> list[Source]:
    name = str(path)
    if path.suffix.lower() == ".xls":
        return _refuse(name, "old Excel 97-2003 (.xls) workbooks are not read: save it as .xlsx",
                       "不读取旧版 Excel 97-2003（.xls）工作簿：请另存为 .xlsx", "unsupported")
    limit = max_bytes_default()
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        return _refuse(name, f"cannot read: {exc.strerror}", f"无法读取：{exc.strerror}",
                       "unreadable")
    if size > limit:
        return _refuse(name, f"file is {size} bytes, over the limit of {limit} "
                       "(raise it with FULING_MAX_BYTES)",
                       f"文件 {size} 字节，超过上限 {limit}（可用 FULING_MAX_BYTES 调整）",
                       "too_large")
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return _refuse(name, "a password-protected workbook or an old .xls file: remove the "
                       "password or save it as .xlsx", "工作簿有密码保护或是旧版 .xls："
                       "请取消密码或另存为 .xlsx", "unsupported")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > UNPACKED_FACTOR * limit:
                return _refuse(name, f"the workbook would unpack to {unpacked} bytes: refused",
                               f"工作簿解压后达 {unpacked} 字节，拒绝读取", "too_large")
            has_formulas = any(
                _FORMULA.search(archive.read(info))
                for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, NotImplementedError) as exc:
        return _refuse(name, f"not an .xlsx workbook ({exc})", f"不是 .xlsx 工作簿（{exc}）",
                       "unreadable")
    try:
        formulas = _formula_cells(path) if has_formulas else {}
        return _read_workbook(path, formulas, fields)
    except Exception as exc:  # a damaged workbook is a problem, not a crash
        return _refuse(name, f"cannot read the workbook: {type(exc).__name__}: {exc}",
                       f"无法读取工作簿：{type(exc).__name__}: {exc}", "unreadable")


def _load(path: Path, *, data_only: bool) -> Any:
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True, data_only=data_only,
                                  keep_links=False, keep_vba=False)


def _formula_cells(path: Path) -> dict[str, set[tuple[int, int]]]:
    """Where each sheet has formulas (to tell a cached empty value from a missing one)."""
    workbook = _load(path, data_only=False)
    try:
        found: dict[str, set[tuple[int, int]]] = {}
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            cells = found.setdefault(sheet.title, set())
            for row in sheet.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        cells.add((cell.row, cell.column))
        return found
    finally:
        workbook.close()


def _read_workbook(path: Path, formulas: dict[str, set[tuple[int, int]]], fields: Fields
                   ) -> list[Source]:
    name = str(path)
    workbook = _load(path, data_only=True)
    try:
        found: list[Source] = []
        for sheet in workbook.worksheets:
            file = sheet_file(name, sheet.title)
            rows = _sheet_rows(sheet, formulas.get(sheet.title, set()))
            document, problems = read_rows(file, sheet.title, rows, fields)
            if document is not None or problems:
                found.append((file, _ready(document, problems)))
        return found
    finally:
        workbook.close()


def _sheet_rows(sheet: Any, formulas: set[tuple[int, int]]) -> list[Row]:
    sheet.reset_dimensions()  # a stated dimension may be wrong or absurdly large
    rows: dict[int, dict[int, Cell]] = {}
    for row in sheet.iter_rows():
        for cell in row:
            line = getattr(cell, "row", None)
            column = getattr(cell, "column", None)
            if line is None or column is None:
                continue  # an empty filler cell
            value = cell.value
            error: tuple[str, str] | None = None
            if cell.data_type == "e":
                error = (f"the cell holds the Excel error {value}",
                         f"单元格是 Excel 错误值 {value}")
            elif value is None and (line, column) in formulas:
                error = ("a formula without a saved value: open the workbook in Excel and "
                         "save it, or enter the value itself",
                         "公式没有保存的计算结果：请在 Excel 中打开并保存，或直接填写数值")
            elif value is None:
                continue
            date_only = isinstance(value, dt.datetime) and not _format_has_time(
                cell.number_format)
            rows.setdefault(line, {})[column] = Cell(value, line, column, date_only, error)
    return sorted(rows.items())
