"""Which clauses of the regulation the rules check, and which rules scenarios test.

:func:`coverage` maps every clause of the regulation (in its order) to the rules citing
it (``clause:`` of a rule) and each rule to the scenarios testing it: the scenarios of
``features/*.feature`` tagged with the rule id (``@VIS-02``; a tag on a ``规则:`` /
``Rule:`` block or on the feature counts for every scenario under it).

Every clause gets one status:

=========================  ==========================================================
``heading``                a heading whose duties are in its sub-clauses (not counted)
``not_machine_checkable``  no rule can check it; the reason comes from the regulation
``covered``                it has rules, and every one of them has a scenario
``partly_tested``          it has rules, some without a scenario
``untested``               it has rules, none with a scenario
``no_rules``               it is machine-checkable but no rule cites it
=========================  ==========================================================

A clause that is listed as not machine-checkable but still has rules (3.2.2: only its
proxy, satisfaction, is checked) counts as checkable; its reason is shown beside its
rules so nobody mistakes the proxy for the whole duty.

**The coverage percentage** is ``covered / checkable``: of the clauses that are
neither headings nor not-machine-checkable-without-rules, the share whose rules *all*
have at least one scenario. ``--fail-under`` compares with this number; the share of
rules with a scenario is reported beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..bundled import bundled_rules_dir
from ..errors import Problem
from ..rules.model import Rule
from ..rules.numbers import mismatches, placeholders
from ..rules.regulation import Clause, Regulation, regulation

COVERAGE_FORMAT = "fuling-compliance/coverage/v1"
RULE_ID = re.compile(r"^[A-Z]{3}-[0-9]{2}$")

ClauseStatus = Literal["heading", "not_machine_checkable", "covered", "partly_tested",
                       "untested", "no_rules"]
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "heading": ("标题", "heading"),
    "not_machine_checkable": ("无法机器判断", "not machine-checkable"),
    "covered": ("已覆盖", "covered"),
    "partly_tested": ("部分规则无场景", "partly tested"),
    "untested": ("规则均无场景", "untested"),
    "no_rules": ("没有规则", "no rules"),
}

# Gherkin keywords (en and zh-CN) that open a block
_FEATURE = ("Feature", "Business Need", "Ability", "功能")
_RULE = ("Rule", "规则")
_BACKGROUND = ("Background", "背景")
_OUTLINE = ("Scenario Outline", "Scenario Template", "场景大纲", "剧本大纲")
_SCENARIO = ("Scenario", "Example", "场景", "剧本")
_EXAMPLES = ("Examples", "Scenarios", "例子")
_TAG = re.compile(r"(?<!\S)@(\S+)")


# ----------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """One scenario (or scenario outline) of a feature file."""

    name: str
    #: the file as shown to people: ``features/3.1-服务网点.feature``
    file: str
    line: int
    #: its own tags and those of its rule block and feature, without ``@``
    tags: tuple[str, ...]
    #: rows of an outline's examples (0 for a plain scenario)
    examples: int = 0

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rule ids among the tags."""
        return tuple(t for t in self.tags if RULE_ID.match(t))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "line": self.line,
                "tags": list(self.tags), "examples": self.examples}


def default_features_dir() -> Path:
    """``./features`` if it exists, else the repository's ``features/`` beside ``rules/``."""
    here = Path("features")
    if here.is_dir():
        return here
    return bundled_rules_dir().parent / "features"


def _keyword(text: str, words: tuple[str, ...]) -> str | None:
    """The title after ``word:`` when ``text`` starts with one of ``words``."""
    for word in words:
        for colon in (":", "："):
            if text.startswith(word + colon):
                return text[len(word) + 1:].strip()
    return None


def scan_features(features_dir: Path | None = None) -> list[Scenario]:
    """Every scenario of ``features_dir/*.feature`` (sorted by file and line)."""
    folder = features_dir or default_features_dir()
    scenarios: list[Scenario] = []
    for path in sorted(folder.glob("*.feature")):
        scenarios.extend(_scan_file(path, f"{folder.name}/{path.name}"))
    return scenarios


def _scan_file(path: Path, shown: str) -> list[Scenario]:
    feature_tags: list[str] = []
    rule_tags: list[str] = []
    pending: list[str] = []
    found: list[Scenario] = []
    current: dict[str, Any] | None = None
    in_examples = False
    header_seen = False

    def close() -> None:
        nonlocal current
        if current is not None:
            found.append(Scenario(current["name"], shown, current["line"],
                                  tuple(dict.fromkeys(current["tags"])), current["examples"]))
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("@"):
            pending.extend(_TAG.findall(text.split(" #")[0]))
            continue
        if _keyword(text, _FEATURE) is not None:
            feature_tags, pending = pending, []
            continue
        if _keyword(text, _RULE) is not None:
            close()
            rule_tags, pending = pending, []
            continue
        if _keyword(text, _BACKGROUND) is not None:
            close()
            pending = []
            continue
        title = _keyword(text, _OUTLINE)
        if title is None:
            title = _keyword(text, _SCENARIO)
        if title is not None:
            close()
            current = {"name": title, "line": number,
                       "tags": feature_tags + rule_tags + pending, "examples": 0}
            pending = []
            in_examples = False
            continue
        if _keyword(text, _EXAMPLES) is not None:
            pending = []  # tags on an examples table select rows, not the scenario
            in_examples, header_seen = True, False
            continue
        if in_examples and current is not None and text.startswith("|"):
            if header_seen:
                current["examples"] += 1
            header_seen = True
        elif in_examples and not text.startswith("|"):
            in_examples = False
    close()
    return found


# ----------------------------------------------------------------------------- headings
@dataclass(frozen=True)
class Heading:
    """A ``规则:`` / ``Rule:`` heading of a feature file and the rules it is about."""

    text: str
    #: the file as shown to people, and the real path
    file: str
    line: int
    column: int
    #: rule ids of its tags, named in its title, or on its scenarios
    rule_ids: tuple[str, ...]


_RULE_IN_TEXT = re.compile(r"(?<![A-Z])[A-Z]{3}-[0-9]{2}(?![0-9])")


def scan_headings(features_dir: Path | None = None) -> list[Heading]:
    """Every rule heading of ``features_dir/*.feature``."""
    folder = features_dir or default_features_dir()
    found: list[Heading] = []
    for path in sorted(folder.glob("*.feature")):
        found.extend(_headings(path, str(path)))
    return found


def _headings(path: Path, shown: str) -> list[Heading]:
    found: list[Heading] = []
    current: dict[str, Any] | None = None
    pending: list[str] = []

    def close() -> None:
        if current is not None:
            found.append(Heading(current["text"], shown, current["line"], current["column"],
                                 tuple(dict.fromkeys(current["ids"]))))

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("@"):
            pending.extend(t for t in _TAG.findall(text.split(" #")[0]) if RULE_ID.match(t))
            continue
        title = _keyword(text, _RULE)
        if title is not None:
            close()
            current = {"text": title, "line": number, "column": raw.index(text) + 1,
                       "ids": pending + _RULE_IN_TEXT.findall(title)}
            pending = []
            continue
        if _keyword(text, _FEATURE) is not None:
            close()
            current, pending = None, []
            continue
        if current is not None and (_keyword(text, _SCENARIO) is not None
                                    or _keyword(text, _OUTLINE) is not None):
            current["ids"].extend(pending)
        pending = []
    close()
    return found


def heading_warnings(rules: Iterable[Rule], headings: Iterable[Heading]) -> list[Problem]:
    """Warnings for rule headings that state a number other than their rules' parameter,
    or name a placeholder that is no parameter of their rules (see :mod:`..rules.numbers`)."""
    by_id = {r.id: r for r in rules}
    out: list[Problem] = []
    for h in headings:
        rules_here = [by_id[i] for i in h.rule_ids if i in by_id]
        if not rules_here:
            continue
        params = [(n, p) for r in rules_here for n, p in r.parameters.items()]
        names = sorted({n for n, _ in params})
        ids = "、".join(r.id for r in rules_here)
        for name in placeholders(h.text):
            if name not in names:
                out.append(Problem(
                    file=h.file, line=h.line, column=h.column, record=rules_here[0].id,
                    code="unknown_placeholder", warning=True,
                    message=f"the heading names {{{name}}}, which is no parameter of "
                            f"{', '.join(r.id for r in rules_here)} ({', '.join(names) or '—'})",
                    message_zh=f"标题中的 {{{name}}} 不是 {ids} 的参数"
                               f"（{'、'.join(names) or '无'}）"))
        for mismatch in mismatches(h.text, params):
            en, zh = mismatch.messages("the feature heading", "场景标题")
            out.append(Problem(file=h.file, line=h.line, column=h.column,
                               record=rules_here[0].id, code="stated_number", warning=True,
                               message=en, message_zh=zh))
    return out


# ----------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class RuleCoverage:
    """One rule and the scenarios tagged with its id."""

    rule: Rule
    scenarios: tuple[Scenario, ...]

    @property
    def tested(self) -> bool:
        return bool(self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.rule.id, "clause": self.rule.clause,
                "title": {"zh": self.rule.title.zh, "en": self.rule.title.en},
                "scenarios": [s.to_dict() for s in self.scenarios]}


@dataclass(frozen=True)
class ClauseCoverage:
    """One clause of the regulation: its rules, and why none if it has none."""

    clause: Clause
    status: ClauseStatus
    rules: tuple[RuleCoverage, ...]
    #: (zh, en) reason the clause is (partly) not machine-checkable
    reason: tuple[str, str] | None

    @property
    def checkable(self) -> bool:
        return self.status not in ("heading", "not_machine_checkable")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.clause.id,
            "status": self.status,
            "text": {"zh": self.clause.zh, "en": self.clause.en},
            "rules": [r.rule.id for r in self.rules],
            "scenarios": sum(len(r.scenarios) for r in self.rules),
            "not_machine_checkable": (
                {"zh": self.reason[0], "en": self.reason[1]} if self.reason else None),
        }


@dataclass(frozen=True)
class Coverage:
    """Clauses → rules → scenarios, with the gaps listed."""

    clauses: tuple[ClauseCoverage, ...]
    rules: tuple[RuleCoverage, ...]
    #: scenarios whose tags name a rule id that no rule has: (scenario, tag)
    unknown_tags: tuple[tuple[Scenario, str], ...] = field(default=())
    #: the version of the regulation reported against, and its status (draft / final)
    version: str = ""
    status: str = ""

    @property
    def checkable(self) -> tuple[ClauseCoverage, ...]:
        return tuple(c for c in self.clauses if c.checkable)

    @property
    def covered(self) -> tuple[ClauseCoverage, ...]:
        return tuple(c for c in self.clauses if c.status == "covered")

    @property
    def percent(self) -> float:
        """Covered clauses as a percentage of the checkable ones (100 when none)."""
        total = len(self.checkable)
        return 100.0 if total == 0 else round(100.0 * len(self.covered) / total, 1)

    @property
    def rules_without_scenarios(self) -> tuple[RuleCoverage, ...]:
        return tuple(r for r in self.rules if not r.tested)

    @property
    def clauses_without_rules(self) -> tuple[ClauseCoverage, ...]:
        return tuple(c for c in self.clauses if c.status == "no_rules")

    @property
    def not_machine_checkable(self) -> tuple[ClauseCoverage, ...]:
        """Every clause with a reason, whether or not some rule checks a part of it."""
        return tuple(c for c in self.clauses if c.reason is not None)

    @property
    def rules_percent(self) -> float:
        total = len(self.rules)
        tested = total - len(self.rules_without_scenarios)
        return 100.0 if total == 0 else round(100.0 * tested / total, 1)

    def summary(self) -> dict[str, Any]:
        scenarios = {s for r in self.rules for s in r.scenarios}
        return {
            "percent": self.percent,
            "definition": "clauses whose rules all have at least one scenario, "
                          "as a share of the machine-checkable clauses",
            "clauses": len(self.clauses),
            "checkable_clauses": len(self.checkable),
            "covered_clauses": len(self.covered),
            "rules": len(self.rules),
            "rules_with_scenarios": len(self.rules) - len(self.rules_without_scenarios),
            "rules_percent": self.rules_percent,
            "scenarios": len(scenarios),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``coverage --format json``)."""
        return {
            "format": COVERAGE_FORMAT,
            "regulation": {"version": self.version, "status": self.status},
            "summary": self.summary(),
            "clauses": [c.to_dict() for c in self.clauses],
            "rules": [r.to_dict() for r in self.rules],
            "rules_without_scenarios": [r.rule.id for r in self.rules_without_scenarios],
            "clauses_without_rules": [c.clause.id for c in self.clauses_without_rules],
            "not_machine_checkable": [
                {"clause": c.clause.id, "zh": c.reason[0], "en": c.reason[1],
                 "rules": [r.rule.id for r in c.rules]}
                for c in self.not_machine_checkable if c.reason is not None],
            "unknown_tags": [{"tag": tag, **s.to_dict()} for s, tag in self.unknown_tags],
        }


def is_heading(clause: Clause, clauses: Iterable[str]) -> bool:
    """A clause that is only a heading over its sub-clauses (``(一)服务网点``)."""
    has_children = any(other.startswith(clause.id + ".") for other in clauses)
    return has_children and clause.heading is not None and \
        clause.zh.strip() == clause.heading.strip()


def coverage(rules: Iterable[Rule], scenarios: Iterable[Scenario],
             reg: Regulation | None = None) -> Coverage:
    """Map every clause to its rules and every rule to its scenarios.

    ``reg``: the version of the regulation to report against; default: the rule set's
    (``RuleSet.regulation``), else the bundled rules'.
    """
    reg = reg or getattr(rules, "regulation", None) or regulation()
    scenario_list = list(scenarios)
    rule_list = sorted(rules, key=lambda r: r.id)
    known = {r.id for r in rule_list}
    per_rule = {
        r.id: RuleCoverage(r, tuple(s for s in scenario_list if r.id in s.rule_ids))
        for r in rule_list
    }
    clauses: list[ClauseCoverage] = []
    for cid, clause in reg.clauses.items():
        mine = tuple(per_rule[r.id] for r in rule_list if r.clause == cid)
        reason = reg.not_machine_checkable.get(cid)
        status: ClauseStatus
        if mine:
            tested = sum(r.tested for r in mine)
            status = "covered" if tested == len(mine) else (
                "partly_tested" if tested else "untested")
        elif reason is not None:
            status = "not_machine_checkable"
        elif is_heading(clause, reg.clauses):
            status = "heading"
        else:
            status = "no_rules"
        clauses.append(ClauseCoverage(clause, status, mine, reason))
    unknown = tuple((s, t) for s in scenario_list for t in s.rule_ids if t not in known)
    return Coverage(tuple(clauses), tuple(per_rule.values()), unknown, reg.version, reg.status)
