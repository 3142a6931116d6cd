"""Words that follow the numbers: parameter placeholders in notes, and stated numbers.

A rule's ``note``, a parameter's ``note``, a message and a feature heading may name a
parameter in braces instead of repeating its value::

    parameters:
      reply_days: {value: 10, unit: working_days, source: policy,
                   note: "取 {reply_days} 个工作日，留出核实与整改后答复的时间"}

``explain`` and the rule book show the note with the value put in (:func:`fill`), so a
policy officer who changes ``value`` changes every sentence about it. Where a text
still states a number with a unit (``10 个工作日``, ``30 天``, ``90%``),
:func:`number_warnings` compares it with the parameters of that unit: a parameter's own
note must state its value; a rule's note, message or a feature heading must state the
value of one of the rule's parameters of that unit. A difference is a warning (printed
by ``validate``), not a rejection: the number may describe something else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Parameter, Rule

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

#: unit of a parameter -> the words that state it after a number (zh and en)
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "working_days": ("个工作日", "工作日", "working days", "working day"),
    "days": ("个自然日", "自然日", "天", "calendar days", "days", "day"),
    "hours": ("个小时", "小时", "hours", "hour", "h"),
    "minutes": ("分钟", "minutes", "minute", "min"),
    "percent": ("%", "％", "percent"),
}
_UNIT_OF = {word: unit for unit, words in UNIT_WORDS.items() for word in words}
_WORDS = sorted(_UNIT_OF, key=len, reverse=True)
#: a number, then (after optional spaces) a unit word; not the "3" of "3.2.4" or "2026-05"
_STATED = re.compile(
    r"(?<![\d.\-/:])(\d+(?:\.\d+)?)\s*(" + "|".join(re.escape(w) for w in _WORDS)
    + r")(?![A-Za-z])")


def shown(value: Any) -> str:
    """A parameter's value as a note or message shows it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fill(text: str, parameters: Mapping[str, Parameter],
         in_force: Mapping[str, Any] | None = None) -> str:
    """``text`` with each ``{param}`` naming a parameter replaced by its value: the one
    in force for a record (``in_force``), else the value, or dated values with their
    dates (``10（2023-01-01 起）/7（2027-01-01 起）``)."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        param = parameters.get(name)
        if param is None:
            return match.group(0)
        if in_force is not None and in_force.get(name) is not None:
            return shown(in_force[name])
        if param.values is not None:
            return "/".join(f"{shown(v.value)}（{v.from_.isoformat()} 起）" for v in param.values)
        return shown(param.value)
    return PLACEHOLDER.sub(value, text)


def placeholders(text: str) -> list[str]:
    """The names in braces in ``text``."""
    return PLACEHOLDER.findall(text)


@dataclass(frozen=True)
class Stated:
    """A number stated with a unit in a text: ``10 个工作日``."""

    value: float
    unit: str
    text: str


def stated_numbers(text: str) -> list[Stated]:
    """Every number followed by a unit word (placeholders are not numbers)."""
    found = []
    for match in _STATED.finditer(text):
        found.append(Stated(float(match.group(1)), _UNIT_OF[match.group(2)],
                            match.group(0)))
    return found


def _same(a: float, b: Any) -> bool:
    return isinstance(b, (int, float)) and not isinstance(b, bool) and float(b) == a


@dataclass(frozen=True)
class Mismatch:
    """A number in a text that is not the value of the parameter(s) it describes."""

    stated: Stated
    #: (name, value) of the parameters of that unit
    parameters: tuple[tuple[str, Any], ...]

    def messages(self, where_en: str, where_zh: str) -> tuple[str, str]:
        names = ", ".join(f"{n} = {shown(v)}" for n, v in self.parameters)
        names_zh = "、".join(f"{n} = {shown(v)}" for n, v in self.parameters)
        first = self.parameters[0][0]
        return (f"{where_en} states {self.stated.text!r} but the parameter is {names}: write "
                f"{{{first}}} instead of the number (or correct it)",
                f"{where_zh}写的是“{self.stated.text}”，但参数为 {names_zh}：请用 "
                f"{{{first}}} 代替这个数字（或改正它）")


def mismatches(text: str, parameters: Iterable[tuple[str, Parameter]]) -> list[Mismatch]:
    """Numbers in ``text`` whose unit some of ``parameters`` have, but none's value."""
    params = list(parameters)
    out = []
    for stated in stated_numbers(text):
        same_unit = [(n, v) for n, p in params if p.unit == stated.unit
                     for v in p.all_values()]
        if same_unit and not any(_same(stated.value, v) for _, v in same_unit):
            out.append(Mismatch(stated, tuple(same_unit)))
    return out


def rule_mismatches(rule: Rule) -> list[tuple[tuple[Any, ...], Mismatch, str, str]]:
    """``(path, mismatch, where_en, where_zh)`` for the notes and messages of a rule."""
    out: list[tuple[tuple[Any, ...], Mismatch, str, str]] = []
    for name, param in rule.parameters.items():
        for m in mismatches(param.note, [(name, param)]):
            out.append((("parameters", name, "note"), m, f"the note of parameter {name}",
                        f"参数 {name} 的说明"))
    every = list(rule.parameters.items())
    if rule.note:
        for m in mismatches(rule.note, every):
            out.append((("note",), m, "the rule's note", "规则说明"))
    for lang in ("zh", "en"):
        for m in mismatches(getattr(rule.message, lang), every):
            out.append((("message", lang), m, f"the message ({lang})", f"消息（{lang}）"))
    return out
