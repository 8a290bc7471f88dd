"""Where an author's link or image points, as the package sees it.

Pages link to each other by file name (`04-power.md`, `04-power.md#a-heading`) so the links
work in any Markdown editor; in the package they become player anchors (`#page-power`,
`#page-power.a-heading`). Images, audio and video must be files of the course's media/
folder: the package has to work offline, inside an LMS, so nothing is loaded from elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from .html_policy import LINK_SCHEMES

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
# The player's own steps, which a link may name directly (#page-quiz).
PLAYER_STEPS = ("quiz", "evaluation", "results", "certificate")


class LinkError(ValueError):
    """A link or resource the package cannot use; the message is for the author."""


@dataclass(frozen=True)
class Anchor:
    """A link to a heading, checked once every page's headings are known."""

    file: str
    line: int
    field: str
    href: str
    page_id: str
    slug: str


@dataclass
class LinkContext:
    """What one text's links may point at, and what they were found to point at."""

    course_dir: Path
    page_ids_by_file: dict[str, str]  # "04-power.md" -> "power"
    page_id: str | None = None  # the page being rendered (None: a quiz or evaluation text)
    media: set[str] = field(default_factory=set)  # collected: paths under media/
    anchors: list[Anchor] = field(default_factory=list)  # collected: links to headings
    headings: set[str] = field(default_factory=set)  # collected: the page's heading anchors
    parsed: bool = True  # False: the text was not parsed (too long), its headings are unknown


def slug(text: str) -> str:
    """A heading's anchor as GitHub and VS Code make it: lower case, punctuation dropped,
    spaces to hyphens (so `04-power.md#why-it-matters` works in the editor's preview too)."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def external(url: str) -> bool:
    return bool(_SCHEME.match(url)) or url.startswith("//")


def resolve_link(url: str, from_file: str, links: LinkContext) -> tuple[str, Anchor | None]:
    """A link's href in the package, and the heading it needs (checked later)."""
    m = _SCHEME.match(url)
    if m:
        if m.group(1).lower() not in LINK_SCHEMES:
            raise LinkError(
                f"link to {url!r}: {m.group(1)}: links are not allowed "
                "(use https:, http:, mailto: or tel:)"
            )
        return url, None
    if url.startswith("//"):
        return "https:" + url, None
    parts = urlsplit(url)
    path, fragment = unquote(parts.path), unquote(parts.fragment)
    if not path:
        return _anchor(url, links.page_id, fragment, from_file, links)
    target = PurePosixPath(path)
    if target.suffix == ".md":
        page_id = links.page_ids_by_file.get(target.name)
        if page_id is None or target.parent not in (PurePosixPath("."), PurePosixPath("../pages")):
            raise LinkError(f"link to {url!r}: no such page in pages/")
        if not fragment:
            return f"#page-{page_id}", None
        return _anchor(url, page_id, fragment, from_file, links)
    if not target.suffix:
        for file_name, page_id in links.page_ids_by_file.items():
            if target.name in (file_name[:-3], page_id):
                raise LinkError(
                    f"link to {url!r}: a link to a page names its file, with .md: "
                    f"{file_name}" + (f"#{fragment}" if fragment else "")
                )
    return resolve_media(url, from_file, links), None


def _anchor(
    url: str, page_id: str | None, fragment: str, from_file: str, links: LinkContext
) -> tuple[str, Anchor | None]:
    if fragment.startswith("page-") and (
        fragment[5:] in links.page_ids_by_file.values() or fragment[5:] in PLAYER_STEPS
    ):
        return f"#{fragment}", None  # a step of the player, named directly
    if page_id is None:
        raise LinkError(
            f"link to {url!r}: name the page the heading is on, e.g. 02-topic.md#{fragment}"
        )
    return f"#page-{page_id}.{fragment}", Anchor(from_file, 0, "", url, page_id, fragment)


def resolve_media(src: str, from_file: str, links: LinkContext) -> str:
    """A resource's path in the package (`media/...`), or LinkError."""
    if external(src):
        scheme = _SCHEME.match(src)
        if scheme and scheme.group(1).lower() in ("data", "javascript", "vbscript"):
            raise LinkError(f"{src[:40]!r}: {scheme.group(1)}: URLs are not allowed")
        raise LinkError(
            f"{src!r}: an external file: the package must work offline, so copy it "
            "into media/ and name it from there"
        )
    rel = PurePosixPath(unquote(urlsplit(src).path))
    joined = _normalise(PurePosixPath(from_file).parent / rel)
    if joined is None or not joined.parts or joined.parts[0] != "media":
        raise LinkError(f"{src!r}: media files must be in the course's media/ folder")
    path = links.course_dir.joinpath(*joined.parts)
    if not path.is_file():
        raise LinkError(f"{src!r}: file not found ({joined})")
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
