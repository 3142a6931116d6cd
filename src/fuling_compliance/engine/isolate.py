"""Run engine work in a forked child, so that a crash of durable_rules' C extension
becomes an :class:`~fuling_compliance.errors.EngineError` instead of a dead process.

durable_rules is a C extension: a fact it cannot handle (a 2,000,000-character string,
see :mod:`.durable`) can kill the process with ``SIGSEGV``, which no ``try`` catches.
:func:`call_isolated` forks, runs the work in the child (which inherits the compiled
rules and the fact set: nothing is copied or pickled on the way in), and sends only the
result back through a pipe. If the child dies, the parent raises ``EngineError`` naming
the signal; an exception in the child is raised again in the parent (a library error as
itself, anything else as an ``EngineError`` carrying the child's traceback as a note).

Costs one ``fork`` (copy-on-write) and the pickling of the result (the outcomes, one
byte per (rule, item, subject)): measured in ``benchmarks/README.md``. POSIX only; on a
platform without ``fork`` the work runs in-process. As with any ``fork``, a caller with
other threads holding locks (a logging handler mid-write, say) should prefer a process
of its own per evaluation.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from .. import timing
from ..errors import EngineError, FulingError

T = TypeVar("T")

#: fork is available (POSIX)
CAN_FORK = hasattr(os, "fork")


def call_isolated(work: Callable[[], T], what: str = "the rule engine") -> T:
    """``work()`` run in a forked child; its result, or its error raised here."""
    if not CAN_FORK:  # pragma: no cover - Windows
        return work()
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, write_end)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(1 << 20):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    if os.WIFSIGNALED(status) or not data:
        raise EngineError(_death(what, status))
    kind, payload, times = pickle.loads(data)
    for name, seconds in times.items():
        timing.add(name, seconds)
    if kind == "ok":
        result: T = payload
        return result
    if kind == "library":
        raise payload
    error = EngineError(f"{what} failed: {payload[0]}")
    error.add_note("in the child process:\n" + payload[1])
    raise error


def _child(work: Callable[[], Any], write_end: int) -> None:  # pragma: no cover - in a fork
    """Run ``work`` and write ``(kind, payload, times)``; exit without cleanup."""
    code = 0
    try:
        with timing.recording() as times:
            try:
                result: tuple[str, Any] = ("ok", work())
            except FulingError as exc:
                result = ("library", exc)
                try:
                    pickle.loads(pickle.dumps(exc))
                except Exception:
                    result = ("error", (f"{type(exc).__name__}: {exc}", ""))
            except BaseException as exc:
                result = ("error", (f"{type(exc).__name__}: {exc}",
                                    "".join(traceback.format_exception(exc))))
        data = pickle.dumps((*result, dict(times)), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            written = os.write(write_end, view)
            view = view[written:]
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _death(what: str, status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        cause = f"was killed by {name}"
        if number == signal.SIGKILL:
            cause += " (out of memory?)"
    else:
        cause = f"exited with status {os.WEXITSTATUS(status)} without a result"
    return (f"{what} crashed: its process {cause}; nothing was reported. The input may "
            "hold something durable_rules cannot handle (see the limits in the README)")
