"""The CPD certificate as a one-page, landscape A4, tagged PDF (PDF/UA-1).

    pdf = certificate_pdf(snapshot)                 # bytes, from the default theme
    pdf = certificate_pdf(snapshot, theme=path)     # a course's own templates/ folder

Made only from a `CertificateSnapshot`, so re-downloading an old certificate gives the same
words it had when issued. The template is `certificate/certificate.html.j2` with
`certificate/certificate.css`; a theme that overrides them must keep to one page (the
renderer tightens the layout twice, then gives up with `PageOverflow`, which carries the
tightest layout over the pages it needs).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import segno

from .rendering import PageOverflow, pdf_template
from .snapshot import CertificateSnapshot

log = logging.getLogger(__name__)

TEMPLATE = "certificate/certificate.html.j2"
STYLESHEET = "certificate/certificate.css"
DENSITIES = ("", "compact", "tight")

__all__ = [
    "PageOverflow",
    "certificate_html",
    "certificate_pdf",
    "served_pdf",
    "qr_png_data_uri",
    "qr_svg_data_uri",
]


# What QR's alphanumeric mode can hold (5.5 bits a character instead of 8): a certificate
# code in its canonical form (upper case, digits, hyphens) is all in it.
_QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")


def qr_code(url: str) -> segno.QRCode:
    """The URL as a QR code (error correction M, 15%).

    A verification URL ends in its code: encoded as its own alphanumeric segment after the
    rest of the URL in byte mode, the symbol is often a version smaller (the tool's usual
    URL: 33 instead of 37 modules a side), so each module prints larger and scans more
    easily, and segno's choice of the best of 8 masks, the costliest part of making it, has
    a fifth fewer modules to score. The URL read back is the same.
    """
    head, sep, tail = url.rpartition("/")
    if sep and tail and _QR_ALPHANUMERIC.fullmatch(tail):
        try:
            return segno.make([head + sep, tail], error="m", micro=False)
        except (TypeError, ValueError):  # a segno without segment lists: one segment
            pass
    return segno.make(url, error="m", micro=False)


def qr_svg_data_uri(url: str) -> str:
    """The URL as a QR code: a small SVG (one path), as a data: URI for an <img>."""
    return qr_code(url).svg_data_uri(scale=4, border=4, dark="#1c2830", light="#ffffff")


@lru_cache(maxsize=1024)
def qr_png_data_uri(url: str) -> str:
    """The URL as a QR code: a 1-bit PNG (4 px per module, 4-module quiet zone), as a data: URI.

    Drawn with `image-rendering: crisp-edges` (no interpolation). It is cheaper to render
    than the SVG (by ~5 ms of ~75: WeasyPrint parses the SVG path each time), and it scans
    better from a low-resolution rendering: zbar reads it from a 100 dpi rendering of the
    page (90 dpi since the code is its own segment, see `qr_code`), the SVG version only
    from 150 dpi; a 1 px-per-module PNG (smoothed by poppler despite /Interpolate false)
    failed at 72, 100 and 120 dpi, a 2 px one at 100 dpi. They would save ~3 ms.
    """
    # segno tries all 8 masks and keeps the easiest to scan: ~3-4 ms of the certificate's
    # time, kept on purpose (a fixed mask would save it); cached for repeated downloads.
    return qr_code(url).png_data_uri(scale=4, border=4)


def _context(snapshot: CertificateSnapshot) -> dict[str, object]:
    return {"s": snapshot, "qr": qr_png_data_uri(snapshot.verify_url)}


def certificate_html(snapshot: CertificateSnapshot, *, theme: Path | None = None) -> str:
    """The HTML the PDF is made from (for previews and the tool's certificate page)."""
    return pdf_template(theme, TEMPLATE, STYLESHEET).html({**_context(snapshot), "density": ""})


def certificate_pdf(snapshot: CertificateSnapshot, *, theme: Path | None = None) -> bytes:
    """One page, tightening the layout as needed; `PageOverflow` if even that can't fit (its
    `pdf` is the tightest layout over more pages, which the tool serves: a learner's
    certificate on two pages beats no certificate)."""
    return pdf_template(theme, TEMPLATE, STYLESHEET).pdf(
        _context(snapshot), max_pages=1, densities=DENSITIES
    )


def served_pdf(snapshot: CertificateSnapshot, *, theme: Path | None = None) -> bytes:
    """What the tool and an evidence pack give out: one page if it fits, else the tightest
    layout over the pages it needs, with a warning naming the code (a learner's certificate
    on two pages beats no certificate)."""
    try:
        return certificate_pdf(snapshot, theme=theme)
    except PageOverflow as exc:
        log.warning(
            "certificate %s does not fit on one page, even in the tightest layout: served "
            "over several pages (shorten the course's outcomes or the certificate theme)",
            snapshot.code,
        )
        return exc.pdf
