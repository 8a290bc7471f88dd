"""Screenshots of every admin page and every learner page of the LTI tool, at 1280 and 320 px,
as Moodle shows them (inside the platform's iframe), with axe-core's WCAG 2.2 AA violation
count for each (run in the frame). Issue 14's "Done when".

    .venv/bin/python bench/screens_tool.py [FOLDER]      # default /tmp/screens/tool

The tool runs on a new SQLite database with the real test platform (tests/tool/platform.py)
and the data of tests/tool/screens.py, launched and completed through the real API; Debian's
Chromium draws the pages. Prints one line per screen (violations, file) and exits 1 if any
screen has a violation.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update  # noqa: E402

from lmspack.store import Store  # noqa: E402
from lmspack.store.certificates import Certificate  # noqa: E402
from lmspack.store.models import Attempt, utcnow  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, axe_in_frame  # noqa: E402
from tests.conftest import COURSE  # noqa: E402
from tests.tool.fixtures import Tool  # noqa: E402
from tests.tool.platform import ServerThread, TestPlatform  # noqa: E402
from tests.tool.screens import WIDTHS, fit_frame, open_framed, seed  # noqa: E402


def start_tool(folder: Path) -> Tool:
    from lmspack.tool import create_app

    url = f"sqlite:///{folder / 'screens.sqlite'}"
    store = Store.from_url(url)
    store.upgrade()
    server = ServerThread()
    app = create_app(
        {"database_url": url, "base_url": server.url, "course": str(COURSE),
         "secret_key": uuid.uuid4().hex, "http_timeout": 5},  # fmt: skip
        store_=store,
    )
    server.start(app)
    return Tool(url=server.url, app=app, store=store, server=server)


def spread_over_weeks(tool: Tool, days: int = 20) -> None:
    """The seeded completions all happened a moment ago: move them back over the last weeks,
    so the completion chart has a shape."""
    with tool.store.transaction() as s:
        ids = s.scalars(select_completed()).all()
        for i, attempt_id in enumerate(ids):
            when = utcnow() - timedelta(days=days - 6 * i)
            s.execute(update(Attempt).where(Attempt.id == attempt_id).values(completed_at=when))
            s.execute(
                update(Certificate)
                .where(Certificate.attempt_id == attempt_id)
                .values(issued_at=when + timedelta(days=1))
            )


def select_completed():
    from sqlalchemy import select

    return select(Attempt.id).where(Attempt.completed_at.is_not(None)).order_by(Attempt.id)


def high_contrast(browser, platform, screens, folder: Path) -> int:
    """The pages with charts in forced-colors mode (Windows high contrast), at 1280 px."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, forced_colors="active")
    page = ctx.new_page()
    found = 0
    for label in ("completion report", "outcomes report", "evaluation report"):
        frame = open_framed(page, platform, screens.admin[label])
        violations = axe_in_frame(frame)
        found += len(violations)
        fit_frame(page, frame)
        shot = folder / f"{label.replace(' ', '-')}-forced-colors-1280.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"{label} @1280px, forced colors: {len(violations)} axe violations  {shot}")
    ctx.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default="/tmp/screens/tool", type=Path)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per screen, not per request
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tool = start_tool(Path(tmp))
        platform = TestPlatform(tool.url)
        tool.register(platform)
        try:
            screens = seed(tool, platform)
            spread_over_weeks(tool)
            total = 0
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for width in WIDTHS:
                    ctx = browser.new_context(viewport={"width": width, "height": 800})
                    ctx.set_default_timeout(15_000)
                    page = ctx.new_page()
                    for label, url in screens.pages.items():
                        frame = open_framed(page, platform, url)
                        found = axe_in_frame(frame)
                        total += len(found)
                        fit_frame(page, frame)
                        name = label.replace(" ", "-").replace("(", "").replace(")", "")
                        shot = args.folder / f"{name}-{width}.png"
                        page.screenshot(path=str(shot), full_page=True)
                        print(f"{label} @{width}px: {len(found)} axe violations  {shot}")
                        for v in found:
                            print(f"    {v}")
                    ctx.close()
                total += high_contrast(browser, platform, screens, args.folder)
                browser.close()
        finally:
            platform.stop()
            tool.server.stop()
            tool.app.extensions["lmspack.grades"].stop()
            tool.store.dispose()
    print(f"total axe violations: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
