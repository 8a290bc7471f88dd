"""One full launch (login, launch, course page) in-process, profiled: where its CPU goes, and
how many SQL statements and commits it takes (issue 15).

    .venv/bin/python bench/launch_profile.py [--db sqlite|postgresql] [-n 300] [--top 25]
                                             [--sample]

The app is lmspack's own (`create_app`), the requests go through Flask's test client (so
the WSGI server is not in the profile), the platform signs its id_tokens outside the
profile. Prints the statements and commits per launch, the time per launch, and cProfile's
top functions by own time and by cumulative time. cProfile inflates functions called often
(a genexpr, isinstance); `--sample` instead samples the stack every 0.5 ms of CPU (SIGPROF)
while unprofiled launches run, and prints each function's share of the samples (inclusive:
somewhere on the stack; own: at the top), which is closer to what the launch really costs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from launch_bench import Platform, make_database  # noqa: E402

from lmspack.store import Store  # noqa: E402
from lmspack.store.platforms import add_platform  # noqa: E402
from lmspack.tool import create_app  # noqa: E402

TOOL = "http://127.0.0.1:5000"


def one_launch(client, plat: Platform, user: str, sign=None) -> None:
    """Login, launch, course page; `sign(nonce, user)` makes the id_token (the platform's)."""
    q = urlencode({"iss": plat.url, "login_hint": user, "client_id": plat.client_id,
                   "target_link_uri": TOOL + "/lti/launch", "lti1p3_new_window": "1"})  # fmt: skip
    r = client.get("/lti/login?" + q)
    assert r.status_code == 302, r.status_code
    params = parse_qs(urlsplit(r.headers["Location"]).query)
    cookie = "; ".join(c.split(";", 1)[0] for c in r.headers.getlist("Set-Cookie"))
    sign = sign or (lambda nonce, u: plat.id_token(TOOL, nonce, u))
    id_token = sign(params["nonce"][0], user)
    r = client.post("/lti/launch", data={"id_token": id_token, "state": params["state"][0]},
                    headers={"Cookie": cookie})  # fmt: skip
    assert r.status_code == 303, (r.status_code, r.get_data()[:500])
    r = client.get(r.headers["Location"])
    assert r.status_code == 200


class Sampler:
    """Stack samples every `interval` s of process CPU (SIGPROF), by function."""

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval = interval
        self.samples = 0
        self.inclusive: dict[str, int] = {}
        self.own: dict[str, int] = {}

    def _on_signal(self, _sig, frame) -> None:
        self.samples += 1
        seen = set()
        top = True
        while frame is not None:
            code = frame.f_code
            name = f"{Path(code.co_filename).name}:{code.co_firstlineno}({code.co_name})"
            if top:
                self.own[name] = self.own.get(name, 0) + 1
                top = False
            if name not in seen:
                seen.add(name)
                self.inclusive[name] = self.inclusive.get(name, 0) + 1
            frame = frame.f_back

    def __enter__(self) -> Sampler:
        signal.signal(signal.SIGPROF, self._on_signal)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *exc) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def report(self, top: int, per_launch_ms: float) -> str:
        out = [f"{self.samples} samples; ms per launch = share x {per_launch_ms:.2f}"]
        for title, table in (("inclusive", self.inclusive), ("own", self.own)):
            out.append(f"-- {title}")
            for name, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
                share = n / max(1, self.samples)
                out.append(f"{share:6.1%} {share * per_launch_ms:6.2f} ms  {name}")
        return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sample", action="store_true", help="sample the stack, no cProfile")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lmspack-profile-"))
    url, drop = make_database(args.db, tmp)
    plat = Platform()
    store = Store.from_url(url)
    store.upgrade()
    with store.transaction() as s:
        add_platform(s, name="Bench LMS", issuer=plat.url, client_id=plat.client_id,
                     auth_login_url=plat.url + "/auth", auth_token_url=plat.url + "/token",
                     key_set_url=plat.url + "/jwks", deployment_ids=["1"])  # fmt: skip
    counts = {"sql": 0, "commit": 0}
    statements: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *a):
        counts["sql"] += 1
        statements.append(statement.split("\n", 1)[0][:110])

    @event.listens_for(store.engine, "commit")
    def _commit(conn):
        counts["commit"] += 1

    app = create_app(
        {"database_url": url, "base_url": TOOL, "course": str(ROOT / "course_src"),
         "secret_key": "profile-" + uuid.uuid4().hex, "grades_background": False},
        store_=store,
    )  # fmt: skip
    client = app.test_client(use_cookies=False)
    try:
        for i in range(20):  # warm: key set fetched, statements compiled
            one_launch(client, plat, f"warm{i}")
        counts.update(sql=0, commit=0)
        statements.clear()
        one_launch(client, plat, "counted")
        print(f"one launch: {counts['sql']} SQL statements, {counts['commit']} commits")
        for s in statements:
            print("   ", s)
        if args.sample:
            signing = [0.0]

            def timed_sign(nonce: str, user: str) -> str:
                t = time.process_time()
                token = plat.id_token(TOOL, nonce, user)
                signing[0] += time.process_time() - t
                return token

            t0 = time.process_time()
            with Sampler() as sampler:
                for i in range(args.n):
                    one_launch(client, plat, f"s{i}", timed_sign)
            total = (time.process_time() - t0) / args.n * 1000
            per = total - signing[0] / args.n * 1000
            print(f"{per:.2f} ms CPU per launch in the tool, sampled (signing left out)")
            print(sampler.report(args.top, total))
            return
        # CPU time, not wall time (the machine is shared); the platform's signing is left out
        prof = cProfile.Profile(time.process_time)
        signing = [0.0]
        profiling = [True]

        def sign(nonce: str, user: str) -> str:
            if profiling[0]:
                prof.disable()
            t = time.process_time()
            token = plat.id_token(TOOL, nonce, user)
            signing[0] += time.process_time() - t
            if profiling[0]:
                prof.enable()
            return token

        t0 = time.process_time()
        for i in range(args.n):
            prof.enable()
            one_launch(client, plat, f"p{i}", sign)
            prof.disable()
        per = (time.process_time() - t0 - signing[0]) / args.n * 1000
        print(f"{per:.2f} ms CPU per launch in the tool (under the profiler, signing left out)")
        profiling[0] = False
        signing[0] = 0.0
        t0 = time.process_time()
        for i in range(args.n):
            one_launch(client, plat, f"q{i}", sign)
        per = (time.process_time() - t0 - signing[0]) / args.n * 1000
        print(f"{per:.2f} ms CPU per launch in the tool, unprofiled (signing left out)")
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
            print(out.getvalue().split("\n", 6)[-1])
    finally:
        store.dispose()
        plat.httpd.shutdown()
        drop()


if __name__ == "__main__":
    main()
