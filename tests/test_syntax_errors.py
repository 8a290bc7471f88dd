"""A YAML syntax error is reported alone for its file, first, at file:line:col, with a hint
that is right: applying the hint's suggested line makes the course load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lmspack.cli import main
from lmspack.course import CourseError, Problem, load_course
from tests.test_load_errors import edit, line_of


def problems(course: Path) -> list[Problem]:
    with pytest.raises(CourseError) as info:
        load_course(course)
    return info.value.problems


# (file, old, new, the text the caret points at, words in the hint, how the fixed value reads)
MISTAKES = [
    (
        "course.yaml",
        "title: My first lmspack course",
        "title: Safeguarding: the basics",
        ": the basics",
        'contains ": "',
        lambda c: c.title == "Safeguarding: the basics",
    ),
    (
        "quiz.yaml",
        "prompt: What is this course about?",
        'prompt: "Safe" is the word here',
        "is the word",
        "starts with a quote",
        lambda c: c.quiz.questions[0].prompt == "“Safe” is the word here",
    ),
    (
        "quiz.yaml",
        "prompt: What is this course about?",
        "prompt: 'Safe' is the word here",
        "is the word",
        "starts with a quote",
        lambda c: c.quiz.questions[0].prompt == "‘Safe’ is the word here",
    ),
    (
        "quiz.yaml",
        "prompt: Each page states",
        "prompt: *Each* page states",
        "*Each*",
        "starting with * is read as a reference",
        lambda c: c.quiz.questions[1].prompt.startswith("<em>Each</em> page"),
    ),
    (
        "reflections.yaml",
        "prompt: What is one thing",
        "prompt: & what is one thing",
        "& what",
        "starting with & is read as an anchor",
        lambda c: c.reflections[0].prompt.startswith("& what is one thing"),
    ),
    (
        "course.yaml",
        "provider: Your organisation",
        "provider: @council",
        "@council",
        "start with @",
        lambda c: c.provider == "@council",
    ),
    (
        "pages/02-the-topic.md",
        "title: The topic",
        "title: `The` topic",
        "`The`",
        "backtick",
        lambda c: c.pages[1].title == "`The` topic",
    ),
    (
        "evaluation.yaml",
        "title: Tell us what you thought",
        "title: Evaluation: tell us what you thought",
        ": tell us",
        'contains ": "',
        lambda c: c.evaluation.title == "Evaluation: tell us what you thought",
    ),
    (
        "quiz.yaml",
        "{id: b, text: Something else, feedback: Look again at the topic page.}",
        "{id: b, text: Something else, feedback: Look again: the topic page.}",
        "Look again: the topic",
        "written between { and }",
        lambda c: c.quiz.questions[0].options[1].feedback == "Look again: the topic page.",
    ),
    (
        "quiz.yaml",
        "{id: b, text: Something else, feedback: Look again at the topic page.}",
        '{id: b, text: "Something" else, feedback: Look again at the topic page.}',
        '"Something" else',
        "written between { and }",
        lambda c: c.quiz.questions[0].options[1].text == "“Something” else",
    ),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "caret_at", "hint_words", "fixed"),
    MISTAKES,
    ids=[f"{m[0]}:{m[2][:30]}" for m in MISTAKES],
)
def test_a_value_that_needs_quotes_is_reported_alone_with_a_fix_that_works(
    course_copy: Path, file, old, new, caret_at, hint_words, fixed
) -> None:
    path = course_copy / file
    if old not in path.read_text(encoding="utf-8"):
        pytest.fail(f"{old!r} not in {file}")
    edit(path, old, new)
    found = problems(course_copy)
    assert len(found) == 1, [str(p) for p in found]  # no knock-on problems anywhere
    p = found[0]
    line = line_of(path, new)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert (p.file, p.line) == (file, line)
    assert p.source == lines[line - 1].rstrip("\n")
    assert p.source[p.column - 1 :].startswith(caret_at), (p.column, p.source)
    assert p.message.startswith("YAML syntax error")
    assert hint_words in p.hint, p.hint
    suggested = p.hint.splitlines()[-1]
    assert new.split(":")[0] in suggested.split(":")[0]  # the same field, now quoted
    indent = p.source[: len(p.source) - len(p.source.lstrip())]
    lines[line - 1] = f"{indent}{suggested}\n"
    path.write_text("".join(lines), encoding="utf-8")
    assert fixed(load_course(course_copy)), suggested


@pytest.mark.parametrize(
    ("file", "old", "new", "column", "hint_words"),
    [
        ("quiz.yaml", "    answer: true", "\tanswer: true", 1, "indented with a tab"),
        ("course.yaml", "  - id: LO2", "\t- id: LO2", 1, "indented with a tab"),
        ("quiz.yaml", "    answer: true", "     answer: true", 12, "check the indentation"),
        ("quiz.yaml", "    answer: true", "   answer: true", 4, "check the indentation"),
        ("pages/01-welcome.md", "minutes: 2", "  minutes: 2", 10, "check the indentation"),
        ("course.yaml", "version: 0.1.0", "version 0.1.0", 1, 'this line has no ": "'),
        ("course.yaml", "audience: Practitioners", "audience:Practitioners", 1, 'has no ": "'),
        ("quiz.yaml", "    prompt: Each page", "    prompt Each page", 5, 'has no ": "'),
        ("quiz.yaml", "{id: c, text: Three}", "{id: c, text: Three", 9, "is never closed"),
    ],
)
def test_tabs_and_indentation_get_their_own_hint(
    course_copy: Path, file: str, old: str, new: str, column: int, hint_words: str
) -> None:
    path = course_copy / file
    edit(path, old, new)
    found = problems(course_copy)
    assert len(found) == 1, [str(p) for p in found]
    p = found[0]
    assert (p.file, p.line, p.column) == (file, line_of(path, new), column), str(p)
    assert hint_words in p.hint
    assert p.source == path.read_text(encoding="utf-8").splitlines()[p.line - 1]


def test_the_syntax_error_comes_first_then_the_other_files_problems(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "pass_mark: 80", "pass_mark: 180")
    edit(course_copy / "pages/01-welcome.md", "minutes: 2", "minutes: 0")
    edit(course_copy / "quiz.yaml", "    answer: true", "\tanswer: true")
    found = [str(p) for p in problems(course_copy)]
    assert found[0].startswith(f"quiz.yaml:{line_of(course_copy / 'quiz.yaml', 'answer: true')}:1:")
    assert found[1:] == [
        f"course.yaml:{line_of(course_copy / 'course.yaml', 'pass_mark')}: pass_mark: "
        "180 is not a percentage from 0 to 100",
        f"pages/01-welcome.md:{line_of(course_copy / 'pages/01-welcome.md', 'minutes')}: "
        "minutes: must be at least 1",
    ]
    assert not any("question(s)" in p for p in found)


def test_a_page_that_does_not_parse_is_not_called_missing_elsewhere(course_copy: Path) -> None:
    """reflections.yaml and nav name the page; its own syntax error is the one problem."""
    edit(course_copy / "pages/02-the-topic.md", "title: The topic", "title: The: topic")
    found = [str(p) for p in problems(course_copy)]
    assert len(found) == 1 and found[0].startswith("pages/02-the-topic.md:2:11:"), found


def test_a_missing_quiz_is_not_followed_by_zero_question_counts(course_copy: Path) -> None:
    (course_copy / "quiz.yaml").unlink()
    assert [str(p) for p in problems(course_copy)] == ["quiz.yaml: file not found"]


def test_a_value_hidden_by_a_comment_says_so(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "provider: Your organisation", "provider: #1 council")
    (p,) = problems(course_copy)
    line = line_of(course_copy / "course.yaml", "#1")
    assert str(p) == f"course.yaml:{line}: provider: has no value"
    assert "a # after a space starts a comment" in p.hint


def test_front_matter_never_closed(course_copy: Path) -> None:
    path = course_copy / "pages/01-welcome.md"
    text = path.read_text(encoding="utf-8")
    head, body = text.split("---\n", 2)[1:]
    path.write_text(f"---\n{head}{body}", encoding="utf-8")
    (p,) = problems(course_copy)
    assert p.file == "pages/01-welcome.md" and p.line == 1
    assert "opened with --- but never closed" in p.message
    assert "missing" not in p.message


def run_check(course: Path, *args: str):
    return CliRunner().invoke(main, ["check", "-c", str(course), *args])


def test_check_shows_the_line_a_caret_and_the_hint(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "title: My first lmspack course", "title: Safe: basics")
    result = run_check(course_copy)
    assert result.exit_code == 1
    line = line_of(course_copy / "course.yaml", "title:")
    assert result.output.splitlines() == [
        f"{course_copy}: 1 problem found",
        f"  {course_copy}/course.yaml:{line}:12: YAML syntax error: "
        "mapping values are not allowed in this context",
        f"    {line} | title: Safe: basics",
        f"    {' ' * len(str(line))} |            ^",
        '    hint: this value contains ": ", which YAML reads as the start of another field. '
        "Put the whole value in quotes:",
        '          title: "Safe: basics"',
    ]


def test_not_found_names_the_path_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"])  # the default: -c course_src
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "course_src: 1 problem found",
        "  course_src/course.yaml: not found: is this a course folder?",
    ]


def test_check_json_prints_the_problems_on_failure(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "title: My first lmspack course", "title: Safe: basics")
    edit(course_copy / "quiz.yaml", "outcome: LO2\n    type", "outcome: LO9\n    type")
    result = CliRunner().invoke(main, ["check", "-c", str(course_copy), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    first = doc["problems"][0]
    assert first == {
        "file": f"{course_copy}/course.yaml",
        "line": line_of(course_copy / "course.yaml", "title:"),
        "column": 12,
        "field": None,
        "message": "YAML syntax error: mapping values are not allowed in this context",
        "hint": first["hint"],
    }
    assert first["hint"].endswith('title: "Safe: basics"')
    # course.yaml did not parse, so outcome LO9 cannot be called unknown: one problem only.
    assert len(doc["problems"]) == 1


def test_check_json_problem_fields(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "pass_mark: 80", "pass_mark: 180")
    result = CliRunner().invoke(main, ["check", "-c", str(course_copy), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "ok": False,
        "problems": [
            {
                "file": f"{course_copy}/course.yaml",
                "line": line_of(course_copy / "course.yaml", "pass_mark"),
                "column": None,
                "field": "pass_mark",
                "message": "180 is not a percentage from 0 to 100",
                "hint": None,
            }
        ],
    }


def test_check_json_on_success_is_the_summary(course_copy: Path) -> None:
    result = run_check(course_copy, "--json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["ok"] is True and doc["id"] == "my-course" and doc["questions"] == 4


@pytest.mark.parametrize(
    ("old", "new", "to_the_end", "expected"),
    [
        ("questions:\n", "questions: all of them\n", True, r"questions: should be a list"),
        (
            "  - id: q2\n    outcome: LO1\n    type: true-false\n"
            "    prompt: Each page states how many minutes it takes.\n    answer: true\n"
            "    feedback: {correct: Right., incorrect: Each page has a minutes estimate.}\n",
            "  - q2 is a true-false question\n",
            False,
            r"questions\[1\]: expected a mapping",
        ),
    ],
)
def test_questions_that_cannot_be_read_are_not_counted_short(
    course_copy: Path, old: str, new: str, to_the_end: bool, expected: str
) -> None:
    path = course_copy / "quiz.yaml"
    before, after = path.read_text(encoding="utf-8").split(old, 1)
    path.write_text(before + new + ("" if to_the_end else after), encoding="utf-8")
    found = [str(p) for p in problems(course_copy)]
    assert any(re.search(expected, p) for p in found), found
    assert not any("question(s)" in p for p in found), found


@pytest.mark.parametrize("file", ["quiz.yaml", "evaluation.yaml", "reflections.yaml"])
def test_an_empty_file_says_so_and_nothing_follows_from_it(course_copy: Path, file: str) -> None:
    (course_copy / file).write_text("# nothing yet\n", encoding="utf-8")
    assert [str(p) for p in problems(course_copy)] == [
        f"{file}:1: the file is empty (or holds only comments)"
    ]


def test_a_control_character_is_shown_where_it_is(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "provider: Your organisation", "provider: Your\x00 council")
    line = line_of(course_copy / "course.yaml", "provider:")
    (p,) = problems(course_copy)
    assert (p.file, p.line, p.column) == ("course.yaml", line, 15)
    assert p.message == "YAML syntax error: an invisible control character (U+0000)"
    result = run_check(course_copy)
    assert f"    {line} | provider: Your\N{REPLACEMENT CHARACTER} council" in result.output


def test_empty_front_matter_is_not_accepted(course_copy: Path) -> None:
    path = course_copy / "pages/01-welcome.md"
    head = "---\ntitle: Welcome\nminutes: 2\noutcomes: [LO1]\n---\n"
    edit(path, head, "---\n---\n")
    assert [str(p) for p in problems(course_copy)] == [
        "pages/01-welcome.md:1: front matter: is empty: it needs title: and minutes:"
    ]
