"""`lmspack preview`: serve the rendered site from memory, re-rendered when the source changes."""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from .course import CourseError, load_course
from .render import Site, render_site, theme_for


class _Cache:
    """Keeps the last good Site; re-renders when any source or theme file is newer."""

    def __init__(self, course_dir: Path):
        self.course_dir = course_dir
        self.theme = theme_for(course_dir)
        self.lock = threading.Lock()
        self.stamp = -1.0
        self.site: Site | None = None
        self.error = ""

    def _latest(self) -> float:
        paths = [*self.course_dir.rglob("*"), *self.theme.rglob("*")]
        return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)

    def get(self) -> tuple[Site | None, str]:
        with self.lock:
            stamp = self._latest()
            if stamp != self.stamp:
                self.stamp = stamp
                try:
                    self.site = render_site(load_course(self.course_dir), "local", theme=self.theme)
                    self.error = ""
                except CourseError as exc:
                    self.error = str(exc)
            return self.site, self.error


def serve(course_dir: Path, host: str, port: int) -> None:
    cache = _Cache(course_dir)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            site, error = cache.get()
            path = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/") or "index.html"
            if error:
                self._send(500, b"Course source has problems:\n\n" + error.encode(), "text/plain")
            elif site is not None and path in site:
                ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
                self._send(200, site[path], ctype)
            else:
                self._send(404, b"Not found", "text/plain")

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

    server = ThreadingHTTPServer((host, port), Handler)
    click.echo(f"Previewing {course_dir} at http://{host}:{port}/ (local adapter; Ctrl+C to stop)")
    click.echo("Edits to the source show on the next page load.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
