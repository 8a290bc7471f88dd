"""JSON Schemas for the course files, generated from shapes.py (what the loader reads), so an
editor (VS Code's YAML extension via a `# yaml-language-server: $schema=...` line) completes
fields and flags mistakes as the author types.

Draft-07, the newest draft yaml-language-server supports. What a schema cannot say (ids
unique, references to outcomes and pages, one correct answer) stays with `lmspack check`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .shapes import FILES, Field, ListOf, Shape

DRAFT = "http://json-schema.org/draft-07/schema#"
# Free text must hold something other than spaces (the loader strips it, then refuses "").
_NOT_BLANK = r"\S"


def schema_for(name: str) -> dict[str, Any]:
    """The JSON Schema document of one course file: `course`, `quiz`, ... (FILES' keys)."""
    shape = FILES[name]
    return {"$schema": DRAFT, "title": f"lmspack {shape.name}", **_shape(shape)}


def write_schemas(out_dir: Path) -> list[Path]:
    """Write `<name>.schema.json` for every course file into out_dir; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        path = out_dir / f"{name}.schema.json"
        path.write_text(json.dumps(schema_for(name), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def add_modelines(course_dir: Path, schemas_dir: Path) -> None:
    """Start each YAML file of the course with the line that names its schema (relative to
    the file, as yaml-language-server reads it). Pages are Markdown: editors do not read a
    schema line in front matter, so page.schema.json is for tools and editor settings."""
    for name in FILES:
        path = course_dir / f"{name}.yaml"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if not text.startswith("# yaml-language-server:"):
            path.write_text(modeline(course_dir, schemas_dir, name) + "\n" + text, encoding="utf-8")


def modeline(course_dir: Path, schemas_dir: Path, name: str) -> str:
    """The comment line that points `<course_dir>/<name>.yaml` at its schema."""
    target = Path(os.path.relpath(schemas_dir / f"{name}.schema.json", course_dir))
    return f"# yaml-language-server: $schema={target.as_posix()}"


def _shape(shape: Shape) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "object",
        "description": shape.about,
        "properties": {key: _field(f) for key, f in shape.fields.items()},
        "additionalProperties": False,
    }
    required = [k for k, f in shape.fields.items() if f.required and f.when is None]
    if required:
        result["required"] = required
    conditions = [_when(key, f) for key, f in shape.fields.items() if f.when is not None]
    if conditions:
        result["allOf"] = conditions
    return result


def _when(key: str, f: Field) -> dict[str, Any]:
    """`key` is required when `other` is one of `values`, and not allowed otherwise."""
    assert f.when is not None
    other, values = f.when
    return {
        "if": {"properties": {other: {"enum": list(values)}}, "required": [other]},
        "then": {"required": [key]},
        "else": {"not": {"required": [key]}},
    }


def _field(f: Field) -> dict[str, Any]:
    schema = _kind(f.kind, f)
    schema["description"] = f.about
    if not f.required and f.when is None:  # an optional key with no value (`intro:`) is unset
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        else:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            schema["type"] = [*types, "null"]
    return schema


def _kind(kind: Any, f: Field | None = None) -> dict[str, Any]:
    if isinstance(kind, Shape):
        return _shape(kind)
    if isinstance(kind, Field):
        return _kind(kind.kind, kind)
    if isinstance(kind, ListOf):
        schema: dict[str, Any] = {"type": "array", "items": _kind(kind.item)}
        if kind.min_items:
            schema["minItems"] = kind.min_items
        return schema
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        schema = {"type": "integer"}
        if f is not None and f.minimum is not None:
            schema["minimum"] = f.minimum
        if f is not None and f.maximum is not None:
            schema["maximum"] = f.maximum
        return schema
    if kind is str:
        if f is not None and f.choices:
            return {"enum": list(f.choices)}
        # A number is text to the loader (`version: 1.0`); pattern only applies to strings.
        pattern = f.pattern.pattern if f is not None and f.pattern else _NOT_BLANK
        schema = {"type": ["string", "number"], "pattern": pattern}
        if f is not None and f.max_length is not None:
            schema["maxLength"] = f.max_length
        return schema
    raise TypeError(f"no JSON Schema for {kind!r}")
