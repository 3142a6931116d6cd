"""Commands for the people who edit rules (validate, schema, ...)."""

from __future__ import annotations

from typing import Any

COMMANDS: list[Any] = []
