"""Safe YAML/JSON reading that keeps line and column, and refuses hostile documents.

Documents are read with PyYAML's safe loader (JSON is read by the same loader, so
positions work for both). The result is plain Python data in which every mapping is a
:class:`PosDict` and every sequence a :class:`PosList` remembering where each key or
item starts (1-based line and column).

Limits (each a :class:`~fuling_compliance.errors.Problem`, never a traceback):

* size: ``DEFAULT_MAX_BYTES`` (64 MiB) unless overridden (``max_bytes`` or the
  ``FULING_MAX_BYTES`` environment variable);
* nesting: ``MAX_DEPTH`` (32) levels;
* aliases: ``MAX_ALIASES`` (100) alias uses per document, and at most
  ``MAX_ALIAS_EXPANSION`` (100,000) nodes added by expanding them — a "billion laughs"
  alias bomb is refused before it is expanded;
* duplicate keys in a mapping are an error, not a silent overwrite.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_ALIAS_EXPANSION = 100_000

Pos = tuple[int, int]
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class PosDict(dict[str, Any]):
    """A mapping that remembers the position of each key (and of itself)."""

    pos: Pos = (1, 1)
    key_pos: dict[str, Pos]

    def at(self, key: str) -> Pos:
        return self.key_pos.get(key, self.pos)


class PosList(list[Any]):
    """A sequence that remembers the position of each item (and of itself)."""

    pos: Pos = (1, 1)
    item_pos: list[Pos]

    def at(self, index: int) -> Pos:
        return self.item_pos[index] if index < len(self.item_pos) else self.pos


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _mark(node: Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader with limits, duplicate-key detection and positions."""

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self._filename = filename
        self._depth = 0
        self._aliases = 0

    def _refuse(self, node_or_mark: Any, code: str, en: str, zh: str) -> _Refused:
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        return _Refused(
            Problem(
                file=self._filename,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                message=en,
                message_zh=zh,
                code=code,
            )
        )

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._refuse(
                    self.peek_event(),  # type: ignore[no-untyped-call]
                    "too_many_aliases",
                    f"more than {MAX_ALIASES} YAML aliases: refused (possible alias bomb)",
                    f"YAML 别名超过 {MAX_ALIASES} 个，拒绝读取（可能是别名炸弹）",
                )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._refuse(
                self.peek_event(),  # type: ignore[no-untyped-call]
                "too_deep",
                f"nesting deeper than {MAX_DEPTH} levels: refused",
                f"嵌套超过 {MAX_DEPTH} 层，拒绝读取",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Node) -> Any:
        sizes: dict[int, int] = {}
        distinct = 0

        def size(n: Node) -> int:
            nonlocal distinct
            key = id(n)
            if key not in sizes:
                distinct += 1
                sizes[key] = 1  # provisional (cycles are refused by the composer)
                children: list[Node] = []
                if isinstance(n, MappingNode):
                    for k, v in n.value:
                        children.extend((k, v))
                elif isinstance(n, SequenceNode):
                    children = list(n.value)
                sizes[key] = 1 + sum(size(c) for c in children)
            return sizes[key]

        if size(node) - distinct > MAX_ALIAS_EXPANSION:
            raise self._refuse(
                node,
                "alias_expansion",
                f"aliases would expand the document by more than {MAX_ALIAS_EXPANSION} nodes: "
                "refused (alias bomb)",
                f"别名展开后超过 {MAX_ALIAS_EXPANSION} 个节点，拒绝读取（别名炸弹）",
            )
        return self._build(node)

    def _build(self, node: Node) -> Any:
        if isinstance(node, (MappingNode, SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise self._refuse(node, "syntax", f"YAML tag {node.tag!r} is not allowed",
                               f"不允许使用 YAML 标签 {node.tag!r}")
        if isinstance(node, MappingNode):
            result = PosDict()
            result.pos = _mark(node)
            result.key_pos = {}
            self.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)
                if key in result:
                    raise self._refuse(
                        key_node,
                        "duplicate_key",
                        f"duplicate key {key!r}",
                        f"重复的键 {key!r}",
                    )
                result.key_pos[key] = _mark(key_node)
                result[key] = self._build(value_node)
            return result
        if isinstance(node, SequenceNode):
            items = PosList()
            items.pos = _mark(node)
            items.item_pos = []
            for child in node.value:
                items.item_pos.append(_mark(child))
                items.append(self._build(child))
            return items
        assert isinstance(node, ScalarNode)
        return self.construct_object(node, deep=True)


def _without_sexagesimal() -> None:
    """YAML 1.1 reads ``9:30`` as the integer 570; times must stay text."""
    resolvers: dict[Any, Any] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        resolvers[first] = [
            (tag, regexp) for tag, regexp in entries if not tag.endswith((":int", ":float"))
        ]
    _Loader.yaml_implicit_resolvers = resolvers
    _Loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"""^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"""),
        list("-+0123456789"),
    )
    _Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"""
            r"""|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"""
        ),
        list("-+0123456789."),
    )


_without_sexagesimal()


def max_bytes_default() -> int:
    """The size limit in force: ``FULING_MAX_BYTES`` or :data:`DEFAULT_MAX_BYTES`."""
    env = os.environ.get("FULING_MAX_BYTES")
    return int(env) if env and env.isdigit() else DEFAULT_MAX_BYTES


def read_document(
    path: Path | str, *, max_bytes: int | None = None
) -> tuple[Any, list[Problem]]:
    """Read one YAML or JSON file; return ``(data, problems)``.

    ``data`` is ``None`` when the document could not be read at all.
    """
    name = str(path)
    limit = max_bytes if max_bytes is not None else max_bytes_default()
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        return None, [Problem(file=name, message=f"cannot read: {exc.strerror}",
                              message_zh=f"无法读取：{exc.strerror}", code="unreadable")]
    if size > limit:
        return None, [
            Problem(
                file=name,
                message=f"file is {size} bytes, over the limit of {limit} "
                "(raise it with --max-bytes or FULING_MAX_BYTES)",
                message_zh=f"文件 {size} 字节，超过上限 {limit}"
                "（可用 --max-bytes 或 FULING_MAX_BYTES 调整）",
                code="too_large",
            )
        ]
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(file=name, message=f"not UTF-8: {exc.reason}",
                              message_zh="不是 UTF-8 编码", code="encoding")]
    except OSError as exc:
        return None, [Problem(file=name, message=f"cannot read: {exc.strerror}",
                              message_zh=f"无法读取：{exc.strerror}", code="unreadable")]
    return parse_text(text, name)


def parse_text(text: str, name: str = "<string>") -> tuple[Any, list[Problem]]:
    """Parse YAML/JSON text; return ``(data, problems)``."""
    loader = _Loader(text, name)
    try:
        node = loader.get_single_node()
        if node is None:
            return PosDict(), []
        return loader.construct_document(node), []
    except _Refused as refused:
        return None, [refused.problem]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [
            Problem(
                file=name,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                message=f"YAML syntax: {exc.problem or exc.context}",
                message_zh=f"YAML 语法错误：{exc.problem or exc.context}",
                code="syntax",
            )
        ]
    except yaml.YAMLError as exc:
        return None, [Problem(file=name, message=f"YAML: {exc}", message_zh=f"YAML 错误：{exc}",
                              code="syntax")]
    except RecursionError:
        return None, [Problem(file=name, message="nesting too deep", message_zh="嵌套过深",
                              code="too_deep")]
    finally:
        loader.dispose()
