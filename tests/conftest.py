"""Shared test configuration: register the feature files' tags as markers.

Only two kinds of tag are allowed, so ``--strict-markers`` rejects anything else:
a rule id that exists in the bundled rules (``@VIS-02``) — or, for the features of a
worked example (``examples/<name>/features``), in the bundled rules plus that example's
``rules/`` — and a clause that exists in the regulation (``@条款3.2.4``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "features"
EXAMPLES = ROOT / "examples"
TAG = re.compile(r"(?<!\S)@(\S+)")


def feature_tags() -> set[str]:
    tags: set[str] = set()
    for path in [*FEATURES.glob("*.feature"), *EXAMPLES.glob("*/features/*.feature")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                tags.update(TAG.findall(line))
    return tags


@functools.cache
def rule_ids() -> frozenset[str]:
    from fuling_compliance import load_rules

    ids = {r.id for r in load_rules()}
    for extension in sorted(EXAMPLES.glob("*/rules")):
        ids.update(r.id for r in load_rules([ROOT / "rules", extension]))
    return frozenset(ids)


def allowed_tag(tag: str) -> bool:
    from fuling_compliance.rules.regulation import regulation

    if tag.startswith("条款"):
        return tag.removeprefix("条款") in regulation().clauses
    return tag in rule_ids()


def pytest_configure(config: pytest.Config) -> None:
    for tag in sorted(feature_tags()):
        if allowed_tag(tag):
            config.addinivalue_line("markers", f"{tag}: feature tag")
