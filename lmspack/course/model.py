"""The course model: what every output is derived from.

Frozen dataclasses, so render and package steps can't change the course under each other.
Text fields that hold Markdown are kept as source; `*_html` fields are rendered once at load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

QUESTION_TYPES = ("single", "multiple", "true-false", "scenario")
EVALUATION_TYPES = ("yes-no", "rating", "text")
REFLECTION_HEADINGS = {
    "learned": "What I learned",
    "practice": "How it will change my practice",
    "impact": "The impact on the people I work with",
    "peer": "Reflection with a peer or from the live session",
}
CERTIFICATE_RULES = ("pages", "quiz", "evaluation", "attendance", "session-evaluation")
# When an evaluation is asked (evaluation.yaml `when:`): in the course, or after the session.
EVALUATION_WHEN = ("after-prework", "after-session")
# When the right answers and the feedback on every option are shown (quiz.yaml `reveal:`).
REVEAL_MODES = ("after-pass", "always", "after-last-attempt", "never")


@dataclass(frozen=True)
class Outcome:
    id: str
    text: str


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    minutes: int
    outcomes: tuple[str, ...]
    html: str
    source: str  # path relative to the course folder, for messages
    words: int = 0


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    correct: bool
    feedback: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    outcome: str
    type: str
    prompt: str
    options: tuple[Option, ...]
    feedback_correct: str
    feedback_incorrect: str
    scenario_html: str = ""
    shuffle: bool = True  # the options' order may change per try (true-false never does)

    @property
    def correct_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options if o.correct)

    @property
    def multiple(self) -> bool:
        return self.type == "multiple"


@dataclass(frozen=True)
class Review:
    """When a learner sees what (quiz.yaml `reveal`, `attempts`, `shuffle`), in the spirit of
    Moodle's quiz review options: until `reveal` allows, a wrong answer shows the note on the
    option chosen, never the right one, so the key can't be collected from a first try."""

    reveal: str = "after-pass"
    attempts: int | None = None  # tries allowed; None: as many as the learner wants
    shuffle: bool = True


@dataclass(frozen=True)
class Quiz:
    title: str
    minutes: int
    intro_html: str
    questions: tuple[Question, ...]
    retake: bool = True
    review: Review = Review()

    def for_outcome(self, outcome_id: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.outcome == outcome_id)


@dataclass(frozen=True)
class Reflection:
    id: str
    page: str
    heading: str
    prompt: str
    hint: str = ""

    @property
    def heading_text(self) -> str:
        return REFLECTION_HEADINGS[self.heading]


@dataclass(frozen=True)
class EvaluationQuestion:
    id: str
    type: str
    prompt: str
    required: bool


@dataclass(frozen=True)
class Evaluation:
    title: str
    minutes: int
    intro_html: str
    questions: tuple[EvaluationQuestion, ...]
    # after-session only: the prompt of the learner's peer reflection from the session
    # (Social Work England's fourth heading), shown with the evaluation, kept in the record.
    reflection: str = ""


@dataclass(frozen=True)
class Cpd:
    prework_minutes: int
    live_session_minutes: int = 0
    live_session_mode: str = ""

    @property
    def total_minutes(self) -> int:
        return self.prework_minutes + self.live_session_minutes


# What to join the live session with, unless course.yaml's `live_session.equipment` says.
DEFAULT_EQUIPMENT = (
    "a laptop or tablet with a webcam and a microphone, and headphones; a phone works but "
    "is not ideal (the screen is small for the group and the shared slides)"
)


@dataclass(frozen=True)
class Cover:
    """course.yaml's `cover`: the first page's image. `alt` is empty for a decorative one
    (then hidden from screen readers)."""

    image: str  # a path in media/, as the package holds it
    alt: str = ""


@dataclass(frozen=True)
class LiveSession:
    """course.yaml's `live_session`: the live session the pre-work leads to. `minutes` is
    its CPD time (also in `Cpd.live_session_minutes`), `capacity` the places a new session
    of the tool offers unless the teacher says otherwise."""

    minutes: int
    capacity: int = 12
    mode: str = ""
    booking: str = ""  # how to book, for packages (no server): the tool has its booking page
    equipment: str = ""  # what to join with; empty: DEFAULT_EQUIPMENT


@dataclass(frozen=True)
class NavItem:
    """One step of the learner's path: a content page, the quiz or the evaluation."""

    kind: str  # "page" | "quiz" | "evaluation"
    id: str
    title: str
    minutes: int


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    version: str
    language: str
    description: str
    audience: str
    provider: str
    facilitators: tuple[str, ...]
    cpd: Cpd
    pass_mark: int
    outcomes: tuple[Outcome, ...]
    pages: tuple[Page, ...]
    quiz: Quiz
    reflections: tuple[Reflection, ...]
    evaluation: Evaluation
    nav: tuple[NavItem, ...]
    certificate_rules: tuple[str, ...]
    media: dict[str, bytes] = field(default_factory=dict, hash=False, compare=False)
    live_session: LiveSession | None = None
    cover: Cover | None = None
    # evaluation.yaml's `when: after-session` evaluation (the tool asks for it once the
    # learner's attendance is recorded); `evaluation` is the pre-work's own.
    session_evaluation: Evaluation | None = None

    @property
    def minutes(self) -> int:
        return sum(item.minutes for item in self.nav)

    def page(self, page_id: str) -> Page:
        return next(p for p in self.pages if p.id == page_id)

    def reflections_for(self, page_id: str) -> tuple[Reflection, ...]:
        return tuple(r for r in self.reflections if r.page == page_id)

    def outcome(self, outcome_id: str) -> Outcome:
        return next(o for o in self.outcomes if o.id == outcome_id)

    @property
    def slug(self) -> str:
        """`<id>-<version>`: the stem of every package file name."""
        return f"{self.id}-{self.version}"
