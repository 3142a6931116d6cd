"""Safe YAML/JSON reading: fast by default, line and column where they are needed.

Two ways to read a document:

* **with positions** (``positions=True``): every mapping is a :class:`PosDict` and every
  sequence a :class:`PosList` remembering where each key or item starts (1-based line
  and column). Rule files, calendars, waivers and policy files are read this way.
* **fast** (``positions=False``): plain ``dict`` and ``list``. Fact files are read this way:
  JSON by the standard library's C decoder, YAML from libyaml's event stream. Nothing
  is paid for positions; when a fact set has a problem, :func:`locate` reads the file
  again and places just the records that need it (for JSON, by walking the document
  with the C decoder; for YAML, by the same event reader skipping every other record).

Both ways give the same values: one YAML reader (:class:`_Builder`) builds values from
libyaml's events with PyYAML's YAML 1.1 types, except that ``9:30`` stays text (no
base-60 numbers). Problems are :class:`~fuling_compliance.errors.Problem` values with
their place, never a traceback. Limits:

* size: :data:`DEFAULT_MAX_BYTES` (256 MiB, a district-year of a million records fits)
  unless overridden (``max_bytes`` or the ``FULING_MAX_BYTES`` environment variable);
  the file is read no further than the limit, in chunks of 1 MiB, and a NUL byte (which
  no YAML or JSON text holds) ends the reading at once: ``/dev/zero`` is refused in
  microseconds;
* nesting: :data:`MAX_DEPTH` (32) levels;
* aliases: :data:`MAX_ALIASES` (100) alias uses per document and at most
  :data:`MAX_ALIAS_EXPANSION` (100,000) nodes added by expanding them — an alias bomb
  is refused before it is expanded;
* duplicate keys are an error, not a silent overwrite (in JSON too);
* tags other than the standard scalar ones (``!!str``, ``!!int``, ``!!float``,
  ``!!bool``, ``!!null``, ``!!timestamp``) and plain mappings/sequences are refused;
* impossible values (``2026-02-30``, ``25:61``, an integer of thousands of digits) are
  located problems.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from .errors import Problem

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 20
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_ALIAS_EXPANSION = 100_000

Pos = tuple[int, int]

try:  # libyaml's parser (PyYAML's wheels ship it); the pure-Python one is the fallback
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.loader import SafeLoader as _Parser  # type: ignore[assignment]


class PosDict(dict[str, Any]):
    """A mapping that remembers the position of each key (and of itself)."""

    pos: Pos = (1, 1)
    key_pos: dict[str, Pos]

    def at(self, key: str) -> Pos:
        return self.key_pos.get(key, self.pos)


class PosList(list[Any]):
    """A sequence that remembers the position of each item (and of itself)."""

    pos: Pos = (1, 1)
    item_pos: list[Pos]

    def at(self, index: int) -> Pos:
        return self.item_pos[index] if index < len(self.item_pos) else self.pos


def _pos_dict(pos: Pos) -> PosDict:
    d = PosDict()
    d.pos = pos
    d.key_pos = {}
    return d


def _pos_list(pos: Pos) -> PosList:
    items = PosList()
    items.pos = pos
    items.item_pos = []
    return items


def position(data: Any, path: Sequence[Any]) -> Pos:
    """Line and column of the key (or item) at ``path`` in a positioned document; the
    nearest container's when the path goes further than the document (a missing key)."""
    node: Any = data
    pos: Pos = getattr(data, "pos", (1, 1))
    for key in path:
        if not holds(node, key) or not isinstance(node, (PosDict, PosList)):
            break
        pos = node.at(key)
        node = node[key]
    return pos


def holds(node: Any, key: Any) -> bool:
    """Whether ``node`` (a mapping or a list) has the key or index ``key``."""
    if isinstance(node, Mapping):
        return isinstance(key, str) and key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


# ----------------------------------------------------------------------------- limits
def max_bytes_default() -> int:
    """The size limit in force: ``FULING_MAX_BYTES`` or :data:`DEFAULT_MAX_BYTES`."""
    env = os.environ.get("FULING_MAX_BYTES")
    return int(env) if env and env.isdigit() else DEFAULT_MAX_BYTES


def read_text(
    path: Path | str, *, max_bytes: int | None = None
) -> tuple[str | None, list[Problem]]:
    """A file's text (UTF-8, BOM allowed), read no further than the size limit."""
    name = str(path)
    limit = max_bytes if max_bytes is not None else max_bytes_default()
    chunks: list[bytes] = []
    size = 0
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > limit and S_ISREG(info.st_mode):
                size = info.st_size  # a regular file known to be too large: not read
                chunks.append(b"")
            while size <= limit:
                chunk = handle.read(min(_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                if b"\0" in chunk:  # no YAML or JSON text holds one: /dev/zero, UTF-16, ...
                    line = b"".join(chunks).count(b"\n") + chunk.count(b"\n", 0,
                                                                    chunk.index(b"\0")) + 1
                    return None, [Problem(
                        file=name, line=line,
                        message="not a text file: it holds a NUL byte (a binary file, or "
                        "UTF-16 rather than UTF-8)",
                        message_zh="不是文本文件：含有 NUL 字节"
                        "（二进制文件，或 UTF-16 而非 UTF-8 编码）",
                        code="encoding")]
                chunks.append(chunk)
                size += len(chunk)
    except OSError as exc:
        return None, [Problem(file=name, message=f"cannot read: {exc.strerror or exc}",
                              message_zh=f"无法读取：{exc.strerror or exc}", code="unreadable")]
    raw = b"".join(chunks)
    if size > limit:
        return None, [Problem(
            file=name,
            message=f"file is larger than the limit of {limit} bytes "
            "(raise it with --max-bytes or FULING_MAX_BYTES)",
            message_zh=f"文件超过上限 {limit} 字节（可用 --max-bytes 或 FULING_MAX_BYTES 调整）",
            code="too_large")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [Problem(file=name, line=line, message=f"not UTF-8: {exc.reason}",
                              message_zh="不是 UTF-8 编码", code="encoding")]


def is_json(path: Path | str) -> bool:
    """Whether a file is read as JSON (by its name): ``*.json``."""
    return str(path).lower().endswith(".json")


def read_document(
    path: Path | str, *, max_bytes: int | None = None, positions: bool = True
) -> tuple[Any, list[Problem]]:
    """Read one YAML or JSON file; return ``(data, problems)``.

    ``data`` is ``None`` when the document could not be read at all. See the module
    docstring for ``positions``.
    """
    text, problems = read_text(path, max_bytes=max_bytes)
    if text is None:
        return None, problems
    return parse_text(text, str(path), positions=positions, json_text=is_json(path))


def parse_text(
    text: str, name: str = "<string>", *, positions: bool = True, json_text: bool = False
) -> tuple[Any, list[Problem]]:
    """Parse YAML (or, with ``json_text`` and no positions, JSON) text."""
    if json_text and not positions:
        data, problem = _parse_json(text, name)
        if problem is None:
            return data, []
        if problem.code != "relocate":
            return None, [problem]
        # a duplicate key or a value JSON cannot hold: the YAML reader says where
    try:
        return _Builder(text, name, positions=positions).document(), []
    except _Refused as refused:
        return None, [refused.problem]


# ----------------------------------------------------------------------------- syntax
@dataclass(frozen=True)
class _Mark:
    """A place in the text (0-based, as libyaml's marks)."""

    line: int
    column: int


#: libyaml's words for an impossible date or time -> Chinese
_IMPOSSIBLE_ZH = (
    ("day is out of range for month", "该月没有这一天"),
    ("month must be in 1..12", "月份应为 1–12"),
    ("hour must be in 0..23", "小时应为 0–23"),
    ("minute must be in 0..59", "分钟应为 0–59"),
    ("second must be in 0..59", "秒应为 0–59"),
    ("year", "年份超出范围"),
    ("Exceeds the limit", "数字位数过多"),
    ("too large", "数字太大"),
)


def _impossible_zh(reason: str) -> str:
    for en, zh in _IMPOSSIBLE_ZH:
        if en in reason:
            return zh
    return reason


_FULLWIDTH_KEY = re.compile(r"^\s*(?:-\s+)?[^\s:#'\"{}\[\],]+\s*：")


def explain_syntax(exc: yaml.MarkedYAMLError, text: str) -> tuple[Any, str, str]:
    """``(mark, en, zh)`` for a libyaml syntax error: where the cause most likely is,
    and what to do about it in plain words (libyaml's own words kept in brackets)."""
    what = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    mark: Any = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    line = mark.line if mark is not None else 0
    column = mark.column if mark is not None else 0
    here = lines[line] if 0 <= line < len(lines) else ""
    char = here[column] if 0 <= column < len(here) else ""
    # a Chinese colon written where YAML needs ": " shows up as an error further down
    for number in range(min(line, len(lines) - 1), max(line - 2, -1), -1):
        if _FULLWIDTH_KEY.match(lines[number]) and ": " not in lines[number].split("：")[0]:
            return (_Mark(number, lines[number].index("：")),
                    f"YAML syntax: a Chinese colon '：' after a key; YAML needs ': ' "
                    f"(an ASCII colon and a space) ({what})",
                    f"YAML 语法错误：键后面用了中文冒号“：”，请改成英文冒号加空格“: ”（{what}）")
    opened = _unclosed_quote(text, line, column)
    if opened is not None:
        return (opened, f"YAML syntax: a quote opened here is not closed on its line, so "
                f"the text runs on to line {line + 1}: close it or remove it ({what})",
                f"YAML 语法错误：这里开始的引号在本行没有闭合，一直延续到第 {line + 1} 行："
                f"请补上配对的引号，或去掉这个引号（{what}）")
    en: str
    zh: str
    if "tab" in what or (char == "\t" and "cannot start any token" in what):
        en = "a tab character: YAML is indented with spaces only; replace the tab with spaces"
        zh = "这一行有制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格"
        tab = here.find("\t")
        if tab >= 0:
            mark = _Mark(line, tab)
    elif "cannot start any token" in what:
        en = (f"a value cannot start with {char!r}: put it in quotes, e.g. \"{char}...\""
              if char else "this character cannot start a value: put the value in quotes")
        zh = (f"取值不能以“{char}”开头：请给整个取值加引号，例如 \"{char}…\"" if char else
              "这里的字符不能作为取值的开头：请给取值加引号")
    elif "quoted scalar" in context and "end of stream" in what:
        mark = exc.context_mark
        en = "a quote is never closed: add the matching quote (\" or ') at the end of the text"
        zh = ("引号没有闭合：从这里开始的引号直到文件结尾都没有结束，"
              "请在文字末尾补上配对的引号（\" 或 '）")
    elif "quoted scalar" in context:
        en = ("inside double quotes a backslash starts an escape: write \\\\ for a "
              "backslash, or use single quotes")
        zh = "双引号中的反斜杠“\\”表示转义：要写反斜杠本身请写成“\\\\”，或改用单引号"
    elif "mapping values are not allowed" in what:
        en = ("a ': ' where none can be: either this line is indented differently from the "
              "keys beside it, or a value contains ': ' and needs quotes "
              "(e.g. note: \"时间: 9:00\")")
        zh = ("这里不能出现“: ”：要么这一行的缩进与同一层的其他键不一致（同一层的键要左对齐），"
              "要么取值中含有“: ”却没有加引号（例如 note: \"时间: 9:00\"）")
    elif "expected '-' indicator" in what:
        en = ("a list is not aligned: every item of one list starts with '- ' in the same "
              "column, and nothing else may sit at that indentation")
        zh = "列表没有对齐：同一列表的每一项都以“- ”开头并左对齐，这一行的缩进与列表项不一致"
    elif "did not find expected key" in what:
        en = ("this line does not fit the indentation above it (a key indented less or more "
              "than its neighbours), or text follows a closing quote")
        zh = "这一行的缩进与上面不一致（同一层的键要左对齐），或者引号结束后还有多余的文字"
    elif "could not find expected ':'" in what:
        mark = exc.context_mark or mark
        en = "a key without ':': write 'key: value' (a colon and a space), or close a quote"
        zh = "缺少冒号：每一行应写成“键: 值”（英文冒号后加空格）；也可能是上一行的引号没有闭合"
    elif "expected ',' or '}'" in what:
        en = ("a {...} mapping is not closed, or a value inside it holds a comma or braces: "
              "add the '}', or put that value in quotes (e.g. note: \"取 {reply_days} 天\")")
        zh = ("花括号 {…} 没有闭合，或者其中的取值含有逗号或花括号：请补上“}”，"
              "或给这个取值加引号（例如 note: \"取 {reply_days} 天\"）")
    elif "expected ',' or ']'" in what:
        en = "a [...] list is not closed, or an item holds a comma: add the ']' or quote the item"
        zh = "方括号 […] 没有闭合，或者其中某一项含有逗号：请补上“]”，或给这一项加引号"
    elif "alphabetic or numeric character" in what:
        en = "'&' and '*' must be followed by a name; if this is text, put it in quotes"
        zh = "“&”和“*”后面必须是名称；如果这是普通文字，请加引号"
    elif "block sequence entries are not allowed" in what or "expected <block end>" in what:
        en = "the indentation changes where it cannot: align this line with its neighbours"
        zh = "缩进不一致：请让这一行与同一层的其他行左对齐"
    else:
        en = "check the indentation (spaces only) and the quotes around this place"
        zh = "请检查这附近的缩进（只能用空格）和引号是否配对"
    return mark, f"YAML syntax: {en} ({what})", f"YAML 语法错误：{zh}（{what}）"


def _unclosed_quote(text: str, line: int, column: int) -> _Mark | None:
    """Where a quoted text that ends just before the error began, if on an earlier line
    (a quote left open swallows the lines up to the next quote of its kind)."""
    lines = text.splitlines(keepends=True)
    if line >= len(lines):
        return None
    offset = sum(len(x) for x in lines[:line]) + column
    before = text[:offset].rstrip(" ")
    if not before or before[-1] not in "\"'":
        return None
    quote = before[-1]
    i = len(before) - 2
    while i >= 0:
        if text[i] == quote:
            if quote == '"' and i > 0 and text[i - 1] == "\\":
                i -= 2
                continue
            if quote == "'" and i > 0 and text[i - 1] == "'":
                i -= 2
                continue
            break
        i -= 1
    if i < 0:
        return None
    start_line = text.count("\n", 0, i)
    if start_line >= line:
        return None
    return _Mark(start_line, i - (text.rfind("\n", 0, i) + 1))


# ----------------------------------------------------------------------------- JSON
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(value: Any) -> str | None:
    """The path (``a.b[2]``; ``""`` for the value itself) of the first text holding a
    lone UTF-16 surrogate, which no UTF-8 text can; ``None`` when there is none."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return path
        elif isinstance(item, Mapping):
            for key, sub in item.items():
                if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                    return f"{path}.{key!a}" if path else f"{key!a}"
                stack.append((sub, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list | tuple):
            stack.extend((sub, f"{path}[{i}]") for i, sub in enumerate(item))
    return None


class _Duplicate(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


def _parse_json(text: str, name: str) -> tuple[Any, Problem | None]:
    """JSON by the C decoder; ``Problem(code="relocate")`` asks the YAML reader to place
    a problem the decoder cannot (a duplicate key, an integer too long for Python)."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs)
        if _ESCAPED_SURROGATE.search(text):
            where = lone_surrogate(data)
            if where is not None:
                return None, Problem(file=name, field=where or None, code="encoding",
                                     message="text with a lone UTF-16 surrogate (a \\udXXX "
                                     "escape without its pair) is not Unicode text",
                                     message_zh="文本含有不成对的 UTF-16 代理项（\\udXXX 转义），"
                                     "不是有效的 Unicode 文本")
        return data, None
    except json.JSONDecodeError as exc:
        return None, Problem(file=name, line=exc.lineno, column=exc.colno,
                             message=f"JSON syntax: {exc.msg}",
                             message_zh=f"JSON 语法错误：{exc.msg}", code="syntax")
    except RecursionError:
        return None, Problem(file=name, message=f"nesting deeper than {MAX_DEPTH} levels",
                             message_zh=f"嵌套超过 {MAX_DEPTH} 层", code="too_deep")
    except (_Duplicate, ValueError):
        return None, Problem(file=name, code="relocate")


# ----------------------------------------------------------------------------- YAML values
class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
_BOOL_WORDS = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
                         "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"})
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
_INT_RE = re.compile(r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+")
_FLOAT_RE = re.compile(r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
                       r"|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_TIMESTAMP_RE = re.compile(
    r"(?P<year>[0-9][0-9][0-9][0-9])-(?P<month>[0-9][0-9]?)-(?P<day>[0-9][0-9]?)"
    r"(?:(?:[Tt]|[ \t]+)(?P<hour>[0-9][0-9]?):(?P<minute>[0-9][0-9]):(?P<second>[0-9][0-9])"
    r"(?:\.(?P<fraction>[0-9]*))?"
    r"(?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)"
    r"(?::(?P<tz_minute>[0-9][0-9]))?))?)?")
_DATE_ONLY = re.compile(r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")


def _construct_int(text: str) -> int:
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[:1] == "0":
        return sign * int(value, 8)
    return sign * int(value)


def _construct_float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    if value[:1] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    return sign * float(value)


def _construct_timestamp(text: str) -> dt.date | dt.datetime:
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a timestamp")
    values = match.groupdict()
    year, month, day = int(values["year"]), int(values["month"]), int(values["day"])
    if values["hour"] is None:
        if not _DATE_ONLY.fullmatch(text):
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
        return dt.date(year, month, day)
    fraction = 0
    if values["fraction"]:
        digits = values["fraction"][:6]
        fraction = int(digits + "0" * (6 - len(digits)))
    tzinfo = None
    if values["tz"] == "Z":
        tzinfo = dt.UTC
    elif values["tz"]:
        minutes = int(values["tz_hour"]) * 60 + int(values["tz_minute"] or 0)
        offset = dt.timedelta(minutes=-minutes if values["tz_sign"] == "-" else minutes)
        tzinfo = dt.timezone(offset)
    return dt.datetime(year, month, day, int(values["hour"]), int(values["minute"]),
                       int(values["second"]), fraction, tzinfo=tzinfo)


def _impossible_text(text: str, exc: Exception) -> tuple[str, str]:
    """(en, zh) of a scalar that looks like a number or timestamp but cannot be one."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    digits = sum(c.isdigit() for c in text)
    if digits > 4000 and "integer" in str(exc):
        return (f"an integer of {digits} digits is too long (at most 4300)",
                f"整数有 {digits} 位，太长（最多 4300 位）")
    if _TIMESTAMP_RE.fullmatch(text) or (text[:4].isdigit() and "-" in text) \
            or "timestamp" in str(exc):
        return (f"no such date or time: {shown!r} ({exc})",
                f"不存在的日期或时间：{shown!r}（{_impossible_zh(str(exc))}）")
    return (f"impossible value {shown!r}: {exc}",
            f"无效的取值 {shown!r}：{_impossible_zh(str(exc))}")


def _resolve_plain(text: str) -> Any:
    """A plain (unquoted, untagged) scalar's value, by YAML 1.1's implicit types."""
    if not text:
        return None
    first = text[0]
    if first in "0123456789-+.":
        if _INT_RE.fullmatch(text):
            return _construct_int(text)
        if _FLOAT_RE.fullmatch(text):
            return _construct_float(text)
        if first.isdigit() and _TIMESTAMP_RE.fullmatch(text):
            return _construct_timestamp(text)
        return text
    if text in _BOOL_WORDS:
        return _BOOLS[text.lower()]
    if text in _NULL_WORDS:
        return None
    return text


def _resolve_tagged(text: str, tag: str) -> Any:
    """A scalar with an explicit standard tag (``!!int "12"``)."""
    if tag == _STR:
        return text
    if tag == _INT:
        if not _INT_RE.fullmatch(text):
            raise ValueError(f"{text!r} is not an integer")
        return _construct_int(text)
    if tag == _FLOAT:
        try:
            return _construct_float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if tag == _BOOL:
        if text.lower() not in _BOOLS:
            raise ValueError(f"{text!r} is not a boolean")
        return _BOOLS[text.lower()]
    if tag == _NULL:
        return None
    if tag == _TIMESTAMP:
        return _construct_timestamp(text)
    raise KeyError(tag)


# ----------------------------------------------------------------------------- YAML reader
_NO_KEY = object()
#: plain scalars that are not text: YAML 1.1 booleans and nulls (numbers start with these)
_WORDS: dict[str, Any] = {**{w: _BOOLS[w.lower()] for w in _BOOL_WORDS},
                          **dict.fromkeys(_NULL_WORDS)}
_NUMERIC_FIRST = frozenset("0123456789-+.")


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("anchor", "collection", "index", "is_map", "key", "key_mark", "merge_key",
                 "merges", "nodes_at_start", "positioned", "start_mark", "value")

    def __init__(self, value: Any, is_map: bool, anchor: str | None, start_mark: Any,
                 nodes_at_start: int, positioned: bool) -> None:
        self.value = value
        self.is_map = is_map
        self.anchor = anchor
        self.start_mark = start_mark
        self.nodes_at_start = nodes_at_start
        self.positioned = positioned
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.merge_key = False
        self.merges: list[tuple[Any, Pos]] = []
        #: locating: the top-level collection this sequence is, and the next item's index
        self.collection: str | None = None
        self.index = 0


class _Builder:
    """Build Python values from libyaml's event stream (see the module docstring).

    ``wanted`` (``{collection: indexes}``) switches to *locating*: the top-level mapping
    and the wanted records of its top-level collections are built with positions, every
    other record is skipped without being built. ``offset`` shifts positions (a JSON
    record read on its own).
    """

    def __init__(self, text: str, name: str, *, positions: bool,
                 wanted: Mapping[str, Collection[int]] | None = None,
                 offset: Pos = (0, 0)) -> None:
        try:
            self._parser = _Parser(text)
        except UnicodeError:  # a str with a lone surrogate: no UTF-8 file holds one
            raise _Refused(Problem(file=name, code="encoding",
                                   message="text with a lone UTF-16 surrogate is not Unicode",
                                   message_zh="文本含有不成对的 UTF-16 代理项，不是有效的 Unicode "
                                   "文本")) from None
        self._text = text
        self._name = name
        self._positions = positions
        self._wanted = wanted
        self._offset = offset
        self._anchors: dict[str, tuple[Any, int]] = {}
        self._aliases = 0
        self._expansion = 0

    # -------------------------------------------------------------- problems
    def _pos(self, mark: Any) -> Pos:
        line, column = mark.line, mark.column
        if line == 0:
            column += self._offset[1]
        return (line + 1 + self._offset[0], column + 1)

    def _refuse(self, mark: Any, code: str, en: str, zh: str) -> _Refused:
        line, col = self._pos(mark) if mark is not None else (None, None)
        return _Refused(Problem(file=self._name, line=line, column=col, message=en,
                                message_zh=zh, code=code))

    # -------------------------------------------------------------- document
    def document(self) -> Any:
        """The single document of the stream (an empty mapping if there is none)."""
        get = self._parser.get_event
        try:
            root: Any = None
            seen_document = False
            while True:
                event = get()
                kind = type(event)
                if event is None or kind is StreamEndEvent:
                    break
                if kind is DocumentStartEvent:
                    if seen_document:
                        raise self._refuse(event.start_mark, "syntax",
                                           "more than one YAML document in the file",
                                           "文件中有多个 YAML 文档")
                    seen_document = True
                    root = self._node(get(), 1)
            if root is None:
                return _pos_dict((1, 1)) if self._positions or self._wanted is not None else {}
            return root
        except yaml.MarkedYAMLError as exc:
            mark, en, zh = explain_syntax(exc, self._text)
            raise self._refuse(mark, "syntax", en, zh) from None
        except yaml.YAMLError as exc:
            raise self._refuse(None, "syntax", f"YAML: {exc}", f"YAML 错误：{exc}") from None
        finally:
            dispose = getattr(self._parser, "dispose", None)
            if dispose is not None:
                dispose()

    def _typed(self, event: Any) -> Any:
        """A scalar that is not plain text: a number, a timestamp, or explicitly tagged."""
        try:
            if event.implicit[0]:
                return _resolve_plain(event.value)
            return _resolve_tagged(event.value, event.tag)
        except KeyError:
            raise self._refuse(event.start_mark, "syntax",
                               f"YAML tag {event.tag!r} is not allowed",
                               f"不允许使用 YAML 标签 {event.tag!r}") from None
        except (ValueError, OverflowError) as exc:
            en, zh = _impossible_text(event.value, exc)
            raise self._refuse(event.start_mark, "value", en, zh) from None

    def _scalar(self, event: Any) -> Any:
        """A scalar's value: plain text by YAML 1.1's implicit types, quoted text as it
        is, anything tagged by its tag."""
        if event.implicit[0]:
            text = event.value
            if not text:
                return None
            if text[0] in _NUMERIC_FIRST:
                return self._typed(event)
            return _WORDS.get(text, text)
        if event.tag is None or event.tag == "!":
            return event.value
        return self._typed(event)

    def _node(self, event: Any, depth: int) -> Any:
        """Build the node starting at ``event`` (iteratively, with an explicit stack)."""
        get = self._parser.get_event
        positions = self._positions
        wanted = self._wanted
        words = _WORDS
        numeric_first = _NUMERIC_FIRST
        anchors = self._anchors
        scalar = self._scalar
        stack: list[_Frame] = []
        top: _Frame | None = None
        nodes = 0
        while True:
            kind = type(event)
            nodes += 1
            if kind is ScalarEvent:
                value: Any = scalar(event)
                mark = event.start_mark
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) + depth > MAX_DEPTH:
                    raise self._refuse(event.start_mark, "too_deep",
                                       f"nesting deeper than {MAX_DEPTH} levels: refused",
                                       f"嵌套超过 {MAX_DEPTH} 层，拒绝读取")
                tag = event.tag
                if tag is not None and tag != "!" and tag != _MAP and tag != _SEQ:
                    raise self._refuse(event.start_mark, "syntax",
                                       f"YAML tag {tag!r} is not allowed",
                                       f"不允许使用 YAML 标签 {tag!r}")
                is_map = kind is MappingStartEvent
                positioned = positions or wanted is not None
                if positioned:
                    pos = self._pos(event.start_mark)
                    container: Any = _pos_dict(pos) if is_map else _pos_list(pos)
                else:
                    container = {} if is_map else []
                frame = _Frame(container, is_map, event.anchor, event.start_mark,
                               nodes + self._expansion, positioned)
                if wanted is not None and not is_map and len(stack) == 1 and top is not None \
                        and top.is_map and isinstance(top.key, str):
                    frame.collection = top.key
                stack.append(frame)
                top = frame
                event = get()
                if frame.collection is not None:
                    event = self._skip_unwanted(frame, event)
                elif is_map and not positioned:
                    # a record: plain keys and values, read pair by pair in a tight loop;
                    # anything else (a tag, an anchor, a nested node, a merge key) is left
                    # to the general loop above, at the event it stopped on
                    while (type(event) is ScalarEvent and event.implicit[0]
                           and event.anchor is None):
                        text = event.value
                        if not text or text == "<<":  # a null or merge key: the general loop
                            break
                        if text and (text[0] in numeric_first or text in words):
                            key_value = (self._typed(event) if text[0] in numeric_first
                                         else words[text])
                            key = key_value if type(key_value) is str else str(key_value)
                        else:
                            key = text
                        key_mark = event.start_mark
                        event = get()
                        nodes += 1
                        if (type(event) is not ScalarEvent or event.anchor is not None
                                or not (event.implicit[0] or event.tag is None
                                        or event.tag == "!")):
                            frame.key = key
                            frame.key_mark = key_mark
                            break
                        text = event.value  # inline (as _scalar): the hot path
                        if not event.implicit[0]:
                            value = text
                        elif not text:
                            value = None
                        elif text[0] in numeric_first:
                            value = self._typed(event)
                        else:
                            value = words.get(text, text)
                        if key in container:
                            raise self._refuse(key_mark, "duplicate_key",
                                               f"duplicate key {key!r}", f"重复的键 {key!r}")
                        container[key] = value
                        event = get()
                        nodes += 1
                continue
            elif kind is AliasEvent:
                value = self._alias(event)
                mark = event.start_mark
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                assert top is not None
                frame = stack.pop()
                value = frame.value
                mark = frame.start_mark
                if frame.merges:
                    self._merge(frame)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, nodes + self._expansion
                                             - frame.nodes_at_start)
                top = stack[-1] if stack else None
            else:
                raise self._refuse(getattr(event, "start_mark", None), "syntax",
                                   "unexpected end of the YAML document", "YAML 文档意外结束")
            if top is None:
                return value
            container = top.value
            if top.is_map:
                key = top.key
                if key is _NO_KEY:
                    if kind is not ScalarEvent:
                        raise self._refuse(mark, "syntax", "a mapping key must be a plain value",
                                           "映射的键必须是简单值")
                    top.key = value if type(value) is str else str(value)
                    top.key_mark = mark
                    if value == "<<" and event.implicit[0]:
                        top.merge_key = True
                else:
                    top.key = _NO_KEY
                    if top.merge_key:
                        top.merge_key = False
                        top.merges.append((value, self._pos(top.key_mark)))
                    elif key in container:
                        raise self._refuse(top.key_mark, "duplicate_key",
                                           f"duplicate key {key!r}", f"重复的键 {key!r}")
                    else:
                        container[key] = value
                        if top.positioned:
                            container.key_pos[key] = self._pos(top.key_mark)
            else:
                container.append(value)
                if top.positioned:
                    container.item_pos.append(self._pos(mark))
                top.index += 1
            event = get()
            if top.collection is not None:
                event = self._skip_unwanted(top, event)

    def _merge(self, frame: _Frame) -> None:
        """``<<: *base``: keys of the merged mappings that the mapping does not set."""
        merged: dict[str, tuple[Any, Pos]] = {}
        for value, pos in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    line, col = pos
                    raise _Refused(Problem(file=self._name, line=line, column=col,
                                           message="'<<' merges mappings only",
                                           message_zh="'<<' 只能合并映射", code="syntax"))
                for key, item in source.items():
                    merged.setdefault(key, (item, pos))
        container = frame.value
        for key, (item, pos) in merged.items():
            if key not in container:
                container[key] = item
                if frame.positioned:
                    container.key_pos[key] = pos

    def _alias(self, event: Any) -> Any:
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise self._refuse(event.start_mark, "too_many_aliases",
                               f"more than {MAX_ALIASES} YAML aliases: refused "
                               "(possible alias bomb)",
                               f"YAML 别名超过 {MAX_ALIASES} 个，拒绝读取（可能是别名炸弹）")
        if event.anchor not in self._anchors:
            raise self._refuse(event.start_mark, "syntax",
                               f"alias *{event.anchor} names no anchor defined before it",
                               f"别名 *{event.anchor} 没有在前面定义的锚点")
        value, size = self._anchors[event.anchor]
        self._expansion += size
        if self._expansion > MAX_ALIAS_EXPANSION:
            raise self._refuse(event.start_mark, "alias_expansion",
                               f"aliases would expand the document by more than "
                               f"{MAX_ALIAS_EXPANSION} nodes: refused (alias bomb)",
                               f"别名展开后超过 {MAX_ALIAS_EXPANSION} 个节点，拒绝读取（别名炸弹）")
        return value

    # -------------------------------------------------------------- locating
    def _skip_unwanted(self, top: _Frame, event: Any) -> Any:
        """In a top-level collection, consume the records that are not wanted, unbuilt."""
        wanted = self._wanted.get(top.collection or "", ()) if self._wanted else ()
        get = self._parser.get_event
        while type(event) is not SequenceEndEvent and top.index not in wanted:
            level = 0
            while True:
                kind = type(event)
                if kind is MappingStartEvent or kind is SequenceStartEvent:
                    level += 1
                elif kind is MappingEndEvent or kind is SequenceEndEvent:
                    level -= 1
                elif event is None:
                    return event
                if level == 0:
                    break
                event = get()
            top.value.append(None)
            if top.positioned:
                top.value.item_pos.append((0, 0))
            top.index += 1
            event = get()
        return event


# ----------------------------------------------------------------------------- locating
@dataclass
class Located:
    """Where things are in one document: its top-level keys and the records asked for."""

    top: PosDict
    records: dict[tuple[str, int], PosDict]

    def record(self, collection: str, index: int) -> PosDict | None:
        return self.records.get((collection, index))


def locate(text: str, name: str, wanted: Mapping[str, Collection[int]], *,
           json_text: bool = False) -> Located:
    """Positions of the top-level keys and of the ``wanted`` records (``{collection:
    record indexes}``; the commission is index 0 of ``commission``) of one document.

    Paid only when something is wrong: JSON is walked record by record with the C
    decoder and only wanted records are read again for their keys' positions; YAML is
    read once more, skipping every record that is not wanted.
    """
    if json_text:
        located = _locate_json(text, name, wanted)
        if located is not None:
            return located
    try:
        data = _Builder(text, name, positions=False, wanted=wanted).document()
    except (_Refused, UnicodeError):
        return Located(_pos_dict((1, 1)), {})
    top = data if isinstance(data, PosDict) else _pos_dict((1, 1))
    records: dict[tuple[str, int], PosDict] = {}
    for collection, indexes in wanted.items():
        value = top.get(collection)
        if isinstance(value, PosDict) and 0 in indexes:
            records[(collection, 0)] = value
        elif isinstance(value, list):
            for i in indexes:
                if i < len(value) and isinstance(value[i], PosDict):
                    records[(collection, i)] = value[i]
    return Located(top, records)


_WS = re.compile(r"[ \t\n\r]*")


class _Lines:
    """Offset -> (line, column), for offsets visited in increasing order."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def at(self, offset: int) -> Pos:
        text = self._text
        if offset < self._offset:
            self._offset, self._line, self._line_start = 0, 1, 0
        self._line += text.count("\n", self._offset, offset)
        newline = text.rfind("\n", self._offset, offset)
        if newline >= 0:
            self._line_start = newline + 1
        self._offset = offset
        return (self._line, offset - self._line_start + 1)


def _locate_json(text: str, name: str, wanted: Mapping[str, Collection[int]]) -> Located | None:
    decoder = json.JSONDecoder()
    scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
    lines = _Lines(text)

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    def record_at(start: int, end: int) -> PosDict | None:
        base = lines.at(start)
        try:
            value = _Builder(text[start:end], name, positions=True,
                             offset=(base[0] - 1, base[1] - 1)).document()
        except _Refused:
            value = None
        if isinstance(value, PosDict):
            return value
        fallback = _pos_dict(base)
        return fallback

    try:
        top = _pos_dict((1, 1))
        records: dict[tuple[str, int], PosDict] = {}
        i = skip(0)
        if text[i:i + 1] != "{":
            return None
        top.pos = lines.at(i)
        i = skip(i + 1)
        while text[i:i + 1] == '"':
            key_pos = lines.at(i)
            key, i = scanstring(text, i + 1)
            i = skip(i)
            if text[i:i + 1] != ":":
                return None
            i = skip(i + 1)
            top.key_pos[key] = key_pos
            indexes = wanted.get(key, ())
            if indexes and text[i:i + 1] == "[":
                j = skip(i + 1)
                index = 0
                while text[j:j + 1] not in ("]", ""):
                    _, end = decoder.raw_decode(text, j)
                    if index in indexes:
                        records[(key, index)] = record_at(j, end) or _pos_dict(lines.at(j))
                    index += 1
                    j = skip(end)
                    if text[j:j + 1] == ",":
                        j = skip(j + 1)
                i = j + 1
            elif indexes and text[i:i + 1] == "{":
                _, end = decoder.raw_decode(text, i)
                records[(key, 0)] = record_at(i, end) or _pos_dict(lines.at(i))
                i = end
            else:
                _, i = decoder.raw_decode(text, i)
            i = skip(i)
            if text[i:i + 1] == ",":
                i = skip(i + 1)
        return Located(top, records)
    except (ValueError, IndexError, RecursionError):
        return None
