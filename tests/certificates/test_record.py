"""The learner's CPD record: Markdown and PDF hold the reflections, safely escaped."""

from __future__ import annotations

import re
from datetime import date

import pytest
from markdown_it import MarkdownIt

from lmspack.certificates.record import (
    PEER_PLACEHOLDER,
    PRIVACY_REMINDER,
    md_escape,
    record_for,
    record_html,
    record_markdown,
    record_pdf,
)
from lmspack.certificates.snapshot import hours_and_minutes
from lmspack.course.model import REFLECTION_HEADINGS

from .conftest import font_problems, plain_text, reader

HOSTILE = (
    "I saw <script>alert('x')</script> in a case note\n"
    "=cmd|' /C calc'!A0\n"
    "# not a heading\n"
    "- not a list\n"
    "1. not numbered\n"
    "    not code\n"
    "> not a quote\n"
    "[a link](https://evil.example) ![img](x.png) **bold** `code` <b>bold</b> &amp; ~~gone~~\n"
    "---\n"
    "| a | table |"
)


@pytest.fixture(scope="module")
def answers(course) -> dict[str, str]:
    out = {}
    for i, r in enumerate(course.reflections):
        if r.heading != "peer":
            out[r.id] = f"Reflection {i}: what stayed with me was curiosity.\n{HOSTILE}"
    return out


@pytest.fixture(scope="module")
def record(course, answers):
    return record_for(
        course,
        learner_name="Amara <i>Okonkwo</i>",
        prework_completed_on=date(2026, 11, 20),
        score=86,
        answers=answers,
        live_session_date=date(2026, 12, 3),
        generated_on=date(2026, 12, 4),
    )


def render(markdown: str) -> str:
    # commonmark has raw HTML on (the dangerous case); add GFM tables and strikethrough
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def test_record_has_the_regulators_fields(record, course) -> None:
    assert [a.type for a in record.activities] == ["E-learning (pre-work)", "Live online workshop"]
    assert record.activities[1].mode == course.cpd.live_session_mode
    assert record.total_minutes == course.cpd.total_minutes
    assert record.dates == (date(2026, 11, 20), date(2026, 12, 3))
    assert [g.heading for g in record.groups()] == list(REFLECTION_HEADINGS)
    assert record.passed


def test_markdown_contains_everything(record, answers, course) -> None:
    md = record_markdown(record)
    html = render(md)
    for title in REFLECTION_HEADINGS.values():
        assert f"<h3>{title}</h3>" in html
    for i in range(len(answers)):
        assert f"Reflection {i}: what stayed with me was curiosity." in md
    assert PRIVACY_REMINDER in md
    assert PEER_PLACEHOLDER in md  # the peer reflection is empty: space is left for it
    assert "20 November 2026" in md and "3 December 2026" in md
    assert hours_and_minutes(course.cpd.total_minutes) in md
    assert "86% (passed; pass mark 80%)" in md
    for o in course.outcomes:
        assert o.text in md
    prework = hours_and_minutes(course.cpd.prework_minutes)
    assert f"| E-learning (pre-work) | Online, self-paced | 20 November 2026 | {prework} |" in md


def test_markdown_escapes_learner_text(record) -> None:
    md = record_markdown(record)
    html = render(md)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "<i>" not in html and "&lt;i&gt;Okonkwo" in html
    assert "=cmd\\|" in md and "=cmd|' /C calc'!A0" in html
    assert 'href="https://evil.example"' not in html and "<img" not in html
    assert "<strong>bold</strong>" not in html and "<code>" not in html
    assert "<blockquote>" in html  # ours, the privacy reminder...
    assert html.count("<blockquote>") == 1  # ...and no learner's
    assert html.count("<h1>") == 1 and html.count("<h2>") == 4 and html.count("<h3>") == 4
    assert html.count("<table>") == 1 and html.count("<hr />") == 0
    assert html.count("<ol>") == 1  # the outcomes, no learner-made list
    assert "<ul>" not in html and "<pre>" not in html and "<s>" not in html
    assert "# not a heading" in html and "- not a list" in html and "1. not numbered" in html


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("plain words", "plain words"),
        ("*star* _under_", "*star* _under_"),
        ("+ plus", "+ plus"),
        ("2) two", "2) two"),
        ("===", "==="),
        ("<!-- hidden -->", "&lt;!-- hidden --&gt;"),
        ("&copy;", "&amp;copy;"),
        ("line one\nline two", "line one<br />\nline two"),
        ("para one\n\n\n\npara two", "para one</p>\n<p>para two"),
    ],
)
def test_md_escape_is_inert(typed: str, shown: str) -> None:
    html = render(md_escape(typed))
    assert shown in html, html


def test_filled_peer_reflection_replaces_the_space(course, answers) -> None:
    peer = next(r for r in course.reflections if r.heading == "peer")
    rec = record_for(
        course,
        learner_name="A",
        prework_completed_on=date(2026, 11, 20),
        score=70,
        answers={**answers, peer.id: "We talked about staying curious."},
    )
    md = record_markdown(rec)
    assert PEER_PLACEHOLDER not in md and "We talked about staying curious." in md
    assert "70% (not passed; pass mark 80%)" in md
    assert "Not yet attended" in md  # no live session date given
    assert rec.total_minutes == course.cpd.prework_minutes


@pytest.fixture(scope="module")
def pdf(record) -> bytes:
    return record_pdf(record)


def test_pdf_is_tagged_portrait_a4_with_embedded_fonts(pdf, record) -> None:
    doc = reader(pdf)
    assert len(doc.pages) >= 2  # the reflections run over pages
    for page in doc.pages:
        box = page.mediabox
        assert abs(float(box.width) - 595) < 1 and abs(float(box.height) - 842) < 1
    root = doc.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "en-GB"
    assert "CPD record" in doc.metadata.title and record.title in doc.metadata.title
    assert font_problems(doc) == []


def test_pdf_contains_the_reflections_as_typed(pdf, answers) -> None:
    text = plain_text(reader(pdf))
    squashed = re.sub(r"\s+", "", text)
    for i in range(len(answers)):
        assert f"Reflection {i}: what stayed with me was curiosity." in text
    assert "<script>alert('x')</script>" in text  # shown as the text the learner typed
    assert "=cmd|'/C calc'!A0".replace(" ", "") in squashed
    assert "Amara <i>Okonkwo</i>" in text
    assert PRIVACY_REMINDER.replace(" ", "") in squashed
    for title in REFLECTION_HEADINGS.values():
        assert title in text


def test_pdf_html_is_autoescaped(record) -> None:
    html = record_html(record)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<i>Okonkwo" not in html and "&lt;i&gt;Okonkwo" in html


def test_nothing_done_yet(course) -> None:
    rec = record_for(course, learner_name="A", prework_completed_on=None, score=None, answers={})
    md = record_markdown(rec)
    assert "Not yet completed" in md and "Not yet attended" in md
    assert "Not taken." in md and "*(Not written yet.)*" in md
    assert rec.dates == () and rec.passed is None
    assert len(reader(record_pdf(rec)).pages) >= 1
