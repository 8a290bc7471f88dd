"""Rows for the reports' database tests, written straight to the store: a platform with its
deployment and one context, resource links and attempts, as launches leave them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from lmspack.store.models import Attempt, Context, Deployment, Platform, ResourceLink


class Seed:
    """One context of a new platform (its issuer unique to this test run)."""

    def __init__(self, s: Session, course, name: str = "Reports") -> None:
        self.s, self.course = s, course
        platform = Platform(
            name=name,
            issuer=f"https://{uuid.uuid4().hex[:12]}.reports.test",
            client_id="c",
            auth_login_url="https://r.test/a",
            auth_token_url="https://r.test/t",
            key_set_url="https://r.test/k",
        )
        s.add(platform)
        s.flush()
        deployment = Deployment(platform_id=platform.id, deployment_id="1")
        s.add(deployment)
        s.flush()
        context = Context(platform_id=platform.id, deployment_id=deployment.id, context_id="c-1")
        s.add(context)
        s.flush()
        self.platform_id, self.deployment_id, self.context_id = (
            platform.id,
            deployment.id,
            context.id,
        )
        self._links: dict[str | None, int] = {}

    def link(self, title: str | None) -> int:
        """The resource link with this title (made once)."""
        if title not in self._links:
            rl = ResourceLink(
                platform_id=self.platform_id,
                context_id=self.context_id,
                resource_link_id=f"rl-{title}",
                title=title,
                course_id=self.course.id,
            )
            self.s.add(rl)
            self.s.flush()
            self._links[title] = rl.id
        return self._links[title]

    def attempt(
        self,
        user_id: int,
        *,
        link: str | None = None,
        status: str = "incomplete",
        score: float | None = None,
        state: dict | None = None,
        started: datetime | None = None,
        updated: datetime | None = None,
    ) -> Attempt:
        times = {"started_at": started, "updated_at": updated}
        attempt = Attempt(
            **{k: v for k, v in times.items() if v is not None},
            platform_id=self.platform_id,
            user_id=user_id,
            context_id=self.context_id,
            resource_link_id=self.link(link),
            course_id=self.course.id,
            course_version=self.course.version,
            state=state or {},
            score=score,
            status=status,
        )
        self.s.add(attempt)
        self.s.flush()
        return attempt
