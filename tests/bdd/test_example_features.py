"""The feature files of the worked examples (``examples/*/features``) are tests too."""

from pathlib import Path

from pytest_bdd import scenarios

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

for folder in sorted(EXAMPLES.glob("*/features")):
    scenarios(str(folder))
