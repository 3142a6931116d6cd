"""Where the time of a run goes, phase by phase (``check --timings``, the benchmarks).

A :func:`recording` block collects the wall time spent in each :func:`phase` entered
inside it (in this thread): ``rules`` (loading and compiling the rules), ``parse``
(reading documents), ``validate`` (types, integrity, placing problems), ``normalise``
(engine facts), ``engine`` (durable_rules; with workers, their whole wall time,
normalising included), ``report`` (findings, messages), ``render`` (the output format).
Outside a recording a phase costs one context-variable lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT: ContextVar[dict[str, float] | None] = ContextVar("fuling_timings", default=None)


@contextmanager
def recording() -> Iterator[dict[str, float]]:
    """Record phase times into the dict yielded (seconds, by phase name)."""
    times: dict[str, float] = {}
    token = _CURRENT.set(times)
    try:
        yield times
    finally:
        _CURRENT.reset(token)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Count the time spent in this block towards ``name`` (when recording)."""
    times = _CURRENT.get()
    if times is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        times[name] = times.get(name, 0.0) + time.perf_counter() - start


def add(name: str, seconds: float) -> None:
    """Count ``seconds`` towards ``name`` (when recording)."""
    times = _CURRENT.get()
    if times is not None:
        times[name] = times.get(name, 0.0) + seconds
