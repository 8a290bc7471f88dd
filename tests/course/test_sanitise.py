"""Author HTML is allowlisted (issue 17 item 9): every field that takes Markdown reports what
is outside the list at file:line, the package holds none of it, and plain-text fields are
escaped in the page, the manifests and the player's data."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from lmspack.build import build
from lmspack.course import CourseError, load_course
from lmspack.course.html_policy import clean

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle/></svg>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<p style="background:url(https://example.org/x)">x</p>',
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
    "<object data=x.swf></object><embed src=x.swf>",
    '<form action="https://example.org"><input name=x></form>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<div id="lmspack-data">clobbered</div>',
]
LIVE = re.compile(r"<script|<svg|<iframe|<object|<embed|<form|<math|\son\w+=|javascript:|data:|"
                  r"srcdoc|style=|id=\"lmspack", re.I)  # fmt: skip


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_sanitiser_leaves_nothing_that_runs_or_loads(attack: str) -> None:
    assert not LIVE.search(clean(f"<p>ok</p>{attack}", {})), clean(attack, {})


def test_the_sanitiser_keeps_what_authors_write() -> None:
    html = (
        '<p class="no-print"><strong>Bold</strong> <a href="#page-x">x</a> '
        '<a href="https://example.org" rel="noopener" target="_blank">y</a></p>'
        '<h2 id="page-x.a-b">A b</h2><table><tr><td style="text-align:right">1</td></tr></table>'
    )
    assert clean(html, {}) == html.replace("<tr>", "<tbody><tr>").replace(
        "</table>", "</tbody></table>"
    )


FIELDS = [
    # (file, old text, field whose value gets the attack)
    ("quiz.yaml", "prompt: What is this course about?", "questions[0].prompt"),
    ("quiz.yaml", "text: The topic on page two", "questions[0].options[0].text"),
    ("quiz.yaml", 'feedback: "Yes, that is the topic."', "questions[0].options[0].feedback"),
    ("quiz.yaml", "correct: Well done.", "questions[0].feedback.correct"),
    ("quiz.yaml", "incorrect: Have another look at the topic page.",
     "questions[0].feedback.incorrect"),
    ("quiz.yaml", "scenario: A colleague asks you what the second idea is.",
     "questions[3].scenario"),
    ("quiz.yaml", "intro: Answer each question, then check your answer to see feedback.",
     "intro"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "field"), FIELDS, ids=[f[2] for f in FIELDS])
def test_html_in_each_markdown_field_is_reported_at_its_line(
    course_copy: Path, file: str, old: str, field: str
) -> None:
    path = course_copy / file
    text = path.read_text(encoding="utf-8")
    key = old.split(":")[0]
    attack = '"<img src=x onerror=alert(1)> and <svg onload=alert(1)></svg>"'
    path.write_text(text.replace(old, f"{key}: {attack}", 1), encoding="utf-8")
    line = next(n for n, ln in enumerate(path.read_text().splitlines(), 1) if "onerror" in ln)
    with pytest.raises(CourseError) as info:
        load_course(course_copy)
    found = [str(p) for p in info.value.problems]
    assert f"{file}:{line}: {field}: event-handler attribute onerror= on <img> is not allowed" in (
        found
    ), found
    assert f"{file}:{line}: {field}: <svg> is not allowed in course text (it is removed from the " \
        "package)" in found  # fmt: skip


def test_evaluation_intro_is_checked_too(course_copy: Path) -> None:
    path = course_copy / "evaluation.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "minutes: 2", 'minutes: 2\nintro: "<iframe srcdoc=x></iframe>"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(CourseError) as info:
        load_course(course_copy)
    assert [str(p) for p in info.value.problems] == [
        "evaluation.yaml:3: intro: <iframe> is not allowed in course text (it is removed from "
        "the package)"
    ]


PLAIN = "<script>alert('x')</script>&"


def test_plain_text_fields_are_escaped_in_page_manifests_and_data(
    course_copy: Path, tmp_path: Path
) -> None:
    quoted = json.dumps(PLAIN)
    for file, old, new in [
        ("course.yaml", "title: My first lmspack course", f"title: {quoted}"),
        ("course.yaml", "provider: Your organisation", f"provider: {quoted}"),
        ("course.yaml", "text: Explain what the course is about", f"text: {quoted}"),
        ("evaluation.yaml", "title: Tell us what you thought", f"title: {quoted}"),
        (
            "reflections.yaml",
            "prompt: What is one thing you learned on this page?",
            f"prompt: {quoted}",
        ),
    ]:
        path = course_copy / file
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    built = build(course_copy, tmp_path / "dist")
    for package in built:
        with zipfile.ZipFile(package.path) as zf:
            index = zf.read("index.html").decode()
            manifest = etree.fromstring(zf.read("imsmanifest.xml"))
        assert "<script>alert" not in index
        assert index.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;") >= 6
        data = re.search(r'id="lmspack-data">(.*?)</script>', index, re.S).group(1)
        assert "<" not in data and json.loads(data)["course"]["title"] == PLAIN
        titles = manifest.findall(".//{*}title")
        assert titles and all(t.text == PLAIN for t in titles)
