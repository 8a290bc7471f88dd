"""YAML syntax errors in words an author can act on: where (line and column), the offending
line, and a hint for the usual causes (a value that needs quotes, a tab, an indentation slip).

The parser's own words stay in the message (they are true and searchable); the hint says
what to change, worked out from the offending line rather than from the parser's wording,
so libyaml and the pure-Python parser get the same advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from .errors import Problems

# `key: value` on one line, optionally as a list item (`- key: value`). One-line {...}
# mappings have their own reading (_FLOW_KEY).
_KEY_VALUE = re.compile(
    r"^[ \t]*(?:-[ \t]+)*(?P<key>[^\s#'\"{}\[\],:-][^:{}\[\],]*?):[ \t]+(?P<value>\S.*)$"
)
_DOUBLE_QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"[ \t]*(?:#.*)?$')
_SINGLE_QUOTED = re.compile(r"^'(?:[^']|'')*'[ \t]*(?:#.*)?$")
_INDICATORS = {
    "*": "a value starting with * is read as a reference to an anchor (a YAML alias)",
    "&": "a value starting with & is read as an anchor name",
    "!": "a value starting with ! is read as a YAML tag",
    "@": "YAML does not allow a value to start with @",
    "`": "YAML does not allow a value to start with a backtick (`)",
    "%": "YAML does not allow a value to start with %",
    "[": "a value starting with [ is read as a list, which must close with ]",
    "{": "a value starting with { is read as a mapping, which must close with }",
}
_STRUCTURE_WORDS = ("expected key", "block end", "indicator", "mapping values")
# `key: ` inside a one-line {...} mapping.
_FLOW_KEY = re.compile(r"[{,][ \t]*([A-Za-z_][\w.-]*):[ \t]+")
_CLOSERS = {"{": "}", "[": "]"}
# What YAML refuses to read at all (its "printable" set, YAML 1.1 §5.1, inverted).
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


@dataclass(frozen=True)
class SyntaxExplained:
    line: int  # 1-based within the parsed text; 0 when the parser gave no position
    column: int  # 1-based; 0 when unknown
    message: str
    hint: str
    source: str  # the offending line as written


def explain(exc: yaml.YAMLError, text: str) -> SyntaxExplained:
    """Turn a PyYAML error on `text` into a position, a message and a plain-English hint."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    message = f"YAML syntax error: {problem}"
    marks = [m for m in (getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None))
             if m is not None]  # fmt: skip
    lines = text.splitlines()
    bad = UNPRINTABLE.search(text)
    if isinstance(exc, yaml.reader.ReaderError) and bad:
        line = text.count("\n", 0, bad.start())
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1)
        return SyntaxExplained(
            line + 1, column + 1,
            f"YAML syntax error: an invisible control character (U+{ord(bad.group()):04X})",
            "delete it: retype the line, or the characters around the caret. It often comes "
            "from text pasted out of another program.",
            lines[line] if line < len(lines) else "",
        )  # fmt: skip
    if not marks:
        return SyntaxExplained(0, 0, message, "", "")

    def source(mark) -> str:
        return lines[mark.line] if mark.line < len(lines) else ""

    for mark in marks:
        line = source(mark)
        tab = line.find("\t")
        if tab != -1 and not line[:tab].strip():
            return SyntaxExplained(
                mark.line + 1, tab + 1, message,
                "this line is indented with a tab: YAML only allows spaces for indenting. "
                "Replace the tab with spaces (set your editor to insert spaces).",
                line,
            )  # fmt: skip
    first = marks[0]
    if "duplicate key" in problem:
        return SyntaxExplained(
            first.line + 1, first.column + 1, message,
            "each field can appear only once at this level: keep one of them.",
            source(first),
        )  # fmt: skip
    for mark in marks:
        line = source(mark)
        quoted = _needs_quotes(line)
        if quoted:
            why, fixed, start, column = quoted
            return SyntaxExplained(
                mark.line + 1, column + 1, message, f"{why}:\n{line[:start].strip()} {fixed}", line
            )
    for mark in marks:
        line = source(mark)
        flow = _flow_fix(line, mark.column)
        if flow:
            column, fixed = flow
            return SyntaxExplained(
                mark.line + 1, column + 1, message,
                "this line is a mapping written between { and }, where a value that contains "
                '": " or a comma, or that starts with a quote, must be in quotes:\n'
                + fixed.strip(),
                line,
            )  # fmt: skip
    for mark in marks:
        line = source(mark)
        opener = _unclosed(line)
        if opener != -1:
            return SyntaxExplained(
                mark.line + 1, opener + 1, message,
                f"the {line[opener]} on this line is never closed: end it with "
                f"{_CLOSERS[line[opener]]} on the same line (or put a text value in quotes).",
                line,
            )  # fmt: skip
    if "expected ':'" in problem:  # "while scanning a simple key": the key's line lacks ": "
        key = marks[-1]
        return SyntaxExplained(
            key.line + 1, key.column + 1, message,
            'this line has no ": " after its field name. Write the field as name: value, '
            "with a space after the colon.",
            source(key),
        )  # fmt: skip
    if any(word in problem for word in _STRUCTURE_WORDS):
        return _structure(lines, first.line, first.column, message)
    return SyntaxExplained(first.line + 1, first.column + 1, message, "", source(first))


def _flow_fix(line: str, column: int) -> tuple[int, str] | None:
    """In a one-line {...} mapping, the value at `column` quoted: (its column, fixed line)."""
    keys = [m for m in _FLOW_KEY.finditer(line) if m.end() <= column]
    if not keys:
        return None
    start = keys[-1].end()
    after = _FLOW_KEY.search(line, max(column, start))
    close = line.rfind("}")
    end = after.start() if after else close if close > start else len(line)
    value = line[start:end].rstrip()
    if (
        not value
        or value[0] in "\"'"
        and (_DOUBLE_QUOTED if value[0] == '"' else _SINGLE_QUOTED).match(value)
    ):
        return None
    return start, line[:start] + _quote(value) + line[start + len(value) :]


def _unclosed(line: str) -> int:
    """The column of a { or [ that the line does not close, or -1."""
    depth: list[int] = []
    for i, ch in enumerate(line):
        if ch in _CLOSERS:
            depth.append(i)
        elif ch in "}]" and depth:
            depth.pop()
    return depth[0] if depth else -1


def _structure(lines: list[str], index: int, column: int, message: str) -> SyntaxExplained:
    """The parser lost track of the structure: a missing `: ` on the line above, or indent."""
    written = [i for i in range(min(index, len(lines))) if lines[i].strip()[:1] not in ("", "#")]
    above_index = written[-1] if written else None
    here = lines[index] if index < len(lines) else ""
    if above_index is not None and index < len(lines):
        above = lines[above_index]
        bare = above.strip().removeprefix("- ")
        no_colon = ": " not in bare and not bare.endswith(":")
        if (
            _indent(above) == _indent(here)
            and no_colon
            and bare[:1] not in "\"'[{|>"
            and _starts_a_field(lines, written[:-1], above)
        ):
            return SyntaxExplained(
                above_index + 1, _indent(above) + 1, message,
                f'line {above_index + 1} has no ": " after its field name, so YAML reads line '
                f"{index + 1} as part of its value. Write the field as name: value, with a "
                "space after the colon.",
                above,
            )  # fmt: skip
    return SyntaxExplained(index + 1, column + 1, message, _indent_hint(lines, index), here)


def _needs_quotes(line: str) -> tuple[str, str, int, int] | None:
    """If the line's value needs quotes: why, the value as it should be written, and the
    0-based columns where the value starts and of the character that is the trouble."""
    m = _KEY_VALUE.match(line)
    if not m:
        return None
    value = m.group("value").rstrip()
    start = m.start("value")
    first = value[0]
    quoted = {'"': _DOUBLE_QUOTED, "'": _SINGLE_QUOTED}.get(first)
    if quoted and quoted.match(value):
        return None
    if quoted and value.count(first) == 1:
        why = f"this value opens a quote ({first}) that is never closed. Close it"
        return why, value + first, start, start
    if quoted:
        closed = value.index(first, 1) + 1
        after = closed + len(value[closed:]) - len(value[closed:].lstrip())
        why = (
            f"this value starts with a quote ({first}), so YAML expects that quote to close "
            "the whole value. If the quotes are part of the text, put the whole value in the "
            "other kind of quotes"
        )
        return why, _quote(value), start, start + after
    if first in _INDICATORS:
        closes = {"[": "]", "{": "}"}.get(first)
        if closes and value.endswith(closes):
            return None
        why = f"{_INDICATORS[first]}. If it is text, put the whole value in quotes"
        return why, _quote(value), start, start
    if ": " in value or value.endswith(":"):
        why = 'contains ": "' if ": " in value else 'ends with ":"'
        why = (
            f"this value {why}, which YAML reads as the start of another field. "
            "Put the whole value in quotes"
        )
        colon = value.find(": ")
        return why, _quote(value), start, start + (colon if colon != -1 else len(value) - 1)
    return None


def _quote(value: str) -> str:
    """The value in YAML quotes: double unless it holds a double quote or a backslash."""
    if '"' in value or "\\" in value:
        return "'" + value.replace("'", "''") + "'"
    return f'"{value}"'


def _starts_a_field(lines: list[str], before: list[int], line: str) -> bool:
    """Whether `line` stands where a field name belongs (not in a value's continuation)."""
    if not before:
        return True
    prev = lines[before[-1]]
    key = _KEY_VALUE.match(prev) or prev.rstrip().endswith(":")
    if _indent(prev) == _indent(line):
        return bool(key)
    return _indent(prev) < _indent(line) and prev.rstrip().endswith(":")


def _indent_hint(lines: list[str], index: int) -> str:
    """Say how this line's indent differs from the line above it."""
    if index >= len(lines):
        return (
            "the file ended in the middle of something: look for a [ or { that is never "
            "closed, or a quote that is never closed."
        )
    here = _indent(lines[index])
    above = next((ln for ln in reversed(lines[:index]) if ln.strip() and
                  not ln.lstrip().startswith("#")), None)  # fmt: skip
    hint = (
        "check the indentation: fields at the same level must start in the same column, "
        "indented with spaces, and a field's value on the lines below it indented further"
    )
    if above is not None and _indent(above) != here:
        hint += (
            f". This line starts at column {here + 1}, the line above it at column "
            f"{_indent(above) + 1}"
        )
    return hint + "."


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def report_syntax_error(
    problems: Problems, file: str, exc: yaml.YAMLError, text: str, line_offset: int = 0
) -> None:
    """Add `exc` as a syntax problem of `file`, whose parsed text starts at `line_offset`."""
    x = explain(exc, text)
    problems.add(
        file,
        x.line + line_offset if x.line else 0,
        "",
        x.message,
        column=x.column,
        hint=x.hint,
        source=x.source,
        syntax=True,
    )
