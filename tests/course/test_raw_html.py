"""Raw HTML in a page is checked like Markdown (issue 17 item 5), each mistake at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmspack.course import CourseError, load_course

PAGE = "pages/02-the-topic.md"


def add_to_page(course: Path, text: str) -> int:
    """Append `text` to the second page; the line number its first line lands on."""
    path = course / PAGE
    body = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    path.write_text(body + text + "\n", encoding="utf-8")
    return body.count("\n") + 1


def problems(course: Path) -> list[str]:
    with pytest.raises(CourseError) as info:
        load_course(course)
    return [str(p) for p in info.value.problems]


CASES = [
    ('<img src="../media/diagram.svg">', "image '../media/diagram.svg' needs alt text"),
    ('<p><img alt="x" src="media/diagram.svg"></p>', "media files must be in the course's media/"),
    ('<img alt="x" src="../media/nope.svg">', "'../media/nope.svg': file not found"),
    ('<a href="javascript:alert(1)">x</a>', "javascript: links are not allowed"),
    ("[x](javascript:alert(1))", "javascript: links are not allowed"),
    ("[x](JaVaScRiPt:alert(1))", "links are not allowed"),
    ('<img alt="d" src="data:image/png;base64,AAAA">', "data: URLs are not allowed"),
    ("![d](data:image/png;base64,AAAA)", "data: URLs are not allowed"),
    ('<img alt="e" src="https://example.org/x.png">', "the package must work offline"),
    ("![e](https://example.org/x.png)", "the package must work offline"),
    ('<video controls src="//example.org/x.mp4"></video>', "the package must work offline"),
    ("[back](01-welcome)", "a link to a page names its file, with .md: 01-welcome.md"),
    ('<a href="welcome">back</a>', "a link to a page names its file, with .md: 01-welcome.md"),
    ("[back](01-welcome.md#nope)", "page 'welcome' has no heading #nope"),
    ('<a href="02-the-topic.md#nope">x</a>', "page 'the-topic' has no heading #nope"),
    ("[here](#nope)", "page 'the-topic' has no heading #nope"),
]


@pytest.mark.parametrize(("text", "message"), CASES, ids=[c[0][:40] for c in CASES])
def test_each_mistake_is_reported_at_its_line(course_copy: Path, text: str, message: str) -> None:
    line = add_to_page(course_copy, text)
    found = problems(course_copy)
    assert any(p.startswith(f"{PAGE}:{line}: body: ") and message in p for p in found), found


def test_a_problem_on_a_later_line_of_a_paragraph_names_that_line(course_copy: Path) -> None:
    line = add_to_page(course_copy, "First line of a paragraph\nand <img src=x onerror=alert(1)>")
    found = problems(course_copy)
    assert any(p.startswith(f"{PAGE}:{line + 1}:") and "onerror=" in p for p in found), found


def test_page_links_keep_their_anchor_and_headings_get_ids(course_copy: Path) -> None:
    welcome = course_copy / "pages" / "01-welcome.md"
    welcome.write_text(
        welcome.read_text(encoding="utf-8") + "\nSee [the section](02-the-topic.md#a-section) "
        'and <a href="02-the-topic.md#a-section">again</a>.\n',
        encoding="utf-8",
    )
    add_to_page(course_copy, "Back to [the section](#a-section).")
    course = load_course(course_copy)
    assert course.page("welcome").html.count('href="#page-the-topic.a-section"') == 2
    topic = course.page("the-topic").html
    assert '<h2 id="page-the-topic.a-section">A section</h2>' in topic
    assert 'href="#page-the-topic.a-section"' in topic


def test_allowed_raw_html_with_media_is_rewritten_to_package_paths(course_copy: Path) -> None:
    add_to_page(
        course_copy,
        '<figure><img alt="Three circles" src="../media/diagram.svg">'
        "<figcaption>A diagram</figcaption></figure>",
    )
    html = load_course(course_copy).page("the-topic").html
    assert '<img alt="Three circles" src="media/diagram.svg">' in html
