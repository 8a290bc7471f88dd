"""Dynamic registration is closed by default: only an administrator's invite (single use,
expiring, stored hashed) opens it, and what it fetches goes through the address guard
(https, public addresses, capped size, redirects and time), with pages for the administrator
that name the problem without echoing the platform's answer. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import html
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask, jsonify, redirect
from sqlalchemy import select, update

from lmspack.cli import main
from lmspack.store import invites
from lmspack.store.invites import RegistrationInvite
from lmspack.store.models import Platform, utcnow
from tests.conftest import COURSE

from .platform import Browser, ServerThread, TestPlatform

LEARNER_HINT = "Go back to your course page"


@pytest.fixture
def fresh(tool):
    """A platform that is not registered with the tool (it is about to be). Its issuer is
    its loopback address, so one on a port an earlier test's platform had (registered, since
    stopped) is passed over."""
    for _ in range(20):
        p = TestPlatform(tool.url)
        with tool.store.sessions() as s:
            taken = s.scalar(select(Platform.id).where(Platform.issuer == p.issuer))
        if taken is None:
            break
        p.stop()
    else:
        pytest.fail("no loopback port free of an earlier test's platform")
    yield p
    p.stop()


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["invite"][0]


def _state(tool, url: str) -> str:
    with tool.store.sessions() as s:
        return invites.state_of(invites.find(s, _token(url)))


def _register(client, invite_url: str, config_url: str, token: str = "t"):
    """GET the registration URL as a platform would, with a Browser or a Flask test client."""
    params = {"openid_configuration": config_url, "registration_token": token}
    if hasattr(client, "http"):
        return client.get(invite_url, params=params)
    parts = urlsplit(invite_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return client.get(parts.path, query_string={**query, **params})


def _text(r) -> str:
    return r.text if hasattr(r, "text") else r.get_data(as_text=True)


def _admin_page(r, status: int, *phrases: str) -> str:
    text = _text(r)
    assert r.status_code == status, (r.status_code, text[:1500])
    assert LEARNER_HINT not in text and "Traceback" not in text
    problem = html.unescape(text.split('class="problem">')[-1].split("</div>")[0])
    for phrase in phrases:
        assert phrase in problem, problem
    return problem


# --------------------------------------------------------------------------- closed by default


def test_registration_without_an_invite_is_403_and_fetches_nothing(tool, fresh):
    config = fresh.issuer + "/.well-known/openid-configuration"
    b = Browser()
    for query in ("", "?invite=not-an-invite", "?key=guess"):
        r = _register(b, f"{tool.url}/lti/register{query}", config, fresh.registration_token)
        _admin_page(r, 403, "invite")
    assert "not valid" in _text(_register(b, tool.url + "/lti/register?invite=x", config))
    assert fresh.config_hits == 0 and fresh.registration_requests == []
    with tool.store.sessions() as s:
        assert s.scalars(select(Platform).where(Platform.issuer == fresh.issuer)).all() == []


def test_an_invite_registers_once_then_asks_for_a_new_one(tool, fresh, database_url):
    run = CliRunner().invoke(
        main,
        ["platform", "invite", "--name", "Borough of Testing", "--expires-hours", "2",
         "--base-url", tool.url, "--database-url", database_url],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    url = run.stdout.strip()
    assert url.startswith(tool.url + "/lti/register?invite=")
    assert "registers one platform, once" in run.stderr
    token = _token(url)
    with tool.store.sessions() as s:  # only the token's hash is kept
        row = invites.find(s, token)
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
        assert row.expires_at - row.created_at == timedelta(hours=2)

    b = Browser()
    assert fresh.start_registration(b, url).status_code == 200
    again = fresh.start_registration(b, url)
    _admin_page(again, 403, "already used", "Ask the tool's administrator for a new invite")
    assert fresh.config_hits == 1 and len(fresh.registration_requests) == 1

    listing = CliRunner().invoke(main, ["platform", "list", "--database-url", database_url])
    assert "Borough of Testing" in listing.output
    assert "added by dynamic registration with the invite 'Borough of Testing' on" in (
        listing.output
    )
    made = CliRunner().invoke(main, ["platform", "invites", "--database-url", database_url])
    assert "Borough of Testing" in made.output and "registered #" in made.output


def test_an_expired_invite_is_403(tool, fresh):
    url = tool.invite(name="Late")
    with tool.store.transaction() as s:
        s.execute(
            update(RegistrationInvite)
            .where(RegistrationInvite.token_hash == invites.token_hash(_token(url)))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    r = fresh.start_registration(Browser(), url)
    _admin_page(r, 403, "expired", "new invite")
    assert fresh.config_hits == 0


def test_one_invite_used_twice_at_once_registers_once(tool, fresh):
    url = tool.invite(name="Racing")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def go():
        barrier.wait()
        statuses.append(fresh.start_registration(Browser(), url).status_code)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [403] * 5
    assert fresh.config_hits == 1 and len(fresh.registration_requests) == 1


def test_consuming_an_invite_is_atomic(store):
    with store.transaction() as s:
        token, _ = invites.create(s, name=None, hours=1)
    won: list[object] = []
    barrier = threading.Barrier(8)

    def consume():
        barrier.wait()
        with store.transaction() as s:
            won.append(invites.consume(s, token))

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(w is not None for w in won) == 1


def test_registration_key_still_opens_registration(database_url, store, fresh):
    from lmspack.tool import create_app

    app = create_app(
        {"database_url": database_url, "base_url": "http://127.0.0.1:9", "course": str(COURSE),
         "secret_key": "s", "registration_key": "sesame", "grades_background": False},
        store_=store,
    )  # fmt: skip
    client = app.test_client()
    config = fresh.issuer + "/.well-known/openid-configuration"
    r = _register(client, "/lti/register?key=wrong", config, fresh.registration_token)
    _admin_page(r, 403, "needs an invite")
    assert fresh.config_hits == 0
    r = _register(client, "/lti/register?key=sesame", config, fresh.registration_token)
    assert r.status_code == 200, _text(r)[:800]
    with store.sessions() as s:
        p = s.scalar(select(Platform).where(Platform.client_id == fresh.registered_client_id))
        assert p.added_via == "registration-key" and p.invite_name is None


# --------------------------------------------------------------------------- refusals


def test_the_platform_refusing_the_registration_is_a_400_for_the_admin(tool, fresh):
    url = tool.invite(name="Refused")
    r = _register(Browser(), url, fresh.issuer + "/.well-known/openid-configuration", "wrong")
    _admin_page(
        r,
        400,
        "The platform refused the registration: it did not accept the registration token "
        "(HTTP 401); make a new invite and try again.",
    )
    assert _state(tool, url) == "used"
    fresh.reject_registration = ("invalid_client_metadata", "SECRET-DESCRIPTION")
    r = fresh.start_registration(Browser(), tool.invite())
    problem = _admin_page(r, 400, "HTTP 400, invalid_client_metadata", "make a new invite")
    assert "SECRET-DESCRIPTION" not in _text(r) and problem
    with tool.store.sessions() as s:
        row = invites.find(s, _token(url))
        assert row.outcome.startswith("failed: The platform refused the registration")
        assert s.scalars(select(Platform).where(Platform.issuer == fresh.issuer)).all() == []


@contextmanager
def serving(app: Flask):
    server = ServerThread().start(app)
    try:
        yield server.url
    finally:
        server.stop()


def _config_app(issuer_of=None, **endpoints) -> Flask:
    app = Flask("odd-platform")

    @app.get("/.well-known/openid-configuration")
    def conf():
        from flask import request

        base = request.host_url.rstrip("/")
        body = {
            "issuer": issuer_of(base) if issuer_of else base,
            "authorization_endpoint": base + "/auth",
            "token_endpoint": base + "/token",
            "jwks_uri": base + "/jwks",
            "registration_endpoint": base + "/register",
        }
        return jsonify({**body, **endpoints})

    return app


def test_what_the_platform_answers_is_checked_and_never_echoed(tool):
    b = Browser()
    secret = "SECRET-BODY-TEXT"
    app = Flask("misbehaving")
    answers = {
        "error": lambda: (secret, 500),
        "huge": lambda: jsonify({"issuer": "x", "pad": "x" * 300_000}),
        "html": lambda: f"<html>{secret}</html>",
        "loop": lambda: redirect("/loop"),
        "to-private": lambda: redirect("http://10.255.255.1/.well-known/oc"),
    }
    for name, view in answers.items():
        app.add_url_rule("/" + name, name, view)
    with serving(app) as base:
        cases = {
            "/error": (502, "answered with HTTP status 500"),
            "/huge": (502, "answered with more than 64 KiB"),
            "/html": (502, "did not answer with JSON"),
            "/loop": (502, "redirected more than 3 times"),
            "/to-private": (400, "private, loopback or link-local address (10.255.255.1)"),
        }
        for path, (status, phrase) in cases.items():
            r = _register(b, tool.invite(), base + path)
            _admin_page(r, status, phrase)
            assert secret not in r.text
    with serving(_config_app(lambda base: base.replace("127.0.0.1", "127.0.0.1.evil"))) as base:
        r = _register(b, tool.invite(), base + "/.well-known/openid-configuration")
        _admin_page(r, 400, "which is not the site it came from")
    with serving(_config_app(jwks_uri="http://10.1.2.3/jwks")) as base:
        r = _register(b, tool.invite(), base + "/.well-known/openid-configuration")
        _admin_page(r, 400, "key set URL (jwks_uri)", "private, loopback or link-local")


def test_private_and_link_local_addresses_are_refused_without_a_connection(tool):
    """The tool runs on loopback here, so loopback platforms are allowed (as in development):
    private and link-local ones still are not. 10.255.255.1 answers nothing, so a connection
    attempt would take the whole timeout; the refusal is immediate."""
    b = Browser()
    for url in (
        "http://10.255.255.1/.well-known/openid-configuration",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.255.255.1]/.well-known/openid-configuration",
        "http://192.168.0.1:8080/.well-known/openid-configuration",
    ):
        t0 = time.monotonic()
        r = _register(b, tool.invite(), url)
        _admin_page(r, 400, "private, loopback or link-local address", "LMSPACK_ALLOW_PRIVATE")
        assert time.monotonic() - t0 < 2


@contextmanager
def listener():
    """A TCP port on loopback that records whether anything connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)

    def connected() -> bool:
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            return False
        conn.close()
        return True

    try:
        yield sock.getsockname()[1], connected
    finally:
        sock.close()


def _public_tool(database_url, store, **extra):
    from lmspack.tool import create_app

    cfg = {"database_url": database_url, "base_url": "https://tool.example", "course": str(COURSE),
           "secret_key": "s", "http_timeout": 0.5, "grades_background": False, **extra}  # fmt: skip
    return create_app(cfg, store_=store).test_client()


def test_a_public_tool_fetches_no_loopback_address_unless_allowed(tool, database_url, store):
    client = _public_tool(database_url, store)
    with listener() as (port, connected):
        url = tool.invite()
        r = _register(client, url, f"http://127.0.0.1:{port}/.well-known/openid-configuration")
        _admin_page(r, 400, "plain http", "https only")
        assert _state(tool, url) == "valid"  # a wrong address costs no invite
        for host in ("127.0.0.1", "localhost", "127.1", "[::1]", "[::ffff:127.0.0.1]"):
            r = _register(client, tool.invite(), f"https://{host}:{port}/.well-known/oc")
            _admin_page(r, 400, "private, loopback or link-local address")
        assert not connected()
        # a council's Moodle on its own network: allowed, so this time the tool connects
        # (and gets no TLS answer from the bare port)
        allowing = _public_tool(database_url, store, allow_private_platforms=True)
        r = _register(allowing, tool.invite(), f"https://127.0.0.1:{port}/.well-known/oc")
        _admin_page(r, 502, "could not be reached")
        assert connected()


def test_a_closed_port_and_a_silent_one_get_the_same_words(tool, database_url, store):
    from lmspack.tool import create_app

    app = create_app(
        {"database_url": database_url, "base_url": "http://127.0.0.1:9", "course": str(COURSE),
         "secret_key": "s", "http_timeout": 0.5, "grades_background": False},
        store_=store,
    )  # fmt: skip
    client = app.test_client()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    trickle = Flask("trickle")

    @trickle.get("/oc")
    def slow():
        def drip():
            for _ in range(20):
                time.sleep(0.1)
                yield b" "

        return trickle.response_class(drip(), mimetype="application/json")

    pages = {}
    with listener() as (silent_port, _connected), serving(trickle) as trickling:
        for name, base in {
            "closed": f"http://127.0.0.1:{closed_port}",
            "silent": f"http://127.0.0.1:{silent_port}",
            "trickling": trickling,
        }.items():
            t0 = time.monotonic()
            r = _register(client, tool.invite(), base + "/oc")
            problem = _admin_page(r, 502, "could not be reached")
            pages[name] = problem.replace(base, "<address>")
            assert time.monotonic() - t0 < 1.8, name
    assert pages["closed"] == pages["silent"] == pages["trickling"]
