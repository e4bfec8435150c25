"""The co-op world's fixtures for the page tests."""

from coop_world import app, world  # noqa: F401 - fixtures
