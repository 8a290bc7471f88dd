"""Running the tool under gunicorn (production) or the Flask dev server (--dev)."""

from __future__ import annotations

import multiprocessing
import os

from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    return multiprocessing.cpu_count() * 2 + 1


class ToolServer(BaseApplication):
    """gunicorn with the app made by create_app() in each worker (no shared connections)."""

    def __init__(self, options: dict, config_overrides: dict | None = None):
        self.options = options
        self.config_overrides = config_overrides or {}
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self):
        from .app import create_app
        from .config import ToolConfig

        cfg = ToolConfig.load()
        for k, v in self.config_overrides.items():
            setattr(cfg, k, v)
        return create_app(cfg)


def run_gunicorn(
    bind: str, workers: int, threads: int = 1, overrides: dict | None = None, **options
) -> None:
    """Sync workers by default: on a 2-core machine they gave twice the launches per second
    of gthread (4 threads) with a p99 four times lower (bench/launch_bench.py)."""
    opts = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": options.pop("accesslog", "-"),
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',  # no query: no tokens
        "timeout": 60,
        "graceful_timeout": 20,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # gunicorn >= 24 opens a control socket at one fixed path per user; several tool
        # instances on a host would clash, and nothing here uses it.
        "control_socket_disable": True,
    }
    opts.update(options)
    ToolServer(opts, overrides).run()
