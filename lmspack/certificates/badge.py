"""The certificate as an Open Badges 3.0 `AchievementCredential`, signed as a VC-JWT.

Format: OB 3.0 section 8.2 "JSON Web Token Proof Format" (the VCDM 2.0 revision, context
3.0.3). The JWT payload *is* the credential, with the registered claims mapped from it:

    iss = issuer.id       jti = id            sub = credentialSubject.id
    nbf = validFrom       iat = validFrom     (exp only with validUntil: we set none)

The JOSE header has only what the spec allows: ``alg`` (RS256), ``kid`` (the key id in the
tool's JWKS; a URL ending ``#<kid>`` is matched too) and ``typ: "JWT"``. Credentials in the
older VCDM 1.1 shape (the credential under a ``vc`` claim) are still accepted by
`verify_badge`, as the spec asks of verifiers.

Learning outcomes are carried twice, on purpose: as `alignment` entries on the Achievement
(machine-readable, one per outcome, `targetCode` = the outcome id) and as a numbered list in
`criteria.narrative` (what badge wallets and displayers actually show people). Alignment is
the OB field for "objectives this achievement aligns to"; the narrative keeps them visible in
displayers that ignore alignment.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .snapshot import CertificateSnapshot, hours_and_minutes

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ALGORITHM = "RS256"
_ALLOWED_HEADER = {"alg", "kid", "typ"}


class BadgeError(ValueError):
    """The badge is not a valid, untampered credential signed by a key we know."""


@dataclass(frozen=True)
class Issuer:
    """The issuer Profile: `id` is a URI (the tool's issuer URL), `url` its home page."""

    id: str
    name: str
    url: str
    email: str = ""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_for(
    snapshot: CertificateSnapshot,
    issuer: Issuer,
    *,
    subject_id: str | None = None,
    achievement_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned AchievementCredential for a certificate snapshot.

    `subject_id` identifies the learner (a URI: the tool may pass e.g. a ``urn:uuid:`` it keeps
    per learner); by default it is a UUID derived from the certificate, so it identifies this
    award's recipient without revealing anything. The learner's name is given in
    `credentialSubject.identifier` (not hashed: it is printed on the certificate anyway).
    `achievement_id` defaults to ``<issuer.id>/achievements/<course id>/<version>``.
    """
    base = issuer.id.rstrip("/")
    achievement_id = (
        achievement_id or f"{base}/achievements/{snapshot.course_id}/{snapshot.course_version}"
    )
    subject_id = (
        subject_id
        or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, snapshot.verify_url + '#recipient')}"
    )
    outcomes = "\n".join(f"{i}. {o.text}" for i, o in enumerate(snapshot.outcomes, 1))
    cpd = hours_and_minutes(snapshot.prework_minutes) + " of e-learning pre-work"
    if snapshot.live_session_minutes:
        cpd += f" and {hours_and_minutes(snapshot.live_session_minutes)} of live session"
    through = f", completed through {snapshot.organisation}" if snapshot.organisation else ""
    description = (
        f"Continuing professional development: {snapshot.course_title}, provided by "
        f"{snapshot.provider}{through}. CPD time {hours_and_minutes(snapshot.total_minutes)} "
        f"({cpd})."
    )
    narrative = (
        f"Completed the e-learning pre-work and passed its quiz (pass mark "
        f"{snapshot.pass_mark}%)"
        + (", and attended the live session" if snapshot.live_session_on else "")
        + f". Learning outcomes:\n\n{outcomes}"
    )
    result_id = f"{achievement_id}#quiz-score"
    profile: dict[str, Any] = {
        "id": issuer.id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.email:
        profile["email"] = issuer.email
    subject: dict[str, Any] = {
        "id": subject_id,
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": snapshot.learner_name,
            }
        ],
        "activityEndDate": f"{snapshot.prework_completed_on.isoformat()}T00:00:00Z",
        "result": [
            {
                "type": ["Result"],
                "resultDescription": result_id,
                "value": str(snapshot.score),
            }
        ],
        "achievement": {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": "Course",
            "name": snapshot.course_title,
            "description": description,
            "criteria": {"narrative": narrative},
            "inLanguage": snapshot.language,
            "version": snapshot.course_version,
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetType": "ext:LearningOutcome",
                    "targetCode": o.id,
                    "targetName": o.text,
                    "targetFramework": snapshot.course_title,
                    "targetUrl": f"{achievement_id}#{o.id}",
                }
                for o in snapshot.outcomes
            ],
            "resultDescription": [
                {
                    "id": result_id,
                    "type": ["ResultDescription"],
                    "name": "Quiz score (per cent)",
                    "resultType": "Percent",
                    "requiredValue": str(snapshot.pass_mark),
                    "valueMin": "0",
                    "valueMax": "100",
                }
            ],
        },
    }
    if snapshot.organisation:
        # OB 3.0: the organisation that assessed the achievement on the issuer's behalf
        subject["source"] = {
            "id": snapshot.organisation_url
            or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'org:' + snapshot.organisation)}",
            "type": ["Profile"],
            "name": snapshot.organisation,
        }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": snapshot.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{snapshot.course_title}: CPD certificate",
        "description": description,
        "issuer": profile,
        "validFrom": _iso(snapshot.issued_at),
        "credentialSubject": subject,
    }


def _private_key(private_key: str | bytes | rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key
    pem = private_key.encode() if isinstance(private_key, str) else private_key
    return _load_pem(pem)


@lru_cache(maxsize=8)
def _load_pem(pem: bytes) -> rsa.RSAPrivateKey:
    """Loading checks the RSA key (~25 ms for 2048 bits), so each key is loaded once."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("Open Badges VC-JWT needs an RSA key (RS256)")
    return key


def sign_credential(
    credential: Mapping[str, Any], private_key: str | bytes | rsa.RSAPrivateKey, kid: str
) -> str:
    """Sign an OB 3.0 credential as a compact JWS (VC-JWT)."""
    valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
    nbf = int(valid_from.timestamp())
    payload = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": nbf,
        "iat": nbf,
    }
    return jwt.encode(
        payload,
        _private_key(private_key),
        algorithm=ALGORITHM,
        headers={"kid": kid, "typ": "JWT"},
    )


def issue_badge(
    snapshot: CertificateSnapshot,
    issuer: Issuer,
    private_key: str | bytes | rsa.RSAPrivateKey,
    kid: str,
    *,
    subject_id: str | None = None,
    achievement_id: str | None = None,
) -> str:
    """The signed badge (compact VC-JWT) for a certificate."""
    credential = credential_for(
        snapshot, issuer, subject_id=subject_id, achievement_id=achievement_id
    )
    return sign_credential(credential, private_key, kid)


def public_jwk(private_key: str | bytes, kid: str) -> dict[str, Any]:
    """The public half as a JWK for the tool's JWKS (never contains "d")."""
    public = _private_key(private_key).public_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
    return {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def _key_for(kid: str, jwks: Mapping[str, Any]) -> Any:
    fragment = kid.rsplit("#", 1)[-1]
    for entry in jwks.get("keys", []):
        entry_kid = str(entry.get("kid", ""))
        if entry_kid and (
            hmac.compare_digest(entry_kid, kid) or hmac.compare_digest(entry_kid, fragment)
        ):
            if entry.get("kty") != "RSA" or "d" in entry:
                raise BadgeError("the key for this badge is not an RSA public key")
            return jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
    raise BadgeError(f"no key {kid!r} in the key set")


def verify_badge(token: str, jwks: Mapping[str, Any], *, now: datetime | None = None) -> dict:
    """Check a VC-JWT badge against a JWKS and return the credential it carries.

    Raises `BadgeError` when: the header is not RS256 with a known `kid` (``alg: none`` and
    HMAC algorithms are refused before any key is used), the signature does not match,
    the claims disagree with the credential (OB 3.0 section 8.2.5), the credential is not yet
    valid or has expired, or it is not an OpenBadgeCredential.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise BadgeError(f"not a JWT: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise BadgeError(f"algorithm {header.get('alg')!r} refused: only {ALGORITHM}")
    if set(header) - _ALLOWED_HEADER:
        raise BadgeError(f"unexpected JOSE header(s): {sorted(set(header) - _ALLOWED_HEADER)}")
    if header.get("typ", "JWT") != "JWT":
        raise BadgeError("typ must be JWT")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise BadgeError("the badge names no key (kid)")
    key = _key_for(kid, jwks)
    moment = (now or datetime.now(UTC)).timestamp()
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["iss", "sub", "jti", "nbf"], "verify_aud": False},
            leeway=60,
        )
    except jwt.PyJWTError as exc:
        raise BadgeError(f"signature or claims invalid: {exc}") from exc

    credential = claims["vc"] if isinstance(claims.get("vc"), dict) else dict(claims)
    for claim in ("iss", "jti", "sub", "nbf", "iat", "exp"):
        credential.pop(claim, None)
    try:
        issuer = credential["issuer"]
        issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
        subject = credential["credentialSubject"]
        valid_from = credential.get("validFrom") or credential.get("issuanceDate")
        start = datetime.fromisoformat(valid_from.replace("Z", "+00:00"))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise BadgeError(f"not an Open Badges credential: {exc!r}") from exc
    if "OpenBadgeCredential" not in credential.get("type", []) and (
        "AchievementCredential" not in credential.get("type", [])
    ):
        raise BadgeError("not an OpenBadgeCredential")
    if claims["iss"] != issuer_id:
        raise BadgeError("iss does not match issuer.id")
    if claims["sub"] != subject.get("id"):
        raise BadgeError("sub does not match credentialSubject.id")
    if claims["jti"] != credential.get("id"):
        raise BadgeError("jti does not match id")
    if int(claims["nbf"]) != int(start.timestamp()):
        raise BadgeError("nbf does not match validFrom")
    if start.timestamp() > moment + 60:
        raise BadgeError("the credential is not valid yet")
    until = credential.get("validUntil") or credential.get("expirationDate")
    if until and datetime.fromisoformat(until.replace("Z", "+00:00")).timestamp() < moment:
        raise BadgeError("the credential has expired")
    return credential
