"""Test support for Raccoon applications: a pytest plugin with a real Crossbar
router and a real PostgreSQL (see :mod:`raccoon.testing.plugin`).

Fixtures (available once ``raccoon`` is installed): ``crossbar``,
``router_factory``, ``database``, ``connection1``, ``connection2``,
``when_connected``.
"""

from raccoon.testing.connections import open_connection, when_connected

__all__ = ["open_connection", "when_connected"]
