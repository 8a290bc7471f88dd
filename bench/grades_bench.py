"""Grades sent per second through the outbox to an AGS endpoint on loopback.

    .venv/bin/python bench/grades_bench.py [--rows 1000] [--senders 1 4] [--backend sqlite ...]

For each backend (a temporary SQLite file; a fresh schema in PostgreSQL at
$LMSPACK_TEST_PG or 127.0.0.1:5432/test, skipped if unreachable) it starts the tool (for its
JWKS) and the test platform (lti1p3platform: token endpoint validating the client assertion,
AGS score service checking the bearer token) on 127.0.0.1, queues `--rows` scores, each for a
different user, and times `send_all` with 1 and with N sender threads. The access token is
fetched once and cached in the database, as in production. Bounded: every loop has a cap.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from lmspack import grades  # noqa: E402
from lmspack.store import Store  # noqa: E402
from lmspack.store.models import Attempt, GradeOutbox, Platform, utcnow  # noqa: E402
from lmspack.store.platforms import add_platform  # noqa: E402
from tests.tool.platform import ServerThread, TestPlatform  # noqa: E402

PG = os.environ.get("LMSPACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / f'grades-bench-{uuid.uuid4().hex[:6]}.sqlite'}"


def pg_url() -> tuple[str, str] | None:
    try:
        import psycopg

        schema = f"lmspack_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        return f"{PG}?options=-csearch_path%3D{schema}", schema
    except Exception as exc:  # noqa: BLE001
        print(f"  PostgreSQL not reachable ({exc.__class__.__name__}); skipped")
        return None


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def queue_rows(store: Store, attempt_id: int, platform_id: int, lineitem: str, n: int, tag: str):
    now = utcnow()
    with store.transaction() as s:
        s.add_all(
            GradeOutbox(
                attempt_id=attempt_id,
                platform_id=platform_id,
                lineitem_url=lineitem,
                user_sub=f"{tag}-{i}",
                score_given=float(i % 101),
                score_maximum=100.0,
                activity_progress="Completed",
                grading_progress="FullyGraded",
                timestamp=now,
                status="pending",
                tries=0,
                next_try_at=now,
                created_at=now,
            )
            for i in range(n)
        )


def one_launch(platform: TestPlatform) -> None:
    """A real launch, so the store has a user, context, link and attempt for the rows."""
    from tests.tool.platform import Browser

    r = Browser().launch(platform, user="bench", role="learner", context="bc", link="brl")
    assert r.status_code == 303, r.text[:300]


def run(url: str, rows: int, senders: list[int]) -> list[tuple[int, float, float]]:
    from lmspack.tool import create_app

    store = Store.from_url(url)
    store.upgrade()
    server = ServerThread()
    app = create_app(
        {
            "database_url": url,
            "base_url": server.url,
            "course": str(ROOT / "course_src"),
            "secret_key": "bench-" + uuid.uuid4().hex,
            "extra": {"GRADES_BACKGROUND": False},
        },
        store_=store,
    )
    server.start(app)
    platform = TestPlatform(server.url)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        with store.transaction() as s:
            add_platform(s, **platform.cli_args())
        one_launch(platform)
        with store.sessions() as s:
            attempt = s.scalar(select(Attempt).order_by(Attempt.id.desc()).limit(1))
            pid = s.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        lineitem = f"{platform.issuer}/ags/bc/lineitems/brl"
        # warm up: fetch and cache the access token
        queue_rows(store, attempt.id, pid, lineitem, 1, "warm")
        grades.send_all(store, timeout=5)
        out = []
        for n_senders in senders:
            tag = f"s{n_senders}"
            queue_rows(store, attempt.id, pid, lineitem, rows, tag)
            before = len(platform.services.scores)
            t0 = time.perf_counter()

            def work():
                for _ in range(10_000):  # bounded
                    if grades.send_pending(store, limit=50, timeout=5).claimed == 0:
                        return

            threads = [threading.Thread(target=work) for _ in range(n_senders)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
            dt = time.perf_counter() - t0
            got = len(platform.services.scores) - before
            assert got == rows, f"{got} of {rows} scores arrived"
            assert not platform.services.duplicates
            out.append((n_senders, dt, rows / dt))
        return out
    finally:
        platform.stop()
        server.stop()
        store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--senders", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    import tempfile

    print(f"grades bench: {args.rows} scores per run, loopback AGS (lti1p3platform), "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend:
            print(f"\n{backend}")
            results: dict[int, list[float]] = {}
            for _ in range(args.repeat):
                schema = None
                if backend == "sqlite":
                    url = sqlite_url(Path(tmp))
                else:
                    made = pg_url()
                    if made is None:
                        break
                    url, schema = made
                try:
                    for n, dt, rate in run(url, args.rows, args.senders):
                        results.setdefault(n, []).append(rate)
                        print(f"  {n} sender(s): {args.rows} grades in {dt:6.2f} s "
                              f"= {rate:7.1f} grades/s")  # fmt: skip
                finally:
                    if schema:
                        drop_schema(schema)
            for n, rates in results.items():
                if len(rates) > 1:
                    print(f"  {n} sender(s): median {statistics.median(rates):.1f} grades/s")


if __name__ == "__main__":
    main()
