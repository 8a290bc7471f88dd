"""quiz.yaml's review settings (`reveal`, `attempts`, `shuffle`): read into the model, shown
by `lmspack check`, and every mistake named with file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lmspack.cli import main
from lmspack.course import CourseError, load_course
from lmspack.course.model import Review


def set_top(course: Path, lines: str) -> Path:
    """Put `lines` at the top of quiz.yaml (the settings live beside `title:`)."""
    path = course / "quiz.yaml"
    path.write_text(lines + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def problems(course: Path) -> list[str]:
    with pytest.raises(CourseError) as info:
        load_course(course)
    return [str(p) for p in info.value.problems]


def test_defaults_reveal_after_a_pass_unlimited_attempts_shuffled(course_copy: Path) -> None:
    quiz = load_course(course_copy).quiz
    assert quiz.review == Review(reveal="after-pass", attempts=None, shuffle=True)
    assert quiz.retake is True
    # true-false options keep True before False; the others may move
    assert [q.shuffle for q in quiz.questions] == [True, False, True, True]


def test_settings_are_read(course_copy: Path) -> None:
    set_top(course_copy, "reveal: after-last-attempt\nattempts: 3\nshuffle: false\n")
    quiz = load_course(course_copy).quiz
    assert quiz.review == Review(reveal="after-last-attempt", attempts=3, shuffle=False)
    assert quiz.retake is True


def test_one_attempt_means_no_retake_and_no_retake_means_one_attempt(course_copy: Path) -> None:
    path = set_top(course_copy, "attempts: 1\n")
    quiz = load_course(course_copy).quiz
    assert quiz.retake is False and quiz.review.attempts == 1
    path.write_text(path.read_text().replace("attempts: 1\n", "reveal: after-last-attempt\n"))
    path.write_text(path.read_text().replace("questions:", "retake: false\nquestions:", 1))
    quiz = load_course(course_copy).quiz
    assert quiz.retake is False and quiz.review.attempts == 1
    assert quiz.review.reveal == "after-last-attempt"  # the first try is the last


def test_a_question_can_keep_its_order(course_copy: Path) -> None:
    path = course_copy / "quiz.yaml"
    text = path.read_text(encoding="utf-8")
    pinned = text.replace("    type: multiple\n", "    type: multiple\n    shuffle: false\n")
    path.write_text(pinned, encoding="utf-8")
    quiz = load_course(course_copy).quiz
    assert [q.shuffle for q in quiz.questions] == [True, False, False, True]


CASES = [
    # (lines put at the top of quiz.yaml, or a (old, new) edit, field, message regex)
    ("reveal: later\n", "reveal", r"unknown reveal 'later' \(use: after-pass, always, "),
    ("reveal: after-last-attempt\n", "reveal", r"after-last-attempt needs a last attempt"),
    ("attempts: 0\n", "attempts", r"0 attempts: allow at least 1"),
    ("attempts: three\n", "attempts", r"should be a whole number, got 'three'"),
    ("attempts: 3\nretake: false\n", "attempts", r"3 attempts, but `retake: false` allows one"),
    ("attempts: 1\nretake: true\n", "attempts", r"1 attempt, but `retake: true`"),
    ("shuffle: sometimes\n", "shuffle", r"should be true or false"),
    ("review: strict\n", "review", r"unknown field \(expected one of: .*attempts.*reveal"),
    (
        ("    type: true-false\n", "    type: true-false\n    shuffle: true\n"),
        "shuffle",
        r"questions\[1\]\.shuffle: true-false options keep their order",
    ),
    (
        ("    type: multiple\n", "    type: multiple\n    shuffle: no\n"),
        "shuffle",
        r"questions\[2\]\.shuffle: should be true or false",
    ),
]


@pytest.mark.parametrize(("change", "field", "pattern"), CASES, ids=[str(c[0])[:30] for c in CASES])
def test_setting_mistakes_name_file_line_and_field(
    course_copy: Path, change, field: str, pattern: str
) -> None:
    path = course_copy / "quiz.yaml"
    if isinstance(change, tuple):
        text = path.read_text(encoding="utf-8")
        assert change[0] in text
        path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    else:
        set_top(course_copy, change)
    found = [p for p in problems(course_copy) if re.search(pattern, p)]
    assert found, problems(course_copy)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip().startswith(f"{field}:"))
    assert found[0].startswith(f"quiz.yaml:{line}: "), found[0]


def test_lmspack_check_reports_the_settings_and_the_mistakes(course_copy: Path) -> None:
    set_top(course_copy, "attempts: 2\n")
    result = CliRunner().invoke(main, ["check", "-c", str(course_copy), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["review"] == {
        "reveal": "after-pass",
        "attempts": 2,
        "shuffled_questions": 3,
    }
    text = CliRunner().invoke(main, ["check", "-c", str(course_copy)]).output
    assert "quiz review: reveal after-pass, attempts 2, options shuffled in 3 of 4" in text
    set_top(course_copy, "reveal: sometimes\n")
    result = CliRunner().invoke(main, ["check", "-c", str(course_copy)])
    assert result.exit_code == 1
    assert "quiz.yaml:1: reveal: unknown reveal 'sometimes'" in result.output
