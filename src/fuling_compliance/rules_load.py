"""Load rule files, validate them completely, and compile them.

``load_rules()`` reads the bundled ``rules/`` (or the files and folders given), checks
each file's shape with the pydantic models of :mod:`.rules_model`, then checks every
rule against the regulation and the facts model: clause ids, subject collections,
field paths (with "did you mean"), comparable types, parameters defined and used,
message placeholders, related records. Every problem is reported at once with
file:line:column; any problem rejects the whole rule set (:class:`RulesError`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .calendar import WorkingCalendar, load_calendar_files
from .compile import CompiledRule, CompileError, compile_rule
from .errors import Problem, RulesError
from .facts_model import COLLECTIONS, DERIVED_FIELDS
from .normalise import DURATIONS
from .regulation import regulation
from .rules_model import (
    Absent,
    All,
    Any_,
    Compare,
    Condition,
    Exists,
    FieldExpr,
    ItemRef,
    NoneOf,
    Not,
    ParamRef,
    Present,
    Rule,
    RuleFile,
    UnitField,
)
from .rules_schema import RESERVED_ALIASES, ResolveError, RuleContext, suggest
from .yaml_source import PosDict, PosList, read_document

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TEMPORAL = {"datetime", "date", "time"}
_NUMERIC = {"int", "number"}


@dataclass
class RuleSet:
    """Validated rules, ready to evaluate. Build it with :func:`load_rules`."""

    rules: tuple[Rule, ...]
    files: tuple[str, ...]
    version: str
    calendar: WorkingCalendar
    families: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def compiled(self) -> tuple[CompiledRule, ...]:
        """Each rule compiled to durable_rules definitions (compiled once, reused)."""
        return tuple(compile_rule(r, RuleContext(r)) for r in self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def select(self, ids: Sequence[str]) -> RuleSet:
        """A rule set with only the given rule ids."""
        wanted = set(ids)
        return RuleSet(tuple(r for r in self.rules if r.id in wanted), self.files, self.version,
                       self.calendar, self.families)


def bundled_rules_dir() -> Path:
    """The rules shipped with the package (or the repository's ``rules/`` when editable)."""
    packaged = Path(str(resources.files("fuling_compliance"))) / "_bundled" / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def rule_files(paths: Sequence[str | Path] | None) -> tuple[list[Path], list[Path]]:
    """(rule files, calendar files) found in the given files and folders."""
    targets = [Path(p) for p in paths] if paths else [bundled_rules_dir()]
    rules: list[Path] = []
    calendars: list[Path] = []
    for target in targets:
        if target.is_dir():
            rules.extend(sorted(p for p in target.glob("*.yaml") if not p.name.startswith("_")))
            calendars.extend(sorted((target / "calendar").glob("*.yaml")))
        else:
            rules.append(target)
    return rules, calendars


def load_rules(paths: Sequence[str | Path] | str | Path | None = None) -> RuleSet:
    """Load and validate rule files; with no argument, the bundled rules.

    Raises :class:`RulesError` listing every problem found in any file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files, calendar_files = rule_files(paths)
    problems: list[Problem] = []
    rules: list[Rule] = []
    families: dict[str, Any] = {}
    versions: set[str] = set()
    if not files:
        problems.append(Problem(file=str(paths), message="no rule files found",
                                message_zh="未找到规则文件", code="no_rules"))
    seen: dict[str, str] = {}
    for path in files:
        parsed = _load_file(path, problems)
        if parsed is None:
            continue
        rule_file, data = parsed
        families[rule_file.family] = rule_file.title
        versions.add(rule_file.version)
        for index, rule in enumerate(rule_file.rules):
            located = _Locator(str(path), data, ("rules", index))
            if rule.id in seen:
                line, col = located.at(("id",))
                problems.append(Problem(file=str(path), line=line, column=col, record=rule.id,
                                        field="id",
                                        message=f"duplicate rule id {rule.id} (also in {seen[rule.id]})",
                                        message_zh=f"规则编号 {rule.id} 重复（另见 {seen[rule.id]}）",
                                        code="duplicate_rule"))
                continue
            seen[rule.id] = str(path)
            rule_problems = check_rule(rule, located)
            problems.extend(rule_problems)
            if not rule_problems:
                rules.append(rule)
    calendar, cal_problems = load_calendar_files(calendar_files)
    problems.extend(cal_problems)
    if problems:
        raise RulesError(f"rules rejected: {len(problems)} problem(s)", problems)
    rules.sort(key=lambda r: r.id)
    return RuleSet(tuple(rules), tuple(str(f) for f in files),
                   "+".join(sorted(versions)) or "1", calendar, families)


def validate_rule_files(paths: Sequence[str | Path] | None = None) -> list[Problem]:
    """Every problem in the given rule files (empty when they are valid)."""
    try:
        load_rules(paths)
    except RulesError as exc:
        return exc.problems
    return []


# ----------------------------------------------------------------------------- files
def _load_file(path: Path, problems: list[Problem]) -> tuple[RuleFile, PosDict] | None:
    data, read_problems = read_document(path)
    problems.extend(read_problems)
    if data is None:
        return None
    if not isinstance(data, PosDict):
        problems.append(Problem(file=str(path), line=1, column=1,
                                message="a rule file must be a mapping",
                                message_zh="规则文件必须是映射", code="type"))
        return None
    try:
        return RuleFile.model_validate(data), data
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_pydantic_problem(str(path), data, err))
        return None


_KNOWN_KEYS: dict[str, list[str]] = {
    "file": list(RuleFile.model_fields),
    "rule": list(Rule.model_fields),
    "compare": ["field", "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "lacks",
                "compare"],
    "related": ["collection", "match", "where"],
    "parameter": ["value", "unit", "source", "note"],
    "field_expr": ["field", "plus", "minus", "unit", "times"],
}


def _pydantic_problem(file: str, data: PosDict, err: Any) -> Problem:
    loc = tuple(err["loc"])
    node, path, key = _walk(data, loc)
    line, col = node.at(key) if isinstance(node, PosDict) and key in node else (
        node.at(key) if isinstance(node, PosList) and isinstance(key, int) else
        getattr(node, "pos", (1, 1)))
    record = None
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = data.get("rules")
        if isinstance(rules, list) and path[1] < len(rules) and isinstance(rules[path[1]], dict):
            record = str(rules[path[1]].get("id", f"#{path[1] + 1}"))
    dotted = ".".join(str(p) for p in path)
    if err["type"] == "extra_forbidden":
        choices = _choices_for(path)
        guess = suggest(str(key), choices)
        hint_en = f" (did you mean {guess!r}?)" if guess else ""
        hint_zh = f"（是否应为 {guess!r}？）" if guess else ""
        if " " in str(key) and not guess:
            hint_en = (" (inside {...} a comma ends the value: put text with commas in quotes)")
            hint_zh = "（在 {...} 中逗号会结束取值：含逗号的文字请加引号）"
        return Problem(file=file, line=line, column=col, record=record, field=dotted,
                       message=f"unknown key {key!r}{hint_en}",
                       message_zh=f"未知的键 {key!r}{hint_zh}", code="unknown_key")
    return Problem(file=file, line=line, column=col, record=record, field=dotted,
                   message=err["msg"], message_zh=_zh_message(err), code=err["type"])


def _choices_for(path: tuple[Any, ...]) -> list[str]:
    parent = [p for p in path[:-1] if not isinstance(p, int)]
    if not parent:
        return _KNOWN_KEYS["file"]
    if parent == ["rules"]:
        return _KNOWN_KEYS["rule"]
    if "parameters" in parent[-2:-1]:
        return _KNOWN_KEYS["parameter"]
    if "related" in parent[-2:-1]:
        return _KNOWN_KEYS["related"]
    return _KNOWN_KEYS["compare"] + _KNOWN_KEYS["field_expr"] + list(
        ("all", "any", "not", "present", "absent", "exists", "none"))


def _zh_message(err: Any) -> str:
    table = {
        "missing": "缺少必填项",
        "literal_error": "不是允许的取值",
        "string_pattern_mismatch": "格式不符",
        "condition": "条件必须是含 all、any、not、present、absent、exists、none 或 field 之一的映射",
        "value_error": "取值无效",
        "too_short": "不能为空",
        "string_too_short": "不能为空",
    }
    return f"{table.get(err['type'], '取值无效')}：{err['msg']}"


def _walk(data: Any, loc: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...], Any]:
    """Follow a pydantic error location through the document, skipping union tags."""
    node: Any = data
    path: list[Any] = []
    last_container: Any = data
    last_key: Any = None
    for part in loc:
        key = "in" if part == "in_" else ("not" if part == "not_" else part)
        if isinstance(node, dict) and key in node:
            last_container, last_key = node, key
            node = node[key]
            path.append(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            last_container, last_key = node, key
            node = node[key]
            path.append(key)
        elif isinstance(node, dict) and isinstance(key, str) and key not in _TAGS:
            # a missing or extra key: point at the mapping that should hold it
            path.append(key)
            return node, tuple(path), key
    return last_container, tuple(path), last_key


_TAGS = {"all", "any", "not", "present", "absent", "exists", "none", "compare", "str", "int",
         "float", "bool", "list[...]", "ParamRef", "ItemRef", "FieldExpr", "date", "datetime"}


class _Locator:
    """Positions inside one rule of a parsed file."""

    def __init__(self, file: str, data: PosDict, base: tuple[Any, ...]) -> None:
        self.file = file
        self.data = data
        self.base = base

    def at(self, path: tuple[Any, ...]) -> tuple[int, int]:
        node: Any = self.data
        pos = getattr(node, "pos", (1, 1))
        for key in self.base + path:
            if isinstance(node, PosDict) and key in node:
                pos = node.at(key)
                node = node[key]
            elif isinstance(node, PosList) and isinstance(key, int) and key < len(node):
                pos = node.at(key)
                node = node[key]
            else:
                break
        return pos


# ----------------------------------------------------------------------------- checks
class _RuleChecker:
    def __init__(self, rule: Rule, where: _Locator) -> None:
        self.rule = rule
        self.where = where
        self.ctx = RuleContext(rule)
        self.problems: list[Problem] = []
        self.params_used: set[str] = set()
        self.uses_item = False

    def problem(self, path: tuple[Any, ...], en: str, zh: str, code: str) -> None:
        line, col = self.where.at(path)
        self.problems.append(Problem(file=self.where.file, line=line, column=col,
                                     record=self.rule.id,
                                     field=".".join(str(p) for p in path) or None,
                                     message=en, message_zh=zh, code=code))

    def resolve(self, path: tuple[Any, ...], name: str, ctx: RuleContext | None = None) -> Any:
        try:
            return (ctx or self.ctx).resolve(name)[1]
        except ResolveError as exc:
            hint = f"（是否应为 {exc.suggestion!r}？）" if exc.suggestion else ""
            self.problem(path, str(exc), f"字段 {name!r} 不存在{hint}", "unknown_field")
            return None

    def run(self) -> list[Problem]:
        rule = self.rule
        reg = regulation()
        if rule.clause not in reg.clauses:
            self.problem(("clause",), f"clause {rule.clause!r} does not exist in the regulation",
                         f"条款 {rule.clause!r} 在制度中不存在", "unknown_clause")
        if rule.subject not in COLLECTIONS:
            guess = suggest(rule.subject, list(COLLECTIONS))
            self.problem(("subject",), f"unknown collection {rule.subject!r}"
                         + (f" (did you mean {guess!r}?)" if guess else ""),
                         f"未知的集合 {rule.subject!r}", "unknown_collection")
            return self.problems
        for alias, rel in rule.related.items():
            base = ("related", alias)
            if alias in RESERVED_ALIASES or not re.fullmatch(r"[a-z][a-z0-9_]*", alias):
                self.problem(base, f"{alias!r} cannot name a related record",
                             f"{alias!r} 不能作为关联记录的名称", "reserved_alias")
            if rel.collection not in COLLECTIONS:
                self.problem(base + ("collection",), f"unknown collection {rel.collection!r}",
                             f"未知的集合 {rel.collection!r}", "unknown_collection")
                continue
            scoped = self.ctx.scoped(alias)
            for rel_field, subject_field in rel.match.items():
                left = self.resolve(base + ("match", rel_field), rel_field, scoped)
                if isinstance(subject_field, ItemRef):
                    self.uses_item = True
                    continue
                right = self.resolve(base + ("match", rel_field), subject_field)
                if left is not None and right is not None and left.kind != right.kind:
                    self.problem(base + ("match", rel_field),
                                 f"cannot match {left.kind} {rel_field} with {right.kind} "
                                 f"{subject_field}", "匹配字段类型不一致", "type_mismatch")
            if rel.where is not None:
                self.condition(rel.where, base + ("where",), scoped)
        if rule.applies_when is not None:
            self.condition(rule.applies_when, ("applies_when",))
        self.condition(rule.fails_when, ("fails_when",))
        for i, name in enumerate(rule.requires):
            self.resolve(("requires", i), name)
        for name, between in rule.evidence.items():
            for f in between.fields:
                info = self.resolve(("evidence", name), f)
                if info is not None and info.kind not in _TEMPORAL:
                    self.problem(("evidence", name), f"{f} is not a time", f"{f} 不是时间",
                                 "type_mismatch")
        for name in rule.parameters:
            if name not in self.params_used:
                self.problem(("parameters", name), f"parameter {name!r} is defined but never used",
                             f"参数 {name!r} 已定义但未使用", "unused_parameter")
        if self.uses_item and not rule.items:
            self.problem(("fails_when",), "{item: current} is used but the rule has no items",
                         "使用了 {item: current}，但规则没有 items", "items")
        if rule.items and not self.uses_item:
            self.problem(("items",), "items are listed but no condition uses {item: current}",
                         "列出了 items，但没有条件使用 {item: current}", "items")
        self.placeholders()
        if rule.effective_from and rule.effective_until and \
                rule.effective_until < rule.effective_from:
            self.problem(("effective_until",), "effective_until before effective_from",
                         "失效日期早于生效日期", "dates")
        if not self.problems:
            try:
                compile_rule(rule, self.ctx)
            except (CompileError, KeyError, ValueError) as exc:
                self.problem(("fails_when",), f"cannot compile: {exc}", f"无法编译：{exc}",
                             "compile")
        return self.problems

    def condition(self, cond: Condition, path: tuple[Any, ...], ctx: RuleContext | None = None
                  ) -> None:
        if isinstance(cond, All):
            for i, c in enumerate(cond.all):
                self.condition(c, path + ("all", i), ctx)
        elif isinstance(cond, Any_):
            for i, c in enumerate(cond.any):
                self.condition(c, path + ("any", i), ctx)
        elif isinstance(cond, Not):
            self.condition(cond.not_, path + ("not",), ctx)
        elif isinstance(cond, (Present, Absent)):
            name = cond.present if isinstance(cond, Present) else cond.absent
            self.resolve(path, name, ctx)
        elif isinstance(cond, (Exists, NoneOf)):
            alias = cond.exists if isinstance(cond, Exists) else cond.none
            if alias not in self.rule.related:
                guess = suggest(alias, list(self.rule.related))
                self.problem(path, f"{alias!r} is not a related record of this rule"
                             + (f" (did you mean {guess!r}?)" if guess else ""),
                             f"{alias!r} 不是本规则的关联记录", "unknown_related")
            elif ctx is not None:
                self.problem(path, "exists/none cannot be used inside `where`",
                             "where 中不能使用 exists/none", "where")
        elif isinstance(cond, Compare):
            self.compare(cond, path, ctx)

    def compare(self, cond: Compare, path: tuple[Any, ...], ctx: RuleContext | None) -> None:
        left = self.resolve(path + ("field",), cond.field, ctx)
        op, value = cond.op, cond.value
        vpath = path + (op,)
        if isinstance(value, ParamRef):
            value = self.param(value, vpath)
        if isinstance(value, ItemRef):
            self.uses_item = True
        if left is None:
            return
        if op in ("contains", "lacks"):
            if left.kind != "list":
                self.problem(vpath, f"{op} needs a list field; {cond.field} is {left.kind}",
                             f"{op} 只能用于列表字段", "type_mismatch")
            elif isinstance(value, str) and left.values and value not in left.values:
                self.problem(vpath, f"{value!r} is not one of {list(left.values)}",
                             f"{value!r} 不是允许的取值", "unknown_value")
            return
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                self.problem(vpath, f"{op} needs a list of values", f"{op} 需要取值列表",
                             "type_mismatch")
                return
            for v in value:
                if isinstance(v, ItemRef):
                    self.uses_item = True
                else:
                    self.literal(left, v, vpath)
            return
        if isinstance(value, FieldExpr):
            self.field_expr(left, cond, value, vpath, ctx)
            return
        if isinstance(value, list):
            self.problem(vpath, f"{op} needs one value, not a list", f"{op} 只接受一个值",
                         "type_mismatch")
            return
        if not isinstance(value, ItemRef):
            self.literal(left, value, vpath)
        if left.kind in _TEMPORAL and not isinstance(value, FieldExpr):
            self.problem(vpath, f"compare the time {cond.field} with another time, not a constant",
                         f"时间字段 {cond.field} 只能与另一时间比较", "type_mismatch")

    def literal(self, left: Any, value: Any, path: tuple[Any, ...]) -> None:
        kind = left.kind
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, (int, float)) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "string": isinstance(value, str),
            "enum": isinstance(value, str) and (not left.values or value in left.values),
            "list": isinstance(value, str),
        }.get(kind, False)
        if not ok:
            expected = f"one of {list(left.values)}" if kind == "enum" else f"a {kind}"
            self.problem(path, f"{left.name} is {kind}: {value!r} is not {expected}",
                         f"{left.name} 的类型是 {kind}，不能与 {value!r} 比较", "type_mismatch")

    def param(self, ref: ParamRef, path: tuple[Any, ...]) -> Any:
        self.params_used.add(ref.param)
        if ref.param not in self.rule.parameters:
            guess = suggest(ref.param, list(self.rule.parameters))
            self.problem(path, f"parameter {ref.param!r} is not defined"
                         + (f" (did you mean {guess!r}?)" if guess else ""),
                         f"参数 {ref.param!r} 未定义", "undefined_parameter")
            return None
        return self.rule.parameters[ref.param].value

    def field_expr(self, left: Any, cond: Compare, value: FieldExpr, path: tuple[Any, ...],
                   ctx: RuleContext | None) -> None:
        right = self.resolve(path + ("field",), value.field, ctx)
        for shift_key in ("plus", "minus", "times"):
            shift = getattr(value, shift_key)
            if isinstance(shift, ParamRef):
                self.param(shift, path + (shift_key,))
        if right is None:
            return
        kinds = {left.kind, right.kind}
        if cond.compare == "digits":
            if kinds != {"string"}:
                self.problem(path, "compare: digits needs two text fields",
                             "compare: digits 需要两个文本字段", "type_mismatch")
            return
        if kinds & _TEMPORAL and not kinds <= _TEMPORAL:
            self.problem(path, f"cannot compare {left.kind} {cond.field} with {right.kind} "
                         f"{value.field}", f"不能比较 {left.kind} 与 {right.kind}",
                         "type_mismatch")
            return
        if "time" in kinds and kinds != {"time"}:
            self.problem(path, "a time of day compares only with a time of day",
                         "时刻只能与时刻比较", "type_mismatch")
        if not kinds & _TEMPORAL and not kinds <= _NUMERIC and len(kinds) > 1:
            self.problem(path, f"cannot compare {left.kind} with {right.kind}",
                         f"不能比较 {left.kind} 与 {right.kind}", "type_mismatch")
        shifted = value.plus is not None or value.minus is not None
        if shifted and not kinds & _TEMPORAL and value.unit is not None:
            self.problem(path, "a unit applies to times only", "单位只适用于时间", "type_mismatch")
        if isinstance(value.plus, UnitField):
            alias, info = (ctx or self.ctx).resolve(value.plus.field)
            if (info.collection, info.name) not in DURATIONS:
                self.problem(path + ("plus",), f"{value.plus.field} is not a duration field",
                             f"{value.plus.field} 不是时长字段", "type_mismatch")
        if shifted and kinds & _TEMPORAL and value.unit is None:
            shift = value.plus if value.plus is not None else value.minus
            unit = self.rule.parameters[shift.param].unit if isinstance(shift, ParamRef) and \
                shift.param in self.rule.parameters else None
            if unit not in ("minutes", "hours", "days", "working_days"):
                self.problem(path, "a time shift needs a unit (minutes, hours, days, working_days)",
                             "时间偏移需要单位", "unit")
        if cond.op not in ("gt", "le") and value.unit == "working_days":
            self.problem(path, "working-day deadlines compare with gt (late) or le (on time)",
                         "工作日期限只能用 gt（逾期）或 le（按期）比较", "unit")

    def placeholders(self) -> None:
        available = self.available_names()
        for lang in ("zh", "en"):
            text = getattr(self.rule.message, lang)
            for name in PLACEHOLDER.findall(text):
                if name not in available:
                    guess = suggest(name, sorted(available))
                    self.problem(("message", lang), f"placeholder {{{name}}} is not available"
                                 + (f" (did you mean {{{guess}}}?)" if guess else ""),
                                 f"占位符 {{{name}}} 不可用", "unknown_placeholder")

    def available_names(self) -> set[str]:
        names = {"as_of", "id", "item", "supplier_id", "rule", "clause"}
        names.update(_fields_of(self.rule.subject))
        for alias, rel in self.rule.related.items():
            names.update(f"{alias}.{f}" for f in _fields_of(rel.collection))
        names.update(self.rule.parameters)
        names.update(self.rule.evidence)
        return names


def _fields_of(collection: str) -> set[str]:
    if collection not in COLLECTIONS:
        return set()
    return set(COLLECTIONS[collection].model_fields) | set(DERIVED_FIELDS.get(collection, {}))


def check_rule(rule: Rule, where: _Locator) -> list[Problem]:
    """Every problem of one rule (shape already validated)."""
    return _RuleChecker(rule, where).run()

