"""lmspack.printable: what is refused, what is kept, and what cleaning makes of it."""

from __future__ import annotations

import pytest

from lmspack.printable import clean, clean_deep, problem
from lmspack.tool.json_input import BodyError, parse_body


@pytest.mark.parametrize(
    ("text", "why", "cleaned"),
    [
        ("a\ud800b", "lone surrogate (U+D800)", "a\ufffdb"),
        ("a\udfffb", "lone surrogate (U+DFFF)", "a\ufffdb"),
        ("a\x00b", "NUL character (U+0000)", "ab"),
        ("a\x07b", "control character (U+0007)", "ab"),
        ("a\x1b[0m", "control character (U+001B)", "a[0m"),
        ("a\x7fb", "control character (U+007F)", "ab"),
        ("a\x85b", "control character (U+0085)", "ab"),
        ("a\ufdd0b", "noncharacter (U+FDD0)", "ab"),
        ("a\uffffb", "noncharacter (U+FFFF)", "ab"),
        ("a\U0001fffeb", "noncharacter (U+1FFFE)", "ab"),
        ("😀\U0010ffff", "noncharacter (U+10FFFF)", "😀"),
    ],
)
def test_refused_characters(text: str, why: str, cleaned: str) -> None:
    assert why in (problem(text) or "")
    assert clean(text) == cleaned and problem(clean(text)) is None


@pytest.mark.parametrize(
    "text",
    ["", "Siobhán Ní Bhriain", "tab\there\nand\r\nlines", "שלום עולם", "😀 𠀀 \u200b\u202e",
     "=1+1", "\U0001fffd \U0010fffd"],
)  # fmt: skip
def test_printable_text_is_kept_as_it_is(text: str) -> None:
    assert problem(text) is None and clean(text) == text


def test_clean_deep_cleans_keys_and_values() -> None:
    assert clean_deep({"a\x00": ["\ud800", 1, None, {"b": "\x07c"}]}) == {
        "a": ["\ufffd", 1, None, {"b": "c"}]
    }


def test_parse_body_limits() -> None:
    with pytest.raises(BodyError, match="nested more than 32"):
        parse_body(b"[" * 33 + b"]" * 33, max_bytes=1000)
    assert parse_body(b"[" * 32 + b"]" * 32, max_bytes=1000)  # exactly the limit is fine
    assert parse_body(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\" ]"}', max_bytes=1000)
    with pytest.raises(BodyError) as too_big:
        parse_body(b"[]" + b" " * 1000, max_bytes=1000)
    assert too_big.value.status == 413
    with pytest.raises(BodyError, match="not valid UTF-8"):
        parse_body(b'"\xed\xa0\x80"', max_bytes=1000)
    with pytest.raises(BodyError, match=r"body\[1\] contains a lone surrogate"):
        parse_body(b'["ok", "\\ud800"]', max_bytes=1000)
