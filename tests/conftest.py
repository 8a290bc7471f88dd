"""Shared fixtures. Tests needing something this machine may lack skip locally, fail in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A writable copy of the small example course."""
    target = tmp_path / "course_src"
    shutil.copytree(SCAFFOLD, target)
    return target


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    path = Path(os.environ.get("LMSPACK_SCHEMAS", ROOT.parent / "shared" / "schemas"))
    require((path / "scorm2004_4th_all.xsd").is_file(), f"SCORM schemas not found at {path}")
    return path
