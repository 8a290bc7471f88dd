"""`lmspack preview` serves the rendered site with the local adapter and follows edits."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def preview(course_copy: Path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lmspack", "preview", "-c", str(course_copy),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"preview did not start: {proc.stderr.read().decode()}")
    yield base, course_copy
    proc.terminate()
    proc.wait(timeout=10)


def test_preview_serves_site_and_follows_edits(preview) -> None:
    base, course = preview
    status, html = get(base)
    assert status == 200
    assert "My first lmspack course" in html
    assert '"adapter":"local"' in html
    assert get(base + "static/player.js")[0] == 200
    assert get(base + "media/diagram.svg")[0] == 200
    assert get(base + "no/such/file")[0] == 404

    page = course / "pages" / "02-the-topic.md"
    time.sleep(0.05)
    page.write_text(page.read_text().replace("## A section", "## An edited section"))
    assert "An edited section" in get(base)[1]

    page.write_text(page.read_text().replace("minutes: 3", "minutes: many"))
    status, body = get(base)
    assert status == 200
    assert "An edited section" in body  # the last good build, with the problems over it
    state = json.loads(
        re.search(r'<script type="application/json" id="lmspack-preview-state">(.*?)</script>',
                  body).group(1)
    )
    expected = (str(course / "pages" / "02-the-topic.md"), 3, "minutes", "should be a whole number")
    found = [(p["file"], p["line"], p["field"], p["message"][:24]) for p in state["problems"]]
    assert expected in found


def test_the_live_script_is_never_in_a_site_or_package(course_copy: Path) -> None:
    """Only the preview's server adds it, to the page it serves."""
    from lmspack.build import build_packages
    from lmspack.course import load_course
    from lmspack.render import render_site

    course = load_course(course_copy)
    local = render_site(course, "local")
    assert all(b"__lmspack" not in data and b"EventSource" not in data for data in local.values())
    for data, _, _ in build_packages(course, ["scorm12", "scorm2004"]).values():
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                body = zf.read(name)
                assert b"__lmspack" not in body and b"EventSource" not in body, name
