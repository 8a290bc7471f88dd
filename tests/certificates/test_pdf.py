"""The certificate PDF: one landscape A4 page, PDF/UA-tagged, fonts embedded, text real."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from lmspack.certificates.pdf import certificate_html, certificate_pdf
from lmspack.certificates.snapshot import OutcomeText, hours_and_minutes

from ..conftest import require
from .conftest import font_problems, plain_text, reader, struct_elements


def text_positions(page) -> list[tuple[str, float]]:
    """(text, y in points from the bottom) of every text run on the page."""
    spots: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            spots.append((text, cm[5] + tm[5] * cm[3]))

    page.extract_text(visitor_text=visit)
    return spots


@pytest.fixture(scope="module")
def pdf(snapshot) -> bytes:
    return certificate_pdf(snapshot)


@pytest.fixture(scope="module")
def doc(pdf):
    return reader(pdf)


def test_one_landscape_a4_page(doc) -> None:
    assert len(doc.pages) == 1
    box = doc.pages[0].mediabox
    assert abs(float(box.width) - 842) < 1 and abs(float(box.height) - 595) < 1


def test_tagged_with_language_and_title(doc, snapshot) -> None:
    root = doc.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "en-GB" == snapshot.language
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert snapshot.learner_name in doc.metadata.title
    assert snapshot.course_title in doc.metadata.title
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()  # PDF/UA identifier (XMP)
    tags = [tag for tag, _ in struct_elements(doc)]
    for tag in ("/H1", "/H2", "/Table", "/TH", "/L", "/LI", "/Link", "/Figure"):
        assert tag in tags


def test_qr_code_is_a_figure_with_alt_text(doc, snapshot) -> None:
    figures = [alt for tag, alt in struct_elements(doc) if tag == "/Figure"]
    assert figures and all(figures), "every figure needs /Alt"
    assert any("QR code" in alt and snapshot.verify_url in alt for alt in figures)


def test_every_font_is_embedded(doc) -> None:
    assert font_problems(doc) == []
    assert doc.pages[0]["/Resources"]["/Font"], "the text must be real text, in fonts"


def test_text_is_selectable_and_complete(doc, snapshot) -> None:
    text = plain_text(doc)
    for needed in (
        snapshot.learner_name,
        snapshot.code,
        snapshot.verify_url,
        snapshot.provider,
        snapshot.facilitators[0],
        "20 November 2026",  # pre-work completed
        "3 December 2026",  # live session
        hours_and_minutes(snapshot.prework_minutes),
        hours_and_minutes(snapshot.live_session_minutes),
        hours_and_minutes(snapshot.total_minutes),
        "86%",
        "pass mark 80%",
        "26 November 2026",  # issued
    ):
        assert needed in text, needed
    squashed = text.replace(" ", "")
    assert snapshot.course_title.replace(" ", "") in squashed
    for outcome in snapshot.outcomes:
        assert outcome.text.replace(" ", "") in squashed


def test_without_live_session_only_prework_time_is_claimed(make_snapshot) -> None:
    s = make_snapshot(live_session_date=None)
    text = plain_text(reader(certificate_pdf(s)))
    assert "Live session" not in text
    assert f"Total {hours_and_minutes(s.prework_minutes)}" in text


def test_long_content_still_fits_one_page(make_snapshot, course) -> None:
    long = dataclasses.replace(
        make_snapshot(learner_name="Maria-Fernanda Alexandrescu-Wolstenholme de la Cruz"),
        course_title=course.title + ": relationship-based practice across the whole system",
        facilitators=("Dr Ada Lovelace", "Dr Grace Hopper", "Prof. Mary Somerville"),
        outcomes=tuple(
            OutcomeText(f"LO{i}", course.outcomes[i % 6].text + " in everyday practice")
            for i in range(1, 13)
        ),
    )
    doc = reader(certificate_pdf(long))
    assert len(doc.pages) == 1
    assert "Wolstenholme" in plain_text(doc)
    # and nothing overflows: all text inside the frame, the outcomes above the footer
    spots = text_positions(doc.pages[0])
    assert all(28 < y < 567 for _, y in spots), "text outside the page frame"
    last_outcome = min(y for text, y in spots if "everyday practice" in text)
    footer_top = max(y for text, y in spots if "Certificate code" in text)
    assert last_outcome > footer_top + 20


def test_learner_text_is_escaped(make_snapshot) -> None:
    s = make_snapshot(learner_name='<script>alert("x")</script> & Co')
    html = certificate_html(s)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<script>alert("x")</script> & Co' in plain_text(reader(certificate_pdf(s)))


def test_same_snapshot_same_words(snapshot) -> None:
    assert certificate_html(snapshot) == certificate_html(snapshot)


def test_qr_code_scans_to_the_verification_url(pdf, snapshot, tmp_path) -> None:
    require(
        bool(shutil.which("pdftoppm") and shutil.which("zbarimg")),
        "needs pdftoppm (poppler-utils) and zbarimg (zbar-tools) to read the QR code back",
    )
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "120", "-png", "-singlefile", "c.pdf", "c"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "c.png"], cwd=tmp_path, capture_output=True, text=True
    )
    assert scanned.stdout.strip() == snapshot.verify_url


def test_redownload_gives_the_same_bytes(snapshot, pdf) -> None:
    """Made only from the stored snapshot: the same file every time it is downloaded."""
    from lmspack.certificates.snapshot import CertificateSnapshot

    assert certificate_pdf(CertificateSnapshot.from_json(snapshot.to_json())) == pdf


def test_a_course_theme_without_certificate_templates_falls_back(snapshot, tmp_path) -> None:
    plain, own = tmp_path / "plain", tmp_path / "own"
    for theme in (plain, own):
        theme.mkdir()
        (theme / "index.html.j2").write_text("a course's own player template")
    assert certificate_html(snapshot, theme=plain) == certificate_html(snapshot)
    custom = own / "certificate"
    custom.mkdir()
    (custom / "certificate.html.j2").write_text(
        '<html lang="{{ s.language }}"><title>T</title><body>Custom {{ s.learner_name }}'
        '<img src="{{ qr }}" alt="QR"></body></html>'
    )
    assert certificate_html(snapshot, theme=own).startswith('<html lang="en-GB">')
    assert "Custom Amara" in plain_text(reader(certificate_pdf(snapshot, theme=own)))


def test_a_certificate_that_cannot_fit_is_refused_not_split(snapshot) -> None:
    from lmspack.certificates.pdf import PageOverflow

    huge = dataclasses.replace(
        snapshot,
        outcomes=tuple(OutcomeText(f"LO{i}", "A long learning outcome " * 8) for i in range(40)),
    )
    with pytest.raises(PageOverflow):
        certificate_pdf(huge)


def test_between_tags_drops_line_breaks_between_tags_only() -> None:
    from markupsafe import Markup

    from lmspack.certificates.rendering import between_tags

    html = Markup("<p>\n  <span>a</span> <b>b</b>\n</p>\n<p>x\ny</p>") + "<b>\n<i>"
    out = between_tags(html)
    assert out == "<p><span>a</span> <b>b</b></p><p>x\ny</p>&lt;b&gt;\n&lt;i&gt;"
    assert isinstance(out, Markup)


def test_the_certificate_html_has_no_white_space_between_tags(snapshot) -> None:
    html = certificate_html(snapshot)
    assert "\n" not in html[html.index("<html") : html.index("</html>")]
    assert '<span class="label">Verify at</span> <a href=' in html  # same-line spaces stay


def test_rendering_pauses_the_collector_and_gives_it_back() -> None:
    import gc

    from lmspack.certificates.rendering import collect_after

    assert gc.isenabled()
    with collect_after():
        assert not gc.isenabled()
        with collect_after():  # nested (another thread's render)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # an application that runs without the collector keeps it off
    try:
        with collect_after():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_qr_code_keeps_the_code_in_its_own_smaller_segment(snapshot) -> None:
    import segno

    from lmspack.certificates.pdf import qr_code

    url = snapshot.verify_url
    assert url.rsplit("/", 1)[1] == snapshot.code
    one_segment = segno.make(url, error="m", micro=False)
    qr = qr_code(url)
    assert qr.version < one_segment.version  # fewer modules: larger when printed
    assert qr.error in ("M", "Q", "H")  # at least the 15% it had
    for other in ("https://tool.example/verify/not-a-code", "https://tool.example/"):
        assert qr_code(other).version == segno.make(other, error="m", micro=False).version
