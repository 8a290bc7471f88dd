"""Certificate codes: long and random enough to be unguessable, forgiving when typed."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from lmspack.certificates import codes
from lmspack.certificates.codes import ALPHABET, codes_equal, new_code, normalise

GROUPED = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}")


def test_code_shape_and_entropy() -> None:
    code = new_code()
    assert GROUPED.fullmatch(code), code
    symbols = code.replace("-", "")
    assert len(symbols) == 20
    assert set(ALPHABET) == set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")  # Crockford
    assert not set("ILOU") & set(ALPHABET)
    assert len(symbols) * math.log2(len(ALPHABET)) >= 100
    assert codes.BITS >= 100


def test_ten_thousand_codes_are_unique_and_use_every_symbol_everywhere() -> None:
    made = [new_code() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    for position in (0, 10, 23):  # first, middle, last symbol: no fixed or biased place
        seen = Counter(c[position] for c in made)
        assert set(seen) == set(ALPHABET)
        # 10,000 / 32 = 312.5 expected per symbol; a fair source stays well inside this band
        assert min(seen.values()) > 200 and max(seen.values()) < 430


@pytest.mark.parametrize(
    "typed",
    [
        "K7QF-2M9X-A4TB-0HRC-W3ZN",
        "k7qf-2m9x-a4tb-0hrc-w3zn",
        "K7QF 2M9X A4TB 0HRC W3ZN",
        " k7qf2m9xa4tb0hrcw3zn ",
        "K7QF–2M9X—A4TB-OHRC-W3ZN",  # en and em dashes, letter O for zero
        "k7qf.2m9x.a4tb.ohrc.w3zn",
    ],
)
def test_normalise_accepts_what_people_type(typed: str) -> None:
    assert normalise(typed) == "K7QF-2M9X-A4TB-0HRC-W3ZN"


def test_look_alike_letters_map_to_digits() -> None:
    assert normalise("IIII LLLL OOOO oooo iiii") == "1111-1111-0000-0000-1111"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "K7QF-2M9X-A4TB-0HRC",  # too short
        "K7QF-2M9X-A4TB-0HRC-W3ZN-A",  # too long
        "K7QF-2M9X-A4TB-0HRC-W3ZU",  # U is not in the alphabet
        "K7QF-2M9X-A4TB-0HRC-W3Z!",
        "K7QF/2M9X/A4TB/0HRC/W3ZN",
        "x" * 10_000,
    ],
)
def test_normalise_rejects_what_cannot_be_a_code(bad: str) -> None:
    assert normalise(bad) is None
    assert not codes.is_code(bad)


def test_codes_equal_normalises_and_uses_constant_time_compare(monkeypatch) -> None:
    calls = []
    real = codes.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(codes.hmac, "compare_digest", spy)
    code = new_code()
    assert codes_equal(code, code.lower().replace("-", " "))
    assert calls and len(calls[-1][0]) == len(calls[-1][1])
    assert not codes_equal(code, new_code())
    assert not codes_equal(code, "nonsense")
    assert not codes_equal("nonsense", "nonsense")  # two invalid inputs are never "equal"
    assert len(calls) == 4
