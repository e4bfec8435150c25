"""Alembic migrations; run them with 'appletrace db upgrade'."""
