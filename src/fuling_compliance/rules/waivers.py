"""Waivers: the exemptions the Commission grants, written by policy staff beside the rules.

A waiver file (``fuling-compliance/waivers/v1``)::

    format: fuling-compliance/waivers/v1
    waivers:
      - id: WV-2026-003
        rule: OUT-02                 # one rule id, or a list
        subjects: [pw-longtan]       # and/or supplier_id: fl-power (all its subjects)
        items: [service_phone]       # optional, for rules judged item by item
        reason: 龙潭镇自有营业厅在建，过渡期由代办点服务
        approved_by: 区经济信息委 张某
        approved_on: 2026-03-01
        expires_on: 2026-12-31       # required: a waiver always ends
        document: 涪经信发〔2026〕12号   # optional

A waiver covers a finding of one of its rules whose subject is one of ``subjects`` (when
given), whose supplier is ``supplier_id`` (when given) and whose item is one of
``items`` (when given); at least one of ``subjects`` and ``supplier_id`` is required (a
waiver of a rule for everyone is a change of the rule). It is in force from
``approved_on`` to ``expires_on``, both included, in Chongqing dates; what it does to a
report is :mod:`fuling_compliance.reports.waive`'s business.

:func:`load_waivers` reads the files like rule files: the shape by the pydantic models
here, then every rule id (with a "did you mean"), every item, the scope, the dates and
duplicate ids; every problem at once with file:line:column (:class:`WaiversError`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Problem, WaiversError
from ..yaml_source import PosDict, holds, position, read_document
from .load import RuleSet, load_rules
from .model import Rule
from .schema import suggest

WAIVERS_FORMAT = "fuling-compliance/waivers/v1"
#: the first line of a waiver file beside the examples: its schema for the YAML language server
WAIVERS_MODELINE = "# yaml-language-server: $schema=../schemas/waivers.schema.json"

State = Literal["in_force", "expired", "not_yet_in_force"]

_Text = Annotated[str, Field(min_length=1)]


class Waiver(BaseModel):
    """One exemption: which findings it covers, why, who approved it, until when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: _Text = Field(description="The waiver's own id, e.g. WV-2026-003 (unique).")
    rule: _Text | Annotated[list[_Text], Field(min_length=1)] = Field(
        description="The rule id it waives, or a list of rule ids.")
    subjects: Annotated[list[_Text], Field(min_length=1)] | None = Field(
        None, description="Subject ids as in findings (an area, an outlet day "
                          "gs-o01:2026-05-09, ...); default: every subject of supplier_id.")
    supplier_id: _Text | None = Field(
        None, description="Only findings of this supplier (all its subjects of the rules "
                          "when subjects is not given).")
    items: Annotated[list[_Text], Field(min_length=1)] | None = Field(
        None, description="Only these items of a rule judged item by item.")
    reason: _Text = Field(description="Why it is granted (shown with every waived finding).")
    approved_by: _Text = Field(description="Who approved it.")
    approved_on: dt.date = Field(description="In force from this date (Chongqing).")
    expires_on: dt.date = Field(description="In force up to and including this date.")
    document: _Text | None = Field(None, description="The approving document, if any.")

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids it waives."""
        return (self.rule,) if isinstance(self.rule, str) else tuple(dict.fromkeys(self.rule))

    def state(self, day: dt.date) -> State:
        """Whether it is in force on ``day`` (a Chongqing date), expired or not yet."""
        if day > self.expires_on:
            return "expired"
        if day < self.approved_on:
            return "not_yet_in_force"
        return "in_force"


class WaiverFile(BaseModel):
    """A waiver file: ``format`` and the list of waivers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["fuling-compliance/waivers/v1"]
    waivers: list[Waiver] = Field(default_factory=list)


@dataclass(frozen=True)
class WaiverSet:
    """Validated waivers, sorted by id. Build it with :func:`load_waivers`."""

    waivers: tuple[Waiver, ...] = ()
    files: tuple[str, ...] = ()
    #: waiver id -> (file, line) where it starts
    origins: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Waiver]:
        return iter(self.waivers)

    def __len__(self) -> int:
        return len(self.waivers)

    def get(self, waiver_id: str) -> Waiver:
        for waiver in self.waivers:
            if waiver.id == waiver_id:
                return waiver
        raise KeyError(waiver_id)


def load_waivers(paths: Sequence[str | Path] | str | Path, rules: RuleSet | None = None, *,
                 max_bytes: int | None = None) -> WaiverSet:
    """Read and validate waiver files against ``rules`` (default: the bundled rules).

    Raises :class:`WaiversError` listing every problem of every file with its place.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    ruleset = rules if rules is not None else load_rules()
    checker = _Checker(ruleset)
    for path in paths:
        data, problems = read_document(path, max_bytes=max_bytes)
        checker.problems.extend(problems)
        if data is not None:
            checker.document(str(path), data)
    return checker.result([str(p) for p in paths])


def load_waivers_data(data: Mapping[str, Any], rules: RuleSet | None = None,
                      name: str = "<data>") -> WaiverSet:
    """Validate a waiver document given as Python data (``{"format": ..., "waivers":
    [...]}``); problems name the waiver and the key, without line numbers."""
    checker = _Checker(rules if rules is not None else load_rules())
    checker.document(name, data)
    return checker.result([name])


# ----------------------------------------------------------------------------- checks
class _Checker:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = {r.id: r for r in rules}
        self.problems: list[Problem] = []
        self.waivers: list[Waiver] = []
        self.origins: dict[str, tuple[str, int]] = {}
        self.seen: dict[str, str] = {}

    def result(self, files: list[str]) -> WaiverSet:
        if self.problems:
            raise WaiversError(f"waivers rejected: {len(self.problems)} problem(s)",
                               self.problems)
        return WaiverSet(tuple(sorted(self.waivers, key=lambda w: w.id)), tuple(files),
                         dict(self.origins))

    def problem(self, file: str, data: Any, path: tuple[Any, ...], en: str, zh: str,
                code: str) -> None:
        line, column = position(data, path) if isinstance(data, PosDict) else (None, None)
        record: str | None = None
        rest = path
        if len(path) >= 2 and path[0] == "waivers" and isinstance(path[1], int):
            raw = data.get("waivers") if isinstance(data, Mapping) else None
            item = raw[path[1]] if isinstance(raw, list) and path[1] < len(raw) else None
            wid = item.get("id") if isinstance(item, Mapping) else None
            record = wid if isinstance(wid, str) and wid else f"#{path[1] + 1}"
            rest = path[2:]
        self.problems.append(Problem(
            file=file, line=line, column=column,
            collection="waivers" if record is not None else None, record=record,
            field=".".join(str(p) for p in rest) or None, message=en, message_zh=zh,
            code=code))

    def document(self, file: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            self.problem(file, data, (), "not a waiver file: the top level must be a mapping "
                         f"with format: {WAIVERS_FORMAT}",
                         f"不是豁免文件：顶层必须是映射，并写明 format: {WAIVERS_FORMAT}",
                         "not_mapping")
            return
        fmt = data.get("format")
        if isinstance(fmt, str) and fmt != WAIVERS_FORMAT:  # another kind of file: say so once
            self.problem(file, data, ("format",),
                         f"not a waiver file: format is {fmt!r}, expected {WAIVERS_FORMAT}",
                         f"不是豁免文件：format 为 {fmt!r}，应为 {WAIVERS_FORMAT}", "format")
            return
        try:
            parsed = WaiverFile.model_validate(data)
        except ValidationError as exc:
            self.shape(file, data, exc.errors())
            # the waivers whose own shape is right are still checked, and the rules and
            # items of the others, so that one run says everything
            raw = data.get("waivers")
            broken = {e["loc"][1] for e in exc.errors()
                      if len(e["loc"]) > 1 and e["loc"][0] == "waivers"}
            valid: list[tuple[int, Waiver]] = []
            for index, item in enumerate(raw if isinstance(raw, list) else []):
                if index in broken:
                    if isinstance(item, Mapping):
                        self.references(file, data, ("waivers", index), item.get("rule"),
                                        item.get("items"))
                        wid = item.get("id")
                        if isinstance(wid, str) and wid not in self.seen:
                            line = position(data, ("waivers", index))[0] \
                                if isinstance(data, PosDict) else 0
                            self.seen[wid] = f"{file}:{line}" if line else file
                    continue
                try:
                    valid.append((index, Waiver.model_validate(item)))
                except ValidationError:  # pragma: no cover - reported above
                    continue
        else:
            valid = list(enumerate(parsed.waivers))
        for index, waiver in valid:
            self.check(file, data, index, waiver)

    def shape(self, file: str, data: Any, errors: Sequence[Any]) -> None:
        """One problem per place: a union (``rule``: text or list) fails once, not twice."""
        by_place: dict[tuple[Any, ...], list[Any]] = {}
        for err in errors:
            by_place.setdefault(_doc_path(data, err), []).append(err)
        for path, errs in by_place.items():
            err = errs[0]
            key = str(path[-1]) if path else ""
            kind = err["type"]
            value = err.get("input")
            if kind == "extra_forbidden":
                known = list(Waiver.model_fields) if len(path) == 3 else \
                    list(WaiverFile.model_fields)
                guess = suggest(key, known)
                self.problem(file, data, path,
                             f"unknown key {key!r}" + (f" (did you mean {guess!r}?)" if guess
                                                       else ""),
                             f"未知的键 {key!r}" + (f"（是否应为 {guess!r}？）" if guess else ""),
                             "unknown_key")
            elif kind == "missing":
                self.problem(file, data, path, f"missing required key {key!r}",
                             f"缺少必填的键 {key!r}", "missing")
            elif kind == "literal_error" and path == ("format",):
                self.problem(file, data, path,
                             f"not a waiver file: format is {value!r}, expected "
                             f"{WAIVERS_FORMAT}",
                             f"不是豁免文件：format 为 {value!r}，应为 {WAIVERS_FORMAT}",
                             "format")
            elif len(errs) > 1 and key == "rule":
                self.problem(file, data, path, "expected a rule id or a list of rule ids",
                             "应为规则编号或规则编号列表", "type")
            elif kind == "string_type" and isinstance(value, (int, float)) and \
                    not isinstance(value, bool):
                self.problem(file, data, path,
                             f"expected text, got the number {value!r}: write it in quotes",
                             f"应为文本，实际是数字 {value!r}：请加引号", "type")
            else:
                self.problem(file, data, path, str(err.get("msg", "invalid")),
                             _ZH.get(kind, f"取值无效：{err.get('msg', '')}"), kind)

    def check(self, file: str, data: Any, index: int, waiver: Waiver) -> None:
        base: tuple[Any, ...] = ("waivers", index)
        line = position(data, base)[0] if isinstance(data, PosDict) else 0
        here = f"{file}:{line}" if isinstance(data, PosDict) else file
        if waiver.id in self.seen:
            self.problem(file, data, (*base, "id"),
                         f"duplicate waiver id {waiver.id} (also at {self.seen[waiver.id]})",
                         f"豁免编号 {waiver.id} 重复（另见 {self.seen[waiver.id]}）", "duplicate")
            return
        self.seen[waiver.id] = here
        ok = self.references(file, data, base, waiver.rule, waiver.items)
        if waiver.subjects is None and waiver.supplier_id is None:
            ok = False
            self.problem(file, data, base,
                         "name the subjects or the supplier_id the waiver covers (waiving a "
                         "rule for everyone is a change of the rule)",
                         "须写明豁免的对象（subjects）或企业（supplier_id）；对所有企业豁免"
                         "一条规则应修改规则本身", "scope")
        if waiver.expires_on < waiver.approved_on:
            ok = False
            self.problem(file, data, (*base, "expires_on"),
                         f"expires_on {waiver.expires_on} is before approved_on "
                         f"{waiver.approved_on}",
                         f"到期日期 {waiver.expires_on} 早于批准日期 {waiver.approved_on}",
                         "dates")
        if ok:
            self.waivers.append(waiver)
            self.origins[waiver.id] = (file, line)

    def references(self, file: str, data: Any, base: tuple[Any, ...], rule: Any,
                   items: Any) -> bool:
        """The rule ids exist, and the items are items of those rules."""
        ok = True
        ids = [rule] if isinstance(rule, str) else rule if isinstance(rule, list) else []
        for n, rule_id in enumerate(ids):
            at = (*base, "rule") if isinstance(rule, str) else (*base, "rule", n)
            if isinstance(rule_id, str) and rule_id not in self.rules:
                ok = False
                guess = suggest(rule_id, sorted(self.rules))
                self.problem(file, data, at,
                             f"unknown rule {rule_id!r}" + (f" (did you mean {guess!r}?)"
                                                            if guess else ""),
                             f"未知的规则编号 {rule_id!r}" + (f"（是否应为 {guess!r}？）"
                                                            if guess else ""),
                             "unknown_rule")
        if isinstance(items, list):
            known = [self.rules[r] for r in ids if isinstance(r, str) and r in self.rules]
            ok = self.check_items(file, data, base, known, items) and ok
        return ok

    def check_items(self, file: str, data: Any, base: tuple[Any, ...], rules: list[Rule],
                    items: list[Any]) -> bool:
        ok = True
        for rule in rules:
            if not rule.items:
                ok = False
                self.problem(file, data, (*base, "items"),
                             f"{rule.id} is not judged item by item: it has no items",
                             f"规则 {rule.id} 不按检查项判断，没有 items", "items")
        known = sorted({i for rule in rules for i in rule.items or []})
        for n, item in enumerate(items):
            if known and isinstance(item, str) and item not in known:
                ok = False
                guess = suggest(item, known)
                self.problem(file, data, (*base, "items", n),
                             f"{item!r} is not an item of {', '.join(r.id for r in rules)}"
                             + (f" (did you mean {guess!r}?)" if guess else ""),
                             f"{item!r} 不是规则 {'、'.join(r.id for r in rules)} 的检查项"
                             + (f"（是否应为 {guess!r}？）" if guess else ""), "items")
        return ok


def _doc_path(data: Any, err: Any) -> tuple[Any, ...]:
    """The place of a pydantic error in the document: its keys and indexes, without the
    union branch names pydantic adds (``str``, ``list[...]``)."""
    node: Any = data
    path: list[Any] = []
    loc = tuple(err["loc"])
    for i, part in enumerate(loc):
        if holds(node, part):
            node = node[part]
            path.append(part)
        elif i == len(loc) - 1 and err["type"] in ("missing", "extra_forbidden"):
            path.append(part)
    return tuple(path)


_ZH = {
    "string_too_short": "不能为空",
    "too_short": "不能为空",
    "string_type": "应为文本",
    "list_type": "应为列表，例如 [a, b]",
    "dict_type": "应为映射",
    "model_type": "应为映射",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期 YYYY-MM-DD（不含时刻）",
}
