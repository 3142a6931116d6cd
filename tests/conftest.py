"""Shared test configuration: feature tags as markers, and the ``features`` marker.

Tags that name a rule (``@VIS-02``: of the bundled rules, or for the features of a worked
example, ``examples/<name>/features``, of the bundled rules plus that example's ``rules/``)
or a clause of the regulation (``@条款3.2.4``) mark their scenarios (``pytest -m
VIS-02``); any other tag fails the scenarios it is on with a message saying why
(``tests/bdd/conftest.py``), and the other features still run.

Every scenario collected from ``features/`` carries the ``features`` marker, and so do
the other checks of policy-owned expectations (the example's expected findings, the rule
book's freshness, every rule having a failing and a passing scenario): ``pytest -m "not
features"`` is the Python-only suite, which a change of a parameter or an added rule in
``rules/`` does not break.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "features"
EXAMPLES = ROOT / "examples"
TAG = re.compile(r"(?<!\S)@([^\s()@:,]+)")


def feature_tags() -> set[str]:
    """The tags of features/ and of the worked examples' features (examples/*/features)."""
    tags: set[str] = set()
    for path in [*FEATURES.glob("*.feature"), *EXAMPLES.glob("*/features/*.feature")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                tags.update(TAG.findall(line.split(" #")[0]))
    return tags


def pytest_configure(config: pytest.Config) -> None:
    # every tag is registered, so that no tag stops the feature files from loading
    # (pytest-bdd marks example rows with their tags directly); the scenarios of a tag
    # that names no rule or clause fail instead, and get no marker
    for tag in sorted(feature_tags()):
        config.addinivalue_line("markers", f"{tag}: feature tag")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every pytest-bdd scenario is a ``features`` test."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    for item in items:
        function = getattr(item, "function", None)
        if function is not None and function in scenario_wrapper_template_registry:
            item.add_marker(pytest.mark.features)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Bytes parameters get escaped ids: ids are not escaped in this project (scenario
    names and example values show as Chinese), and pytest would join raw bytes."""
    return repr(val)[2:-1] if isinstance(val, bytes) else None
