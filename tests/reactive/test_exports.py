"""The public API of raccoon.reactive is what ``__all__`` says, and documented."""

from __future__ import annotations

import inspect
import pkgutil

import raccoon.reactive as reactive


def test_all_matches_public_names() -> None:
    public = {
        name
        for name, obj in vars(reactive).items()
        if not name.startswith("_") and not inspect.ismodule(obj) and name != "annotations"
    }
    assert set(reactive.__all__) == public
    assert len(reactive.__all__) == len(set(reactive.__all__))


def test_implementation_modules_are_private() -> None:
    modules = [m.name for m in pkgutil.iter_modules(reactive.__path__)]
    assert modules, "no implementation modules found"
    assert all(name.startswith("_") for name in modules), modules


def test_public_names_have_docstrings() -> None:
    undocumented = [
        name for name in reactive.__all__ if not inspect.getdoc(getattr(reactive, name))
    ]
    assert undocumented == []


def test_public_methods_have_docstrings() -> None:
    missing = []
    for name in reactive.__all__:
        obj = getattr(reactive, name)
        if not inspect.isclass(obj):
            continue
        for attr, member in vars(obj).items():
            if attr.startswith("_") or not (
                inspect.isfunction(member) or isinstance(member, property)
            ):
                continue
            if not inspect.getdoc(member):
                missing.append(f"{name}.{attr}")
    assert missing == []


def test_public_objects_name_the_package_as_their_module() -> None:
    for name in reactive.__all__:
        obj = getattr(reactive, name)
        module = getattr(obj, "__module__", None)
        if module is not None and (inspect.isclass(obj) or inspect.isfunction(obj)):
            assert module == "raccoon.reactive", (name, module)
