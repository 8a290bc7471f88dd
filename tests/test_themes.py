"""A course's own theme overrides only the templates and static files it has; the rest come
from the default theme. A theme that leaves the package without its player is an error."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lmspack.course import load_course
from lmspack.render import default_theme, render_site
from lmspack.theming import ThemeError, theme_for

DEFAULT = default_theme()


@pytest.fixture
def project(course_copy: Path) -> Path:
    """A course project folder: course_src/ and (made by each test) templates/ beside it."""
    return course_copy.parent


def build(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmspack", "build", "-c", "course_src", "--out", "dist"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )


def zip_files(project: Path, fmt: str = "scorm2004") -> dict[str, bytes]:
    (path,) = (project / "dist").glob(f"*-{fmt}.zip")
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def default_files(course_dir: Path) -> dict[str, bytes]:
    return dict(render_site(load_course(course_dir), "scorm2004").files)


def test_a_theme_with_only_index_template_builds_with_default_partials(project: Path) -> None:
    theme = project / "templates"
    theme.mkdir()
    index = (DEFAULT / "index.html.j2").read_text()
    (theme / "index.html.j2").write_text(index.replace("<body>", "<body data-theme=own>", 1))
    result = build(project)
    assert result.returncode == 0, result.stderr
    files = zip_files(project)
    assert b"<body data-theme=own>" in files["index.html"]
    assert files["static/player.js"] == (DEFAULT / "static" / "player.js").read_bytes()
    assert set(files) == {"imsmanifest.xml", *default_files(project / "course_src")}


def test_a_full_theme_copy_without_static_builds_a_full_package(project: Path) -> None:
    shutil.copytree(DEFAULT, project / "templates", ignore=shutil.ignore_patterns("static"))
    result = build(project)
    assert result.returncode == 0, result.stderr
    files = zip_files(project)
    expected = default_files(project / "course_src")
    assert {n: files[n] for n in expected} == expected
    assert "static/player.js" in files and "static/quiz.js" in files


def test_a_theme_overrides_one_static_file_and_adds_another(project: Path) -> None:
    static = project / "course_src" / "templates" / "static"  # inside the course folder
    static.mkdir(parents=True)
    (static / "player.css").write_text("body { color: #111; }\n")
    (static / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    assert theme_for(project / "course_src") == static.parent
    result = build(project)
    assert result.returncode == 0, result.stderr
    files = zip_files(project, "scorm12")
    assert files["static/player.css"] == b"body { color: #111; }\n"
    assert "static/logo.svg" in files
    assert files["static/player.js"] == (DEFAULT / "static" / "player.js").read_bytes()
    assert "static/lti.js" not in files  # adapter scripts still ship only with their adapter
    assert b'href="static/logo.svg"' in files["imsmanifest.xml"]


def test_a_theme_that_drops_the_player_script_is_an_error(project: Path) -> None:
    theme = project / "templates"
    theme.mkdir()
    index = (DEFAULT / "index.html.j2").read_text()
    player = '<script src="static/player.js"></script>'
    assert player in index
    (theme / "index.html.j2").write_text(index.replace(player, ""))
    (project / "dist").mkdir()
    (project / "dist" / "keep.txt").write_text("mine")
    result = build(project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{theme / 'index.html.j2'}: the page does not load the player script" in result.stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["keep.txt"]


def test_a_theme_loading_a_missing_script_is_an_error(course_copy: Path, tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    index = (DEFAULT / "index.html.j2").read_text()
    (theme / "index.html.j2").write_text(
        index.replace("</head>", '<script src="static/extra.js"></script>\n</head>', 1)
    )
    with pytest.raises(ThemeError) as info:
        render_site(load_course(course_copy), "local", theme=theme)
    assert "loads static/extra.js, which is in neither" in str(info.value)


def test_a_template_error_names_the_theme_file_and_line(project: Path) -> None:
    theme = project / "templates"
    theme.mkdir()
    (theme / "_quiz.html.j2").write_text("<section>\n{% if %}\n</section>\n")
    result = build(project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{theme / '_quiz.html.j2'}:2: theme template error:" in result.stderr

    (theme / "_quiz.html.j2").write_text("<section>\n{{ no_such_value }}\n</section>\n")
    result = build(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{theme / '_quiz.html.j2'}:2: theme template error: 'no_such_value' is undefined" in (
        result.stderr
    )

    (theme / "_quiz.html.j2").write_text('{% include "_missing.html.j2" %}\n')
    result = build(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "template '_missing.html.j2' is in neither this theme" in result.stderr
