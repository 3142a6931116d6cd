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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from ..facts.labels import (
    COLLECTION_LABELS,
    FALSE_WORDS,
    FIELD_LABELS,
    STATUS_LABELS,
    TRUE_WORDS,
    VALUE_LABELS,
    collection_for_label,
    field_for_label,
    value_for_label,
)
from .gherkin import StepKind

if TYPE_CHECKING:
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
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
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
        """Each phrase as a full-match regex; ``{name}`` matches any text (``.+?``)."""
        out = []
        for phrase in self.phrases:
            parts, last = [], 0
            for m in _PLACEHOLDER.finditer(phrase):
                parts.append(re.escape(phrase[last:m.start()]))
                parts.append(f"(?P<{m.group(1)}>.+?)")
                last = m.end()
            parts.append(re.escape(phrase[last:]))
            out.append(re.compile("".join(parts)))
        return tuple(out)

    def match(self, text: str) -> dict[str, str] | None:
        for regex in self.regexes:
            m = regex.fullmatch(text)
            if m is not None:
                return m.groupdict()
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


def find_step(kind: StepKind, text: str) -> tuple[StepDef, dict[str, str]] | None:
    """The step definition of this kind matching ``text``, with its arguments."""
    for definition in STEPS:
        if definition.kind == kind:
            args = definition.match(text)
            if args is not None:
                return definition, args
    return None


def call_step(definition: StepDef, world: World, args: dict[str, str],
              table: Sequence[Sequence[str]] | None) -> None:
    """Run a step definition as pytest-bdd does (the table as ``datatable``)."""
    kwargs: dict[str, Any] = dict(args)
    if table is not None:
        kwargs["datatable"] = [list(row) for row in table]
    definition.func(world, **kwargs)


def _fill(phrase: str, text: str) -> str:
    """``phrase`` with the writer's own quoted values put in, where they line up."""
    values = _QUOTED.findall(text)
    slots = re.findall(r'"\{(\w+)\}"', phrase)
    out = phrase
    if len(values) == len(slots):
        for value in values:
            out = re.sub(r'"\{\w+\}"', '"' + value.replace("\\", "\\\\") + '"', out, count=1)
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

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.document: dict[str, Any] = {}
        self.as_of: dt.datetime | None = None
        self.report: Report | None = None


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


def _specs(collection: str) -> dict[str, Any]:
    from ..facts.model import field_specs

    return field_specs(collection)


def header_field(collection: str, header: str) -> str:
    """The field a column header names in this record type; a failure with the nearest."""
    specs = _specs(collection)
    key = field_for_label(header)
    if key is not None and key in specs:
        return key
    kind = COLLECTION_LABELS[collection]
    labels = [FIELD_LABELS.get(f, f) for f in specs]
    close = _did_you_mean(header.strip(), labels + list(specs))
    guess_zh = f"（是否应为 {_choices([f'“{c}”' for c in close])}？）" if close else ""
    guess_en = f" (did you mean {', '.join(close)}?)" if close else ""
    elsewhere = ""
    if key is not None:
        owners = [COLLECTION_LABELS[c] for c in COLLECTION_LABELS if key in _specs(c)]
        elsewhere = f"；“{header}”是 {_choices(owners)} 的列" if owners else ""
    raise StepFailure(
        Text(f"{kind}没有“{header}”这一列{guess_zh}{elsewhere}",
             f"{collection} has no column '{header}'{guess_en}"),
        hints=[Text(f"{kind}的列：{_choices(labels)}",
                    f"columns of {collection}: {', '.join(specs)}")])


def _choice(collection: str, field_name: str, text: str, allowed: Sequence[str]) -> str:
    value = value_for_label(text)
    if value in allowed:
        return value
    labels = [VALUE_LABELS.get(v, v) for v in allowed]
    close = _did_you_mean(text, labels + list(allowed))
    guess_zh = f"（是否应为 {_choices([f'“{c}”' for c in close])}？）" if close else ""
    label = FIELD_LABELS.get(field_name, field_name)
    raise StepFailure(
        Text(f"{COLLECTION_LABELS[collection]}的“{label}”不能是“{text}”{guess_zh}；"
             f"可选：{_choices(labels)}",
             f"{collection}.{field_name} cannot be '{text}'; choices: {', '.join(allowed)}"))


def cell_value(collection: str, field_name: str, text: str) -> Any:
    """A table cell as the value of a field (choices and booleans are checked here)."""
    spec = _specs(collection)[field_name]
    text = text.strip()
    if text == UNKNOWN_WORD:
        return None
    if spec.kind == "bool":
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        label = FIELD_LABELS.get(field_name, field_name)
        raise StepFailure(Text(f"{COLLECTION_LABELS[collection]}的“{label}”应为 是 或 否，"
                               f"不能是“{text}”",
                               f"{collection}.{field_name} must be 是 or 否, not '{text}'"))
    if spec.kind == "list":
        if text == EMPTY_LIST_WORD:
            return []
        words = [w.strip() for w in re.split(r"[、,，]", text) if w.strip()]
        if spec.values:
            return [_choice(collection, field_name, w, spec.values) for w in words]
        return words
    if spec.kind == "enum":
        return _choice(collection, field_name, text, spec.values)
    if spec.kind == "int" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if spec.kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    if spec.kind == "datetime" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", text):
        return text.replace(" ", "T")
    return text  # anything else goes to the loader, which says what is wrong


def table_records(collection: str, table: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """The records of a data table (header row, then one record a row)."""
    fields = [header_field(collection, label) for label in table[0]]
    records = []
    for row in table[1:]:
        record: dict[str, Any] = {}
        for field_name, text in zip(fields, row, strict=True):
            if text.strip():
                record[field_name] = cell_value(collection, field_name, text)
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
    records = table_records(collection, datatable)
    if collection == "commission":
        if len(records) != 1:
            raise StepFailure(Text("区经济信息委只能有一行记录",
                                   "the Commission is one record (one row)"))
        world.document["commission"] = records[0]
    else:
        world.document.setdefault(collection, []).extend(records)


@step("given", '评估时间为 "{moment}"', example='评估时间为 "2026-06-30 23:59"',
      zh="判断的时刻（as_of），重庆时间", en="the moment of judgement (as_of), Chongqing time")
def given_as_of(world: World, moment: str) -> None:
    try:
        world.as_of = dt.datetime.fromisoformat(moment.strip().replace(" ", "T"))
    except ValueError:
        raise StepFailure(Text(f"评估时间“{moment}”的格式不对，应写作 2026-06-30 23:59",
                               f"as_of '{moment}' is not a moment like 2026-06-30 23:59")
                          ) from None


@step("when", "进行合规检查", example="进行合规检查",
      zh="用规则评估上面的全部记录", en="evaluate every record above with the rules")
def when_check(world: World) -> None:
    from ..errors import CalendarError, InputError
    from ..facts.load import load_facts_data
    from ..reports.evaluate import evaluate

    try:
        facts = load_facts_data(world.document)
        world.report = evaluate(world.rules, facts, world.as_of, all_outcomes=True)
    except InputError as exc:
        raise StepFailure(Text("表格中的数据被拒绝：", "the tables' data was rejected:"),
                          hints=[_problem_text(p) for p in exc.problems]) from None
    except CalendarError as exc:
        raise StepFailure(Text(f"没有 {exc.year} 年的工作日历（可在 rules/calendar/ 中添加）",
                               str(exc))) from None


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
    "datetime": ("时间 2026-06-30 09:00", "moment 2026-06-30 09:00"),
    "date": ("日期 2026-06-30", "date 2026-06-30"), "time": ("时刻 08:30", "time 08:30"),
}


def headers(collection: str) -> list[Header]:
    """The columns a table of this record type accepts, in the declaration's order."""
    return [Header(FIELD_LABELS.get(name, name), name, spec.kind, spec.required,
                   tuple((v, VALUE_LABELS.get(v, v)) for v in spec.values))
            for name, spec in _specs(collection).items()]
