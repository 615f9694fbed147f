"""The error types every phase reports through, so a build can list all its problems at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One mistake in the site's sources, located as precisely as we can."""

    path: str
    line: int = 0
    column: int = 0
    message: str = ""
    hint: str = ""

    def format(self) -> str:
        # Always `path:line:column`, the shape editors and CI annotators jump to; a problem with
        # the whole file (empty, binary, a symlink) points at its start.
        where = f"{_one_line(self.path)}:{max(self.line, 1)}:{max(self.column, 1)}"
        text = f"{where}: {_one_line(self.message)}"
        if self.hint:
            text += f"\n    hint: {_one_line(self.hint)}"
        return text


def _one_line(text: str) -> str:
    """Quoted user text (a key, a tag, a link) shown escaped, so it cannot break a report line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class BuildError(Exception):
    """Raised when a build found problems in its inputs; carries every one of them."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        # Sorted by file, then line; a problem found twice (a YAML alias used nine times, a
        # template mistake on every page) is listed once.
        self.problems = tuple(sorted(set(problems)))
        super().__init__(self.report())

    def __reduce__(self) -> tuple[type[BuildError], tuple[tuple[Problem, ...]]]:
        # Rebuilt from its problems, not its message, when a worker process sends it back.
        return (BuildError, (self.problems,))

    def report(self) -> str:
        count = len(self.problems)
        noun = "error" if count == 1 else "errors"
        lines = [problem.format() for problem in self.problems]
        return "\n".join([*lines, f"{count} {noun}: the build was not written."])


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class OutputError(Exception):
    """The output folder cannot be written as asked; nothing was changed. Exit code 1."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def report(self) -> str:
        hint = f"\n    hint: {self.hint}" if self.hint else ""
        return f"error: {self.message}{hint}"


def report_of(error: BuildError | OutputError | OSError) -> str:
    """What the user sees for a build that stopped: the command line and the dev server agree."""
    if isinstance(error, OSError):
        # A file or folder vanished, is unreadable or the disk is full: name it.
        where = f"{error.filename}: " if error.filename else ""
        return f"error: {where}{error.strerror or error}"
    return error.report()


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    """A hint naming the closest known option, or listing them all when none is close."""
    import difflib

    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed: " + ", ".join(sorted(options))
