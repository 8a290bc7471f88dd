"""Time to issue certificates: snapshot + PDF + signed Open Badge, per certificate.

  python bench/certificates_bench.py                 # 1,000 certificates, one process
  python bench/certificates_bench.py -n 200 --workers 2

Issuing one certificate here is what the tool will do when a learner meets the rules: make a
fresh code, freeze the snapshot (and its JSON, which the tool stores), render the one-page
PDF/UA certificate, and sign the Open Badges 3.0 VC-JWT (RS256, 2048-bit key). Each learner
gets a different name, score and code, so nothing is served from a cache that a real run
wouldn't have.

Wall-clock times suffer when other processes share the CPUs, so the CPU time this process
spent per certificate is printed too (and the load average at the start).

Prints the first (cold: fonts, templates, stylesheet loaded) certificate's time, then the mean,
p50, p90, p95, p99 and max per certificate for the rest, the split between PDF and badge, and the
total. With --workers N > 1 the batch is spread over N processes (each warmed up first) and
the wall time per certificate is printed as well: the throughput figure for a bulk re-issue.
The target is under 50 ms per certificate.

  python bench/certificates_bench.py --pack /tmp/pack.zip --workers 2

times the product's bulk path instead: `lmspack certificates export` (an evidence pack: every
PDF of a context in one zip, rendered by `certificates.batch` on N processes) for N fresh
snapshots, including the workers' start-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from lmspack.certificates.badge import Issuer, issue_badge  # noqa: E402
from lmspack.certificates.codes import new_code  # noqa: E402
from lmspack.certificates.pdf import certificate_pdf  # noqa: E402
from lmspack.certificates.snapshot import snapshot_for  # noqa: E402
from lmspack.course import load_course  # noqa: E402

FIRST = ["Amara", "Siobhán", "Dev", "Zofia", "Oluwaseun", "Mary-Kate", "Tomás", "Yusuf"]
LAST = ["Okonkwo", "Ní Bhriain", "Patel", "Wiśniewska", "Adeyemi", "O'Neill", "Fernández"]
ISSUER = Issuer(
    id="https://cpd.example-council.gov.uk/",
    name="Example Council Learning and Development",
    url="https://www.example-council.gov.uk/",
)
KID = "bench-key"

_state: dict = {}


def _setup() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _state["pem"] = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _state["course"] = load_course(ROOT / "course_src")


def fresh_snapshot(i: int):
    """Learner i's snapshot with a new code: a different name, score and date each time."""
    code = new_code()
    return snapshot_for(
        _state["course"],
        learner_name=f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]} {i}",
        completed_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i),
        score=80 + i % 21,
        code=code,
        verify_url=f"https://cpd.example-council.gov.uk/verify/{code}",
        issued_at=datetime.now(UTC),
        live_session_date=date(2026, 12, 3) if i % 2 else None,
    )


def issue(i: int) -> tuple[float, float, float, int, float]:
    """Issue certificate number i; returns (total s, pdf s, badge s, pdf bytes, CPU s)."""
    pem = _state["pem"]
    cpu = time.process_time()
    start = time.perf_counter()
    snapshot = fresh_snapshot(i)
    snapshot.to_json()  # what the tool stores
    t_pdf = time.perf_counter()
    pdf = certificate_pdf(snapshot)
    t_badge = time.perf_counter()
    issue_badge(snapshot, ISSUER, pem, KID)
    end = time.perf_counter()
    return end - start, t_badge - t_pdf, end - t_badge, len(pdf), time.process_time() - cpu


def _worker_init() -> None:
    _setup()
    issue(0)  # warm: fonts, template, stylesheet


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def report(label: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(
        f"{label:<18} min {min(ms):5.1f}  mean {statistics.mean(ms):6.1f}  "
        f"p50 {percentile(ms, 50):6.1f}  p90 {percentile(ms, 90):6.1f}  "
        f"p95 {percentile(ms, 95):6.1f}  p99 {percentile(ms, 99):6.1f}  max {max(ms):6.1f} ms"
    )


def pack(n: int, workers: int, path: Path) -> None:
    from lmspack.certificates.evidence import IssuedCertificate, write_pack

    _setup()
    items = [IssuedCertificate(fresh_snapshot(i)) for i in range(n)]
    stats = write_pack(path, items, jobs=workers)
    print(
        f"evidence pack of {stats.pdfs} certificates with {workers} process(es): "
        f"{stats.seconds:.1f} s in all (start-up included), "
        f"{stats.seconds / n * 1000:.1f} ms per certificate, {stats.bytes / 1024 / 1024:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="certificates to issue")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--pack", type=Path, help="time an evidence pack written here instead")
    args = parser.parse_args()
    if args.pack:
        pack(args.n, args.workers, args.pack)
        return

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"lmspack certificate issuing, {args.n} certificates, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at start"
    )
    _setup()
    cold = issue(0)
    print(f"first certificate (cold)  {cold[0] * 1000:.0f} ms, PDF {cold[3]:,} bytes")

    wall = time.perf_counter()
    if args.workers <= 1:
        results = [issue(i) for i in range(1, args.n + 1)]
    else:
        with ProcessPoolExecutor(args.workers, initializer=_worker_init) as pool:
            list(pool.map(time.sleep, [0] * args.workers))  # wait until all are warm
            wall = time.perf_counter()
            results = list(pool.map(issue, range(1, args.n + 1), chunksize=8))
    wall = time.perf_counter() - wall

    report("per certificate", [r[0] for r in results])
    report("  CPU time", [r[4] for r in results])
    report("  of which PDF", [r[1] for r in results])
    report("  of which badge", [r[2] for r in results])
    sizes = [r[3] for r in results]
    print(f"PDF size                mean {statistics.mean(sizes) / 1024:.1f} KiB")
    print(
        f"total {wall:.1f} s for {args.n} with {args.workers} process(es): "
        f"{wall / args.n * 1000:.1f} ms wall per certificate, {args.n / wall:.0f} per second"
    )


if __name__ == "__main__":
    main()
