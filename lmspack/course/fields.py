"""Reading one YAML mapping field by field, reporting what is missing, wrong or unknown."""

from __future__ import annotations

import re
from typing import Any

from .errors import Problems
from .yamlsrc import LineDict, line_of

# SCORM 1.2 CMIIdentifier / 2004 identifiers: printable ASCII, no spaces, at most 255.
# We are stricter (letters, digits, _ . -) so ids also work in URLs, CSS and file names.
ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# SCORM 2004 choice responses: short_identifier_type limited to [A-Za-z0-9_.] in practice.
OPTION_ID_RE = re.compile(r"^[A-Za-z0-9_.]{1,32}$")
COURSE_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

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


class Fields:
    """Wraps one mapping: `req`/`opt` read keys, `done` reports keys nobody read."""

    def __init__(self, data: Any, file: str, problems: Problems, where: str = "", line: int = 0):
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
            value = str(value)  # `version: 1.0` is text to an author
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            self.error(key, f"should be {_TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}")
            return default
        if kind is str:
            value = value.strip()
            if not value:
                self.error(key, "must not be empty")
                return default
        return value

    def ident(self, key: str, pattern: re.Pattern = ID_RE, required: bool = True) -> str:
        value = self.req(key, str, "") if required else self.opt(key, str, "")
        if value and not pattern.match(value):
            self.error(key, f"{value!r} is not a valid id: use {_describe(pattern)}")
        return value

    def done(self) -> None:
        for key in self.data:
            if key not in self._read:
                known = ", ".join(sorted(self._read))
                self.error(key, f"unknown field (expected one of: {known})")


def _describe(pattern: re.Pattern) -> str:
    if pattern is OPTION_ID_RE:
        return "letters, digits, _ and . only, at most 32 characters (a SCORM 2004 rule)"
    if pattern is COURSE_ID_RE:
        return "lowercase letters, digits and hyphens"
    return "letters, digits, _ . and - only, no spaces, at most 64 characters"
