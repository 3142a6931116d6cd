"""Load rule files, validate them completely, and compile them.

``load_rules()`` reads the bundled ``rules/`` (or the files and folders given): rule
files, fields files (new fields declared in YAML, :mod:`..facts.fields`) and
``ruleset.yaml`` (the version of the regulation the rules encode, :mod:`.regulation`).
It checks each rule file's shape with the pydantic models of :mod:`.model`, then every
rule against that version of the regulation and the fields in force: clause ids and that
``clause_text`` quotes its clause, subject collections, field paths, enumeration values
and items, comparable types, parameters (defined, used, units), message and note
placeholders, related records.
Every problem is reported at once with file:line:column; any problem rejects the whole
rule set (:class:`RulesError`).

Shape errors are made readable: a misspelled key, operator or value comes with a "did
you mean"; pydantic's one-error-per-union-branch flood is cut to the branch the author
meant (:func:`_prune_unions`); a rule whose own shape is valid is still checked when
another rule of its file is not. ``validate_rule_files()`` returns the same problems
without raising (the ``validate`` command).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..bundled import bundled_rules_dir as bundled_rules_dir
from ..calendar import WorkingCalendar, load_calendar_files
from ..errors import FactsError, Problem, RulesError
from ..facts.fields import (
    FIELDS_FORMAT,
    DeclaredField,
    Fields,
    combine,
    default_fields,
    parse_fields,
)
from ..facts.model import COLLECTIONS, DURATIONS
from ..yaml_source import PosDict, holds, position, read_document
from .compile import CompiledRule, CompileError, compile_rule
from .model import (
    COMPARE_OPS,
    RULES_FORMAT,
    Absent,
    All,
    Any_,
    Between,
    Compare,
    Condition,
    Exists,
    FieldExpr,
    ItemRef,
    NoneOf,
    Not,
    Parameter,
    ParamRef,
    Present,
    Related,
    Rule,
    RuleFile,
    Text,
    UnitField,
    _condition_kind,  # the discriminator of Condition: tells union branches from keys
)
from .numbers import PLACEHOLDER, placeholders, rule_mismatches
from .regulation import (
    REGULATION_FORMAT,
    RULESET_FORMAT,
    Regulation,
    RulesetSettings,
    bundled_regulations,
    bundled_settings,
    choose,
    parse_settings,
    read_regulations,
    regulation,
    regulation_files,
)
from .schema import RESERVED_ALIASES, FieldInfo, ResolveError, RuleContext, suggest

#: units of a time shift
TIME_UNITS = ("working_days", "days", "hours", "minutes")
#: units a parameter may have, with their Chinese words
PARAMETER_UNITS: dict[str, str] = {"working_days": "工作日", "days": "天", "hours": "小时",
                                   "minutes": "分钟", "percent": "%"}
_TEMPORAL = {"datetime", "date", "time"}
_NUMERIC = {"int", "number"}


@dataclass
class RuleSet:
    """Validated rules, ready to evaluate. Build it with :func:`load_rules`."""

    rules: tuple[Rule, ...]
    #: the rule files (fields files and ``ruleset.yaml`` are not among them)
    files: tuple[str, ...]
    version: str
    calendar: WorkingCalendar
    families: dict[str, Any] = field(default_factory=dict)
    #: rule id -> (file, line) where the rule starts
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: file -> the family (``family:``) it holds
    file_families: dict[str, str] = field(default_factory=dict)
    #: the fields in force: built-in and declared in the rules' fields files
    fields: Fields = field(default_factory=default_fields)
    #: the version of the regulation the rules encode (``ruleset.yaml``)
    regulation: Regulation = field(default_factory=regulation)
    #: what ``validate`` warns about (a note stating another number than its parameter)
    warnings: tuple[Problem, ...] = ()

    @cached_property
    def compiled(self) -> tuple[CompiledRule, ...]:
        """Each rule compiled to durable_rules definitions (compiled once, reused)."""
        return tuple(compile_rule(r, RuleContext(r, fields=self.fields)) for r in self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def require_fields(self, facts: Any) -> None:
        """Raise :class:`FactsError` unless ``facts`` were validated against the fields
        these rules declare (load them with ``load_facts(..., rules=ruleset)``)."""
        missing = self.fields.missing_from(facts.fields)
        if not missing:
            return
        names = ", ".join(f"{f.collection}.{f.name}" for f in missing)
        raise FactsError("facts loaded without the rules' fields", [Problem(
            collection=missing[0].collection, field=missing[0].name, code="fields",
            message=f"the facts were loaded without the fields these rules declare ({names}): "
                    "load them with load_facts(..., rules=ruleset)",
            message_zh=f"事实数据载入时未使用这套规则声明的字段（{names}）：请用 "
                       "load_facts(..., rules=规则集) 载入")])

    def context(self, rule: Rule) -> RuleContext:
        """The field resolution of one rule, with this rule set's fields."""
        return RuleContext(rule, fields=self.fields)

    def select(self, ids: Sequence[str]) -> RuleSet:
        """A rule set with only the given rule ids."""
        wanted = set(ids)
        return RuleSet(tuple(r for r in self.rules if r.id in wanted), self.files, self.version,
                       self.calendar, self.families, self.origins, self.file_families,
                       self.fields, self.regulation, self.warnings)


#: the formats a file of a rules folder may declare (``format:``), and what it is
FORMATS: dict[str, str] = {
    RULES_FORMAT: "rules",
    FIELDS_FORMAT: "fields",
    RULESET_FORMAT: "ruleset",
    REGULATION_FORMAT: "regulation",
    "fuling-compliance/policy/assessment/v1": "policy",
}


def rule_files(paths: Sequence[str | Path] | None) -> tuple[list[Path], list[Path]]:
    """(files, calendar files) found in the given files and folders: a folder's top-level
    ``*.yaml`` (rule files, fields files, ``ruleset.yaml``) and ``calendar/*.yaml``."""
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


@dataclass
class _Collected:
    """What the files of a rule set hold, before the rules are checked."""

    problems: list[Problem] = field(default_factory=list)
    rule_files: list[tuple[Path, _Parsed]] = field(default_factory=list)
    declared: list[DeclaredField] = field(default_factory=list)
    settings: list[RulesetSettings] = field(default_factory=list)
    regulation_files: list[Path] = field(default_factory=list)


def load_rules(paths: Sequence[str | Path] | str | Path | None = None) -> RuleSet:
    """Load and validate rule files; with no argument, the bundled rules.

    The files of a rules folder are told apart by their ``format:`` line: rule files
    (``fuling-compliance/rules/v1``, the default), fields files (``…/fields/v1``, see
    :mod:`..facts.fields`) and ``ruleset.yaml`` (``…/ruleset/v1``: the version of the
    regulation the rules encode, whose text is under ``regulation/``; see
    :mod:`.regulation`). Raises :class:`RulesError` listing every problem found in any
    file. A file whose shape is wrong in one rule still has its other rules checked, so
    one run shows every problem. Warnings (numbers in notes that differ from their
    parameter) do not reject the rules: they are in ``RuleSet.warnings``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    targets = [Path(p) for p in paths] if paths else [bundled_rules_dir()]
    files, calendar_files = rule_files(paths)
    found = _Collected()
    problems = found.problems
    if not files:
        where = ", ".join(str(p) for p in paths) if paths else str(bundled_rules_dir())
        problems.append(Problem(file=where, message="no rule files found",
                                message_zh="未找到规则文件", code="no_rules"))
    for path in files:
        _collect(path, found)
    fields, field_problems = combine(found.declared)
    problems.extend(field_problems)
    reg = _regulation_of(targets, found)
    rules: list[Rule] = []
    families: dict[str, Any] = {}
    versions: set[str] = set()
    origins: dict[str, tuple[str, int]] = {}
    file_families: dict[str, str] = {}
    warnings: list[Problem] = []
    seen: dict[str, str] = {}
    for path, parsed in found.rule_files:
        if parsed.family is not None:
            families[parsed.family] = parsed.title
            file_families[str(path)] = parsed.family
            versions.add(parsed.version)
        for index, raw_id in parsed.ids:
            located = _Locator(str(path), parsed.data, ("rules", index))
            if raw_id in seen:
                line, col = located.at(("id",))
                problems.append(Problem(file=str(path), line=line, column=col, record=raw_id,
                                        field="id",
                                        message=f"duplicate rule id {raw_id} (also at "
                                        f"{seen[raw_id]})",
                                        message_zh=f"规则编号 {raw_id} 重复（另见 {seen[raw_id]}）",
                                        code="duplicate_rule"))
                parsed.rules.pop(index, None)
                continue
            line, _ = located.at(("id",))
            seen[raw_id] = f"{path}:{line}"
        for index, rule in sorted(parsed.rules.items()):
            locator = _Locator(str(path), parsed.data, ("rules", index))
            rule_problems = _RuleChecker(rule, locator, fields, reg).run()
            problems.extend(p for p in rule_problems if not p.warning)
            warnings.extend(p for p in rule_problems if p.warning)
            if not any(not p.warning for p in rule_problems) and parsed.family is not None:
                rules.append(rule)
                origins[rule.id] = (str(path), position(parsed.data, ("rules", index))[0])
    calendar, cal_problems = load_calendar_files(calendar_files)
    problems.extend(cal_problems)
    if problems or reg is None:
        raise RulesError(f"rules rejected: {len(problems)} problem(s)", problems + warnings)
    rules.sort(key=lambda r: r.id)
    return RuleSet(tuple(rules), tuple(str(f) for f, _ in found.rule_files),
                   "+".join(sorted(versions)) or "1", calendar, families, origins, file_families,
                   fields, reg, tuple(sorted(warnings)))


def _collect(path: Path, found: _Collected) -> None:
    """Read one file of a rules folder and file it by its format."""
    problems = found.problems
    data, read_problems = read_document(path)
    problems.extend(read_problems)
    if data is None:
        return
    if not isinstance(data, PosDict):
        problems.append(Problem(file=str(path), line=1, column=1,
                                message="not a rule file: the top level must be a mapping",
                                message_zh="不是规则文件：顶层必须是映射", code="not_mapping"))
        return
    declared = data.get("format", RULES_FORMAT)
    kind = FORMATS.get(declared) if isinstance(declared, str) else None
    if kind is None:
        guess = suggest(str(declared), list(FORMATS))
        en, zh = _hint(guess)
        line, col = data.at("format")
        problems.append(Problem(
            file=str(path), line=line, column=col, field="format",
            message=f"unknown format {declared!r}{en}; a rules folder holds "
                    + ", ".join(f"{k} ({v})" for k, v in FORMATS.items()),
            message_zh=f"未知的格式 {declared!r}{zh}；规则目录中的文件可以是："
                       + "、".join(FORMATS), code="format"))
        return
    if kind == "fields":
        declared_fields, more = parse_fields(str(path), data)
        found.declared.extend(declared_fields)
        problems.extend(more)
    elif kind == "ruleset":
        settings, more = parse_settings(str(path), data)
        problems.extend(more)
        if settings is not None:
            found.settings.append(settings)
    elif kind == "regulation":
        found.regulation_files.append(path)
    elif kind == "rules":
        parsed = _parse_rule_file(path, data, problems)
        found.rule_files.append((path, parsed))


def _regulation_of(targets: list[Path], found: _Collected) -> Regulation | None:
    """The version of the regulation the rule set encodes, from its ``ruleset.yaml`` (else
    the bundled one's) among its ``regulation/`` texts and the bundled ones."""
    problems = found.problems
    bundled = bundled_rules_dir().resolve()
    own = [p for t in targets if t.is_dir() for p in regulation_files(t)]
    given, more = read_regulations(own + found.regulation_files)
    problems.extend(more)
    available: dict[str, Regulation] = {}
    if not any(t.resolve() == bundled for t in targets):
        try:
            available.update(bundled_regulations())
        except RulesError as exc:  # pragma: no cover - the bundled text is tested
            problems.extend(exc.problems)
    available.update(given)
    settings = found.settings
    chosen = settings[0] if settings else None
    for other in settings[1:]:
        if chosen is not None and other.regulation != chosen.regulation:
            problems.append(Problem(
                file=other.file, line=other.line, column=other.column, field="regulation",
                message=f"regulation {other.regulation!r} differs from {chosen.regulation!r} "
                        f"in {chosen.file}: one rule set encodes one version",
                message_zh=f"制度版本 {other.regulation!r} 与 {chosen.file} 中的 "
                           f"{chosen.regulation!r} 不一致：一套规则只依据一个版本",
                code="regulation_version"))
    if chosen is None and not any(t.resolve() == bundled for t in targets):
        try:
            chosen = bundled_settings()
        except RulesError as exc:  # pragma: no cover - the bundled settings are tested
            problems.extend(exc.problems)
    reg, more = choose(available, chosen)
    problems.extend(more)
    return reg


def validate_rule_files(paths: Sequence[str | Path] | None = None) -> list[Problem]:
    """Every problem in the given rule files (empty when they are valid), warnings
    (``Problem.warning``) included."""
    try:
        ruleset = load_rules(paths)
    except RulesError as exc:
        return exc.problems
    return list(ruleset.warnings)


# ----------------------------------------------------------------------------- files
@dataclass
class _Parsed:
    """One rule file as far as it could be read: ``family`` is None if its shape is wrong."""

    data: PosDict
    family: str | None
    title: Any
    version: str
    #: index in ``rules`` -> the rule, for every rule whose own shape is valid
    rules: dict[int, Rule]
    #: (index, id) of every rule mapping with a text id, valid or not
    ids: list[tuple[int, str]]


def _parse_rule_file(path: Path, data: PosDict, problems: list[Problem]) -> _Parsed:
    raw_rules = data.get("rules")
    raw_list = raw_rules if isinstance(raw_rules, list) else []
    ids = [(i, r["id"]) for i, r in enumerate(raw_list)
           if isinstance(r, dict) and isinstance(r.get("id"), str)]
    try:
        rule_file = RuleFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        problems.extend(_shape_problems(str(path), data, errors))
        # Rules whose own shape is valid are still checked against the regulation and
        # the facts model, so one run reports every problem of the file.
        broken = {e["loc"][1] for e in errors
                  if len(e["loc"]) > 1 and e["loc"][0] == "rules" and isinstance(e["loc"][1], int)}
        salvaged: dict[int, Rule] = {}
        for i, raw in enumerate(raw_list):
            if i not in broken:
                with contextlib.suppress(ValidationError):
                    salvaged[i] = Rule.model_validate(raw)
        return _Parsed(data, None, None, "1", salvaged, ids)
    return _Parsed(data, rule_file.family, rule_file.title, rule_file.version,
                   dict(enumerate(rule_file.rules)), ids)


# ----------------------------------------------------------------------------- shape problems
def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


_CONDITION_TAGS = frozenset({"all", "any", "not", "present", "absent", "exists", "none",
                             "compare"})
_CONDITION_KEYS = ["all", "any", "not", "present", "absent", "exists", "none", *_keys(Compare)]
#: union branches named by pydantic -> the keys that branch knows
_BRANCH_KEYS: dict[str, list[str]] = {
    "ParamRef": _keys(ParamRef),
    "ItemRef": _keys(ItemRef),
    "UnitField": _keys(UnitField),
    "FieldExpr": _keys(FieldExpr),
}
_BRANCH_WORDS: dict[str, tuple[str, str]] = {
    "bool": ("true/false", "true/false"),
    "int": ("an integer", "整数"),
    "float": ("a number", "数字"),
    "str": ("text", "文本"),
    "date": ("a date", "日期"),
    "datetime": ("a date and time", "日期时间"),
    "list": ("a list", "列表"),
    "ParamRef": ("{param: NAME}", "{param: 参数名}"),
    "ItemRef": ("{item: current}", "{item: current}"),
    "FieldExpr": ("{field: FIELD, ...}", "{field: 字段, ...}"),
    "UnitField": ("{field: FIELD}", "{field: 字段}"),
    "literal": ("one of the allowed words", "允许的取值之一"),
}


@dataclass
class _Shape:
    """One pydantic error placed in the document."""

    err: dict[str, Any]
    #: keys and indexes of the document down to the error
    path: tuple[Any, ...]
    #: (document path, branch) for every union branch pydantic took on the way
    branches: list[tuple[tuple[Any, ...], str]]

    @property
    def wrong_type(self) -> bool:
        """The error says the whole value is of the wrong type for its union branch."""
        kind = str(self.err["type"])
        return bool(self.branches) and self.branches[-1][0] == self.path and \
            str(self.err["loc"][-1]) == self.branches[-1][1] and \
            (kind.endswith(("_type", "_parsing")) or kind == "is_instance_of")


def _place(data: PosDict, err: dict[str, Any]) -> _Shape:
    """Follow a pydantic error location through the document, telling union branch
    names (``compare``, ``ParamRef``, ``function-after[...]``, ...) from keys."""
    node: Any = data
    path: list[Any] = []
    branches: list[tuple[tuple[Any, ...], str]] = []
    loc = tuple(err["loc"])
    keyish = err["type"] in ("missing", "extra_forbidden")
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        key = "in" if part == "in_" else ("not" if part == "not_" else part)
        if isinstance(node, dict) and key in _CONDITION_TAGS and \
                _condition_kind(node) == key and not (last and keyish):
            branches.append((tuple(path), str(part)))
        elif holds(node, key):
            node = node[key]
            path.append(key)
        elif last and keyish and isinstance(node, dict):
            path.append(key)
        else:
            branches.append((tuple(path), str(part)))
    return _Shape(err, tuple(path), branches)


def _branch_name(tag: str) -> str:
    for name in _BRANCH_KEYS:
        if name in tag:
            return name
    if tag.startswith("list"):
        return "list"
    if tag.startswith("literal"):
        return "literal"
    return tag


def _prune_unions(shapes: list[_Shape]) -> list[_Shape]:
    """Keep, at every union, only the errors of the branch the author most likely meant.

    pydantic reports why *each* branch of a union failed (a value is not a boolean, not
    an integer, not ``{param: ...}``, ...): one typo would give ten messages. The branch
    meant is the one that understood the value's keys best (fewest unknown keys, then
    fewest errors); when every branch rejected the value's type outright, one message
    lists what was expected.
    """
    while True:
        points: dict[tuple[Any, ...], dict[str, list[int]]] = {}
        for index, shape in enumerate(shapes):
            for prefix, tag in shape.branches:
                points.setdefault(prefix, {}).setdefault(tag, []).append(index)
        contested = [p for p, tags in points.items() if len(tags) > 1]
        if not contested:
            return shapes
        prefix = min(contested, key=len)
        tags = points[prefix]

        scores = {tag: (sum(shapes[i].err["type"] == "extra_forbidden" for i in idx), len(idx))
                  for tag, idx in tags.items()}
        meant = [t for t, idx in tags.items()
                 if not all(shapes[i].wrong_type and shapes[i].path == prefix for i in idx)]
        keep: set[int]
        if meant:
            best = min(meant, key=lambda t: scores[t])
            keep = set(tags[best])
            # a kept error may sit under several branches at this union (the same place
            # reached through two of them): it keeps only the chosen one, so that the
            # union is decided and the loop moves on (it looped forever before)
            for i in keep:
                shapes[i] = _Shape(shapes[i].err, shapes[i].path,
                                   [b for b in shapes[i].branches
                                    if b[0] != prefix or b[1] == best])
        else:
            first = next(iter(tags.values()))[0]
            names = list(dict.fromkeys(_branch_name(t) for t in tags))
            err = dict(shapes[first].err)
            err["type"] = "wrong_kind"
            err["ctx"] = {"expected": names}
            shapes[first] = _Shape(err, shapes[first].path,
                                   [b for b in shapes[first].branches if b[0] != prefix])
            keep = {first}
        drop = {i for idx in tags.values() for i in idx} - keep
        shapes = [s for i, s in enumerate(shapes) if i not in drop]


def _choices_for(shape: _Shape) -> list[str]:
    """The keys allowed in the mapping holding the error's key."""
    parent = shape.path[:-1]
    here = [tag for prefix, tag in shape.branches if prefix == parent]
    if here:
        if here[-1] in _CONDITION_TAGS:
            return _CONDITION_KEYS
        name = _branch_name(here[-1])
        if name in _BRANCH_KEYS:
            return _BRANCH_KEYS[name]
    named = [p for p in parent if not isinstance(p, int)]
    if not parent:
        return _keys(RuleFile)
    if parent[0] == "rules" and len(parent) == 2:
        return _keys(Rule)
    if named[-1:] in (["title"], ["message"]) and len(named) <= 2:
        return _keys(Text)
    if len(named) == 3 and named[:2] == ["rules", "parameters"]:
        return _keys(Parameter)
    if len(named) == 3 and named[:2] == ["rules", "related"]:
        return _keys(Related)
    if len(named) == 3 and named[:2] == ["rules", "evidence"]:
        return _keys(Between)
    return _CONDITION_KEYS + [k for keys in _BRANCH_KEYS.values() for k in keys]


def _expected_words(err: dict[str, Any], lang: str) -> str:
    words = [_BRANCH_WORDS.get(n, (n, n))[lang == "zh"] for n in err["ctx"]["expected"]]
    return ("、" if lang == "zh" else ", ").join(dict.fromkeys(words))


def _shape_problems(file: str, data: PosDict, errors: Sequence[Any]) -> list[Problem]:
    """Problems for the pydantic errors of one file: placed, pruned, explained."""
    shapes = _prune_unions([_place(data, dict(e)) for e in errors])
    out: list[tuple[Problem, tuple[Any, ...], str | None]] = []
    for shape in shapes:
        out.extend(_shape_problem(file, data, shape))
    # "unknown key 'mesage' (did you mean 'message'?)" already says 'message' is missing
    meant = {(parent, hint) for p, parent, hint in out if p.code == "unknown_key" and hint}
    return [p for p, parent, hint in out
            if not (p.code == "missing" and (parent, hint) in meant)]


def _shape_problem(file: str, data: PosDict, shape: _Shape
                   ) -> list[tuple[Problem, tuple[Any, ...], str | None]]:
    """(problem, parent path, suggested or missing key) for one error."""
    err, path = shape.err, shape.path
    record: str | None = None
    rel = path
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = data.get("rules")
        rule = rules[path[1]] if isinstance(rules, list) else None
        record = str(rule.get("id", f"#{path[1] + 1}")) if isinstance(rule, dict) else \
            f"#{path[1] + 1}"
        rel = path[2:]
    line, col = position(data, path)
    field = ".".join(str(p) for p in rel) or None

    def problem(en: str, zh: str, code: str, at: tuple[int, int] = (line, col),
                fld: str | None = field) -> Problem:
        return Problem(file=file, line=at[0], column=at[1], record=record, field=fld,
                       message=en, message_zh=zh, code=code)

    kind = err["type"]
    key = path[-1] if path else None
    if kind == "extra_forbidden":
        guess = suggest(str(key), _choices_for(shape))
        hint_en = f" (did you mean {guess!r}?)" if guess else ""
        hint_zh = f"（是否应为 {guess!r}？）" if guess else ""
        if " " in str(key) and not guess:
            hint_en = " (inside {...} a comma ends the value: put text with commas in quotes)"
            hint_zh = "（在 {...} 中逗号会结束取值：含逗号的文字请加引号）"
        return [(problem(f"unknown key {key!r}{hint_en}", f"未知的键 {key!r}{hint_zh}",
                         "unknown_key"), path[:-1], guess)]
    if kind == "missing":
        return [(problem(f"missing required key {key!r}", f"缺少必填的键 {key!r}", "missing"),
                 path[:-1], str(key))]
    if kind == "value_error" and "exactly one of" in str(err.get("msg", "")):
        return _no_operator(shape, data, problem)
    value = err.get("input")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        guess = suggest(str(value), allowed) if isinstance(value, str) else None
        hint_en = f" (did you mean {guess!r}?)" if guess else ""
        hint_zh = f"（是否应为 {guess!r}？）" if guess else ""
        return [(problem(f"{value!r} is not allowed: use one of {', '.join(allowed)}{hint_en}",
                         f"{value!r} 不是允许的取值，可选：{'、'.join(allowed)}{hint_zh}",
                         "literal_error"), path[:-1], None)]
    if kind == "wrong_kind":
        return [(problem(f"{value!r} is the wrong kind of value: expected "
                         f"{_expected_words(err, 'en')}",
                         f"{value!r} 的类型不对，应为 {_expected_words(err, 'zh')}", "type"),
                 path[:-1], None)]
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return [(problem(f"expected text, got the number {value!r}: write it in quotes, "
                         f'e.g. "{value}"',
                         f'应为文本，实际是数字 {value!r}：请加引号，例如 "{value}"', "type"),
                 path[:-1], None)]
    return [(problem(str(err.get("msg", "invalid")), _zh_message(err), kind), path[:-1], None)]


def _no_operator(shape: _Shape, data: PosDict, problem: Any
                 ) -> list[tuple[Problem, tuple[Any, ...], str | None]]:
    """A condition mapping without exactly one operator: name its unknown keys."""
    node: Any = data
    for key in shape.path:
        node = node[key]
    out: list[tuple[Problem, tuple[Any, ...], str | None]] = []
    if isinstance(node, PosDict):
        prefix = ".".join(str(p) for p in shape.path[2:]) if shape.path[:1] == ("rules",) \
            else ".".join(str(p) for p in shape.path)
        for key in node:
            if key in _CONDITION_KEYS:
                continue
            guess = operator_for(str(key))
            hint_en = f" (did you mean {guess!r}?)" if guess else ""
            hint_zh = f"（是否应为 {guess!r}？）" if guess else ""
            if guess is None:  # nothing close: say what a condition can hold
                listed = ", ".join(f"{op} ({OPERATOR_WORDS[op][1]})" for op in COMPARE_OPS)
                listed_zh = "、".join(f"{op}（{OPERATOR_WORDS[op][0]}）" for op in COMPARE_OPS)
                hint_en = f"; a comparison takes one operator: {listed}"
                hint_zh = f"；比较条件用一个运算符：{listed_zh}"
            out.append((problem(f"unknown key {key!r} in a condition{hint_en}",
                                f"条件中未知的键 {key!r}{hint_zh}", "unknown_key",
                                at=node.at(key), fld=f"{prefix}.{key}" if prefix else key),
                        shape.path, guess))
    if out:
        return out
    ops = [k for k in node if k in COMPARE_OPS] if isinstance(node, dict) else []
    return [(problem(
        f"a comparison needs exactly one operator of {', '.join(COMPARE_OPS)} (found "
        f"{', '.join(ops) or 'none'})",
        f"比较条件必须且只能有一个运算符（{'、'.join(COMPARE_OPS)}），"
        f"实际：{'、'.join(ops) or '无'}",
        "operator"), shape.path, None)]


#: operator -> (zh, en) meaning, for messages
OPERATOR_WORDS: dict[str, tuple[str, str]] = {
    "eq": ("等于", "equals"), "ne": ("不等于", "differs"), "lt": ("小于/早于", "less/before"),
    "le": ("不大于/不晚于", "at most/not after"), "gt": ("大于/晚于", "greater/after"),
    "ge": ("不小于/不早于", "at least/not before"), "in": ("是其中之一", "one of"),
    "not_in": ("不是其中任何一个", "none of"), "contains": ("列表包含", "list contains"),
    "lacks": ("列表不包含", "list lacks"),
}
#: what people write for an operator -> the operator
_OPERATOR_SYNONYMS: dict[str, str] = {
    "=": "eq", "==": "eq", "equals": "eq", "equal": "eq", "is": "eq", "等于": "eq",
    "!=": "ne", "<>": "ne", "not_equal": "ne", "not_equals": "ne", "is_not": "ne",
    "neq": "ne", "不等于": "ne",
    "<": "lt", "less": "lt", "less_than": "lt", "before": "lt", "earlier_than": "lt",
    "早于": "lt", "小于": "lt",
    "<=": "le", "=<": "le", "lte": "le", "at_most": "le", "not_after": "le", "不晚于": "le",
    ">": "gt", "greater": "gt", "greater_than": "gt", "after": "gt", "later_than": "gt",
    "晚于": "gt", "大于": "gt",
    ">=": "ge", "=>": "ge", "gte": "ge", "at_least": "ge", "not_before": "ge", "不早于": "ge",
    "one_of": "in", "any_of": "in", "among": "in", "none_of": "not_in", "not_one_of": "not_in",
    "nin": "not_in", "notin": "not_in", "includes": "contains", "include": "contains",
    "has": "contains", "contain": "contains", "excludes": "lacks", "lack": "lacks",
    "missing": "lacks", "not_contains": "lacks", "does_not_contain": "lacks",
    "exist": "exists", "is_present": "present", "known": "present", "unknown": "absent",
    "is_absent": "absent", "and": "all", "or": "any",
}


def operator_for(key: str) -> str | None:
    """The condition key or operator someone who wrote ``key`` most likely meant."""
    word = key.strip().lower().replace(" ", "_").replace("-", "_")
    return _OPERATOR_SYNONYMS.get(word) or _OPERATOR_SYNONYMS.get(key.strip()) or \
        suggest(word, _CONDITION_KEYS)


def _zh_message(err: Any) -> str:
    table = {
        "missing": "缺少必填项",
        "string_pattern_mismatch": "格式不符（{pattern}）",
        "condition": "条件必须是含 all、any、not、present、absent、exists、none "
                     "或 field 之一的映射",
        "too_short": "不能为空",
        "string_too_short": "不能为空",
        "list_type": "应为列表，例如 [a, b]",
        "dict_type": "应为映射，例如 {zh: …, en: …}",
        "model_type": "应为映射",
        "string_type": "应为文本",
        "bool_type": "应为 true 或 false",
        "bool_parsing": "应为 true 或 false",
        "int_type": "应为整数",
        "int_parsing": "应为整数",
        "float_type": "应为数字",
        "float_parsing": "应为数字",
        "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
        "date_parsing": "应为日期 YYYY-MM-DD",
    }
    text = table.get(err["type"])
    if text is None:
        return f"取值无效：{err['msg']}"
    return text.format(**err.get("ctx", {})) if "{" in text and "ctx" in err else text


class _Locator:
    """Positions inside one rule of a parsed file."""

    def __init__(self, file: str, data: PosDict, base: tuple[Any, ...]) -> None:
        self.file = file
        self.data = data
        self.base = base

    def at(self, path: tuple[Any, ...]) -> tuple[int, int]:
        return position(self.data, self.base + path)


# ----------------------------------------------------------------------------- checks
class _RuleChecker:
    def __init__(self, rule: Rule, where: _Locator, fields: Fields,
                 reg: Regulation | None) -> None:
        self.rule = rule
        self.where = where
        self.fields = fields
        self.regulation = reg
        self.ctx = RuleContext(rule, fields=fields)
        self.problems: list[Problem] = []
        self.params_used: set[str] = set()
        self.uses_item = False
        #: fields compared with ``{item: current}``: each item must be one of their values
        self.item_fields: list[FieldInfo] = []

    def problem(self, path: tuple[Any, ...], en: str, zh: str, code: str, *,
                warning: bool = False) -> None:
        line, col = self.where.at(path)
        self.problems.append(Problem(file=self.where.file, line=line, column=col,
                                     record=self.rule.id,
                                     field=".".join(str(p) for p in path) or None,
                                     message=en, message_zh=zh, code=code, warning=warning))

    def resolve(self, path: tuple[Any, ...], name: str, ctx: RuleContext | None = None) -> Any:
        try:
            return (ctx or self.ctx).resolve(name)[1]
        except ResolveError as exc:
            hint = f"（是否应为 {exc.suggestion!r}？）" if exc.suggestion else ""
            self.problem(path, str(exc), f"字段 {name!r} 不存在{hint}", "unknown_field")
            return None

    def numbers(self) -> None:
        """Numbers the engine can hold: whole numbers of at most 12 digits (durable_rules
        computes in 64 bits; 10**20 made it refuse the ruleset), finite decimals."""
        places: list[tuple[tuple[Any, ...], Any]] = []
        for name, param in self.rule.parameters.items():
            places.append((("parameters", name, "value"), param.value))
            for i, dated in enumerate(param.values or []):
                places.append((("parameters", name, "values", i, "value"), dated.value))
        for where, value in places:
            for v in value if isinstance(value, list) else [value]:
                problem = _number_problem(v)
                if problem is not None:
                    self.problem(where, *problem, "number")

    def run(self) -> list[Problem]:
        self.numbers()
        rule = self.rule
        reg = self.regulation
        if reg is not None and rule.clause not in reg.clauses:
            nearby = reg.nearby(rule.clause)
            self.problem(("clause",),
                         f"clause {rule.clause!r} does not exist in the regulation "
                         f"({reg.version}); clauses nearby: {', '.join(nearby) or '—'}",
                         f"条款 {rule.clause!r} 在制度（{reg.version}）中不存在；"
                         f"相近的条款：{'、'.join(nearby) or '无'}", "unknown_clause")
        elif reg is not None:
            self.clause_text(reg)
        if rule.subject not in COLLECTIONS:
            en, zh = _hint(suggest(rule.subject, list(COLLECTIONS)))
            self.problem(("subject",), f"unknown collection {rule.subject!r}{en}",
                         f"未知的集合 {rule.subject!r}{zh}", "unknown_collection")
            return self.problems
        for alias, rel in rule.related.items():
            base = ("related", alias)
            if alias in RESERVED_ALIASES or not re.fullmatch(r"[a-z][a-z0-9_]*", alias):
                self.problem(base, f"{alias!r} cannot name a related record",
                             f"{alias!r} 不能作为关联记录的名称", "reserved_alias")
            if rel.collection not in COLLECTIONS:
                en, zh = _hint(suggest(rel.collection, list(COLLECTIONS)))
                self.problem((*base, "collection"), f"unknown collection {rel.collection!r}{en}",
                             f"未知的集合 {rel.collection!r}{zh}", "unknown_collection")
                continue
            scoped = self.ctx.scoped(alias)
            for rel_field, subject_field in rel.match.items():
                left = self.resolve((*base, "match", rel_field), rel_field, scoped)
                if isinstance(subject_field, ItemRef):
                    self.uses_item = True
                    if left is not None:
                        self.item_fields.append(left)
                    continue
                right = self.resolve((*base, "match", rel_field), subject_field)
                if left is not None and right is not None and left.kind != right.kind:
                    self.problem((*base, "match", rel_field),
                                 f"cannot match {left.kind} {rel_field} with {right.kind} "
                                 f"{subject_field}",
                                 f"{rel_field}（{left.kind}）与 {subject_field}（{right.kind}）"
                                 "类型不一致，不能匹配", "type_mismatch")
            if rel.where is not None:
                self.condition(rel.where, (*base, "where"), scoped)
        if rule.applies_when is not None:
            self.condition(rule.applies_when, ("applies_when",))
        self.condition(rule.fails_when, ("fails_when",))
        for i, name in enumerate(rule.requires):
            self.resolve(("requires", i), name)
        for name, between in rule.evidence.items():
            for f in between.fields:
                info = self.resolve(("evidence", name), f)
                if info is not None and info.kind not in _TEMPORAL:
                    self.problem(("evidence", name), f"{f} is not a time",
                                 f"{f} 不是时间字段", "type_mismatch")
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
        self.items()
        self.placeholders()
        for name, param in rule.parameters.items():
            values = param.values or []
            for i in range(1, len(values)):
                if values[i].from_ <= values[i - 1].from_:
                    self.problem(("parameters", name, "values", i, "from"),
                                 f"dated values of {name!r} must have ascending, distinct dates: "
                                 f"{values[i].from_} does not come after {values[i - 1].from_}",
                                 f"参数 {name!r} 的取值日期必须递增且不重复：{values[i].from_} "
                                 f"不晚于 {values[i - 1].from_}", "dates")
        self.notes()
        self.units()
        if rule.effective_from and rule.effective_until and \
                rule.effective_until < rule.effective_from:
            self.problem(("effective_until",), "effective_until before effective_from",
                         "失效日期早于生效日期", "dates")
        if not self.problems:
            try:
                compile_rule(rule, self.ctx)
            except (CompileError, ResolveError, KeyError, ValueError) as exc:
                self.problem(("fails_when",), f"cannot compile: {exc}", f"无法编译：{exc}",
                             "compile")
        return self.problems

    def condition(self, cond: Condition, path: tuple[Any, ...], ctx: RuleContext | None = None
                  ) -> None:
        if isinstance(cond, All):
            for i, c in enumerate(cond.all):
                self.condition(c, (*path, "all", i), ctx)
        elif isinstance(cond, Any_):
            for i, c in enumerate(cond.any):
                self.condition(c, (*path, "any", i), ctx)
        elif isinstance(cond, Not):
            self.condition(cond.not_, (*path, "not"), ctx)
        elif isinstance(cond, (Present, Absent)):
            name = cond.present if isinstance(cond, Present) else cond.absent
            self.resolve(path, name, ctx)
        elif isinstance(cond, (Exists, NoneOf)):
            alias = cond.exists if isinstance(cond, Exists) else cond.none
            if alias not in self.rule.related:
                en, zh = _hint(suggest(alias, list(self.rule.related)))
                self.problem(path, f"{alias!r} is not a related record of this rule{en}",
                             f"{alias!r} 不是本规则的关联记录（related）{zh}", "unknown_related")
            elif ctx is not None:
                self.problem(path, "exists/none cannot be used inside `where`",
                             "where 中不能使用 exists/none", "where")
        elif isinstance(cond, Compare):
            self.compare(cond, path, ctx)

    def compare(self, cond: Compare, path: tuple[Any, ...], ctx: RuleContext | None) -> None:
        left = self.resolve((*path, "field"), cond.field, ctx)
        op, value = cond.op, cond.value
        vpath = (*path, op)
        if isinstance(value, ParamRef):
            param = self.rule.parameters.get(value.param)
            value = self.param(value, (*vpath, "param"))
            if param is not None and param.values is not None and left is not None and \
                    op in ("eq", "ne", "lt", "le", "gt", "ge") and left.kind not in _TEMPORAL:
                for other in param.all_values()[1:]:  # each dated value must fit too
                    self.literal(left, other, vpath)
        if isinstance(value, ItemRef):
            self.uses_item = True
        if left is None:
            return
        if isinstance(value, ItemRef) or (isinstance(value, list) and any(
                isinstance(v, ItemRef) for v in value)):
            self.item_fields.append(left)
        if op in ("contains", "lacks"):
            if left.kind != "list":
                self.problem(vpath, f"{op} needs a list field; {cond.field} is {left.kind}",
                             f"{op} 只能用于列表字段，{cond.field} 的类型是 {left.kind}",
                             "type_mismatch")
            elif isinstance(value, str) and left.values and value not in left.values:
                en, zh = _hint(suggest(value, list(left.values)))
                self.problem(vpath, f"{value!r} is not one of {list(left.values)}{en}",
                             f"{value!r} 不是 {cond.field} 允许的取值"
                             f"（{'、'.join(left.values)}）{zh}", "unknown_value")
            return
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                self.problem(vpath, f"{op} needs a list of values",
                             f"{op} 需要取值列表，例如 [a, b]", "type_mismatch")
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
        if left.kind in _TEMPORAL:
            self.problem(vpath, f"compare the time {cond.field} with another time, not a constant",
                         f"时间字段 {cond.field} 只能与另一时间字段比较，不能与常量比较",
                         "type_mismatch")
        elif not isinstance(value, ItemRef):
            self.literal(left, value, vpath)

    def literal(self, left: Any, value: Any, path: tuple[Any, ...]) -> None:
        problem = _number_problem(value)
        if problem is not None:
            self.problem(path, *problem, "number")
            return
        kind = left.kind
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, (int, float)) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "string": isinstance(value, str),
            "enum": isinstance(value, str) and (not left.values or value in left.values),
            "list": isinstance(value, str),
        }.get(kind, False)
        if ok:
            return
        if kind == "enum" and isinstance(value, str):
            en, zh = _hint(suggest(value, list(left.values)))
            self.problem(path, f"{value!r} is not a value of {left.name}: use one of "
                         f"{', '.join(left.values)}{en}",
                         f"{value!r} 不是 {left.name} 允许的取值，可选：{'、'.join(left.values)}"
                         f"{zh}", "unknown_value")
            return
        self.problem(path, f"{left.name} is {kind}: {value!r} is not a {kind}",
                     f"{left.name} 的类型是 {kind}，不能与 {value!r} 比较", "type_mismatch")

    def param(self, ref: ParamRef, path: tuple[Any, ...]) -> Any:
        self.params_used.add(ref.param)
        if ref.param not in self.rule.parameters:
            en, zh = _hint(suggest(ref.param, list(self.rule.parameters)))
            self.problem(path, f"parameter {ref.param!r} is not defined{en}",
                         f"参数 {ref.param!r} 未在 parameters 中定义{zh}", "undefined_parameter")
            return None
        return self.rule.parameters[ref.param].all_values()[0]

    def amount(self, name: str) -> None:
        """A parameter used as an amount (a shift or a factor) must hold numbers."""
        param = self.rule.parameters.get(name)
        if param is None:
            return
        places: list[tuple[tuple[Any, ...], Any]] = [(("parameters", name, "value"), param.value)]
        if param.values is not None:
            places = [(("parameters", name, "values", i, "value"), v.value)
                      for i, v in enumerate(param.values)]
        for where, v in places:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                self.problem(where, f"parameter {name!r} is an amount: {v!r} is not a number",
                             f"参数 {name!r} 用作数量，{v!r} 不是数字", "type_mismatch")

    def field_expr(self, left: Any, cond: Compare, value: FieldExpr, path: tuple[Any, ...],
                   ctx: RuleContext | None) -> None:
        right = self.resolve((*path, "field"), value.field, ctx)
        for shift_key in ("plus", "minus", "times"):
            shift = getattr(value, shift_key)
            if isinstance(shift, ParamRef):
                self.param(shift, (*path, shift_key, "param"))
                self.amount(shift.param)
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
                         f"{value.field}",
                         f"不能比较 {cond.field}（{left.kind}）与 {value.field}（{right.kind}）",
                         "type_mismatch")
            return
        if "time" in kinds and kinds != {"time"}:
            self.problem(path, "a time of day compares only with a time of day",
                         "时刻只能与时刻比较", "type_mismatch")
        if not kinds & _TEMPORAL and not kinds <= _NUMERIC and len(kinds) > 1:
            self.problem(path, f"cannot compare {left.kind} {cond.field} with {right.kind} "
                         f"{value.field}",
                         f"不能比较 {cond.field}（{left.kind}）与 {value.field}（{right.kind}）",
                         "type_mismatch")
        shifted = value.plus is not None or value.minus is not None
        if shifted and not kinds & _TEMPORAL and value.unit is not None:
            self.problem(path, "a unit applies to times only", "单位只适用于时间", "type_mismatch")
        if isinstance(value.plus, UnitField):
            info = self.resolve((*path, "plus", "field"), value.plus.field, ctx)
            if info is not None and (info.collection, info.name) not in DURATIONS:
                self.problem((*path, "plus"), f"{value.plus.field} is not a duration field",
                             f"{value.plus.field} 不是时长字段", "type_mismatch")
        if isinstance(value.unit, UnitField):
            self.resolve((*path, "unit", "field"), value.unit.field, ctx)
        if shifted and kinds & _TEMPORAL and value.unit is None:
            shift = value.plus if value.plus is not None else value.minus
            undefined = isinstance(shift, ParamRef) and shift.param not in self.rule.parameters
            unit = self.rule.parameters[shift.param].unit if isinstance(shift, ParamRef) and \
                not undefined else None
            known = unit is None or unit in PARAMETER_UNITS  # else reported at the parameter
            if not undefined and known and unit not in TIME_UNITS:
                self.problem(path, "a time shift needs a unit: one of "
                             f"{', '.join(TIME_UNITS)} (unit: … here or in the parameter)",
                             "时间偏移需要单位，可选：" + "、".join(TIME_UNITS)
                             + "（写在此处的 unit: 或参数的 unit 中）", "unit")
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
                                 f"占位符 {{{name}}} 不可用"
                                 + (f"（是否应为 {{{guess}}}？）" if guess else ""),
                                 "unknown_placeholder")

    def notes(self) -> None:
        """Placeholders in notes name parameters; numbers in notes and messages agree with
        the parameters they describe (a difference is a warning)."""
        params = sorted(self.rule.parameters)
        texts: list[tuple[tuple[Any, ...], str]] = [
            (("parameters", n, "note"), p.note) for n, p in self.rule.parameters.items()]
        if self.rule.note:
            texts.append((("note",), self.rule.note))
        for path, text in texts:
            for name in placeholders(text):
                if name not in self.rule.parameters:
                    en, zh = _hint(suggest(name, params))
                    listed = ", ".join(params) or "none"
                    self.problem(path, f"placeholder {{{name}}} in a note must name a parameter "
                                 f"of this rule ({listed}){en}",
                                 f"说明中的占位符 {{{name}}} 应为本规则的参数名"
                                 f"（{'、'.join(params) or '无'}）{zh}", "unknown_placeholder")
        for path, mismatch, where_en, where_zh in rule_mismatches(self.rule):
            en, zh = mismatch.messages(where_en, where_zh)
            self.problem(path, en, zh, "stated_number", warning=True)

    def units(self) -> None:
        """A parameter's unit is one the rule language knows."""
        for name, param in self.rule.parameters.items():
            if param.unit is not None and param.unit not in PARAMETER_UNITS:
                en, zh = _hint(suggest(param.unit, list(PARAMETER_UNITS)))
                self.problem(("parameters", name, "unit"),
                             f"unit {param.unit!r} is not known{en}: use one of "
                             f"{', '.join(PARAMETER_UNITS)}",
                             f"单位 {param.unit!r} 无效{zh}，可选："
                             + "、".join(f"{u}（{w}）" for u, w in PARAMETER_UNITS.items()),
                             "unit")

    def items(self) -> None:
        """Each item must be a value of every field compared with ``{item: current}``."""
        for i, item in enumerate(self.rule.items or []):
            for info in self.item_fields:
                if info.values and item not in info.values:
                    en, zh = _hint(suggest(item, list(info.values)))
                    self.problem(("items", i), f"item {item!r} is not a value of {info.name}: "
                                 f"use one of {', '.join(info.values)}{en}",
                                 f"检查项 {item!r} 不是 {info.name} 允许的取值，可选："
                                 f"{'、'.join(info.values)}{zh}", "unknown_value")
                    break

    def clause_text(self, reg: Regulation) -> None:
        """``clause_text`` quotes its clause (``……`` may leave words out)."""
        clauses = reg.clauses
        text = clauses[self.rule.clause].zh
        missing = [f for f in _quote_fragments(self.rule.clause_text) if f not in text]
        if not missing:
            return
        fragments = _quote_fragments(self.rule.clause_text)
        elsewhere = [cid for cid, c in clauses.items() if all(f in c.zh for f in fragments)]
        if len(elsewhere) != 1 or sum(map(len, fragments)) < 4:
            elsewhere = []
        en = f" (it is quoted from clause {elsewhere[0]}: is the clause id right?)" \
            if elsewhere else ""
        zh = f"（这段文字出自条款 {elsewhere[0]}，条款号是否有误？）" if elsewhere else ""
        self.problem(("clause_text",),
                     f"clause_text is not a quote of clause {self.rule.clause} of the "
                     f"regulation ({reg.version}): {missing[0]!r} is not in its text{en}",
                     f"clause_text 不是制度（{reg.version}）条款 {self.rule.clause} 的原文："
                     f"{missing[0]!r} 不在该条款中{zh}", "clause_text")

    def available_names(self) -> set[str]:
        names = {"as_of", "id", "item", "supplier_id", "rule", "clause"}
        names.update(self._fields_of(self.rule.subject))
        for alias, rel in self.rule.related.items():
            names.update(f"{alias}.{f}" for f in self._fields_of(rel.collection))
        names.update(self.rule.parameters)
        names.update(self.rule.evidence)
        return names

    def _fields_of(self, collection: str) -> set[str]:
        if collection not in COLLECTIONS:
            return set()
        return set(self.fields.kinds(collection))


def _hint(guess: str | None) -> tuple[str, str]:
    """The " (did you mean ...?)" tail of a message, in English and Chinese."""
    if guess is None:
        return "", ""
    return f" (did you mean {guess!r}?)", f"（是否应为 {guess!r}？）"


def _quote_fragments(quote: str) -> list[str]:
    """The pieces of a quotation between ellipses, without their edge punctuation."""
    pieces = re.split(r"……|…|\.\.\.", quote)
    return [p.strip().strip("。；;，,、：:") for p in pieces if p.strip().strip("。；;，,、：:")]


#: the largest whole number a rule may hold (as facts: see ``facts.validate.MAX_INT``)
_MAX_INT = 10 ** 12 - 1


def _number_problem(value: Any) -> tuple[str, str] | None:
    """(en, zh) when ``value`` is a number the engine cannot hold."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number", f"{value} 不是有限的数"
    if abs(value) > _MAX_INT:
        return (f"{value!r:.40} has more than 12 digits (the engine computes in 64 bits)",
                f"{value!r:.40} 超过 12 位数字（规则引擎按 64 位整数计算）")
    return None


def check_rule(rule: Rule, where: _Locator, fields: Fields | None = None,
               reg: Regulation | None = None) -> list[Problem]:
    """Every problem of one rule (shape already validated), warnings included
    (``Problem.warning``). ``fields`` / ``reg``: the fields in force and the regulation
    (default: the bundled rules')."""
    return _RuleChecker(rule, where, fields if fields is not None else default_fields(),
                        reg if reg is not None else regulation()).run()

