"""The dev server: build, serve on 127.0.0.1, rebuild when changes settle, reload the browser.

The only importer of livereload. A failed rebuild keeps the last good site on disk (the writer
never touches it) and the browser shows the error report as an overlay until a build succeeds.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from livereload import Server
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado import ioloop, web

from .cache import BuildCache, save_cache
from .config import BuildOptions, ProjectPaths, load_config
from .errors import BuildError, OutputError, report_of
from .output import DiskOutput
from .pipeline import build, describe
from .preview import LastSite, preview_page

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 0.15  # rapid saves within this window give one rebuild
# After a preview, the full rebuild waits this long so the browser's reload is answered first
# (the rebuild holds the server's one thread while it runs).
FULL_REBUILD_AFTER_PREVIEW_SECONDS = 0.3
POLL_MILLISECONDS = 50
OVERLAY_TAG = b'<script src="/__stride/overlay.js" defer></script>'


@dataclass
class BuildState:
    """What the browser overlay shows: the last build's error report, or nothing."""

    report: str = ""
    builds: int = 0
    pending: Any = field(default=None)
    # The build cache, kept in memory between rebuilds: loading and saving it would cost more
    # than the rebuild. It is saved to the cache folder when the server stops.
    cache: BuildCache | None = None
    last_site: LastSite | None = None  # the last good build, for fast previews (preview.py)
    saved: set[str] = field(default_factory=set)  # files saved since the last rebuild


class _PollingWatcher(Watcher):  # type: ignore[misc]
    """livereload's watcher, polled often enough that a save shows in well under a second."""

    def start(self, callback: Any) -> bool:
        ioloop.PeriodicCallback(callback, POLL_MILLISECONDS).start()
        return True


class _PageHandler(StaticFileHandler):  # type: ignore[misc]
    """Serves the output folder, adding the overlay script to HTML and the site's 404 page."""

    @classmethod
    def get_content(cls, abspath: str, start: int | None = None, end: int | None = None) -> Any:
        if not abspath.endswith(".html"):
            return super().get_content(abspath, start, end)
        data = Path(abspath).read_bytes()
        return data.replace(b"</head>", OVERLAY_TAG + b"</head>", 1)

    def get_content_size(self) -> int:
        size: int = super().get_content_size()
        return size + len(OVERLAY_TAG) if str(self.absolute_path).endswith(".html") else size

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        page = Path(self.root) / "404.html"
        if status_code == 404 and page.is_file():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(page.read_bytes().replace(b"</head>", OVERLAY_TAG + b"</head>", 1))
            return
        super().write_error(status_code, **kwargs)


class _StatusHandler(web.RequestHandler):
    def initialize(self, state: BuildState) -> None:
        self.state = state

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"report": self.state.report, "builds": self.state.builds}))


class _OverlayScriptHandler(web.RequestHandler):
    def get(self) -> None:
        script = resources.files("stride.devtools").joinpath("overlay.js").read_bytes()
        self.set_header("Content-Type", "application/javascript")
        self.finish(script)


class _Server(Server):  # type: ignore[misc]
    def __init__(self, state: BuildState) -> None:
        super().__init__(watcher=_PollingWatcher())
        self.state = state

    def get_web_handlers(self, script: Any) -> list[Any]:
        return [
            (r"/__stride/status", _StatusHandler, {"state": self.state}),
            (r"/__stride/overlay\.js", _OverlayScriptHandler),
            (r"/(.*)", _PageHandler, {"path": self.root, "default_filename": "index.html"}),
        ]


def _show_preview(
    state: BuildState, saved: set[str], output: DiskOutput, options: BuildOptions
) -> bool:
    """Show one saved entry's page at once, when the last build was good (see preview.py)."""
    if state.last_site is None or state.report or len(saved) != 1:
        return False
    changed_file = Path(next(iter(saved)))
    if changed_file.suffix != ".md":
        return False
    page = preview_page(state.last_site, changed_file, options)
    if page is None:
        return False
    try:
        output.replace_one(page)
    except (OutputError, OSError):
        return False
    logger.info("Previewed %s; rebuilding the rest", page.path)
    LiveReloadHandler.reload_waiters("*")
    return True


def serve(paths: ProjectPaths, options: BuildOptions, host: str, port: int) -> None:
    state = BuildState()
    output = DiskOutput(paths.output)

    def rebuild(reload_browsers: bool = True) -> None:
        state.pending = None
        saved, state.saved = state.saved, set()
        if reload_browsers and _show_preview(state, saved, output, options):
            loop = ioloop.IOLoop.current()
            state.pending = loop.call_later(FULL_REBUILD_AFTER_PREVIEW_SECONDS, rebuild)
            return
        try:
            result = build(paths, options, output, state.cache)
        except (BuildError, OutputError, OSError) as error:  # shown until a build succeeds
            state.report = report_of(error)
            logger.error("%s", state.report)
        else:
            state.report = ""
            state.cache = result.cache or state.cache
            if result.site is not None and result.renderer is not None:
                state.last_site = LastSite(result.site, *result.renderer, paths.content)
            logger.info("%s", describe(load_config(paths.settings), result))
        state.builds += 1
        if reload_browsers:
            LiveReloadHandler.reload_waiters("*")

    def changed() -> None:
        if server.watcher.filepath:
            state.saved.add(str(server.watcher.filepath))
        loop = ioloop.IOLoop.current()
        if state.pending is not None:
            loop.remove_timeout(state.pending)
        state.pending = loop.call_later(SETTLE_SECONDS, rebuild)

    rebuild(reload_browsers=False)  # no browser can be connected before the server starts
    paths.output.mkdir(parents=True, exist_ok=True)  # serve even if the first build failed
    server = _Server(state)
    for watched in (paths.content, paths.templates, paths.static, paths.settings):
        if watched.exists():
            server.watch(str(watched), changed, delay="forever")
    logger.info("Serving %s on http://%s:%d/ (Ctrl+C to stop)", paths.output, host, port)
    try:
        server.serve(port=port, host=host, root=str(paths.output), restart_delay=0)
    finally:
        if state.cache is not None:
            save_cache(paths.cache, state.cache)
