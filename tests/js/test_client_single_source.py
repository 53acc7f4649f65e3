"""The single-source client tests (js/raccoon/tests/*_test.py) under CPython.

The same files run under node once transpiled (`make jstest`); here each
``test_*`` function is one pytest case. The client package is loaded as
``raccoon_client`` (in JavaScript it is ``raccoon``, which under CPython is
the server package).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from raccoon.build import default_client_source, load_client_package

TESTS = default_client_source() / "tests"
PACKAGE = "raccoon_client"


def _cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(TESTS.glob("*_test.py")):
        source = path.read_text(encoding="utf-8")
        for line in source.splitlines():
            if line.startswith(("def test_", "async def test_")):
                name = line.split("def ", 1)[1].split("(", 1)[0]
                cases.append((path.stem, name))
    return cases


CASES = _cases()


def _load(module: str, name: str) -> Callable[[], Any]:
    load_client_package(default_client_source(), PACKAGE)
    mod = importlib.import_module(f"{PACKAGE}.tests.{module}")
    func: Callable[[], Any] = getattr(mod, name)
    return func


def test_there_are_single_source_tests() -> None:
    assert len(CASES) >= 20, CASES
    assert Path(TESTS / "__init__.py").is_file()


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}::{n}" for m, n in CASES])
def test_client_module(module: str, name: str) -> None:
    func = _load(module, name)
    if inspect.iscoroutinefunction(func):
        asyncio.run(func())
    else:
        func()
