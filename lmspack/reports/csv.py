"""Streaming CSV that opens correctly in Excel, with formula injection neutralised.

    for chunk in csv_chunks(header, rows): ...          # str chunks
    Response(csv_bytes(header, rows), mimetype="text/csv; charset=utf-8")   # bytes chunks

- UTF-8 with a byte-order mark first, so Excel reads names like "Siobhán" correctly;
- CRLF line ends, fields quoted only when needed (RFC 4180);
- datetimes as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (naive ones are taken as UTC), dates as
  ``YYYY-MM-DD``;
- numbers (int, float, Decimal) written as numbers; booleans as TRUE/FALSE; None as empty;
- any *text* cell starting with ``=``, ``+``, ``-``, ``@``, ``|``, tab or carriage
  return gets a leading single quote (OWASP "CSV injection"), so ``=HYPERLINK(...)`` or
  ``+1`` typed by a learner is shown as text, never run as a formula. So does one where such
  a character follows only blanks or invisible characters (a leading newline or space, a
  zero-width space, a BOM: spreadsheets skip them), and the full-width forms (＝＋－＠).
  After a ``;`` (Excel's separator in many European locales, where an unquoted field
  splits there) a piece that would start a formula gets its own quote: ``a;=1+1`` is written
  ``a;'=1+1``. A real number such as -1 is left alone;
- text is made printable first (lmspack.printable.clean): text stored before the tool
  refused lone surrogates could otherwise not be encoded at all.

Rows are written in batches, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..printable import clean

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "|", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BATCH = 500
_SKIPPED = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]*"
)
_AFTER_SEMICOLON = re.compile(";(?=" + _SKIPPED.pattern + "[=+\\-@|\uff1d\uff0b\uff0d\uff20])")


def _starts_formula(text: str) -> bool:
    """Would a spreadsheet read this as a formula, skipping blanks and invisible characters?"""
    return text.startswith(FORMULA_STARTS) or text[_SKIPPED.match(text).end() :].startswith(
        FORMULA_STARTS
    )


def neutralise(text: str) -> str:
    """Prefix a single quote if Excel (or LibreOffice, Sheets) would read the text as a formula,
    and after any ``;`` where a piece of the text would start one."""
    if ";" in text:
        text = _AFTER_SEMICOLON.sub(";'", text)
    return "'" + text if _starts_formula(text) else text


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
    return neutralise(clean(str(value)))


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
