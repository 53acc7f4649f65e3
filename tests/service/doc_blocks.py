"""The fenced code blocks of the documentation, with what each one is.

Every fenced block of a checked page carries a marker on the line before it,
``<!-- doc-test: KIND ARGS -->``, saying how the tests run it (a page is
checked when a test asks for its blocks: an unmarked block fails that test,
so a new example cannot slip in untested):

- ``client PATH``: a client module (Python for the browser), written at
  PATH in a client tree, checked, transpiled and bundled;
- ``server MODULE``: server Python, imported as MODULE;
- ``scaffold APP/FILE``: an excerpt of a file ``raccoon new APP`` writes
  (``...`` elides);
- ``transcript DIR``: ``$ command`` lines run in DIR of the workspace, each
  followed by its exact output;
- ``checker``: checker messages, each reproduced on a module that has the
  construct;
- ``edit APP/FILE``: a statement of the file, replaced by the block;
  ``insert APP/FILE after NEEDLE``: lines added after the first line holding
  NEEDLE; ``new APP/FILE``: a whole new file (the tutorial's steps, applied
  by the test that follows it);
- ``dev-log``: console lines of ``raccoon dev``, matched by shape (numbers,
  home directories, ports vary) against the output of the test that runs
  the steps;
- ``shown-by FILE::TEST``: output that TEST checks for itself.

A page is a file of docs/, or ``README.md`` (the repository's front page).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DOCS", "Block", "apply_step", "blocks", "excerpt_in", "path_of", "shape"]

DOCS = Path(__file__).resolve().parents[2] / "docs"
README = "README.md"


def path_of(page: str) -> Path:
    """The file of *page*: ``docs/<page>``, or the repository's README.md."""
    return DOCS.parent / README if page == README else DOCS / page


_MARKER = re.compile(r"<!--\s*doc-test:\s*(?P<kind>[\w-]+)\s*(?P<args>.*?)\s*-->")
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\S*)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where, its language, its marker, its text (dedented)."""

    page: str
    line: int
    lang: str
    kind: str
    args: str
    text: str

    def __str__(self) -> str:
        where = path_of(self.page).relative_to(DOCS.parent)
        return f"{where}:{self.line} ({f'{self.kind} {self.args}'.strip()})"


def blocks(page: str) -> list[Block]:
    """The fenced blocks of *page* (see :func:`path_of`); an unmarked one raises
    AssertionError."""
    lines = path_of(page).read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        indent = len(fence["indent"])
        start = i
        i += 1
        body: list[str] = []
        while not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][indent:])
            i += 1
        i += 1
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marker = _MARKER.search(previous)
        assert marker is not None, (
            f"{path_of(page).relative_to(DOCS.parent)}:{start + 1}: "
            "a code block without a <!-- doc-test: KIND --> marker "
            "(see tests/service/doc_blocks.py): every example must run in a test"
        )
        found.append(
            Block(page, start + 1, fence["lang"], marker["kind"], marker["args"], "\n".join(body))
        )
    return found


def excerpt_in(excerpt: str, text: str) -> bool:
    """Whether the pieces of *excerpt* between ``...`` appear in *text*, in order
    (compared without whitespace, since an excerpt may wrap lines differently,
    and without the file's comment lines, which an excerpt may leave out)."""
    flat = "".join(_code(text).split())
    at = 0
    for piece in re.split(r"\.\.\.(?!\w)", _code(excerpt)):
        piece = "".join(piece.split()).strip(",")
        if not piece:
            continue
        found = flat.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def _code(text: str) -> str:
    """*text* without comment lines and inline comments (``  # ...``)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(re.sub(r"\s{2}# .*$", "", line) for line in lines)


def shape(line: str) -> re.Pattern[str]:
    """A pattern for a console line of the docs: numbers, the home directory of
    the docs' user and ports are whatever they are in a run."""
    pattern = re.escape(line.strip())
    pattern = pattern.replace(re.escape("/home/ann/"), r"/\S*?")
    pattern = re.sub(r"127\\\.0\\\.0\\\.1:\d+", r"127\.0\.0\.1:\\d+", pattern)
    pattern = re.sub(r"\d+(\\\.\d+)?", r"\\d+(\\.\\d+)?", pattern)
    return re.compile(pattern)


def apply_step(block: Block, root: Path) -> Path:
    """Do what an ``edit``, ``insert`` or ``new`` block says to its file under *root*
    (written at once, as an editor saves); the file."""
    target, _, where = block.args.partition(" ")
    path = root / target
    if block.kind == "new":
        path.write_text(block.text + "\n")
        return path
    lines = path.read_text().splitlines()
    if block.kind == "insert":
        assert where.startswith("after "), block
        needle = where.removeprefix("after ")
        at = next(i for i, line in enumerate(lines) if needle in line)
        lines[at + 1 : at + 1] = block.text.splitlines()
    else:
        assert block.kind == "edit", block
        first, last = _statement(lines, block.text)
        lines[first:last] = block.text.splitlines()
    text = "\n".join(lines) + "\n"
    tmp = path.with_name(path.name + ".saving")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def _statement(lines: list[str], new: str) -> tuple[int, int]:
    """The line range of the assignment *new* replaces: the one to the same name,
    at the same indentation, that begins most like it."""
    head = new.splitlines()[0]
    name = head.split("=")[0].strip()
    indent = len(head) - len(head.lstrip())
    best: tuple[int, int, int] | None = None
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.Assign) or node.col_offset != indent:
            continue
        if not any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            continue
        assert node.end_lineno is not None
        old = "\n".join(lines[node.lineno - 1 : node.end_lineno])
        common = _common_prefix("".join(old.split()), "".join(new.split()))
        if best is None or common > best[0]:
            best = (common, node.lineno - 1, node.end_lineno)
    assert best is not None, f"no assignment to {name} to replace"
    return best[1], best[2]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
