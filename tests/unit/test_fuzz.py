"""Fuzzing as part of the suite: nothing but the library's own errors, ever.

* a **seeded mutation fuzzer** of the bundled example: values changed, keys dropped or
  duplicated, types changed, records dropped, duplicated, shuffled and split over
  several files, YAML and JSON text corrupted; each case runs through the command line
  in-process (click's ``CliRunner``);
* **property-based tests** (hypothesis) over small fact sets built field by field and
  over rule files changed node by node;
* **the oracle** (``benchmarks/oracle.py``) on generated sets of random seeds and rates,
  compared with the same function as ``test_oracle_agreement.py``.

Invariants: the exit code is 0, 1 or 2 (3 never: a crash or a bug) and 1 exactly when a
failing finding reaches ``--fail-on``; exit 2 names at least one place; no exception but
a ``FulingError`` from the library; a report consistent with itself (summary = sum of
the per-rule counts = the findings by status; every finding's rule exists with the
same severity and clause; no outcome twice); the same report whatever the order of the
records and however they are split into files; agreement with the oracle.

About a minute in all by default; ``FULING_FUZZ_EXAMPLES=N`` multiplies the cases (the
default is 60 mutation cases, and as many hypothesis examples per property), e.g.
``FULING_FUZZ_EXAMPLES=2000 pytest tests/unit/test_fuzz.py`` for a long run. A
failing case prints its seed: ``FULING_FUZZ_SEED=<seed>`` replays it alone.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import random
import tempfile
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuling_compliance import (
    CalendarError,
    FulingError,
    Report,
    evaluate,
    load_facts,
    load_facts_data,
    load_rules,
)
from fuling_compliance.cli import app
from fuling_compliance.facts.model import COLLECTIONS, field_specs
from fuling_compliance.reports.report import SEVERITY_ORDER, STATUSES
from fuling_compliance.rules.load import bundled_rules_dir
from fuling_compliance.yaml_source import read_document

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"
EXAMPLES = int(os.environ.get("FULING_FUZZ_EXAMPLES", "60"))
SEEDS = ([int(os.environ["FULING_FUZZ_SEED"])] if os.environ.get("FULING_FUZZ_SEED")
         else list(range(EXAMPLES)))


# ----------------------------------------------------------------------------- invariants
def check_report(report: Report, *, all_outcomes: bool) -> None:
    """A report consistent with itself (see the module docstring)."""
    rules = {r.id: r for r in report.rules}
    assert len(rules) == len(report.rules) == report.ruleset.rules
    for status in STATUSES:
        per_rule = sum(r.model_dump(by_alias=True)[status] for r in report.rules)
        assert report.summary.get(status) == per_rule, status
    by_rule_status = Counter((f.rule, f.status) for f in report.findings)
    for r in report.rules:
        counts = r.model_dump(by_alias=True)
        shown = STATUSES if all_outcomes else ("fail", "insufficient_data")
        for status in shown:
            assert by_rule_status[(r.id, status)] == counts[status], (r.id, status)
    keys = [(f.rule, f.subject.id, f.item) for f in report.findings]
    assert len(keys) == len(set(keys)), "an outcome reported twice"
    for f in report.findings:
        assert f.rule in rules, f.rule
        assert (f.severity, f.clause) == (rules[f.rule].severity, rules[f.rule].clause)
        assert f.message.zh and f.message.en
    order = [(f.rule, f.supplier_id or "", f.subject.id, f.item or "") for f in report.findings]
    assert order == sorted(order), "findings out of order"


def same_report(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal but for the warnings, which name files and lines."""
    for key in ("as_of", "ruleset", "summary", "rules", "findings"):
        assert a[key] == b[key], key
    assert a["facts"]["records"] == b["facts"]["records"]


# ----------------------------------------------------------------------------- the example
@cache
def example() -> dict[str, Any]:
    data, problems = read_document(EXAMPLE, positions=False)
    assert not problems
    plain: dict[str, Any] = data
    return plain


JUNK: list[Any] = [
    None, "", " ", "x", "字" * 3, -1, 0, 1, 2.5, -0.0, True, False, [], {}, [1, "a"],
    {"a": 1}, "2026-02-30", "2026-06-30T25:61:00", "2026-06-30T10:00:00+00:00:01",
    "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "24:00", "9:30", "null",
    "~", "yes", "no", "s" * 201, "字" * 20_001, 10 ** 20, 1e308, "1e400", "\t", "\u3000",
    "'", '"', "\\", "{", "- x", "&a", "*a", "!!python/object:os.system", "\x00",
    dt.date(2026, 2, 28), dt.datetime(2026, 6, 30, 10, 0), dt.time(9, 30),
    "electricity", "gas", "completed", "cancelled", "phone", "supplier", "fl-power",
    "fl-gas", "pw-o01", "P-009", "2026-05-09", "2026-06-30T23:59:59+08:00",
]
YAML_NOISE = [":", "-", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", '"', "%", "@",
              "`", "#", ",", "\t", "\n", "  ", "? ", ": ", "- ", "\\", "\ufeff"]


class Mutator:
    """One seeded case: a mutated example as one or more fact files."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.doc = copy.deepcopy(example())
        self.corrupt_text = False

    def _record(self) -> tuple[str, dict[str, Any]] | None:
        names = [c for c in COLLECTIONS if isinstance(self.doc.get(c), list) and self.doc[c]]
        if not names:
            return None
        collection = self.rng.choice(names)
        return collection, self.rng.choice(self.doc[collection])

    def _field(self, collection: str, record: dict[str, Any]) -> str:
        known = list(field_specs(collection))
        return self.rng.choice([*record, *known, "unknown_field"])

    def mutate(self) -> None:
        for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
            getattr(self, self.rng.choice(self.KINDS))()

    def value(self) -> None:
        found = self._record()
        if found:
            collection, record = found
            record[self._field(collection, record)] = copy.deepcopy(self.rng.choice(JUNK))

    def other_value(self) -> None:  # a value of another field, of the right shape or not
        found, other = self._record(), self._record()
        if found and other:
            collection, record = found
            source = other[1]
            if source:
                record[self._field(collection, record)] = source[self.rng.choice(list(source))]

    def drop_key(self) -> None:
        found = self._record()
        if found and found[1]:
            del found[1][self.rng.choice(list(found[1]))]

    def change_type(self) -> None:
        found = self._record()
        if found and found[1]:
            record = found[1]
            key = self.rng.choice(list(record))
            value = record[key]
            record[key] = self.rng.choice([[value], {"value": value}, str(value),
                                           len(str(value)), value is not None])

    def duplicate_record(self) -> None:
        found = self._record()
        if found:
            self.doc[found[0]].append(copy.deepcopy(found[1]))

    def drop_record(self) -> None:
        found = self._record()
        if found:
            self.doc[found[0]].remove(found[1])

    def top(self) -> None:
        key = self.rng.choice(["as_of", "format", "commission", "suppliers", "staff", "x"])
        self.doc[key] = copy.deepcopy(self.rng.choice(JUNK))

    def text(self) -> None:
        self.corrupt_text = True

    KINDS = ("value", "value", "value", "other_value", "drop_key", "change_type",
             "duplicate_record", "drop_record", "top", "text")

    # ------------------------------------------------------------------ files
    def dump(self, doc: dict[str, Any], as_json: bool) -> str:
        if as_json:
            return json.dumps(doc, ensure_ascii=False, default=_iso)
        return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False)

    def corrupt(self, text: str) -> str:
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            action = rng.randrange(4)
            if action == 0:
                text = text[:at] + rng.choice(YAML_NOISE) + text[at:]
            elif action == 1:
                text = text[:at] + text[at + rng.randint(1, 40):]
            elif action == 2:  # a line twice: a duplicate key, or a record twice
                lines = text.split("\n")
                n = rng.randrange(len(lines))
                lines.insert(n, lines[n])
                text = "\n".join(lines)
            else:
                text = text[:at]
        return text

    def files(self, folder: Path, *, shuffle: bool, parts: int,
              as_json: bool) -> list[Path]:
        """The mutated document, records shuffled or not, split over ``parts`` files."""
        docs: list[dict[str, Any]] = [{} for _ in range(parts)]
        rng = random.Random(self.seed * 7919 + parts)
        for key, value in self.doc.items():
            if isinstance(value, list) and key in COLLECTIONS:
                items = list(value)
                if shuffle:
                    rng.shuffle(items)
                for n, item in enumerate(items):
                    docs[n % parts].setdefault(key, []).append(item)
            else:
                docs[0][key] = value
        out = []
        for n, doc in enumerate(docs):
            text = self.dump(doc, as_json)
            if self.corrupt_text and n == 0:
                text = self.corrupt(text)
            path = folder / f"part{n}.{'json' if as_json else 'yaml'}"
            path.write_text(text, encoding="utf-8")
            out.append(path)
        return out


class _Dumper(yaml.SafeDumper):
    """Safe YAML that writes a time of day as text (``09:30:00``)."""


_Dumper.add_representer(dt.time, lambda dumper, value: dumper.represent_str(value.isoformat()))


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date | dt.time) else repr(value)


def run_check(paths: list[Path], *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *map(str, paths), "--format", "json", "--all",
                                      "--lang", "en", *extra])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_example(seed: int, tmp_path: Path) -> None:
    case = Mutator(seed)
    case.mutate()
    as_json = case.rng.random() < 0.3
    paths = case.files(tmp_path, shuffle=False, parts=1, as_json=as_json)
    code, out, err = run_check(paths)
    assert code in (0, 1, 2), f"seed {seed}: exit {code}\n{err}"
    if code == 2:
        assert out == "" and "input rejected" in err
        assert any(str(p) in err for p in paths), f"seed {seed}: no place\n{err}"
        with pytest.raises(FulingError):
            load_facts(paths)
        return
    data = json.loads(out)
    report = Report.model_validate(data)
    check_report(report, all_outcomes=True)
    failing = any(f.status == "fail" and SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER["low"]
                  for f in report.findings)
    assert code == (1 if failing else 0)
    if case.corrupt_text or seed % 3:
        return
    # the same report, records shuffled and split over files, YAML and JSON mixed; the
    # values as JSON has them (an unquoted date in YAML is a date, in JSON text)
    case.doc = json.loads(json.dumps(case.doc, default=_iso))
    whole = tmp_path / "whole"
    whole.mkdir()
    code, out, err = run_check(case.files(whole, shuffle=False, parts=1, as_json=as_json))
    other = tmp_path / "split"
    other.mkdir()
    parts = case.files(other, shuffle=True, parts=case.rng.randint(2, 4), as_json=not as_json)
    code2, out2, err2 = run_check(parts)
    assert code2 == code, f"seed {seed}: {err}\n{err2}"
    if code != 2:
        same_report(json.loads(out), json.loads(out2))


# ----------------------------------------------------------------------------- hypothesis: facts
IDS = st.sampled_from(["S1", "S2", "A1", "O1", "P1", "V1", "K1", "x"])


@cache
def sample_values() -> dict[tuple[str, str], list[Any]]:
    """Values of each field in the example (valid ones, to mix with junk)."""
    out: dict[tuple[str, str], list[Any]] = {}
    for collection in COLLECTIONS:
        value = example().get(collection)
        records = [value] if isinstance(value, dict) else value or []
        for record in records:
            for key, item in record.items():
                out.setdefault((collection, key), []).append(item)
    return out


def field_value(collection: str, name: str) -> st.SearchStrategy[Any]:
    spec = field_specs(collection)[name]
    samples = sample_values().get((collection, name), [])
    options: list[st.SearchStrategy[Any]] = [st.sampled_from(JUNK[:40])]
    if spec.identifier:
        options.append(IDS)
    if samples:
        options.append(st.sampled_from(samples))
    if spec.values:
        options.append(st.sampled_from(spec.values))
        options.append(st.lists(st.sampled_from(spec.values), max_size=3))
    return st.one_of(options)


def record(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    specs = field_specs(collection)
    required = {n: field_value(collection, n) for n, s in specs.items() if s.required}
    optional = {n: field_value(collection, n) for n, s in specs.items() if not s.required}
    return st.fixed_dictionaries(required, optional=optional)


FACT_SETS = st.fixed_dictionaries(
    {"as_of": st.sampled_from(["2026-06-30T23:59:59+08:00", "2026-05-09T12:00:00",
                               "2026-02-30T00:00:00", None])},
    optional={c: (record(c) if c == "commission" else st.lists(record(c), max_size=3))
              for c in COLLECTIONS})

#: derandomized (the same examples on every run, so a failure is reproducible) and no
#: shrinking (it can take minutes): the failing example is printed as found
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                         database=None, phases=(Phase.explicit, Phase.generate),
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.data_too_large])


@FUZZ_SETTINGS
@given(FACT_SETS)
def test_any_fact_set_is_judged_or_rejected(doc: dict[str, Any]) -> None:
    try:
        facts = load_facts_data(doc)
    except FulingError:
        return
    try:
        report = evaluate(rules(), facts, all_outcomes=True)
    except CalendarError:  # a working-day rule on a date of a year no calendar knows
        return
    check_report(report, all_outcomes=True)


@cache
def rules() -> Any:
    return load_rules()


@st.composite
def changed_example(draw: st.DrawFn) -> dict[str, Any]:
    """The example with one to four fields changed, mostly to another record's value of
    the same field (realistic data that still loads), sometimes to junk or unknown."""
    doc = copy.deepcopy(example())
    names = sorted(c for c in COLLECTIONS if doc.get(c))
    for _ in range(draw(st.integers(1, 4))):
        collection = draw(st.sampled_from(names))
        value = doc[collection]
        records = [value] if isinstance(value, dict) else value
        target = records[draw(st.integers(0, len(records) - 1))]
        name = draw(st.sampled_from(sorted(field_specs(collection))))
        samples = sample_values().get((collection, name)) or [None]
        target[name] = copy.deepcopy(draw(st.one_of(
            st.sampled_from(samples), st.sampled_from(samples), st.none(),
            st.sampled_from(JUNK[:40]))))
    return doc


@FUZZ_SETTINGS
@given(changed_example())
def test_changed_examples_agree_with_the_oracle(doc: dict[str, Any]) -> None:
    """Loaded or rejected; when loaded, the engine and the oracle agree rule by rule."""
    import test_oracle_agreement as agreement

    try:
        ds = agreement.Dataset(0, 0, doc, agreement.RULES)
    except FulingError:
        return
    as_of = ds.facts.as_of
    try:
        report = evaluate(agreement.RULES, ds.facts, all_outcomes=True)
    except CalendarError:
        return
    check_report(report, all_outcomes=True)
    ds.oracle = agreement.oracle.check(ds.facts, as_of)
    ds.engine = {(f.rule, f.subject.id, f.item): f.status for f in report.findings}
    problems = [agreement.diff(rule, [ds], lambda _ds, _key: True)
                for rule in agreement.judged(agreement.RULES)
                if rule not in agreement.KNOWN_DISAGREEMENTS]
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


# ----------------------------------------------------------------------------- hypothesis: rules
def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nodes(item, (*path, i))


@cache
def rule_documents() -> dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]]:
    out = {}
    for path in sorted(bundled_rules_dir().glob("*.yaml")):
        data, _ = read_document(path, positions=False)
        out[path.name] = (data, [p for p in _nodes(data) if p])
    return out


RULE_JUNK = st.sampled_from([*JUNK[:30], "VIS-02", "3.2.4", "appointments", "status",
                             {"field": "status", "eq": "x"}, {"param": "nope"},
                             {"all": []}, {"any": [{"present": "id"}]}, {"not": None},
                             "service.time_limit", {"field": "x", "plus": 1}, "minutes",
                             "working_days"])


@st.composite
def rule_change(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], str, Any]:
    name = draw(st.sampled_from(sorted(rule_documents())))
    paths = rule_documents()[name][1]
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["set", "set", "delete", "rename"]))
    return name, path, action, draw(RULE_JUNK)


def _apply(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(value) if value is not None else "none"] = parent.pop(last)
    else:
        parent[last] = value
    return data


@FUZZ_SETTINGS
@given(rule_change())
def test_any_rule_file_is_loaded_or_rejected(change: tuple[str, tuple[Any, ...], str, Any]
                                             ) -> None:
    name, path, action, value = change
    data = _apply(rule_documents()[name][0], path, action, value)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
        try:
            ruleset = load_rules([target])
        except FulingError:
            return
        report = evaluate(ruleset, example_facts(), all_outcomes=True)
        check_report(report, all_outcomes=True)
        result = CliRunner().invoke(app, ["validate", str(target)])
        assert result.exit_code == 0, result.output


@cache
def example_facts() -> Any:
    return load_facts(EXAMPLE)


# ----------------------------------------------------------------------------- the oracle
def test_generated_sets_agree_with_the_oracle() -> None:
    """Random seeds and rates of ``benchmarks/generate.py``: engine == oracle, rule by rule
    (the comparison of ``test_oracle_agreement.py``)."""
    import test_oracle_agreement as agreement

    rng = random.Random(int(os.environ.get("FULING_FUZZ_SEED", "20260630")))
    cases = max(2, EXAMPLES // 30)
    for _ in range(cases):
        seed, size = rng.randrange(10_000), rng.randint(400, 700)
        doc = agreement.generate.generate(
            size, seed, violation_rate=rng.uniform(0.0, 0.3),
            unknown_rate=rng.uniform(0.0, 0.15))
        ds = agreement.Dataset(seed, size, doc, agreement.RULES)
        report = evaluate(agreement.RULES, ds.facts, all_outcomes=True, isolated=True)
        check_report(report, all_outcomes=True)
        ds.engine = {(f.rule, f.subject.id, f.item): f.status for f in report.findings}
        problems = [agreement.diff(rule, [ds], lambda _ds, _key: True)
                    for rule in agreement.judged(agreement.RULES)]
        problems = [p for p in problems if p and p.split(":")[0]
                    not in agreement.KNOWN_DISAGREEMENTS]
        assert not problems, f"seed {seed}, size {size}:\n" + "\n".join(problems)


def test_fuzz_machinery_finds_a_planted_inconsistency() -> None:
    """The invariants can fail: a report with a finding counted nowhere is caught."""
    report = evaluate(rules(), example_facts(), all_outcomes=True)
    broken = report.model_copy(update={"findings": report.findings[1:]})
    with pytest.raises(AssertionError):
        check_report(broken, all_outcomes=True)
