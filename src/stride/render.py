"""The one Jinja environment, and the turning of each Page of the site model into bytes.

Autoescaping is on for every template and undefined names are errors, so a typo in a template
fails the build instead of printing nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from markupsafe import Markup

from . import seo
from .assets import Assets
from .cache import Positions
from .errors import Problem
from .literals import TEXTS, LiteralCodeGenerator, literal_texts, positions
from .model import Entry, Page, Site
from .output import OutputFile
from .reuse import Recorder


def _escape(value: Any) -> str:
    """markupsafe.escape for template output, as a plain string: Jinja joins the pieces of a
    page into one string, so wrapping each in Markup (two Python calls) is wasted; this is what
    a page render spends most of its time on after Jinja itself."""
    if type(value) is str:
        text = value
    elif hasattr(value, "__html__"):
        return str(value.__html__())
    else:
        text = str(value)
    # markupsafe's own pure-Python escaping, character for character.
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


class Template(jinja2.Template):
    """A compiled template whose output expressions use _escape."""

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: CodeType,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # Compiled code wraps each {{ }} in escape(), looked up in the template's module
        # namespace, which its render functions share (the only name swapped there).
        namespace = template.root_render_func.__globals__
        namespace["escape"] = _escape
        # The template's own texts, marked with where they come from (literals.py).
        if TEXTS in namespace:
            namespace[TEXTS] = literal_texts(namespace[TEXTS], str(template.name))
        return template


class Environment(jinja2.Environment):
    """Jinja's environment, which can also report what one render reads (see reuse.py).

    Templates reach every attribute, item and included template through these three methods,
    so recording here sees a template's whole view of the site model.
    """

    template_class = Template
    code_generator_class = LiteralCodeGenerator
    recorder: Recorder | None = None
    fragments: FragmentCache

    @contextmanager
    def recording(self, recorder: Recorder) -> Iterator[Recorder]:
        self.recorder = recorder
        try:
            yield recorder
        finally:
            self.recorder = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Jinja's own getattr, inlined: templates call this ~120 times a page.
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            value = super().getattr(obj, attribute)  # an item, or undefined
        recorder = self.recorder
        if recorder is None:
            return value
        return recorder.attribute(obj, attribute, value)

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        if self.recorder is None or not isinstance(argument, str):
            return value
        return self.recorder.attribute(obj, argument, value)

    def _load_template(
        self, name: str, globals: MutableMapping[str, Any] | None
    ) -> jinja2.Template:
        # Every way of reaching a template (extends, include, import, select) passes here.
        if self.recorder is not None:
            self.recorder.template(name)
        return super()._load_template(name, globals)


class FragmentCache:
    """Parts of pages that depend on entries' summaries alone, rendered once per build.

    An entry's card appears on every page that lists it (latest, related, tags, sections):
    thousands of times on a large site, always the same; and most lists of cards recur too (the
    latest entries are on every article page). A page that takes a cached card or list still
    records the reads its render made, so reuse.py sees the same reads either way.
    """

    CARD = "partials/card.html"

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._site: Site | None = None
        self._cards: dict[tuple[str, str], Markup] = {}
        self._lists: dict[tuple[tuple[str, ...], str], Markup] = {}

    def start(self, site: Site) -> None:
        if site is not self._site:
            self._site, self._cards, self._lists = site, {}, {}

    def card(self, entry: Entry, heading: str = "h3") -> Markup:
        """An entry's card: partials/card.html."""
        recorder = self._env.recorder
        if recorder is not None:
            recorder.template(self.CARD)
            recorder.attribute(entry, "summary", None)
        key = (entry.url, heading)
        found = self._cards.get(key)
        if found is None:
            template = self._env.get_template(self.CARD)
            found = self._cards[key] = Markup(template.render(entry=entry, heading=heading))
        return found

    def card_list(
        self, entries: Iterable[Entry], heading: str, caller: Callable[[], str]
    ) -> Markup:
        """A list of cards; `caller` renders it: the body of a {% call %} in the template, which
        must depend on the entries and heading alone."""
        entries = list(entries)
        # No two entries of a site share a URL, so the URLs name the list.
        key = (tuple([entry.url for entry in entries]), heading)
        found = self._lists.get(key)
        if found is None:  # rendered now, its reads recorded as it goes
            found = self._lists[key] = Markup(caller())
        elif self._env.recorder is not None:
            if entries:
                self._env.recorder.template(self.CARD)
            for entry in entries:
                self._env.recorder.attribute(entry, "summary", None)
        return found


def make_environment(templates: Path, compiled: Path | None = None) -> Environment:
    """The environment; `compiled` keeps compiled templates between builds (a cache folder)."""
    env = Environment(
        loader=jinja2.FileSystemLoader(templates),
        bytecode_cache=_bytecode_cache(compiled),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Made for one build, during which templates do not change: no stat of every template
        # a page uses, for every page. (The dev server's preview renders with the last build's
        # environment, and so with its templates: the rebuild after it shows newer ones.)
        auto_reload=False,
    )
    env.fragments = FragmentCache(env)
    env.globals["cached_card"] = env.fragments.card
    env.globals["cached_card_list"] = env.fragments.card_list
    env.filters["long_date"] = long_date
    env.filters["rfc3339"] = seo.rfc3339
    env.filters["last_updated"] = _last_updated
    env.filters["query"] = query_value
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    # Compiling every template takes ~0.3 s; a warm build loads them compiled instead.
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    # Named for the code generator: templates compiled without its marked texts are not used.
    return jinja2.FileSystemBytecodeCache(str(folder), "literals-%s.cache")


_SYNTAX_HINT = "check that each {{ }} and {% %} tag on this line is spelled right and closed"


TEMPLATE_EXTENSIONS = ("html", "xml", "txt")


def check_templates(env: jinja2.Environment) -> list[Problem]:
    """Compile every template up front, so syntax errors are reported with content errors."""
    problems = []
    for name in env.list_templates(extensions=TEMPLATE_EXTENSIONS):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(
                _template_problem(
                    error.filename or name,
                    error.lineno,
                    f"template syntax error: {error.message}",
                    _SYNTAX_HINT,
                )
            )
    return problems


@jinja2.pass_environment
def _last_updated(env: jinja2.Environment, entries: tuple[Any, ...]) -> datetime.date:
    # A filter reads the entries it is given in Python, out of the recorder's sight: say so.
    # Any new filter that reads entries needs the same line.
    if isinstance(env, Environment) and env.recorder is not None:
        env.recorder.whole_entries(entries)
    return seo.last_updated(entries)


def query_value(text: str) -> str:
    """Percent-encode for a URL query value; unlike Jinja's urlencode, '/' is encoded too.

    urllib.parse.quote(text, safe="") exactly, at half the cost: a table lookup per byte.
    """
    return "".join(map(_QUERY_ESCAPES.__getitem__, str(text).encode("utf-8")))


# By UTF-8 byte: letters, digits and "_.-~" as themselves, every other byte as %XX.
_QUERY_ESCAPES = [
    chr(byte)
    if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "_.-~")
    else f"%{byte:02X}"
    for byte in range(256)
]


def long_date(day: datetime.date) -> str:
    """'1 August 2022': spelled out without the locale, so output never depends on the machine."""
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    return f"{day.day} {months[day.month - 1]} {day.year}"


def page_context(page: Page, site: Site) -> dict[str, object]:
    """What the build computes for a page besides the site model the templates read."""
    return {
        "social": seo.social_meta(page, site),
        "json_ld": seo.json_ld(page, site),
        "description": seo.page_description(page, site),
    }


def render_pages(
    site: Site,
    assets: Assets,
    env: jinja2.Environment,
    pages: Iterable[Page] | None = None,
    *,
    recorders: MutableMapping[str, Recorder] | None = None,
) -> tuple[list[OutputFile], list[Problem]]:
    """Render every page (or the given ones); template mistakes are collected, not raised.

    `recorders`, when given, gets what each page's render read, by URL (the environment must
    then be an Environment).
    """
    files: list[OutputFile] = []
    problems: list[Problem] = []
    # Globals, not context, so imported macro files can use them too. The environment is
    # made for one build, so this is that build's state, not process-wide state.
    if isinstance(env, Environment):
        env.fragments.start(site)
    env.globals.update(
        site=site,
        config=site.config,
        asset=assets.url,
        image_size=assets.image_size,
        absolute=_absolute(site),
    )
    for page in site.pages if pages is None else pages:
        try:
            if recorders is not None and isinstance(env, Environment):
                with env.recording(Recorder(site)) as recorder:
                    context = page_context(page, site)
                    recorder.page_context(page)
                    template = env.get_template(page.template)
                    html, recorder.positions = _render_noting_texts(
                        template, {"page": page, **context}
                    )
                recorders[page.route.url] = recorder
            else:
                context = page_context(page, site)
                html = env.get_template(page.template).render(page=page, **context)
        except jinja2.TemplateSyntaxError as error:
            problems.append(
                _template_problem(
                    error.filename or error.name,
                    error.lineno,
                    f"template syntax error: {error.message}",
                    _SYNTAX_HINT,
                )
            )
            continue
        except jinja2.TemplateNotFound as error:
            # Located at the {% extends %}, {% include %} or {% import %} that names it.
            filename, line = _template_frame(error)
            problems.append(
                _template_problem(
                    filename or page.template,
                    line or 1,
                    f"template not found: {error.name}",
                    "create the template or fix the name in {% extends %} or {% include %}",
                )
            )
            continue
        except jinja2.UndefinedError as error:
            filename, line = _template_frame(error)
            problems.append(
                _template_problem(
                    filename,
                    line,
                    f"undefined in template: {error.message} (rendering {page.route.url})",
                )
            )
            continue
        except Exception as error:  # a template expression that fails, e.g. 'a' + 1
            filename, line = _template_frame(error)
            problems.append(
                _template_problem(
                    filename,
                    line,
                    f"template error: {type(error).__name__}: {error} (rendering {page.route.url})",
                    "fix the expression on this line, or guard it with {% if %}",
                )
            )
            continue
        files.append(OutputFile(page.route.output, html.encode("utf-8")))
    return files, unique_problems(problems)


def _render_noting_texts(
    template: jinja2.Template, variables: dict[str, object]
) -> tuple[str, Positions]:
    """Template.render, also noting where the templates' own texts landed (literals.py)."""
    context = template.new_context(variables)
    try:
        pieces = list(template.root_render_func(context))
    except Exception:
        template.environment.handle_exception()  # raises, located in the template
    return "".join(pieces), positions(pieces, str(template.name))


def _absolute(site: Site) -> Callable[[str], str]:
    def absolute(url: str) -> str:
        return seo.absolute(site.config, url)

    return absolute


def _template_problem(
    filename: str | None,
    line: int,
    message: str,
    hint: str = "check the spelling; the variables a page gets are listed in the README",
) -> Problem:
    name = filename.replace("\\", "/").rsplit("/templates/", 1)[-1] if filename else "unknown"
    return Problem(f"templates/{name}", line, 0, message, hint)


def _template_frame(error: BaseException) -> tuple[str | None, int]:
    """The innermost template file and line in the traceback of a render error."""
    found: tuple[str | None, int] = (None, 0)
    traceback = error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if code.co_filename.endswith((".html", ".xml", ".txt")):
            found = (code.co_filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def unique_problems(problems: list[Problem]) -> list[Problem]:
    # The same template mistake breaks every page that uses it; report it once.
    seen: dict[tuple[str, int, str], Problem] = {}
    for problem in problems:
        key = (problem.path, problem.line, problem.message.split(" (rendering")[0])
        seen.setdefault(key, problem)
    return list(seen.values())
