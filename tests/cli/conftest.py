"""Fixtures for the CLI tests; the helpers themselves live in cli_helpers.py."""

from cli_helpers import fake_engine  # noqa: F401  (a fixture)
