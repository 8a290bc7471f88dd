"""A fresh clone, with nothing beside it (no ../shared), installs its npm packages and passes
the tests that need files from outside the Python package: the manifests' schema validation.

The clone holds only what is committed: a file the tests need but that git does not track
fails here, not on the next person's machine. (`scripts/test-fresh-clone.sh` runs the whole
suite the same way.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, require

SUBSET = ["tests/test_manifests.py", "tests/test_schema_sources.py"]


def test_a_fresh_clone_validates_its_manifests(tmp_path: Path) -> None:
    require((ROOT / ".git").exists(), "not a git checkout")
    require(shutil.which("git") is not None and shutil.which("npm") is not None, "git/npm missing")
    clone = tmp_path / "lmspack"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert [p.name for p in tmp_path.iterdir()] == ["lmspack"]  # nothing beside the clone
    npm = subprocess.run(
        ["npm", "ci", "--silent", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert npm.returncode == 0, npm.stderr
    # The clone's own lmspack and tests (PYTHONPATH wins over this checkout's editable install).
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(clone)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBSET],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-500:]
    where = subprocess.run(
        [sys.executable, "-c", "import lmspack; print(lmspack.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(clone)), where
