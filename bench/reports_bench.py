"""Admin reports at scale: one context with 10,000 learners and 100,000 answers.

  python bench/reports_bench.py                          # SQLite (temp file) and PostgreSQL
  python bench/reports_bench.py --db sqlite -n 10000 --answers 10
  LMSPACK_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/reports_bench.py

Generates (bulk inserts, not timed) one platform, one context, N learners on the NRPS roster
(90% of them launched: an attempt each with its state, ANSWERS answers per attempt, 40% with a
certificate), another context with the same volume (so every query has to filter), then times
through the real Flask app (test client, instructor launch token), RUNS times each:

  completion page (first page of 100 rows, everything computed over all N learners)
  completion page filtered (status=passed, sorted by score descending)
  completion CSV export (all N rows, streamed)
  outcome/question page and CSV, evaluation page and CSV

Prints p50 and max per request in ms. Target: the completion page under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from lmspack.certificates.codes import new_code  # noqa: E402
from lmspack.certificates.snapshot import snapshot_for  # noqa: E402
from lmspack.course import load_course  # noqa: E402
from lmspack.store import Store  # noqa: E402
from lmspack.store.certificates import Certificate  # noqa: E402
from lmspack.store.models import (  # noqa: E402
    Answer,
    Attempt,
    Context,
    Deployment,
    Platform,
    ResourceLink,
    RosterMember,
    User,
)
from lmspack.tool.launch_token import LaunchClaims, issue_launch_token  # noqa: E402

PG = os.environ.get("LMSPACK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SECRET = "bench-secret"
COURSE = load_course(ROOT / "course_src")


def generate(store: Store, n: int, per: int, context: str, seed: int) -> tuple[int, int, int]:
    """Returns (platform id, context pk, resource link pk)."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    qs = COURSE.quiz.questions
    nav = [x.id for x in COURSE.nav] + ["results"]
    with store.transaction() as s:
        p = s.scalar(select(Platform).where(Platform.issuer == "https://bench.example"))
        if p is None:
            p = Platform(
                name="Bench",
                issuer="https://bench.example",
                client_id="bench",
                auth_login_url="https://bench.example/auth",
                auth_token_url="https://bench.example/token",
                key_set_url="https://bench.example/jwks",
            )
            s.add(p)
            s.flush()
            s.add(Deployment(platform_id=p.id, deployment_id="1"))
            s.flush()
        dep = s.scalar(select(Deployment.id).where(Deployment.platform_id == p.id))
        ctx = Context(platform_id=p.id, deployment_id=dep, context_id=context, title=context)
        s.add(ctx)
        s.flush()
        rl = ResourceLink(
            platform_id=p.id, context_id=ctx.id, resource_link_id="rl", course_id=COURSE.id
        )
        s.add(rl)
        s.flush()
        pid, cid, rlid = p.id, ctx.id, rl.id
        users = [
            {
                "platform_id": pid,
                "deployment_id": dep,
                "sub": f"{context}-u{i}",
                "name": f"Learner {i:05d}",
                "given_name": "Learner",
                "family_name": f"{i:05d}",
                "email": f"{context}-u{i}@example.org",
            }
            for i in range(n)
        ]
        s.execute(insert(User), users)
        ids = dict(s.execute(select(User.sub, User.id).where(User.platform_id == pid)).all())
        names = {ids[u["sub"]]: u["name"] for u in users}
        s.execute(
            insert(RosterMember),
            [
                {
                    "platform_id": pid,
                    "context_id": cid,
                    "sub": u["sub"],
                    "name": u["name"],
                    "email": u["email"],
                    "roles": [LEARNER],
                    "status": "Active",
                    "fetched_at": now,
                }
                for u in users
            ],
        )
        attempts = []
        launched = [u for i, u in enumerate(users) if i % 10 != 9]  # 90% launched
        for u in launched:
            right = rnd.randint(per // 2, per)
            score = round(100 * right / per)
            passed = score >= COURSE.pass_mark
            started = now - timedelta(days=rnd.randint(0, 60), minutes=rnd.randint(0, 600))
            state = {
                "visited": nav,
                "page": "results",
                "reflections": {r.id: "A reflection, " * 20 for r in COURSE.reflections},
                "evaluation": {
                    "recommend": rnd.choice(["yes", "yes", "no"]),
                    "useful": "yes",
                    "expertise": rnd.choice(["yes", "no"]),
                    "comment": rnd.choice(["", "", "Good.", "=1+1", "<b>Bold</b>"]),
                },
                "evaluationSubmitted": started.isoformat(),
                "last": {
                    "try": 1,
                    "score": score,
                    "passed": passed,
                    "outcomes": {o.id: rnd.choice([50, 100]) for o in COURSE.outcomes},
                    "at": started.isoformat(),
                },
            }
            attempts.append(
                {
                    "platform_id": pid,
                    "user_id": ids[u["sub"]],
                    "context_id": cid,
                    "resource_link_id": rlid,
                    "course_id": COURSE.id,
                    "course_version": COURSE.version,
                    "state": state,
                    "score": float(score),
                    "status": "passed" if passed else "failed",
                    "launches": 1,
                    "started_at": started,
                    "updated_at": started + timedelta(minutes=rnd.randint(20, 90)),
                    "completed_at": started + timedelta(minutes=60),
                    "last_launch_at": started,
                }
            )
        for i in range(0, len(attempts), 2000):
            s.execute(insert(Attempt), attempts[i : i + 2000])
        att = s.execute(
            select(Attempt.id, Attempt.user_id, Attempt.score).where(Attempt.context_id == cid)
        ).all()
        answers, certs = [], []
        for a_id, u_id, score in att:
            for k in range(per):
                q = qs[k % len(qs)]
                answers.append(
                    {
                        "attempt_id": a_id,
                        "question_id": q.id,
                        "outcome_id": q.outcome,
                        "response": list(q.correct_ids),
                        "correct": rnd.random() < (score or 0) / 100,
                        "quiz_try": 1,
                        "answered_at": now,
                    }
                )
            if score >= COURSE.pass_mark and rnd.random() < 0.6:
                code = new_code()
                # a real snapshot, as the tool stores it (~2 KB): what an evidence pack renders
                snap = snapshot_for(
                    COURSE,
                    learner_name=names[u_id],
                    completed_at=now,
                    score=int(round(score)),
                    code=code,
                    verify_url=f"https://tool.example/verify/{code}",
                    issued_at=now,
                )
                certs.append(
                    {
                        "code": code,
                        "platform_id": pid,
                        "context_id": cid,
                        "user_id": u_id,
                        "attempt_id": a_id,
                        "seq": 1,
                        "course_id": COURSE.id,
                        "course_version": COURSE.version,
                        "learner_name": snap.learner_name,
                        "snapshot": snap.to_dict(),
                        "issued_at": now,
                    }
                )
        for i in range(0, len(answers), 5000):
            s.execute(insert(Answer), answers[i : i + 5000])
        if certs:
            s.execute(insert(Certificate), certs)
    return pid, cid, rlid


def timed(client, url: str, runs: int) -> tuple[list[float], int, int]:
    times, size, status = [], 0, 0
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        body = b"".join(r.response)  # drain a streamed body
        times.append(time.perf_counter() - t)
        size, status = len(body), r.status_code
        r.close()
    return times, size, status


def bench(label: str, url: str, n: int, per: int, runs: int) -> None:
    from lmspack.tool import create_app

    store = Store.from_url(url)
    store.upgrade()
    t = time.perf_counter()
    pid, cid, rlid = generate(store, n, per, "bench-ctx", 1)
    generate(store, n, per, "other-ctx", 2)  # the same volume elsewhere: queries must filter
    gen = time.perf_counter() - t
    if store.is_sqlite:
        with store.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    else:
        with store.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    with store.sessions() as s:
        n_answers = s.scalar(
            select(__import__("sqlalchemy").func.count())
            .select_from(Answer)
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.context_id == cid)
        )
    app = create_app(
        {
            "database_url": url,
            "course": str(ROOT / "course_src"),
            "secret_key": SECRET,
            "base_url": "https://tool.example",
        },
        store_=store,
    )
    app.config["GRADES_BACKGROUND"] = False
    token = issue_launch_token(
        SECRET, LaunchClaims(1, pid, cid, rlid, None, "instructor", COURSE.id)
    )
    client = app.test_client()
    print(
        f"\n{label}: {n:,} learners on the roster, {n_answers:,} answers in the context "
        f"(and as many in another context); generated in {gen:.1f} s"
    )
    base = f"/admin/{cid}"
    filtered = "&status=passed&sort=score&desc=1"
    cases = [
        ("completion page (100 of all rows)", f"{base}/completions?t={token}"),
        ("completion page, passed, by score", f"{base}/completions?t={token}{filtered}"),
        ("completion CSV (all rows)", f"{base}/completions.csv?t={token}"),
        ("outcomes page", f"{base}/outcomes?t={token}"),
        ("outcomes CSV", f"{base}/outcomes.csv?t={token}"),
        ("evaluation page", f"{base}/evaluation?t={token}"),
        ("evaluation CSV", f"{base}/evaluation.csv?t={token}"),
    ]
    timed(client, cases[0][1], 1)  # warm: templates, course, statements
    for name, path in cases:
        times, size, status = timed(client, path, runs)
        ms = [x * 1000 for x in times]
        assert status == 200, (name, status)
        print(
            f"  {name:<36} p50 {statistics.median(ms):7.1f} ms   max {max(ms):7.1f} ms   "
            f"{size / 1024:8.1f} KiB"
        )
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10_000, help="learners on the roster")
    ap.add_argument(
        "--answers",
        type=int,
        default=0,
        help="answers per attempt (default: enough for 100,000 answers)",
    )
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = ap.parse_args()
    launched = args.n - args.n // 10
    per = args.answers or max(1, round(100_000 / launched))
    load = os.getloadavg()[0]
    print(f"lmspack reports bench, {os.cpu_count()} CPUs, load average {load:.1f} at start")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as d:
            bench("SQLite", f"sqlite:///{d}/bench.sqlite", args.n, per, args.runs)
    if args.db in ("postgresql", "both"):
        import psycopg

        schema = "lmspack_bench_" + uuid.uuid4().hex[:8]
        raw = PG.replace("+psycopg", "")
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            bench("PostgreSQL", f"{PG}?options=-csearch_path%3D{schema}", args.n, per, args.runs)
        finally:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
