"""`lmspack serve` for real: gunicorn with several worker processes. Login and launch land on
any worker (sync workers close the connection after each request), so nothing a launch
needs may live in one process's memory."""

from __future__ import annotations

from lmspack.store.platforms import add_platform

from .platform import Browser, TestPlatform
from .serve_process import free_port, serve_env, serving


def test_gunicorn_workers_share_nothing_but_the_database(database_url, store, tmp_path):
    port = free_port()
    # no SECRET_KEY: the workers must agree on the one kept in the database
    env = serve_env(database_url, f"http://127.0.0.1:{port}", SECRET_KEY=None)
    platform = TestPlatform(f"http://127.0.0.1:{port}")
    try:
        with store.transaction() as s:
            add_platform(s, **platform.cli_args())
        with serving(port, ["--workers", "3"], env, tmp_path / "serve.log") as url:
            for i in range(12):
                b = Browser()
                r = b.launch(platform, user=f"g{i}", context="gc", link="gl")
                assert r.status_code == 303, r.text[:500]
                page = b.follow(r, url)
                assert page.status_code == 200 and 'data-adapter="lti"' in page.text
    finally:
        platform.stop()
