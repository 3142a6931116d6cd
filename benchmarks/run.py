"""Benchmark: the CLI as a whole process, and in-process ``evaluate`` vs raw durable_rules
vs a hand-written checker, on the same generated data.

    python benchmarks/run.py --sizes 10000,100000 [--seed 1] [--distributions many,two,one]
    python benchmarks/run.py --only cli --sizes 10000,100000 --distributions two
    python benchmarks/run.py --only evaluate,raw,oracle --sizes 10000,100000,1000000
    python benchmarks/run.py --profile 100000          # where evaluate's time goes

``--only`` picks from ``cli,evaluate,raw,oracle`` (default: all four). For each
distribution (``generate.py``: ``many`` suppliers, ``two``, ``one`` with very many
areas, outlets and staff) and each size:

**cli** (``cli_bench.py``): the facts are written as JSON (and YAML, unless
``--no-yaml``) and ``check FILE --format json --output OUT --jobs J`` runs as a child
process for every format and every J of ``--jobs-list``; plus a rejected variant of
each file (exit code 2 expected), "load only" (``load_facts`` in a child process), and
once per run ``--help`` and ``import fuling_compliance``. This part uses only the CLI,
the public API and ``generate.py``, so it runs even when the internals below change.

**In process**: one generated fact set is loaded once, then three things are measured
one after the other in this process:

1. **evaluate** — ``fuling_compliance.engine.evaluate(rules, facts, as_of)`` end to end from
   the loaded fact set: normalising, the engine, the report (fail and
   insufficient_data findings, as the CLI produces them).
2. **raw durable_rules** — the same compiled rulesets (``rules.compiled``, cut by
   ``evaluate.chunks``) and the same engine facts (``normalise.Normaliser``, the same
   partitions, the commission broadcast) driven through ``durable_rules_engine``
   directly: one ruleset per chunk, one ``assert_facts`` per partition, the gate, a
   minimal action drain, ``delete_state``; no batching, no stored-fact checks, no
   per-firing state updates. Identities are precomputed (outside the timing) so that
   no two collide, as the engine's must. Building the engine facts is *not* in this
   time (it is shown apart as "facts built"): this is the floor for anything built on
   durable_rules.
3. **oracle** — ``oracle.check(facts, as_of)``, the plain Python checker.

Each line shows seconds, records per second and the peak resident set size during
that measurement (the kernel's high-water mark, reset before each measurement through
``/proc/self/clear_refs``; where that is not possible each measurement runs in a forked
child and the peak is the child's). Then the ratios evaluate/raw and evaluate/oracle,
the growth of each time from one size to the next, and a check that the oracle and
the engine give the same outcomes on that data (evaluate's findings and per-rule
counts, and every outcome of the raw run): a check, not a timing.

Output: Markdown tables (CLI runs, load and rejection, ratios in the same run, growth
per size step, startup, the CLI against the in-process times, the targets of the
issue; then the in-process tables per distribution). ``--json FILE`` writes every raw
number. The exit status is 1 if the oracle and the engine disagree or a CLI
measurement failed (an unexpected exit code, a rejection without file:line:column, a
report stating another number of records, or reports that differ between formats or
``--jobs``).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import gc
import itertools
import json
import multiprocessing
import os
import platform
import pstats
import re
import resource
import shlex
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cli_bench
import generate

#: Why the in-process measurements cannot run (they use the library's internals, which
#: may move; the CLI part does not need them).
INTERNALS_ERROR: str | None = None
try:
    import durable_rules_engine
    import oracle
    import orjson

    from fuling_compliance import FactSet, Report, RuleSet, evaluate, load_facts_data, load_rules
    from fuling_compliance.engine import run as engine_run
    from fuling_compliance.engine.durable import fnv1_32
    from fuling_compliance.engine.normalise import ENGINE_ID, INDEX, KIND, PARTITION, Normaliser
    from fuling_compliance.rules.schema import SUBJECT
except ImportError as exc:  # pragma: no cover - depends on the library's layout
    INTERNALS_ERROR = f"{type(exc).__name__}: {exc}"

T = TypeVar("T")
Key = tuple[str, str, str | None]
NEVER_KIND = "__never__"
MEASURES = ("evaluate", "raw", "oracle")
KINDS = ("cli", *MEASURES)
LABELS = {"evaluate": "(1) evaluate", "raw": "(2) raw durable_rules", "oracle": "(3) oracle"}


# ----------------------------------------------------------------------------- memory
def _status_kb(name: str) -> int:
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def _can_reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024 if Path("/proc/self/status").exists() else 0.0


@dataclass
class Measure:
    seconds: float  # wall
    cpu: float  # this process's CPU time (user + system)
    peak_mb: float
    base_mb: float
    extra: dict[str, Any] = field(default_factory=dict)


def measure(fn: Callable[[], T], isolate: bool) -> tuple[T | None, Measure]:
    """Run ``fn`` once: its result, wall time and peak RSS."""
    gc.collect()
    if isolate:
        return None, _forked(fn)
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    base = rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return result, Measure(seconds, cpu, _status_kb("VmHWM") / 1024, base)


def _forked(fn: Callable[[], Any]) -> Measure:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()

    def target() -> None:
        base = rss_mb()
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child.send((seconds, cpu, peak, base))

    proc = ctx.Process(target=target)
    proc.start()
    seconds, cpu, peak, base = parent.recv()
    proc.join()
    return Measure(seconds, cpu, peak, base)


# ----------------------------------------------------------------------------- loading
def load(doc: dict[str, Any], loader: str = "data") -> FactSet:
    """The fact set, through every validation and integrity check of the loader
    (``load_facts_data``: the document's own Python data, validated in bulk)."""
    return load_facts_data(doc)


# ----------------------------------------------------------------------------- raw durable
def collision_free_ids(n: int) -> list[str]:
    """``n`` engine identities whose durable_rules hashes are all distinct."""
    seen: set[int] = set()
    ids: list[str] = []
    for i in itertools.count(1):
        candidate = f"f{i:x}"
        h = fnv1_32(candidate)
        if h not in seen:
            seen.add(h)
            ids.append(candidate)
            if len(ids) == n:
                return ids
    raise AssertionError("unreachable")


@dataclass
class RawResult:
    outcomes: dict[Key, str]
    durable_seconds: float
    durable_cpu: float
    build_seconds: float
    firings: int
    errors: list[str]


def raw_durable(rules: RuleSet, facts: FactSet, as_of: dt.datetime, ids: list[str]) -> RawResult:
    """The compiled rules on durable_rules, driven as directly as its API allows.

    The same chunks and sessions as ``evaluate`` (``engine.run``'s plan: sessions by join
    key, bounded size) and the same engine facts, asserted with no stored-fact check, no
    completeness check and a minimal drain: the floor for anything built on durable_rules.
    """
    compiled = rules.compiled
    normaliser = Normaliser(facts, rules.calendar)
    gate = normaliser.gate(as_of)
    firings: list[tuple[str, str, int]] = []
    errors: list[str] = []
    durable_seconds = durable_cpu = build_seconds = 0.0
    prepared = engine_run._prepare(compiled, facts, engine_run.SESSION_SIZE)
    names = {name: value for chunk in prepared for name, value in chunk.names.items()}
    subject_of = {c.rule.id: c.rule.subject for c in compiled}
    for chunk in prepared:
        start = time.perf_counter()
        builders = engine_run._Builders(chunk, facts, normaliser)
        sessions = []
        for n, shard in enumerate(chunk.shards):
            items = builders.shard_facts(shard)
            sid = f"s{n}"
            for engine_id, fact in zip(ids, items, strict=False):
                fact[ENGINE_ID] = engine_id
                fact[PARTITION] = sid
            gated = [{**gate, ENGINE_ID: ids[len(items)], PARTITION: sid}] if chunk.gated else []
            sessions.append((sid, orjson.dumps(items).decode(), orjson.dumps(gated).decode()))
        definitions: dict[str, Any] = dict(chunk.definitions)
        kinds = sorted(chunk.fields)
        definitions["__sink__"] = {"all": [{"never": {KIND: NEVER_KIND}},
                                           {"x": {"$or": [{KIND: k} for k in kinds]}}]}
        build_seconds += time.perf_counter() - start

        start, cpu = time.perf_counter(), time.process_time()
        handle = durable_rules_engine.create_ruleset(f"raw_{uuid.uuid4().hex}",
                                                     json.dumps(definitions))
        try:
            for sid, items_json, gate_json in sessions:
                try:
                    durable_rules_engine.assert_facts(handle, items_json)
                    if gate_json != "[]":
                        durable_rules_engine.assert_facts(handle, gate_json)
                except Exception as exc:  # counted, not checked: this is the floor
                    errors.append(f"{sid}: {exc}")
                _drain(handle, firings, chunk.key.subject)
                durable_rules_engine.delete_state(handle, sid)
        finally:
            durable_rules_engine.delete_ruleset(handle)
        durable_seconds += time.perf_counter() - start
        durable_cpu += time.process_time() - cpu
        del sessions
    codes: dict[Key, int] = {}
    for rule_name, subject, index in firings:
        if rule_name not in names:
            continue
        rule_id, item, code = names[rule_name]
        if subject != subject_of[rule_id]:
            continue
        key = (rule_id, facts.ids(subject)[index], item)
        codes[key] = max(code, codes.get(key, 0))
    outcomes = {key: engine_run.STATUS_OF[code] for key, code in codes.items()}
    return RawResult(outcomes, durable_seconds, durable_cpu, build_seconds, len(firings),
                     errors)


def _drain(handle: int, firings: list[tuple[str, str, int]], subject: str) -> None:
    """Take every pending action: record (rule, subject index), complete it, next."""
    loads = orjson.loads
    while True:
        started = durable_rules_engine.start_action(handle)
        if not started:
            return
        message, action = started[1], started[2]
        while message:
            for rule_name, frame in loads(message).items():
                firings.append((rule_name, subject, int(frame[SUBJECT][INDEX])))
            message = durable_rules_engine.complete_and_start_action(handle, action)


# ----------------------------------------------------------------------------- the check
def compare(expected: dict[Key, str], report: Report | None,
            raw: dict[Key, str] | None) -> list[str]:
    """Differences between the oracle and the engine (empty: they agree)."""
    problems: list[str] = []
    if report is not None:
        found = {(f.rule, f.subject.id, f.item): f.status for f in report.findings}
        flagged = {k: v for k, v in expected.items() if v in ("fail", "insufficient_data")}
        bad = Counter(k[0] for k in found.keys() | flagged.keys()
                      if found.get(k) != flagged.get(k))
        counts: Counter[tuple[str, str]] = Counter((k[0], v) for k, v in expected.items())
        for summary in report.rules:
            for status in ("pass", "fail", "insufficient_data", "not_applicable"):
                have = getattr(summary, "pass_" if status == "pass" else status)
                if have != counts[(summary.id, status)]:
                    bad[summary.id] += abs(have - counts[(summary.id, status)])
        problems += [f"evaluate {rule}: {n} differences" for rule, n in sorted(bad.items())]
    if raw is not None:
        bad = Counter(k[0] for k in expected.keys() | raw.keys() if expected.get(k) != raw.get(k))
        problems += [f"raw {rule}: {n} differences" for rule, n in sorted(bad.items())]
    return problems


# ----------------------------------------------------------------------------- driver
@dataclass
class SizeResult:
    distribution: str
    records: int
    generate_s: float
    load_s: float
    measures: dict[str, Measure]
    check: list[str]
    outcomes: int


def bench_size(n: int, seed: int, rules: RuleSet, loader: str, only: tuple[str, ...],
               isolate: bool, ids: list[str], distribution: str = "many") -> SizeResult:
    start = time.perf_counter()
    doc = generate.generate(n, seed, distribution=distribution)
    generate_s = time.perf_counter() - start
    start = time.perf_counter()
    facts = load(doc, loader)
    load_s = time.perf_counter() - start
    del doc
    as_of = generate.AS_OF
    measures: dict[str, Measure] = {}
    report: Report | None = None
    raw: RawResult | None = None
    expected: dict[Key, str] | None = None
    if "evaluate" in only:
        report, measures["evaluate"] = measure(lambda: evaluate(rules, facts, as_of), isolate)
        _progress(n, "evaluate", measures["evaluate"], distribution)
    if "raw" in only:
        raw, measures["raw"] = measure(lambda: raw_durable(rules, facts, as_of, ids), isolate)
        if raw is not None:
            measures["raw"].extra = {"durable_s": raw.durable_seconds,
                                     "durable_cpu": raw.durable_cpu,
                                     "build_s": raw.build_seconds, "firings": raw.firings,
                                     "errors": len(raw.errors)}
        _progress(n, "raw", measures["raw"], distribution)
    if "oracle" in only:
        expected, measures["oracle"] = measure(
            lambda: oracle.check(facts, as_of, calendar=rules.calendar), isolate)
        _progress(n, "oracle", measures["oracle"], distribution)
    if expected is None and not isolate:
        expected = oracle.check(facts, as_of, calendar=rules.calendar)
    check = (compare(expected, report, raw.outcomes if raw else None)
             if expected is not None and not isolate else ["not checked (--isolate)"])
    if raw is not None and raw.errors:
        check.append(f"raw: {len(raw.errors)} partition(s) raised, e.g. {raw.errors[0]}")
    return SizeResult(distribution, facts.count(), generate_s, load_s, measures, check,
                      len(expected) if expected else 0)


def _progress(n: int, name: str, m: Measure, distribution: str = "") -> None:
    print(f"  [{distribution:>4} {n:>9,}] {LABELS[name]:<22} {m.seconds:9.2f} s wall "
          f"{m.cpu:9.2f} s CPU   peak {m.peak_mb:8.0f} MB   load {os.getloadavg()[0]:.1f}",
          file=sys.stderr, flush=True)


def seconds_of(name: str, m: Measure) -> float:
    """The wall time a measurement stands for (raw: durable_rules' own work only)."""
    return float(m.extra.get("durable_s", m.seconds)) if name == "raw" else m.seconds


def cpu_of(name: str, m: Measure) -> float:
    """The CPU time a measurement stands for (raw: durable_rules' own work only)."""
    return float(m.extra.get("durable_cpu", m.cpu)) if name == "raw" else m.cpu


def table(results: list[SizeResult]) -> str:
    lines = ["| records | measurement | wall s | CPU s | records/s | peak RSS MB "
             "| RSS before MB |", "|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for name in MEASURES:
            m = r.measures.get(name)
            if m is None:
                continue
            s = seconds_of(name, m)
            lines.append(f"| {r.records:,} | {LABELS[name]} | {s:.2f} | {cpu_of(name, m):.2f} "
                         f"| {r.records / s:,.0f} | {m.peak_mb:,.0f} | {m.base_mb:,.0f} |")
    lines += ["", "| records | (1)/(2) wall (CPU) | (1)/(3) wall (CPU) | raw: facts built s "
              "| raw: firings | generate s | load s | oracle == engine |",
              "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        ev, raw, orc = (r.measures.get(k) for k in MEASURES)
        ratio_raw = (f"{ev.seconds / seconds_of('raw', raw):.2f} "
                     f"({ev.cpu / cpu_of('raw', raw):.2f})" if ev and raw else "—")
        ratio_orc = (f"{ev.seconds / orc.seconds:.1f} ({ev.cpu / orc.cpu:.1f})"
                     if ev and orc else "—")
        built = f"{raw.extra['build_s']:.2f}" if raw and raw.extra else "—"
        fired = f"{raw.extra['firings']:,}" if raw and raw.extra else "—"
        ok = (f"yes ({r.outcomes:,} outcomes)" if not r.check
              else "NO: " + "; ".join(r.check[:6]))
        lines.append(f"| {r.records:,} | {ratio_raw} | {ratio_orc} | {built} | {fired} "
                     f"| {r.generate_s:.1f} | {r.load_s:.1f} | {ok} |")
    if len(results) > 1:
        lines += ["", "| growth | records × | " + " | ".join(LABELS[k] + " wall (CPU) ×"
                                                          for k in MEASURES) + " |",
                  "|---|---:|" + "---:|" * len(MEASURES)]
        for a, b in itertools.pairwise(results):
            cells = []
            for name in MEASURES:
                ma, mb = a.measures.get(name), b.measures.get(name)
                cells.append(f"{seconds_of(name, mb) / seconds_of(name, ma):.1f} "
                             f"({cpu_of(name, mb) / cpu_of(name, ma):.1f})"
                             if ma and mb else "—")
            lines.append(f"| {a.records:,} → {b.records:,} | {b.records / a.records:.1f} | "
                         + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- profile
#: (label, regular expression on "file:function") for the profile breakdown
PROFILE_GROUPS = (
    ("normalise (engine facts)", r"normalise\.py"),
    ("durable_rules C calls", r"durable_rules_engine|method '(assert_facts|start_action|"
                              r"complete_and_start_action|delete_state|create_ruleset|"
                              r"delete_ruleset|update_state|get_facts)'"),
    ("durable_rules Python layer", r"durable[/\\]engine\.py"),
    ("engine adapter (ids, batches, drain)", r"fuling_compliance[/\\]engine\.py"),
    ("json encode/decode", r"json[/\\]|method 'dumps'|method 'loads'|_json"),
    ("report (findings, messages)", r"report\.py|evaluate\.py:\d+\((_report|_finding|_fill|"
                                    r"_display|_json_value|_between|_supplier_of|"
                                    r"_related_record)"),
    ("pydantic (report models)", r"pydantic"),
    ("typing (field_kinds per finding)", r"typing\.py|method 'compile'"),
)


def profile(n: int, seed: int, rules: RuleSet, loader: str, top: int,
            distribution: str = "many") -> str:
    facts = load(generate.generate(n, seed, distribution=distribution), loader)
    gc.collect()
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    evaluate(rules, facts, generate.AS_OF)
    prof.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(prof)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    groups: Counter[str] = Counter()
    for (file, line, func), (_, _, tottime, _, _) in raw.items():
        where = f"{file}:{line}({func})"
        label = next((name for name, pattern in PROFILE_GROUPS if re.search(pattern, where)),
                     "other")
        groups[label] += tottime
    cumulative = {f"{Path(k[0]).name}:{k[2]}": v[3] for k, v in raw.items()}
    lines = [f"evaluate on {facts.count():,} records: {wall:.1f} s wall under cProfile "
             f"(profiled self time {total:.1f} s)", "", "self time by layer:"]
    lines += [f"  {name:<38} {t:8.1f} s  {100 * t / total:5.1f} %"
              for name, t in groups.most_common()]
    lines += ["", "cumulative time of the main steps:"]
    for label, key in (("_run (normalise + engine)", "evaluate.py:_run"),
                       ("  _run_chunk", "evaluate.py:_run_chunk"),
                       ("    Normaliser.engine_fact", "normalise.py:engine_fact"),
                       ("    EngineRun.evaluate_partition", "engine.py:evaluate_partition"),
                       ("      _assert", "engine.py:_assert"),
                       ("      _drain", "engine.py:_drain"),
                       ("      IdAllocator.next", "engine.py:next"),
                       ("_check_complete", "evaluate.py:_check_complete"),
                       ("_report", "evaluate.py:_report")):
        if key in cumulative:
            lines.append(f"  {label:<38} {cumulative[key]:8.1f} s")
    lines += ["", f"top {top} functions by self time:"]
    for (file, line, func), (calls, _, tottime, cum, _) in sorted(
            raw.items(), key=lambda kv: -kv[1][2])[:top]:
        lines.append(f"  {tottime:8.2f} s self {cum:8.2f} s cum {calls:>10,} calls  "
                     f"{Path(file).name}:{line}({func})")
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    """Where and when: for the tables' heading and the JSON."""
    cpu = platform.processor() or "?"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    return {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(), "cpu": cpu,
            "python": sys.version.split()[0], "platform": platform.platform(),
            "load_average": os.getloadavg(),
            "env": {k: os.environ[k] for k in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
                                               "PYTHONPYCACHEPREFIX", "PYTHONHASHSEED")
                    if k in os.environ}}


def in_process_json(r: SizeResult) -> dict[str, Any]:
    return {
        "distribution": r.distribution, "records": r.records, "generate_s": r.generate_s,
        "load_s": r.load_s, "check": r.check, "outcomes": r.outcomes,
        "measures": {k: {"seconds": seconds_of(k, m), "cpu_s": cpu_of(k, m),
                         "wall_s": m.seconds, "process_cpu_s": m.cpu,
                         "peak_mb": m.peak_mb, "base_mb": m.base_mb, **m.extra}
                     for k, m in r.measures.items()},
    }


def against_in_process(cli: list[cli_bench.SizeCLI], inproc: list[SizeResult],
                       jobs: int) -> str:
    """The CLI's whole process against the in-process times of the same data."""
    lines = [f"| distribution | records | CLI check JSON jobs {jobs} s wall (CPU) "
             "| (1) evaluate s | (2) raw durable_rules s | (3) oracle s "
             "| CLI / (1) wall (CPU) | CLI / (2) | CLI / (3) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cli:
        r = next((r for r in inproc if (r.distribution, r.records)
                  == (c.distribution, c.records)), None)
        m = c.get("check", "json", jobs)
        if r is None or m is None or not m.ok:
            continue
        cells = [cli_bench._s(seconds_of(k, r.measures[k])) if k in r.measures else "—"
                 for k in MEASURES]
        cells += [f"{cli_bench._ratio(m.wall, seconds_of(k, r.measures[k]))} "
                  f"({cli_bench._ratio(m.cpu, cpu_of(k, r.measures[k]))})"
                  if k in r.measures else "—" for k in MEASURES]
        lines.append(f"| {c.distribution} | {c.records:,} | {m.wall:.2f} ({m.cpu:.2f}) | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) if len(lines) > 2 else ""


@dataclass
class Results:
    """Everything one run measured: enough to print its tables again (``--tables-from``)."""

    env: dict[str, Any]
    args: dict[str, Any]
    command: list[str] | None = None  # the CLI, when the CLI part ran
    timings: bool = False
    startup: list[cli_bench.Measurement] = field(default_factory=list)
    cli: list[cli_bench.SizeCLI] = field(default_factory=list)
    inproc: list[SizeResult] = field(default_factory=list)
    inproc_errors: list[str] = field(default_factory=list)

    @property
    def formats(self) -> tuple[str, ...]:
        return ("json", "yaml") if self.args.get("yaml", True) else ("json",)

    @property
    def jobs(self) -> tuple[int, ...]:
        return tuple(int(j) for j in _list(str(self.args.get("jobs_list", "1"))))

    def failed(self) -> bool:
        return (any(not m.ok for r in self.cli for m in r.runs)
                or any(not m.ok for m in self.startup)
                or any(r.same_report() is False for r in self.cli)
                or bool(self.inproc_errors) or any(r.check for r in self.inproc))

    def tables(self) -> str:
        env = self.env
        out = [f"Measured {env['date']}; nproc {env['nproc']}, {env['cpu']}, Python "
               f"{env['python']}; load average at the start {env['load_average'][0]:.2f}; "
               f"seed {self.args.get('seed')}."]
        if self.command is not None:
            cli, formats, jobs = self.cli, self.formats, self.jobs
            loads = [x for r in cli for m in r.runs for x in m.loads]
            cache = "; children with a bytecode cache" if self.args.get("bytecode_cache") else ""
            out.append(f"\nCLI: `{shlex.join(self.command)}`"
                       f"{', with --timings' if self.timings else ' (check has no --timings)'}"
                       f"{cache}"
                       + (f"; load average after each CLI run {min(loads):.1f}–{max(loads):.1f}"
                          if loads else "") + ".")
            sizes = {r.records for r in cli}
            sections = [
                ("CLI: check FILE --format json --output OUT", cli_bench.check_table(cli)),
                ("CLI: load only, and the rejected variant", cli_bench.load_table(cli)),
                ("CLI: ratios in the same run", cli_bench.ratio_table(cli, formats, jobs)),
                ("CLI: growth per 10× records, wall (CPU): time × at the next size, as a power "
                 "of the records ×",
                 cli_bench.growth_table(cli, formats, jobs) if len(sizes) > 1 else ""),
                ("CLI: startup", cli_bench.startup_table(self.startup)),
                ("CLI against the in-process measurements",
                 against_in_process(cli, self.inproc, jobs[0])),
                ("Targets", cli_bench.targets_table(cli, jobs))]
            out += [f"\n### {title}\n\n{text}" for title, text in sections if text]
            if cli:
                out.append(f"\nThe rejected variant's bad value: {cli_bench.rejected_note(cli)}.")
        for dist in dict.fromkeys(r.distribution for r in self.inproc):
            results = [r for r in self.inproc if r.distribution == dist]
            out.append(f"\n### In process: distribution {dist}\n\n{table(results)}")
        if self.inproc_errors:
            out.append("\nIn-process measurements failed: " + "; ".join(self.inproc_errors))
        return "\n".join(out)

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.env, "args": self.args,
            "cli": None if self.command is None else {
                "command": self.command, "timings": self.timings,
                "startup": [m.as_json() for m in self.startup],
                "sizes": [r.as_json() for r in self.cli]},
            "in_process": [in_process_json(r) for r in self.inproc],
            "in_process_errors": self.inproc_errors,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Results:
        def measurement(d: dict[str, Any]) -> cli_bench.Measurement:
            names = {f.name for f in dataclasses.fields(cli_bench.Measurement)}
            return cli_bench.Measurement(**{k: v for k, v in d.items() if k in names})

        cli = data.get("cli") or {}
        sizes = [cli_bench.SizeCLI(
            s["distribution"], s["records"], s["generate_s"], s["write_s"], s["file_mb"],
            tuple(s["rejected_at"]), [measurement(m) for m in s["runs"]])  # type: ignore[arg-type]
            for s in cli.get("sizes", [])]
        known = {"seconds", "cpu_s", "wall_s", "process_cpu_s", "peak_mb", "base_mb"}
        inproc = [SizeResult(
            r.get("distribution", "many"), r["records"], r["generate_s"], r["load_s"],
            {k: Measure(m["wall_s"], m["process_cpu_s"], m["peak_mb"], m["base_mb"],
                        {x: v for x, v in m.items() if x not in known})
             for k, m in r["measures"].items()}, r["check"], r["outcomes"])
            for r in data.get("in_process", [])]
        return cls(data["environment"], data["args"], cli.get("command"),
                   bool(cli.get("timings")), [measurement(m) for m in cli.get("startup", [])],
                   sizes, inproc, list(data.get("in_process_errors", [])))


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="records, comma separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default=",".join(KINDS),
                        help="measurements to run: cli,evaluate,raw,oracle")
    parser.add_argument("--distributions", default=",".join(generate.DISTRIBUTIONS),
                        help="how records spread over suppliers: many,two,one")
    parser.add_argument("--yaml", action=argparse.BooleanOptionalAction, default=True,
                        help="cli: also run on the facts written as YAML")
    parser.add_argument("--jobs-list", default="1,2", help="cli: values of check --jobs")
    parser.add_argument("--repeat", type=int, default=1,
                        help="cli: runs of each measurement (medians are shown)")
    parser.add_argument("--startup-runs", type=int, default=5,
                        help="cli: runs of --help and of import fuling_compliance")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="cli: seconds before a child process is killed")
    parser.add_argument("--rejected-in", choices=sorted(generate.BAD_VALUES),
                        help="cli: collection of the rejected variant's bad value "
                        "(default: the largest)")
    parser.add_argument("--python", default=sys.executable,
                        help="cli: the interpreter that runs the CLI (default: this one)")
    parser.add_argument("--bytecode-cache", action=argparse.BooleanOptionalAction,
                        default=True, help="cli: give the children a bytecode cache in the "
                        "work directory (PYTHONPYCACHEPREFIX), so that modules are compiled "
                        "once, as an installed package's are")
    parser.add_argument("--workdir", help="cli: directory for the fact files (default: a "
                        "temporary one); each file is deleted after its size")
    parser.add_argument("--loader", choices=("fast", "data"), default="fast",
                        help="fast: the loader's checks on Python data (default); "
                        "data: load_facts_data (adds PyYAML re-parsing, slow at scale)")
    parser.add_argument("--isolate", action="store_true",
                        help="run each measurement in a forked child (no outcome check)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile evaluate on N records instead of benchmarking")
    parser.add_argument("--top", type=int, default=20, help="functions listed by --profile")
    parser.add_argument("--tables-from", metavar="JSON",
                        help="print the tables of an earlier --json file instead of measuring")
    args = parser.parse_args(argv)
    if args.tables_from:
        earlier = Results.from_json(json.loads(Path(args.tables_from).read_text()))
        print(earlier.tables())
        return 1 if earlier.failed() else 0
    sizes = [int(s.replace("_", "")) for s in _list(args.sizes)]
    distributions = _list(args.distributions)
    unknown = [d for d in distributions if d not in generate.DISTRIBUTIONS]
    wanted = _list(args.only)
    bad_only = [k for k in wanted if k not in KINDS]
    if unknown or bad_only:
        parser.error(f"unknown: {', '.join(unknown + bad_only)}")
    jobs = tuple(int(j) for j in _list(args.jobs_list))
    if not jobs or min(jobs) < 1:
        parser.error("--jobs-list: positive integers")
    only = tuple(m for m in wanted if m in MEASURES)
    if (only or args.profile) and INTERNALS_ERROR:
        print(f"in-process measurements skipped: {INTERNALS_ERROR}", file=sys.stderr)
        if args.profile:
            return 1
        only = ()
    if args.profile:
        rules = load_rules()
        _ = rules.compiled
        print(profile(args.profile, args.seed, rules, args.loader, args.top, distributions[0]))
        return 0
    env = environment()
    print(f"fuling-compliance benchmark: {', '.join(wanted)}; sizes {sizes}, distributions "
          f"{distributions}, seed {args.seed}; nproc {env['nproc']}, {env['cpu']}, "
          f"Python {env['python']}, load {env['load_average'][0]:.1f}", file=sys.stderr)
    results = Results(env, {k: v for k, v in vars(args).items() if k != "tables_from"})
    settings: cli_bench.Settings | None = None
    with tempfile.TemporaryDirectory(prefix="fuling-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        if "cli" in wanted:
            child_env = cli_bench.child_env(workdir / "pycache" if args.bytecode_cache else None)
            command = cli_bench.cli_command(args.python, workdir, env=child_env)
            settings = cli_bench.Settings(
                cli=command, python=args.python,
                timings=cli_bench.has_timings(command, workdir, env=child_env),
                formats=results.formats, jobs=jobs,
                repeat=max(1, args.repeat), timeout=args.timeout, rejected_in=args.rejected_in,
                env=child_env)
            results.command, results.timings = command, settings.timings
            print(f"  CLI: {shlex.join(command)}"
                  f"{' (with --timings)' if settings.timings else ' (no --timings)'}"
                  f"{', bytecode cache' if args.bytecode_cache else ''}", file=sys.stderr)
            results.startup = cli_bench.startup(settings, max(1, args.startup_runs), workdir)
        rules = None
        if only:
            rules = load_rules()
            _ = rules.compiled
        isolate = args.isolate or not _can_reset_peak()
        ids = collision_free_ids(max(sizes) + 10) if "raw" in only else []
        for dist in distributions:
            for n in sizes:
                if settings is not None:
                    results.cli.append(cli_bench.bench_size(dist, n, args.seed, settings,
                                                            workdir))
                if rules is not None:
                    try:
                        results.inproc.append(bench_size(n, args.seed, rules, args.loader, only,
                                                         isolate, ids, dist))
                    except Exception as exc:  # the internals changed under the harness
                        results.inproc_errors.append(
                            f"{dist} {n:,}: {type(exc).__name__}: {exc}")
                        print(f"  in-process {dist} {n:,} failed: {exc!r}", file=sys.stderr)
                gc.collect()
    if set(wanted) & set(MEASURES) and INTERNALS_ERROR:
        results.inproc_errors.append(INTERNALS_ERROR)
    print(results.tables())
    if args.json:
        Path(args.json).write_text(json.dumps(results.as_json(), indent=1, ensure_ascii=False))
    return 1 if results.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
