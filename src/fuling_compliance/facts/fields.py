"""The fields in force: every collection's built-in fields plus those declared in YAML.

Policy staff add facts nobody records yet without touching Python. Any file of a rules
folder whose ``format`` is ``fuling-compliance/fields/v1`` declares optional fields::

    format: fuling-compliance/fields/v1
    fields:
      outlets:                                  # a collection, by its key
        price_list_displayed:                   # the new field: a-z, 0-9 and _
          type: boolean
          label: {zh: 价目表已公示, en: Price list displayed}
          note: 网点是否在营业厅显眼处公示收费价目表（现场检查时记录）
        price_list_medium:
          type: enum
          values: [paper, screen]
          value_labels: {paper: 纸质, screen: 电子屏}
          label: 价目表形式                        # a text alone is the Chinese label

=============  =============================================================================
``type``       ``boolean`` ``integer`` ``number`` ``string`` ``date`` ``datetime`` ``time``
               ``enum`` (one of ``values``) ``list`` (several of ``values``, a YAML list)
``label``      the Chinese label (spreadsheet headers, feature tables, the rule book):
               ``{zh: …, en: …}`` or the Chinese text alone; unique in its collection
``values``     ``enum`` and ``list`` only: the allowed values (text without commas)
``value_labels``  optional: Chinese labels of the values (drop-downs, messages)
``note``       optional: what the field means, shown in the template and the rule book
=============  =============================================================================

A declared field is optional and ``null`` (or leaving it out) means *unknown*, as for
the built-in fields; it is validated, read from spreadsheets, usable in rules and shown
like a built-in one. A declaration is rejected, with its file, line and column and a
"did you mean", when it names an unknown collection or type, repeats a built-in field
or another declaration, uses a reserved name (``as_of``, ``id``, ...) or an engine
suffix (``__day``, ...), or reuses a label.

:class:`Fields` is the one object every consumer asks: the facts loader, spreadsheets,
the rules (field resolution, compilation), the engine's normaliser and the reports. The
rules loader builds it from the fields files it finds (``RuleSet.fields``); without a
rule set, :func:`default_fields` — the bundled rules' declarations — applies.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from .labels import COLLECTION_LABELS, FIELD_LABELS, VALUE_LABELS
from .model import COLLECTIONS, FieldKind, FieldSpec, field_kinds, field_specs

if TYPE_CHECKING:
    from .validate import CollectionValidator

FIELDS_FORMAT = "fuling-compliance/fields/v1"

#: declared type -> field kind
TYPES: dict[str, FieldKind] = {
    "boolean": "bool",
    "integer": "int",
    "number": "number",
    "string": "string",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
    "enum": "enum",
    "list": "list",
}
#: words people write for a type -> the type meant
_TYPE_WORDS = {"bool": "boolean", "int": "integer", "float": "number", "decimal": "number",
               "text": "string", "str": "string", "timestamp": "datetime",
               "enumeration": "enum", "choice": "enum", "array": "list", "set": "list"}
#: names a declared field may not take, with the reason (en, zh)
RESERVED: dict[str, tuple[str, str]] = {
    "as_of": ("the moment of judgement in every rule", "每条规则中的评估时间"),
    "id": ("a record's identity", "记录编号"),
    "sid": ("the engine's partition", "规则引擎的分区"),
    "rid": ("the engine's record id", "规则引擎的记录编号"),
    "item": ("the current item of an item-by-item rule", "逐项规则的当前检查项"),
    "rule": ("the rule id in messages", "消息中的规则编号"),
    "clause": ("the clause id in messages", "消息中的条款号"),
    "format": ("the format line of a file", "文件格式行"),
    # Record's own attributes (record.get, record.values, ...)
    "get": ("a method of records", "记录的方法名"),
    "values": ("a method of records", "记录的方法名"),
    "extra": ("a method of records", "记录的方法名"),
    "collection": ("a method of records", "记录的方法名"),
    "record_id": ("a method of records", "记录的方法名"),
    "values_of": ("a method of records", "记录的方法名"),
    "to_dict": ("a method of records", "记录的方法名"),
}
#: suffixes the engine appends to field names (see ``engine/normalise.py``)
ENGINE_SUFFIXES = ("__day", "__wds", "__wde", "__digits", "__span")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_MAX_NAME = 64
_SPEC_KEYS = ("type", "label", "values", "value_labels", "note")
_TOP_KEYS = ("format", "title", "note", "fields")
#: characters that separate list items in a spreadsheet cell
_SEPARATORS = re.compile(r"[,，、]")


@dataclass(frozen=True)
class DeclaredField:
    """One field declared in a fields file."""

    collection: str
    name: str
    #: the type as written (``boolean``, ``enum``, ...)
    type: str
    kind: FieldKind
    label_zh: str
    label_en: str = ""
    values: tuple[str, ...] = ()
    #: (value, Chinese label) pairs
    value_labels: tuple[tuple[str, str], ...] = ()
    note: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def spec(self) -> FieldSpec:
        return FieldSpec(self.name, self.kind, self.values)

    @property
    def where(self) -> str:
        """``file:line`` of the declaration."""
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)

    def key(self) -> tuple[Any, ...]:
        """What the field means (its place in a file aside)."""
        return (self.collection, self.name, self.kind, self.values, self.label_zh,
                self.label_en, self.value_labels, self.note)


class Fields:
    """The fields in force: built-in ones (the facts model) plus declared ones.

    Every consumer asks this object rather than the facts model: which fields a
    collection has and of what kind (:meth:`specs`, :meth:`kinds`), its bulk validator
    (:meth:`validator`), spreadsheet columns (:meth:`columns`) and the Chinese labels of
    fields and values (:meth:`label`, :meth:`field_for_label`, :meth:`value_label`,
    :meth:`value_for_label`). Immutable; equal when the declarations mean the same.
    """

    def __init__(self, declared: Iterable[DeclaredField] = ()) -> None:
        self._declared: dict[str, dict[str, DeclaredField]] = {c: {} for c in COLLECTIONS}
        for field in declared:
            self._declared[field.collection][field.name] = field
        self._specs: dict[str, dict[str, FieldSpec]] = {}
        self._kinds: dict[str, dict[str, tuple[FieldKind, tuple[str, ...]]]] = {}
        self._validators: dict[str, CollectionValidator] = {}

    # ------------------------------------------------------------------ declared
    def declared(self, collection: str | None = None) -> tuple[DeclaredField, ...]:
        """The declared fields (of one collection), in collection and declaration order."""
        if collection is not None:
            return tuple(self._declared[collection].values())
        return tuple(f for c in COLLECTIONS for f in self._declared[c].values())

    def declaration(self, collection: str, name: str) -> DeclaredField | None:
        """The declaration of a field, ``None`` for a built-in or unknown one."""
        return self._declared.get(collection, {}).get(name)

    # ------------------------------------------------------------------ kinds
    def specs(self, collection: str) -> dict[str, FieldSpec]:
        """The validated fields of a collection (built-in, then declared)."""
        specs = self._specs.get(collection)
        if specs is None:
            specs = dict(field_specs(collection))
            specs.update({f.name: f.spec for f in self._declared[collection].values()})
            self._specs[collection] = specs
        return specs

    def kinds(self, collection: str) -> dict[str, tuple[FieldKind, tuple[str, ...]]]:
        """``{field: (kind, allowed values)}``: built-in, derived and declared fields."""
        kinds = self._kinds.get(collection)
        if kinds is None:
            kinds = dict(field_kinds(collection))
            kinds.update({f.name: (f.kind, f.values)
                          for f in self._declared[collection].values()})
            self._kinds[collection] = kinds
        return kinds

    def validator(self, collection: str) -> CollectionValidator:
        """The bulk validator of a collection's records."""
        found = self._validators.get(collection)
        if found is None:
            from .validate import build_validator, validator

            found = build_validator(collection, self.specs(collection)) \
                if self._declared[collection] else validator(collection)
            self._validators[collection] = found
        return found

    def columns(self, collection: str) -> list[str]:
        """The fields a record of the collection is given (built-in order, then declared)."""
        return [*COLLECTIONS[collection].model_fields, *self._declared[collection]]

    # ------------------------------------------------------------------ labels
    def label(self, collection: str, name: str) -> str | None:
        """The Chinese label of a field (``None`` if it has none)."""
        declared = self.declaration(collection, name)
        if declared is not None:
            return declared.label_zh
        return FIELD_LABELS.get(name)

    def label_en(self, collection: str, name: str) -> str | None:
        """The English label of a declared field (built-in fields are named by key)."""
        declared = self.declaration(collection, name)
        return declared.label_en or None if declared is not None else None

    def field_for_label(self, collection: str, label: str) -> str | None:
        """The field a header names: its key, Chinese label or ``标签 (key)``."""
        text = label.strip()
        if text.endswith(")") and "(" in text:
            text = text[text.rindex("(") + 1:-1].strip()
        declared = self._declared.get(collection, {})
        if text in declared:
            return text
        for field in declared.values():
            if field.label_zh == text:
                return field.name
        if text in FIELD_LABELS:
            return text
        for key, value in FIELD_LABELS.items():
            if value == text:
                return key
        return None

    def value_labels(self, collection: str, name: str) -> Mapping[str, str]:
        """Chinese labels of a field's values (declared ones first, then the shared ones)."""
        declared = self.declaration(collection, name)
        if declared is None or not declared.value_labels:
            return VALUE_LABELS
        return {**VALUE_LABELS, **dict(declared.value_labels)}

    def value_label(self, collection: str, name: str, value: str) -> str:
        """The Chinese label of one value of a field (the value if it has none)."""
        return self.value_labels(collection, name).get(value, value)

    def value_for_label(self, collection: str, name: str, label: str) -> str:
        """The value a Chinese label (or the value itself) stands for."""
        declared = self.declaration(collection, name)
        if declared is not None:
            for value, text in declared.value_labels:
                if text == label:
                    return value
            if label in declared.values:
                return label
        for key, value in VALUE_LABELS.items():
            if value == label:
                return key
        return label

    # ------------------------------------------------------------------ comparing
    def missing_from(self, other: Fields) -> list[DeclaredField]:
        """Declared fields of ``self`` that ``other`` does not know the same way."""
        return [f for f in self.declared()
                if (o := other.declaration(f.collection, f.name)) is None or o.key() != f.key()]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fields) and \
            [f.key() for f in self.declared()] == [f.key() for f in other.declared()]

    def __hash__(self) -> int:
        return hash(tuple(f.key() for f in self.declared()))

    def __repr__(self) -> str:
        names = [f"{f.collection}.{f.name}" for f in self.declared()]
        return f"Fields(declared={names})"


#: the built-in fields alone
BUILTIN = Fields()


# ----------------------------------------------------------------------------- reading
def _suggest(word: str, choices: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _hint(guess: str | None, key: object = "") -> tuple[str, str]:
    if guess is None:
        if " " in str(key):
            return (" (inside {...} a comma ends the value: put text with commas in quotes)",
                    "（在 {...} 中逗号会结束取值：含逗号的文字请加引号）")
        return "", ""
    return f" (did you mean {guess!r}?)", f"（是否应为 {guess!r}？）"


def is_fields_text(text: str) -> bool:
    """Whether a YAML text declares itself a fields file (its ``format:`` line)."""
    return re.search(r"^format:\s*['\"]?" + re.escape(FIELDS_FORMAT) + r"['\"]?\s*(#.*)?$",
                     text, re.M) is not None


class _Reader:
    """Reads the declarations of one fields file (a positioned mapping)."""

    def __init__(self, file: str, data: Any) -> None:
        self.file = file
        self.data = data
        self.problems: list[Problem] = []
        self.fields: list[DeclaredField] = []

    def problem(self, node: Any, key: Any, en: str, zh: str, code: str, *,
                collection: str | None = None, field: str | None = None) -> None:
        line, column = _at(node, key)
        self.problems.append(Problem(file=self.file, line=line, column=column,
                                     collection=collection, field=field, message=en,
                                     message_zh=zh, code=code))

    def read(self) -> None:
        data = self.data
        if not isinstance(data, dict):
            self.problem(data, None, "a fields file is a mapping (format, fields)",
                         "字段声明文件的顶层必须是映射（format、fields）", "not_mapping")
            return
        for key in data:
            if key not in _TOP_KEYS:
                en, zh = _hint(_suggest(str(key), _TOP_KEYS))
                self.problem(data, key, f"unknown key {key!r}{en}", f"未知的键 {key!r}{zh}",
                             "unknown_key")
        fields = data.get("fields")
        if not isinstance(fields, dict):
            self.problem(data, "fields" if "fields" in data else None,
                         "`fields:` must map collections to their new fields, e.g. "
                         "fields: {outlets: {price_list_displayed: {type: boolean, ...}}}",
                         "`fields:` 应为“集合 → 新字段”的映射，例如 fields: {outlets: "
                         "{price_list_displayed: {type: boolean, ...}}}", "missing")
            return
        for collection, declared in fields.items():
            self.collection(fields, str(collection), declared)

    def collection(self, parent: Any, collection: str, declared: Any) -> None:
        if collection not in COLLECTIONS:
            by_label = next((k for k, v in COLLECTION_LABELS.items() if v == collection), None)
            guess = by_label or _suggest(collection, COLLECTIONS)
            en, zh = _hint(guess)
            self.problem(parent, collection, f"unknown collection {collection!r}{en}",
                         f"未知的集合 {collection!r}{zh}；可选：{'、'.join(COLLECTIONS)}",
                         "unknown_collection", collection=collection)
            return
        if not isinstance(declared, dict):
            self.problem(parent, collection, f"{collection}: give a mapping of new fields",
                         f"{collection}：应为新字段的映射（字段名: {{type: …, label: …}}）",
                         "type", collection=collection)
            return
        for name, spec in declared.items():
            self.field(declared, collection, str(name), spec)

    def field(self, parent: Any, collection: str, name: str, spec: Any) -> None:
        def bad(node: Any, key: Any, en: str, zh: str, code: str) -> None:
            self.problem(node, key, en, zh, code, collection=collection, field=name)

        ok = self.name_ok(parent, collection, name, bad)
        if not isinstance(spec, dict):
            bad(parent, name, f"{name}: give its type and label, e.g. "
                "{type: boolean, label: {zh: …, en: …}}",
                f"{name}：应写明类型和标签，例如 {{type: boolean, label: {{zh: …, en: …}}}}",
                "type")
            return
        for key in spec:
            if key not in _SPEC_KEYS:
                en, zh = _hint(_suggest(str(key), _SPEC_KEYS), key)
                bad(spec, key, f"unknown key {key!r}{en}", f"未知的键 {key!r}{zh}",
                    "unknown_key")
        type_name = spec.get("type")

        def missing(en: str, zh: str) -> None:  # a key that is not there: at the field
            bad(parent, name, en, zh, "missing")

        kind = self.kind(spec, type_name, bad, missing)
        label_zh, label_en = self.label(spec, bad, missing)
        values = self.values(spec, kind, bad)
        value_labels = self.value_labels(spec, values, bad)
        note = spec.get("note")
        if note is not None and not (isinstance(note, str) and note.strip()):
            bad(spec, "note", "note must be text", "note 应为文字", "type")
            note = None
        if ok and kind is not None and label_zh is not None and values is not None:
            line, column = _at(parent, name)
            self.fields.append(DeclaredField(
                collection, name, str(type_name), kind, label_zh, label_en or "", values,
                value_labels, note.strip() if isinstance(note, str) else None, self.file,
                line, column))

    @staticmethod
    def name_ok(parent: Any, collection: str, name: str, bad: Any) -> bool:
        builtin = field_kinds(collection)
        if name in builtin:
            label = FIELD_LABELS.get(name)
            shown = f"（{label}）" if label else ""
            bad(parent, name, f"{collection} already has the built-in field {name!r}: "
                "a declaration cannot change it (choose another name)",
                f"{collection} 已有内置字段 {name!r}{shown}，不能重新声明（请换一个字段名）",
                "builtin_field")
            return False
        if name in RESERVED:
            en, zh = RESERVED[name]
            bad(parent, name, f"{name!r} is reserved ({en}): choose another name",
                f"{name!r} 是保留名（{zh}），请换一个字段名", "reserved_name")
            return False
        suffix = next((s for s in ENGINE_SUFFIXES if name.endswith(s)), None)
        if suffix is not None or "__" in name:
            what = f"ends in the engine suffix {suffix!r}" if suffix else "contains '__'"
            what_zh = f"以规则引擎使用的后缀 {suffix!r} 结尾" if suffix else "含有 '__'"
            bad(parent, name, f"{name!r} {what}, which the engine uses for the fields it "
                "derives: choose another name",
                f"{name!r} {what_zh}（规则引擎用它命名派生字段），请换一个字段名",
                "reserved_name")
            return False
        if not _NAME.fullmatch(name) or len(name) > _MAX_NAME:
            guess = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
            hint_en = f" (e.g. {guess!r})" if guess and _NAME.fullmatch(guess) else ""
            hint_zh = f"（例如 {guess!r}）" if hint_en else ""
            bad(parent, name, f"{name!r} is not a field key: use lowercase letters, digits "
                f"and _ starting with a letter, at most {_MAX_NAME} characters{hint_en}; "
                "the Chinese name goes in `label`",
                f"{name!r} 不能作字段名：只能用小写英文字母、数字和下划线，以字母开头，"
                f"不超过 {_MAX_NAME} 个字符{hint_zh}；中文名称写在 label 中", "field_name")
            return False
        return True

    @staticmethod
    def kind(spec: Any, type_name: Any, bad: Any, missing: Any) -> FieldKind | None:
        if type_name is None:
            missing("missing `type` (one of " + ", ".join(TYPES) + ")",
                    "缺少 `type`（可选：" + "、".join(TYPES) + "）")
            return None
        if isinstance(type_name, str) and type_name in TYPES:
            return TYPES[type_name]
        text = str(type_name)
        guess = _TYPE_WORDS.get(text.lower()) or _suggest(text.lower(), TYPES)
        en, zh = _hint(guess)
        bad(spec, "type", f"unknown type {text!r}: use one of {', '.join(TYPES)}{en}",
            f"未知的类型 {text!r}，可选：{'、'.join(TYPES)}{zh}", "unknown_type")
        return None

    @staticmethod
    def label(spec: Any, bad: Any, missing: Any) -> tuple[str | None, str | None]:
        label = spec.get("label")
        if isinstance(label, str) and label.strip():
            return label.strip(), None
        if isinstance(label, dict):
            for key in label:
                if key not in ("zh", "en"):
                    en, zh = _hint(_suggest(str(key), ("zh", "en")))
                    bad(label, key, f"unknown key {key!r} in label{en}",
                        f"label 中未知的键 {key!r}{zh}", "unknown_key")
            zh_text, en_text = label.get("zh"), label.get("en")
            if not (isinstance(zh_text, str) and zh_text.strip()):
                bad(label, "zh" if "zh" in label else None,
                    "label needs its Chinese text (zh)", "label 需要中文名称（zh）", "missing")
                return None, None
            if en_text is not None and not isinstance(en_text, str):
                bad(label, "en", "label.en must be text", "label.en 应为文字", "type")
                en_text = None
            return zh_text.strip(), en_text.strip() if isinstance(en_text, str) else None
        message = ("`label` gives its Chinese name, e.g. label: {zh: 价目表已公示, en: ...}",
                   "需要 `label`：字段的中文名称，例如 label: {zh: 价目表已公示, en: ...}")
        if "label" in spec:
            bad(spec, "label", *message, "type")
        else:
            missing(*message)
        return None, None

    @staticmethod
    def values(spec: Any, kind: FieldKind | None, bad: Any) -> tuple[str, ...] | None:
        values = spec.get("values")
        if kind not in ("enum", "list"):
            if values is not None and kind is not None:
                bad(spec, "values", f"`values` belongs to enum and list fields only, not "
                    f"{spec.get('type')}", f"只有 enum 和 list 类型可以有 `values`，"
                    f"{spec.get('type')} 不能有", "values")
            return ()
        if not isinstance(values, list) or not values:
            bad(spec, "values" if "values" in spec else "type",
                f"a {spec.get('type')} field lists its allowed values: values: [a, b]",
                f"{spec.get('type')} 类型需要列出允许的取值：values: [a, b]", "values")
            return None
        seen: set[str] = set()
        good = True
        for index, value in enumerate(values):
            if not isinstance(value, str) or not value.strip() or _SEPARATORS.search(value):
                bad(values, index, f"value {value!r} must be text without commas or 、",
                    f"取值 {value!r} 应为文字，且不含逗号或顿号", "values")
                good = False
            elif value in seen:
                bad(values, index, f"value {value!r} is listed twice", f"取值 {value!r} 重复",
                    "values")
                good = False
            seen.add(str(value))
        return tuple(values) if good else None

    @staticmethod
    def value_labels(spec: Any, values: tuple[str, ...] | None, bad: Any
                     ) -> tuple[tuple[str, str], ...]:
        labels = spec.get("value_labels")
        if labels is None:
            return ()
        if not isinstance(labels, dict):
            bad(spec, "value_labels", "value_labels maps values to Chinese labels: "
                "{paper: 纸质, screen: 电子屏}",
                "value_labels 应为“取值: 中文标签”的映射，例如 {paper: 纸质, screen: 电子屏}",
                "type")
            return ()
        if not values:
            if values is not None:
                bad(spec, "value_labels", "value_labels belongs to enum and list fields only",
                    "只有 enum 和 list 类型可以有 value_labels", "values")
            return ()
        out: list[tuple[str, str]] = []
        used: dict[str, str] = {}
        for value, text in labels.items():
            if value not in values:
                en, zh = _hint(_suggest(str(value), values))
                bad(labels, value, f"{value!r} is not one of the values "
                    f"({', '.join(values)}){en}",
                    f"{value!r} 不在 values 中（{'、'.join(values)}）{zh}", "values")
            elif not isinstance(text, str) or not text.strip() or _SEPARATORS.search(text):
                bad(labels, value, f"the label of {value!r} must be text without commas or 、",
                    f"{value!r} 的标签应为文字，且不含逗号或顿号", "values")
            elif text.strip() in used or text.strip() in values:
                bad(labels, value, f"label {text!r} names two values",
                    f"标签 {text!r} 对应了两个取值", "values")
            else:
                used[text.strip()] = value
                out.append((value, text.strip()))
        return tuple(out)


def _at(node: Any, key: Any) -> tuple[int | None, int | None]:
    if key is not None and hasattr(node, "at"):
        try:
            line, column = node.at(key)
            return line, column
        except (KeyError, IndexError, TypeError):
            pass
    pos = getattr(node, "pos", None)
    return (pos[0], pos[1]) if pos is not None else (None, None)


def parse_fields(file: str, data: Any) -> tuple[list[DeclaredField], list[Problem]]:
    """The declarations of one fields file (read with positions), and its problems."""
    reader = _Reader(file, data)
    reader.read()
    return reader.fields, reader.problems


def combine(declared: Sequence[DeclaredField]) -> tuple[Fields, list[Problem]]:
    """The fields in force from every file's declarations; problems across files
    (a field declared twice, a Chinese label used twice in one collection)."""
    problems: list[Problem] = []
    kept: list[DeclaredField] = []
    by_name: dict[tuple[str, str], DeclaredField] = {}
    labels: dict[str, dict[str, str]] = {}
    for field in declared:
        other = by_name.get((field.collection, field.name))
        if other is not None:
            problems.append(_problem(field, f"{field.collection}.{field.name} is declared "
                                     f"twice (also at {other.where})",
                                     f"{field.collection}.{field.name} 重复声明（另见 "
                                     f"{other.where}）", "duplicate_field"))
            continue
        used = labels.setdefault(field.collection, _builtin_labels(field.collection))
        owner = used.get(field.label_zh)
        if owner is not None:
            problems.append(_problem(field, f"label {field.label_zh!r} is already the label "
                                     f"of {field.collection}.{owner}: choose another",
                                     f"标签 {field.label_zh!r} 已是 {field.collection}.{owner} "
                                     "的标签，请换一个", "duplicate_label"))
            continue
        used[field.label_zh] = field.name
        by_name[(field.collection, field.name)] = field
        kept.append(field)
    return Fields(kept), problems


def _builtin_labels(collection: str) -> dict[str, str]:
    return {FIELD_LABELS[name]: name for name in field_kinds(collection) if name in FIELD_LABELS}


def _problem(field: DeclaredField, en: str, zh: str, code: str) -> Problem:
    return Problem(file=field.file, line=field.line, column=field.column,
                   collection=field.collection, field=field.name, message=en, message_zh=zh,
                   code=code)


def read_fields_files(paths: Iterable[Path]) -> tuple[Fields, list[Problem]]:
    """The fields declared in the given fields files, and every problem found."""
    from ..yaml_source import read_document

    declared: list[DeclaredField] = []
    problems: list[Problem] = []
    for path in paths:
        data, read_problems = read_document(path)
        problems.extend(read_problems)
        if data is None:
            continue
        found, more = parse_fields(str(path), data)
        declared.extend(found)
        problems.extend(more)
    fields, more = combine(declared)
    return fields, problems + more


def fields_files(folder: Path) -> list[Path]:
    """The fields files among the top-level ``*.yaml`` files of a rules folder."""
    found = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if is_fields_text(text):
            found.append(path)
    return found


@functools.cache
def default_fields() -> Fields:
    """The bundled rules' fields: what applies when no rule set is given."""
    from ..bundled import bundled_rules_dir
    from ..errors import RulesError

    fields, problems = read_fields_files(fields_files(bundled_rules_dir()))
    if problems:
        raise RulesError(f"bundled fields rejected: {len(problems)} problem(s)", problems)
    return fields
