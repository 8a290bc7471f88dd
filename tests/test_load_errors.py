"""Every author mistake gets file, line and field, and nothing is built."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lmspack.course import CourseError, load_course


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(course: Path) -> list[str]:
    with pytest.raises(CourseError) as info:
        load_course(course)
    return [str(p) for p in info.value.problems]


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_example_course_loads(course_copy: Path) -> None:
    course = load_course(course_copy)
    assert [n.id for n in course.nav] == ["welcome", "the-topic", "quiz", "evaluation"]
    assert course.quiz.questions[1].correct_ids == ("true",)
    assert course.media and "media/diagram.svg" in course.media


CASES = [
    # (file, old, new, expected file:line needle in the edited file, expected message regex)
    (
        "course.yaml",
        "pass_mark: 80",
        "pass_mark: [80",
        "pass_mark",
        r"course\.yaml:\d+:\d+: YAML syntax error",
    ),
    (
        "course.yaml",
        "pass_mark: 80",
        "pass_mark: 180",
        "pass_mark",
        r"pass_mark: 180 is not a percentage",
    ),
    ("course.yaml", "pass_mark: 80", "passmark: 80", "passmark", r"passmark: unknown field"),
    (
        "course.yaml",
        "title: My first lmspack course\n",
        "",
        None,
        r"course\.yaml:\d+: title: required field is missing",
    ),
    ("course.yaml", "  - id: LO2", "  - id: LO1", None, r"duplicate outcome id 'LO1'"),
    ("course.yaml", "  - id: LO2", "  - id: LO 2", "LO 2", r"'LO 2' is not a valid id"),
    (
        "quiz.yaml",
        "  - id: q2",
        "  - id: q1",
        None,
        r"quiz\.yaml:\d+: questions\[1\]\.id: duplicate question id 'q1'",
    ),
    (
        "quiz.yaml",
        "outcome: LO2\n    type: scenario",
        "outcome: LO9\n    type: scenario",
        "LO9",
        r"unknown outcome 'LO9'",
    ),
    (
        "quiz.yaml",
        '      - {id: a, text: It is "One"}',
        '      - {id: a-1, text: It is "One"}',
        "a-1",
        r"'a-1' is not a valid id: use letters, digits, _ and \. only",
    ),
    (
        "quiz.yaml",
        '{id: b, text: It is "Two", correct: true}',
        '{id: b, text: It is "Two"}',
        None,
        r"no option is marked `correct: true`",
    ),
    (
        "quiz.yaml",
        "    answer: true\n",
        "",
        None,
        r"questions\[1\]\.answer: required field is missing",
    ),
    ("quiz.yaml", "    type: true-false", "    type: yes-no", "yes-no", r"unknown type 'yes-no'"),
    (
        "pages/01-welcome.md",
        "minutes: 2",
        "minutes: two",
        "minutes",
        r"minutes: should be a whole number",
    ),
    (
        "pages/01-welcome.md",
        "(02-the-topic.md)",
        "(03-missing.md)",
        "03-missing",
        r"link to '03-missing\.md': no such page",
    ),
    (
        "pages/01-welcome.md",
        "(../media/diagram.svg)",
        "(../media/nope.svg)",
        "nope.svg",
        r"'\.\./media/nope\.svg': file not found",
    ),
    (
        "pages/02-the-topic.md",
        "## A section",
        "<script>alert(1)</script>",
        "<script>",
        r"raw <script> is not allowed",
    ),
    (
        "reflections.yaml",
        "page: the-topic",
        "page: no-such-page",
        "no-such-page",
        r"reflections\[0\]\.page: no page with id 'no-such-page'",
    ),
    ("evaluation.yaml", "type: text", "type: essay", "essay", r"unknown type 'essay'"),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "line_needle", "pattern"),
    CASES,
    ids=[f"{c[0]}:{c[2][:24]}" for c in CASES],
)
def test_author_mistake_is_reported_with_file_and_line(
    course_copy: Path, file: str, old: str, new: str, line_needle: str | None, pattern: str
) -> None:
    path = course_copy / file
    edit(path, old, new)
    found = problems(course_copy)
    matches = [p for p in found if re.search(pattern, p)]
    assert matches, f"expected /{pattern}/ in {found}"
    assert matches[0].startswith(file), matches[0]
    if line_needle:
        assert matches[0].startswith(f"{file}:{line_of(path, line_needle)}:"), (matches[0], found)


def test_outcome_with_too_few_questions(course_copy: Path) -> None:
    edit(
        course_copy / "quiz.yaml",
        "outcome: LO2\n    type: scenario",
        "outcome: LO1\n    type: scenario",
    )
    found = problems(course_copy)
    line = line_of(course_copy / "course.yaml", "  - id: LO2")
    assert (
        f"course.yaml:{line}: outcomes.LO2: outcome 'LO2' has 1 question(s) in quiz.yaml; "
        "each outcome needs at least 2" in found
    )


def test_all_problems_reported_at_once(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "pass_mark: 80", "pass_mark: 800")
    edit(course_copy / "quiz.yaml", "  - id: q2", "  - id: q 2")
    edit(course_copy / "pages/01-welcome.md", "minutes: 2", "minutes: 0")
    found = problems(course_copy)
    assert len(found) == 3, found


def test_missing_file_is_named(course_copy: Path) -> None:
    (course_copy / "quiz.yaml").unlink()
    found = problems(course_copy)
    assert "quiz.yaml: file not found" in found
    assert not any(p.startswith("quiz.yaml") and "expected a mapping" in p for p in found)


def test_bad_page_front_matter_line_is_the_file_line(course_copy: Path) -> None:
    path = course_copy / "pages" / "02-the-topic.md"
    edit(path, "minutes: 3", "minutes: [3")
    found = problems(course_copy)
    assert any(
        p.startswith("pages/02-the-topic.md:") and "YAML syntax error" in p for p in found
    ), found


def test_question_with_multiple_correct_in_single_type(course_copy: Path) -> None:
    edit(
        course_copy / "quiz.yaml",
        "{id: b, text: Something else,",
        "{id: b, text: Something else, correct: true,",
    )
    found = problems(course_copy)
    assert any("2 options are correct; a single question has one" in p for p in found), found


def test_yes_and_no_stay_text(course_copy: Path) -> None:
    """YAML 1.1 reads `No` as false; authors writing feedback mean the word."""
    edit(course_copy / "quiz.yaml", 'feedback: "Yes, that is the topic."', "feedback: Yes")
    course = load_course(course_copy)
    assert course.quiz.questions[0].options[0].feedback == "Yes"


@pytest.mark.parametrize("reserved", ["quiz", "results", "certificate"])
def test_reserved_page_ids(course_copy: Path, reserved: str) -> None:
    (course_copy / "pages" / "02-the-topic.md").rename(course_copy / "pages" / f"03-{reserved}.md")
    found = problems(course_copy)
    assert any(p.startswith(f"pages/03-{reserved}.md:") and "is reserved" in p for p in found), (
        found
    )


def test_files_saved_with_a_byte_order_mark_load(course_copy: Path) -> None:
    """Windows editors often save UTF-8 with a BOM; that must not hide the front matter."""
    for path in (course_copy / "pages" / "01-welcome.md", course_copy / "quiz.yaml"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    course = load_course(course_copy)
    assert course.pages[0].title == "Welcome"
