"""`lmspack serve` as its own process, for the tests that need the real command (gunicorn
workers, several tool hosts on one database): start it on a free port, wait for /healthz,
stop its whole process group, and show its log when it fails to start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.conftest import COURSE, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(database_url: str, base_url: str, **settings: str | None) -> dict[str, str]:
    """The environment `lmspack serve` is configured by; a setting of None is removed."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LMSPACK_BASE_URL": base_url,
        "LMSPACK_COURSE": str(COURSE),
        "PYTHONPATH": str(ROOT),
    }
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@contextmanager
def serving(port: int, args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """`lmspack serve --bind 127.0.0.1:PORT ARGS` until the block ends; yields its URL once
    /healthz answers (30 s at most)."""
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lmspack", "serve", "--bind", f"127.0.0.1:{port}", *args],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, "lmspack serve exited: " + log.read_text()[-2000:]
            assert time.monotonic() < deadline, "did not start: " + log.read_text()[-2000:]
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
