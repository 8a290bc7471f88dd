"""Every CLI command ends a failure with one clear line and a non-zero exit, never a
traceback: each case runs the real command in a process, against a real port in use, a real
PostgreSQL server (a database that does not exist on it) and real folders. (A theme holding
only index.html.j2: tests/test_themes.py.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tool.fixtures import PG_BASE, _pg_available

from .conftest import SCAFFOLD, require, run_lmspack


def lmspack(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return run_lmspack(
        *args, cwd=cwd, env={**os.environ, "DATABASE_URL": "", "LMSPACK_CONFIG": "", **env}
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The command failed with exactly one line on stderr, and no traceback."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as held:
        yield held.getsockname()[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A course project with its database migrated."""
    shutil.copytree(SCAFFOLD, tmp_path / "course_src")
    assert lmspack("db", "upgrade", cwd=tmp_path).returncode == 0
    return tmp_path


def test_preview_on_a_port_in_use(course_copy: Path, port_in_use: int) -> None:
    result = lmspack("preview", "-c", str(course_copy), "--port", str(port_in_use), cwd=course_copy)
    line = one_line_error(result)
    assert line == (
        f"Error: cannot listen on 127.0.0.1:{port_in_use}: Address already in use "
        "(is another preview or server using it? choose another with --port)"
    )


@pytest.mark.parametrize("mode", [["--dev"], ["--workers", "1"]], ids=["dev", "gunicorn"])
def test_serve_on_a_port_in_use(project: Path, port_in_use: int, mode: list[str]) -> None:
    result = lmspack("serve", "--bind", f"127.0.0.1:{port_in_use}", *mode, cwd=project)
    assert one_line_error(result).startswith(
        f"Error: cannot listen on 127.0.0.1:{port_in_use}: Address already in use"
    )


@pytest.mark.parametrize("mode", [["--dev"], ["--workers", "1"]], ids=["dev", "gunicorn"])
def test_serve_in_a_folder_without_course_src(tmp_path: Path, mode: list[str]) -> None:
    result = lmspack("serve", "--bind", "127.0.0.1:0", *mode, cwd=tmp_path)
    assert one_line_error(result) == (
        "Error: cannot serve course_src: course_src/course.yaml: not found: "
        "is this a course folder?"
    )


def test_serve_with_a_bind_that_is_not_host_port(project: Path) -> None:
    result = lmspack("serve", "--bind", "localhost", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Error: Invalid value for --bind: 'localhost' is not HOST:PORT" in result.stderr


def test_serve_with_a_config_file_that_is_missing_or_wrong(project: Path) -> None:
    result = lmspack("serve", cwd=project, LMSPACK_CONFIG=str(project / "nope.toml"))
    assert one_line_error(result) == (
        f"Error: LMSPACK_CONFIG: cannot read {project / 'nope.toml'}: No such file or directory"
    )
    (project / "bad.toml").write_text("base_url = https://x\n")
    result = lmspack("serve", cwd=project, LMSPACK_CONFIG=str(project / "bad.toml"))
    assert one_line_error(result).startswith("Error: configuration: Invalid value")
    (project / "bad.toml").write_text('colour = "blue"\n')
    result = lmspack("serve", cwd=project, LMSPACK_CONFIG=str(project / "bad.toml"))
    assert one_line_error(result) == "Error: configuration: unknown setting 'colour'"


def test_db_upgrade_on_a_postgresql_database_that_does_not_exist(tmp_path: Path) -> None:
    require(_pg_available(), f"PostgreSQL not reachable at {PG_BASE}")
    name = f"lmspack_missing_{uuid.uuid4().hex[:8]}"
    url = PG_BASE.rsplit("/", 1)[0] + "/" + name
    result = lmspack("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert one_line_error(result) == (
        f'Error: cannot open the database {url}: database "{name}" does not exist; '
        f"create it first (e.g. `createdb {name}`) or fix --database-url"
    )
    for command in (["keys", "list"], ["grades", "status"]):
        result = lmspack(*command, cwd=tmp_path, DATABASE_URL=url)
        assert f'database "{name}" does not exist' in one_line_error(result), command


def test_db_upgrade_on_a_server_that_is_down_or_a_url_that_is_not_one(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        free = s.getsockname()[1]  # nothing listens here once it is closed
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free}/test"
    result = lmspack("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert one_line_error(result) == (
        f"Error: cannot open the database {url}: Connection refused; "
        "check --database-url / DATABASE_URL and that the server is running"
    )
    result = lmspack("db", "upgrade", "--database-url", "my-database", cwd=tmp_path)
    assert one_line_error(result).startswith("Error: the database URL is not valid")


def test_the_password_is_not_printed(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        free = s.getsockname()[1]
    url = f"postgresql+psycopg://me:s3cret-pw@127.0.0.1:{free}/test"
    line = one_line_error(lmspack("db", "upgrade", "--database-url", url, cwd=tmp_path))
    assert "s3cret-pw" not in line and "me:***@127.0.0.1" in line


def test_build_into_a_file_or_an_unwritable_folder(course_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = lmspack("build", "-c", str(course_copy), "--out", "afile", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Error: Invalid value for --out: afile is a file, not a folder" in result.stderr
    result = lmspack("build", "-c", str(course_copy), "--out", "afile/dist", cwd=tmp_path)
    assert one_line_error(result) == "Error: afile/dist: Not a directory"


def test_report_on_a_course_that_is_not_there(project: Path) -> None:
    result = lmspack("report", "completions", "--context", "c1", "--course", "nowhere", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "nowhere/course.yaml: not found: is this a course folder?",
        "Error: the course has problems (see above)",
    ]
