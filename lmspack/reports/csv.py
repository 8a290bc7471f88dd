"""Streaming CSV that opens correctly in Excel, with formula injection neutralised.

    for chunk in csv_chunks(header, rows): ...          # str chunks
    Response(csv_bytes(header, rows), mimetype="text/csv; charset=utf-8")   # bytes chunks

- UTF-8 with a byte-order mark first, so Excel reads names like "Siobhán" correctly;
- CRLF line ends, fields quoted only when needed (RFC 4180);
- datetimes as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (naive ones are taken as UTC), dates as
  ``YYYY-MM-DD``;
- numbers (int, float, Decimal) written as numbers; booleans as TRUE/FALSE; None as empty;
- any *text* cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
  leading single quote (OWASP "CSV injection"), so ``=HYPERLINK(...)`` or ``+1`` typed by a
  learner is shown as text, never run as a formula. A real number such as -1 is left alone.

Rows are written in batches, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def neutralise(text: str) -> str:
    """Prefix a single quote if Excel (or LibreOffice, Sheets) would read the text as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str | int | float | Decimal:
    """One value as it should appear in the file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = BATCH
) -> Iterator[str]:
    """The CSV as str chunks: BOM + header first, then `batch` rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([cell(h) for h in header])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
        if count == batch:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            count = 0
    if count:
        yield buffer.getvalue()


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = BATCH
) -> Iterator[bytes]:
    """The same as UTF-8 bytes (the BOM becomes EF BB BF)."""
    for chunk in csv_chunks(header, rows, batch=batch):
        yield chunk.encode("utf-8")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV as one string (tests, small exports)."""
    return "".join(csv_chunks(header, rows))
