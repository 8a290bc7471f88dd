"""How long migration 0010 (clean stored text) takes on a SQLite database of N attempts, a
tenth of them holding unprintable text in their state.

    .venv/bin/python bench/migration_0010_bench.py [N]      # default 20,000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from lmspack.store import Store, migrate
from lmspack.store.models import Attempt, Context, Deployment, ResourceLink, User
from lmspack.store.platforms import add_platform


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.from_url(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        store.upgrade()
        migrate.downgrade(store.engine, "0009")
        with store.transaction() as s:
            p = add_platform(
                s, name="B", issuer="https://b.test", client_id="b",
                auth_login_url="https://b.test/a", auth_token_url="https://b.test/t",
                key_set_url="https://b.test/k", deployment_ids=["1"],
            )  # fmt: skip
            dep = s.scalar(select(Deployment.id).where(Deployment.platform_id == p.id))
            ctx = Context(platform_id=p.id, deployment_id=dep, context_id="c")
            s.add(ctx)
            s.flush()
            link = ResourceLink(platform_id=p.id, context_id=ctx.id, resource_link_id="r",
                                course_id="x")  # fmt: skip
            s.add(link)
            s.flush()
            s.execute(insert(User), [
                {"platform_id": p.id, "deployment_id": dep, "sub": f"u{i}", "name": f"User {i}"}
                for i in range(n)
            ])  # fmt: skip
            users = s.scalars(select(User.id).order_by(User.id)).all()
            text = "I will ask more open questions. " * 30
            s.execute(insert(Attempt), [
                {"platform_id": p.id, "user_id": u, "context_id": ctx.id,
                 "resource_link_id": link.id, "course_id": "x", "course_version": "1",
                 "state": {"reflections": {"r1": text + ("\ud800\x07" if i % 10 == 0 else "")},
                           "visited": ["p1", "p2"]}}
                for i, u in enumerate(users)
            ])  # fmt: skip
        with store.sessions() as s:
            before = sum(
                "\ud800" in st["reflections"]["r1"] for st in s.scalars(select(Attempt.state))
            )
        started = time.perf_counter()
        migrate.upgrade(store.engine)
        took = time.perf_counter() - started
        with store.sessions() as s:
            states = s.scalars(select(Attempt.state)).all()
        bad = sum("\ufffd" in st["reflections"]["r1"] for st in states)
        size = (Path(tmp) / "bench.sqlite").stat().st_size
        print(
            f"0010 on {n:,} attempts ({size / 1e6:.1f} MB, {before:,} with bad text, "
            f"{bad:,} cleaned): {took:.2f} s"
        )
        store.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
