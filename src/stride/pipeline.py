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
from typing import TYPE_CHECKING

from .assets import Assets, collect_assets
from .audit import audit_pages
from .config import ProjectPaths, SiteConfig, load_config
from .content import Document, load_documents
from .errors import BuildError, Problem
from .markdown import BodyConverter, RenderedBody
from .model import BuildOptions, Site, build_site
from .output import Changes, DiskOutput, MemoryOutput, OutputFile
from .render import check_templates, make_environment, render_pages
from .seo import search_warnings

if TYPE_CHECKING:
    import jinja2

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildResult:
    site: Site
    files: tuple[OutputFile, ...]
    changes: Changes | None  # None when nothing was written (check mode)
    warnings: tuple[Problem, ...]
    seconds: float


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
    """Build the site; raise BuildError listing every problem, leaving the output untouched."""
    started = time.perf_counter()
    config = load_config(paths.settings)

    # Phase one: read, validate and link everything.
    documents, problems = load_documents(paths.content)
    bodies = convert_bodies(documents)
    assets, asset_problems = collect_assets(paths.static)
    env = make_environment(paths.templates)
    problems += asset_problems + check_templates(env)
    if problems:
        raise BuildError(problems)
    site, problems = build_site(
        config, documents, bodies, options, assets.public_urls, frozenset(assets.image_sizes)
    )
    if site is None:
        raise BuildError(problems)

    # Phase two: render every page, then write the whole site at once.
    files = render_site(site, assets, env)
    changes = output.write(files) if output is not None else None
    return BuildResult(
        site,
        tuple(files),
        changes,
        tuple(search_warnings(documents)),
        time.perf_counter() - started,
    )


def convert_bodies(documents: list[Document]) -> dict[str, RenderedBody]:
    converter = BodyConverter()
    return {doc.source: converter.convert(doc.source, doc.body) for doc in documents}


def render_site(site: Site, assets: Assets, env: jinja2.Environment) -> list[OutputFile]:
    pages, problems = render_pages(site, assets, env)
    if problems:
        raise BuildError(problems)
    static = [OutputFile(f.output, f.data) for f in assets.files]
    page_assets = [f for f in static if f.path.suffix in (".css", ".js")]
    audit_problems, _ = audit_pages(pages, page_assets, site.config.page_weight_budget_kb)
    if audit_problems:
        raise BuildError(audit_problems)
    return pages + static


def describe(config: SiteConfig, result: BuildResult) -> str:
    pages = sum(1 for f in result.files if f.path.suffix == ".html")
    text = f"{config.title}: {pages} pages, {len(result.files)} files in {result.seconds:.2f} s"
    if result.changes is not None:
        text += f" ({result.changes.summary()})"
    return text
