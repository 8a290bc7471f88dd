"""Markdown to HTML for pages and quiz texts, with the author checks that need the parse tree.

Markdown links and images, and the same attributes of raw HTML tags, go through the same
checks (lmspack.course.links); raw HTML is checked against the allowlist of html_policy and
the rendered HTML is then cleaned by it, so what reaches a learner is allowlisted HTML
whatever the checks missed. Problems are reported with their file and line.
"""

from __future__ import annotations

import re
from dataclasses import replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import html_policy
from .errors import Problems
from .links import LinkContext, LinkError, external, resolve_link, resolve_media, slug


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": True}).enable(
        ["table", "strikethrough", "replacements", "smartquotes"]
    )
    # Every URL becomes a token, so that a javascript: or data: one is reported, not
    # silently shown as text; the checks below decide which are allowed.
    md.validateLink = lambda url: True
    # markdown-it-py's inline rules try every `[`, `![` and `<` against the rest of the
    # paragraph: 60 KB of `![` took 11 s, a 150 KB unclosed tag 8 s. A link's text or a tag
    # that does not close within a few KB is read as plain text instead.
    for name, closer, window in (("link", "]", 2000), ("image", "]", 2000),
                                 ("html_inline", ">", 4000)):  # fmt: skip
        md.inline.ruler.at(name, _within(md.inline.ruler, name, closer, window))
    md.core.ruler.at("smartquotes", _bounded_quotes(md.core.ruler))
    return md


def _bounded_quotes(ruler):
    """Smart quotes rebuild a text once per quote: 40,000 quotes in one paragraph took 11 s.
    A paragraph with that many keeps its straight quotes."""
    rule = next(r.fn for r in ruler.__rules__ if r.name == "smartquotes")

    def costly(token: Token) -> bool:
        return any(
            c.type == "text"
            and (c.content.count('"') + c.content.count("'")) * len(c.content) > 50_000_000
            for c in token.children or ()
        )

    def guarded(state) -> None:
        hidden = [t for t in state.tokens if t.type == "inline" and costly(t)]
        for t in hidden:
            t.type = "inline_plain"
        try:
            rule(state)
        finally:
            for t in hidden:
                t.type = "inline"

    return guarded


def _within(ruler, name: str, closer: str, window: int):
    rule = next(r.fn for r in ruler.__rules__ if r.name == name)

    def guarded(state, silent: bool) -> bool:
        if state.src.find(closer, state.pos, state.pos + window) == -1:
            return False
        return rule(state, silent)

    return guarded


_MD = _parser()
# The Markdown parser's time grows faster than the text on some inputs: a bound on one text
# keeps every check within seconds (the workshop's longest page is 7 KB).
MAX_TEXT = 64_000


class _Render:
    """One text being rendered: where it is, and what its raw HTML's URLs become."""

    def __init__(self, file: str, offset: int, links: LinkContext, problems: Problems, field: str):
        self.file, self.offset, self.links = file, offset, links
        self.problems, self.field = problems, field
        self.urls: dict[str, str | None] = {}
        self.slugs: dict[str, int] = {}

    def add(self, line: int, message: str) -> None:
        self.problems.add(self.file, line, self.field, message)

    def line(self, token: Token, parent: Token | None, breaks: int = 0) -> int:
        """`breaks`: the line breaks before an inline token within its paragraph."""
        source = token.map or (parent.map if parent is not None else None)
        return (source[0] + 1 + self.offset + breaks) if source else self.offset + 1 + breaks

    def link(self, url: str, line: int) -> str | None:
        try:
            new, anchor = resolve_link(url, self.file, self.links)
        except LinkError as exc:
            self.add(line, str(exc))
            return None
        if anchor is not None:
            self.links.anchors.append(replace(anchor, line=line, field=self.field))
        return new

    def media(self, src: str, line: int) -> str | None:
        try:
            return resolve_media(src, self.file, self.links)
        except LinkError as exc:
            self.add(line, str(exc))
            return None

    def check(
        self, token: Token, parent: Token | None, tokens: list[Token], i: int, breaks: int = 0
    ) -> None:
        line = self.line(token, parent, breaks)
        if token.type in ("html_block", "html_inline"):
            self.raw_html(token.content, line)
        elif token.type == "heading_open" and self.links.page_id and i + 1 < len(tokens):
            self.heading(token, tokens[i + 1])
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            new = self.link(href, line) if href else None
            if new is not None:
                token.attrSet("href", new)
            if external(href):
                token.attrSet("rel", "noopener")
                token.attrSet("target", "_blank")
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            new = self.media(src, line)
            if new is not None:
                token.attrSet("src", new)
            token.attrSet("loading", "lazy")
            if not token.content.strip():
                self.add(line, f"image {src!r} needs alt text: ![what it shows](...)")

    def heading(self, token: Token, inline: Token) -> None:
        """Headings get ids, so `page.md#heading` links land on them."""
        base = slug(inline.content) or "section"
        n = self.slugs.get(base, 0)
        self.slugs[base] = n + 1
        name = base if n == 0 else f"{base}-{n}"
        token.attrSet("id", f"page-{self.links.page_id}.{name}")
        self.links.headings.add(name)

    def raw_html(self, content: str, line: int) -> None:
        for tag in html_policy.scan(content):
            at = line + tag.line
            for message in html_policy.rejected(tag):
                self.add(at, message)
            attrs = dict(tag.attrs)
            for name, value in tag.attrs:
                if value is None or not html_policy.url_attribute(tag.tag, name):
                    continue
                self.urls[value] = self.link(value, at) if tag.tag == "a" else self.media(value, at)
            if tag.tag == "img" and not (attrs.get("alt") or "").strip():
                self.add(at, f'image {attrs.get("src") or ""!r} needs alt text: <img alt="...">')


def render_markdown(
    text: str,
    *,
    file: str,
    line_offset: int,
    links: LinkContext,
    problems: Problems,
    field_name: str = "body",
    inline: bool = False,
) -> str:
    """Render and check `text` (`line_offset`: the line before it in `file`); `inline` for
    short texts (prompts, options, feedback): no paragraph around them."""
    render = _Render(file, line_offset, links, problems, field_name)
    if len(text) > MAX_TEXT:
        render.add(
            line_offset + 1,
            f"is {len(text) // 1000:,} KB of text: at most {MAX_TEXT // 1000} KB (about "
            "10,000 words); split it into several pages",
        )
        links.parsed = False
        return ""
    env: dict = {}
    tokens = _MD.parseInline(text, env) if inline else _MD.parse(text, env)
    for i, token in enumerate(tokens):
        render.check(token, None, tokens, i)
        children = token.children or []
        breaks = 0
        for j, child in enumerate(children):
            render.check(child, token, children, j, breaks)
            breaks += child.content.count("\n") if child.type != "softbreak" else 1
            breaks += child.type == "hardbreak"
    html = _MD.renderer.render(tokens, _MD.options, env)
    return html_policy.clean(html, render.urls)


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9’'-]+", text))


__all__ = ["LinkContext", "render_markdown", "word_count"]
