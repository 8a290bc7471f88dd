"""`lmspack preview` in Chromium: saving a file reloads the open page; a saved mistake shows
its problems (file:line) over the last good build, and the fix brings the page back, all
without the author reloading."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..test_preview import preview  # noqa: F401 - the fixture: lmspack preview in a process
from .conftest import axe_violations

PANEL = "#lmspack-preview-problems"


def body_has(page: Any, text: str) -> bool:
    return page.evaluate("t => document.body.textContent.includes(t)", text)


def save(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    time.sleep(0.02)
    path.write_text(text.replace(old, new))


def test_preview_reloads_on_save_and_shows_problems_over_the_last_build(
    page: Any, preview: tuple[str, Path]  # noqa: F811
) -> None:
    base, course = preview
    page.goto(base)
    page.wait_for_selector("h1")
    assert body_has(page, "A section")
    page.evaluate("window.__sameDocument = true")

    # A good edit: the page reloads by itself and shows it.
    topic = course / "pages" / "02-the-topic.md"
    save(topic, "## A section", "## An edited section")
    page.wait_for_function("() => window.__sameDocument === undefined", timeout=10_000)
    page.wait_for_selector("h1")
    assert body_has(page, "An edited section")
    assert page.locator(PANEL).count() == 0

    # A mistake: no reload; its problem over the last good build.
    page.evaluate("window.__sameDocument = true")
    save(topic, "minutes: 3", "minutes: many")
    panel = page.wait_for_selector(PANEL, timeout=10_000)
    assert panel.get_attribute("role") == "alert"
    text = panel.inner_text()
    assert "The course source has" in text
    assert f"{topic}:3" in text and "minutes: should be a whole number" in text
    assert page.evaluate("window.__sameDocument") is True
    assert body_has(page, "An edited section")  # the last good build is still there
    assert not axe_violations(page)  # the panel too meets WCAG 2.2 AA

    # A second mistake in another file (YAML syntax) updates the panel, still no reload.
    course_yaml = course / "course.yaml"
    save(course_yaml, "title: My first lmspack course", "title: My course: the first")
    page.wait_for_function(
        "f => document.querySelector('#lmspack-preview-problems').textContent.includes(f)",
        arg=f"{course_yaml}:",
        timeout=10_000,
    )
    assert page.evaluate("window.__sameDocument") is True

    # Fixing both brings the page back without a manual reload.
    save(course_yaml, "title: My course: the first", 'title: "My course: the first"')
    save(topic, "minutes: many", "minutes: 3")
    page.wait_for_function("() => window.__sameDocument === undefined", timeout=10_000)
    page.wait_for_selector("h1")
    assert page.locator(PANEL).count() == 0
    assert body_has(page, "My course: the first")
