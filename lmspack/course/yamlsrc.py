"""YAML loading that remembers line numbers, so errors can point at the line."""

from __future__ import annotations

import re
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML was built with it (the wheels are): it parses the course's
# YAML ~5x faster than the pure-Python one, with the same marks (lines) on every node.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 booleans: only true/false, so `feedback: No` stays text."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (bool, int, float)) or key is None:
            key = str(key_node.value)  # `yes:`/`1:` stay as the author wrote them
        if key in result:
            raise yaml.MarkedYAMLError(
                "while constructing a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str) -> Any:
    """Parse YAML; mappings become LineDict and sequences LineList."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def line_of(value: Any, key: str | None = None, default: int = 0) -> int:
    if key is not None and isinstance(value, LineDict):
        return value.key_lines.get(key, value.line)
    return getattr(value, "line", default)
