"""The rule language: pydantic models of a rule file (``fuling-compliance/rules/v1``).

A rule file holds the rules of one clause family. A rule reads like the clause it
encodes: id, clause and quoted text, titles, severity; which records (``subject``,
``applies_when``); what a violation is (``fails_when``); which fields must be known
(``requires``); named ``parameters`` with value, unit and source; the ``message``.

Conditions are explicit shapes, each a mapping with one operator key:

* ``all: [...]``, ``any: [...]``, ``not: {...}``
* ``present: FIELD`` / ``absent: FIELD`` — known (or happened) / unknown (or not happened)
* ``exists: ALIAS`` / ``none: ALIAS`` — a related record (see ``related``) exists or not
* ``field: FIELD`` with one of ``eq ne lt le gt ge in not_in contains lacks`` and a value

A FIELD is ``name`` (the subject's), ``alias.name`` (a related record's) or ``as_of``.
A value is a literal, ``{param: NAME}``, ``{item: current}`` or a field expression
``{field: FIELD, plus|minus: N | {param: NAME} | {field: FIELD}, unit: U}`` where U is
``minutes | hours | days | working_days`` or ``{field: FIELD}`` naming a unit field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

RULES_FORMAT = "fuling-compliance/rules/v1"

Severity = Literal["high", "medium", "low", "info"]
TimeUnit = Literal["minutes", "hours", "days", "working_days"]
CompareOp = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "lacks"]
COMPARE_OPS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains",
                                "lacks")

Scalar = bool | int | float | str | dt.date | dt.datetime | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Chinese (authoritative) and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ParamRef(_Strict):
    param: str


class ItemRef(_Strict):
    item: Literal["current"]


class UnitField(_Strict):
    field: str


class FieldExpr(_Strict):
    """Another field, optionally shifted by a duration: ``{field: X, plus: 30, unit: minutes}``."""

    field: str
    plus: int | float | ParamRef | UnitField | None = None
    minus: int | float | ParamRef | None = None
    unit: TimeUnit | UnitField | None = None
    times: int | float | ParamRef | None = None

    @model_validator(mode="after")
    def _one_shift(self) -> FieldExpr:
        if self.plus is not None and self.minus is not None:
            raise ValueError("give plus or minus, not both")
        return self


Value = Annotated[
    ParamRef | ItemRef | FieldExpr | list[str | int | float | ItemRef] | Scalar,
    Field(union_mode="smart"),
]


class Compare(_Strict):
    field: str
    eq: Value = None
    ne: Value = None
    lt: Value = None
    le: Value = None
    gt: Value = None
    ge: Value = None
    in_: Value = Field(default=None, alias="in")
    not_in: Value = None
    contains: Value = None
    lacks: Value = None
    compare: Literal["digits"] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_op(cls, data: Any) -> Any:
        if isinstance(data, dict):
            ops = [k for k in data if k in COMPARE_OPS]
            if len(ops) != 1:
                raise ValueError(
                    f"a comparison needs exactly one of {', '.join(COMPARE_OPS)} "
                    f"(found {ops or 'none'})"
                )
        return data

    @property
    def op(self) -> str:
        for name in COMPARE_OPS:
            if name in self.model_fields_set or (name == "in" and "in_" in self.model_fields_set):
                return name
        raise AssertionError("validated to have one operator")

    @property
    def value(self) -> Any:
        return getattr(self, "in_" if self.op == "in" else self.op)


class All(_Strict):
    all: list[Condition] = Field(min_length=1)


class Any_(_Strict):
    any: list[Condition] = Field(min_length=1)


class Not(_Strict):
    not_: Condition = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Present(_Strict):
    present: str


class Absent(_Strict):
    absent: str


class Exists(_Strict):
    exists: str


class NoneOf(_Strict):
    none: str


_CONDITION_KEYS = ("all", "any", "not", "present", "absent", "exists", "none")


def _condition_kind(data: Any) -> str | None:
    if isinstance(data, dict):
        for key in _CONDITION_KEYS:
            if key in data:
                return key
        return "compare"
    if isinstance(data, BaseModel):
        return {All: "all", Any_: "any", Not: "not", Present: "present", Absent: "absent",
                Exists: "exists", NoneOf: "none", Compare: "compare"}.get(type(data))
    return None


Condition = Annotated[
    Annotated[All, Tag("all")]
    | Annotated[Any_, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Present, Tag("present")]
    | Annotated[Absent, Tag("absent")]
    | Annotated[Exists, Tag("exists")]
    | Annotated[NoneOf, Tag("none")]
    | Annotated[Compare, Tag("compare")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message="a condition must be a mapping with one of all, any, not, present, "
        "absent, exists, none, or field",
    ),
]


class Related(_Strict):
    """A related record: ``{collection: outlets, match: {area_id: id}, where: {...}}``.

    ``match`` maps the related record's fields to the subject's fields (or to
    ``{item: current}``); ``where`` filters related records in three-valued logic: a
    record counts when it is true, may count when it is unknown (``exists`` is then
    unknown unless another record counts), and does not count when it is false. Without
    ``match`` every record of the collection is related (the commission).
    """

    collection: str
    match: dict[str, str | ItemRef] = Field(default_factory=dict)
    where: Condition | None = None


ParamValue = int | float | str | bool


class DatedValue(_Strict):
    """One value of a parameter and the date from which it is in force."""

    from_: dt.date = Field(alias="from")
    value: ParamValue

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Parameter(_Strict):
    """A named value: where it comes from and why.

    Either one ``value``, or dated ``values`` (``[{from: 2023-01-01, value: 10}, ...]``,
    dates ascending): a record is judged by the value in force at its own date (the
    date that decides whether a rule is in force, ``SUBJECT_DATE`` in :mod:`.compile`).
    The first value also applies to dates before its own ``from``.
    """

    value: ParamValue | None = None
    values: list[DatedValue] | None = Field(default=None, min_length=1)
    unit: str | None = None
    source: Literal["regulation", "policy"]
    note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _value_or_values(self) -> Parameter:
        if (self.value is None) == (self.values is None):
            raise ValueError("give either value or values (dated values), not both")
        return self

    @property
    def dated(self) -> bool:
        """Whether the parameter has dated values."""
        return self.values is not None

    def starts(self) -> list[dt.date]:
        """The dates from which a new value is in force, after the first."""
        return [v.from_ for v in (self.values or [])[1:]]

    def value_at(self, day: dt.date | None) -> ParamValue | None:
        """The value in force on ``day`` — the one reading of dated values, used by the
        compiler and by reports. ``None`` (unknown day): the value if every dated value
        is the same, else ``None``."""
        if self.values is None:
            return self.value
        if day is None:
            distinct = {v.value for v in self.values}
            return self.values[0].value if len(distinct) == 1 else None
        current = self.values[0].value
        for v in self.values[1:]:
            if v.from_ <= day:
                current = v.value
        return current

    def all_values(self) -> list[ParamValue]:
        """Every value the parameter can take (one, or each dated value)."""
        if self.values is None:
            assert self.value is not None
            return [self.value]
        return [v.value for v in self.values]


class Between(_Strict):
    """A computed evidence value: the time between two fields (``as_of`` allowed).

    Exactly one of the keys; the value is ``[from, to]``. Shown in messages and
    evidence only; it never decides an outcome.
    """

    minutes_between: tuple[str, str] | None = None
    hours_between: tuple[str, str] | None = None
    days_between: tuple[str, str] | None = None
    working_days_between: tuple[str, str] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Between:
        if len(self.model_fields_set) != 1:
            raise ValueError("give exactly one of minutes_between, hours_between, days_between, "
                             "working_days_between")
        return self

    @property
    def unit(self) -> str:
        return next(iter(self.model_fields_set)).removesuffix("_between")

    @property
    def fields(self) -> tuple[str, str]:
        value: tuple[str, str] | None = getattr(self, next(iter(self.model_fields_set)))
        assert value is not None
        return value


class Rule(_Strict):
    """One machine-checkable requirement of the regulation."""

    id: str = Field(pattern=r"^[A-Z]{3}-[0-9]{2}$")
    clause: str
    clause_text: str = Field(min_length=1)
    title: Text
    severity: Severity
    responsible: Literal["supplier", "commission"] = "supplier"
    subject: str
    items: list[str] | None = None
    related: dict[str, Related] = Field(default_factory=dict)
    applies_when: Condition | None = None
    requires: list[str] = Field(default_factory=list)
    fails_when: Condition
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    message: Text
    evidence: dict[str, Between] = Field(default_factory=dict)
    note: str | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    version: str | None = None


def condition_paths(cond: Condition | None) -> list[str]:
    """Every field path a condition reads, in order of appearance."""
    if cond is None:
        return []
    if isinstance(cond, All):
        return [p for c in cond.all for p in condition_paths(c)]
    if isinstance(cond, Any_):
        return [p for c in cond.any for p in condition_paths(c)]
    if isinstance(cond, Not):
        return condition_paths(cond.not_)
    if isinstance(cond, Present):
        return [cond.present]
    if isinstance(cond, Absent):
        return [cond.absent]
    if isinstance(cond, Compare):
        paths = [cond.field]
        value = cond.value
        if isinstance(value, FieldExpr):
            paths.append(value.field)
            for part in (value.plus, value.unit):
                if isinstance(part, UnitField):
                    paths.append(part.field)
        return paths
    return []


def rule_paths(rule: Rule) -> list[str]:
    """Every field path a rule reads (conditions, requirements), without duplicates."""
    paths = condition_paths(rule.applies_when) + list(rule.requires) + condition_paths(
        rule.fails_when)
    return list(dict.fromkeys(paths))


class RuleFile(_Strict):
    """One YAML file under ``rules/``: the rules of one clause family."""

    format: Literal["fuling-compliance/rules/v1"] = "fuling-compliance/rules/v1"
    family: str
    title: Text
    version: str = "1"
    rules: list[Rule] = Field(min_length=1)


All.model_rebuild()
Any_.model_rebuild()
Not.model_rebuild()
Related.model_rebuild()
Rule.model_rebuild()
RuleFile.model_rebuild()
