"""Framework revision scripts (Alembic skips ``__init__.py``)."""
