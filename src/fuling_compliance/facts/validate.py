"""Validate whole collections of raw records at once (pydantic-core, in bulk).

Each collection gets one :class:`pydantic.TypeAdapter` over ``list[TypedDict]`` built
from its :class:`~.model.FieldSpec` table, so a million records are checked in Rust
rather than one model object at a time, and each valid record stays a plain ``dict``.
What the loader accepts, field by field (the JSON Schema says exactly the same, see
:func:`field_json_schema`):

=========  ==================================================================
string     text (at most :data:`MAX_TEXT` characters; not empty when required)
id / ref   text of 1 to :data:`MAX_ID` characters; a whole number of at most 15 digits
           is read as its text (``1001.0`` as ``"1001"``)
bool       ``true`` / ``false`` only
int        a whole number of at most 12 digits, ``3.0`` too (``respondents`` and other
           counts: not negative)
number     a finite number (not NaN or infinity)
enum       one of the listed words; ``list``: a list of them
datetime   ``YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH:MM]``, or a YAML timestamp;
           without an offset it is Chongqing time (UTC+08:00)
date       ``YYYY-MM-DD`` (or a YAML date)
time       ``HH:MM[:SS]``
=========  ==================================================================

``null`` or a missing key is unknown (see :mod:`.model`). Unknown keys are kept.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, Required

from pydantic import AfterValidator, ConfigDict, Field, Strict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from ..calendar import CHONGQING
from .model import FieldSpec, field_specs

#: longest id or reference (durable_rules is known to survive far longer; see tests)
MAX_ID = 200
#: longest text value
MAX_TEXT = 20_000
#: an id given as a number is a whole number of at most 15 digits (exact in any JSON)
MAX_NUMBER_ID = 10 ** 15
#: the largest whole number a count or limit may hold (12 digits): the engine computes in
#: 64-bit integers (a count times a percentage, hours in seconds), and 10**20 was refused
#: by it (an EngineError), 2**62 times 95 silently wrapped (found by test_fuzz)
MAX_INT = 10 ** 12 - 1

def _date_pattern(years: str) -> str:
    """Real calendar dates ``YYYY-MM-DD`` (leap years too) of the ``years`` (a regex of
    four digits, never matching 0000). No look-around: pydantic-core's regex has none."""
    long_months = r"(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    short_months = r"(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    february = r"02-(?:0[1-9]|1[0-9]|2[0-8])"
    leap_years = (r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])"
                  r"|(?:0[48]|[2468][048]|[13579][26])00)")
    return rf"(?:{years}-(?:{long_months}|{short_months}|{february})|{leap_years}-02-29)"


#: years 0001 to 9999, and 0002 to 9998
_YEARS = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_DATETIME_YEARS = (r"(?:000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}"
                   r"|99[0-8][0-9]|999[0-8])")
_HOUR_MINUTE = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
#: the years a datetime may have: its instant must have a date in Chongqing time and in
#: UTC whatever its offset, which years 2 to 9998 guarantee (see :func:`in_range`)
FIRST_YEAR, LAST_YEAR = 2, 9998
#: what the loader accepts, after surrounding whitespace is stripped (the JSON Schema of
#: a field says exactly this, see :func:`field_json_schema`)
DATE_PATTERN = "^" + _date_pattern(_YEARS) + "$"
TIME_PATTERN = rf"^{_HOUR_MINUTE}(?::[0-5][0-9])?$"
DATETIME_PATTERN = ("^" + _date_pattern(_DATETIME_YEARS) + rf"[T ]{_HOUR_MINUTE}"
                    rf"(?::[0-5][0-9](?:\.[0-9]{{1,6}})?)?(?:Z|[+-]{_HOUR_MINUTE})?$")
#: the whitespace pydantic strips from text (Unicode White_Space), as a regex class body
_WS = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"

_PATTERNS: dict[str, str] = {"datetime": DATETIME_PATTERN, "date": DATE_PATTERN,
                             "time": TIME_PATTERN}
#: the shape of a date or time, without its ranges: matching it but not the pattern is
#: an impossible value (``2026-02-30``), not a wrong type
_SHAPES: dict[str, str] = {
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                r"(Z|[+-][0-9]{2}:[0-9]{2})?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "time": r"^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"}
_OBJECT_TYPES: dict[str, type] = {"datetime": dt.datetime, "date": dt.date, "time": dt.time}
_PARSERS: dict[str, Callable[[str], Any]] = {
    "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat}


def in_range(value: dt.datetime) -> dt.datetime:
    """``value`` if its year is :data:`FIRST_YEAR` to :data:`LAST_YEAR`, else ``ValueError``.

    Dates, days and working days are counted in Chongqing time: ``9999-12-31T23:59:59
    -12:00`` is in year 10000 there, ``0001-01-01T00:00:00+08:00`` in year 0 in UTC;
    neither can be judged. Years 2 to 9998 always can (and a date field, which has no
    time zone, may be any date: ``9999-12-31`` as "never expires" is fine).
    """
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{value.isoformat()} is outside the range of datetimes (years "
                         f"{FIRST_YEAR} to {LAST_YEAR})")
    return value


def parse_datetime(value: str | dt.datetime) -> dt.datetime:
    """A datetime as the loader reads one (``as_of`` too): :data:`DATETIME_PATTERN`, a
    real date and time, Chongqing time without an offset, in range (:func:`in_range`).
    ``ValueError`` says what is wrong."""
    if isinstance(value, str):
        text = value.strip()
        if not re.match(DATETIME_PATTERN, text):
            if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}", text):
                raise ValueError(f"no such date or time, or outside years {FIRST_YEAR} to "
                                 f"{LAST_YEAR}: {value!r}")
            raise ValueError(f"{value!r} is not a datetime YYYY-MM-DD HH:MM[:SS][±HH:MM]")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"no such date or time: {value!r} ({exc})") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHONGQING)
    return in_range(value)


def _number_id(value: float) -> str:
    if not value.is_integer() or not -MAX_NUMBER_ID < value < MAX_NUMBER_ID:
        raise ValueError("not a whole number of at most 15 digits")
    return str(int(value))


def _integral(value: float) -> int:
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


def _annotation(spec: FieldSpec) -> Any:
    """The pydantic type of one field (before ``None`` is allowed)."""
    kind = spec.kind
    if spec.identifier:
        # a number (a spreadsheet's 1001 or 1001.0) is the id "1001"
        return Annotated[str, Field(min_length=1, max_length=MAX_ID)] | Annotated[
            int, Strict(), Field(gt=-MAX_NUMBER_ID, lt=MAX_NUMBER_ID), AfterValidator(str)] \
            | Annotated[float, Strict(), AfterValidator(_number_id)]
    if kind == "string":
        # a required text (an application's business_type) must say something: empty, it
        # is as unknown as a missing one (and an empty join key lost outcomes before)
        return Annotated[str, Field(min_length=1 if spec.required else 0,
                                    max_length=MAX_TEXT)]
    if kind == "bool":
        return Annotated[bool, Strict()]
    if kind == "int":
        bound = Field(ge=0 if spec.nonnegative else -MAX_INT, le=MAX_INT)
        # 3.0 is 3 (a spreadsheet's numbers are floats; JSON Schema's integer says so)
        return Annotated[int, Strict(), bound] | Annotated[
            float, Strict(), AfterValidator(_integral), bound]
    if kind == "number":
        return Annotated[float, Strict(), Field(allow_inf_nan=False)] | Annotated[int, Strict()]
    if kind == "enum":
        return Literal.__getitem__(spec.values)
    if kind == "list":
        items: Any = Literal.__getitem__(spec.values) if spec.values else str
        return list[items]
    if kind in _PATTERNS:
        exact = _OBJECT_TYPES[kind]
        return Annotated[exact, Strict()] | Annotated[str, Field(pattern=_PATTERNS[kind])]
    raise ValueError(f"unknown field kind {kind!r}")


@dataclass(frozen=True)
class CollectionValidator:
    """Validates the raw records of one collection in bulk."""

    collection: str
    specs: Mapping[str, FieldSpec]
    adapter: TypeAdapter[list[dict[str, Any]]]
    #: (field, kind) of every date, time or datetime field (finished in Python)
    temporal: tuple[tuple[str, str], ...]

    def validate(self, raw: list[Any]) -> tuple[list[dict[str, Any]], list[FieldError]]:
        """``(rows, errors)``: all rows if every record is valid, else the valid ones."""
        try:
            rows = self.adapter.validate_python(raw)
        except ValidationError as exc:
            errors = _field_errors(exc, self.specs)
            bad = {e.index for e in errors}
            errors += self._impossible_in(raw, bad, {(e.index, e.field) for e in errors})
            rows = [r for i, r in enumerate(raw) if i not in bad]
            try:
                rows = self.adapter.validate_python(rows)
            except ValidationError:  # pragma: no cover - the bad ones were removed
                rows = []
            good = [i for i in range(len(raw)) if i not in bad]
            rows, more = self._finish(rows, good)
            return rows, errors + more
        rows, errors = self._finish(rows, None)
        return rows, errors

    def _impossible_in(self, raw: list[Any], bad: set[int],
                       reported: set[tuple[int, str | None]]) -> list[FieldError]:
        """Impossible dates and times in records rejected for something else."""
        errors: list[FieldError] = []
        for index in sorted(bad):
            record = raw[index]
            if not isinstance(record, dict):
                continue
            for name, kind in self.temporal:
                value = record.get(name)
                if (index, name) in reported or not isinstance(value, str):
                    continue
                text = value.strip()
                if re.match(_SHAPES[kind], text) and not re.match(_PATTERNS[kind], text):
                    errors.append(_impossible(index, name, kind, value))
        return errors

    def _finish(self, rows: list[dict[str, Any]], indexes: list[int] | None
                ) -> tuple[list[dict[str, Any]], list[FieldError]]:
        """Parse temporal text and give datetimes without an offset Chongqing time."""
        errors: list[FieldError] = []
        bad: set[int] = set()
        for name, kind in self.temporal:
            parse = _PARSERS[kind]
            for i, row in enumerate(rows):
                value = row.get(name)
                if value is None:
                    continue
                if type(value) is str:
                    try:
                        value = parse(value)
                    except ValueError:
                        index = indexes[i] if indexes is not None else i
                        errors.append(_impossible(index, name, kind, value))
                        bad.add(i)
                        continue
                if kind == "datetime":
                    if not FIRST_YEAR <= value.year <= LAST_YEAR:
                        index = indexes[i] if indexes is not None else i
                        errors.append(_out_of_range(index, name, value))
                        bad.add(i)
                        continue
                    if value.tzinfo is None:
                        value = value.replace(tzinfo=CHONGQING)
                elif kind == "time" and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)
                row[name] = value
        if bad:
            rows = [r for i, r in enumerate(rows) if i not in bad]
        return rows, errors


@dataclass(frozen=True)
class FieldError:
    """A problem with one record (``index`` in its collection) and field, not yet placed."""

    index: int
    field: str | None
    code: str
    message: str
    message_zh: str
    value: Any = None


_KIND_ZH = {"datetime": "日期时间", "date": "日期", "time": "时间"}


def _impossible(index: int, name: str, kind: str, value: str) -> FieldError:
    years = (f" (or outside years {FIRST_YEAR} to {LAST_YEAR})", f"（或超出公元 {FIRST_YEAR} 至 "
             f"{LAST_YEAR} 年）") if kind == "datetime" else ("", "")
    return FieldError(index, name, "impossible_value", f"no such {kind}: {value!r}{years[0]}",
                      f"不存在的{_KIND_ZH[kind]}：{value!r}{years[1]}", value)


def _out_of_range(index: int, name: str, value: dt.datetime) -> FieldError:
    return FieldError(index, name, "out_of_range",
                      f"{value.isoformat()} is outside the range of datetimes (years "
                      f"{FIRST_YEAR} to {LAST_YEAR})",
                      f"{value.isoformat()} 超出日期时间的范围（公元 {FIRST_YEAR} 年至 "
                      f"{LAST_YEAR} 年）", value.isoformat())


_KIND_EXPECTED: dict[str, tuple[str, str]] = {
    "string": ("text", "文本"),
    "bool": ("true or false", "布尔值 true/false"),
    "int": ("a whole number", "整数"),
    "number": ("a number", "数字"),
    "datetime": ("a date and time YYYY-MM-DD HH:MM[:SS][±HH:MM]",
                 "日期时间 YYYY-MM-DD HH:MM[:SS][±HH:MM]"),
    "date": ("a date YYYY-MM-DD", "日期 YYYY-MM-DD"),
    "time": ("a time HH:MM", "时间 HH:MM"),
    "list": ("a list", "列表"),
}


def _field_errors(exc: ValidationError, specs: Mapping[str, FieldSpec]) -> list[FieldError]:
    """One error per (record, field): pydantic's union branches folded into one message."""
    seen: dict[tuple[int, str | None], FieldError] = {}
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if not loc or not isinstance(loc[0], int):
            continue
        index = loc[0]
        field = str(loc[1]) if len(loc) > 1 else None
        key = (index, field)
        if key in seen:
            continue
        seen[key] = _field_error(index, field, err, specs.get(field or ""))
    return list(seen.values())


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_error(index: int, field: str | None, err: Any, spec: FieldSpec | None) -> FieldError:
    kind = err["type"]
    value = err.get("input")
    got = "" if isinstance(value, dict) else f" (got {_shown(value)})"
    got_zh = "" if isinstance(value, dict) else f"（实际为 {_shown(value)}）"
    if field is None:
        return FieldError(index, None, "type", "a record must be a mapping",
                          "记录必须是映射", value)
    if spec is not None and spec.kind in _SHAPES and isinstance(value, str) \
            and re.match(_SHAPES[spec.kind], value.strip()):
        return _impossible(index, field, spec.kind, value)
    if kind == "missing":
        return FieldError(index, field, "missing", "required field missing", "缺少必填字段")
    if spec is not None and kind in ("string_too_long",):
        limit = err.get("ctx", {}).get("max_length")
        return FieldError(index, field, "too_long",
                          f"longer than {limit} characters", f"超过 {limit} 个字符", None)
    if kind in ("string_too_short",):
        return FieldError(index, field, "empty", f"must not be empty{got}", f"不能为空{got_zh}",
                          value)
    if kind in ("greater_than_equal", "less_than_equal") and isinstance(value, int | float) \
            and abs(value) > MAX_INT:
        return FieldError(index, field, "too_large", f"more than 12 digits{got}",
                          f"超过 12 位数字{got_zh}", value)
    if kind == "greater_than_equal":
        return FieldError(index, field, "negative", f"must not be negative{got}",
                          f"不能为负数{got_zh}", value)
    if spec is not None and spec.kind in ("enum", "list") and kind == "literal_error":
        allowed = ", ".join(spec.values)
        return FieldError(index, field, "enum", f"not one of {allowed}{got}",
                          f"不是允许的取值（{'、'.join(spec.values)}）{got_zh}", value)
    if spec is not None and spec.kind in ("string", "enum", "list") \
            and isinstance(value, dt.date | dt.time):
        # YAML reads an unquoted 2026-05-01 as a date: say so, in the user's own words
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        return FieldError(index, field, "type",
                          f"should be text: YAML read {text} as a date or time; quote it: "
                          f"'{text}'", f"应为文本：YAML 把 {text} 读成了日期或时间，请加引号："
                          f"'{text}'", value)
    if spec is not None and spec.kind in _KIND_EXPECTED:
        en, zh = _KIND_EXPECTED[spec.kind]
        if spec.identifier:
            en, zh = "an id (text)", "编号（文本）"
        return FieldError(index, field, "type", f"should be {en}{got}", f"应为{zh}{got_zh}", value)
    return FieldError(index, field, kind, f"{err['msg']}{got}", f"取值无效{got_zh}", value)


@functools.cache
def validator(collection: str) -> CollectionValidator:
    """The bulk validator of one collection."""
    specs = field_specs(collection)
    return build_validator(collection, specs)


def build_validator(collection: str, specs: Mapping[str, FieldSpec]) -> CollectionValidator:
    """A bulk validator for ``specs`` (built-in fields, or with declared ones added)."""
    fields: dict[str, Any] = {}
    for name, spec in specs.items():
        annotation = _annotation(spec)
        fields[name] = Required[annotation] if spec.required else NotRequired[annotation | None]
    make: Any = TypedDict
    typed = make(f"{collection}_record", fields, total=False)
    typed.__pydantic_config__ = ConfigDict(extra="allow", str_strip_whitespace=True)
    adapter: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(list[typed])  # type: ignore[valid-type]
    temporal = tuple((n, s.kind) for n, s in specs.items() if s.kind in _PATTERNS)
    return CollectionValidator(collection, specs, adapter, temporal)


def _stripped(core: str) -> str:
    """A pattern for text that is ``core`` once pydantic strips its whitespace."""
    return f"^[{_WS}]*{core}[{_WS}]*$"


def _text_pattern(longest: int, *, empty: bool) -> str:
    """Text of at most ``longest`` characters once stripped (at least one unless
    ``empty``)."""
    core = f"[^{_WS}](?:[\\s\\S]{{0,{longest - 2}}}[^{_WS}])?"
    return _stripped(f"(?:{core})?" if empty else core)


def field_json_schema(spec: FieldSpec) -> dict[str, Any]:
    """The JSON Schema of one field: exactly what :func:`validator` accepts (with null).

    Patterns, not JSON Schema ``format``s: a date is a real date (``2026-02-30`` is not;
    29 February only in leap years), a time ``HH:MM[:SS]`` of a real day, a datetime one
    of years 2 to 9998 (:func:`in_range`); text is measured once surrounding whitespace
    is stripped, as the loader strips it. An id may be a whole number of at most 15 digits
    (read as its text).
    """
    kind = spec.kind
    schema: dict[str, Any]
    if spec.identifier:
        schema = {"anyOf": [
            {"type": "string", "pattern": _text_pattern(MAX_ID, empty=False)},
            {"type": "integer", "exclusiveMaximum": MAX_NUMBER_ID,
             "exclusiveMinimum": -MAX_NUMBER_ID}]}
    elif kind == "string":
        schema = {"type": "string",
                  "pattern": _text_pattern(MAX_TEXT, empty=not spec.required)}
    elif kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "int":
        schema = {"type": "integer", "minimum": 0 if spec.nonnegative else -MAX_INT,
                  "maximum": MAX_INT}
    elif kind == "number":
        schema = {"type": "number"}
    elif kind == "enum":
        schema = {"enum": list(spec.values)}
    elif kind == "list":
        schema = {"type": "array", "items": {"enum": list(spec.values)} if spec.values
                  else {"type": "string"}}
    else:
        schema = {"type": "string", "pattern": _stripped(_PATTERNS[kind][1:-1])}
    if spec.required:
        return schema
    return {"anyOf": [schema, {"type": "null"}]} if "anyOf" not in schema else \
        {"anyOf": [*schema["anyOf"], {"type": "null"}]}
