"""A SCORM package has no server: its results page shows the live session from course.yaml
(how to book, what to join with) and its player keeps only the certificate rules it can
check (attendance and the evaluation after the session need the tool). Under the tool (lti)
every rule stays and the tool's own booking page says all this instead."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from lmspack.course import load_course
from lmspack.course.model import DEFAULT_EQUIPMENT
from lmspack.render import render_site

from .conftest import COURSE

RULE = "require: [pages, quiz, attendance, session-evaluation]"
BOOKING = "Email workshops@council.example with the date you want & your team."


def _course(tmp_path: Path, extra: str = ""):
    folder = tmp_path / "ws"
    shutil.copytree(COURSE, folder)
    yaml = folder / "course.yaml"
    text = yaml.read_text(encoding="utf-8").replace("require: [pages, quiz, evaluation]", RULE)
    text = text.replace("  capacity: 12\n", f"  capacity: 12\n{extra}")
    yaml.write_text(text, encoding="utf-8")
    return load_course(folder)


def _page(course, adapter: str) -> tuple[str, dict]:
    html = dict(render_site(course, adapter))["index.html"].decode("utf-8")
    data = re.search(r'id="lmspack-data">(.*?)</script>', html, re.S).group(1)
    return html, json.loads(data)


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    kit = "A laptop with a webcam, a microphone and headphones."  # its full stop not doubled
    extra = f"  booking: {BOOKING}\n  equipment: {kit}\n"
    return _course(tmp_path_factory.mktemp("pkg"), extra)


@pytest.mark.parametrize("adapter", ["scorm12", "scorm2004"])
def test_a_package_shows_the_live_session_and_keeps_the_rules_it_can_check(workshop, adapter):
    html, data = _page(workshop, adapter)
    assert data["course"]["certificateRules"] == ["pages", "quiz"]
    results = unescape(html.split('id="page-results"')[1].split('id="page-certificate"')[0])
    assert "Your live session" in results and BOOKING in results  # escaped, then shown as typed
    assert "&amp;" in html.split('id="h-live-info"')[1].split("</section>")[0]
    assert "A laptop with a webcam, a microphone and headphones.</p>" in results
    assert "Live online workshop (Zoom), 3 hours." in results
    assert "attendance at the live session and the evaluation after it" in results


def test_under_the_tool_every_rule_stays_and_the_block_is_not_shown(workshop):
    html, data = _page(workshop, "lti")
    rules = ["pages", "quiz", "attendance", "session-evaluation"]
    assert data["course"]["certificateRules"] == rules
    assert "Your live session" not in html


def test_the_equipment_notes_default(tmp_path):
    course = _course(tmp_path)
    assert course.live_session.booking == "" and course.live_session.equipment == DEFAULT_EQUIPMENT
    html, _data = _page(course, "scorm12")
    assert "webcam and a microphone, and headphones; a phone works but is not ideal" in html
    assert "How to book" not in html
