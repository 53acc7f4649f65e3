"""Test support for Raccoon applications: a pytest plugin with a real Crossbar
router and a real PostgreSQL (see :mod:`raccoon.testing.plugin`), and
:func:`eventually`, the one way to poll for a condition.

Fixtures (available once ``raccoon`` is installed): ``crossbar``,
``router_factory``, ``database``, ``connection1``, ``connection2``,
``when_connected``.
"""

from raccoon.testing._eventually import eventually
from raccoon.testing.connections import open_connection, when_connected

__all__ = ["eventually", "open_connection", "when_connected"]
