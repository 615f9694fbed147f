"""Command line: arguments, logging and exit codes.

0 ok, 1 mistakes in the site's sources or an output folder that cannot be written, 2 bad usage,
3 a bug in Stride itself. A user never sees a Python traceback unless STRIDE_DEBUG is set.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

from .config import BuildOptions, ProjectPaths
from .errors import BuildError, OutputError, UsageError, report_of

COMMANDS = ("build", "serve", "check", "new")
EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl+C
logger = logging.getLogger("stride")


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python build.py {command}",
        description={
            "build": "Build the site into the output folder.",
            "serve": "Build, serve on 127.0.0.1 and rebuild and reload on every change.",
            "check": "Validate content, links and templates; write nothing.",
            "new": "Write a new content file with every required field.",
        }[command],
    )
    if command == "new":
        parser.add_argument("type", help="article, exercise, recipe or athlete")
        parser.add_argument("title", help="the title; the file name is made from it")
    parser.add_argument("--content", type=Path, help="content folder (default: content/)")
    if command in ("build", "serve"):
        parser.add_argument("--out", type=Path, help="output folder (default: site/)")
    if command != "new":
        parser.add_argument("--drafts", action="store_true", help="include drafts")
        parser.add_argument("--future", action="store_true", help="include future-dated entries")
        parser.add_argument("--cache", type=Path, help="cache folder (default: .stride-cache/)")
        parser.add_argument("--no-cache", action="store_true", help="build cold, without cache")
    if command == "serve":
        parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    return parser


def run(root: Path | None = None) -> NoReturn:
    """The command line as build.py runs it: main(), then the process ends at once.

    Everything a command writes is closed and in place when main() returns, and its child
    processes are reaped. What interpreter shutdown would still do is free the site model and
    the cache object by object: 0.05 s of a one-edit rebuild of 4,000 articles, and 0.3 s
    after a cold build, that nobody waits for on purpose.
    """
    code = main(root=root)
    logging.shutdown()  # flushes the handlers
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe or stream: nothing more can reach it.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: list[str] | None = None, root: Path | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = "build"
    if args_list and args_list[0] in COMMANDS:
        command = args_list.pop(0)
    elif args_list and not args_list[0].startswith("-"):
        print(
            f"unknown command '{args_list[0]}'; use one of: {', '.join(COMMANDS)}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        args = _parser(command).parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.ERROR if args.quiet else logging.INFO, format="%(message)s", stream=sys.stderr
    )
    project = (root or Path.cwd()).absolute()
    try:
        return _run(command, args, project)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (BuildError, OutputError, OSError) as error:
        print(report_of(error), file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        if command != "serve":  # Ctrl+C is how the dev server is stopped
            print("interrupted: the output folder was not changed", file=sys.stderr)
        return EXIT_OK if command == "serve" else EXIT_INTERRUPTED
    except Exception as error:
        if os.environ.get("STRIDE_DEBUG"):
            raise
        print(
            f"internal error: {type(error).__name__}: {error}\n"
            "    hint: this is a bug in Stride, not a mistake in your site; "
            "run again with STRIDE_DEBUG=1 to see the traceback, and report it",
            file=sys.stderr,
        )
        return EXIT_BUG


def _paths(args: argparse.Namespace, project: Path, command: str) -> ProjectPaths:
    cache: Path | None = project / ".stride-cache"
    if getattr(args, "no_cache", False) or command == "check":  # check writes nothing at all
        cache = None
    elif getattr(args, "cache", None):
        cache = Path(args.cache).absolute()
    return ProjectPaths(
        root=project,
        content=(args.content or project / "content").absolute(),
        templates=project / "templates",
        static=project / "static",
        output=(getattr(args, "out", None) or project / "site").absolute(),
        cache=cache,
    )


def _run(command: str, args: argparse.Namespace, project: Path) -> int:
    from . import pipeline

    paths = _paths(args, project, command)
    if command == "new":
        from .scaffold import AlreadyExists, new_content

        try:
            path = new_content(paths.content, args.type, args.title, pipeline.today_for_build())
        except AlreadyExists as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_ERRORS
        print(f"wrote {path}; fill in the fields, then delete 'draft: true' to publish")
        return EXIT_OK
    if paths.content.exists() and not paths.content.is_dir():
        raise UsageError(f"content folder {paths.content} is a file, not a folder")
    if not paths.content.is_dir():
        raise UsageError(f"content folder {paths.content} does not exist")
    options = BuildOptions(args.drafts, args.future, pipeline.today_for_build())
    if command in ("build", "serve"):
        _refuse_unsafe_output(paths)
    if command == "serve":
        from .serve import serve

        if args.host not in ("127.0.0.1", "localhost", "::1"):
            logger.warning("serving on %s: other machines can reach the dev server", args.host)
        serve(paths, options, args.host, args.port)
        return EXIT_OK
    output = None
    if command == "build":
        from .output import DiskOutput

        output = DiskOutput(paths.output)
    result = pipeline.build(paths, options, output)
    for warning in result.warnings:
        logger.warning("warning: %s", warning.format())
    logger.info("%s", pipeline.describe(result.config, result))
    if result.changes is not None:
        for line in result.changes.details():
            logger.info("%s", line)
    return EXIT_OK


def _refuse_unsafe_output(paths: ProjectPaths) -> None:
    """The build replaces the whole output folder: it must hold nothing the build reads."""
    output = paths.output.resolve()
    sources = {
        "project": paths.root,
        "content": paths.content,
        "templates": paths.templates,
        "static": paths.static,
    }
    if paths.cache is not None:
        sources["cache"] = paths.cache
    for name, source in sources.items():
        folder = source.resolve()
        if output == folder or output in folder.parents:
            reason = f"it is or holds the {name} folder"
        elif name != "project" and folder in output.parents:
            reason = f"it is inside the {name} folder"
        else:
            continue
        raise UsageError(f"refusing to use {paths.output} as the output folder: {reason}")
