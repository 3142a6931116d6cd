"""Explain one rule's outcome for one subject, condition by condition.

``fuling-compliance explain FACTS --rule VIS-02 --subject AP-1`` shows a policy officer
why the engine said what it said: the clause and its text, the parameters in force and
where they come from, whether the rule applies and why, each condition with the actual
values put in and its three-valued result, and the outcome::

    约定上门时间 2026-06-10 09:00 + 0 分钟 = 2026-06-10 09:00；
    实际到达时间 2026-06-10 10:30 > 2026-06-10 09:00 → 是

**The outcome stated is the engine's**: :func:`explain` evaluates the rule on
durable_rules (:func:`.evaluate.evaluate` with ``all_outcomes=True``) and reports that
finding. The condition-by-condition account beside it comes from :class:`Walker`, an
independent reading of the rule in plain Python (Kleene logic over the same normalised
values the engine sees). The two are compared: :attr:`Explanation.agrees` is false when
they differ, the explanation then says so, and a test requires agreement for every
rule and subject of the example data — so the words shown are the engine's reasons.

Conventions (as :mod:`.compile` and :mod:`.calendar` define them): unknown values make
a comparison unknown; ``fail`` needs A and X true, ``pass`` needs X false, the required
fields known and A not false, anything else is ``insufficient_data``; a related record
counts when its ``where`` is true, may count when it is unknown (a failure through it
is then only ``insufficient_data``), and a rule with several related records gives the
most serious outcome over them (fail > insufficient_data > pass > not_applicable); a
field known only between bounds decides a comparison only when both bounds agree;
days compare calendar dates (Chongqing time), minutes and hours compare exact times,
working days count from the next working day to the end of the N-th (a limit of 0
ends with the day itself), and a deadline is missed only when the event is strictly
after it; a parameter with dated values takes the value in force at the record's date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..calendar import CHONGQING
from ..engine.normalise import (
    Normaliser,
    coordinate,
    day_number,
    duration_span_field,
    local_date,
    phone_digits,
)
from ..errors import EngineError
from ..facts.fields import Fields
from ..facts.labels import COLLECTION_LABELS, FIELD_LABELS, STATUS_LABELS, VALUE_LABELS
from ..facts.model import COLLECTIONS, DEFINITE_NULL_FIELDS, SUBJECT_TYPES, FactSet, Range, Record
from ..rules.compile import SUBJECT_DATE, comparison_scale, subject_date
from ..rules.engine_fields import unknown_marker
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
    ParamRef,
    Present,
    Rule,
    UnitField,
    rule_paths,
)
from ..rules.numbers import fill
from ..rules.regulation import Regulation, regulation
from ..rules.schema import GATE, SUBJECT, FieldInfo, RuleContext
from .evaluate import PRECEDENCE, evaluate, resolve_as_of
from .report import Message, Report
from .rulebook import (
    DERIVED_LABELS,
    NEGATED,
    OP_SYMBOLS,
    SEVERITY_WORDS,
    SOURCE_WORDS,
    compare_words,
    condition_words,
    field_label,
    parameter_label,
    pick,
    presence_words,
    related_words,
    unit_label,
)

Kleene = Literal["true", "false", "unknown"]
T: Kleene = "true"
F: Kleene = "false"
U: Kleene = "unknown"
RESULT_WORDS: dict[str, tuple[str, str]] = {T: ("是", "yes"), F: ("否", "no"),
                                            U: ("未知", "unknown")}
STATUS_EN = {"pass": "pass", "fail": "fail", "insufficient_data": "insufficient data",
             "not_applicable": "not applicable"}
_LINEAR_KINDS = ("datetime", "date", "time", "int", "number")
_SECONDS = {"minutes": 60, "hours": 3600}


class _Missing:
    """An engine field that is absent (unknown, or no related record)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def k_and(values: Iterable[Kleene]) -> Kleene:
    """Kleene conjunction: false wins, then unknown."""
    seen = set(values)
    return F if F in seen else (U if U in seen else T)


def k_or(values: Iterable[Kleene]) -> Kleene:
    """Kleene disjunction: true wins, then unknown."""
    seen = set(values)
    return T if T in seen else (U if U in seen else F)


def k_not(value: Kleene) -> Kleene:
    return F if value == T else (T if value == F else U)


def _k(flag: bool) -> Kleene:
    return T if flag else F


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Step:
    """One condition: in words, with the values put in, and its three-valued result."""

    words: str
    detail: str
    result: Kleene
    children: tuple[Step, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"condition": self.words, "values": self.detail,
                               "result": self.result}
        if self.children:
            out["parts"] = [c.to_dict() for c in self.children]
        return out

    def lines(self, lang: str, depth: int = 1) -> list[str]:
        mark = f"[{pick(RESULT_WORDS[self.result], lang)}]"
        pad = "  " * depth
        out = [f"{pad}{mark} {self.words}"]
        if self.detail:
            out.append(f"{pad}{' ' * (len(mark) + 1)}{self.detail}")
        for child in self.children:
            out.extend(child.lines(lang, depth + 1))
        return out


@dataclass(frozen=True)
class Walk:
    """The plain-Python reading of one rule for one subject (and item)."""

    outcome: str
    effective: Step | None
    applies: Step | None
    requires: tuple[Step, ...]
    fails: Step
    #: alias -> ids of the related records found (after ``match`` and ``where``)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: alias -> id of the related record this account shows (None: there is none)
    shown: dict[str, str | None] = field(default_factory=dict)
    #: how many combinations of related records were judged
    combinations: int = 1
    #: alias -> ids of related records that may count (their ``where`` is unknown)
    unsure: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: parameter -> the value in force at the subject's date (None: not known)
    in_force: dict[str, Any] = field(default_factory=dict)
    #: the account fails only through a related record that may not count
    via_unsure: bool = False


@dataclass(frozen=True)
class Explanation:
    """Why rule ``rule`` gave ``engine_outcome`` for one subject (and item)."""

    rule: Rule
    subject_type: str
    subject_id: str
    supplier_id: str | None
    item: str | None
    as_of: dt.datetime
    engine_outcome: str
    message: Message
    walk: Walk
    #: the language of the account (``zh`` or ``en``)
    lang: str = "zh"
    #: the version of the regulation the rules encode (default: the bundled rules')
    regulation: Regulation | None = None
    #: the fields in force (labels of declared fields)
    fields: Fields | None = None

    @property
    def agrees(self) -> bool:
        """Whether the condition-by-condition account reaches the engine's outcome."""
        return self.walk.outcome == self.engine_outcome

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``explain --format json``)."""
        reg = self.regulation or regulation()
        clause = reg.clauses.get(self.rule.clause)
        w = self.walk
        return {
            "rule": self.rule.id,
            "clause": self.rule.clause,
            "clause_text": {"zh": clause.zh, "en": clause.en} if clause else None,
            "quoted": self.rule.clause_text,
            "title": {"zh": self.rule.title.zh, "en": self.rule.title.en},
            "severity": self.rule.severity,
            "subject": {"type": self.subject_type, "id": self.subject_id},
            "supplier_id": self.supplier_id,
            "item": self.item,
            "as_of": self.as_of.isoformat(),
            "parameters": {n: {"value": w.in_force.get(n, p.value), "unit": p.unit,
                               "source": p.source, "note": fill(p.note, self.rule.parameters,
                                                                w.in_force),
                               **({"values": [{"from": v.from_.isoformat(), "value": v.value}
                                              for v in p.values]} if p.values else {})}
                           for n, p in self.rule.parameters.items()},
            "note": fill(self.rule.note, self.rule.parameters, w.in_force)
            if self.rule.note else None,
            "related": {a: list(ids) for a, ids in w.related.items()},
            "related_unsure": {a: list(ids) for a, ids in w.unsure.items() if ids},
            "shown": w.shown,
            "effective": w.effective.to_dict() if w.effective else None,
            "applies": w.applies.to_dict() if w.applies else None,
            "requires": [s.to_dict() for s in w.requires],
            "fails": w.fails.to_dict(),
            "outcome": self.engine_outcome,
            "explained_outcome": w.outcome,
            "agrees": self.agrees,
            "message": {"zh": self.message.zh, "en": self.message.en},
        }

    def render(self) -> str:
        """The explanation as text for people, in its language."""
        lang = self.lang
        zh = lang == "zh"
        r, w = self.rule, self.walk
        reg = self.regulation or regulation()
        clause = reg.clauses.get(r.clause)
        title = r.title.zh if zh else r.title.en
        severity = pick(SEVERITY_WORDS[r.severity], lang)
        out: list[str] = []
        if zh:
            out.append(f"规则 {r.id} {title}（条款 {r.clause}，严重程度 {severity}）")
            if clause:
                out.append(f"条款 {r.clause} 原文：{clause.zh}")
            out.append(f"规则引用：{r.clause_text}")
            subject = COLLECTION_LABELS.get(r.subject, r.subject)
            supplier = f"（企业 {self.supplier_id}）" if self.supplier_id and \
                self.supplier_id != self.subject_id else ""
            item = f"，检查项 {_value_text(self.item, lang)}" if self.item else ""
            out.append(f"对象：{subject} {self.subject_id}{supplier}{item}；评估时间 "
                       f"{_fmt(self.as_of, lang)}")
        else:
            out.append(f"Rule {r.id} {title} (clause {r.clause}, severity {severity})")
            if clause:
                out.append(f"Clause {r.clause}: {clause.en}")
                out.append(f"  原文: {clause.zh}")
            out.append(f"Quoted by the rule: {r.clause_text}")
            supplier = f" (supplier {self.supplier_id})" if self.supplier_id and \
                self.supplier_id != self.subject_id else ""
            item = f", item {self.item}" if self.item else ""
            out.append(f"Subject: {r.subject} {self.subject_id}{supplier}{item}; as of "
                       f"{_fmt(self.as_of, lang)}")
        if r.parameters:
            out.append("参数：" if zh else "Parameters:")
            for name, p in r.parameters.items():
                source = pick(SOURCE_WORDS[p.source], lang)
                label = parameter_label(p, lang, w.in_force.get(name) if p.dated else None)
                note = fill(p.note, r.parameters, w.in_force)
                out.append(f"  {name} = {label}"
                           + (f"（来源：{source}）{note}" if zh else f" (source: {source}) "
                              f"{note}"))
        if r.note:
            out.append(("规则说明：" if zh else "Note: ") + fill(r.note, r.parameters,
                                                             w.in_force))
        for alias, ids in w.related.items():
            shown = w.shown.get(alias)
            found = "、".join(ids) if zh else ", ".join(ids)
            words = related_words(alias, r, lang, fields=self.fields)
            unsure = w.unsure.get(alias, ())
            maybe = "、".join(unsure) if zh else ", ".join(unsure)
            many = len(ids) + len(unsure) > 1
            if zh:
                out.append(f"关联记录 {alias}（{words}）："
                           + (f"找到 {len(ids)} 条：{found}" if ids else "没有找到")
                           + (f"；另有 {len(unsure)} 条无法确定是否符合：{maybe}" if unsure
                              else "")
                           + (f"；下面展示 {shown}" if shown and many else ""))
            else:
                out.append(f"Related {alias} ({words}): "
                           + (f"{len(ids)} found: {found}" if ids else "none found")
                           + (f"; {len(unsure)} more that may count: {maybe}" if unsure
                              else "")
                           + (f"; shown below: {shown}" if shown and many else ""))
        if w.effective is not None:
            out.append(("是否在生效期内：" if zh else "In force: ")
                       + pick(RESULT_WORDS[w.effective.result], lang))
            out.extend(w.effective.lines(lang))
        if w.applies is None:
            name = COLLECTION_LABELS.get(r.subject, r.subject)
            out.append(f"是否适用：是（本规则适用于所有{name}）" if zh else
                       f"Applies: yes (the rule applies to every {r.subject} record)")
        else:
            out.append(("是否适用：" if zh else "Applies: ")
                       + pick(RESULT_WORDS[w.applies.result], lang))
            out.extend(w.applies.lines(lang))
        if w.requires:
            out.append("必须已知（任一未知即不能判定合规）：" if zh else
                       "Must be known (any unknown: cannot pass):")
            for step in w.requires:
                out.extend(step.lines(lang))
        out.append(("是否不合规：" if zh else "Fails: ") + pick(RESULT_WORDS[w.fails.result], lang))
        out.extend(w.fails.lines(lang))
        outcome = STATUS_LABELS[self.engine_outcome] if zh else STATUS_EN[self.engine_outcome]
        if w.via_unsure:
            out.append("（不合规只经由无法确定是否符合条件的关联记录得出，故为数据不足）" if zh else
                       "(the failure comes only through a related record that may not count: "
                       "insufficient data)")
        if self.agrees:
            out.append(f"结论：{outcome}（规则引擎的结论，与上面逐条推演一致）" if zh else
                       f"Outcome: {outcome} (the engine's, the same as the account above)")
        else:
            walked = STATUS_LABELS[w.outcome] if zh else STATUS_EN[w.outcome]
            out.append(f"结论：{outcome}（规则引擎的结论）。注意：逐条推演得到“{walked}”，与引擎不一致，"
                       "请报告此问题" if zh else
                       f"Outcome: {outcome} (the engine's). Warning: the account above reaches "
                       f"{walked}; please report this disagreement")
        if w.combinations > 1:
            out.append(f"（共判断了 {w.combinations} 种关联记录组合，取最严重的结论）" if zh else
                       f"({w.combinations} combinations of related records judged; the most "
                       "serious outcome counts)")
        if self.engine_outcome in ("fail", "insufficient_data"):
            out.append(("说明：" if zh else "Message: ")
                       + (self.message.zh if zh else self.message.en))
        return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- display
def _fmt(value: Any, lang: str, labels: Mapping[str, str] = VALUE_LABELS) -> str:
    """A value as people read it (times in Chongqing time; ``labels``: Chinese labels of
    enumeration values)."""
    zh = lang == "zh"
    if value is None or value is MISSING:
        return "未知" if zh else "unknown"
    if isinstance(value, Range):
        lo, hi = _fmt(value.lo, lang), _fmt(value.hi, lang)
        return f"{lo} 至 {hi} 之间" if zh else f"between {lo} and {hi}"
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if isinstance(value, dt.datetime):
        local = value.astimezone(CHONGQING)
        return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        if not value:
            return "（空列表）" if zh else "(empty list)"
        return ("、" if zh else ", ").join(_value_text(v, lang, labels) for v in value)
    if isinstance(value, str):
        return _value_text(value, lang, labels)
    return str(value)


def _value_text(value: Any, lang: str, labels: Mapping[str, str] = VALUE_LABELS) -> str:
    if isinstance(value, str) and lang == "zh" and value in labels:
        return f"{labels[value]}（{value}）"
    return str(value)


def _short(path: str, lang: str, info: FieldInfo | None = None,
           fields: Fields | None = None) -> str:
    """A field's short name for value lines: ``实际到达时间`` (``info``: the field resolved,
    for the label of a declared field)."""
    if path == "as_of":
        return "评估时间" if lang == "zh" else "as_of"
    if lang != "zh":
        return path
    name = path.rpartition(".")[2]
    if info is not None and fields is not None and info.collection in COLLECTIONS:
        declared = fields.label(info.collection, name)
        if declared:
            return declared
    return FIELD_LABELS.get(name) or DERIVED_LABELS.get(name) or path


# ----------------------------------------------------------------------------- walker
@dataclass
class _Scope:
    """What one reading of a rule sees: the subject, the item and the related records."""

    rule: Rule
    record: Record
    item: str | None
    binding: dict[str, Record | None]
    related: dict[str, list[Record]]
    lang: str
    #: inside a related record's ``where``: (alias, candidate record)
    candidate: tuple[str, Record] | None = None
    #: alias -> related records whose ``where`` is unknown (they may count)
    unsure: dict[str, list[Record]] = field(default_factory=dict)
    #: the subject's own date (what decides the parameter values in force)
    day: dt.date | None = None

    def record_of(self, alias: str) -> Record | None:
        if alias == SUBJECT:
            return self.record
        if self.candidate is not None and alias == self.candidate[0]:
            return self.candidate[1]
        return self.binding.get(alias)


class Walker:
    """Reads rules for subjects in plain Python, as :mod:`.compile` defines them.

    Independent of durable_rules; shares with the engine only the normalised values
    (:class:`.normalise.Normaliser`), so an agreement test checks the compiler and the
    engine, and the explanation shows the values the engine compared.
    """

    def __init__(self, rules: RuleSet, facts: FactSet,
                 as_of: dt.datetime | str | None = None) -> None:
        rules.require_fields(facts)
        self.rules = rules
        self.fields = rules.fields
        self.facts = facts
        self.as_of = resolve_as_of(as_of, facts)
        self.normaliser = Normaliser(facts, rules.calendar)
        self.gate = self.normaliser.gate(self.as_of)
        self._facts: dict[tuple[str, str, str], Any] = {}
        self._pools: dict[str, dict[str, list[Record]]] = {}
        self._paths: dict[tuple[Any, ...], tuple[str, FieldInfo]] = {}

    def _resolve(self, ctx: RuleContext, path: str) -> tuple[str, FieldInfo]:
        """``ctx.resolve(path)``, remembered (it depends only on the collections named)."""
        rule = ctx.rule
        key = (rule.subject, tuple((a, r.collection) for a, r in rule.related.items()),
               ctx.scope, path)
        if key not in self._paths:
            self._paths[key] = ctx.resolve(path)
        return self._paths[key]

    # -- values
    def _collection(self, scope: _Scope, alias: str) -> str:
        if alias == SUBJECT:
            return scope.rule.subject
        return scope.rule.related[alias].collection

    def engine(self, scope: _Scope, alias: str, name: str) -> Any:
        """The value the engine compares (epoch seconds, day numbers, ...), or MISSING."""
        if alias == GATE:
            return self.gate.get(name, MISSING)
        record = scope.record_of(alias)
        if record is None:
            return MISSING
        return self._engine_value(self._collection(scope, alias), record, name)

    def _engine_value(self, collection: str, record: Record, name: str) -> Any:
        key = (collection, record.record_id(), name)
        if key not in self._facts:
            fact = self.normaliser.engine_fact(collection, record, {name})
            self._facts[key] = fact.get(name, MISSING)
        return self._facts[key]

    def shown(self, scope: _Scope, alias: str, info: FieldInfo) -> str:
        """A field's value for people; a null that means something reads "empty"."""
        value = self.typed(scope, alias, info)
        if value is None and self._definite(scope, alias, info.name):
            return "空" if scope.lang == "zh" else "empty"
        labels = self.fields.value_labels(info.collection, info.name) \
            if info.collection in COLLECTIONS else VALUE_LABELS
        return _fmt(value, scope.lang, labels)

    def typed(self, scope: _Scope, alias: str, info: FieldInfo) -> Any:
        """The domain value for display (``None``: unknown; MISSING: no related record)."""
        if alias == GATE:
            return self.as_of
        record = scope.record_of(alias)
        if record is None:
            return MISSING
        if info.name == "id":
            return record.record_id()
        return self.normaliser.value(self._collection(scope, alias), record, info.name)

    # -- the rule
    def walk(self, rule: Rule, record: Record, item: str | None = None,
             lang: str = "zh") -> Walk:
        """The outcome of ``rule`` for ``record`` (and ``item``), condition by condition."""
        partition = self.normaliser.partition(rule.subject, record)
        day = subject_date(rule.subject, record.values, self.as_of)
        base = _Scope(rule, record, item, {}, {}, lang, day=day)
        found = {alias: self._related(base, alias, partition) for alias in rule.related}
        related = {alias: sure for alias, (sure, _) in found.items()}
        unsure = {alias: maybe for alias, (_, maybe) in found.items()}
        base.related = related
        used = sorted({p.partition(".")[0] for p in rule_paths(rule) if "." in p}
                      & set(rule.related), key=list(rule.related).index)
        choices: list[list[Record | None]] = [
            [*related[a], *unsure[a]] or [None] for a in used]
        walks: list[Walk] = []
        combos = list(itertools.product(*choices))
        in_force = {name: p.value_at(day) for name, p in rule.parameters.items()}
        for combo in combos:
            scope = _Scope(rule, record, item, dict(zip(used, combo, strict=True)), related,
                           lang, unsure=unsure, day=day)
            walk = self._judge(scope, len(combos))
            maybe = any(rec is not None and rec in unsure[a]
                        for a, rec in zip(used, combo, strict=True))
            if walk.outcome == "fail" and maybe:  # the record may not count
                walk = dataclasses.replace(walk, outcome="insufficient_data", via_unsure=True)
            walks.append(dataclasses.replace(walk, in_force=in_force))
        best = walks[0]
        for w in walks[1:]:
            if PRECEDENCE[w.outcome] > PRECEDENCE[best.outcome]:
                best = w
        return best

    def _related(self, scope: _Scope, alias: str, partition: str
                 ) -> tuple[list[Record], list[Record]]:
        """The related records of ``alias`` (same partition, ``match``) whose ``where``
        is true, and those whose ``where`` is unknown."""
        rule = scope.rule
        rel = rule.related[alias]
        ctx = self.rules.context(rule)
        sure: list[Record] = []
        maybe: list[Record] = []
        for candidate in self._pool(rel.collection, partition):
            trial = _Scope(rule, scope.record, scope.item, {}, {}, scope.lang, (alias, candidate),
                           day=scope.day)
            if not all(self._matches(trial, ctx, alias, rel_field, subject_field)
                       for rel_field, subject_field in rel.match.items()):
                continue
            result = T if rel.where is None else \
                self.condition(rel.where, trial, ctx.scoped(alias)).result
            if result == T:
                sure.append(candidate)
            elif result == U:
                maybe.append(candidate)
        return (sorted(sure, key=lambda r: r.record_id()),
                sorted(maybe, key=lambda r: r.record_id()))

    def _pool(self, collection: str, partition: str) -> list[Record]:
        """The records of ``collection`` a subject in ``partition`` can relate to (the
        commission is seen by every partition, as :mod:`.evaluate` broadcasts it)."""
        if collection == "commission":
            return list(self.facts.records(collection))
        if collection not in self._pools:
            pools: dict[str, list[Record]] = {}
            for record in self.facts.records(collection):
                pools.setdefault(self.normaliser.partition(collection, record), []).append(record)
            self._pools[collection] = pools
        return self._pools[collection].get(partition, [])

    def _matches(self, scope: _Scope, ctx: RuleContext, alias: str, rel_field: str,
                 subject_field: str | ItemRef) -> bool:
        _, info = self._resolve(ctx.scoped(alias), rel_field)
        mine = self.engine(scope, alias, info.engine_field)
        if isinstance(subject_field, ItemRef):
            theirs: Any = scope.item
        else:
            _, s_info = self._resolve(ctx, subject_field)
            theirs = self.engine(scope, SUBJECT, s_info.engine_field)
        return mine is not MISSING and theirs is not MISSING and theirs is not None and \
            bool(mine == theirs)

    def _judge(self, scope: _Scope, combinations: int) -> Walk:
        rule = scope.rule
        ctx = self.rules.context(rule)
        effective = self._effective(scope, ctx) if (rule.effective_from or
                                                    rule.effective_until) else None
        applies = self.condition(rule.applies_when, scope, ctx) if rule.applies_when else None
        requires = tuple(self._known(path, scope, ctx) for path in rule.requires)
        fails = self.condition(rule.fails_when, scope, ctx)
        a = k_and(s.result for s in (effective, applies) if s is not None)
        known = all(s.result == T for s in requires)
        if a == F:
            outcome = "not_applicable"
        elif a == T and fails.result == T:
            outcome = "fail"
        elif known and fails.result == F:
            outcome = "pass"
        else:
            outcome = "insufficient_data"
        shown = {alias: (rec.record_id() if rec is not None else None)
                 for alias, rec in scope.binding.items()}
        related = {alias: tuple(r.record_id() for r in recs)
                   for alias, recs in scope.related.items()}
        unsure = {alias: tuple(r.record_id() for r in recs)
                  for alias, recs in scope.unsure.items()}
        return Walk(outcome, effective, applies, requires, fails, related, shown, combinations,
                    unsure)

    def _effective(self, scope: _Scope, ctx: RuleContext) -> Step:
        rule, lang = scope.rule, scope.lang
        path = SUBJECT_DATE.get(rule.subject, "as_of")
        alias, info = self._resolve(ctx, path)
        day = self.engine(scope, alias, coordinate(info, "day", end=False))
        shown = _fmt(self.typed(scope, alias, info), lang)
        parts: list[Kleene] = []
        if day is MISSING:
            parts.append(U)
        else:
            if rule.effective_from:
                parts.append(_k(day >= day_number(rule.effective_from)))
            if rule.effective_until:
                parts.append(_k(day <= day_number(rule.effective_until)))
        period = f"{rule.effective_from or '—'} ~ {rule.effective_until or '—'}"
        if lang == "zh":
            return Step(f"规则生效期间 {period}，按"
                        f"{field_label(path, rule, lang, fields=self.fields)}判断",
                        f"{_short(path, lang, info, self.fields)} {shown}", k_and(parts))
        return Step(f"rule in force {period}, judged by {path}", f"{path} {shown}",
                    k_and(parts))

    def _known(self, path: str, scope: _Scope, ctx: RuleContext) -> Step:
        alias, info = self._resolve(ctx, path)
        value = self.engine(scope, alias, info.engine_field)
        result = U if value is MISSING else T
        if alias not in (SUBJECT, GATE) and scope.record_of(alias) is None:
            result = U
        shown = _fmt(self.typed(scope, alias, info), scope.lang)
        label = field_label(path, scope.rule, scope.lang, ctx.scope, fields=self.fields)
        words = f"{label}已知" if scope.lang == "zh" else f"{label} is known"
        return Step(words, ("实际：" if scope.lang == "zh" else "actual: ") + shown, result)

    # -- conditions
    def condition(self, cond: Condition, scope: _Scope, ctx: RuleContext) -> Step:
        """One condition (and its parts) read for ``scope``."""
        rule, lang = scope.rule, scope.lang
        zh = lang == "zh"
        if isinstance(cond, (All, Any_)):
            items = cond.all if isinstance(cond, All) else cond.any
            parts = tuple(self.condition(c, scope, ctx) for c in items)
            if len(parts) == 1:
                return parts[0]
            if isinstance(cond, All):
                return Step("同时满足以下全部条件" if zh else "all of", "",
                            k_and(p.result for p in parts), parts)
            return Step("满足以下任一条件" if zh else "any of", "",
                        k_or(p.result for p in parts), parts)
        if isinstance(cond, Not):
            part = self.condition(cond.not_, scope, ctx)
            return Step("不满足以下条件" if zh else "not", "", k_not(part.result), (part,))
        if isinstance(cond, (Present, Absent)):
            path = cond.present if isinstance(cond, Present) else cond.absent
            alias, info = self._resolve(ctx, path)
            words = presence_words(path, isinstance(cond, Present), rule, lang, ctx.scope,
                                   fields=self.fields)
            if alias not in (SUBJECT, GATE) and scope.record_of(alias) is None:
                return Step(words, "没有关联记录" if zh else "no related record", U)
            if self._contradicted(scope, alias, info.engine_field):
                return Step(words, "与同一记录的另一字段矛盾，按未知处理" if zh else
                            "contradicts another field of the record: unknown", U)
            known = self.engine(scope, alias, info.engine_field) is not MISSING
            shown = _fmt(self.typed(scope, alias, info), lang) if known else (
                "空" if zh else "empty")
            result = _k(known) if isinstance(cond, Present) else _k(not known)
            return Step(words, ("实际：" if zh else "actual: ") + shown, result)
        if isinstance(cond, (Exists, NoneOf)):
            alias = cond.exists if isinstance(cond, Exists) else cond.none
            ids = [r.record_id() for r in scope.related.get(alias, [])]
            maybe = [r.record_id() for r in scope.unsure.get(alias, [])]
            words = condition_words(cond, rule, lang, ctx.scope, fields=self.fields).text
            if ids:
                detail = (f"找到 {len(ids)} 条：{'、'.join(ids)}" if zh else
                          f"{len(ids)} found: {', '.join(ids)}")
            elif maybe:
                detail = (f"没有确定符合的；{len(maybe)} 条无法确定：{'、'.join(maybe)}" if zh else
                          f"none for certain; {len(maybe)} may count: {', '.join(maybe)}")
            else:
                detail = "没有找到" if zh else "none found"
            exists = T if ids else (U if maybe else F)
            return Step(words, detail, exists if isinstance(cond, Exists) else k_not(exists))
        if isinstance(cond, Compare):
            return self._compare(cond, scope, ctx)
        raise TypeError(f"not a condition: {cond!r}")

    def _literal(self, value: Any, scope: _Scope) -> Any:
        if isinstance(value, ItemRef):
            return scope.item
        if isinstance(value, ParamRef):
            return scope.rule.parameters[value.param].value_at(scope.day)
        return value

    def _contradicted(self, scope: _Scope, alias: str, name: str) -> bool:
        """Whether a contradiction made this (definite-null) field unknown here."""
        if alias == GATE or scope.record_of(alias) is None:
            return False
        return self.engine(scope, alias, unknown_marker(name)) is not MISSING

    def _compare(self, cond: Compare, scope: _Scope, ctx: RuleContext) -> Step:
        rule, lang = scope.rule, scope.lang
        zh = lang == "zh"
        words = compare_words(cond, rule, lang, ctx.scope, fields=self.fields)
        op, value = cond.op, cond.value
        params = [v for v in ((value.plus, value.minus, value.times)
                              if isinstance(value, FieldExpr) else (value,))
                  if isinstance(v, ParamRef)]
        if any(rule.parameters[v.param].value_at(scope.day) is None for v in params):
            return Step(words, "对象日期未知，无法确定适用的参数值" if zh else
                        "the record's date is unknown: which parameter value applies is not known",
                        U)
        alias, info = self._resolve(ctx, cond.field)
        if op in ("in", "not_in", "contains", "lacks"):
            x = self.engine(scope, alias, info.engine_field)
            actual = ("实际：" if zh else "actual: ") + self.shown(scope, alias, info)
            null = self._nulls(scope, [(alias, info.name, x)])
            if null is not None:
                return Step(words, actual + self._null_words(null, lang), null)
            if op in ("in", "not_in"):
                hit = any(x == self._literal(v, scope) for v in value)
                return Step(words, actual, _k(hit if op == "in" else not hit))
            hit = self._literal(value, scope) in x
            return Step(words, actual, _k(hit if op == "contains" else not hit))
        if isinstance(value, FieldExpr) and isinstance(value.unit, UnitField):
            u_alias, u_info = self._resolve(ctx, value.unit.field)
            unit = self.engine(scope, u_alias, u_info.engine_field)
            if unit is MISSING:
                unknown = _short(value.unit.field, lang, u_info, self.fields)
                return Step(words, f"{unknown}未知，无法判断" if zh else
                            f"{unknown} unknown: cannot judge", U)
            return self._linear(cond, scope, ctx, words, str(unit))
        if info.kind in _LINEAR_KINDS:
            return self._linear(cond, scope, ctx, words, None)
        return self._equality(cond, scope, ctx, words)

    def _definite(self, scope: _Scope, alias: str, name: str) -> bool:
        """Whether a null in this field has a meaning (an event that has not happened...)."""
        if alias == GATE:
            return False
        return name in DEFINITE_NULL_FIELDS.get(self._collection(scope, alias), frozenset())

    def _nulls(self, scope: _Scope, refs: list[tuple[str, str, Any]]) -> Kleene | None:
        """The result forced by missing values, or None when every value is there.

        A comparison with a field whose null has a meaning (an event not happened, no
        expiry, ...) is false; otherwise a missing value makes it unknown.
        """
        for alias, name, value in refs:
            if value is MISSING and self._definite(scope, alias, name) and \
                    (alias == SUBJECT or scope.record_of(alias) is not None) and \
                    not self._contradicted(scope, alias, name):
                return F
        return U if any(value is MISSING for _, _, value in refs) else None

    @staticmethod
    def _null_words(result: Kleene, lang: str) -> str:
        if result == F:
            return "（为空，比较不成立）" if lang == "zh" else " (empty: the comparison fails)"
        return "（未知，无法判断）" if lang == "zh" else " (unknown: cannot judge)"

    def _equality(self, cond: Compare, scope: _Scope, ctx: RuleContext, words: str) -> Step:
        lang = scope.lang
        zh = lang == "zh"
        alias, info = self._resolve(ctx, cond.field)
        digits = cond.compare == "digits"
        left = self.engine(scope, alias, phone_digits(info.engine_field) if digits
                           else info.engine_field)
        refs = [(alias, info.name, left)]
        shown = f"{_short(cond.field, lang, info, self.fields)} {self.shown(scope, alias, info)}"
        value = cond.value
        if isinstance(value, FieldExpr):
            r_alias, r_info = self._resolve(ctx, value.field)
            right = self.engine(scope, r_alias, phone_digits(r_info.engine_field) if digits
                                else r_info.engine_field)
            refs.append((r_alias, r_info.name, right))
            shown += f"，{_short(value.field, lang, r_info, self.fields)} " if zh else \
                f", {value.field} "
            shown += self.shown(scope, r_alias, r_info)
            if digits and left is not MISSING and right is not MISSING:
                shown += f"（数字 {left} 与 {right}）" if zh else f" (digits {left} and {right})"
        else:
            right = self._literal(value, scope)
        null = self._nulls(scope, refs)
        if null is not None:
            return Step(words, shown + self._null_words(null, lang), null)
        same = left == right
        return Step(words, ("实际：" if zh else "actual: ") + shown,
                    _k(same if cond.op == "eq" else not same))

    def _linear(self, cond: Compare, scope: _Scope, ctx: RuleContext, words: str,
                unit_override: str | None) -> Step:
        """``left op right (+/- shift)`` on the coordinates :mod:`.compile` uses."""
        rule, lang = scope.rule, scope.lang
        op, value = cond.op, cond.value
        alias, info = self._resolve(ctx, cond.field)
        unit = unit_override
        shift: Any = None
        sign = 1
        factor: Any = None
        right_path: str | None = None
        constant: Any = None
        if isinstance(value, FieldExpr):
            right_path = value.field
            if value.plus is not None:
                shift = value.plus
            elif value.minus is not None:
                shift, sign = value.minus, -1
            if unit is None and isinstance(value.unit, str):
                unit = value.unit
            if unit is None and isinstance(shift, ParamRef):
                unit = rule.parameters[shift.param].unit
            factor = value.times
        else:
            constant = self._literal(value, scope)
        kinds = {info.kind}
        r_alias: str | None = None
        r_info: FieldInfo | None = None
        if right_path is not None:
            r_alias, r_info = self._resolve(ctx, right_path)
            kinds.add(r_info.kind)
        amount: Any = None
        if shift is not None and not isinstance(shift, UnitField):
            amount = self._literal(shift, scope)
        scale, same_day_guard = comparison_scale(unit, kinds, shift, amount, sign,
                                                 joined=right_path is not None)
        lefts = self._bounds(scope, alias, info, scale, True)
        left_typed = self.typed(scope, alias, info)
        refs: list[tuple[str, str, Any]] = [(alias, info.name, lefts[0])]
        rights: list[Any] = [0]
        right_typed: Any = None
        mult: Any = 1
        if r_alias is not None and r_info is not None:
            found = self._bounds(scope, r_alias, r_info, scale, False)
            refs.append((r_alias, r_info.name, found[0]))
            right_typed = self.typed(scope, r_alias, r_info)
            if factor is not None:
                mult = self._literal(factor, scope)
            if found[0] is not MISSING:
                rights = [mult * r for r in found]
        elif constant is not None:
            rights = [constant]
        offset: Any = 0
        if shift is not None:
            if isinstance(shift, UnitField):
                s_alias, s_info = self._resolve(ctx, shift.field)
                span = self.engine(scope, s_alias, duration_span_field(s_info.engine_field))
                refs.append((s_alias, s_info.name, span))
                amount = self.typed(scope, s_alias, s_info)
                if span is not MISSING:
                    offset = sign * span
            else:
                offset = sign * _scaled(amount, unit, scale)
        symbol = OP_SYMBOLS[op]
        left_text = f"{_short(cond.field, lang, info, self.fields)} " \
                    f"{self.shown(scope, alias, info)}"
        right_shown = self.shown(scope, r_alias, r_info) if r_alias and r_info else ""
        right_text, rhs_text = self._right_side(
            scale, unit, right_path, right_typed, right_shown, mult, factor, shift, sign,
            amount, constant, scope, r_info)
        null = self._nulls(scope, refs)
        if null is not None:
            detail = f"{left_text} {symbol} {right_text}"
            return Step(words, detail + self._null_words(null, lang), null)
        outcomes = {_holds(lv, op, rv + offset) for lv in lefts for rv in rights}
        result = _k(True in outcomes) if len(outcomes) == 1 else U
        if same_day_guard and r_alias is not None and r_info is not None:
            later = self.engine(scope, alias, coordinate(info, "day", end=True)) > \
                self.engine(scope, r_alias, coordinate(r_info, "day", end=False))
            guarded = k_and([result, _k(later)]) if op in ("gt", "ge") else \
                k_or([result, _k(not later)])
            if guarded != result:
                result = guarded
                rhs_text += "（当日）" if lang == "zh" else " (the same day)"
        shown_symbol = symbol if result == T else OP_SYMBOLS[NEGATED[op]]
        zh = lang == "zh"
        if scale in ("day", "working_day") and isinstance(left_typed, dt.datetime):
            day = local_date(left_typed).isoformat()
            left_text += f"（{day}）" if zh else f" ({day})"
        if result == U:
            shown_symbol = "?"
        if right_text == rhs_text:
            detail = f"{left_text} {shown_symbol} {rhs_text}"
        else:
            detail = f"{right_text} = {rhs_text}{'；' if zh else '; '}{left_text} " \
                     f"{shown_symbol} {rhs_text}"
        return Step(words, detail, result)

    def _bounds(self, scope: _Scope, alias: str, info: FieldInfo, scale: str, end: bool
                ) -> list[Any]:
        """The engine value(s) of a field on a scale: one, or both bounds of a field known
        only between two values ([MISSING] when unknown)."""
        if not info.ranged:
            return [self.engine(scope, alias, coordinate(info, scale, end=end))]
        lo = self.engine(scope, alias, coordinate(info, scale, end=end, bound="lo"))
        hi = self.engine(scope, alias, coordinate(info, scale, end=end, bound="hi"))
        return [MISSING] if lo is MISSING or hi is MISSING else [lo, hi]

    def _right_side(self, scale: str, unit: str | None, right_path: str | None,
                    right_typed: Any, right_shown: str, mult: Any, factor: Any, shift: Any,
                    sign: int, amount: Any, constant: Any, scope: _Scope,
                    r_info: FieldInfo | None = None) -> tuple[str, str]:
        """(the right side as written, its value) for display, e.g.
        ``("约定上门时间 2026-06-10 09:00 + 0 分钟", "2026-06-10 09:00")``."""
        lang = scope.lang
        if right_path is None:
            text = _fmt(constant, lang)
            return text, text
        base = f"{_short(right_path, lang, r_info, self.fields)} {right_shown}"
        if scale in ("day", "working_day") and isinstance(right_typed, dt.datetime) and \
                shift is None:
            day = local_date(right_typed).isoformat()
            base += f"（{day}）" if lang == "zh" else f" ({day})"
        if factor is not None:
            base += f" × {mult}"
        if shift is None:
            if factor is not None and isinstance(right_typed, (int, float)):
                return base, str(mult * right_typed)
            return base, base
        amount_text = f"{amount}" + (f" {unit_label(unit, lang)}" if unit else "")
        written = f"{base} {'+' if sign > 0 else '-'} {amount_text}"
        if right_typed is None or right_typed is MISSING or amount is None:
            return written, written
        total = _shifted(right_typed, sign, amount, unit, scale, self.rules, lang)
        if total is None:
            return written, written
        return written, total


def _scaled(amount: Any, unit: str | None, scale: str) -> Any:
    """A shift in the scale's coordinate (as :mod:`.compile` scales it)."""
    if scale == "working_day":
        return 2 * amount
    if scale == "day":
        return amount
    if scale == "second":
        return amount * _SECONDS.get(unit or "minutes", 1) if unit else amount
    if scale == "minute":
        return amount * (60 if unit == "hours" else 1)
    return amount


def _holds(left: Any, op: str, right: Any) -> bool:
    return bool({"eq": left == right, "ne": left != right, "lt": left < right,
                 "le": left <= right, "gt": left > right, "ge": left >= right}[op])


def _shifted(value: Any, sign: int, amount: Any, unit: str | None, scale: str,
             rules: RuleSet, lang: str) -> str | None:
    """``value`` moved by ``amount`` ``unit``, as people read it (None if not shown)."""
    zh = lang == "zh"
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        return None
    if scale == "second" and isinstance(value, dt.datetime):
        seconds = amount * _SECONDS.get(unit or "minutes", 1)
        return _fmt(value + sign * dt.timedelta(seconds=seconds), lang)
    if scale == "minute" and isinstance(value, dt.time):
        minutes = value.hour * 60 + value.minute + sign * amount * (60 if unit == "hours" else 1)
        return f"{int(minutes) // 60 % 24:02d}:{int(minutes) % 60:02d}"
    if scale == "day" and isinstance(value, (dt.date, dt.datetime)):
        day = local_date(value) if isinstance(value, dt.datetime) else value
        return (day + sign * dt.timedelta(days=amount)).isoformat()
    if scale == "working_day" and isinstance(value, (dt.date, dt.datetime)) and sign > 0 \
            and amount >= 1:
        day = local_date(value) if isinstance(value, dt.datetime) else value
        deadline = rules.calendar.add_working_days(day, int(amount))
        return (f"{deadline.isoformat()}（第 {int(amount)} 个工作日）" if zh else
                f"{deadline.isoformat()} (working day {int(amount)})")
    if scale == "number" and isinstance(value, (int, float)):
        return str(value + sign * amount)
    return None


# ----------------------------------------------------------------------------- API
def find_subject(rules: RuleSet, facts: FactSet, rule_id: str, subject_id: str) -> Record:
    """The record ``subject_id`` of the rule's subject collection (KeyError if none)."""
    rule = rules.get(rule_id)
    for record in facts.records(rule.subject):
        if record.record_id() == subject_id:
            return record
    raise KeyError(subject_id)


def explain(
    rules: RuleSet,
    facts: FactSet,
    rule_id: str,
    subject_id: str,
    *,
    item: str | None = None,
    as_of: dt.datetime | str | None = None,
    lang: str = "zh",
    report: Report | None = None,
) -> list[Explanation]:
    """Explain rule ``rule_id`` for subject ``subject_id`` (every item, or ``item``).

    The outcome is the engine's: from ``report`` if given (it must hold every outcome,
    ``evaluate(..., all_outcomes=True)``), else from evaluating the rule now. Raises
    KeyError for an unknown rule, subject or item.
    """
    rule = rules.get(rule_id)
    record = find_subject(rules, facts, rule_id, subject_id)
    items: Sequence[str | None] = list(rule.items) if rule.items else [None]
    if item is not None:
        if item not in items:
            raise KeyError(item)
        items = [item]
    moment = resolve_as_of(as_of, facts)
    if report is None:
        report = evaluate(rules.select([rule_id]), facts, moment, all_outcomes=True)
    walker = Walker(rules, facts, moment)
    out: list[Explanation] = []
    for one in items:
        finding = next((f for f in report.findings if f.rule == rule_id
                        and f.subject.id == subject_id and f.item == one), None)
        if finding is None:
            raise EngineError(f"the engine gave no outcome for {rule_id} / {subject_id}"
                              + (f" / {one}" if one else ""))
        out.append(Explanation(
            rule=rule, subject_type=SUBJECT_TYPES[rule.subject], subject_id=subject_id,
            supplier_id=finding.supplier_id, item=one, as_of=moment,
            engine_outcome=finding.status, message=finding.message,
            walk=walker.walk(rule, record, one, lang), lang=lang, regulation=rules.regulation,
            fields=rules.fields))
    return out
