"""The reports' database side, and the completion report's rules: who is listed (the stored
NRPS roster's learners and everyone who launched), the status each has, how the report is
filtered and sorted. The shapes (rows, stats, CSV columns) are in summaries.py.

Every query filters by platform_id AND the context's primary key, taken from the caller
(the admin's launch token, or the CLI's --context/--platform): nothing of another platform or
context can come back. Aggregation happens in SQL where the volume is (answers are counted
with GROUP BY), and only the small per-attempt fields are read, extracted from the JSON in
SQL (never the whole attempt state, which holds the reflections): evaluation answers are one
such field per question, counted here in one pass.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import DateTime, String, case, cast, func, null, select, type_coerce
from sqlalchemy.orm import Session

from ..course.model import Course
from ..store.certificates import Certificate
from ..store.models import Answer, Attempt, Context, Platform, ResourceLink, RosterMember, User
from ..store.names import full_name_sql
from . import summaries


def find_context(session: Session, platform_id: int, context_pk: int) -> Context | None:
    return session.scalar(
        select(Context).where(Context.id == context_pk, Context.platform_id == platform_id)
    )


def contexts_by_lti_id(session: Session, context_id: str, issuer: str | None = None):
    """For the CLI: contexts with this LTI context id (on the platform with this issuer)."""
    q = (
        select(Context, Platform)
        .join(Platform, Platform.id == Context.platform_id)
        .where(Context.context_id == context_id)
    )
    if issuer:
        q = q.where(Platform.issuer == issuer)
    return session.execute(q).all()


def shown_name(person):
    """A learner's name in the report: `store.names.full_name`, else the email, else the user
    id. `person` is User or RosterMember (the same columns)."""
    name = full_name_sql(person.given_name, person.family_name, person.name)
    return func.coalesce(name, func.nullif(person.email, ""), person.sub)


# A completion row while the report is filtered and sorted: a plain list (cheap at 10,000
# rows); only the rows shown or exported become `summaries.CompletionRow`s.
SUB, NAME, EMAIL, GROUPS, STATUS, SCORE, OUTCOMES, SECONDS, LAST, CODE, ROSTER, KEY, ATT = range(13)
_RANK = {"not_attempted": 0, "incomplete": 1, "completed": 2, "failed": 3, "passed": 4}


@dataclass
class Completion:
    rows: list[list]  # every learner, by name
    outcome_ids: list[str]
    groups: list[str]
    roster_fetched_at: datetime | None
    certificate_url: Callable[[str], str] | None = None
    # Activity times are kept as the driver returns them (naive UTC on SQLite): making each
    # of 20,000 aware costs more than the rest of the row. Made aware when a row is shown.
    naive_times: bool = False

    def counts(self, rows: Sequence[list] | None = None) -> dict[str, int]:
        tally = dict.fromkeys(summaries.STATUSES, 0)
        for r in self.rows if rows is None else rows:
            tally[r[STATUS]] += 1
        return tally

    def select(
        self,
        *,
        status: Sequence[str] | None = None,
        group: str | None = None,
        since: date | None = None,
        before: date | None = None,
        search: str = "",
        sort: str = "name",
        descending: bool = False,
    ) -> list[list]:
        """The rows with one of `status` (several may be given), in `group`, last active in
        [since, before), whose name or email holds `search`; sorted by `sort`, rows without
        a value (no score, never active) last."""
        if sort not in summaries.SORT_KEYS:
            raise ValueError(f"can't sort by {sort!r}")
        wanted = set(status or ())
        if not wanted <= set(summaries.STATUSES):
            raise ValueError(f"unknown status: {sorted(wanted - set(summaries.STATUSES))}")
        lo = summaries.utc(since) if since else None
        hi = summaries.utc(before) if before else None
        if self.naive_times:
            lo = lo and lo.replace(tzinfo=None)
            hi = hi and hi.replace(tzinfo=None)
        needle = search.casefold().strip()
        out = []
        for r in self.rows:
            if wanted and r[STATUS] not in wanted:
                continue
            if group and group not in r[GROUPS]:
                continue
            if lo or hi:
                when = r[LAST]
                if when is None or (lo and when < lo) or (hi and when >= hi):
                    continue
            if needle and needle not in r[KEY] and needle not in r[EMAIL].casefold():
                continue
            out.append(r)
        if sort == "name":  # `rows` are in name order already, and filtering kept it
            return out[::-1] if descending else out
        index = {
            "status": STATUS,
            "score": SCORE,
            "last_activity": LAST,
            "minutes_spent": SECONDS,
            "group": GROUPS,
        }[sort]
        rank = {s: i for i, s in enumerate(summaries.STATUSES)}

        def value(r):
            v = r[index]
            if sort == "status":
                return rank[v]
            if sort == "group":
                return v[0].casefold() if v else None
            if sort == "minutes_spent":
                return round(v / 60)
            return v

        present = [r for r in out if value(r) is not None]
        missing = [r for r in out if value(r) is None]
        present.sort(key=lambda r: (r[KEY], r[SUB]))
        present.sort(key=value, reverse=descending)
        return present + missing

    def row(self, r: list) -> summaries.CompletionRow:
        outcomes = r[OUTCOMES]
        if isinstance(outcomes, str):
            outcomes = json.loads(outcomes) if outcomes else {}
        shares = {
            k: (v / 100 if isinstance(v, int | float) else None)
            for k, v in (outcomes or {}).items()
        }
        code = r[CODE] if r[STATUS] == "certified" else ""
        return summaries.CompletionRow(
            user_id=r[SUB],
            name=r[NAME],
            email=r[EMAIL],
            groups=r[GROUPS],
            status=r[STATUS],
            score=r[SCORE],
            outcomes=tuple((o, shares.get(o)) for o in self.outcome_ids),
            minutes_spent=round(r[SECONDS] / 60),
            last_activity=summaries.utc(r[LAST]) if r[LAST] is not None else None,
            certificate_code=code,
            certificate_url=self.certificate_url(code) if code and self.certificate_url else "",
            on_roster=r[ROSTER],
        )

    def load_outcomes(self, session: Session, platform_id: int, rows: Sequence[list]) -> None:
        """Read the per-outcome results of these rows (the page shown), when `completion`
        was asked not to read them for every learner."""
        ids = [r[ATT] for r in rows if r[ATT] is not None and r[OUTCOMES] is None]
        if not ids:
            return
        stmt = select(Attempt.id, Attempt.state[("last", "outcomes")].as_string()).where(
            Attempt.id.in_(ids), Attempt.platform_id == platform_id
        )
        found = {a: text for a, text in session.connection().execute(stmt)}
        for r in rows:
            if r[ATT] in found:
                r[OUTCOMES] = found[r[ATT]] or ""

    def completion_rows(
        self, rows: Sequence[list] | None = None
    ) -> Iterator[summaries.CompletionRow]:
        for r in self.rows if rows is None else rows:
            yield self.row(r)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building 10,000 rows makes many small objects and no reference cycles: the cyclic
    garbage collector would run several full passes meanwhile (half the time at that size)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def completion(
    session: Session,
    platform_id: int,
    context_pk: int,
    course: Course,
    *,
    certificate_url: Callable[[str], str] | None = None,
    with_outcomes: bool = True,
) -> Completion:
    """Everyone on the stored NRPS roster (learner roles) and everyone who launched. A
    learner's status: certified (a valid certificate), else passed or failed (the attempt
    that ranks highest), else in progress (launched), else not started (on the roster only).
    Three queries, scoped by platform and context. Names follow `store.names.full_name` (in
    SQL), else the email, else the user id; the roster's name and email win, being the more recent.
    Per-outcome results stay JSON text until a row is shown or exported, and with
    `with_outcomes=False` are not read at all (`Completion.load_outcomes` reads them for the
    rows shown)."""
    with _gc_paused():
        return _completion(session, platform_id, context_pk, course, certificate_url, with_outcomes)


def _completion(session, platform_id, context_pk, course, certificate_url, with_outcomes):

    outcomes_text = Attempt.state[("last", "outcomes")].as_string() if with_outcomes else null()
    conn = session.connection()
    raw = DateTime(timezone=True)  # the driver's value, without UTCDateTime's conversion
    attempts = conn.execute(
        select(
            Attempt.id,
            User.sub,
            shown_name(User),
            User.email,
            Attempt.status,
            Attempt.score,
            type_coerce(Attempt.started_at, raw),
            type_coerce(Attempt.updated_at, raw),
            outcomes_text,
            ResourceLink.title,
        )
        .join(User, User.id == Attempt.user_id)
        .join(ResourceLink, ResourceLink.id == Attempt.resource_link_id)
        .where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_pk,
            User.platform_id == platform_id,
        )
    ).all()
    certs: dict[str, str] = {}
    for sub, code, valid in conn.execute(
        select(User.sub, Certificate.code, Certificate.revoked_at.is_(None))
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.platform_id == platform_id, Certificate.context_id == context_pk)
        .order_by(Certificate.issued_at, Certificate.seq)
    ):
        if valid:
            certs[sub] = code
        else:
            certs.setdefault(sub, "")

    by_sub: dict[str, list] = {}
    best: dict[str, int] = {}
    for att, sub, name, email, status, score, started, updated, outs, link in attempts:
        rank = _RANK.get(status, 0)
        group = link or ""
        prior = by_sub.get(sub)
        if prior is not None:
            if group not in prior[GROUPS]:
                prior[GROUPS] = (*prior[GROUPS], group)
            if updated and (prior[LAST] is None or updated > prior[LAST]):
                prior[LAST] = updated
            if best[sub] >= rank:
                continue
        secs = int(max(0.0, ((updated or started) - started).total_seconds()))
        last = prior[LAST] if prior is not None else None
        if last is None or (updated is not None and updated > last):
            last = updated
        if sub in certs and certs[sub]:
            st = "certified"
        elif status == "passed":
            st = "passed"
        elif status == "failed":
            st = "failed"
        else:
            st = "in progress"
        row = [
            sub,
            name,
            email or "",
            prior[GROUPS] if prior else (group,),
            st,
            None if score is None else int(round(score)),
            outs,
            secs,
            last,
            certs.get(sub, ""),
            False,
            name.casefold(),
            att,
        ]
        by_sub[sub] = row
        best[sub] = rank
    scope = (RosterMember.platform_id == platform_id, RosterMember.context_id == context_pk)
    fetched = conn.execute(select(func.max(RosterMember.fetched_at)).where(*scope)).scalar()
    roster_rows = conn.execute(
        select(
            RosterMember.sub,
            shown_name(RosterMember),
            RosterMember.email,
            cast(RosterMember.roles, String),
        ).where(*scope)
    ).all()
    rows: list[list] = []
    for sub, name, email, roles in roster_rows:
        if not summaries.is_learner(roles):
            continue
        row = by_sub.pop(sub, None)
        if row is None:
            row = [sub, name, email or "", (), "not started", None, "", 0, None, "", True, "", None]
        else:  # the roster's name and email are the more recent
            row[NAME], row[EMAIL], row[ROSTER] = name or row[NAME], email or row[EMAIL], True
        row[KEY] = row[NAME].casefold()
        rows.append(row)
    rows.extend(by_sub.values())
    rows.sort(key=lambda r: (r[KEY], r[SUB]))
    groups = sorted({g for r in rows for g in r[GROUPS] if g})
    return Completion(
        rows,
        [o.id for o in course.outcomes],
        groups,
        fetched,
        certificate_url,
        naive_times=conn.dialect.name == "sqlite",
    )


def analysis(
    session: Session, platform_id: int, context_pk: int, course: Course
) -> tuple[list[summaries.ItemStat], list[summaries.ItemStat]]:
    """(outcome stats, question stats): every submitted answer of every try, counted in SQL."""
    correct = func.sum(case((Answer.correct.is_(True), 1), else_=0))
    counts = session.execute(
        select(Answer.question_id, Answer.outcome_id, func.count(), correct)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.platform_id == platform_id, Attempt.context_id == context_pk)
        .group_by(Answer.question_id, Answer.outcome_id)
    ).all()
    outcome_items, question_items = summaries.items_for_course(course)
    by_outcome: dict[str, list[int]] = {}
    for _q, o, n, c in counts:
        t = by_outcome.setdefault(o, [0, 0])
        t[0] += int(n)
        t[1] += int(c or 0)
    q_stats = summaries.item_stats_from_counts(
        ((q, n, c) for q, _o, n, c in counts), question_items
    )
    o_stats = summaries.item_stats_from_counts(
        ((o, a, c) for o, (a, c) in by_outcome.items()), outcome_items
    )
    return o_stats, q_stats


def evaluation(
    session: Session, platform_id: int, context_pk: int, course: Course
) -> summaries.EvaluationSummary:
    """Submitted evaluations only: one pass over the context's attempts, reading just the
    evaluation fields out of each state (in SQL), counted here. (Counting in SQL took one
    pass for the numbers and another per comment question, each re-reading every state.)"""
    questions = course.evaluation.questions
    submitted = Attempt.state["evaluationSubmitted"].as_string()
    fields = [Attempt.state[("evaluation", q.id)].as_string() for q in questions]
    rows = session.execute(
        select(submitted, *fields).where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_pk,
            submitted.is_not(None),
        )
    ).all()
    ratings = {"1", "2", "3", "4", "5"}
    yes_counts, rating_sums = [], []
    comments: list[summaries.Comment] = []
    for i, q in enumerate(questions, start=1):
        values = [(r[0], None if r[i] is None else str(r[i])) for r in rows]
        if q.type == "yes-no":
            answered = sum(1 for _at, v in values if v in ("yes", "no"))
            yes_counts.append((q.id, answered, sum(1 for _at, v in values if v == "yes")))
        elif q.type == "rating":
            given = [int(v) for _at, v in values if v in ratings]
            rating_sums.append((q.id, len(given), sum(given)))
        elif q.type == "text":
            comments.extend(
                summaries.Comment(q.id, v.strip(), _parse_time(at))
                for at, v in values
                if v and v.strip()
            )
    return summaries.evaluation_from_counts(len(rows), yes_counts, rating_sums, comments, questions)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
