"""`lmspack serve` for real: gunicorn with several worker processes. Login and launch land on
any worker (sync workers close the connection after each request), so nothing a launch
needs may live in one process's memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from lmspack.store.platforms import add_platform
from tests.conftest import COURSE, ROOT

from .platform import Browser, TestPlatform


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_workers_share_nothing_but_the_database(database_url, store, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LMSPACK_BASE_URL": url,
        "LMSPACK_COURSE": str(COURSE),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SECRET_KEY", None)  # the workers must agree on the one kept in the database
    proc = subprocess.Popen(
        [sys.executable, "-m", "lmspack", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "3"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    platform = TestPlatform(url)
    try:
        with store.transaction() as s:
            add_platform(s, **platform.cli_args())
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        for i in range(12):
            b = Browser()
            r = b.launch(platform, user=f"g{i}", context="gc", link="gl")
            assert r.status_code == 303, r.text[:500]
            page = b.follow(r, url)
            assert page.status_code == 200 and 'data-adapter="lti"' in page.text
    finally:
        platform.stop()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
