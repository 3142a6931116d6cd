"""Commands added by later work (see the module owner)."""

from __future__ import annotations

from typing import Any

COMMANDS: list[Any] = []
