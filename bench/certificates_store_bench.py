"""Issuing certificates through the store, as the learner API does: the course's rules
checked, the snapshot frozen, INSERT ... ON CONFLICT DO NOTHING, commit; then what a
download costs (PDF rendered from the stored snapshot; the Open Badge signed with the tool's
key from the keys table).

  python bench/certificates_store_bench.py               # 1,000 on SQLite and PostgreSQL
  python bench/certificates_store_bench.py -n 200 --db sqlite

(bench/certificates_bench.py times the pure part: snapshot + PDF + badge, no database.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from lmspack.certificates import issue  # noqa: E402
from lmspack.certificates.badge import Issuer, issue_badge  # noqa: E402
from lmspack.certificates.pdf import certificate_pdf  # noqa: E402
from lmspack.course import load_course  # noqa: E402
from lmspack.store import Store  # noqa: E402
from lmspack.store import keys as tool_keys  # noqa: E402
from lmspack.store.certificates import Certificate  # noqa: E402
from lmspack.store.models import (  # noqa: E402
    Attempt,
    Context,
    Deployment,
    Platform,
    ResourceLink,
    User,
)

PG = os.environ.get("LMSPACK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COURSE = load_course(ROOT / "course_src")
BASE = "https://tool.example"


def setup(store: Store, n: int) -> list[int]:
    now = datetime.now(UTC)
    nav = [x.id for x in COURSE.nav]
    with store.transaction() as s:
        p = Platform(
            name="B",
            issuer="https://b.example",
            client_id="b",
            auth_login_url="x",
            auth_token_url="x",
            key_set_url="x",
        )
        s.add(p)
        s.flush()
        d = Deployment(platform_id=p.id, deployment_id="1")
        s.add(d)
        s.flush()
        c = Context(platform_id=p.id, deployment_id=d.id, context_id="c")
        s.add(c)
        s.flush()
        rl = ResourceLink(platform_id=p.id, context_id=c.id, resource_link_id="r", course_id="x")
        s.add(rl)
        s.flush()
        s.execute(
            insert(User),
            [
                {
                    "platform_id": p.id,
                    "deployment_id": d.id,
                    "sub": f"u{i}",
                    "given_name": "Siobhán",
                    "family_name": f"Ní Bhriain {i}",
                }
                for i in range(n)
            ],
        )
        users = s.scalars(select(User.id).where(User.platform_id == p.id)).all()
        state = {
            "visited": nav,
            "evaluationSubmitted": now.isoformat(),
            "last": {"try": 1, "score": 95, "passed": True, "outcomes": {}, "at": now.isoformat()},
        }
        s.execute(
            insert(Attempt),
            [
                {
                    "platform_id": p.id,
                    "user_id": u,
                    "context_id": c.id,
                    "resource_link_id": rl.id,
                    "course_id": COURSE.id,
                    "course_version": COURSE.version,
                    "state": state,
                    "score": 95.0,
                    "status": "passed",
                    "completed_at": now,
                }
                for u in users
            ],
        )
        return list(s.scalars(select(Attempt.id).where(Attempt.context_id == c.id)))


def ms(label: str, xs: list[float]) -> None:
    v = sorted(x * 1000 for x in xs)
    p99 = v[min(len(v) - 1, round(0.99 * (len(v) - 1)))]
    print(
        f"  {label:<34} mean {statistics.mean(v):6.1f}  p50 {statistics.median(v):6.1f}  "
        f"p99 {p99:6.1f}  max {v[-1]:6.1f} ms"
    )


def bench(label: str, url: str, n: int) -> None:
    store = Store.from_url(url)
    store.upgrade()
    ids = setup(store, n)
    issued = []
    wall = time.perf_counter()
    for a in ids:
        t = time.perf_counter()
        with store.transaction() as s:
            attempt = s.get(Attempt, a)
            cert = issue.maybe_issue(s, COURSE, attempt, base_url=BASE)
            assert cert is not None
        issued.append(time.perf_counter() - t)
    wall = time.perf_counter() - wall
    again = []
    for a in ids[:200]:  # already issued: what every later save pays
        t = time.perf_counter()
        with store.transaction() as s:
            issue.maybe_issue(s, COURSE, s.get(Attempt, a), base_url=BASE)
        again.append(time.perf_counter() - t)
    with store.sessions() as s:
        count = s.query(Certificate).count()
        codes = list(s.scalars(select(Certificate.code).limit(200)))
    assert count == n
    pdfs, badges = [], []
    certificate_pdf(issue.snapshot_of(issue.find(store.sessions(), codes[0])))  # warm
    for code in codes:
        t = time.perf_counter()
        with store.read_sessions() as s:
            snap = issue.snapshot_of(issue.find(s, code))
        certificate_pdf(snap)
        pdfs.append(time.perf_counter() - t)
        t = time.perf_counter()
        with store.read_sessions() as s:
            snap = issue.snapshot_of(issue.find(s, code))
            key = tool_keys.signing_key(s)
        issue_badge(
            snap, Issuer(BASE + "/issuer", snap.provider, BASE + "/"), key.private_pem, key.kid
        )
        badges.append(time.perf_counter() - t)
    print(f"\n{label}: {n} certificates issued in {wall:.2f} s ({n / wall:.0f}/s)")
    ms("issue (rules+snapshot+insert+commit)", issued)
    ms("later save, already issued", again)
    ms("PDF download (from snapshot)", pdfs)
    ms("badge download (sign VC-JWT)", badges)
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as d:
            bench("SQLite", f"sqlite:///{d}/c.sqlite", args.n)
    if args.db in ("postgresql", "both"):
        import psycopg

        schema = "lmspack_cbench_" + uuid.uuid4().hex[:8]
        raw = PG.replace("+psycopg", "")
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            bench("PostgreSQL", f"{PG}?options=-csearch_path%3D{schema}", args.n)
        finally:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
