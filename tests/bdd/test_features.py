"""Every feature file under ``features/`` is a test; an unusable file fails alone.

A file pytest-bdd cannot read (not Gherkin, no ``# language: zh-CN``) becomes one
failing test naming the file, line and problem, and the other files still run.
"""

from pathlib import Path

import pytest
from pytest_bdd import scenarios

from fuling_compliance.testing.gherkin import FeatureError, read_feature, shown_path
from fuling_compliance.testing.steps import StepFailure, Text

FEATURES = Path(__file__).resolve().parents[2] / "features"


def _unusable(path: Path, error: Exception) -> object:
    @pytest.mark.features
    def test() -> None:
        try:
            read_feature(path, shown_path(path, FEATURES))
        except FeatureError as exc:
            problems = [Text(p.render("zh"), p.render("en")) for p in exc.problems]
            raise StepFailure(problems[0], hints=problems[1:]) from None
        raise StepFailure(Text(f"{path.name}: pytest-bdd 无法读取：{error}",
                               f"{path.name}: pytest-bdd cannot read it: {error}"))

    return test


for _path in sorted(FEATURES.glob("*.feature")):
    try:
        scenarios(str(_path))
    except Exception as _error:  # any reason pytest-bdd gives
        globals()[f"test_unusable_feature_{_path.stem}"] = _unusable(_path, _error)
