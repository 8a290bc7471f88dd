"""`BackgroundSender`: a daemon thread in each web process that sends the outbox, so a grade
leaves as soon as it is queued and rows waiting on a backoff (an outage, a 409) go when due,
even when no learner is active in this process."""

from __future__ import annotations

import logging
import os
import threading

from ..store import Store
from ..store.faults import log_failure
from ..store.models import utcnow
from .outbox import next_due
from .sender import send_all

log = logging.getLogger("lmspack.grades")

MIN_WAIT = 0.2  # seconds: never spin


class BackgroundSender:
    """Sends right after `kick()`, when the earliest pending row is due, and every `poll` s."""

    def __init__(self, store: Store, *, timeout: float = 10.0, poll: float = 60.0):
        self.store = store
        self.timeout = timeout
        self.poll = poll
        self.enabled = True
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._stopped = False
        self.passes = 0

    def kick(self) -> None:
        if not self.enabled or self._stopped:
            return
        self._ensure_thread()
        self._wake.set()

    def ensure_started(self) -> None:
        """Start polling in this process (called on requests; cheap once running)."""
        if self._stopped:
            return
        if self.enabled and (self._thread is None or self._pid != os.getpid()):
            self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, name="lmspack-grades", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """End the thread after its current pass (an app that is torn down, e.g. between
        tests, must not keep sending from its pool: old senders competing for the outbox held
        the connections a live app's requests waited for)."""
        self._stopped = True
        with self._lock:
            thread = self._thread
        self._wake.set()
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)

    def _wait(self) -> float:
        """Seconds until the next pass: the earliest due row, at most `poll`."""
        try:
            due = next_due(self.store)
        except Exception:  # the database is away: try again at the next poll
            return self.poll
        if due is None:
            return self.poll
        return min(self.poll, max((due - utcnow()).total_seconds(), MIN_WAIT))

    def _run(self) -> None:
        wait = self.poll
        while not self._stopped:
            self._wake.wait(wait)
            self._wake.clear()
            if self._stopped:
                return
            if not self.enabled:
                wait = self.poll
                continue
            try:
                send_all(self.store, timeout=self.timeout)
            except Exception as exc:  # never let the thread die; the next pass retries
                log_failure(log, "sending grades", exc)
            self.passes += 1
            wait = self._wait()
