"""The build, top to bottom: read and link the whole site, then render and write it.

The order matters: tags, listings, related entries, backlinks and link checks need every
document, so nothing is rendered until the whole site is read, validated and linked.
"""

from __future__ import annotations

import datetime
import logging
import os
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cache import (
    BuildCache,
    CacheHeader,
    LastBuild,
    inputs_digest,
    load_cache,
    read_header,
    save_cache,
    setup_digest,
    unchanged_build,
)
from .config import ProjectPaths, SiteConfig, load_config
from .errors import BuildError, Problem
from .output import (
    Changes,
    DiskOutput,
    MemoryOutput,
    Staging,
    Written,
    shadowed_pages,
    suffix,
)
from .sources import SourceFile, walk_sources

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from .assets import Assets
    from .config import BuildOptions
    from .convert import Converted, EarlyConversion
    from .incremental import ReadSources, RenderedSite
    from .model import Entry, Site
    from .render import Environment

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildResult:
    site: Site | None  # None when nothing changed since the last build, so nothing was built
    files: tuple[Written, ...]  # () when nothing was built
    changes: Changes | None  # None when nothing was written (check mode)
    warnings: tuple[Problem, ...]
    seconds: float
    config: SiteConfig
    unchanged: LastBuild | None = None  # the last build, when this one found nothing to do
    cache: BuildCache | None = None  # for the next build, when the caller keeps it in memory
    renderer: tuple[Environment, Assets] | None = None  # what rendered it: the dev server's preview


def today_for_build() -> datetime.date:
    """'Now' for deciding what is future-dated; SOURCE_DATE_EPOCH pins it for reproducibility."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC).date()
    return datetime.datetime.now(tz=datetime.UTC).date()


def build(
    paths: ProjectPaths,
    options: BuildOptions,
    output: DiskOutput | MemoryOutput | None = None,
    kept: BuildCache | None = None,
) -> BuildResult:
    """Build the site; raise BuildError listing every problem, leaving the output untouched.

    With a cache folder (paths.cache), unchanged files are not parsed or converted again and
    pages whose inputs did not change are not rendered again; the output is the same. A caller
    that lives across builds (the dev server) passes the last result's cache as `kept`: the
    cache folder is then neither read nor written.
    """
    started = time.perf_counter()
    config = load_config(paths.settings)
    header = read_header(paths.cache) if kept is None else None
    last_build = kept.last_build if kept is not None else header.last_build if header else None
    sources, problems, walked_ns = _walk(paths, last_build if output is not None else None)
    setup = setup_digest(paths, options)
    inputs = inputs_digest(paths, setup, sources)
    last = None if problems else unchanged_build(last_build, options, inputs, output)
    if last is not None:
        warnings = tuple(Problem(*warning) for warning in last.warnings)
        seconds = time.perf_counter() - started
        return BuildResult(None, (), Changes((), (), ()), warnings, seconds, config, last, kept)
    lap = _Laps(started)
    early, kept_output = _start_children(paths, header if kept is None else None, sources, output)
    # Imported here, not above: a build with nothing to do never needs Jinja, Markdown & co.
    from .assets import collect_assets
    from .incremental import (
        PreviousOutput,
        next_cache,
        read_sources,
        render_changed,
        summarise,
    )
    from .render import check_templates, make_environment
    from .seo import search_warnings

    cache, converted = _load_cache(paths, header, kept, early)
    lap("read sources and cache")

    # Phase one: read, validate and link everything.
    read = read_sources(sources, cache, converted)
    documents, bodies = read.documents, read.bodies
    problems += read.problems
    lap("parse and convert Markdown")
    assets, asset_problems = collect_assets(paths.static)
    env = make_environment(paths.templates, paths.cache / "templates" if paths.cache else None)
    problems += asset_problems + check_templates(env)
    reusable = not problems and _site_reusable(cache, sources, setup, options)
    site, replaced = _link(config, read, options, assets, cache if reusable else None, problems)
    lap("link the site" if replaced is None else "reuse the linked site")

    # Phase two: render (or reuse) every page, then write the whole site at once. The pages
    # go into the output's staging folder as they are made, on every core; it is swapped in
    # only once every page is made and has passed its audit.
    record = output is not None and (kept is not None or paths.cache is not None)
    edited = None if replaced is None else frozenset(replaced)
    with _staging(output, kept_output) as staging:
        previous = PreviousOutput(output, staging)
        rendered = render_changed(
            site, assets, env, cache, previous, staging=staging, record=record, edited=edited
        )
        if rendered.problems:
            raise BuildError(rendered.problems)
        lap(_rendered_step(rendered, len(site.pages)))
        changes = None if output is None else output.finish(staging, rendered.files)
        lap("write")
    warnings = tuple(search_warnings(documents))
    cache_next = None
    if output is not None:
        summary = summarise(
            inputs,
            output,
            documents,
            options,
            warnings=warnings,
            files=rendered.files,
            sources=(sources, walked_ns),
            setup=setup,
        )
        cache_next = next_cache(documents, bodies, rendered, summary, cache, site=(site, replaced))
        if kept is None:
            save_cache(paths.cache, cache_next)
            lap("save cache")
    seconds = time.perf_counter() - started
    files = tuple(rendered.files)
    return BuildResult(
        site, files, changes, warnings, seconds, config, None, cache_next, (env, assets)
    )


def _link(  # noqa: PLR0917 (phase one's results, each named at the one call site)
    config: SiteConfig,
    read: ReadSources,
    options: BuildOptions,
    assets: Assets,
    last: BuildCache | None,
    problems: list[Problem],
) -> tuple[Site, Mapping[str, Entry] | None]:
    """The linked site, and the entries patched into the last build's site when that was
    enough (patch.py: `last` is given when its site may be reused); raise every problem."""
    from .model import build_site
    from .patch import patch_bodies

    if last is not None and last.site is not None:
        fresh = [doc for doc in read.documents if doc.source in read.fresh]
        edits = [(doc, read.bodies[doc.source]) for doc in fresh]
        patched = patch_bodies(last.site, edits, assets.public_urls, last.site_pending)
        if patched is not None:
            return patched.site, patched.replaced
    # The files that parsed are linked even when others did not, so one build reports every
    # mistake; nothing is judged against a file that failed (see build_site).
    site, site_problems = build_site(
        config,
        read.documents,
        read.bodies,
        options,
        assets.public_urls,
        frozenset(assets.image_sizes),
        broken=frozenset(problem.path for problem in problems),
    )
    pages = (page.route.output for page in (site.pages if site else ()))
    problems += site_problems + shadowed_pages(pages, (f.output for f in assets.files))
    if problems or site is None:
        raise BuildError(problems)
    return site, None


def _rendered_step(rendered: RenderedSite, pages: int) -> str:
    spliced = f" ({rendered.spliced} more with edited template text spliced in)"
    return f"render {rendered.rendered} of {pages} pages" + spliced * bool(rendered.spliced)


def _start_children(
    paths: ProjectPaths,
    header: CacheHeader | None,
    sources: list[SourceFile],
    output: DiskOutput | MemoryOutput | None,
) -> tuple[EarlyConversion | None, Path | None]:
    """Work for child processes, started before this one imports Jinja and loads the cache,
    which takes it as long: the conversion of the files edited since the last build whose
    cache is read from its folder (convert.py), and the listing of the output before last;
    where that output is."""
    early = None
    if header is not None and header.last_build is not None and output is not None:
        from .convert import start_converting_edits

        early = start_converting_edits(sources, header.last_build)
    return early, _start_listing_output_before_last(paths, output)


def _load_cache(
    paths: ProjectPaths,
    header: CacheHeader | None,
    kept: BuildCache | None,
    early: EarlyConversion | None,
) -> tuple[BuildCache, Converted | None]:
    """The last build's cache, and the edited files' outcomes from the child converting them."""
    try:
        cache = kept if kept is not None else load_cache(paths.cache, header)
        return cache, early.outcomes() if early is not None else None
    finally:
        if early is not None:
            early.close()  # only when the outcomes were not taken: stops the child


def _start_listing_output_before_last(
    paths: ProjectPaths, output: DiskOutput | MemoryOutput | None
) -> Path | None:
    """Start listing the output before last, which the cache keeps and staging starts from
    (DiskOutput.look_ahead); where it is."""
    if paths.cache is None:
        return None
    folder = paths.cache / "previous-output"
    if isinstance(output, DiskOutput):
        output.look_ahead(folder)
    return folder


def _staging(
    output: DiskOutput | MemoryOutput | None, previous: Path | None
) -> AbstractContextManager[Staging | None]:
    """The output's staging folder while the pages are made; None where there is none."""
    return nullcontext(None) if output is None else output.staging(previous)


def _site_reusable(
    cache: BuildCache, sources: list[SourceFile], setup: str, options: BuildOptions
) -> bool:
    """Whether the last build's site was linked from the same setup and the same files, each
    published as it was then: only then can edited bodies be patched into it."""
    last = cache.last_build
    if cache.site is None or last is None or last.setup != setup:
        return False
    if last.valid_until is not None and options.today >= last.valid_until:
        return False  # a future-dated entry is due
    if cache.site.entries and max(e.date for e in cache.site.entries) > options.today:
        return False  # the clock went back: an entry published then is future-dated now
    return [source.source for source in sources] == [path for path, _, _ in last.sources]


def _walk(
    paths: ProjectPaths, last_build: LastBuild | None
) -> tuple[list[SourceFile], list[Problem], int]:
    """The content files, and when the walk began; unchanged files the last build read are
    known by their status and not read again."""
    walked_ns = time.time_ns()
    sources, problems = walk_sources(
        paths.content, last_build.known_files() if last_build else None
    )
    return sources, problems, walked_ns


class _Laps:
    """Logs, at debug level, how long each step of a build took: where to look before optimising."""

    def __init__(self, started: float) -> None:
        self._last = started

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        logger.debug("%s: %.3f s", step, now - self._last)
        self._last = now


def describe(config: SiteConfig, result: BuildResult) -> str:
    if result.unchanged is not None:
        return (
            f"{config.title}: nothing changed since the last build "
            f"({result.unchanged.pages} pages, {result.unchanged.files} files, "
            f"checked in {result.seconds:.2f} s)"
        )
    pages = sum(1 for f in result.files if suffix(f.path) == ".html")
    text = f"{config.title}: {pages} pages, {len(result.files)} files in {result.seconds:.2f} s"
    if result.changes is not None:
        text += f" ({result.changes.summary()})"
    return text
