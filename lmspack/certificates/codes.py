"""Certificate codes: random, readable, forgiving when typed, compared in constant time.

A code is 20 Crockford base32 symbols (100 bits from `secrets`), shown in five groups of four:
``K7QF-2M9X-A4TB-0HRC-W3ZN``. Crockford's alphabet leaves out I, L, O and U, so nothing on a
printed certificate can be misread; when a person types a code we accept lower case, spaces,
hyphens and the look-alikes (O -> 0, I and L -> 1) and give back the canonical form.

With 2**100 codes, someone guessing a billion codes a second against a million issued
certificates expects to wait about 40,000 years for one hit: guessing is impractical even
before rate limiting.
"""

from __future__ import annotations

import hmac
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
SYMBOLS = 20
GROUP = 4
BITS = SYMBOLS * 5  # 100
LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212]+")  # spaces, hyphens, dashes, dots
_VALID = re.compile(f"[{ALPHABET}]{{{SYMBOLS}}}")


def new_code() -> str:
    """A fresh code in its grouped, canonical form, e.g. ``K7QF-2M9X-A4TB-0HRC-W3ZN``."""
    value = secrets.randbits(BITS)
    symbols = []
    for _ in range(SYMBOLS):
        symbols.append(ALPHABET[value & 31])
        value >>= 5
    return group("".join(reversed(symbols)))


def group(compact: str) -> str:
    """``K7QF2M9X...`` -> ``K7QF-2M9X-...``."""
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def compact(code: str) -> str:
    """What a person typed, without separators, upper case, look-alikes mapped; not validated."""
    return _SEPARATORS.sub("", code).upper().translate(LOOK_ALIKES)


def normalise(code: str) -> str | None:
    """The canonical grouped form of what a person typed, or None if it can't be a code.

    Accepts ``k7qf 2m9x a4tb ohrc w3zn``, ``K7QF-2M9X-A4TB-0HRC-W3ZN`` and a code pasted with
    its verification URL's path (``/verify/K7QF...``) trimmed off by the caller.
    """
    if not isinstance(code, str) or len(code) > 200:
        return None
    text = compact(code)
    if not _VALID.fullmatch(text):
        return None
    return group(text)


def is_code(code: str) -> bool:
    return normalise(code) is not None


def codes_equal(a: str, b: str) -> bool:
    """Compare two codes in time that doesn't depend on where they differ.

    Both are normalised first (that step's time depends only on the input's length, not on
    any secret), then compared with `hmac.compare_digest`. A code that can't be normalised
    is compared as if it were a wrong code of the right length, so the answer is False
    without a shortcut.
    """
    na, nb = normalise(a), normalise(b)
    left = (na or "\0" * len(_BLANK)).encode("ascii")
    right = (nb or "\1" * len(_BLANK)).encode("ascii")
    return hmac.compare_digest(left, right) and na is not None and nb is not None


_BLANK = group("0" * SYMBOLS)
