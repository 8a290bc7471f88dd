"""Migration 0010 cleans text stored before the API refused unprintable text, on a SQLite
and a PostgreSQL database holding such rows (each backend with what it could store: SQLite's
JSON kept lone surrogates and NUL as escapes; PostgreSQL kept control characters and
noncharacters)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from lmspack.store import Store, migrate
from lmspack.store.models import Attempt, Context, Deployment, ResourceLink, RosterMember, User
from lmspack.store.platforms import add_platform

from .conftest import pg_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_store(request, tmp_path) -> Iterator[Store]:
    if request.param == "sqlite":
        store = Store.from_url(f"sqlite:///{tmp_path}/old.sqlite")
        yield store
        store.dispose()
        return
    with pg_schema("lmspack_mig") as url:
        store = Store.from_url(url)
        yield store
        store.dispose()


def _plant_bad_rows(store: Store) -> None:
    json_bad = "Ann \ud800 wrote\x00 \x07this" if store.is_sqlite else "Ann \x1b wrote \x07this"
    text_bad = "Zoë\x07 \x85Smith\uffff"
    with store.transaction() as s:
        p = add_platform(
            s, name="Old", issuer="https://old.test", client_id="o",
            auth_login_url="https://old.test/a", auth_token_url="https://old.test/t",
            key_set_url="https://old.test/k", deployment_ids=["1"],
        )  # fmt: skip
        dep = s.scalar(select(Deployment).where(Deployment.platform_id == p.id))
        user = User(
            platform_id=p.id, deployment_id=dep.id, sub="old-1", name=text_bad,
            given_name="Zoë\x07", family_name="\x85Smith", email="zoe@example.org",
        )  # fmt: skip
        ctx = Context(platform_id=p.id, deployment_id=dep.id, context_id="c", title="Course\x07")
        s.add_all([user, ctx])
        s.flush()
        link = ResourceLink(platform_id=p.id, context_id=ctx.id, resource_link_id="r",
                            course_id="x", title="Link\x1b")  # fmt: skip
        s.add(link)
        s.add(RosterMember(platform_id=p.id, context_id=ctx.id, sub="old-1", name=text_bad))
        s.flush()
        s.add(
            Attempt(
                platform_id=p.id, user_id=user.id, context_id=ctx.id, resource_link_id=link.id,
                course_id="x", course_version="1",
                state={"name": json_bad, "reflections": {"r1": json_bad, "r2": "fine"},
                       "evaluation": {"comments": json_bad}, "visited": ["p1"]},
            )
        )  # fmt: skip


def test_0010_cleans_what_is_already_stored(fresh_store):
    store = fresh_store
    store.upgrade()
    migrate.downgrade(store.engine, "0009")  # 0010's downgrade keeps text: plant, then redo
    _plant_bad_rows(store)
    with store.sessions() as s:  # the bad text is really there before the migration
        assert "\x07" in s.scalar(select(User.name))
        assert "\x07" in s.scalar(select(Attempt.state))["reflections"]["r1"]
    migrate.upgrade(store.engine, "0010")
    assert migrate.current_revision(store.engine) == "0010"
    with store.sessions() as s:
        user = s.scalar(select(User))
        assert (user.name, user.given_name, user.family_name) == ("Zoë Smith", "Zoë", "Smith")
        assert s.scalar(select(RosterMember.name)) == "Zoë Smith"
        assert s.scalar(select(Context.title)) == "Course"
        assert s.scalar(select(ResourceLink.title)) == "Link"
        state = s.scalar(select(Attempt.state))
    expected = "Ann \ufffd wrote this" if store.is_sqlite else "Ann  wrote this"
    assert state["name"] == expected and state["reflections"] == {"r1": expected, "r2": "fine"}
    assert state["evaluation"] == {"comments": expected} and state["visited"] == ["p1"]
