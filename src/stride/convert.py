"""Source files to documents and HTML bodies: parsing and converting, in whichever process.

A full build spreads this over every core (incremental.read_sources). A rebuild after a few
edits starts it in a forked child as soon as the walk has found the edited files
(start_converting_edits): the child loads the YAML and Markdown libraries and converts while
the build loads Jinja and the cache, the two halves of the time such a rebuild takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .content import Document, parse_document
from .errors import BuildError, Problem
from .parallel import Pending, start_in_child
from .sources import UNREADABLE_HINT, SourceFile

if TYPE_CHECKING:
    from .body import RenderedBody
    from .cache import LastBuild
    from .markdown import BodyConverter

# Fewer files than this are not worth spreading over cores: a body takes a few ms to convert.
PARALLEL_MIN_BODIES = 24

Outcome = tuple[Document | None, "RenderedBody | None", list[Problem]]
# Outcomes by source path and digest: a file converted early, as it was then.
Converted = dict[tuple[str, str], Outcome]


class ParseAndConvert:
    """Files to documents and HTML, a run at a time; each process builds its converter once
    (~10 ms), on the first file that parses, and keeps it for its later runs."""

    def __init__(self) -> None:
        self._converter: BodyConverter | None = None

    def __call__(self, run: Sequence[SourceFile]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for source in run:
            try:
                document, problems = parse_document(source)
            except OSError as error:  # trusted by its status, but gone or unreadable since
                message = f"file cannot be read: {error.strerror}"
                problem = Problem(source.source, 1, 1, message, UNREADABLE_HINT)
                outcomes.append((None, None, [problem]))
                continue
            body = None
            if document is not None:
                if self._converter is None:
                    # Imported here: a build that converts nothing never loads Python-Markdown.
                    from .markdown import BodyConverter

                    self._converter = BodyConverter()
                try:
                    body = self._converter.convert(document.source, document.body)
                except BuildError as error:  # too slow or too deeply nested to convert
                    problems = list(error.problems)
            outcomes.append((document, body, problems))
        return outcomes


class EarlyConversion:
    """The edited files' outcomes, being made in a child process since the walk."""

    def __init__(self, sources: Sequence[SourceFile]) -> None:
        self._keys = [(source.source, source.digest) for source in sources]
        self._pending: Pending[Outcome] | None = start_in_child(ParseAndConvert(), sources)

    def outcomes(self) -> Converted:
        """Waits for the child; raises what it raised."""
        if self._pending is None:
            return {}
        outcomes, self._pending = self._pending.results(), None
        return dict(zip(self._keys, outcomes, strict=True))

    def close(self) -> None:
        """Stops the child if its outcomes were not wanted (the build failed before)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


def start_converting_edits(
    sources: Sequence[SourceFile], last: LastBuild
) -> EarlyConversion | None:
    """The conversion of the files edited since the last build, started, when they are few
    enough for one process."""
    recorded = {path: digest for path, _, digest in last.sources}
    edited = [source for source in sources if recorded.get(source.source) != source.digest]
    if not edited or len(edited) >= PARALLEL_MIN_BODIES:
        return None
    return EarlyConversion(edited)
