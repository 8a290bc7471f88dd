"""CSV for Excel: BOM, CRLF, ISO dates, numbers as numbers, formulas neutralised, streamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lmspack.reports.csv import BOM, csv_bytes, csv_chunks, csv_text, neutralise

HEADER = ["Name", "Comment", "Score", "When", "Day"]


def parse(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def test_bom_first_and_crlf_everywhere() -> None:
    text = csv_text(HEADER, [["Siobhán Ní Bhriain", "ok", 90, None, None]])
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert text.count("\r\n") == 2 and "\n" not in text.replace("\r\n", "")
    assert text.endswith("\r\n")
    first = next(csv_bytes(HEADER, []))
    assert first == b"\xef\xbb\xbfName,Comment,Score,When,Day\r\n"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        (
            '=HYPERLINK("https://evil.example","Click me")',
            '\'=HYPERLINK("https://evil.example","Click me")',
        ),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_injection_is_neutralised(typed: str, written: str) -> None:
    assert neutralise(typed) == written
    rows = parse(csv_text(["x"], [[typed]]))
    assert rows[1] == [written]


def test_real_numbers_are_untouched() -> None:
    rows = parse(
        csv_text(["a", "b", "c", "d", "e", "f"], [[-1, 1, -2.5, Decimal("-0.10"), 0, True]])
    )
    assert rows[1] == ["-1", "1", "-2.5", "-0.10", "0", "TRUE"]
    text = csv_text(["n"], [[-1]])
    assert "\r\n-1\r\n" in text and "'-1" not in text


def test_dates_are_iso_8601_and_utc() -> None:
    london_summer = timezone(timedelta(hours=1))
    rows = parse(
        csv_text(
            ["aware", "other zone", "naive", "date"],
            [
                [
                    datetime(2026, 11, 26, 9, 30, 12, 999, tzinfo=UTC),
                    datetime(2026, 6, 1, 0, 15, tzinfo=london_summer),
                    datetime(2026, 1, 2, 3, 4, 5),
                    date(2026, 12, 3),
                ]
            ],
        )
    )
    assert rows[1] == [
        "2026-11-26T09:30:12Z",
        "2026-05-31T23:15:00Z",
        "2026-01-02T03:04:05Z",
        "2026-12-03",
    ]


def test_round_trip_with_pythons_csv_module() -> None:
    tricky = [
        ["Ada, Countess", 'She said "hello"', 1, None, None],
        ["Line\nbreak", "Unicode ✓ — é ß 中文", 2.5, None, None],
        ["  spaces  ", ",", 3, None, None],
    ]
    rows = parse(csv_text(HEADER, tricky))
    assert rows[0] == HEADER
    assert rows[1:] == [[str(v) if v is not None else "" for v in r] for r in tricky]


def test_streams_in_batches_without_reading_everything_first() -> None:
    pulled = []

    def rows():
        for i in range(1201):
            pulled.append(i)
            yield [f"learner {i}", "", i, None, None]

    chunks = csv_chunks(HEADER, rows(), batch=500)
    assert next(chunks).startswith(BOM + "Name,")
    assert pulled == []  # the header goes out before any row is read
    second = next(chunks)
    assert second.count("\r\n") == 500 and len(pulled) == 500
    rest = list(chunks)
    assert len(rest) == 2 and rest[-1].count("\r\n") == 201
    assert all(isinstance(c, bytes) for c in csv_bytes(HEADER, [["a", "b", 1, None, None]]))


def test_nan_and_none_are_empty() -> None:
    rows = parse(csv_text(["a", "b"], [[float("nan"), None]]))
    assert rows[1] == ["", ""]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        (";=1+1", ";'=1+1"),  # Excel with ';' as its separator splits an unquoted field here
        ('a;=HYPERLINK("x")', 'a;\'=HYPERLINK("x")'),
        ("a; \u200b+1", "a;' \u200b+1"),
        ("\n=1+1", "'\n=1+1"),  # a leading newline
        ("\r\n=1+1", "'\r\n=1+1"),
        (" =1+1", "' =1+1"),
        ("\u00a0=1+1", "'\u00a0=1+1"),  # no-break space
        ("\u200b=1+1", "'\u200b=1+1"),  # zero-width space
        ("\ufeff=1+1", "'\ufeff=1+1"),  # a BOM
        ("\u2060\u200d@SUM(A1)", "'\u2060\u200d@SUM(A1)"),  # word joiner, zero-width joiner
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals
        ("|cmd", "'|cmd"),
        ("a;b", "a;b"),
        ("fine; really", "fine; really"),
        ("50% done", "50% done"),
    ],
)
def test_hidden_formula_starts_are_neutralised(typed: str, written: str) -> None:
    assert neutralise(typed) == written
    rows = parse(csv_text(["x"], [[typed]]))
    assert rows[1] == [written]
    for piece in rows[1][0].split(";"):  # each piece Excel may split off is text
        rest = piece.lstrip(" \t\r\n\u00a0\u200b\u200d\u2060\ufeff")
        assert not rest or rest[0] not in "=+-@|\uff1d" or piece.startswith("'"), piece


def test_unprintable_stored_text_is_written_not_raised() -> None:
    """Text stored before the API refused it (a lone surrogate, a bell) still exports."""
    raw = b"".join(csv_bytes(["x"], [["Bad \ud800 text\x07", "=\ud800"]]))
    rows = parse(raw.decode("utf-8"))
    assert rows[1] == ["Bad \ufffd text", "'=\ufffd"]
