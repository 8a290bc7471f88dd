"""`lmspack certificates ...` (added by cli.register): issued certificates and attendance.

    lmspack certificates list --context ID [--platform ISSUER]
    lmspack certificates show CODE
    lmspack certificates revoke CODE --reason TEXT
    lmspack certificates reissue CODE --reason TEXT [--name NAME] [--base-url URL]
    lmspack certificates attend --context ID [--platform ISSUER] --user SUB --date YYYY-MM-DD
    lmspack certificates export --context ID [--platform ISSUER] [--out FILE.zip] [--jobs N]

--context is the platform's context id (e.g. a Moodle course id as sent in the launch);
--platform the platform's issuer, needed when two platforms use the same context id.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import click

from ..printable import clean  # stored text may predate the API's check
from .cli_common import (
    context_option,
    db_option,
    find_context,
    load_config,
    open_store,
    platform_option,
    served_course,
)


def _base_url(base_url: str | None) -> str:

    url = base_url or load_config().base_url
    if not url:
        raise click.ClickException(
            "Set LMSPACK_BASE_URL (or --base-url): it is in the new code's URL."
        )
    return url.rstrip("/")


def _course_or_none():
    """The served course, for a re-issue to add recorded attendance; None if unreadable."""
    try:
        return served_course(None)
    except Exception:
        return None


# --------------------------------------------------------------------------- certificates


@click.group("certificates")
def certificates_group() -> None:
    """Issued certificates: list, show, revoke, re-issue; record live-session attendance."""


@certificates_group.command("list")
@context_option
@platform_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def certificates_list(context_id, issuer, as_json, database_url) -> None:
    """The certificates issued in a context."""
    from sqlalchemy import select

    from ..store.certificates import Certificate

    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        rows = [
            {
                "code": c.code,
                "name": c.learner_name,
                "issued_at": c.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "revoked_at": c.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if c.revoked_at else None,
            }
            for c in s.scalars(
                select(Certificate)
                .where(Certificate.platform_id == platform.id, Certificate.context_id == ctx.id)
                .order_by(Certificate.issued_at)
            )
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "valid"
        click.echo(f"{r['code']}  {r['issued_at']}  {state}  {r['name']}")


def _find(s, code: str):
    from ..certificates.issue import find

    cert = find(s, code)
    if cert is None:
        raise click.ClickException(f"No certificate has the code {code!r}.")
    return cert


@certificates_group.command("show")
@click.argument("code")
@db_option
def certificates_show(code, database_url) -> None:
    """What a certificate certifies (its frozen snapshot) and its state."""
    with open_store(database_url).transaction() as s:
        c = _find(s, code)
        click.echo(clean(json.dumps(c.snapshot, indent=2, ensure_ascii=False)))
        if c.revoked_at:
            click.echo(f"Revoked {c.revoked_at:%Y-%m-%d %H:%M} UTC: {c.revoked_reason}")


@certificates_group.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept with the certificate, not public).")
@db_option
def certificates_revoke(code, reason, database_url) -> None:
    """Revoke CODE: /verify/CODE then says it was revoked, and downloads stop."""
    from ..certificates.issue import revoke

    with open_store(database_url).transaction() as s:
        c = _find(s, code)
        already = c.revoked_at is not None
        revoke(s, c, reason)
        click.echo(f"{c.code} {'was already revoked' if already else 'revoked'}")


@certificates_group.command("reissue")
@click.argument("code")
@click.option("--reason", required=True)
@click.option("--name", default=None, help="A corrected learner name for the new certificate.")
@click.option("--base-url", default=None, help="The tool's public URL (default LMSPACK_BASE_URL).")
@db_option
def certificates_reissue(code, reason, name, base_url, database_url) -> None:
    """Issue a new certificate (new code) for what CODE certified; revoke CODE."""
    from ..certificates.issue import reissue

    url = _base_url(base_url)
    with open_store(database_url).transaction() as s:
        c = _find(s, code)
        try:
            new = reissue(
                s, c, base_url=url, reason=reason, learner_name=name, course=_course_or_none()
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{c.code} revoked; new certificate {new.code}")


@certificates_group.command("attend")
@context_option
@platform_option
@click.option(
    "--user",
    "sub",
    required=True,
    help="The learner's user id (sub) on the platform: someone who launched, or who is on "
    "the context's roster.",
)
@click.option("--date", "on", required=True, help="YYYY-MM-DD")
@db_option
def certificates_attend(context_id, issuer, sub, on, database_url) -> None:
    """Record that a learner attended the live session. When the course's certificate needs
    it and the pre-work is done, the certificate is issued now (with LMSPACK_BASE_URL set;
    otherwise at the learner's next visit)."""
    from sqlalchemy import select

    from ..certificates.issue import record_attendance
    from ..store.models import User
    from ..store.records import users_from_roster

    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise click.ClickException("--date must be YYYY-MM-DD") from exc
    course = _course_or_none()
    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        user = s.scalar(
            select(User).where(
                User.platform_id == platform.id,
                User.deployment_id == ctx.deployment_id,
                User.sub == sub,
            )
        )
        if user is None:  # a roster member who never launched
            user_id = users_from_roster(s, platform.id, ctx.id, subs=[sub]).get(sub)
        else:
            user_id = user.id
        if user_id is None:
            raise click.ClickException(
                f"No learner {sub!r} has launched in this context, and the context's stored "
                "roster does not list them (refresh it from the completion report)."
            )
        recorded, issued = record_attendance(
            s,
            course,
            platform_id=platform.id,
            context_id=ctx.id,
            user_ids=[user_id],
            on=day,
            base_url=load_config().base_url or None,
        )
        if not recorded:
            raise click.ClickException(f"{sub!r} has not opened the activity in this context.")
        click.echo(f"{sub} attended on {day.isoformat()}")
        for cert in issued:
            click.echo(f"Certificate {cert.code} issued")


@certificates_group.command("export")
@context_option
@platform_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The zip to write (default: certificates-<context>.zip here).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes making PDFs at once (default: every CPU).",
)
@db_option
def certificates_export(context_id, issuer, out, jobs, database_url) -> None:
    """Every certificate of a context in one zip: the PDFs (valid ones) and a CSV of all,
    revoked ones included: an evidence pack for an audit."""
    from ..certificates.evidence import write_pack
    from ..certificates.issue import issued_in

    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        items = issued_in(s, platform.id, ctx.id)
    if not items:
        raise click.ClickException(f"No certificates have been issued in {context_id!r} yet.")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", context_id).strip("-") or "context"
    path = out or Path(f"certificates-{safe}.zip")
    try:
        stats = write_pack(path, items, jobs=jobs)
    except OSError as exc:  # the folder can't be made or written: say so, keep what was there
        raise click.ClickException(f"Cannot write {path}: {exc.strerror or exc}") from exc
    revoked = stats.certificates - stats.pdfs
    click.echo(
        f"{path}: {stats.pdfs} certificate PDF(s)"
        + (f" and {revoked} revoked (listed, no PDF)" if revoked else "")
        + f", {stats.bytes / 1024:,.0f} KiB, in {stats.seconds:.1f} s"
    )
