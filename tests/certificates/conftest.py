"""Fixtures for certificate tests: the workshop course, snapshots, RSA keys, PDF readers."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lmspack.certificates.codes import new_code
from lmspack.certificates.snapshot import CertificateSnapshot, snapshot_for
from lmspack.course import Course, load_course

from ..conftest import COURSE

ISSUED = datetime(2026, 11, 26, 9, 30, 12, 345678, tzinfo=UTC)
VERIFY_BASE = "https://cpd.example-council.gov.uk/verify/"


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(COURSE)


@pytest.fixture(scope="session")
def make_snapshot(course: Course) -> Callable[..., CertificateSnapshot]:
    def make(**overrides: Any) -> CertificateSnapshot:
        for_course = overrides.pop("course", course)
        code = overrides.pop("code", None) or new_code()
        args: dict[str, Any] = {
            "learner_name": "Amara Okonkwo-Fitzgerald",
            "completed_at": datetime(2026, 11, 20, 14, 3, tzinfo=UTC),
            "score": 86,
            "code": code,
            "verify_url": VERIFY_BASE + code,
            "issued_at": ISSUED,
            "live_session_date": date(2026, 12, 3),
            "organisation": "Royal Borough of Example Children's Services",
            "organisation_url": "https://vle.example-council.gov.uk",
        }
        args.update(overrides)
        return snapshot_for(for_course, **args)

    return make


@pytest.fixture(scope="session")
def snapshot(make_snapshot: Callable[..., CertificateSnapshot]) -> CertificateSnapshot:
    return make_snapshot()


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="session")
def rsa_pem() -> bytes:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def other_rsa_pem() -> bytes:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


# -- reading PDFs back -----------------------------------------------------------------------


def reader(pdf: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


def struct_elements(pdf_reader) -> list[tuple[str, Any]]:
    """(tag, /Alt) of every element in the structure tree."""
    out: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if not isinstance(node, dict):
            return
        if "/S" in node:
            out.append((str(node["/S"]), node.get("/Alt")))
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            walk(kid)

    walk(pdf_reader.trailer["/Root"]["/StructTreeRoot"])
    return out


def font_problems(pdf_reader) -> list[str]:
    """Fonts on any page without an embedded font program (FontFile, FontFile2, FontFile3)."""
    problems = []
    for page in pdf_reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for name, ref in fonts.items():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor is None:
                problems.append(f"{name}: no font descriptor ({font.get('/Subtype')})")
                continue
            descriptor = descriptor.get_object()
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"{name} ({font.get('/BaseFont')}): not embedded")
    return problems


def plain_text(pdf_reader) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pdf_reader.pages)
