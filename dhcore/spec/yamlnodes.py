"""Safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader composes a node tree (with line/column marks) and constructs only plain
data (no Python objects). We keep the tree to map a validation error's field path back to
the line and column of the offending value, and refuse duplicate keys, which PyYAML would
otherwise silently overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Located:
    line: int  # 1-based
    column: int  # 1-based


class DuplicateKeyError(ValueError):
    def __init__(self, key: str, where: Located) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.where = key, where


def _mark(node: yaml.Node) -> Located:
    return Located(node.start_mark.line + 1, node.start_mark.column + 1)


def load_with_nodes(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document safely; returns (data, root node)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_duplicates(root)
        return loader.construct_document(root), root
    finally:
        loader.dispose()


def _check_duplicates(node: yaml.Node) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            k = str(key.value)
            if k in seen:
                raise DuplicateKeyError(k, _mark(key))
            seen.add(k)
            _check_duplicates(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicates(item)


def locate(root: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[Located, tuple[int | str, ...]]:
    """The position of the value at `loc` and the part of `loc` that exists in the document.

    Elements of `loc` with no counterpart in the document (pydantic's union tags, or a missing
    field) are skipped, so a missing field points at its parent mapping.
    """
    if root is None:
        return Located(1, 1), ()
    node, where, path = root, _mark(root), []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                continue
            node = match[1]
            where = _mark(node)
            path.append(part)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            where = _mark(node)
            path.append(part)
    return where, tuple(path)


def key_position(root: yaml.Node | None, loc: tuple[int | str, ...]) -> Located | None:
    """Position of the key named by the last element of `loc`, if it is in the document."""
    if root is None or not loc:
        return None
    parent_loc, key = loc[:-1], loc[-1]
    node = root
    for part in parent_loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            return None
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if str(k.value) == str(key):
                return _mark(k)
    return None
