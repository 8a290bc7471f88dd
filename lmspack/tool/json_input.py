"""Parse a request's JSON body without trusting its shape: depth and size are capped before
the parser recurses, and every string in it must be printable (lmspack.printable).

    body = parse_body(request.get_data(cache=False), max_bytes=MAX_BODY)  # raises BodyError

Why not `request.get_json()`: Python's json module recurses once per nested array/object,
so a 100,000-deep `[[[[...]]]]` (200 KB) raises RecursionError, a 500 on every endpoint that
reads a body. Here the nesting is measured first, on the text with its strings blanked out,
with a regex and a running count, so the cost is linear and no recursion happens.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..printable import problem

MAX_DEPTH = 32  # the player's deepest body is 3 levels ({"reflections": {id: text}})
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # unrolled: linear, no backtracking
_BRACKETS = re.compile(r"[\[\]{}]")


class BodyError(ValueError):
    """A body refused: the message is for the caller, the status is 400 or 413."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def too_deep(text: str, limit: int) -> bool:
    """Is any array/object in this JSON text nested more than `limit` deep? (Brackets in
    strings are ignored; the scan stops at the first bracket past the limit.)"""
    depth = 0
    for m in _BRACKETS.finditer(_STRING.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def unprintable(value: Any, path: str = "body") -> str | None:
    """Where the first unprintable string is, and what is wrong with it; None if all is well.
    Walks with an explicit stack (the depth is already capped, but this never recurses)."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, str):
            why = problem(v)
            if why:
                return f"{where} contains {why}"
        elif isinstance(v, dict):
            for k, item in v.items():
                why = problem(k)
                if why:
                    return f"a field name in {where} contains {why}"
                stack.append((f"{where}.{k}", item))
        elif isinstance(v, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(v))
    return None


def parse_body(data: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of a request body, or BodyError saying plainly what is wrong."""
    if len(data) > max_bytes:
        raise BodyError(f"The request is larger than {max_bytes // 1024} KB.", 413)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"The body is not valid UTF-8 (at byte {exc.start}).") from None
    if too_deep(text, max_depth):
        raise BodyError(f"The JSON body is nested more than {max_depth} levels deep.")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BodyError("The body must be JSON (Content-Type: application/json).") from None
    where = unprintable(value)
    if where:
        raise BodyError(f"Text refused: {where}. Please remove it and try again.")
    return value
