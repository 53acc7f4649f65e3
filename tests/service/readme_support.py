"""The output blocks README.md shows, to compare with what ``raccoon run`` really prints.

:func:`shape` blanks what differs from run to run (numbers: pids, ports, sizes,
times) and names the application's directory ``<APP>``, so that the README's
block and a real run's output compare line by line.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def readme_block(first_line: str) -> list[str]:
    """The lines of the README's code block that starts with *first_line*."""
    blocks: list[list[str]] = []
    inside = False
    for line in readme_text().splitlines():
        if line.startswith("```"):
            inside = not inside
            if inside:
                blocks.append([])
        elif inside:
            blocks[-1].append(line)
    for block in blocks:
        if block and block[0].startswith(first_line):
            return block
    raise AssertionError(f"README.md shows no block starting with {first_line!r}")


def summary(output: str) -> list[str]:
    """What ``raccoon run`` printed up to ``Ctrl-C to stop.``, included."""
    lines = output.splitlines()
    return lines[: lines.index("Ctrl-C to stop.") + 1]


def shape(lines: list[str], places: dict[str, str], *, passwords: bool = False) -> list[str]:
    """*lines* with each key of *places* replaced by its value (longest first) and
    every number by ``N``; with *passwords*, the logins' passwords by ``<password>``."""
    shaped = []
    for line in lines:
        for place in sorted(places, key=len, reverse=True):
            line = line.replace(place, places[place])
        if passwords:
            line = re.sub(r"^(  login     \S+ / ).*(  \(created)", r"\1<password>\2", line)
        shaped.append(re.sub(r"\d+(\.\d+)?", "N", line))
    return shaped
