"""The rule book: the rules in plain words, one page per clause family (rule file).

``fuling-compliance docs`` writes, for each file under ``rules/``, a Markdown page (and
a self-contained HTML page: style inline, no scripts, no external assets) with the
clause texts, each rule's condition in plain Chinese words, its parameters with their
source (regulation or policy) and the scenarios that test it; plus an index
(``README.md`` / ``index.html``). It is what a policy officer reads before a meeting.

The pages depend only on the rules, the regulation and the feature files, so they are
reproducible: the committed Markdown under ``docs/rules/`` is compared with a fresh
rendering by a test (and by ``docs --check``).

The wording functions (:func:`condition_words`, :func:`field_label`, ...) are shared
with :mod:`.explain`, so the rule book and an explanation describe a condition alike.
They take the fields in force (``fields=``, a rule set's ``fields``): fields declared in
YAML are named by their declared labels, and the index lists them. Notes that name a
parameter (``{reply_days}``) are shown with its value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..facts.fields import DeclaredField, Fields, default_fields
from ..facts.labels import COLLECTION_LABELS, VALUE_LABELS
from ..facts.model import COLLECTIONS, DEFINITE_NULL_FIELDS, EVENT_FIELDS
from ..rules.load import RuleSet
from ..rules.model import (
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
    Parameter,
    ParamRef,
    Present,
    Related,
    Rule,
    UnitField,
)
from ..rules.numbers import fill
from ..rules.regulation import Clause
from .coverage import Coverage, Scenario, coverage

MARKDOWN_INDEX = "README.md"
HTML_INDEX = "index.html"
GENERATED_NOTE = "由 `fuling-compliance docs` 根据规则文件生成，请勿手工修改"
WORKING_DAYS_NOTE = "（按法定工作日计算，含调休上班日：从次一工作日起算，至最后一个工作日当天结束）"
READING_NOTE = (
    "阅读说明：每条规则对每个检查对象给出一个结论——不合规、合规、数据不足或不适用。"
    "先看“适用条件”（不满足则不适用），再看“必须已知”的字段（有一项未知即数据不足），"
    "最后看“不合规的情形”：成立为不合规，不成立为合规；"
    "因字段未知而无法判断真假时为数据不足（已知的违规仍是违规）。")

# ----------------------------------------------------------------------------- words
DERIVED_LABELS = {"first_start": "首次约定上门时间", "satisfied_x100": "满意人数×100"}
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "minutes": ("分钟", "minutes"),
    "hours": ("小时", "hours"),
    "days": ("天", "days"),
    "working_days": ("个工作日", "working days"),
    "percent": ("%", "%"),
}
SEVERITY_WORDS: dict[str, tuple[str, str]] = {
    "high": ("严重", "high"), "medium": ("一般", "medium"), "low": ("轻微", "low"),
    "info": ("提示", "info"),
}
SOURCE_WORDS: dict[str, tuple[str, str]] = {
    "regulation": ("制度规定", "regulation"), "policy": ("政策设定", "policy"),
}
RESPONSIBLE_WORDS: dict[str, tuple[str, str]] = {
    "supplier": ("供电供气企业", "the supplier"), "commission": ("区经济信息委", "the Commission"),
}
_TIME_KINDS = {"datetime", "date", "time"}
#: operator -> (zh for times, zh for numbers and text, en for times, en for the rest)
OP_WORDS: dict[str, tuple[str, str, str, str]] = {
    "eq": ("等于", "等于", "is", "equals"),
    "ne": ("不同于", "不等于", "is not", "differs from"),
    "lt": ("早于", "小于", "is before", "is less than"),
    "le": ("不晚于", "不大于", "is not after", "is at most"),
    "gt": ("晚于", "大于", "is after", "is greater than"),
    "ge": ("不早于", "不小于", "is not before", "is at least"),
}
OP_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}


@dataclass(frozen=True)
class Words:
    """A condition in plain words: a sentence and, for all/any/not, its parts."""

    text: str
    children: tuple[Words, ...] = ()

    def inline(self, lang: str = "zh") -> str:
        """The whole condition on one line: ``（A，且 B）``."""
        if not self.children:
            return self.text
        parts = [c.inline(lang) for c in self.children]
        zh = lang == "zh"
        if self.text.startswith(("同时满足", "all of")):
            return ("（" + "，且 ".join(parts) + "）") if zh else "(" + " and ".join(parts) + ")"
        if self.text.startswith(("满足以下任一", "any of")):
            return ("（" + "，或 ".join(parts) + "）") if zh else "(" + " or ".join(parts) + ")"
        return ("并非" if zh else "not ") + parts[0]

    def lines(self, indent: str = "  ", depth: int = 0) -> list[str]:
        """The sentence and its parts as indented lines (``- `` before each part)."""
        out = [indent * depth + self.text]
        for child in self.children:
            sub = child.lines(indent, depth + 1)
            sub[0] = indent * (depth + 1) + "- " + sub[0].lstrip()
            out.extend(sub)
        return out


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese (``zh``) or English member of a ``(zh, en)`` pair."""
    return pair[0] if lang == "zh" else pair[1]


def _in_force(fields: Fields | None) -> Fields:
    return fields if fields is not None else default_fields()


def field_label(path: str, rule: Rule, lang: str = "zh", scope: str | None = None, *,
                fields: Fields | None = None) -> str:
    """``实际到达时间（arrived_at）``; related fields name their record's collection."""
    if path == "as_of":
        return "评估时间（as_of）" if lang == "zh" else "as_of (the moment of judgement)"
    alias, _, name = path.rpartition(".")
    in_force = _in_force(fields)
    if lang != "zh":
        english = in_force.label_en(_collection(path, rule, scope), name)
        return f"{english} ({path})" if english else path
    label = in_force.label(_collection(path, rule, scope), name) or DERIVED_LABELS.get(name)
    owner = alias or scope
    prefix = ""
    if alias and owner in rule.related:
        prefix = COLLECTION_LABELS.get(rule.related[owner].collection, owner) + "的"
    return f"{prefix}{label}（{path}）" if label else path


def value_label(value: Any, lang: str = "zh", labels: Mapping[str, str] = VALUE_LABELS) -> str:
    """A literal as people read it: ``“已完成”（completed）``, ``“是”``, ``30``.

    ``labels``: Chinese labels of the values (a declared field's, see ``Fields``).
    """
    if isinstance(value, bool):
        return ("“是”" if value else "“否”") if lang == "zh" else str(value).lower()
    if isinstance(value, str):
        label = labels.get(value)
        if lang == "zh" and label:
            return f"“{label}”（{value}）"
        return f"“{value}”" if lang == "zh" else repr(value)
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(value_label(v, lang, labels)
                                                    for v in value)
    if isinstance(value, ItemRef):
        return "当前检查项" if lang == "zh" else "the current item"
    return str(value)


_value_label = value_label


def unit_label(unit: str | None, lang: str = "zh") -> str:
    if unit is None:
        return ""
    return pick(UNIT_WORDS.get(unit, (unit, unit)), lang)


def amount_label(amount: Any, unit: str | None, rule: Rule, lang: str = "zh", *,
                 fields: Fields | None = None) -> str:
    """A shift or factor: ``30 分钟``, ``3 个工作日（参数 verify_days）``."""
    if isinstance(amount, ParamRef):
        param = rule.parameters.get(amount.param)
        if param is None:
            return amount.param
        number = parameter_label(param, lang, unit=unit)
        return f"{number}（参数 {amount.param}）" if lang == "zh" else \
            f"{number} (parameter {amount.param})"
    if isinstance(amount, UnitField):
        return field_label(amount.field, rule, lang, fields=fields)
    return f"{amount}{_unit_tail(unit, lang)}"


def _unit_tail(unit: str | None, lang: str) -> str:
    if unit is None:
        return ""
    word = unit_label(unit, lang)
    return word if unit == "percent" else f" {word}"


def parameter_label(param: Parameter, lang: str = "zh", in_force: Any = None,
                    unit: str | None = None) -> str:
    """``0 分钟`` / ``90%``; dated values as their history (``10 个工作日（2023-01-01
    起）；7 个工作日（2027-01-01 起）``), led by ``in_force`` when a record's value is
    known."""
    tail = _unit_tail(unit or param.unit, lang)
    if param.values is None:
        return f"{param.value}{tail}"
    zh = lang == "zh"
    history = ("；" if zh else "; ").join(
        f"{v.value}{tail}（{v.from_.isoformat()} 起）" if zh else
        f"{v.value}{tail} (from {v.from_.isoformat()})" for v in param.values)
    if in_force is None:
        return history
    return f"{in_force}{tail}（按对象日期适用；{history}）" if zh else \
        f"{in_force}{tail} (in force at the record's date; {history})"


def _kind(path: str, rule: Rule, scope: str | None, fields: Fields | None = None) -> str:
    """The kind of a field (``datetime``, ``int``, ...), ``string`` if it names nothing."""
    if path == "as_of":
        return "datetime"
    return _info(path, rule, scope, fields)[0]


def _info(path: str, rule: Rule, scope: str | None, fields: Fields | None
          ) -> tuple[str, tuple[str, ...]]:
    """(kind, allowed values) of a field path (``("string", ())`` if it names nothing)."""
    collection = _collection(path, rule, scope)
    if collection not in COLLECTIONS:
        return "string", ()
    name = path.rpartition(".")[2]
    return _in_force(fields).kinds(collection).get(name, ("string", ()))


def _value_labels(path: str, rule: Rule, scope: str | None, fields: Fields | None
                  ) -> Mapping[str, str]:
    collection = _collection(path, rule, scope)
    if collection not in COLLECTIONS:
        return VALUE_LABELS
    return _in_force(fields).value_labels(collection, path.rpartition(".")[2])


def condition_words(cond: Condition, rule: Rule, lang: str = "zh",
                    scope: str | None = None, *, fields: Fields | None = None) -> Words:
    """The condition as a sentence (with parts for all/any/not)."""
    zh = lang == "zh"
    if isinstance(cond, All):
        parts = tuple(condition_words(c, rule, lang, scope, fields=fields) for c in cond.all)
        if len(parts) == 1:
            return parts[0]
        return Words("同时满足以下全部条件：" if zh else "all of:", parts)
    if isinstance(cond, Any_):
        parts = tuple(condition_words(c, rule, lang, scope, fields=fields) for c in cond.any)
        if len(parts) == 1:
            return parts[0]
        return Words("满足以下任一条件：" if zh else "any of:", parts)
    if isinstance(cond, Not):
        return Words("不满足以下条件：" if zh else "not:",
                     (condition_words(cond.not_, rule, lang, scope, fields=fields),))
    if isinstance(cond, (Present, Absent)):
        path = cond.present if isinstance(cond, Present) else cond.absent
        return Words(presence_words(path, isinstance(cond, Present), rule, lang, scope,
                                    fields=fields))
    if isinstance(cond, (Exists, NoneOf)):
        alias = cond.exists if isinstance(cond, Exists) else cond.none
        yes = isinstance(cond, Exists)
        if zh:
            return Words(f"{'存在' if yes else '不存在'}关联记录 {alias}"
                         f"（{related_words(alias, rule, lang, fields=fields)}）")
        return Words(f"{'there is' if yes else 'there is no'} related record {alias} "
                     f"({related_words(alias, rule, lang, fields=fields)})")
    if isinstance(cond, Compare):
        return Words(compare_words(cond, rule, lang, scope, fields=fields))
    raise TypeError(f"not a condition: {cond!r}")


def presence_words(path: str, present: bool, rule: Rule, lang: str = "zh",
                   scope: str | None = None, *, fields: Fields | None = None) -> str:
    """``预约时间（booked_at）为空（尚未发生）`` / ``时限（time_limit）已知``."""
    label = field_label(path, rule, lang, scope, fields=fields)
    name = path.rpartition(".")[2]
    event = name in EVENT_FIELDS
    definite = name in DEFINITE_NULL_FIELDS.get(_collection(path, rule, scope), frozenset())
    if lang != "zh":
        if event:
            return f"{label} has happened" if present else f"{label} is empty (not happened)"
        if definite:
            return f"{label} is given" if present else f"{label} is empty (none)"
        return f"{label} is known" if present else f"{label} is unknown (empty)"
    if event:
        return f"{label}有记录" if present else f"{label}为空（尚未发生）"
    if definite:
        return f"{label}不为空" if present else f"{label}为空（没有）"
    return f"{label}已知" if present else f"{label}未知（为空）"


def _collection(path: str, rule: Rule, scope: str | None) -> str:
    """The collection a field path of ``rule`` reads."""
    alias = path.rpartition(".")[0] or scope
    return rule.related[alias].collection if alias in rule.related else rule.subject


def op_word(op: str, kind: str, lang: str = "zh") -> str:
    words = OP_WORDS[op]
    timely = kind in _TIME_KINDS
    if lang != "zh":
        return words[2] if timely else words[3]
    return words[0] if timely else words[1]


def compare_words(cond: Compare, rule: Rule, lang: str = "zh", scope: str | None = None, *,
                  fields: Fields | None = None) -> str:
    """A comparison in words, e.g. ``实际到达时间（arrived_at）晚于 约定上门时间… 加 0 分钟``."""
    zh = lang == "zh"
    left = field_label(cond.field, rule, lang, scope, fields=fields)
    kind = _kind(cond.field, rule, scope, fields)
    labels = _value_labels(cond.field, rule, scope, fields)

    def value_label(value: Any, lang: str = "zh") -> str:
        return _value_label(value, lang, labels)

    op, value = cond.op, cond.value
    if op in ("in", "not_in"):
        listed = value_label(value, lang)
        if zh:
            return f"{left}为 {listed} 之一" if op == "in" else f"{left}不是 {listed} 中的任何一个"
        return f"{left} {'is one of' if op == 'in' else 'is none of'} {listed}"
    if op in ("contains", "lacks"):
        if zh:
            return f"{left}{'包含' if op == 'contains' else '不包含'}{value_label(value, lang)}"
        return f"{left} {'contains' if op == 'contains' else 'lacks'} {value_label(value, lang)}"
    if isinstance(value, ParamRef):
        param = rule.parameters.get(value.param)
        shown = parameter_label(param, lang) if param else value.param
        right = f"参数 {value.param}（{shown}）" if zh else f"parameter {value.param} ({shown})"
        return f"{left}{op_word(op, kind, lang)} {right}" if zh else \
            f"{left} {op_word(op, kind, lang)} {right}"
    if isinstance(value, FieldExpr):
        right = field_expr_words(value, rule, lang, scope, fields=fields)
        text = f"{left}{op_word(op, kind, lang)} {right}" if zh else \
            f"{left} {op_word(op, kind, lang)} {right}"
        if cond.compare == "digits":
            text += "（只比较数字）" if zh else " (digits only)"
        if _working_days(value, rule):
            text += (WORKING_DAYS_NOTE if zh else " (official working days, counted from the "
                     "next working day to the end of the last one)")
        elif isinstance(value.unit, UnitField):
            text += ("（单位为工作日时" + WORKING_DAYS_NOTE[1:] if zh else
                     " (in working days when that is the unit: official working days, counted "
                     "from the next working day to the end of the last one)")
        return text
    if isinstance(value, bool) and zh:
        return f"{left}{'为' if op == 'eq' else '不为'}{value_label(value, lang)}"
    if isinstance(value, str) and zh and op in ("eq", "ne"):
        return f"{left}{'为' if op == 'eq' else '不是'}{value_label(value, lang)}"
    if zh:
        return f"{left}{op_word(op, kind, lang)} {value_label(value, lang)}"
    return f"{left} {op_word(op, kind, lang)} {value_label(value, lang)}"


def _working_days(value: FieldExpr, rule: Rule) -> bool:
    if value.unit == "working_days" or isinstance(value.unit, UnitField):
        return value.unit == "working_days"
    shift = value.plus if value.plus is not None else value.minus
    return isinstance(shift, ParamRef) and shift.param in rule.parameters and \
        rule.parameters[shift.param].unit == "working_days"


def field_expr_words(value: FieldExpr, rule: Rule, lang: str = "zh",
                     scope: str | None = None, *, fields: Fields | None = None) -> str:
    """``受理时间（received_at）加 3 个工作日（参数 verify_days）``."""
    zh = lang == "zh"
    text = field_label(value.field, rule, lang, scope, fields=fields)
    unit = value.unit if isinstance(value.unit, str) else None
    if value.times is not None:
        times = amount_label(value.times, None, rule, lang, fields=fields)
        text += f" 乘以 {times}" if zh else f" times {times}"
    for word_zh, word_en, shift in (("加", "plus", value.plus), ("减", "minus", value.minus)):
        if shift is None:
            continue
        amount = amount_label(shift, unit, rule, lang, fields=fields)
        if isinstance(value.unit, UnitField):
            unit_text = field_label(value.unit.field, rule, lang, scope, fields=fields)
            amount += f"（单位见 {unit_text}）" if zh else f" (unit from {unit_text})"
        text += f" {word_zh} {amount}" if zh else f" {word_en} {amount}"
    return text


def related_words(alias: str, rule: Rule, lang: str = "zh", *,
                  fields: Fields | None = None) -> str:
    """Which records ``alias`` stands for.

    E.g. ``服务网点：辖区编号（area_id）= 本记录的编号（id）``.
    """
    rel: Related | None = rule.related.get(alias)
    if rel is None:
        return alias
    zh = lang == "zh"
    name = COLLECTION_LABELS.get(rel.collection, rel.collection) if zh else rel.collection
    parts: list[str] = []
    for rel_field, subject_field in rel.match.items():
        mine = field_label(rel_field, rule, lang, alias, fields=fields)
        if isinstance(subject_field, ItemRef):
            parts.append(f"{mine} = 当前检查项" if zh else f"{mine} = the current item")
        else:
            theirs = field_label(subject_field, rule, lang, fields=fields)
            parts.append(f"{mine} = 本记录的{theirs}" if zh else f"{mine} = this record's {theirs}")
    if rel.where is not None:
        where = condition_words(rel.where, rule, lang, alias, fields=fields).inline(lang)
        parts.append(where[1:-1] if where.startswith(("（", "(")) else where)
    if not parts:
        return f"{name}（全部）" if zh else f"{name} (every record)"
    return f"{name}：{'，且 '.join(parts)}" if zh else f"{name}: {'; and '.join(parts)}"


def subject_words(rule: Rule, lang: str = "zh") -> str:
    """``每个辖区（areas）一条结论`` (and the items, if any)."""
    zh = lang == "zh"
    name = COLLECTION_LABELS.get(rule.subject, rule.subject)
    text = f"每个{name}（{rule.subject}）一条结论" if zh else f"one outcome per {rule.subject}"
    if rule.items:
        items = value_label(list(rule.items), lang)
        text += f"；逐项检查（每项一条）：{items}" if zh else f"; item by item: {items}"
    return text


# ----------------------------------------------------------------------------- pages
@dataclass(frozen=True)
class RuleEntry:
    """One rule on its family's page."""

    rule: Rule
    #: ``rules/3.1-outlets.yaml:7``
    origin: str
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class FamilyPage:
    """One rule file: its clauses and rules."""

    slug: str
    file: str
    family: str
    title_zh: str
    title_en: str
    clauses: tuple[Clause, ...]
    #: clause id -> (zh, en) reason the clause is (partly) not machine-checkable
    reasons: dict[str, tuple[str, str]]
    entries: tuple[RuleEntry, ...]


@dataclass(frozen=True)
class Book:
    """Every page of the rule book."""

    title_zh: str
    title_en: str
    pages: tuple[FamilyPage, ...]
    coverage: Coverage
    #: the fields in force (labels of declared fields; the index lists them)
    fields: Fields = field(default_factory=default_fields)
    #: the version of the regulation and its status (draft / final)
    version: str = ""
    status: str = ""


def _shown(path: str) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.name}"


def build_book(rules: RuleSet, scenarios: Sequence[Scenario]) -> Book:
    """The rule book's content for ``rules`` and the scenarios of the feature files."""
    reg = rules.regulation
    order = {cid: n for n, cid in enumerate(reg.clauses)}
    by_rule = {r.id: tuple(s for s in scenarios if r.id in s.rule_ids) for r in rules}
    pages: list[FamilyPage] = []
    for file in rules.files:
        family = rules.file_families.get(file)
        if family is None:
            continue
        mine = [r for r in rules if rules.origins.get(r.id, ("", 0))[0] == file]
        mine.sort(key=lambda r: rules.origins[r.id][1])
        cited = sorted({r.clause for r in mine}, key=lambda c: order.get(c, len(order)))
        title = rules.families[family]
        entries = tuple(
            RuleEntry(r, f"{_shown(file)}:{rules.origins[r.id][1]}", by_rule[r.id])
            for r in mine)
        pages.append(FamilyPage(
            slug=Path(file).stem, file=_shown(file), family=family,
            title_zh=title.zh, title_en=title.en,
            clauses=tuple(reg.clauses[c] for c in cited if c in reg.clauses),
            reasons={c: reg.not_machine_checkable[c] for c in cited
                     if c in reg.not_machine_checkable},
            entries=entries))
    return Book(reg.title_zh, reg.title_en, tuple(pages), coverage(rules, scenarios, reg),
                rules.fields, reg.version, reg.status)


# ----------------------------------------------------------------------------- Markdown
def _md(text: str) -> str:
    """Escape the characters Markdown would read as formatting."""
    out = text.replace("\\", "\\\\")
    for ch in ("*", "`", "[", "]", "<", ">", "|"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


def _md_words(words: Words, depth: int = 0) -> list[str]:
    lines = ["  " * depth + "- " + _md(words.text)]
    for child in words.children:
        lines.extend(_md_words(child, depth + 1))
    return lines


def _scenario_count(entry: RuleEntry) -> str:
    return str(len(entry.scenarios)) if entry.scenarios else "⚠ 0"


def _family_markdown(page: FamilyPage, fields: Fields) -> str:
    out: list[str] = [
        f"<!-- {GENERATED_NOTE}：{page.file} -->",
        "",
        f"# {_md(page.family)} {_md(page.title_zh)}",
        "",
        f"*{_md(page.title_en)}* · 规则文件 `{page.file}` · 共 {len(page.entries)} 条规则 · "
        f"[返回目录]({MARKDOWN_INDEX})",
        "",
        _md(READING_NOTE),
        "",
        "## 条款原文",
        "",
    ]
    for clause in page.clauses:
        out.append(f"> **{clause.id}** {_md(clause.zh)}")
        out.append(">")
        if clause.id in page.reasons:
            out.append(f"> ⚠ 本条部分内容无法机器判断：{_md(page.reasons[clause.id][0])}")
            out.append(">")
    if out[-1] == ">":
        out.pop()
    out += ["", "| 规则 | 条款 | 标题 | 严重程度 | 测试场景 |", "|---|---|---|---|---|"]
    for e in page.entries:
        r = e.rule
        out.append(f"| [{r.id}](#{r.id.lower()}) | {r.clause} | {_md(r.title.zh)} | "
                   f"{pick(SEVERITY_WORDS[r.severity], 'zh')} | {_scenario_count(e)} |")
    for e in page.entries:
        out += ["", *_rule_markdown(e, fields)]
    return "\n".join(out).rstrip() + "\n"


def _rule_markdown(entry: RuleEntry, fields: Fields) -> list[str]:
    r = entry.rule
    out = [
        f"## {r.id}",
        "",
        f"**{_md(r.title.zh)}** · *{_md(r.title.en)}*",
        "",
        f"- **条款** {r.clause}：“{_md(r.clause_text)}”",
        f"- **严重程度**：{pick(SEVERITY_WORDS[r.severity], 'zh')}（{r.severity}）；"
        f"**责任方**：{pick(RESPONSIBLE_WORDS[r.responsible], 'zh')}",
        f"- **检查对象**：{_md(subject_words(r))}",
    ]
    if r.effective_from or r.effective_until:
        out.append(f"- **生效期间**：{r.effective_from or '—'} 至 {r.effective_until or '—'}"
                   "（按对象自身的日期判断）")
    out.append(f"- **定义位置**：`{entry.origin}`")
    if r.related:
        out += ["", "**关联记录**", ""]
        out += [f"- {alias}：{_md(related_words(alias, r, fields=fields))}"
                for alias in r.related]
    out += ["", "**适用条件**", ""]
    if r.applies_when is None:
        out.append(f"- 所有{COLLECTION_LABELS.get(r.subject, r.subject)}")
    else:
        out += _md_words(condition_words(r.applies_when, r, fields=fields))
    if r.requires:
        out += ["", "**必须已知**（任一未知时不能判定合规，结论为“数据不足”；"
                "已确定的违规仍为“不合规”）", ""]
        out += [f"- {_md(field_label(p, r, fields=fields))}" for p in r.requires]
    out += ["", "**不合规的情形**", ""]
    out += _md_words(condition_words(r.fails_when, r, fields=fields))
    if r.parameters:
        out += ["", "**参数**", "", "| 参数 | 取值 | 来源 | 说明 |", "|---|---|---|---|"]
        for name, p in r.parameters.items():
            out.append(f"| {name} | {_md(parameter_label(p))} | "
                       f"{pick(SOURCE_WORDS[p.source], 'zh')} | "
                       f"{_md(fill(p.note, r.parameters))} |")
    if r.note:
        out += ["", f"**说明**：{_md(fill(r.note, r.parameters))}"]
    out += ["", f"**不合规时的说明**：{_md(fill(r.message.zh, r.parameters))}", ""]
    if entry.scenarios:
        out += [f"**测试场景**（{len(entry.scenarios)} 个）", ""]
        for s in entry.scenarios:
            rows = f"（{s.examples} 组例子）" if s.examples else ""
            out.append(f"- {_md(s.name)}{rows} — `{s.location}`")
    else:
        out.append("**测试场景**：⚠ 暂无（没有场景标注 @" + r.id + "）")
    return out


_STATUS_ZH = {"heading": "标题", "covered": "已覆盖", "partly_tested": "⚠ 部分规则无测试场景",
              "untested": "⚠ 规则均无测试场景", "no_rules": "⚠ 没有规则",
              "not_machine_checkable": "无法机器判断"}


def _index_markdown(book: Book) -> str:
    cov = book.coverage
    s = cov.summary()
    out = [
        f"<!-- {GENERATED_NOTE} -->",
        "",
        f"# 规则手册：{_md(book.title_zh)}",
        "",
        f"*{_md(book.title_en)}*",
        "",
        f"共 {s['rules']} 条规则，{s['scenarios']} 个测试场景。"
        f"条款覆盖率 {s['percent']}%：{s['checkable_clauses']} 个可机器判断的条款中，"
        f"{s['covered_clauses']} 个的全部规则都有测试场景；"
        f"{s['rules_with_scenarios']}/{s['rules']} 条规则有测试场景。",
        "",
        "| 条款族 | 标题 | 规则 | 条款 |",
        "|---|---|---|---|",
    ]
    for page in book.pages:
        ids = "、".join(e.rule.id for e in page.entries)
        clauses = "、".join(c.id for c in page.clauses)
        out.append(f"| [{_md(page.family)}]({page.slug}.md) | {_md(page.title_zh)} | {ids} | "
                   f"{clauses} |")
    out += ["", "## 条款与规则", "", "| 条款 | 规则 | 状态 |", "|---|---|---|"]
    for c in cov.clauses:
        if c.status == "heading":
            continue
        rules = "、".join(r.rule.id for r in c.rules) or "—"
        out.append(f"| {c.clause.id} | {rules} | {_STATUS_ZH[c.status]} |")
    out += ["", "## 无法机器判断的条款", "",
            "以下条款（或其部分内容）不能从记录判断，检查结果中没有结论不代表合规：", ""]
    for c in cov.not_machine_checkable:
        assert c.reason is not None
        part = f"（规则 {'、'.join(r.rule.id for r in c.rules)} 只检查其中可判断的部分）" \
            if c.rules else ""
        out.append(f"- **{c.clause.id}** {_md(c.reason[0])}{part}")
    if cov.rules_without_scenarios:
        out += ["", "## 没有测试场景的规则", ""]
        out += [f"- {r.rule.id} {_md(r.rule.title.zh)}" for r in cov.rules_without_scenarios]
    declared = book.fields.declared()
    if declared:
        out += ["", "## 新增字段", "",
                "以下字段在规则目录的字段声明文件中新增（选填；为空表示未知）：", "",
                "| 集合 | 字段 | 中文名称 | 类型 | 说明 | 声明位置 |", "|---|---|---|---|---|---|"]
        out += [_declared_row(f) for f in declared]
    return "\n".join(out).rstrip() + "\n"


def _declared_row(f: DeclaredField) -> str:
    kind = f.type + ("：" + "、".join(
        f"{dict(f.value_labels).get(v, v)}（{v}）" for v in f.values) if f.values else "")
    return (f"| {f.collection} | {f.name} | {_md(f.label_zh)} | {_md(kind)} | "
            f"{_md(f.note or '—')} | `{_shown(f.file or '')}:{f.line}` |")


def render_markdown(book: Book) -> dict[str, str]:
    """File name -> Markdown text, for every page and the index."""
    pages = {f"{p.slug}.md": _family_markdown(p, book.fields) for p in book.pages}
    pages[MARKDOWN_INDEX] = _index_markdown(book)
    return pages


# ----------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#222}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;
vertical-align:top}th{background:#f3f3f3}blockquote{margin:1rem 0;padding:.2rem 1rem;
border-left:4px solid #999;background:#fafafa}code{background:#f3f3f3;padding:0 .2rem}
i{color:#555}ul ul{margin:0}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_ESCAPED = re.compile(r"\\(.)")
_CODE = re.compile(r"`([^`]*)`")
_TOKEN = re.compile("\x00(\\d+)\x00")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"\*(.+?)\*")
_ITEM = re.compile(r"^( *)- (.*)$")


def _inline(text: str) -> str:
    """The inline Markdown this module writes (escapes, code, links, bold, italic) as HTML."""
    saved: list[str] = []

    def keep(html_text: str) -> str:
        saved.append(html_text)
        return f"\x00{len(saved) - 1}\x00"

    text = _ESCAPED.sub(lambda m: keep(html.escape(m.group(1))), text)
    text = _CODE.sub(lambda m: keep(f"<code>{html.escape(m.group(1))}</code>"), text)
    text = html.escape(text, quote=False)
    text = _LINK.sub(lambda m: f'<a href="{html.escape(_html_target(m.group(2)))}">'
                     f"{m.group(1)}</a>", text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    return _TOKEN.sub(lambda m: saved[int(m.group(1))], text)


def _html_target(target: str) -> str:
    if target == MARKDOWN_INDEX:
        return HTML_INDEX
    return target[:-3] + ".html" if target.endswith(".md") else target


def _cells(row: str) -> list[str]:
    """The cells of a table row, split at ``|`` not escaped with a backslash."""
    cells = re.split(r"(?<!\\)\|", row.strip())
    return [c.strip() for c in cells[1:-1]]


def markdown_to_html(text: str) -> str:
    """The Markdown this module writes, as an HTML fragment.

    Not a general Markdown converter: it knows the blocks the rule book uses (headings,
    paragraphs, block quotes, nested ``- `` lists, tables, ``<!-- -->`` comments), so
    the HTML pages say exactly what the Markdown pages say.
    """
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("<!--"):
            out.append(line)
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            title = line[level:].strip()
            anchor = f' id="{html.escape(title.lower())}"' if level == 2 and \
                re.fullmatch(r"[A-Z]{3}-[0-9]{2}", title) else ""
            out.append(f"<h{level}{anchor}>{_inline(title)}</h{level}>")
            i += 1
        elif line.startswith(">"):
            block: list[str] = []
            while i < len(lines) and lines[i].startswith(">"):
                block.append(lines[i][1:].strip())
                i += 1
            paragraphs = "\n".join(block).split("\n\n")
            out.append("<blockquote>" + "".join(
                f"<p>{_inline(p.replace(chr(10), ' '))}</p>" for p in paragraphs if p.strip())
                + "</blockquote>")
        elif line.startswith("|"):
            rows: list[list[str]] = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            head, body = rows[0], rows[2:]
            out.append("<table><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head)
                       + "</tr>" + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r)
                                           + "</tr>" for r in body) + "</table>")
        elif _ITEM.match(line):
            items: list[tuple[int, str]] = []
            while i < len(lines) and (match := _ITEM.match(lines[i])):
                items.append((len(match.group(1)) // 2, match.group(2)))
                i += 1
            out.append(_html_list(items))
        else:
            out.append(f"<p>{_inline(line)}</p>")
            i += 1
    return "\n".join(out) + "\n"


def _html_list(items: list[tuple[int, str]]) -> str:
    parts: list[str] = []
    depth = -1
    for level, text in items:
        if level > depth:
            parts.extend(["<ul><li>"] * (level - depth))
        else:
            parts.append("</li></ul>" * (depth - level) + "</li><li>")
        parts.append(_inline(text))
        depth = level
    parts.append("</li></ul>" * (depth + 1))
    return "".join(parts)


def html_page(markdown_text: str) -> str:
    """A self-contained HTML page (inline style, no script, no external asset)."""
    title = next((line.lstrip("#").strip() for line in markdown_text.splitlines()
                  if line.startswith("# ")), "规则手册")
    title = _TOKEN.sub("", _ESCAPED.sub(r"\1", title))
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS.strip()}</style>\n</head>\n<body>\n"
        + markdown_to_html(markdown_text) + "</body>\n</html>\n")


def render_html(book: Book) -> dict[str, str]:
    """File name -> self-contained HTML page, for every page and the index."""
    return {_html_target(name): html_page(text) for name, text in render_markdown(book).items()}


# ----------------------------------------------------------------------------- files
def render(book: Book, formats: Iterable[str] = ("md", "html")) -> dict[str, str]:
    """File name -> text for the formats asked (``md``, ``html``)."""
    out: dict[str, str] = {}
    wanted = set(formats)
    if "md" in wanted:
        out.update(render_markdown(book))
    if "html" in wanted:
        out.update(render_html(book))
    return out


def write_book(book: Book, folder: Path, formats: Iterable[str] = ("md", "html")) -> list[Path]:
    """Write the pages into ``folder`` (created if needed); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(render(book, formats).items()):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_pages(book: Book, folder: Path) -> list[str]:
    """Markdown pages in ``folder`` that differ from a fresh rendering (or are missing or
    left over); empty when the committed rule book is up to date."""
    fresh = render_markdown(book)
    stale = [name for name, text in sorted(fresh.items())
             if not (folder / name).is_file()
             or (folder / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in folder.glob("*.md") if p.name not in fresh)
    return stale + extra
