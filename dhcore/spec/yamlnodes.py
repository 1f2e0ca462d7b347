"""Safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader composes a node tree (with line/column marks) and constructs only plain
data (no Python objects). We keep the tree to map a validation error's field path back to
the line and column of the offending value, and refuse duplicate keys, which PyYAML would
otherwise silently overwrite. Before composing, one pass over the event stream (iterative, no
recursion) bounds the nesting depth and the number of values after alias expansion, so a
"billion laughs" document or 10,000 nested brackets is refused in milliseconds.
"""

from __future__ import annotations

import re
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


class StructureError(ValueError):
    """The document is too deep or expands to too many values."""

    def __init__(self, message: str, where: Located) -> None:
        super().__init__(message)
        self.where = where


def check_structure(text: str, max_depth: int, max_nodes: int) -> None:
    """Refuse deep nesting and alias blow-ups from the event stream, before any tree is built.

    Each collection's size counts its values with aliases expanded; an alias adds the size of
    the anchored value, so the total is known without expanding anything.
    """
    _check_flow_depth(text, max_depth)
    sizes: dict[str, int] = {}
    stack: list[list] = []  # [size so far, anchor]
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        here = Located(event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= max_depth:
                raise StructureError(f"nested deeper than {max_depth} levels (DH_MAX_YAML_DEPTH)", here)
            stack.append([1, event.anchor])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        elif isinstance(event, yaml.AliasEvent):
            size, anchor = sizes.get(event.anchor, 1), None
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        if stack:
            stack[-1][0] += size
        else:
            total += size
        if total + sum(s for s, _ in stack) > max_nodes:
            raise StructureError(
                f"expands to more than {max_nodes} values (aliases expanded; DH_MAX_YAML_NODES)", here
            )


_FLOW = re.compile(r"[\[\]{}\"'#\n]")


def _check_flow_depth(text: str, max_depth: int) -> None:
    """Bracket nesting found by a quick scan, before PyYAML's scanner (quadratic in it) sees it.

    Quoted scalars (opened where YAML opens them) and comments are skipped; escapes are not
    followed, which can only make this stricter on brackets inside strings.
    """
    depth, quote, comment, line, line_start = 0, "", False, 1, 0
    for m in _FLOW.finditer(text):
        ch = m.group()
        if ch == "\n":
            comment, line, line_start = False, line + 1, m.end()
            continue
        if comment:
            continue
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch if m.start() == 0 or text[m.start() - 1] in " \t\n[{,:-?" else ""
        elif ch == "#":
            comment = m.start() == 0 or text[m.start() - 1] in " \t\n"
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                where = Located(line, m.start() - line_start + 1)
                raise StructureError(f"nested deeper than {max_depth} levels (DH_MAX_YAML_DEPTH)", where)
        else:
            depth = max(0, depth - 1)


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


def _check_duplicates(node: yaml.Node, seen_nodes: set[int] | None = None) -> None:
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:  # an alias: its node was checked where it was anchored
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            k = str(key.value)
            if k in seen:
                raise DuplicateKeyError(k, _mark(key))
            seen.add(k)
            _check_duplicates(value, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicates(item, seen_nodes)


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
