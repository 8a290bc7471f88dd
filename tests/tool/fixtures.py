"""Fixtures for the LTI tool, its grade sender and the store (registered for the whole suite by
tests/conftest.py): one migrated database per backend (SQLite file; PostgreSQL
schema made for this session), the tool on a real WSGI server on loopback, and a real
LTI 1.3 platform (lti1p3platform) on another loopback port."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lmspack.store import Store, invites
from lmspack.store.platforms import add_platform
from lmspack.tool.course_site import CourseSite
from tests.conftest import COURSE, quiz_with_settings, require

from .api_client import COURSE_MODEL
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
    with pg_schema("lmspack_test") as url:
        store = Store.from_url(url)
        store.upgrade()
        store.dispose()
        yield url


@contextlib.contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """A database URL whose search_path is a new, empty schema, dropped afterwards."""
    require(_pg_available(), f"PostgreSQL not reachable at {PG_BASE}")
    import psycopg

    schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    raw = PG_BASE.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
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
    app.extensions["lmspack.grades"].stop()


@pytest.fixture
def platform(tool) -> Iterator[TestPlatform]:
    """A fresh platform (its own issuer), registered with the tool."""
    p = TestPlatform(tool.url)
    tool.register(p)
    yield p
    p.stop()


@pytest.fixture
def variant(tool, tmp_path) -> Iterator:
    """`make(course_id, settings)`: the real course under another id with quiz.yaml's
    top-level settings changed, served by the tool beside the real one."""
    added: list[str] = []
    sites = tool.app.extensions["lmspack.sites"]

    def make(course_id: str, settings: str) -> str:
        folder = tmp_path / course_id
        shutil.copytree(COURSE, folder)
        yaml = folder / "course.yaml"
        yaml.write_text(
            yaml.read_text().replace(f"id: {COURSE_MODEL.id}\n", f"id: {course_id}\n", 1)
        )
        quiz = folder / "quiz.yaml"
        quiz.write_text(quiz_with_settings(quiz.read_text(), settings))
        site = CourseSite.build(Path(folder), tool.url + "/api/v1")
        assert site.course.id == course_id
        sites[course_id] = site
        added.append(course_id)
        return course_id

    yield make
    for course_id in added:
        sites.pop(course_id, None)


@pytest.fixture
def quiet_outbox(tool):
    """Grades that earlier tests left pending (their platforms have stopped since) are taken
    out of the outbox, so a test that counts what the sender claims, makes due or gives up
    counts its own rows."""
    from sqlalchemy import delete

    from lmspack.store.models import GradeOutbox

    with tool.store.transaction() as s:
        s.execute(delete(GradeOutbox).where(GradeOutbox.status.in_(("pending", "failed"))))


@pytest.fixture
def manual(tool):
    """No background sending: the test runs the sender itself."""
    sender = tool.app.extensions["lmspack.grades"]
    sender.enabled = False
    yield sender
    sender.enabled = True
