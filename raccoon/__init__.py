"""Raccoon: an async full-stack reactive application framework.

The packages are layered (lowest first): :mod:`raccoon.reactive`,
:mod:`raccoon.node`, :mod:`raccoon.data`, :mod:`raccoon.context`,
:mod:`raccoon.service`; :mod:`raccoon.testing` is the pytest plugin.
"""

__version__ = "0.1.0.dev0"
__all__ = ["__version__"]
