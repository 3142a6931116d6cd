"""The step library: every phrase a feature file may use, with an example, and what it does.

pytest-bdd registers these functions (``tests/bdd/conftest.py``) and
``fuling-compliance test`` runs them (:mod:`.runner`): one set of step definitions.
``fuling-compliance steps`` lists them with the table headers each record type accepts.

Scenarios build fact sets from data tables through the public API
(:func:`~fuling_compliance.facts.load.load_facts_data`) and evaluate with
:func:`~fuling_compliance.reports.evaluate.evaluate` — the path a user takes. Table
conventions (:data:`TABLE_NOTES`): headers are the Chinese labels of the record type's
fields (or their keys, or ``编号 (id)``); an empty cell leaves the field out (unknown, or
"has not happened" for event times); ``未知`` states it is unknown; 是/否 are booleans;
choices may be written with their Chinese labels; list cells are separated by 、 or
commas (``无``: an empty list); times as ``2026-06-30 09:00``.

A step that does not hold raises :class:`StepFailure`: a short message in Chinese and
English (expected and actual outcome, the finding's message, "did you mean"), never a
traceback.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

from ..facts.labels import (
    COLLECTION_LABELS,
    FALSE_WORDS,
    FIELD_LABELS,
    STATUS_LABELS,
    TRUE_WORDS,
    VALUE_LABELS,
    collection_for_label,
    value_for_label,
)
from .gherkin import StepKind

if TYPE_CHECKING:
    from ..facts.fields import Fields
    from ..reports.diff import Diff
    from ..reports.report import Finding, Report
    from ..rules.load import RuleSet



def _hide(excinfo: Any) -> bool:
    """pytest hides this module's frames when a step does not hold (not on a bug)."""
    return bool(excinfo.errisinstance(StepFailure))


__tracebackhide__ = _hide
KEYWORDS: dict[StepKind, str] = {"given": "假如", "when": "当", "then": "那么"}
#: placeholder -> how it is shown in phrases (zh, en)
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "label": ("对象类型", "record type"), "moment": ("时间", "moment"),
    "rule": ("规则编号", "rule id"), "subject": ("编号", "id"), "status": ("结论", "outcome"),
    "item": ("项目", "item"), "text": ("文字", "text"), "party": ("责任方", "party"),
    "key": ("证据名", "evidence name"), "value": ("值", "value"),
    "ids": ("规则编号列表", "rule ids"), "waiver_id": ("豁免编号", "waiver id"),
    "state": ("状态", "state"), "severity": ("严重程度", "severity"),
    "count": ("数量", "count"), "line": ("行号", "line"), "change": ("变化", "change"),
    "before": ("原结论", "outcome before"), "after": ("现结论", "outcome after"),
    "new": ("新增数", "new"), "resolved": ("已消除数", "resolved"),
    "persisting": ("仍存在数", "persisting"), "supplier": ("企业编号", "supplier id"),
    "name": ("参数名", "parameter"), "folders": ("规则目录", "rule folders"),
    "param": ("参数名", "parameter"),
}
#: ``{name:d}`` and ``{name:g}`` in a phrase: the text they match and its conversion
_TYPES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "d": (r"[-+]?\d+", int),
    "g": (r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", float),
}
PARTIES = {"区经济信息委": "commission", "企业": "supplier", "commission": "commission",
           "supplier": "supplier"}
UNKNOWN_WORD = "未知"
EMPTY_LIST_WORD = "无"


class Text(NamedTuple):
    """A message in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


#: how a data table is read (shown by ``fuling-compliance steps``)
TABLE_NOTES: tuple[Text, ...] = (
    Text("表格第一行是列名：字段的中文名（或字段名，或“编号 (id)”）；其后每行一条记录",
         "the first row names the columns: a field's Chinese label (or key, or '编号 (id)'); "
         "each further row is one record"),
    Text("空单元格：不填写该字段（未知；事件时间为空表示尚未发生）；“未知”：明确写明未知",
         "an empty cell leaves the field out (unknown; an empty event time means it has not "
         "happened); '未知' states it is unknown"),
    Text("是/否：布尔值；选项可写中文名（如 窗口、已完成）；列表用 、 或逗号分隔，“无”为空列表",
         "是/否 are booleans; choices may be written with their Chinese labels; list cells "
         "are separated by 、 or commas, '无' is an empty list"),
    Text("时间写作 2026-06-30 09:00（重庆时间），日期写作 2026-06-30，时刻写作 08:30",
         "moments as 2026-06-30 09:00 (Chongqing time), dates as 2026-06-30, times as 08:30"),
)


class StepFailure(AssertionError):
    """A step that does not hold, in words for the people who wrote the scenario."""

    def __init__(self, message: Text, *, finding: Text | None = None,
                 hints: Sequence[Text] = ()) -> None:
        self.message = message
        self.finding = finding
        self.hints = tuple(hints)
        super().__init__("\n".join(self.lines("zh")))

    def lines(self, lang: str = "zh") -> list[str]:
        """The message, the finding's message and hints, one per line."""
        out = [self.message.get(lang)]
        if self.finding is not None:
            out.append(("说明：" if lang == "zh" else "message: ") + self.finding.get(lang))
        out.extend(hint.get(lang) for hint in self.hints)
        return out


# ----------------------------------------------------------------------------- registry
_PLACEHOLDER = re.compile(r"\{(\w+)(?::([dg]))?\}")
_QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class StepDef:
    """One step definition: its kind, phrases (the first is the one shown), its function."""

    kind: StepKind
    phrases: tuple[str, ...]
    func: Callable[..., None]
    example: str
    help: Text
    #: an example data table written under the step (shown by ``steps``)
    table_example: tuple[tuple[str, ...], ...] = ()

    @property
    def phrase(self) -> str:
        return self.phrases[0]

    @cached_property
    def regexes(self) -> tuple[re.Pattern[str], ...]:
        """Each phrase as a full-match regex, as pytest-bdd's ``parsers.parse`` reads it:
        ``{name}`` matches any text (``.+?``), ``{name:d}`` an integer, ``{name:g}`` a
        number."""
        out = []
        for phrase in self.phrases:
            parts, last = [], 0
            for m in _PLACEHOLDER.finditer(phrase):
                parts.append(re.escape(phrase[last:m.start()]))
                text = _TYPES[m.group(2)][0] if m.group(2) else ".+?"
                parts.append(f"(?P<{m.group(1)}>{text})")
                last = m.end()
            parts.append(re.escape(phrase[last:]))
            out.append(re.compile("".join(parts)))
        return tuple(out)

    @cached_property
    def converters(self) -> dict[str, Callable[[str], Any]]:
        """How typed placeholders become values (pytest-bdd applies the same)."""
        return {m.group(1): _TYPES[m.group(2)][1] for phrase in self.phrases
                for m in _PLACEHOLDER.finditer(phrase) if m.group(2)}

    def match(self, text: str) -> dict[str, Any] | None:
        for regex in self.regexes:
            m = regex.fullmatch(text)
            if m is not None:
                return {k: self.converters.get(k, str)(v) for k, v in m.groupdict().items()}
        return None

    def shown(self, lang: str = "zh") -> str:
        """The phrase with its placeholders named: ``评估时间为 "〈时间〉"``."""
        return _PLACEHOLDER.sub(
            lambda m: f"〈{PLACEHOLDERS[m.group(1)][0 if lang == 'zh' else 1]}〉", self.phrase)


STEPS: list[StepDef] = []


def step(kind: StepKind, *phrases: str, example: str, zh: str, en: str,
         table: Sequence[Sequence[str]] = ()) -> Callable[[Callable[..., None]],
                                                      Callable[..., None]]:
    """Register a step definition (the decorated function keeps its signature)."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        STEPS.append(StepDef(kind, phrases, func, example, Text(zh, en),
                             tuple(tuple(row) for row in table)))
        return func

    return register


def find_step(kind: StepKind, text: str) -> tuple[StepDef, dict[str, Any]] | None:
    """The step definition of this kind matching ``text``, with its arguments.

    When several match (``有以下豁免：`` is also ``有以下{label}：``), the one registered
    last wins, as in pytest-bdd: a specific phrase is defined after the general one.
    """
    for definition in reversed(STEPS):
        if definition.kind == kind:
            args = definition.match(text)
            if args is not None:
                return definition, args
    return None


def call_step(definition: StepDef, world: World, args: dict[str, Any],
              table: Sequence[Sequence[str]] | None, docstring: str | None = None) -> None:
    """Run a step definition as pytest-bdd does (``datatable``, ``docstring``)."""
    kwargs: dict[str, Any] = dict(args)
    if table is not None:
        kwargs["datatable"] = [list(row) for row in table]
    if docstring is not None:
        kwargs["docstring"] = docstring
    definition.func(world, **kwargs)


def _fill(phrase: str, text: str) -> str:
    """``phrase`` with the writer's own quoted values put in, where they line up."""
    values = _QUOTED.findall(text)
    slots = re.findall(r'"\{(\w+)(?::[dg])?\}"', phrase)
    out = phrase
    if len(values) == len(slots):
        for value in values:
            out = re.sub(r'"\{\w+(?::[dg])?\}"', '"' + value.replace("\\", "\\\\") + '"', out,
                         count=1)
    for m in list(_PLACEHOLDER.finditer(out)):
        before, after = out[max(0, m.start() - 2):m.start()], out[m.end():m.end() + 2]
        if before and after:
            found = re.search(re.escape(before) + r"(\S+?)" + re.escape(after), text)
            if found:
                out = out.replace(m.group(0), found.group(1), 1)
    return out


def nearest_steps(text: str, n: int = 3) -> list[str]:
    """The phrases closest to ``text``: the nearest with the writer's values put in."""
    plain = _QUOTED.sub('""', text)
    scored = []
    for order, definition in enumerate(STEPS):
        skeleton = _PLACEHOLDER.sub("", definition.phrase)
        ratio = difflib.SequenceMatcher(None, plain, skeleton).ratio()
        scored.append((-ratio, order, definition))
    scored.sort(key=lambda s: (s[0], s[1]))
    best = -scored[0][0]
    chosen = [d for r, _, d in scored if -r >= max(0.4, best - 0.15)][:n] or [scored[0][2]]
    out = []
    for i, definition in enumerate(chosen):
        filled = _fill(definition.phrase, text) if i == 0 else definition.phrase
        if _PLACEHOLDER.search(filled):
            filled = _PLACEHOLDER.sub(lambda m: f"〈{PLACEHOLDERS[m.group(1)][0]}〉", filled)
        out.append(f"{KEYWORDS[definition.kind]} {filled}")
    return out


def unknown_step(kind: StepKind, text: str) -> StepFailure:
    """The failure for a step no definition matches: the nearest phrases, in Chinese."""
    other = [d for d in STEPS if d.kind != kind and d.match(text) is not None]
    if other:
        right = other[0].kind
        return StepFailure(Text(
            f"“{text}”是“{KEYWORDS[right]}”步骤，这里却按“{KEYWORDS[kind]}”步骤读取"
            f"（“而且”“但是”沿用前一步骤的类型）；请以“{KEYWORDS[right]}”开头或移到相应位置",
            f"'{text}' is a {right} step but is read as a {kind} step here ('而且'/'但是' "
            f"continue the step before); start it with '{KEYWORDS[right]}' or move it"))
    hints = [Text(f"是否应为：{phrase}", f"did you mean: {phrase}")
             for phrase in nearest_steps(text)]
    hints.append(Text("全部步骤及表格列名：fuling-compliance steps",
                      "every step and table header: fuling-compliance steps"))
    return StepFailure(Text(f"没有这样的步骤：“{text}”", f"no step definition for '{text}'"),
                       hints=hints)


# ----------------------------------------------------------------------------- world
class World:
    """What a scenario has built so far; ``rules`` are the rules it is checked with."""

    def __init__(self, rules: RuleSet, root: Path | None = None,
                 rules_dirs: Sequence[Path] = ()) -> None:
        #: the rules of the run, and those the scenario checks with (a subset of them
        #: after 只检查规则)
        self.base_rules = rules
        self.rules = rules
        #: the folder 使用规则目录 names folders in (the project: the repository)
        self.root = root or Path(".")
        #: the folders the rules were read from (a scenario's parameters change a copy)
        self.rules_dirs = tuple(rules_dirs)
        #: (rule id, parameter) -> the parameter's value(s) in this scenario only
        self.parameters: dict[tuple[str, str], dict[str, Any]] = {}
        self.document: dict[str, Any] = {}
        self.as_of: dt.datetime | None = None
        self.report: Report | None = None
        #: waivers given with 有以下豁免 (rows of a waiver file)
        self.waivers: list[dict[str, Any]] = []
        #: the previous period: collections that differ from the current ones, and as_of
        self.previous: dict[str, Any] = {}
        self.previous_as_of: dt.datetime | None = None
        self.diff: Diff | None = None
        #: a waiver file's text, and the problems it was rejected with
        self.waiver_text: str | None = None
        self.waiver_problems: list[Any] = []
        #: a draft rule set (the current rules with parameters changed)
        self.draft: RuleSet | None = None


# ----------------------------------------------------------------------------- tables
def _choices(words: Sequence[str], lang: str = "zh") -> str:
    return ("、" if lang == "zh" else ", ").join(words)


def _did_you_mean(word: str, choices: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)


def collection_of(label: str) -> str:
    """The record type for a label (``员工``) or key; a failure naming the nearest ones."""
    collection = collection_for_label(label.strip())
    if collection is not None:
        return collection
    labels = list(COLLECTION_LABELS.values())
    close = _did_you_mean(label, labels)
    guess_zh = f"（是否应为 {_choices([f'“{c}”' for c in close])}？）" if close else ""
    guess_en = f" (did you mean {', '.join(close)}?)" if close else ""
    raise StepFailure(Text(f"没有“{label}”这种对象{guess_zh}",
                           f"no record type '{label}'{guess_en}"),
                      hints=[Text(f"可用的对象类型：{_choices(labels)}",
                                  f"record types: {', '.join(COLLECTION_LABELS)}")])


def _label(fields: Fields, collection: str, name: str) -> str:
    return fields.label(collection, name) or name


def header_field(fields: Fields, collection: str, header: str) -> str:
    """The field a column header names in this record type; a failure with the nearest.

    ``fields`` are the fields in force (the built-in ones and those the rules declare).
    """
    specs = fields.specs(collection)
    key = fields.field_for_label(collection, header)
    if key is not None and key in specs:
        return key
    kind = COLLECTION_LABELS[collection]
    labels = [_label(fields, collection, f) for f in specs]
    close = _did_you_mean(header.strip(), labels + list(specs))
    guess_zh = f"（是否应为 {_choices([f'“{c}”' for c in close])}？）" if close else ""
    guess_en = f" (did you mean {', '.join(close)}?)" if close else ""
    elsewhere = ""
    if key is not None:
        owners = [COLLECTION_LABELS[c] for c in COLLECTION_LABELS if key in fields.specs(c)]
        elsewhere = f"；“{header}”是 {_choices(owners)} 的列" if owners else ""
    raise StepFailure(
        Text(f"{kind}没有“{header}”这一列{guess_zh}{elsewhere}",
             f"{collection} has no column '{header}'{guess_en}"),
        hints=[Text(f"{kind}的列：{_choices(labels)}",
                    f"columns of {collection}: {', '.join(specs)}")])


def _choice(fields: Fields, collection: str, field_name: str, text: str,
            allowed: Sequence[str]) -> str:
    value = fields.value_for_label(collection, field_name, text)
    if value in allowed:
        return value
    labels = [fields.value_label(collection, field_name, v) for v in allowed]
    close = _did_you_mean(text, labels + list(allowed))
    guess_zh = f"（是否应为 {_choices([f'“{c}”' for c in close])}？）" if close else ""
    label = _label(fields, collection, field_name)
    raise StepFailure(
        Text(f"{COLLECTION_LABELS[collection]}的“{label}”不能是“{text}”{guess_zh}；"
             f"可选：{_choices(labels)}",
             f"{collection}.{field_name} cannot be '{text}'; choices: {', '.join(allowed)}"))


def cell_value(fields: Fields, collection: str, field_name: str, text: str) -> Any:
    """A table cell as the value of a field (choices and booleans are checked here)."""
    spec = fields.specs(collection)[field_name]
    text = text.strip()
    if text == UNKNOWN_WORD:
        return None
    if spec.kind == "bool":
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        label = _label(fields, collection, field_name)
        raise StepFailure(Text(f"{COLLECTION_LABELS[collection]}的“{label}”应为 是 或 否，"
                               f"不能是“{text}”",
                               f"{collection}.{field_name} must be 是 or 否, not '{text}'"))
    if spec.kind == "list":
        if text == EMPTY_LIST_WORD:
            return []
        words = [w.strip() for w in re.split(r"[、,，]", text) if w.strip()]
        if spec.values:
            return [_choice(fields, collection, field_name, w, spec.values) for w in words]
        return words
    if spec.kind == "enum":
        return _choice(fields, collection, field_name, text, spec.values)
    if spec.kind == "int" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if spec.kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    if spec.kind == "datetime" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", text):
        return text.replace(" ", "T")
    return text  # anything else goes to the loader, which says what is wrong


def table_records(fields: Fields, collection: str, table: Sequence[Sequence[str]]
                  ) -> list[dict[str, Any]]:
    """The records of a data table (header row, then one record a row)."""
    names = [header_field(fields, collection, label) for label in table[0]]
    records = []
    for row in table[1:]:
        record: dict[str, Any] = {}
        for field_name, text in zip(names, row, strict=True):
            if text.strip():
                record[field_name] = cell_value(fields, collection, field_name, text)
        records.append(record)
    return records


# ----------------------------------------------------------------------------- given, when
_EXAMPLE_TABLE = (("编号", "企业编号", "名称", "岗位", "已培训"),
                  ("E1", "S1", "张晓梅", "窗口", "是"))


@step("given", "有以下{label}：", "有以下{label}:", example="有以下员工：",
      zh="下一行起写表格：第一行为列名，其后每行一条记录（区经济信息委只有一行）",
      en="a data table follows: a header row, then one record a row (the Commission: one row)",
      table=_EXAMPLE_TABLE)
def given_records(world: World, label: str, datatable: list[list[str]] | None = None) -> None:
    collection = collection_of(label)
    if not datatable or len(datatable) < 2:
        raise StepFailure(Text(f"“有以下{label}：”下面应有一个表格：第一行为列名，"
                               "其后每行一条记录",
                               f"'有以下{label}：' needs a data table: a header row and "
                               "one row per record"))
    records = table_records(world.rules.fields, collection, datatable)
    if collection == "commission":
        if len(records) != 1:
            raise StepFailure(Text("区经济信息委只能有一行记录",
                                   "the Commission is one record (one row)"))
        world.document["commission"] = records[0]
    else:
        world.document.setdefault(collection, []).extend(records)


@step("given", "使用规则目录 {folders}", example='使用规则目录 "rules"、"examples/fields/rules"',
      zh="用这些规则目录（相对于项目目录）检查，写在所有表格之前（其中声明的字段随之可用）",
      en="check with the rules of these folders (relative to the project), before any table "
         "(the fields they declare become columns)")
def given_rules(world: World, folders: str) -> None:
    from ..errors import InputError
    from ..rules.load import load_rules

    if world.document:
        raise StepFailure(Text("“使用规则目录”应写在所有表格之前（规则声明的字段决定表格的列）",
                               "name the rules before the records (their fields apply)"))
    names = re.findall(r'"([^"]+)"', folders)
    paths = [world.root / name for name in names]
    missing = [name for name, path in zip(names, paths, strict=True) if not path.exists()]
    if not names or missing:
        raise StepFailure(Text(f"没有规则目录 {_choices(missing) or folders}（目录写在引号中，"
                               f"相对于 {world.root}）",
                               f"no rules folder {', '.join(missing) or folders} "
                               f"(quoted, relative to {world.root})"))
    try:
        world.rules = world.base_rules = load_rules(paths)
        world.rules_dirs = tuple(paths)
    except InputError as exc:
        raise StepFailure(Text("规则文件有问题：", "the rule files were rejected:"),
                          hints=[Text("  " + p.render("zh"), "  " + p.render("en"))
                                 for p in exc.problems]) from None


@step("given", '评估时间为 "{moment}"', example='评估时间为 "2026-06-30 23:59"',
      zh="判断的时刻（as_of），重庆时间", en="the moment of judgement (as_of), Chongqing time")
def given_as_of(world: World, moment: str) -> None:
    try:
        world.as_of = dt.datetime.fromisoformat(moment.strip().replace(" ", "T"))
    except ValueError:
        raise StepFailure(Text(f"评估时间“{moment}”的格式不对，应写作 2026-06-30 23:59",
                               f"as_of '{moment}' is not a moment like 2026-06-30 23:59")
                          ) from None


@step("given", '规则 "{rule}" 的参数 "{param}" 取值为 {value:d}',
      example='规则 "CMP-04" 的参数 "reply_days" 取值为 7',
      zh="只在本场景中把规则的一个参数改为另一个值（规则文件不变）",
      en="another value for one parameter, in this scenario only (the rule files unchanged)")
def given_parameter(world: World, rule: str, param: str, value: int) -> None:
    world.parameters[(rule, param)] = {"value": value}


@step("given", '规则 "{rule}" 的参数 "{param}" 按日期取值：',
      '规则 "{rule}" 的参数 "{param}" 按日期取值:',
      example='规则 "CMP-04" 的参数 "reply_days" 按日期取值：',
      zh="只在本场景中给参数按日期取值：表格两列 起始日期、取值",
      en="dated values for one parameter, in this scenario only: columns 起始日期, 取值",
      table=(("起始日期", "取值"), ("2026-01-01", "10"), ("2026-07-01", "7")))
def given_dated_parameter(world: World, rule: str, param: str,
                          datatable: list[list[str]] | None = None) -> None:
    if not datatable or [h.strip() for h in datatable[0]] != ["起始日期", "取值"] \
            or len(datatable) < 2:
        raise StepFailure(Text("下面应有一个表格，列为“起始日期”和“取值”，每行一个取值",
                               "a table with the columns 起始日期 and 取值 must follow"))
    values = []
    for day, value in datatable[1:]:
        try:
            values.append({"from": dt.date.fromisoformat(day.strip()), "value": int(value)})
        except ValueError:
            raise StepFailure(Text(f"“{day} | {value}”：起始日期写作 2026-07-01，取值为整数",
                                   f"'{day} | {value}': a date like 2026-07-01 and an integer")
                              ) from None
    world.parameters[(rule, param)] = {"values": values}


def _rules_with(world: World) -> RuleSet:
    """The scenario's rules with its parameters: loaded (and validated) from a copy of
    their folders in which the parameters are changed; the rule files stay as they are."""
    import shutil
    import tempfile

    import yaml

    from ..errors import InputError
    from ..rules.load import bundled_rules_dir, load_rules

    found: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory() as folder:
        targets = []
        for n, source in enumerate(world.rules_dirs or (bundled_rules_dir(),)):
            target = Path(folder) / f"{n}-{source.name}"
            if source.is_dir():
                shutil.copytree(source, target)
            else:  # a single rule file
                target.mkdir()
                shutil.copy(source, target)
            targets.append(target)
            for path in sorted(target.glob("*.yaml")):
                doc = yaml.safe_load(path.read_text(encoding="utf-8"))
                if not isinstance(doc, dict) or "rules" not in doc:
                    continue  # ruleset.yaml, fields files
                for rule in doc["rules"]:
                    for name, param in (rule.get("parameters") or {}).items():
                        change = world.parameters.get((rule["id"], name))
                        if change is not None:
                            param.pop("value", None)
                            param.pop("values", None)
                            param.update(change)
                            found.add((rule["id"], name))
                path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                encoding="utf-8")
        missing = sorted(set(world.parameters) - found)
        if missing:
            shown = "、".join(f"{r} 的 {p}" for r, p in missing)
            raise StepFailure(Text(f"没有这样的规则参数：{shown}",
                                   f"no such rule parameter: {missing}"))
        try:
            rules = load_rules(targets)
        except InputError as exc:
            raise StepFailure(Text("改动参数后的规则被拒绝：", "the changed rules were rejected:"),
                              hints=[Text("  " + p.render("zh"), "  " + p.render("en"))
                                     for p in exc.problems]) from None
    selected = {r.id for r in world.rules}
    return rules.select([r.id for r in rules if r.id in selected])


@step("when", "进行合规检查", example="进行合规检查",
      zh="用规则评估上面的全部记录", en="evaluate every record above with the rules")
def when_check(world: World) -> None:
    from ..errors import CalendarError, InputError
    from ..facts.load import load_facts_data
    from ..reports.evaluate import evaluate

    if world.parameters:
        world.rules = _rules_with(world)
    try:
        facts = load_facts_data(world.document, rules=world.rules)
        world.report = evaluate(world.rules, facts, world.as_of, all_outcomes=True,
                                waivers=_waivers(world))
    except InputError as exc:
        raise StepFailure(Text("表格中的数据被拒绝：", "the tables' data was rejected:"),
                          hints=[_problem_text(p) for p in exc.problems]) from None
    except CalendarError as exc:
        raise StepFailure(Text(f"没有 {exc.year} 年的工作日历（可在 rules/calendar/ 中添加）",
                               str(exc))) from None


@step("then", '事实数据有警告："{text}"', example='事实数据有警告："contradict each other"',
      zh="载入表格时给出的警告（如互相矛盾的字段）包含这段文字",
      en="a warning given when the tables were loaded contains the text")
def then_warning(world: World, text: str) -> None:
    if world.report is None:
        raise StepFailure(Text("还没有进行检查（缺少“当 进行合规检查”）", "no check was run"))
    warnings = world.report.facts.warnings
    if not any(text in w for w in warnings):
        raise StepFailure(Text(f"警告中没有“{text}”；警告有：{'；'.join(warnings) or '（无）'}",
                               f"{text!r} not in the warnings {warnings}"))


def _problem_text(problem: Any) -> Text:
    collection = problem.collection
    kind = COLLECTION_LABELS.get(collection, collection or "")
    where_zh = " ".join(x for x in (kind, problem.record or "") if x)
    where_en = " ".join(x for x in (collection or "", problem.record or "") if x)
    if problem.field:
        where_zh += f" 的“{FIELD_LABELS.get(problem.field, problem.field)}”"
        where_en += f".{problem.field}"
    zh = problem.message_zh or problem.message
    return Text(f"  {where_zh}：{zh}" if where_zh else f"  {zh}",
                f"  {where_en}: {problem.message}" if where_en else f"  {problem.message}")


# ----------------------------------------------------------------------------- then
def status_key(label: str) -> str:
    """``pass`` for ``合规`` (or ``pass``); a failure listing the four outcomes."""
    for key, text in STATUS_LABELS.items():
        if label.strip() in (key, text):
            return key
    close = _did_you_mean(label, list(STATUS_LABELS.values()))
    guess = f"（是否应为“{close[0]}”？）" if close else ""
    words = _choices(list(STATUS_LABELS.values()))
    raise StepFailure(Text(f"没有“{label}”这种结论{guess}；可选：{words}",
                           f"no outcome '{label}'; use one of {', '.join(STATUS_LABELS)}"))


def _finding(world: World, rule_id: str, label: str, subject: str, item: str | None) -> Finding:
    if world.report is None:
        raise StepFailure(Text("还没有进行检查（缺少“当 进行合规检查”）",
                               "no check was run (missing '当 进行合规检查')"))
    ids = [r.id for r in world.rules]
    if rule_id not in ids:
        close = _did_you_mean(rule_id, ids)
        guess = f"（是否应为 {_choices(close)}？）" if close else ""
        raise StepFailure(Text(f"没有规则 {rule_id}{guess}",
                               f"no rule {rule_id}" + (f" (did you mean {', '.join(close)}?)"
                                                       if close else "")))
    rule = world.rules.get(rule_id)
    collection = collection_of(label)
    if collection != rule.subject:
        raise StepFailure(Text(
            f"规则 {rule_id} 判断的对象是“{COLLECTION_LABELS[rule.subject]}”，不是“{label}”",
            f"rule {rule_id} judges {rule.subject}, not {collection}"))
    if item is not None and item not in (rule.items or []):
        shown = [VALUE_LABELS.get(i, i) for i in rule.items or []]
        raise StepFailure(Text(
            f"规则 {rule_id} 没有“{item}”项" + (f"；它的项目：{_choices(shown)}" if shown
                                              else "（它不逐项判断）"),
            f"rule {rule_id} has no item '{item}'"))
    matches = [f for f in world.report.findings
               if f.rule == rule_id and f.subject.id == subject and f.item == item]
    if not matches:
        known = sorted({f.subject.id for f in world.report.findings if f.rule == rule_id})
        hint = [Text(f"规则 {rule_id} 判断了：{_choices(known) or '（没有对象）'}",
                     f"rule {rule_id} judged: {', '.join(known) or '(nothing)'}")]
        raise StepFailure(Text(f"规则 {rule_id} 对{label}“{subject}”没有结论",
                               f"rule {rule_id} has no outcome for {collection} '{subject}'"),
                          hints=hint)
    return matches[0]


def _message(finding: Finding) -> Text:
    return Text(finding.message.zh, finding.message.en)


def _expect_status(finding: Finding, status: str) -> None:
    expected = status_key(status)
    if finding.status != expected:
        raise StepFailure(Text(
            f"结论应为“{STATUS_LABELS[expected]}”，实际为“{STATUS_LABELS[finding.status]}”",
            f"expected {expected} ({STATUS_LABELS[expected]}), got {finding.status} "
            f"({STATUS_LABELS[finding.status]})"), finding=_message(finding))


def _expect_text(finding: Finding, text: str) -> None:
    if text not in finding.message.zh:
        raise StepFailure(Text(f"说明中没有“{text}”", f"'{text}' is not in the message"),
                          finding=_message(finding))


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的结论为 "{status}"',
      example='规则 "VIS-02" 对 上门服务 "AP-1" 的结论为 "不合规"',
      zh="结论：合规、不合规、数据不足、不适用",
      en="outcome: 合规 (pass), 不合规 (fail), 数据不足 (insufficient data), 不适用 (n/a)")
def then_outcome(world: World, rule: str, label: str, subject: str, status: str) -> None:
    _expect_status(_finding(world, rule, label, subject, None), status)


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的 "{item}" 项结论为 "{status}"',
      example='规则 "DIS-01" 对 供电供气企业 "S1" 的 "主要法定义务" 项结论为 "不合规"',
      zh="逐项判断的规则（DIS-01/04/05、HOT-02/03、SYS-01）某一项的结论",
      en="the outcome of one item of an item-by-item rule")
def then_item_outcome(world: World, rule: str, label: str, subject: str, item: str,
                      status: str) -> None:
    _expect_status(_finding(world, rule, label, subject, value_for_label(item)), status)


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的说明包含 "{text}"',
      example='规则 "VIS-02" 对 上门服务 "AP-1" 的说明包含 "迟到 25 分钟"',
      zh="结论的中文说明中包含这段文字", en="the Chinese message contains the text")
def then_message(world: World, rule: str, label: str, subject: str, text: str) -> None:
    _expect_text(_finding(world, rule, label, subject, None), text)


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的 "{item}" 项说明包含 "{text}"',
      example='规则 "DIS-05" 对 供电供气企业 "S1" 的 "监督电话" 项说明包含 "监督电话"',
      zh="某一项结论的中文说明中包含这段文字", en="one item's Chinese message contains the text")
def then_item_message(world: World, rule: str, label: str, subject: str, item: str,
                      text: str) -> None:
    _expect_text(_finding(world, rule, label, subject, value_for_label(item)), text)


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的责任方为 "{party}"',
      example='规则 "CMP-06" 对 投诉 "T1" 的责任方为 "区经济信息委"',
      zh="责任方：企业 或 区经济信息委", en="party responsible: 企业 (supplier) or 区经济信息委")
def then_responsible(world: World, rule: str, label: str, subject: str, party: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    expected = PARTIES.get(party.strip())
    if expected is None:
        raise StepFailure(Text(f"责任方应为“企业”或“区经济信息委”，不能是“{party}”",
                               f"party must be 企业 or 区经济信息委, not '{party}'"))
    if finding.responsible.type != expected:
        actual = "区经济信息委" if finding.responsible.type == "commission" else "企业"
        raise StepFailure(Text(f"责任方应为“{party}”，实际为“{actual}”",
                               f"expected {expected} responsible, got "
                               f"{finding.responsible.type}"), finding=_message(finding))


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的证据 "{key}" 为 "{value}"',
      example='规则 "VIS-02" 对 上门服务 "AP-1" 的证据 "late_minutes" 为 "25"',
      zh="结论的证据（check --format json 中的 evidence）：是/否/未知 或数值文字",
      en="a value of the finding's evidence: 是/否/未知 or the value as text")
def then_evidence(world: World, rule: str, label: str, subject: str, key: str,
                  value: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    if key not in finding.evidence:
        keys = sorted(finding.evidence)
        raise StepFailure(Text(f"没有证据“{key}”；有：{_choices(keys) or '（无）'}",
                               f"no evidence {key!r}; there is: {', '.join(keys)}"),
                          finding=_message(finding))
    shown = finding.evidence[key]
    shown = UNKNOWN_WORD if shown is None else ("是" if shown is True else "否"
                                                if shown is False else str(shown))
    if shown != value:
        raise StepFailure(Text(f"证据“{key}”应为“{value}”，实际为“{shown}”",
                               f"evidence {key!r} is {shown!r}, expected {value!r}"),
                          finding=_message(finding))


# ----------------------------------------------------------------------------- rule subsets
@step("given", "只检查规则 {ids}", example='只检查规则 "OUT-03"、"STF-05"',
      zh="只用这些规则检查（其余规则不评估），结论的计数只涉及它们",
      en="check with these rules only, so that counts are about them")
def given_only_rules(world: World, ids: str) -> None:
    wanted = re.findall(r'"([^"]+)"', ids)
    known = [r.id for r in world.base_rules]
    unknown = [w for w in wanted if w not in known]
    if not wanted or unknown:
        close = [c for w in unknown for c in _did_you_mean(w, known)[:1]]
        guess = f"（是否应为 {_choices(close)}？）" if close else ""
        raise StepFailure(Text(f"没有规则 {_choices(unknown) or ids}{guess}；规则编号写在引号中，"
                               "如 只检查规则 \"OUT-03\"、\"STF-05\"",
                               f"no rule {', '.join(unknown) or ids}; quote the rule ids"))
    world.rules = world.base_rules.select(wanted)


# ----------------------------------------------------------------------------- waivers
#: the columns of 有以下豁免 -> the keys of a waiver (lists separated by 、)
WAIVER_COLUMNS = {"编号": "id", "规则": "rule", "对象": "subjects", "企业编号": "supplier_id",
                  "检查项": "items", "理由": "reason", "批准人": "approved_by",
                  "批准日期": "approved_on", "到期日期": "expires_on", "文号": "document"}
WAIVER_STATES = {"有效": "in_force", "已到期": "expired", "尚未生效": "not_yet_in_force"}
SEVERITY_WORDS = {"严重": "high", "一般": "medium", "轻微": "low", "提示": "info"}
CHANGE_WORDS = {"新增": "new", "已消除": "resolved", "仍存在": "persisting"}


def _waivers(world: World) -> Any:
    if not world.waivers:
        return None
    from ..rules.waivers import load_waivers_data

    return load_waivers_data({"format": "fuling-compliance/waivers/v1",
                              "waivers": world.waivers}, world.rules)


@step("given", "有以下豁免：", "有以下豁免:", example="有以下豁免：",
      zh="区经济信息委批准的豁免，一行一项；对象、检查项可用 、 分隔多个",
      en="waivers approved by the Commission, one a row; several subjects or items with 、",
      table=(("编号", "规则", "对象", "理由", "批准人", "批准日期", "到期日期"),
             ("WV-1", "OUT-02", "A1", "自有营业厅在建", "区经济信息委 张某", "2026-03-01",
              "2026-12-31")))
def given_waivers(world: World, datatable: list[list[str]] | None = None) -> None:
    if not datatable or len(datatable) < 2:
        raise StepFailure(Text("“有以下豁免：”下面应有一个表格", "'有以下豁免：' needs a table"))
    header = datatable[0]
    for label in header:
        if label.strip() not in WAIVER_COLUMNS:
            close = _did_you_mean(label, list(WAIVER_COLUMNS))
            guess = f"（是否应为 {_choices([f'“{c}”' for c in close])}？）" if close else ""
            raise StepFailure(Text(f"豁免没有“{label}”这一列{guess}；豁免的列："
                                   f"{_choices(list(WAIVER_COLUMNS))}",
                                   f"waivers have no column '{label}'; columns: "
                                   f"{', '.join(WAIVER_COLUMNS.values())}"))
    for row in datatable[1:]:
        waiver: dict[str, Any] = {}
        for label, text in zip(header, row, strict=True):
            key, value = WAIVER_COLUMNS[label.strip()], text.strip()
            if not value:
                continue
            if key in ("subjects", "items"):
                waiver[key] = [value_for_label(v.strip()) for v in re.split(r"[、,，]", value)]
            elif key == "rule" and re.search(r"[、,，]", value):
                waiver[key] = [v.strip() for v in re.split(r"[、,，]", value)]
            else:
                waiver[key] = value
        world.waivers.append(waiver)


def _waiver_use(world: World, waiver_id: str) -> Any:
    if world.report is None or world.report.waivers is None:
        raise StepFailure(Text("这次检查没有使用豁免（缺少“有以下豁免：”？）",
                               "no waivers were applied"))
    uses = [w for w in world.report.waivers if w.id == waiver_id]
    if not uses:
        known = [w.id for w in world.report.waivers]
        raise StepFailure(Text(f"检查结果中没有豁免“{waiver_id}”；有：{_choices(known)}",
                               f"no waiver {waiver_id!r} in the report: {', '.join(known)}"))
    return uses[0]


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的原结论为 "{status}"',
      example='规则 "OUT-02" 对 辖区 "A1" 的原结论为 "不合规"',
      zh="被豁免的结论原来的结论", en="the outcome a waived finding had")
def then_original_status(world: World, rule: str, label: str, subject: str,
                         status: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    if finding.status != "waived":
        raise StepFailure(Text(f"结论为“{STATUS_LABELS[finding.status]}”，没有被豁免",
                               f"{rule} on {subject} is {finding.status}, not waived"),
                          finding=_message(finding))
    expected = status_key(status)
    if finding.original_status != expected:
        actual = STATUS_LABELS.get(finding.original_status or "", str(finding.original_status))
        raise StepFailure(Text(f"原结论应为“{STATUS_LABELS[expected]}”，实际为“{actual}”",
                               f"expected original outcome {expected}, got "
                               f"{finding.original_status}"), finding=_message(finding))


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的豁免为 "{waiver_id}"，理由包含 "{text}"',
      example='规则 "OUT-02" 对 辖区 "A1" 的豁免为 "WV-1"，理由包含 "自有营业厅在建"',
      zh="结论被哪项豁免覆盖、理由（也写入 JSON 报告）",
      en="the waiver covering the finding and its reason (also in the JSON report)")
def then_waiver_of(world: World, rule: str, label: str, subject: str, waiver_id: str,
                   text: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    if finding.waiver is None:
        raise StepFailure(Text("这个结论没有被豁免", f"{rule} on {subject} has no waiver"),
                          finding=_message(finding))
    if finding.waiver.id != waiver_id or text not in finding.waiver.reason:
        raise StepFailure(Text(f"豁免应为“{waiver_id}”、理由包含“{text}”，实际为"
                               f"“{finding.waiver.id}”：{finding.waiver.reason}",
                               f"expected waiver {waiver_id} with '{text}', got "
                               f"{finding.waiver.id}: {finding.waiver.reason}"))
    assert world.report is not None
    shown = json.loads(world.report.to_json())
    if not any(f["rule"] == rule and f["subject"]["id"] == subject
               and f.get("waiver", {}).get("id") == waiver_id for f in shown["findings"]):
        raise StepFailure(Text("JSON 报告中没有这项豁免", "the waiver is not in the JSON report"))


@step("then", '汇总中 "{status}" 有 {count:d} 项', example='汇总中 "已豁免" 有 1 项',
      zh="检查结果汇总中某种结论的数量（与逐条规则的计数一致）",
      en="how many outcomes of a kind the summary counts (and the rules' counts add up)")
def then_summary_count(world: World, status: str, count: int) -> None:
    if world.report is None:
        raise StepFailure(Text("还没有进行检查", "no check was run"))
    key = status_key(status)
    total = world.report.summary.get(key)
    per_rule = sum(r.waived if key == "waived" else getattr(r, "pass_" if key == "pass" else key)
                   for r in world.report.rules)
    if (total, per_rule) != (count, count):
        raise StepFailure(Text(f"“{status}”应有 {count} 项，汇总为 {total} 项，逐条规则合计 "
                               f"{per_rule} 项",
                               f"expected {count} {key}, the summary says {total}, the rules "
                               f"add up to {per_rule}"))


@step("then", '豁免 "{waiver_id}" 的状态为 "{state}"', example='豁免 "WV-1" 的状态为 "有效"',
      zh="状态：有效、已到期、尚未生效", en="state: 有效 (in force), 已到期, 尚未生效")
def then_waiver_state(world: World, waiver_id: str, state: str) -> None:
    if state not in WAIVER_STATES:
        raise StepFailure(Text(f"豁免状态应为 {_choices(list(WAIVER_STATES))}，不能是“{state}”",
                               f"a waiver's state is one of {', '.join(WAIVER_STATES)}"))
    use = _waiver_use(world, waiver_id)
    if use.state != WAIVER_STATES[state]:
        actual = {v: k for k, v in WAIVER_STATES.items()}.get(use.state, use.state)
        raise StepFailure(Text(f"豁免“{waiver_id}”的状态应为“{state}”，实际为“{actual}”",
                               f"waiver {waiver_id}: expected {WAIVER_STATES[state]}, got "
                               f"{use.state}"))


@step("then", '有关于豁免 "{waiver_id}" 的警告，包含 "{text}"',
      example='有关于豁免 "WV-3" 的警告，包含 "已于 2026-05-31 到期"',
      zh="到期、尚未生效或没有对应结论的豁免给出警告", en="a warning about the waiver")
def then_waiver_warning(world: World, waiver_id: str, text: str) -> None:
    use = _waiver_use(world, waiver_id)
    if use.warning is None or text not in use.warning.zh:
        shown = "（没有警告）" if use.warning is None else use.warning.zh
        raise StepFailure(Text(f"关于豁免“{waiver_id}”的警告应包含“{text}”，实际为：{shown}",
                               f"the warning about {waiver_id} should contain '{text}': "
                               f"{use.warning.en if use.warning else '(none)'}"))


@step("then", "没有关于豁免的警告", example="没有关于豁免的警告",
      zh="所有豁免都适用，没有警告", en="no waiver gives a warning")
def then_no_waiver_warning(world: World) -> None:
    if world.report is None or world.report.waivers is None:
        raise StepFailure(Text("这次检查没有使用豁免", "no waivers were applied"))
    warnings = world.report.waiver_warnings()
    if warnings:
        raise StepFailure(Text("有关于豁免的警告：" + "；".join(w.zh for w in warnings),
                               "waiver warnings: " + "; ".join(w.en for w in warnings)))


def _severity(word: str) -> str:
    severity = SEVERITY_WORDS.get(word, word)
    if severity not in SEVERITY_WORDS.values():
        raise StepFailure(Text(f"严重程度应为 {_choices(list(SEVERITY_WORDS))}，不能是“{word}”",
                               f"severity is one of {', '.join(SEVERITY_WORDS.values())}"))
    return severity


def _expect_failing(found: list[Any], count: int, what: Text) -> None:
    if len(found) != count:
        listed = "、".join(f"{f.rule} {f.subject.id}" for f in found) or "无"
        raise StepFailure(Text(f"{what.zh}应有 {count} 项，实际 {len(found)} 项：{listed}",
                               f"{what.en}: expected {count}, got {len(found)}: {listed}"))


@step("then", '达到 "{severity}" 级别的不合规结论有 {count:d} 项',
      example='达到 "提示" 级别的不合规结论有 1 项',
      zh="计入退出码的不合规结论（严重、一般、轻微、提示及以上）",
      en="failing findings at or above a severity (what the exit code counts)")
def then_failing_count(world: World, severity: str, count: int) -> None:
    if world.report is None:
        raise StepFailure(Text("还没有进行检查", "no check was run"))
    _expect_failing(world.report.failing(_severity(severity)), count,
                    Text(f"达到“{severity}”级别的不合规结论", f"failing at {severity} or above"))


@step("then", '只计新增时，达到 "{severity}" 级别的不合规结论有 {count:d} 项',
      example='只计新增时，达到 "轻微" 级别的不合规结论有 1 项',
      zh="以上期为基线时，只计新增的不合规结论", en="the same, counting only new findings")
def then_new_failing_count(world: World, severity: str, count: int) -> None:
    if world.report is None or world.report.baseline is None:
        raise StepFailure(Text("没有以上期结果为基线进行检查", "no check against a baseline"))
    _expect_failing(world.report.failing(_severity(severity), new_only=True), count,
                    Text(f"新增的达到“{severity}”级别的不合规结论",
                         f"new failing at {severity} or above"))


@step("given", "有以下豁免文件：", "有以下豁免文件:", example="有以下豁免文件：",
      zh='下一行起用 """ 括起豁免文件（YAML）的内容', en='a waiver file follows between """')
def given_waiver_file(world: World, docstring: str | None = None) -> None:
    if docstring is None:
        raise StepFailure(Text('“有以下豁免文件：”下面应有用 """ 括起的文件内容',
                               "'有以下豁免文件：' needs a text block"))
    world.waiver_text = docstring


@step("when", "读取豁免文件", example="读取豁免文件",
      zh="检查上面的豁免文件", en="read and check the waiver file above")
def when_read_waivers(world: World) -> None:
    import tempfile
    from pathlib import Path

    from ..errors import WaiversError
    from ..rules.waivers import load_waivers

    if world.waiver_text is None:
        raise StepFailure(Text("缺少“有以下豁免文件：”", "no waiver file was given"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "waivers.yaml"
        path.write_text(world.waiver_text + "\n", encoding="utf-8")
        try:
            load_waivers([path], world.rules)
        except WaiversError as exc:
            world.waiver_problems = list(exc.problems)
        else:
            world.waiver_problems = []


@step("then", '豁免文件被拒绝，第 {line:d} 行指出 "{text}"',
      example='豁免文件被拒绝，第 4 行指出 "未知的规则编号"',
      zh="豁免文件的问题及其行号", en="a problem of the waiver file, at its line")
def then_waiver_problem(world: World, line: int, text: str) -> None:
    if not world.waiver_problems:
        raise StepFailure(Text("豁免文件被接受了（没有问题）", "the waiver file was accepted"))
    found = [p for p in world.waiver_problems if p.line == line and p.column is not None
             and text in p.render("zh")]
    if not found:
        shown = [Text("  " + p.render("zh"), "  " + p.render("en"))
                 for p in world.waiver_problems]
        raise StepFailure(Text(f"第 {line} 行没有指出“{text}”；问题有：",
                               f"no problem at line {line} saying '{text}'; problems:"),
                          hints=shown)


# ----------------------------------------------------------------------------- over time
@step("given", '上期评估时间为 "{moment}"', example='上期评估时间为 "2026-03-31 23:59"',
      zh="上一期的判断时刻", en="the previous period's moment of judgement")
def given_previous_as_of(world: World, moment: str) -> None:
    try:
        world.previous_as_of = dt.datetime.fromisoformat(moment.strip().replace(" ", "T"))
    except ValueError:
        raise StepFailure(Text(f"上期评估时间“{moment}”的格式不对，应写作 2026-03-31 23:59",
                               f"'{moment}' is not a moment like 2026-03-31 23:59")) from None


@step("given", "上期有以下{label}：", "上期有以下{label}:", example="上期有以下服务网点：",
      zh="上一期与本期不同的记录（上期没写的对象类型与本期相同）",
      en="the previous period's records of a type (a type not given was the same as now)",
      table=(("编号", "企业编号", "辖区编号", "交通方便"), ("O1", "S1", "A1", "否")))
def given_previous_records(world: World, label: str,
                           datatable: list[list[str]] | None = None) -> None:
    collection = collection_of(label)
    if not datatable or len(datatable) < 2:
        raise StepFailure(Text(f"“上期有以下{label}：”下面应有一个表格",
                               f"'上期有以下{label}：' needs a data table"))
    world.previous.setdefault(collection, []).extend(
        table_records(world.rules.fields, collection, datatable))


def _evaluate(world: World, document: dict[str, Any], as_of: dt.datetime | None,
              rules: RuleSet | None = None) -> Report:
    from ..errors import InputError
    from ..facts.load import load_facts_data
    from ..reports.evaluate import evaluate

    rules = rules or world.rules
    try:
        return evaluate(rules, load_facts_data(document, rules=rules), as_of,
                        waivers=_waivers(world))
    except InputError as exc:
        raise StepFailure(Text("表格中的数据被拒绝：", "the tables' data was rejected:"),
                          hints=[_problem_text(p) for p in exc.problems]) from None


def _previous_report(world: World) -> Report:
    return _evaluate(world, {**world.document, **world.previous}, world.previous_as_of)


@step("when", "对比上期与本期的检查结果", example="对比上期与本期的检查结果",
      zh="分别检查上期与本期，列出新增、已消除和仍存在的结论",
      en="check both periods; list new, resolved and persisting findings")
def when_diff_periods(world: World) -> None:
    from ..reports.diff import diff_reports

    before = _previous_report(world)
    after = _evaluate(world, world.document, world.as_of)
    world.diff = diff_reports(before, after)
    world.report = after


@step("when", "以上期结果为基线进行合规检查", example="以上期结果为基线进行合规检查",
      zh="检查本期，每个结论标为新增或仍存在", en="check, marking each finding new or persisting")
def when_check_with_baseline(world: World) -> None:
    from ..reports.diff import apply_baseline

    before = _previous_report(world)
    when_check(world)
    assert world.report is not None
    world.report = apply_baseline(world.report, before)


@step("given", '规则草案把 "{rule}" 的参数 "{name}" 改为 {value:g}',
      example='规则草案把 "OUT-08" 的参数 "open_grace_minutes" 改为 5',
      zh="规则草案：现行规则改动一个参数（可写多句）",
      en="a draft rule set: the current rules with one parameter changed (repeatable)")
def given_draft_parameter(world: World, rule: str, name: str, value: float) -> None:
    from dataclasses import replace

    draft = world.draft or world.rules
    ids = [r.id for r in draft]
    if rule not in ids:
        close = _did_you_mean(rule, ids)
        raise StepFailure(Text(f"没有规则 {rule}" + (f"（是否应为 {_choices(close)}？）"
                                                    if close else ""), f"no rule {rule}"))
    old = draft.get(rule)
    if name not in old.parameters:
        names = sorted(old.parameters)
        raise StepFailure(Text(f"规则 {rule} 没有参数“{name}”；它的参数："
                               f"{_choices(names) or '（无）'}",
                               f"{rule} has no parameter {name!r}: {', '.join(names)}"))
    param = old.parameters[name]
    number = int(value) if float(value).is_integer() and isinstance(param.value, int) else value
    changed = old.model_copy(update={"parameters": {
        **old.parameters, name: param.model_copy(update={"value": number})}})
    world.draft = replace(draft, rules=tuple(changed if r.id == rule else r
                                             for r in draft.rules))


@step("when", "比较现行规则与规则草案的检查结果", example="比较现行规则与规则草案的检查结果",
      zh="用现行规则和规则草案检查同一数据并对比",
      en="check the same facts with the current rules and the draft, and compare")
def when_diff_rules(world: World) -> None:
    from ..facts.load import load_facts_data
    from ..reports.diff import diff_rules

    if world.draft is None:
        raise StepFailure(Text("没有规则草案（缺少“规则草案把 … 改为 …”）",
                               "no draft (missing 规则草案把 ...)"))
    facts = load_facts_data(world.document, rules=world.rules)
    world.diff = diff_rules(world.rules, world.draft, facts, world.as_of)


def _diff(world: World) -> Diff:
    if world.diff is None:
        raise StepFailure(Text("还没有进行对比", "no comparison was made"))
    return world.diff


@step("then", '对比结果中 规则 "{rule}" 对 {label} "{subject}" 为 "{change}"',
      example='对比结果中 规则 "OUT-03" 对 服务网点 "O1" 为 "已消除"',
      zh="变化：新增、已消除、仍存在", en="change: 新增 (new), 已消除 (resolved), 仍存在")
def then_change_of(world: World, rule: str, label: str, subject: str, change: str) -> None:
    if change not in CHANGE_WORDS:
        raise StepFailure(Text(f"变化应为 {_choices(list(CHANGE_WORDS))}，不能是“{change}”",
                               f"a change is one of {', '.join(CHANGE_WORDS)}"))
    diff = _diff(world)
    found = [name for name in CHANGE_WORDS.values()
             if any(f.rule == rule and f.subject.id == subject for f in getattr(diff, name))]
    if found != [CHANGE_WORDS[change]]:
        words = {v: k for k, v in CHANGE_WORDS.items()}
        actual = _choices([words[n] for n in found]) or "（不在对比结果中）"
        raise StepFailure(Text(f"应为“{change}”，实际为“{actual}”",
                               f"expected {CHANGE_WORDS[change]}, found in {found or 'none'}"))


@step("then", '对比结果中 规则 "{rule}" 对 {label} "{subject}" 由 "{before}" 变为 "{after}"',
      example='对比结果中 规则 "OUT-03" 对 服务网点 "O2" 由 "已豁免" 变为 "不合规"',
      zh="仍存在的结论：上期与本期的结论", en="a persisting finding: its outcome then and now")
def then_change_status(world: World, rule: str, label: str, subject: str, before: str,
                       after: str) -> None:
    hits = [f for f in _diff(world).persisting if f.rule == rule and f.subject.id == subject]
    if not hits:
        raise StepFailure(Text("这个结论不是“仍存在”", f"{rule} {subject} is not persisting"))
    expected = (status_key(before), status_key(after))
    actual = (hits[0].previous_status, hits[0].status)
    if actual != expected:
        shown = "、".join(STATUS_LABELS.get(a or "", str(a)) for a in actual)
        raise StepFailure(Text(f"应由“{before}”变为“{after}”，实际为 {shown}",
                               f"expected {expected}, got {actual}"))


def _tally(tally: Any, new: int, resolved: int, persisting: int) -> None:
    actual = (tally.new, tally.resolved, tally.persisting)
    if actual != (new, resolved, persisting):
        raise StepFailure(Text(f"应为 新增 {new}、已消除 {resolved}、仍存在 {persisting}，实际为 "
                               f"新增 {actual[0]}、已消除 {actual[1]}、仍存在 {actual[2]}",
                               f"expected new {new}, resolved {resolved}, persisting "
                               f"{persisting}; got {actual}"))


@step("then", "对比结果共有 新增 {new:d} 项、已消除 {resolved:d} 项、仍存在 {persisting:d} 项",
      example="对比结果共有 新增 1 项、已消除 1 项、仍存在 1 项",
      zh="对比结果的总数", en="the comparison's totals")
def then_diff_totals(world: World, new: int, resolved: int, persisting: int) -> None:
    diff = _diff(world)
    _tally(diff.summary, new, resolved, persisting)
    listed = SimpleNamespace(new=len(diff.new), resolved=len(diff.resolved),
                             persisting=len(diff.persisting))
    _tally(listed, new, resolved, persisting)


@step("then", '对比结果中 规则 "{rule}" 新增 {new:d} 项、已消除 {resolved:d} 项、仍存在 '
      '{persisting:d} 项', example='对比结果中 规则 "OUT-03" 新增 1 项、已消除 1 项、仍存在 0 项',
      zh="对比结果中一条规则的计数", en="one rule's counts in the comparison")
def then_diff_rule(world: World, rule: str, new: int, resolved: int, persisting: int) -> None:
    hits = [t for t in _diff(world).by_rule if t.rule == rule]
    if not hits:
        raise StepFailure(Text(f"对比结果的逐条规则计数中没有 {rule}",
                               f"{rule} is not in the counts per rule"))
    _tally(hits[0], new, resolved, persisting)


@step("then", '对比结果中 企业 "{supplier}" 新增 {new:d} 项、已消除 {resolved:d} 项、'
      '仍存在 {persisting:d} 项',
      example='对比结果中 企业 "S1" 新增 1 项、已消除 0 项、仍存在 1 项',
      zh="对比结果中一家企业的计数", en="one supplier's counts in the comparison")
def then_diff_supplier(world: World, supplier: str, new: int, resolved: int,
                       persisting: int) -> None:
    hits = [t for t in _diff(world).by_supplier if t.supplier_id == supplier]
    if not hits:
        raise StepFailure(Text(f"对比结果的企业计数中没有 {supplier}",
                               f"{supplier} is not in the counts per supplier"))
    _tally(hits[0], new, resolved, persisting)


@step("then", '规则 "{rule}" 对 {label} "{subject}" 的基线标记为 "{change}"',
      example='规则 "OUT-03" 对 服务网点 "O1" 的基线标记为 "仍存在"',
      zh="以上期为基线时结论的标记：新增 或 仍存在", en="the baseline mark: 新增 (new) or 仍存在")
def then_baseline_mark(world: World, rule: str, label: str, subject: str, change: str) -> None:
    finding = _finding(world, rule, label, subject, None)
    if CHANGE_WORDS.get(change) != finding.baseline:
        words = {v: k for k, v in CHANGE_WORDS.items()}
        actual = words.get(finding.baseline or "", "（无）")
        raise StepFailure(Text(f"基线标记应为“{change}”，实际为“{actual}”",
                               f"expected baseline {change}, got {finding.baseline}"),
                          finding=_message(finding))


# ----------------------------------------------------------------------------- headers
@dataclass(frozen=True)
class Header:
    """A column a record type's table accepts."""

    label: str
    field: str
    kind: str
    required: bool
    #: (value, Chinese label) of a choice or a list of choices
    choices: tuple[tuple[str, str], ...] = ()


KIND_WORDS: dict[str, tuple[str, str]] = {
    "string": ("文字", "text"), "bool": ("是/否", "yes/no"), "int": ("整数", "integer"),
    "number": ("数值", "number"), "enum": ("选项", "choice"), "list": ("列表", "list"),
    "datetime": ("时间（如 2026-06-30 09:00）", "moment (like 2026-06-30 09:00)"),
    "date": ("日期（如 2026-06-30）", "date (like 2026-06-30)"),
    "time": ("时刻（如 08:30）", "time (like 08:30)"),
}


def headers(fields: Fields, collection: str) -> list[Header]:
    """The columns a table of this record type accepts (built-in, then declared fields)."""
    return [Header(_label(fields, collection, name), name, spec.kind, spec.required,
                   tuple((v, fields.value_label(collection, name, v)) for v in spec.values))
            for name, spec in fields.specs(collection).items()]
