"""Real SQLite faults for the tests: the write lock held by another connection, a database
file that can't be written, a database that can't grow (a full disk). Each is what the
tool meets in production, made on a real file with no stand-in for SQLite."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event

from lmspack.store import Store
from lmspack.store.platforms import add_platform
from lmspack.tool import create_app
from tests.conftest import COURSE

from .platform import ServerThread, TestPlatform

BUSY_TIMEOUT = 0.2  # seconds a write waits for the lock before it is a fault


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another connection holds the write lock (BEGIN EXCLUSIVE) past the busy timeout."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The database file can't be written: chmod 444, and for root (whom the mode doesn't
    stop) the immutable attribute. Connections opened from now on are read-only."""
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        try:
            path.open("r+b").close()
        except PermissionError:
            pass
        else:
            raise AssertionError(f"could not make {path} read-only")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
        path.chmod(0o644)


@contextlib.contextmanager
def full(store: Store) -> Iterator[None]:
    """The database can't grow: every new connection's max_page_count is the file's size,
    so a write that needs a page fails with SQLite's own SQLITE_FULL, as on a full disk."""

    def cap(dbapi_conn, _record) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    event.listen(store.engine, "connect", cap)
    store.engine.dispose()
    try:
        yield
    finally:
        event.remove(store.engine, "connect", cap)
        store.engine.dispose()


@dataclass
class Worker:
    """One web process of the tool: its own engine (pool) and app, on loopback."""

    path: Path | str  # the SQLite file, or the database URL
    url: str
    store: Store
    app: object
    server: ServerThread

    def restart(self) -> None:
        """What a worker's restart does to the database: every connection is new."""
        self.store.engine.dispose()

    def stop(self) -> None:
        self.server.stop()
        self.store.dispose()


def start_worker(database: Path | str, secret_key: str) -> Worker:
    """The tool on the SQLite file `database` (with a short busy timeout) or a database URL.
    Workers with the same secret key take each other's launch tokens, as gunicorn's do."""
    url = f"sqlite:///{database}" if isinstance(database, Path) else database
    store = Store.from_url(url, busy_timeout=BUSY_TIMEOUT)
    server = ServerThread()
    config = {
        "database_url": url, "base_url": server.url, "course": str(COURSE),
        "secret_key": secret_key, "grades_background": False,
    }  # fmt: skip
    app = create_app(config, store_=store)
    server.start(app)
    return Worker(database, server.url, store, app, server)


@dataclass
class FaultyTool(Worker):
    """A worker on a database file of its own (so it can be broken), and a platform
    registered with it."""

    secret_key: str = ""
    platform: TestPlatform | None = None

    def stop(self) -> None:
        if self.platform is not None:
            self.platform.stop()
        super().stop()


def make_tool(folder: Path, template: Path) -> FaultyTool:
    path = folder / f"faulty-{uuid.uuid4().hex[:6]}.sqlite"
    shutil.copyfile(template, path)
    secret = "faults-" + uuid.uuid4().hex
    w = start_worker(path, secret)
    tool = FaultyTool(w.path, w.url, w.store, w.app, w.server, secret, TestPlatform(w.url))
    with tool.store.transaction() as s:
        add_platform(s, **tool.platform.cli_args())
    return tool


def migrated_template(folder: Path) -> Path:
    """One migrated database, copied for each tool (migrating costs more than copying)."""
    path = folder / "template.sqlite"
    store = Store.from_url(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("VACUUM")  # no free pages: a write that needs one must grow the file
    return path
