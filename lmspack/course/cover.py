"""course.yaml's `cover: {image: media/cover.jpg, alt: ...}`: the first page's image. Read
with the other fields; that the file is really in media/ is checked once media/ is read."""

from __future__ import annotations

from .errors import Problems
from .fields import Fields
from .model import Cover
from .shapes import COVER


def read_cover(raw, f: Fields, problems: Problems) -> tuple[Cover | None, Fields | None]:
    """The cover (None when absent or wrong) and its Fields, for check_cover_file."""
    if raw is None:
        return None, None
    c = Fields(raw, f.file, problems, "cover", f.line_of("cover"), COVER)
    image = c.get("image", "")
    alt = c.get("alt", "")
    decorative = c.get("decorative", False)
    c.done()
    if decorative and alt:
        c.error("alt", "a decorative image has no alt text: drop alt, or decorative: true")
    elif not decorative and not alt and c.ok:
        c.error(
            "alt", "required field is missing: say what the image shows, or write "
            "`decorative: true` if it adds nothing the page does not say",
        )  # fmt: skip
    if not image or not COVER.fields["image"].pattern.match(image):
        return None, c
    return Cover(image, "" if decorative else alt), c


def check_cover_file(cover: Cover | None, c: Fields | None, media: dict[str, bytes]) -> None:
    """The cover's image must be one of media/'s files (which ship in every package)."""
    if cover is None or c is None or cover.image in media:
        return
    near = [m for m in sorted(media) if m.lower() == cover.image.lower()]
    hint = f"did you mean {near[0]}? (names are case-sensitive)" if near else ""
    c.error("image", f"{cover.image} is not in the course's media/ folder", hint=hint)
