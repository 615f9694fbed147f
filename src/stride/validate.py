"""Turns YAML nodes into schema dataclasses, reporting every mismatch with its line and column.

We convert from composed nodes rather than from PyYAML's constructed values because nodes keep
their position in the file (for `path:line:column` errors) and because typing each value by the
schema, not by YAML's implicit rules, avoids surprises such as `no` becoming False.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import sys
import types
import typing
from typing import Any

import yaml

from .errors import Problem, did_you_mean
from .schema import yaml_key

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ITEM = " item"  # ends the key passed down for a list's items, so messages can name the list


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class Invalid(Exception):
    """A value that cannot be converted; the caller turns it into a Problem at the node."""

    def __init__(self, node: yaml.Node, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.hint = hint


class RecordReader:
    """Converts mapping nodes into schema records for one file, gathering every problem."""

    def __init__(self, path: str, first_line: int) -> None:
        self.path = path
        self.first_line = first_line  # file line of the YAML text's first line
        self.problems: list[Problem] = []

    def problem_at(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        if node is None:
            line, column = max(self.first_line - 1, 1), 1
        else:
            line = node.start_mark.line + self.first_line
            column = node.start_mark.column + 1
        self.problems.append(Problem(self.path, line, column, message, hint))

    def problem_at_key(self, mapping: yaml.Node, key: str, message: str, hint: str = "") -> None:
        """Report at the line of `key` in a mapping node (or at the mapping when it is absent)."""
        target: yaml.Node = mapping
        if isinstance(mapping, yaml.MappingNode):
            for key_node, _ in mapping.value:
                if key_node.value == key:
                    target = key_node
        self.problem_at(target, message, hint)

    def record(self, cls: type, node: yaml.Node, where: str = "front matter") -> Any:
        """The record, or None after reporting why it could not be made."""
        if not isinstance(node, yaml.MappingNode):
            self.problem_at(
                node,
                f"{where} must be a mapping of 'key: value' lines",
                "write one 'key: value' per line",
            )
            return None
        fields = {yaml_key(field.name): field for field in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        seen: set[str] = set()
        failed = False
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem_at(
                    key_node,
                    "a key must be a plain name, not a list or mapping",
                    "write 'key: value'",
                )
                failed = True
                continue
            key = str(key_node.value)
            if key in seen:
                self.problem_at(key_node, f"duplicate key '{key}'", "keep only one of them")
                failed = True
                continue
            seen.add(key)
            field = fields.get(key)
            if field is None:
                self.problem_at(key_node, f"unknown key '{key}'", did_you_mean(key, list(fields)))
                failed = True
                continue
            try:
                values[field.name] = self.value(_hints(cls)[field.name], value_node, key)
            except _AlreadyReported:
                failed = True
            except Invalid as error:
                self.problem_at(error.node, error.message, error.hint)
                failed = True
        for key, field in fields.items():
            required = (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            )
            if required and key not in seen:
                example = field.metadata.get("example", "...")
                self.problem_at(
                    node,
                    f"missing required key '{key}' ({field.metadata['help']})",
                    f"add a line such as: {key}: {_yaml_example(example)}",
                )
                failed = True
        return None if failed else cls(**values)

    def value(self, kind: Any, node: yaml.Node, key: str) -> Any:
        origin = typing.get_origin(kind)
        args = typing.get_args(kind)
        if origin in (typing.Union, types.UnionType):
            if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
                return None
            (inner,) = [arg for arg in args if arg is not type(None)]
            return self.value(inner, node, key)
        if origin is typing.Literal:
            text = self.scalar(node, key)
            if text not in args:
                raise Invalid(
                    node,
                    f"'{key}' has value '{text}', which is not allowed",
                    did_you_mean(text, [str(arg) for arg in args]),
                )
            return text
        if origin is tuple:
            return self.sequence(args[0], node, key)
        if dataclasses.is_dataclass(kind):
            where = f"each item of '{key.removesuffix(_ITEM)}'"
            record = self.record(kind, node, where=where)  # type: ignore[arg-type]
            if record is None:
                raise _AlreadyReported(node)
            return record
        if kind is str:
            text = self.scalar(node, key)
            if not text.strip():
                raise _empty(node, key)
            return text
        if kind is bool:
            return self.boolean(node, key)
        if kind is int:
            return self.integer(node, key)
        if kind is datetime.date:
            return self.date(node, key)
        raise TypeError(f"schema type {kind!r} is not supported")  # a bug in schema.py

    def scalar(self, node: yaml.Node, key: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            shape = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            if key.endswith(_ITEM):
                name = key.removesuffix(_ITEM)
                raise Invalid(
                    node,
                    f"each item of '{name}' must be a single value, not {shape}",
                    f"write '{name}: [first, second]'",
                )
            raise Invalid(
                node,
                f"'{key}' must be a single value, not {shape}",
                f"write '{key}: value' on one line",
            )
        if node.tag == _NULL:
            raise _empty(node, key)
        return str(node.value)

    def sequence(self, item_kind: Any, node: yaml.Node, key: str) -> tuple[Any, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise Invalid(
                node,
                f"'{key}' must be a list",
                f"write '{key}: [first, second]' or one '- item' per line",
            )
        items: list[Any] = []
        failed = False
        for item in node.value:
            try:
                items.append(self.value(item_kind, item, key + _ITEM))
            except _AlreadyReported:
                failed = True
            except Invalid as error:
                self.problem_at(error.node, error.message, error.hint)
                failed = True
        if failed:
            raise _AlreadyReported(node)
        # List items (tags, exercise names) recur across the site: interned, each is one
        # string in the build cache, not one per document.
        return tuple(sys.intern(item) if type(item) is str else item for item in items)

    def boolean(self, node: yaml.Node, key: str) -> bool:
        text = self.scalar(node, key)
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return text.lower() in ("true", "yes", "on")
        raise Invalid(
            node,
            f"'{key}' must be true or false, not '{text}'",
            f"write '{key}: true' or '{key}: false'",
        )

    def integer(self, node: yaml.Node, key: str) -> int:
        text = self.scalar(node, key)
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT and re.match(r"^-?\d+$", text):
            return int(text)
        raise Invalid(
            node, f"'{key}' must be a whole number, not '{text}'", f"write e.g. '{key}: 5'"
        )

    def date(self, node: yaml.Node, key: str) -> datetime.date:
        text = self.scalar(node, key).strip()
        if not _DATE.match(text):
            raise Invalid(
                node,
                f"'{key}' must be a date written YYYY-MM-DD, not '{text}'",
                f"write e.g. '{key}: 2025-01-31'",
            )
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as error:
            raise Invalid(
                node, f"'{key}' is an impossible date '{text}' ({error})", "check the month and day"
            ) from None


class _AlreadyReported(Invalid):
    """Raised after nested problems were recorded, so the parent only marks itself failed."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__(node, "")


def _empty(node: yaml.Node, key: str) -> Invalid:
    if key.endswith(_ITEM):
        name = key.removesuffix(_ITEM)
        return Invalid(node, f"'{name}' has an empty item", "write a value in it, or remove it")
    return Invalid(node, f"'{key}' is empty", f"write a value after '{key}:'")


def _yaml_example(example: object) -> str:
    if isinstance(example, list):
        if example and isinstance(example[0], dict):
            return "then one '- key: value' item per line"
        return "[" + ", ".join(str(item) for item in example) + "]"
    if isinstance(example, bool):
        return "true" if example else "false"
    return str(example)
