"""The tool's signing keys: create, rotate with a grace period, publish as a JWKS.

Rotation is publish-before-sign: a new key appears in /lti/jwks at once but signs only
`SIGN_AFTER` seconds later (its `signs_from`; the JWKS's Cache-Control max-age), so a
platform that cached the key set before the rotation never meets a kid it cannot find. The
keys it replaces stay published for the grace period, so what they signed still verifies. A
compromised key is rotated with `sign_after=0` (and a grace of 0: it leaves the JWKS at once).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from .models import ToolKey, utcnow

DEFAULT_GRACE_DAYS = 7
JWKS_MAX_AGE = 300  # seconds platforms may cache /lti/jwks (its Cache-Control)
SIGN_AFTER = JWKS_MAX_AGE  # a new key signs once every cached copy of the JWKS holds it


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_key() -> tuple[str, str, dict]:
    """A new RSA-2048 key: (kid, private PEM, public JWK). The kid is the RFC 7638 thumbprint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    numbers = key.public_key().public_numbers()
    jwk = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    thumb = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode())
    kid = base64.urlsafe_b64encode(thumb.digest()).rstrip(b"=").decode()
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return kid, pem, jwk


def add_key(session: Session, *, signs_from: datetime | None = None) -> ToolKey:
    """A new key, published now; it signs from `signs_from` (None: at once)."""
    kid, pem, jwk = generate_key()
    row = ToolKey(
        kid=kid, private_pem=pem, public_jwk=jwk, created_at=utcnow(), signs_from=signs_from
    )
    session.add(row)
    session.flush()
    return row


def ensure_key(session: Session) -> ToolKey | None:
    """Create the first key if there is none; return it (None if one existed)."""
    if session.scalar(select(ToolKey.id).limit(1)) is None:
        return add_key(session)
    return None


def rotate(
    session: Session,
    grace_days: float = DEFAULT_GRACE_DAYS,
    *,
    sign_after: float = SIGN_AFTER,
    now: datetime | None = None,
) -> tuple[ToolKey, list[str]]:
    """Publish a new key that signs `sign_after` seconds from now; keep the current ones
    published for `grace_days` (counted from when the new key starts signing)."""
    now = now or utcnow()
    starts = now + timedelta(seconds=sign_after)
    retire = starts + timedelta(days=grace_days)
    old = list(
        session.scalars(
            select(ToolKey.kid).where(
                or_(ToolKey.retire_after.is_(None), ToolKey.retire_after > retire)
            )
        )
    )
    session.execute(
        update(ToolKey)
        .where(or_(ToolKey.retire_after.is_(None), ToolKey.retire_after > retire))
        .values(retire_after=retire)
    )
    new = add_key(session, signs_from=starts)
    return new, old


def signing_key(session: Session, now: datetime | None = None) -> SigningKey:
    """The key that signs now: the newest live key (not past its grace period) whose
    `signs_from` has come; failing that (every key retired), the newest."""
    now = now or utcnow()
    starts = func.coalesce(ToolKey.signs_from, ToolKey.created_at)
    row = session.scalars(
        select(ToolKey)
        .where(
            or_(ToolKey.signs_from.is_(None), ToolKey.signs_from <= now),
            or_(ToolKey.retire_after.is_(None), ToolKey.retire_after > now),
        )
        .order_by(starts.desc(), ToolKey.id.desc())
        .limit(1)
    ).first()
    if row is None:
        row = session.scalars(select(ToolKey).order_by(ToolKey.id.desc()).limit(1)).first()
    if row is None:
        raise LookupError("The tool has no signing key. Run `lmspack db upgrade`.")
    return SigningKey(kid=row.kid, private_pem=row.private_pem)


def published_jwks(session: Session, now: datetime | None = None) -> dict:
    """Every key not yet past its grace period, newest first."""
    now = now or utcnow()
    rows = session.scalars(
        select(ToolKey)
        .where(or_(ToolKey.retire_after.is_(None), ToolKey.retire_after > now))
        .order_by(ToolKey.id.desc())
    )
    return {"keys": [dict(r.public_jwk) for r in rows]}


def prune_retired(session: Session, now: datetime | None = None) -> int:
    """Delete keys whose grace period has ended. Returns how many."""
    now = now or utcnow()
    rows = list(session.scalars(select(ToolKey).where(ToolKey.retire_after <= now)))
    for r in rows:
        session.delete(r)
    return len(rows)
