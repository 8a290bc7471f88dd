"""Many certificates at once: the same PDFs, in the same order, from worker processes."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import UTC, datetime

from pypdf import PdfReader

from lmspack.certificates import batch
from lmspack.certificates.evidence import (
    HEADER,
    MANIFEST,
    IssuedCertificate,
    file_name,
    write_pack,
)
from lmspack.certificates.pdf import certificate_pdf

NAMES = ["Siobhán Ní Bhriain", '=HYPERLINK("x")', "Zofia Wiśniewska", "Dev Patel"]


def test_workers_give_the_same_pdfs_in_order(make_snapshot, monkeypatch) -> None:
    monkeypatch.setattr(batch, "MIN_PER_WORKER", 3)  # 2 workers from 6 certificates
    snaps = [make_snapshot(learner_name=f"Learner {i}", score=80 + i) for i in range(7)]
    out = list(batch.render_pdfs(snaps, jobs=2))
    assert [s.code for s, _ in out] == [s.code for s in snaps]
    # the worker processes render exactly what this process does (same snapshot, same bytes)
    assert out[0][1] == certificate_pdf(snaps[0]) and out[6][1] == certificate_pdf(snaps[6])
    for snap, pdf in out:
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert snap.learner_name in text and snap.code in text


def test_stopping_early_stops_the_workers(make_snapshot, monkeypatch) -> None:
    monkeypatch.setattr(batch, "MIN_PER_WORKER", 2)
    snaps = [make_snapshot(learner_name=f"Learner {i}") for i in range(400)]
    start = time.perf_counter()
    certificate_pdf(snaps[-1])
    one = time.perf_counter() - start
    start = time.perf_counter()
    gen = batch.render_pdfs(snaps, jobs=2)
    first = next(gen)
    gen.close()  # only a few chunks are ever queued: those finish, not 400 certificates
    took = time.perf_counter() - start
    assert first[0].code == snaps[0].code
    assert took < (400 * one / 2) / 2, (took, one)


def test_evidence_pack(make_snapshot, tmp_path) -> None:
    snaps = [make_snapshot(learner_name=n) for n in NAMES]
    revoked = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    items = [IssuedCertificate(s, revoked if i == 3 else None) for i, s in enumerate(snaps)]
    path = tmp_path / "out" / "pack.zip"
    stats = write_pack(path, items, jobs=1)
    assert (stats.certificates, stats.pdfs) == (4, 3) and stats.bytes == path.stat().st_size
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
        manifest = z.read(MANIFEST).decode("utf-8")
        pdf = z.read(file_name(snaps[0]))
    assert names[0] == MANIFEST and len(names) == 4
    assert file_name(snaps[0]) == f"certificates/siobhan-ni-bhriain-{snaps[0].code}.pdf"
    assert file_name(snaps[1]).startswith("certificates/hyperlink-x-")
    assert pdf == certificate_pdf(snaps[0])
    assert manifest.startswith("\ufeff" + ",".join(HEADER))
    assert "\r\n" in manifest  # RFC 4180 line ends
    rows = [dict(zip(HEADER, r, strict=True)) for r in csv.reader(io.StringIO(manifest[1:]))]
    assert [r["code"] for r in rows[1:]] == [s.code for s in snaps]
    first, formula, _, gone = rows[1:]
    assert first["learner"] == "Siobhán Ní Bhriain" and first["score %"] == "86"
    assert first["issued"] == "2026-11-26T09:30:12Z" and first["pre-work completed"] == "2026-11-20"
    assert (first["status"], first["revoked"], first["file"]) == ("valid", "", file_name(snaps[0]))
    assert formula["learner"] == '\'=HYPERLINK("x")'  # a formula typed as a name stays text
    assert (gone["status"], gone["revoked"], gone["file"]) == (
        "revoked",
        "2026-11-30T10:00:00Z",
        "",
    )


def test_an_interrupted_pack_leaves_the_previous_one(make_snapshot, tmp_path, monkeypatch):
    path = tmp_path / "pack.zip"
    path.write_bytes(b"the previous pack")

    def broken(snapshots, *, jobs=None):
        yield from ()
        raise RuntimeError("disk full")

    monkeypatch.setattr("lmspack.certificates.evidence.render_pdfs", broken)
    try:
        write_pack(path, [IssuedCertificate(make_snapshot())], jobs=1)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure must reach the caller")
    assert path.read_bytes() == b"the previous pack"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]  # no partial file left
