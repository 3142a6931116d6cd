"""Benchmark: how long starting the library and the command line takes.

    python benchmarks/startup.py [--runs 5]

Each case runs in a fresh interpreter (``subprocess``) ``--runs`` times; the line shows
the median, the fastest and the slowest wall time of the whole subprocess, and how
many modules it had loaded at exit. ``python -c pass`` is the floor: what an empty
interpreter costs on this machine.

The console script is the ``fuling-compliance`` beside this interpreter when there is
one; the package is imported from ``src/`` of this checkout (``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

#: prints the number of loaded modules at exit, whatever the command does (click exits)
_COUNT = "import atexit, sys; atexit.register(lambda: print(len(sys.modules), file=sys.stderr))"


def _cases() -> list[tuple[str, list[str]]]:
    py = sys.executable
    cli = "from fuling_compliance.cli import main; main()"
    cases = [
        ("python -c pass", [py, "-c", f"{_COUNT}"]),
        ("import fuling_compliance", [py, "-c", f"{_COUNT}; import fuling_compliance"]),
        ("cli --help", [py, "-c", f"{_COUNT}; {cli}", "--help"]),
        ("cli --version", [py, "-c", f"{_COUNT}; {cli}", "--version"]),
        ("cli check --help", [py, "-c", f"{_COUNT}; {cli}", "check", "--help"]),
        ("cli export --help", [py, "-c", f"{_COUNT}; {cli}", "export", "--help"]),
    ]
    script = shutil.which("fuling-compliance", path=str(Path(py).parent))
    if script:
        cases.insert(2, ("fuling-compliance --help", [script, "--help"]))
    return cases


def _run(argv: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}):\n{done.stderr}")
    lines = done.stderr.strip().splitlines()
    return wall, lines[-1] if lines and lines[-1].isdigit() else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"| case | median s | min s | max s | modules |  ({args.runs} runs each)")
    print("|---|---:|---:|---:|---:|")
    for name, argv in _cases():
        _run(argv)  # warm the file cache and .pyc files
        results = [_run(argv) for _ in range(args.runs)]
        walls = [w for w, _ in results]
        print(f"| {name} | {statistics.median(walls):.3f} | {min(walls):.3f} | "
              f"{max(walls):.3f} | {results[-1][1]} |", flush=True)


if __name__ == "__main__":
    main()
