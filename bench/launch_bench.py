"""Full LTI launches per second through gunicorn, next to a bare Flask endpoint (the ceiling).

    .venv/bin/python bench/launch_bench.py [--seconds 5] [--levels 1,8,32] [--db sqlite,postgresql]

For each database: a fresh store (SQLite file in a temp folder; a new PostgreSQL schema),
`lmspack serve` (gunicorn, the tool's normal configuration: 2×CPU+1 workers, gthread), one
platform registered the normal way, and a platform JWKS served on loopback. One "launch" is
what a browser does: GET /lti/login (state cookie, nonce stored) -> the platform signs an
id_token (RS256, in this process) -> POST /lti/launch (state and nonce checked, signature
verified, user/context/link/attempt written, launch token issued) -> 303. The ceiling is
GET /healthz on the same server. Only loopback traffic; every loop is bounded by time and
count. Prints a table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lmspack.store import Store  # noqa: E402
from lmspack.store.platforms import add_platform  # noqa: E402

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
PG_BASE = os.environ.get("LMSPACK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAX_PER_LEVEL = 20000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Platform:
    """The bench's platform: a key, a JWKS served on loopback, id_tokens signed on demand."""

    def __init__(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.key = key  # sign with the key object: parsing the PEM each time costs ~40 ms
        jwk = JWK.from_pem(self.private)
        self.kid = jwk.thumbprint()
        public = json.loads(jwk.export_public())
        public.update(kid=self.kid, alg="RS256", use="sig")
        body = json.dumps({"keys": [public]}).encode()
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.client_id = "bench-client"

    def id_token(self, tool_url: str, nonce: str, user: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": user,
            "iat": now,
            "exp": now + 60,
            "nonce": nonce,
            "name": f"Bench {user}",
            "email": f"{user}@example.org",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": "1",
            LTI + "target_link_uri": tool_url + "/lti/launch",
            LTI + "resource_link": {"id": "rl1", "title": "Pre-work"},
            LTI + "context": {"id": "ctx1", "title": "Bench course"},
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitem": self.url + "/ags/li/1",
            },
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


def launch_once(conn: http.client.HTTPConnection, tool: str, plat: Platform, user: str) -> None:
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
    if r.status != 302:
        raise RuntimeError(f"login answered {r.status}")
    params = parse_qs(urlsplit(r.getheader("Location")).query)
    state, nonce = params["state"][0], params["nonce"][0]
    cookies = [c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or []]
    body = urlencode({"id_token": plat.id_token(tool, nonce, user), "state": state})
    conn.request(
        "POST",
        "/lti/launch",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(cookies),
        },
    )
    r = conn.getresponse()
    r.read()
    if r.status != 303:
        raise RuntimeError(f"launch answered {r.status}")


def bare_once(conn: http.client.HTTPConnection, *_):
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError(f"healthz answered {r.status}")


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by gunicorn's master `pid` and its workers (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid = int(fields[1])
        if int(entry) == pid or ppid == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_level(
    fn, port: int, tool: str, plat: Platform, clients: int, seconds: float, pid: int = 0
) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    count = [0]

    def worker(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        while time.monotonic() < stop_at:
            with lock:
                if count[0] >= MAX_PER_LEVEL:
                    break
                count[0] += 1
            t0 = time.perf_counter()
            try:
                fn(conn, tool, plat, f"u{n}-{i}")
            except Exception as exc:  # count it, reconnect, go on
                errors.append(str(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            finally:
                i += 1
            with lock:
                lat.append(time.perf_counter() - t0)
        conn.close()

    cpu0 = server_cpu(pid) if pid else 0.0
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    cpu = (server_cpu(pid) - cpu0) if pid else float("nan")
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "clients": clients,
        "done": len(lat),
        "per_s": len(lat) / elapsed,
        "p50_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "p99_ms": pct(0.99),
        "server_cpu_ms": cpu / len(lat) * 1000 if lat else float("nan"),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def make_database(kind: str, tmp: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/bench.sqlite", lambda: None
    import psycopg

    schema = f"lmspack_bench_{uuid.uuid4().hex[:8]}"
    raw = PG_BASE.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')

    def drop():
        with psycopg.connect(raw, autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{PG_BASE}?options=-csearch_path%3D{schema}", drop


def bench_database(
    kind: str, levels: list[int], seconds: float, workers: int | None, threads: int | None
) -> list:
    tmp = Path(tempfile.mkdtemp(prefix="lmspack-bench-"))
    url, drop = make_database(kind, tmp)
    plat = Platform()
    store = Store.from_url(url)
    store.upgrade()
    with store.transaction() as s:
        add_platform(
            s,
            name="Bench LMS",
            issuer=plat.url,
            client_id=plat.client_id,
            auth_login_url=plat.url + "/auth",
            auth_token_url=plat.url + "/token",
            key_set_url=plat.url + "/jwks",
            deployment_ids=["1"],
        )
    store.dispose()
    port = free_port()
    tool = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LMSPACK_BASE_URL": tool,
        "LMSPACK_COURSE": str(ROOT / "course_src"),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
    }
    cmd = [sys.executable, "-m", "lmspack", "serve", "--bind", f"127.0.0.1:{port}"]
    if workers:
        cmd += ["--workers", str(workers)]
    if threads:
        cmd += ["--threads", str(threads)]
    log = open(tmp / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True
    )
    rows = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                bare_once(c)
                launch_once(c, tool, plat, "warmup")
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp / "serve.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        for n in levels:  # warm every worker's connections a little
            run_level(launch_once, port, tool, plat, n, 0.5)
            bare = run_level(bare_once, port, tool, plat, n, seconds, proc.pid)
            full = run_level(launch_once, port, tool, plat, n, seconds, proc.pid)
            rows.append((kind, n, bare, full))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        plat.httpd.shutdown()
        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="per level and endpoint")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--workers", type=int, default=None, help="default: lmspack serve's")
    ap.add_argument("--threads", type=int, default=None, help="default: lmspack serve's")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    all_rows = []
    for kind in args.db.split(","):
        all_rows += bench_database(kind, levels, args.seconds, args.workers, args.threads)
    if args.json:
        print(
            json.dumps([{"db": k, "clients": n, "bare": b, "launch": f} for k, n, b, f in all_rows])
        )
        return
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the end; {args.seconds:g} s per "
        "level; launch = login + launch (303); cpu = gunicorn CPU ms per request/launch"
    )
    print(
        f"{'db':<11}{'clients':>8} | {'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'cpu':>5} | "
        f"{'launch/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'cpu':>5} {'ratio':>6} {'errors':>6}"
    )
    for kind, n, b, f in all_rows:
        ratio = f["per_s"] / b["per_s"] if b["per_s"] else 0
        print(
            f"{kind:<11}{n:>8} | {b['per_s']:>10.0f} {b['p50_ms']:>7.1f} {b['p99_ms']:>7.1f} "
            f"{b['server_cpu_ms']:>5.2f} | {f['per_s']:>9.0f} {f['p50_ms']:>7.1f} "
            f"{f['p99_ms']:>7.1f} {f['server_cpu_ms']:>5.2f} {ratio:>6.2f} "
            f"{f['errors'] + b['errors']:>6}"
        )
        if f["first_error"]:
            print(f"    first error: {f['first_error']}")


if __name__ == "__main__":
    main()
