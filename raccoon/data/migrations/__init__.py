"""The framework's Alembic migrations (revision scripts in ``versions/``).

Not imported by Raccoon: :func:`raccoon.data.upgrade` hands this directory to
Alembic, which loads the scripts itself. They are recorded in their own
version table, ``raccoon_alembic_version``, apart from the application's.
"""
