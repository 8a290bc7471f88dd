"""A burst of simultaneous launches at a cold key-set cache, through gunicorn.

    .venv/bin/python bench/jwks_burst_bench.py [--launches 200] [--db sqlite,postgresql]
        [--rounds 2] [--jwks-delay 0.3] [--jwks-concurrency 4] [--workers N]

For each database: a fresh store, `lmspack serve` (gunicorn, the tool's normal settings
unless --workers/--threads), and a platform whose key set endpoint takes --jwks-delay
seconds and serves at most --jwks-concurrency requests at once (as a small Moodle's PHP pool
would). Each round registers a new platform (so its key set is not cached anywhere), does
--launches logins, signs an id_token for each, then posts every launch at the same moment
(one connection each) and counts what the platform's key set endpoint saw, what the tool
answered, and how long the launches took. Only loopback traffic. Prints a table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch_bench import Platform, free_port, make_database  # noqa: E402

from lmspack.store import Store  # noqa: E402
from lmspack.store.platforms import add_platform  # noqa: E402


class SlowKeySet:
    """The platform's JWKS endpoint: counts fetches, answers after `delay`, `concurrency` at
    a time."""

    def __init__(self, body: bytes, delay: float, concurrency: int) -> None:
        self.hits = 0
        lock = threading.Lock()
        pool = threading.Semaphore(concurrency)
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                with lock:
                    outer.hits += 1
                with pool:
                    time.sleep(delay)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *a):
                pass

        ThreadingHTTPServer.request_queue_size = 512
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def login(port: int, tool: str, plat: Platform, user: str) -> tuple[str, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    q = urlencode(
        {
            "iss": plat.url,
            "login_hint": user,
            "client_id": plat.client_id,
            "target_link_uri": tool + "/lti/launch",
            "lti1p3_new_window": "1",
        }
    )
    conn.request("GET", "/lti/login?" + q)
    r = conn.getresponse()
    r.read()
    conn.close()
    if r.status != 302:
        raise RuntimeError(f"login answered {r.status}")
    params = parse_qs(urlsplit(r.getheader("Location")).query)
    cookies = "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])
    return params["state"][0], params["nonce"][0], cookies


def burst_round(port: int, tool: str, url: str, n: int, delay: float, concurrency: int) -> dict:
    plat = Platform()  # the issuer and its key; the key set is served slowly, by SlowKeySet
    plat.client_id = "burst-" + uuid.uuid4().hex[:8]
    keyset = SlowKeySet(_jwks_of(plat).encode(), delay=delay, concurrency=concurrency)
    store = Store.from_url(url)
    with store.transaction() as s:
        add_platform(
            s,
            name="Burst LMS",
            issuer=plat.url,
            client_id=plat.client_id,
            auth_login_url=plat.url + "/auth",
            auth_token_url=plat.url + "/token",
            key_set_url=f"{keyset.url}/jwks?round={uuid.uuid4().hex[:8]}",
            deployment_ids=["1"],
        )
    store.dispose()
    logins = [login(port, tool, plat, f"b{i}") for i in range(n)]
    bodies = [
        urlencode({"id_token": plat.id_token(tool, nonce, f"b{i}"), "state": state})
        for i, (state, nonce, _c) in enumerate(logins)
    ]
    barrier = threading.Barrier(n)
    results: list[tuple[int | str, float]] = [("", 0.0)] * n

    def go(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": logins[i][2],
        }
        barrier.wait()
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/lti/launch", body=bodies[i], headers=headers)
            r = conn.getresponse()
            r.read()
            results[i] = (r.status, time.perf_counter() - t0)
        except Exception as exc:  # counted as a failure, with its kind
            results[i] = (type(exc).__name__, time.perf_counter() - t0)
        finally:
            conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    keyset.httpd.shutdown()
    plat.httpd.shutdown()
    lat = sorted(d for _s, d in results)
    return {
        "launches": n,
        "statuses": dict(Counter(str(s) for s, _d in results)),
        "jwks_fetches": keyset.hits,
        "p50_s": lat[len(lat) // 2],
        "p99_s": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
        "max_s": lat[-1],
        "wall_s": wall,
    }


def _jwks_of(plat: Platform) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", int(plat.url.rsplit(":", 1)[1]), timeout=10)
    conn.request("GET", "/jwks")
    body = conn.getresponse().read().decode()
    conn.close()
    return body


def bench_database(kind: str, args) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="lmspack-burst-"))
    url, drop = make_database(kind, tmp)
    store = Store.from_url(url)
    store.upgrade()
    store.dispose()
    port = free_port()
    tool = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LMSPACK_BASE_URL": tool,
        "LMSPACK_COURSE": str(ROOT / "course_src"),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "LMSPACK_GRADES_BACKGROUND": "0",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "lmspack", "serve", "--bind", f"127.0.0.1:{port}"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    log = open(tmp / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True
    )
    rows = []
    try:
        deadline = time.monotonic() + 150
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError((tmp / "serve.log").read_text()[-2000:])
            time.sleep(0.3)
        for _ in range(args.rounds):
            row = burst_round(
                port, tool, url, args.launches, args.jwks_delay, args.jwks_concurrency
            )
            rows.append({"db": kind, **row})
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--launches", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--jwks-delay", type=float, default=0.3)
    ap.add_argument("--jwks-concurrency", type=int, default=4)
    ap.add_argument("--workers", type=int, default=None, help="default: lmspack serve's")
    ap.add_argument("--threads", type=int, default=None, help="default: lmspack serve's")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for kind in args.db.split(","):
        rows += bench_database(kind, args)
    if args.json:
        print(json.dumps(rows))
        return
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; key set "
        f"endpoint: {args.jwks_delay:g} s per answer, {args.jwks_concurrency} at a time"
    )
    print(
        f"{'db':<11}{'launches':>9} {'jwks fetches':>13} {'p50 s':>7} {'p99 s':>7} "
        f"{'max s':>7} {'wall s':>7}  answers"
    )
    for r in rows:
        print(
            f"{r['db']:<11}{r['launches']:>9} {r['jwks_fetches']:>13} {r['p50_s']:>7.2f} "
            f"{r['p99_s']:>7.2f} {r['max_s']:>7.2f} {r['wall_s']:>7.2f}  {r['statuses']}"
        )


if __name__ == "__main__":
    main()
