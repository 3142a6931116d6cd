"""Compile validated rules into durable_rules ruleset definitions (plain dicts).

Each rule becomes durable_rules rules whose firings *are* the outcomes. For a subject
with applicability A, requirements K (the ``requires`` fields are known) and failure
condition X, evaluated in three-valued (Kleene) logic — every field is either known or
unknown — the outcomes are (catalogue 1.1, reading 1: ``insufficient_data`` only when
learning the unknown fields could still change the outcome between pass and fail)::

    not_applicable    = F(A)
    fail              = T(A) ∧ T(X)              a definite violation, whatever is unknown
    pass              = ¬F(A) ∧ K ∧ F(X)         nothing wrong, even if A is unknown
    insufficient_data = the rest: ¬F(A) ∧ (¬K ∨ U(X)), or U(A) ∧ T(X)

(``¬F(A)`` is T(A) ∨ U(A). The ``insufficient_data`` definitions also cover
T(A) ∧ T(X) ∧ ¬K, where ``fail`` fires too and wins: see precedence below.)

Each of T/F/U of a condition is put in disjunctive normal form over *literals* the
engine evaluates itself (comparisons, ``$ex``/``$nex``, list membership, joins and
anti-joins); each conjunction becomes one durable_rules rule::

    all: [gate, subject, related...]     a rule that relates other records
    all: [subject]                       a rule about the subject alone

**Related records** (``related:``) are three-valued too. A relation with a ``where``
splits its records into those for which the ``where`` is true, unknown or false, each
kind a *pseudo-alias* with one filter (``disclosure`` for the first true filter,
``disclosure__u0`` for the unknown ones). ``exists`` is true when a "true" record
exists, false when neither a "true" nor an "unknown" one does, unknown otherwise
(``none`` the other way round). A rule reading a related record's fields is judged
once per related record it can bind, "true" and "unknown" ones alike; a binding to an
"unknown" record that would fail is only ``insufficient_data`` (the record may not
count). The fields of a related record that does not exist are unknown.

**Precedence.** A subject may fire several outcomes (one per related record it binds);
the most serious wins: fail > insufficient_data > pass > not_applicable.

**Fields known between bounds** (:data:`~..facts.model.RANGED_FIELDS`, an appointment's
first agreed start when the order of its changes is not known) are compared at both
bounds: true when the comparison holds for the whole range, false when it fails for
the whole range, unknown otherwise.

**Deadlines** never fall before the moment they count from: a limit of 0 working days
ends with the day it counts from (as 0 days does), and a limit read from a field
("within ``time_limit`` working days") is also met by anything on that same day.

**Dated parameters**: a comparison with a parameter that has dated values is compiled
once per period, each with the value in force then (:meth:`.model.Parameter.value_at`),
and holds for the period that contains the subject's own date (:data:`SUBJECT_DATE`).

**Contradictions** (:data:`~..facts.model.CONTRADICTIONS`): a field whose null has a
meaning (an event not happened) that a contradiction made unknown carries a marker
(``verified_at__unk``); the compiler reads it as unknown.

The gate fact (carrying ``as_of``) comes first in every rule that joins, and is
asserted after all data, so that negation (``none``) sees every fact (durable_rules
does not truth-maintain negation). A rule about the subject alone needs no gate: its
``as_of`` coordinates travel on the subject fact itself, and it fires as each subject
is asserted (no join at all: about twice as fast). Arithmetic is linear and integer:
time is compared on coordinates the normalise step derives (epoch seconds, day
numbers, working-day coordinates, see :mod:`.calendar`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from ..calendar import day_number, local_date
from ..facts.model import CONTRADICTIONS, DEFINITE_NULL_FIELDS, unique_relation
from .engine_fields import (
    ENGINE_ID,
    KIND,
    RECORD_ID,
    coordinate,
    duration_span_field,
    phone_digits,
    unknown_marker,
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
    ParamValue,
    Present,
    Rule,
    UnitField,
    condition_paths,
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
#   ("exists", alias) / ("none", alias)                 alias: a pseudo-alias (see above)
# A ref is (alias, engine_field).

Ref = tuple[str, str]
Literal_ = tuple[Any, ...]
Conj = frozenset[Literal_]
DNF = frozenset[Conj]
TFU = tuple[DNF, DNF, DNF]

TRUE: DNF = frozenset({frozenset()})
FALSE: DNF = frozenset()

_NEG = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_SECONDS = {"minutes": 60, "hours": 3600}
_LINEAR_KINDS = ("datetime", "date", "time", "int", "number")

#: definite-null fields (null: "not happened") that a contradiction can make unknown
CONTRADICTABLE: frozenset[tuple[str, str]] = frozenset(
    (c.collection, f) for c in CONTRADICTIONS for f in c.fields
    if f in DEFINITE_NULL_FIELDS.get(c.collection, frozenset()))

#: field of a marker -> every field the same contradiction leaves out of the fact
_DROPPED_WITH: dict[str, frozenset[str]] = {
    f: frozenset(c.fields) for c in CONTRADICTIONS for f in c.fields}


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


def _absorb(dnf: Iterable[Conj]) -> DNF:
    dnf = frozenset(dnf)
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
        if kind == "present" and lit[1][1].endswith("__unk"):
            alias, gone = lit[1][0], _DROPPED_WITH[lit[1][1][:-5]]
            for other in conj:  # fields a contradiction made unknown are not in the fact
                if (other[0] == "present" and other[1][0] == alias and other[1][1] in gone) \
                        or any(r[0] == alias and r[1].split("__", 1)[0] in gone
                               for r in _refs_of(other) if other[0] not in ("present", "absent")):
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
@dataclass(frozen=True)
class Pseudo:
    """The related records of ``alias`` for which its ``where`` is ``mode`` (``t``: true,
    ``u``: unknown), through one conjunction (``filter``) of that three-valued result."""

    alias: str
    mode: str
    filter: Conj


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
    #: durable rule name -> (related alias, pseudo-alias) of each record a finding of
    #: that firing should cite (relations that may hold several records; see
    #: :func:`cited_aliases`)
    cites: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

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
    #: pseudo-alias -> its records (see the module docstring)
    pseudos: dict[str, Pseudo] = field(default_factory=dict)
    #: related alias -> the pseudo-alias whose record its fields are read from
    binding: dict[str, str] = field(default_factory=dict)
    #: dated parameters fixed to the value of one period
    fixed: dict[str, ParamValue] = field(default_factory=dict)
    #: inside a ``where``: the related record being filtered (it always exists)
    scope_alias: str | None = None

    def collection_of(self, alias: str) -> str:
        if alias == SUBJECT:
            return self.rule.subject
        if alias == GATE:
            return GATE_KIND
        base = self.pseudos[alias].alias if alias in self.pseudos else alias
        return self.rule.related[base].collection

    def base_of(self, alias: str) -> str:
        return self.pseudos[alias].alias if alias in self.pseudos else alias

    def use(self, ref: Ref) -> Ref:
        self.fields.setdefault(self.collection_of(ref[0]), set()).add(ref[1])
        return ref

    def use_base(self, ref: Ref) -> Ref:
        """``ref``, with the field its presence is tested on marked as read."""
        lit = _presence_base(("present", ref))
        self.use(lit[1])
        return ref

    def info(self, path: str) -> tuple[str, FieldInfo]:
        alias, info = self.ctx.resolve(path)
        if self.scope_alias is None:
            alias = self.binding.get(alias, alias)
        return alias, info

    def param(self, ref: ParamRef) -> Any:
        if ref.param in self.fixed:
            return self.fixed[ref.param]
        value = self.rule.parameters[ref.param].value_at(None)  # the same at every date
        if value is None:
            raise CompileError(f"dated parameter {ref.param!r} outside a comparison")
        return value

    def param_unit(self, ref: ParamRef) -> str | None:
        return self.rule.parameters[ref.param].unit

    def no_record(self, alias: str) -> Conj:
        """"No related record of ``alias``'s relation at all" (its fields are unknown)."""
        base = self.base_of(alias)
        return frozenset(("none", p) for p, ps in self.pseudos.items() if ps.alias == base)

    def known_always(self, ref: Ref) -> bool:
        """Whether the field is never absent (the gate's, or one every record has and
        its coordinates)."""
        if ref[0] == GATE:
            return True
        base, _, suffix = ref[1].partition("__")
        if suffix not in ("", "day", "wds", "wde", "digits"):
            return False
        spec = self.ctx.fields.specs(self.collection_of(ref[0])).get(
            "id" if base == RECORD_ID else base)
        return spec is not None and spec.required

    def is_self(self, alias: str) -> bool:
        """The subject, the gate, or the record a ``where`` filters: always there."""
        return alias in (SUBJECT, GATE) or alias == self.scope_alias


def cited_aliases(rule: Rule) -> tuple[str, ...]:
    """Related aliases whose record a finding cites as the engine bound it: relations
    that may hold several records and whose fields the rule's conditions read (a
    relation only a message shows is cited by its first record by id)."""
    return tuple(a for a in _bound_aliases(rule)
                 if not unique_relation(rule.related[a].collection, list(rule.related[a].match)))


def compile_rule(rule: Rule, ctx: RuleContext) -> CompiledRule:
    """Compile one validated rule."""
    items: tuple[str | None, ...] = tuple(rule.items) if rule.items else (None,)
    compiled = CompiledRule(rule=rule, key=rule.id, items=items)
    bound = _bound_aliases(rule)
    cited = cited_aliases(rule)
    for item in items:
        compiled.fields.setdefault(rule.subject, set())
        pseudos = _pseudos(rule, ctx, item, compiled.fields)
        outcomes: dict[str, set[Conj]] = {o: set() for o in OUTCOMES}
        env = _Env(rule, ctx, item, compiled.fields, pseudos)
        for binding in _bindings(bound, pseudos):
            env = _Env(rule, ctx, item, compiled.fields, pseudos, binding)
            for outcome, dnf in _outcomes(rule, env).items():
                for conj in dnf:
                    if outcome == "fail" and _binds_unsure(conj, pseudos):
                        outcomes["insufficient_data"].add(conj)  # the record may not count
                    else:
                        outcomes[outcome].add(conj)
        for outcome in OUTCOMES:
            for n, conj in enumerate(sorted(_absorb(outcomes[outcome]), key=_conj_key)):
                name = f"{rule.id}|{item or ''}|{outcome}|{n}"
                compiled.definitions[name] = (outcome, item, _to_durable(conj, env))
                cites = tuple(sorted((pseudos[a].alias, a) for a in _aliases_in(conj)
                                     if a in pseudos and pseudos[a].alias in cited))
                if cites:
                    compiled.cites[name] = cites
    return compiled


def _outcomes(rule: Rule, env: _Env) -> dict[str, DNF]:
    """The four outcomes' DNFs for one binding of the related records (module doc)."""
    applies = _tfu(rule.applies_when, env) if rule.applies_when else (TRUE, FALSE, FALSE)
    if rule.effective_from or rule.effective_until:
        applies = _kleene_and(_effective(rule, env), applies)
    t_x, f_x, u_x = _tfu(rule.fails_when, env)
    known_parts = [_known(path, env) for path in rule.requires]
    known = _and(*[k for k, _ in known_parts]) if known_parts else TRUE
    unknown = _or(*[u for _, u in known_parts]) if known_parts else FALSE
    t_a, f_a, u_a = applies
    maybe = _or(t_a, u_a)
    return {
        "not_applicable": f_a,
        "fail": _and(t_a, t_x),
        "pass": _and(maybe, known, f_x),
        "insufficient_data": _or(_and(maybe, unknown), _and(maybe, u_x), _and(u_a, t_x)),
    }


def _bound_aliases(rule: Rule) -> list[str]:
    """Related aliases whose fields the rule's conditions read (their records are bound)."""
    paths = condition_paths(rule.applies_when) + list(rule.requires) + condition_paths(
        rule.fails_when)
    used = {p.partition(".")[0] for p in paths if "." in p}
    return [a for a in rule.related if a in used]


def _bindings(bound: list[str], pseudos: Mapping[str, Pseudo]) -> list[dict[str, str]]:
    """Every assignment of a pseudo-alias to each bound alias."""
    choices = [[p for p, ps in pseudos.items() if ps.alias == a] for a in bound]
    return [dict(zip(bound, combo, strict=True)) for combo in itertools.product(*choices)]


def _binds_unsure(conj: Conj, pseudos: Mapping[str, Pseudo]) -> bool:
    """Whether the conjunction binds a record whose ``where`` is unknown."""
    return any(a in pseudos and pseudos[a].mode == "u" for a in _aliases_in(conj))


def _aliases_in(conj: Conj) -> set[str]:
    out: set[str] = set()
    for lit in conj:
        if lit[0] == "exists":
            out.add(lit[1])
        out.update(r[0] for r in _refs_of(lit))
    return out


def _pseudos(rule: Rule, ctx: RuleContext, item: str | None,
             fields: dict[str, set[str]]) -> dict[str, Pseudo]:
    """The pseudo-aliases of every related alias (see the module docstring)."""
    out: dict[str, Pseudo] = {}
    for alias, rel in rule.related.items():
        if rel.where is None:
            out[alias] = Pseudo(alias, "t", frozenset())
            continue
        where_env = _Env(rule, ctx.scoped(alias), item, fields, out, scope_alias=alias)
        t, _, u = _tfu(rel.where, where_env)
        for mode, dnf in (("t", t), ("u", u)):
            for k, conj in enumerate(sorted(dnf, key=_conj_key)):
                if any(r[0] not in (alias, SUBJECT, GATE) for lit in conj
                       for r in _refs_of(lit)):
                    raise CompileError(f"related {alias!r}: `where` reads another related record")
                if mode == "u" and any(lit[0] in ("present", "absent") and lit[1][0] != alias
                                       for lit in conj):
                    raise CompileError(f"related {alias!r}: `where` depends on whether a field "
                                       "of another record is known")
                name = alias if (mode, k) == ("t", 0) else f"{alias}__{mode}{k}"
                out[name] = Pseudo(alias, mode, frozenset(_rename(lit, alias, name)
                                                          for lit in conj))
        if alias not in out:  # a `where` that is never true: no record ever counts
            out[alias] = Pseudo(alias, "t", frozenset({("eqv", "eq", (alias, KIND), "~never")}))
    return out


def _rename(lit: Literal_, old: str, new: str) -> Literal_:
    def ref(r: Ref) -> Ref:
        return (new, r[1]) if r[0] == old else r

    kind = lit[0]
    if kind == "cmp":
        return ("cmp", lit[1], tuple(sorted((ref(r), c) for r, c in lit[2])), lit[3])
    if kind == "eqv":
        right = lit[3]
        if isinstance(right, tuple) and right[0] == "ref":
            right = ("ref", ref(right[1]))
        return ("eqv", lit[1], ref(lit[2]), right)
    if kind in ("present", "absent", "contains", "lacks"):
        return (kind, ref(lit[1]), *lit[2:])
    return lit


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


def subject_date(collection: str, values: Mapping[str, Any], as_of: dt.datetime
                 ) -> dt.date | None:
    """The date of a record that decides the rules and parameter values in force for it
    (:data:`SUBJECT_DATE`, else ``as_of``); ``None`` when unknown."""
    path = SUBJECT_DATE.get(collection)
    value: Any = as_of if path is None else values.get(path)
    if isinstance(value, dt.datetime):
        return local_date(value)
    return value if isinstance(value, dt.date) else None


def _subject_day(env: _Env) -> Ref:
    path = SUBJECT_DATE.get(env.rule.subject, "as_of")
    alias, info = env.ctx.resolve(path)
    return env.use((alias, coordinate(info, "day", end=False)))


def _effective(rule: Rule, env: _Env) -> TFU:
    """(T, F, U) of "the rule is in force at the subject's own date"."""
    ref = _subject_day(env)
    bounds: list[Literal_] = []
    if rule.effective_from:
        bounds.append(("cmp", "ge", ((ref, 1),), -day_number(rule.effective_from)))
    if rule.effective_until:
        bounds.append(("cmp", "le", ((ref, 1),), -day_number(rule.effective_until)))
    parts = [(_single(b), _single(_negate(b)), _unknown_of([ref], env)) for b in bounds]
    result = parts[0]
    for part in parts[1:]:
        result = _kleene_and(result, part)
    return result


def _kleene_and(a: TFU, b: TFU) -> TFU:
    return (_and(a[0], b[0]), _or(a[1], b[1]),
            _and(_or(a[0], a[2]), _or(b[0], b[2]), _or(a[2], b[2])))


def _conj_key(conj: Conj) -> str:
    return repr(sorted(map(repr, conj)))


def _known(path: str, env: _Env) -> tuple[DNF, DNF]:
    """(K, ¬K) for one required field."""
    alias, info = env.info(path)
    ref = env.use((alias, info.engine_field))
    known = _single(("present", ref))
    if env.is_self(alias):
        return known, _single(("absent", ref))
    return known, frozenset({frozenset({("absent", ref)}), env.no_record(alias)})


def _tfu(cond: Condition, env: _Env) -> TFU:
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
        pos = _single(("present", ref))
        neg = _single(("absent", ref))
        u = FALSE if env.is_self(alias) else frozenset({env.no_record(alias)})
        if _contradictable(ref, env):
            marker = env.use((alias, unknown_marker(ref[1])))
            neg = frozenset({frozenset({_presence_base(("absent", ref)), ("absent", marker)})})
            u = _or(u, _single(("present", marker)))
        return (pos, neg, u) if isinstance(cond, Present) else (neg, pos, u)
    if isinstance(cond, (Exists, NoneOf)):
        alias = cond.exists if isinstance(cond, Exists) else cond.none
        t, f, u = _exists(alias, env)
        return (t, f, u) if isinstance(cond, Exists) else (f, t, u)
    if isinstance(cond, Compare):
        return _compare(cond, env)
    raise CompileError(f"unknown condition {cond!r}")


def _exists(alias: str, env: _Env) -> TFU:
    """(T, F, U) of "a related record of ``alias`` exists" (where-filters three-valued)."""
    sure = [p for p, ps in env.pseudos.items() if ps.alias == alias and ps.mode == "t"]
    unsure = [p for p, ps in env.pseudos.items() if ps.alias == alias and ps.mode == "u"]
    none_sure = frozenset(("none", p) for p in sure)
    t = frozenset(frozenset({("exists", p)}) for p in sure)
    f = frozenset({none_sure | {("none", p) for p in unsure}})
    u = frozenset(none_sure | {("exists", p)} for p in unsure)
    return t, f, u


def _unknown_of(refs: Iterable[Ref], env: _Env) -> DNF:
    conjs: set[Conj] = set()
    for ref in refs:
        if env.known_always(ref):
            continue
        conjs.add(frozenset({_presence_base(("absent", env.use_base(ref)))}))
        if not env.is_self(ref[0]):
            conjs.add(env.no_record(ref[0]))
    return frozenset(conjs)


def _single(lit: Literal_) -> DNF:
    return frozenset({frozenset({_presence_base(lit)})})


#: coordinates present exactly when their field is (see :mod:`..engine.normalise`)
_SAME_PRESENCE = ("__day", "__wds", "__wde", "__digits")


def _presence_base(lit: Literal_) -> Literal_:
    """A presence test on a coordinate (``verified_at__wde``) as one on its field, so
    that "absent verified_at" and "present verified_at__wde" are seen to contradict."""
    if lit[0] in ("present", "absent") and lit[1][1].endswith(_SAME_PRESENCE) and \
            "__lo" not in lit[1][1] and "__hi" not in lit[1][1]:
        return (lit[0], (lit[1][0], lit[1][1].rsplit("__", 1)[0]))
    return lit


def _negate(lit: Literal_) -> Literal_:
    kind = lit[0]
    if kind in ("cmp", "eqv"):
        return (kind, _NEG[lit[1]], *lit[2:])
    if kind == "contains":
        return ("lacks", *lit[1:])
    if kind == "lacks":
        return ("contains", *lit[1:])
    raise CompileError(f"cannot negate {lit!r}")


def _params_in(cond: Compare) -> list[str]:
    """The parameters a comparison reads."""
    value = cond.value
    parts: list[Any] = list(value) if isinstance(value, list) else [value]
    if isinstance(value, FieldExpr):
        parts = [value.plus, value.minus, value.times]
    return [p.param for p in parts if isinstance(p, ParamRef)]


def _compare(cond: Compare, env: _Env) -> TFU:
    dated = [n for n in _params_in(cond) if n not in env.fixed
             and env.rule.parameters[n].value_at(None) is None]  # values differ by date
    if dated:
        return _dated_compare(cond, dated, env)
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
    t, f, straddle, refs = _comparison(alias, info, op, value, cond.compare, env, None)
    return _with_nulls(t, f, refs, env, straddle)


def _dated_compare(cond: Compare, names: list[str], env: _Env) -> TFU:
    """A comparison with dated parameters: one branch per period, each holding for the
    subjects whose own date falls in it (an unknown date: unknown)."""
    params = env.rule.parameters
    starts = sorted({d for n in names for d in params[n].starts()})
    ref = _subject_day(env)
    t_parts, f_parts, u_parts = [], [], [_unknown_of([ref], env)]
    for start, end in zip([None, *starts], [*starts, None], strict=True):
        fixed: dict[str, ParamValue] = {}
        for n in names:
            value = params[n].value_at(start or dt.date.min)
            assert value is not None  # a known date always has a value
            fixed[n] = value
        sub = dataclasses.replace(env, fixed={**env.fixed, **fixed})
        t, f, u = _compare(cond, sub)
        period: set[Literal_] = set()
        if start is not None:
            period.add(("cmp", "ge", ((ref, 1),), -day_number(start)))
        if end is not None:
            period.add(("cmp", "lt", ((ref, 1),), -day_number(end)))
        within = frozenset({frozenset(period)})
        t_parts.append(_and(within, t))
        f_parts.append(_and(within, f))
        u_parts.append(_and(within, u))
    return _or(*t_parts), _or(*f_parts), _or(*u_parts)


def _definite_null(ref: Ref, env: _Env) -> bool:
    if ref[0] == GATE:
        return False
    base = ref[1].split("__", 1)[0]
    return base in DEFINITE_NULL_FIELDS.get(env.collection_of(ref[0]), frozenset())


def _contradictable(ref: Ref, env: _Env) -> bool:
    if ref[0] == GATE:
        return False
    return (env.collection_of(ref[0]), ref[1].split("__", 1)[0]) in CONTRADICTABLE


def _with_nulls(t: DNF, f: DNF, refs: list[Ref], env: _Env, straddle: DNF = FALSE) -> TFU:
    """(T, F, U) of a comparison over ``refs``.

    A missing field is unknown — except where the facts format gives ``null`` a meaning
    (an event that has not happened, a certificate without expiry, ...): a comparison
    with such a field is then simply false, never unknown — unless a contradiction made
    that field unknown for the record (its marker). ``straddle``: the comparison neither
    holds nor fails over the whole range of a field known between bounds.
    """
    definite = [r for r in refs if _definite_null(r, env)]
    others = [r for r in refs if r not in definite]
    for r in definite:
        if _contradictable(r, env):
            marker = env.use((r[0], unknown_marker(r[1])))
            f = _or(f, frozenset({frozenset({_presence_base(("absent", env.use_base(r))),
                                             ("absent", marker)})}))
        else:
            f = _or(f, _single(("absent", env.use_base(r))))
    u = _unknown_of(others, env)
    if definite:
        u = _and(u, *[_single(("present", env.use_base(r))) for r in definite])
        # a related record that does not exist: its fields are unknown, definite or not
        u = _or(u, frozenset(env.no_record(r[0]) for r in definite if not env.is_self(r[0])))
        u = _or(u, *[_single(("present", (r[0], unknown_marker(r[1])))) for r in definite
                     if _contradictable(r, env)])
    return t, f, _or(u, straddle)


def _compare_by_unit_field(cond: Compare, value: FieldExpr, env: _Env) -> TFU:
    """A comparison whose duration unit is read from a field: one branch per unit."""
    assert isinstance(value.unit, UnitField)
    unit_alias, unit_info = env.info(value.unit.field)
    unit_ref = env.use((unit_alias, unit_info.engine_field))
    alias, info = env.info(cond.field)
    t_parts, f_parts, u_parts = [], [], [_unknown_of([unit_ref], env)]
    for unit in unit_info.values:
        t, f, straddle, refs = _comparison(alias, info, cond.op, value, None, env, unit)
        is_unit = _single(("eqv", "eq", unit_ref, unit))
        t, f, u = _with_nulls(t, f, refs, env, straddle)
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


def _comparison(
    alias: str,
    info: FieldInfo,
    op: str,
    value: Any,
    compare: str | None,
    env: _Env,
    unit_override: str | None,
) -> tuple[DNF, DNF, DNF, list[Ref]]:
    """(T, F, straddle, refs) of ``field op value``; ``refs``: the fields whose absence
    makes it unknown; ``straddle``: unknown although every field is there (bounds)."""
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
        lit: Literal_ = ("eqv", op, left, ("ref", right))
    else:
        lit = ("eqv", op, left, _literal_value(value, env))
    return _single(lit), _single(_negate(lit)), FALSE, refs


def comparison_scale(unit: str | None, kinds: AbstractSet[str], shift: Any, amount: Any, sign: int,
                     *, joined: bool) -> tuple[str, bool]:
    """The coordinate a comparison is made on (``day``, ``working_day``, ``minute``,
    ``second`` or ``number``) and whether it needs the same-day guard.

    A deadline is never before the moment it counts from: 0 working days ends with the
    day it counts from, as 0 days does (the scale becomes ``day``); a limit read from a
    field (``shift`` a :class:`UnitField`) may be 0, so it is guarded. ``amount`` is the
    shift's value when it is a parameter or a literal; ``joined``: the right side is a
    field.
    """
    if unit in ("days", "working_days") or "date" in kinds:
        scale = "day" if unit != "working_days" else "working_day"
    elif "time" in kinds:
        scale = "minute"
    elif "datetime" in kinds:
        scale = "second"
    else:
        scale = "number"
    same_day_guard = False
    if scale == "working_day" and sign > 0 and joined:
        if amount == 0:
            scale = "day"
        elif isinstance(shift, UnitField):
            same_day_guard = True
    return scale, same_day_guard


def _linear(
    alias: str, info: FieldInfo, op: str, value: Any, env: _Env, unit_override: str | None
) -> tuple[DNF, DNF, DNF, list[Ref]]:
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
    amount: Any = None
    if shift is not None and not isinstance(shift, UnitField):
        amount = env.param(shift) if isinstance(shift, ParamRef) else shift
    scale, same_day_guard = comparison_scale(unit, kinds, shift, amount, sign,
                                             joined=r_info is not None)
    terms: dict[Ref, int | float] = {}
    const: int | float = 0
    refs: list[Ref] = []
    ranged: dict[Ref, Ref] = {}  # lo ref -> hi ref of a field known between bounds

    def side(a: str, i: FieldInfo, end: bool) -> Ref:
        if not i.ranged:
            return env.use((a, coordinate(i, scale, end=end)))
        lo = env.use((a, coordinate(i, scale, end=end, bound="lo")))
        ranged[lo] = env.use((a, coordinate(i, scale, end=end, bound="hi")))
        return lo

    # left side: working-day comparisons put the event at the end of its day
    left = side(alias, info, True)
    refs.append(left)
    terms[left] = terms.get(left, 0) + 1
    if r_alias is not None and r_info is not None:
        right = side(r_alias, r_info, False)
        refs.append(right)
        mult: int | float = 1
        if factor is not None:
            mult = env.param(factor) if isinstance(factor, ParamRef) else factor
        terms[right] = terms.get(right, 0) - mult
    elif const_right is not None:
        if not isinstance(const_right, (int, float)) or isinstance(const_right, bool):
            raise CompileError(f"cannot compare {info.kind} with {const_right!r}")
        const -= const_right
    if isinstance(shift, UnitField):
        s_alias, s_info = env.info(shift.field)
        span = env.use((s_alias, duration_span_field(s_info.engine_field)))
        refs.append(span)
        terms[span] = terms.get(span, 0) - sign
    elif shift is not None:
        const -= sign * _scaled(amount, unit, scale)
    terms = {r: c for r, c in terms.items() if c != 0}
    lit: Literal_ = ("cmp", op, tuple(sorted(terms.items())), const)
    if ranged:
        if same_day_guard or op in ("eq", "ne"):
            raise CompileError("a field known between bounds compares only with lt/le/gt/ge")
        return (*_between_bounds(lit, ranged), refs)
    t, f = _single(lit), _single(_negate(lit))
    if same_day_guard:
        assert r_alias is not None and r_info is not None
        later = ("cmp", "gt", tuple(sorted({
            env.use((alias, coordinate(info, "day", end=True))): 1,
            env.use((r_alias, coordinate(r_info, "day", end=False))): -1}.items())), 0)
        if op in ("gt", "ge"):  # late only on a later day
            t = _and(t, _single(later))
            f = _or(f, _single(_negate(later)))
        else:  # on time also on the same day
            t = _or(t, _single(_negate(later)))
            f = _and(f, _single(later))
    return t, f, FALSE, refs


def _between_bounds(lit: Literal_, ranged: dict[Ref, Ref]) -> tuple[DNF, DNF, DNF]:
    """(T, F, straddle) of a linear literal over fields known between bounds: T where it
    holds at the bound least favourable to it, F where it fails at the most favourable."""
    op, terms, const = lit[1], dict(lit[2]), lit[3]
    upward = op in ("gt", "ge")  # holds for the whole range iff it holds at the minimum

    def at(minimum: bool) -> Literal_:
        chosen: dict[Ref, int | float] = {}
        for ref, coef in terms.items():
            if ref in ranged:
                ref = ref if (coef > 0) == minimum else ranged[ref]
            chosen[ref] = chosen.get(ref, 0) + coef
        return ("cmp", op, tuple(sorted(chosen.items())), const)

    sure = at(minimum=upward)        # the least favourable bound
    possible = at(minimum=not upward)  # the most favourable bound
    return (_single(sure), _single(_negate(possible)),
            frozenset({frozenset({_negate(sure), possible})}))


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
    names = list(env.pseudos)
    return 2 + 1000 * list(env.rule.related).index(env.base_of(alias)) + (
        names.index(alias) if alias in env.pseudos else 0)


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
        for ref in _refs_of(lit):  # every record a literal reads is bound by a term
            terms.setdefault(ref[0], [])
        target = max((r[0] for r in _refs_of(lit)), key=lambda a: _order(a, env))
        terms.setdefault(target, []).append(_literal_to_durable(lit, target))
    for alias in list(terms):
        if alias in env.pseudos:
            terms[alias] = _related_base(alias, env, guards) + terms[alias]
    for lit in sorted(conj, key=repr):
        if lit[0] == "none":
            negated.append((lit[1], _related_base(lit[1], env, guards)))

    def term(alias: str) -> Any:
        kind = {KIND: GATE_KIND if alias == GATE else env.collection_of(alias)}
        checks = [{"$ex": {name: 1}} for name in sorted(guards.get(alias, ()))]
        conds = terms.pop(alias)
        if alias in env.pseudos:  # the related base starts with its kind
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
    """Conditions selecting the records of pseudo-alias ``alias``: its collection, the
    ``match`` and its filter. Fields of other facts these conditions read are added to
    ``guards``; fields of the related record itself are tested with ``$ex`` before they
    are compared."""
    pseudo = env.pseudos[alias]
    rel = env.rule.related[pseudo.alias]
    base: list[Any] = [{KIND: rel.collection}]
    for rel_field, subject_field in rel.match.items():
        _, r_info = env.ctx.resolve(f"{pseudo.alias}.{rel_field}")
        left = env.use((alias, r_info.engine_field))[1]
        if isinstance(subject_field, ItemRef):
            base.append({left: env.item})
        else:
            _, s_info = env.ctx.resolve(subject_field)
            right = env.use((SUBJECT, s_info.engine_field))[1]
            guards.setdefault(SUBJECT, set()).add(right)
            base.append({left: {SUBJECT: right}})
    own: dict[str, set[str]] = {}
    conds = []
    for lit in sorted(pseudo.filter, key=repr):
        for ref in _refs_of(lit):
            env.use(ref)
        _guard(lit, own)
        conds.append(_literal_to_durable(lit, alias))
    for other, names in own.items():
        if other != alias:
            guards.setdefault(other, set()).update(names)
    checks = [{"$ex": {name: 1}} for name in sorted(own.get(alias, ()))]
    return [base[0], *checks, *base[1:], *conds]


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

