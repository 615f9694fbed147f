"""Edits to a layout's own text, applied to the last build's pages without rendering them again.

Most edits to a base template change its markup, not its logic: a class name, a link in the
footer, a comment. Every page uses the base template, so such an edit would render the whole
site again, when each page differs from last time only where that text sits.

So the compiled templates yield their own text as `Literal` strings (LiteralCodeGenerator), and
a recorded render notes where in the page each one landed (`positions`). When a template
changes, both versions are compiled to Python source: if they are the same but for their texts
(`shape_of`), the template's logic is unchanged, and a page that read nothing else that changed
gets the same values as before everywhere but at those positions. `splice` swaps the texts
there, checking that each old text is where it was recorded.

This holds only for a layout whose every text reaches the page directly (`pure_layouts`): text
rendered inside a macro, a `{% set %}` block, `super()` or `self.block()` is joined into a
value first, out of sight. Texts of other templates, and of layouts that fail the test, are
never spliced: pages using them are rendered again.
"""

from __future__ import annotations

import ast
import hashlib
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame

from .cache import Positions
from .reuse import digest

# The name of the tuple of texts in a compiled template's module.
TEXTS = "_stride_texts"
_MAX_INDEX = 0xFFFF  # a position packs a template's number and a text's index in 32 bits


class Literal(str):
    """A template's own text as a render yields it; it knows where it came from."""

    template: str
    slot: int  # its place in the template's TEXTS


def literal_texts(texts: Iterable[str], template: str) -> tuple[Literal, ...]:
    """The texts of a compiled template as Literals (render.py swaps them in on loading)."""
    found = []
    for index, text in enumerate(texts):
        literal = Literal(text)
        literal.template, literal.slot = template, index
        found.append(literal)
    return tuple(found)


class LiteralCodeGenerator(CodeGenerator):
    """Jinja's code generator, with each run of text a template yields directly (not into a
    buffer: a macro, a {% set %} or {% call %} block) taken from the module's TEXTS tuple."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self._texts: list[str] = []
        self._direct = False
        super().visit_Template(node, frame)
        self.writeline(f"{TEXTS} = {tuple(self._texts)!r}")

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        self._direct = frame.buffer is None
        try:
            super().visit_Output(node, frame)
        finally:
            self._direct = False

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        text = "".join(map(str, group))
        if not self._direct or len(self._texts) > _MAX_INDEX:
            return repr(text)
        self._texts.append(text)
        return f"{TEXTS}[{len(self._texts) - 1}]"


def positions(pieces: list[str], page_template: str) -> Positions:
    """The positions of the Literals among the pieces of one render, joined in order.

    The page's own template is left out: its texts are all in blocks that layouts place (or it
    is a page of its own, like a feed), so it is never a layout of the page, and a page has
    fewer positions to shift."""
    numbers: dict[str, int] = {}
    packed = array("I")
    offset = 0
    for piece in pieces:
        if type(piece) is Literal and piece.template != page_template:
            number = numbers.setdefault(piece.template, len(numbers))
            if number > _MAX_INDEX:
                return Positions()  # cannot be recorded: such a page is simply rendered
            packed.append(offset)
            packed.append(number << 16 | piece.slot)
        # In bytes of UTF-8, as the page is written: a splice needs no decoding.
        offset += len(piece) if piece.isascii() else len(piece.encode("utf-8"))
    return Positions(tuple(numbers), packed.tobytes())


@dataclass(frozen=True, slots=True)
class TemplateShape:
    logic: str  # digest of the compiled source without its texts and line numbers
    texts: tuple[str, ...]


def shape_of(env: jinja2.Environment, source: str, name: str) -> TemplateShape | None:
    """A template's logic and texts, or None if it does not compile."""
    try:
        code = env.compile(source, name, raw=True)
    except jinja2.TemplateSyntaxError:
        return None
    logic: list[str] = []
    texts: tuple[str, ...] = ()
    for line in code.splitlines():
        if line.startswith(f"{TEXTS} = "):
            texts = ast.literal_eval(line.partition(" = ")[2])
        elif not line.startswith("debug_info = "):  # template line numbers, for tracebacks
            logic.append(line)
    return TemplateShape(hashlib.sha256("\n".join(logic).encode()).hexdigest(), texts)


@dataclass(frozen=True, slots=True)
class TemplateLinks:
    """What pure_layouts needs of one template: the templates it names, and its blocks."""

    extends: tuple[str | None, ...]  # None: a name computed at render time
    embeds: tuple[str | None, ...]  # included or imported
    blocks: frozenset[str]
    super_blocks: frozenset[str]  # its blocks that call super()
    uses_self: bool


def template_links(env: jinja2.Environment, name: str, source: str) -> TemplateLinks | None:
    """The links of one template's source; None if it does not parse."""
    try:
        tree = env.parse(source, name)
    except jinja2.TemplateError:
        return None
    extends: list[str | None] = []
    embeds: list[str | None] = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        assert isinstance(node, nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport)
        target = node.template
        value = target.value if isinstance(target, nodes.Const) else None
        named = value if isinstance(value, str) else None
        (extends if isinstance(node, nodes.Extends) else embeds).append(named)
    super_blocks = {
        block.name
        for block in tree.find_all(nodes.Block)
        for call in block.find_all(nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name == "super"
    }
    return TemplateLinks(
        tuple(extends),
        tuple(embeds),
        frozenset(block.name for block in tree.find_all(nodes.Block)),
        frozenset(super_blocks),
        any(n.name == "self" for n in tree.find_all(nodes.Name)),
    )


def pure_layouts(links: Mapping[str, TemplateLinks | None]) -> frozenset[str]:
    """Templates (of `links`, by name) that are only ever extended, and whose every text
    reaches the page directly.

    A template reached by {% include %} or {% import %} may render inside a macro or a block of
    {% set %}, and so may one that extends it; a block reached through super() or self renders
    into a value. A template that does not parse, or a name that is not one of `links`, makes
    every template suspect.
    """
    extends: dict[str, set[str]] = {}  # template -> the templates that extend it
    embedded: set[str] = set()  # included or imported somewhere
    super_blocks: set[str] = set()
    uses_self = False
    for name, found in links.items():
        if found is None:
            return frozenset()
        for target in (*found.extends, *found.embeds):
            if target not in links:
                return frozenset()  # a name computed at render time, or a file not parsed here
        for target in found.extends:
            assert target is not None
            extends.setdefault(target, set()).add(name)
        embedded.update(target for target in found.embeds if target is not None)
        super_blocks |= found.super_blocks
        uses_self = uses_self or found.uses_self
    return frozenset(
        name
        for name in extends
        if not (_descendants(name, extends) | {name}) & embedded
        and not _blocks(links, name) & super_blocks
        and not (uses_self and _blocks(links, name))
    )


def _blocks(links: Mapping[str, TemplateLinks | None], name: str) -> frozenset[str]:
    found = links.get(name)
    return found.blocks if found is not None else frozenset()


def _descendants(name: str, extends: Mapping[str, set[str]]) -> set[str]:
    found: set[str] = set()
    todo = list(extends.get(name, ()))
    while todo:
        child = todo.pop()
        if child not in found:
            found.add(child)
            todo.extend(extends.get(child, ()))
    return found


@dataclass(frozen=True, slots=True)
class TextEdit:
    """A layout whose texts alone changed: pages that read `before` can be spliced."""

    before: str  # digest of the old source, as pages recorded it (reuse.py)
    after: str  # digest of the new source
    changed: Mapping[int, tuple[bytes, bytes]]  # the texts that differ, by index: old, new

    @classmethod
    def of(cls, before: str, after: str, old: Iterable[str], new: Iterable[str]) -> TextEdit:
        """The edit from one version's texts to the other's (in UTF-8, as pages are written)."""
        pairs = enumerate(zip(old, new, strict=True))
        changed = {index: (a.encode(), b.encode()) for index, (a, b) in pairs if a != b}
        return cls(before, after, changed)


def text_edits(
    env: jinja2.Environment,
    before: Mapping[str, str],
    after: Mapping[str, str],
    known: Mapping[str, TemplateLinks | None],
) -> tuple[dict[str, TextEdit], dict[str, TemplateLinks | None]]:
    """The pure layouts whose texts alone changed between two builds' template sources, and
    every template's links (for the next build: `known` are the last build's, of `before`).
    """
    changed = [name for name, source in after.items() if before.get(name, source) != source]
    if not changed:
        return {}, dict(known)
    # Only the templates that changed are parsed again: parsing them all took 0.04 s.
    links = {
        name: known[name]
        if name in known and before.get(name) == source
        else template_links(env, name, source)
        for name, source in after.items()
    }
    layouts = pure_layouts(links)
    edits = {}
    for name in changed:
        if name not in layouts:
            continue
        old, new = shape_of(env, before[name], name), shape_of(env, after[name], name)
        if old is not None and new is not None and old.logic == new.logic:
            edits[name] = TextEdit.of(
                digest(before[name]), digest(after[name]), old.texts, new.texts
            )
    return edits, links


def splice(
    text: bytes, where: Positions, edits: Mapping[str, TextEdit]
) -> tuple[bytes, Positions, list[tuple[int, int]]] | None:
    """The page with each edited template's texts replaced, the new positions, and where the
    new texts are (start and end offsets); None if a text that changed is not where it was
    recorded (the page must then be rendered)."""
    # By the page's template numbers: the texts that differ, by index (most texts of an edited
    # template are as they were, and are left in place).
    table = [edits[name].changed if name in edits else None for name in where.templates]
    packed = array("I")
    packed.frombytes(where.packed)
    pieces: list[bytes] = []
    spans: list[tuple[int, int]] = []
    done = 0  # how much of the old text is in pieces
    shift = 0  # how far the texts after `done` move
    for at in range(0, len(packed), 2):
        offset, code = packed[at], packed[at + 1]
        if shift:
            packed[at] = offset + shift
        changed = table[code >> 16]
        if not changed:
            continue
        pair = changed.get(code & _MAX_INDEX)
        if pair is None:
            continue
        old, new = pair
        if offset < done or not text.startswith(old, offset):
            return None
        pieces.append(text[done:offset])
        pieces.append(new)
        spans.append((offset + shift, offset + shift + len(new)))
        done = offset + len(old)
        shift += len(new) - len(old)
    pieces.append(text[done:])
    return b"".join(pieces), Positions(where.templates, packed.tobytes()), spans
