"""Server CPU per full LTI launch: lmspack against a plain pylti1p3 tool, in one run (issue 15).

    .venv/bin/pip install -e '.[bench]'     # Flask-Caching, for the reference tool
    .venv/bin/python bench/launch_bench.py [--seconds 5] [--levels 1,8,32] [--rounds 2]
                                           [--db sqlite,postgresql] [--json]

For each database: a fresh store (SQLite file in a temp folder; a new PostgreSQL schema) with
one platform registered the normal way, a platform JWKS served on loopback, and two servers
under gunicorn with 2 sync workers each: `lmspack serve` (its normal configuration otherwise)
and bench/reference_tool.py (pylti1p3's Flask example: file cache, no database). One
"launch" is what a browser does: GET /lti/login (state cookie, nonce stored; the plain
redirect of `lti1p3_new_window=1`) -> the platform signs an id_token (RS256, in this
process) -> POST /lti/launch -> lmspack: 303 and GET of the course page it names (token
checked, page served); the reference: its small HTML page. For each level of concurrent
clients the two tools take turns (lmspack, reference, lmspack, ... for --rounds rounds).

The figure to trust on a shared machine is server CPU per launch: the utime+stime that the
gunicorn master and its workers used (/proc/<pid>/stat) during the level, divided by the
launches done; wall-clock figures (launches/s, p50/p99) move with whatever else the machine
runs. Prints a table, then the lmspack/reference CPU ratio per database and level (range over
rounds). Only loopback traffic; every loop is bounded by time and count.
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



def _login(conn: http.client.HTTPConnection, tool: str, plat: Platform, user: str):
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
    cookies = [c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or []]
    return params["state"][0], params["nonce"][0], "; ".join(cookies)


def launch_once(conn: http.client.HTTPConnection, tool: str, plat: Platform, user: str) -> None:
    """Login, launch and (after a 303) the page it names, as a browser does it."""
    state, nonce, cookie = _login(conn, tool, plat, user)
    body = urlencode({"id_token": plat.id_token(tool, nonce, user), "state": state})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn.request("POST", "/lti/launch", body=body, headers=headers)
    r = conn.getresponse()
    page = r.read()
    if r.status == 303:
        conn.request("GET", r.getheader("Location"))
        r = conn.getresponse()
        page = r.read()
        if r.status != 200 or b"lmspack-data" not in page:
            raise RuntimeError(f"course page answered {r.status}")
    elif r.status != 200 or b"Welcome" not in page:
        raise RuntimeError(f"launch answered {r.status}")


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
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_level(port: int, tool: str, plat: Platform, clients: int, seconds: float, pid=0) -> dict:
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
                launch_once(conn, tool, plat, f"u{n}-{i}-{uuid.uuid4().hex[:6]}")
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
        "cpu_ms": cpu / len(lat) * 1000 if lat else float("nan"),
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


class Server:
    """A gunicorn under test: its master's pid, port and base URL; stopped by `close`."""

    def __init__(self, name: str, cmd: list[str], env: dict, port: int, tmp: Path):
        self.name, self.port, self.url = name, port, f"http://127.0.0.1:{port}"
        self.log_path = tmp / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=tmp,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, plat: Platform) -> None:
        deadline = time.monotonic() + 40
        while True:
            try:
                launch_once(http.client.HTTPConnection("127.0.0.1", self.port, timeout=5),
                            self.url, plat, "warmup")  # fmt: skip
                return
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(self.log_path.read_text()[-3000:]) from None
                time.sleep(0.3)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()


def start_servers(url: str, plat: Platform, tmp: Path, workers: int) -> list[Server]:
    lp, rp = free_port(), free_port()
    lms_env = {
        **os.environ,
        "DATABASE_URL": url,
        "LMSPACK_BASE_URL": f"http://127.0.0.1:{lp}",
        "LMSPACK_COURSE": str(ROOT / "course_src"),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
    }
    lms = [sys.executable, "-m", "lmspack", "serve", "--bind", f"127.0.0.1:{lp}",
           "--workers", str(workers)]  # fmt: skip
    ref_env = {
        **os.environ,
        "REF_ISSUER": plat.url,
        "REF_CLIENT_ID": plat.client_id,
        "REF_AUTH_URL": plat.url + "/auth",
        "REF_JWKS_URL": plat.url + "/jwks",
        "REF_CACHE_DIR": str(tmp / "reference-cache"),
        "PYTHONPATH": str(ROOT),
    }
    ref = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{rp}", "--workers",
           str(workers), "--worker-class", "sync", "bench.reference_tool:app"]  # fmt: skip
    servers = [Server("lmspack", lms, lms_env, lp, tmp), Server("reference", ref, ref_env, rp, tmp)]
    for s in servers:
        s.wait_ready(plat)
    return servers


def bench_database(kind: str, levels: list[int], seconds: float, rounds: int, workers: int):
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
    rows = []
    servers: list[Server] = []
    try:
        servers = start_servers(url, plat, tmp, workers)
        for n in levels:
            for s in servers:  # warm every worker's connections a little
                run_level(s.port, s.url, plat, n, 0.5)
            for r in range(rounds):
                for s in servers:
                    row = run_level(s.port, s.url, plat, n, seconds, s.proc.pid)
                    rows.append({"db": kind, "tool": s.name, "round": r, **row})
    finally:
        for s in servers:
            s.close()
        plat.httpd.shutdown()
        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def _span(values: list[float], fmt: str) -> str:
    lo, hi = min(values), max(values)
    return format(lo, fmt) if format(lo, fmt) == format(hi, fmt) else f"{lo:{fmt}}–{hi:{fmt}}"


def print_table(rows: list[dict], seconds: float) -> None:
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; {seconds:g} s "
        "per level and round; launch = login + launch (+ course page for lmspack); "
        "cpu = gunicorn master+workers' CPU ms per launch; ranges over rounds"
    )
    print(f"{'db':<11}{'clients':>7} {'tool':<10}| {'cpu ms':>11} {'launch/s':>9} "
          f"{'p50 ms':>11} {'p99 ms':>11} {'failed':>6} | {'cpu ratio':>9}")  # fmt: skip
    keys = list(dict.fromkeys((r["db"], r["clients"]) for r in rows))
    for db, n in keys:
        ratios = []
        mine = [r for r in rows if r["db"] == db and r["clients"] == n and r["tool"] == "lmspack"]
        theirs = [r for r in rows if r["db"] == db and r["clients"] == n and r["tool"] != "lmspack"]
        for a, b in zip(mine, theirs, strict=False):
            ratios.append(a["cpu_ms"] / b["cpu_ms"])
        for tool, group in (("lmspack", mine), ("reference", theirs)):
            print(
                f"{db:<11}{n:>7} {tool:<10}| {_span([r['cpu_ms'] for r in group], '.2f'):>11} "
                f"{_span([r['per_s'] for r in group], '.0f'):>9} "
                f"{_span([r['p50_ms'] for r in group], '.1f'):>11} "
                f"{_span([r['p99_ms'] for r in group], '.1f'):>11} "
                f"{sum(r['errors'] for r in group):>6} | "
                + (_span(ratios, ".2f") if tool == "lmspack" else "")
            )
            for r in group:
                if r["first_error"]:
                    print(f"    first error: {r['first_error']}")
                    break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="per level, tool and round")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers of each tool")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rows = []
    for kind in args.db.split(","):
        rows += bench_database(kind, levels, args.seconds, args.rounds, args.workers)
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows, args.seconds)


if __name__ == "__main__":
    main()
