"""What every page of the tool shows around its content, so the tool's pages and the course
read as one product: the player's own stylesheet (the course's rendered `static/player.css`,
which the course blueprint serves), the tool's small stylesheet for admin-only components
(built on the player's custom properties, no palette of its own), and a header naming the
course and the organisation (the launch's platform, from the store).

Registered as a context processor (by `reports`, which also gives every template its
`csrf_token`). Nothing is read from the database unless a template asks for the
organisation, and a page shown because the database failed still renders: the header then
leaves the organisation out.
"""

from __future__ import annotations

import functools

from flask import g, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..store.models import Platform
from .context import read_db, sites


class Chrome:
    """The header's and the stylesheets' values for this request's page."""

    def __init__(self, launch) -> None:
        self._launch = launch

    @functools.cached_property
    def _site(self):
        all_sites = sites()
        if self._launch is not None and self._launch.course_id in all_sites:
            return all_sites[self._launch.course_id]
        return next(iter(all_sites.values()), None)

    @property
    def player_css(self) -> str:
        """The course's rendered stylesheet: the one the learner's player uses."""
        return self._site.prefix + "static/player.css" if self._site else ""

    @property
    def tool_css(self) -> str:
        return url_for("static", filename="tool.css")

    @property
    def course_title(self) -> str:
        return self._site.course.title if self._site else ""

    @functools.cached_property
    def organisation(self) -> str:
        """The name of the platform the launch came from (what certificates name)."""
        if self._launch is None:
            return ""
        try:
            platform = read_db().get(Platform, self._launch.platform_id)
        except SQLAlchemyError:  # the page may be the one saying the database failed
            return ""
        return platform.name if platform is not None else ""


def page_chrome() -> dict:
    return {"chrome": Chrome(g.get("launch"))}
