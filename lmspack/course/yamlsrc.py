"""YAML loading that remembers line numbers, so errors can point at the line."""

from __future__ import annotations

import re
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]
    # The line each value's text starts on: the key's line, or the next for a | or > block.
    value_lines: dict[str, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML was built with it (the wheels are): it parses the course's
# YAML ~5x faster than the pure-Python one, with the same marks (lines) on every node.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SourceInt(int):
    """A whole number that remembers how it was written (`version: 010` is "010" as text)."""

    source: str = ""


class SourceFloat(float):
    """A number with a point that remembers how it was written: `version: 1.10` is "1.10"
    where text is expected, not 1.1."""

    source: str = ""


# Implicit types a course file has no use for: dates (`version: 2024-13-01` is text, not a
# crash on month 13) and YAML 1.1's yes/no booleans (`feedback: No` stays text).
_DROPPED_RESOLVERS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
ALIAS_MESSAGE = (
    "YAML anchors and aliases (&name, *name) are not allowed in course files: write the "
    "value out in full"
)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 booleans (only true/false), no dates, no aliases (each
    reference would be walked again: eight levels of ten aliases are 10^8 values), and every
    value that cannot be built (`!!int abc`, a list as a key) reported as a YAML error at
    its line instead of escaping as a Python exception."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_RESOLVERS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, ALIAS_MESSAGE, node.start_mark
            )
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - a constructor's failure is the value's fault
            why = f" ({exc})" if isinstance(exc, ValueError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"this value cannot be read as {_tag_name(node.tag)}{why}",
                node.start_mark,
            ) from None  # fmt: skip


def _tag_name(tag: str) -> str:
    return tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> SourceInt:
    value = SourceInt(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))
    value.source = str(node.value)
    return value


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> SourceFloat:
    value = SourceFloat(yaml.constructor.SafeConstructor.construct_yaml_float(loader, node))
    value.source = str(node.value)
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


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
    result.value_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (bool, int, float)) or key is None:
            key = str(key_node.value)  # `yes:`/`1:` stay as the author wrote them
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                "a field name must be a word, not a list or a mapping", key_node.start_mark,
            )  # fmt: skip
        if key in result:
            raise yaml.MarkedYAMLError(
                "while constructing a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        block = isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">")
        result.value_lines[key] = value_node.start_mark.line + 1 + block
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
