"""The build: source -> Course -> Site per format -> zips written atomically into dist/.

Everything is checked and packaged in memory before the first byte is written, and each
zip replaces its predecessor with an atomic rename, so a failed build leaves dist/ as it was.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .course import Course, load_course
from .package import FORMATS, package, package_name
from .render import render_site, theme_for

ALL_FORMATS = tuple(FORMATS)


@dataclass(frozen=True)
class BuiltPackage:
    format: str
    path: Path
    size: int
    files: int
    seconds: float


def build_packages(
    course: Course,
    formats: Iterable[str],
    theme: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, tuple[bytes, int, float]]:
    """Pure part of the build: format -> (zip bytes, file count, seconds)."""
    result: dict[str, tuple[bytes, int, float]] = {}
    for fmt in formats:
        start = time.perf_counter()
        site = render_site(course, fmt, theme=theme)
        data = package(course, site, fmt)
        result[fmt] = (data, len(site) + 1, time.perf_counter() - start)
        if progress:
            progress(fmt)
    return result


def build(
    course_dir: str | Path,
    out_dir: str | Path = "dist",
    formats: Iterable[str] = ALL_FORMATS,
    progress: Callable[[str], None] | None = None,
) -> list[BuiltPackage]:
    """Load, check, render and package; then write. Raises CourseError before writing."""
    course_dir = Path(course_dir)
    out = Path(out_dir)
    course = load_course(course_dir)
    built = build_packages(course, formats, theme_for(course_dir), progress)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for fmt, (data, count, seconds) in built.items():
        path = out / package_name(course, fmt)
        write_atomic(path, data)
        results.append(BuiltPackage(fmt, path, len(data), count, seconds))
    return results


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
