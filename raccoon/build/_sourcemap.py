"""From a transpiled module's line back to the Python line, for webpack's errors.

webpack reports ``ERROR in ./safety/views.js 3:0-34``: a line of the
transpiled tree, which nobody edits. JavaScripthon writes a source map next to
every module (``views.js.map``); :func:`python_location` reads it, and
:func:`annotate_webpack_output` adds the Python file:line under each such
error, so the message leads to the line to fix.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

__all__ = ["annotate_webpack_output", "python_location"]

_B64 = {
    c: i
    for i, c in enumerate(string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/")
}
# "ERROR in ./pkg/module.js 3:0-34" (webpack 5's stats line of a module error).
_ERROR = re.compile(r"^(?:ERROR|WARNING) in \./(?P<module>\S+\.m?js) (?P<line>\d+):(?P<column>\d+)")


def _decode(segment: str) -> list[int]:
    """The numbers of one Base64 VLQ segment of a source map's ``mappings``."""
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift = value = 0
    return values


def python_location(js_file: Path, line: int, column: int = 0) -> tuple[Path, int] | None:
    """The Python source file and 1-based line of *js_file*'s 1-based *line*.

    ``None`` when the module has no (readable) source map or the line maps to
    nothing: the caller keeps webpack's location then.
    """
    map_file = js_file.with_name(js_file.name + ".map")
    try:
        data = json.loads(map_file.read_text(encoding="utf-8"))
        sources = data["sources"]
        mappings = data["mappings"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    source = source_line = 0
    best: tuple[int, int] | None = None
    try:
        for number, group in enumerate(mappings.split(";"), start=1):
            generated_column = 0  # relative within a line; the rest across lines
            for segment in filter(None, group.split(",")):
                fields = _decode(segment)
                generated_column += fields[0]
                if len(fields) < 4:
                    continue
                source += fields[1]
                source_line += fields[2]
                if number == line and (best is None or generated_column <= column):
                    best = (source, source_line)
            if number >= line:
                break
    except KeyError:  # not Base64: not a map we understand
        return None
    if best is None or not 0 <= best[0] < len(sources):
        return None
    root = map_file.parent / data.get("sourceRoot", "")
    return (root / sources[best[0]]).resolve(), best[1] + 1


def annotate_webpack_output(output: str, build_dir: Path) -> str:
    """*output* with ``→ file.py:line`` under each error located in the transpiled tree."""
    lines = []
    for text in output.splitlines():
        lines.append(text)
        match = _ERROR.match(text)
        if match is None:
            continue
        found = python_location(
            build_dir / match["module"], int(match["line"]), int(match["column"])
        )
        if found is not None:
            path, number = found
            lines.append(f"  → {_shown(path)}:{number}")
    return "\n".join(lines) + ("\n" if output.endswith("\n") else "")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
