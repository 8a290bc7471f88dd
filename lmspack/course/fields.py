"""Reading one YAML mapping field by field, reporting what is missing, wrong or unknown."""

from __future__ import annotations

import re
from typing import Any

from .errors import Problems
from .shapes import Field, ListOf, Shape
from .yamlsrc import LineDict, line_of

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping (key: value lines)",
}


_NO_VALUE_HINT = (
    "write the value after the colon on the same line. If it starts with #, put it in "
    'quotes (title: "#1 tip"): a # after a space starts a comment, which YAML ignores.'
)


_ABSENT = object()
# C0 and C1 controls but tab and newline: invisible, refused by XML (the manifest) and PDF.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _shown(value: Any) -> str:
    """A wrong value as the author would recognise it, kept short."""
    if isinstance(value, dict):
        return "a mapping (key: value lines)"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Fields:
    """Wraps one mapping: `get` reads a key as its Shape defines it (`req`/`opt` without
    one); `done` reports keys the Shape does not have (or, without one, that nobody read)."""

    def __init__(
        self,
        data: Any,
        file: str,
        problems: Problems,
        where: str = "",
        line: int = 0,
        shape: Shape | None = None,
    ):
        self.shape = shape
        self.file = file
        self.problems = problems
        self.where = where
        self.ok = isinstance(data, dict)
        self.data: dict = data if self.ok else {}
        self.line = line_of(data, default=line)
        self._read: set[str] = set()
        # None means the file is missing or did not parse: that was reported already.
        if not self.ok and data is not None:
            self.problems.add(
                file, self.line, where or "(top level)", "expected a mapping (key: value lines)"
            )

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def line_of(self, key: str) -> int:
        return line_of(self.data, key, self.line) if isinstance(self.data, LineDict) else self.line

    def value_line(self, key: str) -> int:
        """The line `key`'s text starts on (for Markdown, whose own lines count from it)."""
        lines = getattr(self.data, "value_lines", {})
        return lines.get(key) or self.line_of(key)

    def error(self, key: str, message: str, hint: str = "") -> None:
        self.problems.add(self.file, self.line_of(key), self.name(key), message, hint=hint)

    def req(self, key: str, kind: type, default: Any = None) -> Any:
        self._read.add(key)
        if not self.ok:
            return default
        if key not in self.data:
            self.problems.add(self.file, self.line, self.name(key), "required field is missing")
            return default
        return self._typed(key, kind, default)

    def opt(self, key: str, kind: type, default: Any = None) -> Any:
        self._read.add(key)
        if key not in self.data or self.data[key] is None:
            return default
        return self._typed(key, kind, default)

    def _typed(self, key: str, kind: type, default: Any) -> Any:
        value = self.data.get(key)
        if value is None:  # `title:` alone, or `title: #1 tip` (a # after a space is a comment)
            self.error(key, "has no value", hint=_NO_VALUE_HINT)
            return default
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = getattr(value, "source", "") or str(value)  # `version: 1.10` is text
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            expected = _TYPE_NAMES.get(kind, kind.__name__)
            self.error(key, f"should be {expected}, got {_shown(value)}")
            return default
        if kind is str:
            value = value.strip()
            if not value:
                self.error(key, "must not be empty")
                return default
            bad = CONTROL.search(value)
            if bad:
                self.error(
                    key,
                    f"holds an invisible control character (U+{ord(bad.group()):04X}): "
                    "retype the text around it",
                )
                return default
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """The value of `key`, checked against its Field: type, presence, pattern, choices
        and range. A missing or mistyped value gives `default`; an invalid one is returned
        (after its problem is reported) so later checks, e.g. duplicate ids, still run."""
        assert self.shape is not None, "get() needs a Shape"
        spec = self.shape.fields[key]
        kind = spec.python_type
        read = self.req if spec.required and spec.when is None else self.opt
        value = read(key, kind, _ABSENT)
        if value is _ABSENT:
            return default
        if isinstance(spec.kind, ListOf) and not self._items_ok(key, spec.kind.item):
            return default
        if spec.max_length is not None and len(value) > spec.max_length:
            self.error(key, spec.length_message.format(n=len(value), max=spec.max_length))
        if spec.pattern is not None and not spec.pattern.match(value):
            self.error(key, spec.pattern_message.format(value=value))
        elif spec.choices and value not in spec.choices:
            self.error(key, f"unknown {key} {value!r} (use: {', '.join(spec.choices)})")
        low, high = spec.minimum, spec.maximum
        if kind is int and (low is not None and value < low or high is not None and value > high):
            self.error(key, spec.range_message.format(value=value))
        return value

    def _items_ok(self, key: str, item: Any) -> bool:
        """A list of texts (or of choices) holds only texts: a list or a mapping in it is
        reported here, instead of failing later where a text is compared or hashed."""
        kind = item.kind if isinstance(item, Field) else item
        if kind is not str:
            return True  # lists of mappings: each item is read by its own Fields
        for i, value in enumerate(self.data[key]):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.data[key][i] = getattr(value, "source", "") or str(value)
            elif not isinstance(value, str) or not value.strip() or CONTROL.search(value):
                line = self.data[key].item_lines[i] if hasattr(self.data[key], "item_lines") else 0
                self.problems.add(
                    self.file, line or self.line_of(key), f"{self.name(key)}[{i}]",
                    f"should be a non-empty text, got {_shown(value)}",
                )  # fmt: skip
                return False
        return True

    def done(self) -> None:
        expected = set(self.shape.fields) if self.shape else self._read
        for key in self.data:
            if key not in expected:
                known = ", ".join(sorted(expected))
                self.error(key, f"unknown field (expected one of: {known})")
