"""The workshop course with a cover image, for the browser tests and bench/screens_player.py:
course_src/ has no image of its own, so a copy gets a small SVG drawn here (no file from
outside the checkout) and `cover:` in its course.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

ALT = "Overlapping circles in shades of teal, like ripples on water"


def cover_svg() -> str:
    """A 1200 x 400 abstract pattern in the player's teals."""
    rings = "".join(
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{fill}" fill-opacity="{op}"/>'
        for cx, cy, r, fill, op in [
            (180, 330, 260, "#0b5563", ".9"), (420, 80, 190, "#3f8f9b", ".7"),
            (700, 360, 240, "#1f5661", ".8"), (940, 120, 210, "#7fb8bf", ".6"),
            (1120, 380, 170, "#0b5563", ".7"), (560, 200, 90, "#e8f1f3", ".5"),
        ]
    )  # fmt: skip
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1200 400" width="1200" '
        f'height="400"><rect width="1200" height="400" fill="#073c46"/>{rings}</svg>\n'
    )


def course_with_cover(src: Path, dest: Path) -> Path:
    """A copy of the course at `src` in `dest`, with media/cover.svg as its cover."""
    shutil.copytree(src, dest)
    (dest / "media").mkdir(exist_ok=True)
    (dest / "media" / "cover.svg").write_text(cover_svg(), encoding="utf-8")
    yaml = dest / "course.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text + f'cover:\n  image: media/cover.svg\n  alt: "{ALT}"\n', "utf-8")
    return dest
