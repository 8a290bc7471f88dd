"""The tool's response class: a text body is made printable (lmspack.printable.clean) before
it is encoded, so a page or export showing text stored before the API refused unprintable
text still answers, instead of failing with a UnicodeEncodeError (500) on a lone surrogate.
The last line of defence: the data layers clean what they read as well (the CPD record,
certificate issuance, CSV cells)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Response

from ..printable import clean


def _encoded(items: Iterable[bytes | str]) -> Iterator[bytes]:
    for item in items:
        yield clean(item).encode() if isinstance(item, str) else item


class PrintableResponse(Response):
    def set_data(self, value: bytes | str) -> None:
        super().set_data(clean(value) if isinstance(value, str) else value)

    def iter_encoded(self) -> Iterator[bytes]:
        return _encoded(self.response)
