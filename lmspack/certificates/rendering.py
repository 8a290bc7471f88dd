"""Jinja2 template + CSS -> tagged PDF with WeasyPrint, with the slow parts done once.

A `PdfTemplate` keeps the parsed Jinja2 template, the parsed stylesheet and WeasyPrint's font
configuration for the life of the process, so each document only pays for layout and PDF
writing. Every PDF is PDF/UA-1: tagged (structure tree, /MarkInfo /Marked true), with the
document language from ``<html lang>`` and the title from ``<title>`` (shown as the window
title), and its fonts embedded.

Nothing is fetched from the network while rendering: only ``data:`` and ``file:`` URLs (the
theme's own files) are allowed.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from ..render import default_theme, environment
from .snapshot import hours_and_minutes

PDF_OPTIONS: dict[str, Any] = {
    "pdf_variant": "pdf/ua-1",
    "pdf_tags": True,  # pdf/ua-1 only defaults it when the option is None; WeasyPrint's is False
    "custom_metadata": True,
}


class PageOverflow(RuntimeError):
    """The document needs more pages than allowed, even in its tightest layout. `pdf` is that
    layout over the pages it needs, for a caller that would rather serve it than nothing."""

    def __init__(self, message: str, pdf: bytes):
        super().__init__(message)
        self.pdf = pdf


def long_date(value: date | datetime) -> str:
    """26 November 2026 (the en-GB long form, without the locale module)."""
    return f"{value.day} {value:%B %Y}"


def balanced_width(text: str, line_em: float = 44.0, char_em: float = 0.5) -> float:
    """A max-width (in em) that splits a long heading into lines of about equal length.

    WeasyPrint has no `text-wrap: balance`; this estimates from the character count (about
    half an em per character in a proportional font), so a two-line title breaks near its
    middle instead of leaving one word on the second line.
    """
    width = len(text) * char_em
    if width <= line_em:
        return line_em
    lines = -(-width // line_em)  # ceil
    return round(min(line_em, width / lines + 2.5), 1)


def iso_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_BETWEEN_TAGS = re.compile(r">[ \t]*\n\s*<")


def between_tags(markup: str) -> Markup:
    """Drop a line break and the indentation around it between two tags (`{% filter
    between_tags %}` around a template's markup). WeasyPrint makes a box of each such run of
    white space and then throws it away (about 1 ms of a certificate's ~75 ms on a 2-core
    machine, bench/certificates_bench.py). The page looks the same as long as no two inline
    elements are separated only by a line break (write a space on the same line instead).
    Escaped text never holds a raw `<` or `>`, so what a learner typed is left as it is."""
    return Markup(_BETWEEN_TAGS.sub("><", str(markup)))


def pdf_environment(theme: Path) -> jinja2.Environment:
    env = environment(theme)  # autoescape on, StrictUndefined
    env.filters["longdate"] = long_date
    env.filters["hm"] = hours_and_minutes
    env.filters["isotime"] = iso_time
    env.filters["balanced"] = balanced_width
    env.filters["between_tags"] = between_tags
    return env


class PdfTemplate:
    """One document type: `<name>.html.j2` + `<name>.css` in a theme folder.

    A course theme that doesn't override the certificate or record templates (or their
    stylesheet) gets the default theme's.
    """

    def __init__(self, theme: Path, template: str, stylesheet: str) -> None:
        default = default_theme()
        self.theme = theme
        self.env = pdf_environment(theme)  # the theme's templates, then the default's
        self.template = self.env.get_template(template)
        css_path = theme / stylesheet if (theme / stylesheet).is_file() else default / stylesheet
        self.base_url = str(css_path.parent) + "/"
        self.fetcher = URLFetcher(allowed_protocols={"data", "file"})
        self.font_config = FontConfiguration()
        self.stylesheets = [
            CSS(filename=str(css_path), font_config=self.font_config, url_fetcher=self.fetcher)
        ]
        # WeasyPrint's font configuration is not documented as thread-safe.
        self.lock = threading.Lock()

    def html(self, context: Mapping[str, Any]) -> str:
        return self.template.render(**context)

    def pdf(
        self,
        context: Mapping[str, Any],
        *,
        max_pages: int | None = None,
        densities: Sequence[str] = ("",),
    ) -> bytes:
        """Render, trying each density in turn until the document fits in `max_pages`."""
        if not densities:
            raise ValueError("at least one density")
        for n, density in enumerate(densities, start=1):
            source = self.html({**context, "density": density})
            with self.lock, collect_after():
                pdf, fits = self._render(source, max_pages, last=n == len(densities))
            if fits:
                return pdf
        raise PageOverflow(
            f"does not fit on {max_pages} page(s), even with density {density!r}", pdf
        )

    def _render(self, source: str, max_pages: int | None, last: bool) -> tuple[bytes, bool]:
        """(the PDF, whether it fits in `max_pages`). A layout that doesn't fit is written
        only when it is the `last` (tightest) one. (Its own function, so that the document is
        garbage once it returns, for `collect_after`.)"""
        document = HTML(string=source, base_url=self.base_url, url_fetcher=self.fetcher).render(
            font_config=self.font_config, stylesheets=self.stylesheets, **PDF_OPTIONS
        )
        fits = max_pages is None or len(document.pages) <= max_pages
        if not fits and not last:
            return b"", False
        return document.write_pdf(**PDF_OPTIONS), fits


_gc_lock = threading.Lock()
_gc_pauses = 0  # renders in progress (threads) that paused the collector
_gc_resume = False  # whether the first of them found it enabled


@contextmanager
def collect_after() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a document is rendered, then collect
    the youngest generation once.

    A render allocates a few hundred thousand objects that all die together, many in
    reference cycles. With the collector running, the young collections during the render
    find them alive and promote them, so every document's garbage ends up in the oldest
    generation, and about one render in twelve pays for a full collection of the whole
    heap (50-70 ms: the p95 of bench/certificates_bench.py). Paused, the render's objects
    stay young, and one young collection afterwards frees them (a few ms, on every render).
    Nested and concurrent renders (threads) count: the collector resumes after the last,
    and only if it was enabled before the first."""
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()
                gc.collect(0)


@lru_cache(maxsize=16)
def pdf_template(theme: Path | None, template: str, stylesheet: str) -> PdfTemplate:
    return PdfTemplate(theme or default_theme(), template, stylesheet)
