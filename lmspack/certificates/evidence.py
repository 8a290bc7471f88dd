"""An evidence pack: every certificate of a course context in one zip, for an L&D team that
must show an auditor, a regulator or a commissioner who has completed their CPD.

    stats = write_pack(path, certificates, jobs=None)    # `lmspack certificates export`
    Response(pack_chunks(certificates, jobs=1))         # the completion report's download

The zip holds `certificates.csv` (one row per certificate, valid or revoked: who, what, when,
score, CPD time, code, verification URL, the file's name; UTF-8 with BOM for Excel,
formula-neutralised) and `certificates/<learner>-<CODE>.pdf` for each valid one (a revoked
certificate has no PDF, as it can no longer be downloaded from the tool). The PDFs are made
from the stored snapshots, so they are byte for byte what each learner downloads.

`write_pack`'s file appears complete or not at all: it is written beside `path` and renamed
over it at the end, so an interrupted run leaves any earlier pack as it was. It is readable by
its owner only (it holds learners' names and results); share it on purpose.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..reports.csv import csv_text
from .batch import render_pdfs
from .snapshot import CertificateSnapshot, IssuedCertificate

MANIFEST = "certificates.csv"
FOLDER = "certificates"
HEADER = (
    "code",
    "learner",
    "course",
    "course version",
    "score %",
    "pass mark %",
    "pre-work completed",
    "live session",
    "CPD minutes",
    "issued",
    "status",
    "revoked",
    "verify URL",
    "file",
)


@dataclass(frozen=True)
class PackStats:
    certificates: int
    pdfs: int
    bytes: int
    seconds: float


def file_name(snapshot: CertificateSnapshot) -> str:
    """`certificates/amara-okonkwo-AB12-....pdf`: sorted by name in a file manager, unique by
    code, and plain ASCII so that every unzip tool and file system keeps it."""
    plain = unicodedata.normalize("NFKD", snapshot.learner_name)
    plain = plain.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-") or "learner"
    return f"{FOLDER}/{slug}-{snapshot.code}.pdf"


def _row(item: IssuedCertificate, name: str | None) -> tuple:
    s = item.snapshot
    return (
        s.code,
        s.learner_name,
        s.course_title,
        s.course_version,
        s.score,
        s.pass_mark,
        s.prework_completed_on,
        s.live_session_on,
        s.total_minutes,
        s.issued_at,
        "revoked" if item.revoked_at else "valid",
        item.revoked_at,
        s.verify_url,
        name,
    )


class _Sink(io.RawIOBase):
    """Where zipfile writes: bytes handed on as they come. Not seekable, so zipfile follows
    each entry with a data descriptor (as any streamed zip does)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def pack_chunks(
    certificates: Sequence[IssuedCertificate], *, jobs: int | None = None
) -> Iterator[bytes]:
    """The zip, a piece at a time (the manifest first, then each PDF as it is rendered): for a
    download that starts at once, however long the batch."""
    names = {c.snapshot.code: file_name(c.snapshot) for c in certificates if c.revoked_at is None}
    manifest = csv_text(HEADER, (_row(c, names.get(c.snapshot.code)) for c in certificates))
    sink = _Sink()
    # Deflated, PDFs too: they shrink little, but a stored entry with a data descriptor is
    # what some streaming unzippers refuse.
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as pack:
        pack.writestr(MANIFEST, manifest)
        yield sink.take()
        valid = (c.snapshot for c in certificates if c.revoked_at is None)
        for snapshot, pdf in render_pdfs(valid, jobs=jobs):
            pack.writestr(
                zipfile.ZipInfo(names[snapshot.code], _zip_time(snapshot.issued_at)),
                pdf,
                compress_type=zipfile.ZIP_DEFLATED,
            )
            yield sink.take()
    yield sink.take()  # the central directory


def write_pack(
    path: Path, certificates: Iterable[IssuedCertificate], *, jobs: int | None = None
) -> PackStats:
    """Write the zip at `path` (replacing it only once complete)."""
    start = time.perf_counter()
    items = list(certificates)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in pack_chunks(items, jobs=jobs):
                out.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    pdfs = sum(1 for c in items if c.revoked_at is None)
    return PackStats(len(items), pdfs, path.stat().st_size, time.perf_counter() - start)


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """The issue time as the file's date (zip keeps local-less time, from 1980)."""
    return (
        max(moment.year, 1980),
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )
