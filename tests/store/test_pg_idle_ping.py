"""PostgreSQL connections are pinged only after a rest (store/db.ping_when_idle, issue 15):
a pooled connection whose server side went away while it rested is replaced before a request
uses it; one used a moment ago is not pinged (that round trip was two per launch), so a
server lost within the last moments fails one statement, as a fault (503), and the next
request has a new connection."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy
from sqlalchemy import text

from lmspack.store import faults
from lmspack.store.db import make_engine
from tests.tool.fixtures import PG_BASE, pg_schema


def _backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_BASE.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def pg_url():
    with pg_schema("lmspack_ping") as url:
        yield url


def _one_connection_whose_backend_ended(url: str, idle_ping: float):
    """An engine of one pooled connection, and that connection's server side ended."""
    engine = make_engine(url, idle_ping=idle_ping, pool_size=1, max_overflow=0)
    first = _backend(engine)
    _terminate(first)
    return engine, first


def test_a_rested_connection_whose_server_side_is_gone_is_replaced_unseen(pg_url):
    engine, first = _one_connection_whose_backend_ended(pg_url, idle_ping=0.0)
    try:
        assert _backend(engine) != first  # pinged at checkout, replaced: no error
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url):
    engine, first = _one_connection_whose_backend_ended(pg_url, idle_ping=3600.0)
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError) as err:
            _backend(engine)  # no ping: the statement meets the closed connection
        assert faults.classify(err.value) is faults.UNAVAILABLE
        assert _backend(engine) != first  # the pool was dropped: a new connection
    finally:
        engine.dispose()
