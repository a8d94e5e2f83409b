"""The table of every key format, generated from ``anshin.store.keys`` into docs/architecture.md.

Each key-building function of the module (one returning a ``Key`` dict or a key string) is called
with placeholder arguments named after its parameters (``<mobile_contract_id>``; a number's
placeholder keeps its padding, a shard is ``<shard of contract_id>``), and each constant (an
upper-case name holding a string, a number or a key) is read as it is; the result is rendered as
``pk / sk`` (``gsiNpk / gsiNsk`` for an index) beside the first sentence of its docstring (or its
``#:`` comment), grouped under the module's ``# --- section`` comments, in source order.

``make docs`` (``python tools/key_table.py``) rewrites the table between ``<!-- keys:begin -->``
and ``<!-- keys:end -->`` in docs/architecture.md; ``--check`` exits 1 when the committed table
differs. ``tests/unit/test_docs.py`` fails while it differs, so the table cannot drift from the
code.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- keys:begin -->"
END = "<!-- keys:end -->"
SECTION = re.compile(r"^# -+ (?P<title>.*?) -*$")
GENERAL = "module-wide"
#: (section, name, key format, what): one row of the table.
Entry = tuple[str, str, str, str]


def load_keys() -> ModuleType:
    try:
        from anshin.store import keys
    except ImportError:  # run without PYTHONPATH: the package lives in the layer's source
        sys.path.insert(0, str(ROOT / "layers" / "shared"))
        from anshin.store import keys
    return keys


class NumberPlaceholder(int):
    """An ``int`` that formats as ``<name>`` (and says how many digits a padded format gives)."""

    label: str

    def __new__(cls, label: str) -> NumberPlaceholder:
        number = super().__new__(cls, 0)
        number.label = label
        return number

    def __format__(self, spec: str) -> str:
        padded = re.fullmatch(r"0?(\d+)d", spec)
        return f"<{self.label}, {padded.group(1)} digits>" if padded else f"<{self.label}>"

    def __str__(self) -> str:
        return f"<{self.label}>"


def placeholder(parameter: inspect.Parameter) -> object:
    if parameter.annotation in ("int", int):
        return NumberPlaceholder(parameter.name)
    return f"<{parameter.name}>"


@contextlib.contextmanager
def symbolic_shards(keys: ModuleType) -> Iterator[None]:
    """While rendering, a shard is ``<shard of contract_id>``, not the hash of the placeholder."""

    def shard_of(subject: str) -> int:
        return NumberPlaceholder(f"shard of {subject.strip('<>')}")

    with mock.patch.object(keys, "shard_of", shard_of):
        yield


def render_value(value: object) -> str:
    if isinstance(value, dict):
        parts = []
        for name in value:
            if name.endswith("sk"):
                continue
            sort_key = name[:-2] + "sk"
            prefix = "" if name == "pk" else f"{name[:-2]}: "
            rendered = f"{prefix}`{value[name]}`"
            if sort_key in value:
                rendered += f" / `{value[sort_key]}`"
            parts.append(rendered)
        lone_sort_keys = [name for name in value if name.endswith("sk") and name[:-2] + "pk" not in value]
        parts += [f"`{value[name]}`" for name in lone_sort_keys]
        return "; ".join(parts)
    return f"`{value}`"


def first_sentence(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", flat)
    sentence = match.group(1) if match else flat
    sentence = re.sub(r":\w+:`([^`]+)`", r"`\1`", sentence)  # :func:`x` -> `x`
    return sentence.replace("``", "`")


def escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def entries(keys: ModuleType) -> Iterator[Entry]:
    """(section, name, key format, what) for every key function and constant, in source order."""
    source = Path(inspect.getfile(keys)).read_text(encoding="utf-8")
    lines = source.splitlines()
    sections = {
        number: match.group("title")
        for number, line in enumerate(lines, start=1)
        if (match := SECTION.match(line))
    }
    tree = ast.parse(source)
    with symbolic_shards(keys):
        for node in tree.body:
            section = next((sections[n] for n in sorted(sections, reverse=True) if n < node.lineno), GENERAL)
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                yield from function_entry(keys, node, section)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                yield from constant_entry(keys, node, lines, section)


def function_entry(keys: ModuleType, node: ast.FunctionDef, section: str) -> Iterator[Entry]:
    returns = ast.unparse(node.returns) if node.returns else ""
    if returns not in ("Key", "str"):
        return  # shard_of (a number), keyed (an item): not key formats
    function: Callable[..., object] = getattr(keys, node.name)
    signature = inspect.signature(function)
    arguments = [placeholder(p) for p in signature.parameters.values()]
    name = f"`{node.name}({', '.join(signature.parameters)})`"
    try:
        rendered = render_value(function(*arguments))
    except Exception as error:  # a function that refuses placeholders is still listed
        print(f"key_table: {node.name} not rendered: {error!r}", file=sys.stderr)
        rendered = "(not rendered with placeholders)"
    yield section, name, rendered, first_sentence(ast.get_docstring(node))


def constant_entry(
    keys: ModuleType, node: ast.Assign | ast.AnnAssign, lines: list[str], section: str
) -> Iterator[Entry]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        if not isinstance(target, ast.Name) or not target.id.isupper():
            continue
        value = getattr(keys, target.id)
        if not isinstance(value, str | int | dict):
            continue
        comment: list[str] = []
        number = node.lineno - 1  # the ``#:`` comment lines just above the assignment
        while number > 0 and lines[number - 1].lstrip().startswith("#:"):
            comment.insert(0, lines[number - 1].lstrip()[2:].strip())
            number -= 1
        yield section, f"`{target.id}`", render_value(value), first_sentence(" ".join(comment))


def render() -> str:
    """The table, markers included."""
    keys = load_keys()
    out = [
        BEGIN,
        "<!-- generated from layers/shared/anshin/store/keys.py by tools/key_table.py"
        " (`make docs`); do not edit by hand -->",
        "",
        "| name | key format | what |",
        "|---|---|---|",
    ]
    current = None
    for section, name, rendered, what in entries(keys):
        if section != current:
            out.append(f"| **{escape(section)}** | | |")
            current = section
        out.append(f"| {escape(name)} | {escape(rendered)} | {escape(what)} |")
    out.append(END)
    return "\n".join(out)


def current(document: str) -> str:
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[start:end]


def write(path: Path = DOCUMENT) -> bool:
    """Rewrite the table in ``path``; True when it changed."""
    document = path.read_text(encoding="utf-8")
    updated = document.replace(current(document), render())
    if updated != document:
        path.write_text(updated, encoding="utf-8")
    return updated != document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed table differs")
    args = parser.parse_args()
    if args.check:
        differs = current(DOCUMENT.read_text(encoding="utf-8")) != render()
        state = "differs: run `make docs`" if differs else "current"
        print(f"{DOCUMENT.relative_to(ROOT)}: key table {state}")
        return 1 if differs else 0
    changed = write()
    print(f"{DOCUMENT.relative_to(ROOT)}: key table {'rewritten' if changed else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
