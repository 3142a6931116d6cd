"""Load fact files into a validated :class:`~.model.FactSet`: all problems, or all facts.

``load_facts(paths)`` reads each document fast (:mod:`..yaml_source`: plain data, no
positions), validates each collection in bulk (:mod:`.validate`), concatenates
collections across documents, then checks the fact set as a whole (:mod:`.integrity`).
Nothing is paid for line and column numbers unless something is wrong: then each
document with a problem is read once more to place just the records concerned, and the
whole fact set is rejected with a :class:`~fuling_compliance.errors.FactsError` listing
every problem with file, line, column, collection, record and field.

Unknown fields are kept and ignored, with one warning per file, collection and field
(how many records carry it, and where it first appears); a record whose fields
contradict each other is kept with a warning naming it (:data:`.model.CONTRADICTIONS`).

The fields in force (:class:`~.fields.Fields`: the built-in ones plus those declared in
YAML) come from the rule set (``rules=``, its ``fields``) or are given (``fields=``);
without either, the bundled rules' declarations apply (:func:`~.fields.default_fields`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FactsError, Problem
from ..timing import phase
from ..yaml_source import (
    Located,
    PosDict,
    PosList,
    is_json,
    locate,
    lone_surrogate,
    parse_text,
    read_text,
)
from . import integrity
from .fields import Fields, default_fields
from .model import (
    COLLECTIONS,
    CONTRADICTIONS_OF,
    FORMAT,
    FactSet,
    derive_ids,
)
from .validate import FieldError, parse_datetime

_TOP_KEYS = {"format", "as_of", *COLLECTIONS}

Read = Callable[[], tuple[Any, list[Problem]]]


@dataclass
class Source:
    """One fact document: its name (the ``file`` of problems) and how to read it.

    ``text`` gives the document's text again (and whether it is JSON) to place
    problems; without it the data read must carry its positions (``PosDict``), as
    spreadsheet sheets do.
    """

    name: str
    read: Read
    text: Callable[[], tuple[str | None, bool]] | None = None


def file_source(path: Path, max_bytes: int | None = None) -> Source:
    """A YAML or JSON file."""
    def read() -> tuple[Any, list[Problem]]:
        text, problems = read_text(path, max_bytes=max_bytes)
        if text is None:
            return None, problems
        return parse_text(text, str(path), positions=False, json_text=is_json(path))

    def text() -> tuple[str | None, bool]:
        return read_text(path, max_bytes=max_bytes)[0], is_json(path)

    return Source(str(path), read, text)


def fields_in_force(fields: Fields | None = None, rules: Any = None) -> Fields:
    """The fields given, else those of the rule set given (anything with ``.fields``,
    e.g. a ``RuleSet``), else the bundled rules' (:func:`~.fields.default_fields`)."""
    if fields is not None:
        return fields
    if rules is not None:
        found = getattr(rules, "fields", None)
        if not isinstance(found, Fields):
            raise TypeError("rules= must be a rule set (with .fields), e.g. load_rules()")
        return found
    return default_fields()


def load_facts(
    paths: Sequence[str | Path] | str | Path,
    *,
    max_bytes: int | None = None,
    rules: Any = None,
    fields: Fields | None = None,
) -> FactSet:
    """Load one or more fact files (YAML, JSON, ``.xlsx`` workbooks, CSV folders).

    ``rules``: the rule set whose fields (built-in and declared in YAML) the facts are
    validated against, or ``fields`` directly; default: the bundled rules' fields.
    Raises :class:`FactsError` listing every problem if any file or record is invalid.
    Unknown fields are kept, ignored and listed in ``FactSet.warnings``.
    """
    from . import tabular

    in_force = fields_in_force(fields, rules)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sources: list[Source] = []
    for p in map(Path, paths):
        if tabular.is_tabular(p):
            sources.extend(Source(name, read) for name, read in tabular.sources(p, in_force))
        else:
            sources.append(file_source(p, max_bytes))
    return load_sources(sources, in_force)


def load_facts_data(*documents: Mapping[str, Any], name: str = "<data>", rules: Any = None,
                    fields: Fields | None = None) -> FactSet:
    """Validate fact documents given as Python data (as other systems hold them).

    Each document goes through exactly the checks a file does; problems name
    ``<data>#N`` (``<data>`` for one document) and the line and column in the
    document's JSON form (``json.dumps(doc, indent=1)``). Values must be JSON data
    (mappings, lists, text, numbers, booleans, null) or dates, times and datetimes.
    ``rules`` / ``fields``: as for :func:`load_facts`.
    """
    sources = []
    for i, doc in enumerate(documents):
        label = f"{name}#{i + 1}" if len(documents) > 1 else name
        sources.append(_data_source(label, doc))
    return load_sources(sources, fields_in_force(fields, rules))


def _data_source(label: str, doc: Any) -> Source:
    def read() -> tuple[Any, list[Problem]]:
        problems = list(_not_json_data(label, doc))
        return (None, problems) if problems else (_plain(doc), [])

    def text() -> tuple[str | None, bool]:
        return json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default), True

    return Source(label, read, text)


def _plain(value: Any) -> Any:
    """A copy of the document's containers (the loader consumes what it reads)."""
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return repr(value)


_JSON_SCALARS = (str, int, float, bool, type(None), dt.date, dt.time)
#: Python refuses to print an integer of more than 4300 digits (about 14,284 bits)
_MAX_INT_BITS = 14_000


def _not_json_data(label: str, doc: Any) -> Iterable[Problem]:
    """Values that are not JSON data (a set, bytes, a Decimal, an object, ...)."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str) or lone_surrogate(key) is not None:
                    yield Problem(file=label, field=path or None,
                                  message=f"key {key!r} is not text",
                                  message_zh=f"键 {key!r} 不是文本", code="type")
                    continue
                stack.append((item, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, str):
            if lone_surrogate(value) is not None:
                yield Problem(file=label, field=path or None, code="encoding",
                              message="text with a lone UTF-16 surrogate is not Unicode text",
                              message_zh="文本含有不成对的 UTF-16 代理项，不是有效的 Unicode 文本")
        elif isinstance(value, float) and not math.isfinite(value):
            yield Problem(file=label, field=path or None, code="type",
                          message=f"{value} is not JSON data (a finite number)",
                          message_zh=f"{value} 不是 JSON 数据（须为有限数值）")
        elif isinstance(value, int) and not isinstance(value, bool) and \
                value.bit_length() > _MAX_INT_BITS:
            yield Problem(file=label, field=path or None, code="value",
                          message="an integer of more than 4300 digits",
                          message_zh="整数超过 4300 位")
        elif isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None \
                and not _sane_offset(value):
            yield Problem(file=label, field=path or None, code="type",
                          message=f"{type(value).__name__} with an unusable time zone "
                          f"{value.tzinfo!r:.60}",
                          message_zh=f"{type(value).__name__} 的时区不可用")
        elif not isinstance(value, _JSON_SCALARS):
            yield Problem(file=label, field=path or None,
                          message=f"{type(value).__name__} value {value!r:.60} is not JSON data",
                          message_zh=f"{type(value).__name__} 类型的值不是 JSON 数据",
                          code="type")


def _sane_offset(value: dt.datetime | dt.time) -> bool:
    """Whether a time zone object gives a usable offset (not one that raises)."""
    try:
        offset = value.utcoffset()
    except Exception:
        return False
    return offset is None or isinstance(offset, dt.timedelta)


# ----------------------------------------------------------------------------- loading
@dataclass
class _Segment:
    """Records of one collection taken from one source: where they sit in both."""

    source: int
    start: int  # index of the first one in the fact set's collection
    local: list[int] | None  # index in the source's collection of each (None: 0, 1, 2, ...)

    def local_index(self, offset: int) -> int:
        return self.local[offset] if self.local is not None else offset


@dataclass
class _Pending:
    """A problem or warning waiting for its place."""

    source: int
    collection: str | None
    local: int | None
    field: str | None
    problem: Problem


@dataclass
class _State:
    sources: list[Source]
    fields: Fields
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {c: [] for c in COLLECTIONS})
    segments: dict[str, list[_Segment]] = field(
        default_factory=lambda: {c: [] for c in COLLECTIONS})
    problems: list[Problem] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    warnings: list[_Pending] = field(default_factory=list)
    kept: dict[int, Any] = field(default_factory=dict)
    as_of: dt.datetime | None = None


def load_sources(sources: list[Source], fields: Fields | None = None) -> FactSet:
    """Load fact documents (see the module docstring)."""
    state = _State(sources, fields if fields is not None else default_fields())
    for number, source in enumerate(sources):
        with phase("parse"):
            data, problems = source.read()
        state.problems.extend(problems)
        if data is None:
            continue
        if source.text is None:
            state.kept[number] = data  # positions travel with the data
        with phase("validate"):
            _read_document(state, number, data)
    with phase("validate"):
        return _checked(state)


def _checked(state: _State) -> FactSet:
    """The fact set, once integrity holds (or every problem, placed)."""
    sources = state.sources
    ids = {c: derive_ids(c, state.rows[c]) for c in COLLECTIONS}
    for p in integrity.check(state.rows, ids):
        number, local = _origin(state, p.collection, p.index)
        label = ids[p.collection][p.index]
        message, message_zh = p.message, p.message_zh
        if p.other is not None:
            first_source, first_local = _origin(state, p.collection, p.other)
            where = sources[first_source].name
            if first_source == number:
                where = f"#{first_local + 1}"
            message += f" (first: {where})"
            message_zh += f"（首次出现：{where}）"
        state.pending.append(_Pending(number, p.collection, local, p.field, Problem(
            collection=p.collection, record=label, field=p.field, message=message,
            message_zh=message_zh, code=p.code)))
    if state.problems or state.pending:
        placed = _place(state, state.pending)
        raise FactsError(f"fact set rejected: {len(state.problems) + len(placed)} problem(s)",
                         state.problems + placed)
    warnings: list[str | Problem] = list(sorted(_place(state, state.warnings)))
    for collection in CONTRADICTIONS_OF:
        found = _contradictions(collection, state.rows[collection], ids[collection])
        found.sort(key=lambda p: p.where)
        warnings += found
    return FactSet(state.rows, as_of=state.as_of, ids=ids, fields=state.fields,
                   warnings=warnings)


def _contradictions(collection: str, rows: list[dict[str, Any]], ids: list[str]
                    ) -> list[Problem]:
    """:func:`.model.contradiction_warnings` as problems, in both languages."""
    from .labels import field_label

    out = []
    for c in CONTRADICTIONS_OF.get(collection, ()):
        a, b = c.fields
        for row, rid in zip(rows, ids, strict=True):
            if c.holds(row):
                out.append(Problem(
                    collection=collection, record=rid, field=f"{a}, {b}", code="contradiction",
                    message=f"{a} and {b} contradict each other ({c.en}); both are read as "
                    "unknown", message_zh=f"{field_label(a)}与{field_label(b)}相互矛盾"
                    f"（{c.zh}），两者都按未知处理", warning=True))
    return out


def _origin(state: _State, collection: str, index: int) -> tuple[int, int]:
    """(source number, index in that source's collection) of a fact-set record."""
    segments = state.segments[collection]
    for segment in reversed(segments):
        if index >= segment.start:
            return segment.source, segment.local_index(index - segment.start)
    raise IndexError(index)  # pragma: no cover


def _top_problem(state: _State, number: int, key: str | None, en: str, zh: str,
                 code: str, *, warning: bool = False) -> None:
    target = state.warnings if warning else state.pending
    target.append(_Pending(number, key, None, None, Problem(
        collection=key if key in COLLECTIONS else None, field=None if key in COLLECTIONS
        else key, message=en, message_zh=zh, code=code, warning=warning)))


def _read_document(state: _State, number: int, data: Any) -> None:
    if not isinstance(data, dict):
        state.problems.append(Problem(file=state.sources[number].name, line=1, column=1,
                                      message="top level must be a mapping of collections",
                                      message_zh="顶层必须是集合的映射", code="type"))
        return
    for key in data:
        if key not in _TOP_KEYS:
            _top_problem(state, number, key, f"unknown collection {key!r} ignored",
                         f"未知集合 {key!r} 已忽略", "unknown_collection", warning=True)
    if "format" in data and data["format"] != FORMAT:
        _top_problem(state, number, "format", f"format must be {FORMAT!r}",
                     f"format 必须是 {FORMAT!r}", "format")
    if data.get("as_of") is not None:
        as_of, why = _parse_as_of(data["as_of"])
        if as_of is None:
            _top_problem(state, number, "as_of",
                         f"as_of must be a date and time YYYY-MM-DD HH:MM[:SS][±HH:MM]: {why}",
                         f"as_of 必须是日期时间 YYYY-MM-DD HH:MM[:SS][±HH:MM]：{why}", "type")
        elif state.as_of is not None and state.as_of != as_of:
            _top_problem(state, number, "as_of",
                         f"as_of {as_of.isoformat()} differs from {state.as_of.isoformat()} "
                         "given in another file", "与另一文件的 as_of 不一致", "conflict")
        else:
            state.as_of = as_of
    for collection in COLLECTIONS:
        raw = data.get(collection)
        if raw is None:
            continue
        if collection == "commission":
            if not isinstance(raw, dict):
                _top_problem(state, number, collection,
                             "commission must be one record (a mapping)",
                             "commission 必须是一条记录（映射）", "type")
                continue
            if state.rows["commission"]:
                _top_problem(state, number, collection,
                             "commission given in more than one file",
                             "commission 在多个文件中重复出现", "duplicate_id")
                continue
            raw = [raw]
        elif not isinstance(raw, list):
            _top_problem(state, number, collection, f"{collection} must be a list of records",
                         f"{collection} 必须是记录列表", "type")
            continue
        _read_collection(state, number, collection, raw)
        if state.sources[number].text is not None and isinstance(data, dict) \
                and not isinstance(data, PosDict):
            data[collection] = None  # the raw records are not needed any more


def _read_collection(state: _State, number: int, collection: str, raw: list[Any]) -> None:
    rows, errors = state.fields.validator(collection).validate(raw)
    local: list[int] | None = None
    if errors:
        bad = {e.index for e in errors}
        local = [i for i in range(len(raw)) if i not in bad]
        for error in errors:
            state.pending.append(_pending_error(number, collection, raw, error))
    start = len(state.rows[collection])
    state.segments[collection].append(_Segment(number, start, local))
    state.rows[collection].extend(rows)
    _unknown_fields(state, number, collection, rows, local)


def _label(collection: str, raw: list[Any], index: int) -> str:
    record = raw[index] if index < len(raw) else None
    if isinstance(record, dict):
        rid = record.get("id")
        if isinstance(rid, (str, int)) and not isinstance(rid, bool) and str(rid).strip():
            return str(rid).strip()
    return "commission" if collection == "commission" else f"#{index + 1}"


def _pending_error(number: int, collection: str, raw: list[Any],
                   error: FieldError) -> _Pending:
    return _Pending(number, collection, error.index, error.field, Problem(
        collection=collection, record=_label(collection, raw, error.index), field=error.field,
        message=error.message, message_zh=error.message_zh, code=error.code))


def _unknown_fields(state: _State, number: int, collection: str,
                    rows: list[dict[str, Any]], local: list[int] | None) -> None:
    """One warning per unknown field: how many records carry it, where it first is."""
    known = state.fields.specs(collection)
    keys: set[str] = set().union(*map(dict.keys, rows)) if rows else set()
    for key in sorted(keys - known.keys()):
        first, count = -1, 0
        for i, row in enumerate(rows):
            if key in row:
                count += 1
                if first < 0:
                    first = i
        where = local[first] if local is not None else first
        many = f" ({count} records)" if count > 1 else ""
        many_zh = f"（共 {count} 条记录）" if count > 1 else ""
        state.warnings.append(_Pending(number, collection, where, key, Problem(
            collection=collection, record=record_label(collection, rows[first]), field=key,
            message=f"unknown field {key!r} kept and ignored{many}",
            message_zh=f"未知字段 {key!r} 已保留并忽略{many_zh}", code="unknown_field",
            warning=True)))


def record_label(collection: str, row: Mapping[str, Any]) -> str:
    """How a problem names a valid record."""
    return derive_ids(collection, [row])[0]


def _parse_as_of(value: Any) -> tuple[dt.datetime | None, str]:
    """``as_of`` read exactly as a datetime field is (:func:`.validate.parse_datetime`);
    ``(None, why)`` when it is not one."""
    if isinstance(value, dt.datetime | str):
        try:
            return parse_datetime(value), ""
        except ValueError as exc:
            return None, str(exc)
    return None, f"got {type(value).__name__} {value!r:.40}"


# ----------------------------------------------------------------------------- placing
def _place(state: _State, pending: list[_Pending]) -> list[Problem]:
    """Give each pending problem its file, line and column."""
    by_source: dict[int, list[_Pending]] = {}
    for p in pending:
        by_source.setdefault(p.source, []).append(p)
    placed: list[Problem] = []
    for number, items in by_source.items():
        source = state.sources[number]
        located = _located(state, number, items)
        for p in items:
            line: int | None = None
            col: int | None = None
            if located is not None:
                line, col = _position(located, p)
            placed.append(_with_place(p.problem, source.name, line, col))
    return placed


def _located(state: _State, number: int, items: list[_Pending]) -> Located | None:
    wanted: dict[str, set[int]] = {}
    for p in items:
        if p.collection is not None and p.local is not None:
            wanted.setdefault(p.collection, set()).add(p.local)
    if number in state.kept:
        return _located_from_data(state.kept[number], wanted)
    source = state.sources[number]
    if source.text is None:
        return None
    text, json_text = source.text()
    if text is None:
        return None
    return locate(text, source.name, wanted, json_text=json_text)


def _located_from_data(data: Any, wanted: Mapping[str, set[int]]) -> Located | None:
    if not isinstance(data, PosDict):
        return None
    records: dict[tuple[str, int], PosDict] = {}
    for collection, indexes in wanted.items():
        value = data.get(collection)
        if isinstance(value, PosDict):
            records[(collection, 0)] = value
        elif isinstance(value, PosList):
            for i in indexes:
                if i < len(value) and isinstance(value[i], PosDict):
                    records[(collection, i)] = value[i]
    return Located(data, records)


def _position(located: Located, p: _Pending) -> tuple[int | None, int | None]:
    if p.collection is None or p.local is None:
        key = p.collection or p.problem.field
        if key and key in located.top.key_pos:
            return located.top.at(key)
        return (located.top.pos if located.top.key_pos else (None, None))
    record = located.record(p.collection, p.local)
    if record is None:
        if p.collection in located.top.key_pos:
            return located.top.at(p.collection)
        return None, None
    return record.at(p.field) if p.field else record.pos


def _with_place(problem: Problem, file: str, line: int | None, col: int | None) -> Problem:
    return Problem(file=file, line=line, column=col, collection=problem.collection,
                   record=problem.record, field=problem.field, message=problem.message,
                   message_zh=problem.message_zh, code=problem.code, warning=problem.warning)
