"""Migration 0012: on PostgreSQL the logins table is UNLOGGED (its writes skip the WAL and a
login's commit waits for no WAL flush), and LOGGED again after a downgrade; the rows stay."""

from __future__ import annotations

from sqlalchemy import text

from lmspack.store import Store
from lmspack.store.logins import consume, save
from lmspack.store.migrate import downgrade, upgrade
from lmspack.store.platforms import add_platform
from tests.tool.fixtures import pg_schema

PERSISTENCE = "SELECT relpersistence FROM pg_class WHERE oid = 'logins'::regclass"


def test_logins_are_unlogged_on_postgresql_and_logged_after_a_downgrade():
    with pg_schema("lmspack_unlogged") as url:
        store = Store.from_url(url)
        try:
            store.upgrade()
            with store.transaction() as s:
                assert s.execute(text(PERSISTENCE)).scalar_one() == "u"
                pid = add_platform(
                    s, name="P", issuer="https://p.example", client_id="c",
                    auth_login_url="https://p.example/a", auth_token_url="https://p.example/t",
                    key_set_url="https://p.example/k", deployment_ids=["1"],
                ).id  # fmt: skip
                save(s, state="s1", nonce="n1", platform_id=pid, ttl=600)
            downgrade(store.engine, "0011_live_sessions")
            with store.transaction() as s:
                assert s.execute(text(PERSISTENCE)).scalar_one() == "p"
            upgrade(store.engine)
            with store.transaction() as s:
                assert s.execute(text(PERSISTENCE)).scalar_one() == "u"
                login = consume(s, "s1")  # kept through both changes, still single use
                assert login is not None and login.nonce == "n1"
                assert consume(s, "s1") is None
        finally:
            store.dispose()
