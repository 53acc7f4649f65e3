"""Running single-source client modules under CPython.

Client modules import JavaScript globals with ``from __globals__ import
...`` — a marker JavaScripthon removes. Under CPython that import needs a
module named ``__globals__``: :func:`install_globals_shim` provides one, where

- ``JS(code)`` is false, so ``if JS('true'):`` picks the Python branch;
- ``Error`` is :class:`Exception` (client exceptions derive from ``Error``);
- ``py`` carries what the Python halves of ``compat`` need (``re``,
  ``inspect``, the running loop…), since an ``import`` inside a client
  function would become an invalid JavaScript import;
- any other name is a placeholder that fails loudly when used: it is a
  JavaScript global that only JavaScript branches touch.

:func:`load_client_package` then imports a client package under another
name (the client package is called ``raccoon`` in JavaScript, which under
CPython is this server package) without running its ``__init__``, whose
imports include modules that only run in JavaScript.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["install_globals_shim", "load_client_package"]

_SHIM_NAME = "__globals__"


class JSOnly:
    """A JavaScript global seen from CPython: any use is an error."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"the JavaScript global {self._name!r} was used under CPython: this code path "
            "only runs in JavaScript (branch on compat.IS_JS)"
        )

    __call__ = _fail

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __repr__(self) -> str:
        return f"<JavaScript global {self._name}>"


def _js(code: str) -> bool:
    if not isinstance(code, str):
        raise TypeError("JS() takes a string of JavaScript code")
    return False


def _nparams(func: Callable[..., Any]) -> int:
    """Required positional parameters, as JavaScript's ``function.length``."""
    count = 0
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            if param.default is param.empty:
                count += 1
    return count


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_PY = types.SimpleNamespace(
    re=re,
    inspect=inspect,
    asyncio=asyncio,
    traceback=traceback,
    nparams=_nparams,
    running_loop=_running_loop,
)
_KNOWN: dict[str, Any] = {"JS": _js, "Error": Exception, "py": _PY}


def _shim_getattr(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return _KNOWN.get(name) or JSOnly(name)


def install_globals_shim() -> types.ModuleType:
    """Install (once) the ``__globals__`` module client code imports from."""
    existing = sys.modules.get(_SHIM_NAME)
    if existing is not None:
        if getattr(existing, "__raccoon_shim__", False):
            return existing
        raise RuntimeError(f"sys.modules already has a foreign {_SHIM_NAME!r} module")
    shim = types.ModuleType(_SHIM_NAME, "JavaScript globals, as seen from CPython.")
    shim.__raccoon_shim__ = True  # type: ignore[attr-defined]
    shim.__getattr__ = _shim_getattr  # type: ignore[method-assign]
    sys.modules[_SHIM_NAME] = shim
    return shim


def load_client_package(source: Path, name: str = "raccoon_client") -> types.ModuleType:
    """Make the client package at ``source`` importable as ``name``.

    Its ``__init__`` is not run; import the single-source submodules
    (``importlib.import_module(f"{name}.path")``) you need.
    """
    install_globals_shim()
    source = Path(source).resolve()
    existing = sys.modules.get(name)
    if existing is not None:
        if list(getattr(existing, "__path__", [])) == [str(source)]:
            return existing
        raise RuntimeError(f"{name!r} is already imported from elsewhere: {existing!r}")
    if not (source / "__init__.py").is_file():
        raise FileNotFoundError(f"{source} is not a client package (no __init__.py)")
    package = types.ModuleType(name, f"The client package at {source}, loaded under CPython.")
    package.__path__ = [str(source)]
    package.__package__ = name
    package.__file__ = str(source / "__init__.py")
    sys.modules[name] = package
    importlib.invalidate_caches()
    return package
