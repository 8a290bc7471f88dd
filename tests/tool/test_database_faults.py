"""Database faults are a 503 with Retry-After and a plain message, never a 500 with a
traceback: a SQLite database locked past the busy timeout, read-only, or full, through real
requests (the learner API and a launch's login page). The log has one line per kind of
fault, however many requests met it. /healthz checks a write, and a worker that started
while the database was read-only works again once it is writable."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

import pytest
import requests
import sqlalchemy

from lmspack.store import Store, faults
from lmspack.store.platforms import add_platform

from .api_client import COURSE_MODEL, Api, launch_token
from .conftest import pg_schema
from .faults import full, locked, make_tool, migrated_template, read_only, start_worker
from .platform import TestPlatform

FIRST = COURSE_MODEL.nav[0].id
STATE = {"page": FIRST, "visited": [FIRST]}
# a reflection longer than a page: the write needs new pages, which a full database lacks
LATER = {**STATE, "page": "results",
         "reflections": {COURSE_MODEL.reflections[0].id: "A long reflection. " * 500}}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return migrated_template(tmp_path_factory.mktemp("faults"))


@pytest.fixture
def faulty(tmp_path, template):
    tool = make_tool(tmp_path, template)
    faults.reset_log_throttle()
    yield tool
    tool.stop()


def _learner(tool, user: str) -> Api:
    return Api(tool.url, launch_token(tool.platform, user=user, role="learner",
                                      context="fc1", link="frl1"))  # fmt: skip


def _login_page(tool_url: str, platform) -> requests.Response:
    """The platform's /start sends the browser to the tool's /lti/login, which writes the
    login (state, nonce) before it redirects."""
    r = requests.get(platform.issuer + "/start", allow_redirects=False, timeout=10,
                     params={"user": "f-page", "role": "learner", "context": "fc1"})  # fmt: skip
    assert r.status_code == 302, r.text[:300]
    login = urljoin(tool_url, r.headers["Location"]) + "&lti1p3_new_window=1"  # cookie check
    return requests.get(login, allow_redirects=False, timeout=10, headers={"Accept": "text/html"})


def _fault_lines(caplog, kind: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if f"database fault ({kind})" in r.getMessage()]


FAULTS = {
    "busy": lambda tool: locked(tool.path),
    "read-only": lambda tool: _restarted(tool, read_only(tool.path)),
    "full": lambda tool: full(tool.store),
}


def _restarted(tool, fault):
    tool.restart()  # connections opened before keep their writable file
    return fault


@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_database_fault_is_a_503_with_retry_after_and_one_log_line(faulty, caplog, kind):
    api = _learner(faulty, f"f-{kind}")
    assert api.put("/attempt/state", STATE).status_code == 200
    caplog.set_level(logging.INFO)
    with FAULTS[kind](faulty):
        for _ in range(3):
            r = api.put("/attempt/state", LATER)
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"].isdigit() and int(r.headers["Retry-After"]) > 0
            body = r.json()
            assert body["status"] == 503 and body["fault"] == kind
            assert "could not be saved" in body["error"] and "Traceback" not in r.text
        if kind != "full":  # the login's small row may fit in a page the table already has
            page = _login_page(faulty.url, faulty.platform)
            assert page.status_code == 503, page.text[:300]
            assert page.headers["Content-Type"].startswith("text/html")
            assert page.headers["Retry-After"].isdigit()
            assert "Please try again in a moment" in page.text and "Traceback" not in page.text
    lines = _fault_lines(caplog, kind)
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    tool_lines = [r for r in caplog.records if r.name in ("lmspack.store", "lmspack.tool")]
    assert not [r for r in tool_lines if r.exc_info], "a traceback was logged"
    assert all(r.levelno < logging.ERROR for r in tool_lines)
    # the fault is over: the same write goes through (a read-only connection was dropped)
    codes = [api.put("/attempt/state", LATER).status_code for _ in "ab"]
    assert codes[-1] == 200, codes
    assert api.get("/attempt").json()["state"]["page"] == "results"


def test_healthz_checks_a_write(faulty):
    assert requests.get(faulty.url + "/healthz", timeout=10).json() == {"ok": True}
    with locked(faulty.path):
        r = requests.get(faulty.url + "/healthz", timeout=10)
        assert r.status_code == 503 and r.json()["fault"] == "busy", r.text
        assert r.headers["Retry-After"] == str(faults.BUSY.retry_after)
    assert requests.get(faulty.url + "/healthz", timeout=10).status_code == 200


def test_a_worker_started_on_a_read_only_database_recovers(faulty):
    """A worker (its app and its connections) starts while the file is read-only: /healthz
    says so; once the file is writable again it reports healthy at once and writes, with no
    restart. (Before, it failed every write for good while /healthz said 200.)"""
    token = _learner(faulty, "f-restart").token  # launched before the fault
    with read_only(faulty.path):
        worker = start_worker(faulty.path, faulty.secret_key)
    try:
        api = Api(worker.url, token)
        with read_only(faulty.path):
            worker.restart()
            r = requests.get(worker.url + "/healthz", timeout=10)
            assert r.status_code == 503 and r.json()["fault"] == "read-only", r.text
            assert r.headers["Retry-After"] == str(faults.READ_ONLY.retry_after)
            assert api.put("/attempt/state", STATE).status_code == 503
        assert requests.get(worker.url + "/healthz", timeout=10).json() == {"ok": True}
        assert api.put("/attempt/state", STATE).status_code == 200
    finally:
        worker.stop()


def test_postgresql_faults_are_503s_too(tmp_path):
    """A read-only transaction (a standby, or default_transaction_read_only) and a server that
    can't be reached are faults too: the first through a real request, the second as psycopg
    raises it."""
    with pg_schema("lmspack_faults") as url:
        store = Store.from_url(url)
        store.upgrade()
        store.dispose()
        worker = start_worker(url + "%20-cdefault_transaction_read_only%3Don", "pg-faults")
        platform = TestPlatform(worker.url)
        try:
            with Store.from_url(url).transaction() as s:
                add_platform(s, **platform.cli_args())
            page = _login_page(worker.url, platform)
            assert page.status_code == 503 and "Please try again" in page.text, page.text[:300]
            r = requests.get(worker.url + "/healthz", timeout=10)
            assert r.status_code == 503 and r.json()["fault"] == "read-only", r.text
        finally:
            platform.stop()
            worker.stop()
    gone = sqlalchemy.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test")
    with pytest.raises(sqlalchemy.exc.OperationalError) as err:
        gone.connect()
    assert faults.classify(err.value) is faults.UNAVAILABLE
