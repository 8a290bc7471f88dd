"""Markdown to HTML for pages, with the author checks that need the parse tree.

Links between pages are written as file names (`04-power.md`) so they work in any
Markdown editor; here they become in-package anchors, and media paths become
package paths. Broken links, missing media and `<script>` are reported with lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .errors import Problems

_SCRIPT = re.compile(r"<\s*script\b", re.I)
_EVENT_ATTR = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


@dataclass
class LinkContext:
    """What a page's links may point at."""

    course_dir: Path
    page_ids_by_file: dict[str, str]  # "04-power.md" -> "power"
    media: set[str] = field(default_factory=set)  # collected: paths under media/


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True, "typographer": True}).enable(
        ["table", "strikethrough", "replacements", "smartquotes"]
    )


_MD = _parser()


def _line(token: Token, parent: Token | None, offset: int) -> int:
    source = token.map or (parent.map if parent is not None else None)
    return (source[0] + 1 + offset) if source else offset + 1


def render_markdown(
    text: str,
    *,
    file: str,
    line_offset: int,
    links: LinkContext,
    problems: Problems,
    field_name: str = "body",
) -> str:
    """Render `text` and check it; `line_offset` is the line before the text in `file`."""
    tokens = _MD.parse(text)
    page_dir = PurePosixPath(file).parent
    for token in tokens:
        _check_token(token, None, file, line_offset, links, page_dir, problems, field_name)
        for child in token.children or ():
            _check_token(child, token, file, line_offset, links, page_dir, problems, field_name)
    return _MD.renderer.render(tokens, _MD.options, {})


def render_inline(text: str) -> str:
    """Short texts (option labels, prompts): inline Markdown, no block wrapper."""
    return _MD.renderInline(text)


def _check_token(
    token: Token,
    parent: Token | None,
    file: str,
    offset: int,
    links: LinkContext,
    page_dir: PurePosixPath,
    problems: Problems,
    field_name: str,
) -> None:
    line = _line(token, parent, offset)
    if token.type in ("html_block", "html_inline"):
        if _SCRIPT.search(token.content):
            problems.add(file, line, field_name, "raw <script> is not allowed in course text")
        elif _EVENT_ATTR.search(token.content):
            problems.add(
                file, line, field_name, "event-handler attributes (on...=) are not allowed"
            )
    elif token.type == "link_open":
        href = str(token.attrGet("href") or "")
        new = _resolve_link(href, file, line, links, page_dir, problems, field_name)
        if new is not None:
            token.attrSet("href", new)
        if _EXTERNAL.match(href):
            token.attrSet("rel", "noopener")
            token.attrSet("target", "_blank")
    elif token.type == "image":
        src = str(token.attrGet("src") or "")
        new = _resolve_media(src, file, line, links, page_dir, problems, field_name)
        if new is not None:
            token.attrSet("src", new)
        token.attrSet("loading", "lazy")
        if not token.content.strip():
            problems.add(
                file, line, field_name, f"image {src!r} needs alt text: ![what it shows](...)"
            )


def _resolve_link(
    href: str,
    file: str,
    line: int,
    links: LinkContext,
    page_dir: PurePosixPath,
    problems: Problems,
    field_name: str,
) -> str | None:
    if not href or href.startswith("#") or _EXTERNAL.match(href) or href.startswith("//"):
        return None
    parts = urlsplit(href)
    target = PurePosixPath(unquote(parts.path))
    if target.suffix == ".md":
        page_id = links.page_ids_by_file.get(target.name)
        if page_id is None or (
            target.parent not in (PurePosixPath("."), PurePosixPath("../pages"))
        ):
            problems.add(file, line, field_name, f"link to {href!r}: no such page in pages/")
            return None
        return f"#page-{page_id}"
    return _resolve_media(href, file, line, links, page_dir, problems, field_name)


def _resolve_media(
    src: str,
    file: str,
    line: int,
    links: LinkContext,
    page_dir: PurePosixPath,
    problems: Problems,
    field_name: str,
) -> str | None:
    if not src or _EXTERNAL.match(src) or src.startswith("//"):
        return None
    rel = PurePosixPath(unquote(urlsplit(src).path))
    joined = _normalise(page_dir / rel)
    if joined is None or not joined.parts or joined.parts[0] != "media":
        problems.add(
            file, line, field_name, f"{src!r}: media files must be in the course's media/ folder"
        )
        return None
    path = links.course_dir.joinpath(*joined.parts)
    if not path.is_file():
        problems.add(file, line, field_name, f"{src!r}: file not found ({joined})")
        return None
    links.media.add(str(joined))
    return str(joined)


def _normalise(path: PurePosixPath) -> PurePosixPath | None:
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return PurePosixPath(*parts) if parts else None


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9’'-]+", text))
