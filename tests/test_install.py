"""`pip install .` must work on its own: the theme and scaffold ship inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT


def test_wheel_carries_theme_and_builds_a_course(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(wheels.glob("lmspack-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "lmspack/theme/index.html.j2" in names
    assert any(n.startswith("lmspack/theme/static/") for n in names)
    assert "lmspack/scaffold/course_src/course.yaml" in names
    assert "lmspack/preview_live.js" in names
    assert "lmspack/tool/static/tool.css" in names  # the tool pages' stylesheet
    # every package of the source tree is in the wheel (pyproject.toml lists them by hand)
    for init in (ROOT / "lmspack").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "work"
    work.mkdir()
    run = dict(cwd=work, env=env, capture_output=True, text=True, timeout=120)
    where = subprocess.run([sys.executable, "-c", "import lmspack; print(lmspack.__file__)"], **run)
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    assert subprocess.run([sys.executable, "-m", "lmspack", "new", "."], **run).returncode == 0
    result = subprocess.run([sys.executable, "-m", "lmspack", "build"], **run)
    assert result.returncode == 0, result.stderr
    assert len(list((work / "dist").glob("*.zip"))) == 2
