"""Many certificate PDFs at once, on every core.

    for snapshot, pdf in render_pdfs(snapshots, jobs=4): ...

One certificate is ~60-160 ms of single-threaded Python (WeasyPrint's layout and PDF writing,
bench/certificates_bench.py), so a bulk job (an evidence pack for an audit, every certificate
of a cohort) is made N at a time by N worker processes. Results come back in the order given,
as they are ready, so a caller can write them out without holding them all.

Workers are spawned, not forked: a fork of a process that has already rendered would share
its fontconfig and Pango state, which neither library supports. Spawning costs each worker
an import of WeasyPrint (~0.5 s), so a small batch is rendered in this process instead.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice

from .pdf import served_pdf
from .snapshot import CertificateSnapshot

# Below this many certificates per worker, starting the workers costs more than it saves.
MIN_PER_WORKER = 8
CHUNK = 4  # snapshots sent to a worker at a time: few round trips, even progress
IN_FLIGHT = 3  # chunks queued per worker


def default_jobs() -> int:
    """The CPUs this process may use (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _render(chunk: list[str]) -> list[bytes]:
    return [served_pdf(CertificateSnapshot.from_json(text)) for text in chunk]


def render_pdfs(
    snapshots: Iterable[CertificateSnapshot], *, jobs: int | None = None
) -> Iterator[tuple[CertificateSnapshot, bytes]]:
    """(snapshot, PDF) for each snapshot, in order. `jobs` processes (default: every CPU
    this process may use); one, or a batch too small to share, renders here."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    rest = iter(snapshots)
    head = list(islice(rest, jobs * MIN_PER_WORKER))
    items = chain(head, rest)
    if jobs == 1 or len(head) < jobs * MIN_PER_WORKER:
        for snapshot in items:
            yield snapshot, served_pdf(snapshot)
        return
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=spawn)
    try:
        # A few chunks per worker in flight: every worker stays busy, and a very large
        # batch is never all in memory (as JSON going out or as PDFs coming back).
        in_flight: deque[tuple[list[CertificateSnapshot], Future[list[bytes]]]] = deque()
        while True:
            while len(in_flight) < jobs * IN_FLIGHT:
                chunk = list(islice(items, CHUNK))
                if not chunk:
                    break
                in_flight.append((chunk, pool.submit(_render, [s.to_json() for s in chunk])))
            if not in_flight:
                return
            chunk, future = in_flight.popleft()
            yield from zip(chunk, future.result(), strict=True)
    finally:  # also when the caller stops early or a render fails: drop what is queued
        pool.shutdown(wait=True, cancel_futures=True)
