"""The regulation's text, as data under ``rules/regulation/`` (the Chinese text is authoritative).

Each version of the regulation is one YAML file in a rules folder's ``regulation/``
subfolder, in the format ``fuling-compliance/regulation/v1``::

    format: fuling-compliance/regulation/v1
    version: 2023-draft                 # the name a rule set cites
    status: draft                       # draft | final
    title: {zh: 涪陵区供电供气服务与投诉监管制度(征求意见稿), en: ...}
    clauses:
      '3.2.4':                          # clause ids are text: quote them
        zh: 供电供气选择上门服务时不得迟到，……
        en: On a home visit staff must not be late, ...
        heading: (二)员工要求             # optional: the heading the clause opens
    not_machine_checkable:              # clauses no rule can check, and why
      '3.3.5': {zh: “其他应当公开的事项”无法穷举, en: '"anything else ..." is open-ended'}

The draft for comment of 2023 ships; the final text can sit beside it
(``rules/regulation/<version>.yaml``). A rule set says which version it encodes in
``rules/ruleset.yaml``::

    format: fuling-compliance/ruleset/v1
    regulation: 2023-draft

Rules quote the text of that version (``clause_text``), and ``validate`` names every
rule whose quote or clause no longer matches it; ``coverage`` reports against it.
A rules folder given by the user may carry its own ``regulation/`` (its versions take
the place of the bundled ones of the same name) and its own ``ruleset.yaml``; what it
does not carry comes from the bundled rules.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bundled import bundled_rules_dir
from ..errors import Problem, RulesError
from ..yaml_source import PosDict, read_document

REGULATION_FORMAT = "fuling-compliance/regulation/v1"
RULESET_FORMAT = "fuling-compliance/ruleset/v1"
STATUSES = ("draft", "final")
_CLAUSE_ID = re.compile(r"\d+(\.\d+)*")
_TOP_KEYS = ("format", "version", "status", "title", "date", "source", "clauses",
             "not_machine_checkable")
_CLAUSE_KEYS = ("zh", "en", "heading")
_RULESET_KEYS = ("format", "regulation", "title", "note")


@dataclass(frozen=True)
class Clause:
    id: str
    zh: str
    en: str
    heading: str | None = None


@dataclass(frozen=True)
class Regulation:
    """One version of the regulation's text."""

    title_zh: str
    title_en: str
    clauses: dict[str, Clause]
    #: clause id -> (zh reason, en reason) for clauses no rule can check
    not_machine_checkable: dict[str, tuple[str, str]]
    version: str = ""
    #: ``draft`` or ``final``
    status: str = "draft"
    #: the file it was read from
    file: str | None = None

    def nearby(self, clause: str, limit: int = 8) -> list[str]:
        """Clause ids near ``clause``: its siblings and parent, else the closest ids."""
        ids = list(self.clauses)
        parent = clause.rpartition(".")[0]
        while parent:
            family = [c for c in ids if c == parent or c.startswith(parent + ".")]
            if family:
                return family[:limit]
            parent = parent.rpartition(".")[0]
        head = clause.split(".")[0]
        family = [c for c in ids if c.split(".")[0] == head]
        if family:
            return family[:limit]
        return [c for c in ids if "." not in c][:limit]  # the chapters


@dataclass(frozen=True)
class RulesetSettings:
    """``ruleset.yaml``: which version of the regulation the rules encode."""

    regulation: str | None
    file: str
    #: where ``regulation:`` is written (for problems)
    line: int | None = None
    column: int | None = None


# ----------------------------------------------------------------------------- reading
def _suggest(word: str, choices: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _hint(guess: str | None) -> tuple[str, str]:
    if guess is None:
        return "", ""
    return f" (did you mean {guess!r}?)", f"（是否应为 {guess!r}？）"


@dataclass
class _Reader:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, node: Any, key: Any, en: str, zh: str, code: str = "regulation",
                record: str | None = None) -> None:
        line, column = node.at(key) if key is not None and hasattr(node, "at") else \
            getattr(node, "pos", (None, None))
        self.problems.append(Problem(file=self.file, line=line, column=column, record=record,
                                     field=str(key) if key is not None else None, message=en,
                                     message_zh=zh, code=code))

    def unknown_keys(self, node: Mapping[str, Any], allowed: tuple[str, ...],
                     record: str | None = None) -> None:
        for key in node:
            if key not in allowed:
                en, zh = _hint(_suggest(str(key), allowed))
                if " " in str(key) and not en:
                    en = " (inside {...} a comma ends the value: put text with commas in quotes)"
                    zh = "（在 {...} 中逗号会结束取值：含逗号的文字请加引号）"
                self.problem(node, key, f"unknown key {key!r}{en}", f"未知的键 {key!r}{zh}",
                             "unknown_key", record)

    def text(self, node: Any, key: str, what: str, record: str | None = None,
             required: bool = True) -> str | None:
        value = node.get(key) if isinstance(node, dict) else None
        if isinstance(value, str) and value.strip():
            return value
        if value is None and not required:
            return None
        self.problem(node, key if isinstance(node, dict) and key in node else None,
                     f"{what}: `{key}` must be text", f"{what}：`{key}` 应为文字", "missing",
                     record)
        return None

    def pair(self, node: Any, key: str, record: str | None = None) -> tuple[str, str] | None:
        value = node.get(key) if isinstance(node, dict) else None
        if not isinstance(value, dict):
            self.problem(node, key if isinstance(node, dict) and key in node else None,
                         f"`{key}` needs {{zh: ..., en: ...}}", f"`{key}` 应为 {{zh: …, en: …}}",
                         "missing", record)
            return None
        self.unknown_keys(value, ("zh", "en"), record)
        zh = self.text(value, "zh", key, record)
        en = self.text(value, "en", key, record)
        return (zh, en) if zh is not None and en is not None else None


def parse_regulation(file: str, data: Any) -> tuple[Regulation | None, list[Problem]]:
    """One regulation file (read with positions): the regulation, or its problems."""
    reader = _Reader(file)
    if not isinstance(data, PosDict):
        reader.problems.append(Problem(file=file, line=1, column=1,
                                       message="a regulation file is a mapping",
                                       message_zh="制度文本文件的顶层必须是映射",
                                       code="not_mapping"))
        return None, reader.problems
    reader.unknown_keys(data, _TOP_KEYS)
    version = data.get("version")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        reader.problem(data, "version" if "version" in data else None,
                       "`version` names this text, e.g. version: 2023-draft",
                       "需要 `version`：本文本的版本名，例如 version: 2023-draft", "missing")
        version = None
    status = data.get("status")
    if status not in STATUSES:
        en, zh = _hint(_suggest(str(status), STATUSES))
        reader.problem(data, "status" if "status" in data else None,
                       f"`status` must be draft or final, not {status!r}{en}",
                       f"`status` 应为 draft（征求意见稿）或 final（正式稿），"
                       f"不是 {status!r}{zh}", "status")
    title = reader.pair(data, "title")
    clauses: dict[str, Clause] = {}
    raw = data.get("clauses")
    if not isinstance(raw, dict) or not raw:
        reader.problem(data, "clauses" if "clauses" in data else None,
                       "`clauses` maps clause ids to their text", "`clauses` 应为“条款号: 条文”"
                       "的映射", "missing")
        raw = {}
    for cid, body in raw.items():
        if not _CLAUSE_ID.fullmatch(str(cid)):
            reader.problem(raw, cid, f"{cid!r} is not a clause id such as '3.2.4'",
                           f"{cid!r} 不是条款号（例如 '3.2.4'）", "clause_id")
            continue
        if not isinstance(body, dict):
            reader.problem(raw, cid, f"clause {cid}: give {{zh: ..., en: ...}}",
                           f"条款 {cid}：应为 {{zh: …, en: …}}", "missing", str(cid))
            continue
        reader.unknown_keys(body, _CLAUSE_KEYS, str(cid))
        text_zh = reader.text(body, "zh", f"clause {cid}", str(cid))
        text_en = reader.text(body, "en", f"clause {cid}", str(cid))
        heading = reader.text(body, "heading", f"clause {cid}", str(cid), required=False)
        if text_zh is not None and text_en is not None:
            clauses[str(cid)] = Clause(str(cid), text_zh, text_en, heading)
    nmc: dict[str, tuple[str, str]] = {}
    raw_nmc = data.get("not_machine_checkable") or {}
    if not isinstance(raw_nmc, dict):
        reader.problem(data, "not_machine_checkable", "`not_machine_checkable` maps clause ids "
                       "to {zh: reason, en: reason}", "`not_machine_checkable` 应为“条款号: "
                       "{zh: 理由, en: 理由}”的映射", "type")
        raw_nmc = {}
    for cid in raw_nmc:
        if str(cid) not in clauses and str(cid) not in raw:
            en, zh = _hint(_suggest(str(cid), clauses))
            reader.problem(raw_nmc, cid, f"clause {cid!r} is not in `clauses`{en}",
                           f"条款 {cid!r} 不在 `clauses` 中{zh}", "unknown_clause", str(cid))
            continue
        pair = reader.pair(raw_nmc, str(cid), str(cid))
        if pair is not None:
            nmc[str(cid)] = pair
    if reader.problems or version is None or title is None:
        return None, reader.problems
    return Regulation(title[0], title[1], clauses, nmc, version.strip(), str(status),
                      file), []


def parse_settings(file: str, data: Any) -> tuple[RulesetSettings | None, list[Problem]]:
    """``ruleset.yaml`` (read with positions): the settings, or their problems."""
    reader = _Reader(file)
    if not isinstance(data, PosDict):
        return None, [Problem(file=file, line=1, column=1, message="ruleset.yaml is a mapping",
                              message_zh="ruleset.yaml 的顶层必须是映射", code="not_mapping")]
    reader.unknown_keys(data, _RULESET_KEYS)
    version = data.get("regulation")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        reader.problem(data, "regulation" if "regulation" in data else None,
                       "`regulation` names the version of the regulation the rules encode, "
                       "e.g. regulation: 2023-draft",
                       "需要 `regulation`：规则所依据的制度版本，例如 regulation: 2023-draft",
                       "missing")
        return None, reader.problems
    line, column = data.at("regulation")
    return RulesetSettings(version.strip(), file, line, column), reader.problems


def regulation_files(folder: Path) -> list[Path]:
    """The regulation texts of a rules folder: ``regulation/*.yaml``."""
    return sorted(p for p in (folder / "regulation").glob("*.yaml")
                  if not p.name.startswith("_"))


def read_regulations(paths: Iterable[Path]) -> tuple[dict[str, Regulation], list[Problem]]:
    """The regulation texts in the given files, by version; a version given twice is a
    problem."""
    found: dict[str, Regulation] = {}
    problems: list[Problem] = []
    for path in paths:
        data, read_problems = read_document(path)
        problems.extend(read_problems)
        if data is None:
            continue
        parsed, more = parse_regulation(str(path), data)
        problems.extend(more)
        if parsed is None:
            continue
        if parsed.version in found:
            line, column = data.at("version") if isinstance(data, PosDict) else (1, 1)
            problems.append(Problem(
                file=str(path), line=line, column=column, field="version",
                message=f"version {parsed.version!r} is also given in "
                        f"{found[parsed.version].file}",
                message_zh=f"版本 {parsed.version!r} 与 {found[parsed.version].file} 重复",
                code="duplicate_version"))
            continue
        found[parsed.version] = parsed
    return found, problems


def read_settings(path: Path) -> tuple[RulesetSettings | None, list[Problem]]:
    """One ``ruleset.yaml``."""
    data, problems = read_document(path)
    if data is None:
        return None, problems
    settings, more = parse_settings(str(path), data)
    return settings, problems + more


def choose(regulations: Mapping[str, Regulation], settings: RulesetSettings | None
           ) -> tuple[Regulation | None, list[Problem]]:
    """The version the settings name (or the only one there is)."""
    if settings is None or settings.regulation is None:
        if len(regulations) == 1:
            return next(iter(regulations.values())), []
        return None, [Problem(
            message="say which version of the regulation the rules encode: ruleset.yaml "
                    f"with `regulation: <version>` (versions: {', '.join(regulations) or '—'})",
            message_zh="请在 ruleset.yaml 中用 `regulation: <版本>` 指明规则依据的制度版本"
                       f"（现有版本：{'、'.join(regulations) or '无'}）",
            code="regulation_version")]
    found = regulations.get(settings.regulation)
    if found is not None:
        return found, []
    en, zh = _hint(_suggest(settings.regulation, regulations))
    return None, [Problem(
        file=settings.file, line=settings.line, column=settings.column, field="regulation",
        message=f"no text of the regulation version {settings.regulation!r}{en}; versions: "
                f"{', '.join(regulations) or 'none'} (add rules/regulation/"
                f"{settings.regulation}.yaml)",
        message_zh=f"没有制度版本 {settings.regulation!r} 的文本{zh}；现有版本："
                   f"{'、'.join(regulations) or '无'}（可添加 rules/regulation/"
                   f"{settings.regulation}.yaml）",
        code="regulation_version")]


@functools.cache
def bundled_regulations() -> dict[str, Regulation]:
    """The regulation texts shipped with the rules."""
    found, problems = read_regulations(regulation_files(bundled_rules_dir()))
    if problems:
        raise RulesError(f"bundled regulation rejected: {len(problems)} problem(s)", problems)
    return found


@functools.cache
def bundled_settings() -> RulesetSettings | None:
    """The bundled ``ruleset.yaml``."""
    path = bundled_rules_dir() / "ruleset.yaml"
    if not path.is_file():
        return None
    settings, problems = read_settings(path)
    if problems:
        raise RulesError(f"bundled ruleset.yaml rejected: {len(problems)} problem(s)", problems)
    return settings


@functools.cache
def regulation() -> Regulation:
    """The version of the regulation the bundled rules encode (the default everywhere a
    rule set does not say otherwise; a ``RuleSet`` carries its own as ``.regulation``)."""
    found, problems = choose(bundled_regulations(), bundled_settings())
    if found is None:
        raise RulesError("bundled regulation not found", problems)
    return found
