"""Compile validated rules into durable_rules ruleset definitions (plain dicts).

Each rule becomes durable_rules rules whose firings *are* the outcomes. For a subject
with applicability A, requirements K (fields that must be known) and failure
condition X, evaluated in three-valued (Kleene) logic — every field is either known or
unknown — the four outcomes are disjoint and cover every case:

* ``not_applicable``    = F(A)
* ``insufficient_data`` = U(A) ∨ (T(A) ∧ ¬K) ∨ (T(A) ∧ K ∧ U(X))
* ``fail``              = T(A) ∧ K ∧ T(X)
* ``pass``              = T(A) ∧ K ∧ F(X)

Each of T/F/U of a condition is put in disjunctive normal form over *literals* the
engine evaluates itself (comparisons, ``$ex``/``$nex``, list membership, joins and
anti-joins); each conjunction becomes one durable_rules rule::

    all: [gate, subject, related...]     a rule that relates other records
    all: [subject]                       a rule about the subject alone

The gate fact (carrying ``as_of``) comes first in every rule that joins, and is
asserted after all data, so that negation (``none``) sees every fact (durable_rules
does not truth-maintain negation). A rule about the subject alone needs no gate: its
``as_of`` coordinates travel on the subject fact itself, and it fires as each subject
is asserted (no join at all: about twice as fast). Arithmetic is linear and integer:
time is compared on coordinates the normalise step derives (epoch seconds, day
numbers, working-day coordinates, see :mod:`.calendar`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..calendar import day_number
from ..facts.model import DEFINITE_NULL_FIELDS
from .engine_fields import (
    ENGINE_ID,
    KIND,
    RECORD_ID,
    coordinate,
    duration_span_field,
    phone_digits,
)
from .model import (
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
)
from .schema import GATE, SUBJECT, FieldInfo, RuleContext

GATE_KIND = "__gate__"
OUTCOMES = ("fail", "insufficient_data", "pass", "not_applicable")
MAX_CONJUNCTIONS = 256

# ----------------------------------------------------------------------------- literals
# A literal is a hashable tuple the engine evaluates:
#   ("cmp", op, terms, const)      sum(coef * ref) + const  <op>  0, linear and numeric
#   ("eqv", op, ref, value)        ref == / != a constant or another ref (strings, bools)
#   ("present", ref) / ("absent", ref)
#   ("contains", ref, value) / ("lacks", ref, value)   list membership
#   ("exists", alias) / ("none", alias)
# A ref is (alias, engine_field).

Ref = tuple[str, str]
Literal_ = tuple[Any, ...]
Conj = frozenset[Literal_]
DNF = frozenset[Conj]

TRUE: DNF = frozenset({frozenset()})
FALSE: DNF = frozenset()

_NEG = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_SECONDS = {"minutes": 60, "hours": 3600}
_LINEAR_KINDS = ("datetime", "date", "time", "int", "number")


def _or(*parts: DNF) -> DNF:
    return frozenset().union(*parts)


def _and(*parts: DNF) -> DNF:
    result = TRUE
    for part in parts:
        result = frozenset(a | b for a in result for b in part)
        result = frozenset(c for c in result if not _contradictory(c))
        if len(result) > MAX_CONJUNCTIONS:
            raise CompileError("condition too complex for the engine (too many combinations)")
    return _absorb(result)


def _absorb(dnf: DNF) -> DNF:
    return frozenset(c for c in dnf if not any(o < c for o in dnf))


def _refs_of(lit: Literal_) -> list[Ref]:
    kind = lit[0]
    if kind == "cmp":
        return [r for r, _ in lit[2]]
    if kind == "eqv":
        return [lit[2]] + ([lit[3][1]] if isinstance(lit[3], tuple) and lit[3][0] == "ref" else [])
    if kind in ("present", "absent", "contains", "lacks"):
        return [lit[1]]
    return []


def _contradictory(conj: Conj) -> bool:
    for lit in conj:
        kind = lit[0]
        if kind == "present" and ("absent", lit[1]) in conj:
            return True
        if kind == "absent" and any(
            lit[1] in _refs_of(other) for other in conj if other[0] not in ("present", "absent")
        ):
            return True  # a comparison on a missing field never holds
        if kind == "contains" and ("lacks", lit[1], lit[2]) in conj:
            return True
        if kind == "exists" and ("none", lit[1]) in conj:
            return True
        if kind == "none" and any(ref[0] == lit[1] for other in conj for ref in _refs_of(other)):
            return True
        if kind in ("cmp", "eqv") and (*lit[0:1], _NEG[lit[1]], *lit[2:]) in conj:
            return True
        if kind == "eqv" and lit[1] == "eq" and not isinstance(lit[3], tuple):
            for other in conj:
                if (other[0] == "eqv" and other[1] == "eq" and other[2] == lit[2]
                        and not isinstance(other[3], tuple) and other[3] != lit[3]):
                    return True
    return False


class CompileError(Exception):
    """A rule the compiler cannot express (validation should have caught it)."""


# ----------------------------------------------------------------------------- rules
@dataclass
class CompiledRule:
    """A rule compiled to durable_rules definitions, one group per outcome."""

    rule: Rule
    key: str
    items: tuple[str | None, ...]
    #: durable rule name -> (outcome, item, definition without ``run``)
    definitions: dict[str, tuple[str, str | None, dict[str, Any]]] = field(default_factory=dict)
    #: collection -> engine fields the rule reads (``as_of`` ones under GATE_KIND)
    fields: dict[str, set[str]] = field(default_factory=dict)

    @property
    def gated(self) -> bool:
        """Whether the rule's definitions start with the gate (it relates records)."""
        return bool(self.rule.related)


@dataclass
class _Env:
    rule: Rule
    ctx: RuleContext
    item: str | None
    fields: dict[str, set[str]]

    def collection_of(self, alias: str) -> str:
        if alias == SUBJECT:
            return self.rule.subject
        if alias == GATE:
            return GATE_KIND
        return self.rule.related[alias].collection

    def use(self, ref: Ref) -> Ref:
        self.fields.setdefault(self.collection_of(ref[0]), set()).add(ref[1])
        return ref

    def info(self, path: str) -> tuple[str, FieldInfo]:
        return self.ctx.resolve(path)

    def param(self, ref: ParamRef) -> Any:
        return self.rule.parameters[ref.param].value

    def param_unit(self, ref: ParamRef) -> str | None:
        return self.rule.parameters[ref.param].unit


def compile_rule(rule: Rule, ctx: RuleContext) -> CompiledRule:
    """Compile one validated rule."""
    items: tuple[str | None, ...] = tuple(rule.items) if rule.items else (None,)
    compiled = CompiledRule(rule=rule, key=rule.id, items=items)
    for item in items:
        env = _Env(rule, ctx, item, compiled.fields)
        env.fields.setdefault(rule.subject, set())
        applies = _tfu(rule.applies_when, env) if rule.applies_when else (TRUE, FALSE, FALSE)
        if rule.effective_from or rule.effective_until:
            applies = _kleene_and(_effective(rule, env), applies)
        fails = _tfu(rule.fails_when, env)
        known_parts = [_known(path, env) for path in rule.requires]
        known = _and(*[k for k, _ in known_parts]) if known_parts else TRUE
        unknown = _or(*[u for _, u in known_parts]) if known_parts else FALSE
        t_a, f_a, u_a = applies
        t_x, f_x, u_x = fails
        outcomes = {
            "not_applicable": f_a,
            "insufficient_data": _or(u_a, _and(t_a, unknown), _and(t_a, known, u_x)),
            "fail": _and(t_a, known, t_x),
            "pass": _and(t_a, known, f_x),
        }
        for outcome in OUTCOMES:
            for n, conj in enumerate(sorted(outcomes[outcome], key=_conj_key)):
                name = f"{rule.id}|{item or ''}|{outcome}|{n}"
                compiled.definitions[name] = (outcome, item, _to_durable(conj, env))
    return compiled


#: the date that decides which rules are in force for a record (else as_of)
SUBJECT_DATE: dict[str, str] = {
    "appointments": "scheduled_start",
    "complaints": "received_at",
    "applications": "submitted_at",
    "outlet_days": "date",
    "outlet_inspections": "date",
    "staff_checks": "at",
    "appointment_changes": "at",
    "proxy_services": "at",
    "inquiries": "at",
    "surveys": "period_end",
    "assessments": "date",
}


def _effective(rule: Rule, env: _Env) -> tuple[DNF, DNF, DNF]:
    """(T, F, U) of "the rule is in force at the subject's own date"."""
    path = SUBJECT_DATE.get(rule.subject, "as_of")
    alias, info = env.info(path)
    ref = env.use((alias, coordinate(info, "day", end=False)))
    bounds: list[Literal_] = []
    if rule.effective_from:
        bounds.append(("cmp", "ge", ((ref, 1),), -day_number(rule.effective_from)))
    if rule.effective_until:
        bounds.append(("cmp", "le", ((ref, 1),), -day_number(rule.effective_until)))
    parts = [(_single(b), _single(_negate(b)), _unknown_of([ref])) for b in bounds]
    result = parts[0]
    for part in parts[1:]:
        result = _kleene_and(result, part)
    return result


def _kleene_and(a: tuple[DNF, DNF, DNF], b: tuple[DNF, DNF, DNF]) -> tuple[DNF, DNF, DNF]:
    return (_and(a[0], b[0]), _or(a[1], b[1]),
            _and(_or(a[0], a[2]), _or(b[0], b[2]), _or(a[2], b[2])))


def _conj_key(conj: Conj) -> str:
    return repr(sorted(map(repr, conj)))


def _known(path: str, env: _Env) -> tuple[DNF, DNF]:
    """(K, ¬K) for one required field."""
    alias, info = env.info(path)
    ref = env.use((alias, info.engine_field))
    if alias in (SUBJECT, GATE):
        return frozenset({frozenset({("present", ref)})}), frozenset({frozenset({("absent", ref)})})
    return (
        frozenset({frozenset({("present", ref)})}),
        frozenset({frozenset({("absent", ref)}), frozenset({("none", alias)})}),
    )


def _tfu(cond: Condition, env: _Env) -> tuple[DNF, DNF, DNF]:
    """(T, F, U) of a condition, each in DNF."""
    if isinstance(cond, All):
        parts = [_tfu(c, env) for c in cond.all]
        t = _and(*[p[0] for p in parts])
        f = _or(*[p[1] for p in parts])
        u = _and(*[_or(p[0], p[2]) for p in parts], _or(*[p[2] for p in parts]))
        return t, f, u
    if isinstance(cond, Any_):
        parts = [_tfu(c, env) for c in cond.any]
        t = _or(*[p[0] for p in parts])
        f = _and(*[p[1] for p in parts])
        u = _and(*[_or(p[1], p[2]) for p in parts], _or(*[p[2] for p in parts]))
        return t, f, u
    if isinstance(cond, Not):
        t, f, u = _tfu(cond.not_, env)
        return f, t, u
    if isinstance(cond, (Present, Absent)):
        path = cond.present if isinstance(cond, Present) else cond.absent
        alias, info = env.info(path)
        ref = env.use((alias, info.engine_field))
        pos = frozenset({frozenset({("present", ref)})})
        neg = frozenset({frozenset({("absent", ref)})})
        u = FALSE if alias in (SUBJECT, GATE) else frozenset({frozenset({("none", alias)})})
        return (pos, neg, u) if isinstance(cond, Present) else (neg, pos, u)
    if isinstance(cond, (Exists, NoneOf)):
        alias = cond.exists if isinstance(cond, Exists) else cond.none
        yes = frozenset({frozenset({("exists", alias)})})
        no = frozenset({frozenset({("none", alias)})})
        return (yes, no, FALSE) if isinstance(cond, Exists) else (no, yes, FALSE)
    if isinstance(cond, Compare):
        return _compare(cond, env)
    raise CompileError(f"unknown condition {cond!r}")


def _unknown_of(refs: Iterable[Ref]) -> DNF:
    conjs: set[Conj] = set()
    for ref in refs:
        if ref[0] == GATE:
            continue
        conjs.add(frozenset({("absent", ref)}))
        if ref[0] != SUBJECT:
            conjs.add(frozenset({("none", ref[0])}))
    return frozenset(conjs)


def _single(lit: Literal_) -> DNF:
    return frozenset({frozenset({lit})})


def _negate(lit: Literal_) -> Literal_:
    kind = lit[0]
    if kind in ("cmp", "eqv"):
        return (kind, _NEG[lit[1]], *lit[2:])
    if kind == "contains":
        return ("lacks", *lit[1:])
    if kind == "lacks":
        return ("contains", *lit[1:])
    raise CompileError(f"cannot negate {lit!r}")


def _compare(cond: Compare, env: _Env) -> tuple[DNF, DNF, DNF]:
    op = cond.op
    value = cond.value
    alias, info = env.info(cond.field)
    if op in ("in", "not_in"):
        values = [_literal_value(v, env) for v in value]
        ref = env.use((alias, info.engine_field))
        t = frozenset(frozenset({("eqv", "eq", ref, v)}) for v in values)
        f = _and(*[_single(("eqv", "ne", ref, v)) for v in values])
        t, f, u = _with_nulls(t, f, [ref], env)
        return (t, f, u) if op == "in" else (f, t, u)
    if op in ("contains", "lacks"):
        ref = env.use((alias, info.engine_field))
        lit = ("contains", ref, _literal_value(value, env))
        t, f, u = _with_nulls(_single(lit), _single(_negate(lit)), [ref], env)
        return (t, f, u) if op == "contains" else (f, t, u)
    if isinstance(value, FieldExpr) and isinstance(value.unit, UnitField):
        return _compare_by_unit_field(cond, value, env)
    lit, refs = _comparison_literals(alias, info, op, value, cond.compare, env, unit_override=None)
    return _with_nulls(_single(lit), _single(_negate(lit)), refs, env)


def _with_nulls(t: DNF, f: DNF, refs: list[Ref], env: _Env) -> tuple[DNF, DNF, DNF]:
    """(T, F, U) of a comparison over ``refs``.

    A missing field is unknown — except where the facts format gives ``null`` a meaning
    (an event that has not happened, a certificate without expiry, ...): a comparison
    with such a field is then simply false, never unknown.
    """
    definite = [r for r in refs if _definite_null(r, env)]
    others = [r for r in refs if r not in definite]
    f = _or(f, *[_single(("absent", r)) for r in definite])
    u = _unknown_of(others)
    if definite:
        u = _and(u, *[_single(("present", r)) for r in definite])
        # a related record that does not exist: its fields are unknown, definite or not
        u = _or(u, *[_single(("none", r[0])) for r in definite if r[0] != SUBJECT])
    return t, f, u


def _definite_null(ref: Ref, env: _Env) -> bool:
    if ref[0] == GATE:
        return False
    base = ref[1].split("__", 1)[0]
    return base in DEFINITE_NULL_FIELDS.get(env.collection_of(ref[0]), frozenset())


def _compare_by_unit_field(cond: Compare, value: FieldExpr, env: _Env) -> tuple[DNF, DNF, DNF]:
    """A comparison whose duration unit is read from a field: one branch per unit."""
    assert isinstance(value.unit, UnitField)
    unit_alias, unit_info = env.info(value.unit.field)
    unit_ref = env.use((unit_alias, unit_info.engine_field))
    alias, info = env.info(cond.field)
    t_parts, f_parts, u_parts = [], [], [_unknown_of([unit_ref])]
    for unit in unit_info.values:
        lit, refs = _comparison_literals(alias, info, cond.op, value, None, env, unit_override=unit)
        is_unit = _single(("eqv", "eq", unit_ref, unit))
        t, f, u = _with_nulls(_single(lit), _single(_negate(lit)), refs, env)
        t_parts.append(_and(is_unit, t))
        f_parts.append(_and(is_unit, f))
        u_parts.append(_and(is_unit, u))
    return _or(*t_parts), _or(*f_parts), _or(*u_parts)


def _literal_value(value: Any, env: _Env) -> Any:
    if isinstance(value, ItemRef):
        return env.item
    if isinstance(value, ParamRef):
        return env.param(value)
    return value


def _comparison_literals(
    alias: str,
    info: FieldInfo,
    op: str,
    value: Any,
    compare: str | None,
    env: _Env,
    unit_override: str | None,
) -> tuple[Literal_, list[Ref]]:
    """One literal for ``field op value`` and the refs whose absence makes it unknown."""
    if info.kind in _LINEAR_KINDS:
        return _linear(alias, info, op, value, env, unit_override)
    # equality-style comparison of strings, enums, bools (or digits of phone numbers)
    left = env.use((alias, phone_digits(info.engine_field) if compare == "digits" else
                    info.engine_field))
    refs = [left]
    if isinstance(value, FieldExpr):
        r_alias, r_info = env.info(value.field)
        right = env.use((r_alias, phone_digits(r_info.engine_field) if compare == "digits" else
                         r_info.engine_field))
        refs.append(right)
        return ("eqv", op, left, ("ref", right)), refs
    return ("eqv", op, left, _literal_value(value, env)), refs


def _linear(
    alias: str, info: FieldInfo, op: str, value: Any, env: _Env, unit_override: str | None
) -> tuple[Literal_, list[Ref]]:
    """``left op right`` as ``sum(coef*ref) + const  op  0`` on matching coordinates."""
    unit: str | None = unit_override
    shift: Any = None
    sign = 1
    factor: Any = None
    right_path: str | None = None
    const_right: Any = None
    if isinstance(value, FieldExpr):
        right_path = value.field
        if value.plus is not None:
            shift = value.plus
        elif value.minus is not None:
            shift, sign = value.minus, -1
        if unit is None and isinstance(value.unit, str):
            unit = value.unit
        if unit is None and isinstance(shift, ParamRef):
            unit = env.param_unit(shift)
        factor = value.times
    else:
        const_right = _literal_value(value, env)
    kinds = {info.kind}
    r_alias: str | None = None
    r_info: FieldInfo | None = None
    if right_path is not None:
        r_alias, r_info = env.info(right_path)
        kinds.add(r_info.kind)
    temporal = kinds & {"datetime", "date", "time"}
    if unit in ("days", "working_days") or "date" in kinds:
        scale = "day" if unit != "working_days" else "working_day"
    elif "time" in kinds:
        scale = "minute"
    elif temporal:
        scale = "second"
    else:
        scale = "number"
    terms: dict[Ref, int | float] = {}
    const: int | float = 0
    refs: list[Ref] = []
    # left side: working-day comparisons put the event at the end of its day
    left_coord = coordinate(info, scale, end=True)
    left = env.use((alias, left_coord))
    refs.append(left)
    terms[left] = terms.get(left, 0) + 1
    if r_alias is not None and r_info is not None:
        right = env.use((r_alias, coordinate(r_info, scale, end=False)))
        refs.append(right)
        mult: int | float = 1
        if factor is not None:
            mult = env.param(factor) if isinstance(factor, ParamRef) else factor
        terms[right] = terms.get(right, 0) - mult
    elif const_right is not None:
        if not isinstance(const_right, (int, float)) or isinstance(const_right, bool):
            raise CompileError(f"cannot compare {info.kind} with {const_right!r}")
        const -= const_right
    if shift is not None:
        if isinstance(shift, UnitField):
            s_alias, s_info = env.info(shift.field)
            span = env.use((s_alias, duration_span_field(s_info.engine_field)))
            refs.append(span)
            terms[span] = terms.get(span, 0) - sign
        else:
            amount = env.param(shift) if isinstance(shift, ParamRef) else shift
            const -= sign * _scaled(amount, unit, scale)
    terms = {r: c for r, c in terms.items() if c != 0}
    return ("cmp", op, tuple(sorted(terms.items())), const), refs


def _scaled(amount: Any, unit: str | None, scale: str) -> int | float:
    if scale == "working_day":
        return 2 * amount  # type: ignore[no-any-return]
    if scale == "day":
        return amount  # type: ignore[no-any-return]
    if scale == "second":
        seconds = amount * _SECONDS.get(unit or "minutes", 1) if unit else amount
        return int(seconds) if float(seconds).is_integer() else seconds
    if scale == "minute":
        return amount * (60 if unit == "hours" else 1)  # type: ignore[no-any-return]
    return amount  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- to durable
def _order(alias: str, env: _Env) -> int:
    if alias == GATE:
        return 0
    if alias == SUBJECT:
        return 1
    return 2 + list(env.rule.related).index(alias)


def _to_durable(conj: Conj, env: _Env) -> dict[str, Any]:
    """One conjunction of literals -> one durable_rules rule (without ``run``).

    Every field a comparison reads is first tested with ``$ex`` on its own fact, before
    the comparison: durable_rules crashes or matches wrongly when an arithmetic operand
    refers to a field the fact does not have.
    """
    gated = bool(env.rule.related)
    if not gated:
        conj = frozenset(_ungated(lit) for lit in conj)
    terms: dict[str, list[Any]] = {GATE: [], SUBJECT: []}
    guards: dict[str, set[str]] = {}
    negated: list[tuple[str, list[Any]]] = []
    for lit in sorted(conj, key=repr):
        if lit[0] == "none":
            continue
        if lit[0] == "exists":
            terms.setdefault(lit[1], [])
            continue
        _guard(lit, guards)
        target = max((r[0] for r in _refs_of(lit)), key=lambda a: _order(a, env))
        terms.setdefault(target, []).append(_literal_to_durable(lit, target))
    for alias in env.rule.related:
        if alias in terms:
            terms[alias] = _related_base(alias, env, guards) + terms[alias]
    for lit in sorted(conj, key=repr):
        if lit[0] == "none":
            for variant in _related_variants(lit[1], env, guards):
                negated.append((lit[1], variant))

    def term(alias: str) -> Any:
        kind = {KIND: GATE_KIND if alias == GATE else env.collection_of(alias)}
        checks = [{"$ex": {name: 1}} for name in sorted(guards.get(alias, ()))]
        conds = terms.pop(alias)
        if alias in env.rule.related:  # the related base starts with its kind
            return _and_of([conds[0], *checks, *conds[1:]])
        return _and_of([kind, *checks, *conds])

    # Negations come right after the subject (they correlate only with it and the gate).
    all_terms: list[dict[str, Any]] = [{GATE: term(GATE)}] if gated else []
    terms.pop(GATE, None)
    all_terms.append({SUBJECT: term(SUBJECT)})
    for n, (alias, conds) in enumerate(negated):
        all_terms.append({f"{alias}_{n}$not": _and_of(conds)})
    for alias in sorted(terms, key=lambda a: _order(a, env)):
        all_terms.append({alias: term(alias)})
    # dist 0: by default durable_rules binds a fact to at most one term of a
    # combination, so "an outlet" and "an own outlet" could not both be O1, and a
    # `$not` would ignore facts bound earlier. Related records are not exclusive here.
    return {"all": all_terms, "dist": 0}


def _ungated_ref(ref: Ref) -> Ref:
    return (SUBJECT, ref[1]) if ref[0] == GATE else ref


def _ungated(lit: Literal_) -> Literal_:
    """The literal with ``as_of`` read from the subject fact instead of the gate."""
    kind = lit[0]
    if kind == "cmp":
        terms = tuple(sorted((_ungated_ref(r), c) for r, c in lit[2]))
        return ("cmp", lit[1], terms, lit[3])
    if kind == "eqv":
        right = lit[3]
        if isinstance(right, tuple) and right[0] == "ref":
            right = ("ref", _ungated_ref(right[1]))
        return ("eqv", lit[1], _ungated_ref(lit[2]), right)
    if kind in ("present", "absent", "contains", "lacks"):
        return (kind, _ungated_ref(lit[1]), *lit[2:])
    return lit


def _guard(lit: Literal_, guards: dict[str, set[str]]) -> None:
    if lit[0] in ("cmp", "eqv", "contains", "lacks"):
        for alias, name in _refs_of(lit):
            guards.setdefault(alias, set()).add(name)


def _and_of(conds: list[Any]) -> Any:
    return conds[0] if len(conds) == 1 else {"$and": conds}


def _related_base(alias: str, env: _Env, guards: dict[str, set[str]]) -> list[Any]:
    variants = _related_variants(alias, env, guards)
    if len(variants) != 1:
        raise CompileError(f"related {alias!r}: a disjunctive `where` cannot bind fields")
    return variants[0]


def _related_variants(alias: str, env: _Env, guards: dict[str, set[str]]) -> list[list[Any]]:
    """Conditions selecting the related records of ``alias`` (one list per DNF branch).

    Fields of other facts these conditions read are added to ``guards``; fields of the
    related record itself are tested with ``$ex`` before they are compared.
    """
    rel = env.rule.related[alias]
    base: list[Any] = [{KIND: rel.collection}]
    for rel_field, subject_field in rel.match.items():
        rel_path = f"{alias}.{rel_field}"
        _, r_info = env.info(rel_path)
        left = env.use((alias, r_info.engine_field))[1]
        if isinstance(subject_field, ItemRef):
            base.append({left: env.item})
        else:
            _, s_info = env.info(subject_field)
            right = env.use((SUBJECT, s_info.engine_field))[1]
            guards.setdefault(SUBJECT, set()).add(right)
            base.append({left: {SUBJECT: right}})
    if rel.where is None:
        return [base]
    where_env = _Env(env.rule, env.ctx.scoped(alias), env.item, env.fields)
    t, _, _ = _tfu(rel.where, where_env)
    variants = []
    for conj in sorted(t, key=_conj_key):
        own: dict[str, set[str]] = {}
        conds = []
        for lit in sorted(conj, key=repr):
            if lit[0] in ("exists", "none"):
                raise CompileError("`where` cannot use exists/none")
            _guard(lit, own)
            conds.append(_literal_to_durable(lit, alias))
        for other, names in own.items():
            if other != alias:
                guards.setdefault(other, set()).update(names)
        checks = [{"$ex": {name: 1}} for name in sorted(own.get(alias, ()))]
        variants.append([base[0], *checks, *base[1:], *conds])
    return variants


def _operand(ref: Ref, target: str) -> Any:
    return {"$m": ref[1]} if ref[0] == target else {ref[0]: ref[1]}


def _literal_to_durable(lit: Literal_, target: str) -> Any:
    kind = lit[0]
    if kind == "present":
        return {"$ex": {lit[1][1]: 1}}
    if kind == "absent":
        return {"$nex": {lit[1][1]: 1}}
    if kind == "contains":
        return {"$iany": {lit[1][1]: {"$i": lit[2]}}}
    if kind == "lacks":
        return {"$iall": {lit[1][1]: {"$neq": {"$i": lit[2]}}}}
    if kind == "eqv":
        op, left, right = lit[1], lit[2], lit[3]
        if isinstance(right, tuple) and right[0] == "ref":
            other = right[1]
            if left[0] != target:  # place on the later fact: swap sides (eq/ne are symmetric)
                left, other = other, left
            value: Any = _operand(other, target)
        else:
            value = right
        return {left[1]: value} if op == "eq" else {"$neq": {left[1]: value}}
    if kind == "cmp":
        return _linear_to_durable(lit, target)
    raise CompileError(f"cannot place literal {lit!r}")


def _linear_to_durable(lit: Literal_, target: str) -> Any:
    """``sum(c*r) + k op 0`` -> ``{op: {field: expression}}`` with a target field alone."""
    op, terms, const = lit[1], dict(lit[2]), lit[3]
    pivot = next((r for r, c in sorted(terms.items()) if r[0] == target and c in (1, -1)), None)
    if pivot is None:
        raise CompileError(f"cannot isolate a field of {target!r} in {lit!r}")
    coef = terms.pop(pivot)
    # coef*pivot + rest op 0  =>  pivot op' -rest/coef
    if coef == 1:
        rest = {r: -c for r, c in terms.items()}
        rest_const = -const
    else:
        op = _FLIP[op]
        rest = dict(terms)
        rest_const = const
    expr = _expression(rest, rest_const, target)
    return {pivot[1]: expr} if op == "eq" else {_DURABLE_OP[op]: {pivot[1]: expr}}


def _expression(terms: dict[Ref, int | float], const: int | float, target: str) -> Any:
    acc: Any = None
    for ref, coef in sorted(terms.items()):
        operand = _operand(ref, target)
        if coef == 1:
            acc = operand if acc is None else {"$add": {"$l": acc, "$r": operand}}
        elif coef == -1 and acc is not None:
            acc = {"$sub": {"$l": acc, "$r": operand}}
        else:
            term = {"$mul": {"$l": operand, "$r": coef}}
            acc = term if acc is None else {"$add": {"$l": acc, "$r": term}}
    if acc is None:
        return const
    if const > 0:
        return {"$add": {"$l": acc, "$r": const}}
    if const < 0:
        return {"$sub": {"$l": acc, "$r": -const}}
    return acc


def gate_fields(compiled: Iterable[CompiledRule]) -> set[str]:
    """The fields of the gate (``as_of`` coordinates) the compiled rules read."""
    return {name for c in compiled for name in c.fields.get(GATE_KIND, set())}


def engine_fields(compiled: Iterable[CompiledRule]) -> dict[str, set[str]]:
    """Union of the engine fields every compiled rule reads, per collection (a rule
    without a gate reads its ``as_of`` coordinates from the subject fact)."""
    out: dict[str, set[str]] = {}
    for c in compiled:
        # every collection the rule joins gets facts, even one whose fields it never
        # reads (`exists: outlet` with no `match`): a KeyError in the runner before
        out.setdefault(c.rule.subject, set())
        for rel in c.rule.related.values():
            out.setdefault(rel.collection, set())
        for coll, names in c.fields.items():
            if coll != GATE_KIND:
                out.setdefault(coll, set()).update(names)
            elif not c.gated:
                out.setdefault(c.rule.subject, set()).update(names)
    for names in out.values():
        names.update({ENGINE_ID, RECORD_ID, KIND})
    return out

