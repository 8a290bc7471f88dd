"""Fixed-window request counters shared by every worker and host (migration 0004).

    rate_limits   one row per key (e.g. "verify:203.0.113.9"): the end of its current window
                  (Unix seconds) and the hits counted in it.

    allowed, hits, window_ends = count_hit(session, "verify:203.0.113.9", window=60)

One statement per hit: INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING (SQLite 3.35+
and PostgreSQL), which starts a new window when the stored one has ended and otherwise adds
one, atomically (the row lock on PostgreSQL, the write lock on SQLite), so concurrent
requests in any number of processes are all counted. A host whose clock lags counts into
the newer window it finds (windows never go back), so two hosts a little out of step do not
reset each other's counts. Rows of keys no longer seen are removed now and then
(`prune`), with one DELETE on the indexed window end.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, case, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import insert_for
from .models import Base


class RateLimit(Base):
    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_ends: Mapped[int] = mapped_column(BigInteger, index=True)
    hits: Mapped[int] = mapped_column(Integer)


_STATEMENTS: dict[str, Any] = {}


def _statement(dialect: str):
    """The upsert, built once per dialect (with bound parameters)."""
    stmt = _STATEMENTS.get(dialect)
    if stmt is None:
        ins = insert_for(dialect)
        table = RateLimit.__table__
        stmt = ins(table).values(key=bindparam("key"), window_ends=bindparam("window_ends"), hits=1)
        same_window = table.c.window_ends >= stmt.excluded.window_ends
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "hits": case((same_window, table.c.hits + 1), else_=1),
                "window_ends": case(
                    (same_window, table.c.window_ends), else_=stmt.excluded.window_ends
                ),
            },
        ).returning(table.c.hits, table.c.window_ends)
        _STATEMENTS[dialect] = stmt
    return stmt


def count_hit(session: Session, key: str, *, window: int, now: float) -> tuple[int, int]:
    """Count one hit for `key` in the fixed window of `window` seconds that holds `now`
    (Unix seconds). Returns (hits in that window so far, the window's end). The caller
    commits."""
    window_ends = (int(now) // window + 1) * window
    dialect = session.get_bind().dialect.name
    row = session.execute(_statement(dialect), {"key": key[:100], "window_ends": window_ends}).one()
    return int(row.hits), int(row.window_ends)


def prune(session: Session, *, before: float) -> int:
    """Remove the counters whose window ended before `before` (Unix seconds)."""
    result = session.execute(delete(RateLimit).where(RateLimit.window_ends < int(before)))
    return result.rowcount or 0
