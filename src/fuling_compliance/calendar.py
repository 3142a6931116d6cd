"""The official PRC working-day calendar, with years policy staff add in YAML.

Working days come from the ``chinese_calendar`` package (State Council holiday
notices, including make-up working days on weekends). Years the package does not know
yet can be added as ``rules/calendar/<year>.yaml``::

    year: 2027
    holidays: [2027-01-01, ...]          # weekdays that are not working days
    workdays: [2027-02-07, ...]          # weekend days that are make-up working days

A date in a year that neither knows is a :class:`~fuling_compliance.errors.CalendarError`
naming the year — never a guess.

Working days are counted as *coordinates* so the engine can compare them with plain
arithmetic: ``start(d) = 2 × (working days up to and including d)`` and
``end(d) = start(d) + (0 if d is a working day else 1)``. "Within N working days of S"
(counting from the next working day, until the end of the N-th) holds for an event on
day E exactly when ``end(E) <= start(S) + 2N``. For N = 0 that would put the deadline
before a non-working day S itself; a deadline is never before the moment it counts from,
so 0 working days means the end of S's own day, as 0 days does (:mod:`.rules.compile`
compares day numbers then).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import chinese_calendar

from .errors import CalendarError, Problem
from .yaml_source import PosDict, PosList, read_document

_BASE = dt.date(2004, 1, 1)
_EPOCH_DAY = dt.date(1970, 1, 1)
#: Chongqing time (UTC+08:00): the district's clock for dates and days
CHONGQING = dt.timezone(dt.timedelta(hours=8), "Asia/Chongqing")


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - _EPOCH_DAY).days


def local_date(value: dt.datetime) -> dt.date:
    """The date of ``value`` in Chongqing."""
    return value.astimezone(CHONGQING).date()


class WorkingCalendar:
    """Working-day coordinates over every year known to the package or added in YAML."""

    def __init__(self, extra_years: dict[int, tuple[set[dt.date], set[dt.date]]] | None = None):
        self._extra = extra_years or {}
        first, last = _BASE.year, _package_last_year()
        years = set(range(first, last + 1)) | set(self._extra)
        self.years: frozenset[int] = frozenset(years)
        end_year = max(years)
        self._cumulative: dict[dt.date, int] = {}
        self._by_number: dict[int, tuple[int, int]] = {}
        self._workday: dict[dt.date, bool] = {}
        count = 0
        day = _BASE
        stop = dt.date(end_year, 12, 31)
        while day <= stop:
            if day.year in self.years:
                working = self._is_workday(day)
                self._workday[day] = working
                count += working
                self._cumulative[day] = count
            day += dt.timedelta(days=1)

    def _is_workday(self, day: dt.date) -> bool:
        if day.year in self._extra:
            holidays, workdays = self._extra[day.year]
            if day in workdays:
                return True
            if day in holidays:
                return False
            return day.weekday() < 5
        # chinese_calendar.is_workday's own rule, without its per-call range check (which
        # scans every holiday and made building the calendar take a fifth of a second)
        return day in chinese_calendar.workdays or (
            day.weekday() < 5 and day not in chinese_calendar.holidays)

    def knows(self, day: dt.date) -> bool:
        """Whether ``day`` falls in a year the calendar covers (with no gap before it)."""
        return day in self._cumulative

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is an official working day (raises for an unknown year)."""
        self._check(day)
        return self._workday[day]

    def start(self, day: dt.date) -> int:
        """Start coordinate: twice the working days up to and including ``day``."""
        self._check(day)
        return 2 * self._cumulative[day]

    def end(self, day: dt.date) -> int:
        """End coordinate: ``start(day)``, plus one when ``day`` is not a working day."""
        return self.start(day) + (0 if self._workday[day] else 1)

    def start_of_day_number(self, number: int) -> int:
        """:meth:`start` of the day ``number`` days after 1970-01-01."""
        coordinates = self._by_number
        if number not in coordinates:
            day = _EPOCH_DAY + dt.timedelta(days=number)
            coordinates[number] = (self.start(day), self.end(day))
        return coordinates[number][0]

    def end_of_day_number(self, number: int) -> int:
        """:meth:`end` of the day ``number`` days after 1970-01-01."""
        self.start_of_day_number(number)
        return self._by_number[number][1]

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The N-th working day after ``day`` (the last day of an N-working-day period)."""
        target = self.start(day) + 2 * n
        current = day
        while True:
            current += dt.timedelta(days=1)
            if self.start(current) >= target and self.is_workday(current):
                return current

    def _check(self, day: dt.date) -> None:
        if day not in self._cumulative:
            raise CalendarError(day.year, f"{day.isoformat()} is outside the known calendars")


def _package_last_year() -> int:
    known: list[int] = [d.year for d in chinese_calendar.holidays]
    return max(known)


def load_calendar_files(paths: Iterable[Path]) -> tuple[WorkingCalendar, list[Problem]]:
    """Build the calendar from the package plus ``<year>.yaml`` files.

    Every problem is placed (file, line, column) and explained: an empty file, a file
    without ``year:`` or whose name is another year, a value that is not a date or not
    in that year, a date listed as both a holiday and a working day, the same year in
    two files. Impossible dates (``2027-02-30``) are refused where they are written.
    """
    problems: list[Problem] = []
    extra: dict[int, tuple[set[dt.date], set[dt.date]]] = {}
    seen: dict[int, str] = {}
    for path in sorted(paths):
        data, read_problems = read_document(path)
        problems.extend(read_problems)
        if data is None:
            continue
        parsed = _parse_year(str(path), data, problems)
        if parsed is not None:
            year, holidays, workdays = parsed
            if year in seen:
                line, col = data.at("year")
                problems.append(Problem(
                    file=str(path), line=line, column=col, field="year", code="calendar",
                    message=f"year {year} is also given in {seen[year]}",
                    message_zh=f"{year} 年的日历与 {seen[year]} 重复"))
                continue
            seen[year] = str(path)
            extra[year] = (holidays, workdays)
    return (WorkingCalendar(extra) if extra else official_calendar()), problems


@functools.cache
def official_calendar() -> WorkingCalendar:
    """The package's calendar alone (built once per process)."""
    return WorkingCalendar()


_CALENDAR_KEYS = ("year", "source", "holidays", "workdays")


def _parse_year(
    file: str, data: Any, problems: list[Problem]
) -> tuple[int, set[dt.date], set[dt.date]] | None:
    def bad(node: Any, key: Any, en: str, zh: str) -> None:
        line: int | None
        col: int | None
        if isinstance(node, (PosDict, PosList)) and key is not None:
            line, col = node.at(key)
        else:
            line, col = getattr(node, "pos", (1, 1))
        problems.append(Problem(file=file, line=line, column=col,
                                field=str(key) if isinstance(key, str) else None,
                                message=en, message_zh=zh, code="calendar"))

    if isinstance(data, PosDict) and not data:
        bad(data, None, "the calendar file is empty: it needs `year`, `holidays` and "
            "`workdays`, e.g. year: 2027, holidays: [2027-01-01, ...], "
            "workdays: [2027-02-07, ...]",
            "日历文件是空的：需要写明 `year`（年份）、`holidays`（放假的工作日）和 "
            "`workdays`（调休上班的周末），例如 year: 2027")
        return None
    if not isinstance(data, PosDict):
        bad(data, None, "a calendar file is a mapping with `year`, `holidays` and `workdays`",
            "日历文件应为映射，包含 `year`、`holidays` 和 `workdays`")
        return None
    for key in data:
        if key not in _CALENDAR_KEYS:
            guess = difflib.get_close_matches(str(key), _CALENDAR_KEYS, n=1)
            bad(data, key, f"unknown key {key!r}" + (f" (did you mean {guess[0]!r}?)"
                                                     if guess else ""),
                f"未知的键 {key!r}" + (f"（是否应为 {guess[0]!r}？）" if guess else ""))
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2200:
        bad(data, "year" if "year" in data else None,
            f"a calendar file needs `year: <the year>` (got {year!r})",
            f"日历文件需要 `year: <年份>`，例如 year: 2027（实际为 {year!r}）")
        return None
    stem = Path(file).stem
    if stem.isdigit() and len(stem) == 4 and int(stem) != year:
        bad(data, "year", f"the file is named {stem} but gives year {year}",
            f"文件名是 {stem}，但 year 写的是 {year}")
    sets: list[set[dt.date]] = []
    where: dict[tuple[str, dt.date], tuple[PosList, int]] = {}
    for key in ("holidays", "workdays"):
        days: set[dt.date] = set()
        values = data.get(key)
        if values is None:
            sets.append(days)
            continue
        if not isinstance(values, PosList):
            bad(data, key, f"{key} is a list of dates, e.g. [{year}-01-01, {year}-10-01]",
                f"{key} 应为日期列表，例如 [{year}-01-01, {year}-10-01]")
            sets.append(days)
            continue
        for index, value in enumerate(values):
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                bad(values, index, f"{key}: {value!r} is not a date (YYYY-MM-DD)",
                    f"{key}：{value!r} 不是日期（应写成 YYYY-MM-DD）")
            elif value.year != year:
                bad(values, index, f"{key}: {value} is not in {year}",
                    f"{key}：{value} 不在 {year} 年（本文件是 {year} 年的日历）")
            elif value in days:
                bad(values, index, f"{key}: {value} is listed twice", f"{key}：{value} 重复")
            else:
                days.add(value)
                where[(key, value)] = (values, index)
        sets.append(days)
    for day in sorted(sets[0] & sets[1]):
        values, index = where[("workdays", day)]
        bad(values, index, f"{day} is both a holiday and a working day: keep it in one list",
            f"{day} 同时出现在 holidays（放假）和 workdays（调休上班）中：只能保留一处")
    return year, sets[0] - sets[1], sets[1] - sets[0]
