"""The store on both databases: atomic single-use logins (state + nonce), tenancy,
migrations, the CLI, and the cookie attributes behind an HTTPS proxy."""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from lmspack.cli import main
from lmspack.store import NotMigrated, Store, logins
from lmspack.store.cache import get as cache_get
from lmspack.store.cache import put as cache_set
from lmspack.store.models import Context, Platform
from lmspack.store.platforms import add_platform, list_platforms
from lmspack.tool.launch_token import LaunchClaims, issue_launch_token, verify_launch_token
from tests.conftest import COURSE
from tests.tool.api_client import learner_api
from tests.tool.platform import Browser, TestPlatform


def test_a_login_is_consumed_exactly_once_under_concurrency(store):
    """The launch takes its login (state + nonce) with one DELETE ... RETURNING: of eight
    concurrent launches with the same state, one gets the login, seven get nothing."""
    state = "state-" + uuid.uuid4().hex
    with store.transaction() as s:
        platform = add_platform(
            s, name="Logins", issuer=f"https://{state}.test", client_id="c",
            auth_login_url="https://l.test/a", auth_token_url="https://l.test/t",
            key_set_url="https://l.test/k",
        )  # fmt: skip
        logins.save(s, state=state, nonce="n-1", platform_id=platform.id, ttl=60)
        logins.save(s, state=state + "-old", nonce="n-2", platform_id=platform.id, ttl=-1)
    results: list[object] = []
    barrier = threading.Barrier(8)

    def consume():
        barrier.wait()
        with store.transaction() as s:
            results.append(logins.consume(s, state))

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(None) == 7
    assert [r for r in results if r] == [logins.LoginRecord("n-1", platform.id)]
    with store.transaction() as s:  # an expired login is no login
        assert logins.consume(s, state + "-old") is None


def test_cache_entries_upsert_and_expire(store):
    key = "k-" + uuid.uuid4().hex
    with store.transaction() as s:
        cache_set(s, key, {"a": 1}, 60)
    with store.transaction() as s:
        cache_set(s, key, {"a": 2}, 60)
        assert cache_get(s, key) == {"a": 2}
    with store.transaction() as s:
        cache_set(s, key, {"a": 3}, -1)  # already expired
    with store.transaction() as s:
        assert cache_get(s, key) is None


def test_same_context_id_on_two_platforms_stays_apart(tool, platform):
    other = TestPlatform(tool.url)
    tool.register(other)
    try:
        ra = Browser().launch(platform, user="same", context="shared", link="rl")
        rb = Browser().launch(other, user="same", context="shared", link="rl")
        secret = tool.app.config["SECRET_KEY"]
        a = verify_launch_token(parse_qs(urlsplit(ra.headers["Location"]).query)["t"][0], secret)
        b = verify_launch_token(parse_qs(urlsplit(rb.headers["Location"]).query)["t"][0], secret)
        assert a.platform_id != b.platform_id
        assert a.context_id != b.context_id and a.user_id != b.user_id
        assert a.attempt_id != b.attempt_id
        with tool.store.transaction() as s:
            rows = s.scalars(select(Context).where(Context.context_id == "shared")).all()
            assert {r.platform_id for r in rows} == {a.platform_id, b.platform_id}
        # platform B's teacher cannot open platform A's context
        tb = Browser().launch(other, user="tb", role="instructor", context="shared", link="rl")
        token = tb.text.split("?t=")[1].split('"')[0]
        r = Browser().get(f"{tool.url}/admin/{a.context_id}", params={"t": token})
        assert r.status_code == 403
        # a token made with another secret (another deployment of lmspack) is refused
        forged = issue_launch_token(
            "another-secret",
            LaunchClaims(
                a.user_id,
                a.platform_id,
                a.context_id,
                a.resource_link_id,
                None,
                "instructor",
                a.course_id,
            ),
        )
        r = Browser().get(f"{tool.url}/admin/{a.context_id}", params={"t": forged})
        assert r.status_code == 401
    finally:
        other.stop()


def test_migrations_match_the_models(store):
    """What `lmspack db upgrade` builds is what the models declare (tables, columns, indexes,
    constraints): a model change without its migration fails here, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import lmspack.store.certificates  # noqa: F401  (its tables are in the same metadata)
    from lmspack.store.models import Base

    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    """Each revision's downgrade undoes its upgrade (SQLite, where batch mode rebuilds
    tables): down to nothing, then up to head, without error and with data kept."""
    from lmspack.store import migrate

    store = Store.from_url(f"sqlite:///{tmp_path}/roundtrip.sqlite")
    store.upgrade()
    with store.transaction() as s:
        add_platform(
            s, name="Kept", issuer="https://kept.test", client_id="k",
            auth_login_url="https://kept.test/a", auth_token_url="https://kept.test/t",
            key_set_url="https://kept.test/k", deployment_ids=["1"],
        )  # fmt: skip
    migrate.downgrade(store.engine, "0003")
    assert migrate.current_revision(store.engine) == "0003"
    migrate.upgrade(store.engine)
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    with store.sessions() as s:
        assert [p.name for p in list_platforms(s)] == ["Kept"]
        # added before 0007 recorded how: it may have come by open dynamic registration
        assert [p.added_via for p in list_platforms(s)] == ["unrecorded"]
    migrate.downgrade(store.engine, "base")
    assert migrate.current_revision(store.engine) is None
    migrate.upgrade(store.engine)
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    store.dispose()


def test_unmigrated_database_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    from lmspack.tool import create_app

    with pytest.raises(NotMigrated, match="Run `lmspack db upgrade`"):
        create_app({"database_url": url, "course": str(COURSE)})
    res = CliRunner().invoke(main, ["serve", "--database-url", url, "--course", str(COURSE)])
    assert res.exit_code == 1
    assert "lmspack db upgrade" in res.output


def test_cli_db_and_platforms(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    run = CliRunner().invoke
    res = run(main, ["db", "upgrade", "--database-url", url])
    assert res.exit_code == 0 and "created signing key" in res.output, res.output
    res = run(main, ["db", "upgrade", "--database-url", url])
    assert "already at revision" in res.output
    add = [
        "platform", "add", "--name", "Acme Moodle", "--issuer", "https://moodle.acme.test",
        "--client-id", "abc", "--deployment-id", "1",
        "--auth-url", "https://moodle.acme.test/mod/lti/auth.php",
        "--token-url", "https://moodle.acme.test/mod/lti/token.php",
        "--jwks-url", "https://moodle.acme.test/mod/lti/certs.php",
        "--database-url", url,
    ]  # fmt: skip
    res = run(main, add)
    assert res.exit_code == 0, res.output
    res = run(main, add)
    assert res.exit_code != 0 and "exists" in res.output
    res = run(main, ["platform", "add-deployment", "Acme Moodle", "2", "--database-url", url])
    assert res.exit_code == 0, res.output
    res = run(main, ["platform", "list", "--database-url", url])
    assert "Acme Moodle" in res.output and "1, 2" in res.output
    assert "added by hand (lmspack platform add) on " in res.output
    res = run(main, ["platform", "remove", "Acme Moodle", "--yes", "--database-url", url])
    assert res.exit_code == 0, res.output
    store = Store.from_url(url)
    with store.transaction() as s:
        assert s.scalars(select(Platform)).all() == []
    store.dispose()
    bad = add[:]
    bad[bad.index("--jwks-url") + 1] = "not a url"
    res = run(main, bad)
    assert res.exit_code != 0 and "JWKS URL must be an http(s) URL" in res.output


def test_cookies_behind_https_proxy_are_partitioned(tool, platform, database_url, store):
    from lmspack.tool import create_app

    app = create_app(
        {
            "database_url": database_url,
            "base_url": "https://tool.example",
            "course": str(COURSE),
            "secret_key": "s",
            "trusted_proxies": 1,
        },
        store_=store,
    )
    client = app.test_client()
    query = {
        "iss": platform.issuer,
        "login_hint": "u",
        "client_id": platform.client_id,
        "lti1p3_new_window": "1",
    }
    r = client.get("/lti/login", query_string=query, headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 302
    cookies = r.headers.getlist("Set-Cookie")
    assert cookies
    for c in cookies:
        assert "Secure" in c and "SameSite=None" in c and "Partitioned" in c, c
    # without the new-window flag, the cookie check page with its new-window link comes first
    del query["lti1p3_new_window"]
    r = client.get("/lti/login", query_string=query, headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 200 and b"lti1p3-new-tab-link" in r.data
    assert b"Open the activity in a new window" in r.data


def test_outbound_http_has_a_timeout():
    import time as _time

    import requests
    from flask import Flask

    from lmspack.tool.pylti import http_session
    from tests.tool.platform import ServerThread

    slow = Flask("slow")

    @slow.get("/")
    def _slow():
        _time.sleep(2)
        return "late"

    server = ServerThread().start(slow)
    try:
        t0 = _time.monotonic()
        with pytest.raises(requests.Timeout):
            http_session(0.3).get(server.url + "/")
        assert _time.monotonic() - t0 < 1.5
    finally:
        server.stop()


def test_config_from_file_and_environment(tmp_path):
    from lmspack.tool.config import ToolConfig

    f = tmp_path / "lmspack.toml"
    f.write_text('base_url = "https://file.example/"\ntrusted_proxies = 2\ncourse = "x"\n')
    cfg = ToolConfig.load(
        {"LMSPACK_CONFIG": str(f), "LMSPACK_BASE_URL": "https://env.example", "SECRET_KEY": "k"}
    )
    assert cfg.base_url == "https://env.example"  # the environment wins
    assert cfg.trusted_proxies == 2 and cfg.course == "x" and cfg.secret_key == "k"
    assert ToolConfig.load({"LMSPACK_COOKIE_CHECK": "0"}).cookie_check is False
    with pytest.raises(ValueError, match="unknown setting"):
        ToolConfig.from_mapping({"nope": 1})


def test_grade_sender_settings_reach_the_app(tool, database_url, store):
    from lmspack.tool import create_app
    from lmspack.tool.config import ToolConfig

    cfg = ToolConfig.load(
        {
            "DATABASE_URL": database_url,
            "LMSPACK_COURSE": str(COURSE),
            "SECRET_KEY": "s",
            "LMSPACK_GRADES_BACKGROUND": "0",
            "LMSPACK_GRADES_POLL_SECONDS": "5",
        }
    )
    app = create_app(cfg, store_=store)
    sender = app.extensions["lmspack.grades"]
    assert sender.enabled is False and sender.poll == 5.0
    plain = ToolConfig.load(
        {"DATABASE_URL": database_url, "LMSPACK_COURSE": str(COURSE), "SECRET_KEY": "s"}
    )
    assert create_app(plain, store_=store).extensions["lmspack.grades"].enabled is True


def test_registration_key_closes_dynamic_registration(tool, database_url, store):
    from lmspack.tool import create_app

    app = create_app(
        {
            "database_url": database_url,
            "course": str(COURSE),
            "secret_key": "s",
            "registration_key": "sesame",
        },
        store_=store,
    )
    client = app.test_client()
    r = client.get("/lti/register?openid_configuration=https://x.example/.well-known/oc")
    assert r.status_code == 403 and b"needs an invite" in r.data
    assert b"?key=" in client.get("/lti/config").data


def test_a_stopped_sender_sends_no_more(database_url, store):
    """A torn-down app's sender thread ends and a kick does not start it again (old senders
    sharing a pool held the connections a live app's requests waited for)."""
    from lmspack.grades import BackgroundSender

    sender = BackgroundSender(store, poll=0.05)
    sender.kick()
    end = time.monotonic() + 10
    while sender.passes == 0 and time.monotonic() < end:
        time.sleep(0.01)
    assert sender.passes > 0  # it ran
    thread = sender._thread
    sender.stop()
    assert thread is not None and not thread.is_alive()
    passes = sender.passes
    sender.kick()
    sender.ensure_started()
    time.sleep(0.2)
    assert sender.passes == passes and not sender._thread.is_alive()


def test_a_request_holds_one_connection_at_a_time(tool, platform, database_url):
    """Threads of a worker share its pool: a request that holds a connection and then waits
    for another (the platform origins were re-read in a session of their own after the view,
    every ORIGINS_TTL) deadlocks once every connection is held by such a request; in the
    suite, ten learners at once waited past their 10 s timeout. With a pool of exactly what a
    request may hold (PostgreSQL: its session; SQLite: that and the reader), pages and API
    calls still answer when the origins are due to be re-read."""
    from lmspack.tool import create_app

    size = 2 if database_url.startswith("sqlite") else 1
    tight = Store.from_url(database_url, pool_size=size, max_overflow=0, pool_timeout=3)
    try:
        app = create_app(
            {
                "database_url": database_url,
                "course": str(COURSE),
                "secret_key": tool.app.config["SECRET_KEY"],
                "base_url": tool.url,
            },
            store_=tight,
        )
        app.extensions["lmspack.grades"].enabled = False
        client = app.test_client()
        api = learner_api(tool, platform, user="one-conn", context="oc1", link="ocl1")
        auth = {"Authorization": f"Bearer {api.token}"}
        for _ in range(2):
            app.extensions["lmspack.origins"] = (float("-inf"), [])  # due to be re-read
            r = client.get("/api/v1/attempt", headers=auth)
            assert r.status_code == 200, r.text[:300]
            assert tight.engine.pool.checkedout() == 0
        assert app.extensions["lmspack.origins"][1]  # and they were read
    finally:
        tight.dispose()
