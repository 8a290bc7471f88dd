"""The platform's key set through real launches: cached as long as its Cache-Control says
(within bounds), refetched once when a known kid's signature fails (the key was replaced
under the same kid), and fetched once per platform when a burst of launches meets a cold
cache: threads of one server, and two tool processes sharing the database."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from lmspack.lti.keyset import DEFAULT_TTL, MAX_TTL, MIN_TTL
from lmspack.store.models import CacheEntry, utcnow

from .platform import Browser
from .serve_process import free_port, serve_env, serving


def _entry_key(platform) -> str:
    return "jwks:" + hashlib.sha256(platform.jwks_url.encode()).hexdigest()


def _lifetime(tool, platform) -> float:
    with tool.store.sessions() as s:
        row = s.get(CacheEntry, _entry_key(platform))
        assert row is not None, "the key set was not cached"
        return (row.expires_at - utcnow()).total_seconds()


@pytest.mark.parametrize(
    ("header", "ttl"),
    [
        (None, DEFAULT_TTL),
        ("public, max-age=120", 120),
        ('max-age="900", must-revalidate', 900),
        ("no-store", MIN_TTL),
        ("no-cache, max-age=0", MIN_TTL),
        ("max-age=5", MIN_TTL),
        ("max-age=999999999", MAX_TTL),
        ("max-age=soon", DEFAULT_TTL),
    ],
)
def test_the_key_set_is_kept_as_long_as_its_cache_control_says(tool, platform, header, ttl):
    platform.jwks_cache_control = header
    assert Browser().launch(platform, user="cc1").status_code == 303
    assert ttl - 10 < _lifetime(tool, platform) <= ttl
    assert Browser().launch(platform, user="cc2").status_code == 303
    assert platform.jwks_hits == 1
    with tool.store.transaction() as s:  # once it has expired, the next launch fetches again
        s.execute(
            update(CacheEntry)
            .where(CacheEntry.key == _entry_key(platform))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert Browser().launch(platform, user="cc3").status_code == 303
    assert platform.jwks_hits == 2


def _signed_launch(tool, platform, user: str) -> requests.Response:
    b = Browser()
    params = b.begin(platform, user=user)
    token = platform.sign(platform.launch_claims(params, {"user": user}))
    return b.post(tool.url + "/lti/launch", {"id_token": token, "state": params["state"]})


def test_a_key_replaced_under_the_same_kid_is_refetched_once(tool, platform):
    assert _signed_launch(tool, platform, "rk0").status_code == 303  # cached
    kid = platform.kid
    platform.replace_key()
    assert platform.kid == kid
    r = _signed_launch(tool, platform, "rk1")
    assert r.status_code == 303, r.text[:800]
    assert platform.jwks_hits == 2
    # replaced again at once: within the refetch interval the tool does not fetch again
    platform.replace_key()
    r = _signed_launch(tool, platform, "rk2")
    assert r.status_code == 400 and "signature is not valid" in r.text
    assert platform.jwks_hits == 2


def _prepared(platform, n: int) -> list[tuple[Browser, str, dict]]:
    """n logins done and their id_tokens signed by the platform, ready to be posted."""
    out = []
    for i in range(n):
        b = Browser()
        action, fields = b.authorize(platform, b.begin(platform, user=f"burst{i}"))
        out.append((b, action, fields))
    return out


def _post_together(jobs: list[tuple[Browser, str, dict]]) -> list[int]:
    barrier = threading.Barrier(len(jobs))
    statuses: list[int] = [0] * len(jobs)

    def go(i: int, b: Browser, url: str, fields: dict) -> None:
        barrier.wait()
        statuses[i] = b.post(url, fields).status_code

    threads = [
        threading.Thread(target=go, args=(i, b, url, fields))
        for i, (b, url, fields) in enumerate(jobs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_a_burst_at_a_cold_cache_fetches_the_key_set_once(tool, platform):
    platform.jwks_delay = 0.3  # a platform that takes a moment to answer
    jobs = _prepared(platform, 12)
    assert platform.jwks_hits == 0
    assert _post_together(jobs) == [303] * 12
    assert platform.jwks_hits == 1


@pytest.fixture
def second_tool(tool, database_url, tmp_path):
    """Another tool process (Flask's threaded server) on the same database and base URL, as a
    second host behind the same address would be."""
    env = serve_env(
        database_url,
        tool.url,
        SECRET_KEY=tool.app.config["SECRET_KEY"],
        LMSPACK_GRADES_BACKGROUND="0",
        LMSPACK_HTTP_TIMEOUT="5",
    )
    with serving(free_port(), ["--dev"], env, tmp_path / "second-tool.log") as url:
        yield url


def test_two_tool_processes_fetch_the_key_set_once(tool, platform, second_tool):
    platform.jwks_delay = 0.3
    jobs = _prepared(platform, 16)
    # half the launches land on the other process (same base URL, same database)
    jobs = [
        (b, second_tool + "/lti/launch" if i % 2 else url, fields)
        for i, (b, url, fields) in enumerate(jobs)
    ]
    assert _post_together(jobs) == [303] * 16
    assert platform.jwks_hits == 1
