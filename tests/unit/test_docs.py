"""The docs stay true to the code and to each other (issue 25).

- The key table in docs/architecture.md is what ``tools/key_table.py`` generates from
  ``anshin.store.keys`` (``make docs`` rewrites it), as the OpenAPI document is what the handlers
  generate (``tests/infra/test_stacks.py``).
- Every relative link and image in README.md and docs/**/*.md names a file that exists and, for a
  ``#anchor`` into a Markdown file, a heading it has, slugged as GitHub does; external links are
  not fetched (no network) but must be well-formed http(s) URLs.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_key_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("key_table", ROOT / "tools" / "key_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the key table ------------------------------------------------------------------------------
def test_the_key_table_is_generated_from_store_keys() -> None:
    key_table = load_key_table()
    committed = key_table.current(key_table.DOCUMENT.read_text(encoding="utf-8"))
    assert committed == key_table.render(), "the key table differs from anshin.store.keys: run `make docs`"


def test_the_key_table_shows_formats_not_values() -> None:
    """Placeholders are named after the parameters; a number keeps its padding; a shard is the
    hash of the id it is taken from, never the hash of the placeholder."""
    table = load_key_table().render()
    assert "| `account(mobile_contract_id)` | `ACCOUNT#<mobile_contract_id>` / `PROFILE` |" in table
    assert "`QUEUE#<sequence, 12 digits>`" in table
    assert "gsi4: `LIVE#<shard of contract_id, 2 digits>` / `<contract_id>`" in table
    assert "| `STAFF_RULES` | `CONFIG#STAFF_RULES` / `CONFIG` |" in table


# --- the links ----------------------------------------------------------------------------------
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
INLINE_LINK = re.compile(r"\]\(\s*<?(?P<target>[^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(?P<target>[^\s>]+)>?")
AUTOLINK = re.compile(r"<(?P<target>[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>]*)>")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"'](?P<target>[^\"']*)[\"']", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:id|name)\s*=\s*[\"'](?P<id>[^\"']+)[\"']", re.IGNORECASE)
ATX = re.compile(r"^\s{0,3}#{1,6}(?:\s+(?P<text>.*?))?(?:\s+#+)?\s*$")
SETEXT = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
LINE_ANCHOR = re.compile(r"L\d+(?:-L\d+)?")
#: A line above ``---`` that starts so is a table, a list or a quote, not a setext heading.
NOT_SETEXT = ("|", "-", "*", ">")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fence = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        yield number, line


def links(path: Path) -> Iterator[tuple[int, str]]:
    for number, line in prose(path):
        text = CODE_SPAN.sub("", line)
        for pattern in (INLINE_LINK, REFERENCE, AUTOLINK, HTML_LINK):
            for match in pattern.finditer(text):
                yield number, match.group("target")


def heading_text(markdown: str) -> str:
    """A heading's text as GitHub renders it: code spans keep their content, links their text,
    images and tags nothing, emphasis markers go."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group(2).strip())
        return f"\x00{len(spans) - 1}\x00"

    text = CODE_SPAN.sub(keep, markdown)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\*+|(?<!\w)_+|_+(?!\w)", "", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text).strip()


def slug(text: str) -> str:
    """GitHub's heading anchor (html-pipeline's TableOfContentsFilter):
    ``text.downcase.gsub(/[^\\p{Word}\\- ]/u, '').tr(' ', '-')``, where ``\\p{Word}`` is letters,
    marks, decimal and letter numbers and connector punctuation (``_``). Punctuation is deleted
    in place, not replaced, and runs of hyphens are kept."""
    kept = (
        character
        for character in text.lower()
        if character in "- "
        or unicodedata.category(character)[0] in "LM"
        or unicodedata.category(character) in ("Nd", "Nl", "Pc")
    )
    return "".join(kept).replace(" ", "-")


@functools.cache
def anchors(path: Path) -> frozenset[str]:
    """The anchors GitHub gives the file's headings (a repeated one gets -1, -2 …), and explicit
    ``<a id>``/``<a name>`` anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    previous = ""
    for _number, line in prose(path):
        texts = []
        atx = ATX.match(line)
        if atx and line.lstrip().startswith("#"):
            texts.append(atx.group("text") or "")
        elif SETEXT.match(line) and previous.strip() and not previous.lstrip().startswith(NOT_SETEXT):
            texts.append(previous.strip())
        for text in texts:
            base = slug(heading_text(text))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(f"{base}-{count}" if count else base)
        found.update(match.group("id") for match in HTML_ANCHOR.finditer(line))
        previous = line
    return frozenset(found)


def problem(path: Path, target: str, root: Path) -> str | None:
    """Why ``target``, linked from ``path``, does not resolve (None when it does)."""
    if not target:
        return "empty link"
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        parts = urlsplit(target)
        if parts.scheme == "mailto":
            return None if "@" in parts.path else "malformed mailto link"
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme!r} is neither http nor https"
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            return "malformed port"
        if not parts.hostname or any(c.isspace() for c in target):
            return "malformed URL"
        return None
    if target.startswith("//"):
        return "scheme-relative URL"
    location, _, anchor = target.partition("#")
    if location:
        base = root if location.startswith("/") else path.parent
        resolved = (base / unquote(location).lstrip("/")).resolve()
        if not resolved.is_relative_to(root):
            return "points outside the repository"
        if not resolved.exists():
            return "no such file"
    else:
        resolved = path
    if not anchor:
        return None
    if resolved.suffix.lower() == ".md":
        return None if unquote(anchor) in anchors(resolved) else f"no heading #{anchor} in {resolved.name}"
    if resolved.is_file() and LINE_ANCHOR.fullmatch(anchor):
        return None
    return f"anchor #{anchor} into a file that is not Markdown"


def broken_links(files: list[Path], root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{number}: {target} ({why})"
        for path in files
        for number, target in links(path)
        if (why := problem(path, target, root)) is not None
    ]


def test_every_link_resolves() -> None:
    broken = broken_links(documents(), ROOT)
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Contract ends, month-end and billing (R8–R13)", "contract-ends-month-end-and-billing-r8r13"),
        ("Benchmark (`make bench`, `benchmarks/billing.py`)", "benchmark-make-bench-benchmarksbillingpy"),
        ("The **signup** page: _the_ front door", "the-signup-page-the-front-door"),
        ("`__init__` and snake_case", "__init__-and-snake_case"),
        ("Members' sign-in (issue 23)", "members-sign-in-issue-23"),
        ("スマホ安心サポート 利用規約", "スマホ安心サポート-利用規約"),
    ],
)
def test_anchors_are_slugged_as_github_does(heading: str, anchor: str) -> None:
    assert slug(heading_text(heading)) == anchor


def test_the_link_check_finds_what_is_broken(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## Twice\n\n## Twice\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "\n".join(
            [
                "[fine](docs/a.md) [fine](docs/a.md#twice-1) [fine](#top) ![fine](docs/a.md)",
                "[missing](docs/b.md) [no heading](docs/a.md#twice-2) ![no image](docs/x.png)",
                "[bad](https:///path) [bad](http://example.com:x/) [bad](ftp://example.com)",
                "[outside](../x.md)",
                "`[in code](nowhere.md)` [fine](https://example.com/a?b=c#d)",
                "```",
                "[in a fence](nowhere.md)",
                "```",
                "# Top",
            ]
        ),
        encoding="utf-8",
    )
    found = broken_links([readme, tmp_path / "docs" / "a.md"], tmp_path)
    assert [line.split(": ", 1)[1].split(" (")[0] for line in found] == [
        "docs/b.md",
        "docs/a.md#twice-2",
        "docs/x.png",
        "https:///path",
        "http://example.com:x/",
        "ftp://example.com",
        "../x.md",
    ]


# --- the README is a map ------------------------------------------------------------------------
def test_the_readme_is_a_short_map_to_every_doc() -> None:
    """At most 200 lines, and every doc under docs/ is linked from it (issue 25)."""
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= 200
    linked = {(ROOT / target.partition("#")[0]).resolve() for _number, target in links(readme)}
    assert [str(doc.relative_to(ROOT)) for doc in documents()[1:] if doc.resolve() not in linked] == []
