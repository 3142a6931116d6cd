"""Checks across records of a validated fact set: what makes it unreadable or impossible.

Duplicate ids, references to records that do not exist (or, where evaluation needs a
reference to stay inside one supplier, belong to another supplier), and impossible
values (more satisfied than respondents, an event before the one it follows). What
breaks a rule is a finding, not an integrity problem; two fields of a record that
contradict each other but could each be true (a cancelled visit with an arrival) are
read as unknown with a warning (:data:`.model.CONTRADICTIONS`), not rejected. An
internal complaint without a supplier is valid (CMP-02..05 do not apply to it).
Problems are returned unplaced — collection, record index and field — and the loader
gives them their file and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import REFERENCES

Rows = Mapping[str, Sequence[Mapping[str, Any]]]
Ids = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class RecordProblem:
    """A problem with one record (``index`` in its collection of the fact set)."""

    collection: str
    index: int
    field: str | None
    code: str
    message: str
    message_zh: str
    #: another record the message refers to (e.g. the first of two duplicates)
    other: int | None = None


#: references that must stay inside one supplier (evaluation partitions by supplier)
SAME_SUPPLIER = (("outlets", "area_id", "areas"), ("inquiries", "first_responder", "staff"))


def check(rows: Rows, ids: Ids) -> list[RecordProblem]:
    """Every integrity problem of the fact set."""
    problems = _duplicates(ids)
    problems += _references(rows, ids)
    problems += _same_supplier(rows, ids)
    problems += _impossible(rows)
    return problems


def _duplicates(ids: Ids) -> list[RecordProblem]:
    problems: list[RecordProblem] = []
    for collection, values in ids.items():
        if len(set(values)) == len(values):
            continue
        first: dict[str, int] = {}
        for index, rid in enumerate(values):
            if rid in first:
                problems.append(RecordProblem(
                    collection, index, "id", "duplicate_id", f"duplicate id {rid!r}",
                    f"重复的编号 {rid!r}", other=first[rid]))
            else:
                first[rid] = index
    return problems


def _references(rows: Rows, ids: Ids) -> list[RecordProblem]:
    problems: list[RecordProblem] = []
    known = {c: set(v) for c, v in ids.items()}
    for (collection, field), target in REFERENCES.items():
        targets = known.get(target, set())
        for index, row in enumerate(rows.get(collection, ())):
            value = row.get(field)
            if value is not None and value not in targets:
                problems.append(RecordProblem(
                    collection, index, field, "dangling_reference",
                    f"{field} {value!r} refers to no record in {target}",
                    f"{field} {value!r} 在 {target} 中不存在"))
    return problems


def _same_supplier(rows: Rows, ids: Ids) -> list[RecordProblem]:
    problems: list[RecordProblem] = []
    for collection, field, target in SAME_SUPPLIER:
        owner = {rid: row.get("supplier_id")
                 for rid, row in zip(ids.get(target, ()), rows.get(target, ()), strict=True)}
        for index, row in enumerate(rows.get(collection, ())):
            ref = row.get(field)
            mine = row.get("supplier_id")
            if ref in owner and owner[ref] != mine:
                problems.append(RecordProblem(
                    collection, index, field, "cross_supplier_reference",
                    f"{field} {ref!r} belongs to supplier {owner[ref]!r}, not {mine!r}",
                    f"{field} {ref!r} 属于企业 {owner[ref]!r}，不属于 {mine!r}"))
    return problems


def _impossible(rows: Rows) -> list[RecordProblem]:
    problems: list[RecordProblem] = []

    def bad(collection: str, index: int, field: str, en: str, zh: str) -> None:
        problems.append(RecordProblem(collection, index, field, "impossible_value", en, zh))

    for i, r in enumerate(rows.get("surveys", ())):
        n, k = r.get("respondents"), r.get("satisfied")
        if n is not None and k is not None and k > n:
            bad("surveys", i, "satisfied", f"satisfied {k} > respondents {n}",
                f"满意人数 {k} 大于受访人数 {n}")
        start, end = r.get("period_start"), r.get("period_end")
        if start and end and end < start:
            bad("surveys", i, "period_end", "period_end before period_start",
                "调查结束日期早于开始日期")
    for i, r in enumerate(rows.get("applications", ())):
        done, submitted = r.get("completed_at"), r.get("submitted_at")
        if done and submitted and done < submitted:
            bad("applications", i, "completed_at", "completed_at before submitted_at",
                "办结时间早于提交时间")
    for i, r in enumerate(rows.get("complaints", ())):
        received = r.get("received_at")
        for f in ("verified_at", "rectified_at", "replied_at", "reported_at"):
            v = r.get(f)
            if v is not None and received is not None and v < received:
                bad("complaints", i, f, f"{f} before received_at", f"{f} 早于受理时间")
    for i, r in enumerate(rows.get("outlets", ())):
        opens, closes = r.get("opens"), r.get("closes")
        if opens and closes and closes <= opens:
            bad("outlets", i, "closes", "closes at or before it opens", "关门时间不晚于开门时间")
    return problems
