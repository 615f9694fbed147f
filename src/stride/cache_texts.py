"""The long texts of the build cache, kept out of its pickle and read only when first used.

Nine tenths of the sources file are text: every document's Markdown, every body's HTML and
every entry's linked HTML. A rebuild after one edit reads a few of them, so unpickling them all
(copying tens of megabytes into fresh strings) is most of what loading the site costs. The
sources file therefore holds a pickle whose documents, bodies and entries point into a block
of UTF-8 text after it, mapped into memory; each text becomes a string the first time its
attribute is read (`stored_attribute`, which those three classes call from `__getattr__`).
"""

from __future__ import annotations

import pickle
from dataclasses import fields
from typing import IO, Any

# Stands for the loaded file's texts in a pickle (a persistent reference).
_TEXTS_ID = "texts"


class _TextsPlaceholder:
    """What the pickle holds where a reference to the texts block goes."""


_PLACEHOLDER = _TextsPlaceholder()


class StoredTexts:
    """The texts block of a mapped sources file."""

    def __init__(self, block: memoryview) -> None:
        self._block = block

    def read(self, start: int, length: int) -> str:
        return str(self._block[start : start + length], "utf-8")


class _Stored:
    """One text, not read yet."""

    __slots__ = ("length", "start", "texts")

    def __init__(self, texts: StoredTexts, start: int, length: int) -> None:
        self.texts, self.start, self.length = texts, start, length


def stored_attribute(instance: object, name: str) -> str:
    """The text `name` of an instance loaded with its text left in the file; read once."""
    stored = instance.__dict__.get("_stored")
    if stored is None or name not in stored:
        raise AttributeError(f"{type(instance).__name__!r} object has no attribute {name!r}")
    place: _Stored = stored[name]
    text = place.texts.read(place.start, place.length)
    instance.__dict__[name] = text  # a frozen dataclass: set as its own __init__ would
    return text


def _restore(  # noqa: PLR0917 (the fields of one reference, as pickle passes them)
    cls: type, texts: StoredTexts, name: str, start: int, length: int, others: dict[str, Any]
) -> object:
    instance: object = object.__new__(cls)
    # Filled in here rather than by pickle, which would first look for a __setstate__ and so
    # call __getattr__ in vain for each object.
    instance.__dict__.update(others)
    instance.__dict__["_stored"] = {name: _Stored(texts, start, length)}
    return instance


class TextsPickler(pickle.Pickler):
    """Pickles documents, bodies and entries with their long text written to `texts` instead.

    `text_fields` maps each such class to its text field. A text shared by two objects (an
    entry's HTML is usually its body's HTML) is written once."""

    def __init__(self, file: IO[bytes], text_fields: dict[type, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.texts = bytearray()
        self._text_fields = text_fields
        self._others = {
            cls: [field.name for field in fields(cls) if field.name != name]
            for cls, name in text_fields.items()
        }
        self._placed: dict[int, tuple[int, int]] = {}

    def persistent_id(self, obj: Any) -> str | None:
        return _TEXTS_ID if obj is _PLACEHOLDER else None

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        name = self._text_fields.get(cls)
        if name is None:
            return NotImplemented
        start, length = self._place(getattr(obj, name))
        others = {other: getattr(obj, other) for other in self._others[cls]}
        return (_restore, (cls, _PLACEHOLDER, name, start, length, others))

    def _place(self, text: str) -> tuple[int, int]:
        placed = self._placed.get(id(text))
        if placed is None:
            encoded = text.encode("utf-8")
            placed = self._placed[id(text)] = (len(self.texts), len(encoded))
            self.texts += encoded
        return placed


class TextsUnpickler(pickle.Unpickler):
    """Loads what TextsPickler wrote, its texts left in `texts` until first read."""

    def __init__(self, file: IO[bytes], texts: StoredTexts) -> None:
        super().__init__(file)
        self._texts = texts

    def persistent_load(self, pid: Any) -> StoredTexts:
        if pid != _TEXTS_ID:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self._texts
