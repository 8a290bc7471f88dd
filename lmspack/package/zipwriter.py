"""Deterministic zips: same files in, same bytes out (fixed order, times and modes)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

# The earliest time a zip can hold; any fixed value would do.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Already-compressed formats gain nothing from deflate and cost build time.
STORED_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".mp3",
    ".mp4",
    ".woff2",
    ".zip",
    ".pdf",
)


def zip_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    """Zip `(path, data)` pairs in the order given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path, data in files:
            info = zipfile.ZipInfo(path, date_time=FIXED_TIME)
            info.create_system = 3  # unix, so the mode below is honoured
            info.external_attr = 0o100644 << 16
            stored = path.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=None if stored else 9)
    return buffer.getvalue()
