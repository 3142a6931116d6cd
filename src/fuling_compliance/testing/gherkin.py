"""Feature files as plain data, read the way pytest-bdd reads them.

The parser is gherkin-official's (pytest-bdd's too), so a file means the same in both
runs: backgrounds (the feature's, then the rule block's) come before a scenario's own
steps; ``而且``/``但是`` continue the kind of the step before; a scenario outline gives
one :class:`Scenario` per row of its examples, with ``<name>`` replaced in the steps,
their tables and the scenario's name. Problems that make a file unusable (not Gherkin,
no ``# language: zh-CN`` header, a first step that is ``而且``) are :class:`FeatureError`
with the file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError, Problem

StepKind = Literal["given", "when", "then"]
LANGUAGE_HEADER = "# language: zh-CN"
_KIND_OF: dict[str, StepKind] = {"Context": "given", "Action": "when", "Outcome": "then"}
_PARAM = re.compile(r"<(.+?)>")


class FeatureError(InputError):
    """A feature file could not be read as Gherkin; nothing of it was run."""


@dataclass(frozen=True)
class Step:
    """One step as it runs (outline values filled in)."""

    keyword: str
    kind: StepKind
    text: str
    line: int
    #: the data table under the step, rows of cell texts (``None``: no table)
    table: tuple[tuple[str, ...], ...] | None = None
    #: the text block (``"""``) under the step
    docstring: str | None = None

    def __str__(self) -> str:
        return f"{self.keyword} {self.text}"


@dataclass(frozen=True)
class Scenario:
    """One runnable scenario: a plain scenario, or one example row of an outline."""

    #: the file as shown to people (``features/3.2-员工与上门服务.feature``)
    file: str
    feature: str
    #: the name as written (an outline's with ``<name>`` left in)
    template: str
    #: the name with the example's values filled in
    name: str
    #: the line of ``场景:`` / ``场景大纲:``
    line: int
    steps: tuple[Step, ...]
    #: the scenario's own tags, its rule block's and its feature's (without ``@``)
    tags: tuple[str, ...]
    #: texts that are descriptions, not steps: the feature's, the rule block's, its own
    descriptions: tuple[str, ...] = ()
    #: an outline's example row: its line and its values by column
    example_line: int | None = None
    example: Mapping[str, str] = field(default_factory=dict)
    #: tags on the example row's ``例子:`` block
    example_tags: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        """``file:line`` of the example row, else of the scenario."""
        return f"{self.file}:{self.example_line or self.line}"


@dataclass(frozen=True)
class Feature:
    """A feature file: its name, tags and runnable scenarios in file order."""

    path: Path
    file: str
    name: str
    line: int
    tags: tuple[str, ...]
    scenarios: tuple[Scenario, ...]


def shown_path(path: Path, base: Path | None = None) -> str:
    """``features/x.feature`` for a file in a folder named ``features``, else the path."""
    if base is not None:
        try:
            return f"{base.name}/{path.relative_to(base).as_posix()}"
        except ValueError:
            pass
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def read_feature(path: Path, shown: str | None = None) -> Feature:
    """Parse one feature file; :class:`FeatureError` when it is unusable."""
    from gherkin.errors import CompositeParserException, ParserException  # type: ignore[import-untyped,unused-ignore]
    from gherkin.parser import Parser  # type: ignore[import-untyped,unused-ignore]

    file = shown or shown_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeatureError(f"{file}: unreadable", [_problem(
            file, None, None, f"cannot read the file: {exc}",
            f"无法读取文件（应为 UTF-8 文本）：{exc}", "unreadable")]) from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first != LANGUAGE_HEADER:
        line = next((n for n, raw in enumerate(text.splitlines(), 1) if raw.strip()), 1)
        raise FeatureError(f"{file}: no language header", [_problem(
            file, line, 1, f"the first line must be exactly '{LANGUAGE_HEADER}'",
            f"第一行应为“{LANGUAGE_HEADER}”（否则 功能、场景、假如 等关键字不被识别）",
            "language")])
    try:
        document = Parser().parse(text)
    except (CompositeParserException, ParserException) as exc:
        errors = getattr(exc, "errors", None) or [exc]
        raise FeatureError(f"{file}: not Gherkin", [
            _syntax_problem(file, error, text) for error in errors]) from None
    data = document.get("feature")
    if not data:
        raise FeatureError(f"{file}: empty", [_problem(
            file, 1, 1, "no 'Feature' (功能:) in the file", "文件中没有“功能:”", "empty")])
    return _feature(path, file, data)


def read_features(paths: Iterable[Path], base: Path | None = None
                  ) -> tuple[list[Feature], list[Problem]]:
    """Every readable feature, and the problems of the unusable ones."""
    features: list[Feature] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            features.append(read_feature(path, shown_path(path, base)))
        except FeatureError as exc:
            problems.extend(exc.problems)
    return features, problems


# ----------------------------------------------------------------------------- internals
def _problem(file: str, line: int | None, column: int | None, en: str, zh: str,
             code: str) -> Problem:
    return Problem(file=file, line=line, column=column, message=en, message_zh=zh, code=code)


def _syntax_problem(file: str, error: Any, text: str) -> Problem:
    location = getattr(error, "location", None) or {}
    line, column = location.get("line"), location.get("column")
    message = str(error)
    got = re.search(r"got '(.*)'$", message)
    shown = got.group(1).strip() if got else ""
    if shown.startswith("给定"):
        zh = f"“{shown}”：“给定”不是 Gherkin 关键字，请用 假如/假设/假定"
    elif got:
        zh = f"这里不能写“{shown}”（场景、步骤或表格的位置不对，或关键字有误）"
    else:
        zh = f"不是有效的 Gherkin：{message}"
    return _problem(file, line, column, f"not valid Gherkin: {message}", zh, "gherkin")


def _tags(node: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(t["name"]).lstrip("@") for t in node.get("tags", []))


def _steps(file: str, raw: list[dict[str, Any]], kind: StepKind | None) -> list[Step]:
    steps: list[Step] = []
    for data in raw:
        own = _KIND_OF.get(data.get("keywordType", ""))
        if own is None and kind is None:
            line = data["location"]["line"]
            raise FeatureError(f"{file}: first step is a conjunction", [_problem(
                file, line, data["location"]["column"],
                f"the first step cannot start with '{data['keyword'].strip()}'",
                f"第一个步骤不能以“{data['keyword'].strip()}”开头，请用 假如、当 或 那么",
                "first_step")])
        kind = own or kind
        assert kind is not None
        table = data.get("dataTable")
        rows = tuple(tuple(str(c["value"]) for c in row["cells"])
                     for row in table["rows"]) if table else None
        block = data.get("docString")
        steps.append(Step(data["keyword"].strip(), kind, data["text"],
                          data["location"]["line"], rows,
                          None if block is None else str(block["content"])))
    return steps


def _render(text: str, values: Mapping[str, str]) -> str:
    return _PARAM.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _rendered(step: Step, values: Mapping[str, str]) -> Step:
    table = None if step.table is None else tuple(
        tuple(_render(cell, values) for cell in row) for row in step.table)
    docstring = None if step.docstring is None else _render(step.docstring, values)
    return Step(step.keyword, step.kind, _render(step.text, values), step.line, table,
                docstring)


def _feature(path: Path, file: str, data: Mapping[str, Any]) -> Feature:
    feature_tags = _tags(data)
    feature_description = str(data.get("description") or "")
    scenarios: list[Scenario] = []
    background: list[Step] = []

    def add(node: Mapping[str, Any], rule: Mapping[str, Any] | None,
            rule_background: list[Step]) -> None:
        # each list of steps starts afresh with 假如/当/那么, as in pytest-bdd
        steps = background + rule_background + _steps(file, node.get("steps", []), None)
        tags = tuple(dict.fromkeys(
            _tags(node) + (_tags(rule) if rule else ()) + feature_tags))
        descriptions = tuple(d for d in (feature_description,
                                         str(rule.get("description") or "") if rule else "",
                                         str(node.get("description") or "")) if d)
        base = dict(file=file, feature=str(data.get("name", "")), template=str(node["name"]),
                    line=node["location"]["line"], tags=tags, descriptions=descriptions)
        examples = node.get("examples", [])
        if not examples:
            scenarios.append(Scenario(name=str(node["name"]), steps=tuple(steps), **base))
            return
        for block in examples:
            header = block.get("tableHeader")
            if header is None:
                continue
            names = [str(c["value"]) for c in header["cells"]]
            for row in block.get("tableBody", []):
                values = dict(zip(names, (str(c["value"]) for c in row["cells"]), strict=True))
                scenarios.append(Scenario(
                    name=_render(str(node["name"]), values),
                    steps=tuple(_rendered(s, values) for s in steps),
                    example_line=row["location"]["line"], example=values,
                    example_tags=_tags(block), **base))

    for child in data.get("children", []):
        if "background" in child:
            background = _steps(file, child["background"].get("steps", []), None)
        elif "scenario" in child:
            add(child["scenario"], None, [])
        elif "rule" in child:
            rule = child["rule"]
            rule_background: list[Step] = []
            for grandchild in rule.get("children", []):
                if "background" in grandchild:
                    rule_background = _steps(file, grandchild["background"].get("steps", []),
                                             None)
                elif "scenario" in grandchild:
                    add(grandchild["scenario"], rule, rule_background)
    return Feature(path, file, str(data.get("name", "")), data["location"]["line"],
                   feature_tags, tuple(scenarios))
