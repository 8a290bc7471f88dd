"""The Open Badges 3.0 credential: shape, VC-JWT signature, and refusal of tampered copies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from lmspack.certificates.badge import (
    OB_CONTEXT,
    VC_CONTEXT,
    BadgeError,
    Issuer,
    credential_for,
    issue_badge,
    public_jwk,
    sign_credential,
    verify_badge,
)
from lmspack.certificates.snapshot import hours_and_minutes

KID = "lmspack-2026-11"
ISSUER = Issuer(
    id="https://cpd.example-council.gov.uk/",
    name="Example Council Learning and Development",
    url="https://www.example-council.gov.uk/",
)


def b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture(scope="module")
def jwks(rsa_pem) -> dict:
    return {"keys": [public_jwk(rsa_pem, KID)]}


@pytest.fixture(scope="module")
def token(snapshot, rsa_pem) -> str:
    return issue_badge(snapshot, ISSUER, rsa_pem, KID)


def test_credential_is_an_ob3_achievement_credential(snapshot) -> None:
    c = credential_for(snapshot, ISSUER)
    assert c["@context"] == [VC_CONTEXT, OB_CONTEXT]
    assert c["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert c["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    assert c["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert c["id"] == snapshot.verify_url
    assert c["name"] and c["validFrom"] == "2026-11-26T09:30:12Z"
    assert c["issuer"] == {
        "id": ISSUER.id,
        "type": ["Profile"],
        "name": ISSUER.name,
        "url": ISSUER.url,
    }
    subject = c["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"].startswith("urn:uuid:")
    assert subject["identifier"][0]["identityHash"] == snapshot.learner_name
    assert subject["result"][0]["value"] == "86"
    a = subject["achievement"]
    assert a["type"] == ["Achievement"]
    assert a["id"].startswith("https://cpd.example-council.gov.uk/achievements/resistance-prework/")
    assert a["name"] == snapshot.course_title
    assert snapshot.provider in a["description"]
    assert hours_and_minutes(snapshot.total_minutes) in a["description"]
    assert a["criteria"]["narrative"]
    assert [al["targetCode"] for al in a["alignment"]] == [o.id for o in snapshot.outcomes]
    for al, o in zip(a["alignment"], snapshot.outcomes, strict=True):
        assert al["type"] == ["Alignment"] and al["targetName"] == o.text
        assert al["targetUrl"].endswith("#" + o.id)
        assert o.text in a["criteria"]["narrative"]
    assert a["resultDescription"][0]["requiredValue"] == "80"


def test_jwt_header_and_claims_follow_ob3_section_8_2(token, snapshot) -> None:
    header_part, payload_part, _ = token.split(".")
    header = unb64(header_part)
    assert header == {"alg": "RS256", "kid": KID, "typ": "JWT"}
    claims = unb64(payload_part)
    credential = credential_for(snapshot, ISSUER)
    assert claims["iss"] == credential["issuer"]["id"]
    assert claims["sub"] == credential["credentialSubject"]["id"]
    assert claims["jti"] == credential["id"] == snapshot.verify_url
    assert claims["nbf"] == claims["iat"] == int(snapshot.issued_at.timestamp())
    assert "exp" not in claims
    assert "vc" not in claims  # VCDM 2.0: the payload is the credential itself
    assert claims["@context"] == credential["@context"]


def test_verifies_with_the_right_key_set(token, jwks, snapshot, rsa_pem) -> None:
    assert verify_badge(token, jwks) == credential_for(snapshot, ISSUER)
    # OB 3.0 says kid is a URI that dereferences to the JWK: a JWKS URL + "#<kid>" is matched
    url_kid = issue_badge(snapshot, ISSUER, rsa_pem, "https://cpd.example/jwks.json#" + KID)
    assert verify_badge(url_kid, jwks)["id"] == snapshot.verify_url


def test_public_jwk_has_no_private_part(jwks) -> None:
    key = jwks["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"] == KID
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Mallory"),
        lambda c: c["credentialSubject"]["result"][0].update(value="100"),
        lambda c: c["credentialSubject"]["achievement"].update(name="Another course"),
        lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
        lambda c: c.update(sub="urn:uuid:00000000-0000-0000-0000-000000000000"),
    ],
)
def test_an_altered_claim_fails(token, jwks, change) -> None:
    header, payload, signature = token.split(".")
    claims = unb64(payload)
    change(claims)
    forged = f"{header}.{b64(claims)}.{signature}"
    with pytest.raises(BadgeError):
        verify_badge(forged, jwks)


def test_signed_with_another_key_fails(snapshot, other_rsa_pem, jwks) -> None:
    forged = issue_badge(snapshot, ISSUER, other_rsa_pem, KID)  # same kid, wrong key
    with pytest.raises(BadgeError, match="signature"):
        verify_badge(forged, jwks)


def test_alg_none_fails(token, jwks) -> None:
    _, payload, _ = token.split(".")
    unsigned = f"{b64({'alg': 'none', 'kid': KID, 'typ': 'JWT'})}.{payload}."
    with pytest.raises(BadgeError, match="algorithm"):
        verify_badge(unsigned, jwks)


def test_hmac_with_the_public_key_as_secret_fails(token, jwks, rsa_pem) -> None:
    """The classic RS256 -> HS256 confusion: refused on the header, before any key use."""
    claims = unb64(token.split(".")[1])
    public_pem = (
        _private(rsa_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = b64({"alg": "HS256", "kid": KID, "typ": "JWT"})
    signing_input = f"{header}.{b64(claims)}".encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = signing_input.decode() + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(BadgeError, match="algorithm"):
        verify_badge(forged, jwks)


def test_unknown_key_extra_headers_and_garbage_fail(snapshot, rsa_pem, jwks, token) -> None:
    with pytest.raises(BadgeError, match="no key"):
        verify_badge(issue_badge(snapshot, ISSUER, rsa_pem, "someone-else"), jwks)
    with pytest.raises(BadgeError, match="no key"):
        verify_badge(token, {"keys": []})
    header, payload, signature = token.split(".")
    with_jku = b64({"alg": "RS256", "kid": KID, "typ": "JWT", "jku": "https://evil.example/"})
    with pytest.raises(BadgeError, match="header"):
        verify_badge(f"{with_jku}.{payload}.{signature}", jwks)
    with pytest.raises(BadgeError):
        verify_badge("not.a.jwt", jwks)


def test_not_yet_valid_fails(make_snapshot, rsa_pem, jwks) -> None:
    future = make_snapshot(issued_at=datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(BadgeError):
        verify_badge(issue_badge(future, ISSUER, rsa_pem, KID), jwks)


def test_vcdm_1_1_shape_with_vc_claim_is_still_read(snapshot, rsa_pem, jwks) -> None:
    """OB 3.0 asks verifiers to accept the older form (credential under `vc`)."""
    credential = credential_for(snapshot, ISSUER)
    nbf = int(snapshot.issued_at.timestamp())
    old = jwt.encode(
        {
            "vc": credential,
            "iss": ISSUER.id,
            "sub": credential["credentialSubject"]["id"],
            "jti": credential["id"],
            "nbf": nbf,
        },
        _private(rsa_pem),
        algorithm="RS256",
        headers={"kid": KID, "typ": "JWT"},
    )
    assert verify_badge(old, jwks) == credential


def test_sign_credential_round_trip_with_subject_and_achievement_ids(snapshot, rsa_pem, jwks):
    c = credential_for(
        snapshot,
        ISSUER,
        subject_id="urn:uuid:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
        achievement_id="https://cpd.example-council.gov.uk/courses/resistance",
    )
    back = verify_badge(sign_credential(c, rsa_pem, KID), jwks)
    assert back["credentialSubject"]["id"] == "urn:uuid:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
    assert back["credentialSubject"]["achievement"]["id"].endswith("/courses/resistance")


def _private(pem: bytes):
    return serialization.load_pem_private_key(pem, password=None)
