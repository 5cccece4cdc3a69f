"""Safe YAML loading that remembers the line of every key and list item.

PyYAML's ``safe_load`` forgets where values came from. We compose the node graph with the safe
loader and build plain Python objects ourselves, recording the 1-based line of every path
(``("gates", 2, "min")``) so that spec errors can point at ``gates.yaml:LINE``. Duplicate keys,
which ``safe_load`` silently resolves to the last one, are reported as problems.

Plain (unquoted) scalars are resolved as YAML 1.2 does, where PyYAML follows YAML 1.1: ``5e-2``
and ``1e3`` are numbers (1.1 needs a dot), and only ``true``/``false`` are booleans — ``yes``,
``no``, ``on``, ``off`` stay text, so ``positive_label: yes`` is the label ``"yes"`` and a
country code ``NO`` is not ``False``. Quoted scalars are always text. Files over ``_MAX_BYTES``
are refused before parsing (the pure-Python parser needs ~15 s per MB), and nesting depth is
checked while composing, in the same pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from pytest_modelgate.errors import SpecProblem

Path = tuple[str | int, ...]

__all__ = ["YamlDocument", "format_path", "load_yaml"]


def format_path(path: Path) -> str:
    """``("gates", 2, "min")`` → ``gates[2].min``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class YamlDocument:
    """Plain data from a YAML file plus the line of every path in it."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[SpecProblem] = field(default_factory=list)

    def problem(self, path: Path, message: str) -> SpecProblem:
        """A problem about the value at ``path``, located at its line (or its parent's)."""
        return SpecProblem(self.file, self.line_of(path), format_path(path), message)

    def line_of(self, path: Path) -> int | None:
        """Line of ``path``, or of its closest recorded ancestor."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


_PLAIN_COLLECTION_TAGS = (
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
)


def _yaml12_loader(base: Any) -> Any:
    """``base`` (a safe loader) with YAML 1.2's resolution of plain booleans and floats."""
    loader: Any = type(f"_Yaml12{base.__name__}", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    loader.add_implicit_resolver(  # YAML 1.2 core floats; 1.1's own (with a dot) match first
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$|^[-+]\.[0-9]+$"),
        list("-+0123456789."),
    )
    return loader


class _DepthLimitedLoader(yaml.SafeLoader):
    """The safe loader, refusing collections nested deeper than ``_MAX_DEPTH`` while it composes
    (one pass; PyYAML's composer is recursive and would overflow the stack first)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"values are nested more than {_MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# PyYAML's pure-Python loader: libyaml's (CSafeLoader) is faster, but its error texts differ and
# it keeps references to the yaml module's classes from its first import (pytester's in-process
# runs re-import yaml, and it then resolves no tags); the size limit keeps parsing to seconds
_Loader = _yaml12_loader(_DepthLimitedLoader)

_MAX_BYTES = 256_000  # a gate spec is a few KB; this is a wrong file, not a spec (~4 s to parse)
_MAX_VALUES = 100_000
_MAX_DEPTH = 50  # far beyond any spec; deeper nesting would overflow PyYAML's recursive composer


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.constructor = yaml.constructor.SafeConstructor()
        self.lines: dict[Path, int] = {}
        self.problems: list[SpecProblem] = []
        self.open: set[int] = set()  # collection nodes being built (a recursive alias loops)
        self.count = 0  # values built: aliases of aliases can expand exponentially
        self.built: set[int] = set()  # nodes built once: a second time is an alias
        self.aliased = False

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if id(node) in self.built:
            self.aliased = True
        self.built.add(id(node))
        if self.count > _MAX_VALUES or id(node) in self.open or len(path) > _MAX_DEPTH:
            what = (
                "an alias (*name) refers to a value that contains it"
                if id(node) in self.open
                else f"values are nested more than {_MAX_DEPTH} levels deep"
                if len(path) > _MAX_DEPTH
                else f"the document expands to more than {_MAX_VALUES} values through aliases"
                if self.aliased
                else f"the document holds more than {_MAX_VALUES} values (a gate spec holds "
                "hundreds)"
            )
            raise yaml.constructor.ConstructorError(None, None, what, node.start_mark)
        if isinstance(node, yaml.CollectionNode):
            self.open.add(id(node))
            try:
                return self._build(node, path)
            finally:
                self.open.discard(id(node))
        return self._build(node, path)

    def _build(self, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_COLLECTION_TAGS:
            # a tagged collection (`!!python/object/apply [...]`, `!!set`): the safe constructor
            # refuses unsafe tags with a located error instead of our silently dropping the tag
            return self.constructor.construct_object(node, deep=True)
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.constructor.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    self.problems.append(
                        SpecProblem(
                            self.file,
                            key_node.start_mark.line + 1,
                            format_path(path),
                            f"keys must be plain names (got {key!r})",
                        )
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                child = (*path, key)
                if key in result:
                    self.problems.append(
                        SpecProblem(
                            self.file,
                            key_node.start_mark.line + 1,
                            format_path(child),
                            f"duplicate key (first given on line {self.lines[child]}; "
                            "YAML would silently keep only the last one)",
                        )
                    )
                    continue
                self.lines[child] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)


def _documents(text: str) -> Iterator[yaml.Node]:
    yield from yaml.compose_all(text, Loader=_Loader)


def load_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document safely, keeping line numbers.

    Syntax errors become a :class:`SpecProblem` at the line PyYAML reports; they never escape
    as a traceback.
    """
    if len(text) > _MAX_BYTES:
        return YamlDocument(
            file,
            None,
            problems=[
                SpecProblem(
                    file,
                    1,
                    "",
                    f"the file holds {len(text) / 1e6:.1f} million characters; a gate spec is "
                    f"a few thousand (limit {_MAX_BYTES:,}): is this the right file?",
                )
            ],
        )
    try:
        nodes = list(_documents(text))
    except yaml.constructor.ConstructorError as exc:  # nested too deeply: not an indentation slip
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        return YamlDocument(
            file, None, problems=[SpecProblem(file, line, "", f"invalid YAML: {exc.problem}")]
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        context = exc.context or ""
        if exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" (started on line {exc.context_mark.line + 1})"
        what = "; ".join(str(x).strip() for x in (context, exc.problem) if x)
        if mark is not None:
            what += f" (column {mark.column + 1})"
        what += (
            ". Check the indentation (spaces, not tabs; items of one mapping aligned) and that "
            "each key is followed by ': '"
        )
        return YamlDocument(
            file, None, problems=[SpecProblem(file, line, "", f"invalid YAML: {what}")]
        )
    except yaml.reader.ReaderError as exc:  # a control character: located by offset only
        before = text[: exc.position] if isinstance(exc.position, int) else ""
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return YamlDocument(
            file,
            None,
            problems=[
                SpecProblem(
                    file,
                    line,
                    "",
                    f"invalid YAML: unacceptable character #x{exc.character:04x} "
                    f"(column {column}): {exc.reason}; remove it",
                )
                if isinstance(exc.character, int)
                else SpecProblem(file, line, "", f"invalid YAML: {exc.reason}")
            ],
        )
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        return YamlDocument(
            file, None, problems=[SpecProblem(file, None, "", f"invalid YAML: {exc}")]
        )
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        return YamlDocument(
            file,
            None,
            problems=[
                SpecProblem(file, line, "", "expected one YAML document, found several (---)")
            ],
        )
    if not nodes:
        return YamlDocument(file, None, problems=[SpecProblem(file, 1, "", "the file is empty")])
    builder = _Builder(file)
    try:
        data = builder.build(nodes[0], ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        return YamlDocument(
            file, None, problems=[SpecProblem(file, line, "", f"invalid YAML: {exc.problem}")]
        )
    return YamlDocument(file, data, builder.lines, builder.problems)
