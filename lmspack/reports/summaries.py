"""The admin reports' shapes, with no SQL: the completion row and its CSV, outcome and
question stats, the evaluation summary, and JSON for ``--format json``.

`reports.data` reads the database and hands over rows and counts (aggregation is pushed into
SQL: ``SELECT question_id, COUNT(*), SUM(correct) ... GROUP BY``); the shaping (course order,
labels, shares, the CSV columns) is here. Which status a learner has, and how the completion
report filters and sorts, is decided in one place: `reports.data.Completion`. Every report
has a `*_csv` function returning ``(header, rows)`` for `lmspack.reports.csv.csv_chunks`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

STATUSES = ("not started", "in progress", "failed", "passed", "certified")
SORT_KEYS = ("name", "status", "score", "last_activity", "minutes_spent", "group")


# -- completion -------------------------------------------------------------------------------


def is_learner(roles: Sequence[str] | str | None) -> bool:
    """Who on a roster the reports (and the attendance page) count: members with a Learner
    role, or with no roles given. `roles` is the list, or its JSON text (read as text from
    the database, which is cheaper for 10,000 members)."""
    if not roles:
        return True
    if isinstance(roles, str):
        return "Learner" in roles or roles.strip() in ("[]", "null")
    return any("Learner" in str(r) for r in roles)


@dataclass(frozen=True)
class CompletionRow:
    user_id: str
    name: str
    email: str
    groups: tuple[str, ...]
    status: str
    score: int | None
    outcomes: tuple[tuple[str, float | None], ...]  # (outcome id, share correct), course order
    minutes_spent: int
    last_activity: datetime | None
    certificate_code: str
    certificate_url: str
    on_roster: bool


def utc(value: datetime | date) -> datetime:
    """An aware UTC datetime; a date is its midnight, a naive datetime is taken as UTC (what
    SQLite returns)."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def completion_csv(
    rows: Iterable[CompletionRow], outcome_ids: Sequence[str]
) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        "Name",
        "Email",
        "Groups",
        "Status",
        "Score (%)",
        *[f"{o} correct (%)" for o in outcome_ids],
        "Time spent (minutes)",
        "Last activity (UTC)",
        "Certificate code",
        "Certificate link",
        "On roster",
    ]

    def body() -> Iterator[list[Any]]:
        for r in rows:
            shares = dict(r.outcomes)
            yield [
                r.name,
                r.email,
                "; ".join(r.groups),
                r.status,
                r.score,
                *[_percent(shares.get(o)) for o in outcome_ids],
                r.minutes_spent,
                r.last_activity,
                r.certificate_code,
                r.certificate_url,
                r.on_roster,
            ]

    return header, body()


# -- outcome and question analysis -----------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """What the analysis is about: a question (with its outcome) or an outcome."""

    id: str
    label: str
    outcome: str = ""


@dataclass(frozen=True)
class ItemStat:
    id: str
    label: str
    answered: int
    correct: int
    outcome: str = ""

    @property
    def share_correct(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def item_stats_from_counts(
    counts: Iterable[tuple[str, int, int]], items: Sequence[Item]
) -> list[ItemStat]:
    """(id, answered, correct) counts -> stats in the items' order, with zero rows for items
    nobody answered, then any counted id the course no longer has (labelled by its id)."""
    tally: dict[str, tuple[int, int]] = {}
    for item_id, answered, correct in counts:
        a, c = tally.get(item_id, (0, 0))
        tally[item_id] = (a + int(answered), c + int(correct or 0))
    out = []
    for item in items:
        a, c = tally.pop(item.id, (0, 0))
        out.append(ItemStat(item.id, item.label, a, c, item.outcome))
    for item_id in sorted(tally):
        a, c = tally[item_id]
        out.append(ItemStat(item_id, item_id, a, c))
    return out


def items_for_course(course: Any) -> tuple[list[Item], list[Item]]:
    """(outcome items, question items) from a `lmspack.course.model.Course`."""
    outcomes = [Item(o.id, o.text) for o in course.outcomes]
    questions = [Item(q.id, q.prompt, q.outcome) for q in course.quiz.questions]
    return outcomes, questions


def hardest(stats: Iterable[ItemStat]) -> list[ItemStat]:
    """Answered items, lowest share correct first: where staff struggle."""
    return sorted(
        (s for s in stats if s.answered), key=lambda s: (s.share_correct, -s.answered, s.id)
    )


def analysis_csv(
    outcome_stats: Iterable[ItemStat], question_stats: Iterable[ItemStat]
) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["Kind", "Id", "Outcome", "Text", "Answered", "Correct", "Share correct (%)"]

    def body() -> Iterator[list[Any]]:
        for kind, stats in (("outcome", outcome_stats), ("question", question_stats)):
            for s in stats:
                outcome = s.id if kind == "outcome" else s.outcome
                yield [
                    kind,
                    s.id,
                    outcome,
                    s.label,
                    s.answered,
                    s.correct,
                    _percent(s.share_correct),
                ]

    return header, body()


# -- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationQuestionInfo:
    id: str
    type: str  # "yes-no" | "rating" | "text"
    prompt: str


@dataclass(frozen=True)
class YesNoStat:
    id: str
    prompt: str
    answered: int
    yes: int

    @property
    def share_yes(self) -> float | None:
        return self.yes / self.answered if self.answered else None


@dataclass(frozen=True)
class RatingStat:
    id: str
    prompt: str
    answered: int
    total: int  # sum of ratings, so SQL can give SUM() and COUNT()

    @property
    def mean(self) -> float | None:
        return self.total / self.answered if self.answered else None


@dataclass(frozen=True)
class Comment:
    question_id: str
    text: str
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class EvaluationSummary:
    responses: int
    yes_no: tuple[YesNoStat, ...]
    ratings: tuple[RatingStat, ...]
    comments: tuple[Comment, ...]

    def share_yes(self, question_id: str) -> float | None:
        return next((s.share_yes for s in self.yes_no if s.id == question_id), None)


def _questions(questions: Sequence[Any]) -> list[EvaluationQuestionInfo]:
    return [EvaluationQuestionInfo(q.id, q.type, q.prompt) for q in questions]


def evaluation_from_counts(
    responses: int,
    yes_counts: Iterable[tuple[str, int, int]],
    rating_sums: Iterable[tuple[str, int, int]],
    comments: Iterable[Comment],
    questions: Sequence[Any],
) -> EvaluationSummary:
    """Shape the counts `reports.data.evaluation` made in the course's question order.

    `yes_counts`: (question id, answered, yes); `rating_sums`: (question id, answered, sum).
    `questions`: the course's evaluation questions (anything with id, type, prompt).
    """
    qs = _questions(questions)
    yes = {q: (int(a), int(y)) for q, a, y in yes_counts}
    rat = {q: (int(a), int(t)) for q, a, t in rating_sums}
    return EvaluationSummary(
        responses=int(responses),
        yes_no=tuple(
            YesNoStat(q.id, q.prompt, *yes.get(q.id, (0, 0))) for q in qs if q.type == "yes-no"
        ),
        ratings=tuple(
            RatingStat(q.id, q.prompt, *rat.get(q.id, (0, 0))) for q in qs if q.type == "rating"
        ),
        comments=tuple(
            sorted(
                comments,
                key=lambda c: (
                    c.submitted_at is None,
                    -utc(c.submitted_at).timestamp() if c.submitted_at else 0,
                ),
            )
        ),
    )


def evaluation_csv(summary: EvaluationSummary) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        "Kind",
        "Question",
        "Prompt",
        "Answered",
        "Yes",
        "Share yes (%)",
        "Mean rating",
        "Comment",
        "Submitted (UTC)",
    ]

    def body() -> Iterator[list[Any]]:
        for s in summary.yes_no:
            yield [
                "yes-no",
                s.id,
                s.prompt,
                s.answered,
                s.yes,
                _percent(s.share_yes),
                None,
                None,
                None,
            ]
        for s in summary.ratings:
            mean = None if s.mean is None else round(s.mean, 2)
            yield ["rating", s.id, s.prompt, s.answered, None, None, mean, None, None]
        for c in summary.comments:
            yield ["comment", c.question_id, None, None, None, None, None, c.text, c.submitted_at]

    return header, body()


# -- JSON -------------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Dataclasses, tuples, dates -> JSON-ready data (dates ISO 8601, datetimes UTC 'Z');
    computed shares are included alongside the counts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for extra in ("share_correct", "share_yes", "mean", "share_attended"):
            if isinstance(getattr(type(value), extra, None), property):  # not a method
                out[extra] = getattr(value, extra)
        return out
    if isinstance(value, datetime):
        return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


# -- headline figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The completion page's four large figures: the L&D officer's first questions."""

    learners: int
    completed: int  # passed the pre-work (certified or not)
    certified: int  # holding a valid certificate
    not_started: int

    def share(self, n: int) -> int | None:
        """n as a whole percentage of the learners (None when there are none)."""
        return round(100 * n / self.learners) if self.learners else None


def headline(counts: Mapping[str, int]) -> Headline:
    """From `reports.data.Completion.counts()` (learners by status)."""
    return Headline(
        learners=sum(counts.values()),
        completed=counts.get("passed", 0) + counts.get("certified", 0),
        certified=counts.get("certified", 0),
        not_started=counts.get("not started", 0),
    )
