"""Sources that crashed, hung or silently misread the check (issue 17 item 9), each from a
minimal case: a problem at file:line instead, and no traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from lmspack.course import CourseError, load_course


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(course: Path) -> list[str]:
    with pytest.raises(CourseError) as info:
        load_course(course)
    return [str(p) for p in info.value.problems]


def has(found: list[str], start: str, words: str) -> bool:
    return any(p.startswith(start) and words in p for p in found)


EDITS = [
    # (file, old, new, expected start of the problem, words in it)
    ("pages/01-welcome.md", "outcomes: [LO1]", "outcomes: [[LO1]]", "pages/01-welcome.md:4:",
     "should be a non-empty text, got a list"),
    ("course.yaml", "  - welcome\n", "  - {welcome: x}\n", "course.yaml:", "got a mapping"),
    ("course.yaml", "facilitators: [Your facilitator]", "facilitators: [[a, b]]",
     "course.yaml:", "facilitators[0]: should be a non-empty text"),
    ("course.yaml", "pass_mark: 80", "? [pass_mark]\n: 80", "course.yaml:", "a field name must "
     "be a word"),
    ("course.yaml", "version: 0.1.0", "version: 2024-13-01", "", ""),  # text: no problem
    ("course.yaml", "version: 0.1.0", "version: !!timestamp 2024-13-01", "course.yaml:4:",
     "cannot be read as timestamp (month must be in 1..12)"),
    ("course.yaml", "pass_mark: 80", "pass_mark: !!int abc", "course.yaml:", "cannot be read as "
     "int"),
    ("course.yaml", "title: My first lmspack course", "title: !!binary aGVsbG8=",
     "course.yaml:3: title:", "should be text"),
    ("course.yaml", "title: My first lmspack course", 'title: "bell\\x07"',
     "course.yaml:3: title:", "invisible control character (U+0007)"),
    ("course.yaml", "title: My first lmspack course", "title: " + "t" * 201,
     "course.yaml:3: title:", "201 characters long: SCORM 1.2 allows at most 200"),
    ("course.yaml", "version: 0.1.0", "version: 1.0.0-" + "r" * 20, "course.yaml:4: version:",
     "26 characters long: SCORM 1.2 allows at most 20"),
    ("pages/01-welcome.md", "title: Welcome", 'title: "Wel\\0come"',
     "pages/01-welcome.md:2: title:", "invisible control character (U+0000)"),
    ("pages/01-welcome.md", "minutes: 2", "minutes: 2\0", "pages/01-welcome.md:3:",
     "invisible control character (U+0000)"),
    ("evaluation.yaml", "questions:\n", "questions: []\nunused:\n", "evaluation.yaml:",
     "an evaluation needs at least one question"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "old", "new", "start", "words"), EDITS, ids=[e[2][:30] for e in EDITS]
)
def test_each_source_mistake_is_a_problem(
    course_copy: Path, file: str, old: str, new: str, start: str, words: str
) -> None:
    if file == "evaluation.yaml":  # keep the questions out of the way, as a list nobody reads
        text = (course_copy / file).read_text(encoding="utf-8")
        head, _, rest = text.partition("questions:\n")
        (course_copy / file).write_text(head + "questions: []\n", encoding="utf-8")
    else:
        edit(course_copy / file, old, new)
    if not words:
        load_course(course_copy)  # loads: no problem, no traceback
        return
    found = problems(course_copy)
    assert has(found, start, words), found


def test_version_1_10_keeps_its_text(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "version: 0.1.0", "version: 1.10")
    assert load_course(course_copy).version == "1.10"


def test_version_as_a_date_stays_text(course_copy: Path) -> None:
    edit(course_copy / "course.yaml", "version: 0.1.0", "version: 2024-01-31")
    assert load_course(course_copy).version == "2024-01-31"


def test_an_empty_evaluation_file_is_a_problem(course_copy: Path) -> None:
    (course_copy / "evaluation.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert has(problems(course_copy), "evaluation.yaml:1:", "the file is empty")


def test_an_alias_bomb_in_front_matter_fails_fast(course_copy: Path) -> None:
    bomb = "a0: &a0 x\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    edit(course_copy / "pages" / "01-welcome.md", "title: Welcome\n", "title: Welcome\n" + bomb)
    start = time.perf_counter()
    found = problems(course_copy)
    assert time.perf_counter() - start < 2
    assert has(found, "pages/01-welcome.md:", "anchors and aliases (&name, *name) are not allowed")


def test_a_folder_named_like_a_page_is_a_problem(course_copy: Path) -> None:
    (course_copy / "pages" / "03-extra.md").mkdir()
    assert "pages/03-extra.md: is a folder: a file is needed here" in problems(course_copy)


def test_a_dangling_symlink_named_like_a_page_is_a_problem(course_copy: Path) -> None:
    (course_copy / "pages" / "03-extra.md").symlink_to(course_copy / "gone.md")
    found = problems(course_copy)
    assert "pages/03-extra.md: is a link to a file that does not exist" in found


def test_a_folder_in_place_of_quiz_yaml_is_one_problem(course_copy: Path) -> None:
    (course_copy / "quiz.yaml").unlink()
    (course_copy / "quiz.yaml").mkdir()
    assert problems(course_copy) == ["quiz.yaml: is a folder: a file is needed here"]


def test_a_media_symlink_to_outside_the_course_is_refused(course_copy: Path) -> None:
    (course_copy / "media" / "passwd.txt").symlink_to("/etc/passwd")
    found = problems(course_copy)
    assert "media/passwd.txt: is a link to a file outside the course folder: copy the file in" in (
        found
    )


def test_a_control_character_in_a_media_name_is_refused(course_copy: Path) -> None:
    (course_copy / "media" / "bad\x07name.svg").write_text("<svg/>", encoding="utf-8")
    found = problems(course_copy)
    assert has(found, "media/bad\x07name.svg:", "invisible control character (U+0007)"), found


def test_not_utf8_names_its_line(course_copy: Path) -> None:
    page = course_copy / "pages" / "02-the-topic.md"
    page.write_bytes(page.read_bytes().replace(b"Each page", b"Each \xff page"))
    assert has(problems(course_copy), "pages/02-the-topic.md:8:", "not UTF-8 text")


def test_an_unreadable_page_or_media_file_is_a_problem(course_copy: Path) -> None:
    """PermissionError; as root (CI) the check runs in a child that is `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="lmspack-perm-"))
    try:
        course = folder / "course_src"
        shutil.copytree(course_copy, course)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        load_course(course)  # imports what a load needs (the child may not read the stdlib)
        (course / "pages" / "02-the-topic.md").chmod(0)
        (course / "media" / "diagram.svg").chmod(0)
        found = _problems_as_nobody(course) if os.geteuid() == 0 else problems(course)
        assert "pages/02-the-topic.md: cannot be read (Permission denied)" in found, found
        assert "media/diagram.svg: cannot be read (Permission denied)" in found, found
    finally:
        shutil.rmtree(folder)


def _problems_as_nobody(course: Path) -> list[str]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, check, send the problems back
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            try:
                load_course(course)
                out = "loaded"
            except CourseError as exc:
                out = "\n".join(str(p) for p in exc.problems)
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                out = f"traceback: {exc!r}"
            os.write(write, out.encode("utf-8", "replace"))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read().decode()
    os.waitpid(pid, 0)
    return data.splitlines()


@pytest.mark.parametrize(
    "text",
    ["<div " + "< on" * 30000, "x <a " + 'x="" ' * 12000, "![" * 30000, "<!--" * 15000],
    ids=["on-attributes", "unclosed-tag", "image-brackets", "comments"],
)
def test_pathological_markdown_is_checked_within_seconds(course_copy: Path, text: str) -> None:
    page = course_copy / "pages" / "02-the-topic.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")
    start = time.perf_counter()
    with contextlib.suppress(CourseError):
        load_course(course_copy)
    assert time.perf_counter() - start < 2.5


def test_a_page_over_64_kb_is_one_problem(course_copy: Path) -> None:
    page = course_copy / "pages" / "02-the-topic.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n" + "word " * 14000, encoding="utf-8")
    welcome = course_copy / "pages" / "01-welcome.md"
    edit(welcome, "(02-the-topic.md)", "(02-the-topic.md#a-section)")
    found = problems(course_copy)  # and not also "no heading #a-section": it was not read
    assert len(found) == 1 and has(found, "pages/02-the-topic.md:6: body:", "at most 64 KB"), found
