"""How compiled rules name the fields of engine facts; :mod:`..engine.normalise` builds
facts with exactly these names (see its module table for what each suffix holds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import FieldInfo

ENGINE_ID = "id"
PARTITION = "sid"
KIND = "_k"
RECORD_ID = "rid"
LIST_SENTINEL = "~end"


def engine_name(field: str) -> str:
    """The engine field name of a domain field (``id`` -> ``rid``)."""
    return RECORD_ID if field == "id" else field


def phone_digits(engine_field: str) -> str:
    return f"{engine_field}__digits"


def duration_span_field(engine_field: str) -> str:
    return f"{engine_field}__span"


def unknown_marker(engine_field: str) -> str:
    """The engine field saying that a field whose null has a meaning (an event not
    happened) is unknown for this record (a contradiction made it so)."""
    return f"{engine_field.split('__', 1)[0]}__unk"


def coordinate(info: FieldInfo, scale: str, *, end: bool, bound: str | None = None) -> str:
    """The engine field holding ``info`` on a time scale (see the module table); for a
    field known only between bounds, ``bound`` (``lo``/``hi``) names which."""
    name = info.engine_field + (f"__{bound}" if bound else "")
    if info.kind in ("datetime", "date"):
        if scale == "day":
            return f"{name}__day"
        if scale == "working_day":
            return f"{name}__wde" if end else f"{name}__wds"
    return name
