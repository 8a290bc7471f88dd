"""course.yaml's `cover:`: the image must be a file of media/ (it ships in every package), and
it needs alt text unless it is marked decorative; each mistake is a file:line problem. The
first page then shows it above the course's title, facts and Start."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmspack.course import CourseError, load_course
from lmspack.render import render_site
from tests.test_load_errors import line_of, problems


def with_cover(course: Path, cover: str) -> Path:
    yaml = course / "course.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + cover + "\n", encoding="utf-8")
    return yaml


def test_a_cover_with_alt_is_on_the_first_page_only(course_copy: Path) -> None:
    with_cover(course_copy, "cover: {image: media/diagram.svg, alt: A labelled diagram}")
    course = load_course(course_copy)
    assert (course.cover.image, course.cover.alt) == ("media/diagram.svg", "A labelled diagram")
    html = render_site(course, "scorm12")["index.html"].decode("utf-8")
    first, rest = html.split(f'id="page-{course.nav[1].id}"', 1)
    assert '<img class="cover-image" src="media/diagram.svg" alt="A labelled diagram">' in first
    assert "cover-image" not in rest
    assert f'id="lp-start" href="#page-{course.nav[1].id}"' in first
    assert "media/diagram.svg" in render_site(course, "scorm12")


def test_a_name_in_the_wrong_case_is_pointed_out(course_copy: Path) -> None:
    with_cover(course_copy, "cover: {image: media/DIAGRAM.svg, alt: x}")
    with pytest.raises(CourseError) as info:
        load_course(course_copy)
    (problem,) = info.value.problems
    assert "media/DIAGRAM.svg is not in the course's media/ folder" in str(problem)
    assert "did you mean media/diagram.svg?" in problem.hint


def test_a_decorative_cover_has_empty_alt(course_copy: Path) -> None:
    with_cover(course_copy, "cover:\n  image: media/diagram.svg\n  decorative: true")
    course = load_course(course_copy)
    assert course.cover.alt == ""
    assert 'src="media/diagram.svg" alt="">' in render_site(course, "lti")["index.html"].decode()


def test_without_a_cover_the_first_page_still_has_its_title_area(course_copy: Path) -> None:
    course = load_course(course_copy)
    assert course.cover is None
    html = render_site(course, "scorm2004")["index.html"].decode("utf-8")
    assert 'class="cover"' in html and "cover-image" not in html
    assert '<p class="cover-title">My first lmspack course</p>' in html


@pytest.mark.parametrize(
    ("cover", "message"),
    [
        ("cover: {image: media/missing.png, alt: x}", "media/missing.png is not in the course's"),
        ("cover: {image: media/diagram.svg}", "cover.alt: required field is missing"),
        ("cover: {image: media/diagram.svg, alt: x, decorative: true}", "has no alt text"),
        ("cover: {image: pages/01-welcome.md, alt: x}", "is not an image in media/"),
        ("cover: {image: media/diagram.svg, alt: x, caption: y}", "caption: unknown field"),
        ("cover: media/diagram.svg", "cover: should be a mapping"),
    ],
)
def test_cover_mistakes_name_the_line(course_copy: Path, cover: str, message: str) -> None:
    yaml = with_cover(course_copy, cover)
    found = problems(course_copy)
    line = line_of(yaml, "cover:")
    assert any(p.startswith(f"course.yaml:{line}") and message in p for p in found), found


def test_the_schema_takes_what_the_loader_takes(course_copy: Path) -> None:
    """Extensions in either case (a camera's .JPG), as the loader does; no other files."""
    from jsonschema import Draft7Validator

    from lmspack.course.schema import schema_for

    (course_copy / "media" / "Photo.JPG").write_bytes(b"\xff\xd8\xff\xe0")
    with_cover(course_copy, "cover: {image: media/Photo.JPG, alt: A photo}")
    assert load_course(course_copy).cover.image == "media/Photo.JPG"
    validator = Draft7Validator(schema_for("course"))

    def errors(cover: dict) -> list[str]:  # the cover's own (the other fields are missing)
        found = validator.iter_errors({"cover": cover})
        return [e.message for e in found if list(e.absolute_path)[:1] == ["cover"]]

    assert errors({"image": "media/Photo.JPG", "alt": "A photo"}) == []
    assert any("does not match" in m for m in errors({"image": "media/a.txt"}))
