"""Facts from spreadsheets and CSV folders (issue 7; not implemented yet)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import Problem

Source = tuple[str, Callable[[], tuple[Any, list[Problem]]]]


def is_tabular(path: Path) -> bool:
    """Whether ``path`` is a workbook or a folder of CSV files."""
    return path.is_dir() or path.suffix.lower() in {".xlsx", ".csv"}


def sources(path: Path) -> list[Source]:
    """Fact documents read from a workbook or CSV folder, one per sheet or file."""

    def refuse() -> tuple[Any, list[Problem]]:
        return None, [Problem(file=str(path), message="spreadsheets are not supported yet",
                              message_zh="暂不支持电子表格", code="unsupported")]

    return [(str(path), refuse)]
