"""The tool's store: SQLAlchemy 2 models, engine/session, Alembic migrations.

    from lmspack.store import Store
    store = Store.from_url(os.environ.get("DATABASE_URL"))   # SQLite file by default
    with store.transaction() as s:
        s.add(...)

Layout: db.py (engine, SQLite pragmas), models.py (tables), certificates.py, ratelimit.py,
logins.py, invites.py and live_sessions.py (their tables: certificates, shared rate-limit
counters, OIDC logins in flight, registration invites, live sessions and their bookings),
migrate.py (Alembic from code, start-up check), keys.py (tool signing keys), platforms.py
(registrations), records.py (launch upserts), cache.py (shared values with expiry: launch
data, JWKS, access tokens), migrations/ (Alembic).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import certificates as _certificates  # noqa: F401  (its tables join Base.metadata)
from . import invites as _invites  # noqa: F401  (its table joins Base.metadata)
from . import live_sessions as _live_sessions  # noqa: F401  (its tables join Base.metadata)
from . import logins as _logins  # noqa: F401  (its table joins Base.metadata)
from . import ratelimit as _ratelimit  # noqa: F401  (its table joins Base.metadata)
from .db import READ_ONLY, database_url, is_sqlite, make_engine, session_factory
from .migrate import NotMigrated, check_migrated, upgrade


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    #: sessions that only read: on SQLite they do not take the write lock
    read_sessions: sessionmaker[Session]
    #: sessions whose every statement commits by itself (PostgreSQL: no BEGIN or COMMIT round
    #: trips), for a request whose statements need no transaction around them; on SQLite,
    #: where a BEGIN costs no round trip, the same as `sessions`
    autocommit_sessions: sessionmaker[Session] | None = None

    def __post_init__(self) -> None:
        if self.autocommit_sessions is None:
            engine = self.engine
            if not is_sqlite(engine):
                engine = engine.execution_options(isolation_level="AUTOCOMMIT")
            self.autocommit_sessions = session_factory(engine)

    @classmethod
    def from_url(cls, url: str | None = None, **engine_kwargs) -> Store:
        engine = make_engine(url, **engine_kwargs)
        reader = engine.execution_options(**{READ_ONLY: True})
        return cls(
            engine=engine, sessions=session_factory(engine), read_sessions=session_factory(reader)
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    def upgrade(self) -> list[str]:
        """Migrate to the newest schema; create the first signing key if there is none.
        Returns what was done, for the CLI to print."""
        from .keys import ensure_key

        done = []
        upgrade(self.engine)
        with self.transaction() as s:
            key = ensure_key(s)
            if key is not None:
                done.append(f"created signing key {key.kid}")
        return done

    def check_migrated(self) -> None:
        check_migrated(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["NotMigrated", "Store", "database_url", "make_engine"]
