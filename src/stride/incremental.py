"""Doing only what changed: reused documents, bodies and pages, and spreading the rest over cores.

Every decision here is checked against what the last build recorded (cache.py, reuse.py), never
guessed from timestamps: inputs are compared by content, pages by what they read. So the output
of a warm build is byte-identical to a cold build of the same sources.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .assets import Assets
from .audit import audit_pages
from .cache import BuildCache, CachedPage, LastBuild, Reads, manifest_digest
from .config import BuildOptions
from .content import Document
from .errors import Problem
from .markdown import RenderedBody, convert_many
from .model import Page, Site, is_published
from .output import DiskOutput, MemoryOutput, OutputFile
from .parallel import map_in_shares, worker_count
from .render import Environment, render_pages, unique_problems
from .reuse import Recorder, SiteReader, digest, page_fingerprint
from .sources import SourceFile

# A page takes a few milliseconds to render and audit; fewer than this are not worth a fork.
PARALLEL_MIN_PAGES = 64


@dataclass(frozen=True, slots=True)
class RenderedSite:
    files: list[OutputFile]  # every page, rendered now or reused
    pages: dict[str, CachedPage]  # for the next build, by output path
    entries: dict[str, str]  # entry URL -> digest, for the next build
    problems: list[Problem]
    rendered: int  # how many pages were rendered rather than reused


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One page rendered in a worker: its bytes, what it read, what the audit found."""

    url: str
    file: OutputFile | None
    reads: tuple[Reads, Reads, frozenset[str]] | None  # see SiteReader.record
    problems: list[Problem]


def next_publication(documents: Sequence[Document], options: BuildOptions) -> datetime.date | None:
    """The day the first entry now hidden only by its future date appears."""
    due = [
        doc.meta.date
        for doc in documents
        if not is_published(doc, options)
        and is_published(doc, BuildOptions(options.include_drafts, True, options.today))
    ]
    return min(due, default=None)


def convert_bodies(documents: Sequence[Document], cache: BuildCache) -> dict[str, RenderedBody]:
    """Bodies of unchanged files come from the cache; the rest are converted, on every core."""
    missing = [doc for doc in documents if (doc.source, doc.digest) not in cache.bodies]
    converted = convert_many([(doc.source, doc.body) for doc in missing])
    fresh = {doc.source: body for doc, body in zip(missing, converted, strict=True)}
    return {
        doc.source: fresh.get(doc.source) or cache.bodies[(doc.source, doc.digest)]
        for doc in documents
    }


def previous_output(output: DiskOutput | MemoryOutput | None) -> Callable[[str], bytes | None]:
    """Reads a file of the last build's output; cached pages keep only its hash, not its bytes."""

    def from_disk(path: str) -> bytes | None:
        try:
            # A plain path string: pathlib costs more than the read for thousands of files.
            with open(os.path.join(folder, path), "rb") as file:  # noqa: PTH118, PTH123
                return file.read()
        except OSError:
            return None

    if isinstance(output, DiskOutput):
        folder = str(output.folder)
        return from_disk
    if isinstance(output, MemoryOutput):
        return output.files.get
    return lambda path: None


def render_changed(
    site: Site,
    assets: Assets,
    env: Environment,
    cache: BuildCache,
    previous: Callable[[str], bytes | None],
    *,
    record: bool = True,
) -> RenderedSite:
    """Reuse every page whose reads still hold and whose bytes are still there; render the rest.

    Without `record` (a build that keeps no cache) nothing is checked or recorded: every page
    is simply rendered, which spares the cost of watching what each render reads.
    """
    reader = SiteReader(site, _template_source(env), cache.entries)
    checks = _check_pages(site, assets, cache, reader) if record else None
    files: dict[str, OutputFile] = {}
    pages: dict[str, CachedPage] = {}
    fresh: list[tuple[Page, str]] = []
    for index, page in enumerate(site.pages):
        fingerprint, holds = checks[index] if checks else ("", False)
        cached = cache.pages.get(str(page.route.output))
        if holds and cached is not None:
            data = previous(str(page.route.output))
            if data is not None and hashlib.sha256(data).hexdigest() == cached.sha256:
                files[page.route.url] = OutputFile(page.route.output, data)
                pages[str(page.route.output)] = cached
                continue
        fresh.append((page, fingerprint))

    static = [OutputFile(f.output, f.data) for f in assets.files]
    outcomes = _render_pages(site, assets, env, [page for page, _ in fresh], record=record)
    problems: list[Problem] = []
    for (page, fingerprint), outcome in zip(fresh, outcomes, strict=True):
        problems += outcome.problems
        if outcome.file is None:
            continue
        files[page.route.url] = outcome.file
        if outcome.reads is not None:
            sha256 = hashlib.sha256(outcome.file.data).hexdigest()
            pages[str(page.route.output)] = CachedPage(fingerprint, *outcome.reads, sha256)
    ordered = [files[page.route.url] for page in site.pages if page.route.url in files]
    problems = unique_problems(problems)
    return RenderedSite(ordered + static, pages, reader.entries, problems, len(fresh))


def _template_source(env: Environment) -> Callable[[str], str]:
    def source(name: str) -> str:
        assert env.loader is not None
        return env.loader.get_source(env, name)[0]

    return source


def _check_pages(
    site: Site, assets: Assets, cache: BuildCache, reader: SiteReader
) -> list[tuple[str, bool]]:
    """Each page's fingerprint, and whether its cached copy still holds, on every core."""
    settings = digest((site.config, dict(assets.urls), dict(assets.image_sizes)))

    def check_share(share: Sequence[Page]) -> list[tuple[str, bool]]:
        checked = []
        for page in share:
            fingerprint = page_fingerprint(page, settings)
            cached = cache.pages.get(str(page.route.output))
            holds = cached is not None and reader.still_holds(cached, fingerprint)
            checked.append((fingerprint, holds))
        return checked

    workers = worker_count() if len(site.pages) >= PARALLEL_MIN_PAGES else 1
    return map_in_shares(check_share, site.pages, workers=workers)


def _render_pages(
    site: Site, assets: Assets, env: Environment, pages: Sequence[Page], *, record: bool
) -> list[_Outcome]:
    """Render and audit pages, on every core when there are enough, recording what each read."""
    page_assets = [
        OutputFile(f.output, f.data) for f in assets.files if f.output.suffix in (".css", ".js")
    ]

    def render_share(share: Sequence[Page]) -> list[_Outcome]:
        reader = SiteReader(site, _template_source(env))
        outcomes = []
        for page in share:
            recorders: dict[str, Recorder] | None = {} if record else None
            rendered, problems = render_pages(site, assets, env, [page], recorders=recorders)
            recorder = recorders.get(page.route.url) if recorders is not None else None
            reads = reader.record(recorder) if recorder and not problems else None
            if rendered:
                audit, _ = audit_pages(rendered, page_assets, site.config.page_weight_budget_kb)
                problems += audit
            outcomes.append(
                _Outcome(page.route.url, rendered[0] if rendered else None, reads, problems)
            )
        return outcomes

    workers = worker_count() if len(pages) >= PARALLEL_MIN_PAGES else 1
    return map_in_shares(render_share, pages, workers=workers)


def summarise(
    inputs: str,
    output: DiskOutput | MemoryOutput,
    documents: Sequence[Document],
    options: BuildOptions,
    *,
    warnings: Sequence[Problem],
    files: Sequence[OutputFile],
    sources: tuple[Sequence[SourceFile], int],
) -> LastBuild | None:
    """What the next build needs to tell that nothing changed; only output on disk can tell."""
    if not isinstance(output, DiskOutput):
        return None
    return LastBuild(
        inputs,
        manifest_digest(output.read_manifest()),
        next_publication(documents, options),
        tuple((w.path, w.line, w.column, w.message, w.hint) for w in warnings),
        len(files),
        sum(1 for f in files if f.path.suffix == ".html"),
        tuple((f.source, f.status, f.digest) for f in sources[0]),
        sources[1],
    )


def next_cache(
    documents: Sequence[Document],
    bodies: Mapping[str, RenderedBody],
    rendered: RenderedSite,
    last_build: LastBuild | None,
) -> BuildCache:
    """The cache for the next build: exactly this build's documents, bodies and pages."""
    return BuildCache(
        {(doc.source, doc.digest): doc for doc in documents},
        {(doc.source, doc.digest): bodies[doc.source] for doc in documents},
        rendered.pages,
        rendered.entries,
        last_build,
    )
