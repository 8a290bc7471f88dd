"""`lmspack schema`'s JSON Schemas, read by a real validator (jsonschema): they accept the
workshop course and the `new` example, and reject each mistake the loader rejects where a
schema can say it. Every mistake is also put to the loader, so the two agree case by case."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft7Validator

from lmspack.cli import main
from lmspack.course import CourseError, load_course
from lmspack.course.load_pages import FRONT_MATTER_RE
from lmspack.course.schema import schema_for
from lmspack.course.shapes import FILES
from lmspack.course.yamlsrc import load_yaml
from tests.conftest import COURSE, SCAFFOLD
from tests.test_load_errors import edit


def documents(course: Path) -> list[tuple[str, str, object]]:
    """(schema name, file, parsed data) for every YAML file and page front matter."""
    docs = []
    for name in ("course", "quiz", "reflections", "evaluation"):
        path = course / f"{name}.yaml"
        if path.is_file():
            docs.append((name, path.name, load_yaml(path.read_text(encoding="utf-8-sig"))))
    for page in sorted((course / "pages").glob("*.md")):
        m = FRONT_MATTER_RE.match(page.read_text(encoding="utf-8-sig"))
        assert m, page
        docs.append(("page", f"pages/{page.name}", load_yaml(m.group(1))))
    return docs


def errors(name: str, data: object) -> list[str]:
    validator = Draft7Validator(schema_for(name))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]


@pytest.fixture
def new_course(tmp_path: Path) -> Path:
    result = CliRunner().invoke(main, ["new", str(tmp_path / "proj")])
    assert result.exit_code == 0, result.output
    return tmp_path / "proj" / "course_src"


def test_the_schemas_are_valid_draft_7() -> None:
    for name in FILES:
        Draft7Validator.check_schema(schema_for(name))


def test_the_schemas_accept_the_workshop_course() -> None:
    load_course(COURSE)
    docs = documents(COURSE)
    assert {d[0] for d in docs} == set(FILES)
    for name, file, data in docs:
        assert errors(name, data) == [], file


def test_new_writes_the_schemas_and_points_each_yaml_file_at_its_own(new_course: Path) -> None:
    load_course(new_course)
    schemas = new_course.parent / "schemas"
    for name, file, data in documents(new_course):
        assert errors(name, data) == [], file
        on_disk = json.loads((schemas / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert on_disk == schema_for(name)
        if file.endswith(".yaml"):
            first = (new_course / file).read_text(encoding="utf-8").splitlines()[0]
            assert first == f"# yaml-language-server: $schema=../schemas/{name}.schema.json"
            assert (new_course / first.split("=", 1)[1]).resolve() == (
                schemas / f"{name}.schema.json"
            )


def test_schema_command_writes_one_file_per_course_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(
        f"{name}.schema.json" for name in FILES
    )


# evaluation.yaml in its list form: the scaffold's one evaluation under `evaluations:`.
SCAFFOLD_EVALUATION = (SCAFFOLD / "evaluation.yaml").read_text(encoding="utf-8")
AS_LIST = "evaluations:\n  - when: after-prework\n" + "".join(
    "    " + line for line in SCAFFOLD_EVALUATION.splitlines(keepends=True)
)


# (file, old, new, what the loader says): each the loader rejects and a schema can express.
MISTAKES = [
    ("course.yaml", "pass_mark: 80", "passmark: 80", r"passmark: unknown field"),
    ("course.yaml", "pass_mark: 80", "pass_mark: 180", r"180 is not a percentage"),
    ("course.yaml", "pass_mark: 80", "pass_mark: eighty", r"should be a whole number"),
    ("course.yaml", "pass_mark: 80\n", "", r"pass_mark: required field is missing"),
    ("course.yaml", "id: my-course", "id: My Course", r"'My Course' is not a valid id"),
    ("course.yaml", "version: 0.1.0", "version: 0.1 beta", r"use digits, letters, dots"),
    ("course.yaml", "language: en-GB", "language: English", r"not a language tag"),
    ("course.yaml", "title: My first lmspack course", 'title: " "', r"title: must not be"),
    ("course.yaml", "  - id: LO2", "  - id: LO 2", r"'LO 2' is not a valid id"),
    ("course.yaml", "    text: Explain what", "    txt: Explain what", r"unknown field"),
    ("course.yaml", "cpd: {}", "live_session: {minutes: 0}", r"must be at least 1"),
    ("course.yaml", "cpd: {}", "live_session: {minutes: 9, capacity: 0}", r"number of places"),
    ("course.yaml", "cpd: {}", "cpd: {live_session_minutes: 180}", r"moved out of cpd"),
    ("course.yaml", "cpd: {}", "certificate: {require: [badges]}\ncpd: {}", r"unknown rule"),
    ("course.yaml", "cpd: {}", "cpd:\n  prework_minutes: -1\n", r"not be negative"),
    ("course.yaml", "facilitators: [Your facilitator]", "facilitators: x", r"should be a list"),
    (
        "course.yaml",
        "cpd: {}",
        "cpd: {}\ncover: {image: media/diagram.txt, decorative: true}",
        r"cover.image: 'media/diagram.txt' is not an image",
    ),
    (
        "course.yaml",
        "nav:\n  - welcome\n  - the-topic\n  - quiz\n  - evaluation\n",
        "nav: welcome\n",
        r"nav: should be a list",
    ),
    ("quiz.yaml", "minutes: 4\n", "", r"minutes: required field is missing"),
    ("quiz.yaml", "type: true-false", "type: yes-no", r"unknown type 'yes-no'"),
    ("quiz.yaml", "type: multiple", "type: many", r"unknown type 'many'"),
    ("quiz.yaml", "{id: a, text: One,", "{id: a-1, text: One,", r"'a-1' is not a valid id"),
    ("quiz.yaml", "{id: c, text: Three}", "{id: c}", r"text: required field is missing"),
    ("quiz.yaml", "{id: c, text: Three}", "{id: c, text: Three, right: true}", r"unknown field"),
    (
        "quiz.yaml",
        "    feedback: {correct: Right., incorrect: Each page has a minutes estimate.}\n",
        "",
        r"questions\[1\]\.feedback: required field is missing",
    ),
    ("quiz.yaml", "{correct: Yes., incorrect:", "{incorrect:", r"correct: required field"),
    ("quiz.yaml", "    answer: true\n", "    answer: true\n    options: []\n", r"not options"),
    ("quiz.yaml", "    answer: true\n", "", r"answer: required field is missing"),
    (
        "quiz.yaml",
        "    scenario: A colleague asks you what the second idea is.\n",
        "",
        r"needs a `s",
    ),
    ("quiz.yaml", "    type: single", "    type: single\n    scenario: A day.", r"only `type: s"),
    ("quiz.yaml", "    type: single", "    type: single\n    answer: true", r"is for true-false"),
    (
        "quiz.yaml",
        "      - {id: b, text: Something else, feedback: Look again at the topic page.}\n",
        "",
        r"at least two options",
    ),
    ("quiz.yaml", "minutes: 4", "minutes: 4\nattempts: 0", r"0 attempts: allow at least 1"),
    ("quiz.yaml", "minutes: 4", "minutes: 4\nreveal: sometimes", r"unknown reveal 'sometimes'"),
    ("quiz.yaml", "minutes: 4", "minutes: 4\nretake: yes", r"retake: should be true or false"),
    ("quiz.yaml", "minutes: 4", "minutes: 4\nshufle: false", r"shufle: unknown field"),
    ("reflections.yaml", "heading: learned", "heading: feelings", r"unknown heading"),
    ("reflections.yaml", "    prompt: What is one", "    question: What is one", r"unknown field"),
    ("reflections.yaml", "  - id: r1", "  - id: r 1", r"'r 1' is not a valid id"),
    ("evaluation.yaml", "type: text", "type: essay", r"unknown type 'essay'"),
    ("evaluation.yaml", "required: false", 'required: "no"', r"should be true or false"),
    ("evaluation.yaml", "minutes: 2\n", "", r"minutes: required field is missing"),
    (
        "evaluation.yaml",
        SCAFFOLD_EVALUATION,
        AS_LIST.replace("after-prework", "at-the-end"),
        r"when: unknown when 'at-the-end'",
    ),
    ("evaluation.yaml", SCAFFOLD_EVALUATION, "evaluations: []\n", r"at least one"),
    ("pages/01-welcome.md", "minutes: 2", "minutes: 0", r"minutes: must be at least 1"),
    ("pages/01-welcome.md", "minutes: 2", "minutes: two", r"should be a whole number"),
    ("pages/01-welcome.md", "title: Welcome\n", "", r"title: required field is missing"),
    ("pages/01-welcome.md", "minutes: 2", "minutes: 2\nauthor: Me", r"author: unknown field"),
    ("pages/01-welcome.md", "outcomes: [LO1]", "outcomes: LO1", r"should be a list"),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"), MISTAKES, ids=[f"{m[0]}:{m[2][:28]}" for m in MISTAKES]
)
def test_a_mistake_the_loader_rejects_the_schema_rejects(
    course_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    edit(course_copy / file, old, new)
    with pytest.raises(CourseError) as info:
        load_course(course_copy)
    found = [str(p) for p in info.value.problems]
    assert any(p.startswith(file) and re.search(message, p) for p in found), found
    name, _, data = next(d for d in documents(course_copy) if d[1] == file)
    assert errors(name, data), f"the {name} schema accepts {new!r}; the loader said {found}"


def test_the_mistakes_cover_every_field_that_has_a_rule() -> None:
    """A field gaining a pattern, choices or range in shapes.py needs a case here."""
    ruled = set()
    for shape_name, shape in _all_shapes():
        for key, f in shape.fields.items():
            rule = f.pattern or f.choices or f.minimum is not None or f.when
            item = getattr(f.kind, "item", None)
            if rule or getattr(item, "choices", None):
                ruled.add((shape_name, key))
    covered_words = " ".join(m[2] for m in MISTAKES)
    missing = [r for r in sorted(ruled) if f"{r[1]}:" not in covered_words]
    assert not missing, missing


def _all_shapes():
    seen, todo = {}, list(FILES.values())
    while todo:
        shape = todo.pop()
        if shape.name in seen:
            continue
        seen[shape.name] = shape
        for f in shape.fields.values():
            for kind in (f.kind, getattr(f.kind, "item", None)):
                if hasattr(kind, "fields"):
                    todo.append(kind)
    return list(seen.items())


def test_a_copy_of_the_workshop_course_with_a_mistake_fails_both(tmp_path: Path) -> None:
    course = tmp_path / "course_src"
    shutil.copytree(COURSE, course)
    edit(course / "quiz.yaml", "type: single", "type: singel")
    with pytest.raises(CourseError):
        load_course(course)
    quiz = next(data for name, _, data in documents(course) if name == "quiz")
    assert any("'singel' is not one of" in e for e in errors("quiz", quiz))


# (file, old, new): variants the loader accepts, which the schemas must accept too.
ACCEPTED = [
    ("course.yaml", "version: 0.1.0", "version: 1.0"),
    ("course.yaml", "cpd: {}", "certificate: {require: [pages, attendance]}\ncpd: {}"),
    ("course.yaml", "cpd: {}", "cpd:\n  prework_minutes: 0\nlive_session: {minutes: 90}\n"),
    ("course.yaml", "facilitators: [Your facilitator]\n", ""),
    ("quiz.yaml", "intro: Answer each question, then check your answer to see feedback.", "intro:"),
    ("quiz.yaml", "minutes: 4", "minutes: 4\nreveal: after-last-attempt\nattempts: 3"),
    ("quiz.yaml", "minutes: 4", "minutes: 4\nretake: false\nshuffle: false"),
    ("quiz.yaml", "    type: true-false", "    type: true-false\n    shuffle: false"),
    ("evaluation.yaml", "type: text", "type: rating"),
    ("evaluation.yaml", SCAFFOLD_EVALUATION, AS_LIST),
    ("pages/01-welcome.md", "outcomes: [LO1]\n", ""),
]


@pytest.mark.parametrize(("file", "old", "new"), ACCEPTED, ids=[a[2][:30] for a in ACCEPTED])
def test_what_the_loader_accepts_the_schema_accepts(
    course_copy: Path, file: str, old: str, new: str
) -> None:
    edit(course_copy / file, old, new)
    load_course(course_copy)
    name, _, data = next(d for d in documents(course_copy) if d[1] == file)
    assert errors(name, data) == []
