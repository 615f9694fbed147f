"""The build, top to bottom: read and link the whole site, then render and write it.

The order matters: tags, listings, related entries, backlinks and link checks need every
document, so nothing is rendered until the whole site is read, validated and linked.
"""

from __future__ import annotations

import datetime
import logging
import os
import time
from dataclasses import dataclass

from .assets import collect_assets
from .cache import BuildCache, LastBuild, load_cache, save_cache
from .config import ProjectPaths, SiteConfig, load_config
from .content import parse_documents, walk_sources
from .errors import BuildError, Problem
from .incremental import (
    convert_bodies,
    inputs_digest,
    manifest_digest,
    next_publication,
    previous_output,
    render_changed,
    unchanged_build,
)
from .model import BuildOptions, Site, build_site
from .output import Changes, DiskOutput, MemoryOutput, OutputFile
from .render import check_templates, make_environment
from .seo import search_warnings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildResult:
    site: Site | None  # None when nothing changed since the last build, so nothing was built
    files: tuple[OutputFile, ...]  # () when nothing was built
    changes: Changes | None  # None when nothing was written (check mode)
    warnings: tuple[Problem, ...]
    seconds: float
    config: SiteConfig
    unchanged: LastBuild | None = None  # the last build, when this one found nothing to do


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
) -> BuildResult:
    """Build the site; raise BuildError listing every problem, leaving the output untouched.

    With a cache folder (paths.cache), unchanged files are not parsed or converted again and
    pages whose inputs did not change are not rendered again; the output is the same.
    """
    started = time.perf_counter()
    config = load_config(paths.settings)
    sources, problems = walk_sources(paths.content)
    inputs = inputs_digest(paths, options, sources)
    last = None if problems else unchanged_build(paths, options, inputs, output)
    if last is not None:
        warnings = tuple(Problem(*warning) for warning in last.warnings)
        seconds = time.perf_counter() - started
        return BuildResult(None, (), Changes((), (), ()), warnings, seconds, config, last)
    cache = load_cache(paths.cache)

    # Phase one: read, validate and link everything.
    documents, found = parse_documents(sources, cache.documents)
    problems += found
    bodies = convert_bodies(documents, cache)
    assets, asset_problems = collect_assets(paths.static)
    env = make_environment(paths.templates, paths.cache / "templates" if paths.cache else None)
    problems += asset_problems + check_templates(env)
    if problems:
        raise BuildError(problems)
    site, problems = build_site(
        config, documents, bodies, options, assets.public_urls, frozenset(assets.image_sizes)
    )
    if site is None:
        raise BuildError(problems)

    # Phase two: render (or reuse) every page, then write the whole site at once.
    rendered = render_changed(site, assets, env, cache, previous_output(output))
    if rendered.problems:
        raise BuildError(rendered.problems)
    warnings = tuple(search_warnings(documents))
    changes = output.write(rendered.files) if output is not None else None
    if output is not None:
        last_build = None
        if isinstance(output, DiskOutput):
            last_build = LastBuild(
                inputs,
                manifest_digest(output.read_manifest()),
                next_publication(documents, options),
                tuple(_fields(warning) for warning in warnings),
                len(rendered.files),
                sum(1 for f in rendered.files if f.path.suffix == ".html"),
            )
        cache_next = BuildCache(
            {(doc.source, doc.digest): doc for doc in documents},
            {(doc.source, doc.digest): bodies[doc.source] for doc in documents},
            rendered.pages,
            rendered.entries,
            last_build,
        )
        save_cache(paths.cache, cache_next)
    logger.debug("rendered %d of %d pages", rendered.rendered, len(site.pages))
    seconds = time.perf_counter() - started
    return BuildResult(site, tuple(rendered.files), changes, warnings, seconds, config)


def _fields(problem: Problem) -> tuple[str, int, int, str, str]:
    return (problem.path, problem.line, problem.column, problem.message, problem.hint)


def describe(config: SiteConfig, result: BuildResult) -> str:
    if result.unchanged is not None:
        return (
            f"{config.title}: nothing changed since the last build "
            f"({result.unchanged.pages} pages, {result.unchanged.files} files, "
            f"checked in {result.seconds:.2f} s)"
        )
    pages = sum(1 for f in result.files if f.path.suffix == ".html")
    text = f"{config.title}: {pages} pages, {len(result.files)} files in {result.seconds:.2f} s"
    if result.changes is not None:
        text += f" ({result.changes.summary()})"
    return text
