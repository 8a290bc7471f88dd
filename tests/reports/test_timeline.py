"""The completion page's numbers: the headline figures from the status counts, and the
running totals of the completion-over-time chart (days, weeks, months; dates from
SQLite's naive UTC and PostgreSQL's aware values alike)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lmspack.reports import summaries, timeline


def test_headline_counts_passed_and_certified_as_completed():
    counts = {"not started": 2, "in progress": 1, "failed": 1, "passed": 1, "certified": 1}
    head = summaries.headline(counts)
    assert head == summaries.Headline(learners=6, completed=2, certified=1, not_started=2)
    assert [head.share(n) for n in (head.completed, head.certified)] == [33, 17]
    assert summaries.headline(dict.fromkeys(summaries.STATUSES, 0)).share(0) is None


def test_daily_running_totals_up_to_today():
    today = date(2026, 12, 3)
    passed = [datetime(2026, 12, 1, 23, 59), datetime(2026, 12, 3, 8, tzinfo=UTC)]
    certified = [datetime(2026, 12, 2, 0, 1, tzinfo=UTC)]
    t = timeline.cumulative(passed, certified, today=today)
    assert t.unit == "day"
    assert [(p.day.day, p.completed, p.certified) for p in t.points] == [
        (1, 1, 0),
        (2, 1, 1),
        (3, 2, 1),
    ]
    assert t.top == 2


def test_long_spans_are_counted_by_week_then_by_month():
    today = date(2026, 12, 3)
    start = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday, 186 days before
    t = timeline.cumulative([start, start + timedelta(days=100)], [], today=today)
    assert t.unit == "week" and len(t.points) <= timeline.MAX_POINTS
    assert all(p.day.weekday() == 6 for p in t.points)  # each week ends on a Sunday
    assert t.points[0].completed == 1 and t.points[-1].completed == 2
    assert t.points[-1].day >= today > t.points[-2].day
    t = timeline.cumulative([datetime(2023, 1, 15)], [datetime(2024, 2, 29)], today=today)
    assert t.unit == "month"
    assert t.points[0].day == date(2023, 1, 31) and t.points[-1].day == date(2026, 12, 31)
    feb = next(p for p in t.points if p.day == date(2024, 2, 29))
    assert (feb.completed, feb.certified) == (1, 1)


def test_no_dates_no_points():
    t = timeline.cumulative([], [], today=date(2026, 12, 3))
    assert t.points == () and t.top == 1
