"""The regulation's clause ids and texts (bundled; the Chinese text is authoritative)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Clause:
    id: str
    zh: str
    en: str
    heading: str | None = None


@dataclass(frozen=True)
class Regulation:
    title_zh: str
    title_en: str
    clauses: dict[str, Clause]
    #: clause id -> (zh reason, en reason) for clauses no rule can check
    not_machine_checkable: dict[str, tuple[str, str]]


@cache
def regulation() -> Regulation:
    """The bundled regulation text."""
    text = resources.files("fuling_compliance").joinpath("data/regulation.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    clauses = {
        str(cid): Clause(str(cid), c["zh"], c.get("en", ""), c.get("heading"))
        for cid, c in data["clauses"].items()
    }
    nmc = {str(k): (v["zh"], v["en"]) for k, v in data.get("not_machine_checkable", {}).items()}
    return Regulation(data["title"]["zh"], data["title"]["en"], clauses, nmc)
