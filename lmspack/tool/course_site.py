"""The course as the tool serves it: the SAME rendered Site as the SCORM packages, in `lti`
mode (no answer key, no feedback), rendered once per process from the course source.

URLs: /course/<course-id>/<version>/            index.html, needs ?t=<launch token>
      /course/<course-id>/<version>/static/...  the player's assets (public, cacheable)
      /course/<course-id>/<version>/media/...   the course's media (public, cacheable)

The launch answers with a 303 to the index URL with the launch token in `t`; the page then
holds the token and apiBase in its player JSON (`launch` key) so the `lti` adapter can send
`Authorization: Bearer <token>` on every API call. Relative asset URLs resolve under the
versioned folder, and in-page links (#page-x) stay on the page.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..course import Course, load_course
from ..render import render_site, script_json

_LAUNCH_MARK = "\x00lmspack-launch\x00"  # where the launch goes in the pre-rendered JSON
DATA_RE = re.compile(
    r'(<script type="application/json" id="lmspack-data">)(.*?)(</script>)', re.DOTALL
)


@dataclass
class CourseSite:
    course: Course
    files: dict[str, bytes]
    _index_head: str  # the page before the player JSON
    _index_tail: str  # and after it
    _player: dict[str, Any]
    # The page's bytes up to the launch object in the player JSON and from it on, made once
    # (re-encoding the whole ~160 KB player JSON cost 0.7 ms per course page); remade if
    # _index_head/_index_tail are replaced (tests do).
    _encoded: tuple[str, str, bytes, bytes] = field(default=("", "", b"", b""), repr=False)

    @classmethod
    def build(cls, course_dir: Path, api_base: str) -> CourseSite:
        course = load_course(course_dir)
        site = render_site(course, "lti", api_base=api_base)
        files = dict(site.items())
        index = files.pop("index.html").decode("utf-8")
        m = DATA_RE.search(index)
        if m is None:
            raise RuntimeError("the theme's index.html has no lmspack-data script element")
        player = json.loads(m.group(2).replace("\\u003c", "<"))
        return cls(
            course=course,
            files=files,
            _index_head=index[: m.start(2)],
            _index_tail=index[m.end(2) :],
            _player=player,
        )

    @property
    def id(self) -> str:
        return self.course.id

    @property
    def version(self) -> str:
        return self.course.version

    @property
    def prefix(self) -> str:
        return f"/course/{self.course.id}/{self.course.version}/"

    def index_html(self, launch: dict[str, Any]) -> bytes:
        """index.html with the launch (token, role, attempt) merged into the player JSON."""
        head, tail, before, after = self._encoded
        if head is not self._index_head or tail is not self._index_tail:
            before, after = self._split_page()
            self._encoded = (self._index_head, self._index_tail, before, after)
        return before + script_json(launch).encode("utf-8") + after

    def _split_page(self) -> tuple[bytes, bytes]:
        data = script_json({**self._player, "launch": _LAUNCH_MARK})
        before, mark, after = data.partition(script_json(_LAUNCH_MARK))
        if not mark or _LAUNCH_MARK in after:
            raise RuntimeError("the player JSON could not be split at its launch object")
        return (self._index_head + before).encode("utf-8"), (after + self._index_tail).encode()

    def static(self, path: str) -> tuple[bytes, str] | None:
        if path not in self.files or not path.startswith(("static/", "media/")):
            return None
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if mime.startswith("text/") or mime in ("application/javascript", "image/svg+xml"):
            mime += "; charset=utf-8"
        return self.files[path], mime


def load_sites(course_dirs: list[Path], api_base: str) -> dict[str, CourseSite]:
    sites: dict[str, CourseSite] = {}
    for d in course_dirs:
        site = CourseSite.build(d, api_base)
        sites[site.id] = site
    return sites
