"""Where the bundled rule set lives: the package's copy, or the repository's ``rules/``.

The wheel carries the repository's ``rules/`` as ``fuling_compliance/_bundled/rules``
(``pyproject.toml`` force-includes it): rule files, fields files, ``ruleset.yaml``, the
regulation's text (``regulation/``), calendars and the assessment policy. An editable
install reads the repository's folder directly.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_rules_dir() -> Path:
    """The rules shipped with the package (or the repository's ``rules/`` when editable)."""
    packaged = Path(str(resources.files("fuling_compliance"))) / "_bundled" / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"
