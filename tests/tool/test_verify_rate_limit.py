"""The public verification page's rate limit is counted in the database (SQLite and
PostgreSQL): two app instances on one database (two workers, or two hosts) share it, a lagging
clock does not reset it, ProxyFix's client address is the one counted, and over the limit the
answer is a clear 429 page with Retry-After. One upsert per look-up."""

from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import event, select

from lmspack.store.ratelimit import RateLimit, count_hit
from lmspack.tool.certificates import client_key
from tests.conftest import COURSE

LIMIT = 3
WINDOW = 60
T0 = 1_900_000_000 // WINDOW * WINDOW + 10  # 10 s into a window: 50 s left
UNKNOWN = "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"
_addresses = (f"198.51.100.{i}" for i in itertools.count(1))


def new_app(database_url: str, **config):
    from lmspack.tool import create_app

    return create_app(
        {
            "database_url": database_url,
            "course": str(COURSE),
            "secret_key": "rl-" + uuid.uuid4().hex,
            "extra": {"VERIFY_RATE_LIMIT": LIMIT, "VERIFY_RATE_PRUNE_CHANCE": 0.0},
            **config,
        }
    )


@pytest.fixture(scope="module")
def workers(database_url):
    """Two app instances, each with its own engine, on the same database."""
    apps = [new_app(database_url), new_app(database_url)]
    yield apps
    for app in apps:
        app.extensions["lmspack.store"].dispose()


def at(app, when: float):
    app.extensions["lmspack.verify_limiter"].clock = lambda: when
    return app


def look_up(app, address: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    client = app.test_client()
    return client.get(f"/verify/{UNKNOWN}", environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_two_workers_share_the_limit(workers):
    w1, w2 = (at(w, T0) for w in workers)
    me, other = next(_addresses), next(_addresses)
    codes = [look_up(w, me).status_code for w in (w1, w2, w1)]
    assert codes == [404, 404, 404]
    for w in (w2, w1):  # the 4th and 5th, whichever worker takes them
        r = look_up(w, me)
        assert r.status_code == 429
        assert r.headers["Retry-After"] == str(WINDOW - 10)
    assert look_up(w2, other).status_code == 404  # another address has its own count


def test_the_429_page(workers):
    w1, _ = (at(w, T0) for w in workers)
    me = next(_addresses)
    for _ in range(LIMIT):
        look_up(w1, me)
    r = look_up(w1, me)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "50" and r.headers["Cache-Control"] == "no-store"
    assert r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "Too many requests" in page and "wait 50 seconds" in page
    assert "Traceback" not in page


def test_a_new_window_starts_a_new_count(workers):
    w1, w2 = workers
    me = next(_addresses)
    at(w1, T0)
    assert [look_up(w1, me).status_code for _ in range(LIMIT + 1)] == [404] * LIMIT + [429]
    at(w2, T0 + WINDOW - 11)  # the last second of the window: still refused
    r = look_up(w2, me)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    at(w2, T0 + WINDOW - 10)  # the next window
    assert [look_up(w2, me).status_code for _ in range(LIMIT + 1)] == [404] * LIMIT + [429]


def test_a_host_with_a_lagging_clock_counts_into_the_newer_window(workers):
    ahead, behind = at(workers[0], T0 + WINDOW), at(workers[1], T0)
    me = next(_addresses)
    assert look_up(ahead, me).status_code == 404
    assert look_up(behind, me).status_code == 404  # counted in the newer window, not reset
    assert look_up(ahead, me).status_code == 404
    r = look_up(behind, me)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == str(2 * WINDOW - 10)


def test_the_address_behind_a_trusted_proxy_is_counted(database_url, workers):
    proxied = at(new_app(database_url, trusted_proxies=1), T0)
    try:
        me, neighbour = next(_addresses), next(_addresses)
        proxy = "127.0.0.9"
        for _ in range(LIMIT):
            assert look_up(proxied, proxy, forwarded_for=me).status_code == 404
        assert look_up(proxied, proxy, forwarded_for=me).status_code == 429
        assert look_up(proxied, proxy, forwarded_for=neighbour).status_code == 404
        # without a trusted proxy the header is ignored: changing it evades nothing
        direct = at(workers[0], T0)
        you = next(_addresses)
        codes = [look_up(direct, you, forwarded_for=f"10.0.0.{i}").status_code for i in range(4)]
        assert codes == [404] * LIMIT + [429]
    finally:
        proxied.extensions["lmspack.store"].dispose()


def test_ipv6_clients_are_counted_per_64(workers):
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::7")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.4") == "192.0.2.4"
    assert client_key("192.0.2.4") == "192.0.2.4" and client_key("") == "?"
    w1 = at(workers[0], T0)
    n = next(_addresses).rsplit(".", 1)[1]
    codes = [look_up(w1, f"2001:db8:{n}:7::{i + 1}").status_code for i in range(LIMIT + 1)]
    assert codes == [404] * LIMIT + [429]


def test_one_upsert_per_look_up(workers):
    w1 = at(workers[0], T0)
    engine = w1.extensions["lmspack.store"].engine
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert look_up(w1, next(_addresses)).status_code == 404
    finally:
        event.remove(engine, "before_cursor_execute", record)
    on_table = [s for s in seen if "rate_limits" in s]
    assert len(on_table) == 1 and on_table[0].lstrip().upper().startswith("INSERT"), seen
    assert "ON CONFLICT" in on_table[0].upper()


def test_old_counters_are_pruned(workers):
    w1 = at(workers[0], T0)
    store = w1.extensions["lmspack.store"]
    stale = f"verify:stale-{uuid.uuid4().hex[:8]}"
    with store.transaction() as s:
        count_hit(s, stale, window=WINDOW, now=T0 - 3 * WINDOW)
    limiter = w1.extensions["lmspack.verify_limiter"]
    limiter.prune_chance = 1.0
    try:
        assert look_up(w1, next(_addresses)).status_code == 404  # a window's first hit
    finally:
        limiter.prune_chance = 0.0
    with store.sessions() as s:
        assert s.scalar(select(RateLimit).where(RateLimit.key == stale)) is None
        assert s.scalar(select(RateLimit).where(RateLimit.window_ends > T0)) is not None
