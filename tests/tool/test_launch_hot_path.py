"""The launch's lean path (issue 15) gives up nothing: registrations are read at every request
(a change made by another process is seen at the next launch), the course page is the same
bytes as a full render, and nothing can be kept in Flask's cookie session."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event

from lmspack.render import script_json
from lmspack.store import Store, lookups
from lmspack.store.models import Deployment, Platform
from tests.conftest import COURSE

from .platform import Browser, TestPlatform


def test_a_deployment_removed_elsewhere_is_refused_at_the_next_launch(tool, platform):
    r = Browser().launch(platform)
    assert r.status_code == 303, r.text[:300]
    other = Store.from_url(str(tool.store.engine.url.render_as_string(hide_password=False)))
    try:  # another worker's (or the CLI's) own engine: nothing shared with the tool's process
        with other.transaction() as s:
            pid = lookups.find_platform(s, platform.issuer, platform.client_id).id
            s.execute(delete(Deployment).where(Deployment.platform_id == pid))
        r = Browser().launch(platform)
        assert r.status_code == 400 and "not set up for the deployment" in r.text
        with other.transaction() as s:
            s.execute(delete(Platform).where(Platform.id == pid))
        r = Browser().get(platform.issuer + "/start")
        r = Browser().get(r.headers["Location"] + "&lti1p3_new_window=1")
        assert r.status_code == 400 and "no registration for the platform" in r.text
    finally:
        other.dispose()


def test_an_issuer_with_two_clients_needs_the_client_id(tool, store):
    first = TestPlatform(tool.url)
    try:
        tool.register(first)
        second_id = tool.register(first, client_id="second-client")
        with store.read_sessions() as s:
            assert lookups.find_platform(s, first.issuer, None) is None  # ambiguous
            row = lookups.find_platform(s, first.issuer, "second-client")
            assert row is not None and row.id == second_id and row.issuer == first.issuer
            assert lookups.deployment_pk(s, second_id, "no-such-deployment") is None
    finally:
        first.stop()


def test_the_course_page_is_a_full_render_with_the_launch_spliced_in(tool):
    from lmspack.course import load_course

    site = tool.app.extensions["lmspack.sites"][load_course(COURSE).id]
    launch = {"token": "a.b.c", "role": "learner", "attemptId": 7, "expiresAt": 1,
              "apiBase": "https://x/api/v1?</script><b>&"}  # fmt: skip
    full = site._index_head + script_json({**site._player, "launch": launch}) + site._index_tail
    assert site.index_html(launch) == full.encode("utf-8")
    assert b"</script><b>" not in site.index_html(launch)


def test_nothing_can_be_kept_in_flasks_cookie_session(tool):
    from flask import session

    with tool.app.test_request_context("/"), pytest.raises(RuntimeError):
        session["kept"] = "in one browser's cookie"


def test_the_login_writes_its_row_without_a_transaction_on_postgresql(tool, platform):
    """On PostgreSQL the login's lookup and INSERT commit by themselves (no BEGIN and COMMIT
    round trips); the launch still runs in one transaction, which consumes the login."""
    seen: list[tuple[str, bool]] = []  # (statement's start, run in autocommit)

    def note(conn, _cursor, statement, *_a):
        dbapi = conn.connection.dbapi_connection
        seen.append((" ".join(statement.split()[:3]), bool(getattr(dbapi, "autocommit", 0))))

    event.listen(tool.store.engine, "before_cursor_execute", note)
    try:
        r = Browser().launch(platform)
    finally:
        event.remove(tool.store.engine, "before_cursor_execute", note)
    assert r.status_code == 303, r.text[:300]
    postgresql = tool.store.engine.dialect.name == "postgresql"
    assert ("INSERT INTO logins", postgresql) in seen
    assert ("DELETE FROM logins", False) in seen  # in the launch's transaction
    on_their_own = {s for s, autocommit in seen if autocommit}
    assert on_their_own == ({"INSERT INTO logins", "SELECT platforms.id, platforms.name,"}
                            if postgresql else set()), seen  # fmt: skip
