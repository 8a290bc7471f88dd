"""The build as a user runs it: the CLI, the zips it writes, and what a failure leaves."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from lmspack.cli import main

from .conftest import ROOT, run_lmspack


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_lmspack(*args, cwd=cwd)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_build_writes_both_zips_named_by_id_and_version(course_copy: Path, tmp_path: Path) -> None:
    result = run("build", "-c", str(course_copy), "--out", str(tmp_path / "dist"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "dist").iterdir())
    assert names == ["my-course-0.1.0-scorm12.zip", "my-course-0.1.0-scorm2004.zip"]
    assert "Built 2 package(s)" in result.stdout
    with zipfile.ZipFile(tmp_path / "dist" / names[0]) as zf:
        assert zf.testzip() is None
        assert {"imsmanifest.xml", "index.html", "media/diagram.svg"} <= set(zf.namelist())


def test_two_builds_are_byte_identical(course_copy: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run("build", "-c", str(course_copy), "--out", str(out), cwd=tmp_path).returncode == 0
    assert digests(a) == digests(b)


def test_failed_build_leaves_dist_exactly_as_it_was(course_copy: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    assert run("build", "-c", str(course_copy), "--out", str(dist), cwd=tmp_path).returncode == 0
    (dist / "notes.txt").write_text("mine")
    before = digests(dist)
    mtimes = {p.name: p.stat().st_mtime_ns for p in dist.iterdir()}
    quiz = course_copy / "quiz.yaml"
    quiz.write_text(
        quiz.read_text().replace(
            "outcome: LO2\n    type: scenario", "outcome: LO7\n    type: scenario"
        )
    )
    (course_copy / "course.yaml").write_text(
        (course_copy / "course.yaml").read_text().replace("version: 0.1.0", "version: 0.2.0")
    )
    result = run("build", "-c", str(course_copy), "--out", str(dist), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "quiz.yaml:" in result.stderr and "unknown outcome 'LO7'" in result.stderr
    assert "left as it was" in result.stderr
    assert digests(dist) == before
    assert {p.name: p.stat().st_mtime_ns for p in dist.iterdir()} == mtimes


def test_check_json_summary(course_copy: Path) -> None:
    result = CliRunner().invoke(main, ["check", "-c", str(course_copy), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["pages"] == 2
    assert summary["questions"] == 4
    assert summary["questions_per_outcome"] == {"LO1": 2, "LO2": 2}
    assert summary["pass_mark"] == 80
    assert summary["minutes"] == 2 + 3 + 4 + 2


def test_check_reports_problems_with_exit_1_and_no_traceback(
    course_copy: Path, tmp_path: Path
) -> None:
    (course_copy / "course.yaml").write_text("id: x\ntitle: [unclosed\n")
    result = run("check", "-c", str(course_copy), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "course.yaml:3: YAML syntax error" in result.stderr or "course.yaml:2:" in result.stderr


def test_new_scaffolds_a_course_that_builds(tmp_path: Path) -> None:
    assert run("new", "proj", cwd=tmp_path).returncode == 0
    assert run("check", cwd=tmp_path / "proj").returncode == 0
    result = run("build", "--format", "scorm12", cwd=tmp_path / "proj")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "proj" / "dist").iterdir()] == [
        "my-course-0.1.0-scorm12.zip"
    ]
    again = run("new", "proj", cwd=tmp_path)
    assert again.returncode != 0 and "already exists" in again.stderr


def test_the_workshop_builds_from_the_repository_root(tmp_path: Path) -> None:
    if not (ROOT / "course_src" / "quiz.yaml").exists():
        pytest.fail("course_src/ is incomplete")
    result = run("build", "--out", str(tmp_path / "dist"), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "dist").glob("resistance-prework-*-scorm*.zip"))) == 2
