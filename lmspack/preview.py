"""`lmspack preview`: serve the rendered site from memory and follow the author's edits.

A watcher rebuilds the site whenever a source or theme file changes. The page the browser
has open listens on a server-sent event stream (/__lmspack/events): after a good build it
reloads itself; while the source has problems it keeps the last good build on screen with
the problems over it (file:line, message, hint), until a fix makes it reload.
The script that does this (preview_live.js) is added to index.html here, as it is served;
the Site, and so every package, never contains it.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from .course import CourseError
from .course import load_course as _load_course
from .course.errors import Problem
from .course.report import problem_dict
from .render import Site, default_theme, render_site, theme_for

LIVE = "/__lmspack/"  # the preview's own paths; a course's files never start with "__"
LIVE_SCRIPT = (Path(__file__).resolve().parent / "preview_live.js").read_bytes()
POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0


class Watcher:
    """The last good Site and the current problems, rebuilt when any watched file changes.
    `build` counts good builds (with this process's start time, so a restarted preview
    makes open pages reload); `changed` wakes the event streams."""

    def __init__(self, course_dir: Path, echo=click.echo):
        self.course_dir = course_dir
        self.echo = echo
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.stamp: tuple = ()
        self.site: Site | None = None
        self.problems: list[dict] = []
        self.boot = f"{time.time_ns():x}"
        self.good = 0

    @property
    def build(self) -> str:
        return f"{self.boot}-{self.good}"

    def _stamp(self) -> tuple:
        roots = dict.fromkeys([self.course_dir, theme_for(self.course_dir), default_theme()])
        entries = []
        for root in roots:
            for path in sorted(root.rglob("*")):
                try:
                    st = path.stat()
                except OSError:  # removed while we looked
                    continue
                if path.is_file():
                    entries.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(entries)

    def refresh(self) -> None:
        """Rebuild if anything changed since the last look."""
        with self.lock:
            stamp = self._stamp()
            if stamp == self.stamp:
                return
            self.stamp = stamp
            try:
                course = _load_course(self.course_dir)
                site = render_site(course, "local", theme=theme_for(self.course_dir))
            except CourseError as exc:
                self.problems = [problem_dict(p, self.course_dir) for p in exc.problems]
            except Exception as exc:  # a bug must not stop the preview; say what happened
                why = f"lmspack could not build the preview: {type(exc).__name__}: {exc}"
                self.problems = [problem_dict(Problem(str(self.course_dir), 0, "", why), Path())]
            else:
                self.site, self.problems = site, []
                self.good += 1
            self._report()
            self.changed.notify_all()

    def _report(self) -> None:
        if not self.problems:
            self.echo(f"{time.strftime('%H:%M:%S')} rebuilt: open pages reload")
            return
        n = len(self.problems)
        self.echo(f"{time.strftime('%H:%M:%S')} {n} problem{'s' if n != 1 else ''}:")
        for p in self.problems:
            where = f"{p['file']}:{p['line']}" if p["line"] else p["file"]
            self.echo(f"  {where}: {p['field'] + ': ' if p['field'] else ''}{p['message']}")

    def state(self) -> dict:
        return {"build": self.build, "problems": self.problems}

    def wait(self, seen: dict, timeout: float) -> dict:
        """The state once it differs from `seen` (or after `timeout`)."""
        with self.changed:
            self.changed.wait_for(lambda: self.state() != seen, timeout)
            return self.state()

    def watch(self, stop: threading.Event) -> None:
        while not stop.wait(POLL_SECONDS):
            self.refresh()


def with_live_script(html: bytes, state: dict) -> bytes:
    """index.html with the state and the live script before </body>."""
    data = json.dumps(state).replace("<", "\\u003c").encode()
    tag = (
        b'<script type="application/json" id="lmspack-preview-state">' + data + b"</script>\n"
        b'<script src="' + LIVE.encode() + b'live.js"></script>\n'
    )
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


NO_BUILD = b"""<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Course preview: the source has problems</title>
<body><main><h1>Course preview</h1><p>The course source has problems, so there is nothing
to show yet. They are listed here; this page updates when you save a fix.</p></main></body>
</html>
"""


def make_handler(watcher: Watcher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == LIVE + "events":
                return self._events()
            if path == LIVE + "live.js":
                return self._send(200, LIVE_SCRIPT, "text/javascript")
            watcher.refresh()
            with watcher.lock:
                site, state = watcher.site, watcher.state()
            name = path.lstrip("/") or "index.html"
            if name == "index.html":
                html = site["index.html"] if site is not None else NO_BUILD
                self._send(200, with_live_script(html, state), "text/html")
            elif site is not None and name in site:
                ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
                self._send(200, site[name], ctype)
            else:
                self._send(404, b"Not found", "text/plain")

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen: dict = {}
            try:
                while True:
                    state = watcher.wait(seen, KEEPALIVE_SECONDS)
                    if state == seen:
                        self.wfile.write(b": still here\n\n")
                    else:
                        self.wfile.write(b"data: " + json.dumps(state).encode() + b"\n\n")
                        seen = state
                    self.wfile.flush()
            except OSError:  # the page went away
                pass

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            if ctype.startswith("text/") or ctype.endswith("javascript"):
                ctype += "; charset=utf-8"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt: str, *args: object) -> None:
            pass

    return Handler


def serve(course_dir: Path, host: str, port: int) -> None:
    watcher = Watcher(course_dir)
    try:
        server = ThreadingHTTPServer((host, port), make_handler(watcher))
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} "
            f"(is another preview or server using it? choose another with --port)"
        ) from None
    server.daemon_threads = True
    click.echo(f"Previewing {course_dir} at http://{host}:{port}/ (local adapter; Ctrl+C to stop)")
    click.echo("Saving a file reloads the open page; problems show over the last good build.")
    watcher.refresh()
    stop = threading.Event()
    threading.Thread(target=watcher.watch, args=(stop,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
