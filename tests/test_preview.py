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
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def running_preview(course: Path) -> Iterator[str]:
    """`lmspack preview -c COURSE` in a process (its output in a file beside the course, so
    a full pipe never stalls it); yields the base URL."""
    port = free_port()
    log = course.parent / "preview.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lmspack", "preview", "-c", str(course), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail(f"preview did not start: {log.read_text()}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def preview(course_copy: Path) -> Iterator[tuple[str, Path]]:
    with running_preview(course_copy) as base:
        yield base, course_copy


def preview_state(body: str) -> dict:
    """The state the preview puts into the page it serves."""
    found = re.search(
        r'<script type="application/json" id="lmspack-preview-state">(.*?)</script>', body
    )
    assert found, body[-500:]
    return json.loads(found.group(1))


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
    state = preview_state(body)
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


def test_a_course_that_starts_broken_shows_its_problems_until_fixed(course_copy: Path) -> None:
    course_yaml = course_copy / "course.yaml"
    good = course_yaml.read_text()
    course_yaml.write_text(good.replace("pass_mark: 80", "pass_mark: lots"))
    with running_preview(course_copy) as base:
        status, body = get(base)
        assert status == 200 and "there is nothing\nto show yet" in body
        state = preview_state(body)
        assert [(p["file"], p["field"]) for p in state["problems"]] == [
            (str(course_yaml), "pass_mark")
        ]
        assert state["problems"][0]["line"] > 0
        course_yaml.write_text(good)
        status, body = get(base)
        assert status == 200 and "My first lmspack course" in body
        assert preview_state(body)["problems"] == []
        assert get(base + "__lmspack/live.js")[1].startswith("/* lmspack preview only")


def test_a_folder_that_is_not_a_course_stops_preview(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lmspack", "preview", "-c", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "course.yaml: not found: is this a course folder?" in result.stderr
