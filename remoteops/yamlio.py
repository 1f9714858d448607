"""Reading the inventory's YAML files (``company.yml``, ``hosts.yml``, ``group_vars/``) safely.

YAML can do more than the inventory needs, and some of it is dangerous on untrusted input:

- anchors and aliases (``&name`` / ``*name``) let a 700-byte file expand into billions of
  nodes, or refer to itself; remoteops refuses both (write the value out again instead);
- tags such as ``!!python/object`` ask for objects to be built; only the plain YAML types
  (text, numbers, true/false, dates, lists, mappings) are accepted, plus Ansible's
  ``!vault`` and ``!unsafe`` in ``hosts.yml`` and ``group_vars/``, read as plain text;
- very deep nesting and very large files cost time and memory: at most
  :data:`MAX_DEPTH` levels and :data:`MAX_BYTES` bytes.

Every refusal is an :class:`~remoteops.errors.InputFileError` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from remoteops.errors import InputFileError
from remoteops.files import read_input_bytes

#: Largest YAML file remoteops reads (5 MiB; the hosts.yml of 5000 agents is about 0.5 MiB).
MAX_BYTES = 5 * 1024 * 1024
#: Deepest nesting of lists and mappings (the sample hosts.yml needs 8).
MAX_DEPTH = 64
#: Ansible's own tags, accepted where Ansible reads the file; their value is kept as text.
ANSIBLE_TAGS = ("!vault", "!unsafe")

_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(
    _YAML_TAG + t
    for t in (
        "null",
        "bool",
        "int",
        "float",
        "str",
        "seq",
        "map",
        "timestamp",
        "binary",
        "set",
        "omap",
        "pairs",
    )
)


def _shown_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


class _Loader(yaml.SafeLoader):
    """A composer that refuses aliases, anchors, unknown tags and deep nesting."""

    def __init__(self, text: str, file: str, tags: frozenset[str]) -> None:
        super().__init__(text)
        self.file, self.tags, self.depth = file, tags, 0

    def refuse(self, mark: yaml.Mark, message: str, hint: str) -> InputFileError:
        return InputFileError(self.file, message, hint=hint, row=mark.line + 1)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self.refuse(
                event.start_mark,
                f"uses the YAML alias '*{event.anchor}'; remoteops does not accept YAML "
                "aliases and anchors.",
                "Write the value out in full where it is needed.",
            )
        if getattr(event, "anchor", None) is not None:
            raise self.refuse(
                event.start_mark,
                f"defines the YAML anchor '&{event.anchor}'; remoteops does not accept YAML "
                "anchors and aliases.",
                "Remove the anchor and write the value out in full where it is needed.",
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in self.tags:
            raise self.refuse(
                event.start_mark,
                f"uses the YAML tag '{_shown_tag(tag)}', which remoteops does not accept.",
                "Remove the tag; write plain text, numbers, lists and mappings.",
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.refuse(
                    event.start_mark,
                    f"is nested more than {MAX_DEPTH} levels deep.",
                    "Flatten the structure; the inventory never needs that many levels.",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Constructor(yaml.constructor.SafeConstructor):
    """Plain YAML types; Ansible's ``!vault`` / ``!unsafe`` values as their text."""

    last: yaml.Node | None = None  # the node being built, to name the line of a bad value

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self.last = node
        return super().construct_object(node, deep=deep)


for _tag in ANSIBLE_TAGS:
    _Constructor.add_constructor(_tag, yaml.constructor.SafeConstructor.construct_yaml_str)


def compose(path: Path, name: str, *, ansible: bool = False) -> yaml.Node | None:
    """The YAML node tree of ``path`` (``None`` for an empty file), or InputFileError.

    ``ansible`` accepts Ansible's ``!vault`` and ``!unsafe`` tags (hosts.yml, group_vars).
    """
    data = read_input_bytes(path, name, MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(name, "is not UTF-8.", hint="Save it as UTF-8.") from None
    tags = _PLAIN_TAGS | frozenset(ANSIBLE_TAGS) if ansible else _PLAIN_TAGS
    loader = None
    try:
        loader = _Loader(text, name, tags)  # the reader already checks the characters
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputFileError(
            name,
            f"is not valid YAML: {problem}.",
            hint="Check the indentation and quoting on that line.",
            row=mark.line + 1 if mark else None,
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def construct(node: yaml.Node | None, name: str) -> Any:
    """Python values (dict, list, str, int, float, bool, date, None) of a composed node."""
    if node is None:
        return None
    constructor = _Constructor()
    try:
        return constructor.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputFileError(
            name,
            f"has a value YAML cannot read: {exc.problem or exc.context}.",
            hint="Write it as plain text in quotes.",
            row=mark.line + 1 if mark else None,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError) as exc:
        # e.g. the date 2026-02-30, or a tagged value that does not fit its tag (!!int abc)
        reason = str(exc) if isinstance(exc, ValueError) else "it does not fit its type"
        raise InputFileError(
            name,
            f"has a value YAML cannot read ({reason}).",
            hint="Check dates (YYYY-MM-DD) and numbers, or write the value in quotes.",
            row=(constructor.last or node).start_mark.line + 1,
        ) from None
