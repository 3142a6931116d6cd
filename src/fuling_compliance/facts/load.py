"""Load fact files and check their integrity: all problems at once, or a whole fact set.

``load_facts(paths)`` reads each file (:mod:`.yaml_source`), validates each record with
its pydantic model, concatenates collections across files, then checks the fact set as
a whole: duplicate ids, dangling references and impossible values. Any problem rejects
the whole fact set with a :class:`~fuling_compliance.errors.FactsError` listing every
problem with file, line, column, collection, record and field.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..calendar import CHONGQING
from ..errors import FactsError, Problem
from ..yaml_source import PosDict, PosList, parse_text, read_document
from . import tabular
from .model import (
    COLLECTIONS,
    FORMAT,
    REFERENCES,
    FactSet,
    Record,
)

_TOP_KEYS = {"format", "as_of", *COLLECTIONS}


@dataclass
class _Located:
    record: Record
    file: str
    pos: tuple[int, int]
    key_pos: dict[str, tuple[int, int]]

    def at(self, field: str | None) -> tuple[int, int]:
        return self.key_pos.get(field, self.pos) if field else self.pos

    def problem(self, collection: str, field: str, en: str, zh: str, code: str) -> Problem:
        """A problem at ``field`` of this record."""
        line, col = self.at(field)
        return Problem(file=self.file, line=line, column=col, collection=collection,
                       record=self.record.record_id(), field=field, message=en,
                       message_zh=zh, code=code)


def load_facts_data(*documents: Mapping[str, Any], name: str = "<data>") -> FactSet:
    """Validate fact documents given as Python data (as other systems hold them).

    Each document goes through exactly the checks a file does; problems name
    ``<data>#N`` and the line and column in the document's JSON form.
    """
    texts = [
        (f"{name}#{i + 1}" if len(documents) > 1 else name,
         json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default))
        for i, doc in enumerate(documents)
    ]
    return _load([(label, functools.partial(parse_text, text, label)) for label, text in texts])


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"not serialisable: {value!r}")


def load_facts(
    paths: Sequence[str | Path] | str | Path,
    *,
    max_bytes: int | None = None,
) -> FactSet:
    """Load one or more fact files into a validated :class:`FactSet`.

    Raises :class:`FactsError` listing every problem if any file or record is invalid.
    Unknown fields are kept, ignored and listed in ``FactSet.warnings``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sources: list[tabular.Source] = []
    for p in map(Path, paths):
        if tabular.is_tabular(p):
            sources.extend(tabular.sources(p))
        else:
            sources.append((str(p), functools.partial(read_document, p, max_bytes=max_bytes)))
    return _load(sources)


def _load(sources: list[tuple[str, Callable[[], tuple[Any, list[Problem]]]]]) -> FactSet:
    problems: list[Problem] = []
    warnings: list[Problem] = []
    located: dict[str, list[_Located]] = {c: [] for c in COLLECTIONS}
    as_of: dt.datetime | None = None
    for path, read in sources:
        data, read_problems = read()
        problems.extend(read_problems)
        if data is None:
            continue
        file_as_of = _read_document(str(path), data, located, problems, warnings)
        if file_as_of is not None:
            if as_of is not None and as_of != file_as_of:
                line, col = data.at("as_of")
                problems.append(
                    Problem(file=str(path), line=line, column=col, field="as_of",
                            message=f"as_of {file_as_of.isoformat()} differs from "
                            f"{as_of.isoformat()} given in another file",
                            message_zh="与另一文件的 as_of 不一致", code="conflict")
                )
            as_of = file_as_of
    problems.extend(_integrity(located))
    if problems:
        raise FactsError(f"fact set rejected: {len(problems)} problem(s)", problems)
    values: dict[str, Any] = {c: tuple(x.record for x in located[c]) for c in COLLECTIONS}
    values["commission"] = values["commission"][0] if values["commission"] else None
    return FactSet(
        as_of=as_of,
        warnings=tuple(w.render("en") for w in sorted(warnings)),
        **values,
    )


def _read_document(
    file: str,
    data: Any,
    located: dict[str, list[_Located]],
    problems: list[Problem],
    warnings: list[Problem],
) -> dt.datetime | None:
    if not isinstance(data, PosDict):
        problems.append(Problem(file=file, line=1, column=1,
                                message="top level must be a mapping of collections",
                                message_zh="顶层必须是集合的映射", code="type"))
        return None
    for key in data:
        if key not in _TOP_KEYS:
            line, col = data.at(key)
            warnings.append(Problem(file=file, line=line, column=col, collection=key,
                                    message=f"unknown collection {key!r} ignored",
                                    message_zh=f"未知集合 {key!r} 已忽略", warning=True,
                                    code="unknown_collection"))
    if "format" in data and data["format"] != FORMAT:
        line, col = data.at("format")
        problems.append(Problem(file=file, line=line, column=col, field="format",
                                message=f"format must be {FORMAT!r}",
                                message_zh=f"format 必须是 {FORMAT!r}", code="format"))
    as_of = None
    if data.get("as_of") is not None:
        as_of = _parse_as_of(data["as_of"])
        if as_of is None:
            line, col = data.at("as_of")
            problems.append(Problem(file=file, line=line, column=col, field="as_of",
                                    message="as_of must be an ISO 8601 datetime",
                                    message_zh="as_of 必须是 ISO 8601 日期时间", code="type"))
    for collection, model in COLLECTIONS.items():
        if collection not in data or data[collection] is None:
            continue
        raw = data[collection]
        if collection == "commission":
            if isinstance(raw, PosDict):
                raw_items: Iterable[tuple[int, Any, tuple[int, int]]] = [(0, raw, raw.pos)]
            else:
                line, col = data.at(collection)
                problems.append(Problem(file=file, line=line, column=col, collection=collection,
                                        message="commission must be one record (a mapping)",
                                        message_zh="commission 必须是一条记录（映射）",
                                        code="type"))
                continue
            if located["commission"]:
                problems.append(Problem(file=file, line=raw.pos[0], column=raw.pos[1],
                                        collection=collection,
                                        message="commission given in more than one file",
                                        message_zh="commission 在多个文件中重复出现",
                                        code="duplicate_id"))
                continue
        elif isinstance(raw, PosList):
            raw_items = [(i, item, raw.at(i)) for i, item in enumerate(raw)]
        else:
            line, col = data.at(collection)
            problems.append(Problem(file=file, line=line, column=col, collection=collection,
                                    message=f"{collection} must be a list of records",
                                    message_zh=f"{collection} 必须是记录列表", code="type"))
            continue
        for index, item, pos in raw_items:
            _read_record(file, collection, model, index, item, pos, located, problems, warnings)
    return as_of


def _parse_as_of(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=CHONGQING)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHONGQING)
    return None


def _read_record(
    file: str,
    collection: str,
    model: type[Record],
    index: int,
    item: Any,
    pos: tuple[int, int],
    located: dict[str, list[_Located]],
    problems: list[Problem],
    warnings: list[Problem],
) -> None:
    label = f"#{index + 1}"
    if not isinstance(item, PosDict):
        problems.append(Problem(file=file, line=pos[0], column=pos[1], collection=collection,
                                record=label, message="a record must be a mapping",
                                message_zh="记录必须是映射", code="type"))
        return
    if isinstance(item.get("id"), (str, int)) and str(item.get("id")).strip():
        label = str(item["id"])
    clean = {k: v for k, v in item.items()}
    if "id" in clean and isinstance(clean["id"], int) and not isinstance(clean["id"], bool):
        clean["id"] = str(clean["id"])
    try:
        record = model.model_validate(clean)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else None
            line, col = item.at(field) if field else item.pos
            problems.append(Problem(file=file, line=line, column=col, collection=collection,
                                    record=label, field=field,
                                    message=_pydantic_message(err),
                                    message_zh=_pydantic_message_zh(err), code=err["type"]))
        return
    for key in record.model_extra or {}:
        line, col = item.at(key)
        warnings.append(Problem(file=file, line=line, column=col, collection=collection,
                                record=label, field=key,
                                message=f"unknown field {key!r} kept and ignored",
                                message_zh=f"未知字段 {key!r} 已保留并忽略", warning=True,
                                code="unknown_field"))
    if collection == "disclosures" and getattr(record, "id", None) is None:
        # disclosures have no id in the spec: derive a stable one from file and position
        record = record.model_copy(
            update={"id": f"{getattr(record, 'supplier_id')}:{getattr(record, 'item')}"
                    f"@{Path(file).name}#{index + 1}"}
        )
    located[collection].append(_Located(record, file, item.pos, dict(item.key_pos)))


def _pydantic_message(err: Any) -> str:
    value = err.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{err['msg']}{shown}"


_ZH = {
    "missing": "缺少必填字段",
    "bool_parsing": "应为布尔值 true/false",
    "bool_type": "应为布尔值 true/false",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "greater_than_equal": "不能为负数",
    "literal_error": "不是允许的取值",
    "datetime_parsing": "应为 ISO 8601 日期时间",
    "datetime_from_date_parsing": "应为 ISO 8601 日期时间",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "time_parsing": "应为时间 HH:MM",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "list_type": "应为列表",
}


def _pydantic_message_zh(err: Any) -> str:
    base = _ZH.get(err["type"], "取值无效")
    value = err.get("input")
    return base if isinstance(value, dict) else f"{base}（实际为 {value!r}）"


def _integrity(located: dict[str, list[_Located]]) -> list[Problem]:
    """Duplicate ids, dangling references and impossible values."""
    problems: list[Problem] = []
    ids: dict[str, set[str]] = {}
    for collection, items in located.items():
        seen: dict[str, _Located] = {}
        for x in items:
            rid = x.record.record_id()
            if rid in seen:
                first = seen[rid]
                line, col = x.at("id")
                problems.append(Problem(
                    file=x.file, line=line, column=col, collection=collection, record=rid,
                    field="id",
                    message=f"duplicate id {rid!r} (first at {first.file}:{first.pos[0]})",
                    message_zh=f"重复的编号 {rid!r}（首次出现在 {first.file}:{first.pos[0]}）",
                    code="duplicate_id"))
            else:
                seen[rid] = x
        ids[collection] = set(seen)
    for (collection, field), target in REFERENCES.items():
        for x in located[collection]:
            value = getattr(x.record, field)
            if value is not None and value not in ids[target]:
                problems.append(x.problem(
                    collection, field, f"{field} {value!r} refers to no record in {target}",
                    f"{field} {value!r} 在 {target} 中不存在", "dangling_reference"))
    problems.extend(_same_supplier(located))
    problems.extend(_impossible(located))
    return problems


#: references that must stay inside one supplier (evaluation is partitioned by supplier)
_SAME_SUPPLIER = (("outlets", "area_id", "areas"), ("inquiries", "first_responder", "staff"))


def _same_supplier(located: dict[str, list[_Located]]) -> list[Problem]:
    problems: list[Problem] = []
    for collection, field, target in _SAME_SUPPLIER:
        owner = {x.record.record_id(): getattr(x.record, "supplier_id") for x in located[target]}
        for x in located[collection]:
            ref = getattr(x.record, field)
            mine = getattr(x.record, "supplier_id")
            if ref in owner and owner[ref] != mine:
                problems.append(x.problem(
                    collection, field,
                    f"{field} {ref!r} belongs to supplier {owner[ref]!r}, not {mine!r}",
                    f"{field} {ref!r} 属于企业 {owner[ref]!r}，不属于 {mine!r}",
                    "cross_supplier_reference"))
    return problems


def _impossible(located: dict[str, list[_Located]]) -> list[Problem]:
    problems: list[Problem] = []

    def bad(x: _Located, collection: str, field: str, en: str, zh: str) -> None:
        problems.append(x.problem(collection, field, en, zh, "impossible_value"))

    for x in located["surveys"]:
        r: Any = x.record
        if r.respondents is not None and r.satisfied is not None and r.satisfied > r.respondents:
            bad(x, "surveys", "satisfied", f"satisfied {r.satisfied} > respondents {r.respondents}",
                f"满意人数 {r.satisfied} 大于受访人数 {r.respondents}")
        if r.period_start and r.period_end and r.period_end < r.period_start:
            bad(x, "surveys", "period_end", "period_end before period_start",
                "调查结束日期早于开始日期")
    for x in located["applications"]:
        r = x.record
        if r.completed_at and r.submitted_at and r.completed_at < r.submitted_at:
            bad(x, "applications", "completed_at", "completed_at before submitted_at",
                "办结时间早于提交时间")
    for x in located["complaints"]:
        r = x.record
        for f in ("verified_at", "rectified_at", "replied_at", "reported_at"):
            v = getattr(r, f)
            if v is not None and r.received_at is not None and v < r.received_at:
                bad(x, "complaints", f, f"{f} before received_at", f"{f} 早于受理时间")
        if r.concerns == "internal" and r.supplier_id is None:
            bad(x, "complaints", "supplier_id", "an internal complaint needs a supplier_id",
                "涉及企业内部服务管理的投诉必须注明 supplier_id")
    for x in located["appointments"]:
        r = x.record
        if r.status == "completed" and r.arrived_at is None:
            continue  # unknown arrival: insufficient_data for VIS-02, not an integrity error
        if r.status == "cancelled" and r.arrived_at is not None:
            bad(x, "appointments", "arrived_at", "a cancelled visit cannot have an arrival",
                "已取消的上门服务不应有到达时间")
    for x in located["outlets"]:
        r = x.record
        if r.opens and r.closes and r.closes <= r.opens:
            bad(x, "outlets", "closes", "closes at or before it opens", "关门时间不晚于开门时间")
    return problems
