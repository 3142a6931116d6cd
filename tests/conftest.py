"""Shared test configuration: register the feature files' tags as markers.

Only two kinds of tag are allowed, so ``--strict-markers`` rejects anything else:
a rule id that exists in the bundled rules (``@VIS-02``) and a clause that exists in
the regulation (``@条款3.2.4``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "features"
TAG = re.compile(r"(?<!\S)@(\S+)")


def feature_tags() -> set[str]:
    tags: set[str] = set()
    for path in FEATURES.glob("*.feature"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                tags.update(TAG.findall(line))
    return tags


@functools.cache
def rule_ids() -> frozenset[str]:
    from fuling_compliance import load_rules

    return frozenset(r.id for r in load_rules())


def allowed_tag(tag: str) -> bool:
    from fuling_compliance.rules.regulation import regulation

    if tag.startswith("条款"):
        return tag.removeprefix("条款") in regulation().clauses
    return tag in rule_ids()


def pytest_configure(config: pytest.Config) -> None:
    for tag in sorted(feature_tags()):
        if allowed_tag(tag):
            config.addinivalue_line("markers", f"{tag}: feature tag")
