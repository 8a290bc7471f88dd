"""Fixtures for the LTI tool: one migrated database per backend (SQLite file; PostgreSQL
schema made for this session), the tool on a real WSGI server on loopback, and a real
LTI 1.3 platform (lti1p3platform) on another loopback port."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lmspack.store import Store, invites
from lmspack.store.platforms import add_platform
from tests.conftest import COURSE, require

from .platform import ServerThread, TestPlatform

PG_BASE = os.environ.get("LMSPACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_BASE.replace("+psycopg", ""), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "lmspack.sqlite"
        url = f"sqlite:///{path}"
        store = Store.from_url(url)
        store.upgrade()
        store.dispose()
        yield url
        return
    require(_pg_available(), f"PostgreSQL not reachable at {PG_BASE}")
    import psycopg

    schema = f"lmspack_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    raw = PG_BASE.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    store = Store.from_url(url)
    store.upgrade()
    store.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def store(database_url) -> Iterator[Store]:
    s = Store.from_url(database_url)
    yield s
    s.dispose()


@dataclass
class Tool:
    url: str
    app: object
    store: Store
    server: ServerThread

    def register(self, platform: TestPlatform, **changes) -> int:
        args = {**platform.cli_args(), **changes}
        with self.store.transaction() as s:
            return add_platform(s, **args).id

    def invite(self, name: str | None = None, hours: float = 1.0) -> str:
        """A registration URL with a new invite, as `lmspack platform invite` prints it."""
        with self.store.transaction() as s:
            token, _invite = invites.create(s, name=name, hours=hours)
        return f"{self.url}/lti/register?invite={token}"


@pytest.fixture(scope="session")
def tool(database_url, store) -> Iterator[Tool]:
    from lmspack.tool import create_app

    server = ServerThread()
    app = create_app(
        {
            "database_url": database_url,
            "base_url": server.url,
            "course": str(COURSE),
            "secret_key": "test-secret-" + uuid.uuid4().hex,
            "jwt_leeway": 5,
            "http_timeout": 5,
        },
        store_=store,
    )
    server.start(app)
    yield Tool(url=server.url, app=app, store=store, server=server)
    server.stop()


@pytest.fixture
def platform(tool) -> Iterator[TestPlatform]:
    """A fresh platform (its own issuer), registered with the tool."""
    p = TestPlatform(tool.url)
    tool.register(p)
    yield p
    p.stop()


@pytest.fixture
def manual(tool):
    """No background sending: the test runs the sender itself."""
    sender = tool.app.extensions["lmspack.grades"]
    sender.enabled = False
    yield sender
    sender.enabled = True
