"""JSON Schemas of the file formats, generated from the pydantic models.

=========  ==========================================  =================================
name       describes                                   model
=========  ==========================================  =================================
rules      a rule file under ``rules/``                :class:`.rules_model.RuleFile`
facts      a fact file (YAML or JSON)                  :class:`.facts_model.FactFile`
report     the JSON report of ``check --format json``  :class:`.report.Report`
waivers    a waiver file (``check --waivers``)          :class:`.rules.waivers.WaiverFile`
diff       the JSON of ``diff --format json``          :class:`.diff.Diff`
=========  ==========================================  =================================

The repository ships each as ``schemas/<name>.schema.json`` (a test keeps them equal to
:func:`schema_text`), so an editor with the YAML language server checks a file that
starts with::

    # yaml-language-server: $schema=../schemas/rules.schema.json

The models are the single source; this module only adds what pydantic cannot say by
itself and an editor can use: the clause ids of the regulation and the collection
names as enumerations, "exactly one operator" in a comparison, "plus or minus, not
both" in a field expression — the same constraints the loader enforces, so a file the
schema accepts passes the shape checks (the loader still checks fields, types and
parameters against the facts model, which a schema cannot).

Given a rule set, the facts schema also describes the fields its fields files declare
(type, Chinese label as ``title``, note as ``description``) and the rules schema lists
the clauses of the version of the regulation it encodes; without one, the bundled
rules' (the committed schemas).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..facts.fields import Fields, default_fields
from ..facts.model import COLLECTIONS, FORMAT
from ..facts.validate import field_json_schema
from ..rules.model import COMPARE_OPS, RuleFile
from ..rules.regulation import Regulation, regulation
from ..rules.waivers import WaiverFile
from .diff import Diff
from .report import Report

if TYPE_CHECKING:
    from ..rules.load import RuleSet

SCHEMA_NAMES: tuple[str, ...] = ("rules", "facts", "report", "waivers", "diff")
DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: the first line of a rule file: its schema for the YAML language server
RULES_MODELINE = "# yaml-language-server: $schema=../schemas/rules.schema.json"
FACTS_MODELINE = "# yaml-language-server: $schema=../schemas/facts.schema.json"


def file_name(name: str) -> str:
    """The file name a schema is shipped under: ``rules.schema.json``."""
    return f"{name}.schema.json"


def json_schema(name: str, rules: RuleSet | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) called ``name`` (one of :data:`SCHEMA_NAMES`);
    ``rules``: the rule set whose fields and regulation apply (default: the bundled)."""
    if name == "rules":
        schema = _rules_schema(rules.regulation if rules is not None else regulation())
        title = "fuling-compliance rules v1"
    elif name == "facts":
        schema = _facts_schema(rules.fields if rules is not None else default_fields())
        title = "fuling-compliance facts v1"
    elif name == "report":
        schema = Report.model_json_schema(by_alias=True, mode="serialization")
        title = "fuling-compliance report v1"
    elif name == "waivers":
        schema = WaiverFile.model_json_schema(by_alias=True)
        title = "fuling-compliance waivers v1"
    elif name == "diff":
        schema = Diff.model_json_schema(by_alias=True, mode="serialization")
        title = "fuling-compliance diff v1"
    else:
        raise ValueError(f"unknown schema {name!r}: use one of {', '.join(SCHEMA_NAMES)}")
    rest = {k: v for k, v in schema.items() if k != "title"}
    return {"$schema": DIALECT, "title": title, **rest}


def schema_text(name: str, rules: RuleSet | None = None) -> str:
    """The schema as the text shipped in ``schemas/`` (stable order, final newline)."""
    return json.dumps(json_schema(name, rules), ensure_ascii=False, indent=2) + "\n"


def _facts_schema(fields: Fields) -> dict[str, Any]:
    """A fact file, field by field exactly as the loader validates it
    (:func:`~fuling_compliance.facts.validate.field_json_schema`).

    What a schema cannot say is left to the loader: references between records,
    duplicate ids, cross-record consistency. Unknown collections and fields are allowed,
    as the loader keeps and ignores them (with a warning). ``fields``: the fields in
    force, the rules' declared ones included (with their labels and notes).
    """
    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {
        "format": {"const": FORMAT, "description": "The format of the file."},
        "as_of": {"anyOf": [{"type": "string",
                             "pattern": field_json_schema_of_as_of()},
                            {"type": "null"}],
                  "description": "The moment of judgement: YYYY-MM-DD HH:MM[:SS][±HH:MM] "
                                 "(Chongqing time without an offset)."},
    }
    for collection, model in COLLECTIONS.items():
        specs = fields.specs(collection)
        name = model.__name__
        properties_of = {f: _described(field_json_schema(s), model, f) for f, s in specs.items()}
        for declared in fields.declared(collection):
            prop = properties_of[declared.name]
            prop["title"] = declared.label_zh + (f" ({declared.label_en})"
                                                 if declared.label_en else "")
            if declared.note:
                prop["description"] = declared.note
        record: dict[str, Any] = {
            "type": "object", "title": name,
            "description": (model.__doc__ or "").strip().split("\n\n")[0] or name,
            "properties": properties_of,
            "additionalProperties": True}
        required = [f for f, s in specs.items() if s.required]
        if required:
            record["required"] = required
        defs[name] = record
        ref = {"$ref": f"#/$defs/{name}"}
        shape = ref if collection == "commission" else {"type": "array", "items": ref}
        properties[collection] = {"anyOf": [shape, {"type": "null"}]}
    return {"$defs": defs, "type": "object", "properties": properties,
            "additionalProperties": True,
            "description": "A fact set (fuling-compliance/facts/v1): collections of records. "
                           "Keys the format does not define are kept and ignored."}


def field_json_schema_of_as_of() -> str:
    """``as_of``: a datetime, as the loader reads it (surrounding whitespace allowed)."""
    from ..facts.model import FieldSpec

    pattern: str = field_json_schema(FieldSpec("as_of", "datetime", required=True))["pattern"]
    return pattern


def _described(schema: dict[str, Any], model: Any, name: str) -> dict[str, Any]:
    info = model.model_fields.get(name)
    return {**schema, "description": info.description} if info is not None and \
        info.description else dict(schema)


def _rules_schema(reg: Regulation) -> dict[str, Any]:
    schema = RuleFile.model_json_schema(by_alias=True)
    defs: dict[str, Any] = schema["$defs"]
    rule = defs["Rule"]["properties"]
    clauses = list(reg.clauses)
    rule["clause"]["enum"] = clauses
    rule["clause"]["description"] = "Clause id of the regulation, e.g. \"3.2.4\" (quote it)."
    rule["subject"]["enum"] = list(COLLECTIONS)
    defs["Related"]["properties"]["collection"]["enum"] = list(COLLECTIONS)
    # A comparison has exactly one operator; a shift is plus or minus.
    compare = defs["Compare"]
    compare["oneOf"] = [{"required": [op]} for op in COMPARE_OPS]
    defs["FieldExpr"]["not"] = {"required": ["plus", "minus"]}
    between = defs["Between"]
    between["oneOf"] = [{"required": [key]} for key in between["properties"]]
    # The condition union and the value union appear at every use: name them once.
    condition = rule["fails_when"]["oneOf"]
    _name_once(schema, "oneOf", condition, "#/$defs/Condition")
    defs["Condition"] = {"oneOf": condition,
                         "description": "A mapping with one of all, any, not, present, "
                                        "absent, exists, none, or field and one operator."}
    value = compare["properties"]["eq"]["anyOf"]
    defs["Value"] = {"anyOf": value,
                     "description": "A literal, {param: NAME}, {item: current} or "
                                    "{field: FIELD, plus|minus: N, unit: U}."}
    for op in COMPARE_OPS:
        compare["properties"][op] = {"$ref": "#/$defs/Value"}
    return schema


def _name_once(node: Any, key: str, body: list[Any], ref: str) -> None:
    """Replace every inline ``{key: body}`` under ``node`` by a ``$ref`` to ``ref``."""
    if isinstance(node, dict):
        for child_key, child in list(node.items()):
            if isinstance(child, dict) and child.get(key) == body:
                rest = {k: v for k, v in child.items() if k != key}
                node[child_key] = {"$ref": ref, **rest}
            else:
                _name_once(child, key, body, ref)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            if isinstance(child, dict) and child.get(key) == body:
                rest = {k: v for k, v in child.items() if k != key}
                node[i] = {"$ref": ref, **rest}
            else:
                _name_once(child, key, body, ref)
