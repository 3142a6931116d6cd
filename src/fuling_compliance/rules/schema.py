"""What a rule may refer to: the fields of its subject and related collections.

:class:`RuleContext` resolves a field path of a rule (``status``, ``service.time_limit``,
``as_of``) against the fields in force (:class:`~..facts.fields.Fields`: built-in and
declared in YAML), so validation can reject a misspelled field with a suggestion and the
compiler knows each field's kind and engine name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..facts.fields import Fields, default_fields
from ..facts.model import COLLECTIONS, RANGED_FIELDS, FieldKind
from .engine_fields import engine_name
from .model import Rule

GATE = "gate"
SUBJECT = "subj"
RESERVED_ALIASES = frozenset({GATE, SUBJECT, "as_of", "item", "m", "s", "never", "id", "sid"})


@dataclass(frozen=True)
class FieldInfo:
    collection: str
    name: str
    kind: FieldKind
    values: tuple[str, ...]
    #: every record has it (an identity or reference): never unknown
    required: bool = False
    #: a derived field that may be known only between two bounds (``RANGED_FIELDS``)
    ranged: bool = False

    @property
    def engine_field(self) -> str:
        return engine_name(self.name)


AS_OF = FieldInfo("__gate__", "as_of", "datetime", ())


class ResolveError(Exception):
    """A field path that names nothing; ``suggestion`` is the closest valid path."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        self.suggestion = suggestion
        super().__init__(message + (f" (did you mean {suggestion!r}?)" if suggestion else ""))


def suggest(word: str, choices: list[str]) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


class RuleContext:
    """Resolves field paths for one rule (optionally scoped to one related alias).

    ``fields``: the fields in force (a rule set's; default: the bundled rules').
    """

    def __init__(self, rule: Rule, scope: str | None = None, fields: Fields | None = None
                 ) -> None:
        self.rule = rule
        self.scope = scope
        self.fields = fields if fields is not None else default_fields()

    def scoped(self, alias: str) -> RuleContext:
        """Context for a related record's ``where``: bare names are that record's fields."""
        return RuleContext(self.rule, alias, self.fields)

    def resolve(self, path: str) -> tuple[str, FieldInfo]:
        """``(alias, FieldInfo)`` for a path; alias is ``subj``, ``gate`` or a related alias."""
        if path == "as_of":
            return GATE, AS_OF
        if "." in path:
            alias, _, name = path.partition(".")
            if alias not in self.rule.related:
                guess = suggest(alias, list(self.rule.related))
                raise ResolveError(f"{alias!r} is not a related record of this rule",
                                   f"{guess}.{name}" if guess else None)
            return alias, self._field(self.rule.related[alias].collection, name, alias)
        if self.scope is not None:
            return self.scope, self._field(self.rule.related[self.scope].collection, path,
                                           self.scope)
        return SUBJECT, self._field(self.rule.subject, path, None)

    def _field(self, collection: str, name: str, alias: str | None) -> FieldInfo:
        if collection not in COLLECTIONS:
            raise ResolveError(f"unknown collection {collection!r}",
                               suggest(collection, list(COLLECTIONS)))
        kinds = self.fields.kinds(collection)
        if name not in kinds:
            prefix = f"{alias}." if alias else ""
            guess = suggest(name, list(kinds))
            raise ResolveError(
                f"{collection} has no field {name!r}",
                prefix + guess if guess else None,
            )
        kind, values = kinds[name]
        spec = self.fields.specs(collection).get(name)
        return FieldInfo(collection, name, kind, values,
                         required=spec is not None and spec.required,
                         ranged=(collection, name) in RANGED_FIELDS)
