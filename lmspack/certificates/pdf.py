"""The CPD certificate as a one-page, landscape A4, tagged PDF (PDF/UA-1).

    pdf = certificate_pdf(snapshot)                 # bytes, from the default theme
    pdf = certificate_pdf(snapshot, theme=path)     # a course's own templates/ folder

Made only from a `CertificateSnapshot`, so re-downloading an old certificate gives the same
words it had when issued. The template is `certificate/certificate.html.j2` with
`certificate/certificate.css`; a theme that overrides them must keep to one page (the
renderer tightens the layout twice, then gives up with `PageOverflow`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import segno

from .rendering import PageOverflow, pdf_template
from .snapshot import CertificateSnapshot

TEMPLATE = "certificate/certificate.html.j2"
STYLESHEET = "certificate/certificate.css"
DENSITIES = ("", "compact", "tight")

__all__ = [
    "PageOverflow",
    "certificate_html",
    "certificate_pdf",
    "qr_png_data_uri",
    "qr_svg_data_uri",
]


def qr_svg_data_uri(url: str) -> str:
    """The URL as a QR code: a small SVG (one path), as a data: URI for an <img>."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(scale=4, border=4, dark="#1c2830", light="#ffffff")


@lru_cache(maxsize=1024)
def qr_png_data_uri(url: str) -> str:
    """The URL as a QR code: a 1-bit PNG (4 px per module, 4-module quiet zone), as a data: URI.

    Drawn with `image-rendering: crisp-edges` (no interpolation). It costs about the same
    to render as the SVG (within a few ms, which WeasyPrint spends parsing the SVG path
    each time), and it scans better from a low-resolution rendering: zbar reads it from a
    100 dpi rendering of the page, the SVG version only from 150 dpi, and a 1 px-per-module
    PNG (smoothed by the viewer) only from 200 dpi.
    """
    # segno tries all 8 masks and keeps the easiest to scan: ~3 ms of the certificate's time,
    # kept on purpose (a fixed mask would save it); cached for repeated downloads.
    qr = segno.make(url, error="m", micro=False)
    return qr.png_data_uri(scale=4, border=4)


def _context(snapshot: CertificateSnapshot) -> dict[str, object]:
    return {"s": snapshot, "qr": qr_png_data_uri(snapshot.verify_url)}


def certificate_html(snapshot: CertificateSnapshot, *, theme: Path | None = None) -> str:
    """The HTML the PDF is made from (for previews and the tool's certificate page)."""
    return pdf_template(theme, TEMPLATE, STYLESHEET).html({**_context(snapshot), "density": ""})


def certificate_pdf(snapshot: CertificateSnapshot, *, theme: Path | None = None) -> bytes:
    return pdf_template(theme, TEMPLATE, STYLESHEET).pdf(
        _context(snapshot), max_pages=1, densities=DENSITIES
    )
