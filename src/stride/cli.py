"""Command line: arguments, logging and exit codes (0 ok, 1 content or template errors, 2 usage)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .config import ProjectPaths
from .errors import BuildError, UsageError
from .model import BuildOptions

COMMANDS = ("build", "serve", "check", "new")
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
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
    except BuildError as error:
        print(error.report(), file=sys.stderr)
        return EXIT_ERRORS
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _paths(args: argparse.Namespace, project: Path) -> ProjectPaths:
    cache: Path | None = project / ".stride-cache"
    if getattr(args, "no_cache", False):
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

    paths = _paths(args, project)
    if command == "new":
        from .scaffold import AlreadyExists, new_content

        try:
            path = new_content(paths.content, args.type, args.title, pipeline.today_for_build())
        except AlreadyExists as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_ERRORS
        print(f"wrote {path}; fill in the fields, then delete 'draft: true' to publish")
        return EXIT_OK
    if not paths.content.is_dir():
        raise UsageError(f"content folder {paths.content} does not exist")
    options = BuildOptions(args.drafts, args.future, pipeline.today_for_build())
    if command == "serve":
        from .serve import serve

        if args.host not in ("127.0.0.1", "localhost", "::1"):
            logger.warning("serving on %s: other machines can reach the dev server", args.host)
        serve(paths, options, args.host, args.port)
        return EXIT_OK
    output = None
    if command == "build":
        from .output import DiskOutput

        if (
            paths.output in (paths.root, paths.content, paths.templates, paths.static)
            or paths.output in paths.root.parents
        ):
            raise UsageError(f"refusing to use {paths.output} as the output folder")
        output = DiskOutput(paths.output)
    result = pipeline.build(paths, options, output)
    for warning in result.warnings:
        logger.warning("warning: %s", warning.format())
    logger.info("%s", pipeline.describe(result.config, result))
    return EXIT_OK
