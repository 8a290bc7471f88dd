"""Site -> package bytes. One module per standard; all of them pure functions."""

from __future__ import annotations

from collections.abc import Callable

from ..course.model import Course
from ..render import Site
from . import scorm12, scorm2004
from .zipwriter import zip_bytes

FORMATS: dict[str, Callable[[Course, list[str]], bytes]] = {
    "scorm12": scorm12.manifest,
    "scorm2004": scorm2004.manifest,
}


def package_name(course: Course, fmt: str) -> str:
    return f"{course.slug}-{fmt}.zip"


def package(course: Course, site: Site, fmt: str) -> bytes:
    """A SCORM zip: imsmanifest.xml at the root first, then the site's files in order."""
    files = list(site)
    manifest = FORMATS[fmt](course, files)
    return zip_bytes([("imsmanifest.xml", manifest), *site.files])
