"""Each package's public API is exactly its ``__all__``, and documented."""

import importlib
import inspect
import types

import pytest

PACKAGES = [
    "raccoon.node",
    "raccoon.reactive",
    "raccoon.service",
    "raccoon.data",
    "raccoon.context",
    "raccoon.testing",
    "raccoon.build",
]


def _package(name: str) -> types.ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_are_documented(name):
    package = _package(name)
    assert package.__doc__, f"{name} has no module docstring"
    missing_doc = []
    for attr in package.__all__:
        value = getattr(package, attr)  # AttributeError = a stale __all__ entry
        if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(value):
            missing_doc.append(attr)
    assert missing_doc == [], f"{name}: public names without a docstring: {missing_doc}"


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_object_is_exported(name):
    package = _package(name)
    leaked = [
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", "").startswith("raccoon.")
        and attr not in package.__all__
    ]
    assert leaked == [], f"{name} exposes names missing from __all__: {leaked}"


def test_node_contract_names():
    from raccoon.node import Node, NodeContext, Path, Signal, WAMPNode, call, handler
    from raccoon.testing import when_connected

    assert all([Node, WAMPNode, NodeContext, Path, call, Signal, handler, when_connected])
