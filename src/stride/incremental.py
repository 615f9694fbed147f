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
from .audit import audit_page
from .body import RenderedBody
from .cache import (
    BuildCache,
    CachedPage,
    LastBuild,
    Positions,
    Reads,
)
from .config import BuildOptions
from .content import Document
from .convert import PARALLEL_MIN_BODIES, Converted, ParseAndConvert
from .errors import Problem
from .layout_edits import splice_pages, template_sources
from .literals import TemplateLinks, TextEdit, text_edits
from .model import Entry, Page, Site, is_published
from .output import DiskOutput, KeptFile, MemoryOutput, OutputFile, Staging, Written, suffix
from .parallel import map_in_shares, worker_count
from .render import Environment, render_pages, unique_problems
from .reuse import Recorder, SiteReader, digest, entry_digest, page_fingerprint
from .sources import SourceFile

# A page takes a few milliseconds to render and audit; fewer than this are not worth a fork.
PARALLEL_MIN_PAGES = 64

# What becomes of a page of the last build (see _check_pages).
KEEP, SPLICE, RENDER = "keep", "splice", "render"


@dataclass(frozen=True, slots=True)
class RenderedSite:
    files: list[Written]  # every page, rendered now or reused
    pages: dict[str, CachedPage]  # for the next build, by output path
    entries: dict[str, str]  # entry URL -> digest, for the next build
    problems: list[Problem]
    rendered: int  # how many pages were rendered rather than reused
    spliced: int  # how many were the last build's with edited template texts spliced in
    templates: dict[str, str]  # every template's source, by name, when pages were recorded
    template_links: dict[str, TemplateLinks | None]  # of those sources, as far as known


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One page rendered in a worker: its bytes (or where it staged them), what it read, what
    the audit found."""

    url: str
    file: Written | None
    reads: tuple[Reads, Reads, frozenset[str]] | None  # see SiteReader.record
    positions: Positions  # of the templates' texts in it (literals.py)
    problems: list[Problem]
    clear: bool  # see CachedPage.clear


def next_publication(documents: Sequence[Document], options: BuildOptions) -> datetime.date | None:
    """The day the first entry now hidden only by its future date appears."""
    due = [
        doc.meta.date
        for doc in documents
        if not is_published(doc, options)
        and is_published(doc, BuildOptions(options.include_drafts, True, options.today))
    ]
    return min(due, default=None)


@dataclass(frozen=True, slots=True)
class ReadSources:
    documents: list[Document]  # in the sources' order, without those that failed
    bodies: dict[str, RenderedBody]  # by source path
    problems: list[Problem]
    fresh: frozenset[str]  # source paths parsed now rather than taken from the cache


def read_sources(
    sources: Sequence[SourceFile], cache: BuildCache, early: Converted | None = None
) -> ReadSources:
    """Every file parsed, validated and converted; unchanged files come from the cache, and
    files converted early (convert.start_converting_edits) from `early`.

    Parsing and converting happen in one pass, on every core: each worker takes its share of
    the files from bytes to document and HTML, so nothing but the results crosses processes.
    """
    early = early or {}
    missing = [
        source
        for source in sources
        if (source.source, source.digest) not in cache.documents
        or (source.source, source.digest) not in cache.bodies
    ]
    fresh = {s.source: early[s.source, s.digest] for s in missing if (s.source, s.digest) in early}
    rest = [source for source in missing if source.source not in fresh]
    workers = worker_count() if len(rest) >= PARALLEL_MIN_BODIES else 1
    outcomes = map_in_shares(ParseAndConvert(), rest, workers=workers)
    fresh.update((source.source, outcome) for source, outcome in zip(rest, outcomes, strict=True))
    documents: list[Document] = []
    bodies: dict[str, RenderedBody] = {}
    problems: list[Problem] = []
    for source in sources:
        outcome = fresh.get(source.source)
        if outcome is None:
            key = (source.source, source.digest)
            documents.append(cache.documents[key])
            bodies[source.source] = cache.bodies[key]
            continue
        document, body, found = outcome
        problems += found
        if document is not None and body is not None:
            documents.append(document)
            bodies[source.source] = body
    return ReadSources(documents, bodies, problems, frozenset(fresh))


class PreviousOutput:
    """The last build's output as far as this build can trust it."""

    def __init__(
        self, output: DiskOutput | MemoryOutput | None, staging: Staging | None = None
    ) -> None:
        self._output = output
        # The staging folder read the output's manifest when it opened: not parsed twice.
        manifest = staging.output_manifest if staging is not None else None
        if manifest is None and isinstance(output, DiskOutput):
            manifest = output.read_manifest()
        self._manifest = manifest or {}
        self._folder = str(output.folder) if isinstance(output, DiskOutput) else ""

    def sha256(self, path: str) -> str | None:
        """The SHA-256 of a file of the output, if it is still there.

        On disk this is what the output's manifest records: the output folder is Stride's own,
        and reading every file back to hash it would cost more than the rest of a small rebuild.
        """
        if isinstance(self._output, DiskOutput):
            # A plain path string: pathlib costs more than the stat for thousands of files.
            exists = os.path.isfile(os.path.join(self._folder, path))  # noqa: PTH113, PTH118
            return self._manifest.get(path) if exists else None
        data = self.data(path)
        return None if data is None else hashlib.sha256(data).hexdigest()

    def data(self, path: str) -> bytes | None:
        """A file's bytes, if it is there."""
        if isinstance(self._output, MemoryOutput):
            return self._output.files.get(path)
        if isinstance(self._output, DiskOutput):
            try:
                with open(os.path.join(self._folder, path), "rb") as file:  # noqa: PTH118, PTH123
                    return file.read()
            except OSError:
                return None
        return None


def render_changed(
    site: Site,
    assets: Assets,
    env: Environment,
    cache: BuildCache,
    previous: PreviousOutput,
    *,
    staging: Staging | None = None,
    record: bool = True,
    edited: frozenset[str] | None = None,
) -> RenderedSite:
    """Reuse every page whose reads still hold and whose bytes are still there; render the rest.

    With `staging`, each page made is put there by the process that made it once its audit
    passed (a page that failed it fails the build, which then discards the staging folder).

    Without `record` (a build that keeps no cache) nothing is checked or recorded: every page
    is simply rendered, which spares the cost of watching what each render reads. `edited`
    names the entries whose bodies alone changed when the site is the last build's, patched
    (patch.py): then only reads of those entries and of templates need checking.
    """
    checks: list[tuple[str, str]] | None = None  # None: render every page
    entry_digests: Mapping[str, str] = {}
    templates, edits, links = _template_edits(env, cache, record=record)
    set_aside = {name: edit.before for name, edit in edits.items()}
    if record and edited is None:
        reader = SiteReader(site, _template_source(env), cache.entries)
        checks = _check_pages(site, assets, cache, reader, set_aside)
        entry_digests = reader.entries
    elif record and edited is not None:
        reader = SiteReader(site, _template_source(env))
        # The same sources as last time: no page's reads of templates need looking at.
        same = bool(templates) and templates == cache.templates
        checks = _check_after_edits(
            site, assets, cache, reader, (edited, set_aside), same_templates=same
        )
        by_url = {entry.url: entry for entry in site.entries if entry.url in edited}
        entry_digests = {**cache.entries, **{url: entry_digest(by_url[url]) for url in edited}}
    files: dict[str, Written] = {}
    pages: dict[str, CachedPage] = {}
    fresh: list[tuple[Page, str]] = []
    to_splice: list[tuple[Page, CachedPage]] = []
    for index, page in enumerate(site.pages):
        fingerprint, verdict = checks[index] if checks else ("", RENDER)
        output = page.route.output
        cached = cache.pages.get(output)
        if (
            verdict == RENDER
            or cached is None
            or not _still_there(cached, output, staging, previous)
        ):
            fresh.append((page, fingerprint))
        elif verdict == SPLICE:
            to_splice.append((page, cached))
        else:
            files[page.route.url] = KeptFile(page.route.output, cached.sha256)
            pages[output] = cached

    problems: list[Problem] = []
    workers = worker_count() if len(to_splice) >= PARALLEL_MIN_PAGES else 1
    spliced = splice_pages(assets, site, to_splice, edits, (previous.data, staging, workers))
    for (page, cached), made in zip(to_splice, spliced, strict=True):
        if made is None:  # its texts are not where it recorded them: rendered below
            fresh.append((page, cached.fingerprint))
            continue
        files[page.route.url], pages[page.route.output], audit_problems = made
        problems += audit_problems
    static: list[Written] = [OutputFile(f.output, f.data) for f in assets.files]
    outcomes = _render_pages(site, assets, env, [page for page, _ in fresh], staging, record=record)
    for (page, fingerprint), outcome in zip(fresh, outcomes, strict=True):
        problems += outcome.problems
        if outcome.file is None:
            continue
        files[page.route.url] = outcome.file
        if outcome.reads is not None:
            sha256 = outcome.file.sha256
            pages[page.route.output] = CachedPage(
                fingerprint, *outcome.reads, sha256, outcome.positions, outcome.clear
            )
    ordered = [files[page.route.url] for page in site.pages if page.route.url in files]
    return RenderedSite(
        ordered + static,
        pages,
        dict(entry_digests),
        unique_problems(problems),
        len(fresh),
        sum(1 for made in spliced if made is not None),
        templates,
        links,
    )


def _template_edits(
    env: Environment, cache: BuildCache, *, record: bool
) -> tuple[dict[str, str], dict[str, TextEdit], dict[str, TemplateLinks | None]]:
    """Every template's source, the edits of pure layouts' texts since the last build (see
    literals.py), and what is known of the templates' links."""
    templates = template_sources(env) if record else {}
    if not (record and cache.pages):
        return templates, {}, {}
    edits, links = text_edits(env, cache.templates, templates, cache.template_links)
    return templates, edits, links


def _still_there(
    cached: CachedPage, output: str, staging: Staging | None, previous: PreviousOutput
) -> bool:
    """Whether the last build's page is still there with its bytes: in the staging folder,
    which then needs nothing done, or else in the output, to link from."""
    if staging is not None and staging.staged.get(output) == cached.sha256:
        # Most pages when one file changed: the staging folder holds the output before last,
        # which had them too, and a set lookup spares a stat of each in the output.
        return True
    return previous.sha256(output) == cached.sha256


def _template_source(env: Environment) -> Callable[[str], str]:
    def source(name: str) -> str:
        assert env.loader is not None
        return env.loader.get_source(env, name)[0]

    return source


def _check_pages(
    site: Site, assets: Assets, cache: BuildCache, reader: SiteReader, spliced: Mapping[str, str]
) -> list[tuple[str, str]]:
    """Each page's fingerprint, and whether its cached copy still holds (KEEP), holds but for
    edits of templates' texts (SPLICE; `spliced` as for SiteReader.still_holds) or not
    (RENDER), on every core."""
    settings = _settings(site, assets)

    def check_share(share: Sequence[Page]) -> list[tuple[str, str]]:
        checked = []
        for page in share:
            fingerprint = page_fingerprint(page, settings)
            cached = cache.pages.get(page.route.output)
            verdict = RENDER
            if cached is not None and reader.still_holds(cached, fingerprint):
                verdict = KEEP
            elif (
                spliced
                and cached is not None
                and cached.positions.packed
                and reader.still_holds(cached, fingerprint, spliced)
            ):
                verdict = SPLICE
            checked.append((fingerprint, verdict))
        return checked

    workers = worker_count() if len(site.pages) >= PARALLEL_MIN_PAGES else 1
    return map_in_shares(check_share, site.pages, workers=workers)


def _settings(site: Site, assets: Assets) -> str:
    """What every page depends on besides what it reads: the settings and the static files."""
    return digest((site.config, dict(assets.urls), dict(assets.image_sizes)))


def _check_after_edits(
    site: Site,
    assets: Assets,
    cache: BuildCache,
    reader: SiteReader,
    edits: tuple[frozenset[str], Mapping[str, str]],
    *,
    same_templates: bool,
) -> list[tuple[str, str]]:
    """Like _check_pages, for a site patched with edited bodies: every page is the last build's
    page, so its fingerprint is as recorded, and only reads of templates and of the edited
    entries can give another value (see SiteReader.holds_after_edits)."""
    edited, spliced = edits
    changed = not same_templates
    checked = []
    for page in site.pages:
        cached = cache.pages.get(page.route.output)
        if cached is None:
            checked.append((page_fingerprint(page, _settings(site, assets)), RENDER))
            continue
        verdict = RENDER
        if reader.holds_after_edits(cached, edited, templates_changed=changed):
            verdict = KEEP
        elif (
            spliced
            and cached.positions.packed
            and reader.holds_after_edits(cached, edited, spliced)
        ):
            verdict = SPLICE
        checked.append((cached.fingerprint, verdict))
    return checked


def _render_pages(
    site: Site,
    assets: Assets,
    env: Environment,
    pages: Sequence[Page],
    staging: Staging | None,
    *,
    record: bool,
) -> list[_Outcome]:
    """Render and audit pages, on every core when there are enough, recording what each read,
    and put each one that passed in `staging`."""
    page_assets = [
        OutputFile(f.output, f.data) for f in assets.files if suffix(f.output) in (".css", ".js")
    ]

    # One reader per process, made on its first run: it shares what its pages read between them.
    readers: list[SiteReader] = []

    def render_share(share: Sequence[Page]) -> list[_Outcome]:
        if not readers:
            readers.append(SiteReader(site, _template_source(env)))
        reader = readers[0]
        outcomes = []
        for page in share:
            recorders: dict[str, Recorder] | None = {} if record else None
            rendered, problems = render_pages(site, assets, env, [page], recorders=recorders)
            recorder = recorders.get(page.route.url) if recorders is not None else None
            reads = reader.record(recorder) if recorder and not problems else None
            made: Written | None = None
            clear = False
            if rendered:
                budget = site.config.page_weight_budget_kb
                audit, clear = audit_page(rendered[0], page_assets, budget)
                problems += audit
                made = rendered[0] if staging is None or problems else staging.put(rendered[0])
            positions = recorder.positions if recorder is not None else Positions()
            outcomes.append(_Outcome(page.route.url, made, reads, positions, problems, clear))
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
    files: Sequence[Written],
    sources: tuple[Sequence[SourceFile], int],
    setup: str,
) -> LastBuild | None:
    """What the next build needs to tell that nothing changed; only output on disk can tell."""
    if not isinstance(output, DiskOutput):
        return None
    return LastBuild(
        inputs,
        output.manifest_digest(),
        next_publication(documents, options),
        tuple((w.path, w.line, w.column, w.message, w.hint) for w in warnings),
        len(files),
        sum(1 for f in files if suffix(f.path) == ".html"),
        tuple((f.source, f.status, f.digest) for f in sources[0]),
        sources[1],
        setup,
    )


def next_cache(
    documents: Sequence[Document],
    bodies: Mapping[str, RenderedBody],
    rendered: RenderedSite,
    last_build: LastBuild | None,
    previous: BuildCache,
    *,
    site: tuple[Site, Mapping[str, Entry] | None],
) -> BuildCache:
    """The cache for the next build: exactly this build's documents, bodies, site and pages.

    `site` is the linked site, with the entries patched into the last build's site, or None
    when it was linked anew."""
    linked, replaced = site
    patch = None
    if replaced is not None and previous.site_patch is not None:
        patch = {**previous.site_patch, **replaced}
    return BuildCache(
        {(doc.source, doc.digest): doc for doc in documents},
        {(doc.source, doc.digest): bodies[doc.source] for doc in documents},
        rendered.pages,
        rendered.entries,
        last_build,
        previous.stored,
        linked,
        patch,
        previous.stored_pages,
        previous.pages_base,
        rendered.templates or previous.templates,
        rendered.template_links if rendered.templates else previous.template_links,
    )
