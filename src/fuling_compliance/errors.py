"""Errors of fuling-compliance.

Every error the library raises derives from one root::

    FulingError
    ├── InputError            input rejected; carries a list of Problem (all at once)
    │   ├── FactsError        a fact set failed loading or integrity checks
    │   ├── RulesError        a rule file failed loading or validation
    │   ├── WaiversError      a waiver file failed loading or validation
    │   └── ReportError       a report given as input (a baseline, a diff side) is unusable
    ├── CalendarError         a working day was needed for a year no calendar knows
    └── EngineError           durable_rules misbehaved (lost fact, failed action, ...)

A violation of the regulation is never an exception: it is a finding in a report.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass

#: ``dir/[book.xlsx]sheet``: how a problem's ``file`` names one sheet of a workbook
#: (Excel's own notation for a sheet in another workbook); see :func:`sheet_file`.
_SHEET_FILE = re.compile(r"^(?P<dir>.*?)\[(?P<book>[^\[\]]+)\](?P<sheet>[^\[\]]+)$")


def sheet_file(workbook: str, sheet: str) -> str:
    """The ``file`` of a problem in ``sheet`` of ``workbook``: ``dir/[book.xlsx]sheet``.

    :meth:`Problem.render` shows it as ``dir/book.xlsx, sheet!D7`` (工作表 … 单元格 D7),
    reading ``line`` as the row and ``column`` as the column of the cell.
    """
    head, book = os.path.split(workbook)
    return f"{os.path.join(head, '')}[{book}]{sheet}" if head else f"[{book}]{sheet}"


def column_letter(column: int) -> str:
    """Spreadsheet column letters: 1 -> ``A``, 27 -> ``AA``."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True, order=True)
class Problem:
    """One problem with an input, located as precisely as the input allows."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    collection: str | None = None
    record: str | None = None
    field: str | None = None
    message: str = ""
    message_zh: str = ""
    code: str = "invalid"
    warning: bool = dataclasses.field(default=False, compare=False)

    @property
    def location(self) -> str:
        """``file:line:column`` (the parts that are known); a cell or CSV line in English."""
        return self.place("en")

    @property
    def sheet(self) -> tuple[str, str] | None:
        """``(workbook, sheet)`` when the problem is in a sheet of a workbook."""
        match = _SHEET_FILE.match(self.file or "")
        if match is None:
            return None
        return match["dir"] + match["book"], match["sheet"]

    def place(self, lang: str = "en") -> str:
        """Where the problem is, for people: a cell of a sheet, a line and column of a
        CSV file, else ``file:line:column``."""
        zh = lang == "zh"
        sheet = self.sheet
        if sheet is not None:
            book, name = sheet
            if self.line is None:
                return f"{book}，工作表 {name}" if zh else f"{book}, sheet {name}"
            cell = f"{column_letter(self.column or 1)}{self.line}"
            ref = name if re.fullmatch(r"\w+", name) else "'" + name.replace("'", "''") + "'"
            return f"{book}，工作表 {name} 单元格 {cell}" if zh else f"{book}, {ref}!{cell}"
        if (self.file or "").lower().endswith(".csv") and self.line is not None:
            if zh:
                return f"{self.file}，第 {self.line} 行" + (
                    f"第 {self.column} 列" if self.column is not None else "")
            return f"{self.file}, line {self.line}" + (
                f", column {self.column}" if self.column is not None else "")
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    @property
    def where(self) -> str:
        """``collection[record].field`` (the parts that are known)."""
        text = self.collection or ""
        if self.record is not None:
            text += f"[{self.record}]"
        if self.field:
            text += ("." if text else "") + self.field
        return text

    def render(self, lang: str = "zh") -> str:
        """A one-line human message."""
        msg = self.message_zh if lang == "zh" and self.message_zh else self.message
        where = self.where
        return f"{self.place(lang)}: {where + ': ' if where else ''}{msg}"


class FulingError(Exception):
    """Root of every error raised by fuling-compliance."""


class InputError(FulingError):
    """Input was rejected; :attr:`problems` lists every problem found."""

    def __init__(self, summary: str, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_key)
        lines = [summary] + ["  " + p.render("en") for p in self.problems]
        super().__init__("\n".join(lines))

    def render(self, lang: str = "zh") -> str:
        """Every problem in ``lang`` (``str(error)`` is English), under a count."""
        n = len(self.problems)
        head = f"输入被拒绝：{n} 个问题" if lang == "zh" else \
            f"input rejected: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head] + ["  " + p.render(lang) for p in self.problems])

    def __reduce__(self) -> tuple[type[InputError], tuple[str, list[Problem]]]:
        return (type(self), (str(self).split("\n", 1)[0], self.problems))


class FactsError(InputError):
    """A fact set failed loading or its integrity checks; nothing was evaluated."""


class RulesError(InputError):
    """A rule file failed loading or validation; nothing was evaluated."""


class WaiversError(InputError):
    """A waiver file failed loading or validation; nothing was evaluated."""


class ReportError(InputError):
    """A report file given as input (``--baseline``, ``diff``) could not be read as a
    ``fuling-compliance/report/v1`` report."""


class CalendarError(FulingError):
    """A working-day computation needed a year that no known calendar covers."""

    def __init__(self, year: int, detail: str = "") -> None:
        self.year = year
        self.detail = detail
        super().__init__(
            f"no working-day calendar for year {year}{': ' + detail if detail else ''}; "
            f"add rules/calendar/{year}.yaml with that year's official holidays and "
            "make-up working days"
        )

    def __reduce__(self) -> tuple[type[CalendarError], tuple[int, str]]:
        return (CalendarError, (self.year, self.detail))


class EngineError(FulingError):
    """durable_rules did not do what was asked (a fact not stored, an action failed...)."""


def _problem_key(p: Problem) -> tuple[str, int, int, str, str, str, str]:
    return (
        p.file or "",
        p.line or 0,
        p.column or 0,
        p.collection or "",
        p.record or "",
        p.field or "",
        p.message,
    )
