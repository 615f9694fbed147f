"""The last build's pages, with edits of their layouts' texts spliced in (see literals.py).

The build finds which templates changed by comparing every template's source with the last
build's, and literals.text_edits tells which of those changes are texts alone. The pages that
read nothing else that changed are made here from the last build's output, on every core, and
audited again like any rendered page (a new text may break the CSP as a new template would).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .assets import Assets
from .audit import audit_page, audit_spliced
from .cache import CachedPage, Positions, Read, Reads
from .errors import Problem
from .literals import TextEdit, splice
from .model import Page, Site
from .output import OutputFile, StagedFile, Staging, suffix
from .parallel import map_in_shares
from .render import TEMPLATE_EXTENSIONS, Environment

Spliced = tuple[OutputFile | StagedFile, CachedPage, list[Problem]]
# What a worker sends back for a page: its bytes (None once staged), their hash, its
# positions, its reads, what the audit found, and whether the page is clear (CachedPage).
_Made = tuple[bytes | None, str, bytes, Reads, list[Problem], bool]


def template_sources(env: Environment) -> dict[str, str]:
    """Every template's source, by name: the next build compares its own with them. Empty
    when the templates folder holds other files, which a template might include."""
    names = env.list_templates()
    endings = tuple(f".{ext}" for ext in TEMPLATE_EXTENSIONS)
    if not all(name.endswith(endings) for name in names):
        return {}
    assert env.loader is not None
    return {name: env.loader.get_source(env, name)[0] for name in names}


def splice_pages(
    assets: Assets,
    site: Site,
    pages: Sequence[tuple[Page, CachedPage]],
    edits: Mapping[str, TextEdit],
    previous: tuple[Callable[[str], bytes | None], Staging | None, int],
) -> list[Spliced | None]:
    """Each page (with its record) made from the last build's output: the bytes, the record
    for the next build, and what the audit found; None for a page whose texts are not where
    it recorded them. `previous` reads a file of the last output, gives the staging folder
    each page that passed its audit is put in, and says how many processes to spread the
    work over."""
    read_previous, staging, workers = previous
    page_assets = [
        OutputFile(f.output, f.data) for f in assets.files if suffix(f.output) in (".css", ".js")
    ]
    budget = site.config.page_weight_budget_kb

    swapped: dict[tuple[Read, str], tuple[Read, str]] = {
        (("template", name), edit.before): (("template", name), edit.after)
        for name, edit in edits.items()
    }

    # Plain values, not dataclasses, come back from the workers: they unpickle several times
    # faster, and the page and its record are here already. The reads go back too: their
    # pairs are shared between pages, so each crosses once and then as a reference.
    def splice_share(share: Sequence[tuple[Page, CachedPage]]) -> list[_Made | None]:
        spliced: list[_Made | None] = []
        for page, cached in share:
            # Its bytes are as recorded: the output's manifest says so (like a kept page's).
            data = read_previous(page.route.output)
            done = None
            # The page's own template has no positions (literals.positions).
            if data is not None and page.template not in edits:
                done = splice(data, cached.positions, edits)
            if done is None:
                spliced.append(None)
                continue
            output_file = OutputFile(page.route.output, done[0])
            if cached.clear:  # the spliced-into page was clear: look around the new texts
                problems, clear = audit_spliced(output_file, done[2], page_assets, budget)
            else:
                problems, clear = audit_page(output_file, page_assets, budget)
            # The edited templates' reads with their new digest; checking the kind first
            # spares hashing every other read (a tuple's hash is never kept).
            reads = tuple(
                [
                    swapped.get(pair, pair) if pair[0][0] == "template" else pair
                    for pair in cached.reads
                ]
            )
            kept_bytes: bytes | None = done[0]
            if staging is not None and not problems:
                staging.put(output_file)
                kept_bytes = None
            made = (kept_bytes, output_file.sha256, done[1].packed, reads, problems, clear)
            spliced.append(made)
        return spliced

    made: list[Spliced | None] = []
    for (page, cached), done in zip(
        pages, map_in_shares(splice_share, pages, workers=workers), strict=True
    ):
        if done is None:
            made.append(None)
            continue
        data, sha256, packed, reads, problems, clear = done
        record_next = CachedPage(
            cached.fingerprint,
            reads,
            cached.entry_reads,
            cached.entries,
            sha256,
            Positions(cached.positions.templates, packed),
            clear,
        )
        path = page.route.output
        staged = StagedFile(path, sha256) if data is None else OutputFile(path, data, sha256)
        made.append((staged, record_next, problems))
    return made
