"""What each course file may hold, field by field: the one definition that both the loader
(`Fields.get`) and `lmspack schema` (JSON Schema for editors) read, so the two cannot drift.

Rules that tie fields together (a true-false question has `answer:`, the others `options:`)
are `when` conditions here too: the schema states them, and the loader's messages for them
are checked against the schema by tests/test_schema.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .model import (
    CERTIFICATE_RULES,
    EVALUATION_TYPES,
    EVALUATION_WHEN,
    QUESTION_TYPES,
    REFLECTION_HEADINGS,
    REVEAL_MODES,
)

# SCORM 1.2 CMIIdentifier / 2004 identifiers: printable ASCII, no spaces, at most 255.
# We are stricter (letters, digits, _ . -) so ids also work in URLs, CSS and file names.
ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# SCORM 2004 choice responses: short_identifier_type limited to [A-Za-z0-9_.] in practice.
OPTION_ID_RE = re.compile(r"^[A-Za-z0-9_.]{1,32}$")
COURSE_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
VERSION_RE = re.compile(r"^[0-9A-Za-z.+-]{1,32}$")
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

_ID_WORDS = "letters, digits, _ . and - only, no spaces, at most 64 characters"
_OPTION_ID_WORDS = "letters, digits, _ and . only, at most 32 characters (a SCORM 2004 rule)"


@dataclass(frozen=True)
class ListOf:
    """A list whose items are all `item` (a Python type, a Field or a Shape)."""

    item: Any
    min_items: int = 0


@dataclass(frozen=True)
class Field:
    """One key of a mapping. `kind` is str, int, bool, a ListOf or a Shape (a mapping)."""

    kind: Any
    about: str  # shown by editors on hover, and the schema's description
    required: bool = False
    pattern: re.Pattern | None = None
    pattern_message: str = ""  # formatted with value=...
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    range_message: str = ""  # formatted with value=...
    # (other key, its values): the field belongs only when the other key has one of them,
    # and is then required.
    when: tuple[str, tuple[str, ...]] | None = None
    max_length: int | None = None  # for text: at most this many characters
    length_message: str = "is {n} characters long: at most {max}"

    @property
    def python_type(self) -> type:
        """What the YAML value must be: str, int, bool, list or dict."""
        if isinstance(self.kind, ListOf):
            return list
        if isinstance(self.kind, Shape):
            return dict
        return self.kind


@dataclass(frozen=True)
class Shape:
    """A mapping: its fields, in the order an author writes them."""

    name: str
    about: str
    fields: dict[str, Field] = field(default_factory=dict)
    # A file written in one of several forms (evaluation.yaml): the schema is their oneOf.
    forms: tuple[Shape, ...] = ()


def _id(about: str, pattern: re.Pattern = ID_RE, words: str = _ID_WORDS) -> Field:
    return Field(
        str,
        about,
        required=True,
        pattern=pattern,
        pattern_message="{value!r} is not a valid id: use " + words,
    )


def _text(about: str, required: bool = True) -> Field:
    return Field(str, about, required=required)


OUTCOME = Shape(
    "outcome",
    "A learning outcome; quiz questions and pages name it by id.",
    {
        "id": _id("The outcome's id, e.g. LO1."),
        "text": _text("What the learner will be able to do."),
    },
)
CPD = Shape(
    "cpd",
    "CPD time claimed on the certificate.",
    {
        "prework_minutes": Field(
            int, "Minutes of pre-work (default: the course's minutes).", minimum=0,
            range_message="must not be negative",
        ),
    },
)  # fmt: skip
LIVE_SESSION = Shape(
    "live_session",
    "The live session the pre-work leads to (omit when there is none).",
    {
        "minutes": Field(
            int, "Minutes of the live session (CPD time).", required=True, minimum=1,
            range_message="must be at least 1",
        ),
        "capacity": Field(
            int, "Places per session (default 12): the tool's new sessions start with it.",
            minimum=1, maximum=1000, range_message="{value} is not a number of places from 1 "
            "to 1000",
        ),
        "mode": _text("How the live session runs, e.g. Live online workshop (Zoom).", False),
        "booking": _text(
            "How to book a place, shown in SCORM packages (the tool has its own booking page).",
            False,
        ),
        "equipment": _text(
            "What to join with (default: a laptop or tablet with a webcam, a microphone and "
            "headphones; a phone works but is not ideal).",
            False,
        ),
    },
)  # fmt: skip
CERTIFICATE = Shape(
    "certificate",
    "What a learner must complete to get the certificate.",
    {
        "require": Field(
            ListOf(Field(str, "A requirement.", choices=CERTIFICATE_RULES)),
            "Requirements (default: pages, quiz, evaluation).",
        )
    },
)
# A cover image: a web image format every browser shows, in media/ (it ships in the package).
# (in either case, spelt out: a JSON Schema pattern has no flags)
COVER_IMAGE_RE = re.compile(
    r"^media/\S.*\.(?:[Pp][Nn][Gg]|[Jj][Pp][Ee]?[Gg]|[Gg][Ii][Ff]|[Ww][Ee][Bb][Pp]|[Aa][Vv][Ii][Ff]"
    r"|[Ss][Vv][Gg])$"
)
COVER = Shape(
    "cover",
    "An image at the top of the first page (with the course's title, facts and Start).",
    {
        "image": Field(
            str, "The image: a file in media/, e.g. media/cover.jpg (png, jpg, gif, webp, "
            "avif or svg).", required=True, pattern=COVER_IMAGE_RE,
            pattern_message="{value!r} is not an image in media/: name a .png, .jpg, .gif, "
            ".webp, .avif or .svg file there, e.g. media/cover.jpg",
        ),
        "alt": _text(
            "What the image shows, for people who cannot see it (required unless "
            "decorative: true).", False,
        ),
        "decorative": Field(
            bool, "true when the image adds nothing the page does not say: screen readers "
            "then skip it, and it needs no alt.",
        ),
    },
)  # fmt: skip
COURSE = Shape(
    "course.yaml",
    "The course's settings: lmspack's README, 'The course source'.",
    {
        "id": Field(
            str, "The course id: lowercase letters, digits and hyphens (used in file names).",
            required=True, pattern=COURSE_ID_RE,
            pattern_message="{value!r} is not a valid id: use lowercase letters, digits and "
            "hyphens",
        ),
        "title": Field(
            str, "The course title, as learners and the LMS see it.", required=True,
            max_length=200, length_message="is {n} characters long: SCORM 1.2 allows at "
            "most {max} for a title (put the rest in description:)",
        ),
        "version": Field(
            str, "The course version, e.g. 1.0.0.", required=True, pattern=VERSION_RE,
            pattern_message="{value!r}: use digits, letters, dots and hyphens (e.g. 1.0.0)",
            max_length=20,
            length_message="is {n} characters long: SCORM 1.2 allows at most {max}",
        ),
        "language": Field(
            str, "The language tag, e.g. en-GB.", required=True, pattern=LANGUAGE_RE,
            pattern_message="{value!r} is not a language tag like en-GB",
        ),
        "description": _text("One paragraph: what the course is about and for."),
        "audience": _text("Who the course is for."),
        "provider": _text("The organisation providing the course."),
        "facilitators": Field(ListOf(str), "Names shown on the certificate."),
        "cover": Field(COVER, COVER.about),
        "cpd": Field(CPD, CPD.about),
        "live_session": Field(LIVE_SESSION, LIVE_SESSION.about),
        "pass_mark": Field(
            int, "The quiz pass mark, in percent.", required=True, minimum=0, maximum=100,
            range_message="{value} is not a percentage from 0 to 100",
        ),
        "outcomes": Field(ListOf(OUTCOME, min_items=1), "The learning outcomes.", required=True),
        "nav": Field(
            ListOf(str), "The order of the steps: page ids, quiz and evaluation (default: "
            "the pages in file order, then quiz, then evaluation).",
        ),
        "certificate": Field(CERTIFICATE, CERTIFICATE.about),
    },
)  # fmt: skip

FEEDBACK = Shape(
    "feedback",
    "Shown after the learner answers.",
    {
        "correct": _text("Shown when the answer is right."),
        "incorrect": _text("Shown when the answer is wrong."),
    },
)
OPTION = Shape(
    "option",
    "One answer the learner can choose.",
    {
        "id": _id("The option's id, e.g. a.", OPTION_ID_RE, _OPTION_ID_WORDS),
        "text": _text("The option's text (inline Markdown)."),
        "correct": Field(bool, "true for a right answer."),
        "feedback": _text("Shown for this option once answers are revealed.", False),
    },
)
_CHOICE_TYPES = tuple(t for t in QUESTION_TYPES if t != "true-false")
QUESTION = Shape(
    "question",
    "One quiz question.",
    {
        "id": _id("The question's id, e.g. q1."),
        "outcome": _text("The id of the learning outcome it checks."),
        "type": Field(str, "The kind of question.", required=True, choices=QUESTION_TYPES),
        "scenario": Field(
            str, "The scenario the question is about (Markdown).",
            when=("type", ("scenario",)),
        ),
        "prompt": _text("The question (inline Markdown)."),
        "options": Field(
            ListOf(OPTION, min_items=2), "The answers to choose from.",
            when=("type", _CHOICE_TYPES),
        ),
        "answer": Field(
            bool, "The right answer of a true-false question.", when=("type", ("true-false",))
        ),
        "shuffle": Field(bool, "false keeps the options in their written order."),
        "feedback": Field(FEEDBACK, FEEDBACK.about, required=True),
    },
)  # fmt: skip
QUIZ = Shape(
    "quiz.yaml",
    "The quiz: lmspack's README, 'quiz.yaml'.",
    {
        "title": _text("The quiz's title (default: Check your understanding).", False),
        "minutes": Field(int, "About how long the quiz takes.", required=True),
        "intro": _text("Shown before the questions (Markdown).", False),
        "retake": Field(bool, "Whether a learner may try again."),
        "reveal": Field(str, "When the right answers are shown.", choices=REVEAL_MODES),
        "attempts": Field(
            int, "How many tries a learner has (default: no limit).", minimum=1,
            range_message="{value} attempts: allow at least 1 (or leave it out: no limit)",
        ),
        "shuffle": Field(bool, "Whether options are shuffled for each try."),
        "questions": Field(ListOf(QUESTION), "The questions.", required=True),
    },
)  # fmt: skip

REFLECTION = Shape(
    "reflection",
    "A reflection prompt shown on a page, collected into the CPD record.",
    {
        "id": _id("The reflection's id, e.g. r1."),
        "page": _text("The id of the page it appears on."),
        "heading": Field(
            str, "The CPD record heading it goes under.", required=True,
            choices=tuple(REFLECTION_HEADINGS),
        ),
        "prompt": _text("The question the learner reflects on."),
        "hint": _text("Help shown under the prompt.", False),
    },
)  # fmt: skip
REFLECTIONS = Shape(
    "reflections.yaml",
    "Reflection prompts: lmspack's README, 'reflections.yaml'.",
    {"reflections": Field(ListOf(REFLECTION), "The reflection prompts.", required=True)},
)

EVALUATION_QUESTION = Shape(
    "evaluation question",
    "One question of the course evaluation.",
    {
        "id": _id("The question's id."),
        "type": Field(str, "The kind of answer.", required=True, choices=EVALUATION_TYPES),
        "prompt": _text("The question."),
        "required": Field(bool, "Whether an answer is needed (default: all but text)."),
    },
)
EVALUATION = Shape(
    "evaluation.yaml",
    "The course evaluation: lmspack's README, 'evaluation.yaml'.",
    {
        "title": _text("The evaluation's title (default: Evaluation).", False),
        "minutes": Field(int, "About how long it takes.", required=True),
        "intro": _text("Shown before the questions (Markdown).", False),
        "questions": Field(ListOf(EVALUATION_QUESTION), "The questions.", required=True),
    },
)
# evaluation.yaml with more than one evaluation (lmspack/course/evaluations.py reads it).
EVALUATION_ITEM = Shape(
    "evaluation",
    "One evaluation and when it is asked.",
    {
        "when": Field(
            str, "after-prework: in the course, before the certificate; after-session: in "
            "the tool, once the learner's attendance at the live session is recorded.",
            required=True, choices=EVALUATION_WHEN,
        ),
        **EVALUATION.fields,
        "reflection": _text(
            "after-session only: the prompt of the learner's peer reflection from the "
            "session, which goes into their CPD record.", False,
        ),
    },
)  # fmt: skip
EVALUATIONS = Shape(
    "evaluation.yaml",
    "The course's evaluations: lmspack's README, 'evaluation.yaml'.",
    {
        "evaluations": Field(
            ListOf(EVALUATION_ITEM, min_items=1),
            "The evaluations, each asked once: one after-prework, one after-session at most.",
            required=True,
        )
    },
)
EVALUATION_FILE = Shape(
    "evaluation.yaml",
    "One evaluation (asked after the pre-work), or `evaluations:`, a list of them.",
    {**EVALUATION.fields, **EVALUATIONS.fields},
    forms=(EVALUATION, EVALUATIONS),
)

FRONT_MATTER = Shape(
    "page front matter",
    "The lines between --- and --- at the top of a page.",
    {
        "title": _text("The page title."),
        "minutes": Field(
            int, "About how long the page takes.", required=True, minimum=1,
            range_message="must be at least 1",
        ),
        "outcomes": Field(ListOf(str), "Ids of the learning outcomes the page serves."),
    },
)  # fmt: skip

# The file each schema is for, by schema name.
FILES: dict[str, Shape] = {
    "course": COURSE,
    "quiz": QUIZ,
    "reflections": REFLECTIONS,
    "evaluation": EVALUATION_FILE,
    "page": FRONT_MATTER,
}
