"""The `certificates` blueprint: public verification, certificate downloads, the issuer
profile, and the learner's CPD record.

    GET /verify                         a form to type a code (?code= redirects)
    GET /verify/<code>                  public, no login: valid (for whom, which course, when,
                                        CPD time), revoked, or a 404 page for an unknown code
    GET /certificates/<code>            -> /verify/<code>
    GET /certificates/<code>.pdf        the PDF, rendered from the stored snapshot (410 if revoked)
    GET /certificates/<code>.badge.json the Open Badges 3.0 AchievementCredential as a VC-JWT
                                        signed with the tool's current key (in /lti/jwks)
    GET /issuer                         the badge issuer's Profile (JSON)
    GET /record?t=<launch token>        the learner's CPD record (page), .pdf and .md downloads;
                                        the page takes the token out of its address, as the
                                        course page does, and a reload brings it back

Guessing codes: a code carries 100 random bits (codes.py), so guessing is impractical by
itself. Lookups are one equality match on the unique index of the canonical code (no prefix
or partial matching, no comparison in Python), so how long a miss takes says nothing about
other codes. On top, each client address gets VERIFY_RATE_LIMIT look-ups (default 60) per
VERIFY_RATE_WINDOW seconds (default 60), counted in the database (lmspack.store.ratelimit:
one upsert per look-up), so the limit holds across every worker and host; over it: a 429
page with Retry-After. The address is the one ProxyFix gives (LMSPACK_TRUSTED_PROXIES);
IPv6 clients are counted per /64, which one subscriber usually has whole.
"""

from __future__ import annotations

import ipaddress
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..certificates import issue
from ..certificates.badge import Issuer, issue_badge
from ..certificates.codes import normalise
from ..certificates.pdf import served_pdf
from ..certificates.record import PRIVACY_REMINDER, record_for, record_markdown, record_pdf
from ..certificates.snapshot import hours_and_minutes
from ..store import keys as tool_keys
from ..store import ratelimit
from ..store.certificates import Certificate
from ..store.models import User
from ..store.names import learner_name
from .context import base_url, db, read_db, sites
from .launch_attempt import launch_attempt
from .launch_token import require_launch

bp = Blueprint("certificates", __name__)

VERIFY_LIMIT = 60  # look-ups per client address per window (all workers together)
VERIFY_WINDOW = 60  # seconds
PRUNE_CHANCE = 0.01  # of a window's first hit: also delete the counters of ended windows
NO_STORE = {"Cache-Control": "no-store"}


@dataclass
class RateLimiter:
    """A fixed-window limit per client address, counted in the database."""

    limit: int
    window: int = VERIFY_WINDOW
    prefix: str = "verify"
    prune_chance: float = PRUNE_CHANCE
    clock: Callable[[], float] = time.time  # tests move it

    def hit(self, session, address: str) -> int | None:
        """Count one look-up; None if allowed, else the seconds until the window ends.
        Commits `session` (the count must stand even if the request fails later)."""
        now = self.clock()
        hits, window_ends = ratelimit.count_hit(
            session, f"{self.prefix}:{client_key(address)}", window=self.window, now=now
        )
        if hits == 1 and random.random() < self.prune_chance:
            ratelimit.prune(session, before=now - self.window)
        session.commit()
        if hits <= self.limit:
            return None
        return max(1, math.ceil(window_ends - now))


def client_key(address: str) -> str:
    """The address counted: IPv4 as it is, IPv6 by its /64 (an IPv4-mapped one as IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:60] or "?"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@bp.record_once
def _setup(state) -> None:
    cfg = state.app.config
    state.app.extensions["lmspack.verify_limiter"] = RateLimiter(
        limit=int(cfg.get("VERIFY_RATE_LIMIT", VERIFY_LIMIT)),
        window=int(cfg.get("VERIFY_RATE_WINDOW", VERIFY_WINDOW)),
        prune_chance=float(cfg.get("VERIFY_RATE_PRUNE_CHANCE", PRUNE_CHANCE)),
    )


def _limit() -> None:
    from flask import current_app

    limiter: RateLimiter = current_app.extensions["lmspack.verify_limiter"]
    retry_after = limiter.hit(db(), request.remote_addr or "?")
    if retry_after is not None:
        wait = f"{retry_after} seconds" if retry_after != 1 else "a second"
        abort(
            Response(
                render_template(
                    "error.html",
                    status=429,
                    title="Too many requests",
                    message="Too many certificate look-ups from your address. "
                    f"Please wait {wait} and try again.",
                    hint=None,
                ),
                429,
                {"Retry-After": str(retry_after), **NO_STORE},
            )
        )


def _lookup(code: str) -> Certificate | None:
    _limit()
    return issue.find(read_db(), code)


def _not_found(code: str):
    return render_template("verify_unknown.html", code=code[:60]), 404, NO_STORE


# --------------------------------------------------------------------------- verification


@bp.get("/verify")
def verify_form():
    typed = request.args.get("code", "")
    if typed:
        canonical = normalise(typed)
        if canonical:
            return redirect(url_for("certificates.verify", code=canonical), code=303)
        return render_template("verify_form.html", code=typed[:60], invalid=True), 400, NO_STORE
    return render_template("verify_form.html", code="", invalid=False), NO_STORE


@bp.get("/verify/<code>")
def verify(code: str):
    cert = _lookup(code)
    if cert is None:
        return _not_found(code)
    canonical = cert.code
    if code != canonical:  # typed in lower case, without hyphens, ...: show the canonical URL
        return redirect(url_for("certificates.verify", code=canonical), code=301)
    snap = issue.snapshot_of(cert)
    return render_template(
        "verify.html",
        cert=cert,
        s=snap,
        hm=hours_and_minutes,
        urls=issue.urls(base_url(), cert.code),
    ), NO_STORE


@bp.get("/certificates/<code>")
def certificate_page(code: str):
    canonical = normalise(code)
    if canonical is None:
        return _not_found(code)
    return redirect(url_for("certificates.verify", code=canonical), code=303)


def _valid_or_gone(code: str) -> Certificate:
    cert = _lookup(code)
    if cert is None:
        abort(404, description="No certificate has this code.")
    if cert.revoked_at is not None:
        abort(410, description="This certificate was revoked; it can no longer be downloaded.")
    return cert


@bp.get("/certificates/<code>.pdf")
def certificate_download(code: str):
    cert = _valid_or_gone(code)
    pdf = served_pdf(issue.snapshot_of(cert))
    name = f"certificate-{cert.code}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
    )


def badge_issuer(provider: str) -> Issuer:
    b = base_url()
    return Issuer(id=f"{b}/issuer", name=provider, url=f"{b}/")


@bp.get("/certificates/<code>.badge.json")
def badge_download(code: str):
    cert = _valid_or_gone(code)
    snap = issue.snapshot_of(cert)
    key = tool_keys.signing_key(read_db())
    token = issue_badge(snap, badge_issuer(snap.provider), key.private_pem, key.kid)
    name = f"badge-{cert.code}.json"
    body = {
        "type": "OpenBadgeCredential",
        "format": "vc+jwt",
        "jwks": f"{base_url()}/lti/jwks",
        "credential": token,
    }
    from flask import json

    return Response(
        json.dumps(body, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
    )


@bp.get("/issuer")
def issuer_profile():
    first = next(iter(sites().values()))
    b = base_url()
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"{b}/issuer",
        "type": ["Profile"],
        "name": first.course.provider,
        "url": f"{b}/",
    }


# --------------------------------------------------------------------------- learner side


def certificate_view(cert: Certificate | None) -> dict | None:
    """What the learner API reports about the attempt's certificate."""
    if cert is None:
        return None
    return {
        "code": cert.code,
        "issuedAt": cert.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "revoked": cert.revoked_at is not None,
        "urls": issue.urls(base_url(), cert.code),
    }


def attempt_certificate(session, attempt) -> dict | None:
    """The attempt's certificate for GET /api/v1/attempt (no issuing on a read)."""
    return certificate_view(issue.for_attempt(session, attempt))


def _learner_attempt():
    launch = g.launch
    if launch.attempt_id is None:
        abort(403, description="An instructor's preview has no CPD record.")
    s = read_db()
    attempt = launch_attempt(s, launch)
    site = sites().get(launch.course_id)
    if attempt is None or site is None:
        abort(404, description="No attempt of this course for your launch.")
    user = s.scalar(select(User).where(User.id == launch.user_id))
    return s, attempt, site.course, user


def _record():
    s, attempt, course, user = _learner_attempt()
    cert = issue.for_attempt(s, attempt)
    valid = cert if cert is not None and cert.revoked_at is None else None
    state = attempt.state or {}
    last = state.get("last")
    rec = record_for(
        course,
        learner_name=learner_name(user, state) or "",
        prework_completed_on=attempt.completed_at,
        score=int(last["score"]) if last else None,
        answers=dict(state.get("reflections") or {}),
        live_session_date=issue.attendance_on(s, attempt),
        certificate=issue.snapshot_of(valid) if valid else None,
    )
    return rec


@bp.get("/record")
@require_launch("learner")
def record_page():
    rec = _record()
    token = request.args.get("t", "")
    from .sessions import learner_summary  # issue 12: the learner's live session

    site = sites().get(g.launch.course_id)
    return render_template(
        "record.html",
        r=rec,
        live=learner_summary(read_db(), g.launch, site.course) if site else None,
        hm=hours_and_minutes,
        reminder=PRIVACY_REMINDER,
        pdf_url=url_for("certificates.record_download_pdf", t=token),
        md_url=url_for("certificates.record_download_md", t=token),
    ), NO_STORE


@bp.get("/record.pdf")
@require_launch("learner")
def record_download_pdf():
    rec = _record()
    return Response(
        record_pdf(rec),
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="cpd-record.pdf"', **NO_STORE},
    )


@bp.get("/record.md")
@require_launch("learner")
def record_download_md():
    rec = _record()
    return Response(
        record_markdown(rec),
        mimetype="text/markdown; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cpd-record.md"', **NO_STORE},
    )


__all__ = ["bp", "certificate_view", "db"]
