"""Which HTML an author may write, one allowlist read twice: by `scan` (to report what an
author wrote outside it, at file:line) and by `clean` (nh3, to remove it from the package
whatever the scan missed). Anything not listed is refused, so a new browser feature or a
parser quirk cannot slip a script through a list of forbidden things.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
TAGS = frozenset(
    {
        "a", "abbr", "article", "aside", "audio", "b", "bdi", "bdo", "blockquote", "br",
        "caption", "cite", "code", "col", "colgroup", "data", "dd", "del", "details", "dfn",
        "div", "dl", "dt", "em", "figcaption", "figure", "footer", "header", "hgroup", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt",
        "ruby", "s", "samp", "small", "source", "span", "strong", "sub", "summary", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "track", "u", "ul",
        "var", "video", "wbr", *_HEADINGS,
    }
)  # fmt: skip
# Removed with everything inside them (the rest of what is not in TAGS keeps its text).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "object", "embed", "svg", "math", "noscript",
     "textarea", "select", "title", "frameset", "frame", "applet"}
)  # fmt: skip
GENERIC_ATTRIBUTES = frozenset({"class", "lang", "title", "dir", "role"})
GENERIC_PREFIX = "aria-"
# What an author may write on each tag (besides the generic ones).
ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "hreflang", "target", "rel"}),
    "img": frozenset({"src", "alt", "width", "height", "loading"}),
    "audio": frozenset({"src", "controls", "preload", "loop", "muted"}),
    "video": frozenset({"src", "controls", "preload", "loop", "muted", "width", "height",
                        "poster"}),
    "source": frozenset({"src", "type", "media"}),
    "track": frozenset({"src", "kind", "srclang", "label", "default"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "time": frozenset({"datetime"}),
    "data": frozenset({"value"}),
    "del": frozenset({"datetime"}),
    "ins": frozenset({"datetime"}),
    "details": frozenset({"open"}),
}  # fmt: skip
# What the Markdown renderer itself writes and authors may not: heading ids (anchors, in
# the form ANCHOR_ID_RE) and a table column's alignment (style, text-align only).
_GENERATED: dict[str, frozenset[str]] = {
    **{h: frozenset({"id"}) for h in _HEADINGS},
    "td": frozenset({"style"}),
    "th": frozenset({"style"}),
}
ANCHOR_ID_RE = re.compile(r"^page-[a-z0-9][a-z0-9-]*\.[\w-]+$")
# Attributes whose URL the browser loads by itself: they must be files of the package.
RESOURCE_ATTRIBUTES = {"img": "src", "audio": "src", "video": "src", "source": "src",
                       "track": "src"}  # fmt: skip
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def url_attribute(tag: str, attr: str) -> bool:
    return (
        (tag == "a" and attr == "href")
        or RESOURCE_ATTRIBUTES.get(tag) == attr
        or (tag == "video" and attr == "poster")
    )


def allowed_attribute(tag: str, attr: str) -> bool:
    return (
        attr in GENERIC_ATTRIBUTES
        or attr.startswith(GENERIC_PREFIX)
        or attr in ATTRIBUTES.get(tag, ())
    )


@dataclass(frozen=True)
class StartTag:
    """One start tag of an author's HTML: its line within the fragment (0-based), name and
    attributes (values unescaped, as a browser reads them)."""

    line: int
    tag: str
    attrs: tuple[tuple[str, str | None], ...]


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[StartTag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(StartTag(self.getpos()[0] - 1, tag, tuple(attrs)))

    handle_startendtag = handle_starttag


def scan(fragment: str) -> list[StartTag]:
    """The start tags of a fragment of raw HTML (Python's tokenizer: linear time)."""
    scanner = _Scanner()
    scanner.feed(_without_comments(fragment))
    scanner.close()
    return scanner.tags


def _without_comments(html: str) -> str:
    """Comments blanked out (newlines kept, for line numbers): html.parser re-reads the rest
    of the text at every `<` after an unclosed `<!--` (23 s on 126 KB of them). A browser
    ends a comment at `-->` or `--!>`, or at the end of the text."""
    out: list[str] = []
    at = 0
    while (start := html.find("<!--", at)) != -1:
        closes = [e + len(m) for m in ("-->", "--!>") if (e := html.find(m, start + 2)) != -1]
        end = min(closes) if closes else len(html)
        out.append(html[at:start])
        out.append("\n" * html.count("\n", start, end))
        at = end
    out.append(html[at:])
    return "".join(out)


def rejected(tag: StartTag) -> Iterator[str]:
    """What in one start tag is outside the allowlist, as messages for the author."""
    if tag.tag not in TAGS:
        if tag.tag == "script":
            yield "raw <script> is not allowed in course text"
        else:
            yield f"<{tag.tag}> is not allowed in course text (it is removed from the package)"
        return
    for name, _ in tag.attrs:
        if allowed_attribute(tag.tag, name):
            continue
        if name.startswith("on"):
            yield f"event-handler attribute {name}= on <{tag.tag}> is not allowed"
        elif name == "style":
            yield f"style= on <{tag.tag}> is not allowed: use the theme's stylesheet"
        else:
            yield f"attribute {name}= on <{tag.tag}> is not allowed"


def clean(html: str, urls: Mapping[str, str | None]) -> str:
    """The package's HTML: `html` with everything outside the allowlist removed. `urls` maps
    URLs as the author wrote them in raw HTML to their package form (None: drop it)."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=_NH3_ATTRIBUTES,
        generic_attribute_prefixes={GENERIC_PREFIX},
        attribute_filter=_filter(urls),
        url_schemes=set(LINK_SCHEMES),
        link_rel=None,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )


_NH3_ATTRIBUTES = {
    "*": set(GENERIC_ATTRIBUTES),
    **{
        tag: set(ATTRIBUTES.get(tag, frozenset()) | _GENERATED.get(tag, frozenset()))
        for tag in {*ATTRIBUTES, *_GENERATED}
    },
}


def _filter(urls: Mapping[str, str | None]) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attr: str, value: str) -> str | None:
        if url_attribute(tag, attr):
            value = urls.get(value, value)
            if value is None:
                return None
            if tag != "a" and not value.startswith("media/"):
                return None  # a resource that is not a package file: never loaded
            return value
        if attr == "id":
            return value if ANCHOR_ID_RE.match(value) else None
        if attr == "target":
            return "_blank" if value == "_blank" else None
        return value

    return keep
