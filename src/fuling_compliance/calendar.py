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
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import chinese_calendar

from .errors import CalendarError, Problem
from .yaml_source import PosDict, read_document

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
    """Build the calendar from the package plus ``<year>.yaml`` files."""
    problems: list[Problem] = []
    extra: dict[int, tuple[set[dt.date], set[dt.date]]] = {}
    for path in sorted(paths):
        data, read_problems = read_document(path)
        problems.extend(read_problems)
        if data is None:
            continue
        parsed = _parse_year(str(path), data, problems)
        if parsed is not None:
            year, holidays, workdays = parsed
            extra[year] = (holidays, workdays)
    return (WorkingCalendar(extra) if extra else official_calendar()), problems


@functools.cache
def official_calendar() -> WorkingCalendar:
    """The package's calendar alone (built once per process)."""
    return WorkingCalendar()


def _parse_year(
    file: str, data: Any, problems: list[Problem]
) -> tuple[int, set[dt.date], set[dt.date]] | None:
    def bad(key: str | None, en: str, zh: str) -> None:
        line, col = data.at(key) if isinstance(data, PosDict) and key else (1, 1)
        problems.append(Problem(file=file, line=line, column=col, field=key, message=en,
                                message_zh=zh, code="calendar"))

    if not isinstance(data, PosDict) or not isinstance(data.get("year"), int):
        bad("year", "a calendar file needs `year: <int>`", "日历文件需要 `year: <整数>`")
        return None
    year = int(data["year"])
    for key in data:
        if key not in {"year", "holidays", "workdays", "source"}:
            bad(key, f"unknown key {key!r}", f"未知的键 {key!r}")
    sets: list[set[dt.date]] = []
    for key in ("holidays", "workdays"):
        days: set[dt.date] = set()
        for value in data.get(key) or []:
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                bad(key, f"{key}: {value!r} is not a date", f"{key}：{value!r} 不是日期")
            elif value.year != year:
                bad(key, f"{key}: {value} is not in {year}", f"{key}：{value} 不在 {year} 年")
            else:
                days.add(value)
        sets.append(days)
    return year, sets[0], sets[1]
