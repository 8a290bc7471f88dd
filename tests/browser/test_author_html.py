"""Author HTML that would run script does not run in a built SCORM package (issue 17 item 9).

The attacks go through the loader's own rendering (Markdown, checks, nh3), with their
problems ignored, so the package holds exactly what the sanitiser lets through; a control
package with the same HTML unsanitised shows that the test sees script when it runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lmspack.course import load_course
from lmspack.course.errors import Problems
from lmspack.course.links import LinkContext
from lmspack.course.markdown import render_markdown
from lmspack.package import package
from lmspack.render import render_site

from ..conftest import SCAFFOLD
from .conftest import ThreadingHTTPServer, _QuietHandler

pytestmark = pytest.mark.browser

PAGE = (
    'Text\n\n<img src=x onerror="alert(/page-img/.source)">\n\n'
    '<svg onload="alert(/page-svg/.source)"></svg>'
)
PROMPT = "Which? <script>alert(/prompt/.source)</script>"
OPTION = "Something else<script>alert(/option/.source)</script>"
NOTE = (
    'Look again <img src=x onerror="alert(/feedback-img/.source)">'
    '<iframe srcdoc="<script>parent.alert(/feedback-iframe/.source)</script>"></iframe>'
)


def _course(sanitise: bool) -> Any:
    course = load_course(SCAFFOLD)

    def html(text: str, inline: bool = True) -> str:
        if not sanitise:
            return text
        links = LinkContext(SCAFFOLD, {}, None)
        return render_markdown(
            text, file="x", line_offset=0, links=links, problems=Problems(), inline=inline
        )

    pages = tuple(
        dataclasses.replace(p, html=p.html + html(PAGE, inline=False)) if p.id == "the-topic"
        else p for p in course.pages
    )  # fmt: skip
    q1 = course.quiz.questions[0]
    options = (q1.options[0], dataclasses.replace(q1.options[1], text=html(OPTION),
                                                  feedback=html(NOTE)))  # fmt: skip
    q1 = dataclasses.replace(q1, prompt=html(PROMPT), options=options)
    quiz = dataclasses.replace(course.quiz, questions=(q1, *course.quiz.questions[1:]))
    return dataclasses.replace(course, pages=pages, quiz=quiz)


@contextlib.contextmanager
def _served(root: Path, course: Any) -> Iterator[str]:
    """The course's SCORM 1.2 package, extracted under `root` and served: its index URL."""
    zipped = root / "pkg.zip"
    root.mkdir()
    zipped.write_bytes(package(course, render_site(course, "scorm12"), "scorm12"))
    with zipfile.ZipFile(zipped) as zf:
        zf.extractall(root)
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _alerts(browser: Any, root: Path, sanitise: bool) -> list[str]:
    alerts: list[str] = []
    with _served(root / ("clean" if sanitise else "raw"), _course(sanitise)) as index:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
            page.goto(f"{index}#page-the-topic")
            page.wait_for_load_state("load")
            page.goto(f"{index}#page-quiz")
            page.click("#q-q1-b")
            page.click("#qc-q1")
            page.wait_for_selector("#qf-q1-b:not(:empty)")
            page.wait_for_timeout(300)  # an iframe's srcdoc and a failed image load run async
        finally:
            context.close()
    return sorted(alerts)


def test_author_html_does_not_run_script_in_the_package(browser: Any, tmp_path: Path) -> None:
    assert _alerts(browser, tmp_path, sanitise=False) == sorted(
        ["page-img", "page-svg", "prompt", "option", "feedback-img", "feedback-iframe"]
    ), "control: unsanitised, every attack runs (so the test sees script that runs)"
    assert _alerts(browser, tmp_path, sanitise=True) == []


def test_a_link_to_a_heading_opens_its_page_there(page: Any, course_copy: Path) -> None:
    welcome = course_copy / "pages" / "01-welcome.md"
    text = welcome.read_text(encoding="utf-8")
    welcome.write_text(text.replace("(02-the-topic.md)", "(02-the-topic.md#a-section)"))
    with _served(course_copy.parent / "pkg", load_course(course_copy)) as index:
        page.goto(f"{index}#page-welcome")
        page.click('a[href="#page-the-topic.a-section"]')
        assert page.is_visible("#page-the-topic") and not page.is_visible("#page-welcome")
        assert page.evaluate("document.activeElement.id") == "page-the-topic.a-section"
